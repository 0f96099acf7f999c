//! The in-process dedup store: claims in a sharded map of our own (in_flight.rs), accepted ids
//! in a moka cache with a bounded number of entries and the done TTL.
//!
//! Every decision about an id is taken under its shard's lock: a claim looks for a live claim,
//! then in moka; a commit puts the id in moka before it drops the claim. So an id is always in
//! one place or the other while it matters, and a concurrent claim of it finds it. Only moka is
//! bounded by `max_entries`: claims are bounded by the requests being forwarded (each holds its
//! claim until it settles), and must not push accepted ids out. An accepted id pushed out by
//! the size bound before its TTL is reported through `on_evict`: the replay window is silently
//! shrinking, so it is a metric.

mod in_flight;

use std::collections::hash_map::{Entry, HashMap};
use std::hash::BuildHasherDefault;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use arc_swap::ArcSwap;
use moka::notification::RemovalCause;
use moka::sync::Cache;
use moka::Expiry;

use super::{Claim, ClaimToken, DedupKey, Ttls};
use in_flight::{Claimed, Claims, Hashed, PassThrough};

/// An accepted id, remembered until this wall-clock time (unix ms), which a snapshot carries
/// across a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Done {
    until_ms: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

struct DoneExpiry {
    ttl: Duration,
}

impl Expiry<Hashed, Done> for DoneExpiry {
    fn expire_after_create(&self, _: &Hashed, v: &Done, _: Instant) -> Option<Duration> {
        Some(self.ttl(*v))
    }

    fn expire_after_update(
        &self,
        _: &Hashed,
        v: &Done,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.ttl(*v))
    }
}

impl DoneExpiry {
    /// Normally the full TTL; less for an entry restored from a snapshot.
    fn ttl(&self, v: Done) -> Duration {
        Duration::from_millis(v.until_ms.saturating_sub(now_ms())).min(self.ttl)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read it: {0}")]
    Io(std::io::Error),
    #[error("it is corrupt ({0})")]
    Corrupt(&'static str),
}

/// One shard of accepted ids. Keys carry the hash the claims computed (`Hashed`) and moka is
/// handed it as is (`PassThrough`): moka's table rebuilds a segment whenever removals have left
/// tombstones in a tenth of it, which at steady state (every accepted id evicts an old one) is
/// all the time, and it hashes every key again each time; with SipHash over the route and id
/// that was over 40% of the store's CPU and most of its slowest operations. The hash is from
/// the store's own randomly keyed `RandomState`, so ids a sender picks cannot aim at one bucket.
type DoneShard = Cache<Hashed, Done, BuildHasherDefault<PassThrough>>;

/// Above this, the map grows on demand rather than reserving memory at start.
const INITIAL_CAPACITY_CAP: u64 = 1 << 20;

/// Called with the route of each entry evicted for lack of space.
pub type EvictionHook = Arc<dyn Fn(&str) + Send + Sync>;

/// Ids held (claimed or accepted) by route. Swapped whole when a reload adds routes (readers
/// never lock); the counters themselves are shared between versions, so counts carry across
/// reloads.
type Counts = Arc<ArcSwap<HashMap<Arc<str>, Arc<AtomicI64>>>>;

#[derive(Clone)]
pub struct MemoryStore {
    claims: Arc<Claims>,
    /// Accepted ids, sharded by the same hash as the claims (see `done_shards`).
    done: Arc<[DoneShard]>,
    counts: Counts,
    done_ttl: Duration,
}

/// How many moka caches hold the accepted ids. At steady state every accepted id evicts an old one,
/// and moka rebuilds parts of its table as the evictions leave tombstones, on the request path;
/// with one 100 000-entry cache, hookgate's open-loop p99 at 10 000 req/s was 1.67 ms, with shards
/// of a few thousand ids 1.17 ms (docs/performance-archive-2026-12-04.md; beyond that, the shard
/// count made no difference to the store's own slowest operations). Eviction is then by recency
/// within a shard, which for uniformly hashed ids is recency overall to within a shard's share;
/// small stores stay one exact LRU.
fn done_shards(max_entries: u64) -> usize {
    const IDS_PER_SHARD_AT_LEAST: u64 = 2048;
    const MAX_SHARDS: u64 = 64;
    let wanted = (max_entries / IDS_PER_SHARD_AT_LEAST).clamp(1, MAX_SHARDS);
    // A power of two, so a shard is picked with a mask.
    let shards = 1u64 << (63 - wanted.leading_zeros());
    usize::try_from(shards).unwrap_or(1)
}

fn done_shard(
    capacity: u64,
    shards: usize,
    ttl: Duration,
    counts: Counts,
    on_evict: EvictionHook,
) -> DoneShard {
    // Sized up front: growing the concurrent map while it fills showed up as rehashing on
    // the request path.
    let initial = usize::try_from(capacity.min(INITIAL_CAPACITY_CAP / shards as u64)).unwrap_or(0);
    Cache::builder()
        .max_capacity(capacity)
        // Recency, not frequency: every id is seen about once, and the one a sender is
        // about to retry is among the newest. moka's default TinyLFU admission would turn
        // new ids away once the store is full, so prompt retries were forwarded again.
        .eviction_policy(moka::policy::EvictionPolicy::lru())
        .initial_capacity(initial)
        .expire_after(DoneExpiry { ttl })
        .eviction_listener(move |key: Arc<Hashed>, _v, cause| {
            // Every removal forgets an id, `Replaced` too: an accepted id is only ever
            // written over once it has expired (a claim finding it live stops there),
            // which moka reports as a replacement, not an expiry.
            if let Some(c) = counts.load().get(&key.key.route) {
                c.fetch_sub(1, Ordering::Relaxed);
            }
            if cause == RemovalCause::Size {
                on_evict(&key.key.route);
            }
        })
        .build_with_hasher(BuildHasherDefault::default())
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
        let shards = done_shards(max_entries);
        let done: Arc<[DoneShard]> = (0..shards)
            .map(|i| {
                // The bound is split exactly: the shards hold max_entries between them.
                let capacity = max_entries / shards as u64
                    + u64::from((i as u64) < max_entries % shards as u64);
                done_shard(
                    capacity,
                    shards,
                    ttls.done,
                    counts.clone(),
                    on_evict.clone(),
                )
            })
            .collect();
        Self {
            claims: Arc::new(Claims::new(ttls.in_flight)),
            done,
            counts,
            done_ttl: ttls.done,
        }
    }

    pub fn claim(&self, key: DedupKey) -> Claim {
        let now = Instant::now();
        let ttl = self.claims.ttl;
        let (hash, mut shard) = self.claims.lock(&key);
        let token = shard.next_token();
        let entry = shard.entry(hash, key);
        if let Entry::Occupied(e) = &entry {
            if e.get().live(now, ttl) {
                return Claim::InFlight;
            }
        }
        // With no live claim, the id is either accepted (in moka) or free: commit moves it
        // from one to the other under this same lock, so it cannot be between the two.
        // `contains_key`, not `get`: a read would be logged for moka's recency bookkeeping
        // (work on every claim, for nothing: ids leave in the order they were accepted, all
        // with the same TTL).
        if self.done(hash).contains_key(entry.key()) {
            return Claim::Done;
        }
        let key = entry.key().key.clone();
        // Taking over an expired claim keeps the id held: it is counted once already.
        let fresh = matches!(entry, Entry::Vacant(_));
        entry.insert_entry(Claimed { token, since: now });
        if fresh {
            self.count(&key.route, 1);
            shard.grown(now, ttl, |k| self.count(&k.route, -1));
        }
        drop(shard);
        Claim::Claimed(ClaimToken {
            key,
            token,
            value: None,
        })
    }

    /// Marks the delivery accepted, if this claim still owns it (an expired claim re-taken by
    /// another request is not overwritten). An expired claim nobody re-took still commits:
    /// the upstream accepted the delivery, and remembering that is the point.
    pub fn commit(&self, claim: &ClaimToken) {
        let (hash, mut shard) = self.claims.lock(&claim.key);
        if shard.token(hash, &claim.key) != Some(claim.token) {
            return;
        }
        let until_ms =
            now_ms().saturating_add(u64::try_from(self.done_ttl.as_millis()).unwrap_or(u64::MAX));
        // moka first, then the claim: nothing sees the id in neither (the lock already keeps
        // claims out; this keeps the order right for anything that reads moka without it).
        // The count is unchanged: the id moves.
        let key = Hashed {
            hash,
            key: claim.key.clone(),
        };
        self.done(hash).insert(key, Done { until_ms });
        shard.remove(hash, &claim.key);
    }

    /// Forgets the delivery, if this claim still owns it, so a retry is forwarded.
    pub fn release(&self, claim: &ClaimToken) {
        let (hash, mut shard) = self.claims.lock(&claim.key);
        if shard.token(hash, &claim.key) == Some(claim.token) && shard.remove(hash, &claim.key) {
            self.count(&claim.key.route, -1);
        }
    }

    /// The accepted ids' shard for a key hashed by `Claims::lock`.
    fn done(&self, hash: u64) -> &DoneShard {
        // Bits the claims' shard index also uses, so one claims shard maps to one of these.
        let index = (hash >> 32) as usize & (self.done.len() - 1);
        &self.done[index]
    }

    fn count(&self, route: &str, delta: i64) {
        if let Some(c) = self.counts.load().get(route) {
            c.fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// Starts counting entries for routes a reload added. Counters of routes it removed are
    /// kept: their entries stay in the store until they expire (a route added back finds
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

    /// Ids held for `route`, claimed or accepted (the `hookgate_dedup_entries` gauge).
    pub fn entries(&self, route: &str) -> i64 {
        self.counts
            .load()
            .get(route)
            .map_or(0, |c| c.load(Ordering::Relaxed).max(0))
    }

    /// Applies moka's deferred expiry and eviction (and their count updates), and drops the
    /// claims that expired without being settled.
    pub fn housekeeping(&self) {
        for done in &*self.done {
            done.run_pending_tasks();
        }
        self.claims
            .sweep(Instant::now(), |k| self.count(&k.route, -1));
    }

    /// Writes up to `max` accepted ids (in-flight claims are not: their forwards died with the
    /// process) to `path`, atomically (a temporary file renamed over it). Returns how many.
    pub fn save(&self, path: &Path, max: u64) -> std::io::Result<usize> {
        let now = now_ms();
        let mut lines = Vec::new();
        for (hashed, Done { until_ms }) in self.done.iter().flat_map(|d| d.iter()) {
            if lines.len() as u64 >= max {
                break;
            }
            if until_ms > now {
                let key = &hashed.key;
                let line = serde_json::json!({ "r": &*key.route, "i": &*key.id, "u": until_ms });
                lines.push(line.to_string());
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
            // Under the id's lock, like every write to moka: an id claimed meanwhile (a
            // restore normally runs before traffic) is its claimer's to settle, and must not
            // also be accepted (see `claim`).
            let (hash, shard) = self.claims.lock(&key);
            if shard.token(hash, &key).is_some() {
                continue;
            }
            let entry = self
                .done(hash)
                .entry(Hashed { hash, key })
                .or_insert(Done { until_ms });
            drop(shard);
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
