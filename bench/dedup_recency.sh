#!/usr/bin/env bash
# Does a full dedup store still remember the deliveries it accepted last?
#
# config.example.yaml promises "when full, the oldest go first". This fills hookgate's memory
# store past dedup.max_entries (default 100000) with unique signed deliveries (wrk, like
# run.sh), then sends PROBE fresh deliveries one at a time, waits WAIT seconds, and sends them
# again: every one of the second sends must be answered as a duplicate (Hookgate-Duplicate:
# true). As a control, the oldest fill deliveries are sent again too (with an LRU store they
# are the ones evicted, so "new" is expected there).
#
# Usage: bench/dedup_recency.sh        (about 60 s plus the build; exit 1 when fresh deliveries are forgotten)
# Knobs: FILL_DURATION=20s FILL_COUNT=1500000 PROBE=500 WAIT=3 HOOKGATE_BIN= BENCH_PORT_BASE=18080
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
FILL_DURATION=${FILL_DURATION:-20s}
FILL_COUNT=${FILL_COUNT:-1500000}
PROBE=${PROBE:-500}
WAIT=${WAIT:-3}
OUT=${OUT:-$(mktemp -d /tmp/hookgate-dedup-recency.XXXXXX)}
. "$BENCH/lib.sh"

check_tools
check_ports
build_hookgate
setup_work
start_nginx
start_hookgate

url_path=/webhooks/tolinku
metric() { curl -fsS "http://127.0.0.1:$P_ADMIN/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

log "fill: wrk -t2 -c50 -d$FILL_DURATION, $FILL_COUNT unique signed deliveries available"
python3 "$BENCH/gen_requests.py" --count "$FILL_COUNT" --threads 2 --prefix "fill_$RANDOM" --out "$WORK/fill" 2>/dev/null
wrk -t2 -c50 -d"$FILL_DURATION" -s "$BENCH/signed.lua" "http://127.0.0.1:$P_HG$url_path" -- "$WORK/fill" | grep '^RESULT' >&2
entries=$(metric 'hookgate_dedup_entries{route="tolinku"}')
evicted=$(metric 'hookgate_dedup_evictions_total{route="tolinku"}')
log "store: $entries entries, $evicted evictions"
[[ ${evicted%.*} -gt 0 ]] || die "the store did not fill (no evictions); raise FILL_DURATION or FILL_COUNT"

log "probe: $PROBE fresh deliveries, sent once, then again after ${WAIT}s"
python3 "$BENCH/gen_requests.py" --count "$PROBE" --threads 1 --prefix "probe_$RANDOM" --out "$WORK/probe" 2>/dev/null
first=$(python3 "$BENCH/replay.py" --port "$P_HG" --path "$url_path" --file "$WORK/probe.0")
sleep "$WAIT"
second=$(python3 "$BENCH/replay.py" --port "$P_HG" --path "$url_path" --file "$WORK/probe.0")
oldest=$(python3 "$BENCH/replay.py" --port "$P_HG" --path "$url_path" --file "$WORK/fill.0" --range "0:$PROBE")
echo "first send:                       $first"
echo "same deliveries ${WAIT}s later:   $second   (all must be duplicate)"
echo "oldest $PROBE fill deliveries:     $oldest   (evicted first in an LRU: new expected)"
forgotten=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("new", 0))' "$second")
if [[ $forgotten != 0 ]]; then
    echo "dedup_recency: FAIL: $forgotten of $PROBE deliveries accepted ${WAIT}s earlier were forwarded again (logs in $OUT)" >&2
    exit 1
fi
echo "dedup_recency: ok (logs in $OUT)"
