import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult, type Address } from "viem";
import { LoanAbi } from "../generated/abi";
import { AppContext, type AppValue } from "../lib/context";
import { WalletContext, type WalletValue } from "../lib/wallet";
import WriteAction from "./WriteAction";

const ME = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
const LOAN = "0x8464135c8F25Da09e49BC8782676a84730C318bC" as Address;
const TOKEN = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9" as Address;

function setup(
  client: Record<string, unknown>,
  walletClient: Record<string, unknown> = {},
  approval: { token: Address; spender: Address; amount: bigint; required?: bigint } = { token: TOKEN, spender: LOAN, amount: 100_000_000n },
) {
  const app = {
    config: { chainId: 31337, chainName: "Anvil (local)", nativeSymbol: "ETH", rpcUrl: "http://x", indexUrl: "/index", oracleUrl: "http://o", deploymentUrl: "./d.json", explorerUrl: null },
    chain: { id: 31337 },
    token: { address: TOKEN, decimals: 6, symbol: "USDC" },
    publicClient: client,
    index: { waitForBlock: vi.fn(async () => true) },
  } as unknown as AppValue;
  const wallet = {
    status: "ready",
    address: ME,
    chainId: 31337,
    connect: vi.fn(),
    switchNetwork: vi.fn(),
    walletClient,
  } as unknown as WalletValue;
  const onDone = vi.fn();
  const waitForBlock = (app as unknown as { index: { waitForBlock: ReturnType<typeof vi.fn> } }).index.waitForBlock;
  render(
    <AppContext.Provider value={app}>
      <WalletContext.Provider value={wallet}>
        <WriteAction
          label="Fund this loan"
          describe={() => <p>You fund 100.00 USDC of loan #7.</p>}
          approval={approval}
          request={() => ({ address: LOAN, abi: LoanAbi, functionName: "fundLoan", args: [100_000_000n] })}
          onDone={onDone}
        />
      </WalletContext.Provider>
    </AppContext.Provider>,
  );
  return { onDone, waitForBlock };
}

/** A form whose field stays editable while the preview is open. */
function DepositForm() {
  const [text, setText] = useState("5000");
  const units = BigInt(text || "0") * 1_000_000n;
  return (
    <>
      <label htmlFor="dep">Amount</label>
      <input id="dep" value={text} onChange={(e) => setText(e.target.value)} />
      <WriteAction
        label="Deposit"
        describe={() => <p>You deposit {text} USDC.</p>}
        fee={units / 100n}
        approval={{ token: TOKEN, spender: LOAN, amount: units }}
        request={() => ({ address: LOAN, abi: LoanAbi, functionName: "fundLoan", args: [units] })}
      />
    </>
  );
}

const reads = (allowance: bigint, balance: bigint) =>
  vi.fn(async ({ functionName }: { functionName: string }) => (functionName === "allowance" ? allowance : balance));

describe("WriteAction", () => {
  it("shows the preview with gas, then the pending hash, then the result", async () => {
    const writeContract = vi.fn(async () => "0x" + "ab".repeat(32));
    const client = {
      readContract: reads(10n ** 12n, 10n ** 12n),
      simulateContract: vi.fn(async () => ({ request: {} })),
      estimateContractGas: vi.fn(async () => 84_000n),
      getGasPrice: vi.fn(async () => 2_000_000_000n),
      waitForTransactionReceipt: vi.fn(async () => ({
        status: "success",
        blockNumber: 42n,
        gasUsed: 80_123n,
        effectiveGasPrice: 2_000_000_000n,
        transactionHash: "0x" + "ab".repeat(32),
      })),
    };
    const { onDone, waitForBlock } = setup(client, { writeContract });
    fireEvent.click(screen.getByRole("button", { name: "Fund this loan" }));
    const preview = await screen.findByTestId("tx-preview");
    expect(preview.textContent).toContain("You fund 100.00 USDC of loan #7.");
    expect(preview.textContent).toContain("84,000 gas ≈ 0.000168 ETH");
    expect(client.simulateContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "fundLoan", account: ME }));
    await act(async () => fireEvent.click(screen.getByTestId("tx-confirm")));
    await waitFor(() => expect(screen.getByTestId("tx-result").textContent).toContain("Confirmed in block 42"));
    expect(screen.getByTestId("tx-result").textContent).toContain("Gas used 80,123");
    expect(writeContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "fundLoan", args: [100_000_000n] }));
    // the page re-reads the index after the index has reached the transaction's block
    await waitFor(() => expect(onDone).toHaveBeenCalledOnce());
    expect(waitForBlock).toHaveBeenCalledWith(42n);
  });

  it("offers the approve step first when the allowance is short", async () => {
    const client = {
      readContract: reads(0n, 500_000_000n),
      simulateContract: vi.fn(async () => ({ request: {} })),
      estimateContractGas: vi.fn(async () => 46_000n),
      getGasPrice: vi.fn(async () => 1_000_000_000n),
    };
    setup(client);
    fireEvent.click(screen.getByRole("button", { name: "Fund this loan" }));
    const preview = await screen.findByTestId("tx-preview");
    expect(preview.textContent).toContain("Approval needed first.");
    expect(screen.getByTestId("tx-confirm").textContent).toBe("Approve 100.00 USDC");
    expect(client.simulateContract).toHaveBeenCalledWith(
      expect.objectContaining({ address: TOKEN, functionName: "approve", args: [LOAN, 100_000_000n] }),
    );
  });

  it("asks no new approval when the allowance covers what is required, though less than the margin", async () => {
    const client = {
      readContract: reads(100_000_000n, 500_000_000n),
      simulateContract: vi.fn(async () => ({ request: {} })),
      estimateContractGas: vi.fn(async () => 46_000n),
      getGasPrice: vi.fn(async () => 1_000_000_000n),
    };
    setup(client, {}, { token: TOKEN, spender: LOAN, amount: 100_010_000n, required: 100_000_000n });
    fireEvent.click(screen.getByRole("button", { name: "Fund this loan" }));
    const preview = await screen.findByTestId("tx-preview");
    expect(preview.textContent).not.toContain("Approval needed first.");
    expect(screen.getByTestId("tx-confirm").textContent).toBe("Confirm: Fund this loan");
  });

  it("approves the amount with its margin when the allowance is below what is required", async () => {
    const client = {
      readContract: reads(99_999_999n, 500_000_000n),
      simulateContract: vi.fn(async () => ({ request: {} })),
      estimateContractGas: vi.fn(async () => 46_000n),
      getGasPrice: vi.fn(async () => 1_000_000_000n),
    };
    setup(client, {}, { token: TOKEN, spender: LOAN, amount: 100_010_000n, required: 100_000_000n });
    fireEvent.click(screen.getByRole("button", { name: "Fund this loan" }));
    await screen.findByTestId("tx-preview");
    expect(screen.getByTestId("tx-confirm").textContent).toBe("Approve 100.01 USDC");
  });

  it("shows the contract's error in words when the simulation reverts, and no confirm button", async () => {
    const data = encodeErrorResult({ abi: LoanAbi, errorName: "LoanFundingClosed", args: [1_767_225_600n, 1_767_312_000n] });
    const revert = new ContractFunctionExecutionError(
      new ContractFunctionRevertedError({ abi: LoanAbi, data, functionName: "fundLoan" }),
      { abi: LoanAbi, functionName: "fundLoan", args: [100_000_000n], contractAddress: LOAN },
    );
    const client = {
      readContract: reads(10n ** 12n, 10n ** 12n),
      simulateContract: vi.fn(async () => {
        throw revert;
      }),
      estimateContractGas: vi.fn(),
      getGasPrice: vi.fn(),
    };
    setup(client);
    fireEvent.click(screen.getByRole("button", { name: "Fund this loan" }));
    const error = await screen.findByTestId("tx-error");
    expect(error.textContent).toBe("Too late: the loan's funding period ended on 2026-01-01 00:00 UTC (it is now 2026-01-02 00:00 UTC). No funding is taken after that, and partial funding can only be accepted within the acceptance window that follows it.");
    expect(screen.queryByTestId("tx-confirm")).toBeNull();
    expect(error.textContent).not.toMatch(/0x[0-9a-f]{8}/);
  });

  it("says so when the wallet rejects", async () => {
    const client = {
      readContract: reads(10n ** 12n, 10n ** 12n),
      simulateContract: vi.fn(async () => ({ request: {} })),
      estimateContractGas: vi.fn(async () => 84_000n),
      getGasPrice: vi.fn(async () => 1n),
    };
    setup(client, { writeContract: vi.fn(async () => Promise.reject({ code: 4001, message: "User rejected" })) });
    fireEvent.click(screen.getByRole("button", { name: "Fund this loan" }));
    await screen.findByTestId("tx-preview");
    await act(async () => fireEvent.click(screen.getByTestId("tx-confirm")));
    expect((await screen.findByTestId("tx-error")).textContent).toBe("You rejected the request in your wallet.");
  });

  it("does not send a call the preview no longer shows when the form changed, and rebuilds the preview", async () => {
    const writeContract = vi.fn(async () => "0x" + "cd".repeat(32));
    const client = {
      readContract: reads(10n ** 15n, 10n ** 15n),
      simulateContract: vi.fn(async () => ({ request: {} })),
      estimateContractGas: vi.fn(async () => 84_000n),
      getGasPrice: vi.fn(async () => 1n),
      waitForTransactionReceipt: vi.fn(async () => ({ status: "success", blockNumber: 9n, gasUsed: 1n, transactionHash: "0x" + "cd".repeat(32) })),
    };
    const app = {
      config: { chainId: 31337, chainName: "Anvil (local)", nativeSymbol: "ETH" },
      chain: { id: 31337 },
      token: { address: TOKEN, decimals: 6, symbol: "USDC" },
      publicClient: client,
      index: { waitForBlock: vi.fn(async () => true) },
    } as unknown as AppValue;
    const wallet = { status: "ready", address: ME, chainId: 31337, connect: vi.fn(), switchNetwork: vi.fn(), walletClient: { writeContract } } as unknown as WalletValue;
    render(
      <AppContext.Provider value={app}>
        <WalletContext.Provider value={wallet}>
          <DepositForm />
        </WalletContext.Provider>
      </AppContext.Provider>,
    );
    fireEvent.click(screen.getByRole("button", { name: "Deposit" }));
    expect((await screen.findByTestId("tx-preview")).textContent).toContain("You deposit 5000 USDC.");
    // the preview is a snapshot: editing the field does not rewrite what it says
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "50" } });
    expect(screen.getByTestId("tx-preview").textContent).toContain("You deposit 5000 USDC.");
    expect(screen.getByTestId("tx-preview").textContent).toContain("50.00 USDC"); // the fee of 5,000, not of 50
    await act(async () => fireEvent.click(screen.getByTestId("tx-confirm")));
    expect(writeContract).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.getByText("The form changed since the preview; check it again.")).toBeTruthy());
    await waitFor(() => expect(screen.getByTestId("tx-preview").textContent).toContain("You deposit 50 USDC."));
    expect(screen.getByTestId("tx-preview").textContent).toContain("0.50 USDC");
    await act(async () => fireEvent.click(screen.getByTestId("tx-confirm")));
    await waitFor(() => expect(writeContract).toHaveBeenCalledOnce());
    expect(writeContract).toHaveBeenCalledWith(expect.objectContaining({ functionName: "fundLoan", args: [50_000_000n] }));
  });

  it("names the approved token when it is not the stablecoin (a loan's notes)", async () => {
    const app = {
      config: { chainId: 31337, chainName: "Anvil (local)", nativeSymbol: "ETH" },
      chain: { id: 31337 },
      token: { address: TOKEN, decimals: 6, symbol: "USDC" },
      publicClient: {
        readContract: reads(0n, 10n ** 12n),
        simulateContract: vi.fn(async () => ({ request: {} })),
        estimateContractGas: vi.fn(async () => 46_000n),
        getGasPrice: vi.fn(async () => 1n),
      },
      index: { waitForBlock: vi.fn(async () => true) },
    } as unknown as AppValue;
    const wallet = { status: "ready", address: ME, chainId: 31337, connect: vi.fn(), switchNetwork: vi.fn(), walletClient: {} } as unknown as WalletValue;
    render(
      <AppContext.Provider value={app}>
        <WalletContext.Provider value={wallet}>
          <WriteAction
            label="Sell"
            approval={{ token: LOAN, spender: TOKEN, amount: 3_000_000n, symbol: "notes", decimals: 6, what: "notes of loan #7" }}
            request={() => ({ address: TOKEN, abi: LoanAbi, functionName: "fundLoan", args: [1n] })}
          />
        </WalletContext.Provider>
      </AppContext.Provider>,
    );
    fireEvent.click(screen.getByRole("button", { name: "Sell" }));
    const preview = await screen.findByTestId("tx-preview");
    expect(preview.textContent).toContain("of notes of loan #7");
    expect(preview.textContent).not.toContain("USDC");
    expect(screen.getByTestId("tx-confirm").textContent).toBe("Approve 3.00 notes (notes of loan #7)");
  });
});
