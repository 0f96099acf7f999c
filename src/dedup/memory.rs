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
        let cache = Cache::builder()
            .max_capacity(max_entries)
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
            return Claim::Claimed(ClaimToken { key, token });
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
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn key(route: &str, id: &str) -> DedupKey {
        DedupKey {
            route: route.into(),
            id: id.into(),
        }
    }

    fn store(max: u64, evicted: Arc<Mutex<Vec<String>>>) -> MemoryStore {
        let ttls = Ttls {
            done: Duration::from_secs(3600),
            in_flight: Duration::from_secs(60),
        };
        MemoryStore::new(
            max,
            ttls,
            &["a".into(), "b".into()],
            Arc::new(move |r: &str| evicted.lock().unwrap().push(r.to_owned())),
        )
    }

    #[test]
    fn claim_commit_release_cycle() {
        let s = store(100, Arc::default());
        let Claim::Claimed(c1) = s.claim(key("a", "1")) else {
            panic!("first claim must succeed")
        };
        assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
        // Same id on another route is another delivery.
        assert!(matches!(s.claim(key("b", "1")), Claim::Claimed(_)));
        s.release(&c1);
        let Claim::Claimed(c2) = s.claim(key("a", "1")) else {
            panic!("released id must be claimable again")
        };
        // A stale token cannot commit or release the new claim.
        s.commit(&c1);
        assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
        s.commit(&c2);
        assert_eq!(s.claim(key("a", "1")), Claim::Done);
        s.release(&c2);
        assert_eq!(
            s.claim(key("a", "1")),
            Claim::Done,
            "release after commit is a no-op"
        );
        s.housekeeping();
        assert_eq!(s.entries("a"), 1);
        assert_eq!(s.entries("b"), 1);
    }

    #[test]
    fn evictions_are_reported_per_route() {
        let evicted = Arc::new(Mutex::new(Vec::new()));
        let s = store(10, evicted.clone());
        for i in 0..200 {
            if let Claim::Claimed(c) = s.claim(key("a", &i.to_string())) {
                s.commit(&c);
            }
            s.housekeeping();
        }
        s.housekeeping();
        let n = evicted.lock().unwrap().len();
        assert!(
            n >= 150,
            "expected most of 200 entries evicted from a 10-entry store, got {n}"
        );
        assert!(s.entries("a") <= 12, "{}", s.entries("a"));
    }
}
