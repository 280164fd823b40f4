"""``/kyc``: submission and status for wallets; review, revocation, erasure and the audit log for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from disfruta.oracle import audit, kyc
from disfruta.oracle.deps import Ctx, Db, Operator, Wallet, WalletPath
from disfruta.oracle.routes import Responses
from disfruta.oracle.schemas import (
    Address,
    AttestationIn,
    AuditEventOut,
    KycStatusOut,
    KycSubmissionIn,
    ProfileOut,
    ReviewIn,
    RevokeIn,
    RevokeOut,
    SignedAttestationOut,
)

router = APIRouter(tags=["kyc"])
AUTH: Responses = {401: {"description": "Missing or invalid access token"}, 403: {"description": "Wrong role"}}
CONFLICT: Responses = {409: {"description": "Not allowed in the user's current KYC status"}}
GONE: Responses = {410: {"description": "The personal data was erased"}}


@router.post("/kyc/submission", status_code=202, response_model=KycStatusOut, responses={**AUTH, **CONFLICT})
def submit(body: KycSubmissionIn, wallet: Wallet, ctx: Ctx, db: Db) -> KycStatusOut:
    """Submits (or replaces) the caller's profile and document hashes; KYC goes to ``pending``."""
    return kyc.status_of(kyc.submit(ctx, db, wallet, body))


@router.get("/kyc/me", response_model=KycStatusOut, responses=AUTH)
def me(wallet: Wallet, db: Db) -> KycStatusOut:
    return kyc.status_of(kyc.get_user(db, wallet))


@router.post("/kyc/me/attestation", response_model=SignedAttestationOut,
             responses={**AUTH, **CONFLICT, 422: {"description": "Nonce needed"}, 503: {"description": "Chain"}})
def kyc_attestation(body: AttestationIn, wallet: Wallet, ctx: Ctx, db: Db) -> SignedAttestationOut:
    """A signed KYC attestation for the approved caller, to submit with ``UserRegistry.submitKycAttestation``."""
    return kyc.sign(ctx, db, wallet, wallet, body.nonce)


@router.delete("/kyc/me/data", response_model=KycStatusOut, responses={**AUTH, **GONE})
def erase_me(wallet: Wallet, ctx: Ctx, db: Db) -> KycStatusOut:
    """Erases the caller's personal data (the right to erasure): its encryption key is destroyed."""
    return kyc.status_of(kyc.erase(ctx, db, wallet, wallet))


@router.get("/kyc/pending", response_model=list[KycStatusOut], responses=AUTH)
def pending(operator: Operator, db: Db,
            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[KycStatusOut]:
    """Submissions waiting for review, oldest first."""
    return [kyc.status_of(u) for u in kyc.pending(db, limit)]


@router.get("/kyc/users/{wallet}", response_model=ProfileOut, responses={**AUTH, 404: {}, **GONE})
def profile(wallet: WalletPath, operator: Operator, ctx: Ctx, db: Db) -> ProfileOut:
    """The decrypted profile and document hashes, for review (the read is audited)."""
    return kyc.read_profile(ctx, db, wallet, operator)


@router.post("/kyc/users/{wallet}/review", response_model=KycStatusOut, responses={**AUTH, 404: {}, **CONFLICT})
def review(wallet: WalletPath, body: ReviewIn, operator: Operator, ctx: Ctx, db: Db) -> KycStatusOut:
    """Approves or rejects a pending submission."""
    return kyc.status_of(kyc.review(ctx, db, wallet, operator, body.decision, body.reason))


@router.post("/kyc/users/{wallet}/revoke", response_model=RevokeOut,
             responses={**AUTH, 404: {}, **CONFLICT, 502: {"description": "On-chain push failed"}})
def revoke(wallet: WalletPath, body: RevokeIn, operator: Operator, ctx: Ctx, db: Db) -> RevokeOut:
    """Revokes KYC here at once and on chain (``revokeUser``) when the service holds a revoker key."""
    user, tx_hash = kyc.revoke(ctx, db, wallet, operator, body.reason)
    return RevokeOut(**kyc.status_of(user).model_dump(), transaction_hash=tx_hash)


@router.delete("/kyc/users/{wallet}/data", response_model=KycStatusOut, responses={**AUTH, 404: {}, **GONE})
def erase(wallet: WalletPath, operator: Operator, ctx: Ctx, db: Db) -> KycStatusOut:
    """Erases a user's personal data on their request; the audit trail stays."""
    return kyc.status_of(kyc.erase(ctx, db, wallet, operator))


@router.get("/audit", response_model=list[AuditEventOut], responses=AUTH)
def audit_log(operator: Operator, db: Db, subject: Address | None = None,
              action: Annotated[str | None, Query(max_length=40)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditEventOut]:
    """The audit log, most recent first."""
    return [AuditEventOut(id=e.id, at=e.at, actor=e.actor, action=e.action, subject=e.subject, details=e.details)
            for e in audit.events(db, subject=subject, action=action, limit=limit)]
