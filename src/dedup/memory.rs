//! The in-process dedup store: a moka cache with bounded entries and per-state TTLs.
//!
//! moka's `entry().or_insert_with` and `and_compute_with` make claim, commit and release
//! atomic per key without a lock of ours. An entry pushed out by the size bound before its TTL
//! is reported through `on_evict`: the replay window is silently shrinking, so it is a metric.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use moka::sync::Cache;
use moka::Expiry;

use super::{Claim, ClaimToken, DedupKey, Ttls};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight(u64),
    Done,
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
            State::Done => self.0.done,
        }
    }
}

/// Above this, the map grows on demand rather than reserving memory at start.
const INITIAL_CAPACITY_CAP: u64 = 1 << 20;

/// Called with the route of each entry evicted for lack of space.
pub type EvictionHook = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Clone)]
pub struct MemoryStore {
    cache: Cache<DedupKey, State>,
    next_token: Arc<AtomicU64>,
    counts: Arc<HashMap<Arc<str>, AtomicI64>>,
}

impl MemoryStore {
    /// `routes` are the route names whose entry counts are tracked (labels come from config).
    pub fn new(max_entries: u64, ttls: Ttls, routes: &[Arc<str>], on_evict: EvictionHook) -> Self {
        let counts: Arc<HashMap<Arc<str>, AtomicI64>> = Arc::new(
            routes
                .iter()
                .map(|r| (r.clone(), AtomicI64::new(0)))
                .collect(),
        );
        let listener_counts = counts.clone();
        // Sized up front: growing the concurrent map while it fills showed up as rehashing on
        // the request path.
        let initial = usize::try_from(max_entries.min(INITIAL_CAPACITY_CAP)).unwrap_or(0);
        let cache = Cache::builder()
            .max_capacity(max_entries)
            .initial_capacity(initial)
            .expire_after(PerStateExpiry(ttls))
            .eviction_listener(move |key: Arc<DedupKey>, _v, cause| {
                // `Replaced` is in flight -> done: the entry stays.
                if cause == RemovalCause::Replaced {
                    return;
                }
                if let Some(c) = listener_counts.get(&key.route) {
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
            if let Some(c) = self.counts.get(&route) {
                c.fetch_add(1, Ordering::Relaxed);
            }
            return Claim::Claimed(ClaimToken {
                key,
                token,
                value: None,
            });
        }
        match entry.into_value() {
            State::Done => Claim::Done,
            State::InFlight(_) => Claim::InFlight,
        }
    }

    /// Marks the delivery accepted, if this claim still owns it (an expired claim re-taken by
    /// another request is not overwritten).
    pub fn commit(&self, claim: &ClaimToken) {
        self.cache
            .entry(claim.key.clone())
            .and_compute_with(|current| match current.map(|e| e.into_value()) {
                Some(State::InFlight(t)) if t == claim.token => Op::Put(State::Done),
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

    pub fn entries(&self, route: &str) -> i64 {
        self.counts
            .get(route)
            .map_or(0, |c| c.load(Ordering::Relaxed).max(0))
    }

    pub fn housekeeping(&self) {
        self.cache.run_pending_tasks();
    }
}

#[cfg(test)]
mod tests;
