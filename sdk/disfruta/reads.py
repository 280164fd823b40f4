"""Reads that return dataclasses (mixed into `Disfruta`). Every read takes an optional block identifier."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from eth_utils import to_checksum_address

from disfruta.grades import Grade
from disfruta.models import (
    PURPOSES,
    BorrowerDashboard,
    Installment,
    LoanInfo,
    LoanStatus,
    Portfolio,
    PortfolioLoan,
    TreasuryInfo,
    UserInfo,
)
from disfruta.returns import expected_loss, net_annualized_return, xirr

if TYPE_CHECKING:
    from disfruta.client import Disfruta

Block = int | str
USER_STATUS = ("none", "pending", "verified", "revoked")


class ReadsMixin:
    # ------------------------------------------------------------------------------------------- users

    def user(self: Disfruta, address: str, block: Block = "latest") -> UserInfo:
        a = to_checksum_address(address)
        u = self.registry.functions.getUser(a).call(block_identifier=block)
        return UserInfo(address=a, status=USER_STATUS[u[0]], roles=u[1], kyc_commitment=u[2], kyc_valid_until=u[4],
                        grade=Grade(u[5]) if u[5] else None, borrow_limit=u[6], credit_valid_until=u[7],
                        is_verified_lender=self.registry.functions.isVerifiedLender(a).call(block_identifier=block),
                        is_verified_borrower=self.registry.functions.isVerifiedBorrower(a).call(
                            block_identifier=block))

    def token_balance(self: Disfruta, address: str, block: Block = "latest") -> int:
        return self.token.functions.balanceOf(to_checksum_address(address)).call(block_identifier=block)

    def pool_balance(self: Disfruta, address: str, block: Block = "latest") -> int:
        return self.pool.functions.lenderBalances(to_checksum_address(address)).call(block_identifier=block)

    # ------------------------------------------------------------------------------------------- loans

    def loan_count(self: Disfruta, block: Block = "latest") -> int:
        return self.factory.functions.loanCounter().call(block_identifier=block)

    def loan(self: Disfruta, loan: int | str, block: Block = "latest") -> LoanInfo:
        c = self.loan_contract(loan)
        f = c.functions
        t = f.terms().call(block_identifier=block)
        p = f.position().call(block_identifier=block)
        funded, _goal, deadline = f.funding().call(block_identifier=block)
        return LoanInfo(
            loan_id=t[0], address=c.address, borrower=t[1], status=LoanStatus(p[0]), grade=Grade(t[7]),
            purpose=PURPOSES[t[8]] if t[8] < len(PURPOSES) else str(t[8]), goal=t[3], principal=t[4],
            funded=funded, annual_rate_bps=t[5], term_months=t[6], monthly_payment=t[9], funding_deadline=deadline, funded_at=p[7],
            start_time=p[5], principal_outstanding=p[1], interest_owed=p[2], late_fees_owed=p[3],
            amount_due=f.amountDue().call(block_identifier=block),
            payoff_amount=f.payoffAmount().call(block_identifier=block),
            next_due_date=f.nextDueDate().call(block_identifier=block),
            days_past_due=f.daysPastDue().call(block_identifier=block),
            paused=f.isPaused().call(block_identifier=block),
        )

    def schedule(self: Disfruta, loan: int | str, block: Block = "latest") -> list[Installment]:
        """The amortization schedule; each installment marked paid (covered by what was paid toward the schedule)
        or late (its due date passed uncovered)."""
        c = self.loan_contract(loan)
        due_dates, interests, principals = c.functions.schedule().call(block_identifier=block)
        position = c.functions.position().call(block_identifier=block)
        status, paid_total = LoanStatus(position[0]), position[4]
        now = self.w3.eth.get_block(block)["timestamp"]
        out, cumulative = [], 0
        for i, (due, interest, principal) in enumerate(zip(due_dates, interests, principals, strict=False)):
            cumulative += interest + principal
            paid = status == LoanStatus.REPAID or (due != 0 and paid_total >= cumulative)
            out.append(Installment(number=i + 1, due_date=due, payment=interest + principal, interest=interest,
                                   principal=principal, paid=paid, late=not paid and due != 0 and now > due))
        return out

    def loans(self: Disfruta, *, status: LoanStatus | None = None, min_grade: Grade | None = None,
              max_grade: Grade | None = None, min_rate_bps: int | None = None, max_rate_bps: int | None = None,
              max_term_months: int | None = None, borrower: str | None = None, limit: int = 200,
              block: Block = "latest") -> list[LoanInfo]:
        """The marketplace: newest first, filtered by status, grade range, rate range, term and borrower."""
        out = []
        for loan_id in range(self.loan_count(block), 0, -1):
            info = self.loan(loan_id, block)
            if ((status is None or info.status == status)
                    and (min_grade is None or info.grade >= min_grade)
                    and (max_grade is None or info.grade <= max_grade)
                    and (min_rate_bps is None or info.annual_rate_bps >= min_rate_bps)
                    and (max_rate_bps is None or info.annual_rate_bps <= max_rate_bps)
                    and (max_term_months is None or info.term_months <= max_term_months)
                    and (borrower is None or info.borrower == to_checksum_address(borrower))):
                out.append(info)
                if len(out) >= limit:
                    break
        return out

    # ------------------------------------------------------------------------------------------- lenders

    def portfolio(self: Disfruta, lender: str, *, default_probability: Callable[[Grade], float] | None = None,
                  block: Block = "latest") -> Portfolio:
        """A lender's notes, cash flows and returns, rebuilt from the chain's events and views."""
        lender = to_checksum_address(lender)
        now = self.w3.eth.get_block(block)["timestamp"]
        to_block = self.w3.eth.get_block(block)["number"]
        loan_addresses = {self.factory.functions.loans(i).call(block_identifier=block)
                          for i in range(1, self.loan_count(block) + 1)}
        events = [e for e in self.get_events(["LoanFunded", "Claimed", "Refunded", "Transfer", "RepaymentMade",
                                              "LoanDefaulted", "FundsWithdrawn"], to_block=to_block)
                  if e.address in loan_addresses]
        times: dict[int, int] = {}

        def ts(e: Any) -> int:
            if e.block not in times:
                times[e.block] = self.w3.eth.get_block(e.block)["timestamp"]
            return times[e.block]

        flows: list[tuple[int, int]] = []  # (timestamp, amount) from the lender's point of view
        invested: dict[str, int] = defaultdict(int)
        received: dict[str, int] = defaultdict(int)
        outstanding_history: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for e in events:
            a = e.args
            if e.name == "LoanFunded" and a["lender"] == lender:
                invested[e.address] += a["amount"]
                flows.append((ts(e), -a["amount"]))
            elif e.name in ("Claimed", "Refunded") and a["lender"] == lender:
                received[e.address] += a["amount"]
                flows.append((ts(e), a["amount"]))
            elif e.name == "FundsWithdrawn":
                outstanding_history[e.address].append((ts(e), a["principal"]))
            elif e.name == "RepaymentMade":
                outstanding_history[e.address].append((ts(e), a["principalOutstanding"]))

        rows, principal_years = [], 0.0
        for address in sorted(set(invested) | set(received)):
            c = self.loan_contract(address)
            notes = c.functions.balanceOf(lender).call(block_identifier=block)
            info = self.loan(address, block)
            share = notes / info.principal if info.principal else 0.0
            claimable = c.functions.claimable(lender).call(block_identifier=block)
            repaid_principal = int(share * (info.principal - info.principal_outstanding)) if info.principal else 0
            active = info.status in (LoanStatus.ACTIVE, LoanStatus.FUNDED, LoanStatus.FUNDING)
            outstanding = int(share * info.principal_outstanding) if info.status in (
                LoanStatus.ACTIVE, LoanStatus.DEFAULTED) else (notes if active else 0)
            loss = int(share * info.principal_outstanding) if info.status == LoanStatus.DEFAULTED else 0
            refunds = received[address] if info.status in (LoanStatus.EXPIRED, LoanStatus.REJECTED) else 0
            earned = max(0, received[address] + claimable - repaid_principal - refunds) if info.principal else 0
            exp_loss = expected_loss(info, outstanding, now, default_probability) if info.status == LoanStatus.ACTIVE else 0
            rows.append(PortfolioLoan(loan_id=info.loan_id, address=address, status=info.status, grade=info.grade,
                                      notes=notes, invested=invested[address], principal_outstanding=outstanding,
                                      received=received[address], claimable=claimable, interest_and_fees=earned,
                                      loss=loss, expected_loss=exp_loss))
            principal_years += share * _area(outstanding_history[address], now, info.principal_outstanding) / (
                365 * 86_400)

        terminal = sum(r.claimable + r.principal_outstanding - r.expected_loss - r.loss for r in rows)
        by_grade: dict[str, int] = defaultdict(int)
        for r in rows:
            by_grade[r.grade.name] += r.expected_loss
        total_earned = sum(r.interest_and_fees for r in rows)
        total_loss = sum(r.loss for r in rows)
        return Portfolio(
            lender=lender, pool_cash=self.pool_balance(lender, block), invested=sum(invested.values()),
            principal_outstanding=sum(r.principal_outstanding for r in rows), received=sum(received.values()),
            claimable=sum(r.claimable for r in rows), interest_and_fees=total_earned, losses=total_loss,
            expected_losses=sum(by_grade.values()), expected_losses_by_grade=dict(by_grade),
            net_annualized_return=net_annualized_return(total_earned, total_loss, principal_years),
            xirr=xirr(flows + ([(now, terminal)] if terminal else [])), loans=rows,
        )

    # ------------------------------------------------------------------------------------------- borrowers

    def borrower_dashboard(self: Disfruta, borrower: str, block: Block = "latest") -> BorrowerDashboard:
        borrower = to_checksum_address(borrower)
        grade, limit = self.registry.functions.creditOf(borrower).call(block_identifier=block)
        exposure = self.factory.functions.borrowerExposure(borrower).call(block_identifier=block)
        mine = self.loans(borrower=borrower, block=block)
        live = [x for x in mine if x.status == LoanStatus.ACTIVE]
        upcoming = [x for x in live if x.next_due_date]
        nxt = min(upcoming, key=lambda x: x.next_due_date) if upcoming else None
        return BorrowerDashboard(
            borrower=borrower, grade=Grade(grade) if grade else None, borrow_limit=limit, exposure=exposure,
            available_credit=max(0, limit - exposure), loans=mine,
            total_outstanding=sum(x.principal_outstanding for x in live),
            next_payment_due=(nxt.amount_due or min(nxt.monthly_payment, nxt.payoff_amount)) if nxt else 0,
            next_due_date=nxt.next_due_date if nxt else 0,
        )

    # ------------------------------------------------------------------------------------------- treasury

    def treasury_info(self: Disfruta, block: Block = "latest") -> TreasuryInfo:
        f = self.treasury.functions
        share, cover = f.policy().call(block_identifier=block)
        return TreasuryInfo(reserve=f.reserve().call(block_identifier=block),
                            available_fees=f.availableFees().call(block_identifier=block),
                            origination_fees=f.feesCollected(0).call(block_identifier=block),
                            servicing_fees=f.feesCollected(1).call(block_identifier=block),
                            reserve_used=f.reserveUsed().call(block_identifier=block),
                            reserve_share_bps=share, default_cover_bps=cover)


def _area(history: list[tuple[int, int]], now: int, current: int) -> float:
    """∫ principal outstanding dt over the loan's life, from its (time, outstanding-after) history."""
    if not history:
        return 0.0
    area = 0.0
    for (t0, v0), (t1, _v1) in zip(history, history[1:], strict=False):
        area += v0 * (t1 - t0)
    t_last, v_last = history[-1]
    return area + v_last * max(0, now - t_last) if current else area


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)
