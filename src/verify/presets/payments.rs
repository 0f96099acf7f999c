//! Presets: payments. See `super` for the builder and how a preset is proven.
//!
//! Each preset's vectors come from `tools/vectors/payments` (the sender's SDK verifies them
//! where it has one); the sources of each fact are cited there and beside each preset.

use super::{standard_webhooks, Algorithm, Catalogue, Preset, B, HOUR, MINUTE};

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
];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`).
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("checkout", 30 * HOUR, "checkout.com/docs/workflows (receive webhooks): up to eight retries, 5, 10, 15 and 30 minutes, 1, 4, 12 and 12 hours after each previous attempt; Dashboard and API resends have no documented limit"),
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
        _ => return None,
    };
    Some(p)
}
