"""Oracle service faults: the process killed during writes, the database unavailable, restart.

The service runs for real (uvicorn in a subprocess on a loopback port, SQLite file), so acknowledgement and
durability are observed as a client sees them. The write used is ``POST /auth/siwe/nonce`` (it stores a one-time
login nonce and returns it); "accepted" means the client received a 2xx with the nonce.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account

SERVER = Path(__file__).with_name("oracle_server.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Oracle:
    """One oracle process on a fixed port and database file; ``start``/``kill`` as often as needed."""

    def __init__(self, tmp: Path) -> None:
        self.db = tmp / "oracle.db"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hold_request = tmp / "hold-request"
        self.hold_commit = tmp / "hold-commit"
        self.env = {
            **os.environ,
            "DISFRUTA_ORACLE_DATABASE_URL": f"sqlite:///{self.db}",
            "DISFRUTA_ORACLE_MASTER_KEY": base64.b64encode(b"\x07" * 32).decode(),
            "DISFRUTA_ORACLE_JWT_SECRET": "fault-test-jwt-secret-" + "y" * 32,
            "DISFRUTA_ORACLE_SIGNER_KEY": Account.create().key.hex(),
            "DISFRUTA_ORACLE_REGISTRY_ADDRESS": "0x" + "5e" * 20,
            "DISFRUTA_ORACLE_RATE_LIMIT_PER_MINUTE": "100000",
            "DISFRUTA_ORACLE_AUTH_RATE_LIMIT_PER_MINUTE": "100000",
            "HOLD_REQUEST_FILE": str(self.hold_request),
            "HOLD_COMMIT_FILE": str(self.hold_commit),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(SERVER), str(self.port)], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read().decode() if self.proc.stderr else "exited"
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("oracle did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush, like a crash or an OOM kill."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def wait_held(self, marker: Path, timeout: float = 20) -> None:
        held = Path(str(marker) + ".held")
        deadline = time.monotonic() + timeout
        while not held.exists():
            assert time.monotonic() < deadline, f"{marker.name} never held"
            time.sleep(0.05)

    def stored_nonces(self) -> set[str]:
        with sqlite3.connect(self.db) as conn:
            return {row[0] for row in conn.execute("SELECT nonce FROM login_nonces")}


@pytest.fixture
def oracle_proc(tmp_path: Path) -> Iterator[Oracle]:
    service = Oracle(tmp_path)
    service.start()
    yield service
    if service.proc and service.proc.poll() is None:
        service.kill()


def _write(client: httpx.Client) -> str:
    response = client.post("/auth/siwe/nonce")
    assert response.status_code == 200, response.text
    return str(response.json()["nonce"])


def test_killed_with_a_write_in_flight__every_acknowledged_write_survives_and_restart_resumes(oracle_proc):
    service = oracle_proc
    with httpx.Client(base_url=service.url, timeout=30) as client:
        accepted = [_write(client) for _ in range(40)]
        # The next write is in flight (received, not yet answered) when the process dies.
        service.hold_request.write_text("1")
        outcome: dict[str, object] = {}
        in_flight = threading.Thread(target=lambda: outcome.update(r=_try(client)))
        in_flight.start()
        service.wait_held(service.hold_request)
        service.kill()
        in_flight.join(timeout=30)
        assert isinstance(outcome.get("r"), Exception), "the in-flight write can't have been acknowledged"
    service.hold_request.unlink()
    Path(str(service.hold_request) + ".held").unlink()

    service.start()  # restart on the same database file
    assert set(accepted) <= service.stored_nonces()
    with httpx.Client(base_url=service.url, timeout=30) as client:
        more = [_write(client) for _ in range(5)]  # the service resumes taking writes
    assert set(accepted + more) <= service.stored_nonces()


def _try(client: httpx.Client) -> object:
    try:
        return client.post("/auth/siwe/nonce")
    except httpx.HTTPError as exc:
        return exc


def test_killed_during_commit__write_not_acknowledged_earlier_writes_survive(oracle_proc):
    """The response waits for the commit (get_db commits when the handler returns, before FastAPI sends the
    response): a crash in the middle of a commit can only lose a write the client never saw succeed."""
    service = oracle_proc
    with httpx.Client(base_url=service.url, timeout=30) as client:
        accepted = [_write(client) for _ in range(10)]
        service.hold_commit.write_text("1")
        result: dict[str, object] = {}
        t = threading.Thread(target=lambda: result.update(r=_try(client)))
        t.start()
        service.wait_held(service.hold_commit)
        t.join(timeout=2)
        assert t.is_alive(), "the write was answered while its commit was still pending"
        service.kill()
        t.join(timeout=30)
    service.hold_commit.unlink()
    assert isinstance(result.get("r"), Exception), f"acknowledged before commit: {result.get('r')!r}"
    service.start()
    assert set(accepted) <= service.stored_nonces()


def test_database_unavailable__503_with_a_message(tmp_path):
    from disfruta.oracle.app import create_app
    from disfruta.oracle.context import build_context
    from disfruta.oracle.db import upgrade
    from disfruta.oracle.settings import OracleSettings
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    db = tmp_path / "oracle.db"
    settings = OracleSettings(  # type: ignore[call-arg]
        _env_file=None, database_url=f"sqlite:///{db}", master_key=SecretStr(base64.b64encode(b"\x01" * 32).decode()),
        jwt_secret=SecretStr("fault-test-jwt-secret-" + "z" * 32), signer_key=SecretStr(Account.create().key.hex()),
        registry_address="0x" + "5e" * 20, rate_limit_per_minute=100_000, auth_rate_limit_per_minute=100_000)
    ctx = build_context(settings)
    upgrade(ctx.engine)
    client = TestClient(create_app(context=ctx), raise_server_exceptions=False)
    assert client.post("/auth/siwe/nonce").status_code == 200
    # The database goes away: its file is replaced by something SQLite can't open.
    ctx.engine.dispose()
    db.unlink()
    db.mkdir()
    response = client.post("/auth/siwe/nonce")
    assert response.status_code == 503, f"{response.status_code}: {response.text[:200]}"
    assert "database" in response.json()["detail"].lower()
