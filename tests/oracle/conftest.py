"""Oracle fixtures: a service per test on a real database (SQLite, and PostgreSQL when DISFRUTA_TEST_PG_URL is set),
wallets that sign in with EIP-4361, an operator with TOTP, and helpers for the KYC flow.

``oracle_db_url`` is parametrised over both databases; tests that take ``client`` run once on each.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from disfruta.oracle.app import create_app
from disfruta.oracle.auth import create_operator, operator_totp
from disfruta.oracle.context import OracleContext, build_context
from disfruta.oracle.db import make_engine, upgrade
from disfruta.oracle.settings import OracleSettings
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import make_url, text

from .helpers import DOC, OPERATOR, OPERATOR_PASSWORD, PG_ENV, PROFILE, REGISTRY, Clock, bearer, sign_in


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(params=["sqlite", "postgresql"])
def oracle_db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/oracle.db"
        return
    base = pg_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV} (.ci/run starts a server and sets it)")
    with fresh_pg_database(base) as url:
        yield url


@contextmanager
def fresh_pg_database(base: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on ``base``'s server, dropped afterwards."""
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
def service_key() -> LocalAccount:
    return Account.create()


@pytest.fixture
def make_settings(oracle_db_url: str, service_key: LocalAccount) -> Callable[..., OracleSettings]:
    def make(**overrides: Any) -> OracleSettings:
        values: dict[str, Any] = dict(
            database_url=oracle_db_url,
            master_key=SecretStr(base64.b64encode(b"\x01" * 32).decode()),
            jwt_secret=SecretStr("test-jwt-secret-" + "x" * 32),
            signer_key=SecretStr(service_key.key.hex()),
            registry_address=REGISTRY,
            chain_id=31337,
            rate_limit_per_minute=100_000,
            auth_rate_limit_per_minute=100_000,
        )
        values.update(overrides)
        return OracleSettings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_service(make_settings: Callable[..., OracleSettings], clock: Clock
                 ) -> Iterator[Callable[..., tuple[TestClient, OracleContext]]]:
    """Builds a migrated service (settings overridable); returns ``(client, context)``."""
    made: list[OracleContext] = []

    def make(**overrides: Any) -> tuple[TestClient, OracleContext]:
        ctx = build_context(make_settings(**overrides), clock=clock)
        upgrade(ctx.engine)
        made.append(ctx)
        return TestClient(create_app(context=ctx)), ctx

    yield make
    for ctx in made:
        ctx.engine.dispose()


@pytest.fixture
def service(make_service: Callable[..., tuple[TestClient, OracleContext]]) -> tuple[TestClient, OracleContext]:
    return make_service()


@pytest.fixture
def client(service: tuple[TestClient, OracleContext]) -> TestClient:
    return service[0]


@pytest.fixture
def ctx(service: tuple[TestClient, OracleContext]) -> OracleContext:
    return service[1]


@pytest.fixture
def wallet() -> LocalAccount:
    return Account.create()


@pytest.fixture
def wallet_headers(client: TestClient, wallet: LocalAccount) -> dict[str, str]:
    return bearer(sign_in(client, wallet))


@pytest.fixture
def operator_headers(client: TestClient, ctx: OracleContext, clock: Clock) -> dict[str, str]:
    with ctx.sessions() as db:
        create_operator(db, ctx.master, OPERATOR, OPERATOR_PASSWORD)
        db.commit()
        code = operator_totp(db, ctx.master, OPERATOR).at(int(clock()))
    response = client.post("/auth/operator/login",
                           json={"username": OPERATOR, "password": OPERATOR_PASSWORD, "totp": code})
    assert response.status_code == 200, response.text
    return bearer(response.json())


@pytest.fixture
def approved_borrower(client: TestClient, wallet: LocalAccount, wallet_headers: dict[str, str],
                      operator_headers: dict[str, str]) -> LocalAccount:
    """``wallet`` with KYC submitted (as borrower and lender) and approved by the operator."""
    submitted = client.post("/kyc/submission", headers=wallet_headers,
                            json={"roles": ["borrower", "lender"], "profile": PROFILE, "documents": [DOC]})
    assert submitted.status_code == 202, submitted.text
    reviewed = client.post(f"/kyc/users/{wallet.address}/review", headers=operator_headers,
                           json={"decision": "approve", "reason": "documents match"})
    assert reviewed.status_code == 200, reviewed.text
    return wallet
