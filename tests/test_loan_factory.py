"""LoanFactory: applications and their checks, underwriting, the rate table, limits, the Loan implementation, the
borrower exposure limit, roles, pause, and the proxy's initialisation and upgrade rights."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from disfruta.attestations import Role
from disfruta.governance.market import MarketParams, deploy_proxy

from conftest import DAY, Status, loan_config, reverts

pytestmark = pytest.mark.usefixtures("fast_reverts")

ZERO = "0x0000000000000000000000000000000000000000"
ADMIN_ROLE = b"\x00" * 32
REASON = keccak(text="income not verified")


@pytest.fixture
def bare_factory(project, admin, market, unit):
    """A second factory on the market's registry and asset, with no rates and no Loan implementation yet."""
    factory, _ = deploy_proxy(project, admin, project.LoanFactory, admin, market.registry, market.asset,
                              MarketParams().limits(unit))
    return factory


def created(project, factory, tx):
    return project.Loan.at(tx.events.filter(factory.LoanCreated)[0].loan)


# ----------------------------------------------------------------------------------------------- applications


def test_create_loan__verified_borrower__clone_priced_from_rate_table(project, market, factory, onboard, borrower,
                                                                      unit):
    onboard(borrower, Role.BORROWER, grade=8)
    rate, orig_bps = factory.rateFor(8)
    assert (rate, orig_bps) == (1_300, 245)
    tx = factory.createLoan(5_000 * unit, 24, 3, 10 * DAY, sender=borrower)
    loan = created(project, factory, tx)
    assert tx.events.filter(factory.LoanCreated) == [
        factory.LoanCreated(loanId=1, loan=loan, borrower=borrower, amount=5_000 * unit, annualRateBps=rate,
                            termMonths=24, grade=8, purpose=3)
    ]
    assert tx.return_value == (1, loan.address)
    assert (factory.loans(1), factory.isLoan(loan), factory.loanIdOf(loan), factory.loanCounter()) == (loan, True, 1, 1)
    assert not factory.isLoan(market.loan_implementation)
    assert loan.status() == Status.PENDING and loan.borrower() == borrower and loan.loanId() == 1
    t = loan.terms()
    assert (t.goal, t.principal, t.annualRateBps, t.termMonths, t.grade, t.purpose) == (5_000 * unit, 0, rate, 24, 8, 3)
    assert (t.originationFeeBps, t.servicingFeeBps, t.fundingPeriod, t.asset) == (orig_bps, 100, 10 * DAY, market.asset)
    assert (loan.name(), loan.symbol(), loan.decimals()) == ("Disfruta Loan #1 Note", "DLN-1", market.asset.decimals())
    assert loan.config() == market.loan_implementation.config()
    assert factory.borrowerExposure(borrower) == 5_000 * unit


@pytest.mark.parametrize("who", ["stranger", "lender_only"])
def test_create_loan__no_credit_grade__reverts(factory, onboard, stranger, lender, unit, who):
    caller = stranger if who == "stranger" else onboard(lender, Role.LENDER)
    with reverts(factory.LoanFactoryBorrowerNotEligible, borrower=caller):
        factory.createLoan(5_000 * unit, 24, 0, 10 * DAY, sender=caller)


@pytest.mark.parametrize("amount_tokens", [999, 40_001])
def test_create_loan__amount_out_of_range__reverts(factory, onboard, borrower, unit, amount_tokens):
    onboard(borrower, Role.BORROWER, grade=8, limit_tokens=100_000)
    with reverts(factory.LoanFactoryAmountOutOfRange, amount=amount_tokens * unit, min=1_000 * unit,
                 max=40_000 * unit):
        factory.createLoan(amount_tokens * unit, 24, 0, 10 * DAY, sender=borrower)


@pytest.mark.parametrize("term", [5, 61])
def test_create_loan__term_out_of_range__reverts(factory, onboard, borrower, unit, term):
    onboard(borrower, Role.BORROWER, grade=8)
    with reverts(factory.LoanFactoryTermOutOfRange, termMonths=term, min=6, max=60):
        factory.createLoan(5_000 * unit, term, 0, 10 * DAY, sender=borrower)


@pytest.mark.parametrize("period", [DAY - 1, 30 * DAY + 1])
def test_create_loan__funding_period_out_of_range__reverts(factory, onboard, borrower, unit, period):
    onboard(borrower, Role.BORROWER, grade=8)
    with reverts(factory.LoanFactoryFundingPeriodOutOfRange, period=period, min=DAY, max=30 * DAY):
        factory.createLoan(5_000 * unit, 24, 0, period, sender=borrower)


def test_create_loan__beyond_borrow_limit__reverts_until_a_loan_closes(create_loan, factory, underwriter, borrower,
                                                                        unit):
    first = create_loan(amount_tokens=30_000)  # the borrower's limit is 40,000 tokens
    with reverts(factory.LoanFactoryExceedsBorrowLimit, requested=15_000 * unit, available=10_000 * unit):
        factory.createLoan(15_000 * unit, 24, 0, 10 * DAY, sender=borrower)
    tx = factory.rejectLoan(first.loanId(), REASON, sender=underwriter)
    assert tx.events.filter(factory.LoanClosed) == [
        factory.LoanClosed(loanId=first.loanId(), borrower=borrower, amountReleased=30_000 * unit)
    ]
    assert factory.borrowerExposure(borrower) == 0
    second = create_loan(amount_tokens=15_000)
    assert factory.borrowerExposure(borrower) == 15_000 * unit and second.loanId() == 2


def test_create_loan__grade_without_rate__reverts(project, bare_factory, market, onboard, admin, borrower, unit):
    onboard(borrower, Role.BORROWER, grade=8)
    with reverts(bare_factory.LoanFactoryNoImplementation):
        bare_factory.createLoan(5_000 * unit, 24, 0, 10 * DAY, sender=borrower)
    impl = admin.deploy(project.Loan, loan_config(market, factory=bare_factory.address))
    bare_factory.setLoanImplementation(impl, sender=admin)
    with reverts(bare_factory.LoanFactoryGradeNotPriced, grade=8):
        bare_factory.createLoan(5_000 * unit, 24, 0, 10 * DAY, sender=borrower)
    bare_factory.setRate(8, 900, 100, sender=admin)
    loan = created(project, bare_factory, bare_factory.createLoan(5_000 * unit, 24, 0, 10 * DAY, sender=borrower))
    assert loan.terms().annualRateBps == 900


@pytest.mark.parametrize("call", ["approveLoan", "rejectLoan", "pauseLoan", "unpauseLoan"])
def test_underwriter_action__unknown_loan__reverts(factory, underwriter, call):
    args = (99, REASON) if call == "rejectLoan" else (99,)
    with reverts(factory.LoanFactoryUnknownLoan, loanId=99):
        getattr(factory, call)(*args, sender=underwriter)


def test_loan_closed__not_a_loan__reverts(factory, stranger):
    with reverts(factory.LoanFactoryNotLoan, caller=stranger):
        factory.loanClosed(sender=stranger)


# ----------------------------------------------------------------------------------------------- underwriting


def test_approve_loan__underwriter__funding_opens(create_loan, factory, underwriter):
    loan = create_loan(approve=False)
    tx = factory.approveLoan(loan.loanId(), sender=underwriter)
    assert tx.events.filter(factory.LoanApproved) == [factory.LoanApproved(loanId=1, underwriter=underwriter)]
    assert tx.events.filter(loan.LoanOpened) == [loan.LoanOpened(deadline=tx.timestamp + 14 * DAY)]
    assert loan.status() == Status.FUNDING


def test_reject_loan__funding_with_lenders__rejected_and_refundable(create_loan, fund_by, factory, underwriter,
                                                                     lenders, unit):
    loan = create_loan()
    fund_by(loan, [1_000])
    tx = factory.rejectLoan(loan.loanId(), REASON, sender=underwriter)
    assert tx.events.filter(factory.LoanRejected) == [
        factory.LoanRejected(loanId=1, underwriter=underwriter, reason=REASON)
    ]
    assert loan.status() == Status.REJECTED
    assert loan.refund(sender=lenders[0]).return_value == 1_000 * unit


# ----------------------------------------------------------------------------------------------- roles


@pytest.mark.parametrize(
    "call, args, role",
    [("approveLoan", (1,), "UNDERWRITER_ROLE"), ("rejectLoan", (1, REASON), "UNDERWRITER_ROLE"),
     ("pauseLoan", (1,), "UNDERWRITER_ROLE"), ("unpauseLoan", (1,), "UNDERWRITER_ROLE"),
     ("setRate", (8, 900, 100), None), ("setLimits", ((1, 2, 1, 2, 1, 2),), None),
     ("setLoanImplementation", (ZERO,), None), ("unpause", (), None), ("upgradeToAndCall", (ZERO, b""), None),
     ("pause", (), "GUARDIAN_ROLE"), ("grantRole", (ADMIN_ROLE, ZERO), None),
     ("revokeRole", (ADMIN_ROLE, ZERO), None)],
)
def test_role_gated_function__stranger__reverts(factory, stranger, call, args, role):
    needed = getattr(factory, role)() if role else ADMIN_ROLE
    with reverts(factory.AccessControlUnauthorizedAccount, account=stranger, neededRole=needed):
        getattr(factory, call)(*args, sender=stranger)


def test_unpause__guardian__reverts_only_admin_unpauses(factory, guardian, admin, underwriter):
    tx = factory.pause(sender=guardian)
    assert tx.events == [factory.Paused(account=guardian)]
    for who in (guardian, underwriter):
        with reverts(factory.AccessControlUnauthorizedAccount, account=who, neededRole=ADMIN_ROLE):
            factory.unpause(sender=who)
    tx = factory.unpause(sender=admin)
    assert tx.events == [factory.Unpaused(account=admin)] and not factory.paused()
    with reverts(factory.ExpectedPause):
        factory.unpause(sender=admin)


# ----------------------------------------------------------------------------------------------- rate table, limits


def test_set_rate__admin__new_loans_priced_from_it(create_loan, factory, admin):
    tx = factory.setRate(8, 1_450, 300, sender=admin)
    assert tx.events == [factory.RateSet(grade=8, annualRateBps=1_450, originationFeeBps=300)]
    assert factory.rateFor(8) == (1_450, 300)
    t = create_loan().terms()
    assert (t.annualRateBps, t.originationFeeBps) == (1_450, 300)


@pytest.mark.parametrize(
    "grade, rate, fee, error, values",
    [(0, 900, 100, "LoanFactoryInvalidGrade", {"grade": 0}), (26, 900, 100, "LoanFactoryInvalidGrade", {"grade": 26}),
     (8, 0, 100, "LoanFactoryInvalidRate", {"rateBps": 0}),
     (8, 10_001, 100, "LoanFactoryInvalidRate", {"rateBps": 10_001}),
     (8, 900, 1_001, "LoanFactoryInvalidFee", {"feeBps": 1_001})],
)
def test_set_rate__out_of_bounds__reverts(factory, admin, grade, rate, fee, error, values):
    with reverts(getattr(factory, error), **values):
        factory.setRate(grade, rate, fee, sender=admin)


def test_set_limits__admin__applied_to_applications(factory, onboard, admin, borrower, unit):
    new = (2_000 * unit, 20_000 * unit, 12, 36, 2 * DAY, 20 * DAY)
    tx = factory.setLimits(new, sender=admin)
    (event,) = tx.events.filter(factory.LimitsSet)
    assert tuple(event.limits) == new
    assert tuple(factory.limits()) == new
    onboard(borrower, Role.BORROWER, grade=8)
    with reverts(factory.LoanFactoryAmountOutOfRange, amount=1_000 * unit, min=2_000 * unit, max=20_000 * unit):
        factory.createLoan(1_000 * unit, 24, 0, 10 * DAY, sender=borrower)


@pytest.mark.parametrize(
    "field, value",
    [(0, 0), (0, 50_000), (1, 10**30 + 1), (2, 0), (2, 61), (3, 601), (4, 0), (4, 31 * DAY), (5, 90 * DAY + 1)],
    ids=["min_amount_zero", "min_above_max", "max_amount_too_large", "min_term_zero", "min_term_above_max",
         "max_term_too_long", "min_period_zero", "min_period_above_max", "max_period_too_long"],
)
def test_set_limits__invalid__reverts(factory, admin, unit, field, value):
    limits = [1_000 * unit, 40_000 * unit, 6, 60, DAY, 30 * DAY]
    limits[field] = value * unit if field == 0 and value else value
    with reverts(factory.LoanFactoryInvalidLimits):
        factory.setLimits(tuple(limits), sender=admin)


# ----------------------------------------------------------------------------------------------- implementation


def test_set_loan_implementation__new_config__only_new_loans_use_it(project, create_loan, market, factory, admin):
    old = create_loan(amount_tokens=1_000)
    impl = admin.deploy(project.Loan, loan_config(market, servicingFeeBps=200))
    tx = factory.setLoanImplementation(impl, sender=admin)
    assert tx.events == [factory.LoanImplementationSet(implementation=impl)]
    assert factory.loanImplementation() == impl
    new = create_loan(amount_tokens=1_000)
    assert (new.config().servicingFeeBps, old.config().servicingFeeBps) == (200, 100)


@pytest.mark.parametrize("field", ["factory", "asset", "registry"])
def test_set_loan_implementation__built_for_another_market__reverts(project, market, factory, bare_factory,
                                                                    registry, admin, field):
    other = {"factory": bare_factory.address, "asset": admin.deploy(project.MockERC20, "X", "X", 6).address,
             "registry": registry.address}[field]
    impl = admin.deploy(project.Loan, loan_config(market, **{field: other}))
    with reverts(factory.LoanFactoryImplementationMismatch, implementation=impl):
        factory.setLoanImplementation(impl, sender=admin)


def test_set_loan_implementation__zero__reverts(factory, admin):
    with reverts(factory.LoanFactoryZeroAddress):
        factory.setLoanImplementation(ZERO, sender=admin)


# ----------------------------------------------------------------------------------------------- proxy


def test_initialize__proxy_or_implementation_twice__reverts(market, factory, admin, unit):
    args = (admin, market.registry, market.asset, MarketParams().limits(unit))
    for target in (factory, market.implementations["LoanFactory"]):
        with reverts(target.InvalidInitialization):
            target.initialize(*args, sender=admin)


@pytest.mark.parametrize("zero", ["admin", "registry", "asset"])
def test_initialize__zero_address__reverts(project, market, admin, unit, zero):
    args = {"admin": admin.address, "registry": market.registry.address, "asset": market.asset.address}
    args[zero] = ZERO
    with ape.reverts("0x" + keccak(text="LoanFactoryZeroAddress()")[:4].hex()):
        deploy_proxy(project, admin, project.LoanFactory, *args.values(), MarketParams().limits(unit))


def test_upgrade__admin__keeps_state(project, create_loan, factory, admin):
    loan = create_loan()
    impl = admin.deploy(project.LoanFactory)
    factory.upgradeToAndCall(impl, b"", sender=admin)
    assert factory.loans(1) == loan and factory.loanCounter() == 1 and factory.rateFor(8) == (1_300, 245)
