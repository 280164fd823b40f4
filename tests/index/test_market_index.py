"""The note market and autopay in the index (issue #16), on SQLite and PostgreSQL: listings listed, partly bought,
cancelled, listed again and sold out; trades with their price and fee; note positions (and their claims) after a
sale as after any transfer; the treasury's trading fees; enrolments, collections and cancellations; the read API's
rows; `verify` against `NoteMarket.listing` and `Autopay.capOf`; a trade undone by a reorganisation; a market the
deployment names only later, read back; and the migration of an index built before it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import DAY, MAX_UINT, PERIOD
from disfruta.attestations import Role
from disfruta.deployment import Deployment
from disfruta.index import schema as s
from disfruta.index.api import create_app
from disfruta.index.db import downgrade, make_engine, upgrade
from disfruta.index.schema import Uint256
from disfruta.index.sync import Indexer, rebuild
from disfruta.index.verify import verify
from disfruta.returns import xirr
from disfruta.rpc import Rpc
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

TRADING = 3


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, index_url) -> str:
    """The test's index database: SQLite, then PostgreSQL (skipped unless DISFRUTA_TEST_PG_URL is set)."""
    return index_url if request.param == "sqlite" else request.getfixturevalue("pg_index_url")


def rows(engine, table, order=None, **where) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        q = select(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        if order is not None:
            q = q.order_by(*(table.c[c] for c in order))
        return [dict(r._mapping) for r in conn.execute(q)]


def snapshot(engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t.name: sorted(tuple(sorted((k, str(v)) for k, v in r._mapping.items() if k != "id"))
                               for r in conn.execute(select(t))) for t in s.DERIVED_TABLES}


def differences(engine, core) -> str:
    return "\n".join(map(str, verify(engine, core).differences))


@dataclass
class Trading:
    loan: Any
    seller: Any  # lists 2,000 notes, sells 500, cancels, lists 1,000 again, sold out
    other: Any  # lists 400 notes at par, never bought: open
    buyer: Any  # buys 1,500 notes, lists 500 of them with an expiry that passes
    sales: list[Any]  # the NotesSold events, in order
    collected: Any  # the AutopayCollected event
    cap: int


@pytest.fixture
def trading(market, chain, borrower, stranger, lenders, onboard, active_loan, repay, unit) -> Any:
    """``trading(autopay=True)``: a drawn loan of two lenders, one installment paid, then the note market's
    lifecycle; with ``autopay`` the borrower enrols, the next installment is collected and the enrolment
    cancelled, and the holders claim."""
    nm, ap, asset = market.note_market, market.autopay, market.asset

    def run(autopay: bool = True) -> Trading:
        loan = active_loan(amount_tokens=10_000, term=12, shares=[6_000, 4_000])
        seller, other, buyer = lenders[0], lenders[1], lenders[2]
        onboard(buyer, Role.LENDER)
        start, payment = loan.position().startTime, loan.terms().monthlyPayment
        repay(loan, payment, at=start + PERIOD)  # the accumulator moves: a sale must carry the claim checkpoints
        for who in (seller, other, buyer):
            loan.approve(nm, MAX_UINT, sender=who)
        asset.mint(buyer, 20_000 * unit, sender=buyer)
        asset.approve(nm, MAX_UINT, sender=buyer)

        sales = []
        nm.list(loan, 2_000 * unit, -200, 0, sender=seller)
        sales += nm.buy(loan, seller, 500 * unit, MAX_UINT, 1, sender=buyer).events.filter(nm.NotesSold)
        nm.cancel(loan, sender=seller)
        nm.list(loan, 1_000 * unit, 150, chain.pending_timestamp + 10 * DAY, sender=seller)
        sales += nm.buy(loan, seller, 1_000 * unit, MAX_UINT, 2, sender=buyer).events.filter(nm.NotesSold)
        nm.sweepFees(sender=stranger)  # the seller fees, in the Treasury since the sales, booked there (the keeper)
        nm.list(loan, 400 * unit, 0, 0, sender=other)
        nm.list(loan, 500 * unit, 300, chain.pending_timestamp + 5 * DAY, sender=buyer)
        if not autopay:
            return Trading(loan, seller, other, buyer, sales, None, 0)

        cap = payment * 2
        ap.enrol(loan, cap, sender=borrower)
        asset.mint(borrower, cap, sender=borrower)
        asset.approve(ap, cap, sender=borrower)
        chain.pending_timestamp = loan.nextDueDate() - 2 * DAY
        collected = ap.collect(loan, sender=stranger).events.filter(ap.AutopayCollected)[0]
        ap.cancel(loan, sender=borrower)
        loan.claim(sender=buyer)
        loan.claim(sender=seller)
        return Trading(loan, seller, other, buyer, sales, collected, cap)

    return run


def test_market__list_buy_cancel_relist__listings_trades_positions_equal_the_chain(
        make_indexer, db_url, trading, client_core, market):
    t = trading()
    indexer = make_indexer(db_url)
    indexer.sync()
    loan_id = t.loan.loanId()

    listings = {r["seller"]: r for r in rows(indexer.engine, s.market_listings)}
    assert set(listings) == {t.seller.address, t.other.address, t.buyer.address}
    sold_out = listings[t.seller.address]
    assert (sold_out["status"], sold_out["notes"], sold_out["listed_notes"], sold_out["version"],
            sold_out["premium_bps"]) == ("sold_out", 0, 1_000 * 10 ** market.asset.decimals(), 2, 150)
    unit = 10 ** market.asset.decimals()
    assert (listings[t.other.address]["status"], listings[t.other.address]["notes"]) == ("active", 400 * unit)
    assert listings[t.buyer.address]["premium_bps"] == 300 and listings[t.buyer.address]["expiry"] > 0

    trades = rows(indexer.engine, s.market_trades, order=("block", "log_index"))
    assert [(x["seller"], x["buyer"], x["notes"], x["price"], x["fee"], x["version"]) for x in trades] == [
        (e.seller, e.buyer, e.notes, e.price, e.fee, e.version) for e in t.sales]
    assert [x["notes"] for x in trades] == [500 * unit, 1_000 * unit] and all(x["loan_id"] == loan_id
                                                                               for x in trades)
    assert trades[0]["price"] < 500 * unit  # a discount on the principal outstanding

    # The sale moved the notes through the loan's Transfer: positions and claims as the chain's
    for who in (t.seller, t.buyer, t.other):
        p = rows(indexer.engine, s.note_positions, loan_id=loan_id, holder=who.address)[0]
        assert p["notes"] == t.loan.balanceOf(who)
    seller_p = rows(indexer.engine, s.note_positions, loan_id=loan_id, holder=t.seller.address)[0]
    buyer_p = rows(indexer.engine, s.note_positions, loan_id=loan_id, holder=t.buyer.address)[0]
    assert seller_p["sold"] == buyer_p["bought"] == 1_500 * unit
    assert buyer_p["claimed"] > 0  # the buyer's claim of the installment collected after the sale
    assert len(rows(indexer.engine, s.note_transfers, loan_id=loan_id)) == 2

    fees = sum(e.fee for e in t.sales)
    assert fees > 0 and rows(indexer.engine, s.treasury)[0]["trading_fees"] == fees
    assert market.treasury.feesCollected(TRADING) == fees
    # one booking of both sales' fees, by the sweep
    assert [(x["loan"], x["amount"]) for x in rows(indexer.engine, s.fee_collections, fee_type=TRADING)] == [
        (market.note_market.address, fees)]
    assert rows(indexer.engine, s.market_settings)[0]["seller_fee_bps"] == market.note_market.sellerFeeBps()

    assert differences(indexer.engine, client_core) == ""
    before = snapshot(indexer.engine)
    with indexer.engine.begin() as conn:
        rebuild(conn)
    assert snapshot(indexer.engine) == before


def test_autopay__enrol_collect_cancel__rows_equal_the_chain(make_indexer, db_url, trading, client_core, market,
                                                            borrower, stranger):
    t = trading()
    indexer = make_indexer(db_url)
    indexer.sync()
    loan_id = t.loan.loanId()
    enrolment = rows(indexer.engine, s.autopay_enrolments)
    assert len(enrolment) == 1
    e = enrolment[0]
    assert (e["loan_id"], e["borrower"], e["cap"], e["active"]) == (loan_id, borrower.address, t.cap, False)
    assert 0 < e["enrolled_at"] <= e["cancelled_at"]
    collections = rows(indexer.engine, s.autopay_collections)
    assert [(c["loan_id"], c["borrower"], c["caller"], c["due_date"], c["amount"]) for c in collections] == [
        (loan_id, borrower.address, stranger.address, t.collected.dueDate, t.collected.amount)]
    repayments = rows(indexer.engine, s.repayments, order=("block", "log_index"), loan_id=loan_id)
    assert repayments[-1]["payer"] == market.autopay.address and repayments[-1]["amount"] == t.collected.amount
    assert rows(indexer.engine, s.market_settings)[0]["autopay_lead_time"] == market.autopay.leadTime() == 3 * DAY
    assert market.autopay.capOf(t.loan) == 0
    assert differences(indexer.engine, client_core) == ""

    # Enrolled again: active from the new enrolment on, the last cancellation kept; a new cap keeps enrolled_at
    market.autopay.enrol(t.loan, t.cap + 1, sender=borrower)
    indexer.sync()
    again = rows(indexer.engine, s.autopay_enrolments)[0]
    assert again["active"] and again["cap"] == t.cap + 1 and again["enrolled_at"] >= e["cancelled_at"]
    assert again["enrolled_block"] > e["enrolled_block"] and again["cancelled_at"] == e["cancelled_at"]
    market.autopay.enrol(t.loan, t.cap + 2, sender=borrower)
    indexer.sync()
    changed = rows(indexer.engine, s.autopay_enrolments)[0]
    assert changed["cap"] == t.cap + 2 and changed["enrolled_at"] == again["enrolled_at"]
    assert differences(indexer.engine, client_core) == ""

    with indexer.engine.begin() as conn:  # verify reads the cap from the chain
        conn.execute(sa.update(s.autopay_enrolments).values(cap=5))
        conn.execute(sa.update(s.market_listings).where(s.market_listings.c.status == "active").values(notes=1))
    found = {(d.entity.split(" ")[0], d.field) for d in verify(indexer.engine, client_core).differences}
    assert found == {("autopay", "cap"), ("listing", "notes")}


def test_api__listings_trades_autopay_and_the_loan_row(indexer, trading, client_core, market, borrower, chain):
    t = trading()
    indexer.sync()
    api = TestClient(create_app(indexer.engine, client_core))
    loan_id, unit = t.loan.loanId(), 10 ** market.asset.decimals()

    r = api.get("/v1/market/listings")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [x["seller"] for x in items] == [t.buyer.address, t.other.address, t.seller.address]  # newest first
    buyer_l, other_l, seller_l = items
    assert other_l == {**other_l, "loan_id": loan_id, "loan": t.loan.address, "notes": str(400 * unit),
                       "premium_bps": 0, "expiry": 0, "version": 1, "status": "active", "expired": False,
                       "open": True, "seller_notes": str(t.loan.balanceOf(t.other)), "loan_status": "active"}
    assert (buyer_l["status"], buyer_l["expired"], buyer_l["open"]) == ("active", True, False)  # past its expiry
    assert (seller_l["status"], seller_l["notes"], seller_l["listed_notes"]) == ("sold_out", "0", str(1_000 * unit))
    assert int(r.headers["X-Index-Block"]) == indexer.cursor()[0]

    opened = api.get("/v1/market/listings", params={"active": "true"}).json()["items"]
    assert [x["seller"] for x in opened] == [t.other.address]
    closed = api.get("/v1/market/listings", params={"active": "false"}).json()["items"]
    assert [x["seller"] for x in closed] == [t.buyer.address, t.seller.address]
    mine = api.get("/v1/market/listings", params={"seller": t.seller.address.lower()}).json()["items"]
    assert [x["version"] for x in mine] == [2]
    by_id = api.get("/v1/market/listings", params={"loan": loan_id}).json()["items"]
    by_address = api.get("/v1/market/listings", params={"loan": t.loan.address}).json()["items"]
    assert by_id == by_address == items
    assert api.get("/v1/market/listings", params={"loan": "0x" + "ab" * 20}).json()["items"] == []

    seen, cursor = [], None  # pages of one: each listing once
    while True:
        page = api.get("/v1/market/listings", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += [x["seller"] for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [x["seller"] for x in items]

    trades = api.get("/v1/market/trades", params={"account": t.buyer.address}).json()
    assert [(x["notes"], x["price"], x["fee"], x["version"]) for x in trades["items"]] == [
        (str(e.notes), str(e.price), str(e.fee), e.version) for e in reversed(t.sales)]
    assert trades["next_cursor"] is None
    assert api.get("/v1/market/trades", params={"account": t.other.address}).json()["items"] == []
    first = api.get("/v1/market/trades", params={"loan": loan_id, "limit": 1}).json()
    rest = api.get("/v1/market/trades", params={"loan": loan_id, "cursor": first["next_cursor"]}).json()
    assert [x["version"] for x in first["items"] + rest["items"]] == [2, 1] and rest["next_cursor"] is None
    assert trades["items"][0]["tx_hash"].startswith("0x") and trades["items"][0]["loan"] == t.loan.address

    enrolments = api.get("/v1/autopay", params={"borrower": borrower.address}).json()["items"]
    assert len(enrolments) == 1
    e = enrolments[0]
    assert (e["loan_id"], e["cap"], e["active"], e["collected"]) == (loan_id, str(t.cap), False,
                                                                      str(t.collected.amount))
    assert [(c["due_date"], c["amount"]) for c in e["collections"]] == [(t.collected.dueDate,
                                                                         str(t.collected.amount))]
    assert api.get("/v1/autopay", params={"loan": t.loan.address}).json()["items"] == enrolments
    assert api.get("/v1/autopay", params={"active": True}).json()["items"] == []

    detail = api.get(f"/v1/loans/{loan_id}").json()
    assert [x["seller"] for x in detail["listings"]] == [t.other.address]  # the open ones
    assert detail["autopay"] == e

    # The lenders' cash flows: a purchase at its price, a sale at the price less the seller fee
    bought = api.get(f"/v1/lenders/{t.buyer.address}/portfolio").json()
    assert sorted(x["amount"] for x in bought["cash_flows"] if x["kind"] == "market_buy") == sorted(
        str(-e.price) for e in t.sales)
    assert bought["loans"][0]["invested"] == str(sum(e.price for e in t.sales))
    # The XIRR is that of the flows shown plus what the positions are worth at the indexed block (it may be
    # undefined: a position held for days at a loss annualises past -100 %, where no rate solves it).
    as_of = chain.provider.get_block(indexer.cursor()[0]).timestamp
    worth = int(bought["claimable"]) + int(bought["principal_outstanding"]) - int(bought["expected_losses"])
    flows = [(f["timestamp"], int(f["amount"])) for f in bought["cash_flows"]]
    assert bought["xirr"] == xirr(flows + ([(as_of, worth)] if worth > 0 else []))
    sold = api.get(f"/v1/lenders/{t.seller.address}/portfolio").json()
    assert sorted(x["amount"] for x in sold["cash_flows"] if x["kind"] == "market_sell") == sorted(
        str(e.price - e.fee) for e in t.sales)
    assert sold["loans"][0]["invested"] == str(6_000 * unit)  # its funding only

    stats = api.get("/v1/stats").json()
    assert stats["fees"]["trading"] == str(sum(x.fee for x in t.sales))

    spec = api.get("/openapi.json").json()["paths"]
    assert {"/v1/market/listings", "/v1/market/trades", "/v1/autopay"} <= set(spec)


def test_keeper_autopay__enrolled_loans_from_the_index__as_the_events_say(indexer, trading, create_loan, chain,
                                                                          deployment, market, borrower, stranger):
    """The keeper's autopay duty asks the index which loans are enrolled (local or over HTTP), so an idle pass sends
    the node nothing for it; the answer is the events' (`client.autopay.enrolled()` without an index)."""
    from disfruta import Disfruta
    from disfruta.index.local import LocalIndex
    from disfruta.index_source import IndexClient

    t = trading()
    market.autopay.enrol(t.loan, 5, sender=borrower)  # enrolled again (the fixture's enrolment was cancelled)
    other = create_loan()  # a second loan of the same borrower, enrolled and then cancelled
    market.autopay.enrol(other, 1, sender=borrower)
    market.autopay.cancel(other, sender=borrower)
    indexer.sync()
    plain = Disfruta.from_web3(chain.provider.web3, deployment)
    on_chain = plain.autopay.enrolled()
    assert on_chain == [t.loan.address]
    local = LocalIndex(indexer.engine)
    assert local.autopay_enrolled() == local.autopay_enrolled(borrower.address) == on_chain
    assert local.autopay_enrolled(stranger.address) == []
    api = TestClient(create_app(indexer.engine))
    http = IndexClient("http://index", client=api)
    assert http.autopay_enrolled() == on_chain and http.autopay_enrolled(stranger.address) == []
    on_index = Disfruta.from_web3(chain.provider.web3, deployment, index=local)
    before = on_index.rpc.requests
    assert on_index.autopay.enrolled() == on_chain
    assert on_index.rpc.requests == before


@pytest.mark.parametrize(("path", "params", "status", "words"), [
    ("/v1/market/listings", {"cursor": "bogus"}, 400, "not a cursor"),
    ("/v1/market/listings", {"seller": "0x12"}, 422, "seller"),
    ("/v1/market/listings", {"loan": "first"}, 422, "loan"),
    ("/v1/market/listings", {"active": "maybe"}, 422, "active"),
    ("/v1/market/trades", {"limit": 0}, 422, "limit"),
    ("/v1/market/trades", {"cursor": base64.urlsafe_b64encode(b"listings:v1:1:1").decode()}, 400, "not a cursor"),
    ("/v1/autopay", {"borrower": "nobody"}, 422, "borrower"),
    ("/v1/keeper/autopay", {"borrower": "0x12"}, 422, "borrower"),
])
def test_api__bad_input__4xx_with_a_message(tmp_path, path, params, status, words):
    engine = make_engine(tmp_path / "empty.db")
    upgrade(engine)
    r = TestClient(create_app(engine)).get(path, params=params)
    assert r.status_code == status, r.text
    assert words in str(r.json()["detail"])


def test_reorg__a_trade_undone__listing_positions_and_fees_rolled_back(
        make_indexer, db_url, trading, chain, client_core, market):
    t = trading(autopay=False)
    indexer = make_indexer(db_url)
    indexer.sync()
    before = snapshot(indexer.engine)
    fork_point = indexer.cursor()[0]
    snap = chain.provider.make_request("evm_snapshot", [])
    sale = market.note_market.buy(t.loan, t.other, 150 * 10 ** market.asset.decimals(), MAX_UINT, 1,
                                  sender=t.buyer)  # the branch that will be dropped
    chain.mine(2)
    indexer.sync()
    assert len(rows(indexer.engine, s.market_trades)) == 3
    assert rows(indexer.engine, s.market_listings, seller=t.other.address)[0]["notes"] == 250 * 10 ** market.asset.decimals()

    chain.provider.make_request("evm_revert", [snap])
    chain.mine(4)  # the winning branch has no sale
    result = indexer.step()
    assert result.rolled_back_to is not None and result.rolled_back_to <= fork_point
    indexer.sync()
    assert len(rows(indexer.engine, s.market_trades)) == 2
    with indexer.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.events)
                            .where(s.events.c.tx_hash == sale.txn_hash)).scalar_one() == 0
    assert snapshot(indexer.engine) == before  # listing, positions, claims, the treasury's fees as before the sale
    assert differences(indexer.engine, client_core) == ""


def test_backfill__market_named_later__read_back_once_like_a_fresh_index(
        db_url, tmp_path, trading, chain, deployment, market, client_core, make_indexer):
    """An index of a deployment file without the note market and autopay (as before issue #16) started again with
    the new file: their past logs are read back and the state rebuilt with them, as an index built from scratch."""
    t = trading()
    data = deployment.to_json()
    data["contracts"] = {k: v for k, v in data["contracts"].items() if k not in ("NoteMarket", "Autopay")}
    old = Deployment.from_dict(data)
    engine = make_engine(db_url)
    upgrade(engine)
    rpc = Rpc(chain.provider.web3)
    Indexer(engine, rpc, old).sync()
    assert rows(engine, s.market_listings) == [] and rows(engine, s.autopay_enrolments) == []
    assert rows(engine, s.treasury)[0]["trading_fees"] > 0  # the treasury was followed all along
    cursor = Indexer(engine, rpc, old).cursor()[0]

    indexer = Indexer(engine, rpc, deployment)
    result = indexer.step()
    assert result.events > 10 and result.last == cursor and result.rolled_back_to is None
    assert result.read_back == ("Autopay", "NoteMarket")
    assert {(r["address"], r["since_block"]) for r in rows(engine, s.followed_contracts)} >= {
        (market.note_market.address, cursor), (market.autopay.address, cursor)}
    market.note_market.cancel(t.loan, sender=t.other)  # indexing goes on from the cursor
    indexer.sync()
    assert Indexer(engine, rpc, deployment)._unfollowed == {}  # read back once only

    fresh = make_indexer(str(tmp_path / "fresh.db"))
    fresh.sync(indexer.cursor()[0])
    assert snapshot(engine) == snapshot(fresh.engine)
    assert rows(engine, s.market_listings, seller=t.other.address)[0]["status"] == "cancelled"
    assert differences(engine, client_core) == ""

    # Run once more with the old file, the market going on meanwhile, then with the new one: the gap is read back
    Indexer(engine, rpc, old).sync()
    market.note_market.cancel(t.loan, sender=t.buyer)
    Indexer(engine, rpc, old).sync()
    assert rows(engine, s.market_listings, seller=t.buyer.address)[0]["status"] == "active"
    again = Indexer(engine, rpc, deployment)
    assert again.step().read_back == ("Autopay", "NoteMarket")
    assert rows(engine, s.market_listings, seller=t.buyer.address)[0]["status"] == "cancelled"
    assert differences(engine, client_core) == ""


def test_migration__index_of_before_the_market__upgraded_and_back(db_url):
    """0001 → 0002 on an index holding rows: the fixed contracts it followed are recorded (a loan is not one), the
    trading fees it already saw in `fee_collections` are the treasury's; and down again, and up."""
    engine = make_engine(db_url)
    upgrade(engine, "0001")
    factory, treasury, loan = ("0x" + c * 40 for c in "123")
    events = sa.table("events", *(sa.column(c) for c in ("block", "tx_hash", "log_index", "address", "contract",
                                                          "name")), sa.column("args", sa.JSON))
    fees = sa.table("fee_collections", *(sa.column(c) for c in ("block", "timestamp", "tx_hash", "log_index",
                                                                "loan", "fee_type")),
                    sa.column("amount", Uint256()), sa.column("to_reserve", Uint256()))
    big = 3 * 10**30  # past 2**63: summed exactly
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO sync_state (id, chain_id, factory, start_block, cursor) "
                             "VALUES (1, 31337, :f, 5, 99)"), {"f": factory})
        conn.execute(sa.insert(events), [
            {"block": 5 + i, "tx_hash": "0x" + f"{i:064x}", "log_index": 0, "address": a, "contract": c,
             "name": "X", "args": {}}
            for i, (a, c) in enumerate([(factory, "LoanFactory"), (treasury, "Treasury"), (loan, "Loan"),
                                        (factory, "LoanFactory")])])
        conn.execute(sa.insert(fees), [
            {"block": 7, "timestamp": 1, "tx_hash": "0x" + f"{i:064x}", "log_index": 1, "loan": loan,
             "fee_type": ft, "amount": amount, "to_reserve": 0}
            for i, (ft, amount) in enumerate([(0, 11), (TRADING, big), (TRADING, 7), (1, 5)])])
        conn.execute(sa.text("INSERT INTO treasury (id, reserve, available_fees, origination_fees, servicing_fees, "
                             "reserve_used, reserve_funded, distributed, surplus_fees, reserve_recovered, "
                             "reserve_share_bps, default_cover_bps) VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"))
    upgrade(engine)
    assert {(r["address"], r["contract"], r["since_block"]) for r in rows(engine, s.followed_contracts)} == {
        (factory, "LoanFactory", 4), (treasury, "Treasury", 4)}
    assert rows(engine, s.treasury)[0]["trading_fees"] == big + 7
    assert {"market_listings", "market_trades", "autopay_enrolments", "autopay_collections", "market_settings",
            "followed_contracts"} <= set(inspect(engine).get_table_names())

    downgrade(engine, "0001")
    names = set(inspect(engine).get_table_names())
    assert "market_listings" not in names and "followed_contracts" not in names
    assert "trading_fees" not in {c["name"] for c in inspect(engine).get_columns("treasury")}
    assert len(rows(engine, s.events)) == 4
    upgrade(engine)
    assert rows(engine, s.treasury)[0]["trading_fees"] == big + 7
