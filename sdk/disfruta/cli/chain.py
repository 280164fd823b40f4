"""Local-chain commands: ``node``, ``deploy``, ``demo``, ``whoami``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import click

from disfruta.cli.base import (
    Context,
    main,
    pass_ctx,
)
from disfruta.cli.params import (
    ACCOUNT,
    ADDRESS,
)

# ----------------------------------------------------------------------------------------------- chain


@main.command()
@click.option("--port", default=8545, show_default=True)
@click.option("--block-time", type=int, default=None, help="Seconds per block (default: mine on demand).")
def node(port: int, block_time: int | None) -> NoReturn:
    """Start a local anvil chain (Ctrl-C stops it)."""
    anvil = shutil.which("anvil") or str(Path("node_modules/.bin/anvil").resolve())
    if not Path(anvil).exists():
        raise click.ClickException("anvil not found: run `make setup` (it comes from the npm package)")
    args = [anvil, "--port", str(port)] + (["--block-time", str(block_time)] if block_time else [])
    sys.exit(subprocess.call(args))


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the deployment file (default: the --deployment path).")
@click.option("--owners", default=None, help="Comma-separated Safe owners (local chains: first 3 dev accounts).")
@click.option("--threshold", type=int, default=2, show_default=True)
@click.option("--operator", type=ACCOUNT, default=None,
              help="Local chains: one account (address or dev index) as KYC admin, revoker, underwriter and oracle "
                   "signer, so the whole market can be driven from the CLI (default: the Safe holds those roles).")
@click.option("--kyc-admin", type=ACCOUNT, default=None, help="The KYC admin (verifies users; default the Safe).")
@click.option("--revoker", type=ACCOUNT, default=None, help="The revoker (default the Safe).")
@click.option("--underwriter", type=ACCOUNT, default=None, help="The underwriter (approves loans; default the Safe).")
@click.option("--oracle-signer", "oracle_signers", type=ACCOUNT, multiple=True,
              help="An address whose attestations the registry accepts (repeatable).")
@click.option("--chain", "chain_names", multiple=True, metavar="NAME",
              help="Deploy with this chain's settings (ethereum, arbitrum, optimism, base, polygon): its stablecoin, "
                   "checked against the node's chain id. With --dry-run or --plan, repeatable, or 'all'.")
@click.option("--salt", "market_salt", default="v1", show_default=True,
              help="The market's CREATE2 salt: the same salt, deployer and settings give the same addresses on "
                   "every chain.")
@click.option("--dry-run", is_flag=True,
              help="Start a rehearsal anvil per --chain (its chain id, --optimism where it applies), deploy there, "
                   "write deployments/<network>.json marked dry_run (into --out-dir).")
@click.option("--plan", is_flag=True, help="Print where every contract will be, computed offline; send nothing.")
@click.option("--deployer", "deployer_address", type=ADDRESS, default=None,
              help="With --dry-run or --plan: the address the real deployment sends from (default dev account 0).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("deployments"),
              show_default=True, help="With --dry-run: where the deployment files go.")
@click.option("--check", "check_files", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="With --plan: a deployment file to hold against the plan of its chain (repeatable); exit status "
                   "1 naming every contract that is elsewhere.")
@pass_ctx
def deploy(ctx: Context, out: str | None, owners: str | None, threshold: int, operator: str | int | None,
           kyc_admin: str | int | None, revoker: str | int | None, underwriter: str | int | None,
           oracle_signers: tuple[str | int, ...], chain_names: tuple[str, ...], market_salt: str, dry_run: bool,
           plan: bool, deployer_address: str | None, out_dir: Path, check_files: tuple[Path, ...]) -> None:
    """Deploy a market with its timelock and Safe (every contract through CREATE2); write the deployment file."""
    from disfruta.chains import CHAINS, chain_named

    chains = (list(CHAINS) if "all" in chain_names else [chain_named(n) for n in chain_names])
    signers = tuple(oracle_signers) or ((operator,) if operator is not None else ())
    if dry_run and plan:
        raise click.UsageError("--plan computes addresses, --dry-run deploys on rehearsal anvils: give one")
    if check_files and not plan:
        raise click.UsageError("--check holds a deployment file against the plan: it goes with --plan")
    if deployer_address is not None and not (dry_run or plan):
        raise click.UsageError("--deployer goes with --plan or --dry-run (a deployment here sends from dev account "
                               "0; elsewhere use `ape run deploy --deployer ALIAS`)")
    if dry_run or plan:
        if not chains:
            raise click.UsageError("--dry-run and --plan need --chain NAME (repeatable) or --chain all")
        if signers or kyc_admin is not None or revoker is not None or underwriter is not None or operator is not None:
            raise click.UsageError("--dry-run and --plan take the Safe's owners only: operators default to the Safe")
        from disfruta.governance.multichain import deploy_dry_runs, plan_markets

        run = plan_markets if plan else deploy_dry_runs
        result = run(chains, owners.split(",") if owners else None, threshold, market_salt, deployer_address,
                     out_dir)
        if check_files:
            from disfruta.governance.multichain import check_against_plan

            result["checks"] = check_against_plan(result, list(check_files))
            result["text"] += "\n" + "\n".join(c["text"] for c in result["checks"])
        ctx.emit(result, lambda: click.echo(result["text"]))
        if any(not c["ok"] for c in result.get("checks", [])):
            raise SystemExit(1)
        return
    if len(chains) > 1:
        raise click.UsageError("a deployment is on one chain: give one --chain (or use --dry-run)")
    from disfruta.governance.deployment import deploy_from_cli

    path = Path(out or ctx.deployment)
    record = deploy_from_cli(ctx.network, path, owners.split(",") if owners else None, threshold, signers,
                             kyc_admin=kyc_admin if kyc_admin is not None else operator,
                             revoker=revoker if revoker is not None else operator,
                             underwriter=underwriter if underwriter is not None else operator,
                             chain=chains[0] if chains else None, market_salt=market_salt)
    ctx.emit(record, lambda: click.echo(f"deployed to chain {record['chain_id']}; wrote {path}"))


@main.command()
@click.option("--network", "demo_network", default="ethereum:local:foundry", show_default=True,
              help="ape network choice; the default starts a fresh local anvil.")
@click.option("--serve/--no-serve", default=False, show_default=True,
              help="Then serve the reference dApp (app/dist, `make app`) next to the index API, until Ctrl-C "
                   "(without a terminal: only checked to answer).")
def demo(demo_network: str, serve: bool) -> None:
    """The full tour on a fresh local chain: deploy, onboard, fund, repay for months, default, tables."""
    from disfruta.demo import run_demo

    run_demo(demo_network, serve=serve)


@main.command()
@pass_ctx
def whoami(ctx: Context) -> None:
    """The signing account's address (from --key or --account)."""
    address = ctx.address()
    ctx.emit({"address": address}, lambda: click.echo(address))


# ----------------------------------------------------------------------------------------------- bundles


@main.group()
def bundles() -> None:
    """Explorer verification bundles of a deployment: write them, check them offline against the chain."""


@bundles.command("write")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Default: deployments/verification/<the deployment file's name>/.")
@pass_ctx
def bundles_write(ctx: Context, out_dir: Path | None) -> None:
    """One bundle per contract of the --deployment record (Standard JSON input, compiler, constructor arguments,
    Etherscan's form fields, the forge command, a proxy's implementation)."""
    from disfruta.governance.verification import write_record_bundles

    target = out_dir or Path("deployments") / "verification" / Path(ctx.deployment).stem
    record, paths = write_record_bundles(Path(ctx.deployment), target)
    ctx.emit({"dir": str(target), "files": [str(p) for p in paths]},
             lambda: click.echo(f"{len(paths)} bundles of {record.network or 'the deployment'} "
                                f"(chain {record.chain_id}) in {target}/"))


@bundles.command("check")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@pass_ctx
def bundles_check(ctx: Context, directory: Path) -> None:
    """Recompile every bundle in DIRECTORY and compare it with the code at its address on --network (immutables
    masked); one line per bundle, exit status 1 if any does not match."""
    from web3 import Web3

    from disfruta.governance.verification import check_bundles, read_bundles

    results = check_bundles(read_bundles(directory), Web3(Web3.HTTPProvider(ctx.network)))
    ctx.emit([{"label": r.label, "ok": r.ok, "match": r.match, "message": r.message} for r in results],
             lambda: click.echo("\n".join(r.message for r in results)))
    if not all(r.ok for r in results):
        raise SystemExit(1)


@main.command("create2-factory")
@click.option("--send", is_flag=True,
              help="If the chain has none: fund its keyless sender with 0.01 ETH from --key/--account and broadcast "
                   "the keyless transaction that creates it (what anyone may do on a new chain).")
@pass_ctx
def create2_factory(ctx: Context, send: bool) -> None:
    """Is the deterministic-deployment proxy (the CREATE2 factory every market contract goes through) on --network?"""
    from web3 import Web3

    from disfruta.governance.create2 import (
        DETERMINISTIC_DEPLOYER,
        DETERMINISTIC_DEPLOYER_FUNDING,
        DETERMINISTIC_DEPLOYER_SIGNER,
        ensure_deterministic_deployer,
        send_keyless_transaction,
    )

    w3 = Web3(Web3.HTTPProvider(ctx.network))
    chain_id = int(w3.eth.chain_id)
    if w3.eth.get_code(DETERMINISTIC_DEPLOYER):
        ensure_deterministic_deployer(w3, local=False)  # checks the code is the factory's
        ctx.emit({"chain_id": chain_id, "factory": DETERMINISTIC_DEPLOYER, "present": True},
                 lambda: click.echo(f"chain {chain_id}: the deterministic-deployment proxy is at "
                                    f"{DETERMINISTIC_DEPLOYER}"))
        return
    if not send:
        raise click.ClickException(
            f"chain {chain_id} has no deterministic-deployment proxy at {DETERMINISTIC_DEPLOYER}: run again with "
            f"--send and --key (it sends 0.01 ETH to {DETERMINISTIC_DEPLOYER_SIGNER}, then its keyless transaction)")
    missing = DETERMINISTIC_DEPLOYER_FUNDING - int(w3.eth.get_balance(DETERMINISTIC_DEPLOYER_SIGNER))
    if missing > 0:
        tx: dict[str, object] = {"to": DETERMINISTIC_DEPLOYER_SIGNER, "value": missing}
        if ctx.key is not None:
            tx.update({"from": ctx.key.address, "chainId": chain_id, "gas": 21_000,
                       "nonce": w3.eth.get_transaction_count(ctx.key.address), "gasPrice": w3.eth.gas_price})
            tx_hash = w3.eth.send_raw_transaction(ctx.key.sign_transaction(tx).raw_transaction)
        else:
            tx["from"] = ctx.address()
            tx_hash = w3.eth.send_transaction(tx)  # type: ignore[arg-type]
        if w3.eth.wait_for_transaction_receipt(tx_hash)["status"] != 1:
            raise click.ClickException(f"funding the keyless sender failed (tx {tx_hash.hex()})")
    send_keyless_transaction(w3)
    ctx.emit({"chain_id": chain_id, "factory": DETERMINISTIC_DEPLOYER, "present": True, "created": True},
             lambda: click.echo(f"chain {chain_id}: created the deterministic-deployment proxy at "
                                f"{DETERMINISTIC_DEPLOYER} with its keyless transaction"))
