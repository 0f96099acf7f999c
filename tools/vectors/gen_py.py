#!/usr/bin/env python3
"""Generate stripe.json, standard-webhooks.json and svix.json with the providers' own SDKs.

Run through generate.sh (it builds the pinned venv). Usage: gen_py.py OUT_DIR

Every signature in the output comes from the SDK's signing function; every case is
then verified again with the SDK's own verifier at a frozen clock (signed_at), and
with a wrong secret (must fail).  Nothing here reads the current time.
"""

import contextlib
import hashlib
import json
import os
import sys
import types
from datetime import datetime, timezone
from importlib.metadata import version

from fixtures import b64, case, compact, det_bytes, pretty
from fixtures import write as write_fixture

import stripe
import stripe._webhook as stripe_webhook_mod
import standardwebhooks
import standardwebhooks.webhooks as swh_mod
import svix.webhooks

PINS = {"stripe": "16.1.0", "standardwebhooks": "1.1.0", "svix": "2.9.1"}
for _pkg, _want in PINS.items():
    _have = version(_pkg)
    if _have != _want:
        sys.exit(f"gen_py: {_pkg}=={_have} installed, expected {_want} (run generate.sh)")


# --------------------------------------------------------------------------- helpers

def write(out_dir, provider, generator, cases):
    path = write_fixture(out_dir, provider, provider, generator, cases)
    print(f"gen_py: wrote {path} ({len(cases)} cases)")


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def det_b62(label: str, n: int) -> str:
    """Deterministic base62 string derived from a label (test secrets, ids)."""
    out, counter = "", 0
    while len(out) < n:
        digest = hashlib.sha256(f"{label}#{counter}".encode()).digest()
        out += "".join(_B62[b % 62] for b in digest)
        counter += 1
    return out[:n]


def stripe_secret(label: str) -> str:
    # Dashboard-style: whsec_ + 32 alphanumerics.  The suffix is also valid base64
    # on purpose, so an implementation that wrongly base64-decodes it gets a wrong
    # key instead of an error.
    return "whsec_" + det_b62("stripe-secret-" + label, 32)


def sw_secret(label: str, nbytes: int = 24) -> str:
    # Standard Webhooks / Svix: whsec_ + standard base64 of the raw key bytes
    # (Svix shows 24-byte keys = 32 chars; a 32-byte key ends in "=").
    return "whsec_" + b64(det_bytes("sw-secret-" + label, nbytes))


# Body with raw multi-byte UTF-8 *and* JSON \u escapes (as literal backslash text in the
# raw bytes), tabs, CRLF line endings, spaces around ':' and a trailing newline.  Any
# implementation that re-serialises or normalises the body breaks the signature.
def odd_body(header_line: str, inner: str) -> bytes:
    text = header_line + inner
    return text.encode("utf-8")


# --------------------------------------------------------------------------- Stripe

STRIPE_GENERATOR = (
    "PyPI stripe==16.1.0 stripe.WebhookSignature.generate_signature_header; "
    "cross-checked with stripe.Webhook.construct_event (PyPI) and "
    "webhooks.generateTestHeaderString/constructEvent (npm stripe@23.1.0)"
)


@contextlib.contextmanager
def stripe_clock(now: int):
    """Freeze the clock stripe._webhook reads (it calls time.time())."""
    real = stripe_webhook_mod.time
    stripe_webhook_mod.time = types.SimpleNamespace(time=lambda: float(now))
    try:
        yield
    finally:
        stripe_webhook_mod.time = real


def stripe_header(body: bytes, ts: int, signers, v0_secret=None) -> str:
    """Stripe-Signature value.  One v1= per signing secret, each produced by
    generate_signature_header (which emits exactly one `t=..,v1=..`); the v1 parts are
    joined the way Stripe sends them while a secret is being rolled."""
    parts = [f"t={ts}"]
    for secret in signers:
        # NB: the SDK wants str; passing bytes silently signs "t.b'...'".
        single = stripe.WebhookSignature.generate_signature_header(
            body.decode("utf-8"), secret, timestamp=ts
        )
        t_part, v1_part = single.split(",")
        assert t_part == f"t={ts}" and v1_part.startswith("v1="), single
        parts.append(v1_part)
    if v0_secret is not None:
        # Test-mode deliveries also carry a legacy v0= entry that receivers must ignore.
        parts.append("v0=" + stripe.WebhookSignature._compute_signature(
            f"{ts}.{body.decode('utf-8')}", v0_secret))
    return ",".join(parts)


def stripe_check(c, body: bytes, header: str, signers, thin=False):
    """Verify with the SDK at the frozen clock: every route secret that signed
    must verify, every one that did not must fail, a wrong secret must fail, and
    the timestamp must be rejected 301 s later (tolerance 300)."""
    ts = c["signed_at"]
    payload = body  # bytes: construct_event/verify_header decode UTF-8 themselves

    def verify(secret, now):
        with stripe_clock(now):
            if thin:
                return stripe.WebhookSignature.verify_header(payload, header, secret, 300)
            ev = stripe.Webhook.construct_event(payload, header, secret, tolerance=300)
            assert ev["id"] == c["event_id"], (ev["id"], c["event_id"])
            return True

    ok_any = False
    for secret in c["secrets"]:
        try:
            verify(secret, ts)
            ok = True
        except stripe.SignatureVerificationError:
            ok = False
        assert ok == (secret in signers), (c["name"], secret, ok)
        ok_any |= ok
    assert ok_any, c["name"]
    for bad in ("whsec_" + det_b62("stripe-wrong", 32),):
        try:
            verify(bad, ts)
            raise AssertionError(f"{c['name']}: wrong secret verified")
        except stripe.SignatureVerificationError:
            pass
    good = next(s for s in c["secrets"] if s in signers)
    verify(good, ts + 300)
    try:
        verify(good, ts + 301)
        raise AssertionError(f"{c['name']}: stale timestamp accepted")
    except stripe.SignatureVerificationError:
        pass


def stripe_cases():
    cases = []
    sec = stripe_secret("primary")
    old, new = stripe_secret("rolled-old"), stripe_secret("rolled-new")
    cli = "whsec_" + det_bytes("stripe-cli", 32).hex()  # `stripe listen` style secret

    def add(name, secrets, ts, body, signers, v0_secret=None, thin=False, event_id=None):
        header = stripe_header(body, ts, signers, v0_secret)
        ev_id = json.loads(body)["id"] if event_id is None else event_id
        c = case(name, secrets, ts, [("Stripe-Signature", header)], body, ev_id)
        stripe_check(c, body, header, signers, thin=thin)
        cases.append(c)

    def event(evt_id, etype, created, obj, api_version="2025-10-29.clover", request_id=None):
        return {
            "id": evt_id,
            "object": "event",
            "api_version": api_version,
            "created": created,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": request_id, "idempotency_key": None if request_id is None
                        else "8b3c5f0e-6a0d-4c1e-9d2a-2f7e0c1b4a55"},
            "type": etype,
        }

    pi = {
        "id": "pi_3SXmQ2LkdIwHu7ix0Zr4aB1c",
        "object": "payment_intent",
        "amount": 2000,
        "amount_received": 2000,
        "currency": "eur",
        "customer": "cus_TQp4vS0mY3nK2d",
        "description": "Order #1042",
        "latest_charge": "ch_3SXmQ2LkdIwHu7ix0wQ9e8Rt",
        "metadata": {"order_id": "1042"},
        "payment_method_types": ["card"],
        "status": "succeeded",
    }
    # 1. Stripe's usual delivery: pretty-printed, 2-space indent, no trailing newline.
    add("basic", [sec], 1764000000,
        pretty(event("evt_3SXmQ2LkdIwHu7ix0nE8fT2p", "payment_intent.succeeded",
                     1763999998, pi, request_id="req_Gx7Lq2VbN4tR9s")),
        [sec])
    # 2. Compact body, different clock.
    add("compact_body", [sec], 1764003600,
        compact(event("evt_1SXnA4LkdIwHu7ixKq2Wm9Zs", "customer.created", 1764003599, {
            "id": "cus_TQp4vS0mY3nK2d", "object": "customer", "email": "jenny.rosen@example.com",
            "name": "Jenny Rosen", "created": 1764003599, "livemode": False})),
        [sec])
    # 3. Non-ASCII + odd whitespace: raw UTF-8 (é, ☕, 🎉), JSON \u escapes of the same
    #    characters as literal text, tabs, CRLF, spaces around ':', trailing newline.
    odd = (
        '{\r\n'
        '\t"id" : "evt_1SXoB7LkdIwHu7ixUn1c0dE5",\r\n'
        '\t"object" :\t"event",\r\n'
        '\t"api_version": "2025-10-29.clover",  \r\n'
        '\t"created": 1764007199,\r\n'
        '\t"data": { "object": {\r\n'
        '\t\t"id": "cus_TQqZ0b3Ue8mV1x", "object": "customer",\r\n'
        '\t\t"name": "Zoë Café ☕",\r\n'
        '\t\t"description": "caf\\u00e9 \\u2615 \\ud83c\\udf89 vs raw: café ☕ 🎉",\r\n'
        '\t\t"metadata": { "note": "  spaces  \\t tab \\n newline  ", "ñandú": "Ω≈ç√" }\r\n'
        '\t} },\r\n'
        '\t"livemode": false, "pending_webhooks": 2,\r\n'
        '\t"request": { "id": null, "idempotency_key": null },\r\n'
        '\t"type": "customer.updated"\r\n'
        '}\r\n'
    ).encode("utf-8")
    add("unicode_odd_whitespace", [sec], 1764007200, odd, [sec])
    # 4. ~1 KiB invoice.paid.
    lines = [{
        "id": f"il_1SXp{n}LkdIwHu7ix{det_b62('il' + str(n), 8)}",
        "object": "line_item",
        "amount": 1500 * n,
        "currency": "usd",
        "description": f"{n} × Seat (Tier {n})",
        "quantity": n,
    } for n in (1, 2)]
    inv = {
        "id": "in_1SXpC1LkdIwHu7ixR5t7Yu9I",
        "object": "invoice",
        "amount_due": 4500,
        "amount_paid": 4500,
        "currency": "usd",
        "customer": "cus_TQp4vS0mY3nK2d",
        "customer_email": "billing@example.com",
        "lines": {"object": "list", "data": lines, "has_more": False, "total_count": 2},
        "number": "A1B2C3D4-0007",
        "status": "paid",
    }
    add("large_1kib", [sec], 1764010800,
        pretty(event("evt_1SXpC1LkdIwHu7ixPz8Lk3Mn", "invoice.paid", 1764010797, inv)),
        [sec])
    # 5. Stripe CLI (`stripe listen`) style secret: whsec_ + 64 hex.
    add("cli_secret", [cli], 1764014400,
        pretty(event("evt_1SXqD5LkdIwHu7ix3Fg6Hj8K", "charge.refunded", 1764014399, {
            "id": "ch_3SXmQ2LkdIwHu7ix0wQ9e8Rt", "object": "charge", "amount": 2000,
            "amount_refunded": 2000, "currency": "eur", "refunded": True})),
        [cli])
    # 6. Test-mode header with a legacy v0= entry (signed with an unrelated secret) after v1.
    add("v1_plus_legacy_v0", [sec], 1764018000,
        pretty(event("evt_1SXrE9LkdIwHu7ixQw2Er4Ty", "checkout.session.completed", 1764017999, {
            "id": "cs_test_a1B2c3D4e5F6g7H8i9J0", "object": "checkout.session",
            "amount_total": 4200, "currency": "gbp", "payment_status": "paid",
            "status": "complete"})),
        [sec], v0_secret="whsec_" + det_b62("stripe-v0-legacy", 32))
    # 7. Secret rolling: Stripe signs with both secrets -> two v1= (new first, then old).
    roll_body = pretty(event("evt_1SYvF2LkdIwHu7ixMn5Bv7Cx", "payment_intent.payment_failed",
                             1764086398, dict(pi, id="pi_3SYvF2LkdIwHu7ix1Aa2Bb3C",
                                              status="requires_payment_method",
                                              amount_received=0)))
    add("rotation_two_v1_route_old_new", [old, new], 1764086400, roll_body, [new, old])
    # 8. Route holds [old, new], Stripe already signs with the new secret only.
    add("rotation_route_old_new_signed_by_new", [old, new], 1764090000,
        pretty(event("evt_1SYwG3LkdIwHu7ixTy6Ui8Op", "customer.deleted", 1764089999, {
            "id": "cus_TQqZ0b3Ue8mV1x", "object": "customer", "deleted": True})),
        [new])
    # 9. Route holds [old, new], sender still signs with the old secret only.
    add("rotation_route_old_new_signed_by_old", [old, new], 1764093600,
        pretty(event("evt_1SYxH4LkdIwHu7ixAs9Df1Gh", "customer.subscription.updated",
                     1764093599, {"id": "sub_1SYxH4LkdIwHu7ixZx2Cv3Bn",
                                  "object": "subscription", "status": "active",
                                  "cancel_at_period_end": True})),
        [old])
    # 10. Sender sends two v1= (old + new); route already holds only the new secret.
    add("rotation_two_v1_route_new_only", [new], 1764097200,
        compact(event("evt_1SYyJ5LkdIwHu7ixLk4Jh6Gf", "payout.paid", 1764097199, {
            "id": "po_1SYyJ5LkdIwHu7ixPo9Iu8Yt", "object": "payout", "amount": 125000,
            "currency": "eur", "status": "paid"})),
        [old, new])
    # 11. Thin event (event destinations, v2 API): same header scheme, body is a
    #     v2.core.event notification (construct_event refuses it, so verify_header is used).
    thin = compact({
        "id": "evt_test_65SYzK6LkdIwHu7ixAbCdEfGhIjKlMnOpQrStUvWxYz",
        "object": "v2.core.event",
        "type": "v1.billing.meter.error_report_triggered",
        "livemode": False,
        "created": "2025-11-25T20:00:00.000Z",
        "related_object": {"id": "mtr_test_61SYzK6LkdIwHu7ix", "type": "billing.meter",
                           "url": "/v1/billing/meters/mtr_test_61SYzK6LkdIwHu7ix"},
    })
    add("thin_event_v2", [sec], 1764100800, thin, [sec], thin=True)
    return cases


# --------------------------------------------------------------------------- Standard Webhooks / Svix

@contextlib.contextmanager
def sw_clock(now: int):
    """Freeze datetime.now() inside standardwebhooks.webhooks (svix delegates to it)."""
    real = swh_mod.datetime

    class Frozen(real):
        @classmethod
        def now(cls, tz=None):
            return real.fromtimestamp(now, tz=tz or timezone.utc)

    swh_mod.datetime = Frozen
    try:
        yield
    finally:
        swh_mod.datetime = real


def sw_ts(ts: int) -> datetime:
    # Must be a UTC-aware (or naive-UTC) datetime: sign() does .replace(tzinfo=utc),
    # it does not convert, so a non-UTC aware datetime would sign the wrong number.
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def sw_family(prefix, webhook_cls, verify_exc):
    """Build cases for either header family.  prefix = 'webhook' or 'svix'."""
    cases = []
    H_ID, H_TS, H_SIG = f"{prefix}-id", f"{prefix}-timestamp", f"{prefix}-signature"
    sec = sw_secret(prefix + "-primary")
    sec32 = sw_secret(prefix + "-32byte", 32)
    old, new = sw_secret(prefix + "-rolled-old"), sw_secret(prefix + "-rolled-new")

    def sign(secret, msg_id, ts, body: bytes):
        # NB: sign() wants str; bytes would silently sign "b'...'".
        return webhook_cls(secret).sign(msg_id, sw_ts(ts), body.decode("utf-8"))

    def add(name, secrets, msg_id, ts, body, signers, expect_sig=None):
        sigs = [sign(s, msg_id, ts, body) for s in signers]
        for s in sigs:
            assert s.startswith("v1,"), s
        header_sig = " ".join(sigs)
        if expect_sig is not None:
            assert header_sig == expect_sig, (name, header_sig, expect_sig)
        headers = [(H_ID, msg_id), (H_TS, str(ts)), (H_SIG, header_sig)]
        c = case(name, secrets, ts, headers, body, msg_id)
        hdict = dict(headers)
        ok_any = False
        for secret in secrets:
            with sw_clock(ts):
                try:
                    webhook_cls(secret).verify(body, hdict)
                    ok = True
                except verify_exc:
                    ok = False
            assert ok == (secret in signers), (name, secret, ok)
            ok_any |= ok
        assert ok_any, name
        good = next(s for s in secrets if s in signers)
        for bad_now in (ts - 301, ts + 301):  # libs reject both too old and too new
            with sw_clock(bad_now):
                try:
                    webhook_cls(good).verify(body, hdict)
                    raise AssertionError(f"{name}: out-of-window timestamp accepted")
                except verify_exc:
                    pass
        with sw_clock(ts):
            try:
                webhook_cls(sw_secret("wrong")).verify(body, hdict)
                raise AssertionError(f"{name}: wrong secret verified")
            except verify_exc:
                pass
        cases.append(c)

    def msg_id(label):
        return "msg_" + det_b62(prefix + "-msg-" + label, 27)

    # 1. Known-answer vector from standard-webhooks' own test-suite (test_sign_function).
    add("documented_vector", ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}',
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        expect_sig="v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    # 2. Basic: spec-style envelope {type, timestamp, data}, compact.
    add("basic", [sec], msg_id("basic"), 1764000000, compact({
        "type": "invoice.paid",
        "timestamp": "2025-11-24T15:59:59.123456Z",
        "data": {"id": "inv_2b9Qx7", "amount": 4200, "currency": "USD",
                 "customer_id": "cust_8f3kL1"},
    }), [sec])
    # 3. Pretty-printed body.
    add("pretty_body", [sec], msg_id("pretty"), 1764003600, pretty({
        "type": "contact.created",
        "timestamp": "2025-11-24T16:59:58.000000Z",
        "data": {"id": "ct_4hN2pQ", "email": "ada@example.org", "tags": ["beta", "vip"]},
    }), [sec])
    # 4. Non-ASCII + odd whitespace.
    odd = (
        '{ "type" :"user.renamed",\r\n'
        '\t"timestamp":"2025-11-24T17:59:59Z" ,\r\n'
        '  "data": {\t"old_name": "Zoë Café ☕",  "new_name" : "caf\\u00e9 \\u2615 \\ud83c\\udf89",\r\n'
        '     "raw": "café ☕ 🎉 — ñandú Ω≈ç√", "ws": "  a\\tb\\nc  " }  }\n'
    ).encode("utf-8")
    add("unicode_odd_whitespace", [sec], msg_id("unicode"), 1764007200, odd, [sec])
    # 5. ~1 KiB.
    items = [{"sku": f"SKU-{n:04d}", "name": f"Widget {n} – Größe {n}", "qty": n,
              "unit_price": 1999 + n} for n in range(1, 12)]
    add("large_1kib", [sec], msg_id("large"), 1764010800, compact({
        "type": "order.completed",
        "timestamp": "2025-11-24T19:59:58.500000Z",
        "data": {"id": "ord_9Xk2mB7qLp", "customer": {"id": "cust_8f3kL1",
                                                       "email": "buyer@example.com"},
                 "items": items, "total": sum(i["qty"] * i["unit_price"] for i in items),
                 "currency": "EUR"},
    }), [sec])
    # 6. 32-byte key: its base64 ends in '=' padding.
    add("secret_32_bytes_padded", [sec32], msg_id("sec32"), 1764014400, compact({
        "type": "endpoint.test", "timestamp": "2025-11-24T21:00:00Z", "data": {"ping": True},
    }), [sec32])
    # 7. Rotation: two space-separated v1 signatures (new, old); route holds [old, new].
    add("rotation_two_signatures_route_old_new", [old, new], msg_id("rot2"), 1764086400, compact({
        "type": "invoice.paid", "timestamp": "2025-11-25T15:59:59Z",
        "data": {"id": "inv_7Rt5Yu", "amount": 990, "currency": "USD"},
    }), [new, old])
    # 8. Route holds [old, new]; only the new secret signs.
    add("rotation_route_old_new_signed_by_new", [old, new], msg_id("rotnew"), 1764090000, compact({
        "type": "invoice.voided", "timestamp": "2025-11-25T16:59:59Z",
        "data": {"id": "inv_3Ee4Rr"},
    }), [new])
    # 9. Route holds [old, new]; only the old secret signs.
    add("rotation_route_old_new_signed_by_old", [old, new], msg_id("rotold"), 1764093600, compact({
        "type": "invoice.created", "timestamp": "2025-11-25T17:59:59Z",
        "data": {"id": "inv_5Tt6Yy"},
    }), [old])
    # 10. Sender signs with [old, new]; route holds only the new secret.
    add("rotation_two_signatures_route_new_only", [new], msg_id("rotnewonly"), 1764097200, compact({
        "type": "invoice.paid", "timestamp": "2025-11-25T18:59:59Z",
        "data": {"id": "inv_8Uu9Ii", "amount": 5000, "currency": "USD"},
    }), [old, new])
    return cases


# --------------------------------------------------------------------------- main

def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_py.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(out, "stripe", STRIPE_GENERATOR, stripe_cases())
    write(out, "standard-webhooks",
          "PyPI standardwebhooks==1.1.0 standardwebhooks.Webhook(secret).sign; "
          "cross-checked with standardwebhooks.Webhook.verify",
          sw_family("webhook", standardwebhooks.Webhook, standardwebhooks.WebhookVerificationError))
    write(out, "svix",
          "PyPI svix==2.9.1 svix.webhooks.Webhook(secret).sign; "
          "cross-checked with svix.webhooks.Webhook.verify",
          sw_family("svix", svix.webhooks.Webhook, svix.webhooks.WebhookVerificationError))


if __name__ == "__main__":
    main()
