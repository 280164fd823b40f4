"""Governance proposals: propose → owners sign → the Safe schedules on the timelock → (48 h) → execute.

A proposal is a JSON file (``deployments/proposals/<network>/<name>.json``) that travels between owners: it holds
the timelock operation (calls, salt, predecessor 0), the Safe transactions with the signatures collected so far, and,
for an upgrade, what the deployment record becomes once it ran.

* ``timelock`` proposals: one Safe transaction calls ``schedule``/``scheduleBatch``; after the delay anyone executes
  (open executor) or, when the Safe is the only executor, a second Safe transaction calls ``execute``.
* ``guardian`` proposals: Safe transactions that act at once (pause, remove a leaked oracle signer, cancel a
  scheduled operation), one per call, with consecutive Safe nonces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import Web3Exception

from disfruta.deployment import Deployment
from disfruta.errors import decode_exception
from disfruta.governance.actions import UpgradePlan, call
from disfruta.governance.errors import ProposalError
from disfruta.governance.layout import StorageLayout
from disfruta.governance.records import refresh_implementation
from disfruta.governance.safe import SafeTransaction, execute_safe_transaction, safe_state
from disfruta.governance.timelock import (
    Call,
    Operation,
    OperationState,
    OperationStatus,
    executors_are_open,
    new_salt,
    operation_status,
)

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI
    from ape.contracts import ContractInstance
    from ape.managers.project import ProjectManager


class Kind(StrEnum):
    TIMELOCK = "timelock"
    GUARDIAN = "guardian"


@dataclass
class Proposal:
    kind: Kind
    title: str
    chain_id: int
    safe: ChecksumAddress
    timelock: ChecksumAddress
    safe_txs: list[SafeTransaction]
    operation: Operation | None = None
    delay: int = 0
    upgrade: dict[str, Any] | None = None  # proxy, contract, implementation, storage_layout
    executed_in: str | None = None  # the timelock execution's transaction hash
    created_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @property
    def id(self) -> str:
        """The timelock operation id, or the first Safe transaction's hash for guardian actions."""
        timelocked = self.kind is Kind.TIMELOCK and self.operation is not None
        return (self.operation.id if timelocked and self.operation else self.safe_txs[0].hash).to_0x_hex()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value, "title": self.title, "id": self.id, "chainId": self.chain_id,
            "safe": self.safe, "timelock": self.timelock, "createdAt": self.created_at, "delay": self.delay,
            "operation": self.operation.to_json() if self.operation else None,
            "safeTransactions": [tx.to_json() for tx in self.safe_txs],
            "upgrade": self.upgrade, "executedIn": self.executed_in,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Proposal:
        proposal = cls(
            kind=Kind(data["kind"]), title=data["title"], chain_id=int(data["chainId"]),
            safe=to_checksum_address(data["safe"]), timelock=to_checksum_address(data["timelock"]),
            safe_txs=[SafeTransaction.from_json(t) for t in data["safeTransactions"]],
            operation=Operation.from_json(data["operation"]) if data.get("operation") else None,
            delay=int(data.get("delay", 0)), upgrade=data.get("upgrade"), executed_in=data.get("executedIn"),
            created_at=data.get("createdAt", ""),
        )
        if data.get("id") and data["id"] != proposal.id:
            raise ProposalError(f"proposal id {data['id']} does not match its contents ({proposal.id})")
        return proposal

    def save(self, directory: Path, name: str | None = None) -> Path:
        """Writes ``<directory>/<name>.json`` (default: creation time, a slug of the title, the id's first digits)."""
        if name is None:
            slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:48]
            name = f"{self.created_at.replace(':', '').replace('-', '')}-{slug}-{self.id[2:10]}"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.json"
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> Proposal:
        try:
            return cls.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            raise ProposalError(f"no proposal file {path}") from None


def load_pending(directory: Path) -> list[Proposal]:
    """Proposals in ``directory`` whose Safe transactions are not all executed."""
    found = [Proposal.load(p) for p in sorted(directory.glob("*.json"))] if directory.is_dir() else []
    return [p for p in found if any(tx.executed_in is None for tx in p.safe_txs)]


def next_safe_nonce(safe: ContractInstance, pending: Sequence[Proposal] = ()) -> int:
    """The Safe's nonce, past every nonce already taken by a pending proposal of this Safe."""
    nonce = safe_state(safe).nonce
    taken = [tx.nonce for p in pending for tx in p.safe_txs
             if tx.executed_in is None and tx.safe.lower() == str(safe.address).lower()]
    return max([nonce, *(n + 1 for n in taken)])


# ------------------------------------------------------------------------------------------------ propose


def propose_timelock(safe: ContractInstance, timelock: ContractInstance, calls: Sequence[Call], title: str, *,
                     delay: int | None = None, salt: bytes | None = None, nonce: int | None = None,
                     upgrade: UpgradePlan | None = None, simulate: bool = True) -> Proposal:
    """A Safe transaction scheduling ``calls`` on the timelock (``predecessor`` 0, a fresh salt unless given).

    With ``simulate`` each call is first run as the timelock would run it (``eth_call`` from the timelock), so a
    proposal that could never execute is refused now rather than after 48 hours.
    """
    from ape import chain

    if not calls:
        raise ProposalError("nothing to propose")
    min_delay = int(timelock.getMinDelay())
    delay = min_delay if delay is None else delay
    if delay < min_delay:
        raise ProposalError(f"delay {delay} s is below the timelock's minimum {min_delay} s")
    if simulate:
        for c in calls:
            _simulate(str(timelock.address), c)
    operation = Operation(calls=tuple(calls), salt=new_salt() if salt is None else HexBytes(salt))
    schedule = SafeTransaction.for_call(safe, timelock.address, operation.schedule_data(timelock, delay), nonce=nonce)
    return Proposal(
        kind=Kind.TIMELOCK, title=title, chain_id=chain.chain_id, safe=to_checksum_address(safe.address),
        timelock=to_checksum_address(timelock.address), safe_txs=[schedule], operation=operation, delay=delay,
        upgrade=None if upgrade is None else {"proxy": upgrade.proxy, "contract": upgrade.contract,
                                              "implementation": upgrade.implementation,
                                              "storage_layout": upgrade.layout.to_json()},
    )


def propose_guardian(safe: ContractInstance, timelock: ContractInstance, calls: Sequence[Call], title: str, *,
                     nonce: int | None = None, simulate: bool = True) -> Proposal:
    """Safe transactions acting at once (no timelock), consecutive nonces from ``nonce``."""
    from ape import chain

    if not calls:
        raise ProposalError("nothing to propose")
    if simulate:
        for c in calls:
            _simulate(str(safe.address), c)
    first = safe_state(safe).nonce if nonce is None else nonce
    txs = [SafeTransaction.for_call(safe, c.target, c.data, value=c.value, nonce=first + i)
           for i, c in enumerate(calls)]
    return Proposal(kind=Kind.GUARDIAN, title=title, chain_id=chain.chain_id, safe=to_checksum_address(safe.address),
                    timelock=to_checksum_address(timelock.address), safe_txs=txs,
                    operation=Operation(calls=tuple(calls)))


def propose_cancel(safe: ContractInstance, timelock: ContractInstance, proposal: Proposal, *,
                   nonce: int | None = None) -> Proposal:
    """The Safe (canceller) cancels a scheduled, not yet executed operation."""
    if proposal.operation is None or proposal.kind is not Kind.TIMELOCK:
        raise ProposalError("only timelock proposals can be cancelled")
    cancel = call(timelock, "cancel", proposal.operation.id, name="Timelock")
    return propose_guardian(safe, timelock, [cancel], f"cancel: {proposal.title}", nonce=nonce)


def _simulate(sender: str, c: Call) -> None:
    from ape import chain

    try:
        chain.provider.web3.eth.call({"from": sender, "to": c.target, "data": c.data, "value": c.value})
    except (Web3Exception, ValueError) as exc:  # web3's ContractLogicError carries the revert data
        raise ProposalError(f"{c.description or c.target} would revert when {sender} makes it: "
                            f"{decode_exception(exc)}") from exc


# ------------------------------------------------------------------------------------------------ sign


def sign_proposal(proposal: Proposal, signer: AccountAPI | str | bytes) -> ChecksumAddress:
    """Adds ``signer``'s signature (an ape account, or a raw private key) to every unexecuted Safe transaction."""
    owner = None
    for tx in proposal.safe_txs:
        if tx.executed_in is None:
            owner = tx.sign_with_key(signer) if isinstance(signer, str | bytes) else tx.sign_with_account(signer)
    if owner is None:
        raise ProposalError("nothing left to sign: every Safe transaction of this proposal was executed")
    return owner


# ------------------------------------------------------------------------------------------------ execute


@dataclass(frozen=True)
class Progress:
    """What ``execute_proposal`` did (``receipts``), where the proposal now stands, and whether it is done (every
    guardian transaction sent, or the timelock operation executed)."""

    receipts: list[ReceiptAPI]
    message: str
    done: bool = False


def execute_proposal(proposal: Proposal, safe: ContractInstance, timelock: ContractInstance,
                     sender: AccountAPI) -> Progress:
    """Takes the proposal as far as it can go now: executes signed Safe transactions in nonce order, then — for a
    timelock proposal whose delay has passed — the operation itself (directly if anyone may execute, else through a
    Safe transaction that owners sign; it is added to the proposal the first time)."""
    from ape import chain

    receipts = [execute_safe_transaction(safe, tx, sender) for tx in proposal.safe_txs if tx.executed_in is None]
    if proposal.kind is Kind.GUARDIAN:
        return Progress(receipts, f"executed {len(receipts)} Safe transaction(s)", done=True)
    assert proposal.operation is not None
    status = operation_status(timelock, proposal.operation.id)
    if status.state is OperationState.DONE:
        if proposal.executed_in is None and len(proposal.safe_txs) > 1:  # just executed through the Safe
            proposal.executed_in = proposal.safe_txs[-1].executed_in
        return Progress(receipts, "executed", done=True)
    now = chain.pending_timestamp  # the next block's time: what the timelock will compare with
    if status.state is OperationState.WAITING and (status.ready_at or 0) > now:
        return Progress(receipts, status.describe(now))
    if status.state is OperationState.UNSET:
        raise ProposalError("the operation is not scheduled: it was cancelled (or the schedule transaction failed)")
    if not executors_are_open(timelock):  # the Safe is the only executor: one more Safe transaction to sign
        proposal.safe_txs.append(SafeTransaction.for_call(safe, timelock.address,
                                                          proposal.operation.execute_data(timelock)))
        return Progress(receipts, "ready; the timelock's executor is the Safe: owners sign the execution "
                                  "transaction just added to the proposal, then run execute again")
    receipt = proposal.operation.execute(timelock, sender)
    proposal.executed_in = receipt.txn_hash
    return Progress([*receipts, receipt], "executed", done=True)


def record_upgrade(proposal: Proposal, record: Deployment, project: ProjectManager) -> bool:
    """After an upgrade proposal ran: the record now names the new implementation, version and layout."""
    if not proposal.upgrade:
        return False
    up = proposal.upgrade
    refresh_implementation(record, up["proxy"], project.get_contract(up["contract"]).contract_type,
                           StorageLayout.from_json(up["storage_layout"]))
    if record.contracts[up["proxy"]].implementation != to_checksum_address(up["implementation"]):
        raise ProposalError(f"{up['proxy']} does not run {up['implementation']} yet")
    return True


# ------------------------------------------------------------------------------------------------ status


@dataclass(frozen=True)
class SafeTxStatus:
    nonce: int
    safe_tx_hash: str
    signers: list[ChecksumAddress]
    threshold: int
    executed_in: str | None


@dataclass(frozen=True)
class ProposalStatus:
    proposal: Proposal
    safe_txs: list[SafeTxStatus]
    operation: OperationStatus | None
    safe_nonce: int

    def lines(self, now: int) -> list[str]:
        p = self.proposal
        out = [f"{p.title}  [{p.kind.value}]  id {p.id}"]
        if p.operation:
            out += [f"  call: {c.description or c.target}" for c in p.operation.calls]
        for tx in self.safe_txs:
            state = f"executed in {tx.executed_in}" if tx.executed_in else (
                f"{len(tx.signers)}/{tx.threshold} signatures" + ("" if tx.nonce >= self.safe_nonce else
                                                                  " (nonce already used: stale)"))
            out.append(f"  Safe tx nonce {tx.nonce} {tx.safe_tx_hash[:18]}…: {state}")
        if self.operation and p.kind is Kind.TIMELOCK:
            out.append(f"  timelock: {self.operation.describe(now)}")
        return out


def proposal_status(proposal: Proposal, safe: ContractInstance, timelock: ContractInstance) -> ProposalStatus:
    state = safe_state(safe)
    txs = [SafeTxStatus(tx.nonce, tx.hash.to_0x_hex(), sorted(tx.signatures), state.threshold, tx.executed_in)
           for tx in proposal.safe_txs]
    op = operation_status(timelock, proposal.operation.id) if proposal.kind is Kind.TIMELOCK and proposal.operation \
        else None
    return ProposalStatus(proposal=proposal, safe_txs=txs, operation=op, safe_nonce=state.nonce)
