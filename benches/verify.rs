//! `verify::verify` on a 1 KiB JSON body, per preset and for one generic scheme.
//!
//! Each request is signed once with `verify::sign` at a fixed clock, then verified at that same
//! clock, so the numbers measure header parsing, key derivation reuse and the MAC itself.
//!
//! `cargo bench --bench verify` (add `-- --quick` for a fast smoke run).

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use hookgate::secret::Secret;
use hookgate::verify::{
    self, presets, Algorithm, Encoding, Freshness, HeaderSet, Key, Message, Piece, Scheme,
    SecretEncoding, SignInput, SignatureFormat, TimestampFormat, TimestampRule, TimestampSource,
};

const SIGNED_AT: u64 = 1_764_000_000;

/// A JSON body of exactly 1024 bytes with the fields every preset reads (`id`, `timestamp`).
fn body_1kib() -> Vec<u8> {
    let head = r#"{"id":"evt_1SXpC1LkdIwHu7ixPz8Lk3Mn","event":"order.completed","timestamp":"2025-11-24T16:00:00.000Z","data":{"note":""#;
    let tail = r#""}}"#;
    let fill = 1024 - head.len() - tail.len();
    let mut body = String::with_capacity(1024);
    body.push_str(head);
    body.push_str(&"x".repeat(fill));
    body.push_str(tail);
    assert_eq!(body.len(), 1024);
    body.into_bytes()
}

fn generic_sha512_base64() -> Scheme {
    Scheme {
        algorithm: Algorithm::HmacSha512,
        encoding: Encoding::Base64,
        headers: vec![HeaderSet {
            signature: HeaderName::from_static("x-signature"),
            timestamp: Some(HeaderName::from_static("x-timestamp")),
            id: None,
        }],
        format: SignatureFormat::List {
            prefix: Some("sha512=".into()),
            prefix_required: true,
            separator: Some(" ".into()),
        },
        payload: vec![Piece::Timestamp, Piece::Literal(b".".to_vec()), Piece::Body],
        timestamp: Some(TimestampRule {
            source: TimestampSource::Header,
            format: TimestampFormat::Unix,
        }),
        id: None,
        secret_encoding: SecretEncoding::Raw,
        ..Scheme::default()
    }
}

struct Case {
    name: &'static str,
    scheme: Scheme,
    keys: Vec<Key>,
    headers: HeaderMap,
}

fn case(name: &'static str, scheme: Scheme, secret: &str, body: &[u8], now: SystemTime) -> Case {
    let key = Key::new("k".into(), &Secret::new(secret), &scheme).expect("a valid secret");
    let method = Method::POST;
    let uri = Uri::from_static("/hooks");
    let signed = verify::sign(
        &scheme,
        &key,
        &SignInput {
            body,
            method: &method,
            uri: &uri,
            public_url: None,
            now,
            id: Some("msg_2b9Qx7bench".into()),
        },
    )
    .expect("sign");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("user-agent", HeaderValue::from_static("bench/1.0"));
    for (n, v) in signed {
        headers.append(n, HeaderValue::from_str(&v).expect("header value"));
    }
    Case {
        name,
        scheme,
        keys: vec![key],
        headers,
    }
}

fn bench_verify(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(SIGNED_AT);
    let body = body_1kib();
    let freshness = Freshness {
        max_age: Duration::from_secs(300),
        max_future_skew: Duration::from_secs(60),
    };
    let preset = |name: &str| presets::lookup(name).expect("preset").scheme;
    let cases = [
        case(
            "tolinku",
            preset("tolinku"),
            "whsec_6gfHOzUwcTg5SgpHo85m59j17MJULq0M",
            &body,
            now,
        ),
        case(
            "github",
            preset("github"),
            "gh-ZRoDwpirOTRwJcCT2ESmZhJPvzy16",
            &body,
            now,
        ),
        case(
            "stripe",
            preset("stripe"),
            "whsec_8LNMV3FMpKW6R5z6s4pz0NoVxkEiILbw",
            &body,
            now,
        ),
        case(
            "standard-webhooks",
            preset("standard-webhooks"),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            &body,
            now,
        ),
        case(
            "generic-hmac-sha512-base64",
            generic_sha512_base64(),
            "generic-bench-secret",
            &body,
            now,
        ),
    ];

    let method = Method::POST;
    let uri = Uri::from_static("/hooks");
    let mut group = c.benchmark_group("verify_1kib");
    group.throughput(Throughput::Bytes(body.len() as u64));
    for case in &cases {
        // Fail fast if the signature is not valid: the numbers would measure a rejection.
        let msg = Message::new(&method, &uri, &case.headers, &body, None);
        verify::verify(&case.scheme, &case.keys, &msg, freshness, now)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));

        group.bench_function(case.name, |b| {
            b.iter(|| {
                // A fresh Message per request, as the gate builds one (its JSON cache is
                // per request).
                let msg = Message::new(&method, &uri, &case.headers, black_box(&body), None);
                black_box(verify::verify(
                    &case.scheme,
                    &case.keys,
                    &msg,
                    freshness,
                    black_box(now),
                ))
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_verify
}
criterion_main!(benches);
