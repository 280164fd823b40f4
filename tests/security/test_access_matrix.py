"""Access-control matrix: every state-changing function of every core contract, called by an account with no role.

Each entry of ``MATRIX`` says what a caller without any role gets: ``Guarded`` (the exact custom error and its
values) or ``Public`` (callable by anyone on purpose, with the reason). The ABI test fails when a contract gains a
state-changing function that has no entry (or loses one that has), so every new entry point needs a decision here.
InterestCalculator is pure and has none. Invariant 7 of DESIGN.md ("nothing privileged without the role") is also
fuzzed by the Foundry campaign (test/invariant/handlers/AttackerHandler.sol).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import YEAR, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

CORE = ("UserRegistry", "LoanFactory", "Loan", "LendingPool", "Treasury", "NoteMarket", "Autopay")
Ctx = SimpleNamespace


@dataclass(frozen=True)
class Guarded:
    """Reverts for a caller without the role with ``error`` and the values ``inputs(ctx)``."""

    error: str
    args: Callable[[Ctx], tuple[Any, ...]] = lambda c: ()
    inputs: Callable[[Ctx], dict[str, Any]] = lambda c: {}
    role: str = ""


@dataclass(frozen=True)
class Public:
    """Callable by anyone on purpose."""

    reason: str
    args: Callable[[Ctx], tuple[Any, ...]] = field(default=lambda c: ())


def role(name: str, args: Callable[[Ctx], tuple[Any, ...]] = lambda c: ()) -> Guarded:
    """An OpenZeppelin role check: ``AccessControlUnauthorizedAccount(caller, role)``."""
    return Guarded("AccessControlUnauthorizedAccount", args,
                   lambda c, name=name: {"account": c.stranger.address, "neededRole": getattr(c.roles, name)},
                   role=name)


def initializer(args: Callable[[Ctx], tuple[Any, ...]]) -> Guarded:
    return Guarded("InvalidInitialization", args, role="initializer (runs once, in the proxy's constructor)")


def only_loan(error: str, args: Callable[[Ctx], tuple[Any, ...]] = lambda c: ()) -> Guarded:
    key = "caller"
    return Guarded(error, args, lambda c: {key: c.stranger.address}, role="a loan the factory made")


ADMIN, KYC, REVOKER, GUARDIAN, UNDERWRITER = "admin", "kyc_admin", "revoker", "guardian", "underwriter"
RECORDER = "default_recorder"
OWN = "acts only on the caller's own "

COMMON_AC: dict[str, Guarded | Public] = {
    "grantRole(bytes32,address)": role(ADMIN, lambda c: (c.roles.guardian, c.stranger)),
    "revokeRole(bytes32,address)": role(ADMIN, lambda c: (c.roles.guardian, c.guardian)),
    "renounceRole(bytes32,address)": Public(OWN + "roles (AccessControlBadConfirmation for anyone else's)"),
    "upgradeToAndCall(address,bytes)": role(ADMIN, lambda c: (c.impl, b"")),
}

MATRIX: dict[str, dict[str, Guarded | Public]] = {
    "UserRegistry": {
        **COMMON_AC,
        "initialize(address,uint256)": initializer(lambda c: (c.stranger, YEAR)),
        "addSigner(address)": role(ADMIN, lambda c: (c.stranger,)),
        # Only removal is open to the guardian (a leaked oracle key must not wait for the timelock).
        "removeSigner(address)": role(GUARDIAN, lambda c: (c.oracle.address,)),
        "setKycValidity(uint256)": role(ADMIN, lambda c: (30 * 86_400,)),
        "pause()": role(GUARDIAN),
        "unpause()": role(ADMIN),
        "verifyUser(address)": role(KYC, lambda c: (c.lender,)),
        "revokeUser(address,bytes32)": role(REVOKER, lambda c: (c.lender, b"\x01" * 32)),
        "revokeCredit(address,bytes32)": role(REVOKER, lambda c: (c.lender, b"\x01" * 32)),
        # A revocation is sticky: only the revoker lifts it.
        "reinstateUser(address)": role(REVOKER, lambda c: (c.lender,)),
        "recordDefault(address)": role(RECORDER, lambda c: (c.lender,)),
        "setCreditValidity(uint256)": role(ADMIN, lambda c: (30 * 86_400,)),
        # multicall runs each inner call with the caller as msg.sender: it can't lend a role. Shown with verifyUser.
        "multicall(bytes[])": role(KYC, lambda c: ([c.market.registry.verifyUser.encode_input(c.lender)],)),
        "registerUser(bytes32,uint8)": Public(OWN + "record: it creates a *pending* registration of msg.sender"),
        "updateKYC(bytes32)": Public(OWN + "record, and sends it back to pending until verified again"),
        "submitKycAttestation((address,uint8,bytes32,uint64,uint64,uint64),address,bytes)": Public(
            "authorised by the oracle signer's EIP-712 signature (chain, registry, nonce, deadline), not by the "
            "submitter: anyone may relay it"),
        "submitCreditAttestation((address,uint8,uint128,uint64,uint64,uint64),address,bytes)": Public(
            "authorised by the oracle signer's EIP-712 signature, like the KYC attestation"),
    },
    "LoanFactory": {
        **COMMON_AC,
        "initialize(address,address,address,(uint128,uint128,uint16,uint16,uint32,uint32))": initializer(
            lambda c: (c.stranger, c.stranger, c.stranger, (1, 2, 1, 2, 1, 2))),
        "createLoan(uint256,uint256,uint8,uint256)": Guarded(
            "LoanFactoryBorrowerNotEligible", lambda c: (1_000 * c.unit, 12, 0, 86_400 * 7),
            lambda c: {"borrower": c.stranger.address}, role="verified borrower with a current grade"),
        "approveLoan(uint256)": role(UNDERWRITER, lambda c: (c.loan_id,)),
        "rejectLoan(uint256,bytes32)": role(UNDERWRITER, lambda c: (c.loan_id, b"\x01" * 32)),
        "pauseLoan(uint256)": role(UNDERWRITER, lambda c: (c.loan_id,)),
        "unpauseLoan(uint256)": role(UNDERWRITER, lambda c: (c.loan_id,)),
        "loanClosed()": only_loan("LoanFactoryNotLoan"),
        "loanDefaulted(uint256)": only_loan("LoanFactoryNotLoan", lambda c: (1,)),
        "writeOffLoan(uint256)": role(ADMIN, lambda c: (c.loan_id,)),
        "sweepLoanSurplus(uint256)": role(ADMIN, lambda c: (c.loan_id,)),
        "setRate(uint8,uint16,uint16)": role(ADMIN, lambda c: (1, 100, 0)),
        "setLimits((uint128,uint128,uint16,uint16,uint32,uint32))": role(ADMIN, lambda c: ((1, 2, 1, 2, 1, 2),)),
        "setLoanImplementation(address)": role(ADMIN, lambda c: (c.market.loan_implementation,)),
        "pause()": role(GUARDIAN),
        "unpause()": role(ADMIN),
    },
    "Loan": {
        "initialize((uint64,address,uint128,uint16,uint16,uint8,uint8,uint16,uint32))": Guarded(
            "LoanOnlyFactory", lambda c: ((9, c.stranger, 1_000 * c.unit, 600, 12, 1, 0, 100, 86_400),),
            lambda c: {"caller": c.stranger.address}, role="the factory"),
        "open()": Guarded("LoanOnlyFactory", inputs=lambda c: {"caller": c.stranger.address}, role="the factory"),
        "reject()": Guarded("LoanOnlyFactory", inputs=lambda c: {"caller": c.stranger.address}, role="the factory"),
        "setPaused(bool)": Guarded("LoanOnlyFactory", lambda c: (True,), lambda c: {"caller": c.stranger.address},
                                   role="the factory"),
        "sweepSurplus()": Guarded("LoanOnlyFactory", inputs=lambda c: {"caller": c.stranger.address},
                                  role="the factory (governance: LoanFactory.sweepLoanSurplus)"),
        "withdrawFunds()": Guarded("LoanOnlyBorrower", inputs=lambda c: {"caller": c.stranger.address},
                                   role="the loan's borrower"),
        "acceptPartialFunding()": Guarded("LoanOnlyBorrower", inputs=lambda c: {"caller": c.stranger.address},
                                          role="the loan's borrower"),
        "claimFor(address)": Guarded("LoanNotClaimer", lambda c: (c.lender,),
                                     lambda c: {"caller": c.stranger.address, "lender": c.lender.address},
                                     role="the market's pool, or a claimer the lender approved"),
        "fundLoan(uint256)": Guarded("LoanNotVerifiedLender", lambda c: (25 * c.unit,),
                                     lambda c: {"account": c.stranger.address}, role="verified lender"),
        "fundLoanFor(address,uint256)": Guarded("LoanNotFunder", lambda c: (c.lender, 25 * c.unit),
                                                lambda c: {"caller": c.stranger.address, "lender": c.lender.address},
                                                role="the market's pool, or a funder the lender approved"),
        "makeRepayment(uint256)": Public("anyone may pay for the borrower (DESIGN: Repay); it only adds money"),
        "makeRepaymentFor(uint256)": Guarded("LoanOnlyAutopay", lambda c: (1,),
                                             lambda c: {"caller": c.stranger.address}, role="the market's Autopay"),
        "claim()": Public(OWN + "notes' payouts, sent to the caller"),
        "refund()": Public(OWN + "notes, once the loan was rejected or expired"),
        "setClaimer(address,bool)": Public(OWN + "claim approvals"),
        "setFunder(address,bool)": Public(OWN + "funding approvals"),
        "expire()": Public("anyone may close failed funding; the deadline/threshold rules decide, not the caller"),
        "handleDefault()": Public("anyone may declare a default at 120 days past due (DESIGN: Default)"),
        "sweepFees()": Public("anyone may sweep; the fees can only go to the Treasury"),
        "approve(address,uint256)": Public("ERC-20 of notes: " + OWN + "allowance"),
        "transfer(address,uint256)": Public("ERC-20 of notes: " + OWN + "notes, to verified lenders only"),
        "transferFrom(address,address,uint256)": Public("ERC-20 of notes: needs the holder's allowance"),
    },
    "LendingPool": {
        **COMMON_AC,
        "initialize(address,address,address)": initializer(lambda c: (c.stranger, c.stranger, c.stranger)),
        "pause()": role(GUARDIAN),
        "unpause()": role(ADMIN),
        "deposit(uint256)": Public(OWN + "cash account"),
        "depositWithPermit(uint256,uint256,uint8,bytes32,bytes32)": Public(OWN + "cash account, with their permit"),
        "withdraw(uint256)": Public(OWN + "cash account"),
        "invest(address,uint256)": Public(OWN + "cash; the loan checks the lender's verification"),
        "setCriteria((bool,uint8,uint8,uint16,uint16,uint16,uint32,uint128,uint128,uint128))": Public(
            OWN + "auto-invest criteria"),
        "autoInvest(address,address[])": Public(
            "the keeper is anyone: the contract re-checks each lender's own criteria, cash and caps"),
        "claimReturns(address)": Public(OWN + "payouts, credited to the caller's own account"),
    },
    "Treasury": {
        **COMMON_AC,
        "initialize(address,address,address,uint16,uint16)": initializer(
            lambda c: (c.stranger, c.stranger, c.stranger, 0, 0)),
        "collectFee(uint256,uint8)": only_loan("TreasuryNotLoan", lambda c: (1, 0)),
        "useReserveForDefault(uint256)": only_loan("TreasuryNotLoan", lambda c: (10**6,)),
        "collectRecovery(uint256)": only_loan("TreasuryNotLoan", lambda c: (1,)),
        "distributeFees(address,uint256)": role(ADMIN, lambda c: (c.stranger, 1)),
        "setPolicy(uint16,uint16)": role(ADMIN, lambda c: (0, 10_000)),
        "fundReserve(uint256)": Public("anyone may add to the reserve; it only adds money"),
    },
    "NoteMarket": {
        **COMMON_AC,
        "initialize(address,uint256)": initializer(lambda c: (c.stranger, 100)),
        "setSellerFee(uint256)": role(ADMIN, lambda c: (50,)),
        "pause()": role(GUARDIAN),
        "unpause()": role(ADMIN),
        "list(address,uint256,int256,uint256)": Public(
            OWN + "notes, as an offer: the purchase checks every trading rule"),
        "cancel(address)": Public(OWN + "listing"),
        "buy(address,address,uint256,uint256,uint256)": Public(
            "any verified lender may buy a listing at its price; the loan's transfer checks both sides"),
        "sweepFees()": Public("anyone may sweep: the fees are already in the Treasury and can only be booked there"),
    },
    "Autopay": {
        **COMMON_AC,
        "initialize(address,uint256)": initializer(lambda c: (c.stranger, 86_400)),
        "setLeadTime(uint256)": role(ADMIN, lambda c: (86_400,)),
        "pause()": role(GUARDIAN),
        "unpause()": role(ADMIN),
        "enrol(address,uint256)": Guarded(
            "AutopayNotBorrower", lambda c: (c.loan, 1),
            lambda c: {"caller": c.stranger.address, "borrower": c.loan.borrower()}, role="the loan's borrower"),
        # Not enrolled is refused first; a stranger on an enrolled loan gets AutopayNotBorrower (test_autopay.py).
        "cancel(address)": Guarded("AutopayNotEnrolled", lambda c: (c.loan,), lambda c: {"loan": c.loan.address},
                                   role="the loan's borrower, on an enrolled loan"),
        "pull(uint256)": Guarded("AutopayNotCollecting", lambda c: (1,), lambda c: {"caller": c.stranger.address},
                                 role="the loan being collected, inside collect"),
        "collect(address)": Public(
            "the keeper is anyone: the window, the cap and the amount due decide; the money goes borrower → loan"),
    },
}


def _state_changing(contract_type: Any) -> set[str]:
    return {abi.selector for abi in contract_type.abi if getattr(abi, "type", "") == "function"
            and abi.stateMutability in ("nonpayable", "payable")}


def test_matrix__every_state_changing_function_has_an_entry(project):
    """A new external function without an entry (or an entry for a removed one) fails here."""
    for name in CORE:
        in_abi = _state_changing(getattr(project, name).contract_type)
        listed = set(MATRIX[name])
        assert not in_abi - listed, f"{name}: no access-matrix entry for {sorted(in_abi - listed)}"
        assert not listed - in_abi, f"{name}: stale access-matrix entries {sorted(listed - in_abi)}"
    assert not _state_changing(project.InterestCalculator.contract_type), "InterestCalculator is meant to be pure"


def test_matrix__every_public_entry_has_a_reason():
    for name, entries in MATRIX.items():
        for sig, entry in entries.items():
            if isinstance(entry, Public):
                assert len(entry.reason) > 20, f"{name}.{sig}: say why it is public"


GUARDED = [(name, sig) for name, entries in MATRIX.items() for sig, entry in entries.items()
           if isinstance(entry, Guarded)]


@pytest.fixture
def ctx(request, market, stranger, lender, guardian, oracle, unit):
    reg = market.registry
    # Only the Loan rows and the underwriter's rows need a live loan (a clone in Funding).
    name, sig = request.node.callspec.params["name"], request.node.callspec.params["sig"]
    needs_loan = name in ("Loan", "Autopay") or "Loan(uint256" in sig
    loan = request.getfixturevalue("create_loan")(amount_tokens=1_000) if needs_loan else None
    roles = SimpleNamespace(
        admin=reg.DEFAULT_ADMIN_ROLE(), kyc_admin=reg.KYC_ADMIN_ROLE(), revoker=reg.REVOKER_ROLE(),
        guardian=reg.GUARDIAN_ROLE(), underwriter=market.factory.UNDERWRITER_ROLE(),
        default_recorder=reg.DEFAULT_RECORDER_ROLE(),
    )
    return SimpleNamespace(market=market, loan=loan, loan_id=loan.loanId() if loan else 1, stranger=stranger, lender=lender,
                           guardian=guardian, oracle=oracle, unit=unit, roles=roles, impl=None)


def _target(ctx: Ctx, name: str) -> Any:
    m = ctx.market
    contract = {"UserRegistry": m.registry, "LoanFactory": m.factory, "Loan": ctx.loan, "LendingPool": m.pool,
                "Treasury": m.treasury, "NoteMarket": m.note_market, "Autopay": m.autopay}[name]
    ctx.impl = m.implementations.get(name, m.loan_implementation)
    return contract


@pytest.mark.parametrize("name,sig", GUARDED, ids=[f"{n}.{s.split('(')[0]}" for n, s in GUARDED])
def test_privileged_function__caller_without_role__reverts_with_access_error(ctx, name, sig):
    entry = MATRIX[name][sig]
    assert isinstance(entry, Guarded)
    contract = _target(ctx, name)
    method = getattr(contract, sig.split("(")[0])
    with reverts(entry.error, **entry.inputs(ctx)):
        method(*entry.args(ctx), sender=ctx.stranger)


def test_treasury_trading_fee__caller_without_fee_collector_role__reverts(market, stranger):
    """`collectFee` takes a trading fee (FeeType 3) only from the note market's FEE_COLLECTOR_ROLE; a loan can't
    book one either way round."""
    role = market.treasury.FEE_COLLECTOR_ROLE()
    with reverts("AccessControlUnauthorizedAccount", account=stranger.address, neededRole=role):
        market.treasury.collectFee(1, 3, sender=stranger)
    assert market.treasury.hasRole(role, market.note_market)


@pytest.mark.parametrize("sig", [s for s, e in MATRIX["Loan"].items() if isinstance(e, Guarded)
                                 and e.error == "LoanOnlyFactory"])
def test_loan_implementation__factory_only_function__reverts_for_caller_without_role(market, stranger, unit, sig):
    """The Loan implementation (the code every clone runs) refuses the same calls as a clone."""
    entry = MATRIX["Loan"][sig]
    assert isinstance(entry, Guarded)
    c = SimpleNamespace(stranger=stranger, unit=unit)
    with reverts(entry.error, **entry.inputs(c)):
        getattr(market.loan_implementation, sig.split("(")[0])(*entry.args(c), sender=stranger)
