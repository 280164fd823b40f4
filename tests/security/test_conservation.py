"""Money conservation over a random life of one loan (issue #15, "Must show").

A hypothesis test: 3 to 6 lenders fund a 2,000-token loan in random shares; the borrower draws it; then a random
sequence of note transfers between the holders (including to and from a fresh verified lender, and transfers to
oneself), partial repayments at random times, claims, and at most one default (with the reserve's cover) followed by
recoveries. At the end the loan is paid off, the governed surplus sweep runs, and every holder ever claims everything.

The identity checked after every step, in token units of the loan's own balance (nothing else moves its tokens):

    fundings + repayments + cover
        = drawdown + claims + fees + reserve share + surplus swept + claimable + dust

where *fundings* is everything paid for notes, *repayments* everything the borrower paid (RepaymentMade.amount),
*cover* the reserve's default cover (LoanDefaulted.reserveCover), *drawdown* the principal sent out at drawdown
(to the borrower, and the origination fee to the Treasury), *claims* everything paid out by claims, *fees* the
servicing fees (swept to the Treasury or still accrued in the loan), *reserve share* the reserve's part of the
recoveries (swept or accrued), *surplus swept* what `sweepLoanSurplus` sent to the Treasury, *claimable* the sum of
`claimable(h)` over every holder ever, and *dust* what is left. The identity defines dust; the check is

    0 <= dust + surplus swept < number of distinct holders ever

(dust never negative: no holder can be credited more than the loan holds; below the number of holders: each holder
carries its own sub-unit remainder, so rounding never loses a whole unit per holder). The sweep runs before the final
claims, and each holder must then claim exactly what it could claim before the sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ape
import pytest
from conftest import DAY, MAX_UINT, Status, reverts
from disfruta.attestations import Role
from eth_utils import keccak
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

pytestmark = pytest.mark.usefixtures("fast_reverts")

GOAL_TOKENS, TERM, NOTE_TOKENS = 2_000, 12, 25

# No shrinking: on a chain it takes minutes; a failure prints its plan (the example) to replay it.
SETTINGS = settings(max_examples=15, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=list(HealthCheck))

# An action: (kind, a, b, percent). Holders are indexed modulo the number of holders (the funders, then the fresh
# lender last), so one strategy serves every number of lenders.
ACTIONS = st.tuples(st.sampled_from(["transfer", "transfer", "self-transfer", "repay", "repay", "claim", "wait",
                                     "default"]),
                    st.integers(0, 6), st.integers(0, 6), st.integers(0, 100))


@st.composite
def plans(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(3, 6))
    # Shares in notes of 25 tokens summing to the goal, each lender at least one note.
    notes = GOAL_TOKENS // NOTE_TOKENS
    cuts = sorted(draw(st.lists(st.integers(1, notes - 1), min_size=n - 1, max_size=n - 1, unique=True)))
    shares = [(b - a) * NOTE_TOKENS for a, b in zip([0, *cuts], [*cuts, notes])]
    return {"shares": shares, "actions": draw(st.lists(ACTIONS, min_size=5, max_size=22))}


@dataclass
class Tally:
    fundings: int = 0
    repayments: int = 0
    cover: int = 0
    drawdown: int = 0
    claims: int = 0
    swept_fees: int = 0
    swept_reserve: int = 0
    surplus: int = 0
    holders: list[Any] = field(default_factory=list)


def check(loan: Any, token: Any, t: Tally) -> int:
    """The identity (see the module docstring); returns the dust."""
    accrued_fees, accrued_reserve = loan.position().feesAccrued, loan.recovery()[2]
    claimable = sum(loan.claimable(h) for h in t.holders)
    paid_in = t.fundings + t.repayments + t.cover
    accounted = (t.drawdown + t.claims + t.swept_fees + accrued_fees + t.swept_reserve + accrued_reserve + t.surplus
                 + claimable)
    dust = paid_in - accounted
    # The tally is complete: the dust it defines is what the loan holds beyond what it owes.
    assert dust == token.balanceOf(loan) - (accrued_fees + accrued_reserve + claimable)
    assert 0 <= dust + t.surplus < len(t.holders), (dust, t.surplus, len(t.holders))
    return dust


@pytest.mark.slow
@SETTINGS
@given(plan=plans())
def test_conservation__random_life_with_transfers_claims_default__paid_in_equals_paid_out_plus_dust(
    project, market, create_loan, onboard, lenders, lender, stranger, borrower, admin, accounts, chain, unit, repay,
    fund_reserve, plan,
):
    token, factory, registry = market.asset, market.factory, market.registry
    funders = [*lenders, lender, stranger][: len(plan["shares"])]
    fresh = accounts[1]  # the KYC admin's account, as a lender too: holds no notes until one is sent to it
    snapshot = chain.snapshot()
    try:
        for who in [*funders, fresh]:
            if not registry.isVerifiedLender(who):
                onboard(who, Role.LENDER)
        fund_reserve(10_000 * unit)
        loan = create_loan(amount_tokens=GOAL_TOKENS, term=TERM)
        t = Tally(holders=[*funders, fresh])
        for who, tokens in zip(funders, plan["shares"]):
            token.mint(who, tokens * unit, sender=who)
            token.approve(loan, tokens * unit, sender=who)
            loan.fundLoan(tokens * unit, sender=who)
            t.fundings += tokens * unit
        (drawn,) = loan.withdrawFunds(sender=borrower).events.filter(loan.FundsWithdrawn)
        t.drawdown += drawn.principal
        check(loan, token, t)

        for kind, a, b, percent in plan["actions"]:
            status = loan.status()
            src, dst = t.holders[a % len(t.holders)], t.holders[b % len(t.holders)]
            if kind in ("transfer", "self-transfer"):
                dst = src if kind == "self-transfer" else dst
                amount = loan.balanceOf(src) * percent // 100
                # A lender's KYC lapses after a year: from then on its notes can't move (but it still claims).
                sender, receiver = verified(registry, src, chain), verified(registry, dst, chain)
                if sender is False:
                    with reverts(loan.LoanTransferFromUnverified, **{"from": src}):
                        loan.transfer(dst, amount, sender=src)
                elif receiver is False:
                    with reverts(loan.LoanTransferToUnverified, to=dst):
                        loan.transfer(dst, amount, sender=src)
                elif sender and receiver:
                    loan.transfer(dst, amount, sender=src)
            elif kind == "repay" and status in (Status.ACTIVE, Status.DEFAULTED):
                chain.mine(timestamp=chain.pending_timestamp + percent * DAY // 2)
                amount = max(1, loan.payoffAmount() * (percent % 40 + 1) // 100)
                pay(loan, repay, amount, t)
            elif kind == "claim" and loan.claimable(src):
                (event,) = loan.claim(sender=src).events.filter(loan.Claimed)
                t.claims += event.amount
            elif kind == "wait":
                chain.mine(timestamp=chain.pending_timestamp + percent * DAY)
                if percent % 3 == 0:
                    sweep_fees(loan, t, stranger)
            elif kind == "default" and status == Status.ACTIVE:
                chain.mine(timestamp=max(chain.pending_timestamp, loan.nextDueDate() + 120 * DAY))
                if loan.daysPastDue() >= 120:
                    (event,) = loan.handleDefault(sender=stranger).events.filter(loan.LoanDefaulted)
                    t.cover += event.reserveCover
                    hypothesis_event("defaulted")
            check(loan, token, t)

        # Pay off, sweep the surplus, then every holder claims everything it could before the sweep.
        pay(loan, repay, MAX_UINT, t)
        assert loan.status() == Status.REPAID
        owed = [loan.claimable(h) for h in t.holders]
        dust = check(loan, token, t)
        # What the sweep may take: the balance beyond the holders' bound (their exact share of the accumulator,
        # rounded up, less what they claimed), the fees and the reserve's share.
        position, (_, _, reserve) = loan.position(), loan.recovery()
        bound = -(-loan.totalSupply() * position.accPerNote // 10**27) - t.claims
        sweepable = token.balanceOf(loan) - (bound + position.feesAccrued + reserve)
        assert sweepable <= dust
        if sweepable > 0:
            (swept,) = factory.sweepLoanSurplus(loan.loanId(), sender=admin).events.filter(loan.SurplusSwept)
            assert swept.amount == sweepable
            t.surplus += swept.amount
        else:
            with ape.reverts() as info:
                factory.sweepLoanSurplus(loan.loanId(), sender=admin)
            assert raw_revert(info)[:4] == keccak(text="LoanNoSurplus(uint256,uint256)")[:4]
        check(loan, token, t)
        for h, amount in zip(t.holders, owed):
            if amount:
                (event,) = loan.claim(sender=h).events.filter(loan.Claimed)
                assert event.amount == amount
                t.claims += amount
        sweep_fees(loan, t, stranger)
        assert all(loan.claimable(h) == 0 for h in t.holders)
        assert check(loan, token, t) + t.surplus == dust
        assert token.balanceOf(loan) == dust - t.surplus
        hypothesis_event(f"dust {dust - t.surplus} + swept {t.surplus}, {len(t.holders)} holders")
    finally:
        chain.restore(snapshot)


def verified(registry: Any, who: Any, chain: Any) -> bool | None:
    """Whether ``who`` is a verified lender for the next transaction; None within a minute of its KYC's expiry."""
    if not registry.isVerifiedLender(who):
        return False
    return True if registry.getUser(who).kycValidUntil > chain.pending_timestamp + 60 else None


def pay(loan: Any, repay: Any, amount: int, t: Tally) -> None:
    (event,) = repay(loan, amount).events.filter(loan.RepaymentMade)
    t.repayments += event.amount


def sweep_fees(loan: Any, t: Tally, caller: Any) -> None:
    fees, (_, _, reserve) = loan.position().feesAccrued, loan.recovery()
    if fees or reserve:
        loan.sweepFees(sender=caller)
        t.swept_fees += fees
        t.swept_reserve += reserve


def raw_revert(info: Any) -> bytes:
    message = info.value.revert_message
    return bytes(message) if isinstance(message, bytes) else bytes.fromhex(str(message).removeprefix("0x"))
