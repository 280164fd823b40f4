"""The note market (``market``: list, sell, buy, cancel, trades) and borrowers' ``autopay`` (enrol, cancel, status,
collect)."""

from __future__ import annotations

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
    DAY,
    LOAN_ID,
    PREMIUM,
)


def _premium_words(bps: int) -> str:
    if bps == 0:
        return "at par"
    return f"at a {abs(bps) / 100:.2f} % {'discount' if bps < 0 else 'premium'}"


# ----------------------------------------------------------------------------------------------- market


@main.group()
def market() -> None:
    """The secondary market for notes: listings at a premium or discount, purchases, trades."""


@market.command("list")
@click.option("--loan", "loan_id", type=LOAN_ID, default=None, help="Only this loan's listings.")
@click.option("--seller", type=ADDRESS, default=None, help="Only this seller's listings.")
@pass_ctx
def market_list(ctx: Context, loan_id: int | None, seller: str | None) -> None:
    """Notes for sale now: loan, seller, notes, premium, price now, seller fee, the buyer's yield."""
    from disfruta.render import listings_table

    client = ctx.client()
    rows = client.market.listings(loan_id=loan_id, seller=seller)

    def render() -> None:
        if rows:
            listings_table(client, rows)
        else:
            click.echo("no notes for sale")

    ctx.emit({"listings": rows}, render)


@market.command("sell")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("amount", type=AMOUNT)
@click.option("--premium", type=PREMIUM, required=True,
              help="Percent to the notes' outstanding principal at the sale: -3 = a 3 % discount, 2 = a 2 % premium.")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Expires after this many days (default: "
                                                                       "never).")
@pass_ctx
def market_sell(ctx: Context, loan_id: int, amount: Decimal, premium: int, days: int | None) -> None:
    """Lender: list AMOUNT of LOAN_ID's notes for sale (replacing your listing of it); approves the market on them."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    notes = ctx.units(amount)
    expiry = client.core.head().timestamp + days * DAY if days else None
    receipt = client.market.list(loan_id, notes, premium, expiry)
    q = client.market.quote(loan_id, client.address, notes)
    ctx.done(receipt, f"listed {amount} notes of loan #{loan_id} {_premium_words(premium)} (version "
                      f"{receipt.return_value}); price now {ctx.tokens(q.price)}, seller fee {ctx.tokens(q.fee)}, "
                      f"buyer's yield {q.annual_yield * 100:.2f} %", loan_id=loan_id, notes=notes,
             premium_bps=premium, expiry=expiry or 0, version=receipt.return_value, quote=q)


@market.command("buy")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("seller", type=ADDRESS)
@click.argument("amount", type=AMOUNT, required=False)
@click.option("--max-price", type=AMOUNT, default=None, help="Pay at most this many tokens (default: the quote).")
@pass_ctx
def market_buy(ctx: Context, loan_id: int, seller: str, amount: Decimal | None, max_price: Decimal | None) -> None:
    """Lender: buy AMOUNT (default: all) of SELLER's listed notes of LOAN_ID at the listing's price now."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    if amount is not None:
        notes = ctx.units(amount)
    else:
        notes = client.market.listing(loan_id, seller).available
        if notes == 0:
            raise click.ClickException(f"{seller} has no notes of loan #{loan_id} for sale (no listing, cancelled, "
                                       "sold out, or the seller no longer holds or approved them)")
    limit = ctx.units(max_price, "'--max-price'") if max_price is not None else None
    receipt = client.market.buy(loan_id, seller, notes, limit)
    sold = receipt.one("NotesSold").args
    ctx.done(receipt, f"bought {ctx.tokens(sold['notes'])} notes of loan #{loan_id} from {seller} for "
                      f"{ctx.tokens(sold['price'])} (seller fee {ctx.tokens(sold['fee'])} to the Treasury)",
             loan_id=loan_id, seller=seller, notes=sold["notes"], price=sold["price"], fee=sold["fee"])


@market.command("cancel")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def market_cancel(ctx: Context, loan_id: int) -> None:
    """Lender: withdraw your listing of LOAN_ID's notes."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.market.cancel(loan_id)
    ctx.done(receipt, f"cancelled your listing of loan #{loan_id}", loan_id=loan_id)


@market.command("trades")
@click.option("--loan", "loan_id", type=LOAN_ID, default=None, help="Only this loan's trades.")
@click.option("--account", "who", type=ADDRESS, default=None, help="Only trades this account sold or bought in.")
@pass_ctx
def market_trades(ctx: Context, loan_id: int | None, who: str | None) -> None:
    """Purchases on the market, oldest first."""
    from disfruta.render import trades_table

    client = ctx.client()
    rows = client.market.trades(loan_id=loan_id, account=who)
    ctx.emit({"trades": rows}, lambda: trades_table(client, rows) if rows else click.echo("no trades"))


# ----------------------------------------------------------------------------------------------- autopay


@main.group()
def autopay() -> None:
    """Borrower: direct debit of each installment, collected by the keeper in a window around its due date."""


@autopay.command("enrol")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("cap", type=AMOUNT)
@pass_ctx
def autopay_enrol(ctx: Context, loan_id: int, cap: Decimal) -> None:
    """Borrower: enrol LOAN_ID with at most CAP tokens a collection; approves the token to Autopay for the
    installments left."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    units = ctx.units(cap, "CAP")
    receipt = client.autopay.enrol(loan_id, units)
    allowance = client.token.allowance(client.address, client.autopay.address)
    ctx.done(receipt, f"loan #{loan_id} on autopay, at most {cap} a collection; Autopay may take "
                      f"{ctx.tokens(allowance)} in all", loan_id=loan_id, cap=units, allowance=allowance)


@autopay.command("cancel")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def autopay_cancel(ctx: Context, loan_id: int) -> None:
    """Borrower: stop autopay on LOAN_ID (pay by hand with `disfruta repay`)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.autopay.cancel(loan_id)
    ctx.done(receipt, f"autopay off for loan #{loan_id}", loan_id=loan_id)


@autopay.command("status")
@click.argument("loan_id", type=LOAN_ID)
@AUTOPAY_LOG
@pass_ctx
def autopay_status(ctx: Context, loan_id: int, autopay_log: str | None) -> None:
    """LOAN_ID's autopay: cap, next collection window, whether it would be collected now (else why), and the
    keeper's last failed collection (from --autopay-log)."""
    from disfruta.api.autopay import AutopayLog
    from disfruta.render import autopay_line

    client = ctx.client()
    ctx.loan_address(loan_id)
    status = client.autopay.status(loan_id, AutopayLog(autopay_log) if autopay_log else None)
    ctx.emit(status, lambda: click.echo(f"loan #{loan_id}: {autopay_line(client, status)}"))


@autopay.command("collect")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def autopay_collect(ctx: Context, loan_id: int) -> None:
    """Anyone: collect what is due on LOAN_ID now from its borrower (the keeper does this)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.autopay.collect(loan_id)
    ctx.done(receipt, f"collected {ctx.tokens(receipt.return_value)} for loan #{loan_id}", loan_id=loan_id,
             amount=receipt.return_value)

