//! Configuration: serde types that mirror the YAML, and the validated `Config` the code uses.
//!
//! Loading is two-stage. `Raw*` types (`deny_unknown_fields` everywhere, no `flatten`, which
//! would silently disable it) accept exactly the documented keys; `validate` turns them into
//! typed values (`Duration`, `SocketAddr`, a parsed `Scheme`, prepared keys) and collects every
//! problem with its path and the file's line and column, so one run of `hookgate check` shows
//! them all. `config.example.yaml` documents each key.

mod yaml;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, Method, StatusCode};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::forward::UpstreamTarget;
use crate::secret::Secret;
use crate::verify::presets::Handshake;
use crate::verify::scheme::parse_payload_template;
use crate::verify::{
    presets, Algorithm, DedupKeySpec, Encoding, Freshness, HeaderSet, IdSource, Key, KeySource,
    Piece, Scheme, SecretEncoding, SignatureFormat, TimestampFormat, TimestampRule,
    TimestampSource,
};

pub const DEFAULT_LISTEN: &str = "0.0.0.0:8080";
pub const DEFAULT_ADMIN_LISTEN: &str = "0.0.0.0:9090";
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);
/// Below Node's 5 s keep-alive default, so hookgate drops an idle pooled connection before the
/// app does and never sends a request into a socket the app is closing.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// Far beyond any webhook (GitHub caps its payloads at 25 MB); keeps a body's size a count of
/// budget permits (`u32`).
pub const MAX_BODY_CAP: usize = 1024 * 1024 * 1024;
/// `limits.max_buffered` when not set: this, or 4 bodies of the largest body limit
/// (`limits.max_body` or a route's own), whichever is larger.
pub const DEFAULT_MAX_BUFFERED: usize = 64 * 1024 * 1024;
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_CONCURRENCY: usize = 1024;
pub const MAX_CONCURRENCY_CAP: usize = 1_000_000;
pub const DEFAULT_DEDUP_MAX_ENTRIES: u64 = 100_000;
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(500);
pub const DEFAULT_REDIS_KEY_PREFIX: &str = "hookgate:";
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
pub const DEFAULT_MAX_FUTURE_SKEW: Duration = Duration::from_secs(60);
/// Kubernetes waits 30 s by default before SIGKILL; draining must finish before that.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// Rejections kept for `/debug/rejections`: enough to see a pattern, a few tens of KiB.
pub const DEFAULT_RECENT_REJECTIONS: usize = 100;
/// A bound on that buffer, so a typo cannot make it a memory sink.
pub const MAX_RECENT_REJECTIONS: usize = 10_000;
/// Far more threads than a sidecar has cores; a typo like 1000 should not start them.
pub const MAX_WORKERS: usize = 256;

/// The default never starts more workers than this: a sidecar without a CPU limit sees every
/// core of its node, and each worker keeps its own connections to the app. Four serve tens of
/// thousands of webhooks a second; `workers` goes higher when wanted.
pub const DEFAULT_WORKERS_CAP: usize = 4;

/// One worker per CPU this process may use (cgroup quotas included), up to
/// `DEFAULT_WORKERS_CAP`: more than the cores would only take turns on them.
fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(DEFAULT_WORKERS_CAP)
}

// ---------------------------------------------------------------------------------------------
// Raw: what the file says.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<String>,
    admin_listen: Option<String>,
    upstream: RawUpstream,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    dedup: RawDedup,
    #[serde(default)]
    log: RawLog,
    shutdown_grace: Option<String>,
    workers: Option<usize>,
    #[serde(default)]
    diagnostics: RawDiagnostics,
    routes: Vec<RawRoute>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiagnostics {
    recent_rejections: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    url: String,
    timeout: Option<String>,
    pool_idle_timeout: Option<String>,
    max_response_body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_body: Option<String>,
    max_buffered: Option<String>,
    header_timeout: Option<String>,
    body_timeout: Option<String>,
    max_concurrency: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDedup {
    backend: Option<String>,
    max_entries: Option<u64>,
    ttl: Option<String>,
    duplicate_status: Option<u16>,
    redis: Option<RawRedis>,
    snapshot: Option<RawSnapshot>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnapshot {
    path: PathBuf,
    max_entries: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedis {
    url: Option<String>,
    username: Option<String>,
    password: Option<RawSecret>,
    key_prefix: Option<String>,
    timeout: Option<String>,
    on_unavailable: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<String>,
    level: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    name: String,
    path: String,
    provider: Option<String>,
    verify: Option<RawVerify>,
    #[serde(default)]
    secrets: Vec<RawSecret>,
    max_age: Option<String>,
    max_future_skew: Option<String>,
    mode: Option<String>,
    methods: Option<Vec<String>>,
    reject_status: Option<u16>,
    dedup_key: Option<RawDedupKey>,
    dedup: Option<bool>,
    public_url: Option<String>,
    max_body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    algorithm: Option<String>,
    header: Option<String>,
    encoding: Option<String>,
    prefix: Option<String>,
    prefix_required: Option<bool>,
    separator: Option<String>,
    params: Option<RawParams>,
    signed_payload: Option<String>,
    timestamp: Option<RawTimestamp>,
    id: Option<RawId>,
    secret_encoding: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    separator: Option<String>,
    signature: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimestamp {
    header: Option<String>,
    json: Option<String>,
    param: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawId {
    header: Option<String>,
    json: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecret {
    id: Option<String>,
    env: Option<String>,
    file: Option<PathBuf>,
    value: Option<String>,
}

// An inline `value` is a secret: keep it out of Debug like everything else.
impl fmt::Debug for RawSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSecret")
            .field("id", &self.id)
            .field("env", &self.env)
            .field("file", &self.file)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDedupKey {
    header: Option<String>,
    json: Option<String>,
    body_sha256: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Typed: what the code uses.

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub upstream: UpstreamConfig,
    pub limits: Limits,
    pub dedup: DedupConfig,
    pub log: LogConfig,
    pub shutdown_grace: Duration,
    /// Threads serving requests, each with its own event loop and upstream pool.
    pub workers: usize,
    pub diagnostics: Diagnostics,
    pub routes: Vec<Arc<Route>>,
    /// Things that work but deserve a look (inline secrets, unsigned dedup headers...).
    pub warnings: Vec<String>,
    /// Every secret file the config names (resolved paths), so live reload can watch them.
    pub secret_files: Vec<PathBuf>,
    by_path: HashMap<String, usize>,
}

/// What hookgate keeps for explaining rejections on the admin port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diagnostics {
    /// Size of the `/debug/rejections` ring buffer; 0 keeps none.
    pub recent_rejections: usize,
}

impl Config {
    /// The route serving `path` (exact match; the query string is not part of it).
    pub fn route_for(&self, path: &str) -> Option<&Arc<Route>> {
        self.by_path.get(path).map(|&i| &self.routes[i])
    }
}

#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub target: UpstreamTarget,
    /// As written in config, for logs and `check`.
    pub url: String,
    pub timeout: Duration,
    pub pool_idle_timeout: Duration,
    pub max_response_body: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For routes without a `max_body` of their own (`Route::max_body` is the one in force).
    pub max_body: usize,
    /// Bytes of request bodies held in memory at once, all connections together. Unverified
    /// bodies must be held whole before their signature can be checked: without this bound a
    /// flood of large uploads grows memory (max_concurrency x max_body) until the process is
    /// killed; with it, the excess gets 503 + Retry-After.
    pub max_buffered: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct DedupConfig {
    pub max_entries: u64,
    pub ttl: Duration,
    pub duplicate_status: StatusCode,
    /// `None`: the in-process store.
    pub redis: Option<RedisConfig>,
    /// Where the memory store is saved on shutdown and restored on start.
    pub snapshot: Option<SnapshotConfig>,
}

/// A bounded snapshot of the memory store's accepted ids, so a restart inside a sender's
/// retry window does not turn retries into double deliveries.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    pub path: PathBuf,
    pub max_entries: u64,
}

/// A shared dedup store for several replicas.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://host:port/db` or `rediss://` (TLS); never holds the password (see `password`).
    pub url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Prepended to every key, so several hookgates (or apps) can share one Redis.
    pub key_prefix: String,
    /// Per operation; past it the request is answered as if Redis were down.
    pub timeout: Duration,
    pub on_unavailable: OnUnavailable,
}

/// What to do when the dedup store cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUnavailable {
    /// 503 + Retry-After: nothing is lost, the sender retries (the default).
    Reject,
    /// Forward without dedup: no delivery waits, but duplicates may reach the app.
    Forward,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter directive (`info`, `hookgate=debug`, ...).
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reject what fails verification.
    Enforce,
    /// Log and count verdicts, forward everything, never drop a duplicate: for trying hookgate
    /// in front of a live endpoint.
    Observe,
}

#[derive(Debug)]
pub struct Route {
    /// Position in `Config::routes`, for per-route tables (metrics).
    pub index: usize,
    pub name: Arc<str>,
    pub path: String,
    pub methods: Vec<Method>,
    /// The preset this route started from, if any.
    pub provider: Option<&'static str>,
    pub scheme: Scheme,
    pub keys: Vec<Key>,
    pub freshness: Freshness,
    pub mode: Mode,
    pub reject_status: StatusCode,
    /// `None` when dedup is off for this route.
    pub dedup_key: Option<DedupKeySpec>,
    pub public_url: Option<String>,
    /// A setup request of the provider's that hookgate answers itself.
    pub handshake: Option<Handshake>,
    /// Larger bodies get 413: the route's own `max_body`, else `limits.max_body`.
    pub max_body: usize,
}

// ---------------------------------------------------------------------------------------------
// Errors.

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `routes[1].secrets[0].env`; empty for the whole file.
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_problems(file, problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

fn render_problems(file: &str, problems: &[Problem]) -> String {
    let mut out = format!(
        "{} problem{} in {file}:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str("\n  ");
        out.push_str(file);
        if let (Some(l), Some(c)) = (p.line, p.column) {
            out.push_str(&format!(":{l}:{c}"));
        }
        out.push_str(": ");
        if !p.path.is_empty() {
            out.push_str(&p.path);
            out.push_str(": ");
        }
        out.push_str(&p.message);
    }
    out
}

/// Where secrets come from. Tests and the demo pass their own environment; a real run passes
/// `std::env::var`.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// How to treat secrets while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Read every secret; a missing one is an error.
    Load,
    /// Do not read secrets (linting rendered configs in CI); keys are placeholders.
    Skip,
}

/// Reads, parses and validates a config file.
pub fn load(path: &Path, env: &dyn Env, secrets: Secrets) -> Result<Config, ConfigError> {
    load_tracked(path, env, secrets).result
}

/// A load attempt and the secret files the text named, even when it is invalid: live reload
/// watches those too, so a config that failed for want of a secret file is retried when the
/// file appears.
pub struct Loaded {
    pub result: Result<Config, ConfigError>,
    pub secret_files: Vec<PathBuf>,
}

/// `load`, also telling which secret files the text named.
pub fn load_tracked(path: &Path, env: &dyn Env, secrets: Secrets) -> Loaded {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(source) => {
            return Loaded {
                result: Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                }),
                secret_files: Vec::new(),
            }
        }
    };
    let base = path.parent().unwrap_or(Path::new("."));
    parse_tracked(&text, &path.display().to_string(), base, env, secrets)
}

/// Parses and validates config text. `file` names it in messages; relative secret file paths
/// resolve against `base`.
pub fn parse(
    text: &str,
    file: &str,
    base: &Path,
    env: &dyn Env,
    secrets: Secrets,
) -> Result<Config, ConfigError> {
    parse_tracked(text, file, base, env, secrets).result
}

fn parse_tracked(text: &str, file: &str, base: &Path, env: &dyn Env, secrets: Secrets) -> Loaded {
    let raw: RawConfig = match yaml::parse(text) {
        Ok(raw) => raw,
        Err((message, loc)) => {
            return Loaded {
                result: Err(ConfigError::Invalid {
                    file: file.to_owned(),
                    problems: vec![Problem {
                        path: String::new(),
                        line: loc.map(|l| l.line),
                        column: loc.map(|l| l.column),
                        message,
                    }],
                }),
                secret_files: Vec::new(),
            }
        }
    };
    let mut v = Validator {
        problems: Vec::new(),
        warnings: Vec::new(),
        secret_files: Vec::new(),
        env,
        base,
        secrets,
    };
    let config = v.config(raw);
    let secret_files = std::mem::take(&mut v.secret_files);
    if v.problems.is_empty() {
        if let Some(mut config) = config {
            config.warnings = v.warnings;
            config.secret_files.clone_from(&secret_files);
            return Loaded {
                result: Ok(config),
                secret_files,
            };
        }
    }
    let positions = yaml::positions(text);
    let mut problems = v.problems;
    for p in &mut problems {
        // The deepest path that has a position: a missing key points at its parent.
        let mut path = p.path.as_str();
        loop {
            if let Some(loc) = positions.get(path) {
                p.line = Some(loc.line);
                p.column = Some(loc.column);
                break;
            }
            match path.rfind(['.', '[']) {
                Some(i) => path = &path[..i],
                None => break,
            }
        }
    }
    Loaded {
        result: Err(ConfigError::Invalid {
            file: file.to_owned(),
            problems,
        }),
        secret_files,
    }
}

// ---------------------------------------------------------------------------------------------
// Validation.

struct Validator<'a> {
    problems: Vec<Problem>,
    warnings: Vec<String>,
    secret_files: Vec<PathBuf>,
    env: &'a dyn Env,
    base: &'a Path,
    secrets: Secrets,
}

impl Validator<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        });
    }

    /// A secret file's full path, remembered for live reload to watch.
    fn watch(&mut self, file: &Path) -> PathBuf {
        let full = self.base.join(file);
        if !self.secret_files.contains(&full) {
            self.secret_files.push(full.clone());
        }
        full
    }

    fn duration(&mut self, path: &str, v: Option<&str>, default: Duration) -> Duration {
        let Some(s) = v else { return default };
        match humantime::parse_duration(s.trim()) {
            Ok(d) => d,
            Err(_) => {
                self.problem(
                    path,
                    format!("{s:?} is not a duration; write it like 500ms, 30s, 5m or 24h"),
                );
                default
            }
        }
    }

    fn size(&mut self, path: &str, v: Option<&str>, default: usize) -> usize {
        v.map_or(Some(default), |s| self.parsed_size(path, s))
            .unwrap_or(default)
    }

    /// `None` (and a problem) when `s` is not a size.
    fn parsed_size(&mut self, path: &str, s: &str) -> Option<usize> {
        let n = parse_size(s);
        if n.is_none() {
            self.problem(
                path,
                format!("{s:?} is not a size; write it like 512KiB, 1MiB or 1048576"),
            );
        }
        n
    }

    fn addr(&mut self, path: &str, v: Option<&str>, default: &str) -> Option<SocketAddr> {
        let s = v.unwrap_or(default);
        match s.parse() {
            Ok(a) => Some(a),
            Err(_) => {
                self.problem(
                    path,
                    format!(
                        "{s:?} is not an address; write it like 0.0.0.0:8080 or 127.0.0.1:9090"
                    ),
                );
                None
            }
        }
    }

    fn header(&mut self, path: &str, name: &str) -> Option<HeaderName> {
        match HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()) {
            Ok(h) => Some(h),
            Err(_) => {
                self.problem(path, format!("{name:?} is not a valid header name"));
                None
            }
        }
    }

    fn config(&mut self, raw: RawConfig) -> Option<Config> {
        let listen = self.addr("listen", raw.listen.as_deref(), DEFAULT_LISTEN);
        let admin_listen = self.addr(
            "admin_listen",
            raw.admin_listen.as_deref(),
            DEFAULT_ADMIN_LISTEN,
        );
        if let (Some(a), Some(b)) = (listen, admin_listen) {
            if a == b {
                self.problem("admin_listen", "must differ from listen");
            }
        }
        let upstream = self.upstream(raw.upstream);
        let max_body = self.body_limit(
            "limits.max_body",
            raw.limits.max_body.as_deref(),
            DEFAULT_MAX_BODY,
        );
        let max_buffered = self.max_buffered(raw.limits.max_buffered.as_deref(), max_body);
        let mut limits = Limits {
            max_body,
            // Set once the routes (whose own max_body may be larger) are read.
            max_buffered: 0,
            header_timeout: self.duration(
                "limits.header_timeout",
                raw.limits.header_timeout.as_deref(),
                DEFAULT_HEADER_TIMEOUT,
            ),
            body_timeout: self.duration(
                "limits.body_timeout",
                raw.limits.body_timeout.as_deref(),
                DEFAULT_BODY_TIMEOUT,
            ),
            max_concurrency: raw
                .limits
                .max_concurrency
                .unwrap_or(DEFAULT_MAX_CONCURRENCY),
        };
        if limits.max_concurrency == 0 {
            self.problem("limits.max_concurrency", "must be at least 1");
        }
        // Each slot is a semaphore permit (tokio caps them) and a possible open upstream
        // exchange; far beyond what one sidecar can serve.
        if limits.max_concurrency > MAX_CONCURRENCY_CAP {
            self.problem(
                "limits.max_concurrency",
                format!("must be at most {MAX_CONCURRENCY_CAP}"),
            );
        }
        for (path, d) in [
            ("limits.header_timeout", limits.header_timeout),
            ("limits.body_timeout", limits.body_timeout),
        ] {
            if d.is_zero() {
                self.problem(path, "must be more than 0");
            }
        }
        let dedup = self.dedup(&raw.dedup);
        let log = self.log(&raw.log);
        let shutdown_grace = self.duration(
            "shutdown_grace",
            raw.shutdown_grace.as_deref(),
            DEFAULT_SHUTDOWN_GRACE,
        );
        let workers = raw.workers.unwrap_or_else(default_workers);
        if workers == 0 || workers > MAX_WORKERS {
            self.problem(
                "workers",
                format!("must be between 1 and {MAX_WORKERS} (or left out: one per CPU hookgate may use)"),
            );
        }
        let recent_rejections = raw
            .diagnostics
            .recent_rejections
            .unwrap_or(DEFAULT_RECENT_REJECTIONS);
        if recent_rejections > MAX_RECENT_REJECTIONS {
            self.problem(
                "diagnostics.recent_rejections",
                format!("at most {MAX_RECENT_REJECTIONS}; the buffer is for a recent pattern, the logs keep the rest"),
            );
        }

        if raw.routes.is_empty() {
            self.problem("routes", "at least one route is needed");
        }
        let mut routes = Vec::new();
        let mut names = HashSet::new();
        let mut by_path = HashMap::new();
        for (i, r) in raw.routes.into_iter().enumerate() {
            let path = format!("routes[{i}]");
            if !names.insert(r.name.clone()) {
                self.problem(
                    format!("{path}.name"),
                    format!("route name {:?} is used twice", r.name),
                );
            }
            if by_path.insert(r.path.clone(), routes.len()).is_some() {
                self.problem(
                    format!("{path}.path"),
                    format!("path {:?} is used by two routes", r.path),
                );
            }
            if let Some(mut route) = self.route(&path, r, &dedup, max_body, max_buffered) {
                route.index = routes.len();
                routes.push(Arc::new(route));
            }
        }
        // By default, room for 4 bodies of the largest size any route accepts.
        let largest = routes.iter().map(|r| r.max_body).fold(max_body, usize::max);
        limits.max_buffered =
            max_buffered.unwrap_or_else(|| DEFAULT_MAX_BUFFERED.max(largest.saturating_mul(4)));

        Some(Config {
            listen: listen?,
            admin_listen: admin_listen?,
            upstream: upstream?,
            limits,
            dedup,
            log,
            shutdown_grace,
            workers: workers.clamp(1, MAX_WORKERS),
            diagnostics: Diagnostics {
                recent_rejections: recent_rejections.min(MAX_RECENT_REJECTIONS),
            },
            routes,
            warnings: Vec::new(),
            secret_files: Vec::new(),
            by_path,
        })
    }

    fn upstream(&mut self, raw: RawUpstream) -> Option<UpstreamConfig> {
        let timeout = self.duration(
            "upstream.timeout",
            raw.timeout.as_deref(),
            DEFAULT_UPSTREAM_TIMEOUT,
        );
        let pool_idle_timeout = self.duration(
            "upstream.pool_idle_timeout",
            raw.pool_idle_timeout.as_deref(),
            DEFAULT_POOL_IDLE_TIMEOUT,
        );
        let max_response_body = self.size(
            "upstream.max_response_body",
            raw.max_response_body.as_deref(),
            DEFAULT_MAX_RESPONSE_BODY,
        );
        if timeout.is_zero() {
            self.problem("upstream.timeout", "must be more than 0");
        }
        let target = match parse_upstream_url(&raw.url) {
            Ok(t) => t,
            Err(msg) => {
                self.problem("upstream.url", msg);
                return None;
            }
        };
        Some(UpstreamConfig {
            target,
            url: raw.url,
            timeout,
            pool_idle_timeout,
            max_response_body,
        })
    }

    fn dedup(&mut self, raw: &RawDedup) -> DedupConfig {
        let redis = match raw.backend.as_deref() {
            None | Some("memory") => {
                if raw.redis.is_some() {
                    self.problem("dedup.redis", "set `backend: redis` to use it");
                }
                None
            }
            Some("redis") => match &raw.redis {
                Some(r) => self.redis(r),
                None => {
                    self.problem(
                        "dedup.redis",
                        "backend redis needs `redis: { url: redis://host:6379 }`",
                    );
                    None
                }
            },
            Some(other) => {
                self.problem(
                    "dedup.backend",
                    format!("unknown backend {other:?}; use memory or redis"),
                );
                None
            }
        };
        let max_entries = raw.max_entries.unwrap_or(DEFAULT_DEDUP_MAX_ENTRIES);
        if max_entries == 0 {
            self.problem("dedup.max_entries", "must be at least 1");
        }
        let ttl = self.duration("dedup.ttl", raw.ttl.as_deref(), DEFAULT_DEDUP_TTL);
        let duplicate_status = match raw.duplicate_status {
            None => StatusCode::OK,
            Some(s) => match StatusCode::from_u16(s) {
                Ok(s) if s.is_success() => s,
                _ => {
                    self.problem(
                        "dedup.duplicate_status",
                        format!("{s} is not a 2xx status; senders retry anything else"),
                    );
                    StatusCode::OK
                }
            },
        };
        let snapshot = match &raw.snapshot {
            None => None,
            Some(_) if redis.is_some() => {
                self.problem(
                    "dedup.snapshot",
                    "a snapshot is for the memory backend; Redis keeps its own state",
                );
                None
            }
            Some(s) => Some(SnapshotConfig {
                path: self.base.join(&s.path),
                max_entries: s.max_entries.unwrap_or(max_entries),
            }),
        };
        DedupConfig {
            max_entries,
            ttl,
            duplicate_status,
            redis,
            snapshot,
        }
    }

    fn redis(&mut self, raw: &RawRedis) -> Option<RedisConfig> {
        let url = match raw.url.as_deref() {
            Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => u.to_owned(),
            Some(_) => {
                self.problem(
                    "dedup.redis.url",
                    "write it like redis://host:6379/0 (rediss:// for TLS)",
                );
                return None;
            }
            None => {
                self.problem("dedup.redis.url", "required, like redis://host:6379/0");
                return None;
            }
        };
        // A password in the URL would sit in a ConfigMap: take it from a Secret instead.
        if let Some((_, rest)) = url.split_once("://") {
            if rest
                .split('/')
                .next()
                .is_some_and(|auth| auth.contains('@'))
            {
                self.problem(
                    "dedup.redis.url",
                    "put no credentials in the URL; use `password: { env: NAME }` or `{ file: PATH }`",
                );
            }
        }
        let password = raw
            .password
            .as_ref()
            .and_then(|p| self.secret("dedup.redis.password", p, "dedup.redis.password"));
        let timeout = self.duration(
            "dedup.redis.timeout",
            raw.timeout.as_deref(),
            DEFAULT_REDIS_TIMEOUT,
        );
        let on_unavailable = match raw.on_unavailable.as_deref() {
            None | Some("reject") => OnUnavailable::Reject,
            Some("forward") => OnUnavailable::Forward,
            Some(other) => {
                self.problem(
                    "dedup.redis.on_unavailable",
                    format!("unknown {other:?}; use reject (503, the sender retries) or forward (no dedup while Redis is down)"),
                );
                OnUnavailable::Reject
            }
        };
        Some(RedisConfig {
            url,
            username: raw.username.clone(),
            password,
            key_prefix: raw
                .key_prefix
                .clone()
                .unwrap_or_else(|| DEFAULT_REDIS_KEY_PREFIX.to_owned()),
            timeout,
            on_unavailable,
        })
    }

    /// Reads one `{env|file|value}` secret (a route key or the Redis password); `label` names
    /// it in the warning about inline values.
    fn secret(&mut self, path: &str, s: &RawSecret, label: &str) -> Option<Secret> {
        // `check --no-secrets` validates the shape but reads nothing.
        let skip = self.secrets == Secrets::Skip;
        match (&s.env, &s.file, &s.value) {
            (Some(var), None, None) => {
                if skip {
                    return Some(Secret::new("placeholder"));
                }
                match self.env.var(var) {
                    Some(v) if !v.is_empty() => Some(Secret::new(v)),
                    found => {
                        let why = if found.is_some() {
                            "is empty"
                        } else {
                            "is not set"
                        };
                        self.problem(
                            format!("{path}.env"),
                            format!("environment variable {var} {why}"),
                        );
                        None
                    }
                }
            }
            (None, Some(file), None) => {
                // Watched for live reload even when it cannot be read yet.
                let full = self.watch(file);
                if skip {
                    return Some(Secret::new("placeholder"));
                }
                match std::fs::read(&full) {
                    Ok(bytes) => Some(Secret::from_file_contents(bytes)),
                    Err(e) => {
                        self.problem(
                            format!("{path}.file"),
                            format!("cannot read secret file {}: {e}", full.display()),
                        );
                        None
                    }
                }
            }
            (None, None, Some(v)) => {
                self.warnings.push(format!(
                    "{label} is inline in the config file; prefer env: or file: so it stays out of ConfigMaps and repos"
                ));
                Some(Secret::new(v.clone()))
            }
            _ => {
                self.problem(path, "set exactly one of env, file or value");
                None
            }
        }
    }

    fn log(&mut self, raw: &RawLog) -> LogConfig {
        let format = match raw.format.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                self.problem(
                    "log.format",
                    format!("unknown format {other:?}; use text or json"),
                );
                LogFormat::Text
            }
        };
        LogConfig {
            format,
            level: raw.level.clone().unwrap_or_else(|| "info".into()),
        }
    }

    fn route(
        &mut self,
        path: &str,
        r: RawRoute,
        dedup: &DedupConfig,
        default_max_body: usize,
        max_buffered: Option<usize>,
    ) -> Option<Route> {
        let name_ok = !r.name.is_empty()
            && r.name.len() <= 64
            && r.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !name_ok {
            // Names become metric labels and header values: keep them plain.
            self.problem(
                format!("{path}.name"),
                "use 1-64 letters, digits, '-', '_' or '.'",
            );
        }
        if !r.path.starts_with('/') || r.path.contains('?') {
            self.problem(
                format!("{path}.path"),
                format!("{:?} must start with '/' and have no query string", r.path),
            );
        }

        let methods = match &r.methods {
            None => vec![Method::POST],
            Some(list) if list.is_empty() => {
                self.problem(format!("{path}.methods"), "list at least one method");
                vec![]
            }
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(
                    |(j, m)| match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
                        Ok(m) => Some(m),
                        Err(_) => {
                            self.problem(
                                format!("{path}.methods[{j}]"),
                                format!("{m:?} is not a method"),
                            );
                            None
                        }
                    },
                )
                .collect(),
        };

        let (scheme, preset) = self.scheme(path, r.provider.as_deref(), r.verify.as_ref())?;
        let provider = preset.as_ref().map(|p| p.name);
        let handshake = preset.as_ref().and_then(|p| p.handshake);
        let preset_max_age = preset.as_ref().and_then(|p| p.max_age);
        let preset_key = preset.map(|p| p.dedup_key);

        let public_url = r.public_url.clone();
        if let Some(u) = &public_url {
            let ok = u
                .parse::<http::Uri>()
                .ok()
                .is_some_and(|uri| uri.scheme().is_some() && uri.authority().is_some());
            if !ok {
                self.problem(
                    format!("{path}.public_url"),
                    format!("{u:?} must be an absolute URL like https://example.com"),
                );
            }
        } else if scheme.needs(&Piece::Url) {
            self.problem(
                format!("{path}.public_url"),
                "this scheme signs the URL the sender calls; set public_url to it (e.g. https://hooks.example.com)",
            );
        }

        let max_age = self.duration(
            &format!("{path}.max_age"),
            r.max_age.as_deref(),
            preset_max_age.unwrap_or(DEFAULT_MAX_AGE),
        );
        let max_future_skew = self.duration(
            &format!("{path}.max_future_skew"),
            r.max_future_skew.as_deref(),
            DEFAULT_MAX_FUTURE_SKEW,
        );
        let mode = match r.mode.as_deref() {
            None | Some("enforce") => Mode::Enforce,
            Some("observe") => Mode::Observe,
            Some(other) => {
                self.problem(
                    format!("{path}.mode"),
                    format!("unknown mode {other:?}; use enforce or observe"),
                );
                Mode::Enforce
            }
        };
        let reject_status = match r.reject_status {
            None => StatusCode::UNAUTHORIZED,
            Some(s) => match StatusCode::from_u16(s) {
                Ok(s) if s.is_client_error() => s,
                _ => {
                    self.problem(
                        format!("{path}.reject_status"),
                        format!("{s} is not a 4xx status"),
                    );
                    StatusCode::UNAUTHORIZED
                }
            },
        };

        let dedup_key = if r.dedup == Some(false) {
            None
        } else {
            Some(match &r.dedup_key {
                Some(k) => self.dedup_key(path, k, &scheme, &r.name),
                None => preset_key.unwrap_or_else(|| default_dedup_key(&scheme)),
            })
            // A preset with no key source (Dropbox) dedups nothing unless the route says how.
            .filter(|k| !k.sources.is_empty())
        };
        if dedup_key.is_some() && scheme.timestamp.is_some() && dedup.ttl < max_age {
            self.warnings.push(format!(
                "route {}: dedup.ttl ({}) is shorter than max_age ({}): a replay older than the TTL but still fresh would be forwarded again",
                r.name,
                humantime::format_duration(dedup.ttl),
                humantime::format_duration(max_age)
            ));
        }

        if scheme.algorithm == Algorithm::Token {
            self.warnings.push(format!(
                "route {}: a token scheme proves who sent a request, not that its body is unchanged; prefer the sender's signing option where it has one",
                r.name
            ));
        } else if !scheme.signs_body() {
            self.warnings.push(format!(
                "route {}: the signature does not cover the body (the sender's design); a captured delivery's body could be altered",
                r.name
            ));
        }
        let keys = self.keys(path, &r.secrets, &scheme, &r.name);
        let max_body = self.body_limit(
            &format!("{path}.max_body"),
            r.max_body.as_deref(),
            default_max_body,
        );
        if let Some(budget) = max_buffered.filter(|&b| r.max_body.is_some() && max_body > b) {
            self.problem(
                format!("{path}.max_body"),
                format!("larger than limits.max_buffered ({budget} bytes): a body of this size could never be accepted; raise max_buffered"),
            );
        }

        if !name_ok || keys.is_empty() {
            return None;
        }
        Some(Route {
            index: 0,
            name: r.name.into(),
            path: r.path,
            methods,
            provider,
            scheme,
            keys,
            freshness: Freshness {
                max_age,
                max_future_skew,
            },
            mode,
            reject_status,
            dedup_key,
            public_url,
            handshake,
            max_body,
        })
    }

    /// A body size limit (`limits.max_body` or a route's): more than 0, at most 1 GiB.
    fn body_limit(&mut self, path: &str, v: Option<&str>, default: usize) -> usize {
        let n = self.size(path, v, default);
        if n == 0 {
            self.problem(path, "must be more than 0");
        } else if n > MAX_BODY_CAP {
            self.problem(path, format!("must be at most {MAX_BODY_CAP} bytes (1GiB)"));
        }
        n
    }

    /// `limits.max_buffered` when set: it must hold a body of `limits.max_body` (each route's
    /// own `max_body` is checked against it with the route).
    fn max_buffered(&mut self, v: Option<&str>, max_body: usize) -> Option<usize> {
        let n = self.parsed_size("limits.max_buffered", v?)?;
        if n > Semaphore::MAX_PERMITS {
            self.problem(
                "limits.max_buffered",
                format!("must be at most {} bytes", Semaphore::MAX_PERMITS),
            );
        }
        if n < max_body {
            self.problem(
                "limits.max_buffered",
                format!(
                    "must be at least limits.max_body ({max_body} bytes), or a body of the largest size allowed could never be accepted"
                ),
            );
        }
        Some(n)
    }

    /// The route's scheme: a preset's (returned too) with the `verify:` overrides applied, or
    /// a generic one.
    fn scheme(
        &mut self,
        path: &str,
        provider: Option<&str>,
        v: Option<&RawVerify>,
    ) -> Option<(Scheme, Option<presets::Preset>)> {
        let default = RawVerify::default();
        let (mut scheme, preset) = match provider {
            Some(p) => match presets::lookup(p) {
                Some(preset) => (preset.scheme.clone(), Some(preset)),
                None => {
                    self.problem(
                        format!("{path}.provider"),
                        format!(
                            "unknown provider {p:?}; known: {}",
                            presets::NAMES.join(", ")
                        ),
                    );
                    return None;
                }
            },
            None => {
                let Some(v) = v else {
                    self.problem(path, "a route needs `provider:` or a `verify:` block");
                    return None;
                };
                let Some(h) = &v.header else {
                    self.problem(
                        format!("{path}.verify.header"),
                        "a generic scheme needs the signature header's name",
                    );
                    return None;
                };
                let header = self.header(&format!("{path}.verify.header"), h)?;
                (
                    Scheme {
                        headers: vec![HeaderSet {
                            signature: header,
                            timestamp: None,
                            id: None,
                        }],
                        ..Scheme::default()
                    },
                    None,
                )
            }
        };
        let v = v.unwrap_or(&default);
        let vp = format!("{path}.verify");

        if let Some(a) = &v.algorithm {
            match Algorithm::parse(a) {
                Some(a) => scheme.algorithm = a,
                None => self.problem(
                    format!("{vp}.algorithm"),
                    format!("unknown algorithm {a:?}; use hmac-sha256, hmac-sha1 or hmac-sha512"),
                ),
            }
        }
        if let Some(e) = &v.encoding {
            match Encoding::parse(e) {
                Some(e) => scheme.encoding = e,
                None => self.problem(
                    format!("{vp}.encoding"),
                    format!("unknown encoding {e:?}; use hex, base64 or base64url"),
                ),
            }
        }
        if let Some(e) = &v.secret_encoding {
            match SecretEncoding::parse(e) {
                Some(e) => scheme.secret_encoding = e,
                None => self.problem(
                    format!("{vp}.secret_encoding"),
                    format!("unknown secret_encoding {e:?}; use raw, base64 or whsec"),
                ),
            }
        }
        // Overriding any header collapses the preset's header families into one.
        let collapse = |scheme: &mut Scheme| scheme.headers.truncate(1);
        if let Some(h) = &v.header {
            if provider.is_some() {
                if let Some(h) = self.header(&format!("{vp}.header"), h) {
                    collapse(&mut scheme);
                    if let Some(set) = scheme.headers.first_mut() {
                        set.signature = h;
                    }
                }
            }
        }
        if let Some(p) = &v.params {
            let sep = match p.separator.as_deref() {
                None => Some(','),
                Some(s) if s.chars().count() == 1 => s.chars().next(),
                Some(s) => {
                    self.problem(
                        format!("{vp}.params.separator"),
                        format!("{s:?} must be one character"),
                    );
                    None
                }
            };
            if let Some(sep) = sep {
                scheme.format = SignatureFormat::Params {
                    pair_separator: sep,
                    signature_key: p.signature.clone(),
                };
            }
        }
        if v.prefix.is_some() || v.separator.is_some() || v.prefix_required.is_some() {
            if v.params.is_some() {
                self.problem(&vp, "use either params or prefix/separator, not both");
            }
            let (old_prefix, old_required, old_sep) = match &scheme.format {
                SignatureFormat::List {
                    prefix,
                    prefix_required,
                    separator,
                } => (prefix.clone(), *prefix_required, separator.clone()),
                SignatureFormat::Params { .. } => (None, false, None),
            };
            let prefix = v.prefix.clone().or(old_prefix).filter(|p| !p.is_empty());
            let prefix_required = v.prefix_required.unwrap_or(if v.prefix.is_some() {
                true
            } else {
                old_required
            });
            scheme.format = SignatureFormat::List {
                prefix,
                prefix_required,
                separator: v.separator.clone().filter(|s| !s.is_empty()).or(old_sep),
            };
        }
        if let Some(t) = &v.signed_payload {
            match parse_payload_template(t) {
                Ok(p) => scheme.payload = p,
                Err(e) => self.problem(format!("{vp}.signed_payload"), e),
            }
        }
        if let Some(t) = &v.timestamp {
            let tp = format!("{vp}.timestamp");
            let format = match &t.format {
                None => TimestampFormat::Unix,
                Some(f) => TimestampFormat::parse(f).unwrap_or_else(|| {
                    self.problem(
                        format!("{tp}.format"),
                        format!("unknown format {f:?}; use unix, unix_ms or rfc3339"),
                    );
                    TimestampFormat::Unix
                }),
            };
            let source = match (&t.header, &t.json, &t.param) {
                (Some(h), None, None) => {
                    if let Some(h) = self.header(&format!("{tp}.header"), h) {
                        collapse(&mut scheme);
                        if let Some(set) = scheme.headers.first_mut() {
                            set.timestamp = Some(h);
                        }
                    }
                    Some(TimestampSource::Header)
                }
                (None, Some(j), None) => self
                    .pointer(&format!("{tp}.json"), j)
                    .map(TimestampSource::Json),
                (None, None, Some(p)) => Some(TimestampSource::SignatureParam(p.clone())),
                _ => {
                    self.problem(&tp, "set exactly one of header, json or param");
                    None
                }
            };
            if let Some(source) = source {
                scheme.timestamp = Some(TimestampRule { source, format });
            }
        }
        if let Some(id) = &v.id {
            let ip = format!("{vp}.id");
            match (&id.header, &id.json) {
                (Some(h), None) => {
                    if let Some(h) = self.header(&format!("{ip}.header"), h) {
                        collapse(&mut scheme);
                        if let Some(set) = scheme.headers.first_mut() {
                            set.id = Some(h);
                        }
                        scheme.id = Some(IdSource::Header);
                    }
                }
                (None, Some(j)) => {
                    if let Some(p) = self.pointer(&format!("{ip}.json"), j) {
                        scheme.id = Some(IdSource::Json(p));
                    }
                }
                _ => self.problem(&ip, "set exactly one of header or json"),
            }
        }

        // Cross-field checks on the merged scheme.
        if scheme.needs(&Piece::Timestamp) && scheme.timestamp.is_none() {
            self.problem(
                &vp,
                "signed_payload uses {timestamp}; say where it is with `timestamp:`",
            );
        }
        if scheme.needs(&Piece::Id) && scheme.id.is_none() {
            self.problem(&vp, "signed_payload uses {id}; say where it is with `id:`");
        }
        if let Some(TimestampRule {
            source: TimestampSource::SignatureParam(_),
            ..
        }) = &scheme.timestamp
        {
            if !matches!(scheme.format, SignatureFormat::Params { .. }) {
                self.problem(
                    format!("{vp}.timestamp.param"),
                    "a timestamp param needs a `params:` signature header",
                );
            }
        }
        // A timestamp outside the signed bytes can be rewritten by anyone replaying a capture,
        // so freshness checked on it would protect nothing. (One in the JSON body is signed with
        // the body.)
        if let Some(TimestampRule { source, .. }) = &scheme.timestamp {
            let in_body = matches!(source, TimestampSource::Json(_));
            let in_signed_headers = matches!(source, TimestampSource::Header)
                && scheme
                    .payload
                    .iter()
                    .any(|p| matches!(p, Piece::SignedHeaders(_)));
            if !in_body && !in_signed_headers && !scheme.needs(&Piece::Timestamp) {
                self.problem(
                    format!("{vp}.signed_payload"),
                    "the timestamp is not covered by the signature (add {timestamp} to signed_payload), so max_age would not stop replays",
                );
            }
        }
        if let Some(TimestampRule {
            source: TimestampSource::Header,
            ..
        }) = &scheme.timestamp
        {
            if scheme.headers.iter().any(|s| s.timestamp.is_none()) {
                self.problem(format!("{vp}.timestamp"), "name the timestamp header");
            }
        }
        Some((scheme, preset))
    }

    fn pointer(&mut self, path: &str, p: &str) -> Option<String> {
        if p.is_empty() || p.starts_with('/') {
            Some(p.to_owned())
        } else {
            self.problem(
                path,
                format!("{p:?} is not a JSON pointer; write it like /id or /data/event_id"),
            );
            None
        }
    }

    fn dedup_key(
        &mut self,
        path: &str,
        k: &RawDedupKey,
        scheme: &Scheme,
        route: &str,
    ) -> DedupKeySpec {
        let kp = format!("{path}.dedup_key");
        let mut sources = Vec::new();
        if let Some(h) = &k.header {
            if let Some(h) = self.header(&format!("{kp}.header"), h) {
                let signed = scheme.needs(&Piece::Id)
                    && scheme.id == Some(IdSource::Header)
                    && scheme.headers.iter().any(|s| s.id.as_ref() == Some(&h));
                if !signed {
                    self.warnings.push(format!(
                        "route {route}: dedup_key header {h} is not covered by the signature: anyone replaying a captured delivery can change it to get it forwarded again; prefer a signed id (json:) or body_sha256"
                    ));
                }
                sources.push(if signed {
                    KeySource::SchemeId
                } else {
                    KeySource::Header(h)
                });
            }
        }
        if let Some(j) = &k.json {
            if let Some(p) = self.pointer(&format!("{kp}.json"), j) {
                sources.push(KeySource::Json(p));
            }
        }
        if k.body_sha256 == Some(true) {
            sources.push(KeySource::BodySha256);
        }
        if sources.is_empty() {
            self.problem(
                &kp,
                "set header, json or body_sha256: true (or `dedup: false` to turn dedup off)",
            );
        }
        DedupKeySpec { sources }
    }

    fn keys(
        &mut self,
        path: &str,
        secrets: &[RawSecret],
        scheme: &Scheme,
        route: &str,
    ) -> Vec<Key> {
        if secrets.is_empty() {
            self.problem(
                format!("{path}.secrets"),
                "list at least one secret (env: NAME or file: /path)",
            );
            return vec![];
        }
        let mut ids = HashSet::new();
        let mut keys = Vec::new();
        for (j, s) in secrets.iter().enumerate() {
            let sp = format!("{path}.secrets[{j}]");
            let id: String =
                s.id.clone()
                    .or_else(|| s.env.clone())
                    .or_else(|| {
                        s.file
                            .as_ref()
                            .and_then(|f| f.file_name())
                            .map(|n| n.to_string_lossy().into_owned())
                    })
                    .unwrap_or_else(|| format!("secret{j}"));
            if !ids.insert(id.clone()) {
                self.problem(
                    format!("{sp}.id"),
                    format!("secret id {id:?} is used twice in this route; give each an id"),
                );
            }
            let label = format!("route {route}: secret {id:?}");
            let secret = self.secret(&sp, s, &label);
            let Some(secret) = secret else { continue };
            let secret =
                if self.secrets == Secrets::Skip && scheme.secret_encoding != SecretEncoding::Raw {
                    // A placeholder that decodes under every encoding.
                    Secret::new("cGxhY2Vob2xkZXI=")
                } else {
                    secret
                };
            match Key::new(id.into(), &secret, scheme) {
                Ok(k) => keys.push(k),
                Err(e) => self.problem(&sp, format!("secret {}: {e}", j)),
            }
        }
        keys
    }
}

fn default_dedup_key(scheme: &Scheme) -> DedupKeySpec {
    // Without a preset, only material the signature covers is used: a signed id, else the
    // body hash.
    if scheme.needs(&Piece::Id) {
        DedupKeySpec {
            sources: vec![KeySource::SchemeId],
        }
    } else {
        DedupKeySpec {
            sources: vec![KeySource::BodySha256],
        }
    }
}

/// `http://host:port[/base]` or `unix:/path/to.sock`.
fn parse_upstream_url(url: &str) -> Result<UpstreamTarget, String> {
    if let Some(path) = url.strip_prefix("unix:") {
        let path = path.trim_start_matches("//");
        if !path.starts_with('/') {
            return Err(format!(
                "{url:?}: a unix socket needs an absolute path, like unix:/run/app.sock"
            ));
        }
        return Ok(UpstreamTarget::Unix { path: path.into() });
    }
    let uri: http::Uri = url.parse().map_err(|_| {
        format!("{url:?} is not a URL; write it like http://127.0.0.1:3000 or unix:/run/app.sock")
    })?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err("https upstreams are not supported: hookgate sits next to the app (same pod or host) and speaks plain http to it".into())
        }
        _ => return Err(format!("{url:?}: use http://host:port or unix:/path")),
    }
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| format!("{url:?} has no host"))?;
    if uri.query().is_some() {
        return Err(format!(
            "{url:?}: an upstream URL cannot have a query string"
        ));
    }
    let base_path = uri.path().trim_end_matches('/').to_owned();
    Ok(UpstreamTarget::Http {
        authority,
        base_path,
    })
}

/// `1048576`, `512KiB`, `1MiB`, `2MB`, `1GiB` (KB/MB/GB are decimal, KiB/MiB/GiB binary).
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: usize = num.parse().ok()?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests;
