"""Reads of the note market and autopay (issue #16): listings, trades, enrolments with their collections, and one
loan's part of them. Pure SQL over the index's tables, as `disfruta.index.queries`: newest first, pages of ``limit``
rows with an opaque cursor (one more row read to know whether another page exists).

A listing is *open* when it is active (notes left, neither cancelled nor sold out) and not past its expiry at the
indexed block's time (the contract refuses a purchase after ``expiry``). Whether the seller still holds the notes
(``seller_notes``) and whether the loan still trades (``loan_status``: only active loans do) are shown beside it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, not_, or_, select, tuple_

from disfruta.index import schema as s
from disfruta.index.market_handlers import ACTIVE
from disfruta.index.queries import BadQuery, checksum
from disfruta.models import LoanStatus

LISTINGS, TRADES, AUTOPAY = "listings:v1:", "trades:v1:", "autopay:v1:"


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def _encode(prefix: str, *keys: int) -> str:
    text = prefix + ":".join(str(k) for k in keys)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(prefix: str, cursor: str, n: int) -> tuple[int, ...]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadQuery(f"not a cursor of this listing: {cursor!r}") from None
    parts = text[len(prefix):].split(":") if text.startswith(prefix) else []
    if len(parts) != n or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        raise BadQuery(f"not a cursor of this listing: {cursor!r}")
    return tuple(int(p) for p in parts)


def _limit(limit: int) -> None:
    if not 1 <= limit <= 500:
        raise BadQuery(f"limit must be 1 … 500, got {limit}")


def loan_id_of(conn: Connection, loan: int | str) -> int:
    """The id of ``loan`` (an id, its decimal text, or the loan's address); -1 (matches nothing) when unknown."""
    if isinstance(loan, int) or (loan.isascii() and loan.isdigit()):
        return int(loan)
    found = conn.execute(select(s.loans.c.loan_id).where(s.loans.c.address == checksum(loan))).scalar()
    return -1 if found is None else int(found)


def indexed_time(conn: Connection) -> int | None:
    """The timestamp of the index's cursor block (``None`` before the first range)."""
    return conn.execute(select(s.blocks.c.timestamp).join(s.sync_state, s.sync_state.c.cursor ==
                                                          s.blocks.c.number)).scalar()


# ------------------------------------------------------------------------------------------------ listings


def _open(now: int) -> Any:
    c = s.market_listings.c
    return and_(c.status == ACTIVE, or_(c.expiry == 0, c.expiry >= now))


def _listings_query() -> Any:
    ml, p = s.market_listings, s.note_positions
    return (select(ml, s.loans.c.address.label("loan"), s.loans.c.status.label("loan_status"),
                   p.c.notes.label("seller_notes"))
            .join(s.loans, s.loans.c.loan_id == ml.c.loan_id)
            .outerjoin(p, and_(p.c.loan_id == ml.c.loan_id, p.c.holder == ml.c.seller)))


def list_listings(conn: Connection, *, now: int, loan: int | str | None = None, seller: str | None = None,
                  active: bool | None = None, limit: int = 20, cursor: str | None = None) -> Page:
    """Listings, the newest listed (or listed again) first; ``active``: only the open ones (True) or only the others
    (False), at time ``now``."""
    _limit(limit)
    c = s.market_listings.c
    where: list[Any] = []
    if loan is not None:
        where.append(c.loan_id == loan_id_of(conn, loan))
    if seller is not None:
        where.append(c.seller == checksum(seller))
    if active is not None:
        where.append(_open(now) if active else not_(_open(now)))
    if cursor is not None:
        where.append(tuple_(c.listed_block, c.listed_log_index) < _decode(LISTINGS, cursor, 2))
    rows = [dict(r._mapping) for r in conn.execute(
        _listings_query().where(*where).order_by(c.listed_block.desc(), c.listed_log_index.desc()).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return Page(rows, _encode(LISTINGS, last["listed_block"], last["listed_log_index"]) if more and last else None)


def listing_json(row: dict[str, Any], now: int) -> dict[str, Any]:
    expired = row["expiry"] != 0 and row["expiry"] < now
    return {
        "loan_id": row["loan_id"], "loan": row["loan"], "seller": row["seller"], "notes": str(row["notes"]),
        "listed_notes": str(row["listed_notes"]), "premium_bps": row["premium_bps"], "expiry": row["expiry"],
        "version": row["version"], "status": row["status"], "expired": expired,
        "open": row["status"] == ACTIVE and not expired,
        "seller_notes": str(row["seller_notes"] or 0), "loan_status": LoanStatus(row["loan_status"]).name.lower(),
        "listed_block": row["listed_block"], "listed_at": row["listed_at"], "updated_block": row["updated_block"],
        "updated_at": row["updated_at"],
    }


# ------------------------------------------------------------------------------------------------ trades


def list_trades(conn: Connection, *, loan: int | str | None = None, account: str | None = None, limit: int = 20,
                cursor: str | None = None) -> Page:
    """Sales on the note market, newest first; ``account``: those where it sold or bought."""
    _limit(limit)
    t = s.market_trades.c
    where: list[Any] = []
    if loan is not None:
        where.append(t.loan_id == loan_id_of(conn, loan))
    if account is not None:
        who = checksum(account)
        where.append(or_(t.seller == who, t.buyer == who))
    if cursor is not None:
        where.append(tuple_(t.block, t.log_index) < _decode(TRADES, cursor, 2))
    query = (select(s.market_trades, s.loans.c.address.label("loan"))
             .join(s.loans, s.loans.c.loan_id == t.loan_id).where(*where)
             .order_by(t.block.desc(), t.log_index.desc()).limit(limit + 1))
    rows = [dict(r._mapping) for r in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return Page(rows, _encode(TRADES, last["block"], last["log_index"]) if more and last else None)


def trade_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"loan_id": row["loan_id"], "loan": row["loan"], "seller": row["seller"], "buyer": row["buyer"],
            "notes": str(row["notes"]), "price": str(row["price"]), "fee": str(row["fee"]),
            "version": row["version"], "block": row["block"], "timestamp": row["timestamp"],
            "tx_hash": row["tx_hash"], "log_index": row["log_index"]}


# ------------------------------------------------------------------------------------------------ autopay


def list_autopay(conn: Connection, *, borrower: str | None = None, loan: int | str | None = None,
                 active: bool | None = None, limit: int = 20, cursor: str | None = None) -> Page:
    """Autopay enrolments (each with its collections, oldest first), the newest loan first."""
    _limit(limit)
    c = s.autopay_enrolments.c
    where: list[Any] = []
    if borrower is not None:
        where.append(c.borrower == checksum(borrower))
    if loan is not None:
        where.append(c.loan_id == loan_id_of(conn, loan))
    if active is not None:
        where.append(c.active == active)
    if cursor is not None:
        where.append(c.loan_id < _decode(AUTOPAY, cursor, 1)[0])
    query = (select(s.autopay_enrolments, s.loans.c.address.label("loan"))
             .join(s.loans, s.loans.c.loan_id == c.loan_id).where(*where).order_by(c.loan_id.desc())
             .limit(limit + 1))
    rows = [dict(r._mapping) for r in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    _add_collections(conn, rows)
    return Page(rows, _encode(AUTOPAY, rows[-1]["loan_id"]) if more and rows else None)


def _add_collections(conn: Connection, rows: list[dict[str, Any]]) -> None:
    by_loan: dict[int, list[dict[str, Any]]] = {r["loan_id"]: [] for r in rows}
    if not by_loan:
        return
    ac = s.autopay_collections.c
    for r in conn.execute(select(s.autopay_collections).where(ac.loan_id.in_(list(by_loan)))
                          .order_by(ac.block, ac.log_index)):
        by_loan[r.loan_id].append(dict(r._mapping))
    for row in rows:
        row["collections"] = by_loan[row["loan_id"]]


def enrolment_json(row: dict[str, Any]) -> dict[str, Any]:
    collections = row.get("collections", [])
    return {"loan_id": row["loan_id"], "loan": row["loan"], "borrower": row["borrower"], "cap": str(row["cap"]),
            "active": row["active"], "enrolled_block": row["enrolled_block"], "enrolled_at": row["enrolled_at"],
            "cancelled_at": row["cancelled_at"], "collected": str(sum(x["amount"] for x in collections)),
            "collections": [{"due_date": x["due_date"], "amount": str(x["amount"]), "caller": x["caller"],
                             "block": x["block"], "timestamp": x["timestamp"], "tx_hash": x["tx_hash"],
                             "log_index": x["log_index"]} for x in collections]}


# ------------------------------------------------------------------------------------------------ one loan


def loan_market(conn: Connection, loan_id: int, now: int) -> dict[str, Any]:
    """A loan's open listings (cheapest premium first) and its autopay enrolment (``None`` if never enrolled)."""
    c = s.market_listings.c
    listings = conn.execute(_listings_query().where(c.loan_id == loan_id).where(_open(now))
                            .order_by(c.premium_bps, c.listed_block, c.listed_log_index)).all()
    enrolment = list_autopay(conn, loan=loan_id, limit=1).rows
    return {"listings": [listing_json(dict(r._mapping), now) for r in listings],
            "autopay": enrolment_json(enrolment[0]) if enrolment else None}
