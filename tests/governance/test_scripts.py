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
