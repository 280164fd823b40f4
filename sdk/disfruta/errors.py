"""Exceptions of the SDK: one root, and every contract custom error as a typed exception with decoded values.

>>> try:
...     client.fund(loan, 10)                                  # doctest: +SKIP
... except LoanNotMultipleOfNote as err:
...     print(err.values["minNote"])
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eth_abi import decode
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from disfruta.abi import _canonical_type, error_selectors


class DisfrutaError(Exception):
    """Root of every error the SDK raises."""


class ConfigurationError(DisfrutaError):
    """A deployment file, network or account is missing or inconsistent."""


class TransactionError(DisfrutaError):
    """A transaction could not be sent or was dropped, or reverted without a known reason."""


class ContractError(DisfrutaError):
    """A contract reverted with a custom error; ``values`` holds its decoded arguments by name."""

    error_name: str = ""
    selector: bytes = b""

    def __init__(self, values: dict[str, Any] | None = None, message: str | None = None) -> None:
        self.values = values or {}
        detail = ", ".join(f"{k}={v}" for k, v in self.values.items())
        super().__init__(message or f"{self.error_name}({detail})")


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


class InterestMathError(ContractError):
    """Errors of the interest math (bad terms)."""


class AccessError(ContractError):
    """OpenZeppelin access-control, pause, initialisation and token errors."""


_FAMILIES: tuple[tuple[str, type[ContractError]], ...] = (
    ("LoanFactory", LoanFactoryError),
    ("Loan", LoanError),
    ("UserRegistry", RegistryError),
    ("Pool", PoolError),
    ("Treasury", TreasuryError),
    ("InterestMath", InterestMathError),
    ("InterestCalculator", InterestMathError),
)


@lru_cache(maxsize=1)
def error_classes() -> dict[str, type[ContractError]]:
    """A ``ContractError`` subclass per custom error name, created from the packaged ABIs."""
    classes: dict[str, type[ContractError]] = {}
    for selector, item in error_selectors().items():
        name = item["name"]
        if name in classes:
            continue
        base = next((cls for prefix, cls in _FAMILIES if name.startswith(prefix)), AccessError)
        classes[name] = type(name, (base,), {"error_name": name, "selector": selector, "__module__": __name__})
    return classes


def __getattr__(name: str) -> type[ContractError]:
    """``from disfruta.errors import LoanInvalidStatus`` works for every custom error in the ABIs."""
    classes = error_classes()
    if name in classes:
        return classes[name]
    raise AttributeError(name)


def decode_revert(data: bytes | str | None) -> DisfrutaError:
    """Turns revert data into the matching typed exception (or a ``TransactionError`` when unknown)."""
    raw = HexBytes(data or b"")
    if len(raw) < 4:
        return TransactionError("the transaction reverted without a reason")
    item = error_selectors().get(bytes(raw[:4]))
    if item is None:
        if raw[:4] == HexBytes("0x08c379a0"):
            (reason,) = decode(["string"], bytes(raw[4:]))
            return TransactionError(f"reverted: {reason}")
        return TransactionError(f"reverted with unknown error data {raw.hex()}")
    types = [_canonical_type(i) for i in item["inputs"]]
    decoded = decode(types, bytes(raw[4:]))
    values = {
        i["name"] or f"arg{n}": to_checksum_address(v) if i["type"] == "address" else v
        for n, (i, v) in enumerate(zip(item["inputs"], decoded, strict=False))
    }
    return error_classes()[item["name"]](values)
