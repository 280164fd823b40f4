"""Migrations on SQLite and PostgreSQL, and the ``disfruta oracle`` commands (including a real ``serve``)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from disfruta.cli import main
from disfruta.oracle.db import downgrade, make_engine, upgrade
from disfruta.oracle.keys import load_account
from disfruta.oracle.models import Base
from sqlalchemy import inspect

TABLES = {"users", "user_profiles", "data_keys", "credit_assessments", "attestations", "operators", "sessions",
          "refresh_tokens", "login_nonces", "audit_events"}


def test_migrations__upgrade__schema_matches_the_models(oracle_db_url):
    engine = make_engine(oracle_db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_migrations__downgrade_to_base__tables_dropped(oracle_db_url):
    engine = make_engine(oracle_db_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.fixture
def oracle_env(monkeypatch, tmp_path) -> dict[str, str]:
    env = {
        "DISFRUTA_ORACLE_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "DISFRUTA_ORACLE_MASTER_KEY": base64.b64encode(b"\x02" * 32).decode(),
        "DISFRUTA_ORACLE_JWT_SECRET": "cli-test-secret-" + "y" * 32,
        "DISFRUTA_ORACLE_SIGNER_KEY": "0x" + "3c" * 32,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    return env


def test_cli_help__lists_the_oracle_and_credit_groups():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "oracle" in result.output and "credit" in result.output


def test_oracle_keygen__prints_a_32_byte_master_key_and_a_jwt_secret():
    result = CliRunner().invoke(main, ["oracle", "keygen"])
    lines = dict(line.split("=", 1) for line in result.output.strip().splitlines())
    assert len(base64.b64decode(lines["DISFRUTA_ORACLE_MASTER_KEY"])) == 32
    assert len(lines["DISFRUTA_ORACLE_JWT_SECRET"]) >= 32


def test_oracle_new_keystore__prints_only_the_address_and_loads_with_the_password(tmp_path):
    path = tmp_path / "signer.json"
    result = CliRunner().invoke(main, ["oracle", "new-keystore", str(path)],
                                env={"DISFRUTA_ORACLE_SIGNER_KEYSTORE_PASSWORD": "pw-abcdef"})
    assert result.exit_code == 0, result.output
    from pydantic import SecretStr

    account = load_account(None, path, SecretStr("pw-abcdef"), "signer")
    assert account is not None and account.address in result.output
    assert account.key.hex() not in result.output and "crypto" in json.loads(path.read_text())
    again = CliRunner().invoke(main, ["oracle", "new-keystore", str(path)],
                               env={"DISFRUTA_ORACLE_SIGNER_KEYSTORE_PASSWORD": "pw-abcdef"})
    assert again.exit_code == 1 and "exists; not overwriting a key" in again.output


def test_oracle_create_operator__migrates_and_prints_totp_uri(oracle_env):
    result = CliRunner().invoke(main, ["oracle", "create-operator", "alice"],
                                env={"DISFRUTA_ORACLE_OPERATOR_PASSWORD": "a long password 1"})
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/Disfruta%20oracle:alice?secret=" in result.output
    duplicate = CliRunner().invoke(main, ["oracle", "create-operator", "alice"],
                                   env={"DISFRUTA_ORACLE_OPERATOR_PASSWORD": "a long password 1"})
    assert duplicate.exit_code == 1 and "operator 'alice' exists" in duplicate.output


def test_oracle_migrate__missing_jwt_secret__clear_error(oracle_env, monkeypatch):
    monkeypatch.delenv("DISFRUTA_ORACLE_JWT_SECRET")
    result = CliRunner().invoke(main, ["oracle", "migrate"])
    assert result.exit_code == 1
    assert "bad oracle settings (DISFRUTA_ORACLE_*): jwt_secret: Field required" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_oracle_serve__real_server__health_and_openapi(oracle_env, tmp_path):
    port = _free_port()
    disfruta = Path(sys.executable).with_name("disfruta")  # the installed console script
    server = subprocess.Popen([str(disfruta), "oracle", "serve", "--port", str(port)],
                              env={**os.environ, **oracle_env}, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = server.stdout.read() if server.stdout else ""
                    raise AssertionError(f"server did not start: {log}") from exc
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        assert health.headers["x-content-type-options"] == "nosniff"
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert {"/auth/siwe/verify", "/kyc/submission", "/credit/assessments"} <= set(spec["paths"])
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert oracle_env["DISFRUTA_ORACLE_SIGNER_KEY"][2:] not in output  # the key is never logged


def test_oracle_serve__workers_with_memory_rate_limits__refused_in_one_line(oracle_env):
    """Each worker would hold its own counters: a client would get the limit once per worker."""
    result = CliRunner().invoke(main, ["oracle", "serve", "--workers", "2"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: --workers 2 needs a rate-limit store the workers share: set "
        "DISFRUTA_ORACLE_RATE_LIMIT_STORAGE_URL=redis://host:port/0 (memory:// gives each worker its own budget)"]


def test_oracle_settings__unknown_rate_limit_store__refused_naming_it(oracle_env, monkeypatch):
    monkeypatch.setenv("DISFRUTA_ORACLE_RATE_LIMIT_STORAGE_URL", "memcached://127.0.0.1:11211")
    result = CliRunner().invoke(main, ["oracle", "migrate"])
    assert result.exit_code == 1
    assert "rate_limit_storage_url" in result.output and "memcached://127.0.0.1:11211" in result.output
    assert "Traceback" not in result.output
