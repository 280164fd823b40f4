"""The oracle as a real process on loopback, driven by the SDK's OracleClient, writing to the real registry."""

from __future__ import annotations

import pytest
from eth_account import Account

from disfruta import Disfruta, Grade
from disfruta.oracle_client import OracleClient, OracleError
from disfruta.oracle_process import OracleProcess
from oracle.helpers import APPLICANT, PROFILE  # the oracle tests' sample applicant



@pytest.fixture
def service(market, chain, admin):
    signer = Account.create()
    market.registry.addSigner(signer.address, sender=admin)
    with OracleProcess(market.registry.address, chain.chain_id, chain.provider.uri,
                       signer_key=signer.key.hex()) as process:
        yield process


def test_oracle_process__sign_in_kyc_credit__borrower_verified_on_chain(service, chain, deployment, stranger):
    client = Disfruta.from_web3(chain.provider.web3, deployment)
    oracle = OracleClient(service.url)
    wallet = Account.create()
    session = oracle.sign_in(wallet)
    # Used at once: what the service just committed (the session, then the submission) must be there.
    assert oracle.submit_kyc(session, ["borrower"], PROFILE,
                             [{"kind": "passport", "sha256": "ab" * 32}])["kyc_status"] == "pending"
    operator = oracle.operator_sign_in(OracleProcess.OPERATOR, service.operator_password, service.operator_totp())
    assert oracle.review(operator, wallet.address, "approve", "documents match")["kyc_status"] == "approved"
    kyc = oracle.kyc_attestation(session)
    assessment = oracle.assess(session, APPLICANT)
    assert assessment.decision == "approved" and assessment.credit is not None and len(assessment.reasons) <= 4
    client.as_account(stranger.address).registry.submit_attestations(
        kyc.attestation, kyc.signature, kyc.signer, assessment.credit.attestation, assessment.credit.signature)
    user = client.registry.user(wallet.address)
    assert user.is_verified_borrower and user.grade == Grade.parse(assessment.grade)
    assert user.borrow_limit == assessment.borrow_limit


def test_oracle_client__bad_credentials__typed_error_with_status(service):
    oracle = OracleClient(service.url)
    with pytest.raises(OracleError) as info:
        oracle.operator_sign_in(OracleProcess.OPERATOR, "wrong password!!", "000000")
    assert info.value.status == 401 and info.value.detail


def test_oracle_process__session_used_at_once__always_valid(service):
    """Regression: the request's transaction was committed after the response went out, so a client that used a
    new session at once could be told it had ended. Repeated, since it was a race."""
    oracle = OracleClient(service.url)
    for _ in range(15):
        session = oracle.sign_in(Account.create())
        assert oracle.submit_kyc(session, ["lender"], PROFILE,
                                 [{"kind": "passport", "sha256": "cd" * 32}])["kyc_status"] == "pending"


def test_oracle_process__chain_clock__attestations_count_from_the_chain_after_time_travel(market, chain, admin,
                                                                                         deployment, stranger, warp):
    """After time travel the chain is ahead of the wall clock: with ``attestation_clock = "chain"`` the signed
    deadline and validity count from the chain's latest block, so the attestations still apply (`make demo` serves
    its dApp after a year of repayments)."""
    signer = Account.create()
    market.registry.addSigner(signer.address, sender=admin)
    warp(chain.blocks.head.timestamp + 400 * 86_400)
    head = chain.blocks.head.timestamp
    with OracleProcess(market.registry.address, chain.chain_id, chain.provider.uri, signer_key=signer.key.hex(),
                       settings={"ATTESTATION_CLOCK": "chain"}) as service:
        oracle = OracleClient(service.url)
        wallet = Account.create()
        session = oracle.sign_in(wallet)
        oracle.submit_kyc(session, ["lender"], PROFILE, [{"kind": "passport", "sha256": "ef" * 32}])
        operator = oracle.operator_sign_in(OracleProcess.OPERATOR, service.operator_password,
                                           service.operator_totp())
        oracle.review(operator, wallet.address, "approve", "documents match")
        kyc = oracle.kyc_attestation(session)
    assert kyc.attestation.deadline >= head + 86_400 - 60 and kyc.attestation.valid_until > head + 300 * 86_400
    client = Disfruta.from_web3(chain.provider.web3, deployment)
    client.as_account(stranger.address).registry.submit_attestations(kyc.attestation, kyc.signature, kyc.signer)
    assert client.registry.user(wallet.address).is_verified_lender
