"""Constants and helpers shared by the oracle tests (sample KYC data and applicants, sign-in)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from disfruta.credit import Transaction
from disfruta.siwe import SiweMessage
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

PG_ENV = "DISFRUTA_TEST_PG_URL"
REGISTRY = "0x" + "5e" * 20  # offline tests sign for this registry (no chain connection)
OPERATOR = "reviewer"
OPERATOR_PASSWORD = "correct horse battery staple"
DOC = {"kind": "passport", "sha256": "ab" * 32}
PROFILE = {
    "first_name": "Ana", "last_name": "García", "date_of_birth": "1990-04-01", "phone_number": "+34600123456",
    "address_line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "ES",
    "employment_status": "employed", "annual_income": 42000,
}
APPLICANT = {
    "checking_account": "none", "duration_months": 12, "credit_history": "existing_paid", "purpose": "car_used",
    "credit_amount": 2500, "savings": "unknown", "employment_since": "4_7y", "installment_rate_pct": 2,
    "other_debtors": "none", "residence_since": 2, "property": "real_estate", "age_years": 40,
    "other_installment_plans": "none", "housing": "own", "existing_credits": 1, "job": "skilled",
    "dependents": 1, "telephone": "yes",
}
RISKY_APPLICANT = {
    **APPLICANT, "checking_account": "negative", "duration_months": 48, "credit_history": "all_paid_this_bank",
    "purpose": "education", "credit_amount": 12000, "savings": "lt_100", "employment_since": "lt_1y",
    "installment_rate_pct": 4, "property": "none", "age_years": 22, "housing": "rent",
    "other_installment_plans": "bank",
}


@dataclass
class Clock:
    """The service's clock, movable by tests (starts at the real time)."""

    t: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.t


def siwe_text(client: TestClient, account: LocalAccount, **overrides: Any) -> str:
    info = client.post("/auth/siwe/nonce").json()
    issued = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = dict(domain=info["domain"], address=account.address, uri=info["uri"], chain_id=info["chain_id"],
                  nonce=info["nonce"], issued_at=issued, statement=info["statement"])
    fields.update(overrides)
    return SiweMessage(**fields).text()


def personal_sign(account: LocalAccount, message: str) -> str:
    return "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()


def sign_in(client: TestClient, account: LocalAccount) -> dict[str, Any]:
    message = siwe_text(client, account)
    response = client.post("/auth/siwe/verify", json={"message": message,
                                                      "signature": personal_sign(account, message)})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


START = date(2024, 1, 1)


def history(months: int = 6, salary: float | list[float] = 3000.0, spend: float = 2500.0, start_balance: float = 1000.0,
            nsf_days: tuple[int, ...] = (), overdraft_month: int | None = None) -> list[Transaction]:
    """Monthly salary on the 1st, rent on the 3rd, spending on the 15th; optional NSF fees and one overdraft."""
    salaries = salary if isinstance(salary, list) else [salary] * months
    txs, balance = [], start_balance
    for m in range(months):
        first = date(START.year + (START.month - 1 + m) // 12, (START.month - 1 + m) % 12 + 1, 1)
        for day, amount, kind in ((0, salaries[m], "income"), (2, -spend * 0.6, "expense"),
                                  (14, -spend * 0.4, "expense")):
            if amount == 0:
                continue
            balance += amount
            txs.append(Transaction(date=first + timedelta(days=day), amount=amount, balance=balance, kind=kind))
        if overdraft_month == m:
            txs.append(Transaction(date=first + timedelta(days=20), amount=-(balance + 100), balance=-100,
                                   kind="expense"))
            balance = -100.0
    for d in nsf_days:
        txs.append(Transaction(date=START + timedelta(days=d), amount=-35, balance=balance, kind="nsf_fee"))
    return txs
