#!/usr/bin/env bash
# Writes OUT_DIR/sns.json (Amazon SNS deliveries, see gen.py) and checks it with AWS's
# validator.  Installs its own pins (requirements.txt into $SNS_VENV, default ./.venv;
# package-lock.json into ./node_modules), reused until they change.
#   tools/vectors/sns/gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: $0 OUT_DIR}"
VENV="${SNS_VENV:-$HERE/.venv}"
if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"
fi
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"; then
  (cd "$HERE" && npm ci --silent --no-audit --no-fund --ignore-scripts)
  cp "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"
fi
export TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
"$VENV/bin/python" "$HERE/gen.py" "$OUT"
node "$HERE/check.mjs" "$OUT"
