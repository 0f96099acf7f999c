//! Known-answer tests for `verify` and `sign`: documented vectors, every SDK-generated fixture
//! in `tests/fixtures/vectors/`, negative variants of each, generic schemes checked against an
//! independent HMAC computation, timestamp edge cases and `sign`/`verify` round trips.
//!
//! Every test uses a fixed clock (`UNIX_EPOCH + signed_at`); nothing reads the wall clock.

use super::*;
use crate::secret::Secret;
use hmac::{Hmac, Mac};

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// Helpers.

const FRESH: Freshness = Freshness {
    max_age: Duration::from_secs(300),
    max_future_skew: Duration::from_secs(60),
};

/// `UNIX_EPOCH + secs` (also for negative `secs`).
fn at(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

fn at_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

fn key(id: &str, secret: &str, scheme: &Scheme) -> Key {
    Key::new(id.into(), &Secret::new(secret), scheme).unwrap()
}

fn keys(secrets: &[&str], scheme: &Scheme) -> Vec<Key> {
    secrets
        .iter()
        .enumerate()
        .map(|(i, s)| key(&format!("k{i}"), s, scheme))
        .collect()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in pairs {
        map.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

fn post() -> Method {
    Method::POST
}

fn hook_uri() -> Uri {
    Uri::from_static("/hook")
}

/// Runs `verify` for a POST to `/hook` without a public URL.
fn check(
    scheme: &Scheme,
    keys: &[Key],
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, VerifyError> {
    let method = post();
    let uri = hook_uri();
    let msg = Message::new(&method, &uri, headers, body, None);
    verify(scheme, keys, &msg, FRESH, now)
}

fn preset(name: &str) -> presets::Preset {
    presets::lookup(name).unwrap_or_else(|| panic!("no preset {name}"))
}

/// A secret of the right shape for `scheme` that signed none of the fixtures.
fn wrong_secret(scheme: &Scheme) -> &'static str {
    match scheme.secret_encoding {
        // base64 of "this-is-not-the-right-key-at-all"
        SecretEncoding::Whsec => "whsec_dGhpcy1pcy1ub3QtdGhlLXJpZ2h0LWtleS1hdC1hbGw=",
        SecretEncoding::Base64 => "dGhpcy1pcy1ub3QtdGhlLXJpZ2h0LWtleS1hdC1hbGw=",
        SecretEncoding::Raw => "whsec_thisIsNotTheRightSecretAtAll0",
        SecretEncoding::Hex => "746869732d69732d6e6f742d7468652d72696768742d6b6579",
    }
}

fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha512>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn body_sha256_key(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(body)))
}

/// A generic scheme: one header, body-only payload, hex, no prefix, raw secret.
fn generic(header: &'static str) -> Scheme {
    Scheme {
        algorithm: Algorithm::HmacSha256,
        encoding: Encoding::Hex,
        headers: vec![HeaderSet {
            signature: HeaderName::from_static(header),
            timestamp: None,
            id: None,
        }],
        format: SignatureFormat::List {
            prefix: None,
            prefix_required: false,
            separator: None,
        },
        payload: vec![Piece::Body],
        timestamp: None,
        id: None,
        secret_encoding: SecretEncoding::Raw,
        ..Scheme::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

#[derive(Debug, Deserialize)]
struct Fixture {
    provider: String,
    generator: String,
    cases: Vec<Case>,
}

#[derive(Debug, Clone, Deserialize)]
struct Case {
    name: String,
    secrets: Vec<String>,
    signed_at: i64,
    headers: Vec<(String, String)>,
    body_b64: String,
    event_id: Option<String>,
    /// The URL the sender called, for schemes that sign it (`public_url` + path and query).
    #[serde(default)]
    url: Option<String>,
    /// `application/json` unless given.
    #[serde(default)]
    content_type: Option<String>,
    /// A key of the right shape that signed nothing here; public-key schemes need one (a
    /// valid public key cannot be made up).
    #[serde(default)]
    wrong_secret: Option<String>,
}

impl Case {
    /// The request target and the route's public URL: split from `url`, else `/hook` and none.
    fn target(&self) -> (Uri, Option<String>) {
        let Some(url) = &self.url else {
            return (hook_uri(), None);
        };
        let uri: Uri = url.parse().unwrap();
        let origin = format!(
            "{}://{}",
            uri.scheme_str().unwrap(),
            uri.authority().unwrap()
        );
        let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
        (target.parse().unwrap(), Some(origin))
    }

    /// `verify` for a POST of this case's request (to its URL when it has one).
    fn check(
        &self,
        scheme: &Scheme,
        keys: &[Key],
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        let (uri, public_url) = self.target();
        let method = post();
        let msg = Message::new(&method, &uri, headers, body, public_url.as_deref());
        verify(scheme, keys, &msg, FRESH, now)
    }

    fn body(&self) -> Vec<u8> {
        STANDARD.decode(&self.body_b64).unwrap()
    }

    /// The headers as sent, with the `Content-Type` the fixture names (Contentful may sign it).
    fn header_map(&self) -> HeaderMap {
        let mut pairs: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        pairs.push((
            "content-type",
            self.content_type.as_deref().unwrap_or("application/json"),
        ));
        headers(&pairs)
    }

    /// A key that signed nothing here: the case's `wrong_secret`, else one of the scheme's shape.
    fn wrong_key(&self, scheme: &Scheme) -> Key {
        let secret = self.wrong_secret.as_deref();
        key(
            "wrong",
            secret.unwrap_or_else(|| wrong_secret(scheme)),
            scheme,
        )
    }

    fn keys(&self, scheme: &Scheme) -> Vec<Key> {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        keys(&secrets, scheme)
    }
}

/// Every fixture file in tests/fixtures/vectors, as (file stem, text): a generator's new file
/// is picked up without a list to keep.
fn fixture_files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/fixtures/vectors")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a UTF-8 name")
                .to_owned();
            let text = std::fs::read_to_string(&p).expect("a readable fixture");
            (stem, text)
        })
        .collect()
}

fn fixtures() -> Vec<Fixture> {
    fixture_files()
        .iter()
        .map(|(file, text)| {
            let f: Fixture = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("fixture {file}.json does not parse: {e}"));
            assert!(
                *file == f.provider || file.starts_with(&format!("{}-", f.provider)),
                "fixture file name and provider differ: {file} / {}",
                f.provider
            );
            assert!(!f.generator.is_empty());
            assert!(!f.cases.is_empty(), "{file}.json has no cases");
            f
        })
        .collect()
}

/// The header set `verify` will pick for this request (first family whose signature is there).
fn chosen_set<'s>(scheme: &'s Scheme, map: &HeaderMap) -> &'s HeaderSet {
    scheme
        .headers
        .iter()
        .find(|s| map.contains_key(&s.signature))
        .expect("case carries none of the scheme's signature headers")
}

fn label(provider: &str, case: &Case) -> String {
    format!("{provider}/{}", case.name)
}

/// A form body's distinct decoded `(name, value)` pairs: what Twilio's signature covers.
fn decoded_form(body: &[u8]) -> std::collections::BTreeSet<(String, String)> {
    body.split(|&b| b == b'&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let mut it = kv.splitn(2, |&b| b == b'=');
            let k = form_decode(it.next().unwrap_or_default());
            (k, form_decode(it.next().unwrap_or_default()))
        })
        .collect()
}

/// Presets whose SDK-generated vectors are still to be added (tools/vectors); each has its
/// own round-trip and hand-checked tests meanwhile. Shrink this list, never grow it.
const VECTORS_PENDING: &[&str] = &[];

/// Presets whose keys are fetched from the sender: their vectors need a key host, so they are
/// replayed by a test of their own (tests/it) from a file of their own, named here.
const VECTORS_ELSEWHERE: &[(&str, &str)] = &[
    ("sns", "tests/fixtures/sns/sns.json"),
    ("google-pubsub", "tests/fixtures/pubsub/pubsub.json"),
];

#[test]
fn twilio_dedup_key_survives_reencoding_a_form() {
    let p = preset("twilio");
    let method = post();
    let uri = hook_uri();
    let key_of = |body: &[u8]| {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let msg = Message::new(&method, &uri, &h, body, None);
        let v = Verified {
            key_index: 0,
            signed_at_ms: None,
            skew_seconds: None,
            id: None,
        };
        p.dedup_key.extract(&msg, &v).unwrap().key
    };
    let a = key_of(b"MessageSid=SM1&Body=Hi+there");
    assert_eq!(
        a,
        key_of(b"Body=Hi%20there&MessageSid=SM1"),
        "reordered and re-encoded"
    );
    assert_eq!(
        a,
        key_of(b"Body=Hi+there&Body=Hi+there&MessageSid=SM%31"),
        "repeated pair, %31"
    );
    assert_ne!(a, key_of(b"MessageSid=SM2&Body=Hi+there"));
}

#[test]
fn fixtures_cover_every_preset() {
    let fx = fixtures();
    for name in presets::names() {
        let elsewhere = VECTORS_ELSEWHERE.iter().find(|(n, _)| *n == name);
        if let Some((_, file)) = elsewhere {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
            let cases = serde_json::from_str::<serde_json::Value>(&text).unwrap()["cases"]
                .as_array()
                .map_or(0, Vec::len);
            assert!(cases >= 4, "{file}: {cases} cases");
            continue;
        }
        let has = fx.iter().any(|f| f.provider == name);
        assert!(
            has || VECTORS_PENDING.contains(&name),
            "no fixture file for preset {name}"
        );
        assert!(
            !(has && VECTORS_PENDING.contains(&name)),
            "{name} has vectors now: take it off VECTORS_PENDING"
        );
    }
    // Every file proves its sender with several cases (basic, large, odd bytes, rotation): a
    // generator that lost cases shows here rather than as a quietly thinner test.
    for f in &fx {
        assert!(
            f.cases.len() >= 4,
            "{}: {} cases",
            f.provider,
            f.cases.len()
        );
        let mut names = std::collections::HashSet::new();
        for c in &f.cases {
            assert!(
                names.insert(&c.name),
                "{}: case {} twice",
                f.provider,
                c.name
            );
        }
    }
}

#[test]
fn fixtures_verify_at_signed_at() {
    for f in fixtures() {
        let p = preset(&f.provider);
        for case in &f.cases {
            let l = label(&f.provider, case);
            let body = case.body();
            let map = case.header_map();
            let ks = case.keys(&p.scheme);
            let now = at(case.signed_at);
            let method = post();
            let (uri, public_url) = case.target();
            let msg = Message::new(&method, &uri, &map, &body, public_url.as_deref());
            let v = verify(&p.scheme, &ks, &msg, FRESH, now)
                .unwrap_or_else(|e| panic!("{l}: expected Ok, got {e:?}"));

            // The key that matched, where the case name says which one it must be.
            if case.name.contains("signed_by_new") {
                assert_eq!(v.key_index, 1, "{l}");
            } else if case.name.contains("signed_by_old") || case.secrets.len() == 1 {
                assert_eq!(v.key_index, 0, "{l}");
            }

            // Timestamp facts. `signed_at` is whole seconds; a signed time with a fraction
            // (Twitch's RFC 3339 nanoseconds) lies within the second after it.
            if p.scheme.timestamp.is_some() {
                let ms = v.signed_at_ms.expect("a signed time");
                assert_eq!(ms.div_euclid(1000), case.signed_at, "{l}");
                assert_eq!(
                    v.skew_seconds,
                    Some((case.signed_at * 1000 - ms) as f64 / 1000.0),
                    "{l}"
                );
            } else {
                assert_eq!(v.signed_at_ms, None, "{l}");
                assert_eq!(v.skew_seconds, None, "{l}");
            }

            // Scheme id: only Standard Webhooks / Svix carry one.
            if p.scheme.id.is_some() {
                assert_eq!(v.id, case.event_id, "{l}");
            } else {
                assert_eq!(v.id, None, "{l}");
            }

            // Dedup key.
            if p.dedup_key.sources.is_empty() {
                assert_eq!(p.dedup_key.extract(&msg, &v), None, "{l}: dedup is off");
                continue;
            }
            let dk = p.dedup_key.extract(&msg, &v).expect("a dedup key");
            let form = case
                .content_type
                .as_deref()
                .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
            // A delivery id header the sender documents (unsigned), when the case carries it:
            // shown as sent, remembered with the body hash.
            let delivery = p.dedup_key.sources.iter().find_map(|s| match s {
                KeySource::DeliveryHeader(h) => map
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim().to_owned()),
                _ => None,
            });
            let body_key = body_sha256_key(&body);
            if let Some(d) = delivery {
                assert_eq!(dk.id, d, "{l}");
                assert_eq!(dk.key, format!("delivery:{d}/{body_key}"), "{l}");
            } else {
                match (&f.provider[..], &case.event_id) {
                    // Twilio and Mandrill: the hash of the signed form parameters.
                    (_, None)
                        if form
                            && matches!(
                                p.dedup_key.sources.as_slice(),
                                [KeySource::SignedFormSha256]
                            ) =>
                    {
                        let signed = crate::verify::canonical_form(&body);
                        let want =
                            format!("form-sha256:{}", hex::encode(sha2::Sha256::digest(signed)));
                        assert_eq!((&dk.id, &dk.key), (&want, &want), "{l}");
                    }
                    (_, Some(id)) => {
                        assert_eq!(&dk.id, id, "{l}");
                        // The key names where the id came from.
                        let tag = if p.scheme.id.is_some() { "id" } else { "json" };
                        assert_eq!(dk.key, format!("{tag}:{id}"), "{l}");
                    }
                    // No event_id: the sender signs no delivery id, so the body hash is the key.
                    (_, None) => assert_eq!((&dk.id, &dk.key), (&body_key, &body_key), "{l}"),
                }
            }

            // The timestamp window holds at both edges (of the exact signed instant).
            if let Some(ms) = v.signed_at_ms {
                for dt in [300, -60] {
                    let v = case
                        .check(&p.scheme, &ks, &map, &body, at_ms(ms + dt * 1000))
                        .unwrap_or_else(|e| panic!("{l} at {dt:+}s: {e:?}"));
                    assert_eq!(v.skew_seconds, Some(dt as f64), "{l}");
                }
            }
        }
    }
}

#[test]
fn fixtures_rotation_wrong_key_first() {
    for f in fixtures() {
        let p = preset(&f.provider);
        for case in &f.cases {
            let l = label(&f.provider, case);
            let body = case.body();
            let map = case.header_map();
            let mut ks = vec![case.wrong_key(&p.scheme)];
            ks.extend(case.keys(&p.scheme));
            let v = case
                .check(&p.scheme, &ks, &map, &body, at(case.signed_at))
                .unwrap_or_else(|e| panic!("{l}: {e:?}"));
            assert!(v.key_index >= 1, "{l}: the wrong key matched");
            assert_eq!(
                ks[v.key_index].id.as_ref(),
                format!("k{}", v.key_index - 1),
                "{l}"
            );
        }
    }
}

#[test]
fn fixtures_reject_tampered_body() {
    for f in fixtures() {
        let p = preset(&f.provider);
        for case in &f.cases {
            let l = label(&f.provider, case);
            let body = case.body();
            let map = case.header_map();
            let ks = case.keys(&p.scheme);
            if !p.scheme.signs_body() {
                // Mailgun signs timestamp + token only, and a token (GitLab, Okta) signs
                // nothing: a changed body still verifies (config warns about such routes).
                let mut changed = body.clone();
                changed.push(b' ');
                let r = case.check(&p.scheme, &ks, &map, &changed, at(case.signed_at));
                assert!(r.is_ok(), "{l}: {r:?}");
                continue;
            }
            let n = body.len();
            // Twilio: a JSON body is signed through the `bodySHA256` in the URL; a form body
            // through its decoded parameters, so a change that decodes the same (`%2f` for
            // `%2F`) is no change.
            let hashed = case
                .url
                .as_deref()
                .is_some_and(|u| u.contains("bodySHA256="));
            let changed = if hashed {
                Err(VerifyError::BodyHashMismatch("bodySHA256".into()))
            } else {
                Err(VerifyError::Mismatch)
            };
            // A gzip-encoded body (Airship): a changed byte on the wire mostly breaks the
            // stream (its CRC) and is refused as undecodable before any key is tried; a change
            // that still decodes must not verify.
            let gzipped = p.scheme.decode_gzip && map.contains_key("content-encoding");
            let refused = |r: &Result<Verified, VerifyError>| {
                *r == changed || (gzipped && matches!(r, Err(VerifyError::BodyEncoding(_))))
            };
            let by_params = p.scheme.needs(&Piece::FormParams) && !hashed;
            if by_params {
                assert_eq!(
                    case.content_type.as_deref(),
                    Some("application/x-www-form-urlencoded"),
                    "{l}"
                );
            }
            let last_alnum = body.iter().rposition(u8::is_ascii_alphanumeric).unwrap();
            for pos in [0, n / 3, n / 2, last_alnum, n - 1] {
                for flip in [0x01u8, 0x20, 0x80] {
                    let mut bad = body.clone();
                    bad[pos] ^= flip;
                    if by_params && decoded_form(&bad) == decoded_form(&body) {
                        continue;
                    }
                    // A forgery is reported as one, even when the change also broke the JSON
                    // that Tolinku's unsigned-by-header timestamp is read from: that is read
                    // only after the MAC matched.
                    let r = case.check(&p.scheme, &ks, &map, &bad, at(case.signed_at));
                    assert!(refused(&r), "{l}: byte {pos} ^ {flip:#x}: {r:?}");
                }
            }

            // Appended / truncated bytes.
            let mut longer = body.clone();
            longer.push(b' ');
            let r = case.check(&p.scheme, &ks, &map, &longer, at(case.signed_at));
            assert!(refused(&r), "{l}: trailing space: {r:?}");
            // An empty body never verifies.
            let r = case.check(&p.scheme, &ks, &map, b"", at(case.signed_at));
            assert!(refused(&r), "{l}: empty body: {r:?}");
        }
    }
}

#[test]
fn fixtures_reject_wrong_secret() {
    for f in fixtures() {
        let p = preset(&f.provider);
        for case in &f.cases {
            let l = label(&f.provider, case);
            let ks = vec![case.wrong_key(&p.scheme)];
            assert_eq!(
                case.check(
                    &p.scheme,
                    &ks,
                    &case.header_map(),
                    &case.body(),
                    at(case.signed_at)
                ),
                Err(VerifyError::Mismatch),
                "{l}"
            );
            // No keys at all: nothing can match.
            assert_eq!(
                case.check(
                    &p.scheme,
                    &[],
                    &case.header_map(),
                    &case.body(),
                    at(case.signed_at)
                ),
                Err(VerifyError::Mismatch),
                "{l}: no keys"
            );
        }
    }
}

#[test]
fn fixtures_reject_missing_signature_header() {
    for f in fixtures() {
        let p = preset(&f.provider);
        for case in &f.cases {
            let l = label(&f.provider, case);
            if p.scheme.signature_json.is_some() {
                continue; // in the body: mailgun_signature_is_a_body_field
            }
            let mut map = case.header_map();
            let set = chosen_set(&p.scheme, &map).clone();
            map.remove(&set.signature);
            // Box's secondary signature header is a signature too.
            for extra in &p.scheme.extra_signature_headers {
                map.remove(extra);
            }
            let r = case.check(
                &p.scheme,
                &case.keys(&p.scheme),
                &map,
                &case.body(),
                at(case.signed_at),
            );
            assert_eq!(
                r,
                Err(VerifyError::MissingSignature(
                    p.scheme.headers[0].signature.clone()
                )),
                "{l}"
            );
        }
    }
}

#[test]
fn fixtures_reject_garbage_signature() {
    for f in fixtures() {
        let p = preset(&f.provider);
        for case in &f.cases {
            let l = label(&f.provider, case);
            if p.scheme.signature_json.is_some() {
                continue; // in the body: mailgun_signature_is_a_body_field
            }
            let mut base = case.header_map();
            let set = chosen_set(&p.scheme, &base).clone();
            let original = base[&set.signature].to_str().unwrap().to_owned();
            // Only the garbled header carries a signature (Box also sends a secondary one).
            for extra in &p.scheme.extra_signature_headers {
                base.remove(extra);
            }
            let ts = case.signed_at.to_string();
            let ts_in_sig = matches!(
                p.scheme.timestamp,
                Some(TimestampRule {
                    source: TimestampSource::SignatureParam(_),
                    ..
                })
            );
            let garbage: Vec<String> = vec![
                "zzz".into(),
                String::new(),
                " ".into(),
                ",".into(),
                ";;;".into(),
                "=".into(),
                "sha256=".into(),
                "v1,".into(),
                "v1, v1,".into(),
                "t=".into(),
                "v1=".into(),
                format!("t={ts}"),
                format!("t={ts},v1="),
                format!("t={ts},v1=zzz"),
                format!("t={ts},v0=00"),
                "sha256=zzz".into(),
                "sha1=4f05985b9d956aa7c2b25847ced461171e4fec13".into(),
                "v1a,AAAA".into(),
                "v2,AAAA".into(),
                "sha256=0".into(),
                "00".into(),
                "===".into(),
                "\u{e9}t\u{e9}".into(),
                "x".repeat(10_000),
                "v1,AAAA ".repeat(1000),
                "v1=00,".repeat(1000),
            ];
            for g in &garbage {
                let mut map = base.clone();
                let value = HeaderValue::from_bytes(g.as_bytes()).unwrap();
                map.insert(set.signature.clone(), value);
                let r = case.check(
                    &p.scheme,
                    &case.keys(&p.scheme),
                    &map,
                    &case.body(),
                    at(case.signed_at),
                );
                // With Stripe's `t=` inside the signature header, garbage there is also a
                // garbage timestamp.
                let ts_ok = ts_in_sig && matches!(r, Err(VerifyError::InvalidTimestamp(_)));
                assert!(
                    ts_ok
                        || matches!(
                            r,
                            Err(VerifyError::MalformedSignature(_) | VerifyError::Mismatch)
                        ),
                    "{l}: signature {:?} gave {r:?}",
                    g.chars().take(40).collect::<String>()
                );
            }
            // The real signature header cut short (inside its first entry): never Ok. The first
            // entry of a space-separated list may be short (`v1,<hmac> v1a,<ed25519>`).
            let mut map = base.clone();
            let first = original.split(' ').next().unwrap_or_default();
            let cut = &original[..first.len() * 2 / 5];
            map.insert(set.signature.clone(), HeaderValue::from_str(cut).unwrap());
            let r = case.check(
                &p.scheme,
                &case.keys(&p.scheme),
                &map,
                &case.body(),
                at(case.signed_at),
            );
            assert!(r.is_err(), "{l}: {cut:?}");
            // Not visible ASCII.
            let mut map = base.clone();
            map.insert(
                set.signature.clone(),
                HeaderValue::from_bytes(b"v1,\xff\xfe").unwrap(),
            );
            assert_eq!(
                case.check(
                    &p.scheme,
                    &case.keys(&p.scheme),
                    &map,
                    &case.body(),
                    at(case.signed_at)
                ),
                Err(VerifyError::MalformedSignature("not visible ASCII")),
                "{l}"
            );
        }
    }
}

#[test]
fn fixtures_enforce_freshness() {
    for f in fixtures() {
        let p = preset(&f.provider);
        for case in &f.cases {
            let l = label(&f.provider, case);
            let ks = case.keys(&p.scheme);
            let map = case.header_map();
            let body = case.body();
            // The exact signed instant (within the second after `signed_at` for Twitch).
            let signed_ms = case
                .check(&p.scheme, &ks, &map, &body, at(case.signed_at))
                .ok()
                .and_then(|v| v.signed_at_ms)
                .unwrap_or(case.signed_at * 1000);
            let old = case.check(&p.scheme, &ks, &map, &body, at_ms(signed_ms + 301_000));
            let new = case.check(&p.scheme, &ks, &map, &body, at_ms(signed_ms - 61_000));
            if p.scheme.timestamp.is_some() {
                assert_eq!(
                    old,
                    Err(VerifyError::TooOld {
                        age_s: 301,
                        max_s: 300
                    }),
                    "{l}"
                );
                assert_eq!(
                    new,
                    Err(VerifyError::TooNew {
                        ahead_s: 61,
                        max_s: 60
                    }),
                    "{l}"
                );
                // A stale timestamp is only reported for authentic requests.
                let wrong = vec![case.wrong_key(&p.scheme)];
                assert_eq!(
                    case.check(&p.scheme, &wrong, &map, &body, at(case.signed_at + 301)),
                    Err(VerifyError::Mismatch),
                    "{l}"
                );
            } else {
                // No timestamp, no window: the signature alone decides (replays are dedup's job).
                assert!(old.is_ok(), "{l}: {old:?}");
                assert!(new.is_ok(), "{l}: {new:?}");
                assert!(
                    case.check(&p.scheme, &ks, &map, &body, at(0)).is_ok(),
                    "{l}"
                );
                assert!(case
                    .check(&p.scheme, &ks, &map, &body, at(i64::from(u32::MAX)))
                    .is_ok());
            }
        }
    }
}

#[test]
fn header_id_and_timestamp_are_required() {
    for provider in ["standard-webhooks", "svix"] {
        let f = fixtures()
            .into_iter()
            .find(|f| f.provider == provider)
            .unwrap();
        let p = preset(provider);
        for case in &f.cases {
            let l = label(provider, case);
            let base = case.header_map();
            let set = chosen_set(&p.scheme, &base).clone();
            let ks = case.keys(&p.scheme);
            let body = case.body();
            let now = at(case.signed_at);
            let id_name = set.id.clone().unwrap();
            let ts_name = set.timestamp.clone().unwrap();

            let mut map = base.clone();
            map.remove(&id_name);
            assert_eq!(
                check(&p.scheme, &ks, &map, &body, now),
                Err(VerifyError::MissingId(id_name.to_string())),
                "{l}"
            );

            let mut map = base.clone();
            map.insert(id_name.clone(), HeaderValue::from_static(""));
            assert!(
                matches!(
                    check(&p.scheme, &ks, &map, &body, now),
                    Err(VerifyError::MissingId(_))
                ),
                "{l}: empty id"
            );

            let mut map = base.clone();
            map.insert(id_name.clone(), HeaderValue::from_static("msg_other"));
            assert_eq!(
                check(&p.scheme, &ks, &map, &body, now),
                Err(VerifyError::Mismatch),
                "{l}"
            );

            let mut map = base.clone();
            map.insert(
                id_name.clone(),
                HeaderValue::from_str(&"m".repeat(300)).unwrap(),
            );
            assert!(
                matches!(
                    check(&p.scheme, &ks, &map, &body, now),
                    Err(VerifyError::MissingId(_))
                ),
                "{l}: overlong id"
            );

            let mut map = base.clone();
            map.remove(&ts_name);
            assert!(
                matches!(
                    check(&p.scheme, &ks, &map, &body, now),
                    Err(VerifyError::InvalidTimestamp(_))
                ),
                "{l}"
            );

            for bad_ts in ["", "abc", "+1764000000", "1764000000.0", "-1"] {
                let mut map = base.clone();
                map.insert(ts_name.clone(), HeaderValue::from_str(bad_ts).unwrap());
                let r = check(&p.scheme, &ks, &map, &body, now);
                assert!(
                    matches!(
                        r,
                        Err(VerifyError::InvalidTimestamp(_) | VerifyError::Mismatch)
                    ),
                    "{l}: ts {bad_ts:?}: {r:?}"
                );
            }

            // An overlong timestamp is refused before anything else looks at it.
            let mut map = base.clone();
            map.insert(
                ts_name.clone(),
                HeaderValue::from_str(&"1".repeat(300)).unwrap(),
            );
            assert!(
                matches!(
                    check(&p.scheme, &ks, &map, &body, now),
                    Err(VerifyError::InvalidTimestamp(_))
                ),
                "{l}: overlong timestamp"
            );

            // Another, well-formed timestamp: the signature covers it.
            let mut map = base.clone();
            map.insert(
                ts_name.clone(),
                HeaderValue::from_str(&(case.signed_at + 1).to_string()).unwrap(),
            );
            assert_eq!(
                check(&p.scheme, &ks, &map, &body, now),
                Err(VerifyError::Mismatch),
                "{l}"
            );
        }
    }
}

#[test]
fn header_families_are_not_mixed() {
    // A Standard Webhooks case with the signature moved to svix-signature but id and timestamp
    // left under webhook-*: the svix family is missing its id.
    let f = fixtures()
        .into_iter()
        .find(|f| f.provider == "standard-webhooks")
        .unwrap();
    let case = f.cases.iter().find(|c| c.name == "basic").unwrap();
    let p = preset("standard-webhooks");
    let ks = case.keys(&p.scheme);
    let mut map = case.header_map();
    let sig = map.remove("webhook-signature").unwrap();
    map.insert("svix-signature", sig);
    let r = check(&p.scheme, &ks, &map, &case.body(), at(case.signed_at));
    assert!(
        matches!(
            r,
            Err(VerifyError::InvalidTimestamp(_) | VerifyError::MissingId(_))
        ),
        "{r:?}"
    );

    // Both presets accept both families.
    for provider in ["standard-webhooks", "svix"] {
        let p = preset(provider);
        for f in fixtures()
            .into_iter()
            .filter(|f| f.provider == "standard-webhooks" || f.provider == "svix")
        {
            for case in &f.cases {
                check(
                    &p.scheme,
                    &case.keys(&p.scheme),
                    &case.header_map(),
                    &case.body(),
                    at(case.signed_at),
                )
                .unwrap_or_else(|e| panic!("{provider} on {}: {e:?}", label(&f.provider, case)));
            }
        }
    }
}

#[test]
fn tolinku_body_timestamp_missing_or_invalid() {
    let f = fixtures()
        .into_iter()
        .find(|f| f.provider == "tolinku")
        .unwrap();
    let p = preset("tolinku");
    for case in &f.cases {
        let l = label("tolinku", case);
        let secret = case.secrets.last().unwrap().as_bytes();
        let ks = vec![key("k", &case.secrets[case.secrets.len() - 1], &p.scheme)];
        let mut doc: serde_json::Value = serde_json::from_slice(&case.body()).unwrap();
        let variants: Vec<Option<serde_json::Value>> = vec![
            None,
            Some(serde_json::Value::Null),
            Some("".into()),
            Some("yesterday".into()),
            Some("2025-11-24T16:00:00".into()),
            Some("2025-11-24".into()),
            Some(case.signed_at.into()),
            Some(true.into()),
            Some(serde_json::json!({"at": "2025-11-24T16:00:00Z"})),
            Some("x".repeat(300).into()),
        ];
        for v in variants {
            let obj = doc.as_object_mut().unwrap();
            match &v {
                None => {
                    obj.remove("timestamp");
                }
                Some(v) => {
                    obj.insert("timestamp".into(), v.clone());
                }
            }
            let body = serde_json::to_vec(&doc).unwrap();
            // Correctly signed, so only the timestamp can be the problem.
            let sig = hex::encode(hmac_sha256(secret, &[&body]));
            let map = headers(&[("x-webhook-signature", &sig)]);
            let r = check(&p.scheme, &ks, &map, &body, at(case.signed_at));
            assert!(
                matches!(r, Err(VerifyError::InvalidTimestamp(_))),
                "{l}: timestamp {v:?} gave {r:?}"
            );
        }
        // The same bodies with a signature that does not match: a forgery, whatever the body.
        for body in [&b"not json"[..], br#"{"event":"x"}"#, b""] {
            let map = headers(&[("x-webhook-signature", &"ab".repeat(32))]);
            assert_eq!(
                check(&p.scheme, &ks, &map, body, at(case.signed_at)),
                Err(VerifyError::Mismatch),
                "{l}"
            );
        }
        // Not JSON at all, correctly signed.
        let body = b"timestamp=2025-11-24T16:00:00Z";
        let sig = hex::encode(hmac_sha256(secret, &[body]));
        let map = headers(&[("x-webhook-signature", &sig)]);
        assert!(
            matches!(
                check(&p.scheme, &ks, &map, body, at(case.signed_at)),
                Err(VerifyError::InvalidTimestamp(_))
            ),
            "{l}"
        );
    }
}

#[test]
fn tolinku_prefix_is_optional_and_case_insensitive() {
    let p = preset("tolinku");
    let body = br#"{"event":"test","timestamp":"2025-11-24T16:00:00.000Z","data":{}}"#;
    let sig = hex::encode(hmac_sha256(b"whsec_abc", &[body]));
    let ks = keys(&["whsec_abc"], &p.scheme);
    for v in [
        sig.clone(),
        format!("sha256={sig}"),
        format!("SHA256={sig}"),
        sig.to_uppercase(),
        format!(" {sig} "),
    ] {
        let map = headers(&[("X-Webhook-Signature", &v)]);
        let r = check(&p.scheme, &ks, &map, body, at(1_764_000_000));
        assert!(r.is_ok(), "{v}: {r:?}");
    }
    // The legacy sha1= form is not a sha256 signature.
    let map = headers(&[("X-Webhook-Signature", &format!("sha1={sig}"))]);
    assert!(check(&p.scheme, &ks, &map, body, at(1_764_000_000)).is_err());
}

#[test]
fn a_hex_signature_that_does_not_decode_or_is_empty_is_malformed_not_a_mismatch() {
    let p = preset("github");
    let body = br#"{"foo":"bar"}"#;
    let ks = keys(&["mysecret"], &p.scheme);
    let good = "4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3";
    let odd = &good[1..];
    let not_hex = good.replacen('4', "g", 1);
    for (bad, why) in [
        (odd, "signature is not hex"),
        (not_hex.as_str(), "signature is not hex"),
        ("0", "signature is not hex"),
        ("", "signature is empty"),
    ] {
        let map = headers(&[("X-Hub-Signature-256", &format!("sha256={bad}"))]);
        assert_eq!(
            check(&p.scheme, &ks, &map, body, at(0)),
            Err(VerifyError::MalformedSignature(why)),
            "{bad:?}"
        );
    }
    let map = headers(&[("X-Hub-Signature-256", &format!("sha256={good}"))]);
    assert!(check(&p.scheme, &ks, &map, body, at(0)).is_ok());
}

#[test]
fn github_prefix_is_required() {
    let p = preset("github");
    let body = br#"{"foo":"bar"}"#;
    let ks = keys(&["mysecret"], &p.scheme);
    let bare = "4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3";
    let map = headers(&[("X-Hub-Signature-256", bare)]);
    assert!(matches!(
        check(&p.scheme, &ks, &map, body, at(0)),
        Err(VerifyError::MalformedSignature(_))
    ));
    let map = headers(&[(
        "X-Hub-Signature-256",
        &format!("SHA256={}", bare.to_uppercase()),
    )]);
    assert!(check(&p.scheme, &ks, &map, body, at(0)).is_ok());
    // Only the legacy SHA-1 header: the SHA-256 one is missing.
    let map = headers(&[("X-Hub-Signature", "sha1=0000")]);
    assert_eq!(
        check(&p.scheme, &ks, &map, body, at(0)),
        Err(VerifyError::MissingSignature(HeaderName::from_static(
            "x-hub-signature-256"
        )))
    );
}

#[test]
fn stripe_header_variants() {
    let p = preset("stripe");
    let secret = "whsec_8LNMV3FMpKW6R5z6s4pz0NoVxkEiILbw";
    let ks = keys(&[secret], &p.scheme);
    let body = br#"{"id":"evt_1","object":"event"}"#;
    let t = 1_764_000_000i64;
    let sig = hex::encode(hmac_sha256(
        secret.as_bytes(),
        &[t.to_string().as_bytes(), b".", body],
    ));
    let ok = [
        format!("t={t},v1={sig}"),
        format!("v1={sig},t={t}"),
        format!("t={t}, v1={sig}"),
        format!("t={t},v1=00,v1={sig}"),
        format!("t={t},v0=ff,v1={sig},scheme=x"),
        format!("t={t},v1={}", sig.to_uppercase()),
    ];
    for h in &ok {
        let map = headers(&[("Stripe-Signature", h)]);
        check(&p.scheme, &ks, &map, body, at(t)).unwrap_or_else(|e| panic!("{h}: {e:?}"));
    }
    // Missing t: the timestamp is signed, so it is needed.
    let map = headers(&[("Stripe-Signature", &format!("v1={sig}"))]);
    assert!(matches!(
        check(&p.scheme, &ks, &map, body, at(t)),
        Err(VerifyError::InvalidTimestamp(_))
    ));
    // Another t: mismatch.
    let map = headers(&[("Stripe-Signature", &format!("t={},v1={sig}", t + 1))]);
    assert_eq!(
        check(&p.scheme, &ks, &map, body, at(t)),
        Err(VerifyError::Mismatch)
    );
    // Only v0: no v1 entry.
    let map = headers(&[("Stripe-Signature", &format!("t={t},v0={sig}"))]);
    assert!(matches!(
        check(&p.scheme, &ks, &map, body, at(t)),
        Err(VerifyError::MalformedSignature(_))
    ));
    // The whsec_ secret is not base64-decoded for Stripe: a decoded key does not verify.
    let decoded = STANDARD.decode("8LNMV3FMpKW6R5z6s4pz0NoVxkEiILbw").unwrap();
    let sig2 = hex::encode(hmac_sha256(
        &decoded,
        &[t.to_string().as_bytes(), b".", body],
    ));
    let map = headers(&[("Stripe-Signature", &format!("t={t},v1={sig2}"))]);
    assert_eq!(
        check(&p.scheme, &ks, &map, body, at(t)),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn only_the_first_candidates_are_tried() {
    // A header with thousands of entries costs at most MAX_CANDIDATES comparisons; a good
    // signature behind them is not found.
    let mut s = generic("x-sig");
    s.format = SignatureFormat::List {
        prefix: None,
        prefix_required: false,
        separator: Some(",".into()),
    };
    let ks = keys(&["k"], &s);
    let body = b"hello";
    let good = hex::encode(hmac_sha256(b"k", &[body]));
    let within = format!("{}{good}", "00,".repeat(MAX_CANDIDATES - 1));
    let map = headers(&[("x-sig", &within)]);
    assert!(check(&s, &ks, &map, body, at(0)).is_ok());
    let beyond = format!("{}{good}", "00,".repeat(MAX_CANDIDATES));
    let map = headers(&[("x-sig", &beyond)]);
    assert_eq!(
        check(&s, &ks, &map, body, at(0)),
        Err(VerifyError::Mismatch)
    );
}

// ---------------------------------------------------------------------------------------------
// Documented vectors, hard-coded.

#[test]
fn github_documented_vectors() {
    let p = preset("github");
    for (secret, body, sig) in [
        (
            "mysecret",
            &br#"{"foo":"bar"}"#[..],
            "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3",
        ),
        (
            "It's a Secret to Everybody",
            &b"Hello, World!"[..],
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ),
    ] {
        let ks = keys(&[secret], &p.scheme);
        let map = headers(&[("X-Hub-Signature-256", sig)]);
        let v = check(&p.scheme, &ks, &map, body, at(1_764_000_000)).unwrap();
        assert_eq!(
            v,
            Verified {
                key_index: 0,
                signed_at_ms: None,
                skew_seconds: None,
                id: None
            }
        );
        // And `sign` produces exactly the documented header.
        let method = post();
        let uri = hook_uri();
        let out = sign(
            &p.scheme,
            &ks[0],
            &SignInput {
                body,
                method: &method,
                uri: &uri,
                public_url: None,
                now: at(0),
                id: None,
            },
        )
        .unwrap();
        assert_eq!(
            out,
            vec![(
                HeaderName::from_static("x-hub-signature-256"),
                sig.to_owned()
            )]
        );
    }
}

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TS: i64 = 1_614_265_330;
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SW_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

#[test]
fn standard_webhooks_documented_vector() {
    for provider in ["standard-webhooks", "svix"] {
        let p = preset(provider);
        for family in ["webhook", "svix"] {
            let map = headers(&[
                (&format!("{family}-id"), SW_ID),
                (&format!("{family}-timestamp"), "1614265330"),
                (&format!("{family}-signature"), SW_SIG),
            ]);
            // With and without the whsec_ prefix: the key is the base64 after it.
            for secret in [SW_SECRET, &SW_SECRET["whsec_".len()..]] {
                let ks = keys(&[secret], &p.scheme);
                let v = check(&p.scheme, &ks, &map, SW_BODY, at(SW_TS))
                    .unwrap_or_else(|e| panic!("{provider}/{family}: {e:?}"));
                assert_eq!(
                    v,
                    Verified {
                        key_index: 0,
                        signed_at_ms: Some(SW_TS * 1000),
                        skew_seconds: Some(0.0),
                        id: Some(SW_ID.into()),
                    }
                );
                let method = post();
                let uri = hook_uri();
                let msg = Message::new(&method, &uri, &map, SW_BODY, None);
                assert_eq!(
                    p.dedup_key.extract(&msg, &v).map(|k| k.id).as_deref(),
                    Some(SW_ID)
                );
            }
            // Signature lists: an unknown version and an Ed25519 entry first, then ours.
            let list = format!("v1a,AAAA v2,BBBB {SW_SIG}");
            let mut map2 = map.clone();
            map2.insert(
                HeaderName::from_bytes(format!("{family}-signature").as_bytes()).unwrap(),
                HeaderValue::from_str(&list).unwrap(),
            );
            assert!(check(
                &p.scheme,
                &keys(&[SW_SECRET], &p.scheme),
                &map2,
                SW_BODY,
                at(SW_TS)
            )
            .is_ok());
            // Unpadded base64 signature is accepted.
            map2.insert(
                HeaderName::from_bytes(format!("{family}-signature").as_bytes()).unwrap(),
                HeaderValue::from_str(SW_SIG.trim_end_matches('=')).unwrap(),
            );
            assert!(check(
                &p.scheme,
                &keys(&[SW_SECRET], &p.scheme),
                &map2,
                SW_BODY,
                at(SW_TS)
            )
            .is_ok());
        }
        // The documented signature, recomputed with the hmac crate from the decoded key.
        let raw_key = STANDARD.decode(&SW_SECRET["whsec_".len()..]).unwrap();
        let mac = hmac_sha256(
            &raw_key,
            &[SW_ID.as_bytes(), b".", b"1614265330", b".", SW_BODY],
        );
        assert_eq!(format!("v1,{}", STANDARD.encode(mac)), SW_SIG);
        // And `sign` produces it.
        let k = key("k", SW_SECRET, &p.scheme);
        let method = post();
        let uri = hook_uri();
        let out = sign(
            &p.scheme,
            &k,
            &SignInput {
                body: SW_BODY,
                method: &method,
                uri: &uri,
                public_url: None,
                now: at(SW_TS),
                id: Some(SW_ID.into()),
            },
        )
        .unwrap();
        let first = &p.scheme.headers[0];
        assert_eq!(
            out,
            vec![
                (first.signature.clone(), SW_SIG.to_owned()),
                (first.timestamp.clone().unwrap(), "1614265330".to_owned()),
                (first.id.clone().unwrap(), SW_ID.to_owned()),
            ]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Generic schemes, checked against an independent HMAC.

#[test]
fn generic_algorithms_and_encodings() {
    let body = br#"{"event":"x","n":1}"#;
    let secret = b"generic-secret";
    type MacFn = fn(&[u8], &[&[u8]]) -> Vec<u8>;
    let algs: [(Algorithm, MacFn); 3] = [
        (Algorithm::HmacSha1, hmac_sha1),
        (Algorithm::HmacSha256, hmac_sha256),
        (Algorithm::HmacSha512, hmac_sha512),
    ];
    for (alg, mac) in algs {
        let raw = mac(secret, &[body]);
        for (enc, forms) in [
            (
                Encoding::Hex,
                vec![hex::encode(&raw), hex::encode_upper(&raw)],
            ),
            (
                Encoding::Base64,
                vec![
                    STANDARD.encode(&raw),
                    STANDARD.encode(&raw).trim_end_matches('=').to_owned(),
                ],
            ),
            (
                Encoding::Base64Url,
                vec![URL_SAFE_NO_PAD.encode(&raw), URL_SAFE.encode(&raw)],
            ),
        ] {
            let mut s = generic("x-signature");
            s.algorithm = alg;
            s.encoding = enc;
            let ks = keys(&["generic-secret"], &s);
            for form in &forms {
                let map = headers(&[("X-Signature", form)]);
                let r = check(&s, &ks, &map, body, at(0));
                assert!(r.is_ok(), "{alg:?} {enc:?} {form}: {r:?}");
            }
            // A MAC from another algorithm (wrong length) never matches.
            let other = hmac_sha256(secret, &[b"other"]);
            let map = headers(&[("X-Signature", &hex::encode(other))]);
            assert!(check(&s, &ks, &map, body, at(0)).is_err());
        }
        // base64 is not base64url: a signature with '+' or '/' only decodes as one of them.
        let std_b64 = STANDARD.encode(&raw);
        let url_b64 = URL_SAFE.encode(&raw);
        if std_b64 != url_b64 {
            let mut s = generic("x-signature");
            s.algorithm = alg;
            s.encoding = Encoding::Base64Url;
            let ks = keys(&["generic-secret"], &s);
            let map = headers(&[("X-Signature", &std_b64)]);
            assert!(check(&s, &ks, &map, body, at(0)).is_err(), "{alg:?}");
        }
    }
}

#[test]
fn generic_prefix_and_separator() {
    let body = b"payload bytes";
    let raw = hmac_sha512(b"k1", &[body]);
    let sig = STANDARD.encode(&raw);
    let mut s = generic("x-sig");
    s.algorithm = Algorithm::HmacSha512;
    s.encoding = Encoding::Base64;
    s.format = SignatureFormat::List {
        prefix: Some("sha512=".into()),
        prefix_required: true,
        separator: Some(" ".into()),
    };
    let ks = keys(&["k0", "k1"], &s);
    let other = STANDARD.encode(hmac_sha512(b"k9", &[body]));
    for (value, expect) in [
        (format!("sha512={sig}"), Some(1)),
        (format!("SHA512={sig}"), Some(1)),
        (format!("sha512={other} sha512={sig}"), Some(1)),
        (format!("sha512={sig} sha512={other}"), Some(1)),
        (format!("  sha512={other}   sha512={sig}  "), Some(1)),
        (format!("sha1={sig} sha512={sig}"), Some(1)),
        (sig.clone(), None),
        (format!("sha512={other}"), None),
        (format!("sha512={sig},sha512={other}"), None),
    ] {
        let map = headers(&[("x-sig", &value)]);
        let r = check(&s, &ks, &map, body, at(0));
        match expect {
            Some(i) => assert_eq!(r.map(|v| v.key_index), Ok(i), "{value}"),
            None => assert!(r.is_err(), "{value}: {r:?}"),
        }
    }
    // A comma separator and an optional prefix.
    s.format = SignatureFormat::List {
        prefix: Some("v1:".into()),
        prefix_required: false,
        separator: Some(",".into()),
    };
    for value in [
        format!("{other},{sig}"),
        format!("v1:{other}, v1:{sig}"),
        format!("{other},v1:{sig}"),
    ] {
        let map = headers(&[("x-sig", &value)]);
        assert_eq!(
            check(&s, &ks, &map, body, at(0)).map(|v| v.key_index),
            Ok(1),
            "{value}"
        );
    }
}

#[test]
fn generic_params_format() {
    // Paddle-like: `ts=..;h1=..;h1=..` over `{timestamp}:{body}`.
    let s = Scheme {
        algorithm: Algorithm::HmacSha256,
        encoding: Encoding::Hex,
        headers: vec![HeaderSet {
            signature: HeaderName::from_static("paddle-signature"),
            timestamp: None,
            id: None,
        }],
        format: SignatureFormat::Params {
            pair_separator: ';',
            signature_key: "h1".into(),
        },
        payload: vec![Piece::Timestamp, Piece::Literal(b":".to_vec()), Piece::Body],
        timestamp: Some(TimestampRule {
            source: TimestampSource::SignatureParam("ts".into()),
            format: TimestampFormat::Unix,
        }),
        id: None,
        secret_encoding: SecretEncoding::Raw,
        ..Scheme::default()
    };
    let secret = "pdl_ntfset_01abc_xyz";
    let ks = keys(&["pdl_ntfset_old", secret], &s);
    let body = br#"{"event_id":"evt_01","event_type":"transaction.paid"}"#;
    let ts = 1_700_000_000i64;
    let sig = hex::encode(hmac_sha256(
        secret.as_bytes(),
        &[ts.to_string().as_bytes(), b":", body],
    ));
    for value in [
        format!("ts={ts};h1={sig}"),
        format!("ts={ts};h1=abcd;h1={sig}"),
        format!("h1={sig};ts={ts}"),
    ] {
        let map = headers(&[("Paddle-Signature", &value)]);
        let v = check(&s, &ks, &map, body, at(ts + 2)).unwrap_or_else(|e| panic!("{value}: {e:?}"));
        assert_eq!(v.key_index, 1);
        assert_eq!(v.signed_at_ms, Some(ts * 1000));
        assert_eq!(v.skew_seconds, Some(2.0));
    }
    // A comma is not this scheme's separator.
    let map = headers(&[("Paddle-Signature", &format!("ts={ts},h1={sig}"))]);
    assert!(check(&s, &ks, &map, body, at(ts)).is_err());
    let map = headers(&[("Paddle-Signature", &format!("ts={ts};h1={sig}"))]);
    assert_eq!(
        check(&s, &ks, &map, body, at(ts + 301)),
        Err(VerifyError::TooOld {
            age_s: 301,
            max_s: 300
        })
    );
}

/// `{timestamp}.{body}` with the timestamp in a header, in each format.
#[test]
fn generic_header_timestamp_formats() {
    let body = br#"{"a":1}"#;
    let now_s = 1_764_000_000i64;
    let cases: [(TimestampFormat, String, i64); 7] = [
        (TimestampFormat::Unix, now_s.to_string(), now_s * 1000),
        (
            TimestampFormat::UnixMs,
            (now_s * 1000 + 250).to_string(),
            now_s * 1000 + 250,
        ),
        (
            TimestampFormat::Rfc3339,
            "2025-11-24T16:00:00Z".into(),
            now_s * 1000,
        ),
        (
            TimestampFormat::Rfc3339,
            "2025-11-24T17:00:00.123456789+01:00".into(),
            now_s * 1000 + 123,
        ),
        (
            TimestampFormat::Rfc3339,
            "2025-11-24T15:59:30-00:00".into(),
            now_s * 1000 - 30_000,
        ),
        (
            TimestampFormat::Iso8601NoZone,
            "2025-11-24T16:00:00.551".into(),
            now_s * 1000 + 551,
        ),
        (
            TimestampFormat::Iso8601NoZone,
            "2025-11-24T15:59:30".into(),
            now_s * 1000 - 30_000,
        ),
    ];
    for (format, ts, ts_ms) in cases {
        let s = Scheme {
            payload: vec![Piece::Timestamp, Piece::Literal(b".".to_vec()), Piece::Body],
            timestamp: Some(TimestampRule {
                source: TimestampSource::Header,
                format,
            }),
            headers: vec![HeaderSet {
                signature: HeaderName::from_static("x-signature"),
                timestamp: Some(HeaderName::from_static("x-timestamp")),
                id: None,
            }],
            ..generic("x-signature")
        };
        let ks = keys(&["s3cr3t"], &s);
        let sig = hex::encode(hmac_sha256(b"s3cr3t", &[ts.as_bytes(), b".", body]));
        let map = headers(&[("X-Signature", &sig), ("X-Timestamp", &ts)]);
        let v = check(&s, &ks, &map, body, at(now_s)).unwrap_or_else(|e| panic!("{ts}: {e:?}"));
        assert_eq!(v.signed_at_ms, Some(ts_ms), "{ts}");
        let expected_skew = (now_s * 1000 - ts_ms) as f64 / 1000.0;
        assert_eq!(v.skew_seconds, Some(expected_skew), "{ts}");

        // Window edges in milliseconds.
        assert!(
            check(&s, &ks, &map, body, at_ms(ts_ms + 300_000)).is_ok(),
            "{ts}"
        );
        assert_eq!(
            check(&s, &ks, &map, body, at_ms(ts_ms + 300_001)),
            Err(VerifyError::TooOld {
                age_s: 300,
                max_s: 300
            }),
            "{ts}"
        );
        assert!(
            check(&s, &ks, &map, body, at_ms(ts_ms - 60_000)).is_ok(),
            "{ts}"
        );
        assert_eq!(
            check(&s, &ks, &map, body, at_ms(ts_ms - 60_001)),
            Err(VerifyError::TooNew {
                ahead_s: 60,
                max_s: 60
            }),
            "{ts}"
        );

        // Missing timestamp header.
        let map = headers(&[("X-Signature", &sig)]);
        assert!(matches!(
            check(&s, &ks, &map, body, at(now_s)),
            Err(VerifyError::InvalidTimestamp(_))
        ));
        // The timestamp is signed as text: an equivalent spelling is another message.
        let other = match format {
            TimestampFormat::Unix | TimestampFormat::UnixMs => format!("0{ts}"),
            TimestampFormat::Rfc3339 | TimestampFormat::Iso8601NoZone => ts.replace('T', "t"),
        };
        let map = headers(&[("X-Signature", &sig), ("X-Timestamp", &other)]);
        assert!(check(&s, &ks, &map, body, at(now_s)).is_err(), "{other}");
    }
}

#[test]
fn generic_secret_encodings() {
    let body = b"abc";
    let raw_key = b"\x00\x01binary key\xff";
    let sig = hex::encode(hmac_sha256(raw_key, &[body]));
    let map = headers(&[("x-sig", &sig)]);
    for (enc, secret) in [
        (SecretEncoding::Base64, STANDARD.encode(raw_key)),
        (
            SecretEncoding::Base64,
            STANDARD.encode(raw_key).trim_end_matches('=').to_owned(),
        ),
        (
            SecretEncoding::Whsec,
            format!("whsec_{}", STANDARD.encode(raw_key)),
        ),
        (SecretEncoding::Whsec, STANDARD.encode(raw_key)),
    ] {
        let s = Scheme {
            secret_encoding: enc,
            ..generic("x-sig")
        };
        let ks = keys(&[&secret], &s);
        assert!(
            check(&s, &ks, &map, body, at(0)).is_ok(),
            "{enc:?} {secret}"
        );
        // The same string used raw is another key.
        let raw = Scheme {
            secret_encoding: SecretEncoding::Raw,
            ..generic("x-sig")
        };
        assert_eq!(
            check(&raw, &keys(&[&secret], &raw), &map, body, at(0)),
            Err(VerifyError::Mismatch)
        );
    }
}

#[test]
fn key_errors() {
    let raw = generic("x-sig");
    let b64 = Scheme {
        secret_encoding: SecretEncoding::Base64,
        ..generic("x-sig")
    };
    let wh = Scheme {
        secret_encoding: SecretEncoding::Whsec,
        ..generic("x-sig")
    };
    let new = |s: &str, scheme: &Scheme| Key::new("k".into(), &Secret::new(s), scheme).map(|_| ());
    assert_eq!(new("", &raw), Err(KeyError::Empty));
    assert_eq!(new("", &b64), Err(KeyError::Empty));
    assert_eq!(new("", &wh), Err(KeyError::Empty));
    assert_eq!(new("whsec_", &wh), Err(KeyError::Empty));
    assert_eq!(new("not base64!", &b64), Err(KeyError::NotBase64("")));
    assert!(matches!(
        new("whsec_not base64!", &wh),
        Err(KeyError::NotBase64(_))
    ));
    assert_eq!(new(" ", &raw), Ok(()));
    assert_eq!(new("whsec_not base64!", &raw), Ok(()));
    // The error text never quotes the secret.
    let e = Key::new("k".into(), &Secret::new("whsec_hunter2!!"), &wh).unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn generic_id_method_and_url_pieces() {
    // `{method} {url}\n{id}.{body}` with the id from the JSON body.
    let s = Scheme {
        payload: vec![
            Piece::Method,
            Piece::Literal(b" ".to_vec()),
            Piece::Url,
            Piece::Literal(b"\n".to_vec()),
            Piece::Id,
            Piece::Literal(b".".to_vec()),
            Piece::Body,
        ],
        id: Some(IdSource::Json("/meta/id".into())),
        ..generic("x-sig")
    };
    let ks = keys(&["k"], &s);
    let body = br#"{"meta":{"id":"del_42"},"x":1}"#;
    let signed = b"POST https://hooks.example.com/in/hook?a=1&b=2\ndel_42.";
    let sig = hex::encode(hmac_sha256(b"k", &[signed, body]));
    let map = headers(&[("x-sig", &sig)]);
    let method = post();
    let uri = Uri::from_static("/in/hook?a=1&b=2");
    for public in ["https://hooks.example.com", "https://hooks.example.com/"] {
        let msg = Message::new(&method, &uri, &map, body, Some(public));
        let v = verify(&s, &ks, &msg, FRESH, at(0)).unwrap_or_else(|e| panic!("{public}: {e:?}"));
        assert_eq!(v.id.as_deref(), Some("del_42"));
    }
    // No public_url: the URL cannot be rebuilt.
    let msg = Message::new(&method, &uri, &map, body, None);
    assert!(matches!(
        verify(&s, &ks, &msg, FRESH, at(0)),
        Err(VerifyError::MalformedSignature(_))
    ));
    // Another method, another query: mismatch.
    let put = Method::PUT;
    let msg = Message::new(&put, &uri, &map, body, Some("https://hooks.example.com"));
    assert_eq!(
        verify(&s, &ks, &msg, FRESH, at(0)),
        Err(VerifyError::Mismatch)
    );
    let uri2 = Uri::from_static("/in/hook?a=1");
    let msg = Message::new(
        &method,
        &uri2,
        &map,
        body,
        Some("https://hooks.example.com"),
    );
    assert_eq!(
        verify(&s, &ks, &msg, FRESH, at(0)),
        Err(VerifyError::Mismatch)
    );
    // The id is signed: a body without it cannot verify.
    let body2 = br#"{"x":1}"#;
    let msg = Message::new(
        &method,
        &uri,
        &map,
        body2,
        Some("https://hooks.example.com"),
    );
    assert_eq!(
        verify(&s, &ks, &msg, FRESH, at(0)),
        Err(VerifyError::MissingId("JSON field /meta/id".into()))
    );
    // A numeric id is read as its JSON text.
    let body3 = br#"{"meta":{"id":42}}"#;
    let signed3 = b"POST https://hooks.example.com/in/hook?a=1&b=2\n42.";
    let sig3 = hex::encode(hmac_sha256(b"k", &[signed3, body3]));
    let map3 = headers(&[("x-sig", &sig3)]);
    let msg = Message::new(
        &method,
        &uri,
        &map3,
        body3,
        Some("https://hooks.example.com"),
    );
    assert_eq!(
        verify(&s, &ks, &msg, FRESH, at(0)).unwrap().id.as_deref(),
        Some("42")
    );
}

#[test]
fn empty_scheme_headers_do_not_panic() {
    let s = Scheme {
        headers: vec![],
        ..generic("x-sig")
    };
    let ks = keys(&["k"], &s);
    let r = check(&s, &ks, &headers(&[("x-sig", "00")]), b"x", at(0));
    assert!(matches!(r, Err(VerifyError::MissingSignature(_))), "{r:?}");
}

// ---------------------------------------------------------------------------------------------
// Timestamp parsing and freshness edge cases.

#[test]
fn parse_timestamp_unix_edges() {
    use TimestampFormat::{Unix, UnixMs};
    assert_eq!(parse_timestamp("0", Unix), Ok(0));
    assert_eq!(parse_timestamp("1764000000", Unix), Ok(1_764_000_000_000));
    assert_eq!(parse_timestamp("01764000000", Unix), Ok(1_764_000_000_000));
    assert_eq!(
        parse_timestamp("1764000000123", UnixMs),
        Ok(1_764_000_000_123)
    );
    assert_eq!(
        parse_timestamp("999999999999999999", UnixMs),
        Ok(999_999_999_999_999_999)
    );
    // 18 digits of seconds overflow i64 milliseconds.
    assert!(parse_timestamp("999999999999999999", Unix).is_err());
    // The largest seconds value that fits.
    assert_eq!(
        parse_timestamp("9223372036854775", Unix),
        Ok(9_223_372_036_854_775_000)
    );
    for bad in [
        "",
        "+123",
        "-5",
        "-0",
        " 1",
        "1 ",
        "1\t",
        "1e9",
        "1E9",
        "0x10",
        "1.5",
        "1,000",
        "1_000",
        "NaN",
        "inf",
        "\u{661}\u{662}\u{663}",
        "\u{ff11}",
        "1234567890123456789",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999999999999999",
    ] {
        for f in [Unix, UnixMs] {
            let r = parse_timestamp(bad, f);
            assert!(
                matches!(r, Err(VerifyError::InvalidTimestamp(_))),
                "{bad:?} as {f:?}: {r:?}"
            );
        }
    }
}

#[test]
fn parse_timestamp_rfc3339_edges() {
    use TimestampFormat::Rfc3339;
    assert_eq!(parse_timestamp("1970-01-01T00:00:00Z", Rfc3339), Ok(0));
    assert_eq!(
        parse_timestamp("2025-11-24T16:00:00.000Z", Rfc3339),
        Ok(1_764_000_000_000)
    );
    assert_eq!(
        parse_timestamp("2025-11-24T16:00:00.999999999Z", Rfc3339),
        Ok(1_764_000_000_999)
    );
    assert_eq!(
        parse_timestamp("2025-11-24T18:30:00+02:30", Rfc3339),
        Ok(1_764_000_000_000)
    );
    assert_eq!(parse_timestamp("1969-12-31T23:59:59.5Z", Rfc3339), Ok(-500));
    assert_eq!(
        parse_timestamp("9999-12-31T23:59:59Z", Rfc3339),
        Ok(253_402_300_799_000)
    );
    assert!(parse_timestamp("0000-01-01T00:00:00Z", Rfc3339).is_ok());
    for bad in [
        "",
        "2025-11-24",
        "2025-11-24T16:00:00",
        "2025-11-24 16:00:00",
        "2025-11-24T16:00Z",
        "2025-13-01T00:00:00Z",
        "2025-02-30T00:00:00Z",
        "2025-11-24T24:00:01Z",
        "2025-11-24T16:00:00+24:00",
        "10000-01-01T00:00:00Z",
        "99999-01-01T00:00:00Z",
        "+10000-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "999999999999999999999-01-01T00:00:00Z",
        "1764000000",
        "Mon, 24 Nov 2025 16:00:00 GMT",
        " 2025-11-24T16:00:00Z",
        "2025-11-24T16:00:00Z ",
    ] {
        let r = parse_timestamp(bad, Rfc3339);
        assert!(
            matches!(r, Err(VerifyError::InvalidTimestamp(_))),
            "{bad:?}: {r:?}"
        );
    }
    // Error messages quote the (attacker-chosen) value with Debug escaping, never raw.
    let e = parse_timestamp("x\ny", Rfc3339).unwrap_err().to_string();
    assert!(!e.contains('\n'), "{e}");
}

#[test]
fn check_fresh_never_panics() {
    let edges = [
        i64::MIN,
        i64::MIN + 1,
        -1_000_000_000_000,
        -1,
        0,
        1,
        999,
        1000,
        1_764_000_000_000,
        i64::MAX / 2,
        i64::MAX - 1,
        i64::MAX,
    ];
    let windows = [
        FRESH,
        Freshness {
            max_age: Duration::ZERO,
            max_future_skew: Duration::ZERO,
        },
        Freshness {
            max_age: Duration::MAX,
            max_future_skew: Duration::MAX,
        },
        Freshness {
            max_age: Duration::from_millis(u64::MAX),
            max_future_skew: Duration::from_nanos(1),
        },
    ];
    for &ts in &edges {
        for &now in &edges {
            for &f in &windows {
                let r = check_fresh(ts, now, f);
                // Consistent with the arithmetic, where it is defined.
                match now.checked_sub(ts) {
                    // 2^63 ms ahead has no i64 negation: always too new.
                    Some(i64::MIN) => assert!(matches!(r, Err(VerifyError::TooNew { .. }))),
                    Some(0) => assert_eq!(r, Ok(()), "{ts} {now} {f:?}"),
                    Some(age) if age > 0 => assert_eq!(
                        r.is_ok(),
                        u128::from(age.unsigned_abs()) <= f.max_age.as_millis(),
                        "{ts} {now} {f:?}: {r:?}"
                    ),
                    Some(age) => assert_eq!(
                        r.is_ok(),
                        u128::from(age.unsigned_abs()) <= f.max_future_skew.as_millis(),
                        "{ts} {now} {f:?}: {r:?}"
                    ),
                    None if ts > now => assert!(matches!(r, Err(VerifyError::TooNew { .. }))),
                    None => assert!(matches!(r, Err(VerifyError::TooOld { .. }))),
                }
                if let Err(e) = r {
                    let _ = e.to_string();
                }
            }
        }
    }
}

#[test]
fn unix_ms_edges() {
    assert_eq!(unix_ms(UNIX_EPOCH), 0);
    assert_eq!(unix_ms(at_ms(1_764_000_000_123)), 1_764_000_000_123);
    assert_eq!(unix_ms(at_ms(-1500)), -1500);
    // Far future: saturates rather than wrapping (if the platform can represent it at all).
    if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(u64::MAX / 2)) {
        assert_eq!(unix_ms(far), i64::MAX);
    }
}

/// Full `verify` with absurd but well-signed timestamps: no panic, a freshness error.
#[test]
fn verify_extreme_signed_timestamps() {
    for (format, values) in [
        (
            TimestampFormat::Unix,
            vec!["0", "1", "9223372036854775", "999999999999999"],
        ),
        (
            TimestampFormat::UnixMs,
            vec!["0", "1", "999999999999999999", "9223372036854775"],
        ),
        (
            TimestampFormat::Rfc3339,
            vec![
                "0000-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999Z",
                "1970-01-01T00:00:00Z",
            ],
        ),
    ] {
        let s = Scheme {
            payload: vec![Piece::Timestamp, Piece::Literal(b".".to_vec()), Piece::Body],
            timestamp: Some(TimestampRule {
                source: TimestampSource::Header,
                format,
            }),
            headers: vec![HeaderSet {
                signature: HeaderName::from_static("x-sig"),
                timestamp: Some(HeaderName::from_static("x-ts")),
                id: None,
            }],
            ..generic("x-sig")
        };
        let ks = keys(&["k"], &s);
        for ts in values {
            let sig = hex::encode(hmac_sha256(b"k", &[ts.as_bytes(), b".", b"b"]));
            let map = headers(&[("x-sig", &sig), ("x-ts", ts)]);
            for now in [
                UNIX_EPOCH,
                at(1_764_000_000),
                at(-1_000_000),
                at(i64::from(i32::MAX) * 1000),
            ] {
                let r = check(&s, &ks, &map, b"b", now);
                if let Ok(v) = &r {
                    // Only a timestamp inside the window can pass.
                    let age = unix_ms(now) - v.signed_at_ms.unwrap();
                    assert!((-60_000..=300_000).contains(&age), "{ts}: {v:?}");
                } else {
                    assert!(
                        matches!(
                            r,
                            Err(VerifyError::TooOld { .. } | VerifyError::TooNew { .. })
                        ),
                        "{ts} at {now:?}: {r:?}"
                    );
                }
            }
        }
    }
}

/// The trace says how far verification got (for `/debug/rejections`), never more.
#[test]
fn trace_tells_which_keys_were_compared_and_the_skew() {
    let s = Scheme {
        payload: vec![Piece::Timestamp, Piece::Literal(b".".to_vec()), Piece::Body],
        timestamp: Some(TimestampRule {
            source: TimestampSource::Header,
            format: TimestampFormat::Unix,
        }),
        headers: vec![HeaderSet {
            signature: HeaderName::from_static("x-sig"),
            timestamp: Some(HeaderName::from_static("x-ts")),
            id: None,
        }],
        ..generic("x-sig")
    };
    let ks = keys(&["first", "second", "third"], &s);
    let (method, uri) = (post(), hook_uri());
    let run = |secret: &str, ts: i64, now: i64| {
        let t = ts.to_string();
        let sig = hex::encode(hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", b"b"]));
        let map = headers(&[("x-sig", &sig), ("x-ts", &t)]);
        let msg = Message::new(&method, &uri, &map, b"b", None);
        let mut trace = Trace::default();
        let r = verify_traced(&s, &ks, &msg, FRESH, at(now), &mut trace);
        (r, trace)
    };
    // Forged: every key compared, none matched, no skew (an unverified time is not reported).
    let (r, t) = run("forger", 1000, 1000);
    assert_eq!(r, Err(VerifyError::Mismatch));
    assert_eq!((t.keys_tried, t.matched, t.skew_seconds), (3, None, None));
    // Stale but authentic: the keys up to the one that matched, and how old it is.
    let (r, t) = run("second", 1000, 1400);
    assert!(matches!(r, Err(VerifyError::TooOld { .. })), "{r:?}");
    assert_eq!(
        (t.keys_tried, t.matched, t.skew_seconds),
        (2, Some(1), Some(400.0))
    );
    // Ahead of our clock: a negative skew.
    let (_, t) = run("first", 1100, 1000);
    assert_eq!((t.matched, t.skew_seconds), (Some(0), Some(-100.0)));
    // No signature: nothing compared.
    let map = headers(&[("x-ts", "1000")]);
    let msg = Message::new(&method, &uri, &map, b"b", None);
    let mut t = Trace::default();
    assert!(verify_traced(&s, &ks, &msg, FRESH, at(1000), &mut t).is_err());
    assert_eq!(t, Trace::default());
}

// ---------------------------------------------------------------------------------------------
// `sign` then `verify`.

fn round_trip(
    scheme: &Scheme,
    secret: &str,
    body: &[u8],
    now: SystemTime,
    public_url: Option<&str>,
) -> Verified {
    let k = key("k", secret, scheme);
    let method = post();
    let uri = Uri::from_static("/hooks/x?y=1");
    let out = sign(
        scheme,
        &k,
        &SignInput {
            body,
            method: &method,
            uri: &uri,
            public_url,
            now,
            id: None,
        },
    )
    .unwrap_or_else(|e| panic!("sign: {e}"));
    let mut map = HeaderMap::new();
    for (n, v) in out {
        map.append(n, HeaderValue::from_str(&v).unwrap());
    }
    let msg = Message::new(&method, &uri, &map, body, public_url);
    let wrong = key("wrong", wrong_secret(scheme), scheme);
    let v = verify(scheme, &[wrong, k], &msg, FRESH, now)
        .unwrap_or_else(|e| panic!("verify after sign: {e:?} (headers {map:?})"));
    assert_eq!(v.key_index, 1);
    v
}

#[test]
fn sign_round_trip_presets() {
    let body =
        br#"{"id":"evt_123","event":"x","timestamp":"2025-11-24T16:00:00.000Z","data":{"k":"v"}}"#;
    let now = at_ms(1_764_000_000_500);
    for name in presets::names() {
        let p = preset(name);
        if p.scheme.algorithm.is_asymmetric() || p.scheme.signature_json.is_some() {
            // hookgate holds a public key / the signature lives in the body: it cannot sign.
            continue;
        }
        let secret = match p.scheme.secret_encoding {
            SecretEncoding::Whsec => SW_SECRET,
            SecretEncoding::Base64 => "c2VjcmV0LWtleS1ieXRlcw==",
            SecretEncoding::Hex => "0123456789abcdef",
            SecretEncoding::Raw => "whsec_8LNMV3FMpKW6R5z6s4pz0NoVxkEiILbw",
        };
        let public_url = p.needs_public_url.then_some("https://hooks.example.com");
        let body: &[u8] = match name {
            "linear" => br#"{"action":"create","webhookTimestamp":1764000000000}"#,
            _ => body,
        };
        let v = round_trip(&p.scheme, secret, body, now, public_url);
        match &p.scheme.timestamp {
            // A millisecond header or signature parameter (WorkOS `t=`, Recurly's first entry, Orb's
            // ISO time with milliseconds) carries the clock exactly.
            Some(TimestampRule {
                source:
                    TimestampSource::Header
                    | TimestampSource::SignatureParam(_)
                    | TimestampSource::FirstEntry,
                format: TimestampFormat::UnixMs | TimestampFormat::Iso8601NoZone,
            }) => {
                assert_eq!(v.signed_at_ms, Some(1_764_000_000_500), "{name}");
                assert_eq!(v.skew_seconds, Some(0.0), "{name}");
            }
            Some(_) => {
                assert_eq!(v.signed_at_ms, Some(1_764_000_000_000), "{name}");
                assert_eq!(v.skew_seconds, Some(0.5), "{name}");
            }
            None => {}
        }
        if p.scheme.id.is_some() {
            let id = v.id.clone().unwrap();
            assert!(id.starts_with("msg_"), "{name}: {id}");
        }
    }
    // Tolinku signs the body's own timestamp; a body without one cannot be signed.
    let p = preset("tolinku");
    let k = key("k", "whsec_x", &p.scheme);
    let method = post();
    let uri = hook_uri();
    let r = sign(
        &p.scheme,
        &k,
        &SignInput {
            body: br#"{"event":"x"}"#,
            method: &method,
            uri: &uri,
            public_url: None,
            now,
            id: None,
        },
    );
    assert_eq!(r, Err(SignError::NeedsBodyTimestamp("/timestamp".into())));
}

#[test]
fn sign_uses_given_id_and_is_deterministic() {
    let p = preset("standard-webhooks");
    let k = key("k", SW_SECRET, &p.scheme);
    let method = post();
    let uri = hook_uri();
    let input = |id: Option<String>| SignInput {
        body: SW_BODY,
        method: &method,
        uri: &uri,
        public_url: None,
        now: at(SW_TS),
        id,
    };
    let a = sign(&p.scheme, &k, &input(None)).unwrap();
    let b = sign(&p.scheme, &k, &input(None)).unwrap();
    assert_eq!(a, b, "the generated id depends only on body and time");
    let c = sign(&p.scheme, &k, &input(Some("msg_custom".into()))).unwrap();
    assert!(c.contains(&(HeaderName::from_static("webhook-id"), "msg_custom".into())));
}

#[test]
fn sign_round_trip_generic() {
    let body = br#"{"meta":{"id":"d1"},"v":[1,2,3]}"#;
    let now = at(1_764_000_000);
    let ts_header = |format| Scheme {
        payload: vec![Piece::Timestamp, Piece::Literal(b".".to_vec()), Piece::Body],
        timestamp: Some(TimestampRule {
            source: TimestampSource::Header,
            format,
        }),
        headers: vec![HeaderSet {
            signature: HeaderName::from_static("x-sig"),
            timestamp: Some(HeaderName::from_static("x-ts")),
            id: Some(HeaderName::from_static("x-id")),
        }],
        ..generic("x-sig")
    };
    let schemes = vec![
        Scheme {
            algorithm: Algorithm::HmacSha1,
            ..generic("x-sig")
        },
        Scheme {
            algorithm: Algorithm::HmacSha512,
            encoding: Encoding::Base64,
            format: SignatureFormat::List {
                prefix: Some("sha512=".into()),
                prefix_required: true,
                separator: Some(" ".into()),
            },
            ..generic("x-sig")
        },
        Scheme {
            encoding: Encoding::Base64Url,
            secret_encoding: SecretEncoding::Base64,
            ..generic("x-sig")
        },
        ts_header(TimestampFormat::Unix),
        ts_header(TimestampFormat::UnixMs),
        ts_header(TimestampFormat::Rfc3339),
        Scheme {
            id: Some(IdSource::Header),
            payload: vec![
                Piece::Id,
                Piece::Literal(b":".to_vec()),
                Piece::Timestamp,
                Piece::Literal(b":".to_vec()),
                Piece::Body,
            ],
            ..ts_header(TimestampFormat::Unix)
        },
        Scheme {
            id: Some(IdSource::Json("/meta/id".into())),
            payload: vec![Piece::Method, Piece::Url, Piece::Id, Piece::Body],
            ..generic("x-sig")
        },
        Scheme {
            format: SignatureFormat::Params {
                pair_separator: ';',
                signature_key: "h1".into(),
            },
            payload: vec![Piece::Timestamp, Piece::Literal(b":".to_vec()), Piece::Body],
            timestamp: Some(TimestampRule {
                source: TimestampSource::SignatureParam("ts".into()),
                format: TimestampFormat::Unix,
            }),
            ..generic("x-sig")
        },
        Scheme {
            format: SignatureFormat::Params {
                pair_separator: ',',
                signature_key: "v1".into(),
            },
            ..ts_header(TimestampFormat::Unix)
        },
        Scheme {
            payload: vec![Piece::Body, Piece::Timestamp],
            timestamp: Some(TimestampRule {
                source: TimestampSource::Json("/v/0".into()),
                format: TimestampFormat::Unix,
            }),
            ..generic("x-sig")
        },
    ];
    for (i, s) in schemes.iter().enumerate() {
        let secret = if s.secret_encoding == SecretEncoding::Base64 {
            "c2VjcmV0LWtleS1ieXRlcw=="
        } else {
            "generic-secret"
        };
        if i == schemes.len() - 1 {
            // The body's /v/0 is 1 (unix seconds): sign and verify at that time.
            let v = round_trip(s, secret, body, at(1), Some("https://h.example"));
            assert_eq!(v.signed_at_ms, Some(1000));
            continue;
        }
        let v = round_trip(s, secret, body, now, Some("https://h.example"));
        if s.timestamp.is_some() {
            assert_eq!(v.signed_at_ms, Some(1_764_000_000_000), "scheme {i}");
        }
        if s.needs(&Piece::Id) {
            assert!(v.id.is_some(), "scheme {i}");
        }
    }
    // {url} without a public URL cannot be signed.
    let s = Scheme {
        payload: vec![Piece::Url, Piece::Body],
        ..generic("x-sig")
    };
    let k = key("k", "x", &s);
    let method = post();
    let uri = hook_uri();
    let r = sign(
        &s,
        &k,
        &SignInput {
            body,
            method: &method,
            uri: &uri,
            public_url: None,
            now,
            id: None,
        },
    );
    assert_eq!(r, Err(SignError::NeedsPublicUrl));
}

// ---------------------------------------------------------------------------------------------
// Secrets stay secret.

#[test]
fn key_debug_never_shows_the_secret() {
    for name in presets::names() {
        let p = preset(name);
        if p.scheme.algorithm.is_asymmetric() {
            // Public keys are not secret; their Debug is checked in key_kinds_debug.
            continue;
        }
        let secret = match p.scheme.secret_encoding {
            SecretEncoding::Whsec => "whsec_aHVudGVyMi12ZXJ5LXNlY3JldA==",
            SecretEncoding::Base64 => "aHVudGVyMi12ZXJ5LXNlY3JldA==",
            SecretEncoding::Hex => "68756e746572322d766572792d736563726574",
            SecretEncoding::Raw => "hunter2-very-secret",
        };
        let k = key("my-key", secret, &p.scheme);
        let shown = format!("{k:?} {k:#?} {:?}", vec![k.clone()]);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("aHVudGVyMi12ZXJ5LXNlY3JldA"), "{shown}");
        assert!(shown.contains("my-key"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        // Nor the derived key bytes in hex.
        assert!(!shown.contains(&hex::encode("hunter2")), "{shown}");
    }
}

#[test]
fn verify_errors_never_show_signatures() {
    let p = preset("github");
    let ks = keys(&["mysecret"], &p.scheme);
    let expected = "4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3";
    let map = headers(&[("X-Hub-Signature-256", &format!("sha256={}", "0".repeat(64)))]);
    let e = check(&p.scheme, &ks, &map, br#"{"foo":"bar"}"#, at(0)).unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(expected), "{shown}");
    assert!(!shown.contains("mysecret"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Twilio: the algorithm a request announces, and the two spellings of the default port.

fn twilio_case(name: &str) -> Case {
    let f = fixtures()
        .into_iter()
        .find(|f| f.provider == "twilio")
        .unwrap();
    f.cases.into_iter().find(|c| c.name == name).unwrap()
}

#[test]
fn twilio_settings_header_selects_the_hmac() {
    let p = preset("twilio");
    let settings = HeaderName::from_static("x-twilio-webhooks-signature-settings");
    for name in ["sharedkey_sha256_form", "sharedkey_sha256_json_body_sha256"] {
        let case = twilio_case(name);
        let (ks, body, now) = (case.keys(&p.scheme), case.body(), at(case.signed_at));
        let with = |value: Option<&'static str>| {
            let mut map = case.header_map();
            match value {
                Some(v) => map.insert(settings.clone(), HeaderValue::from_static(v)),
                None => map.remove(&settings),
            };
            case.check(&p.scheme, &ks, &map, &body, now)
        };
        assert!(with(Some("algorithm=HMAC_SHA256")).is_ok(), "{name}");
        assert!(
            with(Some(" key = k1 , algorithm = hmac-sha256 ")).is_ok(),
            "{name}"
        );
        // Without the header (or without `algorithm=`), the Auth Token's HMAC-SHA1.
        for v in [None, Some("key=k1"), Some("key=k1,algorithm=")] {
            assert_eq!(with(v), Err(VerifyError::Mismatch), "{name} {v:?}");
        }
        for v in ["key=k1,algorithm=HMAC_SHA1", "algorithm=HMAC_SHA512"] {
            assert_eq!(with(Some(v)), Err(VerifyError::Mismatch), "{name} {v}");
        }
        // Names that are not an HMAC hookgate knows fail, as in Twilio's SDK.
        for v in [
            "algorithm=RSA_SHA256",
            "algorithm=token",
            "algorithm=ed25519",
        ] {
            assert!(
                matches!(with(Some(v)), Err(VerifyError::MalformedSignature(_))),
                "{name} {v}"
            );
        }
    }
    // A scheme without `algorithm_header` never reads it.
    let case = twilio_case("sharedkey_sha256_form");
    let plain = Scheme {
        algorithm_header: None,
        ..p.scheme.clone()
    };
    assert_eq!(
        case.check(
            &plain,
            &case.keys(&plain),
            &case.header_map(),
            &case.body(),
            at(case.signed_at)
        ),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn twilio_default_port_either_way() {
    let p = preset("twilio");
    let case = twilio_case("sms_form_basic");
    let (ks, map, body) = (case.keys(&p.scheme), case.header_map(), case.body());
    let (uri, _) = case.target();
    let method = post();
    let run = |scheme: &Scheme, public_url: &str| {
        let msg = Message::new(&method, &uri, &map, &body, Some(public_url));
        verify(scheme, &ks, &msg, FRESH, at(case.signed_at))
    };
    // Signed without the port: the route may spell `:443` or not, with or without a `/`.
    for ok in [
        "https://hooks.example.com",
        "https://hooks.example.com/",
        "https://hooks.example.com:443",
        "https://hooks.example.com:443/",
    ] {
        assert!(run(&p.scheme, ok).is_ok(), "{ok}");
    }
    // Another port, another scheme or host is another URL.
    for bad in [
        "https://hooks.example.com:8443",
        "http://hooks.example.com",
        "http://hooks.example.com:443",
        "https://hooks.example.co",
    ] {
        assert_eq!(run(&p.scheme, bad), Err(VerifyError::Mismatch), "{bad}");
    }
    // Only schemes that ask for it try the other spelling.
    let strict = Scheme {
        url_default_port_optional: false,
        ..p.scheme.clone()
    };
    assert!(run(&strict, "https://hooks.example.com").is_ok());
    assert_eq!(
        run(&strict, "https://hooks.example.com:443"),
        Err(VerifyError::Mismatch)
    );

    for (url, alt) in [
        ("https://h.example", Some("https://h.example:443")),
        ("https://h.example:443/base", Some("https://h.example/base")),
        ("HTTP://h.example:80", Some("HTTP://h.example")),
        ("http://h.example/p?q=1", Some("http://h.example:80/p?q=1")),
        ("https://[::1]", Some("https://[::1]:443")),
        ("https://[::1]:443", Some("https://[::1]")),
        ("https://h.example:8443", None),
        ("ftp://h.example", None),
        ("h.example", None),
    ] {
        assert_eq!(default_port_variant(url).as_deref(), alt, "{url}");
    }
}

// ---------------------------------------------------------------------------------------------
// Mailgun's in-body signature, token schemes, public-key formats (tools/vectors/svix-asym).

fn fixture_case(file: &str, name: &str) -> Case {
    let files = fixture_files();
    let (_, text) = files.iter().find(|(f, _)| f == file).unwrap();
    let f: Fixture = serde_json::from_str(text).unwrap();
    f.cases.into_iter().find(|c| c.name == name).unwrap()
}

#[test]
fn mailgun_signature_is_a_body_field() {
    let p = preset("mailgun");
    let case = fixture_case("mailgun", "delivered");
    let (ks, map, now) = (case.keys(&p.scheme), case.header_map(), at(case.signed_at));
    let doc: serde_json::Value = serde_json::from_slice(&case.body()).unwrap();
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut d = doc.clone();
        edit(&mut d);
        case.check(&p.scheme, &ks, &map, &serde_json::to_vec(&d).unwrap(), now)
    };
    // Re-serialised and with other event data it still verifies: only timestamp + token are
    // signed (Mailgun's design; the config warns).
    assert!(with(&|_| {}).is_ok());
    assert!(with(&|d| d["event-data"]["event"] = "failed".into()).is_ok());
    let missing = Err(VerifyError::MissingSignatureField(
        "/signature/signature".into(),
    ));
    assert_eq!(
        with(&|d| {
            d["signature"].as_object_mut().unwrap().remove("signature");
        }),
        missing
    );
    assert_eq!(with(&|d| d["signature"]["signature"] = 42.into()), missing);
    assert_eq!(
        case.check(&p.scheme, &ks, &map, b"signature=00&token=00", now),
        missing
    );
    // The token and the timestamp are signed.
    assert_eq!(
        with(&|d| d["signature"]["token"] = "0".repeat(50).into()),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        with(&|d| d["signature"]["timestamp"] = (case.signed_at + 1).to_string().into()),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        with(&|d| {
            d["signature"].as_object_mut().unwrap().remove("timestamp");
        }),
        Err(VerifyError::MissingId(
            "JSON field /signature/timestamp".into()
        ))
    );
}

#[test]
fn tokens_compare_the_whole_value() {
    for (provider, header) in [("gitlab", "x-gitlab-token"), ("okta", "authorization")] {
        let p = preset(provider);
        let case = fixture_case(provider, "rotation_route_old_new_signed_by_new");
        let (ks, body, now) = (case.keys(&p.scheme), case.body(), at(case.signed_at));
        let token = case.header_map()[header].to_str().unwrap().to_owned();
        let run = |value: &str| {
            let mut map = case.header_map();
            map.insert(
                HeaderName::from_static(header),
                HeaderValue::from_str(value).unwrap(),
            );
            case.check(&p.scheme, &ks, &map, &body, now)
        };
        assert_eq!(run(&token).map(|v| v.key_index), Ok(1), "{provider}");
        for bad in [
            token[..token.len() - 1].to_owned(),
            format!("{token}x"),
            format!("Bearer {token}"),
            token.to_uppercase(),
            format!("{}{token}", &token[..1]),
        ] {
            assert_eq!(run(&bad), Err(VerifyError::Mismatch), "{provider}: {bad:?}");
        }
    }
}

#[test]
fn public_key_formats() {
    // SendGrid: the base64 DER key as its settings page shows it, or as a PEM block (its SDK
    // takes both), with any line breaks.
    let p = preset("sendgrid");
    let case = fixture_case("sendgrid", "public_key_pem_armored");
    let pem = case.secrets[0].clone();
    let bare: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for secret in [
        pem.clone(),
        pem.replace('\n', "\r\n"),
        bare.clone(),
        format!("{bare}\n"),
    ] {
        let ks = vec![key("k", &secret, &p.scheme)];
        let r = case.check(
            &p.scheme,
            &ks,
            &case.header_map(),
            &case.body(),
            at(case.signed_at),
        );
        assert!(r.is_ok(), "{secret:?}: {r:?}");
    }
    for (secret, err) in [
        ("not base64!", KeyError::NotBase64(" or a PEM block")),
        (
            "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
            KeyError::Empty,
        ),
        ("d3Jvbmc=", KeyError::NotP256),
    ] {
        assert_eq!(
            Key::new("k".into(), &Secret::new(secret), &p.scheme).err(),
            Some(err),
            "{secret:?}"
        );
    }

    // Discord: 64 hex digits, either case; anything else is refused at config time.
    let p = preset("discord");
    let case = fixture_case("discord", "ping");
    let hex_key = case.secrets[0].clone();
    for secret in [hex_key.clone(), hex_key.to_uppercase()] {
        let ks = vec![key("k", &secret, &p.scheme)];
        let r = case.check(
            &p.scheme,
            &ks,
            &case.header_map(),
            &case.body(),
            at(case.signed_at),
        );
        assert!(r.is_ok(), "{secret}: {r:?}");
    }
    for secret in [&hex_key[..62], "zz"] {
        assert!(Key::new("k".into(), &Secret::new(secret), &p.scheme).is_err());
    }

    // Standard Webhooks: whpk_ keys only check v1a entries, whsec_ keys only v1 ones; a
    // signing key (whsk_) is refused.
    let p = preset("standard-webhooks");
    let case = fixture_case("standard-webhooks-v1a", "basic");
    let wrong_kind = vec![key("k", wrong_secret(&p.scheme), &p.scheme)];
    assert_eq!(
        case.check(
            &p.scheme,
            &wrong_kind,
            &case.header_map(),
            &case.body(),
            at(case.signed_at)
        ),
        Err(VerifyError::Mismatch)
    );
    let whsk = format!("whsk_{}", &case.secrets[0]["whpk_".len()..]);
    assert_eq!(
        Key::new("k".into(), &Secret::new(whsk.as_str()), &p.scheme).err(),
        Some(KeyError::PrivateKey)
    );
}

/// A shared token matches only itself: not a prefix, not an extension, not another case. (It
/// is compared by digest, so the comparison's time says nothing of its length.)
#[test]
fn a_token_matches_only_itself() {
    let p = preset("gitlab");
    let key = Key::new("t".into(), &Secret::new("glpat-token-1234"), &p.scheme).unwrap();
    let (method, uri) = (post(), hook_uri());
    let check = |sent: &str| {
        let mut h = HeaderMap::new();
        h.insert("x-gitlab-token", HeaderValue::from_str(sent).unwrap());
        let msg = Message::new(&method, &uri, &h, b"{}", None);
        verify(&p.scheme, std::slice::from_ref(&key), &msg, FRESH, at(0)).is_ok()
    };
    assert!(check("glpat-token-1234"));
    for wrong in [
        "glpat-token-123",
        "glpat-token-12345",
        "GLPAT-TOKEN-1234",
        "x",
    ] {
        assert!(!check(wrong), "{wrong}");
    }
}

/// `iso8601_no_zone` (Orb's `X-Orb-Timestamp`): a date-time without a zone is UTC, any zone is
/// refused (it would be another format), and `sign` writes what `verify` reads. Orb's SDK tests
/// carry a delivery signed by Orb: the `orb` preset accepts it at its signing time.
#[test]
fn iso8601_no_zone_timestamps() {
    use TimestampFormat::Iso8601NoZone as F;
    assert_eq!(
        parse_timestamp("2024-03-27T15:42:29.551", F),
        Ok(1_711_554_149_551)
    );
    assert_eq!(
        parse_timestamp("2024-03-27T15:42:29", F),
        Ok(1_711_554_149_000)
    );
    assert_eq!(
        parse_timestamp("2024-03-27T15:42:29.123456789", F),
        Ok(1_711_554_149_123)
    );
    for zoned in [
        "2024-03-27T15:42:29.551Z",
        "2024-03-27T15:42:29+00:00",
        "2024-03-27T15:42:29-01:00",
        "2024-03-27 15:42:29",
        "2024-03-27",
        "1711554149",
        "2024-03-27T15:42:29.",
    ] {
        assert!(parse_timestamp(zoned, F).is_err(), "{zoned}");
    }
    assert_eq!(
        format_timestamp(1_711_554_149_551, F),
        "2024-03-27T15:42:29.551"
    );
    assert_eq!(
        format_timestamp(1_711_554_149_000, F),
        "2024-03-27T15:42:29.000"
    );

    // orb-billing's tests (`tests/api_resources/test_webhooks.py`): Orb's own signature.
    let orb = crate::verify::presets::lookup("orb")
        .expect("orb preset")
        .scheme;
    let body = br#"{"id": "o4mmewpfNNTnjfZc", "created_at": "2024-03-27T15:42:29+00:00", "type": "resource_event.test", "properties": {"message": "A test webhook from Orb. Happy testing!"}}"#;
    let ks = keys(&["c-UGKYdnhHh436B_sMouYAPUvXyWpzOdunZBV5dFSD8"], &orb);
    let map = headers(&[
        ("X-Orb-Timestamp", "2024-03-27T15:42:29.551"),
        (
            "X-Orb-Signature",
            "v1=9d25de966891ab0bc18754faf8d83d0980b44ae330fcc130b41a6cf3daf1f391",
        ),
    ]);
    let v = check(&orb, &ks, &map, body, at_ms(1_711_554_149_551)).expect("Orb's vector");
    assert_eq!(v.signed_at_ms, Some(1_711_554_149_551));
    // The same delivery read as if its time had a zone is another message.
    let map = headers(&[
        ("X-Orb-Timestamp", "2024-03-27T15:42:29.551Z"),
        (
            "X-Orb-Signature",
            "v1=9d25de966891ab0bc18754faf8d83d0980b44ae330fcc130b41a6cf3daf1f391",
        ),
    ]);
    assert!(check(&orb, &ks, &map, body, at_ms(1_711_554_149_551)).is_err());
}

/// `TimestampSource::FirstEntry` (Recurly's `recurly-signature: <unix ms>,<sig>,<sig>`): the
/// first list entry is the signed time and never a signature candidate; every later entry is.
#[test]
fn first_list_entry_is_the_timestamp() {
    let s = presets::lookup("recurly").expect("recurly").scheme;
    let body = br#"{"id":"x1","event_type":"created"}"#;
    let ts = "1764000000500";
    let ks = keys(&["old-key", "new-key"], &s);
    let sig = |k: &[u8]| hex::encode(hmac_sha256(k, &[ts.as_bytes(), b".", body]));
    let now = at_ms(1_764_000_000_500);
    for value in [
        format!("{ts},{}", sig(b"new-key")),
        format!("{ts},{},{}", sig(b"old-key"), sig(b"new-key")),
        format!(" {ts} , {} ", sig(b"old-key")),
    ] {
        let map = headers(&[("recurly-signature", &value)]);
        let v = check(&s, &ks, &map, body, now).unwrap_or_else(|e| panic!("{value}: {e:?}"));
        assert_eq!(v.signed_at_ms, Some(1_764_000_000_500));
        assert!(precheck(
            &s,
            &Message::new(&Method::POST, &Uri::from_static("/"), &map, b"", None)
        )
        .is_ok());
    }
    // Only a timestamp: no signature entry.
    let map = headers(&[("recurly-signature", ts)]);
    assert_eq!(
        check(&s, &ks, &map, body, now),
        Err(VerifyError::MalformedSignature(
            "no signature entry in the expected format"
        ))
    );
    // A signature in first place is read as the (bad) timestamp, never as a signature.
    let map = headers(&[("recurly-signature", &format!("{},{ts}", sig(b"new-key")))]);
    assert!(matches!(
        check(&s, &ks, &map, body, now),
        Err(VerifyError::InvalidTimestamp(_) | VerifyError::MalformedSignature(_))
    ));
    // The timestamp is signed: another one is another message; an old one is stale.
    let map = headers(&[(
        "recurly-signature",
        &format!("1764000000501,{}", sig(b"new-key")),
    )]);
    assert_eq!(check(&s, &ks, &map, body, now), Err(VerifyError::Mismatch));
    let map = headers(&[("recurly-signature", &format!("{ts},{}", sig(b"new-key")))]);
    assert!(matches!(
        check(&s, &ks, &map, body, at_ms(1_764_000_000_500 + 300_001)),
        Err(VerifyError::TooOld { .. })
    ));
    // `sign` writes the timestamp first.
    let key = Key::new("k".into(), &Secret::new("new-key"), &s).expect("key");
    let out = sign(
        &s,
        &key,
        &SignInput {
            body,
            method: &Method::POST,
            uri: &Uri::from_static("/"),
            public_url: None,
            now,
            id: None,
        },
    )
    .expect("sign");
    assert_eq!(
        out,
        vec![(
            HeaderName::from_static("recurly-signature"),
            format!("{ts},{}", sig(b"new-key"))
        )]
    );
}

/// `Scheme::param_groups` (Persona during a secret rotation: `t=..,v1=.. t=..,v1=..`): each
/// group's signature is checked against its own `t`, any group may match, and a group's
/// signature never pairs with another group's timestamp.
#[test]
fn param_groups_each_with_its_own_timestamp() {
    let s = presets::lookup("persona").expect("persona").scheme;
    let body = br#"{"data":{"type":"event","id":"evt_1"}}"#;
    let ks = keys(&["new-secret"], &s);
    let sig = |k: &[u8], t: &str| hex::encode(hmac_sha256(k, &[t.as_bytes(), b".", body]));
    let (t1, t2) = ("1764000000", "1764000001");
    let now = at(1_764_000_001);
    let ok = [
        format!("t={t1},v1={}", sig(b"new-secret", t1)),
        format!(
            "t={t1},v1={} t={t2},v1={}",
            sig(b"old", t1),
            sig(b"new-secret", t2)
        ),
        format!(
            "t={t2},v1={}  t={t1},v1={}",
            sig(b"new-secret", t2),
            sig(b"old", t1)
        ),
    ];
    for value in &ok {
        let map = headers(&[("Persona-Signature", value)]);
        check(&s, &ks, &map, body, now).unwrap_or_else(|e| panic!("{value}: {e:?}"));
        let uri = Uri::from_static("/");
        let m = Message::new(&Method::POST, &uri, &map, b"", None);
        assert!(precheck(&s, &m).is_ok(), "{value}");
    }
    // The new secret's signature over t2, placed in the group of t1: no group verifies.
    let value = format!(
        "t={t1},v1={} t={t2},v1={}",
        sig(b"new-secret", t2),
        sig(b"old", t1)
    );
    let map = headers(&[("Persona-Signature", &value)]);
    assert_eq!(check(&s, &ks, &map, body, now), Err(VerifyError::Mismatch));
    // An authentic but stale group is reported as stale.
    let value = format!(
        "t={t1},v1={} t={t2},v1={}",
        sig(b"old", t1),
        sig(b"new-secret", t2)
    );
    let map = headers(&[("Persona-Signature", &value)]);
    assert!(matches!(
        check(&s, &ks, &map, body, at(1_764_000_001 + 301)),
        Err(VerifyError::TooOld { .. })
    ));
    // Without groups the same header would pair the first `t` with every `v1`.
    let flat = Scheme {
        param_groups: None,
        ..s.clone()
    };
    let value = format!(
        "t={t1},v1={} t={t2},v1={}",
        sig(b"old", t1),
        sig(b"new-secret", t2)
    );
    let map = headers(&[("Persona-Signature", &value)]);
    assert!(check(&flat, &ks, &map, body, now).is_err());
}

#[test]
fn a_key_past_its_not_after_verifies_nothing() {
    let scheme = generic("x-sig");
    let body = b"{\"id\":1}";
    let sig = hex::encode(hmac_sha256(b"old-secret", &[body]));
    let h = headers(&[("x-sig", &sig)]);
    let date = at(1_900_000_000);
    let ks = vec![
        key("new", "new-secret", &scheme),
        key("old", "old-secret", &scheme).with_not_after(date),
    ];
    // Up to and including its date the old key verifies, under its own index.
    assert_eq!(check(&scheme, &ks, &h, body, date).unwrap().key_index, 1);
    // After it, a request signed only with it is refused like a wrong signature.
    let after = date + Duration::from_nanos(1);
    assert_eq!(
        check(&scheme, &ks, &h, body, after).unwrap_err(),
        VerifyError::Mismatch
    );
    // The other keys are untouched.
    let sig = hex::encode(hmac_sha256(b"new-secret", &[body]));
    let h = headers(&[("x-sig", &sig)]);
    assert_eq!(check(&scheme, &ks, &h, body, after).unwrap().key_index, 0);
}
