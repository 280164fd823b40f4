// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title InterestMath
/// @notice Fixed-rate, fixed-term amortizing loan math: annuity payment, per-period interest and principal split,
/// and pro-rata shares (the payoff is `LoanMath.payoff`). Amounts are in the loan token's own units; rates in basis points per year;
/// one period is one month (1/12 of the annual rate). Every rounding direction is in the helper's name or comment and
/// favours the lenders as a group.
library InterestMath {
    /* ------------------------------------------------------------------ constants */

    /// @dev Periodic rate = annualRateBps / PERIOD_RATE_DENOMINATOR (12 months × 10,000 bps), exactly.
    uint256 internal constant PERIOD_RATE_DENOMINATOR = 120_000;
    /// @dev Working precision of the compounding factor f = (1 + r)^n (1e54 fixed point). The payment per unit of
    /// principal is r·f / (f − 1), and at the lowest rates f − 1 is about 1e-5, so f needs ~18 digits more than the
    /// 1e36 result: in 1e36 the error reached 0.014 of a unit on a 1e30 principal (1 bps, 3 months). The largest f,
    /// (1 + 1/12)^600 ≈ 7.2e20, is 7.2e74 here, below 2^256.
    uint256 internal constant PRECISION = 1e54;
    /// @dev Fixed point of the payment per unit of principal (1e36): rounding it down costs at most 1e-6 of a token
    /// unit on the largest principal, and P·q ≤ 1e30 × 1.09e36 fits in 256 bits.
    uint256 internal constant PER_UNIT_PRECISION = 1e36;
    /// @dev Highest supported rate: 100 % APR.
    uint256 internal constant MAX_RATE_BPS = 10_000;
    /// @dev Longest supported term: 50 years. Keeps (1 + r)^n below 7.2e20 at 100 % APR.
    uint256 internal constant MAX_TERM_MONTHS = 600;
    /// @dev Largest supported principal (1e12 tokens of an 18-decimal coin).
    uint256 internal constant MAX_PRINCIPAL = 1e30;

    /* ------------------------------------------------------------------ errors */

    error InterestMathRateTooHigh(uint256 annualRateBps, uint256 maxRateBps);
    error InterestMathTermOutOfRange(uint256 termMonths, uint256 maxTermMonths);
    error InterestMathPrincipalTooLarge(uint256 principal, uint256 maxPrincipal);

    /* ------------------------------------------------------------------ annuity */

    /// @notice Level monthly payment that repays `principal` over `termMonths` at `annualRateBps`:
    /// P·r / (1 − (1 + r)^−n), rounded up to a whole token unit; P / n rounded up at a 0 % rate. The payment per
    /// unit of principal is rounded down to 1e-36, which costs at most 1e-6 of a unit on the largest principal, so
    /// the payment lies in [A − 1e-6, A + 1) for the exact annuity A: it is ceil(A) unless A is within a millionth of
    /// a unit above a whole number (proved per instance in test/halmos; the last installment of a schedule always
    /// clears the balance).
    /// @dev Two steps: the payment per unit of principal q = r·f / (f − 1) with f = (1 + r)^n (paymentPerUnit, which
    /// depends on the rate and the term only), then ceil(P·q). q is at most 1 + r (reached at n = 1), so P·q fits in
    /// 256 bits and the last step is a plain multiplication and division: no 512-bit arithmetic touches the
    /// principal, which keeps the symbolic proofs over every principal within a solver's reach.
    function monthlyPayment(uint256 principal, uint256 annualRateBps, uint256 termMonths)
        internal
        pure
        returns (uint256)
    {
        checkTerms(principal, annualRateBps, termMonths);
        if (principal == 0) return 0;
        // Round up: a payment one unit short would leave principal owing after the last installment.
        if (annualRateBps == 0) return (principal + termMonths - 1) / termMonths; // P / n rounded up
        uint256 perUnit = paymentPerUnit(annualRateBps, termMonths);
        // Cannot overflow: principal ≤ MAX_PRINCIPAL (checkTerms) and perUnit ≤ 1 + r < 1.1 (in 1e36), so the
        // sum is below 1.1e66. Unchecked and rounded up with one division: a checked product adds a division by a
        // variable, and Math.ceilDiv's branchless form a product of two variables, both of which stall the solver
        // that proves the payment for every principal (test/halmos).
        unchecked {
            return (perUnit * principal + (PER_UNIT_PRECISION - 1)) / PER_UNIT_PRECISION; // rounded up
        }
    }

    /// @notice The annuity payment per unit of principal, r·f / (f − 1) with f = (1 + r)^n, in 1e36 fixed point,
    /// rounded down; between r and 1 + r. Needs a non-zero rate (monthlyPayment handles 0 %).
    function paymentPerUnit(uint256 annualRateBps, uint256 termMonths) internal pure returns (uint256) {
        // r = annualRateBps / 120,000 in 1e54 fixed point; the floor loses < 1e-54.
        uint256 r = annualRateBps * PRECISION / PERIOD_RATE_DENOMINATOR;
        uint256 factor = _pow(PRECISION + r, termMonths); // (1 + r)^n, > PRECISION since r > 0 and n ≥ 1
        return Math.mulDiv(r, factor, factor - PRECISION) / (PRECISION / PER_UNIT_PRECISION);
    }

    /// @notice Interest of one period on `outstanding` principal, rounded up (in favour of the lenders).
    /// Reverts for a balance above MAX_PRINCIPAL or a rate above MAX_RATE_BPS (no loan can have either); within
    /// those the product is below 1e34, so it is computed unchecked (a checked product divides by a variable, which
    /// stalls the solver of the schedule proofs).
    function periodInterest(uint256 outstanding, uint256 annualRateBps) internal pure returns (uint256) {
        checkTerms(outstanding, annualRateBps, 1);
        unchecked {
            return (annualRateBps * outstanding + (PERIOD_RATE_DENOMINATOR - 1)) / PERIOD_RATE_DENOMINATOR; // rounded up
        }
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

    /// @notice The whole amortization schedule: the level payment and each installment's interest and principal
    /// (`splitInstallment` in turn); the principal parts add up to `principal` exactly.
    function schedule(uint256 principal, uint256 annualRateBps, uint256 termMonths)
        internal
        pure
        returns (uint256 payment, uint256[] memory interestParts, uint256[] memory principalParts)
    {
        payment = monthlyPayment(principal, annualRateBps, termMonths);
        interestParts = new uint256[](termMonths);
        principalParts = new uint256[](termMonths);
        uint256 outstanding = principal;
        for (uint256 i; i < termMonths; ++i) {
            (interestParts[i], principalParts[i]) =
                splitInstallment(outstanding, annualRateBps, payment, i + 1 == termMonths);
            outstanding -= principalParts[i];
        }
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

    /// @dev x^n in 1e54 fixed point by squaring; each step rounds down, so the result is at most about 2·n·1e-54
    /// relative below the exact power.
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
