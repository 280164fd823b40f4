// "Auto-invest criteria": exactly the fields of `LendingPool.setCriteria(ILendingPool.Criteria)` (the SDK's
// AutoInvestCriteria: purposes as a bit set over the factory's purpose codes), the current ones from `criteriaOf`.
import { useEffect, useState } from "react";
import { LendingPoolAbi } from "../../generated/abi/LendingPool";
import { GradeBadge } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { useApp } from "../../lib/context";
import { formatAmount, formatApr, parseAmount, toPlainAmount } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import {
  ErrorNote,
  Figures,
  GRADE_NAMES,
  InfoNote,
  LabeledInput,
  LabeledSelect,
  Loading,
  PURPOSES,
  Section,
  gradeName,
  parsePercentToBps,
  parseWhole,
  purposeLabel,
  tryParse,
  useAsync,
} from "../borrower/shared";

type Criteria = {
  enabled: boolean;
  minGrade: number;
  maxGrade: number;
  minRateBps: number;
  maxRateBps: number;
  maxTermMonths: number;
  purposes: number;
  amountPerLoan: bigint;
  maxPerBorrower: bigint;
  cashToKeep: bigint;
};

const ALL_PURPOSES = (1 << PURPOSES.length) - 1;
const bpsText = (bps: number) => `${Math.floor(bps / 100)}${bps % 100 ? `.${String(bps % 100).padStart(2, "0").replace(/0$/, "")}` : ""}`;

export default function AutoInvest({ refreshKey }: { refreshKey: unknown }) {
  const { publicClient, addresses, token } = useApp();
  const { address } = useWallet();
  const current = useAsync<Criteria | null>(async () => {
    if (!address) return null;
    const c = (await publicClient.readContract({
      address: addresses.pool,
      abi: LendingPoolAbi,
      functionName: "criteriaOf",
      args: [address],
    })) as Record<string, number | bigint | boolean>;
    return {
      enabled: Boolean(c.enabled),
      minGrade: Number(c.minGrade),
      maxGrade: Number(c.maxGrade),
      minRateBps: Number(c.minRateBps),
      maxRateBps: Number(c.maxRateBps),
      maxTermMonths: Number(c.maxTermMonths),
      purposes: Number(c.purposes),
      amountPerLoan: BigInt(c.amountPerLoan as bigint),
      maxPerBorrower: BigInt(c.maxPerBorrower as bigint),
      cashToKeep: BigInt(c.cashToKeep as bigint),
    };
  }, [address, refreshKey]);

  const [enabled, setEnabled] = useState(true);
  const [minGrade, setMinGrade] = useState("1");
  const [maxGrade, setMaxGrade] = useState("25");
  const [minRate, setMinRate] = useState("0");
  const [maxRate, setMaxRate] = useState("100");
  const [maxTerm, setMaxTerm] = useState("60");
  const [purposes, setPurposes] = useState(ALL_PURPOSES);
  const [perLoan, setPerLoan] = useState("");
  const [perBorrower, setPerBorrower] = useState("");
  const [keep, setKeep] = useState("0");

  // Start the form from what is on chain (a lender with none set sees the SDK's defaults).
  const c = current.data;
  const isSet = c ? c.minGrade !== 0 : false;
  useEffect(() => {
    if (!c || !isSet) return;
    setEnabled(c.enabled);
    setMinGrade(String(c.minGrade));
    setMaxGrade(String(c.maxGrade));
    setMinRate(bpsText(c.minRateBps));
    setMaxRate(bpsText(c.maxRateBps));
    setMaxTerm(String(c.maxTermMonths));
    setPurposes(c.purposes);
    setPerLoan(toPlainAmount(c.amountPerLoan, token.decimals));
    setPerBorrower(toPlainAmount(c.maxPerBorrower, token.decimals));
    setKeep(toPlainAmount(c.cashToKeep, token.decimals));
  }, [c, isSet, token.decimals]);

  const amountOrZero = (text: string) => (text.trim() === "" || /^0*(\.0*)?$/.test(text.trim()) ? 0n : parseAmount(text, token.decimals));
  const parsed = tryParse(() => {
    const minRateBps = Number(parsePercentToBps(minRate));
    const maxRateBps = Number(parsePercentToBps(maxRate));
    if (maxRateBps > 10_000) throw new Error("Maximum rate: at most 100%.");
    if (minRateBps > maxRateBps) throw new Error("The minimum rate is above the maximum rate.");
    if (Number(minGrade) > Number(maxGrade)) throw new Error("The best grade must come before the riskiest grade.");
    const amountPerLoan = amountOrZero(perLoan);
    if (enabled && amountPerLoan === 0n) throw new Error("Amount per loan: enter how much to invest in each loan.");
    return {
      enabled,
      minGrade: Number(minGrade),
      maxGrade: Number(maxGrade),
      minRateBps,
      maxRateBps,
      maxTermMonths: parseWhole(maxTerm, "Maximum term", 1, 65_535),
      purposes,
      amountPerLoan,
      maxPerBorrower: amountOrZero(perBorrower),
      cashToKeep: amountOrZero(keep),
    } satisfies Criteria;
  });
  const v = parsed.value;
  const fmt = (x: bigint) => formatAmount(x, token.decimals, token.symbol);
  const grades = GRADE_NAMES.map((g, i) => ({ value: String(i + 1), label: g }));
  const purposeList = (mask: number) =>
    mask === ALL_PURPOSES ? "all purposes" : PURPOSES.map((_, i) => (mask >> i) & 1 ? purposeLabel(i) : null).filter(Boolean).join(", ") || "none";

  return (
    <Section title="Auto-invest criteria" id="auto-invest">
      <p className="text-sm text-slate-600">
        The keeper invests your pool cash in every new loan that meets these rules; the pool re-checks them on chain at
        each investment.
      </p>
      {current.loading && !c ? <Loading what="your criteria" /> : null}
      <ErrorNote error={current.error} />
      {c ? (
        isSet ? (
          <div data-testid="criteria-current" data-enabled={c.enabled ? "true" : "false"}>
            <h3 className="mb-2 text-sm font-semibold text-slate-800">Current criteria ({c.enabled ? "on" : "off"})</h3>
            <Figures
              rows={[
                [
                  "Grades",
                  <span className="inline-flex items-center gap-1">
                    <GradeBadge grade={gradeName(c.minGrade)} /> to <GradeBadge grade={gradeName(c.maxGrade)} />
                  </span>,
                ],
                ["Rates", `${formatApr(c.minRateBps)} to ${formatApr(c.maxRateBps)}`],
                ["Longest term", `${c.maxTermMonths} months`],
                ["Purposes", purposeList(c.purposes)],
                ["Per loan", fmt(c.amountPerLoan)],
                ["Per borrower at most", fmt(c.maxPerBorrower)],
                ["Cash to keep", fmt(c.cashToKeep)],
              ]}
            />
          </div>
        ) : (
          <InfoNote>You have no auto-invest criteria yet: auto-invest is off.</InfoNote>
        )
      ) : null}
      <div className="space-y-3 border-t border-slate-100 pt-4">
        <label htmlFor="criteria-enabled" className="flex items-center gap-2 text-sm font-medium text-slate-700">
          <input id="criteria-enabled" type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Auto-invest enabled
        </label>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <LabeledSelect id="criteria-min-grade" label="Best grade" options={grades} value={minGrade} onChange={(e) => setMinGrade(e.target.value)} />
          <LabeledSelect id="criteria-max-grade" label="Riskiest grade" options={grades} value={maxGrade} onChange={(e) => setMaxGrade(e.target.value)} />
          <LabeledInput id="criteria-max-term" label="Maximum term (months)" inputMode="numeric" value={maxTerm} onChange={(e) => setMaxTerm(e.target.value)} />
          <LabeledInput id="criteria-min-rate" label="Minimum rate (% APR)" inputMode="decimal" value={minRate} onChange={(e) => setMinRate(e.target.value)} />
          <LabeledInput id="criteria-max-rate" label="Maximum rate (% APR)" inputMode="decimal" value={maxRate} onChange={(e) => setMaxRate(e.target.value)} />
          <LabeledInput
            id="criteria-per-loan"
            label={`Amount per loan (${token.symbol})`}
            inputMode="decimal"
            value={perLoan}
            onChange={(e) => setPerLoan(e.target.value)}
          />
          <LabeledInput
            id="criteria-per-borrower"
            label={`Maximum per borrower (${token.symbol})`}
            inputMode="decimal"
            value={perBorrower}
            onChange={(e) => setPerBorrower(e.target.value)}
            hint="Your total in one borrower's loans; 0 invests in none"
          />
          <LabeledInput
            id="criteria-cash-to-keep"
            label={`Cash to keep (${token.symbol})`}
            inputMode="decimal"
            value={keep}
            onChange={(e) => setKeep(e.target.value)}
            hint="Never invest below this pool balance"
          />
        </div>
        <fieldset>
          <legend className="mb-1 text-sm font-medium text-slate-700">Purposes</legend>
          <div className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
            {PURPOSES.map((_, i) => (
              <label key={i} htmlFor={`criteria-purpose-${i}`} className="flex items-center gap-1.5">
                <input
                  id={`criteria-purpose-${i}`}
                  type="checkbox"
                  checked={((purposes >> i) & 1) === 1}
                  onChange={(e) => setPurposes((m) => (e.target.checked ? m | (1 << i) : m & ~(1 << i)))}
                />
                {purposeLabel(i)}
              </label>
            ))}
          </div>
        </fieldset>
        {parsed.error ? <ErrorNote error={parsed.error} /> : null}
        {v && v.enabled && v.maxPerBorrower < v.amountPerLoan ? (
          <InfoNote tone="warn">
            The maximum per borrower ({fmt(v.maxPerBorrower)}) is below the amount per loan: auto-invest will invest at
            most {fmt(v.maxPerBorrower)} per borrower{v.maxPerBorrower === 0n ? ", that is nothing" : ""}.
          </InfoNote>
        ) : null}
        <WriteAction
          label="Save criteria"
          describe={() =>
            v ? (
              <div className="space-y-1 text-sm">
                <p>
                  Replaces your auto-invest criteria: {v.enabled ? "enabled" : "disabled"}, grades {gradeName(v.minGrade)} to{" "}
                  {gradeName(v.maxGrade)}, {formatApr(v.minRateBps)} to {formatApr(v.maxRateBps)}, terms up to {v.maxTermMonths}{" "}
                  months, {purposeList(v.purposes)}.
                </p>
                <p>
                  {fmt(v.amountPerLoan)} per loan, at most {fmt(v.maxPerBorrower)} per borrower, keeping {fmt(v.cashToKeep)} in
                  cash. No fee.
                </p>
              </div>
            ) : (
              <p className="text-sm">Fix the form first.</p>
            )
          }
          request={async () =>
            v
              ? {
                  address: addresses.pool,
                  abi: LendingPoolAbi,
                  functionName: "setCriteria",
                  args: [v],
                }
              : null
          }
          onDone={() => current.reload()}
        />
      </div>
    </Section>
  );
}
