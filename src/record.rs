//! The one recorder: an outcome becomes a metric and a log line together (and, for a refused
//! request, a `/debug/rejections` record), so they always agree. Requests, connections that
//! failed before a request was read, and dedup claims that could not be settled after the app
//! answered all go through here.
//!
//! Levels: deliveries and duplicates at info; upstream failures and unsettled claims at warn;
//! incidents that come once per request while they last (hookgate over capacity, the dedup
//! store unreachable) at warn at most `INCIDENT_WARNINGS_PER_SECOND` times a second each, the
//! rest at debug with the next warning counting them; sender faults at debug (counted in the
//! metrics: one broken sender must not flood the logs).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::HeaderValue;
use http::StatusCode;
use sha2::Digest as _;

use crate::clock::Clock;
use crate::config::{Mode, Route};
use crate::dedup::{DedupError, Settle};
use crate::diagnostics::{self, Rejection, Rejections};
use crate::logging::Throttle;
use crate::metrics::{Metrics, RouteMetrics, NO_ROUTE};
use crate::outcome::{error_chain, Outcome};
use crate::server::Refusal;
use crate::verify::Trace;

/// The target of every line written here: where requests are decided, and what a log filter
/// names to see them (`hookgate::gate=debug` shows the refused ones).
const TARGET: &str = "hookgate::gate";

/// Per second, for each kind of per-request incident warning; the rest go out at debug.
const INCIDENT_WARNINGS_PER_SECOND: u32 = 5;

/// What the log line says besides the outcome, noted by the gate as a request goes.
#[derive(Default)]
pub struct Notes {
    pub route: Option<Arc<Route>>,
    pub event_id: Option<String>,
    pub secret: Option<Arc<str>>,
    /// Why, for the operator: a cause chain or a verification detail. Never a secret.
    pub detail: Option<String>,
    /// Observe mode: the verdict enforcing would have given, when it was not a pass.
    pub verdict: Option<Outcome>,
    /// For a rejection's record: what was received (metadata only, see diagnostics.rs).
    pub method: Option<http::Method>,
    /// Set only when no route matched (otherwise the route's own path is the request's).
    pub path: Option<String>,
    pub content_type: Option<HeaderValue>,
    pub body: Option<Bytes>,
    pub trace: Option<Trace>,
    /// Logged only for failures before a request was read (nothing else names the sender).
    pub peer: Option<SocketAddr>,
    /// A queued delivery's id in the queue.
    pub delivery_id: Option<u64>,
}

/// Writes outcomes down. Shared by every worker.
pub struct Recorder {
    pub metrics: Metrics,
    clock: Clock,
    /// The last rejections, for `/debug/rejections`.
    pub rejections: Rejections,
    /// Series for paths no route serves, and for connections that failed before a request.
    unrouted: Arc<RouteMetrics>,
    overload_warnings: Throttle,
    dedup_warnings: Throttle,
    refusal_warnings: Throttle,
}

/// A line's level.
enum Level {
    Info,
    Warn,
    Debug,
}

impl Recorder {
    pub fn new(metrics: Metrics, clock: Clock, recent_rejections: usize) -> Self {
        let incidents = || Throttle::new(INCIDENT_WARNINGS_PER_SECOND, Duration::from_secs(1));
        Self {
            unrouted: Arc::new(metrics.for_route(NO_ROUTE, &[])),
            metrics,
            clock,
            rejections: Rejections::new(recent_rejections),
            overload_warnings: incidents(),
            dedup_warnings: incidents(),
            refusal_warnings: incidents(),
        }
    }

    /// The series of requests that matched no route.
    pub fn unrouted(&self) -> &Arc<RouteMetrics> {
        &self.unrouted
    }

    /// A request's end: its metric, its log line and, when it was refused (or, in observe mode,
    /// failed verification), its `/debug/rejections` record. `series`: its route's.
    pub fn request(
        &self,
        series: &RouteMetrics,
        notes: &Notes,
        outcome: Outcome,
        status: StatusCode,
        start: Instant,
    ) {
        let elapsed = start.elapsed();
        series.record(outcome, elapsed.as_secs_f64());
        let observe = notes
            .route
            .as_ref()
            .is_some_and(|r| r.mode == Mode::Observe);
        let rejection = (!matches!(
            outcome,
            Outcome::Forwarded
                | Outcome::Duplicate
                | Outcome::Handshake
                | Outcome::Queued
                | Outcome::Filtered
        ))
        .then(|| self.rejection(notes, outcome, status, observe));
        let level = match outcome {
            Outcome::Forwarded | Outcome::Duplicate | Outcome::Queued => (Level::Info, None),
            Outcome::UpstreamUnavailable | Outcome::UpstreamTimeout => (Level::Warn, None),
            Outcome::Overloaded
            | Outcome::QueueFull
            | Outcome::QueueUnavailable
            | Outcome::KeyUnavailable
            | Outcome::AllowlistUnavailable => throttled(&self.overload_warnings),
            Outcome::DedupUnavailable => throttled(&self.dedup_warnings),
            _ => (Level::Debug, None),
        };
        line(
            level,
            notes,
            outcome,
            status,
            elapsed,
            observe,
            rejection.as_ref(),
        );
        if let Some(r) = rejection {
            self.rejections.push(r);
        }
    }

    /// A connection that ended with an error before a request reached the gate. A malformed
    /// request or headers too slow count (route `none`) and are logged like a refused request;
    /// resets and hang-ups between requests are not requests, only a debug line.
    pub fn connection(&self, e: &hyper::Error, peer: SocketAddr) {
        // Refused as its head was read: recorded then (`head_refused`).
        if crate::server::refused_by_us(e) {
            return;
        }
        let Some(outcome) = Outcome::of_connection(e) else {
            tracing::debug!(target: TARGET, %peer, error = %e, "connection ended with an error");
            return;
        };
        self.before_request(outcome, error_chain(e), peer);
    }

    /// A connection closed while its head was read, by a bound or for its framing.
    pub fn head_refused(&self, why: Refusal<'_>, peer: SocketAddr) {
        match why {
            Refusal::HeadBudget => self.connection_refused("header_budget", peer),
            Refusal::Framing(e) => self.before_request(Outcome::BadRequest, e.to_string(), peer),
        }
    }

    /// A request that failed before it was read: counted under route `none`, logged like a
    /// refused request (with its peer: nothing else names the sender).
    fn before_request(&self, outcome: Outcome, detail: String, peer: SocketAddr) {
        self.unrouted.record(outcome, 0.0);
        let notes = Notes {
            detail: Some(detail),
            peer: Some(peer),
            ..Notes::default()
        };
        let status = outcome.status(StatusCode::BAD_REQUEST);
        line(
            (Level::Debug, None),
            &notes,
            outcome,
            status,
            Duration::ZERO,
            false,
            None,
        );
    }

    /// A connection closed because it passed a bound (`reason`: a label of
    /// `hookgate_connections_refused_total`): counted; logged at warn a few times a second at
    /// most while it lasts (a flood is refused as fast as it comes), the rest at debug.
    pub fn connection_refused(&self, reason: &'static str, peer: SocketAddr) {
        self.metrics
            .connections_refused
            .with_label_values(&[reason])
            .inc();
        match throttled(&self.refusal_warnings) {
            (Level::Warn, suppressed) => tracing::warn!(
                target: TARGET,
                reason,
                %peer,
                suppressed,
                "connection refused: a connection bound is reached"
            ),
            _ => {
                tracing::debug!(target: TARGET, reason, %peer, "connection refused: a connection bound is reached")
            }
        }
    }

    /// A claim the store could not settle after the app answered: counted, and logged with its
    /// event id and what follows for it (it stays in flight until its TTL).
    pub fn unsettled(
        &self,
        series: &RouteMetrics,
        route: &str,
        event_id: &str,
        step: Settle,
        e: &DedupError,
    ) {
        series.unsettled(step);
        let error = error_chain(e);
        match step {
            Settle::Commit => {
                tracing::warn!(target: TARGET, route, event_id, error, "could not mark the delivery done in the dedup store: once its claim expires, a retry of it is forwarded again")
            }
            Settle::Release => {
                tracing::warn!(target: TARGET, route, event_id, error, "could not release the delivery's claim in the dedup store: its retries get 409 until the claim expires")
            }
        }
    }

    /// The store is unreachable and the route forwards anyway (`on_unavailable: forward`):
    /// the request's own line says so too; this warning is throttled like the 503s it replaces.
    pub fn forwarding_without_dedup(&self, route: &str, e: &DedupError) {
        if let (Level::Warn, suppressed) = throttled(&self.dedup_warnings) {
            let error = error_chain(e);
            tracing::warn!(
                target: TARGET,
                route,
                error,
                suppressed,
                "dedup store unavailable; forwarding without dedup"
            );
        }
    }

    /// The diagnostic record of a rejection: metadata only (see diagnostics.rs).
    fn rejection(
        &self,
        notes: &Notes,
        outcome: Outcome,
        status: StatusCode,
        observe: bool,
    ) -> Rejection {
        let route = notes.route.as_ref();
        let keys = route.map_or(&[][..], |r| &r.keys[..]);
        let trace = notes.trace.clone().unwrap_or_default();
        Rejection {
            time: (self.clock)(),
            route: route.map_or_else(|| NO_ROUTE.into(), |r| r.name.clone()),
            method: notes
                .method
                .as_ref()
                .map(diagnostics::method)
                .unwrap_or_default(),
            path: match (route, &notes.path) {
                (Some(r), _) => r.path.clone(),
                (None, Some(p)) => p.clone(),
                (None, None) => String::new(),
            },
            status: status.as_u16(),
            outcome,
            observe,
            message: notes.detail.clone().unwrap_or_default(),
            body_len: notes.body.as_ref().map(Bytes::len),
            body_sha256: notes
                .body
                .as_ref()
                .map(|b| hex::encode(sha2::Sha256::digest(b))),
            content_type: diagnostics::content_type(notes.content_type.as_ref()),
            secrets_tried: keys
                .iter()
                .take(trace.keys_tried)
                .map(|k| k.id.clone())
                .collect(),
            secret_matched: trace
                .matched
                .and_then(|i| keys.get(i))
                .map(|k| k.id.clone()),
            skew_seconds: trace.skew_seconds,
        }
    }
}

/// Warn if `throttle` lets this one through (with how many it held back before it), else debug.
fn throttled(throttle: &Throttle) -> (Level, Option<u64>) {
    match throttle.admit(Instant::now()) {
        Some(n) => (Level::Warn, (n > 0).then_some(n)),
        None => (Level::Debug, None),
    }
}

/// The `request` log line: one per outcome, the same fields whatever the level.
fn line(
    (level, suppressed): (Level, Option<u64>),
    notes: &Notes,
    outcome: Outcome,
    status: StatusCode,
    elapsed: Duration,
    observe: bool,
    rejection: Option<&Rejection>,
) {
    let route = notes.route.as_ref().map_or(NO_ROUTE, |r| &r.name);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let event_id = notes.event_id.as_deref();
    let secret = notes.secret.as_deref();
    let detail = notes.detail.as_deref();
    let body_len = rejection.and_then(|r| r.body_len);
    let body_sha256 = rejection.and_then(|r| r.body_sha256.as_deref());
    let content_type = rejection.and_then(|r| r.content_type.as_deref());
    let secrets_tried = rejection.map(|r| r.secrets_tried.join(","));
    let secrets_tried = secrets_tried.as_deref();
    let skew_seconds = rejection.and_then(|r| r.skew_seconds);
    let peer = notes.peer.map(|p| tracing::field::display(ClientAddr(p)));
    let delivery = notes.delivery_id;
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                target: TARGET,
                route,
                outcome = outcome.code(),
                status = status.as_u16(),
                latency_ms,
                event_id,
                delivery,
                secret,
                observe,
                detail,
                body_len,
                body_sha256,
                content_type,
                secrets_tried,
                skew_seconds,
                suppressed,
                peer,
                "request"
            )
        };
    }
    match level {
        Level::Info => line!(info),
        Level::Warn => line!(warn),
        Level::Debug => line!(debug),
    }
}

/// A client address as a request's log line shows it: `ip:port`, or the address alone when
/// no port is known (a client named by `X-Forwarded-For`, which carries none: `:0` would
/// read as a port).
struct ClientAddr(SocketAddr);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.port() {
            0 => self.0.ip().fmt(f),
            _ => self.0.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_without_a_port_is_logged_as_its_address() {
        let shown = |a: &str| ClientAddr(a.parse().unwrap()).to_string();
        assert_eq!(shown("198.51.100.9:0"), "198.51.100.9");
        assert_eq!(shown("[2001:db8::1]:0"), "2001:db8::1");
        assert_eq!(shown("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
