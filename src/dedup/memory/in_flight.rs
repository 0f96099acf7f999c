//! The memory store's claims: a sharded map of our own rather than entries in moka.
//!
//! Every delivery claims its id and settles it a moment later, so claims are the store's
//! busiest and shortest-lived entries. In moka each one cost a key lock, a write-log record
//! and, as the table filled and emptied, rehashing: about a tenth of hookgate's CPU under load.
//! Here a claim is one short critical section on one of `SHARDS` mutexes. How a claim and
//! moka's accepted ids are kept consistent is memory.rs's business; this is the map.

use std::borrow::Borrow;
use std::collections::hash_map::{Entry, HashMap, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::dedup::DedupKey;

/// A power of two well above the number of cores that contend, so two requests for different
/// ids rarely wait for each other.
const SHARDS: usize = 64;

/// Claims a shard makes room for at start: together a few thousand concurrent deliveries
/// before any shard grows (and rehashes), for a few kilobytes each.
const SHARD_CAPACITY: usize = 16;

/// A shard sweeps its expired claims when it reaches this many claims, and next at twice what
/// the sweep left: an amortized bound on what lost claimers leave behind, even if nothing calls
/// `housekeeping`.
const SWEEP_AT_LEAST: usize = 256;

/// The claims of all ids, by shard.
pub(super) struct Claims {
    shards: Box<[Padded]>,
    /// Created once per store: hashing a key picks its shard and is its hash in that shard's
    /// map, so a key is hashed once per operation.
    hasher: RandomState,
    /// How long a claim blocks its id if its claimer never settles it.
    pub(super) ttl: Duration,
}

/// On x86 the adjacent-line prefetcher pulls cache lines in pairs: without the padding, locking
/// one shard would slow down its neighbours' lockers.
#[repr(align(128))]
struct Padded(Mutex<Shard>);

pub(super) struct Shard {
    claims: HashMap<Hashed, Claimed, BuildHasherDefault<PassThrough>>,
    /// Tokens need only be unique per id, and an id always lands in the same shard: a counter
    /// per shard, bumped under its lock, spares every claim a shared atomic.
    next_token: u64,
    sweep_at: usize,
}

pub(super) struct Claimed {
    pub(super) token: u64,
    pub(super) since: Instant,
}

impl Claimed {
    /// Whether it still blocks its id. A claim past its TTL belongs to a claimer that never
    /// settled (a bug, a crash): the id's next request may claim it.
    pub(super) fn live(&self, now: Instant, ttl: Duration) -> bool {
        now.saturating_duration_since(self.since) < ttl
    }
}

impl Claims {
    pub(super) fn new(ttl: Duration) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Padded(Mutex::new(Shard {
                    claims: HashMap::with_capacity_and_hasher(SHARD_CAPACITY, Default::default()),
                    next_token: 1,
                    sweep_at: SWEEP_AT_LEAST,
                }))
            })
            .collect();
        Self {
            shards,
            hasher: RandomState::new(),
            ttl,
        }
    }

    /// `key`'s hash and its shard, locked. Every decision about an id is taken under this lock.
    pub(super) fn lock(&self, key: &DedupKey) -> (u64, MutexGuard<'_, Shard>) {
        let hash = self.hasher.hash_one(key);
        // The maps bucket by a hash's low bits and tag entries with its top seven: the shard
        // comes from bits they do not use, so the keys of a shard still spread over its map.
        let index = (hash >> 32) as usize & (SHARDS - 1);
        (hash, lock(&self.shards[index].0))
    }

    /// Removes expired claims from every shard, one shard locked at a time, telling `forget`
    /// about each.
    pub(super) fn sweep(&self, now: Instant, mut forget: impl FnMut(&DedupKey)) {
        for shard in &*self.shards {
            let mut shard = lock(&shard.0);
            shard.sweep(now, self.ttl, &mut forget);
            // A burst's worth of room, kept after it: give most of it back, with enough slack
            // that a steady load does not grow and shrink the map at every sweep.
            let keep = (shard.claims.len() * 2).max(SHARD_CAPACITY);
            if shard.claims.capacity() > keep * 4 {
                shard.claims.shrink_to(keep);
            }
        }
    }
}

/// A panic while a shard was locked (there is nothing in its critical sections that should)
/// leaves the map consistent, as every step there is: keep serving rather than fail every
/// request for a sixty-fourth of the ids.
fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shard {
    pub(super) fn next_token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        t
    }

    /// `key`'s slot, for claiming it. `hash` is the one `Claims::lock` returned for it.
    pub(super) fn entry(&mut self, hash: u64, key: DedupKey) -> Entry<'_, Hashed, Claimed> {
        self.claims.entry(Hashed { hash, key })
    }

    /// The token of `key`'s claim, expired or not.
    pub(super) fn token(&self, hash: u64, key: &DedupKey) -> Option<u64> {
        self.claims
            .get(&Borrowed { hash, key } as &dyn Probe)
            .map(|c| c.token)
    }

    pub(super) fn remove(&mut self, hash: u64, key: &DedupKey) -> bool {
        self.claims
            .remove(&Borrowed { hash, key } as &dyn Probe)
            .is_some()
    }

    /// After a new claim: sweeps the shard if it has grown to its threshold.
    pub(super) fn grown(&mut self, now: Instant, ttl: Duration, forget: impl FnMut(&DedupKey)) {
        if self.claims.len() >= self.sweep_at {
            self.sweep(now, ttl, forget);
        }
    }

    fn sweep(&mut self, now: Instant, ttl: Duration, mut forget: impl FnMut(&DedupKey)) {
        self.claims.retain(|k, c| {
            let live = c.live(now, ttl);
            if !live {
                forget(&k.key);
            }
            live
        });
        self.sweep_at = (self.claims.len() * 2).max(SWEEP_AT_LEAST);
    }
}

/// A key with its hash, as the maps store it (moka's accepted ids too: see memory.rs).
#[derive(Clone)]
pub(super) struct Hashed {
    pub(super) hash: u64,
    pub(super) key: DedupKey,
}

/// A borrowed key with its hash: commit and release look their claim up with the key of their
/// token, without cloning it (a key's route is an `Arc` shared by all of the route's requests,
/// and every clone is a write to that one counter).
struct Borrowed<'a> {
    hash: u64,
    key: &'a DedupKey,
}

/// What a map can be probed with. `Hashed` borrows as `dyn Probe`, which `Borrowed` also is:
/// std's maps take a borrowed form of their key, and a key holding a reference is not one
/// unless both go through a trait object.
trait Probe {
    fn hash_code(&self) -> u64;
    fn dedup_key(&self) -> &DedupKey;
}

impl Probe for Hashed {
    fn hash_code(&self) -> u64 {
        self.hash
    }
    fn dedup_key(&self) -> &DedupKey {
        &self.key
    }
}

impl Probe for Borrowed<'_> {
    fn hash_code(&self) -> u64 {
        self.hash
    }
    fn dedup_key(&self) -> &DedupKey {
        self.key
    }
}

impl<'a> Borrow<dyn Probe + 'a> for Hashed {
    fn borrow(&self) -> &(dyn Probe + 'a) {
        self
    }
}

// `Hashed` and `dyn Probe` must hash and compare alike, or lookups would miss.

impl Hash for dyn Probe + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash_code());
    }
}

impl PartialEq for dyn Probe + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.hash_code() == other.hash_code() && self.dedup_key() == other.dedup_key()
    }
}

impl Eq for dyn Probe + '_ {}

impl Hash for Hashed {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for Hashed {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.key == other.key
    }
}

impl Eq for Hashed {}

/// The maps' hasher: keys arrive hashed (by `Claims::hasher`), so it hands the hash on.
#[derive(Default)]
pub(super) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    /// Never called (keys write their hash with `write_u64`); a plain mix rather than a panic
    /// should that change.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
}
