"""``client.events``: decoded events of the market, by name and block range, and subscriptions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from disfruta.core import Core
from disfruta.models import Event
from disfruta.multicall import BlockId

WATCHED = ("LoanCreated", "LoanApproved", "LoanFunded", "FundingCompleted", "FundsWithdrawn", "RepaymentMade",
           "LoanRepaid", "LoanDefaulted", "Claimed")


class Subscription:
    """Polls ``eth_getLogs`` from ``from_block`` on, in order; ``stop()`` ends it (a daemon thread either way). If
    polling fails, ``error`` holds why and the thread ends."""

    def __init__(self, core: Core, names: list[str], callback: Callable[[Event], None], from_block: int | None,
                 poll_interval: float) -> None:
        self._core = core
        self._names = names
        self._callback = callback
        self._next = core.head().number + 1 if from_block is None else from_block
        self._interval = poll_interval
        self._stopped = threading.Event()
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="disfruta-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                head = int(self._core.rpc.request("eth_blockNumber"), 16)
                if head >= self._next:
                    for event in self._core.get_logs(names=self._names, from_block=self._next, to_block=head):
                        self._callback(event)
                    self._next = head + 1
            except Exception as exc:  # noqa: BLE001 - surfaced to the owner through .error, then polling stops
                self.error = exc
                return
            self._stopped.wait(self._interval)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._thread.join(timeout)


class EventsAPI:
    """``client.events``: the market's decoded events (history by name and block range) and subscriptions."""
    def __init__(self, core: Core) -> None:
        self._core = core

    def get(self, names: Sequence[str] | None = None, *, from_block: BlockId | None = None,
            to_block: BlockId = "latest", address: str | Sequence[str] | None = None) -> list[Event]:
        """Decoded events in a block range (default: since the deployment), optionally by name and emitter."""
        return self._core.get_logs(names=names, address=address, from_block=from_block, to_block=to_block)

    def subscribe(self, names: Sequence[str] | None, callback: Callable[[Event], None], *,
                  from_block: int | None = None, poll_interval: float = 1.0) -> Subscription:
        """Calls ``callback`` with each new event named in ``names`` (default: the loan lifecycle's events)."""
        return Subscription(self._core, list(names or WATCHED), callback, from_block, poll_interval)
