#!/usr/bin/env bash
# Queued delivery (issue 15): a route with `delivery: queued` answers the sender 202 once the
# delivery is synced to the queue's store (redb, queue.path), and a deliverer sends it to the
# app with retries. With QUEUE_BACKEND=redis (issue 16) the store is a redis-server started here
# (Redis Streams, queue.backend: redis), durable per its appendfsync. Four measurements, each a
# PHASE:
#
#   latency   sender-side latency, open loop (bench/openloop.rs, as bench/latency.sh), at RATES:
#               queued-slow  the queued route, the app taking SLOW_MS (2 s) per request
#                            (bench/slow_app.rs): what the sender sees while the app is slow
#               queued-fast  the queued route in front of the fast nginx app
#               sync-fast    the sync route (today's behaviour) in front of the fast nginx app,
#                            for context (sync in front of the slow app would answer in 2 s)
#               queued-down  (not in the defaults) the queued route, nothing listening at the
#                            app's address: the backlog grows as with the slow app, but the
#                            deliverer pauses (tells the store's size from the app's slowness)
#             hookgate is restarted (fresh store) for each target and run, and warmed with WARMUP
#             unmeasured requests (its dedup store full, as latency.sh; queued-slow and
#             queued-down keep them as a backlog, queued-fast waits for its deliverer to send
#             them on: DRAIN_WAIT). Every request must be `queued` (or `forwarded`).
#   enqueue   enqueue throughput, closed loop: wrk -c WRK_CONNS against the queued route with the
#             app fast (nginx) and with the app down (nothing listens: pure enqueue, every
#             attempt refused and retried later). Durable acks/s (2xx/s, each checked `queued`
#             in hookgate_requests_total), deliveries per synced commit, fsync p50/p99 of the
#             commits (histogram), hookgate's CPU per request (its deliverer's work included).
#             With QUEUE_BACKEND=redis: redis-server's CPU per request and commands per delivery
#             too (its CPU is not in hookgate's), and no commit/fsync histogram (hookgate's
#             are the embedded store's).
#   disk      the app down, FILL (100 000) deliveries enqueued (openloop at FILL_RATE), then the
#             store's size: hookgate_queue_disk_bytes, ls -l and du of the file, per delivery.
#   recovery  (after disk, on its store) KILLS times: SIGKILL hookgate, start it again, time from
#             exec to GET /readyz 200 on the admin port; the "queue store opened" log line.
#             disk and recovery are the embedded store's: skipped (with a message) on redis.
#
# Usage: bench/queue.sh                       (about 12 minutes plus the build)
# Knobs (environment):
#   PHASES="latency enqueue disk recovery"    which measurements (recovery needs disk)
#   RATES="1000 5000"  DURATION=10  CONNS=50  REPEAT=2   open loop (latency phase)
#   TARGETS="queued-slow queued-fast sync-fast"           latency phase targets
#   WARMUP=120000      unmeasured requests at 20 000/s after each hookgate start (latency); 0 = none
#   DRAIN_WAIT=120     queued-fast: after the warm-up, wait up to this many seconds for the queue to
#                      be empty (the deliverer sending the warm-up on), so the runs measure an
#                      empty queue; the depth and the time it took go to raw/latency-drain-*.txt
#   SLOW_MS=2000       the slow app's time per request
#   QCONC=64           the queued route's delivery concurrency
#   WRK_CONNS=64  WRK_DURATION=15s  WRK_WARMUP=3s  WRK_REPEAT=2  COUNT=500000   enqueue phase
#   FILL=100000  FILL_RATE=10000  KILLS=3       disk and recovery phases
#   QUEUE_DIR=         where the store files go (default: the temporary folder under /tmp); must be
#                      a real disk, not tmpfs (checked: fsync on tmpfs costs nothing). On redis:
#                      redis-server's --dir (its append-only files) is QUEUE_DIR/redis
#   QUEUE_BACKEND=embedded  the queue's store: embedded (redb, a file in QUEUE_DIR) or redis: a
#                      redis-server started here on 127.0.0.1:BASE+6 (--save "" --appendonly yes
#                      --appendfsync REDIS_FSYNC, its other settings the defaults, automatic AOF
#                      rewrites included), hookgate's `queue: { backend: redis, redis: { url } }`;
#                      FLUSHALL and an AOF rewrite (so an empty AOF) before each hookgate start
#   REDIS_FSYNC=always appendfsync with QUEUE_BACKEND=redis: always (an ack after the fsync, as
#                      the embedded store), everysec (up to a second of acked deliveries lost on
#                      a machine crash), no
#   QUEUE_MAX_BYTES=4GiB   queue.max_bytes
#   BODY_BYTES=1024, HOOKGATE_BIN, HOOKGATE_LOG, HOOKGATE_WORKERS, BENCH_PORT_BASE, PIN, KEEP: as
#                      in run.sh. OUT=bench/results/queue-<UTC time>
# Ports: BASE (nginx app), BASE+1 (nginx proxy, unused), BASE+2 hookgate, BASE+3 its admin,
# BASE+4 the "app down" address (nothing may listen there), BASE+5 the slow app, BASE+6 the
# queue's redis-server (QUEUE_BACKEND=redis).
# Everything binds and targets 127.0.0.1 only; every run is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
PHASES=${PHASES:-"latency enqueue disk recovery"}
RATES=${RATES:-"1000 5000"}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
REPEAT=${REPEAT:-2}
TARGETS=${TARGETS:-"queued-slow queued-fast sync-fast"}
WARMUP=${WARMUP:-120000}
DRAIN_WAIT=${DRAIN_WAIT:-120}
SLOW_MS=${SLOW_MS:-2000}
QCONC=${QCONC:-64}
WRK_CONNS=${WRK_CONNS:-64}
WRK_DURATION=${WRK_DURATION:-15s}
WRK_WARMUP=${WRK_WARMUP:-3s}
WRK_REPEAT=${WRK_REPEAT:-2}
COUNT=${COUNT:-500000}
FILL=${FILL:-100000}
FILL_RATE=${FILL_RATE:-10000}
KILLS=${KILLS:-3}
QUEUE_MAX_BYTES=${QUEUE_MAX_BYTES:-4GiB}
BODY_BYTES=${BODY_BYTES:-1024}
QUEUE_BACKEND=${QUEUE_BACKEND:-embedded}
REDIS_FSYNC=${REDIS_FSYNC:-always}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$BENCH/results/queue-$STAMP}
. "$BENCH/lib.sh"
# lib.sh's, plus: the deliverer's line per successful attempt (one per delivery, as the request
# line) goes too, counted in $OUT/attempt-lines.txt, with the first as a sample.
hookgate_log_rotate() {
    local bytes n
    bytes=$(stat -c %s "$HG_LOG")
    n=$(grep -ac ' INFO.*queued delivery accepted by the app' "$HG_LOG" || true)
    echo "${n:-0}" >>"$OUT/attempt-lines.txt"
    grep -av ' INFO.*hookgate::gate.* request \| INFO.*queued delivery accepted by the app' "$HG_LOG" >>"$OUT/hookgate.log" || true
    grep -aq ' request ' "$OUT/hookgate.log" || grep -am1 ' request ' "$HG_LOG" >>"$OUT/hookgate.log" || true
    grep -aq 'accepted by the app' "$OUT/hookgate.log" || grep -am1 'accepted by the app' "$HG_LOG" >>"$OUT/hookgate.log" || true
    : >"$HG_LOG"
    echo "$bytes"
}
P_DOWN=$P_REDIS  # nothing listens here: the app is down
P_SLOW=$P_FLOOR  # bench/slow_app.rs
P_QREDIS=$P_NJS  # the queue's redis-server (QUEUE_BACKEND=redis)
ROUTE=tolinku-queued

case $QUEUE_BACKEND in
    embedded) ;;
    redis)
        case $REDIS_FSYNC in always | everysec | no) ;; *) die "REDIS_FSYNC=$REDIS_FSYNC: use always, everysec or no" ;; esac
        for t in redis-server redis-cli; do
            command -v "$t" >/dev/null || die "missing: $t (QUEUE_BACKEND=redis). Install it with:
    apt-get update && apt-get install -y redis-server"
        done
        ;;
    *) die "QUEUE_BACKEND=$QUEUE_BACKEND: use embedded or redis" ;;
esac
check_tools
check_ports "$P_QREDIS"
build_hookgate
log "cargo build --release --example openloop --example slow_app"
(cd "$ROOT" && cargo build --release --example openloop --example slow_app) >&2 || die "cannot build bench/openloop.rs or bench/slow_app.rs"
LOADGEN=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/openloop
SLOWAPP=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/slow_app
setup_work
mkdir -p "$OUT/raw"
QDIR=${QUEUE_DIR:-$WORK/queue}
mkdir -p "$QDIR"
QDIR=$(cd "$QDIR" && pwd)
fstype=$(stat -f -c %T "$QDIR")
[[ $fstype != tmpfs && $fstype != ramfs ]] || die "QUEUE_DIR $QDIR is on $fstype: fsync costs nothing there; use a folder on a disk"
SLOW_PID=""
# set +e: under errexit `(exit $rc)` would end the trap there, before cleanup (a failed run left
# nginx, hookgate and redis-server running). cleanup stops redis-server too.
trap 'rc=$?; set +e; stop_pid "$SLOW_PID" TERM; (exit $rc); cleanup' EXIT
start_nginx

# QUEUE_BACKEND=redis: the queue's redis-server (REDIS_PID: lib.sh's cleanup stops it), its files
# on the disk under test.
rcli() { redis-cli -h 127.0.0.1 -p "$P_QREDIS" "$@"; }
start_queue_redis() {
    mkdir -p "$QDIR/redis"
    rm -rf "$QDIR/redis/appendonlydir"
    log "redis-server on 127.0.0.1:$P_QREDIS (appendonly yes, appendfsync $REDIS_FSYNC, dir $QDIR/redis)"
    "${SERVER_CPU[@]}" redis-server --bind 127.0.0.1 --port "$P_QREDIS" --save '' --appendonly yes \
        --appendfsync "$REDIS_FSYNC" --dir "$QDIR/redis" --logfile "$OUT/redis.log" &
    REDIS_PID=$!
    for _ in $(seq 100); do
        [[ $(rcli PING 2>/dev/null) == PONG ]] && return 0
        kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited at start; see $OUT/redis.log"
        sleep 0.1
    done
    die "redis-server did not answer on $P_QREDIS within 10s; see $OUT/redis.log"
}
# An empty Redis (as the embedded store's fresh file): FLUSHALL, then an AOF rewrite, waited
# for, so every run starts from an empty append-only file.
flush_queue_redis() {
    [[ $(rcli FLUSHALL) == OK ]] || die "redis FLUSHALL failed"
    rcli BGREWRITEAOF >/dev/null
    for _ in $(seq 300); do
        rcli INFO persistence | grep -q '^aof_rewrite_in_progress:0' &&
            ! rcli INFO persistence | grep -q '^aof_rewrite_scheduled:1' && return 0
        sleep 0.1
    done
    die "redis-server's AOF rewrite did not finish within 30s"
}
# redis_info FILE: the counters this script reads (INFO stats, persistence, cpu, memory;
# empty on the embedded backend).
redis_info() {
    if [[ $QUEUE_BACKEND == redis ]]; then
        rcli INFO all | tr -d '\r' | grep -E '^(total_commands_processed|aof_rewrites|aof_delayed_fsync|aof_current_size|used_memory|used_cpu_(sys|user)|cmdstat_[a-z]*|errorstat_[A-Za-z]*):' >"$1"
    else
        : >"$1"
    fi
}
# rinfo KEY FILE: a value of redis_info's FILE ("-" when absent).
rinfo() { awk -F: -v k="$1" '$1 == k {print $2; f = 1} END {if (!f) print "-"}' "$2"; }
# redis_delta BEFORE AFTER REQUESTS: "commands per request, AOF rewrites, delayed fsyncs" between
# two redis_info files ("- - -" on the embedded backend).
redis_delta() {
    [[ $QUEUE_BACKEND == redis ]] || { echo "- - -"; return; }
    awk -v c0="$(rinfo total_commands_processed "$1")" -v c1="$(rinfo total_commands_processed "$2")" -v n="$3" \
        -v r0="$(rinfo aof_rewrites "$1")" -v r1="$(rinfo aof_rewrites "$2")" \
        -v f0="$(rinfo aof_delayed_fsync "$1")" -v f1="$(rinfo aof_delayed_fsync "$2")" \
        'BEGIN {printf "%.2f %d %d\n", (c1 - c0) / n, r1 - r0, f1 - f0}'
}
# redis_ticks: CPU ticks of the queue's redis-server (0 on the embedded backend).
redis_ticks() { if [[ -n $REDIS_PID ]]; then ticks "$REDIS_PID"; else echo 0; fi; }
[[ $QUEUE_BACKEND == redis ]] && start_queue_redis

export TOLINKU_WEBHOOK_SECRET="bench-tolinku-$RANDOM$RANDOM"
export GITHUB_WEBHOOK_SECRET="bench-github-$RANDOM$RANDOM"
export STRIPE_WEBHOOK_SECRET="whsec_bench$RANDOM$RANDOM"
HG_LOG=$WORK/hookgate.log
: >"$HG_LOG"
: >"$OUT/hookgate.log"

{
    echo "date (UTC): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc); cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -sr); os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"); nginx: $("$NGINX" -v 2>&1); wrk: $( (wrk -v 2>&1 || true) | head -1 | sed 's/ Copyright.*//')"
    echo "queue store folder: $QDIR ($fstype on $(df --output=source "$QDIR" | tail -1))"
    if [[ $QUEUE_BACKEND == redis ]]; then
        echo "queue backend: redis (QUEUE_BACKEND=redis), appendfsync $REDIS_FSYNC (REDIS_FSYNC): $(redis-server --version | awk '{print $1, $2, $3}') on 127.0.0.1:$P_QREDIS, --save '' --appendonly yes --appendfsync $REDIS_FSYNC --dir $QDIR/redis, other settings default; its CPU reported apart from hookgate's"
    else
        echo "queue backend: embedded (redb file; QUEUE_BACKEND=embedded)"
    fi
    echo "hookgate: $("$HG" --version 2>&1), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]] && echo ' (work tree modified)'), log level ${HOOKGATE_LOG:-info}, workers ${HOOKGATE_WORKERS:-default}"
    echo "rustc: $(rustc -V 2>/dev/null || echo '?')"
    echo "phases: $PHASES; bodies $BODY_BYTES bytes, unique ids; queued route: delivery { mode: queued, concurrency: $QCONC }, queue.max_bytes $QUEUE_MAX_BYTES"
    echo "latency: rates $RATES/s, ${DURATION}s, $CONNS connections, repeats $REPEAT, targets $TARGETS, warm-up $WARMUP; slow app ${SLOW_MS} ms per request"
    echo "enqueue: wrk -t2 -c$WRK_CONNS -d$WRK_DURATION --latency (warm-up $WRK_WARMUP), repeats $WRK_REPEAT; disk: $FILL at $FILL_RATE/s; recovery: $KILLS kills"
    echo "cpus: $([[ -n ${PIN:-} ]] && echo "client on ${PIN_CLIENT:-0}, servers on ${PIN_SERVERS:-1}" || echo "not pinned")"
} | tee "$OUT/machine.txt" >&2

HZ=$(getconf CLK_TCK)
BACKEND_TAG=$QUEUE_BACKEND
[[ $QUEUE_BACKEND != redis ]] || BACKEND_TAG=redis-$REDIS_FSYNC
# hookgate's /metrics without the comments and the series at 0 (most of its 250 KB).
metrics() { curl -fsS "http://127.0.0.1:$P_ADMIN/metrics" | awk '!/^#/ && $NF != 0'; }
# hookgate's CPU ticks by thread name (workers, the queue's writer and deliverer, the logger...).
thread_ticks() {
    local t
    for t in /proc/"$HG_PID"/task/*; do
        awk '{n = $0; sub(/^[^(]*\(/, "", n); sub(/\).*/, "", n); gsub(/ /, "_", n); sub(/^.*\) /, ""); print n, $12 + $13}' "$t/stat" 2>/dev/null || true
    done | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}' | sort
}
# thread_cpu BEFORE AFTER SECONDS: % of one core per thread name over the run.
thread_cpu() {
    awk -v hz="$HZ" -v s="$3" 'NR == FNR {b[$1] = $2; next} {d = $2 - b[$1]; if (d > 0) printf "%s %.0f%%\n", $1, 100 * d / hz / s}' "$1" "$2" | sort -k2 -rn | tr '\n' ' '
}
kv() { sed -n "s/.*\(^\|[[:space:]]\)$1=\([^ ]*\).*/\2/p" <<<"$2" | head -1; }

start_slow_app() {
    [[ -n $SLOW_PID ]] && return 0
    log "slow app on 127.0.0.1:$P_SLOW (${SLOW_MS} ms per request)"
    "${SERVER_CPU[@]}" "$SLOWAPP" "127.0.0.1:$P_SLOW" "$SLOW_MS" 2>>"$OUT/slow_app.log" &
    SLOW_PID=$!
    wait_http "http://127.0.0.1:$P_SLOW/count" slow_app "$SLOW_PID"
}

# hookgate_config APP_PORT STORE: bench/hookgate.bench.yaml (its sync routes, in front of the
# app at APP_PORT) plus the queued tolinku route and the queue's store.
hookgate_config() {
    sed -e "s/127.0.0.1:18080/127.0.0.1:$1/; s/127.0.0.1:18082/127.0.0.1:$P_HG/; s/127.0.0.1:18083/127.0.0.1:$P_ADMIN/" \
        -e "s/^  level: info\$/  level: ${HOOKGATE_LOG:-info}/" \
        "$BENCH/hookgate.bench.yaml" >"$WORK/hookgate.yaml"
    cat >>"$WORK/hookgate.yaml" <<EOF

  # bench/queue.sh: the tolinku route, queued.
  - name: $ROUTE
    path: /webhooks/$ROUTE
    provider: tolinku
    secrets:
      - { id: bench, env: TOLINKU_WEBHOOK_SECRET }
    delivery: { mode: queued, concurrency: $QCONC }

EOF
    if [[ $QUEUE_BACKEND == redis ]]; then
        printf 'queue:\n  backend: redis\n  redis: { url: "redis://127.0.0.1:%s" }\n' "$P_QREDIS" >>"$WORK/hookgate.yaml"
    else
        printf 'queue:\n  path: %s\n' "$2" >>"$WORK/hookgate.yaml"
    fi
    echo "  max_bytes: $QUEUE_MAX_BYTES" >>"$WORK/hookgate.yaml"
    [[ -n ${HOOKGATE_WORKERS:-} ]] && echo "workers: $HOOKGATE_WORKERS" >>"$WORK/hookgate.yaml"
    cp "$WORK/hookgate.yaml" "$OUT/hookgate.yaml"
}

# start_hg APP_PORT STORE [keep]: a new hookgate on STORE (removed first unless "keep"; on
# redis, STORE is unused and Redis is flushed instead).
start_hg() {
    stop_pid "$HG_PID" TERM
    HG_PID=""
    hookgate_log_rotate >/dev/null
    if [[ ${3:-} != keep ]]; then
        if [[ $QUEUE_BACKEND == redis ]]; then flush_queue_redis; else rm -f "$2"; fi
    fi
    hookgate_config "$1" "$2"
    "${SERVER_CPU[@]}" "$HG" --config "$WORK/hookgate.yaml" 2>>"$HG_LOG" &
    HG_PID=$!
    wait_http "http://127.0.0.1:$P_ADMIN/readyz" hookgate "$HG_PID"
}

# drain FILE: waits (up to DRAIN_WAIT seconds) for hookgate_queue_depth 0; writes the depth found
# and the time taken to FILE.
drain() {
    local t0=$EPOCHREALTIME depth first
    first=$(kv depth "$(python3 "$BENCH/queue_metrics.py" gauges <(metrics))")
    depth=$first
    while ((depth > 0)); do
        awk -v s="$t0" -v e="$EPOCHREALTIME" -v m="$DRAIN_WAIT" 'BEGIN {exit !(e - s > m)}' && break
        sleep 0.2
        depth=$(kv depth "$(python3 "$BENCH/queue_metrics.py" gauges <(metrics))")
    done
    echo "after the warm-up: depth $first; $depth after $(awk -v s="$t0" -v e="$EPOCHREALTIME" 'BEGIN {printf "%.1f", e - s}') s" | tee "$1" >&2
    ((depth == 0)) || echo "queue.sh: WARNING: the queue did not drain within ${DRAIN_WAIT}s (depth $depth); measuring anyway" >&2
}

gen() { # count threads prefix out
    python3 "$BENCH/gen_requests.py" --provider tolinku --count "$1" --threads "$2" --prefix "$3" \
        --body-bytes "$BODY_BYTES" --out "$4" 2>/dev/null
}

# --- latency ---------------------------------------------------------------------------------
phase_latency() {
    local run target rate app route url n tag res before after d sent want got t0 t1 e0 e1 depth r0 r1 rd
    printf 'target\trate\trun\tsent\tok\tnon2xx\terrors\tlate\tp50_us\tp90_us\tp99_us\tp999_us\tmax_us\thg_cpu_pct\tdepth\tmean_commit\tfsync_p50_ms\tfsync_p99_ms\tbackend\tredis_cpu_pct\tredis_cmds_per_req\taof_rewrites\n' >"$OUT/latency.tsv"
    for run in $(seq "$REPEAT"); do
        for target in $TARGETS; do
            case $target in
                queued-slow) start_slow_app; app=$P_SLOW; route=$ROUTE; want=queued ;;
                queued-fast) app=$P_UP; route=$ROUTE; want=queued ;;
                queued-down) app=$P_DOWN; route=$ROUTE; want=queued ;;
                sync-fast) app=$P_UP; route=tolinku; want=forwarded ;;
                *) die "unknown target $target (queued-slow queued-fast queued-down sync-fast)" ;;
            esac
            url="http://127.0.0.1:$P_HG/webhooks/$route"
            log "latency: $target, run $run: hookgate, a fresh store"
            start_hg "$app" "$QDIR/latency.redb"
            if ((WARMUP > 0)); then
                gen $((WARMUP + 20000)) 1 "q-warm-$run-$target-" "$WORK/req"
                log "  warm-up: $WARMUP requests at 20000/s (not measured)"
                "${CLIENT_CPU[@]}" "$LOADGEN" "$url" 20000 $(((WARMUP + 19999) / 20000)) "$CONNS" "$WORK/req.0" \
                    >"$OUT/raw/latency-warmup-$target-$run.txt" 2>&1 || die "the warm-up failed; see $OUT/raw/latency-warmup-$target-$run.txt"
                hookgate_log_rotate >/dev/null
                # The app fast: measure with the queue empty. The embedded deliverer has sent the
                # warm-up on by now; Redis's may still be sending it (tens of thousands).
                if [[ $target == queued-fast ]]; then drain "$OUT/raw/latency-drain-$target-$run.txt"; fi
            fi
            for rate in $RATES; do
                n=$((rate * DURATION + rate))
                tag=latency-$target-$rate-$run
                gen "$n" 1 "q-lat-$run-$rate-$target-" "$WORK/req"
                log "  $target at $rate/s (run $run)"
                metrics >"$OUT/raw/$tag.metrics-before.txt"
                redis_info "$OUT/raw/$tag.redis-before.txt"
                thread_ticks >"$WORK/th0"
                t0=$(ticks "$HG_PID"); r0=$(redis_ticks); e0=$EPOCHREALTIME
                "${CLIENT_CPU[@]}" "$LOADGEN" "$url" "$rate" "$DURATION" "$CONNS" "$WORK/req.0" >"$OUT/raw/$tag.txt" 2>&1 ||
                    die "openloop failed for $tag; see $OUT/raw/$tag.txt"
                t1=$(ticks "$HG_PID"); r1=$(redis_ticks); e1=$EPOCHREALTIME
                thread_ticks >"$WORK/th1"
                echo "hookgate threads, % of a core: $(thread_cpu "$WORK/th0" "$WORK/th1" "$(awk -v s="$e0" -v e="$e1" 'BEGIN {print e - s}')")" | tee "$OUT/raw/$tag.threads.txt" >&2
                sleep 0.3
                metrics >"$OUT/raw/$tag.metrics-after.txt"
                redis_info "$OUT/raw/$tag.redis-after.txt"
                hookgate_log_rotate >/dev/null
                res=$(grep '^RESULT' "$OUT/raw/$tag.txt")
                d=$(python3 "$BENCH/queue_metrics.py" delta "$OUT/raw/$tag.metrics-before.txt" "$OUT/raw/$tag.metrics-after.txt" "$route")
                depth=$(python3 "$BENCH/queue_metrics.py" gauges "$OUT/raw/$tag.metrics-after.txt")
                sent=$(kv sent "$res"); got=$(kv "$want" "$d")
                read -r -a rd <<<"$(redis_delta "$OUT/raw/$tag.redis-before.txt" "$OUT/raw/$tag.redis-after.txt" "$sent")"
                ((got == sent)) || die "$tag: hookgate counted $got $want of $sent requests ($d); see $OUT/hookgate.log"
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$rate" "$run" \
                    "$sent" "$(kv ok "$res")" "$(kv non2xx "$res")" "$(kv errors "$res")" "$(kv late "$res")" \
                    "$(kv p50_us "$res")" "$(kv p90_us "$res")" "$(kv p99_us "$res")" "$(kv p999_us "$res")" "$(kv max_us "$res")" \
                    "$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v s="$e0" -v e="$e1" 'BEGIN {printf "%.0f", 100 * t / hz / (e - s)}')" \
                    "$(kv depth "$depth")" "$(kv mean_commit "$d")" "$(kv fsync_p50_ms "$d")" "$(kv fsync_p99_ms "$d")" \
                    "$BACKEND_TAG" "$([[ $QUEUE_BACKEND == redis ]] && awk -v t=$((r1 - r0)) -v hz="$HZ" -v s="$e0" -v e="$e1" 'BEGIN {printf "%.0f", 100 * t / hz / (e - s)}' || echo -)" \
                    "${rd[0]}" "${rd[1]}" >>"$OUT/latency.tsv"
                tail -1 "$OUT/latency.tsv" | awk -F'\t' '{printf "   %-11s %5s/s  p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.1f ms  late %s  non2xx %s  hookgate %s%% CPU  depth %s  commit %s  fsync p50/p99 %s/%s ms  redis %s%% CPU, %s cmds/req, %s AOF rewrites\n", $1, $2, $9/1000, $11/1000, $12/1000, $13/1000, $8, $6, $14, $15, $16, $17, $18, $20, $21, $22}' >&2
            done
        done
    done
    rm -f "$WORK"/req.*
}

# --- enqueue ---------------------------------------------------------------------------------
phase_enqueue() {
    local rep app port tag url res d t0 t1 e0 e1 r0 r1 rd reqs non2xx secs
    url="http://127.0.0.1:$P_HG/webhooks/$ROUTE"
    printf 'app\trun\trequests\tnon2xx\tsocket_errors\tduration_s\tacks_per_s\tp50_ms\tp99_ms\tqueued\tother\tcommits\tmean_commit\tfsync_p50_ms\tfsync_p99_ms\tfsync_mean_ms\thg_cpu_pct\thg_us_per_req\tattempts\tbackend\tredis_cpu_pct\tredis_us_per_req\tredis_cmds_per_req\taof_rewrites\taof_delayed_fsync\n' >"$OUT/enqueue.tsv"
    for rep in $(seq "$WRK_REPEAT"); do
        for app in fast down; do
            case $app in fast) port=$P_UP ;; down) port=$P_DOWN ;; esac
            port_busy "$P_DOWN" && die "something listens on $P_DOWN, the app-down address"
            tag=enqueue-$app-$rep
            log "enqueue: app $app, run $rep: hookgate, a fresh store"
            start_hg "$port" "$QDIR/enqueue.redb"
            if [[ $WRK_WARMUP != 0 ]]; then
                gen $((COUNT / 4)) 2 "q-enq-warm-$rep-$app-" "$WORK/req"
                wrk -t2 -c"$WRK_CONNS" -d"$WRK_WARMUP" -s "$BENCH/signed.lua" "$url" -- "$WORK/req" >"$OUT/raw/$tag.warmup.txt" 2>&1 ||
                    die "wrk failed in the warm-up of $tag"
            fi
            gen "$COUNT" 2 "q-enq-$rep-$app-" "$WORK/req"
            hookgate_log_rotate >/dev/null
            metrics >"$OUT/raw/$tag.metrics-before.txt"
            redis_info "$OUT/raw/$tag.redis-before.txt"
            echo "\$ wrk -t2 -c$WRK_CONNS -d$WRK_DURATION --latency -s bench/signed.lua $url -- REQ" >"$OUT/raw/$tag.txt"
            thread_ticks >"$WORK/th0"
            t0=$(ticks "$HG_PID"); r0=$(redis_ticks); e0=$EPOCHREALTIME
            "${CLIENT_CPU[@]}" wrk -t2 -c"$WRK_CONNS" -d"$WRK_DURATION" --latency -s "$BENCH/signed.lua" "$url" -- "$WORK/req" >>"$OUT/raw/$tag.txt" 2>&1 ||
                die "wrk failed for $tag; see $OUT/raw/$tag.txt"
            t1=$(ticks "$HG_PID"); r1=$(redis_ticks); e1=$EPOCHREALTIME
            thread_ticks >"$WORK/th1"
            echo "hookgate threads, % of a core: $(thread_cpu "$WORK/th0" "$WORK/th1" "$(awk -v s="$e0" -v e="$e1" 'BEGIN {print e - s}')")" | tee "$OUT/raw/$tag.threads.txt" >&2
            sleep 0.5
            metrics >"$OUT/raw/$tag.metrics-after.txt"
            redis_info "$OUT/raw/$tag.redis-after.txt"
            hookgate_log_rotate >/dev/null
            res=$(grep '^RESULT' "$OUT/raw/$tag.txt")
            d=$(python3 "$BENCH/queue_metrics.py" delta "$OUT/raw/$tag.metrics-before.txt" "$OUT/raw/$tag.metrics-after.txt" "$ROUTE")
            reqs=$(kv requests "$res"); non2xx=$(kv non2xx "$res"); secs=$(kv duration_s "$res")
            read -r -a rd <<<"$(redis_delta "$OUT/raw/$tag.redis-before.txt" "$OUT/raw/$tag.redis-after.txt" "$reqs")"
            [[ $(kv repeats "$res") == 0 ]] || echo "queue.sh: WARNING: $tag repeated ids (raise COUNT)" >&2
            (($(kv queued "$d") >= reqs && non2xx == 0)) ||
                echo "queue.sh: WARNING: $tag: $reqs answers, $non2xx non-2xx, hookgate counted $d" >&2
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$app" "$rep" "$reqs" "$non2xx" \
                "$(($(kv err_connect "$res") + $(kv err_read "$res") + $(kv err_write "$res") + $(kv err_timeout "$res")))" "$secs" \
                "$(awk -v n="$reqs" -v x="$non2xx" -v s="$secs" 'BEGIN {printf "%.0f", (n - x) / s}')" \
                "$(awk -v u="$(kv p50_us "$res")" 'BEGIN {printf "%.3f", u / 1000}')" "$(awk -v u="$(kv p99_us "$res")" 'BEGIN {printf "%.3f", u / 1000}')" \
                "$(kv queued "$d")" "$(kv other_outcomes "$d")" "$(kv commits "$d")" "$(kv mean_commit "$d")" \
                "$(kv fsync_p50_ms "$d")" "$(kv fsync_p99_ms "$d")" "$(kv fsync_mean_ms "$d")" \
                "$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v s="$e0" -v e="$e1" 'BEGIN {printf "%.0f", 100 * t / hz / (e - s)}')" \
                "$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$reqs" 'BEGIN {printf "%.1f", 1e6 * t / hz / n}')" \
                "$(kv attempts "$d")" "$BACKEND_TAG" \
                "$([[ $QUEUE_BACKEND == redis ]] && awk -v t=$((r1 - r0)) -v hz="$HZ" -v s="$e0" -v e="$e1" 'BEGIN {printf "%.0f", 100 * t / hz / (e - s)}' || echo -)" \
                "$([[ $QUEUE_BACKEND == redis ]] && awk -v t=$((r1 - r0)) -v hz="$HZ" -v n="$reqs" 'BEGIN {printf "%.1f", 1e6 * t / hz / n}' || echo -)" \
                "${rd[0]}" "${rd[1]}" "${rd[2]}" >>"$OUT/enqueue.tsv"
            tail -1 "$OUT/enqueue.tsv" | awk -F'\t' '{printf "   app %-4s  %s acks/s  p50 %s ms  p99 %s ms  non2xx %s  queued %s of %s  commit %s  fsync p50/p99 %s/%s ms  hookgate %s%% CPU, %s us/req  attempts %s  redis %s%% CPU, %s us/req, %s cmds/req, %s AOF rewrites, %s delayed fsyncs\n", $1, $7, $8, $9, $4, $10, $3, $13, $14, $15, $17, $18, $19, $21, $22, $23, $24, $25}' >&2
            rm -f "$WORK"/req.*
        done
    done
}

# --- disk ------------------------------------------------------------------------------------
phase_disk() {
    local store=$QDIR/fill.redb res d g secs tag=disk-fill
    log "disk: the app down, $FILL deliveries at $FILL_RATE/s"
    start_hg "$P_DOWN" "$store"
    secs=$(((FILL + FILL_RATE - 1) / FILL_RATE))
    gen $((FILL_RATE * secs)) 1 "q-fill-" "$WORK/req"
    metrics >"$OUT/raw/$tag.metrics-before.txt"
    "${CLIENT_CPU[@]}" "$LOADGEN" "http://127.0.0.1:$P_HG/webhooks/$ROUTE" "$FILL_RATE" "$secs" "$CONNS" "$WORK/req.0" >"$OUT/raw/$tag.txt" 2>&1 ||
        die "openloop failed for $tag; see $OUT/raw/$tag.txt"
    rm -f "$WORK"/req.*
    sleep 2
    metrics >"$OUT/raw/$tag.metrics-after.txt"
    hookgate_log_rotate >/dev/null
    d=$(python3 "$BENCH/queue_metrics.py" delta "$OUT/raw/$tag.metrics-before.txt" "$OUT/raw/$tag.metrics-after.txt" "$ROUTE")
    g=$(python3 "$BENCH/queue_metrics.py" gauges "$OUT/raw/$tag.metrics-after.txt")
    ls -l "$store" >"$OUT/raw/disk-ls.txt"
    du -B1 "$store" >>"$OUT/raw/disk-ls.txt"
    printf 'queued\tdepth\tfile_bytes\talloc_bytes\tdisk_bytes\tbytes\tmean_commit\tfsync_p50_ms\tfsync_p99_ms\n' >"$OUT/disk.tsv"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(kv queued "$d")" "$(kv depth "$g")" "$(stat -c %s "$store")" \
        "$(du -B1 "$store" | cut -f1)" "$(kv disk_bytes "$g")" "$(kv bytes "$g")" "$(kv mean_commit "$d")" \
        "$(kv fsync_p50_ms "$d")" "$(kv fsync_p99_ms "$d")" >>"$OUT/disk.tsv"
    cat "$OUT/raw/disk-ls.txt" >&2
    tail -1 "$OUT/disk.tsv" | awk -F'\t' '{printf "   queued %s, depth %s, file %s B (%.0f B each), allocated %s B, disk_bytes %s, queue_bytes %s\n", $1, $2, $3, $3 / $1, $4, $5, $6}' >&2
    (($(kv queued "$d") == FILL)) || echo "queue.sh: WARNING: $(kv queued "$d") of $FILL queued ($d)" >&2
}

# --- recovery --------------------------------------------------------------------------------
# timed_start: hookgate with $WORK/hookgate.yaml, timed from exec to /readyz 200 by one process
# (python: no fork per poll, 1 ms polling). Sets HG_PID and MS.
timed_start() {
    read -r HG_PID MS < <(python3 - "$HG" "$WORK/hookgate.yaml" "$HG_LOG" "http://127.0.0.1:$P_ADMIN/readyz" "${SERVER_CPU[@]}" <<'PY'
import subprocess, sys, time, urllib.request
hg, conf, logf, url = sys.argv[1:5]
pre = sys.argv[5:]
t0 = time.monotonic()
p = subprocess.Popen(pre + [hg, "--config", conf], stderr=open(logf, "a"), stdout=subprocess.DEVNULL)
while True:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                break
    except Exception:
        pass
    if p.poll() is not None:
        print(p.pid, -1); sys.exit(0)
    if time.monotonic() - t0 > 120:
        print(p.pid, -2); sys.exit(0)
    time.sleep(0.001)
print(p.pid, f"{(time.monotonic() - t0) * 1000:.1f}")
PY
)
    [[ $MS != -* ]] || die "hookgate did not become ready ($MS); see $OUT/hookgate.log"
}

phase_recovery() {
    local store=$QDIR/fill.redb run line depth
    [[ -f $store && -n $HG_PID ]] || die "the recovery phase needs the disk phase's store and hookgate (PHASES=\"disk recovery\")"
    printf 'run\tready_ms\tdepth\tlog\n' >"$OUT/recovery.tsv"
    for run in $(seq "$KILLS") empty; do
        if [[ $run == empty ]]; then
            # For scale: the same start on an empty store, after a clean stop.
            log "recovery, for scale: a clean start on an empty store"
            stop_pid "$HG_PID" TERM
            rm -f "$QDIR/empty.redb"
            hookgate_config "$P_DOWN" "$QDIR/empty.redb"
        else
            log "recovery $run: SIGKILL hookgate ($HG_PID), start it again"
            kill -KILL "$HG_PID"
            wait "$HG_PID" 2>/dev/null || true # our child the first time; python's (gone) after
            while kill -0 "$HG_PID" 2>/dev/null; do sleep 0.05; done
        fi
        hookgate_log_rotate >/dev/null
        sync
        timed_start
        sleep 1 # the log is written in batches
        line=$(grep -a 'queue store opened\|repaired' "$HG_LOG" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-300 | tr '\n' ' ' || true)
        metrics >"$OUT/raw/recovery-$run.metrics.txt"
        depth=$(kv depth "$(python3 "$BENCH/queue_metrics.py" gauges "$OUT/raw/recovery-$run.metrics.txt")")
        printf '%s\t%s\t%s\t%s\n' "$run" "$MS" "$depth" "$line" >>"$OUT/recovery.tsv"
        echo "   ready in $MS ms; depth $depth; $line" >&2
        sleep 1
    done
}

for phase in $PHASES; do
    case $phase in
        latency) phase_latency ;;
        enqueue) phase_enqueue ;;
        disk | recovery)
            if [[ $QUEUE_BACKEND == redis ]]; then
                log "$phase: skipped (the embedded store's file; QUEUE_BACKEND=redis keeps the queue in Redis)"
            else
                "phase_$phase"
            fi
            ;;
        *) die "unknown phase $phase (latency enqueue disk recovery)" ;;
    esac
done
stop_pid "$HG_PID" TERM
hookgate_log_rotate >/dev/null
{
    python3 "$BENCH/queue_metrics.py" summary "$OUT"
    if [[ $QUEUE_BACKEND == redis ]]; then
        # queue_metrics.py knows the embedded store's columns; the redis-server's are added here.
        echo "## redis-server (queue backend, appendfsync $REDIS_FSYNC): CPU apart from hookgate's; no commit/fsync histogram on this backend"
        echo
        echo "| run | redis CPU % | redis µs/req | hookgate µs/req | Redis commands per request | AOF rewrites | delayed fsyncs |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        if [[ -f $OUT/enqueue.tsv ]]; then awk -F'\t' 'NR > 1 {printf "| enqueue, app %s, run %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $21, $22, $18, $23, $24, $25}' "$OUT/enqueue.tsv"; fi
        # open loop: CPU per request = % of a core × 10 000 / rate.
        if [[ -f $OUT/latency.tsv ]]; then awk -F'\t' 'NR > 1 {printf "| latency, %s at %s/s, run %s | %s | %.1f | %.1f | %s | %s | |\n", $1, $2, $3, $20, $20 * 1e4 / $2, $14 * 1e4 / $2, $21, $22}' "$OUT/latency.tsv"; fi
        echo
    fi
} | tee "$OUT/summary.md"
log "results in $OUT"
