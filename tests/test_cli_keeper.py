"""The keeper: fair auto-invest order, late loans, defaults, and two keepers at once (the CLI is in test_cli.py)."""

from __future__ import annotations

import threading


from disfruta import AutoInvestCriteria, Disfruta, Role
from disfruta.keeper import Keeper

from conftest import DAY


def new_client(rpc, deployment_file, account=None) -> Disfruta:
    return Disfruta.connect(rpc, deployment_file, account=account.address if account is not None else None)


def test_keeper__auto_invest_most_cash_first__then_default(rpc, deployment_file, create_loan, lenders, borrower,
                                                          onboard, market, unit, warp, admin, stranger):
    client = new_client(rpc, deployment_file)
    for i, who in enumerate(lenders[:3]):
        onboard(who, Role.LENDER)
        market.asset.mint(who, 5_000 * unit, sender=who)
        me = client.as_account(who.address)
        me.pool.deposit((1 + i) * 400 * unit)
        me.pool.set_criteria(AutoInvestCriteria(amount_per_loan=400 * unit, max_per_borrower=2_000 * unit))
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
        me.pool.deposit(1_000 * unit)
        me.pool.set_criteria(AutoInvestCriteria(amount_per_loan=300 * unit, max_per_borrower=2_000 * unit))
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
    assert sum(setup.pool.balance(w.address) for w in lenders[:4]) == 4_000 * unit - sum(l.totalSupply() for l in loans)
