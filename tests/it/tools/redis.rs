//! The Redis dedup backend against a real `redis-server`: replicas agree, claims are owned and
//! expire, and an outage is a 503 (or fail-open) that heals without a restart.

use std::sync::Arc;
use std::time::Duration;

use crate::harness::*;
use crate::proxy::{refs, signed, ENV, SECRET};

fn config(redis_url: &str, extra: &str) -> String {
    crate::proxy::config(
        "",
        &format!(
            "dedup: {{ backend: redis, redis: {{ url: \"{redis_url}\", timeout: 300ms{extra} }} }}"
        ),
    )
}

async fn wait_ready(proxy: &Proxy, want: bool) {
    poll(POLL, async || {
        let r = send(
            http::Request::get(format!("http://{}/readyz", proxy.admin))
                .body(Default::default())
                .unwrap(),
        )
        .await;
        ((r.status == 200) == want).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("readyz never became {want}"));
}

#[tokio::test]
async fn two_replicas_sharing_redis_forward_a_delivery_once() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(300))).await;
    let clock = TestClock::at(1_764_000_000);
    let a = Proxy::start(&config(&redis.url(), ""), &up.url(), ENV, clock.clock()).await;
    let b = Proxy::start(&config(&redis.url(), ""), &up.url(), ENV, clock.clock()).await;
    wait_ready(&a, true).await;
    wait_ready(&b, true).await;
    let body = r#"{"id":"evt_shared"}"#;
    let h = Arc::new(signed(SECRET, 1_764_000_000, body));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let url = if i % 2 == 0 {
            a.url("/hook")
        } else {
            b.url("/hook")
        };
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            post(&url, &refs(&h), body).await.status.as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(up.count(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    // Once accepted, both replicas know it.
    for p in [&a, &b] {
        let r = post(&p.url("/hook"), &refs(&h), body).await;
        assert_eq!(r.headers["hookgate-duplicate"], "true");
    }
    assert_eq!(up.count(), 1);
    // Neither replica can count Redis's entries or evictions: no series, rather than a 0.
    let text = a.metrics().await;
    assert!(text.contains("hookgate_requests_total{"), "{text}");
    for absent in ["hookgate_dedup_entries{", "hookgate_dedup_evictions_total{"] {
        assert!(
            !text.contains(absent),
            "{absent} exported with Redis:\n{text}"
        );
    }
}

#[tokio::test]
async fn upstream_failure_releases_the_claim_in_redis() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let up = Upstream::start(|n| Reply::status(if n == 0 { 500 } else { 200 })).await;
    let clock = TestClock::at(1_764_000_000);
    let a = Proxy::start(&config(&redis.url(), ""), &up.url(), ENV, clock.clock()).await;
    let b = Proxy::start(&config(&redis.url(), ""), &up.url(), ENV, clock.clock()).await;
    wait_ready(&a, true).await;
    wait_ready(&b, true).await;
    let body = r#"{"id":"evt_retry_redis"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    assert_eq!(post(&a.url("/hook"), &refs(&h), body).await.status, 500);
    // The retry lands on the other replica and is forwarded.
    assert_eq!(post(&b.url("/hook"), &refs(&h), body).await.status, 200);
    assert_eq!(
        post(&a.url("/hook"), &refs(&h), body).await.headers["hookgate-duplicate"],
        "true"
    );
    assert_eq!(up.count(), 2);
}

#[tokio::test]
async fn redis_outage_is_503_then_heals_without_restart() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let port = redis.port;
    let up = Upstream::ok().await;
    let clock = TestClock::at(1_764_000_000);
    let proxy = Proxy::start(&config(&redis.url(), ""), &up.url(), ENV, clock.clock()).await;
    wait_ready(&proxy, true).await;
    let b1 = r#"{"id":"evt_before"}"#;
    assert_eq!(
        post(
            &proxy.url("/hook"),
            &refs(&signed(SECRET, 1_764_000_000, b1)),
            b1
        )
        .await
        .status,
        200
    );

    redis.kill();
    let b2 = r#"{"id":"evt_during"}"#;
    let h2 = signed(SECRET, 1_764_000_000, b2);
    let r = post(&proxy.url("/hook"), &refs(&h2), b2).await;
    assert_eq!(
        (r.status.as_u16(), r.error()),
        (503, "dedup_unavailable".to_owned())
    );
    assert_eq!(r.headers["retry-after"], "1");
    wait_ready(&proxy, false).await;
    assert_eq!(up.count(), 1, "nothing forwarded without dedup");

    // Redis comes back (empty): the retry goes through, no hookgate restart.
    let _redis2 = RedisServer::on(port).await.unwrap();
    // Each try is a real delivery: a slower pace keeps the number of 503s small.
    poll(Duration::from_millis(100), async || {
        let r = post(&proxy.url("/hook"), &refs(&h2), b2).await;
        if r.status != 200 {
            assert_eq!(r.status, 503);
        }
        (r.status == 200).then_some(())
    })
    .await
    .expect("never recovered");
    wait_ready(&proxy, true).await;
    assert_eq!(up.count(), 2);
    assert!(
        proxy
            .metric("hookgate_requests_total{outcome=\"dedup_unavailable\",route=\"custom\"}")
            .await
            >= 1.0
    );
}

#[tokio::test]
async fn fail_open_forwards_while_redis_is_down() {
    // Nothing listens on this port: Redis is down from the start.
    let port = free_port();
    let up = Upstream::ok().await;
    let clock = TestClock::at(1_764_000_000);
    let url = format!("redis://127.0.0.1:{port}/0");
    let proxy = Proxy::start(
        &config(&url, ", on_unavailable: forward"),
        &up.url(),
        ENV,
        clock.clock(),
    )
    .await;
    let body = r#"{"id":"evt_open"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    for _ in 0..2 {
        assert_eq!(post(&proxy.url("/hook"), &refs(&h), body).await.status, 200);
    }
    assert_eq!(up.count(), 2, "fail-open: no dedup while the store is down");
    wait_ready(&proxy, true).await;
}

#[tokio::test]
async fn claims_are_owned_and_expire() {
    use hookgate::dedup::{Claim, DedupKey, RedisStore, Ttls};
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let cfg = hookgate::dedup::RedisSettings {
        url: redis.url(),
        username: None,
        password: None,
        key_prefix: "t:".into(),
        timeout: Duration::from_millis(500),
    };
    let ttls = Ttls {
        done: Duration::from_secs(60),
        in_flight: Duration::from_millis(300),
    };
    let a = RedisStore::start(&cfg, ttls, 1).unwrap();
    let b = RedisStore::start(&cfg, ttls, 1).unwrap();
    poll(POLL, async || (a.healthy() && b.healthy()).then_some(()))
        .await
        .expect("both stores connect to Redis");
    let key = || DedupKey {
        route: "r".into(),
        id: "evt".into(),
    };
    let Claim::Claimed(first) = a.claim(key()).await.unwrap() else {
        panic!("first claim")
    };
    assert_eq!(b.claim(key()).await.unwrap(), Claim::InFlight);
    // The claimer vanishes: its claim expires and another replica takes over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let Claim::Claimed(second) = b.claim(key()).await.unwrap() else {
        panic!("expired claim not reclaimable")
    };
    // The late first claimer can neither commit nor release the new claim.
    a.commit(&first).await.unwrap();
    a.release(&first).await.unwrap();
    assert_eq!(a.claim(key()).await.unwrap(), Claim::InFlight);
    b.commit(&second).await.unwrap();
    assert_eq!(a.claim(key()).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn each_worker_talks_to_redis_over_its_own_connection() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    // Held a moment, so concurrent deliveries keep their connections open and the acceptor
    // spreads them over both workers.
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(100))).await;
    let proxy = Proxy::start(
        &format!("{}workers: 2\n", config(&redis.url(), "")),
        &up.url(),
        ENV,
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    wait_ready(&proxy, true).await;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let hookgate_connections = async |conn: &mut redis::aio::MultiplexedConnection| {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(conn)
            .await
            .unwrap();
        list.lines().count() - 1 // this test's own
    };
    assert_eq!(
        hookgate_connections(&mut conn).await,
        1,
        "one to start with"
    );

    let round = std::sync::atomic::AtomicUsize::new(0);
    let connections = poll(POLL, async || {
        let r = round.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let url = proxy.url("/hook");
                tokio::spawn(async move {
                    let body = format!(r#"{{"id":"evt_worker_{r}_{i}"}}"#);
                    post(&url, &refs(&signed(SECRET, 1_764_000_000, &body)), body)
                        .await
                        .status
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200);
        }
        let n = hookgate_connections(&mut conn).await;
        (n == 2).then_some(n)
    })
    .await;
    assert_eq!(
        connections,
        Some(2),
        "worker 1 never opened a connection of its own"
    );
    // Still one store: an accepted delivery is a duplicate for every later request.
    let body = r#"{"id":"evt_after_split"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    assert_eq!(post(&proxy.url("/hook"), &refs(&h), body).await.status, 200);
    let dups: Vec<_> = (0..8)
        .map(|_| {
            let (url, h) = (proxy.url("/hook"), h.clone());
            tokio::spawn(async move {
                let r = post(&url, &refs(&h), body).await;
                (
                    r.status.as_u16(),
                    r.headers.get("hookgate-duplicate").cloned(),
                )
            })
        })
        .collect();
    for d in dups {
        assert_eq!(d.await.unwrap(), (200, Some("true".parse().unwrap())));
    }
    assert_eq!(hookgate_connections(&mut conn).await, 2);
}
