"""Writes pubsub.json: Google Cloud Pub/Sub push deliveries, each with the OIDC token Pub/Sub
puts in `Authorization: Bearer` when the push subscription has authentication on.

Pub/Sub has no SDK that makes these tokens: Google signs them with its own keys, published as a
JWK Set at https://www.googleapis.com/oauth2/v3/certs (and as x509 certificates at .../v1/certs).
This signs with two fixed TEST keys (key-1.pem, key-2.pem, committed, sign nothing real), RS256
with the key's `kid` in the header, and the claims of Google's "Authentication for push
subscriptions" page (cloud.google.com/pubsub/docs/authenticate-push-subscriptions): aud (the
push endpoint, or the audience set on the subscription), azp and sub (the service account's
unique id), email (the service account), email_verified true, iat, exp = iat + 3600, iss
https://accounts.google.com. The body is the push envelope of "Push subscriptions"
(cloud.google.com/pubsub/docs/push): message {attributes, data (base64), messageId,
message_id, publishTime, publish_time} and subscription.

Every token is checked by google-auth's own verifier, `google.oauth2.id_token.verify_oauth2_token`
(what Google's push authentication sample calls), with a request stub serving the keys as the
v1 certs endpoint does ({kid: x509 PEM}) and google-auth's clock set to NOW, followed by the
sample's check of `email` and `email_verified`. Each case must pass it, and fail it with another
audience and with one signature byte flipped; each reject must fail it. Deterministic: RS256
(PKCS#1 v1.5) signatures and the self-signed certificates depend only on the keys and fixed
fields; ids come from labels through SHA-256.

    python gen.py OUT_DIR     (OUT_DIR/pubsub.json)
"""
import base64, datetime, hashlib, json, pathlib, sys
from unittest import mock

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

import google.auth._helpers
import google.oauth2.id_token

HERE = pathlib.Path(__file__).resolve().parent
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z, the clock every check uses
AUDIENCE = "https://hooks.example.com/hooks/pubsub"
EMAIL = "push@project-id.iam.gserviceaccount.com"
SUBSCRIPTION = "projects/project-id/subscriptions/hookgate-push"
ISSUER = "https://accounts.google.com"


def sha(label):
    return hashlib.sha256(label.encode()).hexdigest()


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load(label):
    """A test key and its kid: 40 hex digits, like Google's, derived from the label."""
    key = serialization.load_pem_private_key((HERE / f"{label}.pem").read_bytes(), password=None)
    return key, sha(f"pubsub-{label}")[:40]


KEYS = [load("key-1"), load("key-2")]
# The service account's unique id (Google's are 21 decimal digits).
SUB = str(int(sha("pubsub-service-account"), 16))[:21]


def jwk(key, kid):
    n = key.public_key().public_numbers()
    size = (n.n.bit_length() + 7) // 8
    # The members Google's v3 certs endpoint publishes for each key.
    return {
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": kid,
        "n": b64u(n.n.to_bytes(size, "big")),
        "e": b64u(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")),
    }


def certificate(key, kid):
    """The key as the v1 certs endpoint serves it: a self-signed x509 certificate (PEM)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, kid)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int(kid[:16], 16))
        .not_valid_before(datetime.datetime(2025, 12, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def token(key, kid, claims):
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    signing_input = ".".join(
        b64u(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64u(sig)}"


def claims(**over):
    c = {
        "aud": AUDIENCE,
        "azp": SUB,
        "email": EMAIL,
        "email_verified": True,
        "exp": NOW + 3590,
        "iat": NOW - 10,
        "iss": ISSUER,
        "sub": SUB,
    }
    c.update(over)
    return c


def envelope(label, attributes, data):
    """The push request body. Pub/Sub writes the id and time twice (camelCase and snake_case)."""
    mid = str(int(sha(f"pubsub-message-{label}"), 16))[:16]
    published = datetime.datetime.fromtimestamp(NOW - 12, datetime.timezone.utc)
    millis = int(sha(f"pubsub-ms-{label}")[:4], 16) % 1000
    when = published.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"
    message = {
        "attributes": attributes,
        "data": base64.b64encode(data).decode(),
        "messageId": mid,
        "message_id": mid,
        "publishTime": when,
        "publish_time": when,
    }
    body = {"message": message, "subscription": SUBSCRIPTION}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), mid


class Response:
    def __init__(self, data):
        self.status = 200
        self.data = data


CERTS = json.dumps({kid: certificate(key, kid) for key, kid in KEYS}).encode()


def google_accepts(tok, audience=AUDIENCE):
    """google-auth's verifier at NOW, then the push sample's email checks."""
    def request(url, method="GET", **_):
        assert url == "https://www.googleapis.com/oauth2/v1/certs", url
        return Response(CERTS)

    fixed = datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc).replace(tzinfo=None)
    try:
        with mock.patch.object(google.auth._helpers, "utcnow", lambda: fixed):
            info = google.oauth2.id_token.verify_oauth2_token(tok, request, audience=audience)
    except Exception:  # google-auth raises ValueError subclasses and its own errors
        return False
    return info.get("email") == EMAIL and info.get("email_verified") is True


def flip_sig(tok):
    head, sig = tok.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{b64u(bytes(raw))}"


def headers(tok):
    return {"authorization": f"Bearer {tok}", "content-type": "application/json"}


def case(name, attributes, data, key_index=0):
    body, mid = envelope(name, attributes, data)
    key, kid = KEYS[key_index]
    tok = token(key, kid, claims())
    assert google_accepts(tok), f"{name}: google-auth refuses it"
    assert not google_accepts(tok, audience="https://hooks.example.com/hooks/other"), name
    assert not google_accepts(flip_sig(tok)), f"{name}: a flipped signature byte passes"
    return {
        "name": name,
        "headers": headers(tok),
        "body_b64": base64.b64encode(body).decode(),
        "event_id": mid,
    }


def reject(name, reason, tok):
    assert not google_accepts(tok), f"{name}: google-auth accepts it"
    body, _ = envelope(name, {"origin": "hookgate-vectors"}, b'{"kind":"reject"}')
    return {
        "name": name,
        "reason": reason,
        "headers": headers(tok),
        "body_b64": base64.b64encode(body).decode(),
    }


def main(out_dir):
    big = json.dumps(
        {"rows": [{"n": i, "sku": sha(f"sku-{i}")[:12]} for i in range(34)]},
        separators=(",", ":"),
    ).encode()
    assert 900 <= len(big) <= 1300, len(big)
    cases = [
        case("basic", {"origin": "hookgate-vectors"}, b'{"order_id":"ord_1","status":"paid"}'),
        case("large_1kib", {"origin": "hookgate-vectors", "encoding": "json"}, big),
        case(
            "unicode_attribute",
            {"city": "Zürich – 東京 ☕", "note": "tab\there"},
            "Grüße, 世界 🌍".encode(),
        ),
        case("rotation_second_key", {"origin": "hookgate-vectors"}, b'{"order_id":"ord_2"}', 1),
    ]
    key, kid = KEYS[0]
    rejects = [
        reject(
            "wrong_audience",
            "aud is another endpoint's URL",
            token(key, kid, claims(aud="https://hooks.example.com/hooks/other")),
        ),
        reject(
            "wrong_email",
            "signed by Google for another service account's subscription",
            token(key, kid, claims(email="attacker@other-project.iam.gserviceaccount.com")),
        ),
        reject(
            "expired",
            "exp passed an hour before now",
            token(key, kid, claims(iat=NOW - 7200, exp=NOW - 3600)),
        ),
        reject(
            "unknown_kid",
            "the kid is in no published key (signed with key-1's key, but naming another)",
            token(key, sha("pubsub-unpublished")[:40], claims()),
        ),
    ]
    doc = {
        "_comment": "Google Cloud Pub/Sub push deliveries with OIDC tokens, signed with TEST keys; written by tools/vectors/pubsub/gen.sh, do not edit",
        "jwks": {"keys": [jwk(k, kid) for k, kid in KEYS]},
        "issuers": ["accounts.google.com", ISSUER],
        "audience": AUDIENCE,
        "email": EMAIL,
        "now": NOW,
        "cases": cases,
        "rejects": rejects,
    }
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pubsub.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
