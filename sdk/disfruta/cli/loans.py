"""``loans`` (the marketplace and every loan action) and the everyday ``fund``, ``repay``, ``claim``, ``refund``, ``portfolio``."""

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
    CURSOR,
    DAY,
    GRADE,
    LOAN_ID,
    PURPOSE,
    RATE,
    STATUS,
    BadParameter,
    UsageError,
)

# ----------------------------------------------------------------------------------------------- loans


@main.group()
def loans() -> None:
    """The marketplace and every action on a loan."""


@loans.command("list")
@click.option("--status", type=STATUS, default=None, help="pending, funding, funded, active, repaid, defaulted, ...")
@click.option("--min-grade", type=GRADE, default=None, help="Best grade to include (A1).")
@click.option("--max-grade", type=GRADE, default=None, help="Worst grade to include (E5).")
@click.option("--min-rate", type=RATE, default=None, help="Minimum APR, percent.")
@click.option("--max-rate", type=RATE, default=None, help="Maximum APR, percent.")
@click.option("--max-term", type=click.IntRange(min=1), default=None, help="Maximum term, months.")
@click.option("--purpose", type=PURPOSE, default=None, help="A purpose code or name (car, business, ...).")
@click.option("--borrower", type=ADDRESS, default=None, help="Only this borrower's loans.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Loans per page.")
@click.option("--cursor", type=CURSOR, default=None, help="Continue where a page ended (printed under it).")
@pass_ctx
def loans_list(ctx: Context, status: Any, min_grade: Any, max_grade: Any, min_rate: int | None,
               max_rate: int | None, max_term: int | None, purpose: int | None, borrower: str | None, limit: int,
               cursor: str | None) -> None:
    """List loans, newest first, a page at a time."""
    from disfruta.render import loans_table

    client = ctx.client()
    page = client.loans.list(status=status, min_grade=min_grade, max_grade=max_grade, min_rate_bps=min_rate,
                             max_rate_bps=max_rate, max_term_months=max_term, purpose=purpose, borrower=borrower,
                             limit=limit, cursor=cursor)

    def render() -> None:
        loans_table(client, page.items)
        if page.next_cursor is not None:
            click.echo(f"more: add --cursor {page.next_cursor}")

    ctx.emit({"loans": page.items, "next_cursor": page.next_cursor}, render)


@loans.command("show")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_show(ctx: Context, loan_id: int) -> None:
    """One loan with its schedule."""
    from disfruta.render import loan_detail

    client = ctx.client()
    info, schedule = client.loans.get(loan_id), client.loans.schedule(loan_id)
    ctx.emit({"loan": info, "schedule": schedule}, lambda: loan_detail(client, info, schedule))


@loans.command("schedule")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_schedule(ctx: Context, loan_id: int) -> None:
    """A loan's amortization schedule (paid / late)."""
    from disfruta.render import schedule_table

    client = ctx.client()
    schedule = client.loans.schedule(loan_id)
    ctx.emit(schedule, lambda: schedule_table(client, schedule, title=f"Schedule of loan #{loan_id}"))


@loans.command("apply")
@click.argument("amount", type=AMOUNT)
@click.option("--term", type=click.IntRange(min=1), required=True, help="Months.")
@click.option("--purpose", type=PURPOSE, default=0, show_default=True, help="A purpose code or name.")
@click.option("--funding-days", type=click.IntRange(min=1), default=14, show_default=True,
              help="Days the loan stays open for funding once approved.")
@pass_ctx
def loans_apply(ctx: Context, amount: Decimal, term: int, purpose: int, funding_days: int) -> None:
    """Borrower: apply for a loan of AMOUNT tokens over --term months."""
    client = ctx.signer()
    receipt = client.loans.apply(ctx.units(amount), term, purpose, funding_days * DAY)
    loan_id, address = receipt.return_value
    created = receipt.one("LoanCreated").args
    from disfruta.grades import Grade

    grade = Grade(created["grade"]).name
    ctx.done(receipt, f"applied: loan #{loan_id} for {ctx.tokens(created['amount'])} over {term} months, grade "
                      f"{grade} at {created['annualRateBps'] / 100:.2f} % APR; waits for the underwriter's approval",
             loan_id=loan_id, address=address, grade=grade, annual_rate_bps=created["annualRateBps"])


@loans.command("approve")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_approve(ctx: Context, loan_id: int) -> None:
    """Underwriter: open a pending loan for funding."""
    from disfruta.models import fmt_time

    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.approve(loan_id)
    deadline = client.loans.get(loan_id).funding_deadline
    ctx.done(receipt, f"approved loan #{loan_id}: open for funding until {fmt_time(deadline)}", loan_id=loan_id,
             funding_deadline=deadline)


@loans.command("reject")
@click.argument("loan_id", type=LOAN_ID)
@click.option("--reason", default="", help="Why (at most 32 bytes, recorded on chain).")
@pass_ctx
def loans_reject(ctx: Context, loan_id: int, reason: str) -> None:
    """Underwriter: reject a pending loan."""
    if len(reason.encode()) > 32:
        raise BadParameter(f"at most 32 bytes, got {len(reason.encode())}", param_hint="'--reason'")
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.reject(loan_id, reason)
    ctx.done(receipt, f"rejected loan #{loan_id}" + (f": {reason}" if reason else ""), loan_id=loan_id)


@loans.command("draw")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_draw(ctx: Context, loan_id: int) -> None:
    """Borrower: draw a funded loan's principal (less the origination fee)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.draw(loan_id)
    drawn = receipt.one("FundsWithdrawn").args
    net = drawn["principal"] - drawn["originationFee"]
    ctx.done(receipt, f"drew loan #{loan_id}: {ctx.tokens(net)} to {drawn['borrower']} (origination fee "
                      f"{ctx.tokens(drawn['originationFee'])}); {ctx.tokens(drawn['monthlyPayment'])} a month, the "
                      "first due in 30 days", loan_id=loan_id, received=net, origination_fee=drawn["originationFee"],
             monthly_payment=drawn["monthlyPayment"])


@loans.command("accept-partial")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_accept_partial(ctx: Context, loan_id: int) -> None:
    """Borrower: take a loan that reached the partial-funding threshold by its deadline, at the amount funded."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.accept_partial(loan_id)
    accepted = receipt.one("PartialFundingAccepted").args
    ctx.done(receipt, f"accepted loan #{loan_id} at {ctx.tokens(accepted['principal'])} of "
                      f"{ctx.tokens(accepted['goal'])}; draw it with `disfruta loans draw {loan_id}`",
             loan_id=loan_id, principal=accepted["principal"], goal=accepted["goal"])


def _loan_action(name: str, method: str, doc: str, verb: str) -> None:
    @loans.command(name, help=doc)
    @click.argument("loan_id", type=LOAN_ID)
    @pass_ctx
    def action(ctx: Context, loan_id: int) -> None:
        client = ctx.signer()
        ctx.loan_address(loan_id)
        receipt = getattr(client.loans, method)(loan_id)
        ctx.done(receipt, f"{verb} loan #{loan_id}", loan_id=loan_id)


_loan_action("expire", "expire", "Anyone: close a loan whose funding failed or that was never drawn.", "expired")
_loan_action("pause", "pause", "Underwriter: pause one loan's funding, drawdown and note transfers.", "paused")
_loan_action("unpause", "unpause", "Underwriter: resume a paused loan.", "resumed")
_loan_action("write-off", "write_off", "Governance (the factory's admin): write off a loan in default; its principal "
             "stops counting against the borrower's limit (the registry keeps the default on record).", "wrote off")


@loans.command("sweep-surplus")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_sweep_surplus(ctx: Context, loan_id: int) -> None:
    """Governance: send a closed loan's unaccounted surplus (dust, tokens sent to it by mistake) to the Treasury."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.sweep_surplus(loan_id)
    amount = receipt.one("SurplusSwept").args["amount"]
    ctx.done(receipt, f"swept {ctx.tokens(amount)} of surplus from loan #{loan_id} to the Treasury",
             loan_id=loan_id, amount=amount)


@loans.command("set-funder")
@click.argument("loan_id", type=LOAN_ID)
@click.argument("funder", type=ADDRESS)
@click.option("--revoke", is_flag=True, help="Withdraw the permission instead.")
@pass_ctx
def loans_set_funder(ctx: Context, loan_id: int, funder: str, revoke: bool) -> None:
    """Lender: let FUNDER buy notes of this loan for you with its own money (never the borrower)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.set_funder(loan_id, funder, not revoke)
    ctx.done(receipt, f"{funder} {'may no longer' if revoke else 'may'} fund loan #{loan_id} for {client.address}",
             loan_id=loan_id, funder=funder, approved=not revoke)


@loans.command("default")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_default(ctx: Context, loan_id: int) -> None:
    """Anyone: declare a loan past the default threshold in default (the reserve's cover goes to its lenders)."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.declare_default(loan_id)
    d = receipt.one("LoanDefaulted").args
    ctx.done(receipt, f"loan #{loan_id} in default after {d['daysPastDue']} days: {ctx.tokens(d['principalOutstanding'])} "
                      f"outstanding, {ctx.tokens(d['reserveCover'])} covered by the reserve", loan_id=loan_id,
             principal_outstanding=d["principalOutstanding"], reserve_cover=d["reserveCover"])


@loans.command("sweep-fees")
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def loans_sweep_fees(ctx: Context, loan_id: int) -> None:
    """Anyone: move a loan's accrued servicing fees to the Treasury."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.sweep_fees(loan_id)
    amount = sum(e.args["amount"] for e in receipt.find("FeesSwept"))
    recovered = sum(e.args["amount"] for e in receipt.find("RecoveriesSwept"))
    extra = f" and {ctx.tokens(recovered)} of recoveries back to the reserve" if recovered else ""
    ctx.done(receipt, f"swept {ctx.tokens(amount)} of servicing fees{extra} from loan #{loan_id} to the Treasury",
             loan_id=loan_id, amount=amount, recoveries=recovered)


# ----------------------------------------------------------------------------------------------- everyday actions


@main.command()
@click.argument("loan_id", type=LOAN_ID)
@click.argument("amount", type=AMOUNT)
@pass_ctx
def fund(ctx: Context, loan_id: int, amount: Decimal) -> None:
    """Lender: fund LOAN_ID with AMOUNT tokens (a multiple of the note size) from the wallet."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.fund(loan_id, ctx.units(amount))
    funded = receipt.one("LoanFunded").args
    info = client.loans.get(loan_id)
    ctx.done(receipt, f"funded loan #{loan_id} with {ctx.tokens(funded['amount'])}; it is "
                      f"{info.funded_fraction:.0%} funded ({info.status.name.lower()})", loan_id=loan_id,
             amount=funded["amount"], total_funded=funded["totalFunded"], status=info.status)


@main.command()
@click.argument("loan_id", type=LOAN_ID)
@click.argument("amount", type=AMOUNT, required=False)
@click.option("--payoff", is_flag=True, help="Repay the loan in full.")
@pass_ctx
def repay(ctx: Context, loan_id: int, amount: Decimal | None, payoff: bool) -> None:
    """Borrower: repay LOAN_ID — the installment due (default), AMOUNT tokens, or --payoff."""
    if payoff and amount is not None:
        raise UsageError("give an AMOUNT or --payoff, not both")
    client = ctx.signer()
    ctx.loan_address(loan_id)
    if payoff:
        receipt = client.loans.pay_off(loan_id)
    elif amount is not None:
        receipt = client.loans.repay(loan_id, ctx.units(amount))
    else:
        receipt = client.loans.repay_installment(loan_id)
    paid = receipt.one("RepaymentMade").args
    state = "repaid in full" if receipt.find("LoanRepaid") else f"outstanding {ctx.tokens(paid['principalOutstanding'])}"
    ctx.done(receipt, f"paid {ctx.tokens(paid['amount'])} on loan #{loan_id}: interest "
                      f"{ctx.tokens(paid['interest'])}, principal {ctx.tokens(paid['principal'])}, late fees "
                      f"{ctx.tokens(paid['lateFees'])}; {state}", loan_id=loan_id, **paid,
             repaid=bool(receipt.find("LoanRepaid")))


@main.command()
@click.argument("loan_id", type=LOAN_ID, required=False)
@click.option("--all", "claim_all", is_flag=True, help="Every loan this account holds notes of.")
@pass_ctx
def claim(ctx: Context, loan_id: int | None, claim_all: bool) -> None:
    """Lender: claim your share of LOAN_ID's repayments into the wallet (or --all loans)."""
    if (loan_id is None) == (not claim_all):
        raise UsageError("give a LOAN_ID or --all" if loan_id is None else "give a LOAN_ID or --all, not both")
    client = ctx.signer()
    if loan_id is not None:
        ctx.loan_address(loan_id)
        receipt = client.loans.claim(loan_id)
        amount = sum(e.args["amount"] for e in receipt.find("Claimed"))
        ctx.done(receipt, f"claimed {ctx.tokens(amount)} from loan #{loan_id}", loan_id=loan_id, amount=amount)
        return
    receipts = client.loans.claim_all()
    rows = [{"loan": e.address, "amount": e.args["amount"], "tx_hash": r.tx_hash} for r in receipts
            for e in r.find("Claimed")]
    total = sum(r["amount"] for r in rows)

    def render() -> None:
        if not rows:
            click.echo("nothing to claim")
            return
        for r in rows:
            click.echo(f"claimed {ctx.tokens(r['amount'])} from {r['loan']} (tx {r['tx_hash']})")
        click.echo(f"total {ctx.tokens(total)} from {len(rows)} loan(s)")

    ctx.emit({"claims": rows, "total": total}, render)


@main.command()
@click.argument("loan_id", type=LOAN_ID)
@pass_ctx
def refund(ctx: Context, loan_id: int) -> None:
    """Lender: take back what you funded in a loan that expired or was rejected."""
    client = ctx.signer()
    ctx.loan_address(loan_id)
    receipt = client.loans.refund(loan_id)
    amount = sum(e.args["amount"] for e in receipt.find("Refunded"))
    ctx.done(receipt, f"refunded {ctx.tokens(amount)} from loan #{loan_id}", loan_id=loan_id, amount=amount)


@main.command()
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def portfolio(ctx: Context, address: str | None) -> None:
    """A lender's portfolio (default: the signing account)."""
    from disfruta.render import portfolio_table

    who = ctx.address(address)
    client = ctx.client()
    result = client.lenders.portfolio(who)
    ctx.emit(result, lambda: portfolio_table(client, result))
