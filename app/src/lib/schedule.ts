// A loan's installments with paid / late / due / upcoming marks, from the index's loan detail.
//
// The protocol's rules (contracts/Loan.sol, libraries/LoanMath.sol, libraries/InterestMath.sol):
// - the schedule is `Loan.schedule()`: due dates `startTime + k · 30 days`, and InterestMath.schedule's interest and
//   principal parts (the index returns it as `schedule` when it has a node; without one it is empty and the same
//   integer math is run here from the loan's principal, rate and term);
// - a repayment pays late fees first, then interest, then principal; what went to interest and principal counts
//   "toward the schedule" (`paidTowardSchedule`), and installment k is covered once that reaches k × the level
//   monthly payment (`LoanMath.covered`, never the last one while anything is owed; all of them once repaid).
import { toBigInt } from "./money";
import type { IndexLoanDetail } from "./index-api";

export const PERIOD = 30 * 86_400;
export const DAY = 86_400;

export type InstallmentStatus = "paid" | "late" | "due" | "upcoming";

export type Installment = {
  number: number;
  /** Unix seconds; 0 before drawdown (the schedule as applied for). */
  dueDate: number;
  principal: bigint;
  interest: bigint;
  total: bigint;
  status: InstallmentStatus;
  /** When the repayment that covered it was made (unix seconds). */
  paidAt?: number;
  /** Whole days past the due date, for late installments. */
  daysLate?: number;
};

// ------------------------------------------------------------------ InterestMath, in bigint

const PERIOD_RATE_DENOMINATOR = 120_000n;
const PRECISION = 10n ** 54n;
const PER_UNIT_PRECISION = 10n ** 36n;

function pow(x: bigint, n: bigint): bigint {
  let z = PRECISION;
  for (;;) {
    if ((n & 1n) === 1n) z = (z * x) / PRECISION;
    n >>= 1n;
    if (n === 0n) break;
    x = (x * x) / PRECISION;
  }
  return z;
}

/** `InterestMath.monthlyPayment`: the level payment, rounded up. */
export function monthlyPayment(principal: bigint, annualRateBps: number, termMonths: number): bigint {
  if (principal === 0n) return 0n;
  const n = BigInt(termMonths);
  if (annualRateBps === 0) return (principal + n - 1n) / n;
  const r = (BigInt(annualRateBps) * PRECISION) / PERIOD_RATE_DENOMINATOR;
  const factor = pow(PRECISION + r, n);
  const perUnit = (r * factor) / (factor - PRECISION) / (PRECISION / PER_UNIT_PRECISION);
  return (perUnit * principal + (PER_UNIT_PRECISION - 1n)) / PER_UNIT_PRECISION;
}

/** `InterestMath.schedule`: each installment's interest and principal parts (principal parts add up exactly). */
export function planSchedule(
  principal: bigint,
  annualRateBps: number,
  termMonths: number,
): { payment: bigint; interest: bigint[]; principal: bigint[] } {
  const payment = monthlyPayment(principal, annualRateBps, termMonths);
  const interest: bigint[] = [];
  const principalParts: bigint[] = [];
  let outstanding = principal;
  const rate = BigInt(annualRateBps);
  for (let i = 0; i < termMonths; i++) {
    const periodInterest = (rate * outstanding + (PERIOD_RATE_DENOMINATOR - 1n)) / PERIOD_RATE_DENOMINATOR;
    let part: bigint;
    if (i + 1 === termMonths) part = outstanding;
    else {
      part = payment > periodInterest ? payment - periodInterest : 0n;
      if (part > outstanding) part = outstanding;
    }
    interest.push(periodInterest);
    principalParts.push(part);
    outstanding -= part;
  }
  return { payment, interest, principal: principalParts };
}

// ------------------------------------------------------------------ marks

function argBig(args: Record<string, unknown>, name: string): bigint {
  const v = args[name];
  if (typeof v === "string" || typeof v === "number" || typeof v === "bigint") return toBigInt(v);
  return 0n;
}

/** The loan's installments with their marks at `nowSeconds`. */
export function buildSchedule(loan: IndexLoanDetail, nowSeconds: number): Installment[] {
  const term = loan.term_months;
  let rows: { dueDate: number; interest: bigint; principal: bigint }[];
  if (loan.schedule && loan.schedule.length > 0) {
    rows = [...loan.schedule]
      .sort((a, b) => a.number - b.number)
      .map((i) => ({ dueDate: i.due_date, interest: toBigInt(i.interest), principal: toBigInt(i.principal) }));
  } else {
    // The index had no node: Loan.schedule()'s own math on the principal (the goal before funding completes).
    const principal = toBigInt(loan.principal) || toBigInt(loan.goal);
    const plan = planSchedule(principal, loan.annual_rate_bps, term);
    rows = plan.interest.map((interest, k) => ({
      dueDate: loan.start_time ? loan.start_time + (k + 1) * PERIOD : 0,
      interest,
      principal: plan.principal[k] ?? 0n,
    }));
  }

  const payment = toBigInt(loan.monthly_payment);
  // Cumulative interest + principal paid, and when each installment got covered.
  const paidAt: (number | undefined)[] = new Array(rows.length).fill(undefined);
  let paid = 0n;
  let covered = 0;
  const repayments = loan.history
    .filter((e) => e.event === "RepaymentMade")
    .sort((a, b) => a.block - b.block || a.log_index - b.log_index);
  for (const e of repayments) {
    paid += argBig(e.args, "interest") + argBig(e.args, "principal");
    const now = payment > 0n ? Math.min(Number(paid / payment), Math.max(rows.length - 1, 0)) : 0;
    for (let k = covered; k < now; k++) paidAt[k] = e.timestamp;
    covered = Math.max(covered, now);
  }
  const repaid = loan.status === "repaid";
  if (repaid) {
    const last = repayments[repayments.length - 1];
    for (let k = covered; k < rows.length; k++) paidAt[k] = last?.timestamp;
    covered = rows.length;
  }
  const running = loan.status === "active" || loan.status === "defaulted";

  let dueMarked = false;
  return rows.map((r, k) => {
    const base = { number: k + 1, dueDate: r.dueDate, principal: r.principal, interest: r.interest, total: r.principal + r.interest };
    if (k < covered) {
      const at = paidAt[k];
      return at !== undefined ? { ...base, status: "paid" as const, paidAt: at } : { ...base, status: "paid" as const };
    }
    if (running && r.dueDate > 0 && r.dueDate < nowSeconds) {
      return { ...base, status: "late" as const, daysLate: Math.floor((nowSeconds - r.dueDate) / DAY) };
    }
    if (running && !dueMarked) {
      dueMarked = true;
      return { ...base, status: "due" as const };
    }
    return { ...base, status: "upcoming" as const };
  });
}
