#!/usr/bin/env bash
# Vectors from npm SDKs: hubspot, square, linear, mux, notion, contentful, box, coinbase,
# razorpay, shopify.  Installs the exact tree of package-lock.json (npm ci) when it changed,
# then runs gen.mjs.  Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
ensure_node_modules "$HERE"
TZ=UTC node "$HERE/gen.mjs" "$OUT"
