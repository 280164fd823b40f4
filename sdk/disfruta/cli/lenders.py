"""Lenders: ``notes``, ``pool`` and ``autoinvest``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from disfruta.cli.base import (
    Context,
    main,
    pass_ctx,
)
from disfruta.cli.params import (
    ADDRESS,
    AMOUNT,
    AMOUNT_OR_ZERO,
    GRADE,
    LOAN_ID,
    PURPOSES_LIST,
    RATE,
    BadParameter,
)

# ----------------------------------------------------------------------------------------------- notes


@main.group()
def notes() -> None:
    """A loan's notes (an ERC-20 per loan): holdings and transfers."""


@notes.command("show")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def notes_show(ctx: Context, loan_id: int, address: str | None) -> None:
    """The notes ADDRESS (default: you) holds in LOAN_ID and what it can claim."""
    who = ctx.address(address)
    client = ctx.client()
    ctx.loan_address(loan_id)
    held, claimable = client.loans.notes(loan_id, who), client.loans.claimable(loan_id, who)
    ctx.emit({"loan_id": loan_id, "holder": who, "notes": held, "claimable": claimable},
             lambda: click.echo(f"{who} holds {ctx.tokens(held)} of loan #{loan_id}; claimable "
                                f"{ctx.tokens(claimable)}"))


@notes.command("transfer")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("to", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def notes_transfer(ctx: Context, loan_id: int, to: str, amount: Decimal) -> None:
    """Lender: move AMOUNT of LOAN_ID's notes to another verified lender TO (claims move with them)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.transfer_notes(loan_id, to, ctx.units(amount))
    ctx.done(receipt, f"moved {amount} of loan #{loan_id}'s notes to {to}", loan_id=loan_id, to=to,
             amount=ctx.units(amount))


# ----------------------------------------------------------------------------------------------- pool


@main.group()
def pool() -> None:
    """Lender: the pool cash account (deposit, withdraw, invest, claim returns into it)."""


@pool.command("balance")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def pool_balance(ctx: Context, address: str | None) -> None:
    """Idle cash in ADDRESS's pool account (default: yours), and its wallet."""
    who = ctx.address(address)
    client = ctx.client()
    cash, wallet = client.pool.balance(who), client.token.balance(who)
    ctx.emit({"lender": who, "pool_cash": cash, "wallet": wallet},
             lambda: click.echo(f"{who}: pool cash {ctx.tokens(cash)}; wallet {ctx.tokens(wallet)}"))


@pool.command("deposit")
@click.argument("amount", type=AMOUNT)
@pass_ctx
def pool_deposit(ctx: Context, amount: Decimal) -> None:
    """Move AMOUNT tokens from the wallet into your pool account."""
    client = ctx.signer()
    receipt = client.pool.deposit(ctx.units(amount))
    cash = client.pool.balance(client.address)
    ctx.done(receipt, f"deposited {amount}; pool cash {ctx.tokens(cash)}", amount=ctx.units(amount), pool_cash=cash)


@pool.command("withdraw")
@click.argument("amount", type=AMOUNT)
@pass_ctx
def pool_withdraw(ctx: Context, amount: Decimal) -> None:
    """Move AMOUNT tokens of idle cash back to the wallet."""
    client = ctx.signer()
    units = ctx.units(amount)
    cash = client.pool.balance(client.address)
    if units > cash:
        raise click.ClickException(f"the pool account holds {ctx.tokens(cash)}, less than {amount}")
    receipt = client.pool.withdraw(units)
    ctx.done(receipt, f"withdrew {amount}; pool cash {ctx.tokens(cash - units)}", amount=units,
             pool_cash=cash - units)


@pool.command("invest")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def pool_invest(ctx: Context, loan_id: int, amount: Decimal) -> None:
    """Buy AMOUNT of LOAN_ID's notes with your pool cash."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.pool.invest(loan_id, ctx.units(amount))
    ctx.done(receipt, f"invested {amount} in loan #{loan_id} from the pool account", loan_id=loan_id,
             amount=ctx.units(amount))


@pool.command("claim")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def pool_claim(ctx: Context, loan_id: int) -> None:
    """Claim your share of LOAN_ID's repayments into the pool account."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.pool.claim_returns(loan_id)
    amount = sum(e.args["amount"] for e in receipt.find("ReturnsClaimed"))
    ctx.done(receipt, f"claimed {ctx.tokens(amount)} from loan #{loan_id} into the pool account", loan_id=loan_id,
             amount=amount)


# ----------------------------------------------------------------------------------------------- auto-invest


@main.group()
def autoinvest() -> None:
    """Lender: standing instructions the keeper follows with your pool cash (enforced on chain)."""


@autoinvest.command("set")
@click.option("--amount-per-loan", type=AMOUNT, required=True, help="Tokens to invest in each matching loan.")
@click.option("--max-per-borrower", type=AMOUNT, default=None, help="Cap per borrower (default: 4 × per loan).")
@click.option("--cash-to-keep", type=AMOUNT_OR_ZERO, default=Decimal(0), show_default=True,
              help="Idle cash never invested.")
@click.option("--min-grade", type=GRADE, default="A1", show_default=True)
@click.option("--max-grade", type=GRADE, default="E5", show_default=True)
@click.option("--min-rate", type=RATE, default="0", show_default=True, help="Minimum APR, percent.")
@click.option("--max-rate", type=RATE, default="100", show_default=True, help="Maximum APR, percent.")
@click.option("--max-term", type=click.IntRange(1, 65_535), default=60, show_default=True, help="Months.")
@click.option("--purposes", type=PURPOSES_LIST, default=None, help="Comma-separated codes or names (default: all).")
@pass_ctx
def autoinvest_set(ctx: Context, amount_per_loan: Decimal, max_per_borrower: Decimal | None, cash_to_keep: Decimal,
                   min_grade: Any, max_grade: Any, min_rate: int, max_rate: int, max_term: int,
                   purposes: tuple[int, ...] | None) -> None:
    """Set (replace) your auto-invest criteria and enable them."""
    from disfruta.models import PURPOSES, AutoInvestCriteria

    if min_grade > max_grade:
        raise BadParameter(f"--min-grade {min_grade.name} is worse than --max-grade {max_grade.name} (A1 is "
                           "the best grade)", param_hint="'--min-grade'")
    if min_rate > max_rate:
        raise BadParameter("--min-rate is above --max-rate", param_hint="'--min-rate'")
    client = ctx.signer()
    per_loan = ctx.units(amount_per_loan, "'--amount-per-loan'")
    criteria = AutoInvestCriteria(
        enabled=True, min_grade=min_grade, max_grade=max_grade, min_rate_bps=min_rate, max_rate_bps=max_rate,
        max_term_months=max_term, purposes=purposes if purposes is not None else tuple(range(len(PURPOSES))),
        amount_per_loan=per_loan,
        max_per_borrower=ctx.units(max_per_borrower, "'--max-per-borrower'") if max_per_borrower else 4 * per_loan,
        cash_to_keep=ctx.units(cash_to_keep, "'--cash-to-keep'"))
    receipt = client.pool.set_criteria(criteria)
    ctx.done(receipt, f"auto-invest on: {ctx.tokens(criteria.amount_per_loan)} a loan, grades {min_grade.name} … "
                      f"{max_grade.name}, {min_rate / 100:.2f} … {max_rate / 100:.2f} % APR, up to {max_term} "
                      f"months", criteria=criteria)


@autoinvest.command("show")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def autoinvest_show(ctx: Context, address: str | None) -> None:
    """ADDRESS's criteria (default: yours) and pool cash."""
    from disfruta.render import criteria_table

    who = ctx.address(address)
    client = ctx.client()
    ((cash, criteria),) = client.pool.accounts([who])
    ctx.emit({"lender": who, "pool_cash": cash, "criteria": criteria},
             lambda: criteria_table(client, who, cash, criteria))


@autoinvest.command("disable")
@pass_ctx
def autoinvest_disable(ctx: Context) -> None:
    """Stop auto-invest (the criteria are kept)."""
    client = ctx.signer()
    receipt = client.pool.disable_auto_invest()
    ctx.done(receipt, "auto-invest off")
