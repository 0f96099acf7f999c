#!/usr/bin/env bash
# Writes clerk, resend, standard-webhooks-v1a, discord, sendgrid, gitlab, okta and mailgun
# vectors into OUT_DIR and checks them.  Called by ../generate.sh (which compares or publishes
# them); usable alone:  tools/vectors/svix-asym/generate.sh OUT_DIR
#
# Installs its own pins: requirements.txt into $SVIX_ASYM_VENV (default ./.venv) and
# package-lock.json into ./node_modules (both gitignored), reused until the pins change.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: $0 OUT_DIR}"
VENV="${SVIX_ASYM_VENV:-$HERE/.venv}"
log() { echo "svix-asym/generate.sh: $*" >&2; }

if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"; then
  log "creating venv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    -r "$HERE/requirements.txt"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  cp "$HERE/requirements.txt" "$VENV/.vectors-requirements.txt"
fi
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"; then
  log "installing node_modules (npm ci)"
  (cd "$HERE" && npm ci --silent --no-audit --no-fund --ignore-scripts)
  cp "$HERE/package-lock.json" "$HERE/node_modules/.vectors-package-lock.json"
fi

export TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
"$VENV/bin/python" "$HERE/gen_py.py" "$OUT"       # discord, sendgrid, v1a, gitlab, okta, mailgun
node "$HERE/gen_node.mjs" "$OUT"                  # clerk, resend (+ verifyWebhook / webhooks.verify)
node "$HERE/check_node.mjs" "$OUT"                # gen_py's files against the npm verifiers
"$VENV/bin/python" "$HERE/crosscheck.py" "$OUT"   # independent re-derivation, shape check
