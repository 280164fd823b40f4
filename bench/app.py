"""The reference dApp against Lighthouse-style budgets (``python -m bench --only app``).

* **bundle** — every file of the build (``app/dist``, `make app`) raw and gzipped (level 9, what a server's static
  gzip sends), and the first-load set: the shell, the entry script and style sheet it references, their
  ``modulepreload`` chunks (what the browser fetches before the first paint).
* **first load** — the marketplace served by `disfruta app serve`'s `Site` on loopback over a real market on anvil
  (`LOANS` loans in the index), opened in Debian's headless Chromium: ``REPEATS`` cold loads (a fresh browser context
  each: no HTTP cache, no service worker) and as many warm reloads (the service worker installed, the HTTP cache
  filled); the browser's own Navigation Timing and Paint Timing entries (time to first byte, DOMContentLoaded, load,
  first contentful paint) and the time until the first loan row is on screen (data from the index, through the app).

Loopback with 2 cores says how heavy the app is, not how it feels on a phone over 4G: the numbers are compared with
budgets set for this machine, never enforced.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.market import derived_account, deploy_markets
from bench.node import Anvil

LOANS = 30
REPEATS = 10
#: Budgets (this machine, loopback): gzipped bytes of the first-load set and of all JavaScript; milliseconds, p95.
BUDGETS = {"first_load_gzip_bytes": 200_000, "js_gzip_bytes": 250_000, "css_gzip_bytes": 30_000,
           "fcp_ms_p95": 1_000, "first_row_ms_p95": 2_000}


def bundle(dist: Path) -> dict[str, Any]:
    files = {}
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files[str(path.relative_to(dist))] = {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9))}
    html = (dist / "index.html").read_text()
    referenced = {m for m in re.findall(r'(?:src|href)="(?:\./|/)?(assets/[^"]+)"', html)}
    first = ["index.html", *sorted(referenced & set(files))]

    def total(names: Any, key: str) -> int:
        return sum(files[n][key] for n in names)

    js = [n for n in files if n.endswith(".js") and n != "sw.js"]
    css = [n for n in files if n.endswith(".css")]
    return {"files": files, "first_load": first,
            "first_load_bytes": total(first, "bytes"), "first_load_gzip_bytes": total(first, "gzip_bytes"),
            "js_bytes": total(js, "bytes"), "js_gzip_bytes": total(js, "gzip_bytes"),
            "css_bytes": total(css, "bytes"), "css_gzip_bytes": total(css, "gzip_bytes")}


_TIMING = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {ttfb: nav.responseStart, dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          fcp: fcp ? fcp.startTime : null, transferred: nav.transferSize,
          resources: performance.getEntriesByType("resource").reduce((n, r) => n + r.transferSize, 0)};
}"""


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "max": round(ordered[-1], 1)}


def _load(page: Any, url: str) -> dict[str, Any]:
    page.goto(url, wait_until="load")
    page.wait_for_selector("[data-testid=loan-row]")
    timing = page.evaluate(_TIMING)
    timing["first_row"] = page.evaluate("() => performance.now()")
    page.wait_for_load_state("networkidle")
    return timing


def first_loads(url: str, chromium: str, log: Callable[[str], None]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from disfruta.index.webapp import CHROMIUM_FLAGS

    cold: list[dict[str, Any]] = []
    warm: list[dict[str, Any]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        version = browser.version
        for i in range(REPEATS):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            cold.append(_load(page, url))
            page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")  # installed, then reload
            warm.append(_load(page, url))
            context.close()
            log(f"app: load {i + 1}/{REPEATS}: cold first row {cold[-1]['first_row']:.0f} ms, "
                f"warm {warm[-1]['first_row']:.0f} ms")
        browser.close()

    def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
        out = {k: _percentiles([r[k] for r in runs if r[k] is not None])
               for k in ("ttfb", "dom_content_loaded", "load", "fcp", "first_row")}
        out["transferred_bytes_p50"] = int(statistics.median(r["resources"] + r["transferred"] for r in runs))
        return out

    return {"chromium": version, "repeats": REPEATS, "cold": summary(cold), "warm": summary(warm)}


def measure_app(log: Callable[[str], None]) -> dict[str, Any]:
    from disfruta.attestations import Role
    from disfruta.governance.market import MarketParams
    from disfruta.index.webapp import REPO_DIST, Site
    from disfruta.oracle_process import OracleProcess

    if not (REPO_DIST / "index.html").is_file():
        raise RuntimeError(f"the app is not built in {REPO_DIST}: run `make app`")
    chromium = os.environ.get("DISFRUTA_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise RuntimeError("no chromium: `source tools/services.sh && setup_chromium`")
    sizes = bundle(REPO_DIST)
    log(f"app: first-load set {sizes['first_load_gzip_bytes']:,} bytes gzipped, all JS "
        f"{sizes['js_gzip_bytes']:,}")
    with Anvil() as node:
        m = deploy_markets(node, {"app": MarketParams()})["app"]
        node.auto_impersonate()
        borrowers = [derived_account("app-borrower", i).address for i in range(5)]
        m.onboard(borrowers, Role.BORROWER, grade=8, limit=10_000_000 * m.unit)
        m.fund_accounts(borrowers)
        for i in range(LOANS):
            m.create_loan(borrowers[i % len(borrowers)], (1_000 + 250 * i) * m.unit, 12 + 12 * (i % 3))
        folder = Path(tempfile.mkdtemp(prefix="disfruta-bench-app-"))
        deployment = folder / "local.json"
        deployment.write_text(json.dumps({"chain_id": m.chain_id, "block": 0, "contracts": {
            name: {"address": c.address} for name, c in m.contracts.items()}}))
        with OracleProcess(m.registry.address, m.chain_id, node.uri) as oracle, \
                Site(database=folder / "index.db", deployment_file=deployment, rpc_url=node.uri,
                     oracle_url=oracle.url) as site:
            log(f"app: {LOANS} loans indexed; serving on {site.url}")
            loads = first_loads(f"{site.url}/", chromium, log)
    return {"bundle": sizes, "loads": loads, "budgets": BUDGETS, "loans": LOANS}
