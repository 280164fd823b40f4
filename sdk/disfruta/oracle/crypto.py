"""Envelope encryption of personal data: AES-256-GCM under a per-user data key, wrapped by the master key.

- Each user's record is encrypted with that user's own random 256-bit data key; the associated data binds the
  ciphertext to the user's id, so a ciphertext moved to another user's row fails to decrypt.
- The data key is stored only wrapped (AES-256-GCM under the master key, also bound to the user id), together with
  the master key's id, so a wrong master key is reported as such instead of as corrupt data.
- Erasure destroys the wrapped data key: the ciphertext (and every backup of it) becomes unreadable.

Blobs are ``nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)``; nonces are random (2⁻³² collision bound per key is
far beyond the handful of records one data key ever encrypts).
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """A blob could not be authenticated: wrong key, wrong user, or tampered data."""


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError("authentication failed: wrong key, wrong user or tampered data") from None


class MasterKey:
    """The key-encryption key. Holds the key bytes privately; its ``repr`` shows only the key id."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"master key must be {KEY_BYTES} bytes, got {len(key)}")
        self._key = key
        self.key_id = hashlib.sha256(b"disfruta-oracle-kek" + key).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    def new_data_key(self, user_id: str) -> tuple[bytes, bytes]:
        """A fresh data key for ``user_id``: ``(plain key, wrapped key)``. Store only the wrapped one."""
        data_key = AESGCM.generate_key(bit_length=256)
        return data_key, self.wrap(data_key, user_id)

    def wrap(self, data_key: bytes, user_id: str) -> bytes:
        return _seal(self._key, data_key, b"data-key:" + user_id.encode())

    def unwrap(self, wrapped: bytes, user_id: str, key_id: str) -> bytes:
        if key_id != self.key_id:
            raise DecryptionError(f"data key was wrapped by master key {key_id}, not the configured {self.key_id}")
        return _open(self._key, wrapped, b"data-key:" + user_id.encode())


def encrypt_record(data_key: bytes, plaintext: bytes, user_id: str) -> bytes:
    return _seal(data_key, plaintext, b"record:" + user_id.encode())


def decrypt_record(data_key: bytes, blob: bytes, user_id: str) -> bytes:
    return _open(data_key, blob, b"record:" + user_id.encode())
