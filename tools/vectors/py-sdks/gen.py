#!/usr/bin/env python3
"""Generate slack.json, paddle.json, twilio.json and airtable.json with the providers' own SDKs.

Run through tools/vectors/generate.sh (it builds the pinned venv from requirements.txt next to
this file).  Usage: gen.py OUT_DIR

Every signature comes from the SDK's signing function where it has one (Slack
`SignatureVerifier.generate_signature`, Twilio `RequestValidator.compute_signature`, Paddle
`PaddleSignature.calculate_hmac`; Airtable has no signer, so the HMAC its docs describe).
Every case is then verified with the SDK's own verifier at a frozen clock (Slack, Paddle), with
every secret of the route (it must pass iff that secret signed it) and with a wrong secret
(must fail).  Finally every written file is read back and re-derived with the stdlib alone,
the way hookgate's preset reads the request.  Nothing here reads the current time.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import urllib.parse
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # fixtures.py
from fixtures import b64, case, compact, det_bytes, header, pretty  # noqa: E402
from fixtures import write as write_fixture  # noqa: E402


def write(out_dir, provider, generator, cases):
    path = write_fixture(out_dir, provider, provider, generator, cases)
    print(f"py-sdks/gen.py: wrote {path} ({len(cases)} cases)")

PINS = {
    "slack_sdk": "3.48.0",
    "paddle-python-sdk": "1.16.1",
    "twilio": "9.13.0",
    "pyairtable": "3.5.1",
}
for _pkg, _want in PINS.items():
    _have = version(_pkg)
    if _have != _want:
        sys.exit(f"py-sdks/gen.py: {_pkg}=={_have} installed, expected {_want} (run generate.sh)")

os.environ.pop("TEST_MODE", None)  # paddle's Verifier skips the time check when it is set

from paddle_billing.Notifications import PaddleSignature, Secret as PaddleSecret, Verifier  # noqa: E402
from pyairtable.models.webhook import WebhookNotification  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402
from twilio.request_validator import (  # noqa: E402
    HMAC_SHA1,
    HMAC_SHA256,
    RequestValidator,
    get_signature_algorithm,
)

# The module (the package re-exports the class under the same name): its `time` is patched
# to freeze the verifier's clock.
paddle_verifier_mod = sys.modules["paddle_billing.Notifications.Verifier"]

FORM = "application/x-www-form-urlencoded"


# --------------------------------------------------------------------------- helpers

def det_chars(label: str, n: int, alphabet: str) -> str:
    return "".join(alphabet[b % len(alphabet)] for b in det_bytes(label, n))


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ULID = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case (Paddle ids)


def det_b62(label: str, n: int) -> str:
    return det_chars(label, n, B62)


def det_hex(label: str, n: int) -> str:
    return det_bytes(label, (n + 1) // 2).hex()[:n]


# Body with raw multi-byte UTF-8 *and* JSON \u escapes of the same characters (as literal
# backslash text), tabs, CRLF, spaces around ':' and a trailing newline: any re-serialisation
# or normalisation breaks the signature.
def odd_json(fields: list) -> bytes:
    lines = ["{"]
    for i, (k, raw_value) in enumerate(fields):
        sep = "," if i < len(fields) - 1 else ""
        lines.append(f'\t"{k}" :\t{raw_value}{sep}  ')
    lines.append("}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


UNICODE_TEXT = '"caf\\u00e9 \\u2615 \\ud83c\\udf89 vs raw: café ☕ 🎉 — Zoë"'


# --------------------------------------------------------------------------- Slack

SLACK_GENERATOR = (
    "PyPI slack_sdk==3.48.0 slack_sdk.signature.SignatureVerifier.generate_signature; "
    "cross-checked with SignatureVerifier.is_valid_request at a frozen clock"
)


def slack_secret(label):
    return det_hex("slack-signing-secret-" + label, 32)  # app signing secrets: 32 hex


class FixedClock:
    def __init__(self, t):
        self.t = t

    def now(self):
        return float(self.t)


def slack_sign(secret, ts, body: bytes) -> str:
    return SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)


def slack_check(c):
    body = base64.b64decode(c["body_b64"])
    headers = dict(c["headers"])
    ts = c["signed_at"]
    signer = c["_signer"]
    for s in c["secrets"]:
        ok = SignatureVerifier(s, clock=FixedClock(ts)).is_valid_request(body, headers)
        assert ok == (s == signer), (c["name"], s)
    v = lambda t: SignatureVerifier(signer, clock=FixedClock(t)).is_valid_request(body, headers)  # noqa: E731
    assert v(ts + 300) and v(ts - 300), c["name"]
    assert not v(ts + 301) and not v(ts - 301), c["name"]
    assert not SignatureVerifier("wrong-but-plausible-secret", clock=FixedClock(ts)) \
        .is_valid_request(body, headers)
    assert not SignatureVerifier(signer, clock=FixedClock(ts)).is_valid_request(body + b" ", headers)


def slack_cases():
    sec = slack_secret("main")
    old, new = slack_secret("old"), slack_secret("new")
    team, app, user, chan = "T0ABC12DEF", "A0KRD7HC3", "U061F7AUR", "C061EG9SL"
    cases = []

    def add(name, secrets, signer, ts, body, event_id, extra=(), content_type=None):
        sig = slack_sign(signer, ts, body)
        headers = [
            ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)"),
            ("X-Slack-Request-Timestamp", str(ts)),
            ("X-Slack-Signature", sig),
            *extra,
        ]
        c = case(name, secrets, ts, headers, body, event_id, content_type=content_type)
        c["_signer"] = signer
        cases.append(c)

    def event(ev_id, ts, ev):
        return {
            "token": "XXYYZZ" + det_b62("slack-verification-token", 18),
            "team_id": team,
            "context_team_id": team,
            "api_app_id": app,
            "event": ev,
            "type": "event_callback",
            "event_id": ev_id,
            "event_time": ts - 1,
            "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": "U0BOTUSER1",
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
            "event_context": "4-" + det_b62("slack-ctx-" + ev_id, 40),
        }

    # 1. Events API message (compact JSON, as Slack sends it).
    ts = 1764000000
    add("event_callback_message", [sec], sec, ts, compact(event("Ev0A1B2C3D4E", ts, {
        "type": "message", "channel": chan, "user": user, "text": "Deploy finished :rocket:",
        "ts": f"{ts - 1}.000200", "event_ts": f"{ts - 1}.000200", "channel_type": "channel",
        "client_msg_id": "5f3d9b0e-6c1a-4e7b-9d2f-8a1c3b5e7d90",
    })), "Ev0A1B2C3D4E")
    # 2. The endpoint check: signed like every request; no event_id, so the body hash.
    ts = 1764000600
    body = compact({"token": "XXYYZZ" + det_b62("slack-verification-token", 18),
                    "challenge": det_b62("slack-challenge", 52), "type": "url_verification"})
    add("url_verification", [sec], sec, ts, body, None)
    # 3. Slash command: form-encoded body, signed as raw bytes like JSON.
    ts = 1764001200
    body = urllib.parse.urlencode([
        ("token", "XXYYZZ" + det_b62("slack-verification-token", 18)),
        ("team_id", team), ("team_domain", "acme-eng"), ("channel_id", chan),
        ("channel_name", "deploys"), ("user_id", user), ("user_name", "zoe"),
        ("command", "/deploy"), ("text", "api@v2.4.1 --env=prod & notify \"ops\""),
        ("api_app_id", app), ("is_enterprise_install", "false"),
        ("response_url", f"https://hooks.slack.com/commands/{team}/6123456789/"
                         + det_b62("slack-resp", 24)),
        ("trigger_id", "6123456789012.1234567890." + det_hex("slack-trigger", 32)),
    ]).encode("ascii")
    add("slash_command_form", [sec], sec, ts, body, None, content_type=FORM)
    # 4. Interactivity: one form field `payload` holding URL-encoded JSON (with non-ASCII).
    ts = 1764001800
    payload = compact({
        "type": "block_actions", "user": {"id": user, "username": "zoe", "team_id": team},
        "api_app_id": app, "container": {"type": "message", "channel_id": chan},
        "trigger_id": "6123456789013.1234567890." + det_hex("slack-trigger-2", 32),
        "team": {"id": team, "domain": "acme-eng"},
        "actions": [{"action_id": "approve", "block_id": "b1", "type": "button",
                     "text": {"type": "plain_text", "text": "Approve ✅ — Zoë", "emoji": True},
                     "value": "deploy:api@v2.4.1", "action_ts": f"{ts - 1}.512345"}],
    }).decode("utf-8")
    body = urllib.parse.urlencode([("payload", payload)]).encode("ascii")
    add("interactive_payload_form", [sec], sec, ts, body, None, content_type=FORM)
    # 5. Non-ASCII + odd whitespace.
    ts = 1764002400
    body = odd_json([
        ("token", '"XXYYZZ' + det_b62("slack-verification-token", 18) + '"'),
        ("team_id", f'"{team}"'),
        ("event", '{ "type" : "app_mention", "user": "U061F7AUR",\r\n\t\t"text": '
                  + UNICODE_TEXT + ', "ts": "1764002399.000300" }'),
        ("type", '"event_callback"'),
        ("event_id", '"Ev0UNICODE01"'),
        ("event_time", "1764002399"),
    ])
    add("unicode_odd_whitespace", [sec], sec, ts, body, "Ev0UNICODE01")
    # 6. ~1 KiB message with blocks.
    ts = 1764003000
    blocks = [{"type": "section", "block_id": f"s{n}",
               "text": {"type": "mrkdwn", "text": f"*Step {n}* — build `{det_hex('sha' + str(n), 12)}` "
                                                    f"passed in {n * 17}s ✔"}}
              for n in range(1, 7)]
    add("large_1kib", [sec], sec, ts, compact(event("Ev0LARGE0001", ts, {
        "type": "message", "subtype": "bot_message", "channel": chan, "bot_id": "B0BOT12345",
        "text": "CI report", "blocks": blocks, "ts": f"{ts - 1}.000400",
        "event_ts": f"{ts - 1}.000400", "channel_type": "channel",
    })), "Ev0LARGE0001")
    # 7. A retry: the same event, newly signed, with Slack's retry headers.
    ts = 1764003660
    add("retry_headers", [sec], sec, ts, compact(event("Ev0A1B2C3D4E", 1764000000, {
        "type": "message", "channel": chan, "user": user, "text": "Deploy finished :rocket:",
        "ts": "1763999999.000200", "event_ts": "1763999999.000200", "channel_type": "channel",
        "client_msg_id": "5f3d9b0e-6c1a-4e7b-9d2f-8a1c3b5e7d90",
    })), "Ev0A1B2C3D4E",
        extra=[("X-Slack-Retry-Num", "1"), ("X-Slack-Retry-Reason", "http_timeout")])
    # 8-9. Signing-secret regeneration: the route holds old and new while the app is updated
    # (Slack sends one signature; the route's secrets are tried in turn).
    for which, signer, ts in (("new", new, 1764004200), ("old", old, 1764004800)):
        add(f"rotation_route_old_new_signed_by_{which}", [old, new], signer, ts,
            compact(event(f"Ev0ROT{which.upper():0<6}", ts, {
                "type": "reaction_added", "user": user, "reaction": "tada",
                "item": {"type": "message", "channel": chan, "ts": "1764000000.000200"},
                "event_ts": f"{ts - 1}.000500"})), f"Ev0ROT{which.upper():0<6}")
    for c in cases:
        slack_check(c)
        del c["_signer"]
    return cases


# --------------------------------------------------------------------------- Paddle

PADDLE_GENERATOR = (
    "PyPI paddle-python-sdk==1.16.1 PaddleSignature.calculate_hmac (the SDK has no header "
    "builder: `ts=..;h1=..` assembled as its parser reads it); cross-checked with "
    "paddle_billing.Notifications.Verifier.verify at a frozen clock and PaddleSignature.verify"
)


def paddle_id(prefix, label):
    return prefix + "_01" + det_chars("paddle-" + label, 24, ULID)


def paddle_secret(label):
    return "pdl_ntfset_" + det_chars("paddle-ntfset-" + label, 26, ULID) + "_" + \
        det_b62("paddle-secret-" + label, 32)


def paddle_h1(secret, ts, body: bytes) -> str:
    return PaddleSignature.calculate_hmac(secret, f"{ts}:".encode() + body).hexdigest()


class PaddleRequest:
    def __init__(self, headers, body):
        self.headers = headers
        self.body = body


def paddle_check(c):
    body = base64.b64decode(c["body_b64"])
    req = PaddleRequest(dict(c["headers"]), body)
    ts = c["signed_at"]
    signers = c["_signers"]

    def verify_at(t, secrets, **kw):
        paddle_verifier_mod.time = lambda: float(t)
        try:
            return Verifier(**kw).verify(req, secrets)
        except ConnectionRefusedError:  # the list form raises when no secret matches
            return False

    for s in c["secrets"]:
        assert verify_at(ts, PaddleSecret(s)) == (s in signers), (c["name"], s)
    route = [PaddleSecret(s) for s in c["secrets"]]
    assert verify_at(ts, route), c["name"]
    # The SDK's own window is +-5 s; hookgate's is the route's (the fixture test uses 300 s).
    assert verify_at(ts + 5, route) and not verify_at(ts + 6, route), c["name"]
    assert verify_at(ts - 5, route) and not verify_at(ts - 6, route), c["name"]
    assert verify_at(ts + 300, route, maximum_variance=300), c["name"]
    assert not verify_at(ts, PaddleSecret(paddle_secret("wrong"))), c["name"]
    req.body = body + b" "
    assert not verify_at(ts, route), c["name"]


def paddle_cases():
    sec = paddle_secret("main")
    old, new = paddle_secret("old"), paddle_secret("new")
    cases = []

    def add(name, secrets, signers, ts, body, event_id):
        sigs = [paddle_h1(s, ts, body) for s in signers]
        value = ";".join([f"ts={ts}"] + [f"h1={h}" for h in sigs])
        c = case(name, secrets, ts, [("Paddle-Signature", value)], body, event_id)
        c["_signers"] = signers
        cases.append(c)

    def envelope(label, event_type, occurred_at, data):
        return {
            "event_id": paddle_id("evt", label),
            "event_type": event_type,
            "occurred_at": occurred_at,
            "notification_id": paddle_id("ntf", label),
            "data": data,
        }

    ctm, sub = paddle_id("ctm", "customer"), paddle_id("sub", "subscription")
    # 1. transaction.completed, compact.
    ev = envelope("basic", "transaction.completed", "2025-11-24T16:00:00.123456Z", {
        "id": paddle_id("txn", "basic"), "status": "completed", "customer_id": ctm,
        "currency_code": "USD", "origin": "subscription_recurring", "subscription_id": sub,
        "details": {"totals": {"subtotal": "3000", "tax": "600", "total": "3600",
                               "currency_code": "USD"}},
        "items": [{"price": {"id": paddle_id("pri", "seat"), "product_id": paddle_id("pro", "seat")},
                   "quantity": 2}],
        "billed_at": "2025-11-24T15:59:58.902311Z",
    })
    add("basic", [sec], [sec], 1764000000, compact(ev), ev["event_id"])
    # 2. subscription.created, pretty-printed.
    ev = envelope("pretty", "subscription.created", "2025-11-24T16:10:00.000000Z", {
        "id": sub, "status": "active", "customer_id": ctm, "currency_code": "EUR",
        "billing_cycle": {"interval": "month", "frequency": 1},
        "custom_data": {"tenant": "acme", "plan": "team"},
    })
    add("pretty_body", [sec], [sec], 1764000600, pretty(ev), ev["event_id"])
    # 3. Non-ASCII + odd whitespace.
    eid = paddle_id("evt", "unicode")
    body = odd_json([
        ("event_id", f'"{eid}"'),
        ("event_type", '"customer.updated"'),
        ("occurred_at", '"2025-11-24T16:20:00.000000Z"'),
        ("notification_id", '"' + paddle_id("ntf", "unicode") + '"'),
        ("data", '{ "id": "' + ctm + '", "name": "Zoë Café ☕",\r\n\t\t"email": "zoe@example.com", '
                 '"custom_data": { "note": ' + UNICODE_TEXT + ', "ñandú": "Ω≈ç√" } }'),
    ])
    add("unicode_odd_whitespace", [sec], [sec], 1764001200, body, eid)
    # 4. ~1 KiB transaction with several items.
    items = [{"price": {"id": paddle_id("pri", f"i{n}"), "description": f"Add-on {n} – Größe {n}",
                        "unit_price": {"amount": str(500 * n), "currency_code": "EUR"}},
              "quantity": n} for n in range(1, 6)]
    ev = envelope("large", "transaction.paid", "2025-11-24T16:30:00.500000Z", {
        "id": paddle_id("txn", "large"), "status": "paid", "customer_id": ctm,
        "currency_code": "EUR", "items": items, "subscription_id": sub,
    })
    add("large_1kib", [sec], [sec], 1764001800, compact(ev), ev["event_id"])
    # 5-8. Secret rotation: Paddle signs with each active secret, one `h1=` each.
    for name, secrets, signers, ts in (
        ("rotation_two_h1_route_old_new", [old, new], [new, old], 1764002400),
        ("rotation_route_old_new_signed_by_new", [old, new], [new], 1764003000),
        ("rotation_route_old_new_signed_by_old", [old, new], [old], 1764003600),
        ("rotation_two_h1_route_new_only", [new], [new, old], 1764004200),
    ):
        ev = envelope(name, "subscription.updated", f"2025-11-24T17:{(ts - 1764002400) // 60:02d}:00.000000Z",
                      {"id": sub, "status": "active", "customer_id": ctm,
                       "scheduled_change": None, "custom_data": {"case": name}})
        add(name, secrets, signers, ts, compact(ev), ev["event_id"])
    for c in cases:
        paddle_check(c)
        del c["_signers"]
    return cases


# --------------------------------------------------------------------------- Twilio

TWILIO_GENERATOR = (
    "PyPI twilio==9.13.0 twilio.request_validator.RequestValidator.compute_signature "
    "(HMAC_SHA1 with the Auth Token; HMAC_SHA256 with a SharedKey); cross-checked with "
    "RequestValidator.validate (form params parsed with urllib.parse.parse_qsl, as a "
    "framework's MultiDict) and get_signature_algorithm"
)

BASE = "https://hooks.example.com"


def twilio_token(label):
    return det_hex("twilio-auth-token-" + label, 32)  # Auth Tokens: 32 hex


def twilio_sid(prefix, label):
    return prefix + det_hex("twilio-sid-" + label, 32)


class MultiDict(dict):
    """name -> [values], with the `getall` twilio's validator looks for (Flask/werkzeug)."""

    @classmethod
    def from_pairs(cls, pairs):
        d = cls()
        for k, v in pairs:
            d.setdefault(k, []).append(v)
        return d

    def getall(self, name):
        return self[name]


def form_params(body: bytes):
    return MultiDict.from_pairs(urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True,
                                                       strict_parsing=True))


def twilio_check(c):
    body = base64.b64decode(c["body_b64"])
    url = c["url"]
    sig = header(c, "X-Twilio-Signature")
    alg = get_signature_algorithm(header(c, "X-Twilio-Webhooks-Signature-Settings"))
    is_json = "bodySHA256=" in url
    params = body.decode("utf-8") if is_json else form_params(body)
    signers = c["_signers"]
    for s in c["secrets"]:
        ok = RequestValidator(s).validate(url, params, sig, alg)
        assert ok == (s in signers), (c["name"], s)
    assert not RequestValidator("wrong-but-plausible-secret").validate(url, params, sig, alg)
    # The other algorithm never matches.
    other = HMAC_SHA1 if alg == HMAC_SHA256 else HMAC_SHA256
    assert not RequestValidator(signers[0]).validate(url, params, sig, other), c["name"]
    # A changed body fails: JSON through the hash, forms through the params.
    if is_json:
        assert not RequestValidator(signers[0]).validate(url, params + " ", sig, alg)
    else:
        changed = form_params(body + b"&Extra=1")
        assert not RequestValidator(signers[0]).validate(url, changed, sig, alg), c["name"]


def twilio_cases():
    tok = twilio_token("main")
    old, new = twilio_token("old"), twilio_token("new")
    shared = "webhooks_sharedkey_secret_" + det_b62("twilio-sharedkey-secret", 40)
    shared_id = "webhooks_sharedkey_" + det_hex("twilio-sharedkey-id", 32)
    acct = twilio_sid("AC", "account")
    cases = []

    def add(name, secrets, signer, url, body, *, signed_url=None, json_body=False,
            algorithm=None, sig_url_only=False):
        """`signed_url`: what Twilio put into the signature when it differs from `url`."""
        v = RequestValidator(signer)
        if json_body:
            assert "bodySHA256=" in url
            sig = v.compute_signature(signed_url or url, {}, algorithm)
            content_type = "application/json"
        else:
            sig = v.compute_signature(signed_url or url, form_params(body), algorithm)
            content_type = FORM
        headers = [
            ("User-Agent", "TwilioProxy/1.1"),
            ("I-Twilio-Idempotency-Token", det_hex("idem-" + name, 8) + "-"
             + det_hex("idem2-" + name, 4) + "-4" + det_hex("idem3-" + name, 3) + "-a"
             + det_hex("idem4-" + name, 3) + "-" + det_hex("idem5-" + name, 12)),
            ("X-Twilio-Signature", sig),
        ]
        if algorithm is not None:
            headers.append(("X-Twilio-Webhooks-Signature-Settings",
                            f"key={shared_id},algorithm={algorithm}"))
        c = case(name, secrets, 1764000000 + 600 * len(cases), headers, body, None,
                 url=url, content_type=content_type)
        c["_signers"] = [signer]
        cases.append(c)

    def form(pairs):
        # As Twilio sends it: its own (unsorted) order, spaces as '+'.
        return urllib.parse.urlencode(pairs).encode("ascii")

    sms = twilio_sid("SM", "sms1")
    sms_pairs = [
        ("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", sms), ("NumMedia", "0"),
        ("ToCity", "SAN FRANCISCO"), ("FromZip", "94105"), ("SmsSid", sms), ("FromState", "CA"),
        ("SmsStatus", "received"), ("FromCity", "SAN FRANCISCO"), ("Body", "Hello there!"),
        ("FromCountry", "US"), ("To", "+14155550100"),
        ("MessagingServiceSid", twilio_sid("MG", "svc")), ("ToZip", "94107"),
        ("NumSegments", "1"), ("MessageSid", sms), ("AccountSid", acct),
        ("From", "+14155550199"), ("ApiVersion", "2010-04-01"),
    ]
    # 1. Incoming SMS, form-encoded.
    add("sms_form_basic", [tok], tok, f"{BASE}/twilio/sms", form(sms_pairs))
    # 2. Non-ASCII values, a repeated name with distinct values, a repeated identical pair
    #    (signed once), an empty value, '&', '=', '+' and '%' inside values, and names whose
    #    byte order differs from a case-insensitive order.
    mms = twilio_sid("MM", "mms1")
    add("form_non_ascii_duplicate_names", [tok], tok, f"{BASE}/twilio/sms", form([
        ("ToCountry", "FR"), ("SmsMessageSid", mms), ("NumMedia", "2"),
        ("Body", "Zoë: café ☕ à 5€ & 🎉 — a=b+c 100%\nligne 2\t(tab)  "),
        ("MediaContentType0", "image/jpeg"),
        ("MediaUrl0", f"https://api.twilio.com/2010-04-01/Accounts/{acct}/Messages/{mms}/Media/ME0"),
        ("MediaContentType1", "image/png"),
        ("MediaUrl1", f"https://api.twilio.com/2010-04-01/Accounts/{acct}/Messages/{mms}/Media/ME1"),
        ("To", "+33612345678"), ("From", "+33698765432"), ("ProfileName", "Zoë Ñandú"),
        ("ReferralNumMedia", ""), ("MessageSid", mms), ("AccountSid", acct),
        ("Label", "vip"), ("Label", "beta"), ("Label", "vip"),
        ("accountTag", "lowercase-sorts-after-Z"), ("ZTag", "upper"),
        ("ApiVersion", "2010-04-01"),
    ]))
    # 3. Voice status callback to a URL with its own query (part of the signed URL as is).
    call = twilio_sid("CA", "call1")
    add("voice_status_callback_query_in_url", [tok], tok,
        f"{BASE}/twilio/voice/status?tenant=acme%20corp&region=eu-west&redirect=%2Fdone+now",
        form([
            ("Called", "+14155550100"), ("ToState", "CA"), ("CallerCountry", "US"),
            ("Direction", "inbound"), ("Timestamp", "Mon, 24 Nov 2025 16:00:00 +0000"),
            ("CallbackSource", "call-progress-events"), ("SequenceNumber", "3"),
            ("CallSid", call), ("To", "+14155550100"), ("CallStatus", "completed"),
            ("From", "+14155550199"), ("Duration", "1"), ("CallDuration", "42"),
            ("AccountSid", acct), ("ApiVersion", "2010-04-01"),
        ]))
    # 4. JSON body: Twilio adds bodySHA256 to the URL and signs the URL alone.
    body = compact([{
        "specversion": "1.0", "type": "com.twilio.messaging.message.delivered",
        "source": f"/2010-04-01/Accounts/{acct}/Messages/{sms}.json",
        "id": "EZ" + det_hex("twilio-ce-1", 32), "dataschema":
            "https://events-schemas.twilio.com/Messaging.MessageStatus/5",
        "datacontenttype": "application/json", "time": "2025-11-24T16:40:00.000Z",
        "data": {"messageSid": sms, "messageStatus": "DELIVERED", "to": "+14155550199",
                 "body": "Zoë ☕"},
    }])
    add("json_body_sha256", [tok], tok,
        f"{BASE}/twilio/events?bodySHA256={hashlib.sha256(body).hexdigest()}", body,
        json_body=True)
    # 5. JSON body, the hash after a query of the route's own.
    body = pretty({"account_sid": acct, "event": "flow.completed",
                   "note": "spaces  and\ttabs, raw é and escape text \\u00e9"})
    add("json_body_sha256_after_query", [tok], tok,
        f"{BASE}/twilio/studio?flow=onboarding&bodySHA256={hashlib.sha256(body).hexdigest()}",
        body, json_body=True)
    # 6. A non-default port is part of the signed URL.
    add("url_with_port", [tok], tok, f"{BASE}:8443/twilio/sms",
        form(sms_pairs[:10] + [("Body", "port test")] + sms_pairs[11:]))
    # 7-8. Auth Token rotation (primary + secondary token on the route).
    for which, signer in (("new", new), ("old", old)):
        add(f"rotation_route_old_new_signed_by_{which}", [old, new], signer,
            f"{BASE}/twilio/sms", form(sms_pairs[:10] + [("Body", f"signed by {which}")]
                                       + sms_pairs[11:]))
    # 9-10. SharedKey mode: X-Twilio-Webhooks-Signature-Settings announces HMAC_SHA256.
    add("sharedkey_sha256_form", [shared], shared, f"{BASE}/twilio/sms",
        form(sms_pairs[:10] + [("Body", "signed with a SharedKey")] + sms_pairs[11:]),
        algorithm=HMAC_SHA256)
    body = compact({"account_sid": acct, "event": "message.delivered", "sid": sms})
    add("sharedkey_sha256_json_body_sha256", [shared], shared,
        f"{BASE}/twilio/events?bodySHA256={hashlib.sha256(body).hexdigest()}", body,
        json_body=True, algorithm=HMAC_SHA256)
    # 11. The settings header naming HMAC_SHA1: a SharedKey with the legacy algorithm.
    add("sharedkey_settings_header_sha1", [shared], shared, f"{BASE}/twilio/sms",
        form(sms_pairs[:10] + [("Body", "explicit sha1")] + sms_pairs[11:]),
        algorithm=HMAC_SHA1)
    # 12-13. Twilio sometimes signs the https URL with the default port and sometimes without
    # (the SDK checks both, "since sig generation on back end is inconsistent").
    add("signed_with_default_port", [tok], tok, f"{BASE}/twilio/sms",
        form(sms_pairs[:10] + [("Body", "signed with :443")] + sms_pairs[11:]),
        signed_url=BASE.replace(".com", ".com:443") + "/twilio/sms")
    add("called_with_default_port_signed_without", [tok], tok,
        BASE.replace(".com", ".com:443") + "/twilio/sms",
        form(sms_pairs[:10] + [("Body", "called on :443")] + sms_pairs[11:]),
        signed_url=f"{BASE}/twilio/sms")
    for c in cases:
        twilio_check(c)
        del c["_signers"]
    return cases


# --------------------------------------------------------------------------- Airtable

AIRTABLE_GENERATOR = (
    "HMAC-SHA256 over the body with the base64-decoded macSecretBase64, `hmac-sha256=` + hex, "
    "per Airtable's webhooks docs (pyairtable has a verifier but no signer); cross-checked "
    "with PyPI pyairtable==3.5.1 pyairtable.models.webhook.WebhookNotification.from_request"
)


def airtable_secret(label, n=32):
    return b64(det_bytes("airtable-mac-secret-" + label, n))


def airtable_mac(secret, body: bytes):
    return "hmac-sha256=" + hmac.new(base64.b64decode(secret), body, hashlib.sha256).hexdigest()


def airtable_check(c):
    body = base64.b64decode(c["body_b64"])
    mac = header(c, "X-Airtable-Content-MAC")
    signers = c["_signers"]

    def ok(secret, b=body):
        try:
            n = WebhookNotification.from_request(b.decode("utf-8"), mac, secret)
        except ValueError:
            return False
        assert n.timestamp.timestamp() == c["signed_at"], c["name"]
        return True

    for s in c["secrets"]:
        assert ok(s) == (s in signers), (c["name"], s)
        # pyairtable also takes the decoded bytes.
        assert ok(base64.b64decode(s)) == (s in signers), (c["name"], s)
    assert not ok(airtable_secret("wrong"))
    assert not ok(signers[0], body + b" ")


def airtable_cases():
    sec = airtable_secret("main")
    old, new = airtable_secret("old"), airtable_secret("new")
    base_id = "app" + det_b62("airtable-base", 14)
    cases = []

    def add(name, secrets, signer, signed_at, body):
        c = case(name, secrets, signed_at,
                 [("X-Airtable-Content-MAC", airtable_mac(signer, body))], body, None)
        c["_signers"] = [signer]
        cases.append(c)

    def note(hook, ts_text):
        return compact({"base": {"id": base_id}, "webhook": {"id": hook}, "timestamp": ts_text})

    hook = "ach" + det_b62("airtable-hook", 14)
    # 1. The notification as Airtable sends it: ids and a millisecond ISO time.
    add("basic", [sec], sec, 1764000000, note(hook, "2025-11-24T16:00:00.000Z"))
    # 2. Odd whitespace (pyairtable encodes the body as ASCII, and Airtable's notifications
    #    are ASCII, so non-ASCII appears only as \u escape text).
    body = ('{\r\n\t"base" : { "id" :\t"' + base_id + '" },  \r\n'
            '\t"webhook": {"id": "' + hook + '"} ,\r\n'
            '\t"timestamp"  :  "2025-11-24T16:10:00.000Z",\r\n'
            '\t"x_note": "caf\\u00e9 \\u2615 \\ud83c\\udf89"\r\n}\r\n').encode("ascii")
    add("odd_whitespace_escapes", [sec], sec, 1764000600, body)
    # 3. A 64-byte MAC secret (the base64 ends in '==').
    big = airtable_secret("big", 64)
    assert big.endswith("==")
    add("secret_64_bytes_padded", [big], big, 1764001200,
        note(hook, "2025-11-24T16:20:00.000Z"))
    # 4-5. A re-created webhook has a new MAC secret; a route may hold both meanwhile.
    for which, signer, ts in (("new", new, 1764001800), ("old", old, 1764002400)):
        iso = f"2025-11-24T16:{(ts - 1764000000) // 60:02d}:00.000Z"
        add(f"rotation_route_old_new_signed_by_{which}", [old, new], signer, ts,
            note("ach" + det_b62("airtable-hook-" + which, 14), iso))
    for c in cases:
        airtable_check(c)
        del c["_signers"]
    return cases


# --------------------------------------------------------------------------- cross-check
# Re-derive every signature from the written files with the stdlib alone, reading each
# request the way hookgate's preset does (e.g. Twilio's form parameters: split on '&', decode
# '+' and %XX, sort by name then value, each distinct pair once).

def hookgate_form_params(body: bytes) -> bytes:
    pairs = set()
    for kv in body.split(b"&"):
        if not kv:
            continue
        k, _, v = kv.partition(b"=")
        dec = lambda s: urllib.parse.unquote_to_bytes(s.replace(b"+", b" ")).decode("utf-8")  # noqa: E731
        pairs.add((dec(k).encode(), dec(v).encode()))
    return b"".join(k + v for k, v in sorted(pairs))


def crosscheck(out_dir):
    def load(p):
        with open(os.path.join(out_dir, f"{p}.json"), encoding="utf-8") as f:
            doc = json.load(f)
        assert doc["provider"] == p and doc["generator"] and doc["cases"]
        for c in doc["cases"]:
            assert set(c) <= {"name", "secrets", "signed_at", "headers", "body_b64", "event_id",
                              "url", "content_type"}, c["name"]
            assert not any(k.lower() == "content-type" for k, _ in c["headers"]), c["name"]
            yield c, base64.b64decode(c["body_b64"])

    def hm(alg, key, msg):
        return hmac.new(key, msg, alg).digest()

    def any_secret(c, pred):
        return [s for s in c["secrets"] if pred(s)]

    n = 0
    for c, body in load("slack"):
        ts = header(c, "X-Slack-Request-Timestamp")
        assert int(ts) == c["signed_at"]
        want = header(c, "X-Slack-Signature")
        assert any_secret(c, lambda s: "v0=" + hm(hashlib.sha256, s.encode(), b"v0:" + ts.encode()
                                                  + b":" + body).hex() == want), c["name"]
        if c.get("content_type") is None:
            assert c["event_id"] == json.loads(body).get("event_id")
        else:
            assert c["event_id"] is None
        n += 1
    for c, body in load("paddle"):
        parts = dict(p.split("=", 1) for p in header(c, "Paddle-Signature").split(";")
                     if not p.startswith("h1="))
        h1s = [p[3:] for p in header(c, "Paddle-Signature").split(";") if p.startswith("h1=")]
        assert int(parts["ts"]) == c["signed_at"]
        assert any_secret(c, lambda s: hm(hashlib.sha256, s.encode(),
                                          parts["ts"].encode() + b":" + body).hex() in h1s)
        assert c["event_id"] == json.loads(body)["event_id"]
        n += 1
    for c, body in load("twilio"):
        url = c["url"]
        query = urllib.parse.urlsplit(url).query
        hashed = any(kv.split("=")[0] == "bodySHA256" for kv in query.split("&"))
        if hashed:
            assert c["content_type"] == "application/json"
            claimed = urllib.parse.parse_qs(query)["bodySHA256"][0]
            assert claimed == hashlib.sha256(body).hexdigest(), c["name"]
            params = b""
        else:
            assert c["content_type"] == FORM
            params = hookgate_form_params(body)
        settings = header(c, "X-Twilio-Webhooks-Signature-Settings") or ""
        alg = hashlib.sha256 if "algorithm=HMAC_SHA256" in settings else hashlib.sha1
        sig = base64.b64decode(header(c, "X-Twilio-Signature"))
        u = urllib.parse.urlsplit(url)
        default = {"https": 443, "http": 80}[u.scheme]
        host = u.hostname
        variants = {url,
                    urllib.parse.urlunsplit(u._replace(netloc=f"{host}:{default}")),
                    urllib.parse.urlunsplit(u._replace(netloc=host))} if u.port in (None, default) \
            else {url}
        assert any(hm(alg, s.encode(), v.encode() + params) == sig
                   for s in c["secrets"] for v in variants), c["name"]
        assert c["event_id"] is None
        n += 1
    for c, body in load("airtable"):
        mac = header(c, "X-Airtable-Content-MAC")
        assert any_secret(c, lambda s: "hmac-sha256=" + hm(hashlib.sha256, base64.b64decode(s),
                                                           body).hex() == mac), c["name"]
        assert c["event_id"] is None
        n += 1
    print(f"py-sdks/gen.py: cross-checked {n} cases with the stdlib")


# --------------------------------------------------------------------------- main

def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(out, "slack", SLACK_GENERATOR, slack_cases())
    write(out, "paddle", PADDLE_GENERATOR, paddle_cases())
    write(out, "twilio", TWILIO_GENERATOR, twilio_cases())
    write(out, "airtable", AIRTABLE_GENERATOR, airtable_cases())
    crosscheck(out)


if __name__ == "__main__":
    main()
