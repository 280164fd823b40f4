"""The index's Prometheus series (see the README's "Operating: metrics and alerts").

The follower (``disfruta index run --metrics-port``):

* ``disfruta_index_indexed_block`` (the cursor, committed) and ``disfruta_index_chain_head_block`` (the followed
  tag's block, less the confirmations: what the index is heading for); their difference is the lag;
* ``disfruta_index_events_total{event}``: events stored, by event name (``unknown``: a log no ABI decodes);
* ``disfruta_index_reorgs_total``: reorganisations rolled back; ``disfruta_index_sync_errors_total{error}``: reads
  that failed and were retried with backoff, by exception class.

The read API (``disfruta index serve``, ``/metrics``): ``disfruta_index_request_seconds{method, route, status}`` and
``disfruta_index_database_errors_total``.

Only the follower's own thread writes the gauges; they take the most recent value of any process.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter, Gauge

PREFIX = "disfruta_index"

INDEXED_BLOCK = Gauge(f"{PREFIX}_indexed_block", "The last block fully indexed (committed)",
                      multiprocess_mode="mostrecent")
CHAIN_HEAD = Gauge(f"{PREFIX}_chain_head_block", "The block the index follows: the tag's block less the confirmations",
                   multiprocess_mode="mostrecent")
EVENTS = Counter(f"{PREFIX}_events", "Events stored in the index, by event name", ["event"])
REORGS = Counter(f"{PREFIX}_reorgs", "Reorganisations rolled back")
SYNC_ERRORS = Counter(f"{PREFIX}_sync_errors", "Reads from the node that failed (retried with backoff), by error",
                      ["error"])
DATABASE_ERRORS = Counter(f"{PREFIX}_database_errors", "API requests answered 503 because the database failed")


def indexed(cursor: int, events: Iterable[Mapping[str, Any]] = ()) -> None:
    """A range (or a read-back) committed: the new cursor and the events stored."""
    INDEXED_BLOCK.set(cursor)
    for name, n in Tally(str(e.get("name") or "unknown") for e in events).items():
        EVENTS.labels(name).inc(n)


def head(block: int) -> None:
    CHAIN_HEAD.set(block)


def reorg(ancestor: int) -> None:
    REORGS.inc()
    INDEXED_BLOCK.set(ancestor)


def sync_error(exc: BaseException) -> None:
    SYNC_ERRORS.labels(type(exc).__name__).inc()


def database_error() -> None:
    DATABASE_ERRORS.inc()
