"""The core every sub-API holds: connection, chain id, signer, reads, writes, log decoding.

Sub-APIs (``client.loans``, ``client.pool`` …) never talk to the node themselves; they build `Call`s and `TxCall`s
and hand them to the core, as web3.py's modules hand requests to ``w3.manager``. A sub-API can therefore be tested
against a fake core.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from eth_abi.exceptions import DecodingError
from eth_account.signers.local import LocalAccount

from disfruta.codec import CodecError, codec_for, to_checksum_address, unhex
from disfruta.errors import ConfigurationError, DisfrutaError
from disfruta.index_source import IndexSource
from disfruta.models import Deployment, Event
from disfruta.multicall import MULTICALL3_ADDRESS, BlockId, BlockInfo, Call, Reader, block_param
from disfruta.rpc import Request, Rpc, RpcError
from disfruta.tx import PendingTransaction, Sender, TxCall

# Every contract whose events the SDK decodes (the notes of each loan are an ERC-20, so Transfer comes from there).
EVENT_SOURCES = ("LoanFactory", "Loan", "LendingPool", "UserRegistry", "Treasury", "NoteMarket", "Autopay",
                 "IERC20Metadata")


def _development_node(rpc: Rpc) -> bool:
    """anvil or Hardhat (which a rehearsal of another chain runs on), by the client version it reports."""
    try:
        version = str(rpc.request("web3_clientVersion")).lower()
    except Exception:  # noqa: BLE001 - a node that will not say is not a development node
        return False
    return version.startswith(("anvil", "hardhatnetwork"))


class Core:
    """One node, one market. ``signer`` is a local key (signed here) or an unlocked node account (an address)."""

    def __init__(self, rpc: Rpc, deployment: Deployment, *, chain_id: int | None = None,
                 multicall: str | None = MULTICALL3_ADDRESS, fee_ttl: float = 2.0,
                 receipt_timeout: float = 120.0, max_log_range: int | None = None) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.chain_id = chain_id if chain_id is not None else int(rpc.request("eth_chainId"), 16)
        if self.chain_id != deployment.chain_id:
            raise ConfigurationError(f"the node is on chain {self.chain_id} but the deployment is for "
                                     f"{deployment.chain_id}")
        if deployment.extra.get("dry_run") and not _development_node(rpc):
            # A dry run's addresses are a plan, made with whatever deployer and Safe it was given (the shipped ones
            # with public dev keys): on the real chain anyone may have put code there.
            raise ConfigurationError(
                f"this deployment record is a dry run (a rehearsal of chain {deployment.chain_id} on anvil), and "
                "the node is not a development node: nothing of it is deployed here; use the record of a real "
                "deployment")
        self.reader = Reader(rpc, multicall=multicall)
        if max_log_range is not None and max_log_range < 1:
            raise ConfigurationError(f"max_log_range must be at least 1 block, got {max_log_range}")
        self.max_log_range = max_log_range
        self.sender = Sender(self, fee_ttl=fee_ttl, receipt_timeout=receipt_timeout)
        # An index of the market (its read API or a local database): listings, portfolios and the keeper ask it
        # which loans to read, then read only those from the chain. None: everything comes from the chain.
        self.index: IndexSource | None = None
        self._events: dict[bytes, Any] = {}
        for name in EVENT_SOURCES:
            for topic, spec in codec_for(name).events.items():
                self._events.setdefault(topic, spec)

    @cached_property
    def decimals(self) -> int:
        """The market token's decimals (read once)."""
        return int(self.call(self.address("asset"), "IERC20Metadata", "decimals"))

    # ------------------------------------------------------------------------------------------- contracts

    def address(self, name: str) -> str:
        return to_checksum_address(self.deployment.address(name))

    def call(self, target: str, contract: str, function: str, *args: Any, block: BlockId = "latest") -> Any:
        """One view call, decoded by name."""
        return self.read([Call(target, codec_for(contract).function(function), args)], block)[0]

    def read(self, calls: Sequence[Call], block: BlockId = "latest", *, allow_failure: bool = False) -> list[Any]:
        """Many view calls in one round trip (Multicall3 or a JSON-RPC batch)."""
        return self.reader.read(calls, block, allow_failure=allow_failure)

    def read_at(self, calls: Sequence[Call], block: BlockId = "latest", *,
                allow_failure: bool = False) -> tuple[list[Any], BlockInfo]:
        return self.reader.read_at(calls, block, allow_failure=allow_failure)

    # ------------------------------------------------------------------------------------------- writes

    def submit(self, call: TxCall, signer: LocalAccount | str, *, simulate: bool,
               gas: int | None = None) -> PendingTransaction:
        return self.sender.submit(call, signer, simulate=simulate, gas=gas)

    # ------------------------------------------------------------------------------------------- logs

    def decode_logs(self, logs: Sequence[dict[str, Any]]) -> list[Event]:
        """Decodes every log of a Disfruta contract (loans and the token included); others are skipped."""
        out = []
        for log in logs:
            topics = [unhex(t) for t in log.get("topics") or []]
            if not topics or topics[0] not in self._events:
                continue
            spec = self._events[topics[0]]
            try:
                args = spec.decode(topics, unhex(log["data"]))
            except (CodecError, DecodingError, ValueError, TypeError, OverflowError):  # same topic, not ours
                continue
            out.append(Event(name=spec.name, address=to_checksum_address(log["address"]), args=args,
                             block=_int(log["blockNumber"]), tx_hash=_hex(log["transactionHash"]),
                             log_index=_int(log["logIndex"])))
        return out

    def topics_of(self, names: Sequence[str]) -> list[str]:
        """Topic 0 of each named event; ``CodecError`` naming any event no Disfruta contract has."""
        known = {spec.name for spec in self._events.values()}
        unknown = sorted(set(names) - known)
        if unknown:
            raise CodecError(f"no Disfruta contract emits {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return ["0x" + t.hex() for t, spec in self._events.items() if spec.name in names]

    def get_logs(self, *, names: Sequence[str] | None = None, address: str | Sequence[str] | None = None,
                 topics: Sequence[Any] | None = None, from_block: BlockId | None = None,
                 to_block: BlockId = "latest") -> list[Event]:
        """Decoded logs: by event names (topic 0), emitting address(es) and further topic filters."""
        flt: dict[str, Any] = {"fromBlock": block_param(self.deployment.block if from_block is None else from_block),
                               "toBlock": block_param(to_block)}
        topic_filter: list[Any] = [self.topics_of(names) if names else None, *(topics or ())]
        while topic_filter and topic_filter[-1] is None:
            topic_filter.pop()
        if topic_filter:
            flt["topics"] = topic_filter
        if address is not None:
            flt["address"] = address if isinstance(address, str) else list(address)
        events = self.decode_logs(self.fetch_logs([flt])[0])
        return [e for e in events if not names or e.name in names]

    def fetch_logs(self, filters: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Raw logs of several ``eth_getLogs`` filters in one round trip, each in block order.

        Providers cap the block range or the results of one query: with ``max_log_range`` set, each filter is read
        in ranges of at most that many blocks; a query the node refuses as too large is split in halves and asked
        again (down to one block), so nothing is silently cut short.
        """
        head: int | None = None
        work: list[tuple[int, dict[str, Any]]] = []
        for i, flt in enumerate(filters):
            if self.max_log_range is None:
                work.append((i, flt))
                continue
            start, end, head = self._range(flt, head)
            for lo in range(start, end + 1, self.max_log_range):
                work.append((i, {**flt, "fromBlock": hex(lo), "toBlock": hex(min(end, lo + self.max_log_range - 1))}))
        out: list[list[dict[str, Any]]] = [[] for _ in filters]
        while work:
            answers = self.rpc.batch([Request("eth_getLogs", [f]) for _, f in work], raise_errors=False)
            retry: list[tuple[int, dict[str, Any]]] = []
            for (i, flt), answer in zip(work, answers, strict=True):
                if not isinstance(answer, RpcError):
                    out[i].extend(answer)
                    continue
                start, end, head = self._range(flt, head)
                if not _too_large(answer) or start >= end:
                    raise answer
                mid = (start + end) // 2
                retry += [(i, {**flt, "fromBlock": hex(start), "toBlock": hex(mid)}),
                          (i, {**flt, "fromBlock": hex(mid + 1), "toBlock": hex(end)})]
            work = retry
        for logs in out:
            logs.sort(key=lambda x: (_int(x["blockNumber"]), _int(x["logIndex"])))
        return out

    def _range(self, flt: dict[str, Any], head: int | None) -> tuple[int, int, int | None]:
        def number(value: Any) -> int:
            nonlocal head
            if isinstance(value, str) and value.startswith("0x"):
                return int(value, 16)
            if head is None:
                head = int(self.rpc.request("eth_blockNumber"), 16)
            return head

        return number(flt.get("fromBlock", hex(self.deployment.block))), number(flt.get("toBlock", "latest")), head

    def block_timestamps(self, numbers: Sequence[int]) -> dict[int, int]:
        """The timestamps of several blocks in one round trip."""
        wanted = sorted(set(numbers))
        headers = self.rpc.batch([Request("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        return {n: int(h["timestamp"], 16) for n, h in zip(wanted, headers, strict=True)}

    def head(self) -> BlockInfo:
        header = self.rpc.request("eth_getBlockByNumber", ["latest", False])
        return BlockInfo(int(header["number"], 16), int(header["timestamp"], 16))

    def accounts(self) -> list[str]:
        """The node's unlocked accounts (local dev chains)."""
        return [to_checksum_address(a) for a in self.rpc.request("eth_accounts")]


def _too_large(exc: RpcError) -> bool:
    """Whether the node refused a log query for its size (the wording differs by provider)."""
    m = exc.message.lower()
    return any(w in m for w in ("range", "too many", "limit", "exceed", "too large", "response size", "10000"))


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


__all__ = ["Call", "Core", "DisfrutaError", "TxCall"]
