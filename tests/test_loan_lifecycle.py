"""Loan lifecycle end to end: apply → approve → fund → draw → repay → claim; partial funding, expiry and refunds,
late fees, prepayment, early payment, default with reserve cover and recovery, note transfers and claimers."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import pytest

from disfruta.attestations import Role

from conftest import DAY, MAX_UINT, PERIOD, FeeType, Status, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

BPS = 10_000


def accrued(outstanding: int, rate_bps: int, elapsed: int) -> int:
    """The loan's interest for ``elapsed`` seconds on ``outstanding`` (period rate = rate / 12, rounded up)."""
    return ceil(Fraction(outstanding * rate_bps * elapsed, 120_000 * PERIOD))


def claim_all(loan, holders) -> list[int]:
    """Claims for every holder with something to claim; returns the amounts (0 where nothing was claimable)."""
    return [loan.claim(sender=h).return_value if loan.claimable(h) else 0 for h in holders]


# ----------------------------------------------------------------------------------------------- the whole lifecycle


def test_lifecycle__four_lenders_every_installment_on_time__repaid_claims_pro_rata(
    create_loan, fund_by, repay, market, factory, treasury, lenders, borrower, underwriter, stranger, unit, chain
):
    token = market.asset
    loan = create_loan(amount_tokens=10_000, term=12, approve=False)
    assert loan.status() == Status.PENDING
    rate, orig_bps = factory.rateFor(8)
    assert factory.borrowerExposure(borrower) == 10_000 * unit

    tx = factory.approveLoan(loan.loanId(), sender=underwriter)
    assert loan.status() == Status.FUNDING
    assert loan.funding() == (0, 10_000 * unit, tx.timestamp + 14 * DAY)

    shares = [1_000 * unit, 2_500 * unit, 3_000 * unit, 3_500 * unit]
    txs = fund_by(loan, [s // unit for s in shares])
    assert [loan.balanceOf(lender) for lender in lenders] == shares
    assert txs[-1].events.filter(loan.FundingCompleted) == [loan.FundingCompleted(principal=10_000 * unit)]
    assert loan.status() == Status.FUNDED

    principal = 10_000 * unit
    fee = ceil(Fraction(principal * orig_bps, BPS))
    before = token.balanceOf(borrower)
    tx = loan.withdrawFunds(sender=borrower)
    payment = market.calculator.calculateMonthlyPayment(principal, rate, 12)
    assert tx.events.filter(loan.FundsWithdrawn) == [
        loan.FundsWithdrawn(borrower=borrower, principal=principal, originationFee=fee, monthlyPayment=payment)
    ]
    assert token.balanceOf(borrower) - before == principal - fee
    assert treasury.feesCollected(FeeType.ORIGINATION) == fee
    assert loan.status() == Status.ACTIVE
    start = tx.timestamp
    dues, interest_parts, principal_parts = loan.schedule()
    assert list(dues) == [start + k * PERIOD for k in range(1, 13)]

    paid_in = servicing = 0
    for k in range(1, 13):
        tx = repay(loan, payment if k < 12 else MAX_UINT, at=start + k * PERIOD)
        (event,) = tx.events.filter(loan.RepaymentMade)
        # On each due date the payment follows the planned schedule exactly.
        assert (event.interest, event.principal, event.lateFees) == (interest_parts[k - 1], principal_parts[k - 1], 0)
        assert event.servicingFee == event.amount * 100 // BPS
        paid_in += event.amount
        servicing += event.servicingFee
        if k == 6:  # one lender claims half way through, the others only at the end
            mid_claim = loan.claim(sender=lenders[0]).return_value
    assert loan.status() == Status.REPAID
    assert paid_in == sum(interest_parts) + principal
    assert tx.events.filter(factory.LoanClosed) == [
        factory.LoanClosed(loanId=loan.loanId(), borrower=borrower, amountReleased=principal)
    ]
    assert factory.borrowerExposure(borrower) == 0

    claims = claim_all(loan, lenders)
    assert [token.balanceOf(lender) for lender in lenders] == [mid_claim + claims[0], *claims[1:]]
    claims[0] += mid_claim
    for share, got in zip(shares, claims):
        exact = Fraction((paid_in - servicing) * share, principal)
        assert exact - 2 <= got <= exact  # pro rata, rounded down by at most a unit per claim
    tx = loan.sweepFees(sender=stranger)
    assert tx.return_value == servicing
    assert treasury.feesCollected(FeeType.SERVICING) == servicing
    assert sum(claims) + servicing <= paid_in  # what lenders got plus fees never exceeds what was paid in
    dust = token.balanceOf(loan)
    assert dust == paid_in - sum(claims) - servicing and dust <= len(lenders)
    assert token.balanceOf(treasury) == treasury.reserve() + treasury.availableFees() == fee + servicing


# ----------------------------------------------------------------------------------------------- partial funding


def test_accept_partial_funding__70_percent_after_deadline__payment_on_smaller_principal(
    create_loan, fund_by, factory, market, borrower, unit, chain
):
    loan = create_loan(amount_tokens=10_000, term=24)
    fund_by(loan, [3_000, 4_000])
    deadline = loan.funding()[2]
    chain.pending_timestamp = deadline + 1
    tx = loan.acceptPartialFunding(sender=borrower)
    assert tx.events.filter(loan.PartialFundingAccepted) == [
        loan.PartialFundingAccepted(principal=7_000 * unit, goal=10_000 * unit)
    ]
    assert loan.status() == Status.FUNDED
    assert loan.terms().principal == loan.totalSupply() == 7_000 * unit
    rate, orig_bps = factory.rateFor(8)
    tx = loan.withdrawFunds(sender=borrower)
    (event,) = tx.events.filter(loan.FundsWithdrawn)
    assert event.principal == 7_000 * unit
    assert event.originationFee == ceil(Fraction(7_000 * unit * orig_bps, BPS))
    assert event.monthlyPayment == market.calculator.calculateMonthlyPayment(7_000 * unit, rate, 24)
    assert event.monthlyPayment < market.calculator.calculateMonthlyPayment(10_000 * unit, rate, 24)


def test_accept_partial_funding__below_70_percent__reverts(create_loan, fund_by, borrower, unit, chain):
    loan = create_loan(amount_tokens=10_000)
    fund_by(loan, [3_000, 3_975])
    chain.pending_timestamp = loan.funding()[2] + 1
    with reverts(loan.LoanPartialFundingTooLow, funded=6_975 * unit, required=7_000 * unit):
        loan.acceptPartialFunding(sender=borrower)


# ----------------------------------------------------------------------------------------------- expiry and refunds


def test_expire__below_threshold_after_deadline__lenders_refunded_and_exposure_released(
    create_loan, fund_by, factory, market, lenders, borrower, stranger, unit, chain
):
    loan = create_loan(amount_tokens=10_000)
    fund_by(loan, [3_000, 3_975])
    chain.pending_timestamp = loan.funding()[2] + 1
    tx = loan.expire(sender=stranger)
    assert loan.status() == Status.EXPIRED
    assert tx.events.filter(loan.LoanExpired) == [loan.LoanExpired()]
    assert factory.borrowerExposure(borrower) == 0
    for lender, amount in zip(lenders, [3_000 * unit, 3_975 * unit]):
        before = market.asset.balanceOf(lender)
        tx = loan.refund(sender=lender)
        assert tx.events.filter(loan.Refunded) == [loan.Refunded(lender=lender, amount=amount)]
        assert market.asset.balanceOf(lender) - before == amount
        assert loan.balanceOf(lender) == 0
    assert loan.totalSupply() == market.asset.balanceOf(loan) == 0


def test_expire__funded_not_drawn_within_30_days__refunds(create_loan, fund_by, market, lenders, stranger, unit,
                                                           chain):
    loan = create_loan(amount_tokens=10_000)
    fund_by(loan, [5_000, 5_000])
    window = loan.config().drawdownWindow
    assert window == 30 * DAY
    chain.pending_timestamp = loan.position().fundedAt + window
    with reverts(loan.LoanCannotExpire, status=Status.FUNDED):
        loan.expire(sender=stranger)
    chain.pending_timestamp = loan.position().fundedAt + window + 1
    loan.expire(sender=stranger)
    assert loan.status() == Status.EXPIRED
    assert [loan.refund(sender=lender).return_value for lender in lenders[:2]] == [5_000 * unit] * 2
    assert market.asset.balanceOf(loan) == 0


# ----------------------------------------------------------------------------------------------- late fees


@pytest.mark.parametrize("amount_tokens, term", [(10_000, 12), (1_000, 36)], ids=["5pct", "min15"])
def test_late_fee__past_grace__one_fee_per_missed_installment_paid_first_to_lenders(
    active_loan, repay, warp, lenders, unit, amount_tokens, term
):
    loan = active_loan(amount_tokens=amount_tokens, term=term)
    cfg, start, payment = loan.config(), loan.position().startTime, loan.terms().monthlyPayment
    fee = max(payment * cfg.lateFeeBps // BPS, cfg.lateFeeMin)
    assert fee == (payment * 500 // BPS if amount_tokens == 10_000 else 15 * unit)
    assert cfg.gracePeriod == 15 * DAY
    warp(start + PERIOD + cfg.gracePeriod - 1)
    assert loan.position().lateFeesOwed == 0
    warp(start + 3 * PERIOD + cfg.gracePeriod)
    assert loan.position().lateFeesOwed == 3 * fee  # installments 1, 2 and 3 are past their grace period

    # Paid: late fees first, then interest; the fees are assessed once.
    tx = repay(loan, 3 * fee + 1, at=start + 3 * PERIOD + cfg.gracePeriod + 1)
    assert tx.events.filter(loan.LateFeeAssessed) == [loan.LateFeeAssessed(installments=3, amount=3 * fee)]
    (event,) = tx.events.filter(loan.RepaymentMade)
    assert (event.lateFees, event.interest, event.principal) == (3 * fee, 1, 0)
    # Passed to lenders: the one noteholder can claim the whole payment less the servicing fee.
    assert loan.claimable(lenders[0]) in (event.amount - event.servicingFee, event.amount - event.servicingFee - 1)
    warp(start + 3 * PERIOD + cfg.gracePeriod + 10 * DAY)
    assert loan.position().lateFeesOwed == 0  # the three installments are still unpaid, but not charged twice
    tx = repay(loan, 3 * payment, at=start + 3 * PERIOD + cfg.gracePeriod + 10 * DAY + 1)
    assert tx.events.filter(loan.LateFeeAssessed) == []
    assert tx.events.filter(loan.RepaymentMade)[0].lateFees == 0
    warp(start + 4 * PERIOD + cfg.gracePeriod - 1)
    assert loan.position().lateFeesOwed == 0


def test_amount_due__at_maturity_nothing_paid__everything_owed(active_loan, warp):
    loan = active_loan(amount_tokens=1_000, term=6)
    warp(loan.position().startTime + 6 * PERIOD)
    assert loan.position().lateFeesOwed > loan.position().paidTowardSchedule == 0
    # From the last due date on, what is due is everything owed (the view's own rule).
    assert loan.amountDue() == loan.payoffAmount()


# ----------------------------------------------------------------------------------------------- prepayment


def test_prepayment__extra_principal__installments_covered_no_penalty_payoff(active_loan, repay, warp, unit):
    loan = active_loan(amount_tokens=10_000, term=12)
    rate, start, payment = loan.terms().annualRateBps, loan.position().startTime, loan.terms().monthlyPayment
    tx = repay(loan, 4 * payment, at=start + PERIOD)
    (event,) = tx.events.filter(loan.RepaymentMade)
    assert event.interest == accrued(10_000 * unit, rate, PERIOD)
    assert event.principal == 4 * payment - event.interest  # everything beyond the interest prepays principal
    # Four installments are covered: the next one falls due in month five and nothing is due before.
    assert loan.nextDueDate() == start + 5 * PERIOD
    warp(start + 2 * PERIOD + 5 * DAY)  # installment two is past its due date, but already covered
    assert (loan.amountDue(), loan.daysPastDue(), loan.position().lateFeesOwed) == (0, 0, 0)
    outstanding = loan.position().principalOutstanding

    payoff_at = start + 2 * PERIOD + 10 * DAY
    tx = repay(loan, MAX_UINT, at=payoff_at)
    (event,) = tx.events.filter(loan.RepaymentMade)
    # No penalty: the payoff is the principal plus interest for the time elapsed, nothing more.
    assert (event.principal, event.interest, event.lateFees) == (outstanding, accrued(outstanding, rate, 40 * DAY), 0)
    assert tx.return_value == event.amount
    assert loan.status() == Status.REPAID
    assert loan.payoffAmount() == loan.amountDue() == loan.nextDueDate() == 0


def test_make_repayment__early_installment__less_interest_than_on_due_date(active_loan, repay, unit):
    early, on_time = active_loan(amount_tokens=5_000, term=12), active_loan(amount_tokens=5_000, term=12)
    payment = early.terms().monthlyPayment
    tx_early = repay(early, payment, at=early.position().startTime + PERIOD - 10 * DAY)
    tx_on_time = repay(on_time, payment, at=on_time.position().startTime + PERIOD)
    (e,), (o,) = tx_early.events.filter(early.RepaymentMade), tx_on_time.events.filter(on_time.RepaymentMade)
    assert o.interest == on_time.schedule()[1][0]
    assert e.interest == accrued(5_000 * unit, early.terms().annualRateBps, PERIOD - 10 * DAY) < o.interest
    assert e.principal > o.principal
    assert early.nextDueDate() == early.position().startTime + 2 * PERIOD  # the installment is covered


# ----------------------------------------------------------------------------------------------- default


@pytest.mark.parametrize("reserve_tokens", [100_000, 1_000], ids=["30pct", "capped"])
def test_handle_default__120_days_past_due__reserve_covers_lenders_then_recovery_paid(
    active_loan, fund_reserve, repay, factory, treasury, market, lenders, borrower, stranger, unit, chain,
    reserve_tokens,
):
    loan = active_loan(amount_tokens=10_000, term=12, shares=[4_000, 6_000])
    fund_reserve(reserve_tokens * unit)
    reserve = treasury.reserve()
    first_due = loan.position().startTime + PERIOD
    chain.pending_timestamp = first_due + 119 * DAY
    with reverts(loan.LoanNotDefaultable, daysPastDue=119, requiredDays=120):
        loan.handleDefault(sender=stranger)

    chain.pending_timestamp = first_due + 120 * DAY
    tx = loan.handleDefault(sender=stranger)
    cover = min(10_000 * unit * 3_000 // BPS, reserve)
    assert cover == (3_000 * unit if reserve_tokens == 100_000 else reserve)
    assert tx.events.filter(loan.LoanDefaulted) == [
        loan.LoanDefaulted(principalOutstanding=10_000 * unit, reserveCover=cover, daysPastDue=120)
    ]
    assert loan.status() == Status.DEFAULTED
    assert (treasury.reserve(), treasury.reserveUsed()) == (reserve - cover, cover)
    # Subrogation: the cover pays the lenders, the borrower's debt is unchanged and keeps counting against them.
    assert loan.position().principalOutstanding == 10_000 * unit
    assert loan.recovery() == (cover, 10_000 * unit, 0)
    assert factory.borrowerExposure(borrower) == 10_000 * unit and factory.openDefaults(borrower) == 1
    assert market.registry.getUser(borrower).defaults == 1 and not market.registry.isVerifiedBorrower(borrower)
    claims = claim_all(loan, lenders[:2])
    assert claims[0] in (cover * 4 // 10, cover * 4 // 10 - 1) and claims[1] in (cover * 6 // 10, cover * 6 // 10 - 1)

    # Interest keeps accruing on the principal after the default (no further late fees).
    owed = loan.payoffAmount()
    p = loan.position()
    assert owed == p.principalOutstanding + p.interestOwed + p.lateFeesOwed
    chain.pending_timestamp += PERIOD
    chain.mine()
    month = 10_000 * unit * loan.terms().annualRateBps // 120_000  # a period's interest (the block may be a second late)
    assert month <= loan.payoffAmount() - owed <= month * (PERIOD + 60) // PERIOD

    # A recovery is shared pro rata: the reserve owns cover / principal-at-default of it, the lenders the rest.
    tx = repay(loan, 1_000 * unit, payer=stranger)
    net = 1_000 * unit - 1_000 * unit * 100 // BPS
    to_reserve = net * cover // (10_000 * unit)
    assert tx.events.filter(loan.RecoveryShared) == [
        loan.RecoveryShared(toNoteholders=net - to_reserve, toReserve=to_reserve)]
    recovered = claim_all(loan, lenders[:2])
    mine = net - to_reserve
    assert recovered[0] in (mine * 4 // 10, mine * 4 // 10 - 1) and recovered[1] in (mine * 6 // 10, mine * 6 // 10 - 1)

    # Recovered in full: the loan is repaid, the borrower's limit is freed, the reserve gets its share back.
    tx = repay(loan, MAX_UINT)
    assert loan.payoffAmount() == 0 and loan.status() == Status.REPAID
    assert factory.borrowerExposure(borrower) == 0 and factory.openDefaults(borrower) == 0
    _, _, reserve_share = loan.recovery()
    assert reserve_share > to_reserve
    before = treasury.reserve()
    loan.sweepFees(sender=stranger)
    assert treasury.reserve() - before >= reserve_share and treasury.reserveRecovered() == reserve_share


# ----------------------------------------------------------------------------------------------- notes and claimers


def test_transfer_notes__verified_lender__accrued_stays_with_sender(active_loan, repay, onboard, lenders, unit):
    alice, bob = lenders[0], lenders[1]
    loan = active_loan(amount_tokens=10_000, term=12, shares=[10_000])
    onboard(bob, Role.LENDER)
    start, payment = loan.position().startTime, loan.terms().monthlyPayment
    repay(loan, payment, at=start + PERIOD)
    earned = loan.claimable(alice)
    assert earned > 0
    tx = loan.transfer(bob, 4_000 * unit, sender=alice)
    assert tx.events.filter(loan.Transfer)[0].value == 4_000 * unit
    assert (loan.claimable(alice), loan.claimable(bob)) == (earned, 0)
    tx = repay(loan, payment, at=start + 2 * PERIOD)
    (event,) = tx.events.filter(loan.RepaymentMade)
    net = event.amount - event.servicingFee
    assert loan.claimable(alice) - earned in (net * 6 // 10, net * 6 // 10 - 1)
    assert loan.claimable(bob) in (net * 4 // 10, net * 4 // 10 - 1)


def test_transfer_notes__unverified_or_borrower__reverts(active_loan, onboard, lenders, borrower, stranger, unit):
    loan = active_loan(amount_tokens=10_000, term=12, shares=[10_000])
    with reverts(loan.LoanTransferToUnverified, to=stranger):
        loan.transfer(stranger, 25 * unit, sender=lenders[0])
    onboard(borrower, Role.BORROWER | Role.LENDER, grade=8)  # a verified lender too: still refused
    with reverts(loan.LoanTransferToUnverified, to=borrower):
        loan.transfer(borrower, 25 * unit, sender=lenders[0])
    loan.approve(stranger, 25 * unit, sender=lenders[0])
    with reverts(loan.LoanTransferToUnverified, to=borrower):
        loan.transferFrom(lenders[0], borrower, 25 * unit, sender=stranger)


def test_claim_for__approved_claimer__paid_to_claimer_until_revoked(active_loan, repay, market, lenders, stranger):
    lender = lenders[0]
    loan = active_loan(amount_tokens=10_000, term=12)
    repay(loan, loan.terms().monthlyPayment, at=loan.position().startTime + PERIOD)
    with reverts(loan.LoanNotClaimer, caller=stranger, lender=lender):
        loan.claimFor(lender, sender=stranger)
    tx = loan.setClaimer(stranger, True, sender=lender)
    assert tx.events == [loan.ClaimerSet(lender=lender, claimer=stranger, approved=True)]
    assert loan.isClaimer(lender, stranger)
    owed, before = loan.claimable(lender), market.asset.balanceOf(stranger)
    tx = loan.claimFor(lender, sender=stranger)
    assert tx.events.filter(loan.Claimed) == [loan.Claimed(lender=lender, to=stranger, amount=owed)]
    assert market.asset.balanceOf(stranger) - before == owed and loan.claimable(lender) == 0
    loan.setClaimer(stranger, False, sender=lender)
    with reverts(loan.LoanNotClaimer, caller=stranger, lender=lender):
        loan.claimFor(lender, sender=stranger)


# ----------------------------------------------------------------------------------------------- one payoff definition


@pytest.mark.parametrize("elapsed_days", [0, 3, 29, 44])
def test_payoff__calculator_and_loan__the_same_amount_later(active_loan, calculator, repay, chain, elapsed_days):
    """`InterestCalculator.calculatePayoff` is `LoanMath.payoff`, the loan's own definition: from the position stored by
    a repayment, the payoff `elapsed` seconds later (past the next due date too: no cap at one period) is exactly what
    the loan then asks. (44 days: the grace period has not passed, so no late fee is due yet.)"""
    loan = active_loan(amount_tokens=10_000, term=12)
    start = loan.position().startTime
    tx = repay(loan, loan.terms().monthlyPayment, at=start + PERIOD)
    p, rate, paid_at = loan.position(), loan.terms().annualRateBps, chain.blocks[tx.block_number].timestamp
    elapsed = elapsed_days * DAY
    if elapsed:
        chain.pending_timestamp = paid_at + elapsed
        chain.mine()
    assert chain.blocks.head.timestamp == paid_at + elapsed
    assert loan.payoffAmount() == calculator.calculatePayoff(p.principalOutstanding, p.interestOwed, p.lateFeesOwed,
                                                             rate, elapsed)
