#!/usr/bin/env bash
# The peer for queued delivery (issue 15): qhook (a Rust webhook queue, SQLite) against hookgate's
# queued route, the same GitHub-signed deliveries (X-Hub-Signature-256: sha256=<hex HMAC-SHA256
# of the body>; 1 KiB bodies, unique), wrk closed loop, both in front of the same nginx app.
# Each acknowledges a delivery once it is stored: qhook answers 200 after its SQLite transaction
# (event + job rows) commits; hookgate answers 202 after its redb commit is synced.
#
# Usage: bench/qhook.sh          (about 2 minutes)
#   needs qhook: cargo install qhook --version 0.6.1 --locked (or QHOOK=/path/to/qhook)
# Knobs (environment):
#   QHOOK=qhook         the qhook binary
#   CONNS=64  DURATION=10s  REPEAT=2  WARMUP=2s   wrk -c, -d; runs per target, interleaved
#   TARGETS="qhook hookgate"
#   COUNT=200000        pre-signed requests per run
#   QCONC=64            hookgate's queued route's delivery concurrency
#   BODY_BYTES=1024, HOOKGATE_BIN, HOOKGATE_LOG, BENCH_PORT_BASE, OUT, KEEP: as in run.sh
# qhook listens on BASE+6 (the njs port of run.sh); its SQLite file and hookgate's store go to
# the temporary folder under /tmp (a disk here; checked not to be tmpfs).
# qhook's config (below): sqlite (its default settings, as `qhook start` makes them), a github
# source verified with `verify: github`, one handler for every event at the nginx app
# (allow_private_urls: the app is on 127.0.0.1); everything else its defaults (max_inbound 100,
# worker max_concurrency 10).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
QHOOK=${QHOOK:-qhook}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
REPEAT=${REPEAT:-2}
TARGETS=${TARGETS:-"qhook hookgate"}
COUNT=${COUNT:-200000}
QCONC=${QCONC:-64}
BODY_BYTES=${BODY_BYTES:-1024}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$BENCH/results/qhook-$STAMP}
. "$BENCH/lib.sh"
P_QHOOK=$P_NJS

command -v "$QHOOK" >/dev/null || die "no qhook ($QHOOK): cargo install qhook --version 0.6.1 --locked, or set QHOOK"
check_tools
check_ports "$P_QHOOK"
build_hookgate
setup_work
mkdir -p "$OUT/raw"
fstype=$(stat -f -c %T "$WORK")
[[ $fstype != tmpfs && $fstype != ramfs ]] || die "$WORK is on $fstype: fsync costs nothing there"
QHOOK_PID=""
trap 'rc=$?; stop_pid "$QHOOK_PID" TERM; (exit $rc); cleanup' EXIT
start_nginx
export TOLINKU_WEBHOOK_SECRET="bench-tolinku-$RANDOM$RANDOM"
export GITHUB_WEBHOOK_SECRET="bench-github-$RANDOM$RANDOM"
export STRIPE_WEBHOOK_SECRET="whsec_bench$RANDOM$RANDOM"
HG_LOG=$WORK/hookgate.log
: >"$HG_LOG"
: >"$OUT/hookgate.log"

{
    echo "date (UTC): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc); cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); kernel: $(uname -sr)"
    echo "store folder: $WORK ($fstype on $(df --output=source "$WORK" | tail -1)); nginx: $("$NGINX" -v 2>&1)"
    # qhook has no --version: the version cargo install recorded, when it can be found.
    echo "qhook: $(cat "$(dirname "$(command -v "$QHOOK")")/../.crates.toml" ~/.cargo/.crates.toml 2>/dev/null | grep -o '"qhook [0-9.]*' | head -1 | tr -d '"' || true) ($(command -v "$QHOOK"), sha256 $(sha256sum "$(command -v "$QHOOK")" | cut -c1-16)…), sqlx sqlite defaults"
    echo "hookgate: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), route github, delivery { mode: queued, concurrency: $QCONC }, log ${HOOKGATE_LOG:-info}"
    echo "wrk -t2 -c$CONNS -d$DURATION --latency (warm-up $WARMUP), repeats $REPEAT; github bodies $BODY_BYTES bytes, unique"
} | tee "$OUT/machine.txt" >&2

start_qhook() {
    stop_pid "$QHOOK_PID" TERM
    rm -rf "$WORK/qhook" && mkdir -p "$WORK/qhook"
    cat >"$WORK/qhook/qhook.yaml" <<EOF
database:
  driver: sqlite
  url: "sqlite:$WORK/qhook/qhook.db?mode=rwc"
server:
  port: $P_QHOOK
  allow_private_urls: true
sources:
  github:
    type: webhook
    verify: github
    secret: \${GITHUB_WEBHOOK_SECRET}
handlers:
  app:
    source: github
    url: http://127.0.0.1:$P_UP/webhooks/github
EOF
    cp "$WORK/qhook/qhook.yaml" "$OUT/qhook.yaml"
    (cd "$WORK/qhook" && RUST_LOG=${QHOOK_LOG:-warn} exec "$QHOOK" start --config "$WORK/qhook/qhook.yaml" >>"$OUT/qhook.log" 2>&1) &
    QHOOK_PID=$!
    wait_http "http://127.0.0.1:$P_QHOOK/health" qhook "$QHOOK_PID"
}

start_hg() {
    stop_pid "$HG_PID" TERM
    hookgate_log_rotate >/dev/null
    rm -f "$WORK/queue.redb"
    sed -e "s/127.0.0.1:18080/127.0.0.1:$P_UP/; s/127.0.0.1:18082/127.0.0.1:$P_HG/; s/127.0.0.1:18083/127.0.0.1:$P_ADMIN/" \
        -e "s/^  level: info\$/  level: ${HOOKGATE_LOG:-info}/" "$BENCH/hookgate.bench.yaml" |
        awk -v c="$QCONC" '{print} /^  - name: github$/ {g = 1} g && /env: GITHUB_WEBHOOK_SECRET/ {print "    delivery: { mode: queued, concurrency: " c " }"; g = 0}' >"$WORK/hookgate.yaml"
    printf '\nqueue:\n  path: %s\n  max_bytes: 4GiB\n' "$WORK/queue.redb" >>"$WORK/hookgate.yaml"
    cp "$WORK/hookgate.yaml" "$OUT/hookgate.yaml"
    "$HG" --config "$WORK/hookgate.yaml" 2>>"$HG_LOG" &
    HG_PID=$!
    wait_http "http://127.0.0.1:$P_ADMIN/readyz" hookgate "$HG_PID"
}

printf 'target\trun\trequests\tnon2xx\tsocket_errors\tacks_per_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tcpu_us_per_req\tapp_requests_during\n' >"$OUT/results.tsv"
field() { sed -n "s/.*[[:space:]]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }
HZ=$(getconf CLK_TCK)
for rep in $(seq "$REPEAT"); do
    for target in $TARGETS; do
        case $target in
            qhook) start_qhook; url="http://127.0.0.1:$P_QHOOK/webhooks/github"; pid=$QHOOK_PID ;;
            hookgate) start_hg; url="http://127.0.0.1:$P_HG/webhooks/github"; pid=$HG_PID ;;
            *) die "unknown target $target" ;;
        esac
        tag=$target-$rep
        if [[ $WARMUP != 0 ]]; then
            python3 "$BENCH/gen_requests.py" --provider github --count $((COUNT / 4)) --threads 2 --prefix "qh-warm-$rep-$target-" \
                --body-bytes "$BODY_BYTES" --out "$WORK/req" 2>/dev/null
            wrk -t2 -c"$CONNS" -d"$WARMUP" -s "$BENCH/signed.lua" "$url" -- "$WORK/req" >"$OUT/raw/$tag.warmup.txt" 2>&1 || die "wrk warm-up failed for $tag"
        fi
        python3 "$BENCH/gen_requests.py" --provider github --count "$COUNT" --threads 2 --prefix "qh-$rep-$target-" \
            --body-bytes "$BODY_BYTES" --out "$WORK/req" 2>/dev/null
        log "$target, run $rep: wrk -t2 -c$CONNS -d$DURATION"
        app0=$(app_requests)
        t0=$(ticks "$pid")
        echo "\$ wrk -t2 -c$CONNS -d$DURATION --latency -s bench/signed.lua $url -- REQ" >"$OUT/raw/$tag.txt"
        wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$BENCH/signed.lua" "$url" -- "$WORK/req" >>"$OUT/raw/$tag.txt" 2>&1 || die "wrk failed for $tag"
        t1=$(ticks "$pid")
        app1=$(app_requests)
        res=$(grep '^RESULT' "$OUT/raw/$tag.txt")
        n=$(field requests "$res"); x=$(field non2xx "$res"); s=$(field duration_s "$res")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$rep" "$n" "$x" \
            "$(($(field err_connect "$res") + $(field err_read "$res") + $(field err_write "$res") + $(field err_timeout "$res")))" \
            "$(awk -v n="$n" -v x="$x" -v s="$s" 'BEGIN {printf "%.0f", (n - x) / s}')" \
            "$(awk -v u="$(field p50_us "$res")" 'BEGIN {printf "%.3f", u / 1000}')" "$(awk -v u="$(field p90_us "$res")" 'BEGIN {printf "%.3f", u / 1000}')" \
            "$(awk -v u="$(field p99_us "$res")" 'BEGIN {printf "%.3f", u / 1000}')" "$(awk -v u="$(field max_us "$res")" 'BEGIN {printf "%.3f", u / 1000}')" \
            "$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.1f", n ? 1e6 * t / hz / n : 0}')" "$((app1 - app0 - 1))" >>"$OUT/results.tsv"
        tail -1 "$OUT/results.tsv" | awk -F'\t' '{printf "   %-8s %s acks/s  p50 %s ms  p99 %s ms  non2xx %s  sockerr %s  CPU %s us/req  app got %s meanwhile\n", $1, $6, $7, $9, $4, $5, $11, $12}' >&2
        rm -f "$WORK"/req.*
        [[ $target == hookgate ]] && hookgate_log_rotate >/dev/null
    done
done
stop_pid "$QHOOK_PID" TERM
stop_pid "$HG_PID" TERM
python3 - "$OUT/results.tsv" <<'PY' | tee "$OUT/summary.md"
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
h, rows = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
print("| target | acks/s (median) | runs | p50 ms | p99 ms | CPU µs/req | non-2xx |")
print("|---|---:|---|---:|---:|---:|---:|")
for t in dict.fromkeys(r["target"] for r in rows):
    rr = [r for r in rows if r["target"] == t]
    m = lambda k: st.median(float(r[k]) for r in rr)
    print(f"| {t} | {m('acks_per_s'):.0f} | {' / '.join(r['acks_per_s'] for r in rr)} | {m('p50_ms'):.2f} | {m('p99_ms'):.2f} | {m('cpu_us_per_req'):.1f} | {sum(int(r['non2xx']) for r in rr)} |")
PY
log "results in $OUT"
