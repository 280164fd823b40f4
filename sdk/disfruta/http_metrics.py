"""The HTTP side of the metrics, for the two FastAPI services (the oracle, the index's read API): a pure-ASGI
middleware timing every request by method, route template and status, and the unauthenticated ``/metrics`` route.

Extra-only (it needs FastAPI, which both the [oracle] and the [index] extras bring).

The route label is the template (``/kyc/users/{wallet}/review``), never the raw path: a path no route matches is
``unmatched``, so a scanner probing random URLs can't grow the series without bound.
"""

from __future__ import annotations

import re
import time

from fastapi import FastAPI
from prometheus_client import Histogram
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disfruta import metrics

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"


class RouteTemplates:
    """The template of the route that served (or would serve) a request.

    Routed requests carry their route in the scope (FastAPI's router leaves it there). One refused before routing
    (the rate limiter's 429) or by the router itself (405: another method) is matched here against the paths of the
    app's OpenAPI schema, compiled on first use: the public listing of every API route, whatever the router's
    internals (FastAPI's included routers are not flat lists of routes)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    def __call__(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None and isinstance(getattr(route, "path", None), str):
            return str(route.path)
        if self._compiled is None:
            try:
                paths = list(self.app.openapi().get("paths", {}))
            except Exception:  # noqa: BLE001 - a schema that can't be built must not fail the request being timed
                paths = []
            self._compiled = [(compile_path(p)[0], p) for p in paths]
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root):]
        return next((template for regex, template in self._compiled if regex.match(path)), UNMATCHED)


class TimingMiddleware:
    """Observes each HTTP request's duration (to the end of its response) in ``histogram`` with the labels method,
    route, status. An exception out of the app counts as a 500 (what the server answers) and is re-raised.
    Scrapes of ``/metrics`` are not timed."""

    def __init__(self, app: ASGIApp, histogram: Histogram, templates: RouteTemplates) -> None:
        self.app = app
        self.histogram = histogram
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.histogram.labels(scope.get("method", ""), self.templates(scope),
                                  str(status)).observe(time.perf_counter() - started)


def request_histogram(prefix: str) -> Histogram:
    """``<prefix>_request_seconds{method, route, status}``."""
    return Histogram(f"{prefix}_request_seconds", "HTTP request duration, by method, route template and status",
                     ["method", "route", "status"], buckets=metrics.LATENCY_BUCKETS)


def _metrics(_request: Request) -> Response:
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


def install(app: FastAPI, histogram: Histogram) -> None:
    """Adds the timing middleware (outermost of those added so far: it sees the rate limiter's 429s) and the
    ``/metrics`` route (no authentication, left out of the OpenAPI schema: keep it behind the proxy)."""
    app.add_middleware(TimingMiddleware, histogram=histogram, templates=RouteTemplates(app))
    app.add_route(METRICS_PATH, _metrics, methods=["GET"], include_in_schema=False)
