//! The delivery guarantee under faults: "a sender gets a 2xx only when the upstream accepted the
//! event (or it is a duplicate of one the upstream accepted), and an event goes upstream once".
//!
//! One test per fault. Each checks the answer, the dedup state the fault leaves behind (read
//! from Redis itself, or from the memory store's entry gauge) and what the sender's NEXT retry
//! gets. Scenarios 1-5 run in-process against both stores, 6 and 6b against the real binary
//! (a restart: SIGTERM, the memory store crossing it with its snapshot): here as
//! `<scenario>::memory`, and against a `redis-server` of their own, with the faults only Redis
//! has (7: a crash, SIGKILL, of a replica sharing the store), in `tools/faults.rs`. Redis
//! tests are skipped outside CI when `redis-server` is not installed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::harness::*;
use crate::proxy::{refs, signed, ENV, SECRET};

/// The signing time of in-process scenarios (their clock is fixed there).
pub(crate) const T0: i64 = 1_764_000_000;
pub(crate) const ROUTE: &str = "custom";
pub(crate) const KEY_PREFIX: &str = "faults:";

// ---------------------------------------------------------------------------------------------
// Backends

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Memory,
    Redis,
}

/// What the dedup store holds for the scenario's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Absent,
    InFlight,
    Done,
}

/// A store to run a scenario against: the in-process one, or a `redis-server` of its own.
pub(crate) struct Store {
    backend: Backend,
    redis: Option<RedisServer>,
}

impl Store {
    /// None: the scenario is skipped (Redis outside CI, `redis-server` not installed).
    async fn new(backend: Backend) -> Option<Self> {
        let redis = match backend {
            Backend::Memory => None,
            Backend::Redis => Some(RedisServer::start().await?),
        };
        Some(Self { backend, redis })
    }

    /// The real binary's dedup config: memory gets a snapshot, the only way it survives a
    /// restart (written on SIGTERM next to the config file).
    fn bin_dedup_yaml(&self) -> String {
        match self.backend {
            Backend::Memory => {
                "dedup: { backend: memory, snapshot: { path: dedup.snapshot } }".to_owned()
            }
            Backend::Redis => self.dedup_yaml(),
        }
    }

    /// For the real binary: what Redis holds for `id`; None for memory (not observable from
    /// outside the process: the retries' answers tell).
    async fn redis_state(&self, id: &str) -> Option<State> {
        match &self.redis {
            Some(r) => Some(r.state(id).await),
            None => None,
        }
    }

    fn dedup_yaml(&self) -> String {
        match &self.redis {
            None => "dedup: { backend: memory }".to_owned(),
            Some(r) => redis_dedup_yaml(&r.url()),
        }
    }

    /// hookgate in-process on `upstream` with this store, ready for traffic.
    async fn proxy(&self, upstream: &str, timeout: &str) -> Proxy {
        let yaml = format!(
            "upstream: {{ url: \"{{upstream}}\", timeout: {timeout} }}\n{}\n{}",
            self.dedup_yaml(),
            route_yaml("CUR")
        );
        let proxy = Proxy::start(&yaml, upstream, ENV, TestClock::at(T0).clock()).await;
        wait_ready(proxy.admin.port()).await;
        proxy
    }

    /// The state of `id`. Redis is read directly. The memory store is seen through
    /// `hookgate_dedup_entries` (scenarios use one id per route), which cannot tell in flight
    /// from done: the scenarios' next request tells those apart.
    pub(crate) async fn state(&self, proxy: &Proxy, id: &str) -> State {
        match &self.redis {
            Some(r) => r.state(id).await,
            None => {
                let n = proxy
                    .metric(&format!("hookgate_dedup_entries{{route=\"{ROUTE}\"}}"))
                    .await;
                if n == 0.0 {
                    State::Absent
                } else {
                    assert_eq!(n, 1.0, "one id per scenario");
                    State::Done // or in flight: see above
                }
            }
        }
    }

    async fn assert_state(&self, proxy: &Proxy, id: &str, want: State) {
        let got = self.state(proxy, id).await;
        assert!(
            self.matches(got, want),
            "{:?}: dedup state of {id} is {got:?}, want {want:?}",
            self.backend
        );
    }

    /// Waits (bounded) until `id` is in `want`: for settlements that happen after the sender's
    /// answer (a sender that gave up).
    async fn wait_state(&self, proxy: &Proxy, id: &str, want: State) {
        let mut got = None;
        let settled = poll(POLL, async || {
            let now = self.state(proxy, id).await;
            got = Some(now);
            self.matches(now, want).then_some(())
        })
        .await;
        assert!(
            settled.is_some(),
            "{:?}: dedup state of {id} stayed {got:?}, want {want:?}",
            self.backend
        );
    }

    fn matches(&self, got: State, want: State) -> bool {
        match self.backend {
            Backend::Redis => got == want,
            // The gauge only says present or not.
            Backend::Memory => (got == State::Absent) == (want == State::Absent),
        }
    }
}

pub(crate) fn redis_dedup_yaml(url: &str) -> String {
    format!(
        "dedup: {{ backend: redis, redis: {{ url: \"{url}\", key_prefix: \"{KEY_PREFIX}\", timeout: 500ms }} }}"
    )
}

pub(crate) fn route_yaml(secret_env: &str) -> String {
    format!(
        "routes:\n{}",
        signed_route(
            ROUTE,
            "/hook",
            &format!("[ {{ id: current, env: {secret_env} }} ]")
        )
    )
}

/// The scenarios run against each backend: here as `<scenario>::memory`, and with the tests
/// that need external tools as `tools::faults::<scenario>::redis`. One list, handed to the
/// macro that writes the tests (`on_memory!` here, `on_redis!` there).
macro_rules! scenarios {
    ($on:ident) => {
        $on!(
            upstream_refused,
            upstream_resets_mid_response,
            upstream_hangs_past_timeout,
            upstream_refuses_then_accepts,
            sender_gives_up_while_upstream_is_slow,
            restart_mid_load_loses_nothing_acknowledged,
            sigterm_waits_for_a_forward_whose_sender_gave_up,
        );
    };
}
pub(crate) use scenarios;

macro_rules! on_memory {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn memory() {
                super::$scenario(super::Backend::Memory).await;
            }
        }
    )*};
}

scenarios!(on_memory);

pub(crate) fn delivery(id: &str) -> (String, Vec<(String, String)>) {
    let body = format!(r#"{{"id":"{id}"}}"#);
    let h = signed(SECRET, T0, &body);
    (body, h)
}

pub(crate) fn assert_forwarded(a: &Answer, want: u16) {
    assert_eq!(a.status, want, "{:?}", a.body);
    assert!(
        a.headers.get("hookgate-duplicate").is_none(),
        "forwarded, not a duplicate"
    );
}

pub(crate) fn assert_duplicate(a: &Answer) {
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.headers["hookgate-duplicate"], "true");
}

pub(crate) fn assert_error(a: &Answer, status: u16, error: &str) {
    assert_eq!((a.status.as_u16(), a.error()), (status, error.to_owned()));
}

// ---------------------------------------------------------------------------------------------
// 1-5: upstream faults, both stores

/// 1. Connection refused: 502, the claim is released, and the retry (upstream now up) is
///    forwarded and accepted; after that, duplicates.
pub(crate) async fn upstream_refused(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    // Bound but not listening: connections to it are refused until `listen`, and the port is
    // ours all along (no race with another test picking it).
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let proxy = store.proxy(&format!("http://{addr}"), "2s").await;
    let (body, h) = delivery("evt_refused");
    let url = proxy.url("/hook");

    let a = post(&url, &refs(&h), body.clone()).await;
    assert_error(&a, 502, "upstream_unavailable");
    store
        .assert_state(&proxy, "evt_refused", State::Absent)
        .await;

    // The app comes up on the same address.
    let up = RawUpstream::serve(socket.listen(16).unwrap(), |_| Act::Reply(200));
    assert_forwarded(&post(&url, &refs(&h), body.clone()).await, 200);
    store.assert_state(&proxy, "evt_refused", State::Done).await;
    assert_duplicate(&post(&url, &refs(&h), body.clone()).await);
    assert_eq!(up.ids(), ["evt_refused"], "forwarded once");
}

/// 2. The upstream reads the request, then dies mid-response. A partial response head then a
///    RST is no answer: 502 `upstream_unavailable`, released, and the retry is forwarded. A
///    complete `200 OK` head with `Content-Length: 100` and 10 bytes then a close is the app's
///    acceptance with a torn body: the sender gets the 200 (no body, `Hookgate-Body-Dropped:
///    unreadable`), the id is done, and the next retry is a duplicate.
pub(crate) async fn upstream_resets_mid_response(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let up = RawUpstream::bind(|n| match n {
        0 => Act::PartialHeadThenReset,
        1 => Act::ShortBodyThenClose,
        _ => Act::Reply(200),
    })
    .await;
    let proxy = store.proxy(&up.url(), "2s").await;
    let (body, h) = delivery("evt_reset");
    let url = proxy.url("/hook");

    let a = post(&url, &refs(&h), body.clone()).await;
    assert_error(&a, 502, "upstream_unavailable");
    store.assert_state(&proxy, "evt_reset", State::Absent).await;
    assert_eq!(up.ids().len(), 1);

    let a = post(&url, &refs(&h), body.clone()).await;
    assert_forwarded(&a, 200);
    assert_eq!(a.headers["hookgate-body-dropped"], "unreadable");
    assert!(a.body.is_empty(), "{:?}", a.body);
    store.assert_state(&proxy, "evt_reset", State::Done).await;
    assert_duplicate(&post(&url, &refs(&h), body.clone()).await);
    assert_eq!(up.ids().len(), 2, "nothing forwarded after the 200");
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"upstream_unavailable\",route=\"custom\"}")
            .await,
        1.0
    );
}

/// 3. The upstream holds the request past `upstream.timeout` (300ms): 504 near the timeout, the
///    claim is released, the retry is forwarded.
pub(crate) async fn upstream_hangs_past_timeout(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let up = Upstream::start(|n| {
        if n == 0 {
            Reply::delayed(200, Duration::from_secs(2))
        } else {
            Reply::status(200)
        }
    })
    .await;
    let proxy = store.proxy(&up.url(), "300ms").await;
    let (body, h) = delivery("evt_hang");
    let url = proxy.url("/hook");

    let started = Instant::now();
    let a = post(&url, &refs(&h), body.clone()).await;
    let took = started.elapsed();
    assert_error(&a, 504, "upstream_timeout");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
        "504 after {took:?}, want just past the 300ms timeout"
    );
    store.assert_state(&proxy, "evt_hang", State::Absent).await;

    assert_forwarded(&post(&url, &refs(&h), body.clone()).await, 200);
    store.assert_state(&proxy, "evt_hang", State::Done).await;
    assert_duplicate(&post(&url, &refs(&h), body.clone()).await);
    // The timed-out attempt reached the app but was never answered, so never accepted.
    assert_eq!(up.count(), 2);
}

/// 4. 500, then 429, then 200: each status is relayed, each non-2xx releases so the next retry
///    is forwarded, and after the 200 the retries are duplicates.
pub(crate) async fn upstream_refuses_then_accepts(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let up = Upstream::start(|n| Reply::status([500, 429, 200][n.min(2)])).await;
    let proxy = store.proxy(&up.url(), "2s").await;
    let (body, h) = delivery("evt_5xx");
    let url = proxy.url("/hook");

    for (i, want) in [500, 429].into_iter().enumerate() {
        let a = post(&url, &refs(&h), body.clone()).await;
        assert_forwarded(&a, want);
        assert_eq!(
            a.headers["x-upstream"], "yes",
            "the upstream's answer is relayed"
        );
        assert!(a.headers.get("retry-after").is_none());
        store.assert_state(&proxy, "evt_5xx", State::Absent).await;
        assert_eq!(up.count(), i + 1);
    }
    assert_forwarded(&post(&url, &refs(&h), body.clone()).await, 200);
    store.assert_state(&proxy, "evt_5xx", State::Done).await;
    for _ in 0..2 {
        assert_duplicate(&post(&url, &refs(&h), body.clone()).await);
    }
    assert_eq!(up.count(), 3);
    store.assert_state(&proxy, "evt_5xx", State::Done).await;
}

/// 5. The upstream takes 1s to accept; the sender gives up after 100ms and retries at once:
///    409 + Retry-After while in flight (not forwarded a second time); once the upstream has
///    answered, the retry is a 200 duplicate. The upstream saw the event once.
pub(crate) async fn sender_gives_up_while_upstream_is_slow(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_secs(1))).await;
    let proxy = store.proxy(&up.url(), "5s").await;
    let (body, h) = delivery("evt_slow");
    let url = proxy.url("/hook");

    let gave_up = tokio::time::timeout(
        Duration::from_millis(100),
        post(&url, &refs(&h), body.clone()),
    )
    .await;
    assert!(gave_up.is_err(), "the sender should have given up first");

    let a = post(&url, &refs(&h), body.clone()).await;
    assert_error(&a, 409, "duplicate_in_flight");
    assert_eq!(a.headers["retry-after"], "1");
    assert_eq!(up.answered.load(Ordering::SeqCst), 0, "still in flight");
    store
        .assert_state(&proxy, "evt_slow", State::InFlight)
        .await;

    // The abandoned forward runs to its end and commits: the upstream's 2xx is counted in the
    // same poll that commits (memory) or just before (Redis, whose state is read directly).
    wait_until_async("the upstream's answer reached hookgate", || async {
        proxy
            .metric("hookgate_upstream_responses_total{route=\"custom\",status_class=\"2xx\"}")
            .await
            == 1.0
    })
    .await;
    store.wait_state(&proxy, "evt_slow", State::Done).await;
    assert_eq!(up.answered.load(Ordering::SeqCst), 1);
    let a = post(&url, &refs(&h), body.clone()).await;
    assert_duplicate(&a);
    assert_eq!(up.count(), 1, "the upstream saw it once");
}

// ---------------------------------------------------------------------------------------------
// 6, 7: process faults, the real binary. A restart on Redis, and on the memory store with its
// snapshot (its only way across a restart); a crash on Redis.

/// 6. hookgate restarted mid-load loses nothing it acknowledged. Deliveries are sent while
///    SIGTERM arrives (some done, some held by the upstream, some not yet sent); a second
///    process on the same config gets every delivery again. Acknowledged ones are duplicates
///    that do not reach the upstream again; the others are forwarded; every id reaches the
///    upstream exactly once overall.
pub(crate) async fn restart_mid_load_loses_nothing_acknowledged(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(200))).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = BinConfig::new(dir.path(), &up.url(), &store.bin_dedup_yaml(), "5s");
    let mut first = start_hookgate(&cfg, "first").await;
    let url = first.url("/hook");
    let now = now_unix();
    const N: usize = 40;
    let ids: Vec<String> = (0..N).map(|i| format!("evt_load_{i:02}")).collect();

    // Phase 1: ten deliveries at once, all answered before the signal.
    let mut tasks = Vec::new();
    for id in &ids[..10] {
        tasks.push(spawn_delivery(url.clone(), id.clone(), now, Duration::ZERO));
    }
    wait_until("phase 1 answered", || {
        up.answered.load(Ordering::SeqCst) >= 10
    })
    .await;
    // Phase 2: the rest, one every 10ms, while SIGTERM arrives mid-way.
    for (i, id) in ids[10..].iter().enumerate() {
        let delay = Duration::from_millis(10 * u64::try_from(i).unwrap());
        tasks.push(spawn_delivery(url.clone(), id.clone(), now, delay));
    }
    wait_until("phase-2 deliveries held by the upstream", || {
        up.count() >= 15
    })
    .await;
    let held = up.count() - up.answered.load(Ordering::SeqCst);
    first.signal("-TERM");
    assert!(
        held > 0,
        "SIGTERM must land while the upstream holds requests"
    );

    let mut acked = BTreeSet::new();
    let mut first_answers = BTreeMap::new();
    for (id, t) in ids.iter().zip(tasks) {
        let r = t.await.unwrap();
        if let Ok(a) = &r {
            // Whatever the first process answered, it answered after the upstream accepted.
            assert_forwarded(a, 200);
            acked.insert(id.clone());
        }
        first_answers.insert(id.clone(), r.map(|a| a.status.as_u16()));
    }
    let status = first.wait_exit().await;
    assert!(
        status.success(),
        "drained exit: {status:?}\n{}",
        first.logs()
    );
    assert!(
        acked.len() < N,
        "some deliveries must miss the first process"
    );
    let receipts = receipts_per_id(&up);
    for id in &acked {
        assert_eq!(
            receipts.get(id),
            Some(&1),
            "{id} acknowledged, so accepted once"
        );
    }
    // The drain: what the upstream held at the signal was finished and answered.
    let forwarded: BTreeSet<String> = receipts.keys().cloned().collect();
    assert_eq!(forwarded, acked, "{first_answers:?}");

    // A second process on the same config (same ports, same store) gets everything again.
    let second = start_hookgate(&cfg, "second").await;
    let mut resent = Vec::new();
    for id in &ids {
        resent.push(spawn_delivery(
            second.url("/hook"),
            id.clone(),
            now,
            Duration::ZERO,
        ));
    }
    for (id, t) in ids.iter().zip(resent) {
        let a = t
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{id}: {e}\n{}", second.logs()));
        if acked.contains(id) {
            assert_duplicate(&a);
        } else {
            assert_eq!(a.status, 200, "{id}: {:?}", a.body);
        }
    }
    let receipts = receipts_per_id(&up);
    for id in &ids {
        assert_eq!(
            receipts.get(id),
            Some(&1),
            "{id} (first answer {:?}) must reach the upstream exactly once",
            first_answers[id]
        );
    }
    assert_eq!(up.count(), N, "{receipts:?}");
    for id in &ids {
        if let Some(state) = store.redis_state(id).await {
            assert_eq!(state, State::Done, "{id}");
        }
        // And once more: all duplicates now.
        assert_duplicate(&deliver(&second.url("/hook"), id, now).await.unwrap());
    }
    assert_eq!(up.count(), N);
}

/// 6b. SIGTERM while a forward is running for a sender that already gave up. The docs
///     (architecture.md, operations.md) promise both that such a forward "runs to its end" and that shutdown lets in-flight
///     requests finish "(their dedup claims settle)": the process must not exit before the
///     upstream has answered and the claim is committed (and, for memory, snapshotted), or the
///     next process answers the retry 409 (Redis: stranded in flight) or forwards it a second
///     time (memory: not in the snapshot).
pub(crate) async fn sigterm_waits_for_a_forward_whose_sender_gave_up(backend: Backend) {
    let Some(store) = Store::new(backend).await else {
        return;
    };
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(800))).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = BinConfig::new(dir.path(), &up.url(), &store.bin_dedup_yaml(), "5s");
    let mut first = start_hookgate(&cfg, "first").await;
    let now = now_unix();
    let id = "evt_abandoned";

    let gave_up = tokio::time::timeout(
        Duration::from_millis(200),
        deliver(&first.url("/hook"), id, now),
    )
    .await;
    assert!(gave_up.is_err(), "the sender should have given up first");
    wait_until("the upstream holds the request", || up.count() == 1).await;
    assert_ne!(store.redis_state(id).await, Some(State::Absent));
    first.signal("-TERM");
    let status = first.wait_exit().await;
    assert!(status.success(), "{status:?}\n{}", first.logs());
    assert_eq!(
        up.answered.load(Ordering::SeqCst),
        1,
        "hookgate exited before the upstream answered the forward it had started\n{}",
        first.logs()
    );
    if let Some(state) = store.redis_state(id).await {
        assert_eq!(
            state,
            State::Done,
            "the upstream accepted: committed before exit"
        );
    }

    let second = start_hookgate(&cfg, "second").await;
    let a = deliver(&second.url("/hook"), id, now).await.unwrap();
    assert_duplicate(&a);
    assert_eq!(up.count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A raw TCP upstream: reads each request whole, records its `id`, then acts as told for the
/// n-th request (one request per connection).
pub(crate) struct RawUpstream {
    addr: std::net::SocketAddr,
    ids: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Act {
    /// A complete answer with this status, then close.
    Reply(u16),
    /// Half a status line and header, then a RST.
    PartialHeadThenReset,
    /// `Content-Length: 100` and 10 bytes of body, then a close.
    ShortBodyThenClose,
}

impl Drop for RawUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawUpstream {
    async fn bind(act: impl Fn(usize) -> Act + Send + Sync + 'static) -> Self {
        Self::serve(TcpListener::bind("127.0.0.1:0").await.unwrap(), act)
    }

    fn serve(listener: TcpListener, act: impl Fn(usize) -> Act + Send + Sync + 'static) -> Self {
        let addr = listener.local_addr().unwrap();
        let ids: Arc<Mutex<Vec<String>>> = Arc::default();
        let act = Arc::new(act);
        let counter = Arc::new(AtomicUsize::new(0));
        let seen = ids.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (seen, act, counter) = (seen.clone(), act.clone(), counter.clone());
                tokio::spawn(async move {
                    let mut stream = stream;
                    let Some(body) = read_request(&mut stream).await else {
                        return;
                    };
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    seen.lock().unwrap().push(body_id(&body));
                    respond(stream, act(n)).await;
                });
            }
        });
        Self { addr, ids, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }
}

/// Reads one HTTP/1.1 request with a Content-Length body; None if the peer went away.
pub(crate) async fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf[head_end..head_end + len].to_vec())
}

pub(crate) async fn respond(mut stream: TcpStream, act: Act) {
    match act {
        Act::Reply(status) => {
            let body = "{\"ok\":true}";
            let resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(resp.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Act::PartialHeadThenReset => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await;
            let _ = stream.flush().await;
            // Let the partial head reach hookgate before the reset.
            tokio::time::sleep(Duration::from_millis(50)).await;
            // Zero linger: closing sends a RST (and never blocks).
            let _ = stream.set_zero_linger();
        }
        Act::ShortBodyThenClose => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\":tru")
                .await;
            let _ = stream.write_all(b"e").await;
            let _ = stream.shutdown().await;
        }
    }
    drop(stream);
}

pub(crate) fn body_id(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn receipts_per_id(up: &Upstream) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in up.requests() {
        *out.entry(body_id(&r.body)).or_default() += 1;
    }
    out
}

/// A POST that reports a failed exchange (refused, reset) instead of panicking.
pub(crate) async fn try_post(
    url: &str,
    headers: &[(String, String)],
    body: String,
) -> Result<Answer, String> {
    let mut req = Request::post(url).header("content-type", "application/json");
    for (n, v) in headers {
        req = req.header(n.as_str(), v.as_str());
    }
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = tokio::time::timeout(WAIT, client.request(req.body(Full::from(body)).unwrap()))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| format!("{e:?}"))?;
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(WAIT, body.collect())
        .await
        .map_err(|_| "body timed out".to_owned())?
        .map_err(|e| format!("{e:?}"))?
        .to_bytes();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// The delivery `id` signed at `ts` with the binary's secret.
pub(crate) async fn deliver(url: &str, id: &str, ts: i64) -> Result<Answer, String> {
    let body = format!(r#"{{"id":"{id}"}}"#);
    let h = signed(SECRET, ts, &body);
    try_post(url, &h, body).await
}

pub(crate) fn spawn_delivery(
    url: String,
    id: String,
    ts: i64,
    after: Duration,
) -> JoinHandle<Result<Answer, String>> {
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        deliver(&url, &id, ts).await
    })
}

pub(crate) async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    // Often: these wait for a moment inside a fault (a connection half-read, say).
    poll(Duration::from_millis(5), async || cond().then_some(()))
        .await
        .unwrap_or_else(|| panic!("timed out waiting: {what}"));
}

pub(crate) async fn wait_until_async<F: std::future::Future<Output = bool>>(
    what: &str,
    mut cond: impl FnMut() -> F,
) {
    poll(POLL, async || cond().await.then_some(()))
        .await
        .unwrap_or_else(|| panic!("timed out waiting: {what}"));
}

/// A config file for the real binary: fixed ports (picked free), the given dedup store.
pub(crate) struct BinConfig {
    path: PathBuf,
    dir: PathBuf,
    port: u16,
    admin: u16,
}

impl BinConfig {
    pub(crate) fn new(dir: &Path, upstream: &str, dedup: &str, timeout: &str) -> Self {
        let (port, admin) = (free_port(), free_port());
        let yaml = format!(
            "listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{admin}\n\
             upstream: {{ url: \"{upstream}\", timeout: {timeout} }}\n\
             {dedup}\n\
             log: {{ format: json, level: info }}\n\
             shutdown_grace: 5s\n{}",
            route_yaml("HG_FAULTS_SECRET")
        );
        let path = dir.join("hookgate.yaml");
        std::fs::write(&path, yaml).unwrap();
        Self {
            path,
            dir: dir.to_owned(),
            port,
            admin,
        }
    }
}

/// The real binary on `cfg`, its log in `<dir>/<name>.log`.
pub(crate) async fn start_hookgate(cfg: &BinConfig, name: &str) -> Binary {
    Binary::start(
        &cfg.path,
        cfg.dir.join(format!("{name}.log")),
        &[("HG_FAULTS_SECRET", SECRET)],
        &[],
        (cfg.port, cfg.admin),
    )
    .await
}

/// The reads a test needs to see the dedup state in the shared `RedisServer`.
impl RedisServer {
    /// The store key of the body id `id`: the scenarios' route dedups on `json: /id`, and
    /// keys name their source.
    pub(crate) fn key(&self, id: &str) -> String {
        self.stored(&format!("json:{id}"))
    }

    /// The Redis key of a dedup key as the store was handed it.
    pub(crate) fn stored(&self, key: &str) -> String {
        format!("{KEY_PREFIX}{ROUTE}:{key}")
    }

    pub(crate) async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> T {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = tokio::time::timeout(WAIT, client.get_multiplexed_async_connection())
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(WAIT, cmd.query_async(&mut conn))
            .await
            .unwrap()
            .unwrap()
    }

    pub(crate) async fn state(&self, id: &str) -> State {
        let v: Option<String> = self.query(redis::cmd("GET").arg(self.key(id))).await;
        match v.as_deref() {
            None => State::Absent,
            Some("done") => State::Done,
            Some(v) if v.starts_with("inflight:") => State::InFlight,
            Some(v) => panic!("unexpected dedup value {v:?}"),
        }
    }

    pub(crate) async fn pttl(&self, key: &str) -> i64 {
        self.query(redis::cmd("PTTL").arg(key)).await
    }

    pub(crate) async fn pexpire(&self, key: &str, ms: u64) {
        let set: i64 = self.query(redis::cmd("PEXPIRE").arg(key).arg(ms)).await;
        assert_eq!(set, 1, "{key} exists");
    }
}
