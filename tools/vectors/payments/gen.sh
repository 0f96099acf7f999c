#!/usr/bin/env bash
# Vectors of payment / billing senders: checkout, gocardless, paystack, lemonsqueezy, onfido,
# modern-treasury, lithic, ... worldline, orb, recurly, persona.  Builds its own pinned venv
# from requirements.txt (only when that file changed), then runs gen.py.  Usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: gen.sh OUT_DIR}"
VENV="${VECTORS_PAYMENTS_VENV:-$HERE/.venv}"
if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"; then
  echo "payments/gen.sh: creating venv $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$HERE/requirements.txt"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  cp "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"
fi
TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$HERE/gen.py" "$OUT"
