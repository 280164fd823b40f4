"""Runs the oracle service under uvicorn for the fault tests (``python oracle_server.py PORT``), settings from the
``DISFRUTA_ORACLE_*`` environment. Two test-only holds, each armed by creating the file named in the environment:

- ``HOLD_REQUEST_FILE``: an incoming HTTP request waits (before the app sees it) — a write in flight, not yet
  acknowledged;
- ``HOLD_COMMIT_FILE``: a database commit waits — wherever the app commits.

While holding, the server writes ``<file>.held`` so the test knows when to SIGKILL it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn
from disfruta.oracle.app import create_app
from disfruta.oracle.context import build_context
from disfruta.oracle.db import upgrade
from disfruta.oracle.settings import OracleSettings
from sqlalchemy import event
from sqlalchemy.orm import Session


def _hold(env: str) -> bool:
    name = os.environ.get(env)
    if not name or not Path(name).exists():
        return False
    Path(name + ".held").write_text("held")
    return True


def main(port: int) -> None:
    ctx = build_context(OracleSettings(_env_file=None))  # type: ignore[call-arg]
    upgrade(ctx.engine)

    @event.listens_for(Session, "before_commit")
    def _slow_commit(_session: Session) -> None:
        if _hold("HOLD_COMMIT_FILE"):
            time.sleep(60)

    app = create_app(context=ctx)

    async def held(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _hold("HOLD_REQUEST_FILE"):
            await asyncio.sleep(60)
        await app(scope, receive, send)

    uvicorn.run(held, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]))
