"""Vectors for the extra-a catalogue: Orbit, Go1 and Plivo (signature V3).

- Orbit and Go1 publish no signing SDK on PyPI or npm (Go1's `@go1/webhook-verifier-js` is on
  GitHub only; npm answers 404): each case is signed with the Python stdlib exactly as the
  sender's docs describe, then checked by a separate verifier written the way a receiver reads
  those docs (Go1's is a port of `verifySignature` from go1com/webhook-verifier-js: split on
  `,`, `t` first, `v1` second, compare hex).
- Plivo: PyPI `plivo` (pinned in requirements.txt) signs: `construct_post_url` +
  `get_signature_v3` from `plivo.utils.signature_v3`; its own `validate_v3_signature` must accept
  each case, with form parameters parsed as a framework would (`parse_qs`), and reject a wrong
  token and a changed body. A stdlib re-derivation reading the request the way the preset
  does (public URL + `?` + sorted decoded form pairs + `.` + nonce) must agree.

Every case must verify with the secret that signed it, fail with a wrong secret and fail with
one body byte flipped. Deterministic: no clock, no randomness; secrets, ids and nonces are
derived from labels with SHA-256.

Usage: gen.py OUT_DIR
"""

import base64
import importlib.metadata
import hashlib
import hmac
import json
import os
import sys
from urllib.parse import parse_qs, quote_plus

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # fixtures.py
from fixtures import case, compact, det_bytes, header, pretty, write  # noqa: E402

from plivo.utils.signature_v3 import (  # noqa: E402
    construct_post_url,
    get_signature_v3,
    validate_v3_signature,
)

PLIVO_VERSION = "4.63.0"
T0 = 1764000000
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def alnum(label: str, n: int) -> str:
    return "".join(ALNUM[b % len(ALNUM)] for b in det_bytes(label, n))


def hexid(label: str, n: int) -> str:
    return det_bytes(label, n).hex()[:n]


def uuid(label: str) -> str:
    h = det_bytes(label, 16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def hmac_hex(secret: str, msg: bytes) -> str:
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def flipped(body: bytes) -> bytes:
    """The body with its first ASCII letter's case flipped: different bytes, and for a form a
    different parameter name (a letter inside a `%XX` escape could decode the same)."""
    i = min(i for i, b in enumerate(body) if chr(b).isalpha() and b < 0x80)
    return body[:i] + bytes([body[i] ^ 0x20]) + body[i + 1:]


def check_all(c, verify, signed_by):
    """`verify(case, secret, body)` accepts with the signing secret, rejects a wrong secret and
    a changed body."""
    body = base64.b64decode(c["body_b64"])
    assert verify(c, signed_by, body), c["name"]
    assert not verify(c, "wrong-" + signed_by, body), c["name"]
    assert not verify(c, signed_by, flipped(body)), c["name"]
    for s in c["secrets"]:
        if s != signed_by:
            assert not verify(c, s, body), c["name"]


ODD = "caf\u00e9 \u2615 \U0001F389 \\u00e9 \\u2615 \\ud83c\\udf89"


# ---------------------------------------------------------------------------------------------
# Orbit: `X-Orbit-Signature: sha256=<hex HMAC-SHA256(secret, body)>` (docs.orbit.love/docs/webhooks).


def orbit_body(label, title, extra=""):
    return {
        "event_id": str(int(det_bytes(label + "-event", 3).hex(), 16)),
        "event_type": "activity:created",
        "event_payload": {
            "data": {
                "id": str(5000000 + det_bytes(label, 1)[0]),
                "type": "custom_activity",
                "attributes": {
                    "action": "created",
                    "created_at": "2025-11-24T16:00:00.000Z",
                    "occurred_at": "2025-11-24T15:59:58.000Z",
                    "title": title + extra,
                    "tags": ["channel:custom"],
                    "orbit_url": f"https://app.orbit.love/acme/activities/{hexid(label, 8)}",
                },
            }
        },
    }


def orbit_verify(c, secret, body):
    # The docs: an HMAC hex digest of the request body, keyed with the secret, as `sha256=...`.
    sig = header(c, "X-Orbit-Signature") or ""
    if not sig.startswith("sha256="):
        return False
    return hmac.compare_digest(sig[len("sha256="):], hmac_hex(secret, body))


def orbit_cases():
    old, new = alnum("orbit-secret-old", 32), alnum("orbit-secret-new", 32)
    out = []

    def add(name, body, signed_at, secrets, signer, event_id):
        headers = [
            ("User-Agent", "Orbit-Webhooks/1.0"),
            ("X-Orbit-Event", hexid(name + "-attempt", 24)),
            ("X-Orbit-Event-Id", str(376000 + det_bytes(name, 1)[0])),
            ("X-Orbit-Event-Type", "activity:created"),
            ("X-Orbit-Signature", "sha256=" + hmac_hex(signer, body)),
        ]
        c = case(name, secrets, signed_at, headers, body, event_id)
        check_all(c, orbit_verify, signer)
        out.append(c)

    b = orbit_body("orbit-basic", "Starred orbit-love/orbit-model")
    add("basic", compact(b), T0, [old], old, b["event_id"])
    b = orbit_body("orbit-pretty", "Pretty-printed payload")
    add("pretty_body", pretty(b), T0 + 60, [old], old, b["event_id"])
    b = orbit_body("orbit-large", "Long activity ", "r\u00e9sum\u00e9 \u2615 " * 70)
    add("large_1kib", compact(b), T0 + 120, [old], old, b["event_id"])
    eid = str(int(det_bytes("orbit-odd-event", 3).hex(), 16))
    raw = (
        '{\r\n\t"event_id" : "' + eid + '" ,\n  "event_type":"activity:created",'
        '\t"event_payload" :{"data":{"id":"5000001","type":"custom_activity",'
        '"attributes":{"title":"' + ODD + '"}}}}\n'
    ).encode()
    add("unicode_odd_whitespace", raw, T0 + 180, [old], old, eid)
    b = orbit_body("orbit-nonascii", "\u65e5\u672c\u8a9e \u0645\u0631\u062d\u0628\u0627 \u00fcber")
    add("non_ascii", compact(b), T0 + 240, [old], old, b["event_id"])
    b = orbit_body("orbit-rot", "Rotated secret")
    add("rotation_route_old_new_signed_by_new", compact(b), T0 + 300, [old, new], new, b["event_id"])
    b = orbit_body("orbit-rot-old", "Not yet rotated")
    add("rotation_route_old_new_signed_by_old", compact(b), T0 + 360, [old, new], old, b["event_id"])
    return out


# ---------------------------------------------------------------------------------------------
# Go1: `Go1-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret_key, "{t}.{body}")>`.


def go1_body(label, name, extra=""):
    uid = str(8191190 + det_bytes(label, 1)[0])
    return {
        "type": "user.create",
        "fired_at": "2025-11-24T16:00:00+0000",
        "data": {
            "id": uid,
            "email": f"user{uid}@example.com",
            "full_name": name + extra,
            "first_name": name.split(" ")[0],
            "last_name": name.split(" ")[-1],
            "profile_picture": None,
            "status": None,
            "created_time": "1764000000",
            "account": None,
        },
    }


def go1_verify(c, secret, body):
    # Port of go1com/webhook-verifier-js `verifySignature` (positional: `t` then `v1`), without
    # the wall-clock check (the generator has no clock).
    raw = header(c, "Go1-Signature") or ""
    parts = raw.split(",")
    if len(parts) < 2 or not parts[0].startswith("t=") or parts[1].split("=")[0] != "v1":
        return False
    ts = str(int(parts[0].split("=")[1]))
    want = hmac_hex(secret, ts.encode() + b"." + body)
    return hmac.compare_digest(parts[1].split("=")[1], want)


def go1_cases():
    old, new = alnum("go1-secret-old", 48), alnum("go1-secret-new", 64)
    out = []

    def add(name, body, t, secrets, signer):
        sig = f"t={t},v1=" + hmac_hex(signer, f"{t}.".encode() + body)
        headers = [("User-Agent", "GO1 API v1.0"), ("Go1-Signature", sig)]
        c = case(name, secrets, t, headers, body, None)
        check_all(c, go1_verify, signer)
        out.append(c)

    add("basic", compact(go1_body("go1-basic", "New User")), T0, [old], old)
    add("large_1kib", compact(go1_body("go1-large", "Long Name", " \u00e9l\u00e8ve \u2615" * 90)), T0 + 600, [old], old)
    raw = (
        '{\r\n\t"type" : "user.update" ,\n  "fired_at":"2025-11-24T16:20:00+0000",'
        '\t"data" :{"id":"8191191","full_name":"' + ODD + '"}}\n'
    ).encode()
    add("unicode_odd_whitespace", raw, T0 + 1200, [old], old)
    add("non_ascii", compact(go1_body("go1-nonascii", "Jos\u00e9 N\u00fa\u00f1ez \u674e\u96f7")), T0 + 1800, [old], old)
    add("rotation_route_old_new_signed_by_new", compact(go1_body("go1-rot", "Rotated Key")), T0 + 2400, [old, new], new)
    add("rotation_route_old_new_signed_by_old", compact(go1_body("go1-rot-old", "Old Key")), T0 + 3000, [old, new], old)
    return out


# ---------------------------------------------------------------------------------------------
# Plivo signature V3, signed and verified by the pinned SDK.

PLIVO_URL = "https://hooks.example.com/hooks/plivo/answer"


def form(pairs) -> bytes:
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs).encode()


def sdk_params(body: bytes) -> dict:
    # What a framework hands the validator: the decoded form, repeated names as lists.
    return {k: (v if len(v) > 1 else v[0]) for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


def sdk_sign(token: str, url: str, body: bytes, nonce: str) -> str:
    base = construct_post_url(url, sdk_params(body))
    return get_signature_v3(token, base.decode(), nonce).decode()


def plivo_sdk_verify(c, token, body):
    nonce = header(c, "X-Plivo-Signature-V3-Nonce")
    ok = False
    for h in ("X-Plivo-Signature-V3", "X-Plivo-Signature-Ma-V3"):
        sig = header(c, h)
        if sig and validate_v3_signature("POST", c["url"], nonce, token, sig, sdk_params(body)):
            ok = True
    return ok


def canonical_form(body: bytes) -> bytes:
    # The preset's reading (src/verify/payload.rs `canonical_form`): decoded pairs, sorted.
    from urllib.parse import unquote_to_bytes

    def dec(s):
        return unquote_to_bytes(s.replace(b"+", b" "))

    pairs = set()
    for kv in body.split(b"&"):
        if kv:
            k, _, v = kv.partition(b"=")
            pairs.add((dec(k), dec(v)))
    return b"".join(k + v for k, v in sorted(pairs))


def plivo_stdlib_verify(c, token, body):
    msg = c["url"].encode() + b"?" + canonical_form(body) + b"." + header(c, "X-Plivo-Signature-V3-Nonce").encode()
    want = base64.b64encode(hmac.new(token.encode(), msg, hashlib.sha256).digest()).decode()
    sigs = []
    for h in ("X-Plivo-Signature-V3", "X-Plivo-Signature-Ma-V3"):
        sigs += (header(c, h) or "").split(",")
    return any(hmac.compare_digest(s, want) for s in sigs)


def voice_params(label, extra=()):
    call = uuid(label + "-call")
    return [
        ("ALegRequestUUID", call),
        ("ALegUUID", call),
        ("BillRate", "0.00850"),
        ("CallStatus", "in-progress"),
        ("CallUUID", call),
        ("CallerName", "+14155550100"),
        ("Direction", "inbound"),
        ("Event", "StartApp"),
        ("From", "14155550100"),
        ("RequestUUID", uuid(label + "-req")),
        ("SessionStart", "2025-11-24 16:00:00.000000"),
        ("STIRAttestation", "Not Applicable"),
        ("To", "14155550199"),
        *extra,
    ]


def plivo_cases():
    old, new = alnum("plivo-token-old", 40), alnum("plivo-token-new", 40)
    main, sub = alnum("plivo-token-main", 40), alnum("plivo-token-sub", 40)
    out = []

    def add(name, pairs, t, secrets, v3_signer, ma_signer=None, v3_override=None):
        body = form(pairs) if isinstance(pairs, list) else pairs
        nonce = str(int(det_bytes(name + "-nonce", 8).hex(), 16))[:20]
        v3 = v3_override or sdk_sign(v3_signer, PLIVO_URL, body, nonce)
        ma = sdk_sign(ma_signer or v3_signer, PLIVO_URL, body, nonce)
        headers = [
            ("User-Agent", "PlivoHTTP/1.0"),
            ("X-Plivo-Signature-Ma-V3", ma),
            ("X-Plivo-Signature-V3", v3),
            ("X-Plivo-Signature-V3-Nonce", nonce),
        ]
        c = case(name, secrets, t, headers, body, None, url=PLIVO_URL,
                 content_type="application/x-www-form-urlencoded")
        signer = next(s for s in secrets if s in (v3_signer, ma_signer)) if ma_signer else v3_signer
        check_all(c, plivo_sdk_verify, signer)
        check_all(c, plivo_stdlib_verify, signer)
        out.append(c)

    add("basic", voice_params("plivo-basic"), T0, [old], old)
    long_digits = ("Digits", "1234567890" * 8)
    add("large_1kib", voice_params("plivo-large", [long_digits, ("Memo", "d\u00e9tail \u2615 " * 40)]), T0 + 60, [old], old)
    odd = [
        ("CallerName", "Caf\u00e9 \u2615 \U0001F389"),
        ("Memo", "a+b=c&d%e\tTab\r\nCRLF  two  spaces"),
        ("Empty", ""),
        ("ZTag", "upper Z sorts first"),
        ("accountTag", "lower a sorts after Z"),
        ("Multi", "second"),
        ("Multi", "first"),
    ]
    add("unicode_odd_whitespace", voice_params("plivo-odd", odd), T0 + 120, [old], old)
    add("non_ascii", voice_params("plivo-nonascii", [("CallerName", "\u674e\u96f7 \u0645\u0631\u062d\u0628\u0627 J\u00fcrgen")]), T0 + 180, [old], old)
    hangup = voice_params("plivo-hangup", [("Duration", "42"), ("HangupCause", "NORMAL_CLEARING"), ("EndTime", "2025-11-24 16:05:00")])
    add("hangup_callback", hangup, T0 + 240, [old], old)
    add("rotation_route_old_new_signed_by_new", voice_params("plivo-rot"), T0 + 300, [old, new], new)
    add("rotation_route_old_new_signed_by_old", voice_params("plivo-rot-old"), T0 + 360, [old, new], old)
    # A subaccount's callback: V3 signed with the subaccount token, Ma-V3 with the main
    # account's; a route holding only the main token verifies through Ma-V3.
    add("subaccount_route_main_token_via_ma_v3", voice_params("plivo-sub"), T0 + 420, [main], sub, ma_signer=main)
    # Several comma-separated signatures in one header, as the SDK's `split(',')` allows.
    body = form(voice_params("plivo-two"))
    nonce = str(int(det_bytes("rotation_two_signatures_route_new_only-nonce", 8).hex(), 16))[:20]
    two = sdk_sign(old, PLIVO_URL, body, nonce) + "," + sdk_sign(new, PLIVO_URL, body, nonce)
    add("rotation_two_signatures_route_new_only", body, T0 + 480, [new], new, v3_override=two)
    return out


def main():
    out_dir = sys.argv[1]
    installed = importlib.metadata.version("plivo")
    assert installed == PLIVO_VERSION, f"plivo {installed} installed, {PLIVO_VERSION} pinned"
    gen_docs = "no {who} signer on PyPI or npm: Python stdlib HMAC-SHA256 as {src} describes; checked by a separate docs-following verifier (tools/vectors/extra-a)"
    write(out_dir, "orbit", "orbit",
          gen_docs.format(who="Orbit", src="docs.orbit.love/docs/webhooks (X-Orbit-Signature: sha256=<hex>)"),
          orbit_cases())
    write(out_dir, "go1", "go1",
          gen_docs.format(who="Go1", src="go1.com/developers/partners/concepts/webhook-signature-authentification (Go1-Signature: t=..,v1=..)")
          + "; the verifier ports go1com/webhook-verifier-js verifySignature",
          go1_cases())
    write(out_dir, "plivo", "plivo",
          f"PyPI plivo=={PLIVO_VERSION} plivo.utils.signature_v3 construct_post_url + get_signature_v3; verified by validate_v3_signature and a stdlib re-derivation (tools/vectors/extra-a)",
          plivo_cases())


if __name__ == "__main__":
    main()
