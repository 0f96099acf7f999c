//! Presets: extra (c). Airship, whose Open Channel requests arrive `Content-Encoding: gzip`
//! while the signature covers the JSON before compression (`Scheme::decode_gzip`). See `super`
//! for the builder and how a preset is proven; the vectors come from `tools/vectors/airship`
//! (its README cites the facts).

use super::{Catalogue, Preset, Unix, B};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &["airship"];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`). Airship
/// documents no retry window for Open Channel webhooks, so none is listed.
const REDELIVERY: &[(&str, u64, &str)] = &[];

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // Airship (formerly Urban Airship) Open Channels, "Signature Hash" authentication
        // (support.airship.com/hc/en-us/articles/360032501831, "Implementing a Signature Hash
        // and Validating an Open Channel Webhook"): `X-UA-Signature` is the hex HMAC-SHA256,
        // keyed with the signature secret as entered in the dashboard (UTF-8 text), of
        // `{X-UA-Timestamp}:{request body JSON}`; `X-UA-Timestamp` is unix seconds. The
        // requests carry `Content-Encoding: gzip` (the article's and
        // docs.airship.com/platform/open/open-delivery-payload's examples) and the message is
        // "the request body JSON": the body after gzip decoding (`decode_gzip`); the app still
        // receives the compressed bytes. The `GET <root>/validate` call signs an empty body
        // (`{ts}:`). Dedup: the body hash. The body's `values` is a batch of up to 1,000
        // objects, each with its own `send_id`; no id names the whole request, so the hash of
        // the bytes received (Airship's retries of a batch resend the same request) is the key.
        "airship" => {
            let mut p = B::new("airship", "x-ua-signature")
                .payload("{timestamp}:{body}")
                .ts_header("x-ua-timestamp", Unix)
                .build();
            p.scheme.decode_gzip = true;
            p
        }
        _ => return None,
    };
    Some(p)
}
