// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInterestCalculator} from "./interfaces/IInterestCalculator.sol";
import {InterestMath} from "./libraries/InterestMath.sol";
import {LoanMath} from "./libraries/LoanMath.sol";

/// @title InterestCalculator
/// @notice Deployable, stateless face of `InterestMath`.
contract InterestCalculator is IInterestCalculator {
    /// @inheritdoc IInterestCalculator
    function calculateMonthlyPayment(uint256 principal, uint256 annualRateBps, uint256 termMonths)
        external
        pure
        returns (uint256)
    {
        return InterestMath.monthlyPayment(principal, annualRateBps, termMonths);
    }

    /// @inheritdoc IInterestCalculator
    function calculateInterestDistribution(
        uint256 interestPayment,
        address[] calldata lenders,
        uint256[] calldata investments
    ) external pure returns (uint256[] memory shares) {
        uint256 count = investments.length;
        if (lenders.length != count) revert InterestCalculatorLengthMismatch(lenders.length, count);
        // slither-disable-next-line uninitialized-local -- a sum, starts at zero on purpose
        uint256 total;
        for (uint256 i; i < count; ++i) {
            total += investments[i];
        }
        if (total == 0) revert InterestCalculatorNoInvestment();
        shares = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            // Round down: the shares never add up to more than the payment.
            shares[i] = InterestMath.proRataDown(interestPayment, investments[i], total);
        }
    }

    /// @inheritdoc IInterestCalculator
    function splitInstallment(uint256 outstanding, uint256 annualRateBps, uint256 payment, bool isLast)
        external
        pure
        returns (uint256 interest, uint256 principalPart)
    {
        return InterestMath.splitInstallment(outstanding, annualRateBps, payment, isLast);
    }

    /// @inheritdoc IInterestCalculator
    function calculateSchedule(uint256 principal, uint256 annualRateBps, uint256 termMonths)
        external
        pure
        returns (uint256 payment, uint256[] memory interestParts, uint256[] memory principalParts)
    {
        return InterestMath.schedule(principal, annualRateBps, termMonths);
    }

    /// @inheritdoc IInterestCalculator
    function calculatePayoff(
        uint256 outstanding,
        uint256 interestOwed,
        uint256 lateFeesOwed,
        uint256 annualRateBps,
        uint256 elapsed
    ) external pure returns (uint256) {
        return LoanMath.payoff(outstanding, interestOwed, lateFeesOwed, annualRateBps, elapsed);
    }
}
