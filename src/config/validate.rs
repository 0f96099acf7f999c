//! From what the file says to what the code uses: every value parsed and checked, every
//! problem collected with its path (`routes[1].secrets[0].env`), none fatal on its own, so one
//! run reports them all. Routes and their schemes are checked in `route.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, StatusCode};
use tokio::sync::Semaphore;

use super::raw::{
    Choice, Named, RawConfig, RawDedup, RawFetch, RawLog, RawRedis, RawSecret, RawUpstream,
};
use super::*;
use crate::secret::Secret;

/// What validation made of a file: the config when every part could be built, and what it
/// found on the way (problems make the load fail; warnings go with the config).
pub(super) struct Validated {
    pub config: Option<Config>,
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
    pub secret_files: Vec<PathBuf>,
}

pub(super) fn validate(raw: RawConfig, env: &dyn Env, base: &Path, secrets: Secrets) -> Validated {
    let mut v = Validator {
        problems: Vec::new(),
        warnings: Vec::new(),
        secret_files: Vec::new(),
        env,
        base,
        secrets,
        unsigned_query: Vec::new(),
        upstream_names: Vec::new(),
    };
    let config = v.config(raw);
    Validated {
        config,
        problems: v.problems,
        warnings: v.warnings,
        secret_files: v.secret_files,
    }
}

/// One worker per CPU this process may use (cgroup quotas included), up to
/// `DEFAULT_WORKERS_CAP`: more than the cores would only take turns on them.
fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(DEFAULT_WORKERS_CAP)
}

pub(super) struct Validator<'a> {
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
    pub secret_files: Vec<PathBuf>,
    pub env: &'a dyn Env,
    pub base: &'a Path,
    pub secrets: Secrets,
    /// Routes that forward the query string by default although their scheme does not sign it.
    pub unsigned_query: Vec<String>,
    /// The names under `upstreams:`, which routes and rules may send to.
    pub upstream_names: Vec<Arc<str>>,
}

impl Validator<'_> {
    pub(super) fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        });
    }

    /// A secret file's full path, remembered for live reload to watch.
    pub(super) fn watch(&mut self, file: &Path) -> PathBuf {
        let full = self.base.join(file);
        if !self.secret_files.contains(&full) {
            self.secret_files.push(full.clone());
        }
        full
    }

    pub(super) fn duration(&mut self, path: &str, v: Option<&str>, default: Duration) -> Duration {
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

    pub(super) fn size(&mut self, path: &str, v: Option<&str>, default: usize) -> usize {
        v.map_or(Some(default), |s| self.parsed_size(path, s))
            .unwrap_or(default)
    }

    /// `None` (and a problem) when `s` is not a size.
    pub(super) fn parsed_size(&mut self, path: &str, s: &str) -> Option<usize> {
        let n = parse_size(s);
        if n.is_none() {
            self.problem(
                path,
                format!("{s:?} is not a size; write it like 512KiB, 1MiB or 1048576"),
            );
        }
        n
    }

    /// A count in `1..=max`, `default` when absent.
    pub(super) fn count(
        &mut self,
        path: &str,
        v: Option<usize>,
        default: usize,
        max: usize,
    ) -> usize {
        let n = v.unwrap_or(default);
        if n == 0 || n > max {
            self.problem(path, format!("must be between 1 and {max}"));
        }
        n.clamp(1, max.max(1))
    }

    pub(super) fn addr(
        &mut self,
        path: &str,
        v: Option<&str>,
        default: &str,
    ) -> Option<SocketAddr> {
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

    pub(super) fn header(&mut self, path: &str, name: &str) -> Option<HeaderName> {
        match HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()) {
            Ok(h) => Some(h),
            Err(_) => {
                self.problem(path, format!("{name:?} is not a valid header name"));
                None
            }
        }
    }

    /// A closed set's value, `default` when absent; an unknown name is a problem that says
    /// what is known (`help`).
    pub(super) fn choice<T: Named>(
        &mut self,
        path: &str,
        v: Option<&Choice<T>>,
        default: T,
        help: &str,
    ) -> T {
        match v {
            None => default,
            Some(Choice::Known(t)) => *t,
            Some(Choice::Unknown(name)) => {
                let key = path.rsplit('.').next().unwrap_or(path);
                self.problem(path, format!("unknown {key} {name:?}; {help}"));
                default
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
        let upstream = self.upstream("upstream", raw.upstream);
        let upstreams = self.upstreams(raw.upstreams);
        let max_body = self.body_limit(
            "limits.max_body",
            raw.limits.max_body.as_deref(),
            DEFAULT_MAX_BODY,
        );
        let max_buffered = self.max_buffered(raw.limits.max_buffered.as_deref(), max_body);
        let startup_limits = StartupLimits {
            header_timeout: self.duration(
                "limits.header_timeout",
                raw.limits.header_timeout.as_deref(),
                DEFAULT_HEADER_TIMEOUT,
            ),
            max_concurrency: raw
                .limits
                .max_concurrency
                .unwrap_or(DEFAULT_MAX_CONCURRENCY),
            max_connections: 0,
            max_header_bytes: 0,
            per_source: StartupPerSource {
                max_connections: 0,
                max_header_bytes: 0,
            },
        };
        let body_timeout = self.duration(
            "limits.body_timeout",
            raw.limits.body_timeout.as_deref(),
            DEFAULT_BODY_TIMEOUT,
        );
        let min_body_rate = self.size(
            "limits.min_body_rate",
            raw.limits.min_body_rate.as_deref(),
            DEFAULT_MIN_BODY_RATE,
        );
        let body_rate_grace = self.duration(
            "limits.body_rate_grace",
            raw.limits.body_rate_grace.as_deref(),
            DEFAULT_BODY_RATE_GRACE,
        );
        let max_connections = self.count(
            "limits.max_connections",
            raw.limits.max_connections,
            DEFAULT_MAX_CONNECTIONS,
            MAX_CONNECTIONS_CAP,
        );
        let max_header_bytes = self.size(
            "limits.max_header_bytes",
            raw.limits.max_header_bytes.as_deref(),
            DEFAULT_MAX_HEADER_BYTES,
        );
        if max_header_bytes < MAX_HEADER_SIZE {
            self.problem(
                "limits.max_header_bytes",
                format!("must be at least {MAX_HEADER_SIZE} bytes (64KiB), the longest head one request may have"),
            );
        }
        let ps = &raw.limits.per_source;
        let share = |total: usize| (total / DEFAULT_PER_SOURCE_SHARE).max(1);
        let per_source_connections = self.count(
            "limits.per_source.max_connections",
            ps.max_connections,
            share(max_connections),
            max_connections.max(1),
        );
        let per_source_header_bytes = self.size(
            "limits.per_source.max_header_bytes",
            ps.max_header_bytes.as_deref(),
            share(max_header_bytes),
        );
        if ps.max_header_bytes.is_some() && per_source_header_bytes < MAX_HEADER_SIZE {
            self.problem(
                "limits.per_source.max_header_bytes",
                format!("must be at least {MAX_HEADER_SIZE} bytes (64KiB), the longest head one request may have"),
            );
        }
        if startup_limits.max_concurrency == 0 {
            self.problem("limits.max_concurrency", "must be at least 1");
        }
        // Each slot is a semaphore permit (tokio caps them) and a possible open upstream
        // exchange; far beyond what one sidecar can serve.
        if startup_limits.max_concurrency > MAX_CONCURRENCY_CAP {
            self.problem(
                "limits.max_concurrency",
                format!("must be at most {MAX_CONCURRENCY_CAP}"),
            );
        }
        for (path, d) in [
            ("limits.header_timeout", startup_limits.header_timeout),
            ("limits.body_timeout", body_timeout),
        ] {
            if d.is_zero() {
                self.problem(path, "must be more than 0");
            }
        }
        let startup_limits = StartupLimits {
            max_connections,
            max_header_bytes,
            per_source: StartupPerSource {
                max_connections: per_source_connections,
                max_header_bytes: per_source_header_bytes,
            },
            ..startup_limits
        };
        let per_source_concurrency = self.count(
            "limits.per_source.max_concurrency",
            ps.max_concurrency,
            share(startup_limits.max_concurrency),
            startup_limits.max_concurrency.max(1),
        );
        let (store, policy) = self.dedup(&raw.dedup);
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
        let admin = AdminConfig {
            debug: raw.admin.debug.unwrap_or(false),
            token: raw
                .admin
                .token
                .as_ref()
                .and_then(|t| self.secret("admin.token", t, "admin.token")),
        };
        let has_queue = raw.queue.path.is_some() || raw.queue.backend.is_some();
        if admin.token.is_some() && !admin.debug && !has_queue {
            self.warnings.push(
                "admin.token is set but admin.debug is false and there is no queue: /debug/* and /queue/* are off, the token guards nothing".into(),
            );
        }
        if admin.token.is_none() && has_queue {
            self.warnings.push(
                "a queue is set but admin.token is not: the admin port's /queue endpoints (listing, bodies on request, replay, purge) answer only this host (hookgate queue run beside it); set admin.token to reach them from elsewhere".into(),
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
        let (queue, queue_defaults) = self.queue(&raw.queue, store.redis.as_ref());
        let fetch = self.fetch(&raw.fetch);
        let trusted_proxies = self.cidrs("trusted_proxies", &raw.trusted_proxies);
        let proxy_protocol = raw.proxy_protocol.unwrap_or(false);
        if proxy_protocol && trusted_proxies.is_empty() {
            self.problem(
                "proxy_protocol",
                "proxy_protocol needs trusted_proxies: the PROXY header is accepted only from them",
            );
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
            let delivery =
                self.delivery(&path, r.delivery.as_ref(), &queue_defaults, queue.is_some());
            if let Some(mut route) =
                self.route(&path, r, store.ttl, max_body, max_buffered, delivery)
            {
                route.index = routes.len();
                routes.push(Arc::new(route));
            }
        }
        // One line for all of them; `query:` set either way says the choice was made.
        if !self.unsigned_query.is_empty() {
            self.warnings.push(format!(
                "routes {}: the query string is forwarded as sent, and their scheme does not sign it; set `query: drop` if the app does not read it (or `query: forward` to say it does)",
                self.unsigned_query.join(", ")
            ));
        }
        // By default, room for 4 bodies of the largest size any route accepts.
        let largest = routes.iter().map(|r| r.max_body).fold(max_body, usize::max);
        let max_buffered =
            max_buffered.unwrap_or_else(|| DEFAULT_MAX_BUFFERED.max(largest.saturating_mul(4)));
        let per_source_buffered = match ps.max_buffered.as_deref() {
            // A source must be able to send the largest body a route accepts.
            None => share(max_buffered).max(largest),
            Some(v) => {
                let n = self
                    .parsed_size("limits.per_source.max_buffered", v)
                    .unwrap_or(largest);
                if n < largest {
                    self.problem(
                        "limits.per_source.max_buffered",
                        format!("must be at least the largest body limit ({largest} bytes), or such a body could never be accepted"),
                    );
                }
                n
            }
        };

        Some(Config {
            startup: Startup {
                listen: listen?,
                admin_listen: admin_listen?,
                upstream: upstream?,
                upstreams,
                limits: startup_limits,
                dedup: store,
                log,
                shutdown_grace,
                workers: workers.clamp(1, MAX_WORKERS),
                queue,
                proxy_protocol,
            },
            live: Live {
                limits: Limits {
                    max_body,
                    max_buffered,
                    body_timeout,
                    min_body_rate,
                    body_rate_grace,
                    per_source: PerSource {
                        max_concurrency: per_source_concurrency,
                        max_buffered: per_source_buffered,
                    },
                },
                dedup: policy,
                diagnostics: Diagnostics {
                    recent_rejections: recent_rejections.min(MAX_RECENT_REJECTIONS),
                },
                admin,
                queue_defaults,
                fetch,
                trusted_proxies,
                routes,
                by_path,
            },
            warnings: Vec::new(),
            secret_files: Vec::new(),
        })
    }

    /// A list of CIDR blocks (`at[i]` names a bad one).
    pub(super) fn cidrs(&mut self, at: &str, list: &[String]) -> crate::allowlist::IpSet {
        let mut blocks = Vec::new();
        for (i, s) in list.iter().enumerate() {
            match crate::allowlist::parse_cidr(s, true) {
                Ok(b) => blocks.push(b),
                Err(e) => self.problem(format!("{at}[{i}]"), e),
            }
        }
        crate::allowlist::IpSet::new(blocks)
    }

    /// `fetch:`. The CA file is read here, so a missing or broken one is a load error rather
    /// than a 503 on the first request that needs a key.
    fn fetch(&mut self, raw: &RawFetch) -> FetchConfig {
        let connect_timeout = self.duration(
            "fetch.connect_timeout",
            raw.connect_timeout.as_deref(),
            Duration::from_secs(3),
        );
        let timeout = self.duration(
            "fetch.timeout",
            raw.timeout.as_deref(),
            Duration::from_secs(10),
        );
        if connect_timeout.is_zero() || timeout.is_zero() {
            self.problem("fetch", "timeouts must be more than 0");
        }
        if let Some(path) = &raw.ca_file {
            let settings = crate::fetch::ClientSettings {
                roots: crate::fetch::Roots::CaFile(path.clone()),
                ..crate::fetch::ClientSettings::default()
            };
            if let Err(e) = crate::fetch::Client::new(crate::fetch::AllowList::new([]), settings) {
                self.problem("fetch.ca_file", e.to_string());
            }
        }
        let mut resolve = Vec::new();
        for (host, addr) in &raw.resolve {
            match addr.parse::<SocketAddr>() {
                Ok(a) => resolve.push((host.to_ascii_lowercase(), a)),
                Err(_) => self.problem(
                    format!("fetch.resolve.{host}"),
                    format!("{addr:?} is not an ip:port"),
                ),
            }
        }
        FetchConfig {
            ca_file: raw.ca_file.clone(),
            connect_timeout,
            timeout,
            resolve,
        }
    }

    /// `upstream:`, or one of `upstreams:` (`at` names it).
    fn upstream(&mut self, at: &str, raw: RawUpstream) -> Option<UpstreamConfig> {
        let timeout = self.duration(
            &format!("{at}.timeout"),
            raw.timeout.as_deref(),
            DEFAULT_UPSTREAM_TIMEOUT,
        );
        let pool_idle_timeout = self.duration(
            &format!("{at}.pool_idle_timeout"),
            raw.pool_idle_timeout.as_deref(),
            DEFAULT_POOL_IDLE_TIMEOUT,
        );
        let max_response_body = self.size(
            &format!("{at}.max_response_body"),
            raw.max_response_body.as_deref(),
            DEFAULT_MAX_RESPONSE_BODY,
        );
        if timeout.is_zero() {
            self.problem(format!("{at}.timeout"), "must be more than 0");
        }
        let target = match parse_upstream_url(&raw.url) {
            Ok(t) => t,
            Err(msg) => {
                self.problem(format!("{at}.url"), msg);
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

    /// `upstreams:`, by name. Names go into logs and the queue's records: kept plain.
    fn upstreams(
        &mut self,
        raw: BTreeMap<String, RawUpstream>,
    ) -> BTreeMap<String, UpstreamConfig> {
        let mut out = BTreeMap::new();
        for (name, up) in raw {
            let at = format!("upstreams.{name}");
            let name_ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !name_ok {
                self.problem(&at, "name it with 1-64 letters, digits, '-', '_' or '.'");
            }
            if let Some(u) = self.upstream(&at, up) {
                self.upstream_names.push(Arc::from(name.as_str()));
                out.insert(name, u);
            }
        }
        out
    }

    /// A route's or a rule's `upstream:`, one of `upstreams:`.
    pub(super) fn upstream_name(&mut self, at: &str, name: Option<&str>) -> Option<Arc<str>> {
        let name = name?;
        let found = self.upstream_names.iter().find(|n| &***n == name).cloned();
        if found.is_none() {
            let known = if self.upstream_names.is_empty() {
                "there is no `upstreams:` section".to_owned()
            } else {
                let names: Vec<&str> = self.upstream_names.iter().map(|n| &**n).collect();
                format!("upstreams: {}", names.join(", "))
            };
            self.problem(at, format!("{name:?} is not under upstreams ({known})"));
        }
        found
    }

    fn dedup(&mut self, raw: &RawDedup) -> (StoreConfig, DedupPolicy) {
        let backend = self.choice(
            "dedup.backend",
            raw.backend.as_ref(),
            Backend::Memory,
            "use memory or redis",
        );
        let (redis, on_unavailable) = match (backend, &raw.redis) {
            (Backend::Memory, None) => (None, OnUnavailable::Reject),
            (Backend::Memory, Some(_)) => {
                self.problem("dedup.redis", "set `backend: redis` to use it");
                (None, OnUnavailable::Reject)
            }
            (Backend::Redis, Some(r)) => (
                self.redis("dedup.redis", r),
                self.choice(
                    "dedup.redis.on_unavailable",
                    r.on_unavailable.as_ref(),
                    OnUnavailable::Reject,
                    "use reject (503, the sender retries) or forward (no dedup while Redis is down)",
                ),
            ),
            (Backend::Redis, None) => {
                self.problem(
                    "dedup.redis",
                    "backend redis needs `redis: { url: redis://host:6379 }`",
                );
                (None, OnUnavailable::Reject)
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
            Some(_) if backend == Backend::Redis => {
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
        let store = StoreConfig {
            backend,
            max_entries,
            ttl,
            redis,
            snapshot,
        };
        let policy = DedupPolicy {
            duplicate_status,
            on_unavailable,
        };
        (store, policy)
    }

    /// A Redis connection's settings, at `key` (`dedup.redis` or `queue.redis`).
    pub(super) fn redis(&mut self, key: &str, raw: &RawRedis) -> Option<RedisSettings> {
        let url = match raw.url.as_deref() {
            Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => u.to_owned(),
            Some(_) => {
                self.problem(
                    format!("{key}.url"),
                    "write it like redis://host:6379/0 (rediss:// for TLS)",
                );
                return None;
            }
            None => {
                self.problem(format!("{key}.url"), "required, like redis://host:6379/0");
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
                    format!("{key}.url"),
                    "put no credentials in the URL; use `password: { env: NAME }` or `{ file: PATH }`",
                );
            }
        }
        let password = raw
            .password
            .as_ref()
            .and_then(|p| self.secret(&format!("{key}.password"), p, &format!("{key}.password")));
        let timeout = self.duration(
            &format!("{key}.timeout"),
            raw.timeout.as_deref(),
            DEFAULT_REDIS_TIMEOUT,
        );
        Some(RedisSettings {
            url,
            username: raw.username.clone(),
            password,
            key_prefix: raw
                .key_prefix
                .clone()
                .unwrap_or_else(|| DEFAULT_REDIS_KEY_PREFIX.to_owned()),
            timeout,
        })
    }

    /// Reads one `{env|file|value}` secret (a route key or the Redis password); `label` names
    /// it in the warning about inline values.
    pub(super) fn secret(&mut self, path: &str, s: &RawSecret, label: &str) -> Option<Secret> {
        if s.not_after.is_some() {
            self.problem(
                format!("{path}.not_after"),
                "only a route's secrets expire; leave not_after out here",
            );
        }
        self.secret_value(path, s, label)
    }

    /// A secret's value, whatever it is for (a route's secrets may also carry `not_after`).
    pub(super) fn secret_value(
        &mut self,
        path: &str,
        s: &RawSecret,
        label: &str,
    ) -> Option<Secret> {
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
        LogConfig {
            format: self.choice(
                "log.format",
                raw.format.as_ref(),
                LogFormat::Text,
                "use text or json",
            ),
            level: raw.level.clone().unwrap_or_else(|| "info".into()),
        }
    }

    /// A body size limit (`limits.max_body` or a route's): more than 0, at most 1 GiB.
    pub(super) fn body_limit(&mut self, path: &str, v: Option<&str>, default: usize) -> usize {
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
}

/// `http://host:port[/base]` or `unix:/path/to.sock`.
pub(super) fn parse_upstream_url(url: &str) -> Result<UpstreamTarget, String> {
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
