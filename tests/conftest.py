"""Shared fixtures: role accounts, deployed contracts behind proxies, and an oracle signer.

ape's pytest plugin starts anvil (ape-foundry) for the session and snapshots/reverts the chain around every test,
so session-scoped deployments are shared while each test starts from the same state.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings

from disfruta.attestations import CreditAttestation, KycAttestation, Role, sign_attestation
from disfruta.deploy import Market, deploy_market, deploy_proxy

settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DAY = 86_400
YEAR = 365 * DAY


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def kyc_admin(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def revoker(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def borrower(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def lender(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def underwriter(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def lenders(accounts):
    """Four more lenders (accounts 8-11)."""
    return [accounts[i] for i in range(8, 12)]


@pytest.fixture(scope="session")
def oracle() -> LocalAccount:
    """The KYC/credit oracle's signing key (a fixed test key, never funded)."""
    return Account.from_key("0x" + "a1" * 32)


@pytest.fixture(scope="session")
def calculator(project, admin):
    return admin.deploy(project.InterestCalculator)


@pytest.fixture(scope="session")
def registry_with_impl(project, admin, kyc_admin, revoker, guardian, oracle):
    registry, impl = deploy_proxy(project, admin, project.UserRegistry, admin, YEAR)
    registry.grantRole(registry.KYC_ADMIN_ROLE(), kyc_admin, sender=admin)
    registry.grantRole(registry.REVOKER_ROLE(), revoker, sender=admin)
    registry.grantRole(registry.GUARDIAN_ROLE(), guardian, sender=admin)
    registry.addSigner(oracle.address, sender=admin)
    return registry, impl


@pytest.fixture(scope="session")
def registry(registry_with_impl):
    return registry_with_impl[0]


@pytest.fixture(scope="session")
def chain_id(chain) -> int:
    return chain.chain_id


@pytest.fixture
def warp(chain) -> Callable[[int], None]:
    """Mines a block at ``timestamp`` so views see that time (the next transaction lands a second or so later)."""

    def go(timestamp: int) -> None:
        chain.mine(timestamp=timestamp)

    return go


@pytest.fixture
def kyc_attestation(registry, oracle, chain, chain_id) -> Callable[..., tuple[KycAttestation, bytes]]:
    """Builds and signs a KYC attestation; any field can be overridden, and so can the key, chain and registry."""

    def make(user, *, roles=Role.BORROWER | Role.LENDER, key=None, sign_chain_id=None, sign_registry=None,
             **overrides: Any) -> tuple[KycAttestation, bytes]:
        fields = dict(
            user=str(user),
            roles=int(roles),
            kyc_commitment=b"\x42" * 32,
            valid_until=chain.pending_timestamp + YEAR,
            nonce=registry.nonces(user)[0],
            deadline=chain.pending_timestamp + DAY,
        )
        fields.update(overrides)
        att = KycAttestation(**fields)
        sig = sign_attestation(att, key or oracle.key, sign_chain_id or chain_id, sign_registry or registry.address)
        return att, sig

    return make


@pytest.fixture
def credit_attestation(registry, oracle, chain, chain_id) -> Callable[..., tuple[CreditAttestation, bytes]]:
    def make(user, *, grade=8, key=None, sign_chain_id=None, sign_registry=None,
             **overrides: Any) -> tuple[CreditAttestation, bytes]:
        fields = dict(
            user=str(user),
            grade=grade,
            borrow_limit=50_000 * 10**6,
            valid_until=chain.pending_timestamp + 90 * DAY,
            nonce=registry.nonces(user)[1],
            deadline=chain.pending_timestamp + DAY,
        )
        fields.update(overrides)
        att = CreditAttestation(**fields)
        sig = sign_attestation(att, key or oracle.key, sign_chain_id or chain_id, sign_registry or registry.address)
        return att, sig

    return make


@pytest.fixture
def verified_borrower(registry, borrower, oracle, kyc_attestation, credit_attestation, stranger):
    """``borrower`` with current KYC and a B3 grade, onboarded through oracle attestations."""
    att, sig = kyc_attestation(borrower, roles=Role.BORROWER)
    registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    catt, csig = credit_attestation(borrower)
    registry.submitCreditAttestation(catt.as_tuple(), oracle.address, csig, sender=stranger)
    return borrower


# ------------------------------------------------------------------------------------------------ markets


@pytest.fixture(scope="session", params=[6, 18], ids=["6dec", "18dec"])
def token(request, project, admin):
    """The market's stablecoin; every market test runs with a 6- and an 18-decimal token."""
    return admin.deploy(project.MockERC20, "Test USD", "TUSD", request.param)


@pytest.fixture(scope="session")
def unit(token) -> int:
    return 10 ** token.decimals()


@pytest.fixture(scope="session")
def market(project, admin, token, oracle, kyc_admin, revoker, underwriter, guardian) -> Market:
    return deploy_market(
        project, admin, token, oracle_signers=(oracle.address,), kyc_admin=kyc_admin, revoker=revoker,
        underwriter=underwriter, guardian=guardian,
    )


@pytest.fixture(scope="session")
def factory(market):
    return market.factory


@pytest.fixture(scope="session")
def treasury(market):
    return market.treasury


@pytest.fixture
def onboard(market, oracle, chain, chain_id, stranger):
    """Verifies ``user`` through oracle attestations: ``onboard(user, Role.LENDER)``, or a borrower with a grade."""
    reg = market.registry

    def make(user, roles=Role.LENDER, grade=None, limit_tokens=40_000):
        now = chain.pending_timestamp
        kyc_nonce, credit_nonce = reg.nonces(user)
        att = KycAttestation(str(user), int(roles), b"\x42" * 32, now + YEAR, kyc_nonce, now + DAY)
        reg.submitKycAttestation(att.as_tuple(), oracle.address, sign_attestation(att, oracle.key, chain_id, reg.address),
                                 sender=stranger)
        if grade is not None:
            unit = 10 ** market.asset.decimals()
            catt = CreditAttestation(str(user), int(grade), limit_tokens * unit, now + YEAR, credit_nonce, now + DAY)
            reg.submitCreditAttestation(catt.as_tuple(), oracle.address,
                                        sign_attestation(catt, oracle.key, chain_id, reg.address), sender=stranger)
        return user

    return make


@pytest.fixture
def create_loan(project, market, borrower, underwriter, onboard, unit):
    """Creates (and by default approves) a loan: ``create_loan(amount_tokens=10_000, term=36, grade=8)``."""

    def make(amount_tokens=10_000, term=36, grade=8, purpose=0, funding_period=14 * DAY, approve=True, who=None):
        who = who or borrower
        if not market.registry.isVerifiedBorrower(who):
            onboard(who, Role.BORROWER, grade)
        tx = market.factory.createLoan(amount_tokens * unit, term, purpose, funding_period, sender=who)
        loan = project.Loan.at(tx.events.filter(market.factory.LoanCreated)[0].loan)
        if approve:
            market.factory.approveLoan(tx.return_value[0] if tx.return_value else loan.loanId(), sender=underwriter)
        return loan

    return make


@pytest.fixture
def fund(market, onboard):
    """Mints, approves and funds: ``fund(loan, lender, amount_units)``; verifies the lender first if needed."""

    def make(loan, lender, amount):
        if not market.registry.isVerifiedLender(lender):
            onboard(lender, Role.LENDER)
        market.asset.mint(lender, amount, sender=lender)
        market.asset.approve(loan, amount, sender=lender)
        return loan.fundLoan(amount, sender=lender)

    return make


@pytest.fixture
def pay(market):
    """Mints to ``payer`` and pays ``amount`` into the loan (type(uint256).max pays off)."""

    def make(loan, payer, amount):
        mint = loan.payoffAmount() if amount >= 2**255 else amount
        market.asset.mint(payer, mint, sender=payer)
        market.asset.approve(loan, mint, sender=payer)
        return loan.makeRepayment(amount, sender=payer)

    return make
