"""The credit model: a logistic scorecard trained on the German Credit applicants, cash-flow features, grades.

>>> from disfruta.credit import Applicant, assess
>>> a = assess(Applicant(checking_account="none", duration_months=12, credit_history="existing_paid",
...     purpose="car_used", credit_amount=2500, savings="unknown", employment_since="4_7y", installment_rate_pct=2,
...     other_debtors="none", residence_since=2, property="real_estate", age_years=40, other_installment_plans="none",
...     housing="own", existing_credits=1, job="skilled", dependents=1, telephone="yes"))
>>> a.approved, 300 <= a.score <= 850, len(a.reasons) <= 4
(True, True, True)

The names below load on first use, so ``disfruta.credit.cli`` (the ``disfruta credit`` group) imports nothing but
click and registers in a core-only install.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from disfruta.credit.assessment import Assessment, assess
    from disfruta.credit.cashflow import CashflowAdjustment, CashflowFeatures, Transaction, cashflow_adjustment
    from disfruta.credit.features import Applicant
    from disfruta.credit.scorecard import Reason, Scorecard, load_scorecard

_WHERE = {
    "Assessment": "assessment", "assess": "assessment",
    "CashflowAdjustment": "cashflow", "CashflowFeatures": "cashflow", "Transaction": "cashflow",
    "cashflow_adjustment": "cashflow",
    "Applicant": "features",
    "Reason": "scorecard", "Scorecard": "scorecard", "load_scorecard": "scorecard",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"disfruta.credit.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'disfruta.credit' has no attribute {name!r}")


__all__ = [
    "Applicant",
    "Assessment",
    "CashflowAdjustment",
    "CashflowFeatures",
    "Reason",
    "Scorecard",
    "Transaction",
    "assess",
    "cashflow_adjustment",
    "load_scorecard",
]
