"""``/auth``: wallet sign-in (EIP-4361), operator sign-in (password + TOTP), refresh rotation, logout."""

from __future__ import annotations

from fastapi import APIRouter, Response

from disfruta.oracle import audit, auth
from disfruta.oracle.deps import Ctx, Db
from disfruta.oracle.routes import Responses
from disfruta.oracle.schemas import NonceOut, OperatorLoginIn, RefreshIn, SiweIn, TokensOut
from disfruta.oracle.tokens import TokenPair
from disfruta.siwe import STATEMENT

router = APIRouter(prefix="/auth", tags=["auth"])
ERRORS: Responses = {401: {"description": "Sign-in refused (the detail says why)"},
                     429: {"description": "Rate limited"}}


def _tokens(pair: TokenPair) -> TokensOut:
    return TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                     token_type=pair.token_type, expires_in=pair.expires_in)


@router.post("/siwe/nonce", response_model=NonceOut, responses={429: ERRORS[429]})
def siwe_nonce(ctx: Ctx, db: Db) -> NonceOut:
    """A one-time nonce, and the domain, URI and chain the EIP-4361 message must carry."""
    s = ctx.settings
    nonce = auth.issue_nonce(db, ctx.now(), s.siwe_nonce_ttl_seconds)
    return NonceOut(nonce=nonce.nonce, domain=s.siwe_domain, uri=s.siwe_uri, chain_id=s.chain_id,
                    statement=STATEMENT, expires_at=nonce.expires_at)


@router.post("/siwe/verify", response_model=TokensOut, responses=ERRORS)
def siwe_verify(body: SiweIn, ctx: Ctx, db: Db) -> TokensOut:
    """Checks the signed EIP-4361 message and returns access + refresh tokens for its address."""
    s = ctx.settings
    return _tokens(auth.wallet_sign_in(db, ctx.tokens, body.message, body.signature, domain=s.siwe_domain,
                                       chain_id=s.chain_id, now=ctx.now()))


@router.post("/operator/login", response_model=TokensOut, responses={**ERRORS, 400: {"description": "Bad code"}})
def operator_login(body: OperatorLoginIn, ctx: Ctx, db: Db) -> TokensOut:
    """Operators (KYC reviewers): password and the current TOTP code; each code works once."""
    return _tokens(auth.operator_sign_in(db, ctx.tokens, ctx.master, body.username, body.password, body.totp,
                                         ctx.now()))


@router.post("/refresh", response_model=TokensOut, responses=ERRORS)
def refresh(body: RefreshIn, ctx: Ctx, db: Db) -> TokensOut:
    """Exchanges a refresh token for a new pair; the old refresh token stops working (reuse ends the session)."""
    return _tokens(ctx.tokens.rotate(db, body.refresh_token, ctx.now()))


@router.post("/logout", status_code=204, response_class=Response, responses=ERRORS)
def logout(body: RefreshIn, ctx: Ctx, db: Db) -> Response:
    """Ends the session of this refresh token: its access and refresh tokens stop working at once."""
    session = ctx.tokens.end_session(db, body.refresh_token, ctx.now())
    audit.record(db, session.subject, "auth.logout", session.subject, session_id=session.id)
    return Response(status_code=204)
