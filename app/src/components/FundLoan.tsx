// "Fund this loan": the SDK's `LoansAPI.fund` — approve the loan for the amount when the allowance is short
// (`TokenAPI.ensure_allowance`), then `Loan.fundLoan(amount)`; the notes (1 per token unit) come to the wallet.
import { useEffect, useState } from "react";
import type { Address, TransactionReceipt } from "viem";
import { LoanAbi } from "../generated/abi/Loan";
import { UserRegistryAbi } from "../generated/abi/UserRegistry";
import { useApp } from "../lib/context";
import { useChainTime } from "../lib/chain-time";
import { formatAmount, parseAmount, toBigInt, toPlainAmount, AmountError } from "../lib/money";
import { useWallet } from "../lib/wallet";
import WriteAction from "./WriteAction";
import { Banner, Field } from "./ui";

export type FundableLoan = {
  loan_id: number;
  address: string;
  status: string;
  goal: string;
  funded: string;
  funding_deadline: number;
};

export default function FundLoan({ loan, onDone }: { loan: FundableLoan; onDone?: (r: TransactionReceipt) => void }) {
  const { publicClient, token, addresses } = useApp();
  const wallet = useWallet();
  const chainNow = useChainTime();
  const [text, setText] = useState("");
  const [minNote, setMinNote] = useState<bigint | undefined>(undefined);
  const [verified, setVerified] = useState<boolean | undefined>(undefined);
  const loanAddress = loan.address as Address;
  const remaining = toBigInt(loan.goal) - toBigInt(loan.funded);
  const fmt = (raw: bigint) => formatAmount(raw, token.decimals, token.symbol);

  useEffect(() => {
    let live = true;
    publicClient
      .readContract({ address: loanAddress, abi: LoanAbi, functionName: "config" })
      .then((c) => live && setMinNote(c.minNote))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [publicClient, loanAddress]);

  useEffect(() => {
    let live = true;
    if (!wallet.address) {
      setVerified(undefined);
      return;
    }
    publicClient
      .readContract({ address: addresses.registry, abi: UserRegistryAbi, functionName: "isVerifiedLender", args: [wallet.address] })
      .then((v) => live && setVerified(v))
      .catch(() => live && setVerified(undefined));
    return () => {
      live = false;
    };
  }, [publicClient, addresses.registry, wallet.address]);

  let amount: bigint | undefined;
  let inputError: string | undefined;
  if (text.trim() !== "") {
    try {
      amount = parseAmount(text, token.decimals);
      if (amount > remaining) inputError = `The loan needs only ${fmt(remaining)} more.`;
      else if (minNote && amount % minNote !== 0n) inputError = `Fund in multiples of the minimum note, ${fmt(minNote)}.`;
    } catch (e) {
      inputError = e instanceof AmountError ? e.message : String(e);
    }
  }

  const open = loan.status === "funding" && loan.funding_deadline > chainNow;
  if (!open) {
    return <p className="text-sm text-slate-600">This loan is not open for funding.</p>;
  }

  return (
    <div className="space-y-3">
      {verified === false && (
        <Banner tone="warn">
          Your account is not a verified lender yet: complete KYC as a lender (Sign in → KYC) before funding.
        </Banner>
      )}
      <Field
        id={`fund-amount-${loan.loan_id}`}
        label={`Amount to fund (${token.symbol})`}
        inputMode="decimal"
        autoComplete="off"
        placeholder={minNote ? toPlainAmount(minNote * 100n > remaining ? remaining : minNote * 100n, token.decimals) : "100"}
        value={text}
        onChange={(e) => setText(e.target.value)}
        hint={`Still needed: ${fmt(remaining)}${minNote ? ` · minimum note ${fmt(minNote)}` : ""}`}
        error={inputError}
      />
      <WriteAction
        label="Fund this loan"
        disabled={amount === undefined || inputError !== undefined}
        describe={() => (
          <p>
            You fund <strong>{amount !== undefined ? fmt(amount) : "—"}</strong> of loan #{loan.loan_id} and receive as many
            notes (1 note = 1 token unit of principal). Repayments reach you pro rata; claim them from your portfolio.
            {amount !== undefined && ` The loan will still need ${fmt(remaining - amount)}.`}
          </p>
        )}
        approval={amount !== undefined ? { token: token.address, spender: loanAddress, amount } : null}
        request={() => {
          const value = parseAmount(text, token.decimals);
          return { address: loanAddress, abi: LoanAbi, functionName: "fundLoan", args: [value] };
        }}
        onDone={(r) => {
          setText("");
          onDone?.(r);
        }}
      />
    </div>
  );
}

export { FundLoan };
