import { describe, expect, it, vi } from "vitest";
import { ApiError, IndexApi, IndexUnavailable, parseJsonExact } from "./index-api";

const ok = (body: unknown, status = 200) =>
  vi.fn(async () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status }));

describe("IndexApi", () => {
  it("builds routes under the base URL with the filters as query parameters", async () => {
    const fetcher = ok({ items: [], next_cursor: null });
    const api = new IndexApi("http://host/index/", fetcher as unknown as typeof fetch);
    await api.loans({ status: "funding", min_grade: "A1", min_rate_bps: 500, cursor: "abc", limit: 20 });
    expect(fetcher).toHaveBeenCalledWith(
      "http://host/index/v1/loans?status=funding&min_grade=A1&min_rate_bps=500&cursor=abc&limit=20",
      expect.anything(),
    );
    expect(api.statementUrl("0xabc", { start: 1, end: 2 })).toBe("http://host/index/v1/lenders/0xabc/statement?start=1&end=2&format=csv");
  });

  it("reports the index unreachable on a network failure or a 5xx, naming the URL", async () => {
    const down = new IndexApi("http://host/index", (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch);
    const seen: boolean[] = [];
    down.subscribe((r) => seen.push(r));
    await expect(down.status()).rejects.toThrow(IndexUnavailable);
    await expect(down.status()).rejects.toThrow("The index at http://host/index cannot be reached; lists and histories are unavailable");
    expect(seen).toEqual([false, false]);
    const broken = new IndexApi("http://h", ok({ detail: "index database unavailable, retry later" }, 503) as unknown as typeof fetch);
    await expect(broken.stats()).rejects.toThrow(/index database unavailable/);
  });

  it("throws ApiError with the server's detail on a 4xx", async () => {
    const api = new IndexApi("http://h", ok({ detail: "there is no loan #9 in the index" }, 404) as unknown as typeof fetch);
    const err = await api.loan(9).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).message).toBe("there is no loan #9 in the index");
  });

  it("keeps big integers in event args exact", () => {
    const v = parseJsonExact('{"args":{"amount":123456789012345678901234,"n":5,"s":"x: 12345678901234567890,"},"l":[99999999999999999999]}') as {
      args: { amount: unknown; n: unknown; s: unknown };
      l: unknown[];
    };
    expect(v.args.amount).toBe("123456789012345678901234");
    expect(v.args.n).toBe(5);
    expect(v.l[0]).toBe("99999999999999999999");
  });
});
