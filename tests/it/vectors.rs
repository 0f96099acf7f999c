//! Provider fixtures (signed by the providers' own SDKs, see tools/vectors) replayed through the
//! real proxy with the clock set to the time they were signed.

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
}

fn load(name: &str) -> File {
    let path = format!(
        "{}/tests/fixtures/vectors/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn route_yaml(provider: &str, n_secrets: usize) -> String {
    let mut y = format!(
        "upstream: {{ url: \"{{upstream}}\" }}\nroutes:\n  - name: r\n    path: /hook\n    provider: {provider}\n    secrets:\n"
    );
    for i in 0..n_secrets {
        y.push_str(&format!("      - {{ id: s{i}, env: S{i} }}\n"));
    }
    y
}

fn has_timestamp(provider: &str) -> bool {
    provider != "github"
}

async fn replay(name: &str) {
    let file = load(name);
    assert!(!file.cases.is_empty());
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
        let up = Upstream::ok().await;
        let clock = TestClock::at(case.signed_at);
        let proxy = Proxy::start(
            &route_yaml(&file.provider, case.secrets.len()),
            &up.url(),
            &env,
            clock.clock(),
        )
        .await;
        let headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let ctx = format!("{} / {}", file.provider, case.name);

        // Genuine: forwarded with the exact bytes.
        let a = post(&proxy.url("/hook"), &headers, body.clone()).await;
        assert_eq!(a.status, 200, "{ctx}: {:?}", a.body);
        assert_eq!(a.headers["x-upstream"], "yes", "{ctx}");
        let seen = up.requests();
        assert_eq!(seen.len(), 1, "{ctx}");
        assert_eq!(
            seen[0].body.as_ref(),
            body.as_slice(),
            "{ctx}: body changed on the way"
        );
        assert_eq!(seen[0].headers["hookgate-verified"], "r", "{ctx}");

        // The same delivery again: a duplicate, not forwarded.
        let a = post(&proxy.url("/hook"), &headers, body.clone()).await;
        assert_eq!(a.status, 200, "{ctx}");
        assert_eq!(a.headers["hookgate-duplicate"], "true", "{ctx}");
        assert_eq!(up.count(), 1, "{ctx}: duplicate forwarded");
        assert_eq!(
            proxy
                .metric("hookgate_requests_total{outcome=\"duplicate\",route=\"r\"}")
                .await,
            1.0,
            "{ctx}: event id {:?}",
            case.event_id
        );

        // Tampered body: one byte changed.
        let mut tampered = body.clone();
        let i = tampered.len() / 2;
        tampered[i] ^= 0x01;
        let a = post(&proxy.url("/hook"), &headers, tampered).await;
        assert_eq!(a.status, 401, "{ctx}");
        assert_eq!(a.error(), "invalid_signature", "{ctx}");

        // No signature header at all.
        let sig_header = match file.provider.as_str() {
            "stripe" => "stripe-signature",
            "github" => "x-hub-signature-256",
            "tolinku" => "x-webhook-signature",
            "svix" => "svix-signature",
            _ => "webhook-signature",
        };
        let without: Vec<(&str, &str)> = headers
            .iter()
            .copied()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(sig_header))
            .collect();
        let a = post(&proxy.url("/hook"), &without, body.clone()).await;
        assert_eq!(a.status, 401, "{ctx}");
        assert_eq!(a.error(), "missing_signature", "{ctx}");

        if has_timestamp(&file.provider) {
            // Replayed after the window, and from too far in the future.
            clock.set(case.signed_at + 301);
            let a = post(&proxy.url("/hook"), &headers, body.clone()).await;
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "stale_timestamp".into()),
                "{ctx}"
            );
            clock.set(case.signed_at - 61);
            let a = post(&proxy.url("/hook"), &headers, body.clone()).await;
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "stale_timestamp".into()),
                "{ctx}"
            );
        }
        assert_eq!(
            up.count(),
            1,
            "{ctx}: a rejected request reached the upstream"
        );

        // A wrong secret verifies nothing.
        let wrong = Proxy::start(
            &route_yaml(&file.provider, 1),
            &up.url(),
            &[("S0", "whsec_d3JvbmctYnV0LXZhbGlkLWJhc2U2NA==")],
            TestClock::at(case.signed_at).clock(),
        )
        .await;
        let a = post(&wrong.url("/hook"), &headers, body.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into()),
            "{ctx}"
        );
        assert_eq!(up.count(), 1, "{ctx}");
        proxy.stop().await;
        wrong.stop().await;
    }
}

#[tokio::test]
async fn stripe_fixtures() {
    replay("stripe").await;
}

#[tokio::test]
async fn github_fixtures() {
    replay("github").await;
}

#[tokio::test]
async fn standard_webhooks_fixtures() {
    replay("standard-webhooks").await;
}

#[tokio::test]
async fn svix_fixtures() {
    replay("svix").await;
}

#[tokio::test]
async fn tolinku_fixtures() {
    replay("tolinku").await;
}
