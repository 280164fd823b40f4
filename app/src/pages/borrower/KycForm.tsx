// The KYC step, for borrowers and lenders alike: the oracle's `Profile` form (sdk/disfruta/oracle/schemas.py),
// document hashes computed in the browser (only the SHA-256 leaves it), and the submission's status.
import { useEffect, useState, type FormEvent } from "react";
import { useApp } from "../../lib/context";
import { ApiError, useSession, type KycDocument, type KycProfile, type KycStatus } from "../../lib/oracle";
import {
  Button,
  ErrorNote,
  InfoNote,
  LabeledInput,
  LabeledSelect,
  Loading,
  Section,
  messageOf,
  useAsync,
} from "./shared";

export type Role = "borrower" | "lender";

export type { KycStatus };

const EMPLOYMENT = [
  { value: "employed", label: "Employed" },
  { value: "self_employed", label: "Self-employed" },
  { value: "unemployed", label: "Unemployed" },
  { value: "student", label: "Student" },
  { value: "retired", label: "Retired" },
];

const DOCUMENT_KINDS = [
  { value: "passport", label: "Passport" },
  { value: "national_id", label: "National identity card" },
  { value: "driving_licence", label: "Driving licence" },
  { value: "proof_of_address", label: "Proof of address" },
  { value: "bank_statement", label: "Bank statement" },
];

const STATUS_TEXT: Record<string, { text: string; tone: "info" | "warn" | "ok" }> = {
  none: { text: "Not submitted yet.", tone: "info" },
  pending: { text: "Pending: an operator is reviewing your submission.", tone: "info" },
  approved: { text: "Approved: you can now put your KYC attestation on chain.", tone: "ok" },
  rejected: {
    text: "Rejected: the reviewer did not accept this submission. Correct your details and submit again.",
    tone: "warn",
  },
  revoked: { text: "Revoked: your verification was withdrawn. Contact support.", tone: "warn" },
  erased: { text: "Erased: your personal data was deleted at your request.", tone: "warn" },
};

/** Hex SHA-256 of a file, computed in the browser (Web Crypto). */
export async function sha256Hex(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

type Doc = { kind: string; fileName?: string; sha256?: string; hashing?: boolean };

type ProfileForm = {
  first_name: string;
  last_name: string;
  date_of_birth: string;
  phone_number: string;
  address_line1: string;
  address_line2: string;
  city: string;
  state: string;
  postal_code: string;
  country: string;
  employment_status: string;
  annual_income: string;
};

const EMPTY: ProfileForm = {
  first_name: "",
  last_name: "",
  date_of_birth: "",
  phone_number: "",
  address_line1: "",
  address_line2: "",
  city: "",
  state: "",
  postal_code: "",
  country: "",
  employment_status: "employed",
  annual_income: "",
};

/** The same checks as the oracle's `Profile` schema, as sentences, before anything is sent. */
function validate(f: ProfileForm, docs: Doc[], roles: Role[]): string[] {
  const problems: string[] = [];
  const text = (v: string, what: string, optional = false) => {
    const t = v.trim();
    if (!t) {
      if (!optional) problems.push(`${what} is required.`);
      return;
    }
    if (t.length > 100) problems.push(`${what} is at most 100 characters.`);
  };
  text(f.first_name, "First name");
  text(f.last_name, "Last name");
  text(f.address_line1, "Address line 1");
  text(f.address_line2, "Address line 2", true);
  text(f.city, "City");
  text(f.state, "State or region", true);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(f.date_of_birth)) problems.push("Date of birth is required (YYYY-MM-DD).");
  else {
    const [y, m, d] = f.date_of_birth.split("-").map(Number) as [number, number, number];
    const now = new Date();
    const age = now.getUTCFullYear() - y - (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d) ? 1 : 0);
    if (age < 18 || age > 130) problems.push("You must be an adult (18 or older) with a plausible birth date.");
  }
  if (!/^\+[1-9][0-9]{6,14}$/.test(f.phone_number.trim()))
    problems.push("Phone number must be in international format, e.g. +34600123456.");
  if (!/^[A-Za-z0-9 -]{2,12}$/.test(f.postal_code.trim())) problems.push("Postal code: 2 to 12 letters, digits, spaces or dashes.");
  if (!/^[A-Z]{2}$/.test(f.country.trim().toUpperCase())) problems.push("Country: the two-letter ISO code, e.g. ES.");
  if (!/^\d+$/.test(f.annual_income.trim()) || Number(f.annual_income) > 1e9)
    problems.push("Annual income: a whole number from 0 to 1,000,000,000.");
  if (roles.length === 0) problems.push("Choose at least one role.");
  const hashed = docs.filter((d) => d.sha256);
  if (hashed.length === 0) problems.push("Add at least one document.");
  if (docs.some((d) => d.hashing)) problems.push("Wait until every document is hashed.");
  return problems;
}

/**
 * The KYC section: status (with Refresh) and the submission form. `defaultRoles`: the page's role (the borrower
 * page asks ["borrower"], the lender page ["lender"]); the user may tick both.
 */
export default function KycForm({ defaultRoles, onStatus }: { defaultRoles: Role[]; onStatus?: (s: KycStatus | null) => void }) {
  const { oracle } = useApp();
  const { session } = useSession();
  const [form, setForm] = useState<ProfileForm>(EMPTY);
  const [roles, setRoles] = useState<Role[]>(defaultRoles);
  const [docs, setDocs] = useState<Doc[]>([{ kind: "passport" }]);
  const [problems, setProblems] = useState<string[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>(undefined);
  const [editing, setEditing] = useState(false);

  const status = useAsync<KycStatus | null>(async () => {
    if (!session) return null;
    try {
      const s = await oracle.kycMe(session.address);
      onStatus?.(s);
      return s;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        onStatus?.(null);
        return null; // never submitted
      }
      throw e;
    }
  }, [session?.address]);

  // Keep the roles already held (a borrower adding the lender role must not drop the borrower one).
  useEffect(() => {
    const held = (status.data?.roles ?? []).filter((r): r is Role => r === "borrower" || r === "lender");
    if (held.length) setRoles((rs) => Array.from(new Set([...rs, ...held])));
  }, [status.data]);

  const set = (k: keyof ProfileForm) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const onFile = async (i: number, file: File | undefined) => {
    if (!file) return;
    setDocs((ds) => ds.map((d, j) => (j === i ? { ...d, fileName: file.name, sha256: undefined, hashing: true } : d)));
    const hash = await sha256Hex(file);
    setDocs((ds) => ds.map((d, j) => (j === i ? { ...d, sha256: hash, hashing: false } : d)));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validate(form, docs, roles);
    setProblems(found);
    if (found.length) return;
    setSubmitting(true);
    setSubmitError(undefined);
    try {
      const profile: KycProfile = {
        first_name: form.first_name.trim(),
        last_name: form.last_name.trim(),
        date_of_birth: form.date_of_birth,
        phone_number: form.phone_number.trim(),
        address_line1: form.address_line1.trim(),
        city: form.city.trim(),
        postal_code: form.postal_code.trim(),
        country: form.country.trim().toUpperCase(),
        employment_status: form.employment_status as KycProfile["employment_status"],
        annual_income: Number(form.annual_income.trim()),
      };
      if (form.address_line2.trim()) profile.address_line2 = form.address_line2.trim();
      if (form.state.trim()) profile.state = form.state.trim();
      await oracle.submitKyc({
        roles,
        profile,
        documents: docs
          .filter((d) => d.sha256)
          .map((d) => ({ kind: d.kind as KycDocument["kind"], sha256: d.sha256 as string })),
      });
      setEditing(false);
      status.reload();
    } catch (err) {
      setSubmitError(err);
    } finally {
      setSubmitting(false);
    }
  };

  if (!session) {
    return (
      <Section title="KYC" id="kyc">
        <p className="text-sm text-slate-600">Sign in first to submit your identity check.</p>
      </Section>
    );
  }

  const current = status.data;
  const state = current?.kyc_status ?? "none";
  const info = STATUS_TEXT[state] ?? { text: state, tone: "info" as const };
  const showForm = editing || state === "none" || state === "rejected" || current === null;

  return (
    <Section
      title="KYC"
      id="kyc"
      actions={
        <Button variant="secondary" onClick={status.reload} disabled={status.loading}>
          Refresh status
        </Button>
      }
    >
      {status.loading && status.data === undefined ? <Loading what="your KYC status" /> : null}
      <ErrorNote error={status.error} />
      {status.data !== undefined ? (
        <div data-testid="kyc-status" data-status={state}>
          <InfoNote tone={info.tone}>
            <strong className="mr-1">KYC status: {state}.</strong>
            {info.text.replace(/^[^:]+: /, "")}
            {current?.roles?.length ? <span className="ml-1">Roles: {current.roles.join(", ")}.</span> : null}
            {current?.updated_at ? <span className="ml-1 text-slate-500">Updated {current.updated_at.slice(0, 10)}.</span> : null}
          </InfoNote>
        </div>
      ) : null}
      {!showForm && (state === "pending" || state === "approved") ? (
        <Button variant="secondary" onClick={() => setEditing(true)}>
          Submit new details
        </Button>
      ) : null}
      {showForm ? (
        <form onSubmit={submit} className="space-y-4" noValidate aria-label="KYC submission">
          <fieldset className="space-y-2">
            <legend className="text-sm font-medium text-slate-700">Roles</legend>
            <div className="flex gap-4 text-sm">
              {(["borrower", "lender"] as Role[]).map((r) => (
                <label key={r} htmlFor={`kyc-role-${r}`} className="flex items-center gap-2">
                  <input
                    id={`kyc-role-${r}`}
                    type="checkbox"
                    checked={roles.includes(r)}
                    onChange={(e) => setRoles((rs) => (e.target.checked ? [...rs, r] : rs.filter((x) => x !== r)))}
                  />
                  {r === "borrower" ? "Borrower" : "Lender"}
                </label>
              ))}
            </div>
          </fieldset>
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
            <LabeledInput id="kyc-first-name" label="First name" value={form.first_name} onChange={set("first_name")} autoComplete="given-name" />
            <LabeledInput id="kyc-last-name" label="Last name" value={form.last_name} onChange={set("last_name")} autoComplete="family-name" />
            <LabeledInput id="kyc-dob" label="Date of birth" type="date" value={form.date_of_birth} onChange={set("date_of_birth")} />
            <LabeledInput
              id="kyc-phone"
              label="Phone number"
              type="tel"
              placeholder="+34600123456"
              value={form.phone_number}
              onChange={set("phone_number")}
              hint="International format (E.164)"
            />
            <LabeledInput id="kyc-address1" label="Address line 1" value={form.address_line1} onChange={set("address_line1")} />
            <LabeledInput id="kyc-address2" label="Address line 2 (optional)" value={form.address_line2} onChange={set("address_line2")} />
            <LabeledInput id="kyc-city" label="City" value={form.city} onChange={set("city")} />
            <LabeledInput id="kyc-state" label="State or region (optional)" value={form.state} onChange={set("state")} />
            <LabeledInput id="kyc-postal" label="Postal code" value={form.postal_code} onChange={set("postal_code")} />
            <LabeledInput
              id="kyc-country"
              label="Country code"
              placeholder="ES"
              maxLength={2}
              value={form.country}
              onChange={set("country")}
              hint="ISO 3166-1 two-letter code"
            />
            <LabeledSelect
              id="kyc-employment"
              label="Employment status"
              options={EMPLOYMENT}
              value={form.employment_status}
              onChange={set("employment_status")}
            />
            <LabeledInput
              id="kyc-income"
              label="Annual income"
              inputMode="numeric"
              value={form.annual_income}
              onChange={set("annual_income")}
              hint="Whole number, in your local currency"
            />
          </div>
          <fieldset className="space-y-3">
            <legend className="text-sm font-medium text-slate-700">Documents</legend>
            <p className="text-xs text-slate-500">
              Your files never leave this browser: only their SHA-256 fingerprints are sent.
            </p>
            {docs.map((d, i) => (
              <div key={i} className="grid grid-cols-1 items-end gap-3 sm:grid-cols-3" data-testid="kyc-document">
                <LabeledSelect
                  id={`kyc-doc-${i + 1}-kind`}
                  label={`Document ${i + 1} type`}
                  options={DOCUMENT_KINDS}
                  value={d.kind}
                  onChange={(e) => setDocs((ds) => ds.map((x, j) => (j === i ? { ...x, kind: e.target.value } : x)))}
                />
                <LabeledInput
                  id={`kyc-doc-${i + 1}-file`}
                  label={`Document ${i + 1} file`}
                  type="file"
                  onChange={(e) => void onFile(i, e.target.files?.[0])}
                />
                <div className="text-xs break-all text-slate-500" data-testid="kyc-document-hash">
                  {d.hashing ? "Computing SHA-256…" : d.sha256 ? `SHA-256 ${d.sha256}` : "No file chosen"}
                </div>
              </div>
            ))}
            {docs.length < 10 ? (
              <Button variant="secondary" onClick={() => setDocs((ds) => [...ds, { kind: "proof_of_address" }])}>
                Add another document
              </Button>
            ) : null}
          </fieldset>
          {problems.length ? (
            <ul role="alert" className="list-disc rounded-md border border-red-200 bg-red-50 py-2 pr-3 pl-6 text-sm text-red-800">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
          <ErrorNote error={submitError ? messageOf(submitError) : undefined} />
          <Button type="submit" disabled={submitting}>
            {submitting ? "Submitting…" : "Submit KYC"}
          </Button>
        </form>
      ) : null}
    </Section>
  );
}
