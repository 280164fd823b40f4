"""Writes: nonces, fees, gas, signing, sending, receipts — one transaction at a time or pipelined.

- **Nonces** come from a local manager per sender (one ``eth_getTransactionCount`` per sender, then counted here);
  a nonce error resynchronises it.
- **Fees** (EIP-1559: ``2 × base fee + tip``, or the legacy gas price) are cached and refreshed at most once per
  ``fee_ttl`` seconds, or at once when the node says they are too low.
- **Gas** is estimated when the call is simulated (the default for single sends: a revert raises the contract's
  custom error before anything is spent). Otherwise the limit comes from what this call shape (contract, function,
  array lengths) needed before, with a 2× margin, or a safe default; what a transaction used is learned back.
- **Receipts** are awaited with exponential backoff, never busy polling; a pipeline awaits all of its receipts
  together, in JSON-RPC batches.
- **Nothing is sent twice.** A locally signed transaction's hash is known before it is sent; when a send's answer is
  lost, the same signed bytes are sent again (a node can't include them twice) or the hash is looked up. A nonce is
  only reused for a transaction the node says it does not have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from disfruta.codec import Function, hexdata, unhex
from disfruta.errors import DisfrutaError, TransactionError, decode_revert
from disfruta.models import Event, Receipt
from disfruta.rpc import NodeUnreachable, Request, Rpc, RpcError, rpc_revert


class _Host(Protocol):
    """What the sender needs of the core (kept as a protocol so this module doesn't import it)."""

    rpc: Rpc
    chain_id: int

    def decode_logs(self, logs: Sequence[dict[str, Any]]) -> list[Event]: ...

SAFE_GAS_LIMIT = 1_500_000


@dataclass(frozen=True)
class TxCall:
    """A state-changing call: ``TxCall(loan_address, codec_for("Loan").function("claim"))``."""

    to: str
    function: Function
    args: tuple[Any, ...] = ()
    value: int = 0

    @property
    def data(self) -> bytes:
        return self.function.encode(*self.args)

    @property
    def shape(self) -> tuple[Any, ...]:
        """What the gas of a call depends on beyond state: the function and the lengths of its array arguments."""
        lengths = tuple(len(a) for a in self.args if isinstance(a, (list, tuple, bytes)))
        return (self.function.selector, lengths)

    def describe(self) -> str:
        return f"{self.function.name} on {self.to}"


# --------------------------------------------------------------------------------------------------- state shared


class NonceManager:
    """The next nonce per sender, counted locally after one read from the node."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def reserve(self, sender: str) -> int:
        with self._lock:
            if sender not in self._next:
                self._next[sender] = int(self._rpc.request("eth_getTransactionCount", [sender, "pending"]), 16)
            nonce = self._next[sender]
            self._next[sender] = nonce + 1
            return nonce

    def resync(self, sender: str) -> None:
        with self._lock:
            self._next.pop(sender, None)

    def release(self, sender: str, nonce: int) -> None:
        """``nonce`` was reserved but nothing was sent with it: hand it out again (or recount if later nonces
        were reserved meanwhile), so no gap stalls the sender's later transactions."""
        with self._lock:
            if self._next.get(sender) == nonce + 1:
                self._next[sender] = nonce
            else:
                self._next.pop(sender, None)


class FeeCache:
    """EIP-1559 fees (or a legacy gas price), refreshed at most once per ``ttl`` seconds, in one round trip."""

    def __init__(self, rpc: Rpc, ttl: float = 2.0) -> None:
        self._rpc = rpc
        self.ttl = ttl
        self._fees: dict[str, int] | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self) -> dict[str, int]:
        with self._lock:
            if self._fees is None or time.monotonic() - self._at > self.ttl:
                self._fees = self._fetch()
                self._at = time.monotonic()
            return dict(self._fees)

    def invalidate(self) -> None:
        with self._lock:
            self._fees = None

    def _fetch(self) -> dict[str, int]:
        block, tip = self._rpc.batch([Request("eth_getBlockByNumber", ["latest", False]),
                                      Request("eth_maxPriorityFeePerGas", [])], raise_errors=False)
        if isinstance(block, Exception):
            raise block
        base = block.get("baseFeePerGas")
        if base is None or isinstance(tip, Exception):
            return {"gasPrice": int(self._rpc.request("eth_gasPrice", []), 16)}
        priority = int(tip, 16)
        # Twice the base fee survives six full blocks in a row (each may raise it by 12.5 %).
        return {"maxFeePerGas": 2 * int(base, 16) + priority, "maxPriorityFeePerGas": priority}


class GasBook:
    """The most gas each call shape has needed (estimated or used); limits are twice that."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Any, ...], int] = {}
        self._lock = threading.Lock()

    def limit(self, call: TxCall) -> int | None:
        with self._lock:
            seen = self._seen.get((call.to, *call.shape)) or self._seen.get(call.shape)
        return None if seen is None else 2 * seen + 10_000

    def learn(self, call: TxCall, gas: int) -> None:
        with self._lock:
            for key in ((call.to, *call.shape), call.shape):
                self._seen[key] = max(self._seen.get(key, 0), gas)

    def forget(self, call: TxCall) -> None:
        with self._lock:
            self._seen.pop((call.to, *call.shape), None)
            self._seen.pop(call.shape, None)


# --------------------------------------------------------------------------------------------------- transactions


@dataclass
class PendingTransaction:
    """A sent transaction whose receipt is not awaited yet (what writes return inside ``client.batch()``)."""

    tx_hash: str
    call: TxCall
    sender: str
    nonce: int
    gas_limit: int
    _receipt: Receipt | None = None
    error: DisfrutaError | None = None
    post: Callable[[Receipt], Receipt] | None = None  # turns the mined receipt into what the write returns

    @property
    def done(self) -> bool:
        return self._receipt is not None or self.error is not None

    @property
    def ok(self) -> bool:
        return self._receipt is not None

    @property
    def receipt(self) -> Receipt:
        """The mined receipt; raises this transaction's error when it failed (or ``TransactionError`` if not awaited
        yet)."""
        if self.error is not None:
            raise self.error
        if self._receipt is None:
            raise TransactionError(f"{self.call.describe()} ({self.tx_hash}) has not been awaited yet")
        return self._receipt


class Sender:
    """Signs and sends for one core; shares nonces, fees and gas knowledge across every account view."""

    def __init__(self, core: _Host, *, fee_ttl: float = 2.0, receipt_timeout: float = 120.0,
                 safe_gas_limit: int = SAFE_GAS_LIMIT) -> None:
        self.core = core
        self.rpc = core.rpc
        self.nonces = NonceManager(core.rpc)
        self.fees = FeeCache(core.rpc, fee_ttl)
        self.gas = GasBook()
        self.receipt_timeout = receipt_timeout
        self.safe_gas_limit = safe_gas_limit
        # Called with (function name, receipt) after every mined transaction: gas accounting, logging.
        self.on_receipt: Callable[[str, Receipt], None] | None = None

    # ------------------------------------------------------------------------------------------- gas

    def estimate(self, call: TxCall, sender: str, block: str = "latest") -> int:
        """Gas the call would use now; raises the contract's typed error if it would revert."""
        tx = {"from": sender, "to": call.to, "data": hexdata(call.data)}
        if call.value:
            tx["value"] = hex(call.value)
        try:
            gas = int(self.rpc.request("eth_estimateGas", [tx, block]), 16)
        except RpcError as exc:
            raise _revert_error(exc, call) from None
        self.gas.learn(call, gas)
        return gas

    def _gas_limit(self, call: TxCall, sender: str, simulate: bool) -> int:
        if simulate:
            return int(self.estimate(call, sender) * 1.2) + 10_000
        known = self.gas.limit(call)
        if known is not None:
            return known
        # A call shape not seen yet: estimate it once. In a pipeline the state it depends on may still be on its
        # way (an approval sent just before), so a refused estimate falls back to the safe limit rather than failing.
        try:
            return 2 * self.estimate(call, sender) + 10_000
        except DisfrutaError:
            return self.safe_gas_limit

    # ------------------------------------------------------------------------------------------- sending

    def submit(self, call: TxCall, signer: LocalAccount | str, *, simulate: bool, gas: int | None = None,
               nonce: int | None = None) -> PendingTransaction:
        """Sends ``call`` and returns at once with its hash."""
        sender = signer.address if isinstance(signer, LocalAccount) else to_checksum_address(signer)
        data = call.data  # an argument that doesn't fit the ABI fails here, before a nonce is taken
        limit = gas or self._gas_limit(call, sender, simulate)
        fees = self.fees.get()
        for _attempt in range(3):
            n = self.nonces.reserve(sender) if nonce is None else nonce
            try:
                tx_hash = self._send(call, data, fees, signer, sender, n, limit)
            except _NonceTaken:
                # The node has another transaction at that nonce (sent by someone else with this key): recount.
                self.nonces.resync(sender)
                nonce = None
                continue
            except _Underpriced:
                self.fees.invalidate()
                fees = self.fees.get()
                nonce = n  # the node accepted nothing at this nonce: sign again with fresh fees
                continue
            except _Ambiguous:
                self.nonces.resync(sender)  # it may or may not hold that nonce: ask the node next time
                raise
            except BaseException:
                self.nonces.release(sender, n)  # refused outright: nothing holds that nonce
                raise
            return PendingTransaction(tx_hash=tx_hash, call=call, sender=sender, nonce=n, gas_limit=limit)
        raise TransactionError(f"{call.describe()} from {sender}: the node refused it three times (nonce or fees)")

    def _send(self, call: TxCall, data: bytes, fees: dict[str, int], signer: LocalAccount | str, sender: str,
              nonce: int, gas: int) -> str:
        tx: dict[str, Any] = {"from": sender, "to": call.to, "data": hexdata(data), "value": call.value,
                              "gas": gas, "nonce": nonce, "chainId": self.core.chain_id, **fees}
        if isinstance(signer, LocalAccount):
            if "maxFeePerGas" in tx:
                tx["type"] = 2
            tx.pop("from")
            raw = bytes(signer.sign_transaction(tx).raw_transaction)
            tx_hash = "0x" + keccak(raw).hex()
            return self._send_raw(raw, tx_hash, call, sender)
        rpc_tx = {k: hex(v) if isinstance(v, int) else v for k, v in tx.items()}
        try:
            return str(self.rpc.request("eth_sendTransaction", [rpc_tx]))
        except NodeUnreachable:
            raise _Ambiguous(f"{call.describe()} from {sender} (nonce {nonce}): the node became unreachable while "
                             "receiving it; it may or may not have been sent (check the sender's nonce)") from None
        except RpcError as exc:
            _classify_send_error(exc, call, sender)
            raise

    def _send_raw(self, raw: bytes, tx_hash: str, call: TxCall, sender: str) -> str:
        delay = 0.25
        for attempt in range(self.rpc.retries + 1):
            try:
                self.rpc.request("eth_sendRawTransaction", [hexdata(raw)])
                return tx_hash
            except NodeUnreachable:
                # The answer was lost, not necessarily the transaction: look it up, then send the same bytes again.
                if attempt == self.rpc.retries:
                    raise _Ambiguous(f"{call.describe()} from {sender}: the node is unreachable; the signed "
                                     f"transaction {tx_hash} may or may not have been received") from None
                time.sleep(delay)
                delay *= 2
                try:
                    if self.rpc.request("eth_getTransactionByHash", [tx_hash]) is not None:
                        return tx_hash
                except NodeUnreachable:
                    continue
            except RpcError as exc:
                if _is_known(exc):
                    return tx_hash
                # Our own earlier attempt may have landed with this nonce: then it is sent, not to resend.
                if _is_nonce_error(exc) and self.rpc.request("eth_getTransactionByHash", [tx_hash]) is not None:
                    return tx_hash
                _classify_send_error(exc, call, sender)
                raise
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------------------------------- receipts

    def wait(self, pending: Sequence[PendingTransaction], timeout: float | None = None) -> None:
        """Awaits the receipts of ``pending`` together (one batched request per round), with backoff."""
        deadline = time.monotonic() + (timeout or self.receipt_timeout)
        delay = 0.0
        while True:
            todo = [p for p in pending if not p.done]
            if not todo:
                return
            if delay:
                time.sleep(delay)
            answers = self.rpc.batch([Request("eth_getTransactionReceipt", [p.tx_hash]) for p in todo],
                                     raise_errors=False)
            for p, answer in zip(todo, answers, strict=True):
                if isinstance(answer, RpcError) or answer is None:
                    continue
                self._settle(p, answer)
            if all(p.done for p in todo):
                return
            if time.monotonic() > deadline:
                for p in todo:
                    if not p.done:
                        p.error = TransactionError(f"{p.call.describe()}: no receipt for {p.tx_hash} within "
                                                   f"{timeout or self.receipt_timeout:.0f} s (still pending?)")
                return
            # 2 ms, 4 ms, … up to 1 s: a receipt on an automining node is there at once, on a chain with 1-second
            # blocks within a few polls, and a slow chain is asked once a second (one batched request for all).
            delay = min(max(delay * 2, 0.002), 1.0)

    def _settle(self, p: PendingTransaction, raw: dict[str, Any]) -> None:
        block, gas_used = int(raw["blockNumber"], 16), int(raw["gasUsed"], 16)
        self.gas.learn(p.call, gas_used)
        if int(raw["status"], 16) != 1:
            p.error = self._failure(p, block, gas_used)
            return
        receipt = Receipt(tx_hash=p.tx_hash, block=block, gas_used=gas_used,
                          events=self.core.decode_logs(raw["logs"]),
                          effective_gas_price=int(raw.get("effectiveGasPrice") or "0x0", 16),
                          function=p.call.function.name)
        p._receipt = p.post(receipt) if p.post is not None else receipt
        if self.on_receipt is not None:
            self.on_receipt(p.call.function.name, receipt)

    def _failure(self, p: PendingTransaction, block: int, gas_used: int) -> DisfrutaError:
        if gas_used >= p.gas_limit * 0.97:
            self.gas.forget(p.call)
            return TransactionError(f"{p.call.describe()} ({p.tx_hash}) ran out of gas at {gas_used:,}; the next "
                                    "send of this call is estimated afresh")
        error = self._traced_error(p) or self._replayed_error(p, block)
        if error is None:
            return TransactionError(f"{p.call.describe()} ({p.tx_hash}) reverted in block {block}; replaying it no "
                                    "longer reverts (the state changed within the block)")
        error.tx_hash = p.tx_hash  # type: ignore[attr-defined]
        if error.args:
            error.args = (f"{error.args[0]} (transaction {p.tx_hash})",)
        return error

    def _traced_error(self, p: PendingTransaction) -> DisfrutaError | None:
        """The revert output of the mined transaction itself, where the node traces (anvil, geth, erigon …)."""
        try:
            trace = self.rpc.request("debug_traceTransaction", [p.tx_hash, {"tracer": "callTracer"}])
        except (RpcError, NodeUnreachable):
            return None
        output = trace.get("output") if isinstance(trace, dict) else None
        if not trace or not trace.get("error") or not output or len(unhex(output)) < 4:
            return None
        return decode_revert(unhex(output))

    def _replayed_error(self, p: PendingTransaction, block: int) -> DisfrutaError | None:
        """Replays the call before and after its block: the custom error, when the state it failed in persists."""
        tx = {"from": p.sender, "to": p.call.to, "data": hexdata(p.call.data), "gas": hex(p.gas_limit),
              "value": hex(p.call.value)}
        try:
            self.rpc.request("eth_call", [tx, hex(block - 1)])
            self.rpc.request("eth_call", [tx, hex(block)])
        except RpcError as exc:
            return _revert_error(exc, p.call)
        return None


# --------------------------------------------------------------------------------------------------- errors


class _NonceTaken(Exception):
    pass


class _Underpriced(Exception):
    pass


class _Ambiguous(TransactionError):
    """The node may or may not have received the transaction."""


def _is_known(exc: RpcError) -> bool:
    m = exc.message.lower()
    return "already known" in m or "already imported" in m or "known transaction" in m


def _is_nonce_error(exc: RpcError) -> bool:
    m = exc.message.lower()
    return "nonce too low" in m or "nonce is too low" in m or "invalid nonce" in m or "nonce has already" in m


def _classify_send_error(exc: RpcError, call: TxCall, sender: str) -> None:
    m = exc.message.lower()
    # A replacement means the nonce is occupied (by another process, or our own pending transaction): never
    # outbid it — recount instead.
    if "replacement" in m or _is_nonce_error(exc) or "nonce too high" in m:
        raise _NonceTaken() from exc
    if "underpriced" in m or "fee cap" in m or "less than block base fee" in m or "max fee per gas" in m:
        raise _Underpriced() from exc
    if exc.data:
        raise _revert_error(exc, call) from None
    raise TransactionError(f"{call.describe()} from {sender}: the node refused it: {exc.message}") from None


def _revert_error(exc: RpcError, call: TxCall) -> DisfrutaError:
    return rpc_revert(exc) or TransactionError(f"{call.describe()} would fail: {exc.message}")


@dataclass
class BatchReport:
    """What a pipelined batch did: every transaction in the order sent, with its receipt or decoded error."""

    transactions: list[PendingTransaction] = field(default_factory=list)

    @property
    def receipts(self) -> list[Receipt]:
        return [p.receipt for p in self.transactions if p.ok]

    @property
    def failures(self) -> list[PendingTransaction]:
        return [p for p in self.transactions if p.error is not None]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.transactions)

