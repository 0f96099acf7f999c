//! Provider presets: one word in config for a sender's whole scheme and its dedup key.
//!
//! Facts come from the providers' SDK sources and docs (see `shared/providers.md` in the
//! project notes); each preset has known-answer tests in `verify::tests` and fixture replays in
//! `tests/`. A route may override any field of a preset with a `verify:` block.

use http::HeaderName;

use super::scheme::{
    Algorithm, Encoding, HeaderSet, IdSource, Piece, Scheme, SecretEncoding, SignatureFormat,
    TimestampFormat, TimestampRule, TimestampSource,
};
use crate::dedup::{DedupKeySpec, KeySource};

/// A provider's scheme and where its delivery id lives.
#[derive(Debug, Clone)]
pub struct Preset {
    pub name: &'static str,
    pub scheme: Scheme,
    pub dedup_key: DedupKeySpec,
}

/// Names accepted in `provider:`.
pub const NAMES: &[&str] = &["tolinku", "github", "stripe", "standard-webhooks", "svix"];

pub fn lookup(name: &str) -> Option<Preset> {
    let preset = match name {
        "tolinku" => tolinku(),
        "github" => github(),
        "stripe" => stripe(),
        "standard-webhooks" => standard_webhooks(false),
        "svix" => standard_webhooks(true),
        _ => return None,
    };
    Some(preset)
}

fn h(name: &'static str) -> HeaderName {
    HeaderName::from_static(name)
}

/// Tolinku: hex HMAC-SHA256 of the body in `X-Webhook-Signature` (a `sha256=` prefix appears in
/// some of their examples, so it is accepted, not required); the event time is the JSON body's
/// ISO 8601 `timestamp`. The envelope has no documented id, so dedup uses the body's `id` when
/// present, else the body hash: both are covered by the signature.
fn tolinku() -> Preset {
    Preset {
        name: "tolinku",
        scheme: Scheme {
            algorithm: Algorithm::HmacSha256,
            encoding: Encoding::Hex,
            headers: vec![HeaderSet {
                signature: h("x-webhook-signature"),
                timestamp: None,
                id: None,
            }],
            format: SignatureFormat::List {
                prefix: Some("sha256=".into()),
                prefix_required: false,
                separator: None,
            },
            payload: vec![Piece::Body],
            timestamp: Some(TimestampRule {
                source: TimestampSource::Json("/timestamp".into()),
                format: TimestampFormat::Rfc3339,
            }),
            id: None,
            secret_encoding: SecretEncoding::Raw,
        },
        dedup_key: DedupKeySpec {
            sources: vec![KeySource::Json("/id".into()), KeySource::BodySha256],
        },
    }
}

/// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body; no timestamp. The delivery id
/// (`X-GitHub-Delivery`) is not signed, so dedup uses the body hash: a replayed body with a
/// fresh delivery id is still caught. Redeliveries from GitHub's UI carry the same body.
fn github() -> Preset {
    Preset {
        name: "github",
        scheme: Scheme {
            algorithm: Algorithm::HmacSha256,
            encoding: Encoding::Hex,
            headers: vec![HeaderSet {
                signature: h("x-hub-signature-256"),
                timestamp: None,
                id: None,
            }],
            format: SignatureFormat::List {
                prefix: Some("sha256=".into()),
                prefix_required: true,
                separator: None,
            },
            payload: vec![Piece::Body],
            timestamp: None,
            id: None,
            secret_encoding: SecretEncoding::Raw,
        },
        dedup_key: DedupKeySpec {
            sources: vec![KeySource::BodySha256],
        },
    }
}

/// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>]` over `{t}.{body}`; the `whsec_`
/// secret is used as raw UTF-8 (not decoded). Dedup on the body's `evt_...` id, which is signed.
fn stripe() -> Preset {
    Preset {
        name: "stripe",
        scheme: Scheme {
            algorithm: Algorithm::HmacSha256,
            encoding: Encoding::Hex,
            headers: vec![HeaderSet {
                signature: h("stripe-signature"),
                timestamp: None,
                id: None,
            }],
            format: SignatureFormat::Params {
                pair_separator: ',',
                signature_key: "v1".into(),
            },
            payload: vec![Piece::Timestamp, Piece::Literal(b".".to_vec()), Piece::Body],
            timestamp: Some(TimestampRule {
                source: TimestampSource::SignatureParam("t".into()),
                format: TimestampFormat::Unix,
            }),
            id: None,
            secret_encoding: SecretEncoding::Raw,
        },
        dedup_key: DedupKeySpec {
            sources: vec![KeySource::Json("/id".into()), KeySource::BodySha256],
        },
    }
}

/// Standard Webhooks (and Svix, which sends the same scheme under `svix-*` names):
/// `v1,<base64>` entries, space separated, over `{id}.{timestamp}.{body}`; `whsec_` secrets are
/// base64-decoded. The id header is signed, so it is a safe dedup key. `svix_first` only changes
/// which header family is looked for first.
fn standard_webhooks(svix_first: bool) -> Preset {
    let webhook = HeaderSet {
        signature: h("webhook-signature"),
        timestamp: Some(h("webhook-timestamp")),
        id: Some(h("webhook-id")),
    };
    let svix = HeaderSet {
        signature: h("svix-signature"),
        timestamp: Some(h("svix-timestamp")),
        id: Some(h("svix-id")),
    };
    let (headers, name) = if svix_first {
        (vec![svix, webhook], "svix")
    } else {
        (vec![webhook, svix], "standard-webhooks")
    };
    Preset {
        name,
        scheme: Scheme {
            algorithm: Algorithm::HmacSha256,
            encoding: Encoding::Base64,
            headers,
            format: SignatureFormat::List {
                prefix: Some("v1,".into()),
                prefix_required: true,
                separator: Some(" ".into()),
            },
            payload: vec![
                Piece::Id,
                Piece::Literal(b".".to_vec()),
                Piece::Timestamp,
                Piece::Literal(b".".to_vec()),
                Piece::Body,
            ],
            timestamp: Some(TimestampRule {
                source: TimestampSource::Header,
                format: TimestampFormat::Unix,
            }),
            id: Some(IdSource::Header),
            secret_encoding: SecretEncoding::Whsec,
        },
        dedup_key: DedupKeySpec {
            sources: vec![KeySource::SchemeId],
        },
    }
}
