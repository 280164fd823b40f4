import { describe, expect, it } from "vitest";
import { serviceWorkerSource, shellVersion } from "../../scripts/sw-precache.ts";

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

  it("versions the cache by the files' contents, not only their names", () => {
    const release = (manifest: string, icon: Uint8Array) =>
      shellVersion([
        ["./index.html", "<html></html>"],
        ["./assets/index-abc123.js", "console.log(1)"],
        ["./manifest.webmanifest", manifest],
        ["./icon-192.png", icon],
      ]);
    const v1 = release('{"name":"Disfruta"}', new Uint8Array([1, 2, 3]));
    expect(v1).toMatch(/^[0-9a-f]{12}$/);
    // the same files, in any order: the same version (a rebuild without changes keeps the users' cache)
    expect(
      shellVersion([
        ["./icon-192.png", new Uint8Array([1, 2, 3])],
        ["./manifest.webmanifest", '{"name":"Disfruta"}'],
        ["./assets/index-abc123.js", "console.log(1)"],
        ["./index.html", "<html></html>"],
      ]),
    ).toBe(v1);
    // a changed manifest or icon under the same name: a new version, so the new worker replaces the old cache
    expect(release('{"name":"Disfruta 2"}', new Uint8Array([1, 2, 3]))).not.toBe(v1);
    expect(release('{"name":"Disfruta"}', new Uint8Array([1, 2, 4]))).not.toBe(v1);
    expect(shellVersion([["./a", "bc"]])).not.toBe(shellVersion([["./ab", "c"]]));
  });
});
