// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Loan} from "../../../contracts/Loan.sol";
import {ILendingPool} from "../../../contracts/interfaces/ILendingPool.sol";
import {ILoan} from "../../../contracts/interfaces/ILoan.sol";
import {Env} from "../../utils/DisfrutaFixture.sol";
import {Ghost} from "../Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice Lenders: fund directly, keep a pool account (deposit, withdraw, invest, criteria), claim, claim into the
/// account, refund, trade notes; and anyone sending tokens straight to a contract.
contract LenderHandler is HandlerBase {
    constructor(Env memory env_, Ghost ghost_, address[] memory borrowers_, address[] memory lenders_)
        HandlerBase(env_, ghost_, borrowers_, lenders_)
    {}

    function fund(uint256 loanSeed, uint256 who, uint256 notesSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Funding));
        if (!ok) return;
        address l = _lender(who);
        (uint256 funded, uint256 goal,) = loan.funding();
        uint256 room = goal > funded ? (goal - funded) / MIN_NOTE : 0;
        // One time in three fill what is left, so funding completes.
        uint256 amount = (notesSeed % 3 == 0 ? room : bound(notesSeed, 1, room)) * MIN_NOTE;
        if (amount == 0) amount = MIN_NOTE;
        address b = loan.borrower();
        _mintApprove(l, address(loan), amount);
        vm.prank(l);
        try loan.fundLoan(amount) {
            ghost.addFunded(address(loan), amount);
            if (l == b) ghost.breach("borrower funded their own loan");
            _count("lender.fund");
        } catch {}
    }

    function deposit(uint256 who, uint256 amountSeed) external {
        address l = _lender(who);
        uint256 amount = bound(amountSeed, 1, 5_000 * UNIT);
        _mintApprove(l, address(env.pool), amount);
        vm.prank(l);
        try env.pool.deposit(amount) {
            ghost.poolCredit(l, amount);
            _count("lender.deposit");
        } catch {}
    }

    /// @dev Invariant 8: withdrawing idle cash up to one's balance succeeds, paused or not.
    function withdraw(uint256 who, uint256 amountSeed) external {
        address l = _lender(who);
        uint256 balance = env.pool.lenderBalances(l);
        if (balance == 0) return;
        uint256 amount = bound(amountSeed, 1, balance);
        bool paused = _anyPaused(Loan(address(0)));
        uint256 before = env.token.balanceOf(l);
        vm.prank(l);
        try env.pool.withdraw(amount) {
            ghost.poolDebit(l, amount);
            if (env.token.balanceOf(l) - before != amount) ghost.breach("withdraw paid a different amount");
            ghost.mustHaveSucceeded(true, paused, "");
            _count("lender.withdraw");
        } catch {
            ghost.mustHaveSucceeded(false, paused, "withdraw reverted");
        }
    }

    function invest(uint256 loanSeed, uint256 who, uint256 notesSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Funding));
        if (!ok) return;
        address l = _lender(who);
        uint256 balance = env.pool.lenderBalances(l);
        (uint256 funded, uint256 goal,) = loan.funding();
        uint256 room = goal > funded ? (goal - funded) / MIN_NOTE : 0;
        if (balance < MIN_NOTE || room == 0) return;
        uint256 notes = balance / MIN_NOTE < room ? balance / MIN_NOTE : room;
        uint256 amount = (notesSeed % 3 == 0 ? notes : bound(notesSeed, 1, notes)) * MIN_NOTE;
        vm.prank(l);
        try env.pool.invest(address(loan), amount) {
            ghost.poolDebit(l, amount);
            ghost.addFunded(address(loan), amount);
            _count("lender.invest");
        } catch {}
    }

    function setCriteria(uint256 who, uint256 seed) external {
        address l = _lender(who);
        uint8 minGrade = uint8(bound(seed, 1, 25));
        uint8 maxGrade = uint8(bound(seed >> 8, minGrade, 25));
        ILendingPool.Criteria memory c = ILendingPool.Criteria({
            enabled: (seed >> 16) % 5 != 0,
            minGrade: minGrade,
            maxGrade: maxGrade,
            minRateBps: 0,
            maxRateBps: uint16(bound(seed >> 24, 600, 10_000)),
            maxTermMonths: uint16(bound(seed >> 40, 6, 60)),
            purposes: uint32(bound(seed >> 56, 1, 255)),
            amountPerLoan: uint128(bound(seed >> 72, 1, 40) * MIN_NOTE + (seed >> 80) % 3),
            maxPerBorrower: uint128(bound(seed >> 96, 0, 200) * MIN_NOTE),
            cashToKeep: uint128(bound(seed >> 112, 0, 1_000) * UNIT)
        });
        vm.prank(l);
        try env.pool.setCriteria(c) {
            _count("lender.setCriteria");
        } catch {}
    }

    /// @dev Invariant 8: a lender with something to claim gets exactly that, paused or not.
    function claim(uint256 loanSeed, uint256 who) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active) | _bit(ILoan.Status.Defaulted) | _bit(ILoan.Status.Repaid));
        if (!ok) return;
        address l = _lenderWith(loan, who, false);
        uint256 due = loan.claimable(l);
        if (due == 0) return;
        bool paused = _anyPaused(loan);
        vm.prank(l);
        try loan.claim() returns (uint256 amount) {
            ghost.addClaimed(address(loan), amount);
            if (amount != due) ghost.breach("claim paid != claimable");
            ghost.mustHaveSucceeded(true, paused, "");
            _count("lender.claim");
        } catch {
            ghost.mustHaveSucceeded(false, paused, "claim reverted");
        }
    }

    /// @dev Invariant 8 through the pool: claiming into the account works paused or not.
    function claimReturns(uint256 loanSeed, uint256 who) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active) | _bit(ILoan.Status.Defaulted) | _bit(ILoan.Status.Repaid));
        if (!ok) return;
        address l = _lenderWith(loan, who, false);
        uint256 due = loan.claimable(l);
        if (due == 0) return;
        bool paused = _anyPaused(loan);
        vm.prank(l);
        try env.pool.claimReturns(address(loan)) returns (uint256 amount) {
            ghost.addClaimed(address(loan), amount);
            ghost.poolCredit(l, amount);
            if (amount != due) ghost.breach("claimReturns credited != claimable");
            ghost.mustHaveSucceeded(true, paused, "");
            _count("lender.claimReturns");
        } catch {
            ghost.mustHaveSucceeded(false, paused, "claimReturns reverted");
        }
    }

    /// @dev Invariant 8: a noteholder of a rejected or expired loan gets their principal back, paused or not.
    function refund(uint256 loanSeed, uint256 who) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Rejected) | _bit(ILoan.Status.Expired));
        if (!ok) return;
        address l = _lenderWith(loan, who, true);
        ILoan.Status s = loan.status();
        uint256 notes = loan.balanceOf(l);
        if ((s != ILoan.Status.Rejected && s != ILoan.Status.Expired) || notes == 0) return;
        bool paused = _anyPaused(loan);
        vm.prank(l);
        try loan.refund() returns (uint256 amount) {
            ghost.addRefunded(address(loan), amount);
            if (amount != notes) ghost.breach("refund != notes held");
            ghost.mustHaveSucceeded(true, paused, "");
            _count("lender.refund");
        } catch {
            ghost.mustHaveSucceeded(false, paused, "refund reverted");
        }
    }

    function transferNotes(uint256 loanSeed, uint256 fromSeed, uint256 toSeed, uint256 amountSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active) | _bit(ILoan.Status.Defaulted) | _bit(ILoan.Status.Repaid));
        if (!ok) return;
        address from = _lenderWith(loan, fromSeed, true);
        // Sometimes aim at the loan's borrower: transfers to them must be refused.
        address to = toSeed % 7 == 0 ? loan.borrower() : _lender(toSeed);
        uint256 notes = loan.balanceOf(from);
        if (notes == 0) return;
        uint256 amount = bound(amountSeed, 1, notes);
        address b = loan.borrower();
        vm.prank(from);
        try loan.transfer(to, amount) {
            ghost.addEvent(address(loan));
            if (to == b) ghost.breach("notes transferred to the borrower");
            _count("lender.transferNotes");
        } catch {}
    }

    /// @dev Tokens sent straight to a loan, the pool or the Treasury, through no function of theirs.
    function donate(uint256 targetSeed, uint256 amountSeed) external {
        uint256 amount = bound(amountSeed, 1, 1_000 * UNIT);
        uint256 which = targetSeed % 3;
        if (which == 0) {
            (Loan loan, bool ok) = _loan(targetSeed >> 8);
            if (!ok) return;
            env.token.mint(address(loan), amount);
            ghost.addDonated(address(loan), amount);
        } else if (which == 1) {
            env.token.mint(address(env.pool), amount);
            ghost.addPoolDonation(amount);
        } else {
            env.token.mint(address(env.treasury), amount);
            ghost.addTreasuryDonation(amount);
        }
        _count("anyone.donate");
    }
}
