"""The struct codec: every SDK dataclass mirrors its ABI struct by name; encode and decode are inverse; mismatches
are refused by name. No chain needed."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disfruta.attestations import CreditAttestation, KycAttestation
from disfruta.codec import CodecError, codec_for, decode_struct, encode_struct, snake
from disfruta.grades import Grade
from disfruta.models import (
    AutoInvestCriteria,
    LoanConfig,
    LoanLimits,
    LoanPosition,
    LoanStatus,
    LoanTerms,
    UserView,
)

# (dataclass, contract, function, "output" or "input", index)
MIRRORS = [
    (LoanTerms, "Loan", "terms", "output", 0),
    (LoanPosition, "Loan", "position", "output", 0),
    (LoanConfig, "Loan", "config", "output", 0),
    (LoanLimits, "LoanFactory", "limits", "output", 0),
    (UserView, "UserRegistry", "getUser", "output", 0),
    (AutoInvestCriteria, "LendingPool", "criteriaOf", "output", 0),
    (KycAttestation, "UserRegistry", "submitKycAttestation", "input", 0),
    (CreditAttestation, "UserRegistry", "submitCreditAttestation", "input", 0),
]


def components(contract: str, function: str, side: str, index: int):
    fn = codec_for(contract).function(function)
    return (fn.outputs if side == "output" else fn.inputs)[index]["components"]


@pytest.mark.parametrize(("cls", "contract", "function", "side", "index"), MIRRORS,
                         ids=[m[0].__name__ for m in MIRRORS])
def test_dataclass__mirrors_its_abi_struct__same_names_same_order(cls, contract, function, side, index):
    names = [snake(c["name"]) for c in components(contract, function, side, index)]
    assert [f.name for f in dataclasses.fields(cls)] == names


def test_snake__abi_names__snake_case():
    assert [snake(n) for n in ("annualRateBps", "loanId", "kycValidUntil", "x", "accPerNote")] == [
        "annual_rate_bps", "loan_id", "kyc_valid_until", "x", "acc_per_note"]


def test_decode_struct__missing_or_unknown_field__codec_error_names_it():
    comps = components("Loan", "position", "output", 0)
    value = {c["name"]: 0 for c in comps}
    assert decode_struct(LoanPosition, value).status == LoanStatus.PENDING
    with pytest.raises(CodecError, match="missing \\['fees_accrued'\\]"):
        decode_struct(LoanPosition, {k: v for k, v in value.items() if k != "feesAccrued"})
    with pytest.raises(CodecError, match="unknown \\['new_field'\\]"):
        decode_struct(LoanPosition, {**value, "newField": 1})


def test_encode_struct__dataclass_of_another_shape__codec_error():
    with pytest.raises(CodecError, match="does not match the ABI struct"):
        encode_struct(LoanLimits(1, 2, 3, 4, 5, 6), components("UserRegistry", "submitKycAttestation", "input", 0))


def test_function__wrong_argument_count_or_unknown_name__codec_error():
    loan = codec_for("Loan")
    with pytest.raises(CodecError, match="takes 1 argument"):
        loan.function("makeRepayment").encode()
    with pytest.raises(CodecError, match="no function 'repayEverything'"):
        loan.function("repayEverything")


addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
u64 = st.integers(0, 2**64 - 1)


@given(user=addresses, roles=st.integers(1, 3), commitment=st.binary(min_size=32, max_size=32), valid=u64,
       nonce=u64, deadline=u64)
def test_kyc_attestation__encode_then_decode__same_fields(user, roles, commitment, valid, nonce, deadline):
    att = KycAttestation(user, roles, commitment, valid, nonce, deadline)
    fn = codec_for("UserRegistry").function("submitKycAttestation")
    data = fn.encode(att, user, b"\x01" * 65)
    from eth_abi import decode

    decoded = decode(["(address,uint8,bytes32,uint64,uint64,uint64)", "address", "bytes"], data[4:])
    assert decoded[0][1:] == (roles, commitment, valid, nonce, deadline)
    assert decoded[0][0].lower() == user.lower()
    assert att.as_tuple()[1:] == decoded[0][1:]


grades = st.sampled_from(list(Grade))
u16 = st.integers(0, 2**16 - 1)
u128 = st.integers(0, 2**128 - 1)


@given(enabled=st.booleans(), g1=grades, g2=grades, r1=u16, r2=u16, term=u16,
       purposes=st.sets(st.integers(0, 31)).map(lambda s: tuple(sorted(s))), a=u128, b=u128, c=u128)
def test_criteria__to_struct_then_abi_round_trip__equal(enabled, g1, g2, r1, r2, term, purposes, a, b, c):
    criteria = AutoInvestCriteria(enabled, g1, g2, r1, r2, term, purposes, a, b, c)
    fn = codec_for("LendingPool").function("setCriteria")
    data = fn.encode(criteria.to_struct())
    getter = codec_for("LendingPool").function("criteriaOf")
    decoded = getter.decode(data[4:])  # the same struct as a return value
    assert AutoInvestCriteria.from_struct(decoded) == criteria


def test_criteria__purpose_out_of_range__value_error():
    with pytest.raises(ValueError, match="purpose codes"):
        AutoInvestCriteria(purposes=(32,)).to_struct()


def test_event__decode_by_topic__named_args():
    spec = codec_for("Loan").event("RepaymentMade")
    assert [i["name"] for i in spec.inputs][0] == "payer"
    assert spec.topic == codec_for("ILoan").event("RepaymentMade").topic


def test_function__overloaded_name__codec_error_lists_the_signatures():
    from disfruta.codec import ContractCodec

    abi = [{"type": "function", "name": "pay", "inputs": [{"name": "a", "type": "uint256"}], "outputs": []},
           {"type": "function", "name": "pay", "inputs": [{"name": "a", "type": "address"}], "outputs": []}]
    codec = ContractCodec("Overloads", abi)
    with pytest.raises(CodecError, match=r"overloaded: name one of pay\(address\), pay\(uint256\)"):
        codec.function("pay")
    assert codec.function("pay(uint256)").encode(5)[:4] == codec.function("pay(uint256)").selector
