"""Writes tests/fixtures/sns/sns.json: Amazon SNS HTTP deliveries signed like SNS signs them.

SNS has no SDK that signs; its messages are signed with the RSA key of a certificate served
from https://sns.<region>.amazonaws.com/...pem. This signs with a fixed TEST key (key.pem,
committed, signs nothing real) and a self-signed certificate made from it, over the string to
sign of the AWS SNS developer guide ("Verifying the signatures of Amazon SNS messages":
`name\\nvalue\\n` for Message, MessageId, Subject (notifications, when present), SubscribeURL
(confirmations), Timestamp, Token (confirmations), TopicArn, Type), SignatureVersion 1 =
SHA1withRSA and 2 = SHA256withRSA. Every case is re-verified here with the certificate's public
key, and by AWS's own validator (npm sns-validator, check.mjs). Deterministic: PKCS#1 v1.5
signatures and the certificate depend only on the key and fixed fields.

    python gen.py OUT_DIR     (OUT_DIR/sns.json)
"""
import base64, datetime, hashlib, json, pathlib, sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).resolve().parent
KEY = serialization.load_pem_private_key((HERE / "key.pem").read_bytes(), password=None)
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookgate-test.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:hookgate-test"

def certificate():
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(KEY.public_key())
        .serial_number(0x5E5)
        .not_valid_before(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2036, 1, 1, tzinfo=datetime.timezone.utc))
        .sign(KEY, hashes.SHA256())
    )

def det_id(label):
    h = hashlib.sha256(label.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

def string_to_sign(m):
    if m["Type"] == "Notification":
        keys = ["Message", "MessageId"] + (["Subject"] if "Subject" in m else []) + ["Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{m[k]}\n" for k in keys).encode()

def digest(version):
    return hashes.SHA1() if version == "1" else hashes.SHA256()

def case(name, kind, message, version, ts, subject=None):
    mid = det_id(name)
    m = {"Type": kind, "MessageId": mid, "TopicArn": TOPIC}
    if subject is not None:
        m["Subject"] = subject
    m["Message"] = message
    if kind != "Notification":
        m["Token"] = hashlib.sha256(("token" + name).encode()).hexdigest() * 2
        m["SubscribeURL"] = f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={m['Token']}"
    m["Timestamp"] = ts
    m["SignatureVersion"] = version
    sig = KEY.sign(string_to_sign(m), padding.PKCS1v15(), digest(version))
    m["Signature"] = base64.b64encode(sig).decode()
    m["SigningCertURL"] = CERT_URL
    if kind == "Notification":
        m["UnsubscribeURL"] = f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC}:{det_id('sub')}"
    # SNS posts the JSON pretty-printed with two spaces, as text/plain.
    body = json.dumps(m, indent=2, ensure_ascii=False).encode()
    signed_at = int(datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp())
    return {
        "name": name,
        "signed_at": signed_at,
        "headers": [
            ["x-amz-sns-message-type", kind],
            ["x-amz-sns-message-id", mid],
            ["x-amz-sns-topic-arn", TOPIC],
            ["User-Agent", "Amazon Simple Notification Service Agent"],
        ],
        "content_type": "text/plain; charset=UTF-8",
        "body_b64": base64.b64encode(body).decode(),
        "event_id": mid,
    }

def main(out):
    cert = certificate()
    cases = [
        case("basic_v1", "Notification", '{"order":42,"status":"paid"}', "1", "2026-12-01T10:00:00.123Z"),
        case("subject_v1", "Notification", "plain text message", "1", "2026-12-01T10:00:01.000Z", subject="Order paid"),
        case("basic_v2_sha256", "Notification", '{"order":43}', "2", "2026-12-01T10:00:02.500Z"),
        case("unicode_odd_whitespace", "Notification", "é ☕ 🎉 \\u00e9\ttab\r\nCRLF  \n", "2", "2026-12-01T10:00:03.000Z", subject="Ünïcode"),
        case("large_1kib", "Notification", json.dumps({"items": [{"sku": f"SKU-{i:04d}", "qty": i} for i in range(40)]}), "1", "2026-12-01T10:00:04.000Z"),
        case("subscription_confirmation", "SubscriptionConfirmation", f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.", "1", "2026-12-01T09:59:00.000Z"),
        case("unsubscribe_confirmation_v2", "UnsubscribeConfirmation", f"You have chosen to deactivate subscription to the topic {TOPIC}.", "2", "2026-12-01T11:00:00.000Z"),
    ]
    pub = cert.public_key()
    for c in cases:
        m = json.loads(base64.b64decode(c["body_b64"]))
        sig = base64.b64decode(m["Signature"])
        pub.verify(sig, string_to_sign(m), padding.PKCS1v15(), digest(m["SignatureVersion"]))
        # A changed field, or the other digest, must fail.
        for bad_msg, bad_digest in [(string_to_sign({**m, "Message": m["Message"] + " "}), digest(m["SignatureVersion"])),
                                    (string_to_sign(m), digest("2" if m["SignatureVersion"] == "1" else "1"))]:
            try:
                pub.verify(sig, bad_msg, padding.PKCS1v15(), bad_digest)
                raise SystemExit(f"{c['name']}: a changed message verified")
            except InvalidSignature:
                pass
    doc = {
        "provider": "sns",
        "generator": "tools/vectors/sns/gen.py: PyPI cryptography==50.0.2 RSA PKCS#1 v1.5 with a fixed test key (key.pem) and a self-signed certificate, over the AWS SNS developer guide's string to sign; checked by npm sns-validator@0.3.5 (AWS)",
        "signing_cert_url": CERT_URL,
        "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "cases": cases,
    }
    path = pathlib.Path(out) / "sns.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

if __name__ == "__main__":
    main(sys.argv[1])
