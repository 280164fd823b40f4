"""What the SDK and the keeper ask an index, whichever it is: the read API over HTTP (`IndexClient`, here in the core,
on httpx) or a local index database (`disfruta.index.local.LocalIndex`, in the ``[index]`` extra).

With an index the SDK lists and aggregates from it and reads only the rows it returns from the chain (one
Multicall3 call for a page); the keeper asks it which loans may need action (funding open, drawdown window,
installments uncovered, fees to sweep) instead of reading every loan ever made.

>>> client = Disfruta.connect(url, "deployments/local.json", index="http://127.0.0.1:8100")   # doctest: +SKIP
>>> client.loans.list(status=LoanStatus.FUNDING, limit=20)   # ids from the index, rows from the chain  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from disfruta.errors import DisfrutaError
from disfruta.grades import Grade
from disfruta.models import Event, LoanStatus


class IndexUnavailable(DisfrutaError):
    """The index could not answer (unreachable, or it refused the question: the message says why)."""


@dataclass(frozen=True)
class LenderActivity:
    """A lender's loans (by address, as the chain-only portfolio orders them) and events as the index holds them at
    ``block``: ``events`` are the lender's fundings, claims and refunds; ``history`` those loans' drawdowns and
    repayments; ``times`` block → timestamp."""

    block: int
    loans: list[str]
    events: list[Event]
    history: list[Event]
    times: dict[int, int]


class IndexSource(Protocol):
    def block(self) -> int:
        """The last block the index holds."""

    def loan_ids(self, filters: Mapping[str, Any], limit: int, cursor: str | None) -> tuple[list[int], str | None]:
        """Loan ids matching the marketplace filters, newest first, and the next page's cursor."""

    def lender_activity(self, lender: str) -> LenderActivity: ...

    def keeper_candidates(self, now: int, sweep_min: int) -> list[int]:
        """Loans that may need the keeper at ``now``: funding, funded (drawdown window), active with an installment
        uncovered past its due date, or with at least ``sweep_min`` fees not swept."""

    def auto_investors(self) -> list[str]:
        """Lenders whose auto-invest criteria are enabled."""

    def autopay_enrolled(self, borrower: str | None = None) -> list[str]:
        """Loans enrolled in autopay now (of ``borrower``, or all), by address, in the order enrolled."""


def _event(d: Mapping[str, Any]) -> Event:
    return Event(name=d["name"], address=d["address"], args=dict(d["args"]), block=int(d["block"]),
                 tx_hash=d["tx_hash"], log_index=int(d["log_index"]))


def activity_from_json(body: Mapping[str, Any]) -> LenderActivity:
    return LenderActivity(block=int(body["block"]), loans=list(body["loans"]),
                          events=[_event(e) for e in body["events"]], history=[_event(e) for e in body["history"]],
                          times={int(k): int(v) for k, v in body["times"].items()})


class IndexClient:
    """The index's read API over HTTP (``disfruta index serve``)."""

    def __init__(self, url: str, *, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = client or httpx.Client(base_url=self.url, timeout=timeout)
        self.requests = 0

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        self.requests += 1
        try:
            response = self.http.get(path, params={k: v for k, v in (params or {}).items() if v is not None})
        except httpx.HTTPError as exc:
            raise IndexUnavailable(f"cannot reach the index at {self.url}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text[:200]
            raise IndexUnavailable(f"the index answered {response.status_code}: {detail}")
        return response.json()

    def block(self) -> int:
        return int(self._get("/v1/status")["block"])

    def loan_ids(self, filters: Mapping[str, Any], limit: int, cursor: str | None) -> tuple[list[int], str | None]:
        query = {k: v for k, v in filters.items() if v is not None}
        if "status" in query:
            query["status"] = LoanStatus(int(query["status"])).name.lower()
        for key in ("min_grade", "max_grade"):
            if key in query:
                query[key] = Grade(int(query[key])).name
        body = self._get("/v1/loans", {**query, "limit": limit, "cursor": cursor})
        return [int(x["loan_id"]) for x in body["items"]], body["next_cursor"]

    def lender_activity(self, lender: str) -> LenderActivity:
        return activity_from_json(self._get(f"/v1/lenders/{lender}/activity"))

    def keeper_candidates(self, now: int, sweep_min: int) -> list[int]:
        return [int(x) for x in self._get("/v1/keeper/candidates", {"now": now, "sweep_min": sweep_min})["loan_ids"]]

    def auto_investors(self) -> list[str]:
        return list(self._get("/v1/pool/auto-investors")["lenders"])

    def autopay_enrolled(self, borrower: str | None = None) -> list[str]:
        params = {"borrower": borrower} if borrower is not None else None
        return list(self._get("/v1/keeper/autopay", params)["loans"])

    def statement(self, address: str, *, start: int = 0, end: int = 2**40 - 1, borrower: bool = False) -> Any:
        """A lender's (or, with ``borrower``, a borrower's) statement for [start, end] (unix seconds) as the API
        gives it: per loan and in total, amounts as decimal strings of token units."""
        kind = "borrowers" if borrower else "lenders"
        return self._get(f"/v1/{kind}/{address}/statement", {"start": start, "end": end})
