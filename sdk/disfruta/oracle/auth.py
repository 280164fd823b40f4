"""Sign-in: wallets with EIP-4361 messages, operators with password (argon2id) + TOTP (RFC 6238)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from disfruta import siwe
from disfruta.oracle import audit
from disfruta.oracle.crypto import MasterKey
from disfruta.oracle.errors import ApiError, bad_request, unauthorized
from disfruta.oracle.models import LoginNonce, Operator, User
from disfruta.oracle.tokens import TokenPair, TokenService

TOTP_INTERVAL = 30
_HASHER = PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) defaults
MIN_PASSWORD_LENGTH = 12


def issue_nonce(db: Session, now: datetime, ttl_seconds: int) -> LoginNonce:
    nonce = LoginNonce(nonce=secrets.token_hex(16), expires_at=now + timedelta(seconds=ttl_seconds))
    db.add(nonce)
    return nonce


def wallet_sign_in(db: Session, tokens: TokenService, message: str, signature: str, *, domain: str,
                   chain_id: int, now: datetime) -> TokenPair:
    """Checks the EIP-4361 message, its signature and its one-time nonce; opens a session for the address."""
    try:
        parsed = siwe.verify(message, signature, domain=domain, chain_id=chain_id, now=now)
    except siwe.SiweError as exc:
        raise unauthorized(f"sign-in refused: {exc}") from None
    nonce = db.get(LoginNonce, parsed.nonce)
    if nonce is None or nonce.used_at is not None or nonce.expires_at <= now:
        raise unauthorized("sign-in refused: nonce unknown, already used or expired; request a new one")
    nonce.used_at = now
    address = parsed.address
    if db.scalar(select(User).where(User.wallet_address == address)) is None:
        db.add(User(wallet_address=address, created_at=now, updated_at=now))
    audit.record(db, address, "auth.wallet_sign_in", address)
    return tokens.start_session(db, address, "wallet", now)


def create_operator(db: Session, master: MasterKey, username: str, password: str) -> str:
    """Adds an operator; returns the TOTP provisioning URI (show it once, as a QR code, to the operator)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if db.scalar(select(Operator).where(Operator.username == username)) is not None:
        raise ValueError(f"operator {username!r} exists")
    secret = pyotp.random_base32()
    db.add(Operator(username=username, password_hash=_HASHER.hash(password),
                    totp_secret=master.wrap(secret.encode(), _totp_context(username))))
    audit.record(db, "cli", "operator.created", username)
    return pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(name=username, issuer_name="Disfruta oracle")


def operator_totp(db: Session, master: MasterKey, username: str) -> pyotp.TOTP:
    operator = db.scalar(select(Operator).where(Operator.username == username))
    if operator is None:
        raise ValueError(f"no operator {username!r}")
    return pyotp.TOTP(_totp_secret(master, operator), interval=TOTP_INTERVAL)


def _totp_secret(master: MasterKey, operator: Operator) -> str:
    return master.unwrap(operator.totp_secret, _totp_context(operator.username), master.key_id).decode()


def _totp_context(username: str) -> str:
    """Binds an encrypted TOTP secret to its operator (a secret copied to another row won't decrypt)."""
    return f"operator:{username}"


def operator_sign_in(db: Session, tokens: TokenService, master: MasterKey, username: str, password: str,
                     code: str, now: datetime) -> TokenPair:
    """Password then TOTP; a code (or an earlier one) can't be used twice. Failures are audited (committed)."""
    operator = db.scalar(select(Operator).where(Operator.username == username))
    failure: str | None = None
    if operator is None:
        _HASHER.hash(password)  # same work as a real check: don't reveal which usernames exist by timing
        failure = "bad credentials"
    else:
        try:
            _HASHER.verify(operator.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            failure = "bad credentials"
    if failure is None and operator is not None:
        totp = pyotp.TOTP(_totp_secret(master, operator), interval=TOTP_INTERVAL)
        step = _matching_step(totp, code, now)
        if step is None:
            failure = "bad TOTP code"
        elif step <= operator.last_totp_step:
            failure = "TOTP code already used"
        else:
            operator.last_totp_step = step
    if failure is not None:
        audit.record(db, username, "auth.operator_sign_in_failed", username, reason=failure)
        db.commit()
        raise ApiError(401, "sign-in refused: wrong username, password or TOTP code")
    audit.record(db, username, "auth.operator_sign_in", username)
    return tokens.start_session(db, username, "operator", now)


def _matching_step(totp: pyotp.TOTP, code: str, now: datetime) -> int | None:
    """The time step (this one or one either side, for clock drift) whose code is ``code``."""
    if not code.isdigit() or len(code) != totp.digits:
        raise bad_request(f"TOTP code must be {totp.digits} digits")
    step = int(now.timestamp()) // TOTP_INTERVAL
    for candidate in (step - 1, step, step + 1):
        if secrets.compare_digest(totp.at(candidate * TOTP_INTERVAL), code):
            return candidate
    return None
