"""Prometheus metrics shared by the oracle, the index and the keeper: which registry a scrape reads, the exposition,
a standalone endpoint for the processes that have no web app (the keeper, ``index run``).

prometheus-client is a core dependency: it is pure Python with no dependencies of its own, and the keeper (core)
exposes its passes with it. It is imported by the modules that define series, not by ``import disfruta``.

Several workers (``disfruta oracle serve --workers N``): ``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at an empty
directory before the workers start, so each worker's series live in memory-mapped files there (prometheus-client
picks its value class when it is imported, which in a worker is after the variable is set), and a scrape answered by
any worker sums them all (`registry`). Without the variable, a process's own default registry is read. Gauges declare
a ``multiprocess_mode`` (how the files of several processes combine).
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Request latencies (seconds): the oracle's budget for /credit/assessments is 250 ms at p99, so the buckets are fine
# around it; the index's reads sit in the same range.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.4, 0.6, 1.0, 2.5, 5.0, 10.0)
# A keeper pass or an index step: reads and transactions over RPC, seconds to minutes.
PASS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def registry() -> CollectorRegistry:
    """What a scrape reads: with ``PROMETHEUS_MULTIPROC_DIR`` set, a registry holding only the collector that sums
    every process's files at each scrape (the default registry's objects are this process's alone); else the default
    registry."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return REGISTRY
    fresh = CollectorRegistry()
    MultiProcessCollector(fresh, path=path)
    return fresh


def exposition() -> bytes:
    """The Prometheus text exposition of `registry`."""
    return generate_latest(registry())


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serves `registry`'s series at ``http://host:port/metrics`` from a daemon thread (the keeper, ``index run``).
    The default host keeps them off the network: a Prometheus on another machine needs ``--metrics-host``."""
    start_http_server(port, addr=host, registry=registry())
