// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {BPS, PERIOD} from "./Constants.sol";
import {LoanMath} from "./LoanMath.sol";

/// @title NoteValuation
/// @notice What a loan's notes are worth: the noteholders' remaining cash flows if the borrower pays exactly what is
/// due on every remaining due date, their present value at a yield, the yield of a price, and a listing's price at a
/// premium or discount to the outstanding principal. The note market's views call these for dApps; the SDK's
/// `disfruta.valuation` computes the same numbers bit for bit.
/// @dev Rates are annual and signed, in WAD (1e18 = 100 % a year), compounded per 30-day period at a twelfth of the
/// annual rate. Discount factors are in 1e27 fixed point and every step rounds down, so a present value is never
/// above the exact value of the formula.
library NoteValuation {
    /// @notice A loan's repayment state, as `Loan.position()` and `Loan.terms()` report it (accrued to the time it is
    /// valued at).
    struct LoanState {
        uint256 outstanding; // principal outstanding
        uint256 interestOwed;
        uint256 lateFeesOwed;
        uint256 payment; // the level monthly payment
        uint256 paid; // paid toward the schedule (interest and principal)
        uint256 annualRateBps;
        uint256 termMonths;
        uint256 startTime; // drawdown time; installment j (from 0) is due at startTime + (j + 1) · PERIOD
        uint256 servicingFeeBps;
    }

    /// @dev The balances `flows` runs forward from a `LoanState` (a copy: the caller's state is left as it is).
    struct Balance {
        uint256 outstanding;
        uint256 interestOwed;
        uint256 lateFeesOwed;
        uint256 paid;
    }

    /* ------------------------------------------------------------------ constants */

    /// @dev Fixed point of rates: 1e18 = 100 % a year.
    uint256 internal constant WAD = 1e18;
    /// @dev Fixed point of discount factors (1e27): nine digits below a WAD, so each rounding of a factor costs
    /// 1e-27 of an amount.
    uint256 internal constant DISCOUNT_ONE = 1e27;
    /// @dev Periods per year: the period rate is the annual rate / 12.
    int256 internal constant PERIODS_PER_YEAR = 12;
    /// @dev Lowest yield `yieldToMaturity` reports: −99 % a year.
    int256 internal constant YIELD_LOW = -0.99e18;
    /// @dev Highest yield `yieldToMaturity` reports: 1,000 % a year.
    int256 internal constant YIELD_HIGH = 10e18;
    /// @dev Bisection steps of `yieldToMaturity`: YIELD_HIGH − YIELD_LOW is below 2^64, so 64 halvings narrow the
    /// bracket to adjacent integers (it stops as soon as they are).
    uint256 internal constant YIELD_ITERATIONS = 64;
    /// @dev Deepest discount of a listing: −99.99 % (the price stays positive).
    int256 internal constant MIN_PREMIUM_BPS = -9_999;
    /// @dev Highest premium of a listing: +100 %.
    int256 internal constant MAX_PREMIUM_BPS = 10_000;

    /* ------------------------------------------------------------------ errors */

    /// @notice A loan state with a term of 0 months (no loan has one).
    error NoteValuationZeroTerm();
    /// @notice A servicing fee above 100 %.
    error NoteValuationServicingFeeTooHigh(uint256 servicingFeeBps);
    /// @notice A note supply of 0.
    error NoteValuationZeroSupply();
    /// @notice Dates and amounts of different lengths.
    error NoteValuationLengthMismatch(uint256 dates, uint256 amounts);
    /// @notice A cash flow dated before the valuation time.
    error NoteValuationFlowBeforeNow(uint256 date, uint256 nowTs);
    /// @notice A rate at or below −100 % a period (annualRateWad / 12 ≤ −1e18): no discount factor exists.
    error NoteValuationRateTooLow(int256 annualRateWad);
    /// @notice A yield asked of no cash flows.
    error NoteValuationNoFlows();
    /// @notice A listing premium outside [MIN_PREMIUM_BPS, MAX_PREMIUM_BPS].
    error NoteValuationPremiumOutOfRange(int256 premiumBps);

    /* ------------------------------------------------------------------ cash flows */

    /// @notice The noteholders' remaining cash flows (net of the servicing fee) if the borrower pays exactly what is
    /// due on every remaining due date, by the loan's own math: from the first installment not yet covered, each
    /// installment is paid on its due date (arrears at `nowTs`), interest accrues between payments as the loan
    /// accrues it (`LoanMath.interestFor`, rounded up), and a payment goes to late fees, then interest, then
    /// principal. What is due on a date is the late fees plus the level payments not yet covered, at most what is
    /// owed; the last installment pays everything owed. No new late fee arises (every payment is on time).
    /// @dev A flow of zero (nothing owed, a zero payment or a 100 % fee) is left out; the arrays have exactly one
    /// entry per flow, in date order. A loan owing nothing has none.
    /// @param s The loan's state, accrued to `nowTs`.
    /// @param nowTs The valuation time.
    /// @return dates Each flow's date: the later of its due date and `nowTs`.
    /// @return amounts What all the notes together receive on that date: the payment less the servicing fee
    /// (the fee rounded down, as the loan rounds it).
    function flows(LoanState memory s, uint256 nowTs)
        internal
        pure
        returns (uint256[] memory dates, uint256[] memory amounts)
    {
        if (s.termMonths == 0) revert NoteValuationZeroTerm();
        if (s.servicingFeeBps > BPS) revert NoteValuationServicingFeeTooHigh(s.servicingFeeBps);
        uint256 first = s.payment == 0 ? 0 : Math.min(s.paid / s.payment, s.termMonths - 1); // LoanMath.covered
        dates = new uint256[](s.termMonths - first);
        amounts = new uint256[](s.termMonths - first);
        Balance memory b = Balance(s.outstanding, s.interestOwed, s.lateFeesOwed, s.paid);
        uint256 count;
        uint256 accruedTo = nowTs;
        for (uint256 j = first; j < s.termMonths; ++j) {
            uint256 payDate = Math.max(s.startTime + (j + 1) * PERIOD, nowTs);
            b.interestOwed += LoanMath.interestFor(b.outstanding, s.annualRateBps, payDate - accruedTo);
            accruedTo = payDate;
            uint256 owed = b.lateFeesOwed + b.interestOwed + b.outstanding;
            // What is due on this date (LoanMath.amountDue); the last installment pays everything owed.
            uint256 amount =
                j + 1 == s.termMonths ? owed : Math.min(b.lateFeesOwed + _behind((j + 1) * s.payment, b.paid), owed);
            _apply(b, amount);
            uint256 net = amount - amount * s.servicingFeeBps / BPS;
            if (net != 0) {
                dates[count] = payDate;
                amounts[count] = net;
                ++count;
            }
            if (amount == owed) break;
        }
        // Shrink both arrays to the flows written (a length cut in place: nothing is written past the allocation).
        assembly ("memory-safe") {
            mstore(dates, count)
            mstore(amounts, count)
        }
    }

    /// @notice What `notes` of `supply` notes receive of each amount: amount · notes / supply, rounded down (as the
    /// loan credits a holder).
    function scale(uint256[] memory amounts, uint256 notes, uint256 supply) internal pure returns (uint256[] memory) {
        if (supply == 0) revert NoteValuationZeroSupply();
        uint256[] memory scaled = new uint256[](amounts.length);
        for (uint256 k; k < amounts.length; ++k) {
            scaled[k] = Math.mulDiv(amounts[k], notes, supply);
        }
        return scaled;
    }

    /* ------------------------------------------------------------------ present value and yield */

    /// @notice Present value at `nowTs` of the cash flows at an annual rate compounded per period: each amount is
    /// discounted by 1 / ((1 + i)^m · (1 + i · w)), with i = annualRateWad / 12 the period rate, m the whole periods
    /// until its date and w the fraction of a period left over. Compound for whole periods, simple interest for the
    /// stub: the odd-first-period convention of bonds, which matches the loan's simple accrual within a period.
    /// @dev Rounding: i is annualRateWad / 12 rounded toward zero (at most 1e-18 a period off); 1 / (1 + i), its
    /// powers, the stub's factor and each discounted amount (in 1e-18 of a unit) are rounded down, and so is the sum,
    /// so the result is at most the exact value and below it by less than one unit plus about
    /// (m + 3) · 1e-27 · max(1, factor) of each amount. Powers are computed incrementally: flows in date order (as
    /// `flows` returns them) cost one multiplication a period; a flow dated before the previous one restarts the
    /// power. The stub's factor is computed again only when the stub changes (the due dates after `nowTs` all share
    /// one). Reverts on overflow only far outside any loan's range (rates far below −99 % a year over long horizons,
    /// or above 1e50 % a year).
    /// @param dates Each flow's date (at or after `nowTs`).
    /// @param amounts Each flow's amount, in token units.
    /// @param nowTs The valuation time.
    /// @param annualRateWad The annual rate (1e18 = 100 %); above −1,200 %, so that 1 + i > 0.
    /// @return The present value in token units, rounded down.
    function presentValue(uint256[] memory dates, uint256[] memory amounts, uint256 nowTs, int256 annualRateWad)
        internal
        pure
        returns (uint256)
    {
        if (dates.length != amounts.length) revert NoteValuationLengthMismatch(dates.length, amounts.length);
        int256 periodRate = annualRateWad / PERIODS_PER_YEAR;
        if (int256(WAD) + periodRate <= 0) revert NoteValuationRateTooLow(annualRateWad);
        uint256 perPeriod = DISCOUNT_ONE * WAD / uint256(int256(WAD) + periodRate); // 1 / (1 + i), rounded down
        uint256 power = DISCOUNT_ONE; // perPeriod ^ periods
        uint256 periods = 0;
        uint256 stub = 0; // the stub of the previous flow, and its discount factor
        uint256 stubDiscount = DISCOUNT_ONE;
        uint256 sum = 0; // in 1e-18 of a token unit
        for (uint256 k; k < dates.length; ++k) {
            if (dates[k] < nowTs) revert NoteValuationFlowBeforeNow(dates[k], nowTs);
            uint256 elapsed = dates[k] - nowTs;
            uint256 whole = elapsed / PERIOD;
            if (whole < periods) (power, periods) = (DISCOUNT_ONE, 0);
            if (whole > periods) (power, periods) = (_raise(power, perPeriod, whole - periods), whole);
            if (elapsed % PERIOD != stub) {
                (stub, stubDiscount) = (elapsed % PERIOD, _stubDiscount(periodRate, elapsed % PERIOD));
            }
            sum += Math.mulDiv(amounts[k], Math.mulDiv(power, stubDiscount, DISCOUNT_ONE), DISCOUNT_ONE / WAD);
        }
        return sum / WAD;
    }

    /// @notice The annual rate (WAD, signed) at which the cash flows' present value equals `cost`: the smallest
    /// rate at which `presentValue` is at most `cost`, found by bisection on integers between YIELD_LOW and
    /// YIELD_HIGH (the present value falls as the rate rises). A cost at or above the value at YIELD_LOW gives
    /// YIELD_LOW, one at or below the value at YIELD_HIGH gives YIELD_HIGH.
    /// @dev At most YIELD_ITERATIONS + 2 present values. Within the bracket the answer is exact for the rounded
    /// present value, whose one-unit steps set its precision: about 1 / (value · duration in years) a year.
    /// @param dates Each flow's date (at or after `nowTs`).
    /// @param amounts Each flow's amount, in token units.
    /// @param nowTs The valuation time.
    /// @param cost What the flows cost at `nowTs` (a price), in token units.
    /// @return annualRateWad The yield, in [YIELD_LOW, YIELD_HIGH].
    function yieldToMaturity(uint256[] memory dates, uint256[] memory amounts, uint256 nowTs, uint256 cost)
        internal
        pure
        returns (int256 annualRateWad)
    {
        if (dates.length != amounts.length) revert NoteValuationLengthMismatch(dates.length, amounts.length);
        if (dates.length == 0) revert NoteValuationNoFlows();
        if (cost >= presentValue(dates, amounts, nowTs, YIELD_LOW)) return YIELD_LOW;
        if (cost <= presentValue(dates, amounts, nowTs, YIELD_HIGH)) return YIELD_HIGH;
        // Invariant: presentValue(low) > cost ≥ presentValue(high).
        int256 low = YIELD_LOW;
        int256 high = YIELD_HIGH;
        for (uint256 n; n < YIELD_ITERATIONS && high - low > 1; ++n) {
            int256 mid = low + (high - low) / 2;
            if (presentValue(dates, amounts, nowTs, mid) > cost) low = mid;
            else high = mid;
        }
        return high;
    }

    /* ------------------------------------------------------------------ listing price */

    /// @notice The price of `notes` of `supply` notes listed at `premiumBps` over their share of the outstanding
    /// principal: notes · outstanding · (BPS + premiumBps) / (supply · BPS), rounded up (for the seller: a price one
    /// unit short of the ask is never quoted).
    /// @param premiumBps Premium (positive) or discount (negative) in basis points, in [−9,999, 10,000].
    function price(uint256 notes, uint256 outstanding, uint256 supply, int256 premiumBps)
        internal
        pure
        returns (uint256)
    {
        if (premiumBps < MIN_PREMIUM_BPS || premiumBps > MAX_PREMIUM_BPS) {
            revert NoteValuationPremiumOutOfRange(premiumBps);
        }
        if (supply == 0) revert NoteValuationZeroSupply();
        uint256 factor = uint256(int256(BPS) + premiumBps); // in [1, 2 · BPS]
        return Math.mulDiv(notes, outstanding * factor, supply * BPS, Math.Rounding.Ceil);
    }

    /// @notice What `notes` of `supply` notes have earned and not yet been paid: their share of the interest and
    /// late fees the borrower owes now (`unpaid`), net of the servicing fee, rounded down, as the noteholders will be
    /// credited it at the next repayment. A sale adds it to the price (the buyer pays the seller the accrued
    /// interest, as on LendingClub's and Mintos' note markets); the premium applies to the principal only.
    /// @param notes The notes sold.
    /// @param unpaid Interest and late fees owed on the whole loan now, in token units.
    /// @param supply The loan's notes (its principal).
    /// @param servicingFeeBps The loan's servicing fee, taken from every payment.
    /// @return The notes' accrued share, in token units.
    function accrued(uint256 notes, uint256 unpaid, uint256 supply, uint256 servicingFeeBps)
        internal
        pure
        returns (uint256)
    {
        if (supply == 0) revert NoteValuationZeroSupply();
        if (servicingFeeBps > BPS) revert NoteValuationServicingFeeTooHigh(servicingFeeBps);
        return Math.mulDiv(notes, unpaid * (BPS - servicingFeeBps), supply * BPS);
    }

    /* ------------------------------------------------------------------ internal */

    /// @dev The part of the `scheduled` level payments not yet covered by what was `paid` toward the schedule.
    function _behind(uint256 scheduled, uint256 paid) private pure returns (uint256) {
        return scheduled > paid ? scheduled - paid : 0;
    }

    /// @dev Applies a payment of `amount` (at most what is owed) as `Loan.makeRepayment` does: late fees, then
    /// interest, then principal; interest and principal count toward the schedule.
    function _apply(Balance memory b, uint256 amount) private pure {
        uint256 toLateFees = Math.min(amount, b.lateFeesOwed);
        uint256 toInterest = Math.min(amount - toLateFees, b.interestOwed);
        uint256 toPrincipal = amount - toLateFees - toInterest;
        b.lateFeesOwed -= toLateFees;
        b.interestOwed -= toInterest;
        b.outstanding -= toPrincipal;
        b.paid += toInterest + toPrincipal;
    }

    /// @dev power · base^n in DISCOUNT_ONE fixed point, by squaring; every product rounded down. One multiplication
    /// for n = 1.
    function _raise(uint256 power, uint256 base, uint256 n) private pure returns (uint256) {
        if (n & 1 == 1) power = Math.mulDiv(power, base, DISCOUNT_ONE);
        for (n >>= 1; n != 0; n >>= 1) {
            base = Math.mulDiv(base, base, DISCOUNT_ONE);
            if (n & 1 == 1) power = Math.mulDiv(power, base, DISCOUNT_ONE);
        }
        return power;
    }

    /// @dev 1 / (1 + i · stub / PERIOD) in DISCOUNT_ONE fixed point, rounded down once (exact for the given i). The
    /// denominator is positive: i > −1 (WAD) and stub < PERIOD.
    function _stubDiscount(int256 periodRate, uint256 stub) private pure returns (uint256) {
        if (stub == 0) return DISCOUNT_ONE;
        int256 denominator = int256(WAD * PERIOD) + periodRate * int256(stub);
        return DISCOUNT_ONE * WAD * PERIOD / uint256(denominator);
    }
}
