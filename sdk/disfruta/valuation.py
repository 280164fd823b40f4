"""What a loan's notes are worth: remaining cash flows, present value, yield to maturity and listing price.

The same algorithm as ``contracts/libraries/NoteValuation.sol`` in plain integers, with the same rounding at every
step, so each function returns exactly what the contract's view returns for the same inputs (tested against the
library itself). Pure: no chain access; feed it a loan's ``position()`` and ``terms()``.

Rates are annual and signed, in WAD (``10**18`` = 100 % a year), compounded per 30-day period at a twelfth of the
annual rate; amounts are token units; times are unix seconds.

>>> state = LoanState(outstanding=10_000_000_000, interest_owed=0, late_fees_owed=0, payment=893_172_758, paid=0,
...                   annual_rate_bps=1_300, term_months=12, start_time=0, servicing_fee_bps=0)
>>> flows = remaining_flows(state, now=0)
>>> len(flows), flows[0]
(12, (2592000, 893172758))
>>> to_percent(yield_to_maturity(flows, 0, listing_price(1, 10_000_000_000, 1, 0))).quantize(Decimal("0.01"))
Decimal('13.00')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

BPS = 10_000
PERIOD = 30 * 86_400
# Period rate = annual_rate_bps / PERIOD_RATE_DENOMINATOR (12 months × 10,000 bps), as `InterestMath` defines it.
PERIOD_RATE_DENOMINATOR = 120_000
WAD = 10**18
# Fixed point of discount factors (1e27), as in the contract.
DISCOUNT_ONE = 10**27
PERIODS_PER_YEAR = 12
YIELD_LOW = -99 * 10**16  # −99 % a year: the lowest yield reported
YIELD_HIGH = 10 * WAD  # 1,000 % a year: the highest yield reported
YIELD_ITERATIONS = 64  # YIELD_HIGH − YIELD_LOW < 2**64: 64 halvings reach adjacent integers
MIN_PREMIUM_BPS = -9_999
MAX_PREMIUM_BPS = 10_000


class ValuationError(ValueError):
    """Root of the valuation errors; each mirrors one custom error of ``NoteValuation``."""


class ZeroTermError(ValuationError):
    """``NoteValuationZeroTerm``: a loan state with a term of 0 months."""


class ServicingFeeTooHighError(ValuationError):
    """``NoteValuationServicingFeeTooHigh``: a servicing fee above 100 %."""


class ZeroSupplyError(ValuationError):
    """``NoteValuationZeroSupply``: a note supply of 0."""


class FlowBeforeNowError(ValuationError):
    """``NoteValuationFlowBeforeNow``: a cash flow dated before the valuation time."""


class RateTooLowError(ValuationError):
    """``NoteValuationRateTooLow``: a period rate at or below −100 %."""


class NoFlowsError(ValuationError):
    """``NoteValuationNoFlows``: a yield asked of no cash flows."""


class PremiumOutOfRangeError(ValuationError):
    """``NoteValuationPremiumOutOfRange``: a listing premium outside [−9,999, 10,000] bps."""


@dataclass(frozen=True)
class LoanState:
    """A loan's repayment state as ``Loan.position()`` and ``Loan.terms()`` report it, accrued to the valuation time.

    Installment ``j`` (from 0) is due at ``start_time + (j + 1) * PERIOD``; ``paid`` is what was paid toward the
    schedule (interest and principal), ``payment`` the level monthly payment. Every field is a non-negative integer
    (a ``uint256`` on chain).
    """

    outstanding: int
    interest_owed: int
    late_fees_owed: int
    payment: int
    paid: int
    annual_rate_bps: int
    term_months: int
    start_time: int
    servicing_fee_bps: int

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or value < 0:
                raise ValuationError(f"LoanState.{field.name} must be a non-negative integer, got {value!r}")


def interest_for(outstanding: int, annual_rate_bps: int, elapsed: int) -> int:
    """``LoanMath.interestFor``: interest on ``outstanding`` for ``elapsed`` seconds at ``annual_rate_bps / 12`` a
    period, rounded up (as the loan accrues it)."""
    return _ceil_div(outstanding * annual_rate_bps * elapsed, PERIOD_RATE_DENOMINATOR * PERIOD)


def remaining_flows(state: LoanState, now: int) -> list[tuple[int, int]]:
    """The noteholders' remaining cash flows ``(date, amount)``, net of the servicing fee, if the borrower pays
    exactly what is due on every remaining due date (``NoteValuation.flows``).

    From the first installment not yet covered, each installment is paid on its due date (arrears at ``now``);
    interest accrues between payments as the loan accrues it; a payment goes to late fees, then interest, then
    principal. What is due is the late fees plus the level payments not yet covered, at most what is owed; the last
    installment pays everything owed. A flow of zero (nothing owed, a zero payment or a 100 % fee) is left out.
    """
    if state.term_months == 0:
        raise ZeroTermError("the loan state has a term of 0 months")
    if state.servicing_fee_bps > BPS:
        raise ServicingFeeTooHighError(f"servicing fee {state.servicing_fee_bps} bps is above {BPS} bps")
    first = 0 if state.payment == 0 else min(state.paid // state.payment, state.term_months - 1)
    outstanding, interest, late_fees, paid = state.outstanding, state.interest_owed, state.late_fees_owed, state.paid
    accrued_to = now
    result: list[tuple[int, int]] = []
    for j in range(first, state.term_months):
        pay_date = max(state.start_time + (j + 1) * PERIOD, now)
        interest += interest_for(outstanding, state.annual_rate_bps, pay_date - accrued_to)
        accrued_to = pay_date
        owed = late_fees + interest + outstanding
        if j + 1 == state.term_months:
            amount = owed
        else:
            amount = min(late_fees + max((j + 1) * state.payment - paid, 0), owed)
        to_late_fees = min(amount, late_fees)
        to_interest = min(amount - to_late_fees, interest)
        to_principal = amount - to_late_fees - to_interest
        late_fees -= to_late_fees
        interest -= to_interest
        outstanding -= to_principal
        paid += to_interest + to_principal
        net = amount - amount * state.servicing_fee_bps // BPS
        if net:
            result.append((pay_date, net))
        if amount == owed:
            break
    return result


def scale(amounts: Sequence[int], notes: int, supply: int) -> list[int]:
    """What ``notes`` of ``supply`` notes receive of each amount: ``amount * notes // supply`` (rounded down)."""
    if supply == 0:
        raise ZeroSupplyError("the note supply is 0")
    return [amount * notes // supply for amount in amounts]


def present_value(flows: Sequence[tuple[int, int]], now: int, annual_rate_wad: int) -> int:
    """Present value at ``now`` of ``(date, amount)`` flows at an annual rate (``NoteValuation.presentValue``),
    rounded down.

    Each amount is discounted by ``1 / ((1 + i)**m * (1 + i * w))``: ``i = annual_rate_wad / 12`` (rounded toward
    zero to a WAD), ``m`` the whole periods until its date and ``w`` the fraction of a period left over; compound for
    whole periods, simple interest for the stub (the odd-first-period convention of bonds). Every step rounds down,
    so the result is at most the exact value of that formula and below it by less than a unit plus about
    ``(m + 3) * 1e-27 * max(1, factor)`` of each amount.
    """
    period_rate = _div_toward_zero(annual_rate_wad, PERIODS_PER_YEAR)
    if WAD + period_rate <= 0:
        raise RateTooLowError(f"annual rate {annual_rate_wad} is at or below -100 % a period")
    per_period = DISCOUNT_ONE * WAD // (WAD + period_rate)
    power, periods = DISCOUNT_ONE, 0
    total = 0  # in 1e-18 of a token unit
    for date, amount in flows:
        if date < now:
            raise FlowBeforeNowError(f"a flow is dated {date}, before the valuation time {now}")
        whole, stub = divmod(date - now, PERIOD)
        if whole < periods:
            power, periods = DISCOUNT_ONE, 0
        if whole > periods:
            power, periods = _raise(power, per_period, whole - periods), whole
        discount = power * _stub_discount(period_rate, stub) // DISCOUNT_ONE
        total += amount * discount // (DISCOUNT_ONE // WAD)
    return total // WAD


def yield_to_maturity(flows: Sequence[tuple[int, int]], now: int, price: int) -> int:
    """The annual rate (WAD, signed) at which the flows' present value equals ``price``
    (``NoteValuation.yieldToMaturity``).

    The smallest rate at which `present_value` is at most ``price``, by bisection on integers between `YIELD_LOW`
    and `YIELD_HIGH`; a price at or above the value at `YIELD_LOW` gives `YIELD_LOW`, one at or below the value at
    `YIELD_HIGH` gives `YIELD_HIGH`.
    """
    if not flows:
        raise NoFlowsError("no cash flows to yield")
    if price >= present_value(flows, now, YIELD_LOW):
        return YIELD_LOW
    if price <= present_value(flows, now, YIELD_HIGH):
        return YIELD_HIGH
    low, high = YIELD_LOW, YIELD_HIGH  # present_value(low) > price >= present_value(high)
    for _ in range(YIELD_ITERATIONS):
        if high - low <= 1:
            break
        mid = low + (high - low) // 2
        if present_value(flows, now, mid) > price:
            low = mid
        else:
            high = mid
    return high


def accrued_share(notes: int, unpaid: int, supply: int, servicing_fee_bps: int) -> int:
    """What ``notes`` of ``supply`` notes earned and were not yet paid (``NoteValuation.accrued``): their share of
    the interest and late fees owed now, net of the servicing fee, rounded down. A sale adds it to the listing's
    price: the buyer pays the seller the accrued interest."""
    if supply == 0:
        raise ZeroSupplyError("the note supply is 0")
    if servicing_fee_bps > BPS:
        raise ServicingFeeTooHighError(f"servicing fee {servicing_fee_bps} bps is above {BPS} bps")
    return notes * unpaid * (BPS - servicing_fee_bps) // (supply * BPS)


def listing_price(notes: int, outstanding: int, supply: int, premium_bps: int) -> int:
    """The price of ``notes`` of ``supply`` notes listed at ``premium_bps`` over their share of the outstanding
    principal (``NoteValuation.price``): ``notes * outstanding * (BPS + premium_bps) / (supply * BPS)``, rounded up."""
    if not MIN_PREMIUM_BPS <= premium_bps <= MAX_PREMIUM_BPS:
        raise PremiumOutOfRangeError(
            f"premium {premium_bps} bps is outside [{MIN_PREMIUM_BPS}, {MAX_PREMIUM_BPS}] bps")
    if supply == 0:
        raise ZeroSupplyError("the note supply is 0")
    return _ceil_div(notes * outstanding * (BPS + premium_bps), supply * BPS)


def to_percent(wad: int) -> Decimal:
    """A WAD rate as a percentage, exactly: ``to_percent(125 * 10**15) == Decimal("12.5")``."""
    return Decimal(wad).scaleb(-16)


def _ceil_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded up, for a non-negative numerator and a positive denominator."""
    return -(-numerator // denominator)


def _div_toward_zero(numerator: int, denominator: int) -> int:
    """Solidity's signed division: the quotient rounded toward zero (a positive denominator)."""
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


def _raise(power: int, base: int, n: int) -> int:
    """``power * base**n`` in `DISCOUNT_ONE` fixed point by squaring, each product rounded down (the contract's
    order of operations exactly)."""
    if n & 1:
        power = power * base // DISCOUNT_ONE
    n >>= 1
    while n:
        base = base * base // DISCOUNT_ONE
        if n & 1:
            power = power * base // DISCOUNT_ONE
        n >>= 1
    return power


def _stub_discount(period_rate: int, stub: int) -> int:
    """``1 / (1 + i * stub / PERIOD)`` in `DISCOUNT_ONE` fixed point, rounded down once."""
    if stub == 0:
        return DISCOUNT_ONE
    return DISCOUNT_ONE * WAD * PERIOD // (WAD * PERIOD + period_rate * stub)
