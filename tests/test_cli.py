"""The CLI, command by command: each happy path checked on chain, each bad input a one-line error (exit 1 or 2),
never a traceback. Runs in process through click's runner (exceptions are not caught, so any would fail the test),
plus one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from disfruta import Role
from disfruta.cli import main
from oracle.helpers import APPLICANT, PROFILE  # the oracle tests' sample applicant

from conftest import DAY, Status

ORACLE_KEY = "0x" + "a1" * 32  # the tests' oracle signer (conftest's `oracle`)
SERVICING = 1  # ITreasury.FeeType


@pytest.fixture
def cli(rpc, deployment_file):
    """``cli("fund", "1", "250", account=lender)``: the CLI against the test market; ``as_json=True`` adds --json."""

    def run(*args: str, account: Any = None, key: str | None = None, as_json: bool = False,
            network: str | None = None) -> Result:
        base = ["--network", network or rpc, "--deployment", str(deployment_file)]
        if account is not None:
            base += ["--account", str(getattr(account, "address", account))]
        if key is not None:
            base += ["--key", key]
        if as_json:
            base.append("--json")
        return CliRunner().invoke(main, [*base, *args], catch_exceptions=False)

    return run


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def data(result: Result) -> Any:
    return json.loads(ok(result).output)


def fails(result: Result, code: int, *messages: str) -> None:
    """A one-line error with exit ``code`` that says each of ``messages``, and no traceback."""
    out = result.output
    assert result.exit_code == code, out
    assert "Traceback" not in out
    assert out.strip().count("\n") == 0, f"not one line: {out!r}"
    assert out.startswith("Error: "), out
    for message in messages:
        assert message in out, out


def tokens(unit: int, amount: int) -> int:
    return amount * unit


def too_precise(unit: int) -> str:
    """One more decimal than the token has."""
    return "1." + "1" * (len(str(unit)) - 1) + "1"


def bad_checksum(address: str) -> str:
    """The address with the case of one letter flipped: still mixed case, no longer EIP-55."""
    i = next(n for n, c in enumerate(address) if n > 1 and c.isalpha())
    return address[:i] + address[i].swapcase() + address[i + 1:]


def loan_at(project, market, loan_id):
    return project.Loan.at(market.factory.loans(loan_id))


# ----------------------------------------------------------------------------------------------- global options


def test_key__malformed__one_line_error(cli):
    result = cli("whoami", key="0xnotakey")
    fails(result, 2, "--key", "not a private key", "64 hexadecimal digits")
    assert "Non-hexadecimal" not in result.output


def test_key__an_address__says_use_account(cli, lender):
    fails(cli("whoami", key=str(lender.address)), 2, "that is an address, not a private key", "--account")


def test_key_and_account__both__usage_error(cli, lender):
    fails(cli("whoami", key=ORACLE_KEY, account=lender), 2, "give --key or --account, not both")


def test_whoami__key_or_account__prints_address(cli, lender):
    assert ok(cli("whoami", key=ORACLE_KEY)).output.strip() == Account.from_key(ORACLE_KEY).address
    assert ok(cli("whoami", account=lender)).output.strip() == lender.address
    assert ok(cli("whoami", account="5")).output.strip() == lender.address  # by the node's index


def test_account__index_out_of_range__one_line_error(cli):
    # (far beyond any count: a session that impersonates accounts lists them too)
    fails(cli("whoami", account="100000"), 2, "--account", "unlocked account(s)", "got 100000")


def test_account__malformed_address__one_line_error(cli):
    fails(cli("whoami", account="0x1234"), 2, "not an address: '0x1234'")


def test_deployment__missing_file__one_line_error(rpc, tmp_path):
    result = CliRunner().invoke(main, ["--network", rpc, "--deployment", str(tmp_path / "nope.json"), "loans", "list"],
                                catch_exceptions=False)
    fails(result, 1, "does not exist", "disfruta deploy")


def test_network__unreachable_or_not_a_url__one_line_error(cli):
    fails(cli("loans", "list", network="http://127.0.0.1:1"), 1, "cannot reach the node")
    fails(cli("loans", "list", network="localhost"), 1, "not an RPC URL")


def test_write__no_account__names_the_options(cli, create_loan):
    create_loan(amount_tokens=1_000, term=12)
    fails(cli("fund", "1", "25"), 2, "--key", "--account")


def test_main__real_subprocess__json_listing(rpc, deployment_file, create_loan):
    create_loan(amount_tokens=2_000, term=24)
    out = subprocess.run([sys.executable, "-m", "disfruta.cli", "--network", rpc, "--deployment", str(deployment_file),
                          "--json", "loans", "list"], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout)["loans"][0]["term_months"] == 24


# ----------------------------------------------------------------------------------------------- loans: reads


def test_loans_list__filters_and_cursor__pages_through_every_loan(cli, create_loan, lender):
    for term in (12, 24, 36):
        create_loan(amount_tokens=1_000, term=term)
    create_loan(amount_tokens=1_000, term=6, approve=False)
    first = data(cli("loans", "list", "--status", "funding", "--max-grade", "C5", "--limit", "2", as_json=True))
    assert [x["term_months"] for x in first["loans"]] == [36, 24]
    assert first["loans"][0]["status"] == "FUNDING" and first["loans"][0]["grade"] == "B3"
    rest = data(cli("loans", "list", "--status", "funding", "--limit", "2", "--cursor", first["next_cursor"],
                    as_json=True))
    assert [x["term_months"] for x in rest["loans"]] == [12] and rest["next_cursor"] is None
    pending = data(cli("loans", "list", "--status", "pending", as_json=True))
    assert [x["loan_id"] for x in pending["loans"]] == [4]
    assert data(cli("loans", "list", "--max-term", "12", "--purpose", "debt-consolidation", "--min-rate", "13",
                    "--max-rate", "13", as_json=True))["loans"][0]["term_months"] in (12, 6)
    table = ok(cli("loans", "list", "--limit", "3"))
    assert "funding" in table.output and "B3" in table.output and "more: add --cursor 1" in table.output


@pytest.mark.parametrize(("args", "message"), [
    (("--status", "sleeping"), "status must be one of pending, funding"),
    (("--min-grade", "Z9"), "grade must be one of A1 … E5, got 'Z9'"),
    (("--purpose", "yacht"), "purpose must be one of 0 debt consolidation"),
    (("--cursor", "abc"), "not a cursor of this listing: 'abc'"),
    (("--cursor", "0"), "not a cursor of this listing: '0'"),
    (("--limit", "0"), "--limit"),
    (("--min-rate", "-1"), "annual rate in percent"),
    (("--borrower", "0xnope"), "not an address: '0xnope'"),
])
def test_loans_list__bad_filter__one_line_error(cli, args, message):
    fails(cli("loans", "list", *args), 2, message)


def test_loans_show__json__terms_and_schedule(cli, create_loan, unit):
    loan = create_loan(amount_tokens=1_000, term=12)
    shown = data(cli("loans", "show", "1", as_json=True))
    assert shown["loan"]["address"] == loan.address and shown["loan"]["goal"] == tokens(unit, 1_000)
    assert len(shown["schedule"]) == 12
    assert "Schedule" in ok(cli("loans", "show", "#1")).output


def test_loans_schedule__active_loan__installments_sum_to_principal(cli, active_loan, unit):
    active_loan(amount_tokens=1_000, term=6)
    rows = data(cli("loans", "schedule", "1", as_json=True))
    assert len(rows) == 6 and sum(r["principal"] for r in rows) == tokens(unit, 1_000)
    assert all(r["due_date"] > 0 and not r["paid"] for r in rows)
    assert "Schedule of loan #1" in ok(cli("loans", "schedule", "1")).output


@pytest.mark.parametrize("command", [("loans", "show"), ("loans", "schedule"), ("loans", "draw"),
                                     ("loans", "approve"), ("loans", "expire"), ("fund",), ("repay",), ("claim",),
                                     ("refund",)])
def test_loan_commands__unknown_loan__there_is_no_loan(cli, create_loan, lender, command):
    create_loan(amount_tokens=1_000, term=12)
    extra = ("25",) if command == ("fund",) else ()
    fails(cli(*command, "99", *extra, account=lender), 1, "there is no loan #99")


@pytest.mark.parametrize("bad", ["0", "-1", "x", "1.5"])
def test_loan_commands__bad_loan_id__one_line_error(cli, lender, bad):
    fails(cli("loans", "show", bad), 2, "a loan id is a whole number from 1")
    fails(cli("fund", bad, "25", account=lender), 2, "a loan id is a whole number from 1")


# ----------------------------------------------------------------------------------------------- borrower


def test_loans_apply__verified_borrower__pending_loan_on_chain(cli, market, project, onboard, borrower, unit):
    onboard(borrower, Role.BORROWER, grade=8)
    out = data(cli("loans", "apply", "2000", "--term", "12", "--purpose", "car", "--funding-days", "10",
                   account=borrower, as_json=True))
    assert out["loan_id"] == 1 and out["grade"] == "B3" and out["tx_hash"].startswith("0x")
    loan = loan_at(project, market, 1)
    terms = loan.terms()
    assert terms.goal == tokens(unit, 2_000) and terms.termMonths == 12 and terms.purpose == 4
    assert terms.fundingPeriod == 10 * DAY and loan.position().status == Status.PENDING
    text = ok(cli("loans", "apply", "1000", "--term", "6", account=borrower)).output
    assert "applied: loan #2" in text and "waits for the underwriter" in text
    assert market.factory.loanCounter() == 2


def test_loans_apply__bad_input__one_line_errors(cli, onboard, borrower, market, unit):
    onboard(borrower, Role.BORROWER, grade=8)
    for amount in ("-5", "0", "abc", "nan", "-inf", "1,000"):
        fails(cli("loans", "apply", amount, "--term", "12", account=borrower), 2,
              f"amount must be a positive number of tokens, got '{amount}'")
    fails(cli("loans", "apply", "1e999999", "--term", "12", account=borrower), 2, "amount is too large")
    fails(cli("loans", "apply", too_precise(unit), "--term", "12", account=borrower), 2, "more decimals than the token")
    fails(cli("loans", "apply", "1000", "--term", "0", account=borrower), 2, "--term")
    fails(cli("loans", "apply", "1000", "--term", "12", "--purpose", "9", account=borrower), 2, "purpose must be")
    fails(cli("loans", "apply", "1000", account=borrower), 2, "--term")
    assert market.factory.loanCounter() == 0


def test_loans_apply__not_a_verified_borrower__contract_error(cli, lender, onboard, market):
    onboard(lender, Role.LENDER)
    fails(cli("loans", "apply", "1000", "--term", "12", account=lender), 1, "reverted with",
          "LoanFactoryBorrowerNotEligible")
    assert market.factory.loanCounter() == 0


def test_loans_draw__funded_loan__active_and_borrower_paid(cli, create_loan, fund, lender, borrower, market, unit):
    loan = create_loan(amount_tokens=1_000, term=12)
    fund(loan, lender, tokens(unit, 1_000))
    before = market.asset.balanceOf(borrower)
    out = data(cli("loans", "draw", "1", account=borrower, as_json=True))
    assert loan.position().status == Status.ACTIVE
    assert market.asset.balanceOf(borrower) - before == out["received"] == tokens(unit, 1_000) - out["origination_fee"]
    fails(cli("loans", "draw", "1", account=borrower), 1, "reverted with", "LoanInvalidStatus(status=active)")


def test_loans_draw__not_the_borrower__contract_error(cli, create_loan, fund, lender, unit):
    loan = create_loan(amount_tokens=1_000, term=12)
    fund(loan, lender, tokens(unit, 1_000))
    fails(cli("loans", "draw", "1", account=lender), 1, "reverted with")
    assert loan.position().status == Status.FUNDED


def test_loans_accept_partial__funded_enough_after_deadline__smaller_loan(cli, create_loan, fund, lender, borrower,
                                                                        unit, warp):
    loan = create_loan(amount_tokens=1_000, term=12)
    fund(loan, lender, tokens(unit, 750))
    fails(cli("loans", "accept-partial", "1", account=borrower), 1, "LoanFundingOpen")
    warp(loan.position().fundingDeadline + 1)
    out = data(cli("loans", "accept-partial", "1", account=borrower, as_json=True))
    assert out["principal"] == loan.terms().principal == tokens(unit, 750)
    assert loan.position().status == Status.FUNDED


def test_repay__installment_amount_payoff__repaid_on_chain(cli, active_loan, borrower, market, unit):
    loan = active_loan(amount_tokens=1_000, term=6)
    market.asset.mint(borrower, tokens(unit, 100), sender=borrower)
    payment = loan.terms().monthlyPayment
    first = data(cli("repay", "1", account=borrower, as_json=True))
    assert first["amount"] == payment and not first["repaid"]
    ok(cli("repay", "1", "100", account=borrower))
    outstanding = loan.position().principalOutstanding
    assert outstanding < tokens(unit, 1_000) - first["principal"]
    text = ok(cli("repay", "1", "--payoff", account=borrower)).output
    assert "repaid in full" in text and loan.position().status == Status.REPAID
    fails(cli("repay", "1", account=borrower), 1, "loan #1 is repaid: nothing to repay")


def test_repay__bad_input__one_line_errors(cli, active_loan, borrower, unit, market):
    active_loan(amount_tokens=1_000, term=6)
    fails(cli("repay", "1", "50", "--payoff", account=borrower), 2, "give an AMOUNT or --payoff, not both")
    fails(cli("repay", "1", "-5", account=borrower), 2, "amount must be a positive number of tokens, got '-5'")
    fails(cli("repay", "1", "ten", account=borrower), 2, "amount must be a positive number of tokens, got 'ten'")
    fails(cli("repay", "1", too_precise(unit), account=borrower), 2, "more decimals than the token")
    fails(cli("repay", "1", "--paayoff", account=borrower), 2, "No such option: --paayoff")
    wallet = market.asset.balanceOf(borrower)
    fails(cli("repay", "1", str(wallet // unit + 1), account=borrower), 1, "holds", "needs")


def test_borrower_show__active_loan__dashboard(cli, active_loan, borrower, unit):
    loan = active_loan(amount_tokens=1_000, term=6)
    dash = data(cli("borrower", "show", str(borrower.address), as_json=True))
    assert dash["grade"] == "B3" and [x["loan_id"] for x in dash["loans"]] == [1]
    assert dash["total_outstanding"] == tokens(unit, 1_000) and dash["next_due_date"] == loan.nextDueDate()
    mine = ok(cli("borrower", "show", account=borrower)).output
    assert "grade B3" in mine and "next payment" in mine
    fails(cli("borrower", "show"), 2, "give an ADDRESS")


# ----------------------------------------------------------------------------------------------- underwriter


def test_loans_approve__underwriter__open_for_funding(cli, create_loan, underwriter):
    loan = create_loan(amount_tokens=1_000, term=12, approve=False)
    out = data(cli("loans", "approve", "1", account=underwriter, as_json=True))
    assert loan.position().status == Status.FUNDING and out["funding_deadline"] == loan.position().fundingDeadline


def test_loans_approve__not_the_underwriter__names_the_missing_role(cli, create_loan, stranger):
    loan = create_loan(amount_tokens=1_000, term=12, approve=False)
    fails(cli("loans", "approve", "1", account=stranger), 1, f"{stranger.address} does not hold UNDERWRITER_ROLE")
    assert loan.position().status == Status.PENDING


def test_loans_reject__with_reason__rejected_on_chain(cli, create_loan, underwriter):
    loan = create_loan(amount_tokens=1_000, term=12, approve=False)
    fails(cli("loans", "reject", "1", "--reason", "x" * 33, account=underwriter), 2, "at most 32 bytes, got 33")
    ok(cli("loans", "reject", "1", "--reason", "income not verified", account=underwriter))
    assert loan.position().status == Status.REJECTED
    fails(cli("loans", "approve", "1", account=underwriter), 1, "reverted with", "status=rejected")


# ----------------------------------------------------------------------------------------------- lender


def test_fund__verified_lender__notes_on_chain(cli, create_loan, onboard, lender, market, unit):
    loan = create_loan(amount_tokens=1_000, term=12)
    onboard(lender, Role.LENDER)
    market.asset.mint(lender, tokens(unit, 1_000), sender=lender)
    out = data(cli("fund", "1", "250", account=lender, as_json=True))
    assert loan.balanceOf(lender) == tokens(unit, 250) == out["amount"] and out["status"] == "FUNDING"
    text = ok(cli("fund", "1", "750", account=lender)).output
    assert "100% funded (funded)" in text and loan.position().status == Status.FUNDED
    assert market.asset.balanceOf(lender) == 0


def test_fund__bad_input__one_line_errors(cli, create_loan, onboard, lender, market, unit):
    loan = create_loan(amount_tokens=1_000, term=12)
    onboard(lender, Role.LENDER)
    market.asset.mint(lender, tokens(unit, 100), sender=lender)
    fails(cli("fund", "1", "10", account=lender), 1, "LoanNotMultipleOfNote")
    fails(cli("fund", "1", "-5", account=lender), 2, "amount must be a positive number of tokens, got '-5'")
    fails(cli("fund", "1", "0", account=lender), 2, "amount must be a positive number of tokens, got '0'")
    fails(cli("fund", "1", "lots", account=lender), 2, "amount must be a positive number of tokens, got 'lots'")
    fails(cli("fund", "1", too_precise(unit), account=lender), 2, "more decimals than the token")
    fails(cli("fund", "1", "500", account=lender), 1, "holds", "needs")  # more than the wallet
    assert loan.balanceOf(lender) == 0


def test_claim__one_loan_then_all__wallet_receives(cli, create_loan, fund, lender, borrower, market, unit, pay):
    loans = [create_loan(amount_tokens=1_000, term=6) for _ in range(2)]
    for loan in loans:
        fund(loan, lender, tokens(unit, 1_000))
        loan.withdrawFunds(sender=borrower)
        pay(loan, borrower, loan.terms().monthlyPayment)
    claimable = [loan.claimable(lender) for loan in loans]
    assert all(claimable)
    before = market.asset.balanceOf(lender)
    out = data(cli("claim", "1", account=lender, as_json=True))
    assert out["amount"] == claimable[0] and market.asset.balanceOf(lender) - before == claimable[0]
    pay(loans[0], borrower, loans[0].terms().monthlyPayment)
    again = loans[0].claimable(lender)
    everything = data(cli("claim", "--all", account=lender, as_json=True))
    assert everything["total"] == again + claimable[1] and len(everything["claims"]) == 2
    assert [loan.claimable(lender) for loan in loans] == [0, 0]
    assert ok(cli("claim", "--all", account=lender)).output.strip() == "nothing to claim"


def test_claim__id_and_all_or_neither__usage_error(cli, lender):
    fails(cli("claim", account=lender), 2, "give a LOAN_ID or --all")
    fails(cli("claim", "1", "--all", account=lender), 2, "not both")


def test_refund__expired_loan__funds_back(cli, create_loan, fund, lender, stranger, market, unit, warp):
    loan = create_loan(amount_tokens=1_000, term=12)
    fund(loan, lender, tokens(unit, 500))
    fails(cli("refund", "1", account=lender), 1, "LoanInvalidStatus(status=funding)")
    fails(cli("loans", "expire", "1", account=stranger), 1, "LoanCannotExpire")
    warp(loan.position().fundingDeadline + 1)
    ok(cli("loans", "expire", "1", account=stranger))
    assert loan.position().status == Status.EXPIRED
    out = data(cli("refund", "1", account=lender, as_json=True))
    assert out["amount"] == tokens(unit, 500) == market.asset.balanceOf(lender)
    fails(cli("refund", "1", account=lender), 1, "LoanNothingToRefund")


def test_notes_transfer__to_verified_lender__notes_move(cli, create_loan, fund, lender, lenders, onboard, unit):
    loan = create_loan(amount_tokens=1_000, term=12)
    fund(loan, lender, tokens(unit, 500))
    other = lenders[0]
    onboard(other, Role.LENDER)
    ok(cli("notes", "transfer", "1", str(other.address), "200", account=lender))
    assert loan.balanceOf(lender) == tokens(unit, 300) and loan.balanceOf(other) == tokens(unit, 200)
    shown = data(cli("notes", "show", "1", str(other.address), as_json=True))
    assert shown["notes"] == tokens(unit, 200) and shown["claimable"] == 0
    fails(cli("notes", "transfer", "1", "0xabc", "5", account=lender), 2, "not an address: '0xabc'")
    fails(cli("notes", "transfer", "1", bad_checksum(str(other.address)), "5", account=lender), 2, "checksum")
    fails(cli("notes", "transfer", "1", str(other.address), "-1", account=lender), 2, "positive number of tokens")


# ----------------------------------------------------------------------------------------------- pool


def test_pool_deposit_invest_claim_withdraw__balances_on_chain(cli, create_loan, onboard, lender, borrower, market,
                                                              unit, pay):
    loan = create_loan(amount_tokens=1_000, term=6)
    onboard(lender, Role.LENDER)
    market.asset.mint(lender, tokens(unit, 1_500), sender=lender)
    out = data(cli("pool", "deposit", "1500", account=lender, as_json=True))
    assert out["pool_cash"] == tokens(unit, 1_500) == market.pool.lenderBalances(lender)
    ok(cli("pool", "invest", "1", "1000", account=lender))
    assert loan.balanceOf(market.pool) + loan.balanceOf(lender) == tokens(unit, 1_000)
    assert market.pool.invested(lender, loan) == tokens(unit, 1_000)
    loan.withdrawFunds(sender=borrower)
    pay(loan, borrower, loan.terms().monthlyPayment)
    claimed = data(cli("pool", "claim", "1", account=lender, as_json=True))["amount"]
    assert claimed > 0 and market.pool.lenderBalances(lender) == tokens(unit, 500) + claimed
    ok(cli("pool", "withdraw", "500", account=lender))
    assert market.asset.balanceOf(lender) == tokens(unit, 500)
    balance = data(cli("pool", "balance", str(lender.address), as_json=True))
    assert balance == {"lender": lender.address, "pool_cash": claimed, "wallet": tokens(unit, 500)}


def test_pool__bad_input__one_line_errors(cli, onboard, lender, market, unit):
    onboard(lender, Role.LENDER)
    fails(cli("pool", "withdraw", "5", account=lender), 1, "the pool account holds 0, less than 5")
    fails(cli("pool", "deposit", "-5", account=lender), 2, "amount must be a positive number of tokens, got '-5'")
    fails(cli("pool", "deposit", "5", account=lender), 1, "holds 0 token units")
    fails(cli("pool", "deposit", too_precise(unit), account=lender), 2, "more decimals than the token")
    fails(cli("pool", "invest", "1", "25", account=lender), 1, "there is no loan #1")
    fails(cli("pool", "balance", "0x12"), 2, "not an address")


# ----------------------------------------------------------------------------------------------- auto-invest


def test_autoinvest_set_show_disable__criteria_on_chain(cli, onboard, lender, market, unit):
    onboard(lender, Role.LENDER)
    ok(cli("autoinvest", "set", "--min-grade", "A2", "--max-grade", "C5", "--min-rate", "7", "--max-rate", "18.5",
           "--max-term", "36", "--amount-per-loan", "100", "--max-per-borrower", "300", "--cash-to-keep", "50",
           "--purposes", "0,car,home-improvement", account=lender))
    c = market.pool.criteriaOf(lender)
    assert (c.enabled, c.minGrade, c.maxGrade, c.minRateBps, c.maxRateBps, c.maxTermMonths) == (
        True, 2, 15, 700, 1_850, 36)
    assert c.purposes == 0b10101 and c.amountPerLoan == tokens(unit, 100)
    assert c.maxPerBorrower == tokens(unit, 300) and c.cashToKeep == tokens(unit, 50)
    shown = data(cli("autoinvest", "show", str(lender.address), as_json=True))
    assert shown["criteria"]["min_grade"] == "A2" and shown["criteria"]["purposes"] == [0, 2, 4]
    assert "C5" in ok(cli("autoinvest", "show", account=lender)).output
    ok(cli("autoinvest", "disable", account=lender))
    c = market.pool.criteriaOf(lender)
    assert not c.enabled and c.amountPerLoan == tokens(unit, 100)


@pytest.mark.parametrize(("args", "message"), [
    (("--min-grade", "F1"), "grade must be one of A1 … E5, got 'F1'"),
    (("--min-grade", "C1", "--max-grade", "B1"), "--min-grade C1 is worse than --max-grade B1"),
    (("--min-rate", "20", "--max-rate", "10"), "--min-rate is above --max-rate"),
    (("--min-rate", "abc"), "annual rate in percent"),
    (("--max-rate", "9.123"), "at most two decimals"),
    (("--purposes", "0,9"), "purpose must be one of"),
    (("--purposes", ","), "give at least one purpose"),
    (("--max-term", "0"), "--max-term"),
    (("--cash-to-keep", "-1"), "cash to keep must be zero or a positive number of tokens, got '-1'"),
    (("--max-per-borrower", "0"), "max per borrower must be a positive number of tokens"),
])
def test_autoinvest_set__bad_criteria__one_line_error(cli, onboard, lender, market, args, message):
    fails(cli("autoinvest", "set", "--amount-per-loan", "100", *args, account=lender), 2, message)
    assert not market.pool.criteriaOf(lender).enabled


def test_autoinvest_set__no_amount__one_line_error(cli, lender):
    fails(cli("autoinvest", "set", account=lender), 2, "--amount-per-loan")
    fails(cli("autoinvest", "set", "--amount-per-loan", "-100", account=lender), 2,
          "amount per loan must be a positive number of tokens, got '-100'")


# ----------------------------------------------------------------------------------------------- anyone / keeper


def test_loans_default__past_threshold__defaulted_on_chain(cli, active_loan, stranger, warp, fund_reserve, market,
                                                          unit):
    loan = active_loan(amount_tokens=1_000, term=6)
    fund_reserve(tokens(unit, 100))
    fails(cli("loans", "default", "1", account=stranger), 1, "LoanNotDefaultable")
    warp(loan.position().startTime + 30 * DAY + 121 * DAY)
    reserve = market.treasury.reserve()  # the 100 funded, plus the reserve's share of the origination fee
    out = data(cli("loans", "default", "1", account=stranger, as_json=True))
    assert loan.position().status == Status.DEFAULTED
    assert out["principal_outstanding"] == tokens(unit, 1_000)
    assert out["reserve_cover"] == min(reserve, tokens(unit, 300)) == reserve - market.treasury.reserve()


def test_loans_sweep_fees__after_a_repayment__treasury_receives(cli, active_loan, borrower, stranger, market, pay):
    loan = active_loan(amount_tokens=1_000, term=6)
    fails(cli("loans", "sweep-fees", "1", account=stranger), 1, "LoanNoFees")
    pay(loan, borrower, loan.terms().monthlyPayment)
    accrued = loan.position().feesAccrued
    before = market.treasury.feesCollected(SERVICING)
    out = data(cli("loans", "sweep-fees", "1", account=stranger, as_json=True))
    assert out["amount"] == accrued > 0 and market.treasury.feesCollected(SERVICING) - before == accrued
    assert loan.position().feesAccrued == 0


def test_loans_pause_unpause__underwriter__paused_on_chain(cli, create_loan, underwriter, stranger):
    loan = create_loan(amount_tokens=1_000, term=12)
    fails(cli("loans", "pause", "1", account=stranger), 1, "does not hold UNDERWRITER_ROLE")
    ok(cli("loans", "pause", "1", account=underwriter))
    assert loan.isPaused()
    ok(cli("loans", "unpause", "1", account=underwriter))
    assert not loan.isPaused()


def test_treasury_status_and_fund_reserve__reserve_on_chain(cli, active_loan, stranger, market, unit):
    active_loan(amount_tokens=1_000, term=6)
    market.asset.mint(stranger, tokens(unit, 100), sender=stranger)
    before = market.treasury.reserve()
    ok(cli("treasury", "fund-reserve", "100", account=stranger))
    assert market.treasury.reserve() - before == tokens(unit, 100)
    info = data(cli("treasury", "status", as_json=True))
    assert info["reserve"] == market.treasury.reserve() and info["origination_fees"] > 0
    assert "reserve" in ok(cli("treasury", "status")).output
    fails(cli("treasury", "fund-reserve", "0", account=stranger), 2, "positive number of tokens")


def test_keeper_run__one_pass__auto_invests(cli, create_loan, onboard, lenders, stranger, market, unit):
    who = lenders[0]
    onboard(who, Role.LENDER)
    market.asset.mint(who, tokens(unit, 1_000), sender=who)
    ok(cli("pool", "deposit", "1000", account=who))
    ok(cli("autoinvest", "set", "--amount-per-loan", "400", "--max-per-borrower", "1000", account=who))
    loan = create_loan(amount_tokens=1_000, term=6)
    out = ok(cli("keeper", "run", "--iterations", "1", "--interval", "0", account=stranger)).output
    assert "pass 1: invested {1: " in out and loan.balanceOf(market.pool) + loan.balanceOf(who) == tokens(unit, 400)
    fails(cli("keeper", "run", "--iterations", "0", account=stranger), 2, "--iterations")


def test_portfolio__after_repayment__invested_and_claimable(cli, create_loan, onboard, lender, borrower, market, unit,
                                                          warp):
    loan = create_loan(amount_tokens=1_000, term=12)
    onboard(lender, Role.LENDER)
    market.asset.mint(lender, tokens(unit, 1_000), sender=lender)
    ok(cli("fund", "1", "1000", account=lender))
    ok(cli("loans", "draw", "1", account=borrower))
    market.asset.mint(borrower, tokens(unit, 2_000), sender=borrower)
    warp(loan.position().startTime + 30 * DAY)
    assert "outstanding" in ok(cli("repay", "1", account=borrower)).output
    result = data(cli("portfolio", str(lender.address), as_json=True))
    assert result["invested"] == tokens(unit, 1_000) and result["claimable"] == loan.claimable(lender) > 0
    assert "Portfolio of" in ok(cli("portfolio", account=lender)).output


# ----------------------------------------------------------------------------------------------- registry


def test_registry_register_verify__admin_path__verified_on_chain(cli, market, lender, kyc_admin):
    commitment = "0x" + "42" * 32
    ok(cli("registry", "register", "--roles", "lender", "--commitment", commitment, account=lender))
    assert market.registry.getUser(lender).status == 1  # pending
    fails(cli("registry", "verify", str(lender.address), account=lender), 1, "does not hold KYC_ADMIN_ROLE")
    ok(cli("registry", "verify", str(lender.address), account=kyc_admin))
    assert market.registry.isVerifiedLender(lender) and not market.registry.isVerifiedBorrower(lender)
    shown = data(cli("registry", "show", str(lender.address), as_json=True))
    assert shown["status"] == "verified" and shown["kyc_commitment"] == commitment and shown["roles"] == 2
    fails(cli("registry", "register", "--roles", "lender", "--commitment", commitment, account=lender), 1,
          "UserRegistryAlreadyRegistered")


def test_registry_register__profile__commitment_and_salt(cli, market, borrower, tmp_path):
    profile = tmp_path / "me.json"
    profile.write_text(json.dumps({"name": "Ana García", "passport": "X1234567"}))
    out = data(cli("registry", "register", "--roles", "both", "--profile", str(profile), account=borrower,
                   as_json=True))
    user = market.registry.getUser(borrower)
    assert user.roles == 3 and "0x" + user.kycCommitment.hex().removeprefix("0x") == out["commitment"]
    assert len(out["salt"]) == 66


@pytest.mark.parametrize(("args", "message"), [
    (("--roles", "lender", "--commitment", "0x1234"), "32 bytes: 0x and 64 hexadecimal digits"),
    (("--roles", "lender", "--commitment", "0x" + "00" * 32), "must not be zero"),
    (("--roles", "admin", "--commitment", "0x" + "42" * 32), "--roles"),
    (("--roles", "lender"), "give --commitment or --profile"),
    (("--roles", "lender", "--profile", "/nonexistent.json"), "--profile"),
])
def test_registry_register__bad_input__one_line_error(cli, market, lender, args, message):
    fails(cli("registry", "register", *args, account=lender), 2, message)
    assert market.registry.getUser(lender).status == 0


def test_registry_revoke__revoker__revoked_on_chain(cli, market, onboard, borrower, revoker, stranger):
    onboard(borrower, Role.BORROWER, grade=8)
    fails(cli("registry", "revoke", str(borrower.address), account=stranger), 1, "does not hold REVOKER_ROLE")
    ok(cli("registry", "revoke", str(borrower.address), "--credit-only", "--reason", "stale", account=revoker))
    assert market.registry.creditOf(borrower)[0] == 0 and market.registry.getUser(borrower).status == 2
    ok(cli("registry", "revoke", str(borrower.address), account=revoker))
    assert market.registry.getUser(borrower).status == 3 and not market.registry.isVerifiedBorrower(borrower)
    fails(cli("registry", "revoke", "0xdead", account=revoker), 2, "not an address")


def test_registry_grade__oracle_signer_key__grade_on_chain(cli, market, onboard, borrower, chain, unit):
    onboard(borrower, Role.BORROWER)
    chain.set_balance(Account.from_key(ORACLE_KEY).address, 10**20)  # gas money for the oracle's key
    out = data(cli("registry", "grade", str(borrower.address), "--grade", "C2", "--limit", "5000", key=ORACLE_KEY,
                   as_json=True))
    assert out["grade"] == "C2" and tuple(market.registry.creditOf(borrower)) == (12, tokens(unit, 5_000))


def test_registry_grade__node_account_signer__signed_by_the_node(cli, market, onboard, borrower, stranger, admin,
                                                                 unit):
    onboard(borrower, Role.BORROWER)
    fails(cli("registry", "grade", str(borrower.address), "--grade", "B1", "--limit", "10", account=stranger), 1,
          "is not an oracle signer")
    market.registry.addSigner(stranger, sender=admin)
    ok(cli("registry", "grade", str(borrower.address), "--grade", "B1", "--limit", "10", account=stranger))
    assert tuple(market.registry.creditOf(borrower)) == (6, tokens(unit, 10))


def test_registry_grade__bad_input__one_line_error(cli, borrower, stranger):
    fails(cli("registry", "grade", str(borrower.address), "--grade", "Q1", "--limit", "10", account=stranger), 2,
          "grade must be one of A1 … E5")
    fails(cli("registry", "grade", str(borrower.address), "--grade", "B1", "--limit", "-10", account=stranger), 2,
          "limit must be a positive number of tokens, got '-10'")


# ----------------------------------------------------------------------------------------------- onboarding




def test_onboard_kyc_attest_assess__oracle_service__graded_borrower_on_chain(cli, market, chain, admin, stranger,
                                                                           tmp_path):
    from disfruta.oracle_client import OracleClient
    from disfruta.oracle_process import OracleProcess

    signer = Account.create()
    market.registry.addSigner(signer.address, sender=admin)
    wallet = Account.create()
    chain.set_balance(wallet.address, 10**20)
    key = "0x" + wallet.key.hex().removeprefix("0x")
    profile, applicant, passport = tmp_path / "profile.json", tmp_path / "applicant.json", tmp_path / "passport.pdf"
    profile.write_text(json.dumps(PROFILE))
    applicant.write_text(json.dumps(APPLICANT))
    passport.write_bytes(b"%PDF- a scanned passport")
    with OracleProcess(market.registry.address, chain.chain_id, chain.provider.uri,
                       signer_key=signer.key.hex()) as service:
        fails(cli("onboard", "kyc", "--oracle", service.url, "--profile", str(profile), "--roles", "borrower",
                  key=key), 2, "give at least one --document")
        submitted = data(cli("onboard", "kyc", "--oracle", service.url, "--profile", str(profile), "--roles",
                             "borrower", "--document", f"passport:{passport}", key=key, as_json=True))
        assert submitted["kyc_status"] == "pending"
        fails(cli("onboard", "attest", "--oracle", service.url, key=key), 1, "oracle answered 409", "pending")
        oracle = OracleClient(service.url)
        operator = oracle.operator_sign_in(OracleProcess.OPERATOR, service.operator_password, service.operator_totp())
        oracle.review(operator, wallet.address, "approve", "documents match")
        ok(cli("onboard", "attest", "--oracle", service.url, key=key))
        assert market.registry.getUser(wallet.address).status == 2 and market.registry.getUser(wallet.address).roles == 1
        graded = data(cli("onboard", "assess", "--oracle", service.url, "--applicant", str(applicant), key=key,
                          as_json=True))
        assert graded["decision"] == "approved" and graded["tx_hash"].startswith("0x")
        assert market.registry.isVerifiedBorrower(wallet.address)
        assert market.registry.creditOf(wallet.address)[1] == graded["borrow_limit"]
        # The same sign-in through the node for an unlocked account (personal_sign).
        ok(cli("onboard", "kyc", "--oracle", service.url, "--profile", str(profile), "--roles", "lender",
               "--document", f"passport:{passport}", account=stranger))
        fails(cli("onboard", "assess", "--oracle", service.url, "--applicant", str(profile), account=stranger), 1,
              "OracleError")
        oracle.close()


def test_onboard__bad_input__one_line_errors(cli, lender, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(PROFILE))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    fails(cli("onboard", "kyc", "--oracle", "http://127.0.0.1:1", "--profile", str(broken), "--roles", "lender",
              account=lender), 2, "is not JSON")
    fails(cli("onboard", "kyc", "--oracle", "http://127.0.0.1:1", "--profile", str(profile), "--roles", "lender",
              "--document", "passport", account=lender), 2, "expected KIND:FILE")
    fails(cli("onboard", "kyc", "--oracle", "http://127.0.0.1:1", "--profile", str(profile), "--roles", "lender",
              "--document", f"passport:{tmp_path / 'missing.pdf'}", account=lender), 2, "cannot read")
    fails(cli("onboard", "attest", "--oracle", "http://127.0.0.1:1", account=lender), 1, "cannot reach the oracle")
    fails(cli("onboard", "attest", account=lender), 2, "--oracle")
    fails(cli("onboard", "attest", "--oracle", "http://127.0.0.1:1"), 2, "--key", "--account")


# ----------------------------------------------------------------------------------------------- token


def test_token_mint_transfer_balance__local_chain__balances(cli, lender, stranger, market, unit):
    ok(cli("token", "mint", "100", account=lender))
    ok(cli("token", "mint", "5", "--to", str(stranger.address), account=lender))
    ok(cli("token", "transfer", str(stranger.address), "40", account=lender))
    assert market.asset.balanceOf(lender) == tokens(unit, 60) and market.asset.balanceOf(stranger) == tokens(unit, 45)
    assert data(cli("token", "balance", account=stranger, as_json=True))["balance"] == tokens(unit, 45)
    fails(cli("token", "transfer", str(stranger.address), "61", account=lender), 1, "the wallet holds 60")
    fails(cli("token", "mint", "-1", account=lender), 2, "positive number of tokens")
    fails(cli("token", "transfer", "nobody", "1", account=lender), 2, "not an address: 'nobody'")
