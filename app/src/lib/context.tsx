import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { defineChain, http, type Address, type Chain } from "viem";
import { IERC20MetadataAbi } from "../generated/abi/IERC20Metadata";
import { absoluteUrl, contractAddress, loadConfig, optionalContractAddress, type AppConfig, type Deployment } from "./config";
import { makePublicClient, type AppPublicClient } from "./clients";
import { IndexApi } from "./index-api";
import { OracleApi } from "./oracle";

export type Addresses = {
  registry: Address;
  factory: Address;
  pool: Address;
  treasury: Address;
  /** NoteMarket; `undefined` when the deployment has none (then the note market's writes are unavailable). */
  market: Address | undefined;
  /** Autopay; `undefined` when the deployment has none. */
  autopay: Address | undefined;
  asset: Address;
};

export type TokenInfo = { address: Address; decimals: number; symbol: string };

export type AppValue = {
  config: AppConfig;
  deployment: Deployment;
  chain: Chain;
  addresses: Addresses;
  token: TokenInfo;
  publicClient: AppPublicClient;
  index: IndexApi;
  oracle: OracleApi;
};

export const AppContext = createContext<AppValue | null>(null);

export function useApp(): AppValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp() outside <AppProvider>");
  return value;
}

export function chainFromConfig(config: AppConfig): Chain {
  return defineChain({
    id: config.chainId,
    name: config.chainName,
    nativeCurrency: { name: config.nativeSymbol, symbol: config.nativeSymbol, decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
    ...(config.explorerUrl ? { blockExplorers: { default: { name: "Explorer", url: config.explorerUrl } } } : {}),
  });
}

export function addressesOf(d: Deployment): Addresses {
  return {
    registry: contractAddress(d, "UserRegistry"),
    factory: contractAddress(d, "LoanFactory"),
    pool: contractAddress(d, "LendingPool"),
    treasury: contractAddress(d, "Treasury"),
    market: optionalContractAddress(d, "NoteMarket"),
    autopay: optionalContractAddress(d, "Autopay"),
    asset: contractAddress(d, "asset"),
  };
}

/** Builds everything the pages need; exported for tests and for other entry points. */
export async function buildApp(): Promise<AppValue> {
  const { config, deployment } = await loadConfig();
  const chain = chainFromConfig(config);
  const addresses = addressesOf(deployment);
  const publicClient = makePublicClient(chain, http(config.rpcUrl, { batch: true }));
  let decimals: number;
  let symbol: string;
  try {
    [decimals, symbol] = await Promise.all([
      publicClient.readContract({ address: addresses.asset, abi: IERC20MetadataAbi, functionName: "decimals" }),
      publicClient.readContract({ address: addresses.asset, abi: IERC20MetadataAbi, functionName: "symbol" }),
    ]);
  } catch (e) {
    const why = e instanceof Error ? (e as { shortMessage?: string }).shortMessage ?? e.message : String(e);
    throw new Error(
      `Cannot read the market's token (${addresses.asset}) from the node at ${config.rpcUrl}: ${why.split("\n")[0]}`,
    );
  }
  return {
    config,
    deployment,
    chain,
    addresses,
    token: { address: addresses.asset, decimals: Number(decimals), symbol },
    publicClient,
    index: new IndexApi(absoluteUrl(config.indexUrl)),
    oracle: new OracleApi(absoluteUrl(config.oracleUrl)),
  };
}

function ErrorPage({ message, retry }: { message: string; retry: () => void }) {
  return (
    <main className="mx-auto mt-24 max-w-xl rounded-xl border border-red-200 bg-white p-8 shadow-sm">
      <h1 data-testid="page-title" className="text-xl font-semibold text-slate-900">
        Disfruta cannot start
      </h1>
      <p data-testid="config-error" className="mt-3 text-slate-700">
        {message}
      </p>
      <p className="mt-3 text-sm text-slate-500">
        The app reads <code>config.json</code> and the deployment file from the server that serves it (
        <code>disfruta app serve</code>).
      </p>
      <button
        type="button"
        onClick={retry}
        className="mt-6 rounded-lg bg-teal-700 px-4 py-2 font-medium text-white hover:bg-teal-800"
      >
        Try again
      </button>
    </main>
  );
}

/** Loads config.json, the deployment and the token; shows a clear error page when any of them fails. */
export function AppProvider({ children, value }: { children: ReactNode; value?: AppValue }) {
  const [app, setApp] = useState<AppValue | null>(value ?? null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    buildApp()
      .then(setApp)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  useEffect(() => {
    if (!value) load();
  }, [load, value]);
  if (error) return <ErrorPage message={error} retry={load} />;
  if (!app) {
    return (
      <div className="mt-32 text-center text-slate-500" role="status">
        Loading Disfruta…
      </div>
    );
  }
  return <AppContext.Provider value={app}>{children}</AppContext.Provider>;
}

/** Whether the index answered the last request (undefined before any). */
export function useIndexHealth(): { reachable: boolean | undefined; message: string | undefined } {
  const { index } = useApp();
  const [state, setState] = useState<{ reachable: boolean | undefined; message: string | undefined }>({
    reachable: index.reachable,
    message: index.lastError?.message,
  });
  useEffect(() => index.subscribe((reachable, err) => setState({ reachable, message: err?.message })), [index]);
  return state;
}
