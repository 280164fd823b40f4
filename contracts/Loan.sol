// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IAutopay} from "./interfaces/IAutopay.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ILoanFactory} from "./interfaces/ILoanFactory.sol";
import {LoanNotes} from "./LoanNotes.sol";
import {ITreasury} from "./interfaces/ITreasury.sol";
import {IUserRegistry} from "./interfaces/IUserRegistry.sol";
import {ACC_PRECISION, BPS, PERIOD} from "./libraries/Constants.sol";
import {InterestMath} from "./libraries/InterestMath.sol";
import {LoanMath} from "./libraries/LoanMath.sol";
import {
    ArrearsSlot, BalanceSlot, BookSlot, DefaultSlot, FundingSlot, StateSlot, TermsSlot, loadState, storeState
} from "./libraries/LoanSlots.sol";

/// @title Loan
/// @notice One amortizing loan and its ERC-20 of notes. See `ILoan`.
/// @dev Deployed once per market as an implementation whose immutables hold the market's configuration, then cloned
/// (EIP-1167) by the factory for every loan. A clone's terms are written once by `initialize` and never change.
/// This contract is the lifecycle and the money; the notes and their claims are `LoanNotes`, the repayment math
/// `LoanMath`, the storage slots `LoanSlots`.
contract Loan is LoanNotes {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /* ------------------------------------------------------------------ constants */

    address private immutable _FACTORY;
    IUserRegistry private immutable _REGISTRY;
    address private immutable _TREASURY;
    uint16 private immutable _SERVICING_FEE_BPS;
    uint16 private immutable _LATE_FEE_BPS;
    uint128 private immutable _LATE_FEE_MIN;
    uint128 private immutable _MIN_NOTE;
    uint16 private immutable _PARTIAL_FUNDING_BPS;
    uint32 private immutable _GRACE_PERIOD;
    uint32 private immutable _DEFAULT_AFTER;
    uint32 private immutable _ACCEPTANCE_WINDOW;
    uint32 private immutable _DRAWDOWN_WINDOW;
    IAutopay private immutable _AUTOPAY;

    /* ------------------------------------------------------------------ storage */

    TermsSlot private _terms;
    FundingSlot private _funding;
    BalanceSlot private _balance;
    StateSlot private _state;
    ArrearsSlot private _arrears;
    BookSlot private _book;
    DefaultSlot private _default;
    /// @dev The reserve's share of recoveries not yet swept to the Treasury.
    uint256 private _reserveAccrued;

    /* ------------------------------------------------------------------ constructor */

    constructor(Config memory c)
        LoanNotes(IERC20(c.asset), c.pool, c.asset == address(0) ? 0 : IERC20Metadata(c.asset).decimals())
    {
        if (
            c.factory == address(0) || c.registry == address(0) || c.treasury == address(0) || c.asset == address(0)
                || c.pool == address(0) || c.servicingFeeBps > 1_000 || c.lateFeeBps > 2_500 || c.minNote == 0
                || c.partialFundingBps > BPS || c.defaultAfter <= c.gracePeriod || c.acceptanceWindow == 0
                || c.drawdownWindow == 0 || c.autopay == address(0)
        ) revert LoanInvalidConfig();
        _FACTORY = c.factory;
        _REGISTRY = IUserRegistry(c.registry);
        _TREASURY = c.treasury;
        _SERVICING_FEE_BPS = c.servicingFeeBps;
        _LATE_FEE_BPS = c.lateFeeBps;
        _LATE_FEE_MIN = c.lateFeeMin;
        _MIN_NOTE = c.minNote;
        _PARTIAL_FUNDING_BPS = c.partialFundingBps;
        _GRACE_PERIOD = c.gracePeriod;
        _DEFAULT_AFTER = c.defaultAfter;
        _ACCEPTANCE_WINDOW = c.acceptanceWindow;
        _DRAWDOWN_WINDOW = c.drawdownWindow;
        _AUTOPAY = IAutopay(c.autopay);
        // The implementation itself can never be initialised: only fresh clones have a zero borrower.
        _terms.borrower = address(0xdead);
    }

    /* ------------------------------------------------------------------ modifiers */

    modifier onlyFactory() {
        if (msg.sender != _FACTORY) revert LoanOnlyFactory(msg.sender);
        _;
    }

    modifier onlyBorrower() {
        if (msg.sender != _terms.borrower) revert LoanOnlyBorrower(msg.sender);
        _;
    }

    /* ------------------------------------------------------------------ factory */

    /// @inheritdoc ILoan
    function initialize(InitParams calldata p) external onlyFactory {
        if (_terms.borrower != address(0)) revert LoanAlreadyInitialized();
        // The factory has validated the terms against its limits; the math library's own bounds are checked here
        // so no loan can exist whose payment cannot be computed.
        InterestMath.checkTerms(p.amount, p.annualRateBps, p.termMonths);
        _terms = TermsSlot(p.borrower, Status.Pending, false, p.grade, p.purpose, p.originationFeeBps);
        _funding = FundingSlot({goal: p.amount, fundingDeadline: 0, fundedAt: 0, fundingPeriod: p.fundingPeriod});
        _state = StateSlot(p.annualRateBps, p.termMonths, 0, 0, 0, 0);
    }

    /// @inheritdoc ILoan
    function open() external onlyFactory {
        _requireStatus(Status.Pending);
        uint256 deadline = block.timestamp + _funding.fundingPeriod;
        _terms.status = Status.Funding;
        _funding.fundingDeadline = uint40(deadline);
        emit LoanOpened(deadline);
    }

    /// @inheritdoc ILoan
    function reject() external onlyFactory {
        Status s = _terms.status;
        if (s != Status.Pending && s != Status.Funding) revert LoanInvalidStatus(s);
        _terms.status = Status.Rejected;
        emit LoanRejected();
    }

    /// @inheritdoc ILoan
    function setPaused(bool paused_) external onlyFactory {
        _terms.paused = paused_;
        emit LoanPaused(paused_);
    }

    /// @inheritdoc ILoan
    function sweepSurplus() external onlyFactory nonReentrant returns (uint256 amount) {
        Status s = _terms.status;
        // Only once every claim is final: the accumulator no longer moves, so what holders can claim is bounded.
        if (s != Status.Repaid && s != Status.Rejected && s != Status.Expired) revert LoanInvalidStatus(s);
        uint256 supply = totalSupply();
        // Holders' claims are at most their exact share of the accumulator (rounded up here), less what was paid;
        // before drawdown the notes are refunds owed one to one.
        uint256 holders = s == Status.Repaid
            ? Math.mulDiv(supply, _accounts.accPerNote, ACC_PRECISION, Math.Rounding.Ceil) - _accounts.claimedTotal
            : supply;
        uint256 kept = holders + _book.feesAccrued + _reserveAccrued;
        uint256 balance = _ASSET.balanceOf(address(this));
        if (balance <= kept) revert LoanNoSurplus(balance, kept);
        amount = balance - kept;
        emit SurplusSwept(amount);
        _payTreasury(amount, ITreasury.FeeType.Surplus);
    }

    /* ------------------------------------------------------------------ lenders */

    /// @inheritdoc ILoan
    function fundLoan(uint256 amount) external nonReentrant {
        _fund(msg.sender, amount);
    }

    /// @inheritdoc ILoan
    function fundLoanFor(address lender, uint256 amount) external nonReentrant {
        if (!_mayActFor(lender, _FUND)) revert LoanNotFunder(msg.sender, lender);
        _fund(lender, amount);
    }

    /// @inheritdoc ILoan
    function refund() external nonReentrant returns (uint256 amount) {
        Status s = _terms.status;
        if (s != Status.Rejected && s != Status.Expired) revert LoanInvalidStatus(s);
        amount = balanceOf(msg.sender);
        if (amount == 0) revert LoanNothingToRefund(msg.sender);
        // Notes are principal funded one to one, so burning them returns exactly what was paid in.
        _burn(msg.sender, amount);
        emit Refunded(msg.sender, amount);
        _ASSET.safeTransfer(msg.sender, amount);
    }

    /* ------------------------------------------------------------------ borrower */

    /// @inheritdoc ILoan
    function acceptPartialFunding() external onlyBorrower {
        _requireStatus(Status.Funding);
        // The same gates as drawdown: no new risk while paused, none for a borrower no longer verified or in default.
        _requireNotPaused();
        _requireBorrowerEligible();
        uint256 deadline = _funding.fundingDeadline;
        if (block.timestamp <= deadline) revert LoanFundingOpen(deadline, block.timestamp);
        if (block.timestamp > deadline + _ACCEPTANCE_WINDOW) revert LoanFundingClosed(deadline, block.timestamp);
        uint256 funded = totalSupply();
        uint256 required = _partialThreshold();
        if (funded == 0 || funded < required) revert LoanPartialFundingTooLow(funded, required);
        _completeFunding(funded);
        emit PartialFundingAccepted(funded, _funding.goal);
    }

    /// @inheritdoc ILoan
    function withdrawFunds() external onlyBorrower nonReentrant {
        _requireStatus(Status.Funded);
        _requireNotPaused();
        // Past the drawdown window the lenders' money is no longer the borrower's to take: anyone may expire.
        uint256 drawBy = _funding.fundedAt + _DRAWDOWN_WINDOW;
        if (block.timestamp > drawBy) revert LoanDrawdownWindowClosed(drawBy, block.timestamp);
        address borrower_ = _requireBorrowerEligible();

        uint256 principal = _book.principal;
        uint256 payment = InterestMath.monthlyPayment(principal, _state.annualRateBps, _state.termMonths);
        // Round the fee up: the rounding unit goes to the protocol, not to the single caller.
        uint256 fee = Math.mulDiv(principal, _terms.originationFeeBps, BPS, Math.Rounding.Ceil);

        _balance = BalanceSlot({principalOutstanding: uint128(principal), payment: payment.toUint128()});
        _terms.status = Status.Active;
        _state.startTime = uint40(block.timestamp);
        _state.lastAccrual = uint40(block.timestamp);
        emit FundsWithdrawn(borrower_, principal, fee, payment);

        if (fee != 0) _payTreasury(fee, ITreasury.FeeType.Origination);
        _ASSET.safeTransfer(borrower_, principal - fee);
    }

    /// @inheritdoc ILoan
    function makeRepayment(uint256 amount) external nonReentrant returns (uint256 paid) {
        return _repay(amount, false);
    }

    /// @inheritdoc ILoan
    function makeRepaymentFor(uint256 amount) external nonReentrant returns (uint256 paid) {
        if (msg.sender != address(_AUTOPAY)) revert LoanOnlyAutopay(msg.sender);
        return _repay(amount, true);
    }

    /* ------------------------------------------------------------------ anyone */

    /// @dev A repayment from the caller, or (autopay) from the borrower through the market's Autopay.
    function _repay(uint256 amount, bool autopay) private returns (uint256 paid) {
        if (amount == 0) revert LoanZeroAmount();
        LoanMath.State memory s = _load();
        bool defaulted = s.status == Status.Defaulted;
        if (s.status != Status.Active && !defaulted) revert LoanInvalidStatus(s.status);
        LoanMath.accrue(s, block.timestamp, _lateFeeRule());

        uint256 owed = LoanMath.owed(s);
        if (owed == 0) revert LoanNothingOwed();
        paid = Math.min(amount, owed);
        bool repaid = paid == owed;
        if (repaid) s.status = Status.Repaid;

        // Late fees, then interest, then principal.
        uint256 toLateFees = Math.min(paid, s.lateFeesOwed);
        uint256 toInterest = Math.min(paid - toLateFees, s.interestOwed);
        uint256 toPrincipal = paid - toLateFees - toInterest;
        s.lateFeesOwed -= toLateFees;
        s.interestOwed -= toInterest;
        s.outstanding -= toPrincipal;
        s.paid += toInterest + toPrincipal;

        // Round the fee down: lenders as a group keep the fee's rounding unit.
        uint256 fee = paid * _SERVICING_FEE_BPS / BPS;
        _credit(paid - fee, fee, defaulted);
        _store(s);
        emit RepaymentMade(msg.sender, paid, toLateFees, toInterest, toPrincipal, fee, s.outstanding);

        _pullExact(msg.sender, paid, autopay);
        if (repaid) {
            emit LoanRepaid();
            ILoanFactory(_FACTORY).loanClosed();
        }
    }

    /// @inheritdoc ILoan
    function expire() external {
        Status s = _terms.status;
        FundingSlot memory f = _funding;
        // slither-disable-next-line uninitialized-local -- false unless a branch below proves the loan can expire
        bool canExpire;
        if (s == Status.Funding && block.timestamp > f.fundingDeadline) {
            canExpire = totalSupply() < _partialThreshold() || block.timestamp > f.fundingDeadline + _ACCEPTANCE_WINDOW;
        } else if (s == Status.Funded) {
            canExpire = block.timestamp > f.fundedAt + _DRAWDOWN_WINDOW;
        }
        if (!canExpire) revert LoanCannotExpire(s);
        _terms.status = Status.Expired;
        emit LoanExpired();
        ILoanFactory(_FACTORY).loanClosed();
    }

    /// @inheritdoc ILoan
    function handleDefault() external nonReentrant {
        LoanMath.State memory s = _load();
        if (s.status != Status.Active) revert LoanInvalidStatus(s.status);
        LoanMath.accrue(s, block.timestamp, _lateFeeRule());
        uint256 dpd = LoanMath.daysPastDue(s, block.timestamp);
        if (dpd < _DEFAULT_AFTER / 1 days) revert LoanNotDefaultable(dpd, _DEFAULT_AFTER / 1 days);

        uint256 outstanding = s.outstanding;
        s.status = Status.Defaulted;
        _store(s);

        // The Treasury sends its cover in and it is credited to the noteholders at once. The borrower's debt is
        // unchanged: the reserve takes over that share of the claim and is repaid from recoveries.
        uint256 before = _ASSET.balanceOf(address(this));
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign -- trusted Treasury proxy; nonReentrant
        uint256 cover = ITreasury(_TREASURY).useReserveForDefault(outstanding);
        uint256 received = _ASSET.balanceOf(address(this)) - before;
        if (received != cover) revert LoanTransferAmountMismatch(cover, received);
        _default = DefaultSlot({cover: cover.toUint128(), principalAtDefault: uint128(outstanding)});
        if (cover != 0) _creditNoteholders(cover, _book.principal);
        emit LoanDefaulted(outstanding, cover, dpd);
        // The defaulted principal keeps counting against the borrower's limit; the registry records the default.
        ILoanFactory(_FACTORY).loanDefaulted(outstanding);
    }

    /// @inheritdoc ILoan
    function sweepFees() external nonReentrant returns (uint256 amount) {
        amount = _book.feesAccrued;
        uint256 recovered = _reserveAccrued;
        if (amount == 0 && recovered == 0) revert LoanNoFees();
        _book.feesAccrued = 0;
        _reserveAccrued = 0;
        if (amount != 0) {
            emit FeesSwept(amount);
            _payTreasury(amount, ITreasury.FeeType.Servicing);
        }
        if (recovered != 0) {
            emit RecoveriesSwept(recovered);
            _ASSET.safeTransfer(_TREASURY, recovered);
            ITreasury(_TREASURY).collectRecovery(recovered);
        }
    }

    /* ------------------------------------------------------------------ ERC-20 of notes */

    function name() public view override returns (string memory) {
        return string.concat("Disfruta Loan #", Strings.toString(loanId()), " Note");
    }

    function symbol() public view override returns (string memory) {
        return string.concat("DLN-", Strings.toString(loanId()));
    }

    /// @dev Notes move between verified lenders only (both sides), never to the borrower, and not while paused.
    function _checkTransfer(address from, address to) internal view override {
        _requireNotPaused();
        if (!_REGISTRY.isVerifiedLender(from)) revert LoanTransferFromUnverified(from);
        if (to == _terms.borrower || !_REGISTRY.isVerifiedLender(to)) revert LoanTransferToUnverified(to);
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc ILoan
    function config() external view returns (Config memory) {
        return Config(
            _FACTORY, address(_REGISTRY), _TREASURY, address(_ASSET), _POOL, _SERVICING_FEE_BPS, _LATE_FEE_BPS,
            _LATE_FEE_MIN, _MIN_NOTE, _PARTIAL_FUNDING_BPS, _GRACE_PERIOD, _DEFAULT_AFTER, _ACCEPTANCE_WINDOW,
            _DRAWDOWN_WINDOW, address(_AUTOPAY)
        );
    }

    /// @inheritdoc ILoan
    function terms() external view returns (Terms memory t) {
        TermsSlot memory ts = _terms;
        StateSlot memory st = _state;
        uint256 principal = _book.principal;
        // Before drawdown: the payment the schedule will have (on the goal, or the accepted partial principal).
        uint256 payment = _balance.payment != 0
            ? _balance.payment
            : InterestMath.monthlyPayment(principal != 0 ? principal : _funding.goal, st.annualRateBps, st.termMonths);
        t = Terms(
            loanId(), ts.borrower, address(_ASSET), _funding.goal, principal, st.annualRateBps, st.termMonths,
            ts.grade, ts.purpose, payment, ts.originationFeeBps, _SERVICING_FEE_BPS, _funding.fundingPeriod
        );
    }

    /// @inheritdoc ILoan
    function position() external view returns (Position memory p) {
        LoanMath.State memory s = _accrued();
        p = Position(
            s.status, s.outstanding, s.interestOwed, s.lateFeesOwed, s.paid, s.startTime, _funding.fundingDeadline,
            _funding.fundedAt, _accounts.accPerNote, _book.feesAccrued
        );
    }

    /// @inheritdoc ILoan
    function recovery() external view returns (uint256 cover, uint256 principalAtDefault, uint256 reserveAccrued) {
        return (_default.cover, _default.principalAtDefault, _reserveAccrued);
    }

    /// @inheritdoc ILoan
    function status() external view returns (Status) {
        return _terms.status;
    }

    /// @inheritdoc ILoan
    function borrower() external view returns (address) {
        return _terms.borrower;
    }

    /// @inheritdoc ILoan
    function loanId() public view returns (uint256) {
        return ILoanFactory(_FACTORY).loanIdOf(address(this));
    }

    /// @inheritdoc ILoan
    function isPaused() external view returns (bool) {
        return _terms.paused || ILoanFactory(_FACTORY).paused();
    }

    /// @inheritdoc ILoan
    function funding() external view returns (uint256 funded, uint256 goal, uint256 deadline) {
        return (totalSupply(), _funding.goal, _funding.fundingDeadline);
    }

    /// @inheritdoc ILoan
    function amountDue() external view returns (uint256) {
        return LoanMath.amountDue(_accrued(), block.timestamp);
    }

    /// @inheritdoc ILoan
    function payoffAmount() external view returns (uint256) {
        LoanMath.State memory s = _accrued();
        return s.status == Status.Active || s.status == Status.Defaulted ? LoanMath.owed(s) : 0;
    }

    /// @inheritdoc ILoan
    function nextDueDate() external view returns (uint256) {
        LoanMath.State memory s = _load();
        return s.status == Status.Active ? LoanMath.nextDueDate(s) : 0;
    }

    /// @inheritdoc ILoan
    function amountDueBy(uint256 timestamp) external view returns (uint256) {
        return LoanMath.amountDue(_accrued(), Math.max(timestamp, block.timestamp));
    }

    /// @inheritdoc ILoan
    function standing() external view returns (Standing memory st) {
        LoanMath.State memory s = _accrued();
        st = Standing(
            s.status, _terms.borrower, s.outstanding, s.interestOwed + s.lateFeesOwed, totalSupply(), 0, 0,
            _GRACE_PERIOD, _SERVICING_FEE_BPS
        );
        if (s.status == Status.Active) {
            st.nextDueDate = LoanMath.nextDueDate(s);
            st.installmentsLeft = s.term - LoanMath.covered(s);
        }
    }

    /// @inheritdoc ILoan
    function daysPastDue() external view returns (uint256) {
        LoanMath.State memory s = _accrued();
        return s.status == Status.Active ? LoanMath.daysPastDue(s, block.timestamp) : 0;
    }

    /// @inheritdoc ILoan
    function schedule()
        external
        view
        returns (uint256[] memory dueDates, uint256[] memory interestParts, uint256[] memory principalParts)
    {
        StateSlot memory st = _state;
        uint256 principal = _book.principal;
        if (principal == 0) principal = _funding.goal; // before funding completes: the schedule as applied for
        // slither-disable-next-line unused-return -- the level payment is in terms(); only the parts are needed here
        (, interestParts, principalParts) = InterestMath.schedule(principal, st.annualRateBps, st.termMonths);
        dueDates = new uint256[](st.termMonths);
        for (uint256 i; i < st.termMonths && st.startTime != 0; ++i) {
            dueDates[i] = st.startTime + (i + 1) * PERIOD;
        }
    }

    /* ------------------------------------------------------------------ internal: funding */

    function _fund(address lender, uint256 amount) private {
        if (amount == 0) revert LoanZeroAmount();
        _requireStatus(Status.Funding);
        _requireNotPaused();
        FundingSlot memory f = _funding;
        if (block.timestamp > f.fundingDeadline) revert LoanFundingClosed(f.fundingDeadline, block.timestamp);
        if (amount % _MIN_NOTE != 0) revert LoanNotMultipleOfNote(amount, _MIN_NOTE);
        uint256 funded = totalSupply();
        if (amount > f.goal - funded) revert LoanExceedsGoal(amount, f.goal - funded);
        // Neither the notes' owner nor whoever pays for them may be the borrower: no self-funding, not even
        // through a friend's account.
        address borrower_ = _terms.borrower;
        if (lender == borrower_ || msg.sender == borrower_) revert LoanBorrowerCannotFund(borrower_);
        if (!_REGISTRY.isVerifiedLender(lender)) revert LoanNotVerifiedLender(lender);

        // Effects: notes are minted one per token unit of principal.
        _mint(lender, amount);
        emit LoanFunded(lender, msg.sender, amount, funded + amount);
        if (funded + amount == f.goal) _completeFunding(f.goal);

        // Interaction last; the exact-amount check refuses fee-on-transfer tokens.
        _pullExact(msg.sender, amount, false);
    }

    function _completeFunding(uint256 principal) private {
        _terms.status = Status.Funded;
        _funding.fundedAt = uint40(block.timestamp);
        _book.principal = uint128(principal);
        emit FundingCompleted(principal);
    }

    /// @dev The partial-funding threshold, rounded up: 70 % means at least 70 %.
    function _partialThreshold() private view returns (uint256) {
        return Math.mulDiv(_funding.goal, _PARTIAL_FUNDING_BPS, BPS, Math.Rounding.Ceil);
    }

    /* ------------------------------------------------------------------ internal: repayment state */

    function _load() private view returns (LoanMath.State memory) {
        return loadState(_terms, _balance, _state, _arrears);
    }

    function _accrued() private view returns (LoanMath.State memory s) {
        s = _load();
        LoanMath.accrue(s, block.timestamp, _lateFeeRule());
    }

    /// @dev Stores the repayment slots and reports the late fees the accrual assessed.
    function _store(LoanMath.State memory s) private {
        storeState(s, _terms, _balance, _state, _arrears);
        if (s.newLateFees != 0) emit LateFeeAssessed(s.newLateInstallments, s.newLateFees);
    }

    function _lateFeeRule() private view returns (LoanMath.LateFeeRule memory) {
        return LoanMath.LateFeeRule(_GRACE_PERIOD, _LATE_FEE_BPS, _LATE_FEE_MIN);
    }

    /// @dev Credits a payment net of its fee to the noteholders. After a default the reserve owns its cover's share
    /// of the claim (subrogation): each recovery is split pro rata between the noteholders' uncovered part and the
    /// reserve. The accumulator rounds down: its dust stays in the loan rather than going to any one noteholder.
    function _credit(uint256 net, uint256 fee, bool defaulted) private {
        if (defaulted) net -= _accrueRecovery(net);
        BookSlot memory book = _book;
        _creditNoteholders(net, book.principal);
        _book.feesAccrued = (book.feesAccrued + fee).toUint128();
    }

    /// @dev The reserve's share of a recovery, `cover / principalAtDefault` of it, rounded down (for the lenders).
    function _accrueRecovery(uint256 net) private returns (uint256 toReserve) {
        DefaultSlot memory d = _default;
        if (d.cover == 0) return 0;
        toReserve = Math.mulDiv(net, d.cover, d.principalAtDefault);
        _reserveAccrued += toReserve;
        emit RecoveryShared(net - toReserve, toReserve);
    }

    /* ------------------------------------------------------------------ internal: guards */

    function _requireStatus(Status expected) private view {
        Status s = _terms.status;
        if (s != expected) revert LoanInvalidStatus(s);
    }

    function _requireNotPaused() private view {
        if (_terms.paused || ILoanFactory(_FACTORY).paused()) revert LoanPausedError();
    }

    /// @dev Drawdown and partial acceptance take new risk: the borrower must still be verified and have no loan in
    /// open default (one funded before another defaulted is not drawn while the default is open).
    function _requireBorrowerEligible() private view returns (address borrower_) {
        borrower_ = _terms.borrower;
        if (!_REGISTRY.isVerified(borrower_)) revert LoanBorrowerNotVerified(borrower_);
        if (ILoanFactory(_FACTORY).openDefaults(borrower_) != 0) revert LoanBorrowerInDefault(borrower_);
    }

    /// @dev Transfers first, reports after: the Treasury checks that the fee arrived.
    function _payTreasury(uint256 amount, ITreasury.FeeType feeType) private {
        _ASSET.safeTransfer(_TREASURY, amount);
        ITreasury(_TREASURY).collectFee(amount, feeType);
    }

    /// @dev Pulls exactly `amount` from `from`, or (autopay) has the Autopay caller transfer it from the borrower's
    /// allowance; tokens that deliver less (fee-on-transfer) are refused.
    function _pullExact(address from, uint256 amount, bool autopay) private {
        uint256 before = _ASSET.balanceOf(address(this));
        if (autopay) {
            _AUTOPAY.pull(amount);
        } else {
            // slither-disable-next-line arbitrary-send-erc20 -- `from` is always msg.sender (_fund, makeRepayment)
            _ASSET.safeTransferFrom(from, address(this), amount);
        }
        uint256 received = _ASSET.balanceOf(address(this)) - before;
        if (received != amount) revert LoanTransferAmountMismatch(amount, received);
    }
}
