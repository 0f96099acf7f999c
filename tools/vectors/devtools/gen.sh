#!/usr/bin/env bash
# Vectors for developer-tool senders: openai, replicate, workos, heroku, circleci, buildkite,
# terraform, launchdarkly, alchemy, mongodb, sonatype, autodesk, clearbit, signal-sciences,
# trendmicro-conformity, segment, dwolla, hookdeck, cal-com, easypost.  Builds its own pinned venv (requirements.txt: PyPI openai,
# workos, easypost and their exact dependency tree) and node_modules (package-lock.json: npm replicate),
# each reused until its pins change, then runs gen.py (signs; SDK + stdlib verify) and
# check_replicate.mjs (npm verifier).  Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: gen.sh OUT_DIR}"
VENV="${VECTORS_DEVTOOLS_VENV:-$HERE/.venv}"
log() { echo "devtools/gen.sh: $*" >&2; }

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
"$VENV/bin/python" "$HERE/gen.py" "$OUT"
node "$HERE/check_replicate.mjs" "$OUT"
