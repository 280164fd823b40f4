"""``ape run deploy``: a governed Disfruta market, recorded in ``deployments/<network>.json``.

Every contract goes through CREATE2 (`disfruta.governance.create2`), so the same deployer, ``--salt``, Safe owners
and threshold give the same addresses on every chain. The Safe is created through the Safe proxy factory from its
owners (``--owner``, repeat; on a local chain test accounts 1-3 by default), or given (``--safe``). The token is the
chain's stablecoin from the table in `disfruta.chains` (chosen by the connected chain id, or ``--chain``), or
``--asset``; on a local chain without either, the "Demo USD" token. ``--chain`` on a local node makes a rehearsal
of that chain: a test token at its stablecoin's address. Every option can also come from the environment
(``DISFRUTA_SAFE``, ``DISFRUTA_SAFE_OWNERS`` comma-separated, ``DISFRUTA_ASSET``, ``DISFRUTA_CHAIN``, ...).

    ape run deploy                                              # local anvil, started and stopped by ape
    ape run deploy --network base:mainnet:node --deployer ops --owner 0xA… --owner 0xB… --owner 0xC… \
        --threshold 2 --salt usdc-v1 --underwriter 0xU… --oracle-signer 0xO…
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape import accounts, project
from ape.api import AccountAPI
from ape.api.networks import NetworkAPI
from ape.cli import ConnectedProviderCommand, ape_cli_context, network_option
from disfruta.chains import CHAINS, Chain, chain_by_id, chain_named
from disfruta.errors import ConfigurationError, DisfrutaError
from disfruta.governance.deployment import GovernanceConfig, deploy_to_file, is_development_node
from disfruta.governance.timelock import MIN_DELAY


def load_account(alias: str | None, local: bool) -> AccountAPI:
    """``TEST::n`` is ape's n-th test account; any other alias an ape account (``ape accounts import``).
    ``local``: the node is a development node (`is_development_node`), whatever ape calls the network."""
    if alias is None:
        if not local:
            raise click.UsageError("give --deployer (an ape account alias) outside a local chain")
        return accounts.test_accounts[0]
    if alias.startswith("TEST::"):
        if not local:
            raise click.UsageError(f"{alias} is a test account (its key is public): deploy from your own account")
        index = alias.removeprefix("TEST::")
        if not index.isdigit() or int(index) >= len(accounts.test_accounts):
            raise click.UsageError(f"{alias}: a test account is TEST::0 … TEST::{len(accounts.test_accounts) - 1}")
        return accounts.test_accounts[int(index)]
    return accounts.load(alias)


def chain_of(name: str | None, chain_id: int, local: bool) -> Chain | None:
    """The chain whose settings to use: ``--chain``, or the connected chain's own row of the table."""
    if name:
        chain = chain_named(name)
        if not local and chain.chain_id != chain_id:
            raise click.UsageError(f"--chain {chain.name} is chain {chain.chain_id}; the network is chain {chain_id}")
        if local and chain_id != chain.chain_id:
            raise click.UsageError(f"--chain {chain.name} on a local node needs one started with `anvil "
                                   f"{' '.join(chain.anvil_args)}` (this one is chain {chain_id})")
        return chain
    if local:
        return None
    try:
        return chain_by_id(chain_id)
    except ConfigurationError:
        return None


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
@click.option("--chain", "chain_name", envvar="DISFRUTA_CHAIN", type=click.Choice([c.name for c in CHAINS]),
              help="the chain whose settings to use (default: the connected chain's row of disfruta.chains)")
@click.option("--salt", "market_salt", envvar="DISFRUTA_SALT", default="v1", show_default=True,
              help="the market's CREATE2 salt (the same on every chain)")
@click.option("--out-dir", type=click.Path(path_type=Path), default=Path("deployments"), show_default=True)
def cli(cli_ctx: Any, network: NetworkAPI, deployer: str | None, safe: str | None, owners: tuple[str, ...],
        threshold: int, asset: str | None, kyc_admin: str | None, revoker: str | None, underwriter: str | None,
        oracle_signers: tuple[str, ...], executor: str, min_delay: int, chain_name: str | None, market_salt: str,
        out_dir: Path) -> None:
    """Deploy a governed market: proxies, Loan implementation, 48 h timelock, Safe roles; the deployer keeps
    nothing."""
    from ape import chain as ape_chain

    # Local is what the node is, not what ape calls the network: `ethereum:local:foundry` pointed at a real chain's
    # RPC by $APE_FOUNDRY_HOST must not get the local shortcuts (test keys, dev-account owners, a short delay).
    local = is_development_node(ape_chain.provider.web3)
    sender = load_account(deployer, local)
    if local and not safe and not owners:
        owners = tuple(a.address for a in accounts.test_accounts[1:4])
    chain = chain_of(chain_name, int(ape_chain.provider.web3.eth.chain_id), local)
    config = GovernanceConfig(
        safe=safe, safe_owners=owners, safe_threshold=threshold, asset=asset or (chain.stablecoin if chain else None),
        min_delay=min_delay, open_executor=executor == "anyone", kyc_admin=kyc_admin, revoker=revoker,
        underwriter=underwriter, oracle_signers=oracle_signers, market_salt=market_salt,
        chain=chain if local else None,
    )
    try:
        deployed, path = deploy_to_file(project, sender, config, out_dir)
    except DisfrutaError as exc:  # one sentence saying what to do, never a traceback
        raise click.ClickException(str(exc)) from None
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
