#!/usr/bin/env bash
# `make verify`: the deep security campaign. Runs tools/ci-security.sh with the deep Foundry profile (runs=256,
# depth=100 per invariant), every halmos proof, slither and the mutation check; then prints the counts: invariant
# calls made and invariants held, proofs, findings, mutants killed.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
FOUNDRY_PROFILE=deep tools/ci-security.sh 2>&1 | tee /tmp/disfruta-verify.log
rc=${PIPESTATUS[0]}
echo "== verify: $( [ "$rc" -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - start )) s"
grep -E '^(invariants|halmos|slither|mutation):' /tmp/disfruta-verify.log
exit "$rc"
