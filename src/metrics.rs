//! Prometheus collectors on a registry we own (no global default registry: tests and several
//! instances in one process stay independent). Label values come only from config (route and
//! secret ids) and enums (`Outcome`), so cardinality is bounded whatever senders send.

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::dedup::Settle;
use crate::outcome::Outcome;

/// The `reason` label values of `hookgate_connections_refused_total`.
pub const REFUSAL_REASONS: [&str; 5] = [
    "total",
    "per_source",
    "header_budget",
    "untrusted_proxy",
    "proxy_header",
];

/// The route label for requests that matched no route.
pub const NO_ROUTE: &str = "none";

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub request_duration: HistogramVec,
    pub upstream_duration: HistogramVec,
    pub upstream_responses: IntCounterVec,
    pub inflight: IntGauge,
    pub buffered_bytes: IntGauge,
    pub open_connections: IntGauge,
    pub header_bytes: IntGauge,
    pub connections_refused: IntCounterVec,
    pub log_dropped_bytes: IntCounter,
    pub dedup_entries: IntGaugeVec,
    pub dedup_evictions: IntCounterVec,
    pub dedup_unsettled: IntCounterVec,
    pub config_reloads: IntCounterVec,
    pub verified: IntCounterVec,
    pub timestamp_skew: HistogramVec,
    pub build_info: IntGaugeVec,
    /// Documents fetched from senders (JWK Sets, SNS certificates), by URL (without query):
    /// the age of the copy in use, and whether the last fetch failed.
    pub fetch_age: GaugeVec,
    pub fetch_failing: IntGaugeVec,
    /// Route filters that could not be evaluated on a delivery (a field the body lacks): each
    /// counted as no match.
    pub filter_errors: IntCounterVec,
    /// A route secret's `not_after`, unix seconds, for secrets that have one.
    pub secret_expiry: GaugeVec,
    /// Sources a route's rate limiter remembers (at most `ratelimit::MAX_SOURCES`).
    pub rate_limit_sources: IntGaugeVec,
    /// Whether the dedup store counts its entries and evictions (the memory store does; Redis
    /// does not): their series exist only then, absent rather than a misleading 0.
    dedup_series: bool,
}

impl Metrics {
    /// Builds and registers every collector; `dedup_series`: see the field.
    pub fn new(dedup_series: bool) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let latency_buckets = vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            30.0,
        ];
        let m = Self {
            requests: IntCounterVec::new(
                Opts::new("hookgate_requests_total", "Requests by route and outcome."),
                &["route", "outcome"],
            )?,
            request_duration: HistogramVec::new(
                HistogramOpts::new(
                    "hookgate_request_duration_seconds",
                    "Time from request head to answer, by route and outcome.",
                )
                .buckets(latency_buckets.clone()),
                &["route", "outcome"],
            )?,
            upstream_duration: HistogramVec::new(
                HistogramOpts::new(
                    "hookgate_upstream_duration_seconds",
                    "Time the upstream took to answer a forwarded request.",
                )
                .buckets(latency_buckets),
                &["route"],
            )?,
            upstream_responses: IntCounterVec::new(
                Opts::new(
                    "hookgate_upstream_responses_total",
                    "Upstream answers by status class (2xx, 4xx, 5xx...).",
                ),
                &["route", "status_class"],
            )?,
            inflight: IntGauge::new(
                "hookgate_inflight_requests",
                "Requests being handled right now.",
            )?,
            buffered_bytes: IntGauge::new(
                "hookgate_buffered_bytes",
                "Bytes of request bodies held in memory (bounded by limits.max_buffered).",
            )?,
            open_connections: IntGauge::new(
                "hookgate_open_connections",
                "Connections open on the main listener (bounded by limits.max_connections).",
            )?,
            header_bytes: IntGauge::new(
                "hookgate_header_bytes",
                "Bytes of unfinished request heads held (bounded by limits.max_header_bytes).",
            )?,
            connections_refused: IntCounterVec::new(
                Opts::new(
                    "hookgate_connections_refused_total",
                    "Connections closed at accept or while reading a head, by the bound they passed: total (limits.max_connections), per_source (limits.per_source.max_connections), header_budget (limits.max_header_bytes or its per-source share).",
                ),
                &["reason"],
            )?,
            log_dropped_bytes: IntCounter::new(
                "hookgate_log_dropped_bytes_total",
                "Bytes of log lines lost because stderr did not take them (closed, full, stalled).",
            )?,
            dedup_entries: IntGaugeVec::new(
                Opts::new(
                    "hookgate_dedup_entries",
                    "Delivery ids remembered (in flight or done), by route.",
                ),
                &["route"],
            )?,
            fetch_age: GaugeVec::new(
                Opts::new(
                    "hookgate_fetch_document_age_seconds",
                    "Age of the copy in use of a document fetched from a sender (a JWK Set, an SNS certificate), by URL.",
                ),
                &["url"],
            )?,
            fetch_failing: IntGaugeVec::new(
                Opts::new(
                    "hookgate_fetch_failing",
                    "1 while the last fetch of a sender's document failed (the last good copy, if any, is in use), by URL.",
                ),
                &["url"],
            )?,
            filter_errors: IntCounterVec::new(
                Opts::new(
                    "hookgate_filter_errors_total",
                    "Deliveries whose route filter failed to evaluate (a missing field, a type mismatch), counted as no match, by route.",
                ),
                &["route"],
            )?,
            dedup_evictions: IntCounterVec::new(
                Opts::new(
                    "hookgate_dedup_evictions_total",
                    "Ids pushed out of the dedup store before their TTL: the store is too small and the replay window is shrinking.",
                ),
                &["route"],
            )?,
            dedup_unsettled: IntCounterVec::new(
                Opts::new(
                    "hookgate_dedup_unsettled_total",
                    "Claims the dedup store could not settle after the app answered, by step: commit (a retry is forwarded again once the claim expires) or release (retries get 409 until then).",
                ),
                &["route", "step"],
            )?,
            config_reloads: IntCounterVec::new(
                Opts::new("hookgate_config_reloads_total", "Config loads by result."),
                &["result"],
            )?,
            verified: IntCounterVec::new(
                Opts::new(
                    "hookgate_verified_total",
                    "Verified requests by the secret that matched: an old secret at zero can be retired.",
                ),
                &["route", "secret"],
            )?,
            timestamp_skew: HistogramVec::new(
                HistogramOpts::new(
                    "hookgate_timestamp_skew_seconds",
                    "Our clock minus the signed timestamp of verified requests (negative: sender ahead).",
                )
                .buckets(vec![
                    -60.0, -10.0, -1.0, 0.0, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
                ]),
                &["route"],
            )?,
            secret_expiry: GaugeVec::new(
                Opts::new(
                    "hookgate_secret_expiry_timestamp_seconds",
                    "When a route secret stops verifying (its not_after), in unix seconds; only secrets with a date.",
                ),
                &["route", "secret"],
            )?,
            rate_limit_sources: IntGaugeVec::new(
                Opts::new(
                    "hookgate_rate_limit_sources",
                    "Source addresses (IPv6: /64s) a route's rate limit remembers; bounded, idle ones forgotten.",
                ),
                &["route"],
            )?,
            build_info: IntGaugeVec::new(
                Opts::new("hookgate_build_info", "Always 1; the version is in the label."),
                &["version"],
            )?,
            registry,
            dedup_series,
        };
        let r = &m.registry;
        r.register(Box::new(m.requests.clone()))?;
        r.register(Box::new(m.request_duration.clone()))?;
        r.register(Box::new(m.upstream_duration.clone()))?;
        r.register(Box::new(m.upstream_responses.clone()))?;
        r.register(Box::new(m.inflight.clone()))?;
        r.register(Box::new(m.buffered_bytes.clone()))?;
        r.register(Box::new(m.open_connections.clone()))?;
        r.register(Box::new(m.header_bytes.clone()))?;
        r.register(Box::new(m.connections_refused.clone()))?;
        r.register(Box::new(m.log_dropped_bytes.clone()))?;
        r.register(Box::new(m.dedup_entries.clone()))?;
        r.register(Box::new(m.dedup_evictions.clone()))?;
        r.register(Box::new(m.fetch_age.clone()))?;
        r.register(Box::new(m.fetch_failing.clone()))?;
        r.register(Box::new(m.filter_errors.clone()))?;
        r.register(Box::new(m.dedup_unsettled.clone()))?;
        r.register(Box::new(m.config_reloads.clone()))?;
        r.register(Box::new(m.verified.clone()))?;
        r.register(Box::new(m.timestamp_skew.clone()))?;
        r.register(Box::new(m.build_info.clone()))?;
        r.register(Box::new(m.secret_expiry.clone()))?;
        r.register(Box::new(m.rate_limit_sources.clone()))?;
        m.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        for reason in REFUSAL_REASONS {
            m.connections_refused.with_label_values(&[reason]);
        }
        Ok(m)
    }

    /// Creates the series of every configured route at zero, so dashboards and alerts see a 0
    /// rather than no data before the first request (the dedup store's only when it counts
    /// them).
    pub fn init_route(&self, route: &str, secret_ids: &[&str]) {
        for o in Outcome::ALL {
            self.requests.with_label_values(&[route, o.code()]);
        }
        if self.dedup_series {
            self.dedup_entries.with_label_values(&[route]);
            self.dedup_evictions.with_label_values(&[route]);
        }
        for step in Settle::ALL {
            self.dedup_unsettled
                .with_label_values(&[route, step.as_str()]);
        }
        self.filter_errors.with_label_values(&[route]);
        for s in secret_ids {
            self.verified.with_label_values(&[route, s]);
        }
    }

    /// Handles on every series of one route, resolved once: the request path then touches
    /// counters directly instead of hashing label values on each request.
    pub fn for_route(&self, route: &str, secret_ids: &[&str]) -> RouteMetrics {
        let with = |o: Outcome| {
            (
                self.requests.with_label_values(&[route, o.code()]),
                self.request_duration.with_label_values(&[route, o.code()]),
            )
        };
        let (requests, durations) = Outcome::ALL.iter().map(|o| with(*o)).unzip();
        RouteMetrics {
            requests,
            durations,
            upstream_duration: self.upstream_duration.with_label_values(&[route]),
            upstream_responses: STATUS_CLASSES
                .iter()
                .map(|c| self.upstream_responses.with_label_values(&[route, c]))
                .collect(),
            verified: secret_ids
                .iter()
                .map(|s| self.verified.with_label_values(&[route, s]))
                .collect(),
            skew: self.timestamp_skew.with_label_values(&[route]),
            unsettled: Settle::ALL.map(|step| {
                self.dedup_unsettled
                    .with_label_values(&[route, step.as_str()])
            }),
        }
    }

    /// Drops every series of a route that a reload removed, so the exported series follow
    /// the config in force (label cardinality stays bounded by it, however many reloads). A
    /// request still finishing on the old config counts into handles no longer exported.
    pub fn forget_route(&self, route: &str, secret_ids: &[&str]) {
        // `remove_label_values` fails only for a series that does not exist: nothing to do.
        for o in Outcome::ALL {
            let _ = self.requests.remove_label_values(&[route, o.code()]);
            let _ = self
                .request_duration
                .remove_label_values(&[route, o.code()]);
        }
        for c in STATUS_CLASSES {
            let _ = self.upstream_responses.remove_label_values(&[route, c]);
        }
        let _ = self.upstream_duration.remove_label_values(&[route]);
        let _ = self.dedup_entries.remove_label_values(&[route]);
        let _ = self.dedup_evictions.remove_label_values(&[route]);
        for step in Settle::ALL {
            let _ = self
                .dedup_unsettled
                .remove_label_values(&[route, step.as_str()]);
        }
        let _ = self.timestamp_skew.remove_label_values(&[route]);
        let _ = self.filter_errors.remove_label_values(&[route]);
        let _ = self.rate_limit_sources.remove_label_values(&[route]);
        for s in secret_ids {
            self.forget_secret(route, s);
        }
    }

    /// Drops the `hookgate_verified_total` series of a secret a reload took off a route.
    pub fn forget_secret(&self, route: &str, secret_id: &str) {
        let _ = self.verified.remove_label_values(&[route, secret_id]);
        let _ = self.secret_expiry.remove_label_values(&[route, secret_id]);
    }

    /// Registers a collector of another part's (the queue's) on this registry.
    pub fn register(
        &self,
        c: Box<dyn prometheus::core::Collector>,
    ) -> Result<(), prometheus::Error> {
        self.registry.register(c)
    }

    /// The text exposition format.
    pub fn encode(&self) -> Result<Vec<u8>, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        Ok(buf)
    }
}

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Index into `STATUS_CLASSES` for a status code.
fn status_class_index(status: http::StatusCode) -> usize {
    match status.as_u16() {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    }
}

/// One route's series (see `Metrics::for_route`).
pub struct RouteMetrics {
    requests: Vec<IntCounter>,
    durations: Vec<Histogram>,
    pub upstream_duration: Histogram,
    upstream_responses: Vec<IntCounter>,
    /// By key index, in the route's secret order.
    verified: Vec<IntCounter>,
    pub skew: Histogram,
    /// By `Settle::ALL` order.
    unsettled: [IntCounter; 2],
}

impl RouteMetrics {
    pub fn record(&self, outcome: Outcome, seconds: f64) {
        let i = outcome.index();
        self.requests[i].inc();
        self.durations[i].observe(seconds);
    }

    pub fn upstream_response(&self, status: http::StatusCode) {
        self.upstream_responses[status_class_index(status)].inc();
    }

    pub fn unsettled(&self, step: Settle) {
        self.unsettled[step as usize].inc();
    }

    pub fn verified(&self, key_index: usize) {
        if let Some(c) = self.verified.get(key_index) {
            c.inc();
        }
    }
}
