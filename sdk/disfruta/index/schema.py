"""The index's tables (SQLAlchemy Core): what was read from the chain, and the state derived from it.

Three kinds of table:

* **the log of the chain** — ``blocks`` (hash and timestamp of each block the index holds), ``transactions`` (hash,
  block, from, to, gas used, effective gas price) and ``events`` (every decoded log of the deployment's contracts,
  args as JSON, unique on (tx hash, log index)), plus the one-row ``sync_state`` cursor and ``followed_contracts``
  (the fixed contracts whose logs are in ``events``);
* **facts**, one row per event (fundings, repayments with their split, claims, refunds, note transfers, defaults,
  fee collections, pool movements);
* **state** (loans, note positions, pool accounts, auto-invest criteria, users, the treasury's figures, the note
  market's listings, autopay enrolments, the two contracts' settings).

The note market and autopay (issue #16) are followed when the deployment names them: their listings and enrolments
are state, their trades and collections facts, like the rest (so a reorganisation rebuilds them from the events).

Facts and state are derived from ``events`` by the handlers (`disfruta.index.handlers`), so after a reorganisation
they are rebuilt from the events that remain. Token amounts are 256-bit integers: `Uint256` stores them exactly
(``NUMERIC(78, 0)`` on PostgreSQL, decimal text on SQLite, whose integers stop at 2**63).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Dialect,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator, TypeEngine


class Uint256(TypeDecorator[int]):
    """An unsigned 256-bit integer, exact on every backend."""

    impl = String(78)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(78, 0))
        return dialect.type_descriptor(String(78))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return Decimal(int(value))
        return str(int(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


metadata = MetaData()

ADDRESS = String(42)
HASH = String(66)


def _amount(name: str, **kwargs: Any) -> Column[Any]:
    return Column(name, Uint256(), nullable=False, default=0, **kwargs)


def _at() -> list[Column[Any]]:
    """Where a fact happened: block, its timestamp, the transaction and the log's index in it."""
    return [Column("block", BigInteger, nullable=False, index=True), Column("timestamp", BigInteger, nullable=False),
            Column("tx_hash", HASH, nullable=False), Column("log_index", Integer, nullable=False)]


# ------------------------------------------------------------------------------------------------ the chain's log

sync_state = Table(
    "sync_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("factory", ADDRESS, nullable=False),
    Column("start_block", BigInteger, nullable=False),
    Column("cursor", BigInteger, nullable=False),  # the last block fully indexed
    Column("cursor_hash", HASH, nullable=True),
)

blocks = Table(
    "blocks", metadata,
    Column("number", BigInteger, primary_key=True),
    Column("hash", HASH, nullable=False),
    Column("parent_hash", HASH, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

transactions = Table(
    "transactions", metadata,
    Column("hash", HASH, primary_key=True),
    Column("block", BigInteger, nullable=False, index=True),
    Column("tx_index", Integer, nullable=False),
    Column("sender", ADDRESS, nullable=False, index=True),
    Column("to", ADDRESS, nullable=True),
    Column("gas_used", BigInteger, nullable=False),
    Column("effective_gas_price", Uint256(), nullable=False),
    Column("success", Boolean, nullable=False),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("block", BigInteger, nullable=False, index=True),
    Column("tx_hash", HASH, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("address", ADDRESS, nullable=False, index=True),
    Column("contract", String(32), nullable=False),  # LoanFactory, Loan, LendingPool … ("" when not ours)
    Column("name", String(64), nullable=False, index=True),  # "" when no packaged ABI decodes it
    Column("args", JSON, nullable=False),  # by the ABI's names; the raw topics and data when not decoded
    UniqueConstraint("tx_hash", "log_index", name="uq_events_tx_log"),
)
Index("ix_events_block_log", events.c.block, events.c.log_index)

# The deployment's fixed contracts whose logs ``events`` holds from the start block on. A contract the deployment
# names later (the note market and autopay of issue #16, added to a running market) is read back to the start
# block once, before indexing goes on (`disfruta.index.sync.Indexer`).
followed_contracts = Table(
    "followed_contracts", metadata,
    Column("address", ADDRESS, primary_key=True),
    Column("contract", String(32), nullable=False),
    # The cursor when it was added: the start block − 1 for one followed from the start; for one added later, its
    # logs up to that block were read back then.
    Column("since_block", BigInteger, nullable=False),
)

# ------------------------------------------------------------------------------------------------ state

loans = Table(
    "loans", metadata,
    Column("loan_id", BigInteger, primary_key=True),
    Column("address", ADDRESS, nullable=False, unique=True),
    Column("borrower", ADDRESS, nullable=False, index=True),
    Column("status", Integer, nullable=False, index=True),
    Column("grade", Integer, nullable=False, index=True),
    Column("purpose", Integer, nullable=False),
    Column("annual_rate_bps", Integer, nullable=False, index=True),
    Column("term_months", Integer, nullable=False),
    _amount("goal"), _amount("principal"), _amount("funded"), _amount("monthly_payment"), _amount("origination_fee"),
    _amount("principal_outstanding"), _amount("interest_paid"), _amount("principal_paid"),
    _amount("late_fees_paid"), _amount("late_fees_assessed"), _amount("servicing_fees"), _amount("fees_swept"),
    _amount("reserve_cover"), _amount("defaulted_principal"), _amount("refunded"), _amount("claimed"),
    _amount("reserve_recovered"),  # recoveries after a default owed to the reserve (subrogation: RecoveryShared)
    _amount("acc_per_note"),  # the loan's per-note accumulator (1e27 fixed point), as the contract keeps it
    Column("funding_deadline", BigInteger, nullable=False, default=0),
    Column("funded_at", BigInteger, nullable=False, default=0),
    Column("start_time", BigInteger, nullable=False, default=0),
    Column("closed_at", BigInteger, nullable=False, default=0),
    # The due date of the first installment not covered by what was paid toward the schedule (the contract's
    # `_covered`): an active loan is late once the block time passes it. Lets the keeper select loans needing action.
    Column("uncovered_due", BigInteger, nullable=False, default=0, index=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("created_block", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_block", BigInteger, nullable=False),
)
Index("ix_loans_status_grade_rate", loans.c.status, loans.c.grade, loans.c.annual_rate_bps, loans.c.loan_id)

note_positions = Table(
    "note_positions", metadata,
    Column("loan_id", BigInteger, primary_key=True),
    Column("holder", ADDRESS, primary_key=True, index=True),
    _amount("notes"),
    _amount("owed"),  # checkpointed earnings not yet claimed (the contract's Holder.owed)
    _amount("acc_snapshot"),
    _amount("funded"), _amount("bought"), _amount("sold"), _amount("claimed"), _amount("refunded"),
)

pool_accounts = Table(
    "pool_accounts", metadata,
    Column("lender", ADDRESS, primary_key=True),
    _amount("balance"), _amount("deposited"), _amount("withdrawn"), _amount("invested"), _amount("returns_claimed"),
)

pool_investments = Table(
    "pool_investments", metadata,
    Column("lender", ADDRESS, primary_key=True),
    Column("loan", ADDRESS, primary_key=True),
    _amount("amount"),
)

auto_invest_criteria = Table(
    "auto_invest_criteria", metadata,
    Column("lender", ADDRESS, primary_key=True),
    Column("criteria", JSON, nullable=False),  # the ABI's Criteria struct by name
    Column("enabled", Boolean, nullable=False, index=True),
    Column("block", BigInteger, nullable=False),
)

users = Table(
    "users", metadata,
    Column("address", ADDRESS, primary_key=True),
    Column("status", Integer, nullable=False),  # IUserRegistry.Status: 0 none, 1 pending, 2 verified, 3 revoked
    Column("roles", Integer, nullable=False, default=0),
    Column("kyc_commitment", HASH, nullable=False),
    Column("kyc_valid_until", BigInteger, nullable=False, default=0),
    Column("grade", Integer, nullable=False, default=0),
    _amount("borrow_limit"),
    Column("credit_valid_until", BigInteger, nullable=False, default=0),
    Column("defaults", Integer, nullable=False, default=0),  # defaults the registry recorded (DefaultRecorded)
    Column("last_default_at", BigInteger, nullable=False, default=0),
    Column("registered_block", BigInteger, nullable=False),
    Column("updated_block", BigInteger, nullable=False),
)

treasury = Table(
    "treasury", metadata,
    Column("id", Integer, primary_key=True),
    _amount("reserve"), _amount("available_fees"), _amount("origination_fees"), _amount("servicing_fees"),
    _amount("reserve_used"), _amount("reserve_funded"), _amount("distributed"), _amount("surplus_fees"),
    _amount("reserve_recovered"),
    _amount("trading_fees"),  # the note market's seller fees (FeeType.Trading)
    Column("reserve_share_bps", Integer, nullable=False, default=0),
    Column("default_cover_bps", Integer, nullable=False, default=0),
)

# One listing per (loan, seller), as the contract keeps it: listing again replaces it (a new version). ``notes`` is
# what is left to buy (0 once cancelled or sold out), ``listed_notes`` what the current version offered; ``status``
# is active, cancelled or sold_out (an active listing past its expiry is still "active" here: expiry is a time).
market_listings = Table(
    "market_listings", metadata,
    Column("loan_id", BigInteger, primary_key=True),
    Column("seller", ADDRESS, primary_key=True, index=True),
    _amount("notes"), _amount("listed_notes"),
    Column("premium_bps", Integer, nullable=False, default=0),  # signed: −500 a 5 % discount
    Column("expiry", BigInteger, nullable=False, default=0),  # 0: none
    Column("version", BigInteger, nullable=False, default=0),
    Column("status", String(16), nullable=False, index=True),
    Column("listed_block", BigInteger, nullable=False),  # the current version's `Listed`
    Column("listed_log_index", Integer, nullable=False),
    Column("listed_at", BigInteger, nullable=False),
    Column("updated_block", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
Index("ix_market_listings_listed", market_listings.c.listed_block, market_listings.c.listed_log_index)

# One enrolment per loan (the contract's cap): ``cap`` is the last cap set; ``active`` whether it still stands.
autopay_enrolments = Table(
    "autopay_enrolments", metadata,
    Column("loan_id", BigInteger, primary_key=True),
    Column("borrower", ADDRESS, nullable=False, index=True),
    _amount("cap"),
    Column("active", Boolean, nullable=False, default=False, index=True),
    Column("enrolled_block", BigInteger, nullable=False, default=0),  # since when the current enrolment stands
    Column("enrolled_at", BigInteger, nullable=False, default=0),
    Column("cancelled_at", BigInteger, nullable=False, default=0),  # the last cancellation (0: never)
    Column("updated_block", BigInteger, nullable=False),
)

# The two contracts' governance settings (one row): the market's seller fee and autopay's lead time.
market_settings = Table(
    "market_settings", metadata,
    Column("id", Integer, primary_key=True),
    Column("seller_fee_bps", Integer, nullable=False, default=0),
    Column("autopay_lead_time", BigInteger, nullable=False, default=0),
)

# ------------------------------------------------------------------------------------------------ facts


def _fact(name: str, *columns: Column[Any]) -> Table:
    table = Table(name, metadata, Column("id", Integer, primary_key=True, autoincrement=True), *_at(), *columns,
                  UniqueConstraint("tx_hash", "log_index", name=f"uq_{name}_tx_log"))
    return table


fundings = _fact(
    "fundings", Column("loan_id", BigInteger, nullable=False, index=True),
    Column("lender", ADDRESS, nullable=False, index=True), Column("payer", ADDRESS, nullable=False),
    _amount("amount"))
repayments = _fact(
    "repayments", Column("loan_id", BigInteger, nullable=False, index=True), Column("payer", ADDRESS, nullable=False),
    _amount("amount"), _amount("late_fees"), _amount("interest"), _amount("principal"), _amount("servicing_fee"),
    _amount("principal_outstanding"), _amount("notes_total"))
claims = _fact(
    "claims", Column("loan_id", BigInteger, nullable=False, index=True),
    Column("lender", ADDRESS, nullable=False, index=True), Column("to", ADDRESS, nullable=False), _amount("amount"))
refunds = _fact(
    "refunds", Column("loan_id", BigInteger, nullable=False, index=True),
    Column("lender", ADDRESS, nullable=False, index=True), _amount("amount"))
note_transfers = _fact(
    "note_transfers", Column("loan_id", BigInteger, nullable=False, index=True),
    Column("sender", ADDRESS, nullable=False, index=True), Column("receiver", ADDRESS, nullable=False, index=True),
    _amount("amount"))
defaults = _fact(
    "defaults", Column("loan_id", BigInteger, nullable=False, unique=True), _amount("principal_outstanding"),
    _amount("reserve_cover"), Column("days_past_due", Integer, nullable=False))
fee_collections = _fact(
    # ``loan``: who paid the fee in (the note market, for its trading fees)
    "fee_collections", Column("loan", ADDRESS, nullable=False, index=True), Column("fee_type", Integer, nullable=False),
    _amount("amount"), _amount("to_reserve"))
pool_movements = _fact(
    "pool_movements", Column("lender", ADDRESS, nullable=False, index=True), Column("kind", String(16), nullable=False),
    Column("loan", ADDRESS, nullable=True), _amount("amount"))

market_trades = _fact(
    "market_trades", Column("loan_id", BigInteger, nullable=False, index=True),
    Column("seller", ADDRESS, nullable=False, index=True), Column("buyer", ADDRESS, nullable=False, index=True),
    _amount("notes"), _amount("price"), _amount("fee"), Column("version", BigInteger, nullable=False))
autopay_collections = _fact(
    "autopay_collections", Column("loan_id", BigInteger, nullable=False, index=True),
    Column("borrower", ADDRESS, nullable=False, index=True), Column("caller", ADDRESS, nullable=False),
    Column("due_date", BigInteger, nullable=False), _amount("amount"))

STATE_TABLES = (loans, note_positions, pool_accounts, pool_investments, auto_invest_criteria, users, treasury,
                market_listings, autopay_enrolments, market_settings)
FACT_TABLES = (fundings, repayments, claims, refunds, note_transfers, defaults, fee_collections, pool_movements,
               market_trades, autopay_collections)
DERIVED_TABLES = STATE_TABLES + FACT_TABLES
