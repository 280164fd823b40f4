// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ILoanFactory} from "./interfaces/ILoanFactory.sol";
import {ITreasury} from "./interfaces/ITreasury.sol";
import {BPS} from "./libraries/Constants.sol";

/// @title Treasury
/// @notice Protocol fees, the reserve fund and default cover. See `ITreasury`.
contract Treasury is ITreasury, AccessControlUpgradeable, ReentrancyGuardUpgradeable, UUPSUpgradeable {
    using SafeERC20 for IERC20;

    /* ------------------------------------------------------------------ constants */

    /// @dev Held by the note market: records its seller fees (`FeeType.Trading`, and only those).
    bytes32 public constant FEE_COLLECTOR_ROLE = keccak256("FEE_COLLECTOR_ROLE");

    /* ------------------------------------------------------------------ storage */

    /// @custom:storage-location erc7201:disfruta.storage.Treasury
    struct TreasuryStorage {
        IERC20 asset;
        ILoanFactory factory;
        uint16 reserveShareBps;
        uint16 defaultCoverBps;
        uint256 reserve;
        uint256 availableFees;
        uint256 reserveUsed;
        mapping(FeeType feeType => uint256) feesCollected;
        mapping(address loan => bool) covered;
        uint256 reserveRecovered;
    }

    // keccak256(abi.encode(uint256(keccak256("disfruta.storage.Treasury")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0xf300ba28faea6b65853a47d526470917e82c0d0b3970cbef6267a9a232248400;

    function _s() private pure returns (TreasuryStorage storage $) {
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /* ------------------------------------------------------------------ initializer */

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(
        address admin,
        address asset_,
        address factory_,
        uint16 reserveShareBps_,
        uint16 defaultCoverBps_
    ) external initializer {
        if (admin == address(0) || asset_ == address(0) || factory_ == address(0)) revert TreasuryZeroAddress();
        __AccessControl_init();
        __ReentrancyGuard_init();
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _s().asset = IERC20(asset_);
        _s().factory = ILoanFactory(factory_);
        _setPolicy(reserveShareBps_, defaultCoverBps_);
    }

    /* ------------------------------------------------------------------ modifiers */

    modifier onlyLoan() {
        if (!_s().factory.isLoan(msg.sender)) revert TreasuryNotLoan(msg.sender);
        _;
    }

    /* ------------------------------------------------------------------ external */

    /// @inheritdoc ITreasury
    function collectFee(uint256 amount, FeeType feeType) external {
        if (feeType == FeeType.Trading) _checkRole(FEE_COLLECTOR_ROLE);
        else if (!_s().factory.isLoan(msg.sender)) revert TreasuryNotLoan(msg.sender);
        if (amount == 0) revert TreasuryZeroAmount();
        TreasuryStorage storage $ = _s();
        _requireReceived(amount);
        // Round the reserve's share down; the unit goes to the fees, both the protocol's.
        uint256 toReserve = amount * $.reserveShareBps / BPS;
        $.reserve += toReserve;
        $.availableFees += amount - toReserve;
        $.feesCollected[feeType] += amount;
        emit FeeCollected(msg.sender, feeType, amount, toReserve);
    }

    /// @inheritdoc ITreasury
    function collectRecovery(uint256 amount) external onlyLoan {
        if (amount == 0) revert TreasuryZeroAmount();
        _requireReceived(amount);
        _s().reserve += amount;
        _s().reserveRecovered += amount;
        emit ReserveRecovered(msg.sender, amount);
    }

    /// @inheritdoc ITreasury
    function distributeFees(address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert TreasuryZeroAddress();
        if (amount == 0) revert TreasuryZeroAmount();
        uint256 available = _s().availableFees;
        if (amount > available) revert TreasuryInsufficientFees(amount, available);
        _s().availableFees = available - amount;
        emit FeesDistributed(to, amount);
        _s().asset.safeTransfer(to, amount);
    }

    /// @inheritdoc ITreasury
    function fundReserve(uint256 amount) external nonReentrant {
        if (amount == 0) revert TreasuryZeroAmount();
        IERC20 asset_ = _s().asset;
        uint256 before = asset_.balanceOf(address(this));
        asset_.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = asset_.balanceOf(address(this)) - before;
        if (received != amount) revert TreasuryTransferAmountMismatch(amount, received);
        _s().reserve += amount;
        emit ReserveFunded(msg.sender, amount);
    }

    /// @inheritdoc ITreasury
    function useReserveForDefault(uint256 principalOutstanding)
        external
        onlyLoan
        nonReentrant
        returns (uint256 cover)
    {
        TreasuryStorage storage $ = _s();
        // Defence in depth: only a defaulted loan, and only once.
        if ($.covered[msg.sender] || ILoan(msg.sender).status() != ILoan.Status.Defaulted) {
            revert TreasuryNotLoan(msg.sender);
        }
        $.covered[msg.sender] = true;
        cover = coverFor(principalOutstanding);
        if (cover == 0) return 0;
        $.reserve -= cover;
        $.reserveUsed += cover;
        emit ReserveUsed(msg.sender, principalOutstanding, cover);
        $.asset.safeTransfer(msg.sender, cover);
    }

    /// @inheritdoc ITreasury
    function setPolicy(uint16 reserveShareBps_, uint16 defaultCoverBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPolicy(reserveShareBps_, defaultCoverBps_);
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc ITreasury
    function reserve() external view returns (uint256) {
        return _s().reserve;
    }

    /// @inheritdoc ITreasury
    function availableFees() external view returns (uint256) {
        return _s().availableFees;
    }

    /// @inheritdoc ITreasury
    function feesCollected(FeeType feeType) external view returns (uint256) {
        return _s().feesCollected[feeType];
    }

    /// @inheritdoc ITreasury
    function totalFees() external view returns (uint256) {
        TreasuryStorage storage $ = _s();
        return $.feesCollected[FeeType.Origination] + $.feesCollected[FeeType.Servicing]
            + $.feesCollected[FeeType.Surplus] + $.feesCollected[FeeType.Trading];
    }

    /// @inheritdoc ITreasury
    function reserveUsed() external view returns (uint256) {
        return _s().reserveUsed;
    }

    /// @inheritdoc ITreasury
    function reserveRecovered() external view returns (uint256) {
        return _s().reserveRecovered;
    }

    /// @inheritdoc ITreasury
    function policy() external view returns (uint16 reserveShareBps, uint16 defaultCoverBps) {
        return (_s().reserveShareBps, _s().defaultCoverBps);
    }

    /// @inheritdoc ITreasury
    function coverFor(uint256 principalOutstanding) public view returns (uint256) {
        // Round down: the reserve is shared by every lender of every loan.
        return Math.min(principalOutstanding * _s().defaultCoverBps / BPS, _s().reserve);
    }

    /// @inheritdoc ITreasury
    function asset() external view returns (address) {
        return address(_s().asset);
    }

    /// @inheritdoc ITreasury
    function factory() external view returns (address) {
        return address(_s().factory);
    }

    /* ------------------------------------------------------------------ internal */

    /// @dev The loan transfers first and reports after: `amount` must already be here, beyond what is accounted for.
    function _requireReceived(uint256 amount) private view {
        TreasuryStorage storage $ = _s();
        uint256 unaccounted = $.asset.balanceOf(address(this)) - ($.reserve + $.availableFees);
        if (amount > unaccounted) revert TreasuryUnfundedFee(amount, unaccounted);
    }

    function _setPolicy(uint16 reserveShareBps_, uint16 defaultCoverBps_) private {
        if (reserveShareBps_ > BPS) revert TreasuryInvalidBps(reserveShareBps_);
        if (defaultCoverBps_ > BPS) revert TreasuryInvalidBps(defaultCoverBps_);
        _s().reserveShareBps = reserveShareBps_;
        _s().defaultCoverBps = defaultCoverBps_;
        emit PolicySet(reserveShareBps_, defaultCoverBps_);
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
