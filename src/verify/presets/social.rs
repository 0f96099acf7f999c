//! Presets: social. See `super` for the builder and how a preset is proven.
//!
//! Meta (Facebook, Instagram, WhatsApp), Twitter/X, Microsoft Teams outgoing webhooks, Azure
//! Event Grid, Telegram and Microsoft Graph change notifications. Their setup requests (Meta's
//! verification GET, Twitter's CRC, Event Grid's validation, Graph's validation token) are
//! answered by hookgate's handshake module, named here by `Handshake` only.

use super::{Algorithm, Catalogue, Encoding, Handshake, Preset, SecretEncoding, B};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &[
    "facebook",
    "instagram",
    "whatsapp",
    "twitter",
    "microsoft-teams",
    "azure-event-grid",
    "telegram",
    "microsoft-graph",
];

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;

/// How long each sender may deliver the same event again (see `super::REDELIVERY`). Meta,
/// Teams and Telegram state no window ("a reasonable number of attempts"), so they are left out.
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("twitter", 5 * MINUTE, "developer.x.com account-activity-api/guides/activity-retries: up to three retries over five minutes"),
    ("microsoft-graph", 4 * HOUR, "learn.microsoft.com/graph/change-notifications-delivery-webhooks: resent for up to 4 hours, then discarded"),
    ("azure-event-grid", 24 * HOUR, "learn.microsoft.com/azure/event-grid/delivery-and-retry: retried for the event's time to live, 1440 minutes by default and at most"),
];

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // Meta (Graph API webhooks, Instagram, WhatsApp Cloud API): `X-Hub-Signature-256:
        // sha256=<hex>`, HMAC-SHA256 of the raw body with the app secret
        // (developers.facebook.com/docs/graph-api/webhooks/getting-started, "Validate
        // payloads"). No timestamp and no delivery id: dedup on the body hash (a batch's
        // `entry[].time` makes distinct batches differ). The verification GET is answered with
        // the route's `verify_token` (route needs `methods: [GET, POST]`).
        "facebook" | "instagram" | "whatsapp" => {
            let name = match name {
                "facebook" => "facebook",
                "instagram" => "instagram",
                _ => "whatsapp",
            };
            B::new(name, "x-hub-signature-256")
                .prefix("sha256=")
                .handshake(Handshake::MetaVerifyToken)
                .build()
        }
        // Twitter/X Account Activity API: `x-twitter-webhooks-signature: sha256=<base64>`,
        // HMAC-SHA256 of the body with the app's consumer secret (docs.x.com/x-api/webhooks,
        // "Validating the signature header"). No timestamp, no delivery id: the body hash.
        // The CRC GET is answered with the route's first secret.
        "twitter" => B::new("twitter", "x-twitter-webhooks-signature")
            .enc(Encoding::Base64)
            .prefix("sha256=")
            .handshake(Handshake::TwitterCrc)
            .build(),
        // Microsoft Teams outgoing webhooks: `Authorization: HMAC <base64>`, HMAC-SHA256 of the
        // body keyed with the base64-decoded security token Teams shows once
        // (learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/
        // add-outgoing-webhook; OfficeDev/Microsoft-Teams-Samples outgoing-webhook app.js).
        // The body is a Bot Framework activity whose `id` (the message's) is signed with it.
        "microsoft-teams" => B::new("microsoft-teams", "authorization")
            .enc(Encoding::Base64)
            .prefix("HMAC ")
            .secret(SecretEncoding::Base64)
            .dedup_json("/id")
            .build(),
        // Azure Event Grid signs nothing (learn.microsoft.com/azure/event-grid/
        // security-authentication): a receiver checks a secret it configured on the
        // subscription. Here, a static delivery property header (`Authorization` by default,
        // as in the docs' delivery-properties example; the whole value is the secret), compared
        // as a token. Delivery headers are sent with the validation event too, so the
        // validation is verified like a delivery before it is answered. Body hash dedup: a
        // request may batch several events, and the two schemas place `id` differently.
        "azure-event-grid" => B::new("azure-event-grid", "authorization")
            .alg(Algorithm::Token)
            .enc(Encoding::Raw)
            .handshake(Handshake::EventGridValidation)
            .build(),
        // Telegram Bot API: `X-Telegram-Bot-Api-Secret-Token`, the `secret_token` given to
        // `setWebhook` (1-256 of `A-Za-z0-9_-`), compared as a token (core.telegram.org/bots/
        // api#setwebhook). `update_id` identifies an update and is kept across retries.
        "telegram" => B::new("telegram", "x-telegram-bot-api-secret-token")
            .alg(Algorithm::Token)
            .enc(Encoding::Raw)
            .dedup_json("/update_id")
            .build(),
        // Microsoft Graph change notifications: no signature; each notification in the body's
        // `value` array carries the subscription's `clientState`, a secret the app chose, which
        // "must match the value originally submitted" (learn.microsoft.com/graph/
        // change-notifications-delivery-webhooks). Checked as a token at `/value/0/clientState`:
        // it proves the request, not the body, and a batch mixing subscriptions needs every
        // subscription's clientState among the route's secrets. The `?validationToken=` POST
        // (no body, no clientState) is answered before verification. Body hash dedup: a batch
        // may hold several notifications.
        "microsoft-graph" => {
            let mut b = B::new("microsoft-graph", "x-graph-client-state")
                .alg(Algorithm::Token)
                .enc(Encoding::Raw)
                .handshake(Handshake::GraphValidationToken);
            b.0.scheme.signature_json = Some("/value/0/clientState".into());
            b.build()
        }
        _ => return None,
    };
    Some(p)
}
