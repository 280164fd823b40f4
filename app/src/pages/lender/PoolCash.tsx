// "Pool cash": the lender's idle cash in the LendingPool (`lenderBalances`, as the SDK's pool.balance reads it),
// Deposit (approve the pool, then `deposit(amount)`) and Withdraw (`withdraw(amount)`).
import { useState } from "react";
import { IERC20MetadataAbi } from "../../generated/abi/IERC20Metadata";
import { LendingPoolAbi } from "../../generated/abi/LendingPool";
import { Stat } from "../../components/ui";
import WriteAction from "../../components/WriteAction";
import { useApp } from "../../lib/context";
import { formatAmount, parseAmount } from "../../lib/money";
import { useWallet } from "../../lib/wallet";
import { ErrorNote, LabeledInput, Section, tryParse, useAsync } from "../borrower/shared";

export function usePoolBalances(refreshKey: unknown) {
  const { publicClient, addresses, token } = useApp();
  const { address } = useWallet();
  return useAsync(async () => {
    if (!address) return null;
    const [cash, wallet] = await Promise.all([
      publicClient.readContract({ address: addresses.pool, abi: LendingPoolAbi, functionName: "lenderBalances", args: [address] }),
      publicClient.readContract({ address: token.address, abi: IERC20MetadataAbi, functionName: "balanceOf", args: [address] }),
    ]);
    return { cash: BigInt(cash as bigint), wallet: BigInt(wallet as bigint) };
  }, [address, refreshKey]);
}

export default function PoolCash({ refreshKey, onChanged }: { refreshKey: unknown; onChanged: () => void }) {
  const { addresses, token } = useApp();
  const { address } = useWallet();
  const balances = usePoolBalances(refreshKey);
  const [depositText, setDepositText] = useState("");
  const [withdrawText, setWithdrawText] = useState("");
  const deposit = tryParse(() => parseAmount(depositText, token.decimals));
  const withdraw = tryParse(() => parseAmount(withdrawText, token.decimals));
  const fmt = (v: bigint) => formatAmount(v, token.decimals, token.symbol);
  const b = balances.data;
  const depositProblem =
    deposit.error ?? (b && deposit.value !== undefined && deposit.value > b.wallet ? `Your wallet holds only ${fmt(b.wallet)}.` : null);
  const withdrawProblem =
    withdraw.error ??
    (b && withdraw.value !== undefined && withdraw.value > b.cash ? `Amount exceeds your pool cash (${fmt(b.cash)}).` : null);

  return (
    <Section title="Pool cash" id="pool-cash">
      {!address ? <p className="text-sm text-slate-600">Connect your wallet to see your pool cash.</p> : null}
      <ErrorNote error={balances.error} />
      {b ? (
        <div className="grid grid-cols-2 gap-4">
          <Stat label="Cash in the pool" value={fmt(b.cash)} testId="pool-cash-balance" hint="Idle, ready to invest" />
          <Stat label="In your wallet" value={fmt(b.wallet)} testId="wallet-token-balance" />
        </div>
      ) : null}
      <div className="grid grid-cols-1 gap-6 md:grid-cols-2">
        <div className="space-y-2">
          <LabeledInput
            id="pool-deposit-amount"
            label={`Deposit amount (${token.symbol})`}
            inputMode="decimal"
            placeholder="500"
            value={depositText}
            onChange={(e) => setDepositText(e.target.value)}
            error={depositText ? depositProblem : null}
          />
          <WriteAction
            label="Deposit"
            describe={() => (
              <p className="text-sm">
                Moves <strong>{deposit.value !== undefined ? fmt(deposit.value) : "—"}</strong> from your wallet into your
                pool account, where it can fund loans (by hand or by auto-invest). No fee.
              </p>
            )}
            approval={deposit.value !== undefined ? { token: token.address, spender: addresses.pool, amount: deposit.value } : undefined}
            request={async () =>
              deposit.value === undefined
                ? null
                : { address: addresses.pool, abi: LendingPoolAbi, functionName: "deposit", args: [deposit.value] }
            }
            onDone={() => {
              setDepositText("");
              onChanged();
            }}
          />
        </div>
        <div className="space-y-2">
          <LabeledInput
            id="pool-withdraw-amount"
            label={`Withdraw amount (${token.symbol})`}
            inputMode="decimal"
            placeholder="100"
            value={withdrawText}
            onChange={(e) => setWithdrawText(e.target.value)}
            error={withdrawText ? withdrawProblem : null}
          />
          <WriteAction
            label="Withdraw"
            describe={() => (
              <p className="text-sm">
                Moves <strong>{withdraw.value !== undefined ? fmt(withdraw.value) : "—"}</strong> of idle cash from the
                pool back to your wallet. No fee; works even while the market is paused.
              </p>
            )}
            request={async () =>
              withdraw.value === undefined
                ? null
                : { address: addresses.pool, abi: LendingPoolAbi, functionName: "withdraw", args: [withdraw.value] }
            }
            onDone={() => {
              setWithdrawText("");
              onChanged();
            }}
          />
        </div>
      </div>
    </Section>
  );
}
