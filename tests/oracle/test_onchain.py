"""The service against the real UserRegistry on anvil: its attestations are accepted; tampered, expired and
replayed ones are refused with the registry's custom errors; nonces come from the chain; revocation is pushed on
chain; key rotation follows the registry's signer set. (SQLite only: the database is not what is tested here.)"""

from __future__ import annotations

import time
from typing import Any

import ape
import pytest
from disfruta.attestations import CreditAttestation, KycAttestation
from eth_account import Account
from pydantic import SecretStr

from .helpers import APPLICANT, DOC, PROFILE, bearer, sign_in

pytestmark = pytest.mark.parametrize("oracle_db_url", ["sqlite"], indirect=True)
REVOKED = 3


def kyc_tuple(body: dict[str, Any]) -> tuple:
    m = body["message"]
    return KycAttestation(user=m["user"], roles=m["roles"], kyc_commitment=bytes.fromhex(m["kycCommitment"][2:]),
                          valid_until=m["validUntil"], nonce=m["nonce"], deadline=m["deadline"]).as_tuple()


def credit_tuple(body: dict[str, Any], **changes: int) -> tuple:
    m = {**body["message"], **changes}
    return CreditAttestation(user=m["user"], grade=m["grade"], borrow_limit=m["borrowLimit"],
                             valid_until=m["validUntil"], nonce=m["nonce"], deadline=m["deadline"]).as_tuple()


def sig(body: dict[str, Any]) -> bytes:
    return bytes.fromhex(body["signature"][2:])


def clock_at_chain(chain: Any, clock: Any) -> None:
    """The registry compares deadlines and validity with block time, and sign-in's SIWE messages carry the real time:
    the chain is brought up to the real time if earlier tests left it behind, then the service's clock follows it."""
    if chain.pending_timestamp < time.time():
        chain.pending_timestamp = int(time.time()) + 1
        chain.mine()
    clock.t = chain.pending_timestamp


@pytest.fixture
def chain_service(make_service, registry, chain, admin, revoker, service_key, clock):
    """The service connected to anvil: reads nonces and signer status, revokes with the revoker's key."""
    registry.addSigner(service_key.address, sender=admin)
    clock_at_chain(chain, clock)
    return make_service(registry_address=registry.address, rpc_url=chain.provider.uri, chain_id=chain.chain_id,
                        revoker_key=SecretStr(revoker.private_key))


def onboard(client, ctx, wallet) -> tuple[dict[str, str], dict[str, str]]:
    """Signs ``wallet`` in, submits its KYC as a borrower and has an operator approve it: (wallet, operator) headers."""
    from disfruta.oracle.auth import create_operator, operator_totp

    headers = bearer(sign_in(client, wallet))
    with ctx.sessions() as db:
        create_operator(db, ctx.master, "op", "operator-password-1")
        db.commit()
        code = operator_totp(db, ctx.master, "op").at(int(ctx.clock()))
    op = bearer(client.post("/auth/operator/login",
                            json={"username": "op", "password": "operator-password-1", "totp": code}).json())
    client.post("/kyc/submission", headers=headers,
                json={"roles": ["borrower"], "profile": PROFILE, "documents": [DOC]})
    reviewed = client.post(f"/kyc/users/{wallet.address}/review", headers=op,
                           json={"decision": "approve", "reason": "ok"})
    assert reviewed.status_code == 200, reviewed.text
    return headers, op


@pytest.fixture
def onchain(chain_service, wallet):
    """(client, wallet headers, operator headers) with ``wallet`` KYC-approved in the service as a borrower."""
    client, ctx = chain_service
    return (client, *onboard(client, ctx, wallet))


def test_attestations__from_the_service__accepted_by_the_registry(onchain, registry, wallet, service_key, stranger):
    client, headers, _ = onchain
    kyc = client.post("/kyc/me/attestation", headers=headers, json={})  # no nonce: read from the chain
    assert kyc.status_code == 200 and kyc.json()["message"]["nonce"] == 0
    registry.submitKycAttestation(kyc_tuple(kyc.json()), service_key.address, sig(kyc.json()), sender=stranger)
    assert registry.isVerified(wallet.address)
    assert registry.getUser(wallet.address).kycCommitment.hex() == kyc.json()["message"]["kycCommitment"][2:]

    credit = client.post("/credit/assessments", headers=headers, json={"applicant": APPLICANT})
    assert credit.status_code == 201
    att = credit.json()["attestation"]
    registry.submitCreditAttestation(credit_tuple(att), service_key.address, sig(att), sender=stranger)
    assert registry.isVerifiedBorrower(wallet.address)
    assert registry.creditOf(wallet.address) == (att["message"]["grade"], att["message"]["borrowLimit"])
    # The next attestation uses the registry's next nonce.
    assert client.post("/kyc/me/attestation", headers=headers, json={}).json()["message"]["nonce"] == 1


def test_assessment__borrower_with_a_recorded_default__declined_with_that_reason(onchain, registry, wallet, admin,
                                                                                 service_key, stranger):
    client, headers, _ = onchain
    kyc = client.post("/kyc/me/attestation", headers=headers, json={}).json()
    registry.submitKycAttestation(kyc_tuple(kyc), service_key.address, sig(kyc), sender=stranger)
    approved = client.post("/credit/assessments", headers=headers, json={"applicant": APPLICANT}).json()
    assert approved["decision"] == "approved"
    # A loan of theirs defaults: the loan factory (here: the admin, given its role) records it in the registry.
    registry.grantRole(registry.DEFAULT_RECORDER_ROLE(), admin, sender=admin)
    registry.recordDefault(wallet.address, sender=admin)
    declined = client.post("/credit/assessments", headers=headers, json={"applicant": APPLICANT})
    assert declined.status_code == 201
    body = declined.json()
    assert (body["decision"], body["grade"], body["borrow_limit"], body["attestation"]) == ("declined", None, "0", None)
    assert body["reasons"][0]["code"] == "recorded_default" and "1 recorded" in body["reasons"][0]["text"]
    assert body["score"] == approved["score"]  # the model's score is kept for the record


def test_credit_attestation__tampered_grade__reverts_invalid_signature(onchain, registry, wallet, service_key,
                                                                       stranger):
    client, headers, _ = onchain
    kyc = client.post("/kyc/me/attestation", headers=headers, json={}).json()
    registry.submitKycAttestation(kyc_tuple(kyc), service_key.address, sig(kyc), sender=stranger)
    att = client.post("/credit/assessments", headers=headers, json={"applicant": APPLICANT}).json()["attestation"]
    with ape.reverts(registry.UserRegistryInvalidSignature, signer=service_key.address):
        registry.submitCreditAttestation(credit_tuple(att, borrowLimit=10**30), service_key.address, sig(att),
                                         sender=stranger)


def test_kyc_attestation__past_deadline__reverts_expired(onchain, registry, service_key, stranger, chain):
    client, headers, _ = onchain
    kyc = client.post("/kyc/me/attestation", headers=headers, json={}).json()
    chain.pending_timestamp = kyc["message"]["deadline"] + 1
    with ape.reverts(registry.UserRegistryAttestationExpired, deadline=kyc["message"]["deadline"]):
        registry.submitKycAttestation(kyc_tuple(kyc), service_key.address, sig(kyc), sender=stranger)


def test_kyc_attestation__replayed__reverts_invalid_nonce(onchain, registry, wallet, service_key, stranger):
    client, headers, _ = onchain
    kyc = client.post("/kyc/me/attestation", headers=headers, json={}).json()
    registry.submitKycAttestation(kyc_tuple(kyc), service_key.address, sig(kyc), sender=stranger)
    with ape.reverts(registry.UserRegistryInvalidNonce, user=wallet.address, expected=1, given=0):
        registry.submitKycAttestation(kyc_tuple(kyc), service_key.address, sig(kyc), sender=stranger)


def test_attestation__nonce_not_the_registrys__409(onchain, wallet):
    client, headers, _ = onchain
    response = client.post("/kyc/me/attestation", headers=headers, json={"nonce": 5})
    assert response.status_code == 409
    assert response.json()["detail"] == f"nonce 5 is not the registry's next kyc nonce for {wallet.address} (0)"


def test_revoke__user_on_chain__revoke_user_sent_and_unsubmitted_attestation_voided(onchain, registry, wallet,
                                                                                    service_key, stranger, revoker):
    client, headers, op = onchain
    first = client.post("/kyc/me/attestation", headers=headers, json={}).json()
    registry.submitKycAttestation(kyc_tuple(first), service_key.address, sig(first), sender=stranger)
    pending = client.post("/kyc/me/attestation", headers=headers, json={}).json()  # signed, not yet submitted
    response = client.post(f"/kyc/users/{wallet.address}/revoke", headers=op, json={"reason": "sanctions hit"})
    assert response.status_code == 200
    assert response.json()["transaction_hash"].startswith("0x")
    assert registry.getUser(wallet.address).status == REVOKED
    assert not registry.isVerified(wallet.address)
    # The revocation is sticky (no attestation restores the user) and the unsubmitted one is void for good.
    with ape.reverts(registry.UserRegistryRevoked, user=wallet.address):
        registry.submitKycAttestation(kyc_tuple(pending), service_key.address, sig(pending), sender=stranger)
    registry.reinstateUser(wallet.address, sender=revoker)
    with ape.reverts(registry.UserRegistryInvalidNonce, user=wallet.address, expected=2, given=1):
        registry.submitKycAttestation(kyc_tuple(pending), service_key.address, sig(pending), sender=stranger)


def test_revoke__user_never_on_chain__revoked_here_without_transaction(onchain, wallet):
    client, _, op = onchain
    response = client.post(f"/kyc/users/{wallet.address}/revoke", headers=op, json={"reason": "fraud"})
    assert response.status_code == 200
    assert (response.json()["kyc_status"], response.json()["transaction_hash"]) == ("revoked", None)


def test_rotation__old_key_removed_new_key_added__service_signs_with_the_new_key(make_service, registry, chain,
                                                                                 admin, guardian, clock, oracle):
    new = Account.create()
    clock_at_chain(chain, clock)
    client, _ = make_service(registry_address=registry.address, rpc_url=chain.provider.uri,
                             signer_key=SecretStr(oracle.key.hex()), next_signer_key=SecretStr(new.key.hex()))
    assert client.get("/signers").json() == {"addresses": [oracle.address, new.address], "active": oracle.address,
                                             "chain_connected": True}
    registry.addSigner(new.address, sender=admin)  # 1. governance adds the new key
    registry.removeSigner(oracle.address, sender=admin)  # 3. … and removes the old one
    assert client.get("/signers").json()["active"] == new.address


def test_attestation__no_held_key_is_a_signer__503(make_service, registry, chain, clock, wallet):
    clock_at_chain(chain, clock)
    client, ctx = make_service(registry_address=registry.address, rpc_url=chain.provider.uri)  # key never added
    headers, _ = onboard(client, ctx, wallet)
    assert client.get("/signers").json()["active"] is None
    response = client.post("/kyc/me/attestation", headers=headers, json={})
    assert response.status_code == 503
    assert response.json()["detail"] == \
        f"none of the oracle's keys {ctx.signer.addresses} is an authorised registry signer"


def test_attestation__chain_unreachable__503(make_service, wallet):
    client, ctx = make_service(rpc_url="http://127.0.0.1:9", registry_address="0x" + "12" * 20)
    headers, _ = onboard(client, ctx, wallet)
    response = client.post("/kyc/me/attestation", headers=headers, json={})
    assert response.status_code == 503
    assert response.json()["detail"].startswith("cannot read nonces from the registry")
    assert client.get("/signers").status_code == 503
