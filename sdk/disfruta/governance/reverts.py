"""Readable revert reasons for calls made outside ape's contract objects (a Safe's inner call, a raw ``eth_call``):
custom errors of every compiled project contract, ``Error(string)`` and ``Panic(uint256)``."""

from __future__ import annotations

from functools import cache

from eth_abi import decode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

_ERROR_STRING = keccak(text="Error(string)")[:4]
_PANIC = keccak(text="Panic(uint256)")[:4]


@cache
def _project_errors() -> dict[bytes, tuple[str, list[str], list[str]]]:
    """selector → (name, input names, input types) over every contract in the ape project."""
    from ape import project

    out: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for contract_type in project.contracts.values():
        for err in contract_type.errors:
            selector = keccak(text=err.selector)[:4]
            out[selector] = (err.name, [i.name or f"arg{n}" for n, i in enumerate(err.inputs)],
                             [i.canonical_type for i in err.inputs])
    return out


def revert_data(exc: BaseException) -> bytes:
    """The raw revert data a web3 / ape exception carries, or ``b""``."""
    for attr in ("data", "revert_message", "message"):
        value = getattr(exc, attr, None)
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        if isinstance(value, str) and value.startswith("0x"):
            try:
                return bytes(HexBytes(value))
            except ValueError:
                continue
    return b""


def describe_revert(exc: BaseException) -> str:
    """``Name(arg=value, ...)`` for a known custom error, the reason string, or the exception's own text."""
    data = revert_data(exc)
    if len(data) >= 4:
        selector, payload = data[:4], data[4:]
        if selector == _ERROR_STRING:
            return f"Error({decode(['string'], payload)[0]!r})"
        if selector == _PANIC:
            return f"Panic({hex(decode(['uint256'], payload)[0])})"
        known = _project_errors().get(selector)
        if known:
            name, names, types = known
            values = decode(types, payload)
            shown = ", ".join(f"{n}={_show(t, v)}" for n, t, v in zip(names, types, values, strict=True))
            return f"{name}({shown})"
        return f"unknown error 0x{data.hex()}"
    return str(exc) or type(exc).__name__


def _show(abi_type: str, value: object) -> str:
    if abi_type == "address" and isinstance(value, str):
        return to_checksum_address(value)
    return HexBytes(value).to_0x_hex() if isinstance(value, bytes) else str(value)
