// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IInterestCalculator
/// @notice Stateless loan math as a deployable contract, for frontends, the SDK and other contracts that prefer a
/// call to linking the `InterestMath` library (which `Loan` uses directly).
interface IInterestCalculator {
    /// @notice `lenders` and `investments` have different lengths.
    error InterestCalculatorLengthMismatch(uint256 lenders, uint256 investments);
    /// @notice The investments add up to zero, so no pro-rata split exists.
    error InterestCalculatorNoInvestment();

    /// @notice Level monthly payment of an amortizing loan, rounded up to a token unit.
    /// @param principal Amount lent, in token units (≤ 1e30).
    /// @param annualRateBps Annual rate in basis points (≤ 10,000).
    /// @param termMonths Number of monthly installments (1 … 600).
    function calculateMonthlyPayment(uint256 principal, uint256 annualRateBps, uint256 termMonths)
        external
        pure
        returns (uint256);

    /// @notice Pro-rata split of `interestPayment` by `investments`, each share rounded down (dust is not paid out).
    /// @param lenders The lenders, in the order of `investments` (only their count is used).
    function calculateInterestDistribution(
        uint256 interestPayment,
        address[] calldata lenders,
        uint256[] calldata investments
    ) external pure returns (uint256[] memory shares);

    /// @notice Interest and principal parts of one installment on `outstanding` principal.
    function splitInstallment(uint256 outstanding, uint256 annualRateBps, uint256 payment, bool isLast)
        external
        pure
        returns (uint256 interest, uint256 principalPart);

    /// @notice The whole amortization schedule: level payment and each installment's interest and principal.
    /// The principal parts add up to `principal` exactly.
    function calculateSchedule(uint256 principal, uint256 annualRateBps, uint256 termMonths)
        external
        pure
        returns (uint256 payment, uint256[] memory interestParts, uint256[] memory principalParts);

    /// @notice Amount that repays `outstanding` in full after `elapsed` seconds of a `periodLength`-second period.
    function calculatePayoff(uint256 outstanding, uint256 annualRateBps, uint256 elapsed, uint256 periodLength)
        external
        pure
        returns (uint256);
}
