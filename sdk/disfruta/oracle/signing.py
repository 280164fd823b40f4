"""Issuing attestations: the nonce (from the chain, or from the caller without one), the signature, the log."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from disfruta.attestations import Attestation, attestation_digest
from disfruta.oracle import audit, metrics
from disfruta.oracle.chain import ChainError
from disfruta.oracle.context import OracleContext
from disfruta.oracle.errors import ApiError, conflict
from disfruta.oracle.models import AttestationRecord, User
from disfruta.oracle.schemas import SignedAttestationOut

Kind = Literal["kyc", "credit"]


def resolve_nonce(ctx: OracleContext, user: str, kind: Kind, given: int | None) -> int:
    """With a chain connection: the registry's next nonce (a given one must match it). Without: the caller's."""
    if ctx.registry is None:
        if given is None:
            raise ApiError(422, "nonce is required: this service has no chain connection, so pass the registry's "
                                f"next {kind} nonce for the user (IUserRegistry.nonces)")
        return given
    try:
        nonces = ctx.registry.nonces(user)
    except ChainError as exc:
        raise ApiError(503, str(exc)) from None
    expected = nonces.kyc if kind == "kyc" else nonces.credit
    if given is not None and given != expected:
        raise conflict(f"nonce {given} is not the registry's next {kind} nonce for {user} ({expected})")
    return expected


def issue(ctx: OracleContext, db: Session, user: User, kind: Kind, att: Attestation,
          actor: str) -> SignedAttestationOut:
    """Signs ``att``, logs it in ``attestations`` and the audit log, and returns what the client submits."""
    chain_id, registry = ctx.settings.chain_id, ctx.registry_address
    signer, signature = ctx.sign(att, chain_id, registry)
    digest = "0x" + attestation_digest(att, chain_id, registry).hex()
    message = {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in att.message().items()}
    db.add(AttestationRecord(user_id=user.id, kind=kind, nonce=att.nonce, digest=digest, signer=signer,
                             chain_id=chain_id, registry_address=registry, message=message,
                             signature="0x" + signature.hex()))
    audit.record(db, actor, f"attestation.{kind}_signed", user.wallet_address, digest=digest, signer=signer,
                 nonce=att.nonce, deadline=att.deadline, valid_until=att.valid_until)
    metrics.signed(kind, signer)
    return SignedAttestationOut(kind=kind, message=message, signer=signer, signature="0x" + signature.hex(),
                                digest=digest, chain_id=chain_id, registry=registry)
