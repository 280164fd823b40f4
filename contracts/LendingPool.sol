// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILendingPool} from "./interfaces/ILendingPool.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ILoanFactory} from "./interfaces/ILoanFactory.sol";
import {IUserRegistry} from "./interfaces/IUserRegistry.sol";
import {GUARDIAN_ROLE_ID, MAX_GRADE} from "./libraries/Constants.sol";

/// @title LendingPool
/// @notice Lender cash accounts and rule-enforced auto-invest. See `ILendingPool`.
contract LendingPool is
    ILendingPool,
    AccessControlUpgradeable,
    PausableUpgradeable,
    ReentrancyGuardTransient,
    UUPSUpgradeable
{
    using SafeERC20 for IERC20;

    /* ------------------------------------------------------------------ constants */

    bytes32 public constant GUARDIAN_ROLE = GUARDIAN_ROLE_ID;

    /* ------------------------------------------------------------------ storage */

    /// @custom:storage-location erc7201:disfruta.storage.LendingPool
    struct LendingPoolStorage {
        IERC20 asset;
        ILoanFactory factory;
        IUserRegistry registry;
        uint256 totalBalances;
        mapping(address lender => uint256) balances;
        mapping(address lender => Criteria) criteria;
        mapping(address lender => mapping(address loan => uint256)) invested;
        mapping(address lender => mapping(address borrower => uint256)) exposure;
    }

    // keccak256(abi.encode(uint256(keccak256("disfruta.storage.LendingPool")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0xe912e08d6ee2bd6617e2a9542de90e9ebf2e6d8ce10d5839b627ad671246d800;

    function _s() private pure returns (LendingPoolStorage storage $) {
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /// @dev What auto-invest needs to know of a loan, read once per batch.
    struct LoanView {
        ILoan loan;
        address borrower;
        uint256 grade;
        uint256 rate;
        uint256 term;
        uint256 purpose;
        uint256 minNote;
        uint256 remaining;
    }

    /* ------------------------------------------------------------------ initializer */

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address admin, address asset_, address factory_) external initializer {
        if (admin == address(0) || asset_ == address(0) || factory_ == address(0)) revert PoolZeroAddress();
        __AccessControl_init();
        __Pausable_init();
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        LendingPoolStorage storage $ = _s();
        $.asset = IERC20(asset_);
        $.factory = ILoanFactory(factory_);
        $.registry = IUserRegistry(ILoanFactory(factory_).registry());
    }

    /* ------------------------------------------------------------------ cash */

    /// @inheritdoc ILendingPool
    function deposit(uint256 amount) external whenNotPaused nonReentrant {
        _deposit(amount);
    }

    /// @inheritdoc ILendingPool
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenNotPaused
        nonReentrant
    {
        // A permit seen in the mempool can be submitted first by anyone; then ours fails but the allowance is
        // there, and the transfer below decides.
        // slither-disable-next-line reentrancy-no-eth -- the market's own asset; nonReentrant
        try IERC20Permit(address(_s().asset)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(amount);
    }

    /// @inheritdoc ILendingPool
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert PoolZeroAmount();
        _debit(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
        _s().asset.safeTransfer(msg.sender, amount);
    }

    /* ------------------------------------------------------------------ investing */

    /// @inheritdoc ILendingPool
    function invest(address loan, uint256 amount) external whenNotPaused nonReentrant {
        if (amount == 0) revert PoolZeroAmount();
        if (!_s().factory.isLoan(loan)) revert PoolNotLoan(loan);
        address borrower_ = ILoan(loan).borrower();
        _debit(msg.sender, amount);
        _record(msg.sender, loan, borrower_, amount);
        emit Invested(msg.sender, loan, amount, false);
        // The loan pulls exactly `amount` and mints the notes to the lender; it checks the lender's verification.
        _s().asset.forceApprove(loan, amount);
        ILoan(loan).fundLoanFor(msg.sender, amount);
    }

    /// @inheritdoc ILendingPool
    function setCriteria(Criteria calldata c) external {
        if (
            c.minGrade == 0 || c.minGrade > c.maxGrade || c.maxGrade > MAX_GRADE || c.minRateBps > c.maxRateBps
                || c.maxTermMonths == 0 || (c.enabled && c.amountPerLoan == 0)
        ) revert PoolInvalidCriteria();
        _s().criteria[msg.sender] = c;
        emit CriteriaSet(msg.sender, c);
    }

    /// @inheritdoc ILendingPool
    function autoInvest(address loan, address[] calldata lenders)
        external
        whenNotPaused
        nonReentrant
        returns (uint256 total)
    {
        LoanView memory lv = _loanView(loan);
        LendingPoolStorage storage $ = _s();
        for (uint256 i; i < lenders.length; ++i) {
            address lender = lenders[i];
            (uint256 amount, bool ok, SkipReason reason) = _autoAmount($, lv, lender);
            if (!ok) {
                emit AutoInvestSkipped(lender, loan, reason);
                continue;
            }
            _debit(lender, amount);
            _record(lender, loan, lv.borrower, amount);
            lv.remaining -= amount;
            total += amount;
            emit Invested(lender, loan, amount, true);
            $.asset.forceApprove(loan, amount);
            // slither-disable-next-line reentrancy-no-eth -- a factory-made loan; nonReentrant here and in the loan
            lv.loan.fundLoanFor(lender, amount);
        }
    }

    /// @inheritdoc ILendingPool
    function claimReturns(address loan) external nonReentrant returns (uint256 amount) {
        LendingPoolStorage storage $ = _s();
        if (!$.factory.isLoan(loan)) revert PoolNotLoan(loan);
        // The loan pays the pool what the lender's notes have earned; it goes into the lender's account.
        uint256 before = $.asset.balanceOf(address(this));
        // slither-disable-next-line reentrancy-balance -- the balance delta is the fee-on-transfer check; nonReentrant
        amount = ILoan(loan).claimFor(msg.sender);
        uint256 received = $.asset.balanceOf(address(this)) - before;
        if (received != amount) revert PoolTransferAmountMismatch(amount, received);
        $.balances[msg.sender] += amount;
        $.totalBalances += amount;
        emit ReturnsClaimed(msg.sender, loan, amount);
    }

    /* ------------------------------------------------------------------ guardian */

    /// @inheritdoc ILendingPool
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @inheritdoc ILendingPool
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc ILendingPool
    function lenderBalances(address lender) external view returns (uint256) {
        return _s().balances[lender];
    }

    /// @inheritdoc ILendingPool
    function criteriaOf(address lender) external view returns (Criteria memory) {
        return _s().criteria[lender];
    }

    /// @inheritdoc ILendingPool
    function invested(address lender, address loan) external view returns (uint256) {
        return _s().invested[lender][loan];
    }

    /// @inheritdoc ILendingPool
    function borrowerExposure(address lender, address borrower_) external view returns (uint256) {
        return _s().exposure[lender][borrower_];
    }

    /// @inheritdoc ILendingPool
    function totalBalances() external view returns (uint256) {
        return _s().totalBalances;
    }

    /// @inheritdoc ILendingPool
    function asset() external view returns (address) {
        return address(_s().asset);
    }

    /// @inheritdoc ILendingPool
    function factory() external view returns (address) {
        return address(_s().factory);
    }

    /* ------------------------------------------------------------------ internal */

    function _deposit(uint256 amount) private {
        if (amount == 0) revert PoolZeroAmount();
        IERC20 asset_ = _s().asset;
        uint256 before = asset_.balanceOf(address(this));
        asset_.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = asset_.balanceOf(address(this)) - before;
        if (received != amount) revert PoolTransferAmountMismatch(amount, received);
        _s().balances[msg.sender] += amount;
        _s().totalBalances += amount;
        emit Deposited(msg.sender, amount);
    }

    function _debit(address lender, uint256 amount) private {
        uint256 available = _s().balances[lender];
        if (amount > available) revert PoolInsufficientBalance(lender, available, amount);
        _s().balances[lender] = available - amount;
        _s().totalBalances -= amount;
    }

    function _record(address lender, address loan, address borrower_, uint256 amount) private {
        _s().invested[lender][loan] += amount;
        _s().exposure[lender][borrower_] += amount;
    }

    function _loanView(address loan) private view returns (LoanView memory lv) {
        if (!_s().factory.isLoan(loan)) revert PoolNotLoan(loan);
        ILoan l = ILoan(loan);
        if (l.status() != ILoan.Status.Funding || l.isPaused()) revert PoolLoanNotOpen(loan);
        (uint256 funded, uint256 goal, uint256 deadline) = l.funding();
        if (block.timestamp > deadline) revert PoolLoanNotOpen(loan);
        ILoan.Terms memory t = l.terms();
        lv = LoanView({
            loan: l,
            borrower: t.borrower,
            grade: t.grade,
            rate: t.annualRateBps,
            term: t.termMonths,
            purpose: t.purpose,
            minNote: l.config().minNote,
            remaining: goal - funded
        });
    }

    /// @dev The amount auto-invest puts in for `lender`, or why it puts nothing. Every rule is checked here, on
    /// chain, whatever the keeper believed.
    function _autoAmount(LendingPoolStorage storage $, LoanView memory lv, address lender)
        private
        view
        returns (uint256 amount, bool ok, SkipReason reason)
    {
        Criteria memory c = $.criteria[lender];
        if (!c.enabled) return (0, false, SkipReason.Disabled);
        if ($.invested[lender][address(lv.loan)] != 0) return (0, false, SkipReason.AlreadyInvested);
        if (lv.grade < c.minGrade || lv.grade > c.maxGrade) return (0, false, SkipReason.Grade);
        if (lv.rate < c.minRateBps || lv.rate > c.maxRateBps) return (0, false, SkipReason.Rate);
        if (lv.term > c.maxTermMonths) return (0, false, SkipReason.Term);
        if (lv.purpose >= 32 || (c.purposes >> lv.purpose) & 1 == 0) return (0, false, SkipReason.Purpose);
        if (lender == lv.borrower) return (0, false, SkipReason.IsBorrower);
        if (!$.registry.isVerifiedLender(lender)) return (0, false, SkipReason.NotVerifiedLender);
        if (lv.remaining < lv.minNote) return (0, false, SkipReason.LoanFull);

        uint256 exposure = $.exposure[lender][lv.borrower];
        if (exposure >= c.maxPerBorrower) return (0, false, SkipReason.BorrowerCap);
        uint256 balance = $.balances[lender];
        if (balance <= c.cashToKeep) return (0, false, SkipReason.InsufficientCash);
        uint256 cash = balance - c.cashToKeep;
        uint256 room = c.maxPerBorrower - exposure;

        amount = Math.min(Math.min(c.amountPerLoan, lv.remaining), Math.min(room, cash));
        // Whole notes only, rounded down: never more than any cap allows.
        amount -= amount % lv.minNote;
        if (amount == 0) {
            if (cash < lv.minNote) return (0, false, SkipReason.InsufficientCash);
            if (room < lv.minNote) return (0, false, SkipReason.BorrowerCap);
            return (0, false, SkipReason.AmountBelowNote);
        }
        return (amount, true, SkipReason.Disabled);
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
