"""Issuing attestations: the nonce (from the chain, or from the caller without one), the signature, the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from disfruta.attestations import Attestation
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


@dataclass(frozen=True)
class Signed:
    """An attestation signed, not yet logged."""

    att: Attestation
    signer: str
    signature: str
    digest: str
    message: dict[str, Any]
    chain_id: int
    registry: str


def sign(ctx: OracleContext, att: Attestation) -> Signed:
    """Signs ``att`` with the key the registry accepts. Touches no database: a caller signs before it writes, so
    the signature's cost is not spent inside a write transaction (which SQLite runs one at a time)."""
    chain_id, registry = ctx.settings.chain_id, ctx.registry_address
    signer, signature, digest = ctx.sign(att, chain_id, registry)
    message = {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in att.message().items()}
    return Signed(att, signer, "0x" + signature.hex(), "0x" + digest.hex(), message, chain_id, registry)


def record(db: Session, user: User, kind: Kind, signed: Signed, actor: str) -> SignedAttestationOut:
    """Logs a signed attestation in ``attestations`` and the audit log; returns what the client submits."""
    att = signed.att
    db.add(AttestationRecord(user_id=user.id, kind=kind, nonce=att.nonce, digest=signed.digest, signer=signed.signer,
                             chain_id=signed.chain_id, registry_address=signed.registry, message=signed.message,
                             signature=signed.signature))
    audit.record(db, actor, f"attestation.{kind}_signed", user.wallet_address, digest=signed.digest,
                 signer=signed.signer, nonce=att.nonce, deadline=att.deadline, valid_until=att.valid_until)
    metrics.signed(kind, signed.signer)
    return SignedAttestationOut(kind=kind, message=signed.message, signer=signed.signer, signature=signed.signature,
                                digest=signed.digest, chain_id=signed.chain_id, registry=signed.registry)


def issue(ctx: OracleContext, db: Session, user: User, kind: Kind, att: Attestation,
          actor: str) -> SignedAttestationOut:
    """Signs ``att``, logs it in ``attestations`` and the audit log, and returns what the client submits."""
    return record(db, user, kind, sign(ctx, att), actor)
