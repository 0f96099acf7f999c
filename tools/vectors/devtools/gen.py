#!/usr/bin/env python3
"""Vectors for developer-tool / infrastructure senders: openai, replicate, workos, heroku,
circleci, buildkite, terraform, launchdarkly, alchemy, mongodb, sonatype, autodesk, clearbit,
signal-sciences, trendmicro-conformity, segment, dwolla, hookdeck, cal-com, easypost.

Run through gen.sh (it builds the pinned venv from requirements.txt next to this file).
Usage: gen.py OUT_DIR

Signing: the senders publish no signer (their SDKs only verify), so every signature is made
here with the stdlib exactly as the sender documents it (see README.md for each source).
Checking, for every case:
  * OpenAI: PyPI `openai` `client.webhooks.verify_signature` (and `unwrap`) at a frozen clock;
  * WorkOS: PyPI `workos` `workos.webhooks._verification.verify_header` at a frozen clock;
  * Replicate: npm `replicate` `validateWebhook` (check_replicate.mjs, run by gen.sh);
  * everyone: a second, docs-following stdlib verifier written separately from the signer
    (`verify_*` below), which must accept each route secret iff it signed the case, reject a
    wrong secret and reject every single-byte flip of the body.
Nothing here reads the current time or randomness: secrets and ids come from labels.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import unicodedata
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tools/vectors/fixtures.py
from fixtures import case, compact, det_bytes, header, pretty  # noqa: E402
from fixtures import write as write_fixture  # noqa: E402

PINS = {"openai": "3.63.0", "workos": "10.8.0", "easypost": "10.7.0"}
for _pkg, _want in PINS.items():
    _have = version(_pkg)
    if _have != _want:
        sys.exit(f"devtools/gen.py: {_pkg}=={_have} installed, expected {_want} (run gen.sh)")

import easypost  # noqa: E402
import easypost.errors  # noqa: E402
import easypost.util  # noqa: E402
import openai  # noqa: E402
import openai.lib._webhooks as openai_webhooks_mod  # noqa: E402
import workos.webhooks._verification as workos_verification  # noqa: E402

T0 = 1764000000  # 2025-11-24T16:00:00Z, the base time the other generators use too.


# --------------------------------------------------------------------------- helpers

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def det(label: str, n: int, alphabet: str = B62) -> str:
    return "".join(alphabet[b % len(alphabet)] for b in det_bytes(label, n))


def det_hex(label: str, n: int) -> str:
    return det_bytes(label, (n + 1) // 2).hex()[:n]


def det_uuid(label: str) -> str:
    h = det_hex(label, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def iso(unix: int, frac: str = "") -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(unix, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def odd_body(fields: bytes) -> bytes:
    """A body whose bytes survive no re-serialisation: raw multi-byte UTF-8 (é ☕ 🎉), the
    same characters as \\u escape text, tabs, CRLF, spaces around ':' and a trailing
    newline. `fields` is spliced in as the first members (a JSON fragment)."""
    return (
        b"{" + fields + b",\r\n\t\"note\" :  \"caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x8e\x89\" ,\r\n"
        b"\t\"escaped\":\"caf\\u00e9 \\u2615 \\ud83c\\udf89\",\t\"n\" : 1.50 }\n"
    )


def filler(n: int) -> str:
    """About `n` bytes of log-like text with some non-ASCII, for the ~1 KiB cases."""
    line = "step \u2714 compiled crate \u00e9t\u00e9 in 0.42s; "
    return (line * (n // len(line.encode()) + 1))[: n // 2]


def flips(body: bytes):
    """Single-byte changes a verifier must reject: start, middle, end, and an appended space."""
    n = len(body)
    for pos in sorted({0, n // 3, n // 2, n - 1}):
        for bit in (0x01, 0x20):
            b = bytearray(body)
            b[pos] ^= bit
            yield bytes(b)
    yield body + b" "


def check_case(provider, c, verify, wrong_secret, signer_index):
    """`verify(headers, body, secret, now) -> bool` must accept the route secret that signed
    the case, reject the others, a wrong secret and a changed body."""
    body = base64.b64decode(c["body_b64"])
    hdrs = c["headers"]
    now = c["signed_at"]
    for i, s in enumerate(c["secrets"]):
        ok = verify(hdrs, body, s, now)
        assert ok == (i == signer_index), f"{provider}/{c['name']}: secret {i} gave {ok}"
    signer = c["secrets"][signer_index]
    assert not verify(hdrs, body, wrong_secret, now), f"{provider}/{c['name']}: wrong secret passed"
    for bad in flips(body):
        assert not verify(hdrs, bad, signer, now), f"{provider}/{c['name']}: changed body passed"


def emit(out_dir, provider, generator, cases):
    path = write_fixture(out_dir, provider, provider, generator, cases)
    print(f"devtools/gen.py: wrote {path} ({len(cases)} cases)")


class FrozenTime:
    """Stands in for the `time` module inside an SDK's verifier: the clock is `now`."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def b64(d: bytes) -> str:
    return base64.b64encode(d).decode("ascii")


# --------------------------------------------------------------------------- Standard Webhooks
# Signer for OpenAI and Replicate (both document the Standard Webhooks scheme):
# base64(HMAC-SHA256(base64decode(secret minus "whsec_"), "{id}.{ts}.{body}")) as "v1,<b64>".

def sw_sign(secret: str, msg_id: str, ts: int, body: bytes) -> str:
    key = base64.b64decode(secret[len("whsec_"):])
    return "v1," + b64(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest())


def sw_verify(headers, body, secret, now):
    """Separately written from the Standard Webhooks spec text: split the header on spaces,
    keep `v1,` entries, compare against the MAC with the decoded key; ±5 minutes."""
    sig = header({"headers": headers}, "webhook-signature")
    ts = header({"headers": headers}, "webhook-timestamp")
    mid = header({"headers": headers}, "webhook-id")
    if not (sig and ts and mid) or abs(now - int(ts)) > 300:
        return False
    try:
        key = base64.b64decode(secret.split("_", 1)[1], validate=True)
    except ValueError:
        return False
    want = hmac.new(key, mid.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256).digest()
    for entry in sig.split(" "):
        version_, _, value = entry.partition(",")
        if version_ == "v1":
            try:
                if hmac.compare_digest(base64.b64decode(value), want):
                    return True
            except ValueError:
                pass
    return False


# --------------------------------------------------------------------------- openai

def openai_cases():
    def secret(label):  # dashboard: "whsec_" + base64 of a random key
        return "whsec_" + b64(det_bytes("openai-secret-" + label, 32))

    def evt(label, typ, created, data):
        return {"id": "evt_" + det_hex("openai-evt-" + label, 32), "object": "event",
                "created_at": created, "type": typ, "data": data}

    def mk(name, secrets, signer, ts, body, label, extra_sigs=()):
        msg_id = "wh_" + det_hex("openai-wh-" + label, 32)
        sig = " ".join([sw_sign(s, msg_id, ts, body) for s in [signer, *extra_sigs]])
        hdrs = [("user-agent", "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"),
                ("webhook-id", msg_id), ("webhook-timestamp", str(ts)), ("webhook-signature", sig)]
        return case(name, secrets, ts, hdrs, body, msg_id)

    old, new = secret("old"), secret("new")
    resp = evt("1", "response.completed", T0 - 60, {"id": "resp_" + det_hex("openai-resp-1", 48)})
    batch = evt("2", "batch.completed", T0 + 7140, {"id": "batch_" + det_hex("openai-batch", 32)})
    big = evt("3", "fine_tuning.job.succeeded", T0 + 14340,
              {"id": "ftjob-" + det("openai-ft", 24), "note": filler(1100)})
    cases = [
        mk("basic", [old], old, T0, compact(resp), "1"),
        mk("batch_completed_pretty", [old], old, T0 + 7200, pretty(batch), "2"),
        mk("large_1kib", [old], old, T0 + 14400, compact(big), "3"),
        mk("unicode_odd_whitespace", [old], old, T0 + 21600,
           odd_body(b'"object":"event","type":"eval.run.succeeded"'), "4"),
        mk("non_ascii_body", [old], old, T0 + 25200,
           compact(evt("5", "realtime.call.incoming", T0 + 25190,
                       {"call_id": "rtc_" + det_hex("openai-rtc", 24),
                        "sip_headers": [{"name": "From", "value": "\"Jos\u00e9 \u674e\" <sip:+15550100@example.com>"}]})),
           "5"),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 28800,
           compact(evt("6", "response.failed", T0 + 28790, {"id": "resp_" + det_hex("openai-resp-6", 48)})), "6"),
        mk("rotation_route_old_new_signed_by_old", [old, new], old, T0 + 32400,
           compact(evt("7", "batch.expired", T0 + 32390, {"id": "batch_" + det_hex("openai-batch-7", 32)})), "7"),
    ]
    signer_of = {"rotation_route_old_new_signed_by_new": 1}

    client = openai.OpenAI(api_key="sk-test-not-used", webhook_secret=None)
    for c in cases:
        body = base64.b64decode(c["body_b64"])
        hdrs = {k: v for k, v in c["headers"]}
        si = signer_of.get(c["name"], 0)
        openai_webhooks_mod.time = FrozenTime(c["signed_at"])

        def sdk(headers, b, s, now, hdrs=hdrs):
            openai_webhooks_mod.time = FrozenTime(now)
            try:
                client.webhooks.verify_signature(b, dict(headers), secret=s)
                return True
            except openai.InvalidWebhookSignatureError:
                return False

        check_case("openai", c, sdk, secret("wrong"), si)
        check_case("openai", c, sw_verify, secret("wrong"), si)
        # The SDK's window: ±300 s.
        assert sdk(c["headers"], body, c["secrets"][si], c["signed_at"] + 300)
        assert not sdk(c["headers"], body, c["secrets"][si], c["signed_at"] + 301)
        if body.startswith(b'{"id"'):
            openai_webhooks_mod.time = FrozenTime(c["signed_at"])
            ev = client.webhooks.unwrap(body, hdrs, secret=c["secrets"][si])
            assert ev.id == json.loads(body)["id"], c["name"]
    return cases


# --------------------------------------------------------------------------- replicate

def replicate_cases():
    def secret(label):  # GET /v1/webhooks/default/secret: "whsec_" + base64
        return "whsec_" + b64(det_bytes("replicate-secret-" + label, 24))

    def pred(label, status, created, output, logs=""):
        pid = det("replicate-pred-" + label, 26, "abcdefghijklmnopqrstuvwxyz0123456789")
        return {
            "id": pid,
            "model": "stability-ai/sdxl",
            "version": det_hex("replicate-version", 64),
            "input": {"prompt": "a lighthouse at dusk"},
            "logs": logs,
            "output": output,
            "data_removed": False,
            "error": None,
            "status": status,
            "created_at": iso(created, ".123456"),
            "urls": {"cancel": f"https://api.replicate.com/v1/predictions/{pid}/cancel",
                     "get": f"https://api.replicate.com/v1/predictions/{pid}"},
        }

    def mk(name, secrets, signer, ts, body, label):
        msg_id = "msg_" + det("replicate-msg-" + label, 27)
        hdrs = [("webhook-id", msg_id), ("webhook-timestamp", str(ts)),
                ("webhook-signature", sw_sign(signer, msg_id, ts, body))]
        return case(name, secrets, ts, hdrs, body, msg_id)

    old, new = secret("old"), secret("new")
    cases = [
        mk("basic", [old], old, T0 + 100, compact(pred("1", "starting", T0 + 99, None)), "1"),
        mk("large_1kib", [old], old, T0 + 7300,
           compact(pred("2", "processing", T0 + 7290, None, logs=filler(1200))), "2"),
        mk("unicode_odd_whitespace", [old], old, T0 + 14500,
           odd_body(b'"id":"' + det("replicate-pred-3", 26, "abcdefghijklmnopqrstuvwxyz0123456789").encode()
                    + b'","status":"succeeded"'), "3"),
        mk("non_ascii_body", [old], old, T0 + 21700,
           compact(pred("4", "succeeded", T0 + 21600,
                        ["https://replicate.delivery/pbxt/" + det("replicate-file", 20) + "/out.png"],
                        logs="d\u00e9but \u2192 fin \u2615 \u751f\u6210\n")), "4"),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 28900,
           compact(pred("5", "failed", T0 + 28800, None)), "5"),
    ]
    for c in cases:
        si = 1 if c["name"].endswith("signed_by_new") else 0
        check_case("replicate", c, sw_verify, secret("wrong"), si)
    return cases


# --------------------------------------------------------------------------- workos

def workos_sign(secret: str, ts_ms: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(ts_ms).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={ts_ms}, v1={mac}"


def workos_verify(headers, body, secret, now):
    """From WorkOS's docs: split `t=..., v1=...`, HMAC-SHA256 over `{t}.{body}` with the
    secret's bytes, hex; WorkOS's SDKs allow 180 s either way."""
    value = header({"headers": headers}, "workos-signature")
    parts = dict(p.strip().split("=", 1) for p in value.split(","))
    t = parts["t"]
    if abs(now - int(t) / 1000) > 180:
        return False
    want = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, parts["v1"])


def workos_cases():
    def secret(label):  # dashboard: a random alphanumeric string
        return det("workos-secret-" + label, 25)

    def ev(label, event, created, data):
        return {"id": "event_01" + det("workos-evt-" + label, 24, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"),
                "event": event, "data": data, "created_at": iso(created, ".000")}

    def user(label, first, last):
        return {"object": "user", "id": "user_01" + det("workos-user-" + label, 24, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"),
                "email": f"{label}@example.com", "first_name": first, "last_name": last,
                "email_verified": True, "profile_picture_url": None,
                "created_at": iso(T0, ".000"), "updated_at": iso(T0, ".000")}

    def mk(name, secrets, signer, ts_ms, body, event_id):
        hdrs = [("WorkOS-Signature", workos_sign(signer, ts_ms, body))]
        return case(name, secrets, ts_ms // 1000, hdrs, body, event_id)

    old, new = secret("old"), secret("new")
    e1 = ev("1", "user.created", T0 + 200, user("ada", "Ada", "Lovelace"))
    big_user = user("big", "Grace", "Hopper")
    big_user["metadata"] = {"notes": filler(1100)}
    e2 = ev("2", "user.updated", T0 + 7400, big_user)
    e4 = ev("4", "dsync.user.created", T0 + 21800, user("jose", "Jos\u00e9", "N\u00fa\u00f1ez \u674e"))
    e5 = ev("5", "user.deleted", T0 + 29000, user("ada", "Ada", "Lovelace"))
    e6 = ev("6", "session.created", T0 + 36200, {"object": "session", "id": "session_01" + det("workos-s", 24)})
    cases = [
        mk("basic", [old], old, (T0 + 200) * 1000 + 123, compact(e1), e1["id"]),
        mk("large_1kib", [old], old, (T0 + 7400) * 1000 + 999, compact(e2), e2["id"]),
        mk("unicode_odd_whitespace", [old], old, (T0 + 14600) * 1000,
           odd_body(b'"id":"event_01ODDWHITESPACE0000000000","event":"organization.updated"'),
           "event_01ODDWHITESPACE0000000000"),
        mk("non_ascii_body", [old], old, (T0 + 21800) * 1000 + 7, pretty(e4), e4["id"]),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, (T0 + 29000) * 1000 + 500,
           compact(e5), e5["id"]),
        mk("rotation_route_old_new_signed_by_old", [old, new], old, (T0 + 36200) * 1000 + 1,
           compact(e6), e6["id"]),
    ]

    def sdk(headers, b, s, now):
        workos_verification.time = FrozenTime(now)
        try:
            workos_verification.verify_header(
                event_body=b, event_signature=header({"headers": headers}, "workos-signature"), secret=s)
            return True
        except ValueError:
            return False

    for c in cases:
        si = 1 if c["name"].endswith("signed_by_new") else 0
        check_case("workos", c, sdk, secret("wrong"), si)
        check_case("workos", c, workos_verify, secret("wrong"), si)
        body = base64.b64decode(c["body_b64"])
        # The SDK's window is 180 s either way, measured from the millisecond timestamp.
        t_ms = int(header(c, "workos-signature").split(",")[0][2:])
        assert sdk(c["headers"], body, c["secrets"][si], t_ms / 1000 + 180)
        assert not sdk(c["headers"], body, c["secrets"][si], t_ms / 1000 + 181)
    return cases


# --------------------------------------------------------------------------- heroku

def heroku_verify(headers, body, secret, now):
    """Heroku Dev Center: base64 HMAC-SHA256 of the raw body, keyed with the secret given at
    subscription time."""
    got = header({"headers": headers}, "heroku-webhook-hmac-sha256")
    want = b64(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(got, want)


def heroku_cases():
    def secret(label):  # `heroku webhooks:add --secret ...`: any string the user picks
        return det("heroku-secret-" + label, 32)

    def ev(label, resource, action, created, data):
        eid = det_uuid("heroku-event-" + label)
        return {
            "action": action,
            "actor": {"email": "ops@example.com", "id": det_uuid("heroku-actor")},
            "created_at": iso(created), "id": eid, "data": data, "previous_data": {},
            "published_at": None, "resource": resource, "sequence": None,
            "updated_at": iso(created), "version": "application/vnd.heroku+json; version=3",
            "webhook_metadata": {
                "attempt": {"id": det_uuid("heroku-attempt-" + label)},
                "delivery": {"id": det_uuid("heroku-delivery-" + label)},
                "event": {"id": eid, "include": "api:" + resource},
                "webhook": {"id": det_uuid("heroku-webhook")},
            },
        }

    app = {"id": det_uuid("heroku-app"), "name": "sample-app-0084"}

    def release(label, created, desc, version_):
        return ev(label, "release", "create", created,
                  {"app": app, "created_at": iso(created), "description": desc,
                   "id": det_uuid("heroku-release-" + label), "status": "succeeded",
                   "updated_at": iso(created), "user": {"email": "ops@example.com"},
                   "version": version_, "current": True})

    def mk(name, secrets, signer, ts, body, event_id):
        hdrs = [("Heroku-Webhook-Hmac-SHA256", b64(hmac.new(signer.encode(), body, hashlib.sha256).digest()))]
        return case(name, secrets, ts, hdrs, body, event_id)

    old, new = secret("old"), secret("new")
    e1 = release("1", T0 + 300, "Deploy 1a2b3c4", 42)
    e2 = release("2", T0 + 7500, "Deploy " + filler(1100), 43)
    e4 = release("4", T0 + 21900, "R\u00e9tablir \u2192 v41 \u2615 (\u56de\u6eda)", 44)
    e5 = ev("5", "dyno", "create", T0 + 29100,
            {"app": app, "attach_url": None, "command": "npm start", "id": det_uuid("heroku-dyno"),
             "name": "run.1234", "size": "Standard-1X", "state": "starting", "type": "run"})
    oid = det_uuid("heroku-event-3")
    cases = [
        mk("basic", [old], old, T0 + 300, compact(e1), e1["id"]),
        mk("large_1kib", [old], old, T0 + 7500, compact(e2), e2["id"]),
        mk("unicode_odd_whitespace", [old], old, T0 + 14700,
           odd_body(b'"id":"' + oid.encode() + b'","resource":"formation","action":"update"'), oid),
        mk("non_ascii_body", [old], old, T0 + 21900, pretty(e4), e4["id"]),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29100, compact(e5), e5["id"]),
    ]
    for c in cases:
        check_case("heroku", c, heroku_verify, secret("wrong"), 1 if c["name"].endswith("signed_by_new") else 0)
    return cases


# --------------------------------------------------------------------------- circleci

def circleci_verify(headers, body, secret, now):
    """CircleCI docs (Validate webhooks): a comma-separated list of versioned signatures;
    check only v1 = hex HMAC-SHA256 of the body with the secret."""
    value = header({"headers": headers}, "circleci-signature")
    sigs = dict(p.strip().split("=", 1) for p in value.split(","))
    want = hmac.new(secret.encode("utf-8"), body, "sha256").hexdigest()
    return "v1" in sigs and hmac.compare_digest(sigs["v1"], want)


def circleci_cases():
    def secret(label):  # "Secret token" typed into the webhook form
        return det("circleci-secret-" + label, 40)

    def wf(label, happened, status, extra=None):
        eid = det_uuid("circleci-event-" + label)
        body = {
            "type": "workflow-completed", "id": eid, "happened_at": iso(happened, ".123"),
            "webhook": {"id": det_uuid("circleci-webhook"), "name": "deploy-notifier"},
            "project": {"id": det_uuid("circleci-project"), "name": "hookgate",
                        "slug": "gh/example/hookgate"},
            "organization": {"id": det_uuid("circleci-org"), "name": "example"},
            "workflow": {"id": det_uuid("circleci-wf-" + label), "name": "build-and-test",
                         "created_at": iso(happened - 300, ".000"), "stopped_at": iso(happened, ".000"),
                         "url": "https://app.circleci.com/pipelines/gh/example/hookgate/130/workflows/"
                         + det_uuid("circleci-wf-" + label), "status": status},
            "pipeline": {"id": det_uuid("circleci-pipe-" + label), "number": 130,
                         "created_at": iso(happened - 310, ".000"),
                         "trigger": {"type": "webhook"},
                         "vcs": {"provider_name": "github", "branch": "main",
                                 "commit": {"subject": "Fix flaky test", "author": {"name": "Ada"}}}},
        }
        body.update(extra or {})
        return body

    def sig(s, body):
        return "v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest()

    def mk(name, secrets, signer, ts, body, event_id, header_value=None):
        hdrs = [("User-Agent", "CircleCI-Webhook/1.0"), ("Circleci-Event-Type", "workflow-completed"),
                ("Circleci-Signature", header_value or sig(signer, body))]
        return case(name, secrets, ts, hdrs, body, event_id)

    old, new = secret("old"), secret("new")
    b1 = wf("1", T0 + 400, "success")
    b2 = wf("2", T0 + 7600, "failed")
    b2["pipeline"]["vcs"]["commit"]["body"] = filler(1000)
    b4 = wf("4", T0 + 22000, "success")
    b4["pipeline"]["vcs"]["commit"] = {"subject": "Corrige l'accent \u00e9 \u2615 \u4fee\u590d",
                                       "author": {"name": "Jos\u00e9 N\u00fa\u00f1ez"}}
    b5 = wf("5", T0 + 29200, "canceled")
    oid = det_uuid("circleci-event-3")
    # The documented known-answer vector (CircleCI "Validate webhooks"): body `hello world`,
    # secret `secret`.
    hello = b"hello world"
    assert sig("secret", hello) == "v1=734cc62f32841568f45715aeb9f4d7891324e6d948e4c6c60c0621cdac48623a"
    cases = [
        mk("basic", [old], old, T0 + 400, compact(b1), b1["id"]),
        mk("large_1kib", [old], old, T0 + 7600, compact(b2), b2["id"]),
        mk("unicode_odd_whitespace", [old], old, T0 + 14800,
           odd_body(b'"type":"job-completed","id":"' + oid.encode() + b'"'), oid),
        mk("non_ascii_body", [old], old, T0 + 22000, compact(b4), b4["id"]),
        mk("future_versions_ignored", [old], old, T0 + 25600, compact(b1 | {"id": det_uuid("cc-6")}),
           det_uuid("cc-6"),
           header_value=sig(old, compact(b1 | {"id": det_uuid("cc-6")})) + ",v2=" + det_hex("cc-v2", 64)),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29200, compact(b5), b5["id"]),
        mk("documented_vector", ["secret"], "secret", T0 + 32800, hello, None),
    ]
    for c in cases:
        check_case("circleci", c, circleci_verify, secret("wrong"), 1 if c["name"].endswith("signed_by_new") else 0)
    return cases


# --------------------------------------------------------------------------- buildkite

def buildkite_verify(headers, body, secret, now):
    """Buildkite docs (Verifying HMAC signatures): split `timestamp=..,signature=..`,
    hex HMAC-SHA256 over "#{timestamp}.#{body}" with the webhook token."""
    value = header({"headers": headers}, "x-buildkite-signature")
    parts = dict(kv.split("=", 1) for kv in value.split(","))
    parts = {k.strip(): v.strip() for k, v in parts.items()}
    if abs(now - int(parts["timestamp"])) > 300:
        return False
    want = hmac.new(secret.encode(), parts["timestamp"].encode() + b"." + body, "sha256").hexdigest()
    return hmac.compare_digest(want, parts["signature"])


def buildkite_cases():
    def secret(label):  # the notification service's Token (32 hex-like characters)
        return det_hex("buildkite-secret-" + label, 32)

    def build(label, event, at, state, message):
        return {
            "event": event,
            "build": {"id": det_uuid("bk-build-" + label), "graphql_id": "QnVpbGQtLS0" + det("bk-g-" + label, 20),
                      "url": "https://api.buildkite.com/v2/organizations/example/pipelines/hookgate/builds/1514",
                      "web_url": "https://buildkite.com/example/hookgate/builds/1514",
                      "number": 1514, "state": state, "blocked": False, "message": message,
                      "commit": det_hex("bk-commit-" + label, 40), "branch": "main",
                      "source": "webhook", "created_at": iso(at - 120, ".000"),
                      "started_at": iso(at - 100, ".000"),
                      "finished_at": iso(at, ".000") if event == "build.finished" else None},
            "pipeline": {"id": det_uuid("bk-pipeline"), "slug": "hookgate", "name": "hookgate"},
            "sender": {"id": det_uuid("bk-user"), "name": "Ada Lovelace"},
        }

    def mk(name, secrets, signer, ts, body):
        mac = hmac.new(signer.encode(), str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()
        hdrs = [("X-Buildkite-Event", json.loads(body).get("event", "ping")),
                ("X-Buildkite-Signature", f"timestamp={ts},signature={mac}")]
        return case(name, secrets, ts, hdrs, body, None)

    old, new = secret("old"), secret("new")
    cases = [
        mk("basic", [old], old, T0 + 500, compact(build("1", "build.finished", T0 + 499, "passed", "Bump deps"))),
        mk("large_1kib", [old], old, T0 + 7700,
           compact(build("2", "build.running", T0 + 7699, "running", filler(1100)))),
        mk("unicode_odd_whitespace", [old], old, T0 + 14900, odd_body(b'"event":"ping"')),
        mk("non_ascii_body", [old], old, T0 + 22100,
           compact(build("4", "build.finished", T0 + 22099, "failed",
                         "Corrige l'\u00e9chec \u2615 \u2014 \u4fee\u590d\u6784\u5efa"))),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29300,
           compact(build("5", "build.scheduled", T0 + 29299, "scheduled", "Nightly"))),
    ]
    for c in cases:
        check_case("buildkite", c, buildkite_verify, secret("wrong"), 1 if c["name"].endswith("signed_by_new") else 0)
    return cases


# --------------------------------------------------------------------------- terraform

def terraform_verify(headers, body, secret, now):
    """HCP Terraform / Terraform Enterprise docs (Notification Authenticity): the HMAC of
    the request body, SHA-512, keyed with the token; the docs' Ruby uses `hexdigest`."""
    got = header({"headers": headers}, "x-tfe-notification-signature")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha512).hexdigest())


def terraform_cases():
    def secret(label):  # the notification configuration's `token` (docs: SecureRandom.hex)
        return det_hex("terraform-secret-" + label, 32)

    def note(label, at, trigger, status, message, run_message="Add five new queue workers"):
        return {
            "payload_version": 1,
            "notification_configuration_id": "nc-" + det("tf-nc", 16),
            "run_url": "https://app.terraform.io/app/acme-org/my-workspace/runs/run-" + det("tf-run-" + label, 16),
            "run_id": "run-" + det("tf-run-" + label, 16),
            "run_message": run_message,
            "run_created_at": iso(at - 180, ".000"),
            "run_created_by": "sample-user",
            "workspace_id": "ws-" + det("tf-ws", 16),
            "workspace_name": "my-workspace",
            "organization_name": "acme-org",
            "notifications": [{"message": message, "trigger": trigger, "run_status": status,
                               "run_updated_at": iso(at, ".000"), "run_updated_by": "sample-user"}],
        }

    def mk(name, secrets, signer, ts, body):
        hdrs = [("X-TFE-Notification-Signature", hmac.new(signer.encode(), body, hashlib.sha512).hexdigest())]
        return case(name, secrets, ts, hdrs, body, None)

    old, new = secret("old"), secret("new")
    cases = [
        mk("basic", [old], old, T0 + 600, pretty(note("1", T0 + 600, "run:completed", "applied", "Applied"))),
        mk("large_1kib", [old], old, T0 + 7800,
           compact(note("2", T0 + 7800, "run:needs_attention", "planned", "Run Needs Attention",
                        run_message=filler(1100)))),
        mk("unicode_odd_whitespace", [old], old, T0 + 15000,
           odd_body(b'"payload_version":1,"notifications":[{"trigger":"verification"}]')),
        mk("non_ascii_body", [old], old, T0 + 22200,
           compact(note("4", T0 + 22200, "run:errored", "errored", "Run Errored",
                        run_message="D\u00e9ploiement \u2192 r\u00e9gion eu-west \u2615 \u90e8\u7f72"))),
        mk("rotation_route_old_new_signed_by_new", [old, new], new, T0 + 29400,
           compact(note("5", T0 + 29400, "run:created", "pending", "Run Created"))),
    ]
    for c in cases:
        check_case("terraform", c, terraform_verify, secret("wrong"), 1 if c["name"].endswith("signed_by_new") else 0)
    return cases


# --------------------------------------------------------------------------- simple body HMACs
# Senders that sign the raw body alone, with no timestamp: (header, hashlib name, encoding,
# prefix). Each verifier below is written from that sender's docs, separately from `body_mac`.

def body_mac(alg, enc, secret: str, body: bytes) -> str:
    d = hmac.new(secret.encode(), body, alg).digest()
    return d.hex() if enc == "hex" else b64(d)


def launchdarkly_verify(headers, body, secret, now):
    """LaunchDarkly docs (Sign a webhook): X-LD-Signature is the HMAC SHA256 hex digest of the
    payload, with the secret as the key."""
    got = header({"headers": headers}, "x-ld-signature")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())


def alchemy_verify(headers, body, secret, now):
    """Alchemy docs (isValidSignatureForStringBody): hex HMAC-SHA256 of the raw body keyed with
    the webhook's signing key."""
    got = header({"headers": headers}, "x-alchemy-signature")
    return hmac.compare_digest(got, hmac.new(secret.encode("utf-8"), body, "sha256").hexdigest())


def mongodb_verify(headers, body, secret, now):
    """Atlas docs (Integrate with Webhooks): X-MMS-Signature is the base64 HMAC-SHA-1 of the
    request body, made with the Webhook Secret; compare decoded bytes."""
    got = base64.b64decode(header({"headers": headers}, "x-mms-signature"))
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha1).digest())


def sonatype_verify(headers, body, secret, now):
    """Nexus Repository docs (Working With HMAC Payloads): hex HMAC-SHA1 digest of the body."""
    got = header({"headers": headers}, "x-nexus-webhook-signature")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha1).hexdigest())


def autodesk_verify(headers, body, secret, now):
    """APS docs (How to verify payload signature): 'sha1hash=' + hex HMAC-SHA1 of the body."""
    got = header({"headers": headers}, "x-adsk-signature")
    return hmac.compare_digest(got, "sha1hash=" + hmac.new(secret.encode(), body, "sha1").hexdigest())


def simple_cases(provider, sig_header, alg, enc, prefix, secret_fn, bodies, extra_headers,
                 event_id_of, verify):
    """`bodies`: (name, route secrets labels, signer label, ts, body). The rotation case's
    route holds old and new and is signed by new."""
    cases = []
    for name, labels, signer, ts, body in bodies:
        secrets = [secret_fn(x) for x in labels]
        sig = prefix + body_mac(alg, enc, secret_fn(signer), body)
        hdrs = list(extra_headers(name, body)) + [(sig_header, sig)]
        cases.append(case(name, secrets, ts, hdrs, body, event_id_of(name, body, hdrs)))
    for c in cases:
        check_case(provider, c, verify, secret_fn("wrong"), 1 if c["name"].endswith("signed_by_new") else 0)
    return cases


def json_id(ptr):
    def get(name, body, hdrs):
        try:
            v = json.loads(body)
            for part in ptr.strip("/").split("/"):
                v = v[part]
            return v if isinstance(v, str) and v else None
        except (ValueError, KeyError, TypeError):
            return None
    return get


def launchdarkly_cases():
    def secret(label):  # the webhook's secret (a UUID when LaunchDarkly generates one)
        return det_uuid("ld-secret-" + label)

    def entry(label, at_ms, kind, title, name, extra=None):
        eid = det_hex("ld-entry-" + label, 24)
        e = {
            "_links": {"canonical": {"href": "/api/v2/flags/default/" + name, "type": "application/json"},
                       "parent": {"href": "/api/v2/auditlog", "type": "application/json"},
                       "self": {"href": "/api/v2/auditlog/" + eid, "type": "application/json"},
                       "site": {"href": "/default/production/features/" + name, "type": "text/html"}},
            "_id": eid, "_accountId": det_hex("ld-account", 24), "date": at_ms,
            "accesses": [{"action": "updateOn", "resource": "proj/default:env/production:flag/" + name}],
            "kind": kind, "name": name, "description": "", "shortDescription": "",
            "member": {"_id": det_hex("ld-member", 24), "email": "ada@example.com",
                       "firstName": "Ada", "lastName": "Lovelace"},
            "titleVerb": "turned on the flag", "title": title,
            "target": {"name": name, "resources": ["proj/default:env/production:flag/" + name]},
        }
        e.update(extra or {})
        return e

    def b(label, at, **kw):
        return entry(label, at * 1000 + 42, **kw)

    bodies = [
        ("basic", ["old"], "old", T0 + 700,
         compact(b("1", T0 + 700, kind="flag", title="Ada turned on the flag new-checkout", name="new-checkout"))),
        ("large_1kib", ["old"], "old", T0 + 7900,
         compact(b("2", T0 + 7900, kind="flag", title="Ada updated the flag", name="pricing",
                   extra={"description": filler(1100)}))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15100,
         odd_body(b'"_id":"' + det_hex("ld-entry-3", 24).encode() + b'","kind":"segment"')),
        ("non_ascii_body", ["old"], "old", T0 + 22300,
         pretty(b("4", T0 + 22300, kind="flag", title="Jos\u00e9 a activ\u00e9 \u00ab nouveau-panier \u00bb \u2615",
                  name="nouveau-panier"))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 29500,
         compact(b("5", T0 + 29500, kind="member", title="Ada invited grace@example.com", name="grace"))),
    ]
    return simple_cases("launchdarkly", "X-LD-Signature", "sha256", "hex", "", secret, bodies,
                        lambda n, body: [], json_id("/_id"),
                        launchdarkly_verify)


def alchemy_cases():
    def secret(label):  # the webhook's signing key, "whsec_" + 24 alphanumerics
        return "whsec_" + det("alchemy-key-" + label, 24)

    def ev(label, at, typ, event):
        return {"webhookId": "wh_" + det("alchemy-wh", 16, "abcdefghijklmnopqrstuvwxyz0123456789"),
                "id": "whevt_" + det("alchemy-evt-" + label, 16, "abcdefghijklmnopqrstuvwxyz0123456789"),
                "createdAt": iso(at, ".306Z")[:-1], "type": typ, "event": event}

    def transfer(label, value, asset="ETH"):
        return {"fromAddress": "0x" + det_hex("alc-from-" + label, 40), "toAddress": "0x" + det_hex("alc-to-" + label, 40),
                "blockNum": "0x" + det_hex("alc-block-" + label, 7), "hash": "0x" + det_hex("alc-tx-" + label, 64),
                "value": value, "asset": asset, "category": "external",
                "rawContract": {"rawValue": "0x" + det_hex("alc-raw-" + label, 15), "decimals": 18}}

    bodies = [
        ("basic", ["old"], "old", T0 + 800,
         compact(ev("1", T0 + 800, "ADDRESS_ACTIVITY", {"network": "ETH_MAINNET", "activity": [transfer("1", 0.25)]}))),
        ("large_1kib", ["old"], "old", T0 + 8000,
         compact(ev("2", T0 + 8000, "ADDRESS_ACTIVITY",
                    {"network": "MATIC_MAINNET", "activity": [transfer(f"2-{i}", i + 0.5, "MATIC") for i in range(4)]}))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15200,
         odd_body(b'"id":"whevt_oddwhitespace01","type":"GRAPHQL"')),
        ("non_ascii_body", ["old"], "old", T0 + 22400,
         compact(ev("4", T0 + 22400, "NFT_ACTIVITY",
                    {"network": "ETH_MAINNET", "activity": [{"contractAddress": "0x" + det_hex("alc-nft", 40),
                                                             "tokenId": "0x2a", "category": "erc721",
                                                             "name": "Caf\u00e9 \u2615 #42 \u2014 \u732b"}]}))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 29600,
         compact(ev("5", T0 + 29600, "MINED_TRANSACTION",
                    {"appId": det("alc-app", 16), "network": "ETH_MAINNET",
                     "transaction": {"hash": "0x" + det_hex("alc-mined", 64), "nonce": "0x7"}}))),
    ]
    return simple_cases("alchemy", "X-Alchemy-Signature", "sha256", "hex", "", secret, bodies,
                        lambda n, body: [], json_id("/id"), alchemy_verify)


def mongodb_cases():
    def secret(label):  # the Webhook Secret typed into the Atlas integration
        return det("mongodb-secret-" + label, 32)

    def alert(label, at, status, typ, extra=None):
        a = {"alertConfigId": det_hex("mdb-config", 24), "clusterName": "Cluster0",
             "created": iso(at - 600), "eventTypeName": typ, "groupId": det_hex("mdb-group", 24),
             "id": det_hex("mdb-alert-" + label, 24), "lastNotified": iso(at),
             "links": [{"href": "https://cloud.mongodb.com/api/atlas/v1.0/groups/" + det_hex("mdb-group", 24)
                        + "/alerts/" + det_hex("mdb-alert-" + label, 24), "rel": "self"}],
             "replicaSetName": "atlas-abc123-shard-0", "status": status, "updated": iso(at)}
        a.update(extra or {})
        return a

    event_of = {"OPEN": "alert.open", "CLOSED": "alert.close", "INFORMATIONAL": "alert.inform"}

    bodies = [
        ("basic", ["old"], "old", T0 + 900,
         pretty(alert("1", T0 + 900, "OPEN", "OUTSIDE_METRIC_THRESHOLD",
                      {"metricName": "CONNECTIONS_PERCENT", "currentValue": {"number": 95.0, "units": "RAW"}}))),
        ("large_1kib", ["old"], "old", T0 + 8100,
         compact(alert("2", T0 + 8100, "OPEN", "HOST_DOWN", {"humanReadable": filler(1100)}))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15300,
         odd_body(b'"status":"INFORMATIONAL","eventTypeName":"PRIMARY_ELECTED"')),
        ("non_ascii_body", ["old"], "old", T0 + 22500,
         compact(alert("4", T0 + 22500, "CLOSED", "OUTSIDE_METRIC_THRESHOLD",
                       {"clusterName": "Producci\u00f3n-\u6771\u4eac", "metricName": "DISK_PARTITION_SPACE_USED_DATA"}))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 29700,
         compact(alert("5", T0 + 29700, "OPEN", "REPLICATION_OPLOG_WINDOW_RUNNING_OUT"))),
    ]

    def hdrs(name, body):
        status = json.loads(body).get("status", "INFORMATIONAL")
        return [("X-MMS-Event", event_of.get(status, "alert.inform"))]

    # Alert `id`s repeat across open/update/close of one alert: no event id, the body hash.
    return simple_cases("mongodb", "X-MMS-Signature", "sha1", "base64", "", secret, bodies, hdrs,
                        lambda n, b, h: None, mongodb_verify)


def sonatype_cases():
    def secret(label):  # the capability's Secret Key
        return det("sonatype-secret-" + label, 24)

    def asset(label, at, action, repo, name, fmt="npm"):
        aid = det_hex("nx-asset-" + label, 32)
        return {"timestamp": iso(at, ".664+0000")[:-1], "nodeId": "52905B51-085CCABB-CEBBEAAD-16795588-FC927D93",
                "initiator": "admin/127.0.0.1", "repositoryName": repo, "action": action,
                "asset": {"id": aid, "assetId": b64((repo + ":" + aid).encode()), "format": fmt, "name": name}}

    bodies = [
        ("basic", ["old"], "old", T0 + 1000, compact(asset("1", T0 + 1000, "CREATED", "npm-proxy", "concrete"))),
        ("large_1kib", ["old"], "old", T0 + 8200,
         compact({"nodeId": "7FFA7361-6ED33978-36997BD4-47095CC4-331356BE", "initiator": "admin/127.0.0.1",
                  "audit": {"domain": "security.user", "type": "created", "context": "grace",
                            "attributes": {"id": "grace", "name": "Grace Hopper", "email": "grace@example.com",
                                           "source": "default", "status": "active", "roles": "nx-admin",
                                           "note": filler(1000)}}})),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15400,
         odd_body(b'"repositoryName":"maven-releases","action":"UPDATED"')),
        ("non_ascii_body", ["old"], "old", T0 + 22600,
         compact(asset("4", T0 + 22600, "DELETED", "raw-hosted", "docs/caf\u00e9-\u2615/\u8bf4\u660e.pdf", "raw"))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 29800,
         compact(asset("5", T0 + 29800, "CREATED", "maven-releases", "org/example/widget/1.0.0/widget-1.0.0.jar",
                       "maven2"))),
    ]

    def hdrs(name, body):
        kind = "rm:global:audit" if b'"audit"' in body else "rm:repository:asset"
        return [("User-Agent", "Nexus/3.80.0-06 (OSS; Linux; 6.1.0; amd64; 17.0.14)"),
                ("X-Nexus-Webhook-Id", kind), ("X-Nexus-Webhook-Delivery", det_uuid("nx-delivery-" + name))]

    # event_id is the signed id: none. The tests read X-Nexus-Webhook-Delivery from the headers.
    return simple_cases("sonatype", "X-Nexus-Webhook-Signature", "sha1", "hex", "", secret, bodies, hdrs,
                        lambda n, b, h: None, sonatype_verify)


def autodesk_cases():
    def secret(label):  # the hook's secret token: 32 to 64 alphanumerics (APS docs)
        return det("adsk-token-" + label, 40)

    def callback(label, at, event, name):
        hook_id = det_uuid("adsk-hook")
        folder = "urn:adsk.wipprod:fs.folder:co." + det("adsk-folder", 22)
        return {
            "version": "1.0", "resourceUrn": "urn:adsk.wipprod:dm.lineage:" + det("adsk-lin-" + label, 22),
            "hook": {"hookId": hook_id, "tenant": folder, "callbackUrl": "https://hooks.example.com/hooks/autodesk",
                     "createdBy": det("adsk-user", 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                     "event": event, "createdDate": iso(T0 - 86400, ".000+0000")[:-1], "system": "data",
                     "creatorType": "Application", "status": "active", "scope": {"folder": folder},
                     "urn": "urn:adsk.webhooks:events.hook:" + hook_id,
                     "__self__": "/systems/data/events/" + event + "/hooks/" + hook_id},
            "payload": {"ext": "rvt", "name": name, "version": "3", "folderUrn": folder,
                        "lastModifiedTime": iso(at, ".000+0000")[:-1],
                        "creator": det("adsk-user", 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                        "source": "urn:adsk.wipprod:fs.file:vf." + det("adsk-file-" + label, 22) + "?version=3"},
        }

    bodies = [
        ("basic", ["old"], "old", T0 + 1100, compact(callback("1", T0 + 1100, "dm.version.added", "tower.rvt"))),
        ("large_1kib", ["old"], "old", T0 + 8300,
         compact(callback("2", T0 + 8300, "dm.version.modified", "bridge-" + filler(500) + ".rvt"))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15500, odd_body(b'"version":"1.0","hook":{"event":"dm.folder.added"}')),
        ("non_ascii_body", ["old"], "old", T0 + 22700,
         compact(callback("4", T0 + 22700, "dm.version.added", "b\u00e2timent-\u00e9t\u00e9 \u2615 \u5efa\u7b51.rvt"))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 29900,
         compact(callback("5", T0 + 29900, "dm.version.deleted", "old.rvt"))),
    ]
    return simple_cases("autodesk", "x-adsk-signature", "sha1", "hex", "sha1hash=", secret, bodies,
                        lambda n, body: [], lambda n, b, h: None, autodesk_verify)


def clearbit_verify(headers, body, secret, now):
    """clearbit-ruby `Clearbit::Webhook.valid?`: 'sha1=' + hex HMAC-SHA1 of the body, keyed
    with the API key after stripping a leading `sk_`/`pk_` (hookgate's secret is that
    stripped key, so the route holds it without the prefix)."""
    got = header({"headers": headers}, "x-request-signature")
    key = secret[3:] if secret[:3] in ("sk_", "pk_") else secret
    return hmac.compare_digest(got, "sha1=" + hmac.new(key.encode(), body, hashlib.sha1).hexdigest())


def clearbit_cases():
    def secret(label):  # the secret API key minus its `sk_` prefix (32 hex characters)
        return det_hex("clearbit-key-" + label, 32)

    def person(label, given, family, extra=None):
        p = {"id": det_hex("cb-person-" + label, 8) + "-" + det_hex("cb-p2-" + label, 4),
             "name": {"fullName": f"{given} {family}", "givenName": given, "familyName": family},
             "email": f"{label}@example.com", "location": "San Francisco, CA, US",
             "employment": {"domain": "example.com", "name": "Example", "title": "Engineer"}}
        p.update(extra or {})
        return p

    def hook(webhook_id, typ, status, body):
        return {"id": webhook_id, "type": typ, "body": body, "status": status}

    bodies = [
        ("basic", ["old"], "old", T0 + 1200, compact(hook("user-1", "person", 200, person("alex", "Alex", "MacCaw")))),
        ("large_1kib", ["old"], "old", T0 + 8400,
         compact(hook("user-2", "person", 200, person("grace", "Grace", "Hopper", {"bio": filler(1000)})))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15600, odd_body(b'"id":"user-3","type":"company"')),
        ("non_ascii_body", ["old"], "old", T0 + 22800,
         compact(hook("user-4", "person", 200, person("jose", "Jos\u00e9", "N\u00fa\u00f1ez \u674e")))),
        # The clearbit-ruby spec's body shape: a lookup that found nothing.
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30000,
         compact({"id": "123", "type": "person", "body": None, "status": 404})),
    ]
    return simple_cases("clearbit", "X-Request-Signature", "sha1", "hex", "sha1=", secret, bodies,
                        lambda n, body: [], lambda n, b, h: None, clearbit_verify)


def sigsci_verify(headers, body, secret, now):
    """Fastly Signal Sciences docs (Generic Webhooks, X-SigSci-Signature Header): an
    HMAC-SHA256 hex digest of the payload with the integration's signing key."""
    got = header({"headers": headers}, "x-sigsci-signature")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())


def signal_sciences_cases():
    def secret(label):  # generated by Signal Sciences when the webhook is created
        return det_hex("sigsci-key-" + label, 32)

    def note(label, at, typ, payload):
        return {"created": iso(at)[:-1] + "-08:00", "type": typ, "payload": payload,
                "link": "https://dashboard.signalsciences.net/corps/example/sites/www/events/"
                + det_hex("sigsci-ev-" + label, 24)}

    bodies = [
        ("basic", ["old"], "old", T0 + 1300,
         compact(note("1", T0 + 1300, "flag", {"id": det_hex("sigsci-flag-1", 24), "remoteIP": "198.51.100.7",
                                               "reasons": {"SQLI": 12}, "action": "flagged"}))),
        ("large_1kib", ["old"], "old", T0 + 8500,
         compact(note("2", T0 + 8500, "agentAlert", {"message": filler(1100)}))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15700, odd_body(b'"type":"newSite"')),
        ("non_ascii_body", ["old"], "old", T0 + 22900,
         compact(note("4", T0 + 22900, "listCreated", {"name": "Liste bloqu\u00e9e \u2615 \u9ed1\u540d\u5355",
                                                      "entries": ["203.0.113.9"]}))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30100,
         compact(note("5", T0 + 30100, "flag", {"id": det_hex("sigsci-flag-5", 24), "action": "flagged"}))),
    ]
    return simple_cases("signal-sciences", "X-SigSci-Signature", "sha256", "hex", "", secret, bodies,
                        lambda n, body: [], lambda n, b, h: None, sigsci_verify)


def conformity_verify(headers, body, secret, now):
    """Trend Micro Cloud One Conformity docs (Webhook Communication): X-Conformity-Signature is
    the HMAC hexdigest (sha-256) of the payload with the security token as key. The docs hash
    `JSON.stringify(PAYLOAD_BODY)`, i.e. the compact JSON Conformity sends."""
    got = header({"headers": headers}, "x-conformity-signature")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())


def trendmicro_conformity_cases():
    def secret(label):  # the Webhook Security Token: base64 characters only (docs)
        return b64(det_bytes("conformity-token-" + label, 24))

    def check(label, at, rule, status, extra=None):
        c = {"id": "ccc:" + det_hex("cfy-acct", 12) + ":" + rule + ":EC2:us-east-1:i-" + det_hex("cfy-" + label, 17),
             "organisationId": det("cfy-org", 9), "accountId": det("cfy-acct-id", 9),
             "ruleId": rule, "ruleTitle": "Unrestricted SSH Access", "riskLevel": "VERY_HIGH",
             "status": status, "region": "us-east-1", "resource": "sg-" + det_hex("cfy-sg-" + label, 17),
             "message": "Security group allows unrestricted inbound access on TCP port 22",
             "lastUpdatedDate": (at * 1000), "link": "https://cloudone.trendmicro.com/conformity/"}
        c.update(extra or {})
        return c

    bodies = [
        ("basic", ["old"], "old", T0 + 1400, compact(check("1", T0 + 1400, "EC2-001", "FAILURE"))),
        ("large_1kib", ["old"], "old", T0 + 8600,
         compact(check("2", T0 + 8600, "EC2-002", "FAILURE", {"message": filler(1100)}))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15800, odd_body(b'"ruleId":"S3-001","status":"SUCCESS"')),
        ("non_ascii_body", ["old"], "old", T0 + 23000,
         compact(check("4", T0 + 23000, "RDS-001", "FAILURE",
                       {"message": "Chiffrement d\u00e9sactiv\u00e9 \u2615 \u52a0\u5bc6\u672a\u542f\u7528"}))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30200,
         compact(check("5", T0 + 30200, "IAM-001", "SUCCESS"))),
    ]
    return simple_cases("trendmicro-conformity", "X-Conformity-Signature", "sha256", "hex", "", secret, bodies,
                        lambda n, body: [], lambda n, b, h: None, conformity_verify)


def segment_verify(headers, body, secret, now):
    """Segment docs (Webhooks and Webhooks (Actions) destinations): X-Signature is a
    hex-encoded SHA1 HMAC of the request body with the shared secret."""
    got = header({"headers": headers}, "x-signature")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha1).hexdigest())


def segment_cases():
    def secret(label):  # the destination's Shared Secret, chosen by you
        return det("segment-secret-" + label, 32)

    def track(label, at, event, props, user="user-42"):
        # Segment sends the event as JSON.stringify makes it: compact.
        return {"anonymousId": det_uuid("seg-anon-" + label),
                "context": {"library": {"name": "analytics.js", "version": "2.11.1"}, "ip": "203.0.113.7"},
                "event": event, "integrations": {}, "messageId": "ajs-" + det_hex("seg-msg-" + label, 32),
                "originalTimestamp": iso(at - 1, ".123"), "properties": props,
                "receivedAt": iso(at, ".456"), "sentAt": iso(at - 1, ".200"), "timestamp": iso(at - 1, ".379"),
                "type": "track", "userId": user}

    bodies = [
        ("basic", ["old"], "old", T0 + 1500, compact(track("1", T0 + 1500, "Order Completed", {"total": 42.5, "currency": "EUR"}))),
        ("large_1kib", ["old"], "old", T0 + 8700,
         compact(track("2", T0 + 8700, "Article Viewed", {"title": "Long read", "excerpt": filler(1000)}))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15900, odd_body(b'"type":"identify","userId":"user-7"')),
        ("non_ascii_body", ["old"], "old", T0 + 23100,
         compact(track("4", T0 + 23100, "Produit ajout\u00e9", {"name": "Caf\u00e9 \u2615 \u62ff\u94c1", "price": 3.2},
                       user="jos\u00e9"))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30300,
         compact(track("5", T0 + 30300, "Signed Up", {"plan": "pro"}))),
    ]
    return simple_cases("segment", "X-Signature", "sha1", "hex", "", secret, bodies,
                        lambda n, body: [], json_id("/messageId"), segment_verify)


# --------------------------------------------------------------------------- main

# --------------------------------------------------------------------------- dwolla

def dwolla_verify(headers, body, secret, now):
    """Dwolla docs (Validating webhooks): X-Request-Signature-SHA-256 is the hex SHA-256 HMAC of
    the request body, keyed with the subscription's secret."""
    got = header({"headers": headers}, "x-request-signature-sha-256")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())


def dwolla_cases():
    def secret(label):  # the `secret` the integrator passes to POST /webhook-subscriptions
        return det("dwolla-secret-" + label, 32)

    api = "https://api-sandbox.dwolla.com"

    def event(label, topic, at, kind, extra=None):
        eid, rid = det_uuid("dwolla-event-" + label), det_uuid("dwolla-resource-" + label)
        e = {"id": eid, "resourceId": rid, "topic": topic, "timestamp": iso(at, ".407"),
             "_links": {"self": {"href": f"{api}/events/{eid}"},
                        "account": {"href": f"{api}/accounts/{det_uuid('dwolla-account')}"},
                        "resource": {"href": f"{api}/{kind}/{rid}"},
                        "customer": {"href": f"{api}/customers/{det_uuid('dwolla-customer')}"}},
             "created": iso(at, ".407")}
        e.update(extra or {})
        return e

    bodies = [
        ("basic", ["old"], "old", T0 + 1200, compact(event("1", "customer_created", T0 + 1199, "customers"))),
        ("large_1kib", ["old"], "old", T0 + 8400,
         compact(event("2", "customer_transfer_completed", T0 + 8399, "transfers", {"note": filler(1100)}))),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15600,
         odd_body(b'"id":"' + det_uuid("dwolla-event-3").encode() + b'","topic":"customer_verified"')),
        ("non_ascii_body", ["old"], "old", T0 + 22800,
         pretty(event("4", "customer_funding_source_added", T0 + 22799, "funding-sources",
                      {"name": "Caf\u00e9 \u2615 Checking \u2014 \u4e2d\u6587"}))),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30000,
         compact(event("5", "transfer_created", T0 + 29999, "transfers"))),
    ]

    def hdrs(name, body):
        return [("Content-Type", "application/json")]

    return simple_cases("dwolla", "X-Request-Signature-SHA-256", "sha256", "hex", "", secret, bodies, hdrs,
                        json_id("/id"), dwolla_verify)


# --------------------------------------------------------------------------- hookdeck

def hookdeck_verify(headers, body, secret, now):
    """Hookdeck (webhook-skills hookdeck-event-gateway-webhooks): x-hookdeck-signature is the
    base64 HMAC-SHA256 of the raw body, keyed with the project's signing secret."""
    got = header({"headers": headers}, "x-hookdeck-signature")
    return hmac.compare_digest(got, b64(hmac.new(secret.encode(), body, hashlib.sha256).digest()))


def hookdeck_cases():
    def secret(label):  # Settings > Secrets: the project's signing secret
        return det("hookdeck-secret-" + label, 32)

    # Hookdeck forwards the original sender's body unchanged: bodies of a few kinds.
    bodies = [
        ("basic", ["old"], "old", T0 + 1500,
         compact({"id": "evt_" + det("hookdeck-body-1", 24), "type": "invoice.paid", "object": "event"})),
        ("large_1kib", ["old"], "old", T0 + 8700,
         compact({"event": "push", "ref": "refs/heads/main", "log": filler(1100)})),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 15900, odd_body(b'"event":"order.created"')),
        ("non_ascii_body", ["old"], "old", T0 + 23100,
         compact({"type": "message", "text": "Jos\u00e9 \u2192 \u674e\u96f7 \U0001f680", "lang": "es"})),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30300,
         compact({"type": "customer.updated", "id": det_uuid("hookdeck-body-5")})),
    ]

    def hdrs(name, body):
        return [("Content-Type", "application/json"),
                ("x-hookdeck-eventid", "evt_" + det("hookdeck-event-" + name, 20)),
                ("x-hookdeck-requestid", "req_" + det("hookdeck-request-" + name, 20)),
                ("x-hookdeck-attempt-count", "1"),
                ("x-hookdeck-source-name", "shop"),
                ("x-hookdeck-verified", "true")]

    # event_id: no signed id (x-hookdeck-eventid is unsigned, like sonatype's delivery header).
    return simple_cases("hookdeck", "x-hookdeck-signature", "sha256", "base64", "", secret, bodies, hdrs,
                        lambda n, b, h: None, hookdeck_verify)


# --------------------------------------------------------------------------- cal-com

def cal_com_verify(headers, body, secret, now):
    """calcom/cal.com sendPayload.ts createWebhookSignature: hex HMAC-SHA256 of the body string,
    keyed with the webhook's secret."""
    got = header({"headers": headers}, "x-cal-signature-256")
    return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())


def cal_com_cases():
    def secret(label):  # the webhook's secret: whatever the user types in Settings > Developer > Webhooks
        return det("cal-secret-" + label, 24)

    def booking(label, trigger, at, title, extra=None):
        p = {"type": "30min", "title": title, "description": "", "startTime": iso(at + 86400),
             "endTime": iso(at + 88200),
             "organizer": {"id": 5, "name": "Ada Lovelace", "email": "ada@example.com",
                           "timeZone": "Europe/London", "language": {"locale": "en"}, "utcOffset": 0},
             "attendees": [{"email": "grace@example.com", "name": "Grace Hopper",
                            "timeZone": "America/New_York", "language": {"locale": "en"}, "utcOffset": -300}],
             "uid": det("cal-uid-" + label, 22), "bookingId": 1000 + len(label), "status": "ACCEPTED"}
        p.update(extra or {})
        # sendPayload: JSON.stringify({triggerEvent, createdAt, payload}): compact, in this order.
        return compact({"triggerEvent": trigger, "createdAt": iso(at, ".000"), "payload": p})

    bodies = [
        ("basic", ["old"], "old", T0 + 1800, booking("1", "BOOKING_CREATED", T0 + 1800, "30 Min Meeting")),
        ("large_1kib", ["old"], "old", T0 + 9000,
         booking("2", "BOOKING_RESCHEDULED", T0 + 9000, "Planning", {"additionalNotes": filler(1100)})),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 16200, odd_body(b'"triggerEvent":"MEETING_ENDED"')),
        ("non_ascii_body", ["old"], "old", T0 + 23400,
         booking("4", "BOOKING_CANCELLED", T0 + 23400, "R\u00e9union \u2615 \u4f1a\u8bae",
                 {"cancellationReason": "D\u00e9sol\u00e9 \u2014 \u6539\u671f"})),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30600,
         booking("5", "BOOKING_CREATED", T0 + 30600, "Intro")),
    ]

    def hdrs(name, body):
        return [("Content-Type", "application/json")]

    return simple_cases("cal-com", "X-Cal-Signature-256", "sha256", "hex", "", secret, bodies, hdrs,
                        lambda n, b, h: None, cal_com_verify)


# --------------------------------------------------------------------------- easypost

def easypost_verify(headers, body, secret, now):
    """EasyPost webhooks guide + client libraries: X-Hmac-Signature is 'hmac-sha256-hex=' and
    the hex HMAC-SHA256 of the body, keyed with the webhook_secret (NFKD-normalised, UTF-8)."""
    got = header({"headers": headers}, "x-hmac-signature")
    key = unicodedata.normalize("NFKD", secret).encode()
    return hmac.compare_digest(got, "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest())


def easypost_sdk_check(c, signer_index):
    """PyPI easypost validate_webhook: accepts the signing secret, raises for the others."""
    body = base64.b64decode(c["body_b64"])
    hdrs = dict(c["headers"])  # the SDK reads headers.get("X-Hmac-Signature"): exact case
    for i, s in enumerate(c["secrets"]):
        try:
            easypost.util.validate_webhook(body, hdrs, s)
            ok = True
        except easypost.errors.SignatureVerificationError:
            ok = False
        assert ok == (i == signer_index), f"easypost/{c['name']}: SDK gave {ok} for secret {i}"
    try:
        easypost.util.validate_webhook(body + b" ", hdrs, c["secrets"][signer_index])
        raise AssertionError(f"easypost/{c['name']}: SDK accepted a changed body")
    except easypost.errors.SignatureVerificationError:
        pass


def easypost_cases():
    def secret(label):  # the webhook_secret given when creating or updating the webhook
        return det("easypost-secret-" + label, 32)

    def event(label, at, description, result, status="pending"):
        # An Event as the webhooks guide's "Webhook POST JSON" shows it. pending_urls,
        # completed_urls, status and updated_at change between attempts; id does not.
        return {"description": description, "mode": "test", "previous_attributes": {"status": "pre_transit"},
                "created_at": iso(at), "pending_urls": ["https://example.com/easypost-webhook"],
                "completed_urls": [], "updated_at": iso(at), "id": "evt_" + det_hex("easypost-evt-" + label, 32),
                "user_id": "user_" + det_hex("easypost-user", 32), "status": status, "object": "Event",
                "result": result}

    def tracker(label, at, status, detail, extra=None):
        t = {"id": "trk_" + det_hex("easypost-trk-" + label, 32), "object": "Tracker", "mode": "test",
             "tracking_code": "EZ" + det("easypost-code-" + label, 16, "0123456789"), "status": status,
             "status_detail": detail, "created_at": iso(at - 3600), "updated_at": iso(at),
             "carrier": "USPS", "tracking_details": []}
        t.update(extra or {})
        return t

    e1 = event("1", T0 + 2100, "tracker.updated", tracker("1", T0 + 2100, "in_transit", "arrived_at_facility"))
    e2 = event("2", T0 + 9300, "tracker.updated",
               tracker("2", T0 + 9300, "out_for_delivery", "out_for_delivery",
                       {"tracking_details": [{"object": "TrackingDetail", "message": filler(1100),
                                              "status": "in_transit", "datetime": iso(T0 + 9000)}]}))
    e4 = event("4", T0 + 23700, "tracker.updated",
               tracker("4", T0 + 23700, "delivered", "arrived_at_destination",
                       {"signed_by": "Jos\u00e9 M\u00fcller", "tracking_details": [
                           {"object": "TrackingDetail", "message": "Livr\u00e9 \u2014 \u5df2\u7b7e\u6536 \u2705",
                            "status": "delivered", "datetime": iso(T0 + 23600)}]}))
    e5 = event("5", T0 + 30900, "batch.updated",
               {"id": "batch_" + det_hex("easypost-batch", 32), "object": "Batch", "state": "purchased",
                "num_shipments": 3, "mode": "test"})
    oid = "evt_" + det_hex("easypost-evt-3", 32)
    bodies = [
        ("basic", ["old"], "old", T0 + 2100, compact(e1)),
        ("large_1kib", ["old"], "old", T0 + 9300, compact(e2)),
        ("unicode_odd_whitespace", ["old"], "old", T0 + 16500,
         odd_body(b'"id":"' + oid.encode() + b'","object":"Event","description":"refund.successful"')),
        ("non_ascii_body", ["old"], "old", T0 + 23700, pretty(e4)),
        ("rotation_route_old_new_signed_by_new", ["old", "new"], "new", T0 + 30900, compact(e5)),
    ]

    def hdrs(name, body):
        return [("Content-Type", "application/json")]

    cases = simple_cases("easypost", "X-Hmac-Signature", "sha256", "hex", "hmac-sha256-hex=", secret, bodies,
                         hdrs, json_id("/id"), easypost_verify)
    for c in cases:
        easypost_sdk_check(c, 1 if c["name"].endswith("signed_by_new") else 0)
    return cases


def main(out_dir):
    emit(out_dir, "openai",
         "no OpenAI signer: Standard Webhooks HMAC (Python stdlib) over '{webhook-id}.{webhook-timestamp}.{body}' "
         "with the whsec_ secret base64-decoded; every case verified by PyPI openai==3.63.0 "
         "client.webhooks.verify_signature (and unwrap) at a frozen clock, and by a separate stdlib verifier",
         openai_cases())
    emit(out_dir, "replicate",
         "no Replicate signer: Standard Webhooks HMAC (Python stdlib) as replicate.com/docs/topics/webhooks/verify-webhook "
         "describes; every case verified by npm replicate@1.4.0 validateWebhook (check_replicate.mjs) and a separate "
         "stdlib verifier",
         replicate_cases())
    emit(out_dir, "workos",
         "no WorkOS signer: HMAC-SHA256 hex over '{t}.{body}' (t in ms) in 'WorkOS-Signature: t=.., v1=..' (Python stdlib); "
         "every case verified by PyPI workos==10.8.0 webhooks verify_header at a frozen clock and a separate stdlib verifier",
         workos_cases())
    emit(out_dir, "heroku",
         "no Heroku signer: base64 HMAC-SHA256 of the body (Python stdlib) in Heroku-Webhook-Hmac-SHA256 as "
         "devcenter.heroku.com/articles/app-webhooks describes; bodies after devcenter webhook-events examples",
         heroku_cases())
    emit(out_dir, "circleci",
         "no CircleCI signer: hex HMAC-SHA256 of the body (Python stdlib) as 'circleci-signature: v1=..' per "
         "circleci.com/docs outbound webhooks 'Validate webhooks', including its documented hello world vector",
         circleci_cases())
    emit(out_dir, "buildkite",
         "no Buildkite signer: hex HMAC-SHA256 over '{timestamp}.{body}' (Python stdlib) in "
         "'X-Buildkite-Signature: timestamp=..,signature=..' per buildkite.com/docs/apis/webhooks/pipelines",
         buildkite_cases())
    emit(out_dir, "terraform",
         "no HashiCorp signer: hex HMAC-SHA512 of the body (Python stdlib) in X-TFE-Notification-Signature per "
         "developer.hashicorp.com/terraform/cloud-docs/api-docs/notification-configurations (Notification Authenticity)",
         terraform_cases())

    emit(out_dir, "launchdarkly",
         "no LaunchDarkly signer: hex HMAC-SHA256 of the body (Python stdlib) in X-LD-Signature per "
         "launchdarkly.com/docs/home/infrastructure/webhooks (Sign a webhook); bodies after the audit-log entry sample",
         launchdarkly_cases())
    emit(out_dir, "alchemy",
         "no Alchemy signer: hex HMAC-SHA256 of the body (Python stdlib) in X-Alchemy-Signature per Alchemy's "
         "Notify docs (the alchemy-sdk has no verifier); bodies after the ADDRESS_ACTIVITY / NFT_ACTIVITY samples",
         alchemy_cases())
    emit(out_dir, "mongodb",
         "no MongoDB signer: base64 HMAC-SHA1 of the body (Python stdlib) in X-MMS-Signature per "
         "mongodb.com/docs/atlas/tutorial/webhook-integration; bodies after the Atlas alert resource",
         mongodb_cases())
    emit(out_dir, "sonatype",
         "no Sonatype signer: hex HMAC-SHA1 of the body (Python stdlib) in X-Nexus-Webhook-Signature per "
         "help.sonatype.com Nexus Repository webhooks (Working With HMAC Payloads, Example Headers And Payloads)",
         sonatype_cases())
    emit(out_dir, "autodesk",
         "no Autodesk signer: 'sha1hash=' + hex HMAC-SHA1 of the body (Python stdlib) in x-adsk-signature per "
         "aps.autodesk.com/en/docs/webhooks/v1/tutorials/how-to-verify-payload-signature",
         autodesk_cases())
    emit(out_dir, "clearbit",
         "no Clearbit signer in Python: 'sha1=' + hex HMAC-SHA1 of the body (Python stdlib) in X-Request-Signature, "
         "as clearbit/clearbit-ruby lib/clearbit/webhook.rb generate_signature computes it (key: the API key minus sk_)",
         clearbit_cases())
    emit(out_dir, "signal-sciences",
         "no Signal Sciences signer: hex HMAC-SHA256 of the body (Python stdlib) in X-SigSci-Signature per "
         "docs.fastly.com/signalsciences/integrations/generic-webhooks",
         signal_sciences_cases())
    emit(out_dir, "trendmicro-conformity",
         "no Trend Micro signer: hex HMAC-SHA256 of the (compact JSON) body (Python stdlib) in X-Conformity-Signature "
         "per cloudone.trendmicro.com/docs/conformity/webhook-communication",
         trendmicro_conformity_cases())
    emit(out_dir, "segment",
         "no Segment signer in Python: hex HMAC-SHA1 of the body (Python stdlib) in X-Signature, as the Webhooks "
         "destinations' docs and segmentio/action-destinations webhook extendRequest (createHmac('sha1', sharedSecret)"
         ".update(JSON.stringify(data)) over the single event sent) compute it",
         segment_cases())
    emit(out_dir, "dwolla",
         "no Dwolla signer: hex HMAC-SHA256 of the body (Python stdlib) in X-Request-Signature-SHA-256 per "
         "developers.dwolla.com Validating webhooks; bodies after its Event examples",
         dwolla_cases())
    emit(out_dir, "hookdeck",
         "no Hookdeck signer: base64 HMAC-SHA256 of the body (Python stdlib) in x-hookdeck-signature per "
         "hookdeck/webhook-skills hookdeck-event-gateway-webhooks",
         hookdeck_cases())
    emit(out_dir, "cal-com",
         "no Cal.com SDK: hex HMAC-SHA256 of the body (Python stdlib) in X-Cal-Signature-256 as calcom/cal.com "
         "packages/features/webhooks/lib/sendPayload.ts createWebhookSignature computes it",
         cal_com_cases())
    emit(out_dir, "easypost",
         "no EasyPost signer: 'hmac-sha256-hex=' + hex HMAC-SHA256 of the body (Python stdlib) in X-Hmac-Signature; "
         "every case verified by PyPI easypost==10.7.0 util.validate_webhook and a separate stdlib verifier",
         easypost_cases())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen.py OUT_DIR")
    main(sys.argv[1])
