"""Rich tables for the CLI and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from disfruta.models import (
    PURPOSES,
    AutoInvestCriteria,
    AutopayStatus,
    BorrowerDashboard,
    Installment,
    Listing,
    LoanInfo,
    Portfolio,
    Trade,
    TreasuryInfo,
    UserInfo,
    fmt_datetime,
    fmt_time,
)

if TYPE_CHECKING:
    from disfruta.client import Disfruta

console = Console(width=140)


def money(client: Disfruta, units: int) -> str:
    return f"{client.from_units(units):,.2f}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f} %"


def loans_table(client: Disfruta, rows: list[LoanInfo], title: str = "Loans") -> None:
    t = Table(title=title)
    for col in ("id", "status", "grade", "purpose", "amount", "funded", "APR", "term", "payment", "outstanding",
                "days late"):
        t.add_column(col, justify="right" if col not in ("status", "grade", "purpose") else "left")
    for x in rows:
        t.add_row(str(x.loan_id), x.status.name.lower(), x.grade.name, x.purpose, money(client, x.goal),
                  f"{x.funded_fraction * 100:.0f} %", f"{x.annual_rate_bps / 100:.2f} %", f"{x.term_months} m",
                  money(client, x.monthly_payment), money(client, x.principal_outstanding), str(x.days_past_due))
    console.print(t)


def loan_detail(client: Disfruta, info: LoanInfo, schedule: list[Installment]) -> None:
    loans_table(client, [info], title=f"Loan #{info.loan_id} ({info.address})")
    console.print(f"borrower {info.borrower}; amount due now {money(client, info.amount_due)}; payoff "
                  f"{money(client, info.payoff_amount)}; next due {fmt_time(info.next_due_date)}"
                  + ("; paused" if info.paused else ""))
    schedule_table(client, schedule)


def schedule_table(client: Disfruta, schedule: list[Installment], title: str = "Schedule") -> None:
    t = Table(title=title)
    for col in ("#", "due", "payment", "interest", "principal", "state"):
        t.add_column(col, justify="right")
    for i in schedule:
        state = "paid" if i.paid else ("late" if i.late else "")
        t.add_row(str(i.number), fmt_time(i.due_date), money(client, i.payment), money(client, i.interest),
                  money(client, i.principal), state)
    console.print(t)


def portfolio_table(client: Disfruta, p: Portfolio, name: str = "") -> None:
    t = Table(title=f"Portfolio of {name or p.lender}")
    for col in ("loan", "status", "grade", "invested", "outstanding", "received", "claimable", "interest+fees",
                "loss", "expected loss"):
        t.add_column(col, justify="right")
    for r in p.loans:
        t.add_row(f"#{r.loan_id}", r.status.name.lower(), r.grade.name, money(client, r.invested),
                  money(client, r.principal_outstanding), money(client, r.received), money(client, r.claimable),
                  money(client, r.interest_and_fees), money(client, r.loss), money(client, r.expected_loss))
    console.print(t)
    if p.cover or p.recoveries:
        console.print(f"defaulted loans: {money(client, p.cover)} of reserve cover and {money(client, p.recoveries)} "
                      "of recoveries received (counted apart from interest)")
    console.print(f"pool cash {money(client, p.pool_cash)}; net annualized return {pct(p.net_annualized_return)}; "
                  f"XIRR {pct(p.xirr)}; expected losses by grade "
                  f"{ {g: money(client, v) for g, v in p.expected_losses_by_grade.items()} }")


def portfolios_summary(client: Disfruta, rows: list[tuple[str, Portfolio]]) -> None:
    t = Table(title="Lenders")
    for col in ("lender", "pool cash", "invested", "outstanding", "received", "claimable", "interest+fees",
                "losses", "expected losses", "NAR", "XIRR"):
        t.add_column(col, justify="right" if col != "lender" else "left")
    for name, p in rows:
        t.add_row(name, money(client, p.pool_cash), money(client, p.invested), money(client, p.principal_outstanding),
                  money(client, p.received), money(client, p.claimable), money(client, p.interest_and_fees),
                  money(client, p.losses), money(client, p.expected_losses), pct(p.net_annualized_return),
                  pct(p.xirr))
    console.print(t)


def treasury_table(client: Disfruta, info: TreasuryInfo) -> None:
    t = Table(title="Treasury")
    t.add_column("item")
    t.add_column("amount", justify="right")
    for label, value in (("origination fees collected", info.origination_fees),
                         ("servicing fees collected", info.servicing_fees),
                         ("fees available to governance", info.available_fees), ("reserve", info.reserve),
                         ("reserve paid out on defaults", info.reserve_used),
                         ("recoveries paid back to the reserve", info.reserve_recovered),
                         ("closed loans' surplus swept", info.surplus_swept)):
        t.add_row(label, money(client, value))
    console.print(t)
    console.print(f"policy: {info.reserve_share_bps / 100:.0f} % of fees to the reserve; defaults covered at "
                  f"{info.default_cover_bps / 100:.0f} % of outstanding principal, capped by the reserve, which then "
                  "owns that share of the loan's recoveries")


def criteria_table(client: Disfruta, lender: str, cash: int, c: AutoInvestCriteria) -> None:
    t = Table(title=f"Auto-invest of {lender}")
    t.add_column("criterion")
    t.add_column("value", justify="right")
    purposes = ("all" if set(c.purposes) >= set(range(len(PURPOSES)))
                else ", ".join(PURPOSES[p] if p < len(PURPOSES) else str(p) for p in c.purposes) or "none")
    for label, value in (("enabled", "yes" if c.enabled else "no"), ("grades", f"{c.min_grade.name} … {c.max_grade.name}"),
                         ("APR", f"{c.min_rate_bps / 100:.2f} … {c.max_rate_bps / 100:.2f} %"),
                         ("max term", f"{c.max_term_months} m"), ("purposes", purposes),
                         ("amount per loan", money(client, c.amount_per_loan)),
                         ("max per borrower", money(client, c.max_per_borrower)),
                         ("cash to keep", money(client, c.cash_to_keep)), ("pool cash", money(client, cash))):
        t.add_row(label, value)
    console.print(t)


def dashboard(client: Disfruta, d: BorrowerDashboard) -> None:
    grade = d.grade.name if d.grade else "none"
    console.print(f"borrower {d.borrower}: grade {grade}; limit {money(client, d.borrow_limit)}; exposure "
                  f"{money(client, d.exposure)}; available {money(client, d.available_credit)}")
    if d.loans:
        loans_table(client, d.loans, title="Loans")
    console.print(f"outstanding {money(client, d.total_outstanding)}; next payment "
                  + (f"{money(client, d.next_payment_due)} due {fmt_time(d.next_due_date)}" if d.next_due_date
                     else "none"))
    for s in d.autopay.values():
        if s.enrolled:
            console.print(f"autopay #{s.loan_id}: {autopay_line(client, s)}")


def autopay_line(client: Disfruta, s: AutopayStatus) -> str:
    """One loan's autopay in a sentence: cap, window, now, last failure."""
    if not s.enrolled:
        return "not enrolled"
    window = (f"; next collection {fmt_datetime(s.window_opens)} … {fmt_datetime(s.window_closes)} for the "
              f"installment due {fmt_time(s.next_due_date)}" if s.next_due_date else "")
    now = f"collectable now: {money(client, s.amount)}" if s.collectable else f"now: {s.reason}"
    failure = (f"; last failed {fmt_datetime(s.last_failure.at)}: {s.last_failure.reason}" if s.last_failure
               else "")
    return f"cap {money(client, s.cap)}{window}; {now}{failure}"


def listings_table(client: Disfruta, rows: list[Listing], title: str = "Notes for sale") -> None:
    t = Table(title=title)
    for col in ("loan", "seller", "notes", "available", "premium", "price now", "fee", "yield", "expires"):
        t.add_column(col, justify="left" if col == "seller" else "right")
    for x in rows:
        q = x.quote
        t.add_row(f"#{x.loan_id}", x.seller, money(client, x.notes), money(client, x.available),
                  f"{x.premium_bps / 100:+.2f} %", money(client, q.price) if q else "-",
                  money(client, q.fee) if q else "-", pct(q.annual_yield) if q else "-", fmt_datetime(x.expiry))
    console.print(t)


def trades_table(client: Disfruta, rows: list[Trade], title: str = "Note trades") -> None:
    t = Table(title=title)
    for col in ("time", "loan", "seller", "buyer", "notes", "price", "fee"):
        t.add_column(col, justify="left" if col in ("seller", "buyer", "time") else "right")
    for x in rows:
        t.add_row(fmt_datetime(x.timestamp), f"#{x.loan_id}", x.seller, x.buyer, money(client, x.notes),
                  money(client, x.price), money(client, x.fee))
    console.print(t)


def user_table(client: Disfruta, u: UserInfo) -> None:
    roles = {0: "-", 1: "borrower", 2: "lender", 3: "borrower, lender"}.get(u.roles, str(u.roles))
    t = Table(title=f"Registry record of {u.address}")
    t.add_column("field")
    t.add_column("value")
    for label, value in (("status", u.status), ("roles", roles), ("KYC valid until", fmt_time(u.kyc_valid_until)),
                         ("KYC commitment", "0x" + u.kyc_commitment.hex()),
                         ("grade", u.grade.name if u.grade else "-"),
                         ("borrow limit", money(client, u.borrow_limit) if u.grade else "-"),
                         ("credit valid until", fmt_time(u.credit_valid_until)),
                         ("verified lender", "yes" if u.is_verified_lender else "no"),
                         ("verified borrower", "yes" if u.is_verified_borrower else "no")):
        t.add_row(label, value)
    console.print(t)


def gas_table(rows: list[tuple[str, int, int, Any]]) -> None:
    """(operation, calls, mean gas, target or None)."""
    t = Table(title="Gas per operation (whole transaction)")
    with_targets = any(target for *_rest, target in rows)
    for col in ("operation", "calls", "mean gas", *(("target",) if with_targets else ())):
        t.add_column(col, justify="right" if col != "operation" else "left")
    for op, calls, mean, target in rows:
        cells = [op, str(calls), f"{mean:,}"]
        t.add_row(*cells, *((f"{target:,}" if target else "-",) if with_targets else ()))
    console.print(t)
