"""The oracle service under load: credit assessments that each end in a signed EIP-712 attestation.

The service runs as a real subprocess (`OracleProcess`, the per-client rate limit lifted) in two set-ups: one
uvicorn worker on SQLite, and two workers on PostgreSQL with the rate limits in Redis (the servers that
`tools/services.sh` starts; the set-up is skipped, saying so, when `DISFRUTA_TEST_PG_URL` or
`DISFRUTA_TEST_REDIS_URL` is unset). Wallets sign in (EIP-4361) and pass KYC as borrowers through the operator;
then a second process on loopback sends a fixed number of `POST /credit/assessments` with a fixed number in flight
(httpx, asyncio), bounded in time as well, and reports each request's latency and its own CPU time (it shares the
machine's cores with the service). The service has no chain connection here, so each request passes the
attestation nonce itself (a different one each time: every attestation digest is new).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from disfruta.oracle_client import OracleClient
from disfruta.oracle_process import OracleProcess

from bench.market import derived_account
from bench.memory import MIB, RssSampler

LEVELS = ((1, 300), (8, 1500), (32, 1500))  # (requests in flight, requests)
# (database, workers); targets at 8 in flight (issue #17): assessments/s and p99 ms (None: no latency target)
SETUPS = (("sqlite", 1), ("postgresql", 2))
TARGETS = {("sqlite", 1): (150.0, None), ("postgresql", 2): (300.0, 50.0)}
TARGET_IN_FLIGHT = 8
WALLETS = 16
LOAD_TIME_LIMIT_S = 150.0  # per level
REGISTRY = "0x" + "5e" * 20  # the attestations' EIP-712 domain (no chain is needed to sign them)
PROFILE = {
    "first_name": "Ana", "last_name": "García", "date_of_birth": "1990-04-01", "phone_number": "+34600123456",
    "address_line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "ES",
    "employment_status": "employed", "annual_income": 42000,
}
APPLICANT = {  # approved by the scorecard, so every assessment is signed
    "checking_account": "none", "duration_months": 12, "credit_history": "existing_paid", "purpose": "car_used",
    "credit_amount": 2500, "savings": "unknown", "employment_since": "4_7y", "installment_rate_pct": 2,
    "other_debtors": "none", "residence_since": 2, "property": "real_estate", "age_years": 40,
    "other_installment_plans": "none", "housing": "own", "existing_credits": 1, "job": "skilled",
    "dependents": 1, "telephone": "yes",
}


@dataclass
class LoadLevel:
    concurrency: int
    requests: int
    completed: int
    signed: int
    errors: int
    error_samples: list[str]
    seconds: float
    latencies: list[float]
    load_cpu_seconds: float  # the load generator's own CPU time (user + system) during the level
    service_cpu_seconds: float = 0.0  # the service's (all its workers'; the database server's not included)
    busiest_process_share: float = 1.0  # the share of that CPU the busiest worker used (0.5: evenly split over two)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the completed requests' latencies, in seconds."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else 0.0

    @property
    def rate(self) -> float:
        return self.signed / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"in_flight": self.concurrency, "requests": self.requests, "completed": self.completed,
                "signed_attestations": self.signed, "errors": self.errors, "error_samples": self.error_samples,
                "seconds": round(self.seconds, 2), "assessments_per_s": round(self.rate, 1),
                "latency_ms": {"p50": round(self.percentile(50) * 1000, 1),
                               "p99": round(self.percentile(99) * 1000, 1),
                               "max": round(max(self.latencies, default=0) * 1000, 1)},
                "load_generator_cpu_cores": round(self.load_cpu_seconds / self.seconds, 2) if self.seconds else 0,
                "service_cpu_ms_per_request": round(self.service_cpu_seconds * 1000 / self.completed, 2)
                if self.completed else 0,
                "busiest_worker_cpu_share": round(self.busiest_process_share, 2)}


@dataclass
class SetupResult:
    database: str
    workers: int
    levels: list[LoadLevel]
    rss_before: int
    rss_peak: int
    server_errors: dict[str, int]
    skipped: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"database": self.database, "workers": self.workers}
        if self.skipped:
            return {**out, "skipped": self.skipped}
        target_rate, target_p99 = TARGETS.get((self.database, self.workers), (0.0, None))
        at = next((lv for lv in self.levels if lv.concurrency == TARGET_IN_FLIGHT), None)
        met = at is not None and at.errors == 0 and at.rate >= target_rate and (
            target_p99 is None or at.percentile(99) * 1000 <= target_p99)
        return {**out, "rate_limits": "redis" if self.workers > 1 else "memory",
                "levels": [level.as_json() for level in self.levels],
                "target": {"in_flight": TARGET_IN_FLIGHT, "assessments_per_s": target_rate, "p99_ms": target_p99,
                           "met": met},
                "server_logged_exceptions": self.server_errors,
                "service_rss_mib": {"before_load": round(self.rss_before / MIB, 1),
                                    "peak_sampled_under_load": round(self.rss_peak / MIB, 1)}}


@dataclass
class OracleResult:
    setups: list[SetupResult]

    def as_json(self) -> dict[str, Any]:
        return {
            "load": f"POST /credit/assessments from a second process (httpx, asyncio) on loopback, a fixed count "
                    f"per level with a fixed number in flight; {WALLETS} signed-in, KYC-approved wallets; every "
                    "response a signed credit attestation; the load generator shares the machine's "
                    f"{os.cpu_count()} cores with the service (its CPU is in each row)",
            "setups": [setup.as_json() for setup in self.setups],
        }


def measure_oracle(log: Callable[[str], None]) -> OracleResult:
    setups = []
    for database, workers in SETUPS:
        setups.append(_measure_setup(database, workers, log))
    return OracleResult(setups)


@contextmanager
def _database(kind: str) -> Iterator[str | None]:
    """``None`` for SQLite (the service's own file); a new PostgreSQL database, dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    from sqlalchemy import create_engine, make_url, text

    base = os.environ.get("DISFRUTA_TEST_PG_URL")
    if not base:
        raise _Skip("DISFRUTA_TEST_PG_URL is unset (tools/services.sh setup_postgres starts a server and sets it)")
    name = f"disfruta_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class _Skip(Exception):
    pass


def _measure_setup(database: str, workers: int, log: Callable[[str], None]) -> SetupResult:
    redis = os.environ.get("DISFRUTA_TEST_REDIS_URL") if workers > 1 else None
    try:
        if workers > 1 and not redis:
            raise _Skip("DISFRUTA_TEST_REDIS_URL is unset (tools/services.sh setup_redis starts a server and sets it)")
        with _database(database) as url, OracleProcess(REGISTRY, 31337, None, database_url=url, workers=workers,
                                                      rate_limit_storage_url=redis) as service:
            tokens = _onboard(service)
            log(f"oracle: {database}, {workers} worker(s) up, {WALLETS} wallets KYC-approved; load starts")
            rss_before = _tree_rss(service.pid or 0)
            sampler = RssSampler(service.pid or 0, tree=True).start()
            levels = []
            for index, (concurrency, requests) in enumerate(LEVELS):
                cpu0 = _tree_cpu(service.pid or 0)
                levels.append(_run_level(service.url, tokens, concurrency, requests, nonce_base=index * 100_000))
                cpu1 = _tree_cpu(service.pid or 0)
                levels[-1].service_cpu_seconds = sum(cpu1.values()) - sum(cpu0.values())
                levels[-1].busiest_process_share = (max(cpu1[p] - cpu0.get(p, 0.0) for p in cpu1)
                                                    / max(levels[-1].service_cpu_seconds, 1e-9))
                log(f"oracle: {database}/{workers}w: {requests} assessments with {concurrency} in flight: "
                    f"{levels[-1].rate:.0f}/s, p99 {levels[-1].percentile(99) * 1000:.0f} ms")
            sampler.stop()
            errors = _logged_exceptions(service.log_path.read_text(errors="replace"))
    except _Skip as skip:
        log(f"oracle: {database} with {workers} worker(s) skipped: {skip}")
        return SetupResult(database, workers, [], 0, 0, {}, skipped=str(skip))
    return SetupResult(database, workers, levels, rss_before, sampler.peak_total, errors)


def _onboard(service: OracleProcess) -> list[str]:
    client = OracleClient(service.url)
    operator = client.operator_sign_in(OracleProcess.OPERATOR, service.operator_password, service.operator_totp())
    tokens = []
    for i in range(WALLETS):
        wallet = derived_account("oracle-wallet", i)
        session = client.sign_in(wallet)
        client.submit_kyc(session, ["borrower"], PROFILE, [{"kind": "passport", "sha256": f"{i:064x}"}])
        client.review(operator, wallet.address, "approve", "benchmark applicant")
        tokens.append(session.access_token)
    client.close()
    return tokens


def _logged_exceptions(text: str) -> dict[str, int]:
    """The exceptions the service logged, by their last line (a traceback's summary)."""
    errors: Counter[str] = Counter()
    for line in text.splitlines():
        if re.match(r"^[\w.]+(Error|Exception): ", line.strip()):
            errors[line.strip()[:160]] += 1
    return dict(errors.most_common(5))


def _run_level(url: str, tokens: list[str], concurrency: int, requests: int, nonce_base: int) -> LoadLevel:
    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    worker = ctx.Process(target=load_main, args=(url, tokens, requests, concurrency, nonce_base, child),
                         name="bench-oracle-load", daemon=True)
    worker.start()
    if not conn.poll(LOAD_TIME_LIMIT_S + 60):
        worker.kill()
        raise TimeoutError("the oracle load process did not report")
    report: dict[str, Any] = conn.recv()
    worker.join(10)
    statuses: Counter[str] = Counter(report["statuses"])
    return LoadLevel(concurrency=concurrency, requests=requests, completed=report["completed"],
                     signed=report["signed"], errors=sum(v for k, v in statuses.items() if k != "201"),
                     error_samples=report["error_samples"], seconds=report["seconds"],
                     latencies=report["latencies"], load_cpu_seconds=report["cpu_seconds"])


def _tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) the service and each of its workers have used so far, by pid."""
    import psutil  # type: ignore[import-untyped]

    try:
        root = psutil.Process(pid)
        return {p.pid: sum(p.cpu_times()[:2]) for p in (root, *root.children(recursive=True))}
    except psutil.NoSuchProcess:
        return {}


def _tree_rss(pid: int) -> int:
    """Resident memory of the service and its worker processes."""
    import psutil  # type: ignore[import-untyped]

    try:
        root = psutil.Process(pid)
        return sum(int(p.memory_info().rss) for p in (root, *root.children(recursive=True)))
    except psutil.NoSuchProcess:
        return 0


def load_main(url: str, tokens: list[str], total: int, concurrency: int, nonce_base: int, conn: Connection) -> None:
    """Child-process entry: sends ``total`` assessments, ``concurrency`` in flight, and reports back."""
    conn.send(asyncio.run(_load(url, tokens, total, concurrency, nonce_base)))
    conn.close()


async def _load(url: str, tokens: list[str], total: int, concurrency: int, nonce_base: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    samples: list[str] = []
    signed = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal signed
        while not queue.empty():
            i = queue.get_nowait()
            body = {"applicant": APPLICANT, "nonce": nonce_base + i // len(tokens)}  # new per wallet per request
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            t0 = time.perf_counter()
            try:
                response = await http.post("/credit/assessments", json=body, headers=headers)
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
                if len(samples) < 5:
                    samples.append(repr(exc))
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[str(response.status_code)] += 1
            if response.status_code == 201 and response.json().get("attestation"):
                signed += 1
            elif response.status_code != 201 and len(samples) < 5:
                samples.append(f"{response.status_code}: {response.text[:200]}")

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    cpu0 = time.process_time()
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        tasks = [asyncio.create_task(worker(http)) for _ in range(concurrency)]
        _done, pending = await asyncio.wait(tasks, timeout=LOAD_TIME_LIMIT_S)
        for task in pending:
            task.cancel()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    if pending:
        samples.append(f"stopped at the {LOAD_TIME_LIMIT_S:.0f} s limit with {queue.qsize()} requests unsent")
    return {"completed": len(latencies), "signed": signed, "statuses": dict(statuses), "error_samples": samples,
            "seconds": seconds, "latencies": latencies, "cpu_seconds": cpu}
