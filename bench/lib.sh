# Shared by bench/run.sh and bench/dedup_recency.sh: tools, ports, the hookgate binary, and the
# nginx + hookgate processes (started on 127.0.0.1 only, stopped by an EXIT trap).
# The caller sets ROOT, BENCH and OUT before sourcing, and may set BENCH_PORT_BASE.
# run.sh also starts the njs target here (start_njs: nginx + njs verifying the tolinku route).

BASE=${BENCH_PORT_BASE:-18080}
P_UP=$BASE            # nginx: the baseline app (`return 200 '{"ok":true}'`)
P_NGX=$((BASE + 1))   # nginx: plain proxy_pass in front of it
P_HG=$((BASE + 2))    # hookgate in front of it
P_ADMIN=$((BASE + 3)) # hookgate's admin port (/metrics, /readyz)
P_REDIS=$((BASE + 4)) # redis-server, with DEDUP=redis
P_FLOOR=$((BASE + 5)) # bench/floor_proxy.rs, with FLOOR=1 (run.sh)
P_NJS=$((BASE + 6))   # nginx + njs verifying tolinku deliveries, then proxy_pass (run.sh, NJS)
# The njs module (Debian: libnginx-mod-http-js), loaded by the njs target's nginx instance.
NJS_MODULE=${NJS_MODULE:-/usr/lib/nginx/modules/ngx_http_js_module.so}

# PIN=1: the load generator on one CPU (PIN_CLIENT, default 0) and everything it loads (apps,
# proxies, redis-server) on another (PIN_SERVERS, default 1), as issue 14's reference figures
# were taken; without PIN every process may run on every CPU.
if [[ -n ${PIN:-} ]]; then
    SERVER_CPU=(taskset -c "${PIN_SERVERS:-1}")
    CLIENT_CPU=(taskset -c "${PIN_CLIENT:-0}")
else
    SERVER_CPU=()
    CLIENT_CPU=()
fi

die() { echo "${0##*/}: $*" >&2; exit 2; }
log() { echo "== $*" >&2; }

check_tools() {
    NGINX=$(command -v nginx || true)
    [[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
    local missing=() t
    command -v wrk >/dev/null || missing+=(wrk)
    [[ -n $NGINX ]] || missing+=(nginx)
    if ((${#missing[@]})); then
        die "missing: ${missing[*]}. Install them with:
    apt-get update && apt-get install -y nginx-light wrk libnginx-mod-http-js
(nginx-light or nginx; libnginx-mod-http-js for run.sh's njs target. The Debian package may
 start a default nginx on port 80: stop it with 'service nginx stop' if you do not want it)"
    fi
    for t in python3 curl awk; do command -v "$t" >/dev/null || die "missing: $t (apt-get install -y $t)"; done
    if [[ ${DEDUP:-memory} == redis ]]; then
        command -v redis-server >/dev/null || die "missing: redis-server (DEDUP=redis). Install it with:
    apt-get update && apt-get install -y redis-server"
    elif [[ ${DEDUP:-memory} != memory ]]; then
        die "DEDUP=$DEDUP: use memory or redis"
    fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_ports() { # extra ports to check (run.sh: P_NJS when the njs target is on)
    local p
    for p in $P_UP $P_NGX $P_HG $P_ADMIN $P_REDIS $P_FLOOR "$@"; do
        port_busy "$p" && die "port $p on 127.0.0.1 is in use; free it or set BENCH_PORT_BASE (uses BASE..BASE+5, and BASE+6 for the njs target)"
    done
    return 0
}

# Sets HG: $HOOKGATE_BIN, or a release build (into $CARGO_TARGET_DIR when set).
build_hookgate() {
    if [[ -n ${HOOKGATE_BIN:-} ]]; then
        HG=$HOOKGATE_BIN
    else
        log "cargo build --release"
        (cd "$ROOT" && cargo build --release --bin hookgate) >&2 || die "cargo build --release failed"
        HG=${CARGO_TARGET_DIR:-$ROOT/target}/release/hookgate
    fi
    [[ -x $HG ]] || die "no hookgate binary at $HG"
}

# Sets WORK (a temporary folder) and installs the cleanup trap.
setup_work() {
    WORK=$(mktemp -d /tmp/hookgate-bench.XXXXXX)
    NGINX_PID=""
    NGX_PROXY_PID=""
    HG_PID=""
    REDIS_PID=""
    FLOOR_PID=""
    NJS_PID=""
    HG_LOG=""
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd) # nginx resolves relative paths against its prefix ($WORK)
}

stop_pid() { # pid, first signal
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$2" "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$HG_PID" TERM
    [[ -n ${HG_LOG:-} && -f $HG_LOG ]] && hookgate_log_rotate >/dev/null
    stop_pid "$NGX_PROXY_PID" QUIT # graceful: a master stops its workers
    stop_pid "$NJS_PID" QUIT
    stop_pid "$NGINX_PID" QUIT
    stop_pid "$REDIS_PID" TERM
    stop_pid "$FLOOR_PID" TERM
    if [[ -n ${KEEP:-} ]]; then echo "${0##*/}: kept $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$rc"
}

wait_http() { # url, name (its log is $OUT/name.log), pid
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || die "$2 exited at start; see $OUT/$2.log"
        sleep 0.1
    done
    die "$2 did not answer $1 within 10s; see $OUT/$2.log"
}

# nginx_conf NAME SERVERS [MAIN]: an nginx config with its own pid, temp folders and error log;
# MAIN: lines for the main context (load_module, env).
nginx_conf() {
    mkdir -p "$WORK/$1/tmp"
    cat >"$WORK/$1.conf" <<EOF
${3:-}
worker_processes auto;
pid $WORK/$1/nginx.pid;
error_log $OUT/$1.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/$1/tmp/body;
    proxy_temp_path $WORK/$1/tmp/proxy;
    fastcgi_temp_path $WORK/$1/tmp/fastcgi;
    uwsgi_temp_path $WORK/$1/tmp/uwsgi;
    scgi_temp_path $WORK/$1/tmp/scgi;
    # The default (1000) closes each keep-alive connection every 1000 requests, for the
    # clients and for the proxies' upstream pools alike: raised so no target pays reconnects.
    keepalive_requests 1000000;
$2
}
EOF
    cp "$WORK/$1.conf" "$OUT/$1.conf"
}

nginx_start() { # NAME: runs $WORK/NAME.conf in a background job
    "${SERVER_CPU[@]}" "$NGINX" -p "$WORK/$1" -e "$OUT/$1.log" -c "$WORK/$1.conf" -g 'daemon off;' 2>>"$OUT/$1.log" &
}

# The baseline app (answers every request itself) and nginx as a plain proxy_pass in front of
# it. NGINX_LAYOUT=split (the default) runs them as two nginx instances: a proxy in front of an
# app in another process, as hookgate is. NGINX_LAYOUT=shared runs both servers in one nginx
# (every pass before the fifth session): each worker process plays proxy and app, so the hop to
# the app often costs no context switch at all, which no proxy in front of a separate app gets.
# Sets NGINX_PID (the app's master, or the only one) and NGX_PROXY_PID (empty when shared).
start_nginx() {
    local app proxy
    app="    server {
        listen 127.0.0.1:$P_UP;
        # The same app on a unix socket, for HOOKGATE_UPSTREAM=unix (a sidecar sharing a volume).
        listen unix:$WORK/app.sock;
        default_type application/json;
        location / { return 200 '{\"ok\":true}'; }
    }
    # The instance's request counter, for run.sh's check that the njs target's requests reached
    # the app (app_requests); on a unix socket of its own, away from the servers under test.
    server {
        listen unix:$WORK/app-status.sock;
        location / { stub_status; }
    }"
    proxy="    upstream app {
        server 127.0.0.1:$P_UP;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$P_NGX;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
    case ${NGINX_LAYOUT:-split} in
        split)
            nginx_conf nginx "$app"
            nginx_conf nginx-proxy "$proxy"
            log "nginx on 127.0.0.1:$P_UP (app), a second nginx on :$P_NGX (proxy)"
            nginx_start nginx
            NGINX_PID=$!
            nginx_start nginx-proxy
            NGX_PROXY_PID=$!
            ;;
        shared)
            nginx_conf nginx "$app
$proxy"
            log "nginx on 127.0.0.1:$P_UP (app) and :$P_NGX (proxy), one instance"
            nginx_start nginx
            NGINX_PID=$!
            ;;
        *) die "NGINX_LAYOUT must be split or shared, not '$NGINX_LAYOUT'" ;;
    esac
    wait_http "http://127.0.0.1:$P_UP/" nginx "$NGINX_PID"
    wait_http "http://127.0.0.1:$P_NGX/" "nginx${NGX_PROXY_PID:+-proxy}" "${NGX_PROXY_PID:-$NGINX_PID}"
}

# Sum of utime+stime (clock ticks) of a process and its children that are still running; 0 for
# no pid (a target not started: /proc//stat would be the machine's /proc/stat).
ticks() {
    local total=0 p
    [[ -n ${1:-} ]] || { echo 0; return; }
    for p in "$@" $(pgrep -P "$1" 2>/dev/null || true); do
        [[ -n $p && -r /proc/$p/stat ]] || continue
        total=$((total + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat")))
    done
    echo "$total"
}

# CPU ticks of every nginx process (app, proxy and njs; masters and their workers).
nginx_ticks() {
    local t
    t=$(ticks "$NGINX_PID")
    if [[ -n $NGX_PROXY_PID ]]; then t=$((t + $(ticks "$NGX_PROXY_PID"))); fi
    if [[ -n $NJS_PID ]]; then t=$((t + $(ticks "$NJS_PID"))); fi
    echo "$t"
}

# Requests the app's nginx instance has handled (stub_status; the scrape itself counts one).
app_requests() {
    curl -fsS --unix-socket "$WORK/app-status.sock" http://app/ 2>/dev/null | awk 'NR == 3 {print $3}'
}

# hookgate with bench/hookgate.bench.yaml (ports rewritten) and secrets made up for this run.
start_hookgate() {
    export TOLINKU_WEBHOOK_SECRET="bench-tolinku-$RANDOM$RANDOM"
    export GITHUB_WEBHOOK_SECRET="bench-github-$RANDOM$RANDOM"
    export STRIPE_WEBHOOK_SECRET="whsec_bench$RANDOM$RANDOM"
    sed -e "s/127.0.0.1:18080/127.0.0.1:$P_UP/; s/127.0.0.1:18082/127.0.0.1:$P_HG/; s/127.0.0.1:18083/127.0.0.1:$P_ADMIN/" \
        -e "s/^  level: info\$/  level: ${HOOKGATE_LOG:-info}/" \
        "$BENCH/hookgate.bench.yaml" >"$WORK/hookgate.yaml"
    if [[ ${HOOKGATE_UPSTREAM:-tcp} == unix ]]; then
        sed -i "s|url: http://127.0.0.1:$P_UP|url: unix:$WORK/app.sock|" "$WORK/hookgate.yaml"
    fi
    if [[ -n ${HOOKGATE_WORKERS:-} ]]; then
        echo "workers: $HOOKGATE_WORKERS" >>"$WORK/hookgate.yaml"
    fi
    if [[ ${DEDUP:-memory} == redis ]]; then
        start_redis
        printf 'dedup:\n  backend: redis\n  redis: { url: "redis://127.0.0.1:%s/0" }\n' "$P_REDIS" >>"$WORK/hookgate.yaml"
    fi
    cp "$WORK/hookgate.yaml" "$OUT/hookgate.yaml"
    log "hookgate on 127.0.0.1:$P_HG (admin :$P_ADMIN): $HG"
    # One log line per request at info: gigabytes over a long run, so it goes to a temporary file
    # (opened for append, so it can be truncated between runs: see hookgate_log_rotate).
    HG_LOG=$WORK/hookgate.log
    : >"$OUT/hookgate.log"
    "${SERVER_CPU[@]}" "$HG" --config "$WORK/hookgate.yaml" 2>>"$HG_LOG" &
    HG_PID=$!
    wait_http "http://127.0.0.1:$P_ADMIN/readyz" hookgate "$HG_PID"
}

# bench/floor_proxy.rs (built here) on P_FLOOR in front of the app, with hookgate's worker
# count.
start_floor() {
    log "cargo build --release --example floor_proxy"
    (cd "$ROOT" && cargo build --release --example floor_proxy) >&2 || die "cannot build bench/floor_proxy.rs"
    local bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/floor_proxy
    log "floor proxy on 127.0.0.1:$P_FLOOR"
    "${SERVER_CPU[@]}" "$bin" "127.0.0.1:$P_FLOOR" "127.0.0.1:$P_UP" ${HOOKGATE_WORKERS:-} 2>>"$OUT/floor.log" &
    FLOOR_PID=$!
    wait_http "http://127.0.0.1:$P_FLOOR/" floor "$FLOOR_PID"
}

# The njs target: its own nginx instance (the plain proxy's worker count and upstream pool) on
# P_NJS, where bench/njs_verify.js checks the tolinku signature and timestamp of each request
# (body buffered in memory) and hands it to a named location doing the plain proxy's
# proxy_pass. Needs NJS_MODULE and TOLINKU_WEBHOOK_SECRET (start_hookgate sets it). Sets NJS_PID.
start_njs() {
    local main servers
    main="load_module $NJS_MODULE;
# nginx clears the environment of its processes but for these.
env TOLINKU_WEBHOOK_SECRET;"
    servers="    js_import verify from $BENCH/njs_verify.js;
    upstream app {
        server 127.0.0.1:$P_UP;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$P_NJS;
        location = /healthz { js_content verify.version; }
        location /webhooks/tolinku {
            # The whole body in one memory buffer (hookgate's default limit, 1 MiB): njs reads
            # r.requestBuffer, which is undefined for a body written to a temporary file.
            client_max_body_size 1m;
            client_body_buffer_size 1m;
            js_content verify.tolinku;
        }
        location @upstream {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
        location / { return 404; }
    }"
    nginx_conf njs "$servers" "$main"
    log "nginx + njs on 127.0.0.1:$P_NJS (verifies tolinku, then proxy_pass)"
    nginx_start njs
    NJS_PID=$!
    wait_http "http://127.0.0.1:$P_NJS/healthz" njs "$NJS_PID"
}

# DEDUP=redis: a local redis-server for hookgate's dedup store, persistence off (its CPU is
# counted with hookgate's: it is the dedup store's cost).
start_redis() {
    log "redis-server on 127.0.0.1:$P_REDIS"
    "${SERVER_CPU[@]}" redis-server --bind 127.0.0.1 --port "$P_REDIS" --save '' --appendonly no \
        --dir "$WORK" --logfile "$OUT/redis.log" &
    REDIS_PID=$!
    for _ in $(seq 100); do
        port_busy "$P_REDIS" && return 0
        kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited at start; see $OUT/redis.log"
        sleep 0.1
    done
    die "redis-server did not listen on $P_REDIS within 10s; see $OUT/redis.log"
}

# Moves what hookgate logged since the last call out of the way: every line that is not a
# per-request info line goes to $OUT/hookgate.log (warnings, errors, start and stop), plus the
# first request line as a sample; prints the number of bytes logged.
hookgate_log_rotate() {
    local bytes
    bytes=$(stat -c %s "$HG_LOG")
    grep -av ' INFO.*hookgate::gate.* request ' "$HG_LOG" >>"$OUT/hookgate.log" || true
    grep -aq ' request ' "$OUT/hookgate.log" || grep -am1 ' request ' "$HG_LOG" >>"$OUT/hookgate.log" || true
    : >"$HG_LOG"
    echo "$bytes"
}

# hookgate's counters, one "route outcome value" line each (outcome "evicted" for
# hookgate_dedup_evictions_total).
scrape() {
    curl -fsS "http://127.0.0.1:$P_ADMIN/metrics" |
        awk '/^hookgate_(requests_total|dedup_evictions_total)\{/ {
               name = $1; sub(/\{.*/, "", name)
               r = $0; sub(/.*route="/, "", r); sub(/".*/, "", r)
               o = "evicted"
               if (name == "hookgate_requests_total") { o = $0; sub(/.*outcome="/, "", o); sub(/".*/, "", o) }
               print r, o, $NF }'
}
