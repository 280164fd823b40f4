"""``ape run governance``: propose, sign, execute, check and cancel governance actions; pause at once.

Timelocked actions (``propose ...``) become a proposal file under ``deployments/proposals/<network>/`` holding a Safe
transaction that schedules them on the timelock. Owners sign it (``sign``); anyone sends it once threshold owners have
signed (``execute``); 48 hours later ``execute`` runs the operation. Guardian actions (``pause``, ``revoke-signer``,
``cancel``) are Safe transactions that act as soon as they are signed and executed.

    ape run governance propose set-rate --rate 8:1300:350 --network …
    ape run governance sign deployments/proposals/local/<file>.json --account TEST::1
    ape run governance execute deployments/proposals/local/<file>.json
    ape run governance status
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from ape import accounts, chain, project
from ape.api.networks import NetworkAPI
from ape.cli import ConnectedProviderCommand, network_option
from ape.contracts import ContractInstance
from disfruta.deployment import Deployment, network_file_name
from disfruta.errors import DisfrutaError
from disfruta.governance.actions import add_signer, pause, plan_upgrade, remove_signer, set_rates, unpause
from disfruta.governance.deployment import governed_contracts
from disfruta.governance.proposals import (
    Proposal,
    execute_proposal,
    load_pending,
    next_safe_nonce,
    proposal_status,
    propose_cancel,
    propose_guardian,
    propose_timelock,
    record_upgrade,
    sign_proposal,
)
from disfruta.governance.safe import safe_at
from disfruta.governance.timelock import Call

PAUSABLE = ("UserRegistry", "LoanFactory", "LendingPool")


class Context:
    """The recorded deployment on the connected network, its live contracts, and where proposals live."""

    def __init__(self, network: NetworkAPI, deployment: Path | None) -> None:
        file_name = network_file_name(network.ecosystem.name, network.name)
        self.path = deployment or project.path / "deployments" / file_name
        self.record = Deployment.from_file(self.path)
        if self.record.chain_id != chain.chain_id:
            raise click.ClickException(f"{self.path} is for chain {self.record.chain_id}, not {chain.chain_id}")
        self.proposals = self.path.parent / "proposals" / Path(file_name).stem
        self.safe = safe_at(self.record.address("Safe"))
        self.contracts = governed_contracts(project, self.record)
        self.timelock = self.contracts["Timelock"]
        self.network = network

    def pick(self, names: tuple[str, ...]) -> dict[str, ContractInstance]:
        chosen = PAUSABLE if not names or "all" in names else names
        return {n: self.contracts[n] for n in chosen}

    def save(self, proposal: Proposal, path: Path | None = None) -> Path:
        saved = proposal.save(path.parent, path.stem) if path else proposal.save(self.proposals)
        click.echo(f"proposal {proposal.id}\n  saved to {saved}")
        for line in proposal_status(proposal, self.safe, self.timelock).lines(chain.pending_timestamp)[1:]:
            click.echo(line)
        return saved


def sender_account(alias: str | None, network: NetworkAPI) -> Any:
    if alias is None and network.is_local:
        return accounts.test_accounts[0]
    if alias is None:
        raise click.UsageError("give --sender (an ape account alias) outside a local chain")
    return accounts.test_accounts[int(alias[6:])] if alias.startswith("TEST::") else accounts.load(alias)


def governance(group: click.Group, name: str | None = None) -> Callable[[Callable[..., None]], click.Command]:
    """Registers ``fn(ctx, **options)`` in ``group`` as a connected command with ``--network`` and ``--deployment``;
    governance errors print as CLI errors, not tracebacks."""

    def decorate(fn: Callable[..., None]) -> click.Command:
        def run(network: NetworkAPI, deployment: Path | None, **kwargs: Any) -> None:
            try:
                fn(Context(network, deployment), **kwargs)
            except DisfrutaError as exc:  # governance errors, a missing or bad deployment file
                raise click.ClickException(str(exc)) from exc

        run.__doc__ = fn.__doc__
        run.__click_params__ = list(getattr(fn, "__click_params__", []))  # type: ignore[attr-defined]
        run = click.option("--deployment", type=click.Path(path_type=Path), help="deployments/<network>.json")(run)
        return group.command(name or fn.__name__.strip("_").replace("_", "-"),
                             cls=ConnectedProviderCommand)(network_option()(run))

    return decorate


@click.group()
def cli() -> None:
    """Disfruta governance: Safe proposals through the 48-hour timelock, and guardian actions."""


@cli.group()
def propose() -> None:
    """Propose a timelocked action (a Safe transaction that schedules it)."""


def _propose(ctx: Context, calls: list[Call], title: str, **kwargs: Any) -> None:
    nonce = next_safe_nonce(ctx.safe, load_pending(ctx.proposals))
    ctx.save(propose_timelock(ctx.safe, ctx.timelock, calls, title, nonce=nonce, **kwargs))


def _guardian(ctx: Context, calls: list[Call], title: str) -> None:
    nonce = next_safe_nonce(ctx.safe, load_pending(ctx.proposals))
    ctx.save(propose_guardian(ctx.safe, ctx.timelock, calls, title, nonce=nonce))


@governance(propose)
@click.option("--contract", "proxy", type=click.Choice(["UserRegistry", "LoanFactory", "Treasury", "LendingPool"]),
              required=True)
@click.option("--implementation", required=True, help="name of the new implementation contract in this project")
@click.option("--init", default=None, help="a no-argument initializer to call in the upgrade (e.g. initializeV2)")
@click.option("--deployer", default=None, help="account that deploys the implementation (default on local: TEST::0)")
def upgrade(ctx: Context, proxy: str, implementation: str, init: str | None, deployer: str | None) -> None:
    """Upgrade a proxy (its storage layout is checked first; an incompatible one is refused)."""
    plan = plan_upgrade(project, ctx.record, proxy, implementation, sender_account(deployer, ctx.network),
                        init=(init, ()) if init else None)
    _propose(ctx, [plan.call], f"upgrade {proxy} to {implementation}", upgrade=plan)


@governance(propose)
@click.option("--rate", "rates", multiple=True, required=True, help="GRADE:RATE_BPS:FEE_BPS (repeat for a batch)")
def set_rate(ctx: Context, rates: tuple[str, ...]) -> None:
    """Change LoanFactory.setRate for one or more grades."""
    try:
        parsed = {int(g): (int(r), int(f)) for g, r, f in (item.split(":") for item in rates)}
    except ValueError as exc:
        raise click.BadParameter("use GRADE:RATE_BPS:FEE_BPS, e.g. 8:1300:350", param_hint="--rate") from exc
    _propose(ctx, set_rates(ctx.contracts["LoanFactory"], parsed), f"set rates {' '.join(rates)}")


@governance(propose)
@click.option("--contract", "names", multiple=True, type=click.Choice([*PAUSABLE, "all"]), default=("all",))
def unpause_(ctx: Context, names: tuple[str, ...]) -> None:
    """Unpause (only the timelock may)."""
    chosen = ctx.pick(names)
    _propose(ctx, unpause(chosen), f"unpause {' '.join(chosen)}")


@governance(propose)
@click.argument("signer")
def add_signer_(ctx: Context, signer: str) -> None:
    """Authorise a new oracle signing key on the registry."""
    _propose(ctx, [add_signer(ctx.contracts["UserRegistry"], signer)], f"add oracle signer {signer}")


@governance(propose)
@click.argument("signer")
def remove_signer_(ctx: Context, signer: str) -> None:
    """Retire an oracle signing key through the timelock (a leaked key: ``revoke-signer``, no delay)."""
    _propose(ctx, [remove_signer(ctx.contracts["UserRegistry"], signer)], f"remove oracle signer {signer}")


@governance(cli)
@click.option("--contract", "names", multiple=True, type=click.Choice([*PAUSABLE, "all"]), default=("all",))
def pause_(ctx: Context, names: tuple[str, ...]) -> None:
    """Guardian: pause at once (a Safe transaction per contract, no timelock)."""
    chosen = ctx.pick(names)
    _guardian(ctx, pause(chosen), f"pause {' '.join(chosen)}")


@governance(cli)
@click.argument("signer")
def revoke_signer(ctx: Context, signer: str) -> None:
    """Guardian: remove a (leaked) oracle signing key from the registry at once."""
    _guardian(ctx, [remove_signer(ctx.contracts["UserRegistry"], signer)], f"revoke oracle signer {signer}")


@governance(cli)
@click.argument("proposal_file", type=click.Path(exists=True, path_type=Path))
def cancel(ctx: Context, proposal_file: Path) -> None:
    """Guardian: cancel a scheduled operation before it runs (the Safe holds CANCELLER_ROLE)."""
    target = Proposal.load(proposal_file)
    nonce = next_safe_nonce(ctx.safe, load_pending(ctx.proposals))
    ctx.save(propose_cancel(ctx.safe, ctx.timelock, target, nonce=nonce))


@governance(cli)
@click.argument("proposal_file", type=click.Path(exists=True, path_type=Path))
@click.option("--account", help="ape account alias of an owner (TEST::n for test accounts)")
@click.option("--key-env", help="name of an environment variable holding an owner's private key")
def sign(ctx: Context, proposal_file: Path, account: str | None, key_env: str | None) -> None:
    """Add an owner's signature to a proposal's unexecuted Safe transactions."""
    import os

    if bool(account) == bool(key_env):
        raise click.UsageError("give exactly one of --account or --key-env")
    proposal = Proposal.load(proposal_file)
    if key_env:
        if key_env not in os.environ:
            raise click.UsageError(f"{key_env} is not set")
        owner = sign_proposal(proposal, os.environ[key_env])
    else:
        owner = sign_proposal(proposal, sender_account(account, ctx.network))
    if owner.lower() not in {o.lower() for o in ctx.safe.getOwners()}:
        raise click.ClickException(f"{owner} is not an owner of the Safe {ctx.safe.address}: nothing saved")
    click.echo(f"signed by {owner}")
    ctx.save(proposal, proposal_file)


@governance(cli)
@click.argument("proposal_file", type=click.Path(exists=True, path_type=Path))
@click.option("--sender", help="account that sends the transactions (default on local: TEST::0)")
def execute(ctx: Context, proposal_file: Path, sender: str | None) -> None:
    """Send what is ready: the Safe transaction(s) once signed, then the timelocked operation after its delay."""
    proposal = Proposal.load(proposal_file)
    try:
        progress = execute_proposal(proposal, ctx.safe, ctx.timelock, sender_account(sender, ctx.network))
    finally:
        ctx.save(proposal, proposal_file)  # whatever ran is recorded, even if a later step failed
    for receipt in progress.receipts:
        click.echo(f"  sent {receipt.txn_hash} (block {receipt.block_number}, gas {receipt.gas_used})")
    click.echo(progress.message)
    if progress.done and proposal.upgrade and record_upgrade(proposal, ctx.record, project):
        ctx.record.save(ctx.path)
        click.echo(f"{ctx.path} now records {proposal.upgrade['contract']} for {proposal.upgrade['proxy']}")


@governance(cli)
@click.argument("proposal_file", required=False, type=click.Path(exists=True, path_type=Path))
def status(ctx: Context, proposal_file: Path | None) -> None:
    """Where each proposal stands (signatures, Safe nonce, timelock state); all of them without an argument."""
    files = [proposal_file] if proposal_file else sorted(ctx.proposals.glob("*.json"))
    click.echo(f"Safe {ctx.safe.address}: nonce {ctx.safe.call_view_method('nonce')}, "
               f"threshold {ctx.safe.getThreshold()} of {len(ctx.safe.getOwners())}")
    for path in files:
        click.echo(f"{path.name}:")
        for line in proposal_status(Proposal.load(path), ctx.safe, ctx.timelock).lines(chain.pending_timestamp):
            click.echo(f"  {line}")


@governance(cli)
@click.option("--hours", type=float, default=48.0, show_default=True)
def warp(ctx: Context, hours: float) -> None:
    """Local chains only: move time forward (e.g. past the timelock delay) and mine a block."""
    if not ctx.network.is_local:
        raise click.UsageError("warp only works on a local chain")
    chain.mine(timestamp=chain.pending_timestamp + int(hours * 3600))
    click.echo(f"now {chain.blocks.head.timestamp} (block {chain.blocks.head.number})")
