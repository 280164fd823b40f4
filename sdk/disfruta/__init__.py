"""Disfruta: a peer-to-peer lending protocol for Ethereum-compatible chains — Python SDK."""

from disfruta.attestations import (
    CreditAttestation,
    KycAttestation,
    Role,
    attestation_digest,
    kyc_commitment,
    sign_attestation,
)
from disfruta.grades import Grade

__all__ = [
    "CreditAttestation",
    "Grade",
    "KycAttestation",
    "Role",
    "attestation_digest",
    "kyc_commitment",
    "sign_attestation",
]
__version__ = "0.1.0"
