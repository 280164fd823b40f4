"""The CLI (click's runner and one real subprocess) and the keeper (including two keepers at once)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from web3 import Web3

from disfruta import AutoInvestCriteria, Deployment, Disfruta, Grade, Role
from disfruta.cli import main
from disfruta.keeper import Keeper

from conftest import DAY


@pytest.fixture
def deployment_file(tmp_path, market, chain):
    data = {"chain_id": chain.chain_id, "block": 0, "network": "local",
            "contracts": {"UserRegistry": market.registry.address, "LoanFactory": market.factory.address,
                          "Treasury": market.treasury.address, "LendingPool": market.pool.address,
                          "asset": market.asset.address}}
    path = tmp_path / "local.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def rpc(chain) -> str:
    return chain.provider.uri


def run(rpc, deployment_file, *args, account=None):
    base = ["--network", rpc, "--deployment", str(deployment_file)]
    if account is not None:
        base += ["--account", str(account.address)]
    return CliRunner().invoke(main, [*base, *args], catch_exceptions=False)


def new_client(rpc, deployment_file, account=None) -> Disfruta:
    client = Disfruta(Web3(Web3.HTTPProvider(rpc)), Deployment.from_file(deployment_file))
    return client.as_account(account.address) if account is not None else client


def test_cli__loans_list_show_json(rpc, deployment_file, create_loan):
    loan = create_loan(amount_tokens=1_000, term=12)
    result = run(rpc, deployment_file, "--json", "loans", "list", "--status", "funding", "--max-grade", "C5")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["address"] for r in rows] == [loan.address]
    assert rows[0]["status"] == "FUNDING" and rows[0]["grade"] == "B3"
    shown = run(rpc, deployment_file, "--json", "loans", "show", "1")
    assert len(json.loads(shown.output)["schedule"]) == 12
    table = run(rpc, deployment_file, "loans", "list")
    assert "funding" in table.output and "B3" in table.output


def test_cli__fund_repay_portfolio(rpc, deployment_file, create_loan, lender, borrower, onboard, market, unit, warp):
    loan = create_loan(amount_tokens=1_000, term=12)
    onboard(lender, Role.LENDER)
    market.asset.mint(lender, 1_000 * unit, sender=lender)
    assert run(rpc, deployment_file, "fund", "1", "1000", account=lender).exit_code == 0
    loan.withdrawFunds(sender=borrower)
    market.asset.mint(borrower, 2_000 * unit, sender=borrower)
    warp(loan.position().startTime + 30 * DAY)
    result = run(rpc, deployment_file, "repay", "1", account=borrower)
    assert result.exit_code == 0 and "outstanding" in result.output, result.output
    result = run(rpc, deployment_file, "--json", "portfolio", str(lender.address))
    data = json.loads(result.output)
    assert data["invested"] == 1_000 * unit and data["claimable"] > 0


def test_cli__user_mistakes__one_line_error_no_traceback(rpc, deployment_file, create_loan, lender, onboard, market,
                                                       unit, tmp_path):
    create_loan(amount_tokens=1_000, term=12)
    onboard(lender, Role.LENDER)
    market.asset.mint(lender, 100 * unit, sender=lender)
    result = run(rpc, deployment_file, "fund", "1", "10", account=lender)
    assert result.exit_code == 1
    assert "LoanNotMultipleOfNote" in result.output and "Traceback" not in result.output
    result = run(rpc, deployment_file, "loans", "list", "--status", "sleeping")
    assert result.exit_code == 1 and "status must be one of" in result.output
    missing = CliRunner().invoke(main, ["--network", rpc, "--deployment", str(tmp_path / "nope.json"), "loans", "list"])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_cli__real_subprocess__json_listing(rpc, deployment_file, create_loan):
    create_loan(amount_tokens=2_000, term=24)
    out = subprocess.run([sys.executable, "-m", "disfruta.cli", "--network", rpc, "--deployment", str(deployment_file),
                          "--json", "loans", "list"], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout)[0]["term_months"] == 24


def test_keeper__auto_invest_most_cash_first__then_default(rpc, deployment_file, create_loan, lenders, borrower,
                                                          onboard, market, unit, warp, admin, stranger):
    client = new_client(rpc, deployment_file)
    for i, who in enumerate(lenders[:3]):
        onboard(who, Role.LENDER)
        market.asset.mint(who, 5_000 * unit, sender=who)
        me = client.as_account(who.address)
        me.deposit((1 + i) * 400 * unit)
        me.set_auto_invest(AutoInvestCriteria(amount_per_loan=400 * unit, max_per_borrower=2_000 * unit))
    keeper = Keeper(client.as_account(stranger.address))
    assert keeper.auto_investors() == [lenders[2].address, lenders[1].address, lenders[0].address]
    loan = create_loan(amount_tokens=1_000, term=6)
    report = keeper.run_once()
    assert report.invested == {1: 1_000 * unit}
    assert [loan.balanceOf(w) for w in lenders[:3]] == [200 * unit, 400 * unit, 400 * unit]
    loan.withdrawFunds(sender=borrower)
    warp(loan.position().startTime + 30 * DAY + 20 * DAY)
    assert keeper.run_once().late == {1: 20}
    warp(loan.position().startTime + 30 * DAY + 121 * DAY)
    assert keeper.run_once().defaulted == [1]


def test_keeper__two_at_once__each_rule_holds_once(rpc, deployment_file, create_loan, lenders, onboard, market, unit,
                                                   stranger, admin):
    setup = new_client(rpc, deployment_file)
    for who in lenders[:4]:
        onboard(who, Role.LENDER)
        market.asset.mint(who, 5_000 * unit, sender=who)
        me = setup.as_account(who.address)
        me.deposit(1_000 * unit)
        me.set_auto_invest(AutoInvestCriteria(amount_per_loan=300 * unit, max_per_borrower=2_000 * unit))
    loans = [create_loan(amount_tokens=1_000, term=6) for _ in range(3)]
    reports, errors = [], []

    def keep(account):
        try:
            reports.append(Keeper(new_client(rpc, deployment_file, account), batch_size=2).run_once())
        except Exception as exc:  # noqa: BLE001 - the test asserts none escaped
            errors.append(exc)

    threads = [threading.Thread(target=keep, args=(who,)) for who in (stranger, admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for loan in loans:
        holdings = [loan.balanceOf(w) for w in lenders[:4]]
        assert all(h in (0, 100 * unit, 300 * unit) for h in holdings)  # never two investments by one lender
        assert sum(holdings) == loan.totalSupply() <= 1_000 * unit
    assert sum(sum(r.invested.values()) for r in reports) == sum(l.totalSupply() for l in loans)
    assert sum(setup.pool_balance(w.address) for w in lenders[:4]) == 4_000 * unit - sum(l.totalSupply() for l in loans)
