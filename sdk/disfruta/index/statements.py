"""Statements for a period, shaped like the yearly interest and loss reports P2P platforms give their investors.

A lender's statement credits each repayment to the notes the lender held at that moment (the index replays their
fundings, refunds and note transfers in chain order): late fees, interest and principal received, servicing fees
paid, each the lender's pro-rata share rounded down (so a line may be a unit below what the loan's accumulator
credits); a default books the uncovered principal as a loss and the reserve's cover as a recovery, and what is
repaid after a default is a recovery too, less the reserve's share of it (subrogation: cover / principal at
default). Notes bought and sold are at face value (the price is paid off chain or
on the note market). Claims are the cash that actually moved to the lender. A borrower's statement lists what was
drawn and paid, and what is due next.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Connection, select

from disfruta.index import schema as s
from disfruta.index.queries import BadQuery, checksum


@dataclass
class LenderLine:
    loan_id: int
    interest: int = 0
    principal: int = 0
    late_fees: int = 0
    servicing_fees: int = 0
    losses: int = 0
    recoveries: int = 0
    invested: int = 0
    refunded: int = 0
    notes_bought: int = 0
    notes_sold: int = 0
    claimed: int = 0

    def add(self, other: LenderLine) -> None:
        for f in fields(self):
            if f.name != "loan_id":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class Statement:
    who: str
    start: int
    end: int
    lines: list[Any]
    total: Any

    def to_json(self) -> dict[str, Any]:
        return {"address": self.who, "start": self.start, "end": self.end,
                "loans": [_strings(asdict(x)) for x in self.lines], "total": _strings(asdict(self.total))}

    def to_csv(self) -> str:
        out = io.StringIO()
        names = [f.name for f in fields(self.total)]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for line in [*self.lines, self.total]:
            writer.writerow(["total" if line is self.total and n == "loan_id" else getattr(line, n) for n in names])
        return out.getvalue()


def _strings(d: dict[str, Any]) -> dict[str, Any]:
    """Amounts as decimal strings (JSON numbers lose precision past 2**53; 18-decimal amounts get there fast)."""
    return {k: (str(v) if isinstance(v, int) and k not in ("loan_id", "due_date") else v) for k, v in d.items()}


def _period(start: int, end: int) -> None:
    if start < 0 or end < start:
        raise BadQuery(f"a period runs from start to end (unix seconds, start ≤ end), got {start} … {end}")


def lender_statement(conn: Connection, lender: str, start: int, end: int) -> Statement:
    """``lender``'s statement for the blocks with timestamps in [start, end]."""
    _period(start, end)
    who = checksum(lender)
    # loan → (block, log index, timestamp, kind, amount, the repayment or default row)
    moves: dict[int, list[tuple[int, int, int, str, int, Any]]] = defaultdict(list)
    for table, kind, col in ((s.fundings, "invested", "lender"), (s.refunds, "refunded", "lender"),
                             (s.claims, "claimed", "lender"), (s.note_transfers, "notes_sold", "sender"),
                             (s.note_transfers, "notes_bought", "receiver")):
        for r in conn.execute(select(table).where(table.c[col] == who)):
            moves[r.loan_id].append((r.block, r.log_index, r.timestamp, kind, r.amount, None))
    lines = []
    for loan_id in sorted(moves):
        line = LenderLine(loan_id)
        timeline = list(moves[loan_id])
        for r in conn.execute(select(s.repayments).where(s.repayments.c.loan_id == loan_id)):
            timeline.append((r.block, r.log_index, r.timestamp, "repayment", 0, r))
        for r in conn.execute(select(s.defaults).where(s.defaults.c.loan_id == loan_id)):
            timeline.append((r.block, r.log_index, r.timestamp, "default", 0, r))
        timeline.sort(key=lambda x: (x[0], x[1]))
        total = _notes_total(conn, loan_id)  # notes outstanding = the principal funded
        notes, default_row = 0, None
        for _, _, ts, kind, amount, row in timeline:
            inside = start <= ts <= end
            if kind in ("invested", "notes_bought"):
                notes += amount
            elif kind in ("refunded", "notes_sold"):
                notes -= amount
            if kind in ("invested", "refunded", "claimed", "notes_bought", "notes_sold"):
                if inside:
                    setattr(line, kind, getattr(line, kind) + amount)
                continue
            if kind == "default":
                default_row = row
                if inside and total:
                    line.losses += (row.principal_outstanding - row.reserve_cover) * notes // total
                    line.recoveries += row.reserve_cover * notes // total
                continue
            if not inside or not total:
                continue
            line.servicing_fees += row.servicing_fee * notes // total
            if default_row is not None:
                # Subrogation: the reserve owns cover / principal at default of each recovery net of its fee (the
                # contract's split, rounded down); the noteholders' part is booked gross, its fee above.
                d = default_row
                to_reserve = ((row.amount - row.servicing_fee) * d.reserve_cover // d.principal_outstanding
                              if d.reserve_cover else 0)
                line.recoveries += (row.amount - to_reserve) * notes // total
                continue
            line.interest += row.interest * notes // total
            line.principal += row.principal * notes // total
            line.late_fees += row.late_fees * notes // total
        if any(getattr(line, f.name) for f in fields(line) if f.name != "loan_id"):
            lines.append(line)
    grand = LenderLine(0)
    for line in lines:
        grand.add(line)
    return Statement(who, start, end, lines, grand)


def _notes_total(conn: Connection, loan_id: int) -> int:
    return int(conn.execute(select(s.loans.c.principal).where(s.loans.c.loan_id == loan_id)).scalar() or 0)


@dataclass
class BorrowerLine:
    loan_id: int
    drawn: int = 0
    origination_fee: int = 0
    paid: int = 0
    interest: int = 0
    principal: int = 0
    late_fees: int = 0
    principal_outstanding: int = 0
    amount_due: int | None = None
    due_date: int | None = None

    def add(self, other: BorrowerLine) -> None:
        for name in ("drawn", "origination_fee", "paid", "interest", "principal", "late_fees",
                     "principal_outstanding"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.amount_due is not None:
            self.amount_due = (self.amount_due or 0) + other.amount_due
        if other.due_date and (self.due_date is None or other.due_date < self.due_date):
            self.due_date = other.due_date


def borrower_statement(conn: Connection, borrower: str, start: int, end: int,
                       due: dict[int, tuple[int, int]] | None = None) -> Statement:
    """``borrower``'s statement for [start, end]: drawn, fees, payments by part; ``due`` (loan id → amount due now,
    next due date, from the chain) adds what is due next."""
    _period(start, end)
    who = checksum(borrower)
    lines = []
    for loan in conn.execute(select(s.loans).where(s.loans.c.borrower == who).order_by(s.loans.c.loan_id)):
        line = BorrowerLine(loan.loan_id, principal_outstanding=loan.principal_outstanding)
        if loan.start_time and start <= loan.start_time <= end:
            line.drawn, line.origination_fee = loan.principal, loan.origination_fee
        for r in conn.execute(select(s.repayments).where(s.repayments.c.loan_id == loan.loan_id)
                              .where(s.repayments.c.timestamp >= start).where(s.repayments.c.timestamp <= end)):
            line.paid += r.amount
            line.interest += r.interest
            line.principal += r.principal
            line.late_fees += r.late_fees
        if due and loan.loan_id in due:
            line.amount_due, line.due_date = due[loan.loan_id]
        lines.append(line)
    grand = BorrowerLine(0)
    for line in lines:
        grand.add(line)
    return Statement(who, start, end, lines, grand)
