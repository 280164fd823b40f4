"""Autopay through the SDK, the keeper and the CLI: enrolment and its allowance, collections in due-date order, a
refused collection recorded, shown on the status and the dashboard and retried after a top-up, two keepers and one
payment, a borrower collected through two due dates without ever being late."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from click.testing import CliRunner, Result

from disfruta import Disfruta, errors
from disfruta.api.autopay import AutopayLog
from disfruta.cli import main
from disfruta.keeper import Keeper
from disfruta.models import LoanStatus, Refusal

from conftest import DAY

LEAD = 3 * DAY  # deploy_market's autopay lead time
GRACE = 15 * DAY


@pytest.fixture
def client(rpc, deployment_file) -> Disfruta:
    return Disfruta.connect(rpc, deployment_file)


@pytest.fixture
def as_(client):
    return lambda account: client.as_account(account.address)


@pytest.fixture
def keeper(client, stranger) -> Keeper:
    return Keeper(client.as_account(stranger.address))


@pytest.fixture
def drawn(create_loan, fund_by, borrower):
    """Creates, funds and draws a loan of ``borrower``'s (1,000 tokens over 6 months) at the next block's time."""

    def make():
        loan = create_loan(amount_tokens=1_000, term=6)
        fund_by(loan, [1_000])
        loan.withdrawFunds(sender=borrower)
        return loan

    return make


@pytest.fixture
def cli(rpc, deployment_file):
    def run(*args: str, account: Any = None, as_json: bool = False) -> Result:
        base = ["--network", rpc, "--deployment", str(deployment_file)]
        if account is not None:
            base += ["--account", str(account.address)]
        if as_json:
            base.append("--json")
        return CliRunner().invoke(main, [*base, *args], catch_exceptions=False)

    return run


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def due_date(loan) -> int:
    return loan.nextDueDate()


# ------------------------------------------------------------------------------------------------ SDK


def test_enrol__allowance_for_every_installment_left__status_says_when(client, as_, drawn, borrower, market, unit,
                                                                     warp):
    loan = drawn()
    as_(borrower).autopay.enrol(1, 200 * unit)
    assert market.asset.allowance(borrower, client.autopay.address) == 200 * unit * 6
    status = client.autopay.status(1)
    due = due_date(loan)
    assert (status.loan_id, status.enrolled, status.cap, status.next_due_date) == (1, True, 200 * unit, due)
    assert (status.window_opens, status.window_closes) == (due - LEAD, due + GRACE)
    assert not status.collectable and status.refusal == Refusal.TOO_EARLY
    assert status.reason.startswith("the collection window opens ")
    warp(due - DAY)
    status = client.autopay.status(loan.address)
    assert status.collectable and status.amount == loan.amountDueBy(due) and status.reason is None
    # A second loan of the borrower: the one allowance covers what is left of both.
    drawn()
    as_(borrower).autopay.enrol(2, 300 * unit)
    assert market.asset.allowance(borrower, client.autopay.address) == 200 * unit * 6 + 300 * unit * 6
    assert client.autopay.enrolled(borrower.address) == [loan.address, client.loans.address(2)]


def test_enrol__not_the_borrower__autopay_not_borrower(client, as_, drawn, stranger, borrower, unit):
    drawn()
    with pytest.raises(errors.AutopayNotBorrower) as info:
        as_(stranger).autopay.enrol(1, 100 * unit)
    assert isinstance(info.value, errors.AutopayError)
    assert info.value.values == {"caller": stranger.address, "borrower": borrower.address}
    with pytest.raises(errors.AutopayNotEnrolled):
        as_(borrower).autopay.cancel(1)


def test_keeper__collects_enrolled_loans__earliest_due_date_first(client, as_, keeper, create_loan, fund_by, borrower,
                                                                   stranger, chain, unit, warp):
    first, second = create_loan(amount_tokens=1_000, term=6), create_loan(amount_tokens=1_000, term=6)
    fund_by(first, [1_000])
    fund_by(second, [1_000])
    second.withdrawFunds(sender=borrower)  # loan #2 falls due first
    warp(chain.pending_timestamp + 10 * DAY)
    first.withdrawFunds(sender=borrower)
    unenrolled = create_loan(amount_tokens=1_000, term=6)  # loan #3: never enrolled, never collected
    fund_by(unenrolled, [1_000])
    unenrolled.withdrawFunds(sender=borrower)
    for loan_id in (1, 2):
        as_(borrower).autopay.enrol(loan_id, 250 * unit)
    assert keeper.run_once().collected == {}  # both windows still closed
    warp(due_date(first) - DAY)  # both windows open
    due = {1: first.amountDueBy(due_date(first)), 2: second.amountDueBy(due_date(second))}
    report = keeper.run_once()
    assert list(report.collected.items()) == [(2, due[2]), (1, due[1])]
    assert report.autopay_failures == [] and report.late == {}
    collected = client.events.get(["AutopayCollected"])
    assert [(e.args["loan"], e.args["caller"]) for e in collected] == [(second.address, stranger.address),
                                                                       (first.address, stranger.address)]
    assert [client.loans.get(i).amount_due for i in (1, 2)] == [0, 0]
    assert keeper.run_once().collected == {}  # the next installments are a month away
    assert client.autopay.status(1).refusal == Refusal.TOO_EARLY


@pytest.mark.parametrize("problem", ["balance", "allowance", "cap"])
def test_keeper__refused_collection__recorded_shown_then_collected_after_the_fix(client, as_, keeper, drawn, borrower,
                                                                                stranger, market, unit, warp,
                                                                                problem):
    loan = drawn()
    me = as_(borrower)
    me.autopay.enrol(1, 250 * unit)
    if problem == "balance":
        market.asset.transfer(stranger, market.asset.balanceOf(borrower) - 10 * unit, sender=borrower)
    elif problem == "allowance":
        me.token.approve(client.autopay.address, 10 * unit)
    else:
        me.autopay.enrol(1, 10 * unit)
    warp(due_date(loan) - DAY)
    report = keeper.run_once()
    assert report.collected == {}
    (failure,) = report.autopay_failures
    expected = {"balance": (Refusal.INSUFFICIENT_BALANCE, "balance is below"),
                "allowance": (Refusal.INSUFFICIENT_ALLOWANCE, "allowance to Autopay is below"),
                "cap": (Refusal.ABOVE_CAP, "above the cap of 10.00")}[problem]
    assert (failure.loan_id, failure.refusal, failure.due_date) == (1, expected[0], due_date(loan))
    assert expected[1] in failure.reason and failure.at > 0
    status = client.autopay.status(1, keeper.autopay_log)
    assert status.refusal == expected[0] and status.last_failure == failure
    dash = client.borrowers.dashboard(borrower.address, autopay_log=keeper.autopay_log)
    assert dash.autopay[1].last_failure == failure and dash.autopay[1].window_opens == due_date(loan) - LEAD

    if problem == "balance":
        market.asset.mint(borrower, 500 * unit, sender=borrower)
    elif problem == "allowance":
        me.token.approve(client.autopay.address, 1_000 * unit)
    else:
        me.autopay.enrol(1, 250 * unit)
    report = keeper.run_once()
    assert report.collected == {1: client.events.get(["AutopayCollected"])[0].args["amount"]}
    assert report.autopay_failures == [] and client.autopay.status(1, keeper.autopay_log).last_failure is None
    assert client.loans.get(1).days_past_due == 0


def test_keeper__two_at_once__one_payment(rpc, deployment_file, client, as_, drawn, borrower, stranger, admin,
                                          unit, warp):
    loans = [drawn() for _ in range(2)]
    for loan_id in (1, 2):
        as_(borrower).autopay.enrol(loan_id, 250 * unit)
    warp(max(due_date(x) for x in loans) - DAY)
    paid_before = [x.position().paidTowardSchedule for x in loans]
    reports, failures = [], []

    def keep(account):
        try:
            reports.append(Keeper(Disfruta.connect(rpc, deployment_file, account=account.address)).run_once())
        except Exception as exc:  # noqa: BLE001 - the test asserts none escaped
            failures.append(exc)

    threads = [threading.Thread(target=keep, args=(who,)) for who in (stranger, admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == []
    collected = client.events.get(["AutopayCollected"])
    assert sorted(e.args["loan"] for e in collected) == sorted(x.address for x in loans)  # once each
    assert sum(len(r.collected) for r in reports) == 2
    assert all(r.autopay_failures == [] and r.failed == [] for r in reports)
    amounts = {e.args["loan"]: e.args["amount"] for e in collected}
    for loan, before in zip(loans, paid_before, strict=True):
        assert loan.position().paidTowardSchedule == before + amounts[loan.address]


def test_keeper__two_due_dates__collected_in_each_window_never_late(client, as_, keeper, drawn, borrower, unit,
                                                                    warp):
    loan = drawn()
    as_(borrower).autopay.enrol(1, 250 * unit)
    for month in range(2):
        due = due_date(loan)
        warp(due - 2 * DAY)
        assert keeper.run_once().collected == {1: client.loans.get(1).monthly_payment}
        assert due_date(loan) > due  # the installment is covered: the next one is due
        warp(due + DAY)
        info = client.loans.get(1)
        assert info.days_past_due == 0 and info.amount_due == 0 and info.status == LoanStatus.ACTIVE
    schedule = client.loans.schedule(1)
    assert [i.paid for i in schedule[:3]] == [True, True, False] and not any(i.late for i in schedule)


def test_cancel__keeper_leaves_the_loan_alone(client, as_, keeper, drawn, borrower, unit, warp):
    loan = drawn()
    as_(borrower).autopay.enrol(1, 250 * unit)
    as_(borrower).autopay.cancel(1)
    assert client.autopay.enrolled() == [] and not client.autopay.status(1).enrolled
    warp(due_date(loan) - DAY)
    report = keeper.run_once()
    assert report.collected == {} and report.autopay_failures == []
    assert client.autopay.status(1).reason == "the loan is not enrolled in autopay"


def test_autopay_log__json_file__another_reader_sees_the_keepers_failures(tmp_path, client, stranger, drawn, as_,
                                                                          borrower, market, unit, warp):
    loan = drawn()
    as_(borrower).autopay.enrol(1, 250 * unit)
    market.asset.transfer(stranger, market.asset.balanceOf(borrower), sender=borrower)
    warp(due_date(loan) - DAY)
    path = tmp_path / "state" / "autopay.json"
    Keeper(client.as_account(stranger.address), autopay_log=path).run_once()
    (failure,) = AutopayLog(path).all()
    assert failure.refusal == Refusal.INSUFFICIENT_BALANCE and failure.loan == loan.address
    assert json.loads(path.read_text())["failures"][0]["refusal"] == int(Refusal.INSUFFICIENT_BALANCE)
    path.write_text("not json")
    with pytest.raises(errors.ConfigurationError, match="cannot read the autopay log"):
        AutopayLog(path).get(loan.address)


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_autopay__enrol_status_keeper_cancel(tmp_path, cli, drawn, borrower, stranger, market, unit, warp):
    loan = drawn()
    out = ok(cli("autopay", "enrol", "1", "250", account=borrower)).output
    assert "loan #1 on autopay, at most 250 a collection; Autopay may take 1,500 in all" in out
    status = json.loads(ok(cli("autopay", "status", "1", as_json=True)).output)
    assert status["enrolled"] and status["cap"] == 250 * unit and status["refusal"] == "TOO_EARLY"
    log = tmp_path / "autopay.json"
    market.asset.transfer(stranger, market.asset.balanceOf(borrower), sender=borrower)
    warp(due_date(loan) - DAY)
    ran = ok(cli("keeper", "run", "--iterations", "1", "--interval", "0", "--autopay-log", str(log),
                 account=stranger)).output
    assert "autopay failures {1: \"the borrower's balance is below" in ran
    shown = ok(cli("autopay", "status", "1", "--autopay-log", str(log))).output
    assert shown.startswith("loan #1: cap 250.00") and "last failed" in shown and "balance is below" in shown
    dash = ok(cli("borrower", "show", borrower.address, "--autopay-log", str(log))).output
    assert "autopay #1: cap 250.00" in dash and "last failed" in dash
    market.asset.mint(borrower, 500 * unit, sender=borrower)
    ran = ok(cli("keeper", "run", "--iterations", "1", "--interval", "0", "--autopay-log", str(log),
                 account=stranger)).output
    assert "autopay collected {1: '" in ran and "autopay failures {}" in ran
    assert "last failed" not in ok(cli("autopay", "status", "1", "--autopay-log", str(log))).output
    assert "autopay off for loan #1" in ok(cli("autopay", "cancel", "1", account=borrower)).output
    result = cli("autopay", "collect", "1", account=stranger)
    assert result.exit_code == 1 and result.output.strip().count("\n") == 0
    assert "AutopayNotCollectable" in result.output and "reason=not_enrolled" in result.output
