"""A lender's portfolio from the index: positions, cash flows and returns (NAR, XIRR, expected loss by grade) with
`disfruta.returns`, the same measures the SDK computes from the chain.

Per loan: notes held, what was invested (fundings, and notes bought on the note market at their price) and received
(claims, refunds, and notes sold on the note market, at the price less the seller fee), what is claimable now
(exact: the loan's accumulator and the holder's checkpoint), the share of principal outstanding, income (interest
and late fees credited, less servicing fees: the lender's statement over all time), the loss on a default (the
uncovered share) and the expected loss of an active loan (PD of its grade over its remaining term × LGD).
NAR divides income less losses by the principal-years outstanding (the lender's current share of each loan's
outstanding principal, integrated over the repayment history); XIRR takes the dated cash flows and, as the last
flow, what the positions are worth now (claimable + outstanding − expected loss).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from disfruta.grades import Grade
from disfruta.index import schema as s
from disfruta.index.handlers import ACTIVE, DEFAULTED
from disfruta.index.queries import LenderBook, Position
from disfruta.index.statements import lender_statement
from disfruta.models import LoanInfo, LoanStatus
from disfruta.returns import YEAR, expected_loss, net_annualized_return, xirr


def loan_info(row: dict[str, Any]) -> LoanInfo:
    """An indexed loan as the SDK's `LoanInfo` (time-dependent fields zero: the index does not know "now")."""
    from disfruta.models import PURPOSES

    return LoanInfo(
        loan_id=row["loan_id"], address=row["address"], borrower=row["borrower"], status=LoanStatus(row["status"]),
        grade=Grade(row["grade"]) if 1 <= row["grade"] <= 25 else Grade.E5,
        purpose=PURPOSES[row["purpose"]] if row["purpose"] < len(PURPOSES) else str(row["purpose"]),
        goal=row["goal"], principal=row["principal"], funded=row["funded"], annual_rate_bps=row["annual_rate_bps"],
        term_months=row["term_months"], monthly_payment=row["monthly_payment"],
        funding_deadline=row["funding_deadline"], funded_at=row["funded_at"], start_time=row["start_time"],
        principal_outstanding=row["principal_outstanding"], interest_owed=0, late_fees_owed=0, amount_due=0,
        payoff_amount=0, next_due_date=0, days_past_due=0, paused=row["paused"],
        fees_accrued=row["servicing_fees"] - row["fees_swept"])


def _principal_years(conn: Connection, p: Position, now: int) -> float:
    """The lender's share of the loan's outstanding principal, integrated over time, in token-unit years."""
    loan = p.loan
    if not loan["start_time"] or not loan["principal"]:
        return 0.0
    steps = [(loan["start_time"], loan["principal"])]
    steps += [(r.timestamp, r.principal_outstanding) for r in conn.execute(
        select(s.repayments.c.timestamp, s.repayments.c.principal_outstanding)
        .where(s.repayments.c.loan_id == loan["loan_id"]).order_by(s.repayments.c.block, s.repayments.c.log_index))]
    area = 0.0
    for (t0, value), (t1, _) in zip(steps, [*steps[1:], (now, 0)], strict=True):
        area += value * max(0, t1 - t0)
    return area * p.notes / loan["principal"] / YEAR


def portfolio_json(conn: Connection, book: LenderBook, *, now: int) -> dict[str, Any]:
    income = {line.loan_id: line for line in lender_statement(conn, book.lender, 0, 2**62).lines}
    received: dict[int, int] = defaultdict(int)
    invested: dict[int, int] = defaultdict(int)
    for _, amount, kind, loan_id in book.flows:
        if kind in ("funding", "market_buy"):  # what the notes cost: at funding, or their price on the market
            invested[loan_id] += -amount
        else:
            received[loan_id] += amount
    rows: list[dict[str, Any]] = []
    by_grade: dict[str, int] = defaultdict(int)
    totals = {"invested": 0, "received": 0, "claimable": 0, "principal_outstanding": 0, "interest_and_fees": 0,
              "losses": 0, "expected_losses": 0}
    principal_years = 0.0
    for p in book.positions:
        loan = p.loan
        loan_id = loan["loan_id"]
        line = income.get(loan_id)
        earned = (line.interest + line.late_fees - line.servicing_fees) if line else 0
        loss = line.losses if line else 0
        outstanding = p.principal_outstanding if loan["status"] != DEFAULTED else 0
        exp_loss = expected_loss(loan_info(loan), outstanding, now) if loan["status"] == ACTIVE else 0
        grade = Grade(loan["grade"]).name if 1 <= loan["grade"] <= 25 else "-"
        by_grade[grade] += exp_loss
        principal_years += _principal_years(conn, p, now)
        row = {"loan_id": loan_id, "address": loan["address"], "status": LoanStatus(loan["status"]).name.lower(),
               "grade": grade, "notes": p.notes, "invested": invested[loan_id], "received": received[loan_id],
               "claimable": p.claimable, "principal_outstanding": outstanding, "interest_and_fees": earned,
               "loss": loss, "expected_loss": exp_loss, "notes_bought": p.bought, "notes_sold": p.sold}
        for key, value in (("invested", invested[loan_id]), ("received", received[loan_id]),
                           ("claimable", p.claimable), ("principal_outstanding", outstanding),
                           ("interest_and_fees", earned), ("losses", loss), ("expected_losses", exp_loss)):
            totals[key] += value
        rows.append({k: (str(v) if isinstance(v, int) and k not in ("loan_id",) else v) for k, v in row.items()})
    terminal = totals["claimable"] + totals["principal_outstanding"] - totals["expected_losses"]
    flows = [(t, a) for t, a, _, _ in book.flows] + ([(now, terminal)] if terminal > 0 else [])
    nar = net_annualized_return(totals["interest_and_fees"], totals["losses"], principal_years)
    return {
        "lender": book.lender,
        "pool": None if book.pool is None else {k: str(v) for k, v in book.pool.items() if k != "lender"},
        "auto_invest": book.criteria,
        **{k: str(v) for k, v in totals.items()},
        "expected_losses_by_grade": {k: str(v) for k, v in sorted(by_grade.items()) if v},
        "net_annualized_return": nar,
        "xirr": xirr(flows),
        "cash_flows": [{"timestamp": t, "amount": str(a), "kind": k, "loan_id": i} for t, a, k, i in book.flows],
        "loans": rows,
    }
