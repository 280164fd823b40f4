"""Training the scorecard: optimal binning (optbinning) → weight of evidence → logistic regression (scikit-learn).

1. Split the 1,000 applicants into train and held-out test sets, stratified on the outcome (seeded).
2. Bin every feature on the training set with optbinning (monotonic event rate for numeric features) and keep
   those with information value ≥ ``MIN_IV``.
3. Fit a logistic regression on the bins' weights of evidence, its L2 strength chosen by 5-fold cross-validated
   AUC on the training set only.
4. Turn each bin into points: a bin adds ``−coef × WoE`` to the log-odds of a good credit; the points are that,
   shifted so each feature's worst bin earns ``300 / n`` and scaled so the best possible applicant scores 850 and
   the worst 300 (optbinning's "min_max" scaling). The score stays linear in the log-odds.
5. The decline cut-off is the score where P(bad) = ``cutoff_pd``; the 25 grade bands are quantiles of the
   approved training scores.
6. Measure the *exported* card (the arithmetic the service runs) on the held-out set: AUC, Gini = 2·AUC − 1, KS.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from disfruta.credit.data import DATA_SOURCE, load_german_credit
from disfruta.credit.features import CATEGORICAL
from disfruta.credit.scorecard import MAX_SCORE, MIN_SCORE, FeaturePoints, Scorecard

MIN_IV = 0.02
CV_FOLDS = 5


@dataclass(frozen=True)
class TrainingConfig:
    test_size: float = 0.3
    seed: int = 7
    cutoff_pd: float = 0.5
    version_prefix: str = "german-credit-scorecard-1"


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


def train_scorecard(config: TrainingConfig = TrainingConfig()) -> Scorecard:
    """Fits, scales and measures a scorecard; returns it with its held-out metrics (nothing is written)."""
    import numpy as np
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, train_test_split

    X, y = load_german_credit()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=config.test_size, stratify=y,
                                              random_state=config.seed)
    numeric = [c for c in X.columns if c not in CATEGORICAL]
    process = BinningProcess(
        variable_names=list(X.columns),
        categorical_variables=list(CATEGORICAL),
        selection_criteria={"iv": {"min": MIN_IV}},
        binning_fit_params={c: {"monotonic_trend": "auto_asc_desc"} for c in numeric},
    )
    process.fit(X_tr, y_tr.to_numpy())
    selected = [str(n) for n in process.get_support(names=True)]
    W_tr = process.transform(X_tr, metric="woe")[selected]

    model = LogisticRegressionCV(
        Cs=np.logspace(-3, 2, 16).tolist(),
        cv=StratifiedKFold(CV_FOLDS, shuffle=True, random_state=config.seed),
        scoring="roc_auc",
        max_iter=5000,
    )
    model.fit(W_tr.to_numpy(), y_tr.to_numpy())
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
    cutoff = int(math.ceil(offset + factor * math.log((1 - config.cutoff_pd) / config.cutoff_pd)))

    provisional = Scorecard("unversioned", features, factor, offset, cutoff, (cutoff,) * 25, {}, {})
    scores_tr = np.array([provisional.score(r) for r in X_tr.to_dict("records")])
    scores_te = np.array([provisional.score(r) for r in X_te.to_dict("records")])
    bounds = _grade_bounds(np.rint(scores_tr[scores_tr >= cutoff]), cutoff)
    auc = float(roc_auc_score(y_te, -scores_te))
    W_te = process.transform(X_te, metric="woe")[selected].to_numpy()
    model_auc = float(roc_auc_score(y_te, model.predict_proba(W_te)[:, 1]))
    metrics = {
        "auc_test": round(auc, 4),
        "gini_test": round(2 * auc - 1, 4),
        "ks_test": round(_ks(y_te, scores_te), 4),
        "auc_train": round(float(roc_auc_score(y_tr, -scores_tr)), 4),
        "auc_test_unscaled_model": round(model_auc, 4),
        "decline_rate_test": round(float(np.mean(np.rint(scores_te) < cutoff)), 4),
        "bad_rate_by_letter_test": _letter_table(np.rint(scores_te), y_te.to_numpy(), bounds),
    }
    training = {
        "data": DATA_SOURCE,
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "test_size": config.test_size,
        "seed": config.seed,
        "cutoff_pd": config.cutoff_pd,
        "min_iv": MIN_IV,
        "c": float(model.C_[0]),
        "intercept": round(intercept, 6),
        "selected_features": selected,
        "dropped_features": sorted(set(X.columns) - set(selected)),
    }
    card = Scorecard("unversioned", features, round(factor, 6), round(offset, 4), cutoff, bounds, metrics, training)
    digest = hashlib.sha256(json.dumps([f.to_json() for f in features], sort_keys=True).encode()).hexdigest()
    return Scorecard(**{**card.__dict__, "version": f"{config.version_prefix}+{digest[:12]}"})


def _letter_table(scores: Any, y: Any, bounds: tuple[int, ...]) -> dict[str, dict[str, float]]:
    """Held-out applicants and bad rate per grade letter (and declined): the grades must rank risk."""
    from disfruta.credit.grading import grade_for

    table: dict[str, list[int]] = {}
    for score, bad in zip(scores, y):
        grade = grade_for(int(score), bounds)
        table.setdefault(grade.letter if grade else "declined", []).append(int(bad))
    return {k: {"n": len(v), "bad_rate": round(sum(v) / len(v), 4)} for k, v in sorted(table.items())}
