#!/usr/bin/env bash
# Load test: wrk replaying pre-signed, unique webhook deliveries against
#   direct    nginx answering `return 200 '{"ok":true}'` (the baseline app, "upstream")
#   nginx     nginx as a plain proxy_pass (keepalive 64 to the upstream) in front of it, in its
#             own nginx instance (NGINX_LAYOUT below)
#   njs       nginx + njs in front of it, what a team builds without hookgate: bench/njs_verify.js
#             checks each tolinku request's signature and timestamp (no dedup), answers 401 or
#             hands it to the plain nginx proxy's proxy_pass; its own nginx instance, the nginx
#             proxy's worker count (on unless NJS=0; skipped when the njs module is not installed)
#   hookgate  hookgate (release build) in front of the same upstream, one row per route
#   floor     with FLOOR=1: bench/floor_proxy.rs, a relay on hookgate's stack (hyper, tokio,
#             thread per core) that does nothing else: what the stack itself costs
# Every request carries a different event id (so dedup never short-circuits) and a signature
# made right before its run. The direct and nginx targets get the same bodies and headers
# (tolinku); nginx ignores the signature, njs checks it.
#
# Usage: bench/run.sh             (about 5 minutes with the defaults)
# Knobs (environment):
#   DURATION=15s     wrk -d for each measured run
#   WARMUP=3s        an unmeasured wrk run (its own unique ids) before each measured one; 0 = none
#   THREADS=2        wrk -t (fewer when CONNS is smaller: -c1 runs with -t1)
#   CONNS="50 10"    wrk -c values, one set of runs each ("50 10 1" adds single-connection runs)
#   ROUTES=tolinku   hookgate routes to load: tolinku github stripe tolinku-nodedup (the tolinku
#                    route with dedup off; see bench/hookgate.bench.yaml)
#   REPEAT=1         measured runs per (target, connections), interleaved
#   BODY_BYTES=1024  every body padded to this size (a "padding" field after the others; 0: the
#                    natural ~270 bytes, as measured before 2026-12-04)
#   COUNT=800000     pre-signed requests per run; must exceed what a hookgate run sends (checked;
#                    the direct and nginx targets may go past it: nginx ignores the ids)
#   OTHER_MAX=20     a run during which other processes used more than this % of one core is
#   RETRIES=2        discarded and run again (up to RETRIES times; then kept, and flagged)
#   QUIET_WAIT=300   before each run, wait up to this many seconds for others to drop below OTHER_MAX
#   BENCH_PORT_BASE=18080  ports BASE..BASE+6: upstream, nginx proxy, hookgate, hookgate admin,
#                    redis-server, floor proxy, njs
#   HOOKGATE_BIN=    a hookgate binary to use instead of `cargo build --release`
#   OUT=bench/results/<UTC time>   where results, raw wrk output and logs go
#   HOOKGATE_LOG=info  hookgate's log level (info logs one line per request; warn does not)
#   HOOKGATE_WORKERS=  hookgate's `workers` (default: the config default, one per usable CPU)
#   DEDUP=memory     hookgate's dedup backend: memory, or redis (a local redis-server, started
#                    here; its CPU is counted in hookgate's column)
#   NGINX_LAYOUT=split  split: the nginx proxy is its own nginx instance in front of the app's (as
#                    hookgate is); shared: one nginx plays both (passes before the fifth session)
#   HOOKGATE_UPSTREAM=tcp  how hookgate reaches the app: tcp (127.0.0.1) or unix (the same nginx app
#                    on a unix socket, as a sidecar sharing a volume with its app could)
#   FLOOR=1          also load the floor target (above), with the tolinku bodies
#   NJS=             the njs target (above): on by default when NJS_MODULE
#                    (/usr/lib/nginx/modules/ngx_http_js_module.so, Debian libnginx-mod-http-js)
#                    exists, skipped with a message when it does not; NJS=0 turns it off
#   PIN=1            wrk on CPU PIN_CLIENT (0), the app, proxies and redis-server on PIN_SERVERS (1)
#   KEEP=1           keep the temporary folder (nginx config, request files)
# Everything binds and targets 127.0.0.1 only; every run is bounded by DURATION.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-"50 10"}
ROUTES=${ROUTES:-tolinku}
REPEAT=${REPEAT:-1}
COUNT=${COUNT:-800000}
BODY_BYTES=${BODY_BYTES:-1024}
OTHER_MAX=${OTHER_MAX:-20}
RETRIES=${RETRIES:-2}
QUIET_WAIT=${QUIET_WAIT:-300}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$BENCH/results/$STAMP}
. "$BENCH/lib.sh"

check_tools
# The njs target: on unless NJS=0, when the module is installed.
NJS_ON=""
if [[ ${NJS:-} != 0 ]]; then
    if [[ -r $NJS_MODULE ]]; then
        NJS_ON=1
    else
        echo "run.sh: njs target skipped: no $NJS_MODULE (apt-get install -y libnginx-mod-http-js; NJS=0 silences this)" >&2
    fi
fi
check_ports ${NJS_ON:+"$P_NJS"}
build_hookgate
setup_work
mkdir -p "$OUT/raw"
start_nginx
start_hookgate
[[ -n ${FLOOR:-} ]] && start_floor
[[ -n $NJS_ON ]] && start_njs

# --- the machine and versions -----------------------------------------------------------------
{
    echo "date (UTC): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -sr)"
    echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
    echo "nginx: $("$NGINX" -v 2>&1); layout: ${NGINX_LAYOUT:-split} (split: the proxy and the app are separate nginx instances)"
    echo "njs: $([[ -n $NJS_ON ]] && curl -fsS "http://127.0.0.1:$P_NJS/healthz" || echo 'target off'), $NJS_MODULE; same worker_processes as the nginx proxy"
    echo "cpus: $([[ -n ${PIN:-} ]] && echo "wrk pinned to ${PIN_CLIENT:-0}, servers to ${PIN_SERVERS:-1} (PIN)" || echo "not pinned")"
    echo "bodies: ${BODY_BYTES} bytes (BODY_BYTES; 0 = natural, ~270), unique ids, signed right before each run"
    echo "wrk: $( (wrk -v 2>&1 || true) | head -1 | sed 's/ Copyright.*//')"
    echo "hookgate: $("$HG" --version 2>&1), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]] && echo ' (work tree modified)')"
    echo "hookgate binary: $HG, sha256 $(sha256sum "$HG" | cut -c1-16)…; uncommitted diff sha256 $( (git -C "$ROOT" diff HEAD 2>/dev/null || true) | sha256sum | cut -c1-16)…"
    echo "rustc: $(rustc -V 2>/dev/null || echo '?')"
    echo "wrk: -t$THREADS -d$DURATION --latency, warm-up $WARMUP; connections: $CONNS; repeats: $REPEAT"
    echo "hookgate log level: ${HOOKGATE_LOG:-info} (text, to a file)"
    echo "hookgate dedup backend: ${DEDUP:-memory}$([[ ${DEDUP:-memory} == redis ]] && echo " ($(redis-server --version | awk '{print $3}'), local; its CPU counted with hookgate's)")"
    echo "runs redone when other processes used > $OTHER_MAX% of a core (up to $RETRIES times)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# --- helpers -----------------------------------------------------------------------------------
# hookgate's, plus its dedup store's when that is a local redis-server (DEDUP=redis).
# The proxy under test's: hookgate's (see hg_ticks), or the floor proxy's.
proxy_ticks() { # target
    case $1 in
        hookgate) hg_ticks ;;
        floor) ticks "$FLOOR_PID" ;;
        *) echo 0 ;;
    esac
}
# The target's own process alone, for its CPU per request: the app's nginx (direct), the proxy's
# nginx instance (nginx, split layout; shared: app and proxy together), the njs nginx instance,
# hookgate (with redis-server under DEDUP=redis), the floor proxy.
own_ticks() { # target
    case $1 in
        direct) ticks "$NGINX_PID" ;;
        nginx) ticks "${NGX_PROXY_PID:-$NGINX_PID}" ;;
        njs) ticks "$NJS_PID" ;;
        *) proxy_ticks "$1" ;;
    esac
}
hg_ticks() {
    local t
    t=$(ticks "$HG_PID")
    if [[ -n $REDIS_PID ]]; then t=$((t + $(ticks "$REDIS_PID"))); fi
    echo "$t"
}
HZ=$(getconf CLK_TCK)
# user+nice+system+irq+softirq ticks of the whole machine (not idle, iowait or steal).
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; }
pct() { awk -v t="$1" -v s="$2" -v hz="$HZ" 'BEGIN {printf "%.0f", 100 * t / hz / s}'; }

field() { sed -n "s/.*[[:space:]]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

TSV=$OUT/results.tsv
# Columns 1-24 as before the njs target (run.sh reads 22 and 24); 25-26 added with it.
printf 'target\troute\tconns\trun\trps\tp50_ms\tp99_ms\tp999_ms\tmax_ms\trequests\tnon2xx\tsocket_errors\trepeats\thg_forwarded\thg_duplicate\thg_other\thg_evicted\thg_cpu_pct\tnginx_cpu_pct\thg_rss_mib\twrk_cpu_pct\tother_cpu_pct\thg_log_bytes_per_req\ttag\town_cpu_pct\tapp_requests\n' >"$TSV"
head -1 "$TSV" >"$OUT/discarded.tsv"

RUN_NO=0
one_run() { # target route conns rep
    local target=$1 route=$2 conns=$3 rep=$4 url provider
    local threads=$((conns < THREADS ? conns : THREADS)) # wrk needs a connection per thread
    RUN_NO=$((RUN_NO + 1))
    case $target in
        direct) url="http://127.0.0.1:$P_UP/webhooks/$route" ;;
        nginx) url="http://127.0.0.1:$P_NGX/webhooks/$route" ;;
        njs) url="http://127.0.0.1:$P_NJS/webhooks/$route" ;;
        hookgate) url="http://127.0.0.1:$P_HG/webhooks/$route" ;;
        floor) url="http://127.0.0.1:$P_FLOOR/webhooks/$route" ;;
    esac
    provider=${route%%-*} # tolinku-nodedup is a tolinku route
    local tag
    tag=$(printf '%02d-%s-%s-c%s-r%s' "$RUN_NO" "$target" "$route" "$conns" "$rep")
    local req=$WORK/req-$RUN_NO
    # Signed now: the freshness window (5m) starts here.
    if [[ $WARMUP != 0 ]]; then
        python3 "$BENCH/gen_requests.py" --provider "$provider" --count $((COUNT / 4)) --threads "$threads" \
            --prefix "evt_${STAMP}_${RUN_NO}_warm" --body-bytes "$BODY_BYTES" --out "$req-warm" 2>/dev/null
        "${CLIENT_CPU[@]}" wrk -t"$threads" -c"$conns" -d"$WARMUP" -s "$BENCH/signed.lua" "$url" -- "$req-warm" >"$OUT/raw/$tag.warmup.txt" 2>&1 ||
            die "wrk failed in the warm-up of $tag; see $OUT/raw/$tag.warmup.txt"
        rm -f "$req-warm".*
    fi
    python3 "$BENCH/gen_requests.py" --provider "$provider" --count "$COUNT" --threads "$threads" \
        --prefix "evt_${STAMP}_${RUN_NO}" --body-bytes "$BODY_BYTES" --out "$req" 2>/dev/null
    local before=$WORK/metrics-before after=$WORK/metrics-after
    hookgate_log_rotate >/dev/null # the warm-up's
    scrape >"$before"
    local app0
    app0=$(app_requests)
    [[ -n $app0 ]] || die "cannot read the app's request counter ($WORK/app-status.sock)"
    local t0_hg t0_ngx t0_own t0_all t0 t1 elapsed
    t0_hg=$(proxy_ticks "$target"); t0_ngx=$(nginx_ticks); t0_own=$(own_ticks "$target"); t0_all=$(busy); t0=$(date +%s.%N)
    local cmd=("${CLIENT_CPU[@]}" wrk -t"$threads" -c"$conns" -d"$DURATION" --latency -s bench/signed.lua "$url" -- "$req")
    echo "\$ ${cmd[*]}" >"$OUT/raw/$tag.txt"
    local TIMEFORMAT='%U %S'
    local rc=0
    { time "${CLIENT_CPU[@]}" wrk -t"$threads" -c"$conns" -d"$DURATION" --latency -s "$BENCH/signed.lua" "$url" -- "$req" >>"$OUT/raw/$tag.txt" 2>&1 || rc=$?; } 2>"$WORK/wrk-time"
    ((rc == 0)) || die "wrk failed for $tag (exit $rc); see $OUT/raw/$tag.txt"
    t1=$(date +%s.%N)
    elapsed=$(awk -v s="$t0" -v e="$t1" 'BEGIN {print e - s}')
    local d_hg d_ngx d_own d_all d_wrk hg_cpu ngx_cpu own_cpu wrk_cpu other_cpu
    d_hg=$(($(proxy_ticks "$target") - t0_hg)); d_ngx=$(($(nginx_ticks) - t0_ngx)); d_own=$(($(own_ticks "$target") - t0_own)); d_all=$(($(busy) - t0_all))
    d_wrk=$(awk -v hz="$HZ" '{printf "%.0f", ($1 + $2) * hz}' "$WORK/wrk-time")
    hg_cpu=$(pct "$d_hg" "$elapsed"); ngx_cpu=$(pct "$d_ngx" "$elapsed"); own_cpu=$(pct "$d_own" "$elapsed"); wrk_cpu=$(pct "$d_wrk" "$elapsed")
    # Everything else that ran meanwhile: other users' work, and kernel time (softirq: the
    # loopback network) that is not charged to a process.
    other_cpu=$(pct $((d_all - d_hg - d_ngx - d_wrk)) "$elapsed")
    sleep 0.5 # let in-flight requests settle before reading the counters
    scrape >"$after"
    # Requests the app answered during the run, less the two scrapes (the second one counts).
    local app_reqs
    app_reqs=$(app_requests)
    [[ -n $app_reqs ]] || die "cannot read the app's request counter ($WORK/app-status.sock)"
    app_reqs=$((app_reqs - app0 - 1))
    local log_bytes
    log_bytes=$(hookgate_log_rotate)
    rm -f "$req".*
    kill -0 "$HG_PID" 2>/dev/null || die "hookgate died during $tag; see $OUT/hookgate.log"
    [[ $target != njs ]] || kill -0 "$NJS_PID" 2>/dev/null || die "the njs nginx died during $tag; see $OUT/njs.log"

    local res
    res=$(grep '^RESULT' "$OUT/raw/$tag.txt" || true)
    [[ -n $res ]] || die "no RESULT line from wrk for $tag; see $OUT/raw/$tag.txt"
    local repeats requests
    repeats=$(field repeats "$res"); requests=$(field requests "$res")
    local fwd=- dup=- other=- evicted=- rss=-
    if [[ $target == hookgate ]]; then
        # Deltas of hookgate_requests_total for the route over the measured run.
        read -r fwd dup other evicted < <(awk -v r="$route" '
            NR == FNR { if ($1 == r) b[$2] = $3; next }
            $1 == r { d = $3 - b[$2]; if ($2 == "forwarded") f += d; else if ($2 == "duplicate" || $2 == "duplicate_in_flight") u += d; else if ($2 == "evicted") v += d; else o += d }
            END { printf "%d %d %d %d\n", f, u, o, v }' "$before" "$after")
        rss=$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$HG_PID/status")
        awk -v r="$route" '$1 == r && $3 != 0' "$after" >"$OUT/raw/$tag.metrics.txt"
    fi
    local sockerr
    sockerr=$(($(field err_connect "$res") + $(field err_read "$res") + $(field err_write "$res") + $(field err_timeout "$res")))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$target" "$route" "$conns" "$rep" "$(field rps "$res")" \
        "$(awk -v u="$(field p50_us "$res")" 'BEGIN {printf "%.3f", u/1000}')" \
        "$(awk -v u="$(field p99_us "$res")" 'BEGIN {printf "%.3f", u/1000}')" \
        "$(awk -v u="$(field p999_us "$res")" 'BEGIN {printf "%.3f", u/1000}')" \
        "$(awk -v u="$(field max_us "$res")" 'BEGIN {printf "%.3f", u/1000}')" \
        "$requests" "$(field non2xx "$res")" "$sockerr" "$repeats" \
        "$fwd" "$dup" "$other" "$evicted" \
        "$([[ $target == hookgate || $target == floor ]] && echo "$hg_cpu" || echo -)" "$ngx_cpu" "$rss" "$wrk_cpu" "$other_cpu" \
        "$([[ $target == hookgate ]] && awk -v b="$log_bytes" -v n="$requests" 'BEGIN {printf "%.0f", n ? b / n : 0}' || echo -)" "$tag" \
        "$own_cpu" "$app_reqs" >>"$TSV"
    tail -1 "$TSV" | awk -F'\t' '{printf "   %-8s %-8s c%-3s  %9s req/s  p50 %6s ms  p99 %6s ms  non2xx %s  sockerr %s  repeats %s  hg fwd/dup/other %s/%s/%s  rss %s MiB  app reqs %s  cpu%% own/hg/nginx/wrk/other %s/%s/%s/%s/%s\n", $1, $2, $3, $5, $6, $7, $11, $12, $13, $14, $15, $16, $20, $26, $25, $18, $19, $21, $22}' >&2
    if [[ $repeats != 0 && $target == hookgate ]]; then
        echo "run.sh: WARNING: $tag sent $repeats requests past its $COUNT pre-signed ones (repeated ids); raise COUNT" >&2
    fi
    # The njs target answers 2xx only for a request it verified and proxied: every answer must be
    # 2xx, and the app must have answered at least as many requests as wrk counted.
    if [[ $target == njs ]] && (($(field non2xx "$res") != 0 || requests == 0 || app_reqs < requests)); then
        echo "run.sh: WARNING: $tag: njs answered $(field non2xx "$res") non-2xx of $requests, the app saw $app_reqs: not every request was verified and proxied; see $OUT/njs.log" >&2
    fi
}

# --- the runs --------------------------------------------------------------------------------
# The machine may be shared: before each run, wait (up to QUIET_WAIT s) until other processes use
# at most OTHER_MAX % of a core; redo a run (up to RETRIES times) when they used more during it.
others_now() { # % of one core busy over 2 s, less our idle nginx and hookgate
    local a0 o0 a1 o1
    a0=$(busy); o0=$(($(hg_ticks) + $(nginx_ticks) + $(proxy_ticks floor)))
    sleep 2
    a1=$(busy); o1=$(($(hg_ticks) + $(nginx_ticks) + $(proxy_ticks floor)))
    pct $(((a1 - a0) - (o1 - o0))) 2
}
wait_quiet() {
    local start=$SECONDS now
    while now=$(others_now); ((now > OTHER_MAX)); do
        if ((SECONDS - start >= QUIET_WAIT)); then
            echo "run.sh: the machine is still busy (others use ${now}% of a core); running anyway" >&2
            return
        fi
        echo "   (others use ${now}% of a core; waiting for a quiet machine)" >&2
        sleep 5
    done
}
measure() { # target route conns rep
    local attempt
    for attempt in $(seq 0 "$RETRIES"); do
        wait_quiet
        one_run "$@"
        local other
        other=$(tail -1 "$TSV" | cut -f22)
        ((other <= OTHER_MAX)) && return
        if ((attempt < RETRIES)); then
            echo "   (others used ${other}% of a core during that run: discarded, running it again)" >&2
            tail -1 "$TSV" >>"$OUT/discarded.tsv"
            sed -i '$d' "$TSV"
        fi
    done
}

for conns in $CONNS; do
    for rep in $(seq "$REPEAT"); do
        log "wrk -t$((conns < THREADS ? conns : THREADS)) -c$conns -d$DURATION, run $rep/$REPEAT"
        measure direct tolinku "$conns" "$rep"
        measure nginx tolinku "$conns" "$rep"
        [[ -n $NJS_ON ]] && measure njs tolinku "$conns" "$rep"
        [[ -n ${FLOOR:-} ]] && measure floor tolinku "$conns" "$rep"
        for route in $ROUTES; do
            measure hookgate "$route" "$conns" "$rep"
        done
    done
done

# --- summary ---------------------------------------------------------------------------------
grep -E '^Vm(RSS|HWM)' "/proc/$HG_PID/status" >"$OUT/hookgate-rss.txt"
curl -fsS "http://127.0.0.1:$P_ADMIN/metrics" >"$OUT/hookgate-metrics.txt" || true
{
    echo "Commands (URL per target: direct :$P_UP, nginx :$P_NGX, hookgate :$P_HG${FLOOR:+, floor :$P_FLOOR}${NJS_ON:+, njs :$P_NJS}):"
    tail -n +2 "$TSV" | cut -f24 | while read -r tag; do head -1 "$OUT/raw/$tag.txt"; done
} >"$OUT/commands.txt"
echo "hookgate after all runs: $(tr -s ' \t\n' ' ' <"$OUT/hookgate-rss.txt")" >>"$OUT/machine.txt"
python3 "$BENCH/summarize.py" "$OUT" "$OTHER_MAX" >"$OUT/summary.md"

bad=$(tail -n +2 "$TSV" | awk -F'\t' '$11 != 0 || $12 != 0 || ($1 == "hookgate" && ($13 != 0 || $15 != 0 || $16 != 0)) || ($1 == "njs" && ($10 == 0 || $26 < $10))' | wc -l)
log "results: $OUT/summary.md"
cat "$OUT/summary.md"
if ((bad)); then
    echo "run.sh: $bad run(s) had non-2xx answers, socket errors, (hookgate) repeated ids or outcomes other than forwarded, or (njs) fewer requests at the app than answered; see above" >&2
    exit 1
fi
