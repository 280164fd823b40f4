// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Loan} from "../../contracts/Loan.sol";
import {ILendingPool} from "../../contracts/interfaces/ILendingPool.sol";
import {ILoan} from "../../contracts/interfaces/ILoan.sol";
import {ITreasury} from "../../contracts/interfaces/ITreasury.sol";
import {Annuity} from "../utils/Annuity.sol";
import {DisfrutaFixture} from "../utils/DisfrutaFixture.sol";
import {console} from "../utils/Vm.sol";
import {Ghost} from "./Ghost.sol";
import {AttackerHandler} from "./handlers/AttackerHandler.sol";
import {BorrowerHandler} from "./handlers/BorrowerHandler.sol";
import {GuardianHandler} from "./handlers/GuardianHandler.sol";
import {KeeperHandler} from "./handlers/KeeperHandler.sol";
import {LenderHandler} from "./handlers/LenderHandler.sol";
import {NotesAutopayHandler} from "./handlers/NotesAutopayHandler.sol";
import {TimeHandler} from "./handlers/TimeHandler.sol";

/// @notice DESIGN.md's invariants 1–8 over a whole market, and 9–12 over its note market and autopay, under random
/// sequences of borrower, lender, trader, autopay, keeper, guardian, governance, attacker and time actions. Each
/// invariant is an English sentence above its check.
/// Campaign size: foundry.toml's profiles (`ci`: bounded, `deep`: `make verify`).
contract ProtocolInvariants is DisfrutaFixture {
    Ghost internal ghost;
    BorrowerHandler internal borrowerHandler;
    LenderHandler internal lenderHandler;
    KeeperHandler internal keeperHandler;
    GuardianHandler internal guardianHandler;
    TimeHandler internal timeHandler;
    AttackerHandler internal attackerHandler;
    NotesAutopayHandler internal notesAutopayHandler;

    address[] internal borrowers;
    address[] internal lenders;
    /// @dev Every account that can ever hold notes (the lenders, including the borrower who is also a lender).
    address[] internal holders;

    function setUp() public {
        _deployMarket();
        ghost = new Ghost();

        // Borrowers through oracle attestations (grades A2, B4, D1); B2 is also a lender (roles 3).
        borrowers.push(address(0xB0));
        borrowers.push(address(0xB1));
        borrowers.push(address(0xB2));
        _onboardByAttestation(address(0xB0), 1, 2, uint128(100_000 * UNIT));
        _onboardByAttestation(address(0xB1), 1, 9, uint128(100_000 * UNIT));
        _onboardByAttestation(address(0xB2), 3, 16, uint128(100_000 * UNIT));
        // Lenders: three through the admin path, one through an attestation, plus B2.
        for (uint160 i; i < 4; ++i) {
            address l = address(0x1E0 + i);
            lenders.push(l);
            if (i < 3) _onboardByAdmin(l, 2);
            else _onboardByAttestation(l, 2, 0, 0);
        }
        lenders.push(address(0xB2));
        holders = lenders;

        borrowerHandler = new BorrowerHandler(env, ghost, borrowers, lenders, address(0xFA7E));
        lenderHandler = new LenderHandler(env, ghost, borrowers, lenders);
        keeperHandler = new KeeperHandler(env, ghost, borrowers, lenders);
        guardianHandler = new GuardianHandler(env, ghost, borrowers, lenders);
        timeHandler = new TimeHandler(ghost);
        address[] memory candidates = new address[](14);
        (candidates[0], candidates[1], candidates[2], candidates[3]) = (env.kycAdmin, env.revoker, env.underwriter, env.guardian);
        (candidates[4], candidates[5], candidates[6], candidates[7]) = (env.keeper, address(0xB0), address(0xB1), address(0xB2));
        (candidates[8], candidates[9], candidates[10]) = (lenders[0], lenders[1], lenders[3]);
        (candidates[11], candidates[12], candidates[13]) = (address(0xFA7E), address(0xBAD1), address(0xBAD2));
        attackerHandler = new AttackerHandler(env, ghost, borrowers, lenders, candidates);
        notesAutopayHandler = new NotesAutopayHandler(env, ghost, borrowers, lenders, address(0xFA7E));

        // Two approved applications so the campaign has something to fund from its first call.
        vm.prank(address(0xB0));
        (, address a) = env.factory.createLoan(1_000 * UNIT, 12, 0, 14 days);
        vm.prank(address(0xB1));
        (, address b) = env.factory.createLoan(2_000 * UNIT + 7, 24, 3, 7 days);
        vm.prank(address(0xB2));
        (, address c) = env.factory.createLoan(1_500 * UNIT, 18, 4, 10 days);
        ghost.addLoan(a);
        ghost.addLoan(b);
        ghost.addLoan(c);
        vm.startPrank(env.underwriter);
        env.factory.approveLoan(1);
        env.factory.approveLoan(2);
        env.factory.approveLoan(3);
        vm.stopPrank();
        // Loan 3 funded by three lenders and drawn: repayments and claims can start at once.
        for (uint256 k; k < 3; ++k) {
            env.token.mint(lenders[k], 500 * UNIT);
            vm.startPrank(lenders[k]);
            env.token.approve(c, 500 * UNIT);
            Loan(c).fundLoan(500 * UNIT);
            vm.stopPrank();
            ghost.addFunded(c, 500 * UNIT);
        }
        uint256 feesBefore = env.treasury.feesCollected(ITreasury.FeeType.Origination);
        vm.prank(address(0xB2));
        Loan(c).withdrawFunds();
        ghost.addOriginationFee(env.treasury.feesCollected(ITreasury.FeeType.Origination) - feesBefore);
        // Loan 4, a longer one (3,000 over 36 months), funded by three other lenders and drawn.
        vm.prank(address(0xB1));
        (, address d) = env.factory.createLoan(3_000 * UNIT, 36, 2, 7 days);
        ghost.addLoan(d);
        vm.prank(env.underwriter);
        env.factory.approveLoan(4);
        for (uint256 k = 1; k < 4; ++k) {
            env.token.mint(lenders[k], 1_000 * UNIT);
            vm.startPrank(lenders[k]);
            env.token.approve(d, 1_000 * UNIT);
            Loan(d).fundLoan(1_000 * UNIT);
            vm.stopPrank();
            ghost.addFunded(d, 1_000 * UNIT);
        }
        feesBefore = env.treasury.feesCollected(ITreasury.FeeType.Origination);
        vm.prank(address(0xB1));
        Loan(d).withdrawFunds();
        ghost.addOriginationFee(env.treasury.feesCollected(ITreasury.FeeType.Origination) - feesBefore);
        // Both borrowers enrol their active loan in autopay (cap: two payments) and approve the token; a lender of each
        // lists part of her notes (at par, at a 2 % discount) and approves the market: the campaign can collect and
        // trade from its first call.
        _enrolAndList(c, address(0xB2), lenders[0], 250 * UNIT, 0);
        _enrolAndList(d, address(0xB1), lenders[1], 500 * UNIT, -200);
        // Every lender keeps cash in the pool with broad auto-invest criteria.
        for (uint256 k; k < lenders.length; ++k) {
            address l = lenders[k];
            env.token.mint(l, 2_000 * UNIT);
            vm.startPrank(l);
            env.token.approve(address(env.pool), 2_000 * UNIT);
            env.pool.deposit(2_000 * UNIT);
            env.pool.setCriteria(
                ILendingPool.Criteria({
                    enabled: true,
                    minGrade: 1,
                    maxGrade: 25,
                    minRateBps: 0,
                    maxRateBps: 10_000,
                    maxTermMonths: 60,
                    purposes: 255,
                    amountPerLoan: uint128(100 * UNIT),
                    maxPerBorrower: uint128(1_000 * UNIT),
                    cashToKeep: 0
                })
            );
            vm.stopPrank();
            ghost.poolCredit(l, 2_000 * UNIT);
        }

        targetContract(address(borrowerHandler));
        targetContract(address(lenderHandler));
        targetContract(address(keeperHandler));
        targetContract(address(guardianHandler));
        targetContract(address(timeHandler));
        targetContract(address(attackerHandler));
        targetContract(address(notesAutopayHandler));
    }

    /* ------------------------------------------------------------------ 1. solvency of every loan */

    /// For every loan, its token balance covers what all noteholders can claim, plus the principal it still owes
    /// back (funding not drawn, or refunds of a rejected/expired loan), plus the fees not yet swept.
    function invariant_1_loanBalanceCoversClaimsRefundsAndFees() public view {
        uint256 n = ghost.loanCount();
        for (uint256 i; i < n; ++i) {
            Loan loan = Loan(ghost.loans(i));
            ILoan.Status s = loan.status();
            uint256 owedBack = (s == ILoan.Status.Funding || s == ILoan.Status.Funded || s == ILoan.Status.Rejected
                || s == ILoan.Status.Expired) ? loan.totalSupply() : 0;
            uint256 needed = _claimable(loan) + owedBack + loan.position().feesAccrued;
            vm.assertGe(env.token.balanceOf(address(loan)) - _flows(loan).donated, needed, "1: loan balance < claims + refunds + fees");
        }
    }

    /* ------------------------------------------------------------------ 2. notes = principal */

    /// Notes outstanding equal the principal funded (less what was refunded); once funding ends they equal the
    /// loan's principal, and no note is minted outside funding (none before approval, none after completion).
    function invariant_2_notesEqualPrincipalFunded() public view {
        uint256 n = ghost.loanCount();
        for (uint256 i; i < n; ++i) {
            Loan loan = Loan(ghost.loans(i));
            Ghost.LoanFlows memory f = _flows(loan);
            uint256 supply = loan.totalSupply();
            vm.assertEq(supply, f.funded - f.refunded, "2: notes != principal funded - refunded");
            ILoan.Status s = loan.status();
            ILoan.Terms memory t = loan.terms();
            if (s == ILoan.Status.Pending) vm.assertEq(supply, 0, "2: notes minted before approval");
            if (s == ILoan.Status.Funded || s == ILoan.Status.Active || s == ILoan.Status.Repaid
                || s == ILoan.Status.Defaulted) {
                vm.assertEq(supply, t.principal, "2: notes != principal after funding");
                vm.assertEq(f.funded, t.principal, "2: notes minted after funding completed");
            }
            vm.assertLe(supply, t.goal, "2: notes beyond the goal");
            vm.assertEq(loan.balanceOf(t.borrower), 0, "2: the borrower holds notes of their own loan");
            uint256 held;
            for (uint256 k; k < holders.length; ++k) held += loan.balanceOf(holders[k]);
            vm.assertEq(held, supply, "2: notes held outside the known lenders");
        }
    }

    /* ------------------------------------------------------------------ 3. pro rata, never more */

    /// What all lenders have claimed plus what they can still claim never exceeds what the loan received (repayments
    /// and reserve cover) minus the servicing fees and the reserve's share of recoveries after a default; the fees are
    /// exactly 1 % of each payment rounded down; and the rounding dust kept back is at most one unit per claim-state
    /// event per noteholder.
    function invariant_3_lendersNeverGetMoreThanReceivedMinusFees() public view {
        uint256 n = ghost.loanCount();
        for (uint256 i; i < n; ++i) {
            Loan loan = Loan(ghost.loans(i));
            Ghost.LoanFlows memory f = _flows(loan);
            uint256 fees = loan.position().feesAccrued + f.swept;
            vm.assertEq(fees, f.expectedFees, "3: servicing fees != 1% of each payment (rounded down)");
            (,, uint256 reserveAccrued) = loan.recovery();
            uint256 distributable = f.repaid + f.cover - fees - (reserveAccrued + f.recovered);
            uint256 paidOrOwed = f.claimed + _claimable(loan);
            vm.assertLe(paidOrOwed, distributable, "3: lenders can claim more than received minus fees");
            vm.assertLe(distributable - paidOrOwed, (f.events + 1) * (holders.length + 1), "3: rounding dust too large");
        }
    }

    /* ------------------------------------------------------------------ 4. the schedule */

    /// Every loan's schedule has principal parts adding up to its principal exactly, and its level payment is at least
    /// the exact annuity and less than it plus one token unit.
    function invariant_4_scheduleSumsToPrincipalAndPaymentIsTheAnnuity() public view {
        uint256 n = ghost.loanCount();
        for (uint256 i; i < n; ++i) {
            Loan loan = Loan(ghost.loans(i));
            ILoan.Terms memory t = loan.terms();
            uint256 principal = t.principal == 0 ? t.goal : t.principal;
            (, uint256[] memory interestParts, uint256[] memory principalParts) = loan.schedule();
            uint256 sum;
            for (uint256 k; k < principalParts.length; ++k) sum += principalParts[k];
            vm.assertEq(principalParts.length, t.termMonths, "4: schedule length != term");
            vm.assertEq(sum, principal, "4: schedule principal parts != principal");
            interestParts;
            if (t.monthlyPayment != 0) {
                (bool above, bool belowPlusOne) =
                    Annuity.bracket(principal, t.annualRateBps, t.termMonths, t.monthlyPayment);
                vm.assertTrue(above, "4: payment below the exact annuity");
                vm.assertTrue(belowPlusOne, "4: payment one unit or more above the exact annuity");
            }
        }
    }

    /* ------------------------------------------------------------------ 5. pool accounts */

    /// A lender's pool balance changes only by their own deposits, withdrawals, investments (manual, or automatic
    /// under their own criteria) and claims; the pool's total is the sum of the accounts, and its token balance is
    /// exactly that total plus whatever was sent to it directly.
    function invariant_5_poolBalancesMoveOnlyByTheLendersOwnActions() public view {
        uint256 total;
        for (uint256 k; k < lenders.length; ++k) {
            uint256 balance = env.pool.lenderBalances(lenders[k]);
            vm.assertEq(balance, ghost.poolBalance(lenders[k]), "5: pool balance moved by someone else");
            total += balance;
        }
        vm.assertEq(env.pool.totalBalances(), total, "5: totalBalances != sum of accounts");
        vm.assertEq(
            env.token.balanceOf(address(env.pool)), total + ghost.poolDonations(), "5: pool tokens != accounts + donations"
        );
    }

    /* ------------------------------------------------------------------ 6. treasury books */

    /// The Treasury's token balance equals its reserve plus its available fees (plus tokens sent to it directly); its
    /// books balance: reserve + available fees + reserve used + fees distributed = reserve funded + recoveries swept
    /// back + fees collected; fees collected by type match what loans (and the note market's sales, invariant 12)
    /// paid; the reserve never goes negative (never below zero as used).
    function invariant_6_treasuryBooksBalance() public view {
        ITreasury t = ITreasury(address(env.treasury));
        uint256 reserve_ = t.reserve();
        uint256 available = t.availableFees();
        // (the note market's seller fees are in the balance from the sale, booked at its next sweep)
        vm.assertEq(
            env.token.balanceOf(address(t)),
            reserve_ + available + ghost.treasuryDonations() + env.market.feesPending(),
            "6: balance != books"
        );
        uint256 origination = t.feesCollected(ITreasury.FeeType.Origination);
        uint256 servicing = t.feesCollected(ITreasury.FeeType.Servicing);
        uint256 trading = t.feesCollected(ITreasury.FeeType.Trading);
        vm.assertEq(origination, ghost.originationFees(), "6: origination fees != drawdown fees");
        uint256 swept;
        uint256 cover;
        uint256 n = ghost.loanCount();
        for (uint256 i; i < n; ++i) {
            Ghost.LoanFlows memory f = _flows(Loan(ghost.loans(i)));
            swept += f.swept;
            cover += f.cover;
        }
        vm.assertEq(servicing, swept, "6: servicing fees != fees swept");
        vm.assertEq(t.reserveUsed(), cover, "6: reserve used != cover paid");
        vm.assertEq(t.reserveRecovered(), ghost.reserveRecovered(), "6: reserve recovered != recoveries swept");
        vm.assertEq(
            reserve_ + available + t.reserveUsed() + ghost.feesDistributed(),
            ghost.reserveFunded() + ghost.reserveRecovered() + origination + servicing + trading,
            "6: books do not balance"
        );
    }

    /* ------------------------------------------------------------------ 7. access */

    /// Nothing privileged happens without the role: every privileged call tried by an account without its role
    /// (including the guardian trying what only governance may do) reverted with the access error.
    function invariant_7_nothingPrivilegedWithoutTheRole() public view {
        vm.assertEq(ghost.privilegedSuccesses(), 0, string.concat("7: ", ghost.privilegedBreach()));
        vm.assertFalse(env.registry.hasRole(0x00, address(0xBAD1)), "7: an attacker became admin");
        vm.assertFalse(env.factory.hasRole(env.factory.UNDERWRITER_ROLE(), address(0xBAD1)), "7: attacker underwriter");
        vm.assertEq(env.factory.loanImplementation(), address(env.loanImpl), "7: loan implementation changed");
    }

    /* ------------------------------------------------------------------ 8. money never trapped */

    /// Paused or not, every repayment of an amount owed, every claim of something claimable, every refund of a
    /// rejected or expired loan and every withdrawal of idle cash succeeded.
    function invariant_8_repayClaimRefundWithdrawAlwaysSucceed() public view {
        vm.assertEq(ghost.mustSucceedFailures(), 0, string.concat("8: ", ghost.mustSucceedBreach()));
    }

    /* ------------------------------------------------------------------ 9. notes conserved across trades */

    /// For every loan, the notes its known holders hold add up to its supply, and the supply is the principal funded
    /// less what was refunded, however many notes were sold on the market or moved away: no purchase changed a loan's
    /// supply or the notes its seller and buyer held together.
    function invariant_9_notesConservedAcrossTrades() public view {
        vm.assertEq(ghost.tradesNotConserving(), 0, "9: a purchase minted, burnt or lost notes");
        uint256 n = ghost.loanCount();
        for (uint256 i; i < n; ++i) {
            Loan loan = Loan(ghost.loans(i));
            Ghost.LoanFlows memory f = _flows(loan);
            uint256 held;
            for (uint256 k; k < holders.length; ++k) held += loan.balanceOf(holders[k]);
            uint256 supply = loan.totalSupply();
            vm.assertEq(held, supply, "9: holders' notes != supply");
            vm.assertEq(supply, f.funded - f.refunded, "9: supply != principal funded - refunded");
        }
    }

    /* ------------------------------------------------------------------ 10. market and autopay hold nothing */

    /// After every call the note market holds no tokens and no notes of any loan (nothing is escrowed), and the
    /// autopay holds no tokens (a collection goes from the borrower straight into the loan) and no notes.
    function invariant_10_marketAndAutopayHoldNothing() public view {
        vm.assertEq(env.token.balanceOf(address(env.market)), 0, "10: the note market holds tokens");
        vm.assertEq(env.token.balanceOf(address(env.autopay)), 0, "10: the autopay holds tokens");
        uint256 n = ghost.loanCount();
        for (uint256 i; i < n; ++i) {
            Loan loan = Loan(ghost.loans(i));
            vm.assertEq(loan.balanceOf(address(env.market)), 0, "10: the note market holds notes");
            vm.assertEq(loan.balanceOf(address(env.autopay)), 0, "10: the autopay holds notes");
        }
    }

    /* ------------------------------------------------------------------ 11. autopay never pulls more than due */

    /// Every collection pulled from the borrower at most what was due on its installment (amountDueBy its due date,
    /// read just before) and at most the borrower's cap, and no installment (loan, due date) was collected twice.
    function invariant_11_autopayNeverPullsMoreThanDue() public view {
        uint256 m = ghost.collectionCount();
        for (uint256 i; i < m; ++i) {
            Ghost.Collection memory c = ghost.collection(i);
            vm.assertLe(c.pulled, c.due, "11: autopay pulled more than was due");
            vm.assertLe(c.pulled, c.cap, "11: autopay pulled more than the cap");
            vm.assertEq(ghost.timesCollected(c.loan, c.dueDate), 1, "11: an installment was collected twice");
        }
    }

    /* ------------------------------------------------------------------ 12. trading fees */

    /// The Treasury's trading fees are exactly the seller fees of the purchases made, and the sellers together got the
    /// prices paid less those fees (each sale is checked on the spot: seller got price - fee).
    function invariant_12_tradingFeesAreTheSellerFeesOfPurchases() public view {
        vm.assertEq(
            env.treasury.feesCollected(ITreasury.FeeType.Trading) + env.market.feesPending(), ghost.tradingFees(),
            "12: trading fees (booked + pending) != fees of purchases"
        );
        vm.assertEq(ghost.sellerProceeds() + ghost.tradingFees(), ghost.tradePrices(), "12: sellers got != prices - fees");
    }

    /// The rules the handlers checked on the spot (auto-invest caps, self-funding, exact payouts) all held.
    function invariant_handlerRulesHeld() public view {
        vm.assertEq(bytes(ghost.ruleBreach()).length, 0, ghost.ruleBreach());
    }

    /// Printed once per run (forge -vv): what the campaign exercised.
    function afterInvariant() public view {
        console.log("loans", ghost.loanCount());
        console.log("privileged calls refused", ghost.privilegedAttempts());
        console.log("must-succeed operations", ghost.mustSucceed());
        console.log("  of them while paused", ghost.mustSucceedWhilePaused());
        console.log("note purchases", ghost.trades());
        console.log("autopay collections", ghost.collectionCount());
        uint256 m = ghost.callNameCount();
        for (uint256 i; i < m; ++i) {
            bytes32 name = ghost.callNames(i);
            console.log(_str(name), ghost.calls(name));
        }
    }

    /* ------------------------------------------------------------------ helpers */

    function _enrolAndList(address loan, address borrower, address seller, uint256 notes, int256 premiumBps) private {
        uint256 payment = Loan(loan).terms().monthlyPayment;
        vm.startPrank(borrower);
        env.autopay.enrol(loan, 2 * payment);
        env.token.approve(address(env.autopay), type(uint256).max);
        vm.stopPrank();
        vm.startPrank(seller);
        env.market.list(loan, notes, premiumBps, 0);
        Loan(loan).approve(address(env.market), notes);
        vm.stopPrank();
    }

    function _claimable(Loan loan) private view returns (uint256 sum) {
        for (uint256 k; k < holders.length; ++k) sum += loan.claimable(holders[k]);
    }

    function _flows(Loan loan) private view returns (Ghost.LoanFlows memory) {
        return ghost.flowsOf(address(loan));
    }

    function _str(bytes32 b) private pure returns (string memory) {
        uint256 len;
        while (len < 32 && b[len] != 0) ++len;
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) out[i] = b[i];
        return string(out);
    }
}
