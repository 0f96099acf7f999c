//! Secrets that expire (a route secret's `not_after`): what is said about them, and when.
//! Verification itself skips a key past its date (`Key::usable_at`, with the `now` it is
//! handed); this only tells the operator, once per secret: at load for a secret already past
//! its date (or due within `SOON`), and on the first request after a date passes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::Route;

/// How far ahead a load warns of a date (as `hookgate check` lists them).
pub const SOON: Duration = Duration::from_secs(7 * 24 * 3600);

/// Nothing left to warn about.
const NEVER: u64 = u64::MAX;

/// One route's dated secrets and whether each one's passing was already said.
pub struct Expiries {
    dated: Box<[Dated]>,
    /// Unix nanoseconds of the earliest date not yet warned about (`NEVER`: none), so a
    /// request on a route with nothing due costs one load and a compare.
    next: AtomicU64,
}

struct Dated {
    id: Arc<str>,
    not_after: SystemTime,
    warned: AtomicBool,
}

impl Expiries {
    /// The route's dated secrets at `now` (a load): those past their date are warned about,
    /// those due within `SOON` announced, unless `previous` (the same route in the config
    /// this one replaces) already had the same secret with the same date: a reload repeats
    /// nothing.
    pub fn new(route: &Route, now: SystemTime, previous: Option<&Expiries>) -> Self {
        let dated: Box<[Dated]> = route
            .keys
            .iter()
            .filter_map(|k| {
                Some(Dated {
                    id: k.id.clone(),
                    not_after: k.not_after()?,
                    warned: AtomicBool::new(false),
                })
            })
            .collect();
        for d in &dated {
            let known = previous.and_then(|p| {
                p.dated
                    .iter()
                    .find(|o| o.id == d.id && o.not_after == d.not_after)
            });
            if let Some(old) = known {
                d.warned
                    .store(old.warned.load(Ordering::Relaxed), Ordering::Relaxed);
                if now <= d.not_after || d.warned.load(Ordering::Relaxed) {
                    continue;
                }
            }
            if now > d.not_after {
                d.warned.store(true, Ordering::Relaxed);
                tracing::warn!(
                    route = %route.name,
                    secret = %d.id,
                    not_after = %rfc3339(d.not_after),
                    "a secret is past its not_after: it verifies nothing; remove it from the route"
                );
            } else if d.not_after.duration_since(now).unwrap_or_default() <= SOON {
                tracing::warn!(
                    route = %route.name,
                    secret = %d.id,
                    not_after = %rfc3339(d.not_after),
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
    /// about, once (whichever request first sees it does). Returns how many were.
    pub fn check(&self, route: &Route, now: SystemTime) -> usize {
        if unix_nanos(now) <= self.next.load(Ordering::Relaxed) {
            return 0;
        }
        let mut warned = 0;
        for d in &self.dated {
            if now > d.not_after && !d.warned.swap(true, Ordering::Relaxed) {
                warned += 1;
                tracing::warn!(
                    route = %route.name,
                    secret = %d.id,
                    not_after = %rfc3339(d.not_after),
                    "a secret reached its not_after: it verifies nothing from now on; remove it from the route"
                );
            }
        }
        self.next.store(self.earliest_unwarned(), Ordering::Relaxed);
        warned
    }

    fn earliest_unwarned(&self) -> u64 {
        self.dated
            .iter()
            .filter(|d| !d.warned.load(Ordering::Relaxed))
            .map(|d| unix_nanos(d.not_after))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// 2030-01-01T00:00:00Z.
    const DATE: u64 = 1_893_456_000;

    fn route(secrets: &str) -> Route {
        let text = format!(
            "upstream: {{ url: http://127.0.0.1:3000 }}\nroutes:\n  - name: r\n    path: /r\n    provider: github\n    secrets: {secrets}\n"
        );
        let mut config = crate::config::parse(
            &text,
            "t.yaml",
            std::path::Path::new("."),
            &|_: &str| Some("s".to_owned()),
            crate::config::Secrets::Load,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Arc::try_unwrap(config.live.routes.remove(0)).unwrap_or_else(|_| panic!("shared"))
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_date_passing_is_warned_once() {
        let r = route(
            "[{ id: new, env: A }, { id: old, env: B, not_after: \"2030-01-01T00:00:00Z\" }]",
        );
        let e = Expiries::new(&r, at(DATE - 100), None);
        assert_eq!(e.check(&r, at(DATE - 1)), 0);
        // Its last instant still verifies.
        assert_eq!(e.check(&r, at(DATE)), 0);
        assert_eq!(e.check(&r, at(DATE + 1)), 1);
        assert_eq!(e.check(&r, at(DATE + 2)), 0);
        assert_eq!(e.next.load(Ordering::Relaxed), NEVER);
    }

    #[test]
    fn a_reload_repeats_nothing_but_a_new_date_is_news() {
        let r = route("[{ id: old, env: B, not_after: \"2030-01-01T00:00:00Z\" }, { id: other, env: A, not_after: \"2031-01-01T00:00:00Z\" }]");
        // Past at load: warned then, not again by a request.
        let first = Expiries::new(&r, at(DATE + 10), None);
        assert_eq!(first.check(&r, at(DATE + 11)), 0);
        // A reload with the same secret and date: already said.
        let again = Expiries::new(&r, at(DATE + 20), Some(&first));
        assert!(again.dated[0].warned.load(Ordering::Relaxed));
        assert_eq!(again.check(&r, at(DATE + 21)), 0);
        // The other one, not yet due, is not marked.
        assert!(!again.dated[1].warned.load(Ordering::Relaxed));
        // A reload that moves the date is a new date: warned again when it passes.
        let moved = route("[{ id: old, env: B, not_after: \"2030-01-01T00:01:00Z\" }]");
        let later = Expiries::new(&moved, at(DATE + 30), Some(&again));
        assert!(!later.dated[0].warned.load(Ordering::Relaxed));
        assert_eq!(later.check(&moved, at(DATE + 61)), 1);
    }
}
