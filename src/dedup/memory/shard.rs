//! One shard of the memory store: the claims in progress and the accepted ids whose digests
//! fall in it, under one lock.
//!
//! Accepted ids are a set of digests and a queue in acceptance order. Every id is accepted once
//! and lives the same TTL, so acceptance order is expiry order and recency order: the oldest is
//! always at the front, whether it goes for its age or for want of room, and neither needs a
//! search. Per id that is 16 bytes in the set and 24 in the queue, against ~400 in a general
//! cache with per-entry timers and recency lists (docs/performance.md).

use std::collections::HashMap;
use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::Digest;

/// An accepted id in acceptance order: until when it is remembered, and its route (an index
/// into the store's route table), for the counts and the eviction metric.
#[derive(Debug, Clone, Copy)]
pub(super) struct Accepted {
    pub(super) digest: Digest,
    /// In ticks since the store's epoch (memory.rs), a monotonic clock.
    pub(super) until: u32,
    pub(super) route: u16,
}

/// A claim in progress: the token its claimer settles it with, since when, and its route.
pub(super) struct Claimed {
    pub(super) token: u64,
    pub(super) since: Instant,
    pub(super) route: u16,
}

impl Claimed {
    /// Whether it still blocks its id. A claim past its TTL belongs to a claimer that never
    /// settled (a bug, a crash): the id's next request may claim it.
    pub(super) fn live(&self, now: Instant, ttl: Duration) -> bool {
        now.saturating_duration_since(self.since) < ttl
    }
}

/// A shard sweeps its expired claims when it reaches this many, and next at twice what the
/// sweep left: an amortized bound on what lost claimers leave behind, even if nothing calls
/// `housekeeping`.
const SWEEP_AT_LEAST: usize = 256;

/// What an id leaving the shard is counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gone {
    /// Its TTL passed (an accepted id, or a claim whose claimer never settled).
    Expired,
    /// Pushed out for room before its TTL: the replay window is shrinking.
    Evicted,
}

pub(super) struct Shard {
    claims: HashMap<Digest, Claimed>,
    done: HashSet<Digest>,
    order: VecDeque<Accepted>,
    /// Accepted ids held at most.
    capacity: usize,
    /// Tokens need only be unique per id, and an id always lands in the same shard: a counter
    /// per shard, bumped under its lock, spares every claim a shared atomic.
    next_token: u64,
    sweep_at: usize,
}

/// Room taken at a shard's first accepted id, at most.
const RESERVE_AT_MOST: usize = 1 << 16;

impl Shard {
    /// Empty: the room for accepted ids is taken when the first arrives (`accept`), so an idle
    /// gateway does not hold it.
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            claims: HashMap::new(),
            done: HashSet::new(),
            order: VecDeque::new(),
            capacity,
            next_token: 1,
            sweep_at: SWEEP_AT_LEAST,
        }
    }

    pub(super) fn next_token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        t
    }

    /// Forgets the accepted ids whose time is up (`now`: ticks since the store's epoch),
    /// telling `gone` about each.
    pub(super) fn expire(&mut self, now: u32, gone: &mut impl FnMut(u16, Gone)) {
        while let Some(front) = self.order.front() {
            if front.until > now {
                break;
            }
            let a = *front;
            self.order.pop_front();
            self.done.remove(&a.digest);
            gone(a.route, Gone::Expired);
        }
    }

    pub(super) fn is_done(&self, digest: &Digest) -> bool {
        self.done.contains(digest)
    }

    /// Whether `digest` has a claim, and if so whether it is still live.
    pub(super) fn claimed(&self, digest: &Digest, now: Instant, ttl: Duration) -> Option<bool> {
        self.claims.get(digest).map(|c| c.live(now, ttl))
    }

    pub(super) fn set_claim(&mut self, digest: Digest, c: Claimed) {
        self.claims.insert(digest, c);
    }

    pub(super) fn token(&self, digest: &Digest) -> Option<u64> {
        self.claims.get(digest).map(|c| c.token)
    }

    pub(super) fn unclaim(&mut self, digest: &Digest) -> Option<Claimed> {
        self.claims.remove(digest)
    }

    /// Remembers an accepted id, the oldest going first when the shard is full. Ids come in
    /// acceptance order, so `until` never goes down; an id already remembered stays where it is.
    pub(super) fn accept(&mut self, a: Accepted, gone: &mut impl FnMut(u16, Gone)) -> bool {
        if self.order.capacity() == 0 {
            // All the room at once, up to a bound: a table doubling as the shard fills would
            // cost the claim that triggers it milliseconds (measured: bench/dedup_latency.rs)
            // and leave the old table's pages to the allocator. Past the bound (stores of over
            // four million ids) the tables grow as they fill.
            let reserve = self.capacity.min(RESERVE_AT_MOST);
            self.done.reserve(reserve);
            self.order.reserve(reserve);
        }
        if !self.done.insert(a.digest) {
            return false;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.done.remove(&old.digest);
                gone(old.route, Gone::Evicted);
            }
        }
        self.order.push_back(a);
        true
    }

    /// After a new claim: sweeps the claims if they have grown to their threshold.
    pub(super) fn grown(&mut self, now: Instant, ttl: Duration, gone: &mut impl FnMut(u16, Gone)) {
        if self.claims.len() >= self.sweep_at {
            self.sweep_claims(now, ttl, gone);
        }
    }

    /// Drops the claims past their TTL (their claimers never settled), and gives back room a
    /// burst of claims left.
    pub(super) fn sweep_claims(
        &mut self,
        now: Instant,
        ttl: Duration,
        gone: &mut impl FnMut(u16, Gone),
    ) {
        self.claims.retain(|_, c| {
            let live = c.live(now, ttl);
            if !live {
                gone(c.route, Gone::Expired);
            }
            live
        });
        self.sweep_at = (self.claims.len() * 2).max(SWEEP_AT_LEAST);
        let keep = (self.claims.len() * 2).max(16);
        if self.claims.capacity() > keep * 4 {
            self.claims.shrink_to(keep);
        }
    }

    /// The accepted ids, oldest first.
    pub(super) fn accepted(&self) -> impl Iterator<Item = &Accepted> {
        self.order.iter()
    }
}
