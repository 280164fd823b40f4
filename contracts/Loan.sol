// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ILoanFactory} from "./interfaces/ILoanFactory.sol";
import {ITreasury} from "./interfaces/ITreasury.sol";
import {IUserRegistry} from "./interfaces/IUserRegistry.sol";
import {InterestMath} from "./libraries/InterestMath.sol";

/// @title Loan
/// @notice One amortizing loan and its ERC-20 of notes. See `ILoan`.
/// @dev Deployed once per market as an implementation whose immutables hold the market's configuration, then cloned
/// (EIP-1167) by the factory for every loan. A clone's terms are written once by `initialize` and never change.
contract Loan is ILoan, ERC20, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /* ------------------------------------------------------------------ constants */

    /// @dev Fixed point of the per-note accumulator.
    uint256 private constant ACC_PRECISION = 1e27;
    uint256 private constant PERIOD = 30 days;
    uint256 private constant BPS = 10_000;

    address private immutable _FACTORY;
    IUserRegistry private immutable _REGISTRY;
    address private immutable _TREASURY;
    IERC20 private immutable _ASSET;
    address private immutable _POOL;
    uint8 private immutable _DECIMALS;
    uint16 private immutable _SERVICING_FEE_BPS;
    uint16 private immutable _LATE_FEE_BPS;
    uint128 private immutable _LATE_FEE_MIN;
    uint128 private immutable _MIN_NOTE;
    uint16 private immutable _PARTIAL_FUNDING_BPS;
    uint32 private immutable _GRACE_PERIOD;
    uint32 private immutable _DEFAULT_AFTER;
    uint32 private immutable _ACCEPTANCE_WINDOW;
    uint32 private immutable _DRAWDOWN_WINDOW;

    /* ------------------------------------------------------------------ storage */

    /// @dev The borrower, the status and the pause flag share a slot: funding reads all three in one load.
    struct TermsSlot {
        address borrower;
        Status status;
        bool paused;
        uint8 grade;
        uint8 purpose;
        uint16 originationFeeBps;
    }

    /// @dev Funding state.
    struct FundingSlot {
        uint128 goal;
        uint40 fundingDeadline;
        uint40 fundedAt;
        uint32 fundingPeriod;
    }

    /// @dev Everything a repayment reads and writes sits in these three slots plus the accumulator and `_book`.
    struct BalanceSlot {
        uint128 principalOutstanding;
        uint128 payment;
    }

    struct StateSlot {
        uint16 annualRateBps;
        uint16 termMonths;
        uint40 startTime;
        uint40 lastAccrual;
        uint16 lateFeeIndex;
        uint112 interestOwed;
    }

    struct ArrearsSlot {
        uint128 paidTowardSchedule;
        uint128 lateFeesOwed;
    }

    struct BookSlot {
        uint128 feesAccrued;
        uint128 principal;
    }

    /// @dev A noteholder's claim state: accumulator at the last checkpoint and what was credited up to it.
    struct Holder {
        uint128 accSnapshot;
        uint128 owed;
    }

    TermsSlot private _terms;
    FundingSlot private _funding;
    BalanceSlot private _balance;
    StateSlot private _state;
    ArrearsSlot private _arrears;
    BookSlot private _book;
    /// @dev Token units credited to noteholders per note since drawdown, in 1e27 fixed point.
    uint256 private _accPerNote;
    // slither-disable-next-line uninitialized-state -- written in _checkpoint/_settle (slither has no IR for them)
    mapping(address holder => Holder) private _holders;
    mapping(address lender => mapping(address claimer => bool)) private _claimers;

    /* ------------------------------------------------------------------ working state */

    /// @dev In-memory copy of the repayment slots: load, accrue, apply, store.
    struct Live {
        Status status;
        uint256 outstanding;
        uint256 payment;
        uint256 rate;
        uint256 term;
        uint256 startTime;
        uint256 lastAccrual;
        uint256 lateFeeIndex;
        uint256 interestOwed;
        uint256 paid;
        uint256 lateFeesOwed;
        uint256 newLateFees;
        uint256 newLateInstallments;
    }

    /* ------------------------------------------------------------------ constructor */

    constructor(Config memory c) ERC20("", "") {
        if (
            c.factory == address(0) || c.registry == address(0) || c.treasury == address(0) || c.asset == address(0)
                || c.pool == address(0)
                || c.servicingFeeBps > 1_000 || c.lateFeeBps > 2_500 || c.minNote == 0 || c.partialFundingBps > BPS
                || c.defaultAfter <= c.gracePeriod || c.acceptanceWindow == 0 || c.drawdownWindow == 0
        ) revert LoanInvalidConfig();
        _FACTORY = c.factory;
        _REGISTRY = IUserRegistry(c.registry);
        _TREASURY = c.treasury;
        _ASSET = IERC20(c.asset);
        _POOL = c.pool;
        _DECIMALS = IERC20Metadata(c.asset).decimals();
        _SERVICING_FEE_BPS = c.servicingFeeBps;
        _LATE_FEE_BPS = c.lateFeeBps;
        _LATE_FEE_MIN = c.lateFeeMin;
        _MIN_NOTE = c.minNote;
        _PARTIAL_FUNDING_BPS = c.partialFundingBps;
        _GRACE_PERIOD = c.gracePeriod;
        _DEFAULT_AFTER = c.defaultAfter;
        _ACCEPTANCE_WINDOW = c.acceptanceWindow;
        _DRAWDOWN_WINDOW = c.drawdownWindow;
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
        _terms = TermsSlot({
            borrower: p.borrower,
            status: Status.Pending,
            paused: false,
            grade: p.grade,
            purpose: p.purpose,
            originationFeeBps: p.originationFeeBps
        });
        _funding = FundingSlot({goal: p.amount, fundingDeadline: 0, fundedAt: 0, fundingPeriod: p.fundingPeriod});
        _state = StateSlot({
            annualRateBps: p.annualRateBps,
            termMonths: p.termMonths,
            startTime: 0,
            lastAccrual: 0,
            lateFeeIndex: 0,
            interestOwed: 0
        });
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

    /* ------------------------------------------------------------------ lenders */

    /// @inheritdoc ILoan
    function fundLoan(uint256 amount) external nonReentrant {
        _fund(msg.sender, amount);
    }

    /// @inheritdoc ILoan
    function fundLoanFor(address lender, uint256 amount) external nonReentrant {
        _fund(lender, amount);
    }

    /// @inheritdoc ILoan
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _settle(msg.sender);
        emit Claimed(msg.sender, msg.sender, amount);
        _ASSET.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ILoan
    function claimFor(address lender) external nonReentrant returns (uint256 amount) {
        if (msg.sender != _POOL && !_claimers[lender][msg.sender]) revert LoanNotClaimer(msg.sender, lender);
        amount = _settle(lender);
        emit Claimed(lender, msg.sender, amount);
        _ASSET.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ILoan
    function setClaimer(address claimer, bool approved) external {
        _claimers[msg.sender][claimer] = approved;
        emit ClaimerSet(msg.sender, claimer, approved);
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
        uint256 deadline = _funding.fundingDeadline;
        if (block.timestamp <= deadline) revert LoanFundingOpen(deadline, block.timestamp);
        if (block.timestamp > deadline + _ACCEPTANCE_WINDOW) revert LoanFundingClosed(deadline, block.timestamp);
        uint256 funded = totalSupply();
        // Round the threshold up: 70 % means at least 70 %.
        uint256 required = Math.mulDiv(_funding.goal, _PARTIAL_FUNDING_BPS, BPS, Math.Rounding.Ceil);
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
        address borrower_ = _terms.borrower;
        if (!_REGISTRY.isVerified(borrower_)) revert LoanBorrowerNotVerified(borrower_);

        uint256 principal = _book.principal;
        uint256 payment = InterestMath.monthlyPayment(principal, _state.annualRateBps, _state.termMonths);
        // Round the fee up: the rounding unit goes to the protocol, not to the single caller.
        uint256 fee = Math.mulDiv(principal, _terms.originationFeeBps, BPS, Math.Rounding.Ceil);

        _balance = BalanceSlot({principalOutstanding: uint128(principal), payment: payment.toUint128()});
        _terms.status = Status.Active;
        _state.startTime = uint40(block.timestamp);
        _state.lastAccrual = uint40(block.timestamp);
        emit FundsWithdrawn(borrower_, principal, fee, payment);

        if (fee != 0) {
            _ASSET.safeTransfer(_TREASURY, fee);
            ITreasury(_TREASURY).collectFee(fee, ITreasury.FeeType.Origination);
        }
        _ASSET.safeTransfer(borrower_, principal - fee);
    }

    /// @inheritdoc ILoan
    function makeRepayment(uint256 amount) external nonReentrant returns (uint256 paid) {
        if (amount == 0) revert LoanZeroAmount();
        Live memory s = _load();
        if (s.status != Status.Active && s.status != Status.Defaulted) revert LoanInvalidStatus(s.status);
        _accrue(s);

        uint256 owed = s.lateFeesOwed + s.interestOwed + s.outstanding;
        if (owed == 0) revert LoanNothingOwed();
        paid = Math.min(amount, owed);

        // Late fees, then interest, then principal.
        uint256 toLateFees = Math.min(paid, s.lateFeesOwed);
        uint256 toInterest = Math.min(paid - toLateFees, s.interestOwed);
        uint256 toPrincipal = paid - toLateFees - toInterest;
        s.lateFeesOwed -= toLateFees;
        s.interestOwed -= toInterest;
        s.outstanding -= toPrincipal;
        s.paid += toInterest + toPrincipal;
        bool repaid = s.status == Status.Active && s.outstanding == 0 && s.interestOwed == 0 && s.lateFeesOwed == 0;
        if (repaid) s.status = Status.Repaid;

        // Round the fee down and the accumulator down: lenders as a group keep the fee's rounding unit, and the
        // accumulator's dust stays in the loan rather than going to any one noteholder.
        uint256 fee = paid * _SERVICING_FEE_BPS / BPS;
        BookSlot memory book = _book;
        _accPerNote += Math.mulDiv(paid - fee, ACC_PRECISION, book.principal);
        _book.feesAccrued = (book.feesAccrued + fee).toUint128();
        _store(s);
        _emitLateFees(s);
        emit RepaymentMade(msg.sender, paid, toLateFees, toInterest, toPrincipal, fee, s.outstanding);

        _pullExact(msg.sender, paid);
        if (repaid) {
            emit LoanRepaid();
            ILoanFactory(_FACTORY).loanClosed();
        }
    }

    /* ------------------------------------------------------------------ anyone */

    /// @inheritdoc ILoan
    function expire() external {
        Status s = _terms.status;
        FundingSlot memory f = _funding;
        // slither-disable-next-line uninitialized-local -- false unless a branch below proves the loan can expire
        bool canExpire;
        if (s == Status.Funding && block.timestamp > f.fundingDeadline) {
            uint256 required = Math.mulDiv(f.goal, _PARTIAL_FUNDING_BPS, BPS, Math.Rounding.Ceil);
            canExpire = totalSupply() < required || block.timestamp > f.fundingDeadline + _ACCEPTANCE_WINDOW;
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
        Live memory s = _load();
        if (s.status != Status.Active) revert LoanInvalidStatus(s.status);
        _accrue(s);
        uint256 dpd = _daysPastDue(s);
        if (dpd < _DEFAULT_AFTER / 1 days) revert LoanNotDefaultable(dpd, _DEFAULT_AFTER / 1 days);

        uint256 outstanding = s.outstanding;
        s.status = Status.Defaulted;
        _store(s);
        _emitLateFees(s);

        // The Treasury sends its cover in; it is credited to noteholders like a principal recovery, so later
        // recoveries stop at what is still owed.
        uint256 before = _ASSET.balanceOf(address(this));
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign -- trusted Treasury proxy; nonReentrant
        uint256 cover = ITreasury(_TREASURY).useReserveForDefault(outstanding);
        uint256 received = _ASSET.balanceOf(address(this)) - before;
        if (received != cover) revert LoanTransferAmountMismatch(cover, received);
        if (cover != 0) {
            _balance.principalOutstanding = uint128(outstanding - cover);
            _accPerNote += Math.mulDiv(cover, ACC_PRECISION, _book.principal);
        }
        emit LoanDefaulted(outstanding, cover, dpd);
        ILoanFactory(_FACTORY).loanClosed();
    }

    /// @inheritdoc ILoan
    function sweepFees() external nonReentrant returns (uint256 amount) {
        amount = _book.feesAccrued;
        if (amount == 0) revert LoanNoFees();
        _book.feesAccrued = 0;
        emit FeesSwept(amount);
        _ASSET.safeTransfer(_TREASURY, amount);
        ITreasury(_TREASURY).collectFee(amount, ITreasury.FeeType.Servicing);
    }

    /* ------------------------------------------------------------------ ERC-20 of notes */

    function name() public view override returns (string memory) {
        return string.concat("Disfruta Loan #", Strings.toString(loanId()), " Note");
    }

    function symbol() public view override returns (string memory) {
        return string.concat("DLN-", Strings.toString(loanId()));
    }

    /// @notice Notes have the asset's decimals: one note is one token unit of principal.
    function decimals() public view override returns (uint8) {
        return _DECIMALS;
    }

    /// @dev Every balance change checkpoints the accounts involved, so a transfer carries the claim state: what a
    /// note earned before the transfer stays with the sender, what it earns after goes to the receiver.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            _requireNotPaused();
            if (to == _terms.borrower || !_REGISTRY.isVerifiedLender(to)) revert LoanTransferToUnverified(to);
        }
        uint256 acc = _accPerNote;
        // Before the first repayment nothing has accrued, so there is nothing to checkpoint (funding stays cheap).
        if (acc != 0) {
            if (from != address(0)) _checkpoint(from, acc);
            if (to != address(0)) _checkpoint(to, acc);
        }
        super._update(from, to, value);
    }

    /* ------------------------------------------------------------------ views */

    /// @inheritdoc ILoan
    function config() external view returns (Config memory) {
        return Config({
            factory: _FACTORY,
            registry: address(_REGISTRY),
            treasury: _TREASURY,
            asset: address(_ASSET),
            pool: _POOL,
            servicingFeeBps: _SERVICING_FEE_BPS,
            lateFeeBps: _LATE_FEE_BPS,
            lateFeeMin: _LATE_FEE_MIN,
            minNote: _MIN_NOTE,
            partialFundingBps: _PARTIAL_FUNDING_BPS,
            gracePeriod: _GRACE_PERIOD,
            defaultAfter: _DEFAULT_AFTER,
            acceptanceWindow: _ACCEPTANCE_WINDOW,
            drawdownWindow: _DRAWDOWN_WINDOW
        });
    }

    /// @inheritdoc ILoan
    function terms() external view returns (Terms memory t) {
        TermsSlot memory ts = _terms;
        StateSlot memory st = _state;
        t = Terms({
            loanId: loanId(),
            borrower: ts.borrower,
            asset: address(_ASSET),
            goal: _funding.goal,
            principal: _book.principal,
            annualRateBps: st.annualRateBps,
            termMonths: st.termMonths,
            grade: ts.grade,
            purpose: ts.purpose,
            // Before drawdown: the payment the schedule will have (on the goal, or the accepted partial principal).
            monthlyPayment: _balance.payment != 0
                ? _balance.payment
                : InterestMath.monthlyPayment(
                    _book.principal != 0 ? _book.principal : _funding.goal, st.annualRateBps, st.termMonths
                ),
            originationFeeBps: ts.originationFeeBps,
            servicingFeeBps: _SERVICING_FEE_BPS,
            fundingPeriod: _funding.fundingPeriod
        });
    }

    /// @inheritdoc ILoan
    function position() external view returns (Position memory p) {
        Live memory s = _load();
        _accrue(s);
        p = Position({
            status: s.status,
            principalOutstanding: s.outstanding,
            interestOwed: s.interestOwed,
            lateFeesOwed: s.lateFeesOwed,
            paidTowardSchedule: s.paid,
            startTime: s.startTime,
            fundingDeadline: _funding.fundingDeadline,
            fundedAt: _funding.fundedAt,
            accPerNote: _accPerNote,
            feesAccrued: _book.feesAccrued
        });
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
        Live memory s = _load();
        if (s.status != Status.Active) return s.status == Status.Defaulted ? _owed(s) : 0;
        _accrue(s);
        uint256 due = _installmentsDue(s);
        // From the last due date on, everything owed; before it, late fees and the level payments not yet covered.
        if (due >= s.term) return _owed(s);
        uint256 scheduled = due * s.payment;
        uint256 behind = scheduled > s.paid ? scheduled - s.paid : 0;
        return Math.min(s.lateFeesOwed + behind, _owed(s));
    }

    /// @inheritdoc ILoan
    function payoffAmount() external view returns (uint256) {
        Live memory s = _load();
        if (s.status != Status.Active && s.status != Status.Defaulted) return 0;
        _accrue(s);
        return _owed(s);
    }

    /// @inheritdoc ILoan
    function nextDueDate() external view returns (uint256) {
        Live memory s = _load();
        if (s.status != Status.Active) return 0;
        return s.startTime + (_covered(s) + 1) * PERIOD;
    }

    /// @inheritdoc ILoan
    function daysPastDue() external view returns (uint256) {
        Live memory s = _load();
        if (s.status != Status.Active) return 0;
        return _daysPastDue(s);
    }

    /// @inheritdoc ILoan
    function claimable(address lender) public view returns (uint256) {
        Holder memory h = _holders[lender];
        return h.owed + Math.mulDiv(balanceOf(lender), _accPerNote - h.accSnapshot, ACC_PRECISION);
    }

    /// @inheritdoc ILoan
    function isClaimer(address lender, address claimer) external view returns (bool) {
        return _claimers[lender][claimer];
    }

    /// @inheritdoc ILoan
    function schedule()
        external
        view
        returns (uint256[] memory dueDates, uint256[] memory interestParts, uint256[] memory principalParts)
    {
        StateSlot memory st = _state;
        uint256 term = st.termMonths;
        uint256 principal = _book.principal;
        if (principal == 0) principal = _funding.goal; // before funding completes: the schedule as applied for
        uint256 payment = InterestMath.monthlyPayment(principal, st.annualRateBps, term);
        dueDates = new uint256[](term);
        interestParts = new uint256[](term);
        principalParts = new uint256[](term);
        uint256 outstanding = principal;
        for (uint256 i; i < term; ++i) {
            (interestParts[i], principalParts[i]) =
                InterestMath.splitInstallment(outstanding, st.annualRateBps, payment, i + 1 == term);
            outstanding -= principalParts[i];
            dueDates[i] = st.startTime == 0 ? 0 : st.startTime + (i + 1) * PERIOD;
        }
    }

    /* ------------------------------------------------------------------ internal: funding */

    function _fund(address lender, uint256 amount) private {
        // Checks.
        if (amount == 0) revert LoanZeroAmount();
        _requireStatus(Status.Funding);
        _requireNotPaused();
        FundingSlot memory f = _funding;
        if (block.timestamp > f.fundingDeadline) revert LoanFundingClosed(f.fundingDeadline, block.timestamp);
        if (amount % _MIN_NOTE != 0) revert LoanNotMultipleOfNote(amount, _MIN_NOTE);
        uint256 funded = totalSupply();
        if (amount > f.goal - funded) revert LoanExceedsGoal(amount, f.goal - funded);
        if (lender == _terms.borrower) revert LoanBorrowerCannotFund(lender);
        if (!_REGISTRY.isVerifiedLender(lender)) revert LoanNotVerifiedLender(lender);

        // Effects: notes are minted one per token unit of principal.
        _mint(lender, amount);
        emit LoanFunded(lender, msg.sender, amount, funded + amount);
        if (funded + amount == f.goal) _completeFunding(f.goal);

        // Interaction last; the exact-amount check refuses fee-on-transfer tokens.
        _pullExact(msg.sender, amount);
    }

    function _completeFunding(uint256 principal) private {
        _terms.status = Status.Funded;
        _funding.fundedAt = uint40(block.timestamp);
        _book.principal = uint128(principal);
        emit FundingCompleted(principal);
    }

    /* ------------------------------------------------------------------ internal: repayment math */

    function _load() private view returns (Live memory s) {
        BalanceSlot memory b = _balance;
        StateSlot memory st = _state;
        ArrearsSlot memory a = _arrears;
        s.status = _terms.status;
        s.outstanding = b.principalOutstanding;
        s.payment = b.payment;
        s.rate = st.annualRateBps;
        s.term = st.termMonths;
        s.startTime = st.startTime;
        s.lastAccrual = st.lastAccrual;
        s.lateFeeIndex = st.lateFeeIndex;
        s.interestOwed = st.interestOwed;
        s.paid = a.paidTowardSchedule;
        s.lateFeesOwed = a.lateFeesOwed;
    }

    function _store(Live memory s) private {
        _balance.principalOutstanding = uint128(s.outstanding);
        if (s.status != _terms.status) _terms.status = s.status;
        StateSlot storage st = _state;
        st.lastAccrual = uint40(s.lastAccrual);
        st.lateFeeIndex = uint16(s.lateFeeIndex);
        st.interestOwed = s.interestOwed.toUint112();
        _arrears = ArrearsSlot({paidTowardSchedule: s.paid.toUint128(), lateFeesOwed: s.lateFeesOwed.toUint128()});
    }

    /// @dev Brings interest and late fees up to now (active loans only; a defaulted loan's claim is frozen).
    function _accrue(Live memory s) private view {
        if (s.status != Status.Active) return;
        if (block.timestamp > s.lastAccrual) {
            // Interest for the elapsed time at the period rate, rounded up (for the lenders); on a due date exactly
            // one period after the last payment this is the schedule's interest part.
            s.interestOwed += Math.mulDiv(
                s.outstanding,
                s.rate * (block.timestamp - s.lastAccrual),
                InterestMath.PERIOD_RATE_DENOMINATOR * PERIOD,
                Math.Rounding.Ceil
            );
            s.lastAccrual = block.timestamp;
        }
        // One late fee per installment still uncovered once its grace period has passed.
        if (block.timestamp < s.startTime + _GRACE_PERIOD) return;
        uint256 lateThrough = Math.min(s.term, (block.timestamp - s.startTime - _GRACE_PERIOD) / PERIOD);
        uint256 from = Math.max(s.lateFeeIndex, _covered(s));
        if (lateThrough > from) {
            uint256 count = lateThrough - from;
            uint256 fee = Math.max(s.payment * _LATE_FEE_BPS / BPS, _LATE_FEE_MIN);
            s.newLateInstallments = count;
            s.newLateFees = count * fee;
            s.lateFeesOwed += count * fee;
            s.lateFeeIndex = lateThrough;
        }
    }

    function _emitLateFees(Live memory s) private {
        if (s.newLateFees != 0) emit LateFeeAssessed(s.newLateInstallments, s.newLateFees);
    }

    /// @dev Installments covered by what was paid toward the schedule (never the last one while anything is owed).
    function _covered(Live memory s) private pure returns (uint256) {
        if (s.payment == 0) return 0;
        return Math.min(s.paid / s.payment, s.term - 1);
    }

    function _installmentsDue(Live memory s) private view returns (uint256) {
        return Math.min(s.term, (block.timestamp - s.startTime) / PERIOD);
    }

    function _daysPastDue(Live memory s) private view returns (uint256) {
        if (_owed(s) == 0) return 0;
        uint256 firstUncovered = s.startTime + (_covered(s) + 1) * PERIOD;
        return block.timestamp > firstUncovered ? (block.timestamp - firstUncovered) / 1 days : 0;
    }

    function _owed(Live memory s) private pure returns (uint256) {
        return s.lateFeesOwed + s.interestOwed + s.outstanding;
    }

    /* ------------------------------------------------------------------ internal: claims */

    function _checkpoint(address holder, uint256 acc) private {
        Holder storage h = _holders[holder];
        uint256 snapshot = h.accSnapshot;
        if (snapshot == acc) return;
        // Round down: a holder is never credited more than their notes' exact share.
        uint256 earned = Math.mulDiv(balanceOf(holder), acc - snapshot, ACC_PRECISION);
        h.owed = (h.owed + earned).toUint128();
        h.accSnapshot = acc.toUint128();
    }

    function _settle(address lender) private returns (uint256 amount) {
        _checkpoint(lender, _accPerNote);
        Holder storage h = _holders[lender];
        amount = h.owed;
        if (amount == 0) revert LoanNothingToClaim(lender);
        h.owed = 0;
    }

    /* ------------------------------------------------------------------ internal: guards */

    function _requireStatus(Status expected) private view {
        Status s = _terms.status;
        if (s != expected) revert LoanInvalidStatus(s);
    }

    function _requireNotPaused() private view {
        if (_terms.paused || ILoanFactory(_FACTORY).paused()) revert LoanPausedError();
    }

    /// @dev Pulls exactly `amount` from `from`; tokens that deliver less (fee-on-transfer) are refused.
    function _pullExact(address from, uint256 amount) private {
        uint256 before = _ASSET.balanceOf(address(this));
        // slither-disable-next-line arbitrary-send-erc20 -- `from` is always msg.sender (_fund, makeRepayment)
        _ASSET.safeTransferFrom(from, address(this), amount);
        uint256 received = _ASSET.balanceOf(address(this)) - before;
        if (received != amount) revert LoanTransferAmountMismatch(amount, received);
    }
}
