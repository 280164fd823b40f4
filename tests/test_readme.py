"""The README's SDK example runs as written against a real deployment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from eth_account import Account

from disfruta.attestations import Role

README = Path(__file__).resolve().parent.parent / "README.md"


def sdk_example() -> str:
    text = README.read_text()
    section = text[text.index("## The SDK in 20 lines"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example__twenty_lines_or_fewer():
    lines = [line for line in sdk_example().splitlines() if line.strip()]
    assert len(lines) <= 20, len(lines)


def test_readme_example__runs_as_written(tmp_path, market, chain, create_loan, onboard, unit, admin):
    create_loan(amount_tokens=1_000, term=12)
    lender = Account.create()
    chain.set_balance(lender.address, 10**19)
    onboard(lender.address, Role.LENDER)
    market.asset.mint(lender.address, 1_000 * unit, sender=admin)
    deployment = tmp_path / "local.json"
    deployment.write_text(json.dumps({"chain_id": chain.chain_id, "contracts": {
        "UserRegistry": market.registry.address, "LoanFactory": market.factory.address,
        "Treasury": market.treasury.address, "LendingPool": market.pool.address, "asset": market.asset.address}}))
    script = tmp_path / "example.py"
    script.write_text(sdk_example())
    env = {**os.environ, "DISFRUTA_NETWORK": chain.provider.uri, "DISFRUTA_DEPLOYMENT": str(deployment),
           "LENDER_KEY": lender.key.hex()}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "#1 B3" in out.stdout and "invested 25" in out.stdout and "cash 475" in out.stdout
