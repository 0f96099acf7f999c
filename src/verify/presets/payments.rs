//! Presets: payments. See `super` for the builder and how a preset is proven.
//!
//! Each preset's vectors come from `tools/vectors/payments` (the sender's SDK verifies them
//! where it has one); the sources of each fact are cited there and beside each preset.

use super::Encoding::Base64;
use super::{
    h, standard_webhooks, Algorithm, Catalogue, Handshake, HeaderSet, KeySource, Piece, Preset,
    SecretEncoding, TimestampFormat, TimestampRule, TimestampSource, B, DAY, HOUR, MINUTE,
};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &[
    "checkout",
    "gocardless",
    "paystack",
    "lemonsqueezy",
    "lithic",
    "onfido",
    "modern-treasury",
    "polar",
    "brex",
    "aftership",
    "chargify",
    "bolt",
    "castle",
    "worldline",
    "orb",
    "recurly",
    "persona",
    "adyen",
];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`).
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("checkout", 30 * HOUR, "checkout.com/docs/workflows (receive webhooks): up to eight retries, 5, 10, 15 and 30 minutes, 1, 4, 12 and 12 hours after each previous attempt; Dashboard and API resends have no documented limit"),
    ("chargify", 5 * MINUTE, "docs.maxio.com Webhooks Reference: five attempts, retries 10, 15, 90 and 180 seconds after each failure; manual replays through the API or the webhook panel have no documented limit"),
    ("adyen", 30 * DAY, "docs.adyen.com/development-resources/webhooks/troubleshoot: three immediate retries, then a retry queue for up to 30 days (2, 5, 10, 15, 30 minutes, 1, 2, 4, 8 hours)"),
    ("lemonsqueezy", 3 * MINUTE, "lemonsqueezy.com/docs/api/webhooks: up to three more attempts with exponential backoff (5, 25, 125 seconds); dashboard resends have no documented limit"),
];

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // Checkout.com (workflows): hex HMAC-SHA256 of the raw body in `Cko-Signature`, keyed
        // with the signature key typed into the workflow's webhook action (used as text).
        // No timestamp. The event `id` (`evt_...`) is in the signed body and is what a retry
        // repeats.
        "checkout" => B::new("checkout", "cko-signature")
            .dedup_json("/id")
            .build(),
        // GoCardless: hex HMAC-SHA256 of the body in `Webhook-Signature` under the endpoint
        // secret (gocardless_pro `webhooks.parse`). No timestamp. A webhook batches events;
        // its signed `meta.webhook_id` names the delivery (a retry of it via the API answers
        // the same id), so it is the dedup key; older bodies without `meta` fall back to the
        // body hash.
        "gocardless" => B::new("gocardless", "webhook-signature")
            .dedup_json("/meta/webhook_id")
            .build(),
        // Paystack: hex HMAC-SHA512 of the body under the account's secret key (`sk_...`) in
        // `x-paystack-signature`. No timestamp and no event id (the body's `data.id` is the
        // transaction, shared by its events): the body hash.
        "paystack" => B::new("paystack", "x-paystack-signature")
            .alg(Algorithm::HmacSha512)
            .build(),
        // Lemon Squeezy: hex HMAC-SHA256 of the body in `X-Signature` under the signing secret
        // the user typed. No timestamp; `meta.webhook_id` names the endpoint, not the delivery:
        // the body hash.
        "lemonsqueezy" => B::new("lemonsqueezy", "x-signature").build(),
        // Lithic: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
        // `whsec_` + base64 secret); lithic's `webhooks.verify_signature` reads only the
        // `webhook-*` headers and never `v1a` entries, so neither does the preset. The signed
        // `webhook-id` is the dedup key.
        "lithic" => {
            let mut p = standard_webhooks("lithic", false);
            p.scheme
                .headers
                .retain(|set| set.signature.as_str() == "webhook-signature");
            p.scheme.alt_entries.clear();
            p
        }
        // Onfido: hex HMAC-SHA256 of the body under the webhook token in `X-SHA2-Signature`
        // (onfido-python `WebhookEventVerifier`). No timestamp, no delivery id: the body hash.
        "onfido" => B::new("onfido", "x-sha2-signature").build(),
        // Modern Treasury: hex HMAC-SHA256 of the body under the webhook key in `X-Signature`
        // (modern-treasury `webhooks.validate_signature`). No timestamp. `X-Webhook-ID` is
        // the documented idempotency id, not signed: dedup on it with the body hash.
        "modern-treasury" => B::new("modern-treasury", "x-signature")
            .dedup_delivery_header("x-webhook-id")
            .build(),
        // Polar: Standard Webhooks (`webhook-*` headers only, `v1,` entries over
        // `{id}.{timestamp}.{body}`), as its server signs for secrets generated since its
        // cutoff (polarsource/polar `server/polar/webhook/tasks.py` `sign_webhook`,
        // `constants.py` `WEBHOOK_STANDARD_SIGNATURE_CUTOFF`, 2026-09-08). Endpoints whose secret
        // is older are signed with the whole `whsec_...` string as UTF-8 (the API shows
        // `uses_standard_webhook_signature: false`): those routes set `secret_encoding: raw`.
        // `webhook-id` is the webhook event's id, kept across retries and signed: the dedup key.
        "polar" => {
            let mut p = standard_webhooks("polar", false);
            p.scheme
                .headers
                .retain(|set| set.signature.as_str() == "webhook-signature");
            p.scheme.alt_entries.clear();
            p
        }
        // Brex: Standard Webhooks headers (`Webhook-Id`, `Webhook-Timestamp`,
        // `Webhook-Signature`), `v1,<base64>` entries over `{id}.{timestamp}.{body}`, keyed with
        // the base64 secret from `GET /v1/webhooks/secrets` (no `whsec_` prefix, which `Whsec`
        // allows). During a rotation that endpoint lists two secrets and the header carries
        // two signatures. Brex documents only the `Webhook-*` family. The signed id is the key.
        "brex" => {
            let mut p = standard_webhooks("brex", false);
            p.scheme
                .headers
                .retain(|set| set.signature.as_str() == "webhook-signature");
            p.scheme.alt_entries.clear();
            p
        }
        // AfterShip: base64 HMAC-SHA256 of the body under the webhook secret, in
        // `aftership-hmac-sha256` (Tracking) or `as-signature-hmac-sha256` (Returns, Warranty).
        // No timestamp. Tracking bodies carry `event_id` (UUID, "to uniquely identify the
        // webhook event"); others fall back to the body hash.
        "aftership" => B::new("aftership", "aftership-hmac-sha256")
            .enc(Base64)
            .family(HeaderSet {
                signature: h("as-signature-hmac-sha256"),
                timestamp: None,
                id: None,
            })
            .dedup_json("/event_id")
            .build(),
        // Chargify (Maxio Advanced Billing): hex HMAC-SHA256 of the raw form-encoded body under
        // the site shared key in `X-Chargify-Webhook-Signature-Hmac-Sha-256`. No timestamp. The
        // webhook `id` is a form field, which no dedup source reads: the body hash (a retry or
        // replay resends the same body).
        "chargify" => B::new("chargify", "x-chargify-webhook-signature-hmac-sha-256").build(),
        // Bolt: base64 HMAC-SHA256 of the raw body under the signing secret in
        // `X-Bolt-Hmac-Sha256`. No timestamp, no documented delivery id: the body hash.
        "bolt" => B::new("bolt", "x-bolt-hmac-sha256").enc(Base64).build(),
        // Castle: base64 HMAC-SHA256 of the body under the API secret in `X-Castle-Signature`
        // (castle SDK `WebhooksVerify`). No timestamp, no delivery id: the body hash.
        "castle" => B::new("castle", "x-castle-signature").enc(Base64).build(),
        // Worldline Direct: base64 HMAC-SHA256 of the body under the webhook secret key in
        // `X-GCS-Signature`; `X-GCS-KeyId` names the key, and hookgate tries the route's keys
        // instead. The body's `id` is the event id ("use this id to verify that you did not
        // already receive this event"). Worldline Connect (same signature) verifies a new
        // endpoint with a GET whose `X-GCS-Webhooks-Endpoint-Verification` value must be echoed
        // (docs.connect.worldline-solutions.com/documentation/webhooks): hookgate answers it on
        // routes with `methods: [GET, POST]`.
        "worldline" => B::new("worldline", "x-gcs-signature")
            .enc(Base64)
            .dedup_json("/id")
            .handshake(Handshake::WorldlineVerification)
            .build(),
        // Orb: `X-Orb-Signature: v1=<hex>` (several space-separated entries possible), hex
        // HMAC-SHA256 under the webhook secret (as text) of `v1:{X-Orb-Timestamp}:{body}`; the
        // timestamp is ISO 8601 without a zone, UTC (`2024-03-27T15:42:29.551`; orb-billing
        // `webhooks.verify_signature`, whose window is 5 minutes). No documented delivery id:
        // the body hash.
        "orb" => B::new("orb", "x-orb-signature")
            .list(" ")
            .prefix("v1=")
            .ts_header("x-orb-timestamp", TimestampFormat::Iso8601NoZone)
            .payload("v1:{timestamp}:{body}")
            .build(),
        // Recurly: `recurly-signature: <unix ms>,<hex>[,<hex>]`, the first entry the timestamp,
        // each signature the hex HMAC-SHA256 under the endpoint's secret key of
        // `{timestamp}.{body}`; two signatures for 24 hours after a key is regenerated
        // (docs.recurly.com "Signature verification"; recurly-client-ruby
        // `Webhooks.verify_signature`, 5-minute tolerance). JSON webhooks only: XML ones are
        // unsigned. No documented delivery id: the body hash.
        "recurly" => {
            let mut p = B::new("recurly", "recurly-signature")
                .list(",")
                .payload("{timestamp}.{body}")
                .build();
            p.scheme.timestamp = Some(TimestampRule {
                source: TimestampSource::FirstEntry,
                format: TimestampFormat::UnixMs,
            });
            p
        }
        // Persona: `Persona-Signature: t=<unix>,v1=<hex>`, hex HMAC-SHA256 under the webhook
        // secret of `{t}.{body}`; while a secret rotates the header holds two such groups
        // separated by a space (docs.withpersona.com "Webhook Best Practices", Checking
        // signatures). Persona says the same event may arrive more than once but names no
        // delivery id outside the body's event: the body hash.
        "persona" => {
            let mut p = B::new("persona", "persona-signature")
                .params(',', "v1", "t", TimestampFormat::Unix)
                .payload("{timestamp}.{body}")
                .build();
            p.scheme.param_groups = Some(' ');
            p
        }
        // Adyen standard webhooks: the signature is in the body, at the item's
        // `additionalData.hmacSignature`, base64 HMAC-SHA256 under the hex-decoded HMAC key of
        // `pspReference:originalReference:merchantAccountCode:merchantReference:amount.value:
        // amount.currency:eventCode:success`, a missing value signed as an empty string and
        // the amount as the integer written (docs.adyen.com/development-resources/webhooks/
        // secure-webhooks/verify-hmac-signatures; npm @adyen/api-library 32.1.0
        // `hmacValidator.getDataToSign`). Only those eight values are signed, not the body
        // (Adyen's design: `check` warns). Each item is signed on its own and the SDKs check
        // only the first, while Adyen sends one per webhook ("JSON and HTTP POST webhooks
        // contain only one NotificationRequestItem", docs.adyen.com/development-resources/
        // webhooks/webhook-types): a body with any other number of items is refused, so no
        // unsigned item reaches the app as verified. No timestamp is signed. The event is
        // named by pspReference, eventCode and success (all signed): the dedup key.
        "adyen" => {
            const ITEM: &str = "/notificationItems/0/NotificationRequestItem";
            let field = |f: &str| Piece::JsonOrEmpty(format!("{ITEM}/{f}"));
            let colon = || Piece::Literal(b":".to_vec());
            let mut p = B::new("adyen", "x-adyen-signature-is-in-the-body")
                .enc(Base64)
                .secret(SecretEncoding::Hex)
                .pieces(vec![
                    field("pspReference"),
                    colon(),
                    field("originalReference"),
                    colon(),
                    field("merchantAccountCode"),
                    colon(),
                    field("merchantReference"),
                    colon(),
                    field("amount/value"),
                    colon(),
                    field("amount/currency"),
                    colon(),
                    field("eventCode"),
                    colon(),
                    field("success"),
                ])
                .dedup(vec![
                    KeySource::JsonJoined(vec![
                        format!("{ITEM}/pspReference"),
                        format!("{ITEM}/eventCode"),
                        format!("{ITEM}/success"),
                    ]),
                    KeySource::BodySha256,
                ])
                .build();
            // No header carries it.
            p.scheme.headers.clear();
            p.scheme.signature_json = Some(format!("{ITEM}/additionalData/hmacSignature"));
            p.scheme.json_single_item = Some("/notificationItems".into());
            p
        }
        _ => return None,
    };
    Some(p)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use base64::engine::{general_purpose::STANDARD, Engine as _};
    use hmac::{Hmac, Mac};
    use http::{HeaderMap, HeaderValue, Method, Uri};

    use crate::secret::Secret;
    use crate::verify::scheme::SecretEncoding;
    use crate::verify::{verify, Freshness, Key, Message};

    /// A Polar delivery signed the legacy way (HMAC keyed with the whole `whsec_...` string)
    /// verifies once the route sets `secret_encoding: raw`, and only then; a standard one only
    /// without it. The vectors cover the standard kind (`tests/fixtures/vectors/polar.json`).
    #[test]
    fn polar_legacy_secret_needs_raw_encoding() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let (id, ts, body) = (
            "0b6d5a2e-1111-4222-8333-444455556666",
            1_764_000_700u64,
            br#"{"type":"order.created"}"#,
        );
        let sign = |key: &[u8]| {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
            mac.update(format!("{id}.{ts}.").as_bytes());
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        };
        let standard_key = STANDARD
            .decode(secret.trim_start_matches("whsec_"))
            .expect("base64");
        let fresh = Freshness {
            max_age: Duration::from_secs(300),
            max_future_skew: Duration::from_secs(60),
        };
        let now = UNIX_EPOCH + Duration::from_secs(ts);
        let (method, uri) = (Method::POST, Uri::from_static("/hook"));
        let ok = |signature: &str, encoding: SecretEncoding| {
            let mut scheme = super::build("polar").expect("polar").scheme;
            scheme.secret_encoding = encoding;
            let key = Key::new("k".into(), &Secret::new(secret), &scheme).expect("key");
            let mut h = HeaderMap::new();
            h.insert("webhook-id", HeaderValue::from_static(id));
            h.insert("webhook-timestamp", HeaderValue::from(ts));
            h.insert(
                "webhook-signature",
                HeaderValue::from_str(signature).expect("ascii"),
            );
            let msg = Message::new(&method, &uri, &h, body, None);
            verify(&scheme, &[key], &msg, fresh, now).is_ok()
        };
        let standard = sign(&standard_key);
        let legacy = sign(secret.as_bytes());
        assert!(ok(&standard, SecretEncoding::Whsec));
        assert!(!ok(&legacy, SecretEncoding::Whsec));
        assert!(ok(&legacy, SecretEncoding::Raw));
        assert!(!ok(&standard, SecretEncoding::Raw));
    }

    /// Adyen: the documented example (public sample key) verifies; only the one signed item
    /// of a body, with its signature, reaches the app as verified; the eight signed values
    /// are bound, the rest of the body is not (Adyen's design); the dedup key is the signed
    /// pspReference, eventCode and success. The SDK-made vectors are in
    /// `tests/fixtures/vectors/adyen.json`.
    #[test]
    fn adyen_signs_one_item_in_the_body() {
        use crate::verify::VerifyError;
        // docs.adyen.com verify-hmac-signatures: the sample key, item and signature.
        let key_hex = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
        let documented = "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=";
        let item = serde_json::json!({
            "additionalData": { "hmacSignature": documented },
            "amount": { "currency": "EUR", "value": 1130 },
            "eventCode": "AUTHORISATION",
            "merchantAccountCode": "TestMerchant",
            "merchantReference": "TestPayment-1407325143704",
            "pspReference": "7914073381342284",
            "reason": "1234:9876:02/2022",
            "success": "true",
        });
        let body = |items: Vec<serde_json::Value>| {
            serde_json::to_vec(&serde_json::json!({ "live": "false", "notificationItems": items }))
                .expect("json")
        };
        let sign = |signed: &str| {
            let key = hex::decode(key_hex).expect("hex");
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
            mac.update(signed.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        };
        assert_eq!(
            sign("7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true"),
            documented
        );
        let p = super::build("adyen").expect("adyen");
        let key = Key::new("k".into(), &Secret::new(key_hex), &p.scheme).expect("key");
        let fresh = Freshness {
            max_age: Duration::from_secs(300),
            max_future_skew: Duration::from_secs(60),
        };
        let (method, uri, headers) = (Method::POST, Uri::from_static("/hook"), HeaderMap::new());
        let check = |b: &[u8]| {
            let msg = Message::new(&method, &uri, &headers, b, None);
            verify(
                &p.scheme,
                std::slice::from_ref(&key),
                &msg,
                fresh,
                UNIX_EPOCH,
            )
        };
        let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut i = item.clone();
            edit(&mut i);
            check(&body(vec![
                serde_json::json!({ "NotificationRequestItem": i }),
            ]))
        };
        let one = body(vec![serde_json::json!({ "NotificationRequestItem": item })]);
        let v = check(&one).expect("the documented item verifies");
        let msg = Message::new(&method, &uri, &headers, &one, None);
        let k = p.dedup_key.extract(&msg, &v).expect("a dedup key");
        assert_eq!(k.id, "7914073381342284:AUTHORISATION:true");
        assert_eq!(k.key, "json:7914073381342284:AUTHORISATION:true");

        // A second item, signed or not, is not covered: refused, as is a body with none.
        let wrapped = serde_json::json!({ "NotificationRequestItem": item });
        let uncovered = Err(VerifyError::Uncovered(
            "a body with other than one notification item (each is signed on its own)",
        ));
        assert_eq!(
            check(&body(vec![wrapped.clone(), wrapped.clone()])),
            uncovered
        );
        let mut other = item.clone();
        other["pspReference"] = "8814073381342285".into();
        other["amount"]["value"] = 999_999.into();
        let other = serde_json::json!({ "NotificationRequestItem": other });
        assert_eq!(check(&body(vec![wrapped.clone(), other])), uncovered);
        let missing = Err(VerifyError::MissingSignatureField(
            "/notificationItems/0/NotificationRequestItem/additionalData/hmacSignature".into(),
        ));
        assert_eq!(check(&body(vec![])), missing);
        assert_eq!(check(br#"{"live":"false"}"#), missing);
        // The signature must be there: removed, or not a string, it is missing.
        assert_eq!(
            edited(&|i| i["additionalData"] = serde_json::json!({})),
            missing
        );
        assert_eq!(
            edited(&|i| i["additionalData"]["hmacSignature"] = 7.into()),
            missing
        );

        // Each signed value is bound; an absent originalReference is the empty one.
        for (field, value) in [
            ("pspReference", serde_json::json!("7914073381342285")),
            ("originalReference", serde_json::json!("7914073381342284")),
            ("merchantAccountCode", serde_json::json!("OtherMerchant")),
            ("merchantReference", serde_json::json!("TestPayment-1")),
            ("eventCode", serde_json::json!("REFUND")),
            ("success", serde_json::json!("false")),
        ] {
            assert_eq!(
                edited(&|i| i[field] = value.clone()),
                Err(VerifyError::Mismatch),
                "{field}"
            );
        }
        assert_eq!(
            edited(&|i| i["amount"]["value"] = 1131.into()),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            edited(&|i| i["amount"]["currency"] = "USD".into()),
            Err(VerifyError::Mismatch)
        );
        // `1130.0` is not the integer Adyen signed: refused rather than guessed at.
        assert_eq!(
            edited(&|i| i["amount"]["value"] = 1130.0.into()),
            Err(VerifyError::Mismatch)
        );
        assert!(edited(&|i| i["originalReference"] = "".into()).is_ok());
        assert!(edited(&|i| i["originalReference"] = serde_json::Value::Null).is_ok());
        // What Adyen does not sign is not bound (the config warns about such routes).
        assert!(edited(&|i| i["reason"] = "changed".into()).is_ok());
    }
}
