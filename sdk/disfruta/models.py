"""What the SDK's reads return: plain, typed dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, Generic, Iterator, NamedTuple, TypeVar

from disfruta.codec import decode_struct
from disfruta.deployment import Deployment  # noqa: F401  (re-exported: the one deployment model)
from disfruta.errors import DisfrutaError
from disfruta.grades import Grade

PURPOSES = ("debt consolidation", "credit card", "home improvement", "business", "car", "medical", "education",
            "other")


class LoanStatus(IntEnum):
    PENDING = 0
    FUNDING = 1
    FUNDED = 2
    ACTIVE = 3
    REPAID = 4
    DEFAULTED = 5
    REJECTED = 6
    EXPIRED = 7

    @classmethod
    def parse(cls, value: str | int) -> LoanStatus:
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(f"status must be one of {', '.join(s.name.lower() for s in cls)}, got {value!r}") from None


@dataclass(frozen=True)
class Receipt:
    """A mined transaction: its hash, block, gas, the price paid per gas and its decoded events."""

    tx_hash: str
    block: int
    gas_used: int
    events: list[Event]
    return_value: Any = None
    effective_gas_price: int = 0
    function: str = ""

    def find(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]

    def one(self, name: str) -> Event:
        """The single event named ``name`` (`EventNotFound` if there is none or several)."""
        found = self.find(name)
        if len(found) != 1:
            raise EventNotFound(f"transaction {self.tx_hash} emitted {len(found)} {name} events, expected one")
        return found[0]


class EventNotFound(DisfrutaError, LookupError):
    """A receipt has not exactly the one event asked for."""


class AppliedLoan(NamedTuple):
    """What ``loans.apply`` returns in ``receipt.return_value``."""

    loan_id: int
    address: str


@dataclass(frozen=True)
class Event:
    name: str
    address: str
    args: dict[str, Any]
    block: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class UserInfo:
    address: str
    status: str
    roles: int
    kyc_commitment: bytes
    kyc_valid_until: int
    grade: Grade | None
    borrow_limit: int
    credit_valid_until: int
    is_verified_lender: bool
    is_verified_borrower: bool
    defaults: int = 0  # defaults the registry recorded against the user (the oracle declines them)
    last_default_at: int = 0


@dataclass(frozen=True)
class LoanInfo:
    """One loan, its terms and where its repayment stands (amounts in token units)."""

    loan_id: int
    address: str
    borrower: str
    status: LoanStatus
    grade: Grade
    purpose: str
    goal: int
    principal: int
    funded: int
    annual_rate_bps: int
    term_months: int
    monthly_payment: int
    funding_deadline: int
    funded_at: int
    start_time: int
    principal_outstanding: int
    interest_owed: int
    late_fees_owed: int
    amount_due: int
    payoff_amount: int
    next_due_date: int
    days_past_due: int
    paused: bool
    fees_accrued: int = 0
    paid_toward_schedule: int = 0

    @property
    def funded_fraction(self) -> float:
        return self.funded / self.goal if self.goal else 0.0


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items and the cursor of the next page (``None``: nothing more to see)."""

    items: list[T]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: int
    payment: int
    interest: int
    principal: int
    paid: bool
    late: bool


@dataclass(frozen=True)
class AutoInvestCriteria:
    """A lender's standing instructions (amounts in token units; grades inclusive; purposes as codes).

    The fields are the ABI's ``ILendingPool.Criteria`` in snake_case; ``purposes`` is a set of codes here and a
    bitmask on chain (`to_struct` / `from_struct`).
    """

    enabled: bool = True
    min_grade: Grade = Grade.A1
    max_grade: Grade = Grade.E5
    min_rate_bps: int = 0
    max_rate_bps: int = 10_000
    max_term_months: int = 60
    purposes: tuple[int, ...] = tuple(range(len(PURPOSES)))
    amount_per_loan: int = 0
    max_per_borrower: int = 0
    cash_to_keep: int = 0

    def to_struct(self) -> dict[str, Any]:
        bits = 0
        for p in self.purposes:
            if not 0 <= p < 32:
                raise ValueError(f"purpose codes are 0 … 31, got {p}")
            bits |= 1 << p
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "purposes": bits}

    @classmethod
    def from_struct(cls, value: dict[str, Any]) -> AutoInvestCriteria:
        mask = int(value["purposes"])
        plain = {**value, "purposes": tuple(p for p in range(32) if mask >> p & 1)}
        return decode_struct(cls, plain)


# ------------------------------------------------------------------------------------ contract structs, by name
# Each mirrors an ABI struct field for field (snake_case); `disfruta.codec` refuses any mismatch.


@dataclass(frozen=True)
class LoanTerms:
    """``ILoan.Terms``: what the loan is (fixed at creation; principal may shrink on partial funding)."""

    loan_id: int
    borrower: str
    asset: str
    goal: int
    principal: int
    annual_rate_bps: int
    term_months: int
    grade: Grade
    purpose: int
    monthly_payment: int
    origination_fee_bps: int
    servicing_fee_bps: int
    funding_period: int


@dataclass(frozen=True)
class LoanPosition:
    """``ILoan.Position``: where the loan stands."""

    status: LoanStatus
    principal_outstanding: int
    interest_owed: int
    late_fees_owed: int
    paid_toward_schedule: int
    start_time: int
    funding_deadline: int
    funded_at: int
    acc_per_note: int
    fees_accrued: int


@dataclass(frozen=True)
class LoanConfig:
    """``ILoan.Config``: the market-wide rules baked into a loan's implementation (token units, seconds)."""

    factory: str
    registry: str
    treasury: str
    asset: str
    pool: str
    servicing_fee_bps: int
    late_fee_bps: int
    late_fee_min: int
    min_note: int
    partial_funding_bps: int
    grace_period: int
    default_after: int
    acceptance_window: int
    drawdown_window: int
    autopay: str


@dataclass(frozen=True)
class LoanLimits:
    """``ILoanFactory.Limits``."""

    min_amount: int
    max_amount: int
    min_term_months: int
    max_term_months: int
    min_funding_period: int
    max_funding_period: int


@dataclass(frozen=True)
class Recovery:
    """A defaulted loan's subrogation (``Loan.recovery()``): the reserve paid ``cover`` at default and owns
    ``cover / principal_at_default`` of every later recovery; ``reserve_accrued`` is its share not yet swept."""

    cover: int
    principal_at_default: int
    reserve_accrued: int


@dataclass(frozen=True)
class UserView:
    """``IUserRegistry.UserView``."""

    status: int
    roles: int
    kyc_commitment: bytes
    registered_at: int
    kyc_valid_until: int
    grade: int
    borrow_limit: int
    credit_valid_until: int
    kyc_nonce: int
    credit_nonce: int
    defaults: int  # defaults the registry recorded against the user (saturating at 255)
    last_default_at: int  # when the last one was recorded (0: never)


@dataclass(frozen=True)
class PortfolioLoan:
    loan_id: int
    address: str
    status: LoanStatus
    grade: Grade
    notes: int
    invested: int
    principal_outstanding: int
    received: int
    claimable: int
    interest_and_fees: int
    loss: int  # a defaulted loan: the lender's own (uncovered) principal still unrecovered
    expected_loss: int
    cover: int = 0  # the reserve's cover credited to these notes at default
    recoveries: int = 0  # the notes' part of what the borrower paid after the default


@dataclass(frozen=True)
class Portfolio:
    """A lender's position across loans (token units) with realised and expected returns."""

    lender: str
    pool_cash: int
    invested: int
    principal_outstanding: int
    received: int
    claimable: int
    interest_and_fees: int
    losses: int
    expected_losses: int
    expected_losses_by_grade: dict[str, int]
    net_annualized_return: float | None
    xirr: float | None
    loans: list[PortfolioLoan]
    cover: int = 0  # the reserve's cover received on defaulted loans (counted apart from interest)
    recoveries: int = 0  # received from borrowers after their default (counted apart from interest)


@dataclass(frozen=True)
class BorrowerDashboard:
    borrower: str
    grade: Grade | None
    borrow_limit: int
    exposure: int
    available_credit: int
    loans: list[LoanInfo]
    total_outstanding: int
    next_payment_due: int
    next_due_date: int


@dataclass(frozen=True)
class TreasuryInfo:
    reserve: int
    available_fees: int
    origination_fees: int
    servicing_fees: int
    reserve_used: int
    reserve_share_bps: int
    default_cover_bps: int
    surplus_swept: int = 0  # closed loans' unaccounted surplus swept by governance
    reserve_recovered: int = 0  # defaulted loans' recoveries paid back to the reserve (subrogation)


def fmt_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d") if ts else "-"
