#!/usr/bin/env bash
# Writes OUT_DIR/pubsub.json (Google Cloud Pub/Sub push deliveries with their OIDC tokens, see
# gen.py), each token checked by google-auth's verifier. Installs its own pins
# (requirements.txt into $PUBSUB_VENV, default ./.venv), reused until they change.
#   tools/vectors/pubsub/gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: $0 OUT_DIR}"
VENV="${PUBSUB_VENV:-$HERE/.venv}"
ensure_venv "$VENV" "$HERE/requirements.txt"
"$VENV/bin/python" "$HERE/gen.py" "$OUT"
