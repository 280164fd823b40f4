"""A hypothesis state machine over one loan: random funders and amounts, drawdown or partial acceptance or expiry,
payments of random size (early, on time, late, prepaying, paying off), note transfers between lenders, claims (own
and by an approved claimer), refunds, defaults, fee sweeps, time jumps, and the market (or just this loan) paused
and unpaused at random.
After every step it checks DESIGN.md invariants 1, 2, 3 and 8.

Each example starts from a chain snapshot taken in ``__init__`` and restored in ``teardown``; the market itself comes
from the session fixtures (ape reverts the whole test afterwards as usual).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from eth_abi import decode
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from disfruta.attestations import Role

from conftest import DAY, MAX_UINT, Status, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

GOAL_TOKENS, TERM, FUNDING_PERIOD = 2_000, 6, 30 * DAY
# No shrinking: on a chain it takes minutes; a failure prints its (at most 25) steps and its seed to replay it.
MACHINE_SETTINGS = settings(max_examples=10, stateful_step_count=25, deadline=None,
                            phases=(Phase.explicit, Phase.reuse, Phase.generate),
                            suppress_health_check=list(HealthCheck))
BEFORE_DRAWDOWN = (Status.FUNDING, Status.FUNDED)
REFUNDABLE = (Status.REJECTED, Status.EXPIRED)


class Views:
    """Reads many views in one JSON-RPC batch (one HTTP round trip instead of one ape call each): the machine reads
    about fifteen views after every step. Calldata is encoded by ape once per call; results are decoded with the
    method's own ABI, structs into namespaces by field name."""

    def __init__(self, chain) -> None:
        self.provider = chain.provider.web3.provider
        self.encoded: dict[tuple, tuple[dict, Any]] = {}

    def read(self, calls: dict[str, tuple]) -> SimpleNamespace:
        """``read({"supply": (loan, "totalSupply"), "notes0": (loan, "balanceOf", alice)})`` plus ``now``."""
        batch, abis = [], []
        for contract, method, *args in calls.values():
            key = (contract.address, method, *map(str, args))
            if key not in self.encoded:
                handler = getattr(contract, method)
                data = "0x" + bytes(handler.encode_input(*args)).hex()
                self.encoded[key] = ({"to": contract.address, "data": data}, handler.abis[0])
            call, abi = self.encoded[key]
            batch.append(("eth_call", [call, "latest"]))
            abis.append(abi)
        batch.append(("eth_getBlockByNumber", ["latest", False]))
        responses = self.provider.make_batch_request(batch)
        assert isinstance(responses, list), responses
        assert all("error" not in r for r in responses), responses
        values = {}
        for name, abi, response in zip(calls, abis, responses):
            (value,) = decode([o.canonical_type for o in abi.outputs], bytes.fromhex(response["result"][2:]))
            components = abi.outputs[0].components
            values[name] = SimpleNamespace(**dict(zip([c.name for c in components], value))) if components else value
        values["now"] = int(responses[-1]["result"]["timestamp"], 16)
        return SimpleNamespace(**values)


class LoanMachine(RuleBasedStateMachine):
    ctx: SimpleNamespace  # set by the test: market objects, accounts, chain

    def __init__(self) -> None:
        super().__init__()
        c = self.ctx
        self.snapshot = c.chain.snapshot()
        tx = c.factory.createLoan(GOAL_TOKENS * c.unit, TERM, 0, FUNDING_PERIOD, sender=c.borrower)
        self.loan = c.project.Loan.at(tx.events.filter(c.factory.LoanCreated)[0].loan)
        c.factory.approveLoan(self.loan.loanId(), sender=c.underwriter)
        for who in [*c.lenders, c.borrower, c.stranger]:
            c.token.approve(self.loan, MAX_UINT, sender=who)
        self.loan.setClaimer(c.stranger, True, sender=c.lenders[0])
        self.note = self.loan.config().minNote
        # Ghost books, kept from events: what was minted and burnt, what the loan received, the fees it kept.
        self.minted = self.burnt = self.received = self.fees = 0
        self.claimed = [0] * len(c.lenders)
        self.market_paused = self.loan_paused = False
        self.refresh()
        self.start = self.now

    def teardown(self) -> None:
        self.ctx.chain.restore(self.snapshot)

    # ------------------------------------------------------------------------------------------- chain view

    def refresh(self) -> None:
        """Reads the loan once per step; preconditions use this copy."""
        loan, c = self.loan, self.ctx
        calls = {"pos": (loan, "position"), "supply": (loan, "totalSupply"), "balance": (c.token, "balanceOf", loan),
                 "payoff": (loan, "payoffAmount"), "past_due": (loan, "daysPastDue"), "terms": (loan, "terms")}
        for i, lender in enumerate(c.lenders):
            calls[f"notes{i}"] = (loan, "balanceOf", lender)
            calls[f"claimable{i}"] = (loan, "claimable", lender)
        v = c.views.read(calls)
        self.now, self.pos, self.supply, self.balance = v.now, v.pos, v.supply, v.balance
        self.status = Status(v.pos.status)
        self.notes = [getattr(v, f"notes{i}") for i in range(len(c.lenders))]
        self.claimable = [getattr(v, f"claimable{i}") for i in range(len(c.lenders))]
        self.payoff, self.past_due, self.terms = v.payoff, v.past_due, v.terms
        self.payment = v.terms.monthlyPayment

    def next_tx_at(self) -> int:
        """Pins the next transaction one second after the last block, so the preconditions' time is exact."""
        self.ctx.chain.pending_timestamp = self.now + 1
        return self.now + 1

    # ------------------------------------------------------------------------------------------- funding

    @initialize(notes=st.lists(st.integers(0, 60), min_size=4, max_size=4), draw=st.integers(0, 3))
    def open_funding(self, notes, draw):
        """Most examples start funded by several lenders and drawn; the rest start in funding."""
        goal = GOAL_TOKENS * self.ctx.unit
        for who, count in enumerate(notes):
            amount = min(count * self.note, goal - self.minted)
            if amount:
                self.loan.fundLoan(amount, sender=self.ctx.lenders[who])
                self.minted += amount
        if self.minted == goal and draw:
            self.loan.withdrawFunds(sender=self.ctx.borrower)
        self.refresh()

    @precondition(lambda self: self.status == Status.FUNDING and self.now + 1 <= self.pos.fundingDeadline)
    @rule(who=st.integers(0, 3), notes=st.integers(1, 80))
    def fund(self, who, notes):
        loan, lender = self.loan, self.ctx.lenders[who]
        amount = min(notes * self.note, GOAL_TOKENS * self.ctx.unit - self.supply)
        self.next_tx_at()
        if self.paused:
            with reverts(loan.LoanPausedError):
                loan.fundLoan(amount, sender=lender)
            return
        loan.fundLoan(amount, sender=lender)
        self.minted += amount

    @precondition(lambda self: self.status == Status.FUNDED)
    @rule()
    def draw(self):
        at = self.next_tx_at()
        if self.paused:
            with reverts(self.loan.LoanPausedError):
                self.loan.withdrawFunds(sender=self.ctx.borrower)
            return
        draw_by = self.pos.fundedAt + 30 * DAY  # the drawdown window (Loan config), checked after the pause
        if at > draw_by:
            with reverts(self.loan.LoanDrawdownWindowClosed, deadline=draw_by, nowTs=at):
                self.loan.withdrawFunds(sender=self.ctx.borrower)
            return
        self.loan.withdrawFunds(sender=self.ctx.borrower)

    @precondition(lambda self: self.status == Status.FUNDING and self.pos.fundingDeadline < self.now + 1
                  <= self.pos.fundingDeadline + 7 * DAY and self.supply * 10 >= GOAL_TOKENS * self.ctx.unit * 7)
    @rule()
    def accept_partial(self):
        self.next_tx_at()
        tx = self.loan.acceptPartialFunding(sender=self.ctx.borrower)
        assert tx.events.filter(self.loan.PartialFundingAccepted)[0].principal == self.supply

    @precondition(lambda self: self.status in (Status.FUNDING, Status.FUNDED))
    @rule()
    def expire(self):
        at, f = self.next_tx_at(), self.pos
        if self.status == Status.FUNDING:
            expirable = at > f.fundingDeadline and (self.supply * 10 < GOAL_TOKENS * self.ctx.unit * 7
                                                    or at > f.fundingDeadline + 7 * DAY)
        else:
            expirable = at > f.fundedAt + 30 * DAY
        if not expirable:
            with reverts(self.loan.LoanCannotExpire, status=self.status):
                self.loan.expire(sender=self.ctx.stranger)
            return
        self.loan.expire(sender=self.ctx.stranger)

    @precondition(lambda self: self.status == Status.FUNDING)
    @rule(coin=st.integers(0, 9))
    def reject(self, coin):
        if coin == 0:  # rarely: a rejection ends the example's interesting part
            self.next_tx_at()
            self.ctx.factory.rejectLoan(self.loan.loanId(), b"\x00" * 32, sender=self.ctx.underwriter)

    # ------------------------------------------------------------------------------------------- repayment

    # Invariant 8: paused or not, every repayment that is otherwise valid succeeds (no pause check here).
    @precondition(lambda self: self.payoff > 0)
    @rule(percent=st.one_of(st.integers(1, 300), st.just(None)), by_stranger=st.booleans())
    def repay(self, percent, by_stranger):
        amount = MAX_UINT if percent is None else max(1, self.payment * percent // 100)
        self.next_tx_at()
        payer = self.ctx.stranger if by_stranger else self.ctx.borrower
        tx = self.loan.makeRepayment(amount, sender=payer)
        (event,) = tx.events.filter(self.loan.RepaymentMade)
        # It pays what was asked, capped at what is owed (which may have grown by a second's interest since the view).
        assert (event.amount == amount) if amount < self.payoff else (self.payoff <= event.amount <= amount)
        self.received += event.amount
        self.fees += event.servicingFee

    @precondition(lambda self: self.status == Status.ACTIVE and self.past_due >= 120)
    @rule()
    def default(self):
        self.next_tx_at()
        tx = self.loan.handleDefault(sender=self.ctx.stranger)
        self.received += tx.events.filter(self.loan.LoanDefaulted)[0].reserveCover

    @precondition(lambda self: self.pos.feesAccrued > 0)
    @rule()
    def sweep(self):
        self.next_tx_at()
        tx = self.loan.sweepFees(sender=self.ctx.stranger)
        assert tx.events.filter(self.loan.FeesSwept)[0].amount == self.pos.feesAccrued

    # ------------------------------------------------------------------------------------------- notes and claims

    @precondition(lambda self: any(self.notes))
    @rule(frm=st.integers(0, 3), to=st.integers(0, 3), percent=st.integers(1, 100))
    def transfer(self, frm, to, percent):
        if not self.notes[frm]:
            return
        c, loan = self.ctx, self.loan
        amount = max(1, self.notes[frm] * percent // 100)
        self.next_tx_at()
        if self.paused:
            with reverts(loan.LoanPausedError):
                loan.transfer(c.lenders[to], amount, sender=c.lenders[frm])
            return
        loan.transfer(c.lenders[to], amount, sender=c.lenders[frm])
        # The claim state travels with the transfer: what the notes earned before stays with the sender.
        assert loan.claimable(c.lenders[frm]) == self.claimable[frm]
        assert loan.claimable(c.lenders[to]) == self.claimable[to]

    # Invariant 8: paused or not, every claim that is otherwise valid succeeds.
    @precondition(lambda self: any(self.claimable))
    @rule(who=st.integers(0, 3), by_claimer=st.booleans())
    def claim(self, who, by_claimer):
        if not self.claimable[who]:
            return
        self.next_tx_at()
        if by_claimer and who == 0:
            tx = self.loan.claimFor(self.ctx.lenders[0], sender=self.ctx.stranger)
        else:
            tx = self.loan.claim(sender=self.ctx.lenders[who])
        amount = tx.events.filter(self.loan.Claimed)[0].amount
        assert amount == self.claimable[who]
        self.claimed[who] += amount

    # Invariant 8: paused or not, every refund that is otherwise valid succeeds.
    @precondition(lambda self: self.status in REFUNDABLE and any(self.notes))
    @rule(who=st.integers(0, 3))
    def refund(self, who):
        if not self.notes[who]:
            return
        self.next_tx_at()
        tx = self.loan.refund(sender=self.ctx.lenders[who])
        assert tx.events.filter(self.loan.Refunded)[0].amount == self.notes[who]
        self.burnt += self.notes[who]

    # ------------------------------------------------------------------------------------------- time and pause

    # Stay within the lenders' and the borrower's one-year KYC (their verification is not under test here).
    @precondition(lambda self: self.now + DAY < self.start + 330 * DAY)
    @rule(days=st.sampled_from([1, 5, 16, 29, 31, 46, 95, 130]))
    def warp(self, days):
        self.ctx.chain.mine(timestamp=min(self.now + days * DAY, self.start + 330 * DAY))

    @rule(whole_market=st.booleans())
    def toggle_pause(self, whole_market):
        """The guardian pauses the market (only the admin unpauses it), or the underwriter pauses this loan."""
        c, loan_id = self.ctx, self.loan.loanId()
        self.next_tx_at()
        if whole_market and self.market_paused:
            c.factory.unpause(sender=c.admin)
        elif whole_market:
            c.factory.pause(sender=c.guardian)
        elif self.loan_paused:
            c.factory.unpauseLoan(loan_id, sender=c.underwriter)
        else:
            c.factory.pauseLoan(loan_id, sender=c.underwriter)
        if whole_market:
            self.market_paused = not self.market_paused
        else:
            self.loan_paused = not self.loan_paused
        assert self.loan.isPaused() == self.paused

    @property
    def paused(self) -> bool:
        return self.market_paused or self.loan_paused

    # ------------------------------------------------------------------------------------------- invariants

    @invariant()
    def books_hold(self):
        self.refresh()
        unit = self.ctx.unit
        principal_held = self.supply if self.status in BEFORE_DRAWDOWN + REFUNDABLE else 0

        # Invariant 1: for every loan, the token balance covers what all noteholders can claim, the refunds owed
        # (every note is refundable until drawdown) and the fees not yet swept.
        assert self.balance >= sum(self.claimable) + principal_held + self.pos.feesAccrued

        # Invariant 2: notes outstanding equal the principal funded; no note is minted outside funding.
        assert self.supply == self.minted - self.burnt == sum(self.notes)
        if self.status in (Status.FUNDED, Status.ACTIVE, Status.REPAID, Status.DEFAULTED):
            assert self.supply == self.terms.principal
        assert self.supply <= GOAL_TOKENS * unit

        # Invariant 3: what lenders can ever claim (claimed so far plus claimable now) is at most what the loan
        # received (repayments and reserve cover) minus its fees.
        assert sum(self.claimed) + sum(self.claimable) <= self.received - self.fees


@pytest.mark.slow
def test_loan_state_machine__random_lifecycles__invariants_1_2_3_8_hold(
    project, market, onboard, lenders, borrower, stranger, underwriter, guardian, admin, chain, unit
):
    onboard(borrower, Role.BORROWER, grade=8)
    for who in lenders:
        onboard(who, Role.LENDER)
    for who in [*lenders, borrower, stranger]:
        market.asset.mint(who, 10**9 * unit, sender=who)
    # A reserve, so defaults are covered (the origination fees add to it as loans are drawn).
    market.asset.approve(market.treasury, 1_000 * unit, sender=stranger)
    market.treasury.fundReserve(1_000 * unit, sender=stranger)
    LoanMachine.ctx = SimpleNamespace(project=project, factory=market.factory, token=market.asset, chain=chain,
                                      views=Views(chain), unit=unit, lenders=lenders, borrower=borrower, stranger=stranger,
                                      underwriter=underwriter, guardian=guardian, admin=admin)
    run_state_machine_as_test(LoanMachine, settings=MACHINE_SETTINGS)
