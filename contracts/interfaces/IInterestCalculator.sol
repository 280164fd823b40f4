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

    /// @notice What repays a loan in full `elapsed` seconds after its last accrual (`LoanMath.payoff`, the same
    /// definition as `Loan.payoffAmount`): late fees and interest owed, the outstanding principal and the interest
    /// accruing meanwhile, with no cap on `elapsed` and no prepayment penalty. A late fee falling due within `elapsed`
    /// is the loan's to add.
    /// @param outstanding Principal outstanding (a loan's `position().principalOutstanding`).
    /// @param interestOwed Interest accrued and unpaid (`position().interestOwed`).
    /// @param lateFeesOwed Late fees assessed and unpaid (`position().lateFeesOwed`).
    /// @param annualRateBps The loan's annual rate in basis points.
    /// @param elapsed Seconds from the position's time to the payoff.
    function calculatePayoff(
        uint256 outstanding,
        uint256 interestOwed,
        uint256 lateFeesOwed,
        uint256 annualRateBps,
        uint256 elapsed
    ) external pure returns (uint256);
}
