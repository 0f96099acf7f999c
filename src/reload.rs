//! Live reload: on SIGHUP, or when the config file or a secret file it names changes, load and
//! validate the config again and put it in force atomically (`Gate::install`).
//!
//! - **Atomic.** A request takes the config in force once, when it starts, and finishes on it;
//!   the next request sees the new one. Nothing is ever half-applied.
//! - **Failure keeps the old config.** An invalid file (or a missing secret) is logged with the
//!   same `file:line:column` message `hookgate check` prints, counted as
//!   `hookgate_config_reloads_total{result="failure"}`, and the running config stays.
//! - **What survives.** The dedup store and the upstream connection pools are never rebuilt.
//!   The config's types say what reloads: a reload puts the new `config::Live` in force
//!   (routes, secrets, `limits.max_body`, `limits.max_buffered`, `limits.body_timeout`,
//!   `dedup.duplicate_status`, `dedup.redis.on_unavailable`, `diagnostics`); the settings in
//!   `config::Startup`, bound to sockets, threads, pools and the store, keep their running
//!   values, and each key that changed is logged as "requires restart".
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

use crate::config::{self, Config, ConfigError, Env, Secrets, Startup};
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

/// What the process runs with that a reload does not replace: the settings read at start, and
/// the secret files of the config in force (to watch).
pub struct Running {
    pub startup: Startup,
    pub secret_files: Vec<PathBuf>,
}

/// Reloads on SIGHUP and on file changes, until the task is aborted (at shutdown).
pub async fn run(
    gate: Arc<Gate>,
    mut source: Source,
    mut running: Running,
    mut hangup: Option<Signal>,
) {
    let mut set = watch_set(&source.path, &running.secret_files, &[]);
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
                running.secret_files.clone_from(&config.secret_files);
                apply(&gate, &running.startup, config, trigger);
                Vec::new()
            }
            Err(e) => {
                fail(&gate, &e, trigger);
                loaded.secret_files
            }
        };
        // Watch what the config in force names and, after a failure, what the rejected file
        // named too: a config that failed for want of a secret file is retried when it appears.
        set = watch_set(&source.path, &running.secret_files, &failed_files);
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
            gate.recorder
                .metrics
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

/// Puts a validated config's `Live` half in force; its `Startup` half only tells which
/// settings would need a restart (`running` keeps them).
pub fn apply(gate: &Gate, running: &Startup, new: Config, trigger: Trigger) {
    // Upstream clients are built at start: a route or rule naming one that is new to the file
    // has nowhere to send until a restart, so the whole reload waits for it.
    let unknown: Vec<String> = new
        .live
        .routes
        .iter()
        .flat_map(|r| {
            let rules = r.rules.iter().filter_map(|rule| rule.upstream.as_deref());
            r.upstream.as_deref().into_iter().chain(rules)
        })
        .filter(|name| !running.upstreams.contains_key(*name))
        .map(str::to_owned)
        .collect();
    if !unknown.is_empty() {
        let why = format!(
            "routes send to upstreams added since start, which need a restart: {}",
            unknown.join(", ")
        );
        fail(gate, &why, trigger);
        return;
    }
    for key in config::changed_keys(running, &new.startup) {
        tracing::warn!(
            key,
            "{key} changed in the config; it requires restart and keeps its running value until then"
        );
    }
    for w in &new.warnings {
        tracing::warn!("{w}");
    }
    let current = gate.live();
    let old: Vec<&str> = current.routes.iter().map(|r| &*r.name).collect();
    let new_names: Vec<&str> = new.live.routes.iter().map(|r| &*r.name).collect();
    let added: Vec<&str> = new_names
        .iter()
        .copied()
        .filter(|n| !old.contains(n))
        .collect();
    let removed: Vec<&str> = old
        .iter()
        .copied()
        .filter(|n| !new_names.contains(n))
        .collect();
    let (added, removed) = (added.join(","), removed.join(","));
    let routes = new.live.routes.len();
    gate.install(Arc::new(new.live));
    gate.recorder
        .metrics
        .config_reloads
        .with_label_values(&["success"])
        .inc();
    tracing::info!(
        trigger = trigger.as_str(),
        routes,
        added,
        removed,
        "config reloaded"
    );
}

/// Counts and logs a config that cannot be used; the running one stays.
fn fail(gate: &Gate, e: &dyn std::fmt::Display, trigger: Trigger) {
    gate.recorder
        .metrics
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
