//! `/debug/rejections` on the admin port: why recent deliveries were refused, in metadata
//! only. No secret, no signature (received or expected) may appear in it.

use http::Request;
use http_body_util::Full;
use sha2::Digest;

use crate::harness::*;
use crate::proxy::{config, refs, signed, ENV, OLD_SECRET, SECRET};

const T0: i64 = 1_764_000_000;

async fn rejections(proxy: &Proxy) -> (String, serde_json::Value) {
    let r = send(
        Request::get(format!("http://{}/debug/rejections", proxy.admin))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    let v = serde_json::from_str(&text).unwrap();
    (text, v)
}

fn sha256_hex(b: &str) -> String {
    hex::encode(sha2::Sha256::digest(b.as_bytes()))
}

#[tokio::test]
async fn rejections_are_listed_with_metadata_and_nothing_secret() {
    let up = Upstream::ok().await;
    let clock = TestClock::at(T0);
    let proxy = Proxy::start(
        &config("", "admin: { debug: true }"),
        &up.url(),
        ENV,
        clock.clock(),
    )
    .await;
    let url = proxy.url("/hook");

    // Forwarded: not a rejection.
    let good = r#"{"id":"evt_ok"}"#;
    assert_eq!(
        post(&url, &refs(&signed(SECRET, T0, good)), good)
            .await
            .status,
        200
    );
    // Forged (a wrong secret), stale (the old secret, an hour ago), unsigned, and a wrong path.
    let forged_body = r#"{"id":"evt_forged","amount":1}"#;
    let forged = signed("not-the-secret", T0, forged_body);
    let a = post_exact(
        &url,
        &[
            ("content-type", "application/vnd.test+json"),
            (&forged[0].0, &forged[0].1),
            (&forged[1].0, &forged[1].1),
        ],
        forged_body,
    )
    .await;
    assert_eq!(a.error(), "invalid_signature");
    let stale_body = r#"{"id":"evt_stale"}"#;
    let stale = signed(OLD_SECRET, T0 - 3600, stale_body);
    assert_eq!(
        post(&url, &refs(&stale), stale_body).await.error(),
        "stale_timestamp"
    );
    assert_eq!(post(&url, &[], "{}").await.error(), "missing_signature");
    let lost = post(&proxy.url("/webhooks/nope?token=hunter2"), &[], "{}").await;
    assert_eq!(lost.error(), "no_route");

    let (text, v) = rejections(&proxy).await;
    assert_eq!(v["capacity"], 100, "the default");
    assert_eq!(v["count"], 4);
    let list = v["rejections"].as_array().unwrap();
    let outcomes: Vec<&str> = list
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "no_route",
            "missing_signature",
            "stale_timestamp",
            "invalid_signature"
        ],
        "newest first"
    );

    let (no_route, missing, stale_r, forged_r) = (&list[0], &list[1], &list[2], &list[3]);
    assert_eq!(no_route["route"], "none");
    assert_eq!(
        no_route["path"], "/webhooks/nope",
        "the query string is not kept"
    );
    assert_eq!(no_route["status"], 404);

    assert_eq!(
        missing["secrets_tried"],
        serde_json::json!([]),
        "nothing to compare"
    );
    // Refused on its head alone: unsigned junk never gets its body read.
    assert_eq!(missing["body_len"], serde_json::Value::Null);

    assert_eq!(forged_r["route"], "custom");
    assert_eq!(forged_r["method"], "POST");
    assert_eq!(forged_r["path"], "/hook");
    assert_eq!(forged_r["status"], 401);
    assert_eq!(forged_r["observe"], false);
    assert_eq!(forged_r["body_len"], forged_body.len());
    assert_eq!(forged_r["body_sha256"], sha256_hex(forged_body));
    assert_eq!(forged_r["content_type"], "application/vnd.test+json");
    assert_eq!(
        forged_r["secrets_tried"],
        serde_json::json!(["current", "old"])
    );
    assert_eq!(forged_r["secret_matched"], serde_json::Value::Null);
    assert_eq!(forged_r["skew_seconds"], serde_json::Value::Null);
    assert!(forged_r["message"]
        .as_str()
        .unwrap()
        .contains("no configured secret produces this signature"));
    assert_eq!(forged_r["time"], "2025-11-24T16:00:00Z");

    // Authentic but stale: which secret signed it, and by how much it is late.
    assert_eq!(
        stale_r["secrets_tried"],
        serde_json::json!(["current", "old"])
    );
    assert_eq!(stale_r["secret_matched"], "old");
    assert_eq!(stale_r["skew_seconds"], 3600.0);

    // Nothing that would help a forger: no secret, no signature sent, no signature expected.
    let expected_forged = signed(SECRET, T0, forged_body);
    let expected_stale = signed(OLD_SECRET, T0 - 3600, stale_body);
    for needle in [
        SECRET,
        OLD_SECRET,
        "hunter2",
        forged[0].1.trim_start_matches("sha256="),
        expected_forged[0].1.trim_start_matches("sha256="),
        expected_stale[0].1.trim_start_matches("sha256="),
        "evt_forged",
    ] {
        assert!(
            !text.contains(needle),
            "/debug/rejections shows {needle:?}:\n{text}"
        );
    }
    proxy.stop().await;
}

#[tokio::test]
async fn the_buffer_is_bounded_and_observe_verdicts_are_listed() {
    let up = Upstream::ok().await;
    let clock = TestClock::at(T0);
    let observed = r#"
  - name: watched
    path: /watched
    provider: github
    mode: observe
    secrets: [ { env: CUR } ]
"#;
    let proxy = Proxy::start(
        &config(
            observed,
            "diagnostics: { recent_rejections: 2 }\nadmin: { debug: true }",
        ),
        &up.url(),
        ENV,
        clock.clock(),
    )
    .await;
    for i in 0..5 {
        let body = format!("{{\"n\":{i}}}");
        let forged = signed("not-the-secret", T0, &body);
        let a = post(&proxy.url("/hook"), &refs(&forged), body).await;
        assert_eq!(a.status, 401);
    }
    // Observe mode forwards a forgery, and lists it as what enforcing would have said.
    let a = post(
        &proxy.url("/watched"),
        &[("X-Hub-Signature-256", "sha256=00")],
        "{}",
    )
    .await;
    assert_eq!(a.status, 200);
    let (_, v) = rejections(&proxy).await;
    assert_eq!(v["capacity"], 2);
    assert_eq!(v["count"], 2);
    let list = v["rejections"].as_array().unwrap();
    assert_eq!(list[0]["route"], "watched");
    assert_eq!(list[0]["outcome"], "invalid_signature");
    assert_eq!(list[0]["observe"], true);
    assert_eq!(list[0]["status"], 200);
    assert_eq!(
        list[1]["body_sha256"],
        sha256_hex(r#"{"n":4}"#),
        "the newest kept"
    );
    proxy.stop().await;
}

#[tokio::test]
async fn the_admin_port_answers_only_what_it_must() {
    let admin_get = async |proxy: &Proxy, method: &str, path: &str, auth: Option<&str>| {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", proxy.admin));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        send(req.body(Full::default()).unwrap()).await
    };
    let up = Upstream::ok().await;
    // By default /debug/* is off, and the metrics and probes take GET and HEAD only.
    let proxy = Proxy::start(&config("", ""), &up.url(), ENV, TestClock::at(T0).clock()).await;
    assert_eq!(
        admin_get(&proxy, "GET", "/debug/rejections", None)
            .await
            .status,
        404
    );
    assert_eq!(admin_get(&proxy, "GET", "/metrics", None).await.status, 200);
    assert_eq!(admin_get(&proxy, "HEAD", "/readyz", None).await.status, 200);
    let post = admin_get(&proxy, "POST", "/metrics", None).await;
    assert_eq!(post.status, 405);
    assert_eq!(post.headers["allow"], "GET, HEAD");
    assert_eq!(
        admin_get(&proxy, "DELETE", "/healthz", None).await.status,
        405
    );
    proxy.stop().await;

    // On, with a token from a file: only a matching bearer is answered, and only to GET.
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("admin-token");
    std::fs::write(&token, "s3cret-admin-token\n").unwrap();
    let yaml = config(
        "",
        &format!(
            "admin: {{ debug: true, token: {{ file: {} }} }}",
            token.display()
        ),
    );
    let proxy = Proxy::start(&yaml, &up.url(), ENV, TestClock::at(T0).clock()).await;
    let path = "/debug/rejections";
    let none = admin_get(&proxy, "GET", path, None).await;
    assert_eq!(none.status, 401);
    assert!(none.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    for wrong in [
        "Bearer s3cret-admin-tokeN",
        "Bearer ",
        "Basic s3cret-admin-token",
        "s3cret-admin-token",
    ] {
        assert_eq!(
            admin_get(&proxy, "GET", path, Some(wrong)).await.status,
            401,
            "{wrong}"
        );
    }
    let right = Some("Bearer s3cret-admin-token");
    assert_eq!(admin_get(&proxy, "GET", path, right).await.status, 200);
    assert_eq!(admin_get(&proxy, "POST", path, right).await.status, 405);
    // The metrics and probes need no token.
    assert_eq!(admin_get(&proxy, "GET", "/metrics", None).await.status, 200);
    proxy.stop().await;
}
