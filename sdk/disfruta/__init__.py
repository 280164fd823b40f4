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

# The client pulls in web3; import it lazily so `disfruta.attestations` stays light for the oracle service.


def __getattr__(name: str) -> object:
    if name == "Disfruta":
        from disfruta.client import Disfruta

        return Disfruta
    if name in ("DisfrutaError", "ContractError", "ConfigurationError", "TransactionError"):
        from disfruta import errors

        return getattr(errors, name)
    if name in ("AutoInvestCriteria", "Deployment", "LoanStatus", "Page", "Receipt"):
        from disfruta import models

        return getattr(models, name)
    if name in ("Batch", "BatchReport", "PendingTransaction"):
        from disfruta import client, tx

        return getattr(client, name, None) or getattr(tx, name)
    raise AttributeError(name)

__all__ = [
    "AutoInvestCriteria",
    "Batch",
    "BatchReport",
    "ConfigurationError",
    "ContractError",
    "DisfrutaError",
    "TransactionError",
    "CreditAttestation",
    "Deployment",
    "Disfruta",
    "LoanStatus",
    "Page",
    "PendingTransaction",
    "Receipt",
    "Grade",
    "KycAttestation",
    "Role",
    "attestation_digest",
    "kyc_commitment",
    "sign_attestation",
]
__version__ = "0.1.0"
