#!/usr/bin/env python3
"""Pre-sign unique webhook deliveries for the wrk load test (bench/signed.lua).

Writes one file per wrk thread (OUT.0, OUT.1, ...). Each line is one request:

    Header-Name: value<TAB>Header-Name: value<TAB>...<TAB>body

where the body is compact JSON (no tabs, no newlines) with a unique "id", so hookgate's
dedup never short-circuits, and the signature headers are valid for the secret given.
Signatures use the generation time, so generate right before the run (the tolinku and
stripe presets reject deliveries older than the route's max_age, 5m by default).

Schemes (matching hookgate's presets in src/verify/presets.rs):
  tolinku  X-Webhook-Signature: <hex HMAC-SHA256(body)>; ISO 8601 "timestamp" in the body
  github   X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body)>; dedup is on the body hash
  stripe   Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256("{t}.{body}")>; dedup on body "id"

Only the standard library is used.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from datetime import datetime, timezone

# A realistic payload size (~300 bytes), like the demo's sample events.
def tolinku_body(event_id, iso):
    return {
        "id": event_id,
        "event": "link.clicked",
        "timestamp": iso,
        "data": {
            "link": "https://tolinku.example/l/spring",
            "country": "FR",
            "city": "Besancon",
            "referrer": "https://news.example/article/42",
            "user_agent": "Mozilla/5.0 (bench)",
        },
    }


def github_body(event_id, iso):
    return {
        "action": "opened",
        "delivery": event_id,
        "hook_id": 1,
        "repository": {"id": 42, "full_name": "octo/bench", "private": False},
        "sender": {"login": "octocat", "id": 1},
        "updated_at": iso,
    }


def stripe_body(event_id, unix):
    return {
        "id": event_id,
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": unix,
        "data": {"object": {"id": "pi_bench", "amount": 2000, "currency": "eur"}},
        "livemode": False,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--provider", choices=["tolinku", "github", "stripe"], default="tolinku")
    ap.add_argument("--count", type=int, default=200_000, help="requests in total (all threads)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads: one file per thread")
    ap.add_argument("--prefix", default=None, help="id prefix, unique per run (default: from the clock)")
    ap.add_argument("--secret-env", default=None,
                    help="env var holding the secret (default: TOLINKU_/GITHUB_/STRIPE_WEBHOOK_SECRET)")
    ap.add_argument("--out", required=True, help="output path; files OUT.0 .. OUT.(threads-1)")
    ap.add_argument("--body-bytes", type=int, default=0,
                    help="pad every body to this many bytes with a \"padding\" field "
                         "(0: the natural ~300 bytes; smaller than natural: natural)")
    args = ap.parse_args()

    env = args.secret_env or f"{args.provider.upper()}_WEBHOOK_SECRET"
    secret = os.environ.get(env)
    if not secret:
        sys.exit(f"gen_requests.py: set {env} to the route's secret")
    key = secret.encode()
    prefix = args.prefix or f"evt_bench_{time.time_ns()}"

    now = time.time()
    unix = int(now)
    iso = datetime.fromtimestamp(unix, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Build a template once and substitute the id: json.dumps per line would dominate the time.
    marker = "\x00ID\x00"
    if args.provider == "tolinku":
        template = json.dumps(tolinku_body(marker, iso), separators=(",", ":"))
    elif args.provider == "github":
        template = json.dumps(github_body(marker, iso), separators=(",", ":"))
    else:
        template = json.dumps(stripe_body(marker, unix), separators=(",", ":"))
    head, tail = template.split(json.dumps(marker))
    # Padding goes at the end of the object, so the id, the timestamp and every field a route
    # reads keep their place; ids are all the same length, so one pad fits every body.
    natural = len(head) + len(tail) + len(json.dumps(f"{prefix}_{0:08d}"))
    pad_field = ',"padding":""'
    if args.body_bytes > natural + len(pad_field):
        tail = tail[:-1] + pad_field[:-1] + "x" * (args.body_bytes - natural - len(pad_field)) + '"}'
    base = hmac.new(key, digestmod=hashlib.sha256)
    stripe_prefix = f"{unix}.".encode()

    files = [open(f"{args.out}.{t}", "w", buffering=1 << 20) for t in range(args.threads)]
    try:
        for i in range(args.count):
            event_id = f"{prefix}_{i:08d}"
            body = f'{head}"{event_id}"{tail}'
            raw = body.encode()
            mac = base.copy()
            if args.provider == "stripe":
                mac.update(stripe_prefix)
            mac.update(raw)
            sig = mac.hexdigest()
            if args.provider == "tolinku":
                headers = f"X-Webhook-Signature: {sig}"
            elif args.provider == "github":
                headers = f"X-Hub-Signature-256: sha256={sig}\tX-GitHub-Event: pull_request\tX-GitHub-Delivery: {event_id}"
            else:
                headers = f"Stripe-Signature: t={unix},v1={sig}"
            # Thread t gets lines t, t+T, t+2T...: disjoint slices of the same id space.
            files[i % args.threads].write(f"{headers}\t{body}\n")
    finally:
        for f in files:
            f.close()
    print(f"gen_requests.py: {args.count} {args.provider} requests in {args.threads} files "
          f"({args.out}.0..), ids {prefix}_*, signed at {iso}", file=sys.stderr)


if __name__ == "__main__":
    main()
