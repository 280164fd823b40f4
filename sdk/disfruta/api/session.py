"""What every sub-API holds: the core, the signing account, and how its writes are sent.

A `Session` sends each write and waits for its receipt (writes return `Receipt`); a `PipelineSession` (inside
``client.batch()``) sends each write at once and returns a `PendingTransaction`, all awaited together when the
batch ends. The sub-APIs are generic in that result type, so both are typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from disfruta.core import Core
from disfruta.errors import ConfigurationError
from disfruta.models import Receipt
from disfruta.tx import BatchReport, PendingTransaction, TxCall

R = TypeVar("R", Receipt, PendingTransaction)
Signer = LocalAccount | str


class BaseSession(Generic[R]):
    def __init__(self, core: Core, signer: Signer | None, *, simulate: bool, approve_max: bool = False) -> None:
        self.core = core
        self.signer = signer
        self.simulate = simulate
        # Approvals: exactly what each write spends (the default), or once for good (bots that repay or fund often).
        self.approve_max = approve_max
        # Pipelines: the allowance left by (token, owner, spender) after the writes already sent in this batch.
        self.approved: dict[tuple[str, str, str], int] = {}
        self.tracks_allowances = False

    @property
    def address(self) -> str:
        if self.signer is None:
            raise ConfigurationError("this client has no account: pass account= (a private key or an unlocked "
                                     "node address), or use client.as_account(...)")
        return self.signer.address if isinstance(self.signer, LocalAccount) else to_checksum_address(self.signer)

    def _require_signer(self) -> Signer:
        if self.signer is None:
            raise ConfigurationError("this client has no account: pass account= (a private key or an unlocked "
                                     "node address), or use client.as_account(...)")
        return self.signer

    def send(self, call: TxCall, *, post: Callable[[Receipt], Receipt] | None = None,
             gas: int | None = None) -> R:
        raise NotImplementedError


class Session(BaseSession[Receipt]):
    """Sends a write and waits: returns the `Receipt`, or raises the transaction's decoded error."""

    def send(self, call: TxCall, *, post: Callable[[Receipt], Receipt] | None = None,
             gas: int | None = None) -> Receipt:
        pending = self.core.submit(call, self._require_signer(), simulate=self.simulate, gas=gas)
        pending.post = post
        self.core.sender.wait([pending])
        return pending.receipt


class PipelineSession(BaseSession[PendingTransaction]):
    """Sends each write at once (nonces counted locally) and collects them; `finish` awaits every receipt."""

    def __init__(self, core: Core, signer: Signer | None, *, simulate: bool, approve_max: bool = False) -> None:
        super().__init__(core, signer, simulate=simulate, approve_max=approve_max)
        self.report = BatchReport()
        self.tracks_allowances = True

    def send(self, call: TxCall, *, post: Callable[[Receipt], Receipt] | None = None,
             gas: int | None = None) -> PendingTransaction:
        pending = self.core.submit(call, self._require_signer(), simulate=self.simulate, gas=gas)
        pending.post = post
        self.report.transactions.append(pending)
        return pending

    def finish(self, timeout: float | None = None) -> BatchReport:
        self.core.sender.wait(self.report.transactions, timeout)
        return self.report


def with_return_value(value: Callable[[Receipt], Any]) -> Callable[[Receipt], Receipt]:
    """A receipt post-processor that sets ``return_value`` from the receipt's events."""

    def post(receipt: Receipt) -> Receipt:
        return Receipt(receipt.tx_hash, receipt.block, receipt.gas_used, receipt.events, value(receipt),
                       receipt.effective_gas_price, receipt.function)

    return post
