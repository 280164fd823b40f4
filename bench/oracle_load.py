"""The oracle service under a bounded load: credit assessments that each end in a signed EIP-712 attestation.

The service runs as a real subprocess (`OracleProcess`: SQLite, one uvicorn worker; the per-client rate limit is
lifted). Wallets sign in (EIP-4361) and pass KYC as borrowers through the operator; then a second process on
loopback sends a fixed number of `POST /credit/assessments` with a fixed number in flight (httpx, asyncio), bounded
in time as well, and reports each request's latency: first one request at a time, then eight at once. The service
has no chain connection here, so each request passes the attestation nonce itself (a different one each time:
every attestation digest is new).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import IO, Any

from disfruta.oracle_client import OracleClient
from disfruta.oracle_process import OracleProcess

from bench.market import derived_account
from bench.memory import MIB, RssSampler, high_water_mark

LEVELS = ((1, 150), (8, 400))  # (requests in flight, requests): one client at a time, then eight at once
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

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the completed requests' latencies, in seconds."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"in_flight": self.concurrency, "requests": self.requests, "completed": self.completed,
                "signed_attestations": self.signed, "errors": self.errors, "error_samples": self.error_samples,
                "seconds": round(self.seconds, 2), "assessments_per_s": round(self.signed / self.seconds, 1),
                "latency_ms": {"p50": round(self.percentile(50) * 1000, 1),
                               "p99": round(self.percentile(99) * 1000, 1),
                               "max": round(max(self.latencies, default=0) * 1000, 1)}}


@dataclass
class OracleResult:
    levels: list[LoadLevel]
    rss_before: int
    rss_peak: int
    rss_hwm: int
    server_errors: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "load": f"POST /credit/assessments from a second process (httpx, asyncio) on loopback, a fixed count "
                    f"per level with a fixed number in flight; {WALLETS} signed-in, KYC-approved wallets; every "
                    "response a signed credit attestation; SQLite; one uvicorn worker",
            "levels": [level.as_json() for level in self.levels],
            "server_logged_exceptions": self.server_errors,
            "service_rss_mib": {"before_load": round(self.rss_before / MIB, 1),
                                "peak_sampled_under_load": round(self.rss_peak / MIB, 1),
                                "kernel_high_water_mark": round(self.rss_hwm / MIB, 1)},
        }


def measure_oracle(log: Callable[[str], None]) -> OracleResult:
    with OracleProcess(REGISTRY, 31337, None) as service:
        client = OracleClient(service.url)
        operator = client.operator_sign_in(OracleProcess.OPERATOR, service.operator_password,
                                           service.operator_totp())
        tokens = []
        for i in range(WALLETS):
            wallet = derived_account("oracle-wallet", i)
            session = client.sign_in(wallet)
            client.submit_kyc(session, ["borrower"], PROFILE, [{"kind": "passport", "sha256": f"{i:064x}"}])
            client.review(operator, wallet.address, "approve", "benchmark applicant")
            tokens.append(session.access_token)
        client.close()
        pid = service.pid or 0
        server_log = _ServerLog(service)
        log(f"oracle: service up, {WALLETS} wallets KYC-approved; load starts")
        rss_before = sampler_first_rss(pid)
        sampler = RssSampler(pid, tree=True).start()
        levels = []
        for index, (concurrency, requests) in enumerate(LEVELS):
            levels.append(_run_level(service.url, tokens, concurrency, requests, nonce_base=index * 100_000))
            log(f"oracle: {requests} assessments with {concurrency} in flight done")
        sampler.stop()
        hwm = high_water_mark(pid) or 0
    return OracleResult(levels=levels, rss_before=rss_before, rss_peak=sampler.peak_total, rss_hwm=hwm,
                        server_errors=dict(server_log.errors.most_common(5)))


class _ServerLog:
    """Drains the service's stderr (`OracleProcess` leaves it in a pipe nobody reads: a full pipe would stall the
    server mid-benchmark) and counts the exceptions it logs, by their last line."""

    def __init__(self, service: OracleProcess) -> None:
        self.errors: Counter[str] = Counter()
        proc = getattr(service, "_proc", None)
        stream = proc.stderr if proc is not None else None
        if stream is not None:
            threading.Thread(target=self._read, args=(stream,), name="oracle-stderr", daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode(errors="replace").strip()
            if re.match(r"^[\w.]+(Error|Exception): ", line):
                self.errors[line[:160]] += 1


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
                     latencies=report["latencies"])


def sampler_first_rss(pid: int) -> int:
    import psutil  # type: ignore[import-untyped]

    return int(psutil.Process(pid).memory_info().rss)


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
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        tasks = [asyncio.create_task(worker(http)) for _ in range(concurrency)]
        _done, pending = await asyncio.wait(tasks, timeout=LOAD_TIME_LIMIT_S)
        for task in pending:
            task.cancel()
    seconds = time.perf_counter() - started
    if pending:
        samples.append(f"stopped at the {LOAD_TIME_LIMIT_S:.0f} s limit with {queue.qsize()} requests unsent")
    return {"completed": len(latencies), "signed": signed, "statuses": dict(statuses), "error_samples": samples,
            "seconds": seconds, "latencies": latencies}
