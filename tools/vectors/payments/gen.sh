#!/usr/bin/env bash
# Vectors of payment / billing senders: checkout, gocardless, paystack, lemonsqueezy, onfido,
# modern-treasury, lithic, ... worldline, orb, recurly, persona.  Builds its own pinned venv
# from requirements.txt (only when that file changed), then runs gen.py.  Usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
VENV="${VECTORS_PAYMENTS_VENV:-$HERE/.venv}"
ensure_venv "$VENV" "$HERE/requirements.txt"
TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$HERE/gen.py" "$OUT"
