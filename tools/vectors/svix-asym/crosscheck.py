#!/usr/bin/env python3
"""Independent re-check of the eight svix-asym files: the exact JSON shape, that event_id and
signed_at agree with the headers/body, and every signature re-derived (HMAC with the stdlib)
or re-verified (Ed25519 / ECDSA with PyPI cryptography's verifiers) over the decoded body_b64
bytes.  clerk.json/resend.json were signed in Node, the others in Python and verified in Node,
so each file is checked by code other than the code that made it.  Usage: crosscheck.py DIR
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

FILES = {
    "clerk.json": "clerk",
    "resend.json": "resend",
    "standard-webhooks-v1a.json": "standard-webhooks",
    "discord.json": "discord",
    "sendgrid.json": "sendgrid",
    "gitlab.json": "gitlab",
    "okta.json": "okta",
    "mailgun.json": "mailgun",
}
PUBLIC_KEY_FILES = {"standard-webhooks-v1a.json", "discord.json", "sendgrid.json"}
KEYS = ["name", "secrets", "signed_at", "headers", "body_b64", "event_id"]


def fail(msg):
    sys.exit(f"svix-asym/crosscheck: {msg}")


def hdr(c, name):
    vals = [v for n, v in c["headers"] if n.lower() == name.lower()]
    if len(vals) > 1:
        fail(f"{c['name']}: header {name} repeated")
    return vals[0] if vals else None


def ed_ok(raw_pub: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(raw_pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def p256_ok(secret: str, sig_b64: str, msg: bytes) -> bool:
    text = "".join(l for l in secret.splitlines() if not l.startswith("-----"))
    key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    try:
        key.verify(base64.b64decode(sig_b64, validate=True), msg, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def whsec_key(s: str) -> bytes:
    assert s.startswith("whsec_"), s
    return base64.b64decode(s[len("whsec_"):], validate=True)


def sw_entries(value: str):
    return [tuple(e.split(",", 1)) for e in value.split(" ")]


def check_sw(c, body, family):
    """Standard Webhooks / Svix: id, timestamp, entries; returns the secrets that verify."""
    mid, ts, sig = (hdr(c, f"{family}-{k}") for k in ("id", "timestamp", "signature"))
    if None in (mid, ts, sig) or c["event_id"] != mid or str(c["signed_at"]) != ts:
        fail(f"{c['name']}: {family}-* headers / event_id / signed_at disagree")
    msg = f"{mid}.{ts}.".encode() + body
    good = []
    for s in c["secrets"]:
        if s.startswith("whpk_"):
            pub = base64.b64decode(s[5:], validate=True)
            ok = any(v == "v1a" and ed_ok(pub, base64.b64decode(e), msg) for v, e in sw_entries(sig))
        else:
            mac = base64.b64encode(hmac.new(whsec_key(s), msg, hashlib.sha256).digest()).decode()
            ok = any(v == "v1" and hmac.compare_digest(e, mac) for v, e in sw_entries(sig))
        if ok:
            good.append(s)
    return good


def verifying_secrets(file, c, body):
    if file in ("clerk.json", "resend.json"):
        if any(n.lower().startswith("webhook-") for n, _ in c["headers"]):
            fail(f"{c['name']}: Clerk/Resend send svix-* headers")
        return check_sw(c, body, "svix")
    if file == "standard-webhooks-v1a.json":
        return check_sw(c, body, "webhook" if hdr(c, "webhook-signature") else "svix")
    if file == "discord.json":
        sig, ts = hdr(c, "X-Signature-Ed25519"), hdr(c, "X-Signature-Timestamp")
        if str(c["signed_at"]) != ts or c["event_id"] != json.loads(body)["id"]:
            fail(f"{c['name']}: signed_at / event_id")
        if sig != sig.lower() or len(sig) != 128:
            fail(f"{c['name']}: Discord sends 128 lower-case hex digits")
        return [s for s in c["secrets"]
                if ed_ok(bytes.fromhex(s), bytes.fromhex(sig), ts.encode() + body)]
    if file == "sendgrid.json":
        sig = hdr(c, "X-Twilio-Email-Event-Webhook-Signature")
        ts = hdr(c, "X-Twilio-Email-Event-Webhook-Timestamp")
        if str(c["signed_at"]) != ts or c["event_id"] is not None:
            fail(f"{c['name']}: signed_at / event_id")
        if not body.endswith(b"\r\n") or not isinstance(json.loads(body), list):
            fail(f"{c['name']}: SendGrid bodies are a JSON array followed by CRLF")
        return [s for s in c["secrets"] if p256_ok(s, sig, ts.encode() + body)]
    if file == "mailgun.json":
        sig = json.loads(body)["signature"]
        if str(c["signed_at"]) != sig["timestamp"] or c["event_id"] != sig["token"]:
            fail(f"{c['name']}: signed_at / event_id")
        msg = (sig["timestamp"] + sig["token"]).encode()
        return [s for s in c["secrets"] if hmac.compare_digest(
            hmac.new(s.encode(), msg, hashlib.sha256).hexdigest(), sig["signature"])]
    if file == "gitlab.json":
        if c["event_id"] != hdr(c, "Idempotency-Key"):
            fail(f"{c['name']}: event_id is the Idempotency-Key header (or null without one)")
        return [s for s in c["secrets"] if hmac.compare_digest(s, hdr(c, "X-Gitlab-Token"))]
    if file == "okta.json":
        if c["event_id"] is not None:
            fail(f"{c['name']}: okta dedups on the body hash")
        return [s for s in c["secrets"] if hmac.compare_digest(s, hdr(c, "Authorization"))]
    fail(f"unknown file {file}")


def main():
    d = sys.argv[1]
    total = 0
    for file, provider in FILES.items():
        with open(os.path.join(d, file), encoding="utf-8") as f:
            doc = json.load(f)
        if list(doc) != ["provider", "generator", "cases"] or doc["provider"] != provider:
            fail(f"{file}: top-level shape / provider")
        for c in doc["cases"]:
            l = f"{file}/{c['name']}"
            want = KEYS + (["wrong_secret"] if file in PUBLIC_KEY_FILES else [])
            if list(c) != want:
                fail(f"{l}: keys {list(c)} != {want}")
            if any(n.lower() == "content-type" for n, _ in c["headers"]):
                fail(f"{l}: Content-Type must not be among the headers")
            try:
                body = base64.b64decode(c["body_b64"], validate=True)
                body.decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                fail(f"{l}: body_b64 is not base64 of UTF-8")
            if base64.b64encode(body).decode() != c["body_b64"]:
                fail(f"{l}: body_b64 is not canonical")
            good = verifying_secrets(file, c, body)
            if not good:
                fail(f"{l}: no route secret verifies")
            if "signed_by_new" in c["name"] and good != [c["secrets"][1]]:
                fail(f"{l}: must verify with the new secret only")
            if "signed_by_old" in c["name"] and good != [c["secrets"][0]]:
                fail(f"{l}: must verify with the old secret only")
            if file in PUBLIC_KEY_FILES:
                saved = c["secrets"]
                c["secrets"] = [c["wrong_secret"]]
                if verifying_secrets(file, c, body):
                    fail(f"{l}: wrong_secret verifies")
                c["secrets"] = saved
            total += 1
    print(f"svix-asym/crosscheck: {total} cases in {len(FILES)} files re-derived independently: OK")


if __name__ == "__main__":
    main()
