// The credit assessment: the applicant form (the oracle's `Applicant`), the result (grade, score, decision, limit,
// the rate the factory charges that grade, the top reasons) and the signed credit attestation it carries.
import { useEffect, useState, type FormEvent } from "react";
import { LoanFactoryAbi } from "../../generated/abi/LoanFactory";
import { GradeBadge } from "../../components/ui";
import { useApp } from "../../lib/context";
import { formatAmount, formatApr, formatPct, toBigInt } from "../../lib/money";
import { useSession, type Applicant, type Assessment, type SignedAttestation } from "../../lib/oracle";
import { APPLICANT_FIELDS, DEFAULT_APPLICANT, toApplicant } from "./applicant";
import { Button, ErrorNote, Figures, InfoNote, LabeledInput, LabeledSelect, Section, gradeNumber, useAsync } from "./shared";

export type { Assessment, SignedAttestation };

const storageKey = (address: string) => `disfruta.assessment.${address.toLowerCase()}`;

/** The last assessment this browser received for `address` (the signed attestation only comes with the POST). */
export function storedAssessment(address: string | undefined): Assessment | null {
  if (!address) return null;
  try {
    const raw = sessionStorage.getItem(storageKey(address));
    return raw ? (JSON.parse(raw) as Assessment) : null;
  } catch {
    return null;
  }
}

function storeAssessment(address: string, a: Assessment): void {
  try {
    sessionStorage.setItem(storageKey(address), JSON.stringify(a));
  } catch {
    /* storage full or disabled: the page still shows it */
  }
}

export function AssessmentResult({ assessment }: { assessment: Assessment }) {
  const { publicClient, addresses, token } = useApp();
  const grade = gradeNumber(assessment.grade);
  const rate = useAsync(async () => {
    if (!grade) return null;
    const [annualRateBps, originationFeeBps] = (await publicClient.readContract({
      address: addresses.factory,
      abi: LoanFactoryAbi,
      functionName: "rateFor",
      args: [grade],
    })) as readonly [number, number];
    return { annualRateBps, originationFeeBps };
  }, [grade]);
  const approved = assessment.decision === "approved";
  return (
    <div data-testid="assessment-result" data-decision={assessment.decision} className="space-y-3">
      <div className="flex flex-wrap items-center gap-3">
        <span
          className={`rounded-full px-3 py-1 text-sm font-semibold ${
            approved ? "bg-emerald-100 text-emerald-800" : "bg-red-100 text-red-800"
          }`}
          data-testid="assessment-decision"
        >
          {approved ? "Approved" : "Declined"}
        </span>
        {assessment.grade ? <GradeBadge grade={assessment.grade} /> : null}
      </div>
      <Figures
        rows={[
          ["Grade", <span data-testid="assessment-grade">{assessment.grade ?? "—"}</span>],
          ["Score", <span data-testid="assessment-score">{assessment.score}</span>],
          ["Borrow limit", <span data-testid="assessment-limit">{formatAmount(toBigInt(assessment.borrow_limit), token.decimals, token.symbol)}</span>],
          [
            "Offered rate",
            <span data-testid="assessment-rate">
              {rate.data ? formatApr(rate.data.annualRateBps) : grade ? (rate.error ? "unavailable" : "…") : "—"}
            </span>,
          ],
          ["Origination fee", rate.data ? `${(rate.data.originationFeeBps / 100).toFixed(2)}% of the principal` : "—"],
          ["Probability of default", formatPct(assessment.probability_of_default)],
          ["Assessed", assessment.created_at.slice(0, 10)],
          ["Valid until", assessment.expires_at.slice(0, 10)],
          ["Model", assessment.model_version],
        ]}
      />
      {assessment.reasons.length ? (
        <div>
          <h3 className="mb-1 text-sm font-semibold text-slate-800">Main reasons for this result</h3>
          <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-700" data-testid="assessment-reasons">
            {assessment.reasons.map((r) => (
              <li key={r.code}>
                {r.text}
                {r.points_lost > 0 ? <span className="text-slate-500"> ({Math.round(r.points_lost)} points)</span> : null}
              </li>
            ))}
          </ol>
        </div>
      ) : null}
      {approved && !assessment.attestation ? (
        <InfoNote tone="warn">This result came without a signed credit attestation: run a new assessment to get one.</InfoNote>
      ) : null}
    </div>
  );
}

/** The "Credit assessment" section; `onAssessed` receives a fresh assessment (with its signed attestation). */
export default function CreditAssessment({
  assessment,
  onAssessed,
}: {
  assessment: Assessment | null;
  onAssessed: (a: Assessment) => void;
}) {
  const { oracle } = useApp();
  const { session } = useSession();
  const address = session?.address;
  const [values, setValues] = useState<Record<string, string>>(DEFAULT_APPLICANT);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [showForm, setShowForm] = useState(false);

  // The latest assessment on record (without its attestation) when this browser has none.
  const latest = useAsync<Assessment | null>(async () => (session ? oracle.latestAssessment() : null), [address]);

  const shown = assessment ?? latest.data ?? null;
  useEffect(() => {
    if (latest.data === null && !assessment) setShowForm(true);
  }, [latest.data, assessment]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { applicant, problems: found } = toApplicant(values);
    setProblems(found);
    if (!applicant) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await oracle.assess(applicant as unknown as Applicant);
      if (address) storeAssessment(address, result);
      onAssessed(result);
      setShowForm(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!session) {
    return (
      <Section title="Credit assessment" id="credit">
        <p className="text-sm text-slate-600">Sign in first to get your credit assessment.</p>
      </Section>
    );
  }

  return (
    <Section title="Credit assessment" id="credit">
      <p className="text-sm text-slate-600">
        Answer a few questions about your finances. The score decides your grade, your borrowing limit and the rate you
        are offered. Your KYC must be approved first.
      </p>
      <ErrorNote error={latest.error} />
      {shown ? <AssessmentResult assessment={shown} /> : null}
      {!showForm ? (
        <Button variant="secondary" onClick={() => setShowForm(true)}>
          Run a new assessment
        </Button>
      ) : (
        <form onSubmit={submit} noValidate aria-label="Credit application" className="space-y-4">
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
            {APPLICANT_FIELDS.map((f) =>
              f.kind === "choice" ? (
                <LabeledSelect
                  key={f.name}
                  id={`applicant-${f.name}`}
                  label={f.label}
                  options={f.options}
                  value={values[f.name] ?? ""}
                  onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                />
              ) : (
                <LabeledInput
                  key={f.name}
                  id={`applicant-${f.name}`}
                  label={f.label}
                  inputMode="numeric"
                  hint={f.hint}
                  value={values[f.name] ?? ""}
                  onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                />
              ),
            )}
          </div>
          {problems.length ? (
            <ul role="alert" className="list-disc rounded-md border border-red-200 bg-red-50 py-2 pr-3 pl-6 text-sm text-red-800">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
          <ErrorNote error={error} />
          <Button type="submit" disabled={busy}>
            {busy ? "Assessing…" : "Get my credit assessment"}
          </Button>
        </form>
      )}
    </Section>
  );
}
