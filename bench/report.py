"""The benchmark's output: the environment it ran in, plain-text tables for the terminal, and the same tables as
Markdown (``python -m bench --markdown`` renders the last ``bench/results.json`` for the README)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import psutil  # type: ignore[import-untyped]
from disfruta import l1fees

from bench.node import ROOT, anvil_version

GIB = 1024**3


def environment() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
        return out.stdout.strip() if out.returncode == 0 else "unknown"

    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "cpu": cpu,
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "anvil": anvil_version(),
        "eth-ape": metadata.version("eth-ape"),
        "web3": metadata.version("web3"),
        "solc": "0.8.28 (optimizer on, 10,000 runs, evm cancun)",
        "git_commit": git("rev-parse", "HEAD"),
        "git_uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


# ----------------------------------------------------------------------------------------------- tables


def tables(results: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], list[str]]]:
    """Every table as (title, header, rows, notes), in the order they are printed."""
    out: list[tuple[str, list[str], list[list[str]], list[str]]] = []
    if gas := results.get("gas"):
        rows = [[r["operation"], f"{r['gas']:,}", f"{r['target']:,}" if r["target"] else "-",
                 "" if r["target"] is None else ("ok" if r["gas"] <= r["target"] else "OVER"), r["anchor"]]
                for r in gas]
        out.append(("Gas per operation (whole transaction, 21,000 base included; 6-decimal stablecoin)",
                    ["operation", "gas", "target", "", "anchor"], rows, []))
    if (l1 := results.get("l1_data")) and "rows" in l1:
        out.append(_gas_by_chain(l1, results.get("l1_data_measured_separately")))
    if scale := results.get("scale"):
        push = {r["lenders"]: r for r in scale["push_loop"]["rows"]}
        rows = [[f"{r['lenders']:,}", f"{r['makeRepayment']:,}", f"{r['claim']:,}", f"{r['claim_first']:,}",
                 f"{push[r['lenders']]['steady_repayment']:,}", f"{push[r['lenders']]['first_repayment']:,}"]
                for r in scale["disfruta"]]
        flat = scale["flatness"]
        verdict = "PASS" if flat["flat_within_tolerance"] else "FAIL"
        flat_note = (f"{verdict}: Disfruta's makeRepayment and claim are flat within {flat['tolerance_pct']:g} % "
                     f"from 1 to 1,000 lenders (spread: makeRepayment {flat['makeRepayment_spread_pct']:.3f} %, "
                     f"claim {flat['claim_spread_pct']:.3f} %)")
        notes = [flat_note, scale["note"]]
        for label, entry in scale["push_loop"]["exceeds_block_gas_limit_at"].items():
            notes.append(f"push loop ({label.replace('_', ' ')}): {entry['per_lender_gas']:,.0f} gas per lender; "
                         f"exceeds the {scale['push_loop']['block_gas_limit']:,} block gas limit at "
                         f"{entry['lenders']:,} lenders — {entry['method']}")
        out.append(("Scale: gas by lenders in the loan (Disfruta pulls; the seed's push loop pushes)",
                    ["lenders", "makeRepayment", "claim", "first claim", "push loop repayment",
                     "push loop 1st repayment"], rows, notes))
        rows = [[str(r["batch"]), f"{r['gas']:,}", f"{r['per_lender']:,}"] for r in scale["autoInvest"]]
        out.append(("autoInvest by batch size (one transaction; each lender invests one note)",
                    ["lenders in batch", "gas", "gas per lender"], rows, []))
    if tp := results.get("throughput"):
        sdk, raw = tp["sdk"], tp["raw"]
        rows = [["SDK lifecycle (simulate, sign locally, send, wait receipt)", f"{sdk['transactions']:,}",
                 f"{sdk['seconds']:.1f}", f"{sdk['tx_per_s']:.1f}"],
                ["pre-signed raw transactions, back to back", f"{raw['transactions']:,}", f"{raw['seconds']:.1f}",
                 f"{raw['tx_per_s']:.1f}"]]
        rpc_note = (f"the SDK driver made {sdk['driver_rpc_requests_per_transaction']} requests per transaction it "
                    "sent, reads included" + (
                        f" (HTTP round trips, a JSON-RPC batch is one; {sdk['driver_jsonrpc_calls_per_transaction']} "
                        "JSON-RPC calls)" if "driver_jsonrpc_calls_per_transaction" in sdk else ""))
        notes = [f"SDK / raw = {tp['sdk_to_raw_ratio']:.3f}; {tp['lifecycle']}", rpc_note]
        out.append(("Throughput on a fresh anvil (automine)", ["driver", "transactions", "seconds", "tx/s"], rows,
                    notes))
    if (sdk := results.get("sdk")) and "writes" in sdk:
        out += _sdk_tables(sdk)
    if (oracle := results.get("oracle")) and "setups" in oracle:
        rows, notes = [], [oracle["load"]]
        for setup in oracle["setups"]:
            name = f"{setup['database']}, {setup['workers']} worker{'s' if setup['workers'] > 1 else ''}"
            if "skipped" in setup:
                notes.append(f"{name}: not measured ({setup['skipped']})")
                continue
            target = setup["target"]
            goal = f"≥ {target['assessments_per_s']:.0f}/s" + (
                f", p99 ≤ {target['p99_ms']:.0f} ms" if target["p99_ms"] is not None else "")
            for lv in setup["levels"]:
                at_target = lv["in_flight"] == target["in_flight"]
                rows.append([name, str(lv["in_flight"]), f"{lv['requests']:,}", f"{lv['assessments_per_s']:.1f}",
                             f"{lv['latency_ms']['p50']:.1f}", f"{lv['latency_ms']['p99']:.1f}", str(lv["errors"]),
                             f"{lv['service_cpu_ms_per_request']:.1f}", f"{lv['load_generator_cpu_cores']:.2f}",
                             (goal + (": met" if target["met"] else ": not met")) if at_target else ""])
            rss = setup["service_rss_mib"]
            notes.append(f"{name}: rate limits in {setup['rate_limits']}; service RSS {rss['before_load']:.0f} MiB "
                         f"before the load, peak {rss['peak_sampled_under_load']:.0f} MiB under it")
            notes += [f"{name}, {lv['in_flight']} in flight: {sample}" for lv in setup["levels"]
                      for sample in sorted(set(lv["error_samples"]))]
            notes += [f"{name}: the service logged {n} × {line}"
                      for line, n in setup.get("server_logged_exceptions", {}).items()]
        out.append(("Oracle service: credit assessments, each with a signed attestation",
                    ["set-up", "in flight", "requests", "assessments/s", "p50 ms", "p99 ms", "errors",
                     "service CPU ms/req", "load-gen CPU cores", "target (8 in flight)"], rows, notes))
    rows, notes = [], []
    if demo := results.get("memory", {}).get("demo"):
        rows.append(["disfruta demo (whole process tree)", f"{demo['peak_rss_tree_mib']:.0f}",
                     f"exit {demo['exit_code']}, {demo['seconds']:.0f} s"])
        rows.append(["disfruta demo (the demo's own process)", f"{demo['peak_rss_demo_process_mib']:.0f}", ""])
        notes.append("by process: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in demo["peak_rss_by_process_mib"].items()))
    if tp and (keeper := tp.get("keeper_memory")):
        rows.append(["keeper (child process, Keeper.run_once over the lifecycle)", f"{keeper['peak_rss_mib']:.0f}",
                     f"kernel high-water mark {keeper['kernel_high_water_mark_mib']:.0f} MiB"])
    if rows:
        out.append(("Memory (peak RSS, psutil every 50 ms)", ["process", "peak MiB", ""], rows, notes))
    if (index := results.get("index")) and "catch_up" in index:
        out += _index_tables(index)
    if (app := results.get("app")) and "bundle" in app:
        out += _app_tables(app)
    return out


def _app_tables(app: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], list[str]]]:
    b, budgets = app["bundle"], app["budgets"]

    def verdict(value: float, budget: float) -> str:
        return "ok" if value <= budget else "OVER"

    rows = [["first load (shell, entry script and style sheet)", f"{b['first_load_bytes']:,}",
             f"{b['first_load_gzip_bytes']:,}", f"≤ {budgets['first_load_gzip_bytes']:,}",
             verdict(b["first_load_gzip_bytes"], budgets["first_load_gzip_bytes"])],
            ["all JavaScript", f"{b['js_bytes']:,}", f"{b['js_gzip_bytes']:,}", f"≤ {budgets['js_gzip_bytes']:,}",
             verdict(b["js_gzip_bytes"], budgets["js_gzip_bytes"])],
            ["all CSS", f"{b['css_bytes']:,}", f"{b['css_gzip_bytes']:,}", f"≤ {budgets['css_gzip_bytes']:,}",
             verdict(b["css_gzip_bytes"], budgets["css_gzip_bytes"])]]
    out = [("The dApp's bundle (app/dist)", ["what", "bytes", "gzip bytes", "budget", ""], rows,
            [f"first-load set: {', '.join(b['first_load'])}"])]
    loads = app["loads"]
    rows = []
    for kind in ("cold", "warm"):
        s = loads[kind]
        rows.append([kind, f"{s['ttfb']['p50']:.0f}", f"{s['dom_content_loaded']['p50']:.0f}",
                     f"{s['fcp']['p50']:.0f} / {s['fcp']['p95']:.0f}",
                     f"{s['first_row']['p50']:.0f} / {s['first_row']['p95']:.0f}",
                     f"{s['transferred_bytes_p50']:,}"])
    out.append((f"The marketplace's first load on loopback (Chromium {loads['chromium']}, {loads['repeats']} loads, "
                f"{app['loans']} loans)", ["load", "TTFB ms", "DOMContentLoaded ms", "FCP ms p50 / p95",
                                           "first loan row ms p50 / p95", "bytes over the wire"], rows,
                [f"budgets (p95): FCP ≤ {budgets['fcp_ms_p95']:,} ms, first loan row ≤ "
                 f"{budgets['first_row_ms_p95']:,} ms; cold: a new browser context (no cache, no service worker); "
                 "warm: a reload with both"]))
    return out


def _gas_by_chain(l1: dict[str, Any], separately: dict[str, Any] | None) -> tuple[str, list[str], list[list[str]], list[str]]:
    """The L1 data fee of each gas row's signed transaction on an OP-stack chain (Fjord) and on Arbitrum."""
    rows = [[r["operation"], f"{r['l2_gas']:,}", f"{r['signed_tx_bytes']:,}", f"{r['fastlz_bytes']:,}",
             f"{r['op_fjord_fee_wei']:,}", f"{r['op_fjord_fee_usd']:.6f}", f"{r['arbitrum_brotli_bytes']:,}",
             f"{r['arbitrum_fee_wei']:,}", f"{r['arbitrum_fee_usd']:.6f}"] for r in l1["rows"]]
    a = l1["assumptions"]
    f = l1["formulas"]
    floor = l1fees.fjord_estimated_size_scaled(0)
    floored = max(s for s in range(1, 1_000) if l1fees.fjord_estimated_size_scaled(s) == floor)
    notes = [f"OP stack: {a['op_stack']['label']}", f"Arbitrum: {a['arbitrum']['label']}", a["note"],
             (f"Fjord's floor: a transaction of at most {floored} FastLZ bytes is charged as "
              f"{l1fees.FJORD_MIN_TRANSACTION_SIZE} bytes"),
             f"OP stack (Fjord: OP Mainnet, Base): {f['op_stack_fjord']['formula']} ({f['op_stack_fjord']['source']})",
             (f"OP stack (Ecotone: {f['op_stack_ecotone']['applies_to']}; in results.json, not in the table): "
             f"{f['op_stack_ecotone']['formula']} ({f['op_stack_ecotone']['source']})"),
             f"Arbitrum ({f['arbitrum']['applies_to']}): {f['arbitrum']['formula']} ({f['arbitrum']['source']})",
             f"signed bytes: {l1['signed_bytes']}", l1["per_lender_rows"]]
    if separately:
        env = separately["environment"]
        notes.append(f"`{separately['command']}` ({separately['run_seconds']:.0f} s, {env['date_utc']} UTC, commit "
                     f"`{env['git_commit'][:7]}`{', uncommitted changes' if env['git_uncommitted_changes'] else ''}):"
                     f" {separately['note']}")
    return ("Gas by chain: L2 execution gas and the L1 data fee of the signed transaction (ASSUMED prices)",
            ["operation", "L2 gas", "signed tx bytes", "FastLZ bytes", "OP-stack L1 fee (wei)", "OP-stack L1 fee (USD)",
             "brotli bytes", "Arbitrum L1 fee (wei)", "Arbitrum L1 fee (USD)"], rows, notes)


def _index_tables(index: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], list[str]]]:
    c = index["catch_up"]
    out = [("Index catch-up on anvil (SQLite)", ["loans", "events", "blocks", "seconds", "events/s", "target"],
            [[f"{c['loans']:,}", f"{c['events']:,}", f"{c['blocks']:,}", f"{c['seconds']:.1f}",
              f"{c['events_per_s']:,}", f"≥ {c['target_events_per_s']:,}"]], [])]
    rows = [[p["backend"], f"{p['loans']:,}", f"{p['page_20_filtered']['p50_ms']:.2f}",
             f"{p['page_20_filtered']['p99_ms']:.2f}", f"{p['portfolio']['p50_ms']:.2f}",
             f"{p['portfolio']['p99_ms']:.2f}", f"≤ {p['target_page_p99_ms']}"] for p in index["pages"]]
    out.append(("Index reads (synthetic market through the write path)",
                ["database", "loans", "page p50 ms", "page p99 ms", "portfolio p50 ms", "portfolio p99 ms",
                 "page target"], rows, ["page: funding, grades B1-C5, newest first, 20 rows, random cursors"]))
    k = index["keeper_idle_pass"]
    rows = [[name, f"{v['requests']:,}", f"{v['seconds']:.3f}"] for name, v in k.items() if isinstance(v, dict)]
    out.append(("Keeper idle pass", ["reads from", "requests", "seconds"], rows,
                [k["chain_formula"], f"target ≤ {k['target_seconds_at_10000']} s at 10,000 loans"]))
    return out


_SDK_DRIVERS = {"raw": "raw (pre-signed, back to back)", "sdk_one_at_a_time": "SDK one at a time (loans.repay)",
                "sdk_pipelined": "SDK pipelined (client.batch())"}
# issue #13's targets: (driver, mining) -> (what, met?)
_SDK_TARGETS = {
    ("sdk_pipelined", "automine"): ("≥ 0.50 × raw, ≤ 2.5 req/tx",
                                    lambda r: r["ratio_to_raw"] >= 0.5 and r["sdk_requests_per_transaction"] <= 2.5),
    ("sdk_one_at_a_time", "automine"): ("≥ 0.50 × raw", lambda r: r["ratio_to_raw"] >= 0.5),
    ("sdk_pipelined", "block_time_1s"): ("≥ 100 tx/s, ≤ 2.5 req/tx",
                                         lambda r: r["tx_per_s"] >= 100 and r["sdk_requests_per_transaction"] <= 2.5),
}


def _sdk_tables(sdk: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], list[str]]]:
    out = []
    before = sdk.get("before_quoted_from_issue_13", {})
    titles = {"automine": ("SDK writes: the same makeRepayment transactions three ways, fresh anvil, automine",
                           before.get("writes_automine")),
              "block_time_1s": ("SDK writes with a block every second", before.get("writes_blocks"))}
    for key, (title, quoted) in titles.items():
        table = sdk["writes"][key]
        rows = []
        for r in table["rows"]:
            target, met = _SDK_TARGETS.get((r["driver"], key), ("", None))
            rows.append([_SDK_DRIVERS.get(r["driver"], r["driver"]), f"{r['transactions']:,}", f"{r['seconds']:.2f}",
                         f"{r['tx_per_s']:.1f}", f"{r['ratio_to_raw']:.2f}",
                         f"{r['sdk_requests_per_transaction']:.2f}" if "sdk_requests_per_transaction" in r else "-",
                         f"{r['blocks']:,}", target, "" if met is None else ("met" if met(r) else "MISSED")])
        runs = "; ".join(f"{_SDK_DRIVERS.get(r['driver'], r['driver']).split(' (')[0]} "
                         f"{', '.join(f'{x:g}' for x in r['tx_per_s_every_run'])}" for r in table["rows"])
        notes = [(f"{table['mining']}; each row is the median of its runs (drivers alternating, each from the same "
                 f"snapshot with a fresh client); tx/s of every run: {runs}")]
        if key == "automine":
            gas = {r["driver"]: r.get("gas_limit") for r in table["rows"]}
            notes.append(sdk["what"])
            notes.append(f"req/tx: the SDK's HTTP requests per transaction (a JSON-RPC batch is one); raw transactions "
                         f"carry a {gas.get('raw') or 0:,} gas limit (2 × estimate + 10,000), the pipelined SDK's "
                         f"fresh client gave up to {gas.get('sdk_pipelined') or 0:,} (nothing learned yet)")
        else:
            notes.append("one at a time waits for a block per transaction, so it runs fewer transactions")
        if quoted:
            notes.append(f"before (quoted from issue #13, not re-measured): {quoted}")
        out.append((title, ["driver", "transactions", "seconds", "tx/s", "× raw", "req/tx", "blocks", "target", ""],
                    rows, notes))
    reads = sdk["reads"]

    def row(label: str, key: str, quoted: str = "-") -> list[str]:
        r = reads[key]
        requests = (f"{r['requests_max']}" if r["requests_max"] == r["requests_mean"]
                    else f"{r['requests_mean']:g} (max {r['requests_max']})")
        return [label, requests, f"{r['ms_p50']:.1f}", f"{r.get('ms_p99', r['ms_max']):.1f}", quoted]

    rows = [row(f"loans.get(id), first read of the id ({reads['get_cold']['samples']} ids)", "get_cold",
                before.get("get", "-")),
            row("loans.get(id), the same ids again (address cached)", "get_warm"),
            row(f"loans.list(limit=20): the newest page ({reads['page_20']['items']} loans)", "page_20"),
            row("loans.list(limit=20, cursor=page.next_cursor): the next page", "page_20_next"),
            row("loans.list(status=FUNDING, limit=20)", "page_20_funding"),
            row(f"every loan: loans.iterate(page_size=100) ({reads['every_loan']['items']} loans)", "every_loan",
                before.get("all", "-")),
            row(f"lenders.portfolio(lender with notes in {reads['portfolio']['loans_held']} loans)", "portfolio",
                before.get("portfolio", "-"))]
    notes = [(f"requests: HTTP round trips the SDK made (client.rpc.requests; a JSON-RPC batch is one), Multicall3 at "
             f"its canonical address; Disfruta.connect itself makes {reads['connect_requests']} (chain id, token "
             "decimals)"),
             ("p99: of 100 ids for loans.get; of the other rows (10 runs each) the max; the market: the write loans "
             "(active, repaid into) plus loans in bulk (every third of them pending, the rest funding, each with a note)"),
             "before: the figures issue #13 gives for the SDK before the rewrite, quoted, not re-measured"]
    out.append((f"SDK reads at {reads['loans']:,} loans", ["read", "requests", "p50 ms", "p99 ms",
                                                           "before (issue #13, quoted)"], rows, notes))
    return out


def render_text(results: dict[str, Any]) -> str:
    blocks = []
    for title, header, rows, notes in tables(results):
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        text = [title, _line(header, widths, numeric), "  ".join("-" * w for w in widths)]
        text += [_line(r, widths, numeric) for r in rows] + [f"  * {n}" for n in notes]
        blocks.append("\n".join(text))
    return "\n\n".join(blocks)


def _line(cells: list[str], widths: list[int], numeric: list[bool]) -> str:
    cells = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True)]
    return "  ".join(cells).rstrip()


def render_markdown(results: dict[str, Any]) -> str:
    blocks = []
    for title, header, rows, notes in tables(results):
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        text = [f"**{title}**", "", "| " + " | ".join(header) + " |",
                "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
        text += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        if notes:
            text += [""] + [f"- {n}" for n in notes]
        blocks.append("\n".join(text))
    env = results.get("environment", {})
    if env:
        blocks.append(f"Measured {env.get('date_utc')} UTC on {env.get('cores_logical')} cores ({env.get('cpu')}), "
                      f"{env.get('memory_gib')} GiB, Python {env.get('python')}, {env.get('anvil')}, commit "
                      f"`{str(env.get('git_commit'))[:10]}`; whole run {results.get('run_seconds', 0):.0f} s.")
    return "\n\n".join(blocks)


def _is_number(cell: str) -> bool:
    text = cell.replace(",", "").replace(".", "").replace(" / ", "").replace("-", "")
    return text.isdigit() or cell == "-"
