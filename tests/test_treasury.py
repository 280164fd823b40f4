"""Treasury: fees by type and their reserve share, sweeping servicing fees, distribution by the admin, the reserve
and default cover, loan-only entry points, policy, and the proxy's initialisation and upgrade rights."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import ape
import pytest
from eth_utils import keccak

from disfruta.governance.market import deploy_proxy

from conftest import DAY, MAX_UINT, PERIOD, FeeType, Status, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

ZERO = "0x0000000000000000000000000000000000000000"
ADMIN_ROLE = b"\x00" * 32


def assert_books_balance(treasury, token) -> None:
    # Invariant 6: the Treasury's token balance equals what its accounting says (reserve plus available fees).
    assert token.balanceOf(treasury) == treasury.reserve() + treasury.availableFees()


# ----------------------------------------------------------------------------------------------- fees


def test_withdraw_funds__origination_fee__collected_half_to_reserve(create_loan, fund_by, treasury, market, borrower,
                                                                    unit):
    loan = create_loan(amount_tokens=10_000)
    fund_by(loan, [10_000])
    tx = loan.withdrawFunds(sender=borrower)
    fee = ceil(Fraction(10_000 * unit * 245, 10_000))
    assert tx.events.filter(treasury.FeeCollected) == [
        treasury.FeeCollected(loan=loan, feeType=FeeType.ORIGINATION, amount=fee, toReserve=fee // 2)
    ]
    assert (treasury.feesCollected(FeeType.ORIGINATION), treasury.feesCollected(FeeType.SERVICING)) == (fee, 0)
    assert (treasury.reserve(), treasury.availableFees(), treasury.totalFees()) == (fee // 2, fee - fee // 2, fee)
    assert_books_balance(treasury, market.asset)


def test_sweep_fees__after_repayments__servicing_fees_moved_in_one_transfer(active_loan, repay, treasury, market,
                                                                            stranger):
    loan = active_loan()
    start, payment = loan.position().startTime, loan.terms().monthlyPayment
    fees = sum(repay(loan, payment, at=start + k * PERIOD).events.filter(loan.RepaymentMade)[0].servicingFee
               for k in (1, 2))
    assert fees == 2 * (payment // 100) and loan.position().feesAccrued == fees
    reserve, available, loan_balance = treasury.reserve(), treasury.availableFees(), market.asset.balanceOf(loan)
    tx = loan.sweepFees(sender=stranger)
    assert tx.return_value == fees
    assert tx.events.filter(loan.FeesSwept) == [loan.FeesSwept(amount=fees)]
    assert tx.events.filter(treasury.FeeCollected) == [
        treasury.FeeCollected(loan=loan, feeType=FeeType.SERVICING, amount=fees, toReserve=fees // 2)
    ]
    assert len(tx.events.filter(market.asset.Transfer)) == 1
    assert treasury.feesCollected(FeeType.SERVICING) == fees
    assert (treasury.reserve() - reserve, treasury.availableFees() - available) == (fees // 2, fees - fees // 2)
    assert market.asset.balanceOf(loan) == loan_balance - fees and loan.position().feesAccrued == 0
    assert_books_balance(treasury, market.asset)


def test_distribute_fees__admin_within_available__sent(active_loan, treasury, market, admin, stranger):
    active_loan()
    available = treasury.availableFees()
    tx = treasury.distributeFees(stranger, available, sender=admin)
    assert tx.events.filter(treasury.FeesDistributed) == [treasury.FeesDistributed(to=stranger, amount=available)]
    assert market.asset.balanceOf(stranger) == available and treasury.availableFees() == 0
    assert treasury.reserve() > 0  # the reserve share is never distributed
    assert_books_balance(treasury, market.asset)


def test_distribute_fees__more_than_available__reverts(active_loan, treasury, admin, stranger):
    active_loan()
    available = treasury.availableFees()
    assert treasury.reserve() > 0  # more is held than available: the reserve share cannot be distributed
    with reverts(treasury.TreasuryInsufficientFees, amount=available + 1, available=available):
        treasury.distributeFees(stranger, available + 1, sender=admin)


@pytest.mark.parametrize("to, amount, error", [(ZERO, 1, "TreasuryZeroAddress"), ("stranger", 0, "TreasuryZeroAmount")])
def test_distribute_fees__zero_address_or_amount__reverts(treasury, admin, stranger, to, amount, error):
    with reverts(getattr(treasury, error)):
        treasury.distributeFees(stranger if to == "stranger" else to, amount, sender=admin)


# ----------------------------------------------------------------------------------------------- reserve and cover


def test_fund_reserve__anyone__reserve_grows(fund_reserve, treasury, market, stranger, unit):
    tx = fund_reserve(5_000 * unit)
    assert tx.events.filter(treasury.ReserveFunded) == [treasury.ReserveFunded(**{"from": stranger,
                                                                                  "amount": 5_000 * unit})]
    assert treasury.reserve() == 5_000 * unit and treasury.availableFees() == 0
    assert treasury.coverFor(10_000 * unit) == 3_000 * unit  # 30 % of the principal outstanding
    assert treasury.coverFor(100_000 * unit) == 5_000 * unit  # capped by the reserve
    assert_books_balance(treasury, market.asset)


def test_fund_reserve__zero__reverts(treasury, stranger):
    with reverts(treasury.TreasuryZeroAmount):
        treasury.fundReserve(0, sender=stranger)


def test_fund_reserve__fee_on_transfer_token__reverts(fot_market, stranger):
    token, treasury, unit = fot_market.asset, fot_market.treasury, 10**6
    token.mint(stranger, 100 * unit, sender=stranger)
    token.approve(treasury, 100 * unit, sender=stranger)
    with reverts(treasury.TreasuryTransferAmountMismatch, expected=100 * unit, received=99 * unit):
        treasury.fundReserve(100 * unit, sender=stranger)


def test_handle_default__cover_paid__reserve_used_and_books_balance(active_loan, fund_reserve, treasury, market,
                                                                     stranger, unit, chain):
    loan = active_loan(amount_tokens=10_000)
    fund_reserve(10_000 * unit)
    reserve = treasury.reserve()
    chain.pending_timestamp = loan.position().startTime + PERIOD + 120 * DAY
    tx = loan.handleDefault(sender=stranger)
    assert tx.events.filter(treasury.ReserveUsed) == [
        treasury.ReserveUsed(loan=loan, principalOutstanding=10_000 * unit, amount=3_000 * unit)
    ]
    assert (treasury.reserve(), treasury.reserveUsed()) == (reserve - 3_000 * unit, 3_000 * unit)
    assert_books_balance(treasury, market.asset)


def test_handle_default__empty_reserve__defaults_without_cover(active_loan, treasury, admin, stranger, chain):
    treasury.setPolicy(0, 3_000, sender=admin)  # no fee goes to the reserve
    loan = active_loan()
    assert treasury.reserve() == 0
    chain.pending_timestamp = loan.position().startTime + PERIOD + 120 * DAY
    tx = loan.handleDefault(sender=stranger)
    assert tx.events.filter(loan.LoanDefaulted)[0].reserveCover == 0
    assert tx.events.filter(treasury.ReserveUsed) == []
    assert loan.status() == Status.DEFAULTED and loan.position().accPerNote == 0


# ----------------------------------------------------------------------------------------------- loan-only entry points


def test_collect_fee__not_a_loan__reverts(treasury, stranger):
    with reverts(treasury.TreasuryNotLoan, caller=stranger):
        treasury.collectFee(1, FeeType.SERVICING, sender=stranger)


def test_use_reserve_for_default__not_a_loan__reverts(treasury, fund_reserve, stranger, unit):
    fund_reserve(1_000 * unit)
    with reverts(treasury.TreasuryNotLoan, caller=stranger):
        treasury.useReserveForDefault(1_000 * unit, sender=stranger)


def test_collect_fee__loan_that_sent_nothing__reverts(create_loan, treasury, as_contract, stranger, unit):
    loan = create_loan()
    sender = as_contract(loan)
    with reverts(treasury.TreasuryZeroAmount):
        treasury.collectFee(0, FeeType.SERVICING, sender=sender)
    with reverts(treasury.TreasuryUnfundedFee, amount=10 * unit, unaccounted=0):
        treasury.collectFee(10 * unit, FeeType.SERVICING, sender=sender)


def test_use_reserve_for_default__loan_not_defaulted_or_twice__reverts(active_loan, fund_reserve, treasury,
                                                                       as_contract, stranger, unit, chain):
    loan = active_loan()
    fund_reserve(10_000 * unit)
    with reverts(treasury.TreasuryNotLoan, caller=loan):  # active, not defaulted
        treasury.useReserveForDefault(10_000 * unit, sender=as_contract(loan))
    chain.pending_timestamp = loan.position().startTime + PERIOD + 120 * DAY
    loan.handleDefault(sender=stranger)
    with reverts(treasury.TreasuryNotLoan, caller=loan):  # covered once already
        treasury.useReserveForDefault(10_000 * unit, sender=as_contract(loan))


# ----------------------------------------------------------------------------------------------- policy, roles, proxy


def test_set_policy__admin__applies_to_next_fees_and_cover(treasury, admin, fund_reserve, unit):
    tx = treasury.setPolicy(2_000, 5_000, sender=admin)
    assert tx.events == [treasury.PolicySet(reserveShareBps=2_000, defaultCoverBps=5_000)]
    assert treasury.policy() == (2_000, 5_000)
    fund_reserve(10_000 * unit)
    assert treasury.coverFor(10_000 * unit) == 5_000 * unit


@pytest.mark.parametrize("reserve_bps, cover_bps", [(10_001, 0), (0, 10_001)])
def test_set_policy__above_100_percent__reverts(treasury, admin, reserve_bps, cover_bps):
    with reverts(treasury.TreasuryInvalidBps, bps=10_001):
        treasury.setPolicy(reserve_bps, cover_bps, sender=admin)


@pytest.mark.parametrize("call, args", [("distributeFees", ("stranger", 1)), ("setPolicy", (0, 0)),
                                        ("upgradeToAndCall", (ZERO, b"")), ("grantRole", (ADMIN_ROLE, ZERO)),
                                        ("revokeRole", (ADMIN_ROLE, ZERO))])
def test_role_gated_function__stranger__reverts(treasury, stranger, call, args):
    args = tuple(stranger if a == "stranger" else a for a in args)
    with reverts(treasury.AccessControlUnauthorizedAccount, account=stranger, neededRole=ADMIN_ROLE):
        getattr(treasury, call)(*args, sender=stranger)


def test_initialize__proxy_or_implementation_twice__reverts(market, treasury, admin):
    for target in (treasury, market.implementations["Treasury"]):
        with reverts(target.InvalidInitialization):
            target.initialize(admin, market.asset, market.factory, 5_000, 3_000, sender=admin)


@pytest.mark.parametrize("zero", [0, 1, 2])
def test_initialize__zero_address__reverts(project, market, admin, zero):
    addresses = [admin.address, market.asset.address, market.factory.address]
    addresses[zero] = ZERO
    with ape.reverts("0x" + keccak(text="TreasuryZeroAddress()")[:4].hex()):
        deploy_proxy(project, admin, project.Treasury, *addresses, 5_000, 3_000)


def test_upgrade__admin__keeps_books(project, active_loan, treasury, market, admin):
    active_loan()
    before = (treasury.reserve(), treasury.availableFees(), treasury.feesCollected(FeeType.ORIGINATION))
    treasury.upgradeToAndCall(admin.deploy(project.Treasury), b"", sender=admin)
    assert (treasury.reserve(), treasury.availableFees(), treasury.feesCollected(FeeType.ORIGINATION)) == before
    assert_books_balance(treasury, market.asset)


def test_books__fees_distribution_and_cover__balance_at_every_step(active_loan, repay, fund_reserve, treasury,
                                                                    market, admin, stranger, unit, chain):
    loan = active_loan(amount_tokens=20_000, term=24)
    assert_books_balance(treasury, market.asset)
    start = loan.position().startTime
    repay(loan, loan.terms().monthlyPayment, at=start + PERIOD)
    loan.sweepFees(sender=stranger)
    assert_books_balance(treasury, market.asset)
    treasury.distributeFees(admin, treasury.availableFees() // 3, sender=admin)
    assert_books_balance(treasury, market.asset)
    fund_reserve(1_000 * unit)
    chain.pending_timestamp = start + 2 * PERIOD + 120 * DAY
    loan.handleDefault(sender=stranger)
    assert_books_balance(treasury, market.asset)
    repay(loan, MAX_UINT)
    loan.sweepFees(sender=stranger)
    assert_books_balance(treasury, market.asset)
    assert treasury.totalFees() == (treasury.feesCollected(FeeType.ORIGINATION)
                                    + treasury.feesCollected(FeeType.SERVICING))
