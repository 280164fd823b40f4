#!/usr/bin/env bash
# Bounded security checks for CI (issue #9): the Foundry invariant campaign (DESIGN.md invariants 1-8), halmos over
# InterestMath, and slither with the accepted-findings policy. Exits non-zero when any of them fails.
# The Python security tests (access matrix, adversarial, oracle faults) run with the rest in `pytest -n 2 tests`.
#
#   tools/ci-security.sh            bounded (CI): invariants runs=16 depth=40, halmos on a time budget, slither
#   FOUNDRY_PROFILE=deep ... / scripts/verify.sh   the deep campaign (`make verify`)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$ROOT/.venv/bin:$PATH" SOLCX_BINARY_PATH="$ROOT/.solcx"
export FOUNDRY_PROFILE="${FOUNDRY_PROFILE:-ci}"
HALMOS_TIMEOUT_MS="${HALMOS_TIMEOUT_MS:-10000}"   # per solver query
# Which proofs (regex): CI runs three on a small budget; scripts/verify.sh runs them all with a larger one.
HALMOS_MATCH="${HALMOS_MATCH:-^check_(payment_noOverflow|schedule_|zeroRate_)}"
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
forge build >/dev/null
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
# A counterexample fails the build; a proof the solver can't finish within the budget is reported as unproven
# (the bounds and the solver limits are in SECURITY.md).
echo "== halmos (solver budget ${HALMOS_TIMEOUT_MS} ms per query)"
"$SEC_VENV/bin/halmos" --forge-build-out out-forge --contract InterestMathSymbolic --match-test "$HALMOS_MATCH" \
  --solver-timeout-assertion "$HALMOS_TIMEOUT_MS" --json-output /tmp/disfruta-halmos.json \
  > /tmp/disfruta-halmos.log 2>&1 || true
sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -E '^\[(PASS|FAIL|TIMEOUT|ERROR)\]|Counterexample' || true
proved=$(sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -c '^\[PASS\]' || true)
timeouts=$(sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -c '^\[TIMEOUT\]' || true)
cexs=$(sed 's/\x1b\[[0-9;]*m//g' /tmp/disfruta-halmos.log | grep -cE '^\[FAIL\]|^\[ERROR\]' || true)
echo "halmos: $proved proved, $timeouts unproven within the budget, $cexs failed (counterexample or error)"
if [ "$cexs" -ne 0 ] || ! grep -q "Running" /tmp/disfruta-halmos.log; then
  echo "halmos FAILED (full log: /tmp/disfruta-halmos.log)"; status=1
fi

# --- 3. slither with the accepted-findings policy -------------------------------------------------------------
echo "== slither"
"$SEC_VENV/bin/slither" . --foundry-ignore-compile --json /tmp/disfruta-slither.json > /tmp/disfruta-slither.log 2>&1 || true
if ! "$SEC_VENV/bin/python" tools/slither_gate.py /tmp/disfruta-slither.json; then
  echo "slither FAILED (full log: /tmp/disfruta-slither.log)"; status=1
fi

exit $status
