"""Credit assessment: score a KYC-approved borrower, store the decision, sign a credit attestation if approved."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from disfruta.attestations import CreditAttestation, Role
from disfruta.credit import Assessment, assess
from disfruta.credit.assessment import TOP_REASONS
from disfruta.credit.scorecard import Reason, Scorecard
from disfruta.oracle import audit, metrics, signing
from disfruta.oracle.chain import ChainError
from disfruta.oracle.context import OracleContext
from disfruta.oracle.errors import ApiError, conflict, not_found
from disfruta.oracle.kyc import get_user
from disfruta.oracle.models import CreditAssessment, new_id
from disfruta.oracle.schemas import AssessmentIn, AssessmentOut, ReasonOut, SignedAttestationOut


def _factors(result: Assessment) -> dict[str, object]:
    return {
        "base_score": result.base_score,
        "probability_of_default": result.probability_of_default,
        "borrow_limit": str(result.borrow_limit),
        "reasons": [asdict(r) for r in result.reasons],
        "cashflow_adjustment": result.cashflow.total if result.cashflow else 0,
        "cashflow_features": asdict(result.cashflow.features) if result.cashflow else None,
    }


def _out(row: CreditAssessment, attestation: SignedAttestationOut | None) -> AssessmentOut:
    f = row.assessment_factors
    return AssessmentOut(
        id=row.id, decision=row.decision, score=row.credit_score, base_score=f["base_score"],  # type: ignore[arg-type]
        cashflow_adjustment=f["cashflow_adjustment"], cashflow_features=f["cashflow_features"],
        probability_of_default=f["probability_of_default"], grade=row.risk_grade, borrow_limit=f["borrow_limit"],
        reasons=[ReasonOut(**r) for r in f["reasons"]], model_version=row.model_version,
        created_at=row.created_at, expires_at=row.expires_at, attestation=attestation,
    )


def assess_and_sign(ctx: OracleContext, db: Session, wallet: str, payload: AssessmentIn,
                    scorecard: Scorecard) -> AssessmentOut:
    user = get_user(db, wallet)
    if user.kyc_status != "approved":
        raise conflict(f"KYC of {wallet} is {user.kyc_status}; credit is assessed for approved users only")
    if not user.roles & Role.BORROWER:
        raise conflict(f"{wallet} is not KYC-approved as a borrower")
    nonce = signing.resolve_nonce(ctx, wallet, "credit", payload.nonce)  # before scoring: fail fast
    try:
        result = assess(payload.applicant, payload.transactions, scorecard=scorecard,
                        token_decimals=ctx.settings.token_decimals)
    except ValueError as exc:  # the transaction history can't support the cash-flow features
        raise ApiError(422, f"transactions: {exc}") from None
    result = _with_default_record(ctx, wallet, result)
    now = ctx.now()
    expires = now + timedelta(days=ctx.settings.credit_validity_days)
    signed = None
    if result.grade is not None:  # signed before anything is written (see signing.sign)
        at = ctx.attestation_now()
        signed = signing.sign(ctx, CreditAttestation(
            user=wallet, grade=int(result.grade), borrow_limit=result.borrow_limit,
            valid_until=at + int(timedelta(days=ctx.settings.credit_validity_days).total_seconds()), nonce=nonce,
            deadline=at + ctx.settings.attestation_deadline_seconds,
        ))
    row = CreditAssessment(
        id=new_id(), user_id=user.id, credit_score=result.score,
        risk_grade=result.grade.name if result.grade else None, decision="approved" if result.approved else "declined", assessment_factors=_factors(result),
        model_version=result.model_version, created_at=now, expires_at=expires,
    )
    db.add(row)  # written with the rest at commit: one flush, the inserts batched
    metrics.assessed(row.decision, row.risk_grade)
    audit.record(db, wallet, f"credit.{row.decision}", wallet, assessment=row.id, score=result.score,
                 grade=row.risk_grade, model=result.model_version,
                 reasons=[r.code for r in result.reasons])
    attestation = signing.record(db, user, "credit", signed, wallet) if signed is not None else None
    return _out(row, attestation)


DEFAULT_REASON = "recorded_default"


def _with_default_record(ctx: OracleContext, wallet: str, result: Assessment) -> Assessment:
    """Declines a borrower the registry has recorded a default against (the loan factory records each one), with
    that as the first reason. The score is kept for the record; no grade, no limit, no attestation."""
    if ctx.registry is None:
        return result
    try:
        record = ctx.registry.default_record(wallet)
    except ChainError as exc:
        raise ApiError(503, str(exc)) from None
    if record.defaults == 0:
        return result
    when = datetime.fromtimestamp(record.last_default_at, tz=timezone.utc).date().isoformat()
    reason = Reason(DEFAULT_REASON, f"a loan of this borrower is recorded in default on chain ({record.defaults} "
                                    f"recorded, the last on {when})", 0.0)
    return replace(result, grade=None, borrow_limit=0, reasons=(reason, *result.reasons[:TOP_REASONS - 1]))


def latest(db: Session, wallet: str) -> AssessmentOut:
    user = get_user(db, wallet)
    row = db.scalar(select(CreditAssessment).where(CreditAssessment.user_id == user.id)
                    .order_by(CreditAssessment.created_at.desc(), CreditAssessment.id).limit(1))
    if row is None:
        raise not_found(f"no credit assessment for {wallet}")
    return _out(row, None)
