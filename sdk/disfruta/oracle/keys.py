"""The attestation signing key(s): loaded from an eth-account keystore or a hex key, never logged.

During a key rotation the service holds two keys, the current one and the next one. With a chain connection it
signs with the first key the registry accepts (``isSigner``), so the switch happens by itself the moment
governance has added the new signer; without one it signs with the current key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr


class KeyLoadError(Exception):
    """A key could not be loaded; the message names the setting, never the key."""


def load_account(key: SecretStr | None, keystore: Path | None, password: SecretStr | None,
                 what: str) -> LocalAccount | None:
    """The account from ``keystore`` (+ ``password``) or from the hex ``key``; ``None`` when neither is set."""
    if key is not None and keystore is not None:
        raise KeyLoadError(f"{what}: give a keystore or a hex key, not both")
    if keystore is not None:
        if password is None:
            raise KeyLoadError(f"{what}: the keystore needs its password")
        try:
            private = Account.decrypt(json.loads(keystore.read_text()), password.get_secret_value())
        except (OSError, json.JSONDecodeError) as exc:
            raise KeyLoadError(f"{what}: cannot read keystore {keystore}: {exc.__class__.__name__}") from None
        except ValueError:
            raise KeyLoadError(f"{what}: wrong keystore password or corrupt keystore {keystore}") from None
        return Account.from_key(private)
    if key is not None:
        try:
            return Account.from_key(key.get_secret_value().strip())
        except (ValueError, TypeError):
            raise KeyLoadError(f"{what}: not a valid 32-byte hex private key") from None
    return None


def write_keystore(account: LocalAccount, password: str, path: Path) -> None:
    """Encrypts ``account`` into an eth-account (scrypt) keystore file readable only by its owner."""
    path.write_text(json.dumps(Account.encrypt(account.key, password)))
    path.chmod(0o600)


class NoActiveSigner(Exception):
    """None of the held keys is an authorised signer of the registry."""


class OracleSigner:
    """Signs attestations with the current key, or the next one once the registry accepts it."""

    def __init__(self, keys: Sequence[LocalAccount]) -> None:
        if not keys:
            raise KeyLoadError("no signing key configured (DISFRUTA_ORACLE_SIGNER_KEY or _SIGNER_KEYSTORE)")
        self._keys = tuple(keys)

    def __repr__(self) -> str:
        return f"OracleSigner(addresses={self.addresses})"

    @property
    def addresses(self) -> list[str]:
        return [k.address for k in self._keys]

    def active(self, is_signer: Callable[[str], bool] | None = None) -> LocalAccount:
        """The key to sign with: the first one ``is_signer`` accepts (all of them when no check is given)."""
        for key in self._keys:
            if is_signer is None or is_signer(key.address):
                return key
        raise NoActiveSigner(f"none of the oracle's keys {self.addresses} is an authorised registry signer")

    def sign_digest(self, digest: bytes, is_signer: Callable[[str], bool] | None = None) -> tuple[str, bytes]:
        """``(signer address, 65-byte signature)`` of an attestation's EIP-712 digest (``attestation_digest``): the
        signature ``sign_attestation`` gives, without encoding the typed data a second time."""
        key = self.active(is_signer)
        return key.address, bytes(key.unsafe_sign_hash(digest).signature)
