"""Gas of the LendingPool operations, printed as a table and pinned with ceilings (gas is deterministic)."""

from __future__ import annotations

from disfruta.attestations import Role

from conftest import DAY

ALL_PURPOSES = (1 << 8) - 1
# Ceilings: about 10 % above what was measured, so a regression fails CI while noise cannot (there is none).
CEILINGS = {"deposit (repeat)": 70_000, "withdraw": 63_000, "autoInvest per lender": 165_000,
            "claimReturns": 100_000}
TARGETS = {"deposit (repeat)": 75_000}


def test_pool_gas__operations__within_ceilings(market, create_loan, onboard, lenders, borrower, pay, warp, unit,
                                              stranger):
    pool, token = market.pool, market.asset
    gas: dict[str, int] = {}
    for who in lenders:
        onboard(who, Role.LENDER)
        token.mint(who, 10_000 * unit, sender=who)
        token.approve(pool, 2**256 - 1, sender=who)
        pool.deposit(1_000 * unit, sender=who)
        pool.setCriteria((True, 1, 25, 0, 10_000, 60, ALL_PURPOSES, 250 * unit, 5_000 * unit, 0), sender=who)
    gas["deposit (repeat)"] = pool.deposit(100 * unit, sender=lenders[0]).gas_used
    gas["withdraw"] = pool.withdraw(100 * unit, sender=lenders[0]).gas_used

    loan = create_loan(amount_tokens=1_000, term=12)
    tx = pool.autoInvest(loan, lenders, sender=stranger)
    gas["autoInvest per lender"] = tx.gas_used // len(lenders)
    loan.withdrawFunds(sender=borrower)
    warp(loan.position().startTime + 30 * DAY)
    pay(loan, borrower, loan.amountDue())
    pool.claimReturns(loan, sender=lenders[0])
    warp(loan.position().startTime + 60 * DAY)
    pay(loan, borrower, loan.amountDue())
    gas["claimReturns"] = pool.claimReturns(loan, sender=lenders[0]).gas_used

    print(f"\n{'operation':<24}{'gas':>10}{'target':>10}{'ceiling':>10}")
    for op, used in gas.items():
        print(f"{op:<24}{used:>10,}{TARGETS.get(op, 0):>10,}{CEILINGS[op]:>10,}")
    for op, used in gas.items():
        assert used <= CEILINGS[op], f"{op}: {used} gas exceeds the pinned ceiling {CEILINGS[op]}"
