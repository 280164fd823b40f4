"""JWT access tokens and rotating refresh tokens, grouped in sessions.

- An access token (HS256 JWT, short-lived) names its subject, role and session; every request checks that the
  session is still open, so logout takes effect at once.
- A refresh token is 32 random bytes, stored only as its SHA-256. Using it marks it used and returns a new pair in
  the same session (rotation). Presenting a used token again means it was stolen or replayed: the whole session
  is revoked (OAuth 2.0 Security BCP, refresh token reuse detection).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy.orm import Session

from disfruta.oracle import audit
from disfruta.oracle.errors import unauthorized
from disfruta.oracle.models import AuthSession, RefreshToken

ISSUER = "disfruta-oracle"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a wallet address (role ``wallet``) or an operator's username (role ``operator``)."""

    subject: str
    role: str
    session_id: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    def __init__(self, secret: bytes, access_ttl: int, refresh_ttl: int) -> None:
        self._secret = secret
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def __repr__(self) -> str:
        return f"TokenService(access_ttl={self.access_ttl}, refresh_ttl={self.refresh_ttl})"

    def start_session(self, db: Session, subject: str, role: str, now: datetime) -> TokenPair:
        session = AuthSession(id=str(uuid.uuid4()), subject=subject, role=role, created_at=now)
        db.add(session)
        return self._issue(db, session, now)

    def _issue(self, db: Session, session: AuthSession, now: datetime) -> TokenPair:
        claims = {
            "iss": ISSUER, "aud": ISSUER, "sub": session.subject, "role": session.role, "sid": session.id,
            "jti": uuid.uuid4().hex, "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.access_ttl, "typ": "access",
        }
        access = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        refresh = secrets.token_urlsafe(32)
        db.add(RefreshToken(token_hash=_hash(refresh), session_id=session.id,
                            expires_at=now + timedelta(seconds=self.refresh_ttl)))
        return TokenPair(access, refresh, self.access_ttl)

    def authenticate(self, db: Session, token: str, now: datetime) -> Principal:
        """The principal of a valid access token whose session is open; 401 otherwise."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], audience=ISSUER, issuer=ISSUER,
                                options={"require": ["exp", "sub", "sid", "role", "typ"], "verify_iat": False},
                                leeway=0)
        except jwt.ExpiredSignatureError:
            raise unauthorized("access token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise unauthorized(f"invalid access token: {exc}") from None
        if claims["exp"] <= now.timestamp():
            raise unauthorized("access token has expired")
        if claims["typ"] != "access":
            raise unauthorized("not an access token")
        session = db.get(AuthSession, claims["sid"])
        if session is None or session.revoked_at is not None:
            raise unauthorized("session has ended; sign in again")
        return Principal(subject=str(claims["sub"]), role=str(claims["role"]), session_id=session.id)

    def rotate(self, db: Session, refresh_token: str, now: datetime) -> TokenPair:
        """A new pair for a valid, unused refresh token. Reuse of a used token revokes its session (committed)."""
        stored = db.get(RefreshToken, _hash(refresh_token))
        if stored is None:
            raise unauthorized("unknown refresh token")
        session = db.get(AuthSession, stored.session_id)
        if session is None or session.revoked_at is not None:
            raise unauthorized("session has ended; sign in again")
        if stored.used_at is not None:
            session.revoked_at = now
            audit.record(db, session.subject, "auth.refresh_reused", session.subject, session_id=session.id)
            db.commit()
            raise unauthorized("refresh token was already used; the session is revoked")
        if stored.expires_at <= now:
            raise unauthorized("refresh token has expired")
        stored.used_at = now
        return self._issue(db, session, now)

    def end_session(self, db: Session, refresh_token: str, now: datetime) -> AuthSession:
        stored = db.get(RefreshToken, _hash(refresh_token))
        session = db.get(AuthSession, stored.session_id) if stored is not None else None
        if session is None or session.revoked_at is not None:
            raise unauthorized("unknown refresh token or session already ended")
        session.revoked_at = now
        return session
