// The app's viem clients, built from `createClient` with only the actions the app calls. `createPublicClient` /
// `createWalletClient` attach every public / wallet action (ENS, SIWE verification, signature recovery, …), which
// would all land in the entry chunk; these clients are the same clients (same key, name, type, chain and
// transport) with a smaller surface. The types below list that surface, so tsc rejects a call to any other action.
// `readContract` (the marketplace needs it at start) is bundled; the other actions are asynchronous anyway and load
// on first use from ./client-actions (one small chunk), the same functions viem's decorators call.
import { createClient, type Account, type Chain, type PublicClient, type Transport, type WalletClient } from "viem";
import { readContract } from "viem/actions";

const actions = () => import("./client-actions");

type ClientBase = "chain" | "transport" | "request" | "key" | "name" | "type" | "uid" | "pollingInterval" | "cacheTime";

/** What the pages use of a public client. */
export type AppPublicClient = Pick<
  PublicClient,
  ClientBase | "readContract" | "simulateContract" | "estimateContractGas" | "getGasPrice" | "getBlock" | "waitForTransactionReceipt"
>;

/** What the pages use of a wallet client. */
export type AppWalletClient = Pick<WalletClient, ClientBase | "account" | "writeContract" | "signMessage">;

// The decorators are typed by the Pick<> types above (viem's generic action signatures don't unify with a plain
// wrapper); at run time each is exactly viem's own decorator, `(args) => action(client, args)`.
type Untyped = Record<never, never>;

export function makePublicClient(chain: Chain, transport: Transport): AppPublicClient {
  return createClient({ chain, transport, key: "public", name: "Public Client", type: "publicClient" }).extend(
    (client) => ({
      estimateContractGas: (args: never) => actions().then((m) => m.estimateContractGas(client, args)),
      getBlock: (args?: never) => actions().then((m) => m.getBlock(client, args)),
      getGasPrice: () => actions().then((m) => m.getGasPrice(client)),
      readContract: (args: never) => readContract(client, args),
      simulateContract: (args: never) => actions().then((m) => m.simulateContract(client, args)),
      waitForTransactionReceipt: (args: never) => actions().then((m) => m.waitForTransactionReceipt(client, args)),
    }) as Untyped,
  ) as unknown as AppPublicClient;
}

export function makeWalletClient(account: Account | `0x${string}`, chain: Chain, transport: Transport): AppWalletClient {
  return createClient({ account, chain, transport, key: "wallet", name: "Wallet Client", type: "walletClient" }).extend(
    (client) => ({
      signMessage: (args: never) => actions().then((m) => m.signMessage(client, args)),
      writeContract: (args: never) => actions().then((m) => m.writeContract(client, args)),
    }) as Untyped,
  ) as unknown as AppWalletClient;
}
