"""KYC over HTTP: encrypted submission, review, attestations without a chain, revocation, erasure, audit.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from disfruta.attestations import KycAttestation, attestation_digest
from disfruta.oracle.models import AuditEvent, DataKey, User, UserProfile
from eth_account import Account
from eth_utils import keccak
from sqlalchemy import select

from .helpers import DOC, PROFILE, REGISTRY


def submit(client, headers, roles=("borrower",), profile=PROFILE, documents=(DOC,)):
    return client.post("/kyc/submission", headers=headers,
                       json={"roles": list(roles), "profile": profile, "documents": list(documents)})


def test_submit__profile__pending_and_stored_only_encrypted(client, ctx, wallet, wallet_headers):
    response = submit(client, wallet_headers, roles=("borrower", "lender"))
    assert response.status_code == 202
    body = response.json()
    assert (body["kyc_status"], body["roles"]) == ("pending", ["borrower", "lender"])
    with ctx.sessions() as db:
        user = db.scalar(select(User).where(User.wallet_address == wallet.address))
        stored = db.get(UserProfile, user.id).ciphertext
        events = db.scalars(select(AuditEvent)).all()
    assert b"Garc" not in stored and b"28013" not in stored and DOC["sha256"].encode() not in stored
    assert body["kyc_commitment"] == user.kyc_commitment and len(bytes.fromhex(user.kyc_commitment[2:])) == 32
    assert not any("Garc" in json.dumps(e.details) for e in events)  # no personal data in the audit log


def test_submit__commitment__opens_to_the_record_with_the_stored_salt(client, ctx, wallet, wallet_headers,
                                                                      operator_headers):
    commitment = submit(client, wallet_headers).json()["kyc_commitment"]
    from disfruta.oracle.crypto import decrypt_record

    with ctx.sessions() as db:
        user = db.scalar(select(User).where(User.wallet_address == wallet.address))
        key = db.get(DataKey, user.id)
        data_key = ctx.master.unwrap(key.wrapped_key, user.id, key.master_key_id)
        record = json.loads(decrypt_record(data_key, db.get(UserProfile, user.id).ciphertext, user.id))
    canonical = json.dumps(record["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "0x" + keccak(bytes.fromhex(record["salt"]) + canonical.encode()).hex() == commitment


def test_submit__minor__422_naming_the_field(client, wallet_headers):
    response = submit(client, wallet_headers, profile={**PROFILE, "date_of_birth": "2020-01-01"})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "profile", "date_of_birth"]
    assert "adult" in error["msg"]


def test_submit__bad_document_hash__422(client, wallet_headers):
    response = submit(client, wallet_headers, documents=({"kind": "passport", "sha256": "xyz"},))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "documents", 0, "sha256"]


def test_review__approve__operator_sees_decrypted_profile_and_read_is_audited(client, wallet, wallet_headers,
                                                                             operator_headers):
    submit(client, wallet_headers)
    pending = client.get("/kyc/pending", headers=operator_headers).json()
    assert [p["wallet_address"] for p in pending] == [wallet.address]
    profile = client.get(f"/kyc/users/{wallet.address.lower()}", headers=operator_headers)
    assert profile.status_code == 200
    assert profile.json()["profile"]["last_name"] == "García"
    reviewed = client.post(f"/kyc/users/{wallet.address}/review", headers=operator_headers,
                           json={"decision": "approve", "reason": "passport matches selfie"})
    assert reviewed.json()["kyc_status"] == "approved"
    actions = [e["action"] for e in client.get("/audit", headers=operator_headers,
                                               params={"subject": wallet.address}).json()]
    assert actions[:3] == ["kyc.approved", "kyc.viewed", "kyc.submitted"]


def test_review__not_pending__409(client, approved_borrower, operator_headers):
    response = client.post(f"/kyc/users/{approved_borrower.address}/review", headers=operator_headers,
                           json={"decision": "reject", "reason": "x"})
    assert response.status_code == 409
    assert response.json()["detail"] == f"KYC of {approved_borrower.address} is approved, not pending"


def test_review__unknown_user__404(client, operator_headers):
    stranger = Account.create().address
    response = client.post(f"/kyc/users/{stranger}/review", headers=operator_headers,
                           json={"decision": "approve", "reason": "x"})
    assert response.status_code == 404
    assert response.json()["detail"] == f"no user {stranger}"


def test_attestation__approved_without_chain__signed_with_the_callers_nonce(client, ctx, approved_borrower,
                                                                           wallet_headers, service_key):
    response = client.post("/kyc/me/attestation", headers=wallet_headers, json={"nonce": 3})
    assert response.status_code == 200
    body = response.json()
    m = body["message"]
    att = KycAttestation(user=m["user"], roles=m["roles"], kyc_commitment=bytes.fromhex(m["kycCommitment"][2:]),
                         valid_until=m["validUntil"], nonce=m["nonce"], deadline=m["deadline"])
    assert (att.nonce, att.roles, body["signer"], body["registry"]) == (3, 3, service_key.address, REGISTRY)
    digest = attestation_digest(att, 31337, REGISTRY)
    assert body["digest"] == "0x" + digest.hex()
    assert Account._recover_hash(digest, signature=bytes.fromhex(body["signature"][2:])) == service_key.address
    assert att.valid_until - att.deadline == 360 * 86_400 - 86_400


def test_attestation__without_chain_and_without_nonce__422(client, approved_borrower, wallet_headers):
    response = client.post("/kyc/me/attestation", headers=wallet_headers, json={})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("nonce is required: this service has no chain connection")


def test_attestation__pending__409(client, wallet_headers):
    submit(client, wallet_headers)
    response = client.post("/kyc/me/attestation", headers=wallet_headers, json={"nonce": 0})
    assert response.status_code == 409
    assert response.json()["detail"].endswith("is pending, not approved")


def test_revoke__without_chain__revoked_here_and_no_more_attestations(client, approved_borrower, wallet_headers,
                                                                     operator_headers):
    response = client.post(f"/kyc/users/{approved_borrower.address}/revoke", headers=operator_headers,
                           json={"reason": "document forged"})
    assert response.status_code == 200
    assert (response.json()["kyc_status"], response.json()["transaction_hash"]) == ("revoked", None)
    refused = client.post("/kyc/me/attestation", headers=wallet_headers, json={"nonce": 0})
    assert refused.status_code == 409
    resubmit = submit(client, wallet_headers)
    assert resubmit.status_code == 409
    assert resubmit.json()["detail"] == "KYC was revoked for this address; it can't be submitted again"
    again = client.post(f"/kyc/users/{approved_borrower.address}/revoke", headers=operator_headers,
                        json={"reason": "again"})
    assert again.status_code == 409


def test_erase__by_user__data_unreadable_audit_kept(client, ctx, approved_borrower, wallet_headers,
                                                   operator_headers):
    response = client.delete("/kyc/me/data", headers=wallet_headers)
    assert response.status_code == 200
    assert response.json()["kyc_status"] == "erased"
    with ctx.sessions() as db:
        user = db.scalar(select(User).where(User.wallet_address == approved_borrower.address))
        assert db.get(DataKey, user.id) is None  # the only key that opened the ciphertext is gone
        assert db.get(UserProfile, user.id) is not None
    gone = client.get(f"/kyc/users/{approved_borrower.address}", headers=operator_headers)
    assert gone.status_code == 410
    assert gone.json()["detail"] == f"the personal data of {approved_borrower.address} was erased"
    actions = [e["action"] for e in client.get("/audit", headers=operator_headers,
                                               params={"subject": approved_borrower.address}).json()]
    assert actions[0] == "kyc.erased" and "kyc.submitted" in actions and "kyc.approved" in actions
    twice = client.delete(f"/kyc/users/{approved_borrower.address}/data", headers=operator_headers)
    assert twice.status_code == 410


def test_erase__then_resubmit__new_key_and_pending(client, ctx, approved_borrower, wallet_headers):
    client.delete("/kyc/me/data", headers=wallet_headers)
    response = submit(client, wallet_headers)
    assert response.status_code == 202
    assert response.json()["kyc_status"] == "pending"
