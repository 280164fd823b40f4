"""``client.autopay``: borrowers' direct debit (`Autopay`), and the keeper's record of collections it could not make.

A borrower enrols a loan with a cap per collection and approves the token to Autopay; from the lead time before each
due date to the end of its grace period anyone (the keeper) may collect exactly what is due, never more than the cap,
straight from the borrower into the loan. ``preview`` says, without sending anything, whether a collection would
succeed now and if not why; `AutopayLog` keeps the keeper's failed attempts so a dashboard can show them.

>>> borrower.autopay.enrol(loan_id, cap=500 * 10**6)                # enrols, then approves the token   # doctest: +SKIP
>>> client.autopay.status(loan_id).reason                                                              # doctest: +SKIP
'the collection window opens 2026-03-28 10:00 UTC'
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Generic

from eth_utils import to_canonical_address, to_checksum_address

from disfruta.api.loans import FACTORY, LOAN, Loan, LoansAPI, _positive
from disfruta.api.market import contract_address
from disfruta.api.session import BaseSession, R, with_return_value
from disfruta.api.token import ERC20, MAX_UINT, TokenAPI
from disfruta.codec import codec_for, decode_struct
from disfruta.errors import ConfigurationError
from disfruta.models import (
    AutopayFailure,
    AutopayPreview,
    AutopayStatus,
    LoanStanding,
    LoanStatus,
    LoanTerms,
    Refusal,
)
from disfruta.multicall import BlockId, Call
from disfruta.tx import TxCall

AUTOPAY = codec_for("Autopay")


def _topic(address: str) -> str:
    return "0x" + to_canonical_address(address).rjust(32, b"\0").hex()


class AutopayLog:
    """The keeper's failed collections: the latest failure of each loan, until a collection of that loan succeeds.

    Why here and not on chain: a failed attempt is a ``preview`` (or a simulation) that refused, so nothing was sent
    and no event or index can hold it; the record is the keeper's own. Without a path it lives in memory (the
    keeper's ``autopay_log``: pass the keeper's log to ``client.autopay.status``). With a path it is a small JSON file
    (one entry per loan with a failure), rewritten whole through a temporary file and an atomic rename at every
    change, so another process (``disfruta autopay status``, ``disfruta borrower show``, a dashboard) reads it while the
    keeper runs and never sees half a file. Two keepers sharing one file: each write keeps the other's entries it
    read just before, and an entry is the latest attempt either way.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._entries: dict[str, AutopayFailure] = {}

    def get(self, loan: str) -> AutopayFailure | None:
        """The last failed collection of the loan at address ``loan``, if any."""
        with self._lock:
            return self._load().get(to_checksum_address(loan))

    def all(self) -> list[AutopayFailure]:
        """Every loan's last failure, earliest first."""
        with self._lock:
            return sorted(self._load().values(), key=lambda f: (f.at, f.loan_id))

    def record(self, failure: AutopayFailure) -> None:
        with self._lock:
            entries = self._load()
            entries[failure.loan] = failure
            self._save(entries)

    def clear(self, loan: str) -> None:
        """Forgets ``loan``'s failure (its collection succeeded)."""
        with self._lock:
            entries = self._load()
            if entries.pop(to_checksum_address(loan), None) is not None:
                self._save(entries)

    def _load(self) -> dict[str, AutopayFailure]:
        if self.path is None:
            return self._entries
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the autopay log {self.path}: {exc}") from None
        try:
            return {f["loan"]: AutopayFailure(**{**f, "refusal": Refusal(f["refusal"])}) for f in raw["failures"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"{self.path} is not an autopay log: {exc!r}") from None

    def _save(self, entries: dict[str, AutopayFailure]) -> None:
        if self.path is None:
            self._entries = entries
            return
        body = {"failures": [{**asdict(f), "refusal": int(f.refusal)} for f in entries.values()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(body, out, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class AutopayAPI(Generic[R]):
    """Autopay (``client.autopay``): enrol, cancel, collect; status and previews in one round trip."""

    def __init__(self, session: BaseSession[R], token: TokenAPI[R], loans: LoansAPI[R]) -> None:
        self._s: BaseSession[R] = session
        self._token: TokenAPI[R] = token
        self._loans: LoansAPI[R] = loans

    @property
    def available(self) -> bool:
        """Whether this deployment has Autopay."""
        return "Autopay" in self._s.core.deployment.contracts

    @property
    def address(self) -> str:
        """Autopay's address (`ConfigurationError` on a deployment without it)."""
        return contract_address(self._s, "Autopay", "autopay")

    # ------------------------------------------------------------------------------------------- borrower

    def enrol(self, loan: Loan, cap: int) -> R:
        """Enrols this account's ``loan`` (or changes its cap): each collection pulls what is due, at most ``cap``.

        Then approves the token to Autopay when its allowance is short of what autopay may still pull under the
        caps: ``cap`` × the installments left of this loan, plus the same for every other loan of this borrower
        still enrolled (one allowance serves them all, and an ``approve`` replaces it rather than adding to it). A
        cap-sized allowance would cover one collection only; this one covers every installment left, and autopay
        never pulls more than is due. Cancelling leaves the allowance (``client.token.approve(autopay, 0)`` ends
        it)."""
        _positive("cap", cap)
        me, autopay, address = self._s.address, self.address, self._loans.address(loan)
        receipt = self._s.send(TxCall(autopay, AUTOPAY.function("enrol"), (address, cap)))
        others: list[str] = [a for a in self.enrolled(me) if a != address]
        targets = [address, *others]
        calls = [Call(self._token.address, ERC20.function("allowance"), (me, autopay))]
        for a in targets:
            calls += [Call(a, LOAN.function("standing")), Call(a, LOAN.function("terms")),
                      Call(autopay, AUTOPAY.function("capOf"), (a,))]
        values = self._s.core.read(calls)
        needed = 0
        for n, a in enumerate(targets):
            standing, terms, current = values[1 + 3 * n:4 + 3 * n]
            needed += (cap if a == address else int(current)) * _installments_left(
                decode_struct(LoanStanding, standing), decode_struct(LoanTerms, terms))
        key = (self._token.address, me, autopay)
        allowance = self._s.approved.get(key, int(values[0])) if self._s.tracks_allowances else int(values[0])
        if allowance < needed:
            self._token.approve(autopay, MAX_UINT if self._s.approve_max else needed)
            if self._s.tracks_allowances:
                self._s.approved[key] = MAX_UINT if self._s.approve_max else needed
        return receipt

    def cancel(self, loan: Loan) -> R:
        """Stops autopay on this account's ``loan`` (always works, paused or not)."""
        return self._s.send(TxCall(self.address, AUTOPAY.function("cancel"), (self._loans.address(loan),)))

    # ------------------------------------------------------------------------------------------- anyone

    def collect(self, loan: Loan) -> R:
        """Collects what is due on ``loan`` now from its borrower into the loan (anyone may; the keeper does). A
        refusal raises ``AutopayNotCollectable`` with its reason; the receipt's ``return_value`` is the amount."""
        return self._s.send(TxCall(self.address, AUTOPAY.function("collect"), (self._loans.address(loan),)),
                            post=with_return_value(lambda r: int(r.one("AutopayCollected").args["amount"])))

    # ------------------------------------------------------------------------------------------- reads

    def cap(self, loan: Loan, block: BlockId = "latest") -> int:
        """``loan``'s cap per collection (0: not enrolled)."""
        return int(self._s.core.call(self.address, "Autopay", "capOf", self._loans.address(loan), block=block))

    def lead_time(self, block: BlockId = "latest") -> int:
        """How long before a due date collection opens, in seconds."""
        return int(self._s.core.call(self.address, "Autopay", "leadTime", block=block))

    def preview(self, loans: Sequence[Loan], block: BlockId = "latest") -> list[AutopayPreview]:
        """Whether ``collect`` would succeed now for each of ``loans`` (addresses, or ids), with each one's id and
        cap, in one round trip."""
        addresses = [self._loans.address(x) for x in loans]
        if not addresses:
            return []
        autopay = self.address
        calls = [c for a in addresses for c in (Call(autopay, AUTOPAY.function("preview"), (a,)),
                                                 Call(autopay, AUTOPAY.function("capOf"), (a,)),
                                                 Call(self._loans.factory, FACTORY.function("loanIdOf"), (a,)))]
        values = self._s.core.read(calls, block)
        out = []
        for n, a in enumerate(addresses):
            raw, cap, loan_id = values[3 * n:3 * n + 3]
            self._loans.remember(int(loan_id), a)
            out.append(_preview(a, raw, int(loan_id), int(cap)))
        return out

    def status(self, loan: Loan, log: AutopayLog | None = None, block: BlockId = "latest") -> AutopayStatus:
        """``loan``'s autopay: enrolled and its cap, the next due date and its collection window, whether a
        collection would succeed now (else why, in words) and, given the keeper's ``log``, its last failed attempt.
        One round trip."""
        return self.statuses([loan], log, block)[0]

    def statuses(self, loans: Sequence[Loan], log: AutopayLog | None = None,
                 block: BlockId = "latest") -> list[AutopayStatus]:
        """`status` of each of ``loans``, all in one round trip."""
        addresses = [self._loans.address(x) for x in loans]
        if not addresses:
            return []
        autopay, decimals = self.address, self._s.core.decimals
        calls = [Call(autopay, AUTOPAY.function("leadTime"))]
        for a in addresses:
            calls += [Call(autopay, AUTOPAY.function("capOf"), (a,)), Call(autopay, AUTOPAY.function("preview"), (a,)),
                      Call(a, LOAN.function("standing")), Call(self._loans.factory, FACTORY.function("loanIdOf"), (a,))]
        values = self._s.core.read(calls, block)
        lead = int(values[0])
        out = []
        for n, a in enumerate(addresses):
            cap, raw, standing, loan_id = values[1 + 4 * n:5 + 4 * n]
            p, st = _preview(a, raw, int(loan_id), int(cap)), decode_struct(LoanStanding, standing)
            self._loans.remember(p.loan_id, a)
            due = st.next_due_date
            out.append(AutopayStatus(
                loan_id=p.loan_id, loan=a, borrower=st.borrower, enrolled=p.cap > 0, cap=p.cap, next_due_date=due,
                window_opens=due - lead if due else 0, window_closes=due + st.grace_period if due else 0,
                collectable=p.collectable, amount=p.amount, refusal=p.refusal, reason=p.reason(decimals),
                last_failure=log.get(a) if log is not None else None))
        return out

    def enrolled(self, borrower: str | None = None, block: BlockId = "latest") -> list[str]:
        """The loans enrolled now (of ``borrower``, or all), by address in the order enrolled: from the index when
        the client has one (no request to the node), else the ``AutopayEnrolled`` and ``AutopayCancelled`` events
        replayed (one round trip)."""
        index = self._s.core.index
        if index is not None and block == "latest":
            return [to_checksum_address(a) for a in index.autopay_enrolled(borrower)]
        topics: list[Any] = [None, _topic(borrower)] if borrower is not None else []
        events = self._s.core.get_logs(names=["AutopayEnrolled", "AutopayCancelled"], address=self.address,
                                       topics=topics, to_block=block)
        state: dict[str, bool] = {}
        for e in events:
            state[e.args["loan"]] = e.name == "AutopayEnrolled"
        return [a for a, on in state.items() if on]


def _preview(loan: str, value: dict[str, Any], loan_id: int, cap: int) -> AutopayPreview:
    ok = bool(value["collectable"])
    return AutopayPreview(loan_id=loan_id, loan=loan, cap=cap, collectable=ok,
                          refusal=None if ok else Refusal(int(value["reason"])), detail=int(value["amountOrDetail"]),
                          due_date=int(value["dueDate"]))


def _installments_left(standing: LoanStanding, terms: LoanTerms) -> int:
    """Active: the installments not yet covered; before drawdown: the whole term; closed: none."""
    if standing.status == LoanStatus.ACTIVE:
        return standing.installments_left
    return terms.term_months if standing.status < LoanStatus.ACTIVE else 0
