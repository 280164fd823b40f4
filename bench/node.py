"""A fresh anvil started by the benchmark itself (a subprocess on a free loopback port), and the few RPC helpers the
benchmarks use: time travel, balances, impersonation, and transactions sent without web3's per-call middleware."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import requests
from disfruta.oracle_process import free_port
from web3 import Web3

ROOT = Path(__file__).resolve().parent.parent
# The dev accounts anvil derives from its default mnemonic (the same one ape's test accounts use).
DEV_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926e",
)
START_TIMEOUT_S = 30.0
RECEIPT_TIMEOUT_S = 60.0


class NodeError(RuntimeError):
    """The node refused a request or a transaction reverted."""


def anvil_binary() -> str:
    local = ROOT / "node_modules" / ".bin" / "anvil"
    found = str(local) if local.exists() else shutil.which("anvil")
    if not found:
        raise NodeError("anvil not found: run `make setup` (npm installs it under node_modules/.bin)")
    return found


def anvil_version() -> str:
    out = subprocess.run([anvil_binary(), "--version"], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip().splitlines()[0]


class Anvil:
    """``with Anvil(gas_limit=...) as node:`` — automine, cancun (as ape-config.yaml), the default dev mnemonic."""

    def __init__(self, *, gas_limit: int = 30_000_000, hardfork: str = "cancun") -> None:
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.gas_limit = gas_limit
        self.hardfork = hardfork
        self._proc: subprocess.Popen[bytes] | None = None
        self._http = requests.Session()
        self._id = 0
        self.w3 = Web3(Web3.HTTPProvider(self.uri, request_kwargs={"timeout": 120}))

    # ------------------------------------------------------------------------------------------- process

    def start(self) -> Self:
        cmd = [anvil_binary(), "--port", str(self.port), "--host", "127.0.0.1", "--hardfork", self.hardfork,
               "--gas-limit", str(self.gas_limit), "--accounts", str(len(DEV_KEYS)), "--silent"]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise NodeError(f"anvil exited at start: {err[-1000:]}")
            try:
                self.rpc("eth_chainId")
                return self
            except requests.ConnectionError:
                time.sleep(0.05)  # polling for the port to open, not timing anything
        self.stop()
        raise NodeError(f"anvil did not answer on {self.uri} within {START_TIMEOUT_S:.0f} s")

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise NodeError("anvil is not running")
        return self._proc.pid

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._proc = None
        self._http.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------------- RPC

    def rpc(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call over a kept-alive session, without web3's middleware."""
        self._id += 1
        reply = self._http.post(self.uri, json={"jsonrpc": "2.0", "id": self._id, "method": method,
                                                "params": list(params)}, timeout=120).json()
        if "error" in reply:
            raise NodeError(f"{method}: {reply['error']}")
        return reply["result"]

    def set_balance(self, address: str, wei: int = 10**21) -> None:
        self.rpc("anvil_setBalance", address, hex(wei))

    def auto_impersonate(self, enabled: bool = True) -> None:
        """Lets any address send with ``eth_sendTransaction`` (it still pays its own gas: give it a balance)."""
        self.rpc("anvil_autoImpersonateAccount", enabled)

    def next_timestamp(self, timestamp: int) -> None:
        """The next mined block (the next transaction, with automine) gets exactly ``timestamp``."""
        self.rpc("evm_setNextBlockTimestamp", hex(timestamp))

    def mine_at(self, timestamp: int) -> None:
        self.rpc("evm_mine", hex(timestamp))

    def timestamp(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def interval_mining(self, seconds: int) -> None:
        """A block every ``seconds`` from now on, as ``anvil --block-time`` (``evm_setAutomine(True)`` undoes it)."""
        self.rpc("evm_setIntervalMining", seconds)

    def automine(self) -> None:
        self.rpc("evm_setAutomine", True)

    def snapshot(self) -> str:
        return str(self.rpc("evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        """Back to ``snapshot``'s state (the snapshot is used up: take another to come back again)."""
        if self.rpc("evm_revert", snapshot) is not True:
            raise NodeError(f"evm_revert({snapshot}) refused")

    def set_code(self, address: str, code: str) -> None:
        self.rpc("anvil_setCode", address, code)

    # ------------------------------------------------------------------------------------------- transactions

    def send(self, sender: str, to: str | None, data: str, *, gas: int = 5_000_000, value: int = 0) -> str:
        """``eth_sendTransaction`` from ``sender`` (a dev account or, with auto-impersonation, anyone)."""
        tx: dict[str, Any] = {"from": sender, "data": data, "gas": hex(gas), "value": hex(value),
                              "maxFeePerGas": hex(10**10), "maxPriorityFeePerGas": hex(0)}
        if to is not None:
            tx["to"] = to
        return str(self.rpc("eth_sendTransaction", tx))

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        """The receipt of a mined transaction (automine: it is there as soon as the send returned)."""
        deadline = time.monotonic() + RECEIPT_TIMEOUT_S
        while (receipt := self.rpc("eth_getTransactionReceipt", tx_hash)) is None:
            if time.monotonic() > deadline:
                raise NodeError(f"no receipt for {tx_hash} after {RECEIPT_TIMEOUT_S:.0f} s")
            time.sleep(0.005)  # automine may answer the send a moment before the block is sealed
        return dict(receipt)

    def transact(self, sender: str, to: str | None, data: str, *, gas: int = 5_000_000, value: int = 0) -> int:
        """Sends, checks the receipt's status, returns the gas the whole transaction used."""
        return gas_of(self.receipt_ok(self.send(sender, to, data, gas=gas, value=value)))

    def send_batch(self, txs: Sequence[tuple[str, str, str, int]]) -> list[dict[str, Any]]:
        """Sends ``(sender, to, data, gas)`` transactions with automine off, then mines them into as few blocks as
        the gas limit allows: for set-up in bulk (one block per transaction gets slow as the state grows). Every
        transaction must succeed; returns their receipts."""
        if not txs:
            return []
        first_block = int(self.rpc("eth_blockNumber"), 16) + 1
        self.rpc("evm_setAutomine", False)
        try:
            for sender, to, data, gas in txs:
                self.send(sender, to, data, gas=gas)
            for _ in range(len(txs)):  # at least one transaction per block
                self.rpc("evm_mine")
                pool = self.rpc("txpool_status")
                if int(pool["pending"], 16) == 0 and int(pool["queued"], 16) == 0:
                    break
        finally:
            self.rpc("evm_setAutomine", True)
        last_block = int(self.rpc("eth_blockNumber"), 16)
        receipts = [r for b in range(first_block, last_block + 1) for r in self.rpc("eth_getBlockReceipts", hex(b))]
        failed = [r["transactionHash"] for r in receipts if int(r["status"], 16) != 1]
        if len(receipts) != len(txs) or failed:
            raise NodeError(f"batch of {len(txs)}: {len(receipts)} mined, {len(failed)} reverted ({failed[:3]})")
        return receipts

    def receipt_ok(self, tx_hash: str) -> dict[str, Any]:
        receipt = self.receipt(tx_hash)
        if int(receipt["status"], 16) != 1:
            raise NodeError(f"transaction {tx_hash} reverted (gas used {gas_of(receipt):,})")
        return receipt


def gas_of(receipt: dict[str, Any]) -> int:
    return int(receipt["gasUsed"], 16)


def repo_env() -> dict[str, str]:
    """The environment for the project's tools: anvil and solc found as `make` finds them."""
    env = dict(os.environ)
    env.pop("APE_FOUNDRY_HOST", None)  # set only while the benchmark's own ape session runs
    env["PATH"] = os.pathsep.join([str(ROOT / "node_modules" / ".bin"), str(ROOT / ".venv" / "bin"), env["PATH"]])
    env.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))
    return env
