"""The Python SDK against the real contracts on anvil: every action, the reads, typed errors, events, pipelines."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from eth_account import Account

from disfruta import AutoInvestCriteria, Deployment, Disfruta, Grade, LoanStatus, Role
from disfruta import errors
from disfruta.api.loans import UnknownLoan, create_address
from disfruta.attestations import CreditAttestation, KycAttestation, sign_attestation
from disfruta.models import Recovery
from disfruta.rpc import NodeUnreachable, RpcError

from conftest import DAY, YEAR


@pytest.fixture
def client(chain, deployment, admin) -> Disfruta:
    return Disfruta.from_web3(chain.provider.web3, deployment, account=admin.address)


@pytest.fixture
def as_(client):
    """The client acting as an ape test account (unlocked on anvil)."""
    return lambda account: client.as_account(account.address)


@pytest.fixture
def loan_id(client, as_, borrower, underwriter, onboard, unit):
    onboard(borrower, Role.BORROWER, Grade.B3)
    receipt = as_(borrower).loans.apply(amount=1_000 * unit, term_months=12, purpose=2, funding_period=10 * DAY)
    loan_id = receipt.return_value.loan_id
    as_(underwriter).loans.approve(loan_id)
    return loan_id


def mint(market, who, amount):
    market.asset.mint(who, amount, sender=who)


@pytest.fixture
def lender_key(chain, market, onboard, unit, admin):
    """A fresh local key (signing here, not by the node): gas money, a verified lender, 100 tokens in the wallet."""
    key = Account.create()
    chain.set_balance(key.address, 10**19)
    onboard(key.address, Role.LENDER)
    market.asset.mint(key.address, 100 * unit, sender=admin)
    return key


def requests_of(client, action):
    before = client.rpc.requests
    result = action()
    return result, client.rpc.requests - before


# ------------------------------------------------------------------------------------------------ registry


def test_submit_attestations__local_key_signer__verified_borrower(client, oracle, chain, stranger):
    user = Account.create()
    now = chain.pending_timestamp
    kyc = KycAttestation(user.address, Role.BORROWER, b"\x01" * 32, now + YEAR - DAY, 0, now + DAY)
    credit = CreditAttestation(user.address, Grade.C1, 5_000, now + 90 * DAY, 0, now + DAY)
    reg = client.registry.address
    receipt = client.as_account(stranger.address).registry.submit_attestations(
        kyc, sign_attestation(kyc, oracle.key, chain.chain_id, reg), oracle.address,
        credit, sign_attestation(credit, oracle.key, chain.chain_id, reg))
    assert {e.name for e in receipt.events} == {"UserVerified", "CreditGradeSet"}
    info = client.registry.user(user.address)
    assert (info.status, info.grade, info.borrow_limit) == ("verified", Grade.C1, 5_000)
    assert info.is_verified_borrower
    assert client.registry.nonces(user.address) == (1, 1)


def test_admin_path__register_then_verify__verified_lender(client, as_, lender, kyc_admin):
    as_(lender).registry.register(b"\x07" * 32, Role.LENDER)
    assert client.registry.user(lender.address).status == "pending"
    as_(kyc_admin).registry.verify(lender.address)
    assert client.registry.user(lender.address).is_verified_lender


def test_verify__not_kyc_admin__access_error_names_the_role(client, as_, lender, stranger):
    as_(lender).registry.register(b"\x07" * 32, Role.LENDER)
    with pytest.raises(errors.AccessError) as info:
        as_(stranger).registry.verify(lender.address)
    assert type(info.value).__name__ == "AccessControlUnauthorizedAccount"
    assert info.value.values["account"] == stranger.address


def test_register__bad_inputs__value_errors_before_sending(client, as_, lender):
    before = client.rpc.requests
    with pytest.raises(ValueError, match="32 bytes"):
        as_(lender).registry.register(b"\x07" * 31, Role.LENDER)
    with pytest.raises(ValueError, match="roles"):
        as_(lender).registry.register(b"\x07" * 32, 4)
    assert client.rpc.requests == before


# ------------------------------------------------------------------------------------------------ loans


def test_apply__unverified_borrower__typed_error_with_values(client, as_, stranger, unit):
    with pytest.raises(errors.LoanFactoryError) as info:
        as_(stranger).loans.apply(amount=1_000 * unit, term_months=12)
    assert type(info.value).__name__ == "LoanFactoryBorrowerNotEligible"
    assert info.value.values == {"borrower": stranger.address}
    assert isinstance(info.value, errors.DisfrutaError)


def test_fund__not_a_multiple_of_the_note__typed_error(client, as_, loan_id, lender, onboard, market, unit):
    onboard(lender, Role.LENDER)
    mint(market, lender, 100 * unit)
    with pytest.raises(errors.LoanNotMultipleOfNote) as info:
        as_(lender).loans.fund(loan_id, 10 * unit)
    assert info.value.values == {"amount": 10 * unit, "minNote": 25 * unit}


def test_fund__more_than_the_wallet_holds__configuration_error_names_both(client, as_, loan_id, lender, onboard,
                                                                          market, unit):
    onboard(lender, Role.LENDER)
    mint(market, lender, 10 * unit)
    with pytest.raises(errors.ConfigurationError, match=f"holds {10 * unit} token units, needs {25 * unit}"):
        as_(lender).loans.fund(loan_id, 25 * unit)


@pytest.mark.parametrize("amount", [0, -5, 2.5, True])
def test_fund__not_a_positive_whole_amount__value_error(client, as_, loan_id, lender, amount):
    with pytest.raises(ValueError, match="positive whole number"):
        as_(lender).loans.fund(loan_id, amount)


def test_get__unknown_id_or_address__unknown_loan(client, loan_id, stranger):
    with pytest.raises(UnknownLoan, match="no loan #99"):
        client.loans.get(99)
    with pytest.raises(UnknownLoan, match="not a loan of this market"):
        client.loans.get(stranger.address)
    with pytest.raises(UnknownLoan, match="whole number from 1"):
        client.loans.get(0)


def test_full_journey__fund_draw_repay_claim__reads_follow(client, as_, loan_id, lenders, borrower, onboard,
                                                         market, unit, warp):
    for who in lenders[:2]:
        onboard(who, Role.LENDER)
        mint(market, who, 500 * unit)
        as_(who).loans.fund(loan_id, 500 * unit)
    assert client.loans.get(loan_id).status == LoanStatus.FUNDED
    as_(borrower).loans.draw(loan_id)
    info = client.loans.get(loan_id)
    assert info.status == LoanStatus.ACTIVE and info.principal_outstanding == 1_000 * unit
    mint(market, borrower, 2_000 * unit)
    warp(info.start_time + 30 * DAY)
    receipt = as_(borrower).loans.repay_installment(loan_id)
    assert receipt.one("RepaymentMade").args["principal"] > 0
    schedule = client.loans.schedule(loan_id)
    assert len(schedule) == 12 and schedule[0].paid and not schedule[1].paid
    assert sum(i.principal for i in schedule) == 1_000 * unit
    claimed = as_(lenders[0]).loans.claim(loan_id).one("Claimed").args["amount"]
    assert claimed > 0
    as_(borrower).loans.pay_off(loan_id)
    assert client.loans.get(loan_id).status == LoanStatus.REPAID
    with pytest.raises(errors.ConfigurationError, match="is repaid: nothing to repay"):
        as_(borrower).loans.repay_installment(loan_id)
    portfolio = client.lenders.portfolio(lenders[0].address, default_probability=lambda g: 0.05)
    assert portfolio.invested == 500 * unit
    assert portfolio.received == claimed
    assert portfolio.claimable > 0 and portfolio.interest_and_fees > 0
    assert portfolio.xirr is not None and portfolio.xirr > 0
    dash = client.borrowers.dashboard(borrower.address)
    assert dash.loans[0].status == LoanStatus.REPAID and dash.total_outstanding == 0
    claims = as_(lenders[1]).loans.claim_all()
    assert len(claims) == 1 and claims[0].one("Claimed").args["lender"] == lenders[1].address
    assert as_(lenders[1]).loans.claim_all() == []


def test_config__keeper_reads_the_loans_own_rules(client, loan_id, unit):
    config = client.loans.config(loan_id)
    assert config.default_after == 120 * DAY and config.drawdown_window == 30 * DAY
    assert config.min_note == 25 * unit and config.factory == client.loans.factory


def test_pool__deposit_criteria_auto_invest_claim_returns(client, as_, loan_id, lender, stranger, onboard, market,
                                                        unit):
    onboard(lender, Role.LENDER)
    mint(market, lender, 1_000 * unit)
    me = as_(lender)
    me.pool.deposit(600 * unit)
    criteria = AutoInvestCriteria(min_grade=Grade.A1, max_grade=Grade.C5, purposes=(2,), amount_per_loan=200 * unit,
                                  max_per_borrower=400 * unit)
    me.pool.set_criteria(criteria)
    assert client.pool.criteria(lender.address) == criteria
    receipt = as_(stranger).pool.auto_invest(loan_id, [lender.address])
    assert receipt.one("Invested").args["amount"] == 200 * unit
    assert client.pool.balance(lender.address) == 400 * unit
    assert client.pool.invested(lender.address, loan_id) == 200 * unit
    me.pool.withdraw(100 * unit)
    assert client.pool.balance(lender.address) == 300 * unit
    me.pool.disable_auto_invest()
    assert client.pool.criteria(lender.address) == AutoInvestCriteria(**{**criteria.__dict__, "enabled": False})


def test_list__filters_and_cursor__every_loan_once(client, as_, loan_id, borrower, unit):
    for term in (24, 36, 48):
        as_(borrower).loans.apply(amount=2_000 * unit, term_months=term)
    newest = [x.loan_id for x in client.loans.list()]
    assert newest == [loan_id + 3, loan_id + 2, loan_id + 1, loan_id]
    first = client.loans.list(limit=3)
    assert [x.loan_id for x in first] == newest[:3] and first.has_more
    second = client.loans.list(limit=3, cursor=first.next_cursor)
    assert [x.loan_id for x in second] == newest[3:] and second.next_cursor is None
    assert [x.loan_id for x in client.loans.list(status=LoanStatus.FUNDING)] == [loan_id]
    assert client.loans.list(min_grade=Grade.C1).items == []
    assert [x.term_months for x in client.loans.list(max_term_months=24)] == [24, 12]
    assert [x.loan_id for x in client.loans.list(purpose=2)] == [loan_id]
    assert client.loans.list(min_rate_bps=2_000).items == []
    assert [x.loan_id for x in client.loans.iterate(page_size=1, max_term_months=36)] == newest[1:]
    with pytest.raises(ValueError, match="not a cursor"):
        client.loans.list(cursor="abc")
    with pytest.raises(ValueError, match="limit"):
        client.loans.list(limit=0)


def test_reads__one_round_trip_for_a_loan__two_for_a_page(client, as_, loan_id, borrower, unit):
    for _ in range(3):
        as_(borrower).loans.apply(amount=2_000 * unit, term_months=24)
    cold = Disfruta.from_web3(client.rpc.w3, client.deployment)  # nothing cached
    info, n = requests_of(cold, lambda: cold.loans.get(loan_id + 2))
    assert n == 1 and info.loan_id == loan_id + 2
    assert info.address == create_address(client.loans.factory, loan_id + 2)
    _, n = requests_of(cold, lambda: cold.loans.get(loan_id + 2))
    assert n == 1
    page, n = requests_of(cold, lambda: cold.loans.list(limit=20))
    assert n == 2 and len(page) == 4
    _, n = requests_of(cold, lambda: cold.loans.schedule(loan_id))
    assert n == 1


def test_reads__without_multicall3__same_answers_from_a_json_rpc_batch(client, chain, deployment, loan_id):
    plain = Disfruta.from_web3(chain.provider.web3, deployment, multicall=None)
    assert plain.loans.get(loan_id) == client.loans.get(loan_id)
    assert plain.loans.list().items == client.loans.list().items
    assert plain.treasury.info() == client.treasury.info()
    with pytest.raises(UnknownLoan):
        plain.loans.get(loan_id + 5)


def test_portfolio__requests_do_not_grow_with_the_market(client, as_, loan_id, lender, borrower, onboard, market,
                                                         unit, underwriter):
    onboard(lender, Role.LENDER)
    mint(market, lender, 500 * unit)
    as_(lender).loans.fund(loan_id, 100 * unit)
    _, few = requests_of(client, lambda: client.lenders.portfolio(lender.address))
    for _ in range(6):  # loans the lender has nothing to do with
        new_id = as_(borrower).loans.apply(amount=1_000 * unit, term_months=12).return_value.loan_id
        as_(underwriter).loans.approve(new_id)
    portfolio, many = requests_of(client, lambda: client.lenders.portfolio(lender.address))
    assert many == few
    assert [r.loan_id for r in portfolio.loans] == [loan_id] and portfolio.invested == 100 * unit


@pytest.fixture
def past_due(client, as_, loan_id, lenders, borrower, onboard, market, unit, warp, admin):
    """``loan_id`` funded 500 + 500 by two lenders, drawn, a 1,000 reserve, and 121 days past its first due date."""
    for who in lenders[:2]:
        onboard(who, Role.LENDER)
        mint(market, who, 500 * unit)
        as_(who).loans.fund(loan_id, 500 * unit)
    as_(borrower).loans.draw(loan_id)
    mint(market, admin, 1_000 * unit)
    client.treasury.fund_reserve(1_000 * unit)
    warp(client.loans.get(loan_id).start_time + 30 * DAY + 121 * DAY)
    return loan_id


def test_handle_default_and_reserve__treasury_reads(client, as_, past_due, lenders, borrower, unit):
    loan_id = past_due
    with pytest.raises(errors.LoanError):
        as_(borrower).loans.draw(loan_id)
    receipt = as_(lenders[3]).loans.declare_default(loan_id)
    cover = receipt.one("LoanDefaulted").args["reserveCover"]
    assert cover == 300 * unit
    info = client.treasury.info()
    assert info.reserve_used == cover and info.origination_fees > 0
    # Subrogation: the borrower still owes all 1,000; the reserve owns 30 % of the claim, the lenders the rest.
    assert client.loans.get(loan_id).principal_outstanding == 1_000 * unit
    portfolio = client.lenders.portfolio(lenders[0].address, default_probability=lambda g: 0.05)
    assert portfolio.losses == 350 * unit and portfolio.claimable == 150 * unit
    assert portfolio.cover == 150 * unit and portfolio.recoveries == 0 and portfolio.interest_and_fees == 0


# ------------------------------------------------------------------------------------------------ writes


def test_batch__pipelined_deposits__every_receipt_and_one_decoded_failure(client, lender_key, unit):
    signer = client.as_account(lender_key)
    with signer.batch() as batch:
        for _ in range(5):
            batch.pool.deposit(10 * unit)
        batch.pool.withdraw(1_000 * unit)  # more than the account holds: reverts on chain
        batch.pool.deposit(10 * unit)
    report = batch.report
    # Each deposit approves exactly its amount first (in the same pipeline, counted locally).
    assert [p.call.function.name for p in report.transactions] == ["approve", "deposit"] * 5 + [
        "withdraw", "approve", "deposit"]
    assert [p.ok for p in report.transactions] == [True] * 10 + [False, True, True]
    deposits = [p for p in report.transactions if p.call.function.name == "deposit"]
    assert all(p.ok for p in deposits) and len(deposits) == 6
    failed = [p for p in report.transactions if not p.ok]
    assert len(failed) == 1 and type(failed[0].error).__name__ == "PoolInsufficientBalance"
    assert failed[0].tx_hash in str(failed[0].error)
    assert client.pool.balance(lender_key.address) == 60 * unit
    nonces = [p.nonce for p in report.transactions]
    assert nonces == sorted(nonces) and len(set(nonces)) == len(nonces)


def test_send__nonce_taken_by_another_sender_of_the_key__recovers(client, lender_key, unit):
    me = client.as_account(lender_key)
    me.pool.deposit(10 * unit)  # the nonce manager now counts this sender locally
    other = Disfruta.from_web3(client.rpc.w3, client.deployment, account=lender_key)  # a second process with the key
    other.pool.deposit(7 * unit)
    me.pool.deposit(10 * unit)  # its counted nonce is taken (by a different transaction): recounts and sends
    assert client.pool.balance(lender_key.address) == 27 * unit
    assert len(client.events.get(["Deposited"], address=client.pool.address)) == 3


def test_send__answer_lost__sent_once(client, lender_key, unit, monkeypatch):
    me = client.as_account(lender_key)
    me.token.approve(me.pool.address, 100 * unit)
    rpc = client.rpc
    real = rpc.request
    lost = []

    def flaky(method, params=()):
        result = real(method, params)
        if method == "eth_sendRawTransaction" and not lost:
            lost.append(result)
            raise NodeUnreachable("the answer was lost")
        return result

    monkeypatch.setattr(rpc, "request", flaky)
    receipt = me.pool.deposit(10 * unit)
    assert lost and receipt.tx_hash == lost[0]
    assert client.pool.balance(lender_key.address) == 10 * unit
    assert len(client.events.get(["Deposited"], address=client.pool.address)) == 1


def test_local_account__signs_raw_transactions(client, lender_key, unit):
    signer = client.as_account(lender_key.key)  # a raw private key works too
    receipt = signer.pool.deposit(100 * unit)
    assert receipt.one("Deposited").args["lender"] == lender_key.address
    assert receipt.effective_gas_price > 0 and receipt.function == "deposit"
    assert client.pool.balance(lender_key.address) == 100 * unit


@pytest.mark.parametrize("bad", ["0xnotakey", "0x1234", "zz" * 32, "0x" + "g" * 40])
def test_as_account__malformed_key_or_address__configuration_error(client, bad):
    with pytest.raises(errors.ConfigurationError, match="not a private key|not an address"):
        client.as_account(bad)


def test_write__no_account__configuration_error(client, chain, deployment, loan_id):
    anonymous = Disfruta.from_web3(chain.provider.web3, deployment)
    with pytest.raises(errors.ConfigurationError, match="no account"):
        anonymous.loans.claim(loan_id)


def test_subscribe__new_loan_event__callback_receives_it(client, as_, borrower, onboard, unit):
    onboard(borrower, Role.BORROWER, Grade.B3)
    seen: list[str] = []
    done = threading.Event()

    def on_event(event):
        seen.append(event.name)
        done.set()

    sub = client.events.subscribe(["LoanCreated"], on_event, poll_interval=0.1)
    try:
        as_(borrower).loans.apply(amount=1_000 * unit, term_months=12)
        assert done.wait(10), "no event within 10 s"
    finally:
        sub.stop()
    assert seen == ["LoanCreated"] and sub.error is None


def test_to_units__too_many_decimals_or_not_a_number__value_error(client):
    assert client.from_units(client.to_units("12.5")) == 12.5
    with pytest.raises(ValueError, match="decimals"):
        client.to_units("0." + "0" * 30 + "1")
    for bad in ("abc", "nan", "inf"):
        with pytest.raises(ValueError, match="not an amount"):
            client.to_units(bad)


def test_connect__wrong_chain__configuration_error(chain, deployment):
    other = Deployment.from_dict({"chain_id": deployment.chain_id + 1, "block": 0,
                                  "contracts": {n: deployment.address(n) for n in deployment.contracts}})
    with pytest.raises(errors.ConfigurationError, match="on chain"):
        Disfruta.from_web3(chain.provider.web3, other)


def test_send__refused_by_the_node__nonce_reused_no_gap(client, lender_key, unit, monkeypatch):
    me = client.as_account(lender_key)
    me.token.approve(me.pool.address, 100 * unit)
    client.core.sender.receipt_timeout = 10  # a nonce gap would leave the next send pending until this expires
    rpc = client.rpc
    real = rpc.request
    refused = []

    def refuse_once(method, params=()):
        if method == "eth_sendRawTransaction" and not refused:
            refused.append(method)
            raise RpcError(method, -32003, "insufficient funds for gas * price + value")
        return real(method, params)

    monkeypatch.setattr(rpc, "request", refuse_once)
    with pytest.raises(errors.TransactionError, match="insufficient funds"):
        me.pool.deposit(10 * unit)
    receipt = me.pool.deposit(20 * unit)  # the refused nonce is used again, so this one is mined
    assert receipt.one("Deposited").args["amount"] == 20 * unit


def test_classify__replacement_underpriced__recounts_never_outbids():
    from disfruta.tx import _classify_send_error, _NonceTaken, TxCall
    from disfruta.codec import codec_for

    call = TxCall("0x" + "11" * 20, codec_for("Loan").function("claim"))
    with pytest.raises(_NonceTaken):
        _classify_send_error(RpcError("eth_sendRawTransaction", -32000, "replacement transaction underpriced"),
                             call, "0x" + "22" * 20)


def test_to_units__large_amounts__exact_to_the_unit(client):
    """Every decimal the token has; with 18 that is 29 significant digits, past the 28 of Decimal's default context."""
    whole, fraction = "99999999999", "999999"
    amount = f"{whole}.{fraction}{'9' * (client.decimals - 6)}"  # every decimal the token has
    units = int(whole + fraction + "9" * (client.decimals - 6))
    assert client.to_units(amount) == units
    assert client.from_units(units) == Decimal(amount)
    with pytest.raises(ValueError, match="decimals"):
        client.to_units(amount + "1")


def test_decode_revert__error_string_not_utf8__replaced_not_raised():
    from eth_abi import encode

    err = errors.decode_revert(bytes.fromhex("08c379a0") + encode(["bytes"], [b"bad \xff byte"]))
    assert isinstance(err, errors.DisfrutaError) and "bad" in str(err)


def test_events_get__unknown_event_name__codec_error(client):
    from disfruta.codec import CodecError

    with pytest.raises(CodecError, match="LoanCreatd"):
        client.events.get(["LoanCreatd"])


def test_list__cursor_past_the_newest_loan__starts_at_the_newest(client, loan_id):
    page = client.loans.list(cursor="1000000")
    assert [x.loan_id for x in page] == [loan_id] and page.next_cursor is None


def test_repay__defaulted_loan__recoveries_accepted(client, as_, loan_id, lenders, borrower, onboard, market, unit,
                                                    warp):
    for who in lenders[:2]:
        onboard(who, Role.LENDER)
        mint(market, who, 500 * unit)
        as_(who).loans.fund(loan_id, 500 * unit)
    as_(borrower).loans.draw(loan_id)
    warp(client.loans.get(loan_id).start_time + 30 * DAY + 121 * DAY)
    as_(lenders[3]).loans.declare_default(loan_id)
    mint(market, borrower, 2_000 * unit)
    paid = as_(borrower).loans.repay_installment(loan_id).one("RepaymentMade").args["amount"]
    assert paid > 0


def test_get_logs__provider_caps_the_range__split_until_answered(client, chain, deployment, as_, borrower, onboard,
                                                                 unit, monkeypatch):
    onboard(borrower, Role.BORROWER, Grade.B3)
    for _ in range(3):
        as_(borrower).loans.apply(amount=1_000 * unit, term_months=12)
    everything = client.events.get(["LoanCreated"])
    ranged = Disfruta.from_web3(chain.provider.web3, deployment, max_log_range=2)
    assert ranged.events.get(["LoanCreated"]) == everything
    capped = Disfruta.from_web3(chain.provider.web3, deployment)
    real = capped.rpc.batch
    refused = []

    def cap(requests, raise_errors=True):  # a provider that answers at most 3 blocks per query
        out = []
        for r, answer in zip(requests, real(requests, raise_errors=False), strict=True):
            f = r.params[0] if r.method == "eth_getLogs" else None
            if f and f["toBlock"] != "latest" and int(f["toBlock"], 16) - int(f["fromBlock"], 16) > 2:
                refused.append(f)
                answer = RpcError("eth_getLogs", -32005, "query exceeds max block range 3")
            out.append(answer)
        return out

    monkeypatch.setattr(capped.rpc, "batch", cap)
    head = chain.blocks.head.number
    assert capped.events.get(["LoanCreated"], to_block=head) == everything and refused
    with pytest.raises(errors.ConfigurationError, match="max_log_range"):
        Disfruta.from_web3(chain.provider.web3, deployment, max_log_range=0)


def test_approve_max__second_deposit__no_second_approval(client, lender_key, chain, deployment, unit):
    bot = Disfruta.from_web3(chain.provider.web3, deployment, account=lender_key, approve_max=True)
    with bot.batch() as batch:
        batch.pool.deposit(10 * unit)
        batch.pool.deposit(10 * unit)
    assert [p.call.function.name for p in batch.report.transactions] == ["approve", "deposit", "deposit"]
    assert batch.report.ok and client.pool.balance(lender_key.address) == 20 * unit
    assert bot.token.allowance(lender_key.address, bot.pool.address) == 2**256 - 1  # OpenZeppelin keeps an infinite one


# ------------------------------------------------------------------------------------------------ credit rules (#15)


def test_set_funder_and_fund_for__approved_operator__notes_go_to_the_lender(client, as_, loan_id, lenders, onboard,
                                                                            market, unit):
    lender, operator = lenders[0], lenders[1]
    onboard(lender, Role.LENDER)
    mint(market, operator, 100 * unit)
    with pytest.raises(errors.LoanError, match="LoanNotFunder"):
        as_(operator).loans.fund_for(loan_id, lender.address, 100 * unit)
    as_(lender).loans.set_funder(loan_id, operator.address)
    as_(operator).loans.fund_for(loan_id, lender.address, 100 * unit)
    assert client.loans.notes(loan_id, lender.address) == 100 * unit
    assert client.loans.notes(loan_id, operator.address) == 0


def test_reinstate__revoked_user__pending_then_verified_again(client, as_, lenders, onboard, revoker, kyc_admin):
    user = lenders[2]
    onboard(user, Role.LENDER)
    as_(revoker).registry.revoke(user.address, "fraud review")
    with pytest.raises(errors.DisfrutaError, match="UserRegistryRevoked"):
        as_(user).registry.update_kyc(b"\x07" * 32)
    as_(revoker).registry.reinstate(user.address)
    assert client.registry.user(user.address).status == "pending"
    as_(kyc_admin).registry.verify(user.address)
    assert client.registry.user(user.address).is_verified_lender


def test_default__write_off_and_recovery_reads(client, as_, past_due, lenders, borrower, unit):
    loan_id = past_due
    as_(lenders[3]).loans.declare_default(loan_id)
    assert client.loans.recovery(loan_id) == Recovery(cover=300 * unit, principal_at_default=1_000 * unit,
                                                      reserve_accrued=0)
    user = client.registry.user(borrower.address)
    assert user.defaults == 1 and user.last_default_at > 0 and user.grade is None
    assert client.borrowers.dashboard(borrower.address).exposure == 1_000 * unit
    client.loans.write_off(loan_id)  # the test market's admin; in production the timelock
    assert client.borrowers.dashboard(borrower.address).exposure == 0
    assert client.registry.user(borrower.address).defaults == 1  # the record stays
