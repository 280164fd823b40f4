"""Several worker processes, each with a listening socket of its own (``SO_REUSEPORT``), under uvicorn's supervisor.

uvicorn's ``--workers`` binds one socket in the parent and hands it to every worker. Whichever worker wakes first
accepts every connection waiting (asyncio accepts up to the backlog per wake-up), so a client that keeps a few
connections alive, a proxy's pool or the benchmark's eight, lands on one worker: measured here, one of two workers
did all the work (``busiest_worker_cpu_share`` 1.0 in ``python -m bench --only oracle``) and the second bought
nothing. With ``SO_REUSEPORT`` each worker binds the same address itself and the kernel spreads connections over
the workers' sockets by a hash of the connection (what nginx's ``reuseport`` does).

The supervision (start, health checks, restarting a worker that dies, signals) stays uvicorn's ``Multiprocess``; it
is given a stand-in for the socket that becomes a fresh one when a worker unpickles it (workers are spawned).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

log = logging.getLogger("disfruta.oracle")


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket on ``host:port`` that other workers may bind too (the kernel balances between them)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def bind_in_worker(host: str, port: int, backlog: int) -> socket.socket:
    """``bind`` in a worker being started: a failure exits with uvicorn's start-up failure code, which its
    supervisor takes as "don't restart" (any other exit code would have it respawn the worker every half second)."""
    try:
        return bind(host, port, backlog)
    except OSError as exc:
        import sys

        from uvicorn.config import STARTUP_FAILURE

        log.error("worker can't listen on %s:%d: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)


def check_free(host: str, port: int) -> None:
    """Raises ``OSError`` if anything listens on ``host:port``: a plain bind, which (unlike one with SO_REUSEPORT)
    also fails when an earlier ``serve --workers`` is still running, rather than quietly sharing its traffic."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


class WorkerListener:
    """What uvicorn's supervisor passes each worker as its socket: pickled to the worker, it binds there."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.host, self.port, self.backlog = host, port, backlog

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:  # the worker's copy is a socket it binds itself
        return bind_in_worker, (self.host, self.port, self.backlog)


def run(app: str, *, workers: int, host: str, port: int, **options: Any) -> None:
    """``uvicorn.run(app, factory=True, workers=workers, ...)``, with a socket per worker where the system allows."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if not reuse_port_supported():
        log.warning("SO_REUSEPORT is not available here: the workers share one socket")
        uvicorn.run(app, factory=True, workers=workers, host=host, port=port, **options)
        return
    config = uvicorn.Config(app, factory=True, workers=workers, host=host, port=port, **options)
    check_free(host, port)  # fail here, once, rather than in every worker
    log.info("oracle: %d workers on http://%s:%d, one socket each (SO_REUSEPORT)", workers, host, port)
    Multiprocess(config, sockets=[WorkerListener(host, port, config.backlog)]).run()  # type: ignore[list-item]
