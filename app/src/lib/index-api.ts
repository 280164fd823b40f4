// The index's read API (sdk/disfruta/index/api.py). Amounts are decimal strings of token units; convert with
// `toBigInt` from ./money. Routes are `${indexUrl}/v1/...`.

export type LoanStatusName =
  | "pending"
  | "funding"
  | "funded"
  | "active"
  | "repaid"
  | "defaulted"
  | "rejected"
  | "expired";

export const LOAN_STATUSES: readonly LoanStatusName[] = [
  "pending",
  "funding",
  "funded",
  "active",
  "repaid",
  "defaulted",
  "rejected",
  "expired",
];

/** The 25 sub-grades, A1 (best) … E5; on chain 1 … 25. */
export const GRADES: readonly string[] = "ABCDE".split("").flatMap((l) => [1, 2, 3, 4, 5].map((n) => `${l}${n}`));

/** `disfruta.models.PURPOSES`: the purpose code is the index in this list. */
export const PURPOSES = [
  "debt consolidation",
  "credit card",
  "home improvement",
  "business",
  "car",
  "medical",
  "education",
  "other",
] as const;

export type LiveFields = {
  amount_due: string;
  payoff_amount: string;
  next_due_date: number;
  days_past_due: number;
  interest_owed: string;
  late_fees_owed: string;
};

/** One loan as `/v1/loans` shows it (`loan_json`). */
export type IndexLoan = {
  loan_id: number;
  address: string;
  borrower: string;
  status: LoanStatusName;
  grade: string | null;
  purpose: string;
  annual_rate_bps: number;
  term_months: number;
  funding_deadline: number;
  funded_at: number;
  start_time: number;
  paused: boolean;
  created_at: number;
  goal: string;
  principal: string;
  funded: string;
  monthly_payment: string;
  principal_outstanding: string;
  interest_paid: string;
  principal_paid: string;
  late_fees_paid: string;
  servicing_fees: string;
  reserve_cover: string;
  defaulted_principal: string;
  live: LiveFields | null;
};

export type IndexInstallment = { number: number; due_date: number; interest: string; principal: string };

/** One event of a loan's history; `args` by the ABI's names (integers may be JSON numbers or, when large, strings). */
export type IndexEvent = {
  event: string;
  block: number;
  timestamp: number;
  tx_hash: string;
  log_index: number;
  args: Record<string, unknown>;
};

export type IndexListing = {
  loan_id: number;
  loan: string;
  seller: string;
  notes: string;
  listed_notes: string;
  premium_bps: number;
  expiry: number;
  version: number;
  status: number;
  expired: boolean;
  open: boolean;
  seller_notes: string;
  loan_status: LoanStatusName;
  listed_block: number;
  listed_at: number;
  updated_block: number;
  updated_at: number;
};

export type IndexTrade = {
  loan_id: number;
  loan: string;
  seller: string;
  buyer: string;
  notes: string;
  price: string;
  fee: string;
  version: number;
  block: number;
  timestamp: number;
  tx_hash: string;
  log_index: number;
};

export type IndexCollection = {
  due_date: number;
  amount: string;
  caller: string;
  block: number;
  timestamp: number;
  tx_hash: string;
  log_index: number;
};

export type IndexEnrolment = {
  loan_id: number;
  loan: string;
  borrower: string;
  cap: string;
  active: boolean;
  enrolled_block: number;
  enrolled_at: number;
  cancelled_at: number | null;
  collected: string;
  collections: IndexCollection[];
};

/** `/v1/loans/{id}`: the loan, its schedule (empty when the index has no node), noteholders, market, history. */
export type IndexLoanDetail = IndexLoan & {
  schedule: IndexInstallment[];
  noteholders: { holder: string; notes: string }[];
  listings: IndexListing[];
  autopay: IndexEnrolment | null;
  history: IndexEvent[];
};

export type Page<T> = { items: T[]; next_cursor: string | null };

export type LoanFilters = {
  status?: LoanStatusName;
  min_grade?: string;
  max_grade?: string;
  min_rate_bps?: number;
  max_rate_bps?: number;
  term_months?: number;
  max_term_months?: number;
  /** The purpose code (index in PURPOSES). */
  purpose?: number;
  borrower?: string;
  live?: boolean;
};

export type IndexStatus = { chain_id: number; factory: string; block: number; block_hash: string };

export type PortfolioLoan = {
  loan_id: number;
  address: string;
  status: LoanStatusName;
  grade: string;
  notes: string;
  invested: string;
  received: string;
  claimable: string;
  principal_outstanding: string;
  interest_and_fees: string;
  loss: string;
  expected_loss: string;
  notes_bought: string;
  notes_sold: string;
};

export type Portfolio = {
  lender: string;
  pool: { balance: string; deposited: string; withdrawn: string; invested: string; returns_claimed: string } | null;
  auto_invest: Record<string, unknown> | null;
  invested: string;
  received: string;
  claimable: string;
  principal_outstanding: string;
  interest_and_fees: string;
  losses: string;
  expected_losses: string;
  expected_losses_by_grade: Record<string, string>;
  net_annualized_return: number | null;
  xirr: number | null;
  cash_flows: { timestamp: number; amount: string; kind: string; loan_id: number }[];
  loans: PortfolioLoan[];
};

export type Statement = {
  address: string;
  start: number;
  end: number;
  loans: Record<string, string | number | null>[];
  total: Record<string, string | number | null>;
};

export type BorrowerSummary = {
  borrower: string;
  grade: string | null;
  borrow_limit: string;
  loans: IndexLoan[];
  total_outstanding: string;
  amount_due: string | null;
  next_due_date: number | null;
};

export type Stats = {
  block: number | null;
  loans: number;
  loans_by_status: Partial<Record<LoanStatusName, number>>;
  volume: string;
  outstanding: string;
  defaulted_principal: string;
  default_rate_by_grade: Record<string, { drawn: number; defaulted: number; rate: number }>;
  reserve: string;
  reserve_used: string;
  reserve_coverage: number | null;
  fees: Record<string, string>;
};

/** The index cannot be reached (network failure or a 5xx): lists and histories are unavailable. */
export class IndexUnavailable extends Error {
  readonly url: string;
  constructor(url: string, why?: string) {
    super(`The index at ${url} cannot be reached; lists and histories are unavailable${why ? ` (${why})` : ""}.`);
    this.name = "IndexUnavailable";
    this.url = url;
  }
}

/** A 4xx from the index or the oracle, with the server's `detail`. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;
  constructor(status: number, detail: unknown) {
    super(detailText(detail) || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

/** FastAPI details: a string, or (422) a list of {loc, msg}. */
export function detailText(detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (typeof d !== "object" || d === null) return String(d);
        const e = d as { loc?: unknown[]; msg?: string };
        const where = Array.isArray(e.loc) ? e.loc.filter((x) => x !== "body" && x !== "query").join(".") : "";
        return where ? `${where}: ${e.msg ?? ""}` : (e.msg ?? "");
      })
      .join("; ");
  }
  if (detail === null || detail === undefined) return "";
  return JSON.stringify(detail);
}

/**
 * Parses JSON keeping integers beyond 2^53 exact: an integer literal that is not a safe JS integer becomes a string
 * (the index stores event args as JSON numbers; 18-decimal amounts exceed JS's safe integers). A small scanner
 * skips string literals, so digits inside strings are never touched.
 */
export function parseJsonExact(text: string): unknown {
  let out = "";
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "-" || (c >= "0" && c <= "9")) {
      const start = i;
      i++;
      while (i < text.length && /[0-9.eE+-]/.test(text[i]!)) i++;
      const literal = text.slice(start, i);
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += text.slice(last, start) + `"${literal}"`;
        last = i;
      }
      continue;
    }
    i++;
  }
  return JSON.parse(out + text.slice(last));
}

type Listener = (reachable: boolean, error?: IndexUnavailable) => void;

export class IndexApi {
  readonly baseUrl: string;
  private readonly fetcher: typeof fetch;
  private listeners = new Set<Listener>();
  reachable: boolean | undefined = undefined;
  private bypassCacheUntil = 0;
  lastError: IndexUnavailable | undefined = undefined;

  constructor(baseUrl: string, fetcher?: typeof fetch) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.fetcher = fetcher ?? ((input, init) => fetch(input, init));
  }

  /** Called with `false` whenever a request finds the index unreachable, `true` when one succeeds. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private mark(reachable: boolean, error?: IndexUnavailable): void {
    this.reachable = reachable;
    this.lastError = error;
    for (const l of this.listeners) l(reachable, error);
  }

  url(path: string, query: Record<string, string | number | boolean | undefined | null> = {}): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`;
  }

  private async get<T>(path: string, query?: Record<string, string | number | boolean | undefined | null>): Promise<T> {
    const url = this.url(path, query);
    let response: Response;
    try {
      // Right after one of the user's own writes, skip the HTTP cache (the index's answers are cached for seconds):
      // the figures must include what the user just did.
      const init: RequestInit = { headers: { Accept: "application/json" } };
      if (Date.now() < this.bypassCacheUntil) init.cache = "no-store";
      response = await this.fetcher(url, init);
    } catch (e) {
      const err = new IndexUnavailable(this.baseUrl, e instanceof Error ? e.message : undefined);
      this.mark(false, err);
      throw err;
    }
    const text = await response.text();
    if (response.status >= 500) {
      let why = `HTTP ${response.status}`;
      try {
        why = detailText((JSON.parse(text) as { detail?: unknown }).detail) || why;
      } catch {
        /* not JSON */
      }
      const err = new IndexUnavailable(this.baseUrl, why);
      this.mark(false, err);
      throw err;
    }
    this.mark(true);
    let body: unknown;
    try {
      body = parseJsonExact(text);
    } catch {
      throw new ApiError(response.status, `the index answered something that is not JSON (HTTP ${response.status})`);
    }
    if (!response.ok) throw new ApiError(response.status, (body as { detail?: unknown } | null)?.detail ?? body);
    return body as T;
  }

  status(): Promise<IndexStatus> {
    return this.get("/v1/status");
  }

  /**
   * Waits (polling, uncached) until the index has reached `block` — the block of a transaction the user just sent —
   * so that lists and figures read next include it; later reads skip the HTTP cache for a few seconds. Resolves
   * `false` if the index has not caught up within `timeoutMs` (the page then shows what the index has).
   */
  async waitForBlock(block: bigint, timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    this.bypassCacheUntil = Date.now() + timeoutMs + 10_000;
    for (;;) {
      try {
        const status = await this.status();
        if (BigInt(status.block) >= block) {
          this.bypassCacheUntil = Date.now() + 10_000;
          return true;
        }
      } catch {
        /* unreachable for now: the banner says so; keep polling until the deadline */
      }
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  loans(filters: LoanFilters & { cursor?: string | null; limit?: number } = {}): Promise<Page<IndexLoan>> {
    return this.get("/v1/loans", { ...filters });
  }

  loan(id: number | string): Promise<IndexLoanDetail> {
    return this.get(`/v1/loans/${encodeURIComponent(String(id))}`);
  }

  listings(
    q: { loan?: string | number; seller?: string; active?: boolean; cursor?: string | null; limit?: number } = {},
  ): Promise<Page<IndexListing>> {
    return this.get("/v1/market/listings", q);
  }

  trades(
    q: { loan?: string | number; account?: string; cursor?: string | null; limit?: number } = {},
  ): Promise<Page<IndexTrade>> {
    return this.get("/v1/market/trades", q);
  }

  autopay(
    q: { borrower?: string; loan?: string | number; active?: boolean; cursor?: string | null; limit?: number } = {},
  ): Promise<Page<IndexEnrolment>> {
    return this.get("/v1/autopay", q);
  }

  portfolio(address: string): Promise<Portfolio> {
    return this.get(`/v1/lenders/${encodeURIComponent(address)}/portfolio`);
  }

  statement(address: string, q: { start?: number; end?: number } = {}): Promise<Statement> {
    return this.get(`/v1/lenders/${encodeURIComponent(address)}/statement`, { ...q, format: "json" });
  }

  /** A link to download the lender's statement (CSV) for [start, end] (unix seconds). */
  statementUrl(address: string, q: { start?: number; end?: number; format?: "csv" | "json" } = {}): string {
    return this.url(`/v1/lenders/${encodeURIComponent(address)}/statement`, {
      start: q.start,
      end: q.end,
      format: q.format ?? "csv",
    });
  }

  borrower(address: string): Promise<BorrowerSummary> {
    return this.get(`/v1/borrowers/${encodeURIComponent(address)}`);
  }

  borrowerStatementUrl(address: string, q: { start?: number; end?: number; format?: "csv" | "json" } = {}): string {
    return this.url(`/v1/borrowers/${encodeURIComponent(address)}/statement`, {
      start: q.start,
      end: q.end,
      format: q.format ?? "csv",
    });
  }

  stats(): Promise<Stats> {
    return this.get("/v1/stats");
  }
}
