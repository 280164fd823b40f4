"""FastAPI dependencies: the context, a database session per request, and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from eth_utils import to_checksum_address
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from disfruta.oracle.context import OracleContext
from disfruta.oracle.errors import forbidden, unauthorized
from disfruta.oracle.tokens import Principal

_bearer = HTTPBearer(auto_error=False, description="Access token from /auth/siwe/verify or /auth/operator/login")


# Dependencies that only read what the request already holds are ``async def``: FastAPI runs a plain ``def`` one in
# its thread pool, a hand-off (and back) per dependency per request that buys nothing when nothing blocks.


async def get_ctx(request: Request) -> OracleContext:
    ctx: OracleContext = request.app.state.ctx
    return ctx


Ctx = Annotated[OracleContext, Depends(get_ctx)]


@contextmanager
def transaction(ctx: OracleContext) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with ctx.sessions() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def get_db(ctx: Ctx) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    with transaction(ctx) as db:
        yield db


# scope="function": the commit runs when the handler returns, before the response is sent — a client that
# uses what it was just given (a session, a submission) must find it committed.
Db = Annotated[Session, Depends(get_db, scope="function")]


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


MISSING_TOKEN = "missing bearer token (Authorization: Bearer <access token>)"


def authenticate(ctx: OracleContext, db: Session, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None:
        raise unauthorized(MISSING_TOKEN)
    return ctx.tokens.authenticate(db, credentials.credentials, ctx.now())


async def get_bearer(credentials: Credentials) -> HTTPAuthorizationCredentials:
    """The bearer token, required: a dependency is solved before the body is read, so a caller without one gets its
    401 before any of its body is parsed or validated."""
    if credentials is None:
        raise unauthorized(MISSING_TOKEN)
    return credentials


Bearer = Annotated[HTTPAuthorizationCredentials, Depends(get_bearer)]


def get_principal(ctx: Ctx, db: Db, credentials: Credentials) -> Principal:
    return authenticate(ctx, db, credentials)


def require_wallet(principal: Principal) -> str:
    if principal.role != "wallet":
        raise forbidden("this endpoint is for wallet users")
    return principal.subject


async def get_wallet(principal: Annotated[Principal, Depends(get_principal)]) -> str:
    return require_wallet(principal)


async def get_operator(principal: Annotated[Principal, Depends(get_principal)]) -> str:
    if principal.role != "operator":
        raise forbidden("this endpoint is for KYC operators")
    return principal.subject


Wallet = Annotated[str, Depends(get_wallet)]
Operator = Annotated[str, Depends(get_operator)]


async def wallet_path(wallet: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$",
                                            description="The user's wallet address")]) -> str:
    return str(to_checksum_address(wallet))


WalletPath = Annotated[str, Depends(wallet_path)]
