"""Envelope encryption (AES-256-GCM), the signing keys (keystore / env, rotation) and that secrets never print."""

from __future__ import annotations

import logging

import pytest
from disfruta.attestations import KycAttestation, Role
from disfruta.oracle.crypto import DecryptionError, MasterKey, decrypt_record, encrypt_record
from disfruta.oracle.keys import KeyLoadError, NoActiveSigner, OracleSigner, load_account, write_keystore
from disfruta.oracle.settings import OracleSettings, decode_key
from eth_account import Account
from pydantic import SecretStr, ValidationError

from .helpers import REGISTRY

USER = "5b0e6ae0-0000-4000-8000-000000000001"
ATT = KycAttestation(user="0x" + "22" * 20, roles=Role.BORROWER, kyc_commitment=b"\x01" * 32,
                     valid_until=2_000_000_000, nonce=0, deadline=1_900_000_000)


@pytest.fixture
def master() -> MasterKey:
    return MasterKey(b"\x07" * 32)


def test_record__round_trip__decrypts_to_the_plaintext(master):
    key, wrapped = master.new_data_key(USER)
    blob = encrypt_record(key, b"Ana Garcia, X1234567", USER)
    assert b"Ana" not in blob
    assert decrypt_record(master.unwrap(wrapped, USER, master.key_id), blob, USER) == b"Ana Garcia, X1234567"


def test_record__tampered_byte__refused(master):
    key, _ = master.new_data_key(USER)
    blob = bytearray(encrypt_record(key, b"secret", USER))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError, match="authentication failed"):
        decrypt_record(key, bytes(blob), USER)


def test_record__moved_to_another_user__refused(master):
    key, _ = master.new_data_key(USER)
    blob = encrypt_record(key, b"secret", USER)
    with pytest.raises(DecryptionError, match="wrong user"):
        decrypt_record(key, blob, "someone-else")


def test_data_key__wrong_master_key__reported_as_such(master):
    _, wrapped = master.new_data_key(USER)
    other = MasterKey(b"\x08" * 32)
    with pytest.raises(DecryptionError, match="wrapped by master key"):
        other.unwrap(wrapped, USER, master.key_id)


def test_master_key__repr__shows_only_its_id(master):
    assert "07" * 4 not in repr(master) and master.key_id in repr(master)


@pytest.mark.parametrize("text", ["ab" * 32, "0x" + "ab" * 32, "q" * 43 + "="])
def test_decode_key__hex_or_base64__32_bytes(text):
    assert len(decode_key(text, "master key")) == 32


def test_decode_key__short_key__refused():
    with pytest.raises(ValueError, match="master key must be 32 bytes"):
        decode_key("abcd", "master key")


def test_settings__short_jwt_secret__refused():
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        OracleSettings(_env_file=None, master_key=SecretStr("ab" * 32), jwt_secret=SecretStr("short"))


def test_load_account__keystore_and_password__loads_the_key(tmp_path):
    account = Account.create()
    path = tmp_path / "signer.json"
    write_keystore(account, "pw-123456", path)
    assert path.stat().st_mode & 0o077 == 0
    loaded = load_account(None, path, SecretStr("pw-123456"), "signer key")
    assert loaded is not None and loaded.address == account.address


def test_load_account__wrong_keystore_password__refused_without_the_key(tmp_path):
    account = Account.create()
    write_keystore(account, "right", tmp_path / "k.json")
    with pytest.raises(KeyLoadError, match="wrong keystore password") as info:
        load_account(None, tmp_path / "k.json", SecretStr("wrong"), "signer key")
    assert account.key.hex() not in str(info.value)


def test_load_account__bad_hex__refused_without_echoing_it():
    with pytest.raises(KeyLoadError, match="not a valid 32-byte hex private key") as info:
        load_account(SecretStr("0xnot-a-key-but-secret"), None, None, "signer key")
    assert "not-a-key-but-secret" not in str(info.value)


def test_settings__secrets__never_in_repr_or_logs(caplog):
    key = Account.create().key.hex()
    settings = OracleSettings(_env_file=None, master_key=SecretStr("ab" * 32),
                              jwt_secret=SecretStr("j" * 40), signer_key=SecretStr(key))
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("disfruta.oracle").info("settings: %s %r", settings, settings)
    assert key not in caplog.text and "ab" * 32 not in caplog.text and "j" * 40 not in caplog.text
    assert key not in repr(OracleSigner([Account.from_key(key)]))


def test_signer__rotation__signs_with_the_first_key_the_registry_accepts():
    old, new = Account.create(), Account.create()
    signer = OracleSigner([old, new])
    assert signer.active().address == old.address  # offline: the current key
    # Governance added the new key and removed the old one: the service switches by itself.
    address, signature = signer.sign_digest(_digest(), is_signer=lambda a: a == new.address)
    assert address == new.address
    assert Account._recover_hash(_digest(), signature=signature) == new.address


def test_signer__digest_signed__the_same_signature_as_the_typed_data():
    """The service encodes the EIP-712 message once and signs its hash: byte for byte what eth-account's
    sign_typed_data gives (RFC 6979 nonces, low s, v 27/28), which the registry's tests accept on chain."""
    from disfruta.attestations import sign_attestation

    for _ in range(20):
        key = Account.create()
        _address, signature = OracleSigner([key]).sign_digest(_digest())
        assert signature == sign_attestation(ATT, key.key, 31337, REGISTRY)
        assert signature[64] in (27, 28)


def test_signer__no_key_authorised__refused():
    signer = OracleSigner([Account.create()])
    with pytest.raises(NoActiveSigner, match="authorised registry signer"):
        signer.active(lambda _address: False)


def _digest() -> bytes:
    from disfruta.attestations import attestation_digest

    return attestation_digest(ATT, 31337, REGISTRY)
