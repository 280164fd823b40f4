"""Storage-layout safety of UUPS upgrades, for ERC-7201 namespaced storage.

Every upgradeable Disfruta contract keeps its state in one struct annotated
``/// @custom:storage-location erc7201:disfruta.storage.<Name>``; OpenZeppelin's upgradeable bases do the same under
``openzeppelin.storage.*``. solc's ``storageLayout`` output only describes sequential state variables, so the layout is
read from the compiler's AST instead: for each namespace in the contract's inheritance chain, the struct's members
(names, types and order, nested structs, enums and mappings resolved). An upgrade is compatible when

* every namespace of the live implementation is still there, under the same id, and the contract still uses the slot
  ``erc7201(id)`` (a ``bytes32`` constant with that value sits beside the struct);
* every existing member keeps its place, name and type; new members are only appended (also inside a struct that is a
  mapping's value, whose slots are hashed, but not inside an inline struct or an array element, which would shift what
  follows);
* OpenZeppelin's namespaces come from the same OpenZeppelin release.

>>> live = layouts_of(project, ["LoanFactory"])["LoanFactory"]            # doctest: +SKIP
>>> check_upgrade(live, layouts_of(project, ["LoanFactoryV2"])["LoanFactoryV2"])  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_abi import encode
from eth_utils import keccak

from disfruta.governance.errors import LayoutProblem, StorageLayoutError, UpgradeSafetyError

if TYPE_CHECKING:
    from ape.managers.project import ProjectManager

_LOCATION = re.compile(r"@custom:storage-location\s+erc7201:(\S+)")
_OZ_RELEASE = re.compile(r"openzeppelin(?:-upgradeable)?/(\d+\.\d+\.\d+)/")
_OZ_PREFIX = "openzeppelin.storage."


def erc7201_slot(namespace: str) -> int:
    """``keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff))``."""
    inner = int.from_bytes(keccak(text=namespace), "big") - 1
    return int.from_bytes(keccak(encode(["uint256"], [inner])), "big") & ~0xFF


# ------------------------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class SolType:
    """A storage type as far as layout goes. ``kind`` is elementary, struct, enum, mapping or array; contract and
    interface types are elementary ``address`` (same slot use), user-defined value types their underlying type."""

    kind: str
    label: str
    members: tuple[tuple[str, SolType], ...] = ()
    key: SolType | None = None
    value: SolType | None = None
    length: int | None = None
    values: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "label": self.label}
        if self.kind == "struct":
            out["members"] = [{"name": n, "type": t.to_json()} for n, t in self.members]
        if self.key is not None:
            out["key"] = self.key.to_json()
        if self.value is not None:
            out["value"] = self.value.to_json()
        if self.kind == "array":
            out["length"] = self.length
        if self.values:
            out["values"] = list(self.values)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SolType:
        return cls(
            kind=data["kind"],
            label=data["label"],
            members=tuple((m["name"], cls.from_json(m["type"])) for m in data.get("members", [])),
            key=cls.from_json(data["key"]) if "key" in data else None,
            value=cls.from_json(data["value"]) if "value" in data else None,
            length=data.get("length"),
            values=tuple(data.get("values", [])),
        )


@dataclass(frozen=True)
class Namespace:
    """One ERC-7201 namespace: its id, slot, the struct stored there, and where it was declared."""

    id: str
    slot: int
    struct: SolType
    declared_in: str
    openzeppelin: str | None = None  # the OpenZeppelin release the namespace comes from, for openzeppelin.storage.*

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "slot": f"0x{self.slot:064x}", "declaredIn": self.declared_in,
                "openzeppelin": self.openzeppelin, "struct": self.struct.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Namespace:
        return cls(id=data["id"], slot=int(data["slot"], 16), struct=SolType.from_json(data["struct"]),
                   declared_in=data["declaredIn"], openzeppelin=data.get("openzeppelin"))


@dataclass(frozen=True)
class StorageLayout:
    """The namespaces a contract (with its bases) keeps its state in, keyed by namespace id."""

    contract: str
    namespaces: dict[str, Namespace] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"contract": self.contract, "namespaces": [ns.to_json() for ns in self.namespaces.values()]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StorageLayout:
        spaces = [Namespace.from_json(ns) for ns in data["namespaces"]]
        return cls(contract=data["contract"], namespaces={ns.id: ns for ns in spaces})


# ------------------------------------------------------------------------------------------------ compiler AST


def compile_asts(project: ProjectManager, source_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The solc AST of every source the given project sources import (analysis only, no code generation).

    Uses ape-solidity's own standard-JSON input (same remappings, version and settings as ``ape compile``).
    """
    from ape import compilers
    from packaging.version import Version
    from solcx import compile_standard
    from solcx.install import get_executable

    solidity = compilers.registered_compilers[".sol"]
    paths = [project.path / sid for sid in sorted(set(source_ids))]
    asts: dict[str, dict[str, Any]] = {}
    for version, input_json in solidity.get_standard_input_json(paths, project=project).items():
        input_json["settings"]["outputSelection"] = {"*": {"": ["ast"]}}
        binary = get_executable(version=Version(version.base_version))
        output = compile_standard(input_json, solc_binary=binary, base_path=project.path)
        asts.update({sid: src["ast"] for sid, src in output["sources"].items()})
    return asts


def layouts_of(project: ProjectManager, contract_names: Iterable[str]) -> dict[str, StorageLayout]:
    """The storage layouts of compiled project contracts, by name (one compiler run for all that aren't cached).

    Cached per process by the contract's compiled runtime bytecode, which embeds a hash of every source it was built
    from: the same code gives the same layout, and ``ape compile`` of a change gives a new key.
    """
    names = list(contract_names)
    keys = {name: _cache_key(project, name) for name in names}
    missing = [name for name in names if keys[name] not in _LAYOUTS]
    if missing:
        sources = {name: _source_id(project, name) for name in missing}
        index = _AstIndex(compile_asts(project, sources.values()))
        for name in missing:
            _LAYOUTS[keys[name]] = index.layout(name, sources[name])
    return {name: _LAYOUTS[keys[name]] for name in names}


_LAYOUTS: dict[tuple[str, bytes], StorageLayout] = {}


def _cache_key(project: ProjectManager, name: str) -> tuple[str, bytes]:
    runtime = project.get_contract(name).contract_type.runtime_bytecode
    return name, keccak(text=str(runtime.bytecode) if runtime else "")


def _source_id(project: ProjectManager, name: str) -> str:
    contract_type = project.get_contract(name).contract_type
    source_id = contract_type.source_id or ""
    if not (project.path / source_id).is_file():  # ape may record it relative to the contracts folder
        source_id = str(Path(project.contracts_folder.relative_to(project.path)) / source_id)
    return source_id


class _AstIndex:
    def __init__(self, asts: dict[str, dict[str, Any]]) -> None:
        self.nodes: dict[int, dict[str, Any]] = {}
        self.source_of: dict[int, str] = {}
        self.asts = asts
        for sid, ast in asts.items():
            for node in _walk(ast):
                self.nodes[node["id"]] = node
                self.source_of[node["id"]] = sid

    def layout(self, name: str, source_id: str) -> StorageLayout:
        contract = next((n for n in _walk(self.asts[source_id])
                         if n.get("nodeType") == "ContractDefinition" and n.get("name") == name), None)
        if contract is None:
            raise UpgradeSafetyError(f"no contract {name} in {source_id}")
        namespaces: dict[str, Namespace] = {}
        for base_id in reversed(contract["linearizedBaseContracts"]):
            base = self.nodes[base_id]
            for node in base.get("nodes", []):
                match = _LOCATION.search(_doc(node)) if node.get("nodeType") == "StructDefinition" else None
                if match:
                    namespaces[match.group(1)] = self._namespace(match.group(1), node, base)
        return StorageLayout(contract=name, namespaces=namespaces)

    def _namespace(self, ns_id: str, struct: dict[str, Any], base: dict[str, Any]) -> Namespace:
        slot = erc7201_slot(ns_id)
        constants = {_literal_int(n.get("value")) for n in base.get("nodes", [])
                     if n.get("nodeType") == "VariableDeclaration" and n.get("constant")}
        if slot not in constants:
            raise UpgradeSafetyError(
                f"{base['name']}: struct {struct['name']} is annotated erc7201:{ns_id}, but no constant of "
                f"{base['name']} holds that namespace's slot {hex(slot)}: the annotation and the slot used disagree"
            )
        source = self.source_of[struct["id"]]
        release = _OZ_RELEASE.search(source)
        return Namespace(
            id=ns_id, slot=slot, struct=self._struct(struct, set()), declared_in=f"{base['name']} ({source})",
            openzeppelin=(release.group(1) if release else "unknown") if ns_id.startswith(_OZ_PREFIX) else None,
        )

    def _struct(self, node: dict[str, Any], seen: set[int]) -> SolType:
        label = f"struct {node['canonicalName']}"
        if node["id"] in seen:  # a struct reached again through a mapping of itself: name only
            return SolType(kind="struct", label=label)
        members = tuple((m["name"], self._type(m["typeName"], seen | {node["id"]})) for m in node["members"])
        return SolType(kind="struct", label=label, members=members)

    def _type(self, node: dict[str, Any], seen: set[int]) -> SolType:
        kind = node["nodeType"]
        if kind == "ElementaryTypeName":
            return SolType(kind="elementary", label=_elementary(node["name"]))
        if kind == "Mapping":
            return SolType(kind="mapping", label=node["typeDescriptions"]["typeString"],
                           key=self._type(node["keyType"], seen), value=self._type(node["valueType"], seen))
        if kind == "ArrayTypeName":
            length = _literal_int(node.get("length")) if node.get("length") else None
            return SolType(kind="array", label=node["typeDescriptions"]["typeString"],
                           value=self._type(node["baseType"], seen), length=length)
        if kind == "UserDefinedTypeName":
            target = self.nodes[node["referencedDeclaration"]]
            declared = target["nodeType"]
            if declared == "StructDefinition":
                return self._struct(target, seen)
            if declared == "EnumDefinition":
                return SolType(kind="enum", label=f"enum {target['canonicalName']}",
                               values=tuple(m["name"] for m in target["members"]))
            if declared == "UserDefinedValueTypeDefinition":
                return self._type(target["underlyingType"], seen)
            if declared == "ContractDefinition":
                return SolType(kind="elementary", label="address")
        raise UpgradeSafetyError(f"unsupported storage type in the AST: {node.get('typeDescriptions', node)}")


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "nodeType" in node and "id" in node:
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _doc(node: dict[str, Any]) -> str:
    doc = node.get("documentation")
    return doc.get("text", "") if isinstance(doc, dict) else (doc or "")


def _literal_int(node: dict[str, Any] | None) -> int | None:
    if not node or node.get("nodeType") != "Literal" or node.get("kind") != "number":
        return None
    text = str(node["value"]).replace("_", "")
    return int(text, 16) if text.startswith("0x") else int(text)


def _elementary(name: str) -> str:
    return {"uint": "uint256", "int": "int256", "address payable": "address"}.get(name, name)


# ------------------------------------------------------------------------------------------------ comparison


def check_upgrade(live: StorageLayout, new: StorageLayout) -> None:
    """Raises ``StorageLayoutError`` naming every member the new implementation would read wrongly."""
    problems: list[LayoutProblem] = []
    for ns_id, old_ns in live.namespaces.items():
        new_ns = new.namespaces.get(ns_id)
        if new_ns is None:
            problems.append(LayoutProblem(ns_id, old_ns.struct.label, old_ns.declared_in, "missing",
                                          "namespace removed or renamed: its state would be orphaned"))
            continue
        if old_ns.openzeppelin != new_ns.openzeppelin:
            problems.append(LayoutProblem(ns_id, old_ns.struct.label, f"OpenZeppelin {old_ns.openzeppelin}",
                                          f"OpenZeppelin {new_ns.openzeppelin}",
                                          "OpenZeppelin namespace from another OpenZeppelin release"))
        root = old_ns.struct.label.removeprefix("struct ").split(".")[-1]
        _compare_struct(ns_id, root, old_ns.struct, new_ns.struct, can_grow=True, out=problems)
    if problems:
        raise StorageLayoutError(new.contract, problems)


def _compare_struct(ns: str, path: str, old: SolType, new: SolType, *, can_grow: bool,
                    out: list[LayoutProblem]) -> None:
    if not old.members:  # a recursive reference: compared where it was expanded
        return
    last = len(old.members) - 1
    for i, (name, old_type) in enumerate(old.members):
        member = f"{path}.{name}"
        if i >= len(new.members):
            out.append(LayoutProblem(ns, member, old_type.label, "missing", "member removed"))
            continue
        new_name, new_type = new.members[i]
        if new_name != name:
            out.append(LayoutProblem(ns, member, f"{old_type.label} {name}", f"{new_type.label} {new_name}",
                                     f"member {i} renamed or reordered"))
            continue
        # An inline struct may grow only as the last member of a struct that may grow, and not followed by new ones.
        grow = can_grow and i == last and len(new.members) == len(old.members)
        _compare_type(ns, member, old_type, new_type, can_grow=grow, out=out)
    if len(new.members) > len(old.members) and not can_grow:
        added = ", ".join(n for n, _ in new.members[len(old.members):])
        out.append(LayoutProblem(ns, f"{path}.{new.members[len(old.members)][0]}", "absent", added,
                                 "members appended to a struct stored inline or in an array: they overlap the "
                                 "storage that follows"))


def _compare_type(ns: str, member: str, old: SolType, new: SolType, *, can_grow: bool,
                  out: list[LayoutProblem]) -> None:
    if old.kind != new.kind:
        out.append(LayoutProblem(ns, member, old.label, new.label, "type changed"))
    elif old.kind == "elementary":
        if old.label != new.label:
            out.append(LayoutProblem(ns, member, old.label, new.label, "type changed"))
    elif old.kind == "struct":
        _compare_struct(ns, member, old, new, can_grow=can_grow, out=out)
    elif old.kind == "enum":
        if new.values[: len(old.values)] != old.values or len(new.values) > 256:
            out.append(LayoutProblem(ns, member, f"{old.label} {list(old.values)}", f"{new.label} {list(new.values)}",
                                     "enum values changed (only appending is safe)"))
    elif old.kind == "mapping":
        assert old.key and new.key and old.value and new.value
        if old.key.label != new.key.label:
            out.append(LayoutProblem(ns, member, old.label, new.label, "mapping key type changed"))
        else:  # a mapping's values live at hashed slots: a struct value may grow
            _compare_type(ns, f"{member}[]", old.value, new.value, can_grow=True, out=out)
    elif old.kind == "array":
        assert old.value and new.value
        if old.length != new.length:
            out.append(LayoutProblem(ns, member, old.label, new.label, "array length changed"))
        else:
            _compare_type(ns, f"{member}[]", old.value, new.value, can_grow=False, out=out)


def check_uups(abi_names: Iterable[str], contract: str) -> None:
    """An implementation without ``upgradeToAndCall``/``proxiableUUID`` would freeze the proxy on that code forever."""
    missing = {"upgradeToAndCall", "proxiableUUID"} - set(abi_names)
    if missing:
        raise UpgradeSafetyError(f"{contract} is not a UUPS implementation (no {', '.join(sorted(missing))}): "
                                 "upgrading to it would make the proxy unupgradeable")
