#!/usr/bin/env bash
# Latency overhead at a fixed request rate (open loop), the complement of run.sh's saturation
# runs: the same rate for every target, below what any of them can do, latencies measured from
# when each request was due (bench/openloop.rs). "Overhead" = a target's percentile minus
# the direct app's at the same rate.
#
# Usage: bench/latency.sh            (about 2 minutes)
# Knobs (environment):
#   RATES="2000 5000 10000"   requests per second, one set of runs each
#   DURATION=15               seconds per run
#   CONNS=50                  connections the requests are spread over
#   REPEAT=1                  runs per (target, rate), interleaved
#   ROUTE=tolinku             hookgate route (tolinku github stripe tolinku-nodedup)
#   WARMUP=120000             unmeasured requests sent to hookgate first (at 20 000 req/s): past
#                             the 100 000 ids of its dedup store, so every measured run is at
#                             steady state (each accepted id evicts one, pools and tables grown),
#                             as in production after the first hours; 0 = none
#   BODY_BYTES=1024           body size (as in run.sh; 0 = the natural ~270 bytes)
#   PIN=1                     the generator on CPU PIN_CLIENT (0), the servers on PIN_SERVERS (1)
#   HOOKGATE_BIN, HOOKGATE_LOG, HOOKGATE_WORKERS, HOOKGATE_UPSTREAM, NGINX_LAYOUT, DEDUP,
#   BENCH_PORT_BASE, OUT, KEEP:  as in run.sh
# Everything binds and targets 127.0.0.1 only; every run is bounded by DURATION.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
RATES=${RATES:-"2000 5000 10000"}
DURATION=${DURATION:-15}
CONNS=${CONNS:-50}
REPEAT=${REPEAT:-1}
ROUTE=${ROUTE:-tolinku}
BODY_BYTES=${BODY_BYTES:-1024}
WARMUP=${WARMUP:-120000}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$BENCH/results/latency-$STAMP}
. "$BENCH/lib.sh"

check_tools
check_ports
build_hookgate
log "cargo build --release --example openloop"
(cd "$ROOT" && cargo build --release --example openloop) >&2 || die "cannot build bench/openloop.rs"
LOADGEN=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/openloop
setup_work
mkdir -p "$OUT/raw"
start_nginx
start_hookgate
provider=$ROUTE
[[ $ROUTE == tolinku-nodedup ]] && provider=tolinku

{
    echo "date (UTC): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc); cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "kernel: $(uname -sr); nginx: $("$NGINX" -v 2>&1)"
    echo "hookgate: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]] && echo ' (work tree modified)'), log level ${HOOKGATE_LOG:-info}, dedup backend ${DEDUP:-memory}"
    echo "open loop: rates $RATES req/s, ${DURATION}s each, $CONNS connections, route $ROUTE, bodies $BODY_BYTES bytes, repeats $REPEAT, hookgate warm-up $WARMUP requests"
} | tee "$OUT/machine.txt" >&2

if ((WARMUP > 0)); then
    warm_rate=20000
    python3 "$BENCH/gen_requests.py" --provider "$provider" --count $((WARMUP + warm_rate)) --threads 1 \
        --prefix "lat-warmup-" --body-bytes "$BODY_BYTES" --out "$WORK/req" >/dev/null
    log "hookgate warm-up: $WARMUP requests at $warm_rate req/s (not measured)"
    "${CLIENT_CPU[@]}" "$LOADGEN" "http://127.0.0.1:$P_HG/webhooks/$ROUTE" "$warm_rate" $(((WARMUP + warm_rate - 1) / warm_rate)) "$CONNS" "$WORK/req.0" \
        >"$OUT/raw/warmup.txt" 2>&1 || die "the warm-up failed; see $OUT/raw/warmup.txt"
    hookgate_log_rotate >/dev/null
fi

echo "rate target run sent ok non2xx errors late p50_us p90_us p99_us p999_us max_us" >"$OUT/runs.txt"
for run in $(seq "$REPEAT"); do
    for rate in $RATES; do
        for target in direct nginx hookgate; do
            case $target in
                direct) url="http://127.0.0.1:$P_UP/webhooks/$ROUTE" ;;
                nginx) url="http://127.0.0.1:$P_NGX/webhooks/$ROUTE" ;;
                hookgate) url="http://127.0.0.1:$P_HG/webhooks/$ROUTE" ;;
            esac
            n=$((rate * DURATION + rate))
            # Signed right before the run: the timestamps must be fresh.
            python3 "$BENCH/gen_requests.py" --provider "$provider" --count "$n" --threads 1 \
                --prefix "lat-$run-$rate-$target-" --body-bytes "$BODY_BYTES" --out "$WORK/req" >/dev/null
            log "$target at $rate req/s (run $run)"
            before=$(scrape | awk -v r="$ROUTE" '$1 == r && $2 == "forwarded" {print $3}')
            "${CLIENT_CPU[@]}" "$LOADGEN" "$url" "$rate" "$DURATION" "$CONNS" "$WORK/req.0" >"$OUT/raw/$target-$rate-$run.txt" 2>&1 ||
                die "openloop failed for $target at $rate; see $OUT/raw/$target-$rate-$run.txt"
            res=$(grep '^RESULT' "$OUT/raw/$target-$rate-$run.txt")
            echo "$rate $target $run $(echo "$res" | sed 's/^RESULT //; s/[a-z0-9_]*=//g')" >>"$OUT/runs.txt"
            if [[ $target == hookgate ]]; then
                hookgate_log_rotate >/dev/null
                # Every request must have been verified and forwarded (a duplicate also gets 200).
                after=$(scrape | awk -v r="$ROUTE" '$1 == r && $2 == "forwarded" {print $3}')
                sent=$(echo "$res" | sed 's/.* sent=\([0-9]*\).*/\1/')
                (( ${after%.*} - ${before%.*} == sent )) ||
                    die "hookgate forwarded $(( ${after%.*} - ${before%.*} )) of $sent requests; see $OUT/hookgate.log"
            fi
        done
    done
done

# Medians per (rate, target), and each percentile minus the direct app's.
python3 - "$OUT/runs.txt" <<'PY' | tee "$OUT/summary.md"
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
keys = ["sent", "ok", "non2xx", "errors", "late", "rate", "p50", "p90", "p99", "p999", "max"]
by = {}
for r in rows:
    by.setdefault((int(r[0]), r[1]), []).append(dict(zip(keys, map(float, r[3:]))))
med = {k: {f: st.median(x[f] for x in v) for f in keys} for k, v in by.items()}
print("| rate req/s | target | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | p50 − direct | p99 − direct | p99.9 − direct | late | non-2xx + errors |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for rate in sorted({k[0] for k in med}):
    d = med.get((rate, "direct"))
    for t in ("direct", "nginx", "hookgate"):
        m = med.get((rate, t))
        if not m:
            continue
        ms = lambda f: f"{m[f] / 1000:.3f}"
        over = lambda f: "–" if t == "direct" or not d else f"{(m[f] - d[f]) / 1000:+.3f}"
        print(f"| {rate} | {t} | {ms('p50')} | {ms('p90')} | {ms('p99')} | {ms('p999')} | {ms('max')} | {over('p50')} | {over('p99')} | {over('p999')} | {int(m['late'])} | {int(m['non2xx'] + m['errors'])} |")
PY
log "results in $OUT"
