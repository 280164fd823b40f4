// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Loan} from "../../../contracts/Loan.sol";
import {ILoan} from "../../../contracts/interfaces/ILoan.sol";
import {Env} from "../../utils/DisfrutaFixture.sol";
import {TestBase} from "../../utils/TestBase.sol";
import {Ghost} from "../Ghost.sol";

/// @notice What every actor's handler shares: the market, the ghost books, the cast of accounts, and helpers that
/// turn fuzzed seeds into a loan, a lender or a borrower. Handlers read views first and then prank exactly one call.
abstract contract HandlerBase is TestBase {
    uint256 internal constant UNIT = 1e6;
    uint256 internal constant MIN_NOTE = 25 * UNIT;
    uint16 internal constant SERVICING_FEE_BPS = 100;

    Env internal env;
    Ghost internal ghost;
    address[] internal borrowers;
    address[] internal lenders;

    constructor(Env memory env_, Ghost ghost_, address[] memory borrowers_, address[] memory lenders_) {
        env = env_;
        ghost = ghost_;
        borrowers = borrowers_;
        lenders = lenders_;
    }

    function _count(bytes32 name) internal {
        ghost.count(name);
    }

    function _loan(uint256 seed) internal view returns (Loan loan, bool ok) {
        uint256 n = ghost.loanCount();
        if (n == 0) return (Loan(address(0)), false);
        return (Loan(ghost.loans(seed % n)), true);
    }

    /// @dev A loan whose status is in `statusMask` (bit i = `Status(i)`), searching from the seed's loan onwards, so
    /// that each action mostly lands on a loan where it means something; any loan when none matches.
    function _loanIn(uint256 seed, uint256 statusMask) internal view returns (Loan loan, bool ok) {
        uint256 n = ghost.loanCount();
        if (n == 0) return (Loan(address(0)), false);
        for (uint256 k; k < n; ++k) {
            Loan candidate = Loan(ghost.loans((seed % n + k) % n));
            if ((statusMask >> uint8(candidate.status())) & 1 == 1) return (candidate, true);
        }
        return (Loan(ghost.loans(seed % n)), true);
    }

    /// @dev A lender with something claimable in `loan` (or notes, when `wantNotes`), searching from the seed.
    function _lenderWith(Loan loan, uint256 seed, bool wantNotes) internal view returns (address) {
        uint256 n = lenders.length;
        for (uint256 k; k < n; ++k) {
            address l = lenders[(seed % n + k) % n];
            if (wantNotes ? loan.balanceOf(l) != 0 : loan.claimable(l) != 0) return l;
        }
        return lenders[seed % n];
    }

    function _bit(ILoan.Status s) internal pure returns (uint256) {
        return 1 << uint8(s);
    }

    function _lender(uint256 seed) internal view returns (address) {
        return lenders[seed % lenders.length];
    }

    function _borrower(uint256 seed) internal view returns (address) {
        return borrowers[seed % borrowers.length];
    }

    /// @dev True when anything that could stand between a user and their money is paused: the factory, the pool,
    /// the registry, or this loan.
    function _anyPaused(Loan loan) internal view returns (bool) {
        return env.factory.paused() || env.pool.paused() || env.registry.paused()
            || (address(loan) != address(0) && loan.isPaused());
    }

    function _mintApprove(address who, address spender, uint256 amount) internal {
        env.token.mint(who, amount);
        vm.prank(who);
        env.token.approve(spender, amount);
    }

    function _status(Loan loan) internal view returns (ILoan.Status) {
        return loan.status();
    }
}
