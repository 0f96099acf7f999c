#!/usr/bin/env python3
"""Markdown summary of a bench/run.sh results folder (results.tsv, machine.txt, commands.txt).

    summarize.py bench/results/<time>  > summary.md

Medians over the repeated runs of each (target, route, connections), the overhead of nginx and
hookgate over the direct upstream, and every run in full.
"""

import csv
import statistics
import sys
from pathlib import Path


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def med(rows, key):
    vals = [num(r[key]) for r in rows if num(r[key]) is not None]
    return statistics.median(vals) if vals else None


def us_per_req(rows, cpu_key):
    """Median CPU microseconds per request of a process, from its CPU % and the run's req/s: the
    steadiest figure on a shared machine, where req/s moves with whatever else runs."""
    vals = [num(r.get(cpu_key)) * 1e4 / num(r["rps"]) for r in rows
            if num(r.get(cpu_key)) is not None and num(r["rps"])]
    return statistics.median(vals) if vals else None


def fmt(v, digits=2):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def goals(groups):
    """Issue 14's two ratios, per connection count: hookgate (verify + memory dedup + metrics +
    info logs) over nginx + njs (verify only), and over plain nginx proxy_pass."""
    conns = sorted({k[2] for k in groups}, reverse=True)
    lines = []
    for c in conns:
        ngx, njs = groups.get(("nginx", "tolinku", c)), groups.get(("njs", "tolinku", c))
        for route, goal_njs in (("tolinku", 1.5), ("tolinku-nodedup", None)):
            hg = groups.get(("hookgate", route, c))
            if not hg:
                continue
            rps = med(hg, "rps")
            cells = []
            for other, goal in ((njs, goal_njs), (ngx, 0.75 if route == "tolinku" else None)):
                if not other or not rps:
                    cells.append("-")
                    continue
                r = rps / med(other, "rps")
                verdict = "" if goal is None else (" (goal ≥ %.2fx: %s)" % (goal, "met" if r >= goal else "NOT met"))
                cells.append(f"{r:.2f}x{verdict}")
            lines.append(f"| {c} | hookgate {route} | {fmt(rps)} | {cells[0]} | {cells[1]} |")
    if not lines:
        return
    print("## Goals (issue 14)\n")
    print("| wrk -c | target | req/s | ÷ nginx + njs | ÷ nginx proxy_pass |")
    print("|---|---|---|---|---|")
    for line in lines:
        print(line)
    print("\nThe goals apply to the tolinku route (verification, the memory dedup store, metrics, "
          "info logs); tolinku-nodedup does the same work as njs, for a like-for-like comparison.\n")


def main():
    out = Path(sys.argv[1])
    other_max = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    with open(out / "results.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    discarded = []
    if (out / "discarded.tsv").exists():
        with open(out / "discarded.tsv") as f:
            discarded = [r for r in csv.reader(f, delimiter="\t") if r and r[0] != "target"]
    groups, busy, all_busy = {}, {}, {}
    for r in rows:
        k = (r["target"], r["route"], int(r["conns"]))
        groups.setdefault(k, []).append(r)
    # Medians over the runs during which other processes stayed under other_max (all runs when
    # none did, and then the group is flagged).
    for k, g in list(groups.items()):
        clean = [r for r in g if (num(r.get("other_cpu_pct")) or 0) <= other_max]
        busy[k] = len(g) - len(clean)
        all_busy[k] = not clean
        groups[k] = clean or g

    print(f"# hookgate load test ({out.name})\n")
    print("```")
    print((out / "machine.txt").read_text().rstrip())
    print("```\n")
    print("wrk, nginx and hookgate share the machine's cores: the numbers compare the targets "
          "with each other on this machine; they are not a capacity figure.\n")

    order = {"direct": 0, "nginx": 1, "njs": 2, "floor": 3, "hookgate": 4}
    keys = sorted(groups, key=lambda k: (-k[2], order.get(k[0], 9), k[1]))
    print("## Medians\n")
    print("| wrk -c | target | route | runs | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs nginx "
          "| req/s vs floor | p50 over direct, ms | p99 over direct, ms | p99 over nginx, ms "
          "| hookgate CPU % | nginx CPU % | wrk CPU % | other CPU % | hookgate CPU µs/req "
          "| nginx CPU µs/req | target's own CPU µs/req |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for k in keys:
        target, route, conns = k
        g = groups[k]
        direct = groups.get(("direct", "tolinku", conns))
        nginx = groups.get(("nginx", "tolinku", conns))
        floor = groups.get(("floor", "tolinku", conns))
        rps, p50, p99, p999 = (med(g, c) for c in ("rps", "p50_ms", "p99_ms", "p999_ms"))
        vs_nginx = f"{rps / med(nginx, 'rps'):.2f}x" if nginx and target != "direct" and rps else "-"
        vs_floor = f"{rps / med(floor, 'rps'):.2f}x" if floor and target == "hookgate" and rps else "-"
        over50 = p50 - med(direct, "p50_ms") if direct and target != "direct" else None
        over99 = p99 - med(direct, "p99_ms") if direct and target != "direct" else None
        over99n = p99 - med(nginx, "p99_ms") if nginx and target in ("hookgate", "floor") else None
        if busy[k] == 0:
            runs = f"{len(g)}"
        elif not all_busy[k]:
            runs = f"{len(g)} (+{busy[k]} busy, left out)"
        else:
            runs = f"{len(g)} (all busy: unreliable)"
        print(f"| {conns} | {target} | {route if target == 'hookgate' else '(same bodies)'} | {runs} "
              f"| {fmt(rps)} | {fmt(p50, 3)} | {fmt(p99, 3)} | {fmt(p999, 3)} | {vs_nginx} | {vs_floor} "
              f"| {fmt(over50, 3)} | {fmt(over99, 3)} | {fmt(over99n, 3)} "
              f"| {fmt(med(g, 'hg_cpu_pct'), 0)} | {fmt(med(g, 'nginx_cpu_pct'), 0)} "
              f"| {fmt(med(g, 'wrk_cpu_pct'), 0)} | {fmt(med(g, 'other_cpu_pct'), 0)} "
              f"| {fmt(us_per_req(g, 'hg_cpu_pct'), 1)} | {fmt(us_per_req(g, 'nginx_cpu_pct'), 1)} "
              f"| {fmt(us_per_req(g, 'own_cpu_pct'), 1)} |")
    print(f"\nMedians over the runs during which other processes used at most {other_max:.0f}% of a core "
          f"({len(discarded)} runs were discarded and run again for exceeding it; see discarded.tsv).")
    print("\nCPU % is of one core (200 = both cores), over the measured run; 'other' is everything "
          "else busy on the machine in that time: other users' work, and kernel softirq time (the "
          "loopback network) not charged to any process. CPU µs/req = CPU % x 10^4 / req/s, median "
          "over the runs: nginx's is the app's alone in direct rows, proxy and app together in nginx "
          "rows (and njs and app in njs rows), the app behind hookgate in hookgate rows. The target's "
          "own CPU is that of the process(es) under test alone: the app (direct), the proxy's nginx "
          "instance (nginx), the njs nginx instance (njs), hookgate (with redis-server under "
          "DEDUP=redis), the floor proxy. floor rows (FLOOR=1): bench/floor_proxy.rs, "
          "a relay on hookgate's stack that does nothing else; its CPU is in the hookgate columns.\n")

    goals(groups)

    print("## Every run\n")
    cols = ["conns", "target", "route", "run", "rps", "p50_ms", "p99_ms", "p999_ms", "max_ms", "requests",
            "non2xx", "socket_errors", "repeats", "hg_forwarded", "hg_duplicate", "hg_other", "hg_evicted",
            "hg_rss_mib", "hg_log_bytes_per_req", "hg_cpu_pct", "nginx_cpu_pct", "own_cpu_pct", "wrk_cpu_pct", "other_cpu_pct",
            "app_requests"]
    names = ["wrk -c", "target", "route", "run", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "requests",
             "non-2xx", "socket errors", "repeated ids", "hookgate forwarded", "hookgate duplicate",
             "hookgate other outcomes", "dedup evictions", "hookgate RSS MiB", "hookgate log bytes/req", "hookgate CPU %", "nginx CPU %",
             "target's own CPU %", "wrk CPU %", "other CPU %", "requests at the app"]
    print("| " + " | ".join(names) + " |")
    print("|" + "---|" * len(names))
    for r in rows:
        print("| " + " | ".join(r.get(c) or "-" for c in cols) + " |")
    print("\n'repeated ids': requests sent after a wrk thread ran out of pre-signed ones (harmless for "
          "direct and nginx, which ignore ids; hookgate would answer them as duplicates). hookgate "
          "columns are deltas of hookgate_requests_total / hookgate_dedup_evictions_total over the run.\n")
    print("```")
    print((out / "commands.txt").read_text().rstrip())
    print("```")


if __name__ == "__main__":
    main()
