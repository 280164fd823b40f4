"""The handlers of the market's accounts: the pool (cash accounts, investments, auto-invest criteria), the registry
(users' public status) and the treasury (fees, the reserve). One small handler per event, as in
`disfruta.index.handlers` (which merges these into its table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from disfruta.index import schema as s
from disfruta.index.writer import IndexedEvent, Writer

# IUserRegistry.Status
USER_PENDING, USER_VERIFIED, USER_REVOKED = 1, 2, 3
# ITreasury.FeeType (Trading: the note market's seller fees, issue #16)
ORIGINATION, SERVICING, SURPLUS, TRADING = 0, 1, 2, 3
FEE_COLUMNS = {ORIGINATION: "origination_fees", SERVICING: "servicing_fees", SURPLUS: "surplus_fees",
               TRADING: "trading_fees"}

Handler = Callable[[Writer, IndexedEvent], None]
ACCOUNT_HANDLERS: dict[tuple[str, str], Handler] = {}


def on(contract: str, name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ACCOUNT_HANDLERS[(contract, name)] = fn
        return fn

    return register


# ------------------------------------------------------------------------------------------------ LendingPool


def _account(w: Writer, lender: str) -> dict[str, Any]:
    return w.upsert(s.pool_accounts, lender)


@on("LendingPool", "Deposited")
def deposited(w: Writer, e: IndexedEvent) -> None:
    a, amount = e.args, int(e.args["amount"])
    acct = _account(w, str(a["lender"]))
    acct["balance"] += amount
    acct["deposited"] += amount
    w.fact(s.pool_movements, e, lender=a["lender"], kind="deposit", loan=None, amount=amount)


@on("LendingPool", "Withdrawn")
def withdrawn(w: Writer, e: IndexedEvent) -> None:
    a, amount = e.args, int(e.args["amount"])
    acct = _account(w, str(a["lender"]))
    acct["balance"] -= amount
    acct["withdrawn"] += amount
    w.fact(s.pool_movements, e, lender=a["lender"], kind="withdraw", loan=None, amount=amount)


@on("LendingPool", "Invested")
def invested(w: Writer, e: IndexedEvent) -> None:
    a, amount = e.args, int(e.args["amount"])
    acct = _account(w, str(a["lender"]))
    acct["balance"] -= amount
    acct["invested"] += amount
    w.upsert(s.pool_investments, a["lender"], a["loan"])["amount"] += amount
    kind = "auto_invest" if a["automatic"] else "invest"
    w.fact(s.pool_movements, e, lender=a["lender"], kind=kind, loan=a["loan"], amount=amount)


@on("LendingPool", "ReturnsClaimed")
def returns_claimed(w: Writer, e: IndexedEvent) -> None:
    a, amount = e.args, int(e.args["amount"])
    acct = _account(w, str(a["lender"]))
    acct["balance"] += amount
    acct["returns_claimed"] += amount
    w.fact(s.pool_movements, e, lender=a["lender"], kind="claim", loan=a["loan"], amount=amount)


@on("LendingPool", "CriteriaSet")
def criteria_set(w: Writer, e: IndexedEvent) -> None:
    c = dict(e.args["criteria"])
    row = w.upsert(s.auto_invest_criteria, e.args["lender"], criteria=c, enabled=bool(c["enabled"]), block=e.block)
    row.update(criteria=c, enabled=bool(c["enabled"]), block=e.block)


# ------------------------------------------------------------------------------------------------ UserRegistry


def _user(w: Writer, e: IndexedEvent) -> dict[str, Any]:
    user = w.upsert(s.users, e.args["user"], status=0, kyc_commitment="0x" + "00" * 32, registered_block=e.block)
    user["updated_block"] = e.block
    return user


@on("UserRegistry", "UserRegistered")
def user_registered(w: Writer, e: IndexedEvent) -> None:
    _user(w, e).update(status=USER_PENDING, roles=int(e.args["roles"]), kyc_commitment=e.args["kycCommitment"])


@on("UserRegistry", "KycUpdated")
def kyc_updated(w: Writer, e: IndexedEvent) -> None:
    _user(w, e).update(status=USER_PENDING, kyc_commitment=e.args["kycCommitment"], kyc_valid_until=0)


@on("UserRegistry", "UserVerified")
def user_verified(w: Writer, e: IndexedEvent) -> None:
    a = e.args
    _user(w, e).update(status=USER_VERIFIED, roles=int(a["roles"]), kyc_commitment=a["kycCommitment"],
                       kyc_valid_until=int(a["validUntil"]))


@on("UserRegistry", "CreditGradeSet")
def credit_grade_set(w: Writer, e: IndexedEvent) -> None:
    a = e.args
    _user(w, e).update(grade=int(a["grade"]), borrow_limit=int(a["borrowLimit"]),
                       credit_valid_until=int(a["validUntil"]))


@on("UserRegistry", "UserRevoked")
def user_revoked(w: Writer, e: IndexedEvent) -> None:
    _user(w, e).update(status=USER_REVOKED, kyc_valid_until=0, grade=0, borrow_limit=0, credit_valid_until=0)


@on("UserRegistry", "DefaultRecorded")
def default_recorded(w: Writer, e: IndexedEvent) -> None:
    """The registry counts the default and clears the grade given before it."""
    _user(w, e).update(defaults=int(e.args["defaults"]), last_default_at=e.timestamp, grade=0, borrow_limit=0,
                       credit_valid_until=0)


@on("UserRegistry", "UserReinstated")
def user_reinstated(w: Writer, e: IndexedEvent) -> None:
    _user(w, e)["status"] = USER_PENDING  # a fresh verification is still needed


@on("UserRegistry", "CreditRevoked")
def credit_revoked(w: Writer, e: IndexedEvent) -> None:
    _user(w, e).update(grade=0, borrow_limit=0, credit_valid_until=0)


# ------------------------------------------------------------------------------------------------ Treasury


def _treasury(w: Writer) -> dict[str, Any]:
    return w.upsert(s.treasury, 1)


@on("Treasury", "FeeCollected")
def fee_collected(w: Writer, e: IndexedEvent) -> None:
    a = e.args
    amount, to_reserve, fee_type = int(a["amount"]), int(a["toReserve"]), int(a["feeType"])
    t = _treasury(w)
    t["reserve"] += to_reserve
    t["available_fees"] += amount - to_reserve
    column = FEE_COLUMNS.get(fee_type)
    if column is not None:  # a fee type this index doesn't know is still in `events` and `fee_collections`
        t[column] += amount
    w.fact(s.fee_collections, e, loan=a["loan"], fee_type=fee_type, amount=amount, to_reserve=to_reserve)


@on("Treasury", "FeesDistributed")
def fees_distributed(w: Writer, e: IndexedEvent) -> None:
    t = _treasury(w)
    t["available_fees"] -= int(e.args["amount"])
    t["distributed"] += int(e.args["amount"])


@on("Treasury", "ReserveFunded")
def reserve_funded(w: Writer, e: IndexedEvent) -> None:
    t = _treasury(w)
    t["reserve"] += int(e.args["amount"])
    t["reserve_funded"] += int(e.args["amount"])


@on("Treasury", "ReserveUsed")
def reserve_used(w: Writer, e: IndexedEvent) -> None:
    t = _treasury(w)
    t["reserve"] -= int(e.args["amount"])
    t["reserve_used"] += int(e.args["amount"])


@on("Treasury", "ReserveRecovered")
def reserve_recovered(w: Writer, e: IndexedEvent) -> None:
    t = _treasury(w)
    t["reserve"] += int(e.args["amount"])
    t["reserve_recovered"] += int(e.args["amount"])


@on("Treasury", "PolicySet")
def policy_set(w: Writer, e: IndexedEvent) -> None:
    _treasury(w).update(reserve_share_bps=int(e.args["reserveShareBps"]),
                        default_cover_bps=int(e.args["defaultCoverBps"]))
