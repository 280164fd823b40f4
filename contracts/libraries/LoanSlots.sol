// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ILoan} from "../interfaces/ILoan.sol";
import {LoanMath} from "./LoanMath.sol";

/// @dev The storage slots of one `Loan` clone, packed so that each operation touches as few slots as possible. They
/// are private to `Loan` (a clone's layout is fixed by its implementation; loans are never upgraded in place).

/// @dev The borrower, the status and the pause flag share a slot: funding reads all three in one load.
struct TermsSlot {
    address borrower;
    ILoan.Status status;
    bool paused;
    uint8 grade;
    uint8 purpose;
    uint16 originationFeeBps;
}

struct FundingSlot {
    uint128 goal;
    uint40 fundingDeadline;
    uint40 fundedAt;
    uint32 fundingPeriod;
}

/// @dev Everything a repayment reads and writes sits in these slots plus the accumulator.
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

/// @dev Written once, at default: the reserve's cover and the principal it was a share of (subrogation).
struct DefaultSlot {
    uint128 cover;
    uint128 principalAtDefault;
}

/// @dev A noteholder's claim state. `owed` is credited in whole token units; `accSnapshot` is the accumulator
/// value up to which the holder's notes are credited, set back by the sub-unit remainder so that it is carried
/// to the next checkpoint instead of being dropped (see `_checkpoint`). For a holder with no notes it holds the
/// remainder itself.
struct Holder {
    uint128 accSnapshot;
    uint128 owed;
}

/// @dev Loads the repayment slots into memory (`LoanMath.State`).
function loadState(TermsSlot storage t, BalanceSlot storage b, StateSlot storage st, ArrearsSlot storage a)
    view
    returns (LoanMath.State memory s)
{
    s.status = t.status;
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

/// @dev Stores what a repayment, an accrual or a default changed (the status only when it changed).
function storeState(
    LoanMath.State memory s,
    TermsSlot storage t,
    BalanceSlot storage b,
    StateSlot storage st,
    ArrearsSlot storage a
) {
    b.principalOutstanding = uint128(s.outstanding); // never above the principal, a uint128
    if (s.status != t.status) t.status = s.status;
    st.lastAccrual = uint40(s.lastAccrual); // a block timestamp
    st.lateFeeIndex = uint16(s.lateFeeIndex); // at most the term, ≤ 600
    st.interestOwed = SafeCast.toUint112(s.interestOwed);
    a.paidTowardSchedule = SafeCast.toUint128(s.paid);
    a.lateFeesOwed = SafeCast.toUint128(s.lateFeesOwed);
}
