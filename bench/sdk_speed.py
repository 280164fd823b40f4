"""The SDK's speed (issue #13, "Fast writes" and "Fast reads"), on one fresh anvil started for this section.

Writes: the same N `makeRepayment` transactions (many loans, several borrowers, every one the same call with the same
amount, every allowance approved generously beforehand so each row measures the same transaction) sent three ways
from the same chain state (``evm_snapshot`` / ``evm_revert`` between runs, a fresh SDK client for each):

- **raw**: pre-signed with eth_account (nonces and fees read beforehand; gas limit twice the estimate plus 10,000,
  as the SDK's gas book sets it for a call shape it has seen), sent with ``eth_sendRawTransaction`` back to back,
  then every receipt awaited — the node's limit in this run;
- **SDK, one at a time**: ``client.loans.repay(loan, amount)`` (checks the allowance, simulates the write, sends it
  and waits for its receipt);
- **SDK, pipelined**: the same calls inside ``with client.batch():`` (one batch per borrower, all open together),
  sent back to back, receipts awaited together.

Each driver runs `ROUNDS` times, the drivers alternating, and the tables give each one's median run (other load on
the machine hits them alike). First with automine, then with a block every second (``evm_setIntervalMining 1``, the
mining mode ``anvil --block-time 1`` starts in), where one-at-a-time sends wait a block each and run on fewer
transactions.

Reads, at 500 loans (the write loans plus more created in bulk): ``loans.get``, marketplace pages, a filtered page,
every loan, and a lender's portfolio, in the SDK's own request count (``client.rpc.requests``: a JSON-RPC batch is
one) and milliseconds.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import requests
from disfruta.attestations import Role
from disfruta.client import Disfruta
from disfruta.models import LoanStatus
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from bench.market import DAY, DEPLOYER, MAX_UINT, BenchMarket, deploy_markets, derived_account, encode
from bench.node import Anvil, NodeError

MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"
BORROWERS = 8
WRITE_LOANS = 64  # 8 per borrower, all active
WRITES = 320  # per run on automine: 5 repayments of each write loan
WRITES_BLOCKS = 300  # raw and pipelined with 1-second blocks
WRITES_BLOCKS_ONE_AT_A_TIME = 20  # each waits for its block: ~1 s apiece
ROUNDS = 3  # of each driver, alternating; the tables give the median run
REPAY_TOKENS = 5
LOAN_TOKENS = 1_000
TERM = 36
READ_LOANS = 500
PORTFOLIO_LOANS = 10  # the lender measured holds notes in this many loans: 5 active (repaid into), 5 funding
GET_SAMPLES = 100
REPEATS = 10
NOTE_TOKENS = 25
# Quoted from issue #13's text ("Where it stands": measured on the SDK before the rewrite), not re-measured here.
BEFORE = {"get": "9 requests (9 sequential eth_calls), 6.3 ms",
          "all": "4,501 requests, 24 s (`loans()`: every loan id at 9 calls each)",
          "portfolio": "695 requests at 500 loans (grew with the market)",
          "writes_automine": "SDK 13–19 tx/s vs raw 150–200 (ratio 0.07–0.11); 8.9 requests per transaction",
          "writes_blocks": "SDK 1.0 tx/s, 45 requests per transaction"}


DRIVERS = {
    "raw": "raw: pre-signed (eth_account), sent back to back, every receipt awaited",
    "sdk_one_at_a_time": "SDK one at a time: loans.repay (allowance read, simulate, send, wait for the receipt)",
    "sdk_pipelined": "SDK pipelined: loans.repay inside client.batch() (one batch per borrower)",
}


@dataclass
class WriteRun:
    transactions: int
    seconds: float
    blocks: int  # distinct blocks the transactions were mined in
    sdk_requests: int | None = None  # HTTP round trips the SDK made (a JSON-RPC batch is one)
    sdk_calls: int | None = None  # JSON-RPC methods inside them
    gas_limit: int | None = None  # the largest gas limit given to one of the transactions

    @property
    def tps(self) -> float:
        return self.transactions / self.seconds


@dataclass(frozen=True)
class WriteLoan:
    loan_id: int
    address: str
    borrower: int  # index into the borrowers


def measure_sdk(log: Callable[[str], None]) -> dict[str, Any]:
    from disfruta.governance.market import MarketParams

    with Anvil() as node:
        m = deploy_markets(node, {"sdk": MarketParams()})["sdk"]
        node.auto_impersonate()
        if node.rpc("eth_getCode", MULTICALL3, "latest") in ("0x", "0x0", None):
            raise NodeError(f"no Multicall3 at {MULTICALL3}: the SDK's reads would not be one request each")
        log(f"sdk: fresh anvil on {node.uri}, market deployed (Multicall3 at its canonical address)")
        unit = m.unit
        borrowers = [derived_account("sdk-borrower", i) for i in range(BORROWERS)]
        big, crowd, holder = (derived_account(f"sdk-{x}") for x in ("big-lender", "crowd", "portfolio"))
        m.onboard([b.address for b in borrowers], Role.BORROWER, grade=8, limit=1_000_000 * unit)
        m.onboard([big.address, crowd.address, holder.address], Role.LENDER)
        m.fund_accounts([b.address for b in borrowers], tokens=10_000 * unit)
        m.fund_accounts([big.address], tokens=WRITE_LOANS * LOAN_TOKENS * unit)
        m.fund_accounts([crowd.address], tokens=READ_LOANS * NOTE_TOKENS * unit)
        m.fund_accounts([holder.address], tokens=PORTFOLIO_LOANS * NOTE_TOKENS * unit)
        loans = _write_loans(m, borrowers, big, holder)
        log(f"sdk: {len(loans)} active loans of {BORROWERS} borrowers, every allowance approved (max)")

        plan = [loans[i % len(loans)] for i in range(max(WRITES, WRITES_BLOCKS))]
        amount = REPAY_TOKENS * unit
        gas = _pipeline_gas_limit(m, borrowers, plan[0], amount)
        snap = node.snapshot()

        def fresh() -> None:  # back to the state every run starts from
            nonlocal snap
            node.revert(snap)
            snap = node.snapshot()

        def rounds(drivers: dict[str, Callable[[], WriteRun]], count: int, *, keep_last: bool = False
                   ) -> dict[str, list[WriteRun]]:
            """``count`` rounds of every driver in turn (so load from elsewhere hits them alike)."""
            out: dict[str, list[WriteRun]] = {name: [] for name in drivers}
            for n in range(count):
                for k, (name, run) in enumerate(drivers.items()):
                    out[name].append(run())
                    if not (keep_last and n == count - 1 and k == len(drivers) - 1):
                        fresh()
            return out

        auto = rounds({
            "raw": lambda: _raw(m, borrowers, plan[:WRITES], amount, gas),
            "sdk_one_at_a_time": lambda: _sdk_one_at_a_time(m, borrowers, plan[:WRITES], amount),
            "sdk_pipelined": lambda: _sdk_pipelined(m, borrowers, plan[:WRITES], amount),
        }, ROUNDS)
        writes = {"automine": _write_table(auto, "automine (a block per transaction)")}
        log("sdk: writes on automine (median tx/s): " + _summary(writes["automine"]))

        node.interval_mining(1)
        try:
            slow = rounds({
                "sdk_one_at_a_time": lambda: _sdk_one_at_a_time(m, borrowers, plan[:WRITES_BLOCKS_ONE_AT_A_TIME],
                                                                amount)}, 1)
            slow.update(rounds({
                "raw": lambda: _raw(m, borrowers, plan[:WRITES_BLOCKS], amount, gas),
                "sdk_pipelined": lambda: _sdk_pipelined(m, borrowers, plan[:WRITES_BLOCKS], amount),
            }, ROUNDS, keep_last=True))  # the last pipelined run stays: the portfolio read sees its repayments
        finally:
            node.automine()
        writes["block_time_1s"] = _write_table({k: slow[k] for k in auto}, "a block every second "
                                               "(evm_setIntervalMining 1, as anvil --block-time 1)")
        log("sdk: writes with 1-second blocks (median tx/s): " + _summary(writes["block_time_1s"]))

        _read_loans(m, borrowers, crowd, holder, len(loans))
        log(f"sdk: {READ_LOANS} loans in the market; reads start")
        reads = _reads(m, holder.address)
        log("sdk: reads done")
    return {
        "what": (f"{WRITE_LOANS} active loans of {LOAN_TOKENS:,} tokens, {BORROWERS} borrowers; every write is "
                 f"makeRepayment({REPAY_TOKENS} tokens) on the next loan in turn, from its borrower; allowances "
                 "approved (max) beforehand so every row sends the same transactions; each run starts from the "
                 "same state (evm_snapshot / evm_revert) with a fresh SDK client"),
        "raw_gas_limit": gas,
        "rounds": ROUNDS,
        "writes": writes,
        "reads": reads,
        "before_quoted_from_issue_13": BEFORE,
    }


# ----------------------------------------------------------------------------------------------- set-up


def _created(m: BenchMarket, receipts: Sequence[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """(loan id, loan, borrower) of every LoanCreated in the receipts, by id."""
    topic = "0x" + keccak(text="LoanCreated(uint256,address,address,uint256,uint256,uint256,uint8,uint8)").hex()
    out = []
    for r in receipts:
        for lg in r["logs"]:
            if lg["topics"][0] == topic and lg["address"].lower() == m.factory.address.lower():
                out.append((int(lg["topics"][1], 16), m.w3.to_checksum_address("0x" + lg["topics"][2][-40:]),
                            m.w3.to_checksum_address("0x" + lg["topics"][3][-40:])))
    if len(out) != len(receipts):
        raise NodeError(f"{len(out)} LoanCreated events in {len(receipts)} createLoan receipts")
    return sorted(out)


def _create(m: BenchMarket, borrowers: Sequence[str], count: int) -> list[tuple[int, str, str]]:
    return _created(m, m.batch([(borrowers[i % len(borrowers)], m.factory, "createLoan",
                                 (LOAN_TOKENS * m.unit, TERM, 0, 14 * DAY)) for i in range(count)]))


def _write_loans(m: BenchMarket, borrowers: Sequence[LocalAccount], big: LocalAccount,
                 holder: LocalAccount) -> list[WriteLoan]:
    """Active loans: created, approved, funded (the portfolio lender holds a note in the first five), drawn, and
    each borrower's allowance to each of its loans approved without limit."""
    unit = m.unit
    created = _create(m, [b.address for b in borrowers], WRITE_LOANS)
    index: dict[str, int] = {b.address: i for i, b in enumerate(borrowers)}
    m.batch([(DEPLOYER, m.factory, "approveLoan", (loan_id,)) for loan_id, _, _ in created])
    mine = {loan for _, loan, _ in created[:PORTFOLIO_LOANS // 2]}
    calls: list[tuple[str, Any, str, tuple[Any, ...]]] = []
    for loan in sorted(mine):
        calls += [(holder.address, m.token, "approve", (loan, MAX_UINT)),
                  (holder.address, m.loan(loan), "fundLoan", (NOTE_TOKENS * unit,))]
    for _, loan, _ in created:
        rest = (LOAN_TOKENS - (NOTE_TOKENS if loan in mine else 0)) * unit
        calls += [(big.address, m.token, "approve", (loan, MAX_UINT)), (big.address, m.loan(loan), "fundLoan", (rest,))]
    m.batch(calls)
    m.batch([(borrower, m.loan(loan), "withdrawFunds", ()) for _, loan, borrower in created])
    m.batch([(borrower, m.token, "approve", (loan, MAX_UINT)) for _, loan, borrower in created])
    client = Disfruta.connect(m.node.uri, m.deployment())
    statuses = {x.status for x in client.loans.many([loan_id for loan_id, _, _ in created])}
    if statuses != {LoanStatus.ACTIVE}:
        raise NodeError(f"write loans are not all active: {sorted(s.name for s in statuses)}")
    return [WriteLoan(loan_id, loan, index[borrower]) for loan_id, loan, borrower in created]


def _read_loans(m: BenchMarket, borrowers: Sequence[LocalAccount], crowd: LocalAccount, holder: LocalAccount,
                existing: int) -> None:
    """The market up to `READ_LOANS`: of the new loans every third stays pending (not approved), the others are
    funding, each with one 25-token note of the crowd lender; the portfolio lender funds five of them too."""
    unit = m.unit
    created = _create(m, [b.address for b in borrowers], READ_LOANS - existing)
    funding = [(loan_id, loan) for loan_id, loan, _ in created if loan_id % 3 != 0]
    m.batch([(DEPLOYER, m.factory, "approveLoan", (loan_id,)) for loan_id, _ in funding])
    calls: list[tuple[str, Any, str, tuple[Any, ...]]] = []
    for n, (_, loan) in enumerate(funding):
        lenders = [crowd] + ([holder] if n % 40 == 0 and n // 40 < PORTFOLIO_LOANS // 2 else [])
        for lender in lenders:
            calls += [(lender.address, m.token, "approve", (loan, MAX_UINT)),
                      (lender.address, m.loan(loan), "fundLoan", (NOTE_TOKENS * unit,))]
    m.batch(calls)
    if (count := m.factory.functions.loanCounter().call()) != READ_LOANS:
        raise NodeError(f"{count} loans in the market, expected {READ_LOANS}")


def _pipeline_gas_limit(m: BenchMarket, borrowers: Sequence[LocalAccount], loan: WriteLoan, amount: int) -> int:
    """Twice the estimate plus 10,000: the limit the SDK's gas book gives a call shape it has seen."""
    est = int(m.node.rpc("eth_estimateGas", {"from": borrowers[loan.borrower].address, "to": loan.address,
                                             "data": encode(m.loan(loan.address), "makeRepayment", amount)}), 16)
    return 2 * est + 10_000


# ----------------------------------------------------------------------------------------------- writes


def _raw(m: BenchMarket, borrowers: Sequence[LocalAccount], plan: Sequence[WriteLoan], amount: int,
         gas: int) -> WriteRun:
    """Signing, nonces and fees happen before the clock starts: this is the node's rate, not a client's."""
    node = m.node
    nonces = {b.address: int(node.rpc("eth_getTransactionCount", b.address, "pending"), 16) for b in borrowers}
    base = int(node.rpc("eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
    tip = int(node.rpc("eth_maxPriorityFeePerGas"), 16)
    data = encode(m.loan(plan[0].address), "makeRepayment", amount)
    signed: list[str] = []
    for loan in plan:
        sender = borrowers[loan.borrower]
        tx: dict[str, Any] = {"to": loan.address, "data": data, "gas": gas, "maxFeePerGas": 2 * base + tip,
                              "maxPriorityFeePerGas": tip, "value": 0, "nonce": nonces[sender.address],
                              "chainId": m.chain_id, "type": 2}
        nonces[sender.address] += 1
        signed.append("0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex())
    hashes = ["0x" + keccak(hexstr=s).hex() for s in signed]
    session = requests.Session()
    try:
        started = time.perf_counter()
        for i, raw in enumerate(signed):
            reply = session.post(node.uri, json={"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction",
                                                 "params": [raw]}, timeout=60).json()
            if "error" in reply:
                raise NodeError(f"raw transaction {i}: {reply['error']}")
        blocks = _await_all(session, node.uri, hashes)
        seconds = time.perf_counter() - started
    finally:
        session.close()
    return WriteRun(len(plan), seconds, blocks, gas_limit=gas)


def _await_all(session: requests.Session, uri: str, hashes: Sequence[str], timeout: float = 120.0) -> int:
    """Polls (every 5 ms, one JSON-RPC batch) until every receipt is there; every transaction must have succeeded.
    Returns how many blocks they were mined in."""
    deadline = time.monotonic() + timeout
    todo = list(hashes)
    blocks: set[str] = set()
    while todo:
        replies = session.post(uri, json=[{"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt",
                                           "params": [h]} for i, h in enumerate(todo)], timeout=60).json()
        by_id = {r["id"]: r.get("result") for r in replies}
        failed = [h for i, h in enumerate(todo) if by_id.get(i) and int(by_id[i]["status"], 16) != 1]
        if failed:
            raise NodeError(f"{len(failed)} raw transactions reverted, e.g. {failed[0]}")
        blocks |= {by_id[i]["blockNumber"] for i in range(len(todo)) if by_id.get(i)}
        todo = [h for i, h in enumerate(todo) if not by_id.get(i)]
        if todo:
            if time.monotonic() > deadline:
                raise NodeError(f"{len(todo)} raw transactions not mined after {timeout:.0f} s")
            time.sleep(0.005)
    return len(blocks)


def _clients(m: BenchMarket, borrowers: Sequence[LocalAccount]) -> tuple[Disfruta, list[Disfruta]]:
    client = Disfruta.connect(m.node.uri, m.deployment())
    return client, [client.as_account(b) for b in borrowers]


def _sdk_one_at_a_time(m: BenchMarket, borrowers: Sequence[LocalAccount], plan: Sequence[WriteLoan],
                       amount: int) -> WriteRun:
    client, views = _clients(m, borrowers)
    r0, c0 = client.rpc.requests, client.rpc.calls
    started = time.perf_counter()
    receipts = [views[loan.borrower].loans.repay(loan.loan_id, amount) for loan in plan]
    seconds = time.perf_counter() - started
    return WriteRun(len(plan), seconds, len({r.block for r in receipts}), client.rpc.requests - r0,
                    client.rpc.calls - c0)


def _sdk_pipelined(m: BenchMarket, borrowers: Sequence[LocalAccount], plan: Sequence[WriteLoan],
                   amount: int) -> WriteRun:
    client, views = _clients(m, borrowers)
    r0, c0 = client.rpc.requests, client.rpc.calls
    started = time.perf_counter()
    with ExitStack() as stack:
        batches = [stack.enter_context(v.batch()) for v in views]
        for loan in plan:
            batches[loan.borrower].loans.repay(loan.loan_id, amount)
    seconds = time.perf_counter() - started
    sent = [p for b in batches for p in b.report.transactions]
    failed = [p for p in sent if p.error is not None]
    if len(sent) != len(plan) or failed:
        raise NodeError(f"pipelined: {len(sent)} sent for {len(plan)}, {len(failed)} failed"
                        + (f", e.g. {failed[0].tx_hash}: {failed[0].error}" if failed else ""))
    return WriteRun(len(plan), seconds, len({p.receipt.block for p in sent}), client.rpc.requests - r0,
                    client.rpc.calls - c0, max(p.gas_limit for p in sent))


def _median(runs: Sequence[WriteRun]) -> WriteRun:
    return sorted(runs, key=lambda r: r.tps)[len(runs) // 2]


def _write_table(by_driver: dict[str, list[WriteRun]], mining: str) -> dict[str, Any]:
    """A row per driver: its median run (by tx/s), every run's tx/s, and the ratio of medians to raw's."""
    raw_tps = _median(by_driver["raw"]).tps
    rows = []
    for name, runs in by_driver.items():
        med = _median(runs)
        row: dict[str, Any] = {"driver": name, "what": DRIVERS[name], "transactions": med.transactions,
                               "runs": len(runs), "seconds": round(med.seconds, 3), "tx_per_s": round(med.tps, 1),
                               "tx_per_s_every_run": [round(r.tps, 1) for r in runs],
                               "ratio_to_raw": round(med.tps / raw_tps, 3), "blocks": med.blocks}
        if med.gas_limit is not None:
            row["gas_limit"] = med.gas_limit
        if med.sdk_requests is not None:
            row["sdk_requests"] = med.sdk_requests
            row["sdk_requests_per_transaction"] = round(med.sdk_requests / med.transactions, 2)
            row["sdk_jsonrpc_calls_per_transaction"] = round((med.sdk_calls or 0) / med.transactions, 2)
        rows.append(row)
    return {"mining": mining, "raw_tx_per_s": round(raw_tps, 1), "rows": rows}


def _summary(table: dict[str, Any]) -> str:
    return ", ".join(f"{r['driver']} {r['tx_per_s']:.1f} (× raw {r['ratio_to_raw']:.2f})" for r in table["rows"])


# ----------------------------------------------------------------------------------------------- reads


def _timed(fn: Callable[[], Any], client: Disfruta) -> tuple[Any, int, float]:
    r0 = client.rpc.requests
    started = time.perf_counter()
    value = fn()
    return value, client.rpc.requests - r0, (time.perf_counter() - started) * 1_000


def _stats(requests_: Sequence[int], ms: Sequence[float]) -> dict[str, Any]:
    """Requests (max and mean) and milliseconds: the median, the 99th percentile (from 100 samples) and the max."""
    s = sorted(ms)
    out = {"samples": len(ms), "requests_max": max(requests_), "requests_mean": round(sum(requests_) / len(requests_), 2),
           "ms_p50": round(s[len(s) // 2], 2), "ms_max": round(s[-1], 2)}
    if len(s) >= 100:
        out["ms_p99"] = round(s[int(len(s) * 0.99) - 1], 2)
    return out


def _reads(m: BenchMarket, holder: str) -> dict[str, Any]:
    client = Disfruta.connect(m.node.uri, m.deployment())
    connect = client.rpc.requests  # chain id, then the token's decimals (which also shows Multicall3 is there)
    ids = random.Random(13).sample(range(1, READ_LOANS + 1), GET_SAMPLES)
    out: dict[str, Any] = {"loans": READ_LOANS, "connect_requests": connect}
    for label in ("get_cold", "get_warm"):  # cold: the client has not seen the id (its address is derived)
        samples = [_timed(functools.partial(client.loans.get, i), client) for i in ids]
        out[label] = _stats([s[1] for s in samples], [s[2] for s in samples])

    def repeated(fn: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
        samples = [_timed(fn, client) for _ in range(REPEATS)]
        return samples[0][0], _stats([s[1] for s in samples], [s[2] for s in samples])

    page, out["page_20"] = repeated(lambda: client.loans.list(limit=20))
    out["page_20"]["items"], out["page_20"]["has_more"] = len(page.items), page.has_more
    nxt, out["page_20_next"] = repeated(lambda: client.loans.list(limit=20, cursor=page.next_cursor))
    out["page_20_next"]["items"] = len(nxt.items)
    funding, out["page_20_funding"] = repeated(lambda: client.loans.list(status=LoanStatus.FUNDING, limit=20))
    out["page_20_funding"]["items"] = len(funding.items)
    if not all(x.status == LoanStatus.FUNDING for x in funding.items):
        raise NodeError("the FUNDING page holds loans of another status")
    every, out["every_loan"] = repeated(lambda: list(client.loans.iterate(page_size=100)))
    out["every_loan"]["items"] = len(every)
    if len(every) != READ_LOANS:
        raise NodeError(f"iterate() returned {len(every)} of {READ_LOANS} loans")
    folio, out["portfolio"] = repeated(lambda: client.lenders.portfolio(holder))
    out["portfolio"]["loans_held"] = len(folio.loans)
    if len(folio.loans) != PORTFOLIO_LOANS:
        raise NodeError(f"the portfolio holds {len(folio.loans)} loans, expected {PORTFOLIO_LOANS}")
    return out
