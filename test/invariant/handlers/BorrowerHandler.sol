// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Loan} from "../../../contracts/Loan.sol";
import {ILoan} from "../../../contracts/interfaces/ILoan.sol";
import {ITreasury} from "../../../contracts/interfaces/ITreasury.sol";
import {Env} from "../../utils/DisfrutaFixture.sol";
import {Ghost} from "../Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice Borrowers (and third parties paying for them): apply, accept partial funding, draw down, repay.
contract BorrowerHandler is HandlerBase {
    address internal immutable payer;

    constructor(Env memory env_, Ghost ghost_, address[] memory borrowers_, address[] memory lenders_, address payer_)
        HandlerBase(env_, ghost_, borrowers_, lenders_)
    {
        payer = payer_;
    }

    function createLoan(uint256 who, uint256 amountSeed, uint256 termSeed, uint256 purpose, uint256 periodSeed)
        external
    {
        address b = _borrower(who);
        // Mostly whole notes, sometimes an odd amount (such a loan can only complete through partial acceptance).
        uint256 amount = bound(amountSeed, 40, 200) * MIN_NOTE;
        if (amountSeed % 5 == 0) amount += (amountSeed >> 8) % MIN_NOTE;
        uint256 term = bound(termSeed, 6, 60);
        uint256 period = bound(periodSeed, 1 days, 30 days);
        vm.prank(b);
        try env.factory.createLoan(amount, term, uint8(purpose % 8), period) returns (uint256, address loan) {
            ghost.addLoan(loan);
            _count("borrower.createLoan");
        } catch {}
    }

    function acceptPartialFunding(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Funding));
        if (!ok) return;
        address b = loan.borrower();
        vm.prank(b);
        try loan.acceptPartialFunding() {
            _count("borrower.acceptPartialFunding");
        } catch {}
    }

    function withdrawFunds(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Funded));
        if (!ok) return;
        address b = loan.borrower();
        uint256 before = env.treasury.feesCollected(ITreasury.FeeType.Origination);
        uint256 principal = loan.terms().principal;
        uint256 balanceBefore = env.token.balanceOf(b);
        vm.prank(b);
        try loan.withdrawFunds() {
            uint256 fee = env.treasury.feesCollected(ITreasury.FeeType.Origination) - before;
            ghost.addOriginationFee(fee);
            if (env.token.balanceOf(b) - balanceBefore + fee != principal) ghost.breach("drawdown != principal - fee");
            _count("borrower.withdrawFunds");
        } catch {}
    }

    /// @dev Invariant 8: a repayment of an amount owed, by the borrower or anyone, with the tokens approved, succeeds
    /// whatever is paused.
    function repay(uint256 loanSeed, uint256 byThirdParty, uint256 amountSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active) | _bit(ILoan.Status.Defaulted));
        if (!ok) return;
        ILoan.Status s = loan.status();
        if (s != ILoan.Status.Active && s != ILoan.Status.Defaulted) return;
        uint256 payoff = loan.payoffAmount();
        if (payoff == 0) return;
        uint256 amount = bound(amountSeed, 1, payoff + payoff / 5);
        _pay(loan, byThirdParty % 3 == 0 ? payer : loan.borrower(), amount, payoff, "borrower.repay");
    }

    function repayInFull(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active) | _bit(ILoan.Status.Defaulted));
        if (!ok) return;
        ILoan.Status s = loan.status();
        if (s != ILoan.Status.Active && s != ILoan.Status.Defaulted) return;
        uint256 payoff = loan.payoffAmount();
        if (payoff == 0) return;
        _pay(loan, loan.borrower(), type(uint256).max, payoff, "borrower.repayInFull");
    }

    /// @dev Pays what is due now (the installment rhythm a real borrower follows).
    function repayDue(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active));
        if (!ok) return;
        if (loan.status() != ILoan.Status.Active) return;
        uint256 due = loan.amountDue();
        uint256 payoff = loan.payoffAmount();
        if (due == 0 || payoff == 0) return;
        _pay(loan, loan.borrower(), due, payoff, "borrower.repayDue");
    }

    function _pay(Loan loan, address from, uint256 amount, uint256 payoff, bytes32 name) private {
        uint256 owed = amount < payoff ? amount : payoff;
        _mintApprove(from, address(loan), owed);
        bool paused = _anyPaused(loan);
        vm.prank(from);
        try loan.makeRepayment(amount) returns (uint256 paid) {
            ghost.addRepaid(address(loan), paid, SERVICING_FEE_BPS);
            if (paid != owed) ghost.breach("repayment paid != min(amount, payoff)");
            ghost.mustHaveSucceeded(true, paused, "");
            _count(name);
        } catch {
            ghost.mustHaveSucceeded(false, paused, "makeRepayment reverted");
        }
    }
}
