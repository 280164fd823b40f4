"""``/metrics``: the oracle's Prometheus series after the requests that move them, and the multiprocess collection.

The counters live in the process's default registry, shared by every test: each test reads a series before and
after (``REGISTRY.get_sample_value``) and asserts the difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from disfruta.oracle import metrics
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from .helpers import APPLICANT, RISKY_APPLICANT


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``/metrics`` parsed: (sample name, sorted labels) → value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_metrics__unauthenticated_and_not_in_the_openapi_schema(client):
    samples = scrape(client)
    assert ("disfruta_oracle_database_errors_total", ()) in samples
    assert ("disfruta_oracle_rate_limited_total", (("bucket", "auth"),)) in samples
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_metrics__approved_assessment__assessment_and_attestation_by_signer_counted(client, approved_borrower,
                                                                                   wallet_headers, service_key):
    response = client.post("/credit/assessments", headers=wallet_headers, json={"applicant": APPLICANT, "nonce": 0})
    assert response.status_code == 201
    grade = response.json()["grade"]
    before = (value("disfruta_oracle_assessments_total", decision="approved", grade=grade),
              value("disfruta_oracle_attestations_signed_total", kind="credit", signer=service_key.address))
    response = client.post("/credit/assessments", headers=wallet_headers, json={"applicant": APPLICANT, "nonce": 1})
    assert response.status_code == 201
    samples = scrape(client)
    after = (samples[("disfruta_oracle_assessments_total", (("decision", "approved"), ("grade", grade)))],
             samples[("disfruta_oracle_attestations_signed_total",
                      (("kind", "credit"), ("signer", service_key.address)))])
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    timed = ("disfruta_oracle_request_seconds_count",
             (("method", "POST"), ("route", "/credit/assessments"), ("status", "201")))
    assert samples[timed] >= 2


def test_metrics__declined_assessment__grade_none_and_nothing_signed(client, approved_borrower, wallet_headers):
    before = value("disfruta_oracle_assessments_total", decision="declined", grade="none")
    signed = sum(s.value for f in REGISTRY.collect() if f.name == "disfruta_oracle_attestations_signed"
                 for s in f.samples if s.name.endswith("_total"))
    response = client.post("/credit/assessments", headers=wallet_headers,
                           json={"applicant": RISKY_APPLICANT, "nonce": 0})
    assert response.json()["decision"] == "declined"
    assert value("disfruta_oracle_assessments_total", decision="declined", grade="none") - before == 1
    assert sum(s.value for f in REGISTRY.collect() if f.name == "disfruta_oracle_attestations_signed"
               for s in f.samples if s.name.endswith("_total")) == signed


def test_metrics__401__timed_under_the_route_template_and_its_status(client, wallet):
    labels = {"method": "POST", "route": "/kyc/users/{wallet}/review", "status": "401"}
    before = value("disfruta_oracle_request_seconds_count", **labels)
    response = client.post(f"/kyc/users/{wallet.address}/review", json={"decision": "approve", "reason": "x"})
    assert response.status_code == 401
    assert value("disfruta_oracle_request_seconds_count", **labels) - before == 1
    assert value("disfruta_oracle_request_seconds_bucket", **labels, le="+Inf") - before == 1


def test_metrics__unknown_paths__one_unmatched_label(client):
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    before = value("disfruta_oracle_request_seconds_count", **labels)
    for path in ("/wp-admin", "/.env", "/credit/assessments/x/y/z"):
        assert client.get(path).status_code == 404
    assert value("disfruta_oracle_request_seconds_count", **labels) - before == 3
    routes = {s.labels["route"] for f in REGISTRY.collect() if f.name == "disfruta_oracle_request_seconds"
              for s in f.samples}
    assert not routes & {"/wp-admin", "/.env"}


def test_metrics__revocation__counted(client, approved_borrower, operator_headers):
    before = value("disfruta_oracle_revocations_total")
    response = client.post(f"/kyc/users/{approved_borrower.address}/revoke", headers=operator_headers,
                           json={"reason": "document forged"})
    assert response.status_code == 200
    assert scrape(client)[("disfruta_oracle_revocations_total", ())] - before == 1


def test_metrics__database_down__503_and_a_database_error_counted(client, ctx, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    before = value("disfruta_oracle_database_errors_total")
    monkeypatch.setattr(ctx.engine, "connect", broken)
    monkeypatch.setattr(ctx.engine, "raw_connection", broken)
    response = client.post("/auth/siwe/nonce")
    monkeypatch.undo()
    assert response.status_code == 503
    assert value("disfruta_oracle_database_errors_total") - before == 1
    assert value("disfruta_oracle_request_seconds_count", method="POST", route="/auth/siwe/nonce", status="503") >= 1


def test_metrics__rate_limited__counted_by_bucket(make_service):
    client, _ = make_service(rate_limit_per_minute=2, auth_rate_limit_per_minute=1)
    before = (value("disfruta_oracle_rate_limited_total", bucket="api"),
              value("disfruta_oracle_rate_limited_total", bucket="auth"))
    statuses = [client.get("/credit/model").status_code for _ in range(4)]
    auth = [client.post("/auth/siwe/nonce").status_code for _ in range(3)]
    assert (statuses.count(429), auth.count(429)) == (2, 2)
    after = (value("disfruta_oracle_rate_limited_total", bucket="api"),
             value("disfruta_oracle_rate_limited_total", bucket="auth"))
    assert (after[0] - before[0], after[1] - before[1]) == (2, 2)
    assert value("disfruta_oracle_request_seconds_count", method="GET", route="/credit/model", status="429") >= 2


def test_rate_limited__the_hook_the_middleware_calls():
    before = value("disfruta_oracle_rate_limited_total", bucket="api")
    metrics.rate_limited("api")
    assert value("disfruta_oracle_rate_limited_total", bucket="api") - before == 1


WORKER = textwrap.dedent("""
    import sys
    from disfruta.oracle import metrics
    for _ in range(int(sys.argv[1])):
        metrics.assessed("approved", "A3")
        metrics.REQUEST_SECONDS.labels("POST", "/credit/assessments", "201").observe(0.05)
    metrics.signed("credit", "0x" + "ab" * 20)
""")


def test_metrics__several_workers__a_scrape_sums_every_process(client, tmp_path: Path, monkeypatch):
    """What ``serve --workers N`` does: PROMETHEUS_MULTIPROC_DIR set before the workers import the metrics; each
    worker writes its own files, and a scrape answered by any of them sums them all."""
    directory = tmp_path / "metrics"  # empty, as serve makes it (tmp_path also holds the test's SQLite file)
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": os.pathsep.join(sys.path)}
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", WORKER, str(n)], env=env, check=True, timeout=120)
    assert len(list(directory.glob("*.db"))) >= 2  # one file per process and metric type
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    samples = scrape(client)
    assert samples[("disfruta_oracle_assessments_total", (("decision", "approved"), ("grade", "A3")))] == 7
    assert samples[("disfruta_oracle_attestations_signed_total", (("kind", "credit"), ("signer", "0x" + "ab" * 20)))] \
        == 2
    route = (("method", "POST"), ("route", "/credit/assessments"), ("status", "201"))
    assert samples[("disfruta_oracle_request_seconds_count", route)] == 7
    assert samples[("disfruta_oracle_request_seconds_bucket", (("le", "0.05"), *route))] == 7


def test_metrics__rate_limit_store_down__counted(make_service):
    client, _ = make_service(rate_limit_storage_url="redis://127.0.0.1:9/0")  # nothing listens on the discard port
    name = "disfruta_oracle_rate_limit_store_errors_total"
    before = REGISTRY.get_sample_value(name) or 0.0
    assert client.get("/credit/model").status_code == 503
    assert REGISTRY.get_sample_value(name) == before + 1
