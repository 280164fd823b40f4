"""Reads of the index: the marketplace, one loan's history, a lender's positions and cash flows, a borrower's loans,
protocol statistics. Pure SQL over the index's tables (the read API and the SDK's local-index mode share them);
time-dependent fields come from `disfruta.index.live`.

Listings are newest first with an opaque cursor; a page is ``limit`` rows plus one more read to know whether another
page exists, so a page is never short of what matched unless it is the last one.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from disfruta.codec import to_checksum_address
from disfruta.grades import Grade
from disfruta.index import schema as s
from disfruta.index.handlers import DEFAULTED, claimable
from disfruta.models import PURPOSES, LoanStatus

CURSOR_PREFIX = "loans:v1:"


class BadQuery(ValueError):
    """A filter, cursor or address the index can't answer; the message says what was expected."""


@dataclass(frozen=True)
class LoanFilters:
    """The SDK's marketplace filters (`LoansAPI.list`), every one optional."""

    status: LoanStatus | None = None
    min_grade: Grade | None = None
    max_grade: Grade | None = None
    min_rate_bps: int | None = None
    max_rate_bps: int | None = None
    max_term_months: int | None = None
    term_months: int | None = None
    purpose: int | None = None
    borrower: str | None = None

    def __post_init__(self) -> None:
        if self.min_grade is not None and self.max_grade is not None and self.min_grade > self.max_grade:
            raise BadQuery(f"min_grade {self.min_grade.name} is worse than max_grade {self.max_grade.name}")
        if self.min_rate_bps is not None and self.max_rate_bps is not None and self.min_rate_bps > self.max_rate_bps:
            raise BadQuery(f"min_rate_bps {self.min_rate_bps} is above max_rate_bps {self.max_rate_bps}")
        if self.purpose is not None and not 0 <= self.purpose < len(PURPOSES):
            raise BadQuery(f"purpose must be 0 … {len(PURPOSES) - 1}, got {self.purpose}")

    def where(self) -> list[Any]:
        c = s.loans.c
        out: list[Any] = []
        if self.status is not None:
            out.append(c.status == int(self.status))
        if self.min_grade is not None:
            out.append(c.grade >= int(self.min_grade))
        if self.max_grade is not None:
            out.append(c.grade <= int(self.max_grade))
        if self.min_rate_bps is not None:
            out.append(c.annual_rate_bps >= self.min_rate_bps)
        if self.max_rate_bps is not None:
            out.append(c.annual_rate_bps <= self.max_rate_bps)
        if self.max_term_months is not None:
            out.append(c.term_months <= self.max_term_months)
        if self.term_months is not None:
            out.append(c.term_months == self.term_months)
        if self.purpose is not None:
            out.append(c.purpose == self.purpose)
        if self.borrower is not None:
            out.append(c.borrower == checksum(self.borrower))
        return out


def checksum(address: str) -> str:
    try:
        return to_checksum_address(address)
    except (ValueError, TypeError):
        raise BadQuery(f"not an address: {address!r} (0x and 40 hexadecimal digits)") from None


def encode_cursor(loan_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{loan_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadQuery(f"not a cursor of this listing: {cursor!r}") from None
    if not text.startswith(CURSOR_PREFIX) or not text[len(CURSOR_PREFIX):].isdigit():
        raise BadQuery(f"not a cursor of this listing: {cursor!r}")
    return int(text[len(CURSOR_PREFIX):])


@dataclass(frozen=True)
class LoanPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def list_loans(conn: Connection, filters: LoanFilters, *, limit: int = 20, cursor: str | None = None) -> LoanPage:
    """Loans matching ``filters``, newest first."""
    if not 1 <= limit <= 500:
        raise BadQuery(f"limit must be 1 … 500, got {limit}")
    where = filters.where()
    if cursor is not None:
        where.append(s.loans.c.loan_id < decode_cursor(cursor))
    query = select(s.loans).where(*where).order_by(s.loans.c.loan_id.desc()).limit(limit + 1)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    return LoanPage(rows, encode_cursor(rows[-1]["loan_id"]) if more and rows else None)


def loan_row(conn: Connection, loan: int | str) -> dict[str, Any] | None:
    c = s.loans.c
    where = c.loan_id == loan if isinstance(loan, int) else c.address == checksum(loan)
    row = conn.execute(select(s.loans).where(where)).first()
    return None if row is None else dict(row._mapping)


def loan_history(conn: Connection, loan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event of the loan (its own, and the factory's about it), in chain order, with the block's time."""
    e = s.events.c
    factory_events = and_(e.contract == "LoanFactory", e.name.in_(("LoanCreated", "LoanApproved", "LoanRejected",
                                                                   "LoanPauseSet", "LoanClosed")))
    rows = conn.execute(
        select(s.events, s.blocks.c.timestamp).join(s.blocks, s.blocks.c.number == e.block)
        .where(or_(e.address == loan["address"], factory_events))
        .order_by(e.block, e.log_index)).all()
    out = []
    for r in rows:
        if r.address != loan["address"] and int(r.args.get("loanId", -1)) != loan["loan_id"]:
            continue
        out.append({"event": r.name, "block": r.block, "timestamp": r.timestamp, "tx_hash": r.tx_hash,
                    "log_index": r.log_index, "args": r.args})
    return out


# ------------------------------------------------------------------------------------------------ lenders


@dataclass
class Position:
    loan: dict[str, Any]
    notes: int
    funded: int
    bought: int
    sold: int
    claimed: int
    refunded: int
    claimable: int

    @property
    def principal_outstanding(self) -> int:
        """The holder's pro-rata share of the loan's principal outstanding (notes not yet drawn count in full)."""
        loan = self.loan
        if loan["status"] in (3, DEFAULTED):
            return self.notes * loan["principal_outstanding"] // loan["principal"] if loan["principal"] else 0
        return self.notes if loan["status"] in (1, 2) else 0


@dataclass
class LenderBook:
    lender: str
    positions: list[Position]
    flows: list[tuple[int, int, str, int]]  # (timestamp, signed amount, kind, loan id): the lender's cash flows
    pool: dict[str, Any] | None
    criteria: dict[str, Any] | None = field(default=None)


def lender_book(conn: Connection, lender: str) -> LenderBook:
    """Every note position of ``lender`` with the loan, and their cash flows: fundings out; claims and refunds in;
    notes bought on the note market out at their price, notes sold there in at the price less the seller fee. A
    transfer outside the market has no price on chain: it moves notes (the positions) but no cash."""
    who = checksum(lender)
    rows = conn.execute(select(s.note_positions, s.loans).join(s.loans, s.loans.c.loan_id ==
                                                                s.note_positions.c.loan_id)
                        .where(s.note_positions.c.holder == who).order_by(s.note_positions.c.loan_id)).all()
    positions = []
    for r in rows:
        m = dict(r._mapping)
        loan = {c.name: m[c.name] for c in s.loans.columns}
        positions.append(Position(loan=loan, notes=m["notes"], funded=m["funded"], bought=m["bought"], sold=m["sold"],
                                  claimed=m["claimed"], refunded=m["refunded"],
                                  claimable=claimable(m, loan["acc_per_note"])))
    flows: list[tuple[int, int, str, int]] = []
    for table, kind, sign, col in ((s.fundings, "funding", -1, "lender"), (s.claims, "claim", 1, "lender"),
                                   (s.refunds, "refund", 1, "lender")):
        for r in conn.execute(select(table.c.timestamp, table.c.amount, table.c.loan_id).where(table.c[col] == who)):
            flows.append((r.timestamp, sign * r.amount, kind, r.loan_id))
    t = s.market_trades.c
    for r in conn.execute(select(s.market_trades).where(or_(t.buyer == who, t.seller == who))):
        if r.buyer == who:
            flows.append((r.timestamp, -r.price, "market_buy", r.loan_id))
        if r.seller == who:
            flows.append((r.timestamp, r.price - r.fee, "market_sell", r.loan_id))
    flows.sort()
    pool = conn.execute(select(s.pool_accounts).where(s.pool_accounts.c.lender == who)).first()
    criteria = conn.execute(select(s.auto_invest_criteria.c.criteria)
                            .where(s.auto_invest_criteria.c.lender == who)).scalar()
    return LenderBook(who, positions, flows, dict(pool._mapping) if pool else None, criteria)


def borrower_loans(conn: Connection, borrower: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(s.loans).where(s.loans.c.borrower == checksum(borrower)).order_by(s.loans.c.loan_id))
    return [dict(r._mapping) for r in rows]


def user_row(conn: Connection, address: str) -> dict[str, Any] | None:
    row = conn.execute(select(s.users).where(s.users.c.address == checksum(address))).first()
    return None if row is None else dict(row._mapping)


# ------------------------------------------------------------------------------------------------ statistics


def statistics(conn: Connection) -> dict[str, Any]:
    """Volume (principal drawn), outstanding, loans by status, the default rate by grade (defaulted ÷ loans that
    were drawn), the treasury's reserve and its coverage of the principal outstanding."""
    by_status: dict[int, int] = dict(conn.execute(select(s.loans.c.status, func.count()).group_by(s.loans.c.status)).all())
    drawn: dict[int, int] = defaultdict(int)
    defaulted: dict[int, int] = defaultdict(int)
    volume = outstanding = defaulted_principal = 0
    rows = conn.execute(select(s.loans.c.grade, s.loans.c.status, s.loans.c.principal, s.loans.c.principal_outstanding,
                               s.loans.c.defaulted_principal).where(s.loans.c.start_time > 0))
    for grade, status, principal, left, lost in rows:
        drawn[grade] += 1
        volume += principal
        if status == 3:
            outstanding += left
        if status == DEFAULTED:
            defaulted[grade] += 1
            defaulted_principal += lost
    treasury = conn.execute(select(s.treasury)).first()
    t = dict(treasury._mapping) if treasury else {c.name: 0 for c in s.treasury.columns}
    cursor = conn.execute(select(s.sync_state.c.cursor)).scalar()
    return {
        "block": cursor,
        "loans": sum(by_status.values()),
        "loans_by_status": {LoanStatus(k).name.lower(): v for k, v in sorted(by_status.items())},
        "volume": volume,
        "outstanding": outstanding,
        "defaulted_principal": defaulted_principal,
        "default_rate_by_grade": {Grade(g).name: {"drawn": n, "defaulted": defaulted[g], "rate": defaulted[g] / n}
                                  for g, n in sorted(drawn.items()) if 1 <= g <= 25},
        "reserve": t["reserve"],
        "reserve_used": t["reserve_used"],
        "reserve_coverage": (t["reserve"] / outstanding) if outstanding else None,
        "fees": {"origination": t["origination_fees"], "servicing": t["servicing_fees"],
                 "trading": t["trading_fees"], "available": t["available_fees"], "distributed": t["distributed"]},
    }
