"""Return measures: XIRR, net annualized return, expected loss from the credit model's grade bands."""

from __future__ import annotations

import json

import pytest
import scorecardpy

from disfruta.credit.grading import (
    MEAN_OBSERVATION_MONTHS,
    annual_default_probability,
    default_probability_path,
    default_probability_table,
)
from disfruta.grades import Grade
from disfruta.models import LoanInfo, LoanStatus
from disfruta.returns import default_probability_by_grade, expected_loss, net_annualized_return, xirr

YEAR = 365 * 86_400


def test_xirr__one_year_ten_percent__ten_percent():
    assert xirr([(0, -1_000), (YEAR, 1_100)]) == pytest.approx(0.10, abs=1e-6)


def test_xirr__no_inflow_or_single_flow__none():
    assert xirr([(0, -1_000)]) is None
    assert xirr([(0, -1_000), (YEAR, -5)]) is None


def test_net_annualized_return__interest_less_losses_per_principal_year():
    assert net_annualized_return(120, 20, 1_000 * 0.5) == pytest.approx(0.2)
    assert net_annualized_return(10, 0, 0) is None


def test_mean_observation_months__matches_the_german_credit_data():
    data = scorecardpy.germancredit()
    assert data["duration_in_month"].mean() == pytest.approx(MEAN_OBSERVATION_MONTHS, abs=0.05)


def test_annual_default_probability__worse_grade__higher():
    pds = [annual_default_probability(g) for g in Grade]
    assert all(0 < p < 1 for p in pds)
    assert pds == sorted(pds)


def test_packaged_default_probabilities__match_the_shipped_model():
    """The core reads PDs from ``data/default_probability.json``; `disfruta credit train` rewrites it with the model."""
    assert [default_probability_by_grade(g) for g in Grade] == [annual_default_probability(g) for g in Grade]
    assert json.loads(default_probability_path().read_text()) == default_probability_table(), \
        "stale: run `disfruta credit train` (or write_default_probability_table) and commit the table"


def test_expected_loss__remaining_term__pd_times_lgd():
    info = LoanInfo(loan_id=1, address="0x" + "1" * 40, borrower="0x" + "2" * 40, status=LoanStatus.ACTIVE,
                    grade=Grade.C1, purpose="car", goal=1_000, principal=1_000, funded=1_000, annual_rate_bps=1_500,
                    term_months=12, monthly_payment=90, funding_deadline=0, funded_at=0, start_time=0,
                    principal_outstanding=1_000, interest_owed=0, late_fees_owed=0, amount_due=0, payoff_amount=0,
                    next_due_date=0, days_past_due=0, paused=False)
    whole = expected_loss(info, 1_000_000, now=0, default_probability=lambda g: 0.1)
    half = expected_loss(info, 1_000_000, now=180 * 86_400, default_probability=lambda g: 0.1)
    assert whole == int(1_000_000 * (1 - 0.9 ** (360 / 365)) * 0.9)
    assert 0 < half < whole
    assert expected_loss(info, 1_000_000, now=400 * 86_400, default_probability=lambda g: 0.1) == 0
