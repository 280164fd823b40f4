"""The contracts' ABIs and bytecode, shipped inside the package as an ethPM v3 manifest (``data/manifest.json``).

`scripts/export_abis.py` regenerates the manifest (and the per-contract ABI files for frontends under ``abi/``)
from the compiled project, so the SDK works outside this repository.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from eth_utils import function_signature_to_4byte_selector

MANIFEST_RESOURCE = "data/manifest.json"


@lru_cache(maxsize=1)
def load_manifest() -> dict[str, Any]:
    """The packaged ethPM manifest as a dict (``contractTypes`` → name → ``abi``, ``deploymentBytecode`` …)."""
    text = resources.files("disfruta").joinpath(MANIFEST_RESOURCE).read_text()
    return json.loads(text)


def abi_of(contract_name: str) -> list[dict[str, Any]]:
    """The ABI of ``contract_name`` (e.g. ``"Loan"``); ``KeyError`` naming the known contracts otherwise."""
    types = load_manifest()["contractTypes"]
    if contract_name not in types:
        raise KeyError(f"no contract {contract_name!r} in the packaged manifest; known: {sorted(types)}")
    return types[contract_name]["abi"]


def bytecode_of(contract_name: str) -> str:
    """The creation bytecode of ``contract_name`` as a 0x-hex string."""
    code = load_manifest()["contractTypes"][contract_name].get("deploymentBytecode", {}).get("bytecode")
    if not code:
        raise KeyError(f"the packaged manifest has no bytecode for {contract_name!r}")
    return code


def _canonical_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return item["type"]


def error_selectors() -> dict[bytes, dict[str, Any]]:
    """Every custom error of every packaged contract, keyed by its 4-byte selector."""
    out: dict[bytes, dict[str, Any]] = {}
    for ctype in load_manifest()["contractTypes"].values():
        for item in ctype.get("abi", []):
            if item.get("type") != "error":
                continue
            signature = f"{item['name']}({','.join(_canonical_type(i) for i in item['inputs'])})"
            out[function_signature_to_4byte_selector(signature)] = item
    return out
