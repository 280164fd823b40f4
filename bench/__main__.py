"""``python -m bench`` (``make bench``): gas, scale, throughput, SDK speed, oracle, memory and index benchmarks.

Prints one progress line per step and the tables at the end, and writes ``bench/results.json``. Targets are
compared, never enforced: the exit code is non-zero only when a section could not run.

    python -m bench                      # everything (a few minutes)
    python -m bench --only gas,scale     # some sections
    python -m bench --markdown           # the last results.json as Markdown tables (for the README)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import environment, render_markdown, render_text

SECTIONS = ("gas", "scale", "throughput", "sdk", "oracle", "memory", "index", "app")
DEFAULT_OUT = Path(__file__).resolve().parent / "results.json"
SCALE_GAS_LIMIT = 200_000_000  # the gas/scale node's blocks: room to measure the push loop past mainnet's 30 M


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the results (JSON)")
    parser.add_argument("--markdown", action="store_true", help="print --out as Markdown and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        print(render_markdown(json.loads(args.out.read_text())))
        return 0
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[bench {time.perf_counter() - started:6.1f} s] {message}", flush=True)

    results: dict[str, Any] = {"environment": environment()}
    failed: list[str] = []

    def section(name: str, run: Callable[[], Any]) -> Any:
        try:
            return run()
        except Exception as exc:  # noqa: BLE001 - a broken section is reported and the others still run
            traceback.print_exc()
            log(f"{name}: FAILED ({exc!r})")
            results[name] = {"error": repr(exc)}
            failed.append(name)
            return None

    demo = None
    if "memory" in only:  # deterministic sections run meanwhile; the timed ones wait for the demo to end
        from bench.memory import DemoRun

        demo = DemoRun.start(Path(tempfile.mkdtemp(prefix="disfruta-bench-")) / "demo.log")
        log("memory: `disfruta demo` started in the background (its process tree is sampled)")
    if only & {"gas", "scale"}:
        section("gas+scale", lambda: _gas_and_scale(only, results, log))
    if demo is not None:
        log("memory: waiting for `disfruta demo` to finish")
        results["memory"] = {"demo": demo.finish()}
        log(f"memory: demo done (exit {results['memory']['demo']['exit_code']})")
        if results["memory"]["demo"]["exit_code"] != 0:
            failed.append("memory")
    if "throughput" in only:
        from bench.throughput import measure_throughput

        tp = section("throughput", lambda: measure_throughput(log))
        if tp is not None:
            results["throughput"] = tp.as_json()
            results.setdefault("memory", {})["keeper"] = results["throughput"]["keeper_memory"]
    if "sdk" in only:
        from bench.sdk_speed import measure_sdk

        sdk = section("sdk", lambda: measure_sdk(log))
        if sdk is not None:
            results["sdk"] = sdk
            log("sdk: done")
    if "oracle" in only:
        from bench.oracle_load import measure_oracle

        oracle = section("oracle", lambda: measure_oracle(log))
        if oracle is not None:
            results["oracle"] = oracle.as_json()
            log("oracle: load done")

    if "index" in only:
        from bench.index import measure_index

        index = section("index", lambda: measure_index(log))
        if index is not None:
            results["index"] = index
            log("index: done")

    if "app" in only:
        from bench.app import measure_app

        app = section("app", lambda: measure_app(log))
        if app is not None:
            results["app"] = app
            log("app: done")

    results["run_seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print()
    print(render_text(results))
    print(f"\nwrote {args.out}; whole run {results['run_seconds']:.0f} s"
          + (f"; FAILED sections: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _gas_and_scale(only: set[str], results: dict[str, Any], log: Callable[[str], None]) -> None:
    from disfruta.governance.market import MarketParams

    from bench.gas import MeasuredTx, measure_gas, sender_accounts
    from bench.l1data import measure_l1_data
    from bench.market import deploy_markets
    from bench.node import Anvil
    from bench.scale import measure_scale

    with Anvil(gas_limit=SCALE_GAS_LIMIT) as node:
        node.auto_impersonate()
        specs = {}
        if "gas" in only:
            specs["gas"] = MarketParams()
        if "scale" in only:  # room for 1,000-note loans and many of them per borrower
            specs["scale"] = MarketParams(min_amount_tokens=1_000, max_amount_tokens=1_000_000)
        markets = deploy_markets(node, specs)
        log(f"gas+scale: anvil on {node.uri}, markets deployed through ape ({', '.join(specs)})")
        if "gas" in only:
            measured: list[MeasuredTx] = []
            rows = measure_gas(markets["gas"], log, measured)
            results["gas"] = [row.as_json() for row in rows]
            results["l1_data"] = measure_l1_data(node, measured, sender_accounts(), rows, log)
        if "scale" in only:
            results["scale"] = measure_scale(markets["scale"], log).as_json()


if __name__ == "__main__":
    raise SystemExit(main())
