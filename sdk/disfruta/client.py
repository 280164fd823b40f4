"""The SDK client: one object per network and deployment.

>>> from disfruta import Disfruta
>>> client = Disfruta.connect("http://127.0.0.1:8545", "deployments/local.json", account=key)   # doctest: +SKIP
>>> loan = client.apply(amount=client.to_units(5_000), term_months=36)                          # doctest: +SKIP
>>> client.loan(loan.loan_id).status                                                            # doctest: +SKIP
<LoanStatus.PENDING: 0>

Building, estimating and sending are separate steps: every write first estimates gas (a revert surfaces here, as the
contract's custom error decoded into a typed exception), then signs (a local key) or asks the node to (an unlocked
dev account), then waits for the receipt, retrying when the connection drops.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import requests
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import Web3
from web3._utils.events import get_event_data
from web3.types import RPCEndpoint
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    LogTopicError,
    MismatchedABI,
    TimeExhausted,
    TransactionNotFound,
)

from disfruta.abi import abi_of
from disfruta.actions import ActionsMixin
from disfruta.errors import ConfigurationError, TransactionError, decode_revert
from disfruta.models import Deployment, Event, Receipt
from disfruta.reads import ReadsMixin

CONTRACTS = ("UserRegistry", "LoanFactory", "Treasury", "LendingPool")
_RETRYABLE = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)


class Disfruta(ActionsMixin, ReadsMixin):
    """Client of one Disfruta market. Amounts are integers in the token's smallest unit (see `to_units`)."""

    def __init__(self, w3: Web3, deployment: Deployment, account: LocalAccount | str | None = None, *,
                 retries: int = 3, receipt_timeout: float = 120.0) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.retries = retries
        self.receipt_timeout = receipt_timeout
        self._provider_ctx: AbstractContextManager[Any] | None = None
        # Called with (function name, receipt) after every mined transaction: gas accounting, logging.
        self.on_receipt: Callable[[str, Receipt], None] | None = None
        # A connection's chain id never changes, but web3's validation asks the node for it before every call and
        # gas estimate that names a chainId: let the provider cache that one answer (nothing else is cached).
        w3.provider.cache_allowed_requests = True
        w3.provider.cacheable_requests = {RPCEndpoint("eth_chainId")}
        chain_id = w3.eth.chain_id
        if chain_id != deployment.chain_id:
            raise ConfigurationError(f"the node is on chain {chain_id} but the deployment is for {deployment.chain_id}")
        self.account = account
        self.registry = self.contract("UserRegistry", deployment.address("UserRegistry"))
        self.factory = self.contract("LoanFactory", deployment.address("LoanFactory"))
        self.treasury = self.contract("Treasury", deployment.address("Treasury"))
        self.pool = self.contract("LendingPool", deployment.address("LendingPool"))
        self.token = self.contract("MockERC20", deployment.address("asset"))
        self.decimals: int = self.token.functions.decimals().call()
        self._events_by_topic = self._index_events()

    # ------------------------------------------------------------------------------------------- construction

    @classmethod
    def connect(cls, network: str, deployment: str | Path | Deployment | dict[str, Any],
                account: LocalAccount | str | None = None, **kwargs: Any) -> Disfruta:
        """Connects to an RPC URL (``http://…``, ``ws://…``) or an ape network choice (``ethereum:local:foundry``)."""
        dep = deployment if isinstance(deployment, Deployment) else (
            Deployment.from_dict(deployment) if isinstance(deployment, dict) else Deployment.from_file(deployment))
        ctx = None
        if network.startswith(("http://", "https://")):
            w3 = Web3(Web3.HTTPProvider(network, request_kwargs={"timeout": 30}))
        elif network.startswith(("ws://", "wss://")):
            w3 = Web3(Web3.LegacyWebSocketProvider(network))
        else:
            import ape  # only for ape network choices: importing ape is slow

            ctx = ape.networks.parse_network_choice(network)
            provider = ctx.__enter__()
            w3 = provider.web3
        if not w3.is_connected():
            raise ConfigurationError(f"cannot reach a node at {network}")
        client = cls(w3, dep, account, **kwargs)
        client._provider_ctx = ctx
        return client

    def as_account(self, account: LocalAccount | str) -> Disfruta:
        """The same client acting as another account (shares the connection)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.account = account
        return other

    def close(self) -> None:
        if self._provider_ctx is not None:
            self._provider_ctx.__exit__(None, None, None)
            self._provider_ctx = None

    def contract(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=abi_of(name))

    def loan_contract(self, loan: int | str) -> Any:
        """A `Loan` by id or address."""
        if isinstance(loan, int):
            address = self.factory.functions.loans(loan).call()
            if int(address, 16) == 0:
                raise ConfigurationError(f"there is no loan #{loan}")
            return self.contract("Loan", address)
        return self.contract("Loan", loan)

    # ------------------------------------------------------------------------------------------- units

    def to_units(self, amount: int | float | str | Decimal) -> int:
        """Whole tokens (``"12.5"``) to integer token units; refuses more decimals than the token has."""
        value = Decimal(str(amount)) * (Decimal(10) ** self.decimals)
        if value != value.to_integral_value():
            raise ValueError(f"{amount} has more than {self.decimals} decimals")
        return int(value)

    def from_units(self, units: int) -> Decimal:
        return Decimal(units) / (Decimal(10) ** self.decimals)

    # ------------------------------------------------------------------------------------------- accounts

    @property
    def address(self) -> str:
        if self.account is None:
            raise ConfigurationError("this client has no account: pass account= (a key or an unlocked address)")
        return self.account.address if isinstance(self.account, LocalAccount) else to_checksum_address(self.account)

    @staticmethod
    def local_account(private_key: str | bytes) -> LocalAccount:
        return Account.from_key(private_key)

    # ------------------------------------------------------------------------------------------- transactions

    def estimate(self, fn: Any) -> int:
        """Gas the call would use now; raises the contract's typed error if it would revert."""
        try:
            return int(fn.estimate_gas({"from": self.address}))
        except (ContractCustomError, ContractLogicError) as exc:
            raise decode_revert(getattr(exc, "data", None)) from None

    def send(self, fn: Any, *, gas: int | None = None) -> Receipt:
        """Estimates, signs or asks the node to sign, sends, waits (retrying on a dropped connection)."""
        gas = gas or int(self.estimate(fn) * 1.2) + 10_000
        params: dict[str, Any] = {"from": self.address, "gas": gas, "chainId": self.deployment.chain_id}
        tx_hash = self._retry(lambda: self._send_once(fn, params))
        receipt = self._retry(lambda: self.w3.eth.wait_for_transaction_receipt(tx_hash, self.receipt_timeout,
                                                                             poll_latency=0.02))
        if receipt["status"] != 1:
            raise self._failure_reason(fn, params, receipt["blockNumber"])
        result = Receipt(tx_hash=tx_hash.hex() if isinstance(tx_hash, bytes) else str(tx_hash),
                         block=receipt["blockNumber"], gas_used=receipt["gasUsed"],
                         events=self.decode_logs(receipt["logs"]))
        if self.on_receipt is not None:
            self.on_receipt(fn.fn_name, result)
        return result

    def _send_once(self, fn: Any, params: dict[str, Any]) -> Any:
        if isinstance(self.account, LocalAccount):
            params = {**params, "nonce": self.w3.eth.get_transaction_count(self.address, "pending")}
            tx = fn.build_transaction(params)
            signed = self.account.sign_transaction(tx)
            return self.w3.eth.send_raw_transaction(signed.raw_transaction)
        return fn.transact(params)

    def _failure_reason(self, fn: Any, params: dict[str, Any], block: int) -> Exception:
        try:
            fn.call({k: v for k, v in params.items() if k != "chainId"}, block_identifier=block)
        except (ContractCustomError, ContractLogicError) as exc:
            return decode_revert(getattr(exc, "data", None))
        return TransactionError("the transaction reverted (out of gas or a state change since the estimate)")

    def _retry(self, action: Callable[[], Any]) -> Any:
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                return action()
            except (ContractCustomError, ContractLogicError) as exc:
                raise decode_revert(getattr(exc, "data", None)) from None
            except (*_RETRYABLE, TransactionNotFound, TimeExhausted) as exc:
                if attempt == self.retries:
                    raise TransactionError(f"giving up after {attempt + 1} attempts: {exc}") from exc
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------------------------------- events

    def _index_events(self) -> dict[bytes, dict[str, Any]]:
        index: dict[bytes, dict[str, Any]] = {}
        for name in (*CONTRACTS, "Loan", "MockERC20"):
            for item in abi_of(name):
                if item["type"] == "event":
                    index.setdefault(bytes(event_abi_to_log_topic(item)), item)
        return index

    def decode_logs(self, logs: list[Any]) -> list[Event]:
        """Decodes every log of a Disfruta contract (loans included); others are skipped."""
        events = []
        for log in logs:
            if not log["topics"]:
                continue
            item = self._events_by_topic.get(bytes(log["topics"][0]))
            if item is None:
                continue
            try:
                data = get_event_data(self.w3.codec, item, log)
            except (MismatchedABI, LogTopicError, DecodingError):  # same topic, other indexing: not ours
                continue
            events.append(Event(name=data["event"], address=data["address"], args=dict(data["args"]),
                                block=data["blockNumber"], tx_hash=data["transactionHash"].hex(),
                                log_index=data["logIndex"]))
        return events

    def subscribe(self, names: list[str] | None, callback: Callable[[Event], None], *,
                  from_block: int | None = None, poll_interval: float = 1.0) -> Any:
        """Calls ``callback`` with each new event named in ``names`` (default: the loan lifecycle's events)."""
        from disfruta.events import subscribe

        return subscribe(self, names, callback, from_block=from_block, poll_interval=poll_interval)

    def get_events(self, names: list[str] | None = None, from_block: int | None = None,
                   to_block: int | str = "latest", address: str | list[str] | None = None) -> list[Event]:
        """Decoded events of the market in a block range (default: since the deployment)."""
        params: dict[str, Any] = {"fromBlock": self.deployment.block if from_block is None else from_block,
                                  "toBlock": to_block}
        if names:
            topics = [t for t, item in self._events_by_topic.items() if item["name"] in names]
            params["topics"] = [[Web3.to_hex(t) for t in topics]]
        if address is not None:
            params["address"] = address
        events = self.decode_logs(self.w3.eth.get_logs(params))
        return [e for e in events if not names or e.name in names]
