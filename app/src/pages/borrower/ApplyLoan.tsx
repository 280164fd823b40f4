// "Apply for a loan": amount, term, purpose (and the funding period), priced by the protocol's own views: the
// factory's rate and origination fee for the borrower's grade (`rateFor`), the InterestCalculator's schedule (the
// same `InterestMath` the loan uses), then `LoanFactory.createLoan(amount, termMonths, purpose, fundingPeriod)`
// as the SDK's `loans.apply` sends it.
import { useMemo, useState } from "react";
import { decodeEventLog, type Address } from "viem";
import { InterestCalculatorAbi } from "../../generated/abi/InterestCalculator";
import { LoanFactoryAbi } from "../../generated/abi/LoanFactory";
import { UserRegistryAbi } from "../../generated/abi/UserRegistry";
import { GradeBadge } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { optionalContractAddress } from "../../lib/config";
import { useApp } from "../../lib/context";
import { formatAmount, formatApr, formatBps, parseAmount } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import {
  ErrorNote,
  Figures,
  InfoNote,
  LabeledInput,
  LabeledSelect,
  Loading,
  PURPOSES,
  Section,
  gradeName,
  mulDivCeil,
  parseWhole,
  purposeLabel,
  tryParse,
  useAsync,
} from "./shared";

const DAY = 86_400;

type Terms = {
  grade: number;
  borrowLimit: bigint;
  exposure: bigint;
  annualRateBps: number;
  originationFeeBps: number;
  limits: {
    minAmount: bigint;
    maxAmount: bigint;
    minTermMonths: number;
    maxTermMonths: number;
    minFundingPeriod: number;
    maxFundingPeriod: number;
  };
};

export default function ApplyLoan({ onApplied, refreshKey }: { onApplied?: (loanId?: bigint) => void; refreshKey?: unknown }) {
  const { publicClient, addresses, deployment, token } = useApp();
  const { address } = useWallet();
  const calculator = optionalContractAddress(deployment, "InterestCalculator");
  const [amountText, setAmountText] = useState("");
  const [termText, setTermText] = useState("12");
  const [purpose, setPurpose] = useState("0");
  const [periodText, setPeriodText] = useState("14");
  const [created, setCreated] = useState<bigint | null>(null);

  const terms = useAsync<Terms | null>(async () => {
    if (!address) return null;
    const [credit, exposure, limits] = await Promise.all([
      publicClient.readContract({ address: addresses.registry, abi: UserRegistryAbi, functionName: "creditOf", args: [address] }),
      publicClient.readContract({ address: addresses.factory, abi: LoanFactoryAbi, functionName: "borrowerExposure", args: [address] }),
      publicClient.readContract({ address: addresses.factory, abi: LoanFactoryAbi, functionName: "limits" }),
    ]);
    const [grade, borrowLimit] = credit as readonly [number, bigint];
    let rate: readonly [number, number] = [0, 0];
    if (Number(grade) > 0) {
      rate = (await publicClient.readContract({
        address: addresses.factory,
        abi: LoanFactoryAbi,
        functionName: "rateFor",
        args: [Number(grade)],
      })) as readonly [number, number];
    }
    const l = limits as {
      minAmount: bigint;
      maxAmount: bigint;
      minTermMonths: number;
      maxTermMonths: number;
      minFundingPeriod: number;
      maxFundingPeriod: number;
    };
    return {
      grade: Number(grade),
      borrowLimit: BigInt(borrowLimit),
      exposure: BigInt(exposure as bigint),
      annualRateBps: Number(rate[0]),
      originationFeeBps: Number(rate[1]),
      limits: {
        minAmount: BigInt(l.minAmount),
        maxAmount: BigInt(l.maxAmount),
        minTermMonths: Number(l.minTermMonths),
        maxTermMonths: Number(l.maxTermMonths),
        minFundingPeriod: Number(l.minFundingPeriod),
        maxFundingPeriod: Number(l.maxFundingPeriod),
      },
    };
  }, [address, refreshKey, created]);

  const t = terms.data;
  const amount = tryParse(() => parseAmount(amountText, token.decimals));
  const term = tryParse(() =>
    parseWhole(termText, "Term", t?.limits.minTermMonths ?? 1, t?.limits.maxTermMonths ?? 600),
  );
  const period = tryParse(() =>
    parseWhole(
      periodText,
      "Funding period (days)",
      Math.ceil((t?.limits.minFundingPeriod ?? DAY) / DAY),
      Math.floor((t?.limits.maxFundingPeriod ?? 90 * DAY) / DAY),
    ),
  );
  const available = t ? (t.borrowLimit > t.exposure ? t.borrowLimit - t.exposure : 0n) : 0n;
  const amountProblem =
    amount.error ??
    (t && amount.value !== undefined
      ? amount.value < t.limits.minAmount || amount.value > t.limits.maxAmount
        ? `The amount must be between ${formatAmount(t.limits.minAmount, token.decimals, token.symbol)} and ${formatAmount(t.limits.maxAmount, token.decimals, token.symbol)}.`
        : amount.value > available
          ? `That is more than you can borrow now (${formatAmount(available, token.decimals, token.symbol)} left of your limit).`
          : null
      : null);

  const ready = t && t.grade > 0 && t.annualRateBps > 0 && amount.value !== undefined && term.value !== undefined;
  const quote = useAsync(async () => {
    if (!ready || !calculator || amount.value === undefined || term.value === undefined || !t) return null;
    const [payment, interestParts] = (await publicClient.readContract({
      address: calculator,
      abi: InterestCalculatorAbi,
      functionName: "calculateSchedule",
      args: [amount.value, BigInt(t.annualRateBps), BigInt(term.value)],
    })) as readonly [bigint, readonly bigint[], readonly bigint[]];
    const interest = interestParts.reduce((a, b) => a + b, 0n);
    return { payment, interest };
  }, [ready ? `${amount.value}/${term.value}/${t?.annualRateBps}` : null, calculator]);

  const fee = t && amount.value !== undefined ? mulDivCeil(amount.value, BigInt(t.originationFeeBps), 10_000n) : undefined;
  const purposeCode = Number(purpose);

  const purposes = useMemo(() => PURPOSES.map((_, i) => ({ value: String(i), label: purposeLabel(i) })), []);

  if (!address) {
    return (
      <Section title="Apply for a loan" id="apply">
        <p className="text-sm text-slate-600">Connect your wallet to apply.</p>
      </Section>
    );
  }

  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);

  return (
    <Section title="Apply for a loan" id="apply">
      {terms.loading && !t ? <Loading what="your borrowing terms" /> : null}
      <ErrorNote error={terms.error} />
      {t && t.grade === 0 ? (
        <InfoNote tone="warn">
          You have no credit grade on chain yet: complete the credit assessment and put your attestations on chain first.
        </InfoNote>
      ) : null}
      {t && t.grade > 0 ? (
        <Figures
          testId="apply-terms"
          rows={[
            ["Your grade", <GradeBadge grade={gradeName(t.grade) as string} />],
            ["Rate for your grade", <span data-testid="apply-rate">{t.annualRateBps ? formatApr(t.annualRateBps) : "not priced"}</span>],
            ["Origination fee", formatBps(t.originationFeeBps)],
            ["Borrow limit", fmt(t.borrowLimit)],
            ["Already borrowed (open loans)", fmt(t.exposure)],
            ["Available to borrow", <span data-testid="apply-available">{fmt(available)}</span>],
          ]}
        />
      ) : null}
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <LabeledInput
          id="apply-amount"
          label={`Loan amount (${token.symbol})`}
          inputMode="decimal"
          placeholder="1000"
          value={amountText}
          onChange={(e) => setAmountText(e.target.value)}
          error={amountText ? amountProblem : null}
          hint={t ? `${fmt(t.limits.minAmount)} to ${fmt(t.limits.maxAmount)}` : undefined}
        />
        <LabeledInput
          id="apply-term"
          label="Term (months)"
          inputMode="numeric"
          value={termText}
          onChange={(e) => setTermText(e.target.value)}
          error={termText ? (term.error ?? null) : null}
          hint={t ? `${t.limits.minTermMonths} to ${t.limits.maxTermMonths} months` : undefined}
        />
        <LabeledSelect id="apply-purpose" label="Purpose" options={purposes} value={purpose} onChange={(e) => setPurpose(e.target.value)} />
        <LabeledInput
          id="apply-funding-period"
          label="Funding period (days)"
          inputMode="numeric"
          value={periodText}
          onChange={(e) => setPeriodText(e.target.value)}
          error={periodText ? (period.error ?? null) : null}
          hint="How long lenders have to fund it once approved"
        />
      </div>
      {created !== null ? (
        <InfoNote tone="ok">
          <span data-testid="apply-created">Application #{created.toString()} created.</span> An underwriter reviews it
          before it opens for funding; follow it under “My loans”.
        </InfoNote>
      ) : null}
      <WriteAction
        label="Apply for the loan"
        describe={() => (
          <div className="space-y-2 text-sm">
            <p>
              Applies for a loan of <strong>{amount.value !== undefined ? fmt(amount.value) : "—"}</strong> over{" "}
              <strong>{term.value ?? "—"} months</strong> for {purposeLabel(purposeCode).toLowerCase()}. Lenders have{" "}
              {period.value ?? "—"} days to fund it once an underwriter approves it.
            </p>
            {t ? (
              <Figures
                testId="apply-preview"
                rows={[
                  ["Rate", t.annualRateBps ? formatApr(t.annualRateBps) : "—"],
                  ["Monthly payment", <span data-testid="apply-monthly">{quote.data ? fmt(quote.data.payment) : calculator ? "…" : "unavailable"}</span>],
                  ["Total interest", quote.data ? fmt(quote.data.interest) : "—"],
                  [
                    "Origination fee",
                    <span data-testid="apply-fee">
                      {fee !== undefined ? `${fmt(fee)} (${formatBps(t.originationFeeBps)}, taken when you draw)` : "—"}
                    </span>,
                  ],
                  ["You receive", fee !== undefined && amount.value !== undefined ? fmt(amount.value - fee) : "—"],
                  [
                    "Total to repay",
                    quote.data && amount.value !== undefined ? fmt(amount.value + quote.data.interest) : "—",
                  ],
                ]}
              />
            ) : null}
            <ErrorNote error={quote.error} />
          </div>
        )}
        fee={fee}
        request={async () => {
          if (amount.value === undefined || term.value === undefined || period.value === undefined) return null;
          return {
            address: addresses.factory,
            abi: LoanFactoryAbi,
            functionName: "createLoan",
            args: [amount.value, BigInt(term.value), purposeCode, BigInt(period.value * DAY)],
          };
        }}
        onDone={(receipt: { logs?: { address: Address; data: `0x${string}`; topics: `0x${string}`[] }[] }) => {
          let id: bigint | undefined;
          for (const log of receipt?.logs ?? []) {
            if (log.address.toLowerCase() !== addresses.factory.toLowerCase()) continue;
            try {
              const ev = decodeEventLog({ abi: LoanFactoryAbi, data: log.data, topics: log.topics as [`0x${string}`, ...`0x${string}`[]] });
              if (ev.eventName === "LoanCreated") id = (ev.args as { loanId: bigint }).loanId;
            } catch {
              /* another event */
            }
          }
          setCreated(id ?? 0n);
          onApplied?.(id);
        }}
      />
    </Section>
  );
}
