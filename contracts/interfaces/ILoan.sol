// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILoan
/// @notice One fixed-rate, fixed-term amortizing loan, deployed by `LoanFactory` as an EIP-1167 clone. Its lender
/// positions are an ERC-20 of notes (1 note = 1 token unit of principal funded), transferable between verified
/// lenders only. Repayments are pulled: each raises a per-note accumulator in O(1) and every noteholder claims.
///
/// Lifecycle: Pending → Funding → Funded → Active → Repaid; side exits Rejected, Expired (refunds) and Defaulted.
/// Interest accrues on the outstanding principal at the period rate (annual rate / 12 per 30-day period), so a
/// borrower who pays the level payment on each due date follows the amortization schedule exactly; paying early
/// costs less interest, paying late costs more, and anything beyond what is due prepays principal (no penalty).
interface ILoan {
    /* ------------------------------------------------------------------ types */

    enum Status {
        Pending,
        Funding,
        Funded,
        Active,
        Repaid,
        Defaulted,
        Rejected,
        Expired
    }

    /// @notice Parameters fixed by the factory when it creates the loan.
    struct InitParams {
        uint64 loanId;
        address borrower;
        uint128 amount;
        uint16 annualRateBps;
        uint16 termMonths;
        uint8 grade;
        uint8 purpose;
        uint16 originationFeeBps;
        uint32 fundingPeriod;
    }

    /// @notice Market-wide parameters, immutable in each Loan implementation (changing them means a new
    /// implementation for new loans, through the timelock; live loans never change).
    struct Config {
        address factory;
        address registry;
        address treasury;
        address asset;
        address pool;
        uint16 servicingFeeBps;
        uint16 lateFeeBps;
        uint128 lateFeeMin;
        uint128 minNote;
        uint16 partialFundingBps;
        uint32 gracePeriod;
        uint32 defaultAfter;
        uint32 acceptanceWindow;
        uint32 drawdownWindow;
    }

    /// @notice The loan's terms as a dApp shows them.
    struct Terms {
        uint256 loanId;
        address borrower;
        address asset;
        uint256 goal;
        uint256 principal;
        uint256 annualRateBps;
        uint256 termMonths;
        uint256 grade;
        uint256 purpose;
        uint256 monthlyPayment;
        uint256 originationFeeBps;
        uint256 servicingFeeBps;
        uint256 fundingPeriod;
    }

    /// @notice Where the repayment stands.
    struct Position {
        Status status;
        uint256 principalOutstanding;
        uint256 interestOwed;
        uint256 lateFeesOwed;
        uint256 paidTowardSchedule;
        uint256 startTime;
        uint256 fundingDeadline;
        uint256 fundedAt;
        uint256 accPerNote;
        uint256 feesAccrued;
    }

    /* ------------------------------------------------------------------ errors */

    error LoanAlreadyInitialized();
    error LoanOnlyFactory(address caller);
    error LoanOnlyBorrower(address caller);
    error LoanInvalidStatus(Status status);
    error LoanPausedError();
    error LoanZeroAmount();
    error LoanNotMultipleOfNote(uint256 amount, uint256 minNote);
    error LoanExceedsGoal(uint256 amount, uint256 remaining);
    error LoanFundingClosed(uint256 deadline, uint256 nowTs);
    error LoanFundingOpen(uint256 deadline, uint256 nowTs);
    error LoanNotVerifiedLender(address account);
    error LoanBorrowerCannotFund(address borrower);
    error LoanBorrowerNotVerified(address borrower);
    error LoanDrawdownWindowClosed(uint256 deadline, uint256 nowTs);
    error LoanPartialFundingTooLow(uint256 funded, uint256 required);
    error LoanCannotExpire(Status status);
    error LoanNotDefaultable(uint256 daysPastDue, uint256 requiredDays);
    error LoanNothingToClaim(address lender);
    error LoanNothingToRefund(address lender);
    error LoanNotClaimer(address caller, address lender);
    error LoanTransferToUnverified(address to);
    error LoanTransferAmountMismatch(uint256 expected, uint256 received);
    error LoanNothingOwed();
    error LoanNoFees();
    error LoanInvalidConfig();

    /* ------------------------------------------------------------------ events */

    event LoanOpened(uint256 deadline);
    event LoanFunded(address indexed lender, address indexed payer, uint256 amount, uint256 totalFunded);
    event FundingCompleted(uint256 principal);
    event PartialFundingAccepted(uint256 principal, uint256 goal);
    event LoanExpired();
    event LoanRejected();
    event LoanPaused(bool paused);
    event FundsWithdrawn(address indexed borrower, uint256 principal, uint256 originationFee, uint256 monthlyPayment);
    event LateFeeAssessed(uint256 installments, uint256 amount);
    event RepaymentMade(
        address indexed payer,
        uint256 amount,
        uint256 lateFees,
        uint256 interest,
        uint256 principal,
        uint256 servicingFee,
        uint256 principalOutstanding
    );
    event LoanRepaid();
    event LoanDefaulted(uint256 principalOutstanding, uint256 reserveCover, uint256 daysPastDue);
    event Claimed(address indexed lender, address indexed to, uint256 amount);
    event Refunded(address indexed lender, uint256 amount);
    event FeesSwept(uint256 amount);
    event ClaimerSet(address indexed lender, address indexed claimer, bool approved);

    /* ------------------------------------------------------------------ factory */

    /// @notice Sets the terms once. Only the factory, only on a fresh clone.
    function initialize(InitParams calldata params) external;

    /// @notice Opens funding until `now + fundingPeriod`. Only the factory (underwriter approval).
    function open() external;

    /// @notice Rejects a pending or funding loan; funders can pull refunds. Only the factory.
    function reject() external;

    /// @notice Pauses or unpauses this loan's funding, drawdown and note transfers. Only the factory.
    function setPaused(bool paused) external;

    /* ------------------------------------------------------------------ lenders */

    /// @notice Funds `amount` (a multiple of the minimum note) from the caller; the caller receives the notes.
    function fundLoan(uint256 amount) external;

    /// @notice Funds `amount` paid by the caller, with the notes going to `lender` (the lending pool's path).
    function fundLoanFor(address lender, uint256 amount) external;

    /// @notice Pays the caller everything their notes have earned. Never paused.
    function claim() external returns (uint256 amount);

    /// @notice Pays the caller what `lender`'s notes have earned: the caller must be approved by the lender
    /// (`setClaimer`) or be the market's lending pool, which claims only when the lender asks it to (`claimReturns`)
    /// and credits the lender's account.
    function claimFor(address lender) external returns (uint256 amount);

    /// @notice Approves or revokes `claimer` to claim the caller's payouts to itself.
    function setClaimer(address claimer, bool approved) external;

    /// @notice Returns the caller's principal after the loan was rejected or expired (burns their notes).
    function refund() external returns (uint256 amount);

    /* ------------------------------------------------------------------ borrower */

    /// @notice After the deadline, accepts a loan funded to at least the partial-funding threshold.
    function acceptPartialFunding() external;

    /// @notice Draws the principal (less the origination fee, sent to the Treasury); starts the schedule.
    function withdrawFunds() external;

    /// @notice Pays `amount` (capped at the payoff amount; `type(uint256).max` pays off) from the caller: late
    /// fees, then interest, then principal. Anyone may pay for the borrower. Never paused.
    function makeRepayment(uint256 amount) external returns (uint256 paid);

    /* ------------------------------------------------------------------ anyone */

    /// @notice Ends funding that failed: past the deadline below the threshold (or past the acceptance window),
    /// or funded but not drawn within the drawdown window. Funders then pull refunds.
    function expire() external;

    /// @notice Declares the loan in default at `defaultAfter` days past due and takes the Treasury's reserve cover.
    function handleDefault() external;

    /// @notice Sends the servicing fees accrued in the loan to the Treasury in one transfer.
    function sweepFees() external returns (uint256 amount);

    /* ------------------------------------------------------------------ views */

    function config() external view returns (Config memory);
    function terms() external view returns (Terms memory);
    function position() external view returns (Position memory);
    function status() external view returns (Status);
    function borrower() external view returns (address);
    function loanId() external view returns (uint256);
    function isPaused() external view returns (bool);

    /// @notice Funded so far and still open for funding.
    function funding() external view returns (uint256 funded, uint256 goal, uint256 deadline);

    /// @notice What must be paid now to be current: late fees plus scheduled installments not yet covered.
    function amountDue() external view returns (uint256);

    /// @notice Everything needed to repay the loan in full now (no prepayment penalty).
    function payoffAmount() external view returns (uint256);

    /// @notice Due date of the first installment not yet covered (0 once repaid or before drawdown).
    function nextDueDate() external view returns (uint256);

    /// @notice Whole days since the first uncovered installment fell due.
    function daysPastDue() external view returns (uint256);

    /// @notice What `lender` can claim now.
    function claimable(address lender) external view returns (uint256);

    function isClaimer(address lender, address claimer) external view returns (bool);

    /// @notice The planned schedule from drawdown: each installment's due date, interest and principal.
    function schedule()
        external
        view
        returns (uint256[] memory dueDates, uint256[] memory interestParts, uint256[] memory principalParts);
}
