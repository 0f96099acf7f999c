#!/usr/bin/env python3
"""Send lines of a gen_requests.py file one at a time (one keep-alive connection) and count
hookgate's answers: "new" (2xx without Hookgate-Duplicate), "duplicate" (Hookgate-Duplicate:
true), or the status otherwise. Used by bench/dedup_recency.sh.

    replay.py --port 18082 --path /webhooks/tolinku --file REQ.0 --range 0:500
"""

import argparse
import http.client
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--range", default="0:", help="lines a:b of the file (Python slice)")
    args = ap.parse_args()
    a, _, b = args.range.partition(":")
    with open(args.file) as f:
        lines = f.read().splitlines()[int(a or 0): int(b) if b else None]
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    counts = {}
    for line in lines:
        *pairs, body = line.split("\t")
        headers = {"Content-Type": "application/json"}
        for p in pairs:
            name, _, value = p.partition(": ")
            headers[name] = value
        conn.request("POST", args.path, body=body.encode(), headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.getheader("Hookgate-Duplicate") == "true":
            kind = "duplicate"
        elif 200 <= resp.status < 300:
            kind = "new"
        else:
            kind = str(resp.status)
        counts[kind] = counts.get(kind, 0) + 1
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
