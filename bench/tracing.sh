#!/usr/bin/env bash
# What OpenTelemetry tracing costs hookgate end to end (docs/performance.md#tracing-issue-19): the
# release build in front of bench/slow_app.rs (answering at once), loaded open-loop by
# bench/openloop.rs at a fixed rate with pre-signed unique tolinku deliveries, with tracing off,
# then on with every trace sampled (parentbased_traceidratio, 1.0) exporting over OTLP/HTTP to
# bench/otlp_sink.py. Alternates off/on REPEAT times. Prints, per run: the latency percentiles
# (from when each request was due), hookgate's CPU per request, and on the "on" runs the spans
# the sink received and any drop count the SDK logged at shutdown.
#
# Usage: bench/tracing.sh          Knobs: RATE=2000 DURATION=10 CONNS=50 REPEAT=2
#        BENCH_PORT_BASE=28080 (uses BASE, BASE+2, BASE+3, BASE+7) HOOKGATE_BIN=
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
RATE=${RATE:-2000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
REPEAT=${REPEAT:-2}
BASE=${BENCH_PORT_BASE:-28080}
P_UP=$BASE P_HG=$((BASE + 2)) P_ADMIN=$((BASE + 3)) P_SINK=$((BASE + 7))
REL=${CARGO_TARGET_DIR:-$ROOT/target}/release
if [[ -z ${HOOKGATE_BIN:-} ]]; then
    (cd "$ROOT" && cargo build --release --bin hookgate --example openloop --example slow_app) >&2
fi
HG=${HOOKGATE_BIN:-$REL/hookgate}
WORK=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_http() {
    for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "tracing.sh: $1 never answered" >&2; exit 2
}

"$REL/examples/slow_app" "127.0.0.1:$P_UP" 0 2>/dev/null &
PIDS+=($!)
export TOLINKU_WEBHOOK_SECRET="bench-tolinku-$RANDOM$RANDOM"
export GITHUB_WEBHOOK_SECRET="bench-github-$RANDOM$RANDOM" STRIPE_WEBHOOK_SECRET="whsec_bench$RANDOM$RANDOM"
sed -e "s/127.0.0.1:18080/127.0.0.1:$P_UP/; s/127.0.0.1:18082/127.0.0.1:$P_HG/; s/127.0.0.1:18083/127.0.0.1:$P_ADMIN/" \
    "$BENCH/hookgate.bench.yaml" >"$WORK/hookgate.yaml"
hz=$(getconf CLK_TCK)

one_run() { # label, then env assignments for hookgate
    local label=$1
    shift
    local sink=""
    if [[ $label == on ]]; then
        python3 "$BENCH/otlp_sink.py" "127.0.0.1:$P_SINK" 2>"$WORK/sink.log" &
        sink=$!
    fi
    env "$@" "$HG" --config "$WORK/hookgate.yaml" 2>"$WORK/hookgate.log" &
    local hg=$!
    wait_http "http://127.0.0.1:$P_ADMIN/readyz"
    local n=$((RATE * DURATION + RATE))
    python3 "$BENCH/gen_requests.py" --provider tolinku --count "$n" --threads 1 \
        --prefix "trace-$label-$RANDOM-" --body-bytes 1024 --out "$WORK/req" >/dev/null
    local t0 t1
    t0=$(cpu_ticks "$hg")
    "$REL/examples/openloop" "http://127.0.0.1:$P_HG/webhooks/tolinku" "$RATE" "$DURATION" "$CONNS" "$WORK/req.0" >"$WORK/load.txt" 2>&1
    t1=$(cpu_ticks "$hg")
    kill -TERM "$hg"
    wait "$hg" || true
    local sent
    sent=$(grep -o 'sent=[0-9]*' "$WORK/load.txt" | cut -d= -f2)
    echo "$label $(grep '^RESULT' "$WORK/load.txt" | sed 's/^RESULT //') cpu_us_per_req=$(( (t1 - t0) * 1000000 / hz / sent ))"
    if [[ -n $sink ]]; then
        kill -TERM "$sink"
        wait "$sink" || true
        echo "   sink: $(cat "$WORK/sink.log"); SDK: $(grep -o '"dropped_span_count":[0-9]*' "$WORK/hookgate.log" || echo 'no drops logged')"
    fi
}

echo "rate=$RATE/s duration=${DURATION}s conns=$CONNS, 1 KiB tolinku deliveries; $(nproc) CPUs"
for _ in $(seq "$REPEAT"); do
    one_run off
    one_run on OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$P_SINK" \
        OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=1.0
done
