"""Runs the oracle service as a real subprocess on loopback (for the demo, the benchmarks and tests)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx
import pyotp

from disfruta.errors import ConfigurationError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OracleProcess:
    """``with OracleProcess(registry, chain_id, rpc_url) as oracle:`` — a fresh SQLite database, fresh secrets, a new
    signing key (``oracle.signer_key``) unless one is given, and one operator (``oracle.operator_totp()``)."""

    OPERATOR = "demo-operator"

    def __init__(self, registry: str, chain_id: int, rpc_url: str | None, *, signer_key: str | None = None,
                 database_url: str | None = None, workers: int = 1, rate_limit_storage_url: str | None = None,
                 settings: dict[str, str] | None = None) -> None:
        """``workers`` > 1 needs ``rate_limit_storage_url`` (``redis://...``); ``settings`` overrides any
        ``DISFRUTA_ORACLE_*`` value by its name without the prefix (e.g. ``{"RATE_LIMIT_PER_MINUTE": "5"}``)."""
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="disfruta-oracle-")
        self.signer_key = signer_key or "0x" + secrets.token_hex(32)
        self.operator_password = secrets.token_urlsafe(18)
        self.env = {
            **os.environ,
            "DISFRUTA_ORACLE_DATABASE_URL": database_url or f"sqlite:///{Path(self._dir.name) / 'oracle.db'}",
            "DISFRUTA_ORACLE_MASTER_KEY": secrets.token_hex(32),
            "DISFRUTA_ORACLE_JWT_SECRET": secrets.token_hex(32),
            "DISFRUTA_ORACLE_SIGNER_KEY": self.signer_key,
            "DISFRUTA_ORACLE_REGISTRY_ADDRESS": registry,
            "DISFRUTA_ORACLE_CHAIN_ID": str(chain_id),
            "DISFRUTA_ORACLE_SIWE_DOMAIN": f"127.0.0.1:{self.port}",
            "DISFRUTA_ORACLE_SIWE_URI": self.url,
            "DISFRUTA_ORACLE_OPERATOR_PASSWORD": self.operator_password,
            # The demo sends many requests from one client address; lift the per-client limits for it.
            "DISFRUTA_ORACLE_RATE_LIMIT_PER_MINUTE": "100000",
            "DISFRUTA_ORACLE_AUTH_RATE_LIMIT_PER_MINUTE": "100000",
        }
        if rpc_url:
            self.env["DISFRUTA_ORACLE_RPC_URL"] = rpc_url
        if rate_limit_storage_url:
            self.env["DISFRUTA_ORACLE_RATE_LIMIT_STORAGE_URL"] = rate_limit_storage_url
        for name, value in (settings or {}).items():
            self.env[f"DISFRUTA_ORACLE_{name.upper()}"] = value
        # The workers' metric files (prometheus-client's multiprocess mode), here so that a test can see them.
        self.metrics_dir = Path(self._dir.name) / "metrics"
        self.metrics_dir.mkdir()
        self.env["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics_dir)
        self._proc: subprocess.Popen[bytes] | None = None
        self._totp: pyotp.TOTP | None = None

    def _cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "disfruta.cli", "oracle", *args], env=self.env,
                             capture_output=True, text=True, timeout=120, cwd=self._dir.name)
        if out.returncode != 0:
            raise ConfigurationError(f"oracle {' '.join(args)} failed: {out.stderr.strip() or out.stdout.strip()}")
        return out.stdout

    def start(self) -> OracleProcess:
        self._cli("migrate")
        uri = next(line for line in self._cli("create-operator", self.OPERATOR).splitlines() if "otpauth://" in line)
        self._totp = pyotp.parse_uri(uri[uri.index("otpauth://"):].strip())  # type: ignore[assignment]
        # The server's output goes to a file: a pipe nobody reads would stall it once full.
        self.log_path = Path(self._dir.name) / "oracle.log"
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "disfruta.cli", "oracle", "serve", "--no-migrate", "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=self.env, cwd=self._dir.name, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ConfigurationError(f"the oracle exited at start: {self.log_path.read_text()[-2000:]}")
            try:
                # Every worker up: one answering /health is not enough for a load spread over all of them.
                if (httpx.get(f"{self.url}/health", timeout=1).status_code == 200
                        and self.log_path.read_text().count("Application startup complete") >= self.workers):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ConfigurationError(f"the oracle's {self.workers} worker(s) did not start within 60 s: "
                                 f"{self.log_path.read_text()[-2000:]}")

    def operator_totp(self) -> str:
        if self._totp is None:
            raise ConfigurationError("the oracle has not started")
        return self._totp.now()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None
        self._dir.cleanup()

    def __enter__(self) -> OracleProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
