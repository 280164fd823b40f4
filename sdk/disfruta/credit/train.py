"""Training the scorecard: optimal binning (optbinning) → weight of evidence → logistic regression (scikit-learn).

1. Split the 1,000 applicants into train and held-out test sets, stratified on the outcome (seeded). Only
   ``MODEL_FEATURES`` are read: sex, marital status and foreign-worker status never reach training, and age is
   dropped here (it is asked, and measured, but not scored).
2. Bin every feature on the training set with optbinning (monotonic event rate for numeric features) and keep
   those with information value ≥ ``MIN_IV``.
3. Fit a logistic regression on the bins' weights of evidence, its L2 strength chosen by 5-fold cross-validated
   AUC on the training set only.
4. Turn each bin into points: a bin adds ``−coef × WoE`` to the log-odds of a good credit; the points are that,
   shifted so each feature's worst bin earns ``300 / n`` and scaled so the best possible applicant scores 850 and
   the worst 300 (optbinning's "min_max" scaling). The score stays linear in the log-odds.
5. Recalibrate P(default) on the training set alone: steps 2–4 are rerun on 4/5 of it and score the other 1/5
   (5 folds), and a logistic fit of the outcome on those out-of-fold log-odds (Platt scaling) gives the score's
   final reading as P(default). The weights of evidence are fitted on the very rows they then encode, so the
   in-sample log-odds are too extreme (over the repeated splits: calibration slope 0.858 before, 0.975 after); only the
   score → P(default) line moves, not the points or the ranking.
6. The decline cut-off is the score where P(bad) = ``cutoff_pd``; the 25 grade bands are quantiles of the
   approved training scores.
7. Measure the *exported* card (the arithmetic the service runs) on the held-out set: AUC, Gini = 2·AUC − 1, KS.
8. The model card: the same recipe (1–6, binning and C fitted on the training part only) on ``repeats`` more
   stratified splits, seeds 1000, 1001, …: their held-out AUCs (mean, sd, min, max), and, pooled over their held-out
   parts, P(default) against the observed bad rate per grade letter, the Brier score (before and after step 5), and
   approval and bad rates by sex and age band with the four-fifths ratio. Nothing is tuned on any held-out part.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from disfruta.credit.data import AGE_BANDS, DATA_SOURCE, load_german_credit, load_groups
from disfruta.credit.features import CATEGORICAL, MEASURED_ONLY, MODEL_FEATURES
from disfruta.credit.scorecard import MAX_SCORE, MIN_SCORE, FeaturePoints, Scorecard

MIN_IV = 0.02
CV_FOLDS = 5
REPEAT_SEED_BASE = 1000  # the model card's splits use seeds 1000, 1001, … (none is skipped)
LETTERS = ("A", "B", "C", "D", "E", "declined")


@dataclass(frozen=True)
class TrainingConfig:
    test_size: float = 0.3
    seed: int = 7
    cutoff_pd: float = 0.5
    version_prefix: str = "german-credit-scorecard-2"
    repeats: int = 20  # repeated stratified splits measured for the model card (0: none)


@dataclass(frozen=True)
class _Fit:
    """Steps 2–4 on one training set: the points and the model's own (uncalibrated) score → log-odds line."""

    features: tuple[FeaturePoints, ...]
    factor: float
    offset: float
    c: float
    intercept: float
    selected: list[str]
    auc_unscaled: Any  # callable: held-out frame, outcomes → the unscaled model's AUC

    def card(self, offset: float | None = None, factor: float | None = None) -> Scorecard:
        return Scorecard("unversioned", self.features, factor or self.factor,
                         self.offset if offset is None else offset, 0, (0,) * 25, {}, {})


def _feature_points(name: str, optb: Any, coef: float) -> tuple[FeaturePoints, list[float], list[Any]]:
    """Raw log-odds contributions (``−coef × WoE``) per bin of one fitted optbinning variable."""
    import numpy as np

    if name in CATEGORICAL:
        codes = sorted(CATEGORICAL[name][1])
        woe = optb.transform(np.array(codes, dtype=object), metric="woe")
        raw = [-coef * float(w) for w in woe]
        return FeaturePoints(name, "categorical", category_points=dict(zip(codes, raw))), raw, codes
    edges = [float(s) for s in optb.splits]
    representatives = [edges[0] - 1.0, *edges] if edges else [0.0]
    woe = optb.transform(np.array(representatives, dtype=float), metric="woe")
    raw = [-coef * float(w) for w in woe]
    return FeaturePoints(name, "numeric", edges=tuple(edges), points=tuple(raw)), raw, representatives


def _scaled(fp: FeaturePoints, shift: float, scale: float, base: float) -> FeaturePoints:
    def pts(raw: float) -> float:
        return round(base + scale * (raw - shift), 4)

    if fp.kind == "numeric":
        return FeaturePoints(fp.name, "numeric", edges=fp.edges, points=tuple(pts(r) for r in fp.points))
    return FeaturePoints(fp.name, "categorical", category_points={k: pts(v) for k, v in fp.category_points.items()})


def _grade_bounds(approved_scores: Any, cutoff: int) -> tuple[int, ...]:
    import numpy as np

    bounds = [int(math.ceil(np.quantile(approved_scores, 1 - k / 25))) for k in range(1, 25)] + [cutoff]
    for i in range(len(bounds) - 2, -1, -1):  # non-increasing, and never below the cut-off
        bounds[i] = max(bounds[i], bounds[i + 1])
    return tuple(bounds)


def _ks(y: Any, scores: Any) -> float:
    import numpy as np
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, -np.asarray(scores))
    return float(np.max(tpr - fpr))


def _scores(card: Scorecard, X: Any) -> Any:
    import numpy as np

    return np.array([card.score(r) for r in X.to_dict("records")])


def _fit_points(X_tr: Any, y_tr: Any, seed: int) -> _Fit:
    """Steps 2–4: binning, the CV-chosen logistic regression and the points, on ``X_tr`` alone."""
    import numpy as np
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    numeric = [c for c in X_tr.columns if c not in CATEGORICAL]
    process = BinningProcess(
        variable_names=list(X_tr.columns),
        categorical_variables=[c for c in X_tr.columns if c in CATEGORICAL],
        selection_criteria={"iv": {"min": MIN_IV}},
        binning_fit_params={c: {"monotonic_trend": "auto_asc_desc"} for c in numeric},
    )
    process.fit(X_tr, np.asarray(y_tr))
    selected = [str(n) for n in process.get_support(names=True)]
    W_tr = process.transform(X_tr, metric="woe")[selected]
    model = LogisticRegressionCV(
        Cs=np.logspace(-3, 2, 16).tolist(),
        cv=StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed),
        scoring="roc_auc",
        max_iter=5000,
    )
    model.fit(W_tr.to_numpy(), np.asarray(y_tr))
    coefs = dict(zip(selected, model.coef_[0]))
    intercept = float(model.intercept_[0])

    raw_features = [_feature_points(n, process.get_binned_variable(n), float(coefs[n])) for n in selected]
    mins = [min(raw) for _, raw, _ in raw_features]
    spread = sum(max(raw) - lo for (_, raw, _), lo in zip(raw_features, mins))
    factor = (MAX_SCORE - MIN_SCORE) / spread
    base = MIN_SCORE / len(selected)
    features = tuple(_scaled(fp, lo, factor, base) for (fp, _, _), lo in zip(raw_features, mins))
    # score = 300 + factor·(Σ raw − Σ min) and Σ raw = ln-odds(good) + intercept, hence:
    offset = MIN_SCORE + factor * (intercept - sum(mins))

    def auc_unscaled(X_te: Any, y_te: Any) -> float:
        W_te = process.transform(X_te, metric="woe")[selected].to_numpy()
        return float(roc_auc_score(y_te, model.predict_proba(W_te)[:, 1]))

    return _Fit(features, factor, offset, float(model.C_[0]), intercept, selected, auc_unscaled)


def _recalibration(X_tr: Any, y_tr: Any, seed: int) -> tuple[float, float]:
    """Step 5: Platt scaling on out-of-fold log-odds of the training set; returns ``(a, b)`` of
    ``ln-odds(bad) = a + b × (the model's own ln-odds(bad))``."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y_tr)
    oof = np.empty(len(y))
    for fit_idx, out_idx in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(X_tr, y):
        sub = _fit_points(X_tr.iloc[fit_idx], y[fit_idx], seed)
        oof[out_idx] = -(_scores(sub.card(), X_tr.iloc[out_idx]) - sub.offset) / sub.factor
    platt = LogisticRegression(C=np.inf).fit(oof.reshape(-1, 1), y)
    return float(platt.intercept_[0]), float(platt.coef_[0][0])


def fit_card(X_tr: Any, y_tr: Any, seed: int, cutoff_pd: float) -> tuple[Scorecard, dict[str, Any], _Fit]:
    """Steps 2–6 on one training set (nothing else is read): the unversioned card, its training facts, the fit."""
    import numpy as np

    fit = _fit_points(X_tr, y_tr, seed)
    a, b = _recalibration(X_tr, y_tr, seed)
    # (score − offset') / factor' = b·(score − offset) / factor − a: the calibrated ln-odds(good).
    factor, offset = fit.factor / b, fit.offset + a * fit.factor / b
    cutoff = int(math.ceil(offset + factor * math.log((1 - cutoff_pd) / cutoff_pd)))
    scores_tr = _scores(fit.card(), X_tr)
    bounds = _grade_bounds(np.rint(scores_tr[scores_tr >= cutoff]), cutoff)
    card = Scorecard("unversioned", fit.features, round(factor, 6), round(offset, 4), cutoff, bounds, {}, {})
    training = {
        "c": fit.c,
        "intercept": round(fit.intercept, 6),
        "recalibration": {"method": f"Platt scaling on {CV_FOLDS}-fold out-of-fold log-odds of the training set",
                          "a": round(a, 6), "b": round(b, 6),
                          "uncalibrated_factor": round(fit.factor, 6), "uncalibrated_offset": round(fit.offset, 4)},
    }
    return card, training, fit


def _split(X: Any, y: Any, test_size: float, seed: int) -> tuple[Any, Any, Any, Any]:
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)  # type: ignore[no-any-return]


def _letter(score: float, bounds: Sequence[int]) -> str:
    from disfruta.credit.grading import grade_for

    grade = grade_for(int(score), bounds)
    return grade.letter if grade else "declined"


def train_scorecard(config: TrainingConfig = TrainingConfig()) -> Scorecard:
    """Fits, scales, recalibrates and measures a scorecard, and measures its recipe on ``config.repeats`` more
    splits (the model card); returns it with those metrics (nothing is written)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    X_all, y = load_german_credit()
    X = X_all[list(MODEL_FEATURES)]
    X_tr, X_te, y_tr, y_te = _split(X, y, config.test_size, config.seed)
    card, fitted, fit = fit_card(X_tr, y_tr, config.seed, config.cutoff_pd)
    scores_tr, scores_te = _scores(card, X_tr), _scores(card, X_te)
    auc = float(roc_auc_score(y_te, -scores_te))
    metrics: dict[str, Any] = {
        "auc_test": round(auc, 4),
        "gini_test": round(2 * auc - 1, 4),
        "ks_test": round(_ks(y_te, scores_te), 4),
        "auc_train": round(float(roc_auc_score(y_tr, -scores_tr)), 4),
        "auc_test_unscaled_model": round(fit.auc_unscaled(X_te, y_te), 4),
        "decline_rate_test": round(float(np.mean(np.rint(scores_te) < card.cutoff_score)), 4),
        "bad_rate_by_letter_test": _letter_table(np.rint(scores_te), y_te.to_numpy(), card.grade_bounds),
    }
    if config.repeats:
        metrics.update(model_card(X, y, config))
    training = {
        "data": DATA_SOURCE,
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "test_size": config.test_size,
        "seed": config.seed,
        "cutoff_pd": config.cutoff_pd,
        "min_iv": MIN_IV,
        **fitted,
        "selected_features": fit.selected,
        "dropped_features": sorted(set(X.columns) - set(fit.selected)),
        "not_scored": sorted(MEASURED_ONLY),
    }
    digest = hashlib.sha256(json.dumps([f.to_json() for f in card.features], sort_keys=True).encode()).hexdigest()
    return replace(card, version=f"{config.version_prefix}+{digest[:12]}", metrics=metrics, training=training)


def model_card(X: Any, y: Any, config: TrainingConfig) -> dict[str, Any]:
    """Step 8: the recipe on ``config.repeats`` stratified splits (seeds ``REPEAT_SEED_BASE + i``), each card fitted
    on its training part only and measured on its held-out part; calibration and fairness pool the held-out parts."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    groups = load_groups()
    seeds = [REPEAT_SEED_BASE + i for i in range(config.repeats)]
    aucs: list[float] = []
    letters: list[str] = []
    pd_before: list[float] = []
    pd_after: list[float] = []
    bad: list[int] = []
    sex: list[str] = []
    age: list[str] = []
    for seed in seeds:
        X_tr, X_te, y_tr, y_te = _split(X, y, config.test_size, seed)
        card, fitted, _ = fit_card(X_tr, y_tr, seed, config.cutoff_pd)
        raw = _scores(card, X_te)
        aucs.append(float(roc_auc_score(y_te, -raw)))
        before = replace(card, factor=fitted["recalibration"]["uncalibrated_factor"],
                         offset=fitted["recalibration"]["uncalibrated_offset"])
        for score in np.rint(raw):  # the service grades and reads P(default) at the rounded score
            letters.append(_letter(score, card.grade_bounds))
            pd_after.append(card.probability_of_default(score))
            pd_before.append(before.probability_of_default(score))
        bad.extend(int(v) for v in y_te)
        sex.extend(groups.loc[X_te.index, "sex"])
        age.extend(groups.loc[X_te.index, "age_band"])
    approved = [letter != "declined" for letter in letters]
    return {
        "repeated_splits": {
            "n_splits": len(seeds), "seeds": seeds, "test_size": config.test_size,
            "auc_mean": round(float(np.mean(aucs)), 4), "auc_sd": round(float(np.std(aucs, ddof=1)), 4),
            "auc_min": round(min(aucs), 4), "auc_max": round(max(aucs), 4),
            "auc_by_seed": {str(s): round(a, 4) for s, a in zip(seeds, aucs)},
        },
        "calibration": {
            "pooled_over": f"the held-out parts of the {len(seeds)} repeated splits ({len(bad)} predictions)",
            "brier_before": round(brier(pd_before, bad), 4),
            "brier_after": round(brier(pd_after, bad), 4),
            "slope_before": round(calibration_slope(pd_before, bad), 4),
            "slope_after": round(calibration_slope(pd_after, bad), 4),
            "by_letter": calibration_table(letters, pd_before, pd_after, bad),
        },
        "fairness": {
            "pooled_over": f"the held-out parts of the {len(seeds)} repeated splits ({len(bad)} decisions)",
            "sex": fairness_table(sex, approved, bad, order=("female", "male")),
            "age_band": fairness_table(age, approved, bad, order=tuple(label for label, _ in AGE_BANDS)),
        },
    }


def brier(p: Sequence[float], y: Sequence[int]) -> float:
    """Mean squared error of the predicted P(default) against the outcomes (0 = good, 1 = bad)."""
    return sum((pi - yi) ** 2 for pi, yi in zip(p, y, strict=True)) / len(y)


def calibration_slope(p: Sequence[float], y: Sequence[int]) -> float:
    """The slope of a logistic fit of the outcomes on the predicted ln-odds: 1 when calibrated, below 1 when the
    predictions are too extreme."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    q = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    fit = LogisticRegression(C=np.inf).fit(np.log(q / (1 - q)).reshape(-1, 1), np.asarray(y))
    return float(fit.coef_[0][0])


def calibration_table(letters: Sequence[str], pd_before: Sequence[float], pd_after: Sequence[float],
                      y: Sequence[int]) -> dict[str, dict[str, float]]:
    """Per grade letter (and declined): n, the observed bad rate and the mean predicted P(default) before and after
    recalibration."""
    rows: dict[str, list[tuple[float, float, int]]] = {}
    for letter, before, after, bad in zip(letters, pd_before, pd_after, y, strict=True):
        rows.setdefault(letter, []).append((before, after, bad))
    table = {}
    for letter in sorted(rows, key=lambda k: LETTERS.index(k) if k in LETTERS else len(LETTERS)):
        r = rows[letter]
        table[letter] = {"n": len(r), "bad_rate": round(sum(b for *_, b in r) / len(r), 4),
                         "pd_before": round(sum(p for p, _, _ in r) / len(r), 4),
                         "pd_after": round(sum(p for _, p, _ in r) / len(r), 4)}
    return table


def fairness_table(groups: Sequence[str], approved: Sequence[bool], y: Sequence[int],
                   order: Sequence[str] = ()) -> dict[str, Any]:
    """Per group: n, approval rate, bad rate of all and of the approved; and the four-fifths ratio, the lowest
    group approval rate over the highest (below 0.8 is the usual flag for adverse impact)."""
    rows: dict[str, list[tuple[bool, int]]] = {}
    for group, ok, bad in zip(groups, approved, y, strict=True):
        rows.setdefault(group, []).append((bool(ok), int(bad)))
    table: dict[str, dict[str, float]] = {}
    for group in [*[g for g in order if g in rows], *sorted(set(rows) - set(order))]:
        r = rows[group]
        kept = [bad for ok, bad in r if ok]
        table[group] = {"n": len(r), "approval_rate": round(len(kept) / len(r), 4),
                        "bad_rate": round(sum(bad for _, bad in r) / len(r), 4),
                        "bad_rate_approved": round(sum(kept) / len(kept), 4) if kept else 0.0}
    rates = [len([1 for ok, _ in r if ok]) / len(r) for r in rows.values()]
    return {"groups": table, "four_fifths_ratio": round(min(rates) / max(rates), 4) if max(rates) else 0.0}


def _letter_table(scores: Any, y: Any, bounds: tuple[int, ...]) -> dict[str, dict[str, float]]:
    """Held-out applicants and bad rate per grade letter (and declined): the grades must rank risk."""
    table: dict[str, list[int]] = {}
    for score, bad in zip(scores, y):
        table.setdefault(_letter(score, bounds), []).append(int(bad))
    return {k: {"n": len(v), "bad_rate": round(sum(v) / len(v), 4)} for k, v in sorted(table.items())}
