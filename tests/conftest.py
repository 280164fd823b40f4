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
from disfruta.deploy import deploy_proxy

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
def now(chain) -> Callable[[], int]:
    return lambda: chain.pending_timestamp


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
