"""The read API over an index of a random lifecycle: the marketplace with filters and cursor pages, a loan with its
schedule and history, a lender's portfolio and statement, a borrower's dues, statistics; bad input answered 4xx
with a message."""

from __future__ import annotations

import csv
import io

import pytest
from disfruta.index.api import create_app
from fastapi.testclient import TestClient


@pytest.fixture
def api(indexer, lifecycle, client_core):
    life = lifecycle(seed=9)
    indexer.sync()
    client = TestClient(create_app(indexer.engine, client_core, cors_origins=["https://app.example"]))
    client.life = life  # type: ignore[attr-defined]
    return client


def test_marketplace__pages_of_two__every_loan_once_newest_first(api):
    seen, cursor = [], None
    while True:
        r = api.get("/v1/loans", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [x["loan_id"] for x in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5
    assert r.headers["Cache-Control"] == "public, max-age=5" and int(r.headers["X-Index-Block"]) > 0


def test_marketplace__filters__match_the_sdk_semantics(api, borrower):
    active = api.get("/v1/loans", params={"status": "active"}).json()["items"]
    assert [x["status"] for x in active] == ["active"]
    graded = api.get("/v1/loans", params={"min_grade": "B1", "max_grade": "B5"}).json()["items"]
    assert graded and all(x["grade"].startswith("B") for x in graded)
    mine = api.get("/v1/loans", params={"borrower": borrower.address.lower()}).json()["items"]
    assert len(mine) == 5
    assert api.get("/v1/loans", params={"term_months": 24}).json()["items"][0]["status"] == "expired"


def test_marketplace__live__amount_due_equals_the_chain(api):
    item = api.get("/v1/loans", params={"status": "active", "live": True}).json()["items"][0]
    loan = api.life.loans["active"]
    assert item["live"]["amount_due"] == str(loan.amountDue())
    assert item["live"]["payoff_amount"] == str(loan.payoffAmount())


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"cursor": "not-a-cursor"}, 400, "not a cursor"),
    ({"min_grade": "C1", "max_grade": "A1"}, 400, "worse than"),
    ({"min_rate_bps": 900, "max_rate_bps": 100}, 400, "above"),
    ({"status": "sleeping"}, 422, "status"),
    ({"limit": 0}, 422, "limit"),
    ({"borrower": "0x123"}, 422, "borrower"),
])
def test_marketplace__bad_input__4xx_with_a_message(api, params, status, words):
    r = api.get("/v1/loans", params=params)
    assert r.status_code == status
    assert words in str(r.json()["detail"])


def test_loan__unknown__404_with_a_message(api):
    r = api.get("/v1/loans/999")
    assert r.status_code == 404 and r.json() == {"detail": "there is no loan #999 in the index"}


def test_loan__schedule_and_history(api):
    loan = api.life.loans["active"]
    body = api.get(f"/v1/loans/{loan.loanId()}").json()
    assert len(body["schedule"]) == 12
    events = [h["event"] for h in body["history"]]
    assert events[0] == "LoanCreated" and "FundsWithdrawn" in events and events.count("RepaymentMade") == 4
    assert sum(int(h["notes"]) for h in body["noteholders"]) == loan.totalSupply() == int(body["principal"])
    assert all(int(h["notes"]) == loan.balanceOf(h["holder"]) for h in body["noteholders"])


def test_portfolio__claimable_and_notes_equal_the_chain(api, lenders):
    for who in lenders:
        body = api.get(f"/v1/lenders/{who.address}/portfolio").json()
        for row in body["loans"]:
            loan = next(x for x in api.life.loans.values() if x.address == row["address"])
            assert row["notes"] == str(loan.balanceOf(who)) and row["claimable"] == str(loan.claimable(who))
    healthy = api.get(f"/v1/lenders/{lenders[0].address}/portfolio").json()  # no note of the defaulted loan
    assert healthy["xirr"] is not None and healthy["xirr"] > 0 and healthy["net_annualized_return"] > 0
    hit = api.get(f"/v1/lenders/{lenders[1].address}/portfolio").json()
    assert int(hit["losses"]) > 0 and hit["net_annualized_return"] < 0  # notes of the defaulted loan


def test_statement__income_adds_up_to_cash_claimed_and_claimable(api, lenders):
    for who in lenders[:3]:
        body = api.get(f"/v1/lenders/{who.address}/statement").json()
        t = {k: int(v) for k, v in body["total"].items() if k != "loan_id"}
        credited = t["interest"] + t["principal"] + t["late_fees"] - t["servicing_fees"] + t["recoveries"]
        portfolio = api.get(f"/v1/lenders/{who.address}/portfolio").json()
        cash = t["claimed"] + int(portfolio["claimable"])
        assert abs(credited - cash) <= 20, (credited, cash)  # pro-rata rounding: a unit or two per repayment
    text = api.get(f"/v1/lenders/{lenders[0].address}/statement", params={"format": "csv"}).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert table[-1]["loan_id"] == "total"
    assert sum(int(r["interest"]) for r in table[:-1]) == int(table[-1]["interest"])


def test_statement__period_before_anything__empty(api, lenders):
    body = api.get(f"/v1/lenders/{lenders[0].address}/statement", params={"start": 0, "end": 1}).json()
    assert body["loans"] == [] and body["total"]["interest"] == "0"
    r = api.get(f"/v1/lenders/{lenders[0].address}/statement", params={"start": 10, "end": 5})
    assert r.status_code == 400 and "start" in r.json()["detail"]


def test_borrower__amount_due_equals_the_chain(api, borrower):
    body = api.get(f"/v1/borrowers/{borrower.address}").json()
    assert body["amount_due"] == str(api.life.loans["active"].amountDue())
    assert len(body["loans"]) == 5
    stmt = api.get(f"/v1/borrowers/{borrower.address}/statement").json()
    assert int(stmt["total"]["paid"]) > 0


def test_address__malformed__400_with_a_message(api):
    r = api.get("/v1/lenders/0xnothex/portfolio")
    assert r.status_code == 400 and "not an address" in r.json()["detail"]


def test_stats__volume_outstanding_default_rate(api):
    body = api.get("/v1/stats").json()
    assert body["loans"] == 5 and body["loans_by_status"]["defaulted"] == 1
    assert body["default_rate_by_grade"]["B3"] == {"drawn": 2, "defaulted": 1, "rate": 0.5}  # one borrower, B3
    assert int(body["volume"]) > 0 and body["reserve_coverage"] is not None


def test_cors__allowed_origin__header(api):
    r = api.get("/v1/stats", headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "https://app.example"
