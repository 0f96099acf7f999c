//! What each client address holds at once: open connections, requests in progress, bytes of
//! request bodies and of unfinished request heads. Each has a bound per address, so one sender
//! (or one attacker) cannot take what the others need; the totals have bounds of their own
//! elsewhere (the listener's connection count, the body budget, the head budget).
//!
//! Pure bookkeeping: no I/O, no HTTP. An address has an entry only while it holds something,
//! so the table is bounded by what is held, however many addresses come and go.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Shards of the table: requests from different addresses rarely wait on one lock.
const SHARDS: usize = 16;

/// The kinds of things an address holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connections,
    Requests,
    BodyBytes,
    HeadBytes,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Held {
    connections: usize,
    requests: usize,
    body_bytes: usize,
    head_bytes: usize,
}

impl Held {
    fn of(&mut self, kind: Kind) -> &mut usize {
        match kind {
            Kind::Connections => &mut self.connections,
            Kind::Requests => &mut self.requests,
            Kind::BodyBytes => &mut self.body_bytes,
            Kind::HeadBytes => &mut self.head_bytes,
        }
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The table. Shared by the listener and every worker.
pub struct Sources {
    shards: Box<[Mutex<HashMap<IpAddr, Held>>]>,
    hasher: RandomState,
}

impl Default for Sources {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl Sources {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn shard(&self, ip: IpAddr) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Held>> {
        let i = usize::try_from(self.hasher.hash_one(ip) % SHARDS as u64).unwrap_or(0);
        // A panic under the lock cannot leave a count half-written (each change is one add or
        // one subtract), so a poisoned lock is used as is.
        self.shards[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `n` of `kind` to what `ip` holds unless that would pass `limit`; `false`, and
    /// nothing added, when it would.
    pub fn take(&self, ip: IpAddr, kind: Kind, n: usize, limit: usize) -> bool {
        let mut shard = self.shard(ip);
        let held = shard.entry(ip).or_default();
        let now = held.of(kind);
        let ok = match now.checked_add(n) {
            Some(next) if next <= limit => {
                *now = next;
                true
            }
            _ => false,
        };
        if held.is_empty() {
            shard.remove(&ip);
        }
        ok
    }

    /// Gives back `n` of `kind` that `ip` held.
    pub fn give(&self, ip: IpAddr, kind: Kind, n: usize) {
        let mut shard = self.shard(ip);
        if let Some(held) = shard.get_mut(&ip) {
            let now = held.of(kind);
            *now = now.saturating_sub(n);
            if held.is_empty() {
                shard.remove(&ip);
            }
        }
    }

    /// Addresses holding anything (for tests and a gauge).
    pub fn addresses(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// An amount of one kind held by one address, given back when dropped; it may grow.
pub struct Holding {
    sources: Arc<Sources>,
    ip: IpAddr,
    kind: Kind,
    amount: usize,
}

impl Holding {
    /// `n` of `kind` for `ip` within `limit`, or `None` when that would pass it.
    pub fn take(
        sources: &Arc<Sources>,
        ip: IpAddr,
        kind: Kind,
        n: usize,
        limit: usize,
    ) -> Option<Self> {
        sources.take(ip, kind, n, limit).then(|| Self {
            sources: sources.clone(),
            ip,
            kind,
            amount: n,
        })
    }

    /// Nothing yet of `kind` for `ip`, to `grow`.
    pub fn empty(sources: &Arc<Sources>, ip: IpAddr, kind: Kind) -> Self {
        Self {
            sources: sources.clone(),
            ip,
            kind,
            amount: 0,
        }
    }

    /// Holds `n` more within `limit`; `false`, and nothing more held, when that would pass it.
    pub fn grow(&mut self, n: usize, limit: usize) -> bool {
        let ok = self.sources.take(self.ip, self.kind, n, limit);
        if ok {
            self.amount += n;
        }
        ok
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        if self.amount > 0 {
            self.sources.give(self.ip, self.kind, self.amount);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 3));

    #[test]
    fn each_address_is_bounded_on_its_own() {
        let s = Sources::new();
        let a: Vec<Holding> = (0..3)
            .map(|_| Holding::take(&s, A, Kind::Requests, 1, 3).unwrap())
            .collect();
        assert!(
            Holding::take(&s, A, Kind::Requests, 1, 3).is_none(),
            "A is full"
        );
        let b = Holding::take(&s, B, Kind::Requests, 1, 3);
        assert!(b.is_some(), "B is not A");
        // Other kinds are counted apart.
        assert!(Holding::take(&s, A, Kind::BodyBytes, 100, 100).is_some());
        drop(a);
        assert!(Holding::take(&s, A, Kind::Requests, 3, 3).is_some());
    }

    #[test]
    fn a_holding_grows_within_its_limit_and_gives_everything_back() {
        let s = Sources::new();
        let mut h = Holding::take(&s, A, Kind::BodyBytes, 0, 10).unwrap();
        assert!(h.grow(6, 10));
        assert!(!h.grow(5, 10), "6 + 5 > 10");
        assert!(h.grow(4, 10));
        assert!(
            Holding::take(&s, A, Kind::BodyBytes, 1, 10).is_none(),
            "10 held"
        );
        drop(h);
        assert!(Holding::take(&s, A, Kind::BodyBytes, 10, 10).is_some());
        assert_eq!(s.addresses(), 0, "nothing held, no entry");
    }

    #[test]
    fn entries_live_only_while_something_is_held() {
        let s = Sources::new();
        let held: Vec<Holding> = (0..1000u16)
            .map(|i| {
                let ip = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i));
                Holding::take(&s, ip, Kind::Connections, 1, 1).unwrap()
            })
            .collect();
        assert_eq!(s.addresses(), 1000);
        // A refusal leaves no entry behind.
        let full = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
        assert!(Holding::take(&s, full, Kind::Requests, 2, 1).is_none());
        assert_eq!(s.addresses(), 1000);
        drop(held);
        assert_eq!(s.addresses(), 0);
    }
}
