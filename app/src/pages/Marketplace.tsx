// `#/`: the marketplace from the index (`/v1/loans`), newest first, with the SDK's filters (`LoansAPI.list`) and
// the index's cursor pagination.
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Banner, Button, Card, Field, GradeBadge, PageTitle, ProgressBar, SelectField, Spinner, StatusPill, Table } from "../components/ui";
import { useApp } from "../lib/context";
import { useChainTime } from "../lib/chain-time";
import { GRADES, IndexUnavailable, LOAN_STATUSES, PURPOSES, type IndexLoan, type LoanFilters, type LoanStatusName, type Page } from "../lib/index-api";
import { formatAmount, formatApr, formatDuration, parseAmount, percentOf, toBigInt } from "../lib/money";

const PAGE_SIZE = 20;
const TERMS = [3, 6, 12, 18, 24, 36, 48, 60];

type Form = {
  status: string;
  minGrade: string;
  maxGrade: string;
  minRate: string;
  maxTerm: string;
  purpose: string;
  minAmount: string;
  maxAmount: string;
};

const EMPTY: Form = { status: "", minGrade: "", maxGrade: "", minRate: "", maxTerm: "", purpose: "", minAmount: "", maxAmount: "" };

function formFromParams(p: URLSearchParams): Form {
  return {
    status: p.get("status") ?? "",
    minGrade: p.get("min_grade") ?? "",
    maxGrade: p.get("max_grade") ?? "",
    minRate: p.get("min_rate") ?? "",
    maxTerm: p.get("max_term") ?? "",
    purpose: p.get("purpose") ?? "",
    minAmount: p.get("min_amount") ?? "",
    maxAmount: p.get("max_amount") ?? "",
  };
}

function paramsFromForm(f: Form): Record<string, string> {
  const out: Record<string, string> = {};
  const map: [keyof Form, string][] = [
    ["status", "status"],
    ["minGrade", "min_grade"],
    ["maxGrade", "max_grade"],
    ["minRate", "min_rate"],
    ["maxTerm", "max_term"],
    ["purpose", "purpose"],
    ["minAmount", "min_amount"],
    ["maxAmount", "max_amount"],
  ];
  for (const [k, name] of map) if (f[k].trim() !== "") out[name] = f[k].trim();
  return out;
}

/** "12.5" (%) → 1250 bps; throws a sentence when it is not a rate. */
function rateToBps(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(text.trim())) throw new Error(`“${text}” is not a rate: enter a percentage such as 8.5.`);
  const [w = "0", f = ""] = text.trim().split(".");
  const bps = Number(w) * 100 + Number(f.padEnd(2, "0"));
  if (bps > 10_000) throw new Error("A rate is at most 100%.");
  return bps;
}

export default function Marketplace() {
  const { index, token } = useApp();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => formFromParams(params), [params]);
  const [form, setForm] = useState<Form>(applied);
  const [cursors, setCursors] = useState<(string | null)[]>([null]); // cursor of each page seen; last = current
  const [page, setPage] = useState<Page<IndexLoan> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  // Time left to fund is counted on the chain's clock (re-read every ~15 s).
  const now = useChainTime();

  // What the index is asked (the amount range is applied to the page: the index has no amount filter).
  let filterError: string | null = null;
  const query: LoanFilters = {};
  let amountRange: { min?: bigint; max?: bigint } = {};
  try {
    if (applied.status) query.status = applied.status as LoanStatusName;
    if (applied.minGrade) query.min_grade = applied.minGrade;
    if (applied.maxGrade) query.max_grade = applied.maxGrade;
    const bps = rateToBps(applied.minRate);
    if (bps !== undefined) query.min_rate_bps = bps;
    if (applied.maxTerm) query.max_term_months = Number(applied.maxTerm);
    if (applied.purpose !== "") query.purpose = Number(applied.purpose);
    amountRange = {
      min: applied.minAmount ? parseAmount(applied.minAmount, token.decimals) : undefined,
      max: applied.maxAmount ? parseAmount(applied.maxAmount, token.decimals) : undefined,
    };
    if (query.min_grade && query.max_grade && GRADES.indexOf(query.min_grade) > GRADES.indexOf(query.max_grade)) {
      throw new Error(`The best grade (${query.min_grade}) must come before the worst (${query.max_grade}).`);
    }
  } catch (e) {
    filterError = e instanceof Error ? e.message : String(e);
  }
  const queryKey = JSON.stringify(query);
  const cursor = cursors[cursors.length - 1] ?? null;

  useEffect(() => {
    setCursors([null]);
  }, [queryKey]);

  useEffect(() => {
    if (filterError) {
      setLoading(false);
      return;
    }
    let live = true;
    setLoading(true);
    setError(null);
    index
      .loans({ ...(JSON.parse(queryKey) as LoanFilters), cursor, limit: PAGE_SIZE })
      .then((p) => live && setPage(p))
      .catch((e: unknown) => {
        if (!live) return;
        setPage(null);
        setError(e instanceof IndexUnavailable ? e.message : e instanceof Error ? e.message : String(e));
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [index, queryKey, cursor, filterError]);

  const rows = (page?.items ?? []).filter((l) => {
    const goal = toBigInt(l.goal);
    return (amountRange.min === undefined || goal >= amountRange.min) && (amountRange.max === undefined || goal <= amountRange.max);
  });

  const set = (k: keyof Form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const apply = () => setParams(paramsFromForm(form));
  const reset = () => {
    setForm(EMPTY);
    setParams({});
  };
  const gradeOptions = [{ value: "", label: "Any" }, ...GRADES.map((g) => ({ value: g, label: g }))];

  return (
    <div className="space-y-6">
      <PageTitle sub="Fixed-rate, fixed-term amortizing loans to verified borrowers. Fund them in notes of any size from the minimum note up.">
        Marketplace
      </PageTitle>

      <Card title="Filters">
        <form
          className="grid grid-cols-2 gap-4 md:grid-cols-4"
          onSubmit={(e) => {
            e.preventDefault();
            apply();
          }}
        >
          <SelectField
            id="filter-status"
            label="Status"
            value={form.status}
            onChange={set("status")}
            options={[{ value: "", label: "Any" }, ...LOAN_STATUSES.map((s) => ({ value: s, label: s === "funding" ? "funding (open)" : s }))]}
          />
          <SelectField id="filter-min-grade" label="Best grade" value={form.minGrade} onChange={set("minGrade")} options={gradeOptions} />
          <SelectField id="filter-max-grade" label="Worst grade" value={form.maxGrade} onChange={set("maxGrade")} options={gradeOptions} />
          <Field id="filter-min-rate" label="Minimum rate (% APR)" inputMode="decimal" placeholder="e.g. 8.5" value={form.minRate} onChange={set("minRate")} />
          <SelectField
            id="filter-max-term"
            label="Longest term"
            value={form.maxTerm}
            onChange={set("maxTerm")}
            options={[{ value: "", label: "Any" }, ...TERMS.map((t) => ({ value: String(t), label: `${t} months` }))]}
          />
          <SelectField
            id="filter-purpose"
            label="Purpose"
            value={form.purpose}
            onChange={set("purpose")}
            options={[{ value: "", label: "Any" }, ...PURPOSES.map((p, i) => ({ value: String(i), label: p }))]}
          />
          <Field id="filter-min-amount" label={`Minimum amount (${token.symbol})`} inputMode="decimal" value={form.minAmount} onChange={set("minAmount")} />
          <Field id="filter-max-amount" label={`Maximum amount (${token.symbol})`} inputMode="decimal" value={form.maxAmount} onChange={set("maxAmount")} />
          <div className="col-span-2 flex items-end gap-2 md:col-span-4">
            <Button type="submit">Apply filters</Button>
            <Button variant="secondary" onClick={reset}>
              Clear
            </Button>
            {(amountRange.min !== undefined || amountRange.max !== undefined) && (
              <span className="text-xs text-slate-500">The amount range applies to the loans on each page.</span>
            )}
          </div>
        </form>
      </Card>

      {filterError && (
        <Banner tone="error" testId="filter-error">
          {filterError}
        </Banner>
      )}
      {error && (
        <Banner tone="error" testId="marketplace-error">
          {error}
        </Banner>
      )}

      <Card title="Loans" actions={loading ? <span className="text-xs text-slate-500">Loading…</span> : null}>
        {loading && !page ? (
          <Spinner label="Loading loans…" />
        ) : (
          <Table
            testId="loan-table"
            head={["Grade", "Purpose", "Amount", "Rate", "Term", "Funded", "Status", "Time left", ""]}
            empty={error ? "The marketplace is unavailable." : "No loans match these filters."}
          >
            {rows.map((l) => {
              const goal = toBigInt(l.goal);
              const funded = toBigInt(l.funded);
              const left = l.status === "funding" ? l.funding_deadline - now : 0;
              return (
                <tr
                  key={l.loan_id}
                  data-testid="loan-row"
                  data-loan-id={l.loan_id}
                  className="cursor-pointer hover:bg-slate-50"
                  onClick={() => navigate(`/loans/${l.loan_id}`)}
                >
                  <td className="px-3 py-2.5">
                    <GradeBadge grade={l.grade} />
                  </td>
                  <td className="px-3 py-2.5 capitalize">{l.purpose}</td>
                  <td className="px-3 py-2.5 tabular-nums">{formatAmount(goal, token.decimals, token.symbol)}</td>
                  <td className="px-3 py-2.5 tabular-nums">{formatApr(l.annual_rate_bps)}</td>
                  <td className="px-3 py-2.5 tabular-nums">{l.term_months} mo</td>
                  <td className="px-3 py-2.5">
                    <ProgressBar percent={percentOf(funded, goal)} label={`Loan ${l.loan_id} funded`} />
                  </td>
                  <td className="px-3 py-2.5">
                    <StatusPill status={l.status} />
                    {l.paused && <span className="ml-1 text-xs text-amber-700">paused</span>}
                  </td>
                  <td className="px-3 py-2.5 tabular-nums text-slate-600">{l.status === "funding" ? formatDuration(left) : "—"}</td>
                  <td className="px-3 py-2.5 text-right">
                    <Link to={`/loans/${l.loan_id}`} className="text-sm font-medium text-teal-800 hover:underline" onClick={(e) => e.stopPropagation()}>
                      View loan #{l.loan_id}
                    </Link>
                  </td>
                </tr>
              );
            })}
          </Table>
        )}
        <div className="mt-4 flex items-center justify-between">
          <Button variant="secondary" disabled={cursors.length <= 1 || loading} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous
          </Button>
          <span className="text-xs text-slate-500">Page {cursors.length}</span>
          <Button
            variant="secondary"
            disabled={!page?.next_cursor || loading}
            onClick={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}
          >
            Next page
          </Button>
        </div>
      </Card>
    </div>
  );
}
