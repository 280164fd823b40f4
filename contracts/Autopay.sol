// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAutopay} from "./interfaces/IAutopay.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ILoanFactory} from "./interfaces/ILoanFactory.sol";
import {IUserRegistry} from "./interfaces/IUserRegistry.sol";
import {GUARDIAN_ROLE_ID} from "./libraries/Constants.sol";

/// @title Autopay
/// @notice Borrowers' direct debit. See `IAutopay`.
/// @dev The borrower's tokens go straight from the borrower to the loan: `collect` calls the loan's
/// `makeRepaymentFor`, which does its accounting and then asks this contract (`pull`) to transfer the amount from the
/// borrower's allowance here to the loan; only the loan being collected, inside `collect`, may ask (transient
/// storage). The contract never holds tokens. The market's addresses are immutables of the implementation, and the
/// lead time and the pause flag share one storage slot (gas).
contract Autopay is IAutopay, AccessControlUpgradeable, ReentrancyGuardTransient, UUPSUpgradeable {
    using SafeERC20 for IERC20;

    /* ------------------------------------------------------------------ constants */

    bytes32 public constant GUARDIAN_ROLE = GUARDIAN_ROLE_ID;
    /// @dev The longest lead time governance may set: half a repayment period.
    uint256 public constant MAX_LEAD_TIME = 15 days;
    /// @dev `ILoan.Config` is 15 static words (its last, `autopay`, added with this contract).
    uint256 private constant _CONFIG_WORDS = 15;

    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    ILoanFactory private immutable _FACTORY;
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IUserRegistry private immutable _REGISTRY;
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IERC20 private immutable _ASSET;

    /* ------------------------------------------------------------------ storage */

    /// @custom:storage-location erc7201:disfruta.storage.Autopay
    struct AutopayStorage {
        uint32 leadTime;
        bool paused;
        mapping(address loan => uint256 cap) caps;
    }

    // keccak256(abi.encode(uint256(keccak256("disfruta.storage.Autopay")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0x054528a8c523639949cddd365eaccdba0ae57ca5389873472153d420c813dc00;

    function _s() private pure returns (AutopayStorage storage $) {
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /// @dev The loan being collected and its borrower, for the loan's `pull` call back (transient: this transaction).
    address private transient _collecting;
    address private transient _payer;

    /* ------------------------------------------------------------------ initializer */

    /// @param factory_ The market's loan factory (its registry and token come from it).
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address factory_) {
        if (factory_ == address(0)) revert AutopayZeroAddress();
        _FACTORY = ILoanFactory(factory_);
        _REGISTRY = IUserRegistry(ILoanFactory(factory_).registry());
        _ASSET = IERC20(ILoanFactory(factory_).asset());
        _disableInitializers();
    }

    function initialize(address admin, uint256 leadTime_) external initializer {
        if (admin == address(0)) revert AutopayZeroAddress();
        __AccessControl_init();
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setLeadTime(leadTime_);
    }

    /* ------------------------------------------------------------------ modifiers */

    modifier whenNotPaused() {
        if (_s().paused) revert EnforcedPause();
        _;
    }

    /* ------------------------------------------------------------------ borrowers */

    /// @inheritdoc IAutopay
    function enrol(address loan, uint256 cap) external {
        if (cap == 0) revert AutopayZeroCap();
        if (!_FACTORY.isLoan(loan)) revert AutopayNotLoan(loan);
        if (!_collectsFor(loan)) revert AutopayLoanNotSupported(loan);
        _onlyBorrower(loan);
        ILoan.Status status = ILoan(loan).status();
        if (status > ILoan.Status.Active) revert AutopayLoanClosed(loan);
        _s().caps[loan] = cap;
        emit AutopayEnrolled(loan, msg.sender, cap);
    }

    /// @inheritdoc IAutopay
    function cancel(address loan) external {
        if (_s().caps[loan] == 0) revert AutopayNotEnrolled(loan);
        _onlyBorrower(loan);
        delete _s().caps[loan];
        emit AutopayCancelled(loan, msg.sender);
    }

    /* ------------------------------------------------------------------ anyone */

    /// @inheritdoc IAutopay
    function collect(address loan) external whenNotPaused nonReentrant returns (uint256 amount) {
        (bool ok, Refusal reason, uint256 value, uint256 dueDate, address borrower_) = _check(loan);
        if (!ok) revert AutopayNotCollectable(loan, reason, value);
        _collecting = loan;
        _payer = borrower_;
        amount = ILoan(loan).makeRepaymentFor(value);
        _collecting = address(0);
        _payer = address(0);
        emit AutopayCollected(loan, borrower_, msg.sender, dueDate, amount);
    }

    /// @inheritdoc IAutopay
    function pull(uint256 amount) external {
        if (msg.sender != _collecting) revert AutopayNotCollecting(msg.sender);
        // slither-disable-next-line arbitrary-send-erc20 -- the borrower of the loan being collected, to that loan
        _ASSET.safeTransferFrom(_payer, msg.sender, amount);
    }

    /* ------------------------------------------------------------------ governance */

    /// @inheritdoc IAutopay
    function setLeadTime(uint256 newLeadTime) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setLeadTime(newLeadTime);
    }

    /// @inheritdoc IAutopay
    function pause() external onlyRole(GUARDIAN_ROLE) {
        if (_s().paused) revert EnforcedPause();
        _s().paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IAutopay
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_s().paused) revert ExpectedPause();
        _s().paused = false;
        emit Unpaused(msg.sender);
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc IAutopay
    function preview(address loan)
        external
        view
        returns (bool collectable, Refusal reason, uint256 amountOrDetail, uint256 dueDate)
    {
        (collectable, reason, amountOrDetail, dueDate,) = _check(loan);
    }

    /// @inheritdoc IAutopay
    function capOf(address loan) external view returns (uint256) {
        return _s().caps[loan];
    }

    /// @inheritdoc IAutopay
    function leadTime() external view returns (uint256) {
        return _s().leadTime;
    }

    /// @inheritdoc IAutopay
    function paused() external view returns (bool) {
        return _s().paused;
    }

    /// @inheritdoc IAutopay
    function factory() external view returns (address) {
        return address(_FACTORY);
    }

    /// @inheritdoc IAutopay
    function registry() external view returns (address) {
        return address(_REGISTRY);
    }

    /// @inheritdoc IAutopay
    function asset() external view returns (address) {
        return address(_ASSET);
    }

    /* ------------------------------------------------------------------ internal */

    /// @dev The rules of a collection, in the order a borrower would ask about them. The window is the first
    /// uncovered installment's: from `leadTime` before its due date to the end of its grace period.
    function _check(address loan)
        private
        view
        returns (bool ok, Refusal reason, uint256 value, uint256 dueDate, address borrower_)
    {
        AutopayStorage storage $ = _s();
        uint256 cap = $.caps[loan];
        if (cap == 0) return (false, Refusal.NotEnrolled, 0, 0, address(0));
        if ($.paused) return (false, Refusal.Paused, 0, 0, address(0));
        ILoan.Standing memory st = ILoan(loan).standing();
        borrower_ = st.borrower;
        dueDate = st.nextDueDate;
        if (st.status != ILoan.Status.Active) return (false, Refusal.LoanNotActive, uint256(st.status), 0, borrower_);
        if (_REGISTRY.isRevoked(borrower_)) return (false, Refusal.BorrowerRevoked, 0, dueDate, borrower_);
        uint256 opens = dueDate - $.leadTime;
        if (block.timestamp < opens) return (false, Refusal.TooEarly, opens, dueDate, borrower_);
        uint256 closes = dueDate + st.gracePeriod;
        if (block.timestamp > closes) return (false, Refusal.TooLate, closes, dueDate, borrower_);
        value = ILoan(loan).amountDueBy(dueDate);
        // (an active loan always owes part of its first uncovered installment by its due date: defence in depth)
        if (value == 0) return (false, Refusal.NothingDue, 0, dueDate, borrower_);
        if (value > cap) return (false, Refusal.AboveCap, value, dueDate, borrower_);
        IERC20 asset_ = _ASSET;
        if (asset_.balanceOf(borrower_) < value) return (false, Refusal.InsufficientBalance, value, dueDate, borrower_);
        if (asset_.allowance(borrower_, address(this)) < value) {
            return (false, Refusal.InsufficientAllowance, value, dueDate, borrower_);
        }
        return (true, reason, value, dueDate, borrower_);
    }

    /// @dev Whether `loan`'s implementation pays through this Autopay (`Config.autopay`). A loan made before the
    /// market had one returns a shorter `Config` (no such field), which must not be decoded as today's.
    function _collectsFor(address loan) private view returns (bool) {
        (bool ok, bytes memory data) = loan.staticcall(abi.encodeCall(ILoan.config, ()));
        if (!ok || data.length != _CONFIG_WORDS * 32) return false;
        return abi.decode(data, (ILoan.Config)).autopay == address(this);
    }

    function _onlyBorrower(address loan) private view {
        address borrower_ = ILoan(loan).borrower();
        if (msg.sender != borrower_) revert AutopayNotBorrower(msg.sender, borrower_);
    }

    function _setLeadTime(uint256 leadTime_) private {
        if (leadTime_ > MAX_LEAD_TIME) revert AutopayLeadTimeOutOfRange(leadTime_, MAX_LEAD_TIME);
        _s().leadTime = uint32(leadTime_);
        emit LeadTimeSet(leadTime_);
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
