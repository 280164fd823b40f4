#!/usr/bin/env bash
# Security checks for CI (issue #9): the Foundry invariant campaign (DESIGN.md invariants 1-8), the halmos proofs of
# InterestMath, slither with the accepted-findings policy, and the mutation check of the security tests. Exits
# non-zero when any of them fails. The Python security tests (access matrix, adversarial, oracle faults) run with the
# rest in `pytest -n 2 tests`.
#
#   tools/ci-security.sh            CI: invariants runs=16 depth=40, every proof, slither, every mutant
#   FOUNDRY_PROFILE=deep ... / scripts/verify.sh   the deep campaign (`make verify`)
#   MUTATION=0 tools/ci-security.sh                without the mutation check (it takes ~7 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$ROOT/.venv/bin:$PATH" SOLCX_BINARY_PATH="$ROOT/.solcx"
export FOUNDRY_PROFILE="${FOUNDRY_PROFILE:-ci}"
HALMOS_TIMEOUT_MS="${HALMOS_TIMEOUT_MS:-60000}"   # per solver query (each proof takes about a second)
HALMOS_MATCH="${HALMOS_MATCH:-^check_}"             # which proofs (regex)
SEC_VENV="$ROOT/.venv-sec"
status=0

# --- tools: halmos and slither in their own venv (their pins differ from eth-ape's lock) ---------------------------
if [ ! -x "$SEC_VENV/bin/slither" ] || [ ! -x "$SEC_VENV/bin/halmos" ] \
   || [ tools/security-requirements.txt -nt "$SEC_VENV/.installed" ]; then
  python3.11 -m venv "$SEC_VENV"
  "$SEC_VENV/bin/pip" install --quiet --upgrade pip
  "$SEC_VENV/bin/pip" install --quiet -r tools/security-requirements.txt
  touch "$SEC_VENV/.installed"
fi
test -x .solcx/solc-v0.8.28 || { echo "run 'make setup' first (.solcx/solc-v0.8.28 missing)"; exit 1; }

# --- one compile for forge, halmos and slither (foundry.toml asks for AST, storage layout and build info) ----------
# A fresh build info: forge keeps the build infos of earlier incremental builds, and slither reading an old one beside
# the new would analyse stale code (its line numbers no longer match the inline suppressions).
rm -rf out-forge/build-info
forge build --force >/dev/null
# Keep only the full build info: crytic-compile reads every file there, and partial ones from incremental builds
# (written without the compiler output) make it fail.
python3 - <<'PY'
import json, pathlib
for f in pathlib.Path("out-forge/build-info").glob("*.json"):
    if "output" not in json.loads(f.read_text()):
        f.unlink()
PY

# --- 1. invariant campaign ---------------------------------------------------------------------------------------
echo "== forge invariant campaign (profile $FOUNDRY_PROFILE)"
if forge test --match-path 'test/invariant/*' 2>&1 | tee /tmp/disfruta-invariants.log | grep -E '^\[(PASS|FAIL)|Suite result|Ran '; then :; fi
if ! grep -q "Suite result: ok" /tmp/disfruta-invariants.log || grep -q '^\[FAIL' /tmp/disfruta-invariants.log; then
  echo "invariant campaign FAILED (full log: /tmp/disfruta-invariants.log)"; sed -n '/\[FAIL/,/^$/p' /tmp/disfruta-invariants.log
  status=1
fi
calls=$(grep -oE 'calls: [0-9]+' /tmp/disfruta-invariants.log | awk '{s+=$2} END {print s+0}')
held=$(grep -cE '^\[PASS\] invariant_' /tmp/disfruta-invariants.log || true)
echo "invariants: $held held, $calls handler calls"

# --- 2. halmos (symbolic proofs of InterestMath) ------------------------------------------------------------------
# Every proof must be proved: a counterexample, an error or a query the solvers cannot settle within the budget fails
# the build. The queries go to a cvc5/yices portfolio (tools/smt_portfolio.py; why two solvers: SECURITY.md).
echo "== halmos (solver budget ${HALMOS_TIMEOUT_MS} ms per query, cvc5 + yices portfolio)"
"$SEC_VENV/bin/halmos" --forge-build-out out-forge --contract InterestMathSymbolic --match-test "$HALMOS_MATCH" \
  --solver-command "$SEC_VENV/bin/python $ROOT/tools/smt_portfolio.py" \
  --solver-timeout-assertion "$HALMOS_TIMEOUT_MS" --json-output /tmp/disfruta-halmos.json \
  > /tmp/disfruta-halmos.log 2>&1 || true
sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -E '^\[(PASS|FAIL|TIMEOUT|ERROR)\]|Counterexample' || true
proved=$(sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -c '^\[PASS\]' || true)
timeouts=$(sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -c '^\[TIMEOUT\]' || true)
cexs=$(sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -cE '^\[FAIL\]|^\[ERROR\]' || true)
echo "halmos: $proved proved, $timeouts unproven within the budget, $cexs failed (counterexample or error)"
if [ "$cexs" -ne 0 ] || [ "$timeouts" -ne 0 ] || [ "$proved" -eq 0 ]; then
  echo "halmos FAILED (full log: /tmp/disfruta-halmos.log)"; status=1
fi

# --- 3. slither with the accepted-findings policy -------------------------------------------------------------
echo "== slither"
# slither refuses to overwrite its JSON report: a stale one from an earlier run would be gated instead of this run's
rm -f /tmp/disfruta-slither.json
"$SEC_VENV/bin/slither" . --foundry-ignore-compile --json /tmp/disfruta-slither.json > /tmp/disfruta-slither.log 2>&1 || true
if ! "$SEC_VENV/bin/python" tools/slither_gate.py /tmp/disfruta-slither.json; then
  echo "slither FAILED (full log: /tmp/disfruta-slither.log)"; status=1
fi

# --- 4. mutation check: each protection removed on a throwaway copy must make its security tests fail -------------
if [ "${MUTATION:-1}" != 0 ]; then
  echo "== mutation check of the security tests"
  if ! "$ROOT/.venv/bin/python" tools/mutation_check.py 2>&1 | tee /tmp/disfruta-mutation.log; then
    echo "mutation check FAILED (full log: /tmp/disfruta-mutation.log)"; status=1
  fi
  sed -nE 's/^([0-9]+) mutations, ([0-9]+) killed, ([0-9]+) survived.*/mutation: \2 of \1 mutants killed, \3 survived/p' \
    /tmp/disfruta-mutation.log
fi

exit $status
