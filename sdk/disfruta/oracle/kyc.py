"""KYC: submission (encrypted), operator review, the signed attestation, revocation and erasure.

Status: ``none`` → ``pending`` (submitted) → ``approved`` | ``rejected``; ``revoked`` (final, pushed on chain);
``erased`` (the data key is destroyed). Re-submitting returns to ``pending`` (like ``updateKYC`` on chain).
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from disfruta.attestations import KycAttestation, Role, kyc_commitment
from disfruta.oracle import audit, metrics, signing
from disfruta.oracle.chain import ChainError, NotRegisteredOnChain
from disfruta.oracle.context import OracleContext
from disfruta.oracle.crypto import DecryptionError, decrypt_record, encrypt_record
from disfruta.oracle.errors import ApiError, conflict, not_found
from disfruta.oracle.models import DataKey, User, UserProfile
from disfruta.oracle.schemas import Document, KycStatusOut, KycSubmissionIn, Profile, ProfileOut, SignedAttestationOut

ROLE_BITS = {"borrower": int(Role.BORROWER), "lender": int(Role.LENDER)}


def role_names(bits: int) -> list[str]:
    return [name for name, bit in ROLE_BITS.items() if bits & bit]


def status_of(user: User) -> KycStatusOut:
    return KycStatusOut(wallet_address=user.wallet_address, kyc_status=user.kyc_status,
                        roles=role_names(user.roles), kyc_commitment=user.kyc_commitment, updated_at=user.updated_at)


def get_user(db: Session, wallet: str) -> User:
    user = db.scalar(select(User).where(User.wallet_address == wallet))
    if user is None:
        raise not_found(f"no user {wallet}")
    return user


def _data_key(ctx: OracleContext, db: Session, user: User, create: bool) -> bytes:
    row = db.get(DataKey, user.id)
    if row is None:
        if not create:
            raise ApiError(410, f"the personal data of {user.wallet_address} was erased")
        key, wrapped = ctx.master.new_data_key(user.id)
        db.add(DataKey(user_id=user.id, wrapped_key=wrapped, master_key_id=ctx.master.key_id))
        return key
    try:
        return ctx.master.unwrap(row.wrapped_key, user.id, row.master_key_id)
    except DecryptionError as exc:
        raise ApiError(500, f"cannot unwrap the data key: {exc}") from None


def submit(ctx: OracleContext, db: Session, wallet: str, payload: KycSubmissionIn) -> User:
    user = get_user(db, wallet)
    if user.kyc_status == "revoked":
        raise conflict("KYC was revoked for this address; it can't be submitted again")
    record = {"profile": payload.profile.model_dump(mode="json"),
              "documents": [d.model_dump() for d in payload.documents]}
    commitment, salt = kyc_commitment(record)
    plaintext = json.dumps({"record": record, "salt": salt.hex()}).encode()
    ciphertext = encrypt_record(_data_key(ctx, db, user, create=True), plaintext, user.id)
    now = ctx.now()
    profile = db.get(UserProfile, user.id)
    if profile is None:
        db.add(UserProfile(user_id=user.id, ciphertext=ciphertext, submitted_at=now))
    else:
        profile.ciphertext, profile.submitted_at = ciphertext, now
    user.kyc_status = "pending"
    user.roles = sum(ROLE_BITS[r] for r in payload.roles)
    user.kyc_commitment = "0x" + commitment.hex()
    user.erased_at = None
    user.updated_at = now
    audit.record(db, wallet, "kyc.submitted", wallet, roles=user.roles, commitment=user.kyc_commitment,
                 documents=len(payload.documents))
    return user


def read_profile(ctx: OracleContext, db: Session, wallet: str, operator: str) -> ProfileOut:
    """Decrypts a user's record for review; every read is audited."""
    user = get_user(db, wallet)
    profile = db.get(UserProfile, user.id)
    if profile is None:
        raise not_found(f"{wallet} has submitted no KYC data")
    key = _data_key(ctx, db, user, create=False)
    try:
        data = json.loads(decrypt_record(key, profile.ciphertext, user.id))
    except DecryptionError as exc:
        raise ApiError(500, f"cannot decrypt the KYC record: {exc}") from None
    audit.record(db, operator, "kyc.viewed", wallet)
    record = data["record"]
    return ProfileOut(wallet_address=wallet, profile=Profile(**record["profile"]),
                      documents=[Document(**d) for d in record["documents"]], submitted_at=profile.submitted_at)


def pending(db: Session, limit: int) -> list[User]:
    return list(db.scalars(select(User).where(User.kyc_status == "pending").order_by(User.updated_at).limit(limit)))


def review(ctx: OracleContext, db: Session, wallet: str, operator: str, decision: str, reason: str) -> User:
    user = get_user(db, wallet)
    if user.kyc_status != "pending":
        raise conflict(f"KYC of {wallet} is {user.kyc_status}, not pending")
    user.kyc_status = "approved" if decision == "approve" else "rejected"
    user.updated_at = ctx.now()
    audit.record(db, operator, f"kyc.{user.kyc_status}", wallet, reason=reason, commitment=user.kyc_commitment)
    return user


def sign(ctx: OracleContext, db: Session, wallet: str, actor: str, nonce: int | None) -> SignedAttestationOut:
    """A fresh KYC attestation for an approved user (valid ``kyc_validity_days``, submittable for a day)."""
    user = get_user(db, wallet)
    if user.kyc_status != "approved" or user.kyc_commitment is None:
        raise conflict(f"KYC of {wallet} is {user.kyc_status}, not approved")
    now = ctx.attestation_now()
    att = KycAttestation(
        user=wallet, roles=user.roles, kyc_commitment=bytes.fromhex(user.kyc_commitment[2:]),
        valid_until=now + int(timedelta(days=ctx.settings.kyc_validity_days).total_seconds()),
        nonce=signing.resolve_nonce(ctx, wallet, "kyc", nonce),
        deadline=now + ctx.settings.attestation_deadline_seconds,
    )
    return signing.issue(ctx, db, user, "kyc", att, actor)


def revoke(ctx: OracleContext, db: Session, wallet: str, operator: str, reason: str) -> tuple[User, str | None]:
    """Revokes in the service at once (committed), then on chain when a revoker key is configured.

    A user who never reached the registry has nothing to revoke there; attestations signed for them but not
    submitted lapse at their deadline. Calling again after a failed on-chain push retries the push.
    """
    user = get_user(db, wallet)
    registry = ctx.registry if ctx.registry is not None and ctx.registry.can_revoke else None
    if user.kyc_status == "revoked" and registry is None:
        raise conflict(f"KYC of {wallet} is already revoked")
    if user.kyc_status != "revoked":
        user.kyc_status = "revoked"
        user.updated_at = ctx.now()
        audit.record(db, operator, "kyc.revoked", wallet, reason=reason)
        db.commit()
        metrics.revoked()
    if registry is None:
        return user, None
    try:
        tx_hash: str | None = registry.revoke_user(wallet, reason)
    except NotRegisteredOnChain:
        tx_hash = None
    except ChainError as exc:
        audit.record(db, operator, "kyc.revoke_push_failed", wallet, error=str(exc))
        db.commit()
        metrics.revocation_push_failed()
        raise ApiError(502, f"revoked in the service, but not on chain: {exc}; call again to retry") from None
    audit.record(db, operator, "kyc.revoked_on_chain", wallet, transaction=tx_hash)
    return user, tx_hash


def erase(ctx: OracleContext, db: Session, wallet: str, actor: str) -> User:
    """GDPR erasure: destroys the user's data key, so the stored record (and its backups) can't be read.

    The audit trail, the attestation log and the (salted, now unopenable) commitment are kept.
    """
    user = get_user(db, wallet)
    key = db.get(DataKey, user.id)
    if key is None:
        raise ApiError(410, f"the personal data of {wallet} was already erased or never submitted")
    db.delete(key)
    user.kyc_status = "erased"
    user.erased_at = user.updated_at = ctx.now()
    audit.record(db, actor, "kyc.erased", wallet)
    return user
