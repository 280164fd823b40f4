// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ILoanFactory} from "./interfaces/ILoanFactory.sol";
import {IUserRegistry} from "./interfaces/IUserRegistry.sol";
import {GUARDIAN_ROLE_ID, MAX_GRADE, PURPOSE_CODES, UNDERWRITER_ROLE_ID} from "./libraries/Constants.sol";
import {InterestMath} from "./libraries/InterestMath.sol";

/// @title LoanFactory
/// @notice Applications, underwriting, rate table and limits; deploys every loan as a clone. See `ILoanFactory`.
contract LoanFactory is ILoanFactory, AccessControlUpgradeable, PausableUpgradeable, UUPSUpgradeable {
    /* ------------------------------------------------------------------ constants */

    bytes32 public constant UNDERWRITER_ROLE = UNDERWRITER_ROLE_ID;
    bytes32 public constant GUARDIAN_ROLE = GUARDIAN_ROLE_ID;

    uint16 private constant _MAX_ORIGINATION_FEE_BPS = 1_000;
    uint32 private constant _MAX_FUNDING_PERIOD = 90 days;

    /* ------------------------------------------------------------------ storage */

    struct Rate {
        uint16 annualRateBps;
        uint16 originationFeeBps;
    }

    /// @custom:storage-location erc7201:disfruta.storage.LoanFactory
    struct LoanFactoryStorage {
        IUserRegistry registry;
        address asset;
        address loanImplementation;
        uint64 loanCounter;
        Limits limits;
        mapping(uint8 grade => Rate) rates;
        mapping(uint256 loanId => address) loans;
        mapping(address loan => uint256) loanIds;
        mapping(address borrower => uint256) exposure;
        mapping(address borrower => uint256) openDefaults;
        mapping(address loan => DefaultRecord) defaults;
    }

    // keccak256(abi.encode(uint256(keccak256("disfruta.storage.LoanFactory")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0x1b831f4ced5b8cf30cba27eef235e177ef315b94b975cd885a536af35b09fc00;

    function _s() private pure returns (LoanFactoryStorage storage $) {
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /* ------------------------------------------------------------------ initializer */

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address admin, address registry_, address asset_, Limits calldata limits_)
        external
        initializer
    {
        if (admin == address(0) || registry_ == address(0) || asset_ == address(0)) revert LoanFactoryZeroAddress();
        __AccessControl_init();
        __Pausable_init();
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        LoanFactoryStorage storage $ = _s();
        $.registry = IUserRegistry(registry_);
        $.asset = asset_;
        _setLimits(limits_);
    }

    /* ------------------------------------------------------------------ borrower */

    /// @inheritdoc ILoanFactory
    function createLoan(uint256 amount, uint256 termMonths, uint8 purpose, uint256 fundingPeriod)
        external
        whenNotPaused
        returns (uint256 loanId, address loan)
    {
        LoanFactoryStorage storage $ = _s();
        address implementation = $.loanImplementation;
        if (implementation == address(0)) revert LoanFactoryNoImplementation();
        if (purpose >= PURPOSE_CODES) revert LoanFactoryInvalidPurpose(purpose);
        ILoan.InitParams memory p = _checkApplication(msg.sender, amount, termMonths, fundingPeriod);
        p.purpose = purpose;

        loanId = ++$.loanCounter;
        p.loanId = uint64(loanId);
        loan = Clones.clone(implementation);
        $.loans[loanId] = loan;
        $.loanIds[loan] = loanId;
        $.exposure[msg.sender] += amount;
        emit LoanCreated(loanId, loan, msg.sender, amount, p.annualRateBps, termMonths, p.grade, purpose);
        ILoan(loan).initialize(p);
    }

    /* ------------------------------------------------------------------ underwriter */

    /// @inheritdoc ILoanFactory
    function approveLoan(uint256 loanId) external onlyRole(UNDERWRITER_ROLE) whenNotPaused {
        ILoan(_loan(loanId)).open();
        emit LoanApproved(loanId, msg.sender);
    }

    /// @inheritdoc ILoanFactory
    function rejectLoan(uint256 loanId, bytes32 reason) external onlyRole(UNDERWRITER_ROLE) {
        address loan = _loan(loanId);
        // slither-disable-next-line reentrancy-no-eth -- a clone of the governed Loan implementation; underwriter-only
        ILoan(loan).reject();
        ILoan.Terms memory t = ILoan(loan).terms();
        _release(t, t.goal);
        emit LoanRejected(loanId, msg.sender, reason);
    }

    /// @inheritdoc ILoanFactory
    function pauseLoan(uint256 loanId) external onlyRole(UNDERWRITER_ROLE) {
        ILoan(_loan(loanId)).setPaused(true);
        emit LoanPauseSet(loanId, true);
    }

    /// @inheritdoc ILoanFactory
    function unpauseLoan(uint256 loanId) external onlyRole(UNDERWRITER_ROLE) {
        ILoan(_loan(loanId)).setPaused(false);
        emit LoanPauseSet(loanId, false);
    }

    /// @inheritdoc ILoanFactory
    function loanClosed() external {
        LoanFactoryStorage storage $ = _s();
        if ($.loanIds[msg.sender] == 0) revert LoanFactoryNotLoan(msg.sender);
        DefaultRecord memory d = $.defaults[msg.sender];
        ILoan.Terms memory t = ILoan(msg.sender).terms();
        if (d.state == DefaultState.None) {
            _release(t, t.goal);
        } else if (d.state == DefaultState.Open) {
            // A defaulted loan recovered in full: its principal no longer counts, the default is resolved.
            $.defaults[msg.sender].state = DefaultState.Recovered;
            $.openDefaults[t.borrower] -= 1;
            _release(t, d.exposure);
        }
        // Written off: governance released its exposure already; a later full recovery changes nothing here.
    }

    /// @inheritdoc ILoanFactory
    function loanDefaulted(uint256 principalOutstanding) external {
        LoanFactoryStorage storage $ = _s();
        if ($.loanIds[msg.sender] == 0) revert LoanFactoryNotLoan(msg.sender);
        ILoan.Terms memory t = ILoan(msg.sender).terms();
        // The defaulted principal (never more than the goal) keeps counting against the borrower's limit; the rest
        // of the loan's amount is released.
        $.exposure[t.borrower] -= t.goal - principalOutstanding;
        $.openDefaults[t.borrower] += 1;
        $.defaults[msg.sender] = DefaultRecord({exposure: uint128(principalOutstanding), state: DefaultState.Open});
        emit LoanDefaultRecorded(t.loanId, t.borrower, principalOutstanding);
        $.registry.recordDefault(t.borrower);
    }

    /* ------------------------------------------------------------------ governance */

    /// @inheritdoc ILoanFactory
    function writeOffLoan(uint256 loanId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        LoanFactoryStorage storage $ = _s();
        address loan = _loan(loanId);
        DefaultRecord memory d = $.defaults[loan];
        if (d.state != DefaultState.Open) revert LoanFactoryNotInDefault(loanId);
        ILoan.Terms memory t = ILoan(loan).terms();
        $.defaults[loan].state = DefaultState.WrittenOff;
        $.openDefaults[t.borrower] -= 1;
        emit LoanWrittenOff(loanId, t.borrower, d.exposure);
        _release(t, d.exposure);
    }

    /// @inheritdoc ILoanFactory
    function sweepLoanSurplus(uint256 loanId) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint256 amount) {
        return ILoan(_loan(loanId)).sweepSurplus();
    }

    /// @inheritdoc ILoanFactory
    function setRate(uint8 grade, uint16 annualRateBps, uint16 originationFeeBps)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (grade == 0 || grade > MAX_GRADE) revert LoanFactoryInvalidGrade(grade);
        if (annualRateBps == 0 || annualRateBps > InterestMath.MAX_RATE_BPS) {
            revert LoanFactoryInvalidRate(annualRateBps);
        }
        if (originationFeeBps > _MAX_ORIGINATION_FEE_BPS) revert LoanFactoryInvalidFee(originationFeeBps);
        _s().rates[grade] = Rate(annualRateBps, originationFeeBps);
        emit RateSet(grade, annualRateBps, originationFeeBps);
    }

    /// @inheritdoc ILoanFactory
    function setLimits(Limits calldata limits_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setLimits(limits_);
    }

    /// @inheritdoc ILoanFactory
    function setLoanImplementation(address implementation) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (implementation == address(0)) revert LoanFactoryZeroAddress();
        ILoan.Config memory c = ILoan(implementation).config();
        if (c.factory != address(this) || c.asset != _s().asset || c.registry != address(_s().registry)) {
            revert LoanFactoryImplementationMismatch(implementation);
        }
        _s().loanImplementation = implementation;
        emit LoanImplementationSet(implementation);
    }

    /// @inheritdoc ILoanFactory
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @inheritdoc ILoanFactory
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc ILoanFactory
    function loans(uint256 loanId) external view returns (address) {
        return _s().loans[loanId];
    }

    /// @inheritdoc ILoanFactory
    function isLoan(address loan) external view returns (bool) {
        return _s().loanIds[loan] != 0;
    }

    /// @inheritdoc ILoanFactory
    function loanIdOf(address loan) external view returns (uint256) {
        return _s().loanIds[loan];
    }

    /// @inheritdoc ILoanFactory
    function loanCounter() external view returns (uint256) {
        return _s().loanCounter;
    }

    /// @inheritdoc ILoanFactory
    function rateFor(uint8 grade) external view returns (uint16 annualRateBps, uint16 originationFeeBps) {
        Rate memory r = _s().rates[grade];
        return (r.annualRateBps, r.originationFeeBps);
    }

    /// @inheritdoc ILoanFactory
    function limits() external view returns (Limits memory) {
        return _s().limits;
    }

    /// @inheritdoc ILoanFactory
    function loanImplementation() external view returns (address) {
        return _s().loanImplementation;
    }

    /// @inheritdoc ILoanFactory
    function registry() external view returns (address) {
        return address(_s().registry);
    }

    /// @inheritdoc ILoanFactory
    function asset() external view returns (address) {
        return _s().asset;
    }

    /// @inheritdoc ILoanFactory
    function borrowerExposure(address borrower) external view returns (uint256) {
        return _s().exposure[borrower];
    }

    /// @inheritdoc ILoanFactory
    function openDefaults(address borrower) external view returns (uint256) {
        return _s().openDefaults[borrower];
    }

    /// @inheritdoc ILoanFactory
    function defaultOf(address loan) external view returns (DefaultState state, uint256 exposure) {
        DefaultRecord memory d = _s().defaults[loan];
        return (d.state, d.exposure);
    }

    /// @inheritdoc ILoanFactory
    function paused() public view override(ILoanFactory, PausableUpgradeable) returns (bool) {
        return super.paused();
    }

    /* ------------------------------------------------------------------ internal */

    function _loan(uint256 loanId) private view returns (address loan) {
        loan = _s().loans[loanId];
        if (loan == address(0)) revert LoanFactoryUnknownLoan(loanId);
    }

    /// @dev A closed loan's amount (or a defaulted loan's principal) no longer counts against its borrower's limit.
    function _release(ILoan.Terms memory t, uint256 amount) private {
        _s().exposure[t.borrower] -= amount;
        emit LoanClosed(t.loanId, t.borrower, amount);
    }

    /// @dev Checks an application against the borrower's credit, the limits and the rate table; returns the loan's
    /// terms (all casts lossless: amount ≤ maxAmount ≤ 1e30 < 2^128, term ≤ 600, period ≤ 90 days).
    function _checkApplication(address borrower, uint256 amount, uint256 termMonths, uint256 fundingPeriod)
        private
        view
        returns (ILoan.InitParams memory p)
    {
        LoanFactoryStorage storage $ = _s();
        (uint8 grade, uint128 borrowLimit) = $.registry.creditOf(borrower);
        if (grade == 0) revert LoanFactoryBorrowerNotEligible(borrower);
        uint256 defaulted = $.openDefaults[borrower];
        if (defaulted != 0) revert LoanFactoryBorrowerInDefault(borrower, defaulted);
        Limits memory l = $.limits;
        if (amount < l.minAmount || amount > l.maxAmount) {
            revert LoanFactoryAmountOutOfRange(amount, l.minAmount, l.maxAmount);
        }
        if (termMonths < l.minTermMonths || termMonths > l.maxTermMonths) {
            revert LoanFactoryTermOutOfRange(termMonths, l.minTermMonths, l.maxTermMonths);
        }
        if (fundingPeriod < l.minFundingPeriod || fundingPeriod > l.maxFundingPeriod) {
            revert LoanFactoryFundingPeriodOutOfRange(fundingPeriod, l.minFundingPeriod, l.maxFundingPeriod);
        }
        Rate memory rate = $.rates[grade];
        if (rate.annualRateBps == 0) revert LoanFactoryGradeNotPriced(grade);
        // The borrower's limit covers every loan not yet closed, not each application on its own.
        uint256 used = $.exposure[borrower];
        if (used + amount > borrowLimit) {
            revert LoanFactoryExceedsBorrowLimit(amount, borrowLimit > used ? borrowLimit - used : 0);
        }
        p.borrower = borrower;
        p.amount = uint128(amount);
        p.annualRateBps = rate.annualRateBps;
        p.termMonths = uint16(termMonths);
        p.grade = grade;
        p.originationFeeBps = rate.originationFeeBps;
        p.fundingPeriod = uint32(fundingPeriod);
    }

    function _setLimits(Limits calldata l) private {
        if (
            l.minAmount == 0 || l.minAmount > l.maxAmount || l.maxAmount > InterestMath.MAX_PRINCIPAL
                || l.minTermMonths == 0 || l.minTermMonths > l.maxTermMonths
                || l.maxTermMonths > InterestMath.MAX_TERM_MONTHS || l.minFundingPeriod == 0
                || l.minFundingPeriod > l.maxFundingPeriod || l.maxFundingPeriod > _MAX_FUNDING_PERIOD
        ) revert LoanFactoryInvalidLimits();
        _s().limits = l;
        emit LimitsSet(l);
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
