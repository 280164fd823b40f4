// "Fund a loan": buy notes of a loan open for funding, as the SDK does it: from pool cash with
// `LendingPool.invest(loan, amount)` (pool.invest), or from the wallet with `Loan.fundLoan(amount)` after approving
// the loan for the amount (loans.fund). One note = one token unit of principal.
import { useEffect, useState } from "react";
import type { Address } from "viem";
import { LendingPoolAbi } from "../../generated/abi/LendingPool";
import { LoanAbi } from "../../generated/abi/Loan";
import { GradeBadge, ProgressBar } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { useApp } from "../../lib/context";
import { formatAmount, formatApr, formatDate, parseAmount, percentOf } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import { ErrorNote, Figures, InfoNote, LabeledInput, LabeledSelect, Loading, Section, tryParse, useAsync } from "../borrower/shared";
import { usePoolBalances } from "./PoolCash";

export default function FundLoan({ refreshKey, onChanged }: { refreshKey: unknown; onChanged: () => void }) {
  const { publicClient, index, token, addresses } = useApp();
  const { address } = useWallet();
  const open = useAsync(() => index.loans({ status: "funding", limit: 100 }), [refreshKey]);
  const [loanId, setLoanId] = useState("");
  const [amountText, setAmountText] = useState("");
  const [source, setSource] = useState<"pool" | "wallet">("pool");
  const balances = usePoolBalances(refreshKey);

  // Preselect the loan of `#/lender?loan=<id>` (the marketplace's "Invest" link), else the first one.
  useEffect(() => {
    const items = open.data?.items ?? [];
    if (loanId || items.length === 0) return;
    const wanted = new URLSearchParams(window.location.hash.split("?")[1] ?? "").get("loan");
    const pick = items.find((l) => String(l.loan_id) === wanted) ?? items[0];
    if (pick) setLoanId(String(pick.loan_id));
  }, [open.data, loanId]);

  const loan = open.data?.items.find((l) => String(l.loan_id) === loanId);
  const loanAddress = loan?.address as Address | undefined;
  const live = useAsync(async () => {
    if (!loanAddress) return null;
    const [funding, config, status] = await Promise.all([
      publicClient.readContract({ address: loanAddress, abi: LoanAbi, functionName: "funding" }) as Promise<readonly [bigint, bigint, bigint]>,
      publicClient.readContract({ address: loanAddress, abi: LoanAbi, functionName: "config" }) as Promise<{ minNote: bigint }>,
      publicClient.readContract({ address: loanAddress, abi: LoanAbi, functionName: "status" }) as Promise<number>,
    ]);
    const [funded, goal, deadline] = funding;
    return { funded, goal, deadline: Number(deadline), minNote: BigInt(config.minNote), status: Number(status) };
  }, [loanAddress, refreshKey]);

  const amount = tryParse(() => parseAmount(amountText, token.decimals));
  const l = live.data;
  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);
  const remaining = l ? l.goal - l.funded : 0n;
  const warnings: string[] = [];
  if (l && amount.value !== undefined) {
    if (l.minNote > 0n && amount.value % l.minNote !== 0n) warnings.push(`The amount must be a multiple of the minimum note, ${fmt(l.minNote)}.`);
    if (amount.value > remaining) warnings.push(`The loan needs only ${fmt(remaining)} more.`);
    if (source === "pool" && balances.data && amount.value > balances.data.cash)
      warnings.push(`Amount exceeds your pool cash (${fmt(balances.data.cash)}).`);
    if (source === "wallet" && balances.data && amount.value > balances.data.wallet)
      warnings.push(`Your wallet holds only ${fmt(balances.data.wallet)}.`);
  }
  if (loan && address && loan.borrower.toLowerCase() === address.toLowerCase()) warnings.push("This is your own loan: a borrower cannot fund it.");

  const options = (open.data?.items ?? []).map((x) => ({
    value: String(x.loan_id),
    label: `#${x.loan_id} · ${x.grade ?? "—"} · ${formatApr(x.annual_rate_bps)} · ${x.term_months} months · ${fmt(BigInt(x.goal) - BigInt(x.funded))} left`,
  }));

  return (
    <Section title="Fund a loan" id="fund">
      {open.loading && !open.data ? <Loading what="loans open for funding" /> : null}
      <ErrorNote error={open.error} />
      {open.data && options.length === 0 ? <p className="text-sm text-slate-600">No loan is open for funding right now.</p> : null}
      {options.length ? (
        <>
          <div className="grid grid-cols-1 gap-3 md:grid-cols-3">
            <LabeledSelect id="fund-loan" label="Loan to fund" options={options} value={loanId} onChange={(e) => setLoanId(e.target.value)} />
            <LabeledInput
              id="fund-amount"
              label={`Amount to invest (${token.symbol})`}
              inputMode="decimal"
              placeholder="100"
              value={amountText}
              onChange={(e) => setAmountText(e.target.value)}
              error={amountText ? (amount.error ?? null) : null}
              hint={l && l.minNote > 0n ? `In multiples of ${fmt(l.minNote)}` : undefined}
            />
            <LabeledSelect
              id="fund-source"
              label="Pay from"
              options={[
                { value: "pool", label: `Pool cash${balances.data ? ` (${fmt(balances.data.cash)})` : ""}` },
                { value: "wallet", label: `Wallet${balances.data ? ` (${fmt(balances.data.wallet)})` : ""}` },
              ]}
              value={source}
              onChange={(e) => setSource(e.target.value as "pool" | "wallet")}
            />
          </div>
          {loan ? (
            <div data-testid="fund-loan-summary" data-loan-id={loan.loan_id} className="space-y-2">
              <div className="flex items-center gap-3 text-sm">
                <GradeBadge grade={loan.grade} />
                <span>{formatApr(loan.annual_rate_bps)}</span>
                <span>{loan.term_months} months</span>
                <span className="capitalize">{loan.purpose}</span>
              </div>
              {l ? (
                <>
                  <ProgressBar percent={percentOf(l.funded, l.goal)} label={`Funding of loan #${loan.loan_id}`} />
                  <Figures
                    rows={[
                      ["Goal", fmt(l.goal)],
                      ["Funded", fmt(l.funded)],
                      ["Still needed", fmt(remaining)],
                      ["Minimum note", fmt(l.minNote)],
                      ["Funding deadline", formatDate(l.deadline)],
                    ]}
                  />
                </>
              ) : null}
              <ErrorNote error={live.error} />
            </div>
          ) : null}
          {warnings.length ? (
            <InfoNote tone="warn">
              {warnings.map((w) => (
                <span key={w} className="block">
                  {w}
                </span>
              ))}
            </InfoNote>
          ) : null}
          <WriteAction
            label="Invest in this loan"
            describe={() => (
              <div className="space-y-1 text-sm">
                <p>
                  Buys <strong>{amount.value !== undefined ? fmt(amount.value) : "—"}</strong> of notes in loan #{loan?.loan_id}{" "}
                  (one note per token unit of principal), paid from your {source === "pool" ? "pool cash" : "wallet"}.
                </p>
                <p>
                  Interest: {loan ? formatApr(loan.annual_rate_bps) : "—"}, less the protocol's servicing fee on each repayment.
                  No fee now.
                </p>
              </div>
            )}
            approval={
              source === "wallet" && loanAddress && amount.value !== undefined
                ? { token: token.address, spender: loanAddress, amount: amount.value }
                : undefined
            }
            request={async () => {
              if (!loanAddress || amount.value === undefined) return null;
              return source === "pool"
                ? { address: addresses.pool, abi: LendingPoolAbi, functionName: "invest", args: [loanAddress, amount.value] }
                : { address: loanAddress, abi: LoanAbi, functionName: "fundLoan", args: [amount.value] };
            }}
            onDone={() => {
              setAmountText("");
              live.reload();
              open.reload();
              onChanged();
            }}
          />
        </>
      ) : null}
    </Section>
  );
}
