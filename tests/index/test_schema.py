"""The migrations build exactly the tables the code declares (no drift), and `disfruta index serve` answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from disfruta.index.db import make_engine, upgrade
from disfruta.index.schema import metadata
from disfruta.index.synthetic import SyntheticMarket

SDK = str(Path(__file__).resolve().parents[2] / "sdk")


def test_migrations__head__equals_the_declared_schema(tmp_path):
    engine = make_engine(tmp_path / "schema.db")
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_serve__cli__answers_over_http(tmp_path):
    db = tmp_path / "served.db"
    engine = make_engine(db)
    upgrade(engine)
    SyntheticMarket(engine, seed=3, lenders=5).add(12)
    engine.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": SDK + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", "from disfruta.cli import main; main()", "index", "serve",
                             "--db", str(db), "--port", str(port), "--no-live", "--cors-origin", "https://app.example"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/loans", params={"limit": 3},
                              headers={"Origin": "https://app.example"}, timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                time.sleep(0.2)
        assert r.status_code == 200 and [x["loan_id"] for x in r.json()["items"]] == [12, 11, 10]
        assert r.headers["access-control-allow-origin"] == "https://app.example"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_sqlite__ddl_in_a_failed_transaction__leaves_nothing(tmp_path):
    """A first `disfruta index run` killed while it migrates must not leave half a schema behind."""
    import pytest
    from sqlalchemy import inspect, text

    engine = make_engine(tmp_path / "ddl.db")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("CREATE TABLE half (x INTEGER)"))
        raise RuntimeError("killed mid-migration")
    assert inspect(engine).get_table_names() == []
