// "Claims": what each loan the lender holds notes in owes them now (`Loan.claimable(lender)`, read live, as the
// SDK's loans.claimable), and "Claim": into pool cash with `LendingPool.claimReturns(loan)` (pool.claim_returns) or
// to the wallet with `Loan.claim()` (loans.claim).
import { useState } from "react";
import { Link } from "react-router";
import type { Address } from "viem";
import { LendingPoolAbi } from "../../generated/abi/LendingPool";
import { LoanAbi } from "../../generated/abi/Loan";
import { GradeBadge, StatusPill, Table } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { useApp } from "../../lib/context";
import type { PortfolioLoan } from "../../lib/index-api";
import { formatAmount } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import { ErrorNote, LabeledSelect, Loading, Section, useAsync, type Async } from "../borrower/shared";
import type { Portfolio } from "../../lib/index-api";

export default function Claims({
  portfolio,
  refreshKey,
  onChanged,
}: {
  portfolio: Async<Portfolio | null>;
  refreshKey: unknown;
  onChanged: () => void;
}) {
  const { publicClient, addresses, token } = useApp();
  const { address } = useWallet();
  const [to, setTo] = useState<"pool" | "wallet">("pool");
  const loans: PortfolioLoan[] = portfolio.data?.loans ?? [];
  const key = loans.map((l) => l.address).join(",");
  const claimable = useAsync(async () => {
    if (!address || loans.length === 0) return {} as Record<string, bigint>;
    const values = await Promise.all(
      loans.map(
        (l) =>
          publicClient.readContract({
            address: l.address as Address,
            abi: LoanAbi,
            functionName: "claimable",
            args: [address],
          }) as Promise<bigint>,
      ),
    );
    return Object.fromEntries(loans.map((l, i) => [l.address.toLowerCase(), BigInt(values[i] ?? 0n)]));
  }, [address, key, refreshKey]);
  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);
  const amounts = claimable.data ?? {};
  const rows = loans
    .map((l) => ({ loan: l, amount: amounts[l.address.toLowerCase()] }))
    .filter((r) => r.amount === undefined || r.amount > 0n || r.loan.status === "active");
  const total = Object.values(amounts).reduce((a, b) => a + b, 0n);

  return (
    <Section title="Claims" id="claims">
      <p className="text-sm text-slate-600">
        Repayments are credited to your notes as they arrive; claim them into your pool cash (to reinvest) or to your
        wallet.
      </p>
      {portfolio.loading && !portfolio.data ? <Loading what="your loans" /> : null}
      <ErrorNote error={portfolio.error} />
      <ErrorNote error={claimable.error} />
      <div className="flex flex-wrap items-end justify-between gap-4">
        <LabeledSelect
          id="claim-destination"
          label="Send claimed returns to"
          options={[
            { value: "pool", label: "Pool cash" },
            { value: "wallet", label: "My wallet" },
          ]}
          value={to}
          onChange={(e) => setTo(e.target.value as "pool" | "wallet")}
        />
        <p className="text-sm">
          Claimable now: <strong data-testid="claimable-total">{fmt(total)}</strong>
        </p>
      </div>
      <Table head={["Loan", "Grade", "Status", "Claimable now", ""]} testId="claims-table" empty="Nothing to claim yet.">
        {rows.map(({ loan, amount }) => (
          <tr key={loan.loan_id} data-testid="claim-row" data-loan-id={loan.loan_id}>
            <td className="px-3 py-2">
              <Link to={`/loans/${loan.loan_id}`} className="text-teal-800 underline">
                #{loan.loan_id}
              </Link>
            </td>
            <td className="px-3 py-2">
              <GradeBadge grade={loan.grade} />
            </td>
            <td className="px-3 py-2">
              <StatusPill status={loan.status} />
            </td>
            <td className="px-3 py-2 tabular-nums" data-testid="claimable-amount">
              {amount === undefined ? "…" : fmt(amount)}
            </td>
            <td className="px-3 py-2">
              <WriteAction
                label="Claim"
                describe={() => (
                  <p className="text-sm">
                    Claims <strong>{amount === undefined ? "—" : fmt(amount)}</strong> from loan #{loan.loan_id} into your{" "}
                    {to === "pool" ? "pool cash" : "wallet"}. The servicing fee was already taken from each repayment; no
                    fee now.
                  </p>
                )}
                request={async () =>
                  to === "pool"
                    ? { address: addresses.pool, abi: LendingPoolAbi, functionName: "claimReturns", args: [loan.address as Address] }
                    : { address: loan.address as Address, abi: LoanAbi, functionName: "claim", args: [] }
                }
                onDone={() => {
                  claimable.reload();
                  onChanged();
                }}
              />
            </td>
          </tr>
        ))}
      </Table>
    </Section>
  );
}
