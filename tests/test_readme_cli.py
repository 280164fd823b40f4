"""The README's CLI walk ("From a node to a repaid loan with the CLI alone") runs as written, by bash, against a
fresh anvil this test starts on a free port (the walk reads it from $DISFRUTA_NETWORK), then the outcome is checked
on chain."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from disfruta import Disfruta, Grade, LoanStatus

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "### From a node to a repaid loan with the CLI alone"


def cli_walk() -> str:
    text = README.read_text()
    section = text[text.index(SECTION):]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def anvil(tmp_path):
    """A fresh anvil (default mnemonic: the dev accounts `disfruta node` has) on a free port; its RPC URL."""
    binary = shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil")
    port = _free_port()
    with (tmp_path / "anvil.log").open("wb") as log:
        proc = subprocess.Popen([binary, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"anvil did not start: {(tmp_path / 'anvil.log').read_text()}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_readme_cli_walk__a_fresh_node__loan_repaid_and_lender_paid(anvil, tmp_path):
    deployment = tmp_path / "local.json"
    env = {**os.environ, "DISFRUTA_NETWORK": anvil, "DISFRUTA_DEPLOYMENT": str(deployment),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("DISFRUTA_PRIVATE_KEY", "DISFRUTA_ORACLE_URL"):
        env.pop(name, None)
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", cli_walk()], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, f"{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    assert "Traceback" not in out.stdout + out.stderr
    assert "repaid in full" in out.stdout and "claimed" in out.stdout

    client = Disfruta.connect(anvil, deployment)
    accounts = client.core.accounts()
    borrower, lender = accounts[5], accounts[6]
    loan = client.loans.get(1)
    assert loan.status == LoanStatus.REPAID and loan.borrower == borrower and loan.principal == client.to_units(2_000)
    assert all(i.paid for i in client.loans.schedule(1))
    assert client.registry.user(borrower).grade == Grade.B3 and client.registry.user(lender).is_verified_lender
    # The lender got the principal back less the 1 % servicing fee, plus the few seconds of interest.
    lender_wallet = client.token.balance(lender)
    assert client.to_units(4_980) <= lender_wallet < client.to_units(5_000)
    assert client.loans.claimable(1, lender) == 0
