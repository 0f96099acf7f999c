#!/usr/bin/env bash
# Vectors for the token senders: netlify, monday (PyJWT, pinned), chargebee, pipedrive,
# postmark (Basic auth, stdlib). Creates its own venv from requirements.txt when that changed,
# then runs gen.py.  Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
VENV="${VECTORS_TOKENS_VENV:-$HERE/.venv}"
ensure_venv "$VENV" "$HERE/requirements.txt"
TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$HERE/gen.py" "$OUT"
