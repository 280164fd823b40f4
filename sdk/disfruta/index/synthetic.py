"""A synthetic market written through the indexer's own write path (`write_range`): events shaped exactly as the
contracts emit them, for benchmarks at sizes a local chain can't reach quickly (10,000 and 100,000 loans) and for
fuzzing the read API without a node. Deterministic for a seed. With ``market=True`` some drawn loans also trade on
the note market (listed, partly bought, some cancelled) and are repaid through autopay."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Engine, insert, select

from disfruta.index import schema as s
from disfruta.index.source import Header, TxInfo
from disfruta.index.sync import write_range

DAY, PERIOD = 86_400, 30 * 86_400
T0 = 1_767_225_600  # 2026-01-01


def _address(kind: int, n: int) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(f"0x{kind:02x}{n:038x}")


def _hash(n: int) -> str:
    return f"0x{n:064x}"


class SyntheticMarket:
    """Builds ``loans`` loans with ``lenders`` lenders into ``engine`` (migrated, with a fresh ``sync_state``)."""

    FACTORY = _address(0xFA, 1)
    NOTE_MARKET = _address(0xFA, 2)
    AUTOPAY = _address(0xFA, 3)

    def __init__(self, engine: Engine, *, seed: int = 1, lenders: int = 200, chain_id: int = 31337, t0: int = T0,
                 idle: bool = False, market: bool = False) -> None:
        """``idle``: every loan drawn, its installments paid on time and its fees swept (a market where a keeper at
        time ``t0`` has nothing to do); otherwise a mix of pending, funding, active, defaulted loans. ``market``: the
        note market's and autopay's events too (issue #16)."""
        self.engine = engine
        self.t0 = t0
        self.idle = idle
        self.market = market
        self.rnd = random.Random(seed)
        self.lenders = [_address(0x1E, i) for i in range(1, lenders + 1)]
        self.borrowers = [_address(0xB0, i) for i in range(1, max(2, lenders // 2) + 1)]
        self.block = 0
        self.tx = 0
        self.loans = 0
        with engine.begin() as conn:
            if conn.execute(select(s.sync_state)).first() is None:
                conn.execute(insert(s.sync_state).values(id=1, chain_id=chain_id, factory=self.FACTORY,
                                                         start_block=0, cursor=-1, cursor_hash=None))

    def _event(self, out: list[dict[str, Any]], txs: dict[str, TxInfo], contract: str, name: str, address: str,
               args: dict[str, Any]) -> None:
        self.tx += 1
        tx = _hash(self.tx)
        txs[tx] = TxInfo(hash=tx, block=self.block, tx_index=0, sender=self.borrowers[0], to=address,
                         gas_used=80_000, effective_gas_price=10**9, success=True)
        out.append({"block": self.block, "tx_hash": tx, "log_index": len(out), "address": address,
                    "contract": contract, "name": name, "args": args})

    def _loan_events(self, out: list[dict[str, Any]], txs: dict[str, TxInfo], unit: int) -> None:
        rnd = self.rnd
        self.loans += 1
        loan_id, loan = self.loans, _address(0x10, self.loans)
        amount = rnd.randrange(20, 400) * 25 * unit
        term, grade = rnd.choice((12, 24, 36, 48, 60)), rnd.randrange(1, 26)
        rate = 500 + grade * 100
        borrower = rnd.choice(self.borrowers)
        now = self.t0 + self.block * 12
        ev = self._event
        ev(out, txs, "LoanFactory", "LoanCreated", self.FACTORY, {
            "loanId": loan_id, "loan": loan, "borrower": borrower, "amount": amount, "annualRateBps": rate,
            "termMonths": term, "grade": grade, "purpose": rnd.randrange(8)})
        fate = 0.5 if self.idle else rnd.random()
        if fate < 0.05:
            return  # pending
        ev(out, txs, "Loan", "LoanOpened", loan, {"deadline": now + 14 * DAY})
        notes = amount // (25 * unit)
        funded_notes = notes if fate > 0.25 else rnd.randrange(1, notes)
        funded = 0
        holders: list[tuple[str, int]] = []
        while funded < funded_notes * 25 * unit:
            part = min(funded_notes * 25 * unit - funded, rnd.randrange(10, 120) * 25 * unit)
            lender = rnd.choice(self.lenders)
            holders.append((lender, part))
            funded += part
            ev(out, txs, "Loan", "Transfer", loan, {"from": "0x" + "00" * 20, "to": lender, "value": part})
            ev(out, txs, "Loan", "LoanFunded", loan, {"lender": lender, "payer": lender, "amount": part,
                                                      "totalFunded": funded})
        if fate <= 0.25:
            return  # still funding
        ev(out, txs, "Loan", "FundingCompleted", loan, {"principal": amount})
        payment = amount * (rate + 1_200) // (12 * 10_000) // max(1, term // 12)
        ev(out, txs, "Loan", "FundsWithdrawn", loan, {"borrower": borrower, "principal": amount,
                                                      "originationFee": amount // 50, "monthlyPayment": payment})
        outstanding = amount
        fees = 0
        autopay = self.market and rnd.random() < 0.4
        if autopay:
            ev(out, txs, "Autopay", "AutopayEnrolled", self.AUTOPAY, {"loan": loan, "borrower": borrower,
                                                                       "cap": payment * 2})
        for k in range(0 if self.idle else rnd.randrange(0, 6)):
            interest = outstanding * rate // 120_000
            principal = min(outstanding, max(0, payment - interest))
            outstanding -= principal
            paid = interest + principal
            ev(out, txs, "Loan", "RepaymentMade", loan, {
                "payer": self.AUTOPAY if autopay else borrower, "amount": paid, "lateFees": 0, "interest": interest,
                "principal": principal, "servicingFee": paid // 100, "principalOutstanding": outstanding})
            if autopay:
                ev(out, txs, "Autopay", "AutopayCollected", self.AUTOPAY, {
                    "loan": loan, "borrower": borrower, "caller": self.lenders[0], "dueDate": now + (k + 1) * PERIOD,
                    "amount": paid})
            fees += paid // 100
        if fees:
            ev(out, txs, "Loan", "FeesSwept", loan, {"amount": fees})
        if autopay and rnd.random() < 0.3:
            ev(out, txs, "Autopay", "AutopayCancelled", self.AUTOPAY, {"loan": loan, "borrower": borrower})
        if self.market and fate <= 0.93 and rnd.random() < 0.5:
            self._trades(out, txs, loan, holders[0], outstanding, amount, unit)
        if fate > 0.93:
            ev(out, txs, "Loan", "LoanDefaulted", loan, {"principalOutstanding": outstanding,
                                                         "reserveCover": outstanding * 3 // 10, "daysPastDue": 120})

    def _trades(self, out: list[dict[str, Any]], txs: dict[str, TxInfo], loan: str, holder: tuple[str, int],
                outstanding: int, principal: int, unit: int) -> None:
        """A holder lists part of its notes (at a premium or a discount, some with an expiry already past), buyers
        take some of them (the notes moving through the loan's Transfer), and the rest is sometimes cancelled."""
        rnd, ev = self.rnd, self._event
        seller, held = holder
        left = rnd.randrange(1, held // (25 * unit) + 1) * 25 * unit
        premium = rnd.randrange(-500, 301)
        now = self.t0 + self.block * 12
        expiry = 0 if rnd.random() < 0.5 else now + rnd.choice((-1, 1)) * 7 * DAY
        ev(out, txs, "NoteMarket", "Listed", self.NOTE_MARKET, {
            "loan": loan, "seller": seller, "notes": left, "premiumBps": premium, "expiry": expiry, "version": 1})
        for _ in range(rnd.randrange(0, 3)):
            notes = rnd.randrange(1, left // (25 * unit) + 1) * 25 * unit
            buyer = rnd.choice([x for x in self.lenders if x != seller])
            price = notes * outstanding // principal * (10_000 + premium) // 10_000
            ev(out, txs, "NoteMarket", "NotesSold", self.NOTE_MARKET, {
                "loan": loan, "seller": seller, "buyer": buyer, "notes": notes, "price": price, "fee": price // 100,
                "version": 1})
            ev(out, txs, "Loan", "Transfer", loan, {"from": seller, "to": buyer, "value": notes})
            left -= notes
            if not left:
                return
        if rnd.random() < 0.3:
            ev(out, txs, "NoteMarket", "ListingCancelled", self.NOTE_MARKET, {"loan": loan, "seller": seller,
                                                                               "version": 1})

    def add(self, loans: int, *, unit: int = 10**6, per_range: int = 200) -> int:
        """Adds ``loans`` loans, ``per_range`` per database transaction; returns the events written."""
        written = 0
        while loans > 0:
            out: list[dict[str, Any]] = []
            txs: dict[str, TxInfo] = {}
            headers: dict[int, Header] = {}
            for _ in range(min(per_range, loans)):
                self.block += 1
                headers[self.block] = Header(self.block, _hash(10**12 + self.block), _hash(10**12 + self.block - 1),
                                             self.t0 + self.block * 12)
                self._loan_events(out, txs, unit)
                loans -= 1
            for n, d in enumerate(out):
                d["log_index"] = n
            with self.engine.begin() as conn:
                write_range(conn, out, headers, txs)
                conn.execute(s.sync_state.update().values(cursor=self.block, cursor_hash=headers[self.block].hash))
            written += len(out)
        return written
