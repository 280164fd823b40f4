"""ASGI middleware: rate limits per client and security headers on every response.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``: that one runs each request's app in a task of its own
and streams the response through a memory channel, a fixed cost per request that the oracle's load profile (many
small JSON requests) pays in full.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from disfruta.oracle.ratelimit import RateLimiter, RateLimitStoreError

log = logging.getLogger("disfruta.oracle")

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

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_BASE_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_CSP = b"content-security-policy"


UNLIMITED_PATHS = ("/health", "/metrics")  # probes and scrapes: never refused, and spend no client's budget


def client_key(scope: Scope, trust_forwarded_for: bool) -> str:
    """The client a request counts against. Behind a proxy, the address the proxy itself appended: the last entry of
    the last ``X-Forwarded-For`` (what comes before it, the client may have written; taking the first entry would
    let a client pick a fresh budget for every request)."""
    if trust_forwarded_for:
        forwarded = [value for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"]
        if forwarded:
            last = forwarded[-1].decode("latin-1").split(",")[-1].strip()
            if last:
                return last
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _with_security_headers(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    out = [h for h in headers if h[0].lower() != _CSP]
    out.extend(h for h in _BASE_HEADERS if h[0] not in present)
    out.append((_CSP, (DOCS_CSP if path.startswith(DOCS_PATHS) else API_CSP).encode()))
    return out


async def _json(send: Send, status: int, detail: str, headers: dict[str, str], path: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           *((k.lower().encode(), v.encode()) for k, v in headers.items())]
    await send({"type": "http.response.start", "status": status, "headers": _with_security_headers(raw, path)})
    await send({"type": "http.response.body", "body": body})


class OracleMiddleware:
    """Rate limit first (the ``auth`` bucket for ``/auth/*``, the ``api`` bucket for the rest), then the app, with
    the security headers added to whatever it answers."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, per_minute: int, auth_per_minute: int,
                 trust_forwarded_for: bool, on_limited: Callable[[str], None] | None = None,
                 on_store_error: Callable[[], None] | None = None) -> None:
        self.app = app
        self.limiter = limiter
        self.per_minute = per_minute
        self.auth_per_minute = auth_per_minute
        self.trust_forwarded_for = trust_forwarded_for
        self.on_limited = on_limited
        self.on_store_error = on_store_error
        self._last_store_warning = -math.inf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in UNLIMITED_PATHS:
            await self.app(scope, receive, self._with_headers(send, path))
            return
        bucket = "auth" if path.startswith("/auth/") else "api"
        limit = self.auth_per_minute if bucket == "auth" else self.per_minute
        try:
            decision = await self.limiter.hit(client_key(scope, self.trust_forwarded_for), bucket, limit)
        except RateLimitStoreError as exc:
            if self.on_store_error is not None:
                self.on_store_error()
            now = time.monotonic()
            if now - self._last_store_warning >= 10:  # once per 10 s, not once per request
                self._last_store_warning = now
                log.warning("%s (requests answered 503 until it is back)", exc)
            await _json(send, 503, f"{exc}; retry later", {"Retry-After": "5"}, path)
            return
        if not decision.allowed:
            if self.on_limited is not None:
                self.on_limited(bucket)
            await _json(send, 429, f"rate limit exceeded: {limit} requests per minute; retry in "
                                   f"{decision.retry_after} s", {"Retry-After": str(decision.retry_after)}, path)
            return

        await self.app(scope, receive, self._with_headers(send, path))

    @staticmethod
    def _with_headers(send: Send, path: str) -> Send:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_security_headers(list(message.get("headers", ())), path)
            await send(message)

        return send_with_headers
