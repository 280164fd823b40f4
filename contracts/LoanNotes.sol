// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ILoan} from "./interfaces/ILoan.sol";
import {ACC_PRECISION} from "./libraries/Constants.sol";
import {Holder} from "./libraries/LoanSlots.sol";
import {NoteMath} from "./libraries/NoteMath.sol";

/// @title LoanNotes
/// @notice A loan's ERC-20 of notes and its pull payouts: the per-note accumulator, each holder's claim, the
/// operators a lender approves, and the transfer rule. `Loan` is the lifecycle built on it.
/// @dev 1 note = 1 token unit of principal funded. Every payment credited to the noteholders raises the accumulator
/// in O(1); a holder's claim is checkpointed on every balance change and claim (`NoteMath`). Notes move between
/// verified lenders only (`_checkTransfer`, the lifecycle's rule); mints (funding) and burns (refunds) are not
/// transfers, so a revoked holder is still refunded and still claims.
abstract contract LoanNotes is ILoan, ERC20, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /* ------------------------------------------------------------------ constants */

    /// @dev Operator rights a lender grants (`setClaimer`, `setFunder`), as bits of one mapping value.
    uint8 internal constant _CLAIM = 1;
    uint8 internal constant _FUND = 2;

    IERC20 internal immutable _ASSET;
    address internal immutable _POOL;
    uint8 private immutable _DECIMALS;

    /* ------------------------------------------------------------------ storage */

    /// @dev Token units credited to noteholders per note since drawdown (ACC_PRECISION fixed point), and everything
    /// paid out by claims: together, the bound on what holders can still claim. One slot, so a claim (which reads
    /// the accumulator) updates the total without touching a fresh slot.
    struct Accounts {
        uint128 accPerNote;
        uint128 claimedTotal;
    }

    Accounts internal _accounts;
    // slither-disable-next-line uninitialized-state -- written in _checkpoint/_claim (slither has no IR for them)
    mapping(address holder => Holder) private _holders;
    mapping(address lender => mapping(address operator => uint8 rights)) private _operators;

    /* ------------------------------------------------------------------ constructor */

    constructor(IERC20 asset_, address pool, uint8 decimals_) ERC20("", "") {
        _ASSET = asset_;
        _POOL = pool;
        _DECIMALS = decimals_;
    }

    /* ------------------------------------------------------------------ lenders */

    /// @inheritdoc ILoan
    function claim() external nonReentrant returns (uint256 amount) {
        return _claim(msg.sender);
    }

    /// @inheritdoc ILoan
    function claimFor(address lender) external nonReentrant returns (uint256 amount) {
        if (!_mayActFor(lender, _CLAIM)) revert LoanNotClaimer(msg.sender, lender);
        return _claim(lender);
    }

    /// @inheritdoc ILoan
    function setClaimer(address claimer, bool approved) external {
        _setOperator(claimer, _CLAIM, approved);
        emit ClaimerSet(msg.sender, claimer, approved);
    }

    /// @inheritdoc ILoan
    function setFunder(address funder, bool approved) external {
        _setOperator(funder, _FUND, approved);
        emit FunderSet(msg.sender, funder, approved);
    }

    /* ------------------------------------------------------------------ views */

    /// @notice Notes have the asset's decimals: one note is one token unit of principal.
    function decimals() public view override returns (uint8) {
        return _DECIMALS;
    }

    /// @inheritdoc ILoan
    function claimable(address lender) public view returns (uint256) {
        return NoteMath.claimable(_holders[lender], balanceOf(lender), _accounts.accPerNote);
    }

    /// @inheritdoc ILoan
    function isClaimer(address lender, address claimer) external view returns (bool) {
        return _operators[lender][claimer] & _CLAIM != 0;
    }

    /// @inheritdoc ILoan
    function isFunder(address lender, address funder) external view returns (bool) {
        return _operators[lender][funder] & _FUND != 0;
    }

    /* ------------------------------------------------------------------ internal */

    /// @dev Credits `amount` to the noteholders pro rata to their notes (`principal` of them), rounded down: the
    /// dust stays in the loan rather than going to any one noteholder.
    function _creditNoteholders(uint256 amount, uint256 principal) internal {
        // ≤ 2^128: that is 3.4e11 token units credited per note, far beyond any loan's payments.
        _accounts.accPerNote = (_accounts.accPerNote + Math.mulDiv(amount, ACC_PRECISION, principal)).toUint128();
    }

    /// @dev True when the caller is the market's lending pool or an operator `lender` approved for `right`.
    function _mayActFor(address lender, uint8 right) internal view returns (bool) {
        return msg.sender == _POOL || _operators[lender][msg.sender] & right != 0;
    }

    /// @dev The lifecycle's rule for a transfer between two holders (not a mint or a burn); reverts to refuse it.
    function _checkTransfer(address from, address to) internal view virtual;

    /// @dev Every balance change checkpoints the accounts involved, so a transfer carries the claim state: what a
    /// note earned before the transfer stays with the sender, what it earns after goes to the receiver.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) _checkTransfer(from, to);
        uint256 acc = _accounts.accPerNote;
        // Before the first repayment nothing has accrued, so there is nothing to checkpoint (funding stays cheap). A
        // transfer to oneself changes no balance: checkpointing it twice would carry the remainder twice.
        if (acc != 0 && from != to) {
            // (a balance below `value` makes the transfer revert below; the checkpoint must not panic first)
            if (from != address(0)) _checkpoint(from, balanceOf(from) - Math.min(value, balanceOf(from)), acc);
            if (to != address(0)) _checkpoint(to, balanceOf(to) + value, acc);
        }
        super._update(from, to, value);
    }

    function _checkpoint(address holder, uint256 newBalance, uint256 acc) private {
        _holders[holder] = NoteMath.checkpoint(_holders[holder], balanceOf(holder), newBalance, acc);
    }

    /// @dev Pays `lender`'s payout to the caller (the lender, its claimer or the pool).
    function _claim(address lender) private returns (uint256 amount) {
        uint256 balance = balanceOf(lender);
        Accounts memory a = _accounts;
        Holder memory h = NoteMath.checkpoint(_holders[lender], balance, balance, a.accPerNote);
        amount = h.owed;
        if (amount == 0) revert LoanNothingToClaim(lender);
        h.owed = 0;
        _holders[lender] = h;
        _accounts.claimedTotal = a.claimedTotal + uint128(amount); // checked: ≤ what was credited, a uint128
        emit Claimed(lender, msg.sender, amount);
        _ASSET.safeTransfer(msg.sender, amount);
    }

    function _setOperator(address operator, uint8 right, bool approved) private {
        uint8 rights = _operators[msg.sender][operator];
        _operators[msg.sender][operator] = approved ? rights | right : rights & ~right;
    }
}
