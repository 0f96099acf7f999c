//! The in-process dedup store: claims in progress and accepted ids, in shards that each take
//! every decision about their ids under one lock (shard.rs).
//!
//! An id is known by its digest: the first 16 bytes of SHA-256 over its route and id. It is
//! all the store keeps of an id (a distinct event whose digest collides with an accepted one's
//! would be taken for a duplicate: at a million ids, odds of about 1 in 10^26), it does not
//! depend on the process (a snapshot carries it across a restart), and it sizes every entry
//! alike whatever a sender puts in its ids. Which shard holds a digest, and where in the
//! shard's tables, is decided by keyed hashes drawn at random for the process, so ids chosen
//! to collide there would need the key.
//!
//! A claim looks for a live claim, then among the accepted ids; a commit moves the id from one
//! to the other under the same lock, so a concurrent claim finds it in one place or the other.
//! Only accepted ids are bounded by `max_entries` (in shares per shard): claims are bounded by
//! the deliveries being forwarded (each holds its claim until it settles), and must not push
//! accepted ids out. An accepted id pushed out for room before its TTL is reported through
//! `on_evict`: the replay window is shrinking, so it is a metric.

mod shard;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use sha2::{Digest as _, Sha256};

use super::{Claim, ClaimToken, DedupKey, Ttls};
use shard::{Accepted, Claimed, Gone, Shard};

/// An id as the store knows it (see the module docs).
pub(crate) type Digest = [u64; 2];

/// The digest of a route's id.
fn digest(key: &DedupKey) -> Digest {
    let mut h = Sha256::new();
    h.update(key.route.as_bytes());
    // Route names have no NUL: `a` + `\0bc` and `a\0b` + `c` cannot meet.
    h.update([0]);
    h.update(key.id.as_bytes());
    let out = h.finalize();
    let half = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&out[i..i + 8]);
        u64::from_le_bytes(b)
    };
    [half(0), half(8)]
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read it: {0}")]
    Io(std::io::Error),
    #[error("it is corrupt ({0})")]
    Corrupt(&'static str),
}

/// Called with the route of each accepted id pushed out for room before its TTL.
pub type EvictionHook = Arc<dyn Fn(&str) + Send + Sync>;

/// The routes the store has seen, by index (an accepted id keeps 2 bytes, not a name), with
/// their entry counts. Append-only, swapped whole when a route is added (readers never lock);
/// the counters are shared between versions, so counts carry across reloads. A route only a
/// request named (no config announced it) has an index but no count: counts are exported per
/// configured route only.
#[derive(Default, Clone)]
struct Routes {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u16>,
    counts: Vec<Option<Arc<AtomicI64>>>,
}

impl Routes {
    fn add(&mut self, route: &Arc<str>, counted: bool) {
        match self.index.get(route).copied() {
            Some(i) if counted => {
                if let Some(c) = self.counts.get_mut(usize::from(i)) {
                    c.get_or_insert_with(|| Arc::new(AtomicI64::new(0)));
                }
            }
            Some(_) => {}
            None if self.names.len() < MAX_ROUTES => {
                let i = u16::try_from(self.names.len()).unwrap_or(u16::MAX);
                self.names.push(route.clone());
                self.index.insert(route.clone(), i);
                self.counts
                    .push(counted.then(|| Arc::new(AtomicI64::new(0))));
            }
            None => {}
        }
    }

    fn count(&self, route: u16) -> Option<&AtomicI64> {
        self.counts.get(usize::from(route))?.as_deref()
    }
}

/// The store's clock unit: an accepted id is remembered to within this (a `u32` of them lasts
/// 13 years of uptime).
const TICK_MS: u64 = 100;

/// `d` in ticks, rounded up (a TTL is never shortened).
fn ticks(d: std::time::Duration) -> u32 {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    u32::try_from(ms.div_ceil(TICK_MS)).unwrap_or(u32::MAX)
}

/// Room for this many routes: far more than a config has.
const MAX_ROUTES: usize = u16::MAX as usize;

/// On x86 the adjacent-line prefetcher pulls cache lines in pairs: without the padding, locking
/// one shard would slow down its neighbours' lockers.
#[repr(align(128))]
struct Padded(Mutex<Shard>);

struct Inner {
    shards: Box<[Padded]>,
    /// Picks a digest's shard.
    hasher: RandomState,
    routes: ArcSwap<Routes>,
    ttls: Ttls,
    on_evict: EvictionHook,
    /// The store's clock starts here: accepted ids are timed in ticks since (`TICK_MS`).
    epoch: Instant,
}

#[derive(Clone)]
pub struct MemoryStore(Arc<Inner>);

/// How many shards hold the ids: enough that requests for different ids rarely wait for each
/// other, and few enough that each holds a few thousand accepted ids, so leaving in
/// acceptance order within a shard is leaving in that order overall to within a shard's share;
/// a small store is one shard, one exact order.
fn shard_count(max_entries: u64) -> usize {
    const IDS_PER_SHARD_AT_LEAST: u64 = 2048;
    const MAX_SHARDS: u64 = 64;
    let wanted = (max_entries / IDS_PER_SHARD_AT_LEAST).clamp(1, MAX_SHARDS);
    // A power of two, so a shard is picked with a mask.
    let shards = 1u64 << (63 - wanted.leading_zeros());
    usize::try_from(shards).unwrap_or(1)
}

/// A panic while a shard was locked (there is nothing in its critical sections that should)
/// leaves it consistent, as every step there is: keep serving rather than fail every request
/// for a share of the ids.
fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl MemoryStore {
    /// `routes` are the route names whose entry counts are tracked (labels come from config).
    pub fn new(max_entries: u64, ttls: Ttls, routes: &[Arc<str>], on_evict: EvictionHook) -> Self {
        let n = shard_count(max_entries);
        let shards = (0..n)
            .map(|i| {
                // The bound is split exactly: the shards hold max_entries between them.
                let capacity =
                    max_entries / n as u64 + u64::from((i as u64) < max_entries % n as u64);
                Padded(Mutex::new(Shard::new(
                    usize::try_from(capacity).unwrap_or(usize::MAX),
                )))
            })
            .collect();
        let store = Self(Arc::new(Inner {
            shards,
            hasher: RandomState::new(),
            routes: ArcSwap::default(),
            ttls,
            on_evict,
            epoch: Instant::now(),
        }));
        store.track_routes(routes);
        store
    }

    /// `digest`'s shard, locked. Every decision about an id is taken under this lock.
    fn lock(&self, digest: &Digest) -> MutexGuard<'_, Shard> {
        let i = usize::try_from(self.0.hasher.hash_one(digest)).unwrap_or(0);
        lock(&self.0.shards[i & (self.0.shards.len() - 1)].0)
    }

    /// Ticks since the store's epoch, for accepted ids' expiry.
    fn now(&self) -> u32 {
        let ms = u64::try_from(self.0.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        u32::try_from(ms / TICK_MS).unwrap_or(u32::MAX)
    }

    /// The index of `route`, added to the table, uncounted, if new (a route no config named).
    fn route(&self, route: &Arc<str>) -> u16 {
        if let Some(&i) = self.0.routes.load().index.get(route) {
            return i;
        }
        self.0.routes.rcu(|current| {
            let mut next = Routes::clone(current);
            next.add(route, false);
            next
        });
        self.0.routes.load().index.get(route).copied().unwrap_or(0)
    }

    /// What an id leaving a shard does to the counts and the eviction metric.
    fn gone(&self) -> impl FnMut(u16, Gone) + '_ {
        move |route, how| {
            let routes = self.0.routes.load();
            if let Some(c) = routes.count(route) {
                c.fetch_sub(1, Ordering::Relaxed);
            }
            if how == Gone::Evicted {
                if let Some(name) = routes.names.get(usize::from(route)) {
                    (self.0.on_evict)(name);
                }
            }
        }
    }

    fn count(&self, route: u16, delta: i64) {
        if let Some(c) = self.0.routes.load().count(route) {
            c.fetch_add(delta, Ordering::Relaxed);
        }
    }

    pub fn claim(&self, key: DedupKey) -> Claim {
        let now = Instant::now();
        let ttl = self.0.ttls.in_flight;
        let d = digest(&key);
        let route = self.route(&key.route);
        let mut gone = self.gone();
        let mut shard = self.lock(&d);
        shard.expire(self.now(), &mut gone);
        let taken_over = match shard.claimed(&d, now, ttl) {
            Some(true) => return Claim::InFlight,
            // An expired claim taken over: the id stays held, and counted once.
            Some(false) => true,
            // With no live claim, the id is accepted or free: commit moves it from one to the
            // other under this same lock, so it cannot be between the two.
            None if shard.is_done(&d) => return Claim::Done,
            None => false,
        };
        let token = shard.next_token();
        let claimed = Claimed {
            token,
            since: now,
            route,
        };
        shard.set_claim(d, claimed);
        if !taken_over {
            self.count(route, 1);
            shard.grown(now, ttl, &mut gone);
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
        let d = digest(&claim.key);
        let until = self.now().saturating_add(ticks(self.0.ttls.done));
        let mut gone = self.gone();
        let mut shard = self.lock(&d);
        if shard.token(&d) != Some(claim.token) {
            return;
        }
        let Some(claimed) = shard.unclaim(&d) else {
            return;
        };
        // The count is unchanged: the id moves from the claims to the accepted ids.
        let accepted = Accepted {
            digest: d,
            until,
            route: claimed.route,
        };
        if !shard.accept(accepted, &mut gone) {
            // Already remembered (restored from a snapshot while it was claimed): one entry.
            self.count(claimed.route, -1);
        }
    }

    /// Forgets the delivery, if this claim still owns it, so a retry is forwarded.
    pub fn release(&self, claim: &ClaimToken) {
        let d = digest(&claim.key);
        let mut shard = self.lock(&d);
        if shard.token(&d) == Some(claim.token) {
            if let Some(c) = shard.unclaim(&d) {
                self.count(c.route, -1);
            }
        }
    }

    /// Starts counting entries for routes a reload added. Counters of routes it removed are
    /// kept: their entries stay in the store until they expire (a route added back finds
    /// them), and the count must still go down when they do. Only configured routes are
    /// exported, so this never adds a metric series.
    pub fn track_routes(&self, routes: &[Arc<str>]) {
        self.0.routes.rcu(|current| {
            let mut next = Routes::clone(current);
            for r in routes {
                next.add(r, true);
            }
            next
        });
    }

    /// Ids held for `route`, claimed or accepted (the `hookgate_dedup_entries` gauge).
    pub fn entries(&self, route: &str) -> i64 {
        let routes = self.0.routes.load();
        routes
            .index
            .get(route)
            .and_then(|&i| routes.count(i))
            .map_or(0, |c| c.load(Ordering::Relaxed).max(0))
    }

    /// Forgets the accepted ids whose time is up and the claims whose claimers never settled
    /// them, so the counts read at scrape time are current.
    pub fn housekeeping(&self) {
        let (now, instant) = (self.now(), Instant::now());
        let mut gone = self.gone();
        for shard in &*self.0.shards {
            let mut shard = lock(&shard.0);
            shard.expire(now, &mut gone);
            shard.sweep_claims(instant, self.0.ttls.in_flight, &mut gone);
        }
    }

    /// Writes up to `max` accepted ids, the newest (in-flight claims are not: their forwards
    /// died with the process), to `path`, atomically (a temporary file renamed over it).
    /// Returns how many.
    pub fn save(&self, path: &Path, max: u64) -> std::io::Result<usize> {
        let (now, wall) = (self.now(), now_ms());
        let routes = self.0.routes.load();
        let mut accepted: Vec<Accepted> = Vec::new();
        for shard in &*self.0.shards {
            accepted.extend(lock(&shard.0).accepted().filter(|a| a.until > now));
        }
        // The newest first when there are more than `max`; written oldest first, as they are
        // loaded.
        accepted.sort_by_key(|a| std::cmp::Reverse(a.until));
        accepted.truncate(usize::try_from(max).unwrap_or(usize::MAX));
        accepted.reverse();
        let mut lines = Vec::with_capacity(accepted.len());
        for a in &accepted {
            let Some(route) = routes.names.get(usize::from(a.route)) else {
                continue;
            };
            let until_ms = wall.saturating_add(u64::from(a.until - now) * TICK_MS);
            let digest = format!("{:016x}{:016x}", a.digest[0], a.digest[1]);
            let line = serde_json::json!({ "r": &**route, "d": digest, "u": until_ms });
            lines.push(line.to_string());
        }
        let mut body = format!(
            "{{\"hookgate_dedup_snapshot\":2,\"count\":{}}}\n",
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

    /// Restores accepted ids saved by `save` (this version's digests, or the first version's
    /// ids) that have not expired, for the given routes only, each for its own time left but
    /// never past this store's TTL. Anything wrong with the file (truncated, edited, another
    /// format) rejects it whole.
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
        let checksum = hex::encode(Sha256::digest(body.as_bytes()));
        let sealed: serde_json::Value =
            serde_json::from_str(last).map_err(|_| SnapshotError::Corrupt("no checksum line"))?;
        if sealed["sha256"].as_str() != Some(checksum.as_str()) {
            return Err(SnapshotError::Corrupt("checksum mismatch"));
        }
        let (header, entries) = content
            .split_first()
            .ok_or(SnapshotError::Corrupt("no header"))?;
        let header: serde_json::Value =
            serde_json::from_str(header).map_err(|_| SnapshotError::Corrupt("bad header"))?;
        let version = header["hookgate_dedup_snapshot"].as_u64();
        if !matches!(version, Some(1 | 2)) {
            return Err(SnapshotError::Corrupt("unknown version"));
        }
        let (now, wall) = (self.now(), now_ms());
        let ttl = ticks(self.0.ttls.done);
        let mut parsed = Vec::with_capacity(entries.len());
        for l in entries {
            let v: serde_json::Value =
                serde_json::from_str(l).map_err(|_| SnapshotError::Corrupt("bad entry"))?;
            let (Some(route), Some(until_ms)) = (v["r"].as_str(), v["u"].as_u64()) else {
                return Err(SnapshotError::Corrupt("bad entry"));
            };
            let d = match (v["d"].as_str(), v["i"].as_str()) {
                (Some(hex), None) => {
                    parse_digest(hex).ok_or(SnapshotError::Corrupt("bad entry"))?
                }
                (None, Some(id)) => digest(&DedupKey {
                    route: route.into(),
                    id: id.into(),
                }),
                _ => return Err(SnapshotError::Corrupt("bad entry")),
            };
            parsed.push((route.to_owned(), d, until_ms));
        }
        // In expiry order, so each shard's ids stay in the order they leave in.
        parsed.sort_by_key(|(_, _, until_ms)| *until_ms);
        let routes = self.0.routes.load_full();
        let mut gone = self.gone();
        let mut restored = 0;
        for (route, d, until_ms) in parsed {
            // Routes that no longer exist are dropped; expired ids too.
            let Some(&r) = routes.index.get(route.as_str()) else {
                continue;
            };
            if until_ms <= wall {
                continue;
            }
            let left = u32::try_from((until_ms - wall).div_ceil(TICK_MS)).unwrap_or(u32::MAX);
            let until = now.saturating_add(left.min(ttl));
            // Under the id's lock, like every change: an id claimed meanwhile (a restore
            // normally runs before traffic) is its claimer's to settle.
            let mut shard = self.lock(&d);
            if shard.token(&d).is_some() {
                continue;
            }
            let a = Accepted {
                digest: d,
                until,
                route: r,
            };
            if shard.accept(a, &mut gone) {
                self.count(r, 1);
                restored += 1;
            }
        }
        Ok(restored)
    }
}

/// A digest as `save` writes it: 32 hex digits.
fn parse_digest(hex: &str) -> Option<Digest> {
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let a = u64::from_str_radix(&hex[..16], 16).ok()?;
    let b = u64::from_str_radix(&hex[16..], 16).ok()?;
    Some([a, b])
}

#[cfg(test)]
mod tests;
