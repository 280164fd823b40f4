// "Portfolio": the index's `/v1/lenders/{addr}/portfolio` (positions, NAR, XIRR, expected losses; see
// sdk/disfruta/index/portfolio.py) and the statement download (`/v1/lenders/{addr}/statement?format=csv`).
import { useState } from "react";
import { Link } from "react-router";
import { GradeBadge, Stat, StatusPill, Table } from "../../components/ui";
import { useApp } from "../../lib/context";
import type { Portfolio as PortfolioData } from "../../lib/index-api";
import { formatAmount, formatPct, toBigInt } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import { ErrorNote, LabeledInput, Loading, Section, type Async } from "../borrower/shared";

/** A UTC date (YYYY-MM-DD) as unix seconds at 00:00 UTC (`endOfDay`: 23:59:59). */
function utcSeconds(date: string, endOfDay = false): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) return undefined;
  return Math.floor(ms / 1000) + (endOfDay ? 86_399 : 0);
}

export default function Portfolio({ portfolio }: { portfolio: Async<PortfolioData | null> }) {
  const { index, token } = useApp();
  const { address } = useWallet();
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const p = portfolio.data;
  const fmt = (v: string | bigint) => formatAmount(toBigInt(v), token.decimals, token.symbol);
  const statementUrl = address
    ? index.statementUrl(address, { start: utcSeconds(start), end: utcSeconds(end, true), format: "csv" })
    : undefined;

  return (
    <Section title="Portfolio" id="portfolio">
      {!address ? <p className="text-sm text-slate-600">Connect your wallet to see your portfolio.</p> : null}
      {portfolio.loading && !p ? <Loading what="your portfolio" /> : null}
      <ErrorNote error={portfolio.error} testId="portfolio-error" />
      {p ? (
        <>
          <div className="grid grid-cols-2 gap-4 md:grid-cols-4" data-testid="portfolio-summary">
            <Stat label="Invested" value={fmt(p.invested)} testId="portfolio-invested" />
            <Stat label="Received" value={fmt(p.received)} testId="portfolio-received" />
            <Stat label="Principal outstanding" value={fmt(p.principal_outstanding)} testId="portfolio-outstanding" />
            <Stat label="Claimable" value={fmt(p.claimable)} testId="portfolio-claimable" />
            <Stat label="Interest and fees earned" value={fmt(p.interest_and_fees)} hint="After the servicing fee" />
            <Stat label="Losses" value={fmt(p.losses)} />
            <Stat label="Expected losses" value={fmt(p.expected_losses)} testId="portfolio-expected-losses" hint="Active loans, by grade" />
            <Stat label="Net annualized return" value={formatPct(p.net_annualized_return)} testId="portfolio-nar" />
            <Stat label="XIRR" value={formatPct(p.xirr)} testId="portfolio-xirr" hint="Including what your positions are worth now" />
          </div>
          {Object.keys(p.expected_losses_by_grade).length ? (
            <div>
              <h3 className="mb-1 text-sm font-semibold text-slate-800">Expected losses by grade</h3>
              <ul className="flex flex-wrap gap-3 text-sm">
                {Object.entries(p.expected_losses_by_grade).map(([g, v]) => (
                  <li key={g} className="flex items-center gap-1">
                    <GradeBadge grade={g} /> {fmt(v)}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <Table
            testId="portfolio-positions"
            head={["Loan", "Grade", "Status", "Notes", "Invested", "Received", "Outstanding", "Claimable", "Earned", "Expected loss"]}
            empty="No positions yet: fund a loan to start."
          >
            {p.loans.map((l) => (
              <tr key={l.loan_id} data-testid="position-row" data-loan-id={l.loan_id}>
                <td className="px-3 py-2">
                  <Link to={`/loans/${l.loan_id}`} className="text-teal-800 underline">
                    #{l.loan_id}
                  </Link>
                </td>
                <td className="px-3 py-2">
                  <GradeBadge grade={l.grade} />
                </td>
                <td className="px-3 py-2">
                  <StatusPill status={l.status} />
                </td>
                <td className="px-3 py-2 tabular-nums">{formatAmount(toBigInt(l.notes), token.decimals)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(l.invested)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(l.received)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(l.principal_outstanding)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(l.claimable)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(l.interest_and_fees)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(l.expected_loss)}</td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
      {address ? (
        <div className="flex flex-wrap items-end gap-3 border-t border-slate-100 pt-4">
          <LabeledInput id="statement-start" label="Statement from (UTC)" type="date" value={start} onChange={(e) => setStart(e.target.value)} />
          <LabeledInput id="statement-end" label="Statement to (UTC)" type="date" value={end} onChange={(e) => setEnd(e.target.value)} />
          <a
            href={statementUrl}
            download={`disfruta-statement-${address}.csv`}
            data-testid="statement-link"
            className="inline-flex items-center rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
          >
            Download statement (CSV)
          </a>
        </div>
      ) : null}
    </Section>
  );
}
