import { describe, expect, it } from "vitest";
import { serviceWorkerSource } from "../../scripts/sw-precache.ts";

describe("service worker", () => {
  const source = serviceWorkerSource(["./", "./index.html", "./assets/index-abc123.js", "./assets/index-def456.css"], "v1");
  const networkOnly = eval(source.match(/const NETWORK_ONLY = (\[.*\]);/)![1]!) as RegExp[];
  const never = (path: string) => networkOnly.some((re) => re.test(path));

  it("precaches the built shell it is given", () => {
    expect(source).toContain('"./assets/index-abc123.js"');
    expect(source).toContain('const CACHE = "disfruta-shell-v1"');
  });

  it("never caches the configuration, the deployment or the index", () => {
    for (const p of ["/config.json", "/app/config.json", "/deployment.json", "/index", "/index/v1/loans", "/index/v1/status"]) {
      expect(never(p), p).toBe(true);
    }
    for (const p of ["/", "/index.html", "/assets/index-abc123.js", "/icon-192.png"]) expect(never(p), p).toBe(false);
  });

  it("leaves other origins (the oracle, the RPC) and non-GET requests alone", () => {
    expect(source).toContain('if (request.method !== "GET") return;');
    expect(source).toContain("if (url.origin !== scope.origin) return;");
  });
});
