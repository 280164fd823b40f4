"""ABIs and the ethPM manifest for dApps and the SDK.

* ``abi/<Contract>.json``: the plain ABI array of each contract a frontend talks to (what ethers/viem/web3 take).
* ``sdk/disfruta/data/manifest.json``: an ethPM v3 manifest (``ethpm_types.PackageManifest``) shipped inside the
  package: contract types (ABI, bytecode, NatSpec), the compiler settings, and the deployments of every published
  network under its BIP-122 URI (``blockchain://<genesis>/block/<block>``). Local deployments are left out unless
  asked for: their addresses only hold on the chain they were made on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from disfruta.deployment import PROXIES, Deployment

if TYPE_CHECKING:
    from ape.managers.project import ProjectManager
    from ethpm_types import ContractType, PackageManifest

# What a dApp or the SDK talks to; test-only mocks are left out (the token mock stands in for the market's ERC-20).
EXPORTED = (
    "UserRegistry", "LoanFactory", "Loan", "LendingPool", "Treasury", "InterestCalculator", "DisfrutaProxy",
    "DisfrutaTimelock", "MockERC20", "IUserRegistry", "ILoanFactory", "ILoan", "ILendingPool", "ITreasury",
    "IInterestCalculator",
)
LOCAL_NETWORKS = ("local",)


def _exported_type(project: ProjectManager, name: str) -> ContractType:
    full = project.get_contract(name).contract_type
    return full.model_copy(update={"sourcemap": None, "pcmap": None, "method_identifiers": None, "ast": None})


def export_abis(project: ProjectManager, out_dir: Path, names: Iterable[str] = EXPORTED) -> list[Path]:
    """Writes ``out_dir/<Name>.json`` (the ABI array) for each contract; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        abi = [entry.model_dump(mode="json", by_alias=True, exclude_none=True)
               for entry in project.get_contract(name).contract_type.abi]
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(abi, indent=2) + "\n")
        written.append(path)
    return written


def load_records(deployments_dir: Path, include_local: bool = False) -> list[Deployment]:
    records = [Deployment.from_file(p) for p in sorted(deployments_dir.glob("*.json"))]
    return [r for r in records if include_local or r.network not in LOCAL_NETWORKS]


def build_manifest(project: ProjectManager, records: Iterable[Deployment], version: str,
                   names: Iterable[str] = EXPORTED) -> PackageManifest:
    from ethpm_types import ContractInstance, PackageManifest, PackageMeta
    from ethpm_types.manifest import PackageName

    names = list(names)
    deployments: dict[str, dict[str, ContractInstance]] = {}
    for record in records:
        if not record.genesis_hash or not record.block_hash:
            continue
        uri = f"blockchain://{record.genesis_hash.removeprefix('0x')}/block/{record.block_hash.removeprefix('0x')}"
        instances = {}
        for key, entry in record.contracts.items():
            if key in PROXIES and entry.contract not in names:  # an upgraded proxy: ship its live ABI too
                names.append(entry.contract)
            if entry.contract in names:  # dApps call a proxy with its implementation's ABI
                instances[key] = ContractInstance(contractType=entry.contract, address=entry.address)
        deployments[uri] = instances
    manifest_compilers = project.manifest.compilers or []
    return PackageManifest(
        manifest="ethpm/3", name=PackageName("disfruta"), version=version,
        meta=PackageMeta(description="Disfruta peer-to-peer lending protocol: ABIs, bytecode and deployments",
                         license="MIT", keywords=["lending", "p2p", "defi"]),
        contractTypes={name: _exported_type(project, name) for name in names},
        compilers=[c.model_copy(update={  # the settings, not which files the last `ape compile` happened to rebuild
            "contractTypes": sorted(t for t in (c.contractTypes or []) if t in names),
            "settings": {k: v for k, v in (c.settings or {}).items() if k != "outputSelection"},
        }) for c in manifest_compilers],
        deployments=deployments or None,
    )


def write_manifest(manifest: PackageManifest, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def load_manifest(path: Path) -> PackageManifest:
    from ethpm_types import PackageManifest

    return PackageManifest.model_validate_json(path.read_text())
