#!/usr/bin/env bash
# Vectors for mailchimp, hostedhooks, pinwheel, hygraph (@hygraph/utils, pinned) and vmware.
# Installs the exact tree of package-lock.json (npm ci) when it changed, then runs gen.mjs.
# Usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: gen.sh OUT_DIR}"
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"; then
  echo "extra-b/gen.sh: installing node_modules (npm ci)" >&2
  (cd "$HERE" && npm ci --silent --no-audit --no-fund --ignore-scripts)
  cp "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"
fi
TZ=UTC node "$HERE/gen.mjs" "$OUT"
