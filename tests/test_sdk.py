"""The Python SDK against the real contracts on anvil: every action, the reads, typed errors, events."""

from __future__ import annotations

import threading

import pytest
from eth_account import Account

from disfruta import AutoInvestCriteria, Deployment, Disfruta, Grade, LoanStatus, Role
from disfruta import errors
from disfruta.attestations import CreditAttestation, KycAttestation, sign_attestation
from disfruta.events import Subscription

from conftest import DAY, YEAR


@pytest.fixture(scope="session")
def deployment(market, chain) -> Deployment:
    return Deployment.from_dict({
        "chain_id": chain.chain_id,
        "block": 0,
        "contracts": {"UserRegistry": market.registry.address, "LoanFactory": market.factory.address,
                      "Treasury": market.treasury.address, "LendingPool": market.pool.address,
                      "asset": market.asset.address},
    })


@pytest.fixture
def client(chain, deployment, admin) -> Disfruta:
    return Disfruta(chain.provider.web3, deployment, account=admin.address)


@pytest.fixture
def as_(client):
    """The client acting as an ape test account (unlocked on anvil)."""
    return lambda account: client.as_account(account.address)


@pytest.fixture
def loan_id(client, as_, borrower, underwriter, onboard, unit):
    onboard(borrower, Role.BORROWER, Grade.B3)
    receipt = as_(borrower).apply(amount=1_000 * unit, term_months=12, purpose=2, funding_period=10 * DAY)
    loan_id = receipt.return_value[0]
    as_(underwriter).approve_loan(loan_id)
    return loan_id


def mint(market, who, amount):
    market.asset.mint(who, amount, sender=who)


def test_register_with_attestations__local_key_signer__verified_borrower(client, oracle, chain, stranger):
    user = Account.create()
    now = chain.pending_timestamp
    kyc = KycAttestation(user.address, Role.BORROWER, b"\x01" * 32, now + YEAR, 0, now + DAY)
    credit = CreditAttestation(user.address, Grade.C1, 5_000, now + YEAR, 0, now + DAY)
    reg = client.registry.address
    receipt = client.as_account(stranger.address).register_with_attestations(
        kyc, sign_attestation(kyc, oracle.key, chain.chain_id, reg), oracle.address,
        credit, sign_attestation(credit, oracle.key, chain.chain_id, reg))
    assert {e.name for e in receipt.events} == {"UserVerified", "CreditGradeSet"}
    info = client.user(user.address)
    assert (info.status, info.grade, info.borrow_limit, info.is_verified_borrower) == ("verified", Grade.C1, 5_000, True)


def test_admin_path__register_then_verify__verified_lender(client, as_, lender, kyc_admin):
    as_(lender).register_user(b"\x07" * 32, Role.LENDER)
    assert client.user(lender.address).status == "pending"
    as_(kyc_admin).verify_user(lender.address)
    assert client.user(lender.address).is_verified_lender


def test_apply__unverified_borrower__typed_error_with_values(client, as_, stranger, unit):
    with pytest.raises(errors.LoanFactoryError) as info:
        as_(stranger).apply(amount=1_000 * unit, term_months=12)
    assert type(info.value).__name__ == "LoanFactoryBorrowerNotEligible"
    assert info.value.values == {"borrower": stranger.address}
    assert isinstance(info.value, errors.DisfrutaError)


def test_fund__not_a_multiple_of_the_note__typed_error(client, as_, loan_id, lender, onboard, market, unit):
    onboard(lender, Role.LENDER)
    mint(market, lender, 100 * unit)
    with pytest.raises(errors.LoanNotMultipleOfNote) as info:
        as_(lender).fund(loan_id, 10 * unit)
    assert info.value.values == {"amount": 10 * unit, "minNote": 25 * unit}


def test_full_journey__fund_draw_repay_claim__reads_follow(client, as_, loan_id, lenders, borrower, onboard,
                                                         market, unit, warp):
    for who in lenders[:2]:
        onboard(who, Role.LENDER)
        mint(market, who, 500 * unit)
        as_(who).fund(loan_id, 500 * unit)
    assert client.loan(loan_id).status == LoanStatus.FUNDED
    as_(borrower).withdraw_funds(loan_id)
    info = client.loan(loan_id)
    assert info.status == LoanStatus.ACTIVE and info.principal_outstanding == 1_000 * unit
    mint(market, borrower, 2_000 * unit)
    warp(info.start_time + 30 * DAY)
    receipt = as_(borrower).repay_installment(loan_id)
    assert receipt.find("RepaymentMade")[0].args["principal"] > 0
    schedule = client.schedule(loan_id)
    assert len(schedule) == 12 and schedule[0].paid and not schedule[1].paid
    assert sum(i.principal for i in schedule) == 1_000 * unit
    claimed = as_(lenders[0]).claim(loan_id).find("Claimed")[0].args["amount"]
    assert claimed > 0
    as_(borrower).pay_off(loan_id)
    assert client.loan(loan_id).status == LoanStatus.REPAID
    portfolio = client.portfolio(lenders[0].address, default_probability=lambda g: 0.05)
    assert portfolio.invested == 500 * unit
    assert portfolio.received == claimed
    assert portfolio.claimable > 0 and portfolio.interest_and_fees > 0
    assert portfolio.xirr is not None and portfolio.xirr > 0
    dash = client.borrower_dashboard(borrower.address)
    assert dash.loans[0].status == LoanStatus.REPAID and dash.total_outstanding == 0


def test_pool__deposit_criteria_auto_invest_claim_returns(client, as_, loan_id, lender, stranger, onboard, market,
                                                        unit):
    onboard(lender, Role.LENDER)
    mint(market, lender, 1_000 * unit)
    as_(lender).deposit(600 * unit)
    as_(lender).set_auto_invest(AutoInvestCriteria(min_grade=Grade.A1, max_grade=Grade.C5, purposes=(2,),
                                                   amount_per_loan=200 * unit, max_per_borrower=400 * unit))
    receipt = as_(stranger).auto_invest(loan_id, [lender.address])
    assert receipt.find("Invested")[0].args["amount"] == 200 * unit
    assert client.pool_balance(lender.address) == 400 * unit
    as_(lender).withdraw_cash(100 * unit)
    assert client.pool_balance(lender.address) == 300 * unit


def test_loans__filters__marketplace_listing(client, as_, loan_id, borrower, unit):
    as_(borrower).apply(amount=2_000 * unit, term_months=24)
    assert [x.loan_id for x in client.loans()] == [loan_id + 1, loan_id]
    assert [x.loan_id for x in client.loans(status=LoanStatus.FUNDING)] == [loan_id]
    assert client.loans(min_grade=Grade.C1) == []
    assert [x.term_months for x in client.loans(max_term_months=12)] == [12]
    assert client.loans(min_rate_bps=2_000) == []


def test_handle_default_and_reserve__treasury_reads(client, as_, loan_id, lenders, borrower, onboard, market,
                                                    unit, warp, admin):
    for who in lenders[:2]:
        onboard(who, Role.LENDER)
        mint(market, who, 500 * unit)
        as_(who).fund(loan_id, 500 * unit)
    as_(borrower).withdraw_funds(loan_id)
    mint(market, admin, 1_000 * unit)
    client.fund_reserve(1_000 * unit)
    warp(client.loan(loan_id).start_time + 30 * DAY + 121 * DAY)
    with pytest.raises(errors.LoanError):
        as_(borrower).withdraw_funds(loan_id)
    receipt = as_(lenders[3]).handle_default(loan_id)
    cover = receipt.find("LoanDefaulted")[0].args["reserveCover"]
    assert cover == 300 * unit
    info = client.treasury_info()
    assert info.reserve_used == cover and info.origination_fees > 0
    portfolio = client.portfolio(lenders[0].address, default_probability=lambda g: 0.05)
    assert portfolio.losses == 350 * unit and portfolio.claimable == 150 * unit


def test_subscribe__new_loan_event__callback_receives_it(client, as_, borrower, onboard, unit):
    onboard(borrower, Role.BORROWER, Grade.B3)
    seen: list[str] = []
    done = threading.Event()

    def on_event(event):
        seen.append(event.name)
        done.set()

    sub: Subscription = client.subscribe(["LoanCreated"], on_event, poll_interval=0.1)
    try:
        as_(borrower).apply(amount=1_000 * unit, term_months=12)
        assert done.wait(10), "no event within 10 s"
    finally:
        sub.stop()
    assert seen == ["LoanCreated"]


def test_local_account__signs_raw_transactions(client, chain, market, onboard, unit):
    key = Account.create()
    chain.set_balance(key.address, 10**18)
    onboard(key.address, Role.LENDER)
    market.asset.mint(key.address, 100 * unit, sender=market.asset.address and chain.provider.web3.eth.accounts[0])
    signer = client.as_account(key)
    receipt = signer.deposit(100 * unit)
    assert receipt.find("Deposited")[0].args["lender"] == key.address
    assert client.pool_balance(key.address) == 100 * unit
    assert signer.estimate(client.pool.functions.withdraw(50 * unit)) > 21_000


def test_to_units__too_many_decimals__value_error(client):
    assert client.from_units(client.to_units("12.5")) == 12.5
    with pytest.raises(ValueError):
        client.to_units("0." + "0" * 30 + "1")
