"""NoteMarket: listing, cancelling and buying loan notes, with every rule and its custom error; the price (premium or
discount on the outstanding principal at the moment of purchase, rounded up), the seller fee to the Treasury as a
trading fee, the market holding nothing between calls, claims across a sale, pause and roles; and a property over
random premiums, fees and partial purchases.

Only ``priceOf`` and ``quote``'s price and fee are checked here: the valuation views (``quote``'s yield,
``fairValue``, ``yieldAt``, ``cashFlows``) come from ``NoteValuation``, still a stand-in on this branch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ape
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from disfruta.attestations import Role

from conftest import DAY, MAX_UINT, PERIOD, Status, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

BPS = 10_000
TRADING = 3  # ITreasury.FeeType.Trading
DEFAULT_ADMIN_ROLE = b"\x00" * 32
REASON = b"\x01" * 32
MIN_PREMIUM, MAX_PREMIUM = -9_999, 10_000


# ------------------------------------------------------------------------------------------------ helpers


def expected_price(notes: int, st_: Any, premium_bps: int) -> int:
    """ceil(notes · outstanding · (1e4 + premium) / (supply · 1e4)) for the principal, plus the notes' share of the
    interest and late fees accrued and unpaid, net of the servicing fee, rounded down (the buyer pays the seller)."""
    num, den = notes * st_.principalOutstanding * (BPS + premium_bps), st_.notes * BPS
    return -(-num // den) + notes * st_.unpaid * (BPS - st_.servicingFeeBps) // den


def price_now(loan: Any, notes: int, premium_bps: int) -> int:
    """The price at the head block's time (the clock is stopped in these tests: see `stopped_clock`)."""
    return expected_price(notes, loan.standing(), premium_bps)


@pytest.fixture(autouse=True)
def stopped_clock(chain):
    """Blocks keep the time of the one before (a test moves it on explicitly, with `pending_timestamp`): the price
    includes interest accrued by the second, so a price read in one block is the price paid in the next."""
    chain.provider.make_request("anvil_setBlockTimestampInterval", [0])
    yield
    chain.provider.make_request("anvil_removeBlockTimestampInterval", [])


@contextmanager
def loan_reverts(signature: str, account: Any) -> Iterator[None]:
    """The loan's own error, relayed through the market (whose ABI doesn't know it): compares the raw revert data."""
    expected = keccak(text=signature)[:4] + bytes(12) + bytes.fromhex(str(account.address)[2:])
    with ape.reverts() as info:
        yield
    raw = info.value.revert_message
    assert (raw if isinstance(raw, bytes) else bytes.fromhex(str(raw).removeprefix("0x"))) == expected


def cash(market: Any, buyer: Any, amount: int) -> None:
    """Mints ``amount`` to ``buyer`` and approves the note market for it."""
    market.asset.mint(buyer, amount, sender=buyer)
    market.asset.approve(market.note_market, amount, sender=buyer)


def books(market: Any) -> tuple[int, int, int, int]:
    t = market.treasury
    return t.feesCollected(TRADING), t.reserve(), t.availableFees(), market.asset.balanceOf(t)


def assert_market_holds_nothing(market: Any, loan: Any) -> None:
    nm = market.note_market
    assert market.asset.balanceOf(nm) == 0
    assert loan.balanceOf(nm) == 0


@pytest.fixture
def nm(market):
    return market.note_market


@pytest.fixture
def seller(lenders):
    return lenders[0]


@pytest.fixture
def buyers(lenders, onboard):
    """Two verified lenders holding no notes (accounts 10 and 11)."""
    for who in lenders[2:4]:
        onboard(who, Role.LENDER)
    return lenders[2:4]


@pytest.fixture
def traded(active_loan, seller, nm):
    """A 10,000-token, 12-month active loan: the seller (lenders[0]) holds 2,500 notes, lenders[1] 7,500; the seller
    has approved the market for all its notes."""
    loan = active_loan(amount_tokens=10_000, term=12, shares=[2_500, 7_500])
    loan.approve(nm, MAX_UINT, sender=seller)
    return loan


# ================================================================================================ listing


def test_list__verified_holder__listed_and_relist_bumps_version(nm, market, traded, seller, unit, chain):
    loan = traded
    expiry = chain.pending_timestamp + 7 * DAY
    tx = nm.list(loan, 1_000 * unit, -250, expiry, sender=seller)
    assert tx.return_value == 1
    assert tx.events.filter(nm.Listed) == [nm.Listed(loan=loan.address, seller=seller, notes=1_000 * unit,
                                                     premiumBps=-250, expiry=expiry, version=1)]
    assert nm.listing(loan, seller) == (1_000 * unit, -250, expiry, 1)

    # Listing again replaces the listing and bumps its version; no expiry (0) is allowed.
    tx = nm.list(loan, 2_500 * unit, 300, 0, sender=seller)
    assert tx.return_value == 2
    assert tx.events.filter(nm.Listed)[0].version == 2
    assert nm.listing(loan, seller) == (2_500 * unit, 300, 0, 2)
    assert nm.listingsOf(loan, [seller, nm.address]) == [(2_500 * unit, 300, 0, 2), (0, 0, 0, 0)]
    # Nothing is escrowed: the seller keeps its notes.
    assert loan.balanceOf(seller) == 2_500 * unit
    assert_market_holds_nothing(market, loan)


def test_list__zero_notes__reverts(nm, traded, seller):
    with reverts(nm.MarketZeroNotes):
        nm.list(traded, 0, 0, 0, sender=seller)


@pytest.mark.parametrize("premium", [MIN_PREMIUM - 1, MAX_PREMIUM + 1, -BPS, 32_767])
def test_list__premium_out_of_range__reverts(nm, traded, seller, unit, premium):
    with reverts(nm.MarketPremiumOutOfRange, premiumBps=premium, min=MIN_PREMIUM, max=MAX_PREMIUM):
        nm.list(traded, 100 * unit, premium, 0, sender=seller)


@pytest.mark.parametrize("premium", [MIN_PREMIUM, MAX_PREMIUM])
def test_list__premium_at_bounds__listed(nm, traded, seller, unit, premium):
    nm.list(traded, 100 * unit, premium, 0, sender=seller)
    assert nm.listing(traded, seller).premiumBps == premium
    assert nm.priceOf(traded, 100 * unit, premium) == price_now(traded, 100 * unit, premium)


@pytest.mark.parametrize("offset", [0, -1, -30 * DAY])
def test_list__expiry_not_in_future__reverts(nm, traded, seller, unit, chain, offset):
    now = chain.pending_timestamp
    chain.pending_timestamp = now
    with reverts(nm.MarketInvalidExpiry, expiry=now + offset, nowTs=now):
        nm.list(traded, 100 * unit, 0, now + offset, sender=seller)
    # One second later than the block is enough.
    chain.pending_timestamp = now
    nm.list(traded, 100 * unit, 0, now + 1, sender=seller)
    assert nm.listing(traded, seller).expiry == now + 1


def test_list__expiry_beyond_uint40__reverts(nm, traded, seller, unit, chain):
    """An expiry that does not fit the listing's uint40 is refused (it used to be truncated: 2**40 stored as 0, no
    expiry at all, while the `Listed` event reported the full value). A millisecond timestamp is such a value."""
    for expiry in (2**40, 2**40 + 1, chain.pending_timestamp * 1000):
        chain.pending_timestamp = now = chain.pending_timestamp
        with reverts(nm.MarketInvalidExpiry, expiry=expiry, nowTs=now):
            nm.list(traded, 100 * unit, 0, expiry, sender=seller)
    nm.list(traded, 100 * unit, 0, 2**40 - 1, sender=seller)
    assert nm.listing(traded, seller).expiry == 2**40 - 1


def test_list__not_a_factory_loan__reverts(nm, market, seller, unit):
    for fake in (market.asset, market.pool):
        with reverts(nm.MarketNotLoan, loan=fake.address):
            nm.list(fake, 100 * unit, 0, 0, sender=seller)


def test_list__revoked_lender__listing_stands_but_no_purchase(nm, market, traded, seller, buyers, revoker, unit):
    """A listing is an offer: who may sell is the loan's transfer rule, checked when the notes move. A revoked
    lender's listing stays, and buying it is refused with the loan's error, nothing moved."""
    nm.list(traded, 100 * unit, 0, 0, sender=seller)
    market.registry.revokeUser(seller, REASON, sender=revoker)
    assert market.registry.isRevoked(seller)
    nm.list(traded, 200 * unit, 0, 0, sender=seller)  # even relisting: the purchase decides
    cash(market, buyers[0], 1_000 * unit)
    with loan_reverts("LoanTransferFromUnverified(address)", seller):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 2, sender=buyers[0])
    assert (traded.balanceOf(seller), market.asset.balanceOf(buyers[0])) == (2_500 * unit, 1_000 * unit)


def test_list__more_notes_than_held__reverts(nm, traded, seller, buyers, unit):
    with reverts(nm.MarketSellerLacksNotes, seller=seller, held=2_500 * unit, needed=2_500 * unit + 1):
        nm.list(traded, 2_500 * unit + 1, 0, 0, sender=seller)
    # A verified lender holding no notes at all.
    with reverts(nm.MarketSellerLacksNotes, seller=buyers[0], held=0, needed=1):
        nm.list(traded, 1, 0, 0, sender=buyers[0])
    nm.list(traded, 2_500 * unit, 0, 0, sender=seller)  # exactly what it holds


def test_list__untradable_loan__accepted_as_an_offer_and_purchase_refused(nm, market, create_loan, fund, traded,
                                                                         seller, buyers, stranger, chain, unit):
    """Which loans trade is checked at the purchase (and by the SDK before listing): notes of a loan still funding,
    or defaulted, may be listed, and buying them is refused with the loan's status."""
    funding = create_loan()
    fund(funding, seller, 1_000 * unit)
    funding.approve(nm, MAX_UINT, sender=seller)
    nm.list(funding, 100 * unit, 0, 0, sender=seller)
    cash(market, buyers[0], 1_000 * unit)
    with reverts(nm.MarketLoanNotActive, loan=funding.address, status=Status.FUNDING):
        nm.buy(funding, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])

    nm.list(traded, 100 * unit, 0, 0, sender=seller)
    chain.pending_timestamp = traded.position().startTime + PERIOD + 120 * DAY
    traded.handleDefault(sender=stranger)
    with reverts(nm.MarketLoanNotActive, loan=traded.address, status=Status.DEFAULTED):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    assert market.asset.balanceOf(buyers[0]) == 1_000 * unit


def test_list__last_second_of_grace__listed(nm, traded, seller, chain, unit):
    chain.pending_timestamp = traded.nextDueDate() + 15 * DAY
    nm.list(traded, 100 * unit, 0, 0, sender=seller)
    assert nm.listing(traded, seller).notes == 100 * unit


def test_pause__guardian__listing_and_buying_refused_cancel_works(nm, market, traded, seller, buyers, guardian,
                                                                 admin, unit):
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    cash(market, buyers[0], 10_000 * unit)
    tx = nm.pause(sender=guardian)
    assert tx.events.filter(nm.Paused) == [nm.Paused(account=guardian)]
    with reverts(nm.EnforcedPause):
        nm.list(traded, 500 * unit, 0, 0, sender=seller)
    with reverts(nm.EnforcedPause):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    assert traded.balanceOf(buyers[0]) == 0

    tx = nm.cancel(traded, sender=seller)
    assert tx.events.filter(nm.ListingCancelled) == [nm.ListingCancelled(loan=traded.address, seller=seller,
                                                                         version=1)]
    assert nm.listing(traded, seller).notes == 0

    nm.unpause(sender=admin)
    assert nm.list(traded, 500 * unit, 0, 0, sender=seller).return_value == 2
    nm.buy(traded, seller, 100 * unit, MAX_UINT, 2, sender=buyers[0])
    assert traded.balanceOf(buyers[0]) == 100 * unit


@pytest.mark.parametrize("who", ["admin", "stranger", "seller"])
def test_pause__not_guardian__reverts(nm, who, admin, stranger, seller):
    caller = {"admin": admin, "stranger": stranger, "seller": seller}[who]
    with reverts(nm.AccessControlUnauthorizedAccount, account=caller, neededRole=nm.GUARDIAN_ROLE()):
        nm.pause(sender=caller)
    assert not nm.paused()


@pytest.mark.parametrize("who", ["guardian", "stranger"])
def test_unpause__not_admin__reverts(nm, who, guardian, stranger):
    nm.pause(sender=guardian)
    caller = {"guardian": guardian, "stranger": stranger}[who]
    with reverts(nm.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
        nm.unpause(sender=caller)
    assert nm.paused()


def test_set_seller_fee__admin__set_up_to_max(nm, admin, guardian, stranger):
    assert nm.sellerFeeBps() == 100
    for caller in (guardian, stranger):
        with reverts(nm.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            nm.setSellerFee(200, sender=caller)
    with reverts(nm.MarketFeeTooHigh, feeBps=501, maxFeeBps=500):
        nm.setSellerFee(501, sender=admin)
    assert nm.sellerFeeBps() == 100
    tx = nm.setSellerFee(500, sender=admin)
    assert tx.events.filter(nm.SellerFeeSet) == [nm.SellerFeeSet(feeBps=500)]
    assert nm.sellerFeeBps() == 500
    nm.setSellerFee(0, sender=admin)
    assert nm.sellerFeeBps() == 0


def test_cancel__no_listing__reverts(nm, traded, seller, stranger, unit):
    with reverts(nm.MarketNoListing, loan=traded.address, seller=seller):
        nm.cancel(traded, sender=seller)
    with reverts(nm.MarketNoListing, loan=traded.address, seller=stranger):
        nm.cancel(traded, sender=stranger)
    nm.list(traded, 100 * unit, 0, 0, sender=seller)
    nm.cancel(traded, sender=seller)
    with reverts(nm.MarketNoListing, loan=traded.address, seller=seller):  # cancelled twice
        nm.cancel(traded, sender=seller)


def test_cancel__loan_no_longer_tradable__still_works(nm, traded, seller, repay, unit):
    nm.list(traded, 100 * unit, 0, 0, sender=seller)
    repay(traded, MAX_UINT)
    nm.cancel(traded, sender=seller)
    assert nm.listing(traded, seller) == (0, 0, 0, 1)


# ================================================================================================ purchase


def test_buy__whole_listing__notes_price_and_fee_move(nm, market, traded, seller, buyers, unit, repay):
    loan, token, buyer = traded, market.asset, buyers[0]
    repay(loan, loan.terms().monthlyPayment, at=loan.nextDueDate())  # outstanding < notes: the price moves
    st_ = loan.standing()
    assert st_.principalOutstanding < st_.notes == 10_000 * unit
    notes, premium = 2_500 * unit, -300
    nm.list(loan, notes, premium, 0, sender=seller)
    price = expected_price(notes, st_, premium)
    fee = price * 100 // BPS
    assert nm.priceOf(loan, notes, premium) == price
    quoted = nm.quote(loan, seller, notes)
    assert (quoted.price, quoted.fee) == (price, fee)

    cash(market, buyer, price)
    seller_before, (fees0, reserve0, avail0, tbal0) = token.balanceOf(seller), books(market)
    tx = nm.buy(loan, seller, notes, price, 1, sender=buyer)

    assert tx.return_value == price
    assert tx.events.filter(nm.NotesSold) == [nm.NotesSold(loan=loan.address, seller=seller, buyer=buyer,
                                                           notes=notes, price=price, fee=fee, version=1)]
    assert (loan.balanceOf(seller), loan.balanceOf(buyer)) == (0, notes)
    assert token.balanceOf(buyer) == 0
    assert token.balanceOf(seller) - seller_before == price - fee
    # The fee is in the Treasury at once, and booked there as a trading fee by the next sweep (anyone's).
    assert books(market) == (fees0, reserve0, avail0, tbal0 + fee)
    assert nm.feesPending() == fee
    sweep = nm.sweepFees(sender=buyers[1])
    fees1, reserve1, avail1, tbal1 = books(market)
    to_reserve = fee * market.treasury.policy().reserveShareBps // BPS
    assert (fees1 - fees0, reserve1 - reserve0, avail1 - avail0, tbal1 - tbal0) == (fee, to_reserve, fee - to_reserve,
                                                                                    fee)
    assert sweep.return_value == fee and nm.feesPending() == 0
    # (the event's first field is named `loan`; for a trading fee it holds the note market)
    assert sweep.events.filter(market.treasury.FeeCollected) == [market.treasury.FeeCollected(
        loan=nm.address, feeType=TRADING, amount=fee, toReserve=to_reserve)]
    with reverts(nm.MarketNoFees):
        nm.sweepFees(sender=buyers[1])
    assert nm.listing(loan, seller) == (0, premium, 0, 1)  # sold out
    assert_market_holds_nothing(market, loan)
    with reverts(nm.MarketNoListing, loan=loan.address, seller=seller):
        nm.buy(loan, seller, 1, MAX_UINT, 1, sender=buyers[1])


def test_buy__partial_then_rest_by_second_buyer(nm, market, traded, seller, buyers, unit):
    loan, token = traded, market.asset
    nm.list(loan, 2_000 * unit, 150, 0, sender=seller)
    received = 0
    for buyer, notes, left in ((buyers[0], 500 * unit, 1_500 * unit), (buyers[1], 1_500 * unit, 0)):
        price = price_now(loan, notes, 150)
        assert price == -(-notes * (BPS + 150) // BPS)  # nothing repaid yet: outstanding == notes
        cash(market, buyer, price)
        before = token.balanceOf(seller)
        tx = nm.buy(loan, seller, notes, price, 1, sender=buyer)  # partial buys keep the version
        assert tx.return_value == price
        received += token.balanceOf(seller) - before
        assert token.balanceOf(seller) - before == price - price * 100 // BPS
        assert nm.listing(loan, seller).notes == left
        assert loan.balanceOf(buyer) == notes
        assert_market_holds_nothing(market, loan)
    assert loan.balanceOf(seller) == 500 * unit  # the part never listed
    assert loan.totalSupply() == 10_000 * unit


def test_buy__price_rounds_up(nm, market, traded, seller, buyers, repay, unit):
    """With an outstanding principal that doesn't divide evenly, the buyer pays the rounded-up price."""
    loan = traded
    repay(loan, loan.terms().monthlyPayment + 7, at=loan.nextDueDate())
    st_ = loan.standing()
    notes, premium = 3, -1
    exact_num, den = notes * st_.principalOutstanding * (BPS + premium), st_.notes * BPS
    assert exact_num % den != 0
    price = expected_price(notes, st_, premium)
    assert price == exact_num // den + 1
    nm.list(loan, 1_000, premium, 0, sender=seller)
    assert nm.priceOf(loan, notes, premium) == nm.quote(loan, seller, notes).price == price
    cash(market, buyers[0], price)
    with reverts(nm.MarketPriceAboveMax, price=price, maxPrice=price - 1):
        nm.buy(loan, seller, notes, price - 1, 1, sender=buyers[0])
    assert nm.buy(loan, seller, notes, price, 1, sender=buyers[0]).return_value == price


def test_buy__max_price_below_price__reverts(nm, market, traded, seller, buyers, unit):
    nm.list(traded, 1_000 * unit, 200, 0, sender=seller)
    price = price_now(traded, 1_000 * unit, 200)
    cash(market, buyers[0], price)
    with reverts(nm.MarketPriceAboveMax, price=price, maxPrice=price - 1):
        nm.buy(traded, seller, 1_000 * unit, price - 1, 1, sender=buyers[0])
    assert traded.balanceOf(buyers[0]) == 0 and nm.listing(traded, seller).notes == 1_000 * unit


def test_buy__seller_relisted__reverts_listing_changed(nm, market, traded, seller, buyers, unit):
    nm.list(traded, 1_000 * unit, -100, 0, sender=seller)
    nm.list(traded, 1_000 * unit, 500, 0, sender=seller)  # a higher price under the buyer's feet
    cash(market, buyers[0], 2_000 * unit)
    with reverts(nm.MarketListingChanged, expectedVersion=1, version=2):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    # Cancelled and relisted: a new version too.
    nm.cancel(traded, sender=seller)
    nm.list(traded, 1_000 * unit, -100, 0, sender=seller)
    with reverts(nm.MarketListingChanged, expectedVersion=2, version=3):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 2, sender=buyers[0])
    nm.buy(traded, seller, 100 * unit, MAX_UINT, 3, sender=buyers[0])
    assert traded.balanceOf(buyers[0]) == 100 * unit


def test_buy__expired__reverts_and_at_expiry_succeeds(nm, market, traded, seller, buyers, chain, unit):
    expiry = chain.pending_timestamp + 2 * DAY
    nm.list(traded, 1_000 * unit, 0, expiry, sender=seller)
    cash(market, buyers[0], 2_000 * unit)
    chain.pending_timestamp = expiry
    nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])  # the last second still trades
    chain.pending_timestamp = expiry + 1
    with reverts(nm.MarketListingExpired, expiry=expiry, nowTs=expiry + 1):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    assert traded.balanceOf(buyers[0]) == 100 * unit


def test_buy__more_than_listed__fills_what_is_left_or_zero_reverts(nm, market, traded, seller, buyers, unit):
    """Asking for more than is left buys what is left (a partial fill), so a one-unit purchase landing first can't
    make a larger one fail; the price paid is that of the notes bought, within the buyer's maximum."""
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    cash(market, buyers[0], 2_000 * unit)
    cash(market, buyers[1], 2_000 * unit)
    with reverts(nm.MarketZeroNotes):
        nm.buy(traded, seller, 0, MAX_UINT, 1, sender=buyers[0])
    nm.buy(traded, seller, 1, MAX_UINT, 1, sender=buyers[1])  # lands first
    rest = 1_000 * unit - 1
    price = price_now(traded, rest, 0)
    tx = nm.buy(traded, seller, 1_000 * unit, price, 1, sender=buyers[0])
    assert tx.return_value == price
    assert tx.events.filter(nm.NotesSold)[0].notes == rest
    assert (traded.balanceOf(buyers[0]), nm.listing(traded, seller).notes) == (rest, 0)
    with reverts(nm.MarketNoListing, loan=traded.address, seller=seller):  # sold out
        nm.buy(traded, seller, 1, MAX_UINT, 1, sender=buyers[0])


def test_buy__no_listing__reverts(nm, market, traded, seller, buyers, unit):
    cash(market, buyers[0], 2_000 * unit)
    with reverts(nm.MarketNoListing, loan=traded.address, seller=seller):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 0, sender=buyers[0])


def test_buy__seller_moved_notes_away__reverts(nm, market, traded, seller, buyers, lenders, unit):
    nm.list(traded, 2_000 * unit, 0, 0, sender=seller)
    traded.transfer(lenders[1], 1_500 * unit, sender=seller)
    cash(market, buyers[0], 3_000 * unit)
    with reverts(nm.MarketSellerLacksNotes, seller=seller, held=1_000 * unit, needed=1_500 * unit):
        nm.buy(traded, seller, 1_500 * unit, MAX_UINT, 1, sender=buyers[0])
    # What the seller still holds of the listing still sells.
    nm.buy(traded, seller, 1_000 * unit, MAX_UINT, 1, sender=buyers[0])
    assert (traded.balanceOf(seller), nm.listing(traded, seller).notes) == (0, 1_000 * unit)


def test_buy__market_not_approved__reverts(nm, market, active_loan, seller, buyers, unit):
    loan = active_loan(amount_tokens=10_000, term=12, shares=[2_500, 7_500])  # no approval of the market
    nm.list(loan, 1_000 * unit, 0, 0, sender=seller)
    cash(market, buyers[0], 2_000 * unit)
    with reverts(nm.MarketNotApproved, seller=seller, allowance=0, needed=100 * unit):
        nm.buy(loan, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    loan.approve(nm, 50 * unit, sender=seller)
    with reverts(nm.MarketNotApproved, seller=seller, allowance=50 * unit, needed=100 * unit):
        nm.buy(loan, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    nm.buy(loan, seller, 50 * unit, MAX_UINT, 1, sender=buyers[0])
    assert loan.allowance(seller, nm) == 0 and loan.balanceOf(buyers[0]) == 50 * unit


def test_buy__borrower__reverts_even_as_verified_lender(nm, market, traded, seller, borrower, onboard, unit):
    """The borrower check comes before the lender check, so a borrower who is not a lender is refused as the
    borrower; one who is also a verified lender is refused the same way."""
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    cash(market, borrower, 2_000 * unit)
    assert not market.registry.isVerifiedLender(borrower)
    with reverts(nm.MarketBorrowerCannotBuy, borrower=borrower):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=borrower)
    onboard(borrower, Role.BORROWER | Role.LENDER, grade=8)
    assert market.registry.isVerifiedLender(borrower)
    with reverts(nm.MarketBorrowerCannotBuy, borrower=borrower):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=borrower)
    assert traded.balanceOf(borrower) == 0


def test_buy__not_verified_lender__reverts(nm, market, traded, seller, buyers, stranger, revoker, unit):
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    cash(market, stranger, 2_000 * unit)
    with loan_reverts("LoanTransferToUnverified(address)", stranger):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=stranger)
    cash(market, buyers[0], 2_000 * unit)
    market.registry.revokeUser(buyers[0], REASON, sender=revoker)
    with loan_reverts("LoanTransferToUnverified(address)", buyers[0]):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    assert market.asset.balanceOf(buyers[0]) == 2_000 * unit and traded.balanceOf(seller) == 2_500 * unit


def test_buy__own_listing__reverts(nm, market, traded, seller, unit):
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    cash(market, seller, 2_000 * unit)
    with reverts(nm.MarketBuyerIsSeller, account=seller):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=seller)


def test_buy__loan_late_or_closed_after_listing__reverts(nm, market, traded, seller, buyers, chain, repay, unit):
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    cash(market, buyers[0], 2_000 * unit)
    due = traded.nextDueDate()
    chain.pending_timestamp = due + 15 * DAY + 1
    with reverts(nm.MarketLoanLate, loan=traded.address, dueDate=due, graceEnd=due + 15 * DAY):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    repay(traded, MAX_UINT)
    with reverts(nm.MarketLoanNotActive, loan=traded.address, status=Status.REPAID):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])


def test_buy__last_installment_after_listing__reverts(nm, market, traded, seller, buyers, repay, unit):
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    repay(traded, 11 * traded.terms().monthlyPayment)
    cash(market, buyers[0], 2_000 * unit)
    with reverts(nm.MarketLastInstallment, loan=traded.address):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])


def test_buy__loan_paused__notes_do_not_move(nm, market, traded, seller, buyers, underwriter, unit):
    """A listing can stand while the loan is paused, but the sale's note transfer is the loan's, which refuses."""
    nm.list(traded, 1_000 * unit, 0, 0, sender=seller)
    cash(market, buyers[0], 2_000 * unit)
    market.factory.pauseLoan(traded.loanId(), sender=underwriter)
    before = (market.asset.balanceOf(buyers[0]), market.asset.balanceOf(seller), books(market))
    with reverts(traded.LoanPausedError):
        nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    assert (market.asset.balanceOf(buyers[0]), market.asset.balanceOf(seller), books(market)) == before
    assert traded.balanceOf(buyers[0]) == 0 and nm.listing(traded, seller).notes == 1_000 * unit
    market.factory.unpauseLoan(traded.loanId(), sender=underwriter)
    nm.buy(traded, seller, 100 * unit, MAX_UINT, 1, sender=buyers[0])
    assert traded.balanceOf(buyers[0]) == 100 * unit


def test_buy__no_seller_fee__nothing_to_treasury(nm, market, traded, seller, buyers, admin, unit):
    nm.setSellerFee(0, sender=admin)
    nm.list(traded, 1_000 * unit, 100, 0, sender=seller)
    price = price_now(traded, 1_000 * unit, 100)
    cash(market, buyers[0], price)
    before, books0 = market.asset.balanceOf(seller), books(market)
    tx = nm.buy(traded, seller, 1_000 * unit, price, 1, sender=buyers[0])
    assert market.asset.balanceOf(seller) - before == price
    assert books(market) == books0
    assert tx.events.filter(market.treasury.FeeCollected) == []
    assert tx.events.filter(nm.NotesSold)[0].fee == 0


def test_buy__repayment_after_listing__buyer_pays_the_lower_price(nm, market, traded, seller, buyers, repay, unit):
    loan, token = traded, market.asset
    notes, premium = 2_500 * unit, 400
    nm.list(loan, notes, premium, 0, sender=seller)
    old_price, _, _ = nm.quote(loan, seller, notes)
    assert old_price == price_now(loan, notes, premium)

    repay(loan, loan.terms().monthlyPayment, at=loan.nextDueDate())  # principal falls, the listing stands
    new_price, new_fee, _ = nm.quote(loan, seller, notes)
    assert new_price == price_now(loan, notes, premium) < old_price
    assert new_fee == new_price * 100 // BPS

    cash(market, buyers[0], old_price)
    seller_before = token.balanceOf(seller)
    tx = nm.buy(loan, seller, notes, old_price, 1, sender=buyers[0])  # maxPrice at the old quote
    assert tx.return_value == new_price
    assert token.balanceOf(buyers[0]) == old_price - new_price  # the difference stays with the buyer
    assert token.balanceOf(seller) - seller_before == new_price - new_fee
    assert_market_holds_nothing(market, loan)


def test_buy__mid_period__buyer_pays_the_seller_the_accrued_interest(nm, market, traded, seller, buyers, chain,
                                                                      repay, unit):
    """Interest accrues every second but reaches the noteholders only at the next repayment, to whoever holds the
    notes then. The price adds the notes' share of it (net of the servicing fee) to the principal at the premium, so
    a seller who sells two weeks into a period is paid those two weeks, and the buyer earns only what accrues after."""
    loan, notes = traded, 1_000 * unit
    nm.list(loan, notes, 0, 0, sender=seller)
    due = loan.nextDueDate()
    chain.mine(timestamp=due - 15 * DAY)
    st_ = loan.standing()
    assert st_.unpaid > 0
    accrued = notes * st_.unpaid * (BPS - st_.servicingFeeBps) // (st_.notes * BPS)
    par = -(-notes * st_.principalOutstanding // st_.notes)
    price = nm.priceOf(loan, notes, 0)
    assert price == par + accrued == price_now(loan, notes, 0)
    cash(market, buyers[0], price)
    seller_before = market.asset.balanceOf(seller)
    assert nm.buy(loan, seller, notes, price, 1, sender=buyers[0]).return_value == price
    assert market.asset.balanceOf(seller) - seller_before == price - price * 100 // BPS
    # At the due date the whole period's interest goes to the buyer, who paid the seller the first half of it.
    payment = loan.terms().monthlyPayment
    repay(loan, payment, at=due)
    net_interest_share = (loan.claimable(buyers[0]) - (par - notes * loan.standing().principalOutstanding
                                                        // st_.notes))
    assert 0 < accrued < net_interest_share


def test_buy__claims_across_sale__earned_stays_later_shared_pro_rata(nm, market, traded, seller, buyers, lenders,
                                                                    repay, unit):
    loan, token, buyer = traded, market.asset, buyers[0]
    holders = [seller, lenders[1], buyer]
    payment = loan.terms().monthlyPayment
    net = payment - payment * 100 // BPS  # the servicing fee stays with the loan
    repay(loan, payment, at=loan.nextDueDate())
    earned = loan.claimable(seller)
    assert 0 <= net * 2_500 // 10_000 - earned <= 1

    nm.list(loan, 1_000 * unit, 0, 0, sender=seller)
    cash(market, buyer, 2_000 * unit)
    nm.buy(loan, seller, 1_000 * unit, MAX_UINT, 1, sender=buyer)
    assert loan.claimable(seller) == earned  # what was distributed before the sale stays the seller's
    assert loan.claimable(buyer) == 0

    repay(loan, payment, at=loan.nextDueDate())
    seller_second = loan.claimable(seller) - earned
    buyer_second = loan.claimable(buyer)
    # The second repayment is shared 1,500 : 1,000 between seller and buyer (rounded down, a unit or so).
    assert abs(seller_second - net * 1_500 // 10_000) <= 1
    assert abs(buyer_second - net * 1_000 // 10_000) <= 1
    assert abs(seller_second * 2 - buyer_second * 3) <= 3

    # Conservation: all holders' claims never exceed what was credited, and lose at most dust.
    total = sum(loan.claimable(h) for h in holders)
    assert 2 * net - len(holders) * 2 <= total <= 2 * net
    before = token.balanceOf(seller)
    claimed = loan.claim(sender=seller).return_value
    assert claimed == earned + seller_second and token.balanceOf(seller) - before == claimed
    assert loan.claimable(seller) == 0 and loan.claimable(buyer) == buyer_second
    assert_market_holds_nothing(market, loan)


# ================================================================================================ property

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                             suppress_health_check=list(HealthCheck))


def test_property__random_premium_fee_and_partial_buys__exact_split_and_conservation(
    nm, market, traded, seller, buyers, lenders, admin, repay, chain, unit
):
    """For any premium, seller fee and sequence of partial purchases: each buyer pays the formula's price, the seller
    receives exactly price − floor(price · fee / 1e4), the Treasury the fee (as a trading fee), notes are conserved and
    the market holds nothing."""
    loan, token = traded, market.asset
    repay(loan, loan.terms().monthlyPayment + 12_345, at=loan.nextDueDate())  # an uneven outstanding principal
    for buyer in buyers:
        cash(market, buyer, 10**12 * unit)
    supply = loan.totalSupply()

    @PROPERTY_SETTINGS
    @given(premium=st.integers(MIN_PREMIUM, MAX_PREMIUM), fee_bps=st.integers(0, 500),
           listed_frac=st.integers(1, 10**6), buys=st.lists(st.integers(1, 10**6), min_size=1, max_size=3))
    def check(premium, fee_bps, listed_frac, buys):
        snapshot = chain.snapshot()  # anvil's revert consumes a snapshot: one per example
        try:
            if fee_bps != 100:
                nm.setSellerFee(fee_bps, sender=admin)
            held = loan.balanceOf(seller)
            listed = max(1, held * listed_frac // 10**6)
            version = nm.list(loan, listed, premium, 0, sender=seller).return_value
            left, paid_fees = listed, 0
            for i, frac in enumerate(buys):
                if left == 0:
                    break
                buyer = buyers[i % 2]
                notes = max(1, left * frac // 10**6)
                price = price_now(loan, notes, premium)
                fee = price * fee_bps // BPS
                before = (token.balanceOf(seller), token.balanceOf(buyer), books(market), loan.balanceOf(buyer))
                assert nm.quote(loan, seller, notes)[:2] == (price, fee)
                tx = nm.buy(loan, seller, notes, price, version, sender=buyer)
                assert tx.return_value == price
                assert token.balanceOf(seller) - before[0] == price - fee
                assert before[1] - token.balanceOf(buyer) == price
                fees1, reserve1, avail1, tbal1 = books(market)
                fees0, reserve0, avail0, tbal0 = before[2]
                # the fee is in the Treasury at once; booked by the sweep below
                assert (fees1 - fees0, tbal1 - tbal0, (reserve1 - reserve0) + (avail1 - avail0)) == (0, fee, 0)
                assert loan.balanceOf(buyer) - before[3] == notes
                left -= notes
                paid_fees += fee
                assert nm.feesPending() == paid_fees
                assert nm.listing(loan, seller).notes == left
                assert_market_holds_nothing(market, loan)
            booked = market.treasury.feesCollected(TRADING)
            if paid_fees:
                nm.sweepFees(sender=admin)
            assert market.treasury.feesCollected(TRADING) - booked == paid_fees and nm.feesPending() == 0
            # Notes are conserved: the loan's supply, and the holders' sum.
            assert loan.totalSupply() == supply
            assert sum(loan.balanceOf(h) for h in [seller, lenders[1], *buyers]) == supply
            assert loan.balanceOf(seller) == held - (listed - left)
        finally:
            chain.restore(snapshot)

    check()
