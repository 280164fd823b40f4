#!/usr/bin/env bash
# The core install as `pip install disfruta` gives it, on every Python the core supports: builds the wheel, installs it
# alone (no extras) into a fresh venv per interpreter, prints its package count and size, imports the core, checks
# that commands of a missing extra say which one, and runs the README's SDK example against a market on anvil
# (tests/test_readme.py -k core). Called by .ci/run after `make test` (which set up .venv, anvil and solc).
#
#   bash tools/check_core_install.sh                 # 3.12 and 3.13 required, 3.10 when pyenv has it (CI: required)
#   CORE_PYTHON_VERSIONS="3.13" bash tools/check_core_install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export SOLCX_BINARY_PATH="$ROOT/.solcx"
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PYTHONPATH PIP_CONSTRAINT

# CI requires every Python the core declares that pyenv has here (3.10 too); elsewhere 3.10 is optional.
if [ -n "${CI:-}" ]; then DEFAULT_REQUIRED="3.12 3.13 3.10"; DEFAULT_OPTIONAL=""; else DEFAULT_REQUIRED="3.12 3.13"; DEFAULT_OPTIONAL="3.10"; fi
REQUIRED=${CORE_PYTHON_VERSIONS:-$DEFAULT_REQUIRED}
OPTIONAL=${CORE_PYTHON_OPTIONAL-$DEFAULT_OPTIONAL}
TARGET_PACKAGES=40  # DESIGN.md: the core install stays small
WORK=$(mktemp -d "${TMPDIR:-/tmp}/disfruta-core.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "check_core_install: $*" >&2; exit 1; }

# Packages of a venv (pip and setuptools excluded) and the size of its site-packages in MB.
count_packages() {
  "$1" - <<'PY'
import importlib.metadata as m
print(len({d.metadata["Name"].lower().replace("_", "-") for d in m.distributions()} - {"pip", "setuptools"}))
PY
}
# How many of them web3 brings (itself and its dependencies, as installed).
web3_closure() {
  "$1" - <<'PY'
import importlib.metadata as m
import re

dists = {d.metadata["Name"].lower().replace("_", "-"): d for d in m.distributions()}
seen, todo = set(), ["web3"]
while todo:
    name = todo.pop()
    if name in seen or name not in dists:
        continue
    seen.add(name)
    for req in dists[name].requires or []:
        if "extra ==" not in req:
            todo.append(re.split(r"[ ;<>=!~\[(]", req.strip())[0].lower().replace("_", "-"))
print(len(seen))
PY
}
site_mb() { du -sm "$("$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" | cut -f1; }

# A pyenv interpreter by version: pyenv's shims would need `pyenv local`, so take the newest matching build's path.
find_python() {
  local version=$1 root candidate
  root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  candidate=$(ls -d "$root"/versions/"$version".*/bin/python"$version" 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$candidate" ] && command -v "python$version" >/dev/null; then
    candidate=$(command -v "python$version")
  fi
  echo "$candidate"
}

# 1. The wheel, built from the project's files (a copy, so the checkout gets no build/ directory).
echo "== building the wheel"
mkdir -p "$WORK/src" "$WORK/dist"
git ls-files -z --cached --others --exclude-standard -- pyproject.toml README.md sdk \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | xargs -0 cp --parents -t "$WORK/src"
python -m build --wheel --outdir "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 \
  || { tail -n 40 "$WORK/build.log"; fail "the wheel did not build"; }
WHEEL=$(ls "$WORK"/dist/disfruta-*.whl)
echo "   $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) kB)"

# 2. A venv per interpreter with the wheel alone.
declare -a ROWS=() PYTHONS=()
install_core() {
  local version=$1 python=$2 venv="$WORK/venv-$1" start seconds packages mb
  echo "== Python $version: $python"
  "$python" -m venv "$venv"
  start=$(date +%s)
  "$venv/bin/python" -m pip install --quiet "$WHEEL" >"$WORK/pip-$version.log" 2>&1 \
    || { tail -n 40 "$WORK/pip-$version.log"; fail "pip install of the wheel failed on Python $version"; }
  seconds=$(( $(date +%s) - start ))
  packages=$(count_packages "$venv/bin/python")
  mb=$(site_mb "$venv/bin/python")
  echo "   installed in ${seconds} s: $packages packages (pip, setuptools excluded), site-packages $mb MB"

  # The core imports, signs with coincurve, and carries no extra's package.
  (cd "$WORK" && "$venv/bin/python" - <<'PY') || fail "the core does not import on Python $version"
import importlib.util
import disfruta, disfruta.cli, disfruta.client, disfruta.deployment, disfruta.keeper, disfruta.oracle_client
import disfruta.returns, disfruta.siwe
from disfruta.abi import abi_of
from eth_keys.backends import get_backend
assert "site-packages" in disfruta.__file__, disfruta.__file__
assert "CoinCurve" in type(get_backend()).__name__, f"eth-keys signs with {type(get_backend()).__name__}"
abi_of("IERC20Metadata"), abi_of("Multicall3")
extras = [m for m in ("ape", "fastapi", "sqlalchemy", "alembic", "psycopg", "pandas", "sklearn", "optbinning",
                      "scorecardpy", "safe_eth", "uvicorn", "limits") if importlib.util.find_spec(m)]
assert not extras, f"extra packages in the core install: {extras}"
print(f"   import ok: disfruta {disfruta.__version__}, eth-keys backend {type(get_backend()).__name__}")
PY
  # Each extra's command says, in one line, which extra it needs.
  "$venv/bin/disfruta" --help >/dev/null || fail "disfruta --help failed on Python $version"
  local args extra out
  for spec in "oracle serve:oracle" "credit train:credit" "deploy:governance" "demo:all"; do
    args=${spec%%:*} extra=${spec##*:}
    # shellcheck disable=SC2086  # the command's words
    out=$(cd "$WORK" && "$venv/bin/disfruta" $args 2>&1) && fail "disfruta $args succeeded without the [$extra] extra"
    [ "$out" = "Error: this command needs the [$extra] extra: pip install 'disfruta[$extra]'" ] \
      || fail "disfruta $args on the core install said: $out"
  done
  echo "   disfruta --help ok; oracle/credit/deploy/demo name their extra in one line"
  ROWS+=("$version|$("$venv/bin/python" -c 'import platform; print(platform.python_version())')|$packages|$mb|$seconds")
  PYTHONS+=("$venv/bin/python")
}

for version in $REQUIRED; do
  python=$(find_python "$version")
  [ -n "$python" ] || fail "no Python $version found (pyenv install $version, or put python$version on PATH)"
  install_core "$version" "$python"
done
for version in $OPTIONAL; do
  python=$(find_python "$version")
  if [ -n "$python" ]; then install_core "$version" "$python"; else echo "== Python $version: not found, skipped"; fi
done

# 3. The README's SDK example, run by each core interpreter against a market on anvil.
echo "== the README's SDK example with the core install alone"
CORE_PYTHONS=$(IFS=:; echo "${PYTHONS[*]}")
set +e
DISFRUTA_CORE_PYTHONS="$CORE_PYTHONS" python -m pytest -q -p no:cacheprovider tests/test_readme.py -k core \
  2>&1 | tee "$WORK/readme.log" | grep -v "^INFO:"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "the README example failed on a core install (pytest exit $status)"
# One run per interpreter and per market token (6 and 18 decimals); none may be skipped.
passed=$(grep -Eo '^[0-9]+ passed' "$WORK/readme.log" | cut -d' ' -f1 || true)
expected=$(( 2 * ${#PYTHONS[@]} ))
{ [ "${passed:-0}" -eq "$expected" ] && ! grep -Eq '[0-9]+ skipped' "$WORK/readme.log"; } \
  || fail "expected the README example to pass $expected times (${#PYTHONS[@]} core installs × 6 and 18 decimals), none skipped; got ${passed:-0}"

# 4. The table.
full_packages=$(count_packages "$ROOT/.venv/bin/python")
full_mb=$(site_mb "$ROOT/.venv/bin/python")
echo
echo "Core install (pip install disfruta: the wheel, no extras) against the full development install"
printf '%-8s %-9s %9s %9s %10s  %s\n' "python" "version" "packages" "size MB" "install s" "README example"
for row in "${ROWS[@]}"; do
  IFS='|' read -r version full packages mb seconds <<<"$row"
  printf '%-8s %-9s %9s %9s %10s  %s\n' "$version" "$full" "$packages" "$mb" "$seconds" "passed"
done
printf '%-8s %-9s %9s %9s %10s  %s\n' "3.11" "$(python -c 'import platform; print(platform.python_version())')" \
  "$full_packages" "$full_mb" "-" "(.venv: .[all,dev], what make test uses)"
max_packages=0
for row in "${ROWS[@]}"; do
  IFS='|' read -r _ _ packages _ _ <<<"$row"
  [ "$packages" -gt "$max_packages" ] && max_packages=$packages
done
if [ "$max_packages" -le "$TARGET_PACKAGES" ]; then
  echo "packages: at most $max_packages, within the target of $TARGET_PACKAGES"
else
  echo "packages: $max_packages, over the target of $TARGET_PACKAGES: web3 alone brings $(web3_closure "${PYTHONS[0]}")" \
       "(itself and its dependencies); the rest are the core's click, rich, httpx, coincurve, pyxirr, prometheus-client and theirs"
fi
