// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILoan} from "../interfaces/ILoan.sol";
import {BPS, PERIOD} from "./Constants.sol";
import {InterestMath} from "./InterestMath.sol";

/// @title LoanMath
/// @notice The pure accounting of one loan's repayment: interest accrual, late fees, days past due, what is due and
/// the payoff. `Loan` loads its storage into a `State`, calls these, and stores the result; the calculator and the
/// tests call the same functions, so there is one definition of each amount.
/// @dev Post-default policy (DESIGN.md, "Default"): a defaulted loan is accelerated. Everything owed at default
/// stays owed (the reserve's cover is subrogation, not forgiveness), interest keeps accruing on the outstanding
/// principal at the contract rate, and no further late fee is assessed.
library LoanMath {
    /// @notice In-memory copy of a loan's repayment slots: load, accrue, apply, store.
    struct State {
        ILoan.Status status;
        uint256 outstanding;
        uint256 payment;
        uint256 rate;
        uint256 term;
        uint256 startTime;
        uint256 lastAccrual;
        uint256 lateFeeIndex;
        uint256 interestOwed;
        uint256 paid;
        uint256 lateFeesOwed;
        uint256 newLateFees;
        uint256 newLateInstallments;
    }

    /// @notice A market's late-fee rule (the loan implementation's immutables).
    struct LateFeeRule {
        uint256 gracePeriod;
        uint256 feeBps;
        uint256 feeMin;
    }

    /// @notice Interest on `outstanding` for `elapsed` seconds at the period rate (`annualRateBps / 12` per 30-day
    /// period), rounded up (for the lenders). On a due date exactly one period after the last payment this is the
    /// schedule's interest part.
    function interestFor(uint256 outstanding, uint256 annualRateBps, uint256 elapsed) internal pure returns (uint256) {
        return Math.mulDiv(
            outstanding, annualRateBps * elapsed, InterestMath.PERIOD_RATE_DENOMINATOR * PERIOD, Math.Rounding.Ceil
        );
    }

    /// @notice Everything that repays the loan in full after `elapsed` more seconds: late fees and interest owed,
    /// the outstanding principal and the interest accruing meanwhile. No prepayment penalty. A late fee that falls
    /// due within `elapsed` is not included (the loan adds it when it accrues; see `accrue`).
    function payoff(uint256 outstanding, uint256 interestOwed, uint256 lateFeesOwed, uint256 annualRateBps,
        uint256 elapsed) internal pure returns (uint256) {
        return lateFeesOwed + interestOwed + outstanding + interestFor(outstanding, annualRateBps, elapsed);
    }

    /// @notice Brings interest and late fees up to `nowTs`. Interest accrues while the loan is active or defaulted;
    /// late fees only while it is active: one per installment still uncovered once its grace period has passed.
    function accrue(State memory s, uint256 nowTs, LateFeeRule memory rule) internal pure {
        if (s.status != ILoan.Status.Active && s.status != ILoan.Status.Defaulted) return;
        if (nowTs > s.lastAccrual) {
            s.interestOwed += interestFor(s.outstanding, s.rate, nowTs - s.lastAccrual);
            s.lastAccrual = nowTs;
        }
        if (s.status != ILoan.Status.Active || nowTs < s.startTime + rule.gracePeriod) return;
        uint256 lateThrough = Math.min(s.term, (nowTs - s.startTime - rule.gracePeriod) / PERIOD);
        uint256 from = Math.max(s.lateFeeIndex, covered(s));
        if (lateThrough > from) {
            uint256 count = lateThrough - from;
            // Round the fee down: the borrower is charged at most the stated percentage.
            uint256 fee = Math.max(s.payment * rule.feeBps / BPS, rule.feeMin);
            s.newLateInstallments = count;
            s.newLateFees = count * fee;
            s.lateFeesOwed += count * fee;
            s.lateFeeIndex = lateThrough;
        }
    }

    /// @notice Late fees, interest and principal owed (after `accrue`).
    function owed(State memory s) internal pure returns (uint256) {
        return s.lateFeesOwed + s.interestOwed + s.outstanding;
    }

    /// @notice Installments covered by what was paid toward the schedule (never the last one while anything is
    /// owed).
    function covered(State memory s) internal pure returns (uint256) {
        if (s.payment == 0) return 0;
        return Math.min(s.paid / s.payment, s.term - 1);
    }

    /// @notice Due date of the first installment not yet covered.
    function nextDueDate(State memory s) internal pure returns (uint256) {
        return s.startTime + (covered(s) + 1) * PERIOD;
    }

    /// @notice Whole days since the first uncovered installment fell due (0 when nothing is owed).
    function daysPastDue(State memory s, uint256 nowTs) internal pure returns (uint256) {
        if (owed(s) == 0) return 0;
        uint256 firstUncovered = nextDueDate(s);
        return nowTs > firstUncovered ? (nowTs - firstUncovered) / 1 days : 0;
    }

    /// @notice What must be paid at `nowTs` to be current (after `accrue`): from the last due date on, or once
    /// defaulted (accelerated), everything owed; before it, late fees and the level payments not yet covered.
    function amountDue(State memory s, uint256 nowTs) internal pure returns (uint256) {
        if (s.status == ILoan.Status.Defaulted) return owed(s);
        if (s.status != ILoan.Status.Active) return 0;
        uint256 due = Math.min(s.term, (nowTs - s.startTime) / PERIOD);
        if (due >= s.term) return owed(s);
        uint256 scheduled = due * s.payment;
        uint256 behind = scheduled > s.paid ? scheduled - s.paid : 0;
        return Math.min(s.lateFeesOwed + behind, owed(s));
    }
}
