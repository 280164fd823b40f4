"""The 48-hour timelock (OpenZeppelin ``TimelockController``): operations, their ids, calldata, and state.

An *operation* is one call or a batch of calls with a ``predecessor`` (0: none) and a ``salt`` (so the same calls can
be proposed twice). Its id is what ``hashOperation`` / ``hashOperationBatch`` return, computed here off chain so a
proposal file names it before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from eth_abi import encode
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI
    from ape.contracts import ContractInstance

MIN_DELAY = 48 * 3600
ZERO_BYTES32 = HexBytes(b"\x00" * 32)
OPEN_ROLE = "0x0000000000000000000000000000000000000000"  # as an executor: anyone may execute


class OperationState(IntEnum):
    """``TimelockController.OperationState``."""

    UNSET = 0
    WAITING = 1
    READY = 2
    DONE = 3


@dataclass(frozen=True)
class Call:
    """One call the timelock (or the Safe) makes, with a human description of it."""

    target: ChecksumAddress
    data: HexBytes
    value: int = 0
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "value": self.value, "data": self.data.to_0x_hex(),
                "description": self.description}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Call:
        return cls(target=to_checksum_address(data["target"]), data=HexBytes(data["data"]),
                   value=int(data.get("value", 0)), description=data.get("description", ""))


@dataclass(frozen=True)
class Operation:
    """A timelock operation: the calls, in order, and what makes its id unique."""

    calls: tuple[Call, ...]
    salt: HexBytes = ZERO_BYTES32
    predecessor: HexBytes = ZERO_BYTES32

    @property
    def is_batch(self) -> bool:
        return len(self.calls) != 1

    @property
    def id(self) -> HexBytes:
        """``hashOperation(target, value, data, predecessor, salt)`` or ``hashOperationBatch(...)``."""
        if self.is_batch:
            payload = encode(
                ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
                [[c.target for c in self.calls], [c.value for c in self.calls], [bytes(c.data) for c in self.calls],
                 bytes(self.predecessor), bytes(self.salt)],
            )
        else:
            c = self.calls[0]
            payload = encode(["address", "uint256", "bytes", "bytes32", "bytes32"],
                             [c.target, c.value, bytes(c.data), bytes(self.predecessor), bytes(self.salt)])
        return HexBytes(keccak(payload))

    def schedule_data(self, timelock: ContractInstance, delay: int) -> HexBytes:
        """Calldata of ``schedule`` / ``scheduleBatch`` (what the Safe sends to the timelock)."""
        if self.is_batch:
            return HexBytes(timelock.scheduleBatch.encode_input(*self._batch_args(), delay))
        c = self.calls[0]
        return HexBytes(timelock.schedule.encode_input(c.target, c.value, c.data, self.predecessor, self.salt, delay))

    def execute_data(self, timelock: ContractInstance) -> HexBytes:
        """Calldata of ``execute`` / ``executeBatch``."""
        if self.is_batch:
            return HexBytes(timelock.executeBatch.encode_input(*self._batch_args()))
        c = self.calls[0]
        return HexBytes(timelock.execute.encode_input(c.target, c.value, c.data, self.predecessor, self.salt))

    def execute(self, timelock: ContractInstance, sender: AccountAPI) -> ReceiptAPI:
        """Executes directly (only when anyone may execute, or ``sender`` holds ``EXECUTOR_ROLE``)."""
        if self.is_batch:
            return timelock.executeBatch(*self._batch_args(), sender=sender)
        c = self.calls[0]
        return timelock.execute(c.target, c.value, c.data, self.predecessor, self.salt, sender=sender)

    def _batch_args(self) -> tuple[list[str], list[int], list[bytes], HexBytes, HexBytes]:
        return ([c.target for c in self.calls], [c.value for c in self.calls], [bytes(c.data) for c in self.calls],
                self.predecessor, self.salt)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id.to_0x_hex(), "salt": self.salt.to_0x_hex(),
                "predecessor": self.predecessor.to_0x_hex(), "calls": [c.to_json() for c in self.calls]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Operation:
        return cls(calls=tuple(Call.from_json(c) for c in data["calls"]), salt=HexBytes(data["salt"]),
                   predecessor=HexBytes(data["predecessor"]))


def new_salt() -> HexBytes:
    """A salt that makes an operation unique: the time in nanoseconds (sortable; no collisions in practice)."""
    return HexBytes(time.time_ns().to_bytes(32, "big"))


@dataclass(frozen=True)
class OperationStatus:
    """Where an operation stands: its state and, once scheduled, the earliest time it can run."""

    state: OperationState
    ready_at: int | None

    def describe(self, now: int) -> str:
        if self.state is OperationState.WAITING and self.ready_at is not None:
            left = self.ready_at - now
            return f"scheduled, executable in {left // 3600} h {left % 3600 // 60} min (at {self.ready_at})"
        return {OperationState.UNSET: "not scheduled (or cancelled)", OperationState.READY: "ready to execute",
                OperationState.DONE: "executed", OperationState.WAITING: "scheduled"}[self.state]


def operation_status(timelock: ContractInstance, operation_id: bytes, block_id: int | str | None = None
                     ) -> OperationStatus:
    kwargs: dict[str, Any] = {} if block_id is None else {"block_id": block_id}
    state = OperationState(int(timelock.getOperationState(operation_id, **kwargs)))
    timestamp = int(timelock.getTimestamp(operation_id, **kwargs))
    return OperationStatus(state=state, ready_at=timestamp if timestamp > 1 else None)


def executors_are_open(timelock: ContractInstance) -> bool:
    """Whether anyone may execute a ready operation (``EXECUTOR_ROLE`` held by ``address(0)``)."""
    return bool(timelock.hasRole(timelock.EXECUTOR_ROLE(), OPEN_ROLE))


def calls_description(calls: Sequence[Call]) -> str:
    return "; ".join(c.description or f"call {c.target}" for c in calls)
