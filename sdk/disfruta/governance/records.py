"""What governance does with a deployment record (``disfruta.deployment.Deployment``): implementation versions, the
live implementation behind a proxy, the git revision a deployment came from, refreshing a proxy after an upgrade.

Implementation versions: the contracts have no ``version()`` (and adding one would mean a string that can drift from
the code), so a version is the contract's name plus a hash of its compiled runtime bytecode — e.g.
``LoanFactory@3f9a0c1b2d4e``. solc appends a hash of the source metadata to that bytecode, so any change to the source
or compiler settings gives a new version, and the same code always the same one. (Immutables are zero in the compiled
bytecode, so the version doesn't depend on where the code was deployed.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from disfruta.deployment import Deployment
from disfruta.governance.errors import DeploymentError
from disfruta.governance.layout import StorageLayout

if TYPE_CHECKING:
    from ethpm_types import ContractType

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


# What a deployment writes, not what it deploys: changes there do not make the deployed code "dirty".
_OUTPUTS = ("deployments/", "sdk/disfruta/data/addressbook.json", "sdk/disfruta/data/manifest.json", "abi/")


def git_revision(repo: Path) -> tuple[str | None, bool]:
    """``(HEAD commit, working tree has uncommitted changes to tracked files)``; ``(None, False)`` outside git.
    Changes to the deployment records and the exported ABIs, address book and manifest (`_OUTPUTS`) don't count:
    writing the second of several dry runs would otherwise call the first one's code dirty."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None, False
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    return commit.stdout.strip(), any(not path.startswith(_OUTPUTS) for path in changed)


def storage_layout(record: Deployment, proxy_name: str) -> StorageLayout | None:
    """The recorded storage layout of ``proxy_name``'s live implementation, parsed."""
    entry = record.contracts.get(proxy_name)
    return StorageLayout.from_json(entry.storage_layout) if entry and entry.storage_layout else None


def refresh_implementation(record: Deployment, proxy_name: str, contract_type: ContractType,
                           layout: StorageLayout) -> None:
    """Records that ``proxy_name`` now runs ``contract_type`` (read from the proxy's ERC-1967 slot)."""
    entry = record.contracts[proxy_name]
    entry.implementation = implementation_address(entry.address)
    entry.version = code_version(contract_type)
    entry.contract = str(contract_type.name)
    entry.storage_layout = layout.to_json()
