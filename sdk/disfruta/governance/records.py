"""``deployments/<network>.json``: what a deployment put where, for dApps, the SDK and later upgrades.

The file holds the chain id, every address (proxies and their implementations, the Loan implementation, the
calculator, the timelock, the Safe, the asset), the first block to index from, the git commit it was deployed from,
the governance wiring, and for each proxy the storage layout of its live implementation (what the next upgrade is
checked against).

Implementation versions: the contracts have no ``version()`` (and adding one would mean a string that can drift from
the code), so a version is the contract's name plus a hash of its compiled runtime bytecode — e.g.
``LoanFactory@3f9a0c1b2d4e``. solc appends a hash of the source metadata to that bytecode, so any change to the source
or compiler settings gives a new version, and the same code always the same one. (Immutables are zero in the compiled
bytecode, so the version doesn't depend on where the code was deployed.)
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from disfruta.governance.errors import DeploymentError
from disfruta.governance.layout import StorageLayout

if TYPE_CHECKING:
    from ethpm_types import ContractType

PROXIES = ("UserRegistry", "LoanFactory", "Treasury", "LendingPool")
ERC1967_IMPLEMENTATION_SLOT = 0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC


def code_version(contract_type: ContractType) -> str:
    """``<name>@<first 12 hex digits of keccak256(compiled runtime bytecode)>``."""
    runtime = contract_type.runtime_bytecode.bytecode if contract_type.runtime_bytecode else None
    if not runtime:
        raise DeploymentError(f"{contract_type.name} has no compiled runtime bytecode")
    return f"{contract_type.name}@{keccak(HexBytes(runtime)).hex()[:12]}"


def implementation_address(proxy: str) -> ChecksumAddress:
    """The implementation an ERC-1967 proxy points at, read from its storage slot."""
    from ape import chain

    raw = chain.provider.get_storage(proxy, ERC1967_IMPLEMENTATION_SLOT)
    return to_checksum_address(HexBytes(raw)[-20:])


def git_revision(repo: Path) -> tuple[str | None, bool]:
    """``(HEAD commit, working tree has uncommitted changes to tracked files)``; ``(None, False)`` outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None, False
    return commit.stdout.strip(), bool(status.stdout.strip())


@dataclass
class ContractRecord:
    """One deployed contract. For a proxy, ``contract`` (the ABI to use), ``implementation``, ``version`` and
    ``storage_layout`` describe its live implementation."""

    address: ChecksumAddress
    contract: str
    version: str | None = None
    implementation: ChecksumAddress | None = None
    storage_layout: StorageLayout | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": self.address, "contract": self.contract}
        if self.implementation:
            out["implementation"] = self.implementation
        if self.version:
            out["version"] = self.version
        out.update(self.extra)
        if self.storage_layout:
            out["storage_layout"] = self.storage_layout.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContractRecord:
        known = {"address", "contract", "version", "implementation", "storage_layout"}
        layout = data.get("storage_layout")
        return cls(
            address=to_checksum_address(data["address"]), contract=data["contract"], version=data.get("version"),
            implementation=to_checksum_address(data["implementation"]) if data.get("implementation") else None,
            storage_layout=StorageLayout.from_json(layout) if layout else None,
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass
class DeploymentRecord:
    """The whole ``deployments/<network>.json``."""

    network: str
    chain_id: int
    block: int
    deployer: ChecksumAddress
    contracts: dict[str, ContractRecord]
    governance: dict[str, Any]
    genesis_hash: str | None = None
    block_hash: str | None = None  # the last block of the deployment: with the genesis hash, its BIP-122 URI
    git_commit: str | None = None
    git_dirty: bool = False
    deployed_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def address(self, name: str) -> ChecksumAddress:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentError(f"the deployment has no {name} (known: {', '.join(self.contracts)})") from None

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network, "chain_id": self.chain_id, "genesis_hash": self.genesis_hash,
            "block": self.block, "block_hash": self.block_hash, "deployed_at": self.deployed_at,
            "git_commit": self.git_commit, "git_dirty": self.git_dirty, "deployer": self.deployer,
            "governance": self.governance,
            "contracts": {name: c.to_json() for name, c in self.contracts.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeploymentRecord:
        try:
            return cls(
                network=data["network"], chain_id=int(data["chain_id"]), block=int(data["block"]),
                deployer=to_checksum_address(data["deployer"]), governance=dict(data.get("governance", {})),
                contracts={n: ContractRecord.from_json(c) for n, c in data["contracts"].items()},
                genesis_hash=data.get("genesis_hash"), block_hash=data.get("block_hash"),
                git_commit=data.get("git_commit"),
                git_dirty=bool(data.get("git_dirty", False)), deployed_at=data.get("deployed_at", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"not a deployment record: missing or bad field {exc}") from exc

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> DeploymentRecord:
        try:
            return cls.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            raise DeploymentError(f"no deployment file {path}: deploy first (`ape run deploy`)") from None

    def refresh_implementation(self, proxy_name: str, contract_type: ContractType, layout: StorageLayout) -> None:
        """Records that ``proxy_name`` now runs ``contract_type`` (read from the proxy's ERC-1967 slot)."""
        record = self.contracts[proxy_name]
        record.implementation = implementation_address(record.address)
        record.version = code_version(contract_type)
        record.contract = str(contract_type.name)
        record.storage_layout = layout


def network_file_name(ecosystem: str, network: str) -> str:
    """``<network>.json`` on Ethereum (``local``, ``sepolia``, ``mainnet``), ``<ecosystem>-<network>.json`` elsewhere
    (``arbitrum-mainnet``), so two ecosystems' ``mainnet`` never share a file."""
    return f"{network}.json" if ecosystem == "ethereum" else f"{ecosystem}-{network}.json"
