#!/usr/bin/env bash
# Vectors for airship (Python stdlib only, deterministic). Usage: gen.sh OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: gen.sh OUT_DIR}"
python3 "$HERE/gen.py" "$OUT"
