//! The fault scenarios against Redis, the store replicas share: each scenario of `faults.rs`
//! run on a `redis-server` of its own (`<scenario>::redis`), and the faults only Redis has: a
//! crashed replica's claim, a claimer that vanishes, Redis lost mid-forward.

use std::time::{Duration, Instant};

use crate::faults::*;
use crate::harness::*;

macro_rules! on_redis {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn redis() {
                crate::faults::$scenario(crate::faults::Backend::Redis).await;
            }
        }
    )*};
}

crate::faults::scenarios!(on_redis);

/// 7. A crashed hookgate's in-flight claim. SIGKILL while the upstream holds its request: the
///    claim stays `in flight` in Redis, so another replica answers the retry 409 + Retry-After
///    (not a 2xx: nobody knows whether the app accepted it), until the claim's TTL passes.
///
///    Finding: that TTL is `upstream.timeout + 30s`, fixed in src/app.rs (`IN_FLIGHT_MARGIN`);
///    no config key shortens it. So the test checks the key's TTL is bounded by it, then ages
///    the key in Redis (PEXPIRE) instead of sleeping 32s: the retry is then forwarded and
///    accepted, and the next is a duplicate. The expiry itself is exercised at the store level
///    by `crashed_claimer_blocks_the_id_until_the_in_flight_ttl`.
#[tokio::test]
async fn crashed_hookgate_claim_blocks_retries_until_it_expires() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let up = Upstream::start(|n| {
        if n == 0 {
            Reply::delayed(200, Duration::from_secs(3))
        } else {
            Reply::status(200)
        }
    })
    .await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let mut a = start_hookgate(
        &BinConfig::new(
            dir_a.path(),
            &up.url(),
            &redis_dedup_yaml(&redis.url()),
            "2s",
        ),
        "a",
    )
    .await;
    let b = start_hookgate(
        &BinConfig::new(
            dir_b.path(),
            &up.url(),
            &redis_dedup_yaml(&redis.url()),
            "2s",
        ),
        "b",
    )
    .await;
    let now = now_unix();
    let id = "evt_crash";

    let sender = {
        let url = a.url("/hook");
        tokio::spawn(async move { deliver(&url, id, now).await })
    };
    wait_until("the upstream holds the request", || up.count() == 1).await;
    a.kill();
    let first = sender.await.unwrap();
    assert!(
        first.is_err(),
        "the sender must not get an answer from a killed process: {:?}",
        first.map(|a| a.status)
    );

    let key = redis.key(id);
    assert_eq!(redis.state(id).await, State::InFlight);
    let pttl = redis.pttl(&key).await;
    assert!(
        (2_000..=32_000).contains(&pttl),
        "the orphaned claim expires after upstream.timeout + 30s, not before the forward could \
         have ended: PTTL {pttl}ms"
    );
    for _ in 0..2 {
        let r = deliver(&b.url("/hook"), id, now).await.unwrap();
        assert_error(&r, 409, "duplicate_in_flight");
        assert_eq!(r.headers["retry-after"], "1");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(up.count(), 1, "409s are not forwarded");

    // Age the claim to its end.
    redis.pexpire(&key, 1).await;
    wait_until_async("the claim expired", || async {
        redis.state(id).await == State::Absent
    })
    .await;
    let r = deliver(&b.url("/hook"), id, now).await.unwrap();
    assert_forwarded(&r, 200);
    assert_eq!(redis.state(id).await, State::Done);
    assert_duplicate(&deliver(&b.url("/hook"), id, now).await.unwrap());
    // The crash cost one extra upstream delivery: the first attempt's outcome was never known.
    assert_eq!(up.count(), 2);
}

/// 7, store level with the real expiry: a claimer that vanishes without settling (a crashed
/// replica) blocks the id for the in-flight TTL, then the survivor claims it.
#[tokio::test]
async fn crashed_claimer_blocks_the_id_until_the_in_flight_ttl() {
    use hookgate::dedup::{Claim, DedupKey, RedisStore, Ttls};
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let cfg = hookgate::dedup::RedisSettings {
        url: redis.url(),
        username: None,
        password: None,
        key_prefix: KEY_PREFIX.into(),
        timeout: Duration::from_millis(500),
    };
    let in_flight = Duration::from_millis(600);
    let ttls = Ttls {
        done: Duration::from_secs(60),
        in_flight,
    };
    let crashed = RedisStore::start(&cfg, ttls, 1).unwrap();
    let survivor = RedisStore::start(&cfg, ttls, 1).unwrap();
    wait_until("both stores connected", || {
        crashed.healthy() && survivor.healthy()
    })
    .await;
    let key = || DedupKey {
        route: ROUTE.into(),
        id: "evt_orphan".into(),
    };
    let Claim::Claimed(_) = crashed.claim(key()).await.unwrap() else {
        panic!("first claim");
    };
    let claimed_at = Instant::now();
    drop(crashed); // never commits nor releases

    let pttl = redis.pttl(&redis.stored("evt_orphan")).await;
    assert!(pttl > 0 && pttl <= 600, "PTTL {pttl}ms");
    assert_eq!(survivor.claim(key()).await.unwrap(), Claim::InFlight);
    let token = loop {
        match survivor.claim(key()).await.unwrap() {
            Claim::Claimed(t) => break t,
            Claim::InFlight => {}
            Claim::Done => panic!("nobody committed"),
        }
        assert!(
            claimed_at.elapsed() < WAIT,
            "the orphaned claim never expired"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(
        claimed_at.elapsed() >= in_flight - Duration::from_millis(50),
        "reclaimed after {:?}, before the in-flight TTL",
        claimed_at.elapsed()
    );
    survivor.commit(&token).await.unwrap();
    assert_eq!(survivor.claim(key()).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn redis_lost_mid_forward_is_logged_with_the_event_and_what_follows() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    // Two deliveries held by the app while Redis goes away: one it accepts, one it refuses.
    let up = Upstream::start(|n| {
        Reply::delayed(if n == 0 { 200 } else { 500 }, Duration::from_millis(800))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let hg = start_hookgate(
        &BinConfig::new(dir.path(), &up.url(), &redis_dedup_yaml(&redis.url()), "5s"),
        "hookgate",
    )
    .await;
    let now = now_unix();
    let send = |id: &'static str| {
        let url = hg.url("/hook");
        tokio::spawn(async move { deliver(&url, id, now).await })
    };
    let accepted = send("evt_lost_done");
    wait_until("the app holds the first", || up.count() == 1).await;
    let refused = send("evt_lost_release");
    wait_until("the app holds both", || up.count() == 2).await;
    redis.kill();
    // The senders get the app's answers: the 200 is the app's acceptance, not the store's.
    assert_eq!(accepted.await.unwrap().unwrap().status, 200);
    assert_eq!(refused.await.unwrap().unwrap().status, 500);

    // Each delivery's warning names it and says what follows for it.
    for (id, says) in [
        ("evt_lost_done", "could not mark the delivery done"),
        ("evt_lost_release", "could not release"),
    ] {
        let warning = poll(POLL, async || {
            hg.json_logs()
                .into_iter()
                .find(|v| v["level"] == "WARN" && v["event_id"] == id)
        })
        .await
        .unwrap_or_else(|| panic!("no warning names {id}\n{}", hg.logs()));
        assert!(
            warning["message"]
                .as_str()
                .is_some_and(|m| m.contains(says)),
            "{warning}"
        );
    }
    // And each is counted, by the step that failed, with the same recorder.
    for step in ["commit", "release"] {
        let series = format!("hookgate_dedup_unsettled_total{{route=\"{ROUTE}\",step=\"{step}\"}}");
        assert_eq!(hg.metric(&series).await, Some(1.0), "{series}");
    }
}
