"""The indexer on a real market: every event recorded once, the state equal to the chain's views, reorgs rolled back
and re-indexed, a provider's range limits and node outages handled without losing or skipping a range."""

from __future__ import annotations

from disfruta.index import schema as s
from disfruta.index.verify import verify
from sqlalchemy import func, select, update


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_sync__random_lifecycle__zero_differences_with_the_chain(indexer, lifecycle, client_core, chain):
    life = lifecycle(seed=7)
    stored = indexer.sync()
    assert stored > 50
    report = verify(indexer.engine, client_core)
    assert "\n".join(map(str, report.differences)) == ""
    assert report.checked > 150
    with indexer.engine.connect() as conn:
        statuses = dict(conn.execute(select(s.loans.c.address, s.loans.c.status)).all())
        unhandled = conn.execute(select(s.events.c.name).where(s.events.c.name == "")).all()
    assert {statuses[str(loan.address)] for loan in life.loans.values()} == {0, 3, 5, 6, 7}
    assert unhandled == []
    assert count(indexer.engine, s.repayments) == 5 and count(indexer.engine, s.defaults) == 1
    assert count(indexer.engine, s.note_transfers) == 2 and count(indexer.engine, s.refunds) == 2
    # every transaction of the lifecycle that emitted an event, with its gas
    with indexer.engine.connect() as conn:
        txs = conn.execute(select(s.transactions)).all()
    assert txs and all(t.gas_used > 21_000 and t.effective_gas_price > 0 for t in txs)


def test_verify__tampered_row__reported(indexer, lifecycle, client_core):
    lifecycle(seed=3)
    indexer.sync()
    with indexer.engine.begin() as conn:
        conn.execute(update(s.note_positions).where(s.note_positions.c.notes > 0).values(notes=1))
        conn.execute(update(s.treasury).values(reserve=12345))
    report = verify(indexer.engine, client_core)
    fields = {d.field for d in report.differences}
    assert {"notes", "reserve", "notes_outstanding"} <= fields
    assert any("treasury: reserve is 12345 in the index" in str(d) for d in report.differences)


def test_rebuild__from_the_events__identical_derived_tables(indexer, lifecycle):
    """What a rollback relies on: replaying the stored events gives back exactly the state the follower built."""
    from disfruta.index.sync import rebuild

    lifecycle(seed=19)
    indexer.sync()

    def snapshot():
        with indexer.engine.connect() as conn:
            return {t.name: sorted(tuple(sorted((k, str(v)) for k, v in r._mapping.items() if k != "id"))
                                   for r in conn.execute(select(t))) for t in s.DERIVED_TABLES}

    before = snapshot()
    with indexer.engine.begin() as conn:
        replayed = rebuild(conn)
    assert replayed == count(indexer.engine, s.events)
    assert snapshot() == before
