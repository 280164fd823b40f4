// "Put my attestations on chain" (the SDK's registry.submit_attestations: one attestation → its own call, both →
// the registry's multicall of the two) and the on-chain profile read back from UserRegistry.
import { useRef, useState } from "react";
import { encodeFunctionData, getAddress, type Address, type Hex } from "viem";
import { UserRegistryAbi } from "../../generated/abi/UserRegistry";
import { GradeBadge } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { useApp } from "../../lib/context";
import { useChainTime } from "../../lib/chain-time";
import { formatAmount, formatDate } from "../../lib/money";
import { useSession } from "../../lib/oracle";
import { useWallet } from "../../lib/wallet";
import type { Assessment, SignedAttestation } from "./CreditAssessment";
import { ErrorNote, Figures, InfoNote, Loading, Section, gradeName, useAsync } from "./shared";

const USER_STATUS = ["none", "pending", "verified", "revoked"] as const;

export type OnChainUser = {
  status: string;
  roles: number;
  kycValidUntil: number;
  grade: number;
  borrowLimit: bigint;
  creditValidUntil: number;
  kycNonce: bigint;
  creditNonce: bigint;
  defaults: number;
  verifiedBorrower: boolean;
  verifiedLender: boolean;
};

/** The user's registry record, as the SDK's `registry.user` reads it (getUser + isVerifiedLender/Borrower). */
export function useRegistryUser(address: Address | undefined) {
  const { publicClient, addresses } = useApp();
  return useAsync<OnChainUser | null>(async () => {
    if (!address) return null;
    const [u, borrower, lender] = await Promise.all([
      publicClient.readContract({ address: addresses.registry, abi: UserRegistryAbi, functionName: "getUser", args: [address] }),
      publicClient.readContract({ address: addresses.registry, abi: UserRegistryAbi, functionName: "isVerifiedBorrower", args: [address] }),
      publicClient.readContract({ address: addresses.registry, abi: UserRegistryAbi, functionName: "isVerifiedLender", args: [address] }),
    ]);
    const v = u as {
      status: number;
      roles: number;
      kycValidUntil: number;
      grade: number;
      borrowLimit: bigint;
      creditValidUntil: number;
      kycNonce: number;
      creditNonce: number;
      defaults: number;
    };
    return {
      status: USER_STATUS[Number(v.status)] ?? String(v.status),
      roles: Number(v.roles),
      kycValidUntil: Number(v.kycValidUntil),
      grade: Number(v.grade),
      borrowLimit: BigInt(v.borrowLimit),
      creditValidUntil: Number(v.creditValidUntil),
      kycNonce: BigInt(v.kycNonce),
      creditNonce: BigInt(v.creditNonce),
      defaults: Number(v.defaults),
      verifiedBorrower: Boolean(borrower),
      verifiedLender: Boolean(lender),
    };
  }, [address, addresses.registry]);
}

const big = (v: string | number | undefined): bigint => {
  if (v === undefined) throw new Error("the attestation is missing a field");
  return BigInt(typeof v === "number" ? Math.trunc(v) : v);
};

function kycTuple(a: SignedAttestation) {
  const m = a.message;
  return {
    user: getAddress(String(m.user)),
    roles: Number(m.roles),
    kycCommitment: String(m.kycCommitment) as Hex,
    validUntil: big(m.validUntil),
    nonce: big(m.nonce),
    deadline: big(m.deadline),
  };
}

function creditTuple(a: SignedAttestation, borrowLimitText?: string) {
  const m = a.message;
  // A JSON number beyond 2^53 has lost digits: the assessment's decimal string is the same limit, exact.
  const limit =
    typeof m.borrowLimit === "number" && !Number.isSafeInteger(m.borrowLimit) && borrowLimitText
      ? BigInt(borrowLimitText)
      : big(m.borrowLimit);
  return {
    user: getAddress(String(m.user)),
    grade: Number(m.grade),
    borrowLimit: limit,
    validUntil: big(m.validUntil),
    nonce: big(m.nonce),
    deadline: big(m.deadline),
  };
}

const roleText = (roles: number) =>
  [roles & 1 ? "borrower" : null, roles & 2 ? "lender" : null].filter(Boolean).join(" and ") || "none";

/**
 * The "On-chain profile" section. `assessment`: the borrower's latest assessment (its credit attestation is
 * offered too); the lender page passes none and submits the KYC attestation only.
 */
export default function OnChainProfile({ assessment, role }: { assessment?: Assessment | null; role: "borrower" | "lender" }) {
  const { addresses, oracle, token } = useApp();
  const { address } = useWallet();
  const { session } = useSession();
  const chainNow = useChainTime();
  const user = useRegistryUser(address);
  const kycCache = useRef<SignedAttestation | null>(null);
  const [includeKyc, setIncludeKyc] = useState<boolean | null>(null);
  const [includeCredit, setIncludeCredit] = useState<boolean | null>(null);
  const [lastSubmitted, setLastSubmitted] = useState<string | null>(null);

  const u = user.data;
  const now = chainNow; // attestation deadlines are checked against the block's time
  const credit = assessment?.attestation ?? null;
  const creditProblem = !credit
    ? assessment?.decision === "declined"
      ? "Your assessment was declined: there is no credit attestation to submit."
      : "Run a credit assessment first to get a signed credit attestation."
    : address && String(credit.message.user).toLowerCase() !== address.toLowerCase()
      ? "The credit attestation is for another address."
      : u && big(credit.message.nonce) !== u.creditNonce
        ? "This credit attestation was already used (or replaced): run a new assessment to refresh your grade."
        : Number(credit.message.deadline) <= now
          ? "This credit attestation expired before it was submitted: run a new assessment."
          : null;
  const creditUsable = role === "borrower" && credit !== null && creditProblem === null;
  const verifiedForRole = u ? (role === "borrower" ? u.verifiedBorrower : u.verifiedLender) : false;
  const wantKyc = includeKyc ?? !verifiedForRole;
  const wantCredit = role === "borrower" && creditUsable && (includeCredit ?? true);

  const kycAttestation = async (): Promise<SignedAttestation> => {
    const cached = kycCache.current;
    if (
      cached &&
      address &&
      String(cached.message.user).toLowerCase() === address.toLowerCase() &&
      Number(cached.message.deadline) > chainNow + 300 && (!u || big(cached.message.nonce) === u.kycNonce)) {
      return cached;
    }
    if (!address) throw new Error("Connect your wallet first.");
    if (!session) throw new Error("Sign in with your wallet (as this account) to get your KYC attestation.");
    const fresh = (await oracle.kycAttestation(undefined, address)) as SignedAttestation;
    // The attestation must be for the account that submits it (the registry would refuse another user's).
    if (String(fresh.message.user).toLowerCase() !== address.toLowerCase()) {
      throw new Error("The KYC attestation is for another address: sign in again with the account your wallet shows.");
    }
    kycCache.current = fresh;
    return fresh;
  };

  const request = async () => {
    if (!wantKyc && !wantCredit) return null;
    const calls: { fn: "submitKycAttestation" | "submitCreditAttestation"; args: readonly unknown[] }[] = [];
    if (wantKyc) {
      const k = await kycAttestation();
      calls.push({ fn: "submitKycAttestation", args: [kycTuple(k), getAddress(k.signer), k.signature as Hex] });
    }
    if (wantCredit && credit) {
      calls.push({
        fn: "submitCreditAttestation",
        args: [creditTuple(credit, assessment?.borrow_limit), getAddress(credit.signer), credit.signature as Hex],
      });
    }
    const only = calls.length === 1 ? calls[0] : undefined;
    if (only) {
      return { address: addresses.registry, abi: UserRegistryAbi, functionName: only.fn, args: only.args };
    }
    const data = calls.map((c) =>
      encodeFunctionData({ abi: UserRegistryAbi, functionName: c.fn, args: c.args } as never),
    );
    return { address: addresses.registry, abi: UserRegistryAbi, functionName: "multicall", args: [data] };
  };

  return (
    <Section title="On-chain profile" id="profile">
      {!address ? <p className="text-sm text-slate-600">Connect your wallet to see your on-chain profile.</p> : null}
      {user.loading && !u ? <Loading what="your on-chain profile" /> : null}
      <ErrorNote error={user.error} />
      {u ? (
        <div data-testid="onchain-profile" data-status={u.status} data-grade={gradeName(u.grade) ?? ""}>
          <Figures
            rows={[
              ["Registry status", <span data-testid="profile-status">{u.status}</span>],
              ["Roles", roleText(u.roles)],
              ["Verified borrower", <span data-testid="profile-verified-borrower">{u.verifiedBorrower ? "Yes" : "No"}</span>],
              ["Verified lender", <span data-testid="profile-verified-lender">{u.verifiedLender ? "Yes" : "No"}</span>],
              ["KYC valid until", formatDate(u.kycValidUntil)],
              [
                "Grade",
                <span data-testid="profile-grade">{gradeName(u.grade) ? <GradeBadge grade={gradeName(u.grade) as string} /> : "none"}</span>,
              ],
              ["Borrow limit", <span data-testid="profile-limit">{formatAmount(u.borrowLimit, token.decimals, token.symbol)}</span>],
              ["Credit valid until", formatDate(u.creditValidUntil)],
              ["Defaults on record", String(u.defaults)],
            ]}
          />
        </div>
      ) : null}
      {address ? (
        <div className="space-y-3 border-t border-slate-100 pt-4">
          <h3 className="text-sm font-semibold text-slate-800">Put my attestations on chain</h3>
          <p className="text-sm text-slate-600">
            The oracle signs statements about your identity check{role === "borrower" ? " and your credit grade" : ""}; you
            submit them to the user registry yourself, so the contracts know you are verified.
          </p>
          <div className="flex flex-col gap-2 text-sm">
            <label htmlFor="attest-kyc" className="flex items-center gap-2">
              <input id="attest-kyc" type="checkbox" checked={wantKyc} onChange={(e) => setIncludeKyc(e.target.checked)} />
              Include my KYC attestation {verifiedForRole ? "(you are already verified; this renews it)" : ""}
            </label>
            {role === "borrower" ? (
              <label htmlFor="attest-credit" className="flex items-center gap-2">
                <input
                  id="attest-credit"
                  type="checkbox"
                  checked={wantCredit}
                  disabled={!creditUsable}
                  onChange={(e) => setIncludeCredit(e.target.checked)}
                />
                Include my credit attestation{credit && creditUsable ? ` (grade ${credit.message.grade ? gradeName(Number(credit.message.grade)) : "?"})` : ""}
              </label>
            ) : null}
            {role === "borrower" && creditProblem ? <InfoNote tone="warn">{creditProblem}</InfoNote> : null}
          </div>
          <WriteAction
            label="Put my attestations on chain"
            describe={() => (
              <div className="space-y-1 text-sm">
                <p>
                  Submits {[wantKyc ? "your KYC attestation" : null, wantCredit ? "your credit attestation" : null].filter(Boolean).join(" and ") || "nothing"} to
                  the user registry{wantKyc && wantCredit ? " in one transaction" : ""}.
                </p>
                {wantKyc && kycCache.current ? (
                  <p>
                    KYC: roles {roleText(Number(kycCache.current.message.roles))}, valid until{" "}
                    {formatDate(Number(kycCache.current.message.validUntil))}.
                  </p>
                ) : null}
                {wantCredit && credit ? (
                  <p>
                    Credit: grade {gradeName(Number(credit.message.grade))}, limit{" "}
                    {formatAmount(creditTuple(credit, assessment?.borrow_limit).borrowLimit, token.decimals, token.symbol)}, valid until{" "}
                    {formatDate(Number(credit.message.validUntil))}.
                  </p>
                ) : null}
                <p className="text-slate-500">No fee: you pay only the gas.</p>
              </div>
            )}
            request={request}
            onDone={() => {
              kycCache.current = null;
              setIncludeKyc(null);
              setIncludeCredit(null);
              setLastSubmitted(new Date().toISOString());
              user.reload();
            }}
          />
          {lastSubmitted ? <p className="text-xs text-slate-500">Profile re-read after your last submission.</p> : null}
        </div>
      ) : null}
    </Section>
  );
}
