"""The README's SDK example runs as written against a real deployment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from disfruta.attestations import Role

from conftest import market_deployment

README = Path(__file__).resolve().parent.parent / "README.md"


def sdk_example() -> str:
    text = README.read_text()
    section = text[text.index("## The SDK in 20 lines"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example__twenty_lines_or_fewer():
    lines = [line for line in sdk_example().splitlines() if line.strip()]
    assert len(lines) <= 20, len(lines)


def _run_example(python: str, tmp_path: Path, market, chain, create_loan, onboard, unit, admin) -> None:
    """A funding loan and a verified lender holding 1,000 tokens, then the example run by ``python``."""
    create_loan(amount_tokens=1_000, term=12)
    lender = Account.create()
    chain.set_balance(lender.address, 10**19)
    onboard(lender.address, Role.LENDER)
    market.asset.mint(lender.address, 1_000 * unit, sender=admin)
    deployment = tmp_path / "local.json"
    deployment.write_text(json.dumps(market_deployment(market, chain)))
    script = tmp_path / "example.py"
    script.write_text(sdk_example())
    env = {**os.environ, "DISFRUTA_NETWORK": chain.provider.uri, "DISFRUTA_DEPLOYMENT": str(deployment),
           "LENDER_KEY": lender.key.hex()}
    env.pop("PYTHONPATH", None)
    out = subprocess.run([python, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "#1 B3" in out.stdout and "invested 25" in out.stdout and "cash 475" in out.stdout


def test_readme_example__runs_as_written(tmp_path, market, chain, create_loan, onboard, unit, admin):
    _run_example(sys.executable, tmp_path, market, chain, create_loan, onboard, unit, admin)


# Interpreters of venvs holding only the built wheel (no extras), colon-separated: tools/check_core_install.sh sets it.
CORE_PYTHONS = [p for p in os.environ.get("DISFRUTA_CORE_PYTHONS", "").split(":") if p]


@pytest.mark.skipif(not CORE_PYTHONS, reason="DISFRUTA_CORE_PYTHONS is not set (tools/check_core_install.sh sets it)")
@pytest.mark.parametrize("python", CORE_PYTHONS or ["-"], ids=lambda p: Path(p).parent.parent.name)
def test_readme_example__runs_on_the_core_install(python, tmp_path, market, chain, create_loan, onboard, unit, admin):
    """The example as written, by a Python whose venv has ``pip install disfruta`` alone (the wheel, no extras)."""
    where = subprocess.run([python, "-c", "import disfruta, sys; print(disfruta.__file__); print(sys.version)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
                           env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}).stdout.splitlines()
    assert not Path(where[0]).is_relative_to(README.parent), f"{python} imports disfruta from the checkout: {where}"
    _run_example(python, tmp_path, market, chain, create_loan, onboard, unit, admin)
