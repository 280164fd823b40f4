"""``ape run deploy``: a governed Disfruta market, recorded in ``deployments/<network>.json``.

On a local chain it first deploys a real Safe v1.4.1 (owners: test accounts 1-3, threshold 2, unless given) and the
"Demo USD" token (6 decimals). Elsewhere give the Safe's and the token's addresses. Every option can also come from
the environment (``DISFRUTA_SAFE``, ``DISFRUTA_SAFE_OWNERS`` comma-separated, ``DISFRUTA_ASSET``, ...).

    ape run deploy                                              # local anvil, started and stopped by ape
    ape run deploy --network ethereum:local:http://127.0.0.1:8545 --owner 0xA… --owner 0xB… --threshold 2
    ape run deploy --network ethereum:sepolia:node --deployer ops --safe 0xS… --asset 0xU… --underwriter 0xU…
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape import accounts, project
from ape.api import AccountAPI
from ape.api.networks import NetworkAPI
from ape.cli import ConnectedProviderCommand, ape_cli_context, network_option
from disfruta.governance.deployment import GovernanceConfig, deploy_to_file
from disfruta.governance.timelock import MIN_DELAY


def load_account(alias: str | None, network: NetworkAPI) -> AccountAPI:
    """``TEST::n`` is ape's n-th test account; any other alias an ape account (``ape accounts import``)."""
    if alias is None:
        if not network.is_local:
            raise click.UsageError("give --deployer (an ape account alias) outside a local chain")
        return accounts.test_accounts[0]
    if alias.startswith("TEST::"):
        return accounts.test_accounts[int(alias.removeprefix("TEST::"))]
    return accounts.load(alias)


def _split(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for item in value for v in item.split(",") if v.strip())


@click.command(cls=ConnectedProviderCommand)
@ape_cli_context()
@network_option()
@click.option("--deployer", envvar="DISFRUTA_DEPLOYER", help="ape account alias (default on a local chain: TEST::0)")
@click.option("--safe", envvar="DISFRUTA_SAFE", help="the governance Safe's address (required off a local chain)")
@click.option("--owner", "owners", multiple=True, envvar="DISFRUTA_SAFE_OWNERS", callback=_split,
              help="owner of the local Safe (repeat; default test accounts 1-3)")
@click.option("--threshold", type=int, envvar="DISFRUTA_SAFE_THRESHOLD", default=2, show_default=True)
@click.option("--asset", envvar="DISFRUTA_ASSET", help="the market's ERC-20 (required off a local chain)")
@click.option("--kyc-admin", envvar="DISFRUTA_KYC_ADMIN", help="KYC_ADMIN_ROLE holder (default: the Safe)")
@click.option("--revoker", envvar="DISFRUTA_REVOKER", help="REVOKER_ROLE holder (default: the Safe)")
@click.option("--underwriter", envvar="DISFRUTA_UNDERWRITER", help="UNDERWRITER_ROLE holder (default: the Safe)")
@click.option("--oracle-signer", "oracle_signers", multiple=True, envvar="DISFRUTA_ORACLE_SIGNERS", callback=_split)
@click.option("--executor", type=click.Choice(["anyone", "safe"]), envvar="DISFRUTA_EXECUTOR", default="anyone",
              show_default=True, help="who may execute a ready timelock operation")
@click.option("--min-delay", type=int, default=MIN_DELAY, show_default=True, help="timelock delay in seconds")
@click.option("--out-dir", type=click.Path(path_type=Path), default=Path("deployments"), show_default=True)
def cli(cli_ctx: Any, network: NetworkAPI, deployer: str | None, safe: str | None, owners: tuple[str, ...],
        threshold: int, asset: str | None, kyc_admin: str | None, revoker: str | None, underwriter: str | None,
        oracle_signers: tuple[str, ...], executor: str, min_delay: int, out_dir: Path) -> None:
    """Deploy a governed market: proxies, Loan implementation, 48 h timelock, Safe roles; the deployer keeps
    nothing."""
    sender = load_account(deployer, network)
    if network.is_local and not safe and not owners:
        owners = tuple(a.address for a in accounts.test_accounts[1:4])
    config = GovernanceConfig(
        safe=safe, safe_owners=owners, safe_threshold=threshold, asset=asset, min_delay=min_delay,
        open_executor=executor == "anyone", kyc_admin=kyc_admin, revoker=revoker, underwriter=underwriter,
        oracle_signers=oracle_signers,
    )
    deployed, path = deploy_to_file(project, sender, config, out_dir)
    record = deployed.record
    click.echo(f"Disfruta deployed on {record.network} (chain {record.chain_id}) from block {record.block}:")
    for name, entry in record.contracts.items():
        extra = f"  (implementation {entry.implementation})" if entry.implementation else ""
        click.echo(f"  {name:<19} {entry.address}{extra}")
    gov = record.governance
    click.echo(f"Timelock delay {gov['timelock_min_delay']} s; executors: {gov['executors']}; "
               f"Safe {record.address('Safe')} ({record.contracts['Safe'].extra['threshold']} of "
               f"{len(record.contracts['Safe'].extra['owners'])}); deployer {record.deployer} holds no role.")
    click.echo(f"Recorded in {path}")
