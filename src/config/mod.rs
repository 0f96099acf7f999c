//! Configuration: the validated `Config` the code uses, loaded from YAML in two stages.
//!
//! `raw.rs` mirrors the file key for key; `validate.rs` (and `route.rs` for routes and their
//! schemes) turns it into typed values (`Duration`, `SocketAddr`, a parsed `Scheme`, prepared
//! keys) and collects every problem with its path and the file's line and column, so one run
//! of `hookgate check` shows them all. `config.example.yaml` documents each key.
//!
//! The typed config is split by lifetime, in the types: [`Startup`] holds what is bound to
//! sockets, threads, pools and stores and is read once at start (a reload that changes it is
//! told "requires restart", `diff.rs` names the keys); [`Live`] holds what a reload puts in
//! force for the requests that start after it (routes, their secrets and limits, the duplicate
//! answer, the fail-open choice, diagnostics).

mod diff;
mod queue;
mod raw;
mod route;
mod validate;
mod yaml;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use serde::Serialize;

pub use crate::dedup::RedisSettings;
pub use crate::forward::UpstreamTarget;
pub use crate::logging::LogFormat;
use crate::secret::Secret;
use crate::verify::presets::Handshake;
use crate::verify::{Algorithm, DedupKeySpec, Freshness, Key, Scheme};
pub use diff::changed_keys;

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
/// Far more than a sidecar's senders keep open; each costs a few KiB (sizing.rs counts them).
pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;
/// Far above what a sidecar serves; the connection count is kept in memory per address.
pub const MAX_CONNECTIONS_CAP: usize = 1_000_000;
/// Unfinished request heads, all connections together: a real head is a few KiB, so this is
/// thousands of them arriving at once.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024 * 1024;
/// The longest head a request may have (431 past it).
pub use crate::server::MAX_HEADER_SIZE;
/// Bytes a second, on average: far below any real sender, far above a trickle that holds a
/// slot for nothing.
pub const DEFAULT_MIN_BODY_RATE: usize = 1024;
pub const DEFAULT_BODY_RATE_GRACE: Duration = Duration::from_secs(2);
/// The per-source bounds default to this share of the totals: one address cannot take more
/// than a quarter of what all senders share.
pub const DEFAULT_PER_SOURCE_SHARE: usize = 4;
pub const MAX_CONCURRENCY_CAP: usize = 1_000_000;
pub const DEFAULT_DEDUP_MAX_ENTRIES: u64 = 100_000;
/// Most senders' own redeliveries end within three days (GitHub's, Stripe's automatic
/// retries, Coinbase's): a delivery id is remembered that long by default.
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(3 * 24 * 3600);
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

/// A loaded config: what needs a restart, what reloads, and what the load noticed.
#[derive(Debug, Clone)]
pub struct Config {
    pub startup: Startup,
    pub live: Live,
    /// Things that work but deserve a look (inline secrets, unsigned dedup headers...).
    pub warnings: Vec<String>,
    /// Every secret file the config names (resolved paths), so live reload can watch them.
    pub secret_files: Vec<PathBuf>,
}

/// Settings bound to sockets, threads, connection pools and the dedup store: read once at
/// start. A reload that changes any of them logs "requires restart" naming the keys (as
/// serialized here, which mirrors the file) and keeps the running values.
#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub upstream: UpstreamConfig,
    /// Other apps by name (`upstreams:`), each with a pool of its own in every worker.
    pub upstreams: std::collections::BTreeMap<String, UpstreamConfig>,
    pub limits: StartupLimits,
    pub dedup: StoreConfig,
    pub log: LogConfig,
    pub shutdown_grace: Duration,
    /// Threads serving requests, each with its own event loop and upstream pool.
    pub workers: usize,
    /// The durable queue's store, when `queue.path` (or `queue.backend: redis`) is set.
    pub queue: Option<QueueConfig>,
    /// Every connection to `listen` starts with a PROXY protocol header from one of
    /// `trusted_proxies` (`proxy_protocol`).
    pub proxy_protocol: bool,
}

/// What a reload puts in force for the requests that start after it; those in progress finish
/// on the one they started with.
#[derive(Debug, Clone)]
pub struct Live {
    pub limits: Limits,
    pub dedup: DedupPolicy,
    pub diagnostics: Diagnostics,
    pub admin: AdminConfig,
    /// How queued deliveries of a route no longer configured (or no longer queued) still
    /// reach the app: the `queue:` defaults.
    pub queue_defaults: DeliveryPolicy,
    /// How sender documents are fetched (`fetch:`), for the routes whose keys are fetched.
    pub fetch: FetchConfig,
    /// Peers whose `X-Forwarded-For` (or PROXY header) names the client (`trusted_proxies`).
    pub trusted_proxies: crate::allowlist::IpSet,
    pub routes: Vec<Arc<Route>>,
    by_path: HashMap<String, usize>,
}

impl Live {
    /// The route serving `path` (exact match; the query string is not part of it).
    pub fn route_for(&self, path: &str) -> Option<&Arc<Route>> {
        self.by_path.get(path).map(|&i| &self.routes[i])
    }
}

/// The durable queue's store (`queue.backend`, `queue.path` or `queue.redis`,
/// `queue.max_bytes`, `queue.max_dead_letters`, `queue.visibility_timeout`): a restart puts a
/// change in force.
#[derive(Debug, Clone, Serialize)]
pub struct QueueConfig {
    /// Where deliveries are kept (written flat: `queue.backend`, `queue.path`, `queue.redis`).
    #[serde(flatten)]
    pub store: QueueStore,
    /// Bytes of deliveries held, waiting and dead letters together; past it new deliveries are
    /// answered 503 + Retry-After.
    pub max_bytes: u64,
    /// Dead letters kept; the oldest is dropped (logged and counted) past it.
    pub max_dead_letters: usize,
    /// Redis: a delivery taken by a replica that has not touched it for this long (it died)
    /// is taken over by another. A live replica renews what it holds well before.
    pub visibility_timeout: Duration,
}

/// Where the queue keeps deliveries (`queue.backend`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "backend")]
pub enum QueueStore {
    /// A redb file on a local disk (`queue.path`): one replica, synced before each answer.
    Embedded { path: PathBuf },
    /// Redis Streams (`queue.redis`, or `dedup.redis`'s connection): shared by replicas; as
    /// durable as the server's persistence (`appendfsync`).
    Redis { redis: RedisSettings },
}

impl QueueConfig {
    /// The store file, for the embedded backend.
    pub fn path(&self) -> Option<&std::path::Path> {
        match &self.store {
            QueueStore::Embedded { path } => Some(path),
            QueueStore::Redis { .. } => None,
        }
    }
}

/// `embedded` or `redis`, as the config writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueBackendKind {
    Embedded,
    Redis,
}

/// How a route's deliveries reach the app (`delivery:`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeliveryMode {
    /// The sender gets the app's own answer (the default).
    Sync,
    /// Stored durably, answered at once, delivered with retries.
    Queued(DeliveryPolicy),
}

/// `sync` or `queued`, as the config writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    Sync,
    Queued,
}

/// How a queued route's deliveries are attempted (reloads with the route).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveryPolicy {
    /// Attempts in progress at once.
    pub concurrency: usize,
    /// Attempts started per second at most.
    pub rate: Option<f64>,
    /// Attempts before a delivery becomes a dead letter.
    pub max_attempts: u32,
    /// Age since accepted after which a failing delivery becomes a dead letter.
    pub max_age: Duration,
    /// Retry n waits a random time up to `initial_backoff * 2^(n-1)`, at most `max_backoff`
    /// (exponential backoff with full jitter).
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Answered to the sender once stored.
    pub status: StatusCode,
}

/// The app behind hookgate (`upstream:`).
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamConfig {
    /// Parsed from `url`, which names it in the restart check.
    #[serde(skip)]
    pub target: UpstreamTarget,
    /// As written in config, for logs and `check`.
    pub url: String,
    pub timeout: Duration,
    pub pool_idle_timeout: Duration,
    pub max_response_body: usize,
}

/// The limits bound to the listener, its connections and the concurrency semaphore
/// (`limits:`, in part).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StartupLimits {
    pub header_timeout: Duration,
    pub max_concurrency: usize,
    /// Open connections, all sources together; more are closed as they are accepted.
    pub max_connections: usize,
    /// Bytes of unfinished request heads held at once, all connections together: a connection
    /// whose head would pass it is closed. (Each connection's head is also capped at
    /// `MAX_HEADER_SIZE`, 431 past it.)
    pub max_header_bytes: usize,
    pub per_source: StartupPerSource,
}

/// What one client address may hold of what `StartupLimits` bounds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StartupPerSource {
    pub max_connections: usize,
    pub max_header_bytes: usize,
}

/// The limits that apply per request (`limits:`, the rest).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For routes without a `max_body` of their own (`Route::max_body` is the one in force).
    pub max_body: usize,
    /// Bytes of request bodies held in memory at once, all connections together. Unverified
    /// bodies must be held whole before their signature can be checked: without this bound a
    /// flood of large uploads grows memory (max_concurrency x max_body) until the process is
    /// killed; with it, the excess gets 503 + Retry-After.
    pub max_buffered: usize,
    pub body_timeout: Duration,
    /// Bytes a second a body must arrive at on average once `body_rate_grace` has passed (408
    /// below it); 0: no such check. A trickle would hold a slot and its bytes until
    /// `body_timeout`.
    pub min_body_rate: usize,
    pub body_rate_grace: Duration,
    pub per_source: PerSource,
}

/// What one client address may hold of what `Limits` bounds (429 past it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerSource {
    pub max_concurrency: usize,
    pub max_buffered: usize,
}

/// The dedup store (`dedup:`, but for what `DedupPolicy` holds).
#[derive(Debug, Clone, Serialize)]
pub struct StoreConfig {
    pub backend: Backend,
    /// The memory store's capacity.
    pub max_entries: u64,
    /// How long a `done` id is remembered.
    pub ttl: Duration,
    /// Set exactly when `backend` is `Redis`.
    pub redis: Option<RedisSettings>,
    /// Where the memory store is saved on shutdown and restored on start.
    pub snapshot: Option<SnapshotConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// In-process: one replica.
    Memory,
    /// Shared by several replicas.
    Redis,
}

/// How duplicates and an unreachable store are answered (`dedup.duplicate_status`,
/// `dedup.redis.on_unavailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupPolicy {
    pub duplicate_status: StatusCode,
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

/// A bounded snapshot of the memory store's accepted ids, so a restart inside a sender's
/// retry window does not turn retries into double deliveries.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotConfig {
    pub path: PathBuf,
    pub max_entries: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter directive (`info`, `hookgate=debug`, ...).
    pub level: String,
}

/// The admin port beyond `/metrics` and the probes, which are always served (GET or HEAD).
#[derive(Debug, Clone, Default)]
pub struct AdminConfig {
    /// Serve `/debug/*`: what it lists is metadata only, but an open port need not list it.
    pub debug: bool,
    /// When set, `/debug/*` requires `Authorization: Bearer <token>`.
    pub token: Option<Secret>,
}

/// Outbound fetches of what senders publish (`fetch:`): JWKS key sets and SNS signing
/// certificates. Reloaded: a change builds a new fetcher, with an empty cache, for the requests
/// that start after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Trusted instead of the built-in roots, when set.
    pub ca_file: Option<std::path::PathBuf>,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Host names connected to at a fixed address (`fetch.resolve`).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

/// What hookgate keeps for explaining rejections on the admin port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diagnostics {
    /// Size of the `/debug/rejections` ring buffer; 0 keeps none.
    pub recent_rejections: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reject what fails verification.
    Enforce,
    /// Log and count verdicts, forward everything, never drop a duplicate: for trying hookgate
    /// in front of a live endpoint.
    Observe,
}

/// What reaches the app of the request's query string (`query:` on a route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryPolicy {
    /// As sent (the default). Unless the scheme signs the URL, it is unverified data.
    Forward,
    /// Removed: the app gets the path alone.
    Drop,
}

#[derive(Debug)]
pub struct Route {
    /// Position in `Live::routes`, for per-route tables (metrics).
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
    /// The token Meta's verification GET must carry (`hub.verify_token`); a secret, so it
    /// never prints.
    pub verify_token: Option<Secret>,
    /// Larger bodies get 413: the route's own `max_body`, else `limits.max_body`.
    pub max_body: usize,
    pub query: QueryPolicy,
    pub delivery: DeliveryMode,
    /// The JWK Set the route's JWT keys are fetched from (`verify.jwt.jwks_url`, or the
    /// preset's), instead of `secrets:`.
    pub jwks_url: Option<String>,
    /// `provider: sns`: hookgate confirms subscriptions itself (`sns.confirm_subscription`).
    pub sns_confirm: bool,
    /// Deliveries this does not match are answered `filter_status`, not forwarded.
    pub filter: Option<crate::filter::Filter>,
    pub filter_status: StatusCode,
    /// In order: the first whose expression matches picks the path the app gets it on.
    pub rules: Vec<Rule>,
    /// One of `Startup::upstreams`, by name: where deliveries no rule sends elsewhere go.
    /// `None`: `upstream`.
    pub upstream: Option<Arc<str>>,
    /// Client addresses allowed to send (`allow_ips`); `None`: any.
    pub allow_ips: Option<crate::allowlist::AllowIps>,
    /// Requests each source address may send (`rate_limit`); `None`: no limit, nothing kept.
    pub rate_limit: Option<RateLimit>,
}

/// A route's intake rate limit (`rate_limit`): `count` requests per `per` from each source
/// address (an IPv6 /64), `burst` of them at once. Reloaded; a changed limit starts afresh.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per `per` (positive; fractions allowed: `0.5/s`).
    pub count: f64,
    pub per: RatePer,
    /// At least 1.
    pub burst: u32,
}

/// The unit of a rate as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatePer {
    Second,
    Minute,
    Hour,
}

impl RatePer {
    pub fn seconds(self) -> u64 {
        match self {
            Self::Second => 1,
            Self::Minute => 60,
            Self::Hour => 3600,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::Second => "s",
            Self::Minute => "m",
            Self::Hour => "h",
        }
    }
}

impl RateLimit {
    /// Nanoseconds between two tokens, at least 1.
    pub fn interval_nanos(&self) -> u64 {
        let nanos = self.per.seconds() as f64 * 1e9 / self.count;
        // Validation bounds the rate, so this is finite and in range; the clamp is belt and braces.
        (nanos.clamp(1.0, u64::MAX as f64)) as u64
    }
}

/// As the file may write it: `10/s,burst=20`.
impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{},burst={}",
            self.count,
            self.per.suffix(),
            self.burst
        )
    }
}

/// A route's rule: deliveries `when` matches go to `path` (else the request's own) on
/// `upstream` (else the route's).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub when: crate::filter::Filter,
    pub path: Option<http::uri::PathAndQuery>,
    /// One of `Startup::upstreams`, by name.
    pub upstream: Option<Arc<str>>,
}

impl Startup {
    /// The longest any upstream may take to answer: how long a delivery can be in flight.
    pub fn longest_upstream_timeout(&self) -> Duration {
        self.upstreams
            .values()
            .map(|u| u.timeout)
            .fold(self.upstream.timeout, Duration::max)
    }
}

impl Route {
    /// Whether the route's keys are fetched per request (a JWK Set, SNS certificates) rather
    /// than configured.
    pub fn fetches_keys(&self) -> bool {
        self.jwks_url.is_some() || self.scheme.algorithm == Algorithm::SnsCertificate
    }
}

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
    let raw: raw::RawConfig = match yaml::parse(text) {
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
    let v = validate::validate(raw, env, base, secrets);
    if v.problems.is_empty() {
        if let Some(mut config) = v.config {
            config.warnings = v.warnings;
            config.secret_files.clone_from(&v.secret_files);
            return Loaded {
                result: Ok(config),
                secret_files: v.secret_files,
            };
        }
    }
    let secret_files = v.secret_files;
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
#[cfg(test)]
mod tests_jwt;
