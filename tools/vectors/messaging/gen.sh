#!/usr/bin/env bash
# Vectors for messaging / email / collaboration senders (line, zendesk, customerio, front,
# helpscout, nylas, webex, telnyx, pusher, clickup, frameio, tiktok, trello, docusign,
# mandrill).  Installs the exact tree of package-lock.json (npm ci) when it changed, then runs
# gen.mjs.  Usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
ensure_node_modules "$HERE"
TZ=UTC node "$HERE/gen.mjs" "$OUT"
