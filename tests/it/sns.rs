//! `provider: sns` end to end: messages signed as SNS signs them (tools/vectors/sns, checked by
//! AWS's validator) through the real proxy, with the signing certificate served by a local
//! HTTPS "sns.us-east-1.amazonaws.com" (`fetch.resolve` + `fetch.ca_file`). The certificate is
//! fetched once and cached; forgeries, foreign topics and certificate URLs off SNS's hosts are
//! refused without a fetch; a fetch failure is a 503 + Retry-After (never 401), and recovers;
//! subscriptions are confirmed only when the route says so.

use base64::Engine as _;
use serde::Deserialize;

use crate::harness::*;
use crate::keyserver::KeyServer;

const SNS_HOST: &str = "sns.us-east-1.amazonaws.com";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:hookgate-test";

#[derive(Deserialize)]
struct Fixture {
    signing_cert_url: String,
    certificate_pem: String,
    cases: Vec<Case>,
}

#[derive(Deserialize, Clone)]
struct Case {
    name: String,
    signed_at: i64,
    headers: Vec<(String, String)>,
    body_b64: String,
    content_type: String,
    event_id: String,
}

impl Case {
    fn body(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.body_b64)
            .unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body()).unwrap()
    }

    fn headers(&self) -> Vec<(&str, &str)> {
        let mut h: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        h.push(("content-type", self.content_type.as_str()));
        h
    }
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sns/sns.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn case<'f>(f: &'f Fixture, name: &str) -> &'f Case {
    f.cases.iter().find(|c| c.name == name).unwrap()
}

/// The certificate's path on the SNS host.
fn cert_path(f: &Fixture) -> String {
    let uri: http::Uri = f.signing_cert_url.parse().unwrap();
    assert_eq!(uri.host(), Some(SNS_HOST));
    uri.path().to_owned()
}

struct Setup {
    f: Fixture,
    keys: KeyServer,
    up: Upstream,
    proxy: Proxy,
    clock: TestClock,
}

async fn setup(route_extra: &str) -> Setup {
    let f = fixture();
    let keys = KeyServer::start(&[SNS_HOST]).await;
    keys.serve(&cert_path(&f), f.certificate_pem.clone());
    let yaml = format!(
        "upstream: {{ url: \"{{upstream}}\" }}\n{}routes:\n  - name: sns\n    path: /hooks/sns\n    provider: sns\n{route_extra}",
        keys.fetch_yaml(&[SNS_HOST])
    );
    let up = Upstream::ok().await;
    let clock = TestClock::at(f.cases[0].signed_at);
    let proxy = Proxy::start(&yaml, &up.url(), &[], clock.clock()).await;
    Setup {
        f,
        keys,
        up,
        proxy,
        clock,
    }
}

fn topics(list: &[&str]) -> String {
    let quoted: Vec<String> = list.iter().map(|t| format!("\"{t}\"")).collect();
    format!("    sns: {{ topic_arns: [{}] }}\n", quoted.join(", "))
}

#[tokio::test]
async fn signed_messages_are_forwarded_and_the_certificate_fetched_once() {
    let s = setup(&topics(&[TOPIC])).await;
    let url = s.proxy.url("/hooks/sns");
    for c in &s.f.cases {
        s.clock.set(c.signed_at);
        let a = post_exact(&url, &c.headers(), c.body()).await;
        assert_eq!(a.status, 200, "{}: {:?}", c.name, a.body);
        let got = s.up.requests().pop().unwrap();
        assert_eq!(got.body, c.body(), "{}: the exact bytes", c.name);
        assert_eq!(
            got.headers.get("hookgate-event-id").unwrap(),
            c.event_id.as_str(),
            "{}",
            c.name
        );
        assert_eq!(
            got.headers.get("hookgate-verified").unwrap(),
            "sns",
            "{}",
            c.name
        );
        // A redelivery (same MessageId) is answered, not forwarded again.
        let before = s.up.count();
        let again = post_exact(&url, &c.headers(), c.body()).await;
        assert_eq!(again.status, 200, "{}", c.name);
        assert_eq!(s.up.count(), before, "{}: duplicate forwarded", c.name);
    }
    // Every message named the same certificate: one fetch for all of them.
    assert_eq!(s.keys.seen(), vec![cert_path(&s.f)]);
    assert_eq!(
        s.proxy
            .metric("hookgate_verified_total{route=\"sns\",secret=\"sns-certificate\"}")
            .await,
        // Each genuine message and its redelivery verified.
        2.0 * s.f.cases.len() as f64
    );
    s.proxy.stop().await;
}

#[tokio::test]
async fn forgeries_foreign_topics_and_foreign_certificates_are_refused() {
    let s = setup(&topics(&[TOPIC])).await;
    let url = s.proxy.url("/hooks/sns");
    let c = case(&s.f, "basic_v1");
    s.clock.set(c.signed_at);

    // A changed Message: the signature no longer matches.
    let mut body = c.json();
    body["Message"] = serde_json::json!("forged");
    let a = post_exact(&url, &c.headers(), serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(a.error(), "invalid_signature");

    // A certificate off SNS's hosts is never fetched.
    let fetched = s.keys.seen().len();
    let mut body = c.json();
    body["SigningCertURL"] = serde_json::json!("https://evil.example.com/cert.pem");
    let a = post_exact(&url, &c.headers(), serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    let mut body = c.json();
    body["SigningCertURL"] = serde_json::json!("http://sns.us-east-1.amazonaws.com/cert.pem");
    let a = post_exact(&url, &c.headers(), serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(s.keys.seen().len(), fetched, "{:?}", s.keys.seen());

    // A field SNS does not send: refused (the app would read unsigned data).
    let mut body = c.json();
    body["Extra"] = serde_json::json!("smuggled");
    let a = post_exact(&url, &c.headers(), serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);

    // An x-amz-sns-* header that says otherwise than the signed body.
    let mut headers = c.headers();
    headers.retain(|(n, _)| *n != "x-amz-sns-topic-arn");
    headers.push((
        "x-amz-sns-topic-arn",
        "arn:aws:sns:us-east-1:999999999999:other",
    ));
    let a = post_exact(&url, &headers, c.body()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(s.up.count(), 0);

    // The genuine message still goes through (nothing above was remembered).
    let a = post_exact(&url, &c.headers(), c.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    s.proxy.stop().await;

    // Signed by SNS, but for a topic this route does not list.
    let s = setup(&topics(&["arn:aws:sns:us-east-1:123456789012:another"])).await;
    s.clock.set(c.signed_at);
    let a = post_exact(&s.proxy.url("/hooks/sns"), &c.headers(), c.body()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(s.up.count(), 0);
    s.proxy.stop().await;
}

#[tokio::test]
async fn a_stale_message_is_refused() {
    let s = setup(&topics(&[TOPIC])).await;
    let c = case(&s.f, "basic_v1");
    // The preset's window is an hour and five minutes (SNS retries for at most an hour).
    s.clock.set(c.signed_at + 3600 + 5 * 60 + 10);
    let a = post_exact(&s.proxy.url("/hooks/sns"), &c.headers(), c.body()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(a.error(), "stale_timestamp");
    s.clock.set(c.signed_at + 3600);
    let a = post_exact(&s.proxy.url("/hooks/sns"), &c.headers(), c.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    s.proxy.stop().await;
}

#[tokio::test]
async fn a_failed_certificate_fetch_is_a_503_with_retry_after_then_recovers() {
    let s = setup(&topics(&[TOPIC])).await;
    let url = s.proxy.url("/hooks/sns");
    let c = case(&s.f, "basic_v1");
    s.clock.set(c.signed_at);
    s.keys.fail(Some(500));
    let a = post_exact(&url, &c.headers(), c.body()).await;
    assert_eq!(a.status, 503, "{:?}", a.body);
    assert_eq!(a.error(), "key_unavailable");
    let retry: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert_eq!(s.up.count(), 0);
    // The failure is remembered for a moment (no fetch per request)...
    let a = post_exact(&url, &c.headers(), c.body()).await;
    assert_eq!(a.status, 503);
    assert_eq!(s.keys.seen().len(), 1, "{:?}", s.keys.seen());
    // ...then, the host healthy again, the next request fetches and goes through.
    let cert = format!("https://{SNS_HOST}{}", cert_path(&s.f));
    let failing = format!("hookgate_fetch_failing{{url=\"{cert}\"}}");
    assert_eq!(s.proxy.metric(&failing).await, 1.0);
    s.keys.fail(None);
    s.clock.set(c.signed_at + 60);
    let a = post_exact(&url, &c.headers(), c.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(s.up.count(), 1);
    assert_eq!(s.proxy.metric(&failing).await, 0.0);
    s.clock.set(c.signed_at + 90);
    let age = format!("hookgate_fetch_document_age_seconds{{url=\"{cert}\"}}");
    assert_eq!(s.proxy.metric(&age).await, 30.0);
    assert_eq!(
        s.proxy
            .metric("hookgate_requests_total{outcome=\"key_unavailable\",route=\"sns\"}")
            .await,
        2.0
    );
    s.proxy.stop().await;
}

#[tokio::test]
async fn subscriptions_are_confirmed_only_when_the_route_says_so() {
    let c_name = "subscription_confirmation";
    // Default: the verified confirmation goes to the app, which confirms it itself.
    let s = setup(&topics(&[TOPIC])).await;
    let c = case(&s.f, c_name).clone();
    s.clock.set(c.signed_at);
    let a = post_exact(&s.proxy.url("/hooks/sns"), &c.headers(), c.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(s.up.count(), 1);
    assert_eq!(s.keys.seen(), vec![cert_path(&s.f)]);
    s.proxy.stop().await;

    // confirm_subscription: hookgate GETs the signed SubscribeURL and answers; the app sees
    // nothing.
    let s = setup(&format!(
        "    sns: {{ topic_arns: [\"{TOPIC}\"], confirm_subscription: true }}\n"
    ))
    .await;
    let subscribe: http::Uri = c.json()["SubscribeURL"].as_str().unwrap().parse().unwrap();
    s.keys.serve("/", "<ConfirmSubscriptionResponse/>");
    s.clock.set(c.signed_at);
    let url = s.proxy.url("/hooks/sns");
    let a = post_exact(&url, &c.headers(), c.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(s.up.count(), 0);
    assert_eq!(
        s.keys.seen(),
        vec![
            cert_path(&s.f),
            subscribe.path_and_query().unwrap().as_str().to_owned()
        ]
    );
    // A forged confirmation (its SubscribeURL changed) confirms nothing.
    let mut body = c.json();
    body["SubscribeURL"] = serde_json::json!(format!("https://{SNS_HOST}/?Action=Evil"));
    let a = post_exact(&url, &c.headers(), serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(s.keys.seen().len(), 2);
    // Notifications still reach the app.
    let n = case(&s.f, "basic_v1");
    s.clock.set(n.signed_at);
    let a = post_exact(&url, &n.headers(), n.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(s.up.count(), 1);
    s.proxy.stop().await;
}

#[tokio::test]
async fn an_sns_route_needs_its_topics_and_takes_no_secrets() {
    let parse = |extra: &str| route_config_error("sns", extra);
    let err = parse("").unwrap();
    assert!(err.contains("topic_arns"), "{err}");
    let err = parse(&format!(
        "{}    secrets: [{{ env: X }}]\n",
        topics(&[TOPIC])
    ))
    .unwrap();
    assert!(err.contains("leave secrets out"), "{err}");
    let err = parse("    sns: { topic_arns: [\"not-an-arn\"] }\n").unwrap();
    assert!(err.contains("not a topic ARN"), "{err}");
    assert_eq!(parse(&topics(&[TOPIC])), None);
}

#[tokio::test]
async fn observe_mode_forwards_with_the_verdict_when_the_certificate_cannot_be_had() {
    let s = setup(&format!("{}    mode: observe\n", topics(&[TOPIC]))).await;
    let c = case(&s.f, "basic_v1");
    s.clock.set(c.signed_at);
    s.keys.fail(Some(500));
    let a = post_exact(&s.proxy.url("/hooks/sns"), &c.headers(), c.body()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let got = s.up.requests().pop().unwrap();
    assert_eq!(got.body, c.body());
    assert!(got.headers.get("hookgate-verified").is_none());
    assert_eq!(
        got.headers.get("hookgate-verdict").unwrap(),
        "key_unavailable"
    );
    s.proxy.stop().await;
}
