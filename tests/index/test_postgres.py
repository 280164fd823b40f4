"""The index on PostgreSQL (skipped unless DISFRUTA_TEST_PG_URL is set; CI sets it): migrations both ways, a random
lifecycle indexed with zero differences from the chain, 256-bit amounts exact, the read API over it."""

from __future__ import annotations

from disfruta.index import schema as s
from disfruta.index.api import create_app
from disfruta.index.db import downgrade, make_engine, upgrade
from disfruta.index.verify import verify
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select


def test_postgres__migrations_up_down_up(pg_index_url):
    engine = make_engine(pg_index_url)
    upgrade(engine)
    assert {"events", "loans", "note_positions", "transactions"} <= set(inspect(engine).get_table_names())
    downgrade(engine, "base")
    assert "loans" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "loans" in inspect(engine).get_table_names()


def test_postgres__lifecycle__zero_differences_and_api(make_indexer, pg_index_url, lifecycle, client_core):
    life = lifecycle(seed=21)
    indexer = make_indexer(pg_index_url)
    indexer.sync()
    assert verify(indexer.engine, client_core).differences == []
    with indexer.engine.connect() as conn:
        acc = conn.execute(select(s.loans.c.acc_per_note).where(s.loans.c.address == life.loans["active"].address))
        assert acc.scalar_one() == life.loans["active"].position().accPerNote  # ~1e27-scale, exact
    api = TestClient(create_app(indexer.engine, client_core))
    page = api.get("/v1/loans", params={"status": "defaulted"}).json()
    assert [x["address"] for x in page["items"]] == [life.loans["doomed"].address]
    assert api.get("/v1/loans", params={"cursor": "bogus"}).status_code == 400


def test_postgres__reorg__rolled_back_and_reindexed(make_indexer, pg_index_url, create_loan, chain, client_core):
    indexer = make_indexer(pg_index_url)
    create_loan(amount_tokens=1_000, term=12)
    indexer.sync()
    snapshot = chain.provider.make_request("evm_snapshot", [])
    dropped = create_loan(amount_tokens=2_000, term=24)
    indexer.sync()
    chain.provider.make_request("evm_revert", [snapshot])
    chain.mine(3)
    indexer.sync()
    with indexer.engine.connect() as conn:
        addresses = list(conn.execute(select(s.loans.c.address)).scalars())
    assert dropped.address not in addresses and len(addresses) == 1
    assert verify(indexer.engine, client_core).differences == []
