"""Reads in one round trip: many view calls through Multicall3, or a JSON-RPC batch where it isn't deployed.

Multicall3 sits at the same address on every public chain (and the local deploy path puts it there on anvil). One
``eth_call`` of ``aggregate3`` runs every call against the same block, with the block's number and timestamp read in
the same call, so a page of loans and "now" are consistent. Where the chain has no Multicall3 the same calls go as
one JSON-RPC batch of ``eth_call`` at one block number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.exceptions import DecodingError

from disfruta.codec import CodecError, Function, codec_for, hexdata, unhex
from disfruta.errors import DisfrutaError, decode_revert
from disfruta.rpc import Request, Rpc, RpcError, rpc_revert

MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"

MULTICALL3 = codec_for("Multicall3")  # its ABI ships in the package manifest
_AGGREGATE3 = MULTICALL3.function("aggregate3")
_TIMESTAMP = MULTICALL3.function("getCurrentBlockTimestamp")
_NUMBER = MULTICALL3.function("getBlockNumber")

BlockId = int | str


@dataclass(frozen=True)
class Call:
    """One view call: ``Call(loan_address, codec_for("Loan").function("terms"))``."""

    target: str
    function: Function
    args: tuple[Any, ...] = ()

    @property
    def data(self) -> bytes:
        return self.function.encode(*self.args)


@dataclass(frozen=True)
class BlockInfo:
    number: int
    timestamp: int


def block_param(block: BlockId) -> str:
    return hex(block) if isinstance(block, int) else block


class Reader:
    """Runs lists of `Call`s in one request. ``read`` returns results in order; a failed call raises its decoded
    custom error, or with ``allow_failure=True`` stands in the list as that exception."""

    def __init__(self, rpc: Rpc, *, multicall: str | None = MULTICALL3_ADDRESS, chunk: int = 400) -> None:
        self.rpc = rpc
        self.multicall = multicall
        self.chunk = chunk
        self._available: bool | None = None if multicall else False

    @property
    def uses_multicall(self) -> bool:
        """Whether Multicall3 answers on this chain; until the first read, assumed (that read finds out for free:
        a call to an address without code returns no data)."""
        return self._available is not False

    def read(self, calls: Sequence[Call], block: BlockId = "latest", *,
             allow_failure: bool = False) -> list[Any]:
        return self.read_at(calls, block, allow_failure=allow_failure)[0]

    def read_at(self, calls: Sequence[Call], block: BlockId = "latest", *,
                allow_failure: bool = False) -> tuple[list[Any], BlockInfo]:
        """The calls' results and the block they were read at (number and timestamp), in one round trip."""
        results_info = self._multicall(calls, block) if self.uses_multicall else None
        if results_info is None:
            results_info = self._batch(calls, block)
        results, info = results_info
        if not allow_failure:
            for r in results:
                if isinstance(r, DisfrutaError):
                    raise r
        return results, info

    def _multicall(self, calls: Sequence[Call], block: BlockId) -> tuple[list[Any], BlockInfo] | None:
        """The results, or ``None`` when there is no Multicall3 at its address (then never tried again)."""
        assert self.multicall is not None
        head = [Call(self.multicall, _NUMBER), Call(self.multicall, _TIMESTAMP)]
        chunks = [list(calls[i:i + self.chunk]) for i in range(0, len(calls), self.chunk)] or [[]]
        if len(chunks) > 1 and not isinstance(block, int):
            # Several eth_calls: pin them to one block so every call sees the same state.
            block = int(self.rpc.request("eth_getBlockByNumber", [block, False])["number"], 16)
        chunks[0] = head + chunks[0]
        requests = [Request("eth_call", [
            {"to": self.multicall, "data": hexdata(_AGGREGATE3.encode(
                [(c.target, True, c.data) for c in chunk]))}, block_param(block)]) for chunk in chunks]
        answers = self.rpc.batch(requests)
        if any(unhex(a) == b"" for a in answers):
            if block == "latest":  # only then does an empty answer mean there is no Multicall3 on this chain
                self._available = False
            return None
        self._available = True
        results: list[Any] = []
        for chunk, answer in zip(chunks, answers, strict=True):
            for call, item in zip(chunk, _AGGREGATE3.decode(unhex(answer)), strict=True):
                results.append(_decode(call, item["success"], item["returnData"]))
        number, timestamp = results[0], results[1]
        return results[2:], BlockInfo(int(number), int(timestamp))

    def _batch(self, calls: Sequence[Call], block: BlockId) -> tuple[list[Any], BlockInfo]:
        if block in ("latest", "pending", "safe", "finalized"):
            # Pin one block so every call sees the same state (costs a request the multicall path doesn't).
            header = self.rpc.request("eth_getBlockByNumber", [block, False])
            block = int(header["number"], 16)
        requests = [Request("eth_getBlockByNumber", [block_param(block), False])]
        requests += [Request("eth_call", [{"to": c.target, "data": hexdata(c.data)}, block_param(block)])
                     for c in calls]
        answers = self.rpc.batch(requests, raise_errors=False)
        header = answers[0]
        if isinstance(header, Exception):
            raise header
        results = []
        for call, answer in zip(calls, answers[1:], strict=True):
            if isinstance(answer, RpcError):
                results.append(rpc_revert(answer) or answer)
            else:
                results.append(_decode(call, True, unhex(answer)))
        return results, BlockInfo(int(header["number"], 16), int(header["timestamp"], 16))


def _decode(call: Call, success: bool, data: bytes) -> Any:
    if not success:
        return decode_revert(data)
    if not data and call.function.outputs:
        return NoContract(f"{call.target} returned nothing for {call.function.signature} (no contract there?)")
    try:
        return call.function.decode(data)
    except (DecodingError, ValueError, OverflowError):
        return CodecError(f"{call.target} answered {call.function.signature} with data that does not decode as "
                          "its ABI says (not the contract expected?)")


class NoContract(DisfrutaError):
    """A view call to an address returned no data: there is no contract there."""
