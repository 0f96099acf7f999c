//! Live reload: on SIGHUP, or when the config file or a secret file it names changes, load and
//! validate the config again and put it in force atomically (`Gate::install`).
//!
//! - **Atomic.** A request takes the config in force once, when it starts, and finishes on it;
//!   the next request sees the new one. Nothing is ever half-applied.
//! - **Failure keeps the old config.** An invalid file (or a missing secret) is logged with the
//!   same `file:line:column` message `hookgate check` prints, counted as
//!   `hookgate_config_reloads_total{result="failure"}`, and the running config stays.
//! - **What survives.** The dedup store and the upstream connection pool are never rebuilt.
//!   Settings bound to them or to open sockets (`listen`, `admin_listen`, `upstream.*`,
//!   `limits.header_timeout`, `limits.max_concurrency`, `dedup.*` but `duplicate_status` and
//!   `redis.on_unavailable`, `log.*`, `shutdown_grace`, `workers`) keep their running values: a change is
//!   logged as "requires restart" and otherwise ignored. Routes, secrets, `limits.max_body`,
//!   `limits.max_buffered`, `limits.body_timeout`, `dedup.duplicate_status`, `dedup.redis.on_unavailable` and
//!   `diagnostics` apply at once.
//! - **Environment secrets do not rotate**: a process's environment is fixed at start. Rotate
//!   with `file:` secrets (a Kubernetes Secret volume), or restart.
//!
//! ## Watching files: polling, and why
//! Kubernetes updates a ConfigMap or Secret volume by writing a new timestamped directory and
//! swapping the `..data` symlink beside the files; `config.yaml` itself is a symlink through
//! `..data`, so the file hookgate opened is never modified, it is replaced. An inotify watch on
//! the file goes stale at the first swap (hence the usual advice to watch the directory), and
//! inotify is missing or silent on several container setups (bind mounts from a macOS or
//! Windows host, network filesystems, exhausted `max_user_watches` on busy nodes). Polling has
//! none of these failure modes, and its cost is a few `stat` calls and small reads every
//! couple of seconds. Each poll resolves every watched path through all its symlinks and
//! stamps it with (resolved path, device, inode, length, mtime, SHA-256 of the contents): a
//! `..data` swap changes the resolved path, an atomic rename the inode, an in-place edit the
//! mtime or length, and an edit that keeps both (same size within the mtime's granularity, or
//! `cp -p`) still changes the digest. A `touch` reloads, as operators expect. A change must
//! look the same twice, a short moment apart, before it is loaded, so an editor caught halfway
//! through writing does not count as a failed reload.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::time::MissedTickBehavior;

use crate::config::{self, Config, ConfigError, Env, Secrets};
use crate::gate::Gate;

/// How often the watched files are checked, unless told otherwise.
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

/// A change must still look the same after this long before it is loaded (a writer caught
/// mid-write shows a different stamp the second time).
const SETTLE: Duration = Duration::from_millis(150);

/// Files larger than this are stamped by their metadata only: configs and secrets are a few
/// KiB, and a poll must stay cheap whatever a path points at.
const MAX_DIGESTED: u64 = 4 * 1024 * 1024;

/// Where the config comes from, to load it again. Made by `Source::load`, the first load.
pub struct Source {
    path: PathBuf,
    /// Secrets named by `env:`: the process environment in a real run.
    env: Arc<dyn Env + Send + Sync>,
    /// How often to check the config and secret files; `None` reloads on SIGHUP only.
    poll: Option<Duration>,
    /// What the files looked like before the config in force read them.
    seen: Stamps,
}

impl Source {
    /// The first load, remembering what each file looked like before it was read: an edit made
    /// while hookgate starts (a ConfigMap updated as the pod comes up) is then seen at the
    /// first poll instead of being taken as the state already loaded.
    pub fn load(
        path: PathBuf,
        env: Arc<dyn Env + Send + Sync>,
        poll: Option<Duration>,
    ) -> Result<(Config, Self), ConfigError> {
        let (loaded, seen) = load_stamped(&path, &*env, Stamps::new());
        let config = loaded.result?;
        let source = Self {
            path,
            env,
            poll,
            seen,
        };
        Ok((config, source))
    }
}

/// What asked for a reload (in the log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Signal,
    FileChange,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Self::Signal => "SIGHUP",
            Self::FileChange => "file change",
        }
    }
}

/// Starts listening for SIGHUP. Call it before the process reports ready: until a handler is
/// installed, SIGHUP's default action terminates the process.
pub fn hangup() -> Option<Signal> {
    match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; reloads only on file changes");
            None
        }
    }
}

/// Reloads on SIGHUP and on file changes, until the task is aborted (at shutdown).
pub async fn run(gate: Arc<Gate>, mut source: Source, mut hangup: Option<Signal>) {
    let mut set = watch_set(&source.path, &gate.config().secret_files, &[]);
    let mut seen = stamp_missing(std::mem::take(&mut source.seen), &set).await;
    let source = Arc::new(source);
    let mut ticker = source.poll.filter(|p| !p.is_zero()).map(|p| {
        let mut t = tokio::time::interval(p);
        t.set_missed_tick_behavior(MissedTickBehavior::Delay);
        t
    });
    if let Some(p) = source.poll.filter(|p| !p.is_zero()) {
        tracing::info!(files = set.len(), every = ?p, "watching the config and secret files for changes");
    }
    loop {
        let (trigger, before) = tokio::select! {
            got = async {
                match hangup.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                if got.is_none() {
                    hangup = None;
                    continue;
                }
                (Trigger::Signal, stamp_all(set.clone()).await)
            }
            _ = async {
                match ticker.as_mut() {
                    Some(t) => t.tick().await,
                    None => std::future::pending().await,
                }
            } => {
                let now = stamp_all(set.clone()).await;
                if now == seen {
                    continue;
                }
                tokio::time::sleep(SETTLE).await;
                if stamp_all(set.clone()).await != now {
                    // Still being written: look again at the next tick.
                    continue;
                }
                (Trigger::FileChange, now)
            }
        };
        let Some((loaded, stamps)) = load(&gate, &source, before).await else {
            continue;
        };
        let failed_files = match loaded.result {
            Ok(config) => {
                apply(&gate, config, trigger);
                Vec::new()
            }
            Err(e) => {
                fail(&gate, &e, trigger);
                loaded.secret_files
            }
        };
        // Watch what the config in force names and, after a failure, what the rejected file
        // named too: a config that failed for want of a secret file is retried when it appears.
        set = watch_set(&source.path, &gate.config().secret_files, &failed_files);
        seen = stamp_missing(stamps, &set).await;
    }
}

/// `load_stamped` off the async threads; `None` (counted, logged) if the loader panicked: the
/// running config stays.
async fn load(
    gate: &Gate,
    source: &Arc<Source>,
    before: Stamps,
) -> Option<(config::Loaded, Stamps)> {
    let src = source.clone();
    let loaded =
        tokio::task::spawn_blocking(move || load_stamped(&src.path, &*src.env, before)).await;
    match loaded {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::error!(error = %e, "config reload crashed; keeping the running config");
            gate.metrics
                .config_reloads
                .with_label_values(&["failure"])
                .inc();
            None
        }
    }
}

/// Loads the config with every file it read stamped before the read, so that any change made
/// during or after the load differs from the returned stamps and is seen by the next poll.
/// `before` holds stamps already taken; the files the config names are known only once it is
/// parsed, so a load that read a file not stamped yet (a secret file new to this version, or
/// any file at the first load) stamps it and loads again.
fn load_stamped(path: &Path, env: &dyn Env, mut before: Stamps) -> (config::Loaded, Stamps) {
    // Two passes suffice unless the config keeps naming new files while it is being edited;
    // past the cap, the newest files are stamped just after the load (a window of a read).
    const PASSES: usize = 3;
    before.entry(path.to_owned()).or_insert_with(|| stamp(path));
    let mut pass = 1;
    loop {
        let loaded = config::load_tracked(path, env, Secrets::Load);
        let unstamped: Vec<PathBuf> = loaded
            .secret_files
            .iter()
            .filter(|p| !before.contains_key(*p))
            .cloned()
            .collect();
        for p in &unstamped {
            before.insert(p.clone(), stamp(p));
        }
        if unstamped.is_empty() || pass == PASSES {
            return (loaded, before);
        }
        pass += 1;
    }
}

/// Puts a validated config in force, keeping the settings that need a restart.
pub fn apply(gate: &Gate, new: Config, trigger: Trigger) {
    let current = gate.config();
    let (merged, restart) = carry_over(&current, new);
    for key in &restart {
        tracing::warn!(
            key = *key,
            "{key} changed in the config; it requires restart and keeps its running value until then"
        );
    }
    for w in &merged.warnings {
        tracing::warn!("{w}");
    }
    let names =
        |c: &Config| -> Vec<String> { c.routes.iter().map(|r| r.name.to_string()).collect() };
    let (old, new) = (names(&current), names(&merged));
    let added: Vec<&str> = new
        .iter()
        .filter(|n| !old.contains(n))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = old
        .iter()
        .filter(|n| !new.contains(n))
        .map(String::as_str)
        .collect();
    let routes = merged.routes.len();
    gate.install(Arc::new(merged));
    gate.metrics
        .config_reloads
        .with_label_values(&["success"])
        .inc();
    tracing::info!(
        trigger = trigger.as_str(),
        routes,
        added = added.join(","),
        removed = removed.join(","),
        "config reloaded"
    );
}

/// Counts and logs a config that cannot be used; the running one stays.
fn fail(gate: &Gate, e: &ConfigError, trigger: Trigger) {
    gate.metrics
        .config_reloads
        .with_label_values(&["failure"])
        .inc();
    // The same text `hookgate check` prints: every problem with file:line:column.
    tracing::error!(
        trigger = trigger.as_str(),
        error = %e,
        "config reload failed; keeping the running config"
    );
}

/// `new` with the settings that need a restart taken from `current`, and the keys whose new
/// values were set aside (never their values: some are credentials).
pub fn carry_over(current: &Config, mut new: Config) -> (Config, Vec<&'static str>) {
    let mut restart = Vec::new();
    let mut check = |changed: bool, key: &'static str| {
        if changed {
            restart.push(key);
        }
    };
    check(new.listen != current.listen, "listen");
    check(new.admin_listen != current.admin_listen, "admin_listen");
    let (cu, nu) = (&current.upstream, &new.upstream);
    check(nu.url != cu.url, "upstream.url");
    check(nu.timeout != cu.timeout, "upstream.timeout");
    check(
        nu.pool_idle_timeout != cu.pool_idle_timeout,
        "upstream.pool_idle_timeout",
    );
    check(
        nu.max_response_body != cu.max_response_body,
        "upstream.max_response_body",
    );
    check(
        new.limits.header_timeout != current.limits.header_timeout,
        "limits.header_timeout",
    );
    check(
        new.limits.max_concurrency != current.limits.max_concurrency,
        "limits.max_concurrency",
    );
    let (cd, nd) = (&current.dedup, &new.dedup);
    check(nd.redis.is_some() != cd.redis.is_some(), "dedup.backend");
    check(nd.max_entries != cd.max_entries, "dedup.max_entries");
    check(nd.ttl != cd.ttl, "dedup.ttl");
    check(
        nd.snapshot.as_ref().map(|s| (&s.path, s.max_entries))
            != cd.snapshot.as_ref().map(|s| (&s.path, s.max_entries)),
        "dedup.snapshot",
    );
    if let (Some(n), Some(c)) = (&nd.redis, &cd.redis) {
        check(
            n.url != c.url
                || n.username != c.username
                || n.password != c.password
                || n.key_prefix != c.key_prefix
                || n.timeout != c.timeout,
            "dedup.redis",
        );
    }
    check(new.workers != current.workers, "workers");
    check(new.log.format != current.log.format, "log.format");
    check(new.log.level != current.log.level, "log.level");
    check(
        new.shutdown_grace != current.shutdown_grace,
        "shutdown_grace",
    );

    new.listen = current.listen;
    new.admin_listen = current.admin_listen;
    new.upstream = current.upstream.clone();
    new.limits.header_timeout = current.limits.header_timeout;
    new.limits.max_concurrency = current.limits.max_concurrency;
    let duplicate_status = new.dedup.duplicate_status;
    let on_unavailable = new.dedup.redis.as_ref().map(|r| r.on_unavailable);
    new.dedup = current.dedup.clone();
    new.dedup.duplicate_status = duplicate_status;
    if let (Some(r), Some(o)) = (new.dedup.redis.as_mut(), on_unavailable) {
        r.on_unavailable = o;
    }
    new.log = current.log.clone();
    new.shutdown_grace = current.shutdown_grace;
    new.workers = current.workers;
    (new, restart)
}

fn watch_set(config: &Path, secrets: &[PathBuf], more: &[PathBuf]) -> Vec<PathBuf> {
    let mut set = vec![config.to_owned()];
    for p in secrets.iter().chain(more) {
        if !set.contains(p) {
            set.push(p.clone());
        }
    }
    set
}

/// What a watched path looks like now. Never printed: the digest is of secret material.
#[derive(PartialEq, Eq)]
enum Stamp {
    /// Missing or unreadable (a reload may be waiting for it to appear).
    Unreadable(std::io::ErrorKind),
    File {
        /// The path with every symlink resolved: a `..data` swap changes it.
        resolved: PathBuf,
        dev: u64,
        ino: u64,
        len: u64,
        mtime: Option<SystemTime>,
        digest: Option<[u8; 32]>,
    },
}

type Stamps = BTreeMap<PathBuf, Stamp>;

fn stamp(path: &Path) -> Stamp {
    use std::os::unix::fs::MetadataExt as _;
    let resolved = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) => return Stamp::Unreadable(e.kind()),
    };
    let meta = match std::fs::metadata(&resolved) {
        Ok(m) => m,
        Err(e) => return Stamp::Unreadable(e.kind()),
    };
    // Only regular files are read: a FIFO or a device would block or never end.
    let digest = (meta.is_file() && meta.len() <= MAX_DIGESTED)
        .then(|| std::fs::read(&resolved).ok())
        .flatten()
        .map(|bytes| Sha256::digest(&bytes).into());
    Stamp::File {
        resolved,
        dev: meta.dev(),
        ino: meta.ino(),
        len: meta.len(),
        mtime: meta.modified().ok(),
        digest,
    }
}

/// Stamps off the async workers: a stat on a network filesystem can block.
async fn stamp_all(paths: Vec<PathBuf>) -> Stamps {
    tokio::task::spawn_blocking(move || {
        paths
            .into_iter()
            .map(|p| {
                let s = stamp(&p);
                (p, s)
            })
            .collect()
    })
    .await
    // Only a panic gets here; an empty map differs from any other, so the next poll retries.
    .unwrap_or_default()
}

/// `known` restricted to `set`, with paths new to the set stamped now.
async fn stamp_missing(mut known: Stamps, set: &[PathBuf]) -> Stamps {
    known.retain(|p, _| set.contains(p));
    let missing: Vec<PathBuf> = set
        .iter()
        .filter(|p| !known.contains_key(*p))
        .cloned()
        .collect();
    known.extend(stamp_all(missing).await);
    known
}

#[cfg(test)]
mod tests;
