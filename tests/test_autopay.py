"""Autopay: enrolment, cap changes and cancellation; collection at each edge of its window (lead time before the due
date to the end of the grace period); exactly what is due pulled from the borrower into the loan, never above the cap
or the payoff; short balance or allowance; two keepers in one block; a manual payment first; revoked, defaulted,
repaid and paused; the pull call back and the loan's autopay-only entry; roles; and a property over random sequences
of collections and manual payments across a 12-month loan.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import pytest
from eth_abi import decode
from eth_utils import keccak
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from conftest import DAY, MAX_UINT, PERIOD, Status, loan_config, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

BPS = 10_000
GRACE = 15 * DAY
LEAD = 3 * DAY  # the test market's lead time
MAX_LEAD = 15 * DAY
DEFAULT_ADMIN_ROLE = b"\x00" * 32
REASON = b"\x01" * 32


class Refusal(IntEnum):
    """`IAutopay.Refusal`."""

    NOT_ENROLLED = 0
    LOAN_NOT_ACTIVE = 1
    BORROWER_REVOKED = 2
    TOO_EARLY = 3
    TOO_LATE = 4
    NOTHING_DUE = 5
    ABOVE_CAP = 6
    INSUFFICIENT_BALANCE = 7
    INSUFFICIENT_ALLOWANCE = 8
    PAUSED = 9


# ------------------------------------------------------------------------------------------------ helpers


def refused(ap: Any, loan: Any, reason: Refusal, detail: int):
    return reverts(ap.AutopayNotCollectable, loan=loan.address, reason=reason, detail=detail)


def snapshot(market: Any, loan: Any, borrower: Any) -> tuple:
    """What a collection would move: the borrower's and the loan's tokens, and the loan's repayment state."""
    p = loan.position()
    return (market.asset.balanceOf(borrower), market.asset.balanceOf(loan), p.principalOutstanding,
            p.paidTowardSchedule, p.lateFeesOwed, loan.nextDueDate(), market.asset.balanceOf(market.autopay))


def logs_since(chain: Any, block: int, *contracts: Any) -> list:
    return chain.provider.web3.eth.get_logs({"address": [c.address for c in contracts], "fromBlock": block,
                                             "toBlock": "latest"})


def late_fee(loan: Any) -> int:
    cfg = loan.config()
    return max(loan.terms().monthlyPayment * cfg.lateFeeBps // BPS, cfg.lateFeeMin)


@pytest.fixture
def ap(market):
    return market.autopay


@pytest.fixture
def keeper(stranger):
    return stranger


@pytest.fixture
def enrolled(active_loan, ap, market, borrower, unit):
    """A 10,000-token, 12-month active loan, enrolled with a cap of twice the payment; the borrower (who holds the
    drawn principal) has approved Autopay without limit."""
    loan = active_loan(amount_tokens=10_000, term=12)
    ap.enrol(loan, 2 * loan.terms().monthlyPayment, sender=borrower)
    market.asset.approve(ap, MAX_UINT, sender=borrower)
    return loan


# ================================================================================================ enrolment


def test_enrol__borrower__enrolled_cap_changed_and_cancelled(ap, active_loan, borrower, unit):
    loan = active_loan()
    tx = ap.enrol(loan, 1_000 * unit, sender=borrower)
    assert tx.events.filter(ap.AutopayEnrolled) == [ap.AutopayEnrolled(loan=loan.address, borrower=borrower,
                                                                       cap=1_000 * unit)]
    assert ap.capOf(loan) == 1_000 * unit
    tx = ap.enrol(loan, 250 * unit, sender=borrower)  # changing the cap is enrolling again
    assert tx.events.filter(ap.AutopayEnrolled)[0].cap == 250 * unit
    assert ap.capOf(loan) == 250 * unit
    tx = ap.cancel(loan, sender=borrower)
    assert tx.events.filter(ap.AutopayCancelled) == [ap.AutopayCancelled(loan=loan.address, borrower=borrower)]
    assert ap.capOf(loan) == 0
    assert ap.preview(loan) == (False, Refusal.NOT_ENROLLED, 0, 0)


def test_enrol__before_drawdown__allowed(ap, create_loan, borrower, unit):
    loan = create_loan()  # Funding
    ap.enrol(loan, 1_000 * unit, sender=borrower)
    assert ap.capOf(loan) == 1_000 * unit
    assert ap.preview(loan) == (False, Refusal.LOAN_NOT_ACTIVE, Status.FUNDING, 0)


def test_enrol__not_borrower__reverts(ap, active_loan, borrower, stranger, lenders, unit):
    loan = active_loan()
    for caller in (stranger, lenders[0]):
        with reverts(ap.AutopayNotBorrower, caller=caller, borrower=borrower):
            ap.enrol(loan, 1_000 * unit, sender=caller)
    assert ap.capOf(loan) == 0


def test_enrol__not_a_factory_loan__reverts(ap, market, borrower, unit):
    for fake in (market.asset, market.note_market, borrower):
        with reverts(ap.AutopayNotLoan, loan=fake.address):
            ap.enrol(fake, 1_000 * unit, sender=borrower)


def test_enrol__loan_of_an_implementation_naming_another_autopay__refused(ap, project, market, admin, stranger,
                                                                          active_loan, borrower):
    """A loan whose implementation pays through another Autopay (or, on a market upgraded to autopay, a loan made
    before it, whose `config()` has no such field) could never be collected: enrolling it is refused by name, so a
    borrower never believes it is on autopay."""
    market.factory.setLoanImplementation(admin.deploy(project.Loan, loan_config(market, autopay=stranger.address)),
                                         sender=admin)
    loan = active_loan()
    assert loan.config().autopay == stranger.address
    with reverts(ap.AutopayLoanNotSupported, loan=loan.address):
        ap.enrol(loan, 1, sender=borrower)
    assert ap.capOf(loan) == 0


def test_enrol__zero_cap__reverts(ap, active_loan, borrower):
    loan = active_loan()
    with reverts(ap.AutopayZeroCap):
        ap.enrol(loan, 0, sender=borrower)


@pytest.mark.parametrize("closed", [Status.REPAID, Status.DEFAULTED, Status.REJECTED])
def test_enrol__closed_loan__reverts(ap, active_loan, create_loan, factory, underwriter, repay, borrower, stranger,
                                     chain, unit, closed):
    if closed == Status.REJECTED:
        loan = create_loan()
        factory.rejectLoan(loan.loanId(), REASON, sender=underwriter)
    else:
        loan = active_loan()
        if closed == Status.REPAID:
            repay(loan, MAX_UINT)
        else:
            chain.pending_timestamp = loan.position().startTime + PERIOD + 120 * DAY
            loan.handleDefault(sender=stranger)
    assert loan.status() == closed
    with reverts(ap.AutopayLoanClosed, loan=loan.address):
        ap.enrol(loan, 1_000 * unit, sender=borrower)


def test_cancel__not_enrolled__reverts(ap, active_loan, borrower):
    loan = active_loan()
    with reverts(ap.AutopayNotEnrolled, loan=loan.address):
        ap.cancel(loan, sender=borrower)


def test_cancel__not_borrower__reverts(ap, enrolled, borrower, stranger):
    with reverts(ap.AutopayNotBorrower, caller=stranger, borrower=borrower):
        ap.cancel(enrolled, sender=stranger)
    assert ap.capOf(enrolled) != 0


def test_enrol_and_cancel__while_paused__work(ap, enrolled, guardian, borrower, keeper, chain, unit):
    ap.pause(sender=guardian)
    ap.enrol(enrolled, 3_000 * unit, sender=borrower)
    assert ap.capOf(enrolled) == 3_000 * unit
    chain.pending_timestamp = enrolled.nextDueDate()
    with reverts(ap.EnforcedPause):
        ap.collect(enrolled, sender=keeper)
    ap.cancel(enrolled, sender=borrower)
    assert ap.capOf(enrolled) == 0


# ================================================================================================ the window


def test_collect__one_second_before_window__too_early(ap, market, enrolled, borrower, keeper, chain, warp):
    due = enrolled.nextDueDate()
    opens = due - LEAD
    assert ap.leadTime() == LEAD
    warp(opens - 1)
    assert ap.preview(enrolled) == (False, Refusal.TOO_EARLY, opens, due)
    before = snapshot(market, enrolled, borrower)
    chain.pending_timestamp = opens - 1
    with refused(ap, enrolled, Refusal.TOO_EARLY, opens):
        ap.collect(enrolled, sender=keeper)
    assert snapshot(market, enrolled, borrower) == before


def test_collect__at_window_opening__pays_the_installment(ap, market, project, enrolled, borrower, keeper, chain,
                                                         warp):
    loan, token = enrolled, market.asset
    payment = loan.terms().monthlyPayment
    due = loan.nextDueDate()
    start = loan.position().startTime
    assert due == start + PERIOD
    warp(due - LEAD)
    assert loan.amountDueBy(due) == payment
    assert loan.amountDue() == 0  # nothing is due yet today: Autopay collects ahead, by the due date
    assert ap.preview(loan) == (True, Refusal.NOT_ENROLLED, payment, due)

    borrower0, loan0 = token.balanceOf(borrower), token.balanceOf(loan)
    chain.pending_timestamp = due - LEAD
    tx = ap.collect(loan, sender=keeper)

    assert tx.timestamp == due - LEAD
    assert tx.return_value == payment
    assert token.balanceOf(borrower) == borrower0 - payment
    assert token.balanceOf(loan) == loan0 + payment
    assert token.balanceOf(ap) == 0
    assert loan.nextDueDate() == due + PERIOD
    assert loan.position().paidTowardSchedule == payment
    (made,) = tx.events.filter(loan.RepaymentMade)
    # The loan's event names Autopay, its caller, as the payer; Autopay's own event names the borrower and keeper.
    assert made.payer == ap.address
    assert (made.amount, made.lateFees, made.servicingFee) == (payment, 0, payment * 100 // BPS)
    assert made.interest + made.principal == payment
    assert tx.events.filter(ap.AutopayCollected) == [ap.AutopayCollected(
        loan=loan.address, borrower=borrower, caller=keeper, dueDate=due, amount=payment)]
    transfers = tx.events.filter(token.Transfer)
    assert [(t["from"], t.to, t.value) for t in transfers] == [(borrower, loan.address, payment)]
    # The installment is covered: the next one's window is a period later.
    assert ap.preview(loan) == (False, Refusal.TOO_EARLY, due + PERIOD - LEAD, due + PERIOD)


def test_collect__after_due_date_within_grace__installment_without_late_fee(ap, market, enrolled, borrower, keeper,
                                                                           chain, warp):
    loan = enrolled
    payment = loan.terms().monthlyPayment
    due = loan.nextDueDate()
    warp(due + GRACE - 1)
    assert loan.position().lateFeesOwed == 0
    assert loan.amountDueBy(due) == loan.amountDue() == payment
    before = market.asset.balanceOf(borrower)
    chain.pending_timestamp = due + GRACE - 1
    tx = ap.collect(loan, sender=keeper)
    assert tx.return_value == payment
    assert tx.events.filter(loan.RepaymentMade)[0].lateFees == 0
    assert tx.events.filter(loan.LateFeeAssessed) == []
    assert before - market.asset.balanceOf(borrower) == payment
    assert loan.nextDueDate() == due + PERIOD


def test_collect__last_second_of_grace__includes_the_late_fee_the_loan_assesses_then(ap, market, enrolled, borrower,
                                                                                     keeper, chain):
    """The loan assesses a late fee at `dueDate + gracePeriod` itself (its grace is [due, due + grace)), while
    Autopay's window (and the note market's `MarketLoanLate`) still includes that second: a collection then pays
    the installment and the late fee, as IAutopay says ("late fees included")."""
    loan = enrolled
    payment, fee = loan.terms().monthlyPayment, late_fee(loan)
    due = loan.nextDueDate()
    before = market.asset.balanceOf(borrower)
    chain.pending_timestamp = due + GRACE
    tx = ap.collect(loan, sender=keeper)
    assert tx.return_value == payment + fee
    assert tx.events.filter(loan.LateFeeAssessed) == [loan.LateFeeAssessed(installments=1, amount=fee)]
    assert tx.events.filter(loan.RepaymentMade)[0].lateFees == fee
    assert before - market.asset.balanceOf(borrower) == payment + fee
    assert loan.position().lateFeesOwed == 0
    assert loan.nextDueDate() == due + PERIOD


def test_collect__one_second_after_grace__too_late(ap, market, enrolled, borrower, keeper, chain, warp):
    due = enrolled.nextDueDate()
    closes = due + GRACE
    warp(closes + 1)
    assert ap.preview(enrolled) == (False, Refusal.TOO_LATE, closes, due)
    before = snapshot(market, enrolled, borrower)
    chain.pending_timestamp = closes + 1
    with refused(ap, enrolled, Refusal.TOO_LATE, closes):
        ap.collect(enrolled, sender=keeper)
    assert snapshot(market, enrolled, borrower) == before


def test_collect__each_installment_in_turn__exactly_amount_due_by_then_payoff_closes(ap, market, enrolled, borrower,
                                                                                    keeper, factory, chain, warp,
                                                                                    unit):
    """Ten installments prepaid by hand, then Autopay collects the eleventh (the level payment) and the twelfth: the
    payoff, exactly what is owed then, which closes the loan."""
    loan, token = enrolled, market.asset
    payment = loan.terms().monthlyPayment
    start = loan.position().startTime
    loan_pay = 10 * payment
    token.mint(borrower, 5_000 * unit, sender=borrower)
    token.approve(loan, loan_pay, sender=borrower)
    loan.makeRepayment(loan_pay, sender=borrower)
    assert loan.nextDueDate() == start + 11 * PERIOD

    due11 = start + 11 * PERIOD
    chain.pending_timestamp = due11 - LEAD
    tx = ap.collect(loan, sender=keeper)
    assert tx.return_value == payment
    assert loan.standing().installmentsLeft == 1

    due12 = start + 12 * PERIOD
    at = due12 - 1 * DAY
    warp(at)
    payoff = loan.payoffAmount()
    assert loan.amountDueBy(due12) == payoff < payment  # the schedule ran ahead: less interest is left
    assert ap.preview(loan) == (True, Refusal.NOT_ENROLLED, payoff, due12)
    outstanding = loan.position().principalOutstanding
    before = token.balanceOf(borrower)
    chain.pending_timestamp = at
    tx = ap.collect(loan, sender=keeper)
    assert tx.return_value == payoff
    assert before - token.balanceOf(borrower) == payoff
    (made,) = tx.events.filter(loan.RepaymentMade)
    assert (made.amount, made.principal, made.principalOutstanding) == (payoff, outstanding, 0)
    assert tx.events.filter(loan.LoanRepaid) == [loan.LoanRepaid()]
    assert tx.events.filter(ap.AutopayCollected)[0].dueDate == due12
    assert loan.status() == Status.REPAID and loan.payoffAmount() == 0
    assert ap.preview(loan) == (False, Refusal.LOAN_NOT_ACTIVE, Status.REPAID, 0)
    with refused(ap, loan, Refusal.LOAN_NOT_ACTIVE, Status.REPAID):
        ap.collect(loan, sender=keeper)


def test_collect__above_cap__refused_until_cap_raised(ap, market, enrolled, borrower, keeper, chain, warp):
    loan = enrolled
    payment = loan.terms().monthlyPayment
    due = loan.nextDueDate()
    ap.enrol(loan, payment - 1, sender=borrower)
    warp(due)
    assert ap.preview(loan) == (False, Refusal.ABOVE_CAP, payment, due)
    before = snapshot(market, loan, borrower)
    chain.pending_timestamp = due
    with refused(ap, loan, Refusal.ABOVE_CAP, payment):
        ap.collect(loan, sender=keeper)
    assert snapshot(market, loan, borrower) == before
    ap.enrol(loan, payment, sender=borrower)  # a cap of exactly the payment is enough
    assert ap.collect(loan, sender=keeper).return_value == payment


def test_collect__late_fee_pushes_amount_above_cap__refused(ap, enrolled, borrower, keeper, chain):
    loan = enrolled
    payment = loan.terms().monthlyPayment
    ap.enrol(loan, payment, sender=borrower)
    due = loan.nextDueDate()
    chain.pending_timestamp = due + GRACE
    with refused(ap, loan, Refusal.ABOVE_CAP, payment + late_fee(loan)):
        ap.collect(loan, sender=keeper)


# ================================================================================================ balance and allowance


def test_collect__insufficient_balance__nothing_moves_then_succeeds_after_top_up(ap, market, enrolled, borrower,
                                                                                keeper, stranger, chain, warp):
    loan, token = enrolled, market.asset
    payment = loan.terms().monthlyPayment
    token.transfer(stranger, token.balanceOf(borrower) - (payment - 1), sender=borrower)
    due = loan.nextDueDate()
    warp(due - 1)
    assert ap.preview(loan) == (False, Refusal.INSUFFICIENT_BALANCE, payment, due)
    before, block = snapshot(market, loan, borrower), chain.blocks.height + 1
    chain.pending_timestamp = due
    with refused(ap, loan, Refusal.INSUFFICIENT_BALANCE, payment):
        ap.collect(loan, sender=keeper)
    assert snapshot(market, loan, borrower) == before
    assert logs_since(chain, block, loan, ap, token) == []
    token.mint(borrower, 1, sender=borrower)
    tx = ap.collect(loan, sender=keeper)
    assert tx.return_value == payment and token.balanceOf(borrower) == 0


def test_collect__insufficient_allowance__nothing_moves_then_succeeds_after_approval(ap, market, enrolled, borrower,
                                                                                    keeper, chain, warp):
    loan, token = enrolled, market.asset
    payment = loan.terms().monthlyPayment
    token.approve(ap, payment - 1, sender=borrower)
    due = loan.nextDueDate()
    warp(due - 1)
    assert ap.preview(loan) == (False, Refusal.INSUFFICIENT_ALLOWANCE, payment, due)
    before, block = snapshot(market, loan, borrower), chain.blocks.height + 1
    chain.pending_timestamp = due
    with refused(ap, loan, Refusal.INSUFFICIENT_ALLOWANCE, payment):
        ap.collect(loan, sender=keeper)
    assert snapshot(market, loan, borrower) == before
    assert logs_since(chain, block, loan, ap, token) == []
    token.approve(ap, payment, sender=borrower)
    assert ap.collect(loan, sender=keeper).return_value == payment
    assert token.allowance(borrower, ap) == 0


# ================================================================================================ races and order


def test_collect__two_keepers_same_block__installment_paid_once(ap, market, enrolled, borrower, keeper, lenders,
                                                               chain):
    """Both keepers' transactions are in one block. The first pays the installment and moves the loan's next due
    date a period on; the second then finds the *next* installment's window not yet open: `TooEarly` (3) with that
    window's opening, not `NothingDue` (5) (an active loan always has at least part of an installment due by its
    next due date, so `NothingDue` cannot occur here)."""
    loan, token = enrolled, market.asset
    payment = loan.terms().monthlyPayment
    due = loan.nextDueDate()
    before = token.balanceOf(borrower)
    rpc = chain.provider.web3.provider.make_request
    data = "0x" + bytes(ap.collect.encode_input(loan)).hex()
    chain.pending_timestamp = due - DAY
    rpc("evm_setAutomine", [False])
    try:
        sent = [rpc("eth_sendTransaction", [{"from": who.address, "to": ap.address, "gas": hex(1_000_000),
                                             "data": data}]) for who in (keeper, lenders[3])]
        assert all("error" not in s for s in sent), sent
        rpc("evm_mine", [])
    finally:
        rpc("evm_setAutomine", [True])
    receipts = [rpc("eth_getTransactionReceipt", [s["result"]])["result"] for s in sent]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    assert sorted(r["status"] for r in receipts) == ["0x0", "0x1"]
    ok, failed = sorted(zip(receipts, sent), key=lambda rs: rs[0]["status"], reverse=True)
    assert int(ok[0]["transactionIndex"], 16) < int(failed[0]["transactionIndex"], 16)

    trace = rpc("debug_traceTransaction", [failed[1]["result"], {"tracer": "callTracer"}])["result"]
    output = bytes.fromhex(trace["output"][2:])
    assert output[:4] == keccak(text="AutopayNotCollectable(address,uint8,uint256)")[:4]
    (failed_loan, reason, detail) = decode(["address", "uint8", "uint256"], output[4:])
    assert (failed_loan.lower(), reason, detail) == (loan.address.lower(), Refusal.TOO_EARLY,
                                                    due + PERIOD - LEAD)

    assert before - token.balanceOf(borrower) == payment  # once
    assert loan.position().paidTowardSchedule == payment
    assert loan.nextDueDate() == due + PERIOD
    assert len(logs_since(chain, int(ok[0]["blockNumber"], 16), ap)) == 1  # one AutopayCollected


def test_collect__after_manual_payment__refused_nothing_pulled(ap, market, enrolled, borrower, keeper, chain, warp):
    loan, token = enrolled, market.asset
    payment = loan.terms().monthlyPayment
    due = loan.nextDueDate()
    token.approve(loan, payment, sender=borrower)
    chain.pending_timestamp = due - LEAD
    loan.makeRepayment(payment, sender=borrower)
    before = snapshot(market, loan, borrower)
    chain.pending_timestamp = due
    with refused(ap, loan, Refusal.TOO_EARLY, due + PERIOD - LEAD):
        ap.collect(loan, sender=keeper)
    assert snapshot(market, loan, borrower) == before
    assert loan.position().paidTowardSchedule == payment


def test_collect__after_partial_manual_payment__pulls_only_the_rest(ap, market, enrolled, borrower, keeper, chain):
    loan, token = enrolled, market.asset
    payment = loan.terms().monthlyPayment
    due = loan.nextDueDate()
    part = payment // 3
    token.approve(loan, part, sender=borrower)
    loan.makeRepayment(part, sender=borrower)
    before = token.balanceOf(borrower)
    chain.pending_timestamp = due
    tx = ap.collect(loan, sender=keeper)
    assert tx.return_value == payment - part
    assert before - token.balanceOf(borrower) == payment - part
    assert loan.position().paidTowardSchedule == payment
    assert loan.nextDueDate() == due + PERIOD


# ================================================================================================ stops


def test_collect__revoked_borrower__refused(ap, market, enrolled, borrower, keeper, revoker, chain, warp):
    due = enrolled.nextDueDate()
    market.registry.revokeUser(borrower, REASON, sender=revoker)
    warp(due - 1)
    assert ap.preview(enrolled) == (False, Refusal.BORROWER_REVOKED, 0, due)
    before = snapshot(market, enrolled, borrower)
    chain.pending_timestamp = due
    with refused(ap, enrolled, Refusal.BORROWER_REVOKED, 0):
        ap.collect(enrolled, sender=keeper)
    assert snapshot(market, enrolled, borrower) == before


def test_collect__defaulted__refused_loan_not_active(ap, market, enrolled, borrower, keeper, stranger, chain):
    chain.pending_timestamp = enrolled.position().startTime + PERIOD + 120 * DAY
    enrolled.handleDefault(sender=stranger)
    assert ap.preview(enrolled) == (False, Refusal.LOAN_NOT_ACTIVE, Status.DEFAULTED, 0)
    before = market.asset.balanceOf(borrower)
    with refused(ap, enrolled, Refusal.LOAN_NOT_ACTIVE, Status.DEFAULTED):
        ap.collect(enrolled, sender=keeper)
    assert market.asset.balanceOf(borrower) == before


def test_collect__repaid__refused_loan_not_active(ap, enrolled, repay, keeper, chain):
    repay(enrolled, MAX_UINT)
    chain.pending_timestamp = enrolled.position().startTime + PERIOD
    with refused(ap, enrolled, Refusal.LOAN_NOT_ACTIVE, Status.REPAID):
        ap.collect(enrolled, sender=keeper)


def test_collect__not_enrolled__refused(ap, active_loan, keeper, chain):
    loan = active_loan()
    chain.pending_timestamp = loan.nextDueDate()
    with refused(ap, loan, Refusal.NOT_ENROLLED, 0):
        ap.collect(loan, sender=keeper)


def test_collect__paused__refused_until_unpaused(ap, market, enrolled, borrower, keeper, guardian, admin, chain,
                                                 warp):
    payment = enrolled.terms().monthlyPayment
    due = enrolled.nextDueDate()
    ap.pause(sender=guardian)
    warp(due - 1)
    assert ap.preview(enrolled) == (False, Refusal.PAUSED, 0, 0)  # preview says why collect would fail
    before = snapshot(market, enrolled, borrower)
    chain.pending_timestamp = due
    with reverts(ap.EnforcedPause):
        ap.collect(enrolled, sender=keeper)
    assert snapshot(market, enrolled, borrower) == before
    ap.unpause(sender=admin)
    assert ap.preview(enrolled)[:3] == (True, Refusal.NOT_ENROLLED, payment)
    assert ap.collect(enrolled, sender=keeper).return_value == payment


# ================================================================================================ call backs


def test_pull__outside_a_collection__reverts(ap, enrolled, stranger, borrower, as_contract, unit):
    for caller in (stranger, borrower, as_contract(enrolled)):
        with reverts(ap.AutopayNotCollecting, caller=caller.address):
            ap.pull(1 * unit, sender=caller)


def test_make_repayment_for__not_autopay__reverts(enrolled, market, borrower, stranger, keeper, unit):
    market.asset.approve(enrolled, MAX_UINT, sender=borrower)
    for caller in (borrower, stranger):
        with reverts(enrolled.LoanOnlyAutopay, caller=caller):
            enrolled.makeRepaymentFor(1 * unit, sender=caller)


# ================================================================================================ roles


@pytest.mark.parametrize("who", ["admin", "stranger", "borrower"])
def test_pause__not_guardian__reverts(ap, who, admin, stranger, borrower):
    caller = {"admin": admin, "stranger": stranger, "borrower": borrower}[who]
    with reverts(ap.AccessControlUnauthorizedAccount, account=caller, neededRole=ap.GUARDIAN_ROLE()):
        ap.pause(sender=caller)
    assert not ap.paused()


@pytest.mark.parametrize("who", ["guardian", "stranger"])
def test_unpause__not_admin__reverts(ap, who, guardian, stranger):
    ap.pause(sender=guardian)
    caller = {"guardian": guardian, "stranger": stranger}[who]
    with reverts(ap.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
        ap.unpause(sender=caller)
    assert ap.paused()


def test_set_lead_time__admin_within_range__moves_the_window(ap, enrolled, admin, guardian, stranger, keeper, chain):
    for caller in (guardian, stranger):
        with reverts(ap.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            ap.setLeadTime(DAY, sender=caller)
    with reverts(ap.AutopayLeadTimeOutOfRange, leadTime=MAX_LEAD + 1, maxLeadTime=MAX_LEAD):
        ap.setLeadTime(MAX_LEAD + 1, sender=admin)
    assert ap.leadTime() == LEAD
    tx = ap.setLeadTime(MAX_LEAD, sender=admin)
    assert tx.events.filter(ap.LeadTimeSet) == [ap.LeadTimeSet(leadTime=MAX_LEAD)]
    assert ap.leadTime() == MAX_LEAD

    due = enrolled.nextDueDate()
    chain.pending_timestamp = due - MAX_LEAD - 1
    with refused(ap, enrolled, Refusal.TOO_EARLY, due - MAX_LEAD):
        ap.collect(enrolled, sender=keeper)
    chain.pending_timestamp = due - MAX_LEAD
    assert ap.collect(enrolled, sender=keeper).return_value == enrolled.terms().monthlyPayment

    ap.setLeadTime(0, sender=admin)  # collection opens on the due date itself
    due = enrolled.nextDueDate()
    chain.pending_timestamp = due - 1
    with refused(ap, enrolled, Refusal.TOO_EARLY, due):
        ap.collect(enrolled, sender=keeper)


# ================================================================================================ property

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                             suppress_health_check=list(HealthCheck))
# When a step happens, relative to the loan's next due date then: often on an edge of the window, else anywhere near it.
OFFSET = st.one_of(st.sampled_from([-LEAD - 1, -LEAD, 0, GRACE - 1, GRACE, GRACE + 1]),
                   st.integers(-LEAD - 2 * DAY, GRACE + 2 * DAY))
STEP = st.tuples(
    st.sampled_from(["collect", "collect", "collect", "pay", "wait"]),
    OFFSET,  # collect / pay: at next due date + offset (or a second later than the last block); wait: a period + it
    st.integers(1, 250),  # a manual payment, in % of the level payment
)
ON_TIME = [("collect", 0, 0)] * 12  # every installment on its due date, the last one the payoff


def test_property__random_collections_and_manual_payments__never_more_than_due_or_twice(
    ap, market, active_loan, borrower, keeper, chain, warp, unit
):
    """Random collection attempts at random times across a 12-month loan, with manual partial payments between them:
    each attempt does exactly what the window model predicts (too early / too late / above the cap / collected); a
    collection pulls exactly `amountDueBy(dueDate)` at that moment, at most the cap and the payoff, brings the schedule
    to exactly the installment it collected (never beyond), and no due date is ever collected twice."""
    loan, token = active_loan(amount_tokens=10_000, term=12), market.asset
    payment = loan.terms().monthlyPayment
    token.mint(borrower, 100_000 * unit, sender=borrower)
    token.approve(ap, MAX_UINT, sender=borrower)
    token.approve(loan, MAX_UINT, sender=borrower)
    start = loan.position().startTime

    @PROPERTY_SETTINGS
    @given(cap_pct=st.one_of(st.integers(95, 106), st.integers(100, 300)),
           steps=st.lists(STEP, min_size=5, max_size=20))
    @example(cap_pct=200, steps=ON_TIME)
    @example(cap_pct=101, steps=[("collect", GRACE, 0), ("wait", 0, 0), ("collect", GRACE + 1, 0),
                                 ("pay", 0, 250), ("collect", -LEAD, 0)])
    def check(cap_pct, steps):
        snap = chain.snapshot()
        try:
            cap = payment * cap_pct // 100
            ap.enrol(loan, cap, sender=borrower)
            now = chain.blocks.head.timestamp
            collected: list[int] = []
            toward_schedule = late_fees_pulled = late_fees_assessed = 0
            for action, offset, pct in steps:
                if action == "wait":
                    now += PERIOD + offset
                else:
                    now = max(now + 1, loan.nextDueDate() + offset)
                warp(now)
                st_ = loan.standing()
                if st_.status != Status.ACTIVE:
                    break
                if action == "wait":
                    continue
                if action == "pay":
                    chain.pending_timestamp = now
                    tx = loan.makeRepayment(payment * pct // 100, sender=borrower)
                    late_fees_assessed += sum(e.amount for e in tx.events.filter(loan.LateFeeAssessed))
                    continue
                due = st_.nextDueDate
                k = (due - start) // PERIOD  # the installment in the window
                paid = loan.position().paidTowardSchedule
                value, payoff = loan.amountDueBy(due), loan.payoffAmount()
                if now < due - LEAD:
                    expected = (Refusal.TOO_EARLY, due - LEAD)
                elif now > due + GRACE:
                    expected = (Refusal.TOO_LATE, due + GRACE)
                elif value > cap:
                    expected = (Refusal.ABOVE_CAP, value)
                else:
                    expected = None
                preview = ap.preview(loan)
                balance = token.balanceOf(borrower)
                chain.pending_timestamp = now
                if expected:
                    assert preview[:3] == (False, *expected)
                    with refused(ap, loan, *expected):
                        ap.collect(loan, sender=keeper)
                    assert token.balanceOf(borrower) == balance
                    continue
                assert preview == (True, Refusal.NOT_ENROLLED, value, due)
                tx = ap.collect(loan, sender=keeper)
                amount = tx.return_value
                assert amount == value <= min(cap, payoff)
                assert balance - token.balanceOf(borrower) == amount
                assert due not in collected  # one installment is never collected twice
                collected.append(due)
                (made,) = tx.events.filter(loan.RepaymentMade)
                late_fees_assessed += sum(e.amount for e in tx.events.filter(loan.LateFeeAssessed))
                late_fees_pulled += made.lateFees
                if k < 12:
                    # Exactly up to the installment collected: late fees, then what the schedule lacked.
                    assert made.interest + made.principal == k * payment - paid
                    assert loan.position().paidTowardSchedule == k * payment
                    assert loan.position().lateFeesOwed == 0
                    assert loan.nextDueDate() == due + PERIOD
                    toward_schedule += made.interest + made.principal
                else:
                    assert loan.status() == Status.REPAID and amount == payoff
            # Autopay never paid an installment twice: toward the schedule it paid at most one level payment per
            # installment it collected (the final payoff aside), and no late fee that was not assessed.
            installments = len([d for d in collected if (d - start) // PERIOD < 12])
            assert toward_schedule <= installments * payment
            assert late_fees_pulled <= late_fees_assessed
        finally:
            chain.restore(snap)

    check()
