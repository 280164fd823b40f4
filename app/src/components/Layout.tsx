import type { ReactNode } from "react";
import { NavLink } from "react-router";
import { useApp, useIndexHealth } from "../lib/context";
import { shortAddress } from "../lib/money";
import { useSession } from "../lib/oracle";
import { useWallet } from "../lib/wallet";
import { Banner, Button, cx } from "./ui";

function WalletButton() {
  const wallet = useWallet();
  const { config } = useApp();
  if (wallet.status === "missing") {
    return (
      <a
        data-testid="wallet-button"
        href="https://ethereum.org/en/wallets/find-wallet/"
        target="_blank"
        rel="noreferrer"
        className="rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
      >
        Install a wallet
      </a>
    );
  }
  if (wallet.status === "disconnected") {
    return (
      <Button data-testid="wallet-button" onClick={() => void wallet.connect()} className="py-1.5">
        Connect wallet
      </Button>
    );
  }
  return (
    <div className="flex items-center gap-2">
      {wallet.status === "wrong-network" && (
        <Button data-testid="wallet-button" variant="danger" onClick={() => void wallet.switchNetwork()} className="py-1.5">
          Switch to {config.chainName}
        </Button>
      )}
      <span
        data-testid="wallet-address"
        title={wallet.address}
        className="rounded-lg bg-slate-100 px-3 py-1.5 font-mono text-xs text-slate-700"
      >
        {shortAddress(wallet.address)}
      </span>
      {wallet.status === "ready" && (
        <span data-testid="wallet-button" className="sr-only">
          Connected
        </span>
      )}
    </div>
  );
}

const NAV = [
  { to: "/", label: "Marketplace", end: true },
  { to: "/borrower", label: "Borrow" },
  { to: "/lender", label: "Lend" },
  { to: "/sign-in", label: "Sign in" },
];

export default function Layout({ children }: { children: ReactNode }) {
  const wallet = useWallet();
  const { config, index } = useApp();
  const health = useIndexHealth();
  const { session } = useSession();
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-8 gap-y-3 px-4 py-3">
          <NavLink to="/" className="flex items-center gap-2 text-lg font-bold tracking-tight text-teal-800">
            <img src="./icon.svg" alt="" className="h-7 w-7" />
            Disfruta
          </NavLink>
          <nav aria-label="Main" className="flex flex-1 gap-1">
            {NAV.map((n) => (
              <NavLink
                key={n.to}
                to={n.to}
                end={n.end}
                className={({ isActive }) =>
                  cx(
                    "rounded-lg px-3 py-1.5 text-sm font-medium",
                    isActive ? "bg-teal-50 text-teal-800" : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
                  )
                }
              >
                {n.to === "/sign-in" && session ? "Account" : n.label}
              </NavLink>
            ))}
          </nav>
          <WalletButton />
        </div>
      </header>
      <div className="mx-auto max-w-6xl space-y-2 px-4 pt-4 empty:hidden">
        {wallet.status === "wrong-network" && (
          <Banner
            testId="network-banner"
            tone="warn"
            action={
              <Button variant="secondary" onClick={() => void wallet.switchNetwork()}>
                Switch network
              </Button>
            }
          >
            Your wallet is on chain {wallet.chainId}; this market runs on {config.chainName} (chain {config.chainId}).
            {wallet.error ? ` ${wallet.error}` : ""}
          </Banner>
        )}
        {wallet.status === "missing" && (
          <Banner testId="network-banner" tone="info">
            No wallet found. You can browse the marketplace; to borrow or lend, install a browser wallet such as MetaMask
            and reload.
          </Banner>
        )}
        {wallet.error && wallet.status !== "wrong-network" && (
          <Banner testId="wallet-error" tone="error">
            {wallet.error}
          </Banner>
        )}
        {health.reachable === false && (
          <Banner testId="index-banner" tone="error">
            {health.message ?? `The index at ${index.baseUrl} cannot be reached; lists and histories are unavailable.`}
          </Banner>
        )}
      </div>
      <main className="mx-auto max-w-6xl px-4 py-6">{children}</main>
      <footer className="mx-auto max-w-6xl px-4 pb-8 text-xs text-slate-400">
        Disfruta reference dApp · {config.chainName} (chain {config.chainId}) · amounts in token units read from chain
      </footer>
    </div>
  );
}
