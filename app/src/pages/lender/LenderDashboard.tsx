// `#/lender`: the lender's dashboard: KYC as a lender and its attestation on chain, pool cash, auto-invest, funding
// loans, claims, the portfolio and the note market.
import { useCallback, useState } from "react";
import { PageTitle } from "../../components/ui";
import { useApp } from "../../lib/context";
import { useWallet } from "../../lib/wallet";
import { WalletGate } from "../borrower/BorrowerDashboard";
import KycForm from "../borrower/KycForm";
import OnChainProfile from "../borrower/OnChainProfile";
import { useAsync } from "../borrower/shared";
import AutoInvest from "./AutoInvest";
import Claims from "./Claims";
import FundLoan from "./FundLoan";
import NoteMarket from "./NoteMarket";
import PoolCash from "./PoolCash";
import Portfolio from "./Portfolio";

export default function LenderDashboard() {
  const { index } = useApp();
  const { address } = useWallet();
  // Bumped after every write: balances, claims, the portfolio and the listings are read again.
  const [refreshKey, setRefreshKey] = useState(0);
  const changed = useCallback(() => setRefreshKey((k) => k + 1), []);
  const portfolio = useAsync(async () => (address ? index.portfolio(address) : null), [address, refreshKey]);

  return (
    <div className="space-y-6">
      <PageTitle sub="Verify as a lender, deposit cash, invest in loans by hand or automatically, and track your returns.">
        Lender dashboard
      </PageTitle>
      <WalletGate what="lender dashboard" />
      <KycForm defaultRoles={["lender"]} />
      <OnChainProfile role="lender" />
      <PoolCash refreshKey={refreshKey} onChanged={changed} />
      <AutoInvest refreshKey={refreshKey} />
      <FundLoan refreshKey={refreshKey} onChanged={changed} />
      <Claims portfolio={portfolio} refreshKey={refreshKey} onChanged={changed} />
      <Portfolio portfolio={portfolio} />
      <NoteMarket portfolio={portfolio} refreshKey={refreshKey} onChanged={changed} />
    </div>
  );
}
