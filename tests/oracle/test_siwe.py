"""EIP-4361 messages: the exact text, parsing, and every reason a sign-in message is refused."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from disfruta.siwe import SiweError, SiweMessage, verify
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import personal_sign

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
ACCOUNT = Account.from_key("0x" + "4b" * 32)
MESSAGE = SiweMessage(domain="oracle.example", address=ACCOUNT.address, uri="https://oracle.example",
                      chain_id=31337, nonce="a1b2c3d4e5f6a7b8", issued_at="2030-01-01T11:59:00Z")


def check(message: SiweMessage, signer=ACCOUNT, **kwargs) -> SiweMessage:
    text = message.text()
    return verify(text, personal_sign(signer, text), **{"domain": "oracle.example", "chain_id": 31337,
                                                        "now": NOW, **kwargs})


def test_text__eip4361_layout__exact():
    assert MESSAGE.text() == (
        f"oracle.example wants you to sign in with your Ethereum account:\n{ACCOUNT.address}\n\n"
        "Sign in to the Disfruta oracle.\n\nURI: https://oracle.example\nVersion: 1\nChain ID: 31337\n"
        "Nonce: a1b2c3d4e5f6a7b8\nIssued At: 2030-01-01T11:59:00Z"
    )


@pytest.mark.parametrize("message", [
    MESSAGE,
    replace(MESSAGE, statement=None),
    replace(MESSAGE, expiration_time="2030-01-02T00:00:00Z", not_before="2030-01-01T00:00:00Z",
            request_id="42", resources=("ipfs://bafy", "https://oracle.example/terms")),
])
def test_parse__any_optional_fields__round_trips(message):
    assert SiweMessage.parse(message.text()) == message
    assert check(message).address == ACCOUNT.address


@pytest.mark.parametrize(("changes", "kwargs", "error"), [
    ({}, {"domain": "evil.example"}, "message is for domain 'oracle.example'"),
    ({}, {"chain_id": 1}, "message is for chain 31337"),
    ({"nonce": "short"}, {}, "nonce must be at least 8 alphanumeric"),
    ({"issued_at": "2030-01-01T13:00:00Z"}, {}, "Issued At is in the future"),
    ({"issued_at": "yesterday"}, {}, "not an RFC 3339 date-time"),
    ({"expiration_time": "2030-01-01T11:00:00Z"}, {}, "message has expired"),
    ({"not_before": "2030-01-02T00:00:00Z"}, {}, "not valid yet"),
])
def test_check__bad_field__refused_saying_why(changes, kwargs, error):
    with pytest.raises(SiweError, match=error):
        check(replace(MESSAGE, **changes), **kwargs)


def test_verify__signed_by_another_key__refused():
    with pytest.raises(SiweError, match="signature is not from the message's address"):
        check(MESSAGE, signer=Account.create())


def test_verify__malformed_signature__refused():
    with pytest.raises(SiweError, match="invalid signature"):
        verify(MESSAGE.text(), "0x" + "ff" * 65, domain="oracle.example", chain_id=31337, now=NOW)


@pytest.mark.parametrize(("text", "error"), [
    ("hello", "not an EIP-4361 message"),
    (MESSAGE.text().replace(ACCOUNT.address, ACCOUNT.address.lower()), "EIP-55 checksummed"),
    (MESSAGE.text().replace("Version: 1", "Version: 2"), "Version must be 1"),
    (MESSAGE.text().replace("Chain ID: 31337\n", ""), "missing field 'Chain ID'"),
    (MESSAGE.text().replace("Version: 1\n", "") + "\nVersion: 1", "fields must come in EIP-4361 order"),
])
def test_parse__malformed_message__refused(text, error):
    with pytest.raises(SiweError, match=error):
        SiweMessage.parse(text)


def test_check__issued_within_clock_skew__accepted():
    skewed = replace(MESSAGE, issued_at=(NOW + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert check(skewed).nonce == MESSAGE.nonce


# --- The reference implementation: SpruceID's siwe-py parses with EIP-4361's own ABNF grammar. Every message this
# module writes must read the same there, and what the grammar refuses this parser must refuse too.
with warnings.catch_warnings():  # its grammars redefine RFC 5234's core rules, which abnf 2.8 warns about
    warnings.simplefilter("ignore")
    import siwe as reference

_HOSTS = st.from_regex(r"\A[a-z][a-z0-9]{0,9}(\.[a-z]{2,6}){1,2}(:[1-9][0-9]{1,3})?\Z")
_TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda t: t.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"))
_URIS = st.builds(lambda host, path: f"https://{host}/{path}", _HOSTS, st.from_regex(r"\A[a-z0-9/]{0,12}\Z"))


@st.composite
def messages(draw: st.DrawFn) -> SiweMessage:
    return SiweMessage(
        domain=draw(_HOSTS), address=Account.from_key(draw(st.binary(min_size=32, max_size=32).filter(
            lambda b: 0 < int.from_bytes(b, "big") < 2**255))).address,
        uri=draw(_URIS), chain_id=draw(st.integers(1, 2**53)),
        nonce=draw(st.from_regex(r"\A[A-Za-z0-9]{8,32}\Z")), issued_at=draw(_TIMES),
        statement=draw(st.sampled_from([None, "Sign in to the Disfruta oracle.", "I accept the terms."])),
        expiration_time=draw(st.none() | _TIMES), not_before=draw(st.none() | _TIMES),
        request_id=draw(st.none() | st.from_regex(r"\A[A-Za-z0-9-]{1,16}\Z")),
        resources=tuple(draw(st.lists(_URIS, max_size=3))))


@settings(max_examples=60, deadline=None)
@given(messages())
def test_text__any_message__reads_the_same_in_the_reference_parser(message):
    text = message.text()
    ref = reference.SiweMessage.from_message(message=text)  # the ABNF grammar: raises on anything off-spec
    assert ref.prepare_message() == text
    assert (ref.domain, ref.address, ref.uri, ref.chain_id, ref.nonce, ref.statement, ref.request_id) == (
        message.domain, message.address, message.uri, message.chain_id, message.nonce, message.statement,
        message.request_id)
    assert tuple(ref.resources or ()) == message.resources
    assert SiweMessage.parse(text) == message


@pytest.mark.parametrize("text", [
    "hello",
    MESSAGE.text().replace("Version: 1", "Version: 2"),
    MESSAGE.text().replace("Chain ID: 31337\n", ""),
    MESSAGE.text().replace("Version: 1\n", "") + "\nVersion: 1",
    MESSAGE.text().replace(ACCOUNT.address, ACCOUNT.address.lower()),
    MESSAGE.text().replace("\n\nURI:", "\nURI:"),
])
def test_parse__off_spec_message__refused_here_as_by_the_reference(text):
    with pytest.raises(ValueError):  # pydantic's ValidationError (the checksum) is a ValueError too
        reference.SiweMessage.from_message(message=text)
    with pytest.raises(SiweError):
        SiweMessage.parse(text)
