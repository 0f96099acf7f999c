//! Test harness: a recording upstream, hookgate started in-process on 127.0.0.1:0 with an
//! injected clock, and a small HTTP client. Every wait has a timeout.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use hookgate::app::{self, Listeners};
use hookgate::config::{self, Secrets};

/// Upper bound on any single wait in a test.
pub const WAIT: Duration = Duration::from_secs(10);
/// How often [`poll`] looks, unless a caller has a reason to look less often.
pub const POLL: Duration = Duration::from_millis(20);

/// Runs `check` every `every` until it yields a value, for at most [`WAIT`]; `None` when it never
/// did, so the caller's panic can say what it saw. The tests' bounded waits all go through here.
pub async fn poll<T>(every: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(every).await;
    }
}

/// What the upstream saw.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// How the upstream answers its n-th request (0-based).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub delay: Duration,
    pub body: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            delay: Duration::ZERO,
            body: "{\"ok\":true}",
            headers: &[],
        }
    }

    pub fn delayed(status: u16, delay: Duration) -> Self {
        Self {
            delay,
            ..Self::status(status)
        }
    }
}

type Behavior = Arc<dyn Fn(usize) -> Reply + Send + Sync>;

pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Recorded>>>,
    /// Requests whose answer has been sent (a request counts when its reply is written).
    pub answered: Arc<AtomicUsize>,
    /// The most requests held at once: from its head's arrival until just before its answer
    /// is written, so never more than the client had open.
    pub most_in_flight: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    pub async fn start(behavior: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on(0, behavior).await
    }

    /// `start` on a given port (an app that comes back where it was).
    pub async fn start_on(
        port: u16,
        behavior: impl Fn(usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let answered = Arc::new(AtomicUsize::new(0));
        let behavior: Behavior = Arc::new(behavior);
        let counter = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most_in_flight = Arc::new(AtomicUsize::new(0));
        let (s, a, most) = (seen.clone(), answered.clone(), most_in_flight.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (seen, answered, behavior, counter) =
                    (s.clone(), a.clone(), behavior.clone(), counter.clone());
                let (in_flight, most) = (in_flight.clone(), most.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let (seen, answered, behavior, counter) = (
                            seen.clone(),
                            answered.clone(),
                            behavior.clone(),
                            counter.clone(),
                        );
                        let in_flight = in_flight.clone();
                        let held = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(held, Ordering::SeqCst);
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|c| c.to_bytes())
                                .unwrap_or_default();
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            seen.lock().unwrap().push(Recorded {
                                method: parts.method,
                                uri: parts.uri,
                                headers: parts.headers,
                                body,
                            });
                            let reply = behavior(n);
                            tokio::time::sleep(reply.delay).await;
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            answered.fetch_add(1, Ordering::SeqCst);
                            let mut resp =
                                Response::new(Full::new(Bytes::from_static(reply.body.as_bytes())));
                            *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap();
                            resp.headers_mut()
                                .insert("x-upstream", "yes".parse().unwrap());
                            for (name, value) in reply.headers {
                                resp.headers_mut().insert(*name, value.parse().unwrap());
                            }
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self {
            addr,
            seen,
            answered,
            most_in_flight,
            task,
        }
    }

    pub fn ok() -> impl std::future::Future<Output = Self> {
        Self::start(|_| Reply::status(200))
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A clock the test moves: unix seconds.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn at(unix: i64) -> Self {
        Self(Arc::new(AtomicI64::new(unix)))
    }

    pub fn set(&self, unix: i64) {
        self.0.store(unix, Ordering::SeqCst);
    }

    pub fn clock(&self) -> hookgate::clock::Clock {
        let t = self.0.clone();
        Arc::new(move || {
            UNIX_EPOCH + Duration::from_secs(u64::try_from(t.load(Ordering::SeqCst)).unwrap())
        })
    }
}

pub fn now_unix() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// hookgate running in-process.
pub struct Proxy {
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts hookgate on `yaml` (with `{upstream}` replaced by the upstream URL) and secrets
    /// from `env`.
    pub async fn start(
        yaml: &str,
        upstream: &str,
        env: &[(&str, &str)],
        clock: hookgate::clock::Clock,
    ) -> Self {
        let yaml = yaml.replace("{upstream}", upstream);
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = move |n: &str| env.get(n).cloned();
        let config = config::parse(
            &yaml,
            "test.yaml",
            std::path::Path::new("."),
            &lookup,
            Secrets::Load,
        )
        .unwrap_or_else(|e| panic!("test config invalid: {e}"));
        let main = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (addr, admin_addr) = (main.local_addr().unwrap(), admin.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            app::run(config, Listeners { main, admin }, clock, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            admin: admin_addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn metrics(&self) -> String {
        scrape(self.admin).await
    }

    /// The value of one sample (see [`sample`]); a panic when it is not exported.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self.metrics().await;
        sample(&text, series).unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
    }

    /// Signals shutdown and waits for a clean exit.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(WAIT, t)
                .await
                .expect("hookgate did not stop")
                .unwrap();
        }
    }

    pub fn signal_stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {:?}", self.body))
    }

    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

pub async fn send(req: Request<Full<Bytes>>) -> Answer {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = tokio::time::timeout(WAIT, client.request(req))
        .await
        .expect("request timed out")
        .expect("request failed");
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(WAIT, body.collect())
        .await
        .unwrap()
        .unwrap()
        .to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn post(url: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Answer {
    let mut req = Request::post(url).header("content-type", "application/json");
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    send(req.body(Full::new(body.into())).unwrap()).await
}

pub fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    hex::encode(m.finalize().into_bytes())
}

/// A POST with exactly these headers (no default content type).
pub async fn post_exact(url: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Answer {
    let mut req = Request::post(url);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    send(req.body(Full::new(body.into())).unwrap()).await
}

/// A `redis-server` on a free loopback port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Starts one, or returns None (outside CI) when redis-server is not installed.
    pub async fn start() -> Option<Self> {
        Self::on(free_port()).await
    }

    /// Starts one on `port` (a restart on the same port, for outage tests).
    pub async fn on(port: u16) -> Option<Self> {
        Self::with(port, &["--appendonly", "no"]).await
    }

    /// One that syncs every write to its append-only file in `dir` before answering
    /// (`appendfsync always`); started again on the same port and `dir`, it has every write it
    /// acknowledged.
    pub async fn durable(port: u16, dir: &std::path::Path) -> Option<Self> {
        let dir = dir.to_str().unwrap();
        Self::with(
            port,
            &[
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                dir,
            ],
        )
        .await
    }

    async fn with(port: u16, args: &[&str]) -> Option<Self> {
        let child = match std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(_) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "redis-server missing in CI: .ci/run must install it"
                );
                eprintln!("SKIPPED: redis-server not installed (apt-get install redis-server)");
                return None;
            }
        };
        poll(POLL, async || {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
        })
        .await
        .expect("redis-server did not start");
        Some(Self {
            port,
            child: Some(child),
        })
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port that was free a moment ago, for configs that name their ports (the real binary).
/// Taken below Linux's ephemeral range (32768-60999): a port the kernel handed out for
/// `bind(0)` can become the source port of any outgoing connection (to Redis, the upstream)
/// before the binary binds it, which failed a CI run with "Address already in use". Each call
/// takes the next port of this process's own walk (started from its pid), so two tests of one
/// run never get the same port either.
pub fn free_port() -> u16 {
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let start = std::process::id().wrapping_mul(7919) % SPAN;
    loop {
        let n = u32::try_from(NEXT.fetch_add(1, Ordering::Relaxed) % SPAN as usize).unwrap();
        let port = u16::try_from(LOW + (start + n) % SPAN).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Whether hookgate's admin port answers `/readyz` with 200 right now.
pub async fn answers_ready(admin: u16) -> bool {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = Request::get(format!("http://127.0.0.1:{admin}/readyz"))
        .body(Full::default())
        .unwrap();
    matches!(
        tokio::time::timeout(Duration::from_secs(1), client.request(req)).await,
        Ok(Ok(r)) if r.status() == 200
    )
}

/// The real binary on a config file with fixed ports, its stderr in a log file; killed on
/// drop if still running.
pub struct Binary {
    child: std::process::Child,
    pub port: u16,
    pub admin: u16,
    log: std::path::PathBuf,
}

impl Binary {
    /// Starts `hookgate --config CONFIG ARGS...` with `env` (and no RUST_LOG) and waits until
    /// it is ready; fails the test with its log if it exits or is not ready in time.
    pub async fn start(
        config: &std::path::Path,
        log: std::path::PathBuf,
        env: &[(&str, &str)],
        args: &[&str],
        (port, admin): (u16, u16),
    ) -> Self {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"));
        cmd.args(["--config", config.to_str().unwrap()])
            .args(args)
            .envs(env.iter().copied())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut hg = Self {
            child: cmd.spawn().unwrap(),
            port,
            admin,
            log,
        };
        let ready = poll(POLL, async || {
            if let Some(s) = hg.child.try_wait().unwrap() {
                panic!("hookgate exited at start: {s:?}\n{}", hg.logs());
            }
            answers_ready(admin).await.then_some(())
        })
        .await;
        assert!(ready.is_some(), "hookgate never ready\n{}", hg.logs());
        hg
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -SIG`, e.g. "-TERM", "-HUP".
    pub fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} failed");
    }

    /// SIGKILL: a crash, nothing runs after it.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub async fn wait_exit(&mut self) -> std::process::ExitStatus {
        let status = poll(POLL, async || self.child.try_wait().unwrap()).await;
        status.unwrap_or_else(|| panic!("hookgate did not exit\n{}", self.logs()))
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its log so far, as JSON lines (its config must say `log: { format: json }`).
    pub fn json_logs(&self) -> Vec<serde_json::Value> {
        json_lines(&self.logs())
    }

    pub async fn metrics(&self) -> String {
        scrape(format!("127.0.0.1:{}", self.admin)).await
    }

    /// The value of one sample, if it is exported (see [`sample`]).
    pub async fn metric(&self, series: &str) -> Option<f64> {
        sample(&self.metrics().await, series)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `/metrics` text of the admin port at `admin` (`host:port`).
pub async fn scrape(admin: impl std::fmt::Display) -> String {
    let r = send(
        Request::get(format!("http://{admin}/metrics"))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    String::from_utf8(r.body.to_vec()).unwrap()
}

/// The lines of a JSON log, parsed; lines that are not JSON (a panic message, say) are skipped.
pub fn json_lines(logs: &str) -> Vec<serde_json::Value> {
    logs.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The value of one sample in a scrape, e.g. `hookgate_requests_total{route="a",outcome="forwarded"}`
/// (labels in the order the exposition format writes them: alphabetical), if exported.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.trim().parse::<f64>().ok())
    })
}

/// Waits until hookgate's admin port answers `/readyz` with 200.
pub async fn wait_ready(admin: u16) {
    poll(POLL, async || answers_ready(admin).await.then_some(()))
        .await
        .unwrap_or_else(|| panic!("127.0.0.1:{admin} never became ready"));
}

/// One `routes:` entry with the generic scheme the end-to-end tests sign for (`proxy::signed`:
/// `sha256=` hex HMAC of `{timestamp}.{body}` in X-Signature, unix time in X-Timestamp, dedup on
/// the body's `id`), and `secrets` as a YAML flow list.
pub fn signed_route(name: &str, path: &str, secrets: &str) -> String {
    format!(
        r#"  - name: {name}
    path: {path}
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp }}
    dedup_key: {{ json: /id }}
    secrets: {secrets}
"#
    )
}

/// The load error of a config whose one route (`provider`, at `/r`) ends with `extra` lines,
/// every secret variable set; `None` when it loads.
pub fn route_config_error(provider: &str, extra: &str) -> Option<String> {
    let yaml = format!(
        "upstream: {{ url: \"http://127.0.0.1:1\" }}\nroutes:\n  - name: r\n    path: /r\n    provider: {provider}\n{extra}"
    );
    hookgate::config::parse(
        &yaml,
        "t.yaml",
        std::path::Path::new("."),
        &|_: &str| Some("x".to_owned()),
        hookgate::config::Secrets::Load,
    )
    .err()
    .map(|e| e.to_string())
}
