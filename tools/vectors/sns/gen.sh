#!/usr/bin/env bash
# Writes OUT_DIR/sns.json (Amazon SNS deliveries, see gen.py) and checks it with AWS's
# validator.  Installs its own pins (requirements.txt into $SNS_VENV, default ./.venv;
# package-lock.json into ./node_modules), reused until they change.
#   tools/vectors/sns/gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: $0 OUT_DIR}"
VENV="${SNS_VENV:-$HERE/.venv}"
ensure_venv "$VENV" "$HERE/requirements.txt"
ensure_node_modules "$HERE"
"$VENV/bin/python" "$HERE/gen.py" "$OUT"
node "$HERE/check.mjs" "$OUT"
