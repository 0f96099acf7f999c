//! Presets: devtools. See `super` for the builder and how a preset is proven.
//!
//! Facts and vectors: `tools/vectors/devtools` (README.md cites each sender's docs or SDK).

use super::super::scheme::{Algorithm, Encoding, TimestampFormat};
use super::{standard_webhooks, Catalogue, Preset, B, DAY, HOUR};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &[
    "openai",
    "replicate",
    "workos",
    "heroku",
    "circleci",
    "buildkite",
    "terraform",
    "launchdarkly",
    "alchemy",
    "mongodb",
    "sonatype",
    "autodesk",
    "clearbit",
    "signal-sciences",
    "trendmicro-conformity",
    "segment",
    "dwolla",
    "hookdeck",
    "cal-com",
    "easypost",
];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`).
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("openai", 3 * DAY, "OpenAI webhooks guide (as summarised by hookdeck.com/webhooks/platforms/guide-to-openai-webhooks-features-and-best-practices): retried with exponential backoff for up to 72 hours"),
    ("workos", 3 * DAY, "workos.com/docs/webhooks: retries with exponential back-off for up to 3 days in production"),
    ("heroku", 72 * HOUR, "devcenter.heroku.com/changelog-items/2525: events are tried up to 72 hours from the time they were created"),
    ("dwolla", 72 * HOUR, "developers.dwolla.com/docs/connect/webhooks/process-validate: retried up to 8 times over the next 72 hours"),
];

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // OpenAI: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature:
        // v1,<b64>`), the `whsec_` secret base64-decoded (PyPI openai 3.63.0
        // `webhooks.verify_signature`, ±300 s). The signed `webhook-id` is the dedup key.
        "openai" => standard_webhooks("openai", false),
        // Replicate: Standard Webhooks too (npm replicate 1.4.0 `validateWebhook`;
        // replicate.com/docs/topics/webhooks/verify-webhook: `webhook-id` stays the same when a
        // webhook is resent). Its SDK checks no timestamp; hookgate applies its window.
        "replicate" => standard_webhooks("replicate", false),
        // WorkOS: `WorkOS-Signature: t=<ms>, v1=<hex>` over `{t}.{body}`, the secret's bytes as
        // the key (PyPI workos 10.8.0 `verify_header`, which allows 180 s either way). The body's
        // `event_...` id is the event and is signed.
        "workos" => B::new("workos", "workos-signature")
            .params(',', "v1", "t", TimestampFormat::UnixMs)
            .payload("{timestamp}.{body}")
            .dedup_json("/id")
            .build(),
        // Heroku app webhooks: base64 HMAC-SHA256 of the body in `Heroku-Webhook-Hmac-SHA256`
        // (devcenter app-webhooks / addon-webhooks). No timestamp is signed. The body's `id` is
        // the event id (equal to `webhook_metadata.event.id`); `webhook_metadata.attempt.id`
        // changes per attempt, so the body hash would not catch a retry: dedup on `/id`.
        "heroku" => B::new("heroku", "heroku-webhook-hmac-sha256")
            .enc(Encoding::Base64)
            .dedup_json("/id")
            .build(),
        // CircleCI: `circleci-signature` is a comma-separated list of versioned signatures;
        // only `v1=<hex>` (HMAC-SHA256 of the body) is checked, as CircleCI's docs ask (no
        // downgrade to other versions). No timestamp. The docs say to dedup on the body's `id`.
        "circleci" => B::new("circleci", "circleci-signature")
            .prefix("v1=")
            .list(",")
            .dedup_json("/id")
            .build(),
        // Buildkite: `X-Buildkite-Signature: timestamp=<unix>,signature=<hex>` over
        // `{timestamp}.{body}`, keyed with the webhook token (buildkite/docs
        // `_verifying_hmac_signatures.md`). No delivery id: the body hash.
        "buildkite" => B::new("buildkite", "x-buildkite-signature")
            .params(',', "signature", "timestamp", TimestampFormat::Unix)
            .payload("{timestamp}.{body}")
            .build(),
        // HCP Terraform / Terraform Enterprise generic notifications: hex HMAC-SHA512 of the
        // body keyed with the configuration's token, in `X-TFE-Notification-Signature`
        // (notification-configurations API docs, "Notification Authenticity"). No timestamp,
        // no notification id: the body hash.
        "terraform" => B::new("terraform", "x-tfe-notification-signature")
            .alg(Algorithm::HmacSha512)
            .build(),
        // LaunchDarkly: hex HMAC-SHA256 of the body in `X-LD-Signature` when the webhook has a
        // secret (launchdarkly.com/docs/home/infrastructure/webhooks, "Sign a webhook"). No
        // timestamp. The body is an audit-log entry whose `_id` names the change: the dedup key.
        "launchdarkly" => B::new("launchdarkly", "x-ld-signature")
            .dedup_json("/_id")
            .build(),
        // Alchemy Notify: hex HMAC-SHA256 of the body keyed with the webhook's signing key, in
        // `X-Alchemy-Signature`. No timestamp. The body's `id` (`whevt_...`) is the event id.
        "alchemy" => B::new("alchemy", "x-alchemy-signature")
            .dedup_json("/id")
            .build(),
        // MongoDB Atlas alert webhooks: base64 HMAC-SHA1 of the body keyed with the Webhook
        // Secret, in `X-MMS-Signature` (mongodb.com/docs/atlas/tutorial/webhook-integration). No
        // timestamp. The body's `id` is the alert's, repeated by its open, update and close
        // notifications, so it cannot be the key: the body hash (which changes with `status`
        // and `updated`).
        "mongodb" => B::new("mongodb", "x-mms-signature")
            .alg(Algorithm::HmacSha1)
            .enc(Encoding::Base64)
            .build(),
        // Sonatype Nexus Repository: hex HMAC-SHA1 of the body in `X-Nexus-Webhook-Signature`
        // (help.sonatype.com, "Working With HMAC Payloads"). No timestamp. The docs call
        // `X-Nexus-Webhook-Delivery` "a unique UUID identifying the event"; it is not signed, so
        // it is combined with the body hash.
        "sonatype" => B::new("sonatype", "x-nexus-webhook-signature")
            .alg(Algorithm::HmacSha1)
            .dedup_delivery_header("x-nexus-webhook-delivery")
            .build(),
        // Autodesk Platform Services webhooks: `x-adsk-signature: sha1hash=<hex>`, HMAC-SHA1 of
        // the body keyed with the hook's secret token (aps.autodesk.com "How to verify payload
        // signature"). No timestamp, no delivery id: the body hash.
        "autodesk" => B::new("autodesk", "x-adsk-signature")
            .alg(Algorithm::HmacSha1)
            .prefix("sha1hash=")
            .build(),
        // Clearbit: `X-Request-Signature: sha1=<hex>`, HMAC-SHA1 of the body keyed with the API
        // key after its `sk_` prefix is removed (clearbit/clearbit-ruby `Clearbit::Webhook`
        // strips `sk_`/`pk_`): the route holds the key without the prefix. No timestamp. The
        // body's `id` is the caller's own `webhook_id`, not a delivery id: the body hash.
        "clearbit" => B::new("clearbit", "x-request-signature")
            .alg(Algorithm::HmacSha1)
            .prefix("sha1=")
            .build(),
        // Signal Sciences (Fastly Next-Gen WAF) generic webhooks: hex HMAC-SHA256 of the body
        // keyed with the integration's signing key, in `X-SigSci-Signature`
        // (docs.fastly.com/signalsciences/integrations/generic-webhooks). No timestamp, no id.
        "signal-sciences" => B::new("signal-sciences", "x-sigsci-signature").build(),
        // Trend Micro Cloud One Conformity webhook channel: hex HMAC-SHA256 keyed with the
        // security token, in `X-Conformity-Signature` (docs: "Webhook Communication"). The docs
        // hash `JSON.stringify(body)`, i.e. the compact JSON Conformity sends; hookgate hashes
        // the bytes received. No timestamp, no id.
        "trendmicro-conformity" => {
            B::new("trendmicro-conformity", "x-conformity-signature").build()
        }
        // Segment Webhooks destinations: `X-Signature: <hex>`, HMAC-SHA1 of the body keyed with
        // the destination's shared secret (Segment docs; segmentio/action-destinations
        // `webhook/index.ts` `extendRequest`). No timestamp. The body is the event, whose
        // `messageId` is the source's id for it (signed with the body). A batched Actions
        // delivery signs only its first event's data: it cannot verify (docs/senders/segment.md).
        "segment" => B::new("segment", "x-signature")
            .alg(Algorithm::HmacSha1)
            .dedup_json("/messageId")
            .build(),
        // Dwolla: `X-Request-Signature-SHA-256: <hex>`, HMAC-SHA256 of the body keyed with the
        // `secret` given when the webhook subscription was created (developers.dwolla.com
        // "Validating webhooks" / webhooks FAQ). No timestamp. The body is the Event, whose `id`
        // is the same on every retry: the dedup key.
        "dwolla" => B::new("dwolla", "x-request-signature-sha-256")
            .dedup_json("/id")
            .build(),
        // Hookdeck Event Gateway (its signature on forwarded events): `x-hookdeck-signature:
        // <base64>`, HMAC-SHA256 of the body keyed with the project's signing secret
        // (hookdeck/webhook-skills `hookdeck-event-gateway-webhooks`). No timestamp. The body is
        // the original sender's, so no id field is known; `x-hookdeck-eventid` is Hookdeck's event
        // id, the same on every attempt, but unsigned: combined with the body hash.
        "hookdeck" => B::new("hookdeck", "x-hookdeck-signature")
            .enc(Encoding::Base64)
            .dedup_delivery_header("x-hookdeck-eventid")
            .build(),
        // Cal.com: `X-Cal-Signature-256: <hex>`, HMAC-SHA256 of the body keyed with the webhook's
        // secret (calcom/cal.com packages/features/webhooks/lib/sendPayload.ts
        // `createWebhookSignature`; without a secret it sends `no-secret-provided`, which never
        // verifies). No timestamp, no event id (`triggerEvent`, `createdAt`, `payload`): the body
        // hash.
        "cal-com" => B::new("cal-com", "x-cal-signature-256").build(),
        // EasyPost: `X-Hmac-Signature: hmac-sha256-hex=<hex>`, HMAC-SHA256 of the body keyed with
        // the webhook's `webhook_secret` (PyPI easypost 10.7.0 `util.validate_webhook`, which
        // NFKD-normalises the secret first: identical for ASCII secrets). No timestamp. The body
        // is the Event, whose `status`, `pending_urls` and `updated_at` change between attempts
        // while its `id` does not: the dedup key.
        "easypost" => B::new("easypost", "x-hmac-signature")
            .prefix("hmac-sha256-hex=")
            .dedup_json("/id")
            .build(),
        _ => return None,
    };
    Some(p)
}
