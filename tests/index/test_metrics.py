"""The index's Prometheus series: the follower's (indexed and head blocks, events by name, reorganisations, read
errors; served by ``disfruta index run --metrics-port``) and the read API's ``/metrics`` (request latency by route
template and status, database errors).

The series live in the process's default registry, shared by every test: each test asserts differences.
"""

from __future__ import annotations

import socket
import urllib.request

from click.testing import CliRunner
from disfruta.cli import main
from disfruta.index.api import create_app
from disfruta.rpc import NodeUnreachable
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_sync__blocks_and_events_by_name(indexer, create_loan):
    before = value("disfruta_index_events_total", event="LoanCreated")
    create_loan(amount_tokens=1_000, term=6)
    create_loan(amount_tokens=2_000, term=6)
    indexer.sync()
    assert value("disfruta_index_events_total", event="LoanCreated") - before == 2
    assert value("disfruta_index_indexed_block") == indexer.cursor()[0]
    assert value("disfruta_index_chain_head_block") == indexer.target()


def test_reorg__counted_and_the_indexed_block_follows_the_rollback(indexer, create_loan, chain):
    create_loan(amount_tokens=1_000, term=12)
    indexer.sync()
    snapshot = chain.provider.make_request("evm_snapshot", [])
    create_loan(amount_tokens=2_000, term=12)  # the branch that will be dropped
    chain.mine(3)
    indexer.sync()
    chain.provider.make_request("evm_revert", [snapshot])
    chain.mine(5)
    before = value("disfruta_index_reorgs_total")
    result = indexer.step()
    assert result.rolled_back_to is not None
    assert value("disfruta_index_reorgs_total") - before == 1
    assert value("disfruta_index_indexed_block") == result.rolled_back_to


def test_run__node_unreachable__sync_error_counted_and_retried(indexer, monkeypatch):
    calls = []

    def target() -> int:
        calls.append(1)
        raise NodeUnreachable("connection refused")

    monkeypatch.setattr(indexer, "target", target)
    before = value("disfruta_index_sync_errors_total", error="NodeUnreachable")
    indexer.run(backoff=0.01, stop=lambda: len(calls) >= 2)
    assert value("disfruta_index_sync_errors_total", error="NodeUnreachable") - before == 2


def test_api_metrics__route_templates_statuses_and_database_errors(indexer, create_loan, monkeypatch):
    create_loan(amount_tokens=1_000, term=6)
    indexer.sync()
    api = TestClient(create_app(indexer.engine))
    found = {"method": "GET", "route": "/v1/loans/{loan_id}", "status": "200"}
    missing = {**found, "status": "404"}
    before = value("disfruta_index_request_seconds_count", **found), value("disfruta_index_request_seconds_count",
                                                                           **missing)
    assert api.get("/v1/loans/1").status_code == 200
    assert api.get("/v1/loans/99").status_code == 404
    response = api.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=")
    assert 'disfruta_index_request_seconds_count{method="GET",route="/v1/loans/{loan_id}",status="404"}' \
        in response.text
    assert (value("disfruta_index_request_seconds_count", **found) - before[0],
            value("disfruta_index_request_seconds_count", **missing) - before[1]) == (1, 1)
    assert "/metrics" not in api.get("/openapi.json").json()["paths"]

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    errors = value("disfruta_index_database_errors_total")
    monkeypatch.setattr(indexer.engine, "connect", broken)
    assert api.get("/v1/loans").status_code == 503
    monkeypatch.undo()
    assert value("disfruta_index_database_errors_total") - errors == 1


def test_cli_index_run__metrics_port__series_served_over_http(rpc, deployment_file, tmp_path, create_loan):
    create_loan(amount_tokens=1_000, term=6)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(main, ["--network", rpc, "--deployment", str(deployment_file), "index", "run",
                                       "--db", str(tmp_path / "cli.db"), "--once", "--metrics-port", str(port)])
    assert result.exit_code == 0, result.output
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        body = response.read().decode()
    for series in ("disfruta_index_indexed_block ", "disfruta_index_chain_head_block ",
                   'disfruta_index_events_total{event="LoanCreated"}', "disfruta_index_reorgs_total "):
        assert series in body, series
