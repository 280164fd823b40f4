"""The handlers of the note market (listings, sales, the seller fee) and of autopay (enrolments, collections, the lead
time), issue #16. One small handler per event, as in `disfruta.index.handlers` (which merges these into its table).

A sale's notes move through the loan's own ``Transfer``, logged right after ``NotesSold``: the note positions (and the
claim checkpoints that move with them) are the loan's `Transfer` handler's, as for any transfer; here the listing
shrinks and the trade is recorded with its price and fee. The seller fee reaches the Treasury's ``FeeCollected``
(fee type Trading) in the same transaction. Autopay's repayment is the loan's own ``RepaymentMade`` (its payer the
Autopay contract), logged before ``AutopayCollected``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from disfruta.index import schema as s
from disfruta.index.writer import IndexedEvent, Writer

ACTIVE, CANCELLED, SOLD_OUT = "active", "cancelled", "sold_out"
LISTING_STATUSES = (ACTIVE, CANCELLED, SOLD_OUT)

Handler = Callable[[Writer, IndexedEvent], None]
MARKET_HANDLERS: dict[tuple[str, str], Handler] = {}


def on(contract: str, name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        MARKET_HANDLERS[(contract, name)] = fn
        return fn

    return register


def _loan_id(w: Writer, e: IndexedEvent) -> int | None:
    """The id of the event's loan; ``None`` for an address the index doesn't know (both contracts accept only the
    factory's loans, so this is only a guard)."""
    return w.loan_ids.get(str(e.args["loan"]))


def _settings(w: Writer) -> dict[str, Any]:
    return w.upsert(s.market_settings, 1)


# ------------------------------------------------------------------------------------------------ NoteMarket


@on("NoteMarket", "Listed")
def listed(w: Writer, e: IndexedEvent) -> None:
    a, loan_id = e.args, _loan_id(w, e)
    if loan_id is None:
        return
    notes = int(a["notes"])
    values = {"notes": notes, "listed_notes": notes, "premium_bps": int(a["premiumBps"]),
              "expiry": int(a["expiry"]), "version": int(a["version"]), "status": ACTIVE, "listed_block": e.block,
              "listed_log_index": e.log_index, "listed_at": e.timestamp, "updated_block": e.block,
              "updated_at": e.timestamp}
    w.upsert(s.market_listings, loan_id, str(a["seller"]), **values).update(values)


def _listing(w: Writer, e: IndexedEvent) -> dict[str, Any] | None:
    loan_id = _loan_id(w, e)
    row = None if loan_id is None else w.row(s.market_listings, loan_id, str(e.args["seller"]))
    if row is not None:
        row.update(updated_block=e.block, updated_at=e.timestamp)
    return row


@on("NoteMarket", "ListingCancelled")
def listing_cancelled(w: Writer, e: IndexedEvent) -> None:
    row = _listing(w, e)
    if row is not None:
        row.update(notes=0, status=CANCELLED)


@on("NoteMarket", "NotesSold")
def notes_sold(w: Writer, e: IndexedEvent) -> None:
    a, loan_id = e.args, _loan_id(w, e)
    if loan_id is None:
        return
    notes = int(a["notes"])
    row = _listing(w, e)
    if row is not None:
        row["notes"] = max(row["notes"] - notes, 0)  # the contract: listing.notes − notes (the sale checked ≤)
        if row["notes"] == 0:
            row["status"] = SOLD_OUT
    w.fact(s.market_trades, e, loan_id=loan_id, seller=a["seller"], buyer=a["buyer"], notes=notes,
           price=int(a["price"]), fee=int(a["fee"]), version=int(a["version"]))


@on("NoteMarket", "SellerFeeSet")
def seller_fee_set(w: Writer, e: IndexedEvent) -> None:
    _settings(w)["seller_fee_bps"] = int(e.args["feeBps"])


# ------------------------------------------------------------------------------------------------ Autopay


@on("Autopay", "AutopayEnrolled")
def autopay_enrolled(w: Writer, e: IndexedEvent) -> None:
    """An enrolment, or a new cap for one that stands (its ``enrolled_at`` is kept)."""
    a, loan_id = e.args, _loan_id(w, e)
    if loan_id is None:
        return
    row = w.upsert(s.autopay_enrolments, loan_id, borrower=a["borrower"], updated_block=e.block)
    if not row["active"]:
        row.update(active=True, enrolled_block=e.block, enrolled_at=e.timestamp)
    row.update(borrower=a["borrower"], cap=int(a["cap"]), updated_block=e.block)


@on("Autopay", "AutopayCancelled")
def autopay_cancelled(w: Writer, e: IndexedEvent) -> None:
    loan_id = _loan_id(w, e)
    row = None if loan_id is None else w.row(s.autopay_enrolments, loan_id)
    if row is not None:
        row.update(active=False, cancelled_at=e.timestamp, updated_block=e.block)


@on("Autopay", "AutopayCollected")
def autopay_collected(w: Writer, e: IndexedEvent) -> None:
    a, loan_id = e.args, _loan_id(w, e)
    if loan_id is None:
        return
    w.fact(s.autopay_collections, e, loan_id=loan_id, borrower=a["borrower"], caller=a["caller"],
           due_date=int(a["dueDate"]), amount=int(a["amount"]))


@on("Autopay", "LeadTimeSet")
def lead_time_set(w: Writer, e: IndexedEvent) -> None:
    _settings(w)["autopay_lead_time"] = int(e.args["leadTime"])
