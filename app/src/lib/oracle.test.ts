import { describe, expect, it, vi } from "vitest";
import type { Address } from "viem";
import type { AppWalletClient } from "./clients";
import { OracleApi, OracleMisconfigured, SignedOut } from "./oracle";

const ME = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
const OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address;

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });

function memoryStore() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

function oracleWith(domain: string) {
  const fetcher = vi.fn(async (input: RequestInfo | URL) => {
    const url = String(input);
    if (url.endsWith("/auth/siwe/nonce")) {
      return json({ nonce: "abcdef1234567890", domain, uri: "http://oracle.example:8000", chain_id: 31337, statement: "Sign in to Disfruta.", expires_at: "2030-01-01T00:00:00Z" });
    }
    if (url.endsWith("/auth/siwe/verify")) return json({ access_token: "a", refresh_token: "r", expires_in: 900 });
    if (url.endsWith("/kyc/me/attestation")) return json({ kind: "kyc", message: { user: ME } });
    throw new Error(`unexpected ${url}`);
  });
  const signMessage = vi.fn(async (_: { account: Address; message: string }) => ("0x" + "11".repeat(65)) as `0x${string}`);
  const oracle = new OracleApi("http://oracle.example:8000", { fetcher: fetcher as unknown as typeof fetch, storage: memoryStore() });
  return { oracle, fetcher, signMessage, wallet: { signMessage } as unknown as AppWalletClient };
}

describe("OracleApi.signIn (EIP-4361)", () => {
  it("signs a message for this page's own host and origin", async () => {
    const { oracle, signMessage, wallet } = oracleWith(window.location.host);
    const session = await oracle.signIn(wallet, ME);
    expect(session.address).toBe(ME);
    const message = signMessage.mock.calls[0]?.[0].message ?? "";
    expect(message.startsWith(`${window.location.host} wants you to sign in with your Ethereum account:\n${ME}`)).toBe(true);
    expect(message).toContain(`URI: ${window.location.origin}\n`);
    expect(message).not.toContain("oracle.example");
    expect(message).toContain("Chain ID: 31337");
    expect(message).toContain("Nonce: abcdef1234567890");
  });

  it("does not ask the wallet to sign when the oracle expects another domain", async () => {
    const { oracle, signMessage, wallet } = oracleWith("disfruta.example.com");
    const host = window.location.host;
    const err = await oracle.signIn(wallet, ME).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OracleMisconfigured);
    expect((err as Error).message).toBe(
      `The oracle expects sign-ins for disfruta.example.com, but this app runs at ${host}: set DISFRUTA_ORACLE_SIWE_DOMAIN to ${host}.`,
    );
    expect(signMessage).not.toHaveBeenCalled();
    expect(oracle.getSession()).toBeNull();
  });

  it("refuses a session signed in by another account than the wallet's", async () => {
    const { oracle, wallet, fetcher } = oracleWith(window.location.host);
    await oracle.signIn(wallet, ME);
    await expect(oracle.kycAttestation(undefined, OTHER)).rejects.toBeInstanceOf(SignedOut);
    expect(fetcher.mock.calls.some(([u]) => String(u).endsWith("/kyc/me/attestation"))).toBe(false);
    await expect(oracle.kycAttestation(undefined, ME)).resolves.toMatchObject({ kind: "kyc" });
  });
});
