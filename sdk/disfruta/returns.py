"""Return measures of a lender's portfolio: XIRR, net annualized return and expected loss by grade."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Callable

from pyxirr import InvalidPaymentsError
from pyxirr import xirr as _xirr

from disfruta.grades import Grade

if TYPE_CHECKING:
    from disfruta.models import LoanInfo

YEAR = 365 * 86_400
# Loss given default: the share of a defaulted balance not recovered. An assumption, not a measurement: unsecured
# consumer loans recover little after charge-off, so the estimate is conservative. Callers may pass their own.
LOSS_GIVEN_DEFAULT = 0.9
DEFAULT_PROBABILITY_RESOURCE = "data/default_probability.json"


def xirr(flows: list[tuple[int, int]]) -> float | None:
    """Annualised internal rate of return of dated cash flows (unix time, amount); None when undefined."""
    if len(flows) < 2 or not any(a < 0 for _, a in flows) or not any(a > 0 for _, a in flows):
        return None
    dates = [datetime.fromtimestamp(t, tz=timezone.utc) for t, _ in flows]
    try:
        rate = _xirr(dates, [float(a) for _, a in flows])
    except InvalidPaymentsError:
        return None
    return None if rate is None else float(rate)


def net_annualized_return(interest_and_fees: int, losses: int, principal_years: float) -> float | None:
    """LendingClub-style NAR: (interest and late fees received − losses) per year of principal outstanding."""
    if principal_years <= 0:
        return None
    return (interest_and_fees - losses) / principal_years


@lru_cache(maxsize=1)
def _default_probabilities() -> dict[Grade, float]:
    text = resources.files("disfruta").joinpath(DEFAULT_PROBABILITY_RESOURCE).read_text()
    return {Grade[name]: float(pd) for name, pd in json.loads(text)["annual_default_probability"].items()}


def default_probability_by_grade(grade: Grade) -> float:
    """Annual probability of default of a grade under the trained credit model's score bands, as the packaged table
    ``data/default_probability.json`` records it (``disfruta credit train`` rewrites it from the model)."""
    return _default_probabilities()[Grade(grade)]


def expected_loss(info: LoanInfo, outstanding: int, now: int,
                  default_probability: Callable[[Grade], float] | None = None) -> int:
    """Expected loss on ``outstanding`` over the loan's remaining life: PD(grade, remaining years) × LGD."""
    pd_annual = (default_probability or default_probability_by_grade)(info.grade)
    end = info.start_time + info.term_months * 30 * 86_400
    remaining_years = max(0.0, (end - now) / YEAR)
    pd_remaining = 1 - (1 - pd_annual) ** remaining_years
    return int(outstanding * pd_remaining * LOSS_GIVEN_DEFAULT)
