"""The halmos proofs of InterestMath (test/halmos/InterestMath.t.sol) bracket the exact annuity with constants
A_<rate>_<term> = floor(c · 1e45), c = r / (1 − (1 + r)^−n), and allow 1e-6 of a unit (E = 1e39). A wrong constant
would make a proof prove the wrong thing, so each one is recomputed here in exact rational arithmetic, and each
exact-annuity proof must use the constant of its own rate and term."""

from __future__ import annotations

import re
from fractions import Fraction
from math import floor
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "test" / "halmos" / "InterestMath.t.sol"
SOURCE = HARNESS.read_text()
CONSTANTS = {(int(rate), int(term)): int(value)
             for rate, term, value in re.findall(r"constant A_(\d+)_(\d+) = (\d+);", SOURCE)}
PROOFS = re.findall(r"function (check_payment_exactAnnuityRoundedUp_r(\d+)_n(\d+))\(uint256 p\)[^}]*?"
                    r"_assertExactAnnuityRoundedUp\(p, ([\d_]+), ([\d_]+), (A_\d+_\d+)\)", SOURCE, re.S)


def exact_annuity_scaled(rate_bps: int, term: int) -> int:
    """floor(c · 1e45) for c = r·g / (g − 1), g = (1 + r)^n, r = bps / 120,000: exact, no rounding before the floor."""
    r = Fraction(rate_bps, 120_000)
    g = (1 + r) ** term
    return floor(r * g / (g - 1) * 10**45)


def test_harness__scale_and_tolerance__are_1e45_and_1e_minus_6_unit():
    assert re.search(r"constant S = 1e45;", SOURCE)
    assert re.search(r"constant E = 1e39;", SOURCE)


@pytest.mark.parametrize("rate, term", sorted(CONSTANTS), ids=[f"A_{r}_{t}" for r, t in sorted(CONSTANTS)])
def test_annuity_constant__recomputed__matches(rate, term):
    assert CONSTANTS[(rate, term)] == exact_annuity_scaled(rate, term)


def test_exact_annuity_proofs__each__uses_the_constant_of_its_own_rate_and_term():
    assert len(PROOFS) == len(CONSTANTS) >= 5
    for name, rate, term, call_rate, call_term, constant in PROOFS:
        assert (call_rate.replace("_", ""), call_term.replace("_", "")) == (rate, term), name
        assert constant == f"A_{rate}_{term}", name
