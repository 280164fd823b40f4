"""What the indexer reads from the node: logs by address list and block range, block headers and receipts, each
in batched JSON-RPC requests sized for what providers accept.

A log query the provider refuses for its size (range or result limits; the wording differs by provider), or one that
comes back with ``max_logs`` results or more (a provider that cuts results short), raises `RangeTooLarge` so that the
indexer halves its range: nothing is ever taken as complete when it may have been cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from disfruta.rpc import Request, Rpc, RpcError


class RangeTooLarge(Exception):
    """The provider refused (or may have cut short) a log query over this many blocks."""

    def __init__(self, blocks: int, reason: str) -> None:
        super().__init__(f"log query over {blocks} block(s) too large: {reason}")
        self.blocks = blocks


class ChainMoved(Exception):
    """A block's hash changed while a range was being read (a reorganisation under the reader): read it again."""


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass(frozen=True)
class TxInfo:
    hash: str
    block: int
    tx_index: int
    sender: str
    to: str | None
    gas_used: int
    effective_gas_price: int
    success: bool


def _too_large(exc: RpcError) -> bool:
    m = exc.message.lower()
    return any(w in m for w in ("range", "too many", "limit", "exceed", "too large", "response size", "10000"))


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class ChainSource:
    """Reads for the indexer over one `Rpc` (which retries reads with backoff when the node is unreachable).

    ``max_addresses``: addresses in one ``eth_getLogs`` filter; ``batch_size``: requests in one JSON-RPC batch;
    ``max_logs``: a query answered with this many logs or more counts as cut short (``None``: trust the provider).
    """

    def __init__(self, rpc: Rpc, *, max_addresses: int = 500, batch_size: int = 100,
                 max_logs: int | None = 10_000) -> None:
        self.rpc = rpc
        self.max_addresses = max_addresses
        self.batch_size = batch_size
        self.max_logs = max_logs

    def head(self, tag: str = "latest") -> Header:
        return _header(self.rpc.request("eth_getBlockByNumber", [tag, False]))

    def headers(self, numbers: Iterable[int]) -> dict[int, Header]:
        wanted = sorted(set(numbers))
        out: dict[int, Header] = {}
        for chunk in _chunks(wanted, self.batch_size):
            answers = self.rpc.batch([Request("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for n, answer in zip(chunk, answers, strict=True):
                if answer is None:
                    raise ChainMoved(f"block {n} is not on the node (any more)")
                out[n] = _header(answer)
        return out

    def hashes(self, numbers: Iterable[int]) -> dict[int, str | None]:
        """The chain's hash of each block (``None`` for a block the chain doesn't have, e.g. after a reorganisation
        to a shorter chain)."""
        wanted = sorted(set(numbers))
        out: dict[int, str | None] = {}
        for chunk in _chunks(wanted, self.batch_size):
            answers = self.rpc.batch([Request("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            out.update({n: (a or {}).get("hash") for n, a in zip(chunk, answers, strict=True)})
        return out

    def logs(self, addresses: Sequence[str], lo: int, hi: int) -> list[dict[str, Any]]:
        """Every log of ``addresses`` in blocks ``lo`` … ``hi``, in chain order."""
        if not addresses:
            return []
        requests = [Request("eth_getLogs", [{"address": list(chunk), "fromBlock": hex(lo), "toBlock": hex(hi)}])
                    for chunk in _chunks(list(addresses), self.max_addresses)]
        out: list[dict[str, Any]] = []
        for batch in _chunks(requests, self.batch_size):
            for answer in self.rpc.batch(batch, raise_errors=False):
                if isinstance(answer, RpcError):
                    if _too_large(answer):
                        raise RangeTooLarge(hi - lo + 1, answer.message)
                    raise answer
                if self.max_logs is not None and len(answer) >= self.max_logs and hi > lo:
                    raise RangeTooLarge(hi - lo + 1, f"{len(answer)} logs, at the configured cap of {self.max_logs}")
                out.extend(answer)
        out.sort(key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16)))
        return out

    def receipts(self, hashes: Iterable[str]) -> dict[str, TxInfo]:
        wanted = sorted(set(hashes))
        out: dict[str, TxInfo] = {}
        for chunk in _chunks(wanted, self.batch_size):
            answers = self.rpc.batch([Request("eth_getTransactionReceipt", [h]) for h in chunk])
            for h, r in zip(chunk, answers, strict=True):
                if r is None:
                    raise ChainMoved(f"transaction {h} has no receipt (any more)")
                price = r.get("effectiveGasPrice") or r.get("gasPrice") or "0x0"
                out[h] = TxInfo(hash=h, block=int(r["blockNumber"], 16), tx_index=int(r["transactionIndex"], 16),
                                sender=_checksum(r["from"]), to=_checksum(r["to"]) if r.get("to") else None,
                                gas_used=int(r["gasUsed"], 16), effective_gas_price=int(price, 16),
                                success=int(r.get("status", "0x1"), 16) == 1)
        return out


def _header(h: dict[str, Any]) -> Header:
    return Header(number=int(h["number"], 16), hash=h["hash"], parent_hash=h["parentHash"],
                  timestamp=int(h["timestamp"], 16))


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)
