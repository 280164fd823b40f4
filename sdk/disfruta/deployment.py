"""``deployments/<network>.json``: what a deployment put where, for dApps, the SDK and later upgrades.

One model for everyone who reads or writes the file: the SDK (addresses, chain, first block to index from) and the
governance tooling (implementations, versions, storage layouts, the Safe and timelock wiring, the git commit).

The file holds the chain id, every address (proxies and their implementations, the Loan implementation, the
calculator, the timelock, the Safe, the asset), the first block to index from, the git commit it was deployed from,
the governance wiring, and for each proxy the storage layout of its live implementation (what the next upgrade is
checked against; kept here as plain JSON, parsed by ``disfruta.governance.layout.StorageLayout`` when governance
needs it). A contract may also be recorded as a bare address string (``"LoanFactory": "0x…"``), as tests and
hand-written files do.

>>> dep = Deployment.from_dict({"chain_id": 31337, "contracts": {"UserRegistry": "0x" + "11" * 20,
...     "LoanFactory": "0x" + "22" * 20, "Treasury": "0x" + "33" * 20, "LendingPool": "0x" + "44" * 20,
...     "asset": {"address": "0x" + "55" * 20, "contract": "MockERC20", "decimals": 6}}})
>>> dep.address("asset"), dep.contracts["asset"].extra["decimals"]
('0x5555555555555555555555555555555555555555', 6)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from disfruta.errors import ConfigurationError

# The market's contracts behind UUPS proxies (their records carry implementation, version and storage layout).
PROXIES = ("UserRegistry", "LoanFactory", "Treasury", "LendingPool", "NoteMarket", "Autopay")
# What the SDK needs to talk to a market.
REQUIRED = ("UserRegistry", "LoanFactory", "Treasury", "LendingPool", "asset")


@dataclass
class ContractRecord:
    """One deployed contract. ``contract`` names the ABI to use (for a proxy: its live implementation's);
    ``implementation``, ``version`` and ``storage_layout`` (plain JSON) describe a proxy's live implementation;
    ``extra`` keeps every other field of the file (``kind``, ``min_delay``, ``owners``, ``decimals`` …)."""

    address: str
    contract: str
    version: str | None = None
    implementation: str | None = None
    storage_layout: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _KNOWN = ("address", "contract", "version", "implementation", "storage_layout")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": self.address, "contract": self.contract}
        if self.implementation:
            out["implementation"] = self.implementation
        if self.version:
            out["version"] = self.version
        out.update(self.extra)
        if self.storage_layout:
            out["storage_layout"] = self.storage_layout
        return out

    @classmethod
    def from_json(cls, data: str | dict[str, Any], name: str = "") -> ContractRecord:
        """From an ``{address, contract, …}`` object, or a bare address (its ``contract`` is then ``name``)."""
        if isinstance(data, str):
            return cls(address=to_checksum_address(data), contract=name)
        return cls(
            address=to_checksum_address(data["address"]), contract=str(data.get("contract") or name),
            version=data.get("version"),
            implementation=to_checksum_address(data["implementation"]) if data.get("implementation") else None,
            storage_layout=dict(data["storage_layout"]) if data.get("storage_layout") else None,
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )


@dataclass
class Deployment:
    """A market's deployment on one chain, as ``deployments/<network>.json`` records it.

    ``contracts`` maps a name (``UserRegistry``, ``Timelock``, ``Safe``, ``asset`` …) to its `ContractRecord`; bare
    address strings given to the constructor become records too."""

    chain_id: int
    contracts: dict[str, ContractRecord]
    block: int = 0
    network: str = ""
    deployer: str | None = None
    governance: dict[str, Any] = field(default_factory=dict)
    genesis_hash: str | None = None
    block_hash: str | None = None  # the last block of the deployment: with the genesis hash, its BIP-122 URI
    git_commit: str | None = None
    git_dirty: bool = False
    deployed_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # any other top-level field of the file, kept as is

    REQUIRED = REQUIRED
    _KNOWN = ("network", "chain_id", "genesis_hash", "block", "block_hash", "deployed_at", "git_commit", "git_dirty",
              "deployer", "governance", "contracts")

    def __post_init__(self) -> None:
        self.contracts = {name: c if isinstance(c, ContractRecord) else ContractRecord.from_json(c, name)
                          for name, c in self.contracts.items()}

    def address(self, name: str) -> str:
        """The checksummed address of ``name``; ``ConfigurationError`` naming it (and the known ones) otherwise."""
        try:
            return self.contracts[name].address
        except KeyError:
            known = ", ".join(self.contracts) or "none"
            raise ConfigurationError(f"deployment has no address for {name} (known: {known})") from None

    @property
    def addresses(self) -> dict[str, str]:
        """Every recorded contract's address by name."""
        return {name: c.address for name, c in self.contracts.items()}

    # ------------------------------------------------------------------------------------------- JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network, "chain_id": self.chain_id, "genesis_hash": self.genesis_hash,
            "block": self.block, "block_hash": self.block_hash, "deployed_at": self.deployed_at,
            "git_commit": self.git_commit, "git_dirty": self.git_dirty, "deployer": self.deployer,
            "governance": self.governance, **self.extra,
            "contracts": {name: c.to_json() for name, c in self.contracts.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, required: tuple[str, ...] = REQUIRED) -> Deployment:
        """Parses the file's JSON; ``ConfigurationError`` for a missing or bad field or a missing market contract."""
        try:
            contracts = {name: ContractRecord.from_json(c, name) for name, c in data["contracts"].items()}
            deployment = cls(
                chain_id=int(data["chain_id"]), contracts=contracts, block=int(data.get("block") or 0),
                network=str(data.get("network") or ""),
                deployer=to_checksum_address(data["deployer"]) if data.get("deployer") else None,
                governance=dict(data.get("governance") or {}), genesis_hash=data.get("genesis_hash"),
                block_hash=data.get("block_hash"), git_commit=data.get("git_commit"),
                git_dirty=bool(data.get("git_dirty", False)), deployed_at=data.get("deployed_at"),
                extra={k: v for k, v in data.items() if k not in cls._KNOWN},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigurationError(f"not a deployment file: missing or bad field {exc}") from exc
        missing = [name for name in required if name not in deployment.contracts]
        if missing:
            raise ConfigurationError(f"deployment has no address for {', '.join(missing)}")
        return deployment

    @classmethod
    def from_file(cls, path: str | Path, *, required: tuple[str, ...] = REQUIRED) -> Deployment:
        p = Path(path)
        try:
            text = p.read_text()
        except FileNotFoundError:
            raise ConfigurationError(f"deployment file {p} does not exist (run `disfruta deploy` first)") from None
        except (IsADirectoryError, PermissionError) as exc:
            raise ConfigurationError(f"cannot read deployment file {p}: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"deployment file {p} is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigurationError(f"deployment file {p} is not a JSON object")
        return cls.from_dict(data, required=required)

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return p


def network_file_name(ecosystem: str, network: str) -> str:
    """``<network>.json`` on Ethereum (``local``, ``sepolia``, ``mainnet``), ``<ecosystem>-<network>.json`` elsewhere
    (``arbitrum-mainnet``), so two ecosystems' ``mainnet`` never share a file."""
    return f"{network}.json" if ecosystem == "ethereum" else f"{ecosystem}-{network}.json"
