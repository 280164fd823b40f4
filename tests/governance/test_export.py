"""ABIs for frontends and the ethPM manifest the SDK ships: complete, loadable, and up to date with the contracts."""

from __future__ import annotations

import json
from pathlib import Path

from disfruta import __version__
from disfruta.deployment import ContractRecord, Deployment
from disfruta.governance.export import EXPORTED, build_manifest, export_abis, load_manifest, write_manifest
from ethpm_types import PackageManifest

ROOT = Path(__file__).resolve().parents[2]
STALE = "stale: run `ape run export_abis` and commit abi/ and sdk/disfruta/data/manifest.json"


def record(network: str = "sepolia") -> Deployment:
    addresses = {name: "0x" + f"{i + 1:040x}" for i, name in enumerate(
        ["UserRegistry", "LoanFactory", "Treasury", "LendingPool", "LoanImplementation", "Timelock", "Safe", "asset"])}
    contracts = {name: ContractRecord(address=addr, contract=name) for name, addr in addresses.items()}
    contracts["LoanFactory"].contract = "LoanFactoryV2"  # upgraded: dApps must use the live implementation's ABI
    contracts["LoanImplementation"].contract = "Loan"
    contracts["Timelock"].contract = "DisfrutaTimelock"
    contracts["asset"].contract = "MockERC20"
    return Deployment(network=network, chain_id=11155111, block=7, deployer=addresses["Safe"],
                            contracts=contracts, governance={}, genesis_hash="0x" + "aa" * 32,
                            block_hash="0x" + "bb" * 32)


def test_export_abis__one_plain_abi_per_contract(project, tmp_path):
    paths = export_abis(project, tmp_path)
    assert [p.stem for p in paths] == list(EXPORTED)
    factory = json.loads((tmp_path / "LoanFactory.json").read_text())
    assert {e["name"] for e in factory if e["type"] == "event"} >= {"LoanCreated", "RateSet", "RoleGranted", "Upgraded"}
    timelock = json.loads((tmp_path / "DisfrutaTimelock.json").read_text())
    assert {e["name"] for e in timelock if e["type"] == "event"} >= {"CallScheduled", "CallExecuted", "Cancelled"}


def test_manifest__round_trip_with_deployments_under_bip122_uri(project, tmp_path):
    manifest = build_manifest(project, [record()], version=__version__)
    loaded = load_manifest(write_manifest(manifest, tmp_path / "manifest.json"))
    assert isinstance(loaded, PackageManifest) and loaded.name == "disfruta" and loaded.version == __version__
    assert set(EXPORTED) <= set(loaded.contract_types)
    assert loaded.contract_types["Loan"].abi == project.Loan.contract_type.abi
    (uri, instances), = loaded.deployments.items()
    assert uri == f"blockchain://{'aa' * 32}/block/{'bb' * 32}"
    assert instances["LoanFactory"].contract_type == "LoanFactoryV2" and "LoanFactoryV2" in loaded.contract_types
    assert instances["Treasury"].address == "0x0000000000000000000000000000000000000003"
    assert "Safe" not in instances  # not a project contract: its ABI comes from safe-eth-py


def test_committed_abis_and_manifest__match_the_compiled_contracts(project, tmp_path):
    fresh = export_abis(project, tmp_path)
    for path in fresh:
        committed = ROOT / "abi" / path.name
        assert committed.exists() and json.loads(committed.read_text()) == json.loads(path.read_text()), \
            f"abi/{path.name} {STALE}"
    shipped = load_manifest(ROOT / "sdk" / "disfruta" / "data" / "manifest.json")
    for name, contract_type in shipped.contract_types.items():
        assert contract_type.abi == project.get_contract(name).contract_type.abi, f"manifest {name} ABI {STALE}"
        assert contract_type.runtime_bytecode == project.get_contract(name).contract_type.runtime_bytecode, \
            f"manifest {name} bytecode {STALE}"
