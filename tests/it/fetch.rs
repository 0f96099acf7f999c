//! The outbound fetcher (src/fetch.rs) against a local HTTPS server with its own CA: what is
//! refused before any connection, the trust roots, the bounds, and the cache (hits, TTLs, the
//! last good copy, one fetch for many callers, the forced-refresh limit). The cache runs on a
//! settable clock, so no test sleeps through a TTL; assertions are on counts and error kinds,
//! never on elapsed time.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hookgate::clock::Clock;
use hookgate::fetch::{
    AllowList, Cache, CachePolicy, Client, ClientSettings, FetchError, HostRule, Parser, Refusal,
    Roots,
};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What the local server answers.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Sent without `Content-Length` (chunked), so only reading finds the size.
    chunked: bool,
}

impl Reply {
    fn ok(body: &str) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            chunked: false,
        }
    }

    fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::ok("")
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// A CA (its PEM in a file, for `ca_file`) and an HTTPS server on 127.0.0.1 whose leaf
/// certificate names `localhost` and `127.0.0.1`, answering what `reply` holds and counting
/// the requests it answers.
struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    reply: Arc<Mutex<Reply>>,
    /// When set, each request waits for a permit before it is answered.
    gate: Arc<Mutex<Option<Arc<Semaphore>>>>,
    _ca_dir: tempfile::TempDir,
    ca_file: std::path::PathBuf,
}

impl Server {
    async fn start(reply: Reply) -> Self {
        let crate::keyserver::TestCa {
            acceptor,
            ca_file,
            dir: ca_dir,
        } = crate::keyserver::TestCa::new(&["localhost", "127.0.0.1"]);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let reply = Arc::new(Mutex::new(reply));
        let gate: Arc<Mutex<Option<Arc<Semaphore>>>> = Arc::new(Mutex::new(None));
        let (h, r, g) = (hits.clone(), reply.clone(), gate.clone());
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, hits, reply, gate) =
                    (acceptor.clone(), h.clone(), r.clone(), g.clone());
                tokio::spawn(async move {
                    // A client that refuses our certificate ends here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |_req| {
                        let (hits, reply, gate) = (hits.clone(), reply.clone(), gate.clone());
                        async move {
                            hits.fetch_add(1, Ordering::SeqCst);
                            let wait = gate.lock().unwrap().clone();
                            if let Some(gate) = wait {
                                gate.acquire().await.unwrap().forget();
                            }
                            let reply = reply.lock().unwrap().clone();
                            Ok::<_, Infallible>(respond(reply))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            hits,
            reply,
            gate,
            _ca_dir: ca_dir,
            ca_file,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn set(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    fn allow(&self) -> AllowList {
        AllowList::new([HostRule::exact("localhost").ports(&[self.addr.port()])])
    }

    fn settings(&self) -> ClientSettings {
        ClientSettings {
            roots: Roots::CaFile(self.ca_file.clone()),
            // Generous: a loaded CI machine must not turn these into failures.
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            ..ClientSettings::default()
        }
    }

    fn client(&self) -> Client {
        Client::new(self.allow(), self.settings()).unwrap()
    }
}

fn respond(reply: Reply) -> hyper::Response<BoxBody<Bytes, Infallible>> {
    let body: BoxBody<Bytes, Infallible> = if reply.chunked {
        let chunks: Vec<Result<Frame<Bytes>, Infallible>> = reply
            .body
            .chunks(1024)
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        StreamBody::new(futures_util::stream::iter(chunks)).boxed()
    } else {
        Full::new(Bytes::from(reply.body)).boxed()
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response.headers_mut().append(name, value.parse().unwrap());
    }
    response
}

/// A clock that stands still until told to move.
fn manual_clock() -> (Clock, Arc<AtomicU64>) {
    let offset = Arc::new(AtomicU64::new(0));
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let o = offset.clone();
    let clock: Clock = Arc::new(move || base + Duration::from_secs(o.load(Ordering::SeqCst)));
    (clock, offset)
}

fn text() -> Parser<String> {
    Arc::new(|body: &[u8]| {
        let s = std::str::from_utf8(body).map_err(|_| "not UTF-8".to_owned())?;
        if s.starts_with("bad") {
            return Err("not a document".to_owned());
        }
        Ok(s.to_owned())
    })
}

fn policy() -> CachePolicy {
    CachePolicy {
        default_ttl: Duration::from_secs(300),
        min_ttl: Duration::from_secs(60),
        max_ttl: Duration::from_secs(3600),
        failure_backoff: Duration::from_secs(30),
        max_stale: Duration::from_secs(86_400),
        refresh_interval: Duration::from_secs(30),
        max_entries: 8,
    }
}

#[tokio::test]
async fn fetches_over_tls_with_the_ca_file() {
    let server = Server::start(Reply::ok("hello")).await;
    let got = server.client().get(&server.url("/doc?x=1")).await.unwrap();
    assert_eq!(&got.body[..], b"hello");
    // By IP, allowed only because a rule names the address (the leaf's SAN has it).
    let by_ip = Client::new(
        AllowList::new([HostRule::ip("127.0.0.1".parse().unwrap()).ports(&[server.addr.port()])]),
        server.settings(),
    )
    .unwrap();
    let url = format!("https://127.0.0.1:{}/doc", server.addr.port());
    assert_eq!(&by_ip.get(&url).await.unwrap().body[..], b"hello");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn refused_urls_send_nothing() {
    let server = Server::start(Reply::ok("hello")).await;
    let client = server.client();
    let port = server.addr.port();
    for (url, why) in [
        ("https://example.org/doc".to_owned(), Refusal::Host),
        (format!("https://localhost:{}/doc", port + 1), Refusal::Host),
        (format!("https://127.0.0.1:{port}/doc"), Refusal::IpLiteral),
        (format!("http://localhost:{port}/doc"), Refusal::Scheme),
        (
            format!("https://me:pw@localhost:{port}/doc"),
            Refusal::Userinfo,
        ),
    ] {
        assert_eq!(
            client.get(&url).await.unwrap_err(),
            FetchError::NotAllowed(why),
            "{url}"
        );
    }
    let (clock, _) = manual_clock();
    let cache = Cache::new(client, text(), policy(), clock);
    assert_eq!(
        cache.get("https://example.org/doc").await.unwrap_err(),
        FetchError::NotAllowed(Refusal::Host)
    );
    assert!(cache.entries().is_empty(), "a refused URL takes no entry");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn the_default_roots_refuse_the_local_ca() {
    let server = Server::start(Reply::ok("hello")).await;
    let client = Client::new(
        server.allow(),
        ClientSettings {
            roots: Roots::Webpki,
            ..server.settings()
        },
    )
    .unwrap();
    let err = client.get(&server.url("/doc")).await.unwrap_err();
    assert!(matches!(err, FetchError::Tls(_)), "{err:?}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn a_bad_ca_file_is_a_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, "not a certificate").unwrap();
    let settings = |p: &std::path::Path| ClientSettings {
        roots: Roots::CaFile(p.to_owned()),
        ..ClientSettings::default()
    };
    assert!(Client::new(AllowList::default(), settings(&path)).is_err());
    assert!(Client::new(AllowList::default(), settings(&dir.path().join("missing"))).is_err());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Accepts the connection and says nothing, not even the TLS handshake.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let h = held.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            h.lock().unwrap().push(tcp);
        }
    });
    let client = Client::new(
        AllowList::new([HostRule::exact("localhost").ports(&[port])]),
        ClientSettings {
            timeout: Duration::from_millis(500),
            ..ClientSettings::default()
        },
    )
    .unwrap();
    let err = client
        .get(&format!("https://localhost:{port}/doc"))
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Timeout);
    assert!(err.retry_after() > Duration::ZERO);
}

#[tokio::test]
async fn an_oversized_body_is_refused_declared_or_not() {
    let big = "x".repeat(64 * 1024);
    let server = Server::start(Reply::ok(&big)).await;
    let client = Client::new(
        server.allow(),
        ClientSettings {
            max_body: 1024,
            ..server.settings()
        },
    )
    .unwrap();
    assert_eq!(
        client.get(&server.url("/big")).await.unwrap_err(),
        FetchError::TooLarge(1024)
    );
    server.set(Reply {
        chunked: true,
        ..Reply::ok(&big)
    });
    assert_eq!(
        client.get(&server.url("/big")).await.unwrap_err(),
        FetchError::TooLarge(1024)
    );
    // At the limit is fine.
    server.set(Reply {
        chunked: true,
        ..Reply::ok(&big[..1024])
    });
    assert_eq!(
        client.get(&server.url("/big")).await.unwrap().body.len(),
        1024
    );
}

#[tokio::test]
async fn redirects_and_errors_are_not_followed() {
    let server =
        Server::start(Reply::status(302).header("location", "https://example.org/elsewhere")).await;
    let client = server.client();
    assert_eq!(
        client.get(&server.url("/doc")).await.unwrap_err(),
        FetchError::Status(302)
    );
    server.set(Reply::status(503));
    assert_eq!(
        client.get(&server.url("/doc")).await.unwrap_err(),
        FetchError::Status(503)
    );
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_fresh_copy_is_served_from_the_cache() {
    let server = Server::start(Reply::ok("v1")).await;
    let (clock, now) = manual_clock();
    let cache = Cache::new(server.client(), text(), policy(), clock);
    let url = server.url("/doc");
    for _ in 0..5 {
        assert_eq!(*cache.get(&url).await.unwrap().value, "v1");
    }
    assert_eq!(server.hits(), 1);
    // Past the default TTL (300 s): fetched again.
    server.set(Reply::ok("v2"));
    now.store(299, Ordering::SeqCst);
    assert_eq!(*cache.get(&url).await.unwrap().value, "v1");
    now.store(300, Ordering::SeqCst);
    let doc = cache.get(&url).await.unwrap();
    assert_eq!((doc.value.as_str(), doc.stale.clone()), ("v2", None));
    assert_eq!(server.hits(), 2);
    assert_eq!(cache.peek(&url).unwrap().value, doc.value);
}

#[tokio::test]
async fn max_age_is_respected_within_bounds() {
    let server =
        Server::start(Reply::ok("v1").header("cache-control", "public, max-age=120")).await;
    let (clock, _) = manual_clock();
    let cache = Cache::new(server.client(), text(), policy(), clock);
    let ttl = |d: &hookgate::fetch::Doc<String>| d.expires_at.duration_since(d.fetched_at).unwrap();
    assert_eq!(
        ttl(&cache.get(&server.url("/a")).await.unwrap()).as_secs(),
        120
    );
    server.set(Reply::ok("v1").header("cache-control", "max-age=99999999"));
    assert_eq!(
        ttl(&cache.get(&server.url("/b")).await.unwrap()).as_secs(),
        3600
    );
    server.set(Reply::ok("v1").header("cache-control", "max-age=0"));
    assert_eq!(
        ttl(&cache.get(&server.url("/c")).await.unwrap()).as_secs(),
        60
    );
    server.set(Reply::ok("v1").header("cache-control", "no-store"));
    assert_eq!(
        ttl(&cache.get(&server.url("/d")).await.unwrap()).as_secs(),
        60
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_good_copy_and_its_age() {
    let server = Server::start(Reply::ok("good")).await;
    let (clock, now) = manual_clock();
    let cache = Cache::new(server.client(), text(), policy(), clock);
    let url = server.url("/doc?key=not-logged");
    cache.get(&url).await.unwrap();

    server.set(Reply::status(500));
    now.store(400, Ordering::SeqCst);
    let doc = cache.get(&url).await.unwrap();
    assert_eq!(*doc.value, "good");
    assert_eq!(doc.stale, Some(FetchError::Status(500)));
    assert_eq!(
        doc.age(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_400))
            .as_secs(),
        400
    );
    assert_eq!(server.hits(), 2);

    // Within the failure backoff nothing is fetched; the copy is still served.
    now.store(420, Ordering::SeqCst);
    assert_eq!(*cache.get(&url).await.unwrap().value, "good");
    assert_eq!(server.hits(), 2);
    let entries = cache.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].url, server.url("/doc"), "no query string");
    assert_eq!(entries[0].age, Some(Duration::from_secs(420)));
    assert_eq!(entries[0].last_error, Some(FetchError::Status(500)));

    // A body the parser refuses is a failure too: the good copy stays.
    server.set(Reply::ok("bad document"));
    now.store(460, Ordering::SeqCst);
    let doc = cache.get(&url).await.unwrap();
    assert_eq!(*doc.value, "good");
    assert!(
        matches!(doc.stale, Some(FetchError::Parse(_))),
        "{:?}",
        doc.stale
    );
    assert_eq!(server.hits(), 3);

    // Past max_stale after its expiry (300 + 86400), the failure is answered.
    now.store(300 + 86_400 + 1, Ordering::SeqCst);
    assert!(matches!(
        cache.get(&url).await.unwrap_err(),
        FetchError::Parse(_)
    ));

    // And the sender recovering is picked up.
    server.set(Reply::ok("new"));
    now.store(300 + 86_400 + 60, Ordering::SeqCst);
    let doc = cache.get(&url).await.unwrap();
    assert_eq!((doc.value.as_str(), doc.stale), ("new", None));
    assert_eq!(cache.entries()[0].last_error, None);
}

// Two worker threads: the fetch task may run beside the callers, as on a real worker pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_callers_share_one_fetch() {
    let server = Server::start(Reply::ok("shared")).await;
    let gate = Arc::new(Semaphore::new(0));
    *server.gate.lock().unwrap() = Some(gate.clone());
    let (clock, _) = manual_clock();
    let cache = Cache::new(server.client(), text(), policy(), clock);
    let url = server.url("/jwks");
    let all = futures_util::future::join_all((0..20).map(|_| cache.get(&url)));
    tokio::pin!(all);
    // One poll runs every caller up to its wait: all twenty are waiting on one fetch, which the
    // server holds until the gate opens.
    assert!(futures_util::poll!(&mut all).is_pending());
    gate.add_permits(100);
    let docs = all.await;
    let first = docs[0].as_ref().unwrap().value.clone();
    for doc in &docs {
        assert!(Arc::ptr_eq(&doc.as_ref().unwrap().value, &first));
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn forced_refreshes_are_rate_limited() {
    let server = Server::start(Reply::ok("v1")).await;
    let (clock, now) = manual_clock();
    let cache = Cache::new(server.client(), text(), policy(), clock);
    let url = server.url("/jwks");
    cache.get(&url).await.unwrap();
    // A forger's stream of unknown kids: none fetches within refresh_interval of the last fetch.
    for _ in 0..10 {
        match cache.refresh(&url).await {
            Err(FetchError::RefreshLimited(next)) => assert!(next <= Duration::from_secs(30)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(server.hits(), 1);
    // Then one does, and the next ones wait again.
    server.set(Reply::ok("v2"));
    now.store(30, Ordering::SeqCst);
    assert_eq!(*cache.refresh(&url).await.unwrap().value, "v2");
    for _ in 0..10 {
        assert!(matches!(
            cache.refresh(&url).await,
            Err(FetchError::RefreshLimited(_))
        ));
    }
    assert_eq!(server.hits(), 2);
    // The refreshed copy is what `get` serves.
    assert_eq!(*cache.get(&url).await.unwrap().value, "v2");
    assert_eq!(server.hits(), 2);
    // A forced refresh of a URL never fetched fetches it.
    assert_eq!(
        *cache.refresh(&server.url("/other")).await.unwrap().value,
        "v2"
    );
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn entries_are_bounded() {
    let server = Server::start(Reply::ok("v")).await;
    let (clock, _) = manual_clock();
    let cache = Cache::new(
        server.client(),
        text(),
        CachePolicy {
            max_entries: 2,
            ..policy()
        },
        clock,
    );
    for path in ["/a", "/b", "/a", "/c"] {
        cache.get(&server.url(path)).await.unwrap();
    }
    let urls: Vec<String> = cache.entries().into_iter().map(|e| e.url).collect();
    // `/b` was the least recently used.
    assert_eq!(urls, vec![server.url("/a"), server.url("/c")]);
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn failing_urls_never_push_out_good_copies() {
    let server = Server::start(Reply::ok("v")).await;
    let (clock, _) = manual_clock();
    let cache = Cache::new(
        server.client(),
        text(),
        CachePolicy {
            max_entries: 3,
            ..policy()
        },
        clock,
    );
    cache.get(&server.url("/good")).await.unwrap();
    // A flood of URLs that fail (a forger naming made-up certificate paths), each used more
    // recently than the good one.
    server.set(Reply::status(404));
    for i in 0..10 {
        assert!(cache.get(&server.url(&format!("/bad{i}"))).await.is_err());
    }
    let urls: Vec<String> = cache.entries().into_iter().map(|e| e.url).collect();
    assert!(urls.contains(&server.url("/good")), "{urls:?}");
    assert_eq!(urls.len(), 3, "{urls:?}");
    // Still served from the cache: no fetch.
    let hits = server.hits();
    assert_eq!(&*cache.get(&server.url("/good")).await.unwrap().value, "v");
    assert_eq!(server.hits(), hits);
}

#[tokio::test]
async fn fetches_in_progress_are_capped_and_busy_is_not_remembered() {
    let server = Server::start(Reply::ok("v")).await;
    let gate = Arc::new(Semaphore::new(0));
    *server.gate.lock().unwrap() = Some(gate.clone());
    let client = Client::new(
        server.allow(),
        ClientSettings {
            max_in_flight: 1,
            ..server.settings()
        },
    )
    .unwrap();
    let (clock, _) = manual_clock();
    let cache = Cache::new(client, text(), policy(), clock);
    let (a, b) = (server.url("/a"), server.url("/b"));
    let first = cache.get(&a);
    tokio::pin!(first);
    assert!(futures_util::poll!(&mut first).is_pending());
    // The one slot is taken until the server answers `/a`; the fetch task holds it once it
    // has run, so wait (by count, not time) for the server to see the request.
    for _ in 0..10_000 {
        if server.hits() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.hits(), 1);
    assert_eq!(cache.get(&b).await.unwrap_err(), FetchError::Busy);
    gate.add_permits(100);
    assert_eq!(*first.await.unwrap().value, "v");
    // No backoff after Busy: `/b` is fetched at once.
    assert_eq!(*cache.get(&b).await.unwrap().value, "v");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_fetch_completes_when_its_callers_are_gone() {
    let server = Server::start(Reply::ok("kept")).await;
    let gate = Arc::new(Semaphore::new(0));
    *server.gate.lock().unwrap() = Some(gate.clone());
    let (clock, _) = manual_clock();
    let cache = Cache::new(server.client(), text(), policy(), clock);
    let url = server.url("/doc");
    {
        let get = cache.get(&url);
        tokio::pin!(get);
        assert!(futures_util::poll!(&mut get).is_pending());
        // Dropped here: the sender hung up.
    }
    gate.add_permits(100);
    for _ in 0..10_000 {
        if cache.peek(&url).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(*cache.peek(&url).unwrap().value, "kept");
    assert_eq!(*cache.get(&url).await.unwrap().value, "kept");
    assert_eq!(server.hits(), 1);
}
