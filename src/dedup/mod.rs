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

use http::HeaderName;
use sha2::{Digest, Sha256};

pub use memory::{MemoryStore, SnapshotError};
pub use redis::RedisStore;

use crate::verify::{Message, Scalar, Verified};

/// Ids longer than this are stored as their SHA-256, bounding memory per entry whatever a
/// sender puts in its id.
const MAX_KEY_LEN: usize = 128;

/// Where a route's delivery id comes from. Sources are tried in order; the first that yields a
/// value wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupKeySpec {
    pub sources: Vec<KeySource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The id the scheme itself reads (and, when its payload has `{id}`, signs).
    SchemeId,
    /// A request header. Unless the scheme signs it, anyone replaying a captured delivery can
    /// change it: `hookgate check` warns.
    Header(HeaderName),
    /// A JSON pointer into the (signed) body.
    Json(String),
    /// The SHA-256 of the body: always signed, identical across a sender's retries.
    BodySha256,
    /// For form posts, the SHA-256 of the decoded, sorted parameters, which is what Twilio
    /// signs: a replay re-encoding or reordering the form keeps its key. Other bodies: as
    /// `BodySha256`.
    SignedFormSha256,
}

impl std::fmt::Display for DedupKeySpec {
    /// `json /id, else body_sha256`: how `hookgate check` shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.sources.iter().enumerate() {
            if i > 0 {
                f.write_str(", else ")?;
            }
            match s {
                KeySource::SchemeId => f.write_str("signed id")?,
                KeySource::Header(h) => write!(f, "header {h} (unsigned)")?,
                KeySource::Json(p) => write!(f, "json {p}")?,
                KeySource::BodySha256 => f.write_str("body_sha256")?,
                KeySource::SignedFormSha256 => f.write_str("signed form parameters' sha256")?,
            }
        }
        Ok(())
    }
}

impl DedupKeySpec {
    /// The delivery id of a verified message, if any source yields one.
    pub fn extract(&self, msg: &Message<'_>, verified: &Verified) -> Option<String> {
        let id = self.sources.iter().find_map(|source| match source {
            KeySource::SchemeId => verified.id.clone(),
            KeySource::Header(name) => msg
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            // An empty string is no id (a number's text never is empty).
            KeySource::Json(ptr) => msg
                .json_scalar(ptr)
                .map(Scalar::into_text)
                .filter(|id| !id.is_empty()),
            KeySource::BodySha256 => {
                Some(format!("sha256:{}", hex::encode(Sha256::digest(msg.body))))
            }
            KeySource::SignedFormSha256 => {
                let form = msg
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
                Some(if form {
                    let signed = crate::verify::canonical_form(msg.body);
                    format!("form-sha256:{}", hex::encode(Sha256::digest(signed)))
                } else {
                    format!("sha256:{}", hex::encode(Sha256::digest(msg.body)))
                })
            }
        })?;
        if id.len() > MAX_KEY_LEN {
            return Some(format!(
                "sha256:{}",
                hex::encode(Sha256::digest(id.as_bytes()))
            ));
        }
        Some(id)
    }
}

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

#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error("dedup store unavailable: {0}")]
    Unavailable(String),
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
