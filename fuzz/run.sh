#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, from its seeds (fuzz/seeds/<target>) and the corpus
# earlier runs grew (fuzz/corpus/<target>, not committed). A crash fails the run and leaves the
# input in fuzz/artifacts/<target>/.
#
#   bash fuzz/run.sh                 # 30 s per target (what .ci/run does)
#   SECONDS_PER_TARGET=3600 bash fuzz/run.sh verify json_field   # a long run of some
#
# cargo-fuzz drives libFuzzer; the machine's toolchain is stable, so its nightly flags are
# allowed with RUSTC_BOOTSTRAP, and no sanitizer is used (the crate forbids unsafe code: what a
# fuzzer can find is a panic, an abort, a hang or unbounded memory, which libFuzzer reports).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-30}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz@0.13.2
export RUSTC_BOOTSTRAP=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(verify json_field form config filter proxy_header)
fi
cargo fuzz build -s none --release
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== fuzz $t for ${SECONDS_PER_TARGET}s"
  cargo fuzz run -s none --release "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 2>&1 |
    grep -E '^(stat::|Done|==|INFO: seed corpus|#[0-9]+.*DONE)|panicked|ERROR|SUMMARY' || true
  # libFuzzer exits non-zero on a crash; pipefail is off for grep's sake, so check the artifacts.
  if compgen -G "artifacts/$t/*" >/dev/null; then
    echo "fuzz/run.sh: $t found a failing input: fuzz/artifacts/$t/" >&2
    ls "artifacts/$t" >&2
    exit 1
  fi
done
