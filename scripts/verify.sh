#!/usr/bin/env bash
# `make verify`: the deep security campaign. Runs tools/ci-security.sh with the deep Foundry profile (runs=256,
# depth=100 per invariant), every halmos proof with a larger solver budget, and slither; then prints the counts:
# invariant calls made and invariants held, proofs finished, findings.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
FOUNDRY_PROFILE=deep HALMOS_MATCH="${HALMOS_MATCH:-^check_}" HALMOS_TIMEOUT_MS="${HALMOS_TIMEOUT_MS:-120000}" \
  tools/ci-security.sh 2>&1 | tee /tmp/disfruta-verify.log
rc=${PIPESTATUS[0]}
echo "== verify: $( [ "$rc" -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - start )) s"
grep -E '^(invariants|halmos|slither):' /tmp/disfruta-verify.log
exit "$rc"
