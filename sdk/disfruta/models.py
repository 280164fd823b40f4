"""What the SDK's reads return: plain, typed dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from decimal import Decimal
from enum import IntEnum
from typing import Any, Callable, Generic, Iterator, NamedTuple, TypeVar

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
class LoanStanding:
    """``ILoan.Standing``: what the note market and autopay read of a loan in one call (next due date and installments
    left are 0 unless active)."""

    status: LoanStatus
    borrower: str
    principal_outstanding: int
    unpaid: int  # interest and late fees owed now, accrued to the block
    notes: int
    next_due_date: int
    installments_left: int
    grace_period: int
    servicing_fee_bps: int


@dataclass(frozen=True)
class ListingState:
    """``INoteMarket.Listing``: a seller's listing on one loan as stored (``notes`` = 0: none, cancelled or sold
    out); ``premium_bps`` is signed (−500 = a 5 % discount to the notes' outstanding principal)."""

    notes: int
    premium_bps: int
    expiry: int
    version: int


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
    # Loan id → its autopay (every open loan: pending to active), empty on a deployment without Autopay.
    autopay: dict[int, AutopayStatus] = field(default_factory=dict)


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


# ------------------------------------------------------------------------------------ note market (#16)

WAD = 10**18


@dataclass(frozen=True)
class Quote:
    """What buying ``notes`` of a listing costs now (``NoteMarket.quote``): the ``price`` the buyer pays, the seller
    ``fee`` within it (to the Treasury), and the buyer's yield to maturity at that price if the borrower pays as
    scheduled (annual, ``yield_wad`` 1e18 = 100 %)."""

    notes: int
    price: int
    fee: int
    yield_wad: int

    @property
    def seller_receives(self) -> int:
        return self.price - self.fee

    @property
    def annual_yield(self) -> float:
        """The yield as a fraction (0.11 = 11 % a year)."""
        return self.yield_wad / WAD


@dataclass(frozen=True)
class Listing:
    """A live listing of a loan's notes with what it costs now.

    ``notes`` is what the seller listed (what is left of it after partial sales); ``available`` what can be bought
    now (no more than the seller still holds and has approved the market for); ``quote`` the price of all ``notes``
    now (``None`` when the market can't quote it: e.g. the loan is no longer active)."""

    loan_id: int
    loan: str
    seller: str
    notes: int
    premium_bps: int
    expiry: int  # 0: no expiry
    version: int
    available: int
    quote: Quote | None

    @property
    def price(self) -> int:
        return self.quote.price if self.quote is not None else 0

    def expired(self, now: int) -> bool:
        return self.expiry != 0 and now > self.expiry


@dataclass(frozen=True)
class Trade:
    """One purchase on the note market (a ``NotesSold`` event): ``price`` paid by the buyer, ``fee`` of it to the
    Treasury, the rest to the seller."""

    loan_id: int
    loan: str
    seller: str
    buyer: str
    notes: int
    price: int
    fee: int
    version: int
    block: int
    tx_hash: str
    timestamp: int


# ------------------------------------------------------------------------------------ autopay (#16)


class Refusal(IntEnum):
    """``IAutopay.Refusal``: why a collection can't happen now."""

    NOT_ENROLLED = 0
    LOAN_NOT_ACTIVE = 1
    BORROWER_REVOKED = 2
    TOO_EARLY = 3
    TOO_LATE = 4
    NOTHING_DUE = 5
    ABOVE_CAP = 6
    INSUFFICIENT_BALANCE = 7
    INSUFFICIENT_ALLOWANCE = 8
    PAUSED = 9

    @property
    def is_failure(self) -> bool:
        """Whether the refusal is a failed collection (the borrower must act: top up, approve, raise the cap, pay
        by hand) rather than nothing to do yet."""
        return self in _FAILURES

    def describe(self, detail: int, *, cap: int = 0, decimals: int = 0) -> str:
        """The refusal in words, with the figure behind it (``detail``, as ``preview`` reports it)."""
        def tokens(units: int) -> str:
            return f"{Decimal(units).scaleb(-decimals):,.2f}" if decimals else f"{units} token units"

        words: dict[Refusal, Callable[[], str]] = {
            Refusal.NOT_ENROLLED: lambda: "the loan is not enrolled in autopay",
            Refusal.LOAN_NOT_ACTIVE: lambda: f"the loan is {_status_name(detail)}, not active",
            Refusal.BORROWER_REVOKED: lambda: "the borrower's verification is revoked",
            Refusal.TOO_EARLY: lambda: f"the collection window opens {fmt_datetime(detail)}",
            Refusal.TOO_LATE: lambda: f"the collection window closed {fmt_datetime(detail)} (past the grace "
                                      "period): pay by hand",
            Refusal.NOTHING_DUE: lambda: "nothing is due",
            Refusal.ABOVE_CAP: lambda: f"{tokens(detail)} is due, above the cap of {tokens(cap)}",
            Refusal.INSUFFICIENT_BALANCE: lambda: f"the borrower's balance is below the {tokens(detail)} due",
            Refusal.INSUFFICIENT_ALLOWANCE: lambda: f"the borrower's allowance to Autopay is below the "
                                                    f"{tokens(detail)} due",
            Refusal.PAUSED: lambda: "autopay is paused by the guardian",
        }
        return words[self]()


_FAILURES = frozenset({Refusal.BORROWER_REVOKED, Refusal.TOO_LATE, Refusal.ABOVE_CAP, Refusal.INSUFFICIENT_BALANCE,
                       Refusal.INSUFFICIENT_ALLOWANCE})


def _status_name(value: int) -> str:
    try:
        return LoanStatus(value).name.lower()
    except ValueError:
        return f"in status {value}"


@dataclass(frozen=True)
class AutopayPreview:
    """``Autopay.preview(loan)``: whether ``collect`` would succeed now; ``amount`` what it would pull when it would,
    else ``refusal`` and ``detail`` (the figure behind it: when the window opens or closed, the amount due …);
    ``due_date`` the installment's (0 unless active); ``cap`` the enrolment's (0: not enrolled)."""

    loan_id: int
    loan: str
    cap: int
    collectable: bool
    refusal: Refusal | None
    detail: int
    due_date: int

    @property
    def amount(self) -> int:
        return self.detail if self.collectable else 0

    def reason(self, decimals: int = 0) -> str | None:
        """The refusal in words (amounts in whole tokens given the token's ``decimals``); ``None`` if collectable."""
        return None if self.refusal is None else self.refusal.describe(self.detail, cap=self.cap, decimals=decimals)


@dataclass(frozen=True)
class AutopayFailure:
    """A collection the keeper could not make: of ``loan_id``'s installment due ``due_date``, at ``at`` (unix
    seconds), for ``refusal`` (``reason`` in words)."""

    loan_id: int
    loan: str
    refusal: Refusal
    reason: str
    detail: int
    due_date: int
    at: int


@dataclass(frozen=True)
class AutopayStatus:
    """A loan's autopay: enrolled with ``cap`` (0: not enrolled), the next installment's due date and its collection
    window (``window_opens`` … ``window_closes``, 0 unless active), whether a collection would succeed now
    (``collectable`` and ``amount``, else ``refusal`` and ``reason`` in words) and the keeper's last failed attempt,
    when the keeper's record was given."""

    loan_id: int
    loan: str
    borrower: str
    enrolled: bool
    cap: int
    next_due_date: int
    window_opens: int
    window_closes: int
    collectable: bool
    amount: int
    refusal: Refusal | None
    reason: str | None
    last_failure: AutopayFailure | None = None


def fmt_datetime(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"


def fmt_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d") if ts else "-"
