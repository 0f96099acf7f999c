#!/usr/bin/env python3
"""Vectors for the social catalogue: facebook, instagram, whatsapp, twitter, microsoft-teams,
azure-event-grid, telegram and microsoft-graph, written from the senders' documentation (no
signing SDK was found; twitter is cross-checked by X's twitter-autohook in check_twitter.mjs;
see README.md in this directory).

microsoft-graph is written from the Graph docs the same way (clientState in the body).

Usage: gen.py OUT_DIR        (Python 3 stdlib only; run by gen.sh)

Each sender has a signer written from its docs and, separately, a verifier written the way a
receiver following the same page would (split the header, strip the prefix, decode, compare
in constant time). Every case must verify with one of its route secrets, fail with a wrong
secret, and (for the HMAC schemes) fail with one body byte flipped; its `event_id` must be
what the body says.

Deterministic: secrets and ids come from SHA-256 of a label, times are fixed, nothing reads
the clock or the environment.
"""

import base64
import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # fixtures.py
from fixtures import case, det_bytes, header, write  # noqa: E402

T0 = 1764000000  # 2025-11-24T16:00:00Z, the base time the other generators use too.

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def det(label, n, alphabet=_B62):
    return "".join(alphabet[b % len(alphabet)] for b in det_bytes(label, n))


def det_digits(label, n):
    return det(label, n, "0123456789").lstrip("0") or "1"


def det_uuid(label):
    h = det(label, 32, "0123456789abcdef")
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def meta_json(obj):
    # Meta sends its payloads with non-ASCII as \\u escapes with lowercase hex (Graph API
    # webhooks "Validate payloads": the signature is over the escaped form); json.dumps does
    # exactly that with ensure_ascii.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def hmac256(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def flipped(body: bytes) -> bytes:
    b = bytearray(body)
    b[len(b) // 2] ^= 0x01
    return bytes(b)


def pad(text_len, label):
    """Filler text to reach about 1 KiB of body."""
    return det(label, text_len, _B62 + "     ")


# ------------------------------------------------------------------ signers (from the docs)

def sign_meta(secret, body):
    # X-Hub-Signature-256: "sha256=" + hex(HMAC-SHA256(app secret, raw body)).
    return [("X-Hub-Signature-256", "sha256=" + hmac256(secret.encode(), body).hex())]


def sign_twitter(secret, body):
    # x-twitter-webhooks-signature: "sha256=" + base64(HMAC-SHA256(consumer secret, body)).
    return [("x-twitter-webhooks-signature", "sha256=" + b64(hmac256(secret.encode(), body)))]


def sign_teams(secret, body):
    # Authorization: "HMAC " + base64(HMAC-SHA256(base64decode(security token), body)).
    return [("Authorization", "HMAC " + b64(hmac256(base64.b64decode(secret), body)))]


def sign_event_grid(secret, body):
    # No signature: the subscription's static delivery property, sent as configured.
    return [("aeg-event-type", "Notification"), ("Authorization", secret)]


def sign_telegram(secret, body):
    # setWebhook secret_token, sent back as X-Telegram-Bot-Api-Secret-Token.
    return [("X-Telegram-Bot-Api-Secret-Token", secret)]


# ----------------------------------------------------- verifiers (independent, as a receiver)

def v_meta(c, secret, body):
    got = header(c, "x-hub-signature-256") or ""
    if not got.startswith("sha256="):
        return False
    want = hmac.new(secret.encode("utf-8"), body, "sha256").hexdigest()
    return hmac.compare_digest(got[len("sha256="):].lower(), want)


def v_twitter(c, secret, body):
    got = header(c, "x-twitter-webhooks-signature") or ""
    if not got.startswith("sha256="):
        return False
    want = base64.b64encode(hmac.new(secret.encode("utf-8"), body, "sha256").digest())
    return hmac.compare_digest(got[7:].encode(), want)


def v_teams(c, secret, body):
    # OfficeDev/Microsoft-Teams-Samples outgoing-webhook/nodejs app.js: Buffer(token,
    # "base64") as the key, "HMAC " + digest("base64") compared with the Authorization header.
    got = header(c, "authorization") or ""
    key = base64.b64decode(secret)
    want = "HMAC " + base64.b64encode(hmac.new(key, body, "sha256").digest()).decode()
    return hmac.compare_digest(got, want)


def v_token(name):
    def v(c, secret, body):
        return hmac.compare_digest((header(c, name) or "").encode(), secret.encode())
    return v


# ------------------------------------------------------------------------------- bodies

def meta_page(i, text, extra=""):
    return {
        "object": "page",
        "entry": [{
            "id": det_digits(f"fb-page-{i}", 15),
            "time": T0 + i,
            "changes": [{
                "field": "feed",
                "value": {
                    "item": "comment",
                    "verb": "add",
                    "post_id": det_digits(f"fb-post-{i}", 15) + "_" + det_digits(f"fb-post2-{i}", 16),
                    "comment_id": det_digits(f"fb-c-{i}", 16),
                    "from": {"id": det_digits(f"fb-from-{i}", 16), "name": "Ana Test"},
                    "message": text + extra,
                    "created_time": T0 + i,
                },
            }],
        }],
    }


def instagram(i, text, extra=""):
    return {
        "object": "instagram",
        "entry": [{
            "id": det_digits(f"ig-acct-{i}", 17),
            "time": T0 + i,
            "changes": [{
                "field": "comments",
                "value": {
                    "from": {"id": det_digits(f"ig-from-{i}", 17), "username": "test_user"},
                    "media": {"id": det_digits(f"ig-media-{i}", 17), "media_product_type": "FEED"},
                    "id": det_digits(f"ig-comment-{i}", 17),
                    "text": text + extra,
                },
            }],
        }],
    }


def whatsapp(i, text, extra=""):
    return {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": det_digits(f"wa-waba-{i}", 15),
            "changes": [{
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881",
                                 "phone_number_id": det_digits(f"wa-pn-{i}", 15)},
                    "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
                    "messages": [{
                        "from": "16505551234",
                        "id": "wamid." + det(f"wa-msg-{i}", 40),
                        "timestamp": str(T0 + i),
                        "text": {"body": text + extra},
                        "type": "text",
                    }],
                },
                "field": "messages",
            }],
        }],
    }


def twitter(i, text, extra=""):
    user = det_digits("tw-user", 10)
    return {
        "for_user_id": user,
        "tweet_create_events": [{
            "created_at": "Mon Nov 24 16:00:%02d +0000 2025" % (i % 60),
            "id_str": det_digits(f"tw-tweet-{i}", 19),
            "text": text + extra,
            "user": {"id_str": det_digits(f"tw-author-{i}", 10), "screen_name": "test_author"},
        }],
    }


def teams(i, text, extra=""):
    return {
        "type": "message",
        "id": det_digits(f"teams-id-{i}", 13),
        "timestamp": "2025-11-24T16:00:%02d.1234567Z" % (i % 60),
        "localTimestamp": "2025-11-24T08:00:%02d.1234567-08:00" % (i % 60),
        "serviceUrl": "https://smba.trafficmanager.net/amer/",
        "channelId": "msteams",
        "from": {"id": "29:" + det(f"teams-from-{i}", 40), "name": "Megan Bowen",
                 "aadObjectId": det_uuid(f"teams-aad-{i}")},
        "conversation": {"isGroup": True, "id": "19:" + det(f"teams-conv-{i}", 32) + "@thread.skype;messageid=" + det_digits(f"teams-id-{i}", 13),
                         "name": None, "conversationType": "channel", "tenantId": det_uuid("teams-tenant")},
        "recipient": None,
        "textFormat": "plain",
        "text": "<at>Hookgate</at> " + text + extra,
        "attachments": [{"contentType": "text/html",
                         "content": "<div><span itemscope=\"\" itemtype=\"http://schema.skype.com/Mention\" itemid=\"0\">Hookgate</span> " + text + "</div>"}],
        "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}],
        "channelData": {"teamsChannelId": "19:" + det(f"teams-ch-{i}", 32) + "@thread.skype",
                        "teamsTeamId": "19:" + det("teams-team", 32) + "@thread.skype",
                        "channel": {"id": "19:" + det(f"teams-ch-{i}", 32) + "@thread.skype"},
                        "team": {"id": "19:" + det("teams-team", 32) + "@thread.skype"},
                        "tenant": {"id": det_uuid("teams-tenant")}},
        "locale": "en-US",
    }


def event_grid(i, text, extra=""):
    return [{
        "topic": "/subscriptions/" + det_uuid("eg-sub") + "/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/my-storage-account",
        "subject": "/blobServices/default/containers/test-container/blobs/" + text + ".txt",
        "eventType": "Microsoft.Storage.BlobCreated",
        "eventTime": "2025-11-24T16:00:%02d.0000000Z" % (i % 60),
        "id": det_uuid(f"eg-id-{i}"),
        "data": {
            "api": "PutBlockList",
            "clientRequestId": det_uuid(f"eg-client-{i}"),
            "requestId": det_uuid(f"eg-req-{i}"),
            "eTag": "0x8D4BCC2E4835CD0",
            "contentType": "text/plain",
            "contentLength": 524288 + i,
            "blobType": "BlockBlob",
            "url": "https://my-storage-account.blob.core.windows.net/testcontainer/" + text + ".txt",
            "sequencer": "00000000000004420000000000028963",
            "storageDiagnostics": {"batchId": det_uuid(f"eg-batch-{i}"), "note": extra},
        },
        "dataVersion": "",
        "metadataVersion": "1",
    }]


def telegram(i, text, extra=""):
    return {
        "update_id": int(det_digits(f"tg-update-{i}", 9)),
        "message": {
            "message_id": 100 + i,
            "from": {"id": int(det_digits(f"tg-user-{i}", 10)), "is_bot": False,
                     "first_name": "Ana", "language_code": "en"},
            "chat": {"id": int(det_digits(f"tg-user-{i}", 10)), "first_name": "Ana", "type": "private"},
            "date": T0 + i,
            "text": text + extra,
        },
    }


def graph(i, text, extra, client_state):
    # learn.microsoft.com/graph/change-notifications-delivery-webhooks, "Change notification
    # example": a changeNotificationCollection; every notification carries clientState.
    def one(k):
        return {
            "id": det(f"graph-id-{i}-{k}", 13),
            "subscriptionId": det_uuid(f"graph-sub-{i}"),
            "subscriptionExpirationDateTime": "2025-11-25T16:00:00.000Z",
            "clientState": client_state,
            "changeType": "created",
            "resource": "Users/" + det_uuid("graph-user") + "/Messages/" + det(f"graph-msg-{i}-{k}", 40),
            "tenantId": det_uuid("graph-tenant"),
            "resourceData": {
                "@odata.type": "#Microsoft.Graph.Message",
                "@odata.id": "Users/" + det_uuid("graph-user") + "/Messages/" + det(f"graph-msg-{i}-{k}", 40),
                "@odata.etag": "W/\"" + det(f"graph-etag-{i}-{k}", 36) + "\"",
                "id": det(f"graph-msg-{i}-{k}", 40),
                "subject": text + extra,
            },
        }
    return {"value": [one(0), one(1)] if i == 1 else [one(0)]}


def sign_graph(secret, body):
    # No header: the secret is the body's clientState (graph() put it there).
    return []


def v_graph(c, secret, body):
    # As the docs say a receiver does: every notification's clientState must match.
    notes = json.loads(body)["value"]
    return bool(notes) and all(
        hmac.compare_digest(n.get("clientState", "").encode(), secret.encode()) for n in notes)


# ------------------------------------------------------------------------------ senders

def secret_raw(label, n=32):
    return det(label, n)


def secret_teams(label):
    # Teams shows the security token base64-encoded (32 random bytes).
    return b64(det_bytes(label, 32))


def secret_telegram(label):
    return det(label, 48, _B62 + "_-")


def secret_event_grid(label):
    return "Bearer " + det(label, 43)


SENDERS = {
    # name: (body fn, serializer, signer, verifier, secret fn, event id fn, signs body, source)
    "facebook": (meta_page, meta_json, sign_meta, v_meta, secret_raw, None, True,
                 "developers.facebook.com/docs/graph-api/webhooks/getting-started (Validate payloads): X-Hub-Signature-256 = sha256= + hex HMAC-SHA256(app secret, body); bodies after the Page feed webhook reference, non-ASCII escaped as Meta sends it"),
    "instagram": (instagram, meta_json, sign_meta, v_meta, secret_raw, None, True,
                  "developers.facebook.com/docs/instagram-platform/webhooks: X-Hub-Signature-256 = sha256= + hex HMAC-SHA256(app secret, body); bodies after the comments webhook reference"),
    "whatsapp": (whatsapp, meta_json, sign_meta, v_meta, secret_raw, None, True,
                 "developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/create-webhook-endpoint: X-Hub-Signature-256 = sha256= + hex HMAC-SHA256(app secret, body); bodies after the messages webhook reference"),
    "twitter": (twitter, compact, sign_twitter, v_twitter, lambda l: secret_raw(l, 50), None, True,
                "docs.x.com/x-api/webhooks (Validating the signature header): x-twitter-webhooks-signature = sha256= + base64 HMAC-SHA256(consumer secret, body); checked by npm twitter-autohook@1.7.2 validateSignature (check_twitter.mjs); bodies after the Account Activity tweet_create_events reference"),
    "microsoft-teams": (teams, compact, sign_teams, v_teams, secret_teams, lambda b: b["id"], True,
                        "learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook and OfficeDev/Microsoft-Teams-Samples outgoing-webhook app.js: Authorization = HMAC + base64 HMAC-SHA256(base64-decoded security token, body); bodies after a Bot Framework message activity"),
    "azure-event-grid": (event_grid, compact, sign_event_grid, v_token("authorization"), secret_event_grid, None, False,
                         "learn.microsoft.com/azure/event-grid/delivery-properties and security-authentication: no signature, a static delivery property header (Authorization) holding a secret, compared as a token; bodies after the Event Grid schema Microsoft.Storage.BlobCreated example"),
    "telegram": (telegram, compact, sign_telegram, v_token("x-telegram-bot-api-secret-token"), secret_telegram, lambda b: str(b["update_id"]), False,
                 "core.telegram.org/bots/api#setwebhook: X-Telegram-Bot-Api-Secret-Token = the setWebhook secret_token (1-256 of A-Za-z0-9_-), compared as a token; bodies after the Update object (update_id is the dedup key)"),
    "microsoft-graph": (None, compact, sign_graph, v_graph, lambda l: det(l, 40, _B62 + "-_"), None, False,
                        "learn.microsoft.com/graph/change-notifications-delivery-webhooks: no signature, each notification's clientState (the secret given at subscription) must match, checked as a token at /value/0/clientState; bodies after its change notification example"),
}

TEXTS = [
    ("basic", "Great post, thanks", ""),
    ("body_1kib", "Longer comment", None),
    ("unicode_odd_whitespace", "caf\u00e9\u00a0\u2003na\u00efve\ttab\r\nline \u2028sep", ""),
    ("non_ascii", "\u65e5\u672c\u8a9e \U0001F600 \u0645\u0631\u062d\u0628\u0627 \u00fcber", ""),
]


def build(name):
    body_fn, ser, sign, verify, secret_fn, id_fn, signs_body, source = SENDERS[name]
    cases = []
    old, new = secret_fn(f"{name}-secret-old"), secret_fn(f"{name}-secret-new")
    for i, (label, text, extra) in enumerate(TEXTS + [("rotation_route_old_new_signed_by_new", "Rotated secret", "")]):
        if extra is None:
            extra = " " + pad(900, f"{name}-pad")
        secret = new if label.startswith("rotation") else old
        obj = graph(i, text, extra, secret) if name == "microsoft-graph" else body_fn(i, text, extra)
        # Meta escapes non-ASCII; one case keeps raw UTF-8 anyway, so a body that is not
        # ASCII is proven for these presets too (the signature is over whatever bytes came).
        body = compact(obj) if (ser is meta_json and label == "non_ascii") else ser(obj)
        if label == "body_1kib":
            assert len(body) >= 1024, (name, len(body))
        secrets = [old, new] if label.startswith("rotation") else [old]
        headers = sign(secret, body)
        event_id = id_fn(obj) if id_fn else None
        c = case(label, secrets, T0 + 3600 * i, headers, body, event_id)
        # The independent verifier: one route secret verifies, a wrong one does not, a flipped
        # body byte does not (for the schemes that sign the body).
        assert any(verify(c, s, body) for s in secrets), (name, label)
        wrong = secret_fn(f"{name}-wrong")
        assert not verify(c, wrong, body), (name, label, "wrong secret verified")
        if signs_body:
            assert not any(verify(c, s, flipped(body)) for s in secrets), (name, label, "flipped body verified")
        if label.startswith("rotation"):
            assert not verify(c, old, body), (name, label, "old secret verified")
        cases.append(c)
    return source, cases


def main():
    out = sys.argv[1]
    for name in SENDERS:
        source, cases = build(name)
        write(out, name, name, "no signing SDK: Python stdlib, " + source, cases)


if __name__ == "__main__":
    main()
