"""The oracle as it runs in production: ``disfruta oracle serve --workers 2`` on PostgreSQL with its rate limits in
Redis, as real processes on loopback. What one worker knows, the other must know too: one rate-limit budget per
client, one use per sign-in nonce, one sum of the metrics.

Requests go out on a fresh connection each (``Connection: close``), so the kernel hands them to either worker; each
test also checks, from each worker's own metrics file, that both of them answered some of its requests.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from disfruta.oracle.db import make_engine
from disfruta.oracle_process import OracleProcess
from disfruta.siwe import SiweMessage
from eth_account import Account
from eth_account.messages import encode_defunct
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import make_url, text

from .conftest import fresh_pg_database
from .helpers import PG_ENV, REGISTRY

REDIS_ENV = "DISFRUTA_TEST_REDIS_URL"
API_LIMIT = 24


@pytest.fixture
def pg_database() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"several workers run on PostgreSQL: set {PG_ENV} (.ci/run starts a server and sets it)")
    with fresh_pg_database(base) as url:
        yield url


@pytest.fixture
def service(pg_database: str) -> Iterator[OracleProcess]:
    redis = os.environ.get(REDIS_ENV)
    if not redis:
        pytest.skip(f"several workers share their rate limits in Redis: set {REDIS_ENV} (.ci/run starts one)")
    settings = {"RATE_LIMIT_PER_MINUTE": str(API_LIMIT), "AUTH_RATE_LIMIT_PER_MINUTE": "1000",
                "RATE_LIMIT_NAMESPACE": f"test-{uuid.uuid4().hex[:12]}",  # counters of this test's own
                "TRUST_FORWARDED_FOR": "true"}  # as behind a proxy: the client is X-Forwarded-For
    with OracleProcess(REGISTRY, 31337, None, database_url=pg_database, workers=2, rate_limit_storage_url=redis,
                       settings=settings) as oracle:
        yield oracle


def fresh(oracle: OracleProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request on a connection of its own (either worker may take it)."""
    with httpx.Client(base_url=oracle.url, headers={"Connection": "close"}, timeout=30) as http:
        return http.request(method, path, **kwargs)


def requests_by_worker(oracle: OracleProcess) -> dict[str, float]:
    """Requests each worker has answered so far, by pid, from its own metrics file (the multiprocess mode's: one
    bucket of the latency histogram counted per request)."""
    counts: dict[str, float] = {}
    for path in oracle.metrics_dir.glob("histogram_*.db"):
        values = MmapedDict.read_all_values_from_file(str(path))
        counts[path.stem.rsplit("_", 1)[-1]] = sum(value for key, value, *_ in values
                                                   if '"disfruta_oracle_request_seconds_bucket"' in key)
    return counts


class BothWorkers:
    """``with BothWorkers(oracle):`` fails unless each of the two workers answered a request inside the block."""

    def __init__(self, oracle: OracleProcess) -> None:
        self.oracle = oracle

    def __enter__(self) -> BothWorkers:
        self.before = requests_by_worker(self.oracle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            after = requests_by_worker(self.oracle)
            served = {pid for pid, n in after.items() if n > self.before.get(pid, 0)}
            assert len(served) == 2, f"requests answered by {len(served)} worker(s): {self.before} -> {after}"


def sample(oracle: OracleProcess, name: str, **labels: str) -> float:
    body = fresh(oracle, "GET", "/metrics").text
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_two_workers__rate_limit__one_budget_per_client(service):
    client = {"X-Forwarded-For": "203.0.113.7"}  # as a proxy would send it: one client's address
    with BothWorkers(service):  # the requests were spread over both workers
        codes = [fresh(service, "GET", "/credit/model", headers=client).status_code for _ in range(API_LIMIT + 12)]
    # Each worker holding its own count would let up to twice the limit through.
    assert codes == [200] * API_LIMIT + [429] * 12
    assert sample(service, "disfruta_oracle_rate_limited_total", bucket="api") == 12
    assert fresh(service, "GET", "/credit/model", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200


def test_two_workers__siwe_nonce__used_once_whichever_worker(service):
    wallet = Account.create()
    with BothWorkers(service):
        sign_in_and_replay(service, wallet)


def sign_in_and_replay(service: OracleProcess, wallet: Any) -> None:
    for _ in range(4):
        info = fresh(service, "POST", "/auth/siwe/nonce").json()
        message = SiweMessage(domain=info["domain"], address=wallet.address, uri=info["uri"],
                              chain_id=info["chain_id"], nonce=info["nonce"],
                              issued_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              statement=info["statement"]).text()
        body = {"message": message, "signature": wallet.sign_message(encode_defunct(text=message)).signature.hex()}
        first = fresh(service, "POST", "/auth/siwe/verify", json=body)
        assert first.status_code == 200, first.text  # a nonce one worker issued, the other may redeem
        tokens = first.json()
        for _ in range(3):  # the same message again, on new connections: refused by both workers
            replay = fresh(service, "POST", "/auth/siwe/verify", json=body)
            assert replay.status_code == 401
            assert "nonce unknown, already used or expired" in replay.json()["detail"]
        # The session the sign-in opened is known to both workers, and so is its refresh token's single use.
        assert all(fresh(service, "GET", "/kyc/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
                         ).status_code == 200 for _ in range(3))
        rotated = fresh(service, "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert rotated.status_code == 200
        reused = fresh(service, "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert reused.status_code == 401


def test_two_workers__metrics__summed_over_both(service):
    # The start-up wait polls /health with a 1 s client timeout; on a loaded machine a poll it gave up on can still
    # be answered, and counted, a moment later (a CI run counted 13 for 10 + 2). Start from a count that has
    # settled.
    before, deadline = -1.0, time.monotonic() + 10
    while time.monotonic() < deadline:
        now = sample(service, "disfruta_oracle_request_seconds_count", route="/health", status="200")
        if now == before:
            break
        before = now
        time.sleep(1.5)
    with BothWorkers(service):
        for _ in range(10):
            assert fresh(service, "GET", "/health").status_code == 200
    assert sample(service, "disfruta_oracle_request_seconds_count", route="/health", status="200") == before + 10



def test_worker_socket__port_taken__start_refused_once_not_retried():
    """The parent's check is a plain bind, so it also sees a server that shares its port (an earlier ``serve
    --workers`` still running); a worker that can't bind exits with uvicorn's start-up failure code, which its
    supervisor doesn't restart."""
    from disfruta.oracle import workers
    from uvicorn.config import STARTUP_FAILURE

    running = workers.bind("127.0.0.1", 0, 16)  # as a worker of another running service binds it
    port = running.getsockname()[1]
    try:
        with pytest.raises(OSError):
            workers.check_free("127.0.0.1", port)
        with socket.socket() as plain:  # taken without SO_REUSEPORT: a worker can't share it
            plain.bind(("127.0.0.1", 0))
            plain.listen(1)
            with pytest.raises(SystemExit) as exited:
                workers.bind_in_worker("127.0.0.1", plain.getsockname()[1], 16)
            assert exited.value.code == STARTUP_FAILURE
    finally:
        running.close()
    workers.check_free("127.0.0.1", port)  # free again


def test_worker_listener__unpickled__a_socket_of_its_own_on_the_same_port():
    import pickle

    from disfruta.oracle import workers

    probe = workers.bind("127.0.0.1", 0, 16)
    port = probe.getsockname()[1]
    probe.close()
    first = pickle.loads(pickle.dumps(workers.WorkerListener("127.0.0.1", port, 16)))
    second = pickle.loads(pickle.dumps(workers.WorkerListener("127.0.0.1", port, 16)))
    try:
        assert first.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
    finally:
        first.close()
        second.close()
