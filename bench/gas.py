"""Gas per operation: the whole transaction (the 21,000 base included), as a receipt reports it, against the
targets and anchors of DESIGN.md ("Performance targets").

One market with the default parameters and a 6-decimal stablecoin; every case is named in its row. Approvals follow
the SDK: a lender approves exactly what it funds; a borrower keeps a standing (large, not infinite) approval of its
loan; a pool lender keeps an infinite approval of the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from disfruta.attestations import Role
from eth_account import Account
from eth_account.signers.local import LocalAccount

from bench.market import DAY, DEPLOYER, MAX_UINT, PERIOD, BenchMarket, derived_account
from bench.node import DEV_KEYS

ALL_PURPOSES = (1 << 8) - 1
GRADE_B3 = 8


@dataclass(frozen=True)
class GasRow:
    operation: str
    gas: int
    target: int | None
    anchor: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# DESIGN.md's targets and anchors, by the operation they are written for.
DEPOSIT = (75_000, "Aave v3 supply 139,678; Comet supply < 124,000")
FUND_FIRST = (90_000, "Aave v3 first supply 164,191")
INSTALLMENT = (90_000, "Aave v3 repay 145,712; push loop ≈ 25,000 per lender")
CLAIM = (60_000, "Merkle-style claim ≈ 51,000")
CREATE_LOAN = (250_000, "full contract deployment ≈ 2–3 M")
LISTING = (80_000, "a plain note transfer ≈ 130,000")
PURCHASE = (150_000, "a plain note transfer ≈ 130,000")
AUTOPAY = (110_000, "a repayment ≈ 86,000")
NONE: tuple[int | None, str] = (None, "-")


PEOPLE = ("new-lender", "new-borrower", "b1", "b2", "b3", "b4", "f1", "f2", "f3", "f4", "f5")
POOL_LENDERS = 10


def sender_accounts() -> list[LocalAccount]:
    """The keys of every account the gas bench sends from (the bench's own derived accounts; the deployer is anvil's
    dev account 0): the L1 data estimate re-signs each measured transaction with its sender's key."""
    return ([derived_account(f"gas-{name}") for name in PEOPLE]
            + [derived_account("gas-pool", i) for i in range(POOL_LENDERS)] + [Account.from_key(DEV_KEYS[0])])


@dataclass(frozen=True)
class MeasuredTx:
    """The transaction behind a gas row: its hash, and how many parts the row's gas is of it (a per-lender row of a
    batch divides the transaction's gas by the batch)."""

    operation: str
    tx_hash: str
    parts: int = 1


class _Recorder:
    def __init__(self, node: Any) -> None:
        self.node = node
        self.rows: list[GasRow] = []
        self.txs: list[MeasuredTx] = []

    def add(self, operation: str, gas: int, spec: tuple[int | None, str] = NONE, *, parts: int = 1) -> None:
        """Records a row; its transaction is the last one mined (automine: one block per transaction), checked by its
        receipt's gas."""
        self.rows.append(GasRow(operation, gas, spec[0], spec[1]))
        block = self.node.rpc("eth_getBlockByNumber", "latest", False)
        [tx_hash] = block["transactions"]
        used = int(self.node.rpc("eth_getTransactionReceipt", tx_hash)["gasUsed"], 16)
        if used // parts != gas:
            raise AssertionError(f"{operation}: the last transaction used {used:,} gas, the row says {gas:,} x {parts}")
        self.txs.append(MeasuredTx(operation, tx_hash, parts))


def measure_gas(m: BenchMarket, log: Callable[[str], None],
                measured: list[MeasuredTx] | None = None) -> list[GasRow]:
    """The gas rows; ``measured``, if given, receives the transaction behind each row (for the L1 data estimate)."""
    rec = _Recorder(m.node)
    unit = m.unit
    people = {name: derived_account(f"gas-{name}").address for name in PEOPLE}
    pool_lenders = [derived_account("gas-pool", i).address for i in range(POOL_LENDERS)]
    m.fund_accounts([*people.values(), *pool_lenders])

    # --- onboarding: a user submits the oracle's attestation(s) for themselves.
    who = people["new-lender"]
    [kyc] = m.attestation_calls(who, Role.LENDER)
    rec.add("registerUser: submitKycAttestation (new user, oracle-signed)",
            m.node.transact(who, m.registry.address, "0x" + kyc.hex()))
    who = people["new-borrower"]
    calls = m.attestation_calls(who, Role.BORROWER, grade=GRADE_B3, limit=40_000 * unit)
    rec.add("registerUser: KYC + credit attestations in one multicall", m.call(who, m.registry, "multicall", calls))

    borrowers = [people[b] for b in ("b1", "b2", "b3", "b4")]
    m.onboard(borrowers, Role.BORROWER, grade=GRADE_B3, limit=40_000 * unit)
    m.onboard([people[f] for f in ("f1", "f2", "f3", "f4", "f5")] + pool_lenders, Role.LENDER)
    log("gas: users onboarded")

    # --- a loan's life: 10,000 tokens over 12 months, grade B3.
    m.create_loan(people["b1"], 10_000 * unit, 12)  # the market's first loan: one-off counter writes
    b2 = people["b2"]
    loan, gas = m.create_loan(b2, 10_000 * unit, 12, approve=False)
    rec.add("createLoan (clone + initialise; a market's later loan)", gas, CREATE_LOAN)
    rec.add("approveLoan (underwriter opens funding)", m.call(DEPLOYER, m.factory, "approveLoan",
                                                             loan.functions.terms().call()[0]))

    def fund(lender: str, tokens: int, mint: int | None = None) -> int:
        m.mint(lender, (mint if mint is not None else tokens) * unit)
        m.call(lender, m.token, "approve", loan.address, tokens * unit)  # exactly the amount, as the SDK does
        return m.call(lender, loan, "fundLoan", tokens * unit)

    f2 = people["f2"]
    fund(people["f1"], 2_000)  # the loan's first funder
    m.mint(f2, 9_000 * unit)  # f2 keeps a token balance after funding
    rec.add("fundLoan (lender's first note; loan already holds another lender's money)", fund(f2, 1_000), FUND_FIRST)
    rec.add("fundLoan (repeat note by the same lender)", fund(f2, 1_000))
    fund(people["f4"], 2_000)  # f4 puts in all it has: its token balance is zero until it claims
    fund(people["f3"], 4_000)  # completes the funding
    rec.add("withdrawFunds (drawdown; origination fee to the Treasury)", m.call(b2, loan, "withdrawFunds"))

    m.mint(b2, 20_000 * unit)
    m.call(b2, m.token, "approve", loan.address, 10**9 * unit)  # a standing approval of the borrower's loan
    start = loan.functions.position().call()[5]
    payment = loan.functions.terms().call()[9]

    def repay(at: int, amount: int) -> int:
        m.node.next_timestamp(at)
        return m.call(b2, loan, "makeRepayment", amount)

    repay(start + PERIOD, payment)  # the first installment pays one-off zero-to-non-zero writes
    rec.add("makeRepayment (installment on its due date, steady state: 2nd)", repay(start + 2 * PERIOD, payment),
            INSTALLMENT)
    f4 = people["f4"]
    rec.add("claim (lender's first claim; holds no tokens before)", m.call(f4, loan, "claim"), CLAIM)
    repay(start + 3 * PERIOD, payment)
    rec.add("claim (steady state: claimed before, holds a token balance)", m.call(f4, loan, "claim"), CLAIM)
    rec.add("note transfer (500 notes to a verified lender new to the loan)",
            m.call(f2, loan, "transfer", people["f5"], 500 * unit))

    # --- the note market: f3 lists 1,000 notes at a 2 % discount; f1 buys half, then f5 the rest.
    market = m.note_market
    f3, f1, f5 = people["f3"], people["f1"], people["f5"]
    m.call(f3, loan, "approve", market.address, MAX_UINT)  # the seller's standing approval of the market
    rec.add("NoteMarket.list (a seller's first listing on the loan)",
            m.call(f3, market, "list", loan.address, 1_000 * unit, -200, 0), LISTING)
    version = market.functions.listing(loan.address, f3).call()[3]
    for buyer in (f1, f5):
        m.mint(buyer, 1_000 * unit)
        m.call(buyer, m.token, "approve", market.address, MAX_UINT)
    rec.add("NoteMarket.buy (half the listing; buyer new to the loan; 1 % seller fee to the Treasury)",
            m.call(f1, market, "buy", loan.address, f3, 500 * unit, MAX_UINT, version), PURCHASE)
    rec.add("NoteMarket.buy (the rest; buyer already holds notes of the loan)",
            m.call(f5, market, "buy", loan.address, f3, 500 * unit, MAX_UINT, version), PURCHASE)

    # --- autopay: b2 enrols with a cap of two installments and approves the Autopay; the keeper collects the 4th
    # installment on its due date, then the 5th a day before it.
    autopay = m.autopay
    m.call(b2, autopay, "enrol", loan.address, 2 * payment)
    m.call(b2, m.token, "approve", autopay.address, 10**9 * unit)  # a standing approval, like the loan's
    keeper = people["f4"]
    m.node.next_timestamp(start + 4 * PERIOD)
    rec.add("Autopay.collect (installment on its due date, by a keeper)", m.call(keeper, autopay, "collect",
                                                                               loan.address), AUTOPAY)
    m.node.next_timestamp(start + 5 * PERIOD - DAY)
    rec.add("Autopay.collect (a day before the due date)", m.call(keeper, autopay, "collect", loan.address),
            AUTOPAY)
    rec.add("makeRepayment (partial: half an installment, mid-period)",
            repay(start + 5 * PERIOD + 10 * DAY, payment // 2))
    rec.add("makeRepayment (payoff: the whole balance, closes the loan)", repay(start + 5 * PERIOD + 20 * DAY,
                                                                                MAX_UINT))
    log("gas: loan lifecycle measured")

    # --- default: a 2,000-token loan unpaid from its first due date, with a funded reserve.
    b3 = people["b3"]
    bad, _ = m.create_loan(b3, 2_000 * unit, 12)
    m.mint(people["f1"], 2_000 * unit)
    m.call(people["f1"], m.token, "approve", bad.address, 2_000 * unit)
    m.call(people["f1"], bad, "fundLoan", 2_000 * unit)
    m.call(b3, bad, "withdrawFunds")
    m.mint(DEPLOYER, 5_000 * unit)
    m.call(DEPLOYER, m.token, "approve", m.treasury.address, 5_000 * unit)
    m.call(DEPLOYER, m.treasury, "fundReserve", 5_000 * unit)
    m.node.next_timestamp(bad.functions.position().call()[5] + PERIOD + 121 * DAY)
    rec.add("handleDefault (121 days past due; reserve cover paid in)", m.call(people["f1"], bad, "handleDefault"))

    # --- the lending pool: ten lenders with cash and auto-invest criteria.
    for lender in pool_lenders:
        m.mint(lender, 5_000 * unit)
        m.call(lender, m.token, "approve", m.pool.address, MAX_UINT)
        m.call(lender, m.pool, "deposit", 1_000 * unit)
        m.call(lender, m.pool, "setCriteria",
               (True, 1, 25, 0, 10_000, 60, ALL_PURPOSES, 250 * unit, 5_000 * unit, 0))
    p0 = pool_lenders[0]
    rec.add("deposit (repeat; standing approval)", m.call(p0, m.pool, "deposit", 100 * unit), DEPOSIT)
    rec.add("withdraw (idle cash from the pool)", m.call(p0, m.pool, "withdraw", 100 * unit))
    b4 = people["b4"]
    m.regrade(b4, GRADE_B3, 40_000 * unit)  # the clock has run past the grade's 180 days
    pooled, _ = m.create_loan(b4, 2_500 * unit, 12)
    gas = m.call(DEPLOYER, m.pool, "autoInvest", pooled.address, pool_lenders)
    rec.add(f"autoInvest (per lender, batch of {len(pool_lenders)}; fills the loan)", gas // len(pool_lenders),
            parts=len(pool_lenders))
    m.call(b4, pooled, "withdrawFunds")
    m.mint(b4, 5_000 * unit)
    m.call(b4, m.token, "approve", pooled.address, 10**9 * unit)
    start, payment = pooled.functions.position().call()[5], pooled.functions.terms().call()[9]
    for k in (1, 2):
        m.node.next_timestamp(start + k * PERIOD)
        m.call(b4, pooled, "makeRepayment", payment)
        claim_gas = m.call(p0, m.pool, "claimReturns", pooled.address)
    rec.add("claimReturns (steady state: 2nd claim into the pool account)", claim_gas)
    log("gas: default and lending pool measured")
    if measured is not None:
        measured.extend(rec.txs)
    return rec.rows
