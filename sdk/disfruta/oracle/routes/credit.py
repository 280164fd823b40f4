"""``/credit``: assessments (scored, stored, signed) and the model's card; ``/signers``; ``/health``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from disfruta.credit.grading import GRADE_LIMITS
from disfruta.grades import Grade
from disfruta.oracle import assessments
from disfruta.oracle.chain import ChainError
from disfruta.oracle.context import OracleContext
from disfruta.oracle.deps import Bearer, Ctx, Db, Wallet, authenticate, require_wallet, transaction
from disfruta.oracle.errors import ApiError
from disfruta.oracle.keys import NoActiveSigner
from disfruta.oracle.routes import Responses
from disfruta.oracle.schemas import AssessmentIn, AssessmentOut, ModelOut, SignersOut

router = APIRouter(tags=["credit"])
AUTH: Responses = {401: {"description": "Missing or invalid access token"}, 403: {"description": "Wrong role"}}


@router.post("/credit/assessments", status_code=201, response_model=AssessmentOut,
             responses={**AUTH, 409: {"description": "KYC not approved as a borrower, or nonce mismatch"},
                        503: {"description": "Chain unreachable or no authorised signer"}})
async def create_assessment(body: AssessmentIn, ctx: Ctx, credentials: Bearer) -> Response:
    """Scores the caller (scorecard + optional cash-flow features); if approved, signs a credit attestation."""
    # The service's busiest route, so its blocking work (sign-in check, scoring, signing, one transaction) makes a
    # single trip to the thread pool, and the response, built from the model, is not validated again on the way out.
    out = await run_in_threadpool(_assess, ctx, credentials, body)
    return Response(out.model_dump_json(), status_code=201, media_type="application/json")


def _assess(ctx: OracleContext, credentials: HTTPAuthorizationCredentials, body: AssessmentIn) -> AssessmentOut:
    with transaction(ctx) as db:
        wallet = require_wallet(authenticate(ctx, db, credentials))
        return assessments.assess_and_sign(ctx, db, wallet, body, ctx.scorecard)


@router.get("/credit/assessments/latest", response_model=AssessmentOut, responses={**AUTH, 404: {}})
def latest_assessment(wallet: Wallet, db: Db) -> AssessmentOut:
    return assessments.latest(db, wallet)


@router.get("/credit/model", response_model=ModelOut)
def model(ctx: Ctx) -> ModelOut:
    """The scorecard in use and its model card: version, held-out quality on the shipped split and over repeated
    splits, calibration per grade letter, approval and bad rates by sex and age band, grade bands and limits."""
    card = ctx.scorecard
    m = card.metrics
    return ModelOut(
        version=card.version, auc_test=m["auc_test"], gini_test=m["gini_test"],
        ks_test=m["ks_test"], n_train=card.training["n_train"], n_test=card.training["n_test"],
        cutoff_score=card.cutoff_score,
        grade_bounds={Grade(i + 1).name: b for i, b in enumerate(card.grade_bounds)},
        grade_limits={Grade(i + 1).name: limit for i, limit in enumerate(GRADE_LIMITS)},
        not_scored=list(card.training.get("not_scored", [])),
        repeated_splits=m.get("repeated_splits"), calibration=m.get("calibration"), fairness=m.get("fairness"),
    )


@router.get("/signers", response_model=SignersOut, tags=["keys"])
def signers(ctx: Ctx) -> SignersOut:
    """The signing keys held (during a rotation, two) and the one in use."""
    check = ctx.registry.is_signer if ctx.registry else None
    try:
        active: str | None = ctx.signer.active(check).address
    except NoActiveSigner:
        active = None
    except ChainError as exc:
        raise ApiError(503, str(exc)) from None
    return SignersOut(addresses=ctx.signer.addresses, active=active, chain_connected=ctx.registry is not None)


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}
