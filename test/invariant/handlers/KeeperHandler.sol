// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Loan} from "../../../contracts/Loan.sol";
import {ILendingPool} from "../../../contracts/interfaces/ILendingPool.sol";
import {ILoan} from "../../../contracts/interfaces/ILoan.sol";
import {Env} from "../../utils/DisfrutaFixture.sol";
import {Ghost} from "../Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice The keeper (no role: anyone) and the underwriter: approve or reject applications, run auto-invest batches,
/// expire failed funding, declare defaults, sweep fees, top up the reserve.
contract KeeperHandler is HandlerBase {
    constructor(Env memory env_, Ghost ghost_, address[] memory borrowers_, address[] memory lenders_)
        HandlerBase(env_, ghost_, borrowers_, lenders_)
    {}

    function approve(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Pending));
        if (!ok || loan.status() != ILoan.Status.Pending) return;
        uint256 id = loan.loanId();
        vm.prank(env.underwriter);
        try env.factory.approveLoan(id) {
            _count("underwriter.approve");
        } catch {}
    }

    function reject(uint256 loanSeed, uint256 dice) external {
        if (dice % 4 != 0) return; // rarely: most applications should get somewhere
        (Loan loan, bool ok) = _loan(loanSeed);
        if (!ok) return;
        uint256 id = loan.loanId();
        vm.prank(env.underwriter);
        try env.factory.rejectLoan(id, "fuzz") {
            _count("underwriter.reject");
        } catch {}
    }

    /// @dev The keeper's batch: a fuzzed subset of lenders in a fuzzed order. The pool must invest only within each
    /// lender's criteria, debit exactly what it invested, never invest a lender in their own loan, and never revert
    /// because of one lender (a revoked or unqualified lender is skipped).
    function autoInvest(uint256 loanSeed, uint256 mask, uint256 rotation) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Funding));
        if (!ok) return;
        uint256 n = lenders.length;
        address[] memory batch = new address[](n);
        uint256 size;
        for (uint256 i; i < n; ++i) {
            address l = lenders[(i + rotation % n) % n];
            if ((mask >> i) & 1 == 1) batch[size++] = l;
        }
        assembly {
            mstore(batch, size)
        }
        uint256[] memory balances = new uint256[](size);
        uint256[] memory investedBefore = new uint256[](size);
        for (uint256 i; i < size; ++i) {
            balances[i] = env.pool.lenderBalances(batch[i]);
            investedBefore[i] = env.pool.invested(batch[i], address(loan));
        }
        bool open = _open(loan);
        vm.prank(env.keeper);
        try env.pool.autoInvest(address(loan), batch) returns (uint256 total) {
            uint256 sum;
            for (uint256 i; i < size; ++i) {
                sum += _checkOne(loan, batch[i], balances[i], investedBefore[i]);
            }
            if (sum != total) ghost.breach("autoInvest total != sum of investments");
            _count("keeper.autoInvest");
        } catch {
            // A batch may only fail as a whole for reasons of the loan or the pool, never of one lender.
            if (open) ghost.breach("autoInvest reverted on an open loan");
        }
    }

    function _open(Loan loan) private view returns (bool) {
        (,, uint256 deadline) = loan.funding();
        return loan.status() == ILoan.Status.Funding && !loan.isPaused() && !env.pool.paused()
            && block.timestamp <= deadline;
    }

    function _checkOne(Loan loan, address l, uint256 balanceBefore, uint256 investedBefore)
        private
        returns (uint256 delta)
    {
        delta = env.pool.invested(l, address(loan)) - investedBefore;
        if (balanceBefore - env.pool.lenderBalances(l) != delta) ghost.breach("autoInvest debit != invested");
        if (delta == 0) return 0;
        ILendingPool.Criteria memory c = env.pool.criteriaOf(l);
        address b = loan.borrower();
        if (!c.enabled) ghost.breach("autoInvest used a disabled lender");
        if (delta > c.amountPerLoan) ghost.breach("autoInvest beyond amountPerLoan");
        if (investedBefore != 0) ghost.breach("autoInvest invested twice in one loan");
        if (l == b) ghost.breach("autoInvest funded the borrower's own loan");
        if (delta % MIN_NOTE != 0) ghost.breach("autoInvest invested a partial note");
        if (env.pool.lenderBalances(l) < c.cashToKeep) ghost.breach("autoInvest dipped into cashToKeep");
        if (env.pool.borrowerExposure(l, b) > c.maxPerBorrower) ghost.breach("autoInvest beyond maxPerBorrower");
        ghost.poolDebit(l, delta);
        ghost.addFunded(address(loan), delta);
    }

    function handleDefault(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active));
        if (!ok) return;
        uint256 usedBefore = env.treasury.reserveUsed();
        vm.prank(env.keeper);
        try loan.handleDefault() {
            ghost.addCover(address(loan), env.treasury.reserveUsed() - usedBefore);
            _count("keeper.handleDefault");
        } catch {}
    }

    function expire(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Funding) | _bit(ILoan.Status.Funded));
        if (!ok) return;
        vm.prank(env.keeper);
        try loan.expire() {
            _count("keeper.expire");
        } catch {}
    }

    function sweepFees(uint256 loanSeed) external {
        (Loan loan, bool ok) = _loan(loanSeed);
        if (!ok) return;
        uint256 recoveredBefore = env.treasury.reserveRecovered();
        vm.prank(env.keeper);
        try loan.sweepFees() returns (uint256 amount) {
            ghost.addSwept(address(loan), amount);
            // A defaulted loan's sweep also returns the reserve's share of its recoveries.
            ghost.addRecovered(address(loan), env.treasury.reserveRecovered() - recoveredBefore);
            _count("keeper.sweepFees");
        } catch {}
    }

    function fundReserve(uint256 amountSeed) external {
        uint256 amount = bound(amountSeed, 1, 2_000 * UNIT);
        _mintApprove(env.keeper, address(env.treasury), amount);
        vm.prank(env.keeper);
        try env.treasury.fundReserve(amount) {
            ghost.addReserveFunded(amount);
            _count("keeper.fundReserve");
        } catch {}
    }
}
