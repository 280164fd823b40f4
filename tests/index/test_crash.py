"""kill -9 at any moment: `disfruta index run` killed mid-run, again and again, and restarted, ends with every event
stored exactly once and the state equal to the chain's (each range commits with its cursor in one transaction)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from disfruta.index import schema as s
from disfruta.index.db import make_engine
from disfruta.index.verify import verify
from sqlalchemy import func, select

SDK = str(Path(__file__).resolve().parents[2] / "sdk")


def index_command(rpc: str, deployment_file: Path, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from disfruta.cli import main; main()", "--network", rpc,
            "--deployment", str(deployment_file), "index", "run", "--db", str(db), "--max-range", "2", "--poll", "0.05",
            *extra]


def counts(db: Path) -> tuple[int, int, int]:
    engine = make_engine(db)
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(s.events)).scalar_one()
        distinct = conn.execute(select(func.count()).select_from(
            select(s.events.c.tx_hash, s.events.c.log_index).distinct().subquery())).scalar_one()
        cursor = conn.execute(select(s.sync_state.c.cursor)).scalar_one()
    engine.dispose()
    return events, distinct, cursor


def test_kill_9__repeatedly_mid_run__restart_loses_and_duplicates_nothing(
        lifecycle, make_indexer, tmp_path, rpc, deployment_file, client_core, chain):
    lifecycle(seed=11)
    reference = make_indexer(str(tmp_path / "reference.db"))
    expected = reference.sync()
    head = reference.cursor()[0]
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": SDK + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rnd = random.Random(4)
    cursors = []
    for _ in range(5):
        proc = subprocess.Popen(index_command(rpc, deployment_file, db), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        # wait until it has committed something beyond the last kill, then kill it at a random moment
        while time.monotonic() < deadline and (not db.exists() or _cursor(db) <= (cursors[-1] if cursors else -1)):
            time.sleep(0.02)
        time.sleep(rnd.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        cursors.append(_cursor(db))
        if cursors[-1] >= head:
            break
    assert any(c < head for c in cursors), f"every kill came after the end: {cursors}"
    done = subprocess.run(index_command(rpc, deployment_file, db, "--once"), env=env, capture_output=True, text=True,
                          check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    events, distinct, cursor = counts(db)
    assert cursor >= head
    assert events == distinct == expected
    assert verify(make_engine(db), client_core).differences == []


def _cursor(db: Path) -> int:
    try:
        return counts(db)[2]
    except Exception:  # noqa: BLE001 — not created or not migrated yet
        return -1
