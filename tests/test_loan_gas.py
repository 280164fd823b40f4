"""Gas of the lending lifecycle against DESIGN.md's targets (gas per whole transaction, 21,000 base included).

One scenario per token (6 and 18 decimals), measured once per test process: three identical loans (2,500 tokens,
12 months, grade B3) funded by 1, 10 and 100 lenders, each drawn and repaid on its first two due dates. Measured:
- ``createLoan``: the borrower's application (clone + initialise), and ``withdrawFunds``: the drawdown; each the
  worst of the three (the market's first loan, the Treasury's first fee);
- ``fundLoan``: a lender's first note in a loan already holding another lender's money (loan balance non-zero), the
  lender having approved exactly the amount;
- ``makeRepayment``: the second installment on its due date, paid by a borrower who approved the loan once (steady
  state: the first repayment pays the one-off zero-to-non-zero storage writes, so it is not the typical cost);
- ``claim``: a lender's first claim after two installments (its checkpoint slot and, here, its token balance go from
  zero to non-zero), then a repeat claim after one more installment;
- ``handleDefault``: default of the 1-lender loan at 120 days past due, with reserve cover sent by the Treasury.
The 100 lenders are generated test accounts verified by oracle attestations; their notes are bought for them with
``fundLoanFor`` by one payer, so they need no ether of their own (the lending pool's path). Those set-up transactions
go straight to anvil, mined in one block; every measured transaction goes through ape, read from its receipt.
"""

from __future__ import annotations

import pytest

from disfruta.attestations import KycAttestation, Role, sign_attestation

from conftest import DAY, PERIOD, YEAR, onboard_user

TARGETS = {  # operation: (DESIGN.md target, anchor)
    "createLoan": (250_000, "full contract deployment ~2-3 M"),
    "fundLoan (first note)": (90_000, "Aave v3 first supply 164,191"),
    "withdrawFunds": (None, ""),
    "makeRepayment (1 lender)": (90_000, "Aave v3 repay 145,712"),
    "makeRepayment (10 lenders)": (90_000, "push loop ~25,000 per lender"),
    "makeRepayment (100 lenders)": (90_000, "push loop ~2,500,000"),
    "claim (first)": (60_000, "Merkle-style claim ~51,000"),
    "claim (repeat)": (60_000, "Merkle-style claim ~51,000"),
    "handleDefault": (None, ""),
}
# Regression ceilings: about 1.15 x what was measured (the higher of 6 and 18 decimals) when this file was written.
CEILINGS = {
    "createLoan": 280_000,  # measured 242,916
    "fundLoan (first note)": 114_000,  # 98,582
    "withdrawFunds": 241_000,  # 208,834
    "makeRepayment (1 lender)": 98_000,  # 84,843
    "makeRepayment (10 lenders)": 98_000,  # (100 lenders: pinned to 1 lender's within 1 % by the table test)
    "claim (first)": 101_000,  # 87,116
    "claim (repeat)": 61_000,  # 52,916
    "handleDefault": 294_000,  # 255,500: since #15 it also records the default in the factory and the registry
}
AMOUNT_TOKENS, TERM = 2_500, 12


_MEASURED: dict[tuple[int, int], dict[str, int]] = {}  # by (token unit, largest crowd): once per test process


@pytest.fixture
def gas(project, market, accounts, chain, chain_id, oracle, borrower, lenders, stranger, underwriter, admin, unit):
    """``gas(100)`` measures the scenario with loans of 1, 10 and 100 lenders; ``gas(10)`` only 1 and 10 (cheap). A
    process that already measured the larger scenario reuses it."""

    def get(largest: int) -> dict[str, int]:
        done = [key for key in _MEASURED if key[0] == unit and key[1] >= largest]
        if not done:
            _MEASURED[unit, largest] = measure(project, market, accounts, chain, chain_id, oracle, borrower, lenders,
                                               stranger, underwriter, admin, unit, largest)
            done = [(unit, largest)]
        return _MEASURED[done[0]]

    return get


def measure(project, market, accounts, chain, chain_id, oracle, borrower, lenders, stranger, underwriter, admin,
            unit, largest) -> dict[str, int]:
    factory, token, reg, web3 = market.factory, market.asset, market.registry, chain.provider.web3

    def in_one_block(sender, contract, method, calls, senders=None):
        """Set-up transactions sent straight to anvil (its dev accounts are unlocked; ``senders``, one per call, are
        impersonated) and mined together in one block: no ape receipt, trace or gas estimate per transaction. Each
        must succeed."""
        rpc = web3.provider.make_request
        handler = getattr(contract, method)
        froms = [s.address for s in senders] if senders else [sender.address] * len(calls)
        for who in set(froms) if senders else ():
            rpc("anvil_impersonateAccount", [who])
            rpc("anvil_setBalance", [who, hex(10**18)])
        rpc("evm_setAutomine", [False])
        try:
            hashes = [rpc("eth_sendTransaction", [{"from": who, "to": contract.address, "gas": "0x1e8480",
                                                   "data": "0x" + bytes(handler.encode_input(*args)).hex()}])
                      for who, args in zip(froms, calls, strict=True)]
            assert all("error" not in h for h in hashes), hashes
            rpc("evm_mine", [])
        finally:
            rpc("evm_setAutomine", [True])
        for h in hashes:
            receipt = rpc("eth_getTransactionReceipt", [h["result"]])["result"]
            assert receipt["status"] == "0x1", (method, receipt)

    onboard_user(market, oracle, chain, chain_id, stranger, borrower, Role.BORROWER, 8)
    token.mint(borrower, 10**9 * unit, sender=borrower)
    token.mint(admin, 10**9 * unit, sender=admin)  # the payer of fundLoanFor
    crowd = [accounts.generate_test_account() for _ in range(largest)]
    now = chain.pending_timestamp
    attestations = [KycAttestation(who.address, int(Role.LENDER), b"\x42" * 32, now + YEAR - DAY, 0, now + DAY)
                    for who in [*lenders, *crowd]]
    in_one_block(stranger, reg, "submitKycAttestation",
                 [(a.as_tuple(), oracle.address, sign_attestation(a, oracle.key, chain_id, reg.address))
                  for a in attestations])
    assert all(reg.isVerifiedLender(who) for who in (*lenders, crowd[-1]))

    measured: dict[str, list[int]] = {}

    def record(name, tx):
        measured.setdefault(name, []).append(tx.gas_used)

    loans = {}
    for count in sorted({1, 10, largest}):
        tx = factory.createLoan(AMOUNT_TOKENS * unit, TERM, 0, 14 * DAY, sender=borrower)
        record("createLoan", tx)
        loan = project.Loan.at(tx.events.filter(factory.LoanCreated)[0].loan)
        factory.approveLoan(loan.loanId(), sender=underwriter)
        note = AMOUNT_TOKENS * unit // count
        if count == 10:
            for who in lenders[:2]:  # measured: the second lender's first note, the loan already holding money
                token.mint(who, note, sender=who)
                token.approve(loan, note, sender=who)
                tx = loan.fundLoan(note, sender=who)
            record("fundLoan (first note)", tx)
            holders = crowd[: count - 2]
        else:
            holders = crowd[:count]
        token.approve(loan, note * len(holders), sender=admin)
        # Each lender approves the payer as its funder first (a payer may buy notes only for lenders who said so).
        in_one_block(admin, loan, "setFunder", [(admin.address, True)] * len(holders), senders=holders)
        in_one_block(admin, loan, "fundLoanFor", [(who.address, note) for who in holders])
        assert loan.totalSupply() == AMOUNT_TOKENS * unit
        record("withdrawFunds", loan.withdrawFunds(sender=borrower))
        token.approve(loan, 10**9 * unit, sender=borrower)  # approved once, as a borrower with a standing approval
        start, payment = loan.position().startTime, loan.terms().monthlyPayment
        for k in (1, 2):
            chain.pending_timestamp = start + k * PERIOD
            tx = loan.makeRepayment(payment, sender=borrower)
        record(f"makeRepayment ({count} lender{'s' if count > 1 else ''})", tx)
        loans[count] = loan

    record("claim (first)", loans[10].claim(sender=lenders[1]))
    loans[10].makeRepayment(loans[10].terms().monthlyPayment, sender=borrower)
    record("claim (repeat)", loans[10].claim(sender=lenders[1]))
    one = loans[1]
    chain.pending_timestamp = one.position().startTime + 3 * PERIOD + 120 * DAY
    record("handleDefault", one.handleDefault(sender=stranger))
    return {name: max(values) for name, values in measured.items()}


def test_gas__lifecycle_operations__table_against_targets_and_repayment_independent_of_lenders(gas, unit, capsys):
    gas = gas(100)
    rows = [f"{'operation':<28} {'gas':>9} {'target':>9}  {'':4} anchor"]
    for name, (target, anchor) in TARGETS.items():
        verdict = "" if target is None else ("ok" if gas[name] <= target else "OVER")
        rows.append(f"{name:<28} {gas[name]:>9,} {target or '-':>9}  {verdict:<4} {anchor}")
    with capsys.disabled():
        print(f"\n[gas, {len(str(unit)) - 1}-decimal token; makeRepayment = 2nd installment, steady state]")
        print("\n".join(rows))
    # Repayments are pulled, not pushed: a repayment costs the same whatever the number of lenders.
    one, hundred = gas["makeRepayment (1 lender)"], gas["makeRepayment (100 lenders)"]
    assert abs(hundred - one) <= one // 100
    assert abs(gas["makeRepayment (10 lenders)"] - one) <= one // 100


def test_gas__every_operation__within_pinned_ceiling(gas):
    gas = gas(10)
    over = {name: f"{gas[name]:,} > {ceiling:,}" for name, ceiling in CEILINGS.items() if gas[name] > ceiling}
    assert not over, f"gas regressions: {over}"
