"""Exceptions of the SDK: one root, and every contract custom error as a typed exception with decoded values.

>>> try:
...     client.fund(loan, 10)                                  # doctest: +SKIP
... except LoanNotMultipleOfNote as err:
...     print(err.values["minNote"])

The one revert decoder of the package: `decode_revert` turns revert data into the contract's custom error (every
error of every contract in the packaged manifest, OpenZeppelin's and the timelock's included), a `RevertError`
(``Error(string)``, e.g. a Safe's ``GS013``) or a `PanicError` (``Panic(uint256)``); `revert_data` digs the data out of
a web3 or ape exception, and `decode_exception` does both.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from disfruta.abi import _canonical_type, error_selectors


class DisfrutaError(Exception):
    """Root of every error the SDK raises."""


class ConfigurationError(DisfrutaError):
    """A deployment file, network or account is missing or inconsistent."""


class TransactionError(DisfrutaError):
    """A transaction could not be sent or was dropped, or reverted without a known reason."""


class RevertError(TransactionError):
    """A call reverted with a reason string (``Error(string)``: ``require(cond, "reason")``, a Safe's ``GS013``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"reverted: {reason}")


class PanicError(TransactionError):
    """A call reverted with ``Panic(uint256)``: a failed assert, an overflow, a division by zero …; ``code``."""

    CODES = {
        0x00: "generic compiler panic", 0x01: "assertion failed", 0x11: "arithmetic overflow or underflow",
        0x12: "division or modulo by zero", 0x21: "conversion to an invalid enum value",
        0x22: "incorrectly encoded storage byte array", 0x31: "pop() on an empty array",
        0x32: "array index out of bounds", 0x41: "too much memory allocated",
        0x51: "call to a zero-initialised internal function",
    }

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"Panic(0x{code:02x}): {self.CODES.get(code, 'unknown panic code')}")


class ContractError(DisfrutaError):
    """A contract reverted with a custom error; ``values`` holds its decoded arguments by name."""

    error_name: str = ""
    selector: bytes = b""

    def __init__(self, values: dict[str, Any] | None = None, message: str | None = None) -> None:
        self.values = values or {}
        detail = ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())
        super().__init__(message or f"{self.error_name}({detail})")


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return HexBytes(value).to_0x_hex()
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(_show(v) for v in value)}]"
    return str(value)


class LoanError(ContractError):
    """Errors of `Loan`."""


class LoanFactoryError(ContractError):
    """Errors of `LoanFactory`."""


class RegistryError(ContractError):
    """Errors of `UserRegistry`."""


class PoolError(ContractError):
    """Errors of `LendingPool`."""


class TreasuryError(ContractError):
    """Errors of `Treasury`."""


class MarketError(ContractError):
    """Errors of `NoteMarket` (the secondary market for notes)."""


class AutopayError(ContractError):
    """Errors of `Autopay` (borrowers' direct debit)."""


class InterestMathError(ContractError):
    """Errors of the interest math (bad terms)."""


class TimelockError(ContractError):
    """Errors of the governance timelock (OpenZeppelin's ``TimelockController``)."""


class AccessError(ContractError):
    """OpenZeppelin access-control, pause, initialisation, upgrade (UUPS, ERC-1967) and token errors."""


_FAMILIES: tuple[tuple[str, type[ContractError]], ...] = (
    ("LoanFactory", LoanFactoryError),
    ("Loan", LoanError),
    ("UserRegistry", RegistryError),
    ("Pool", PoolError),
    ("Treasury", TreasuryError),
    ("Market", MarketError),
    ("Autopay", AutopayError),
    ("InterestMath", InterestMathError),
    ("InterestCalculator", InterestMathError),
    ("Timelock", TimelockError),
)


@lru_cache(maxsize=1)
def _error_classes() -> dict[str, type[ContractError]]:
    """A ``ContractError`` subclass per custom error name, created from the packaged ABIs."""
    classes: dict[str, type[ContractError]] = {}
    for selector, item in error_selectors().items():
        name = item["name"]
        if name in classes:
            continue
        base = next((cls for prefix, cls in _FAMILIES if name.startswith(prefix)), AccessError)
        classes[name] = type(name, (base,), {"error_name": name, "selector": selector, "__module__": __name__})
    return classes


_CLASSES_LOCK = threading.Lock()


def error_classes() -> dict[str, type[ContractError]]:
    """A ``ContractError`` subclass per custom error name, created from the packaged ABIs once (under a lock, so
    two threads never get two different classes for one error)."""
    with _CLASSES_LOCK:
        return _error_classes()


def __getattr__(name: str) -> type[ContractError]:
    """``from disfruta.errors import LoanInvalidStatus`` works for every custom error in the ABIs."""
    classes = error_classes()
    if name in classes:
        return classes[name]
    raise AttributeError(name)


ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


def decode_revert(data: bytes | str | None) -> DisfrutaError:
    """Turns revert data into the matching typed exception: the contract's custom error, a `RevertError`
    (``Error(string)``), a `PanicError` (``Panic(uint256)``), or a ``TransactionError`` when unknown."""
    raw = bytes(HexBytes(data or b""))
    if len(raw) < 4:
        return TransactionError("the transaction reverted without a reason")
    selector, payload = raw[:4], raw[4:]
    try:
        if selector == ERROR_STRING_SELECTOR:
            (raw_reason,) = decode(["bytes"], payload)  # any contract may revert with bytes that aren't UTF-8
            return RevertError(bytes(raw_reason).decode("utf-8", errors="replace"))
        if selector == PANIC_SELECTOR:
            (code,) = decode(["uint256"], payload)
            return PanicError(code)
        item = error_selectors().get(selector)
        if item is None:
            return TransactionError(f"reverted with unknown error data {HexBytes(raw).to_0x_hex()}")
        types = [_canonical_type(i) for i in item["inputs"]]
        decoded = decode(types, payload)
    except DecodingError:
        return TransactionError(f"reverted with malformed error data {HexBytes(raw).to_0x_hex()}")
    values = {
        i["name"] or f"arg{n}": _checksummed(i["type"], v)
        for n, (i, v) in enumerate(zip(item["inputs"], decoded))
    }
    return error_classes()[item["name"]](values)


def _checksummed(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type == "address[]":
        return [to_checksum_address(v) for v in value]
    return value


def revert_data(exc: BaseException) -> bytes:
    """The raw revert data a web3 or ape exception carries (``b""`` when it has none): web3's ``ContractLogicError``
    / ``ContractCustomError`` ``.data``, a JSON-RPC error's ``data`` (also nested ``{"data": "0x…"}``), ape's
    ``revert_message``, looking through the exceptions it wraps (``base_err``, ``__cause__``, ``__context__``)."""
    seen: set[int] = set()
    queue: list[BaseException] = [exc]
    while queue:
        err = queue.pop(0)
        if id(err) in seen:
            continue
        seen.add(id(err))
        rpc = getattr(err, "rpc_response", None)
        candidates = [getattr(err, attr, None) for attr in ("data", "revert_message", "message")]
        candidates += [rpc.get("error") if isinstance(rpc, dict) else None, *err.args]
        for value in candidates:
            raw = _revert_bytes(value)
            if raw:
                return raw
        queue += [e for e in (getattr(err, "base_err", None), err.__cause__, err.__context__)
                  if isinstance(e, BaseException)]
    return b""


def _revert_bytes(value: Any, depth: int = 0) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) >= 10:
        try:
            return bytes(HexBytes(value))
        except (ValueError, TypeError):
            return b""
    if isinstance(value, dict) and depth < 3:
        return _revert_bytes(value.get("data"), depth + 1)
    return b""


def decode_exception(exc: BaseException) -> DisfrutaError:
    """The typed error behind a web3 or ape exception: its revert data decoded (`decode_revert`), else a
    ``TransactionError`` with the exception's own text. A `DisfrutaError` is returned as is."""
    if isinstance(exc, DisfrutaError):
        return exc
    data = revert_data(exc)
    return decode_revert(data) if data else TransactionError(str(exc) or type(exc).__name__)
