"""Loan: every guard and revert path with its custom error and values, and pause (market-wide and per loan)."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from disfruta.attestations import Role

from conftest import DAY, MAX_UINT, PERIOD, Status, loan_config, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

ZERO = "0x0000000000000000000000000000000000000000"


def init_params(borrower, unit) -> tuple:
    """An `ILoan.InitParams`: (loanId, borrower, amount, rate, term, grade, purpose, originationFeeBps, period)."""
    return (99, str(borrower), 1_000 * unit, 1_300, 12, 8, 0, 245, 14 * DAY)


def selector(signature: str) -> str:
    """How ape reports a custom error raised in a constructor (it decodes none there): the bare selector."""
    return "0x" + keccak(text=signature)[:4].hex()


# ----------------------------------------------------------------------------------------------- factory-only


@pytest.mark.parametrize("call", ["initialize", "open", "reject", "setPaused"])
def test_factory_only_function__called_directly__reverts(create_loan, borrower, stranger, unit, call):
    loan = create_loan(approve=False)
    args = {"initialize": (init_params(borrower, unit),), "open": (), "reject": (), "setPaused": (True,)}[call]
    with reverts(loan.LoanOnlyFactory, caller=stranger):
        getattr(loan, call)(*args, sender=stranger)


def test_initialize__live_clone_even_from_factory__reverts_already_initialized(create_loan, factory, borrower,
                                                                                as_contract, unit):
    """`LoanAlreadyInitialized` cannot be reached through the factory: `initialize` is `onlyFactory`, and the factory
    calls it exactly once, on the clone it has just deployed in the same `createLoan` transaction. It is defence in
    depth, so it is shown here by impersonating the factory's address (anvil)."""
    loan = create_loan(approve=False)
    with reverts(loan.LoanAlreadyInitialized):
        loan.initialize(init_params(borrower, unit), sender=as_contract(factory))


def test_initialize__implementation_even_from_factory__reverts_already_initialized(market, factory, borrower,
                                                                                    as_contract, unit):
    impl = market.loan_implementation
    with reverts(impl.LoanAlreadyInitialized):
        impl.initialize(init_params(borrower, unit), sender=as_contract(factory))


@pytest.mark.parametrize("call", ["withdrawFunds", "acceptPartialFunding"])
def test_borrower_only_function__other_caller__reverts(create_loan, fund_by, stranger, call):
    loan = create_loan()
    fund_by(loan, [10_000])
    with reverts(loan.LoanOnlyBorrower, caller=stranger):
        getattr(loan, call)(sender=stranger)


@pytest.mark.parametrize(
    "field, value",
    [("servicingFeeBps", 1_001), ("lateFeeBps", 2_501), ("minNote", 0), ("partialFundingBps", 10_001),
     ("defaultAfter", 15 * DAY), ("acceptanceWindow", 0), ("drawdownWindow", 0), ("factory", ZERO),
     ("treasury", ZERO)],
)
def test_deploy_loan__invalid_config__reverts(project, market, admin, field, value):
    with ape.reverts(selector("LoanInvalidConfig()")):
        admin.deploy(project.Loan, loan_config(market, **{field: value}))


# ----------------------------------------------------------------------------------------------- status


def test_fund__pending__reverts(create_loan, fund, lenders, unit):
    loan = create_loan(approve=False)
    with reverts(loan.LoanInvalidStatus, status=Status.PENDING):
        fund(loan, lenders[0], 25 * unit)


def test_withdraw_funds__still_funding__reverts(create_loan, borrower):
    loan = create_loan()
    with reverts(loan.LoanInvalidStatus, status=Status.FUNDING):
        loan.withdrawFunds(sender=borrower)


def test_make_repayment__funded_not_drawn__reverts(create_loan, fund_by, repay):
    loan = create_loan()
    fund_by(loan, [10_000])
    with reverts(loan.LoanInvalidStatus, status=Status.FUNDED):
        repay(loan, 1)


def test_refund__active__reverts(active_loan, lenders):
    loan = active_loan()
    with reverts(loan.LoanInvalidStatus, status=Status.ACTIVE):
        loan.refund(sender=lenders[0])


def test_handle_default__repaid__reverts(active_loan, repay, stranger):
    loan = active_loan()
    repay(loan, MAX_UINT)
    with reverts(loan.LoanInvalidStatus, status=Status.REPAID):
        loan.handleDefault(sender=stranger)


def test_approve_loan__already_open__reverts(create_loan, factory, underwriter):
    loan = create_loan()
    with reverts(loan.LoanInvalidStatus, status=Status.FUNDING):
        factory.approveLoan(loan.loanId(), sender=underwriter)


def test_reject_loan__active__reverts(active_loan, factory, underwriter):
    loan = active_loan()
    with reverts(loan.LoanInvalidStatus, status=Status.ACTIVE):
        factory.rejectLoan(loan.loanId(), b"\x00" * 32, sender=underwriter)


def test_make_repayment__rejected__reverts(create_loan, factory, underwriter, repay):
    loan = create_loan()
    factory.rejectLoan(loan.loanId(), b"\x00" * 32, sender=underwriter)
    with reverts(loan.LoanInvalidStatus, status=Status.REJECTED):
        repay(loan, 1)


@pytest.mark.parametrize("stage", ["pending", "funding_before_deadline", "funding_70pct_in_acceptance", "active"])
def test_expire__not_expirable__reverts(create_loan, fund_by, borrower, stranger, chain, stage):
    loan = create_loan(approve=stage != "pending")
    expected = {"pending": Status.PENDING, "active": Status.ACTIVE}.get(stage, Status.FUNDING)
    if stage == "funding_70pct_in_acceptance":
        fund_by(loan, [7_000])
        chain.pending_timestamp = loan.funding()[2] + loan.config().acceptanceWindow
    elif stage == "active":
        fund_by(loan, [10_000])
        loan.withdrawFunds(sender=borrower)
        chain.pending_timestamp = loan.position().startTime + 365 * DAY
    with reverts(loan.LoanCannotExpire, status=expected):
        loan.expire(sender=stranger)


def test_expire__70pct_after_acceptance_window__expires(create_loan, fund_by, stranger, chain):
    loan = create_loan()
    fund_by(loan, [7_000])
    chain.pending_timestamp = loan.funding()[2] + loan.config().acceptanceWindow + 1
    loan.expire(sender=stranger)
    assert loan.status() == Status.EXPIRED


def test_accept_partial_funding__before_deadline__reverts(create_loan, fund_by, borrower, chain):
    loan = create_loan()
    fund_by(loan, [7_000])
    deadline = loan.funding()[2]
    chain.pending_timestamp = deadline
    with reverts(loan.LoanFundingOpen, deadline=deadline, nowTs=deadline):
        loan.acceptPartialFunding(sender=borrower)


def test_accept_partial_funding__after_acceptance_window__reverts(create_loan, fund_by, borrower, chain):
    loan = create_loan()
    fund_by(loan, [7_000])
    deadline = loan.funding()[2]
    late = deadline + loan.config().acceptanceWindow + 1
    chain.pending_timestamp = late
    with reverts(loan.LoanFundingClosed, deadline=deadline, nowTs=late):
        loan.acceptPartialFunding(sender=borrower)


# ----------------------------------------------------------------------------------------------- funding checks


def test_fund__zero__reverts(create_loan, fund, lenders):
    loan = create_loan()
    with reverts(loan.LoanZeroAmount):
        fund(loan, lenders[0], 0)


def test_fund__not_multiple_of_note__reverts(create_loan, fund, lenders, unit):
    loan = create_loan()
    with reverts(loan.LoanNotMultipleOfNote, amount=30 * unit, minNote=25 * unit):
        fund(loan, lenders[0], 30 * unit)


def test_fund__beyond_goal__reverts(create_loan, fund_by, fund, lenders, unit):
    loan = create_loan(amount_tokens=10_000)
    fund_by(loan, [9_000])
    with reverts(loan.LoanExceedsGoal, amount=1_025 * unit, remaining=1_000 * unit):
        fund(loan, lenders[1], 1_025 * unit)


def test_fund__after_deadline__reverts(create_loan, fund, lenders, unit, chain):
    loan = create_loan()
    deadline = loan.funding()[2]
    fund(loan, lenders[0], 25 * unit)
    chain.pending_timestamp = deadline + 1
    with reverts(loan.LoanFundingClosed, deadline=deadline, nowTs=deadline + 1):
        loan.fundLoan(25 * unit, sender=lenders[0])


def test_fund__unverified_lender__reverts(create_loan, market, stranger, unit):
    loan = create_loan()
    market.asset.mint(stranger, 25 * unit, sender=stranger)
    market.asset.approve(loan, 25 * unit, sender=stranger)
    with reverts(loan.LoanNotVerifiedLender, account=stranger):
        loan.fundLoan(25 * unit, sender=stranger)


def test_fund__by_borrower_even_if_verified_lender__reverts(create_loan, fund, onboard, borrower, unit):
    loan = create_loan()
    onboard(borrower, Role.BORROWER | Role.LENDER, grade=8)
    with reverts(loan.LoanBorrowerCannotFund, borrower=borrower):
        fund(loan, borrower, 25 * unit)


def test_fund_loan_for__borrower_as_lender__reverts(create_loan, market, borrower, stranger, unit):
    loan = create_loan()
    market.asset.mint(stranger, 25 * unit, sender=stranger)
    market.asset.approve(loan, 25 * unit, sender=stranger)
    loan.setFunder(stranger, True, sender=borrower)  # even an operator the borrower approved
    with reverts(loan.LoanBorrowerCannotFund, borrower=borrower):
        loan.fundLoanFor(borrower, 25 * unit, sender=stranger)


def test_fund_loan_for__operator_not_approved__reverts(create_loan, market, lenders, stranger, unit, onboard):
    loan = create_loan()
    onboard(lenders[0], Role.LENDER)
    with reverts(loan.LoanNotFunder, caller=stranger, lender=lenders[0]):
        loan.fundLoanFor(lenders[0], 25 * unit, sender=stranger)


def test_withdraw_funds__borrower_revoked__reverts(create_loan, fund_by, market, revoker, borrower):
    loan = create_loan()
    fund_by(loan, [10_000])
    market.registry.revokeUser(borrower, b"\x01" * 32, sender=revoker)
    with reverts(loan.LoanBorrowerNotVerified, borrower=borrower):
        loan.withdrawFunds(sender=borrower)


def test_fund__fee_on_transfer_token__reverts(project, fot_market, onboard_to, borrower, lenders, underwriter):
    unit, factory, token = 10**6, fot_market.factory, fot_market.asset
    onboard_to(fot_market, borrower, Role.BORROWER, grade=8)
    onboard_to(fot_market, lenders[0], Role.LENDER)
    tx = factory.createLoan(1_000 * unit, 12, 0, 14 * DAY, sender=borrower)
    loan = project.Loan.at(tx.events.filter(factory.LoanCreated)[0].loan)
    factory.approveLoan(loan.loanId(), sender=underwriter)
    token.mint(lenders[0], 100 * unit, sender=lenders[0])
    token.approve(loan, 100 * unit, sender=lenders[0])
    # The token burns 1 %: the loan sees 99 where 100 were due and refuses the token.
    with reverts(loan.LoanTransferAmountMismatch, expected=100 * unit, received=99 * unit):
        loan.fundLoan(100 * unit, sender=lenders[0])


# ----------------------------------------------------------------------------------------------- repay, claim, refund


def test_make_repayment__zero__reverts(active_loan, borrower):
    loan = active_loan()
    with reverts(loan.LoanZeroAmount):
        loan.makeRepayment(0, sender=borrower)


def test_make_repayment__defaulted_and_fully_recovered__reverts(active_loan, repay, stranger, chain):
    loan = active_loan()
    chain.pending_timestamp = loan.position().startTime + PERIOD + 120 * DAY
    loan.handleDefault(sender=stranger)
    repay(loan, MAX_UINT)
    assert loan.status() == Status.REPAID  # recovered in full
    with reverts(loan.LoanInvalidStatus, status=Status.REPAID):
        repay(loan, 1)


def test_handle_default__current_loan__reverts(active_loan, repay, stranger, chain):
    loan = active_loan()
    start = loan.position().startTime
    repay(loan, loan.terms().monthlyPayment, at=start + PERIOD)
    chain.pending_timestamp = start + 2 * PERIOD
    with reverts(loan.LoanNotDefaultable, daysPastDue=0, requiredDays=120):
        loan.handleDefault(sender=stranger)


def test_claim__nothing_earned__reverts(active_loan, lenders, stranger):
    loan = active_loan()
    with reverts(loan.LoanNothingToClaim, lender=lenders[0]):
        loan.claim(sender=lenders[0])
    with reverts(loan.LoanNothingToClaim, lender=stranger):
        loan.claim(sender=stranger)


def test_refund__no_notes__reverts(create_loan, fund_by, factory, underwriter, stranger):
    loan = create_loan()
    fund_by(loan, [1_000])
    factory.rejectLoan(loan.loanId(), b"\x00" * 32, sender=underwriter)
    with reverts(loan.LoanNothingToRefund, lender=stranger):
        loan.refund(sender=stranger)


def test_sweep_fees__none_accrued__reverts(active_loan, stranger):
    loan = active_loan()
    with reverts(loan.LoanNoFees):
        loan.sweepFees(sender=stranger)


# ----------------------------------------------------------------------------------------------- pause


def test_factory_pause__guardian__blocks_new_risk(create_loan, fund_by, fund, factory, guardian, borrower, lenders,
                                                  underwriter, unit):
    pending, funding, funded = create_loan(amount_tokens=1_000, approve=False), create_loan(), create_loan()
    fund_by(funded, [10_000])
    tx = factory.pause(sender=guardian)
    assert factory.paused() and funded.isPaused()
    assert tx.events == [factory.Paused(account=guardian)]
    with reverts(factory.EnforcedPause):
        factory.createLoan(1_000 * unit, 12, 0, 14 * DAY, sender=borrower)
    with reverts(factory.EnforcedPause):
        factory.approveLoan(pending.loanId(), sender=underwriter)
    with reverts(funding.LoanPausedError):
        fund(funding, lenders[1], 25 * unit)
    with reverts(funded.LoanPausedError):
        funded.withdrawFunds(sender=borrower)
    with reverts(funded.LoanPausedError):
        funded.transfer(lenders[1], 25 * unit, sender=lenders[0])


def test_factory_pause__guardian__repay_claim_refund_still_work(active_loan, create_loan, fund_by, repay, factory,
                                                                 guardian, underwriter, lenders, stranger, unit):
    loan = active_loan()
    rejected = create_loan(amount_tokens=1_000)
    fund_by(rejected, [100])
    factory.rejectLoan(rejected.loanId(), b"\x00" * 32, sender=underwriter)
    factory.pause(sender=guardian)
    tx = repay(loan, loan.terms().monthlyPayment, at=loan.position().startTime + PERIOD)
    assert tx.return_value == loan.terms().monthlyPayment
    owed = loan.claimable(lenders[0])
    assert owed > 0 and loan.claim(sender=lenders[0]).return_value == owed
    loan.setClaimer(stranger, True, sender=lenders[0])
    repay(loan, 10 * unit, payer=stranger)
    assert loan.claimFor(lenders[0], sender=stranger).return_value > 0
    assert rejected.refund(sender=lenders[0]).return_value == 100 * unit
    loan.sweepFees(sender=stranger)


def test_pause_loan__underwriter__only_that_loan_until_unpaused(create_loan, fund, factory, underwriter, lenders,
                                                                unit):
    paused, other = create_loan(amount_tokens=1_000), create_loan(amount_tokens=1_000)
    tx = factory.pauseLoan(paused.loanId(), sender=underwriter)
    assert tx.events.filter(factory.LoanPauseSet) == [factory.LoanPauseSet(loanId=paused.loanId(), paused=True)]
    assert tx.events.filter(paused.LoanPaused) == [paused.LoanPaused(paused=True)]
    assert paused.isPaused() and not other.isPaused() and not factory.paused()
    with reverts(paused.LoanPausedError):
        fund(paused, lenders[0], 25 * unit)
    fund(other, lenders[0], 25 * unit)
    factory.unpauseLoan(paused.loanId(), sender=underwriter)
    assert not paused.isPaused()
    fund(paused, lenders[0], 25 * unit)
    assert paused.balanceOf(lenders[0]) == 25 * unit


def test_pause_loan__underwriter__blocks_drawdown_not_repayment(create_loan, fund_by, repay, factory, underwriter,
                                                                borrower, unit):
    loan = create_loan()
    fund_by(loan, [10_000])
    factory.pauseLoan(loan.loanId(), sender=underwriter)
    with reverts(loan.LoanPausedError):
        loan.withdrawFunds(sender=borrower)
    factory.unpauseLoan(loan.loanId(), sender=underwriter)
    loan.withdrawFunds(sender=borrower)
    factory.pauseLoan(loan.loanId(), sender=underwriter)
    assert repay(loan, MAX_UINT).return_value >= 10_000 * unit
    assert loan.status() == Status.REPAID
