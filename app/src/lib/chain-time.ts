// The chain's clock: deadlines on chain (funding, acceptance, drawdown, attestations) are compared with the latest
// block's timestamp, not with this computer's clock. On a dev chain after time travel the two are months apart.
// One shared reader per public client: the latest block every ~15 s, extrapolated with the wall clock in between;
// until the first read answers (or when the node cannot be read) it is the wall clock.
import { useEffect, useState } from "react";
import { useApp } from "./context";

export const CHAIN_TIME_REFRESH_MS = 15_000;

type Sample = { chain: number; wall: number };
type BlockReader = { getBlock?: (args?: { blockTag?: "latest" }) => Promise<{ timestamp: bigint }> };

/** The chain's time now (unix seconds) from a sample of it, or the wall clock without one. */
export function chainNow(sample: Sample | null, wallMs: number = Date.now()): number {
  if (!sample) return Math.floor(wallMs / 1000);
  return Math.floor(sample.chain + Math.max(0, wallMs - sample.wall) / 1000);
}

class ChainClock {
  sample: Sample | null = null;
  private listeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly client: BlockReader;

  constructor(client: BlockReader) {
    this.client = client;
  }

  private async read(): Promise<void> {
    if (typeof this.client.getBlock !== "function") return;
    try {
      const block = await this.client.getBlock({ blockTag: "latest" });
      this.sample = { chain: Number(block.timestamp), wall: Date.now() };
      for (const l of this.listeners) l();
    } catch {
      /* keep the last sample (or the wall clock) */
    }
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) {
      void this.read();
      this.timer = setInterval(() => void this.read(), CHAIN_TIME_REFRESH_MS);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }
}

const clocks = new WeakMap<object, ChainClock>();

function clockOf(client: object): ChainClock {
  let clock = clocks.get(client);
  if (!clock) {
    clock = new ChainClock(client as BlockReader);
    clocks.set(client, clock);
  }
  return clock;
}

/**
 * The chain's time now, in unix seconds: the latest block's timestamp (re-read every ~15 s), extrapolated with the
 * wall clock between reads; `Date.now()` until the first read answers. Re-renders the caller at each new read.
 */
export function useChainTime(): number {
  const { publicClient } = useApp();
  const clock = clockOf(publicClient);
  const [, setTick] = useState(0);
  useEffect(() => clock.subscribe(() => setTick((t) => t + 1)), [clock]);
  return chainNow(clock.sample);
}
