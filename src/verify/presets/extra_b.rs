//! Presets: extra (b). Mailchimp, HostedHooks, Pinwheel, Hygraph and VMware Workspace ONE, the
//! names ngrok's webhook verification lists for them. See `super` for the builder and how a
//! preset is proven.

use http::HeaderName;

use super::{Algorithm, Base64, Catalogue, HeaderSet, KeySource, Piece, Preset, Unix, UnixMs, B};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &["mailchimp", "hostedhooks", "pinwheel", "hygraph", "vmware"];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`). None of
/// these five documents a retry window (HostedHooks says only that each retry is signed anew),
/// so none is listed.
const REDELIVERY: &[(&str, u64, &str)] = &[];

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // Mailchimp: its Marketing (audience) webhooks are not signed at all (Mailchimp's
        // "Synchronize Audience Data with Webhooks" guide names no signature; its support
        // confirms only Transactional webhooks carry one), so the only Mailchimp webhooks
        // that can be verified are Mailchimp Transactional's (formerly Mandrill). This preset
        // is the `mandrill` scheme under Mailchimp's name: `X-Mandrill-Signature:
        // base64(HMAC-SHA1(webhook key, URL + each POST variable's key and value, sorted by
        // key))` (mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks,
        // "Authenticating webhook requests"). Dedup on the hash of the signed form.
        "mailchimp" => B::new("mailchimp", "x-mandrill-signature")
            .alg(Algorithm::HmacSha1)
            .enc(Base64)
            .pieces(vec![Piece::Url, Piece::FormParams])
            .public_url()
            .dedup(vec![KeySource::SignedFormSha256])
            .build(),
        // HostedHooks: `t=<unix seconds>,s=<hex>`, HMAC-SHA256 of `{t}.{body}` with the
        // endpoint's signing secret (docs.hostedhooks.com/security/security-features/
        // webhook-signatures). The docs name the header in Rack's spelling,
        // `HTTP_HOSTEDHOOKS_SIGNATURE`, which is what Rack makes of a `HostedHooks-Signature`
        // header: that is the header read, and the Rack spelling sent literally is accepted too
        // (a second family), since the signature must verify either way. Each retry is signed
        // anew with a new timestamp over the same body; no delivery id is documented: the body
        // hash.
        "hostedhooks" => B::new("hostedhooks", "hostedhooks-signature")
            .params(',', "s", "t", Unix)
            .payload("{timestamp}.{body}")
            .family(HeaderSet {
                signature: HeaderName::from_static("http_hostedhooks_signature"),
                timestamp: None,
                id: None,
            })
            .build(),
        // Pinwheel: `x-pinwheel-signature: v2=<hex>`, HMAC-SHA256 with the API secret of
        // `v2:{x-timestamp}:{raw body}` (docs.pinwheelapi.com/docs/webhook-signature-
        // verification; its test suite signs timestamp `860860860`). The docs never say what
        // the timestamp is (seconds, milliseconds, a date), so it is signed as the header's
        // text (`{header:x-timestamp}`) and not held to a freshness window: replay protection
        // is dedup alone. No delivery id is documented: the body hash.
        "pinwheel" => B::new("pinwheel", "x-pinwheel-signature")
            .prefix("v2=")
            .pieces(vec![
                Piece::Literal(b"v2:".to_vec()),
                Piece::Header(HeaderName::from_static("x-timestamp")),
                Piece::Literal(b":".to_vec()),
                Piece::Body,
            ])
            .build(),
        // Hygraph (formerly GraphCMS): `gcms-signature: sign=<base64>, env=<environment>,
        // t=<unix ms>`, HMAC-SHA256 with the webhook's secret key of the JSON document
        // `{"Body":<the raw body as a JSON string>,"EnvironmentName":"<env>","TimeStamp":<t>}`
        // (npm @hygraph/utils 1.2.1 `verifyWebhookSignature`: `JSON.stringify({Body: rawPayload,
        // EnvironmentName, TimeStamp})`). The body is escaped as `JSON.stringify` escapes it
        // (`{body_json_string}`); `env` and `t` are signed as written, so an environment name
        // needing JSON escapes, or a `t` with leading zeros, fails verification (Hygraph's
        // names are plain identifiers). No delivery id: the body hash.
        "hygraph" => B::new("hygraph", "gcms-signature")
            .enc(Base64)
            .params(',', "sign", "t", UnixMs)
            .pieces(vec![
                Piece::Literal(br#"{"Body":"#.to_vec()),
                Piece::BodyJsonString,
                Piece::Literal(br#","EnvironmentName":""#.to_vec()),
                Piece::Param("env".into()),
                Piece::Literal(br#"","TimeStamp":"#.to_vec()),
                Piece::Timestamp,
                Piece::Literal(b"}".to_vec()),
            ])
            .build(),
        // VMware Workspace ONE UEM event notifications: no signature; the notification rule
        // (Groups & Settings > All Settings > System > Advanced > API > Event Notifications)
        // takes a Username and Password that UEM sends as HTTP Basic auth (ngrok's
        // vmware-webhooks guide verifies exactly that pair). The route's secret is
        // `username:password`. It proves the sender, not the body. No delivery id: the body
        // hash.
        "vmware" => B::new("vmware", "authorization")
            .alg(Algorithm::Basic)
            .build(),
        _ => return None,
    };
    Some(p)
}
