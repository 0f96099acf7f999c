#!/usr/bin/env bash
# Vectors for the social catalogue (facebook, instagram, whatsapp, twitter, microsoft-teams,
# azure-event-grid, telegram, microsoft-graph) from the senders' docs; Python stdlib only.
# Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: gen.sh OUT_DIR}"
python3 "$HERE/gen.py" "$OUT"
