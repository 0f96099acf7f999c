//! Duplicate suppression as a state machine: claim -> commit | release.
//!
//! A verified request *claims* its (route, id) key, which is then `in flight`. When the
//! upstream answers 2xx the claimer *commits* it (`done`, kept for the TTL); on any other
//! outcome it *releases* it, so the sender's retry is forwarded. Only the claimer (holder of
//! the claim's token) can commit or release. Unverified requests never get here.

mod memory;
mod redis;

use std::sync::Arc;
use std::time::Duration;

pub use memory::{MemoryStore, SnapshotError};
pub use redis::{RedisSettings, RedisStore};

/// A claimed key, proof of ownership for commit and release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken {
    pub(crate) key: DedupKey,
    pub(crate) token: u64,
    /// The value stored for the claim in a shared store (unique across replicas).
    pub(crate) value: Option<String>,
}

/// A delivery id namespaced by route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupKey {
    pub route: Arc<str>,
    pub id: Arc<str>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First sighting: forward it, then commit or release.
    Claimed(ClaimToken),
    /// The upstream already accepted this delivery.
    Done,
    /// Another request for this delivery is being forwarded right now.
    InFlight,
}

/// How a claim is settled once the app has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// The app accepted: the id becomes `done`.
    Commit,
    /// The app did not accept: the id is freed for the sender's retry.
    Release,
}

impl Settle {
    pub const ALL: [Settle; 2] = [Self::Commit, Self::Release];

    /// The `step` label of `hookgate_dedup_unsettled_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Commit => "commit",
            Self::Release => "release",
        }
    }
}

/// Why the store could not answer; each says what it came from.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    /// Redis has not answered once since hookgate started.
    #[error("dedup store unavailable: not connected to redis yet")]
    NotConnected,
    #[error("dedup store unavailable: redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("dedup store unavailable")]
    Redis(#[source] ::redis::RedisError),
    /// The settings cannot make a client (at start).
    #[error("invalid redis settings")]
    Settings(#[source] ::redis::RedisError),
}

/// Lifetimes of the two states.
#[derive(Debug, Clone, Copy)]
pub struct Ttls {
    /// How long a `done` id is remembered: the sender's retry window.
    pub done: Duration,
    /// How long an `in flight` claim lives if nobody commits or releases it: a bound on how
    /// long a lost claimer (a crash, a bug) can block an id. Longer than the upstream timeout.
    pub in_flight: Duration,
}

/// The configured store. An enum rather than a trait object: a closed set of backends, no
/// boxing of futures on the request path.
#[derive(Clone)]
pub enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Store {
    /// The handle worker `index` claims and settles through (see `RedisStore::for_worker`);
    /// the memory store is one table shared by all.
    pub fn for_worker(&self, index: usize) -> Self {
        match self {
            Self::Memory(m) => Self::Memory(m.clone()),
            Self::Redis(r) => Self::Redis(r.for_worker(index)),
        }
    }

    pub async fn claim(&self, key: DedupKey) -> Result<Claim, DedupError> {
        match self {
            Self::Memory(m) => Ok(m.claim(key)),
            Self::Redis(r) => r.claim(key).await,
        }
    }

    pub async fn commit(&self, claim: &ClaimToken) -> Result<(), DedupError> {
        match self {
            Self::Memory(m) => {
                m.commit(claim);
                Ok(())
            }
            Self::Redis(r) => r.commit(claim).await,
        }
    }

    pub async fn release(&self, claim: &ClaimToken) -> Result<(), DedupError> {
        match self {
            Self::Memory(m) => {
                m.release(claim);
                Ok(())
            }
            Self::Redis(r) => r.release(claim).await,
        }
    }

    /// Entries per route, for the `hookgate_dedup_entries` gauge. Redis does not count per
    /// route cheaply, and evicts by its own `maxmemory-policy`; its `INFO keyspace` and memory
    /// metrics are the place to look (`Metrics::new` leaves those series out for it).
    pub fn entries(&self, route: &str) -> Option<i64> {
        match self {
            Self::Memory(m) => Some(m.entries(route)),
            Self::Redis(_) => None,
        }
    }

    /// Tells the store about the routes of a reloaded config (their entry counts).
    pub fn track_routes(&self, routes: &[Arc<str>]) {
        match self {
            Self::Memory(m) => m.track_routes(routes),
            // Keys carry the route name; nothing is counted per route.
            Self::Redis(_) => {}
        }
    }

    /// Whether the store can be used right now (for `/readyz`).
    pub fn healthy(&self) -> bool {
        match self {
            Self::Memory(_) => true,
            Self::Redis(r) => r.healthy(),
        }
    }

    /// Lets the store finish deferred housekeeping (expiry, eviction notifications) so gauges
    /// read at scrape time are current.
    pub fn housekeeping(&self) {
        match self {
            Self::Memory(m) => m.housekeeping(),
            Self::Redis(_) => {}
        }
    }
}
