// `#/loans/:id`: one loan from the index (`/v1/loans/{id}`): terms, funding, the schedule with paid / late marks,
// its history, its notes on the note market, and "Fund this loan" while it is open.
import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import FundLoan from "../components/FundLoan";
import { Banner, Card, GradeBadge, Mono, PageTitle, ProgressBar, Spinner, Stat, StatusPill, Table } from "../components/ui";
import { useApp } from "../lib/context";
import { useChainTime } from "../lib/chain-time";
import { ApiError, type IndexEvent, type IndexLoanDetail } from "../lib/index-api";
import { formatAmount, formatApr, formatBps, formatDate, formatDateTime, formatDuration, percentOf, shortAddress, toBigInt } from "../lib/money";
import { buildSchedule } from "../lib/schedule";

const EVENT_TEXT: Record<string, string> = {
  LoanCreated: "Applied for",
  LoanApproved: "Approved by the underwriter",
  LoanRejected: "Rejected",
  LoanOpened: "Opened for funding",
  LoanFunded: "Funded",
  FundingCompleted: "Fully funded",
  PartialFundingAccepted: "Partial funding accepted",
  FundsWithdrawn: "Drawn by the borrower",
  RepaymentMade: "Repayment",
  LateFeeAssessed: "Late fee assessed",
  LoanRepaid: "Repaid in full",
  LoanDefaulted: "Declared in default",
  LoanExpired: "Expired",
  Claimed: "Claimed by a lender",
  Refunded: "Refunded to a lender",
  FeesSwept: "Servicing fees swept",
  LoanPaused: "Paused / unpaused",
  LoanPauseSet: "Paused / unpaused",
  LoanClosed: "Closed",
  RecoveryShared: "Recovery shared",
  Transfer: "Notes transferred",
};

function eventDetail(e: IndexEvent, fmt: (raw: bigint) => string): string {
  const a = e.args;
  const amt = (k: string) => (a[k] !== undefined ? fmt(toBigInt(a[k] as string | number)) : "");
  switch (e.event) {
    case "LoanFunded":
      return `${amt("amount")} by ${shortAddress(String(a.lender ?? ""))}`;
    case "RepaymentMade":
      return `${amt("amount")} (interest ${amt("interest")}, principal ${amt("principal")}${toBigInt((a.lateFees as string) ?? 0) > 0n ? `, late fees ${amt("lateFees")}` : ""})`;
    case "FundsWithdrawn":
      return `${amt("principal")} less origination fee ${amt("originationFee")}`;
    case "FundingCompleted":
      return amt("principal");
    case "LateFeeAssessed":
      return `${amt("amount")} for ${String(a.installments ?? "")} installment(s)`;
    case "LoanDefaulted":
      return `${amt("principalOutstanding")} outstanding, reserve cover ${amt("reserveCover")}`;
    case "Claimed":
    case "Refunded":
      return `${amt("amount")} to ${shortAddress(String(a.lender ?? ""))}`;
    case "Transfer":
      return `${amt("value")} from ${shortAddress(String(a.from ?? ""))} to ${shortAddress(String(a.to ?? ""))}`;
    default:
      return "";
  }
}

export default function LoanPage() {
  const { id } = useParams();
  const { index, token, config } = useApp();
  const chainNow = useChainTime();
  const [loan, setLoan] = useState<IndexLoanDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const loanId = Number(id);
  const fmt = (raw: bigint) => formatAmount(raw, token.decimals, token.symbol);

  const load = useCallback(() => {
    if (!Number.isInteger(loanId) || loanId <= 0) {
      setError(`“${id ?? ""}” is not a loan number.`);
      setLoading(false);
      return;
    }
    setLoading(true);
    index
      .loan(loanId)
      .then((l) => {
        setLoan(l);
        setError(null);
      })
      .catch((e: unknown) => {
        setError(e instanceof ApiError && e.status === 404 ? `There is no loan #${loanId} in the index.` : e instanceof Error ? e.message : String(e));
      })
      .finally(() => setLoading(false));
  }, [index, loanId, id]);

  useEffect(load, [load]);

  if (loading && !loan) return <Spinner label={`Loading loan #${id ?? ""}…`} />;
  if (!loan) {
    return (
      <div className="space-y-4">
        <PageTitle>Loan #{id}</PageTitle>
        <Banner tone="error" testId="loan-error">
          {error}
        </Banner>
        <Link to="/" className="text-sm font-medium text-teal-800 hover:underline">
          ← Back to the marketplace
        </Link>
      </div>
    );
  }

  const now = chainNow; // deadlines and due dates are the chain's
  const goal = toBigInt(loan.goal);
  const funded = toBigInt(loan.funded);
  const schedule = buildSchedule(loan, now);
  const explorerTx = (hash: string) => (config.explorerUrl ? `${config.explorerUrl.replace(/\/$/, "")}/tx/${hash}` : null);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <PageTitle
          sub={
            <>
              <span className="capitalize">{loan.purpose}</span> · borrower <Mono title={loan.borrower}>{shortAddress(loan.borrower)}</Mono> · loan contract{" "}
              <Mono title={loan.address}>{shortAddress(loan.address)}</Mono>
            </>
          }
        >
          <span className="mr-3 align-middle">
            <GradeBadge grade={loan.grade} />
          </span>
          Loan #{loan.loan_id}
        </PageTitle>
        <div className="flex items-center gap-2">
          <StatusPill status={loan.status} />
          {loan.paused && <StatusPill status="pending">paused</StatusPill>}
        </div>
      </div>
      {error && <Banner tone="error">{error}</Banner>}

      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Terms" className="lg:col-span-2">
          <div className="grid grid-cols-2 gap-5 sm:grid-cols-3">
            <Stat label="Amount" value={fmt(goal)} hint={toBigInt(loan.principal) > 0n && toBigInt(loan.principal) !== goal ? `principal ${fmt(toBigInt(loan.principal))}` : undefined} />
            <Stat label="Rate" value={formatApr(loan.annual_rate_bps)} />
            <Stat label="Term" value={`${loan.term_months} months`} />
            <Stat label="Monthly payment" value={toBigInt(loan.monthly_payment) > 0n ? fmt(toBigInt(loan.monthly_payment)) : "—"} />
            <Stat label="Principal outstanding" value={fmt(toBigInt(loan.principal_outstanding))} />
            <Stat label="Interest paid" value={fmt(toBigInt(loan.interest_paid))} />
            <Stat label="Applied" value={formatDate(loan.created_at)} />
            <Stat label="Funding deadline" value={formatDate(loan.funding_deadline)} hint={loan.status === "funding" ? `${formatDuration(loan.funding_deadline - now)} left` : undefined} />
            <Stat label="Drawn" value={formatDate(loan.start_time)} />
          </div>
          {loan.live && (
            <div className="mt-5 grid grid-cols-2 gap-5 border-t border-slate-100 pt-5 sm:grid-cols-4">
              <Stat label="Due now" value={fmt(toBigInt(loan.live.amount_due))} />
              <Stat label="Next due" value={formatDate(loan.live.next_due_date)} />
              <Stat label="Days past due" value={loan.live.days_past_due} />
              <Stat label="Payoff now" value={fmt(toBigInt(loan.live.payoff_amount))} />
            </div>
          )}
        </Card>

        <Card title="Funding" testId="funding-card">
          <div className="space-y-4">
            <ProgressBar percent={percentOf(funded, goal)} label="Funded" />
            <p className="text-sm text-slate-700">
              {fmt(funded)} of {fmt(goal)} funded by {loan.noteholders.length} noteholder{loan.noteholders.length === 1 ? "" : "s"}.
            </p>
            {loan.status === "funding" ? (
              <FundLoan loan={loan} onDone={load} />
            ) : (
              <p className="text-sm text-slate-500">This loan is {loan.status}; it no longer takes funding.</p>
            )}
          </div>
        </Card>
      </div>

      <Card title="Repayment schedule">
        {schedule.length === 0 ? (
          <p className="text-sm text-slate-500">No schedule.</p>
        ) : (
          <Table testId="schedule-table" head={["#", "Due", "Principal", "Interest", "Payment", "Status"]}>
            {schedule.map((i) => (
              <tr key={i.number} data-testid="schedule-row" data-status={i.status}>
                <td className="px-3 py-2 tabular-nums">{i.number}</td>
                <td className="px-3 py-2 tabular-nums">{i.dueDate ? formatDate(i.dueDate) : "after drawdown"}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(i.principal)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(i.interest)}</td>
                <td className="px-3 py-2 tabular-nums">{fmt(i.total)}</td>
                <td className="px-3 py-2">
                  <StatusPill status={i.status}>
                    {i.status === "paid"
                      ? `paid${i.paidAt ? ` ${formatDate(i.paidAt)}` : ""}`
                      : i.status === "late"
                        ? `late · ${i.daysLate} day${i.daysLate === 1 ? "" : "s"}`
                        : i.status}
                  </StatusPill>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Notes for sale">
          <Table testId="listings-table" head={["Seller", "Notes", "Premium", "Expires", ""]} empty="No open listings for this loan.">
            {loan.listings.map((l) => (
              <tr key={`${l.seller}-${l.version}`} data-testid="listing-row">
                <td className="px-3 py-2">
                  <Mono title={l.seller}>{shortAddress(l.seller)}</Mono>
                </td>
                <td className="px-3 py-2 tabular-nums">{fmt(toBigInt(l.notes))}</td>
                <td className="px-3 py-2 tabular-nums">{formatBps(l.premium_bps)}</td>
                <td className="px-3 py-2 tabular-nums">{l.expiry ? formatDate(l.expiry) : "never"}</td>
                <td className="px-3 py-2 text-xs text-slate-500">{l.open ? "open" : l.expired ? "expired" : "closed"}</td>
              </tr>
            ))}
          </Table>
          <p className="mt-3 text-xs text-slate-500">
            Buy listed notes from the <Link to="/lender" className="text-teal-800 hover:underline">Lend</Link> page.
          </p>
        </Card>

        <Card title="Noteholders">
          <Table head={["Holder", "Notes"]} empty="No noteholders yet.">
            {loan.noteholders.map((h) => (
              <tr key={h.holder}>
                <td className="px-3 py-2">
                  <Mono title={h.holder}>{shortAddress(h.holder)}</Mono>
                </td>
                <td className="px-3 py-2 tabular-nums">{fmt(toBigInt(h.notes))}</td>
              </tr>
            ))}
          </Table>
        </Card>
      </div>

      <Card title="History">
        <Table testId="history-table" head={["When", "Event", "Details", "Transaction"]} empty="No events yet.">
          {[...loan.history].reverse().map((e) => {
            const link = explorerTx(e.tx_hash);
            return (
              <tr key={`${e.tx_hash}-${e.log_index}`} data-testid="history-row">
                <td className="whitespace-nowrap px-3 py-2 tabular-nums text-slate-600">{formatDateTime(e.timestamp)}</td>
                <td className="px-3 py-2">{EVENT_TEXT[e.event] ?? e.event}</td>
                <td className="px-3 py-2 text-slate-700">{eventDetail(e, fmt)}</td>
                <td className="px-3 py-2">
                  {link ? (
                    <a href={link} target="_blank" rel="noreferrer" className="font-mono text-xs text-teal-800 hover:underline">
                      {shortAddress(e.tx_hash)}
                    </a>
                  ) : (
                    <Mono title={e.tx_hash}>{shortAddress(e.tx_hash)}</Mono>
                  )}
                </td>
              </tr>
            );
          })}
        </Table>
      </Card>
    </div>
  );
}
