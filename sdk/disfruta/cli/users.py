"""Users: ``borrower``, ``registry`` (the admin path and the on-chain record) and ``onboard`` (through the oracle)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from disfruta.client import Disfruta

from disfruta.cli.base import (
    Context,
    _plain,
    main,
    pass_ctx,
)
from disfruta.cli.params import (
    ADDRESS,
    AMOUNT,
    AUTOPAY_LOG,
    BYTES32,
    DAY,
    GRADE,
    ROLE_CHOICES,
    ROLES,
    BadParameter,
    UsageError,
)

# ----------------------------------------------------------------------------------------------- borrower


@main.group()
def borrower() -> None:
    """Borrower: the dashboard (grade, limit, loans, what is due next)."""


@borrower.command("show")
@click.argument("address", type=ADDRESS, required=False)
@AUTOPAY_LOG
@pass_ctx
def borrower_show(ctx: Context, address: str | None, autopay_log: str | None) -> None:
    """ADDRESS's dashboard (default: yours), with each loan's autopay (and the keeper's failed collections, from
    --autopay-log)."""
    from disfruta.api.autopay import AutopayLog
    from disfruta.render import dashboard

    who = ctx.address(address)
    client = ctx.client()
    result = client.borrowers.dashboard(who, autopay_log=AutopayLog(autopay_log) if autopay_log else None)
    ctx.emit(result, lambda: dashboard(client, result))


# ----------------------------------------------------------------------------------------------- registry


@main.group()
def registry() -> None:
    """The user registry: a user's record; the admin path (register, verify, revoke); local oracle grades."""


@registry.command("show")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def registry_show(ctx: Context, address: str | None) -> None:
    """ADDRESS's on-chain record (default: yours)."""
    from disfruta.render import user_table

    who = ctx.address(address)
    client = ctx.client()
    user = client.registry.user(who)
    ctx.emit(user, lambda: user_table(client, user))


@registry.command("register")
@click.option("--roles", type=ROLES, required=True, help="lender, borrower or both.")
@click.option("--commitment", type=BYTES32, default=None,
              help="Your salted KYC commitment (0x + 64 hex); or --profile to compute one.")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON identity record: commits to it with a fresh salt (printed: keep it).")
@pass_ctx
def registry_register(ctx: Context, roles: str, commitment: bytes | None, profile: str | None) -> None:
    """The admin path, step 1: register as pending with a KYC commitment (the KYC admin then verifies)."""
    if (commitment is None) == (profile is None):
        raise UsageError("give --commitment or --profile (exactly one)")
    salt = None
    if profile is not None:
        from disfruta.attestations import kyc_commitment

        commitment, salt = kyc_commitment(_read_json(profile, "--profile"))
    assert commitment is not None
    client = ctx.signer()
    receipt = client.registry.register(commitment, ROLE_CHOICES[roles.lower()])
    extra = {"salt": "0x" + salt.hex()} if salt else {}
    ctx.done(receipt, f"registered {client.address} as {roles.lower()}, pending verification; commitment "
                      f"0x{commitment.hex()}" + (f", salt 0x{salt.hex()} (keep it: it opens the commitment)"
                                                 if salt else ""),
             address=client.address, commitment=commitment, **extra)


@registry.command("verify")
@click.argument("address", type=ADDRESS)
@pass_ctx
def registry_verify(ctx: Context, address: str) -> None:
    """KYC admin: verify a pending user."""
    client = ctx.signer()
    receipt = client.registry.verify(address)
    user = client.registry.user(address)
    ctx.done(receipt, f"verified {address} ({_roles(user.roles)})", address=address, roles=user.roles)


@registry.command("revoke")
@click.argument("address", type=ADDRESS)
@click.option("--reason", default="", help="At most 32 bytes, recorded on chain.")
@click.option("--credit-only", is_flag=True, help="Clear only the credit grade; KYC stays.")
@pass_ctx
def registry_revoke(ctx: Context, address: str, reason: str, credit_only: bool) -> None:
    """Revoker: revoke a user's verification (or only the credit grade) at once."""
    if len(reason.encode()) > 32:
        raise BadParameter(f"at most 32 bytes, got {len(reason.encode())}", param_hint="'--reason'")
    client = ctx.signer()
    receipt = client.registry.revoke_credit(address, reason) if credit_only else client.registry.revoke(address, reason)
    ctx.done(receipt, f"revoked {'the credit grade of ' if credit_only else ''}{address}", address=address)


@registry.command("reinstate")
@click.argument("address", type=ADDRESS)
@pass_ctx
def registry_reinstate(ctx: Context, address: str) -> None:
    """Revoker: lift a revocation (the user is pending again and needs a fresh verification)."""
    receipt = ctx.signer().registry.reinstate(address)
    ctx.done(receipt, f"reinstated {address}: pending until verified again", address=address)


@registry.command("grade")
@click.argument("address", type=ADDRESS)
@click.option("--grade", type=GRADE, required=True, help="A1 … E5.")
@click.option("--limit", type=AMOUNT, required=True, help="Borrow limit, tokens.")
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True, help="Valid for.")
@pass_ctx
def registry_grade(ctx: Context, address: str, grade: Any, limit: Decimal, days: int) -> None:
    """Oracle signer (local chains): sign a credit attestation for a verified user and submit it."""
    from disfruta.attestations import CreditAttestation

    client = ctx.signer()
    now = client.core.head().timestamp
    att = CreditAttestation(user=address, grade=int(grade), borrow_limit=ctx.units(limit, "'--limit'"),
                            valid_until=now + days * DAY, nonce=client.registry.nonces(address).credit,
                            deadline=now + DAY)
    if not client.registry.is_signer(client.address):
        raise click.ClickException(f"{client.address} is not an oracle signer of this registry (deploy with "
                                   "--operator or --oracle-signer on a local chain)")
    signature = _sign_typed(ctx, att)
    receipt = client.registry.submit_attestations(None, None, client.address, att, signature)
    ctx.done(receipt, f"{address} graded {grade.name} with a limit of {limit} for {days} days", address=address,
             grade=grade.name, borrow_limit=att.borrow_limit)


def _sign_typed(ctx: Context, att: Any) -> bytes:
    """EIP-712 signature of an attestation by the signing account: here with --key, or by the node (--account)."""
    from disfruta.attestations import sign_attestation, typed_data

    client = ctx.client()
    registry_address = client.core.address("UserRegistry")
    if ctx.key is not None:
        return sign_attestation(att, ctx.key.key, client.chain_id, registry_address)
    doc = _plain(typed_data(att, client.chain_id, registry_address))
    signature = client.rpc.request("eth_signTypedData_v4", [client.address, json.dumps(doc)])
    return bytes.fromhex(str(signature).removeprefix("0x"))


def _roles(bits: int) -> str:
    return {0: "no roles", 1: "borrower", 2: "lender", 3: "borrower and lender"}.get(bits, str(bits))


def _read_json(path: str, option: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise BadParameter(f"cannot read {path}: {exc}", param_hint=f"'{option}'") from None
    except json.JSONDecodeError as exc:
        raise BadParameter(f"{path} is not JSON: {exc}", param_hint=f"'{option}'") from None


# ----------------------------------------------------------------------------------------------- onboarding


@main.group()
def onboard() -> None:
    """Onboarding through the oracle service: KYC, then the signed attestations on chain."""


class _NodeWallet:
    """A wallet whose messages the node signs (``personal_sign``): the oracle's sign-in with --account."""

    def __init__(self, client: Disfruta) -> None:
        self._client = client
        self.address = client.address

    def sign_message(self, message: Any) -> Any:
        signature = self._client.rpc.request("personal_sign", ["0x" + bytes(message.body).hex(), self.address])
        return type("Signed", (), {"signature": bytes.fromhex(str(signature).removeprefix("0x"))})()


def _oracle_session(ctx: Context, url: str) -> tuple[Any, Any, Disfruta]:
    from disfruta.oracle_client import OracleClient

    client = ctx.signer()
    oracle = OracleClient(url)
    wallet = ctx.key if ctx.key is not None else _NodeWallet(client)
    return oracle, oracle.sign_in(wallet), client


ORACLE_URL = click.option("--oracle", "oracle_url", envvar="DISFRUTA_ORACLE_URL", required=True,
                          help="The oracle service's URL (or $DISFRUTA_ORACLE_URL).")


@onboard.command("kyc")
@ORACLE_URL
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), required=True,
              help="JSON: the profile fields (first_name, last_name, date_of_birth, ...), optionally with "
                   "\"documents\".")
@click.option("--roles", type=ROLES, required=True, help="lender, borrower or both.")
@click.option("--document", "documents", multiple=True, metavar="KIND:FILE",
              help="A document (passport, national_id, driving_licence, proof_of_address, bank_statement); only "
                   "its SHA-256 is sent. Repeatable.")
@pass_ctx
def onboard_kyc(ctx: Context, oracle_url: str, profile: str, roles: str, documents: tuple[str, ...]) -> None:
    """Sign in to the oracle with your wallet (EIP-4361) and submit your KYC for an operator's review."""
    data = _read_json(profile, "--profile")
    if not isinstance(data, dict):
        raise BadParameter(f"{profile} must hold a JSON object", param_hint="'--profile'")
    docs = list(data.pop("documents", []))
    for spec in documents:
        kind, sep, file = spec.partition(":")
        if not sep or not kind or not file:
            raise BadParameter(f"expected KIND:FILE, got {spec!r}", param_hint="'--document'")
        try:
            digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        except OSError as exc:
            raise BadParameter(f"cannot read {file}: {exc.strerror}", param_hint="'--document'") from None
        docs.append({"kind": kind, "sha256": digest})
    if not docs:
        raise UsageError("give at least one --document KIND:FILE (or \"documents\" in the profile)")
    role_list = ["borrower", "lender"] if roles.lower() == "both" else [roles.lower()]
    oracle, session, client = _oracle_session(ctx, oracle_url)
    try:
        status = oracle.submit_kyc(session, role_list, data, docs)
    finally:
        oracle.close()
    ctx.emit(status, lambda: click.echo(f"KYC of {client.address} submitted ({status['kyc_status']}): once an "
                                        "operator approves it, run `disfruta onboard attest`"))


@onboard.command("attest")
@ORACLE_URL
@pass_ctx
def onboard_attest(ctx: Context, oracle_url: str) -> None:
    """Fetch your signed KYC attestation (after an operator approved) and submit it on chain."""
    from disfruta.models import fmt_time

    oracle, session, client = _oracle_session(ctx, oracle_url)
    try:
        kyc = oracle.kyc_attestation(session, nonce=client.registry.nonces(client.address).kyc)
    finally:
        oracle.close()
    receipt = client.registry.submit_attestations(kyc.attestation, kyc.signature, kyc.signer)
    att = kyc.attestation
    ctx.done(receipt, f"verified {client.address} as {_roles(att.roles)} until {fmt_time(att.valid_until)} "
                      f"(attested by {kyc.signer})", address=client.address, roles=att.roles,
             valid_until=att.valid_until, signer=kyc.signer)


@onboard.command("assess")
@ORACLE_URL
@click.option("--applicant", type=click.Path(exists=True, dir_okay=False), required=True,
              help="JSON: the credit application (see the oracle's /docs, AssessmentIn.applicant).")
@click.option("--transactions", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON list: bank history for the cash-flow features.")
@pass_ctx
def onboard_assess(ctx: Context, oracle_url: str, applicant: str, transactions: str | None) -> None:
    """Get your credit assessment from the oracle and put its signed grade on chain."""
    oracle, session, client = _oracle_session(ctx, oracle_url)
    try:
        result = oracle.assess(session, _read_json(applicant, "--applicant"),
                               _read_json(transactions, "--transactions") if transactions else None,
                               nonce=client.registry.nonces(client.address).credit)
    finally:
        oracle.close()
    reasons = [r.get("text", r.get("code", "")) for r in result.reasons]
    summary = {"decision": result.decision, "score": result.score, "grade": result.grade,
               "borrow_limit": result.borrow_limit, "probability_of_default": result.probability_of_default,
               "reasons": reasons, "model_version": result.model_version}
    if result.credit is None:
        ctx.emit(summary, lambda: click.echo(f"declined (score {result.score}): " + "; ".join(reasons)))
        return
    receipt = client.registry.submit_attestations(None, None, result.credit.signer, result.credit.attestation,
                                                  result.credit.signature)
    ctx.done(receipt, f"graded {result.grade} (score {result.score}), borrow limit "
                      f"{ctx.tokens(result.borrow_limit)}; on chain for {client.address}"
                      + (f"; main factors: {'; '.join(reasons)}" if reasons else ""), **summary)
