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
        // The market's Autopay: the one caller of `makeRepaymentFor`, which pulls the borrower's tokens through it.
        address autopay;
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

    /// @notice What the note market needs to price and admit a trade, in one call.
    struct Standing {
        Status status;
        address borrower;
        uint256 principalOutstanding;
        // interest and late fees owed now (accrued to this block), not yet paid
        uint256 unpaid;
        uint256 notes;
        uint256 nextDueDate;
        uint256 installmentsLeft;
        uint256 gracePeriod;
        uint256 servicingFeeBps;
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
    error LoanBorrowerInDefault(address borrower);
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
    error LoanNotFunder(address caller, address lender);
    error LoanTransferFromUnverified(address from);
    error LoanNoSurplus(uint256 balance, uint256 kept);
    error LoanOnlyAutopay(address caller);

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
    event FunderSet(address indexed lender, address indexed funder, bool approved);
    /// @notice A payment on a defaulted loan (net of the servicing fee), split between the noteholders and the reserve.
    event RecoveryShared(uint256 toNoteholders, uint256 toReserve);
    event RecoveriesSwept(uint256 amount);
    event SurplusSwept(uint256 amount);

    /* ------------------------------------------------------------------ factory */

    /// @notice Sets the terms once. Only the factory, only on a fresh clone.
    /// @param params The terms the factory checked against its limits and rate table.
    function initialize(InitParams calldata params) external;

    /// @notice Opens funding until `now + fundingPeriod`. Only the factory (underwriter approval).
    function open() external;

    /// @notice Rejects a pending or funding loan; funders can pull refunds. Only the factory.
    function reject() external;

    /// @notice Pauses or unpauses this loan's funding, drawdown and note transfers. Only the factory.
    /// @param paused True to pause.
    function setPaused(bool paused) external;

    /// @notice Sends the loan's unaccounted surplus (tokens beyond every claim, refund, fee and reserve share it can
    /// still owe: rounding dust, tokens sent to it by mistake) to the Treasury. Only the factory (governance), only
    /// once the loan is repaid, rejected or expired, when no claim can grow any more.
    /// @return amount The surplus swept.
    function sweepSurplus() external returns (uint256 amount);

    /* ------------------------------------------------------------------ lenders */

    /// @notice Funds `amount` from the caller; the caller receives the notes.
    /// @param amount A multiple of the minimum note, at most what the goal still needs.
    function fundLoan(uint256 amount) external;

    /// @notice Funds `amount` paid by the caller, with the notes going to `lender`. The caller must be the market's
    /// lending pool or an operator `lender` approved (`setFunder`), and never the borrower.
    /// @param lender The verified lender who receives the notes.
    /// @param amount A multiple of the minimum note, at most what the goal still needs.
    function fundLoanFor(address lender, uint256 amount) external;

    /// @notice Pays the caller everything their notes have earned. Never paused; works for a revoked lender.
    /// @return amount What was paid, in token units.
    function claim() external returns (uint256 amount);

    /// @notice Pays the caller what `lender`'s notes have earned: the caller must be approved by the lender
    /// (`setClaimer`) or be the market's lending pool, which claims only when the lender asks it to (`claimReturns`)
    /// and credits the lender's account.
    /// @param lender The noteholder whose payout is claimed.
    /// @return amount What was paid to the caller.
    function claimFor(address lender) external returns (uint256 amount);

    /// @notice Approves or revokes `claimer` to claim the caller's payouts to itself.
    /// @param claimer The operator.
    /// @param approved True to approve, false to revoke.
    function setClaimer(address claimer, bool approved) external;

    /// @notice Approves or revokes `funder` to fund this loan for the caller with its own money (`fundLoanFor`).
    /// @param funder The operator.
    /// @param approved True to approve, false to revoke.
    function setFunder(address funder, bool approved) external;

    /// @notice Returns the caller's principal after the loan was rejected or expired (burns their notes). Works for
    /// a revoked lender.
    /// @return amount The principal returned.
    function refund() external returns (uint256 amount);

    /* ------------------------------------------------------------------ borrower */

    /// @notice After the deadline, accepts a loan funded to at least the partial-funding threshold. Needs the
    /// borrower still verified and with no loan in open default, and neither the loan nor the factory paused.
    function acceptPartialFunding() external;

    /// @notice Draws the principal (less the origination fee, sent to the Treasury); starts the schedule. Needs the
    /// borrower still verified and with no loan in open default (else the loan expires after the drawdown window
    /// and its lenders are refunded).
    function withdrawFunds() external;

    /// @notice Pays `amount` from the caller: late fees, then interest, then principal. Anyone may pay for the
    /// borrower. Never paused. On a defaulted loan the payment is a recovery, shared between the noteholders and the
    /// reserve in proportion to the cover the reserve paid.
    /// @param amount Capped at the payoff amount; `type(uint256).max` pays off.
    /// @return paid What was taken from the caller.
    function makeRepayment(uint256 amount) external returns (uint256 paid);

    /// @notice An autopay collection: pays `amount` as `makeRepayment` does, from the borrower's tokens, which the
    /// market's Autopay (the only caller) transfers to the loan when the loan asks it to (`IAutopay.pull`).
    /// @param amount The installment Autopay computed (`amountDueBy`); capped at the payoff amount.
    /// @return paid What was taken from the borrower.
    function makeRepaymentFor(uint256 amount) external returns (uint256 paid);

    /* ------------------------------------------------------------------ anyone */

    /// @notice Ends funding that failed: past the deadline below the threshold (or past the acceptance window),
    /// or funded but not drawn within the drawdown window. Funders then pull refunds.
    function expire() external;

    /// @notice Declares the loan in default at `defaultAfter` days past due and takes the Treasury's reserve cover,
    /// which is credited to the noteholders. The borrower's debt is unchanged (subrogation): it keeps accruing
    /// interest on the principal, counts against the borrower's limit, and the registry records the default.
    function handleDefault() external;

    /// @notice Sends the servicing fees and the reserve's share of recoveries accrued in the loan to the Treasury.
    /// @return amount The servicing fees swept (the recoveries are reported in `RecoveriesSwept`).
    function sweepFees() external returns (uint256 amount);

    /* ------------------------------------------------------------------ views */

    /// @notice The market-wide parameters of this loan's implementation.
    function config() external view returns (Config memory);

    /// @notice The loan's terms.
    function terms() external view returns (Terms memory);

    /// @notice Where the repayment stands, with interest and late fees accrued to now.
    function position() external view returns (Position memory);

    /// @notice The default's accounting (zero before a default).
    /// @return cover What the reserve paid the noteholders at default.
    /// @return principalAtDefault The principal outstanding at default; the reserve owns `cover / principalAtDefault`
    /// of every later recovery.
    /// @return reserveAccrued The reserve's share of recoveries not yet swept to the Treasury.
    function recovery() external view returns (uint256 cover, uint256 principalAtDefault, uint256 reserveAccrued);

    function status() external view returns (Status);
    function borrower() external view returns (address);

    /// @notice The factory's id of this loan.
    function loanId() external view returns (uint256);

    /// @notice True when this loan or its whole factory is paused.
    function isPaused() external view returns (bool);

    /// @notice Funding so far.
    /// @return funded Principal funded (notes minted).
    /// @return goal The amount applied for.
    /// @return deadline End of the funding period (0 before approval).
    function funding() external view returns (uint256 funded, uint256 goal, uint256 deadline);

    /// @notice What must be paid now to be current: late fees plus scheduled installments not yet covered; on a
    /// defaulted (accelerated) loan, everything owed.
    function amountDue() external view returns (uint256);

    /// @notice Everything needed to repay the loan in full now (no prepayment penalty); `LoanMath.payoff`.
    function payoffAmount() external view returns (uint256);

    /// @notice Due date of the first installment not yet covered (0 unless active).
    function nextDueDate() external view returns (uint256);

    /// @notice What must be paid now to be current at `timestamp` (now, if earlier): late fees assessed so far, the
    /// level payments due by then not yet covered, everything owed once the last installment is due; 0 unless
    /// active or defaulted.
    function amountDueBy(uint256 timestamp) external view returns (uint256);

    /// @notice Status, borrower, principal outstanding, interest and late fees owed now, notes, next due date,
    /// installments left, grace period and servicing fee.
    function standing() external view returns (Standing memory);

    /// @notice Whole days since the first uncovered installment fell due (0 unless active).
    function daysPastDue() external view returns (uint256);

    /// @notice What `lender` can claim now, in token units.
    /// @param lender The noteholder.
    function claimable(address lender) external view returns (uint256);

    /// @notice True when `lender` approved `claimer` (`setClaimer`).
    function isClaimer(address lender, address claimer) external view returns (bool);

    /// @notice True when `lender` approved `funder` (`setFunder`).
    function isFunder(address lender, address funder) external view returns (bool);

    /// @notice The planned schedule from drawdown (before it: as applied for, due dates 0).
    /// @return dueDates Each installment's due date.
    /// @return interestParts Each installment's interest.
    /// @return principalParts Each installment's principal; they add up to the principal exactly.
    function schedule()
        external
        view
        returns (uint256[] memory dueDates, uint256[] memory interestParts, uint256[] memory principalParts);
}
