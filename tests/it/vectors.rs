//! Provider fixtures (signed by the providers' own SDKs, see tools/vectors) replayed through the
//! real proxy with the clock set to the time they were signed. Every file in
//! tests/fixtures/vectors is replayed; adding a provider's vectors needs no code here.

use base64::Engine as _;
use serde::Deserialize;

use crate::harness::*;

#[derive(Deserialize)]
struct File {
    provider: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
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
    #[serde(default)]
    content_type: Option<String>,
    /// A key of the right shape that signed nothing here (public keys cannot be invented).
    #[serde(default)]
    wrong_secret: Option<String>,
}

fn files() -> Vec<File> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            serde_json::from_str(&std::fs::read_to_string(p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

/// Splits a case's URL into the route's `public_url` and the request target.
fn split_url(url: Option<&str>) -> (Option<String>, String) {
    let Some(url) = url else {
        return (None, "/hook".to_owned());
    };
    let uri: http::Uri = url.parse().unwrap();
    let origin = format!(
        "{}://{}",
        uri.scheme_str().unwrap(),
        uri.authority().unwrap()
    );
    let target = uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    (Some(origin), target)
}

fn route_yaml(provider: &str, path: &str, public_url: Option<&str>, n_secrets: usize) -> String {
    let mut y = format!(
        "upstream: {{ url: \"{{upstream}}\" }}\nroutes:\n  - name: r\n    path: {path}\n    provider: {provider}\n"
    );
    if let Some(u) = public_url {
        y.push_str(&format!("    public_url: \"{u}\"\n"));
    }
    y.push_str("    secrets:\n");
    for i in 0..n_secrets {
        y.push_str(&format!("      - {{ id: s{i}, env: S{i} }}\n"));
    }
    y
}

fn default_wrong_secret(scheme: &hookgate::verify::Scheme) -> &'static str {
    use hookgate::verify::SecretEncoding;
    match scheme.secret_encoding {
        SecretEncoding::Whsec => "whsec_d3JvbmctYnV0LXZhbGlkLWJhc2U2NA==",
        SecretEncoding::Base64 => "d3JvbmctYnV0LXZhbGlkLWJhc2U2NA==",
        SecretEncoding::Hex => "77726f6e672d6b6579",
        SecretEncoding::Raw => "wrong-but-plausible-secret",
    }
}

#[tokio::test]
async fn every_fixture_replays_through_the_proxy() {
    let files = files();
    assert!(files.len() >= 5, "fixture files missing");
    for file in &files {
        replay(file).await;
    }
}

async fn replay(file: &File) {
    let preset = hookgate::verify::presets::lookup(&file.provider)
        .unwrap_or_else(|| panic!("fixtures for unknown preset {}", file.provider));
    let scheme = &preset.scheme;
    assert!(!file.cases.is_empty(), "{}", file.provider);
    for case in &file.cases {
        let body = base64::engine::general_purpose::STANDARD
            .decode(&case.body_b64)
            .unwrap();
        let env_names: Vec<String> = (0..case.secrets.len()).map(|i| format!("S{i}")).collect();
        let env: Vec<(&str, &str)> = env_names
            .iter()
            .zip(&case.secrets)
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect();
        let (public_url, target) = split_url(case.url.as_deref());
        let path = target.split('?').next().unwrap().to_owned();
        let yaml = route_yaml(
            &file.provider,
            &path,
            public_url.as_deref(),
            case.secrets.len(),
        );
        let up = Upstream::ok().await;
        let clock = TestClock::at(case.signed_at);
        let proxy = Proxy::start(&yaml, &up.url(), &env, clock.clock()).await;
        let content_type = case.content_type.as_deref().unwrap_or("application/json");
        let mut headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        headers.push(("content-type", content_type));
        let ctx = format!("{} / {}", file.provider, case.name);
        let url = proxy.url(&target);

        // Genuine: forwarded with the exact bytes.
        let a = post_exact(&url, &headers, body.clone()).await;
        assert_eq!(a.status, 200, "{ctx}: {:?}", a.body);
        assert_eq!(
            a.headers.get("x-upstream").map(|v| v.as_bytes()),
            Some(&b"yes"[..]),
            "{ctx}"
        );
        let seen = up.requests();
        assert_eq!(seen.len(), 1, "{ctx}");
        assert_eq!(
            seen[0].body.as_ref(),
            body.as_slice(),
            "{ctx}: body changed on the way"
        );
        // A Content-Encoding the sender sent reaches the app as sent (Airship's gzip: the app
        // gets the compressed bytes, hookgate verified their decoded JSON).
        let encoding = case
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-encoding"))
            .map(|(_, v)| v.as_str());
        assert_eq!(
            seen[0]
                .headers
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{ctx}: Content-Encoding changed on the way"
        );
        assert_eq!(seen[0].headers["hookgate-verified"], "r", "{ctx}");

        // The same delivery again: a duplicate, not forwarded (unless the preset cannot tell
        // deliveries apart and dedups nothing: Dropbox).
        let a = post_exact(&url, &headers, body.clone()).await;
        assert_eq!(a.status, 200, "{ctx}");
        let forwarded = if preset.dedup_key.sources.is_empty() {
            assert!(a.headers.get("hookgate-duplicate").is_none(), "{ctx}");
            2
        } else {
            assert_eq!(
                a.headers["hookgate-duplicate"], "true",
                "{ctx}: event id {:?}",
                case.event_id
            );
            1
        };
        assert_eq!(up.count(), forwarded, "{ctx}: duplicate forwarded");

        // Tampered body: one byte changed (schemes that sign the body only).
        if scheme.signs_body() {
            let mut tampered = body.clone();
            let i = tampered.len() / 2;
            tampered[i] ^= 0x01;
            let a = post_exact(&url, &headers, tampered).await;
            if scheme.decode_gzip && encoding.is_some() && a.status == 400 {
                // A changed byte of a gzip stream mostly breaks it (its CRC): undecodable.
                assert_eq!(a.error(), "bad_request", "{ctx}");
            } else {
                assert_eq!(a.status, 401, "{ctx}");
                assert_eq!(a.error(), "invalid_signature", "{ctx}");
            }
        }

        // No signature header at all.
        if scheme.signature_json.is_none() {
            let sig_headers: Vec<String> = scheme
                .headers
                .iter()
                .map(|s| s.signature.to_string())
                .chain(
                    scheme
                        .extra_signature_headers
                        .iter()
                        .map(ToString::to_string),
                )
                .collect();
            let without: Vec<(&str, &str)> = headers
                .iter()
                .copied()
                .filter(|(n, _)| !sig_headers.iter().any(|s| n.eq_ignore_ascii_case(s)))
                .collect();
            let a = post_exact(&url, &without, body.clone()).await;
            assert_eq!(a.status, 401, "{ctx}");
            assert_eq!(a.error(), "missing_signature", "{ctx}");
        }

        if scheme.timestamp.is_some() {
            // Replayed after the window, and from too far in the future.
            let max_age = preset
                .max_age
                .map_or(300, |d| i64::try_from(d.as_secs()).unwrap());
            clock.set(case.signed_at + max_age + 1);
            let a = post_exact(&url, &headers, body.clone()).await;
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "stale_timestamp".into()),
                "{ctx}"
            );
            clock.set(case.signed_at - 61);
            let a = post_exact(&url, &headers, body.clone()).await;
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "stale_timestamp".into()),
                "{ctx}"
            );
            clock.set(case.signed_at);
        }
        assert_eq!(
            up.count(),
            forwarded,
            "{ctx}: a rejected request reached the upstream"
        );

        // A wrong secret verifies nothing.
        let wrong_secret = case
            .wrong_secret
            .as_deref()
            .unwrap_or_else(|| default_wrong_secret(scheme));
        let wrong = Proxy::start(
            &route_yaml(&file.provider, &path, public_url.as_deref(), 1),
            &up.url(),
            &[("S0", wrong_secret)],
            TestClock::at(case.signed_at).clock(),
        )
        .await;
        let a = post_exact(&wrong.url(&target), &headers, body.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into()),
            "{ctx}"
        );
        assert_eq!(up.count(), forwarded, "{ctx}");
        proxy.stop().await;
        wrong.stop().await;
    }
}
