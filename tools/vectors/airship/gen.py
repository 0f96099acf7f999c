#!/usr/bin/env python3
"""Airship Open Channel webhook vectors, following Airship's documentation (no SDK signs or
verifies these: PyPI urbanairship==7.4.1 has no webhook helper). Python stdlib only, no clock,
no randomness: secrets and ids are derived from labels with SHA-256.

Scheme (support.airship.com/hc/en-us/articles/360032501831, "Implementing a Signature Hash and
Validating an Open Channel Webhook"; docs.airship.com/platform/open/open-delivery-payload):
  X-UA-Timestamp: unix seconds
  X-UA-Signature: hex(HMAC-SHA256(secret as UTF-8, f"{timestamp}:{body JSON}"))
  Content-Encoding: gzip  -- the body on the wire is the JSON gzip-compressed; the signature
                             covers the JSON (before compression).
Gzip output is made deterministic with mtime=0 (gzip.compress(data, mtime=0)).

Usage: gen.py OUT_DIR  (writes OUT_DIR/airship.json)
"""
import base64
import gzip
import hashlib
import hmac
import json
import os
import sys
import uuid
import zlib

BASE_TS = 1764000000


def derive(label: str) -> str:
    return hashlib.sha256(("hookgate-vectors/airship/" + label).encode()).hexdigest()


def secret(label: str) -> str:
    # Airship's article generates the secret as a SHA-256 hex digest of random bytes.
    return derive("secret/" + label)


def uuid4(label: str) -> str:
    b = bytearray(bytes.fromhex(derive("uuid/" + label))[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


def sign(key: str, ts: int, body: bytes) -> str:
    """The signer, as Airship's article describes it."""
    msg = str(ts).encode() + b":" + body
    return hmac.new(key.encode("utf-8"), msg, hashlib.sha256).hexdigest()


def independent_verify(key: str, headers: dict, wire: bytes) -> bool:
    """A separate docs-following verifier: reads the request as a receiver would (headers
    case-insensitively, the body inflated with zlib rather than the gzip module), then
    compares in constant time."""
    h = {k.lower(): v for k, v in headers.items()}
    enc = h.get("content-encoding", "").strip().lower()
    if enc == "gzip":
        try:
            d = zlib.decompressobj(wbits=31)
            body = d.decompress(wire) + d.flush()
            if not d.eof or d.unused_data:
                return False
        except zlib.error:
            return False
    elif enc == "":
        body = wire
    else:
        return False
    mac = hmac.new(key.encode("utf-8"), h["x-ua-timestamp"].encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), h["x-ua-signature"])


def obj(label: str, alert: str, address: str, extra=None) -> dict:
    payload = {"alert": alert, "title": "Breaking News!"}
    if extra is not None:
        payload["extra"] = extra
    return {
        "send_id": uuid4("send/" + label),
        "app_key": base64.urlsafe_b64encode(bytes.fromhex(derive("app")))[:22].decode(),
        "target": {
            "address": address,
            "channel_id": uuid4("channel/" + label),
            "identifiers": {"cid": str(int(derive("cid/" + label)[:7], 16))},
        },
        "payload": payload,
        "push_id": uuid4("push"),
    }


def dumps(v) -> bytes:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def body_basic() -> bytes:
    return dumps({"values": [
        obj("a", "Giant StayPuft Marshmallow Man On a Rampage", "221B Baker Street",
            {"url": "https://www.example.com/"}),
        obj("b", "Giant StayPuft Marshmallow Man On a Rampage", "1600 Pennsylvania Avenue"),
    ]})


def body_1kib() -> bytes:
    values = []
    i = 0
    while len(dumps({"values": values})) < 1024:
        values.append(obj(f"k{i}", f"Batch item {i}", f"{i} Example Road"))
        i += 1
    return dumps({"values": values})


def body_odd_whitespace() -> bytes:
    # Pretty-printed with tabs, CRLF, a trailing newline and escapes a re-serializer would
    # change: the signature covers these exact (decoded) bytes.
    o = obj("ws", "line\u2028sep \u00a0nbsp \\u00e9 \"q\"", "Tab\tStreet")
    text = json.dumps({"values": [o]}, indent="\t", ensure_ascii=True).replace("\n", "\r\n")
    return (text + " \r\n\n").encode("utf-8")


def body_non_ascii() -> bytes:
    return dumps({"values": [obj("na", "Café ✓ 🚀 Ünïcödé — 東京", "Straße 7, München",
                                 {"note": "naïve façade"})]})


def case(name, secrets, signer, ts, decoded, gz=True):
    wire = gzip.compress(decoded, mtime=0) if gz else decoded
    headers = [("Data-Attribute", "values")]
    if gz:
        headers.append(("Content-Encoding", "gzip"))
    headers += [("X-UA-Timestamp", str(ts)), ("X-UA-Signature", sign(signer, ts, decoded))]
    hd = dict(headers)
    # Independent checks: the signing secret verifies, a wrong one does not, nor a changed
    # decoded byte (recompressed), nor a changed byte on the wire.
    assert independent_verify(signer, hd, wire), name
    assert not independent_verify(secret("wrong"), hd, wire), name
    changed = bytearray(decoded)
    changed[len(changed) // 2] ^= 0x01
    changed = bytes(changed)
    bad_wire = gzip.compress(changed, mtime=0) if gz else changed
    assert not independent_verify(signer, hd, bad_wire), name
    flipped = bytearray(wire)
    flipped[len(flipped) // 2] ^= 0x01
    assert not independent_verify(signer, hd, bytes(flipped)), name
    if gz:
        # The raw (compressed) bytes are not what is signed.
        assert sign(signer, ts, wire) != hd["X-UA-Signature"]
    return {
        "name": name,
        "secrets": secrets,
        "signed_at": ts,
        "headers": [list(h) for h in headers],
        "content_type": "application/vnd.urbanairship+json; version=3",
        "body_b64": base64.b64encode(wire).decode(),
        "event_id": None,
    }


def main():
    out = sys.argv[1]
    cur, old = secret("current"), secret("old")
    cases = [
        case("basic", [cur], cur, BASE_TS, body_basic()),
        case("push_1kib", [cur], cur, BASE_TS + 60, body_1kib()),
        case("unicode_odd_whitespace", [cur], cur, BASE_TS + 120, body_odd_whitespace()),
        case("non_ascii", [cur], cur, BASE_TS + 180, body_non_ascii()),
        case("rotation_route_old_new_signed_by_new", [old, cur], cur, BASE_TS + 240, body_basic()),
        case("uncompressed", [cur], cur, BASE_TS + 300, body_non_ascii(), gz=False),
    ]
    assert len(gzip.decompress(base64.b64decode(cases[1]["body_b64"]))) >= 1024
    doc = {
        "provider": "airship",
        "generator": "no Airship signer or verifier (PyPI urbanairship==7.4.1 has none): Python "
        "stdlib hmac, hex HMAC-SHA256 of '{X-UA-Timestamp}:{JSON}' with the JSON sent "
        "gzip-compressed (gzip.compress, mtime=0), as support.airship.com article 360032501831 "
        "and docs.airship.com/platform/open/open-delivery-payload describe; each case checked "
        "by a separate zlib-inflating verifier",
        "cases": cases,
    }
    with open(os.path.join(out, "airship.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
