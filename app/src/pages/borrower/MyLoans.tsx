// "My loans": the borrower's loans from the index (`/v1/borrowers/{addr}`), each with its live state read from the
// loan itself, and the borrower's actions on it as the SDK does them (sdk/disfruta/api/loans.py, autopay.py):
// accept partial funding, draw (`withdrawFunds`), pay the installment (`makeRepayment(due)` after approving the
// loan for it), pay off (`makeRepayment(MAX_UINT)`, approving the payoff plus a margin), autopay enrol / cancel.
import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import type { Address } from "viem";
import { AutopayAbi } from "../../generated/abi/Autopay";
import { LoanAbi } from "../../generated/abi/Loan";
import { GradeBadge } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { useApp } from "../../lib/context";
import { useChainTime } from "../../lib/chain-time";
import type { IndexLoan } from "../../lib/index-api";
import { formatAmount, formatApr, formatDate, parseAmount, percentOf, toPlainAmount } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import {
  Button,
  ErrorNote,
  Figures,
  InfoNote,
  LabeledInput,
  Loading,
  MAX_UINT256,
  Section,
  gradeName,
  mulDivCeil,
  statusName,
  tryParse,
  useAsync,
} from "./shared";

type Live = {
  status: string;
  statusCode: number;
  grade: number;
  goal: bigint;
  principal: bigint;
  funded: bigint;
  deadline: number;
  fundedAt: number;
  startTime: number;
  annualRateBps: number;
  termMonths: number;
  monthlyPayment: bigint;
  originationFeeBps: bigint;
  principalOutstanding: bigint;
  amountDue: bigint;
  payoff: bigint;
  nextDueDate: number;
  installmentsLeft: number;
  partialFundingBps: bigint;
  acceptanceWindow: number;
  drawdownWindow: number;
  paused: boolean;
  cap: bigint | null;
};

async function readLive(
  client: ReturnType<typeof useApp>["publicClient"],
  loan: Address,
  autopay: Address | undefined,
): Promise<Live> {
  const read = <T,>(functionName: string, args: readonly unknown[] = []) =>
    client.readContract({ address: loan, abi: LoanAbi, functionName, args } as never) as Promise<T>;
  const [terms, position, funding, amountDue, payoff, nextDueDate, standing, config, paused, cap] = await Promise.all([
    read<{
      goal: bigint;
      principal: bigint;
      annualRateBps: bigint;
      termMonths: bigint;
      grade: bigint;
      monthlyPayment: bigint;
      originationFeeBps: bigint;
    }>("terms"),
    read<{ status: number; principalOutstanding: bigint; startTime: bigint; fundedAt: bigint }>("position"),
    read<readonly [bigint, bigint, bigint]>("funding"),
    read<bigint>("amountDue"),
    read<bigint>("payoffAmount"),
    read<bigint>("nextDueDate"),
    read<{ installmentsLeft: bigint }>("standing"),
    read<{ partialFundingBps: number; acceptanceWindow: number; drawdownWindow: number }>("config"),
    read<boolean>("isPaused"),
    autopay
      ? (client.readContract({ address: autopay, abi: AutopayAbi, functionName: "capOf", args: [loan] }) as Promise<bigint>)
      : Promise.resolve(null),
  ]);
  const statusCode = Number(position.status);
  return {
    status: statusName(statusCode),
    statusCode,
    grade: Number(terms.grade),
    goal: BigInt(terms.goal),
    principal: BigInt(terms.principal),
    funded: BigInt(funding[0]),
    deadline: Number(funding[2]),
    fundedAt: Number(position.fundedAt),
    startTime: Number(position.startTime),
    annualRateBps: Number(terms.annualRateBps),
    termMonths: Number(terms.termMonths),
    monthlyPayment: BigInt(terms.monthlyPayment),
    originationFeeBps: BigInt(terms.originationFeeBps),
    principalOutstanding: BigInt(position.principalOutstanding),
    amountDue: BigInt(amountDue),
    payoff: BigInt(payoff),
    nextDueDate: Number(nextDueDate),
    installmentsLeft: Number(standing.installmentsLeft),
    partialFundingBps: BigInt(config.partialFundingBps),
    acceptanceWindow: Number(config.acceptanceWindow),
    drawdownWindow: Number(config.drawdownWindow),
    paused: Boolean(paused),
    cap: cap === null ? null : BigInt(cap),
  };
}

/** `_installments_left` of the SDK's autopay: active → not yet covered; before drawdown → the whole term; else 0. */
const installmentsLeft = (l: Pick<Live, "statusCode" | "installmentsLeft" | "termMonths">) =>
  l.statusCode === 3 ? l.installmentsLeft : l.statusCode < 3 ? l.termMonths : 0;

function AutopayControls({ loan, live, onDone }: { loan: IndexLoan; live: Live; onDone: () => void }) {
  const { publicClient, addresses, index, token } = useApp();
  const { address } = useWallet();
  const autopay = addresses.autopay;
  const enrolled = (live.cap ?? 0n) > 0n;
  const [capText, setCapText] = useState(() =>
    toPlainAmount(enrolled ? (live.cap as bigint) : live.monthlyPayment, token.decimals),
  );
  const cap = tryParse(() => parseAmount(capText, token.decimals));
  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);

  // What autopay may still pull under every cap of this borrower (the SDK's `enrol`): one allowance serves all.
  const needed = useAsync(async () => {
    if (!autopay || cap.value === undefined || !address) return null;
    const forCap = cap.value;
    let others: Address[] = [];
    let othersUnknown = false;
    try {
      const page = await index.autopay({ borrower: address, active: true, limit: 100 });
      others = page.items.map((e) => e.loan as Address).filter((a) => a.toLowerCase() !== loan.address.toLowerCase());
    } catch {
      others = []; // the index is down: count this loan only (the preview says so)
      othersUnknown = true;
    }
    let total = forCap * BigInt(installmentsLeft(live));
    for (const other of others) {
      const [otherCap, standing, terms] = await Promise.all([
        publicClient.readContract({ address: autopay, abi: AutopayAbi, functionName: "capOf", args: [other] }) as Promise<bigint>,
        publicClient.readContract({ address: other, abi: LoanAbi, functionName: "standing" }) as Promise<{ status: number; installmentsLeft: bigint }>,
        publicClient.readContract({ address: other, abi: LoanAbi, functionName: "terms" }) as Promise<{ termMonths: bigint }>,
      ]);
      total +=
        BigInt(otherCap) *
        BigInt(installmentsLeft({ statusCode: Number(standing.status), installmentsLeft: Number(standing.installmentsLeft), termMonths: Number(terms.termMonths) }));
    }
    // Tied to the cap it was computed for: a figure for another cap is never approved.
    return { cap: forCap, total, others: others.length, othersUnknown };
  }, [autopay, cap.value?.toString(), address, live.installmentsLeft, live.statusCode]);

  // The allowance figure for the cap in the field now (not a previous one still shown while the new one loads).
  const need = needed.data && !needed.loading && cap.value !== undefined && needed.data.cap === cap.value ? needed.data : null;

  if (!autopay) return <p className="text-xs text-slate-500">Autopay is not deployed on this network.</p>;
  if (live.statusCode > 3) return null;
  const id = loan.loan_id;
  return (
    <div className="space-y-2 rounded-lg border border-slate-100 bg-slate-50 p-3" data-testid="autopay-controls">
      <h4 className="text-sm font-semibold text-slate-800">
        Autopay {enrolled ? <span className="font-normal text-emerald-700">— enrolled, at most {fmt(live.cap as bigint)} per collection</span> : <span className="font-normal text-slate-500">— not enrolled</span>}
      </h4>
      <LabeledInput
        id={`autopay-cap-${id}`}
        label={`Autopay cap per collection for loan #${id} (${token.symbol})`}
        inputMode="decimal"
        value={capText}
        onChange={(e) => setCapText(e.target.value)}
        error={capText ? (cap.error ?? null) : null}
        hint={`Your monthly payment is ${fmt(live.monthlyPayment)}`}
      />
      <WriteAction
        label={enrolled ? "Change autopay cap" : "Enrol in autopay"}
        describe={() => (
          <div className="space-y-1 text-sm">
            <p>
              From shortly before each due date, autopay collects exactly what is due on loan #{id} from your wallet, never
              more than <strong>{cap.value !== undefined ? fmt(cap.value) : "—"}</strong> per collection.
            </p>
            <p>
              It needs an allowance of{" "}
              <strong>{need ? fmt(need.total) : "…"}</strong> to Autopay: the cap × the {installmentsLeft(live)}{" "}
              installments left{need && need.others ? `, plus your ${need.others} other enrolled loan(s)` : ""}.
              Autopay never pulls more than is due.
            </p>
            {need?.othersUnknown ? (
              <p className="text-amber-800" data-testid="autopay-others-unknown">
                Your other enrolled loans could not be counted (the index is unavailable): if you have any, this allowance
                is too small for all of them and autopay may fail to collect on some.
              </p>
            ) : null}
            <ErrorNote error={needed.error} />
          </div>
        )}
        approval={need && need.total > 0n ? { token: token.address, spender: autopay, amount: need.total } : undefined}
        request={async () => {
          if (cap.value === undefined) return null;
          // The allowance for this very cap (waiting briefly for one being worked out), never a previous cap's.
          const now = await needed.settled();
          if (now.loading) throw new Error("Still working out the allowance autopay needs: try again in a moment.");
          if (now.error) throw new Error(now.error instanceof Error ? now.error.message : String(now.error));
          if (!now.data || now.data.cap !== cap.value) throw new Error("The allowance shown is for another cap: try again in a moment.");
          const total = now.data.total;
          return {
            address: autopay,
            abi: AutopayAbi,
            functionName: "enrol",
            args: [loan.address as Address, cap.value],
            approval: total > 0n ? { token: token.address, spender: autopay, amount: total } : null,
          };
        }}
        onDone={onDone}
      />
      {enrolled ? (
        <WriteAction
          label="Cancel autopay"
          describe={() => (
            <p className="text-sm">
              Stops autopay on loan #{id}. The allowance you gave Autopay stays (set it to zero in your wallet to end it).
            </p>
          )}
          request={async () => ({ address: autopay, abi: AutopayAbi, functionName: "cancel", args: [loan.address as Address] })}
          onDone={onDone}
        />
      ) : null}
    </div>
  );
}

function LoanCard({ loan, onChanged }: { loan: IndexLoan; onChanged: () => void }) {
  const { publicClient, addresses, token } = useApp();
  const [open, setOpen] = useState(false);
  const chainNow = useChainTime();
  const live = useAsync(() => readLive(publicClient, loan.address as Address, addresses.autopay), [loan.address]);
  const l = live.data;
  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);
  const done = () => {
    live.reload();
    onChanged();
  };
  const now = chainNow; // the loan's deadlines are compared with the chain's clock
  const status = l?.status ?? loan.status;
  const grade = l ? gradeName(l.grade) : loan.grade;
  const goal = l?.goal ?? BigInt(loan.goal);
  const funded = l?.funded ?? BigInt(loan.funded);
  const loanAddress = loan.address as Address;

  // The SDK's repay_installment: what is due now, else the next installment early; the last one is a payoff.
  const due = l ? (l.amountDue > 0n ? l.amountDue : l.monthlyPayment < l.payoff ? l.monthlyPayment : l.payoff) : 0n;
  const dueIsPayoff = l ? due >= l.payoff : false;
  const payoffAllowance = l ? l.payoff + l.payoff / 10_000n + 1n : 0n;
  const drawFee = l ? mulDivCeil(l.principal, l.originationFeeBps, 10_000n) : 0n;
  const partialRequired = l ? mulDivCeil(l.goal, l.partialFundingBps, 10_000n) : 0n;
  const canAcceptPartial =
    l && l.statusCode === 1 && now > l.deadline && now <= l.deadline + l.acceptanceWindow && l.funded > 0n && l.funded >= partialRequired;

  return (
    <li
      data-testid="borrower-loan"
      data-loan-id={loan.loan_id}
      data-status={status}
      className="rounded-lg border border-slate-200 p-4"
    >
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex items-center gap-3">
          <span className="font-semibold text-slate-900">Loan #{loan.loan_id}</span>
          {grade ? <GradeBadge grade={grade} /> : null}
          <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700" data-testid="loan-status">
            {status}
          </span>
          {l?.paused || loan.paused ? <span className="text-xs font-medium text-amber-700">paused</span> : null}
        </div>
        <div className="flex items-center gap-3 text-sm">
          <span>{formatApr(l?.annualRateBps ?? loan.annual_rate_bps)}</span>
          <span>{l?.termMonths ?? loan.term_months} months</span>
          <Link to={`/loans/${loan.loan_id}`} className="text-emerald-700 underline">
            View schedule
          </Link>
        </div>
      </div>
      <div className="mt-3">
        <div className="flex justify-between text-xs text-slate-600">
          <span>
            Funded {fmt(funded)} of {fmt(goal)}
          </span>
          <span data-testid="loan-funding-pct">{percentOf(funded, goal).toFixed(0)}%</span>
        </div>
        <div
          className="mt-1 h-2 overflow-hidden rounded-full bg-slate-100"
          role="progressbar"
          aria-label={`Funding of loan #${loan.loan_id}`}
          aria-valuenow={Math.round(percentOf(funded, goal))}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="h-full bg-emerald-500" style={{ width: `${percentOf(funded, goal)}%` }} />
        </div>
      </div>
      {live.loading && !l ? <Loading what="the loan's live state" /> : null}
      <ErrorNote error={live.error} />
      {l ? (
        <div className="mt-3">
          <Figures
            rows={[
              ["Principal", fmt(l.principal)],
              ["Monthly payment", fmt(l.monthlyPayment)],
              ...(l.statusCode === 1 ? ([["Funding deadline", formatDate(l.deadline)]] as [string, string][]) : []),
              ...(l.statusCode === 3 || l.statusCode === 5
                ? ([
                    ["Outstanding principal", fmt(l.principalOutstanding)],
                    ["Due now", <span data-testid="loan-amount-due">{fmt(l.amountDue)}</span>],
                    ["Next due date", formatDate(l.nextDueDate)],
                    ["Payoff amount", <span data-testid="loan-payoff">{fmt(l.payoff)}</span>],
                  ] as [string, ReactNode][])
                : []),
            ]}
          />
        </div>
      ) : null}
      {l && l.statusCode === 0 ? <p className="mt-2 text-sm text-slate-600">Waiting for an underwriter to approve it.</p> : null}
      {l && l.statusCode === 4 ? <InfoNote tone="ok">Repaid in full. Thank you!</InfoNote> : null}
      {l ? (
        <div className="mt-3 space-y-3">
          {canAcceptPartial ? (
            <WriteAction
              label="Accept partial funding"
              describe={() => (
                <p className="text-sm">
                  The funding period ended with {fmt(l.funded)} of {fmt(l.goal)} funded. Accepting takes the smaller loan
                  ({fmt(l.funded)}); you then draw it as usual.
                </p>
              )}
              request={async () => ({ address: loanAddress, abi: LoanAbi, functionName: "acceptPartialFunding", args: [] })}
              onDone={done}
            />
          ) : null}
          {l.statusCode === 2 ? (
            <WriteAction
              label="Draw the money"
              describe={() => (
                <div className="space-y-1 text-sm">
                  <p>
                    Moves the loan's principal to your wallet: <strong>{fmt(l.principal - drawFee)}</strong> (
                    {fmt(l.principal)} less the origination fee).
                  </p>
                  <p>
                    Your first installment of {fmt(l.monthlyPayment)} falls due 30 days later; draw by{" "}
                    {formatDate(l.fundedAt + l.drawdownWindow)}.
                  </p>
                </div>
              )}
              fee={drawFee}
              request={async () => ({ address: loanAddress, abi: LoanAbi, functionName: "withdrawFunds", args: [] })}
              onDone={done}
            />
          ) : null}
          {l.statusCode === 3 || l.statusCode === 5 ? (
            <>
              <WriteAction
                label="Pay the installment"
                describe={() =>
                  dueIsPayoff ? (
                    <p className="text-sm">
                      This is the last installment: it pays off the whole balance, about <strong>{fmt(l.payoff)}</strong>{" "}
                      (interest accrues to the block, so up to {fmt(payoffAllowance)} is approved; only what is owed is
                      taken).
                    </p>
                  ) : (
                    <p className="text-sm">
                      Pays <strong>{fmt(due)}</strong> to loan #{loan.loan_id}
                      {l.amountDue > 0n ? " (what is due now)" : " (the next installment, early)"}: late fees first, then
                      interest, then principal.
                    </p>
                  )
                }
                approval={
                  dueIsPayoff
                    ? { token: token.address, spender: loanAddress, amount: payoffAllowance, required: l.payoff }
                    : { token: token.address, spender: loanAddress, amount: due }
                }
                request={async () => ({
                  address: loanAddress,
                  abi: LoanAbi,
                  functionName: "makeRepayment",
                  args: [dueIsPayoff ? MAX_UINT256 : due],
                })}
                onDone={done}
              />
              <WriteAction
                label="Pay off the loan"
                describe={() => (
                  <p className="text-sm">
                    Repays the whole balance, about <strong>{fmt(l.payoff)}</strong>, with no prepayment penalty. A few
                    seconds of interest may accrue before it lands, so up to {fmt(payoffAllowance)} is approved; the loan
                    takes only what is owed.
                  </p>
                )}
                approval={{ token: token.address, spender: loanAddress, amount: payoffAllowance, required: l.payoff }}
                request={async () => ({ address: loanAddress, abi: LoanAbi, functionName: "makeRepayment", args: [MAX_UINT256] })}
                onDone={done}
              />
            </>
          ) : null}
          {l.statusCode <= 3 ? (
            <div>
              <Button variant="secondary" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
                {open ? "Hide autopay" : `Autopay for loan #${loan.loan_id}`}
              </Button>
              {open ? (
                <div className="mt-2">
                  <AutopayControls loan={loan} live={l} onDone={done} />
                </div>
              ) : null}
            </div>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

export default function MyLoans({ refreshKey }: { refreshKey?: unknown }) {
  const { index, token } = useApp();
  const { address } = useWallet();
  const summary = useAsync(async () => (address ? index.borrower(address) : null), [address, refreshKey]);
  const s = summary.data;
  const fmt = (v: string | null) => (v === null ? "—" : formatAmount(BigInt(v), token.decimals, token.symbol));
  return (
    <Section
      title="My loans"
      id="my-loans"
      actions={
        <Button variant="secondary" onClick={summary.reload} disabled={summary.loading}>
          Refresh loans
        </Button>
      }
    >
      {!address ? <p className="text-sm text-slate-600">Connect your wallet to see your loans.</p> : null}
      {summary.loading && !s ? <Loading what="your loans" /> : null}
      <ErrorNote error={summary.error} testId="my-loans-error" />
      {s ? (
        <>
          <Figures
            rows={[
              ["Outstanding", fmt(s.total_outstanding)],
              ["Due now", fmt(s.amount_due)],
              ["Next due date", formatDate(s.next_due_date)],
            ]}
          />
          {s.loans.length === 0 ? (
            <p className="text-sm text-slate-600">
              You have no loans yet. (A loan you just applied for appears once the index has seen its block: press
              Refresh loans.)
            </p>
          ) : (
            <ul className="space-y-3">
              {s.loans.map((loan) => (
                <LoanCard key={loan.loan_id} loan={loan} onChanged={summary.reload} />
              ))}
            </ul>
          )}
        </>
      ) : null}
    </Section>
  );
}
