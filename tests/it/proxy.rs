//! End-to-end behaviour on a generic route: forwarding, rejection, rotation, dedup states,
//! upstream failures, header hygiene, metrics.

use std::sync::Arc;
use std::time::Duration;

use crate::harness::*;

pub const SECRET: &str = "s3cr3t-current-key";
pub const OLD_SECRET: &str = "s3cr3t-old-key";

pub fn config(extra_route: &str, top: &str) -> String {
    format!(
        r#"
upstream: {{ url: "{{upstream}}", timeout: 2s }}
{top}
routes:
  - name: custom
    path: /hook
    verify:
      header: X-Signature
      prefix: "sha256="
      separator: ","
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp, format: unix }}
    dedup_key: {{ json: /id }}
    secrets:
      - {{ id: current, env: CUR }}
      - {{ id: old, env: OLD }}
{extra_route}
"#
    )
}

pub const ENV: &[(&str, &str)] = &[("CUR", SECRET), ("OLD", OLD_SECRET)];

/// The load error of `config(route, top)` (upstream filled in, `ENV`'s secrets), if any.
pub fn config_error(route: &str, top: &str) -> Option<String> {
    hookgate::config::parse(
        &config(route, top).replace("{upstream}", "http://127.0.0.1:1"),
        "test.yaml",
        std::path::Path::new("."),
        &|n: &str| {
            ENV.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        },
        hookgate::config::Secrets::Load,
    )
    .err()
    .map(|e| e.to_string())
}

pub fn signed(secret: &str, ts: i64, body: &str) -> Vec<(String, String)> {
    let ts = ts.to_string();
    let sig = hmac_sha256_hex(secret.as_bytes(), &[ts.as_bytes(), b".", body.as_bytes()]);
    vec![
        ("X-Signature".into(), format!("sha256={sig}")),
        ("X-Timestamp".into(), ts),
    ]
}

pub fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

pub async fn setup(upstream: Upstream) -> (Upstream, Proxy, TestClock) {
    let clock = TestClock::at(1_764_000_000);
    let proxy = Proxy::start(&config("", ""), &upstream.url(), ENV, clock.clock()).await;
    (upstream, proxy, clock)
}

#[tokio::test]
async fn genuine_request_is_forwarded_byte_identical() {
    let (up, proxy, clock) = setup(Upstream::ok().await).await;
    // Odd whitespace, escaped and raw non-ASCII, CRLF: bytes a re-serialiser would change.
    let body = "{ \"id\" : \"evt_1\",\r\n\t\"name\":\"caf\\u00e9 ☕ é\" ,\"n\": 1.50 }  ";
    let h = signed(SECRET, 1_764_000_000, body);
    let mut headers = refs(&h);
    headers.push(("Hookgate-Verified", "forged-route"));
    headers.push(("Hookgate-Anything", "x"));
    headers.push(("Connection", "keep-alive, X-Drop-Me"));
    headers.push(("X-Drop-Me", "secret-ish"));
    headers.push(("X-Forwarded-For", "10.1.2.3"));
    let a = post(&format!("{}?a=1&b=%20", proxy.url("/hook")), &headers, body).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body.as_ref(), b"{\"ok\":true}");
    assert_eq!(
        a.headers["x-upstream"], "yes",
        "the upstream's headers are relayed"
    );
    let r = &up.requests()[0];
    assert_eq!(r.body.as_ref(), body.as_bytes());
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path_and_query().unwrap().as_str(), "/hook?a=1&b=%20");
    assert_eq!(
        r.headers
            .get_all("hookgate-verified")
            .iter()
            .collect::<Vec<_>>(),
        vec!["custom"]
    );
    assert!(r.headers.get("hookgate-anything").is_none());
    assert!(
        r.headers.get("x-drop-me").is_none(),
        "headers named by Connection are hop-by-hop"
    );
    assert_eq!(r.headers["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
    assert_eq!(r.headers["x-forwarded-proto"], "http");
    assert!(r.headers.get("x-forwarded-host").is_some());
    let _ = clock;
    assert_eq!(
        proxy
            .metric("hookgate_verified_total{route=\"custom\",secret=\"current\"}")
            .await,
        1.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"forwarded\",route=\"custom\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn forgeries_are_rejected_and_never_forwarded() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let body = r#"{"id":"evt_2"}"#;
    let good = signed(SECRET, 1_764_000_000, body);
    let url = proxy.url("/hook");
    let sig = &good[0].1;
    let ts = &good[1].1;

    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("X-Timestamp", ts)], body, "missing_signature"),
        (vec![("X-Signature", sig)], body, "invalid_timestamp"),
        (
            vec![("X-Signature", sig), ("X-Timestamp", ts)],
            r#"{"id":"evt_3"}"#,
            "invalid_signature",
        ),
        (
            vec![("X-Signature", "sha256=zz"), ("X-Timestamp", ts)],
            body,
            "invalid_signature",
        ),
        (
            vec![("X-Signature", "sha256="), ("X-Timestamp", ts)],
            body,
            "invalid_signature",
        ),
        (
            vec![("X-Signature", "nonsense"), ("X-Timestamp", ts)],
            body,
            "invalid_signature",
        ),
        (
            vec![("X-Signature", &sig[7..]), ("X-Timestamp", ts)],
            body,
            "invalid_signature",
        ),
        (
            vec![("X-Signature", sig), ("X-Timestamp", "1764000001")],
            body,
            "invalid_signature",
        ),
        // A timestamp that is no unix time is named before the body is read, signature or not.
        (
            vec![("X-Signature", sig), ("X-Timestamp", "1764000000.0")],
            body,
            "invalid_timestamp",
        ),
    ];
    // Properly signed, but the signed timestamp itself is not a unix time.
    let bad_ts: Vec<(String, String)> = [
        "1764000000.0",
        "-1",
        "+1764000000",
        "99999999999999999999999",
        "1e9",
    ]
    .iter()
    .map(|t| {
        let s = hmac_sha256_hex(SECRET.as_bytes(), &[t.as_bytes(), b".", body.as_bytes()]);
        (format!("sha256={s}"), (*t).to_owned())
    })
    .collect();
    let mut cases = cases;
    for (s, t) in &bad_ts {
        cases.push((
            vec![("X-Signature", s.as_str()), ("X-Timestamp", t.as_str())],
            body,
            "invalid_timestamp",
        ));
    }
    for (headers, b, want) in &cases {
        let a = post(&url, headers, b.to_string()).await;
        assert_eq!(a.status, 401, "{headers:?}");
        assert_eq!(a.error(), *want, "{headers:?}");
        let msg = a.json()["message"].as_str().unwrap().to_owned();
        assert!(
            !msg.contains(SECRET) && !msg.contains(&sig[7..]),
            "message leaks: {msg}"
        );
    }
    // Signed with a secret the route does not hold.
    let wrong = signed("not-the-secret", 1_764_000_000, body);
    let a = post(&url, &refs(&wrong), body).await;
    assert_eq!(a.error(), "invalid_signature");
    // Invalid UTF-8 in a header value and a binary body.
    let a = send(
        http::Request::post(&url)
            .header(
                "X-Signature",
                http::HeaderValue::from_bytes(b"sha256=\xff\xfe").unwrap(),
            )
            .header("X-Timestamp", ts.as_str())
            .body(http_body_util::Full::new(bytes::Bytes::from_static(
                b"\xff\x00\xfe",
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(a.error(), "invalid_signature");
    assert_eq!(
        up.count(),
        0,
        "nothing unauthenticated may reach the upstream"
    );
    // The forgeries claimed nothing: the genuine delivery still goes through.
    let a = post(&url, &refs(&good), body).await;
    assert_eq!(a.status, 200);
    assert_eq!(up.count(), 1);
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"invalid_signature\",route=\"custom\"}")
            .await,
        8.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"missing_signature\",route=\"custom\"}")
            .await,
        1.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"invalid_timestamp\",route=\"custom\"}")
            .await,
        7.0
    );
}

#[tokio::test]
async fn stale_and_future_timestamps() {
    let (up, proxy, clock) = setup(Upstream::ok().await).await;
    let t = 1_764_000_000;
    let url = proxy.url("/hook");
    // Default window: 5 minutes old, 1 minute ahead.
    for (ts, ok) in [
        (t - 300, true),
        (t - 301, false),
        (t + 60, true),
        (t + 61, false),
    ] {
        let body = format!(r#"{{"id":"evt_{ts}"}}"#);
        let a = post(&url, &refs(&signed(SECRET, ts, &body)), body).await;
        if ok {
            assert_eq!(a.status, 200, "ts offset {}", ts - t);
        } else {
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "stale_timestamp".to_owned()),
                "ts offset {}",
                ts - t
            );
        }
    }
    assert_eq!(up.count(), 2);
    // Skew is observed for verified requests.
    let m = proxy.metrics().await;
    assert!(
        m.contains("hookgate_timestamp_skew_seconds_count{route=\"custom\"} 2"),
        "{m}"
    );
    let _ = clock;
}

#[tokio::test]
async fn rotation_old_and_new_secrets_both_verify() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let url = proxy.url("/hook");
    let b1 = r#"{"id":"a"}"#;
    let b2 = r#"{"id":"b"}"#;
    assert_eq!(
        post(&url, &refs(&signed(SECRET, 1_764_000_000, b1)), b1)
            .await
            .status,
        200
    );
    assert_eq!(
        post(&url, &refs(&signed(OLD_SECRET, 1_764_000_000, b2)), b2)
            .await
            .status,
        200
    );
    // A sender mid-rotation sends both signatures in one header.
    let b3 = r#"{"id":"c"}"#;
    let ts = "1764000000";
    let s_unknown = hmac_sha256_hex(b"unknown", &[ts.as_bytes(), b".", b3.as_bytes()]);
    let s_old = hmac_sha256_hex(OLD_SECRET.as_bytes(), &[ts.as_bytes(), b".", b3.as_bytes()]);
    let both = format!("sha256={s_unknown},sha256={s_old}");
    let a = post(&url, &[("X-Signature", &both), ("X-Timestamp", ts)], b3).await;
    assert_eq!(a.status, 200);
    assert_eq!(up.count(), 3);
    assert_eq!(
        proxy
            .metric("hookgate_verified_total{route=\"custom\",secret=\"current\"}")
            .await,
        1.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_verified_total{route=\"custom\",secret=\"old\"}")
            .await,
        2.0
    );
}

#[tokio::test]
async fn duplicate_is_answered_without_forwarding() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let url = proxy.url("/hook");
    let body = r#"{"id":"evt_dup"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    assert_eq!(post(&url, &refs(&h), body).await.status, 200);
    // A retry, signed again at a later time: same event id, still a duplicate.
    let h2 = signed(SECRET, 1_764_000_010, body);
    for h in [&h, &h2] {
        let a = post(&url, &refs(h), body).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["hookgate-duplicate"], "true");
        assert!(a.headers.get("x-upstream").is_none());
    }
    assert_eq!(up.count(), 1);
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"duplicate\",route=\"custom\"}")
            .await,
        2.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_dedup_entries{route=\"custom\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn upstream_failure_releases_the_id_for_the_retry() {
    // 500, then 429, then 200: every attempt must reach the upstream; after the 200, duplicates.
    let up = Upstream::start(|n| Reply::status([500, 429, 200][n.min(2)])).await;
    let (up, proxy, _clock) = setup(up).await;
    let url = proxy.url("/hook");
    let body = r#"{"id":"evt_retry"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(post(&url, &refs(&h), body).await.status.as_u16());
        }
        v
    };
    assert_eq!(
        statuses,
        vec![500, 429, 200, 200],
        "the upstream's status is relayed"
    );
    assert_eq!(
        up.count(),
        3,
        "the fourth is a duplicate of an accepted delivery"
    );
    assert_eq!(
        proxy
            .metric("hookgate_upstream_responses_total{route=\"custom\",status_class=\"5xx\"}")
            .await,
        1.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_upstream_responses_total{route=\"custom\",status_class=\"4xx\"}")
            .await,
        1.0
    );
}

/// Each worker thread has its own event loop and upstream pool but they share one dedup store:
/// deliveries spread over many connections (so over the workers) are still forwarded once
/// each, and the workers stop cleanly.
#[tokio::test]
async fn workers_share_one_dedup_store() {
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(200))).await;
    let clock = TestClock::at(1_764_000_000);
    let proxy = Proxy::start(&config("", "workers: 4"), &up.url(), ENV, clock.clock()).await;
    let url = Arc::new(proxy.url("/hook"));
    let mut tasks = Vec::new();
    // 20 distinct deliveries, each sent 5 times at once, every send on its own connection.
    for i in 0..100 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"id":"evt_w{}"}}"#, i % 20);
            let h = signed(SECRET, 1_764_000_000, &body);
            (i % 20, post(&url, &refs(&h), body).await.status.as_u16())
        }));
    }
    let mut accepted = std::collections::BTreeMap::<usize, usize>::new();
    for t in tasks {
        let (id, status) = t.await.unwrap();
        assert!(status == 200 || status == 409, "{status}");
        if status == 200 {
            *accepted.entry(id).or_default() += 1;
        }
    }
    assert_eq!(up.count(), 20, "each delivery forwarded exactly once");
    let mut seen: Vec<String> = up
        .requests()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 20);
    assert_eq!(accepted.len(), 20, "every delivery accepted at least once");
    proxy.stop().await;
}

#[tokio::test]
async fn concurrent_identical_deliveries_forward_exactly_once() {
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(300))).await;
    let (up, proxy, _clock) = setup(up).await;
    let url = Arc::new(proxy.url("/hook"));
    let body = r#"{"id":"evt_storm"}"#;
    let h = Arc::new(signed(SECRET, 1_764_000_000, body));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (url, h) = (url.clone(), h.clone());
        tasks.push(tokio::spawn(
            async move { post(&url, &refs(&h), body).await },
        ));
    }
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for t in tasks {
        let a = t.await.unwrap();
        if a.status == 409 {
            assert_eq!(a.error(), "duplicate_in_flight");
            assert!(a.headers.get("retry-after").is_some());
        }
        *by_status.entry(a.status.as_u16()).or_default() += 1;
    }
    assert_eq!(up.count(), 1, "{by_status:?}");
    assert_eq!(by_status.values().sum::<usize>(), 100);
    assert!(
        by_status.get(&409).copied().unwrap_or(0) >= 1,
        "{by_status:?}"
    );
    assert!(
        by_status.keys().all(|s| *s == 200 || *s == 409),
        "{by_status:?}"
    );
}

#[tokio::test]
async fn sender_disconnect_mid_forward_still_settles_the_claim() {
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(400))).await;
    let (up, proxy, _clock) = setup(up).await;
    let url = proxy.url("/hook");
    let body = r#"{"id":"evt_hangup"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    // The sender gives up after 100 ms, while the upstream is still working.
    let attempt =
        tokio::time::timeout(Duration::from_millis(100), post(&url, &refs(&h), body)).await;
    assert!(attempt.is_err(), "the sender should have given up first");
    // The forward runs to its end regardless...
    poll(POLL, async || {
        (up.answered.load(std::sync::atomic::Ordering::SeqCst) >= 1).then_some(())
    })
    .await
    .expect("upstream never answered");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // ...so the upstream's 200 committed the id: the sender's retry is a duplicate.
    let a = post(&url, &refs(&h), body).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["hookgate-duplicate"], "true");
    assert_eq!(up.count(), 1);
}

#[tokio::test]
async fn upstream_refused_is_502_and_released() {
    // A port with nothing listening.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let clock = TestClock::at(1_764_000_000);
    let proxy = Proxy::start(&config("", ""), &dead, ENV, clock.clock()).await;
    let body = r#"{"id":"evt_502"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    for _ in 0..2 {
        let a = post(&proxy.url("/hook"), &refs(&h), body).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (502, "upstream_unavailable".to_owned())
        );
    }
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"upstream_unavailable\",route=\"custom\"}")
            .await,
        2.0
    );
}

#[tokio::test]
async fn upstream_too_slow_is_504_and_released() {
    let up = Upstream::start(|n| {
        if n == 0 {
            Reply::delayed(200, Duration::from_secs(5))
        } else {
            Reply::status(200)
        }
    })
    .await;
    let (up, proxy, _clock) = setup(up).await;
    let body = r#"{"id":"evt_504"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let a = post(&proxy.url("/hook"), &refs(&h), body).await;
    assert_eq!(
        (a.status.as_u16(), a.error()),
        (504, "upstream_timeout".to_owned())
    );
    // The id was released: the retry is forwarded.
    let a = post(&proxy.url("/hook"), &refs(&h), body).await;
    assert_eq!(a.status, 200);
    assert!(a.headers.get("hookgate-duplicate").is_none());
    assert_eq!(up.count(), 2);
}

#[tokio::test]
async fn unknown_path_and_wrong_method() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let a = post(&proxy.url("/nope"), &[], "{}").await;
    assert_eq!((a.status.as_u16(), a.error()), (404, "no_route".to_owned()));
    let a = send(
        http::Request::get(proxy.url("/hook"))
            .body(Default::default())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), a.error()),
        (405, "method_not_allowed".to_owned())
    );
    assert_eq!(a.headers["allow"], "POST");
    // An absolute-form target naming another host still goes nowhere but our routes.
    let a = send(
        http::Request::post(proxy.url("/nope"))
            .header("host", "evil.example")
            .body(Default::default())
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 404);
    assert_eq!(up.count(), 0);
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"no_route\",route=\"none\"}")
            .await,
        2.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"method_not_allowed\",route=\"custom\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn observe_mode_forwards_everything_and_counts_verdicts() {
    let up = Upstream::ok().await;
    let clock = TestClock::at(1_764_000_000);
    let yaml = config("", "").replace("    dedup_key:", "    mode: observe\n    dedup_key:");
    let proxy = Proxy::start(&yaml, &up.url(), ENV, clock.clock()).await;
    let body = r#"{"id":"evt_obs"}"#;
    let a = post(
        &proxy.url("/hook"),
        &[("X-Signature", "sha256=00"), ("X-Timestamp", "1764000000")],
        body,
    )
    .await;
    assert_eq!(a.status, 200);
    let h = signed(SECRET, 1_764_000_000, body);
    post(&proxy.url("/hook"), &refs(&h), body).await;
    post(&proxy.url("/hook"), &refs(&h), body).await;
    assert_eq!(up.count(), 3, "observe mode never drops anything");
    // Hookgate-Verified means verified: the forgery carries the verdict instead.
    let seen = up.requests();
    assert!(seen[0].headers.get("hookgate-verified").is_none());
    assert_eq!(seen[0].headers["hookgate-verdict"], "invalid_signature");
    assert!(
        seen[0].headers.get("hookgate-event-id").is_none(),
        "unverified: no id"
    );
    for r in &seen[1..] {
        assert_eq!(r.headers["hookgate-verified"], "custom");
        assert!(r.headers.get("hookgate-verdict").is_none());
        assert_eq!(r.headers["hookgate-event-id"], "evt_obs");
    }
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"invalid_signature\",route=\"custom\"}")
            .await,
        1.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"forwarded\",route=\"custom\"}")
            .await,
        2.0
    );
}

#[tokio::test]
async fn unix_socket_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    let listener = tokio::net::UnixListener::bind(&sock).unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<bytes::Bytes>::new()));
    let s2 = seen.clone();
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let s3 = s2.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let s4 = s3.clone();
                        async move {
                            use http_body_util::BodyExt;
                            let b = req.into_body().collect().await.unwrap().to_bytes();
                            s4.lock().unwrap().push(b);
                            Ok::<_, std::convert::Infallible>(http::Response::new(
                                http_body_util::Full::new(bytes::Bytes::from_static(b"unix ok")),
                            ))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let clock = TestClock::at(1_764_000_000);
    let proxy = Proxy::start(
        &config("", ""),
        &format!("unix:{}", sock.display()),
        ENV,
        clock.clock(),
    )
    .await;
    let body = r#"{"id":"evt_unix"}"#;
    let a = post(
        &proxy.url("/hook"),
        &refs(&signed(SECRET, 1_764_000_000, body)),
        body,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body.as_ref(), b"unix ok");
    assert_eq!(seen.lock().unwrap()[0].as_ref(), body.as_bytes());
    server.abort();
}

#[tokio::test]
async fn the_in_flight_gauge_counts_a_request_while_it_lives_and_a_vanished_sender_leaves_it() {
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(600))).await;
    let (_up, proxy, _clock) = setup(up).await;
    let url = proxy.url("/hook");
    let body = r#"{"id":"evt_gauge"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let finished = tokio::spawn({
        let url = url.clone();
        let h = h.clone();
        async move { post(&url, &refs(&h), body).await }
    });
    // Counted while the upstream holds it (600 ms).
    let gauge = async || proxy.metric("hookgate_inflight_requests").await;
    poll(POLL, async || (gauge().await == 1.0).then_some(()))
        .await
        .expect("the request in progress was never counted");
    assert_eq!(finished.await.unwrap().status, 200);
    assert_eq!(proxy.metric("hookgate_inflight_requests").await, 0.0);

    // A sender that hangs up halfway through its body: the request is dropped, and so is its
    // place in the gauge.
    let mut raw = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    // Signed headers, so the checks made before the body pass and the body is awaited.
    let mut head = String::from("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n");
    for (name, value) in &h {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n{\"id\":");
    tokio::io::AsyncWriteExt::write_all(&mut raw, head.as_bytes())
        .await
        .unwrap();
    poll(POLL, async || (gauge().await == 1.0).then_some(()))
        .await
        .expect("the request awaiting its body was never counted");
    drop(raw);
    poll(POLL, async || (gauge().await == 0.0).then_some(()))
        .await
        .unwrap_or_else(|| panic!("the vanished request stayed in the gauge"));
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(500))).await;
    let (up, mut proxy, _clock) = setup(up).await;
    let url = proxy.url("/hook");
    let body = r#"{"id":"evt_drain"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let inflight = tokio::spawn(async move { post(&url, &refs(&h), body).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let admin = proxy.admin;
    proxy.signal_stop();
    // Readiness goes false while draining.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r = send(
        http::Request::get(format!("http://{admin}/readyz"))
            .body(Default::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 503);
    let a = inflight.await.unwrap();
    assert_eq!(a.status, 200, "the in-flight request completed");
    assert_eq!(up.count(), 1);
    let started = std::time::Instant::now();
    proxy.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drain must end as soon as idle, not after the grace period"
    );
}

#[tokio::test]
async fn memory_snapshot_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("dedup.snapshot");
    let top = format!("dedup: {{ snapshot: {{ path: \"{}\" }} }}", snap.display());
    let up = Upstream::ok().await;
    let clock = TestClock::at(1_764_000_000);
    let body = r#"{"id":"evt_restart"}"#;
    let h = signed(SECRET, 1_764_000_000, body);

    let first = Proxy::start(&config("", &top), &up.url(), ENV, clock.clock()).await;
    assert_eq!(post(&first.url("/hook"), &refs(&h), body).await.status, 200);
    first.stop().await;
    assert!(snap.exists(), "snapshot written on shutdown");

    // The sender's retry reaches the restarted sidecar: still a duplicate.
    let second = Proxy::start(&config("", &top), &up.url(), ENV, clock.clock()).await;
    let a = post(&second.url("/hook"), &refs(&h), body).await;
    assert_eq!(a.headers["hookgate-duplicate"], "true");
    assert_eq!(up.count(), 1);
    second.stop().await;

    // A damaged snapshot is ignored: hookgate starts empty and serves.
    std::fs::write(&snap, "garbage\n").unwrap();
    let third = Proxy::start(&config("", &top), &up.url(), ENV, clock.clock()).await;
    let b2 = r#"{"id":"evt_after_damage"}"#;
    assert_eq!(
        post(
            &third.url("/hook"),
            &refs(&signed(SECRET, 1_764_000_000, b2)),
            b2
        )
        .await
        .status,
        200
    );
    third.stop().await;
}

#[tokio::test]
async fn the_app_gets_one_copy_of_each_header_verification_read() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let url = proxy.url("/hook");
    let body = r#"{"id":"evt_copies"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let (sig, ts) = (h[0].1.as_str(), h[1].1.as_str());
    // Differing copies of a header the scheme reads: refused, whichever comes first.
    for headers in [
        vec![
            ("X-Signature", sig),
            ("X-Timestamp", ts),
            ("X-Timestamp", "1764009999"),
        ],
        vec![
            ("X-Signature", sig),
            ("X-Timestamp", "1764009999"),
            ("X-Timestamp", ts),
        ],
        vec![
            ("X-Signature", sig),
            ("X-Signature", "sha256=00"),
            ("X-Timestamp", ts),
        ],
    ] {
        let a = post(&url, &headers, body).await;
        assert_eq!(a.status, 400, "{headers:?}: {:?}", a.body);
        assert_eq!(a.json()["error"], "ambiguous_header", "{headers:?}");
    }
    assert_eq!(up.count(), 0, "nothing ambiguous is forwarded");
    assert!(
        proxy
            .metric("hookgate_requests_total{outcome=\"ambiguous_header\",route=\"custom\"}")
            .await
            >= 2.0
    );
    // Identical copies: forwarded, once each, and the delivery id named for the app.
    let a = post(
        &url,
        &[
            ("X-Signature", sig),
            ("X-Timestamp", ts),
            ("X-Timestamp", ts),
        ],
        body,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let r = &up.requests()[0];
    assert_eq!(r.headers.get_all("x-timestamp").iter().count(), 1);
    assert_eq!(r.headers["x-timestamp"], ts);
    assert_eq!(r.headers["hookgate-event-id"], "evt_copies");
    // A copy of a header no verification reads is the app's business, as before.
    let a = post(
        &url,
        &[
            ("X-Signature", sig),
            ("X-Timestamp", ts),
            ("X-Other", "a"),
            ("X-Other", "b"),
        ],
        r#"{"id":"evt_copies_2"}"#,
    )
    .await;
    assert_eq!(
        a.status, 401,
        "a different body: the signature does not match"
    );
}

#[tokio::test]
async fn a_route_may_drop_the_query_string_its_scheme_does_not_sign() {
    let up = Upstream::ok().await;
    let clock = TestClock::at(1_764_000_000);
    let yaml = config("", "").replace("    dedup_key:", "    query: drop\n    dedup_key:");
    let proxy = Proxy::start(&yaml, &up.url(), ENV, clock.clock()).await;
    let body = r#"{"id":"evt_q"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let a = post(
        &format!("{}?tenant=forged&x=1", proxy.url("/hook")),
        &refs(&h),
        body,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let r = &up.requests()[0];
    assert_eq!(r.uri.path_and_query().unwrap().as_str(), "/hook");
}

#[tokio::test]
async fn an_accepted_delivery_whose_answer_cannot_be_relayed_is_still_accepted() {
    // The app answers 2xx with a body over upstream.max_response_body: it accepted the event,
    // so the sender gets a 2xx (saying the body was dropped) and its retry is a duplicate,
    // not a second delivery.
    let up = Upstream::ok().await;
    let clock = TestClock::at(1_764_000_000);
    let yaml = config("", "").replace("timeout: 2s }", "timeout: 2s, max_response_body: 4 }");
    let proxy = Proxy::start(&yaml, &up.url(), ENV, clock.clock()).await;
    let body = r#"{"id":"evt_big_answer"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let a = post(&proxy.url("/hook"), &refs(&h), body).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.headers["hookgate-body-dropped"], "too_large");
    assert!(a.body.is_empty());
    let again = post(&proxy.url("/hook"), &refs(&h), body).await;
    assert_eq!(again.headers["hookgate-duplicate"], "true");
    assert_eq!(up.count(), 1, "delivered once");
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"forwarded\",route=\"custom\"}")
            .await,
        1.0
    );
}

/// GitHub signs no delivery id: the key is `X-GitHub-Delivery` with the body hash. Two genuine
/// events with identical bytes (two pushes leaving a branch in the same state) are both
/// delivered; GitHub's redelivery of either is a duplicate.
#[tokio::test]
async fn a_distinct_event_with_identical_bytes_is_delivered_and_a_redelivery_is_not() {
    let up = Upstream::ok().await;
    let yaml = r#"
upstream: { url: "{upstream}", timeout: 2s }
routes:
  - name: gh
    path: /gh
    provider: github
    secrets: [{ id: current, env: GH }]
"#;
    let proxy = Proxy::start(
        yaml,
        &up.url(),
        &[("GH", SECRET)],
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    let url = proxy.url("/gh");
    let body = r#"{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000"}"#;
    let sig = format!(
        "sha256={}",
        hmac_sha256_hex(SECRET.as_bytes(), &[body.as_bytes()])
    );
    let send = |delivery: &'static str| {
        let (url, sig) = (url.clone(), sig.clone());
        async move {
            post(
                &url,
                &[
                    ("X-Hub-Signature-256", sig.as_str()),
                    ("X-GitHub-Delivery", delivery),
                    ("X-GitHub-Event", "push"),
                ],
                body,
            )
            .await
        }
    };
    let first = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    let second = "8a1c9c70-cc78-11e3-8c4a-1a2b3c4d5e6f";
    for d in [first, second] {
        let a = send(d).await;
        assert_eq!(a.status, 200, "{d}: {:?}", a.body);
        assert!(a.headers.get("hookgate-duplicate").is_none(), "{d}");
    }
    assert_eq!(up.count(), 2, "both events reach the app");
    let seen = up.requests();
    assert_eq!(seen[0].headers["hookgate-event-id"], first);
    assert_eq!(seen[1].headers["hookgate-event-id"], second);
    // Redeliveries keep their id: duplicates, not forwarded.
    for d in [first, second] {
        let a = send(d).await;
        assert_eq!(a.headers["hookgate-duplicate"], "true", "{d}");
    }
    assert_eq!(up.count(), 2);
    // Without the header, the body hash alone: the same bytes once more are a duplicate of
    // nothing yet (a new key), then of themselves.
    let bare = [("X-Hub-Signature-256", sig.as_str())];
    assert!(post(&url, &bare, body)
        .await
        .headers
        .get("hookgate-duplicate")
        .is_none());
    assert_eq!(
        post(&url, &bare, body).await.headers["hookgate-duplicate"],
        "true"
    );
    assert_eq!(up.count(), 3);
}
