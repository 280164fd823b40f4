// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Loan} from "../../../contracts/Loan.sol";
import {IAutopay} from "../../../contracts/interfaces/IAutopay.sol";
import {ILoan} from "../../../contracts/interfaces/ILoan.sol";
import {INoteMarket} from "../../../contracts/interfaces/INoteMarket.sol";
import {ITreasury} from "../../../contracts/interfaces/ITreasury.sol";
import {Env} from "../../utils/DisfrutaFixture.sol";
import {Ghost} from "../Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice The note market and autopay. Lenders list notes (a premium or discount within the range, any amount up to
/// what they hold and sometimes beyond, with or without an expiry), approve the market on the loan, cancel, buy all or
/// part of a listing (a maximum price at or above the price mostly, sometimes below) and move listed notes away.
/// Borrowers enrol their loans with a cap, approve the autopay, cancel. Anyone collects, at a time inside or outside
/// the installment's window, or repays by hand. The guardian pauses both contracts now and then, governance unpauses;
/// accounts without the role try their privileged entry points (invariant 7). Every purchase and collection is
/// checked on the spot against the balances read just before, and recorded in the ghost for invariants 9–12.
contract NotesAutopayHandler is HandlerBase {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant GRACE = 15 days;
    uint256 internal constant ATTEMPTS = 14;

    address internal immutable payer;

    constructor(Env memory env_, Ghost ghost_, address[] memory borrowers_, address[] memory lenders_, address payer_)
        HandlerBase(env_, ghost_, borrowers_, lenders_)
    {
        payer = payer_;
    }

    /* ------------------------------------------------------------------ sellers */

    function list(uint256 loanSeed, uint256 who, uint256 notesSeed, uint256 premiumSeed, uint256 expirySeed)
        external
    {
        (Loan loan, bool ok) = _tradableLoan(loanSeed);
        if (!ok) return;
        address l = _lenderWith(loan, who, true);
        uint256 held = loan.balanceOf(l);
        // Mostly what the seller holds, sometimes more (refused); the premium mostly within the range, sometimes
        // just outside it (refused).
        bool tooMany = notesSeed % 8 == 0;
        uint256 notes = tooMany ? held + bound(notesSeed >> 8, 1, 100 * UNIT) : bound(notesSeed >> 8, 1, held);
        bool outOfRange = premiumSeed % 10 == 0;
        int256 premium = outOfRange
            ? ((premiumSeed >> 8) % 2 == 0 ? int256(-10_000) : int256(10_001) + int256(bound(premiumSeed >> 16, 0, 5_000)))
            : int256(bound(premiumSeed >> 8, 0, 19_999)) - 9_999;
        uint256 expiry = expirySeed % 2 == 0 ? 0 : block.timestamp + bound(expirySeed >> 8, 1 hours, 20 days);
        vm.prank(l);
        try env.market.list(address(loan), notes, premium, expiry) returns (uint256 version) {
            if (tooMany) ghost.breach("listed more notes than held");
            if (outOfRange) ghost.breach("listed at a premium outside the range");
            // (a listing is an offer: which loans trade is the purchase's rule, checked in buy below)
            INoteMarket.Listing memory got = env.market.listing(address(loan), l);
            if (got.notes != notes || got.premiumBps != premium || got.expiry != expiry || got.version != version) {
                ghost.breach("listing stored differs from the one listed");
            }
            _count("seller.list");
            // Two sellers in three approve the market on the spot (else `approveMarket` does, or the sale is refused).
            if ((expirySeed >> 64) % 3 != 0) {
                vm.prank(l);
                loan.approve(address(env.market), notes);
            }
        } catch {
            _count("seller.list.refused");
        }
    }

    function approveMarket(uint256 loanSeed, uint256 who, uint256 amountSeed) external {
        (Loan loan, bool ok) = _tradableLoan(loanSeed);
        if (!ok) return;
        address l = _lenderWith(loan, who, true);
        uint256 held = loan.balanceOf(l);
        uint256 m = amountSeed % 6;
        uint256 amount = m == 0 ? 0 : m == 1 ? type(uint256).max : bound(amountSeed >> 8, 1, held * 2 + 1);
        vm.prank(l);
        loan.approve(address(env.market), amount);
        _count("seller.approveMarket");
    }

    /// @dev Cancelling works always, paused or not (INoteMarket.cancel).
    function cancel(uint256 loanSeed, uint256 who, uint256 dice) external {
        if (dice % 3 != 0) return; // one call in three: listings mostly stay up for buyers
        (Loan loan, address seller, bool ok) = _listed(loanSeed, who);
        if (!ok) return;
        vm.prank(seller);
        try env.market.cancel(address(loan)) {
            if (env.market.listing(address(loan), seller).notes != 0) ghost.breach("cancelled listing still live");
            _count("seller.cancel");
        } catch {
            ghost.breach("cancel of a live listing reverted");
        }
    }

    /// @dev The seller moves listed notes away (to another lender): the listing is no longer backed.
    function transferAway(uint256 loanSeed, uint256 who, uint256 toSeed, uint256 amountSeed) external {
        (Loan loan, address seller, bool ok) = _listed(loanSeed, who);
        if (!ok) return;
        uint256 held = loan.balanceOf(seller);
        if (held == 0) return;
        address to = _lender(toSeed);
        if (to == seller) to = _lender(toSeed % lenders.length + 1);
        uint256 amount = amountSeed % 2 == 0 ? held : bound(amountSeed >> 8, 1, held);
        vm.prank(seller);
        try loan.transfer(to, amount) {
            ghost.addEvent(address(loan));
            _count("seller.transferAway");
        } catch {}
    }

    /* ------------------------------------------------------------------ buyers */

    struct Purchase {
        Loan loan;
        address seller;
        address buyer;
        address borrower;
        uint256 notes;
        uint256 price;
        uint256 fee;
        uint256 maxPrice;
        uint256 version;
        bool tradable;
        INoteMarket.Listing listing;
    }

    struct Balances {
        uint256 sellerTokens;
        uint256 buyerTokens;
        uint256 sellerNotes;
        uint256 buyerNotes;
        uint256 supply;
        uint256 trading;
        uint256 sellerClaimable;
        uint256 buyerClaimable;
    }

    /// @dev All or part of a listing, by a lender (now and then the borrower), at a maximum price mostly at or above
    /// the price and sometimes below it, naming mostly the listing's version and sometimes a stale one.
    function buy(uint256 loanSeed, uint256 sellerSeed, uint256 buyerSeed, uint256 notesSeed, uint256 priceSeed)
        external
    {
        Purchase memory p;
        bool ok;
        (p.loan, p.seller, ok) = _listed(loanSeed, sellerSeed);
        if (!ok) return;
        p.listing = env.market.listing(address(p.loan), p.seller);
        p.borrower = p.loan.borrower();
        // A lender other than the seller; now and then the borrower (refused).
        p.buyer = buyerSeed % 9 == 0 ? p.borrower : _lender(buyerSeed >> 8);
        if (p.buyer == p.seller) p.buyer = _lender((buyerSeed >> 8) % lenders.length + 1);
        // All of the listing one time in three, else part of it.
        p.notes = notesSeed % 3 == 0 ? p.listing.notes : bound(notesSeed >> 8, 1, p.listing.notes);
        // Mostly the listing as it is, sometimes a stale version (refused).
        p.version = notesSeed % 7 == 1 ? p.listing.version + 1 : p.listing.version;
        p.price = _expectedPrice(p.loan, p.notes, p.listing.premiumBps);
        // The buyer's limit: at or above the price four times in five, below it otherwise (refused).
        p.maxPrice = priceSeed % 5 == 0 && p.price != 0
            ? bound(priceSeed >> 8, 0, p.price - 1)
            : p.price + bound(priceSeed >> 8, 0, p.price / 10);
        _buy(p);
    }

    /// @dev The well-formed purchase: all of a listing, at its version, by a verified lender who is neither the
    /// seller nor the borrower, at exactly the price.
    function buyAll(uint256 loanSeed, uint256 sellerSeed, uint256 buyerSeed) external {
        Purchase memory p;
        bool ok;
        (p.loan, p.seller, ok) = _listed(loanSeed, sellerSeed);
        if (!ok) return;
        p.listing = env.market.listing(address(p.loan), p.seller);
        p.borrower = p.loan.borrower();
        p.buyer = _lender(buyerSeed);
        for (uint256 k; k < lenders.length; ++k) {
            p.buyer = _lender(buyerSeed % lenders.length + k);
            if (p.buyer != p.seller && p.buyer != p.borrower && env.registry.isVerifiedLender(p.buyer)) break;
        }
        p.notes = p.listing.notes;
        p.version = p.listing.version;
        p.price = _expectedPrice(p.loan, p.notes, p.listing.premiumBps);
        p.maxPrice = p.price;
        _buy(p);
    }

    function _buy(Purchase memory p) private {
        p.tradable = _tradable(p.loan);
        p.fee = p.price * env.market.sellerFeeBps() / BPS;
        uint256 funds = Math.max(p.price, p.maxPrice);
        _mintApprove(p.buyer, address(env.market), funds);
        Balances memory b = _balances(p);
        vm.prank(p.buyer);
        try env.market.buy(address(p.loan), p.seller, p.notes, p.maxPrice, p.version) returns (uint256 price) {
            _checkPurchase(p, b, price);
            _count("buyer.buy");
        } catch {
            _count("buyer.buy.refused");
        }
        // What the buyer did not spend is taken back, so no allowance to the market is left standing.
        vm.prank(p.buyer);
        env.token.approve(address(env.market), 0);
    }

    /// Anyone books the market's seller fees in the Treasury (the keeper does): pending falls to 0, booked rises by it.
    function sweepMarketFees() external {
        uint256 pending = env.market.feesPending();
        uint256 booked = env.treasury.feesCollected(ITreasury.FeeType.Trading);
        try env.market.sweepFees() returns (uint256 amount) {
            if (amount != pending || env.market.feesPending() != 0
                || env.treasury.feesCollected(ITreasury.FeeType.Trading) != booked + pending) {
                ghost.breach("a fee sweep booked other than the fees pending");
            }
            _count("anyone.sweepMarketFees");
        } catch {
            if (pending != 0) ghost.breach("a fee sweep with fees pending was refused");
        }
    }

    function _checkPurchase(Purchase memory p, Balances memory b, uint256 price) private {
        Balances memory a = _balances(p);
        if (price != p.price) ghost.breach("price != notes x outstanding / supply x (1 + premium), rounded up");
        if (price > p.maxPrice) ghost.breach("bought above the buyer's maximum price");
        if (p.version != p.listing.version) ghost.breach("bought a listing at a stale version");
        if (p.listing.expiry != 0 && block.timestamp > p.listing.expiry) ghost.breach("bought an expired listing");
        if (p.buyer == p.borrower) ghost.breach("the borrower bought notes of their own loan");
        if (!p.tradable) ghost.breach("bought notes of a loan that does not trade");
        bool conserved = a.supply == b.supply && a.sellerNotes + a.buyerNotes == b.sellerNotes + b.buyerNotes;
        // (sums rather than differences: a balance moving the wrong way is a breach, not an underflow revert)
        if (b.sellerNotes != a.sellerNotes + p.notes || a.buyerNotes != b.buyerNotes + p.notes) {
            ghost.breach("a trade moved a different number of notes");
        }
        if (b.buyerTokens != a.buyerTokens + price) ghost.breach("the buyer paid other than the price");
        uint256 fee = a.trading - b.trading; // booked + pending only grows
        if (fee != p.fee) ghost.breach("trading fee != price x sellerFeeBps, rounded down");
        uint256 got = a.sellerTokens > b.sellerTokens ? a.sellerTokens - b.sellerTokens : 0;
        if (a.sellerTokens != b.sellerTokens + price - fee) ghost.breach("the seller got other than price - fee");
        // What the notes earned before the sale stays the seller's; the buyer's claim does not grow by the sale.
        if (a.sellerClaimable != b.sellerClaimable || a.buyerClaimable != b.buyerClaimable) {
            ghost.breach("a trade moved claims already earned");
        }
        if (env.market.listing(address(p.loan), p.seller).notes != p.listing.notes - p.notes) {
            ghost.breach("the listing was not reduced by the notes sold");
        }
        ghost.addTrade(address(p.loan), p.notes, price, fee, got, conserved);
    }

    function _balances(Purchase memory p) private view returns (Balances memory b) {
        b.sellerTokens = env.token.balanceOf(p.seller);
        b.buyerTokens = env.token.balanceOf(p.buyer);
        b.sellerNotes = p.loan.balanceOf(p.seller);
        b.buyerNotes = p.loan.balanceOf(p.buyer);
        b.supply = p.loan.totalSupply();
        // seller fees ever paid: those the Treasury booked plus those in its balance not yet swept
        b.trading = env.treasury.feesCollected(ITreasury.FeeType.Trading) + env.market.feesPending();
        b.sellerClaimable = p.loan.claimable(p.seller);
        b.buyerClaimable = p.loan.claimable(p.buyer);
    }

    /// @dev The price INoteMarket describes, computed here from the loan's standing: the notes' share of the
    /// outstanding principal at the premium, rounded up (for the seller), plus their share of the interest and late
    /// fees accrued and unpaid, net of the servicing fee, rounded down.
    function _expectedPrice(Loan loan, uint256 notes, int256 premiumBps) private view returns (uint256) {
        ILoan.Standing memory st = loan.standing();
        if (st.notes == 0) return 0;
        return Math.mulDiv(notes * st.principalOutstanding, uint256(10_000 + premiumBps), st.notes * BPS, Math.Rounding.Ceil)
            + Math.mulDiv(notes, st.unpaid * (BPS - st.servicingFeeBps), st.notes * BPS);
    }

    /// @dev Active, within the grace period of the next installment, and more than one installment left.
    function _tradable(Loan loan) private view returns (bool) {
        ILoan.Standing memory st = loan.standing();
        return st.status == ILoan.Status.Active && block.timestamp <= st.nextDueDate + st.gracePeriod
            && st.installmentsLeft > 1;
    }

    /// @dev A loan whose notes trade now, searching from the seed; else any active loan (its listings are refused).
    function _tradableLoan(uint256 seed) private view returns (Loan, bool) {
        uint256 n = ghost.loanCount();
        for (uint256 k; k < n; ++k) {
            Loan loan = Loan(ghost.loans((seed % n + k) % n));
            if (_tradable(loan)) return (loan, true);
        }
        return _loanIn(seed, _bit(ILoan.Status.Active));
    }

    /// @dev A (loan, seller) with a live listing, searching loans and then lenders from the seeds: a listing on a
    /// loan that trades now first, else any live listing (its sale is refused).
    function _listed(uint256 loanSeed, uint256 who) private view returns (Loan, address, bool) {
        (Loan loan, address seller, bool ok) = _listedWhere(loanSeed, who, true);
        if (ok) return (loan, seller, ok);
        return _listedWhere(loanSeed, who, false);
    }

    function _listedWhere(uint256 loanSeed, uint256 who, bool tradableOnly) private view returns (Loan, address, bool) {
        uint256 n = ghost.loanCount();
        uint256 m = lenders.length;
        for (uint256 i; i < n; ++i) {
            Loan loan = Loan(ghost.loans((loanSeed % n + i) % n));
            if (tradableOnly && !_tradable(loan)) continue;
            for (uint256 k; k < m; ++k) {
                address l = lenders[(who % m + k) % m];
                if (env.market.listing(address(loan), l).notes != 0) return (loan, l, true);
            }
        }
        return (Loan(address(0)), address(0), false);
    }

    /* ------------------------------------------------------------------ borrowers: autopay */

    /// @dev Enrolling works for the borrower of any loan not closed, paused or not.
    function enrol(uint256 loanSeed, uint256 capSeed) external {
        (Loan loan, bool ok) = _loanIn(
            loanSeed,
            _bit(ILoan.Status.Active) | _bit(ILoan.Status.Funded) | _bit(ILoan.Status.Funding)
                | _bit(ILoan.Status.Pending)
        );
        if (!ok) return;
        address b = loan.borrower();
        uint256 payment = loan.terms().monthlyPayment;
        // One cap in four below the level payment (its collections are refused), else up to three payments.
        uint256 cap = capSeed % 4 == 0 ? bound(capSeed >> 8, 1, payment) : bound(capSeed >> 8, payment, 3 * payment);
        bool open = loan.status() <= ILoan.Status.Active;
        vm.prank(b);
        try env.autopay.enrol(address(loan), cap) {
            if (!open) ghost.breach("enrolled a closed loan");
            if (env.autopay.capOf(address(loan)) != cap) ghost.breach("enrolment stored another cap");
            _count("borrower.enrol");
        } catch {
            if (open) ghost.breach("enrol refused to the borrower of an open loan");
        }
    }

    /// @dev The borrower's token allowance to the autopay (none, unlimited or some), and some cash to pay with.
    function approveAutopay(uint256 who, uint256 amountSeed, uint256 cashSeed) external {
        address b = _borrower(who);
        uint256 m = amountSeed % 6;
        uint256 amount = m == 0 ? 0 : m == 1 ? type(uint256).max : bound(amountSeed >> 8, 1, 3_000 * UNIT);
        env.token.mint(b, bound(cashSeed, 0, 2_000 * UNIT));
        vm.prank(b);
        env.token.approve(address(env.autopay), amount);
        _count("borrower.approveAutopay");
    }

    /// @dev Cancelling works always, paused or not (IAutopay.cancel).
    function cancelAutopay(uint256 loanSeed, uint256 dice) external {
        if (dice % 3 != 0) return; // one call in three: enrolments mostly stay for collections
        (Loan loan, bool ok) = _enrolled(loanSeed);
        if (!ok) return;
        vm.prank(loan.borrower());
        try env.autopay.cancel(address(loan)) {
            if (env.autopay.capOf(address(loan)) != 0) ghost.breach("cancelled autopay still enrolled");
            _count("borrower.cancelAutopay");
        } catch {
            ghost.breach("autopay cancel reverted");
        }
    }

    /* ------------------------------------------------------------------ anyone: collect, repay */

    struct Collect {
        Loan loan;
        address borrower;
        uint256 dueDate;
        uint256 due;
        uint256 cap;
        bool previewOk;
        uint256 previewAmount;
        bool paused;
        uint256 opens;
        uint256 closes;
        uint256 borrowerBefore;
        uint256 loanBefore;
    }

    /// @dev At a time inside the installment's window (from the lead time before its due date to the end of its
    /// grace period) most often, sometimes before it or after it, or whenever the campaign has got to.
    function collect(uint256 loanSeed, uint256 callerSeed, uint256 warpSeed) external {
        _collect(loanSeed, callerSeed, warpSeed);
    }

    /// @dev The keeper's rhythm: inside the window of the installment (when it is still ahead or open).
    function collectInWindow(uint256 loanSeed, uint256 warpSeed) external {
        _collect(loanSeed, 0, (warpSeed & ~uint256(7)) | 2);
    }

    function _collect(uint256 loanSeed, uint256 callerSeed, uint256 warpSeed) private {
        Collect memory c;
        bool ok;
        (c.loan, ok) = _enrolled(loanSeed);
        if (!ok) return;
        _warpAround(c.loan, warpSeed);
        ILoan.Standing memory st = c.loan.standing();
        c.borrower = st.borrower;
        c.dueDate = st.nextDueDate;
        c.due = st.status == ILoan.Status.Active ? c.loan.amountDueBy(c.dueDate) : 0;
        c.cap = env.autopay.capOf(address(c.loan));
        IAutopay.Refusal reason;
        (c.previewOk, reason, c.previewAmount,) = env.autopay.preview(address(c.loan));
        c.paused = env.autopay.paused();
        if (c.dueDate != 0) {
            c.opens = c.dueDate - env.autopay.leadTime();
            c.closes = c.dueDate + st.gracePeriod;
        }
        c.borrowerBefore = env.token.balanceOf(c.borrower);
        c.loanBefore = env.token.balanceOf(address(c.loan));
        address caller = _anyone(callerSeed);
        vm.prank(caller);
        try env.autopay.collect(address(c.loan)) returns (uint256 amount) {
            _checkCollect(c, amount);
            _count("anyone.collect");
        } catch {
            if (c.previewOk && !c.paused) ghost.breach("collect refused though preview said collectable");
            // Coverage: which rule refused it (IAutopay.Refusal; "P" when only the pause did).
            _count(bytes32(abi.encodePacked("anyone.collect.refused.", c.previewOk ? bytes1("P") : bytes1(uint8(48) + uint8(reason)))));
        }
    }

    function _checkCollect(Collect memory c, uint256 amount) private {
        uint256 borrowerAfter = env.token.balanceOf(c.borrower);
        if (borrowerAfter > c.borrowerBefore) ghost.breach("a collection paid the borrower");
        uint256 pulled = c.borrowerBefore - Math.min(borrowerAfter, c.borrowerBefore);
        ghost.addCollection(address(c.loan), c.dueDate, pulled, c.due, c.cap);
        ghost.addRepaid(address(c.loan), amount, SERVICING_FEE_BPS);
        if (pulled != amount) ghost.breach("collect pulled other than it reported");
        if (env.token.balanceOf(address(c.loan)) != c.loanBefore + pulled) ghost.breach("collected tokens did not reach the loan");
        if (pulled != c.due) ghost.breach("collect pulled other than amountDueBy(dueDate)");
        if (!c.previewOk || c.previewAmount != pulled) ghost.breach("collect succeeded other than previewed");
        if (c.paused) ghost.breach("collected while autopay paused");
        if (block.timestamp < c.opens || block.timestamp > c.closes) ghost.breach("collected outside the window");
        // The installment is covered: the next due date moved on (or the loan is repaid).
        ILoan.Standing memory st = c.loan.standing();
        if (st.status == ILoan.Status.Active && st.nextDueDate <= c.dueDate) {
            ghost.breach("a collection left its installment uncovered");
        }
    }

    function _warpAround(Loan loan, uint256 seed) private {
        uint256 due = loan.nextDueDate();
        if (due == 0) return;
        uint256 lead = env.autopay.leadTime();
        uint256 opens = due - lead;
        uint256 closes = due + GRACE;
        uint256 mode = seed % 8;
        uint256 target;
        if (mode >= 2 && mode <= 5) {
            uint256 lo = Math.max(block.timestamp, opens);
            if (lo > closes) return;
            target = bound(seed >> 8, lo, closes);
        } else if (mode == 6) {
            target = opens - bound(seed >> 8, 1, 2 days); // just before the window
        } else if (mode == 7) {
            target = closes + bound(seed >> 8, 1, 5 days); // just after the grace period
        } else {
            return;
        }
        if (target > block.timestamp) vm.warp(target);
    }

    /// @dev Invariant 8 still holds beside autopay: a manual repayment of an amount owed succeeds, whoever pays.
    function repayManually(uint256 loanSeed, uint256 payerSeed, uint256 amountSeed) external {
        (Loan loan, bool ok) = _loanIn(loanSeed, _bit(ILoan.Status.Active));
        if (!ok || loan.status() != ILoan.Status.Active) return;
        uint256 payoff = loan.payoffAmount();
        uint256 due = loan.amountDue();
        if (payoff == 0) return;
        uint256 m = amountSeed % 3;
        uint256 amount = m == 0 && due != 0 ? due : m == 1 && due != 0 ? bound(amountSeed >> 8, 1, due)
            : bound(amountSeed >> 8, 1, payoff);
        uint256 p = payerSeed % 3;
        address from = p == 0 ? loan.borrower() : p == 1 ? payer : env.keeper;
        _mintApprove(from, address(loan), amount);
        bool paused = _anyPaused(loan);
        vm.prank(from);
        try loan.makeRepayment(amount) returns (uint256 paid) {
            ghost.addRepaid(address(loan), paid, SERVICING_FEE_BPS);
            if (paid != amount) ghost.breach("manual repayment paid != amount");
            ghost.mustHaveSucceeded(true, paused, "");
            _count("anyone.repayManually");
        } catch {
            ghost.mustHaveSucceeded(false, paused, "manual makeRepayment reverted");
        }
    }

    /* ------------------------------------------------------------------ guardian, governance */

    function pause(uint256 which) external {
        if ((which >> 8) % 4 != 0) return; // rarely: trading and collections mostly run
        vm.prank(env.guardian);
        if (which % 2 == 0) {
            try env.market.pause() {} catch {}
        } else {
            try env.autopay.pause() {} catch {}
        }
        _count("guardian.pauseMarketAutopay");
    }

    function governanceUnpause() external {
        vm.startPrank(env.gov);
        if (env.market.paused()) env.market.unpause();
        if (env.autopay.paused()) env.autopay.unpause();
        vm.stopPrank();
        _count("governance.unpauseMarketAutopay");
    }

    /// @dev Invariant 7 for the two new contracts and the loan's autopay entry point: each call by an account without
    /// the right reverts with the access error. The callers include a loan itself (which may pull only inside its own
    /// collection, and never record trading fees).
    function tryPrivileged(uint256 which, uint256 callerSeed, uint256 loanSeed) external {
        (Loan loan, bool haveLoan) = _loan(loanSeed);
        if (!haveLoan) return;
        uint256 i = which % ATTEMPTS;
        address target;
        bytes memory data;
        bytes4 expected = IAccessControl.AccessControlUnauthorizedAccount.selector;
        address allowed = env.gov;
        address market = address(env.market);
        address autopay = address(env.autopay);
        if (i == 0) (target, data, expected) = (autopay, abi.encodeCall(IAutopay.pull, (1)), IAutopay.AutopayNotCollecting.selector);
        else if (i == 1) (target, data, expected, allowed) = (address(loan), abi.encodeCall(ILoan.makeRepaymentFor, (1)), ILoan.LoanOnlyAutopay.selector, autopay);
        else if (i == 2) (target, data, allowed) = (address(env.treasury), abi.encodeCall(ITreasury.collectFee, (1, ITreasury.FeeType.Trading)), market);
        else if (i == 3) target = market; // setSellerFee
        else if (i == 4) (target, allowed) = (market, env.guardian); // pause
        else if (i == 5) target = market; // unpause
        else if (i == 6) target = market; // upgradeToAndCall
        else if (i == 7) target = autopay; // setLeadTime
        else if (i == 8) (target, allowed) = (autopay, env.guardian); // pause
        else if (i == 9) target = autopay; // unpause
        else if (i == 10) target = autopay; // upgradeToAndCall
        else if (i == 11) (target, data, expected, allowed) = (autopay, abi.encodeCall(IAutopay.enrol, (address(loan), 1)), IAutopay.AutopayNotBorrower.selector, loan.borrower());
        else if (i == 12) (target, data, expected) = (market, abi.encodeWithSignature("initialize(address,uint256)", address(0xBAD1), 0), bytes4(0xf92ee8a9)); // InvalidInitialization
        else (target, data, expected) = (autopay, abi.encodeWithSignature("initialize(address,uint256)", address(0xBAD1), 0), bytes4(0xf92ee8a9));
        if (i == 3) data = abi.encodeCall(INoteMarket.setSellerFee, (0));
        else if (i == 4 || i == 8) data = abi.encodeWithSignature("pause()");
        else if (i == 5 || i == 9) data = abi.encodeWithSignature("unpause()");
        else if (i == 6 || i == 10) data = abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(env.loanImpl), "");
        else if (i == 7) data = abi.encodeCall(IAutopay.setLeadTime, (0));
        address caller = _attacker(callerSeed, loan);
        if (caller == allowed || caller == env.gov) caller = address(0xBAD2);
        vm.prank(caller);
        (bool success, bytes memory ret) = target.call(data);
        bool refused = !success && ret.length >= 4 && bytes4(ret) == expected;
        ghost.privilegedTried(!refused, string.concat("market/autopay privileged call #", string(_digits(i))));
        _count("attacker.marketAutopay");
    }

    /* ------------------------------------------------------------------ helpers */

    /// @dev An enrolled, active loan, searching from the seed; else any enrolled one; else none.
    function _enrolled(uint256 seed) private view returns (Loan, bool) {
        uint256 n = ghost.loanCount();
        Loan fallback_;
        bool any;
        for (uint256 k; k < n; ++k) {
            Loan loan = Loan(ghost.loans((seed % n + k) % n));
            if (env.autopay.capOf(address(loan)) == 0) continue;
            if (loan.status() == ILoan.Status.Active) return (loan, true);
            if (!any) (fallback_, any) = (loan, true);
        }
        return (fallback_, any);
    }

    function _anyone(uint256 seed) private view returns (address) {
        uint256 w = seed % 4;
        if (w == 0) return env.keeper;
        if (w == 1) return _lender(seed >> 8);
        if (w == 2) return _borrower(seed >> 8);
        return address(0xBAD1);
    }

    function _attacker(uint256 seed, Loan loan) private view returns (address) {
        uint256 w = seed % 7;
        if (w == 0) return address(loan);
        if (w == 1) return env.keeper;
        if (w == 2) return env.guardian;
        if (w == 3) return env.underwriter;
        if (w == 4) return _lender(seed >> 8);
        if (w == 5) return _borrower(seed >> 8);
        return address(0xBAD1);
    }

    function _digits(uint256 v) private pure returns (bytes memory out) {
        out = new bytes(2);
        out[0] = bytes1(uint8(48 + v / 10));
        out[1] = bytes1(uint8(48 + v % 10));
    }
}
