//! Intake rate limits (a route's `rate_limit`): a token bucket per source address, in a table
//! of bounded size.
//!
//! Each bucket is kept as one number, its "theoretical arrival time" (GCRA): the instant at
//! which it would be full again. A request at `now` takes a token when that instant, moved on by
//! one token's interval, is at most `burst` intervals ahead of `now`; otherwise it is refused
//! with the time until it would not be. A bucket whose instant has passed is full, exactly as if
//! it had never been seen: forgetting it loses nothing, which is how idle sources expire.
//!
//! The table holds at most `capacity` sources, in shards under their own locks. A shard that
//! is full first forgets its full buckets; if every source in it is still spending, the
//! sixteenth of them nearest a full bucket are forgotten (each may then send up to `burst` more
//! at once, no more). A flood of distinct addresses therefore never grows the table, never lets
//! everyone in, and never refuses a new source for want of room; a source that has spent its
//! budget stays limited, since the flood's one-request buckets are nearer full than its own.
//!
//! IPv6 sources are keyed by their /64 (a single host usually owns one, and can pick any address
//! in it); IPv4-mapped IPv6 addresses count as their IPv4 address.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// The most sources one route's limiter remembers: a full table is 3.2 MiB (measured, about
/// 50 bytes a source with the hash table's slack; `sizing::RATE_LIMIT_BYTES_PER_ROUTE`).
pub const MAX_SOURCES: usize = 65_536;

/// Shards of the table: requests from different sources rarely wait for the same lock, and a
/// full shard's sweep looks at `MAX_SOURCES / SHARDS` entries.
const SHARDS: usize = 64;

/// A full shard with no full bucket forgets this share of its sources at once.
const EVICT_SHARE: usize = 16;

/// Who a bucket belongs to: an IPv4 address, or the /64 of an IPv6 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    V4(u32),
    V6(u64),
}

impl Source {
    fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(a) => Self::V4(u32::from(a)),
            // The upper 64 bits: the network prefix.
            IpAddr::V6(a) => Self::V6((u128::from(a) >> 64) as u64),
        }
    }
}

/// One route's buckets.
pub struct RateLimiter {
    limit: RateLimit,
    /// Nanoseconds per token.
    interval: u64,
    /// Nanoseconds a full bucket holds: `burst` intervals.
    depth: u64,
    /// Instants are kept as nanoseconds since this one.
    epoch: Instant,
    shards: Box<[Mutex<HashMap<Source, u64>>]>,
    per_shard: usize,
    hasher: RandomState,
}

impl RateLimiter {
    /// A limiter for `limit` remembering at most `capacity` sources (rounded up to a multiple
    /// of the shard count).
    pub fn new(limit: RateLimit, capacity: usize) -> Self {
        let interval = limit.interval_nanos();
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        Self {
            limit,
            interval,
            depth: interval.saturating_mul(u64::from(limit.burst)),
            epoch: Instant::now(),
            // Sized once: a table that grew by doubling would leave its old allocations behind.
            // Untouched pages cost nothing until sources arrive.
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_capacity(per_shard)))
                .collect(),
            per_shard,
            hasher: RandomState::new(),
        }
    }

    /// The limit it enforces (a reload that leaves it alone keeps the limiter and its buckets).
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token from `source`'s bucket at `now`, or says how long until one is there.
    pub fn check(&self, source: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = Source::of(source);
        let t =
            u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        let shard = &self.shards[self.shard_of(key)];
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let known = map.get(&key).copied();
        let next = known.unwrap_or(0).max(t).saturating_add(self.interval);
        // `next >= t`: the bucket's instant is never behind `t` once moved on.
        let ahead = next - t;
        if ahead > self.depth {
            return Err(Duration::from_nanos(ahead - self.depth));
        }
        if known.is_none() && map.len() >= self.per_shard {
            make_room(&mut map, t, self.per_shard);
        }
        map.insert(key, next);
        Ok(())
    }

    /// Sources remembered now (full buckets included until a sweep forgets them).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    fn shard_of(&self, key: Source) -> usize {
        // The table's own hasher is keyed per process: senders cannot aim at one shard.
        (self.hasher.hash_one(key) % SHARDS as u64) as usize
    }
}

/// Frees places in a shard holding `cap` sources: its full buckets go (nothing is lost with
/// them); if none is full, the `cap / EVICT_SHARE` nearest full go together, so that a flood of
/// new addresses pays for one sweep every so many inserts rather than one each.
fn make_room(map: &mut HashMap<Source, u64>, t: u64, cap: usize) {
    map.retain(|_, full_at| *full_at > t);
    if map.len() < cap {
        return;
    }
    let k = (cap / EVICT_SHARE).clamp(1, map.len());
    let mut instants: Vec<u64> = map.values().copied().collect();
    let (_, &mut cut, _) = instants.select_nth_unstable(k - 1);
    // Those nearer full than the k-th all go, then as many at its instant as make k.
    let before = map.len();
    map.retain(|_, full_at| *full_at >= cut);
    let mut ties = k - (before - map.len());
    map.retain(|_, full_at| {
        if ties > 0 && *full_at == cut {
            ties -= 1;
            return false;
        }
        true
    });
}

/// Seconds for `Retry-After`: the wait rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RatePer;

    fn limiter(count: f64, per: RatePer, burst: u32, capacity: usize) -> RateLimiter {
        RateLimiter::new(RateLimit { count, per, burst }, capacity)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_full_bucket_gives_burst_then_one_token_per_interval() {
        // 10/s: a token every 100ms; 3 at once.
        let l = limiter(10.0, RatePer::Second, 3, 1024);
        let t0 = l.epoch + Duration::from_secs(5);
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            assert_eq!(l.check(a, t0), Ok(()));
        }
        // Empty: the next token is one interval away.
        assert_eq!(l.check(a, t0), Err(100 * MS));
        assert_eq!(l.check(a, t0 + 40 * MS), Err(60 * MS));
        // A refusal takes nothing: the token still comes at 100ms.
        assert_eq!(l.check(a, t0 + 100 * MS), Ok(()));
        assert_eq!(l.check(a, t0 + 100 * MS), Err(100 * MS));
        // After a quiet spell the bucket is full again, but never fuller than `burst`.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(l.check(a, later), Ok(()));
        }
        assert!(l.check(a, later).is_err());
    }

    #[test]
    fn rates_per_minute_and_hour() {
        let l = limiter(600.0, RatePer::Minute, 1, 1024);
        let t0 = l.epoch;
        let a = ip("192.0.2.1");
        assert_eq!(l.check(a, t0), Ok(()));
        assert_eq!(l.check(a, t0), Err(100 * MS));
        let l = limiter(2.0, RatePer::Hour, 1, 1024);
        let t0 = l.epoch;
        assert_eq!(l.check(a, t0), Ok(()));
        assert_eq!(l.check(a, t0), Err(Duration::from_secs(1800)));
        // Half a token a second: one every 2s.
        let l = limiter(0.5, RatePer::Second, 1, 1024);
        let t0 = l.epoch;
        assert_eq!(l.check(a, t0), Ok(()));
        assert_eq!(l.check(a, t0 + 500 * MS), Err(1500 * MS));
    }

    #[test]
    fn sources_have_their_own_buckets_and_an_ipv6_host_is_its_64() {
        let l = limiter(1.0, RatePer::Second, 1, 1024);
        let t = l.epoch;
        assert_eq!(l.check(ip("192.0.2.1"), t), Ok(()));
        assert!(l.check(ip("192.0.2.1"), t).is_err());
        assert_eq!(l.check(ip("192.0.2.2"), t), Ok(()));
        // An IPv4-mapped address is its IPv4 address.
        assert!(l.check(ip("::ffff:192.0.2.1"), t).is_err());
        // Any address of a /64 is the same source; the next /64 is another.
        assert_eq!(l.check(ip("2001:db8:0:1::1"), t), Ok(()));
        assert!(l.check(ip("2001:db8:0:1:ffff:ffff:ffff:ffff"), t).is_err());
        assert!(l.check(ip("2001:db8:0:1:1234::9"), t).is_err());
        assert_eq!(l.check(ip("2001:db8:0:2::1"), t), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_nanos(1)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }

    #[test]
    fn a_flood_of_distinct_addresses_stays_within_the_cap() {
        let cap = 4096;
        let l = limiter(1.0, RatePer::Second, 5, cap);
        let t = l.epoch + Duration::from_secs(1);
        // A noisy source spends its whole burst first.
        let noisy = ip("198.51.100.7");
        for _ in 0..5 {
            assert_eq!(l.check(noisy, t), Ok(()));
        }
        // 100k distinct sources at the same instant, each spending one token: none is full
        // again, so every insert into a full shard must evict.
        for i in 0..100_000u32 {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(
                l.check(a, t),
                Ok(()),
                "a new source is never refused for room"
            );
            assert!(l.len() <= cap.div_ceil(SHARDS) * SHARDS);
        }
        assert!(l.len() <= cap.div_ceil(SHARDS) * SHARDS);
        // The evicted were those nearest full: the noisy source is still limited.
        assert!(l.check(noisy, t).is_err());
        // IPv6 too, a /64 each.
        for i in 0..100_000u64 {
            let a = IpAddr::V6(std::net::Ipv6Addr::from(
                (0x2001_0db8_0000_0000_u128 + u128::from(i)) << 64,
            ));
            l.check(a, t).unwrap();
        }
        assert!(l.len() <= cap.div_ceil(SHARDS) * SHARDS);
    }

    #[test]
    fn idle_sources_are_forgotten_when_room_is_needed() {
        // One place a shard.
        let l = limiter(1.0, RatePer::Second, 1, SHARDS);
        let t = l.epoch;
        for i in 0..1000u32 {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(i));
            l.check(a, t).unwrap();
        }
        assert!(l.len() <= SHARDS);
        // A second later every bucket is full again: a newcomer's sweep drops them all.
        let later = t + Duration::from_secs(2);
        for i in 5000..5064u32 {
            l.check(IpAddr::V4(std::net::Ipv4Addr::from(i)), later)
                .unwrap();
        }
        assert!(l.len() <= SHARDS);
    }
}
