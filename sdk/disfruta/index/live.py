"""Time-dependent fields (amount due, payoff, next due date, days past due, interest and late fees owed now) for the
rows a read returns, from one Multicall3 call at the latest block — never one request per loan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from disfruta.codec import codec_for
from disfruta.core import Core
from disfruta.errors import DisfrutaError
from disfruta.multicall import Call

LOAN = codec_for("Loan")
_VIEWS = ("amountDue", "payoffAmount", "nextDueDate", "daysPastDue", "position")


@dataclass(frozen=True)
class Live:
    amount_due: int
    payoff_amount: int
    next_due_date: int
    days_past_due: int
    interest_owed: int
    late_fees_owed: int


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: int
    interest: int
    principal: int


def live_fields(core: Core, addresses: Sequence[str], *,
                schedule_of: str | None = None) -> tuple[dict[str, Live], list[Installment], int]:
    """The live fields of each loan address (and, for ``schedule_of``, its schedule) in one call; also the block's
    timestamp ("now" for those fields)."""
    calls = [Call(a, LOAN.function(v)) for a in addresses for v in _VIEWS]
    if schedule_of is not None:
        calls.append(Call(schedule_of, LOAN.function("schedule")))
    if not calls:
        return {}, [], 0
    values, block = core.read_at(calls, "latest", allow_failure=True)
    out: dict[str, Live] = {}
    width = len(_VIEWS)
    for n, address in enumerate(addresses):
        chunk = values[n * width:(n + 1) * width]
        if any(isinstance(v, DisfrutaError) for v in chunk):
            continue  # the loan's views failed at this block: the row goes out without live fields
        due, payoff, next_due, dpd, position = chunk
        out[address] = Live(int(due), int(payoff), int(next_due), int(dpd), int(position["interestOwed"]),
                            int(position["lateFeesOwed"]))
    schedule: list[Installment] = []
    if schedule_of is not None and not isinstance(values[-1], DisfrutaError):
        sched: dict[str, Any] = values[-1]
        schedule = [Installment(k + 1, int(d), int(i), int(p)) for k, (d, i, p) in
                    enumerate(zip(sched["dueDates"], sched["interestParts"], sched["principalParts"], strict=True))]
    return out, schedule, block.timestamp
