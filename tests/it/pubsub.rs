//! `provider: google-pubsub` end to end: push deliveries whose OIDC tokens were made and checked
//! with google-auth (tools/vectors/pubsub), through the real proxy, with the JWK Set served by a
//! local HTTPS "www.googleapis.com" (`fetch.resolve` + `fetch.ca_file`). The set is fetched once
//! and cached; a token naming a key the set lacks makes one refresh (a sender's new key works at
//! once), rate limited; tokens for another audience or account, expired, or of an unknown key
//! are refused; an unreachable key host is a 503 + Retry-After, never 401.

use base64::Engine as _;
use serde::Deserialize;

use crate::harness::*;
use crate::keyserver::KeyServer;

const GOOGLE: &str = "www.googleapis.com";
const CERTS: &str = "/oauth2/v3/certs";

#[derive(Deserialize)]
struct Fixture {
    jwks: serde_json::Value,
    audience: String,
    email: String,
    now: i64,
    cases: Vec<Case>,
    rejects: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    headers: std::collections::BTreeMap<String, String>,
    body_b64: String,
    #[serde(default)]
    event_id: Option<String>,
}

impl Case {
    fn body(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.body_b64)
            .unwrap()
    }

    fn headers(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    /// The `kid` its token names.
    fn kid(&self) -> String {
        let token = self.headers["authorization"]
            .strip_prefix("Bearer ")
            .unwrap();
        let head = token.split('.').next().unwrap();
        let head = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(head)
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&head).unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pubsub/pubsub.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The fixture's JWK Set with only its first key (before the sender added the second).
fn first_key_only(f: &Fixture) -> Vec<u8> {
    let mut set = f.jwks.clone();
    let keys = set["keys"].as_array_mut().unwrap();
    assert!(keys.len() >= 2, "the fixture rotates between two keys");
    keys.truncate(1);
    serde_json::to_vec(&set).unwrap()
}

struct Setup {
    f: Fixture,
    keys: KeyServer,
    up: Upstream,
    proxy: Proxy,
    clock: TestClock,
}

async fn setup(jwks: Option<Vec<u8>>) -> Setup {
    let f = fixture();
    let keys = KeyServer::start(&[GOOGLE]).await;
    if let Some(jwks) = jwks {
        keys.serve(CERTS, jwks);
    }
    let yaml = format!(
        "upstream: {{ url: \"{{upstream}}\" }}\n{}routes:\n  - name: pubsub\n    path: /hooks/pubsub\n    provider: google-pubsub\n    verify:\n      jwt:\n        audience: \"{}\"\n        claims: {{ email: \"{}\" }}\n",
        keys.fetch_yaml(&[GOOGLE]),
        f.audience,
        f.email
    );
    let up = Upstream::ok().await;
    let clock = TestClock::at(f.now);
    let proxy = Proxy::start(&yaml, &up.url(), &[], clock.clock()).await;
    Setup {
        f,
        keys,
        up,
        proxy,
        clock,
    }
}

#[tokio::test]
async fn pushes_are_forwarded_with_the_key_set_fetched_once() {
    let f = fixture();
    let s = setup(Some(serde_json::to_vec(&f.jwks).unwrap())).await;
    let url = s.proxy.url("/hooks/pubsub");
    for c in &s.f.cases {
        let a = post_exact(&url, &c.headers(), c.body()).await;
        assert_eq!(a.status, 200, "{}: {:?}", c.name, a.body);
        let got = s.up.requests().pop().unwrap();
        assert_eq!(got.body, c.body(), "{}: the exact bytes", c.name);
        assert_eq!(
            got.headers.get("hookgate-event-id").unwrap(),
            c.event_id.as_deref().unwrap(),
            "{}",
            c.name
        );
    }
    assert_eq!(s.keys.seen(), vec![CERTS.to_owned()]);
    let known: Vec<String> = s.f.jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    let mut unknown = Vec::new();
    for r in &s.f.rejects {
        let a = post_exact(&url, &r.headers(), r.body()).await;
        if known.contains(&r.kid()) {
            assert_eq!(a.status, 401, "{}: {:?}", r.name, a.body);
        } else {
            // A kid the set lacks asks for a refresh, too soon after the fetch: 503 (the
            // sender retries), never a 401 that would lose a genuine new key's delivery.
            assert_eq!(a.status, 503, "{}: {:?}", r.name, a.body);
            unknown.push(r);
        }
    }
    assert!(!unknown.is_empty(), "the fixture has an unknown-kid token");
    // Past the refresh interval: the set is fetched again, still lacks the kid: a forgery.
    s.clock.set(s.f.now + 31);
    for r in unknown {
        let a = post_exact(&url, &r.headers(), r.body()).await;
        assert_eq!(a.status, 401, "{}: {:?}", r.name, a.body);
    }
    assert_eq!(s.keys.seen().len(), 2);
    assert_eq!(s.up.count(), s.f.cases.len(), "a reject was forwarded");
    s.proxy.stop().await;
}

#[tokio::test]
async fn a_new_key_is_fetched_when_a_token_names_it_and_refreshes_are_rate_limited() {
    let f = fixture();
    let s = setup(Some(first_key_only(&f))).await;
    let url = s.proxy.url("/hooks/pubsub");
    let first_kid = s.f.cases[0].kid();
    let old = s.f.cases.iter().find(|c| c.kid() == first_kid).unwrap();
    let new = s.f.cases.iter().find(|c| c.kid() != first_kid).unwrap();

    let a = post_exact(&url, &old.headers(), old.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(s.keys.seen().len(), 1);

    // The sender starts signing with its second key; the host serves both now.
    s.keys.serve(CERTS, serde_json::to_vec(&s.f.jwks).unwrap());
    // Within the refresh interval of the first fetch: no refetch yet, a 503 to retry.
    let a = post_exact(&url, &new.headers(), new.body()).await;
    assert_eq!(a.status, 503, "{:?}", a.body);
    assert_eq!(a.error(), "key_unavailable");
    assert!(a.headers.contains_key("retry-after"));
    assert_eq!(s.keys.seen().len(), 1);
    // Later (the sender retries): the unknown kid makes one refresh, and it verifies.
    s.clock.set(s.f.now + 31);
    let a = post_exact(&url, &new.headers(), new.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(s.keys.seen().len(), 2);
    assert_eq!(s.up.count(), 2);
    s.proxy.stop().await;
}

#[tokio::test]
async fn an_unreachable_key_host_is_a_503_then_recovers() {
    let s = setup(None).await;
    let url = s.proxy.url("/hooks/pubsub");
    let c = &s.f.cases[0];
    s.keys.fail(Some(503));
    let a = post_exact(&url, &c.headers(), c.body()).await;
    assert_eq!(a.status, 503, "{:?}", a.body);
    assert_eq!(a.error(), "key_unavailable");
    assert_eq!(s.up.count(), 0);
    s.keys.fail(None);
    s.keys.serve(CERTS, serde_json::to_vec(&s.f.jwks).unwrap());
    s.clock.set(s.f.now + 31);
    let a = post_exact(&url, &c.headers(), c.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(s.up.count(), 1);
    s.proxy.stop().await;
}

#[test]
fn a_pubsub_route_must_pin_its_audience_and_account() {
    let parse = |verify: &str| route_config_error("google-pubsub", verify);
    let err = parse("").unwrap();
    assert!(err.contains("audience") && err.contains("email"), "{err}");
    let err = parse("    verify: { jwt: { audience: \"https://h/p\" } }\n").unwrap();
    assert!(err.contains("claims.email"), "{err}");
    assert_eq!(
        parse("    verify: { jwt: { audience: \"https://h/p\", claims: { email: a@b.iam.gserviceaccount.com } } }\n"),
        None
    );
}

/// Any JWT route may name its sender's JWK Set: an ES256 set served at a made-up host, a token
/// signed by its key accepted, the same claims signed by another key refused.
#[tokio::test]
async fn a_generic_es256_route_takes_its_keys_from_a_jwk_set() {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature, SigningKey};
    let b64 = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let host = "keys.sender.example";
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let jwks = serde_json::json!({ "keys": [{
        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": "k1",
        "x": b64.encode(point.x().unwrap()), "y": b64.encode(point.y().unwrap()),
    }]});
    let keys = KeyServer::start(&[host]).await;
    keys.serve("/jwks.json", serde_json::to_vec(&jwks).unwrap());
    let yaml = format!(
        "upstream: {{ url: \"{{upstream}}\" }}\n{}routes:\n  - name: es\n    path: /hooks/es\n    verify:\n      algorithm: jwt-es256\n      header: X-Token\n      jwt:\n        jwks_url: https://{host}/jwks.json\n        audience: https://hooks.example.com/es\n        require_exp: true\n",
        keys.fetch_yaml(&[host])
    );
    let now = 1_767_225_600;
    let up = Upstream::ok().await;
    let proxy = Proxy::start(&yaml, &up.url(), &[], TestClock::at(now).clock()).await;
    let token = |signer: &SigningKey| {
        let head = b64.encode(br#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#);
        let claims = b64.encode(
            serde_json::to_vec(&serde_json::json!({
                "aud": "https://hooks.example.com/es", "exp": now + 300, "iat": now,
            }))
            .unwrap(),
        );
        let input = format!("{head}.{claims}");
        let sig: Signature = signer.sign(input.as_bytes());
        format!("{input}.{}", b64.encode(sig.to_bytes()))
    };
    let url = proxy.url("/hooks/es");
    let a = post(&url, &[("x-token", &token(&key))], "{}").await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let other = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let a = post(&url, &[("x-token", &token(&other))], "{\"n\":2}").await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(up.count(), 1);
    assert_eq!(keys.seen(), vec!["/jwks.json".to_owned()]);
    proxy.stop().await;
}
