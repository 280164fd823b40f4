"""One codec for the contracts' ABIs: calls, results, events and structs, all by the names the ABI gives them.

A contract struct decodes into a dataclass whose fields are the ABI's component names in snake_case
(``annualRateBps`` → ``annual_rate_bps``), and a dataclass encodes back into the tuple the contract takes, in the
ABI's order. The match is strict both ways: a field the ABI doesn't have, or an ABI component the dataclass lacks,
raises ``CodecError`` naming it, so a new struct field can't be read silently from the wrong position.

>>> codec = codec_for("Loan")
>>> codec.function("makeRepayment").signature
'makeRepayment(uint256)'
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache, lru_cache
from typing import Any, TypeVar

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, keccak
from eth_utils import to_checksum_address as _to_checksum_address
from hexbytes import HexBytes

from disfruta.abi import abi_of
from disfruta.errors import DisfrutaError

_cached_checksum = lru_cache(maxsize=65_536)(_to_checksum_address)


def to_checksum_address(value: str | bytes | bytearray) -> str:
    """EIP-55 checksummed address. Checksumming hashes the address: cached, since the same few addresses come back
    in every read and event."""
    return _cached_checksum(bytes(value) if isinstance(value, bytearray) else value)

T = TypeVar("T")


class CodecError(DisfrutaError):
    """A value does not fit the ABI (wrong struct fields, unknown function or event)."""


def snake(name: str) -> str:
    """``annualRateBps`` → ``annual_rate_bps`` (ABI names are camelCase; dataclass fields snake_case)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def canonical_type(item: Mapping[str, Any]) -> str:
    """The ABI type as it appears in a signature: tuples spelled out (``(uint256,address)[]``)."""
    typ = str(item["type"])
    if typ.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in item["components"])
        return f"({inner}){typ[5:]}"
    return typ


# --------------------------------------------------------------------------------------------------- values


def _from_abi(item: Mapping[str, Any], value: Any) -> Any:
    """A decoded value made friendly: checksummed addresses, structs as dicts by name (recursively)."""
    typ = str(item["type"])
    if typ.endswith("]"):
        inner = dict(item, type=typ[: typ.rindex("[")])
        return [_from_abi(inner, v) for v in value]
    if typ == "tuple":
        return {c["name"]: _from_abi(c, v) for c, v in zip(item["components"], value, strict=True)}
    if typ == "address":
        return to_checksum_address(value)
    return value


def _to_abi(item: Mapping[str, Any], value: Any) -> Any:
    """A Python value as eth-abi takes it: a dataclass or mapping for a struct (by field name), lists for arrays."""
    typ = str(item["type"])
    if typ.endswith("]"):
        inner = dict(item, type=typ[: typ.rindex("[")])
        return [_to_abi(inner, v) for v in value]
    if typ == "tuple":
        return encode_struct(value, item["components"])
    if typ == "address":
        return to_checksum_address(value)
    if typ.startswith(("uint", "int")) and isinstance(value, IntEnum):
        return int(value)
    if typ.startswith("bytes") and typ != "bytes" and isinstance(value, (bytes, bytearray)):
        size = int(typ[5:])
        if len(value) > size:
            raise CodecError(f"{item.get('name') or typ}: {len(value)} bytes do not fit {typ}")
        return bytes(value).ljust(size, b"\0")
    return value


def encode_struct(value: Any, components: Sequence[Mapping[str, Any]]) -> tuple[Any, ...]:
    """A dataclass (fields = snake_case component names), a mapping (ABI or snake names) or a tuple → ABI tuple."""
    names = [str(c["name"]) for c in components]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name for f in dataclasses.fields(value)}
        expected = {snake(n) for n in names}
        if fields != expected:
            raise CodecError(f"{type(value).__name__} does not match the ABI struct: missing "
                             f"{sorted(expected - fields)}, unknown {sorted(fields - expected)}")
        return tuple(_to_abi(c, getattr(value, snake(n))) for c, n in zip(components, names, strict=True))
    if isinstance(value, Mapping):
        try:
            return tuple(_to_abi(c, value[n] if n in value else value[snake(n)])
                         for c, n in zip(components, names, strict=True))
        except KeyError as exc:
            raise CodecError(f"struct value has no field {exc}") from None
    if isinstance(value, (tuple, list)) and len(value) == len(components):
        return tuple(_to_abi(c, v) for c, v in zip(components, value, strict=True))
    raise CodecError(f"cannot encode {type(value).__name__} as a struct of {', '.join(names)}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode_struct(cls: type[T], value: Mapping[str, Any], **extra: Any) -> T:
    """A struct decoded by name (``{"annualRateBps": …}``) → ``cls(annual_rate_bps=…)``, strictly.

    ``extra`` supplies dataclass fields that are not in the struct (e.g. the address it was read from). Fields typed
    as an ``IntEnum`` (``LoanStatus``, ``Grade``) are converted.
    """
    if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)):
        raise TypeError(f"{cls!r} is not a dataclass")
    fields = {f.name for f in dataclasses.fields(cls)}
    given = {snake(k): v for k, v in value.items()}
    missing, unknown = fields - set(given) - set(extra), set(given) - fields
    if missing or unknown:
        raise CodecError(f"{cls.__name__} does not match the ABI struct: missing {sorted(missing)}, "
                         f"unknown {sorted(unknown)}")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for name, raw in {**given, **extra}.items():
        hint = hints.get(name)
        kwargs[name] = hint(raw) if isinstance(hint, type) and issubclass(hint, IntEnum) and raw is not None else raw
    return cls(**kwargs)


# --------------------------------------------------------------------------------------------------- ABI items


@dataclass(frozen=True)
class Function:
    """One ABI function: encodes its calls, decodes its results by name."""

    name: str
    signature: str
    selector: bytes
    inputs: tuple[Mapping[str, Any], ...]
    outputs: tuple[Mapping[str, Any], ...]
    mutability: str

    def encode(self, *args: Any) -> bytes:
        if len(args) != len(self.inputs):
            raise CodecError(f"{self.signature} takes {len(self.inputs)} argument(s), got {len(args)}")
        values = [_to_abi(i, a) for i, a in zip(self.inputs, args, strict=True)]
        return self.selector + abi_encode([canonical_type(i) for i in self.inputs], values)

    def decode(self, data: bytes) -> Any:
        """One output → its value; several → a dict by output name; structs → dicts by component name."""
        values = abi_decode([canonical_type(o) for o in self.outputs], bytes(data))
        decoded = [_from_abi(o, v) for o, v in zip(self.outputs, values, strict=True)]
        if len(decoded) == 1:
            return decoded[0]
        if all(o.get("name") for o in self.outputs):
            return {str(o["name"]): v for o, v in zip(self.outputs, decoded, strict=True)}
        return tuple(decoded)


@dataclass(frozen=True)
class EventSpec:
    name: str
    topic: bytes
    inputs: tuple[Mapping[str, Any], ...]

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        indexed = [i for i in self.inputs if i.get("indexed")]
        plain = [i for i in self.inputs if not i.get("indexed")]
        if len(topics) != len(indexed) + 1:
            raise CodecError(f"{self.name}: expected {len(indexed)} indexed topics, got {len(topics) - 1}")
        args: dict[str, Any] = {}
        for item, topic in zip(indexed, topics[1:], strict=True):
            typ = canonical_type(item)
            dynamic = typ in ("string", "bytes") or typ.endswith("]") or typ.startswith("(")
            args[str(item["name"])] = bytes(topic) if dynamic else _from_abi(item, abi_decode([typ], bytes(topic))[0])
        values = abi_decode([canonical_type(i) for i in plain], bytes(data))
        for item, value in zip(plain, values, strict=True):
            args[str(item["name"])] = _from_abi(item, value)
        return {str(i["name"]): args[str(i["name"])] for i in self.inputs}


class ContractCodec:
    """Every function and event of one packaged ABI, built once per contract name (``codec_for``)."""

    def __init__(self, name: str, abi: Sequence[Mapping[str, Any]]) -> None:
        self.name = name
        self.abi = list(abi)
        self._functions: dict[str, Function] = {}
        self._ambiguous: set[str] = set()
        self.events: dict[bytes, EventSpec] = {}
        for item in self.abi:
            if item.get("type") == "function":
                sig = f"{item['name']}({','.join(canonical_type(i) for i in item['inputs'])})"
                fn = Function(name=str(item["name"]), signature=sig,
                              selector=function_signature_to_4byte_selector(sig), inputs=tuple(item["inputs"]),
                              outputs=tuple(item.get("outputs", ())),
                              mutability=str(item.get("stateMutability", "nonpayable")))
                self._functions[sig] = fn
                if fn.name in self._functions and self._functions[fn.name].signature != sig:
                    self._ambiguous.add(fn.name)  # overloaded: only the full signature names one
                self._functions.setdefault(fn.name, fn)
            elif item.get("type") == "event" and not item.get("anonymous"):
                sig = f"{item['name']}({','.join(canonical_type(i) for i in item['inputs'])})"
                spec = EventSpec(str(item["name"]), keccak(text=sig), tuple(item["inputs"]))
                self.events[spec.topic] = spec

    def function(self, name: str) -> Function:
        """A function by name or full signature; ``CodecError`` naming the contract otherwise (or when the name is
        overloaded: then only the full signature names one)."""
        if name in self._ambiguous:
            overloads = sorted(f.signature for k, f in self._functions.items() if f.name == name and k == f.signature)
            raise CodecError(f"{self.name}.{name} is overloaded: name one of {', '.join(overloads)}")
        try:
            return self._functions[name]
        except KeyError:
            raise CodecError(f"{self.name} has no function {name!r}") from None

    def event(self, name: str) -> EventSpec:
        for spec in self.events.values():
            if spec.name == name:
                return spec
        raise CodecError(f"{self.name} has no event {name!r}")

    def struct_components(self, function: str, output: int = 0) -> tuple[Mapping[str, Any], ...]:
        return tuple(self.function(function).outputs[output]["components"])

    def input_components(self, function: str, index: int = 0) -> tuple[Mapping[str, Any], ...]:
        return tuple(self.function(function).inputs[index]["components"])


@cache
def codec_for(name: str) -> ContractCodec:
    """The codec of a packaged contract ABI (``"Loan"``, ``"LendingPool"``, ``"IERC20Metadata"`` …), cached."""
    return ContractCodec(name, abi_of(name))


def hexdata(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def unhex(value: str | bytes | None) -> bytes:
    return bytes(HexBytes(value or b""))
