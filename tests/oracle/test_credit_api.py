"""Credit assessment over HTTP: scored by the real scorecard, stored, signed when approved.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from disfruta.attestations import CreditAttestation, attestation_digest
from disfruta.credit import Applicant, assess
from disfruta.credit.grading import borrow_limit
from disfruta.grades import Grade
from eth_account import Account

from .helpers import APPLICANT, DOC, PROFILE, REGISTRY, RISKY_APPLICANT, history


def test_assess__approved_borrower__grade_limit_reasons_and_signed_attestation(client, approved_borrower,
                                                                              wallet_headers, service_key):
    response = client.post("/credit/assessments", headers=wallet_headers, json={"applicant": APPLICANT, "nonce": 0})
    assert response.status_code == 201
    body = response.json()
    expected = assess(Applicant(**APPLICANT))
    assert (body["decision"], body["score"], body["grade"]) == ("approved", expected.score, expected.grade.name)
    assert body["borrow_limit"] == str(borrow_limit(expected.grade, 6))
    assert [r["code"] for r in body["reasons"]] == [r.code for r in expected.reasons]
    m = body["attestation"]["message"]
    att = CreditAttestation(user=m["user"], grade=m["grade"], borrow_limit=m["borrowLimit"],
                            valid_until=m["validUntil"], nonce=m["nonce"], deadline=m["deadline"])
    assert (att.grade, att.borrow_limit, att.user) == (int(expected.grade), int(body["borrow_limit"]),
                                                       approved_borrower.address)
    digest = attestation_digest(att, 31337, REGISTRY)
    assert Account._recover_hash(digest, signature=bytes.fromhex(body["attestation"]["signature"][2:])) \
        == service_key.address
    latest = client.get("/credit/assessments/latest", headers=wallet_headers).json()
    assert (latest["id"], latest["score"], latest["attestation"]) == (body["id"], body["score"], None)


def test_assess__risky_applicant__declined_with_reasons_and_nothing_signed(client, approved_borrower,
                                                                          wallet_headers, operator_headers):
    response = client.post("/credit/assessments", headers=wallet_headers,
                           json={"applicant": RISKY_APPLICANT, "nonce": 0})
    assert response.status_code == 201
    body = response.json()
    assert (body["decision"], body["grade"], body["borrow_limit"], body["attestation"]) == \
        ("declined", None, "0", None)
    assert len(body["reasons"]) == 4 and body["reasons"][0]["points_lost"] > 0
    actions = [e["action"] for e in client.get("/audit", headers=operator_headers,
                                               params={"subject": approved_borrower.address}).json()]
    assert actions[0] == "credit.declined" and "attestation.credit_signed" not in actions


def test_assess__bank_history_with_overdrafts__score_lowered_by_the_cashflow_penalty(client, approved_borrower,
                                                                                    wallet_headers):
    txs = [t.model_dump(mode="json") for t in history(nsf_days=(10, 40, 70, 90))]
    response = client.post("/credit/assessments", headers=wallet_headers,
                           json={"applicant": APPLICANT, "transactions": txs, "nonce": 0})
    body = response.json()
    assert response.status_code == 201
    assert body["cashflow_features"]["overdraft_nsf_events"] == 4
    assert body["cashflow_adjustment"] == 20 - 35 + 10  # stable income, 3-5 events, rising balance
    assert body["score"] == body["base_score"] + body["cashflow_adjustment"]
    assert "overdraft_nsf" in [r["code"] for r in body["reasons"]]


def test_assess__too_short_bank_history__422_saying_why(client, approved_borrower, wallet_headers):
    txs = [t.model_dump(mode="json") for t in history()][:2]
    response = client.post("/credit/assessments", headers=wallet_headers,
                           json={"applicant": APPLICANT, "transactions": txs, "nonce": 0})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("transactions: the history must span at least 60 days")


def test_assess__kyc_not_approved__409(client, wallet_headers):
    response = client.post("/credit/assessments", headers=wallet_headers, json={"applicant": APPLICANT, "nonce": 0})
    assert response.status_code == 409
    assert "credit is assessed for approved users only" in response.json()["detail"]


def test_assess__lender_only__409(client, wallet, wallet_headers, operator_headers):
    client.post("/kyc/submission", headers=wallet_headers,
                json={"roles": ["lender"], "profile": PROFILE, "documents": [DOC]})
    client.post(f"/kyc/users/{wallet.address}/review", headers=operator_headers,
                json={"decision": "approve", "reason": "ok"})
    response = client.post("/credit/assessments", headers=wallet_headers, json={"applicant": APPLICANT, "nonce": 0})
    assert response.status_code == 409
    assert response.json()["detail"] == f"{wallet.address} is not KYC-approved as a borrower"


def test_assess__unknown_field__422(client, approved_borrower, wallet_headers):
    response = client.post("/credit/assessments", headers=wallet_headers,
                           json={"applicant": {**APPLICANT, "sex": "male"}, "nonce": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "applicant", "sex"]


def test_model__public_card__version_auc_bands(client):
    body = client.get("/credit/model").json()
    assert body["auc_test"] > 0.75
    assert list(body["grade_bounds"]) == [g.name for g in Grade]
    assert body["grade_bounds"]["E5"] == body["cutoff_score"]


def test_model__public_card__repeated_splits_calibration_and_fairness_from_the_artifact(client):
    """The model card is served from the artifact as trained (nothing is recomputed per request)."""
    from disfruta.credit import load_scorecard

    body, m = client.get("/credit/model").json(), load_scorecard().metrics
    rs = body["repeated_splits"]
    assert rs["n_splits"] >= 20 and len(rs["seeds"]) == rs["n_splits"]
    assert {k: rs[k] for k in ("auc_mean", "auc_sd", "auc_min", "auc_max")} == \
        {k: m["repeated_splits"][k] for k in ("auc_mean", "auc_sd", "auc_min", "auc_max")}
    assert body["calibration"]["by_letter"] == m["calibration"]["by_letter"]
    assert (body["calibration"]["brier_before"], body["calibration"]["brier_after"]) == \
        (m["calibration"]["brier_before"], m["calibration"]["brier_after"])
    assert body["fairness"]["sex"] == m["fairness"]["sex"] and body["fairness"]["age_band"] == m["fairness"]["age_band"]
    assert body["not_scored"] == ["age_years"]
