#!/usr/bin/env bash
# Vectors for developer-tool senders: openai, replicate, workos, heroku, circleci, buildkite,
# terraform, launchdarkly, alchemy, mongodb, sonatype, autodesk, clearbit, signal-sciences,
# trendmicro-conformity, segment, dwolla, hookdeck, cal-com, easypost.  Builds its own pinned venv (requirements.txt: PyPI openai,
# workos, easypost and their exact dependency tree) and node_modules (package-lock.json: npm replicate),
# each reused until its pins change, then runs gen.py (signs; SDK + stdlib verify) and
# check_replicate.mjs (npm verifier).  Called by ../generate.sh; usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../lib.sh"
OUT="${1:?usage: gen.sh OUT_DIR}"
VENV="${VECTORS_DEVTOOLS_VENV:-$HERE/.venv}"
log() { echo "devtools/gen.sh: $*" >&2; }

ensure_venv "$VENV" "$HERE/requirements.txt"
ensure_node_modules "$HERE"

"$VENV/bin/python" "$HERE/gen.py" "$OUT"
node "$HERE/check_replicate.mjs" "$OUT"
