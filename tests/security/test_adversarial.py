"""Adversarial tests: hostile tokens, stray transfers, deadline front-running, signature replay, griefing in batches,
self-funding and double initialisation. Each test fails if the protection it names is removed (see SECURITY.md,
"Adversarial tests", for how that was checked on a mutated copy of the contracts).

Cases already covered elsewhere and not repeated here:
- high-s (malleable) signatures, cross-chain and wrong-registry-address signatures, replayed nonces:
  tests/test_user_registry.py (test_kyc_attestation__malleable_high_s_signature__reverts, ...signed_for_another_chain,
  ...signed_for_another_registry, ...replayed__reverts);
- fee-on-transfer funding, deposit and reserve funding each on their own: tests/test_loan_reverts.py,
  tests/test_lending_pool.py, tests/test_treasury.py (the combined "nothing moved" check is here);
- a revoked lender and the borrower skipped in an auto-invest batch: tests/test_lending_pool.py
  (test_auto_invest__mixed_batch__qualifying_invest_others_skipped); funding one's own loan directly or via
  fundLoanFor: tests/test_loan_reverts.py;
- initialize twice on every proxy and implementation, and on a live Loan clone or the Loan implementation even from
  the factory: test_user_registry.py, test_loan_factory.py, test_treasury.py, test_lending_pool.py,
  test_loan_reverts.py; from a non-factory caller: tests/security/test_access_matrix.py.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from conftest import DAY, YEAR, Status, reverts
from disfruta.attestations import CreditAttestation, KycAttestation, Role, sign_attestation
from disfruta.governance.market import deploy_proxy
from eth_utils import keccak

from .conftest import make_loan_in, verify

pytestmark = pytest.mark.usefixtures("fast_reverts")

ALL_PURPOSES = 255


def criteria(unit: int, **overrides: Any) -> tuple[Any, ...]:
    c = dict(enabled=True, minGrade=1, maxGrade=25, minRateBps=0, maxRateBps=10_000, maxTermMonths=60,
             purposes=ALL_PURPOSES, amountPerLoan=100 * unit, maxPerBorrower=1_000 * unit, cashToKeep=0)
    c.update(overrides)
    return tuple(c.values())


# ----------------------------------------------------------------------------------------------- re-entrancy


@pytest.fixture(scope="module")
def hostile(project, reentrant_market, underwriter, oracle, chain, stranger, lenders, borrower):
    """A loan in the re-entrant-token market, funded by two lenders and drawn, plus a pool account (built once for
    the module; ape reverts the chain to it around every test)."""
    mkt = reentrant_market
    token, unit = mkt.asset, 10**6
    loan_in = make_loan_in(project, underwriter,
                           lambda m, who: verify(m, oracle, chain, stranger, who, Role.BORROWER, grade=8), borrower)
    funding = loan_in(mkt, amount_tokens=1_000)
    active = loan_in(mkt, amount_tokens=1_000)
    for who, amount in ((lenders[0], 400), (lenders[1], 600)):
        verify(mkt, oracle, chain, stranger, who, Role.LENDER)
        token.mint(who, 10_000 * unit, sender=who)
        token.approve(active, 2**255, sender=who)
        token.approve(funding, 2**255, sender=who)
        token.approve(mkt.pool, 2**255, sender=who)
        active.fundLoan(amount * unit, sender=who)
    active.withdrawFunds(sender=borrower)
    token.mint(borrower, 10_000 * unit, sender=borrower)
    token.approve(active, 2**255, sender=borrower)
    active.makeRepayment(200 * unit, sender=borrower)
    mkt.pool.deposit(500 * unit, sender=lenders[0])
    return dict(market=mkt, token=token, unit=unit, funding=funding, active=active)


REENTRY_CASES = {
    # entry point (who, call)              → re-entry made by the token mid-transfer
    "fundLoan→fundLoan": ("funding", "fundLoan", "funding", "fundLoan"),
    "makeRepayment→makeRepayment": ("active", "makeRepayment", "active", "makeRepayment"),
    "makeRepayment→claim": ("active", "makeRepayment", "active", "claim"),
    "claim→claim": ("active", "claim", "active", "claim"),
    "claim→sweepFees": ("active", "claim", "active", "sweepFees"),
    "deposit→withdraw": ("pool", "deposit", "pool", "withdraw"),
    "withdraw→withdraw": ("pool", "withdraw", "pool", "withdraw"),
    "claimReturns→withdraw": ("pool", "claimReturns", "pool", "withdraw"),
}


@pytest.mark.parametrize("case", REENTRY_CASES, ids=list(REENTRY_CASES))
def test_reentrant_token__reenters_mid_transfer__guard_reverts_whole_call(hostile, lenders, borrower, case):
    entry_on, entry, reenter_on, reenter = REENTRY_CASES[case]
    h, unit = hostile, hostile["unit"]
    contracts = {"funding": h["funding"], "active": h["active"], "pool": h["market"].pool}
    target = contracts[reenter_on]
    payload = {
        "fundLoan": lambda: target.fundLoan.encode_input(25 * unit),
        "makeRepayment": lambda: target.makeRepayment.encode_input(unit),
        "claim": lambda: target.claim.encode_input(),
        "sweepFees": lambda: target.sweepFees.encode_input(),
        "withdraw": lambda: target.withdraw.encode_input(unit),
    }[reenter]()
    call = {
        "fundLoan": lambda c: c.fundLoan(25 * unit, sender=lenders[0]),
        "makeRepayment": lambda c: c.makeRepayment(10 * unit, sender=borrower),
        "claim": lambda c: c.claim(sender=lenders[1]),
        "deposit": lambda c: c.deposit(10 * unit, sender=lenders[0]),
        "withdraw": lambda c: c.withdraw(10 * unit, sender=lenders[0]),
        "claimReturns": lambda c: c.claimReturns(h["active"], sender=lenders[0]),
    }[entry]
    h["token"].arm(target, payload, sender=lenders[2])
    with reverts("ReentrancyGuardReentrantCall"):
        call(contracts[entry_on])
    # Disarmed, the same call goes through: only the re-entry was refused.
    h["token"].disarm(sender=lenders[2])
    call(contracts[entry_on])


# ----------------------------------------------------------------------------------------------- fee-on-transfer


def test_fee_on_transfer_token__every_money_in_path__refused_nothing_recorded(fot_market, onboard_to, loan_in,
                                                                              lenders, stranger):
    mkt, token, unit = fot_market, fot_market.asset, 10**6
    loan = loan_in(mkt)
    lender = onboard_to(mkt, lenders[0], Role.LENDER)
    token.mint(lender, 1_000 * unit, sender=lender)
    for spender in (loan, mkt.pool, mkt.treasury):
        token.approve(spender, 1_000 * unit, sender=lender)
    with reverts("LoanTransferAmountMismatch", expected=100 * unit, received=99 * unit):
        loan.fundLoan(100 * unit, sender=lender)
    with reverts("PoolTransferAmountMismatch", expected=100 * unit, received=99 * unit):
        mkt.pool.deposit(100 * unit, sender=lender)
    with reverts("TreasuryTransferAmountMismatch", expected=100 * unit, received=99 * unit):
        mkt.treasury.fundReserve(100 * unit, sender=lender)
    assert loan.totalSupply() == 0 and mkt.pool.totalBalances() == 0 and mkt.treasury.reserve() == 0
    assert token.balanceOf(lender) == 1_000 * unit


# ----------------------------------------------------------------------------------------------- stray tokens


def test_tokens_sent_to_loan__claims_exact_pro_rata_and_no_lockup(market, active_loan, repay, lenders, unit,
                                                                   stranger):
    loan = active_loan(amount_tokens=1_000, term=6, shares=[250, 750])
    before = loan.position()
    market.asset.mint(loan, 777 * unit, sender=stranger)  # straight to the loan, through no function
    after = loan.position()
    assert (after.principalOutstanding, after.accPerNote, after.feesAccrued) == \
        (before.principalOutstanding, before.accPerNote, before.feesAccrued)
    assert loan.claimable(lenders[0]) == loan.claimable(lenders[1]) == 0
    tx = repay(loan, 2**256 - 1)
    paid = tx.return_value if tx.return_value else loan.position().paidTowardSchedule
    assert loan.status() == Status.REPAID
    fees = loan.position().feesAccrued
    c0, c1 = loan.claimable(lenders[0]), loan.claimable(lenders[1])
    distributable = (paid - fees)
    assert c0 == distributable * 250 // 1_000 and c1 == distributable * 750 // 1_000
    loan.claim(sender=lenders[0])
    loan.claim(sender=lenders[1])
    loan.sweepFees(sender=stranger)
    # What is left is the stray tokens plus at most a unit of rounding dust: no lender's money is stuck.
    assert 777 * unit <= market.asset.balanceOf(loan) <= 777 * unit + 2


def test_tokens_sent_to_rejected_loan__refunds_exact(market, create_loan, fund_by, factory, underwriter, lenders,
                                                     unit, stranger):
    loan = create_loan(amount_tokens=1_000)
    fund_by(loan, [300, 200])
    market.asset.mint(loan, 55 * unit, sender=stranger)
    factory.rejectLoan(loan.loanId(), b"\x01" * 32, sender=underwriter)
    assert loan.refund(sender=lenders[0]).return_value in (300 * unit, None)
    loan.refund(sender=lenders[1])
    assert market.asset.balanceOf(lenders[0]) == 300 * unit and market.asset.balanceOf(lenders[1]) == 200 * unit
    assert loan.totalSupply() == 0 and market.asset.balanceOf(loan) == 55 * unit


def test_tokens_sent_to_pool__accounts_unchanged_withdrawals_exact(market, onboard, lenders, unit, stranger):
    pool, token = market.pool, market.asset
    for who, amount in zip(lenders[:2], (300, 700)):
        onboard(who, Role.LENDER)
        token.mint(who, amount * unit, sender=who)
        token.approve(pool, amount * unit, sender=who)
        pool.deposit(amount * unit, sender=who)
    token.mint(pool, 12_345 * unit, sender=stranger)
    assert (pool.lenderBalances(lenders[0]), pool.lenderBalances(lenders[1]), pool.totalBalances()) == \
        (300 * unit, 700 * unit, 1_000 * unit)
    pool.withdraw(300 * unit, sender=lenders[0])
    pool.withdraw(700 * unit, sender=lenders[1])
    with reverts("PoolInsufficientBalance", lender=lenders[0].address, available=0, requested=1):
        pool.withdraw(1, sender=lenders[0])  # the stray tokens are nobody's balance
    assert token.balanceOf(lenders[0]) == 300 * unit and token.balanceOf(pool) == 12_345 * unit


def test_tokens_sent_to_treasury__books_unchanged_fees_still_collected(market, active_loan, repay, stranger, unit):
    treasury = market.treasury
    loan = active_loan(amount_tokens=1_000)
    reserve, fees = treasury.reserve(), treasury.availableFees()
    market.asset.mint(treasury, 999 * unit, sender=stranger)
    assert (treasury.reserve(), treasury.availableFees()) == (reserve, fees)
    repay(loan, 200 * unit)
    swept = loan.position().feesAccrued
    loan.sweepFees(sender=stranger)
    assert treasury.reserve() + treasury.availableFees() == reserve + fees + swept
    assert market.asset.balanceOf(treasury) == reserve + fees + swept + 999 * unit


# ----------------------------------------------------------------------------------------------- deadline


def test_fund__landing_exactly_at_deadline__accepted(create_loan, onboard, market, lenders, unit, chain):
    loan = create_loan()
    deadline = loan.funding()[2]
    onboard(lenders[0], Role.LENDER)
    market.asset.mint(lenders[0], 25 * unit, sender=lenders[0])
    market.asset.approve(loan, 25 * unit, sender=lenders[0])
    chain.pending_timestamp = deadline
    tx = loan.fundLoan(25 * unit, sender=lenders[0])
    assert tx.timestamp == deadline and loan.balanceOf(lenders[0]) == 25 * unit


def test_fund__front_run_pushes_it_one_second_past_deadline__reverts(create_loan, onboard, market, lenders,
                                                                     unit, chain):
    """A funder racing the deadline: if their transaction lands in the block after it, it is refused (not
    accepted late), and the loan's state is exactly what it was at the deadline."""
    loan = create_loan()
    deadline = loan.funding()[2]
    for who in lenders[:2]:
        onboard(who, Role.LENDER)
        market.asset.mint(who, 25 * unit, sender=who)
        market.asset.approve(loan, 25 * unit, sender=who)
    chain.pending_timestamp = deadline
    loan.fundLoan(25 * unit, sender=lenders[0])  # the front-runner takes the last second
    chain.pending_timestamp = deadline + 1
    with reverts("LoanFundingClosed", deadline=deadline, nowTs=deadline + 1):
        loan.fundLoan(25 * unit, sender=lenders[1])
    assert loan.totalSupply() == 25 * unit


# ----------------------------------------------------------------------------------------------- signatures


@pytest.fixture
def second_registry(project, admin, oracle):
    """Another UserRegistry deployment on the same chain that trusts the same oracle key."""
    reg, _ = deploy_proxy(project, admin, project.UserRegistry, admin, YEAR)
    reg.addSigner(oracle.address, sender=admin)
    return reg


def test_kyc_attestation__signed_for_registry_a__replayed_on_registry_b__reverts(registry, second_registry, borrower,
                                                                                 oracle, stranger, chain, chain_id):
    now = chain.pending_timestamp
    att = KycAttestation(str(borrower), int(Role.LENDER), b"\x42" * 32, now + YEAR - DAY, 0, now + DAY)
    sig = sign_attestation(att, oracle.key, chain_id, registry.address)
    registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    # Same user, same nonce (0 in B), same signer trusted by B: the domain (verifyingContract) differs.
    with reverts("UserRegistryInvalidSignature", signer=oracle.address):
        second_registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    assert not second_registry.isVerified(borrower)


def test_credit_attestation__signed_for_registry_a__replayed_on_registry_b__reverts(registry, second_registry,
                                                                                    borrower, oracle, stranger,
                                                                                    chain, chain_id):
    now = chain.pending_timestamp
    for reg in (registry, second_registry):  # verified in both, so only the credit signature is at stake
        kyc = KycAttestation(str(borrower), int(Role.BORROWER), b"\x42" * 32, now + YEAR - DAY, 0, now + DAY)
        reg.submitKycAttestation(kyc.as_tuple(), oracle.address, sign_attestation(kyc, oracle.key, chain_id,
                                                                                  reg.address), sender=stranger)
    att = CreditAttestation(str(borrower), 3, 40_000 * 10**6, now + 90 * DAY, 0, now + DAY)
    sig = sign_attestation(att, oracle.key, chain_id, registry.address)
    registry.submitCreditAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    with reverts("UserRegistryInvalidSignature", signer=oracle.address):
        second_registry.submitCreditAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    assert second_registry.creditOf(borrower) == (0, 0)


# ----------------------------------------------------------------------------------------------- griefing


def test_auto_invest__contract_and_unqualified_lenders_in_batch__skipped_batch_succeeds(
        project, market, create_loan, onboard, onboard_to, as_contract, admin, lenders, stranger, unit):
    pool, token = market.pool, market.asset
    loan = create_loan(amount_tokens=1_000)
    # A contract wallet that passed KYC (say a Safe): a lender like any other, it can't hook into the batch.
    wallet = admin.deploy(project.MockERC1271Wallet, admin)
    onboard_to(market, wallet, Role.LENDER)
    signer = as_contract(wallet)
    token.mint(wallet, 500 * unit, sender=stranger)
    token.approve(pool, 500 * unit, sender=signer)
    pool.deposit(500 * unit, sender=signer)
    pool.setCriteria(criteria(unit), sender=signer)
    # An unverified contract (the token itself) and a verified lender with no cash.
    broke = onboard(lenders[0], Role.LENDER)
    pool.setCriteria(criteria(unit), sender=broke)
    good = onboard(lenders[1], Role.LENDER)
    token.mint(good, 500 * unit, sender=good)
    token.approve(pool, 500 * unit, sender=good)
    pool.deposit(500 * unit, sender=good)
    pool.setCriteria(criteria(unit), sender=good)

    batch = [token.address, broke, wallet.address, good, good]
    tx = pool.autoInvest(loan, batch, sender=stranger)
    reasons = [(e.lender, e.reason) for e in tx.events.filter(pool.AutoInvestSkipped)]
    assert reasons == [(token.address, 0), (broke.address, 9), (good.address, 1)]  # Disabled, InsufficientCash,
    assert loan.balanceOf(wallet) == loan.balanceOf(good) == 100 * unit               # AlreadyInvested
    assert tx.return_value in (200 * unit, None)


def test_pool_invest__borrower_into_own_loan__reverts_in_loan(market, create_loan, onboard, borrower, unit):
    pool = market.pool
    loan = create_loan(amount_tokens=1_000)
    onboard(borrower, Role.BORROWER | Role.LENDER, grade=8)
    market.asset.mint(borrower, 100 * unit, sender=borrower)
    market.asset.approve(pool, 100 * unit, sender=borrower)
    pool.deposit(100 * unit, sender=borrower)
    # The loan's error bubbles up through the pool, whose ABI doesn't know it: compare the raw revert data.
    expected = keccak(text="LoanBorrowerCannotFund(address)")[:4] + bytes(12) + bytes.fromhex(borrower.address[2:])
    with ape.reverts() as info:
        pool.invest(loan, 25 * unit, sender=borrower)
    assert bytes(info.value.revert_message if isinstance(info.value.revert_message, bytes)
                 else bytes.fromhex(str(info.value.revert_message).removeprefix("0x"))) == expected
    assert pool.lenderBalances(borrower) == 100 * unit


def test_auto_invest__borrower_with_criteria__skipped_is_borrower(market, create_loan, onboard, borrower, stranger,
                                                                  unit):
    pool = market.pool
    loan = create_loan(amount_tokens=1_000)
    onboard(borrower, Role.BORROWER | Role.LENDER, grade=8)
    market.asset.mint(borrower, 100 * unit, sender=borrower)
    market.asset.approve(pool, 100 * unit, sender=borrower)
    pool.deposit(100 * unit, sender=borrower)
    pool.setCriteria(criteria(unit), sender=borrower)
    tx = pool.autoInvest(loan, [borrower], sender=stranger)
    assert [(e.lender, e.reason) for e in tx.events.filter(pool.AutoInvestSkipped)] == [(borrower.address, 7)]
    assert loan.balanceOf(borrower) == 0


# ----------------------------------------------------------------------------------------------- initialisation


def test_loan_clone__initialize_from_non_factory__reverts_and_terms_unchanged(create_loan, stranger, borrower,
                                                                              unit):
    loan = create_loan(amount_tokens=1_000)
    terms = loan.terms()
    with reverts("LoanOnlyFactory", caller=stranger.address):
        loan.initialize((9, stranger, 1 * unit, 10_000, 1, 25, 0, 0, 86_400), sender=stranger)
    assert loan.terms() == terms and loan.borrower() == borrower.address
