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

/// A committed fixture file of the repository, as JSON.
fn fixture(path: &str) -> serde_json::Value {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(full).expect("fixture")).expect("JSON")
}

fn b64(v: &serde_json::Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("base64 text"))
        .expect("base64")
}

/// Verification with keys fetched from the sender, once they are in the cache: an SNS message
/// (RSA, SignatureVersion 1 and 2) and a Pub/Sub push token (RS256 through a JWK Set). The
/// fetch itself is I/O, out of the request path once cached.
fn bench_fetched(c: &mut Criterion) {
    let freshness = Freshness {
        max_age: Duration::from_secs(3900),
        max_future_skew: Duration::from_secs(60),
    };
    let method = Method::POST;
    let uri = Uri::from_static("/hooks");
    let mut group = c.benchmark_group("verify_fetched");

    let sns = fixture("tests/fixtures/sns/sns.json");
    let url = sns["signing_cert_url"].as_str().expect("url");
    let cert = Key::sns_certificate(
        url,
        sns["certificate_pem"].as_str().expect("pem").as_bytes(),
    )
    .expect("certificate");
    let mut scheme = presets::lookup("sns").expect("sns").scheme;
    scheme.sns_topics = vec!["arn:aws:sns:us-east-1:123456789012:hookgate-test".into()];
    for name in ["basic_v1", "basic_v2_sha256"] {
        let case = sns["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .find(|c| c["name"] == name)
            .expect("case");
        let body = b64(&case["body_b64"]);
        let now = UNIX_EPOCH + Duration::from_secs(case["signed_at"].as_u64().expect("time"));
        let headers = HeaderMap::new();
        let keys = [cert.clone()];
        let msg = Message::new(&method, &uri, &headers, &body, None);
        verify::verify(&scheme, &keys, &msg, freshness, now).expect("verifies");
        group.bench_function(format!("sns/{name}"), |b| {
            b.iter(|| {
                let msg = Message::new(&method, &uri, &headers, black_box(&body), None);
                black_box(verify::verify(&scheme, &keys, &msg, freshness, now))
            });
        });
    }

    let pubsub = fixture("tests/fixtures/pubsub/pubsub.json");
    let keys = verify::parse_jwks(
        &serde_json::to_vec(&pubsub["jwks"]).expect("jwks"),
        Algorithm::JwtRs256,
    )
    .expect("keys");
    let mut scheme = presets::lookup("google-pubsub").expect("pubsub").scheme;
    if let Some(rule) = scheme.jwt.as_mut() {
        rule.audience = pubsub["audience"].as_str().map(str::to_owned);
    }
    let case = &pubsub["cases"][0];
    let body = b64(&case["body_b64"]);
    let mut headers = HeaderMap::new();
    for (name, value) in case["headers"].as_object().expect("headers") {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value.as_str().expect("value")).expect("value"),
        );
    }
    let now = UNIX_EPOCH + Duration::from_secs(pubsub["now"].as_u64().expect("now"));
    let msg = Message::new(&method, &uri, &headers, &body, None);
    verify::verify(&scheme, &keys, &msg, freshness, now).expect("verifies");
    group.bench_function("google-pubsub", |b| {
        b.iter(|| {
            let msg = Message::new(&method, &uri, &headers, black_box(&body), None);
            black_box(verify::verify(&scheme, &keys, &msg, freshness, now))
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_verify, bench_fetched
}
criterion_main!(benches);
