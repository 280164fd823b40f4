// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {InterestMath} from "../../contracts/libraries/InterestMath.sol";

/// @notice Symbolic proofs (halmos) of InterestMath's properties, for every principal P in the supported range
/// (0 … 1e30 units) at once.
///
/// The rate and the term are concrete per proof (named in the function): they fix the compounding factor (1 + r)^n,
/// which the library computes with 512-bit `mulDiv`; with a symbolic rate or term the solver faces non-linear 512-bit
/// division it does not settle. With them fixed, what depends on P is ceil(P·q / 1e36) for a constant q, which
/// Bitwuzla proves in seconds. Each extra (rate, term) instance is one more function; the instances span the
/// supported ranges (the lowest and highest rate, the shortest and longest term, adjacent rates and terms).
///
/// Reverts are not failures in halmos: every call goes through `try this.…` and fails in `catch`, so each proof also
/// proves "no overflow, no revert" for its instance. Run by tools/ci-security.sh (CI) and scripts/verify.sh; results
/// and bounds: SECURITY.md.
contract InterestMathSymbolic {
    uint256 internal constant MAX_P = 1e30;
    uint256 internal constant D = 120_000; // periodic rate denominator: rate / (12 × 10,000)

    /// @dev The exact annuity per unit of principal, c = r / (1 − (1 + r)^−n) with r = bps / 120,000, as
    /// floor(c · 1e45), so c·1e45 lies in [A, A + 1). Computed in exact rational arithmetic; each value is
    /// re-checked against its name by tests/security/test_halmos_constants.py.
    uint256 internal constant S = 1e45;
    uint256 internal constant E = 1e39; // 1e-6 of a token unit, in 1e-45 units
    uint256 internal constant A_600_12 = 86066429707080662686093439811770543108150038;
    uint256 internal constant A_1999_36 = 37158488288391679492760311610116511329591161;
    uint256 internal constant A_10000_600 = 83333333333333333333449092395174570585309314;
    uint256 internal constant A_1_600 = 1670843749974440725927772914641573325428639;
    uint256 internal constant A_10000_1 = 1083333333333333333333333333333333333333333333;

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

    function _split(uint256 outstanding, uint256 rate, uint256 pay, bool isLast)
        internal
        view
        returns (uint256 interest, uint256 principalPart)
    {
        try this.split(outstanding, rate, pay, isLast) returns (uint256 i, uint256 pp) {
            (interest, principalPart) = (i, pp);
        } catch {
            assert(false);
        }
    }

    /// The payment is the exact annuity P·c rounded up to a whole unit, up to the library's fixed-point error of at
    /// most 1e-6 of a unit: P·c − 1e-6 ≤ payment < P·c + 1, so it is never a whole unit away from P·c (DESIGN.md
    /// invariant 4). With c·S ∈ [a, a + 1) it suffices that payment·S + E ≥ P·(a + 1) and payment·S < P·a + S
    /// (E = 1e-6·S). The terms are bounded first (payment ≤ 2·MAX_P, a < 2·S), so the unchecked arithmetic cannot
    /// wrap: all stay below 2·1e30·1e45 + 2e45 < 2^256. (Checked multiplication adds a division by a symbolic value,
    /// which stalls the solver.)
    function _assertExactAnnuityRoundedUp(uint256 p, uint256 rate, uint256 n, uint256 a) internal view {
        uint256 pay = _pay(p, rate, n);
        assert(pay <= 2 * MAX_P && a < 2 * S);
        unchecked {
            assert(pay * S + E >= p * (a + 1));
            assert(pay * S < p * a + S);
        }
    }

    /* ------------------------------------------------------------- the exact annuity, rounded up */

    /// 6 % APR over 12 months: the exact annuity rounded up, for every P ≤ 1e30.
    function check_payment_exactAnnuityRoundedUp_r600_n12(uint256 p) external view {
        if (p > MAX_P) return;
        _assertExactAnnuityRoundedUp(p, 600, 12, A_600_12);
    }

    /// 19.99 % APR over 36 months (a rate that is not a whole number of 1e-54 per month).
    function check_payment_exactAnnuityRoundedUp_r1999_n36(uint256 p) external view {
        if (p > MAX_P) return;
        _assertExactAnnuityRoundedUp(p, 1_999, 36, A_1999_36);
    }

    /// The largest compounding factor: 100 % APR over 600 months.
    function check_payment_exactAnnuityRoundedUp_r10000_n600(uint256 p) external view {
        if (p > MAX_P) return;
        _assertExactAnnuityRoundedUp(p, 10_000, 600, A_10000_600);
    }

    /// The smallest non-zero rate (1 bps) over the longest term.
    function check_payment_exactAnnuityRoundedUp_r1_n600(uint256 p) external view {
        if (p > MAX_P) return;
        _assertExactAnnuityRoundedUp(p, 1, 600, A_1_600);
    }

    /// One installment at 100 % APR: the largest payment per unit of principal (1 + r).
    function check_payment_exactAnnuityRoundedUp_r10000_n1(uint256 p) external view {
        if (p > MAX_P) return;
        _assertExactAnnuityRoundedUp(p, 10_000, 1, A_10000_1);
    }

    /// At 0 % the payment is P/n rounded up: payment·n ≥ P and payment·n < P + n (n = 12).
    function check_zeroRate_ceilOfPrincipalOverTerm_n12(uint256 p) external view {
        if (p > MAX_P) return;
        uint256 pay = _pay(p, 0, 12);
        assert(pay <= MAX_P);
        unchecked {
            assert(pay * 12 >= p);
            assert(pay * 12 < p + 12);
        }
    }

    /* ------------------------------------------------------------- monotonicity */

    /// Non-decreasing in the principal (6 % APR, 12 months).
    function check_payment_monotoneInPrincipal_r600_n12(uint256 p1, uint256 p2) external view {
        if (p1 > p2 || p2 > MAX_P) return;
        assert(_pay(p1, 600, 12) <= _pay(p2, 600, 12));
    }

    /// Non-decreasing in the principal at the extremes (100 % APR, 600 months).
    function check_payment_monotoneInPrincipal_r10000_n600(uint256 p1, uint256 p2) external view {
        if (p1 > p2 || p2 > MAX_P) return;
        assert(_pay(p1, 10_000, 600) <= _pay(p2, 10_000, 600));
    }

    /// Non-decreasing in the rate, one basis point apart (19.99 % → 20 %, 36 months).
    function check_payment_monotoneInRate_1999to2000_n36(uint256 p) external view {
        if (p > MAX_P) return;
        assert(_pay(p, 1_999, 36) <= _pay(p, 2_000, 36));
    }

    /// Non-decreasing in the rate from 0 % to the smallest non-zero rate (1 bps, 600 months).
    function check_payment_monotoneInRate_0to1_n600(uint256 p) external view {
        if (p > MAX_P) return;
        assert(_pay(p, 0, 600) <= _pay(p, 1, 600));
    }

    /// Non-increasing in the term, one month apart (12 → 13 months, 6 % APR).
    function check_payment_nonIncreasingInTerm_r600_n12to13(uint256 p) external view {
        if (p > MAX_P) return;
        assert(_pay(p, 600, 13) <= _pay(p, 600, 12));
    }

    /// Non-increasing in the term at the longest terms (599 → 600 months, 100 % APR).
    function check_payment_nonIncreasingInTerm_r10000_n599to600(uint256 p) external view {
        if (p > MAX_P) return;
        assert(_pay(p, 10_000, 600) <= _pay(p, 10_000, 599));
    }

    /* ------------------------------------------------------------- schedule and period interest */

    /// A 2-month schedule at 100 % APR: the first principal part is at most the principal and makes the first
    /// installment the level payment; the last clears the balance, so the parts add up to the principal exactly.
    function check_schedule_principalPartsSumToPrincipal_r10000_n2(uint256 p) external view {
        if (p > MAX_P) return;
        uint256 pay = _pay(p, 10_000, 2);
        (uint256 interest, uint256 first) = _split(p, 10_000, pay, false);
        assert(first <= p);
        assert(interest + first == pay);
        (, uint256 last) = _split(p - first, 10_000, pay, true);
        assert(first + last == p);
    }

    /// A period's interest at 100 % APR is ceil(B·r), never more than the balance.
    function check_periodInterest_ceilAndBounded_r10000(uint256 b) external view {
        if (b > MAX_P) return;
        (uint256 interest,) = _split(b, 10_000, 0, false);
        assert(interest <= b);
        unchecked {
            assert(interest * D >= b * 10_000);
            assert(interest * D < b * 10_000 + D);
        }
    }

    /// No overflow and no revert at the largest payment per unit of principal (100 % APR, one month), for every
    /// P ≤ 1e30; with the proof above at 600 months it brackets the library's intermediate values.
    function check_payment_noOverflow_r10000_n1(uint256 p) external view {
        if (p > MAX_P) return;
        _pay(p, 10_000, 1);
    }
}
