//! Property: any single-byte change of a genuine delivery's signed bytes fails verification,
//! for every preset hookgate can sign for (the body; and the timestamp header where the scheme
//! signs one there). A genuine delivery is what `hookgate sign` makes; proptest picks the byte
//! and its new value.

use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use hookgate::config::Route;
use hookgate::verify::{self, presets, Message, Piece, SecretEncoding, TimestampSource};

const NOW: u64 = 1_764_000_000;

/// A route for `name` with a secret its encoding accepts, as `hookgate sign` would load it.
fn route(name: &str) -> Option<std::sync::Arc<Route>> {
    let preset = presets::lookup(name)?;
    let secret = match preset.scheme.secret_encoding {
        SecretEncoding::Whsec => "whsec_c2lnbi10ZXN0LXNlY3JldC1rZXk=",
        SecretEncoding::Base64 => "c2lnbi10ZXN0LXNlY3JldC1rZXk=",
        SecretEncoding::Hex => "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        SecretEncoding::Raw => "sign-test-secret-key",
    };
    let public_url = if preset.needs_public_url {
        "    public_url: https://hooks.example.com\n"
    } else {
        ""
    };
    let yaml = format!(
        "upstream: {{ url: http://127.0.0.1:1 }}\nroutes:\n  - name: r\n    path: /hook\n    provider: {name}\n{public_url}    secrets: [ {{ env: S }} ]\n"
    );
    let env = |n: &str| (n == "S").then(|| secret.to_owned());
    let config = hookgate::config::parse(
        &yaml,
        "t.yaml",
        std::path::Path::new("."),
        &env,
        hookgate::config::Secrets::Load,
    )
    .ok()?;
    config.live.routes.first().cloned()
}

fn verifies(route: &Route, headers: &HeaderMap, body: &[u8]) -> bool {
    let (method, uri) = (Method::POST, Uri::from_static("/hook"));
    let msg = Message::new(&method, &uri, headers, body, route.public_url.as_deref());
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    verify::verify(&route.scheme, &route.keys, &msg, route.freshness, now).is_ok()
}

#[test]
fn any_single_byte_change_of_what_is_signed_fails_verification() {
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let mut checked = Vec::new();
    for name in presets::names() {
        let Some(route) = route(name) else { continue };
        let scheme = &route.scheme;
        // Form bodies are verified as their decoded, sorted parameters (Twilio): a byte change
        // may spell the same parameters; and a scheme that signs no body has none to change.
        if !scheme.signs_body() || scheme.needs(&Piece::FormParams) {
            continue;
        }
        let (content_type, body) = hookgate::sender::sample(&route, now);
        let Ok(signed) =
            hookgate::sender::sign_headers(&route, &route.keys[0], body.as_bytes(), now)
        else {
            continue; // hookgate holds no signing key for it (asymmetric, or signed in the body)
        };
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static(content_type));
        for (n, v) in &signed {
            headers.append(n.clone(), HeaderValue::from_str(v).unwrap());
        }
        assert!(
            verifies(&route, &headers, body.as_bytes()),
            "{name}: genuine"
        );
        let timestamp_header: Option<HeaderName> = match &scheme.timestamp {
            Some(rule)
                if rule.source == TimestampSource::Header && scheme.needs(&Piece::Timestamp) =>
            {
                scheme.headers.iter().find_map(|s| s.timestamp.clone())
            }
            _ => None,
        };

        let mut runner = TestRunner::new(Config {
            cases: 64,
            ..Config::default()
        });
        let body_len = body.len();
        runner
            .run(&(0..body_len, 1..=255u8), |(at, delta)| {
                let mut changed = body.clone().into_bytes();
                changed[at] = changed[at].wrapping_add(delta);
                prop_assert!(
                    !verifies(&route, &headers, &changed),
                    "{name}: byte {at} of the body changed by {delta} still verifies"
                );
                Ok(())
            })
            .unwrap();
        if let Some(ts) = timestamp_header {
            let original = headers[&ts].to_str().unwrap().to_owned();
            runner
                .run(&(0..original.len(), 1..=255u8), |(at, delta)| {
                    let mut changed = original.clone().into_bytes();
                    changed[at] = changed[at].wrapping_add(delta);
                    let mut h = headers.clone();
                    match HeaderValue::from_bytes(&changed) {
                        Ok(v) => h.insert(ts.clone(), v),
                        Err(_) => return Ok(()), // not sendable as a header at all
                    };
                    prop_assert!(
                        !verifies(&route, &h, body.as_bytes()),
                        "{name}: byte {at} of {ts} changed by {delta} still verifies"
                    );
                    Ok(())
                })
                .unwrap();
        }
        checked.push(name);
    }
    eprintln!("{} presets checked: {checked:?}", checked.len());
    assert!(
        checked.len() >= 25,
        "{} presets checked: {checked:?}",
        checked.len()
    );
}
