#!/usr/bin/env bash
# Vectors for the extra-a catalogue: orbit, go1 (Python stdlib, from the senders' docs) and
# plivo (signed and verified by PyPI plivo, pinned). Creates its own venv from requirements.txt
# when that changed, then runs gen.py.  Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: gen.sh OUT_DIR}"
VENV="${VECTORS_EXTRA_A_VENV:-$HERE/.venv}"
if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"; then
  echo "extra-a/gen.sh: creating venv $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$HERE/requirements.txt"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  cp "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"
fi
TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$HERE/gen.py" "$OUT"
