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

    /// @notice Where a loan's default stands: none, open (its principal counts against the borrower's limit and the
    /// borrower opens no new loan), written off by governance, or recovered in full.
    enum DefaultState {
        None,
        Open,
        WrittenOff,
        Recovered
    }

    /// @notice A defaulted loan's principal still counted in its borrower's exposure, and the default's state.
    struct DefaultRecord {
        uint128 exposure;
        DefaultState state;
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
    error LoanFactoryBorrowerInDefault(address borrower, uint256 openDefaults);
    error LoanFactoryNotInDefault(uint256 loanId);

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
    event LoanDefaultRecorded(uint256 indexed loanId, address indexed borrower, uint256 exposure);
    event LoanWrittenOff(uint256 indexed loanId, address indexed borrower, uint256 amountReleased);

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

    /// @notice Called by a loan when it closes (repaid, rejected, expired, or a defaulted loan recovered in full):
    /// releases its amount (for a default, the defaulted principal) from the borrower's exposure.
    function loanClosed() external;

    /// @notice Called by a loan when it defaults: releases all but the defaulted principal from the borrower's
    /// exposure, counts an open default against the borrower (no new loan until it is recovered or written off)
    /// and records the default in the registry.
    /// @param principalOutstanding The principal outstanding at default.
    function loanDefaulted(uint256 principalOutstanding) external;

    /// @notice Writes off a defaulted loan: its principal stops counting against the borrower's limit and the
    /// default is no longer open (the registry keeps its record; recoveries are still accepted). Admin role (the
    /// timelock).
    /// @param loanId A loan in open default.
    function writeOffLoan(uint256 loanId) external;

    /// @notice Sweeps a repaid, rejected or expired loan's unaccounted surplus to the Treasury (`Loan.sweepSurplus`).
    /// Admin role (the timelock).
    /// @param loanId The loan.
    /// @return amount The surplus swept.
    function sweepLoanSurplus(uint256 loanId) external returns (uint256 amount);

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
    /// @notice Principal of the borrower's loans still counted against their limit.
    function borrowerExposure(address borrower) external view returns (uint256);
    /// @notice The borrower's loans in open default (no new loan while above zero).
    function openDefaults(address borrower) external view returns (uint256);
    /// @notice A loan's default record.
    /// @return state Where its default stands.
    /// @return exposure The defaulted principal counted against the borrower while the default is open.
    function defaultOf(address loan) external view returns (DefaultState state, uint256 exposure);
    function paused() external view returns (bool);
}
