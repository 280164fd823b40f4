"""The SDK client: one core (connection, chain, signer, reads, writes) with sub-APIs by concept attached to it.

>>> from disfruta import Disfruta
>>> client = Disfruta.connect("http://127.0.0.1:8545", "deployments/local.json", account=key)   # doctest: +SKIP
>>> receipt = client.loans.apply(amount=client.to_units(5_000), term_months=36)                  # doctest: +SKIP
>>> client.loans.get(receipt.return_value.loan_id).status                                       # doctest: +SKIP
<LoanStatus.PENDING: 0>
>>> page = client.loans.list(status=LoanStatus.FUNDING, limit=20)                                # doctest: +SKIP
>>> with client.batch() as batch:                # pipelined: sent back to back, receipts awaited together
...     for loan in page:
...         batch.loans.fund(loan.loan_id, client.to_units(25))                                   # doctest: +SKIP
>>> batch.report.ok                                                                              # doctest: +SKIP
True

Sub-APIs: ``loans`` (marketplace, one loan, schedule, every loan action), ``pool`` (cash account, auto-invest),
``market`` (the secondary market for notes), ``autopay`` (borrowers' direct debit), ``registry`` (users,
attestations, the admin path), ``treasury``, ``token``, ``lenders`` (portfolio), ``borrowers`` (dashboard),
``events`` (history, subscriptions). Amounts are integers in the token's smallest unit.

>>> seller.market.list(loan_id, notes=client.to_units(500), premium_bps=-300)   # a 3 % discount   # doctest: +SKIP
>>> buyer.market.buy(loan_id, seller.address, client.to_units(200))              # part of it       # doctest: +SKIP
>>> borrower.autopay.enrol(loan_id, cap=client.to_units(120))                                      # doctest: +SKIP
"""

from __future__ import annotations

import threading
from decimal import Decimal, localcontext
from pathlib import Path
from types import TracebackType
from typing import Any, Generic

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from disfruta.api.accounts import BorrowersAPI, LendersAPI
from disfruta.api.autopay import AutopayAPI
from disfruta.api.events import EventsAPI
from disfruta.api.loans import LoansAPI
from disfruta.api.market import MarketAPI
from disfruta.api.pool import PoolAPI
from disfruta.api.registry import RegistryAPI
from disfruta.api.session import BaseSession, PipelineSession, R, Session, Signer
from disfruta.api.token import TokenAPI
from disfruta.api.treasury import TreasuryAPI
from disfruta.core import Core
from disfruta.errors import ConfigurationError
from disfruta.index_source import IndexClient, IndexSource
from disfruta.models import Deployment, Receipt
from disfruta.multicall import MULTICALL3_ADDRESS
from disfruta.rpc import Rpc
from disfruta.tx import BatchReport, PendingTransaction


class _Modules(Generic[R]):
    """The sub-APIs over one session (a waiting one for the client, a pipelined one inside a batch)."""

    def _attach(self, session: BaseSession[R], shared: _Shared) -> None:
        self.session: BaseSession[R] = session
        self.core: Core = session.core
        self.token: TokenAPI[R] = TokenAPI(session, session.core.address("asset"))
        self.loans: LoansAPI[R] = LoansAPI(session, self.token, shared.loan_addresses, shared.lock)
        self.pool: PoolAPI[R] = PoolAPI(session, self.token, self.loans)
        self.registry: RegistryAPI[R] = RegistryAPI(session)
        self.treasury: TreasuryAPI[R] = TreasuryAPI(session, self.token)
        self.market: MarketAPI[R] = MarketAPI(session, self.token, self.loans)
        self.autopay: AutopayAPI[R] = AutopayAPI(session, self.token, self.loans)
        self.lenders: LendersAPI[R] = LendersAPI(session, self.loans, self.pool)
        self.borrowers: BorrowersAPI[R] = BorrowersAPI(session, self.loans, self.autopay)
        self.events = EventsAPI(session.core)

    @property
    def address(self) -> str:
        """The signing account's address (``ConfigurationError`` when the client has none)."""
        return self.session.address


class _Shared:
    """What every account view of one client shares (besides the core)."""

    def __init__(self) -> None:
        self.loan_addresses: dict[int, str] = {}
        self.lock = threading.Lock()


class Disfruta(_Modules[Receipt]):
    """Client of one Disfruta market. Writes wait for their receipt and return it (a revert raises the contract's
    custom error as a typed exception); ``batch()`` pipelines them."""

    def __init__(self, core: Core, account: Signer | None = None, *, simulate: bool = True,
                 approve_max: bool = False, _shared: _Shared | None = None) -> None:
        self._shared = _shared or _Shared()
        self._attach(Session(core, account, simulate=simulate, approve_max=approve_max), self._shared)
        self.decimals = core.decimals
        self.account = account

    # ------------------------------------------------------------------------------------------- construction

    @classmethod
    def connect(cls, url: str, deployment: str | Path | Deployment | dict[str, Any] | None = None,
                account: Signer | bytes | None = None, *, simulate: bool = True, approve_max: bool = False,
                retries: int = 3,
                multicall: str | None = MULTICALL3_ADDRESS, fee_ttl: float = 2.0, receipt_timeout: float = 120.0,
                timeout: float = 30.0, max_log_range: int | None = None,
                index: str | IndexSource | None = None) -> Disfruta:
        """Connects to a node by RPC URL (``http(s)://`` or ``ws(s)://``) for the market in ``deployment`` (a
        deployment file, its parsed dict or a `Deployment`). ``account``: a private key (hex or bytes) or
        `LocalAccount` that signs here, or the address of an account the node has unlocked. ``simulate``: estimate
        (simulate) every single write first, so a revert raises before anything is spent. ``approve_max``: approve a
        spender once for good instead of exactly what each write spends (one transaction instead of two for a bot
        that repays or funds often; the trade-off is a standing allowance). ``max_log_range``: the most blocks one
        ``eth_getLogs`` may span on this provider (a query refused as too large is split either way). ``index``: the
        URL of the market's index API (``disfruta index serve``) or an `IndexSource` such as
        ``disfruta.index.local.LocalIndex.open("index.db")``: listings, portfolios and the keeper then ask it which
        loans to read (see `disfruta.index_source`). Without ``deployment``, the market the SDK's address book
        (`disfruta.addressbook`) has for the node's chain id."""
        rpc = Rpc.from_url(url, timeout=timeout, retries=retries)
        if deployment is None:
            from disfruta.addressbook import deployment_for_chain

            dep = deployment_for_chain(int(rpc.request("eth_chainId"), 16))
        else:
            dep = deployment if isinstance(deployment, Deployment) else (
                Deployment.from_dict(deployment) if isinstance(deployment, dict) else Deployment.from_file(deployment))
        core = Core(rpc, dep, multicall=multicall, fee_ttl=fee_ttl, receipt_timeout=receipt_timeout,
                    max_log_range=max_log_range)
        core.index = IndexClient(index) if isinstance(index, str) else index
        return cls(core, _signer(account), simulate=simulate, approve_max=approve_max)

    @classmethod
    def from_web3(cls, w3: Web3, deployment: Deployment, account: Signer | bytes | None = None,
                  **kwargs: Any) -> Disfruta:
        """A client over an existing web3 connection (its provider is used directly)."""
        simulate = kwargs.pop("simulate", True)
        approve_max = kwargs.pop("approve_max", False)
        index = kwargs.pop("index", None)
        core = Core(Rpc(w3), deployment, **kwargs)
        core.index = IndexClient(index) if isinstance(index, str) else index
        return cls(core, _signer(account), simulate=simulate, approve_max=approve_max)

    def as_account(self, account: Signer | bytes) -> Disfruta:
        """The same client acting as another account (shares the connection, nonces, fees and caches)."""
        other = object.__new__(type(self))
        other._shared = self._shared
        other._attach(Session(self.core, _signer(account), simulate=self.session.simulate,
                              approve_max=self.session.approve_max), self._shared)
        other.decimals = self.decimals
        other.account = _signer(account)
        return other

    def batch(self, *, simulate: bool = False, timeout: float | None = None) -> Batch:
        """A pipeline: writes made through it are sent back to back (no waiting between them) and their receipts
        awaited together when the ``with`` block ends; ``batch.report`` has each one's receipt or decoded error.
        Without ``simulate`` the gas limit comes from what the call shape needed before (or a safe limit), so
        sends don't wait on an estimate; with it, each write is estimated (simulated) first."""
        return Batch(self, simulate=simulate, timeout=timeout)

    @property
    def rpc(self) -> Rpc:
        return self.core.rpc

    @property
    def deployment(self) -> Deployment:
        return self.core.deployment

    @property
    def chain_id(self) -> int:
        return self.core.chain_id

    def close(self) -> None:
        provider = self.core.rpc.provider
        session = getattr(provider, "_request_session_manager", None)
        cache = getattr(session, "session_cache", None)
        if cache is not None:
            for s in list(cache.values()):
                s.close()

    def __enter__(self) -> Disfruta:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------- units

    def to_units(self, amount: float | str | Decimal) -> int:
        """Whole tokens (``"12.5"``) to integer token units; refuses more decimals than the token has."""
        with localcontext() as ctx:
            ctx.prec = 200  # exact: the default 28 digits would round an 18-decimal amount above 10 billion
            try:
                value = Decimal(str(amount)).scaleb(self.decimals)
            except ArithmeticError:
                raise ValueError(f"not an amount: {amount!r}") from None
            if not value.is_finite():
                raise ValueError(f"not an amount: {amount!r}")
            if value != value.to_integral_value():
                raise ValueError(f"{amount} has more than {self.decimals} decimals")
            return int(value)

    def from_units(self, units: int) -> Decimal:
        """Integer token units to whole tokens, exactly."""
        with localcontext() as ctx:
            ctx.prec = 200
            return Decimal(units) / (Decimal(10) ** self.decimals)


class Batch(_Modules[PendingTransaction]):
    """``with client.batch() as b:`` — the client's sub-APIs, pipelined (see `Disfruta.batch`)."""

    def __init__(self, client: Disfruta, *, simulate: bool, timeout: float | None) -> None:
        self._session = PipelineSession(client.core, client.account, simulate=simulate,
                                        approve_max=client.session.approve_max)
        self._attach(self._session, client._shared)
        self._timeout = timeout
        self.report = self._session.report

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Whatever was sent is awaited even when the block raised: every transaction's outcome is reported.
        self.wait()

    def wait(self) -> BatchReport:
        return self._session.finish(self._timeout)


def _signer(account: Signer | bytes | None) -> Signer | None:
    """A private key (hex string of 32 bytes, or bytes) becomes a `LocalAccount`; an address stays an address."""
    if account is None or isinstance(account, LocalAccount):
        return account
    if isinstance(account, (bytes, bytearray)):
        return _key(bytes(account).hex())
    text = account.strip()
    body = text[2:] if text.lower().startswith("0x") else text
    if len(body) == 40:
        if not _is_hex(body):
            raise ConfigurationError(f"not an address: {account!r} (40 hexadecimal digits after 0x)")
        return Web3.to_checksum_address("0x" + body)
    return _key(body)


def _key(body: str) -> LocalAccount:
    if len(body) != 64 or not _is_hex(body):
        raise ConfigurationError("not a private key: expected 32 bytes as 64 hexadecimal digits (with or without "
                                 f"0x), got {len(body)} characters")
    try:
        return Account.from_key("0x" + body)
    except (ValueError, TypeError):
        raise ConfigurationError("not a valid private key: zero or not below the secp256k1 curve order") from None


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
