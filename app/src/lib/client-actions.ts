// The viem actions the app needs only once the user acts (preview, send, wait, sign in): loaded on first use by the
// clients of ./clients.ts, so they stay out of the entry chunk.
export { estimateContractGas, getBlock, getGasPrice, signMessage, simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
