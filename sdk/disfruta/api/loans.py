"""``client.loans``: the marketplace, one loan's state and schedule, and every action on a loan.

Reads cost one round trip: a loan's nine views (and the block's timestamp) go in one Multicall3 call. A loan id's
address is immutable, so it is cached; the first read of an id derives the address from the factory's CREATE nonce
(every clone is created by the factory, loan *n* with nonce *n*) and checks it against ``factory.loans(id)`` in the
same call, falling back to reading it first if the check fails.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Generic

import rlp
from eth_utils import keccak, to_canonical_address, to_checksum_address

from disfruta.api.session import BaseSession, R, with_return_value
from disfruta.api.token import TokenAPI
from disfruta.codec import codec_for, decode_struct
from disfruta.errors import ConfigurationError, DisfrutaError
from disfruta.grades import Grade
from disfruta.models import (
    PURPOSES,
    AppliedLoan,
    Installment,
    LoanConfig,
    LoanInfo,
    LoanPosition,
    LoanStatus,
    LoanTerms,
    Page,
    Recovery,
)
from disfruta.multicall import BlockId, BlockInfo, Call
from disfruta.tx import TxCall

LOAN = codec_for("Loan")
FACTORY = codec_for("LoanFactory")
MAX_UINT = 2**256 - 1
Loan = int | str  # a loan id or its address

# The views that make a `LoanInfo`, in the order read.
_ROW = ("terms", "position", "funding", "amountDue", "payoffAmount", "nextDueDate", "daysPastDue", "isPaused")


def create_address(deployer: str, nonce: int) -> str:
    """The address a CREATE from ``deployer`` with ``nonce`` makes: keccak256(rlp([deployer, nonce]))[12:]."""
    return to_checksum_address(keccak(rlp.encode([to_canonical_address(deployer), nonce]))[12:])


class UnknownLoan(ConfigurationError):
    """No loan has that id or address in this market."""


class LoansAPI(Generic[R]):
    """The loans of one market.

    >>> page = client.loans.list(status=LoanStatus.FUNDING, max_grade=Grade.C5)    # doctest: +SKIP
    >>> page.items[0].annual_rate_bps, page.next_cursor                            # doctest: +SKIP
    """

    def __init__(self, session: BaseSession[R], token: TokenAPI[R], addresses: dict[int, str],
                 lock: threading.Lock) -> None:
        self._s: BaseSession[R] = session
        self._token: TokenAPI[R] = token
        self.factory = session.core.address("LoanFactory")
        self._addresses = addresses  # shared by every view of the client: loan id → address (never changes)
        self.scan_budget = 1_000  # loans one `list` call reads at most while filling a filtered page
        self._lock = lock

    # ------------------------------------------------------------------------------------------- addresses

    def count(self, block: BlockId = "latest") -> int:
        """How many loans the factory has created (ids are 1 … count)."""
        return int(self._s.core.call(self.factory, "LoanFactory", "loanCounter", block=block))

    def address(self, loan: Loan) -> str:
        """The address of a loan id (cached), or a loan address checked against the factory."""
        if isinstance(loan, str):
            address = to_checksum_address(loan)
            with self._lock:
                if address in self._addresses.values():
                    return address
            loan_id = int(self._s.core.call(self.factory, "LoanFactory", "loanIdOf", address))
            if loan_id == 0:
                raise UnknownLoan(f"{address} is not a loan of this market")
            with self._lock:
                self._addresses[loan_id] = address
            return address
        self._check_id(loan)
        with self._lock:
            if loan in self._addresses:
                return self._addresses[loan]
        address = to_checksum_address(self._s.core.call(self.factory, "LoanFactory", "loans", loan))
        if int(address, 16) == 0:
            raise UnknownLoan(f"there is no loan #{loan}")
        with self._lock:
            self._addresses[loan] = address
        return address

    def remember(self, loan_id: int, address: str) -> None:
        """Caches a loan id's address read elsewhere (``factory.loanIdOf`` in another sub-API's batch)."""
        if loan_id:
            with self._lock:
                self._addresses[loan_id] = to_checksum_address(address)

    @staticmethod
    def _check_id(loan_id: int) -> None:
        if isinstance(loan_id, bool) or not isinstance(loan_id, int) or loan_id < 1:
            raise UnknownLoan(f"a loan id is a whole number from 1, got {loan_id!r}")

    def _candidates(self, ids: Sequence[int]) -> dict[int, str]:
        """Known addresses, else the CREATE-derived guess (verified by the caller in the same read)."""
        with self._lock:
            return {i: self._addresses.get(i) or create_address(self.factory, i) for i in ids}

    # ------------------------------------------------------------------------------------------- reads

    def get(self, loan: Loan, block: BlockId = "latest") -> LoanInfo:
        """One loan's terms and where its repayment stands: one round trip."""
        if isinstance(loan, str):
            address = self.address(loan)
            rows, _, _ = self._rows({0: address}, block, verify=False)
            return rows[0]
        self._check_id(loan)
        rows, _ = self._rows_by_id([loan], block)
        if loan not in rows:
            raise UnknownLoan(f"there is no loan #{loan}")
        return rows[loan]

    def many(self, loans: Sequence[Loan], block: BlockId = "latest") -> builtins.list[LoanInfo]:
        """Several loans in one round trip (ids or addresses), in the order given; an address not read before costs
        one more round trip to check it with the factory."""
        ids = [x for x in loans if isinstance(x, int)]
        by_id, _ = self._rows_by_id(ids, block) if ids else ({}, None)
        missing = [x for x in ids if x not in by_id]
        if missing:
            raise UnknownLoan(f"there is no loan #{missing[0]}")
        by_address: dict[str, LoanInfo] = {}
        addresses = [self.address(x) for x in loans if isinstance(x, str)]
        if addresses:
            rows, _, _ = self._rows(dict(enumerate(addresses)), block, verify=False)
            by_address = {r.address: r for r in rows.values()}
        return [by_id[x] if isinstance(x, int) else by_address[to_checksum_address(x)] for x in loans]

    def _rows_by_id(self, ids: Sequence[int], block: BlockId) -> tuple[dict[int, LoanInfo], BlockInfo]:
        rows, wrong, info = self._rows(self._candidates(ids), block, verify=True)
        if wrong:  # the factory created something else too: read the real addresses, then the rows
            more, _, info = self._rows(wrong, block, verify=True)
            rows.update(more)
        return rows, info

    def _rows(self, targets: dict[int, str], block: BlockId, *,
              verify: bool) -> tuple[dict[int, LoanInfo], dict[int, str], BlockInfo]:
        """Rows by key; with ``verify`` the keys are loan ids, checked against ``factory.loans(id)``, and the ids
        whose address was guessed wrong come back with their real address."""
        calls: builtins.list[Call] = []
        for key, address in targets.items():
            if verify:
                calls.append(Call(self.factory, FACTORY.function("loans"), (key,)))
            calls += [Call(address, LOAN.function(name)) for name in _ROW]
        results, info = self._s.core.read_at(calls, block, allow_failure=True)
        width = len(_ROW) + (1 if verify else 0)
        rows: dict[int, LoanInfo] = {}
        wrong: dict[int, str] = {}
        for n, (key, address) in enumerate(targets.items()):
            chunk = results[n * width:(n + 1) * width]
            if verify:
                real = chunk[0]
                if isinstance(real, DisfrutaError):
                    raise real
                if int(real, 16) == 0:
                    continue  # no such loan (yet)
                if to_checksum_address(real) != address:
                    wrong[key] = to_checksum_address(real)
                    continue
                chunk = chunk[1:]
            for value in chunk:
                if isinstance(value, DisfrutaError):
                    raise value
            rows[key] = self._info(address, chunk)
            if verify:
                with self._lock:
                    self._addresses[key] = address
        return rows, wrong, info

    @staticmethod
    def _info(address: str, values: Sequence[Any]) -> LoanInfo:
        row = dict(zip(_ROW, values, strict=True))
        terms = decode_struct(LoanTerms, row["terms"])
        position = decode_struct(LoanPosition, row["position"])
        funding = row["funding"]
        return LoanInfo(
            loan_id=terms.loan_id, address=address, borrower=terms.borrower, status=position.status,
            grade=terms.grade, purpose=PURPOSES[terms.purpose] if terms.purpose < len(PURPOSES) else str(terms.purpose),
            goal=terms.goal, principal=terms.principal, funded=funding["funded"],
            annual_rate_bps=terms.annual_rate_bps, term_months=terms.term_months,
            monthly_payment=terms.monthly_payment, funding_deadline=funding["deadline"], funded_at=position.funded_at,
            start_time=position.start_time, principal_outstanding=position.principal_outstanding,
            interest_owed=position.interest_owed, late_fees_owed=position.late_fees_owed,
            amount_due=row["amountDue"], payoff_amount=row["payoffAmount"], next_due_date=row["nextDueDate"],
            days_past_due=row["daysPastDue"], paused=row["isPaused"],
            fees_accrued=position.fees_accrued, paid_toward_schedule=position.paid_toward_schedule,
        )

    def list(self, *, status: LoanStatus | None = None, min_grade: Grade | None = None,
             max_grade: Grade | None = None, min_rate_bps: int | None = None, max_rate_bps: int | None = None,
             max_term_months: int | None = None, purpose: int | None = None, borrower: str | None = None,
             limit: int = 20, cursor: str | None = None, block: BlockId = "latest") -> Page[LoanInfo]:
        """The marketplace, newest first: at most ``limit`` loans matching every filter given, and the cursor of the
        next page (``None`` when every loan has been seen). An unfiltered page of 20 costs two round trips (one with
        a cursor); filters read further windows of loans until the page is full, up to ``scan_budget`` loans per
        call: past that the page comes back shorter, with the cursor to go on from (a selective filter over a big
        market is the index's job)."""
        if not 1 <= limit <= 500:
            raise ValueError(f"limit must be 1 … 500, got {limit}")
        index = self._s.core.index
        if index is not None and block == "latest":
            # The index picks the page (its cursor is its own); the rows are read live, in one round trip.
            filters = {"status": status, "min_grade": min_grade, "max_grade": max_grade, "min_rate_bps": min_rate_bps,
                       "max_rate_bps": max_rate_bps, "max_term_months": max_term_months, "purpose": purpose,
                       "borrower": borrower}
            ids, next_cursor = index.loan_ids(filters, limit, cursor)
            return Page(items=self.many(ids) if ids else [], next_cursor=next_cursor)
        count = self.count(block) if cursor is None else None
        start = count if count is not None else _parse_cursor(cursor)  # type: ignore[arg-type]
        who = to_checksum_address(borrower) if borrower is not None else None

        def wanted(x: LoanInfo) -> bool:
            return ((status is None or x.status == status)
                    and (min_grade is None or x.grade >= min_grade) and (max_grade is None or x.grade <= max_grade)
                    and (min_rate_bps is None or x.annual_rate_bps >= min_rate_bps)
                    and (max_rate_bps is None or x.annual_rate_bps <= max_rate_bps)
                    and (max_term_months is None or x.term_months <= max_term_months)
                    and (purpose is None or x.purpose == _purpose_name(purpose))
                    and (who is None or x.borrower == who))

        items: builtins.list[LoanInfo] = []
        next_id, window = start, limit
        scanned = 0
        while next_id >= 1 and len(items) < limit and scanned < self.scan_budget:
            ids = list(range(next_id, max(0, next_id - window), -1))
            rows, _ = self._rows_by_id(ids, block)
            if not rows and count is None:  # a cursor past the newest loan: start at the newest
                count = self.count(block)
                if next_id > count:
                    next_id = count
                    continue
            for loan_id in ids:
                next_id = loan_id - 1
                row = rows.get(loan_id)
                if row is not None and wanted(row):
                    items.append(row)
                    if len(items) == limit:
                        break
            scanned += len(ids)
            window = min(window * 2, 200)
        return Page(items=items, next_cursor=str(next_id) if next_id >= 1 else None)

    def iterate(self, *, page_size: int = 100, **filters: Any) -> Iterator[LoanInfo]:
        """Every loan matching ``filters`` (as `list`), page by page."""
        cursor: str | None = None
        while True:
            page = self.list(limit=page_size, cursor=cursor, **filters)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def terms(self, loan: Loan, block: BlockId = "latest") -> LoanTerms:
        """The loan's terms (``ILoan.Terms``)."""
        return decode_struct(LoanTerms, self._s.core.call(self.address(loan), "Loan", "terms", block=block))

    def position(self, loan: Loan, block: BlockId = "latest") -> LoanPosition:
        """Where the loan stands (``ILoan.Position``)."""
        return decode_struct(LoanPosition, self._s.core.call(self.address(loan), "Loan", "position", block=block))

    def config(self, loan: Loan, block: BlockId = "latest") -> LoanConfig:
        """The rules baked into the loan (fees, note size, grace period, default threshold, windows)."""
        return decode_struct(LoanConfig, self._s.core.call(self.address(loan), "Loan", "config", block=block))

    def notes(self, loan: Loan, holder: str, block: BlockId = "latest") -> int:
        """How many notes of ``loan`` ``holder`` has (1 note = 1 token unit of principal funded)."""
        return int(self._s.core.call(self.address(loan), "Loan", "balanceOf", to_checksum_address(holder),
                                     block=block))

    def claimable(self, loan: Loan, lender: str, block: BlockId = "latest") -> int:
        """What ``lender`` can claim from ``loan`` now (token units)."""
        return int(self._s.core.call(self.address(loan), "Loan", "claimable", to_checksum_address(lender),
                                     block=block))

    def schedule(self, loan: Loan, block: BlockId = "latest") -> builtins.list[Installment]:
        """The amortization schedule, each installment marked paid (covered by what was paid toward the schedule)
        or late (its due date passed uncovered): one round trip."""
        address = self.address(loan)
        (sched, position), now = self._s.core.read_at(
            [Call(address, LOAN.function("schedule")), Call(address, LOAN.function("position"))], block)
        pos = decode_struct(LoanPosition, position)
        due_dates, interests, principals = sched["dueDates"], sched["interestParts"], sched["principalParts"]
        out, cumulative = [], 0
        for i, (due, interest, principal) in enumerate(zip(due_dates, interests, principals, strict=True)):
            cumulative += interest + principal
            paid = pos.status == LoanStatus.REPAID or (due != 0 and pos.paid_toward_schedule >= cumulative)
            out.append(Installment(number=i + 1, due_date=due, payment=interest + principal, interest=interest,
                                   principal=principal, paid=paid, late=not paid and due != 0 and now.timestamp > due))
        return out

    # ------------------------------------------------------------------------------------------- borrower

    def apply(self, amount: int, term_months: int, purpose: int = 0, funding_period: int = 14 * 86_400) -> R:
        """Applies for a loan; the receipt's ``return_value`` is an `AppliedLoan` (``loan_id``, ``address``)."""
        _positive("amount", amount)
        _purpose_name(purpose)

        def created(receipt: Any) -> AppliedLoan:
            event = receipt.one("LoanCreated")
            with self._lock:
                self._addresses[event.args["loanId"]] = event.args["loan"]
            return AppliedLoan(loan_id=int(event.args["loanId"]), address=event.args["loan"])

        return self._s.send(TxCall(self.factory, FACTORY.function("createLoan"),
                                   (amount, term_months, purpose, funding_period)),
                            post=with_return_value(created))

    def accept_partial(self, loan: Loan) -> R:
        """At ≥ 70 % funded after the deadline, the borrower takes the smaller loan."""
        return self._loan_tx(loan, "acceptPartialFunding")

    def draw(self, loan: Loan) -> R:
        """Draws the principal (less the origination fee); the first installment falls due 30 days later."""
        return self._loan_tx(loan, "withdrawFunds")

    def repay(self, loan: Loan, amount: int) -> R:
        """Pays ``amount`` (late fees → interest → principal; anything beyond prepays); approves it first if needed."""
        _positive("amount", amount)
        address = self.address(loan)
        self._token.ensure_allowance(address, amount)
        return self._s.send(TxCall(address, LOAN.function("makeRepayment"), (amount,)))

    def repay_installment(self, loan: Loan) -> R:
        """Pays what is due now, or the next installment early when nothing is due yet."""
        info = self.get(loan)
        if info.status not in _REPAYABLE:
            raise ConfigurationError(f"loan #{info.loan_id} is {info.status.name.lower()}: nothing to repay")
        due = info.amount_due or min(info.monthly_payment, info.payoff_amount)
        if due >= info.payoff_amount:
            # The last installment is the whole balance; interest accrues until the block lands, so pay it off
            # rather than a figure read a block early (which would leave a few units owed).
            return self.pay_off(info.address)
        return self.repay(info.address, due)

    def pay_off(self, loan: Loan) -> R:
        """Repays the loan in full (no prepayment penalty)."""
        info = self.get(loan)
        if info.status not in _REPAYABLE:
            raise ConfigurationError(f"loan #{info.loan_id} is {info.status.name.lower()}: nothing to pay off")
        # A few seconds' more interest may accrue before the transaction lands: allow a margin; the loan takes only
        # what is owed (makeRepayment caps the amount at the payoff).
        self._token.ensure_allowance(info.address, info.payoff_amount + info.payoff_amount // 10_000 + 1)
        return self._s.send(TxCall(info.address, LOAN.function("makeRepayment"), (MAX_UINT,)))

    # ------------------------------------------------------------------------------------------- lender

    def fund(self, loan: Loan, amount: int) -> R:
        """Funds ``amount`` (a multiple of the minimum note) from the wallet; the notes come to this account."""
        _positive("amount", amount)
        address = self.address(loan)
        self._token.ensure_allowance(address, amount)
        return self._s.send(TxCall(address, LOAN.function("fundLoan"), (amount,)))

    def claim(self, loan: Loan) -> R:
        """Claims this account's share of the repayments received so far into the wallet."""
        return self._loan_tx(loan, "claim")

    def claim_all(self, loans: Sequence[Loan] | None = None) -> builtins.list[R]:
        """Claims from every loan with something claimable (by default the loans this account holds notes in)."""
        me = self._s.address
        targets = [self.address(x) for x in loans] if loans is not None else self.held_by(me)
        if not targets:
            return []
        amounts = self._s.core.read([Call(a, LOAN.function("claimable"), (me,)) for a in targets])
        return [self._s.send(TxCall(a, LOAN.function("claim"))) for a, amt in zip(targets, amounts, strict=True)
                if amt > 0]

    def held_by(self, holder: str) -> builtins.list[str]:
        """The loans ``holder`` ever received notes of (from the note transfer events: one round trip, plus one to
        keep only this market's loans)."""
        holder = to_checksum_address(holder)
        topic = "0x" + to_canonical_address(holder).rjust(32, b"\0").hex()
        events = self._s.core.get_logs(names=["Transfer"], topics=[None, topic])
        candidates = sorted({e.address for e in events})
        if not candidates:
            return []
        ids = self._s.core.read([Call(self.factory, FACTORY.function("loanIdOf"), (a,)) for a in candidates])
        out = []
        for address, loan_id in zip(candidates, ids, strict=True):
            if loan_id:
                with self._lock:
                    self._addresses[int(loan_id)] = address
                out.append(address)
        return out

    def refund(self, loan: Loan) -> R:
        """Takes back what this account funded in a loan that expired or was rejected."""
        return self._loan_tx(loan, "refund")

    def set_funder(self, loan: Loan, funder: str, approved: bool = True) -> R:
        """Lets ``funder`` (an operator of this account's choosing, never the borrower) buy notes in ``loan`` for this
        account with its own money (``fundLoanFor``); ``approved=False`` withdraws the permission."""
        return self._s.send(TxCall(self.address(loan), LOAN.function("setFunder"),
                                   (to_checksum_address(funder), bool(approved))))

    def fund_for(self, loan: Loan, lender: str, amount: int) -> R:
        """Buys ``amount`` of notes for ``lender``, paid by this account (it must be the lender's approved funder)."""
        _positive("amount", amount)
        address = self.address(loan)
        self._token.ensure_allowance(address, amount)
        return self._s.send(TxCall(address, LOAN.function("fundLoanFor"), (to_checksum_address(lender), amount)))

    def transfer_notes(self, loan: Loan, to: str, amount: int) -> R:
        """Moves ``amount`` notes to another verified lender (the claim state moves with them)."""
        _positive("amount", amount)
        return self._s.send(TxCall(self.address(loan), LOAN.function("transfer"), (to_checksum_address(to), amount)))

    # ------------------------------------------------------------------------------------------- operations

    def approve(self, loan_id: int) -> R:
        """Underwriter: opens the loan for funding (its deadline starts)."""
        self._check_id(loan_id)
        return self._s.send(TxCall(self.factory, FACTORY.function("approveLoan"), (loan_id,)))

    def reject(self, loan_id: int, reason: str | bytes = b"") -> R:
        """Underwriter: rejects an application (``reason`` up to 32 bytes, recorded on chain)."""
        self._check_id(loan_id)
        raw = reason.encode() if isinstance(reason, str) else reason
        if len(raw) > 32:
            raise ValueError(f"a rejection reason is at most 32 bytes, got {len(raw)}")
        return self._s.send(TxCall(self.factory, FACTORY.function("rejectLoan"), (loan_id, raw.ljust(32, b"\0"))))

    def pause(self, loan_id: int) -> R:
        """Underwriter or guardian: stops funding and drawdown of one loan (repayments and claims go on)."""
        self._check_id(loan_id)
        return self._s.send(TxCall(self.factory, FACTORY.function("pauseLoan"), (loan_id,)))

    def unpause(self, loan_id: int) -> R:
        """Lifts a loan's pause."""
        self._check_id(loan_id)
        return self._s.send(TxCall(self.factory, FACTORY.function("unpauseLoan"), (loan_id,)))

    def expire(self, loan: Loan) -> R:
        """Anyone: closes a loan whose funding failed or whose borrower never drew; lenders then take refunds."""
        return self._loan_tx(loan, "expire")

    def declare_default(self, loan: Loan) -> R:
        """Anyone: declares a loan past the default threshold in default; the Treasury's cover goes to its lenders."""
        return self._loan_tx(loan, "handleDefault")

    def sweep_fees(self, loan: Loan) -> R:
        """Anyone: moves the servicing fees (and the reserve's share of recoveries) a loan has accrued to the
        Treasury."""
        return self._loan_tx(loan, "sweepFees")

    def write_off(self, loan_id: int) -> R:
        """Governance (the factory's admin, i.e. the timelock): writes off a loan in default, so its principal stops
        counting against the borrower's limit. The registry keeps the default on record."""
        self._check_id(loan_id)
        return self._s.send(TxCall(self.factory, FACTORY.function("writeOffLoan"), (loan_id,)))

    def sweep_surplus(self, loan_id: int) -> R:
        """Governance: sends a repaid, rejected or expired loan's unaccounted surplus (dust, tokens sent to it by
        mistake) to the Treasury; what any holder can still claim stays."""
        self._check_id(loan_id)
        return self._s.send(TxCall(self.factory, FACTORY.function("sweepLoanSurplus"), (loan_id,)))

    def recovery(self, loan: Loan, block: BlockId = "latest") -> Recovery:
        """A defaulted loan's subrogation: the reserve's cover, the principal at default (the reserve owns
        cover / principal of every recovery) and its share not yet swept; zeros before a default."""
        r = self._s.core.call(self.address(loan), "Loan", "recovery", block=block)
        return Recovery(cover=int(r["cover"]), principal_at_default=int(r["principalAtDefault"]),
                        reserve_accrued=int(r["reserveAccrued"]))

    def _loan_tx(self, loan: Loan, function: str) -> R:
        return self._s.send(TxCall(self.address(loan), LOAN.function(function)))


# A defaulted loan still takes repayments (recoveries), like an active one.
_REPAYABLE = (LoanStatus.ACTIVE, LoanStatus.DEFAULTED)


def _positive(name: str, amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"{name} must be a positive whole number of token units, got {amount!r}")


def _purpose_name(code: int) -> str:
    if not 0 <= code < len(PURPOSES):
        raise ValueError(f"purpose must be 0 … {len(PURPOSES) - 1} "
                         f"({', '.join(f'{i} {p}' for i, p in enumerate(PURPOSES))}), got {code}")
    return PURPOSES[code]


def _parse_cursor(cursor: str) -> int:
    try:
        value = int(cursor)
    except ValueError:
        raise ValueError(f"not a cursor of this listing: {cursor!r}") from None
    if value < 1:
        raise ValueError(f"not a cursor of this listing: {cursor!r}")
    return value
