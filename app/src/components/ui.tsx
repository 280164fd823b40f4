import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from "react";

export function cx(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(" ");
}

export function Card({
  title,
  actions,
  children,
  className,
  testId,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section data-testid={testId} className={cx("rounded-xl border border-slate-200 bg-white p-5 shadow-sm", className)}>
      {(title || actions) && (
        <header className="mb-4 flex items-center justify-between gap-4">
          {title && <h2 className="text-base font-semibold text-slate-900">{title}</h2>}
          {actions}
        </header>
      )}
      {children}
    </section>
  );
}

export function Stat({ label, value, hint, testId }: { label: ReactNode; value: ReactNode; hint?: ReactNode; testId?: string }) {
  return (
    <div className="min-w-0">
      <div className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</div>
      <div data-testid={testId} className="mt-1 truncate text-lg font-semibold text-slate-900 tabular-nums">
        {value}
      </div>
      {hint && <div className="mt-0.5 text-xs text-slate-500">{hint}</div>}
    </div>
  );
}

const GRADE_COLOURS: Record<string, string> = {
  A: "bg-emerald-100 text-emerald-800 ring-emerald-600/30",
  B: "bg-lime-100 text-lime-800 ring-lime-600/30",
  C: "bg-amber-100 text-amber-800 ring-amber-600/30",
  D: "bg-orange-100 text-orange-800 ring-orange-600/30",
  E: "bg-red-100 text-red-800 ring-red-600/30",
};

/** A sub-grade (A1 … E5) coloured by its risk band: A green … E red. */
export function GradeBadge({ grade }: { grade: string | null | undefined }) {
  const letter = grade?.charAt(0).toUpperCase() ?? "";
  const colour = GRADE_COLOURS[letter] ?? "bg-slate-100 text-slate-600 ring-slate-400/30";
  return (
    <span
      data-testid="grade-badge"
      title={grade ? `Credit grade ${grade}` : "No grade"}
      className={cx("inline-flex min-w-9 justify-center rounded-md px-2 py-0.5 text-xs font-bold ring-1 ring-inset", colour)}
    >
      {grade ?? "—"}
    </span>
  );
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: ReactNode;
  suffix?: ReactNode;
};

/** A labelled input (`<label htmlFor>`, so tests can find it by its label). */
export function Field({ id, label, hint, error, suffix, className, ...input }: FieldProps) {
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <div className="mt-1 flex items-center rounded-lg border border-slate-300 bg-white focus-within:border-teal-600 focus-within:ring-2 focus-within:ring-teal-600/20">
        <input
          id={id}
          aria-invalid={error ? true : undefined}
          aria-describedby={hint || error ? `${id}-help` : undefined}
          className="w-full min-w-0 rounded-lg border-0 bg-transparent px-3 py-2 text-sm text-slate-900 outline-none"
          {...input}
        />
        {suffix && <span className="pr-3 text-sm text-slate-500">{suffix}</span>}
      </div>
      {(hint || error) && (
        <p id={`${id}-help`} className={cx("mt-1 text-xs", error ? "text-red-700" : "text-slate-500")}>
          {error || hint}
        </p>
      )}
    </div>
  );
}

type SelectProps = SelectHTMLAttributes<HTMLSelectElement> & {
  id: string;
  label: ReactNode;
  options: readonly { value: string; label: string }[];
  hint?: ReactNode;
};

export function SelectField({ id, label, options, hint, className, ...select }: SelectProps) {
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <select
        id={id}
        className="mt-1 w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 outline-none focus:border-teal-600 focus:ring-2 focus:ring-teal-600/20"
        {...select}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint && <p className="mt-1 text-xs text-slate-500">{hint}</p>}
    </div>
  );
}

const BANNER_TONES = {
  info: "border-sky-200 bg-sky-50 text-sky-900",
  warn: "border-amber-200 bg-amber-50 text-amber-900",
  error: "border-red-200 bg-red-50 text-red-900",
  success: "border-emerald-200 bg-emerald-50 text-emerald-900",
} as const;

export function Banner({
  tone = "info",
  children,
  testId,
  action,
  className,
}: {
  tone?: keyof typeof BANNER_TONES;
  children: ReactNode;
  testId?: string;
  action?: ReactNode;
  className?: string;
}) {
  return (
    <div
      data-testid={testId}
      role={tone === "error" || tone === "warn" ? "alert" : "status"}
      className={cx("flex flex-wrap items-center justify-between gap-3 rounded-lg border px-4 py-3 text-sm", BANNER_TONES[tone], className)}
    >
      <div className="min-w-0">{children}</div>
      {action}
    </div>
  );
}

export function Button({
  variant = "primary",
  className,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: "primary" | "secondary" | "ghost" | "danger" }) {
  const styles = {
    primary: "bg-teal-700 text-white hover:bg-teal-800 disabled:bg-slate-300",
    secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50 disabled:text-slate-400",
    ghost: "text-teal-800 hover:bg-teal-50 disabled:text-slate-400",
    danger: "bg-red-700 text-white hover:bg-red-800 disabled:bg-slate-300",
  }[variant];
  return (
    <button
      type="button"
      className={cx("inline-flex items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-medium transition disabled:cursor-not-allowed", styles, className)}
      {...props}
    />
  );
}

/** A table with a header row; pass `<tr>` rows as children. */
export function Table({
  head,
  children,
  empty,
  testId,
  className,
}: {
  head: ReactNode[];
  children: ReactNode;
  empty?: ReactNode;
  testId?: string;
  className?: string;
}) {
  const hasRows = Array.isArray(children) ? children.flat().some(Boolean) : Boolean(children);
  return (
    <div className={cx("overflow-x-auto", className)}>
      <table data-testid={testId} className="min-w-full divide-y divide-slate-200 text-sm">
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col" className="whitespace-nowrap px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {hasRows ? (
            children
          ) : (
            <tr>
              <td colSpan={head.length} className="px-3 py-8 text-center text-slate-500">
                {empty ?? "Nothing to show."}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function ProgressBar({ percent, label }: { percent: number; label?: string }) {
  const p = Math.max(0, Math.min(100, percent));
  return (
    <div className="flex items-center gap-2">
      <div
        className="h-2 w-24 overflow-hidden rounded-full bg-slate-200"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(p)}
        aria-label={label ?? "Funded"}
      >
        <div className="h-full rounded-full bg-teal-600" style={{ width: `${p}%` }} />
      </div>
      <span className="text-xs tabular-nums text-slate-600">{p.toFixed(0)}%</span>
    </div>
  );
}

const STATUS_COLOURS: Record<string, string> = {
  funding: "bg-sky-100 text-sky-800",
  funded: "bg-indigo-100 text-indigo-800",
  active: "bg-emerald-100 text-emerald-800",
  repaid: "bg-slate-200 text-slate-700",
  defaulted: "bg-red-100 text-red-800",
  rejected: "bg-slate-100 text-slate-500",
  expired: "bg-slate-100 text-slate-500",
  pending: "bg-amber-100 text-amber-800",
  paid: "bg-emerald-100 text-emerald-800",
  late: "bg-red-100 text-red-800",
  due: "bg-amber-100 text-amber-800",
  upcoming: "bg-slate-100 text-slate-600",
};

export function StatusPill({ status, children }: { status: string; children?: ReactNode }) {
  return (
    <span className={cx("inline-flex rounded-full px-2 py-0.5 text-xs font-medium capitalize", STATUS_COLOURS[status] ?? "bg-slate-100 text-slate-600")}>
      {children ?? status}
    </span>
  );
}

export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  return (
    <div className="mb-6">
      <h1 data-testid="page-title" className="text-2xl font-semibold tracking-tight text-slate-900">
        {children}
      </h1>
      {sub && <p className="mt-1 text-sm text-slate-600">{sub}</p>}
    </div>
  );
}

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-2 py-6 text-sm text-slate-500">
      <span className="h-4 w-4 animate-spin rounded-full border-2 border-slate-300 border-t-teal-700" />
      {label}
    </div>
  );
}

export function Mono({ children, title }: { children: ReactNode; title?: string }) {
  return (
    <span className="font-mono text-xs text-slate-700" title={title}>
      {children}
    </span>
  );
}
