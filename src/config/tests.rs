//! Config loading: every key, defaults, precise error locations, secrets kept out of messages.

use super::*;

use std::io::Write as _;
use std::time::UNIX_EPOCH;

use http::{HeaderMap, Uri};

use http::HeaderName;

use super::validate::parse_upstream_url;
use crate::secret::Secret;
use crate::verify::{
    self, presets, Algorithm, Encoding, HeaderSet, IdSource, KeySource, Message, Piece,
    SecretEncoding, SignInput, SignatureFormat, TimestampFormat, TimestampRule, TimestampSource,
};

/// The test environment: `S` and a few other variables.
fn env(name: &str) -> Option<String> {
    match name {
        "S" => Some("x".into()),
        "GH" => Some("gh-secret".into()),
        "STRIPE" => Some("whsec_stripe_secret_value".into()),
        "SW" => Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
        "B64" => Some("c2VjcmV0LWtleS1ieXRlcw==".into()),
        "EMPTY" => Some(String::new()),
        // RFC 8032 test 1 public key.
        "ED" => Some("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".into()),
        // The same Ed25519 public key, base64 (Telnyx).
        "ED64" => Some("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".into()),
        // A P-256 public key, base64 DER SubjectPublicKeyInfo (as SendGrid shows it).
        "P256" => Some("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmc63oY0sXZBhnMglVDC4NDg4B2kFlCeBALKlTaV/zDO6mbMRLoraLGnqADkJl+VToKzi3NN9QL6GKCDw93w2XA==".into()),
        _ => None,
    }
}

fn load_str(text: &str) -> Result<Config, ConfigError> {
    parse(text, "test.yaml", Path::new("."), &env, Secrets::Load)
}

fn load_ok(text: &str) -> Config {
    match load_str(text) {
        Ok(c) => c,
        Err(e) => panic!("expected a valid config, got:\n{e}"),
    }
}

fn problems(text: &str) -> Vec<Problem> {
    match load_str(text) {
        Ok(_) => panic!("expected problems, the config loaded:\n{text}"),
        Err(ConfigError::Invalid { file, problems }) => {
            assert_eq!(file, "test.yaml");
            assert!(!problems.is_empty());
            problems
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn err_text(text: &str) -> String {
    load_str(text).expect_err("expected an error").to_string()
}

/// The warnings but the one about unsigned query strings (most test routes leave `query:`
/// unset), which `unsigned_query_strings_are_flagged_once` checks.
fn other_warnings(c: &Config) -> Vec<&String> {
    c.warnings
        .iter()
        .filter(|w| !w.contains("the query string is forwarded as sent"))
        .collect()
}

/// The problem at `path`, or a panic listing all of them.
fn find<'p>(ps: &'p [Problem], path: &str) -> &'p Problem {
    ps.iter()
        .find(|p| p.path == path)
        .unwrap_or_else(|| panic!("no problem at {path}; got {ps:#?}"))
}

/// A minimal route list around `route` (YAML lines indented for a `routes:` item).
fn with_route(route: &str) -> String {
    format!("upstream:\n  url: http://127.0.0.1:3000\nroutes:\n{route}")
}

const MINIMAL: &str = "\
upstream:
  url: http://127.0.0.1:3000
routes:
  - name: gh
    path: /hooks/github
    provider: github
    secrets:
      - env: S
";

const FULL: &str = r#"# every key hookgate reads
listen: 127.0.0.1:8081
admin_listen: "[::1]:9091"
upstream:
  url: http://app.internal:3000/base/
  timeout: 15s
  pool_idle_timeout: 2s
  max_response_body: 2MiB
limits:
  max_body: 512KiB
  header_timeout: 3s
  body_timeout: 7s
  max_concurrency: 64
dedup:
  backend: memory
  max_entries: 5000
  ttl: 48h
  duplicate_status: 202
log:
  format: json
  level: hookgate=debug,info
shutdown_grace: 15s
diagnostics: { recent_rejections: 7 }
routes:
  - name: stripe
    path: /hooks/stripe
    provider: stripe
    secrets:
      - id: current
        env: STRIPE
      - id: previous
        env: S
    max_age: 10m
    max_future_skew: 30s
    mode: observe
    methods: [POST, put]
    reject_status: 403
    dedup_key:
      json: /data/object/id
      body_sha256: true
    dedup: true
    public_url: https://hooks.example.com
  - name: custom.v1
    path: /hooks/custom
    verify:
      algorithm: hmac-sha512
      header: X-Signature
      encoding: base64
      prefix: "sha512="
      prefix_required: true
      separator: " "
      signed_payload: "{id}.{timestamp}.{body}"
      timestamp:
        header: X-Timestamp
        format: unix_ms
      id:
        header: X-Delivery
      secret_encoding: base64
    secrets:
      - env: B64
  - name: paddle_like
    path: /hooks/paddle
    verify:
      header: Paddle-Signature
      params:
        separator: ";"
        signature: h1
      signed_payload: "{timestamp}:{body}"
      timestamp:
        param: ts
    secrets:
      - file: secret.txt
    dedup_key:
      header: X-Request-Id
  - name: json-fields
    path: /hooks/json
    verify:
      header: x-sig
      encoding: base64url
      signed_payload: "{method} {url} {id} {body}"
      timestamp:
        json: /meta/sent_at
        format: rfc3339
      id:
        json: /meta/id
    public_url: https://hooks.example.com
    secrets:
      - value: inline-secret
    dedup: false
  - name: svix
    path: /hooks/svix
    provider: svix
    secrets:
      - env: SW
"#;

fn full_config() -> (Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "from-file\n").unwrap();
    let c = match parse(FULL, "full.yaml", dir.path(), &env, Secrets::Load) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    (c, dir)
}

#[test]
fn full_config_every_key() {
    let (c, _dir) = full_config();
    assert_eq!(c.startup.listen, "127.0.0.1:8081".parse().unwrap());
    assert_eq!(c.startup.admin_listen, "[::1]:9091".parse().unwrap());

    assert_eq!(c.startup.upstream.url, "http://app.internal:3000/base/");
    assert_eq!(
        c.startup.upstream.target,
        UpstreamTarget::Http {
            authority: "app.internal:3000".parse().unwrap(),
            base_path: "/base".into(),
        }
    );
    assert_eq!(c.startup.upstream.timeout, Duration::from_secs(15));
    assert_eq!(c.startup.upstream.pool_idle_timeout, Duration::from_secs(2));
    assert_eq!(c.startup.upstream.max_response_body, 2 * 1024 * 1024);

    assert_eq!(c.live.limits.max_body, 512 * 1024);
    assert_eq!(c.startup.limits.header_timeout, Duration::from_secs(3));
    assert_eq!(c.live.limits.body_timeout, Duration::from_secs(7));
    assert_eq!(c.startup.limits.max_concurrency, 64);

    assert_eq!(c.startup.dedup.max_entries, 5000);
    assert_eq!(c.startup.dedup.ttl, Duration::from_secs(48 * 3600));
    assert_eq!(c.live.dedup.duplicate_status, StatusCode::ACCEPTED);

    assert_eq!(c.startup.log.format, LogFormat::Json);
    assert_eq!(c.startup.log.level, "hookgate=debug,info");
    assert_eq!(c.startup.shutdown_grace, Duration::from_secs(15));
    assert_eq!(c.live.diagnostics.recent_rejections, 7);
    assert_eq!(c.live.routes.len(), 5);

    // Route 0: a preset with every route-level key.
    let r = &c.live.routes[0];
    assert_eq!(&*r.name, "stripe");
    assert_eq!(r.path, "/hooks/stripe");
    assert_eq!(r.provider, Some("stripe"));
    assert_eq!(r.scheme, presets::lookup("stripe").unwrap().scheme);
    assert_eq!(r.keys.len(), 2);
    assert_eq!(&*r.keys[0].id, "current");
    assert_eq!(&*r.keys[1].id, "previous");
    assert_eq!(
        r.freshness,
        Freshness {
            max_age: Duration::from_secs(600),
            max_future_skew: Duration::from_secs(30),
        }
    );
    assert_eq!(r.mode, Mode::Observe);
    assert_eq!(r.methods, vec![Method::POST, Method::PUT]);
    assert_eq!(r.reject_status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.dedup_key,
        Some(DedupKeySpec {
            sources: vec![
                KeySource::Json("/data/object/id".into()),
                KeySource::BodySha256
            ]
        })
    );
    assert_eq!(r.public_url.as_deref(), Some("https://hooks.example.com"));

    // Route 1: a generic scheme with every verify key.
    let r = &c.live.routes[1];
    assert_eq!(r.provider, None);
    assert_eq!(
        r.scheme,
        Scheme {
            algorithm: Algorithm::HmacSha512,
            encoding: Encoding::Base64,
            headers: vec![HeaderSet {
                signature: HeaderName::from_static("x-signature"),
                timestamp: Some(HeaderName::from_static("x-timestamp")),
                id: Some(HeaderName::from_static("x-delivery")),
            }],
            format: SignatureFormat::List {
                prefix: Some("sha512=".into()),
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
                format: TimestampFormat::UnixMs,
            }),
            id: Some(IdSource::Header),
            secret_encoding: SecretEncoding::Base64,
            ..Scheme::default()
        }
    );
    // Defaults of a route.
    assert_eq!(r.methods, vec![Method::POST]);
    assert_eq!(r.mode, Mode::Enforce);
    assert_eq!(r.reject_status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.freshness,
        Freshness {
            max_age: DEFAULT_MAX_AGE,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
        }
    );
    // The id is signed, so it is the default dedup key.
    assert_eq!(
        r.dedup_key,
        Some(DedupKeySpec {
            sources: vec![KeySource::SchemeId]
        })
    );
    assert_eq!(&*r.keys[0].id, "B64");

    // Route 2: params, a file secret, an unsigned dedup header.
    let r = &c.live.routes[2];
    assert_eq!(
        r.scheme.format,
        SignatureFormat::Params {
            pair_separator: ';',
            signature_key: "h1".into(),
        }
    );
    assert_eq!(
        r.scheme.timestamp,
        Some(TimestampRule {
            source: TimestampSource::SignatureParam("ts".into()),
            format: TimestampFormat::Unix,
        })
    );
    assert_eq!(&*r.keys[0].id, "secret.txt");
    assert_eq!(
        r.dedup_key,
        Some(DedupKeySpec {
            sources: vec![KeySource::Header(HeaderName::from_static("x-request-id"))]
        })
    );

    // Route 3: JSON timestamp and id, base64url, method/url pieces, dedup off.
    let r = &c.live.routes[3];
    assert_eq!(r.scheme.encoding, Encoding::Base64Url);
    assert_eq!(
        r.scheme.timestamp,
        Some(TimestampRule {
            source: TimestampSource::Json("/meta/sent_at".into()),
            format: TimestampFormat::Rfc3339,
        })
    );
    assert_eq!(r.scheme.id, Some(IdSource::Json("/meta/id".into())));
    assert!(r.scheme.needs(&Piece::Method) && r.scheme.needs(&Piece::Url));
    assert_eq!(r.dedup_key, None);
    assert_eq!(&*r.keys[0].id, "secret0");

    // Route 4: svix keeps both header families and signs its id.
    let r = &c.live.routes[4];
    assert_eq!(r.scheme.headers.len(), 2);
    assert_eq!(
        r.scheme.headers[0].signature,
        HeaderName::from_static("svix-signature")
    );

    // Warnings: the inline secret and the unsigned dedup header, each naming its route.
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("json-fields") && w.contains("inline")),
        "{:?}",
        c.warnings
    );
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("paddle_like") && w.contains("x-request-id")),
        "{:?}",
        c.warnings
    );
    for w in &c.warnings {
        assert!(!w.contains("inline-secret"), "{w}");
    }
}

/// Signs with a key from the config and with a key built from `secret`: equal headers mean
/// the config derived the right key.
fn same_key(route: &Route, secret: &str) -> bool {
    let other = Key::new("x".into(), &Secret::new(secret), &route.scheme).unwrap();
    let method = Method::POST;
    let uri = Uri::from_static("/x");
    let body = br#"{"id":"1","timestamp":"2025-11-24T16:00:00Z","meta":{"id":"1","sent_at":"2025-11-24T16:00:00Z"}}"#;
    let input = SignInput {
        body,
        method: &method,
        uri: &uri,
        public_url: Some("https://h.example"),
        now: UNIX_EPOCH + Duration::from_secs(1_764_000_000),
        id: Some("fixed".into()),
    };
    let a = verify::sign(&route.scheme, &route.keys[0], &input).unwrap();
    let b = verify::sign(&route.scheme, &other, &input).unwrap();
    a == b
}

#[test]
fn secrets_reach_the_keys() {
    let (c, _dir) = full_config();
    assert!(same_key(&c.live.routes[0], "whsec_stripe_secret_value"));
    assert!(!same_key(&c.live.routes[0], "x"));
    assert!(same_key(&c.live.routes[1], "c2VjcmV0LWtleS1ieXRlcw=="));
    // The file's trailing newline is not part of the secret.
    assert!(same_key(&c.live.routes[2], "from-file"));
    assert!(!same_key(&c.live.routes[2], "from-file\n"));
    assert!(same_key(&c.live.routes[3], "inline-secret"));
    assert!(same_key(
        &c.live.routes[4],
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ));
}

#[test]
fn secret_file_relative_and_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("gh.secret")).unwrap();
    f.write_all(b"file-secret\r\n").unwrap();
    drop(f);
    let abs = dir.path().join("gh.secret");
    for file in ["gh.secret".to_owned(), abs.display().to_string()] {
        let text = with_route(&format!(
            "  - name: gh\n    path: /gh\n    provider: github\n    secrets:\n      - file: {file}\n"
        ));
        let c = parse(&text, "t.yaml", dir.path(), &env, Secrets::Load).unwrap();
        assert!(same_key(&c.live.routes[0], "file-secret"), "{file}");
        assert!(other_warnings(&c).is_empty(), "{:?}", c.warnings);
    }
    // A missing file: a problem naming the path, with the key's position.
    let text = with_route(
        "  - name: gh\n    path: /gh\n    provider: github\n    secrets:\n      - file: nope.secret\n",
    );
    let e = parse(&text, "t.yaml", dir.path(), &env, Secrets::Load).unwrap_err();
    let ConfigError::Invalid { problems, .. } = &e else {
        panic!("{e}")
    };
    let p = find(problems, "routes[0].secrets[0].file");
    assert_eq!((p.line, p.column), (Some(8), Some(9)));
    assert!(p.message.contains("nope.secret"), "{}", p.message);
}

#[test]
fn defaults_applied() {
    let c = load_ok(MINIMAL);
    assert_eq!(c.startup.listen, DEFAULT_LISTEN.parse().unwrap());
    assert_eq!(
        c.startup.admin_listen,
        DEFAULT_ADMIN_LISTEN.parse().unwrap()
    );
    assert_eq!(c.startup.upstream.timeout, DEFAULT_UPSTREAM_TIMEOUT);
    assert_eq!(
        c.startup.upstream.pool_idle_timeout,
        DEFAULT_POOL_IDLE_TIMEOUT
    );
    assert_eq!(
        c.startup.upstream.max_response_body,
        DEFAULT_MAX_RESPONSE_BODY
    );
    assert_eq!(
        c.startup.upstream.target,
        UpstreamTarget::Http {
            authority: "127.0.0.1:3000".parse().unwrap(),
            base_path: String::new(),
        }
    );
    assert_eq!(c.live.limits.max_body, DEFAULT_MAX_BODY);
    assert_eq!(c.live.limits.max_buffered, DEFAULT_MAX_BUFFERED);
    assert_eq!(c.startup.limits.header_timeout, DEFAULT_HEADER_TIMEOUT);
    assert_eq!(c.live.limits.body_timeout, DEFAULT_BODY_TIMEOUT);
    assert_eq!(c.startup.limits.max_concurrency, DEFAULT_MAX_CONCURRENCY);
    assert_eq!(c.startup.dedup.max_entries, DEFAULT_DEDUP_MAX_ENTRIES);
    assert_eq!(c.startup.dedup.ttl, DEFAULT_DEDUP_TTL);
    assert_eq!(c.live.dedup.duplicate_status, StatusCode::OK);
    assert_eq!(c.startup.log.format, LogFormat::Text);
    assert_eq!(c.startup.log.level, "info");
    assert_eq!(c.startup.shutdown_grace, DEFAULT_SHUTDOWN_GRACE);
    assert!(other_warnings(&c).is_empty(), "{:?}", c.warnings);

    let r = &c.live.routes[0];
    assert_eq!(&*r.name, "gh");
    assert_eq!(r.provider, Some("github"));
    assert_eq!(r.methods, vec![Method::POST]);
    assert_eq!(r.mode, Mode::Enforce);
    assert_eq!(r.reject_status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.freshness.max_age, DEFAULT_MAX_AGE);
    assert_eq!(r.freshness.max_future_skew, DEFAULT_MAX_FUTURE_SKEW);
    assert_eq!(r.public_url, None);
    assert_eq!(&*r.keys[0].id, "S");
    // The preset's dedup key.
    assert_eq!(
        r.dedup_key,
        Some(presets::lookup("github").unwrap().dedup_key)
    );
}

#[test]
fn generic_defaults() {
    let c = load_ok(&with_route(
        "  - name: g\n    path: /g\n    verify:\n      header: X-Sig\n    secrets: [{env: S}]\n",
    ));
    let r = &c.live.routes[0];
    assert_eq!(
        r.scheme,
        Scheme {
            algorithm: Algorithm::HmacSha256,
            encoding: Encoding::Hex,
            headers: vec![HeaderSet {
                signature: HeaderName::from_static("x-sig"),
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
    );
    // Without a signed id, the body hash.
    assert_eq!(
        r.dedup_key,
        Some(DedupKeySpec {
            sources: vec![KeySource::BodySha256]
        })
    );
}

#[test]
fn every_preset_loads() {
    for name in presets::names() {
        let p = presets::lookup(name).unwrap();
        let secret_env = match (p.scheme.secret_encoding, p.scheme.algorithm) {
            (SecretEncoding::Whsec, _) => "SW",
            (SecretEncoding::Base64, Algorithm::EcdsaP256Sha256) => "P256",
            (SecretEncoding::Base64, Algorithm::Ed25519) => "ED64",
            (SecretEncoding::Base64, _) => "B64",
            (SecretEncoding::Hex, _) => "ED",
            (SecretEncoding::Raw, _) => "S",
        };
        let public_url = if p.needs_public_url {
            "    public_url: https://hooks.example.com\n"
        } else {
            ""
        };
        // Keys fetched from the sender take no secrets; SNS routes name their topics, JWK Set
        // routes their audience.
        let keys = if p.scheme.algorithm == Algorithm::SnsCertificate {
            "    sns: { topic_arns: [\"arn:aws:sns:us-east-1:123456789012:t\"] }\n".to_owned()
        } else if p.jwks_url.is_some() {
            "    verify: { jwt: { audience: https://hooks.example.com/r, claims: { email: a@p.iam.gserviceaccount.com } } }\n".to_owned()
        } else {
            format!("    secrets: [{{env: {secret_env}}}]\n")
        };
        let c = load_ok(&with_route(&format!(
            "  - name: r\n    path: /r\n    provider: {name}\n{public_url}{keys}"
        )));
        let mut p = presets::lookup(name).unwrap();
        if p.scheme.algorithm == Algorithm::SnsCertificate {
            p.scheme.sns_topics = vec!["arn:aws:sns:us-east-1:123456789012:t".into()];
        }
        if let (Some(_), Some(rule)) = (p.jwks_url, p.scheme.jwt.as_mut()) {
            rule.audience = Some("https://hooks.example.com/r".into());
            rule.claims.push((
                "email".into(),
                crate::verify::ClaimValue::Text("a@p.iam.gserviceaccount.com".into()),
            ));
        }
        assert_eq!(c.live.routes[0].scheme, p.scheme, "{name}");
        let expected = (!p.dedup_key.sources.is_empty()).then_some(p.dedup_key);
        assert_eq!(c.live.routes[0].dedup_key, expected, "{name}");
        assert_eq!(c.live.routes[0].provider, Some(p.name), "{name}");
    }
}

#[test]
fn preset_overrides() {
    // Overriding a header collapses Standard Webhooks' two header families into one.
    let c = load_ok(&with_route(
        "  - name: r\n    path: /r\n    provider: standard-webhooks\n    verify:\n      header: X-Custom-Signature\n    secrets: [{env: SW}]\n",
    ));
    let s = &c.live.routes[0].scheme;
    assert_eq!(s.headers.len(), 1);
    assert_eq!(
        s.headers[0].signature,
        HeaderName::from_static("x-custom-signature")
    );
    assert_eq!(s.headers[0].id, Some(HeaderName::from_static("webhook-id")));
    // Everything else is the preset's.
    let p = presets::lookup("standard-webhooks").unwrap().scheme;
    assert_eq!(s.payload, p.payload);
    assert_eq!(s.format, p.format);

    // Tolinku with a tighter algorithm override and a required prefix.
    let c = load_ok(&with_route(
        "  - name: r\n    path: /r\n    provider: tolinku\n    verify:\n      prefix: \"sha256=\"\n    secrets: [{env: S}]\n",
    ));
    assert_eq!(
        c.live.routes[0].scheme.format,
        SignatureFormat::List {
            prefix: Some("sha256=".into()),
            prefix_required: true,
            separator: None,
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn unknown_top_level_key() {
    let text = format!("{MINIMAL}lisen: 0.0.0.0:1\n");
    let ps = problems(&text);
    assert_eq!(ps.len(), 1);
    assert!(ps[0].message.contains("unknown field `lisen`"), "{ps:?}");
    assert_eq!(ps[0].line, Some(9), "{ps:?}");
    assert!(ps[0].column.is_some());
    let shown = err_text(&text);
    assert!(shown.starts_with("1 problem in test.yaml:"), "{shown}");
    assert!(shown.contains("test.yaml:9:"), "{shown}");
}

#[test]
fn unknown_key_in_verify() {
    let text = with_route(
        "  - name: g\n    path: /g\n    verify:\n      header: X-Sig\n      algo: hmac-sha1\n    secrets: [{env: S}]\n",
    );
    let ps = problems(&text);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert!(ps[0].message.contains("unknown field `algo`"), "{ps:?}");
    assert!(
        ps[0].message.contains("algorithm"),
        "lists the known keys: {ps:?}"
    );
    assert_eq!((ps[0].line, ps[0].column), (Some(8), Some(7)), "{ps:?}");
    let shown = err_text(&text);
    assert!(
        shown.contains("test.yaml:8:7: routes[0].verify: unknown field `algo`"),
        "{shown}"
    );
}

#[test]
fn unknown_keys_elsewhere() {
    for (text, line) in [
        (
            with_route("  - name: g\n    path: /g\n    provider: github\n    secret: [{env: S}]\n"),
            7,
        ),
        (
            with_route("  - name: g\n    path: /g\n    provider: github\n    secrets: [{env: S, vaule: x}]\n"),
            7,
        ),
        (format!("{MINIMAL}limits:\n  max_bodies: 1\n"), 10),
        (
            "upstream:\n  url: http://a:1\n  timout: 1s\nroutes: []\n".to_owned(),
            3,
        ),
    ] {
        let ps = problems(&text);
        assert!(ps[0].message.contains("unknown field"), "{ps:?}");
        assert_eq!(ps[0].line, Some(line), "{text}\n{ps:?}");
    }
}

#[test]
fn several_problems_reported_at_once() {
    let text = "\
upstream:
  url: http://127.0.0.1:3000
routes:
  - name: a
    path: /a
    provider: github
    max_age: five minutes
    secrets:
      - env: MISSING_VAR
  - name: b
    path: /b
    provider: gitlub
    secrets:
      - env: S
  - name: c
    path: /c
    provider: github
    secrets:
      - env: EMPTY
    mode: yolo
    reject_status: 500
";
    let ps = problems(text);
    let p = find(&ps, "routes[0].max_age");
    assert_eq!(p.line, Some(7));
    assert!(p.message.contains("five minutes"), "{}", p.message);
    let p = find(&ps, "routes[0].secrets[0].env");
    assert_eq!((p.line, p.column), (Some(9), Some(9)));
    assert!(
        p.message.contains("MISSING_VAR") && p.message.contains("not set"),
        "{}",
        p.message
    );
    let p = find(&ps, "routes[1].provider");
    assert_eq!(p.line, Some(12));
    assert!(
        p.message.contains("gitlab") && p.message.contains("github"),
        "{}",
        p.message
    );
    let p = find(&ps, "routes[2].secrets[0].env");
    assert_eq!(p.line, Some(19));
    assert!(p.message.contains("empty"), "{}", p.message);
    let p = find(&ps, "routes[2].mode");
    assert_eq!(p.line, Some(20));
    let p = find(&ps, "routes[2].reject_status");
    assert_eq!(p.line, Some(21));
    assert_eq!(ps.len(), 6, "{ps:#?}");

    let shown = err_text(text);
    assert!(shown.starts_with("6 problems in test.yaml:"), "{shown}");
    assert!(
        shown.contains("test.yaml:7:5: routes[0].max_age: "),
        "{shown}"
    );
    assert!(
        shown.contains("test.yaml:12:5: routes[1].provider: "),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), 7, "{shown}");
}

#[test]
fn top_level_problems() {
    let text = "\
listen: nope
admin_listen: 0.0.0.0:8080
upstream:
  url: http://127.0.0.1:3000
  timeout: 0s
  max_response_body: lots
limits:
  max_body: 0
  header_timeout: soon
  max_concurrency: 0
dedup:
  backend: memcached
  max_entries: 0
  ttl: forever
  duplicate_status: 409
log:
  format: xml
shutdown_grace: 1 fortnight
routes: []
";
    let ps = problems(text);
    for (path, line) in [
        ("listen", 1),
        ("upstream.timeout", 5),
        ("upstream.max_response_body", 6),
        ("limits.max_body", 8),
        ("limits.header_timeout", 9),
        ("limits.max_concurrency", 10),
        ("dedup.backend", 12),
        ("dedup.max_entries", 13),
        ("dedup.ttl", 14),
        ("dedup.duplicate_status", 15),
        ("log.format", 17),
        ("shutdown_grace", 18),
        ("routes", 19),
    ] {
        assert_eq!(find(&ps, path).line, Some(line), "{path}: {ps:#?}");
    }
    // Same listen and admin_listen.
    let text = format!("listen: 0.0.0.0:8080\nadmin_listen: 0.0.0.0:8080\n{MINIMAL}");
    let ps = problems(&text);
    assert_eq!(find(&ps, "admin_listen").line, Some(2));
}

#[test]
fn route_field_problems() {
    let text = with_route(
        "  - name: \"has space\"
    path: no-slash
    provider: github
    methods: [POST, \"GE T\"]
    secrets: []
  - name: ok
    path: /ok?x=1
    provider: github
    methods: []
    secrets:
      - env: S
        file: /x
  - name: neither
    path: /n
    secrets: [{env: S}]
  - name: g
    path: /g
    verify:
      encoding: hex
    secrets: [{env: S}]
",
    );
    let ps = problems(&text);
    for path in [
        "routes[0].name",
        "routes[0].path",
        "routes[0].methods[1]",
        "routes[0].secrets",
        "routes[1].path",
        "routes[1].methods",
        "routes[1].secrets[0]",
        "routes[2]",
        "routes[3].verify.header",
    ] {
        let p = find(&ps, path);
        assert!(p.line.is_some(), "{path}: {p:?}");
    }
}

#[test]
fn verify_block_problems() {
    let text = with_route(
        "  - name: g
    path: /g
    verify:
      header: \"bad header\"
      algorithm: md5
      encoding: base32
      secret_encoding: rot13
      signed_payload: \"{timestamp}.{bdy}\"
    secrets: [{env: S}]
  - name: h
    path: /h
    verify:
      header: x-sig
      signed_payload: \"{id}.{timestamp}.{body}\"
      params: {separator: \"::\", signature: v1}
      prefix: \"v1=\"
    secrets: [{env: S}]
  - name: i
    path: /i
    verify:
      header: x-sig
      timestamp: {header: x-ts, json: /ts}
      id: {json: ts}
    secrets: [{env: S}]
  - name: j
    path: /j
    verify:
      header: x-sig
      timestamp: {param: t}
      signed_payload: \"{method}{url}{body}\"
    secrets: [{env: S}]
",
    );
    let ps = problems(&text);
    find(&ps, "routes[0].verify.header");
    for path in [
        "routes[1].verify",
        "routes[1].verify.params.separator",
        "routes[2].verify.timestamp",
        "routes[2].verify.id.json",
        "routes[3].verify.timestamp.param",
        "routes[3].public_url",
    ] {
        let p = find(&ps, path);
        assert!(p.line.is_some(), "{path}: {p:?}");
    }
    // Route 0 stops at its header; the rest of its block is still checked when the header is
    // valid.
    let text = with_route(
        "  - name: g
    path: /g
    verify:
      header: x-sig
      algorithm: md5
      encoding: base32
      secret_encoding: rot13
      signed_payload: \"{timestamp}.{bdy}\"
      timestamp: {header: x-ts, format: unix_s}
    secrets: [{env: S}]
",
    );
    let ps = problems(&text);
    for path in [
        "routes[0].verify.algorithm",
        "routes[0].verify.encoding",
        "routes[0].verify.secret_encoding",
        "routes[0].verify.signed_payload",
        "routes[0].verify.timestamp.format",
    ] {
        let p = find(&ps, path);
        assert!(p.line.is_some(), "{path}: {p:?}");
    }
    assert!(find(&ps, "routes[0].verify.signed_payload")
        .message
        .contains("bdy"));
}

#[test]
fn signed_payload_needs_its_sources() {
    let ps = problems(&with_route(
        "  - name: g\n    path: /g\n    verify:\n      header: x-sig\n      signed_payload: \"{id}.{timestamp}.{body}\"\n    secrets: [{env: S}]\n",
    ));
    let msgs: Vec<&str> = ps
        .iter()
        .filter(|p| p.path == "routes[0].verify")
        .map(|p| p.message.as_str())
        .collect();
    assert!(msgs.iter().any(|m| m.contains("timestamp")), "{ps:?}");
    assert!(msgs.iter().any(|m| m.contains("{id}")), "{ps:?}");
    // A payload without {body} would not authenticate the body.
    let ps = problems(&with_route(
        "  - name: g\n    path: /g\n    verify:\n      header: x-sig\n      signed_payload: \"{timestamp}\"\n      timestamp: {header: x-ts}\n    secrets: [{env: S}]\n",
    ));
    assert!(find(&ps, "routes[0].verify.signed_payload")
        .message
        .contains("{body}"));
}

#[test]
fn duplicate_route_names_and_paths() {
    let ps = problems(&with_route(
        "  - name: a
    path: /same
    provider: github
    secrets: [{env: S}]
  - name: a
    path: /same
    provider: github
    secrets: [{env: S}]
  - name: b
    path: /other
    provider: github
    secrets: [{env: S}, {env: S}]
",
    ));
    let p = find(&ps, "routes[1].name");
    assert_eq!(p.line, Some(8));
    assert!(p.message.contains("used twice"), "{}", p.message);
    let p = find(&ps, "routes[1].path");
    assert_eq!(p.line, Some(9));
    // Two secrets with the same id in one route.
    find(&ps, "routes[2].secrets[1].id");
    assert_eq!(ps.len(), 3, "{ps:#?}");
}

#[test]
fn upstream_url_forms() {
    for (url, target) in [
        (
            "http://127.0.0.1:3000",
            UpstreamTarget::Http {
                authority: "127.0.0.1:3000".parse().unwrap(),
                base_path: String::new(),
            },
        ),
        (
            "http://app:8080/",
            UpstreamTarget::Http {
                authority: "app:8080".parse().unwrap(),
                base_path: String::new(),
            },
        ),
        (
            "http://app/api/v1/",
            UpstreamTarget::Http {
                authority: "app".parse().unwrap(),
                base_path: "/api/v1".into(),
            },
        ),
        (
            "http://[::1]:3000/x",
            UpstreamTarget::Http {
                authority: "[::1]:3000".parse().unwrap(),
                base_path: "/x".into(),
            },
        ),
        (
            "unix:/run/app.sock",
            UpstreamTarget::Unix {
                path: "/run/app.sock".into(),
            },
        ),
        (
            "unix:///run/app.sock",
            UpstreamTarget::Unix {
                path: "/run/app.sock".into(),
            },
        ),
    ] {
        assert_eq!(parse_upstream_url(url), Ok(target.clone()), "{url}");
        let c = load_ok(&MINIMAL.replace("http://127.0.0.1:3000", &format!("\"{url}\"")));
        assert_eq!(c.startup.upstream.target, target, "{url}");
        assert_eq!(c.startup.upstream.url, url);
    }
    for (url, needle) in [
        ("https://app:443", "https"),
        ("unix:run/app.sock", "absolute"),
        ("unix:", "absolute"),
        ("http://app:3000/x?y=1", "query"),
        ("ftp://app", "http://"),
        ("app:3000", "http://"),
        ("/just/a/path", "http://"),
        ("http://", ""),
        ("not a url", "not a URL"),
    ] {
        let e = parse_upstream_url(url).expect_err(url);
        assert!(e.contains(needle), "{url}: {e}");
        let ps = problems(&MINIMAL.replace("http://127.0.0.1:3000", &format!("\"{url}\"")));
        let p = find(&ps, "upstream.url");
        assert_eq!(p.line, Some(2), "{url}");
    }
}

#[test]
fn parse_size_cases() {
    for (s, n) in [
        ("0", Some(0)),
        ("1048576", Some(1_048_576)),
        ("512KiB", Some(512 * 1024)),
        ("512kib", Some(512 * 1024)),
        ("1MiB", Some(1024 * 1024)),
        ("2MB", Some(2_000_000)),
        ("2mb", Some(2_000_000)),
        ("2M", Some(2_000_000)),
        ("1GiB", Some(1 << 30)),
        ("3GB", Some(3_000_000_000)),
        ("10k", Some(10_000)),
        ("10 KiB", Some(10 * 1024)),
        ("  7B  ", Some(7)),
        ("7b", Some(7)),
        ("", None),
        ("KiB", None),
        ("1.5MiB", None),
        ("-1", None),
        ("+1", None),
        ("1TB", None),
        ("1 MiB extra", None),
        ("1_000", None),
        ("0x10", None),
        ("99999999999999999999999", None),
        ("18446744073709551615GiB", None),
        ("18446744073709551615", Some(usize::MAX)),
    ] {
        assert_eq!(parse_size(s), n, "{s:?}");
    }
}

#[test]
fn durations() {
    let text = format!("{MINIMAL}    max_age: 90s\n    max_future_skew: 1m 30s\n");
    let c = load_ok(&text);
    assert_eq!(c.live.routes[0].freshness.max_age, Duration::from_secs(90));
    assert_eq!(
        c.live.routes[0].freshness.max_future_skew,
        Duration::from_secs(90)
    );
    for bad in ["90", "-1s", "1 fortnight", "", "1.5.1s"] {
        let ps = problems(&format!("{MINIMAL}    max_age: \"{bad}\"\n"));
        let p = find(&ps, "routes[0].max_age");
        assert_eq!(p.line, Some(9), "{bad}");
    }
}

#[test]
fn dedup_key_header_on_github_warns() {
    let c = load_ok(&format!(
        "{MINIMAL}    dedup_key: {{header: X-GitHub-Delivery}}\n"
    ));
    assert_eq!(
        c.live.routes[0].dedup_key,
        Some(DedupKeySpec {
            sources: vec![KeySource::Header(HeaderName::from_static(
                "x-github-delivery"
            ))]
        })
    );
    assert_eq!(other_warnings(&c).len(), 1, "{:?}", c.warnings);
    let w = other_warnings(&c)[0];
    assert!(
        w.contains("gh") && w.contains("x-github-delivery") && w.contains("not covered"),
        "{w}"
    );

    // A header the signature covers (Standard Webhooks' id) does not warn: it becomes the
    // scheme id.
    let c = load_ok(&with_route(
        "  - name: sw\n    path: /sw\n    provider: standard-webhooks\n    secrets: [{env: SW}]\n    dedup_key: {header: Webhook-Id}\n",
    ));
    assert!(other_warnings(&c).is_empty(), "{:?}", c.warnings);
    assert_eq!(
        c.live.routes[0].dedup_key,
        Some(DedupKeySpec {
            sources: vec![KeySource::SchemeId]
        })
    );

    // An empty dedup_key is a problem; `dedup: false` turns dedup off.
    let ps = problems(&format!("{MINIMAL}    dedup_key: {{}}\n"));
    assert_eq!(find(&ps, "routes[0].dedup_key").line, Some(9));
    let ps = problems(&format!("{MINIMAL}    dedup_key: {{json: id}}\n"));
    find(&ps, "routes[0].dedup_key.json");
    let c = load_ok(&format!("{MINIMAL}    dedup: false\n"));
    assert_eq!(c.live.routes[0].dedup_key, None);
}

#[test]
fn short_dedup_ttl_warns() {
    let text = format!(
        "dedup:\n  ttl: 1m\n{}",
        with_route("  - name: s\n    path: /s\n    provider: stripe\n    secrets: [{env: S}]\n")
    );
    let c = load_ok(&text);
    assert!(
        c.warnings.iter().any(|w| w.contains("dedup.ttl")),
        "{:?}",
        c.warnings
    );
    // No timestamp (GitHub): no max_age to compare with (its redeliveries are another
    // warning, a_ttl_shorter_than_the_senders_redeliveries_warns_without_a_signed_timestamp).
    let c = load_ok(&format!("dedup:\n  ttl: 1m\n{MINIMAL}"));
    assert!(
        !c.warnings
            .iter()
            .any(|w| w.contains("shorter than max_age")),
        "{:?}",
        c.warnings
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets stay out of messages.

#[test]
fn inline_value_warns() {
    let c = load_ok(&with_route(
        "  - name: r\n    path: /r\n    provider: github\n    secrets:\n      - id: inline\n        value: hunter2-inline\n",
    ));
    let w = other_warnings(&c);
    assert_eq!(w.len(), 1, "{:?}", c.warnings);
    assert!(w[0].contains("inline"), "{:?}", c.warnings);
    assert!(
        !c.warnings.iter().any(|w| w.contains("hunter2")),
        "{:?}",
        c.warnings
    );
    assert!(same_key(&c.live.routes[0], "hunter2-inline"));
    // Debug of the whole config never shows it either.
    let shown = format!("{c:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn whsec_not_base64_is_an_error_without_the_secret() {
    for (provider, value) in [
        ("standard-webhooks", "whsec_hunter2!!not*base64"),
        ("svix", "whsec_hunter2 with spaces"),
        ("svix", "hunter2~~"),
    ] {
        for source in ["value", "env"] {
            let env_with = |n: &str| (n == "WH").then(|| value.to_string());
            let line = if source == "value" {
                format!("value: \"{value}\"")
            } else {
                "env: WH".to_owned()
            };
            let text = with_route(&format!(
                "  - name: r\n    path: /r\n    provider: {provider}\n    secrets:\n      - {line}\n"
            ));
            let e = parse(&text, "t.yaml", Path::new("."), &env_with, Secrets::Load).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            let ConfigError::Invalid { problems, .. } = &e else {
                panic!("{e}")
            };
            let p = find(problems, "routes[0].secrets[0]");
            assert!(p.message.contains("base64"), "{}", p.message);
            assert_eq!(p.line, Some(8));
        }
    }
    // The same secrets are fine where they are raw (Stripe uses whsec_ strings verbatim).
    let c = load_ok(&with_route(
        "  - name: r\n    path: /r\n    provider: stripe\n    secrets:\n      - value: \"whsec_hunter2!!not*base64\"\n",
    ));
    assert!(same_key(&c.live.routes[0], "whsec_hunter2!!not*base64"));
}

#[test]
fn errors_never_show_inline_secrets() {
    // Broken configs that hold an inline secret somewhere: whatever is wrong, the secret is
    // not in the message.
    let texts = [
        // A validation problem next to it.
        with_route("  - name: r\n    path: /r\n    provider: nope\n    secrets: [{value: hunter2-a}]\n"),
        with_route("  - name: r\n    path: nope\n    provider: github\n    secrets: [{value: hunter2-b}]\n"),
        // env and value both set.
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{env: S, value: hunter2-c}]\n"),
        // A wrong type beside the secret.
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{value: hunter2-d, id: [1]}]\n"),
        // The secret with a wrong type.
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{value: [hunter2-e]}]\n"),
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{value: {hunter2-f: 1}}]\n"),
        // An unknown key after it.
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{value: hunter2-g, bogus: 1}]\n"),
        // A YAML syntax error after it.
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{value: hunter2-h}]\n  - [\n"),
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{value: \"hunter2-i\n"),
        // Empty.
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [{value: \"\"}]\n"),
    ];
    for text in &texts {
        let e = load_str(text).expect_err(text);
        let shown = format!("{e}\n{e:?}");
        assert!(!shown.contains("hunter2"), "{text}\n---\n{shown}");
    }
}

/// A secret written as a bare string instead of `{env: ...}` / `{value: ...}` is an easy
/// mistake (`secrets: ["whsec_..."]`). serde_yaml's "invalid type: string \"...\"" message
/// quotes the scalar, and `yaml::parse` passes it through, so the secret lands in the error.
#[test]
fn bare_string_secret_is_not_quoted() {
    for text in [
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets: [hunter2-bare]\n"),
        with_route("  - name: r\n    path: /r\n    provider: github\n    secrets:\n      - \"hunter2-bare\"\n"),
    ] {
        let e = load_str(&text).unwrap_err();
        let shown = format!("{e}\n{e:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn skip_mode_reads_no_secrets() {
    let text = with_route(
        "  - name: a
    path: /a
    provider: svix
    secrets: [{env: NOT_SET}]
  - name: b
    path: /b
    provider: github
    secrets: [{file: /definitely/not/here}]
",
    );
    assert!(load_str(&text).is_err());
    let c = parse(&text, "t.yaml", Path::new("."), &env, Secrets::Skip).unwrap();
    assert_eq!(c.live.routes.len(), 2);
    assert_eq!(&*c.live.routes[0].keys[0].id, "NOT_SET");
}

#[test]
fn yaml_syntax_error_has_a_location() {
    let ps = problems("upstream:\n  url: [\nroutes: []\n");
    assert_eq!(ps.len(), 1);
    assert!(ps[0].line.is_some(), "{ps:?}");
    assert_eq!(ps[0].path, "");
    // Missing required keys.
    let ps = problems("routes: []\n");
    assert!(ps[0].message.contains("upstream"), "{ps:?}");
    let ps = problems("");
    assert_eq!(ps.len(), 1);
}

#[test]
fn route_for() {
    let (c, _dir) = full_config();
    assert_eq!(&*c.live.route_for("/hooks/stripe").unwrap().name, "stripe");
    assert_eq!(
        &*c.live.route_for("/hooks/custom").unwrap().name,
        "custom.v1"
    );
    assert_eq!(&*c.live.route_for("/hooks/svix").unwrap().name, "svix");
    for miss in [
        "/hooks/stripe/",
        "/hooks/Stripe",
        "/hooks",
        "/",
        "",
        "/hooks/stripe?x=1",
        "hooks/stripe",
    ] {
        assert!(c.live.route_for(miss).is_none(), "{miss}");
    }
    // Every route is found by its own path.
    for r in &c.live.routes {
        assert!(std::sync::Arc::ptr_eq(
            c.live.route_for(&r.path).unwrap(),
            r
        ));
    }
}

/// A loaded route verifies what `sign` makes with the same secret, end to end through config.
#[test]
fn loaded_routes_verify_signed_requests() {
    let (c, _dir) = full_config();
    let body = br#"{"id":"evt_1","meta":{"id":"d1","sent_at":"2025-11-24T16:00:00Z"}}"#;
    let now = UNIX_EPOCH + Duration::from_secs(1_764_000_000);
    for r in &c.live.routes {
        let method = Method::POST;
        let uri = Uri::from_static("/hooks/x");
        let input = SignInput {
            body,
            method: &method,
            uri: &uri,
            public_url: r.public_url.as_deref(),
            now,
            id: None,
        };
        let out = verify::sign(&r.scheme, &r.keys[0], &input).unwrap();
        let mut map = HeaderMap::new();
        map.insert("x-request-id", http::HeaderValue::from_static("req-1"));
        for (n, v) in out {
            map.append(n, v.parse().unwrap());
        }
        let msg = Message::new(&method, &uri, &map, body, r.public_url.as_deref());
        let v = verify::verify(&r.scheme, &r.keys, &msg, r.freshness, now)
            .unwrap_or_else(|e| panic!("{}: {e}", r.name));
        assert_eq!(v.key_index, 0);
        if let Some(k) = &r.dedup_key {
            assert!(k.extract(&msg, &v).is_some(), "{}", r.name);
        }
    }
}

/// A timestamp read from a header or a signature parameter that `signed_payload` does not
/// include is not authenticated: a replayed delivery with a fresh timestamp passes the
/// freshness check, so `max_age` protects nothing. Loading such a route should at least warn
/// (a JSON body timestamp is fine: the body is signed).
#[test]
fn unsigned_timestamp_is_flagged() {
    for route in [
        "  - name: g\n    path: /g\n    verify:\n      header: x-sig\n      timestamp: {header: x-ts}\n    secrets: [{env: S}]\n",
        "  - name: g\n    path: /g\n    provider: github\n    verify:\n      timestamp: {header: x-ts}\n    secrets: [{env: S}]\n",
        "  - name: g\n    path: /g\n    provider: stripe\n    verify:\n      signed_payload: \"{body}\"\n    secrets: [{env: S}]\n",
    ] {
        // An error is as good as a warning here.
        if let Ok(c) = load_str(&with_route(route)) {
            assert!(
                c.warnings.iter().any(|w| w.contains("timestamp")),
                "{route}: {:?}",
                c.warnings
            );
        }
    }
    // A body timestamp is covered by the signature: no warning.
    let c = load_ok(&with_route(
        "  - name: g\n    path: /g\n    verify:\n      header: x-sig\n      timestamp: {json: /ts, format: rfc3339}\n    secrets: [{env: S}]\n",
    ));
    assert!(other_warnings(&c).is_empty(), "{:?}", c.warnings);
}

#[test]
fn redis_backend_config() {
    let text = "upstream: { url: http://127.0.0.1:3000 }\ndedup:\n  backend: redis\n  redis: { url: redis://r:6379/1, password: { env: S }, timeout: 250ms, on_unavailable: forward, key_prefix: \"x:\" }\nroutes:\n  - { name: g, path: /g, provider: github, secrets: [ { env: S } ] }\n";
    let c = load_ok(text);
    let r = c.startup.dedup.redis.as_ref().expect("redis config");
    assert_eq!(r.url, "redis://r:6379/1");
    assert_eq!(
        r.password.as_ref().map(|p| p.expose().to_vec()),
        Some(b"x".to_vec())
    );
    assert_eq!(r.timeout, std::time::Duration::from_millis(250));
    assert_eq!(c.live.dedup.on_unavailable, OnUnavailable::Forward);
    assert_eq!(r.key_prefix, "x:");
    assert!(
        !format!("{r:?}").contains("\"x\""),
        "password shows in Debug: {r:?}"
    );

    // Credentials in the URL are refused (and not echoed); a missing url or block is explained.
    let e = load_str(&text.replace("redis://r:6379/1", "redis://:hunter2@r:6379"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("dedup.redis.url") && !e.contains("hunter2"),
        "{e}"
    );
    let e = load_str(&text.replace("backend: redis\n  redis: { url: redis://r:6379/1, password: { env: S }, timeout: 250ms, on_unavailable: forward, key_prefix: \"x:\" }", "backend: redis")).unwrap_err().to_string();
    assert!(e.contains("dedup.redis"), "{e}");
    let e = load_str(&text.replace("on_unavailable: forward", "on_unavailable: maybe"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("dedup.redis.on_unavailable"), "{e}");
}

#[test]
fn secret_files_are_listed_for_reload_even_when_invalid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.key"), "a\n").unwrap();
    let path = dir.path().join("c.yaml");
    let yaml = "upstream: { url: http://127.0.0.1:1 }\nroutes:\n  - name: r\n    path: /r\n    provider: github\n    secrets: [ { id: a, file: a.key }, { id: b, file: sub/b.key } ]\n";
    std::fs::write(&path, yaml).unwrap();
    let loaded = load_tracked(&path, &env, Secrets::Load);
    assert!(loaded.result.is_err(), "sub/b.key does not exist");
    let expected = vec![dir.path().join("a.key"), dir.path().join("sub/b.key")];
    assert_eq!(loaded.secret_files, expected);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.key"), "b").unwrap();
    let config = load(&path, &env, Secrets::Load).unwrap();
    assert_eq!(config.secret_files, expected);
}

#[test]
fn recent_rejections_default_and_bound() {
    assert_eq!(load_ok(MINIMAL).live.diagnostics.recent_rejections, 100);
    let c = load_ok(&format!(
        "{MINIMAL}diagnostics: {{ recent_rejections: 0 }}\n"
    ));
    assert_eq!(c.live.diagnostics.recent_rejections, 0);
    let ps = problems(&format!(
        "{MINIMAL}diagnostics: {{ recent_rejections: 20000 }}\n"
    ));
    assert!(find(&ps, "diagnostics.recent_rejections")
        .message
        .contains("at most 10000"));
}

#[test]
fn max_buffered_defaults_to_room_for_four_bodies_and_holds_at_least_one() {
    let limits = |l: &str| {
        load_ok(&format!("{MINIMAL}limits: {{ {l} }}\n"))
            .live
            .limits
    };
    assert_eq!(limits("max_body: 1MiB").max_buffered, DEFAULT_MAX_BUFFERED);
    assert_eq!(limits("max_body: 32MiB").max_buffered, 128 * 1024 * 1024);
    assert_eq!(limits("max_buffered: 2MiB").max_buffered, 2 * 1024 * 1024);
    assert_eq!(
        limits("max_body: 2MiB, max_buffered: 2MiB").max_buffered,
        2 * 1024 * 1024
    );

    let ps = problems(&format!(
        "{MINIMAL}limits: {{ max_body: 2MiB, max_buffered: 1MiB }}\n"
    ));
    let p = find(&ps, "limits.max_buffered");
    assert!(
        p.message
            .contains("at least limits.max_body (2097152 bytes)"),
        "{p:?}"
    );
    let ps = problems(&format!("{MINIMAL}limits: {{ max_body: 2GiB }}\n"));
    assert!(find(&ps, "limits.max_body").message.contains("at most"));
    let ps = problems(&format!("{MINIMAL}limits: {{ max_buffered: lots }}\n"));
    assert!(find(&ps, "limits.max_buffered")
        .message
        .contains("not a size"));
    assert_eq!(ps.len(), 1, "{ps:?}");
}

#[test]
fn a_route_may_set_its_own_max_body() {
    let two = |route_limit: &str, limits: &str| {
        format!(
            "upstream: {{ url: http://127.0.0.1:3000 }}\nlimits: {{ {limits} }}\nroutes:\n  - {{ name: small, path: /s, provider: github, secrets: [ {{ env: S }} ] }}\n  - {{ name: big, path: /b, provider: github, secrets: [ {{ env: S }} ], max_body: {route_limit} }}\n"
        )
    };
    let c = load_ok(&two("25MiB", "max_body: 1MiB"));
    let by_name = |n: &str| {
        c.live
            .routes
            .iter()
            .find(|r| &*r.name == n)
            .unwrap()
            .max_body
    };
    assert_eq!(by_name("small"), 1024 * 1024, "limits.max_body by default");
    assert_eq!(by_name("big"), 25 * 1024 * 1024);
    assert_eq!(
        c.live.limits.max_buffered,
        100 * 1024 * 1024,
        "the default budget holds 4 bodies of the largest limit"
    );

    let ps = problems(&two("25MiB", "max_body: 1MiB, max_buffered: 8MiB"));
    let p = find(&ps, "routes[1].max_body");
    assert!(
        p.message.contains("larger than limits.max_buffered"),
        "{p:?}"
    );
    assert!(p.line.is_some(), "points at the route's key: {p:?}");
    for bad in ["0", "2GiB", "big"] {
        let ps = problems(&two(bad, "max_body: 1MiB"));
        assert_eq!(ps.len(), 1, "{bad}: {ps:?}");
        assert_eq!(ps[0].path, "routes[1].max_body", "{bad}");
    }
}

#[test]
fn max_concurrency_is_bounded() {
    let text = "upstream: { url: http://127.0.0.1:3000 }\nlimits: { max_concurrency: 18446744073709551615 }\nroutes:\n  - { name: g, path: /g, provider: github, secrets: [ { env: S } ] }\n";
    let e = load_str(text).unwrap_err().to_string();
    assert!(
        e.contains("limits.max_concurrency") && e.contains("at most"),
        "{e}"
    );
}

#[test]
fn workers_default_to_the_usable_cpus_up_to_a_cap_and_are_bounded() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        load_ok(MINIMAL).startup.workers,
        cpus.min(DEFAULT_WORKERS_CAP)
    );
    assert_eq!(
        load_ok(&format!("{MINIMAL}workers: 3\n")).startup.workers,
        3
    );
    for bad in ["0", "257"] {
        let ps = problems(&format!("{MINIMAL}workers: {bad}\n"));
        assert!(find(&ps, "workers").message.contains("between 1 and 256"));
    }
}

#[test]
fn unsigned_query_strings_are_flagged_once() {
    let flagged = |c: &Config| -> Vec<String> {
        c.warnings
            .iter()
            .filter(|w| w.contains("the query string is forwarded as sent"))
            .cloned()
            .collect()
    };
    // Two routes whose schemes do not sign the URL, with `query:` unset: one line names both.
    let two = "  - name: a\n    path: /a\n    provider: github\n    secrets: [{env: S}]\n  - name: b\n    path: /b\n    provider: stripe\n    secrets: [{env: STRIPE}]\n";
    let c = load_ok(&with_route(two));
    let w = flagged(&c);
    assert_eq!(w.len(), 1, "{:?}", c.warnings);
    assert!(w[0].starts_with("routes a, b:"), "{w:?}");
    assert_eq!(c.live.routes[1].query, QueryPolicy::Forward);
    // Either choice written down silences it.
    for choice in ["drop", "forward"] {
        let text = format!("upstream: {{ url: http://127.0.0.1:3000 }}\nroutes:\n  - {{ name: a, path: /a, provider: github, query: {choice}, secrets: [ {{ env: S }} ] }}\n");
        let c = load_ok(&text);
        assert!(flagged(&c).is_empty(), "{choice}: {:?}", c.warnings);
    }
    let c = load_ok("upstream: { url: http://127.0.0.1:3000 }\nroutes:\n  - { name: a, path: /a, provider: github, query: drop, secrets: [ { env: S } ] }\n");
    assert_eq!(c.live.routes[0].query, QueryPolicy::Drop);
    // A scheme that signs the URL (query included): nothing to say.
    let c = load_ok("upstream: { url: http://127.0.0.1:3000 }\nroutes:\n  - { name: t, path: /t, provider: twilio, public_url: https://h.example.com, secrets: [ { env: S } ] }\n");
    assert!(flagged(&c).is_empty(), "{:?}", c.warnings);
    // An unknown choice is a problem at its key.
    let ps = problems("upstream: { url: http://127.0.0.1:3000 }\nroutes:\n  - { name: a, path: /a, provider: github, query: keep, secrets: [ { env: S } ] }\n");
    assert!(find(&ps, "routes[0].query")
        .message
        .contains("forward or drop"));
}

#[test]
fn connection_and_per_source_bounds_default_to_shares_and_are_checked() {
    let c = load_ok(MINIMAL);
    let (s, l) = (&c.startup.limits, &c.live.limits);
    assert_eq!(s.max_connections, DEFAULT_MAX_CONNECTIONS);
    assert_eq!(s.max_header_bytes, DEFAULT_MAX_HEADER_BYTES);
    assert_eq!(s.per_source.max_connections, DEFAULT_MAX_CONNECTIONS / 4);
    assert_eq!(s.per_source.max_header_bytes, DEFAULT_MAX_HEADER_BYTES / 4);
    assert_eq!(l.per_source.max_concurrency, DEFAULT_MAX_CONCURRENCY / 4);
    assert_eq!(l.per_source.max_buffered, DEFAULT_MAX_BUFFERED / 4);
    assert_eq!(l.min_body_rate, DEFAULT_MIN_BODY_RATE);
    assert_eq!(l.body_rate_grace, DEFAULT_BODY_RATE_GRACE);
    // A source can always send the largest body a route accepts.
    let big = with_route(
        "  - { name: g, path: /g, provider: github, max_body: 25MiB, secrets: [ { env: S } ] }\n",
    );
    assert_eq!(
        load_ok(&big).live.limits.per_source.max_buffered,
        25 * 1024 * 1024
    );
    let text = format!(
        "{MINIMAL}limits: {{ max_connections: 100, min_body_rate: 0, body_rate_grace: 1s, per_source: {{ max_connections: 10, max_concurrency: 3, max_buffered: 2MiB, max_header_bytes: 128KiB }} }}\n"
    );
    let c = load_ok(&text);
    assert_eq!(c.startup.limits.max_connections, 100);
    assert_eq!(c.startup.limits.per_source.max_connections, 10);
    assert_eq!(c.startup.limits.per_source.max_header_bytes, 128 * 1024);
    assert_eq!(c.live.limits.per_source.max_concurrency, 3);
    assert_eq!(c.live.limits.per_source.max_buffered, 2 * 1024 * 1024);
    assert_eq!(c.live.limits.min_body_rate, 0, "0 turns the check off");
    // What cannot work is refused where it is written.
    let ps = problems(&format!(
        "{MINIMAL}limits: {{ max_connections: 0, max_header_bytes: 1KiB, per_source: {{ max_connections: 5000, max_buffered: 1KiB, max_header_bytes: 1KiB }} }}\n"
    ));
    for path in [
        "limits.max_connections",
        "limits.max_header_bytes",
        "limits.per_source.max_connections",
        "limits.per_source.max_buffered",
        "limits.per_source.max_header_bytes",
    ] {
        assert!(find(&ps, path).line.is_some(), "{path}: {ps:#?}");
    }
}

#[test]
fn a_ttl_shorter_than_the_senders_redeliveries_warns_without_a_signed_timestamp() {
    let redelivery = |c: &Config| -> Vec<String> {
        c.warnings
            .iter()
            .filter(|w| w.contains("may deliver an event again"))
            .cloned()
            .collect()
    };
    // GitHub signs no timestamp and redelivers for 3 days.
    let c = load_ok(&format!("dedup:\n  ttl: 24h\n{MINIMAL}"));
    let w = redelivery(&c);
    assert_eq!(w.len(), 1, "{:?}", c.warnings);
    assert!(
        w[0].contains("route gh: github may deliver an event again for up to 3days"),
        "{w:?}"
    );
    assert!(w[0].contains("set dedup.ttl to at least 3days"), "{w:?}");
    // The default TTL covers it.
    assert!(redelivery(&load_ok(MINIMAL)).is_empty());
    // Stripe redelivers for 30 days, but signs a timestamp: max_age stops replays.
    let stripe =
        with_route("  - { name: s, path: /s, provider: stripe, secrets: [ { env: STRIPE } ] }\n");
    assert!(redelivery(&load_ok(&stripe)).is_empty());
    // Dedup off: nothing to remember.
    let off = format!(
        "dedup:\n  ttl: 1h\n{}",
        MINIMAL.replace(
            "    provider: github\n",
            "    provider: github\n    dedup: false\n"
        )
    );
    assert!(redelivery(&load_ok(&off)).is_empty());
}

#[test]
fn a_route_is_sync_unless_it_says_queued() {
    let c = load_ok(MINIMAL);
    assert_eq!(c.live.routes[0].delivery, DeliveryMode::Sync);
    assert!(c.startup.queue.is_none());
}

#[test]
fn queued_routes_take_the_queue_defaults_and_their_own_options() {
    let c = load_ok(
        "upstream: { url: http://127.0.0.1:3000 }
queue:
  path: q/store.redb
  max_bytes: 64MiB
  max_dead_letters: 50
  concurrency: 8
  max_backoff: 1m
routes:
  - { name: a, path: /a, provider: github, secrets: [{ env: S }], delivery: queued }
  - name: b
    path: /b
    provider: github
    secrets: [{ env: S }]
    delivery: { mode: queued, concurrency: 2, rate: 50, max_attempts: 3, max_age: 1h, initial_backoff: 100ms, status: 200 }
  - { name: c, path: /c, provider: github, secrets: [{ env: S }], delivery: sync }
",
    );
    let q = c.startup.queue.as_ref().unwrap();
    assert_eq!(q.path().unwrap(), Path::new("./q/store.redb"));
    assert_eq!(q.max_bytes, 64 * 1024 * 1024);
    assert_eq!(q.max_dead_letters, 50);
    let DeliveryMode::Queued(a) = c.live.routes[0].delivery else {
        panic!("a is queued")
    };
    assert_eq!(a.concurrency, 8);
    assert_eq!(a.rate, None);
    assert_eq!(a.max_attempts, 30);
    assert_eq!(a.max_age, Duration::from_secs(24 * 3600));
    assert_eq!(a.initial_backoff, Duration::from_secs(1));
    assert_eq!(a.max_backoff, Duration::from_secs(60));
    assert_eq!(a.status, StatusCode::ACCEPTED);
    assert_eq!(a, c.live.queue_defaults);
    let DeliveryMode::Queued(b) = c.live.routes[1].delivery else {
        panic!("b is queued")
    };
    assert_eq!(
        (b.concurrency, b.rate, b.max_attempts, b.status),
        (2, Some(50.0), 3, StatusCode::OK)
    );
    assert_eq!(b.max_age, Duration::from_secs(3600));
    assert_eq!(b.initial_backoff, Duration::from_millis(100));
    assert_eq!(
        b.max_backoff,
        Duration::from_secs(60),
        "the queue's default"
    );
    assert_eq!(c.live.routes[2].delivery, DeliveryMode::Sync);
}

#[test]
fn queue_mistakes_are_reported_where_they_are() {
    let ps = problems(
        "upstream: { url: http://127.0.0.1:3000 }
routes:
  - { name: a, path: /a, provider: github, secrets: [{ env: S }], delivery: queued }
  - { name: b, path: /b, provider: github, secrets: [{ env: S }], delivery: later }
",
    );
    assert!(find(&ps, "routes[0].delivery")
        .message
        .contains("queue.path"));
    assert!(find(&ps, "routes[1].delivery")
        .message
        .contains("unknown delivery \"later\""));

    let ps = problems(
        "upstream: { url: http://127.0.0.1:3000 }
queue: { path: /tmp/q.redb, max_bytes: lots, status: 302, initial_backoff: 1m, max_backoff: 1s }
routes:
  - name: a
    path: /a
    provider: github
    secrets: [{ env: S }]
    delivery: { mode: queued, concurrency: 0, rate: -1, max_attempts: 0 }
  - name: b
    path: /b
    provider: github
    secrets: [{ env: S }]
    delivery: { concurrency: 2 }
",
    );
    find(&ps, "queue.max_bytes");
    assert!(find(&ps, "queue.status").message.contains("not a 2xx"));
    assert!(find(&ps, "queue.initial_backoff")
        .message
        .contains("at most max_backoff"));
    find(&ps, "routes[0].delivery.concurrency");
    find(&ps, "routes[0].delivery.rate");
    find(&ps, "routes[0].delivery.max_attempts");
    assert!(find(&ps, "routes[1].delivery.mode")
        .message
        .contains("mode: queued"));
    let line = find(&ps, "routes[0].delivery.concurrency").line;
    assert_eq!(line, Some(8), "{ps:#?}");

    // A typo in the options map is named, not "matched no variant".
    let e = err_text(
        "upstream: { url: http://127.0.0.1:3000 }
queue: { path: /tmp/q.redb }
routes:
  - { name: a, path: /a, provider: github, secrets: [{ env: S }], delivery: { mode: queued, concurency: 2 } }
",
    );
    assert!(e.contains("concurency"), "{e}");
}

#[test]
fn the_queue_store_needs_a_restart_and_warns_without_an_admin_token() {
    let text = "upstream: { url: http://127.0.0.1:3000 }
queue: { path: /tmp/a.redb }
routes:
  - { name: a, path: /a, provider: github, secrets: [{ env: S }], delivery: queued }
";
    let a = load_ok(text);
    let b = load_ok(&text.replace("/tmp/a.redb", "/tmp/b.redb"));
    assert_eq!(changed_keys(&a.startup, &b.startup), ["queue.path"]);
    assert!(
        a.warnings.iter().any(|w| w.contains("admin.token is not")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn the_queue_on_redis_takes_its_own_connection_or_the_dedup_one() {
    let route = "routes:
  - { name: a, path: /a, provider: github, secrets: [{ env: S }], delivery: queued }
";
    let own = load_ok(&format!(
        "upstream: {{ url: http://127.0.0.1:3000 }}
queue: {{ backend: redis, redis: {{ url: redis://127.0.0.1:6390, key_prefix: \"hg:\" }}, visibility_timeout: 5s }}
{route}"
    ));
    let q = own.startup.queue.as_ref().unwrap();
    assert!(q.path().is_none());
    assert_eq!(q.visibility_timeout, Duration::from_secs(5));
    match &q.store {
        QueueStore::Redis { redis } => {
            assert_eq!(redis.url, "redis://127.0.0.1:6390");
            assert_eq!(redis.key_prefix, "hg:");
        }
        QueueStore::Embedded { .. } => panic!("{q:?}"),
    }

    let shared = load_ok(&format!(
        "upstream: {{ url: http://127.0.0.1:3000 }}
dedup: {{ backend: redis, redis: {{ url: redis://127.0.0.1:6391 }} }}
queue: {{ backend: redis }}
{route}"
    ));
    let q = shared.startup.queue.as_ref().unwrap();
    assert_eq!(q.visibility_timeout, Duration::from_secs(30));
    match &q.store {
        QueueStore::Redis { redis } => assert_eq!(redis.url, "redis://127.0.0.1:6391"),
        QueueStore::Embedded { .. } => panic!("{q:?}"),
    }
    // Moving the queue is a restart, named by the key the user wrote.
    let moved = load_ok(&format!(
        "upstream: {{ url: http://127.0.0.1:3000 }}
queue: {{ backend: redis, redis: {{ url: redis://127.0.0.1:6392, key_prefix: \"hg:\" }}, visibility_timeout: 5s }}
{route}"
    ));
    assert_eq!(changed_keys(&own.startup, &moved.startup), ["queue.redis"]);

    for (queue, key, says) in [
        ("{ backend: redis }", "queue.redis", "dedup.redis"),
        (
            "{ backend: redis, path: /tmp/q.redb, redis: { url: redis://h } }",
            "queue.path",
            "remove queue.path",
        ),
        (
            "{ redis: { url: redis://h } }",
            "queue.path",
            "set queue.path",
        ),
        (
            "{ path: /tmp/q.redb, redis: { url: redis://h } }",
            "queue.redis",
            "backend: redis",
        ),
        ("{ backend: kafka }", "queue.backend", "embedded or redis"),
        (
            "{ backend: redis, redis: { url: redis://h }, visibility_timeout: 100ms }",
            "queue.visibility_timeout",
            "at least 1s",
        ),
        (
            "{ backend: redis, redis: { url: http://h } }",
            "queue.redis.url",
            "",
        ),
    ] {
        let e = err_text(&format!(
            "upstream: {{ url: http://127.0.0.1:3000 }}\nqueue: {queue}\n{route}"
        ));
        assert!(e.contains(key) && e.contains(says), "{queue}: {e}");
    }
}

#[test]
fn dedup_key_delivery_header_is_remembered_with_the_body_hash() {
    let c = load_ok(&with_route(
        "  - name: g\n    path: /g\n    verify:\n      header: X-Sig\n    dedup_key: { delivery_header: X-Delivery, body_sha256: true }\n    secrets: [{env: S}]\n",
    ));
    assert_eq!(
        c.live.routes[0].dedup_key,
        Some(DedupKeySpec {
            sources: vec![
                KeySource::DeliveryHeader(HeaderName::from_static("x-delivery")),
                KeySource::BodySha256
            ]
        })
    );
    let text = err_text(&with_route(
        "  - name: g\n    path: /g\n    verify:\n      header: X-Sig\n    dedup_key: { delivery_header: \"bad header\" }\n    secrets: [{env: S}]\n",
    ));
    assert!(text.contains("dedup_key.delivery_header"), "{text}");
}

/// The scheme features behind `orb`, `recurly` and `persona` are usable from a generic
/// `verify:` block: each block below builds exactly the preset's scheme.
#[test]
fn generic_blocks_reproduce_orb_recurly_persona() {
    let c = load_ok(&with_route(
        r#"  - name: orb
    path: /orb
    verify:
      header: X-Orb-Signature
      prefix: "v1="
      separator: " "
      signed_payload: "v1:{timestamp}:{body}"
      timestamp: { header: X-Orb-Timestamp, format: iso8601_no_zone }
    secrets: [{env: S}]
  - name: recurly
    path: /recurly
    verify:
      header: recurly-signature
      separator: ","
      signed_payload: "{timestamp}.{body}"
      timestamp: { first_entry: true, format: unix_ms }
    secrets: [{env: S}]
  - name: persona
    path: /persona
    verify:
      header: Persona-Signature
      params: { signature: v1, groups: " " }
      signed_payload: "{timestamp}.{body}"
      timestamp: { param: t }
    secrets: [{env: S}]
"#,
    ));
    for (route, name) in c.live.routes.iter().zip(["orb", "recurly", "persona"]) {
        assert_eq!(
            route.scheme,
            presets::lookup(name).expect("preset").scheme,
            "{name}"
        );
    }
    // A first-entry timestamp needs a separated list; groups one character other than the
    // pair separator.
    let ps = problems(&with_route(
        r#"  - name: r
    path: /r
    verify:
      header: X-Sig
      signed_payload: "{timestamp}.{body}"
      timestamp: { first_entry: true }
    secrets: [{env: S}]
  - name: p
    path: /p
    verify:
      header: X-Sig
      params: { signature: v1, groups: "," }
      signed_payload: "{timestamp}.{body}"
      timestamp: { param: t }
    secrets: [{env: S}]
"#,
    ));
    find(&ps, "routes[0].verify.timestamp.first_entry");
    find(&ps, "routes[1].verify.params.groups");
}

#[test]
fn body_json_string_and_param_pieces_in_a_verify_block() {
    // A Hygraph-shaped sender described by hand: the pieces load, and `{param:NAME}` needs a
    // `params:` signature header.
    let c = load_ok(&with_route(
        "  - name: cms
    path: /cms
    verify:
      header: x-cms-signature
      encoding: base64
      params: { signature: sign }
      signed_payload: \"[{body_json_string},{param:env},{timestamp}]\"
      timestamp: { param: t, format: unix_ms }
    secrets: [{env: S}]
",
    ));
    assert_eq!(
        c.live.routes[0].scheme.payload,
        vec![
            Piece::Literal(b"[".to_vec()),
            Piece::BodyJsonString,
            Piece::Literal(b",".to_vec()),
            Piece::Param("env".into()),
            Piece::Literal(b",".to_vec()),
            Piece::Timestamp,
            Piece::Literal(b"]".to_vec()),
        ]
    );
    let ps = problems(&with_route(
        "  - name: cms
    path: /cms
    verify:
      header: x-cms-signature
      signed_payload: \"{param:env}.{body}\"
    secrets: [{env: S}]
",
    ));
    let p = find(&ps, "routes[0].verify.signed_payload");
    assert!(p.message.contains("{param:NAME}"), "{p:?}");
}

#[test]
fn content_encoding_gzip_reproduces_airship() {
    // A generic block with `content_encoding: gzip` is the airship preset; a preset route may
    // turn the decoding off; any other value is a problem at its key.
    let c = load_ok(&with_route(
        r#"  - name: airship
    path: /airship
    verify:
      header: X-UA-Signature
      signed_payload: "{timestamp}:{body}"
      timestamp: { header: X-UA-Timestamp }
      content_encoding: gzip
    secrets: [{env: S}]
  - name: raw
    path: /raw
    provider: airship
    verify: { content_encoding: none }
    secrets: [{env: S}]
"#,
    ));
    let airship = presets::lookup("airship").expect("preset").scheme;
    assert!(airship.decode_gzip);
    assert_eq!(c.live.routes[0].scheme, airship);
    assert!(!c.live.routes[1].scheme.decode_gzip);
    let ps = problems(&with_route(
        r#"  - name: r
    path: /r
    verify:
      header: X-Sig
      content_encoding: br
    secrets: [{env: S}]
"#,
    ));
    find(&ps, "routes[0].verify.content_encoding");
}

#[test]
fn rate_limits_in_every_spelling() {
    let route = |name: &str, rl: &str| {
        format!("  - name: {name}\n    path: /{name}\n    provider: github\n    secrets: [{{env: S}}]\n    rate_limit: {rl}\n")
    };
    let c = load_ok(&with_route(
        &[
            route("a", "{ rate: 10/s, burst: 20 }"),
            route("b", "{ rate: 600/m }"),
            route("c", "{ rate: 2.5 }"),
            route("d", "{ rate: \"1 / h\", burst: 1 }"),
            route("e", "{ rate: 0.5/s }"),
            "  - name: f\n    path: /f\n    provider: github\n    secrets: [{env: S}]\n".to_owned(),
        ]
        .concat(),
    ));
    let rl = |i: usize| c.live.routes[i].rate_limit;
    let a = rl(0).unwrap();
    assert_eq!((a.count, a.per, a.burst), (10.0, RatePer::Second, 20));
    assert_eq!(a.interval_nanos(), 100_000_000);
    // Without burst: one second's worth, at least 1.
    let b = rl(1).unwrap();
    assert_eq!((b.count, b.per, b.burst), (600.0, RatePer::Minute, 10));
    assert_eq!(b.interval_nanos(), 100_000_000);
    let c2 = rl(2).unwrap();
    assert_eq!((c2.count, c2.per, c2.burst), (2.5, RatePer::Second, 3));
    let d = rl(3).unwrap();
    assert_eq!((d.per, d.burst), (RatePer::Hour, 1));
    assert_eq!(d.interval_nanos(), 3_600_000_000_000);
    assert_eq!(rl(4).unwrap().burst, 1);
    assert_eq!(rl(5), None);
}

#[test]
fn rate_limit_problems_are_positioned() {
    let route = |rl: &str| {
        with_route(&format!(
            "  - name: r\n    path: /r\n    provider: github\n    secrets: [{{env: S}}]\n    rate_limit: {rl}\n"
        ))
    };
    for bad in [
        "{ rate: 0 }",
        "{ rate: -1/s }",
        "{ rate: 10/d }",
        "{ rate: ten/s }",
        "{ rate: 2000000/s }",
        "{ rate: 1/m, burst: 0 }",
        "{ rate: 1/s, burst: 5000000 }",
    ] {
        let ps = problems(&route(bad));
        assert!(
            ps.iter()
                .any(|p| p.path.starts_with("routes[0].rate_limit.")),
            "{bad}: {ps:#?}"
        );
    }
    assert!(err_text(&route("{ burst: 5 }")).contains("rate"));
    assert!(err_text(&route("{ rate: 1/s, bursts: 5 }")).contains("bursts"));
}

#[test]
fn secrets_carry_not_after() {
    let c = load_ok(&with_route(
        "  - name: r\n    path: /r\n    provider: github\n    secrets:\n      - { id: new, env: S }\n      - { id: old, env: GH, not_after: \"2030-01-02T03:04:05+01:00\" }\n",
    ));
    let keys = &c.live.routes[0].keys;
    assert_eq!(keys[0].not_after(), None);
    let t = keys[1].not_after().unwrap();
    assert_eq!(
        t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
        1_893_549_845
    );
    assert!(keys[1].usable_at(t));
    assert!(!keys[1].usable_at(t + std::time::Duration::from_nanos(1)));
    // Not a time, or one without its offset.
    for bad in ["tomorrow", "2030-01-02T03:04:05", "2030-01-02"] {
        let ps = problems(&with_route(&format!(
            "  - name: r\n    path: /r\n    provider: github\n    secrets:\n      - {{ env: S, not_after: \"{bad}\" }}\n"
        )));
        find(&ps, "routes[0].secrets[0].not_after");
    }
    // Only a route's secrets expire.
    let ps = problems(&format!(
        "admin: {{ debug: true, token: {{ env: S, not_after: \"2030-01-01T00:00:00Z\" }} }}\n{}",
        MINIMAL
    ));
    find(&ps, "admin.token.not_after");
}
