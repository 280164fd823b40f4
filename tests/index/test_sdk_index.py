"""The SDK and the keeper on the index (a local database, or the read API over HTTP): the same answers as from the
chain alone, in requests that don't grow with the market."""

from __future__ import annotations

import pytest
from conftest import DAY
from disfruta import Disfruta, LoanStatus
from disfruta.index.api import create_app
from disfruta.index.local import LocalIndex
from disfruta.index_source import IndexClient, IndexUnavailable
from disfruta.keeper import Keeper
from fastapi.testclient import TestClient


@pytest.fixture
def indexed(indexer, lifecycle):
    life = lifecycle(seed=13)
    indexer.sync()
    return life


@pytest.fixture(params=["local", "http"])
def index_source(request, indexer, indexed, client_core):
    if request.param == "local":
        return LocalIndex(indexer.engine)
    return IndexClient("http://testserver", client=TestClient(create_app(indexer.engine, client_core)))


@pytest.fixture
def plain(chain, deployment, admin):
    return Disfruta.from_web3(chain.provider.web3, deployment, account=admin.address)


@pytest.fixture
def on_index(chain, deployment, admin, index_source):
    return Disfruta.from_web3(chain.provider.web3, deployment, account=admin.address, index=index_source)


def test_loans_list__on_the_index__same_rows_as_the_chain_one_round_trip(plain, on_index):
    for filters in ({}, {"status": LoanStatus.ACTIVE}, {"max_term_months": 12}, {"purpose": 0}):
        assert on_index.loans.list(limit=20, **filters).items == plain.loans.list(limit=20, **filters).items
    before = on_index.rpc.requests
    page = on_index.loans.list(limit=2)
    assert on_index.rpc.requests - before == 1 and page.next_cursor is not None
    rest = on_index.loans.list(limit=20, cursor=page.next_cursor)
    assert [x.loan_id for x in page.items + rest.items] == [5, 4, 3, 2, 1] and rest.next_cursor is None


def test_portfolio__on_the_index__equals_the_chain(plain, on_index, lenders):
    for who in lenders:
        assert on_index.lenders.portfolio(who.address) == plain.lenders.portfolio(who.address)


def test_keeper__idle_pass_on_the_index__reads_only_loans_needing_action(plain, on_index, indexed):
    active = indexed.loans["active"]
    keeper = Keeper(on_index, sweep_min=0)
    assert [x.loan_id for x in keeper.loans()] == [active.loanId()]  # late: its 5th installment is uncovered
    before = on_index.rpc.requests
    report = keeper.run_once()
    assert report.late == {active.loanId(): active.daysPastDue()}
    assert on_index.rpc.requests - before <= 3  # the head, the candidate rows, the loan's config
    chain_report = Keeper(plain, sweep_min=0).run_once()
    assert chain_report.late == report.late and chain_report.defaulted == report.defaulted == []


def test_keeper__on_the_index__declares_a_default_the_chain_keeper_would(on_index, indexed, chain):
    active = indexed.loans["active"]
    chain.mine(timestamp=active.nextDueDate() + 125 * DAY)
    report = Keeper(on_index, sweep_min=0).run_once()
    assert report.defaulted == [active.loanId()]


def test_index_client__unreachable__one_clear_error():
    client = IndexClient("http://127.0.0.1:9")
    with pytest.raises(IndexUnavailable, match="cannot reach the index at http://127.0.0.1:9"):
        client.block()
