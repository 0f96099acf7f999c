"""Vectors for the token senders: Netlify and monday.com (JWTs signed by PyJWT, pinned in
requirements.txt) and Chargebee, Pipedrive, Postmark (HTTP Basic auth, RFC 7617, stdlib).

Deterministic: no clock, no randomness; secrets and ids are derived from labels with SHA-256.
Every case is checked before it is written by an independent verifier:
  - JWTs: PyJWT's own `jwt.decode` (HS256 only, issuer / audience as the sender documents),
    then a stdlib re-derivation (split, HMAC-SHA256 of `header.payload`, the claims), both
    accepting the signing secret and rejecting a wrong one; Netlify's also rejects a flipped
    body byte (its `sha256` claim). monday.com's token does not cover the body.
  - Basic auth: a stdlib parser of `Authorization` (scheme, base64, `user:pass`) accepting the
    route's credentials and rejecting wrong ones. Nothing covers the body.

Usage: gen.py OUT_DIR
"""

import base64
import hashlib
import hmac
import json
import sys

import jwt  # PyJWT, pinned

GENERATOR_JWT = "PyPI PyJWT=={v} jwt.encode (HS256), verified with jwt.decode and a stdlib HMAC re-derivation (tools/vectors/tokens)"
GENERATOR_BASIC = "no SDK signs Basic auth: Python stdlib base64 of user:pass as RFC 7617 and {doc} describe; checked by a separate stdlib parser (tools/vectors/tokens)"

T0 = 1764000000


def h(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def pad_to(obj, key, size):
    """Grows obj[key] (a string) until the compact JSON is about `size` bytes."""
    filler = "Déploiement réussi ✓ — "
    while len(compact(obj)) < size:
        obj[key] += filler
    return obj


# ---------------------------------------------------------------------------------------------
# Independent verifiers.


def stdlib_hs256(token: str, secret: str) -> dict:
    """RFC 7515 compact HS256, by hand: returns the claims or raises."""
    head, payload, sig = token.split(".")
    header = json.loads(b64url_decode(head))
    if header.get("alg") != "HS256":
        raise ValueError("alg")
    mac = hmac.new(secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(mac, b64url_decode(sig)):
        raise ValueError("signature")
    return json.loads(b64url_decode(payload))


def check_netlify(token: str, secret: str, body: bytes) -> bool:
    # Netlify's docs: decode with the secret, iss "netlify", HS256; then sha256 == body hash.
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer="netlify")
    except jwt.InvalidTokenError:
        return False
    ok = claims.get("sha256") == hashlib.sha256(body).hexdigest()
    try:
        c2 = stdlib_hs256(token, secret)
    except ValueError:
        c2 = None
    ok2 = c2 is not None and c2.get("iss") == "netlify" and c2.get("sha256") == hashlib.sha256(body).hexdigest()
    assert ok == ok2, "PyJWT and the stdlib verifier disagree"
    return ok


def check_monday(token: str, secret: str, aud: str, now: int) -> bool:
    # monday.com's docs: verify with the signing secret, check aud and exp. PyJWT reads the
    # wall clock for exp, so exp is checked here against the case's clock instead.
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], audience=aud, options={"verify_exp": False}
        )
    except jwt.InvalidTokenError:
        return False
    ok = claims["iat"] <= now <= claims["exp"]
    try:
        c2 = stdlib_hs256(token, secret)
    except ValueError:
        c2 = None
    ok2 = c2 is not None and c2.get("aud") == aud and c2["iat"] <= now <= c2["exp"]
    assert ok == ok2, "PyJWT and the stdlib verifier disagree"
    return ok


def check_basic(header_value: str, credentials: str) -> bool:
    scheme, _, rest = header_value.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(rest.strip(), validate=True).decode()
    except Exception:
        return False
    user, sep, password = decoded.partition(":")
    want_user, _, want_pass = credentials.partition(":")
    return sep == ":" and hmac.compare_digest(user, want_user) and hmac.compare_digest(password, want_pass)


# ---------------------------------------------------------------------------------------------
# Netlify.


def netlify(out):
    secret = "netlify-jws-" + h("netlify/secret")[:32]
    new_secret = "netlify-jws-" + h("netlify/secret/new")[:32]

    def deploy(n, state, name="www-example", extra=None):
        d = {
            "id": h(f"netlify/deploy/{n}")[:24],
            "site_id": "fa4dd95a-994e-4f89-8a7a-2d9e9fc36a32",
            "build_id": h(f"netlify/build/{n}")[:24],
            "state": state,
            "name": name,
            "url": "https://www.example.com",
            "ssl_url": "https://www.example.com",
            "admin_url": f"https://app.netlify.com/sites/{name}",
            "created_at": "2025-11-24T16:00:00.000Z",
            "updated_at": "2025-11-24T16:02:39.000Z",
            "error_message": None,
            "branch": "main",
            "context": "production",
            "deploy_time": 159,
            "title": "Mise à jour",
        }
        if extra:
            d.update(extra)
        return d

    cases = []

    def case(name, body: bytes, signed_by, secrets, i):
        token = jwt.encode(
            {"iss": "netlify", "sha256": hashlib.sha256(body).hexdigest()}, signed_by, algorithm="HS256"
        )
        assert check_netlify(token, signed_by, body)
        wrong = "netlify-jws-" + h("netlify/wrong")[:32]
        assert not check_netlify(token, wrong, body)
        flipped = bytearray(body)
        flipped[len(flipped) // 2] ^= 0x01
        assert not check_netlify(token, signed_by, bytes(flipped))
        cases.append(
            {
                "name": name,
                "secrets": secrets,
                "signed_at": T0 + 7200 * i,
                "headers": [["X-Webhook-Signature", token], ["X-Netlify-Event", "deploy_created"]],
                "body_b64": base64.b64encode(body).decode(),
                "event_id": None,
            }
        )

    case("deploy_created", compact(deploy(1, "ready")), secret, [secret], 0)
    big = pad_to(deploy(2, "ready"), "title", 1024)
    case("deploy_created_1kib", compact(big), secret, [secret], 1)
    odd = json.dumps(deploy(3, "error", extra={"error_message": "Build script returned non-zero exit code: 2\t\u2028 ⚠"}), indent=2, ensure_ascii=False).encode() + b"\n"
    case("unicode_odd_whitespace", odd, secret, [secret], 2)
    case("non_ascii_body", compact(deploy(4, "ready", name="café-日本", extra={"title": "Überarbeitung 🚀 「公開」"})), secret, [secret], 3)
    case("rotation_route_old_new_signed_by_new", compact(deploy(5, "ready")), new_secret, [secret, new_secret], 4)
    out["netlify.json"] = {
        "provider": "netlify",
        "generator": GENERATOR_JWT.format(v=jwt.__version__),
        "cases": cases,
    }


# ---------------------------------------------------------------------------------------------
# monday.com.


def monday(out):
    secret = h("monday/signing-secret")[:32]
    new_secret = h("monday/signing-secret/new")[:32]
    aud = "https://hooks.example.com/hooks/monday"

    def event(n, column_title="Status", text="Done", extra=None):
        e = {
            "event": {
                "app": "monday",
                "type": "update_column_value",
                "triggerTime": "2025-11-24T16:11:40.123Z",
                "subscriptionId": 73759690 + n,
                "userId": 4012689,
                "originalTriggerUuid": None,
                "boardId": 3139815734,
                "groupId": "topics",
                "pulseId": 3139815829 + n,
                "pulseName": "Item",
                "columnId": "status",
                "columnType": "color",
                "columnTitle": column_title,
                "value": {"label": {"index": 1, "text": text, "style": {"color": "#00c875", "border": "#00b461"}}},
                "previousValue": None,
                "changedAt": 1764000700.1234,
                "isTopGroup": True,
                "triggerUuid": h(f"monday/trigger/{n}")[:32],
            }
        }
        if extra:
            e["event"].update(extra)
        return e

    cases = []

    def case(name, body: bytes, signed_by, secrets, i):
        iat = T0 + 700 + 7200 * i
        claims = {
            "accountId": 1825529,
            "userId": 4012689,
            "aud": aud,
            "exp": iat + 300,
            "shortLivedToken": "slt-" + h(f"monday/slt/{i}")[:40],
            "iat": iat,
        }
        token = jwt.encode(claims, signed_by, algorithm="HS256")
        assert check_monday(token, signed_by, aud, iat)
        assert not check_monday(token, h("monday/wrong")[:32], aud, iat)
        assert not check_monday(token, signed_by, aud, iat + 301)
        cases.append(
            {
                "name": name,
                "secrets": secrets,
                "signed_at": iat,
                "headers": [["Authorization", token]],
                "body_b64": base64.b64encode(body).decode(),
                "event_id": None,
            }
        )

    case("update_column_value", compact(event(1)), secret, [secret], 0)
    big = event(2)
    big["event"]["pulseName"] = ""
    pad_to(big["event"], "pulseName", 1024)
    case("update_column_value_1kib", compact(big), secret, [secret], 1)
    odd = json.dumps(event(3, text="En cours\t…"), indent=4, ensure_ascii=False).encode() + b"\r\n"
    case("unicode_odd_whitespace", odd, secret, [secret], 2)
    case("non_ascii_body", compact(event(4, column_title="Statut ✓", text="Terminé 完了 🎉")), secret, [secret], 3)
    case("rotation_route_old_new_signed_by_new", compact(event(5)), new_secret, [secret, new_secret], 4)
    out["monday.json"] = {
        "provider": "monday",
        "generator": GENERATOR_JWT.format(v=jwt.__version__),
        "cases": cases,
    }


# ---------------------------------------------------------------------------------------------
# Basic auth senders.


def basic(out, provider, doc, user, body_for, event_id_for):
    creds = f"{user}:" + h(f"{provider}/password")[:24]
    new_creds = f"{user}:" + h(f"{provider}/password/new")[:24]
    wrong = f"{user}:" + h(f"{provider}/wrong")[:24]
    cases = []

    def case(name, body: bytes, signed_by, secrets, i, event_id):
        value = "Basic " + base64.b64encode(signed_by.encode()).decode()
        assert check_basic(value, signed_by)
        assert not check_basic(value, wrong)
        cases.append(
            {
                "name": name,
                "secrets": secrets,
                "signed_at": T0 + 7200 * i,
                "headers": [["Authorization", value]],
                "body_b64": base64.b64encode(body).decode(),
                "event_id": event_id,
                "wrong_secret": wrong,
            }
        )

    for i, (name, kind) in enumerate(
        [
            ("basic", "basic"),
            ("body_1kib", "big"),
            ("unicode_odd_whitespace", "odd"),
            ("non_ascii_body", "unicode"),
            ("rotation_route_old_new_signed_by_new", "basic"),
        ]
    ):
        obj = body_for(i, kind)
        if kind == "odd":
            body = json.dumps(obj, indent=2, ensure_ascii=False).encode() + b"\n\t"
        else:
            body = compact(obj)
        rotation = name.startswith("rotation")
        case(name, body, new_creds if rotation else creds, [creds, new_creds] if rotation else [creds], i, event_id_for(obj))
    out[f"{provider}.json"] = {
        "provider": provider,
        "generator": GENERATOR_BASIC.format(doc=doc),
        "cases": cases,
    }


def chargebee_body(i, kind):
    name = {"unicode": "Zoë Ünal 張偉", "odd": "Ana\u00a0María"}.get(kind, "Jane Doe")
    b = {
        "id": "ev_" + h(f"chargebee/event/{i}")[:20],
        "occurred_at": T0 + 7200 * i,
        "source": "admin_console",
        "user": "admin@example.com",
        "object": "event",
        "api_version": "v2",
        "content": {
            "customer": {
                "id": "cust_" + h(f"chargebee/customer/{i}")[:12],
                "first_name": name,
                "email": "jane@example.com",
                "auto_collection": "on",
                "created_at": T0 - 86400,
                "object": "customer",
                "notes": "",
            }
        },
        "event_type": "customer_created",
        "webhook_status": "scheduled",
    }
    if kind == "big":
        pad_to(b["content"]["customer"], "notes", 1024)
    return b


def pipedrive_body(i, kind):
    title = {"unicode": "Contrat signé 🤝 契約", "odd": "Deal\u2003 ✓"}.get(kind, "Big deal")
    b = {
        "data": {
            "id": 100 + i,
            "title": title,
            "value": 5000,
            "currency": "EUR",
            "status": "open",
            "stage_id": 1,
            "owner_id": 12345,
            "add_time": "2025-11-24T16:11:40Z",
            "update_time": "2025-11-24T16:11:40Z",
            "notes": "",
        },
        "previous": None,
        "meta": {
            "action": "create",
            "entity": "deal",
            "entity_id": str(100 + i),
            "id": "%s-%s-%s-%s-%s" % tuple(h(f"pipedrive/meta/{i}")[a:b] for a, b in [(0, 8), (8, 12), (12, 16), (16, 20), (20, 32)]),
            "is_bulk_edit": False,
            "timestamp": "2025-11-24T16:11:40.123Z",
            "type": "general",
            "version": "2.0",
            "webhook_id": "1234",
            "webhook_owner_id": "12345",
            "change_source": "app",
        },
    }
    if kind == "big":
        pad_to(b["data"], "notes", 1024)
    return b


def postmark_body(i, kind):
    details = {"unicode": "Remis à la boîte de réception ✉ 受信", "odd": "Delivered\r\n\tok"}.get(kind, "Test delivery webhook details")
    b = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "%s-%s-%s-%s-%s" % tuple(h(f"postmark/message/{i}")[a:b] for a, b in [(0, 8), (8, 12), (12, 16), (16, 20), (20, 32)]),
        "Recipient": "john@example.com",
        "Tag": "welcome-email",
        "DeliveredAt": "2025-11-24T16:33:54.9070259Z",
        "Details": details,
        "Metadata": {"a_key": "a_value", "b_key": "b_value"},
    }
    if kind == "big":
        pad_to(b, "Details", 1024)
    return b


def main():
    out_dir = sys.argv[1]
    out = {}
    netlify(out)
    monday(out)
    basic(out, "chargebee", "chargebee.com/docs/webhook_settings.html", "chargebee-hooks", chargebee_body, lambda b: b["id"])
    basic(out, "pipedrive", "pipedrive.readme.io/docs/guide-for-webhooks-v2 (http_auth_user / http_auth_password)", "pipedrive-hooks", pipedrive_body, lambda b: None)
    basic(out, "postmark", "postmarkapp.com/developer/webhooks/webhooks-overview (https://user:pass@host/...)", "postmark-hooks", postmark_body, lambda b: None)
    for name, data in out.items():
        assert len(data["cases"]) >= 4
        with open(f"{out_dir}/{name}", "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
