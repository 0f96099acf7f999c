#!/usr/bin/env bash
# Vectors for the extra-a catalogue: orbit, go1 (Python stdlib, from the senders' docs) and
# plivo (signed and verified by PyPI plivo, pinned). Creates its own venv from requirements.txt
# when that changed, then runs gen.py.  Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
VENV="${VECTORS_EXTRA_A_VENV:-$HERE/.venv}"
ensure_venv "$VENV" "$HERE/requirements.txt"
TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$HERE/gen.py" "$OUT"
