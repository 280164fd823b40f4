import { describe, expect, it } from "vitest";
import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeAbiParameters,
  encodeErrorResult,
  RpcRequestError,
  UserRejectedRequestError,
  type Abi,
  type Hex,
} from "viem";
import { allErrorsAbi, LendingPoolAbi, LoanAbi, NoteMarketAbi, UserRegistryAbi } from "../generated/abi";
import { decodeRevert, decodeRevertData, ERROR_TEXT, fallbackText, humanizeName } from "./errors";

const USDC = { decimals: 6, symbol: "USDC" };
const LENDER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

/** How viem reports a simulation revert: ContractFunctionExecutionError ← ContractFunctionRevertedError. */
function simulationError(abi: Abi, data: Hex, functionName = "fundLoan"): ContractFunctionExecutionError {
  const reverted = new ContractFunctionRevertedError({ abi, data, functionName });
  return new ContractFunctionExecutionError(reverted, { abi, functionName, args: [], contractAddress: LENDER });
}

/** How a wallet / node reports it: an RPC error carrying the raw revert data, wrapped by viem. */
function rpcError(data: Hex): BaseError {
  const rpc = new RpcRequestError({
    body: { method: "eth_estimateGas" },
    error: { code: 3, message: "execution reverted", data },
    url: "http://127.0.0.1:8545",
  });
  return new BaseError("Execution reverted for an unknown reason.", { cause: rpc });
}

describe("decodeRevert", () => {
  it("says a funding-closed revert in words, with the deadline as a UTC date", () => {
    const data = encodeErrorResult({ abi: LoanAbi, errorName: "LoanFundingClosed", args: [1_767_225_600n, 1_767_312_000n] });
    expect(decodeRevert(simulationError(LoanAbi, data), USDC)).toBe(
      "Too late: the loan's funding period ended on 2026-01-01 00:00 UTC (it is now 2026-01-02 00:00 UTC). No funding is taken after that, and partial funding can only be accepted within the acceptance window that follows it.",
    );
  });

  it("formats amounts with the token's decimals", () => {
    const data = encodeErrorResult({
      abi: LendingPoolAbi,
      errorName: "PoolInsufficientBalance",
      args: [LENDER, 150_000_000n, 200_500_000n],
    });
    expect(decodeRevert(simulationError(LendingPoolAbi, data, "withdraw"), USDC)).toBe(
      "Amount exceeds your pool cash: you have 150.00 USDC available, you asked for 200.50 USDC.",
    );
    expect(decodeRevert(simulationError(LendingPoolAbi, data, "withdraw"))).toContain("150000000 token units");
  });

  it("decodes raw revert data found in an RPC error (any ABI: the union of every error)", () => {
    const data = encodeErrorResult({ abi: LoanAbi, errorName: "LoanExceedsGoal", args: [2_000_000n, 1_000_000n] });
    expect(decodeRevert(rpcError(data), USDC)).toBe("The amount 2.00 USDC is more than the loan still needs (1.00 USDC).");
    const nested = { message: "failed", cause: { data: { data } } };
    expect(decodeRevert(nested, USDC)).toBe("The amount 2.00 USDC is more than the loan still needs (1.00 USDC).");
  });

  it("decodes enum arguments (the loan status) in words", () => {
    const data = encodeErrorResult({ abi: LoanAbi, errorName: "LoanInvalidStatus", args: [3] });
    expect(decodeRevert(simulationError(LoanAbi, data))).toBe("The loan is active, so this action is not possible now.");
  });

  it("decodes errors of other contracts too", () => {
    const market = encodeErrorResult({ abi: NoteMarketAbi, errorName: "MarketListingChanged", args: [1n, 2n] });
    expect(decodeRevert(rpcError(market))).toMatch(/^The listing changed since you looked at it/);
    const registry = encodeErrorResult({ abi: UserRegistryAbi, errorName: "UserRegistryNotVerified", args: [LENDER] });
    expect(decodeRevert(simulationError(UserRegistryAbi, registry, "x"))).toBe("0x3C44…93BC is not verified: complete KYC first.");
  });

  it("says a wallet rejection plainly", () => {
    expect(decodeRevert(new UserRejectedRequestError(new Error("User denied transaction signature.")))).toBe(
      "You rejected the request in your wallet.",
    );
    expect(decodeRevert({ code: 4001, message: "User rejected the request." })).toBe("You rejected the request in your wallet.");
  });

  it("reads Error(string) and Panic(uint256)", () => {
    const errorString = ("0x08c379a0" + encodeAbiParameters([{ type: "string" }], ["not enough"]).slice(2)) as Hex;
    expect(decodeRevertData(errorString)).toBe("The transaction reverted: not enough");
    const panic = ("0x4e487b71" + encodeAbiParameters([{ type: "uint256" }], [0x11n]).slice(2)) as Hex;
    expect(decodeRevert(rpcError(panic))).toBe("The contract stopped on an arithmetic overflow or underflow.");
  });

  it("names an unknown selector without dumping the data", () => {
    const data = ("0x12345678" + "00".repeat(64)) as Hex;
    expect(decodeRevert(rpcError(data))).toBe("The transaction reverted (unknown error 0x12345678).");
    expect(decodeRevertData("0x")).toBe("The transaction reverted without a reason.");
  });

  it("never returns a raw revert blob", () => {
    const blob = ("0xdeadbeef" + "ab".repeat(100)) as Hex;
    const text = decodeRevert(new Error(`execution reverted: ${blob}`));
    expect(text).not.toMatch(/[0-9a-f]{40,}/i);
  });

  it("falls back to the error's name and arguments in words", () => {
    expect(humanizeName("LoanFundingClosed")).toBe("Loan funding closed");
    expect(fallbackText("SomeErrorName", [5n, "0xabc"], ["amount", "who"])).toBe("Some error name (amount: 5, who: 0xabc).");
  });
});

describe("ERROR_TEXT", () => {
  const names = [...new Set(allErrorsAbi.map((e) => e.name))].sort();

  it("has a sentence for every custom error of every published ABI", () => {
    const missing = names.filter((n) => !(n in ERROR_TEXT));
    expect(missing).toEqual([]);
    expect(names.length).toBeGreaterThan(100);
  });

  it("renders every error with zero-valued arguments as a sentence (no throw, no fallback)", () => {
    for (const item of allErrorsAbi) {
      const args = item.inputs.map((i) =>
        i.type === "address" ? LENDER : i.type === "bytes32" ? "0x" + "00".repeat(32) : i.type === "string" ? "x" : 0n,
      );
      const data = encodeErrorResult({ abi: [item] as Abi, errorName: item.name, args } as never);
      const text = decodeRevertData(data, { amount: (r) => `${r} units`, date: (d) => `t${d}` });
      expect(text, item.name).toMatch(/[.!)]$/);
      expect(text, item.name).not.toMatch(/^The transaction reverted \(unknown/);
      expect(text.startsWith(humanizeName(item.name) + " ("), item.name).toBe(false);
    }
  });
});
