//! The config in force and what is built for it (per-route metric handles, the body budget),
//! swapped as one by a reload; and the gauges read at scrape time.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use super::expiry::{self, Expiries};
use super::Gate;
use crate::allowlist::Lists;
use crate::body::Budget;
use crate::clock::Clock;
use crate::config::{Live, Route};
use crate::keyring::{self, Keyring};
use crate::metrics::{Metrics, RouteMetrics, NO_ROUTE};
use crate::ratelimit::{RateLimiter, MAX_SOURCES};

/// The config in force and the per-route metric handles built for it. Swapped as one, so a
/// request never pairs a route of one config with the handles (`Route::index`) of another.
pub struct Active {
    pub live: Arc<Live>,
    /// Per-route series, by `Route::index`.
    series: Vec<Arc<RouteMetrics>>,
    /// `limits.max_buffered`. Kept across reloads that leave its size alone; a new size starts a
    /// new budget at once, and requests already reading finish on the old one (for a moment
    /// both may be full).
    pub body_budget: Budget,
    /// The fetcher of the routes' published keys (JWK Sets, SNS certificates); `None` when no
    /// route fetches keys, or when it could not be built (those routes then answer 503).
    pub keyring: Option<Keyring>,
    /// Per-route token buckets (`rate_limit`), by `Route::index`; `None` for routes without
    /// one. A reload that leaves a route's limit alone keeps its buckets.
    limiters: Vec<Option<Arc<RateLimiter>>>,
    /// Per-route dated secrets (`not_after`), by `Route::index`.
    expiries: Vec<Expiries>,
    /// The published IP lists the routes' `allow_ips` name, refreshed in the background;
    /// `None` when none is named, or the fetcher could not be built (those routes answer 503
    /// until a copy is had).
    pub lists: Option<Lists>,
}

impl Active {
    /// Handles on every series of the config's routes, created at zero if new; the budget of
    /// `previous` when its size is unchanged.
    pub(super) fn new(
        live: Arc<Live>,
        metrics: &Metrics,
        clock: &Clock,
        previous: Option<&Active>,
    ) -> Self {
        let series = live
            .routes
            .iter()
            .map(|r| {
                let ids = secret_ids(r);
                metrics.init_route(&r.name, &ids);
                Arc::new(metrics.for_route(&r.name, &ids))
            })
            .collect();
        let size = live.limits.max_buffered;
        let body_budget = match previous {
            Some(p) if p.body_budget.size() == size => p.body_budget.clone(),
            _ => Budget::new(size),
        };
        let keyring = match Keyring::build(
            &live.fetch,
            &live.routes,
            clock,
            previous.and_then(|p| p.keyring.as_ref()),
        ) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the key fetcher; routes whose keys are fetched answer 503");
                None
            }
        };
        let limiters = live
            .routes
            .iter()
            .map(|r| {
                let limit = r.rate_limit?;
                let kept = previous.and_then(|p| {
                    let old = p.live.routes.iter().find(|o| o.name == r.name)?;
                    p.limiters.get(old.index)?.clone()
                });
                Some(
                    kept.filter(|l| l.limit() == limit)
                        .unwrap_or_else(|| Arc::new(RateLimiter::new(limit, MAX_SOURCES))),
                )
            })
            .collect();
        let now = clock();
        let expiries = live
            .routes
            .iter()
            .map(|r| {
                for k in &r.keys {
                    if let Some(t) = k.not_after() {
                        metrics
                            .secret_expiry
                            .with_label_values(&[&r.name, &k.id])
                            .set(expiry::unix_seconds(t));
                    }
                }
                let before = previous.and_then(|p| {
                    let old = p.live.routes.iter().find(|o| o.name == r.name)?;
                    p.expiries.get(old.index)
                });
                Expiries::new(r, now, before)
            })
            .collect();
        let specs = live
            .routes
            .iter()
            .filter_map(|r| r.allow_ips.as_ref())
            .flat_map(|a| a.lists.iter());
        let lists = match Lists::build(
            &live.fetch,
            specs,
            clock,
            previous.and_then(|p| p.lists.as_ref()),
        ) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the allowlist fetcher; routes naming published lists answer 503");
                None
            }
        };
        Self {
            live,
            series,
            body_budget,
            keyring,
            limiters,
            expiries,
            lists,
        }
    }

    /// The token buckets of `route` (a route of this config), if it has a `rate_limit`.
    pub fn limiter(&self, route: &Route) -> Option<&RateLimiter> {
        self.limiters.get(route.index)?.as_deref()
    }

    /// The dated secrets of `route`, a route of this config.
    pub fn expiries(&self, route: &Route) -> Option<&Expiries> {
        self.expiries.get(route.index)
    }

    /// The series of `route`, a route of this config (its index is into this table), or
    /// `unrouted` for a request no route served.
    pub fn series<'a>(
        &'a self,
        route: Option<&Arc<Route>>,
        unrouted: &'a Arc<RouteMetrics>,
    ) -> &'a Arc<RouteMetrics> {
        route
            .and_then(|r| self.series.get(r.index))
            .unwrap_or(unrouted)
    }
}

impl Gate {
    /// The config in force.
    pub fn live(&self) -> Arc<Live> {
        self.active.load().live.clone()
    }

    /// Puts `live` in force for requests that start from now on; those in progress finish on
    /// the one they started with. Metric series follow the new route table: new routes and
    /// secrets appear at zero, those removed are no longer exported.
    pub fn install(&self, live: Arc<Live>) {
        let _one_at_a_time = self
            .installing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let metrics = &self.recorder.metrics;
        let next = Active::new(
            live.clone(),
            metrics,
            &self.clock,
            Some(&self.active.load()),
        );
        let names: Vec<Arc<str>> = live.routes.iter().map(|r| r.name.clone()).collect();
        self.store.track_routes(&names);
        self.recorder
            .rejections
            .set_capacity(live.diagnostics.recent_rejections);
        let previous = self.active.swap(Arc::new(next));
        for old in &previous.live.routes {
            let ids = secret_ids(old);
            match live.routes.iter().find(|r| r.name == old.name) {
                // A route named like the unrouted label shares its series: keep them.
                None if &*old.name == NO_ROUTE => {}
                None => metrics.forget_route(&old.name, &ids),
                Some(new) => {
                    let kept = secret_ids(new);
                    for id in ids {
                        if !kept.contains(&id) {
                            metrics.forget_secret(&old.name, id);
                        }
                    }
                }
            }
        }
        // Series a route keeps but whose setting a reload took away.
        for route in &live.routes {
            if route.rate_limit.is_none() {
                let _ = metrics
                    .rate_limit_sources
                    .remove_label_values(&[&route.name]);
            }
            for k in route.keys.iter().filter(|k| k.not_after().is_none()) {
                let _ = metrics
                    .secret_expiry
                    .remove_label_values(&[&route.name, &k.id]);
            }
        }
    }

    /// Brings gauges up to date before a scrape.
    pub async fn refresh_gauges(&self) {
        let metrics = &self.recorder.metrics;
        let active = self.active.load();
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        metrics.buffered_bytes.set(gauge(active.body_budget.held()));
        metrics.header_bytes.set(gauge(self.heads.held()));
        if let Some(open) = self.connections.get() {
            metrics.open_connections.set(gauge(open.get()));
        }
        // The counter follows the writer's own total; `fetch_max` hands each new byte to one
        // scrape only, however many run at once.
        let lost = crate::logging::dropped_bytes_total();
        let before = self.log_dropped_exported.fetch_max(lost, Ordering::Relaxed);
        metrics
            .log_dropped_bytes
            .inc_by(lost.saturating_sub(before));
        self.store.housekeeping();
        if let Some(queue) = &self.queue {
            for route in &active.live.routes {
                if matches!(route.delivery, crate::config::DeliveryMode::Queued(_)) {
                    queue.init_route(&route.name);
                }
            }
            queue.refresh_gauges().await;
        }
        // Entries are bounded by the caches (64 URLs each); a URL no longer cached drops out.
        metrics.fetch_age.reset();
        metrics.fetch_failing.reset();
        for entry in active.keyring.iter().flat_map(Keyring::entries) {
            if let Some(age) = entry.age {
                metrics
                    .fetch_age
                    .with_label_values(&[&entry.url])
                    .set(age.as_secs_f64());
            }
            metrics
                .fetch_failing
                .with_label_values(&[&entry.url])
                .set(i64::from(entry.last_error.is_some()));
        }
        for list in active.lists.iter().flat_map(Lists::entries) {
            if let Some(age) = list.age {
                metrics
                    .fetch_age
                    .with_label_values(&[&list.url])
                    .set(age.as_secs_f64());
            }
            metrics
                .fetch_failing
                .with_label_values(&[&list.url])
                .set(i64::from(list.failing));
        }
        for route in &active.live.routes {
            if let Some(limiter) = active.limiter(route) {
                metrics
                    .rate_limit_sources
                    .with_label_values(&[&route.name])
                    .set(gauge(limiter.len()));
            }
            if let Some(n) = self.store.entries(&route.name) {
                metrics
                    .dedup_entries
                    .with_label_values(&[&route.name])
                    .set(n);
            }
        }
    }
}

/// The secret labels of a route's metrics: its secrets' ids, or the one label of the keys it
/// fetches (a key set's kids are the sender's to choose: not a label's to hold).
fn secret_ids(route: &Route) -> Vec<&str> {
    if route.fetches_keys() {
        return vec![keyring::label(route)];
    }
    route.keys.iter().map(|k| &*k.id).collect()
}
