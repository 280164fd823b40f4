"""The reference dApp (``app/``, built into ``app/dist``) served next to the index API: `create_site`, `Site`.

One origin serves:
- the built app at ``/`` (hashed assets cached for a year; the shell, the manifest and the service worker revalidated);
- its run-time configuration at ``/config.json``: the chain, the read-only RPC URL browsers read through, the index
  and oracle URLs (so one build runs against any market);
- the deployment file at ``/deployment.json`` (the repository's format, read by the app as any dApp would);
- the index API at ``/index/v1/...``.
The oracle is its own service on its own origin: its ``cors_origins`` setting must name this site's origin, and its
``siwe_domain`` this site's host (EIP-4361: the domain asking for the signature is the dApp's).

Responses are gzip-compressed when the browser accepts it. Every response carries a Content-Security-Policy: scripts only from this origin, connections only to this origin,
the RPC and the oracle, and no framing (a dApp in a hostile frame is a clickjacking target).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from disfruta.errors import ConfigurationError

#: The repository's build of the app (``make app``), used when no ``dist`` is given.
REPO_DIST = Path(__file__).resolve().parents[3] / "app" / "dist"
#: How the project's browser tests and its benchmark run a headless Chromium (Debian's, by path): no sandbox (root
#: in a container), no GPU, and none of the browser's own background traffic in the measurements.
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage")


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL (what a CSP source and a CORS origin name)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ConfigurationError(f"{url!r} is not an http(s) or ws(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


def app_config(*, chain_id: int, rpc_url: str, oracle_url: str, chain_name: str | None = None,
               native_symbol: str = "ETH", explorer_url: str | None = None,
               index_url: str = "/index") -> dict[str, Any]:
    """The ``/config.json`` the app loads at start (``indexUrl`` is the base of the index API's ``/v1`` routes)."""
    origin(rpc_url)
    origin(oracle_url)
    return {"chainId": chain_id, "chainName": chain_name or f"Chain {chain_id}", "rpcUrl": rpc_url,
            "indexUrl": index_url, "oracleUrl": oracle_url.rstrip("/"), "deploymentUrl": "./deployment.json",
            "nativeSymbol": native_symbol, "explorerUrl": explorer_url}


def content_security_policy(config: dict[str, Any]) -> str:
    connect = ["'self'", origin(config["rpcUrl"]), origin(config["oracleUrl"])]
    if not str(config["indexUrl"]).startswith("/"):
        connect.append(origin(config["indexUrl"]))
    return "; ".join([
        "default-src 'self'", f"connect-src {' '.join(dict.fromkeys(connect))}", "script-src 'self'",
        "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "manifest-src 'self'", "worker-src 'self'",
        "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'"])


class _Headers:
    """Security headers on every response, and the caching rules of the app's files."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.fixed = [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
                      (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/index/"):
            cache = None  # the index API sets its own Cache-Control (by block)
        elif path.startswith("/assets/"):
            cache = b"public, max-age=31536000, immutable"  # content-hashed names
        elif path in ("/config.json", "/deployment.json"):
            cache = b"no-store"
        else:
            cache = b"no-cache"

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if not (cache is not None and k.lower() == b"cache-control")]
                headers.extend(self.fixed)
                if cache is not None:
                    headers.append((b"cache-control", cache))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_site(dist: Path, config: dict[str, Any], deployment_file: Path, index_app: ASGIApp) -> ASGIApp:
    """The site: the built app in ``dist``, ``config`` as ``/config.json``, the deployment file, the index API."""
    dist = Path(dist)
    if not (dist / "index.html").is_file():
        raise ConfigurationError(f"the app is not built in {dist}: run `make app` (npm run build in app/)")
    deployment_file = Path(deployment_file)
    if not deployment_file.is_file():
        raise ConfigurationError(f"no deployment file at {deployment_file}")
    body = json.dumps(config).encode()

    async def config_json(_request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def deployment_json(_request: Request) -> Response:
        return FileResponse(deployment_file, media_type="application/json")

    app = Starlette(routes=[
        Route("/config.json", config_json), Route("/deployment.json", deployment_json),
        Mount("/index", app=index_app), Mount("/", app=StaticFiles(directory=dist, html=True)),
    ])
    # Compressed for browsers that accept it (all do): the app's scripts, the index's JSON and CSV statements.
    return _Headers(GZipMiddleware(app, minimum_size=1_000), content_security_policy(config))


class Site:
    """``with Site(...) as site:`` — the index follows the chain in a thread (one pass first, so the first page is
    complete) and the site serves on ``site.url`` until the block ends.

    ``rpc_url`` is what the indexer and the live fields read; ``browser_rpc_url`` (default the same) is what the app's
    pages read through. ``oracle_url`` is the oracle service the app signs users in with."""

    def __init__(self, *, database: str | Path, deployment_file: Path, rpc_url: str, oracle_url: str,
                 browser_rpc_url: str | None = None, dist: Path | None = None, host: str = "127.0.0.1",
                 port: int = 0, poll: float = 0.5, chain_name: str | None = None, follow: bool = True) -> None:
        from disfruta.index.sync import Indexer

        self.dist = Path(dist) if dist is not None else REPO_DIST
        if not (self.dist / "index.html").is_file():  # before anything is indexed
            raise ConfigurationError(f"the app is not built in {self.dist}: run `make app` (npm run build in app/)")
        origin(oracle_url)
        self.deployment_file = Path(deployment_file)
        if not self.deployment_file.is_file():
            raise ConfigurationError(f"no deployment file at {self.deployment_file}")
        self.indexer = Indexer.connect(database, rpc_url, self.deployment_file)
        self.rpc_url = rpc_url
        self.config = app_config(chain_id=self.indexer.deployment.chain_id, rpc_url=browser_rpc_url or rpc_url,
                                 oracle_url=oracle_url, chain_name=chain_name)
        self.host, self.port, self.poll, self.follow = host, port, poll, follow
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: Any = None
        self._socket: socket.socket | None = None
        self.errors: list[BaseException] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> Site:
        import uvicorn

        from disfruta.client import Disfruta
        from disfruta.index.api import create_app

        if self.follow:  # otherwise another process indexes (`disfruta index run`): this one only reads
            self.indexer.sync()
        core = Disfruta.connect(self.rpc_url, self.indexer.deployment).core
        site = create_site(self.dist, self.config, self.deployment_file, create_app(self.indexer.engine, core,
                                                                                     live_cache_seconds=0))
        # Bound here, in the caller's thread: a port in use is a clear error now, not a log line from uvicorn's.
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ConfigurationError(f"cannot serve on {self.host}:{self.port}: {exc.strerror or exc}") from None
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._server = uvicorn.Server(uvicorn.Config(site, host=self.host, port=self.port, log_level="warning",
                                                     lifespan="off"))
        self._start(lambda: self._server.run(sockets=[sock]), "site")
        if self.follow:
            self._start(self._follow, "index")
        deadline = time.monotonic() + 30
        while not self._server.started:
            if self.errors or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise ConfigurationError(f"the site did not start on {self.url}: "
                                         f"{self.errors[0] if self.errors else 'timed out'}")
            time.sleep(0.05)
        return self

    def _start(self, target: Callable[[], Any], name: str) -> None:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 — reported to the caller through `errors`
                self.errors.append(exc)

        thread = threading.Thread(target=run, name=f"disfruta-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _follow(self) -> None:
        self.indexer.run(poll=self.poll, stop=self._stop.is_set)

    def wait_indexed(self, block: int | None = None, timeout: float = 30.0) -> int:
        """Waits until the index has reached ``block`` (default: the node's head now); returns the indexed block."""
        target = self.indexer.target() if block is None else block
        deadline = time.monotonic() + timeout
        while (cursor := self.indexer.cursor()[0]) < target:
            if self.errors:
                raise self.errors[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"the index is at block {cursor}, not {target}, after {timeout} s")
            time.sleep(0.05)
        return cursor

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

