import { render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { chainNow, useChainTime } from "./chain-time";
import { AppContext, type AppValue } from "./context";

function Clock() {
  return <p data-testid="now">{useChainTime()}</p>;
}

describe("chain time", () => {
  it("extrapolates the last block's time with the wall clock, and is the wall clock without a block", () => {
    expect(chainNow(null, 1_700_000_000_500)).toBe(1_700_000_000);
    expect(chainNow({ chain: 1_800_000_000, wall: 1_700_000_000_000 }, 1_700_000_010_000)).toBe(1_800_000_010);
  });

  it("reads the latest block (a dev chain months ahead) and falls back to Date.now() until then", async () => {
    const ahead = Math.floor(Date.now() / 1000) + 120 * 86_400;
    const getBlock = vi.fn(async () => ({ timestamp: BigInt(ahead) }));
    const app = { publicClient: { getBlock } } as unknown as AppValue;
    render(
      <AppContext.Provider value={app}>
        <Clock />
      </AppContext.Provider>,
    );
    expect(Math.abs(Number(screen.getByTestId("now").textContent) - Date.now() / 1000)).toBeLessThan(5);
    await waitFor(() => expect(Number(screen.getByTestId("now").textContent)).toBeGreaterThanOrEqual(ahead));
    expect(getBlock).toHaveBeenCalledWith({ blockTag: "latest" });
  });
});
