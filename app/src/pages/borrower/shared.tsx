// Helpers shared by the borrower and lender dashboards (helper B's folders only).
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { BaseError } from "viem";
import { useApp } from "../../lib/context";
import { decodeRevert } from "../../lib/errors";
import { PURPOSES } from "../../lib/index-api";

/** The factory's purpose codes, in order (`sdk/disfruta/models.py` PURPOSES): the index API's list. */
export { PURPOSES };

export const purposeLabel = (code: number): string => {
  const name = PURPOSES[code];
  return name ? name.charAt(0).toUpperCase() + name.slice(1) : `Purpose ${code}`;
};

/** The registry's grade encoding: 1 = A1 … 25 = E5, 0 = none. */
export const GRADE_NAMES: string[] = Array.from({ length: 25 }, (_, i) => `${"ABCDE"[Math.floor(i / 5)]}${(i % 5) + 1}`);

export function gradeName(value: number | bigint | null | undefined): string | null {
  const n = Number(value ?? 0);
  return n >= 1 && n <= 25 ? (GRADE_NAMES[n - 1] ?? null) : null;
}

export function gradeNumber(name: string | null | undefined): number {
  if (!name) return 0;
  const i = GRADE_NAMES.indexOf(name.toUpperCase());
  return i < 0 ? 0 : i + 1;
}

/** `ILoan.Status` (`LoanStatus` in the SDK). */
export const LOAN_STATUS = ["pending", "funding", "funded", "active", "repaid", "defaulted", "rejected", "expired"] as const;
export type LoanStatusName = (typeof LOAN_STATUS)[number];
export const statusName = (n: number | bigint): LoanStatusName | string => LOAN_STATUS[Number(n)] ?? `status ${n}`;

export const MAX_UINT256 = 2n ** 256n - 1n;

/** The message of anything thrown (the lib's errors carry sentences). */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

export type Async<T> = {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /**
   * Waits (at most `timeoutMs`) until the latest run has settled and returns its outcome, read fresh (not from the
   * render that calls it); `loading` is still true when it timed out.
   */
  settled: (timeoutMs?: number) => Promise<{ data: T | undefined; error: unknown; loading: boolean }>;
};

/** Runs `fn` when `deps` change (and on `reload()`); keeps the last data while reloading. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  // The latest run's outcome, for `settled()` (state seen by a callback may be a render old).
  const latest = useRef<{ data: T | undefined; error: unknown; loading: boolean; done: Promise<void> }>({
    data: undefined,
    error: undefined,
    loading: true,
    done: new Promise<void>(() => undefined),
  });
  useEffect(() => {
    const mine = ++run.current;
    setLoading(true);
    const done = fnRef
      .current()
      .then((value) => {
        if (run.current !== mine) return;
        setData(value);
        setError(undefined);
        latest.current = { ...latest.current, data: value, error: undefined };
      })
      .catch((e: unknown) => {
        if (run.current !== mine) return;
        setError(e);
        latest.current = { ...latest.current, error: e };
      })
      .finally(() => {
        if (run.current === mine) {
          setLoading(false);
          latest.current = { ...latest.current, loading: false };
        }
      });
    latest.current = { ...latest.current, loading: true, done };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const settled = useCallback(async (timeoutMs = 10_000) => {
    const until = Date.now() + timeoutMs;
    while (latest.current.loading && Date.now() < until) {
      const done = latest.current.done;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, until - Date.now()))))]);
      clearTimeout(timer);
      // a newer run may have started meanwhile: wait for that one too
    }
    const { data: d, error: e, loading: l } = latest.current;
    return { data: d, error: e, loading: l };
  }, []);
  return { data, error, loading, reload, settled };
}

/** A section of a dashboard: an h2 with its name (the browser tests find sections by it). */
export function Section({
  title,
  id,
  children,
  actions,
}: {
  title: string;
  id: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section
      aria-labelledby={`${id}-title`}
      data-testid={`section-${id}`}
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm"
    >
      <div className="mb-4 flex items-center justify-between gap-3">
        <h2 id={`${id}-title`} className="text-lg font-semibold text-slate-900">
          {title}
        </h2>
        {actions}
      </div>
      <div className="space-y-4">{children}</div>
    </section>
  );
}

/** An error in words: a chain error (a view that reverted, the node unreachable) decoded like a write's. */
export function ErrorNote({ error, testId }: { error: unknown; testId?: string }) {
  const { token } = useApp();
  if (error === undefined || error === null || error === "") return null;
  const text = error instanceof BaseError ? decodeRevert(error, token) : messageOf(error);
  return (
    <p role="alert" data-testid={testId} className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      {text}
    </p>
  );
}

export function InfoNote({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "warn" | "ok" }) {
  const cls =
    tone === "warn"
      ? "border-amber-200 bg-amber-50 text-amber-900"
      : tone === "ok"
        ? "border-emerald-200 bg-emerald-50 text-emerald-900"
        : "border-sky-200 bg-sky-50 text-sky-900";
  return <div className={`rounded-md border px-3 py-2 text-sm ${cls}`}>{children}</div>;
}

export function Loading({ what }: { what: string }) {
  return <p className="text-sm text-slate-500">Loading {what}…</p>;
}

// Labelled inputs and buttons: the shared UI's (a visible `<label htmlFor>` on every input).
export { Field as LabeledInput, SelectField as LabeledSelect, Button } from "../../components/ui";

/** A definition row for figures (label: value). */
export function Figures({ rows, testId }: { rows: [string, ReactNode][]; testId?: string }) {
  return (
    <dl data-testid={testId} className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-3">
      {rows.map(([k, v]) => (
        <div key={k} className="flex justify-between gap-3 border-b border-slate-100 py-1">
          <dt className="text-slate-500">{k}</dt>
          <dd className="text-right font-medium text-slate-900">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Parses a percentage typed by the user ("12.5") into basis points (bigint, exact: no floats). */
export function parsePercentToBps(text: string, { allowZero = true }: { allowZero?: boolean } = {}): bigint {
  const t = text.trim().replace(/%$/, "").trim();
  if (t === "") throw new Error("Enter a percentage.");
  if (!/^\d+(\.\d{0,2})?$|^\.\d{1,2}$/.test(t)) throw new Error(`“${text}” is not a percentage with at most two decimals.`);
  const [whole = "0", fraction = ""] = t.split(".");
  const bps = BigInt(whole || "0") * 100n + BigInt(fraction.padEnd(2, "0") || "0");
  if (!allowZero && bps === 0n) throw new Error("The percentage must be more than zero.");
  return bps;
}

/** Parses a signed percentage ("-3", "+1.5", "2") into basis points. */
export function parseSignedPercentToBps(text: string): bigint {
  const t = text.trim();
  if (t.startsWith("-")) return -parsePercentToBps(t.slice(1));
  if (t.startsWith("+")) return parsePercentToBps(t.slice(1));
  return parsePercentToBps(t);
}

/** A whole number typed by the user, within bounds. */
export function parseWhole(text: string, what: string, min: number, max: number): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new Error(`${what}: enter a whole number.`);
  const n = Number(t);
  if (n < min || n > max) throw new Error(`${what} must be between ${min} and ${max}.`);
  return n;
}

/** Ceil(a × b / d) on bigints (the contracts' `Math.mulDiv(..., Rounding.Ceil)`). */
export const mulDivCeil = (a: bigint, b: bigint, d: bigint): bigint => (a * b + d - 1n) / d;

export function tryParse<T>(fn: () => T): { value?: T; error?: string } {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: messageOf(e) };
  }
}
