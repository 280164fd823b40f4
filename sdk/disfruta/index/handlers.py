"""One small handler per event (Ponder's idea): each turns one decoded event into fact rows and state changes.

Handlers never read the chain: everything they need is in the event, in the state rows earlier events built, and in
the block's timestamp. They run inside the range's database transaction through a `disfruta.index.writer.Writer`,
which caches the state rows a range touches and writes them (and the fact rows) when the range commits. An event with no handler is still
stored in ``events`` (so a new contract event is recorded before anyone writes its handler).

Amounts follow the contracts' own arithmetic exactly (the note accumulator and the holders' checkpoints in 1e27
fixed point, the treasury's reserve share), so `disfruta.index.verify` can demand equality with the chain's views.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from disfruta.index import schema as s
from disfruta.index.account_handlers import ACCOUNT_HANDLERS
from disfruta.index.market_handlers import MARKET_HANDLERS
from disfruta.index.writer import IndexedEvent, Writer

ACC_PRECISION = 10**27
PERIOD = 30 * 86_400  # one installment period (InterestMath.PERIOD)
ZERO_ADDRESS = "0x" + "00" * 20

# ILoan.Status
PENDING, FUNDING, FUNDED, ACTIVE, REPAID, DEFAULTED, REJECTED, EXPIRED = range(8)

# The loan's rules (issue #15): the borrower's principal stays at default (the reserve's cover is subrogation),
# recoveries are split between the noteholders and the reserve, and each holder's sub-unit remainder is carried
# across checkpoints (`NoteMath`).


Handler = Callable[[Writer, IndexedEvent], None]
HANDLERS: dict[tuple[str, str], Handler] = {}


def on(contract: str, name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[(contract, name)] = fn
        return fn

    return register


def apply(w: Writer, event: IndexedEvent) -> bool:
    """Runs the event's handler; ``False`` when it has none (the event is only recorded)."""
    handler = HANDLERS.get((event.contract, event.name))
    if handler is None:
        return False
    handler(w, event)
    return True


# ------------------------------------------------------------------------------------------------ LoanFactory


@on("LoanFactory", "LoanCreated")
def loan_created(w: Writer, e: IndexedEvent) -> None:
    a = e.args
    loan_id, address = int(a["loanId"]), str(a["loan"])
    w.upsert(s.loans, loan_id, address=address, borrower=a["borrower"], status=PENDING, grade=int(a["grade"]),
             purpose=int(a["purpose"]), annual_rate_bps=int(a["annualRateBps"]), term_months=int(a["termMonths"]),
             goal=int(a["amount"]), principal=0, created_block=e.block, created_at=e.timestamp,
             updated_block=e.block)
    w.loan_ids[address] = loan_id
    w.new_loans.append(address)


@on("LoanFactory", "LoanClosed")
def loan_closed(w: Writer, e: IndexedEvent) -> None:
    row = w.row(s.loans, int(e.args["loanId"]))
    if row is not None:
        row.update(closed_at=e.timestamp, updated_block=e.block)


# ------------------------------------------------------------------------------------------------ Loan


def _loan_handler(name: str) -> Callable[[Callable[[Writer, IndexedEvent, dict[str, Any]], None]], Handler]:
    """A Loan event's handler, given the loan's row (an event of an address the index doesn't know is skipped)."""

    def register(fn: Callable[[Writer, IndexedEvent, dict[str, Any]], None]) -> Handler:
        def handler(w: Writer, e: IndexedEvent) -> None:
            row = w.loan(e.address)
            if row is None:
                return
            fn(w, e, row)
            row["updated_block"] = e.block

        HANDLERS[("Loan", name)] = handler
        return handler

    return register


def _status(status: int) -> Callable[[Writer, IndexedEvent, dict[str, Any]], None]:
    def set_status(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
        row["status"] = status

    return set_status


_loan_handler("LoanRejected")(_status(REJECTED))
_loan_handler("LoanRepaid")(_status(REPAID))
_loan_handler("LoanExpired")(_status(EXPIRED))


@_loan_handler("LoanOpened")
def loan_opened(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    row.update(status=FUNDING, funding_deadline=int(e.args["deadline"]))


@_loan_handler("LoanPaused")
def loan_paused(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    row["paused"] = bool(e.args["paused"])


@_loan_handler("LoanFunded")
def loan_funded(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    a = e.args
    row["funded"] = int(a["totalFunded"])
    _position(w, row, str(a["lender"]))["funded"] += int(a["amount"])
    w.fact(s.fundings, e, loan_id=row["loan_id"], lender=a["lender"], payer=a["payer"], amount=int(a["amount"]))


@_loan_handler("FundingCompleted")
def funding_completed(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    row.update(status=FUNDED, principal=int(e.args["principal"]), funded_at=e.timestamp)


@_loan_handler("FundsWithdrawn")
def funds_withdrawn(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    a = e.args
    row.update(status=ACTIVE, start_time=e.timestamp, principal=int(a["principal"]),
               principal_outstanding=int(a["principal"]), monthly_payment=int(a["monthlyPayment"]),
               origination_fee=int(a["originationFee"]), uncovered_due=e.timestamp + PERIOD)


@_loan_handler("LateFeeAssessed")
def late_fee_assessed(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    row["late_fees_assessed"] += int(e.args["amount"])


@_loan_handler("RepaymentMade")
def repayment_made(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    a = e.args
    paid, fee = int(a["amount"]), int(a["servicingFee"])
    # The contract: _accPerNote += mulDiv(paid - fee, 1e27, principal) (rounded down), before it emits the event;
    # a recovery split with the reserve was credited by its `RecoveryShared`, just before.
    if not w.scratch.pop(("credited", row["loan_id"], e.tx_hash), False):
        row["acc_per_note"] += (paid - fee) * ACC_PRECISION // row["principal"]
    row["interest_paid"] += int(a["interest"])
    row["principal_paid"] += int(a["principal"])
    row["late_fees_paid"] += int(a["lateFees"])
    row["servicing_fees"] += fee
    row["principal_outstanding"] = int(a["principalOutstanding"])
    row["uncovered_due"] = uncovered_due(row)
    w.fact(s.repayments, e, loan_id=row["loan_id"], payer=a["payer"], amount=paid, late_fees=int(a["lateFees"]),
           interest=int(a["interest"]), principal=int(a["principal"]), servicing_fee=fee,
           principal_outstanding=int(a["principalOutstanding"]), notes_total=row["principal"])


def uncovered_due(loan: dict[str, Any]) -> int:
    """The due date of the first installment not yet covered by what was paid toward the schedule (interest and
    principal; the contract's ``_covered``, which never counts the last installment while anything is owed)."""
    if not loan["monthly_payment"] or not loan["start_time"]:
        return 0
    covered = min((loan["interest_paid"] + loan["principal_paid"]) // loan["monthly_payment"], loan["term_months"] - 1)
    return loan["start_time"] + (covered + 1) * PERIOD


@_loan_handler("LoanDefaulted")
def loan_defaulted(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    a = e.args
    outstanding, cover = int(a["principalOutstanding"]), int(a["reserveCover"])
    if cover:
        row["acc_per_note"] += cover * ACC_PRECISION // row["principal"]
    row.update(status=DEFAULTED, defaulted_principal=outstanding, reserve_cover=cover,
               principal_outstanding=outstanding)
    w.fact(s.defaults, e, loan_id=row["loan_id"], principal_outstanding=outstanding, reserve_cover=cover,
           days_past_due=int(a["daysPastDue"]))


@_loan_handler("RecoveryShared")
def recovery_shared(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    """A recovery after a default, split: the noteholders' part raises the accumulator; the reserve's accrues in the
    loan until swept (`RecoveriesSwept`)."""
    row["acc_per_note"] += int(e.args["toNoteholders"]) * ACC_PRECISION // row["principal"]
    row["reserve_recovered"] += int(e.args["toReserve"])
    w.scratch[("credited", row["loan_id"], e.tx_hash)] = True


@_loan_handler("Transfer")
def notes_moved(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    a = e.args
    sender, receiver, value = str(a["from"]), str(a["to"]), int(a["value"])
    acc = row["acc_per_note"]
    # `LoanNotes._update`: a transfer to oneself changes no balance and is not checkpointed
    if acc != 0 and sender != receiver:
        if sender != ZERO_ADDRESS:
            p = _position(w, row, sender)
            _checkpoint(p, p["notes"] - min(value, p["notes"]), acc)
        if receiver != ZERO_ADDRESS:
            p = _position(w, row, receiver)
            _checkpoint(p, p["notes"] + value, acc)
    if sender != ZERO_ADDRESS:
        _position(w, row, sender)["notes"] -= value
    if receiver != ZERO_ADDRESS:
        _position(w, row, receiver)["notes"] += value
    if sender != ZERO_ADDRESS and receiver != ZERO_ADDRESS:
        _position(w, row, sender)["sold"] += value
        _position(w, row, receiver)["bought"] += value
        w.fact(s.note_transfers, e, loan_id=row["loan_id"], sender=sender, receiver=receiver, amount=value)


@_loan_handler("Claimed")
def claimed(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    a = e.args
    amount = int(a["amount"])
    p = _position(w, row, str(a["lender"]))
    _checkpoint(p, p["notes"], row["acc_per_note"])
    p["owed"] -= amount  # the claim pays out everything owed
    p["claimed"] += amount
    row["claimed"] += amount
    w.fact(s.claims, e, loan_id=row["loan_id"], lender=a["lender"], to=a["to"], amount=amount)


@_loan_handler("Refunded")
def refunded(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    a = e.args
    amount = int(a["amount"])
    _position(w, row, str(a["lender"]))["refunded"] += amount
    row["refunded"] += amount
    row["funded"] -= amount  # the loan's `funding().funded` is its notes outstanding: refunds burn them
    w.fact(s.refunds, e, loan_id=row["loan_id"], lender=a["lender"], amount=amount)


@_loan_handler("FeesSwept")
def fees_swept(w: Writer, e: IndexedEvent, row: dict[str, Any]) -> None:
    row["fees_swept"] += int(e.args["amount"])


def _position(w: Writer, loan: dict[str, Any], holder: str) -> dict[str, Any]:
    return w.upsert(s.note_positions, loan["loan_id"], holder)


def _uncredited(p: Mapping[str, Any], acc: int) -> int:
    """`NoteMath.uncredited`: earnings not yet in ``owed``, scaled by 1e27; a holder with no
    notes keeps only the remainder carried from the last checkpoint."""
    return p["acc_snapshot"] if p["notes"] == 0 else p["notes"] * (acc - p["acc_snapshot"])


def _checkpoint(p: dict[str, Any], new_balance: int, acc: int) -> None:
    """`NoteMath.checkpoint`: whole units become owed; the sub-unit remainder is carried in the snapshot."""
    scaled = _uncredited(p, acc)
    remainder = scaled % ACC_PRECISION
    p["owed"] += scaled // ACC_PRECISION
    p["acc_snapshot"] = remainder if new_balance == 0 else acc - min(remainder // new_balance, acc)


def claimable(position: Mapping[str, Any], acc: int) -> int:
    """What a holder can claim now (``Loan.claimable``, ``NoteMath.claimable``), rounded down."""
    return position["owed"] + _uncredited(position, acc) // ACC_PRECISION


HANDLERS.update(ACCOUNT_HANDLERS)
HANDLERS.update(MARKET_HANDLERS)
