"""The scorecard artifact, scoring, grades, limits and reason codes (pure: no database, no chain)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from disfruta.credit import Applicant, assess, load_scorecard
from disfruta.credit.cli import credit_group
from disfruta.credit.data import load_german_credit
from disfruta.credit.features import EXCLUDED_COLUMNS, FEATURE_NAMES, MEASURED_ONLY, MODEL_FEATURES
from disfruta.credit.grading import GRADE_LIMITS, borrow_limit, grade_for
from disfruta.credit.scorecard import Scorecard, default_artifact_path
from disfruta.credit.train import (
    REPEAT_SEED_BASE,
    brier,
    calibration_slope,
    calibration_table,
    fairness_table,
    fit_card,
)
from disfruta.grades import Grade

from .helpers import APPLICANT, RISKY_APPLICANT


@pytest.fixture(scope="module")
def card() -> Scorecard:
    return load_scorecard()


def test_artifact__shipped__small_versioned_and_measured(card):
    path = default_artifact_path()
    assert path.stat().st_size < 2_000_000
    assert card.version.startswith("german-credit-scorecard-2+")
    # Literature puts logistic scorecards on this data at about 0.78-0.80 held-out AUC.
    assert 0.75 <= card.metrics["auc_test"] <= 0.85
    assert card.metrics["gini_test"] == pytest.approx(2 * card.metrics["auc_test"] - 1, abs=1e-3)
    assert card.training["n_train"] + card.training["n_test"] == 1000


def test_load_german_credit__protected_columns__never_reach_the_model():
    X, y = load_german_credit()
    assert set(X.columns) == set(FEATURE_NAMES)
    assert not set(EXCLUDED_COLUMNS) & set(X.columns)
    assert (len(X), int(y.sum())) == (1000, 300)


def test_age__asked_but_never_scored(card):
    """Age is only measured (fairness by age band): training drops it, so no age changes any score."""
    assert "age_years" in FEATURE_NAMES and "age_years" in MEASURED_ONLY and "age_years" not in MODEL_FEATURES
    assert "age_years" not in card.training["selected_features"] + card.training["dropped_features"]
    assert card.training["not_scored"] == ["age_years"]
    assert {card.score({**RISKY_APPLICANT, "age_years": age}) for age in range(18, 121)} == \
        {card.score(RISKY_APPLICANT)}
    assert len({assess(Applicant(**{**APPLICANT, "age_years": age})).grade for age in (18, 24, 40, 75)}) == 1


def test_scorecard__artifact_scoring_age__refused():
    data = load_scorecard().to_json()
    data["features"].append({"name": "age_years", "kind": "numeric", "edges": [25.0], "points": [0.0, 10.0]})
    with pytest.raises(ValueError, match="age_years.*never scored"):
        Scorecard.from_json(data)


def test_score__every_applicant_of_the_data__within_300_to_850(card):
    X, _ = load_german_credit()
    scores = [card.score(r) for r in X.to_dict("records")]
    assert 300 <= min(scores) and max(scores) <= 850


def test_score__held_out_auc__matches_the_artifact(card):
    """Re-measures the shipped card on the seeded held-out split: the README's AUC is what the code computes."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    X, y = load_german_credit()
    _, X_te, _, y_te = train_test_split(X, y, test_size=card.training["test_size"], stratify=y,
                                        random_state=card.training["seed"])
    auc = roc_auc_score(y_te, [-card.score(r) for r in X_te.to_dict("records")])
    assert auc == pytest.approx(card.metrics["auc_test"], abs=5e-4)


def test_probability_of_default__at_cutoff__is_the_training_cutoff_pd(card):
    assert card.probability_of_default(card.cutoff_score) == pytest.approx(card.training["cutoff_pd"], abs=0.02)
    assert card.probability_of_default(800) < card.probability_of_default(500)


def test_grade_for__bands__best_grade_at_top_and_declined_below_cutoff(card):
    bounds = card.grade_bounds
    assert grade_for(850, bounds) == Grade.A1
    assert grade_for(card.cutoff_score, bounds) is not None  # the cut-off itself is approved
    assert grade_for(card.cutoff_score - 1, bounds) is None
    grades = [grade_for(s, bounds) for s in range(card.cutoff_score, 851)]
    assert [g.value for g in grades] == sorted((g.value for g in grades), reverse=True)  # never better lower down


def test_borrow_limit__by_grade__falls_from_50000_to_2000_usdc():
    assert GRADE_LIMITS[0] == 50_000 and GRADE_LIMITS[-1] == 2_000
    assert all(a > b for a, b in zip(GRADE_LIMITS, GRADE_LIMITS[1:]))
    assert borrow_limit(Grade.B3, 6) == GRADE_LIMITS[7] * 10**6


def test_assess__good_applicant__approved_with_grade_limit_and_its_reasons(card):
    result = assess(Applicant(**APPLICANT))
    assert result.approved and result.grade is not None
    assert result.score == round(card.score(APPLICANT))
    assert result.borrow_limit == borrow_limit(result.grade, 6)
    # Every feature that lost points is a reason, the four biggest at most (this applicant loses on three).
    points, best = card.points(APPLICANT), {f.name: f.max_points for f in card.features}
    losing = [n for n in points if round(best[n] - points[n], 2) > 0]
    assert len(result.reasons) == min(4, len(losing)) and {r.code for r in result.reasons} <= set(losing)
    lost = [r.points_lost for r in result.reasons]
    assert lost == sorted(lost, reverse=True) and lost[-1] > 0


def test_assess__risky_applicant__declined_with_the_biggest_losses_as_reasons(card):
    result = assess(Applicant(**RISKY_APPLICANT))
    assert not result.approved
    assert (result.grade, result.borrow_limit) == (None, 0)
    assert result.score < card.cutoff_score
    # The reasons are exactly the four features that lost the most points against their best attribute.
    points = card.points(RISKY_APPLICANT)
    best = {f.name: f.max_points for f in card.features}
    expected = sorted(points, key=lambda n: -(best[n] - points[n]))[:4]
    assert [r.code for r in result.reasons] == expected
    assert "checking_account" in expected


def test_points__unscored_features__do_not_change_the_score(card):
    dropped = card.training["dropped_features"]
    assert dropped, "the IV filter drops weak features"
    changed = dict(APPLICANT, **{n: v for n, v in (("telephone", "none"), ("dependents", 2)) if n in dropped})
    assert card.score(changed) == card.score(APPLICANT)


def test_applicant__unknown_code__rejected_naming_the_field():
    with pytest.raises(ValueError, match="checking_account"):
        Applicant(**{**APPLICANT, "checking_account": "lots"})


def test_scorecard__corrupt_bands__refused():
    data = load_scorecard().to_json()
    data["grade_bounds"] = list(reversed(data["grade_bounds"]))
    with pytest.raises(ValueError, match="non-increasing"):
        Scorecard.from_json(data)


@pytest.mark.slow
def test_credit_train__cli__rebuilds_the_shipped_artifact_and_its_model_card(tmp_path):
    """The whole recipe again (the shipped split and the 20 repeated ones, about 2.5 minutes on one core): the
    artifact, and every model-card figure the README and ``/credit/model`` show, come out identical."""
    out = tmp_path / "card.json"
    result = CliRunner().invoke(credit_group, ["train", "--output", str(out)])
    assert result.exit_code == 0, result.output
    shipped = json.loads(default_artifact_path().read_text())
    rebuilt = json.loads(out.read_text())
    assert rebuilt["version"] == shipped["version"]  # deterministic: same data, seeds and libraries
    assert rebuilt == shipped
    m = rebuilt["metrics"]
    assert f"held-out   AUC {m['auc_test']:.4f}   Gini {m['gini_test']:.4f}" in result.output
    rs = m["repeated_splits"]
    assert f"held-out AUC {rs['auc_mean']:.4f} ± {rs['auc_sd']:.4f} (sd)" in result.output
    assert f"four-fifths ratio (lowest approval rate / highest) {m['fairness']['sex']['four_fifths_ratio']:.3f}" \
        in result.output
    table = json.loads((tmp_path / "default_probability.json").read_text())  # the PDs the SDK core reads
    assert table["model"] == rebuilt["version"] and len(table["annual_default_probability"]) == 25


def test_model_card__first_repeated_split__reproduced_from_the_recipe(card):
    """One of the card's repeated splits retrained from scratch (seconds, not minutes): the same recipe on the
    split's training part gives the held-out AUC the card records for that seed."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    rs = card.metrics["repeated_splits"]
    assert rs["seeds"] == list(range(REPEAT_SEED_BASE, REPEAT_SEED_BASE + rs["n_splits"])) and rs["n_splits"] >= 20
    X, y = load_german_credit()
    seed = rs["seeds"][0]
    X_tr, X_te, y_tr, y_te = train_test_split(X[list(MODEL_FEATURES)], y, test_size=rs["test_size"], stratify=y,
                                              random_state=seed)
    split_card, _, _ = fit_card(X_tr, y_tr, seed, card.training["cutoff_pd"])
    auc = roc_auc_score(y_te, [-split_card.score(r) for r in X_te.to_dict("records")])
    assert auc == pytest.approx(rs["auc_by_seed"][str(seed)], abs=5e-5)


def test_model_card__summaries__agree_with_the_per_split_figures(card):
    import statistics

    rs, cal, fair = card.metrics["repeated_splits"], card.metrics["calibration"], card.metrics["fairness"]
    aucs = list(rs["auc_by_seed"].values())
    assert len(aucs) == rs["n_splits"]
    assert rs["auc_mean"] == pytest.approx(statistics.mean(aucs), abs=1e-4)
    assert rs["auc_sd"] == pytest.approx(statistics.stdev(aucs), abs=1e-4)
    assert (rs["auc_min"], rs["auc_max"]) == (min(aucs), max(aucs))
    pooled = rs["n_splits"] * card.training["n_test"]  # every held-out decision, pooled
    assert sum(r["n"] for r in cal["by_letter"].values()) == pooled
    assert list(cal["by_letter"]) == ["A", "B", "C", "D", "E", "declined"]
    for attribute in ("sex", "age_band"):
        groups = fair[attribute]["groups"]
        assert sum(g["n"] for g in groups.values()) == pooled
        rates = [g["approval_rate"] for g in groups.values()]
        assert fair[attribute]["four_fifths_ratio"] == pytest.approx(min(rates) / max(rates), abs=1e-3)
    assert list(fair["age_band"]["groups"]) == ["18-24", "25-34", "35-49", "50+"]
    assert list(fair["sex"]["groups"]) == ["female", "male"]
    # The recalibration was fitted on training parts only and must not make the held-out predictions worse.
    assert cal["brier_after"] <= cal["brier_before"]


def test_fairness_table__hand_made__rates_and_four_fifths_ratio():
    groups = ["f", "f", "f", "f", "m", "m", "m", "m", "m"]
    approved = [True, True, False, False, True, True, True, True, False]
    bad = [1, 0, 1, 1, 0, 0, 1, 0, 1]
    table = fairness_table(groups, approved, bad, order=("m", "f"))
    assert list(table["groups"]) == ["m", "f"]
    assert table["groups"]["f"] == {"n": 4, "approval_rate": 0.5, "bad_rate": 0.75, "bad_rate_approved": 0.5}
    assert table["groups"]["m"] == {"n": 5, "approval_rate": 0.8, "bad_rate": 0.4, "bad_rate_approved": 0.25}
    assert table["four_fifths_ratio"] == 0.625  # 0.5 / 0.8: below 0.8, adverse impact on "f"


def test_calibration_table_and_brier__hand_made():
    letters = ["A", "declined", "A", "B", "declined"]
    before, after, bad = [0.1, 0.9, 0.3, 0.5, 0.7], [0.2, 0.8, 0.2, 0.4, 0.6], [0, 1, 1, 0, 0]
    table = calibration_table(letters, before, after, bad)
    assert list(table) == ["A", "B", "declined"]
    assert table["A"] == {"n": 2, "bad_rate": 0.5, "pd_before": 0.2, "pd_after": 0.2}
    assert table["declined"] == {"n": 2, "bad_rate": 0.5, "pd_before": 0.8, "pd_after": 0.7}
    assert brier(before, bad) == pytest.approx((0.01 + 0.01 + 0.49 + 0.25 + 0.49) / 5)
    assert brier([0.0, 1.0], [0, 1]) == 0.0


def test_calibration_slope__too_extreme_predictions__below_one():
    """Outcomes drawn from p, predictions that double p's log-odds: slope about 1/2; p itself: about 1."""
    import numpy as np

    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, 20_000)
    y = (rng.uniform(size=p.size) < p).astype(int).tolist()
    doubled = 1 / (1 + np.exp(-2 * np.log(p / (1 - p))))
    assert calibration_slope(p.tolist(), y) == pytest.approx(1.0, abs=0.05)
    assert calibration_slope(doubled.tolist(), y) == pytest.approx(0.5, abs=0.03)
