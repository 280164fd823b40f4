// EIP-4361 message building, loaded on demand by OracleApi.signIn (a dynamic import keeps viem's SIWE code out of
// the entry chunk: only signing in needs it).
export { createSiweMessage } from "viem/siwe";
