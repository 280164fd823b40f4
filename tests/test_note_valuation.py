"""NoteValuation: the library (through its harness) and the SDK's `disfruta.valuation` agree bit for bit; the integer
present value and yield against exact Decimal references of the same formula; the properties of the cash flows,
the present value and the yield; a real loan paid as due takes exactly the flows; every custom error.

Tolerances (each derived in the test that uses it):
- present value: every step of the integer formula rounds down, so it is at most the exact value and below it by
  less than one unit plus about (m + 3)·1e-27 of each amount: asserted as 0 ≤ exact − integer < 1 + 1e-15·exact;
- yield: the bisection returns the smallest rate whose integer present value is at most the price, so the exact
  value there lies within (price − one 1e-18 rate step, price + 1 unit]; in rate, that unit over the slope of the
  present value (units per 1e-18 a year);
- par: at a due date a par price yields the contract rate to within the payments' rounding (at most a unit each);
  between due dates the simple-interest stub makes par plus accrued interest yield below it by
  B·i²·s·(1 − s) / (1 + i·s) in value (B outstanding, i the period rate, s the part of the period left).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, replace
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disfruta.valuation import (
    BPS,
    PERIOD,
    WAD,
    YIELD_HIGH,
    YIELD_LOW,
    FlowBeforeNowError,
    LoanState,
    NoFlowsError,
    PremiumOutOfRangeError,
    RateTooLowError,
    ServicingFeeTooHighError,
    ValuationError,
    ZeroSupplyError,
    ZeroTermError,
    interest_for,
    accrued_share,
    listing_price,
    present_value,
    remaining_flows,
    scale,
    to_percent,
    yield_to_maturity,
)

from conftest import DAY, Status, reverts

GRACE_PERIOD = 15 * DAY  # the test market's grace period (LoanRules)
LATE_FEE_BPS = 500  # the test market's late fee
ON_CHAIN = settings(max_examples=40)  # each example makes several calls to the node


@pytest.fixture(scope="session")
def harness(project, admin):
    return admin.deploy(project.NoteValuationHarness)


# ------------------------------------------------------------------------------------------------ references


def monthly_payment(principal: int, annual_rate_bps: int, term: int) -> int:
    """`InterestMath.monthlyPayment`, step for step (1e54 fixed point, the per-unit payment rounded down to 1e-36,
    the payment rounded up)."""
    if annual_rate_bps == 0:
        return -(-principal // term)
    one = 10**54
    rate = annual_rate_bps * one // 120_000
    factor, base, n = one, one + rate, term
    while True:
        if n & 1:
            factor = factor * base // one
        n >>= 1
        if n == 0:
            break
        base = base * base // one
    per_unit = rate * factor // (factor - one) // 10**18
    return -(-per_unit * principal // 10**36)


def period_rate(annual_rate_wad: int) -> Decimal:
    """The period rate of the formula as a Decimal: annual / 12 rounded toward zero to a WAD, as the contract has it."""
    quotient = abs(annual_rate_wad) // 12
    return Decimal(quotient if annual_rate_wad >= 0 else -quotient) / WAD


def exact_pv(flows: Sequence[tuple[int, int]], now: int, rate: Decimal) -> Decimal:
    """Σ amount / ((1 + i)^m · (1 + i·w)) at the period rate ``rate``, in Decimal (60 digits)."""
    with localcontext() as ctx:
        ctx.prec = 60
        total = Decimal(0)
        for date, amount in flows:
            whole, stub = divmod(date - now, PERIOD)
            total += Decimal(amount) / ((1 + rate) ** whole * (1 + rate * stub / PERIOD))
        return total


def exact_yield(flows: Sequence[tuple[int, int]], now: int, price: int) -> Decimal:
    """The annual rate (in WAD, as a Decimal) at which `exact_pv` equals ``price``, by bisection to below 1e-3 WAD."""
    with localcontext() as ctx:
        ctx.prec = 60
        low, high = Decimal(YIELD_LOW), Decimal(YIELD_HIGH)
        while high - low > Decimal("0.001"):
            mid = (low + high) / 2
            if exact_pv(flows, now, mid / 12 / WAD) > price:
                low = mid
            else:
                high = mid
        return (low + high) / 2


def slope(flows: Sequence[tuple[int, int]], now: int, annual_rate_wad: int) -> Decimal:
    """How much the exact present value falls per 1e-18 of annual rate around ``annual_rate_wad`` (units)."""
    delta = 10**9
    below = exact_pv(flows, now, period_rate(annual_rate_wad - delta))
    above = exact_pv(flows, now, period_rate(annual_rate_wad + delta))
    return (below - above) / (2 * delta)


# ------------------------------------------------------------------------------------------------ loan states


def schedule_balance(principal: int, annual_rate_bps: int, payment: int, installments: int) -> int:
    """The principal left after ``installments`` level payments, each on its due date."""
    outstanding = principal
    for _ in range(installments):
        outstanding -= min(payment - interest_for(outstanding, annual_rate_bps, PERIOD), outstanding)
    return outstanding


@st.composite
def loan_states(draw: Any, fees: Sequence[int] = (0, 100, 250, 1_000)) -> tuple[LoanState, int]:
    """A realistic loan state and the time it is accrued to: some installments paid on their due dates, sometimes a
    prepayment, then up to two periods since the last due date paid (in arrears, within the grace period or past it,
    when a late fee is assessed on each installment past it)."""
    principal = draw(st.integers(10**6, 10**12))
    rate = draw(st.integers(0, 3_600))
    term = draw(st.integers(1, 60))
    start = draw(st.integers(1_600_000_000, 1_900_000_000))
    payment = monthly_payment(principal, rate, term)
    installments = draw(st.integers(0, term - 1))
    outstanding = schedule_balance(principal, rate, payment, installments)
    paid = installments * payment
    prepaid = draw(st.integers(0, outstanding // 2)) if draw(st.booleans()) else 0
    outstanding, paid = outstanding - prepaid, paid + prepaid
    # Whole periods and days drawn apart, so that arrears and late fees are as likely as a time within a period.
    elapsed = draw(st.integers(0, 1)) * PERIOD + draw(st.integers(0, 29)) * DAY + draw(st.integers(0, DAY - 1))
    now = start + installments * PERIOD + elapsed
    covered = min(paid // payment, term - 1)
    late_through = min(term, (now - start - GRACE_PERIOD) // PERIOD) if now >= start + GRACE_PERIOD else 0
    late_fees = max(late_through - covered, 0) * (payment * LATE_FEE_BPS // BPS)
    state = LoanState(
        outstanding=outstanding, interest_owed=interest_for(outstanding, rate, elapsed), late_fees_owed=late_fees,
        payment=payment, paid=paid, annual_rate_bps=rate, term_months=term, start_time=start,
        servicing_fee_bps=draw(st.sampled_from(fees)))
    return state, now


rates = st.integers(YIELD_LOW, YIELD_HIGH)
premiums = st.integers(-2_000, 2_000)


# ------------------------------------------------------------------------------------------------ Python == Solidity


@ON_CHAIN
@given(loan=loan_states(), supply=st.integers(1, 10**13), premium=st.integers(-9_999, 10_000), rate=rates,
       data=st.data())
def test_valuation__python_and_solidity__identical(harness, loan, supply, premium, rate, data):
    state, now = loan
    notes = data.draw(st.integers(1, supply))
    flows = remaining_flows(state, now)
    dates, amounts = harness.flows(astuple(state), now)
    assert list(zip(dates, amounts)) == flows
    mine = scale([a for _, a in flows], notes, supply)
    assert harness.scale(amounts, notes, supply) == mine
    held = [(d, a) for (d, _), a in zip(flows, mine)]
    assert harness.presentValue(dates, mine, now, rate) == present_value(held, now, rate)
    price = listing_price(notes, state.outstanding, supply, premium)
    assert harness.price(notes, state.outstanding, supply, premium) == price
    unpaid = state.interest_owed + state.late_fees_owed
    accrued = accrued_share(notes, unpaid, supply, state.servicing_fee_bps)
    assert harness.accrued(notes, unpaid, supply, state.servicing_fee_bps) == accrued
    assert accrued == notes * unpaid * (BPS - state.servicing_fee_bps) // (supply * BPS)
    assert harness.yieldToMaturity(dates, mine, now, price) == yield_to_maturity(held, now, price)


@ON_CHAIN
@given(loan=loan_states(), rate=st.sampled_from([YIELD_LOW, -1, 0, 1, YIELD_HIGH, 10**30]))
def test_present_value__edge_rates__python_and_solidity_identical(harness, loan, rate):
    state, now = loan
    flows = remaining_flows(state, now)
    dates, amounts = [d for d, _ in flows], [a for _, a in flows]
    assert harness.presentValue(dates, amounts, now, rate) == present_value(flows, now, rate)


@ON_CHAIN
@given(dates=st.lists(st.integers(0, 700 * PERIOD), min_size=1, max_size=8), rate=rates,
       price=st.integers(0, 10**31), data=st.data())
def test_present_value__unordered_dates__python_and_solidity_identical(harness, dates, rate, price, data):
    """Dates in any order and many periods apart (the power restarts, or jumps by squaring); amounts up to the largest
    principal (1e30), where a factor's last digit (1e-27) shows in the value."""
    amounts = data.draw(st.lists(st.integers(0, 10**30), min_size=len(dates), max_size=len(dates)))
    flows = list(zip(dates, amounts))
    assert harness.presentValue(dates, amounts, 0, rate) == present_value(flows, 0, rate)
    assert harness.yieldToMaturity(dates, amounts, 0, price) == yield_to_maturity(flows, 0, price)


# ------------------------------------------------------------------------------------------------ exact references


@given(loan=loan_states(), rate=rates)
def test_present_value__against_exact_decimal__below_by_less_than_a_unit(loan, rate):
    state, now = loan
    flows = remaining_flows(state, now)
    exact = exact_pv(flows, now, period_rate(rate))
    value = present_value(flows, now, rate)
    # Decimal's own rounding (60 digits) is far below a unit: the integer never exceeds the exact value.
    assert value <= exact + Decimal("1e-30")
    assert exact - value < 1 + exact * Decimal("1e-15")


@given(loan=loan_states(), premium=premiums)
def test_yield_to_maturity__against_exact_decimal__within_a_unit_of_value(loan, premium):
    state, now = loan
    flows = remaining_flows(state, now)
    price = listing_price(1, state.outstanding, 1, premium)
    found = yield_to_maturity(flows, now, price)
    if found == YIELD_LOW:
        assert price >= present_value(flows, now, YIELD_LOW)
        return
    if found == YIELD_HIGH:
        assert price <= present_value(flows, now, YIELD_HIGH)
        return
    value = exact_pv(flows, now, period_rate(found))
    step = exact_pv(flows, now, period_rate(found - 1)) - value  # the exact value's fall over one 1e-18 of rate
    # integer PV(found) ≤ price < integer PV(found − 1), and the integer is within a unit below the exact value.
    assert price - step - Decimal("1e-30") < value < price + 1 + price * Decimal("1e-15")
    root = exact_yield(flows, now, price)
    tolerance = (1 + price * Decimal("1e-15") + step) / slope(flows, now, found)
    # + 12: the root is of the exact annual / 12, the integer rounds it toward zero (less than 12e-18 a year off).
    assert abs(found - root) <= tolerance * Decimal("1.01") + 12


# ------------------------------------------------------------------------------------------------ properties


@given(loan=loan_states(fees=(0,)))
def test_remaining_flows__replayed_on_the_loan__pay_off_everything_owed_plus_interest(loan):
    """Replaying the flows on the loan's balances (interest accrued between them as the loan accrues it; late fees,
    then interest, then principal) clears it exactly at the last one: their sum is everything owed now plus the
    interest still to accrue, and none is more than what is owed on its date."""
    state, now = loan
    flows = remaining_flows(state, now)
    outstanding, interest, late_fees, accrued_to, future_interest = (
        state.outstanding, state.interest_owed, state.late_fees_owed, now, 0)
    for date, amount in flows:
        assert date >= accrued_to and (date == now or (date - state.start_time) % PERIOD == 0)
        accrued = interest_for(outstanding, state.annual_rate_bps, date - accrued_to)
        interest, future_interest, accrued_to = interest + accrued, future_interest + accrued, date
        assert 0 < amount <= late_fees + interest + outstanding
        to_late_fees = min(amount, late_fees)
        to_interest = min(amount - to_late_fees, interest)
        late_fees, interest, outstanding = (
            late_fees - to_late_fees, interest - to_interest, outstanding - (amount - to_late_fees - to_interest))
    assert (outstanding, interest, late_fees) == (0, 0, 0)
    assert sum(a for _, a in flows) == state.late_fees_owed + state.interest_owed + state.outstanding + future_interest
    assert len(flows) <= state.term_months - min(state.paid // state.payment, state.term_months - 1)


@given(loan=loan_states(fees=(0,)), fee=st.integers(0, BPS - 1))
def test_remaining_flows__servicing_fee__each_flow_less_its_fee_rounded_down(loan, fee):
    state, now = loan
    gross = remaining_flows(state, now)
    net = remaining_flows(replace(state, servicing_fee_bps=fee), now)
    assert net == [(d, a - a * fee // BPS) for d, a in gross]


@given(loan=loan_states())
def test_present_value__zero_rate__the_sum_of_the_flows(loan):
    state, now = loan
    flows = remaining_flows(state, now)
    assert present_value(flows, now, 0) == sum(a for _, a in flows)


@given(loan=loan_states(), low=rates, high=rates)
def test_present_value__higher_rate__lower_value(loan, low, high):
    """Never higher at a higher rate; strictly lower whenever the exact values are more than the rounding apart."""
    state, now = loan
    low, high = min(low, high), max(low, high)
    flows = remaining_flows(state, now)
    at_low, at_high = present_value(flows, now, low), present_value(flows, now, high)
    assert at_low >= at_high
    if exact_pv(flows, now, period_rate(low)) - exact_pv(flows, now, period_rate(high)) > 2:
        assert at_low > at_high


@given(loan=loan_states(), rate=st.integers(YIELD_LOW, YIELD_HIGH - WAD // 100))
def test_yield_to_maturity__price_is_the_value_at_a_rate__that_rate(loan, rate):
    """The yield of the price PV(r) is the smallest rate with that integer value: at most r, and short of it by less
    than the rate it takes the exact value to move one unit."""
    state, now = loan
    flows = remaining_flows(state, now)
    price = present_value(flows, now, rate)
    found = yield_to_maturity(flows, now, price)
    assert found <= rate
    assert present_value(flows, now, found) == price
    if found > YIELD_LOW:
        assert present_value(flows, now, found - 1) > price
        # + 12: rates 12e-18 a year apart can share a period rate (annual / 12 rounded toward zero).
        assert rate - found <= (1 + price * Decimal("1e-15")) / slope(flows, now, rate) * Decimal("1.01") + 12


@st.composite
def on_schedule(draw: Any, between_due_dates: bool = True) -> tuple[LoanState, int]:
    """A loan paid on schedule to its last due date (no prepayment, nothing in arrears), with no servicing fee, at
    that date or (``between_due_dates``) up to a period after it."""
    principal = draw(st.integers(10**6, 10**12))
    rate, term = draw(st.integers(1, 3_600)), draw(st.integers(1, 60))
    payment = monthly_payment(principal, rate, term)
    installments = draw(st.integers(0, term - 1))
    elapsed = draw(st.one_of(st.just(0), st.integers(1, PERIOD - 1))) if between_due_dates else 0
    outstanding = schedule_balance(principal, rate, payment, installments)
    state = LoanState(outstanding, interest_for(outstanding, rate, elapsed), 0, payment, installments * payment,
                      rate, term, 0, 0)
    return state, installments * PERIOD + elapsed


@given(loan=on_schedule(between_due_dates=False))
def test_remaining_flows__on_schedule_at_a_due_date__level_payments_then_the_rest(loan):
    state, now = loan
    flows = remaining_flows(state, now)
    assert [d for d, _ in flows] == [now + k * PERIOD for k in range(1, state.term_months - now // PERIOD + 1)]
    assert [a for _, a in flows[:-1]] == [state.payment] * (len(flows) - 1)
    last = schedule_balance(state.outstanding, state.annual_rate_bps, state.payment, len(flows) - 1)
    assert flows[-1][1] == last + interest_for(last, state.annual_rate_bps, PERIOD)  # the rest, with its interest


@given(loan=on_schedule())
def test_yield_to_maturity__par_at_the_contract_rate__the_contract_rate(loan):
    """Par (premium 0) plus the interest accrued is what the notes are worth at the contract rate, but for the
    rounding and, between due dates, the stub: the loan accrues simple interest on the principal only, the stub
    discounts the whole value at the next due date. At a due date the yield is the contract rate to within the
    rounding of the payments (a unit each); between them it is below it by the stub's B·i²·s·(1 − s) / (1 + i·s)."""
    state, now = loan
    flows = remaining_flows(state, now)
    contract = state.annual_rate_bps * WAD // BPS
    price = listing_price(1, state.outstanding, 1, 0) + state.interest_owed
    found = yield_to_maturity(flows, now, price)
    i = Decimal(state.annual_rate_bps) / 120_000
    left = Decimal((state.start_time - now) % PERIOD) / PERIOD  # s, the part of the period to the next due date
    stub = state.outstanding * i * i * left * (1 - left) / (1 + i * left)
    rounding = (len(flows) + 2) / slope(flows, now, contract)
    assert contract - stub / slope(flows, now, contract) - rounding <= found <= contract + rounding


def test_to_percent__wad__exact_percentage():
    assert to_percent(125 * 10**15) == Decimal("12.5")
    assert to_percent(YIELD_LOW) == Decimal(-99)
    assert to_percent(1) == Decimal("1e-16")


# ------------------------------------------------------------------------------------------------ a real loan


def test_remaining_flows__borrower_pays_each_when_due__the_loan_takes_exactly_them(
        market, active_loan, repay, chain, borrower, lenders, unit):
    """A loan with a payment on time, a prepayment, one installment past its grace period (a late fee) and one within
    it: paying each flow's gross amount on its date is exactly what the loan asks (current after each date, repaid
    at the last), the noteholders receive the net flows, and the note market's views value the same flows."""
    loan = active_loan(amount_tokens=10_000, term=12)
    terms, start = loan.terms(), loan.position().startTime
    repay(loan, terms.monthlyPayment, at=start + PERIOD)
    repay(loan, 700 * unit, at=start + PERIOD + 5 * DAY)
    # Funds for the rest approved now: no block (a mint, an approval) may land between the flows' dates.
    market.asset.mint(borrower, 20_000 * unit, sender=borrower)
    market.asset.approve(loan, 20_000 * unit, sender=borrower)
    now = start + 3 * PERIOD + 10 * DAY  # installment 2 past its grace period, installment 3 within it
    chain.mine(timestamp=now)
    p = loan.position()
    state = LoanState(
        outstanding=p.principalOutstanding, interest_owed=p.interestOwed, late_fees_owed=p.lateFeesOwed,
        payment=terms.monthlyPayment, paid=p.paidTowardSchedule, annual_rate_bps=terms.annualRateBps,
        term_months=terms.termMonths, start_time=p.startTime, servicing_fee_bps=terms.servicingFeeBps)
    assert state.late_fees_owed > 0 and state.interest_owed > 0 and state.paid % state.payment != 0
    net = remaining_flows(state, now)
    gross = remaining_flows(replace(state, servicing_fee_bps=0), now)
    assert [d for d, _ in net[:2]] == [now, now] and len(net) == 11

    notes = terms.principal // 3
    held = list(zip([d for d, _ in net], scale([a for _, a in net], notes, terms.principal)))
    dates, amounts = market.note_market.cashFlows(loan, notes)
    assert list(zip(dates, amounts)) == held
    price = listing_price(notes, state.outstanding, terms.principal, -150) + accrued_share(
        notes, state.interest_owed + state.late_fees_owed, terms.principal, state.servicing_fee_bps)
    assert market.note_market.priceOf(loan, notes, -150) == price
    assert market.note_market.fairValue(loan, notes, 12 * 10**16) == present_value(held, now, 12 * 10**16)
    assert market.note_market.yieldAt(loan, notes, price) == yield_to_maturity(held, now, price)

    claimable = loan.claimable(lenders[0])
    for k, ((date, amount), (_, received)) in enumerate(zip(gross, net, strict=True)):
        chain.pending_timestamp = date
        event = loan.makeRepayment(amount, sender=borrower).events.filter(loan.RepaymentMade)[0]
        assert (event.amount, event.amount - event.servicingFee) == (amount, received)
        if k + 1 < len(gross) and gross[k + 1][0] != date:
            assert loan.amountDue() == 0
    assert loan.status() == Status.REPAID
    assert 0 <= sum(a for _, a in net) - (loan.claimable(lenders[0]) - claimable) <= 1


# ------------------------------------------------------------------------------------------------ errors

STATE = LoanState(10**10, 0, 0, 893_172_758, 0, 1_300, 12, 0, 100)


PYTHON_ERRORS = {
    "NoteValuationZeroTerm": ZeroTermError, "NoteValuationServicingFeeTooHigh": ServicingFeeTooHighError,
    "NoteValuationZeroSupply": ZeroSupplyError, "NoteValuationPremiumOutOfRange": PremiumOutOfRangeError,
    "NoteValuationFlowBeforeNow": FlowBeforeNowError, "NoteValuationRateTooLow": RateTooLowError,
    "NoteValuationNoFlows": NoFlowsError,
}


@pytest.mark.usefixtures("fast_reverts")
@pytest.mark.parametrize(("method", "args", "error", "inputs", "python"), [
    ("flows", (astuple(replace(STATE, term_months=0)), 0), "NoteValuationZeroTerm", {},
     lambda: remaining_flows(replace(STATE, term_months=0), 0)),
    ("flows", (astuple(replace(STATE, servicing_fee_bps=BPS + 1)), 0), "NoteValuationServicingFeeTooHigh",
     {"servicingFeeBps": BPS + 1}, lambda: remaining_flows(replace(STATE, servicing_fee_bps=BPS + 1), 0)),
    ("scale", ([1, 2], 1, 0), "NoteValuationZeroSupply", {}, lambda: scale([1, 2], 1, 0)),
    ("price", (1, 10, 0, 0), "NoteValuationZeroSupply", {}, lambda: listing_price(1, 10, 0, 0)),
    ("accrued", (1, 10, 0, 100), "NoteValuationZeroSupply", {}, lambda: accrued_share(1, 10, 0, 100)),
    ("accrued", (1, 10, 1, BPS + 1), "NoteValuationServicingFeeTooHigh", {"servicingFeeBps": BPS + 1},
     lambda: accrued_share(1, 10, 1, BPS + 1)),
    ("price", (1, 10, 1, -10_000), "NoteValuationPremiumOutOfRange", {"premiumBps": -10_000},
     lambda: listing_price(1, 10, 1, -10_000)),
    ("price", (1, 10, 1, 10_001), "NoteValuationPremiumOutOfRange", {"premiumBps": 10_001},
     lambda: listing_price(1, 10, 1, 10_001)),
    ("presentValue", ([PERIOD, 2 * PERIOD], [1], 0, 0), "NoteValuationLengthMismatch", {"dates": 2, "amounts": 1},
     None),
    ("yieldToMaturity", ([PERIOD], [1, 2], 0, 1), "NoteValuationLengthMismatch", {"dates": 1, "amounts": 2}, None),
    ("presentValue", ([PERIOD, 5], [1, 1], 6, 0), "NoteValuationFlowBeforeNow", {"date": 5, "nowTs": 6},
     lambda: present_value([(PERIOD, 1), (5, 1)], 6, 0)),
    ("presentValue", ([PERIOD], [1], 0, -12 * WAD), "NoteValuationRateTooLow", {"annualRateWad": -12 * WAD},
     lambda: present_value([(PERIOD, 1)], 0, -12 * WAD)),
    # −12e18 − 11 rounds toward zero to a period rate of exactly −1e18.
    ("presentValue", ([PERIOD], [1], 0, -12 * WAD - 11), "NoteValuationRateTooLow", {"annualRateWad": -12 * WAD - 11},
     lambda: present_value([(PERIOD, 1)], 0, -12 * WAD - 11)),
    ("yieldToMaturity", ([], [], 0, 1), "NoteValuationNoFlows", {}, lambda: yield_to_maturity([], 0, 1)),
], ids=["zero-term", "fee-above-100%", "scale-zero-supply", "price-zero-supply", "accrued-zero-supply",
        "accrued-fee-above-100%", "premium-below", "premium-above", "pv-lengths", "yield-lengths", "flow-before-now",
        "rate-minus-100%-a-period", "rate-below", "no-flows"])
def test_valuation__invalid_input__custom_error(harness, admin, method, args, error, inputs, python):
    # Sent as a transaction: ape decodes a custom error in a transaction, not in a call (eth_call).
    with reverts(getattr(harness, error), **inputs):
        getattr(harness, method).transact(*args, sender=admin)
    if python is not None:  # the SDK raises its mirror of the error ((date, amount) pairs have no lengths to differ)
        with pytest.raises(PYTHON_ERRORS[error]):
            python()


def test_present_value__rate_just_above_minus_100_percent_a_period__defined(harness):
    """annualRateWad / 12 rounds toward zero: −12e18 + 1 is a period rate of −(1e18 − 1), just above −100 %."""
    rate = -12 * WAD + 1
    assert harness.presentValue([PERIOD], [1], 0, rate) == present_value([(PERIOD, 1)], 0, rate) == 10**18


@pytest.mark.parametrize("field", ["outstanding", "paid", "servicing_fee_bps"])
def test_loan_state__negative_field__valuation_error(field):
    with pytest.raises(ValuationError, match=field):
        replace(STATE, **{field: -1})
