"""DESIGN.md invariant 5 as a hypothesis state machine: several lenders and a keeper act in random order."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from disfruta.attestations import Role

from conftest import DAY

ALL_PURPOSES = (1 << 8) - 1


def test_pool_state_machine__random_actions__balances_change_only_by_own_actions(
    market, create_loan, onboard, lenders, borrower, stranger, chain, unit, pay
):
    pool, token = market.pool, market.asset
    accounts = lenders[:3]
    for who in accounts:
        onboard(who, Role.LENDER)
        token.mint(who, 10**6 * unit, sender=who)
        token.approve(pool, 2**256 - 1, sender=who)
    loans = [create_loan(amount_tokens=1_000, term=6)]
    token.mint(borrower, 10**6 * unit, sender=borrower)
    keeper = stranger
    # One loan already funded through the pool, drawn and paid once, so claims are there from the first step.
    for who in accounts:
        pool.deposit(2_000 * unit, sender=who)
        pool.setCriteria((True, 1, 25, 0, 10_000, 60, ALL_PURPOSES, 500 * unit, 1_000 * unit, 0), sender=who)
    pool.autoInvest(loans[0], accounts, sender=keeper)
    loans[0].withdrawFunds(sender=borrower)
    chain.pending_timestamp += 30 * DAY
    token.approve(loans[0], 2**256 - 1, sender=borrower)
    loans[0].makeRepayment(loans[0].terms().monthlyPayment, sender=borrower)
    seen = {"invested": 0, "claimed": 0}
    notes = st.integers(min_value=1, max_value=24).map(lambda n: n * 25 * unit)

    class PoolMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.snapshot = chain.snapshot()
            # A revert keeps the node's clock, so time only moves forward from example to example: each starts with
            # two loans of its own open for funding, and verifications the clock has outlived renewed.
            for who in accounts:
                if not market.registry.isVerifiedLender(who):
                    onboard(who, Role.LENDER)
            loans[1:] = [create_loan(amount_tokens=1_000, term=6, funding_period=30 * DAY) for _ in range(2)]
            for loan in loans[1:]:
                token.approve(loan, 2**256 - 1, sender=borrower)
            # What each lender's balance should be, moved only by events of that lender's own actions.
            self.expected = {w.address: pool.lenderBalances(w) for w in accounts}

        def teardown(self):
            chain.restore(self.snapshot)

        def _apply(self, tx):
            for e in tx.events.filter(pool.Deposited):
                self.expected[e.lender] += e.amount
            for e in tx.events.filter(pool.Withdrawn):
                self.expected[e.lender] -= e.amount
            for e in tx.events.filter(pool.Invested):
                self.expected[e.lender] -= e.amount
                seen["invested"] += 1
            for e in tx.events.filter(pool.ReturnsClaimed):
                self.expected[e.lender] += e.amount
                seen["claimed"] += 1

        @rule(i=st.integers(0, 2), amount=notes)
        def deposit(self, i, amount):
            self._apply(pool.deposit(amount, sender=accounts[i]))

        @rule(i=st.integers(0, 2), share=st.integers(1, 4))
        def withdraw(self, i, share):
            amount = pool.lenderBalances(accounts[i]) // share
            if amount:
                self._apply(pool.withdraw(amount, sender=accounts[i]))

        @rule(i=st.integers(0, 2), per_loan=notes, keep=st.integers(0, 200), max_grade=st.integers(5, 25))
        def set_criteria(self, i, per_loan, keep, max_grade):
            pool.setCriteria((True, 1, max_grade, 0, 10_000, 60, ALL_PURPOSES, per_loan, 400 * unit, keep * unit),
                             sender=accounts[i])

        @rule(j=st.integers(0, 2), order=st.permutations([0, 1, 2]))
        def auto_invest(self, j, order):
            loan = loans[j]
            if loan.status() == 1 and not loan.isPaused() and loan.funding()[2] >= chain.pending_timestamp:
                self._apply(pool.autoInvest(loan, [accounts[k] for k in order], sender=keeper))

        @rule(j=st.integers(0, 2))
        def draw_and_repay(self, j):
            loan = loans[j]
            if loan.status() == 2:
                loan.withdrawFunds(sender=borrower)
            if loan.status() == 3:
                chain.pending_timestamp += 7 * DAY
                loan.makeRepayment(loan.terms().monthlyPayment, sender=borrower)

        @rule(i=st.integers(0, 2), j=st.integers(0, 2))
        def claim_returns(self, i, j):
            if loans[j].claimable(accounts[i]) > 0:
                self._apply(pool.claimReturns(loans[j], sender=accounts[i]))

        @invariant()
        def balances_move_only_by_own_actions(self):
            # Invariant 5: a lender's pool balance changes only by their own deposit/withdraw/invest/claim (auto-
            # invest acts on the lender's own standing criteria and is reported per lender).
            for who in accounts:
                assert pool.lenderBalances(who) == self.expected[who.address]
            # The pool's accounting matches its cash: it holds at least every lender's balance.
            assert pool.totalBalances() == sum(self.expected.values())
            assert token.balanceOf(pool) >= pool.totalBalances()

    PoolMachine.TestCase.settings = settings(max_examples=6, stateful_step_count=25, deadline=None)
    PoolMachine.TestCase().runTest()
    # The machine must have exercised the interesting paths, or it proved nothing.
    assert seen["invested"] > 0 and seen["claimed"] > 0, seen
