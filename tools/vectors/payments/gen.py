#!/usr/bin/env python3
"""Vectors of payment / billing senders: checkout, gocardless, paystack, lemonsqueezy, onfido,
modern-treasury, lithic, polar, brex, aftership, chargify, bolt, castle, worldline, orb, recurly
and persona.

Run by gen.sh (it builds the pinned venv from requirements.txt).  Usage: gen.py OUT_DIR

Each case is signed with the SDK's own signer where it has one (Modern Treasury
`webhooks.get_signature`, `standardwebhooks.Webhook.sign` for Lithic, whose SDK verifies with
it), else with the stdlib call the sender's docs / SDK verifier describe.  Then every case is
checked by an independent verifier: the SDK's own where there is one (GoCardless
`webhooks.parse_with_meta`, Onfido `WebhookEventVerifier.read_payload`, Modern Treasury
`webhooks.validate_signature`, Lithic `webhooks.verify_signature` and Orb
`webhooks.verify_signature` at a frozen clock), else a separate docs-following verifier
(Checkout.com, Paystack, Lemon Squeezy, Persona; Recurly's is a port of its Ruby client's).  For every case: one
of the route secrets verifies it (exactly the one its name says), a wrong secret fails, and a
body with one byte flipped fails.  Nothing reads the clock; secrets and ids come from labels.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import types
from datetime import datetime, timezone
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # fixtures.py
from fixtures import case, compact, det_bytes, header, pretty  # noqa: E402
from fixtures import write as write_fixture  # noqa: E402

PINS = {
    "gocardless_pro": "3.22.0",
    "onfido-python": "6.2.0",
    "modern-treasury": "1.80.0",
    "lithic": "0.133.0",
    "standardwebhooks": "1.3.0",
    "polar-sdk": "1.0.2",
    "castle": "7.3.0",
    "onlinepayments-sdk-python3": "10.3.0",
    "orb-billing": "4.90.0",
}
for _pkg, _want in PINS.items():
    _have = version(_pkg)
    if _have != _want:
        sys.exit(f"payments/gen.py: {_pkg}=={_have} installed, expected {_want} (run gen.sh)")

import gocardless_pro.webhooks as gc_webhooks  # noqa: E402
from castle.errors import WebhookVerificationError as CastleVerificationError  # noqa: E402
from castle.webhooks.verify import WebhooksVerify as CastleWebhooksVerify  # noqa: E402
from onlinepayments.sdk.communication.request_header import RequestHeader as WlHeader  # noqa: E402
from onlinepayments.sdk.webhooks.in_memory_secret_key_store import InMemorySecretKeyStore  # noqa: E402
from onlinepayments.sdk.webhooks.signature_validation_exception import (  # noqa: E402
    SignatureValidationException as WlSignatureError,
)
from onlinepayments.sdk.webhooks.signature_validator import SignatureValidator as WlValidator  # noqa: E402
from gocardless_pro.errors import InvalidSignatureError as GcInvalidSignature  # noqa: E402
import lithic  # noqa: E402
import modern_treasury  # noqa: E402
import polar.webhooks as polar_webhooks_mod  # noqa: E402
from polar.v2026_10.webhooks import validate_event as polar_validate_event  # noqa: E402
from polar.webhooks import PolarWebhookError, PolarWebhookVerificationError  # noqa: E402
import orb  # noqa: E402
import orb.resources.webhooks.webhooks as orb_webhooks_mod  # noqa: E402
import standardwebhooks  # noqa: E402
import standardwebhooks.webhooks as swh_mod  # noqa: E402
from onfido.webhook_event_verifier import (  # noqa: E402
    OnfidoInvalidSignatureError,
    WebhookEventVerifier,
)

BASE_TS = 1764000000  # 2025-11-24T16:00:00Z; every case is signed at BASE_TS + k * 7200 + 700


# --------------------------------------------------------------------------- helpers

def det_chars(label: str, n: int, alphabet: str) -> str:
    return "".join(alphabet[b % len(alphabet)] for b in det_bytes(label, n))


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UPPER_NUM = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def det_hex(label: str, n: int) -> str:
    return det_bytes(label, (n + 1) // 2).hex()[:n]


def det_uuid(label: str) -> str:
    h = det_hex(label, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def iso(ts: int, millis: int = 0) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def hmac_hex(alg, key: str, body: bytes) -> str:
    return hmac.new(key.encode("utf-8"), body, alg).hexdigest()


def flip(body: bytes) -> bytes:
    """The body with one byte changed (in the middle, staying ASCII where it was)."""
    i = len(body) // 2
    return body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1:]


def odd_body(extra: bytes = b"") -> bytes:
    """Raw multi-byte UTF-8, the same characters as escape text, tabs, CRLF, spaces around ':'
    and a trailing newline: any re-serialisation breaks the signature."""
    return (
        b'{' + extra + b'"note" : "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x8e\x89" ,\r\n'
        b'\t"escaped":"caf\\u00e9 \\u2615 \\ud83c\\udf89",\t"n" : 1.50 }\n'
    )


def pad_to_1kib(make):
    """Calls make(n) with a growing repeat count until the body is 1024..1300 bytes."""
    n = 1
    while True:
        body = make(n)
        if len(body) >= 1024:
            assert len(body) <= 1300, len(body)
            return body
        n += 1


WRONG = "wrong-secret-" + det_hex("payments/wrong", 24)


def check_case(provider, c, accepts):
    """`accepts(secret, headers, body)` is an independent verifier (the SDK's where there is
    one). Exactly the secret the case name implies verifies; a wrong secret and a flipped body
    byte fail."""
    body = base64.b64decode(c["body_b64"])
    secrets = c["secrets"]
    hits = [i for i, s in enumerate(secrets) if accepts(s, c["headers"], body)]
    name = c["name"]
    if "signed_by_new" in name:
        want = [1]
    elif "two_signatures_route_old_new" in name:
        want = [0, 1]
    else:
        want = [0]
    assert hits == want, f"{provider}/{name}: secrets verifying {hits}, expected {want}"
    assert not accepts(WRONG, c["headers"], body), f"{provider}/{name}: wrong secret verified"
    for s in secrets:
        assert not accepts(s, c["headers"], flip(body)), f"{provider}/{name}: flipped body verified"


def write(out_dir, provider, generator, cases, accepts):
    for c in cases:
        check_case(provider, c, accepts)
    path = write_fixture(out_dir, provider, provider, generator, cases)
    print(f"payments/gen.py: wrote {path} ({len(cases)} cases)")


def ts_of(k: int) -> int:
    return BASE_TS + k * 7200 + 700


# --------------------------------------------------------------------------- Checkout.com

def gen_checkout(out):
    """`Cko-Signature: hex(HMAC-SHA256(key, body))`; the key is whatever the merchant typed in
    the workflow's webhook action (raw text). No SDK signs or verifies: checkout-sdk (PyPI /
    npm) has no webhook verifier."""
    old = det_chars("checkout/secret/old", 32, B62)
    new = det_chars("checkout/secret/new", 32, B62)

    def event(k, typ, data_extra=None, pretty_body=False):
        eid = "evt_" + det_chars(f"checkout/evt/{k}", 26, "abcdefghijklmnopqrstuvwxyz234567")
        pid = "pay_" + det_chars(f"checkout/pay/{k}", 26, "abcdefghijklmnopqrstuvwxyz234567")
        data = {
            "id": pid,
            "action_id": "act_" + det_chars(f"checkout/act/{k}", 26, "abcdefghijklmnopqrstuvwxyz234567"),
            "amount": 6540,
            "currency": "EUR",
            "processed_on": iso(ts_of(k) - 2, 123),
            "reference": f"ORD-{5000 + k}",
            "response_code": "10000",
            "response_summary": "Approved",
            "metadata": {},
        }
        if data_extra:
            data.update(data_extra)
        obj = {
            "id": eid,
            "type": typ,
            "version": "1.0.33",
            "created_on": iso(ts_of(k) - 1, 456),
            "data": data,
            "_links": {
                "self": {"href": f"https://api.checkout.com/workflows/events/{eid}"},
                "subject": {"href": f"https://api.checkout.com/workflows/events/subject/{pid}"},
            },
        }
        return (pretty(obj) if pretty_body else compact(obj)), eid

    def sign(key, body):
        return [("Cko-Signature", hmac_hex(hashlib.sha256, key, body))]

    cases = []
    body, eid = event(0, "payment_approved")
    cases.append(case("payment_approved", [old], ts_of(0), sign(old, body), body, eid))
    body, eid = event(1, "payment_captured", pretty_body=True)
    cases.append(case("payment_captured_pretty", [old], ts_of(1), sign(old, body), body, eid))
    body = pad_to_1kib(lambda n: event(2, "payment_approved", {"metadata": {f"line_{i}": "Café crème ☕ x2" for i in range(n)}})[0])
    eid = json.loads(body)["id"]
    cases.append(case("large_1kib", [old], ts_of(2), sign(old, body), body, eid))
    body = odd_body(b'"type":"payment_approved",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), sign(old, body), body, None))
    body, eid = event(4, "payment_declined", {"response_summary": "Refusé — 拒绝 🚫", "customer": {"name": "Zoë Ångström"}})
    cases.append(case("non_ascii_declined", [old], ts_of(4), sign(old, body), body, eid))
    body, eid = event(5, "payment_refunded")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), sign(new, body), body, eid))
    body, eid = event(6, "payment_approved")
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), sign(old, body), body, eid))

    def accepts(secret, headers, body):
        # As checkout.com/docs/developer-resources/webhooks says: hash the raw body with
        # HMAC-SHA256 under the signature key, compare with the hex `Cko-Signature`.
        got = [v for k, v in headers if k.lower() == "cko-signature"][0]
        want = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(got.lower(), want)

    write(out, "checkout", "no Checkout.com webhook verifier in checkout-sdk: Python stdlib hmac, "
          "hex HMAC-SHA256 of the raw body in Cko-Signature, as checkout.com/docs/developer-resources/"
          "webhooks/manage-webhooks/set-up-your-webhook-receiver describes; checked by a separate "
          "docs-following verifier", cases, accepts)


# --------------------------------------------------------------------------- GoCardless

def gen_gocardless(out):
    """`Webhook-Signature: hex(HMAC-SHA256(endpoint secret, body))`; gocardless_pro
    `webhooks.parse_with_meta(body, secret, signature)` verifies."""
    old = det_chars("gocardless/secret/old", 40, B62 + "_-")
    new = det_chars("gocardless/secret/new", 40, B62 + "_-")

    def gc_id(prefix, label):
        return prefix + det_chars(label, 12, UPPER_NUM)

    def ev(k, j, resource, action, cause, description, link_key, link_prefix):
        return {
            "id": gc_id("EV", f"gocardless/ev/{k}/{j}"),
            "created_at": iso(ts_of(k) - 5 - j, 54),
            "resource_type": resource,
            "action": action,
            "links": {link_key: gc_id(link_prefix, f"gocardless/{link_key}/{k}/{j}")},
            "details": {"origin": "gocardless", "cause": cause, "description": description},
            "metadata": {},
            "resource_metadata": {},
        }

    def webhook(k, events, pretty_body=False):
        wid = gc_id("WB", f"gocardless/wb/{k}")
        obj = {"events": events, "meta": {"webhook_id": wid}}
        return (pretty(obj) if pretty_body else compact(obj)), wid

    def headers(key, body):
        return [
            ("Origin", "https://api.gocardless.com"),
            ("User-Agent", "gocardless-webhook-service/1.2"),
            ("Webhook-Signature", hmac_hex(hashlib.sha256, key, body)),
        ]

    paid = ("payments", "paid_out", "payment_paid_out",
            "The payment has been paid out by GoCardless.", "payment", "PM")
    cases = []
    body, wid = webhook(0, [ev(0, 0, *paid)])
    cases.append(case("payment_paid_out", [old], ts_of(0), headers(old, body), body, wid))
    mandate = ("mandates", "active", "mandate_activated",
               "The time window after submission for the banks to refuse a mandate has ended "
               "without any errors being received, so this mandate is now active.", "mandate", "MD")
    body, wid = webhook(1, [ev(1, 0, *mandate), ev(1, 1, *paid)], pretty_body=True)
    cases.append(case("two_events_pretty", [old], ts_of(1), headers(old, body), body, wid))
    body = pad_to_1kib(lambda n: webhook(2, [ev(2, j, *paid) for j in range(n)])[0])
    wid = json.loads(body)["meta"]["webhook_id"]
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, wid))
    body = odd_body(b'"events":[],\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    e = ev(4, 0, "payments", "failed", "insufficient_funds",
           "Paiement refusé : solde insuffisant — 残高不足 💸", "payment", "PM")
    e["resource_metadata"] = {"client": "Jürgen Øster"}
    body, wid = webhook(4, [e])
    cases.append(case("non_ascii_failed", [old], ts_of(4), headers(old, body), body, wid))
    body, wid = webhook(5, [ev(5, 0, *paid)])
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, wid))
    body, wid = webhook(6, [ev(6, 0, *mandate)])
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, wid))
    # Older webhooks carried no `meta`: the dedup key falls back to the body hash.
    body = compact({"events": [ev(7, 0, *paid)]})
    cases.append(case("no_meta", [old], ts_of(7), headers(old, body), body, None))

    def accepts(secret, headers, body):
        sig = [v for k, v in headers if k.lower() == "webhook-signature"][0]
        try:
            gc_webhooks.parse_with_meta(body, secret, sig)
            return True
        except GcInvalidSignature:
            return False
        except (ValueError, KeyError, TypeError):
            # The signature verified (it is checked before parsing), but the body is not a
            # webhook the SDK parses into events (the odd-whitespace case has no event objects).
            return True

    write(out, "gocardless", "PyPI gocardless_pro==3.22.0: Python stdlib hmac signs (hex HMAC-SHA256 of "
          "the body, as the SDK's verifier computes it); gocardless_pro.webhooks.parse_with_meta "
          "verifies every case", cases, accepts)


# --------------------------------------------------------------------------- Paystack

def gen_paystack(out):
    """`x-paystack-signature: hex(HMAC-SHA512(secret key, body))`. No official Paystack SDK
    verifies webhooks; the docs give the Node/PHP snippet this follows."""
    old = "sk_test_" + det_hex("paystack/secret/old", 40)
    new = "sk_live_" + det_hex("paystack/secret/new", 40)

    def charge(k, extra=None, pretty_body=False, event="charge.success"):
        data = {
            "id": 4099260000 + k,
            "domain": "test",
            "status": "success",
            "reference": det_chars(f"paystack/ref/{k}", 10, "abcdefghijklmnopqrstuvwxyz0123456789"),
            "amount": 40333,
            "message": None,
            "gateway_response": "Successful",
            "paid_at": iso(ts_of(k) - 3),
            "created_at": iso(ts_of(k) - 40),
            "channel": "card",
            "currency": "NGN",
            "ip_address": "41.242.49.37",
            "metadata": 0,
            "fees": None,
            "customer": {
                "id": 84312,
                "first_name": "Bojack",
                "last_name": "Horseman",
                "email": "bojack@horsinaround.com",
                "customer_code": "CUS_" + det_chars(f"paystack/cus/{k}", 15, "abcdefghijklmnopqrstuvwxyz0123456789"),
                "phone": None,
                "metadata": None,
                "risk_action": "default",
            },
            "authorization": {
                "authorization_code": "AUTH_" + det_chars(f"paystack/auth/{k}", 10, "abcdefghijklmnopqrstuvwxyz0123456789"),
                "bin": "408408",
                "last4": "4081",
                "exp_month": "12",
                "exp_year": "2030",
                "card_type": "visa DEBIT",
                "bank": "Test Bank",
                "country_code": "NG",
                "brand": "visa",
                "reusable": True,
            },
        }
        if extra:
            data.update(extra)
        obj = {"event": event, "data": data}
        return pretty(obj) if pretty_body else compact(obj)

    def headers(key, body):
        return [("x-paystack-signature", hmac_hex(hashlib.sha512, key, body))]

    cases = []
    body = charge(0)
    cases.append(case("charge_success", [old], ts_of(0), headers(old, body), body, None))
    body = charge(1, pretty_body=True)
    cases.append(case("charge_success_pretty", [old], ts_of(1), headers(old, body), body, None))
    body = pad_to_1kib(lambda n: charge(2, {"metadata": {"cart": [{"item": "Jollof rice ×2", "qty": i} for i in range(n)]}}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, None))
    body = odd_body(b'"event":"charge.success",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    body = charge(4, {"gateway_response": "Réussi — 成功 ✅", "metadata": {"customer_name": "Adébáyọ̀ Ọlátúnjí"}})
    cases.append(case("non_ascii_charge", [old], ts_of(4), headers(old, body), body, None))
    body = charge(5, event="transfer.success")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, None))
    body = charge(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, None))

    def accepts(secret, headers, body):
        # paystack.com/docs/payments/webhooks: crypto.createHmac('sha512', secret)
        # .update(JSON.stringify(req.body)).digest('hex') == x-paystack-signature, over the
        # raw body here (the snippet's re-serialisation only works for Paystack's own compact
        # output).
        got = [v for k, v in headers if k.lower() == "x-paystack-signature"][0]
        return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha512).hexdigest())

    write(out, "paystack", "no Paystack SDK verifies webhooks: Python stdlib hmac, hex HMAC-SHA512 of the "
          "raw body under the secret key in x-paystack-signature, as paystack.com/docs/payments/"
          "webhooks describes; checked by a separate docs-following verifier", cases, accepts)


# --------------------------------------------------------------------------- Lemon Squeezy

def gen_lemonsqueezy(out):
    """`X-Signature: hex(HMAC-SHA256(signing secret, body))`, the secret being what the user
    typed (6-40 chars). @lemonsqueezy/lemonsqueezy.js has no webhook verifier."""
    old = det_chars("lemonsqueezy/secret/old", 24, B62)
    new = det_chars("lemonsqueezy/secret/new", 40, B62 + "!#%&*+-=?@^_")

    def order(k, event="order_created", attrs=None, pretty_body=False):
        a = {
            "store_id": 1,
            "customer_id": 7 + k,
            "identifier": det_uuid(f"lemonsqueezy/order/{k}"),
            "order_number": 1000 + k,
            "user_name": "Darlene Daugherty",
            "user_email": "darlene@example.com",
            "currency": "USD",
            "subtotal": 999,
            "tax": 200,
            "total": 1199,
            "status": "paid",
            "refunded": False,
            "test_mode": True,
            "created_at": iso(ts_of(k) - 2, 0).replace(".000Z", ".000000Z"),
            "updated_at": iso(ts_of(k) - 2, 0).replace(".000Z", ".000000Z"),
        }
        if attrs:
            a.update(attrs)
        obj = {
            "meta": {"test_mode": True, "event_name": event,
                     "webhook_id": det_uuid("lemonsqueezy/webhook")},
            "data": {
                "type": "orders",
                "id": str(1000 + k),
                "attributes": a,
                "links": {"self": f"https://api.lemonsqueezy.com/v1/orders/{1000 + k}"},
            },
        }
        return pretty(obj) if pretty_body else compact(obj)

    def headers(key, body, event="order_created"):
        return [("X-Event-Name", event), ("X-Signature", hmac_hex(hashlib.sha256, key, body))]

    cases = []
    body = order(0)
    cases.append(case("order_created", [old], ts_of(0), headers(old, body), body, None))
    body = order(1, "order_refunded", {"refunded": True}, pretty_body=True)
    cases.append(case("order_refunded_pretty", [old], ts_of(1), headers(old, body, "order_refunded"), body, None))
    body = pad_to_1kib(lambda n: order(2, attrs={"first_order_item": {"product_name": "Pro plan — annual ✨", "notes": ["renewal"] * n}}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, None))
    body = odd_body(b'"meta":{"event_name":"order_created"},\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    body = order(4, attrs={"user_name": "Søren Kierkegård", "status_formatted": "Payé ✔ 已付款"})
    cases.append(case("non_ascii_order", [old], ts_of(4), headers(old, body), body, None))
    body = order(5, "subscription_payment_success")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5),
                      headers(new, body, "subscription_payment_success"), body, None))
    body = order(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, None))

    def accepts(secret, headers, body):
        # docs.lemonsqueezy.com/help/webhooks/signing-requests: HMAC-SHA256 hex digest of the
        # raw body, compared with X-Signature by timingSafeEqual.
        got = [v for k, v in headers if k.lower() == "x-signature"][0]
        return hmac.compare_digest(got.encode(), hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode())

    write(out, "lemonsqueezy", "no Lemon Squeezy SDK verifies webhooks: Python stdlib hmac, hex HMAC-SHA256 "
          "of the raw body in X-Signature, as docs.lemonsqueezy.com/help/webhooks/signing-requests "
          "describes; checked by a separate docs-following verifier", cases, accepts)


# --------------------------------------------------------------------------- Onfido

def gen_onfido(out):
    """`X-SHA2-Signature: hex(HMAC-SHA256(webhook token, body))`; onfido-python
    `WebhookEventVerifier(token).read_payload(raw_event, signature)` verifies."""
    old = det_chars("onfido/token/old", 32, B62 + "_-")
    new = det_chars("onfido/token/new", 32, B62 + "_-")

    def event(k, resource="check", action="check.completed", status="complete", pretty_body=False, extra=None):
        oid = det_uuid(f"onfido/{resource}/{k}")
        obj = {
            "payload": {
                "resource_type": resource,
                "action": action,
                "object": {
                    "id": oid,
                    "status": status,
                    "completed_at_iso8601": iso(ts_of(k) - 1).replace(".000Z", "Z"),
                    "href": f"https://api.eu.onfido.com/v3.6/{resource}s/{oid}",
                },
            }
        }
        if extra:
            obj["payload"].update(extra)
        return pretty(obj) if pretty_body else compact(obj)

    def headers(key, body):
        return [("X-SHA2-Signature", hmac_hex(hashlib.sha256, key, body))]

    cases = []
    body = event(0)
    cases.append(case("check_completed", [old], ts_of(0), headers(old, body), body, None))
    body = event(1, "workflow_run", "workflow_run.completed", "approved", pretty_body=True)
    cases.append(case("workflow_run_completed_pretty", [old], ts_of(1), headers(old, body), body, None))
    body = pad_to_1kib(lambda n: event(2, extra={"notes": ["Vérification d'identité ✓"] * n}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, None))
    body = odd_body(b'"payload":{"action":"check.completed"},\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    body = event(4, extra={"applicant_name": "Łukasz Żółć — 山田太郎 🪪"})
    cases.append(case("non_ascii_check", [old], ts_of(4), headers(old, body), body, None))
    body = event(5, "report", "report.completed")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, None))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, None))

    def accepts(secret, headers, body):
        sig = [v for k, v in headers if k.lower() == "x-sha2-signature"][0]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        try:
            WebhookEventVerifier(secret).read_payload(text, sig)
            return True
        except OnfidoInvalidSignatureError:
            return False
        except Exception:  # noqa: BLE001 - verified, but not a WebhookEvent the model parses
            return True

    write(out, "onfido", "PyPI onfido-python==6.2.0: Python stdlib hmac signs (hex HMAC-SHA256 of the "
          "body, as the SDK's verifier computes it); onfido.WebhookEventVerifier.read_payload "
          "verifies every case", cases, accepts)


# --------------------------------------------------------------------------- Modern Treasury

def gen_modern_treasury(out):
    """`X-Signature: hex(HMAC-SHA256(webhook key, body))`; `X-Webhook-ID` is the documented
    idempotency id (not signed). modern-treasury `webhooks.get_signature` signs and
    `webhooks.validate_signature` verifies."""
    old = det_chars("modern-treasury/key/old", 64, "0123456789abcdef")
    new = det_chars("modern-treasury/key/new", 64, "0123456789abcdef")
    client = modern_treasury.ModernTreasury(api_key="test-api-key", organization_id="test-org")

    def event(k, event_name="completed", obj_extra=None, pretty_body=False):
        po = {
            "id": det_uuid(f"modern-treasury/po/{k}"),
            "object": "payment_order",
            "live_mode": False,
            "type": "ach",
            "amount": 20000,
            "direction": "credit",
            "currency": "USD",
            "status": "completed" if event_name == "completed" else "approved",
            "description": None,
            "metadata": {},
            "created_at": iso(ts_of(k) - 60).replace(".000Z", "Z"),
            "updated_at": iso(ts_of(k) - 1).replace(".000Z", "Z"),
        }
        if obj_extra:
            po.update(obj_extra)
        obj = {"event": event_name, "data": po}
        return pretty(obj) if pretty_body else compact(obj)

    def headers(key, body, k, with_id=True):
        sig = client.webhooks.get_signature(body.decode("utf-8"), key=key)
        h = [("X-Signature", sig)]
        if with_id:
            h.insert(0, ("X-Webhook-ID", det_uuid(f"modern-treasury/webhook/{k}")))
        return h

    def wid(k):
        return det_uuid(f"modern-treasury/webhook/{k}")

    cases = []
    body = event(0)
    cases.append(case("payment_order_completed", [old], ts_of(0), headers(old, body, 0), body, wid(0)))
    body = event(1, "approved", pretty_body=True)
    cases.append(case("payment_order_approved_pretty", [old], ts_of(1), headers(old, body, 1), body, wid(1)))
    body = pad_to_1kib(lambda n: event(2, obj_extra={"metadata": {f"invoice_{i}": "INV-2025-11 — paid" for i in range(n)}}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body, 2), body, wid(2)))
    body = odd_body(b'"event":"completed",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body, 3), body, wid(3)))
    body = event(4, obj_extra={"description": "Remboursement — 返金 💵", "metadata": {"payee": "José Ñúñez"}})
    cases.append(case("non_ascii_payment_order", [old], ts_of(4), headers(old, body, 4), body, wid(4)))
    body = event(5)
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body, 5), body, wid(5)))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body, 6), body, wid(6)))
    # Without X-Webhook-ID the dedup key is the body hash alone.
    body = event(7)
    cases.append(case("no_webhook_id_header", [old], ts_of(7), headers(old, body, 7, with_id=False), body, None))

    def accepts(secret, headers, body):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return client.webhooks.validate_signature(text, dict(headers), key=secret)

    write(out, "modern-treasury", "PyPI modern-treasury==1.80.0: client.webhooks.get_signature signs (hex "
          "HMAC-SHA256 of the body in X-Signature); client.webhooks.validate_signature verifies every "
          "case; X-Webhook-ID (docs.moderntreasury.com/platform/reference/webhooks, Webhook "
          "Idempotency) is the event_id", cases, accepts)


# --------------------------------------------------------------------------- Lithic

class _FrozenClock:
    """Freezes datetime.now() inside standardwebhooks.webhooks (Lithic verifies through it)."""

    def __init__(self, ts):
        self.ts = ts

    def __enter__(self):
        ts = self.ts
        self.real = swh_mod.datetime

        class Frozen(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.fromtimestamp(ts, tz=tz or timezone.utc)

        swh_mod.datetime = Frozen

    def __exit__(self, *exc):
        swh_mod.datetime = self.real


def gen_lithic(out):
    """Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256>` over
    `{webhook-id}.{webhook-timestamp}.{body}`, `whsec_` + base64 key. lithic
    `webhooks.verify_signature` reads exactly the three `webhook-*` headers and calls
    standardwebhooks.Webhook(secret).verify."""
    old = "whsec_" + base64.b64encode(det_bytes("lithic/secret/old", 32)).decode()
    new = "whsec_" + base64.b64encode(det_bytes("lithic/secret/new", 32)).decode()
    client = lithic.Lithic(api_key="test-api-key")

    def event(k, event_type="card.created", extra=None, pretty_body=False):
        obj = {
            "event_type": event_type,
            "token": det_uuid(f"lithic/event/{k}"),
            "card_token": det_uuid(f"lithic/card/{k}"),
            "created": iso(ts_of(k) - 1).replace(".000Z", "Z"),
        }
        if extra:
            obj.update(extra)
        return pretty(obj) if pretty_body else compact(obj)

    def msg_id(k):
        return "msg_" + det_chars(f"lithic/msg/{k}", 27, B62)

    def headers(keys, body, k):
        ts = ts_of(k)
        when = datetime.fromtimestamp(ts, tz=timezone.utc)
        sigs = " ".join(standardwebhooks.Webhook(key).sign(msg_id(k), when, body) for key in keys)
        return [("webhook-id", msg_id(k)), ("webhook-timestamp", str(ts)), ("webhook-signature", sigs)]

    cases = []
    body = event(0)
    cases.append(case("card_created", [old], ts_of(0), headers([old], body, 0), body, msg_id(0)))
    body = event(1, "dispute.updated", {"status": "CASE_OPEN"}, pretty_body=True)
    cases.append(case("dispute_updated_pretty", [old], ts_of(1), headers([old], body, 1), body, msg_id(1)))
    body = pad_to_1kib(lambda n: event(2, "card_transaction.updated", {"merchant": {"descriptor": "CAFÉ DE FLORE ☕", "tags": ["pos"] * n}}))
    cases.append(case("large_1kib", [old], ts_of(2), headers([old], body, 2), body, msg_id(2)))
    body = odd_body(b'"event_type":"card.created",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers([old], body, 3), body, msg_id(3)))
    body = event(4, "account_holder.verification", {"name": "Ærøskøbing Bäckerei — 東京 🍞"})
    cases.append(case("non_ascii_account_holder", [old], ts_of(4), headers([old], body, 4), body, msg_id(4)))
    body = event(5)
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers([new], body, 5), body, msg_id(5)))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers([old], body, 6), body, msg_id(6)))
    body = event(7)
    cases.append(case("rotation_two_signatures_route_old_new", [old, new], ts_of(7), headers([new, old], body, 7), body, msg_id(7)))

    by_name = {c["name"]: c for c in cases}

    def accepts(secret, headers, body):
        ts = int(header({"headers": headers}, "webhook-timestamp"))
        with _FrozenClock(ts):
            try:
                client.webhooks.verify_signature(body, dict(headers), secret=secret)
                return True
            except standardwebhooks.WebhookVerificationError:
                return False

    # The SDK's clock window: accepted 300 s either side, rejected past it.
    c = by_name["card_created"]
    b = base64.b64decode(c["body_b64"])
    for dt, ok in ((300, True), (-300, True), (301, False), (-301, False)):
        with _FrozenClock(c["signed_at"] + dt):
            try:
                client.webhooks.verify_signature(b, dict(c["headers"]), secret=old)
                got = True
            except standardwebhooks.WebhookVerificationError:
                got = False
        assert got == ok, f"lithic window at {dt:+}"

    write(out, "lithic", "PyPI standardwebhooks==1.3.0 Webhook.sign signs (webhook-* headers, whsec_ "
          "base64 key); PyPI lithic==0.133.0 client.webhooks.verify_signature verifies every case at a "
          "frozen clock", cases, accepts)


# --------------------------------------------------------------------------- Polar

class _FrozenTime:
    """Freezes time.time() inside polar.webhooks (the SDK checks the timestamp with it)."""

    def __init__(self, ts):
        self.ts = ts

    def __enter__(self):
        ts = self.ts
        self.real = polar_webhooks_mod.time

        class T:
            @staticmethod
            def time():
                return float(ts)

        polar_webhooks_mod.time = T

    def __exit__(self, *exc):
        polar_webhooks_mod.time = self.real


def gen_polar(out):
    """Standard Webhooks as Polar's server signs for secrets generated since its cutoff
    (polarsource/polar server/polar/webhook/tasks.py `sign_webhook`: standardwebhooks
    `Webhook(secret).sign(str(event.id), ts, payload)`, headers `webhook-id`,
    `webhook-timestamp`, `webhook-signature`). Older endpoints sign with the UTF-8 bytes of the
    whole `whsec_...` string instead (the route then sets `secret_encoding: raw`); polar-sdk's
    `validate_event` tries both keys, so it verifies either kind."""
    old = "whsec_" + base64.b64encode(det_bytes("polar/secret/old", 32)).decode()
    new = "whsec_" + base64.b64encode(det_bytes("polar/secret/new", 32)).decode()

    def event(k, typ="order.created", data_extra=None, pretty_body=False):
        data = {
            "id": det_uuid(f"polar/order/{k}"),
            "created_at": iso(ts_of(k) - 3, 0).replace(".000Z", "Z"),
            "status": "paid",
            "paid": True,
            "subtotal_amount": 1900,
            "currency": "usd",
            "customer": {"id": det_uuid(f"polar/customer/{k}"), "email": "buyer@example.com", "name": "Ada"},
        }
        if data_extra:
            data.update(data_extra)
        obj = {"type": typ, "timestamp": iso(ts_of(k) - 1, 0).replace(".000Z", "Z"), "data": data}
        return pretty(obj) if pretty_body else compact(obj)

    def msg_id(k):
        return det_uuid(f"polar/event/{k}")

    def headers(keys, body, k):
        ts = ts_of(k)
        when = datetime.fromtimestamp(ts, tz=timezone.utc)
        sigs = " ".join(standardwebhooks.Webhook(key).sign(msg_id(k), when, body) for key in keys)
        return [
            ("user-agent", "polar.sh webhooks"),
            ("webhook-id", msg_id(k)),
            ("webhook-timestamp", str(ts)),
            ("webhook-signature", sigs),
            ("webhook-api-version", "2026-10"),
        ]

    cases = []
    body = event(0)
    cases.append(case("order_created", [old], ts_of(0), headers([old], body, 0), body, msg_id(0)))
    body = event(1, "subscription.active", {"status": "active"}, pretty_body=True)
    cases.append(case("subscription_active_pretty", [old], ts_of(1), headers([old], body, 1), body, msg_id(1)))
    body = pad_to_1kib(lambda n: event(2, data_extra={"metadata": {f"seat_{i}": "Équipe ✨" for i in range(n)}}))
    cases.append(case("large_1kib", [old], ts_of(2), headers([old], body, 2), body, msg_id(2)))
    body = odd_body(b'"type":"order.created",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers([old], body, 3), body, msg_id(3)))
    body = event(4, data_extra={"customer": {"id": det_uuid("polar/customer/4"), "email": "k@example.com", "name": "Kateřina Nováková — 王小明 🎧"}})
    cases.append(case("non_ascii_customer", [old], ts_of(4), headers([old], body, 4), body, msg_id(4)))
    body = event(5)
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers([new], body, 5), body, msg_id(5)))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers([old], body, 6), body, msg_id(6)))

    def verified_at(now, secret, headers, body):
        with _FrozenTime(now):
            try:
                polar_validate_event(body, dict(headers), secret)
                return True
            except PolarWebhookVerificationError:
                return False
            except PolarWebhookError:
                # Verified (the signature is checked first), but not a payload the SDK's
                # models load (these bodies are shortened events).
                return True

    def accepts(secret, headers, body):
        return verified_at(int(header({"headers": headers}, "webhook-timestamp")), secret, headers, body)

    c = cases[0]
    b = base64.b64decode(c["body_b64"])
    for dt, ok in ((300, True), (-300, True), (301, False), (-301, False)):
        got = verified_at(c["signed_at"] + dt, old, c["headers"], b)
        assert got == ok, f"polar window at {dt:+}"
    # The SDK also takes a legacy key (the whole secret as UTF-8): a Standard Webhooks
    # signature must not verify under it, so the two kinds never pass for each other.
    legacy = hmac.new(old.encode(), f"{msg_id(0)}.{c['signed_at']}.".encode() + b, hashlib.sha256).digest()
    assert base64.b64encode(legacy).decode() not in header(c, "webhook-signature")

    write(out, "polar", "PyPI standardwebhooks==1.3.0 Webhook.sign signs, as Polar's server does for "
          "Standard Webhooks secrets (polarsource/polar server/polar/webhook/tasks.py sign_webhook); "
          "PyPI polar-sdk==1.0.2 polar.v2026_10.webhooks.validate_event verifies every case at a "
          "frozen clock", cases, accepts)


# --------------------------------------------------------------------------- Brex

def gen_brex(out):
    """Brex: Standard Webhooks headers (`Webhook-Id`, `Webhook-Timestamp`, `Webhook-Signature`
    with space-separated `v1,<base64>` entries over `{id}.{timestamp}.{body}`), keyed with the
    base64-decoded secret from `GET /v1/webhooks/secrets` (plain base64, no `whsec_`). Two
    secrets (and two signatures) during a rotation. Brex publishes no SDK verifier: signed with
    standardwebhooks (the scheme's reference code), checked by a separate verifier written from
    Brex's guide."""
    old = base64.b64encode(det_bytes("brex/secret/old", 24)).decode()
    new = base64.b64encode(det_bytes("brex/secret/new", 24)).decode()

    def event(k, typ="TRANSFER_PROCESSED", extra=None, pretty_body=False):
        obj = {"event_type": typ, "transfer_id": "dpt_" + det_chars(f"brex/transfer/{k}", 22, B62.lower()),
               "payment_type": "ACH", "amount": {"amount": 125000, "currency": "USD"}}
        if extra:
            obj.update(extra)
        return pretty(obj) if pretty_body else compact(obj)

    def msg_id(k):
        return "msg_" + det_chars(f"brex/msg/{k}", 27, B62)

    def headers(keys, body, k):
        ts = ts_of(k)
        when = datetime.fromtimestamp(ts, tz=timezone.utc)
        sigs = " ".join(standardwebhooks.Webhook(key).sign(msg_id(k), when, body) for key in keys)
        return [("Webhook-Id", msg_id(k)), ("Webhook-Timestamp", str(ts)), ("Webhook-Signature", sigs)]

    cases = []
    body = event(0)
    cases.append(case("transfer_processed", [old], ts_of(0), headers([old], body, 0), body, msg_id(0)))
    body = event(1, "REFERRAL_ACTIVATED", {"referral_id": "ref_" + det_chars("brex/ref/1", 20, B62)}, pretty_body=True)
    cases.append(case("referral_activated_pretty", [old], ts_of(1), headers([old], body, 1), body, msg_id(1)))
    body = pad_to_1kib(lambda n: event(2, extra={"memo": ["Paiement fournisseur — été ☀"] * n}))
    cases.append(case("large_1kib", [old], ts_of(2), headers([old], body, 2), body, msg_id(2)))
    body = odd_body(b'"event_type":"TRANSFER_PROCESSED",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers([old], body, 3), body, msg_id(3)))
    body = event(4, "USER_UPDATED", {"user": {"first_name": "Ólafur", "last_name": "Ragnarsdóttir — 佐藤 👋"}})
    cases.append(case("non_ascii_user_updated", [old], ts_of(4), headers([old], body, 4), body, msg_id(4)))
    body = event(5)
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers([new], body, 5), body, msg_id(5)))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers([old], body, 6), body, msg_id(6)))
    body = event(7, "TRANSFER_FAILED")
    cases.append(case("rotation_two_signatures_route_old_new", [old, new], ts_of(7), headers([new, old], body, 7), body, msg_id(7)))

    def accepts(secret, headers, body):
        # As Brex's guide (developer.brex.com/docs/webhooks, "Verifying webhooks") does it:
        # signed_content = "{Webhook-Id}.{Webhook-Timestamp}.{body}", key = base64-decoded
        # secret, each space-separated "v1,<sig>" entry compared with base64(HMAC-SHA256).
        h = {k.lower(): v for k, v in headers}
        content = f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + body
        try:
            key = base64.b64decode(secret, validate=True)
        except ValueError:
            return False  # not a Brex secret (the shared wrong-secret check)
        want = hmac.new(key, content, hashlib.sha256).digest()
        for entry in h["webhook-signature"].split(" "):
            _, _, sig = entry.partition(",")
            if hmac.compare_digest(base64.b64decode(sig), want):
                return True
        return False

    write(out, "brex", "no Brex SDK verifies webhooks: PyPI standardwebhooks==1.3.0 Webhook.sign with the "
          "base64 secret (Brex's Webhook-* headers, space-separated v1 entries); checked by a separate "
          "verifier following developer.brex.com/docs/webhooks", cases, accepts)


# --------------------------------------------------------------------------- AfterShip

def gen_aftership(out):
    """AfterShip Tracking: `aftership-hmac-sha256: base64(HMAC-SHA256(webhook secret, body))`
    (aftership.com/docs/tracking/webhook/webhook-signature); Returns and Warranty sign the same
    way in `as-signature-hmac-sha256` (aftership.com/docs/returns/.../webhook/signature). The
    body's `event_id` (UUID v4) identifies the event. No SDK verifier."""
    old = det_uuid("aftership/secret/old")
    new = det_uuid("aftership/secret/new")

    def event(k, tag="InTransit", extra=None, pretty_body=False, ev="tracking_update"):
        msg = {"id": det_hex(f"aftership/tracking/{k}", 24), "tracking_number": f"1Z999AA1{k:010d}",
               "slug": "ups", "tag": tag, "subtag": f"{tag}_001", "title": "Order #1001"}
        if extra:
            msg.update(extra)
        obj = {"msg": msg, "event": ev, "event_id": det_uuid(f"aftership/event/{k}"),
               "is_tracking_first_tag": True, "ts": ts_of(k) - 2}
        return pretty(obj) if pretty_body else compact(obj)

    def eid(k):
        return det_uuid(f"aftership/event/{k}")

    def headers(key, body, name="aftership-hmac-sha256"):
        sig = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
        return [(name, sig)]

    cases = []
    body = event(0)
    cases.append(case("tracking_update", [old], ts_of(0), headers(old, body), body, eid(0)))
    body = event(1, "Delivered", pretty_body=True)
    cases.append(case("tracking_delivered_pretty", [old], ts_of(1), headers(old, body), body, eid(1)))
    body = pad_to_1kib(lambda n: event(2, extra={"checkpoints": [{"message": "Arrivé au centre de tri ✈", "location": "Roissy"}] * n}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, eid(2)))
    body = odd_body(b'"event":"tracking_update",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    body = event(4, "Exception", {"title": "Commande n°1004 — 配送例外 📦", "customer_name": "Zoë Ångström"})
    cases.append(case("non_ascii_exception", [old], ts_of(4), headers(old, body), body, eid(4)))
    body = event(5, "OutForDelivery")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, eid(5)))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, eid(6)))
    # Returns / Warranty: the same HMAC in `as-signature-hmac-sha256`; their bodies carry no
    # `event_id`, so the key is the body hash.
    body = compact({"event": "return.approved", "data": {"return": {"id": det_hex("aftership/return/7", 32), "rma_number": "RMA-7"}}})
    cases.append(case("returns_as_signature_header", [old], ts_of(7), headers(old, body, "as-signature-hmac-sha256"), body, None))

    def accepts(secret, headers, body):
        # The docs' Node snippet: createHmac('sha256', secret).update(body).digest('base64'),
        # compared with the header.
        got = [v for k, v in headers if k.lower() in ("aftership-hmac-sha256", "as-signature-hmac-sha256")][0]
        want = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(got, want)

    write(out, "aftership", "no AfterShip SDK verifies webhooks: Python stdlib hmac, base64 HMAC-SHA256 of the "
          "raw body under the webhook secret in aftership-hmac-sha256 (Tracking) or "
          "as-signature-hmac-sha256 (Returns), as aftership.com/docs/tracking/webhook/webhook-signature "
          "describes; checked by a separate docs-following verifier", cases, accepts)


# --------------------------------------------------------------------------- Chargify / Maxio

def gen_chargify(out):
    """Chargify (Maxio Advanced Billing): form-encoded body; `X-Chargify-Webhook-Signature-Hmac-
    Sha-256: hex(HMAC-SHA256(site shared key, raw body))`. The webhook `id` is a form field
    (kept on retry and replay, per the Maxio SDK's Webhook model)."""
    from urllib.parse import urlencode

    old = det_hex("chargify/key/old", 40)
    new = det_hex("chargify/key/new", 40)
    FORM = "application/x-www-form-urlencoded"

    def hook(k, event="payment_success", extra=()):
        pairs = [("id", str(41200000 + k)), ("event", event),
                 ("payload[subscription][id]", str(9100 + k)),
                 ("payload[subscription][state]", "active"),
                 ("payload[subscription][customer][first_name]", "Dana"),
                 ("payload[subscription][product][name]", "Basic"),
                 ("payload[event_id]", str(88000000 + k))]
        pairs.extend(extra)
        return urlencode(pairs).encode()

    def headers(key, body):
        # The webhook id travels in the body (`id=`).
        return [("X-Chargify-Webhook-Signature-Hmac-Sha-256", hmac_hex(hashlib.sha256, key, body))]

    cases = []
    body = hook(0)
    cases.append(case("payment_success", [old], ts_of(0), headers(old, body), body, None, content_type=FORM))
    body = hook(1, "signup_success", [("payload[subscription][customer][email]", "dana@example.com")])
    cases.append(case("signup_success", [old], ts_of(1), headers(old, body), body, None, content_type=FORM))
    body = pad_to_1kib(lambda n: hook(2, extra=[(f"payload[subscription][metafields][note_{i}]", "Renouvellement — été ☀") for i in range(n)]))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, None, content_type=FORM))
    # Raw multi-byte UTF-8 and literal escapes inside form values, a stray `+`, an empty value.
    body = ("id=41200003&event=customer_update&payload[customer][first_name]=caf\u00e9 \u2615 \U0001f389"
            "&payload[customer][note]=caf%C3%A9+%E2%98%95&payload[customer][organization]=&x=\\u00e9\t\r\n").encode()
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None, content_type=FORM))
    body = hook(4, "customer_update", [("payload[customer][last_name]", "Müller-Lüdenscheidt — 山本 🧾")])
    cases.append(case("non_ascii_customer_update", [old], ts_of(4), headers(old, body), body, None, content_type=FORM))
    body = hook(5, "renewal_success")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, None, content_type=FORM))
    body = hook(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, None, content_type=FORM))

    def accepts(secret, headers, body):
        # OpenSSL::HMAC.hexdigest('sha256', site_shared_key, raw_body) == header, as in the
        # Chargify / Maxio integration examples.
        got = [v for k, v in headers if k.lower() == "x-chargify-webhook-signature-hmac-sha-256"][0]
        return hmac.compare_digest(got, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())

    write(out, "chargify", "no Maxio SDK verifies webhooks: Python stdlib hmac, hex HMAC-SHA256 of the raw "
          "form-encoded body under the site shared key in X-Chargify-Webhook-Signature-Hmac-Sha-256 "
          "(docs.maxio.com Webhooks Reference; @maxio-com/advanced-billing-sdk Webhook model); checked "
          "by a separate verifier", cases, accepts)


# --------------------------------------------------------------------------- Bolt

def gen_bolt(out):
    """Bolt: `X-Bolt-Hmac-Sha256: base64(HMAC-SHA256(signing secret, raw body))`
    (help.bolt.com/developers/webhooks/hook-verification). No SDK verifier."""
    old = det_hex("bolt/secret/old", 64)
    new = det_hex("bolt/secret/new", 64)

    def hook(k, typ="payment", extra=None, pretty_body=False):
        data = {"id": det_chars(f"bolt/tx/{k}", 12, UPPER_NUM), "type": "cc_payment", "status": "completed",
                "reference": "XXXX-" + det_chars(f"bolt/ref/{k}", 4, UPPER_NUM) + "-" + det_chars(f"bolt/ref2/{k}", 4, UPPER_NUM),
                "amount": {"amount": 2599, "currency": "USD"}, "order": {"cart": {"order_reference": f"order_{k}"}}}
        if extra:
            data.update(extra)
        obj = {"type": typ, "object": "transaction", "data": data}
        return pretty(obj) if pretty_body else compact(obj)

    def headers(key, body):
        return [("X-Bolt-Hmac-Sha256", base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode())]

    cases = []
    body = hook(0)
    cases.append(case("payment", [old], ts_of(0), headers(old, body), body, None))
    body = hook(1, "capture", pretty_body=True)
    cases.append(case("capture_pretty", [old], ts_of(1), headers(old, body), body, None))
    body = pad_to_1kib(lambda n: hook(2, extra={"items": [{"name": "Tasse à café ☕", "qty": 1}] * n}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, None))
    body = odd_body(b'"type":"payment",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    body = hook(4, extra={"customer": {"name": "Łucja Wróbel — 陈静 🛒"}})
    cases.append(case("non_ascii_payment", [old], ts_of(4), headers(old, body), body, None))
    body = hook(5, "credit")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, None))
    body = hook(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, None))

    def accepts(secret, headers, body):
        # Bolt's PHP snippet: base64_encode(hash_hmac('sha256', $payload, SECRET, true)) == header.
        got = [v for k, v in headers if k.lower() == "x-bolt-hmac-sha256"][0]
        want = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(got, want)

    write(out, "bolt", "no Bolt SDK verifies webhooks: Python stdlib hmac, base64 HMAC-SHA256 of the raw body "
          "under the signing secret in X-Bolt-Hmac-Sha256, as help.bolt.com/developers/webhooks/"
          "hook-verification describes; checked by a separate docs-following verifier", cases, accepts)


# --------------------------------------------------------------------------- Castle

def gen_castle(out):
    """Castle: `X-Castle-Signature: base64(HMAC-SHA256(API secret, body))`; castle (PyPI)
    `castle.webhooks.verify.WebhooksVerify.call(webhook, config)` verifies."""
    old = det_chars("castle/secret/old", 32, B62)
    new = det_chars("castle/secret/new", 32, B62)

    def hook(k, typ="$incident.confirmed", extra=None, pretty_body=False):
        data = {"id": det_chars(f"castle/event/{k}", 24, B62), "device_token": det_chars(f"castle/dev/{k}", 40, B62),
                "user_id": f"user-{k}", "trigger": "$login", "context": {"ip": "203.0.113.7"}}
        if extra:
            data.update(extra)
        obj = {"api_version": "v1", "app_id": "492939449293954", "type": typ,
               "created_at": iso(ts_of(k) - 1), "data": data}
        return pretty(obj) if pretty_body else compact(obj)

    def headers(key, body):
        return [("X-Castle-Signature", base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode())]

    cases = []
    body = hook(0)
    cases.append(case("incident_confirmed", [old], ts_of(0), headers(old, body), body, None))
    body = hook(1, "$review.opened", pretty_body=True)
    cases.append(case("review_opened_pretty", [old], ts_of(1), headers(old, body), body, None))
    body = pad_to_1kib(lambda n: hook(2, extra={"properties": {f"k{i}": "Connexion suspecte ⚠" for i in range(n)}}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, None))
    body = odd_body(b'"type":"$incident.confirmed",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    body = hook(4, extra={"user_traits": {"name": "Ægir Þórsson — 高橋 🔐"}})
    cases.append(case("non_ascii_incident", [old], ts_of(4), headers(old, body), body, None))
    body = hook(5, "$list_item.created")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, None))
    body = hook(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, None))

    def accepts(secret, headers, body):
        webhook = types.SimpleNamespace(headers=dict(headers), data=body)
        try:
            CastleWebhooksVerify.call(webhook, types.SimpleNamespace(api_secret=secret, logger=None))
            return True
        except CastleVerificationError:
            return False

    write(out, "castle", "PyPI castle==7.3.0: Python stdlib hmac signs (base64 HMAC-SHA256 of the body, as the "
          "SDK computes it); castle.webhooks.verify.WebhooksVerify.call verifies every case", cases, accepts)


# --------------------------------------------------------------------------- Worldline

def gen_worldline(out):
    """Worldline Direct (Online Payments): `X-GCS-Signature: base64(HMAC-SHA256(secret key,
    body))`, `X-GCS-KeyId` naming the key; onlinepayments-sdk-python3 `SignatureValidator`
    verifies (it looks the key up by `X-GCS-KeyId`). The body's `id` is the event id."""
    old_id, new_id = det_uuid("worldline/keyid/old"), det_uuid("worldline/keyid/new")
    old = det_chars("worldline/secret/old", 44, B62 + "+/")
    new = det_chars("worldline/secret/new", 44, B62 + "+/")
    key_of = {old: old_id, new: new_id}

    def event(k, typ="payment.captured", extra=None, pretty_body=False):
        payment = {"id": f"{3066019730 + k}_0", "status": "CAPTURED",
                   "paymentOutput": {"amountOfMoney": {"amount": 1000, "currencyCode": "EUR"},
                                     "references": {"merchantReference": f"order-{k}"}},
                   "statusOutput": {"statusCode": 9}}
        if extra:
            payment.update(extra)
        obj = {"apiVersion": "v1", "created": "2025-11-24T17:14:39.688+0100", "id": det_uuid(f"worldline/event/{k}"),
               "merchantId": "1234", "type": typ, "payment": payment}
        return pretty(obj) if pretty_body else compact(obj)

    def eid(k):
        return det_uuid(f"worldline/event/{k}")

    def headers(key, body):
        sig = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
        return [("X-GCS-Signature", sig), ("X-GCS-KeyId", key_of[key])]

    cases = []
    body = event(0)
    cases.append(case("payment_captured", [old], ts_of(0), headers(old, body), body, eid(0)))
    body = event(1, "payment.created", {"status": "CREATED"}, pretty_body=True)
    cases.append(case("payment_created_pretty", [old], ts_of(1), headers(old, body), body, eid(1)))
    body = pad_to_1kib(lambda n: event(2, extra={"notes": ["Référence client — été ☀"] * n}))
    cases.append(case("large_1kib", [old], ts_of(2), headers(old, body), body, eid(2)))
    body = odd_body(b'"apiVersion":"v1",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers(old, body), body, None))
    body = event(4, extra={"customer": {"name": "Françoise d'Aubigné — 王芳 💶"}})
    cases.append(case("non_ascii_payment", [old], ts_of(4), headers(old, body), body, eid(4)))
    body = event(5, "payment.refunded")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers(new, body), body, eid(5)))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers(old, body), body, eid(6)))

    def accepts(secret, headers, body):
        # The SDK picks the key by X-GCS-KeyId; the store maps the case's key id to `secret`,
        # so the signature decides.
        key_id = [v for k, v in headers if k.lower() == "x-gcs-keyid"][0]
        store = InMemorySecretKeyStore()
        store.store_secret_key(key_id, secret)
        try:
            WlValidator(store).validate(body, [WlHeader(k, v) for k, v in headers])
            return True
        except WlSignatureError:
            return False
        finally:
            store.remove_secret_key(key_id)

    write(out, "worldline", "PyPI onlinepayments-sdk-python3==10.3.0: Python stdlib hmac signs (base64 HMAC-SHA256 "
          "of the body, as the SDK computes it, with X-GCS-KeyId); onlinepayments.sdk.webhooks."
          "SignatureValidator verifies every case", cases, accepts)


# --------------------------------------------------------------------------- Orb

class _OrbFrozenClock:
    """Freezes datetime.now() inside orb.resources.webhooks.webhooks (its 5-minute window)."""

    def __init__(self, ts):
        self.ts = ts

    def __enter__(self):
        ts = self.ts
        self.real = orb_webhooks_mod.datetime

        class Frozen(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.fromtimestamp(ts, tz=tz or timezone.utc)

        orb_webhooks_mod.datetime = Frozen

    def __exit__(self, *exc):
        orb_webhooks_mod.datetime = self.real


def gen_orb(out):
    """Orb: `X-Orb-Signature: v1=<hex HMAC-SHA256(secret, "v1:{X-Orb-Timestamp}:{body}")>`, the
    timestamp ISO 8601 without a zone (UTC), several signatures space separated; orb-billing
    `webhooks.verify_signature` (PyPI orb-billing==4.90.0) verifies every case at a frozen
    clock.  The first case is the delivery from orb-billing's own tests."""
    old = det_chars("orb/secret/old", 43, B62 + "-_")
    new = det_chars("orb/secret/new", 43, B62 + "-_")

    def naive(ts, millis):
        return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}"

    def event(k, typ="invoice.issued", extra=None, pretty_body=False):
        obj = {"id": det_chars(f"orb/evt/{k}", 16, B62), "created_at": iso(ts_of(k)).replace(".000Z", "+00:00"),
               "type": typ, "properties": {}}
        if extra:
            obj.update(extra)
        return pretty(obj) if pretty_body else compact(obj)

    def sig(key, ts_text, body):
        return hmac.new(key.encode(), b"v1:" + ts_text.encode() + b":" + body, hashlib.sha256).hexdigest()

    def headers(keys, k, body, millis=551):
        t = naive(ts_of(k), millis)
        return [("X-Orb-Timestamp", t), ("X-Orb-Signature", " ".join(f"v1={sig(key, t, body)}" for key in keys))]

    cases = []
    sdk_secret = "c-UGKYdnhHh436B_sMouYAPUvXyWpzOdunZBV5dFSD8"
    body = (b'{"id": "o4mmewpfNNTnjfZc", "created_at": "2024-03-27T15:42:29+00:00", "type": "resource_event.test", '
            b'"properties": {"message": "A test webhook from Orb. Happy testing!"}}')
    cases.append(case("orb_sdk_test_delivery", [sdk_secret], 1711554149,
                      [("X-Orb-Timestamp", "2024-03-27T15:42:29.551"),
                       ("X-Orb-Signature", "v1=9d25de966891ab0bc18754faf8d83d0980b44ae330fcc130b41a6cf3daf1f391")],
                      body, None))
    body = event(0)
    cases.append(case("invoice_issued", [old], ts_of(0), headers([old], 0, body), body, None))
    body = event(1, "subscription.started", pretty_body=True)
    cases.append(case("subscription_started_pretty", [old], ts_of(1), headers([old], 1, body, 7), body, None))
    body = pad_to_1kib(lambda n: event(2, extra={"properties": {"lines": [{"name": "Crédit d'usage ☕", "qty": 1}] * n}}))
    cases.append(case("large_1kib", [old], ts_of(2), headers([old], 2, body), body, None))
    body = odd_body(b'"type":"invoice.issued",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers([old], 3, body), body, None))
    body = event(4, extra={"properties": {"customer": "Łucja Wróbel — 陈静 🧾"}})
    cases.append(case("non_ascii_customer", [old], ts_of(4), headers([old], 4, body), body, None))
    body = event(5, "invoice.payment_succeeded")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers([new], 5, body), body, None))
    body = event(6)
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers([old], 6, body), body, None))
    body = event(7, "customer.credit_balance_dropped")
    cases.append(case("rotation_two_signatures_route_old_new", [old, new], ts_of(7), headers([old, new], 7, body), body, None))

    client = orb.Orb(api_key="not-used", webhook_secret=None)
    signed_at = {c["name"]: c["signed_at"] for c in cases}

    def accepts(secret, hdrs, body):
        name = next(n for n, c in ((c["name"], c) for c in cases) if c["headers"] == [list(h) for h in hdrs])
        with _OrbFrozenClock(signed_at[name]):
            try:
                client.webhooks.verify_signature(payload=body, headers=dict(hdrs), secret=secret)
                return True
            except ValueError:
                return False

    # The SDK's window: 5 minutes either side of the header's time.
    c = cases[1]
    body = base64.b64decode(c["body_b64"])
    for delta, ok in ((299, True), (301, False), (-299, True), (-301, False)):
        with _OrbFrozenClock(c["signed_at"] + delta):
            try:
                client.webhooks.verify_signature(payload=body, headers=dict(c["headers"]), secret=old)
                got = True
            except ValueError:
                got = False
        assert got == ok, f"orb window {delta}: {got}"

    write(out, "orb", "orb-billing==4.90.0 (PyPI): stdlib hmac signs v1:{timestamp}:{body} as "
          "webhooks.verify_signature describes; every case verified by Orb.webhooks.verify_signature at a "
          "frozen clock; orb_sdk_test_delivery is the delivery in orb-billing's own tests", cases, accepts)


# --------------------------------------------------------------------------- Recurly

def gen_recurly(out):
    """Recurly: `recurly-signature: <unix ms>,<hex>[,<hex>]`, each signature
    hex(HMAC-SHA256(endpoint secret key, "{timestamp}.{body}")) (docs.recurly.com "Signature
    verification"). Neither PyPI `recurly` nor npm `recurly` verifies webhooks (only the Ruby and
    Go clients do): signed with the stdlib, checked by a port of recurly-client-ruby
    `Recurly::Webhooks.verify_signature` (split on commas, first entry the timestamp, 5-minute
    tolerance in milliseconds, any signature matching)."""
    old = det_hex("recurly/secret/old", 32)
    new = det_hex("recurly/secret/new", 32)

    def event(k, typ="created", obj="subscription", extra=None, pretty_body=False):
        o = {"id": det_chars(f"recurly/evt/{k}", 13, "0123456789abcdefghijklmnopqrstuvwxyz"),
             "object_type": obj, "site_id": det_chars("recurly/site", 13, "0123456789abcdefghijklmnopqrstuvwxyz"),
             "event_type": typ, "event_time": iso(ts_of(k)),
             "account_code": f"acct-{k}", "uuid": det_hex(f"recurly/uuid/{k}", 32)}
        if extra:
            o.update(extra)
        return pretty(o) if pretty_body else compact(o)

    def headers(keys, k, body):
        t = str(ts_of(k) * 1000 + 123)
        sigs = [hmac.new(key.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest() for key in keys]
        return [("recurly-signature", ",".join([t] + sigs))]

    cases = []
    body = event(0)
    cases.append(case("subscription_created", [old], ts_of(0), headers([old], 0, body), body, None))
    body = event(1, "renewed", pretty_body=True)
    cases.append(case("subscription_renewed_pretty", [old], ts_of(1), headers([old], 1, body), body, None))
    body = pad_to_1kib(lambda n: event(2, "paid", "charge_invoice", extra={"note": "Facture réglée ☕ " * n}))
    cases.append(case("large_1kib", [old], ts_of(2), headers([old], 2, body), body, None))
    body = odd_body(b'"event_type":"created",\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers([old], 3, body), body, None))
    body = event(4, "updated", "account", extra={"account_name": "Łucja Wróbel — 陈静 🧾"})
    cases.append(case("non_ascii_account", [old], ts_of(4), headers([old], 4, body), body, None))
    body = event(5, "canceled")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers([new], 5, body), body, None))
    body = event(6, "expired")
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers([old], 6, body), body, None))
    body = event(7, "reactivated")
    cases.append(case("rotation_two_signatures_route_old_new", [old, new], ts_of(7), headers([new, old], 7, body), body, None))

    def ruby_verify(header_value, secret, body, now_ms, tolerance=5 * 60 * 1000):
        s_timestamp, *signatures = header_value.split(",")
        timestamp = int(s_timestamp)
        if abs(now_ms - timestamp) > tolerance:
            return False
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return any(hmac.compare_digest(expected, s) for s in signatures)

    def accepts(secret, hdrs, body):
        value = [v for k, v in hdrs if k == "recurly-signature"][0]
        return ruby_verify(value, secret, body, int(value.split(",")[0]))

    c = cases[0]
    value = c["headers"][0][1]
    body = base64.b64decode(c["body_b64"])
    t = int(value.split(",")[0])
    for delta, ok in ((300_000, True), (300_001, False), (-300_000, True), (-300_001, False)):
        assert ruby_verify(value, old, body, t + delta) == ok, f"recurly window {delta}"

    write(out, "recurly", "no Python or npm Recurly SDK verifies webhooks: Python stdlib hmac signs "
          "{timestamp}.{body} as docs.recurly.com 'Signature verification' describes; every case checked by a "
          "port of recurly-client-ruby Recurly::Webhooks.verify_signature", cases, accepts)


# --------------------------------------------------------------------------- Persona

def gen_persona(out):
    """Persona: `Persona-Signature: t=<unix>,v1=<hex HMAC-SHA256(webhook secret, "{t}.{body}")>`;
    during a secret rotation two such groups separated by a space (docs.withpersona.com "Webhook
    Best Practices", Checking signatures). No Persona SDK verifies webhooks: signed with the
    stdlib, checked by a verifier following the docs' rotation sample (split on spaces, each
    group on commas, its own t with its own v1)."""
    old = "wbhsec_" + det_hex("persona/secret/old", 40)
    new = "wbhsec_" + det_hex("persona/secret/new", 40)

    def event(k, name="inquiry.completed", extra=None, pretty_body=False):
        attrs = {"name": name, "created-at": iso(ts_of(k)),
                 "payload": {"data": {"type": "inquiry", "id": "inq_" + det_chars(f"persona/inq/{k}", 24, B62),
                                      "attributes": {"status": "completed"}}}}
        if extra:
            attrs.update(extra)
        obj = {"data": {"type": "event", "id": "evt_" + det_chars(f"persona/evt/{k}", 24, B62), "attributes": attrs}}
        return pretty(obj) if pretty_body else compact(obj)

    def group(key, t, body):
        return f"t={t},v1=" + hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()

    def headers(keys, k, body):
        t = ts_of(k)
        return [("Persona-Signature", " ".join(group(key, t, body) for key in keys))]

    cases = []
    body = event(0)
    cases.append(case("inquiry_completed", [old], ts_of(0), headers([old], 0, body), body, None))
    body = event(1, "verification.created", pretty_body=True)
    cases.append(case("verification_created_pretty", [old], ts_of(1), headers([old], 1, body), body, None))
    body = pad_to_1kib(lambda n: event(2, extra={"fields": [{"name": "adresse", "value": "Rue du Café ☕"}] * n}))
    cases.append(case("large_1kib", [old], ts_of(2), headers([old], 2, body), body, None))
    body = odd_body(b'"data":{"type":"event"},\r\n\t')
    cases.append(case("unicode_odd_whitespace", [old], ts_of(3), headers([old], 3, body), body, None))
    body = event(4, extra={"name-on-id": "Łucja Wróbel — 陈静 🪪"})
    cases.append(case("non_ascii_fields", [old], ts_of(4), headers([old], 4, body), body, None))
    body = event(5, "inquiry.approved")
    cases.append(case("rotation_route_old_new_signed_by_new", [old, new], ts_of(5), headers([new], 5, body), body, None))
    body = event(6, "inquiry.declined")
    cases.append(case("rotation_route_old_new_signed_by_old", [old, new], ts_of(6), headers([old], 6, body), body, None))
    body = event(7, "inquiry.expired")
    cases.append(case("rotation_two_signatures_route_old_new", [old, new], ts_of(7), headers([new, old], 7, body), body, None))
    # Two groups whose timestamps differ (each group is its own signing): each signature only
    # verifies with its own group's `t`; the first group's (the old secret's) is signed_at.
    body = event(8, "inquiry.completed")
    value = group(old, ts_of(8) - 1, body) + " " + group(new, ts_of(8), body)
    cases.append(case("rotation_two_signatures_route_old_new_different_t", [old, new], ts_of(8) - 1,
                      [("Persona-Signature", value)], body, None))

    def accepts(secret, hdrs, body):
        value = [v for k, v in hdrs if k == "Persona-Signature"][0]
        for g in value.split(" "):
            if not g:
                continue
            params = dict(kv.split("=", 1) for kv in g.split(","))
            t, v1 = params["t"], params["v1"]
            want = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
            if hmac.compare_digest(v1, want):
                return True
        return False

    write(out, "persona", "no Persona SDK verifies webhooks: Python stdlib hmac signs {t}.{body} as "
          "docs.withpersona.com 'Webhook Best Practices' (Checking signatures) describes, rotation as two "
          "space-separated t=..,v1=.. groups; every case checked by a separate docs-following verifier", cases, accepts)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    gen_checkout(out)
    gen_gocardless(out)
    gen_paystack(out)
    gen_lemonsqueezy(out)
    gen_onfido(out)
    gen_modern_treasury(out)
    gen_lithic(out)
    gen_polar(out)
    gen_brex(out)
    gen_aftership(out)
    gen_chargify(out)
    gen_bolt(out)
    gen_castle(out)
    gen_worldline(out)
    gen_orb(out)
    gen_recurly(out)
    gen_persona(out)


if __name__ == "__main__":
    main()
