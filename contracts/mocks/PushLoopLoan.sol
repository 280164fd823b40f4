// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title PushLoopLoan
/// @notice Test-only, for the benchmarks (`python -m bench`): the seed's push design of a repayment, kept only to
/// measure what Disfruta's pull design avoids. Like the seed's `Loan.distributeFunds`, every repayment loops over
/// all of the loan's lenders and transfers each their pro-rata share, so its gas grows linearly with the number of
/// lenders. Never deploy it: the loop is unbounded on purpose and there are no access or status checks.
contract PushLoopLoan {
    using SafeERC20 for IERC20;

    /* ------------------------------------------------------------------ storage */

    IERC20 private immutable _ASSET;
    uint256 private immutable _FUNDING_GOAL;
    uint256 private _currentFunding;
    uint256 private _totalRepaid;
    mapping(address lender => uint256) private _lenderInvestments;
    address[] private _lenders;

    /* ------------------------------------------------------------------ errors and events */

    error PushLoopLoanLengthMismatch(uint256 lenders, uint256 amounts);
    error PushLoopLoanExceedsGoal(uint256 funded, uint256 goal);

    event Funded(address indexed lender, uint256 amount);
    event RepaymentDistributed(uint256 amount, uint256 lenders);

    /* ------------------------------------------------------------------ constructor */

    constructor(IERC20 asset_, uint256 fundingGoal_) {
        _ASSET = asset_;
        _FUNDING_GOAL = fundingGoal_;
    }

    /* ------------------------------------------------------------------ external */

    /// @notice The seed's `fundLoan`: records the lender (once) and its investment, pulls the tokens.
    function fundLoan(uint256 amount) external {
        _record(msg.sender, amount);
        _ASSET.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Benchmark set-up in bulk: records `amounts[i]` for `lenders[i]`, paid by the caller in one transfer.
    function fundLoanFor(address[] calldata lenders_, uint256[] calldata amounts) external {
        if (lenders_.length != amounts.length) revert PushLoopLoanLengthMismatch(lenders_.length, amounts.length);
        uint256 total;
        for (uint256 i; i < lenders_.length; ++i) {
            _record(lenders_[i], amounts[i]);
            total += amounts[i];
        }
        _ASSET.safeTransferFrom(msg.sender, address(this), total);
    }

    /// @notice The seed's `makeRepayment`: takes the payment, then pushes every lender's share at once.
    function makeRepayment(uint256 amount) external {
        _totalRepaid += amount;
        _ASSET.safeTransferFrom(msg.sender, address(this), amount);
        _distributeFunds(amount);
    }

    function lenderCount() external view returns (uint256) {
        return _lenders.length;
    }

    function totalRepaid() external view returns (uint256) {
        return _totalRepaid;
    }

    /* ------------------------------------------------------------------ internal */

    function _record(address lender, uint256 amount) private {
        uint256 funded = _currentFunding + amount;
        if (funded > _FUNDING_GOAL) revert PushLoopLoanExceedsGoal(funded, _FUNDING_GOAL);
        _currentFunding = funded;
        if (_lenderInvestments[lender] == 0) _lenders.push(lender);
        _lenderInvestments[lender] += amount;
        emit Funded(lender, amount);
    }

    /// @dev The seed's `distributeFunds`: one storage read pair and one token transfer per lender, each share
    /// rounded down (the dust stays in the contract).
    function _distributeFunds(uint256 amount) private {
        uint256 count = _lenders.length;
        for (uint256 i; i < count; ++i) {
            address lender = _lenders[i];
            uint256 share = amount * _lenderInvestments[lender] / _FUNDING_GOAL;
            if (share != 0) _ASSET.safeTransfer(lender, share);
        }
        emit RepaymentDistributed(amount, count);
    }
}
