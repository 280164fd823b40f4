"""The one revert decoder (`disfruta.errors`): custom errors from the packaged manifest, Error(string), Panic(uint256),
and the revert data of web3 / JSON-RPC exceptions. No chain needed."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector
from eth_utils import to_checksum_address
from web3.exceptions import ContractCustomError, ContractLogicError

from disfruta.errors import (
    AccessError,
    ContractError,
    PanicError,
    RevertError,
    TimelockError,
    TransactionError,
    decode_exception,
    decode_revert,
    revert_data,
)

ROLE = bytes.fromhex("ab" * 32)
ACCOUNT = "0x" + "cd" * 20
UNAUTHORIZED = selector("AccessControlUnauthorizedAccount(address,bytes32)") + encode(["address", "bytes32"],
                                                                                       [ACCOUNT, ROLE])


def test_decode_revert__custom_error__typed_with_values_and_readable_text():
    err = decode_revert(UNAUTHORIZED)
    assert type(err).__name__ == "AccessControlUnauthorizedAccount" and isinstance(err, AccessError)
    assert err.values == {"account": to_checksum_address(ACCOUNT), "neededRole": ROLE}
    assert str(err) == f"AccessControlUnauthorizedAccount(account={err.values['account']}, neededRole=0x{'ab' * 32})"


def test_decode_revert__timelock_error__is_a_timelock_error():
    data = selector("TimelockUnexpectedOperationState(bytes32,bytes32)") + encode(["bytes32", "bytes32"],
                                                                                  [b"\x01" * 32, b"\x00" * 32])
    err = decode_revert(data)
    assert isinstance(err, TimelockError) and isinstance(err, ContractError)
    assert err.values["operationId"] == b"\x01" * 32


def test_decode_revert__error_string__revert_error_with_reason():
    err = decode_revert(selector("Error(string)") + encode(["string"], ["GS013"]))
    assert isinstance(err, RevertError) and isinstance(err, TransactionError)
    assert err.reason == "GS013" and str(err) == "reverted: GS013"


@pytest.mark.parametrize(("code", "text"), [(0x01, "assertion failed"), (0x11, "arithmetic overflow or underflow"),
                                            (0x12, "division or modulo by zero"), (0x99, "unknown panic code")])
def test_decode_revert__panic__panic_error_with_code(code, text):
    err = decode_revert("0x" + (selector("Panic(uint256)") + encode(["uint256"], [code])).hex())
    assert isinstance(err, PanicError) and err.code == code
    assert str(err) == f"Panic(0x{code:02x}): {text}"


@pytest.mark.parametrize(("data", "text"), [
    (b"", "reverted without a reason"),
    (b"\x01\x02", "reverted without a reason"),
    (bytes.fromhex("deadbeef"), "unknown error data 0xdeadbeef"),
    (UNAUTHORIZED[:10], "malformed error data"),
])
def test_decode_revert__no_short_unknown_or_malformed_data__transaction_error(data, text):
    err = decode_revert(data)
    assert type(err) is TransactionError and text in str(err)


def test_revert_data__web3_exceptions_json_rpc_errors_and_wrapped_ones():
    hex_data = "0x" + UNAUTHORIZED.hex()
    assert revert_data(ContractCustomError(hex_data, data=hex_data)) == UNAUTHORIZED
    assert revert_data(ContractLogicError("execution reverted", data=hex_data)) == UNAUTHORIZED
    assert revert_data(ValueError({"code": 3, "message": "execution reverted", "data": hex_data})) == UNAUTHORIZED
    assert revert_data(ValueError({"code": -32000, "data": {"data": hex_data}})) == UNAUTHORIZED
    try:
        try:
            raise ContractLogicError("execution reverted", data=hex_data)
        except ContractLogicError as inner:
            raise RuntimeError("the call failed") from inner
    except RuntimeError as outer:
        assert revert_data(outer) == UNAUTHORIZED
    assert revert_data(RuntimeError("0xnot hex at all")) == b""
    assert revert_data(RuntimeError("plain")) == b""


def test_decode_exception__decodes_or_keeps_the_text():
    assert type(decode_exception(ContractLogicError("x", data="0x" + UNAUTHORIZED.hex()))).__name__ == \
        "AccessControlUnauthorizedAccount"
    err = decode_exception(RuntimeError("connection refused"))
    assert type(err) is TransactionError and str(err) == "connection refused"
    same = TransactionError("already typed")
    assert decode_exception(same) is same
