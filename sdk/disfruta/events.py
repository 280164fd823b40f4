"""Event subscriptions: a polling thread that hands each new decoded event to a callback, in order."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

from disfruta.models import Event

if TYPE_CHECKING:
    from disfruta.client import Disfruta

WATCHED = ("LoanCreated", "LoanApproved", "LoanFunded", "FundingCompleted", "FundsWithdrawn", "RepaymentMade",
           "LoanRepaid", "LoanDefaulted", "Claimed")


class Subscription:
    """Polls ``eth_getLogs`` from ``from_block`` on; ``stop()`` ends it (it is a daemon thread either way)."""

    def __init__(self, client: Disfruta, names: list[str], callback: Callable[[Event], None],
                 from_block: int | None, poll_interval: float) -> None:
        self._client = client
        self._names = names
        self._callback = callback
        self._next = client.w3.eth.block_number + 1 if from_block is None else from_block
        self._interval = poll_interval
        self._stopped = threading.Event()
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="disfruta-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                head = self._client.w3.eth.block_number
                if head >= self._next:
                    for event in self._client.get_events(self._names, from_block=self._next, to_block=head):
                        self._callback(event)
                    self._next = head + 1
            except Exception as exc:  # noqa: BLE001 - surfaced to the owner through .error, then polling stops
                self.error = exc
                return
            self._stopped.wait(self._interval)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._thread.join(timeout)


def subscribe(client: Disfruta, names: list[str] | None, callback: Callable[[Event], None], *,
              from_block: int | None = None, poll_interval: float = 1.0) -> Subscription:
    return Subscription(client, list(names or WATCHED), callback, from_block, poll_interval)
