"""Reorganisations: the index notices that its cursor block is no longer the chain's, rolls back to the common
ancestor (rows above it deleted, state rebuilt from the remaining events) and re-indexes the new branch."""

from __future__ import annotations

from disfruta.attestations import Role
from disfruta.index import schema as s
from disfruta.index.verify import verify
from sqlalchemy import func, select


def rows(engine, table, **where):
    with engine.connect() as conn:
        q = select(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return conn.execute(q).all()


def test_reorg__snapshot_reverted_and_other_branch_mined__rolled_back_and_reindexed(
        indexer, create_loan, onboard, lenders, market, unit, chain, client_core):
    loan = create_loan(amount_tokens=1_000, term=12)
    onboard(lenders[0], Role.LENDER)
    onboard(lenders[1], Role.LENDER)
    for who in lenders[:2]:
        market.asset.mint(who, 1_000 * unit, sender=who)
        market.asset.approve(loan, 1_000 * unit, sender=who)
    indexer.sync()
    fork_point = indexer.cursor()[0]
    snapshot = chain.provider.make_request("evm_snapshot", [])
    loan.fundLoan(400 * unit, sender=lenders[0])  # the branch that will be dropped
    chain.mine(3)
    indexer.sync()
    assert [r.lender for r in rows(indexer.engine, s.fundings)] == [lenders[0].address]

    chain.provider.make_request("evm_revert", [snapshot])
    loan.fundLoan(250 * unit, sender=lenders[1])  # the branch that wins
    loan.fundLoan(50 * unit, sender=lenders[1])
    chain.mine(5)
    result = indexer.step()
    assert result.rolled_back_to is not None and result.rolled_back_to <= fork_point
    indexer.sync()

    assert [(r.lender, r.amount) for r in rows(indexer.engine, s.fundings)] == \
        [(lenders[1].address, 250 * unit), (lenders[1].address, 50 * unit)]
    assert rows(indexer.engine, s.note_positions, holder=lenders[0].address) == []
    assert rows(indexer.engine, s.loans, address=loan.address)[0].funded == 300 * unit
    with indexer.engine.connect() as conn:
        stale = conn.execute(select(func.count()).select_from(s.transactions)
                             .where(s.transactions.c.sender == lenders[0].address)
                             .where(s.transactions.c.to == loan.address)).scalar_one()
    assert stale == 0
    assert verify(indexer.engine, client_core).differences == []


def test_reorg__anvil_reorg_of_the_last_blocks__index_follows_the_new_hashes(
        indexer, create_loan, chain, client_core, stranger, admin):
    create_loan(amount_tokens=1_000, term=12)
    chain.mine(4)
    indexer.sync()
    cursor, old_hash = indexer.cursor()
    # The last 3 blocks replaced by a branch of the same height with another transaction in it (new hashes).
    other = {"from": stranger.address, "to": admin.address, "value": "0x1"}
    chain.provider.make_request("anvil_reorg", [3, [[other, 1]]])
    result = indexer.step()
    assert result.rolled_back_to is not None and result.rolled_back_to < cursor
    indexer.sync()
    new_cursor, new_hash = indexer.cursor()
    assert new_cursor >= cursor and new_hash != old_hash
    assert verify(indexer.engine, client_core).differences == []


def test_confirmations__stays_behind_the_head(make_indexer, index_url, create_loan, chain):
    create_loan(amount_tokens=1_000, term=12)
    chain.mine(3)
    indexer = make_indexer(index_url, confirmations=2)
    indexer.sync()
    head = chain.provider.web3.eth.block_number
    assert indexer.cursor()[0] == head - 2


def test_reorg__drops_a_loan_creation__the_loan_leaves_the_index(indexer, create_loan, chain, client_core, market):
    create_loan(amount_tokens=1_000, term=12)
    indexer.sync()
    snapshot = chain.provider.make_request("evm_snapshot", [])
    dropped = create_loan(amount_tokens=2_000, term=24)
    indexer.sync()
    assert any(r.address == dropped.address for r in rows(indexer.engine, s.loans))
    chain.provider.make_request("evm_revert", [snapshot])
    chain.mine(4)  # the winning branch has no second loan
    indexer.sync()
    assert [r.goal for r in rows(indexer.engine, s.loans)] == [1_000 * 10 ** market.asset.decimals()]
    assert not any(r.address == dropped.address for r in rows(indexer.engine, s.events))
    assert verify(indexer.engine, client_core).differences == []
