"""Cash-flow features from bank transactions and the documented score adjustment."""

from __future__ import annotations

import pytest
from disfruta.credit import Applicant, Transaction, assess, cashflow_adjustment
from disfruta.credit.cashflow import cashflow_features

from .helpers import APPLICANT, START, history


def test_features__steady_salary_and_savings__stable_no_events_rising_balance():
    f = cashflow_features(history())
    assert f.months == 5  # the sixth month is cut off on the 15th: only whole months count
    assert f.monthly_income_mean == 3000.0
    assert f.income_cv == 0.0
    assert (f.months_without_income, f.overdraft_nsf_events) == (0, 0)
    # +500 a month on 3,000 of income: about +0.167 income per 30 days (the in-month sawtooth blurs it a little).
    assert f.balance_trend == pytest.approx(500 / 3000, rel=0.2)


def test_adjustment__steady_history__best_case_plus_40_and_no_reasons():
    adj = cashflow_adjustment(history())
    assert (adj.income_stability, adj.overdraft_nsf, adj.balance_trend) == (20, 10, 10)
    assert adj.total == 40
    assert adj.reasons == ()


def test_adjustment__irregular_income__penalised_with_reason():
    adj = cashflow_adjustment(history(salary=[3000, 800, 5200, 1500, 4000, 900], spend=2200))
    assert adj.features.income_cv is not None and adj.features.income_cv > 0.5
    assert adj.income_stability == -20
    assert ("income_stability", 40.0) in [(r.code, r.points_lost) for r in adj.reasons]


def test_adjustment__a_month_without_income__minus_25():
    adj = cashflow_adjustment(history(salary=[3000, 3000, 0, 3000, 3000, 3000], spend=2000))
    assert adj.features.months_without_income == 1
    assert adj.income_stability == -25


@pytest.mark.parametrize(("nsf_days", "points"), [((), 10), ((40,), -15), ((10, 40, 70), -35),
                                                   ((5, 10, 20, 40, 50, 70), -60)])
def test_adjustment__nsf_fees__banded_penalty(nsf_days, points):
    adj = cashflow_adjustment(history(nsf_days=nsf_days))
    assert adj.features.overdraft_nsf_events == len(nsf_days)
    assert adj.overdraft_nsf == points


def test_features__overdrawn_day__counts_as_an_event():
    f = cashflow_features(history(overdraft_month=2))
    assert f.overdraft_nsf_events >= 1


def test_adjustment__falling_balance__minus_30_and_total_clamped():
    txs = history(spend=4000, start_balance=9000, nsf_days=(5, 10, 20, 40, 50, 70),
                  salary=[3000, 0, 3000, 0, 3000, 0])
    adj = cashflow_adjustment(txs)
    assert adj.balance_trend == -30
    assert adj.income_stability + adj.overdraft_nsf + adj.balance_trend == -115
    assert adj.total == -80


def test_assess__with_transactions__score_moves_by_the_adjustment():
    applicant = Applicant(**APPLICANT)
    plain = assess(applicant)
    bad_history = history(nsf_days=(10, 40, 70))
    adjusted = assess(applicant, bad_history)
    expected = cashflow_adjustment(bad_history).total
    assert adjusted.base_score == plain.score
    assert adjusted.score == plain.score + expected
    assert adjusted.cashflow is not None and adjusted.cashflow.total == expected
    assert "overdraft_nsf" in [r.code for r in adjusted.reasons]


@pytest.mark.parametrize(("txs", "message"), [
    ([], "no transactions"),
    ([Transaction(date=START, amount=10, balance=10, kind="income")] * 2, "at least 60 days"),
])
def test_features__too_little_history__refused_saying_why(txs, message):
    with pytest.raises(ValueError, match=message):
        cashflow_features(txs)
