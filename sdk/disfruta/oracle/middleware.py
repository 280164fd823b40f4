"""HTTP middleware: rate limits per client and security headers on every response."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from disfruta.oracle import metrics
from disfruta.oracle.ratelimit import RateLimiter

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The interactive docs page loads Swagger UI's script and style from a CDN.
DOCS_CSP = ("default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
            "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "connect-src 'self'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")

Handler = Callable[[Request], Awaitable[Response]]


def client_key(request: Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.client.host if request.client else "unknown"


def security_headers(response: Response, path: str) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Content-Security-Policy"] = DOCS_CSP if path.startswith(DOCS_PATHS) else API_CSP
    return response


def make_http_middleware(limiter: RateLimiter, per_minute: int, auth_per_minute: int,
                         trust_forwarded_for: bool) -> Callable[[Request, Handler], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Handler) -> Response:
        path = request.url.path
        is_auth = path.startswith("/auth/")
        wait = limiter.hit(client_key(request, trust_forwarded_for), "auth" if is_auth else "api",
                           auth_per_minute if is_auth else per_minute)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            limit = auth_per_minute if is_auth else per_minute
            metrics.rate_limited("auth" if is_auth else "api")
            response: Response = JSONResponse(
                {"detail": f"rate limit exceeded: {limit} requests per minute; retry in {retry} s"},
                status_code=429, headers={"Retry-After": str(retry)})
        else:
            response = await call_next(request)
        return security_headers(response, path)

    return middleware
