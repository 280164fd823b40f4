"""HTTP client of the KYC/credit oracle service, for wallets and operators.

>>> oracle = OracleClient("http://127.0.0.1:8000")                                      # doctest: +SKIP
>>> session = oracle.sign_in(wallet)           # EIP-4361: the wallet signs, the service returns JWTs
>>> oracle.submit_kyc(session, ["borrower"], profile, documents)
>>> kyc = oracle.kyc_attestation(session)      # after an operator approved: a signed attestation
>>> client.registry.submit_attestations(kyc.attestation, kyc.signature, kyc.signer)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from disfruta.attestations import CreditAttestation, KycAttestation
from disfruta.errors import DisfrutaError


class OracleError(DisfrutaError):
    """The oracle answered with an error status; ``status`` and the service's ``detail`` message."""

    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"oracle answered {status}: {detail}")


@dataclass(frozen=True)
class Session:
    access_token: str
    refresh_token: str


@dataclass(frozen=True)
class Signed:
    """A signed attestation, ready to submit on chain."""

    attestation: KycAttestation | CreditAttestation
    signer: str
    signature: bytes


@dataclass(frozen=True)
class Assessment:
    decision: str
    score: int
    grade: str | None
    borrow_limit: int
    probability_of_default: float
    reasons: list[dict[str, Any]]
    model_version: str
    credit: Signed | None


class OracleClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------------------------------- sign-in

    def sign_in(self, wallet: LocalAccount) -> Session:
        """EIP-4361: asks a nonce, has the wallet sign the message, exchanges it for tokens."""
        from disfruta.siwe import SiweMessage

        info = self._call("POST", "/auth/siwe/nonce")
        message = SiweMessage(domain=info["domain"], address=wallet.address, uri=info["uri"],
                              chain_id=info["chain_id"], nonce=info["nonce"],
                              issued_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              statement=info["statement"]).text()
        signature = wallet.sign_message(encode_defunct(text=message)).signature.hex()
        tokens = self._call("POST", "/auth/siwe/verify", json={"message": message, "signature": signature})
        return Session(tokens["access_token"], tokens["refresh_token"])

    def operator_sign_in(self, username: str, password: str, totp: str) -> Session:
        tokens = self._call("POST", "/auth/operator/login",
                            json={"username": username, "password": password, "totp": totp})
        return Session(tokens["access_token"], tokens["refresh_token"])

    # ------------------------------------------------------------------------------------------- KYC

    def submit_kyc(self, session: Session, roles: list[str], profile: dict[str, Any],
                   documents: list[dict[str, str]]) -> dict[str, Any]:
        return self._call("POST", "/kyc/submission", session,
                          json={"roles": roles, "profile": profile, "documents": documents})

    def review(self, operator: Session, wallet: str, decision: str, reason: str) -> dict[str, Any]:
        return self._call("POST", f"/kyc/users/{wallet}/review", operator,
                          json={"decision": decision, "reason": reason})

    def revoke(self, operator: Session, wallet: str, reason: str) -> dict[str, Any]:
        return self._call("POST", f"/kyc/users/{wallet}/revoke", operator, json={"reason": reason})

    def kyc_attestation(self, session: Session, nonce: int | None = None) -> Signed:
        out = self._call("POST", "/kyc/me/attestation", session, json={} if nonce is None else {"nonce": nonce})
        return _signed(out)

    # ------------------------------------------------------------------------------------------- credit

    def assess(self, session: Session, applicant: dict[str, Any], transactions: list[dict[str, Any]] | None = None,
               nonce: int | None = None) -> Assessment:
        body: dict[str, Any] = {"applicant": applicant}
        if transactions is not None:
            body["transactions"] = transactions
        if nonce is not None:
            body["nonce"] = nonce
        out = self._call("POST", "/credit/assessments", session, json=body)
        return Assessment(decision=out["decision"], score=out["score"], grade=out["grade"],
                          borrow_limit=int(out["borrow_limit"]), probability_of_default=out["probability_of_default"],
                          reasons=out["reasons"], model_version=out["model_version"],
                          credit=_signed(out["attestation"]) if out.get("attestation") else None)

    def model(self) -> dict[str, Any]:
        return self._call("GET", "/credit/model")

    # ------------------------------------------------------------------------------------------- plumbing

    def _call(self, method: str, path: str, session: Session | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {session.access_token}"} if session else {}
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise OracleError(0, f"cannot reach the oracle: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise OracleError(response.status_code, str(detail))
        return response.json()


def _signed(out: dict[str, Any]) -> Signed:
    m = out["message"]
    att: KycAttestation | CreditAttestation
    if out["kind"] == "kyc":
        att = KycAttestation(user=m["user"], roles=int(m["roles"]), kyc_commitment=bytes.fromhex(
            str(m["kycCommitment"]).removeprefix("0x")), valid_until=int(m["validUntil"]), nonce=int(m["nonce"]),
            deadline=int(m["deadline"]))
    else:
        att = CreditAttestation(user=m["user"], grade=int(m["grade"]), borrow_limit=int(m["borrowLimit"]),
                                valid_until=int(m["validUntil"]), nonce=int(m["nonce"]), deadline=int(m["deadline"]))
    return Signed(att, out["signer"], bytes.fromhex(out["signature"].removeprefix("0x")))
