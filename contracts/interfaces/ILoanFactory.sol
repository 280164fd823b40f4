// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILoanFactory
/// @notice Loan applications, underwriting, the rate table by grade, limits, and the registry of every loan it
/// deployed (each an EIP-1167 clone of the current Loan implementation).
interface ILoanFactory {
    /// @notice Global bounds on new applications.
    struct Limits {
        uint128 minAmount;
        uint128 maxAmount;
        uint16 minTermMonths;
        uint16 maxTermMonths;
        uint32 minFundingPeriod;
        uint32 maxFundingPeriod;
    }

    error LoanFactoryZeroAddress();
    error LoanFactoryBorrowerNotEligible(address borrower);
    error LoanFactoryAmountOutOfRange(uint256 amount, uint256 min, uint256 max);
    error LoanFactoryExceedsBorrowLimit(uint256 requested, uint256 available);
    error LoanFactoryTermOutOfRange(uint256 termMonths, uint256 min, uint256 max);
    error LoanFactoryFundingPeriodOutOfRange(uint256 period, uint256 min, uint256 max);
    error LoanFactoryGradeNotPriced(uint8 grade);
    error LoanFactoryInvalidGrade(uint8 grade);
    error LoanFactoryInvalidPurpose(uint8 purpose);
    error LoanFactoryInvalidRate(uint256 rateBps);
    error LoanFactoryInvalidFee(uint256 feeBps);
    error LoanFactoryInvalidLimits();
    error LoanFactoryUnknownLoan(uint256 loanId);
    error LoanFactoryNotLoan(address caller);
    error LoanFactoryNoImplementation();
    error LoanFactoryImplementationMismatch(address implementation);

    event LoanCreated(
        uint256 indexed loanId,
        address indexed loan,
        address indexed borrower,
        uint256 amount,
        uint256 annualRateBps,
        uint256 termMonths,
        uint8 grade,
        uint8 purpose
    );
    event LoanApproved(uint256 indexed loanId, address indexed underwriter);
    event LoanRejected(uint256 indexed loanId, address indexed underwriter, bytes32 reason);
    event LoanPauseSet(uint256 indexed loanId, bool paused);
    event LoanClosed(uint256 indexed loanId, address indexed borrower, uint256 amountReleased);
    event RateSet(uint8 indexed grade, uint16 annualRateBps, uint16 originationFeeBps);
    event LimitsSet(Limits limits);
    event LoanImplementationSet(address indexed implementation);

    /// @notice Applies for a loan. The caller must be a verified borrower with a current grade; the rate comes from
    /// the rate table for that grade; the amount counts against the borrower's limit until the loan closes.
    /// @param purpose Loan purpose code (0 debt consolidation, 1 credit card, 2 home improvement, 3 business,
    /// 4 car, 5 medical, 6 education, 7 other; the SDK names them). Codes 0 … 31 are accepted (auto-invest
    /// criteria select purposes with a 32-bit set).
    function createLoan(uint256 amount, uint256 termMonths, uint8 purpose, uint256 fundingPeriod)
        external
        returns (uint256 loanId, address loan);

    function approveLoan(uint256 loanId) external;
    function rejectLoan(uint256 loanId, bytes32 reason) external;
    function pauseLoan(uint256 loanId) external;
    function unpauseLoan(uint256 loanId) external;

    /// @notice Called by a loan when it closes (repaid, defaulted, rejected, expired): releases its amount from the
    /// borrower's exposure.
    function loanClosed() external;

    function setRate(uint8 grade, uint16 annualRateBps, uint16 originationFeeBps) external;
    function setLimits(Limits calldata limits) external;
    function setLoanImplementation(address implementation) external;
    function pause() external;
    function unpause() external;

    function loans(uint256 loanId) external view returns (address);
    function isLoan(address loan) external view returns (bool);
    function loanIdOf(address loan) external view returns (uint256);
    function loanCounter() external view returns (uint256);
    function rateFor(uint8 grade) external view returns (uint16 annualRateBps, uint16 originationFeeBps);
    function limits() external view returns (Limits memory);
    function loanImplementation() external view returns (address);
    function registry() external view returns (address);
    function asset() external view returns (address);
    function borrowerExposure(address borrower) external view returns (uint256);
    function paused() external view returns (bool);
}
