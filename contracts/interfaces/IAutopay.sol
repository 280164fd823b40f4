// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAutopay
/// @notice Direct debit for borrowers. A borrower enrols a loan with a cap per collection and approves the market's
/// token to this contract once; from `leadTime()` before each due date through the end of its grace period anyone
/// (the keeper) may `collect(loan)`, which pulls exactly what is due then (late fees included, never more than the
/// cap, never more than owed) straight from the borrower into the loan and repays. A collection covers the
/// installment, so the loan's next due date moves on and a second collection for it finds nothing in its window:
/// one installment is never paid twice, whoever calls first.
interface IAutopay {
    /// @notice Why a collection can't happen now (`AutopayNotCollectable`), so a keeper can record it and retry.
    enum Refusal {
        NotEnrolled,
        LoanNotActive,
        BorrowerRevoked,
        TooEarly,
        TooLate,
        NothingDue,
        AboveCap,
        InsufficientBalance,
        InsufficientAllowance,
        Paused
    }

    error AutopayZeroAddress();
    error AutopayNotLoan(address loan);
    /// @dev A loan of an implementation that doesn't name this Autopay (made before it): it can't be collected.
    error AutopayLoanNotSupported(address loan);
    error AutopayNotBorrower(address caller, address borrower);
    error AutopayZeroCap();
    error AutopayLoanClosed(address loan);
    error AutopayNotEnrolled(address loan);
    error AutopayLeadTimeOutOfRange(uint256 leadTime, uint256 maxLeadTime);
    error AutopayNotCollecting(address caller);
    /// @dev The same errors and events as OpenZeppelin's `Pausable`, so every pausable contract reads alike.
    error EnforcedPause();
    error ExpectedPause();
    /// @param loan The loan; `reason` why; `detail` the figure behind it (when it opens, the amount due, …).
    error AutopayNotCollectable(address loan, Refusal reason, uint256 detail);

    event AutopayEnrolled(address indexed loan, address indexed borrower, uint256 cap);
    event AutopayCancelled(address indexed loan, address indexed borrower);
    event AutopayCollected(
        address indexed loan, address indexed borrower, address indexed caller, uint256 dueDate, uint256 amount
    );
    event LeadTimeSet(uint256 leadTime);
    event Paused(address account);
    event Unpaused(address account);

    /// @notice Enrols (or changes the cap of) the caller's loan. Only the loan's borrower; the loan must be one of the
    /// market's and not closed. Works while paused (collections don't).
    /// @param cap The most one collection may pull, in token units; > 0.
    function enrol(address loan, uint256 cap) external;

    /// @notice Stops autopay on the caller's loan. Only the borrower; always works, paused or not.
    function cancel(address loan) external;

    /// @notice Collects what is due on `loan` now from its borrower and repays it. Anyone may call.
    /// Reverts with `AutopayNotCollectable` (nothing moves) when the loan is not enrolled or not active, the borrower
    /// is revoked, it is before the window or after the grace period, nothing is due, the amount is above the cap,
    /// or the borrower's balance or allowance is short.
    /// @return amount What was pulled and repaid.
    function collect(address loan) external returns (uint256 amount);

    /// @notice Called back by the loan being collected, inside `collect`: transfers `amount` from its borrower to it.
    function pull(uint256 amount) external;

    /// @notice Sets how long before a due date collection opens (governance; at most 15 days).
    function setLeadTime(uint256 newLeadTime) external;

    /// @notice Stops collections (guardian). Enrolment and cancellation keep working.
    function pause() external;

    /// @notice Resumes collections (admin).
    function unpause() external;

    /// @notice True while collections are stopped.
    function paused() external view returns (bool);

    /// @notice The cap of `loan`'s enrolment (0: not enrolled).
    function capOf(address loan) external view returns (uint256);

    /// @notice How long before a due date collection opens, in seconds.
    function leadTime() external view returns (uint256);

    /// @notice Whether `collect(loan)` would succeed now: (true, _, amount) when it would, else (false, reason,
    /// detail) as `AutopayNotCollectable` would report them; `dueDate` is the installment's due date (0 if none).
    function preview(address loan)
        external
        view
        returns (bool collectable, Refusal reason, uint256 amountOrDetail, uint256 dueDate);

    /// @notice The market's loan factory, registry and token.
    function factory() external view returns (address);
    function registry() external view returns (address);
    function asset() external view returns (address);
}
