"""The keeper in its own process (so its memory can be measured alone): one `Keeper.run_once` pass per request
from the benchmark, through the SDK with a local key, until told to stop (bounded)."""

from __future__ import annotations

import os
from multiprocessing.connection import Connection
from typing import Any

MAX_PASSES = 100


def keeper_main(rpc_url: str, deployment: dict[str, Any], key: str, conn: Connection) -> None:
    """Child-process entry: answers ``"pass"`` with ``("pass", transactions, gas, invested)`` and ``"stop"`` with
    ``("done", peak RSS in bytes)`` (the kernel's high-water mark of this process, VmHWM)."""
    from disfruta.client import Disfruta
    from disfruta.keeper import Keeper

    from bench.memory import high_water_mark

    client = Disfruta.connect(rpc_url, deployment, account=key, timeout=60)
    sent = [0]
    client.core.sender.on_receipt = lambda _fn, _receipt: sent.__setitem__(0, sent[0] + 1)
    keeper = Keeper(client)
    conn.send(("ready",))
    for _ in range(MAX_PASSES):
        if conn.recv() != "pass":
            break
        before = sent[0]
        report = keeper.run_once()
        conn.send(("pass", sent[0] - before, report.gas_used, sum(report.invested.values())))
    # VmHWM, not getrusage's ru_maxrss: after fork + exec, ru_maxrss still counts the parent's pages at the fork.
    conn.send(("done", high_water_mark(os.getpid()) or 0))
    conn.close()
