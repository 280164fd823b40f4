"""`LocalIndex`: the `disfruta.index_source.IndexSource` questions answered from an index database directly (a
SQLite file beside the SDK, or PostgreSQL), and the same answers the read API gives over HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, select, tuple_

from disfruta.grades import Grade
from disfruta.index import queries as q
from disfruta.index import schema as s
from disfruta.index.db import is_migrated, make_engine
from disfruta.index.handlers import ACTIVE, DEFAULTED, FUNDED, FUNDING, REPAID
from disfruta.index.statements import Statement, borrower_statement, lender_statement
from disfruta.index_source import LenderActivity
from disfruta.models import Event, LoanStatus

_FILTERS = ("status", "min_grade", "max_grade", "min_rate_bps", "max_rate_bps", "term_months", "max_term_months",
            "purpose", "borrower")


def filters_from(values: Mapping[str, Any]) -> q.LoanFilters:
    """`LoanFilters` from the SDK's keyword arguments or the API's query (names or numbers for status and grades)."""
    unknown = sorted(set(values) - set(_FILTERS))
    if unknown:
        raise q.BadQuery(f"unknown filter(s): {', '.join(unknown)} (known: {', '.join(_FILTERS)})")
    v = {k: x for k, x in values.items() if x is not None}
    try:
        return q.LoanFilters(
            status=LoanStatus.parse(v["status"]) if "status" in v else None,
            min_grade=Grade.parse(v["min_grade"]) if "min_grade" in v else None,
            max_grade=Grade.parse(v["max_grade"]) if "max_grade" in v else None,
            **{k: (str(v[k]) if k == "borrower" else int(v[k])) for k in _FILTERS[3:] if k in v})  # type: ignore[arg-type]
    except q.BadQuery:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise q.BadQuery(f"bad filter: {exc}") from None


def keeper_candidates(conn: Connection, now: int, sweep_min: int) -> list[int]:
    c = s.loans.c
    ids = set(conn.execute(select(c.loan_id).where(
        (c.status == FUNDING) | (c.status == FUNDED) | and_(c.status == ACTIVE, c.uncovered_due < now))).scalars())
    if sweep_min > 0:
        # Fees not swept are 256-bit amounts (text on SQLite): compared here, over loans with any fee unswept.
        for loan_id, fees, swept in conn.execute(select(c.loan_id, c.servicing_fees, c.fees_swept).where(
                c.status.in_((ACTIVE, REPAID, DEFAULTED))).where(c.servicing_fees != c.fees_swept)):
            if fees - swept >= sweep_min:
                ids.add(loan_id)
    return sorted(ids)


def auto_investors(conn: Connection) -> list[str]:
    t = s.auto_invest_criteria
    return list(conn.execute(select(t.c.lender).where(t.c.enabled.is_(True)).order_by(t.c.lender)).scalars())


def autopay_enrolled(conn: Connection, borrower: str | None = None) -> list[str]:
    """The loans enrolled in autopay now (of ``borrower``, or all), by address, in the order enrolled."""
    a, loans = s.autopay_enrolments, s.loans
    query = (select(loans.c.address).join(a, a.c.loan_id == loans.c.loan_id).where(a.c.active.is_(True))
             .order_by(a.c.enrolled_block, a.c.loan_id))
    if borrower is not None:
        query = query.where(a.c.borrower == q.checksum(borrower))
    return list(conn.execute(query).scalars())


def lender_activity(conn: Connection, lender: str) -> LenderActivity:
    who = q.checksum(lender)
    block = int(conn.execute(select(s.sync_state.c.cursor)).scalar_one())
    loans = list(conn.execute(select(s.loans.c.address).join(s.note_positions, s.note_positions.c.loan_id ==
                                                                s.loans.c.loan_id)
                              .where(s.note_positions.c.holder == who).order_by(s.loans.c.address)).scalars())
    keys: set[tuple[str, int]] = set()
    for table in (s.fundings, s.claims, s.refunds):
        keys |= {(r.tx_hash, r.log_index) for r in conn.execute(
            select(table.c.tx_hash, table.c.log_index).where(table.c.lender == who))}
    e = s.events.c
    events = _events(conn, select(s.events).where(tuple_(e.tx_hash, e.log_index).in_(sorted(keys)))) if keys else []
    history = _events(conn, select(s.events).where(e.address.in_(loans))
                      .where(e.name.in_(("FundsWithdrawn", "RepaymentMade", "RecoveryShared")))) if loans else []
    blocks = {x.block for x in events + history}
    times = dict(conn.execute(select(s.blocks.c.number, s.blocks.c.timestamp)
                              .where(s.blocks.c.number.in_(sorted(blocks)))).all()) if blocks else {}
    return LenderActivity(block=block, loans=loans, events=events, history=history, times=times)


def _events(conn: Connection, query: Any) -> list[Event]:
    rows = conn.execute(query.order_by(s.events.c.block, s.events.c.log_index)).all()
    return [Event(name=r.name, address=r.address, args=dict(r.args), block=r.block, tx_hash=r.tx_hash,
                  log_index=r.log_index) for r in rows]


class LocalIndex:
    """An index database as the SDK's `IndexSource`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, database: str | Path) -> LocalIndex:
        engine = make_engine(database)
        if not is_migrated(engine):
            from disfruta.errors import ConfigurationError

            raise ConfigurationError(f"{database} is not an index (run `disfruta index run` first)")
        return cls(engine)

    def block(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(s.sync_state.c.cursor)).scalar_one())

    def loan_ids(self, filters: Mapping[str, Any], limit: int, cursor: str | None) -> tuple[list[int], str | None]:
        with self.engine.connect() as conn:
            page = q.list_loans(conn, filters_from(filters), limit=limit, cursor=cursor)
        return [r["loan_id"] for r in page.rows], page.next_cursor

    def lender_activity(self, lender: str) -> LenderActivity:
        with self.engine.connect() as conn:
            return lender_activity(conn, lender)

    def keeper_candidates(self, now: int, sweep_min: int) -> list[int]:
        with self.engine.connect() as conn:
            return keeper_candidates(conn, now, sweep_min)

    def auto_investors(self) -> list[str]:
        with self.engine.connect() as conn:
            return auto_investors(conn)

    def autopay_enrolled(self, borrower: str | None = None) -> list[str]:
        with self.engine.connect() as conn:
            return autopay_enrolled(conn, borrower)

    def statement(self, address: str, *, start: int = 0, end: int = 2**40 - 1, borrower: bool = False) -> Statement:
        """A lender's (or, with ``borrower``, a borrower's) statement for [start, end] (unix seconds); its
        ``to_json()`` is what the API answers, ``to_csv()`` the CSV."""
        with self.engine.connect() as conn:
            if borrower:
                return borrower_statement(conn, address, start, end)
            return lender_statement(conn, address, start, end)
