#!/usr/bin/env bash
# Writes OUT_DIR/pubsub.json (Google Cloud Pub/Sub push deliveries with their OIDC tokens, see
# gen.py), each token checked by google-auth's verifier. Installs its own pins
# (requirements.txt into $PUBSUB_VENV, default ./.venv), reused until they change.
#   tools/vectors/pubsub/gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: $0 OUT_DIR}"
VENV="${PUBSUB_VENV:-$HERE/.venv}"
if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"
fi
export TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
"$VENV/bin/python" "$HERE/gen.py" "$OUT"
