"""The trained scorecard as a versioned JSON artifact: points per attribute, the score scale, and grade bands.

Scoring is plain arithmetic on the artifact (no pickle, no training library at run time): each feature's value
falls into one bin and earns that bin's points; the score is their sum, on a 300–850 scale that is linear in the
model's log-odds of a good credit::

    score = offset + factor × ln(P(good) / P(bad))

so the probability of default can always be read back from a score (``probability_of_default``).

>>> card = load_scorecard()
>>> 300 <= card.min_score < card.max_score <= 850
True
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from disfruta.credit.features import MEASURED_ONLY, REASON_TEXT, Applicant

ARTIFACT_NAME = "scorecard-v1.json"
MIN_SCORE = 300
MAX_SCORE = 850


@dataclass(frozen=True)
class FeaturePoints:
    """The points one feature contributes. Numeric bin ``i`` is ``[edges[i-1], edges[i])`` (open at the ends)."""

    name: str
    kind: Literal["numeric", "categorical"]
    points: tuple[float, ...] = ()
    edges: tuple[float, ...] = ()
    category_points: Mapping[str, float] = field(default_factory=dict)

    def points_for(self, value: Any) -> float:
        if self.kind == "numeric":
            return self.points[bisect_right(self.edges, float(value))]
        try:
            return self.category_points[str(value)]
        except KeyError:
            raise ValueError(f"{self.name}: unknown category {value!r}") from None

    @property
    def max_points(self) -> float:
        return max(self.points) if self.kind == "numeric" else max(self.category_points.values())

    def to_json(self) -> dict[str, Any]:
        if self.kind == "numeric":
            return {"name": self.name, "kind": "numeric", "edges": list(self.edges), "points": list(self.points)}
        return {"name": self.name, "kind": "categorical", "points": dict(self.category_points)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeaturePoints:
        if data["kind"] == "numeric":
            edges, points = tuple(map(float, data["edges"])), tuple(map(float, data["points"]))
            if len(points) != len(edges) + 1 or list(edges) != sorted(edges):
                raise ValueError(f"{data['name']}: need sorted edges and one more points entry than edges")
            return cls(name=data["name"], kind="numeric", edges=edges, points=points)
        return cls(name=data["name"], kind="categorical",
                   category_points={str(k): float(v) for k, v in data["points"].items()})


@dataclass(frozen=True)
class Reason:
    """One adverse-action reason: what lowered the score and by how many points below the best attribute."""

    code: str
    text: str
    points_lost: float


@dataclass(frozen=True)
class Scorecard:
    version: str
    features: tuple[FeaturePoints, ...]
    factor: float
    offset: float
    cutoff_score: int
    grade_bounds: tuple[int, ...]  # lower score bound of A1 … E5 (non-increasing, E5's bound is the cut-off)
    metrics: Mapping[str, Any]
    training: Mapping[str, Any]
    min_score: int = MIN_SCORE
    max_score: int = MAX_SCORE

    def __post_init__(self) -> None:
        if len(self.grade_bounds) != 25 or list(self.grade_bounds) != sorted(self.grade_bounds, reverse=True):
            raise ValueError("grade_bounds must hold 25 non-increasing lower bounds (A1 … E5)")
        if self.grade_bounds[-1] != self.cutoff_score:
            raise ValueError("E5's lower bound must be the decline cut-off")

    def points(self, applicant: Applicant | Mapping[str, Any]) -> dict[str, float]:
        """Points earned per scored feature."""
        values = applicant.model_dump() if isinstance(applicant, Applicant) else dict(applicant)
        return {f.name: f.points_for(values[f.name]) for f in self.features}

    def score(self, applicant: Applicant | Mapping[str, Any]) -> float:
        """The unrounded score (sum of the points), between ``min_score`` and ``max_score`` by construction."""
        return sum(self.points(applicant).values())

    def probability_of_default(self, score: float) -> float:
        """P(bad) implied by a score on this card's scale."""
        log_odds_good = (score - self.offset) / self.factor
        return 1.0 / (1.0 + math.exp(log_odds_good))

    def reasons(self, points: Mapping[str, float]) -> list[Reason]:
        """Every scored feature that earned less than its best attribute, largest loss first."""
        by_name = {f.name: f for f in self.features}
        lost = [Reason(name, REASON_TEXT[name], round(by_name[name].max_points - p, 2)) for name, p in points.items()]
        return sorted((r for r in lost if r.points_lost > 0), key=lambda r: (-r.points_lost, r.code))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "scale": {"min_score": self.min_score, "max_score": self.max_score,
                      "factor": self.factor, "offset": self.offset},
            "cutoff_score": self.cutoff_score,
            "grade_bounds": list(self.grade_bounds),
            "features": [f.to_json() for f in self.features],
            "metrics": dict(self.metrics),
            "training": dict(self.training),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scorecard:
        scored = {f["name"] for f in data["features"]} & set(MEASURED_ONLY)
        if scored:
            raise ValueError(f"artifact scores {sorted(scored)}, which may only be measured, never scored")
        unknown = {f["name"] for f in data["features"]} - set(REASON_TEXT)
        if unknown:
            raise ValueError(f"artifact scores unknown features: {sorted(unknown)}")
        scale = data["scale"]
        return cls(
            version=str(data["version"]),
            features=tuple(FeaturePoints.from_json(f) for f in data["features"]),
            factor=float(scale["factor"]),
            offset=float(scale["offset"]),
            min_score=int(scale["min_score"]),
            max_score=int(scale["max_score"]),
            cutoff_score=int(data["cutoff_score"]),
            grade_bounds=tuple(int(b) for b in data["grade_bounds"]),
            metrics=data.get("metrics", {}),
            training=data.get("training", {}),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n")


def default_artifact_path() -> Path:
    """The artifact shipped inside the package."""
    return Path(str(resources.files("disfruta.credit") / "artifacts" / ARTIFACT_NAME))


@lru_cache(maxsize=4)
def load_scorecard(path: Path | None = None) -> Scorecard:
    """Loads (and caches) a scorecard artifact; the shipped one by default. Reads a local file only."""
    return Scorecard.from_json(json.loads((path or default_artifact_path()).read_text()))
