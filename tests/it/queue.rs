//! Queued delivery (issue 15): stored durably before the sender's 202, then delivered to the
//! app with retries; dead letters listed, replayed and purged; a full queue refuses new ones.
//! In-process here; the real binary under SIGKILL and a damaged store are in `queue_process`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;

use crate::harness::*;
use crate::proxy::{refs, signed, ENV, SECRET};

/// Where a test's queue is kept: a file in a temporary directory, or a Redis server of the
/// test's own. The same tests run on both (`both!` below).
pub enum Store {
    File(tempfile::TempDir),
    Redis(RedisServer),
}

impl Store {
    pub fn file() -> Self {
        Store::File(tempfile::tempdir().unwrap())
    }

    /// None outside CI when redis-server is not installed.
    pub async fn redis() -> Option<Self> {
        RedisServer::start().await.map(Store::Redis)
    }

    /// The `queue:` keys that choose this store.
    pub fn yaml(&self) -> String {
        match self {
            Store::File(dir) => format!("  path: {}", dir.path().join("queue.redb").display()),
            Store::Redis(r) => format!(
                "  backend: redis\n  redis: {{ url: \"redis://127.0.0.1:{}\" }}",
                r.port
            ),
        }
    }

    /// A queued route `q` (the generic scheme of the proxy tests, dedup on `/id`) and a sync
    /// route `s`, with the queue here; `delivery` is the queued route's `delivery:` value.
    pub fn config(&self, delivery: &str, queue_extra: &str) -> String {
        queued_config_with(&self.yaml(), delivery, queue_extra)
    }
}

fn queued_config_with(store: &str, delivery: &str, queue_extra: &str) -> String {
    format!(
        r#"
upstream: {{ url: "{{upstream}}", timeout: 500ms }}
queue:
{store}
{queue_extra}
routes:
  - name: q
    path: /q
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp }}
    dedup_key: {{ json: /id }}
    secrets: [{{ env: CUR }}]
    delivery: {delivery}
  - name: s
    path: /s
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp }}
    dedup_key: {{ json: /id }}
    secrets: [{{ env: CUR }}]
"#
    )
}

/// Fast retries, so the tests do not wait on production backoffs.
pub const FAST: &str =
    "{ mode: queued, concurrency: 1, initial_backoff: 20ms, max_backoff: 100ms }";

pub fn event(id: &str) -> String {
    format!("{{\"id\":\"{id}\",\"type\":\"link.clicked\",\"pad\":\"caf\\u00e9 \\t\"}}")
}

pub async fn deliver(url: &str, id: &str) -> Answer {
    let body = event(id);
    let h = signed(SECRET, now_unix(), &body);
    post_exact(url, &refs(&h), body).await
}

async fn start(up: &Upstream, store: &Store, delivery: &str, extra: &str) -> Proxy {
    let yaml = store.config(delivery, extra);
    let proxy = Proxy::start(&yaml, &up.url(), ENV, TestClock::at(now_unix()).clock()).await;
    wait_ready(proxy.admin.port()).await;
    proxy
}

async fn admin(proxy: &Proxy, method: http::Method, path: &str) -> Answer {
    send(
        Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", proxy.admin))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await
}

/// The scrape in which `series` reaches `value`, within the harness's wait.
pub async fn wait_sample(proxy: &Proxy, series: &str, value: f64) -> Option<String> {
    poll(POLL, async || {
        let m = proxy.metrics().await;
        (sample(&m, series) == Some(value)).then_some(m)
    })
    .await
}

async fn wait_count(up: &Upstream, n: usize) {
    poll(POLL, async || (up.count() >= n).then_some(()))
        .await
        .unwrap_or_else(|| panic!("the app saw {} requests, not {n}", up.count()));
}

async fn a_queued_delivery_is_answered_202_at_once_then_delivered_byte_identical(store: Store) {
    let up = Upstream::ok().await;
    let proxy = start(&up, &store, "queued", "").await;
    let a = deliver(&proxy.url("/q"), "evt_1").await;
    assert_eq!(a.status, 202, "{:?}", a.body);
    assert_eq!(a.headers["hookgate-queued"], "true");
    let id = a.headers["hookgate-delivery-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(a.json()["delivery_id"], id.as_str());
    wait_count(&up, 1).await;
    let seen = &up.requests()[0];
    assert_eq!(seen.body, event("evt_1").as_bytes());
    assert_eq!(seen.uri.path(), "/q");
    assert_eq!(seen.headers["hookgate-verified"], "q");
    assert_eq!(seen.headers["hookgate-event-id"], "evt_1");
    assert_eq!(seen.headers["hookgate-delivery-id"], id.as_str());
    assert_eq!(seen.headers["hookgate-delivery-attempt"], "1");
    let at = seen.headers["hookgate-received-at"].to_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );
    assert!(seen.headers.contains_key("x-signature"));
    // Stored, so done: the sender's retry is a duplicate, never a second delivery.
    let again = deliver(&proxy.url("/q"), "evt_1").await;
    assert_eq!(again.status, 200);
    assert_eq!(again.headers["hookgate-duplicate"], "true");
    assert_eq!(
        proxy
            .metric(r#"hookgate_requests_total{outcome="queued",route="q"}"#)
            .await,
        1.0
    );
    wait_sample(
        &proxy,
        r#"hookgate_queue_attempts_total{outcome="delivered",route="q"}"#,
        1.0,
    )
    .await
    .expect("the attempt is counted");
    let m = proxy.metrics().await;
    assert_eq!(sample(&m, r#"hookgate_queue_depth{route="q"}"#), Some(0.0));
    if let Store::File(_) = store {
        assert!(sample(&m, "hookgate_queue_fsync_seconds_count").unwrap() >= 1.0);
        assert!(sample(&m, "hookgate_queue_commit_size_count").unwrap() >= 1.0);
        assert!(sample(&m, "hookgate_queue_disk_bytes").unwrap() > 0.0);
    }
    assert_eq!(up.count(), 1);
    proxy.stop().await;
}

async fn a_forgery_is_refused_and_never_queued(store: Store) {
    let up = Upstream::ok().await;
    let proxy = start(&up, &store, "queued", "").await;
    let body = event("evt_forged");
    let h = signed("not-the-secret", now_unix(), &body);
    let a = post_exact(&proxy.url("/q"), &refs(&h), body).await;
    assert_eq!(a.status, 401);
    let pending = admin(&proxy, http::Method::GET, "/queue/pending").await;
    assert_eq!(pending.json(), serde_json::json!([]));
    // The genuine one with that id is not poisoned by the forgery.
    assert_eq!(deliver(&proxy.url("/q"), "evt_forged").await.status, 202);
    wait_count(&up, 1).await;
    proxy.stop().await;
}

async fn failures_are_retried_until_the_app_accepts(store: Store) {
    let up = Upstream::start(|n| Reply::status(if n < 3 { 500 } else { 200 })).await;
    let proxy = start(&up, &store, FAST, "").await;
    assert_eq!(deliver(&proxy.url("/q"), "evt_r").await.status, 202);
    wait_count(&up, 4).await;
    let attempts: Vec<String> = up
        .requests()
        .iter()
        .map(|r| {
            r.headers["hookgate-delivery-attempt"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(attempts, ["1", "2", "3", "4"]);
    let ids: std::collections::HashSet<_> = up
        .requests()
        .iter()
        .map(|r| r.headers["hookgate-delivery-id"].clone())
        .collect();
    assert_eq!(ids.len(), 1, "one delivery, four attempts");
    wait_sample(
        &proxy,
        r#"hookgate_queue_attempts_total{outcome="delivered",route="q"}"#,
        1.0,
    )
    .await
    .map(|m| {
        assert_eq!(
            sample(
                &m,
                r#"hookgate_queue_attempts_total{outcome="rejected",route="q"}"#
            ),
            Some(3.0)
        );
        assert_eq!(
            sample(&m, r#"hookgate_queue_retries_total{route="q"}"#),
            Some(3.0)
        );
    })
    .expect("delivered");
    // Delivered once: nothing more comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(up.count(), 4);
    proxy.stop().await;
}

async fn retry_after_on_429_is_honoured(store: Store) {
    let up = Upstream::start(|n| {
        if n == 0 {
            Reply {
                headers: &[("retry-after", "1")],
                ..Reply::status(429)
            }
        } else {
            Reply::status(200)
        }
    })
    .await;
    let times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let proxy = start(&up, &store, FAST, "").await;
    assert_eq!(deliver(&proxy.url("/q"), "evt_429").await.status, 202);
    poll(POLL, async || {
        let n = up.count();
        let mut t = times.lock().unwrap();
        while t.len() < n {
            t.push(Instant::now());
        }
        (n >= 2).then_some(())
    })
    .await
    .expect("a second attempt");
    let gap = {
        let t = times.lock().unwrap();
        t[1] - t[0]
    };
    // Backoff alone would retry within 20 ms; the app asked for a second.
    assert!(gap >= Duration::from_millis(900), "retried after {gap:?}");
    proxy.stop().await;
}

async fn a_timeout_is_a_failed_attempt_and_is_retried(store: Store) {
    let up = Upstream::start(|n| {
        if n == 0 {
            Reply::delayed(200, Duration::from_secs(2))
        } else {
            Reply::status(200)
        }
    })
    .await;
    let proxy = start(&up, &store, FAST, "").await;
    assert_eq!(deliver(&proxy.url("/q"), "evt_slow").await.status, 202);
    wait_count(&up, 2).await;
    let m = wait_sample(
        &proxy,
        r#"hookgate_queue_attempts_total{outcome="delivered",route="q"}"#,
        1.0,
    )
    .await
    .expect("delivered on the second attempt");
    assert_eq!(
        sample(
            &m,
            r#"hookgate_queue_attempts_total{outcome="timeout",route="q"}"#
        ),
        Some(1.0)
    );
    proxy.stop().await;
}

async fn dead_letters_are_listed_without_bodies_shown_on_request_replayed_and_purged(store: Store) {
    let accept = Arc::new(AtomicBool::new(false));
    let a2 = accept.clone();
    let up =
        Upstream::start(move |_| Reply::status(if a2.load(Ordering::SeqCst) { 200 } else { 500 }))
            .await;
    let delivery = "{ mode: queued, max_attempts: 2, initial_backoff: 10ms, max_backoff: 20ms }";
    let proxy = start(&up, &store, delivery, "").await;
    let a = deliver(&proxy.url("/q"), "evt_dead").await;
    assert_eq!(a.status, 202);
    let id = a.headers["hookgate-delivery-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let dead = poll(POLL, async || {
        let l = admin(&proxy, http::Method::GET, "/queue/dead").await.json();
        (l.as_array().is_some_and(|a| !a.is_empty())).then_some(l)
    })
    .await
    .expect("a dead letter after two attempts");
    let d = &dead[0];
    assert_eq!(d["id"], id.as_str());
    assert_eq!(d["route"], "q");
    assert_eq!(d["event_id"], "evt_dead");
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["last_result"], "500");
    assert_eq!(d["dead_reason"], "max_attempts");
    assert!(
        d.get("body").is_none(),
        "a listing never carries a body: {d}"
    );
    assert_eq!(up.count(), 2);
    let shown = admin(
        &proxy,
        http::Method::GET,
        &format!("/queue/deliveries/{id}"),
    )
    .await;
    assert!(shown.json().get("body").is_none());
    let with_body = admin(
        &proxy,
        http::Method::GET,
        &format!("/queue/deliveries/{id}?body=true"),
    )
    .await
    .json();
    assert_eq!(with_body["body"], event("evt_dead").as_str());
    assert_eq!(
        proxy
            .metric(r#"hookgate_queue_dead_letters{route="q"}"#)
            .await,
        1.0
    );
    assert_eq!(
        proxy
            .metric(r#"hookgate_queue_dead_lettered_total{route="q"}"#)
            .await,
        1.0
    );

    // Replay: the app is back; the dead letter goes again and is delivered.
    accept.store(true, Ordering::SeqCst);
    let r = admin(&proxy, http::Method::POST, &format!("/queue/replay/{id}")).await;
    assert_eq!(r.json()["replay"], 1, "{:?}", r.body);
    wait_count(&up, 3).await;
    let last = up.requests().pop().unwrap();
    assert_eq!(last.headers["hookgate-delivery-id"], id.as_str());
    assert_eq!(last.headers["hookgate-delivery-attempt"], "1");
    assert_eq!(last.body, event("evt_dead").as_bytes());
    let empty = admin(&proxy, http::Method::GET, "/queue/dead").await.json();
    assert_eq!(empty, serde_json::json!([]));

    // Purge: another dead letter, removed.
    accept.store(false, Ordering::SeqCst);
    assert_eq!(deliver(&proxy.url("/q"), "evt_dead_2").await.status, 202);
    poll(POLL, async || {
        let l = admin(&proxy, http::Method::GET, "/queue/dead").await.json();
        (l.as_array().is_some_and(|a| a.len() == 1)).then_some(())
    })
    .await
    .expect("a second dead letter");
    let p = admin(&proxy, http::Method::POST, "/queue/purge").await;
    assert_eq!(p.json()["purge"], 1);
    let empty = admin(&proxy, http::Method::GET, "/queue/dead").await.json();
    assert_eq!(empty, serde_json::json!([]));
    assert_eq!(proxy.metric("hookgate_queue_bytes").await, 0.0);
    // A listing is GET; a replay is POST.
    let wrong = admin(&proxy, http::Method::GET, "/queue/purge").await;
    assert_eq!(wrong.status, 405);
    proxy.stop().await;
}

async fn an_app_down_then_up_gets_everything_in_acceptance_order(store: Store) {
    let port = free_port();
    // Nothing listens on `port` yet: every attempt is refused.
    let up_url = format!("http://127.0.0.1:{port}");
    let yaml = store.config(FAST, "");
    let proxy = Proxy::start(&yaml, &up_url, ENV, TestClock::at(now_unix()).clock()).await;
    wait_ready(proxy.admin.port()).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let a = deliver(&proxy.url("/q"), &format!("evt_{i:02}")).await;
        assert_eq!(a.status, 202);
        ids.push(
            a.headers["hookgate-delivery-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = proxy.metrics().await;
    assert_eq!(sample(&m, r#"hookgate_queue_depth{route="q"}"#), Some(20.0));
    assert!(
        sample(
            &m,
            r#"hookgate_queue_attempts_total{outcome="unavailable",route="q"}"#
        )
        .unwrap()
            >= 1.0
    );
    let up = Upstream::start_on(port, |_| Reply::status(200)).await;
    wait_count(&up, 20).await;
    let order: Vec<String> = up
        .requests()
        .iter()
        .map(|r| {
            r.headers["hookgate-delivery-id"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(order, ids, "delivered in acceptance order");
    let events: Vec<_> = up.requests().iter().map(|r| r.body.clone()).collect();
    for (i, b) in events.iter().enumerate() {
        assert_eq!(b, event(&format!("evt_{i:02}")).as_bytes());
    }
    proxy.stop().await;
}

async fn a_full_queue_answers_503_and_loses_nothing_it_accepted(store: Store) {
    let port = free_port();
    let up_url = format!("http://127.0.0.1:{port}");
    let yaml = store.config(FAST, "  max_bytes: 4KiB");
    let proxy = Proxy::start(&yaml, &up_url, ENV, TestClock::at(now_unix()).clock()).await;
    wait_ready(proxy.admin.port()).await;
    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
    for i in 0..40 {
        let id = format!("evt_full_{i}");
        let a = deliver(&proxy.url("/q"), &id).await;
        match a.status.as_u16() {
            202 => accepted.push(id),
            503 => {
                assert_eq!(a.error(), "queue_full");
                assert_eq!(a.headers["retry-after"], "30");
                refused.push(id);
            }
            s => panic!("unexpected {s}"),
        }
    }
    assert!(
        !accepted.is_empty() && !refused.is_empty(),
        "{accepted:?} {refused:?}"
    );
    assert_eq!(
        proxy
            .metric(r#"hookgate_requests_total{outcome="queue_full",route="q"}"#)
            .await,
        refused.len() as f64
    );
    // A refused delivery's id was freed: its retry, once there is room, is accepted.
    let up = Upstream::start_on(port, |_| Reply::status(200)).await;
    wait_count(&up, accepted.len()).await;
    let retry = deliver(&proxy.url("/q"), &refused[0]).await;
    assert_eq!(retry.status, 202);
    wait_count(&up, accepted.len() + 1).await;
    let seen: Vec<String> = up
        .requests()
        .iter()
        .map(|r| r.headers["hookgate-event-id"].to_str().unwrap().to_owned())
        .collect();
    let mut want = accepted.clone();
    want.push(refused[0].clone());
    assert_eq!(seen, want);
    proxy.stop().await;
}

async fn rate_and_concurrency_bound_what_the_app_gets(store: Store) {
    // The app holds each request 50 ms and counts how many it holds at once.
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(50))).await;
    let proxy = start(&up, &store, "{ mode: queued, concurrency: 2 }", "").await;
    for i in 0..12 {
        assert_eq!(
            deliver(&proxy.url("/q"), &format!("evt_c{i}")).await.status,
            202
        );
    }
    wait_count(&up, 12).await;
    let most = up.most_in_flight.load(Ordering::SeqCst);
    assert!((1..=2).contains(&most), "{most}");
    proxy.stop().await;

    // rate: 20/s: 10 deliveries take at least 9 intervals of 50 ms.
    let up = Upstream::ok().await;
    let proxy = start(
        &up,
        &store,
        "{ mode: queued, concurrency: 8, rate: 20 }",
        "",
    )
    .await;
    let started = Instant::now();
    for i in 0..10 {
        assert_eq!(
            deliver(&proxy.url("/q"), &format!("evt_r{i}")).await.status,
            202
        );
    }
    wait_count(&up, 10).await;
    assert!(
        started.elapsed() >= Duration::from_millis(440),
        "{:?}",
        started.elapsed()
    );
    proxy.stop().await;
}

async fn sync_routes_beside_a_queue_relay_the_app_s_answer_as_before(store: Store) {
    let up = Upstream::start(|_| Reply::status(201)).await;
    let proxy = start(&up, &store, "queued", "").await;
    let a = deliver(&proxy.url("/s"), "evt_sync").await;
    assert_eq!(a.status, 201);
    assert!(a.headers.get("hookgate-queued").is_none());
    assert_eq!(up.count(), 1);
    assert!(up.requests()[0]
        .headers
        .get("hookgate-delivery-attempt")
        .is_none());
    assert_eq!(
        proxy
            .metric(r#"hookgate_requests_total{outcome="forwarded",route="s"}"#)
            .await,
        1.0
    );
    proxy.stop().await;
}

async fn what_waits_survives_a_restart_and_is_delivered_after_it(store: Store) {
    let port = free_port();
    let up_url = format!("http://127.0.0.1:{port}");
    let yaml = store.config(FAST, "");
    let proxy = Proxy::start(&yaml, &up_url, ENV, TestClock::at(now_unix()).clock()).await;
    wait_ready(proxy.admin.port()).await;
    for i in 0..5 {
        assert_eq!(
            deliver(&proxy.url("/q"), &format!("evt_keep{i}"))
                .await
                .status,
            202
        );
    }
    proxy.stop().await;
    let up = Upstream::start_on(port, |_| Reply::status(200)).await;
    let proxy = Proxy::start(&yaml, &up_url, ENV, TestClock::at(now_unix()).clock()).await;
    wait_ready(proxy.admin.port()).await;
    wait_count(&up, 5).await;
    let seen: Vec<_> = up
        .requests()
        .iter()
        .map(|r| r.headers["hookgate-event-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        seen,
        (0..5).map(|i| format!("evt_keep{i}")).collect::<Vec<_>>()
    );
    proxy.stop().await;
}

async fn attempts_are_counted_exactly_even_when_a_retry_is_due_before_its_commit(store: Store) {
    // Retries due within milliseconds, faster than the group commit that records them: each
    // delivery still gets attempts 1 and 2, no more (a regression: the count was read back from
    // the store, which could still hold the previous one).
    let up = Upstream::start(|_| Reply::status(500)).await;
    let delivery =
        "{ mode: queued, concurrency: 8, max_attempts: 2, initial_backoff: 1ms, max_backoff: 2ms }";
    let proxy = start(&up, &store, delivery, "").await;
    for i in 0..20 {
        assert_eq!(
            deliver(&proxy.url("/q"), &format!("evt_n{i}")).await.status,
            202
        );
    }
    poll(POLL, async || {
        let l = admin(&proxy, http::Method::GET, "/queue/dead").await.json();
        (l.as_array().is_some_and(|a| a.len() == 20)).then_some(())
    })
    .await
    .expect("twenty dead letters");
    let mut by_delivery: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in up.requests() {
        by_delivery
            .entry(
                r.headers["hookgate-delivery-id"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            )
            .or_default()
            .push(
                r.headers["hookgate-delivery-attempt"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
    }
    assert_eq!(by_delivery.len(), 20);
    for (id, attempts) in &by_delivery {
        assert_eq!(attempts, &["1", "2"], "delivery {id}");
    }
    let m = proxy.metrics().await;
    assert_eq!(
        sample(
            &m,
            r#"hookgate_queue_attempts_total{outcome="rejected",route="q"}"#
        ),
        Some(40.0)
    );
    assert_eq!(
        sample(&m, r#"hookgate_queue_retries_total{route="q"}"#),
        Some(20.0)
    );
    proxy.stop().await;
}

async fn past_max_dead_letters_the_oldest_dead_letter_is_dropped_and_counted(store: Store) {
    let up = Upstream::start(|_| Reply::status(500)).await;
    let proxy = start(
        &up,
        &store,
        "{ mode: queued, max_attempts: 1 }",
        "  max_dead_letters: 2",
    )
    .await;
    for i in 0..3 {
        assert_eq!(
            deliver(&proxy.url("/q"), &format!("evt_md{i}"))
                .await
                .status,
            202
        );
        // One at a time, so "oldest" is the first one sent.
        wait_sample(
            &proxy,
            r#"hookgate_queue_dead_lettered_total{route="q"}"#,
            f64::from(i + 1),
        )
        .await
        .expect("a dead letter");
    }
    let m = wait_sample(&proxy, "hookgate_queue_dead_letters_dropped_total", 1.0)
        .await
        .expect("the oldest dropped and counted");
    assert_eq!(
        sample(&m, r#"hookgate_queue_dead_letters{route="q"}"#),
        Some(2.0)
    );
    let dead = admin(&proxy, http::Method::GET, "/queue/dead").await.json();
    let ids: Vec<&str> = dead
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["evt_md1", "evt_md2"]);
    proxy.stop().await;
}

/// Each test on both stores: `queue::embedded::NAME` and `queue::redis::NAME`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Store::file()).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(store) = super::Store::redis().await else { return };
                    super::$name(store).await;
                }
            )*
        }
    };
}

both!(
    past_max_dead_letters_the_oldest_dead_letter_is_dropped_and_counted,
    a_queued_delivery_is_answered_202_at_once_then_delivered_byte_identical,
    a_forgery_is_refused_and_never_queued,
    failures_are_retried_until_the_app_accepts,
    retry_after_on_429_is_honoured,
    a_timeout_is_a_failed_attempt_and_is_retried,
    dead_letters_are_listed_without_bodies_shown_on_request_replayed_and_purged,
    an_app_down_then_up_gets_everything_in_acceptance_order,
    a_full_queue_answers_503_and_loses_nothing_it_accepted,
    rate_and_concurrency_bound_what_the_app_gets,
    sync_routes_beside_a_queue_relay_the_app_s_answer_as_before,
    what_waits_survives_a_restart_and_is_delivered_after_it,
    attempts_are_counted_exactly_even_when_a_retry_is_due_before_its_commit,
);
