"""The ape scripts stay runnable: they import, and every command parses its options (``--help`` needs no chain).
The chain-facing logic they call is what the other governance tests exercise."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"disfruta_script_{name}", SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("script", "args", "expected"), [
    ("deploy", [], ["--safe", "--owner", "--threshold", "--asset", "--executor", "--underwriter", "--network"]),
    ("export_abis", [], ["--abi-dir", "--manifest", "--include-local"]),
    ("governance", [], ["propose", "sign", "execute", "status", "pause", "cancel", "revoke-signer", "warp"]),
    ("governance", ["propose"], ["upgrade", "set-rate", "unpause", "add-signer", "remove-signer"]),
    ("governance", ["propose", "upgrade"], ["--contract", "--implementation", "--init", "--deployment", "--network"]),
    ("governance", ["sign"], ["--account", "--key-env"]),
])
def test_script__help__lists_its_commands_and_options(script, args, expected):
    result = CliRunner().invoke(load(script).cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    for word in expected:
        assert word in result.output, f"{script} {' '.join(args)}: {word} missing"


def test_deploy_script__test_accounts_only_on_a_development_node():
    import click

    deploy = load("deploy")
    with pytest.raises(click.UsageError, match="TEST::0 is a test account \\(its key is public\\)"):
        deploy.load_account("TEST::0", local=False)
    with pytest.raises(click.UsageError, match="give --deployer"):
        deploy.load_account(None, local=False)
    with pytest.raises(click.UsageError, match="a test account is TEST::0"):
        deploy.load_account("TEST::x", local=True)
    assert deploy.load_account("TEST::2", local=True).address == "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def test_deploy_script__chain_settings__by_name_or_the_connected_chain():
    import click

    deploy = load("deploy")
    assert deploy.chain_of(None, 8453, local=False).name == "base"
    assert deploy.chain_of(None, 11155111, local=False) is None  # not in the table: give --asset
    assert deploy.chain_of(None, 31337, local=True) is None
    assert deploy.chain_of("arbitrum", 42161, local=True).stablecoin == "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"
    with pytest.raises(click.UsageError, match="--chain base on a local node needs one started with `anvil "
                                               "--chain-id 8453 --optimism` \\(this one is chain 31337\\)"):
        deploy.chain_of("base", 31337, local=True)
    with pytest.raises(click.UsageError, match="--chain base is chain 8453; the network is chain 10"):
        deploy.chain_of("base", 10, local=False)
