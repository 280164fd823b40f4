"""Alternative data: features from a borrower's bank transactions, and the score adjustment they make.

Features (over the whole calendar months the history covers, at least ``MIN_DAYS`` days):

- **income stability**: coefficient of variation (std / mean) of monthly income, and months with no income at all;
- **overdraft/NSF count**: NSF or overdraft fee transactions plus days that closed with a negative balance;
- **balance trend**: least-squares slope of the daily closing balance, per 30 days, relative to the mean monthly
  income (so it compares across income levels).

The German Credit data has no bank transactions, so the adjustment is a fixed, documented policy overlay on the
scorecard's points, not a fitted model. Points (on the 300–850 scale):

| component | rule | points |
|---|---|---|
| income stability | a month without income | −25 |
|  | otherwise CV ≤ 0.10 / ≤ 0.25 / ≤ 0.50 / above | +20 / +10 / 0 / −20 |
| overdraft/NSF | 0 / 1–2 / 3–5 / 6 or more events | +10 / −15 / −35 / −60 |
| balance trend | ≥ +0.05 / ≥ −0.05 / ≥ −0.20 / below | +10 / 0 / −15 / −30 |

The sum is clamped to [−80, +40]. A component below its best value is an adverse-action reason, with the points it
lost against that best value (like a scorecard attribute below its best bin).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from disfruta.credit.scorecard import Reason

MIN_DAYS = 60
MAX_TRANSACTIONS = 5_000
ADJUSTMENT_BOUNDS = (-80, 40)

INCOME_STABILITY_BEST = 20
OVERDRAFT_BEST = 10
BALANCE_TREND_BEST = 10


class Transaction(BaseModel):
    """One booked bank transaction: ``amount`` > 0 is money in; ``balance`` is the account balance after it."""

    model_config = ConfigDict(extra="forbid")

    date: date
    amount: float = Field(ge=-1e9, le=1e9, allow_inf_nan=False)
    balance: float = Field(ge=-1e9, le=1e9, allow_inf_nan=False)
    kind: Literal["income", "expense", "transfer", "nsf_fee", "overdraft_fee"]


@dataclass(frozen=True)
class CashflowFeatures:
    months: int
    monthly_income_mean: float
    income_cv: float | None  # None when no income at all
    months_without_income: int
    overdraft_nsf_events: int
    balance_trend: float  # slope per 30 days ÷ mean monthly income (or ÷ mean |balance| without income)


@dataclass(frozen=True)
class CashflowAdjustment:
    features: CashflowFeatures
    income_stability: int
    overdraft_nsf: int
    balance_trend: int
    total: int
    reasons: tuple[Reason, ...]


def _whole_months(first: date, last: date) -> list[tuple[int, int]]:
    """Calendar months fully inside ``[first, last]``."""
    months: list[tuple[int, int]] = []
    year, month = first.year, first.month
    if first.day != 1:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    while True:
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        if date(next_year, next_month, 1) - timedelta(days=1) > last:
            return months
        months.append((year, month))
        year, month = next_year, next_month


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    return 0.0 if var == 0 else sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / var


def cashflow_features(transactions: Sequence[Transaction]) -> CashflowFeatures:
    """Computes the features; raises ``ValueError`` saying why when the history can't support them."""
    if not transactions:
        raise ValueError("no transactions given")
    if len(transactions) > MAX_TRANSACTIONS:
        raise ValueError(f"at most {MAX_TRANSACTIONS} transactions, got {len(transactions)}")
    ordered = sorted(enumerate(transactions), key=lambda it: (it[1].date, it[0]))
    first, last = ordered[0][1].date, ordered[-1][1].date
    if (last - first).days + 1 < MIN_DAYS:
        raise ValueError(f"the history must span at least {MIN_DAYS} days, got {(last - first).days + 1}")
    months = _whole_months(first, last)
    if not months:
        raise ValueError("the history covers no whole calendar month")

    income = {m: 0.0 for m in months}
    closing: dict[date, float] = {}
    events = 0
    for _, t in ordered:
        key = (t.date.year, t.date.month)
        if t.kind == "income" and t.amount > 0 and key in income:
            income[key] += t.amount
        if t.kind in ("nsf_fee", "overdraft_fee"):
            events += 1
        closing[t.date] = t.balance  # the last transaction of the day sets its closing balance
    events += sum(1 for b in closing.values() if b < 0)

    totals = list(income.values())
    mean_income = statistics.fmean(totals)
    cv = None if mean_income == 0 else statistics.pstdev(totals) / mean_income
    days = sorted(closing)
    slope = _slope([(d - first).days / 30 for d in days], [closing[d] for d in days])
    scale = mean_income or statistics.fmean(abs(b) for b in closing.values()) or 1.0
    return CashflowFeatures(
        months=len(months),
        monthly_income_mean=round(mean_income, 2),
        income_cv=None if cv is None else round(cv, 4),
        months_without_income=sum(1 for v in totals if v == 0),
        overdraft_nsf_events=events,
        balance_trend=round(slope / scale, 4),
    )


def _income_points(f: CashflowFeatures) -> int:
    if f.months_without_income or f.income_cv is None:
        return -25
    for limit, points in ((0.10, 20), (0.25, 10), (0.50, 0)):
        if f.income_cv <= limit:
            return points
    return -20


def _overdraft_points(f: CashflowFeatures) -> int:
    n = f.overdraft_nsf_events
    return 10 if n == 0 else -15 if n <= 2 else -35 if n <= 5 else -60


def _trend_points(f: CashflowFeatures) -> int:
    t = f.balance_trend
    return 10 if t >= 0.05 else 0 if t >= -0.05 else -15 if t >= -0.20 else -30


def cashflow_adjustment(transactions: Sequence[Transaction]) -> CashflowAdjustment:
    """The score adjustment (and its reasons) that a transaction history earns under the table above."""
    f = cashflow_features(transactions)
    income, overdraft, trend = _income_points(f), _overdraft_points(f), _trend_points(f)
    lo, hi = ADJUSTMENT_BOUNDS
    reasons = [
        Reason(code, text, float(best - got))
        for code, text, best, got in (
            ("income_stability", "Income is irregular or missing in some months", INCOME_STABILITY_BEST, income),
            ("overdraft_nsf", "Overdrafts or insufficient-funds events on the bank account", OVERDRAFT_BEST,
             overdraft),
            ("balance_trend", "Bank balance is flat or falling", BALANCE_TREND_BEST, trend),
        )
        if got < best
    ]
    return CashflowAdjustment(f, income, overdraft, trend, max(lo, min(hi, income + overdraft + trend)),
                              tuple(reasons))
