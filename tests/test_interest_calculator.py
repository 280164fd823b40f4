"""InterestCalculator / InterestMath against an exact decimal reference (DESIGN.md invariant 4)."""

from __future__ import annotations

from decimal import Decimal, getcontext

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

getcontext().prec = 120

MAX_PRINCIPAL = 10**30
MAX_RATE_BPS = 10_000
MAX_TERM = 600
PERIOD = 30 * 86_400

principals = st.integers(min_value=0, max_value=MAX_PRINCIPAL)
rates = st.integers(min_value=0, max_value=MAX_RATE_BPS)
terms = st.integers(min_value=1, max_value=MAX_TERM)


def exact_payment(principal: int, rate_bps: int, term: int) -> Decimal:
    """P·r / (1 − (1 + r)^−n) with r = bps / 120,000, in 120-digit decimal arithmetic."""
    p = Decimal(principal)
    if rate_bps == 0:
        return p / term
    r = Decimal(rate_bps) / Decimal(120_000)
    return p * r / (1 - (1 + r) ** -term)


# Invariant 4a: the payment is the exact annuity rounded up, up to a fixed-point error of 1e-6 of a unit, so within
# one token unit of it (and it never overflows). The same statement is proved per instance in test/halmos.
@given(principal=principals, rate=rates, term=terms)
def test_monthly_payment__any_terms__exact_annuity_rounded_up(calculator, principal, rate, term):
    payment = calculator.calculateMonthlyPayment(principal, rate, term)
    exact = exact_payment(principal, rate, term)
    assert exact - Decimal("1e-6") <= payment < exact + 1


# Invariant 4b: a full schedule's principal parts add up to the principal exactly; interest is never negative and
# every installment but the last is the level payment.
@given(principal=principals, rate=rates, term=st.integers(min_value=1, max_value=120))
def test_schedule__any_terms__principal_parts_sum_to_principal(calculator, principal, rate, term):
    payment, interests, principals_ = calculator.calculateSchedule(principal, rate, term)
    assert sum(principals_) == principal
    assert all(i >= 0 for i in interests)
    assert len(interests) == len(principals_) == term
    outstanding = principal
    for k in range(term - 1):
        if outstanding == 0:
            break
        installment = interests[k] + principals_[k]
        assert installment == payment or installment == outstanding + interests[k]
        outstanding -= principals_[k]
    # The last installment absorbs the rounding: each period's interest is rounded up (for the lenders), so the
    # balance can lag the exact schedule by at most one unit per period, compounded: sum of (1 + r)^k, k < n.
    r = Decimal(rate) / 120_000
    lag = Decimal(term) if rate == 0 else ((1 + r) ** term - 1) / r
    assert interests[-1] + principals_[-1] <= payment + lag + 1


def test_schedule__longest_term_at_max_rate__no_overflow(calculator):
    payment, interests, principals_ = calculator.calculateSchedule(MAX_PRINCIPAL, MAX_RATE_BPS, MAX_TERM)
    assert sum(principals_) == MAX_PRINCIPAL
    assert abs(Decimal(payment) - exact_payment(MAX_PRINCIPAL, MAX_RATE_BPS, MAX_TERM)) < 1


@pytest.mark.parametrize(
    "principal, rate, term, expected",
    [
        (10_000 * 10**6, 0, 12, 833_333_334),  # 0 %: P / n rounded up
        (10_000 * 10**6, 1_200, 1, 10_100_000_000),  # 1 month: P + one period's interest
        (1, 1, 600, 1),  # tiny: one unit
        (0, 1_500, 36, 0),
        (10_000 * 10**6, 1_000, 36, 322_671_872),  # 10 % APR, 3 years, 6-decimal token
    ],
)
def test_monthly_payment__known_cases(calculator, principal, rate, term, expected):
    assert calculator.calculateMonthlyPayment(principal, rate, term) == expected
    assert abs(Decimal(expected) - exact_payment(principal, rate, term)) < 1


def test_monthly_payment__rate_above_100_percent__reverts(calculator):
    with ape.reverts(calculator.InterestMathRateTooHigh, annualRateBps=10_001, maxRateBps=10_000):
        calculator.calculateMonthlyPayment(1_000, 10_001, 12)


@pytest.mark.parametrize("term", [0, 601])
def test_monthly_payment__term_out_of_range__reverts(calculator, term):
    with ape.reverts(calculator.InterestMathTermOutOfRange, termMonths=term, maxTermMonths=600):
        calculator.calculateMonthlyPayment(1_000, 500, term)


def test_monthly_payment__principal_above_limit__reverts(calculator):
    with ape.reverts(calculator.InterestMathPrincipalTooLarge, principal=MAX_PRINCIPAL + 1):
        calculator.calculateMonthlyPayment(MAX_PRINCIPAL + 1, 500, 12)


@given(outstanding=principals, rate=rates, elapsed=st.integers(min_value=0, max_value=24 * PERIOD),
       interest=st.integers(min_value=0, max_value=10**24), late=st.integers(min_value=0, max_value=10**24))
def test_payoff__any_elapsed_time__owed_plus_interest_accrued_meanwhile(calculator, outstanding, rate, elapsed,
                                                                       interest, late):
    payoff = calculator.calculatePayoff(outstanding, interest, late, rate, elapsed)
    # Not capped at one period: interest accrues per second for as long as the principal is outstanding.
    exact = late + interest + Decimal(outstanding) * (1 + Decimal(rate) / 120_000 * elapsed / PERIOD)
    # Rounded up, so never below the exact amount and never a whole unit above it.
    assert exact <= payoff < exact + 1


@given(
    interest=st.integers(min_value=0, max_value=MAX_PRINCIPAL),
    investments=st.lists(st.integers(min_value=0, max_value=10**24), min_size=1, max_size=20).filter(any),
)
def test_interest_distribution__any_split__pro_rata_rounded_down(calculator, interest, investments):
    lenders = [f"0x{i + 1:040x}" for i in range(len(investments))]
    shares = calculator.calculateInterestDistribution(interest, lenders, investments)
    total = sum(investments)
    assert list(shares) == [interest * inv // total for inv in investments]
    assert interest - len(investments) < sum(shares) <= interest


def test_interest_distribution__length_mismatch__reverts(calculator):
    with ape.reverts(calculator.InterestCalculatorLengthMismatch, lenders=2, investments=1):
        calculator.calculateInterestDistribution(100, ["0x" + "01" * 20, "0x" + "02" * 20], [5])


def test_interest_distribution__no_investment__reverts(calculator):
    with ape.reverts(calculator.InterestCalculatorNoInvestment):
        calculator.calculateInterestDistribution(100, ["0x" + "01" * 20], [0])


def test_split_installment__last__clears_outstanding(calculator):
    interest, principal = calculator.splitInstallment(1_000_000, 1_200, 10, True)
    assert (interest, principal) == (10_000, 1_000_000)
    interest, principal = calculator.splitInstallment(1_000_000, 1_200, 60_000, False)
    assert (interest, principal) == (10_000, 50_000)
