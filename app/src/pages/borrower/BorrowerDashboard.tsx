// `#/borrower`: the borrower's dashboard, in the order a new borrower goes: sign in, KYC, credit assessment,
// attestations on chain, apply for a loan, then the loans themselves.
import { useState } from "react";
import { Link } from "react-router";
import { PageTitle } from "../../components/ui";
import { useSession } from "../../lib/oracle";
import { useWallet } from "../../lib/wallet";
import ApplyLoan from "./ApplyLoan";
import CreditAssessment, { storedAssessment, type Assessment } from "./CreditAssessment";
import KycForm from "./KycForm";
import MyLoans from "./MyLoans";
import OnChainProfile from "./OnChainProfile";
import { InfoNote } from "./shared";

/** What to do before a dashboard can work: connect the wallet, be on the right network, sign in. */
export function WalletGate({ what }: { what: string }) {
  const wallet = useWallet();
  const { session } = useSession();
  if (wallet.status === "missing") {
    return (
      <InfoNote tone="warn">
        No wallet found: install a browser wallet such as MetaMask to use your {what}, then reload this page.
      </InfoNote>
    );
  }
  if (wallet.status === "disconnected") {
    return (
      <InfoNote tone="warn">
        <span className="mr-2">Connect your wallet to use your {what}.</span>
        <button type="button" className="font-medium underline" onClick={() => void wallet.connect()}>
          Connect wallet
        </button>
      </InfoNote>
    );
  }
  if (wallet.status === "wrong-network") {
    return (
      <InfoNote tone="warn">
        <span className="mr-2">Your wallet is on another network.</span>
        <button type="button" className="font-medium underline" onClick={() => void wallet.switchNetwork()}>
          Switch network
        </button>
      </InfoNote>
    );
  }
  if (!session) {
    return (
      <div data-testid="signed-out">
        <InfoNote tone="warn">
          You are signed out. <Link to="/sign-in" className="font-medium underline">Sign in with your wallet</Link> to
          submit your KYC and credit checks.
        </InfoNote>
      </div>
    );
  }
  return null;
}

export default function BorrowerDashboard() {
  const { address } = useWallet();
  const [assessment, setAssessment] = useState<{ of: string | undefined; value: Assessment | null }>(() => ({
    of: address,
    value: storedAssessment(address),
  }));
  const [loansKey, setLoansKey] = useState(0);
  // The stored assessment follows the connected account.
  const current = assessment.of === address ? assessment.value : storedAssessment(address);

  return (
    <div className="space-y-6">
      <PageTitle sub="Verify your identity, get your credit grade, apply for a loan and manage your repayments.">
        Borrower dashboard
      </PageTitle>
      <WalletGate what="borrower dashboard" />
      <KycForm defaultRoles={["borrower"]} />
      <CreditAssessment assessment={current} onAssessed={(a) => setAssessment({ of: address, value: a })} />
      <OnChainProfile role="borrower" assessment={current} />
      <ApplyLoan onApplied={() => setLoansKey((k) => k + 1)} />
      <MyLoans refreshKey={loansKey} />
    </div>
  );
}
