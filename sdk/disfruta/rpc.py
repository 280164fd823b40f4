"""JSON-RPC transport: single requests and batches over one web3 provider, counted, with retries for reads.

The SDK talks to the node through this one object, so it can count what it costs (``requests`` is the number of
round trips; a batch is one) and retry what is safe to retry. Sends are never retried here: the transaction layer
decides, because it knows whether a signed transaction is already on its way (``disfruta.tx``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Errors a dropped or refused connection raises through web3's HTTP and WebSocket providers.
import requests  # what web3's HTTPProvider uses
from web3 import Web3

from disfruta.errors import ConfigurationError, DisfrutaError

# (HTTPError is an OSError too; it is handled first, by its status.)
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (requests.ConnectionError, requests.Timeout, ConnectionError,
                                                        TimeoutError, OSError)
# HTTP statuses worth asking again (rate limited, gateway trouble); any other status is the node's answer.
_RETRY_STATUSES = (429, 502, 503, 504)

# Methods that read state: repeating them is harmless.
_IDEMPOTENT_PREFIXES = ("eth_call", "eth_get", "eth_chainId", "eth_blockNumber", "eth_estimateGas", "eth_feeHistory",
                        "eth_maxPriorityFeePerGas", "eth_gasPrice", "eth_accounts", "net_", "web3_")


class RpcError(DisfrutaError):
    """The node answered a request with a JSON-RPC error: ``code``, ``message`` and ``data`` (revert data, if any)."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        super().__init__(f"{method}: {message} (code {code})")


class NodeUnreachable(DisfrutaError):
    """The node could not be reached after the configured retries."""


@dataclass(frozen=True)
class Request:
    method: str
    params: Sequence[Any]


class Rpc:
    """One node connection. ``requests`` counts round trips; ``calls`` counts JSON-RPC methods inside them."""

    def __init__(self, w3: Web3, *, retries: int = 3, backoff: float = 0.25) -> None:
        self.w3 = w3
        self.provider = w3.provider
        self.retries = retries
        self.backoff = backoff
        self.requests = 0
        self.calls = 0
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 30.0, **kwargs: Any) -> Rpc:
        if url.startswith(("http://", "https://")):
            # web3's own retries are off: this class retries (reads only), and counts every attempt.
            provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
            return cls(Web3(provider), **kwargs)
        if url.startswith(("ws://", "wss://")):
            return cls(Web3(Web3.LegacyWebSocketProvider(url, websocket_timeout=int(timeout))), **kwargs)
        raise ConfigurationError(f"not an RPC URL: {url!r} (expected http://, https://, ws:// or wss://)")

    def _count(self, calls: int) -> None:
        with self._lock:
            self.requests += 1
            self.calls += calls

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC request; returns ``result`` or raises ``RpcError``."""
        response = self._with_retries(method, lambda: self.provider.make_request(method, list(params)))  # type: ignore[arg-type]
        return _result(method, response)

    def batch(self, requests: Sequence[Request], *, raise_errors: bool = True) -> list[Any]:
        """Several requests in one round trip (a JSON-RPC batch), answered in order.

        With ``raise_errors=False`` a failed member is returned as its ``RpcError`` instead of raising.
        """
        if not requests:
            return []
        if len(requests) == 1:
            try:
                return [self.request(requests[0].method, requests[0].params)]
            except RpcError as exc:
                if raise_errors:
                    raise
                return [exc]
        methods = ",".join(sorted({r.method for r in requests}))
        responses = self._with_retries(
            methods, lambda: self.provider.make_batch_request([(r.method, list(r.params)) for r in requests]),  # type: ignore[arg-type,misc,attr-defined]
            calls=len(requests))
        if not isinstance(responses, list):  # the node refused the whole batch
            _result(methods, responses)
            raise RpcError(methods, -32600, "the node answered a batch with a single response")
        out: list[Any] = []
        for req, response in zip(requests, responses, strict=True):
            try:
                out.append(_result(req.method, response))
            except RpcError as exc:
                if raise_errors:
                    raise
                out.append(exc)
        return out

    def _with_retries(self, method: str, action: Any, calls: int = 1) -> Any:
        idempotent = all(m.startswith(_IDEMPOTENT_PREFIXES) for m in method.split(","))
        delay = self.backoff
        attempts = self.retries + 1 if idempotent else 1
        for attempt in range(attempts):
            self._count(calls)
            try:
                return action()
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status not in _RETRY_STATUSES or attempt == attempts - 1:
                    raise RpcError(method, -32000, f"the node answered HTTP {status}") from None
                time.sleep(delay)
                delay *= 2
            except _CONNECTION_ERRORS as exc:
                if attempt == attempts - 1:
                    raise NodeUnreachable(f"{method}: cannot reach the node after {attempt + 1} attempt(s): "
                                          f"{type(exc).__name__}") from exc
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def rpc_revert(exc: RpcError) -> DisfrutaError | None:
    """The decoded revert an ``eth_call``/``eth_estimateGas`` error carries (nodes put the data at ``data`` or
    nest it as ``data.data``), or ``None`` when it carries none."""
    from disfruta.errors import decode_revert

    data = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        try:
            return decode_revert(bytes.fromhex(data[2:]))
        except ValueError:
            return None
    return None


def _result(method: str, response: Any) -> Any:
    error = response.get("error") if isinstance(response, dict) else None
    if error:
        if isinstance(error, str):
            raise RpcError(method, -32000, error)
        raise RpcError(method, int(error.get("code", -32000)), str(error.get("message", "")), error.get("data"))
    return response.get("result") if isinstance(response, dict) else response
