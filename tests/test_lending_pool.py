"""LendingPool: cash accounts, permit deposits, auto-invest rules enforced on chain, claims back into the account."""

from __future__ import annotations

import ape
import pytest
from eth_account import Account

from disfruta.attestations import Role

from conftest import DAY, reverts

ALL_PURPOSES = (1 << 8) - 1
SKIP = {name: i for i, name in enumerate(
    ["Disabled", "AlreadyInvested", "Grade", "Rate", "Term", "Purpose", "NotVerifiedLender", "IsBorrower",
     "BorrowerCap", "InsufficientCash", "LoanFull", "AmountBelowNote"]
)}


@pytest.fixture(scope="session")
def pool(market):
    return market.pool


@pytest.fixture
def deposit(pool, market, onboard):
    def make(lender, amount, verify=True):
        if verify and not market.registry.isVerifiedLender(lender):
            onboard(lender, Role.LENDER)
        market.asset.mint(lender, amount, sender=lender)
        market.asset.approve(pool, amount, sender=lender)
        return pool.deposit(amount, sender=lender)

    return make


def criteria(unit, **overrides):
    """Criteria as the ABI takes them: accept everything, invest 100 tokens a loan, by default."""
    c = dict(enabled=True, minGrade=1, maxGrade=25, minRateBps=0, maxRateBps=10_000, maxTermMonths=60,
             purposes=ALL_PURPOSES, amountPerLoan=100 * unit, maxPerBorrower=1_000 * unit, cashToKeep=0)
    c.update(overrides)
    return tuple(c.values())


def skipped(tx, pool):
    return {e.lender: e.reason for e in tx.events.filter(pool.AutoInvestSkipped)}


def by_address(expected):
    return {who.address: SKIP[reason] for who, reason in expected.items()}


# ----------------------------------------------------------------------------------------------- cash


def test_deposit__then_withdraw__balances_and_tokens_move(pool, deposit, lender, market, unit):
    tx = deposit(lender, 500 * unit)
    assert pool.lenderBalances(lender) == 500 * unit
    assert pool.totalBalances() == 500 * unit
    assert tx.events.filter(pool.Deposited) == [pool.Deposited(lender=lender, amount=500 * unit)]
    tx = pool.withdraw(200 * unit, sender=lender)
    assert pool.lenderBalances(lender) == 300 * unit
    assert market.asset.balanceOf(lender) == 200 * unit
    assert market.asset.balanceOf(pool) == 300 * unit
    assert tx.events == [pool.Withdrawn(lender=lender, amount=200 * unit)] or \
        tx.events.filter(pool.Withdrawn) == [pool.Withdrawn(lender=lender, amount=200 * unit)]


def test_withdraw__more_than_balance__reverts(pool, deposit, lender, unit):
    deposit(lender, 100 * unit)
    with ape.reverts(pool.PoolInsufficientBalance, lender=lender, available=100 * unit, requested=100 * unit + 1):
        pool.withdraw(100 * unit + 1, sender=lender)


def test_deposit_withdraw__zero__reverts(pool, lender):
    with ape.reverts(pool.PoolZeroAmount):
        pool.deposit(0, sender=lender)
    with ape.reverts(pool.PoolZeroAmount):
        pool.withdraw(0, sender=lender)


def test_deposit_with_permit__signed_by_lender__no_approve_needed(pool, market, lender, chain, unit):
    token = market.asset
    amount, deadline = 300 * unit, chain.pending_timestamp + DAY
    token.mint(lender, amount, sender=lender)
    signed = Account.sign_typed_data(
        lender.private_key,
        full_message={
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                 {"name": "chainId", "type": "uint256"},
                                 {"name": "verifyingContract", "type": "address"}],
                "Permit": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
                           {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                           {"name": "deadline", "type": "uint256"}],
            },
            "primaryType": "Permit",
            "domain": {"name": token.name(), "version": "1", "chainId": chain.chain_id,
                       "verifyingContract": token.address},
            "message": {"owner": lender.address, "spender": pool.address, "value": amount,
                        "nonce": token.nonces(lender), "deadline": deadline},
        },
    )
    pool.depositWithPermit(amount, deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"),
                           sender=lender)
    assert pool.lenderBalances(lender) == amount
    # The same permit again (say, front-run): the permit fails silently and the missing allowance decides.
    token.mint(lender, amount, sender=lender)
    with ape.reverts(token.ERC20InsufficientAllowance):
        pool.depositWithPermit(amount, deadline, signed.v, signed.r.to_bytes(32, "big"),
                               signed.s.to_bytes(32, "big"), sender=lender)


def test_deposit__fee_on_transfer_token__reverts(project, admin, lender):
    fee_token = admin.deploy(project.MockFeeOnTransferToken)
    from disfruta.governance.market import deploy_market

    m = deploy_market(project, admin, fee_token)
    fee_token.mint(lender, 1_000, sender=lender)
    fee_token.approve(m.pool, 1_000, sender=lender)
    with ape.reverts(m.pool.PoolTransferAmountMismatch, expected=1_000, received=990):
        m.pool.deposit(1_000, sender=lender)


# ----------------------------------------------------------------------------------------------- manual invest


def test_invest__from_account__notes_belong_to_lender(pool, deposit, create_loan, lender, unit):
    loan = create_loan(amount_tokens=1_000)
    deposit(lender, 300 * unit)
    tx = pool.invest(loan, 100 * unit, sender=lender)
    assert loan.balanceOf(lender) == 100 * unit
    assert loan.balanceOf(pool) == 0
    assert pool.lenderBalances(lender) == 200 * unit
    assert pool.invested(lender, loan) == 100 * unit
    assert tx.events.filter(pool.Invested) == [pool.Invested(lender=lender, loan=loan, amount=100 * unit,
                                                             automatic=False)]


def test_invest__not_a_loan__reverts(pool, deposit, lender, stranger, unit):
    deposit(lender, 100 * unit)
    with ape.reverts(pool.PoolNotLoan, loan=stranger):
        pool.invest(stranger, 25 * unit, sender=lender)


def test_invest__beyond_balance__reverts(pool, deposit, create_loan, lender, unit):
    loan = create_loan(amount_tokens=1_000)
    deposit(lender, 50 * unit)
    with ape.reverts(pool.PoolInsufficientBalance, lender=lender, available=50 * unit, requested=75 * unit):
        pool.invest(loan, 75 * unit, sender=lender)


# ----------------------------------------------------------------------------------------------- auto-invest


@pytest.mark.parametrize(
    "override, reason",
    [
        ({"enabled": False}, "Disabled"),
        ({"minGrade": 1, "maxGrade": 5}, "Grade"),  # the loan is B3 (8)
        ({"minGrade": 9, "maxGrade": 25}, "Grade"),
        ({"minRateBps": 1_500}, "Rate"),  # B3 is priced at 13 %
        ({"maxRateBps": 1_000}, "Rate"),
        ({"maxTermMonths": 24}, "Term"),  # the loan is 36 months
        ({"purposes": 0b10}, "Purpose"),  # the loan's purpose is 0
        ({"maxPerBorrower": 10}, "BorrowerCap"),  # tokens: room for less than one 25-token note
        ({"cashToKeep": 500}, "InsufficientCash"),
        ({"cashToKeep": 480}, "InsufficientCash"),  # 20 tokens spare: less than a note
        ({"amountPerLoan": 10}, "AmountBelowNote"),
    ],
)
def test_auto_invest__criterion_not_met__lender_skipped(pool, deposit, create_loan, lender, unit, override, reason):
    loan = create_loan(amount_tokens=1_000)
    deposit(lender, 500 * unit)
    token_fields = {"maxPerBorrower", "cashToKeep", "amountPerLoan"}
    fixed = {k: v * unit if k in token_fields else v for k, v in override.items()}
    pool.setCriteria(criteria(unit, **fixed), sender=lender)
    tx = pool.autoInvest(loan, [lender], sender=lender)
    assert skipped(tx, pool) == by_address({lender: reason})
    assert loan.balanceOf(lender) == 0
    assert pool.lenderBalances(lender) == 500 * unit


def test_auto_invest__all_criteria_met__invests_amount_per_loan(pool, deposit, create_loan, lender, stranger, unit):
    loan = create_loan(amount_tokens=1_000)
    deposit(lender, 500 * unit)
    pool.setCriteria(criteria(unit, minGrade=6, maxGrade=10, minRateBps=1_200, maxRateBps=1_400, maxTermMonths=36,
                              purposes=0b1), sender=lender)
    tx = pool.autoInvest(loan, [lender], sender=stranger)
    assert tx.return_value == 100 * unit if tx.return_value is not None else True
    assert loan.balanceOf(lender) == 100 * unit
    assert pool.lenderBalances(lender) == 400 * unit
    assert tx.events.filter(pool.Invested) == [pool.Invested(lender=lender, loan=loan, amount=100 * unit,
                                                             automatic=True)]


def test_auto_invest__cash_to_keep__invests_only_the_excess_in_whole_notes(pool, deposit, create_loan, lender, unit):
    loan = create_loan(amount_tokens=1_000)
    deposit(lender, 200 * unit)
    pool.setCriteria(criteria(unit, amountPerLoan=200 * unit, cashToKeep=140 * unit), sender=lender)
    pool.autoInvest(loan, [lender], sender=lender)
    assert loan.balanceOf(lender) == 50 * unit  # 60 available, rounded down to two 25-token notes
    assert pool.lenderBalances(lender) == 150 * unit


def test_auto_invest__per_borrower_cap__second_loan_gets_the_rest(pool, deposit, create_loan, lender, unit):
    first = create_loan(amount_tokens=1_000)
    second = create_loan(amount_tokens=1_000)
    deposit(lender, 1_000 * unit)
    pool.setCriteria(criteria(unit, amountPerLoan=100 * unit, maxPerBorrower=150 * unit), sender=lender)
    pool.autoInvest(first, [lender], sender=lender)
    pool.autoInvest(second, [lender], sender=lender)
    assert (first.balanceOf(lender), second.balanceOf(lender)) == (100 * unit, 50 * unit)
    third = create_loan(amount_tokens=1_000)
    tx = pool.autoInvest(third, [lender], sender=lender)
    assert skipped(tx, pool) == by_address({lender: "BorrowerCap"})


def test_auto_invest__twice_or_after_manual__no_double_investment(pool, deposit, create_loan, lender, lenders,
                                                                  unit):
    loan = create_loan(amount_tokens=1_000)
    deposit(lender, 500 * unit)
    deposit(lenders[0], 500 * unit)
    for who in (lender, lenders[0]):
        pool.setCriteria(criteria(unit), sender=who)
    pool.autoInvest(loan, [lender], sender=lender)
    pool.invest(loan, 50 * unit, sender=lenders[0])
    tx = pool.autoInvest(loan, [lender, lenders[0], lender], sender=lender)
    assert skipped(tx, pool) == by_address({lender: "AlreadyInvested", lenders[0]: "AlreadyInvested"})
    assert loan.balanceOf(lender) == 100 * unit


def test_auto_invest__mixed_batch__qualifying_invest_others_skipped(pool, deposit, create_loan, borrower, lender,
                                                                    lenders, stranger, onboard, revoker, market,
                                                                    unit):
    loan = create_loan(amount_tokens=1_000)
    good, rate_picky, unverified, revoked = lender, lenders[0], lenders[1], lenders[2]
    for who in (good, rate_picky, revoked):
        deposit(who, 500 * unit)
        pool.setCriteria(criteria(unit), sender=who)
    pool.setCriteria(criteria(unit, minRateBps=2_000), sender=rate_picky)
    deposit(unverified, 500 * unit, verify=False)
    pool.setCriteria(criteria(unit), sender=unverified)
    market.registry.revokeUser(revoked, b"\0" * 32, sender=revoker)
    # The borrower may also be a lender with a pool account: never into their own loan.
    onboard(borrower, Role.BORROWER | Role.LENDER, 8)
    deposit(borrower, 500 * unit)
    pool.setCriteria(criteria(unit), sender=borrower)

    tx = pool.autoInvest(loan, [rate_picky, unverified, good, revoked, borrower], sender=stranger)
    assert skipped(tx, pool) == by_address({
        rate_picky: "Rate", unverified: "NotVerifiedLender", revoked: "NotVerifiedLender", borrower: "IsBorrower",
    })
    assert loan.balanceOf(good) == 100 * unit
    assert sum(pool.lenderBalances(w) for w in (rate_picky, unverified, revoked, borrower)) == 2_000 * unit


def test_auto_invest__loan_fills_mid_batch__later_lenders_skipped(pool, deposit, create_loan, lenders, unit):
    loan = create_loan(amount_tokens=1_000)
    for who in lenders[:3]:
        deposit(who, 1_000 * unit)
        pool.setCriteria(criteria(unit, amountPerLoan=600 * unit), sender=who)
    tx = pool.autoInvest(loan, lenders[:3], sender=lenders[0])
    assert [loan.balanceOf(w) for w in lenders[:3]] == [600 * unit, 400 * unit, 0]
    assert skipped(tx, pool) == by_address({lenders[2]: "LoanFull"})
    assert loan.status() == 2  # Funded


def test_auto_invest__loan_not_funding__reverts(pool, create_loan, lender, factory, underwriter):
    loan = create_loan(amount_tokens=1_000, approve=False)
    with ape.reverts(pool.PoolLoanNotOpen, loan=loan):
        pool.autoInvest(loan, [lender], sender=lender)
    factory.approveLoan(loan.loanId(), sender=underwriter)
    factory.pauseLoan(loan.loanId(), sender=underwriter)
    with ape.reverts(pool.PoolLoanNotOpen, loan=loan):
        pool.autoInvest(loan, [lender], sender=lender)


def test_auto_invest__not_a_loan__reverts(pool, lender, stranger):
    with ape.reverts(pool.PoolNotLoan, loan=stranger):
        pool.autoInvest(stranger, [lender], sender=lender)


@pytest.mark.parametrize(
    "override",
    [{"minGrade": 0}, {"minGrade": 9, "maxGrade": 8}, {"maxGrade": 26}, {"minRateBps": 900, "maxRateBps": 800},
     {"maxTermMonths": 0}, {"amountPerLoan": 0}],
)
def test_set_criteria__invalid__reverts(pool, lender, unit, override):
    with ape.reverts(pool.PoolInvalidCriteria):
        pool.setCriteria(criteria(unit, **override), sender=lender)


def test_set_criteria__stored_and_emitted(pool, lender, unit):
    c = criteria(unit, minGrade=3, maxGrade=12)
    tx = pool.setCriteria(c, sender=lender)
    assert tuple(pool.criteriaOf(lender)) == c
    assert len(tx.events.filter(pool.CriteriaSet)) == 1


# ----------------------------------------------------------------------------------------------- returns


def test_claim_returns__after_repayment__credited_then_reinvested(pool, deposit, create_loan, lenders, borrower,
                                                                  pay, warp, unit, stranger):
    loan = create_loan(amount_tokens=1_000, term=12)
    for who in lenders[:2]:
        deposit(who, 600 * unit)
        pool.setCriteria(criteria(unit, amountPerLoan=500 * unit), sender=who)
    pool.autoInvest(loan, lenders[:2], sender=stranger)
    loan.withdrawFunds(sender=borrower)
    warp(loan.position().startTime + 30 * DAY)
    pay(loan, borrower, loan.amountDue())
    owed = loan.claimable(lenders[0])
    assert owed > 0
    tx = pool.claimReturns(loan, sender=lenders[0])
    assert pool.lenderBalances(lenders[0]) == 100 * unit + owed
    assert tx.events.filter(pool.ReturnsClaimed) == [pool.ReturnsClaimed(lender=lenders[0], loan=loan, amount=owed)]
    # The returns are idle cash again: auto-invest uses them in the next loan.
    pool.setCriteria(criteria(unit, amountPerLoan=125 * unit), sender=lenders[0])
    nxt = create_loan(amount_tokens=1_000)
    pool.autoInvest(nxt, [lenders[0]], sender=stranger)
    assert nxt.balanceOf(lenders[0]) == 100 * unit + (owed // (25 * unit)) * 25 * unit if owed >= 25 * unit else \
        nxt.balanceOf(lenders[0]) == 100 * unit


def test_claim_returns__nothing_to_claim__reverts(pool, create_loan, lender):
    loan = create_loan(amount_tokens=1_000)
    with reverts(loan.LoanNothingToClaim, lender=lender):
        pool.claimReturns(loan, sender=lender)


def test_claim_for__pool_only_for_the_lender_who_asks(pool, create_loan, lender, stranger):
    loan = create_loan(amount_tokens=1_000)
    with ape.reverts(loan.LoanNotClaimer, caller=stranger, lender=lender):
        loan.claimFor(lender, sender=stranger)
    with ape.reverts(pool.PoolNotLoan, loan=stranger):
        pool.claimReturns(stranger, sender=lender)


# ----------------------------------------------------------------------------------------------- pause


def test_pause__guardian__blocks_deposit_and_investing_not_withdrawal_or_claims(pool, deposit, create_loan, lenders,
                                                                                borrower, guardian, admin, pay,
                                                                                warp, unit, market):
    loan = create_loan(amount_tokens=1_000, term=12)
    for who in lenders[:2]:
        deposit(who, 600 * unit)
        pool.setCriteria(criteria(unit, amountPerLoan=500 * unit), sender=who)
    pool.autoInvest(loan, lenders[:2], sender=admin)
    loan.withdrawFunds(sender=borrower)
    warp(loan.position().startTime + 30 * DAY)
    pay(loan, borrower, loan.amountDue())

    pool.pause(sender=guardian)
    market.asset.mint(lenders[0], 10 * unit, sender=lenders[0])
    market.asset.approve(pool, 10 * unit, sender=lenders[0])
    with ape.reverts(pool.EnforcedPause):
        pool.deposit(10 * unit, sender=lenders[0])
    other = create_loan(amount_tokens=1_000)
    with ape.reverts(pool.EnforcedPause):
        pool.invest(other, 25 * unit, sender=lenders[0])
    with ape.reverts(pool.EnforcedPause):
        pool.autoInvest(other, [lenders[0]], sender=admin)
    pool.withdraw(100 * unit, sender=lenders[0])
    pool.claimReturns(loan, sender=lenders[1])
    assert pool.lenderBalances(lenders[0]) == 0

    with ape.reverts(pool.AccessControlUnauthorizedAccount, account=guardian, neededRole=b"\0" * 32):
        pool.unpause(sender=guardian)
    pool.unpause(sender=admin)
    pool.deposit(10 * unit, sender=lenders[0])


def test_pause__not_guardian__reverts(pool, stranger, admin):
    for who in (stranger, admin):
        with ape.reverts(pool.AccessControlUnauthorizedAccount, account=who, neededRole=pool.GUARDIAN_ROLE()):
            pool.pause(sender=who)


def test_initialize__twice__reverts(pool, market, stranger):
    with ape.reverts(pool.InvalidInitialization):
        pool.initialize(stranger, market.asset, market.factory, sender=stranger)
    impl = market.implementations["LendingPool"]
    with ape.reverts(impl.InvalidInitialization):
        impl.initialize(stranger, market.asset, market.factory, sender=stranger)


def test_upgrade__not_admin__reverts(project, pool, guardian, admin):
    new = admin.deploy(project.LendingPool)
    with ape.reverts(pool.AccessControlUnauthorizedAccount, account=guardian, neededRole=b"\0" * 32):
        pool.upgradeToAndCall(new, b"", sender=guardian)
