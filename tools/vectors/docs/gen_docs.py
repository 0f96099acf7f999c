#!/usr/bin/env python3
"""Vectors for senders that publish no signing SDK, written from their documentation.

Usage: gen_docs.py OUT_DIR        (Python 3 stdlib only; run by ../generate.sh)

Writes zoom, twitch, intercom, typeform, woocommerce, bitbucket, calendly, xero,
pagerduty, sentry, vercel, jira, asana and dropbox .json into OUT_DIR.

Each provider has a signer written from the provider's own docs (the `SCHEMES` table
says which page) and, separately, a verifier written from the same text the way a
receiver would (split the header, strip the prefix, compare in constant time). Every
case must verify with one of its route secrets and fail with a wrong one, and its
`event_id` must be what the body or headers say. Where a third party published a
known answer (a library's test suite), the case is copied verbatim and the signer must
reproduce the published signature; those cases are named `library_vector_*` and the
source is in the file's "generator" field. None of these providers' docs publishes a
complete example (secret, body and signature), so there is no `docs_example` case.

Deterministic: secrets and ids come from SHA-256 of a label, times are fixed, nothing
reads the clock or the environment.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # fixtures.py
import fixtures  # noqa: E402
from fixtures import b64, write as write_fixture  # noqa: E402

T0 = 1764000000  # 2025-11-24T16:00:00Z, the base time the other generators use too.


# --------------------------------------------------------------------------- helpers

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def det(label: str, n: int, alphabet: str = _B62) -> str:
    """A deterministic string of n characters from `alphabet`, derived from a label."""
    out, counter = "", 0
    while len(out) < n:
        digest = hashlib.sha256(f"{label}#{counter}".encode()).digest()
        out += "".join(alphabet[b % len(alphabet)] for b in digest)
        counter += 1
    return out[:n]


def det_hex(label: str, n: int) -> str:
    return det(label, n, "0123456789abcdef")


def det_uuid(label: str) -> str:
    h = det_hex(label, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def mac(alg, key: str, *parts: bytes) -> bytes:
    m = hmac.new(key.encode("utf-8"), digestmod=alg)
    for p in parts:
        m.update(p)
    return m.digest()


def compact(obj) -> bytes:
    """JSON as most senders write it: no spaces, raw UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def spaced(obj) -> bytes:
    """JSON with ", " and ": " separators (Python's default; Dropbox's docs show this)."""
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def php_json(obj) -> bytes:
    """PHP json_encode() defaults, which WordPress' wp_json_encode() keeps: ASCII only
    (\\u00e9, surrogate pairs for emoji) and "/" escaped as "\\/"."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode("ascii")


def iso(unix: int, frac: str = "") -> str:
    return datetime.fromtimestamp(unix, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def odd_body(fields: bytes) -> bytes:
    """A body whose bytes survive no re-serialisation: raw multi-byte UTF-8 (é ☕ 🎉), the
    same characters as \\u escape text, tabs, CRLF, spaces around ':' and a trailing
    newline. `fields` is spliced in as the first members (a JSON fragment)."""
    return (
        b"{" + fields + b",\r\n\t\"note\" :  \"caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x8e\x89\" ,\r\n"
        b"\t\"escaped\":\"caf\\u00e9 \\u2615 \\ud83c\\udf89\",\t\"n\" : 1.50 }\n"
    )



def case(name, secrets, signed_at, headers, body: bytes, event_id):
    # Documented senders post text: never an empty or non-UTF-8 body here.
    assert isinstance(body, bytes) and body
    body.decode("utf-8")
    return fixtures.case(name, secrets, signed_at, headers, body, event_id)


def hdr(c, name):
    vals = [v for k, v in c["headers"] if k.lower() == name.lower()]
    if len(vals) != 1:
        raise AssertionError(f"{c['name']}: expected one {name} header, got {vals}")
    return vals[0]


def body_of(c) -> bytes:
    return base64.b64decode(c["body_b64"])


def ct_in(candidates, expected: bytes) -> bool:
    """Constant-time membership, as every docs page asks for."""
    ok = False
    for cand in candidates:
        ok |= hmac.compare_digest(cand, expected)
    return ok


def unhex(s):
    try:
        return bytes.fromhex(s)
    except ValueError:
        return None


def unb64(s):
    try:
        return base64.b64decode(s, validate=True)
    except ValueError:
        return None


# --------------------------------------------------------------------------- schemes
# Each entry: the signer (secret, case-inputs -> signature header value) lives in the
# provider's build function below; the verifier here reads a finished case the way a
# receiver following the docs would, and returns True/False for one secret.

def v_zoom(c, secret):
    # developers.zoom.us/docs/api/webhooks: message = "v0:" + x-zm-request-timestamp + ":" + body;
    # signature = "v0=" + hex(HMAC-SHA256(secret token, message)).
    sig = hdr(c, "x-zm-signature")
    if not sig.startswith("v0="):
        return False
    want = hmac.new(secret.encode(), b"v0:" + hdr(c, "x-zm-request-timestamp").encode() + b":" + body_of(c),
                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(sig[3:], want)


def v_twitch(c, secret):
    # dev.twitch.tv/docs/eventsub/handling-webhook-events: HMAC-SHA256(secret,
    # message id + message timestamp + raw body), hex, behind "sha256=".
    sig = hdr(c, "Twitch-Eventsub-Message-Signature")
    msg = (hdr(c, "Twitch-Eventsub-Message-Id") + hdr(c, "Twitch-Eventsub-Message-Timestamp")).encode() + body_of(c)
    return hmac.compare_digest(sig, "sha256=" + hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest())


def v_intercom(c, secret):
    # developers.intercom.com webhooks: X-Hub-Signature = "sha1=" + hex(HMAC-SHA1(client_secret, body)).
    want = "sha1=" + hmac.new(secret.encode(), body_of(c), hashlib.sha1).hexdigest()
    return hmac.compare_digest(hdr(c, "X-Hub-Signature"), want)


def v_typeform(c, secret):
    # typeform.com/developers/webhooks/secure-your-webhooks: "sha256=" + base64(HMAC-SHA256(secret, payload)).
    want = "sha256=" + b64(hmac.new(secret.encode(), body_of(c), hashlib.sha256).digest())
    return hmac.compare_digest(hdr(c, "Typeform-Signature"), want)


def v_woocommerce(c, secret):
    # WC_Webhook::generate_signature: base64(hash_hmac('sha256', body, wp_specialchars_decode(secret), true)).
    got = unb64(hdr(c, "X-WC-Webhook-Signature"))
    return got is not None and hmac.compare_digest(got, hmac.new(secret.encode(), body_of(c), hashlib.sha256).digest())


def v_hub_sha256(header):
    def v(c, secret):
        value = hdr(c, header)
        if not value.startswith("sha256="):
            return False
        got = unhex(value[7:])
        return got is not None and hmac.compare_digest(got, hmac.new(secret.encode(), body_of(c), hashlib.sha256).digest())
    return v


def v_calendly(c, secret):
    # developer.calendly.com webhook-signatures: split on ",", then "=" -> t, v1;
    # expected = hex(HMAC-SHA256(signing key, t + "." + body)).
    parts = dict(p.split("=", 1) for p in hdr(c, "Calendly-Webhook-Signature").split(","))
    want = hmac.new(secret.encode(), parts["t"].encode() + b"." + body_of(c), hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts["v1"], want)


def v_xero(c, secret):
    # developer.xero.com webhooks: x-xero-signature = base64(HMAC-SHA256(webhooks key, body)).
    want = b64(hmac.new(secret.encode(), body_of(c), hashlib.sha256).digest())
    return hmac.compare_digest(hdr(c, "x-xero-signature"), want)


def v_pagerduty(c, secret):
    # PagerDuty developer-docs webhooks/04-Signatures.md, steps 1-3: split on ",", keep "v1=",
    # compare each with hex(HMAC-SHA256(secret, body)); any match is authentic.
    sigs = [s[3:] for s in hdr(c, "X-PagerDuty-Signature").split(",") if s.startswith("v1=")]
    want = hmac.new(secret.encode(), body_of(c), hashlib.sha256).hexdigest()
    return ct_in(sigs, want)


def v_hex_body(header, alg):
    def v(c, secret):
        want = hmac.new(secret.encode(), body_of(c), alg).hexdigest()
        return hmac.compare_digest(hdr(c, header), want)
    return v


VERIFIERS = {
    "zoom": v_zoom,
    "twitch": v_twitch,
    "intercom": v_intercom,
    "typeform": v_typeform,
    "woocommerce": v_woocommerce,
    "bitbucket": v_hub_sha256("X-Hub-Signature"),
    "calendly": v_calendly,
    "xero": v_xero,
    "pagerduty": v_pagerduty,
    "sentry": v_hex_body("Sentry-Hook-Signature", hashlib.sha256),
    "vercel": v_hex_body("x-vercel-signature", hashlib.sha1),
    "jira": v_hub_sha256("X-Hub-Signature"),
    "asana": v_hex_body("X-Hook-Signature", hashlib.sha256),
    "dropbox": v_hex_body("X-Dropbox-Signature", hashlib.sha256),
}

WRONG = "not-the-route-secret-0123456789"


# --------------------------------------------------------------------------- zoom

def zoom():
    def secret(label):  # Secret Token from the app's Features page: 22 characters.
        return det("zoom-secret-" + label, 22, _B62 + "_-")

    def sign(sec, ts, body):
        return "v0=" + mac(hashlib.sha256, sec, f"v0:{ts}:".encode(), body).hex()

    def mk(name, secrets, signer, ts, body):
        return case(name, secrets, ts,
                    [("User-Agent", "Zoom Marketplace/1.0a"),
                     ("x-zm-request-timestamp", str(ts)),
                     ("x-zm-signature", sign(signer, ts, body))],
                    body, None)

    old, new = secret("old"), secret("new")
    ts = T0 + 100
    started = compact({
        "event": "meeting.started", "event_ts": ts * 1000 + 412,
        "payload": {"account_id": "AAAAAABBBB", "object": {
            "id": "89463785628", "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "z8yCxjabcdEFGHfp8uQ",
            "topic": "R\u00e9union d'\u00e9quipe \u2615 \u6771\u4eac", "type": 2,
            "start_time": iso(ts), "timezone": "Europe/Paris", "duration": 60}}})
    ts2 = T0 + 7300
    joined = compact({
        "event": "meeting.participant_joined", "event_ts": ts2 * 1000 + 77,
        "payload": {"account_id": "AAAAAABBBB", "object": {
            "id": "89463785628", "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "z8yCxjabcdEFGHfp8uQ",
            "topic": "Weekly sync", "type": 2, "start_time": iso(ts2 - 120), "timezone": "UTC", "duration": 30,
            "participant": {"user_id": "16778240", "user_name": "Zo\u00eb \u00c5ngstr\u00f6m \U0001F389",
                            "id": "iFxeBPYun6SAiWUzBcEkX", "participant_uuid": det_uuid("zoom-pu"),
                            "join_time": iso(ts2), "email": "zoe@example.com"}}}})
    ts3 = T0 + 14500
    rec = {"event": "recording.completed", "event_ts": ts3 * 1000 + 5,
           "payload": {"account_id": "AAAAAABBBB", "object": {
               "id": 89463785628, "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "z8yCxjabcdEFGHfp8uQ",
               "topic": "All hands \u2014 Q4 r\u00e9sum\u00e9", "start_time": iso(ts3 - 3600), "duration": 58,
               "total_size": 529758, "recording_count": 2, "share_url": "https://example.zoom.us/rec/share/Ra",
               "recording_files": [
                   {"id": "ed6c2f27-2ae7-42f4-b3d0-835b493e4fa8", "file_type": "MP4", "file_extension": "MP4",
                    "file_size": 264805, "recording_type": "shared_screen_with_speaker_view",
                    "download_url": "https://example.zoom.us/rec/download/Qg75t7xZBtEbAkjdlgbfdngBBBBBBBBB",
                    "status": "completed"},
                   {"id": "ed6c2f27-2ae7-42f4-b3d0-835b493e4fa9", "file_type": "TRANSCRIPT",
                    "file_extension": "VTT", "file_size": 1024, "recording_type": "audio_transcript",
                    "download_url": "https://example.zoom.us/rec/download/Qg75t7xZBtEbAkjdlgbfdngCCCCCCCCC",
                    "status": "completed"}],
               "agenda": ""}}}
    while len(compact(rec)) < 1100:
        rec["payload"]["object"]["agenda"] += "Ordre du jour \u2013 \u00e9tape suivante. "
    big = compact(rec)
    ts4 = T0 + 21700
    ts5 = T0 + 28900
    ended = compact({"event": "meeting.ended", "event_ts": ts5 * 1000 + 1,
                     "payload": {"account_id": "AAAAAABBBB", "object": {
                         "id": "89463785628", "uuid": "5555BBBjBBBBBjBjBjjBjj==", "topic": "Standup \u2600",
                         "type": 2, "start_time": iso(ts5 - 900), "end_time": iso(ts5), "duration": 15}}})
    return "zoom", (
        "no Zoom signer: Python stdlib hmac over 'v0:{x-zm-request-timestamp}:{body}', hex, behind 'v0=', "
        "as developers.zoom.us/docs/api/webhooks describes; bodies shaped after Zoom's event reference "
        "(the endpoint.url_validation handshake is tested in tests/it/handshakes.rs, not replayed here)"
    ), [
        mk("basic", [old], old, ts, started),
        mk("participant_joined_unicode", [old], old, ts2, joined),
        mk("recording_completed_1kib", [old], old, ts3, big),
        mk("unicode_odd_whitespace", [old], old, ts4,
           odd_body(b'"event":"meeting.updated","event_ts":' + str(ts4 * 1000).encode())),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, ts5, ended),
    ]


# --------------------------------------------------------------------------- twitch

def twitch():
    def secret(label):  # chosen by the app: 10-100 ASCII characters.
        return det("twitch-secret-" + label, 40)

    def sign(sec, mid, ts, body):
        return "sha256=" + mac(hashlib.sha256, sec, mid.encode(), ts.encode(), body).hex()

    def mk(name, secrets, signer, unix, frac, mtype, stype, body, mid=None):
        mid = mid or det_uuid(f"twitch-mid-{name}")
        ts = iso(unix, frac)
        return case(name, secrets, unix, [
            ("Twitch-Eventsub-Message-Id", mid),
            ("Twitch-Eventsub-Message-Retry", "0"),
            ("Twitch-Eventsub-Message-Type", mtype),
            ("Twitch-Eventsub-Message-Signature", sign(signer, mid, ts, body)),
            ("Twitch-Eventsub-Message-Timestamp", ts),
            ("Twitch-Eventsub-Subscription-Type", stype),
            ("Twitch-Eventsub-Subscription-Version", "2" if stype == "channel.follow" else "1"),
        ], body, mid)

    # nicklaw5/helix eventsub_test.go TestVerifyEventSubNotification, verbatim.
    helix_body = (b'{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4",'
                  b'"status":"webhook_callback_verification_pending","type":"channel.follow","version":"1",'
                  b'"condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook",'
                  b'"callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.123Z"}}')
    helix_mid, helix_ts = "e76c6bd4-55c9-4987-8304-da1588d8988b", "2019-11-16T10:11:12.123Z"
    helix_sig = "sha256=7e5a96480c29cdf834b371e7a5b049638cba6e425ea51b9b2a9fabf69bc5d227"
    assert sign("s3cRe7", helix_mid, helix_ts, helix_body) == helix_sig, "helix known answer"
    helix = case("library_vector_helix", ["s3cRe7"], 1573899072, [
        ("Twitch-Eventsub-Message-Id", helix_mid),
        ("Twitch-Eventsub-Message-Retry", "0"),
        ("Twitch-Eventsub-Message-Type", "webhook_callback_verification"),
        ("Twitch-Eventsub-Message-Signature", helix_sig),
        ("Twitch-Eventsub-Message-Timestamp", helix_ts),
        ("Twitch-Eventsub-Subscription-Type", "channel.follow"),
        ("Twitch-Eventsub-Subscription-Version", "1"),
    ], helix_body, helix_mid)
    assert datetime.fromisoformat(helix_ts.replace("Z", "+00:00")).timestamp() // 1 == 1573899072

    old, new = secret("old"), secret("new")
    sub = lambda stype, cond: {"id": det_uuid("twitch-sub-" + stype), "status": "enabled", "type": stype,
                               "version": "2" if stype == "channel.follow" else "1", "cost": 0,
                               "condition": cond,
                               "transport": {"method": "webhook", "callback": "https://hooks.example.com/twitch"},
                               "created_at": iso(T0 - 86400, ".634234626")}
    u1 = T0 + 200
    follow = compact({"subscription": sub("channel.follow", {"broadcaster_user_id": "1337", "moderator_user_id": "1337"}),
                      "event": {"user_id": "1234", "user_login": "cool_user", "user_name": "Cool_User",
                                "broadcaster_user_id": "1337", "broadcaster_user_login": "cooler_user",
                                "broadcaster_user_name": "Cooler_User", "followed_at": iso(u1, ".17106713")}})
    u2 = T0 + 7400
    chat = {"subscription": sub("channel.chat.message", {"broadcaster_user_id": "1971641", "user_id": "2914196"}),
            "event": {"broadcaster_user_id": "1971641", "broadcaster_user_login": "streamer",
                      "broadcaster_user_name": "\u30b9\u30c8\u30ea\u30fc\u30de\u30fc", "chatter_user_id": "4145994",
                      "chatter_user_login": "viewer32", "chatter_user_name": "Vi\u00e9wer32",
                      "message_id": det_uuid("twitch-chat"),
                      "message": {"text": "GG \u00e0 tous \U0001F389 \u2615 \u043f\u0440\u0438\u0432\u0435\u0442",
                                  "fragments": [{"type": "text", "text": "GG \u00e0 tous \U0001F389 \u2615 \u043f\u0440\u0438\u0432\u0435\u0442",
                                                 "cheermote": None, "emote": None, "mention": None}]},
                      "color": "#00FF7F", "badges": [{"set_id": "subscriber", "id": "12", "info": "16"}],
                      "message_type": "text", "cheer": None, "reply": None, "channel_points_custom_reward_id": None}}
    u3 = T0 + 14600
    big = dict(chat)
    big["event"] = dict(chat["event"], message_id=det_uuid("twitch-chat-big"))
    frag = {"type": "text", "text": "", "cheermote": None, "emote": None, "mention": None}
    big["event"]["message"] = {"text": "", "fragments": [frag]}
    while len(compact(big)) < 1100:
        big["event"]["message"]["text"] += "Cha\u00eene \u00e9pique ! "
        frag["text"] = big["event"]["message"]["text"]
    u4 = T0 + 21800
    revoke = compact({"subscription": dict(sub("channel.follow", {"broadcaster_user_id": "12826"}),
                                           status="authorization_revoked")})
    u5 = T0 + 29000
    return "twitch", (
        "no Twitch signer: Python stdlib hmac over message id + timestamp + body (no separators), hex, behind "
        "'sha256=', as dev.twitch.tv/docs/eventsub/handling-webhook-events describes (timestamps RFC 3339 with "
        "nanoseconds); library_vector_helix is copied verbatim from nicklaw5/helix eventsub_test.go "
        "(TestVerifyEventSubNotification) and reproduced by this signer"
    ), [
        helix,
        mk("notification_follow_nanoseconds", [old], old, u1, ".634234626", "notification", "channel.follow", follow),
        mk("chat_message_unicode", [old], old, u2, ".000000001", "notification", "channel.chat.message", compact(chat)),
        mk("chat_message_1kib", [old], old, u3, ".5", "notification", "channel.chat.message", compact(big)),
        mk("revocation", [old], old, u4, ".999999999", "revocation", "channel.follow", revoke),
        mk("unicode_odd_whitespace", [old], old, u5 - 100, ".123456789", "notification", "channel.follow",
           odd_body(b'"subscription":{"type":"channel.follow"}')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, u5, ".010203040", "notification",
           "channel.follow", follow.replace(b"cool_user", b"other_user")),
    ]


# --------------------------------------------------------------------------- intercom

def intercom():
    def secret(label):  # the app's client_secret (a UUID).
        return det_uuid("intercom-secret-" + label)

    def mk(name, secrets, signer, at, body, nid):
        sig = "sha1=" + mac(hashlib.sha1, signer, body).hex()
        return case(name, secrets, at, [("X-Hub-Signature", sig)], body, nid)

    old, new = secret("old"), secret("new")
    app_id = "abcd1234"

    def note(nid, topic, at, item, attempts=1):
        return {"type": "notification_event", "app_id": app_id,
                "data": {"type": "notification_event_data", "item": item}, "links": {}, "id": nid,
                "topic": topic, "delivery_status": "pending", "delivery_attempts": attempts,
                "delivered_at": 0, "first_sent_at": at, "created_at": at, "self": None}

    contact = {"type": "contact", "id": "6526b5f3a1b2c3d4e5f60718", "role": "user", "external_id": "u-829",
               "email": "jose.nunez@example.com", "name": "Jos\u00e9 N\u00fa\u00f1ez \U0001F44B",
               "location": {"type": "location", "city": "S\u00e3o Paulo", "country": "Brasil"},
               "created_at": T0 + 300, "updated_at": T0 + 300}
    n1 = "notif_" + det_uuid("intercom-n1")
    conv = {"type": "conversation", "id": "1911149811", "created_at": T0 + 7000, "updated_at": T0 + 7500,
            "source": {"type": "conversation", "id": "403918330", "delivered_as": "customer_initiated",
                       "subject": "", "body": "", "author": {"type": "user", "id": "6526b5f3a1b2c3d4e5f60718",
                                                           "name": "Jos\u00e9 N\u00fa\u00f1ez"}},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
                {"type": "conversation_part", "id": "9921", "part_type": "comment",
                 "body": "", "author": {"type": "admin", "id": "814860", "name": "M\u00e4rta"}}],
                "total_count": 1}}
    while len(compact(note("notif_x", "conversation.admin.replied", 1, conv))) < 1150:
        conv["conversation_parts"]["conversation_parts"][0]["body"] += "<p>Ol\u00e1! Obrigado pela mensagem \u2014 j\u00e1 verifico.</p>"
        conv["source"]["body"] += "<p>Bom dia \u2600</p>"
    n2, n3, n4 = ("notif_" + det_uuid(f"intercom-{k}") for k in ("n2", "n3", "n4"))
    return "intercom", (
        "no Intercom signer: Python stdlib hmac.new(client_secret, body, sha1), hex, behind 'sha1=' in "
        "X-Hub-Signature, as developers.intercom.com (Webhooks > signed notifications) describes; bodies "
        "shaped after the notification_event envelope of the same docs"
    ), [
        mk("basic", [old], old, T0 + 300, compact(note(n1, "contact.user.created", T0 + 300, contact)), n1),
        mk("conversation_replied_1kib", [old], old, T0 + 7500,
           compact(note(n2, "conversation.admin.replied", T0 + 7500, conv)), n2),
        mk("second_delivery_attempt", [old], old, T0 + 14700,
           compact(note(n3, "contact.user.created", T0 + 14400, contact, attempts=2)), n3),
        mk("unicode_odd_whitespace", [old], old, T0 + 21900,
           odd_body(b'"type":"notification_event","id":"' + n4.encode() + b'"'), n4),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29100,
           compact(note(n1.replace("notif_", "notif_r"), "contact.user.created", T0 + 29100, contact)),
           n1.replace("notif_", "notif_r")),
    ]


# --------------------------------------------------------------------------- typeform

def typeform():
    def secret(label):  # docs: `ruby -rsecurerandom -e 'puts SecureRandom.hex(20)'`
        return det_hex("typeform-secret-" + label, 40)

    def mk(name, secrets, signer, at, body, eid):
        return case(name, secrets, at, [("Typeform-Signature", "sha256=" + b64(mac(hashlib.sha256, signer, body)))],
                    body, eid)

    old, new = secret("old"), secret("new")

    def resp(eid, at, answers, token):
        return {"event_id": eid, "event_type": "form_response", "form_response": {
            "form_id": "lT4Z3j", "token": token, "landed_at": iso(at - 95), "submitted_at": iso(at),
            "definition": {"id": "lT4Z3j", "title": "Enqu\u00eate de satisfaction \u2615",
                           "fields": [{"id": "DlXFaesGBpoF", "title": "Votre pr\u00e9nom ?", "type": "short_text",
                                       "ref": "first_name"},
                                      {"id": "JwWggjAKtOkA", "title": "Note", "type": "opinion_scale",
                                       "ref": "score"}]},
            "answers": answers}}

    def txt(v):
        return {"type": "text", "text": v, "field": {"id": "DlXFaesGBpoF", "type": "short_text", "ref": "first_name"}}

    score = {"type": "number", "number": 9, "field": {"id": "JwWggjAKtOkA", "type": "opinion_scale", "ref": "score"}}
    e1, e2, e3, e4, e5 = (det("typeform-e" + k, 26, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") for k in "12345")
    big = resp(e2, T0 + 7600, [txt(""), score], "tok-big")
    while len(compact(big)) < 1100:
        big["form_response"]["answers"][0]["text"] += "Tr\u00e8s bien, merci \U0001F64F. "
    return "typeform", (
        "no Typeform signer: Python stdlib hmac.new(secret, payload, sha256), base64, behind 'sha256=' in "
        "Typeform-Signature, as typeform.com/developers/webhooks/secure-your-webhooks describes; bodies shaped "
        "after the form_response payload reference"
    ), [
        mk("basic", [old], old, T0 + 400, compact(resp(e1, T0 + 400, [txt("Ana\u00efs"), score], "tok-1")), e1),
        mk("long_answer_1kib", [old], old, T0 + 7600, compact(big), e2),
        mk("emoji_and_cjk", [old], old, T0 + 14800,
           compact(resp(e3, T0 + 14800, [txt("\u5c0f\u6797 \U0001F338"), score], "tok-3")), e3),
        mk("unicode_odd_whitespace", [old], old, T0 + 22000,
           odd_body(b'"event_id":"' + e4.encode() + b'","event_type":"form_response"'), e4),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29200,
           compact(resp(e5, T0 + 29200, [txt("Bj\u00f6rk"), score], "tok-5")), e5),
    ]


# --------------------------------------------------------------------------- woocommerce

def woocommerce():
    # Woo's own generated secret: wp_generate_password(50, true, true), letters, digits and
    # !@#$%^&*()-_ []{}<>~`+=,.;:/?|
    chars = _B62 + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"

    def secret(label):
        return det("woo-secret-" + label, 50, chars)

    def mk(name, secrets, signer, at, topic, body, webhook_id="12"):
        resource, event = topic.split(".")
        return case(name, secrets, at, [
            ("User-Agent", "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"),
            ("X-WC-Webhook-Source", "https://shop.example.com/"),
            ("X-WC-Webhook-Topic", topic),
            ("X-WC-Webhook-Resource", resource),
            ("X-WC-Webhook-Event", event),
            ("X-WC-Webhook-Signature", b64(mac(hashlib.sha256, signer, body))),
            ("X-WC-Webhook-ID", webhook_id),
            ("X-WC-Webhook-Delivery-ID", det_hex(f"woo-delivery-{name}", 32)),
        ], body, None)

    old, new = secret("old"), secret("new")
    assert any(ch in old for ch in "&<>"), "the secret should carry HTML-special characters"
    order = {"id": 727, "parent_id": 0, "status": "processing", "currency": "EUR", "version": "9.4.2",
             "prices_include_tax": True, "date_created": "2025-11-24T17:05:00", "total": "42.50",
             "customer_id": 3, "order_key": "wc_order_8Ve3TQzSEl1Qx",
             "billing": {"first_name": "Ren\u00e9e", "last_name": "M\u00fcller", "city": "Z\u00fcrich",
                         "country": "CH", "email": "renee@example.com"},
             "payment_method_title": "Carte bancaire", "customer_note": "Merci ! \U0001F381",
             "line_items": [{"id": 315, "name": "Caf\u00e9 en grains \u2615 1 kg", "product_id": 93,
                             "quantity": 2, "total": "40.00", "sku": "CAFE-1KG"}],
             "_links": {"self": [{"href": "https://shop.example.com/wp-json/wc/v3/orders/727"}]}}
    big = dict(order, id=728, line_items=[])
    i = 0
    while len(php_json(big)) < 1150:
        i += 1
        big["line_items"].append({"id": 400 + i, "name": f"Th\u00e9 vert n\u00b0{i} \u2014 \u00e9dition limit\u00e9e",
                                  "product_id": 100 + i, "quantity": 1, "total": "9.90"})
    return "woocommerce", (
        "no WooCommerce signer outside PHP: Python stdlib base64(hmac(secret, body, sha256)) as "
        "WC_Webhook::generate_signature does (woocommerce includes/class-wc-webhook.php, read: the key is "
        "wp_specialchars_decode(secret) and the body trim(wp_json_encode(payload)), so '/' and non-ASCII "
        "arrive escaped); headers as WC_Webhook::deliver sets them"
    ), [
        mk("order_created_wp_json_encode", [old], old, T0 + 500, "order.created", php_json(order)),
        mk("order_updated_1kib", [old], old, T0 + 7700, "order.updated", php_json(big)),
        mk("product_deleted", [old], old, T0 + 14900, "product.deleted", b'{"id":93}'),
        mk("unescaped_unicode", [old], old, T0 + 22100, "order.created",
           compact(dict(order, id=729)).replace(b"/", b"\\/")),
        mk("unicode_odd_whitespace", [old], old, T0 + 25700, "action.woocommerce_payment_complete",
           odd_body(b'"action":"woocommerce_payment_complete","arg":727')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29300, "order.created",
           php_json(dict(order, id=730))),
    ]


# --------------------------------------------------------------------------- bitbucket

def bitbucket():
    def secret(label):  # the "Generate secret" button in the webhook form: 32 alphanumerics.
        return det("bitbucket-secret-" + label, 32)

    def mk(name, secrets, signer, at, event_key, body):
        return case(name, secrets, at, [
            ("User-Agent", "Bitbucket-Webhooks/2.0"),
            ("X-Event-Key", event_key),
            ("X-Hook-UUID", det_uuid("bitbucket-hook")),
            ("X-Request-UUID", det_uuid(f"bitbucket-request-{name}")),
            ("X-Attempt-Number", "1"),
            ("X-Hub-Signature", "sha256=" + mac(hashlib.sha256, signer, body).hex()),
        ], body, None)

    old, new = secret("old"), secret("new")
    actor = {"display_name": "Ma\u00eblle Dupr\u00e9", "uuid": "{" + det_uuid("bb-actor") + "}",
             "account_id": "557058:" + det_uuid("bb-acct"), "nickname": "maelle", "type": "user"}
    repo = {"type": "repository", "full_name": "acme/caf\u00e9-api", "name": "caf\u00e9-api",
            "uuid": "{" + det_uuid("bb-repo") + "}", "is_private": True,
            "links": {"html": {"href": "https://bitbucket.org/acme/cafe-api"}}}

    def push(msg, n):
        return {"push": {"changes": [{"new": {"type": "branch", "name": "main", "target": {
            "type": "commit", "hash": det_hex(f"bb-commit-{n}", 40), "message": msg,
            "author": {"type": "author", "raw": "Ma\u00eblle Dupr\u00e9 <maelle@example.com>"},
            "date": iso(T0 + n)}}, "old": None, "created": False, "forced": False, "closed": False,
            "truncated": False, "commits": []}]}, "repository": repo, "actor": actor}

    big = push("", 2)
    while len(compact(big)) < 1150:
        big["push"]["changes"][0]["new"]["target"]["message"] += "Corrige l'encodage des \u00e9l\u00e9ments \u2014 \u00e7a marche. "
    pr = {"pullrequest": {"id": 42, "title": "\u2728 Ajoute le r\u00e9sum\u00e9 en fran\u00e7ais",
                          "state": "OPEN", "author": actor, "source": {"branch": {"name": "feat/r\u00e9sum\u00e9"}},
                          "destination": {"branch": {"name": "main"}}, "created_on": iso(T0 + 15000, ".123456+00:00")[:-1]},
          "repository": repo, "actor": actor}
    return "bitbucket", (
        "no Bitbucket signer: Python stdlib hmac(secret, body, sha256), hex, behind 'sha256=' in X-Hub-Signature "
        "(the GitHub-style name carries SHA-256 here), as bitbucket.org/blog/enhanced-webhook-security and "
        "support.atlassian.com (Manage webhooks > Secure webhooks) describe; headers and bodies after the "
        "event-payload reference"
    ), [
        mk("repo_push", [old], old, T0 + 600, "repo:push", compact(push("Fix d\u00e9j\u00e0 vu \U0001F41B", 1))),
        mk("repo_push_1kib", [old], old, T0 + 7800, "repo:push", compact(big)),
        mk("pullrequest_created", [old], old, T0 + 15000, "pullrequest:created", compact(pr)),
        mk("unicode_odd_whitespace", [old], old, T0 + 22200, "repo:push", odd_body(b'"push":{"changes":[]}')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29400, "repo:push",
           compact(push("Release 1.0 \U0001F680", 3))),
    ]


# --------------------------------------------------------------------------- calendly

def calendly():
    def secret(label):  # webhook signing key: 43 URL-safe characters (32 bytes base64url, unpadded).
        return base64.urlsafe_b64encode(hashlib.sha256(f"calendly-secret-{label}".encode()).digest()).decode().rstrip("=")

    def mk(name, secrets, signer, t, body):
        sig = f"t={t},v1=" + mac(hashlib.sha256, signer, f"{t}.".encode(), body).hex()
        return case(name, secrets, t, [("Calendly-Webhook-Signature", sig)], body, None)

    old, new = secret("old"), secret("new")
    org = "https://api.calendly.com/organizations/AAAAAAAAAAAAAAAA"

    def invitee(event, t, name, extra=None):
        p = {"uri": f"https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/{det('cal-inv-' + name, 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}",
             "email": "invitee@example.com", "name": name, "status": "active" if event == "invitee.created" else "canceled",
             "timezone": "America/Sao_Paulo", "event": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2",
             "created_at": iso(t, ".000000"), "updated_at": iso(t, ".000000"), "rescheduled": False,
             "questions_and_answers": [{"question": "Sujet ?", "answer": "D\u00e9mo produit \u2615", "position": 0}],
             "tracking": {"utm_campaign": None, "utm_source": None}}
        if extra:
            p.update(extra)
        return {"created_at": iso(t, ".000000"), "created_by": "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
                "event": event, "payload": p}

    big = invitee("invitee.created", T0 + 7900, "Fran\u00e7oise L\u00e9gar\u00e9")
    while len(compact(big)) < 1150:
        big["payload"]["questions_and_answers"][0]["answer"] += " Pr\u00e9sentation d\u00e9taill\u00e9e \U0001F4C5."
    return "calendly", (
        "no Calendly signer: Python stdlib hmac over '{t}.{body}', hex, in 't=..,v1=..', as "
        "developer.calendly.com/api-docs/overview/webhooks/webhook-signatures describes; bodies after the "
        "invitee.created / invitee.canceled payload reference"
    ), [
        mk("invitee_created", [old], old, T0 + 700, compact(invitee("invitee.created", T0 + 700, "Jos\u00e9 N\u00fa\u00f1ez"))),
        mk("invitee_created_1kib", [old], old, T0 + 7900, compact(big)),
        mk("invitee_canceled", [old], old, T0 + 15100, compact(invitee(
            "invitee.canceled", T0 + 15100, "\u674e\u96f7",
            {"cancellation": {"canceled_by": "\u674e\u96f7", "reason": "Conflit d'agenda \U0001F625",
                              "canceler_type": "invitee"}}))),
        mk("unicode_odd_whitespace", [old], old, T0 + 22300, odd_body(b'"event":"invitee.created"')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29500,
           compact(invitee("invitee.created", T0 + 29500, "\u00c5sa Lindstr\u00f6m"))),
    ]


# --------------------------------------------------------------------------- xero

def xero():
    def secret(label):  # the Webhooks key: 88 characters that look like base64 (used as text, never decoded).
        return b64(hashlib.sha512(f"xero-secret-{label}".encode()).digest())

    def mk(name, secrets, signer, at, body):
        return case(name, secrets, at, [("x-xero-signature", b64(mac(hashlib.sha256, signer, body)))], body, None)

    old, new = secret("old"), secret("new")
    assert len(old) == 88 and old.endswith("==")
    tenant = det_uuid("xero-tenant")

    def ev(cat, typ, rid, t):
        return {"resourceUrl": f"https://api.xero.com/api.xro/2.0/{cat.capitalize()}s/{rid}", "resourceId": rid,
                "eventDateUtc": iso(t, ".117")[:-1], "eventType": typ, "eventCategory": cat,
                "tenantId": tenant, "tenantType": "ORGANISATION"}

    def batch(events, first, entropy):
        return {"events": events, "firstEventSequence": first, "lastEventSequence": first + max(len(events), 1) - 1,
                "entropy": entropy}

    itr = (b'{"events":[],"firstEventSequence": 0,"lastEventSequence": 0,"entropy": "'
           + det("xero-entropy-itr", 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ").encode() + b'"}')
    many = [ev("INVOICE", "UPDATE", det_uuid(f"xero-inv-{i}"), T0 + 7000 + i) for i in range(4)]
    return "xero", (
        "no Xero signer (the SDKs ship none): Python stdlib base64(hmac(webhooks key, body, sha256)) in "
        "x-xero-signature, as developer.xero.com/documentation/guides/webhooks describes; the key is used as "
        "text although it looks like base64; intent_to_receive has the docs' payload shape"
    ), [
        mk("intent_to_receive", [old], old, T0 + 800, itr),
        mk("invoice_update", [old], old, T0 + 1000,
           compact(batch([ev("INVOICE", "UPDATE", det_uuid("xero-inv"), T0 + 990)], 5, det("xero-e1", 20)))),
        mk("four_events_1kib", [old], old, T0 + 8000, compact(batch(many, 6, det("xero-e2", 20)))),
        mk("unicode_odd_whitespace", [old], old, T0 + 22400, odd_body(b'"events":[]')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29600,
           compact(batch([ev("CONTACT", "CREATE", det_uuid("xero-contact"), T0 + 29590)], 10, det("xero-e3", 20)))),
    ]


# --------------------------------------------------------------------------- pagerduty

def pagerduty():
    def secret(label):  # subscription secret: 64 characters of base64 (as in go-pagerduty's tests).
        return b64(hashlib.sha512(f"pd-secret-{label}".encode()).digest())[:64]

    def sig(sec, body):
        return "v1=" + mac(hashlib.sha256, sec, body).hex()

    def mk(name, secrets, signers, at, body, eid):
        return case(name, secrets, at, [("X-PagerDuty-Signature", ",".join(sig(s, body) for s in signers))],
                    body, eid)

    # go-pagerduty webhookv3/webhookv3_test.go TestVerifySignature "valid", verbatim.
    gp_secret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK"
    gp_body = (b'{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}')
    gp_sig = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"
    assert sig(gp_secret, gp_body) == gp_sig, "go-pagerduty known answer"
    gp = case("library_vector_go_pagerduty", [gp_secret], T0 + 900, [("X-PagerDuty-Signature", gp_sig)],
              gp_body, "01BWDWL3NYY7LUFPZCC28QUCMK")

    old, new = secret("old"), secret("new")
    user = lambda s: {"html_url": "https://acme.pagerduty.com/users/PLH1HKV", "id": "PLH1HKV",
                      "self": "https://api.pagerduty.com/users/PLH1HKV", "summary": s, "type": "user_reference"}
    inc = {"id": "PGR0VU2", "type": "incident_reference", "self": "https://api.pagerduty.com/incidents/PGR0VU2",
           "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2", "summary": "A little bump in the road"}

    def event(eid, etype, t, data, agent="Tenex Engineer"):
        return {"event": {"id": eid, "event_type": etype, "resource_type": "incident",
                          "occurred_at": iso(t, ".169"), "agent": user(agent), "client": {"name": "PagerDuty"},
                          "data": data}}

    # The docs' own incident.priority_updated example payload (01-Overview.md), as pretty JSON.
    docs_payload = json.dumps(event("5ac64822-4adc-4fda-ade0-410becf0de4f", "incident.priority_updated", T0 + 1100, {
        "id": "PGR0VU2", "type": "incident", "self": "https://api.pagerduty.com/incidents/PGR0VU2",
        "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2", "number": 2, "status": "triggered",
        "incident_key": "d3640fbd41094207a1c11e58e46b1662", "created_at": "2020-04-09T15:16:27Z",
        "title": "A little bump in the road", "urgency": "high",
        "priority": {"html_url": "https://acme.pagerduty.com/account/incident_priorities", "id": "PSO75BM",
                     "self": "https://api.pagerduty.com/priorities/PSO75BM", "summary": "P1",
                     "type": "priority_reference"},
        "conference_bridge": {"conference_number": "+1 1234123412,,987654321#", "conference_url": "https://example.com"},
        "resolve_reason": None}), indent=2, ensure_ascii=False).encode()
    note = lambda eid, t, text: compact(event(eid, "incident.annotated", t, {
        "incident": inc, "id": "P2LA89X", "content": text, "trimmed": False, "type": "incident_note"},
        agent="J\u00fcrgen Sch\u00f6n"))
    big_text = ""
    while len(note("x", T0, big_text)) < 1150:
        big_text += "Red\u00e9marrage du service \u2014 cause : m\u00e9moire satur\u00e9e \U0001F525. "
    ids = [det("pd-ev-" + k, 26, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") for k in "12345"]
    return "pagerduty", (
        "no PagerDuty signer: Python stdlib hmac(secret, body, sha256), hex, 'v1=' entries joined by ',' (one per "
        "active secret), as PagerDuty/developer-docs docs/webhooks/04-Signatures.md describes; "
        "library_vector_go_pagerduty is copied verbatim from PagerDuty/go-pagerduty webhookv3/webhookv3_test.go "
        "and reproduced by this signer; payloads after docs/webhooks/01-Overview.md"
    ), [
        gp,
        mk("docs_payload_pretty", [old], [old], T0 + 1100, docs_payload, "5ac64822-4adc-4fda-ade0-410becf0de4f"),
        mk("incident_annotated_unicode", [old], [old], T0 + 8100,
           note(ids[0], T0 + 8100, "Red\u00e9marr\u00e9 \u2705 \u2014 \u5bfe\u5fdc\u6e08\u307f"), ids[0]),
        mk("incident_annotated_1kib", [old], [old], T0 + 15300, note(ids[1], T0 + 15300, big_text), ids[1]),
        mk("unicode_odd_whitespace", [old], [old], T0 + 22500,
           odd_body(b'"event":{"id":"' + ids[2].encode() + b'"}'), ids[2]),
        mk("rotation_two_v1_route_old_new", [old, new], [new, old], T0 + 29700,
           note(ids[3], T0 + 29700, "Rotation \U0001F511"), ids[3]),
        mk("rotation_two_v1_route_new_only", [new], [old, new], T0 + 33300,
           note(ids[4], T0 + 33300, "Nouvelle cl\u00e9"), ids[4]),
    ]


# --------------------------------------------------------------------------- sentry

def sentry():
    def secret(label):  # the integration's Client Secret: 64 hex characters.
        return det_hex("sentry-secret-" + label, 64)

    def mk(name, secrets, signer, at, resource, body):
        return case(name, secrets, at, [
            ("Request-ID", det_uuid(f"sentry-req-{name}")),
            ("Sentry-Hook-Resource", resource),
            ("Sentry-Hook-Timestamp", str(at)),
            ("Sentry-Hook-Signature", mac(hashlib.sha256, signer, body).hex()),
        ], body, None)

    old, new = secret("old"), secret("new")
    inst = {"uuid": det_uuid("sentry-inst")}
    actor = {"type": "user", "id": 1, "name": "Ren\u00e9e M\u00fcller"}

    def issue(action, title, t, iid):
        return {"action": action, "installation": inst, "actor": actor, "data": {"issue": {
            "id": iid, "shortId": "CAFE-API-1Z", "title": title, "culprit": "app/views.py in r\u00e9sum\u00e9",
            "level": "error", "status": "unresolved", "platform": "python",
            "project": {"id": "2", "name": "caf\u00e9-api", "slug": "cafe-api", "platform": "python"},
            "firstSeen": iso(t - 60, ".123456"), "lastSeen": iso(t, ".123456"), "count": "1",
            "web_url": f"https://acme.sentry.io/issues/{iid}/"}}}

    err = {"action": "created", "installation": inst, "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
           "data": {"error": {"event_id": det_hex("sentry-event", 32), "title": "UnicodeDecodeError: '\u00e9'",
                              "message": "", "level": "error", "platform": "python",
                              "datetime": iso(T0 + 8200, ".000000"),
                              "exception": {"values": [{"type": "UnicodeDecodeError", "value": "",
                                                        "stacktrace": {"frames": [{"filename": "app/r\u00e9sum\u00e9.py",
                                                                                   "function": "lire", "lineno": 42}]}}]},
                              "web_url": "https://acme.sentry.io/issues/4711/events/abc/"}}}
    while len(compact(err)) < 1150:
        err["data"]["error"]["message"] += "Impossible de d\u00e9coder l'octet \u00e0 la position 3 \u2014 "
    err["data"]["error"]["exception"]["values"][0]["value"] = err["data"]["error"]["message"][:80]
    return "sentry", (
        "no Sentry signer: Python stdlib hmac(client secret, body, sha256), hex, in Sentry-Hook-Signature, as "
        "docs.sentry.io/integrations/integration-platform/webhooks describes (Sentry-Hook-Timestamp and "
        "Request-ID ride along unsigned); bodies compact, as Sentry serialises them"
    ), [
        mk("issue_created", [old], old, T0 + 1200, "issue",
           compact(issue("created", "TypeError: 'NoneType' \u2014 caf\u00e9 \u2615", T0 + 1200, "4711"))),
        mk("error_created_1kib", [old], old, T0 + 8200, "error", compact(err)),
        mk("installation_created", [old], old, T0 + 15400, "installation", compact({
            "action": "created", "actor": actor, "data": {"installation": {
                "app": {"uuid": det_uuid("sentry-app"), "slug": "hookgate-test"},
                "organization": {"slug": "acme"}, "uuid": inst["uuid"], "status": "installed",
                "code": det_hex("sentry-code", 32)}}, "installation": inst})),
        mk("unicode_odd_whitespace", [old], old, T0 + 22600, "issue", odd_body(b'"action":"resolved"')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29800, "issue",
           compact(issue("resolved", "KeyError: '\u00fcber'", T0 + 29800, "4712"))),
    ]


# --------------------------------------------------------------------------- vercel

def vercel():
    def secret(label):  # the webhook's secret (or the integration's Client Secret): 24 alphanumerics.
        return det("vercel-secret-" + label, 24)

    def mk(name, secrets, signer, at, body, eid):
        return case(name, secrets, at, [("x-vercel-signature", mac(hashlib.sha1, signer, body).hex())], body, eid)

    old, new = secret("old"), secret("new")

    def dep(eid, etype, t, msg, extra=None):
        d = {"id": eid, "type": etype, "createdAt": t * 1000 + 321, "region": "cdg1",
             "payload": {"team": {"id": "team_" + det("vc-team", 24)}, "user": {"id": det("vc-user", 24)},
                         "deployment": {"id": "dpl_" + det("vc-dpl-" + eid, 28),
                                        "meta": {"githubCommitMessage": msg, "githubCommitAuthorName": "Ch\u00e9rie Lef\u00e8vre"},
                                        "url": "cafe-api-abc123.vercel.app", "name": "caf\u00e9-api"},
                         "links": {"deployment": "https://vercel.com/acme/cafe-api/abc123",
                                   "project": "https://vercel.com/acme/cafe-api"},
                         "target": "production", "project": {"id": "prj_" + det("vc-prj", 28)}, "plan": "pro",
                         "regions": ["cdg1"]}}
        if extra:
            d["payload"].update(extra)
        return d

    ids = ["uev_" + det("vc-ev-" + k, 24) for k in "12345"]
    big = dep(ids[1], "deployment.succeeded", T0 + 8300, "")
    while len(compact(big)) < 1150:
        big["payload"]["deployment"]["meta"]["githubCommitMessage"] += "Am\u00e9liore le cache \u26a1 et corrige l'accent. "
    return "vercel", (
        "no Vercel signer: Python stdlib hmac(secret, body, sha1), hex, in x-vercel-signature, as "
        "vercel.com/docs/webhooks (Securing webhooks) describes; bodies after the deployment event reference"
    ), [
        mk("deployment_created", [old], old, T0 + 1300,
           compact(dep(ids[0], "deployment.created", T0 + 1300, "R\u00e9pare le d\u00e9ploiement \U0001F680")), ids[0]),
        mk("deployment_succeeded_1kib", [old], old, T0 + 8300, compact(big), ids[1]),
        mk("deployment_error_cjk", [old], old, T0 + 15500,
           compact(dep(ids[2], "deployment.error", T0 + 15500, "\u4fee\u6b63: \u30d3\u30eb\u30c9\u30a8\u30e9\u30fc")), ids[2]),
        mk("unicode_odd_whitespace", [old], old, T0 + 22700,
           odd_body(b'"id":"' + ids[3].encode() + b'","type":"deployment.created"'), ids[3]),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29900,
           compact(dep(ids[4], "deployment.created", T0 + 29900, "Rotation de la cl\u00e9 \U0001F511")), ids[4]),
    ]


# --------------------------------------------------------------------------- jira

def jira():
    def secret(label):  # the admin webhook's secret (Jira generates one, or you paste your own).
        return det("jira-secret-" + label, 40, _B62 + "-_")

    def mk(name, secrets, signer, at, body):
        return case(name, secrets, at, [
            ("X-Atlassian-Webhook-Identifier", str(100000 + at % 100000)),
            ("X-Hub-Signature", "sha256=" + mac(hashlib.sha256, signer, body).hex()),
        ], body, None)

    old, new = secret("old"), secret("new")
    user = {"self": "https://acme.atlassian.net/rest/api/2/user?accountId=5b10ac8d82e05b22cc7d4ef5",
            "accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "\u00c9lodie Fran\u00e7ois",
            "active": True, "timeZone": "Europe/Paris", "accountType": "atlassian"}

    def issue_ev(event, t, key, summary, desc=""):
        return {"timestamp": t * 1000 + 88, "webhookEvent": event,
                "issue_event_type_name": event.split(":")[1], "user": user,
                "issue": {"id": "10042", "self": "https://acme.atlassian.net/rest/api/2/10042", "key": key,
                          "fields": {"summary": summary, "description": desc,
                                     "issuetype": {"name": "Bug"}, "project": {"key": "CAFE", "name": "Caf\u00e9"},
                                     "priority": {"name": "High"}, "status": {"name": "\u00c0 faire"},
                                     "created": iso(t, ".000+0000")[:-1]}}}

    big = issue_ev("jira:issue_updated", T0 + 8400, "CAFE-7", "Le r\u00e9sum\u00e9 s'affiche mal")
    while len(compact(big)) < 1150:
        big["issue"]["fields"]["description"] += "\u00c9tapes : ouvrir la page, v\u00e9rifier les accents \u2014 \u00e9chec. "
    comment = {"timestamp": (T0 + 15600) * 1000, "webhookEvent": "comment_created",
               "comment": {"id": "10100", "author": user, "body": "Corrig\u00e9 dans la 1.2 \u2705",
                           "created": iso(T0 + 15600, ".000+0000")[:-1]},
               "issue": {"id": "10042", "key": "CAFE-7", "fields": {"summary": "Le r\u00e9sum\u00e9 s'affiche mal"}}}
    return "jira", (
        "no Jira signer: Python stdlib hmac(secret, body, sha256), hex, behind 'sha256=' in X-Hub-Signature "
        "(WebSub 'method=signature'), as developer.atlassian.com/cloud/jira/platform/webhooks (Secure admin "
        "webhooks) describes; X-Atlassian-Webhook-Identifier rides along unsigned"
    ), [
        mk("issue_created", [old], old, T0 + 1400,
           compact(issue_ev("jira:issue_created", T0 + 1400, "CAFE-6", "Caf\u00e9 froid \u2615 \u2014 urgent"))),
        mk("issue_updated_1kib", [old], old, T0 + 8400, compact(big)),
        mk("comment_created", [old], old, T0 + 15600, compact(comment)),
        mk("unicode_odd_whitespace", [old], old, T0 + 22800, odd_body(b'"webhookEvent":"jira:issue_created"')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 30000,
           compact(issue_ev("jira:issue_created", T0 + 30000, "CAFE-8", "\u65b0\u3057\u3044\u30d0\u30b0"))),
    ]


# --------------------------------------------------------------------------- asana

def asana():
    def secret(label):  # the X-Hook-Secret of the creation handshake: 32 hex characters.
        return det_hex("asana-secret-" + label, 32)

    def mk(name, secrets, signer, at, body):
        return case(name, secrets, at, [("X-Hook-Signature", mac(hashlib.sha256, signer, body).hex())], body, None)

    old, new = secret("old"), secret("new")

    def ev(action, t, gid, field=None):
        e = {"user": {"gid": "1201", "resource_type": "user"}, "created_at": iso(t, ".123"),
             "action": action, "resource": {"gid": gid, "resource_type": "task", "resource_subtype": "default_task"},
             "parent": {"gid": "1331", "resource_type": "project"}}
        if field:
            e["change"] = {"field": field, "action": "changed"}
        return e

    many = {"events": [ev("changed", T0 + 8500 + i, str(1400 + i), "name") for i in range(4)]}
    story = {"events": [{"user": {"gid": "1201", "resource_type": "user"}, "created_at": iso(T0 + 15700, ".500"),
                         "action": "added", "resource": {"gid": "1500", "resource_type": "story",
                                                         "resource_subtype": "comment_added",
                                                         "text": "Voil\u00e0 \u2014 c'est fait \u2705 \u4e86\u89e3"},
                         "parent": {"gid": "1400", "resource_type": "task"}}]}
    return "asana", (
        "no Asana signer: Python stdlib hmac(X-Hook-Secret, body, sha256), hex, in X-Hook-Signature, as "
        "developers.asana.com/docs/webhooks-guide describes; bodies after its event reference (the creation "
        "handshake, a POST with X-Hook-Secret and no signature, is not replayed: see the README)"
    ), [
        mk("task_changed", [old], old, T0 + 1500, compact({"events": [ev("changed", T0 + 1500, "1400", "due_on")]})),
        mk("four_events_1kib", [old], old, T0 + 8500, compact(many)),
        mk("story_added_unicode", [old], old, T0 + 15700, compact(story)),
        mk("heartbeat", [old], old, T0 + 22900, b'{"events":[]}'),
        mk("unicode_odd_whitespace", [old], old, T0 + 26500, odd_body(b'"events":[]')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 30100,
           compact({"events": [ev("added", T0 + 30100, "1401")]})),
    ]


# --------------------------------------------------------------------------- dropbox

def dropbox():
    def secret(label):  # the app secret: 15 lowercase alphanumerics.
        return det("dropbox-secret-" + label, 15, "abcdefghijklmnopqrstuvwxyz0123456789")

    def mk(name, secrets, signer, at, body):
        return case(name, secrets, at, [("X-Dropbox-Signature", mac(hashlib.sha256, signer, body).hex())], body, None)

    # hapi-dropbox-webhooks@1.1.0 test/index.js, verbatim.
    hapi_body = b'{"delta": {"users": [12345]}}'
    hapi_sig = "0a8c16b085420b960dc78664279fe09e936a2a01b1f91064869d9e77dfd64529"
    assert mac(hashlib.sha256, "the_secret", hapi_body).hex() == hapi_sig, "hapi-dropbox-webhooks known answer"
    hapi = case("library_vector_hapi_dropbox_webhooks", ["the_secret"], T0 + 1600,
                [("X-Dropbox-Signature", hapi_sig)], hapi_body, None)

    old, new = secret("old"), secret("new")
    accounts = ["dbid:" + det(f"dbx-acct-{i}", 33, _B62 + "-_") for i in range(3)]
    # The shape of the docs' example notification (spaces after ':' and ',').
    docs_shape = spaced({"list_folder": {"accounts": accounts[:2]}, "delta": {"users": [12345678, 23456789]}})
    many = spaced({"list_folder": {"accounts": [("dbid:" + det(f"dbx-many-{i}", 33, _B62 + "-_")) for i in range(24)]},
                   "delta": {"users": list(range(10000001, 10000025))}})
    assert len(many) > 1000
    return "dropbox", (
        "no Dropbox signer: Python stdlib hmac(app secret, body, sha256), hex, in X-Dropbox-Signature, as "
        "dropbox.com/developers/reference/webhooks describes; library_vector_hapi_dropbox_webhooks is copied "
        "verbatim from npm hapi-dropbox-webhooks@1.1.0 test/index.js and reproduced by this signer; Dropbox "
        "bodies are ASCII, so non-ASCII appears only in unicode_odd_whitespace"
    ), [
        hapi,
        mk("notification_docs_shape", [old], old, T0 + 1700, docs_shape),
        mk("notification_24_accounts_1kib", [old], old, T0 + 8600, many),
        mk("unicode_odd_whitespace", [old], old, T0 + 23000, odd_body(b'"delta":{"users":[1]}')),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 30200,
           spaced({"list_folder": {"accounts": [accounts[2]]}, "delta": {"users": [34567890]}})),
    ]


# --------------------------------------------------------------------------- checks

PROVIDERS = [zoom, twitch, intercom, typeform, woocommerce, bitbucket, calendly, xero, pagerduty, sentry,
             vercel, jira, asana, dropbox]


def check(provider, cases):
    verify = VERIFIERS[provider]
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), f"{provider}: duplicate case names"
    for c in cases:
        label = f"{provider}/{c['name']}"
        ok = [verify(c, s) for s in c["secrets"]]
        assert any(ok), f"{label}: no route secret verifies"
        if "signed_by_new" in c["name"]:
            assert ok == [False, True], f"{label}: {ok}"
        if "route_new_only" in c["name"]:
            assert c["secrets"] and all(ok), f"{label}"
        assert not verify(c, WRONG), f"{label}: a wrong secret verifies"
        body = body_of(c)
        flipped = bytearray(body)
        flipped[len(body) // 2] ^= 1
        assert not verify(dict(c, body_b64=b64(bytes(flipped))), c["secrets"][ok.index(True)]), f"{label}: tamper"
        assert not any(k.lower() == "content-type" for k, _ in c["headers"]), label
        # event_id: what a dedup key yields (a signed id), or None where hookgate dedups on the body hash.
        if provider == "twitch":
            assert c["event_id"] == hdr(c, "Twitch-Eventsub-Message-Id"), label
            ts = hdr(c, "Twitch-Eventsub-Message-Timestamp")
            assert int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() // 1) == c["signed_at"], label
        elif provider in ("intercom", "vercel"):
            assert c["event_id"] == json.loads(body)["id"], label
        elif provider == "typeform":
            assert c["event_id"] == json.loads(body)["event_id"], label
        elif provider == "pagerduty":
            assert c["event_id"] == json.loads(body)["event"]["id"], label
        else:
            assert c["event_id"] is None, label
        if provider == "zoom":
            assert int(hdr(c, "x-zm-request-timestamp")) == c["signed_at"], label
        if provider == "calendly":
            assert hdr(c, "Calendly-Webhook-Signature").startswith(f"t={c['signed_at']},"), label
        if "1kib" in c["name"]:
            assert 1000 <= len(body) <= 1400, f"{label}: {len(body)} bytes"
        if "unicode" in c["name"] and provider != "woocommerce":
            assert any(b >= 0x80 for b in body), f"{label}: no raw non-ASCII"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_docs.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for build in PROVIDERS:
        provider, generator, cases = build()
        check(provider, cases)
        write_fixture(out, provider, provider, generator, cases)
    print(f"gen_docs: wrote {len(PROVIDERS)} files", file=sys.stderr)


if __name__ == "__main__":
    main()
