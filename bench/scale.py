"""Scale: what a repayment and a claim cost as the number of lenders in a loan grows, auto-invest batches, and the
seed's push loop (`contracts/mocks/PushLoopLoan.sol`) for comparison.

Every loan here is the same: 25,000 tokens (1,000 minimum notes of 25) over 12 months, grade B3, so every repayment
moves the same amounts. "N lenders" means N − 1 lenders holding one minimum note each and one lender holding the
rest (at 1,000 lenders, everyone holds one note). The 1,000 lenders are generated keys, verified by oracle-signed
attestations submitted 125 per registry `multicall`; each approves one payer (`setFunder`), which buys their notes with `fundLoanFor`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from disfruta.attestations import Role

from bench.market import DEPLOYER, PERIOD, BenchMarket, deploy_contract, derived_account, derived_address

COUNTS = (1, 10, 100, 1_000)
AUTO_BATCHES = (1, 10, 50)
NOTES_PER_LOAN = 1_000
TERM = 12
GRADE_B3 = 8
BLOCK_GAS_LIMIT = 30_000_000  # Ethereum mainnet's block gas limit the push loop is compared with
FLAT_TOLERANCE_PCT = 1.0
PUSH_CHUNK = 250  # lenders recorded per PushLoopLoan.fundLoanFor call in the set-up
MAX_CONFIRM_LENDERS = 6_000  # bound on the push-loop loans measured near the crossing
MAX_CROSSING_STEPS = 8


@dataclass
class ScaleResult:
    repayment: dict[int, int] = field(default_factory=dict)  # lenders → makeRepayment gas (2nd installment)
    claim: dict[int, int] = field(default_factory=dict)  # lenders → steady-state claim gas
    first_claim: dict[int, int] = field(default_factory=dict)
    auto_invest: dict[int, int] = field(default_factory=dict)  # batch size → whole transaction gas
    push_first: dict[int, int] = field(default_factory=dict)  # lenders → 1st repayment (lenders hold no tokens)
    push_steady: dict[int, int] = field(default_factory=dict)  # lenders → 2nd repayment
    crossing: dict[str, dict[str, Any]] = field(default_factory=dict)

    @staticmethod
    def spread_pct(values: dict[int, int]) -> float:
        low, high = min(values.values()), max(values.values())
        return 100.0 * (high - low) / low

    @property
    def flat(self) -> bool:
        return max(self.spread_pct(self.repayment), self.spread_pct(self.claim)) <= FLAT_TOLERANCE_PCT

    def as_json(self) -> dict[str, Any]:
        return {
            "note": "every loan 25,000 tokens (1,000 notes of 25) over 12 months; N lenders = N-1 one-note lenders "
                    "plus one holding the rest; makeRepayment = 2nd installment on its due date; claim = a "
                    "lender's 2nd claim (holds a token balance); first claim = from a wallet holding no tokens",
            "disfruta": [{"lenders": n, "makeRepayment": self.repayment[n], "claim": self.claim[n],
                          "claim_first": self.first_claim[n]} for n in COUNTS],
            "flatness": {"makeRepayment_spread_pct": round(self.spread_pct(self.repayment), 4),
                         "claim_spread_pct": round(self.spread_pct(self.claim), 4),
                         "tolerance_pct": FLAT_TOLERANCE_PCT, "flat_within_tolerance": self.flat},
            "autoInvest": [{"batch": b, "gas": g, "per_lender": g // b} for b, g in self.auto_invest.items()],
            "push_loop": {
                "contract": "contracts/mocks/PushLoopLoan.sol (test-only; the seed's distributeFunds)",
                "rows": [{"lenders": n, "first_repayment": self.push_first[n],
                          "steady_repayment": self.push_steady[n]} for n in COUNTS],
                "block_gas_limit": BLOCK_GAS_LIMIT,
                "exceeds_block_gas_limit_at": self.crossing,
            },
        }


def measure_scale(m: BenchMarket, log: Callable[[str], None]) -> ScaleResult:
    unit, result = m.unit, ScaleResult()
    note = m.params.loan.min_note_tokens * unit
    goal = NOTES_PER_LOAN * note
    lenders = [derived_account("lender", i).address for i in range(max(COUNTS))]
    m.onboard(lenders, Role.LENDER, batch=125)
    borrower = derived_account("scale-borrower").address
    m.onboard([borrower], Role.BORROWER, grade=GRADE_B3, limit=10**7 * unit)
    m.fund_accounts([borrower], tokens=10**6 * unit)
    # Gas money (for lenders[0]'s claims, and for every lender's funder approval); no tokens, so lenders[0]'s first
    # claim starts from zero.
    m.fund_accounts(lenders)
    log(f"scale: {len(lenders):,} lenders verified")

    loans: dict[int, Any] = {}
    for n in COUNTS:
        loan, _ = m.create_loan(borrower, goal, TERM)
        m.mint(DEPLOYER, goal)
        m.call(DEPLOYER, m.token, "approve", loan.address, goal)
        shares = [goal - note * (n - 1)] + [note] * (n - 1)
        # A payer may buy notes only for lenders who approved it (`setFunder`): each lender does, then the payer buys.
        m.batch([(lender, loan, "setFunder", (DEPLOYER, True)) for lender in lenders[:n]], gas=100_000)
        m.batch([(DEPLOYER, loan, "fundLoanFor", (lender, amount)) for lender, amount in zip(lenders, shares)],
                gas=300_000)
        if loan.functions.totalSupply().call() != goal or loan.functions.status().call() != 2:
            raise RuntimeError(f"the {n}-lender loan is not fully funded")
        m.call(borrower, loan, "withdrawFunds")
        m.call(borrower, m.token, "approve", loan.address, 10**9 * unit)
        loans[n] = loan
    log(f"scale: {sum(COUNTS):,} notes bought, loans drawn")

    # Installments 1-3 of every loan, in due-date order (time only moves forward): measure the 2nd installment,
    # the first claim of lender 0 after it, and that lender's second claim after the 3rd.
    starts = {n: loan.functions.position().call()[5] for n, loan in loans.items()}
    payment = loans[COUNTS[0]].functions.terms().call()[9]
    last = m.node.timestamp()
    for due, k, n in sorted((starts[n] + k * PERIOD, k, n) for n in COUNTS for k in (1, 2, 3)):
        last = max(due, last + 1)
        m.node.next_timestamp(last)
        gas = m.call(borrower, loans[n], "makeRepayment", payment)
        if k == 2:
            result.repayment[n] = gas
            held = m.token.functions.balanceOf(lenders[0]).call()
            if held:  # every first claim starts from an empty wallet, as the lender's very first one did
                m.call(lenders[0], m.token, "transfer", DEPLOYER, held)
            result.first_claim[n] = m.call(lenders[0], loans[n], "claim")
        elif k == 3:
            result.claim[n] = m.call(lenders[0], loans[n], "claim")
        last = m.node.timestamp()
    log("scale: repayments and claims measured")

    _auto_invest(m, lenders, borrower, result)
    log("scale: auto-invest batches measured")
    _push_loop(m, borrower, payment, note, goal, result, log)
    return result


def _auto_invest(m: BenchMarket, lenders: Sequence[str], borrower: str, result: ScaleResult) -> None:
    """Batches of 1, 10 and 50 pool lenders (disjoint, each investing with this borrower for the first time)."""
    unit = m.unit
    needed = lenders[: sum(AUTO_BATCHES)]
    m.fund_accounts(needed, tokens=1_000 * unit)
    note = m.params.loan.min_note_tokens * unit
    criteria = (True, 1, 25, 0, 10_000, 60, 255, note, 1_000 * unit, 0)
    m.batch([call for lender in needed for call in (
        (lender, m.token, "approve", (m.pool.address, 2**256 - 1)), (lender, m.pool, "deposit", (500 * unit,)),
        (lender, m.pool, "setCriteria", (criteria,)))])
    offset = 0
    for batch in AUTO_BATCHES:
        loan, _ = m.create_loan(borrower, 2_500 * unit, TERM)
        result.auto_invest[batch] = m.call(DEPLOYER, m.pool, "autoInvest", loan.address,
                                           needed[offset:offset + batch], gas=20_000_000)
        offset += batch


def _push_loop(m: BenchMarket, borrower: str, payment: int, note: int, goal: int, result: ScaleResult,
               log: Callable[[str], None]) -> None:
    cache: dict[int, tuple[int, int]] = {}

    def measure(n: int) -> tuple[int, int]:
        if n not in cache:
            cache[n] = _push_repayments(m, borrower, payment, note, goal, n)
        return cache[n]

    for n in COUNTS:
        result.push_first[n], result.push_steady[n] = measure(n)
    log("scale: push loop measured")
    for index, label in ((1, "steady_repayment"), (0, "first_repayment")):
        series = result.push_steady if index else result.push_first
        slope = (series[1_000] - series[100]) / 900
        intercept = series[1_000] - 1_000 * slope
        linear = math.floor((BLOCK_GAS_LIMIT - intercept) / slope) + 1  # the first count the line puts above
        entry: dict[str, Any] = {"per_lender_gas": round(slope, 1), "fixed_gas": round(intercept),
                                 "linear_extrapolation": linear}
        entry.update(_crossing(partial(_pick, measure, index), series, slope, linear))
        result.crossing[label] = entry
    log("scale: push-loop block-limit crossing measured")


def _pick(measure: Callable[[int], tuple[int, int]], index: int, n: int) -> int:
    return measure(n)[index]


def _crossing(gas_at: Callable[[int], int], series: dict[int, int], slope: float, guess: int) -> dict[str, Any]:
    """The smallest lender count whose repayment exceeds the block gas limit, found by measurement: a bracket (the
    largest count measured at or below the limit, the smallest above it) narrowed by interpolation until adjacent.
    The cost grows slightly faster than linearly (each transfer's calldata stays in memory and memory costs grow
    quadratically), so the linear extrapolation is only where the search starts."""
    gas = dict(series)
    below = max((n for n, g in gas.items() if g <= BLOCK_GAS_LIMIT), default=0)
    above = min((n for n, g in gas.items() if g > BLOCK_GAS_LIMIT), default=None)
    for step in range(MAX_CROSSING_STEPS):
        if above is not None and above == below + 1:
            return {"lenders": above, "gas_at_lenders": gas[above], "gas_one_lender_fewer": gas[below],
                    "method": f"measured ({step} extra loans): {below:,} lenders use {gas[below]:,} gas, "
                              f"{above:,} use {gas[above]:,}; linear extrapolation from 100 → 1,000 said {guess:,}"}
        if above is None:  # extend the line from the highest count known to fit
            n = guess if step == 0 else below + math.floor((BLOCK_GAS_LIMIT - gas[below]) / slope) + 1
        else:  # the chord's crossing, kept strictly inside the bracket
            x = below + (BLOCK_GAS_LIMIT - gas[below]) / (gas[above] - gas[below]) * (above - below)
            n = min(above - 1, max(below + 1, math.floor(x) + 1))
        n = min(max(n, below + 1), MAX_CONFIRM_LENDERS)
        if n in gas:  # the bound stopped the search
            break
        gas[n] = gas_at(n)
        if gas[n] > BLOCK_GAS_LIMIT:
            above = n if above is None else min(above, n)
        else:
            below = max(below, n)
    return {"lenders": guess, "method": f"extrapolated linearly from 100 → 1,000 lenders (the measured bracket "
                                        f"{below:,} … {above} did not close within {MAX_CROSSING_STEPS} loans)"}


def _push_repayments(m: BenchMarket, borrower: str, payment: int, note: int, goal: int, n: int) -> tuple[int, int]:
    """A PushLoopLoan with ``n`` lenders (fresh addresses, no token balances): gas of its 1st and 2nd repayment.
    Beyond 1,000 lenders the loan grows to one minimum note per lender."""
    goal = max(goal, n * note)
    push = deploy_contract(m, "PushLoopLoan", m.token.address, goal)
    lenders = [derived_address(f"push-{n}", i) for i in range(n)]
    shares = [goal - note * (n - 1)] + [note] * (n - 1)
    m.mint(DEPLOYER, goal)
    m.call(DEPLOYER, m.token, "approve", push.address, goal)
    m.batch([(DEPLOYER, push, "fundLoanFor", (lenders[i:i + PUSH_CHUNK], shares[i:i + PUSH_CHUNK]))
             for i in range(0, n, PUSH_CHUNK)], gas=25_000_000)
    if push.functions.lenderCount().call() != n:
        raise RuntimeError(f"the push-loop loan has {push.functions.lenderCount().call()} lenders, not {n}")
    m.call(borrower, m.token, "approve", push.address, 2 * payment)
    big = m.node.gas_limit - 1_000_000  # the node's block is larger than mainnet's so the loop can be measured
    return (m.call(borrower, push, "makeRepayment", payment, gas=big),
            m.call(borrower, push, "makeRepayment", payment, gas=big))
