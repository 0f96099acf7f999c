//! `hookgate sign` for every preset: what it signs, the proxy accepts.

use std::time::{Duration, UNIX_EPOCH};

use hookgate::verify::presets;
use hookgate::verify::SecretEncoding;

use crate::harness::*;

const NOW: i64 = 1_764_000_000;

#[tokio::test]
async fn what_sign_produces_the_proxy_accepts_for_every_preset() {
    let mut unsupported = Vec::new();
    for name in presets::NAMES {
        let preset = presets::lookup(name).unwrap();
        let secret = match preset.scheme.secret_encoding {
            SecretEncoding::Base64 if preset.scheme.algorithm.is_asymmetric() => {
                "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmc63oY0sXZBhnMglVDC4NDg4B2kFlCeBALKlTaV/zDO6mbMRLoraLGnqADkJl+VToKzi3NN9QL6GKCDw93w2XA=="
            }
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
            "upstream: {{ url: \"{{upstream}}\" }}\nroutes:\n  - name: r\n    path: /hook\n    provider: {name}\n{public_url}    secrets: [ {{ env: S }} ]\n"
        );
        let up = Upstream::ok().await;
        let proxy = Proxy::start(
            &yaml,
            &up.url(),
            &[("S", secret)],
            TestClock::at(NOW).clock(),
        )
        .await;
        // The same config the proxy runs, as `hookgate sign` would load it.
        let env = |n: &str| (n == "S").then(|| secret.to_owned());
        let config = hookgate::config::parse(
            &yaml.replace("{upstream}", &up.url()),
            "t.yaml",
            std::path::Path::new("."),
            &env,
            hookgate::config::Secrets::Load,
        )
        .unwrap();
        let route = &config.live.routes[0];
        let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(NOW).unwrap());
        let (content_type, body) = hookgate::sender::sample(route, now);
        let headers =
            match hookgate::sender::sign_headers(route, &route.keys[0], body.as_bytes(), now) {
                Ok(h) => h,
                Err(e) => {
                    // Only schemes where hookgate holds no signing key, or the signature lives in
                    // the body, may refuse; they must say so.
                    let s = preset.scheme.algorithm.is_asymmetric()
                        || preset.scheme.signature_json.is_some();
                    assert!(s, "{name}: sign failed: {e}");
                    assert!(e.to_string().contains("cannot sign"), "{name}: {e}");
                    unsupported.push(*name);
                    continue;
                }
            };
        let mut h: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        h.push(("content-type".into(), content_type.into()));
        let refs: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let a = post_exact(&proxy.url("/hook"), &refs, body.clone()).await;
        assert_eq!(a.status, 200, "{name}: {:?} with {h:?}", a.body);
        assert_eq!(up.requests()[0].body.as_ref(), body.as_bytes(), "{name}");
        proxy.stop().await;
    }
    assert_eq!(unsupported, ["mailgun", "discord", "sendgrid"]);
}

#[test]
fn readme_lists_every_preset() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for name in presets::NAMES {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README's provider table lacks {name}"
        );
    }
}
