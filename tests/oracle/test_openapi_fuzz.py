"""Schemathesis drives every operation of the OpenAPI document with generated (mostly invalid) input: nothing may
answer 5xx, and every 4xx carries a message. Bounded: ``MAX_EXAMPLES`` cases per operation (about 300 in
all), on SQLite, as a signed-in wallet or operator according to the path."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from .helpers import bearer, sign_in

MAX_EXAMPLES = 15
OPERATOR_PATHS = ("/kyc/users/", "/kyc/pending", "/audit")


@pytest.fixture
def fuzz_target(make_service, wallet, operator_headers_factory) -> tuple[Any, dict[str, str], dict[str, str]]:
    client, ctx = make_service()
    return client, bearer(sign_in(client, wallet)), operator_headers_factory(client, ctx)


@pytest.fixture
def operator_headers_factory(clock):
    from disfruta.oracle.auth import create_operator, operator_totp

    def make(client, ctx) -> dict[str, str]:
        with ctx.sessions() as db:
            create_operator(db, ctx.master, "fuzz-op", "operator-password-1")
            db.commit()
            code = operator_totp(db, ctx.master, "fuzz-op").at(int(clock()))
        return bearer(client.post("/auth/operator/login", json={"username": "fuzz-op",
                                                                "password": "operator-password-1",
                                                                "totp": code}).json())

    return make


@pytest.fixture
def api_schema(fuzz_target):
    client = fuzz_target[0]
    # Only the fuzzing phase (bounded by MAX_EXAMPLES); the coverage phase alone would add ~1,000 cases.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
    return schemathesis.openapi.from_asgi("/openapi.json", client.app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.parametrize("oracle_db_url", ["sqlite"], indirect=True)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api__generated_input__never_5xx_and_4xx_explained(case, fuzz_target):
    _, wallet_headers, operator_headers = fuzz_target
    headers = operator_headers if case.path.startswith(OPERATOR_PATHS) else wallet_headers
    response = case.call(headers=headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        detail = response.json().get("detail")
        assert detail, f"{case.method} {case.formatted_path}: {response.status_code} without a message"
