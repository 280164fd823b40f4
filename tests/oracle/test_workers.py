"""The oracle as it runs in production: ``disfruta oracle serve --workers 2`` on PostgreSQL with its rate limits in
Redis, as real processes on loopback. What one worker knows, the other must know too: one rate-limit budget per
client, one use per sign-in nonce, one sum of the metrics.

Requests go out on a fresh connection each (``Connection: close``), so the kernel hands them to either worker; each
test also checks, from the workers' metric files, that both of them served.
"""

from __future__ import annotations

import os
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
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import make_url, text

from .helpers import PG_ENV, REGISTRY

REDIS_ENV = "DISFRUTA_TEST_REDIS_URL"
API_LIMIT = 24


@pytest.fixture
def pg_database() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"several workers run on PostgreSQL: set {PG_ENV} (.ci/run starts a server and sets it)")
    name = f"disfruta_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


def workers_that_served(oracle: OracleProcess) -> set[str]:
    """The pids with a request-latency file in the metrics directory: the workers that answered a request."""
    return {p.stem.rsplit("_", 1)[-1] for p in oracle.metrics_dir.glob("histogram_*.db")}


def sample(oracle: OracleProcess, name: str, **labels: str) -> float:
    body = fresh(oracle, "GET", "/metrics").text
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_two_workers__rate_limit__one_budget_per_client(service):
    client = {"X-Forwarded-For": "203.0.113.7"}  # a client nothing else (the start-up's health checks) has used
    codes = [fresh(service, "GET", "/health", headers=client).status_code for _ in range(API_LIMIT + 12)]
    assert len(workers_that_served(service)) == 2  # the requests were spread over both workers
    # Each worker holding its own count would let up to twice the limit through.
    assert codes == [200] * API_LIMIT + [429] * 12
    assert sample(service, "disfruta_oracle_rate_limited_total", bucket="api") == 12
    assert fresh(service, "GET", "/health", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200


def test_two_workers__siwe_nonce__used_once_whichever_worker(service):
    wallet = Account.create()
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
    assert len(workers_that_served(service)) == 2


def test_two_workers__metrics__summed_over_both(service):
    before = sample(service, "disfruta_oracle_request_seconds_count", route="/health", status="200")
    for _ in range(10):
        assert fresh(service, "GET", "/health").status_code == 200
    assert len(workers_that_served(service)) == 2
    assert sample(service, "disfruta_oracle_request_seconds_count", route="/health", status="200") == before + 10

