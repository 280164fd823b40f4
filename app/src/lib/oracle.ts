// The KYC / credit oracle (sdk/disfruta/oracle; the Python client sdk/disfruta/oracle_client.py makes the same
// calls): Sign-In with Ethereum, KYC submission and attestations, credit assessments.
import { useCallback, useSyncExternalStore } from "react";
import { getAddress, type Address } from "viem";
import type { AppWalletClient } from "./clients";
import { ApiError, detailText } from "./index-api";
import { useApp } from "./context";
import { useWallet } from "./wallet";

export { ApiError };

export type Session = {
  address: Address;
  accessToken: string;
  refreshToken: string;
  /** ms since the epoch when the access token expires. */
  expiresAt: number;
};

export type NonceOut = {
  nonce: string;
  domain: string;
  uri: string;
  chain_id: number;
  statement: string;
  expires_at: string;
};

export type KycRole = "borrower" | "lender";

export type KycProfile = {
  first_name: string;
  last_name: string;
  date_of_birth: string;
  phone_number: string;
  address_line1: string;
  address_line2?: string | null;
  city: string;
  state?: string | null;
  postal_code: string;
  country: string;
  employment_status: "employed" | "self_employed" | "unemployed" | "student" | "retired";
  annual_income: number;
};

export type KycDocument = {
  kind: "passport" | "national_id" | "driving_licence" | "proof_of_address" | "bank_statement";
  sha256: string;
};

export type KycSubmission = { roles: KycRole[]; profile: KycProfile; documents: KycDocument[] };

export type KycStatus = {
  wallet_address: string;
  kyc_status: string;
  roles: string[];
  kyc_commitment: string | null;
  updated_at: string;
};

/** An attestation signed by the oracle, to submit to the UserRegistry (`message` fields as the struct's). */
export type SignedAttestation = {
  kind: "kyc" | "credit";
  message: Record<string, number | string>;
  signer: string;
  signature: string;
  digest: string;
  chain_id: number;
  registry: string;
};

/** The credit model's applicant (sdk/disfruta/credit/features.py `Applicant`). */
export type Applicant = {
  checking_account: "negative" | "low" | "high" | "none";
  duration_months: number;
  credit_history: "no_credits" | "all_paid_this_bank" | "existing_paid" | "past_delay" | "critical";
  purpose:
    | "car_new"
    | "car_used"
    | "furniture"
    | "radio_tv"
    | "appliances"
    | "repairs"
    | "education"
    | "retraining"
    | "business"
    | "others";
  credit_amount: number;
  savings: "lt_100" | "100_500" | "500_1000" | "ge_1000" | "unknown";
  employment_since: "unemployed" | "lt_1y" | "1_4y" | "4_7y" | "ge_7y";
  installment_rate_pct: number;
  other_debtors: "none" | "co_applicant" | "guarantor";
  residence_since: number;
  property: "real_estate" | "savings_insurance" | "car_other" | "none";
  age_years: number;
  other_installment_plans: "bank" | "stores" | "none";
  housing: "rent" | "own" | "free";
  existing_credits: number;
  job: "unskilled_nonresident" | "unskilled_resident" | "skilled" | "highly_qualified";
  dependents: number;
  telephone: "none" | "yes";
};

/** The allowed values of each categorical field and the range of each number (the pydantic model's). */
export const APPLICANT_FIELDS: Record<keyof Applicant, readonly string[] | { min: number; max: number }> = {
  checking_account: ["negative", "low", "high", "none"],
  duration_months: { min: 1, max: 120 },
  credit_history: ["no_credits", "all_paid_this_bank", "existing_paid", "past_delay", "critical"],
  purpose: ["car_new", "car_used", "furniture", "radio_tv", "appliances", "repairs", "education", "retraining", "business", "others"],
  credit_amount: { min: 1, max: 10_000_000 },
  savings: ["lt_100", "100_500", "500_1000", "ge_1000", "unknown"],
  employment_since: ["unemployed", "lt_1y", "1_4y", "4_7y", "ge_7y"],
  installment_rate_pct: { min: 1, max: 4 },
  other_debtors: ["none", "co_applicant", "guarantor"],
  residence_since: { min: 1, max: 4 },
  property: ["real_estate", "savings_insurance", "car_other", "none"],
  age_years: { min: 18, max: 120 },
  other_installment_plans: ["bank", "stores", "none"],
  housing: ["rent", "own", "free"],
  existing_credits: { min: 0, max: 50 },
  job: ["unskilled_nonresident", "unskilled_resident", "skilled", "highly_qualified"],
  dependents: { min: 0, max: 20 },
  telephone: ["none", "yes"],
};

export type Assessment = {
  id: string;
  decision: "approved" | "declined";
  score: number;
  base_score: number;
  cashflow_adjustment: number;
  cashflow_features: Record<string, number | null> | null;
  probability_of_default: number;
  grade: string | null;
  /** Token units as a decimal string. */
  borrow_limit: string;
  reasons: { code: string; text: string; points_lost: number }[];
  model_version: string;
  created_at: string;
  expires_at: string;
  attestation: SignedAttestation | null;
};

export type CreditModel = {
  version: string;
  auc_test: number;
  gini_test: number;
  ks_test: number;
  n_train: number;
  n_test: number;
  cutoff_score: number;
  grade_bounds: Record<string, number>;
  grade_limits: Record<string, number>;
  not_scored: string[];
  [key: string]: unknown;
};

export class OracleUnavailable extends Error {
  readonly url: string;
  constructor(url: string, why?: string) {
    super(`The oracle at ${url} cannot be reached${why ? ` (${why})` : ""}: sign-in, KYC and credit checks are unavailable.`);
    this.name = "OracleUnavailable";
    this.url = url;
  }
}

/** No session (or it ended): the user must sign in again. */
export class SignedOut extends Error {
  constructor(message = "You are not signed in to the oracle: sign in with your wallet first.") {
    super(message);
    this.name = "SignedOut";
  }
}

/** The oracle is set up for sign-ins from another site than this one (its SIWE domain is not this page's host). */
export class OracleMisconfigured extends Error {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string) {
    super(
      `The oracle expects sign-ins for ${expected}, but this app runs at ${actual}: set DISFRUTA_ORACLE_SIWE_DOMAIN to ${actual}.`,
    );
    this.name = "OracleMisconfigured";
    this.expected = expected;
    this.actual = actual;
  }
}

const sameAddress = (a: string | undefined | null, b: string | undefined | null) =>
  !!a && !!b && a.toLowerCase() === b.toLowerCase();

const STORAGE_KEY = "disfruta.oracle.session";
type Store = Pick<Storage, "getItem" | "setItem" | "removeItem">;

function defaultStore(): Store | undefined {
  try {
    return typeof sessionStorage !== "undefined" ? sessionStorage : undefined;
  } catch {
    return undefined;
  }
}

export class OracleApi {
  readonly baseUrl: string;
  private readonly fetcher: typeof fetch;
  private readonly store: Store | undefined;
  private session: Session | null;
  private listeners = new Set<() => void>();
  private refreshing: Promise<Session> | null = null;

  constructor(baseUrl: string, opts: { fetcher?: typeof fetch; storage?: Store } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.fetcher = opts.fetcher ?? ((input, init) => fetch(input, init));
    this.store = opts.storage ?? defaultStore();
    this.session = this.load();
  }

  // ------------------------------------------------------------------ session store

  private load(): Session | null {
    try {
      const raw = this.store?.getItem(STORAGE_KEY);
      if (!raw) return null;
      const s = JSON.parse(raw) as Session;
      return s.accessToken && s.refreshToken && s.address ? s : null;
    } catch {
      return null;
    }
  }

  private save(session: Session | null): void {
    this.session = session;
    try {
      if (session) this.store?.setItem(STORAGE_KEY, JSON.stringify(session));
      else this.store?.removeItem(STORAGE_KEY);
    } catch {
      /* storage full or disabled: the session lives in memory */
    }
    for (const l of this.listeners) l();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSession = (): Session | null => this.session;

  // ------------------------------------------------------------------ HTTP

  private async call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.fetcher(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new OracleUnavailable(this.baseUrl, e instanceof Error ? e.message : undefined);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    if (response.status >= 500) {
      const why = detailText((parsed as { detail?: unknown } | undefined)?.detail) || `HTTP ${response.status}`;
      throw new OracleUnavailable(this.baseUrl, why);
    }
    if (!response.ok) {
      throw new ApiError(response.status, (parsed as { detail?: unknown } | undefined)?.detail ?? (text || null));
    }
    return parsed as T;
  }

  /**
   * A call with the session's bearer token; refreshes it when expired or refused once. `account`: the wallet's
   * address now; a session signed in by another account is not used for it.
   */
  private async authed<T>(method: string, path: string, body?: unknown, account?: Address): Promise<T> {
    let session = this.session;
    if (!session) throw new SignedOut();
    if (account && !sameAddress(session.address, account)) {
      throw new SignedOut(
        `You are signed in to the oracle as ${session.address}, but your wallet is on ${getAddress(account)}: sign in again with this account.`,
      );
    }
    if (Date.now() > session.expiresAt - 15_000) session = await this.refresh();
    try {
      return await this.call<T>(method, path, body, session.accessToken);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        session = await this.refresh();
        return this.call<T>(method, path, body, session.accessToken);
      }
      throw e;
    }
  }

  private tokens(address: Address, t: { access_token: string; refresh_token: string; expires_in: number }): Session {
    return {
      address,
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: Date.now() + t.expires_in * 1000,
    };
  }

  // ------------------------------------------------------------------ auth

  nonce(): Promise<NonceOut> {
    return this.call("POST", "/auth/siwe/nonce");
  }

  /** EIP-4361: asks a nonce, has the wallet `personal_sign` the message, exchanges it for tokens. */
  async signIn(walletClient: AppWalletClient, address: Address): Promise<Session> {
    // The SIWE helper is fetched alongside the nonce (its own small chunk: only signing in needs it).
    const [info, { createSiweMessage }] = await Promise.all([this.nonce(), import("./siwe")]);
    const account = getAddress(address);
    // EIP-4361: the domain and URI are this page's own (wallets compare them with the page asking to sign); an
    // oracle set up for another site would refuse the signature, so the wallet is not asked at all.
    const host = window.location.host;
    const origin = window.location.origin;
    if (info.domain.toLowerCase() !== host.toLowerCase()) throw new OracleMisconfigured(info.domain, host);
    const message = createSiweMessage({
      address: account,
      chainId: info.chain_id,
      domain: host,
      nonce: info.nonce,
      uri: origin,
      version: "1",
      statement: info.statement,
      issuedAt: new Date(Math.floor(Date.now() / 1000) * 1000),
    });
    const signature = await walletClient.signMessage({ account, message });
    const tokens = await this.call<{ access_token: string; refresh_token: string; expires_in: number }>(
      "POST",
      "/auth/siwe/verify",
      { message, signature },
    );
    const session = this.tokens(account, tokens);
    this.save(session);
    return session;
  }

  /** Exchanges the refresh token for a new pair (the old one stops working). Signs out when refused. */
  refresh(): Promise<Session> {
    const session = this.session;
    if (!session) return Promise.reject(new SignedOut());
    if (!this.refreshing) {
      this.refreshing = this.call<{ access_token: string; refresh_token: string; expires_in: number }>(
        "POST",
        "/auth/refresh",
        { refresh_token: session.refreshToken },
      )
        .then((t) => {
          const next = this.tokens(session.address, t);
          this.save(next);
          return next;
        })
        .catch((e: unknown) => {
          if (e instanceof ApiError) {
            this.save(null);
            throw new SignedOut("Your oracle session ended: sign in again.");
          }
          throw e;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  async signOut(): Promise<void> {
    const session = this.session;
    this.save(null);
    if (session) {
      try {
        await this.call("POST", "/auth/logout", { refresh_token: session.refreshToken });
      } catch {
        /* the local session is gone either way */
      }
    }
  }

  // ------------------------------------------------------------------ KYC

  submitKyc(submission: KycSubmission): Promise<KycStatus> {
    return this.authed("POST", "/kyc/submission", submission);
  }

  kycMe(account?: Address): Promise<KycStatus> {
    return this.authed("GET", "/kyc/me", undefined, account);
  }

  /**
   * A signed KYC attestation for `UserRegistry.submitKycAttestation` (nonce only when the oracle has no chain).
   * `account`: the wallet's address; refused when the session belongs to another one.
   */
  kycAttestation(nonce?: number, account?: Address): Promise<SignedAttestation> {
    return this.authed("POST", "/kyc/me/attestation", nonce === undefined ? {} : { nonce }, account);
  }

  // ------------------------------------------------------------------ credit

  assess(applicant: Applicant, opts: { transactions?: unknown[]; nonce?: number } = {}): Promise<Assessment> {
    const body: Record<string, unknown> = { applicant };
    if (opts.transactions !== undefined) body.transactions = opts.transactions;
    if (opts.nonce !== undefined) body.nonce = opts.nonce;
    return this.authed("POST", "/credit/assessments", body);
  }

  /** The caller's latest assessment, or null when there is none (404). */
  async latestAssessment(): Promise<Assessment | null> {
    try {
      return await this.authed<Assessment>("GET", "/credit/assessments/latest");
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }

  model(): Promise<CreditModel> {
    return this.call("GET", "/credit/model");
  }
}

/**
 * The oracle session of the connected wallet: `session` is null when signed out or when the wallet now shows a
 * different account than the one that signed in.
 */
export function useSession(): {
  session: Session | null;
  signIn: () => Promise<Session>;
  signOut: () => Promise<void>;
} {
  const { oracle } = useApp();
  const wallet = useWallet();
  const stored = useSyncExternalStore(oracle.subscribe, oracle.getSession, oracle.getSession);
  const session = stored && sameAddress(stored.address, wallet.address) ? stored : null;
  const signIn = useCallback(async () => {
    if (!wallet.walletClient || !wallet.address) {
      throw new SignedOut("Connect your wallet on the right network first.");
    }
    return oracle.signIn(wallet.walletClient, wallet.address);
  }, [oracle, wallet.walletClient, wallet.address]);
  const signOut = useCallback(() => oracle.signOut(), [oracle]);
  return { session, signIn, signOut };
}
