// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {InterestMath} from "../../contracts/libraries/InterestMath.sol";

/// @notice Symbolic proofs (halmos) of InterestMath's properties.
///
/// The principal is symbolic over the whole supported range (0 … 1e30) in every proof; the rate and the term are
/// concrete per proof (named in the function). A symbolic rate or term turns the library's 512-bit `mulDiv` (`mulmod`,
/// Newton inverse) into non-linear 256-bit bit-vector division that yices/z3 did not settle within 4 minutes per
/// query even for the 0 % case with a symbolic term, so those two are fixed; each extra (rate, term) instance is one
/// more function. Reverts are not failures in halmos: every call goes through `try this.…` and fails in `catch`, so
/// each proof also proves "no overflow, no revert" for its instance. Results and bounds: SECURITY.md.
contract InterestMathSymbolic {
    uint256 internal constant MAX_P = 1e30;
    uint256 internal constant D = 120_000; // periodic rate denominator: rate / (12 × 10,000)

    function payment(uint256 p, uint256 rate, uint256 n) external pure returns (uint256) {
        return InterestMath.monthlyPayment(p, rate, n);
    }

    function split(uint256 outstanding, uint256 rate, uint256 pay, bool isLast)
        external
        pure
        returns (uint256, uint256)
    {
        return InterestMath.splitInstallment(outstanding, rate, pay, isLast);
    }

    function _pay(uint256 p, uint256 rate, uint256 n) internal view returns (uint256 pay) {
        try this.payment(p, rate, n) returns (uint256 v) {
            pay = v;
        } catch {
            assert(false); // no overflow or revert in the supported ranges
        }
    }

    /// At 0 % the payment is P/n rounded up: payment·n ≥ P and payment·n < P + n (n = 12).
    function check_zeroRate_ceilOfPrincipalOverTerm_n12(uint256 p) external view {
        if (p > MAX_P) return;
        uint256 pay = _pay(p, 0, 12);
        assert(pay * 12 >= p);
        assert(pay * 12 < p + 12);
    }

    /// One installment: the exact annuity is P·(1 + r); P + floor(P·r) ≤ payment ≤ P + ceil(P·r) (rate 600 bps).
    function check_oneInstallment_withinOneUnitOfExact_r600(uint256 p) external view {
        if (p > MAX_P) return;
        uint256 pay = _pay(p, 600, 1);
        assert(pay >= p + p * 600 / D);
        assert(pay <= p + (p * 600 + D - 1) / D);
    }

    /// One installment at the maximum rate (10,000 bps): within one unit of P·(1 + r).
    function check_oneInstallment_withinOneUnitOfExact_r10000(uint256 p) external view {
        if (p > MAX_P) return;
        uint256 pay = _pay(p, 10_000, 1);
        assert(pay >= p + p * 10_000 / D);
        assert(pay <= p + (p * 10_000 + D - 1) / D);
    }

    /// The payment covers the principal and the first period's interest: payment·n ≥ P, payment ≥ floor(P·r)
    /// (rate 1,999 bps, n = 12).
    function check_payment_coversPrincipalAndInterest_r1999_n12(uint256 p) external view {
        if (p > MAX_P) return;
        uint256 pay = _pay(p, 1_999, 12);
        assert(pay * 12 >= p);
        assert(pay >= p * 1_999 / D);
    }

    /// Non-decreasing in the principal (rate 600 bps, n = 12).
    function check_payment_monotoneInPrincipal_r600_n12(uint256 p1, uint256 p2) external view {
        if (p1 > p2 || p2 > MAX_P) return;
        assert(_pay(p1, 600, 12) <= _pay(p2, 600, 12));
    }

    /// Non-decreasing in the rate (600 → 1,999 bps, n = 12).
    function check_payment_monotoneInRate_600to1999_n12(uint256 p) external view {
        if (p > MAX_P) return;
        assert(_pay(p, 600, 12) <= _pay(p, 1_999, 12));
    }

    /// Non-increasing in the term (n = 2 → 3, rate 600 bps).
    function check_payment_nonIncreasingInTerm_r600_n2to3(uint256 p) external view {
        if (p > MAX_P) return;
        assert(_pay(p, 600, 3) <= _pay(p, 600, 2));
    }

    /// The schedule's principal parts add up to the principal exactly and none exceeds what is outstanding
    /// (rate 600 bps, n = 2).
    function check_schedule_principalPartsSumToPrincipal_r600_n2(uint256 p) external view {
        if (p > MAX_P) return;
        uint256 pay = _pay(p, 600, 2);
        (, uint256 first) = this.split(p, 600, pay, false);
        assert(first <= p);
        (, uint256 last) = this.split(p - first, 600, pay, true);
        assert(first + last == p);
    }

    /// No overflow at the extremes: rate 10,000 bps and n = 600 (the largest compounding factor) for every P ≤ 1e30.
    function check_payment_noOverflow_r10000_n600(uint256 p) external view {
        if (p > MAX_P) return;
        _pay(p, 10_000, 600);
    }

    /// A period's interest at 100 % APR never exceeds the outstanding balance and is ceil(B·r).
    function check_periodInterest_ceilAndBounded_r10000(uint256 b) external view {
        if (b > MAX_P) return;
        (uint256 interest,) = this.split(b, 10_000, 0, false);
        assert(interest <= b);
        assert(interest == (b * 10_000 + D - 1) / D);
    }
}
