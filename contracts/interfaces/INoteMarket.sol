// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title INoteMarket
/// @notice A priced secondary market for loan notes. A verified lender lists notes of a loan at a premium or discount
/// (bps, signed) to their outstanding principal *at the moment of purchase*, so a repayment between listing and
/// purchase lowers the price with the principal and the buyer never overpays. Nothing is escrowed: the seller keeps
/// the notes, and keeps claiming, until a sale; approving the market on the loan is the only standing permission. A
/// verified lender buys all or part of a listing in one transaction: the notes move through the loan's own
/// transfer (what was distributed before the sale stays the seller's), the buyer pays the price, `sellerFeeBps` of
/// it goes to the Treasury (booked as a trading fee by `sweepFees`) and the rest to the seller. Notes of a loan that is not active, is past
/// the grace period of an installment or has one installment left do not trade.
/// @dev One listing per (loan, seller): listing again replaces it and bumps its version, which a purchase names so
/// that it fails if the seller changed the listing meanwhile. Listings are enumerated from the `Listed` events,
/// indexed by loan and by seller (an on-chain list per loan and per seller would cost two more fresh storage slots
/// per listing); `listingsOf` reads the current state of any set of them in one call.
interface INoteMarket {
    /// @notice A seller's listing on one loan. `notes` = 0: none (cancelled, sold out or never listed).
    struct Listing {
        uint128 notes;
        int16 premiumBps;
        uint40 expiry;
        uint32 version;
    }

    error MarketZeroAddress();
    error MarketNotLoan(address loan);
    error MarketZeroNotes();
    error MarketPremiumOutOfRange(int256 premiumBps, int256 min, int256 max);
    error MarketInvalidExpiry(uint256 expiry, uint256 nowTs);
    error MarketNoListing(address loan, address seller);
    error MarketListingChanged(uint256 expectedVersion, uint256 version);
    error MarketListingExpired(uint256 expiry, uint256 nowTs);
    error MarketExceedsListing(uint256 notes, uint256 listed);
    error MarketLoanNotActive(address loan, uint8 status);
    error MarketLoanLate(address loan, uint256 dueDate, uint256 graceEnd);
    error MarketLastInstallment(address loan);
    error MarketBorrowerCannotBuy(address borrower);
    error MarketBuyerIsSeller(address account);
    error MarketPriceAboveMax(uint256 price, uint256 maxPrice);
    error MarketSellerLacksNotes(address seller, uint256 held, uint256 needed);
    error MarketNotApproved(address seller, uint256 allowance, uint256 needed);
    error MarketFeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    error MarketNoFees();
    /// @dev The same errors and events as OpenZeppelin's `Pausable`, so every pausable contract reads alike.
    error EnforcedPause();
    error ExpectedPause();

    event Listed(
        address indexed loan, address indexed seller, uint256 notes, int256 premiumBps, uint256 expiry, uint256 version
    );
    event ListingCancelled(address indexed loan, address indexed seller, uint256 version);
    event NotesSold(
        address indexed loan,
        address indexed seller,
        address indexed buyer,
        uint256 notes,
        uint256 price,
        uint256 fee,
        uint256 version
    );
    event SellerFeeSet(uint256 feeBps);
    event FeesSwept(uint256 amount);
    event Paused(address account);
    event Unpaused(address account);

    /// @notice Lists (or replaces the caller's listing of) `notes` of `loan` at `premiumBps` to their outstanding
    /// principal (−500 = 5 % discount, +200 = 2 % premium), until `expiry` (0: no expiry). The caller must hold the
    /// notes of a loan of the market's factory. A listing is an offer: who may sell (a verified lender), which loans
    /// trade, and the seller's approval of the market are all checked at the purchase, where money moves (the SDK
    /// checks them before listing with the same views); approve the market on the loan before a sale.
    /// @return version The listing's new version, which a purchase names.
    function list(address loan, uint256 notes, int256 premiumBps, uint256 expiry) external returns (uint256 version);

    /// @notice Withdraws the caller's listing on `loan`. Always works, paused or not.
    function cancel(address loan) external;

    /// @notice Buys `notes` of `seller`'s listing on `loan` (or what is left of it, if less), paying at most
    /// `maxPrice`; fails unless the listing is still at `version`. The price is the notes' share of the outstanding
    /// principal at the listing's premium plus their share of the interest accrued and not yet paid (net of the
    /// servicing fee), which the seller earned. The caller must be a verified lender (the loan's transfer rule) and not the borrower.
    /// @return price What the caller paid (the seller received `price − fee`); `NotesSold` says how many notes.
    function buy(address loan, address seller, uint256 notes, uint256 maxPrice, uint256 version)
        external
        returns (uint256 price);

    /// @notice Books the seller fees of the sales since the last sweep (already in the Treasury's balance) as
    /// `FeeType.Trading` fees in the Treasury. Anyone may call (the keeper does).
    /// @return amount The fees booked.
    function sweepFees() external returns (uint256 amount);

    /// @notice Sets the seller fee (governance; at most `MAX_SELLER_FEE_BPS`).
    function setSellerFee(uint256 feeBps) external;

    /// @notice Stops new listings and purchases (guardian). Cancelling keeps working.
    function pause() external;

    /// @notice Resumes trading (admin).
    function unpause() external;

    /// @notice `seller`'s listing on `loan`.
    function listing(address loan, address seller) external view returns (Listing memory);

    /// @notice The listings of `sellers` on `loan`, in order (sellers from the `Listed` events).
    function listingsOf(address loan, address[] calldata sellers) external view returns (Listing[] memory);

    /// @notice What buying `notes` of the listing costs now: the price, the seller fee within it, and the buyer's
    /// yield to maturity at that price (annual, 1e18 = 100 %) if the borrower pays as scheduled.
    function quote(address loan, address seller, uint256 notes)
        external
        view
        returns (uint256 price, uint256 fee, int256 yieldWad);

    /// @notice The price of `notes` of `loan` at `premiumBps` to their outstanding principal now, plus their share of
    /// the interest and late fees accrued and not yet paid (net of the servicing fee).
    function priceOf(address loan, uint256 notes, int256 premiumBps) external view returns (uint256);

    /// @notice The present value of `notes`' remaining cash flows (net of the servicing fee, if the borrower pays as
    /// scheduled) discounted at `annualRateWad` (1e18 = 100 %).
    function fairValue(address loan, uint256 notes, int256 annualRateWad) external view returns (uint256);

    /// @notice The buyer's yield to maturity (annual, 1e18 = 100 %) when paying `price` for `notes` of `loan`.
    function yieldAt(address loan, uint256 notes, uint256 price) external view returns (int256);

    /// @notice The remaining cash flows of `notes` of `loan`: payment dates and amounts (net of the servicing fee).
    function cashFlows(address loan, uint256 notes)
        external
        view
        returns (uint256[] memory dates, uint256[] memory amounts);

    /// @notice The seller fee, in bps of the price.
    function sellerFeeBps() external view returns (uint256);

    /// @notice Seller fees already sent to the Treasury and not yet booked there (`sweepFees`).
    function feesPending() external view returns (uint256);

    /// @notice True while new listings and purchases are stopped.
    function paused() external view returns (bool);

    /// @notice The market's loan factory, registry, Treasury and token.
    function factory() external view returns (address);
    function registry() external view returns (address);
    function treasury() external view returns (address);
    function asset() external view returns (address);
}
