"""A whole lifecycle end to end with gas printed (the detailed suites live beside it)."""

from disfruta.attestations import Role

from conftest import DAY


def test_lifecycle__fund_draw_repay_all__repaid_and_claims_add_up(create_loan, fund, pay, lenders, borrower,
                                                                  market, unit, chain, warp):
    loan = create_loan(amount_tokens=1_000, term=6)
    shares = [250 * unit, 500 * unit, 250 * unit]
    gas = {}
    for lender, amount in zip(lenders, shares):
        tx = fund(loan, lender, amount)
        gas.setdefault("fund", []).append(tx.gas_used)
    assert loan.status() == 2  # Funded
    tx = loan.withdrawFunds(sender=borrower)
    gas["withdrawFunds"] = tx.gas_used
    payment = loan.terms().monthlyPayment
    start = loan.position().startTime
    paid_in = 0
    for k in range(1, 7):
        warp(start + k * 30 * DAY)
        due = loan.amountDue() if k < 6 else 2**256 - 1
        tx = pay(loan, borrower, due)
        paid_in += tx.events.filter(loan.RepaymentMade)[0].amount
        gas.setdefault("repay", []).append(tx.gas_used)
    assert loan.status() == 4  # Repaid
    total = 0
    for lender in lenders[:3]:
        c = loan.claimable(lender)
        tx = loan.claim(sender=lender)
        gas.setdefault("claim", []).append(tx.gas_used)
        total += c
    fees = loan.position().feesAccrued
    assert total + fees <= paid_in
    assert paid_in >= 6 * payment - payment // 10
    print(gas)
