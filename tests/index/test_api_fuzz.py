"""Schemathesis drives every operation of the index API's OpenAPI document with generated input, over a synthetic
market written through the indexer's write path (no node: live fields are absent): nothing answers 5xx, and every
4xx carries a message."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from disfruta.index.api import create_app
from disfruta.index.db import make_engine, upgrade
from disfruta.index.synthetic import SyntheticMarket
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

MAX_EXAMPLES = 25


@pytest.fixture
def fuzz_client(tmp_path) -> Any:
    engine = make_engine(tmp_path / "fuzz.db")
    upgrade(engine)
    SyntheticMarket(engine, seed=2, lenders=10, market=True).add(40)
    return TestClient(create_app(engine))


@pytest.fixture
def api_schema(fuzz_client):
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_client.app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api__generated_input__never_5xx_and_4xx_explained(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        detail = response.json().get("detail")
        assert detail, f"{case.method} {case.formatted_path}: {response.status_code} without a message"


def test_synthetic_market__pages_and_stats_without_a_node(fuzz_client):
    first = fuzz_client.get("/v1/loans", params={"limit": 7}).json()
    assert len(first["items"]) == 7 and first["next_cursor"]
    assert all(item["live"] is None for item in first["items"])
    stats = fuzz_client.get("/v1/stats").json()
    assert stats["loans"] == 40
    loan = fuzz_client.get("/v1/loans/40").json()
    assert loan["history"][0]["event"] == "LoanCreated" and loan["schedule"] == []
    # the note market and autopay (issue #16) have rows for the operations above to find
    for path in ("/v1/market/listings", "/v1/market/trades", "/v1/autopay"):
        assert fuzz_client.get(path).json()["items"], path
