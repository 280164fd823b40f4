"""The oracle's Prometheus series (``/metrics``, see the README's "Operating: metrics and alerts"):

* ``disfruta_oracle_request_seconds{method, route, status}``: request latency by route template and status;
* ``disfruta_oracle_assessments_total{decision, grade}``: credit assessments stored (grade ``none`` when declined);
* ``disfruta_oracle_attestations_signed_total{kind, signer}``: attestations signed, by kind and signer address
  (during a key rotation, which key is in use);
* ``disfruta_oracle_revocations_total`` and ``disfruta_oracle_revocation_push_failures_total``: KYC revoked in the
  service, and on-chain pushes of a revocation that failed (the user is still registered on chain);
* ``disfruta_oracle_rate_limited_total{bucket}``: requests refused with 429, by bucket (``api``, ``auth``);
* ``disfruta_oracle_database_errors_total``: requests answered 503 because the database failed.

The events are counted when the service decides them, inside the request's transaction: a commit that then fails
also counts a database error (the client retries).
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import Counter

from disfruta import http_metrics

PREFIX = "disfruta_oracle"
RATE_LIMIT_BUCKETS = ("api", "auth")

REQUEST_SECONDS = http_metrics.request_histogram(PREFIX)
ASSESSMENTS = Counter(f"{PREFIX}_assessments", "Credit assessments made, by decision and grade (counted before the request commits)",
                      ["decision", "grade"])
ATTESTATIONS = Counter(f"{PREFIX}_attestations_signed", "Attestations signed, by kind and signer address (counted before the request commits)",
                       ["kind", "signer"])
REVOCATIONS = Counter(f"{PREFIX}_revocations", "KYC revocations made in the service")
REVOCATION_PUSH_FAILURES = Counter(f"{PREFIX}_revocation_push_failures",
                                   "Revocations the service could not push on chain (retried by calling again)")
RATE_LIMITED = Counter(f"{PREFIX}_rate_limited", "Requests refused by the rate limiter, by bucket", ["bucket"])
DATABASE_ERRORS = Counter(f"{PREFIX}_database_errors", "Requests answered 503 because the database failed")
RATE_LIMIT_STORE_ERRORS = Counter(f"{PREFIX}_rate_limit_store_errors",
                                  "Requests answered 503 because the shared rate-limit store (Redis) failed")
for _bucket in RATE_LIMIT_BUCKETS:  # present at 0 from the start: rate() over a series that appears later misses it
    RATE_LIMITED.labels(_bucket)


def assessed(decision: str, grade: str | None) -> None:
    ASSESSMENTS.labels(decision, grade or "none").inc()


def signed(kind: str, signer: str) -> None:
    ATTESTATIONS.labels(kind, signer).inc()


def revoked() -> None:
    REVOCATIONS.inc()


def revocation_push_failed() -> None:
    REVOCATION_PUSH_FAILURES.inc()


def rate_limit_store_failed() -> None:
    """A request answered 503 because the rate-limit store could not be reached in time."""
    RATE_LIMIT_STORE_ERRORS.inc()


def rate_limited(bucket: str) -> None:
    """A request refused with 429 by the ``bucket`` limit (``api`` or ``auth``)."""
    RATE_LIMITED.labels(bucket).inc()


def database_error() -> None:
    DATABASE_ERRORS.inc()


def install(app: FastAPI) -> None:
    """The request timing and ``/metrics`` (unauthenticated, like ``/health``; not in the OpenAPI schema)."""
    http_metrics.install(app, REQUEST_SECONDS)
