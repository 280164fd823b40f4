import { getAddress, isAddress, type Address } from "viem";

/** `./config.json`, written next to the app by `disfruta app serve`. */
export type AppConfig = {
  chainId: number;
  chainName: string;
  rpcUrl: string;
  /** Base URL of the index API: routes are `${indexUrl}/v1/...`. */
  indexUrl: string;
  oracleUrl: string;
  deploymentUrl: string;
  nativeSymbol: string;
  explorerUrl: string | null;
};

export type DeployedContract = { address: string; [key: string]: unknown };

/** The repository's deployment file (`deployments/<network>.json`). */
export type Deployment = {
  chain_id: number;
  block: number;
  network?: string;
  contracts: Record<string, DeployedContract>;
  [key: string]: unknown;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const STRING_FIELDS = ["chainName", "rpcUrl", "indexUrl", "oracleUrl", "deploymentUrl", "nativeSymbol"] as const;

/** Checks the shape of config.json; the error names the field. */
export function parseConfig(value: unknown): AppConfig {
  if (typeof value !== "object" || value === null) throw new ConfigError("config.json is not a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.chainId !== "number" || !Number.isInteger(v.chainId) || v.chainId <= 0) {
    throw new ConfigError("config.json: chainId must be a positive integer");
  }
  for (const name of STRING_FIELDS) {
    if (typeof v[name] !== "string" || (v[name] as string) === "") {
      throw new ConfigError(`config.json: ${name} must be a non-empty string`);
    }
  }
  if (v.explorerUrl !== null && v.explorerUrl !== undefined && typeof v.explorerUrl !== "string") {
    throw new ConfigError("config.json: explorerUrl must be a string or null");
  }
  return {
    chainId: v.chainId,
    chainName: v.chainName as string,
    rpcUrl: v.rpcUrl as string,
    indexUrl: (v.indexUrl as string).replace(/\/+$/, ""),
    oracleUrl: (v.oracleUrl as string).replace(/\/+$/, ""),
    deploymentUrl: v.deploymentUrl as string,
    nativeSymbol: v.nativeSymbol as string,
    explorerUrl: (v.explorerUrl as string | null | undefined) ?? null,
  };
}

export function parseDeployment(value: unknown, expectedChainId?: number): Deployment {
  if (typeof value !== "object" || value === null) throw new ConfigError("the deployment file is not a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.chain_id !== "number") throw new ConfigError("the deployment file has no chain_id");
  if (typeof v.contracts !== "object" || v.contracts === null) {
    throw new ConfigError("the deployment file has no contracts");
  }
  if (expectedChainId !== undefined && v.chain_id !== expectedChainId) {
    throw new ConfigError(
      `the deployment is for chain ${v.chain_id} but config.json says chain ${expectedChainId}: ` +
        "the app would send transactions to the wrong contracts",
    );
  }
  return value as Deployment;
}

/** The address of `name` in the deployment (checksummed); throws a clear Error when it is missing. */
export function contractAddress(d: Deployment, name: string): Address {
  const entry = d.contracts[name];
  if (!entry || typeof entry.address !== "string" || !isAddress(entry.address, { strict: false })) {
    throw new ConfigError(
      `The deployment (chain ${d.chain_id}) has no address for ${name}: redeploy or fix deployment.json`,
    );
  }
  return getAddress(entry.address);
}

/** Like `contractAddress`, but `undefined` when the deployment doesn't have it (e.g. NoteMarket before #16). */
export function optionalContractAddress(d: Deployment, name: string): Address | undefined {
  const entry = d.contracts[name];
  if (!entry || typeof entry.address !== "string" || !isAddress(entry.address, { strict: false })) return undefined;
  return getAddress(entry.address);
}

async function fetchJson(url: string, what: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
  } catch {
    throw new ConfigError(`${what} at ${url} cannot be reached`);
  }
  if (!response.ok) throw new ConfigError(`${what} at ${url} answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new ConfigError(`${what} at ${url} is not valid JSON`);
  }
}

/** Loads `./config.json`, then the deployment it names (relative to the config's URL). */
export async function loadConfig(): Promise<{ config: AppConfig; deployment: Deployment }> {
  const configUrl = new URL("./config.json", window.location.href).toString();
  const config = parseConfig(await fetchJson(configUrl, "The app's configuration (config.json)"));
  const deploymentUrl = new URL(config.deploymentUrl, configUrl).toString();
  const deployment = parseDeployment(await fetchJson(deploymentUrl, "The deployment file"), config.chainId);
  return { config, deployment };
}

/** Resolves a possibly relative URL (e.g. indexUrl "/index") against the page. */
export function absoluteUrl(url: string): string {
  if (typeof window === "undefined") return url;
  return new URL(url, window.location.href).toString().replace(/\/+$/, "");
}
