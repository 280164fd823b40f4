"""Behaviour added after review: the drawdown window binds the borrower, purposes are bounded, and the payment is
known before drawdown."""

from __future__ import annotations

from decimal import Decimal

from conftest import DAY, reverts


def test_withdraw_funds__after_drawdown_window__reverts_and_anyone_expires(create_loan, fund_by, borrower, chain,
                                                                         stranger):
    loan = create_loan(amount_tokens=1_000, term=12)
    fund_by(loan, [1_000])
    window = loan.config().drawdownWindow
    funded_at = loan.position().fundedAt
    chain.pending_timestamp = funded_at + window + 1
    with reverts(loan.LoanDrawdownWindowClosed, deadline=funded_at + window, nowTs=funded_at + window + 1):
        loan.withdrawFunds(sender=borrower)
    loan.expire(sender=stranger)
    assert loan.status() == 7  # Expired: the lenders pull refunds


def test_withdraw_funds__at_the_end_of_the_window__still_allowed(create_loan, fund_by, borrower, chain):
    loan = create_loan(amount_tokens=1_000, term=12)
    fund_by(loan, [1_000])
    chain.pending_timestamp = loan.position().fundedAt + loan.config().drawdownWindow
    loan.withdrawFunds(sender=borrower)
    assert loan.status() == 3


def test_create_loan__purpose_beyond_the_32_codes__reverts(factory, create_loan, borrower, unit):
    create_loan(amount_tokens=1_000, purpose=31, approve=False)  # the last code is fine
    with reverts(factory.LoanFactoryInvalidPurpose, purpose=32):
        factory.createLoan(1_000 * unit, 12, 32, 14 * DAY, sender=borrower)


def test_terms__before_drawdown__payment_of_the_goal(create_loan, calculator, unit):
    loan = create_loan(amount_tokens=2_000, term=24)
    t = loan.terms()
    assert t.monthlyPayment == calculator.calculateMonthlyPayment(2_000 * unit, t.annualRateBps, 24)
    assert Decimal(t.monthlyPayment) > Decimal(2_000 * unit) / 24
