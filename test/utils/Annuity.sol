// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Reference check of an annuity payment against the exact formula, without computing the formula: the
/// balance left after n level payments of x is B_n(x) = P(1+r)^n − x·((1+r)^n − 1)/r, decreasing in x and zero at the
/// exact annuity A. So p ≥ A ⇔ B_n(p) ≤ 0, and p < A + 1 ⇔ B_n(p − 1) > 0. The balances are run in 1e30 fixed point
/// with the interest rounded up (an upper bound of B) or down (a lower bound). `TOLERANCE` (1e-3 of a token unit of
/// balance) admits InterestMath's documented fixed-point error: a payment up to 1e-6 of a unit below the exact
/// annuity leaves at most 1e-6 × 600 payments of balance; it is far below the one-unit claim.
library Annuity {
    int256 private constant SCALE = 1e30;
    int256 private constant PERIOD_RATE_DENOMINATOR = 120_000;
    int256 private constant TOLERANCE = 1e27; // in 1e-30 units of the token

    /// @return aboveExact p is at least the exact annuity (within TOLERANCE)
    /// @return belowExactPlusOne p − 1 is at most the exact annuity (within TOLERANCE)
    function bracket(uint256 principal, uint256 annualRateBps, uint256 termMonths, uint256 payment)
        internal
        pure
        returns (bool aboveExact, bool belowExactPlusOne)
    {
        aboveExact = _balanceAfter(principal, annualRateBps, termMonths, payment, true) <= TOLERANCE;
        belowExactPlusOne =
            payment == 0 || _balanceAfter(principal, annualRateBps, termMonths, payment - 1, false) >= -TOLERANCE;
    }

    function _balanceAfter(uint256 principal, uint256 rate, uint256 n, uint256 payment, bool roundUp)
        private
        pure
        returns (int256 b)
    {
        b = int256(principal) * SCALE;
        int256 x = int256(payment) * SCALE;
        int256 r = int256(rate);
        for (uint256 i; i < n; ++i) {
            int256 num = b * r;
            int256 interest = num / PERIOD_RATE_DENOMINATOR; // truncates toward zero
            if (num % PERIOD_RATE_DENOMINATOR != 0) {
                if (roundUp && num > 0) interest += 1;
                if (!roundUp && num < 0) interest -= 1;
            }
            b = b + interest - x;
        }
    }
}
