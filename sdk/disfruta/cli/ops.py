"""Operations: ``treasury``, ``token``, ``keeper``."""

from __future__ import annotations

import time
from decimal import Decimal

import click

from disfruta.cli.base import (
    Context,
    main,
    pass_ctx,
)
from disfruta.cli.params import (
    ADDRESS,
    AMOUNT,
    AUTOPAY_LOG,
    LOCAL_CHAIN_IDS,
)

# ----------------------------------------------------------------------------------------------- treasury, token


@main.group()
def treasury() -> None:
    """Fees, the reserve and default cover."""


@treasury.command("status")
@pass_ctx
def treasury_status(ctx: Context) -> None:
    """Fees collected by type, the reserve, what it paid out, the policy."""
    from disfruta.render import treasury_table

    client = ctx.client()
    info = client.treasury.info()
    ctx.emit(info, lambda: treasury_table(client, info))


@treasury.command("fund-reserve")
@click.argument("amount", type=AMOUNT)
@pass_ctx
def treasury_fund_reserve(ctx: Context, amount: Decimal) -> None:
    """Anyone: add AMOUNT tokens from the wallet to the reserve."""
    client = ctx.signer()
    receipt = client.treasury.fund_reserve(ctx.units(amount))
    ctx.done(receipt, f"added {amount} to the reserve; it holds {ctx.tokens(client.treasury.info().reserve)}",
             amount=ctx.units(amount))


@main.group()
def token() -> None:
    """The market's token: balances, transfers, and the test token's faucet on local chains."""


@token.command("balance")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def token_balance(ctx: Context, address: str | None) -> None:
    """ADDRESS's wallet balance (default: yours)."""
    who = ctx.address(address)
    client = ctx.client()
    balance = client.token.balance(who)
    ctx.emit({"address": who, "balance": balance}, lambda: click.echo(f"{who}: {ctx.tokens(balance)}"))


@token.command("transfer")
@click.argument("to", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def token_transfer(ctx: Context, to: str, amount: Decimal) -> None:
    """Send AMOUNT tokens from the wallet to TO."""
    client = ctx.signer()
    units = ctx.units(amount)
    balance = client.token.balance(client.address)
    if units > balance:
        raise click.ClickException(f"the wallet holds {ctx.tokens(balance)}, less than {amount}")
    receipt = client.token.transfer(to, units)
    ctx.done(receipt, f"sent {amount} to {to}", to=to, amount=units)


_MINT_ABI = [{"type": "function", "name": "mint", "stateMutability": "nonpayable", "outputs": [],
              "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}]}]


@token.command("mint")
@click.argument("amount", type=AMOUNT)
@click.option("--to", type=ADDRESS, default=None, help="Who receives them (default: you).")
@pass_ctx
def token_mint(ctx: Context, amount: Decimal, to: str | None) -> None:
    """Local chains: mint AMOUNT of the test token (its open faucet) to yourself or --to."""
    from disfruta.codec import ContractCodec
    from disfruta.tx import TxCall

    client = ctx.signer()
    if client.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException(f"chain {client.chain_id} is not a local chain: only the local test token has an "
                                   "open mint")
    who = to or client.address
    units = ctx.units(amount)
    call = TxCall(client.token.address, ContractCodec("MockERC20", _MINT_ABI).function("mint"), (who, units))
    receipt = client.session.send(call)
    ctx.done(receipt, f"minted {amount} to {who}; it holds {ctx.tokens(client.token.balance(who))}", to=who,
             amount=units)


# ----------------------------------------------------------------------------------------------- keeper


@main.group()
def keeper() -> None:
    """The keeper: auto-invest matching, expiries, defaults, fee sweeps, autopay collections."""


@keeper.command("run")
@click.option("--interval", type=click.FloatRange(min=0), default=15.0, show_default=True)
@click.option("--iterations", type=click.IntRange(min=1), default=None, help="Stop after N passes (default: forever).")
@AUTOPAY_LOG
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Serve Prometheus metrics at http://HOST:PORT/metrics (0: off).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="The address --metrics-port binds.")
@pass_ctx
def keeper_run(ctx: Context, interval: float, iterations: int | None, autopay_log: str | None, metrics_port: int,
               metrics_host: str) -> None:
    """Run keeper passes (autopay collections it could not make go to --autopay-log, if given)."""
    from disfruta.errors import DisfrutaError
    from disfruta.keeper import Keeper

    k = Keeper(ctx.signer(), autopay_log=autopay_log)
    if metrics_port:
        from disfruta.metrics import serve

        try:
            serve(metrics_port, metrics_host)
        except OSError as exc:
            raise click.ClickException(f"--metrics-port {metrics_port}: {exc.strerror or exc}") from None
    n = 0
    while iterations is None or n < iterations:
        try:
            report = k.run_once()
        except DisfrutaError as exc:
            if iterations is not None:  # a bounded run reports the failure; a forever keeper keeps going
                raise
            click.echo(f"pass {n + 1} failed: {exc}; retrying in {interval:g} s", err=True)
        else:
            ctx.emit(report, lambda r=report, k=n: click.echo(
                f"pass {k + 1}: invested {dict(r.invested)}, expired {r.expired}, defaulted {r.defaulted}, "
                f"late {dict(r.late)}, fees swept {ctx.tokens(r.fees_swept)}, autopay collected "
                f"{ {i: ctx.tokens(v) for i, v in r.collected.items()} }, autopay failures "
                f"{ {f.loan_id: f.reason for f in r.autopay_failures} }, skipped {len(r.skipped)}, "
                f"failed {len(r.failed)}, gas {r.gas_used:,}"))
        n += 1
        if iterations is None or n < iterations:
            time.sleep(interval)
