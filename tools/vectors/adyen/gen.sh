#!/usr/bin/env bash
# Vectors for adyen, made and checked with Adyen's npm SDK (@adyen/api-library, pinned in
# package.json / package-lock.json).  Installs that exact tree (npm ci) when the lock file
# changed, then runs gen.mjs.  Usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
ensure_node_modules "$HERE"
TZ=UTC node "$HERE/gen.mjs" "$OUT"
