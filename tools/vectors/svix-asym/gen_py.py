#!/usr/bin/env python3
"""Write discord.json, sendgrid.json, standard-webhooks-v1a.json, gitlab.json, okta.json and
mailgun.json into OUT_DIR.  Run through tools/vectors/svix-asym/generate.sh (it builds the
pinned venv).  Usage: gen_py.py OUT_DIR

None of these senders ships a signer, so the signatures are made here with plain primitives:
Ed25519 and ECDSA P-256 from PyPI `cryptography` (pinned), HMAC from the stdlib.  Every key,
id and timestamp is fixed or derived from a label with SHA-256, and ECDSA uses RFC 6979
deterministic nonces, so a re-run writes byte-identical files.  The providers' own verifiers
(npm discord-interactions, @sendgrid/eventwebhook, standardwebhooks) then check every case in
check_node.mjs, and crosscheck.py re-derives everything independently.
"""

import hmac
import json
import os
import sys
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # fixtures.py
import fixtures  # noqa: E402
from fixtures import b64, case, compact  # noqa: E402
from fixtures import write as write_fixture  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

PINS = {"cryptography": "50.0.2"}
for _pkg, _want in PINS.items():
    if version(_pkg) != _want:
        sys.exit(f"gen_py: {_pkg}=={version(_pkg)} installed, expected {_want} (run generate.sh)")

# Order of the P-256 group.
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


# --------------------------------------------------------------------------- helpers

def det_bytes(label: str, n: int) -> bytes:
    # This generator's labels live under their own prefix.
    return fixtures.det_bytes(f"svix-asym/{label}", n)


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def det_b62(label: str, n: int) -> str:
    return "".join(_B62[b % 62] for b in det_bytes(label, n))


def det_hex(label: str, n: int) -> str:
    return det_bytes(label, (n + 1) // 2).hex()[:n]


def det_uuid(label: str) -> str:
    h = det_hex(label, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def det_snowflake(label: str) -> str:
    # Discord ids: 64-bit integers written as decimal strings.
    return str(1_180_000_000_000_000_000 + int.from_bytes(det_bytes(label, 8), "big") % 10**17)


def write(out_dir, file_stem, provider, generator, cases):
    for c in cases:
        assert all(k.lower() != "content-type" for k, _ in c["headers"]), c["name"]
    write_fixture(out_dir, file_stem, provider, generator, cases)
    print(f"svix-asym/gen_py: wrote {file_stem}.json ({len(cases)} cases)")


# --------------------------------------------------------------------------- keys

def ed25519_key(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(det_bytes("ed25519/" + label, 32))


def ed25519_pub(sk: ed25519.Ed25519PrivateKey) -> bytes:
    return sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def p256_key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(det_bytes("p256/" + label, 32), "big") % (P256_N - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def p256_spki_b64(sk: ec.EllipticCurvePrivateKey) -> str:
    # What SendGrid's settings page shows: base64 of the DER SubjectPublicKeyInfo.
    return b64(sk.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def p256_sign(sk: ec.EllipticCurvePrivateKey, msg: bytes, high_s: bool = False) -> str:
    """Base64 DER ECDSA/SHA-256, RFC 6979 nonce.  Normalised to low S (as starkbank-ecdsa,
    the SendGrid SDK's ECDSA library, signs), or to high S when asked: verifiers must take
    both, and SendGrid's own published signatures are high-S."""
    der = sk.sign(msg, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    if (s > P256_N // 2) != high_s:
        s = P256_N - s
    return b64(encode_dss_signature(r, s))


# --------------------------------------------------------------------------- Discord

DISCORD_GENERATOR = (
    "no Discord signer: Ed25519 (PyPI cryptography==50.0.2) over X-Signature-Timestamp + body, "
    "hex; route secret = the application's hex public key; every case verified with npm "
    "discord-interactions@4.4.0 verifyKey and re-checked by crosscheck.py"
)


def discord(out_dir):
    app = ed25519_key("discord/app")
    pub = ed25519_pub(app).hex()
    wrong = ed25519_pub(ed25519_key("discord/other-app")).hex()
    app_id = det_snowflake("discord/application")
    cases = []

    def add(name, body: bytes, ts: int, event_id, secrets=None):
        sig = app.sign(str(ts).encode() + body).hex()
        headers = [
            ("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)"),
            ("X-Signature-Ed25519", sig),
            ("X-Signature-Timestamp", str(ts)),
        ]
        cases.append(case(name, secrets or [pub], ts, headers, body, event_id, wrong_secret=wrong))

    user = {
        "avatar": None, "avatar_decoration_data": None, "discriminator": "0",
        "global_name": "Hookgate Tester", "id": det_snowflake("discord/user"),
        "public_flags": 0, "username": "hookgate.tester",
    }
    # 1. The PING Discord sends when the Interactions Endpoint URL is saved.
    ping_id = det_snowflake("discord/ping")
    ping = {
        "app_permissions": "562949953601536", "application_id": app_id,
        "authorizing_integration_owners": {}, "entitlements": [], "id": ping_id,
        "token": "aW50ZXJhY3Rpb246" + det_b62("discord/ping-token", 120),
        "type": 1, "user": user, "version": 1,
    }
    add("ping", compact(ping), 1764200000, ping_id)

    # 2. A slash command from a guild.
    cmd_id = det_snowflake("discord/command")
    guild = det_snowflake("discord/guild")
    command = {
        "app_permissions": "2248473465835073", "application_id": app_id,
        "authorizing_integration_owners": {"0": guild},
        "channel": {"flags": 0, "guild_id": guild, "id": det_snowflake("discord/channel"),
                    "name": "general", "type": 0},
        "channel_id": det_snowflake("discord/channel"), "context": 0,
        "data": {"id": det_snowflake("discord/cmd-def"), "name": "deploy",
                 "options": [{"name": "service", "type": 3, "value": "hookgate"}], "type": 1},
        "entitlements": [], "guild_id": guild, "guild_locale": "en-US", "id": cmd_id,
        "locale": "en-GB",
        "member": {"avatar": None, "deaf": False, "flags": 0,
                   "joined_at": "2025-06-01T10:00:00.000000+00:00", "mute": False, "nick": None,
                   "permissions": "2248473465835073", "roles": [], "user": user},
        "token": "aW50ZXJhY3Rpb246" + det_b62("discord/cmd-token", 120),
        "type": 2, "version": 1,
    }
    add("application_command", compact(command), 1764200100, cmd_id)

    # 3. Odd bytes: raw UTF-8, \u escapes as text, tabs, CRLF, trailing newline.
    odd_id = det_snowflake("discord/odd")
    odd = (
        '{\r\n\t"type" : 3 ,\r\n'
        f'\t"id":"{odd_id}",\t"application_id" : "{app_id}",\r\n'
        '\t"data": { "custom_id": "caf\\u00e9 \\u2615 \\ud83c\\udf89", '
        '"label": "Café ☕ 🎉 — ñandú Ω≈ç√", "ws": "  a\\tb\\nc  " },\r\n'
        '\t"version": 1 }\n'
    ).encode("utf-8")
    add("unicode_odd_whitespace", odd, 1764200200, odd_id)

    # 4. ~1 KiB: a modal submit with many components.
    big_id = det_snowflake("discord/big")
    big = {"application_id": app_id, "id": big_id, "type": 5, "version": 1,
           "data": {"custom_id": "feedback", "components": []}}
    comps = big["data"]["components"]
    i = 0
    while len(compact(big)) < 1100:
        comps.append({"type": 1, "components": [
            {"type": 4, "custom_id": f"field_{i}", "value": det_b62(f"discord/big/{i}", 40)}]})
        i += 1
    add("large_1kib", compact(big), 1764200300, big_id)

    # 5. The public key as some people paste it: upper-case hex (the SDK accepts it).
    up_id = det_snowflake("discord/upper")
    up = dict(ping, id=up_id, token="aW50ZXJhY3Rpb246" + det_b62("discord/up-token", 120))
    add("public_key_uppercase_hex", compact(up), 1764200400, up_id, secrets=[pub.upper()])

    write(out_dir, "discord", "discord", DISCORD_GENERATOR, cases)


# --------------------------------------------------------------------------- SendGrid

SENDGRID_GENERATOR = (
    "no SendGrid signer: ECDSA P-256/SHA-256 (PyPI cryptography==50.0.2, RFC 6979 nonces, "
    "low-S like starkbank-ecdsa) over X-Twilio-Email-Event-Webhook-Timestamp + body, base64 "
    "DER; route secret = base64 DER SubjectPublicKeyInfo as SendGrid shows it. documented_* "
    "cases are copied verbatim from sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js. "
    "Every case verified with npm @sendgrid/eventwebhook@8.0.0 EventWebhook.verifySignature; its "
    "starkbank-ecdsa@1.2.0 re-derives each public key from the private scalar"
)

# Documented vectors (sendgrid-nodejs eventwebhook.spec.js).  Both signatures are high-S.
SG_DOC_KEY = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3G"
              "Rqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==")
SG_DOC_SIG = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
SG_DOC_TS = "1600112502"
SG_DOC_EVENTS = [{
    "email": "hello@world.com", "event": "dropped", "reason": "Bounced Address",
    "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
    "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
    "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
    "timestamp": 1600112492,
}]
SG_DOC_MULTI_KEY = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/Ff"
                    "Ezx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==")
SG_DOC_MULTI_SIG = "MEYCIQC/I4o6vCgqRYrTljjoVWB/GRWNtxeePlLMHr3x9ETeRQIhAIpV+03nREPTTHWSW0wIOA0EoMPdcNgXa70yCaqDJlu5"
SG_DOC_MULTI_TS = "1619651159"
SG_DOC_MULTI_EVENTS = [
    {"email": "invalid@gmail.com", "event": "processed", "send_at": 0,
     "sg_event_id": "cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA",
     "sg_message_id": "qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0",
     "smtp-id": "<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>", "timestamp": 1619651146},
    {"email": "invalid@gmail.com", "event": "bounce", "ip": "167.89.101.76",
     "reason": "552 5.2.2 The email account that you tried to reach is over quota and inactive. "
               "Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm "
               "c17si1130468pgv.34 - gsmtp",
     "sg_event_id": "Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w",
     "sg_message_id": "qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0",
     "smtp-id": "<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>", "status": "5.2.2",
     "timestamp": 1619651147, "tls": 1, "type": "blocked"},
]
# The spec's "invalid key": a valid P-256 key that signed none of these.
SG_DOC_OTHER_KEY = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWH"
                    "w8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==")


def sendgrid_body(events) -> bytes:
    """SendGrid's framing, as in its SDK tests: a compact JSON array with CRLF after each
    event (`},\\r\\n{`) and a trailing CRLF."""
    return (compact(events).decode("utf-8").replace("},{", "},\r\n{") + "\r\n").encode("utf-8")


def pem_armor(spki_b64: str) -> str:
    lines = [spki_b64[i:i + 64] for i in range(0, len(spki_b64), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def sendgrid(out_dir):
    old = p256_key("sendgrid/key-old")
    new = p256_key("sendgrid/key-new")
    pub_old, pub_new = p256_spki_b64(old), p256_spki_b64(new)
    wrong = p256_spki_b64(p256_key("sendgrid/other-account"))
    cases = []

    def ev(label, event, ts, **extra):
        mid = det_b62(f"sendgrid/{label}/mid", 22)
        e = {"email": f"{label}@example.com", "event": event,
             "sg_event_id": det_b62(f"sendgrid/{label}/eid", 22),
             "sg_message_id": f"{mid}.recvd-5f8d6c7b9-2xk4z-1-6747B1C0-3.0",
             "smtp-id": f"<{mid}@geopod-ismtpd-3>", "timestamp": ts}
        e.update(extra)
        return e

    def add(name, body: bytes, ts: int, signer, secrets, high_s=False, wrong_secret=wrong):
        sig = p256_sign(signer, str(ts).encode() + body, high_s=high_s)
        headers = [
            ("X-Twilio-Email-Event-Webhook-Signature", sig),
            ("X-Twilio-Email-Event-Webhook-Timestamp", str(ts)),
        ]
        cases.append(case(name, secrets, ts, headers, body, None, wrong_secret=wrong_secret))

    def doc(name, key, sig, ts, events):
        headers = [
            ("X-Twilio-Email-Event-Webhook-Signature", sig),
            ("X-Twilio-Email-Event-Webhook-Timestamp", ts),
        ]
        cases.append(case(name, [key], int(ts), headers, sendgrid_body(events), None,
                          wrong_secret=SG_DOC_OTHER_KEY))

    doc("documented_vector_sdk_spec", SG_DOC_KEY, SG_DOC_SIG, SG_DOC_TS, SG_DOC_EVENTS)
    doc("documented_vector_sdk_spec_multiple", SG_DOC_MULTI_KEY, SG_DOC_MULTI_SIG,
        SG_DOC_MULTI_TS, SG_DOC_MULTI_EVENTS)

    t = 1764210000
    add("basic", sendgrid_body([
        ev("basic", "processed", t - 9, send_at=0),
        ev("basic", "delivered", t - 3, ip="168.1.1.1", response="250 OK", tls=1),
    ]), t, old, [pub_old])

    odd = (
        '[{"email":"zoë@example.com","event":"open","timestamp":1764210090,'
        '"sg_event_id":"b2RkLWNhc2UtMQ","category":["café ☕ 🎉","caf\\u00e9 \\u2615 \\ud83c\\udf89"],'
        '"useragent":"Mozilla/5.0\\t(ñandú Ω≈ç√)"},\r\n'
        '{"email" : "a@example.com" ,\t"event":"click", "url":"https://example.com/?q=\\u00e9",'
        '"timestamp":1764210095,"sg_event_id":"b2RkLWNhc2UtMg"}]\r\n'
    ).encode("utf-8")
    add("unicode_odd_whitespace", odd, 1764210100, old, [pub_old])

    t = 1764210200
    events = []
    i = 0
    while len(sendgrid_body(events)) < 1100:
        events.append(ev(f"batch{i}", ["processed", "delivered", "open", "click"][i % 4], t - 60 + i))
        i += 1
    add("large_1kib", sendgrid_body(events), t, old, [pub_old])

    t = 1764210300
    add("signature_high_s", sendgrid_body([ev("highs", "delivered", t - 2)]), t, old, [pub_old],
        high_s=True)

    t = 1764210400
    add("public_key_pem_armored", sendgrid_body([ev("pem", "bounce", t - 2, type="bounce",
                                                    status="5.1.1")]),
        t, old, [pem_armor(pub_old)])

    t = 1764210500
    add("rotation_route_old_new_signed_by_new",
        sendgrid_body([ev("rot-new", "deferred", t - 5, attempt="1")]), t, new, [pub_old, pub_new])
    t = 1764210600
    add("rotation_route_old_new_signed_by_old",
        sendgrid_body([ev("rot-old", "processed", t - 5)]), t, old, [pub_old, pub_new])

    write(out_dir, "sendgrid", "sendgrid", SENDGRID_GENERATOR, cases)


# --------------------------------------------------------------------------- Standard Webhooks v1a

V1A_GENERATOR = (
    "no SDK signs v1a: Ed25519 (PyPI cryptography==50.0.2) over `{id}.{timestamp}.{body}`, "
    "base64, `v1a,<sig>`; route keys whpk_<base64 raw public key>; the `v1,` entries of the "
    "mixed headers are HMAC-SHA256 (stdlib) with a whsec_ key. Checked with node:crypto "
    "Ed25519 (v1a) and npm standardwebhooks@1.1.1 Webhook.verify (v1, ignores v1a)"
)


def v1a(out_dir):
    ka, kb = ed25519_key("v1a/key-a"), ed25519_key("v1a/key-b")
    pk_a, pk_b = "whpk_" + b64(ed25519_pub(ka)), "whpk_" + b64(ed25519_pub(kb))
    wrong = "whpk_" + b64(ed25519_pub(ed25519_key("v1a/other")))
    hmac_key = det_bytes("v1a/hmac", 24)
    whsec = "whsec_" + b64(hmac_key)
    cases = []

    def msg_id(label):
        return "msg_" + det_b62("v1a/id/" + label, 27)

    def sig_v1a(sk, mid, ts, body):
        return "v1a," + b64(sk.sign(f"{mid}.{ts}.".encode() + body))

    def sig_v1(mid, ts, body):
        return "v1," + b64(hmac.new(hmac_key, f"{mid}.{ts}.".encode() + body, "sha256").digest())

    def add(name, label, ts, body, entries, secrets, family="webhook"):
        mid = msg_id(label)
        value = " ".join(e(mid, ts, body) for e in entries)
        headers = [(f"{family}-id", mid), (f"{family}-timestamp", str(ts)),
                   (f"{family}-signature", value)]
        cases.append(case(name, secrets, ts, headers, body, mid, wrong_secret=wrong))

    A = lambda m, t, b: sig_v1a(ka, m, t, b)  # noqa: E731
    B = lambda m, t, b: sig_v1a(kb, m, t, b)  # noqa: E731
    H = sig_v1

    basic = compact({"type": "invoice.paid", "timestamp": "2025-11-27T10:00:00Z",
                     "data": {"invoice_id": "inv_" + det_b62("v1a/inv", 14), "amount": 4200,
                              "currency": "EUR"}})
    add("basic", "basic", 1764220000, basic, [A], [pk_a])

    odd = (
        '{ "type" :"user.renamed",\r\n'
        '\t"timestamp":"2025-11-27T10:01:39Z" ,\r\n'
        '  "data": {\t"old_name": "Zoë Café ☕",  "new_name" : "caf\\u00e9 \\u2615 \\ud83c\\udf89",\r\n'
        '     "raw": "café ☕ 🎉 — ñandú Ω≈ç√", "ws": "  a\\tb\\nc  " }  }\n'
    ).encode("utf-8")
    add("unicode_odd_whitespace", "odd", 1764220100, odd, [A], [pk_a])

    big = {"type": "batch.completed", "timestamp": "2025-11-27T10:03:00Z", "data": {"items": []}}
    i = 0
    while len(compact(big)) < 1100:
        big["data"]["items"].append({"id": f"item_{i}", "sku": det_b62(f"v1a/sku/{i}", 24),
                                     "qty": i + 1})
        i += 1
    add("large_1kib", "big", 1764220200, compact(big), [A], [pk_a])

    mixed = compact({"type": "endpoint.mixed", "timestamp": "2025-11-27T10:05:00Z",
                     "data": {"note": "one HMAC and one Ed25519 entry"}})
    add("mixed_v1_v1a_route_whpk_only", "mixed-pk", 1764220300, mixed, [H, A], [pk_a])
    add("mixed_v1_v1a_route_whsec_only", "mixed-sec", 1764220400, mixed, [H, A], [whsec])
    add("mixed_v1a_first_route_whsec_only", "mixed-rev", 1764220500, mixed, [A, H], [whsec])

    rot = compact({"type": "key.rotated", "timestamp": "2025-11-27T10:10:00Z", "data": {}})
    add("rotation_two_v1a_route_old_new", "rot-two", 1764220600, rot, [B, A], [pk_a, pk_b])
    add("rotation_route_old_new_signed_by_new", "rot-new", 1764220700, rot, [B], [pk_a, pk_b])
    add("rotation_two_v1a_route_new_only", "rot-new-only", 1764220800, rot, [B, A], [pk_b])

    # The Svix server sends the same entries under svix-* headers.
    add("svix_headers_mixed_route_whpk_only", "svix", 1764220900, mixed, [H, A], [pk_a],
        family="svix")

    write(out_dir, "standard-webhooks-v1a", "standard-webhooks", V1A_GENERATOR, cases)


# --------------------------------------------------------------------------- GitLab

GITLAB_GENERATOR = (
    "no signature (GitLab sends the configured secret token verbatim in X-Gitlab-Token), per "
    "docs.gitlab.com/user/project/integrations/webhooks (headers) and webhook_events (bodies); "
    "Idempotency-Key (GitLab >= 17.4) is the event_id; legacy_* has none (body hash)"
)


def gitlab(out_dir):
    old = "glwt-" + det_b62("gitlab/token-old", 24)
    new = det_b62("gitlab/token-new", 20) + " !#$%&*+-./:;=?@^_~"  # any printable text
    cases = []

    def add(name, label, token, secrets, event, body: bytes, idempotent=True):
        headers = [("User-Agent", "GitLab/17.6.1-ee")]
        key = det_uuid(f"gitlab/{label}/idem")
        if idempotent:
            headers.append(("Idempotency-Key", key))
        headers += [
            ("X-Gitlab-Event", event),
            ("X-Gitlab-Webhook-UUID", det_uuid("gitlab/webhook")),
            ("X-Gitlab-Instance", "https://gitlab.example.com"),
            ("X-Gitlab-Event-UUID", det_uuid(f"gitlab/{label}/event")),
            ("X-Gitlab-Token", token),
        ]
        # No timestamp in the scheme: signed_at is only the test clock.
        cases.append(case(name, secrets, 1764230000 + 100 * len(cases), headers, body,
                          key if idempotent else None))

    def commit(i, msg):
        sha = det_hex(f"gitlab/commit/{i}", 40)
        return {"id": sha, "message": msg, "title": msg.split("\n")[0],
                "timestamp": "2025-11-27T10:00:00+00:00",
                "url": f"https://gitlab.example.com/acme/hookgate/-/commit/{sha}",
                "author": {"name": "Jane Doe", "email": "jane@example.com"},
                "added": [], "modified": ["src/main.rs"], "removed": []}

    project = {"id": 15, "name": "hookgate", "path_with_namespace": "acme/hookgate",
               "web_url": "https://gitlab.example.com/acme/hookgate", "default_branch": "main"}

    def push(commits):
        return {"object_kind": "push", "event_name": "push",
                "before": det_hex("gitlab/before", 40), "after": commits[-1]["id"],
                "ref": "refs/heads/main", "ref_protected": True, "checkout_sha": commits[-1]["id"],
                "user_id": 4, "user_name": "Jane Doe", "user_username": "jane",
                "project_id": 15, "project": project, "commits": commits,
                "total_commits_count": len(commits)}

    add("push_hook", "push", old, [old], "Push Hook",
        compact(push([commit(0, "Fix the retry loop\n")])))

    mr = {"object_kind": "merge_request", "event_type": "merge_request",
          "user": {"id": 1, "name": "Administrator", "username": "root"},
          "project": project,
          "object_attributes": {"id": 99, "iid": 1, "title": "Add GitLab vectors",
                                "state": "opened", "action": "open",
                                "source_branch": "vectors", "target_branch": "main"},
          "labels": [], "changes": {}}
    add("merge_request_hook", "mr", old, [old], "Merge Request Hook", compact(mr))

    odd = (
        '{\r\n\t"object_kind" : "note",\t"event_type":"note",\r\n'
        '\t"object_attributes": { "note": "Café ☕ 🎉 looks good — caf\\u00e9 \\u2615 \\ud83c\\udf89",\r\n'
        '\t\t"noteable_type" : "MergeRequest", "ws": "  a\\tb\\nc  " },\r\n'
        '\t"user": { "name": "Zoë Ñandú" } }\n'
    ).encode("utf-8")
    add("unicode_odd_whitespace", "odd", old, [old], "Note Hook", odd)

    commits, i = [], 0
    while len(compact(push(commits or [commit(0, "x")]))) < 1100:
        commits.append(commit(i, f"Commit {i}: {det_b62(f'gitlab/msg/{i}', 30)}\n"))
        i += 1
    add("large_1kib", "big", old, [old], "Push Hook", compact(push(commits)))

    add("legacy_no_idempotency_key", "legacy", old, [old], "Push Hook",
        compact(push([commit(7, "Older GitLab: no Idempotency-Key\n")])), idempotent=False)

    add("rotation_route_old_new_signed_by_new", "rot-new", new, [old, new], "Push Hook",
        compact(push([commit(8, "After rotating the secret token\n")])))
    add("rotation_route_old_new_signed_by_old", "rot-old", old, [old, new], "Push Hook",
        compact(push([commit(9, "Before the sender was updated\n")])))

    write(out_dir, "gitlab", "gitlab", GITLAB_GENERATOR, cases)


# --------------------------------------------------------------------------- Okta

OKTA_GENERATOR = (
    "no signature (Okta event hooks send the configured authScheme value verbatim in the "
    "Authorization header), per developer.okta.com/docs/concepts/event-hooks (request shape, "
    "sample body); the body carries no delivery id the preset uses: event_id null (body hash)"
)


def okta(out_dir):
    old = det_b62("okta/secret-old", 40)
    new = det_b62("okta/secret-new", 40)
    bearer = "Bearer " + det_b62("okta/bearer", 40)
    cases = []
    hook = "https://acme.okta.com/api/v1/eventHooks/who" + det_b62("okta/hook", 17)

    def event(i, etype, display):
        return {"uuid": det_uuid(f"okta/event/{i}"), "published": "2025-11-27T10:00:00.000Z",
                "eventType": etype, "version": "0", "displayMessage": display,
                "severity": "INFO", "legacyEventType": None,
                "actor": {"id": "00u" + det_b62(f"okta/actor/{i}", 17), "type": "User",
                          "alternateId": "jane@example.com", "displayName": "Jane Doe"},
                "outcome": {"result": "SUCCESS", "reason": None}}

    def envelope(label, events):
        return {"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0",
                "cloudEventsVersion": "0.1", "source": hook,
                "eventId": det_uuid(f"okta/{label}/id"), "data": {"events": events},
                "eventTime": "2025-11-27T10:00:01.000Z", "contentType": "application/json"}

    def add(name, token, secrets, body: bytes):
        headers = [("Authorization", token)]
        cases.append(case(name, secrets, 1764240000 + 100 * len(cases), headers, body, None))

    add("user_session_start", old, [old],
        compact(envelope("session", [event(0, "user.session.start", "User login to Okta")])))
    odd = (
        '{\r\n\t"eventType" : "com.okta.event_hook",\t"eventTypeVersion":"1.0",\r\n'
        '\t"data": { "events": [ { "eventType": "user.account.update_profile",\r\n'
        '\t\t"displayMessage" : "Zoë Café ☕ 🎉 — caf\\u00e9 \\u2615 \\ud83c\\udf89",\r\n'
        '\t\t"ws": "  a\\tb\\nc  ", "ñandú": "Ω≈ç√" } ] } }\n'
    ).encode("utf-8")
    add("unicode_odd_whitespace", old, [old], odd)
    evs, i = [], 0
    while len(compact(envelope("batch", evs))) < 1100:
        evs.append(event(10 + i, "user.lifecycle.create", "Create Okta user"))
        i += 1
    add("large_1kib", old, [old], compact(envelope("batch", evs)))
    # Okta sends whatever value was configured; a "Bearer ..." value is one secret string.
    add("authorization_bearer_value", bearer, [bearer],
        compact(envelope("bearer", [event(1, "group.user_membership.add", "Add user to group")])))
    add("rotation_route_old_new_signed_by_new", new, [old, new],
        compact(envelope("rot-new", [event(2, "user.session.end", "User logout from Okta")])))
    add("rotation_route_old_new_signed_by_old", old, [old, new],
        compact(envelope("rot-old", [event(3, "user.session.start", "User login to Okta")])))

    write(out_dir, "okta", "okta", OKTA_GENERATOR, cases)


# --------------------------------------------------------------------------- Mailgun

MAILGUN_GENERATOR = (
    "no Mailgun signer: stdlib hmac(signing key, timestamp + token, sha256), hex, placed in the "
    "body's signature object, as documentation.mailgun.com (securing webhooks) describes; the "
    "body itself is not signed; checked with node:crypto as in Mailgun's Node example"
)


def mailgun(out_dir):
    old = det_hex("mailgun/key-old", 32) + "-" + det_hex("mailgun/key-old/2", 8) + "-" + \
        det_hex("mailgun/key-old/3", 8)
    new = det_hex("mailgun/key-new", 32) + "-" + det_hex("mailgun/key-new/2", 8) + "-" + \
        det_hex("mailgun/key-new/3", 8)
    cases = []

    def sign(key, ts, token):
        return hmac.new(key.encode(), f"{ts}{token}".encode(), "sha256").hexdigest()

    def event_data(label, event, **extra):
        d = {"id": det_b62(f"mailgun/{label}/id", 22), "timestamp": 1764250000.123456,
             "log-level": "info", "event": event,
             "message": {"headers": {"message-id": f"{det_hex(f'mailgun/{label}/mid', 16)}@mg.example.com",
                                     "from": "Acme <noreply@mg.example.com>",
                                     "to": "jane@example.com", "subject": "Your receipt"}},
             "recipient": "jane@example.com", "recipient-domain": "example.com", "tags": [],
             "user-variables": {}}
        d.update(extra)
        return d

    def add(name, label, key, secrets, ts, data, render=compact):
        token = det_hex(f"mailgun/{label}/token", 50)
        body = render({"signature": {"token": token, "timestamp": str(ts),
                                     "signature": sign(key, ts, token)},
                       "event-data": data})
        cases.append(case(name, secrets, ts, [], body, token))

    add("delivered", "delivered", old, [old], 1764250000,
        event_data("delivered", "delivered",
                   **{"delivery-status": {"code": 250, "message": "OK", "attempt-no": 1}}))
    add("opened", "opened", old, [old], 1764250100,
        event_data("opened", "opened", ip="203.0.113.7",
                   **{"client-info": {"client-type": "browser", "client-os": "Linux"}}))
    add("pretty_body", "pretty", old, [old], 1764250200,
        event_data("pretty", "clicked", url="https://example.com/"),
        render=lambda o: (json.dumps(o, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    token = det_hex("mailgun/odd/token", 50)
    ts = 1764250300
    odd = (
        '{\r\n\t"signature" : {\t"token" : "' + token + '",\r\n'
        '\t\t"timestamp":"' + str(ts) + '" , "signature": "' + sign(old, ts, token) + '" },\r\n'
        '\t"event-data": { "event": "failed", "message": { "headers": {\r\n'
        '\t\t"subject": "Zoë Café ☕ 🎉 — caf\\u00e9 \\u2615 \\ud83c\\udf89" } },\r\n'
        '\t\t"ws": "  a\\tb\\nc  ", "ñandú": "Ω≈ç√" } }\n'
    ).encode("utf-8")
    cases.append(case("unicode_odd_whitespace", [old], ts, [], odd, token))

    big = event_data("big", "delivered", tags=[])
    i = 0
    while len(compact({"signature": {}, "event-data": big})) < 1000:
        big["tags"].append(f"tag-{i}-{det_b62(f'mailgun/tag/{i}', 12)}")
        i += 1
    add("large_1kib", "big", old, [old], 1764250400, big)

    add("rotation_route_old_new_signed_by_new", "rot-new", new, [old, new], 1764250500,
        event_data("rot-new", "accepted"))
    add("rotation_route_old_new_signed_by_old", "rot-old", old, [old, new], 1764250600,
        event_data("rot-old", "accepted"))

    write(out_dir, "mailgun", "mailgun", MAILGUN_GENERATOR, cases)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_py.py OUT_DIR")
    out = sys.argv[1]
    discord(out)
    sendgrid(out)
    v1a(out)
    gitlab(out)
    okta(out)
    mailgun(out)


if __name__ == "__main__":
    main()
