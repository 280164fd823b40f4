"""``disfruta index verify``: the indexed state against the chain's own views, at the indexed block.

Every loan (status, terms, funding, principal outstanding, the note accumulator, fees not yet swept, notes
outstanding), every holder's note balance and claimable amount, every pool account (balance, investments) and the
pool's total, every user's public record, the treasury's figures, every note-market listing (notes left, premium,
expiry, version) and autopay enrolment (its cap: 0 once cancelled) and the two contracts' settings are read through
Multicall3 (in as few calls as the chunking allows) at the index's cursor block and compared field by field. Each
difference is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from disfruta.codec import codec_for, to_checksum_address
from disfruta.core import Core
from disfruta.index import schema as s
from disfruta.index.handlers import claimable
from disfruta.multicall import Call

LOAN, POOL, TREASURY, REGISTRY, MARKET, AUTOPAY = (codec_for(n) for n in ("Loan", "LendingPool", "Treasury",
                                                                          "UserRegistry", "NoteMarket", "Autopay"))
TRADING = 3  # ITreasury.FeeType.Trading


@dataclass(frozen=True)
class Difference:
    entity: str  # "loan 3", "notes of 0x… in loan 3", "pool account 0x…", "treasury", "user 0x…"
    field: str
    indexed: Any
    chain: Any

    def __str__(self) -> str:
        return f"{self.entity}: {self.field} is {self.indexed!r} in the index but {self.chain!r} on chain"


@dataclass(frozen=True)
class Report:
    block: int
    checked: int  # fields compared
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


Check = tuple[str, str, Any, Call, Callable[[Any], Any]]  # entity, field, indexed value, the view call, its value


def _same(x: Any) -> Any:
    return x


def _loan_checks(conn: Connection) -> list[Check]:
    out: list[Check] = []
    for r in conn.execute(select(s.loans).order_by(s.loans.c.loan_id)):
        entity, at = f"loan {r.loan_id}", r.address
        terms, position = Call(at, LOAN.function("terms")), Call(at, LOAN.function("position"))
        out += [
            (entity, "borrower", r.borrower, terms, lambda v: v["borrower"]),
            (entity, "goal", r.goal, terms, lambda v: v["goal"]),
            (entity, "principal", r.principal, terms, lambda v: v["principal"]),
            (entity, "annual_rate_bps", r.annual_rate_bps, terms, lambda v: v["annualRateBps"]),
            (entity, "term_months", r.term_months, terms, lambda v: v["termMonths"]),
            (entity, "grade", r.grade, terms, lambda v: v["grade"]),
            (entity, "purpose", r.purpose, terms, lambda v: v["purpose"]),
            (entity, "status", r.status, position, lambda v: v["status"]),
            (entity, "principal_outstanding", r.principal_outstanding, position,
             lambda v: v["principalOutstanding"]),
            (entity, "acc_per_note", r.acc_per_note, position, lambda v: v["accPerNote"]),
            (entity, "paid_toward_schedule", r.interest_paid + r.principal_paid, position,
             lambda v: v["paidTowardSchedule"]),
            (entity, "fees_not_swept", r.servicing_fees - r.fees_swept, position, lambda v: v["feesAccrued"]),
            (entity, "funding_deadline", r.funding_deadline, position, lambda v: v["fundingDeadline"]),
            (entity, "funded_at", r.funded_at, position, lambda v: v["fundedAt"]),
            (entity, "start_time", r.start_time, position, lambda v: v["startTime"]),
            (entity, "funded", r.funded, Call(at, LOAN.function("funding")), lambda v: v["funded"]),
            (entity, "paused", r.paused, Call(at, LOAN.function("isPaused")), _same),
        ]
        if r.status in (0, 1, 2, 6, 7):  # before drawdown (or never drawn): the monthly payment is not fixed yet
            continue
        out.append((entity, "monthly_payment", r.monthly_payment, terms, lambda v: v["monthlyPayment"]))
    return out


def _note_checks(conn: Connection) -> list[Check]:
    out: list[Check] = []
    totals: dict[int, int] = {}
    query = (select(s.note_positions, s.loans.c.address, s.loans.c.acc_per_note)
             .join(s.loans, s.loans.c.loan_id == s.note_positions.c.loan_id)
             .order_by(s.note_positions.c.loan_id, s.note_positions.c.holder))
    addresses: dict[int, str] = {}
    for r in conn.execute(query):
        entity = f"notes of {r.holder} in loan {r.loan_id}"
        out += [(entity, "notes", r.notes, Call(r.address, LOAN.function("balanceOf"), (r.holder,)), _same),
                (entity, "claimable", claimable(dict(r._mapping), r.acc_per_note),
                 Call(r.address, LOAN.function("claimable"), (r.holder,)), _same)]
        totals[r.loan_id] = totals.get(r.loan_id, 0) + r.notes
        addresses[r.loan_id] = r.address
    for loan_id, total in totals.items():
        out.append((f"loan {loan_id}", "notes_outstanding", total,
                    Call(addresses[loan_id], LOAN.function("totalSupply")), _same))
    return out


def _pool_checks(conn: Connection, pool: str) -> list[Check]:
    out: list[Check] = []
    total = 0
    for r in conn.execute(select(s.pool_accounts).order_by(s.pool_accounts.c.lender)):
        out.append((f"pool account {r.lender}", "balance", r.balance,
                    Call(pool, POOL.function("lenderBalances"), (r.lender,)), _same))
        total += r.balance
    for r in conn.execute(select(s.pool_investments)):
        out.append((f"pool account {r.lender}", f"invested in {r.loan}", r.amount,
                    Call(pool, POOL.function("invested"), (r.lender, r.loan)), _same))
    for r in conn.execute(select(s.auto_invest_criteria)):
        out.append((f"pool account {r.lender}", "criteria", r.criteria,
                    Call(pool, POOL.function("criteriaOf"), (r.lender,)), _same))
    out.append(("pool", "total_balances", total, Call(pool, POOL.function("totalBalances")), _same))
    return out


def _treasury_checks(conn: Connection, treasury: str, trading: bool) -> list[Check]:
    """``trading``: the deployment has a note market (a treasury of before issue #16 has no Trading fee type)."""
    r = conn.execute(select(s.treasury)).first()
    t = dict(r._mapping) if r is not None else {c.name: 0 for c in s.treasury.columns}
    policy = Call(treasury, TREASURY.function("policy"))
    out: list[Check] = [
        ("treasury", "reserve", t["reserve"], Call(treasury, TREASURY.function("reserve")), _same),
        ("treasury", "available_fees", t["available_fees"], Call(treasury, TREASURY.function("availableFees")), _same),
        ("treasury", "origination_fees", t["origination_fees"],
         Call(treasury, TREASURY.function("feesCollected"), (0,)), _same),
        ("treasury", "servicing_fees", t["servicing_fees"],
         Call(treasury, TREASURY.function("feesCollected"), (1,)), _same),
        ("treasury", "reserve_used", t["reserve_used"], Call(treasury, TREASURY.function("reserveUsed")), _same),
        ("treasury", "reserve_share_bps", t["reserve_share_bps"], policy, lambda v: v["reserveShareBps"]),
        ("treasury", "default_cover_bps", t["default_cover_bps"], policy, lambda v: v["defaultCoverBps"]),
    ]
    if trading:
        out.append(("treasury", "trading_fees", t["trading_fees"],
                    Call(treasury, TREASURY.function("feesCollected"), (TRADING,)), _same))
    return out


def _settings(conn: Connection) -> dict[str, Any] | None:
    r = conn.execute(select(s.market_settings)).first()
    return None if r is None else dict(r._mapping)


def _market_checks(conn: Connection, market: str) -> list[Check]:
    """Every listing the index holds against `NoteMarket.listing(loan, seller)`: notes left (0 once cancelled or
    sold out, as on chain), premium, expiry, version; and the seller fee."""
    out: list[Check] = []
    query = (select(s.market_listings, s.loans.c.address).join(s.loans, s.loans.c.loan_id ==
                                                                s.market_listings.c.loan_id)
             .order_by(s.market_listings.c.loan_id, s.market_listings.c.seller))
    for r in conn.execute(query):
        entity = f"listing of {r.seller} in loan {r.loan_id}"
        call = Call(market, MARKET.function("listing"), (r.address, r.seller))
        out += [(entity, "notes", r.notes, call, lambda v: v["notes"]),
                (entity, "premium_bps", r.premium_bps, call, lambda v: v["premiumBps"]),
                (entity, "expiry", r.expiry, call, lambda v: v["expiry"]),
                (entity, "version", r.version, call, lambda v: v["version"])]
    settings = _settings(conn)
    if settings is not None:
        out.append(("note market", "seller_fee_bps", settings["seller_fee_bps"],
                    Call(market, MARKET.function("sellerFeeBps")), _same))
    return out


def _autopay_checks(conn: Connection, autopay: str) -> list[Check]:
    """Every enrolment's cap against `Autopay.capOf(loan)` (0 once cancelled), and the lead time."""
    out: list[Check] = []
    query = (select(s.autopay_enrolments, s.loans.c.address).join(s.loans, s.loans.c.loan_id ==
                                                                   s.autopay_enrolments.c.loan_id)
             .order_by(s.autopay_enrolments.c.loan_id))
    for r in conn.execute(query):
        out.append((f"autopay of loan {r.loan_id}", "cap", r.cap if r.active else 0,
                    Call(autopay, AUTOPAY.function("capOf"), (r.address,)), _same))
    settings = _settings(conn)
    if settings is not None:
        out.append(("autopay", "lead_time", settings["autopay_lead_time"],
                    Call(autopay, AUTOPAY.function("leadTime")), _same))
    return out


def _user_checks(conn: Connection, registry: str) -> list[Check]:
    out: list[Check] = []
    for r in conn.execute(select(s.users).order_by(s.users.c.address)):
        call = Call(registry, REGISTRY.function("getUser"), (r.address,))
        entity = f"user {r.address}"
        out += [(entity, "status", r.status, call, lambda v: v["status"]),
                (entity, "roles", r.roles, call, lambda v: v["roles"]),
                (entity, "kyc_commitment", r.kyc_commitment, call, lambda v: "0x" + bytes(v["kycCommitment"]).hex()),
                (entity, "kyc_valid_until", r.kyc_valid_until, call, lambda v: v["kycValidUntil"]),
                (entity, "grade", r.grade, call, lambda v: v["grade"]),
                (entity, "borrow_limit", r.borrow_limit, call, lambda v: v["borrowLimit"]),
                (entity, "credit_valid_until", r.credit_valid_until, call, lambda v: v["creditValidUntil"]),
                # (registries before issue #15 keep no default count: their view has no `defaults`)
                (entity, "defaults", r.defaults, call, lambda v: v.get("defaults", 0))]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    return value


def verify(engine: Engine, core: Core) -> Report:
    """Compares the index with the chain's views at the index's cursor block."""
    dep = core.deployment
    with engine.connect() as conn:
        block = int(conn.execute(select(s.sync_state.c.cursor)).scalar_one())
        checks: list[Check] = _loan_checks(conn) + _note_checks(conn)
        if "LendingPool" in dep.contracts:
            checks += _pool_checks(conn, core.address("LendingPool"))
        if "Treasury" in dep.contracts:
            checks += _treasury_checks(conn, core.address("Treasury"), "NoteMarket" in dep.contracts)
        if "UserRegistry" in dep.contracts:
            checks += _user_checks(conn, core.address("UserRegistry"))
        if "NoteMarket" in dep.contracts:
            checks += _market_checks(conn, core.address("NoteMarket"))
        if "Autopay" in dep.contracts:
            checks += _autopay_checks(conn, core.address("Autopay"))
    if block < dep.block:
        return Report(block, 0, [])
    unique: dict[tuple[str, bytes], int] = {}
    calls: list[Call] = []
    for _, _, _, call, _ in checks:
        key = (call.target, call.data)
        if key not in unique:
            unique[key] = len(calls)
            calls.append(call)
    values: Sequence[Any] = core.read(calls, block) if calls else []
    differences = []
    for entity, field, indexed, call, pick in checks:
        chain = _plain(pick(values[unique[(call.target, call.data)]]))
        mine = _plain(indexed)
        if mine != chain:
            differences.append(Difference(entity, field, mine, chain))
    return Report(block, len(checks), differences)
