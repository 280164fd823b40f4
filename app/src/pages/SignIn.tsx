// `#/sign-in`: connect the wallet, then Sign-In with Ethereum to the oracle (EIP-4361, personal_sign); shows the
// signed-in address, the KYC status and roles at the oracle and on chain; sign out.
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { Banner, Button, Card, Mono, PageTitle, Stat } from "../components/ui";
import { UserRegistryAbi } from "../generated/abi/UserRegistry";
import { useApp } from "../lib/context";
import { ApiError } from "../lib/index-api";
import { OracleMisconfigured, OracleUnavailable, SignedOut, useSession, type KycStatus } from "../lib/oracle";
import { decodeRevert } from "../lib/errors";
import { useWallet } from "../lib/wallet";

const KYC_TEXT: Record<string, string> = {
  none: "not submitted",
  pending: "pending review",
  approved: "approved",
  rejected: "rejected",
  revoked: "revoked",
  erased: "erased",
};

export default function SignIn() {
  const { oracle, publicClient, addresses, config } = useApp();
  const wallet = useWallet();
  const { session, signIn, signOut } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [kyc, setKyc] = useState<KycStatus | null>(null);
  const [kycError, setKycError] = useState<string | null>(null);
  const [onChain, setOnChain] = useState<{ borrower: boolean; lender: boolean } | null>(null);

  useEffect(() => {
    setKyc(null);
    setKycError(null);
    if (!session) return;
    let live = true;
    oracle
      .kycMe()
      .then((k) => live && setKyc(k))
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setKyc(null);
        else setKycError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      live = false;
    };
  }, [oracle, session]);

  useEffect(() => {
    setOnChain(null);
    if (!wallet.address) return;
    let live = true;
    const who = wallet.address;
    Promise.all([
      publicClient.readContract({ address: addresses.registry, abi: UserRegistryAbi, functionName: "isVerifiedBorrower", args: [who] }),
      publicClient.readContract({ address: addresses.registry, abi: UserRegistryAbi, functionName: "isVerifiedLender", args: [who] }),
    ])
      .then(([borrower, lender]) => live && setOnChain({ borrower, lender }))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [publicClient, addresses.registry, wallet.address]);

  const doSignIn = async () => {
    setBusy(true);
    setError(null);
    try {
      await signIn();
    } catch (e) {
      if (e instanceof OracleUnavailable || e instanceof SignedOut || e instanceof OracleMisconfigured) setError(e.message);
      else if (e instanceof ApiError) setError(`The oracle refused the sign-in: ${e.message}`);
      else setError(decodeRevert(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="mx-auto max-w-2xl space-y-6">
      <PageTitle sub="Signing in proves to the KYC and credit oracle that you control this wallet. It costs nothing and sends no transaction.">
        Sign in
      </PageTitle>

      <Card title="1. Connect your wallet">
        {wallet.status === "missing" && (
          <Banner tone="warn" testId="no-wallet">
            No wallet found in this browser. Install a wallet such as MetaMask, then reload this page.
          </Banner>
        )}
        {wallet.status === "disconnected" && <Button onClick={() => void wallet.connect()}>Connect wallet</Button>}
        {wallet.status === "wrong-network" && (
          <Banner tone="warn" action={<Button variant="secondary" onClick={() => void wallet.switchNetwork()}>Switch network</Button>}>
            Your wallet is on chain {wallet.chainId}; switch to {config.chainName} (chain {config.chainId}).
          </Banner>
        )}
        {wallet.status === "ready" && (
          <p className="text-sm text-slate-700">
            Connected as <Mono>{wallet.address}</Mono>
            {wallet.walletName ? ` (${wallet.walletName})` : ""}.
          </p>
        )}
      </Card>

      <Card title="2. Sign in with Ethereum">
        {session ? (
          <div className="space-y-4" data-testid="signed-in">
            <p className="text-sm text-slate-700">
              Signed in as <Mono>{session.address}</Mono>.
            </p>
            <div className="grid grid-cols-2 gap-5 sm:grid-cols-3">
              <Stat label="KYC at the oracle" testId="kyc-status" value={kyc ? (KYC_TEXT[kyc.kyc_status] ?? kyc.kyc_status) : kycError ? "unknown" : "not submitted"} />
              <Stat label="Roles applied for" testId="kyc-roles" value={kyc && kyc.roles.length ? kyc.roles.join(", ") : "—"} />
              <Stat
                label="Verified on chain"
                testId="chain-roles"
                value={onChain ? [onChain.borrower && "borrower", onChain.lender && "lender"].filter(Boolean).join(", ") || "no" : "—"}
              />
            </div>
            {kycError && <Banner tone="error">{kycError}</Banner>}
            <div className="flex flex-wrap gap-2">
              <Link to="/borrower" className="rounded-lg bg-teal-700 px-4 py-2 text-sm font-medium text-white hover:bg-teal-800">
                Borrow
              </Link>
              <Link to="/lender" className="rounded-lg bg-teal-700 px-4 py-2 text-sm font-medium text-white hover:bg-teal-800">
                Lend
              </Link>
              <Button variant="secondary" onClick={() => void signOut()}>
                Sign out
              </Button>
            </div>
          </div>
        ) : (
          <div className="space-y-3">
            <p className="text-sm text-slate-600">
              Your wallet will ask you to sign a sign-in message for {window.location.host}, checked by the oracle at{" "}
              {oracle.baseUrl}. Signing it does not send a transaction.
            </p>
            <Button onClick={() => void doSignIn()} disabled={wallet.status !== "ready" || busy}>
              {busy ? "Waiting for your signature…" : "Sign in with Ethereum"}
            </Button>
            {wallet.status !== "ready" && <p className="text-xs text-slate-500">Connect your wallet on {config.chainName} first.</p>}
          </div>
        )}
        {error && (
          <Banner tone="error" testId="sign-in-error" className="mt-4">
            {error}
          </Banner>
        )}
      </Card>
    </div>
  );
}
