"""ABIs for frontends and the ethPM manifest the SDK ships: complete, loadable, and up to date with the contracts."""

from __future__ import annotations

import json
from pathlib import Path

from disfruta import __version__
from disfruta.abi import abi_of, error_selectors
from disfruta.deployment import ContractRecord, Deployment
from disfruta.governance.export import (
    EXPORTED,
    EXTERNAL,
    build_manifest,
    export_abis,
    external_contract_types,
    load_manifest,
    write_manifest,
)
from eth_utils import function_signature_to_4byte_selector
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
    assert [p.stem for p in paths] == [*EXPORTED, *EXTERNAL]
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
    external = external_contract_types(project)
    assert set(EXTERNAL) <= set(shipped.contract_types), f"manifest {STALE}"
    for name, contract_type in shipped.contract_types.items():
        source = external[name] if name in external else project.get_contract(name).contract_type
        assert contract_type.abi == source.abi, f"manifest {name} ABI {STALE}"
        assert contract_type.runtime_bytecode == source.runtime_bytecode, f"manifest {name} bytecode {STALE}"


# Mocks that only tests and benchmarks deploy: their own errors need not ship.
TEST_ONLY = ("PushLoopLoan",)


def test_manifest__decodes_every_custom_error_of_the_deployed_contracts(project):
    """`disfruta.errors.decode_revert` is the one revert decoder, governance's included: every custom error of every
    contract (OpenZeppelin's AccessControl, UUPS, ERC-1967 and TimelockController errors among them) is in the
    packaged manifest with the same selector and inputs."""
    shipped = error_selectors()
    names = {item["name"] for item in shipped.values()}
    for name in project.contracts.keys():
        if name in TEST_ONLY:
            continue
        for err in project.contracts[name].errors:
            selector = function_signature_to_4byte_selector(err.selector)
            assert selector in shipped and shipped[selector]["name"] == err.name, \
                f"{name}.{err.name} missing from the manifest: {STALE}"
    for name in ("TimelockUnexpectedOperationState", "TimelockUnexecutedPredecessor", "TimelockInsufficientDelay",
                 "AccessControlUnauthorizedAccount", "UUPSUnauthorizedCallContext", "UUPSUnsupportedProxiableUUID",
                 "ERC1967InvalidImplementation", "ERC1967NonPayable", "InvalidInitialization", "EnforcedPause"):
        assert name in names, name


def test_manifest__market_token_and_multicall3_abis_for_the_core():
    erc20 = {item["name"] for item in abi_of("IERC20Metadata") if item["type"] == "function"}
    assert erc20 == {"name", "symbol", "decimals", "totalSupply", "balanceOf", "allowance", "approve", "transfer",
                     "transferFrom"}
    multicall = {item["name"] for item in abi_of("Multicall3") if item["type"] == "function"}
    assert {"aggregate3", "aggregate3Value", "tryAggregate", "getCurrentBlockTimestamp", "getBlockNumber"} <= multicall
