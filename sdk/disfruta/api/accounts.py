"""``client.lenders`` and ``client.borrowers``: one account's whole position, in requests that grow with that
account's loans, not with the market.

A lender's loans are found from the events that name the lender in an indexed topic (funding, note transfers,
claims, refunds: one batched ``eth_getLogs`` round trip), kept only if the factory knows them; then one Multicall3
call reads every such loan, the lender's notes and claimable amounts; one more reads those loans' repayment history,
and one the timestamps of the blocks involved.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Generic

from eth_utils import to_canonical_address, to_checksum_address

from disfruta.api.autopay import AutopayAPI, AutopayLog
from disfruta.api.loans import FACTORY, LOAN, LoansAPI
from disfruta.api.pool import POOL, PoolAPI
from disfruta.api.session import BaseSession, R
from disfruta.codec import codec_for
from disfruta.core import Core
from disfruta.grades import Grade
from disfruta.models import BorrowerDashboard, Event, LoanInfo, LoanStatus, Portfolio, PortfolioLoan
from disfruta.multicall import BlockId, Call, block_param
from disfruta.returns import expected_loss, net_annualized_return, xirr

REGISTRY = codec_for("UserRegistry")


def _topic(address: str) -> str:
    return "0x" + to_canonical_address(address).rjust(32, b"\0").hex()


class LendersAPI(Generic[R]):
    """``client.lenders``: a lender's whole position across the market."""
    def __init__(self, session: BaseSession[R], loans: LoansAPI[R], pool: PoolAPI[R]) -> None:
        self._s: BaseSession[R] = session
        self._loans: LoansAPI[R] = loans
        self._pool: PoolAPI[R] = pool

    def _events(self, lender: str, to_block: int) -> list[Event]:
        core = self._s.core
        me = _topic(lender)
        start = block_param(core.deployment.block)
        queries: list[tuple[list[str], list[str | None]]] = [
            (["LoanFunded", "Refunded"], [me]), (["Claimed"], [me]), (["Transfer"], [None, me]), (["Transfer"], [me])]
        filters: list[dict[str, Any]] = []
        for names, more in queries:
            topics: list[Any] = [core.topics_of(names), *more]
            filters.append({"fromBlock": start, "toBlock": hex(to_block), "topics": topics})
        market = _market(core)
        if market is not None:  # note sales, as the seller (topic 2) and as the buyer (topic 3): cash flows
            sold = core.topics_of(["NotesSold"])
            filters += [{"address": market, "fromBlock": start, "toBlock": hex(to_block), "topics": t}
                        for t in ([sold, None, me], [sold, None, None, me])]
        logs = [log for answer in core.fetch_logs(filters) for log in answer]
        seen: set[tuple[str, int]] = set()
        unique = []
        for log in logs:
            key = (log["transactionHash"], int(log["logIndex"], 16))
            if key not in seen:
                seen.add(key)
                unique.append(log)
        unique.sort(key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16)))
        return core.decode_logs(unique)

    def portfolio(self, lender: str, *, default_probability: Callable[[Grade], float] | None = None,
                  block: BlockId = "latest") -> Portfolio:
        """A lender's notes, cash flows and returns (NAR, XIRR, expected losses by grade)."""
        lender = to_checksum_address(lender)
        core = self._s.core
        # With an index its events stand in for the log queries, and the chain is read at the index's block.
        activity = core.index.lender_activity(lender) if core.index is not None and block == "latest" else None
        at: BlockId = activity.block if activity is not None else block
        (cash,), head = core.read_at([Call(self._pool.address, POOL.function("lenderBalances"), (lender,))], at)
        if activity is not None:
            events, loans = activity.events, activity.loans
        else:
            events = self._events(lender, head.number)
            candidates = sorted({e.address for e in events if e.address not in (self._pool.address, _market(core))})
            # One call: which candidates are loans of this market, and for those, the row, notes and claimable.
            loans = self._known_loans(candidates, head.number)
        infos = self._loans.many(loans, head.number) if loans else []
        per_loan = core.read([c for a in loans for c in (Call(a, LOAN.function("balanceOf"), (lender,)),
                                                         Call(a, LOAN.function("claimable"), (lender,)),
                                                         Call(a, LOAN.function("recovery")))],
                             head.number) if loans else []
        mine = [e for e in events if e.address in loans]
        # Note-market sales move money outside the loan: the seller's proceeds and the buyer's price are cash flows
        # of the XIRR (the chain's events; the index has no table of them yet).
        market = _market(core)
        sales = [e for e in events if e.name == "NotesSold" and e.address == market and e.args["loan"] in loans]
        if activity is not None:
            history, times = activity.history, activity.times
        else:
            history = core.get_logs(names=["FundsWithdrawn", "RepaymentMade", "RecoveryShared"], address=loans,
                                    to_block=head.number) if loans else []
            blocks = [e.block for e in mine + history + sales]
            times = core.block_timestamps(blocks) if blocks else {}

        flows: list[tuple[int, int]] = []  # (timestamp, amount) from the lender's point of view
        invested: dict[str, int] = defaultdict(int)
        received: dict[str, int] = defaultdict(int)
        for e in mine:
            a = e.args
            if e.name == "LoanFunded" and a["lender"] == lender:
                invested[e.address] += a["amount"]
                flows.append((times[e.block], -a["amount"]))
            elif e.name in ("Claimed", "Refunded") and a["lender"] == lender:
                received[e.address] += a["amount"]
                flows.append((times[e.block], a["amount"]))
        for e in sales:
            if e.args["seller"] == lender:
                flows.append((times[e.block], e.args["price"] - e.args["fee"]))
            if e.args["buyer"] == lender:
                flows.append((times[e.block], -e.args["price"]))
        outstanding_history: dict[str, list[tuple[int, int]]] = defaultdict(list)
        recovered: dict[str, int] = defaultdict(int)  # the noteholders' part of each loan's recoveries
        for e in history:
            if e.name == "RecoveryShared":
                recovered[e.address] += e.args["toNoteholders"]
                continue
            value = e.args["principal"] if e.name == "FundsWithdrawn" else e.args["principalOutstanding"]
            outstanding_history[e.address].append((times[e.block], value))

        now = head.timestamp
        rows, principal_years = [], 0.0
        for n, info in enumerate(infos):
            address = info.address
            notes, claimable, rec = per_loan[3 * n:3 * n + 3]  # balanceOf, claimable, recovery() of loan n
            notes, claimable = int(notes), int(claimable)
            cover_total, at_default = int(rec["cover"]), int(rec["principalAtDefault"])
            share = notes / info.principal if info.principal else 0.0  # only for the time-weighted NAR below
            open_ = info.status in (LoanStatus.ACTIVE, LoanStatus.FUNDED, LoanStatus.FUNDING)
            outstanding = _pro_rata(info.principal_outstanding, notes, info.principal) if info.status in (
                LoanStatus.ACTIVE, LoanStatus.DEFAULTED) else (notes if open_ else 0)
            # After a default (subrogation): the reserve paid the noteholders `cover` and owns cover / at_default of
            # the remaining claim and of every recovery, so the lender's own claim is the rest.
            defaulted = bool(at_default)
            cover = _pro_rata(cover_total, notes, info.principal) if defaulted else 0
            recoveries = _pro_rata(recovered[address], notes, info.principal)
            if defaulted:
                outstanding -= outstanding * cover_total // at_default
            repaid_principal = _pro_rata(info.principal - (at_default if defaulted else info.principal_outstanding),
                                         notes, info.principal)
            loss = outstanding if info.status == LoanStatus.DEFAULTED else 0
            refunds = received[address] if info.status in (LoanStatus.EXPIRED, LoanStatus.REJECTED) else 0
            earned = max(0, received[address] + claimable - repaid_principal - refunds - cover - recoveries
                         ) if info.principal else 0
            exp_loss = (expected_loss(info, outstanding, now, default_probability)
                        if info.status == LoanStatus.ACTIVE else 0)
            if not (notes or invested[address] or received[address] or claimable):
                continue
            rows.append(PortfolioLoan(loan_id=info.loan_id, address=address, status=info.status, grade=info.grade,
                                      notes=notes, invested=invested[address], principal_outstanding=outstanding,
                                      received=received[address], claimable=claimable, interest_and_fees=earned,
                                      loss=loss, expected_loss=exp_loss, cover=cover, recoveries=recoveries))
            principal_years += share * _area(outstanding_history[address], now, info.principal_outstanding) / (
                365 * 86_400)

        terminal = sum(r.claimable + r.principal_outstanding - r.expected_loss - r.loss for r in rows)
        by_grade: dict[str, int] = defaultdict(int)
        for r in rows:
            by_grade[r.grade.name] += r.expected_loss
        total_earned = sum(r.interest_and_fees for r in rows)
        total_loss = sum(r.loss for r in rows)
        return Portfolio(
            lender=lender, pool_cash=int(cash), invested=sum(invested.values()),
            principal_outstanding=sum(r.principal_outstanding for r in rows), received=sum(received.values()),
            claimable=sum(r.claimable for r in rows), interest_and_fees=total_earned, losses=total_loss,
            cover=sum(r.cover for r in rows), recoveries=sum(r.recoveries for r in rows),
            expected_losses=sum(by_grade.values()), expected_losses_by_grade=dict(by_grade),
            net_annualized_return=net_annualized_return(total_earned, total_loss, principal_years),
            xirr=xirr(flows + ([(now, terminal)] if terminal else [])), loans=rows,
        )

    def _known_loans(self, candidates: list[str], block: int) -> list[str]:
        if not candidates:
            return []
        factory = self._loans.factory
        ids = self._s.core.read([Call(factory, FACTORY.function("loanIdOf"), (a,)) for a in candidates], block)
        return [a for a, i in zip(candidates, ids, strict=True) if i]


class BorrowersAPI(Generic[R]):
    """``client.borrowers``: a borrower's loans, limit, exposure, what is due next and each loan's autopay."""
    def __init__(self, session: BaseSession[R], loans: LoansAPI[R], autopay: AutopayAPI[R]) -> None:
        self._s: BaseSession[R] = session
        self._loans: LoansAPI[R] = loans
        self._autopay: AutopayAPI[R] = autopay

    def loans(self, borrower: str, block: BlockId = "latest") -> list[LoanInfo]:
        """Every loan ``borrower`` applied for, oldest first (from the factory's events; one more round trip)."""
        borrower = to_checksum_address(borrower)
        created = self._s.core.get_logs(names=["LoanCreated"], address=self._loans.factory,
                                        topics=[None, None, _topic(borrower)], to_block=block)
        ids = [int(e.args["loanId"]) for e in created]
        return self._loans.many(ids, block) if ids else []

    def dashboard(self, borrower: str, block: BlockId = "latest", *,
                  autopay_log: AutopayLog | None = None) -> BorrowerDashboard:
        """Grade, limit, exposure, loans, what is due next, and the autopay of every open loan (enrolled, cap, the
        next collection window, whether it would be collected now; with the keeper's ``autopay_log``, its last
        failed collection): one more round trip for the autopay, none on a deployment without Autopay."""
        borrower = to_checksum_address(borrower)
        credit, exposure = self._s.core.read([
            Call(self._s.core.address("UserRegistry"), REGISTRY.function("creditOf"), (borrower,)),
            Call(self._loans.factory, FACTORY.function("borrowerExposure"), (borrower,))], block)
        grade, limit = int(credit["grade"]), int(credit["borrowLimit"])
        mine = self.loans(borrower, block)
        live = [x for x in mine if x.status == LoanStatus.ACTIVE]
        upcoming = [x for x in live if x.next_due_date]
        nxt = min(upcoming, key=lambda x: x.next_due_date) if upcoming else None
        open_ = [x for x in mine if x.status <= LoanStatus.ACTIVE]
        autopay = {s.loan_id: s for s in self._autopay.statuses([x.address for x in open_], autopay_log, block)} \
            if open_ and self._autopay.available else {}
        return BorrowerDashboard(
            borrower=borrower, grade=Grade(grade) if grade else None, borrow_limit=limit, exposure=int(exposure),
            available_credit=max(0, limit - int(exposure)), loans=mine,
            total_outstanding=sum(x.principal_outstanding for x in live),
            next_payment_due=(nxt.amount_due or min(nxt.monthly_payment, nxt.payoff_amount)) if nxt else 0,
            next_due_date=nxt.next_due_date if nxt else 0, autopay=autopay,
        )


def _market(core: Core) -> str | None:
    """The note market's address, if the deployment has one."""
    return core.address("NoteMarket") if "NoteMarket" in core.deployment.contracts else None


def _pro_rata(amount: int, notes: int, principal: int) -> int:
    """The holder of ``notes`` of ``principal``'s part of ``amount``, in exact integers, rounded down as the loan
    pays out."""
    return amount * notes // principal if principal else 0


def _area(history: list[tuple[int, int]], now: int, current: int) -> float:
    """∫ principal outstanding dt over the loan's life, from its (time, outstanding-after) history."""
    if not history:
        return 0.0
    area = 0.0
    for (t0, v0), (t1, _v1) in itertools.pairwise(history):
        area += v0 * (t1 - t0)
    t_last, v_last = history[-1]
    return area + v_last * max(0, now - t_last) if current else area


__all__: list[Any] = ["BorrowersAPI", "LendersAPI"]
