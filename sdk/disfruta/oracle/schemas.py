"""Request and response bodies of the HTTP API (pydantic; they make the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from disfruta.credit.cashflow import MAX_TRANSACTIONS, Transaction
from disfruta.credit.features import Applicant

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"])]
Nonce = Annotated[int, Field(ge=0, lt=2**32, description="The registry's next nonce for this user; required "
                                                         "when the service has no chain connection")]
Text = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------------ auth


class NonceOut(BaseModel):
    nonce: str
    domain: str
    uri: str
    chain_id: int
    statement: str
    expires_at: datetime


class SiweIn(Strict):
    message: str = Field(min_length=1, max_length=4096, description="The EIP-4361 message, exactly as signed")
    signature: str = Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$", description="65-byte personal_sign signature")


class OperatorLoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str = Field(min_length=1, max_length=10, description="The 6-digit code of the operator's authenticator")


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=16, max_length=256)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


# ------------------------------------------------------------------------------------------------ KYC


class Profile(Strict):
    """The seed's user profile. Stored only encrypted; only a salted commitment to it leaves the service."""

    first_name: Text
    last_name: Text
    date_of_birth: date
    phone_number: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164")
    address_line1: Text
    address_line2: Text | None = None
    city: Text
    state: Text | None = None
    postal_code: str = Field(pattern=r"^[A-Za-z0-9 -]{2,12}$")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    employment_status: Literal["employed", "self_employed", "unemployed", "student", "retired"]
    annual_income: int = Field(ge=0, le=10**9)

    @field_validator("date_of_birth")
    @classmethod
    def _adult(cls, value: date) -> date:
        today = date.today()
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if not 18 <= age <= 130:
            raise ValueError("the applicant must be an adult (18 or older) with a plausible birth date")
        return value


class Document(Strict):
    kind: Literal["passport", "national_id", "driving_licence", "proof_of_address", "bank_statement"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the document file")


class KycSubmissionIn(Strict):
    roles: list[Literal["borrower", "lender"]] = Field(min_length=1, max_length=2)
    profile: Profile
    documents: list[Document] = Field(min_length=1, max_length=10)

    @field_validator("roles")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("roles must not repeat")
        return value


class KycStatusOut(BaseModel):
    wallet_address: str
    kyc_status: str
    roles: list[str]
    kyc_commitment: str | None
    updated_at: datetime


class ReviewIn(Strict):
    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=500)


class RevokeIn(Strict):
    reason: str = Field(min_length=1, max_length=500, description="Kept in the audit log; only its hash on chain")


class RevokeOut(KycStatusOut):
    transaction_hash: str | None = Field(description="The on-chain revokeUser transaction, when the service has a "
                                                     "revoker key and an RPC connection")


class ProfileOut(BaseModel):
    wallet_address: str
    profile: Profile
    documents: list[Document]
    submitted_at: datetime


class AttestationIn(Strict):
    nonce: Nonce | None = None


class SignedAttestationOut(BaseModel):
    kind: Literal["kyc", "credit"]
    message: dict[str, int | str] = Field(description="The struct fields; bytes as 0x-hex")
    signer: str
    signature: str
    digest: str
    chain_id: int
    registry: str


# ------------------------------------------------------------------------------------------------ credit


class AssessmentIn(Strict):
    applicant: Applicant
    transactions: list[Transaction] | None = Field(None, max_length=MAX_TRANSACTIONS,
                                                   description="Bank history for the cash-flow features")
    nonce: Nonce | None = None


class ReasonOut(BaseModel):
    code: str
    text: str
    points_lost: float


class AssessmentOut(BaseModel):
    id: str
    decision: Literal["approved", "declined"]
    score: int
    base_score: int
    cashflow_adjustment: int
    cashflow_features: dict[str, float | int | None] | None
    probability_of_default: float
    grade: str | None
    borrow_limit: str = Field(description="Token units, as a decimal string (uint128)")
    reasons: list[ReasonOut]
    model_version: str
    created_at: datetime
    expires_at: datetime
    attestation: SignedAttestationOut | None


class ModelRepeatedSplitsOut(BaseModel):
    n_splits: int
    seeds: list[int]
    test_size: float
    auc_mean: float
    auc_sd: float = Field(description="Sample standard deviation of the splits' held-out AUCs")
    auc_min: float
    auc_max: float


class ModelCalibrationRowOut(BaseModel):
    n: int
    bad_rate: float = Field(description="Observed share of bad credits")
    pd_before: float = Field(description="Mean predicted P(default) of the model's own log-odds")
    pd_after: float = Field(description="Mean predicted P(default) after the recalibration the card ships")


class ModelCalibrationOut(BaseModel):
    pooled_over: str
    brier_before: float
    brier_after: float
    slope_before: float
    slope_after: float
    by_letter: dict[str, ModelCalibrationRowOut] = Field(description="Grade letters A … E and declined")


class ModelGroupOut(BaseModel):
    n: int
    approval_rate: float
    bad_rate: float
    bad_rate_approved: float


class ModelFairnessAttributeOut(BaseModel):
    groups: dict[str, ModelGroupOut]
    four_fifths_ratio: float = Field(description="Lowest group approval rate over the highest")


class ModelFairnessOut(BaseModel):
    pooled_over: str
    sex: ModelFairnessAttributeOut
    age_band: ModelFairnessAttributeOut


class ModelOut(BaseModel):
    """The model card. ``auc_test`` … ``n_test`` are the shipped split's; ``repeated_splits``, ``calibration``
    and ``fairness`` measure the same training recipe on more splits (sex and age are not model inputs)."""

    version: str
    auc_test: float
    gini_test: float
    ks_test: float
    n_train: int
    n_test: int
    cutoff_score: int
    grade_bounds: dict[str, int]
    grade_limits: dict[str, int]
    not_scored: list[str] = Field(description="Applicant fields asked but never scored (used only to measure)")
    repeated_splits: ModelRepeatedSplitsOut | None = None
    calibration: ModelCalibrationOut | None = None
    fairness: ModelFairnessOut | None = None


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, object]


class SignersOut(BaseModel):
    addresses: list[str] = Field(description="The keys the service holds, current first")
    active: str | None = Field(description="The key it signs with now (None: none is authorised on chain)")
    chain_connected: bool
