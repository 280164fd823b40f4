"""ABIs and the ethPM manifest for dApps and the SDK.

* ``abi/<Contract>.json``: the plain ABI array of each contract a frontend talks to (what ethers/viem/web3 take).
* ``sdk/disfruta/data/manifest.json``: an ethPM v3 manifest (``ethpm_types.PackageManifest``) shipped inside the
  package: contract types (ABI, bytecode, NatSpec), the compiler settings, and the deployments of every published
  network under its BIP-122 URI (``blockchain://<genesis>/block/<block>``). Local deployments are left out unless
  asked for: their addresses only hold on the chain they were made on.

Besides the project's contracts, both carry two the SDK talks to that are not this project's (``EXTERNAL``):
OpenZeppelin's ``IERC20Metadata`` (the market token is any ERC-20, so it is read through the standard interface, from
OpenZeppelin's published 5.1.0 build, the version the contracts import) and ``Multicall3`` (at its canonical address
on public chains; ABI from safe-eth-py, checked against the runtime code ape ships, which the manifest carries for
local chains: `disfruta.governance.market.ensure_multicall3`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils import function_signature_to_4byte_selector
from hexbytes import HexBytes

from disfruta.deployment import PROXIES, Deployment
from disfruta.governance.errors import GovernanceError

if TYPE_CHECKING:
    from ape.managers.project import ProjectManager
    from ethpm_types import ContractType, PackageManifest

# What a dApp or the SDK talks to; test-only mocks are left out (the token mock stands in for the market's ERC-20).
EXPORTED = (
    "UserRegistry", "LoanFactory", "Loan", "LendingPool", "Treasury", "NoteMarket", "Autopay", "InterestCalculator",
    "DisfrutaProxy", "ProxyBootstrap", "DisfrutaTimelock", "MockERC20", "IUserRegistry", "ILoanFactory", "ILoan",
    "ILendingPool", "ITreasury", "INoteMarket", "IAutopay", "IInterestCalculator",
)
EXTERNAL = ("IERC20Metadata", "Multicall3")
LOCAL_NETWORKS = ("local",)
MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"


def _exported_type(project: ProjectManager, name: str) -> ContractType:
    full = project.get_contract(name).contract_type
    return full.model_copy(update={"sourcemap": None, "pcmap": None, "method_identifiers": None, "ast": None})


def external_contract_types(project: ProjectManager) -> dict[str, ContractType]:
    """``IERC20Metadata`` (OpenZeppelin's published build of the version in ape-config.yaml) and ``Multicall3``."""
    return {"IERC20Metadata": _openzeppelin_type(project.path, _openzeppelin_version(project), "IERC20Metadata"),
            "Multicall3": multicall3_contract_type()}


def _openzeppelin_version(project: ProjectManager) -> str:
    for dependency in project.config.dependencies:
        if dependency.get("npm") == "@openzeppelin/contracts":
            return str(dependency["version"])
    raise GovernanceError("ape-config.yaml has no @openzeppelin/contracts dependency")


@cache
def _openzeppelin_type(root: Path, version: str, name: str) -> ContractType:
    from ethpm_types import ContractType

    package = root / "node_modules" / "@openzeppelin" / "contracts"
    try:
        installed = json.loads((package / "package.json").read_text())["version"]
        artifact = json.loads((package / "build" / "contracts" / f"{name}.json").read_text())
    except FileNotFoundError as exc:
        raise GovernanceError(f"OpenZeppelin's build is missing ({exc.filename}): run `make setup`") from None
    if installed != version:
        raise GovernanceError(f"node_modules has @openzeppelin/contracts {installed}, ape-config.yaml {version}: "
                              "run `make setup`")
    source = "@openzeppelin/contracts/" + str(artifact["sourceName"]).removeprefix("contracts/")
    return ContractType(contractName=name, sourceId=source, abi=artifact["abi"])


@cache
def multicall3_contract_type() -> ContractType:
    """Multicall3: the full ABI (safe-eth-py's; ape's lists three functions, one misspelt) and the runtime code ape
    ships; every function of the ABI is checked to be dispatched by that code."""
    from ape_ethereum.multicall.constants import MULTICALL3_ADDRESS as APE_ADDRESS
    from ape_ethereum.multicall.constants import MULTICALL3_CODE
    from ethpm_types import ContractType
    from safe_eth.eth.contracts.abis.multicall import multicall_v3_abi

    if APE_ADDRESS != MULTICALL3_ADDRESS:
        raise GovernanceError(f"ape's Multicall3 is at {APE_ADDRESS}, not the canonical {MULTICALL3_ADDRESS}")
    contract_type = ContractType(contractName="Multicall3", abi=multicall_v3_abi,
                                 runtimeBytecode={"bytecode": HexBytes(MULTICALL3_CODE).to_0x_hex()})
    code = bytes(HexBytes(MULTICALL3_CODE))
    missing = [m.name for m in contract_type.methods  # PUSH4 <selector> in the dispatcher
               if b"\x63" + function_signature_to_4byte_selector(m.selector) not in code]
    if missing:
        raise GovernanceError(f"the Multicall3 runtime code does not dispatch {', '.join(missing)}")
    return contract_type


def _abi_json(contract_type: ContractType) -> list[dict[str, object]]:
    return [entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in contract_type.abi]


def export_abis(project: ProjectManager, out_dir: Path, names: Iterable[str] = EXPORTED) -> list[Path]:
    """Writes ``out_dir/<Name>.json`` (the ABI array) for each contract and each ``EXTERNAL`` one; returns the paths
    written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    external = external_contract_types(project)
    for name in [*names, *external]:
        abi = _abi_json(external[name] if name in external else project.get_contract(name).contract_type)
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(abi, indent=2) + "\n")
        written.append(path)
    return written


def load_records(deployments_dir: Path, include_local: bool = False, include_dry_runs: bool = False
                 ) -> list[Deployment]:
    """The deployment records in ``deployments_dir``: local ones only with ``include_local``, dry runs (rehearsals
    on anvil, never deployed) only with ``include_dry_runs``."""
    records = [Deployment.from_file(p) for p in sorted(deployments_dir.glob("*.json"))]
    return [r for r in records if (include_local or r.network not in LOCAL_NETWORKS)
            and (include_dry_runs or not r.extra.get("dry_run"))]


# What the SDK's address book keeps of a contract's record (no storage layouts: governance reads those from the
# deployment files).
_BOOK_FIELDS = ("address", "contract", "implementation", "kind", "symbol", "decimals")


def build_address_book(records: Iterable[Deployment]) -> dict[str, Any]:
    """The SDK's address book (``sdk/disfruta/data/addressbook.json``): one market per chain id, with its network,
    first block, whether it is a dry run, and every contract's address (and a proxy's implementation)."""
    book: dict[str, Any] = {}
    for record in sorted(records, key=lambda r: r.chain_id):
        key = str(record.chain_id)
        if key in book:
            raise ValueError(f"two deployment records for chain {record.chain_id}: {book[key]['network']} and "
                             f"{record.network}; the address book keeps one market per chain")
        book[key] = {
            "network": record.network, "chain_id": record.chain_id, "dry_run": bool(record.extra.get("dry_run")),
            "block": record.block, "deployer": record.deployer, "genesis_hash": record.genesis_hash,
            "market_salt": (record.extra.get("create2") or {}).get("market_salt"),
            "contracts": {name: {k: v for k, v in entry.to_json().items() if k in _BOOK_FIELDS}
                          for name, entry in record.contracts.items()},
        }
    return book


def write_address_book(book: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(book, indent=1) + "\n")
    return path


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
        contractTypes={**{name: _exported_type(project, name) for name in names}, **external_contract_types(project)},
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
