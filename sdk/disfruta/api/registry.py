"""``client.registry``: users' KYC status, roles and credit grades; attestations; the admin path; revocation."""

from __future__ import annotations

from typing import Generic, NamedTuple

from eth_utils import to_checksum_address

from disfruta.api.session import BaseSession, R
from disfruta.attestations import CreditAttestation, KycAttestation, Role
from disfruta.codec import codec_for, decode_struct
from disfruta.grades import Grade
from disfruta.models import UserInfo, UserView
from disfruta.multicall import BlockId, Call
from disfruta.tx import TxCall

REGISTRY = codec_for("UserRegistry")
USER_STATUS = ("none", "pending", "verified", "revoked")


class Nonces(NamedTuple):
    kyc: int
    credit: int


def _reason(reason: str | bytes) -> bytes:
    raw = reason.encode() if isinstance(reason, str) else reason
    if len(raw) > 32:
        raise ValueError(f"a reason is at most 32 bytes, got {len(raw)}")
    return raw.ljust(32, b"\0")


class RegistryAPI(Generic[R]):
    """The user registry (``client.registry``): KYC status, roles, grades; oracle attestations; the admin path."""
    def __init__(self, session: BaseSession[R]) -> None:
        self._s: BaseSession[R] = session
        self.address = session.core.address("UserRegistry")

    # ------------------------------------------------------------------------------------------- reads

    def user(self, address: str, block: BlockId = "latest") -> UserInfo:
        """A user's public on-chain record: one round trip."""
        a = to_checksum_address(address)
        raw, lender, borrower = self._s.core.read([
            Call(self.address, REGISTRY.function("getUser"), (a,)),
            Call(self.address, REGISTRY.function("isVerifiedLender"), (a,)),
            Call(self.address, REGISTRY.function("isVerifiedBorrower"), (a,))], block)
        u = decode_struct(UserView, raw)
        return UserInfo(address=a, status=USER_STATUS[u.status], roles=u.roles, kyc_commitment=u.kyc_commitment,
                        kyc_valid_until=u.kyc_valid_until, grade=Grade(u.grade) if u.grade else None,
                        borrow_limit=u.borrow_limit, credit_valid_until=u.credit_valid_until,
                        is_verified_lender=lender, is_verified_borrower=borrower, defaults=u.defaults,
                        last_default_at=u.last_default_at)

    def nonces(self, address: str, block: BlockId = "latest") -> Nonces:
        """What the next KYC and credit attestations for ``address`` must carry."""
        n = self._s.core.call(self.address, "UserRegistry", "nonces", to_checksum_address(address), block=block)
        return Nonces(kyc=int(n["kycNonce"]), credit=int(n["creditNonce"]))

    def is_signer(self, address: str, block: BlockId = "latest") -> bool:
        return bool(self._s.core.call(self.address, "UserRegistry", "isSigner", to_checksum_address(address),
                                      block=block))

    # ------------------------------------------------------------------------------------------- attestations

    def submit_attestations(self, kyc: KycAttestation | None, kyc_signature: bytes | None, signer: str,
                            credit: CreditAttestation | None = None, credit_signature: bytes | None = None) -> R:
        """Submits oracle-signed KYC and/or credit attestations in one transaction; anyone may send them."""
        signer = to_checksum_address(signer)
        calls = []
        if kyc is not None:
            if kyc_signature is None:
                raise ValueError("a KYC attestation needs its signature")
            calls.append(REGISTRY.function("submitKycAttestation").encode(kyc, signer, kyc_signature))
        if credit is not None:
            if credit_signature is None:
                raise ValueError("a credit attestation needs its signature")
            calls.append(REGISTRY.function("submitCreditAttestation").encode(credit, signer, credit_signature))
        if not calls:
            raise ValueError("give a KYC attestation, a credit attestation or both")
        if len(calls) == 1:
            fn = "submitKycAttestation" if kyc is not None else "submitCreditAttestation"
            att, sig = (kyc, kyc_signature) if kyc is not None else (credit, credit_signature)
            return self._s.send(TxCall(self.address, REGISTRY.function(fn), (att, signer, sig)))
        return self._s.send(TxCall(self.address, REGISTRY.function("multicall"), (calls,)))

    # ------------------------------------------------------------------------------------------- admin path

    def register(self, kyc_commitment: bytes, roles: Role | int) -> R:
        """The admin path, step 1: this account registers as pending with a salted KYC commitment."""
        if len(kyc_commitment) != 32:
            raise ValueError(f"a KYC commitment is 32 bytes, got {len(kyc_commitment)}")
        if not 1 <= int(roles) <= 3:
            raise ValueError(f"roles must be borrower (1), lender (2) or both (3), got {int(roles)}")
        return self._s.send(TxCall(self.address, REGISTRY.function("registerUser"), (kyc_commitment, int(roles))))

    def update_kyc(self, kyc_commitment: bytes) -> R:
        if len(kyc_commitment) != 32:
            raise ValueError(f"a KYC commitment is 32 bytes, got {len(kyc_commitment)}")
        return self._s.send(TxCall(self.address, REGISTRY.function("updateKYC"), (kyc_commitment,)))

    def verify(self, user: str) -> R:
        """The admin path, step 2 (KYC admin role)."""
        return self._s.send(TxCall(self.address, REGISTRY.function("verifyUser"), (to_checksum_address(user),)))

    def revoke(self, user: str, reason: str | bytes = b"") -> R:
        """Revoker role: revokes a user's verification at once."""
        return self._s.send(TxCall(self.address, REGISTRY.function("revokeUser"),
                                   (to_checksum_address(user), _reason(reason))))

    def reinstate(self, user: str) -> R:
        """Revoker role: lifts a revocation; the user is pending again and needs a fresh verification. (A revoked
        user can neither update their KYC nor be verified by an attestation: only this lifts it.)"""
        return self._s.send(TxCall(self.address, REGISTRY.function("reinstateUser"), (to_checksum_address(user),)))

    def revoke_credit(self, user: str, reason: str | bytes = b"") -> R:
        return self._s.send(TxCall(self.address, REGISTRY.function("revokeCredit"),
                                   (to_checksum_address(user), _reason(reason))))
