"""The applicant features the scorecard reads, with short API codes for the German Credit categories.

The model is trained on the UCI Statlog German Credit data (1,000 applicants). Its categorical answers are long
German-bank phrases (``"... < 0 DM"``); the API takes short codes and this module maps them both ways. Two columns
of the data are never used, because lending law forbids deciding on them: ``personal_status_and_sex`` (sex and
marital status) and ``foreign_worker`` (national origin). The applicant's age is asked (the API keeps the field) but
never scored either (``MEASURED_ONLY``): ECOA/Regulation B allow age only in narrow ways, and the simplest honest
reading is to leave it out. Sex and age are used for one thing only, measuring the card's approval and bad rates
by group (the model card's fairness table).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EXCLUDED_COLUMNS = ("personal_status_and_sex", "foreign_worker")
SEX_COLUMN = "personal_status_and_sex"  # read only to measure (``data.load_groups``), never a model input
TARGET_COLUMN = "creditability"

# API code -> the dataset's category, per categorical feature (API name -> (dataset column, mapping)).
CATEGORICAL: dict[str, tuple[str, dict[str, str]]] = {
    "checking_account": ("status_of_existing_checking_account", {
        "negative": "... < 0 DM",
        "low": "0 <= ... < 200 DM",
        "high": "... >= 200 DM / salary assignments for at least 1 year",
        "none": "no checking account",
    }),
    "credit_history": ("credit_history", {
        "no_credits": "no credits taken/ all credits paid back duly",
        "all_paid_this_bank": "all credits at this bank paid back duly",
        "existing_paid": "existing credits paid back duly till now",
        "past_delay": "delay in paying off in the past",
        "critical": "critical account/ other credits existing (not at this bank)",
    }),
    "purpose": ("purpose", {
        "car_new": "car (new)",
        "car_used": "car (used)",
        "furniture": "furniture/equipment",
        "radio_tv": "radio/television",
        "appliances": "domestic appliances",
        "repairs": "repairs",
        "education": "education",
        "retraining": "retraining",
        "business": "business",
        "others": "others",
    }),
    "savings": ("savings_account_and_bonds", {
        "lt_100": "... < 100 DM",
        "100_500": "100 <= ... < 500 DM",
        "500_1000": "500 <= ... < 1000 DM",
        "ge_1000": "... >= 1000 DM",
        "unknown": "unknown/ no savings account",
    }),
    "employment_since": ("present_employment_since", {
        "unemployed": "unemployed",
        "lt_1y": "... < 1 year",
        "1_4y": "1 <= ... < 4 years",
        "4_7y": "4 <= ... < 7 years",
        "ge_7y": "... >= 7 years",
    }),
    "other_debtors": ("other_debtors_or_guarantors", {
        "none": "none",
        "co_applicant": "co-applicant",
        "guarantor": "guarantor",
    }),
    "property": ("property", {
        "real_estate": "real estate",
        "savings_insurance": "building society savings agreement/ life insurance",
        "car_other": "car or other, not in attribute Savings account/bonds",
        "none": "unknown / no property",
    }),
    "other_installment_plans": ("other_installment_plans", {"bank": "bank", "stores": "stores", "none": "none"}),
    "housing": ("housing", {"rent": "rent", "own": "own", "free": "for free"}),
    "job": ("job", {
        "unskilled_nonresident": "unemployed/ unskilled - non-resident",
        "unskilled_resident": "unskilled - resident",
        "skilled": "skilled employee / official",
        "highly_qualified": "management/ self-employed/ highly qualified employee/ officer",
    }),
    "telephone": ("telephone", {"none": "none", "yes": "yes, registered under the customers name"}),
}

# API name -> dataset column, per numeric feature.
NUMERIC: dict[str, str] = {
    "duration_months": "duration_in_month",
    "credit_amount": "credit_amount",
    "installment_rate_pct": "installment_rate_in_percentage_of_disposable_income",
    "residence_since": "present_residence_since",
    "age_years": "age_in_years",
    "existing_credits": "number_of_existing_credits_at_this_bank",
    "dependents": "number_of_people_being_liable_to_provide_maintenance_for",
}

FEATURE_NAMES: tuple[str, ...] = tuple(sorted([*CATEGORICAL, *NUMERIC]))  # what the API asks
# Asked, and used to measure fairness, but never a model input: training drops it and an artifact scoring it is refused.
MEASURED_ONLY: tuple[str, ...] = ("age_years",)
MODEL_FEATURES: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n not in MEASURED_ONLY)

# Adverse-action statements: why a feature lowered the score (shown when it is among the top reasons).
REASON_TEXT: dict[str, str] = {
    "checking_account": "Checking account balance is low, overdrawn or unknown",
    "credit_history": "Repayment history on past or current credit",
    "purpose": "Purpose of the loan carries higher observed risk",
    "savings": "Savings are low or unknown",
    "employment_since": "Length of current employment",
    "other_debtors": "No co-applicant or guarantor",
    "property": "Little or no property held",
    "other_installment_plans": "Other installment plans outstanding",
    "housing": "Housing status",
    "job": "Type of employment",
    "telephone": "No registered telephone",
    "duration_months": "Loan term is long",
    "credit_amount": "Amount requested",
    "installment_rate_pct": "Installment is a high share of disposable income",
    "residence_since": "Time at current residence",
    "existing_credits": "Number of existing credits at the bank",
    "dependents": "Number of dependents",
}


class Applicant(BaseModel):
    """A credit applicant, in the model's terms (amounts in the data set's currency units, DM)."""

    model_config = ConfigDict(extra="forbid")

    checking_account: Literal["negative", "low", "high", "none"]
    duration_months: int = Field(ge=1, le=120, description="Loan term in months")
    credit_history: Literal["no_credits", "all_paid_this_bank", "existing_paid", "past_delay", "critical"]
    purpose: Literal["car_new", "car_used", "furniture", "radio_tv", "appliances", "repairs", "education",
                     "retraining", "business", "others"]
    credit_amount: int = Field(ge=1, le=10_000_000, description="Amount requested")
    savings: Literal["lt_100", "100_500", "500_1000", "ge_1000", "unknown"]
    employment_since: Literal["unemployed", "lt_1y", "1_4y", "4_7y", "ge_7y"]
    installment_rate_pct: int = Field(ge=1, le=4, description="Installment as a share of disposable income, "
                                                                 "1 (lowest band) to 4 (highest band)")
    other_debtors: Literal["none", "co_applicant", "guarantor"]
    residence_since: int = Field(ge=1, le=4, description="Years at present residence, banded 1 to 4 (4 = 4+)")
    property: Literal["real_estate", "savings_insurance", "car_other", "none"]
    age_years: int = Field(ge=18, le=120, description="Asked, never scored: used only to measure fairness by age")
    other_installment_plans: Literal["bank", "stores", "none"]
    housing: Literal["rent", "own", "free"]
    existing_credits: int = Field(ge=0, le=50)
    job: Literal["unskilled_nonresident", "unskilled_resident", "skilled", "highly_qualified"]
    dependents: int = Field(ge=0, le=20)
    telephone: Literal["none", "yes"]


def dataset_to_codes(row: dict[str, object]) -> dict[str, object]:
    """One row of the German Credit frame (dataset columns and categories) as API codes."""
    out: dict[str, object] = {}
    for name, (column, mapping) in CATEGORICAL.items():
        reverse = {v: k for k, v in mapping.items()}
        out[name] = reverse[str(row[column])]
    for name, column in NUMERIC.items():
        out[name] = int(row[column])  # type: ignore[call-overload]
    return out
