//! Presets: extra (a). Senders from ngrok's webhook-verification provider list: Orbit, Go1
//! and Plivo. See `super` for the builder and how a preset is proven; the vectors of each come
//! from `tools/vectors/extra-a` (its README cites the facts).
//!
//! Airship, from the same list, is in `extra_c` (its signature covers the gunzipped body).

use super::{Base64, Catalogue, KeySource, Piece, Preset, Unix, B};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &["orbit", "go1", "plivo"];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`). None of
/// the three documents a window for what its preset covers (Orbit and Go1 say nothing of
/// retries; Plivo's voice callback retries are configured per URL), so none is listed.
const REDELIVERY: &[(&str, u64, &str)] = &[];

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // Orbit (orbit.love) webhooks: `X-Orbit-Signature: sha256=<hex>`, HMAC-SHA256 of the
        // body keyed with the webhook's optional secret (docs.orbit.love/docs/webhooks,
        // "Headers"). No timestamp. The body's `event_id` (signed with it) identifies the
        // event; `X-Orbit-Event` changes per attempt.
        "orbit" => B::new("orbit", "x-orbit-signature")
            .prefix("sha256=")
            .dedup_json("/event_id")
            .build(),
        // Go1: `Go1-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 of `{t}.{body}` keyed with the
        // webhook's `secret_key` (go1.com/developers/partners/concepts/
        // webhook-signature-authentification; go1com/webhook-verifier-js `verifySignature`).
        // The body (`type`, `fired_at`, `data`) has no event id: the body hash.
        "go1" => B::new("go1", "go1-signature")
            .params(',', "v1", "t", Unix)
            .payload("{timestamp}.{body}")
            .build(),
        // Plivo signature V3 (voice callbacks: answer, hangup, action, callback URLs):
        // `X-Plivo-Signature-V3: base64(HMAC-SHA256(auth token, URL + "?" + sorted form params
        // + "." + nonce))`, the nonce from `X-Plivo-Signature-V3-Nonce`; several signatures may
        // be comma separated; `X-Plivo-Signature-Ma-V3` is the same signed with the main
        // account's token (PyPI plivo 4.63.0 `plivo.utils.signature_v3`). This template is
        // the SDK's for a POST with form parameters to a URL without a query string; a query
        // is re-sorted and decoded by the SDK, which `{url}` does not do, so such requests fail
        // (docs/senders/plivo.md). No timestamp: dedup on the hash of the signed form, like
        // Twilio (the nonce is new per request).
        "plivo" => B::new("plivo", "x-plivo-signature-v3")
            .also_header("x-plivo-signature-ma-v3")
            .enc(Base64)
            .list(",")
            .pieces(vec![
                Piece::Url,
                Piece::Literal(b"?".to_vec()),
                Piece::FormParams,
                Piece::Literal(b".".to_vec()),
                Piece::Header(super::h("x-plivo-signature-v3-nonce")),
            ])
            .public_url()
            .dedup(vec![KeySource::SignedFormSha256])
            .build(),
        _ => return None,
    };
    Some(p)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use http::{HeaderMap, HeaderValue, Method, Uri};

    use crate::secret::Secret;
    use crate::verify::scheme::parse_payload_template;
    use crate::verify::{
        sign, verify, Freshness, Key, Message, Scheme, SignInput, Verified, VerifyError,
    };

    const FRESH: Freshness = Freshness {
        max_age: Duration::from_secs(300),
        max_future_skew: Duration::from_secs(60),
    };

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_764_000_000)
    }

    /// `sign`'s headers, with one of them (by name) replaced when `swap` says so.
    fn signed(
        scheme: &Scheme,
        key: &Key,
        body: &[u8],
        uri: &Uri,
        public_url: Option<&str>,
        swap: Option<(&str, &str)>,
    ) -> HeaderMap {
        let out = sign(
            scheme,
            key,
            &SignInput {
                body,
                method: &Method::POST,
                uri,
                public_url,
                now: now(),
                id: None,
            },
        )
        .expect("signs");
        let mut map = HeaderMap::new();
        for (n, v) in out {
            let v = match swap {
                Some((name, new)) if n.as_str() == name => new.to_owned(),
                _ => v,
            };
            map.append(n, HeaderValue::from_str(&v).expect("a header value"));
        }
        map
    }

    fn check(
        scheme: &Scheme,
        key: Key,
        map: &HeaderMap,
        body: &[u8],
        uri: &Uri,
        public_url: Option<&str>,
    ) -> Result<Verified, VerifyError> {
        let msg = Message::new(&Method::POST, uri, map, body, public_url);
        verify(scheme, &[key], &msg, FRESH, now())
    }

    #[test]
    fn sign_makes_up_the_signed_headers_it_does_not_know() {
        // A generic `{header:NAME}` piece: `sign` sends a nonce under that name, and the nonce
        // is covered (another value fails), for any scheme, not only Plivo's.
        let scheme = Scheme {
            payload: parse_payload_template("{header:x-nonce}.{body}").expect("a template"),
            ..Scheme::default()
        };
        let key = || Key::new("k".into(), &Secret::new("s3cret"), &scheme).expect("a key");
        let uri = Uri::from_static("/hook");
        let body = br#"{"a":1}"#;
        let map = signed(&scheme, &key(), body, &uri, None, None);
        let nonce = map.get("x-nonce").expect("a nonce header");
        // `sign` writes the signing time there unless told a value (`--value`).
        assert!(!nonce.is_empty());
        assert!(check(&scheme, key(), &map, body, &uri, None).is_ok());
        let other = signed(&scheme, &key(), body, &uri, None, Some(("x-nonce", "0")));
        assert_eq!(
            check(&scheme, key(), &other, body, &uri, None),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn plivo_covers_url_nonce_and_form() {
        let p = super::build("plivo").expect("plivo");
        let key = || Key::new("k".into(), &Secret::new("tok"), &p.scheme).expect("a key");
        let uri = Uri::from_static("/hooks/plivo");
        let base = Some("https://hooks.example.com");
        let body = b"CallUUID=abc&From=1415&To=1416";
        let map = signed(&p.scheme, &key(), body, &uri, base, None);
        assert!(map.contains_key("x-plivo-signature-v3-nonce"));
        assert!(check(&p.scheme, key(), &map, body, &uri, base).is_ok());
        // Another nonce, URL or parameter: not what was signed.
        let swapped = signed(
            &p.scheme,
            &key(),
            body,
            &uri,
            base,
            Some(("x-plivo-signature-v3-nonce", "1")),
        );
        assert!(check(&p.scheme, key(), &swapped, body, &uri, base).is_err());
        let elsewhere = Some("https://other.example.com");
        assert!(check(&p.scheme, key(), &map, body, &uri, elsewhere).is_err());
        let changed = b"CallUUID=abc&From=1415&To=1417";
        assert!(check(&p.scheme, key(), &map, changed, &uri, base).is_err());
        // The same parameters in another order and encoding are the same signed form.
        let reordered = b"To=1416&From=%31415&CallUUID=abc";
        assert!(check(&p.scheme, key(), &map, reordered, &uri, base).is_ok());
    }
}
