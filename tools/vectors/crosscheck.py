#!/usr/bin/env python3
"""Independent check of the vector files, Python stdlib only (no SDK).

Usage: crosscheck.py DIR

For every case of the five files it checks the exact JSON shape, then re-derives
each signature from the documented scheme (hmac/hashlib/base64) over the decoded
body_b64 bytes, and checks event_id / signed_at against headers and body.  This
catches a body that was signed in one form but stored in another, and any
disagreement between an SDK and the written scheme.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import sys
from datetime import datetime

FILES = ["stripe", "github", "standard-webhooks", "svix", "tolinku"]
CASE_KEYS = ["name", "secrets", "signed_at", "headers", "body_b64", "event_id"]


def fail(msg):
    sys.exit(f"crosscheck: FAIL: {msg}")


def hmac256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def header(c, name):
    vals = [v for k, v in c["headers"] if k.lower() == name.lower()]
    if len(vals) != 1:
        fail(f"{c['name']}: expected one {name} header, got {vals}")
    return vals[0]


def check_shape(provider, doc):
    if list(doc) != ["provider", "generator", "cases"]:
        fail(f"{provider}: top-level keys {list(doc)}")
    if doc["provider"] != provider or not isinstance(doc["generator"], str):
        fail(f"{provider}: provider/generator")
    if not doc["cases"]:
        fail(f"{provider}: no cases")
    for c in doc["cases"]:
        if list(c) != CASE_KEYS:
            fail(f"{provider}/{c.get('name')}: case keys {list(c)}")
        if not (isinstance(c["secrets"], list) and c["secrets"]
                and all(isinstance(s, str) and s for s in c["secrets"])):
            fail(f"{provider}/{c['name']}: secrets")
        if not (isinstance(c["signed_at"], int) and not isinstance(c["signed_at"], bool)):
            fail(f"{provider}/{c['name']}: signed_at")
        if not all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h)
                   for h in c["headers"]):
            fail(f"{provider}/{c['name']}: headers")
        if any(k.lower() == "content-type" for k, _ in c["headers"]):
            fail(f"{provider}/{c['name']}: content-type must not be in headers")
        if c["event_id"] is not None and not isinstance(c["event_id"], str):
            fail(f"{provider}/{c['name']}: event_id")
        try:
            body = base64.b64decode(c["body_b64"], validate=True)
        except binascii.Error:
            fail(f"{provider}/{c['name']}: body_b64")
        body.decode("utf-8")  # all bodies are UTF-8 text
    names = [c["name"] for c in doc["cases"]]
    if len(set(names)) != len(names):
        fail(f"{provider}: duplicate names")


def matches(c, sigs_ok):
    """sigs_ok: list of bools, one per route secret.  At least one must verify."""
    if not any(sigs_ok):
        fail(f"{c['name']}: no route secret verifies")


def check_stripe(c, body):
    value = header(c, "Stripe-Signature")
    items = [i.split("=", 1) for i in value.split(",")]
    ts = [v for k, v in items if k == "t"]
    v1 = [v for k, v in items if k == "v1"]
    if len(ts) != 1 or int(ts[0]) != c["signed_at"] or not v1:
        fail(f"stripe/{c['name']}: header {value}")
    signed = ts[0].encode() + b"." + body
    # Stripe: the whole "whsec_..." string is the key, as UTF-8, never base64-decoded.
    matches(c, [hmac256(s.encode("utf-8"), signed).hex() in v1 for s in c["secrets"]])
    if c["event_id"] != json.loads(body)["id"]:
        fail(f"stripe/{c['name']}: event_id")


def check_github(c, body):
    value = header(c, "X-Hub-Signature-256")
    if not value.startswith("sha256="):
        fail(f"github/{c['name']}: {value}")
    ok = [hmac256(s.encode("utf-8"), body).hex() == value[7:] for s in c["secrets"]]
    matches(c, ok)
    legacy = [v for k, v in c["headers"] if k.lower() == "x-hub-signature"]
    if legacy:
        signer = c["secrets"][ok.index(True)]
        if legacy != ["sha1=" + hmac.new(signer.encode(), body, hashlib.sha1).hexdigest()]:
            fail(f"github/{c['name']}: X-Hub-Signature")
    if c["event_id"] is not None:
        fail(f"github/{c['name']}: event_id must be null")


def check_sw(prefix):
    def check(c, body):
        msg_id = header(c, f"{prefix}-id")
        ts = header(c, f"{prefix}-timestamp")
        if int(ts) != c["signed_at"] or c["event_id"] != msg_id:
            fail(f"{prefix}/{c['name']}: id/timestamp")
        sigs = []
        for entry in header(c, f"{prefix}-signature").split(" "):
            ver, sig = entry.split(",", 1)
            if ver != "v1":
                fail(f"{prefix}/{c['name']}: unexpected version {ver}")
            sigs.append(base64.b64decode(sig, validate=True))
        signed = f"{msg_id}.{ts}.".encode() + body
        ok = []
        for s in c["secrets"]:
            if not s.startswith("whsec_"):
                fail(f"{prefix}/{c['name']}: secret prefix")
            key = base64.b64decode(s[len("whsec_"):], validate=True)  # base64 -> key bytes
            ok.append(hmac256(key, signed) in sigs)
        matches(c, ok)
    return check


def check_tolinku(c, body):
    value = header(c, "X-Webhook-Signature")
    hexsig = value[7:] if value.startswith("sha256=") else value
    # Tolinku: "whsec_..." used raw as the key (docs pass it straight to createHmac).
    matches(c, [hmac256(s.encode("utf-8"), body).hex() == hexsig for s in c["secrets"]])
    env = json.loads(body)
    ts = datetime.fromisoformat(env["timestamp"].replace("Z", "+00:00"))
    if int(ts.timestamp()) != c["signed_at"] or ts.timestamp() != c["signed_at"]:
        fail(f"tolinku/{c['name']}: signed_at != body timestamp")
    if c["event_id"] != env.get("id"):
        fail(f"tolinku/{c['name']}: event_id")
    if header(c, "X-Webhook-Event") != env["event"]:
        fail(f"tolinku/{c['name']}: X-Webhook-Event")


CHECKS = {
    "stripe": check_stripe,
    "github": check_github,
    "standard-webhooks": check_sw("webhook"),
    "svix": check_sw("svix"),
    "tolinku": check_tolinku,
}


def main():
    d = sys.argv[1]
    total = 0
    for provider in FILES:
        with open(os.path.join(d, f"{provider}.json"), encoding="utf-8") as f:
            doc = json.load(f)
        check_shape(provider, doc)
        for c in doc["cases"]:
            CHECKS[provider](c, base64.b64decode(c["body_b64"]))
            total += 1
    print(f"crosscheck: {total} cases in {len(FILES)} files re-derived with the stdlib: OK")


if __name__ == "__main__":
    main()
