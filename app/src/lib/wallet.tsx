// The user's wallet: an EIP-1193 provider (EIP-6963 announcements, else window.ethereum). Writes go only through
// it (a viem wallet client with `custom(provider)`); the app never holds a key.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { custom, getAddress, numberToHex, type Address, type EIP1193Provider } from "viem";
import { makeWalletClient, type AppWalletClient } from "./clients";
import { useApp } from "./context";

export type WalletStatus = "missing" | "disconnected" | "wrong-network" | "ready";

export type WalletValue = {
  status: WalletStatus;
  address?: Address;
  chainId?: number;
  connect(): Promise<void>;
  switchNetwork(): Promise<void>;
  walletClient?: AppWalletClient;
  /** The wallet's name (from EIP-6963) when known. */
  walletName?: string;
  /** The last connect / switch failure, in words. */
  error?: string;
};

export const WalletContext = createContext<WalletValue | null>(null);

export function useWallet(): WalletValue {
  const value = useContext(WalletContext);
  if (!value) throw new Error("useWallet() outside <WalletProvider>");
  return value;
}

type Announced = { info: { uuid: string; name: string; icon?: string; rdns?: string }; provider: EIP1193Provider };

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

function rpcErrorCode(e: unknown): number | undefined {
  const o = e as { code?: unknown; data?: { originalError?: { code?: unknown } }; cause?: { code?: unknown } } | null;
  const code = o?.code ?? o?.data?.originalError?.code ?? o?.cause?.code;
  return typeof code === "number" ? code : undefined;
}

function messageOf(e: unknown): string {
  if (rpcErrorCode(e) === 4001) return "You rejected the request in your wallet.";
  if (e instanceof Error) return e.message.split("\n")[0] ?? e.message;
  return String(e);
}

export function WalletProvider({ children }: { children: ReactNode }) {
  const { config, chain } = useApp();
  const [provider, setProvider] = useState<EIP1193Provider | undefined>(() =>
    typeof window !== "undefined" ? window.ethereum : undefined,
  );
  const [walletName, setWalletName] = useState<string | undefined>(undefined);
  const [address, setAddress] = useState<Address | undefined>(undefined);
  const [chainId, setChainId] = useState<number | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  // EIP-6963: wallets announce themselves; take the first one (window.ethereum stays the fallback).
  useEffect(() => {
    let chosen = false;
    const onAnnounce = (event: Event) => {
      const detail = (event as CustomEvent<Announced>).detail;
      if (!detail?.provider || chosen) return;
      chosen = true;
      setProvider(detail.provider);
      setWalletName(detail.info?.name);
    };
    window.addEventListener("eip6963:announceProvider", onAnnounce);
    window.dispatchEvent(new Event("eip6963:requestProvider"));
    // A wallet injected after the page loaded (some extensions are late).
    const late = window.setTimeout(() => setProvider((p) => p ?? window.ethereum), 500);
    return () => {
      window.removeEventListener("eip6963:announceProvider", onAnnounce);
      window.clearTimeout(late);
    };
  }, []);

  // Current accounts and chain, silently (no prompt), and their changes.
  useEffect(() => {
    if (!provider) return;
    let live = true;
    const onAccounts = (accounts: unknown) => {
      const list = Array.isArray(accounts) ? (accounts as string[]) : [];
      setAddress(list[0] ? getAddress(list[0]) : undefined);
    };
    const onChain = (id: unknown) => setChainId(typeof id === "string" ? Number.parseInt(id, 16) : Number(id));
    provider
      .request({ method: "eth_accounts" })
      .then((a) => live && onAccounts(a))
      .catch(() => undefined);
    provider
      .request({ method: "eth_chainId" })
      .then((id) => live && onChain(id))
      .catch(() => undefined);
    provider.on?.("accountsChanged", onAccounts);
    provider.on?.("chainChanged", onChain);
    return () => {
      live = false;
      provider.removeListener?.("accountsChanged", onAccounts);
      provider.removeListener?.("chainChanged", onChain);
    };
  }, [provider]);

  const connect = useCallback(async () => {
    setError(undefined);
    if (!provider) {
      setError("No wallet found: install a browser wallet such as MetaMask, then reload this page.");
      return;
    }
    try {
      const accounts = (await provider.request({ method: "eth_requestAccounts" })) as string[];
      setAddress(accounts[0] ? getAddress(accounts[0]) : undefined);
      const id = (await provider.request({ method: "eth_chainId" })) as string;
      setChainId(Number.parseInt(id, 16));
    } catch (e) {
      setError(messageOf(e));
    }
  }, [provider]);

  const switchNetwork = useCallback(async () => {
    setError(undefined);
    if (!provider) return;
    const hexId = numberToHex(config.chainId);
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hexId }] });
    } catch (e) {
      if (rpcErrorCode(e) !== 4902) {
        setError(messageOf(e));
        return;
      }
      try {
        // The wallet doesn't know the chain: add it (it switches to it as well).
        await provider.request({
          method: "wallet_addEthereumChain",
          params: [
            {
              chainId: hexId,
              chainName: config.chainName,
              rpcUrls: [config.rpcUrl],
              nativeCurrency: { name: config.nativeSymbol, symbol: config.nativeSymbol, decimals: 18 },
              ...(config.explorerUrl ? { blockExplorerUrls: [config.explorerUrl] } : {}),
            },
          ],
        });
      } catch (e2) {
        setError(messageOf(e2));
        return;
      }
    }
    try {
      const id = (await provider.request({ method: "eth_chainId" })) as string;
      setChainId(Number.parseInt(id, 16));
    } catch {
      /* the chainChanged event will tell */
    }
  }, [provider, config]);

  const status: WalletStatus = !provider
    ? "missing"
    : !address
      ? "disconnected"
      : chainId !== config.chainId
        ? "wrong-network"
        : "ready";

  const walletClient = useMemo(
    () =>
      provider && address && status === "ready"
        ? makeWalletClient(address, chain, custom(provider))
        : undefined,
    [provider, address, status, chain],
  );

  const value: WalletValue = { status, address, chainId, connect, switchNetwork, walletClient, walletName, error };
  return <WalletContext.Provider value={value}>{children}</WalletContext.Provider>;
}
