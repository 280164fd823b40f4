"""The oracle's tables (SQLAlchemy 2). The schema is the seed's where it applies, with these differences:

- ``users`` are keyed by wallet address (sign-in is EIP-4361), not e-mail and password;
- ``user_profiles`` holds the seed's profile columns (name, birth date, address, employment, income) *inside* one
  AES-256-GCM ciphertext under the user's data key (``data_keys``), with the KYC document hashes and the salt;
- ``credit_assessments`` as in the seed (score, grade, factors, expiry), plus the model version and decision;
- ``attestations`` logs every signature; ``audit_events`` every decision; ``operators``, ``sessions``,
  ``refresh_tokens`` and ``login_nonces`` carry authentication.

Migrations live in ``disfruta/oracle/migrations`` (alembic); change this file and add a revision together.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite returns naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    wallet_address: Mapped[str] = mapped_column(String(42), unique=True, index=True)
    kyc_status: Mapped[str] = mapped_column(String(20), default="none")  # none/pending/approved/rejected/revoked
    roles: Mapped[int] = mapped_column(Integer, default=0)  # the registry's bits: 1 borrower, 2 lender
    kyc_commitment: Mapped[str | None] = mapped_column(String(66))  # 0x-hex keccak256(salt ‖ record)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DataKey(Base):
    __tablename__ = "data_keys"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserProfile(Base):
    __tablename__ = "user_profiles"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditAssessment(Base):
    __tablename__ = "credit_assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credit_score: Mapped[int] = mapped_column(Integer)
    risk_grade: Mapped[str | None] = mapped_column(String(2))  # None: declined
    decision: Mapped[str] = mapped_column(String(10))  # approved / declined
    assessment_factors: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttestationRecord(Base):
    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # kyc / credit
    nonce: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(66), unique=True)
    signer: Mapped[str] = mapped_column(String(42))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(42))
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(132))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted under the master key
    last_totp_step: Mapped[int] = mapped_column(BigInteger, default=0)  # refuses a code used before
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthSession(Base):
    """One sign-in: its refresh tokens rotate inside it; logout or a reused refresh token revokes it."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    subject: Mapped[str] = mapped_column(String(80), index=True)
    role: Mapped[str] = mapped_column(String(10))  # wallet / operator
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token; never the token
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginNonce(Base):
    __tablename__ = "login_nonces"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only: who did what to whom. Never personal data or secrets; kept through erasure."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str | None] = mapped_column(String(80), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
