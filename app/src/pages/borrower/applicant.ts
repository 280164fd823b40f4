// The oracle's `Applicant` (sdk/disfruta/credit/features.py): the German-credit features, with the API's codes and
// the labels shown for them.

export type ChoiceField = {
  kind: "choice";
  name: string;
  label: string;
  options: { value: string; label: string }[];
};

export type NumberField = {
  kind: "number";
  name: string;
  label: string;
  min: number;
  max: number;
  hint?: string;
};

export type ApplicantField = ChoiceField | NumberField;

export const APPLICANT_FIELDS: ApplicantField[] = [
  {
    kind: "choice",
    name: "checking_account",
    label: "Checking account balance",
    options: [
      { value: "negative", label: "Overdrawn (below 0)" },
      { value: "low", label: "Low (0 to 200)" },
      { value: "high", label: "200 or more, or salary paid in for a year or more" },
      { value: "none", label: "No checking account" },
    ],
  },
  {
    kind: "choice",
    name: "credit_history",
    label: "Credit history",
    options: [
      { value: "no_credits", label: "No credits taken, or all paid back duly" },
      { value: "all_paid_this_bank", label: "All credits at this bank paid back duly" },
      { value: "existing_paid", label: "Existing credits paid back duly so far" },
      { value: "past_delay", label: "Delays in paying in the past" },
      { value: "critical", label: "Critical account, or credits at other banks" },
    ],
  },
  {
    kind: "choice",
    name: "purpose",
    label: "What the credit is for",
    options: [
      { value: "car_new", label: "Car (new)" },
      { value: "car_used", label: "Car (used)" },
      { value: "furniture", label: "Furniture or equipment" },
      { value: "radio_tv", label: "Radio or television" },
      { value: "appliances", label: "Domestic appliances" },
      { value: "repairs", label: "Repairs" },
      { value: "education", label: "Education" },
      { value: "retraining", label: "Retraining" },
      { value: "business", label: "Business" },
      { value: "others", label: "Other" },
    ],
  },
  { kind: "number", name: "credit_amount", label: "Amount requested", min: 1, max: 10_000_000, hint: "Whole number" },
  { kind: "number", name: "duration_months", label: "Duration (months)", min: 1, max: 120 },
  {
    kind: "choice",
    name: "savings",
    label: "Savings and bonds",
    options: [
      { value: "lt_100", label: "Below 100" },
      { value: "100_500", label: "100 to 500" },
      { value: "500_1000", label: "500 to 1,000" },
      { value: "ge_1000", label: "1,000 or more" },
      { value: "unknown", label: "Unknown, or no savings account" },
    ],
  },
  {
    kind: "choice",
    name: "employment_since",
    label: "In current employment for",
    options: [
      { value: "unemployed", label: "Unemployed" },
      { value: "lt_1y", label: "Less than 1 year" },
      { value: "1_4y", label: "1 to 4 years" },
      { value: "4_7y", label: "4 to 7 years" },
      { value: "ge_7y", label: "7 years or more" },
    ],
  },
  {
    kind: "choice",
    name: "job",
    label: "Type of job",
    options: [
      { value: "unskilled_nonresident", label: "Unemployed or unskilled, non-resident" },
      { value: "unskilled_resident", label: "Unskilled, resident" },
      { value: "skilled", label: "Skilled employee or official" },
      { value: "highly_qualified", label: "Management, self-employed or highly qualified" },
    ],
  },
  {
    kind: "number",
    name: "installment_rate_pct",
    label: "Installment as a share of disposable income (band 1–4)",
    min: 1,
    max: 4,
    hint: "1 = lowest share, 4 = highest",
  },
  {
    kind: "choice",
    name: "other_debtors",
    label: "Co-applicant or guarantor",
    options: [
      { value: "none", label: "None" },
      { value: "co_applicant", label: "Co-applicant" },
      { value: "guarantor", label: "Guarantor" },
    ],
  },
  {
    kind: "number",
    name: "residence_since",
    label: "Years at present residence (band 1–4)",
    min: 1,
    max: 4,
    hint: "4 means 4 years or more",
  },
  {
    kind: "choice",
    name: "property",
    label: "Property",
    options: [
      { value: "real_estate", label: "Real estate" },
      { value: "savings_insurance", label: "Building society savings or life insurance" },
      { value: "car_other", label: "Car or other property" },
      { value: "none", label: "None or unknown" },
    ],
  },
  {
    kind: "choice",
    name: "other_installment_plans",
    label: "Other installment plans",
    options: [
      { value: "none", label: "None" },
      { value: "bank", label: "At a bank" },
      { value: "stores", label: "At stores" },
    ],
  },
  {
    kind: "choice",
    name: "housing",
    label: "Housing",
    options: [
      { value: "rent", label: "Rent" },
      { value: "own", label: "Own" },
      { value: "free", label: "Live for free" },
    ],
  },
  { kind: "number", name: "existing_credits", label: "Existing credits at this bank", min: 0, max: 50 },
  { kind: "number", name: "dependents", label: "People you support financially", min: 0, max: 20 },
  {
    kind: "choice",
    name: "telephone",
    label: "Telephone registered in your name",
    options: [
      { value: "yes", label: "Yes" },
      { value: "none", label: "No" },
    ],
  },
  {
    kind: "number",
    name: "age_years",
    label: "Age (years)",
    min: 18,
    max: 120,
    hint: "Asked, never scored: used only to check the model is fair across ages",
  },
];

/** Typical answers to start from (the oracle tests' sample applicant); every field can be changed. */
export const DEFAULT_APPLICANT: Record<string, string> = {
  checking_account: "none",
  duration_months: "12",
  credit_history: "existing_paid",
  purpose: "car_used",
  credit_amount: "2500",
  savings: "unknown",
  employment_since: "4_7y",
  installment_rate_pct: "2",
  other_debtors: "none",
  residence_since: "2",
  property: "real_estate",
  age_years: "40",
  other_installment_plans: "none",
  housing: "own",
  existing_credits: "1",
  job: "skilled",
  dependents: "1",
  telephone: "yes",
};

/** The form's text values as the API's `Applicant`, or the sentences saying what is wrong. */
export function toApplicant(values: Record<string, string>): { applicant?: Record<string, string | number>; problems: string[] } {
  const problems: string[] = [];
  const out: Record<string, string | number> = {};
  for (const f of APPLICANT_FIELDS) {
    const raw = (values[f.name] ?? "").trim();
    if (f.kind === "choice") {
      if (!f.options.some((o) => o.value === raw)) problems.push(`${f.label}: choose an answer.`);
      else out[f.name] = raw;
    } else {
      if (!/^\d+$/.test(raw)) problems.push(`${f.label}: enter a whole number.`);
      else {
        const n = Number(raw);
        if (n < f.min || n > f.max) problems.push(`${f.label} must be between ${f.min} and ${f.max}.`);
        else out[f.name] = n;
      }
    }
  }
  return problems.length ? { problems } : { applicant: out, problems };
}
