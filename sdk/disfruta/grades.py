"""Credit grades: LendingClub's 25 sub-grades, A1 (best) to E5, stored on chain as 1 … 25 (0 = none)."""

from __future__ import annotations

from enum import IntEnum

GRADE_LETTERS = "ABCDE"


class Grade(IntEnum):
    """A credit sub-grade. ``Grade.A1 == 1`` … ``Grade.E5 == 25``, the registry's on-chain encoding."""

    A1 = 1
    A2 = 2
    A3 = 3
    A4 = 4
    A5 = 5
    B1 = 6
    B2 = 7
    B3 = 8
    B4 = 9
    B5 = 10
    C1 = 11
    C2 = 12
    C3 = 13
    C4 = 14
    C5 = 15
    D1 = 16
    D2 = 17
    D3 = 18
    D4 = 19
    D5 = 20
    E1 = 21
    E2 = 22
    E3 = 23
    E4 = 24
    E5 = 25

    @classmethod
    def parse(cls, value: str | int) -> Grade:
        """Accepts ``"B3"``, ``"b3"`` or the on-chain number ``8``; raises ``ValueError`` naming the bad value."""
        if isinstance(value, int):
            try:
                return cls(value)
            except ValueError:
                raise ValueError(f"grade number must be 1 (A1) to 25 (E5), got {value}") from None
        text = value.strip().upper()
        if text in cls.__members__:
            return cls[text]
        raise ValueError(f"grade must be one of A1 … E5, got {value!r}")

    @property
    def letter(self) -> str:
        return GRADE_LETTERS[(self.value - 1) // 5]
