#!/usr/bin/env bash
# Vectors for adyen, made and checked with Adyen's npm SDK (@adyen/api-library, pinned in
# package.json / package-lock.json).  Installs that exact tree (npm ci) when the lock file
# changed, then runs gen.mjs.  Usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: gen.sh OUT_DIR}"
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"; then
  echo "adyen/gen.sh: installing node_modules (npm ci)" >&2
  (cd "$HERE" && npm ci --silent --no-audit --no-fund --ignore-scripts)
  cp "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"
fi
TZ=UTC node "$HERE/gen.mjs" "$OUT"
