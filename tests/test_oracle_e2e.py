"""The oracle as a real process on loopback, driven by the SDK's OracleClient, writing to the real registry."""

from __future__ import annotations

import pytest
from eth_account import Account

from disfruta import Deployment, Disfruta, Grade
from disfruta.oracle_client import OracleClient, OracleError
from disfruta.oracle_process import OracleProcess

PROFILE = {"first_name": "Ana", "last_name": "García", "date_of_birth": "1990-04-01", "phone_number": "+34600123456",
           "address_line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "ES",
           "employment_status": "employed", "annual_income": 42_000}
APPLICANT = {"checking_account": "none", "duration_months": 12, "credit_history": "existing_paid",
             "purpose": "car_used", "credit_amount": 2_500, "savings": "unknown", "employment_since": "4_7y",
             "installment_rate_pct": 2, "other_debtors": "none", "residence_since": 2, "property": "real_estate",
             "age_years": 40, "other_installment_plans": "none", "housing": "own", "existing_credits": 1,
             "job": "skilled", "dependents": 1, "telephone": "yes"}


@pytest.fixture
def service(market, chain, admin):
    signer = Account.create()
    market.registry.addSigner(signer.address, sender=admin)
    with OracleProcess(market.registry.address, chain.chain_id, chain.provider.uri,
                       signer_key=signer.key.hex()) as process:
        yield process


def test_oracle_process__sign_in_kyc_credit__borrower_verified_on_chain(service, market, chain, stranger):
    client = Disfruta.from_web3(chain.provider.web3, Deployment.from_dict({"chain_id": chain.chain_id, "contracts": {
        "UserRegistry": market.registry.address, "LoanFactory": market.factory.address,
        "Treasury": market.treasury.address, "LendingPool": market.pool.address, "asset": market.asset.address}}))
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
