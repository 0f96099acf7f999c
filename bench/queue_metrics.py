#!/usr/bin/env python3
"""Reads hookgate's /metrics dumps for bench/queue.sh (standard library only).

    queue_metrics.py delta BEFORE AFTER [ROUTE]   key=value pairs for what changed in between
    queue_metrics.py gauges AFTER                 the queue's gauges, key=value
    queue_metrics.py summary OUT                  OUT/summary.md from OUT/*.tsv

delta: requests of ROUTE by outcome (queued, forwarded, other), synced commits and the new
deliveries they held (hookgate_queue_commit_size: count, sum, mean), the fsync p50/p99 of the
commits in between (hookgate_queue_fsync_seconds, interpolated inside its buckets as Prometheus'
histogram_quantile does), and delivery attempts by outcome.
"""

import re
import statistics as st
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$')


def parse(path):
    out = {}
    for line in open(path):
        if line.startswith("#"):
            continue
        m = LINE.match(line.strip())
        if not m:
            continue
        labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def series(d, name, **want):
    """(labels dict, value) of every sample of NAME whose labels include WANT."""
    for (n, labels), v in d.items():
        lab = dict(labels)
        if n == name and all(lab.get(k) == x for k, x in want.items()):
            yield lab, v


def quantile(q, buckets):
    """histogram_quantile over cumulative (le, count) pairs."""
    buckets = sorted(buckets)
    total = buckets[-1][1] if buckets else 0
    if total <= 0:
        return float("nan")
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            if c == prev_c:
                return le
            return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c)
        prev_le, prev_c = le, c
    return prev_le


def delta(before, after, route):
    b, a = parse(before), parse(after)
    get = lambda d, n, **w: sum(v for _, v in series(d, n, **w))
    res = {}
    outcomes = {}
    for lab, v in series(a, "hookgate_requests_total", route=route):
        o = lab["outcome"]
        outcomes[o] = outcomes.get(o, 0) + v - get(b, "hookgate_requests_total", route=route, outcome=o)
    res["queued"] = int(outcomes.pop("queued", 0))
    res["forwarded"] = int(outcomes.pop("forwarded", 0))
    res["other"] = int(sum(outcomes.values()))
    res["other_outcomes"] = ",".join(f"{k}:{int(v)}" for k, v in outcomes.items() if v) or "-"
    n = get(a, "hookgate_queue_commit_size_count") - get(b, "hookgate_queue_commit_size_count")
    s = get(a, "hookgate_queue_commit_size_sum") - get(b, "hookgate_queue_commit_size_sum")
    res["commits"] = int(n)
    res["commit_deliveries"] = int(s)
    res["mean_commit"] = f"{s / n:.1f}" if n else "-"
    fs = []
    for lab, v in series(a, "hookgate_queue_fsync_seconds_bucket"):
        le = float(lab["le"])
        fs.append((le, v - get(b, "hookgate_queue_fsync_seconds_bucket", le=lab["le"])))
    fc = get(a, "hookgate_queue_fsync_seconds_count") - get(b, "hookgate_queue_fsync_seconds_count")
    fsum = get(a, "hookgate_queue_fsync_seconds_sum") - get(b, "hookgate_queue_fsync_seconds_sum")
    res["fsyncs"] = int(fc)
    res["fsync_mean_ms"] = f"{1000 * fsum / fc:.3f}" if fc else "-"
    res["fsync_p50_ms"] = f"{1000 * quantile(0.5, fs):.3f}" if fc else "-"
    res["fsync_p99_ms"] = f"{1000 * quantile(0.99, fs):.3f}" if fc else "-"
    att = {}
    for lab, v in series(a, "hookgate_queue_attempts_total", route=route):
        o = lab["outcome"]
        att[o] = int(v - get(b, "hookgate_queue_attempts_total", route=route, outcome=o))
    res["attempts"] = ",".join(f"{k}:{v}" for k, v in sorted(att.items()) if v) or "-"
    return res


def gauges(after):
    a = parse(after)
    res = {}
    for name in ("hookgate_queue_disk_bytes", "hookgate_queue_bytes", "hookgate_queue_max_bytes"):
        vals = [v for _, v in series(a, name)]
        res[name.replace("hookgate_queue_", "")] = int(vals[0]) if vals else "-"
    res["depth"] = int(sum(v for _, v in series(a, "hookgate_queue_depth")))
    res["dead_letters"] = int(sum(v for _, v in series(a, "hookgate_queue_dead_letters")))
    return res


def table(path):
    lines = [l.rstrip("\n").split("\t") for l in open(path)]
    return [dict(zip(lines[0], l)) for l in lines[1:]]


def med(rows, key):
    vals = []
    for r in rows:
        try:
            vals.append(float(r[key]))
        except (KeyError, ValueError):
            pass
    return st.median(vals) if vals else float("nan")


def runs(rows, key, fmt="{:.2f}"):
    return " / ".join(fmt.format(float(r[key])) if r.get(key, "-") not in ("-", "") else "-" for r in rows)


def summary(out):
    import os
    p = lambda n: os.path.join(out, n)
    print("# Queued delivery (issue 15): bench/queue.sh\n")
    if os.path.exists(p("machine.txt")):
        print("```\n" + open(p("machine.txt")).read().rstrip() + "\n```\n")
    if os.path.exists(p("latency.tsv")):
        rows = table(p("latency.tsv"))
        print("## Sender latency, open loop (medians of the runs; each run's p99 listed)\n")
        print("| target | rate/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | p99 of each run | late | non-2xx+errors | hookgate CPU % | queue depth after |")
        print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        keys = sorted({(r["target"], int(r["rate"])) for r in rows}, key=lambda k: (k[1], k[0]))
        for t, rate in keys:
            rr = [r for r in rows if r["target"] == t and int(r["rate"]) == rate]
            ms = lambda k: f"{med(rr, k) / 1000:.3f}"
            p99s = " / ".join("%.2f" % (float(r["p99_us"]) / 1000) for r in rr)
            print(f"| {t} | {rate} | {ms('p50_us')} | {ms('p90_us')} | {ms('p99_us')} | {ms('p999_us')} | {ms('max_us')} | "
                  f"{p99s} | {med(rr, 'late'):.0f} | "
                  f"{med(rr, 'non2xx') + med(rr, 'errors'):.0f} | {med(rr, 'hg_cpu_pct'):.0f} | {med(rr, 'depth'):.0f} |")
        print()
    if os.path.exists(p("enqueue.tsv")):
        rows = table(p("enqueue.tsv"))
        print("## Enqueue throughput, wrk (medians; each run listed)\n")
        print("| app | durable acks/s | runs | p50 ms | p99 ms | mean commit | fsync p50 / p99 ms | hookgate CPU µs/req | runs | all 202? |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---|---|")
        for app in sorted({r["app"] for r in rows}):
            rr = [r for r in rows if r["app"] == app]
            ok = all(r["non2xx"] == "0" and int(r["queued"]) >= int(r["requests"]) for r in rr)
            print(f"| {app} | {med(rr, 'acks_per_s'):.0f} | {runs(rr, 'acks_per_s', '{:.0f}')} | {med(rr, 'p50_ms'):.2f} | {med(rr, 'p99_ms'):.2f} | "
                  f"{med(rr, 'mean_commit'):.1f} | {med(rr, 'fsync_p50_ms'):.2f} / {med(rr, 'fsync_p99_ms'):.2f} | "
                  f"{med(rr, 'hg_us_per_req'):.1f} | {runs(rr, 'hg_us_per_req', '{:.1f}')} | {'yes' if ok else 'NO'} |")
        print()
    if os.path.exists(p("disk.tsv")):
        r = table(p("disk.tsv"))[0]
        print("## Disk per queued delivery (app down)\n")
        print("| queued | depth | file bytes (ls -l) | allocated (du) | disk_bytes gauge | per delivery (file) | per delivery (allocated) | queue_bytes gauge per delivery |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        n = int(r["queued"])
        print(f"| {n} | {r['depth']} | {r['file_bytes']} | {r['alloc_bytes']} | {r['disk_bytes']} | {int(r['file_bytes']) / n:.0f} B | "
              f"{int(r['alloc_bytes']) / n:.0f} B | {int(r['bytes']) / n:.0f} B |\n")
    if os.path.exists(p("recovery.tsv")):
        allrows = table(p("recovery.tsv"))
        rows = [r for r in allrows if r["run"] != "empty"]
        print("## Restart after SIGKILL (exec to /readyz 200)\n")
        print(f"median {med(rows, 'ready_ms'):.0f} ms; runs: {runs(rows, 'ready_ms', '{:.0f}')} ms\n")
        for r in allrows:
            print(f"- run {r['run']}: {r['ready_ms']} ms, depth after {r['depth']}; {r['log']}")
        print()


def main():
    cmd = sys.argv[1]
    if cmd == "delta":
        res = delta(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "tolinku-queued")
    elif cmd == "gauges":
        res = gauges(sys.argv[2])
    elif cmd == "summary":
        summary(sys.argv[2])
        return
    else:
        sys.exit(f"unknown command {cmd}")
    print(" ".join(f"{k}={v}" for k, v in res.items()))


if __name__ == "__main__":
    main()
