"""The keeper: matches open loans to auto-invest lenders, expires failed fundings, declares defaults, sweeps fees and
collects autopay installments.

Fair order: lenders with the most idle cash (above what they keep) go first; autopay collections, earliest due date
first. Two keepers may run at once: every rule is enforced on chain (at most one investment per lender per loan, a
full loan takes no more, a default is declared once, an installment is collected once), and each action is simulated
before it is sent, so a keeper that lost a race skips instead of failing.

Autopay: the enrolled loans come from Autopay's enrol/cancel events (the index has no autopay table yet), their
``preview`` in one batched read; a collection Autopay refuses for a reason the borrower must fix (balance,
allowance, cap, revoked, window closed) is a failed attempt, recorded in the report and in the keeper's
`AutopayLog` (in memory, or a JSON file other processes read) and tried again on the next pass; a refusal that means
"nothing to do yet" (too early, nothing due, not active) is not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from disfruta import keeper_metrics
from disfruta.api.autopay import AutopayLog
from disfruta.errors import ContractError, DisfrutaError
from disfruta.models import AutopayFailure, AutopayPreview, LoanConfig, LoanInfo, LoanStatus, Receipt, Refusal

if TYPE_CHECKING:
    from disfruta.client import Disfruta

log = logging.getLogger("disfruta.keeper")
DAY = 86_400


@dataclass
class KeeperReport:
    """What one pass did."""

    invested: dict[int, int] = field(default_factory=dict)  # loan id → amount invested by auto-invest
    defaulted: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    late: dict[int, int] = field(default_factory=dict)  # loan id → days past due
    fees_swept: int = 0
    collected: dict[int, int] = field(default_factory=dict)  # loan id → amount autopay collected, in collection order
    autopay_failures: list[AutopayFailure] = field(default_factory=list)  # collections refused: retried next pass
    skipped: list[str] = field(default_factory=list)  # actions another keeper (or a state change) made moot
    failed: list[str] = field(default_factory=list)  # actions that failed for another reason: retried next pass
    gas_used: int = 0


class Keeper:
    """Keeps one market moving. Reads go in batches (``read_batch`` loans per round trip); each loan's rules (default
    threshold, drawdown window) come from its own ``config()``, read once per loan. With an index on the client
    (``Disfruta.connect(..., index=...)``) a pass reads only the loans the index says may need action."""

    def __init__(self, client: Disfruta, *, batch_size: int = 25, sweep_min: int | None = None,
                 read_batch: int = 100, autopay_log: AutopayLog | str | Path | None = None) -> None:
        """``sweep_min``: sweep a loan's accrued servicing fees to the Treasury once they reach this many token
        units (default: 10 whole tokens; 0 disables sweeping). ``autopay_log``: where failed autopay collections are
        recorded (an `AutopayLog`, or the path of its JSON file; default: in memory, ``keeper.autopay_log``)."""
        self.client = client
        self.batch_size = batch_size
        self.read_batch = read_batch
        self.sweep_min = 10 * 10**client.decimals if sweep_min is None else sweep_min
        self.autopay_log = autopay_log if isinstance(autopay_log, AutopayLog) else AutopayLog(autopay_log)
        self._configs: dict[str, LoanConfig] = {}

    # ------------------------------------------------------------------------------------------- lenders

    def auto_investors(self) -> list[str]:
        """Lenders whose criteria are enabled, ordered by idle cash above their cash-to-keep (most first)."""
        index = self.client.core.index
        lenders = index.auto_investors() if index is not None else sorted(
            {e.args["lender"] for e in self.client.events.get(["CriteriaSet"], address=self.client.pool.address)})
        ranked = []
        for lender, (cash, criteria) in zip(lenders, self.client.pool.accounts(lenders), strict=True):
            spare = cash - criteria.cash_to_keep
            if criteria.enabled and spare > 0:
                ranked.append((spare, lender))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return [lender for _, lender in ranked]

    # ------------------------------------------------------------------------------------------- one pass

    def loans(self, now: int | None = None) -> list[LoanInfo]:
        """The loans a pass reads: with an index, only those it says may need action at ``now`` (funding, drawdown
        window, an installment uncovered past its due date, fees to sweep); without one, every loan."""
        index = self.client.core.index
        if index is not None:
            ids = index.keeper_candidates(self.client.core.head().timestamp if now is None else now, self.sweep_min)
        else:
            ids = list(range(1, self.client.loans.count() + 1))
        out: list[LoanInfo] = []
        for start in range(0, len(ids), self.read_batch):
            out += self.client.loans.many(ids[start:start + self.read_batch])
        return out

    def config(self, info: LoanInfo) -> LoanConfig:
        if info.address not in self._configs:
            self._configs[info.address] = self.client.loans.config(info.address)
        return self._configs[info.address]

    def run_once(self) -> KeeperReport:
        """One pass: collect the autopay installments whose window is open, then over every loan: auto-invest open
        loans, expire failed ones, declare defaults, sweep fees. Recorded in the keeper's metrics."""
        started = time.monotonic()
        try:
            report = self._pass()
        except DisfrutaError:
            keeper_metrics.failed(time.monotonic() - started)
            raise
        keeper_metrics.observe(report, time.monotonic() - started)
        return report

    def _pass(self) -> KeeperReport:
        report = KeeperReport()
        now = self.client.core.head().timestamp
        if self.client.autopay.available:
            # First: a loan collected now is read as current (not late) by the rest of the pass.
            self.collect_autopay(report, now)
        investors: list[str] | None = None
        for info in self.loans(now):
            if info.status == LoanStatus.FUNDING and not info.paused and now <= info.funding_deadline:
                investors = self.auto_investors() if investors is None else investors
                self._invest(info, investors, report)
            elif (info.status == LoanStatus.FUNDING
                  or (info.status == LoanStatus.FUNDED and now > info.funded_at + self.config(info).drawdown_window)):
                self._try(report, f"expire #{info.loan_id}", partial(self.client.loans.expire, info.address),
                          partial(report.expired.append, info.loan_id))
            elif (info.status == LoanStatus.ACTIVE
                  and info.days_past_due >= self.config(info).default_after // DAY):
                self._try(report, f"default #{info.loan_id}", partial(self.client.loans.declare_default, info.address),
                          partial(report.defaulted.append, info.loan_id))
            elif info.status == LoanStatus.ACTIVE and info.days_past_due > 0:
                report.late[info.loan_id] = info.days_past_due
                log.info("loan #%d is %d days past due", info.loan_id, info.days_past_due)
            if (self.sweep_min and info.fees_accrued >= self.sweep_min
                    and info.status in (LoanStatus.ACTIVE, LoanStatus.REPAID, LoanStatus.DEFAULTED)):
                receipt = self._try(report, f"sweepFees #{info.loan_id}",
                                    partial(self.client.loans.sweep_fees, info.address))
                if receipt is not None:
                    keeper_metrics.sweep()
                    report.fees_swept += sum(e.args["amount"] for e in receipt.find("FeesSwept"))
        market = self.client.market
        if self.sweep_min and market.available and market.fees_pending() >= self.sweep_min:
            # the note market's seller fees: already in the Treasury, booked there as trading fees
            receipt = self._try(report, "NoteMarket.sweepFees", market.sweep_fees)
            if receipt is not None:
                keeper_metrics.sweep()
                report.fees_swept += sum(e.args["amount"] for e in receipt.find("FeesSwept"))
        return report

    # ------------------------------------------------------------------------------------------- autopay

    def autopay_previews(self) -> list[AutopayPreview]:
        """Every enrolled loan's ``preview`` (``read_batch`` loans per round trip)."""
        loans = self.client.autopay.enrolled()
        out: list[AutopayPreview] = []
        for start in range(0, len(loans), self.read_batch):
            out += self.client.autopay.preview(loans[start:start + self.read_batch])
        return out

    def collect_autopay(self, report: KeeperReport, now: int) -> None:
        """Collects every enrolled loan Autopay would collect now, earliest due date first; records the refusals
        the borrower must fix as failed attempts (the next pass tries again)."""
        previews = self.autopay_previews()
        for p in previews:
            if p.refusal is not None and p.refusal.is_failure:
                self._autopay_failed(report, p.loan_id, p.loan, p.refusal, p.detail, p.cap, p.due_date, now)
        for p in sorted((p for p in previews if p.collectable), key=lambda p: (p.due_date, p.loan_id)):
            what = f"autopay collect #{p.loan_id}"
            try:
                receipt = self.client.autopay.collect(p.loan)
            except ContractError as exc:
                reason = exc.values.get("reason") if exc.error_name == "AutopayNotCollectable" else None
                refusal = Refusal(reason) if isinstance(reason, int) else None
                if refusal is not None and refusal.is_failure:
                    # The borrower's balance or allowance changed since the preview: a failed attempt.
                    self._autopay_failed(report, p.loan_id, p.loan, refusal, int(exc.values.get("detail", 0)), p.cap,
                                         p.due_date, now)
                else:  # another keeper collected it first (nothing due now), or the loan moved on
                    report.skipped.append(f"{what}: {exc}")
                    log.info("skipped %s: %s", what, exc)
                continue
            except DisfrutaError as exc:
                report.failed.append(f"{what}: {exc}")
                log.warning("failed %s: %s", what, exc)
                continue
            report.gas_used += receipt.gas_used
            report.collected[p.loan_id] = int(receipt.return_value)
            self.autopay_log.clear(p.loan)

    def _autopay_failed(self, report: KeeperReport, loan_id: int, loan: str, refusal: Refusal, detail: int, cap: int,
                        due_date: int, now: int) -> None:
        reason = refusal.describe(detail, cap=cap, decimals=self.client.decimals)
        failure = AutopayFailure(loan_id=loan_id, loan=loan, refusal=refusal, reason=reason, detail=detail,
                                 due_date=due_date, at=now)
        report.autopay_failures.append(failure)
        self.autopay_log.record(failure)
        log.warning("autopay of loan #%d not collected: %s", loan_id, reason)

    def run(self, interval: float = 15.0, iterations: int | None = None) -> list[KeeperReport]:
        """Runs passes every ``interval`` seconds (forever when ``iterations`` is None)."""
        reports, n = [], 0
        while iterations is None or n < iterations:
            try:
                reports.append(self.run_once())
            except DisfrutaError as exc:  # the node went away mid-pass: keep going, the next pass starts afresh
                log.warning("keeper pass %d failed: %s", n + 1, exc)
            n += 1
            if iterations is None or n < iterations:
                time.sleep(interval)
        return reports

    # ------------------------------------------------------------------------------------------- internals

    def _invest(self, info: LoanInfo, investors: list[str], report: KeeperReport) -> None:
        remaining = info.goal - info.funded
        for start in range(0, len(investors), self.batch_size):
            if remaining <= 0:
                return
            batch = investors[start:start + self.batch_size]
            receipt = self._try(report, f"autoInvest #{info.loan_id}",
                                partial(self.client.pool.auto_invest, info.address, batch))
            if receipt is None:
                return
            amount = sum(e.args["amount"] for e in receipt.find("Invested"))
            report.invested[info.loan_id] = report.invested.get(info.loan_id, 0) + amount
            remaining -= amount

    def _try(self, report: KeeperReport, what: str, action: Callable[[], Receipt],
             on_success: Callable[[], None] | None = None) -> Receipt | None:
        try:
            receipt = action()
        except ContractError as exc:
            # Simulation refused it: another keeper got there first, or the state moved on. Nothing to do.
            report.skipped.append(f"{what}: {exc}")
            log.info("skipped %s: %s", what, exc)
            return None
        except DisfrutaError as exc:
            # A transaction or node failure (out of gas, no receipt, node unreachable): recorded, tried next pass.
            report.failed.append(f"{what}: {exc}")
            log.warning("failed %s: %s", what, exc)
            return None
        report.gas_used += receipt.gas_used
        if on_success is not None:
            on_success()
        return receipt
