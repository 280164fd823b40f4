// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title InterestMath
/// @notice Fixed-rate, fixed-term amortizing loan math: annuity payment, per-period interest and principal split,
/// payoff amount and pro-rata shares. Amounts are in the loan token's own units; rates in basis points per year;
/// one period is one month (1/12 of the annual rate). Every rounding direction is in the helper's name or comment and
/// favours the lenders as a group.
library InterestMath {
    /* ------------------------------------------------------------------ constants */

    /// @dev Basis points per 100 %.
    uint256 internal constant BPS = 10_000;
    /// @dev Periodic rate = annualRateBps / PERIOD_RATE_DENOMINATOR (12 months × 10,000 bps), exactly.
    uint256 internal constant PERIOD_RATE_DENOMINATOR = 120_000;
    /// @dev Working precision of the compounding factor (1e36 fixed point). The 1e27 "ray" of the rest of the
    /// protocol is not enough here: a 1e30-unit principal needs 30+ significant digits to stay within one unit.
    uint256 internal constant PRECISION = 1e36;
    /// @dev Highest supported rate: 100 % APR.
    uint256 internal constant MAX_RATE_BPS = 10_000;
    /// @dev Longest supported term: 50 years. Keeps (1 + r)^n within 1e57 at 100 % APR.
    uint256 internal constant MAX_TERM_MONTHS = 600;
    /// @dev Largest supported principal (1e12 tokens of an 18-decimal coin).
    uint256 internal constant MAX_PRINCIPAL = 1e30;

    /* ------------------------------------------------------------------ errors */

    error InterestMathRateTooHigh(uint256 annualRateBps, uint256 maxRateBps);
    error InterestMathTermOutOfRange(uint256 termMonths, uint256 maxTermMonths);
    error InterestMathPrincipalTooLarge(uint256 principal, uint256 maxPrincipal);
    error InterestMathZeroPeriod();

    /* ------------------------------------------------------------------ annuity */

    /// @notice Level monthly payment that repays `principal` over `termMonths` at `annualRateBps`:
    /// P·r / (1 − (1 + r)^−n), rounded up to a whole token unit; P / n rounded up at a 0 % rate. The power is
    /// computed in 1e36 fixed point, so for principals above about 1e25 units its last-digit error can leave the
    /// result up to one unit below the exact value (still within one unit of it; the last installment of the
    /// schedule always clears the balance).
    function monthlyPayment(uint256 principal, uint256 annualRateBps, uint256 termMonths)
        internal
        pure
        returns (uint256)
    {
        checkTerms(principal, annualRateBps, termMonths);
        if (principal == 0) return 0;
        // Round up: a payment one unit short would leave principal owing after the last installment.
        if (annualRateBps == 0) return Math.ceilDiv(principal, termMonths);

        // r = annualRateBps / 120,000 in 1e36 fixed point; the floor loses < 1e-36 (far below one token unit).
        uint256 r = Math.mulDiv(annualRateBps, PRECISION, PERIOD_RATE_DENOMINATOR);
        uint256 factor = _pow(PRECISION + r, termMonths); // (1 + r)^n, > PRECISION since r > 0 and n ≥ 1
        // payment = P · r · f / (f − 1); rounded up so the schedule never under-collects.
        return Math.mulDiv(principal, Math.mulDiv(r, factor, PRECISION), factor - PRECISION, Math.Rounding.Ceil);
    }

    /// @notice Interest of one period on `outstanding` principal, rounded up (in favour of the lenders).
    function periodInterest(uint256 outstanding, uint256 annualRateBps) internal pure returns (uint256) {
        return Math.mulDiv(outstanding, annualRateBps, PERIOD_RATE_DENOMINATOR, Math.Rounding.Ceil);
    }

    /// @notice Split of one scheduled installment into interest and principal.
    /// @param outstanding Principal still owed before this installment.
    /// @param payment The level payment of the loan.
    /// @param isLast True for the final installment, which clears whatever principal is left.
    /// @return interest Interest part (never negative: it is a period's interest, ≥ 0).
    /// @return principalPart Principal part; over a whole schedule the parts add up to the principal exactly.
    function splitInstallment(uint256 outstanding, uint256 annualRateBps, uint256 payment, bool isLast)
        internal
        pure
        returns (uint256 interest, uint256 principalPart)
    {
        interest = periodInterest(outstanding, annualRateBps);
        if (isLast) return (interest, outstanding);
        // payment ≥ interest on any balance of the schedule: payment ≥ ceil(P·r) ≥ ceil(B·r) for B ≤ P.
        principalPart = payment > interest ? payment - interest : 0;
        if (principalPart > outstanding) principalPart = outstanding;
    }

    /// @notice Amount that repays the loan in full now: outstanding principal plus the interest accrued in the
    /// current period, pro rata to the time elapsed in it (rounded up). No prepayment penalty.
    function payoffAmount(uint256 outstanding, uint256 annualRateBps, uint256 elapsed, uint256 periodLength)
        internal
        pure
        returns (uint256)
    {
        if (periodLength == 0) revert InterestMathZeroPeriod();
        if (elapsed > periodLength) elapsed = periodLength;
        return outstanding
            + Math.mulDiv(outstanding, annualRateBps * elapsed, PERIOD_RATE_DENOMINATOR * periodLength, Math.Rounding.Ceil);
    }

    /// @notice `amount × share / total`, rounded down: the dust stays with the group, never with one holder.
    function proRataDown(uint256 amount, uint256 share, uint256 total) internal pure returns (uint256) {
        return Math.mulDiv(amount, share, total);
    }

    /// @notice Reverts unless the terms are within the supported ranges.
    function checkTerms(uint256 principal, uint256 annualRateBps, uint256 termMonths) internal pure {
        if (annualRateBps > MAX_RATE_BPS) revert InterestMathRateTooHigh(annualRateBps, MAX_RATE_BPS);
        if (termMonths == 0 || termMonths > MAX_TERM_MONTHS) {
            revert InterestMathTermOutOfRange(termMonths, MAX_TERM_MONTHS);
        }
        if (principal > MAX_PRINCIPAL) revert InterestMathPrincipalTooLarge(principal, MAX_PRINCIPAL);
    }

    /* ------------------------------------------------------------------ internal */

    /// @dev x^n in 1e36 fixed point by squaring; each step rounds down, so the result is at most n·1e-36 relative
    /// below the exact power (negligible against one token unit for every supported principal).
    function _pow(uint256 x, uint256 n) private pure returns (uint256 z) {
        z = PRECISION;
        while (true) {
            if (n & 1 == 1) z = Math.mulDiv(z, x, PRECISION);
            n >>= 1;
            if (n == 0) break;
            x = Math.mulDiv(x, x, PRECISION);
        }
    }
}
