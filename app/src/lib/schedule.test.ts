import { describe, expect, it } from "vitest";
import type { IndexEvent, IndexLoanDetail } from "./index-api";
import { buildSchedule, DAY, monthlyPayment, PERIOD, planSchedule } from "./schedule";

const T0 = 1_767_225_600; // drawdown: 2026-01-01 00:00 UTC
const BORROWER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const LOAN = "0x8464135c8F25Da09e49BC8782676a84730C318bC";

function repayment(n: number, timestamp: number, interest: bigint, principal: bigint, lateFees = 0n): IndexEvent {
  return {
    event: "RepaymentMade",
    block: 100 + n,
    timestamp,
    tx_hash: `0x${n.toString(16).padStart(64, "0")}`,
    log_index: 1,
    // The index stores args as JSON: small integers as numbers, amounts beyond 2^53 as (exact) strings.
    args: {
      payer: BORROWER,
      amount: Number(interest + principal + lateFees),
      lateFees: Number(lateFees),
      interest: Number(interest),
      principal: Number(principal),
      servicingFee: 0,
      principalOutstanding: 0,
    },
  };
}

/** A 12-month loan of 10,000 USDC at 10% APR, drawn at T0, shaped exactly like `GET /v1/loans/{id}`. */
function fixture(over: Partial<IndexLoanDetail> = {}, history: IndexEvent[] = []): IndexLoanDetail {
  const principal = 10_000n * 10n ** 6n;
  const plan = planSchedule(principal, 1000, 12);
  return {
    loan_id: 7,
    address: LOAN,
    borrower: BORROWER,
    status: "active",
    grade: "B2",
    purpose: "car",
    annual_rate_bps: 1000,
    term_months: 12,
    funding_deadline: T0 - 5 * DAY,
    funded_at: T0 - 6 * DAY,
    start_time: T0,
    paused: false,
    created_at: T0 - 20 * DAY,
    goal: principal.toString(),
    principal: principal.toString(),
    funded: principal.toString(),
    monthly_payment: plan.payment.toString(),
    principal_outstanding: principal.toString(),
    interest_paid: "0",
    principal_paid: "0",
    late_fees_paid: "0",
    servicing_fees: "0",
    reserve_cover: "0",
    defaulted_principal: "0",
    live: null,
    schedule: plan.interest.map((interest, k) => ({
      number: k + 1,
      due_date: T0 + (k + 1) * PERIOD,
      interest: interest.toString(),
      principal: (plan.principal[k] ?? 0n).toString(),
    })),
    noteholders: [{ holder: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", notes: principal.toString() }],
    listings: [],
    autopay: null,
    history: [
      { event: "LoanCreated", block: 10, timestamp: T0 - 20 * DAY, tx_hash: "0x" + "a".repeat(64), log_index: 0, args: { loanId: 7 } },
      ...history,
    ],
    ...over,
  };
}

describe("InterestMath port", () => {
  it.each([
    [10_000n * 10n ** 6n, 0, 12, 833_333_334n],
    [10_000n * 10n ** 6n, 1_200, 1, 10_100_000_000n],
    [1n, 1, 600, 1n],
    [0n, 1_500, 36, 0n],
    [10_000n * 10n ** 6n, 1_000, 36, 322_671_872n],
  ])("monthlyPayment(%s, %i bps, %i months) = %s (the contract's known cases)", (p, rate, term, expected) => {
    expect(monthlyPayment(p, rate, term)).toBe(expected);
  });

  it("splits a schedule whose principal parts add up exactly and whose installments are level", () => {
    const p = 10_000n * 10n ** 6n;
    const plan = planSchedule(p, 1000, 12);
    expect(plan.principal.reduce((a, b) => a + b, 0n)).toBe(p);
    for (let k = 0; k < 11; k++) expect(plan.interest[k]! + plan.principal[k]!).toBe(plan.payment);
    expect(plan.interest[0]).toBe(83_333_334n); // one period at 10%/12, rounded up
  });
});

describe("buildSchedule", () => {
  const loan = fixture();
  const payment = BigInt(loan.monthly_payment);
  const part = (k: number) => ({ interest: BigInt(loan.schedule[k]!.interest), principal: BigInt(loan.schedule[k]!.principal) });

  it("marks nothing paid before any repayment: the first installment is due, the rest upcoming", () => {
    const rows = buildSchedule(loan, T0 + 10 * DAY);
    expect(rows).toHaveLength(12);
    expect(rows.map((r) => r.status)).toEqual(["due", ...Array(11).fill("upcoming")]);
    expect(rows[0]!.dueDate).toBe(T0 + PERIOD);
    expect(rows[0]!.total).toBe(payment);
  });

  it("marks paid, late (with days late), due and upcoming", () => {
    const paidLoan = fixture({}, [
      repayment(1, T0 + PERIOD - DAY, part(0).interest, part(0).principal),
      repayment(2, T0 + 2 * PERIOD, part(1).interest, part(1).principal),
    ]);
    const now = T0 + 3 * PERIOD + 5 * DAY + 3600;
    const rows = buildSchedule(paidLoan, now);
    expect(rows.slice(0, 5).map((r) => r.status)).toEqual(["paid", "paid", "late", "due", "upcoming"]);
    expect(rows[0]!.paidAt).toBe(T0 + PERIOD - DAY);
    expect(rows[1]!.paidAt).toBe(T0 + 2 * PERIOD);
    expect(rows[2]!.daysLate).toBe(5);
    expect(rows[3]!.daysLate).toBeUndefined();
  });

  it("counts interest and principal toward the schedule, not late fees", () => {
    // One payment of 1.5 installments plus a late fee: only the first is covered.
    const half = payment / 2n;
    const l = fixture({}, [repayment(1, T0 + PERIOD + 20 * DAY, part(0).interest, part(0).principal + half, 5_000_000n)]);
    const rows = buildSchedule(l, T0 + PERIOD + 21 * DAY);
    expect(rows.slice(0, 3).map((r) => r.status)).toEqual(["paid", "due", "upcoming"]);
    // Late fees alone cover nothing.
    const fees = fixture({}, [repayment(1, T0 + PERIOD + 20 * DAY, 0n, 0n, payment * 3n)]);
    expect(buildSchedule(fees, T0 + PERIOD + 21 * DAY)[0]!.status).toBe("late");
  });

  it("covers several installments with one prepayment, and several late ones stay late", () => {
    const pre = fixture({}, [repayment(1, T0 + DAY, 0n, payment * 3n)]);
    expect(buildSchedule(pre, T0 + 2 * DAY).slice(0, 4).map((r) => r.status)).toEqual(["paid", "paid", "paid", "due"]);
    const late = buildSchedule(loan, T0 + 2 * PERIOD + 2 * DAY);
    expect(late.slice(0, 3).map((r) => [r.status, r.daysLate])).toEqual([
      ["late", 32],
      ["late", 2],
      ["due", undefined],
    ]);
  });

  it("never covers the last installment while the loan is active, all of them once repaid", () => {
    const all = fixture({}, [repayment(1, T0 + DAY, 0n, payment * 20n)]);
    const rows = buildSchedule(all, T0 + 2 * DAY);
    expect(rows.filter((r) => r.status === "paid")).toHaveLength(11);
    expect(rows[11]!.status).toBe("due");
    const repaid = buildSchedule({ ...all, status: "repaid" }, T0 + 400 * DAY);
    expect(repaid.every((r) => r.status === "paid")).toBe(true);
    expect(repaid[11]!.paidAt).toBe(T0 + DAY);
  });

  it("shows the schedule as applied for (no due dates, nothing due) before drawdown", () => {
    const funding = fixture({ status: "funding", start_time: 0, funded: "0", principal: "0", schedule: [] });
    const rows = buildSchedule(funding, T0);
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.status === "upcoming" && r.dueDate === 0)).toBe(true);
    expect(rows[0]!.total).toBe(payment);
  });

  it("computes the same schedule as Loan.schedule() when the index has no node", () => {
    const noNode = fixture({ schedule: [] });
    const a = buildSchedule(noNode, T0 + 10 * DAY);
    const b = buildSchedule(loan, T0 + 10 * DAY);
    expect(a).toEqual(b);
  });

  it("keeps amounts beyond 2^53 exact (18-decimal tokens, args as strings)", () => {
    const big = 10n ** 24n;
    const plan = planSchedule(big, 1200, 6);
    const l = fixture({
      term_months: 6,
      annual_rate_bps: 1200,
      goal: big.toString(),
      principal: big.toString(),
      monthly_payment: plan.payment.toString(),
      schedule: plan.interest.map((interest, k) => ({
        number: k + 1,
        due_date: T0 + (k + 1) * PERIOD,
        interest: interest.toString(),
        principal: plan.principal[k]!.toString(),
      })),
      history: [
        {
          event: "RepaymentMade",
          block: 200,
          timestamp: T0 + PERIOD,
          tx_hash: "0x" + "b".repeat(64),
          log_index: 0,
          args: { interest: plan.interest[0]!.toString(), principal: plan.principal[0]!.toString(), lateFees: 0 },
        },
      ],
    });
    const rows = buildSchedule(l, T0 + PERIOD + DAY);
    expect(rows[0]!.status).toBe("paid");
    expect(rows[1]!.status).toBe("due");
    expect(rows.reduce((s, r) => s + r.principal, 0n)).toBe(big);
  });
});
