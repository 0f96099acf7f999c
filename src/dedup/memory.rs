//! The in-process dedup store: a moka cache with bounded entries and per-state TTLs.
//!
//! moka's `entry().or_insert_with` and `and_compute_with` make claim, commit and release
//! atomic per key without a lock of ours. An entry pushed out by the size bound before its TTL
//! is reported through `on_evict`: the replay window is silently shrinking, so it is a metric.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use arc_swap::ArcSwap;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use moka::sync::Cache;
use moka::Expiry;

use super::{Claim, ClaimToken, DedupKey, Ttls};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight(u64),
    /// Accepted; remembered until this wall-clock time (unix ms), which a snapshot carries
    /// across a restart.
    Done {
        until_ms: u64,
    },
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

struct PerStateExpiry(Ttls);

impl Expiry<DedupKey, State> for PerStateExpiry {
    fn expire_after_create(&self, _: &DedupKey, v: &State, _: Instant) -> Option<Duration> {
        Some(self.ttl(*v))
    }

    fn expire_after_update(
        &self,
        _: &DedupKey,
        v: &State,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.ttl(*v))
    }
}

impl PerStateExpiry {
    fn ttl(&self, v: State) -> Duration {
        match v {
            State::InFlight(_) => self.0.in_flight,
            // Normally the full TTL; less for an entry restored from a snapshot.
            State::Done { until_ms } => {
                Duration::from_millis(until_ms.saturating_sub(now_ms())).min(self.0.done)
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read it: {0}")]
    Io(std::io::Error),
    #[error("it is corrupt ({0})")]
    Corrupt(&'static str),
}

/// Above this, the map grows on demand rather than reserving memory at start.
const INITIAL_CAPACITY_CAP: u64 = 1 << 20;

/// Called with the route of each entry evicted for lack of space.
pub type EvictionHook = Arc<dyn Fn(&str) + Send + Sync>;

/// Entry counts by route. Swapped whole when a reload adds routes (readers never lock); the
/// counters themselves are shared between versions, so counts carry across reloads.
type Counts = Arc<ArcSwap<HashMap<Arc<str>, Arc<AtomicI64>>>>;

#[derive(Clone)]
pub struct MemoryStore {
    cache: Cache<DedupKey, State>,
    next_token: Arc<AtomicU64>,
    counts: Counts,
    done_ttl: Duration,
}

impl MemoryStore {
    /// `routes` are the route names whose entry counts are tracked (labels come from config).
    pub fn new(max_entries: u64, ttls: Ttls, routes: &[Arc<str>], on_evict: EvictionHook) -> Self {
        let counts: Counts = Arc::new(ArcSwap::from_pointee(
            routes
                .iter()
                .map(|r| (r.clone(), Arc::new(AtomicI64::new(0))))
                .collect(),
        ));
        let listener_counts = counts.clone();
        // Sized up front: growing the concurrent map while it fills showed up as rehashing on
        // the request path.
        let initial = usize::try_from(max_entries.min(INITIAL_CAPACITY_CAP)).unwrap_or(0);
        let cache = Cache::builder()
            .max_capacity(max_entries)
            // Recency, not frequency: every id is seen about once, and the one a sender is
            // about to retry is among the newest. moka's default TinyLFU admission would turn
            // new ids away once the store is full, so prompt retries were forwarded again.
            .eviction_policy(moka::policy::EvictionPolicy::lru())
            .initial_capacity(initial)
            .expire_after(PerStateExpiry(ttls))
            .eviction_listener(move |key: Arc<DedupKey>, _v, cause| {
                // `Replaced` is in flight -> done: the entry stays.
                if cause == RemovalCause::Replaced {
                    return;
                }
                if let Some(c) = listener_counts.load().get(&key.route) {
                    c.fetch_sub(1, Ordering::Relaxed);
                }
                if cause == RemovalCause::Size {
                    on_evict(&key.route);
                }
            })
            .build();
        Self {
            cache,
            next_token: Arc::new(AtomicU64::new(1)),
            counts,
            done_ttl: ttls.done,
        }
    }

    pub fn claim(&self, key: DedupKey) -> Claim {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let route = key.route.clone();
        let entry = self
            .cache
            .entry(key.clone())
            .or_insert_with(|| State::InFlight(token));
        if entry.is_fresh() {
            if let Some(c) = self.counts.load().get(&route) {
                c.fetch_add(1, Ordering::Relaxed);
            }
            return Claim::Claimed(ClaimToken {
                key,
                token,
                value: None,
            });
        }
        match entry.into_value() {
            State::Done { .. } => Claim::Done,
            State::InFlight(_) => Claim::InFlight,
        }
    }

    /// Marks the delivery accepted, if this claim still owns it (an expired claim re-taken by
    /// another request is not overwritten).
    pub fn commit(&self, claim: &ClaimToken) {
        self.cache
            .entry(claim.key.clone())
            .and_compute_with(|current| match current.map(|e| e.into_value()) {
                Some(State::InFlight(t)) if t == claim.token => Op::Put(State::Done {
                    until_ms: now_ms().saturating_add(
                        u64::try_from(self.done_ttl.as_millis()).unwrap_or(u64::MAX),
                    ),
                }),
                _ => Op::Nop,
            });
    }

    /// Forgets the delivery, if this claim still owns it, so a retry is forwarded.
    pub fn release(&self, claim: &ClaimToken) {
        self.cache
            .entry(claim.key.clone())
            .and_compute_with(|current| match current.map(|e| e.into_value()) {
                Some(State::InFlight(t)) if t == claim.token => Op::Remove,
                _ => Op::Nop,
            });
    }

    /// Starts counting entries for routes a reload added. Counters of routes it removed are
    /// kept: their entries stay in the cache until they expire (a route added back finds
    /// them), and the count must still go down when they do. Only configured routes are
    /// exported, so this never adds a metric series.
    pub fn track_routes(&self, routes: &[Arc<str>]) {
        self.counts.rcu(|current| {
            let mut next = HashMap::clone(current);
            for r in routes {
                next.entry(r.clone())
                    .or_insert_with(|| Arc::new(AtomicI64::new(0)));
            }
            next
        });
    }

    pub fn entries(&self, route: &str) -> i64 {
        self.counts
            .load()
            .get(route)
            .map_or(0, |c| c.load(Ordering::Relaxed).max(0))
    }

    pub fn housekeeping(&self) {
        self.cache.run_pending_tasks();
    }

    /// Writes up to `max` accepted ids (in-flight claims are not: their forwards died with the
    /// process) to `path`, atomically (a temporary file renamed over it). Returns how many.
    pub fn save(&self, path: &Path, max: u64) -> std::io::Result<usize> {
        let now = now_ms();
        let mut lines = Vec::new();
        for (key, state) in &self.cache {
            if lines.len() as u64 >= max {
                break;
            }
            if let State::Done { until_ms } = state {
                if until_ms > now {
                    let line =
                        serde_json::json!({ "r": &*key.route, "i": &*key.id, "u": until_ms });
                    lines.push(line.to_string());
                }
            }
        }
        let mut body = format!(
            "{{\"hookgate_dedup_snapshot\":1,\"count\":{}}}\n",
            lines.len()
        );
        for l in &lines {
            body.push_str(l);
            body.push('\n');
        }
        let digest = hex::encode(Sha256::digest(body.as_bytes()));
        body.push_str(&format!("{{\"sha256\":\"{digest}\"}}\n"));
        let tmp = path.with_extension("tmp");
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(body.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(lines.len())
    }

    /// Restores accepted ids saved by `save` that have not expired, for the given routes only.
    /// Anything wrong with the file (truncated, edited, another format) rejects it whole.
    pub fn load(&self, path: &Path) -> Result<usize, SnapshotError> {
        let file = std::fs::File::open(path).map_err(SnapshotError::Io)?;
        let mut lines: Vec<String> = Vec::new();
        for line in std::io::BufReader::new(file).lines() {
            lines.push(line.map_err(SnapshotError::Io)?);
        }
        let (last, content) = lines.split_last().ok_or(SnapshotError::Corrupt("empty"))?;
        let mut body = String::new();
        for l in content {
            body.push_str(l);
            body.push('\n');
        }
        let digest = hex::encode(Sha256::digest(body.as_bytes()));
        let sealed: serde_json::Value =
            serde_json::from_str(last).map_err(|_| SnapshotError::Corrupt("no checksum line"))?;
        if sealed["sha256"].as_str() != Some(digest.as_str()) {
            return Err(SnapshotError::Corrupt("checksum mismatch"));
        }
        let (header, entries) = content
            .split_first()
            .ok_or(SnapshotError::Corrupt("no header"))?;
        let header: serde_json::Value =
            serde_json::from_str(header).map_err(|_| SnapshotError::Corrupt("bad header"))?;
        if header["hookgate_dedup_snapshot"] != 1 {
            return Err(SnapshotError::Corrupt("unknown version"));
        }
        let now = now_ms();
        let mut restored = 0;
        let counts = self.counts.load();
        for l in entries {
            let v: serde_json::Value =
                serde_json::from_str(l).map_err(|_| SnapshotError::Corrupt("bad entry"))?;
            let (Some(r), Some(i), Some(until_ms)) =
                (v["r"].as_str(), v["i"].as_str(), v["u"].as_u64())
            else {
                return Err(SnapshotError::Corrupt("bad entry"));
            };
            // Routes that no longer exist are dropped; expired ids too.
            let Some((route, count)) = counts.get_key_value(r) else {
                continue;
            };
            if until_ms <= now {
                continue;
            }
            let key = DedupKey {
                route: route.clone(),
                id: i.into(),
            };
            let entry = self.cache.entry(key).or_insert(State::Done { until_ms });
            if entry.is_fresh() {
                count.fetch_add(1, Ordering::Relaxed);
                restored += 1;
            }
        }
        Ok(restored)
    }
}

#[cfg(test)]
mod tests;
