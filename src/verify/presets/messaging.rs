//! Presets: messaging. See `super` for the builder and how a preset is proven.
//!
//! Messaging, email and collaboration senders. The vectors of each come from
//! `tools/vectors/messaging` (its README cites the facts): signed as the sender's SDK or docs
//! sign, and checked by the sender's own SDK verifier where it has one.

use super::{
    Algorithm, Base64, Catalogue, Handshake, KeySource, Piece, Preset, Rfc3339, SecretEncoding,
    Unix, UnixMs, B, DAY,
};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &[
    "line",
    "zendesk",
    "customerio",
    "front",
    "helpscout",
    "nylas",
    "webex",
    "telnyx",
    "pusher",
    "clickup",
    "frameio",
    "tiktok",
    "trello",
    "docusign",
    "mandrill",
];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`).
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("tiktok", 3 * DAY, "developers.tiktok.com/doc/webhooks-overview: TikTok retries the delivery for up to 72 hours using exponential backoff"),
];

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // LINE Messaging API: base64 HMAC-SHA256 of the body keyed with the channel secret
        // (@line/bot-sdk `validateSignature`). No timestamp. A body batches events, each with
        // its own `webhookEventId`, and a redelivery is re-sent with
        // `deliveryContext.isRedelivery: true`, so no one body field names the delivery: the
        // body hash is the key, and the app dedups events on `webhookEventId`.
        "line" => B::new("line", "x-line-signature").enc(Base64).build(),
        // Zendesk: base64 HMAC-SHA256 over the timestamp header's text followed by the body
        // (developer.zendesk.com/documentation/webhooks/verifying); the timestamp is ISO 8601.
        // The secret looks like base64 but is used as text.
        "zendesk" => B::new("zendesk", "x-zendesk-webhook-signature")
            .enc(Base64)
            .payload("{timestamp}{body}")
            .ts_header("x-zendesk-webhook-signature-timestamp", Rfc3339)
            .build(),
        // Customer.io reporting webhooks: hex HMAC-SHA256 over `v0:{timestamp}:{body}`
        // (customerio-node `verifyRequestSignature`), unix seconds. `event_id` in the body is
        // the event's own id.
        "customerio" => B::new("customerio", "x-cio-signature")
            .payload("v0:{timestamp}:{body}")
            .ts_header("x-cio-timestamp", Unix)
            .dedup_json("/event_id")
            .build(),
        // Front application webhooks: base64 HMAC-SHA256 over `{timestamp}:{body}`, the
        // timestamp in milliseconds (dev.frontapp.com/docs/application-webhooks). The event
        // preview's `id` is the key; the signed `sync` validation request has none (body
        // hash) and is forwarded for the app to answer `x-front-challenge`. Front's older rule
        // webhooks (base64 HMAC-SHA1 of the body with the API secret) are another scheme.
        "front" => B::new("front", "x-front-signature")
            .enc(Base64)
            .payload("{timestamp}:{body}")
            .ts_header("x-front-request-timestamp", UnixMs)
            .dedup_json("/id")
            .build(),
        // Help Scout: base64 HMAC-SHA1 of the body (developer.helpscout.com/webhooks). No
        // timestamp, no delivery id: the body hash.
        "helpscout" => B::new("helpscout", "x-helpscout-signature")
            .alg(Algorithm::HmacSha1)
            .enc(Base64)
            .build(),
        // Nylas: hex HMAC-SHA256 of the body keyed with the webhook secret (nylas SDK
        // `verifyWebhookSignature`). The notification `id` is signed; the body's
        // `webhook_delivery_attempt` changes on a retry, so the body hash would not catch one.
        // Nylas checks a new endpoint with `GET ?challenge=`: hookgate echoes it (the route
        // needs `methods: [GET, POST]`).
        "nylas" => B::new("nylas", "x-nylas-signature")
            .dedup_json("/id")
            .handshake(Handshake::DropboxChallenge)
            .build(),
        // Webex: hex HMAC-SHA1 of the body with the webhook's secret (X-Spark-Signature). The
        // body's `id` is the webhook's, not the event's: the body hash.
        "webex" => B::new("webex", "x-spark-signature")
            .alg(Algorithm::HmacSha1)
            .build(),
        // Telnyx API v2: Ed25519 over `{timestamp}|{body}`, base64; the route holds the
        // account's public key, base64 (telnyx `TelnyxWebhook.verify`, 300 s window). `data.id`
        // is the event's id; `meta.attempt` changes on a retry.
        "telnyx" => B::new("telnyx", "telnyx-signature-ed25519")
            .alg(Algorithm::Ed25519)
            .enc(Base64)
            .secret(SecretEncoding::Base64)
            .payload("{timestamp}|{body}")
            .ts_header("telnyx-timestamp", Unix)
            .dedup_json("/data/id")
            .build(),
        // Pusher Channels: hex HMAC-SHA256 of the body with the app secret (pusher
        // `WebHook.isValid`); `X-Pusher-Key` names the app and is not signed. The body's
        // `time_ms` is not used as a freshness check (Pusher documents no window for it).
        "pusher" => B::new("pusher", "x-pusher-signature").build(),
        // ClickUp: hex HMAC-SHA256 of the body with the webhook's secret
        // (developer.clickup.com/docs/webhooksignature). No delivery id: the body hash.
        "clickup" => B::new("clickup", "x-signature").build(),
        // Frame.io: `v0=<hex>` HMAC-SHA256 over `v0:{timestamp}:{body}`, unix seconds in
        // X-Frameio-Request-Timestamp (developer.frame.io V4 webhooks guide, "Verifying Webhook
        // Signatures"; it recommends a 5 minute window). The payload names the resource, not
        // the delivery, and no delivery id header is documented: the body hash.
        "frameio" => B::new("frameio", "x-frameio-signature")
            .prefix("v0=")
            .payload("v0:{timestamp}:{body}")
            .ts_header("x-frameio-request-timestamp", Unix)
            .build(),
        // TikTok for Developers: `TikTok-Signature: t=<unix>,s=<hex>`, HMAC-SHA256 of
        // `{t}.{body}` keyed with the app's client secret (developers.tiktok.com/doc/
        // webhooks-verification). The body (client_key, event, create_time, user_openid,
        // content) has no event id: the body hash.
        "tiktok" => B::new("tiktok", "tiktok-signature")
            .params(',', "s", "t", Unix)
            .payload("{timestamp}.{body}")
            .build(),
        // Trello: `X-Trello-Webhook: base64(HMAC-SHA1(app secret, body + callbackURL))`, the
        // callback URL exactly as given when the webhook was created (developer.atlassian.com/
        // cloud/trello/guides/rest-api/webhooks "Webhook signatures"): the route needs
        // `public_url` set to that URL. No timestamp. `action.id` names the action and is
        // signed with the body. Creating a webhook sends an unsigned `HEAD` that must get a 200
        // ("Creating a Webhook"): hookgate answers it, even on a POST-only route.
        "trello" => B::new("trello", "x-trello-webhook")
            .alg(Algorithm::HmacSha1)
            .enc(Base64)
            .payload("{body}{url}")
            .public_url()
            .dedup_json("/action/id")
            .handshake(Handshake::TrelloHead)
            .build(),
        // DocuSign Connect: base64 HMAC-SHA256 of the body, one `X-DocuSign-Signature-N`
        // header per active Connect key (developers.docusign.com/platform/webhooks/connect/
        // validate); any one matching a route secret is enough. The first ten are read. No
        // timestamp and no documented event id: the body hash.
        "docusign" => B::new("docusign", "x-docusign-signature-1")
            .also_header("x-docusign-signature-2")
            .also_header("x-docusign-signature-3")
            .also_header("x-docusign-signature-4")
            .also_header("x-docusign-signature-5")
            .also_header("x-docusign-signature-6")
            .also_header("x-docusign-signature-7")
            .also_header("x-docusign-signature-8")
            .also_header("x-docusign-signature-9")
            .also_header("x-docusign-signature-10")
            .enc(Base64)
            .build(),
        // Mandrill (Mailchimp Transactional): `X-Mandrill-Signature: base64(HMAC-SHA1(webhook
        // key, URL + each POST variable's key and value, sorted by key, no delimiters))`, the
        // URL exactly as configured (mandrill.zendesk.com "How to Authenticate Webhook
        // Requests"; its PHP sample `ksort`s `$_POST`): Twilio's form
        // scheme. Mandrill posts one variable, `mandrill_events`. Dedup on the hash of the
        // signed form, like Twilio: a re-encoded replay still verifies.
        "mandrill" => B::new("mandrill", "x-mandrill-signature")
            .alg(Algorithm::HmacSha1)
            .enc(Base64)
            .pieces(vec![Piece::Url, Piece::FormParams])
            .public_url()
            .dedup(vec![KeySource::SignedFormSha256])
            .build(),
        _ => return None,
    };
    Some(p)
}
