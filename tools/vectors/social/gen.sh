#!/usr/bin/env bash
# Vectors for the social catalogue (facebook, instagram, whatsapp, twitter, microsoft-teams,
# azure-event-grid, telegram, microsoft-graph) from the senders' docs (gen.py, Python stdlib),
# then the twitter file cross-checked by X's own `twitter-autohook` (check_twitter.mjs; npm ci of
# package-lock.json into ./node_modules when it changed).
# Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
python3 "$HERE/gen.py" "$OUT"
ensure_node_modules "$HERE"
TZ=UTC node "$HERE/check_twitter.mjs" "$OUT"
