// Token amounts are bigint token units everywhere; these turn them into text and back. No JS floats touch an
// amount: rounding is done on the integers.

/** A sentence saying why an amount the user typed can't be used (shown as is under the input). */
export class AmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AmountError";
  }
}

export type FormatOptions = {
  /** Digits after the point at most (rounded half up); default 2, never more than the token's decimals. */
  maxFraction?: number;
  /** Digits after the point at least (zero-padded); default min(2, maxFraction). */
  minFraction?: number;
};

const groupThousands = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * `formatAmount(1234500000n, 6, "USDC")` → "1,234.50 USDC". Rounds half up (away from zero) to `maxFraction`
 * digits; a non-zero amount that would round to zero shows as "< 0.01" so it never reads as nothing.
 */
export function formatAmount(raw: bigint, decimals: number, symbol?: string, opts: FormatOptions = {}): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 77) throw new RangeError(`bad decimals ${decimals}`);
  const maxFraction = Math.min(opts.maxFraction ?? 2, decimals);
  const minFraction = Math.min(opts.minFraction ?? Math.min(2, maxFraction), maxFraction);
  const negative = raw < 0n;
  const abs = negative ? -raw : raw;
  const drop = 10n ** BigInt(decimals - maxFraction);
  let scaled = abs / drop;
  if ((abs % drop) * 2n >= drop && drop > 1n) scaled += 1n; // half up
  const unit = 10n ** BigInt(maxFraction);
  const whole = scaled / unit;
  let fraction = maxFraction > 0 ? (scaled % unit).toString().padStart(maxFraction, "0") : "";
  while (fraction.length > minFraction && fraction.endsWith("0")) fraction = fraction.slice(0, -1);
  let text = groupThousands(whole.toString()) + (fraction ? `.${fraction}` : "");
  if (scaled === 0n && abs !== 0n) {
    const smallest = maxFraction > 0 ? `0.${"0".repeat(maxFraction - 1)}1` : "1";
    text = `< ${smallest}`;
    return (negative ? `-(${text})` : text) + (symbol ? ` ${symbol}` : "");
  }
  if (negative && scaled !== 0n) text = `-${text}`;
  return symbol ? `${text} ${symbol}` : text;
}

/** The exact amount with every significant decimal, no grouping ("1234.5"): for inputs' default values. */
export function toPlainAmount(raw: bigint, decimals: number): string {
  const negative = raw < 0n;
  const abs = negative ? -raw : raw;
  const unit = 10n ** BigInt(decimals);
  const fraction = decimals > 0 ? (abs % unit).toString().padStart(decimals, "0").replace(/0+$/, "") : "";
  return `${negative ? "-" : ""}${abs / unit}${fraction ? `.${fraction}` : ""}`;
}

/**
 * Parses what a user typed ("1,000.50", "0.25", ".5") into token units. Throws `AmountError` with a sentence:
 * empty, not a number, too many decimals for the token, negative or zero.
 */
export function parseAmount(text: string, decimals: number): bigint {
  const trimmed = text.trim();
  if (trimmed === "") throw new AmountError("Enter an amount.");
  let body = trimmed;
  if (body.startsWith("-")) {
    if (/^-\s*[\d.,]+$/.test(body)) throw new AmountError("The amount must be more than zero.");
    throw new AmountError(`“${trimmed}” is not a number.`);
  }
  if (body.startsWith("+")) body = body.slice(1);
  // Thousands separators are accepted only where they belong (1,000,000.5), so "1,5" is not read as 15.
  if (body.includes(",")) {
    if (!/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(body)) {
      throw new AmountError(`“${trimmed}” is not a number (use a point for decimals, commas only between thousands).`);
    }
    body = body.replace(/,/g, "");
  }
  if (!/^(\d+\.?\d*|\.\d+)$/.test(body)) throw new AmountError(`“${trimmed}” is not a number.`);
  const [whole = "", fraction = ""] = body.split(".");
  if (fraction.length > decimals) {
    throw new AmountError(
      decimals === 0
        ? "This token has no decimals: enter a whole number."
        : `This token has ${decimals} decimals: “${trimmed}” has ${fraction.length} digits after the point.`,
    );
  }
  const value = BigInt(whole || "0") * 10n ** BigInt(decimals) + BigInt((fraction || "").padEnd(decimals, "0") || "0");
  if (value === 0n) throw new AmountError("The amount must be more than zero.");
  return value;
}

/** Basis points as a percentage with two decimals, exactly: 1250 → "12.50%". */
export function formatBps(bps: number | bigint): string {
  const value = BigInt(bps);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  return `${negative ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}%`;
}

/** An annual rate in basis points: 1250 → "12.50% APR". */
export function formatApr(bps: number | bigint): string {
  return `${formatBps(bps)} APR`;
}

/** Unix seconds as a UTC date, YYYY-MM-DD; 0 / missing → "—". */
export function formatDate(unixSeconds: number | bigint | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined) return "—";
  const s = Number(unixSeconds);
  if (!Number.isFinite(s) || s <= 0) return "—";
  return new Date(s * 1000).toISOString().slice(0, 10);
}

/** Unix seconds as a UTC date and time, "YYYY-MM-DD HH:MM UTC". */
export function formatDateTime(unixSeconds: number | bigint | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined) return "—";
  const s = Number(unixSeconds);
  if (!Number.isFinite(s) || s <= 0) return "—";
  return `${new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A fraction as a percentage: 0.1234 → "12.34%"; null / NaN → "—" (e.g. an XIRR with no flows). */
export function formatPct(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A duration in seconds in words: "3d 4h", "5h 20m", "12m"; ≤ 0 → "ended". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "ended";
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${Math.max(m, 1)}m`;
}

/** `part / whole` as a whole percentage 0 … 100 for progress bars (bigint in, number out: display only). */
export function percentOf(part: bigint, whole: bigint): number {
  if (whole <= 0n) return 0;
  const bps = (part * 10_000n) / whole;
  return Math.min(100, Math.max(0, Number(bps) / 100));
}

/** The index's decimal strings (and JSON numbers) as bigint. */
export function toBigInt(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined || value === "") return 0n;
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new RangeError(`not an integer amount: ${value}`);
    return BigInt(value);
  }
  return BigInt(value);
}

/** 0x1234…abcd */
export function shortAddress(address: string | null | undefined): string {
  if (!address) return "—";
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}
