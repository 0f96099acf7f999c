//! Secrets that expire (a route secret's `not_after`): what is said about them, and when.
//! Verification itself skips a key past its date (`Key::usable_at`, with the `now` it is
//! handed); this only tells the operator, once per secret: at load for a secret already past
//! its date (or due within `SOON`), and on the first request after a date passes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::Route;

/// How far ahead a load warns of a date (as `hookgate check` lists them).
pub const SOON: Duration = Duration::from_secs(7 * 24 * 3600);

/// Nothing left to warn about.
const NEVER: u64 = u64::MAX;

/// One route's dated secrets and whether each one's passing was already said.
pub struct Expiries {
    /// (key index, `not_after`, warned).
    dated: Box<[(usize, SystemTime, AtomicBool)]>,
    /// Unix nanoseconds of the earliest date not yet warned about (`NEVER`: none), so a
    /// request on a route with nothing due costs one load and a compare.
    next: AtomicU64,
}

impl Expiries {
    /// The route's dated secrets at `now` (a load): those past their date are warned about
    /// now, those due within `SOON` announced.
    pub fn new(route: &Route, now: SystemTime) -> Self {
        let dated: Box<[_]> = route
            .keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| k.not_after().map(|t| (i, t, AtomicBool::new(false))))
            .collect();
        for (i, t, warned) in &dated {
            let id = route.keys.get(*i).map_or("", |k| &*k.id);
            if now > *t {
                warned.store(true, Ordering::Relaxed);
                tracing::warn!(
                    route = %route.name,
                    secret = id,
                    not_after = %rfc3339(*t),
                    "a secret is past its not_after: it verifies nothing; remove it from the route"
                );
            } else if t.duration_since(now).unwrap_or_default() <= SOON {
                tracing::warn!(
                    route = %route.name,
                    secret = id,
                    not_after = %rfc3339(*t),
                    "a secret expires within a week: requests signed only with it are refused from then (hookgate_verified_total shows whether senders still use it)"
                );
            }
        }
        let e = Self {
            dated,
            next: AtomicU64::new(NEVER),
        };
        e.next.store(e.earliest_unwarned(), Ordering::Relaxed);
        e
    }

    /// On a request at `now`: a secret whose date has passed since the last look is warned
    /// about, once (whichever request first sees it does).
    pub fn check(&self, route: &Route, now: SystemTime) {
        if unix_nanos(now) <= self.next.load(Ordering::Relaxed) {
            return;
        }
        for (i, t, warned) in &self.dated {
            if now > *t && !warned.swap(true, Ordering::Relaxed) {
                let id = route.keys.get(*i).map_or("", |k| &*k.id);
                tracing::warn!(
                    route = %route.name,
                    secret = id,
                    not_after = %rfc3339(*t),
                    "a secret reached its not_after: it verifies nothing from now on; remove it from the route"
                );
            }
        }
        self.next.store(self.earliest_unwarned(), Ordering::Relaxed);
    }

    fn earliest_unwarned(&self) -> u64 {
        self.dated
            .iter()
            .filter(|(_, _, w)| !w.load(Ordering::Relaxed))
            .map(|(_, t, _)| unix_nanos(*t))
            .min()
            .unwrap_or(NEVER)
    }
}

/// Unix seconds of `t` (negative before 1970), for the expiry gauge.
pub fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(NEVER - 1))
}

/// `t` as RFC 3339 (UTC), for log lines and `check`.
pub fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{:.0} (unix)", unix_seconds(t)))
}
