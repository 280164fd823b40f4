"""A credit decision: scorecard points, the cash-flow adjustment, the grade, the limit and the top reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from disfruta.credit.cashflow import CashflowAdjustment, Transaction, cashflow_adjustment
from disfruta.credit.features import Applicant
from disfruta.credit.grading import borrow_limit, grade_for
from disfruta.credit.scorecard import Reason, Scorecard, load_scorecard
from disfruta.grades import Grade

TOP_REASONS = 4


@dataclass(frozen=True)
class Assessment:
    model_version: str
    base_score: int  # the scorecard alone
    cashflow: CashflowAdjustment | None
    score: int  # after the cash-flow adjustment, clamped to the card's scale
    probability_of_default: float  # the model's P(bad) at base_score (the overlay is policy, not calibrated)
    grade: Grade | None  # None: declined (score below the cut-off)
    borrow_limit: int  # token units; 0 when declined
    reasons: tuple[Reason, ...]  # the top TOP_REASONS, largest points lost first

    @property
    def approved(self) -> bool:
        return self.grade is not None


def assess(applicant: Applicant, transactions: Sequence[Transaction] | None = None, *,
           scorecard: Scorecard | None = None, token_decimals: int = 6) -> Assessment:
    """Scores ``applicant``; with ``transactions``, adjusts the score by their cash-flow features.

    Raises ``ValueError`` when the transactions can't support the features (too short, too many).
    """
    card = scorecard or load_scorecard()
    points = card.points(applicant)
    base = int(round(sum(points.values())))
    adjustment = cashflow_adjustment(transactions) if transactions else None
    score = max(card.min_score, min(card.max_score, base + (adjustment.total if adjustment else 0)))
    grade = grade_for(score, card.grade_bounds)
    reasons = [*card.reasons(points), *(adjustment.reasons if adjustment else ())]
    reasons.sort(key=lambda r: (-r.points_lost, r.code))
    return Assessment(
        model_version=card.version,
        base_score=base,
        cashflow=adjustment,
        score=score,
        probability_of_default=round(card.probability_of_default(base), 4),
        grade=grade,
        borrow_limit=borrow_limit(grade, token_decimals) if grade else 0,
        reasons=tuple(reasons[:TOP_REASONS]),
    )
