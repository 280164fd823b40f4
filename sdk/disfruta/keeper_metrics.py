"""The keeper's Prometheus series, recorded from each pass's `KeeperReport` (``disfruta keeper run --metrics-port``
serves them; see the README's "Operating: metrics and alerts"):

* ``disfruta_keeper_passes_total{outcome}`` (``ok``, ``failed``: the node went away mid-pass), the pass duration
  ``disfruta_keeper_pass_seconds`` and ``disfruta_keeper_last_success_timestamp_seconds``;
* ``disfruta_keeper_actions_total{duty}``: what passes did (``auto_invest`` loans invested in, ``expire``,
  ``default`` declared, ``sweep_fees``, ``autopay_collect`` installments collected);
* ``disfruta_keeper_autopay_failures_total{reason}``: collections refused for a reason the borrower must fix, by
  `Refusal` name; ``disfruta_keeper_late_loans``: loans past due (not yet in default) at the last pass;
* ``disfruta_keeper_action_errors_total{action}``: actions that failed for another reason (retried next pass),
  ``disfruta_keeper_skipped_total`` (another keeper got there first), ``disfruta_keeper_gas_used_total``.

The gauges take the most recent value of any process (one keeper process, or several sharing a multiprocess
directory).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from prometheus_client import Counter, Gauge, Histogram

from disfruta.metrics import PASS_BUCKETS
from disfruta.models import AutopayFailure


class PassReport(Protocol):
    """What `observe` reads of a `disfruta.keeper.KeeperReport` (the keeper imports this module, not the reverse)."""

    invested: dict[int, int]
    defaulted: list[int]
    expired: list[int]
    late: dict[int, int]
    collected: dict[int, int]
    autopay_failures: list[AutopayFailure]
    skipped: Sequence[str]
    failed: Sequence[str]
    gas_used: int


PREFIX = "disfruta_keeper"
DUTIES = ("auto_invest", "expire", "default", "sweep_fees", "autopay_collect")

PASSES = Counter(f"{PREFIX}_passes", "Keeper passes, by outcome", ["outcome"])
PASS_SECONDS = Histogram(f"{PREFIX}_pass_seconds", "Duration of a keeper pass", buckets=PASS_BUCKETS)
LAST_SUCCESS = Gauge(f"{PREFIX}_last_success_timestamp_seconds", "Unix time the last successful pass ended",
                     multiprocess_mode="mostrecent")
ACTIONS = Counter(f"{PREFIX}_actions", "Actions the keeper's passes made, by duty", ["duty"])
AUTOPAY_FAILURES = Counter(f"{PREFIX}_autopay_failures",
                           "Autopay collections refused for a reason the borrower must fix, by reason", ["reason"])
LATE_LOANS = Gauge(f"{PREFIX}_late_loans", "Loans past due (not in default) at the last pass",
                   multiprocess_mode="mostrecent")
ACTION_ERRORS = Counter(f"{PREFIX}_action_errors", "Keeper actions that failed (retried next pass), by action",
                        ["action"])
SKIPPED = Counter(f"{PREFIX}_skipped", "Keeper actions made moot (another keeper, or the state moved on)")
GAS_USED = Counter(f"{PREFIX}_gas_used", "Gas used by the keeper's transactions")
for _outcome in ("ok", "failed"):  # present at 0 from the start, for rate() and absent-series alerts
    PASSES.labels(_outcome)
for _duty in DUTIES:
    ACTIONS.labels(_duty)


def _action(entry: str) -> str:
    """The action of a ``report.failed`` entry (``"autoInvest #3: …"`` → ``autoInvest``): a bounded label."""
    return entry.split(":", 1)[0].split(" #", 1)[0]


def observe(report: PassReport, seconds: float) -> None:
    """Records a successful pass."""
    PASSES.labels("ok").inc()
    PASS_SECONDS.observe(seconds)
    LAST_SUCCESS.set(time.time())
    for duty, n in (("auto_invest", len(report.invested)), ("expire", len(report.expired)),
                    ("default", len(report.defaulted)), ("autopay_collect", len(report.collected))):
        if n:
            ACTIONS.labels(duty).inc(n)
    for failure in report.autopay_failures:
        AUTOPAY_FAILURES.labels(failure.refusal.name.lower()).inc()
    LATE_LOANS.set(len(report.late))
    for entry in report.failed:
        ACTION_ERRORS.labels(_action(entry)).inc()
    if report.skipped:
        SKIPPED.inc(len(report.skipped))
    if report.gas_used:
        GAS_USED.inc(report.gas_used)


def sweep() -> None:
    """A fee sweep sent (the report keeps only the amount swept)."""
    ACTIONS.labels("sweep_fees").inc()


def failed(seconds: float) -> None:
    """Records a pass that failed midway (it is retried from scratch next time)."""
    PASSES.labels("failed").inc()
    PASS_SECONDS.observe(seconds)
