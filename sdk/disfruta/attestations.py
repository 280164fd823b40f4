"""EIP-712 attestations exactly as ``UserRegistry`` verifies them.

The oracle service signs these; anyone (usually the user, through the SDK) submits them on chain. The domain binds
each signature to one chain and one registry, the per-user nonce makes it single-use, and the deadline bounds how
long it may wait before submission.

>>> from eth_account import Account
>>> oracle = Account.from_key("0x" + "11" * 32)
>>> att = KycAttestation(user="0x" + "22" * 20, roles=Role.BORROWER, kyc_commitment=b"\\x01" * 32,
...                      valid_until=2_000_000_000, nonce=0, deadline=1_900_000_000)
>>> sig = sign_attestation(att, oracle.key, chain_id=31337, registry="0x" + "33" * 20)
>>> len(sig)
65
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import IntFlag
from typing import Any, Mapping

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

DOMAIN_NAME = "Disfruta UserRegistry"
DOMAIN_VERSION = "1"

KYC_TYPES = [
    {"name": "user", "type": "address"},
    {"name": "roles", "type": "uint8"},
    {"name": "kycCommitment", "type": "bytes32"},
    {"name": "validUntil", "type": "uint64"},
    {"name": "nonce", "type": "uint64"},
    {"name": "deadline", "type": "uint64"},
]
CREDIT_TYPES = [
    {"name": "user", "type": "address"},
    {"name": "grade", "type": "uint8"},
    {"name": "borrowLimit", "type": "uint128"},
    {"name": "validUntil", "type": "uint64"},
    {"name": "nonce", "type": "uint64"},
    {"name": "deadline", "type": "uint64"},
]


class Role(IntFlag):
    """The registry's role bits."""

    BORROWER = 1
    LENDER = 2


@dataclass(frozen=True)
class KycAttestation:
    """The oracle's statement that ``user`` passed KYC for ``roles`` until ``valid_until`` (unix seconds)."""

    user: str
    roles: int
    kyc_commitment: bytes
    valid_until: int
    nonce: int
    deadline: int

    primary_type = "KycAttestation"
    types = KYC_TYPES

    def message(self) -> dict[str, Any]:
        return {
            "user": to_checksum_address(self.user),
            "roles": int(self.roles),
            "kycCommitment": self.kyc_commitment,
            "validUntil": self.valid_until,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_tuple(self) -> tuple[Any, ...]:
        """The struct as the contract ABI takes it (built by `disfruta.codec` from the registry's ABI)."""
        return _abi_tuple(self, "submitKycAttestation")


@dataclass(frozen=True)
class CreditAttestation:
    """The oracle's statement that ``user`` holds credit ``grade`` (1 = A1 … 25 = E5) with ``borrow_limit``."""

    user: str
    grade: int
    borrow_limit: int
    valid_until: int
    nonce: int
    deadline: int

    primary_type = "CreditAttestation"
    types = CREDIT_TYPES

    def message(self) -> dict[str, Any]:
        return {
            "user": to_checksum_address(self.user),
            "grade": int(self.grade),
            "borrowLimit": self.borrow_limit,
            "validUntil": self.valid_until,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_tuple(self) -> tuple[Any, ...]:
        return _abi_tuple(self, "submitCreditAttestation")


Attestation = KycAttestation | CreditAttestation


def _abi_tuple(att: Attestation, function: str) -> tuple[Any, ...]:
    from disfruta.codec import codec_for, encode_struct

    return encode_struct(att, codec_for("UserRegistry").input_components(function))


def registry_domain(chain_id: int, registry: str) -> dict[str, Any]:
    """The EIP-712 domain of one registry on one chain."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(registry),
    }


def typed_data(att: Attestation, chain_id: int, registry: str) -> dict[str, Any]:
    """The full EIP-712 typed-data document (what a wallet's ``eth_signTypedData_v4`` takes)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            att.primary_type: att.types,
        },
        "primaryType": att.primary_type,
        "domain": registry_domain(chain_id, registry),
        "message": att.message(),
    }


def attestation_digest(att: Attestation, chain_id: int, registry: str) -> bytes:
    """The 32-byte EIP-712 digest the registry recomputes (``hashKycAttestation`` / ``hashCreditAttestation``)."""
    signable = encode_typed_data(full_message=typed_data(att, chain_id, registry))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_attestation(att: Attestation, private_key: bytes | str, chain_id: int, registry: str) -> bytes:
    """Signs ``att`` for ``registry`` on ``chain_id``; returns the 65-byte ``r‖s‖v`` signature (low-s)."""
    signed = Account.sign_typed_data(private_key, full_message=typed_data(att, chain_id, registry))
    return bytes(signed.signature)


def kyc_commitment(record: Mapping[str, Any], salt: bytes | None = None) -> tuple[bytes, bytes]:
    """Salted commitment to an identity record: ``keccak256(salt ‖ canonical JSON)``.

    Returns ``(commitment, salt)``. Only the commitment goes on chain; the oracle keeps the salt with the encrypted
    record, so the commitment can later be opened to an auditor but reveals nothing by itself (the 32-byte salt
    defeats guessing common names or ID numbers).
    """
    salt = os.urandom(32) if salt is None else salt
    if len(salt) != 32:
        raise ValueError(f"salt must be 32 bytes, got {len(salt)}")
    canonical = json.dumps(dict(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return keccak(salt + canonical.encode()), salt
