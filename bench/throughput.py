"""Throughput on a fresh anvil (automine) started for this section alone.

1. The protocol driven by the SDK: many loans through their whole life (apply, approve, auto-invest by the keeper,
   top-up by direct lenders, drawdown, 12 monthly repayments, claims), every write as the SDK sends it (estimate,
   sign with a local key, send, wait for the receipt) and every read the SDK helpers make on the way. The keeper
   runs in a child process, one pass at a time at fixed points of the lifecycle; its memory is sampled meanwhile.
2. The node's own limit, measured the simple way: as many transactions as step 1 sent, pre-signed with eth_account
   (nonces precomputed, fixed gas) — ERC-20 transfers from eight senders — sent raw back to back, then the last
   receipt awaited.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from disfruta.attestations import Role
from disfruta.client import Disfruta
from disfruta.governance.market import MarketParams
from disfruta.models import AutoInvestCriteria
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from bench.keeper_worker import keeper_main
from bench.market import PERIOD, BenchMarket, deploy_markets, derived_account, derived_address, encode
from bench.memory import MIB, RssSampler
from bench.node import DEV_KEYS, Anvil, NodeError

LOANS = 16
LOAN_TOKENS = 3_000
TERM = 12
DIRECT_LENDERS, DIRECT_TOKENS = 3, 750  # each loan: 3 × 750 from wallets …
POOL_LENDERS, POOL_TOKENS = 3, 250  # … plus 3 × 250 auto-invested from lending-pool accounts
KEEPER_MONTHS = (3, 6, 9, 12)
CLAIM_MONTHS = (6, 12)
RAW_SENDERS = 8
KEEPER_TIMEOUT_S = 120.0


@dataclass
class ThroughputResult:
    loans: int
    sdk_transactions: int
    keeper_transactions: int
    by_function: dict[str, int]
    seconds: float
    raw_transactions: int
    raw_seconds: float
    keeper_peak_rss: int
    keeper_hwm: int
    dust_payoffs: int
    rpc_calls: dict[str, int]  # JSON-RPC methods, single or in batches
    rpc_requests: int  # HTTP round trips (a JSON-RPC batch is one)

    @property
    def transactions(self) -> int:
        return self.sdk_transactions + self.keeper_transactions

    @property
    def tps(self) -> float:
        return self.transactions / self.seconds

    @property
    def raw_tps(self) -> float:
        return self.raw_transactions / self.raw_seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "lifecycle": f"{self.loans} loans of {LOAN_TOKENS:,} tokens over {TERM} months: apply, approve, "
                         f"auto-invest ({POOL_LENDERS} pool lenders, by the keeper), fund ({DIRECT_LENDERS} direct "
                         f"lenders), drawdown, {TERM} repayments, claims at months "
                         f"{' and '.join(map(str, CLAIM_MONTHS))}, keeper passes at months "
                         f"{', '.join(map(str, KEEPER_MONTHS))}",
            "sdk": {"transactions": self.transactions, "by_sdk_driver": self.sdk_transactions,
                    "by_keeper": self.keeper_transactions, "seconds": round(self.seconds, 2),
                    "tx_per_s": round(self.tps, 1), "by_function": self.by_function,
                    "driver_rpc_requests": self.rpc_requests,
                    "driver_rpc_requests_per_transaction": round(self.rpc_requests / max(1, self.sdk_transactions), 1),
                    "driver_jsonrpc_calls": sum(self.rpc_calls.values()),
                    "driver_jsonrpc_calls_per_transaction": round(
                        sum(self.rpc_calls.values()) / max(1, self.sdk_transactions), 1),
                    "driver_jsonrpc_by_method": self.rpc_calls},
            "raw": {"transactions": self.raw_transactions, "seconds": round(self.raw_seconds, 2),
                    "tx_per_s": round(self.raw_tps, 1),
                    "what": "pre-signed ERC-20 transfers (eth_account, nonces precomputed, gas 100,000) sent with "
                            "eth_sendRawTransaction back to back, then the last receipt awaited"},
            "sdk_to_raw_ratio": round(self.tps / self.raw_tps, 3),
            "loans_paid_off_after_last_installment": self.dust_payoffs,
            "keeper_memory": {
                "process": "a child process running only Keeper.run_once (SDK client, local key), one pass at each "
                           "of the lifecycle's keeper points",
                "peak_rss_mib": round(self.keeper_peak_rss / MIB, 1),
                "kernel_high_water_mark_mib": round(self.keeper_hwm / MIB, 1)},
        }


class CountingProvider(HTTPProvider):
    """web3's HTTP provider, counting the JSON-RPC methods that reach the node, by method, single or inside a batch
    (the SDK's own ``client.rpc`` counts the round trips)."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri, request_kwargs={"timeout": 60})
        self.calls: Counter[str] = Counter()

    def _make_request(self, method: Any, request_data: bytes) -> bytes:
        self.calls[str(method)] += 1
        return super()._make_request(method, request_data)

    def make_batch_request(self, batch_requests: Any) -> Any:
        self.calls.update(str(method) for method, _ in batch_requests)
        return super().make_batch_request(batch_requests)


class _KeeperProcess:
    def __init__(self, node: Anvil, m: BenchMarket, key: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        dep = m.deployment()
        self.proc = ctx.Process(target=keeper_main, name="bench-keeper", daemon=True,
                                args=(node.uri, {"chain_id": dep.chain_id, "block": dep.block,
                                                 "contracts": dep.addresses}, key, child))
        self.proc.start()
        self._expect("ready")
        self.sampler = RssSampler(self.proc.pid or 0, tree=False).start()
        self.transactions = 0
        self.invested = 0

    def _expect(self, kind: str) -> tuple[Any, ...]:
        if not self.conn.poll(KEEPER_TIMEOUT_S):
            raise NodeError(f"the keeper process did not answer {kind!r} within {KEEPER_TIMEOUT_S:.0f} s")
        reply = self.conn.recv()
        if reply[0] != kind:
            raise NodeError(f"the keeper process answered {reply!r}, expected {kind!r}")
        return tuple(reply)

    def run_pass(self) -> None:
        self.conn.send("pass")
        _, sent, _gas, invested = self._expect("pass")
        self.transactions += sent
        self.invested += invested

    def stop(self) -> int:
        """Ends the keeper; returns its peak RSS as the kernel recorded it (VmHWM)."""
        self.conn.send("stop")
        _, hwm = self._expect("done")
        self.proc.join(10)
        return int(hwm)

    def close(self) -> None:
        self.sampler.stop()
        if self.proc.is_alive():  # the lifecycle failed half-way
            self.proc.terminate()
            self.proc.join(10)


def measure_throughput(log: Callable[[str], None]) -> ThroughputResult:
    with Anvil() as node:
        m = deploy_markets(node, {"throughput": MarketParams()})["throughput"]
        log("throughput: fresh anvil, market deployed")
        unit = m.unit
        borrowers = [derived_account("tp-borrower", i) for i in range(LOANS)]
        direct = [derived_account("tp-lender", i) for i in range(DIRECT_LENDERS)]
        pooled = [derived_account("tp-pool", i) for i in range(POOL_LENDERS)]
        keeper_key = derived_account("tp-keeper")
        m.onboard([b.address for b in borrowers], Role.BORROWER, grade=8, limit=10_000 * unit)
        m.onboard([x.address for x in direct + pooled], Role.LENDER)
        m.fund_accounts([b.address for b in borrowers], tokens=1_000 * unit)  # interest money
        m.fund_accounts([x.address for x in direct], tokens=LOANS * DIRECT_TOKENS * unit)
        m.fund_accounts([x.address for x in pooled], tokens=LOANS * POOL_TOKENS * unit)
        m.fund_accounts([keeper_key.address])

        provider = CountingProvider(node.uri)
        client = Disfruta.from_web3(Web3(provider), m.deployment())
        for lender in pooled:
            me = client.as_account(lender)
            me.pool.deposit(LOANS * POOL_TOKENS * unit)
            me.pool.set_criteria(AutoInvestCriteria(amount_per_loan=POOL_TOKENS * unit,
                                                    max_per_borrower=POOL_TOKENS * unit))
        counts: Counter[str] = Counter()
        client.core.sender.on_receipt = lambda fn, _receipt: counts.update([fn])  # one core for every account view
        keeper = _KeeperProcess(node, m, keeper_key.key.hex())
        log("throughput: participants verified and funded; keeper process ready; lifecycle starts")

        provider.calls.clear()
        requests0 = client.rpc.requests
        try:
            started = time.perf_counter()
            dust = _lifecycle(client, node, borrowers, direct, pooled, Account.from_key(DEV_KEYS[0]), keeper, unit)
            seconds = time.perf_counter() - started
            hwm = keeper.stop()
        finally:
            keeper.close()
        if keeper.invested != LOANS * POOL_LENDERS * POOL_TOKENS * unit:
            raise NodeError(f"the keeper auto-invested {keeper.invested} units, expected "
                            f"{LOANS * POOL_LENDERS * POOL_TOKENS * unit}")
        sdk_txs = sum(counts.values())
        log(f"throughput: lifecycle done ({sdk_txs + keeper.transactions:,} transactions in {seconds:.1f} s)")
        raw_seconds = _raw_throughput(node, m, sdk_txs + keeper.transactions)
        log("throughput: raw pre-signed transactions sent")
        return ThroughputResult(loans=LOANS, sdk_transactions=sdk_txs, keeper_transactions=keeper.transactions,
                                by_function=dict(sorted(counts.items())), seconds=seconds,
                                raw_transactions=sdk_txs + keeper.transactions, raw_seconds=raw_seconds,
                                keeper_peak_rss=keeper.sampler.peak_root, keeper_hwm=hwm, dust_payoffs=dust,
                                rpc_calls=dict(provider.calls.most_common()),
                                rpc_requests=client.rpc.requests - requests0)


def _lifecycle(client: Disfruta, node: Anvil, borrowers: list[LocalAccount], direct: list[LocalAccount],
               pooled: list[LocalAccount], underwriter: LocalAccount, keeper: _KeeperProcess, unit: int) -> int:
    """Runs the lifecycle; returns how many loans needed a final `pay_off` of rounding dust."""
    dust = [0]
    loans = [client.as_account(b).loans.apply(LOAN_TOKENS * unit, TERM).return_value[0] for b in borrowers]
    ops = client.as_account(underwriter)
    for loan_id in loans:
        ops.loans.approve(loan_id)
    keeper.run_pass()  # auto-invest: the pool lenders' criteria match every loan
    for loan_id in loans:
        for lender in direct:
            client.as_account(lender).loans.fund(loan_id, DIRECT_TOKENS * unit)
    for b, loan_id in zip(borrowers, loans):
        client.as_account(b).loans.draw(loan_id)
    start = max(info.start_time for info in client.loans.many(loans))
    for month in range(1, TERM + 1):
        node.mine_at(start + month * PERIOD + 3_600)
        for b, loan_id in zip(borrowers, loans):
            client.as_account(b).loans.repay_installment(loan_id)
        if month == TERM:
            # The last installment is read (`amountDue`) a block before it is mined; a second more of interest
            # leaves a unit or two owed. The borrower clears it with `pay_off` (which allows for that).
            for b, loan_id in zip(borrowers, loans):
                if client.loans.get(loan_id).status.name == "ACTIVE":
                    client.as_account(b).loans.pay_off(loan_id)
                    dust[0] += 1
        if month in KEEPER_MONTHS:
            keeper.run_pass()  # fee sweeps, late and default checks
        if month in CLAIM_MONTHS:
            for loan_id in loans:
                for lender in direct:
                    client.as_account(lender).loans.claim(loan_id)
    for loan_id in loans:
        for lender in pooled:
            client.as_account(lender).pool.claim_returns(loan_id)
    unpaid = [info for info in client.loans.many(loans) if info.status.name != "REPAID"]
    if unpaid:
        raise NodeError(f"{len(unpaid)} loans not repaid after {TERM} installments, e.g. {unpaid[0]}")
    return dust[0]


def _raw_throughput(node: Anvil, m: BenchMarket, count: int) -> float:
    """Seconds to send ``count`` pre-signed transactions back to back and see the last one mined."""
    senders = [derived_account("tp-raw", i) for i in range(RAW_SENDERS)]
    m.fund_accounts([s.address for s in senders], tokens=count * m.unit)
    nonces = {s.address: node.w3.eth.get_transaction_count(s.address) for s in senders}
    chain_id = node.w3.eth.chain_id
    signed: list[str] = []
    for i in range(count):
        sender = senders[i % RAW_SENDERS]
        tx = {"to": m.token.address, "data": encode(m.token, "transfer", derived_address("tp-raw-to", i), 1),
              "gas": 100_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "value": 0,
              "nonce": nonces[sender.address] + i // RAW_SENDERS, "chainId": chain_id, "type": 2}
        signed.append("0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex())
    session = requests.Session()
    started = time.perf_counter()
    last = ""
    for i, raw in enumerate(signed):
        reply = session.post(node.uri, json={"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction",
                                             "params": [raw]}, timeout=60).json()
        if "error" in reply:
            raise NodeError(f"raw transaction {i}: {reply['error']}")
        last = reply["result"]
    node.receipt_ok(last)
    seconds = time.perf_counter() - started
    session.close()
    mined = sum(node.w3.eth.get_transaction_count(s.address) - nonces[s.address] for s in senders)
    if mined != count:
        raise NodeError(f"{mined} of {count} raw transactions were mined")
    return seconds
