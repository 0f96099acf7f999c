#!/usr/bin/env bash
# Regenerate tests/fixtures/vectors/*.json with the providers' own (pinned) SDKs.
#
#   tools/vectors/generate.sh          # install pinned SDKs if needed, regenerate, cross-check, write
#   tools/vectors/generate.sh --check  # regenerate into a temp dir and diff against the committed files
#
# Needs python3 (3.11; the pins were frozen with it) with venv, and node >= 20 with npm.  SDKs go into
# tools/vectors/.venv and tools/vectors/node_modules (both gitignored); override the venv
# location with VECTORS_VENV=/some/dir.  Output never depends on the current time.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="$REPO/tests/fixtures/vectors"
VENV="${VECTORS_VENV:-$HERE/.venv}"
FILES=(stripe.json github.json standard-webhooks.json svix.json tolinku.json)

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

log() { echo "generate.sh: $*" >&2; }

# --- Python SDKs (exact tree from requirements.txt) -------------------------------------
if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"; then
  log "creating venv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    -r "$HERE/requirements.txt"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  cp "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"
fi

# --- Node SDKs (exact tree from package-lock.json) --------------------------------------
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"; then
  log "installing node_modules (npm ci)"
  (cd "$HERE" && npm ci --silent --no-audit --no-fund --ignore-scripts)
  cp "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"
fi

# --- generate into a temp dir, cross-check there, then publish ---------------------------
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Keep the SDKs' own environment from leaking in (timezone / locale never matter, but pin anyway).
export TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1

"$VENV/bin/python" "$HERE/gen_py.py" "$TMP"      # stripe, standard-webhooks, svix (+ SDK verify)
node "$HERE/gen_node.mjs" "$TMP"                 # github, tolinku (+ SDK / docs verify)
"$VENV/bin/python" "$HERE/crosscheck.py" "$TMP"  # independent stdlib re-derivation, shape check
node "$HERE/check_stripe_npm.mjs" "$TMP"         # stripe.json against npm stripe

if [[ $mode == check ]]; then
  status=0
  for f in "${FILES[@]}"; do
    if ! cmp -s "$TMP/$f" "$OUT/$f"; then
      log "DIFFERS: tests/fixtures/vectors/$f"
      diff -u "$OUT/$f" "$TMP/$f" | head -40 >&2 || true
      status=1
    fi
  done
  [[ $status == 0 ]] && log "check OK: committed fixtures are exactly what the generator produces"
  exit $status
fi

mkdir -p "$OUT"
for f in "${FILES[@]}"; do
  cp "$TMP/$f" "$OUT/$f"
done
log "wrote ${FILES[*]} to tests/fixtures/vectors/"
