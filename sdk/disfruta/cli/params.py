"""Parameter types of the CLI: each bad value becomes a one-line error naming the parameter."""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import click

DEFAULT_RPC = "http://127.0.0.1:8545"
DEFAULT_DEPLOYMENT = "deployments/local.json"
LOCAL_CHAIN_IDS = (31337, 1337)
DAY = 86_400

# Where the keeper records the autopay collections it could not make (`disfruta.api.autopay.AutopayLog`): `keeper run`
# writes it, `autopay status` and `borrower show` read it while the keeper runs.
AUTOPAY_LOG = click.option("--autopay-log", type=click.Path(dir_okay=False), envvar="DISFRUTA_AUTOPAY_LOG",
                           default=None, help="The keeper's autopay log, a JSON file of its failed collections (or "
                                              "$DISFRUTA_AUTOPAY_LOG).")


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


class PremiumType(click.ParamType):
    """A listing's premium in percent of the notes' outstanding principal, signed (``-3`` = a 3 % discount, ``2.5`` =
    a 2.5 % premium) → basis points, -99.99 … 100."""

    name = "percent"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            pct = Decimal(str(value).strip().removesuffix("%"))
        except InvalidOperation:
            pct = Decimal(-1000)
        if not pct.is_finite() or not Decimal("-99.99") <= pct <= 100:
            self.fail(f"{_label(param, 'premium')} is a percent of the notes' outstanding principal from -99.99 (a "
                      f"discount) to 100 (a premium), got {value!r}", param, ctx)
        bps = pct * 100
        if bps != bps.to_integral_value():
            self.fail(f"{_label(param, 'premium')} has at most two decimals (basis points), got {value!r}", param, ctx)
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
PREMIUM = PremiumType()
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
        if "status" in key.lower() and exc.error_name.startswith(("Loan", "Market")) and isinstance(value, int):
            try:
                values[key] = LoanStatus(value).name.lower()
            except ValueError:
                pass
        elif exc.error_name == "AutopayNotCollectable" and key == "reason" and isinstance(value, int):
            from disfruta.models import Refusal

            try:
                values[key] = Refusal(value).name.lower()
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
