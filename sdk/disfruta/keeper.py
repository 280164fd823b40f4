"""The keeper: matches open loans to auto-invest lenders, expires failed fundings and declares defaults.

Fair order: lenders with the most idle cash (above what they keep) go first. Two keepers may run at once: every rule
is enforced on chain (at most one investment per lender per loan, a full loan takes no more, a default is declared
once), and each action is simulated before it is sent, so a keeper that lost a race skips instead of failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from disfruta.errors import ContractError, DisfrutaError
from disfruta.models import LoanConfig, LoanInfo, LoanStatus, Receipt

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
    skipped: list[str] = field(default_factory=list)  # actions another keeper (or a state change) made moot
    failed: list[str] = field(default_factory=list)  # actions that failed for another reason: retried next pass
    gas_used: int = 0


class Keeper:
    """Keeps one market moving. Reads go in batches (``read_batch`` loans per round trip); each loan's rules (default
    threshold, drawdown window) come from its own ``config()``, read once per loan. With an index on the client
    (``Disfruta.connect(..., index=...)``) a pass reads only the loans the index says may need action."""

    def __init__(self, client: Disfruta, *, batch_size: int = 25, sweep_min: int | None = None,
                 read_batch: int = 100) -> None:
        """``sweep_min``: sweep a loan's accrued servicing fees to the Treasury once they reach this many token
        units (default: 10 whole tokens; 0 disables sweeping)."""
        self.client = client
        self.batch_size = batch_size
        self.read_batch = read_batch
        self.sweep_min = 10 * 10**client.decimals if sweep_min is None else sweep_min
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
        """One pass over every loan: auto-invest open loans, expire failed ones, declare defaults, sweep fees."""
        report = KeeperReport()
        now = self.client.core.head().timestamp
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
                    report.fees_swept += sum(e.args["amount"] for e in receipt.find("FeesSwept"))
        return report

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
