"""The runbook "The same market on a new chain" (README, governance operator runbook) runs as written, by bash,
against a rehearsal anvil of Base (chain id 8453, ``--optimism``, no CREATE2 factory of its own), with ape's local
Foundry network pointed at it and the dev accounts as deployer, owners and funder. Then the result is checked on
chain: the addresses are the plan's, and the factory was created by its keyless transaction."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from disfruta.chains import chain_named
from disfruta.deployment import Deployment
from disfruta.governance.create2 import DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_CODE
from disfruta.governance.multichain import PER_CHAIN, compare_across_chains, rehearsal_node
from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### The same market on a new chain"
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's first dev account


def runbook() -> str:
    text = (ROOT / "README.md").read_text()
    return re.search(r"```bash\n(.*?)```", text[text.index(SECTION):], re.DOTALL).group(1)


def test_runbook__as_written__on_a_rehearsal_of_base(tmp_path):
    import ape

    dev = [str(a.address) for a in ape.accounts.test_accounts]
    deployments = tmp_path / "deployments"
    base = chain_named("base")
    with rehearsal_node(base) as url:
        w3 = Web3(Web3.HTTPProvider(url))
        assert not w3.eth.get_code(DETERMINISTIC_DEPLOYER)
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": f"{bin_dir}:{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
               "CHAIN": "base", "NETWORK": "ethereum:local:foundry", "APE_FOUNDRY_HOST": url, "RPC": url,
               "FILE": base.deployment_file, "RECORDS": str(deployments), "DEPLOYER": "TEST::0",
               "DEPLOYER_ADDRESS": dev[0], "OWNERS": ",".join(dev[1:4]), "SALT": "usdc-v1", "FUNDER_KEY": DEV_KEY,
               "NO_COLOR": "1"}
        env.pop("DISFRUTA_NETWORK", None)
        env.pop("DISFRUTA_DEPLOYMENT", None)
        done = subprocess.run([shutil.which("bash") or "bash", "-euo", "pipefail", "-c", runbook()], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        out = done.stdout
        assert "computed offline, nothing sent" in out
        assert f"created the deterministic-deployment proxy at {DETERMINISTIC_DEPLOYER}" in out
        assert "every contract where the plan puts it on Base" in out
        assert out.count("(full match)") == 16 and "NOT VERIFIED" not in out
        assert bytes(w3.eth.get_code(DETERMINISTIC_DEPLOYER)) == bytes(DETERMINISTIC_DEPLOYER_CODE)
        record = Deployment.from_file(deployments / base.deployment_file)
        assert record.chain_id == 8453 and record.address("asset") == base.stablecoin
        assert w3.eth.get_code(record.address("LendingPool"))
        rehearsal = Deployment.from_file(deployments / "rehearsal" / base.deployment_file)
        assert compare_across_chains({"ape run deploy": record, "dry run": rehearsal}) == {}
        assert set(PER_CHAIN) == {"asset", "LoanImplementation"}
        assert json.loads((deployments / "verification" / "base-mainnet" / "Timelock.json").read_text())[
            "chain_id"] == 8453
