"""The oracle's ASGI application (FastAPI): ``create_app(settings)``; OpenAPI at ``/openapi.json``, ``/docs``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from disfruta import __version__
from disfruta.oracle import metrics
from disfruta.oracle.context import OracleContext, build_context
from disfruta.oracle.errors import ApiError
from disfruta.oracle.middleware import OracleMiddleware
from disfruta.oracle.routes import auth, credit, kyc
from disfruta.oracle.settings import OracleSettings

log = logging.getLogger("disfruta.oracle")

DESCRIPTION = """\
KYC and credit oracle of the Disfruta lending protocol.

Wallet users sign in with an EIP-4361 message (`/auth/siwe/nonce`, then `/auth/siwe/verify`), submit KYC data
(stored encrypted; only a salted commitment leaves the service), and ask for signed EIP-712 attestations that anyone
can submit to `UserRegistry`. Operators (password + TOTP) review submissions, revoke and erase.
"""


def create_app(settings: OracleSettings | None = None, *, context: OracleContext | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:
    """The application; give ``settings`` (read from the environment by default) or a ready ``context``."""
    ctx = context or build_context(settings or OracleSettings(), clock=clock)  # type: ignore[call-arg]
    app = FastAPI(title="Disfruta oracle", version=__version__, description=DESCRIPTION)
    app.state.ctx = ctx
    s = ctx.settings
    app.add_middleware(OracleMiddleware, limiter=ctx.limiter, per_minute=s.rate_limit_per_minute,
                       auth_per_minute=s.auth_rate_limit_per_minute, trust_forwarded_for=s.trust_forwarded_for,
                       on_limited=metrics.rate_limited, on_store_error=metrics.rate_limit_store_failed)
    metrics.install(app)  # after the rate limiter: the timing wraps it and sees its 429s
    if s.cors_origin_list:  # outermost: preflights are answered before the rate limiter, refusals carry the headers
        app.add_middleware(CORSMiddleware, allow_origins=s.cors_origin_list, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(DBAPIError)
    async def _database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        # The database is down or unreachable: a temporary condition the client can retry, not a server bug.
        # Nothing was acknowledged (the transaction commits before the response), so a retry loses nothing.
        log.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        metrics.database_error()
        return JSONResponse({"detail": "database unavailable, retry later"}, status_code=503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(ValidationError)
    async def _validation_error(_request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse({"detail": exc.errors(include_url=False, include_context=False)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _request_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    app.include_router(auth.router)
    app.include_router(kyc.router)
    app.include_router(credit.router)
    log.info("oracle ready: signers %s, chain %s, database %s", ctx.signer.addresses,
             "connected" if ctx.registry else "not connected", ctx.engine.url.render_as_string(hide_password=True))
    return app


def create_app_from_env() -> FastAPI:
    """The application of one worker process of ``disfruta oracle serve --workers N`` (uvicorn's factory): the
    settings come from the environment, as they did in the parent that checked them."""
    return create_app(OracleSettings())  # type: ignore[call-arg]
