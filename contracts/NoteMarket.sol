// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ILoanFactory} from "./interfaces/ILoanFactory.sol";
import {INoteMarket} from "./interfaces/INoteMarket.sol";
import {ITreasury} from "./interfaces/ITreasury.sol";
import {IUserRegistry} from "./interfaces/IUserRegistry.sol";
import {BPS, GUARDIAN_ROLE_ID} from "./libraries/Constants.sol";
import {NoteValuation} from "./libraries/NoteValuation.sol";

/// @title NoteMarket
/// @notice The secondary market for loan notes. See `INoteMarket`.
/// @dev Holds no tokens and no notes between calls: a purchase moves the notes seller → buyer through the loan's
/// `transferFrom` (this contract is the seller's approved spender) and the price buyer → seller and buyer →
/// Treasury directly. The seller fee is in the Treasury at once and booked there as a trading fee by `sweepFees`
/// (anyone; the keeper), in one call for many sales, as loans sweep their servicing fees.
/// Gas: the market's addresses are immutables of the implementation (an upgrade deploys the new one for the same
/// market), and the fee, the pause flag and the fees not yet booked share one storage slot.
contract NoteMarket is INoteMarket, AccessControlUpgradeable, ReentrancyGuardTransient, UUPSUpgradeable {
    using SafeERC20 for IERC20;

    /* ------------------------------------------------------------------ constants */

    bytes32 public constant GUARDIAN_ROLE = GUARDIAN_ROLE_ID;
    /// @dev The highest seller fee governance may set: 5 %.
    uint256 public constant MAX_SELLER_FEE_BPS = 500;
    /// @dev A listing's price lies between 0.01 % and 200 % of the notes' outstanding principal.
    int256 public constant MIN_PREMIUM_BPS = -9_999;
    int256 public constant MAX_PREMIUM_BPS = 10_000;

    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    ILoanFactory private immutable _FACTORY;
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IUserRegistry private immutable _REGISTRY;
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    ITreasury private immutable _TREASURY;
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IERC20 private immutable _ASSET;

    /* ------------------------------------------------------------------ storage */

    /// @dev Read and written together by every purchase: one slot.
    struct Settings {
        uint16 sellerFeeBps;
        bool paused;
        uint128 feesPending;
    }

    /// @custom:storage-location erc7201:disfruta.storage.NoteMarket
    struct NoteMarketStorage {
        Settings settings;
        mapping(address loan => mapping(address seller => Listing)) listings;
    }

    // keccak256(abi.encode(uint256(keccak256("disfruta.storage.NoteMarket")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0x49587d928e40592514bceb20a2854ae8c068cf1af50a3bf542b6e573c92e6700;

    function _s() private pure returns (NoteMarketStorage storage $) {
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /* ------------------------------------------------------------------ initializer */

    /// @param factory_ The market's loan factory (its registry and token come from it); `treasury_` its Treasury.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address factory_, address treasury_) {
        if (factory_ == address(0) || treasury_ == address(0)) revert MarketZeroAddress();
        _FACTORY = ILoanFactory(factory_);
        _REGISTRY = IUserRegistry(ILoanFactory(factory_).registry());
        _TREASURY = ITreasury(treasury_);
        _ASSET = IERC20(ILoanFactory(factory_).asset());
        _disableInitializers();
    }

    function initialize(address admin, uint256 sellerFeeBps_) external initializer {
        if (admin == address(0)) revert MarketZeroAddress();
        __AccessControl_init();
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setSellerFee(sellerFeeBps_);
    }

    /* ------------------------------------------------------------------ modifiers */

    modifier whenNotPaused() {
        if (_s().settings.paused) revert EnforcedPause();
        _;
    }

    /* ------------------------------------------------------------------ sellers */

    /// @inheritdoc INoteMarket
    function list(address loan, uint256 notes, int256 premiumBps, uint256 expiry)
        external
        whenNotPaused
        returns (uint256 version)
    {
        if (notes == 0) revert MarketZeroNotes();
        if (premiumBps < MIN_PREMIUM_BPS || premiumBps > MAX_PREMIUM_BPS) {
            revert MarketPremiumOutOfRange(premiumBps, MIN_PREMIUM_BPS, MAX_PREMIUM_BPS);
        }
        // A past expiry, or one beyond the listing's uint40 (a millisecond timestamp, say), is refused.
        if (expiry != 0 && (expiry <= block.timestamp || expiry > type(uint40).max)) {
            revert MarketInvalidExpiry(expiry, block.timestamp);
        }
        if (!_FACTORY.isLoan(loan)) revert MarketNotLoan(loan);
        uint256 held = IERC20(loan).balanceOf(msg.sender);
        if (held < notes) revert MarketSellerLacksNotes(msg.sender, held, notes);

        mapping(address seller => Listing) storage ofLoan = _s().listings[loan];
        version = ofLoan[msg.sender].version + 1;
        // notes ≤ held ≤ a loan's principal ≤ 1e30 < 2^128; the premium and the expiry are in range;
        // a seller's 2^32nd listing of one loan would overflow the version and revert.
        ofLoan[msg.sender] = Listing(uint128(notes), int16(premiumBps), uint40(expiry), uint32(version));
        emit Listed(loan, msg.sender, notes, premiumBps, expiry, version);
    }

    /// @inheritdoc INoteMarket
    function cancel(address loan) external {
        Listing storage l = _s().listings[loan][msg.sender];
        if (l.notes == 0) revert MarketNoListing(loan, msg.sender);
        l.notes = 0;
        emit ListingCancelled(loan, msg.sender, l.version);
    }

    /* ------------------------------------------------------------------ buyers */

    /// @inheritdoc INoteMarket
    function buy(address loan, address seller, uint256 notes, uint256 maxPrice, uint256 version)
        external
        whenNotPaused
        nonReentrant
        returns (uint256 price)
    {
        (price, notes) = _admit(loan, seller, notes, maxPrice, version);
        // Effects done (`_admit` took the notes off the listing), then the transfers; the loan is the factory's
        // (checked at listing) and the asset the market's own, so nothing here calls untrusted code. The buyer's
        // verification is the loan's transfer rule (`LoanTransferToUnverified`), as is the seller's
        // (`LoanTransferFromUnverified`).
        Settings memory cfg = _s().settings;
        uint256 fee = price * cfg.sellerFeeBps / BPS; // rounded down, for the seller
        if (fee != 0) _s().settings.feesPending = cfg.feesPending + uint128(fee); // fee < price ≤ 2^128
        emit NotesSold(loan, seller, msg.sender, notes, price, fee, version);
        // The seller approved the market for these notes (checked in `_admit`): moving them is the market's job.
        // slither-disable-next-line reentrancy-no-eth,arbitrary-send-erc20 -- the factory's loan; nonReentrant
        IERC20(loan).safeTransferFrom(seller, msg.sender, notes);
        _ASSET.safeTransferFrom(msg.sender, seller, price - fee);
        if (fee != 0) _ASSET.safeTransferFrom(msg.sender, address(_TREASURY), fee);
    }

    /// @dev Every rule of a purchase; takes the notes off the listing and returns the price and the notes bought:
    /// all that was asked, or what is left of the listing if that is less (a partial fill, so a one-unit purchase
    /// landing first can't make a larger one fail; `maxPrice` still bounds what the buyer pays).
    function _admit(address loan, address seller, uint256 notes, uint256 maxPrice, uint256 version)
        private
        returns (uint256 price, uint256 filled)
    {
        Listing storage stored = _s().listings[loan][seller];
        Listing memory l = stored;
        if (l.notes == 0) revert MarketNoListing(loan, seller);
        if (l.version != version) revert MarketListingChanged(version, l.version);
        if (l.expiry != 0 && block.timestamp > l.expiry) revert MarketListingExpired(l.expiry, block.timestamp);
        if (notes == 0) revert MarketZeroNotes();
        filled = notes < l.notes ? notes : l.notes;
        if (msg.sender == seller) revert MarketBuyerIsSeller(msg.sender);

        ILoan.Standing memory st = ILoan(loan).standing();
        _requireTradable(loan, st);
        if (msg.sender == st.borrower) revert MarketBorrowerCannotBuy(msg.sender);
        price = _price(st, filled, l.premiumBps);
        if (price > maxPrice) revert MarketPriceAboveMax(price, maxPrice);
        uint256 held = IERC20(loan).balanceOf(seller);
        if (held < filled) revert MarketSellerLacksNotes(seller, held, filled);
        uint256 allowed = IERC20(loan).allowance(seller, address(this));
        if (allowed < filled) revert MarketNotApproved(seller, allowed, filled);
        stored.notes = l.notes - uint128(filled);
    }

    /* ------------------------------------------------------------------ anyone */

    /// @inheritdoc INoteMarket
    function sweepFees() external nonReentrant returns (uint256 amount) {
        amount = _s().settings.feesPending;
        if (amount == 0) revert MarketNoFees();
        _s().settings.feesPending = 0;
        emit FeesSwept(amount);
        _TREASURY.collectFee(amount, ITreasury.FeeType.Trading);
    }

    /* ------------------------------------------------------------------ governance */

    /// @inheritdoc INoteMarket
    function setSellerFee(uint256 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSellerFee(feeBps);
    }

    /// @inheritdoc INoteMarket
    function pause() external onlyRole(GUARDIAN_ROLE) {
        if (_s().settings.paused) revert EnforcedPause();
        _s().settings.paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc INoteMarket
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_s().settings.paused) revert ExpectedPause();
        _s().settings.paused = false;
        emit Unpaused(msg.sender);
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc INoteMarket
    function listing(address loan, address seller) external view returns (Listing memory) {
        return _s().listings[loan][seller];
    }

    /// @inheritdoc INoteMarket
    function listingsOf(address loan, address[] calldata sellers) external view returns (Listing[] memory out) {
        out = new Listing[](sellers.length);
        for (uint256 i; i < sellers.length; ++i) {
            out[i] = _s().listings[loan][sellers[i]];
        }
    }

    /// @inheritdoc INoteMarket
    function quote(address loan, address seller, uint256 notes)
        external
        view
        returns (uint256 price, uint256 fee, int256 yieldWad)
    {
        Listing memory l = _s().listings[loan][seller];
        if (l.notes == 0) revert MarketNoListing(loan, seller);
        if (notes == 0) revert MarketZeroNotes();
        if (notes > l.notes) revert MarketExceedsListing(notes, l.notes);
        price = priceOf(loan, notes, l.premiumBps);
        fee = price * _s().settings.sellerFeeBps / BPS;
        yieldWad = yieldAt(loan, notes, price);
    }

    /// @inheritdoc INoteMarket
    function priceOf(address loan, uint256 notes, int256 premiumBps) public view returns (uint256) {
        return _price(ILoan(_loan(loan)).standing(), notes, premiumBps);
    }

    /// @inheritdoc INoteMarket
    function fairValue(address loan, uint256 notes, int256 annualRateWad) external view returns (uint256) {
        (uint256[] memory dates, uint256[] memory amounts) = cashFlows(loan, notes);
        return NoteValuation.presentValue(dates, amounts, block.timestamp, annualRateWad);
    }

    /// @inheritdoc INoteMarket
    function yieldAt(address loan, uint256 notes, uint256 price) public view returns (int256) {
        (uint256[] memory dates, uint256[] memory amounts) = cashFlows(loan, notes);
        return NoteValuation.yieldToMaturity(dates, amounts, block.timestamp, price);
    }

    /// @inheritdoc INoteMarket
    function cashFlows(address loan, uint256 notes)
        public
        view
        returns (uint256[] memory dates, uint256[] memory amounts)
    {
        ILoan l = ILoan(_loan(loan));
        ILoan.Position memory p = l.position();
        ILoan.Terms memory t = l.terms();
        if (p.status != ILoan.Status.Active) revert MarketLoanNotActive(loan, uint8(p.status));
        (dates, amounts) = NoteValuation.flows(
            NoteValuation.LoanState({
                outstanding: p.principalOutstanding,
                interestOwed: p.interestOwed,
                lateFeesOwed: p.lateFeesOwed,
                payment: t.monthlyPayment,
                paid: p.paidTowardSchedule,
                annualRateBps: t.annualRateBps,
                termMonths: t.termMonths,
                startTime: p.startTime,
                servicingFeeBps: t.servicingFeeBps
            }),
            block.timestamp
        );
        amounts = NoteValuation.scale(amounts, notes, t.principal);
    }

    /// @inheritdoc INoteMarket
    function sellerFeeBps() external view returns (uint256) {
        return _s().settings.sellerFeeBps;
    }

    /// @inheritdoc INoteMarket
    function feesPending() external view returns (uint256) {
        return _s().settings.feesPending;
    }

    /// @inheritdoc INoteMarket
    function paused() external view returns (bool) {
        return _s().settings.paused;
    }

    /// @inheritdoc INoteMarket
    function factory() external view returns (address) {
        return address(_FACTORY);
    }

    /// @inheritdoc INoteMarket
    function registry() external view returns (address) {
        return address(_REGISTRY);
    }

    /// @inheritdoc INoteMarket
    function treasury() external view returns (address) {
        return address(_TREASURY);
    }

    /// @inheritdoc INoteMarket
    function asset() external view returns (address) {
        return address(_ASSET);
    }

    /* ------------------------------------------------------------------ internal */

    /// @dev Notes trade only while the loan is active, no installment is past its grace period, and more than one
    /// installment is left (a buyer of the last one buys a payoff, not a note).
    function _requireTradable(address loan, ILoan.Standing memory st) private view {
        if (st.status != ILoan.Status.Active) revert MarketLoanNotActive(loan, uint8(st.status));
        uint256 graceEnd = st.nextDueDate + st.gracePeriod;
        if (block.timestamp > graceEnd) revert MarketLoanLate(loan, st.nextDueDate, graceEnd);
        if (st.installmentsLeft <= 1) revert MarketLastInstallment(loan);
    }

    /// @dev The notes' share of the outstanding principal at the premium, plus their share of the interest and late
    /// fees accrued and not yet paid (net of the servicing fee), which the buyer pays the seller: what the notes
    /// earned before the sale is the seller's, whether or not the borrower has paid it yet.
    function _price(ILoan.Standing memory st, uint256 notes, int256 premiumBps) private pure returns (uint256) {
        return NoteValuation.price(notes, st.principalOutstanding, st.notes, premiumBps)
            + NoteValuation.accrued(notes, st.unpaid, st.notes, st.servicingFeeBps);
    }

    function _loan(address loan) private view returns (address) {
        if (!_FACTORY.isLoan(loan)) revert MarketNotLoan(loan);
        return loan;
    }

    function _setSellerFee(uint256 feeBps) private {
        if (feeBps > MAX_SELLER_FEE_BPS) revert MarketFeeTooHigh(feeBps, MAX_SELLER_FEE_BPS);
        _s().settings.sellerFeeBps = uint16(feeBps);
        emit SellerFeeSet(feeBps);
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
