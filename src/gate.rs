//! The per-request decisions, in the order PRODUCT.md fixes: route, method, capacity, size,
//! signature, timestamp, dedup, forward. One async function, read top to bottom.
//!
//! Every request ends in one `Outcome`, recorded once (metric, log line and, for a rejection,
//! the `/debug/rejections` record together) by `record`, so the three always agree.
//!
//! The config in force can change under live reload (`reload.rs`): each request takes the
//! `Active` config once, when it starts, and finishes on it whatever happens meanwhile.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use sha2::Digest as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::{self, BodyError, Budget};
use crate::config::{Config, Mode, Route};
use crate::dedup::{Claim, ClaimToken, DedupKey, Store};
use crate::diagnostics::{self, Rejection, Rejections};
use crate::error::{error_chain, error_response, HttpResponse, Outcome};
use crate::forward::{ForwardError, ForwardMeta, Upstream};
use crate::handshake;
use crate::logging::Throttle;
use crate::metrics::{Metrics, RouteMetrics, NO_ROUTE};
use crate::verify::{self, Message, Trace, VerifyError};

/// The wall clock, injected so tests can replay signed fixtures at the time they were signed.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

/// Header on answers to duplicates, so a person reading a sender's delivery log sees why
/// the app never got it.
pub const DUPLICATE_HEADER: &str = "hookgate-duplicate";

/// Everything a request needs, shared by all connections.
pub struct Gate {
    /// The dedup store and the upstream pool are built once and survive reloads: a reload
    /// must not forget which deliveries were seen, nor drop warm connections.
    pub store: Store,
    pub upstream: Upstream,
    pub metrics: Metrics,
    pub clock: Clock,
    /// The last rejections, for `/debug/rejections`.
    pub rejections: Rejections,
    /// Sized once at start (`limits.max_concurrency` needs a restart).
    limiter: Arc<Semaphore>,
    max_concurrency: usize,
    active: ArcSwap<Active>,
    /// Series for paths no route serves; the same whatever the config.
    unrouted: Arc<RouteMetrics>,
    /// One reload at a time: series are created and dropped around the swap.
    installing: Mutex<()>,
    /// How much of `logging::dropped_bytes_total` the counter already holds.
    log_dropped_exported: AtomicU64,
    /// Warnings that come once per request while an incident lasts: hookgate over capacity,
    /// the dedup store unreachable.
    overload_warnings: Throttle,
    dedup_warnings: Throttle,
}

/// Per second, for each kind of per-request warning in `Gate`; the rest go out at debug.
const INCIDENT_WARNINGS_PER_SECOND: u32 = 5;

fn incident_throttle() -> Throttle {
    Throttle::new(INCIDENT_WARNINGS_PER_SECOND, Duration::from_secs(1))
}

/// Warn if `throttle` lets this one through (with how many it held back before it), else debug.
fn throttled(throttle: &Throttle) -> (Level, Option<u64>) {
    match throttle.admit(Instant::now()) {
        Some(n) => (Level::Warn, (n > 0).then_some(n)),
        None => (Level::Debug, None),
    }
}

/// A decision line's level.
enum Level {
    Info,
    Warn,
    Debug,
}

/// The config in force and the per-route metric handles built for it. Swapped as one, so a
/// request never pairs a route of one config with the handles (`Route::index`) of another.
pub struct Active {
    pub config: Arc<Config>,
    /// Per-route series, by `Route::index`.
    route_metrics: Vec<Arc<RouteMetrics>>,
    /// `limits.max_buffered`. Kept across reloads that leave its size alone; a new size starts a
    /// new budget at once, and requests already reading finish on the old one (for a moment
    /// both may be full).
    body_budget: Budget,
}

impl Active {
    /// Handles on every series of the config's routes, created at zero if new; the budget of
    /// `previous` when its size is unchanged.
    fn new(config: Arc<Config>, metrics: &Metrics, previous: Option<&Active>) -> Self {
        let route_metrics = config
            .routes
            .iter()
            .map(|r| {
                let ids: Vec<&str> = r.keys.iter().map(|k| &*k.id).collect();
                metrics.init_route(&r.name, &ids);
                Arc::new(metrics.for_route(&r.name, &ids))
            })
            .collect();
        let size = config.limits.max_buffered;
        let body_budget = match previous {
            Some(p) if p.body_budget.size() == size => p.body_budget.clone(),
            _ => Budget::new(size),
        };
        Self {
            body_budget,
            config,
            route_metrics,
        }
    }
}

/// What the log line says besides the outcome.
#[derive(Default)]
struct Notes {
    route: Option<Arc<Route>>,
    event_id: Option<String>,
    secret: Option<Arc<str>>,
    /// Why, for the operator: a cause chain or a verification detail. Never a secret.
    detail: Option<String>,
    /// Observe mode: the verdict enforcing would have given, when it was not a pass.
    verdict: Option<Outcome>,
    /// For a rejection's record: what was received (metadata only, see diagnostics.rs).
    method: Option<http::Method>,
    /// Set only when no route matched (otherwise the route's own path is the request's).
    path: Option<String>,
    content_type: Option<HeaderValue>,
    body: Option<Bytes>,
    trace: Option<Trace>,
}

impl Notes {
    /// A rejection: the answer, with its message kept for the log when nothing more precise
    /// was noted.
    fn reject(
        &mut self,
        outcome: Outcome,
        status: StatusCode,
        message: &str,
    ) -> (Outcome, HttpResponse) {
        if self.detail.is_none() {
            self.detail = Some(message.to_owned());
        }
        reject(outcome, status, message)
    }
}

impl Gate {
    pub fn new(
        config: Arc<Config>,
        store: Store,
        upstream: Upstream,
        metrics: Metrics,
        clock: Clock,
    ) -> Self {
        let max_concurrency = config.limits.max_concurrency;
        let limiter = Arc::new(Semaphore::new(max_concurrency));
        let unrouted = Arc::new(metrics.for_route(NO_ROUTE, &[]));
        let rejections = Rejections::new(config.diagnostics.recent_rejections);
        let active = ArcSwap::from_pointee(Active::new(config, &metrics, None));
        Self {
            store,
            upstream,
            metrics,
            clock,
            rejections,
            limiter,
            max_concurrency,
            active,
            unrouted,
            installing: Mutex::new(()),
            log_dropped_exported: AtomicU64::new(0),
            overload_warnings: incident_throttle(),
            dedup_warnings: incident_throttle(),
        }
    }

    /// The config in force.
    pub fn config(&self) -> Arc<Config> {
        self.active.load().config.clone()
    }

    /// Puts `config` in force for requests that start from now on; those in progress finish
    /// on the one they started with. The caller (live reload) has validated it and kept the
    /// settings that need a restart. Metric series follow the new route table: new routes and
    /// secrets appear at zero, those removed are no longer exported.
    pub fn install(&self, config: Arc<Config>) {
        let _one_at_a_time = self
            .installing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let next = Active::new(config.clone(), &self.metrics, Some(&self.active.load()));
        let names: Vec<Arc<str>> = config.routes.iter().map(|r| r.name.clone()).collect();
        self.store.track_routes(&names);
        self.rejections
            .set_capacity(config.diagnostics.recent_rejections);
        let previous = self.active.swap(Arc::new(next));
        for old in &previous.config.routes {
            let ids: Vec<&str> = old.keys.iter().map(|k| &*k.id).collect();
            match config.routes.iter().find(|r| r.name == old.name) {
                // A route named like the unrouted label shares its series: keep them.
                None if &*old.name == NO_ROUTE => {}
                None => self.metrics.forget_route(&old.name, &ids),
                Some(new) => {
                    for id in ids {
                        if !new.keys.iter().any(|k| &*k.id == id) {
                            self.metrics.forget_secret(&old.name, id);
                        }
                    }
                }
            }
        }
    }

    /// Answers one request. Never fails: every problem becomes an answer with a status.
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>, peer: SocketAddr) -> HttpResponse {
        let start = Instant::now();
        let mut notes = Notes::default();
        // Taken once: a reload meanwhile does not change this request's rules.
        let active = self.active.load_full();
        let (outcome, resp) = self.decide(&active, req, peer, &mut notes).await;
        self.record(&active, &notes, outcome, resp.status(), start);
        resp
    }

    async fn decide(
        &self,
        active: &Active,
        req: Request<Incoming>,
        peer: SocketAddr,
        notes: &mut Notes,
    ) -> (Outcome, HttpResponse) {
        let config = &active.config;
        notes.method = Some(req.method().clone());
        notes.content_type = req.headers().get(CONTENT_TYPE).cloned();

        // 1. Route by exact path; the query string is not part of the match.
        let Some(route) = config.route_for(req.uri().path()).cloned() else {
            notes.path = Some(diagnostics::path(req.uri().path()));
            return notes.reject(
                Outcome::NoRoute,
                StatusCode::NOT_FOUND,
                "no webhook route is configured for this path",
            );
        };
        notes.route = Some(route.clone());

        // 2. Method. A provider's challenge GET (Dropbox, Okta) is answered here when the
        // route accepts GET: it forwards nothing and echoes only what the sender sent.
        if !route.methods.contains(req.method()) {
            let (o, mut resp) = notes.reject(
                Outcome::MethodNotAllowed,
                StatusCode::METHOD_NOT_ALLOWED,
                "this route does not accept this method",
            );
            let allow = route
                .methods
                .iter()
                .map(http::Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(v) = HeaderValue::from_str(&allow) {
                resp.headers_mut().insert(ALLOW, v);
            }
            return (o, resp);
        }
        if req.method() == http::Method::GET {
            if let Some(answer) = route
                .handshake
                .and_then(|hs| handshake::challenge(hs, &req))
            {
                return (Outcome::Handshake, answer);
            }
        }

        // 3. Capacity: shed before reading a body, so overload costs little. The permit lives
        // until the forward ends, even if the sender hangs up.
        let Ok(permit) = self.limiter.clone().try_acquire_owned() else {
            return notes.reject(
                Outcome::Overloaded,
                StatusCode::SERVICE_UNAVAILABLE,
                "too many requests in progress; retry shortly",
            );
        };

        // 4. Size: a declared length over the limit is refused before reading anything.
        let max_body = route.max_body;
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max_body as u64) {
            return notes.reject(
                Outcome::BodyTooLarge,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than the {max_body} byte limit"),
            );
        }
        // Its bytes count against limits.max_buffered until the forward ends.
        let (parts, incoming) = req.into_parts();
        let timeout = config.limits.body_timeout;
        let budget = &active.body_budget;
        let (body, held) = match body::collect(incoming, max_body, timeout, budget).await {
            Ok(b) => (b.bytes, b.held),
            Err(e) => {
                let detail = notes.detail.insert(e.to_string());
                let (outcome, message) = match e {
                    BodyError::TooLarge { .. } => (Outcome::BodyTooLarge, &**detail),
                    BodyError::Timeout(_) => (Outcome::RequestTimeout, &**detail),
                    BodyError::Read(_) => (Outcome::BadRequest, &**detail),
                    // The sender did nothing wrong: other bodies fill the memory set aside (the
                    // detail, for the log, names the limit).
                    BodyError::Busy { .. } => (
                        Outcome::Overloaded,
                        "too many request bodies in memory at once; retry shortly",
                    ),
                };
                return reject(outcome, outcome.status(route.reject_status), message);
            }
        };

        // Kept for a rejection's record (its length and hash): a reference, not a copy.
        notes.body = Some(body.clone());

        // 5 and 6. Signature over the exact bytes received, then timestamp freshness.
        let msg = Message::new(
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
            route.public_url.as_deref(),
        );
        let now = (self.clock)();
        let trace = notes.trace.insert(Trace::default());
        let verified = match verify::verify_traced(
            &route.scheme,
            &route.keys,
            &msg,
            route.freshness,
            now,
            trace,
        ) {
            Ok(v) => Some(v),
            Err(e) => {
                let outcome = verify_outcome(&e);
                // The signature may have matched before the timestamp failed: say with which
                // secret, as for a pass.
                notes.secret = trace
                    .matched
                    .and_then(|i| route.keys.get(i))
                    .map(|k| k.id.clone());
                notes.detail = Some(e.to_string());
                if route.mode == Mode::Enforce {
                    return reject(outcome, route.reject_status, &e.to_string());
                }
                notes.verdict = Some(outcome);
                None
            }
        };
        if let Some(v) = &verified {
            let key = &route.keys[v.key_index];
            notes.secret = Some(key.id.clone());
            if route.mode == Mode::Enforce {
                if let Some(answer) = route
                    .handshake
                    .and_then(|hs| handshake::signed(hs, &msg, key))
                {
                    return (Outcome::Handshake, answer);
                }
            }
            let rm = self.metrics_of(active, Some(&route));
            rm.verified(v.key_index);
            if let Some(skew) = v.skew_seconds {
                rm.skew.observe(skew);
            }
        }

        // 7. Dedup, on verified requests only (a forger must not be able to claim an id), and
        // never in observe mode (it must not drop anything).
        let mut claim = None;
        if let (Some(v), Some(spec), Mode::Enforce) = (&verified, &route.dedup_key, route.mode) {
            if let Some(id) = spec.extract(&msg, v) {
                notes.event_id = Some(id.clone());
                let key = DedupKey {
                    route: route.name.clone(),
                    id: id.into(),
                };
                match self.store.claim(key).await {
                    Ok(Claim::Claimed(token)) => claim = Some(token),
                    Ok(Claim::Done) => return duplicate(config.dedup.duplicate_status),
                    Ok(Claim::InFlight) => {
                        return notes.reject(
                            Outcome::DuplicateInFlight,
                            StatusCode::CONFLICT,
                            "this delivery is being forwarded right now; retry later",
                        )
                    }
                    Err(e) if self.fail_open() => {
                        // Configured to forward rather than wait: no dedup for this one.
                        notes.detail = Some(format!(
                            "{e}; forwarded without dedup (on_unavailable: forward)"
                        ));
                        if let (Level::Warn, suppressed) = throttled(&self.dedup_warnings) {
                            tracing::warn!(route = &*route.name, error = %e, suppressed, "dedup store unavailable; forwarding without dedup");
                        }
                    }
                    Err(e) => {
                        notes.detail = Some(e.to_string());
                        return reject(
                            Outcome::DedupUnavailable,
                            StatusCode::SERVICE_UNAVAILABLE,
                            "the dedup store is unreachable; retry later",
                        );
                    }
                }
            }
        }
        drop(msg);

        // 8. Forward. In its own task: once verified and claimed, the exchange runs to its end
        // even if the sender hangs up, so its outcome still commits or releases the claim.
        let task = tokio::spawn(forward(
            self.upstream.clone(),
            self.store.clone(),
            self.metrics_of(active, Some(&route)).clone(),
            route.name.clone(),
            parts,
            body,
            peer,
            claim,
            (permit, held),
        ));
        let result = match task.await {
            Ok(r) => r,
            Err(join) => Err(ForwardError::Unavailable(Box::new(join))),
        };
        match result {
            Ok(resp) => {
                let (head, body) = resp.into_parts();
                let outcome = notes.verdict.unwrap_or(Outcome::Forwarded);
                (outcome, Response::from_parts(head, Full::new(body)))
            }
            Err(e) => {
                notes.detail = Some(error_chain(&e));
                let outcome = match e {
                    ForwardError::Timeout(_) => Outcome::UpstreamTimeout,
                    ForwardError::Unavailable(_) => Outcome::UpstreamUnavailable,
                };
                let message = match outcome {
                    Outcome::UpstreamTimeout => "the app behind hookgate did not answer in time",
                    _ => "the app behind hookgate is unreachable",
                };
                let (_, resp) = reject(outcome, outcome.status(route.reject_status), message);
                (notes.verdict.unwrap_or(outcome), resp)
            }
        }
    }

    /// The single place an outcome becomes a metric, a log line and, for a rejection, a
    /// `/debug/rejections` record.
    fn record(
        &self,
        active: &Active,
        notes: &Notes,
        outcome: Outcome,
        status: StatusCode,
        start: Instant,
    ) {
        let elapsed = start.elapsed();
        let route = notes.route.as_ref().map_or(NO_ROUTE, |r| &r.name);
        self.metrics_of(active, notes.route.as_ref())
            .record(outcome, elapsed.as_secs_f64());
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let event_id = notes.event_id.as_deref();
        let secret = notes.secret.as_deref();
        let detail = notes.detail.as_deref();
        let observe = notes
            .route
            .as_ref()
            .is_some_and(|r| r.mode == Mode::Observe);
        let rejection = (!matches!(
            outcome,
            Outcome::Forwarded | Outcome::Duplicate | Outcome::Handshake
        ))
        .then(|| self.rejection(notes, outcome, status, observe));
        let r = rejection.as_ref();
        let body_len = r.and_then(|r| r.body_len);
        let body_sha256 = r.and_then(|r| r.body_sha256.as_deref());
        let content_type = r.and_then(|r| r.content_type.as_deref());
        let secrets_tried = r.map(|r| r.secrets_tried.join(","));
        let secrets_tried = secrets_tried.as_deref();
        let skew_seconds = r.and_then(|r| r.skew_seconds);
        let (level, suppressed) = match outcome {
            Outcome::Forwarded | Outcome::Duplicate => (Level::Info, None),
            Outcome::UpstreamUnavailable | Outcome::UpstreamTimeout => (Level::Warn, None),
            Outcome::Overloaded => throttled(&self.overload_warnings),
            Outcome::DedupUnavailable => throttled(&self.dedup_warnings),
            // Sender faults are counted; at debug so one broken sender cannot flood the logs.
            _ => (Level::Debug, None),
        };
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    route,
                    outcome = outcome.code(),
                    status = status.as_u16(),
                    latency_ms,
                    event_id,
                    secret,
                    observe,
                    detail,
                    body_len,
                    body_sha256,
                    content_type,
                    secrets_tried,
                    skew_seconds,
                    suppressed,
                    "request"
                )
            };
        }
        match level {
            Level::Info => line!(info),
            Level::Warn => line!(warn),
            Level::Debug => line!(debug),
        }
        if let Some(r) = rejection {
            self.rejections.push(r);
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

    /// Resolves once no request holds a capacity permit. After the connections have drained,
    /// what is left are forwards whose sender hung up: they run detached from any connection
    /// (so the drain does not wait for them) and hold their permit until their claim settles.
    pub async fn idle(&self) {
        let all = u32::try_from(self.max_concurrency).unwrap_or(u32::MAX);
        let _all_free = self.limiter.acquire_many(all).await;
    }

    fn fail_open(&self) -> bool {
        self.active
            .load()
            .config
            .dedup
            .redis
            .as_ref()
            .is_some_and(|r| r.on_unavailable == crate::config::OnUnavailable::Forward)
    }

    /// Ready for traffic as far as the gate is concerned: a dedup store that cannot be reached
    /// makes every delivery a 503, unless configured to forward without it.
    pub fn ready(&self) -> bool {
        self.store.healthy() || self.fail_open()
    }

    /// The series of `route`, a route of `active`'s config (its index is into that table).
    fn metrics_of<'a>(
        &'a self,
        active: &'a Active,
        route: Option<&Arc<Route>>,
    ) -> &'a Arc<RouteMetrics> {
        route
            .and_then(|r| active.route_metrics.get(r.index))
            .unwrap_or(&self.unrouted)
    }

    /// Brings gauges up to date before a scrape.
    pub fn refresh_gauges(&self) {
        let held = self.active.load().body_budget.held();
        self.metrics
            .buffered_bytes
            .set(i64::try_from(held).unwrap_or(i64::MAX));
        // The counter follows the writer's own total; `fetch_max` hands each new byte to one
        // scrape only, however many run at once.
        let lost = crate::logging::dropped_bytes_total();
        let before = self.log_dropped_exported.fetch_max(lost, Ordering::Relaxed);
        self.metrics
            .log_dropped_bytes
            .inc_by(lost.saturating_sub(before));
        self.store.housekeeping();
        for route in &self.config().routes {
            if let Some(n) = self.store.entries(&route.name) {
                self.metrics
                    .dedup_entries
                    .with_label_values(&[&route.name])
                    .set(n);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn forward(
    upstream: Upstream,
    store: Store,
    metrics: Arc<RouteMetrics>,
    route: Arc<str>,
    parts: http::request::Parts,
    body: Bytes,
    peer: SocketAddr,
    claim: Option<ClaimToken>,
    // The concurrency slot and the body's share of the memory budget, until the exchange ends.
    _held: (OwnedSemaphorePermit, OwnedSemaphorePermit),
) -> Result<Response<Bytes>, ForwardError> {
    let meta = ForwardMeta {
        route: &route,
        client_ip: peer.ip(),
        proto: "http",
        host: parts.headers.get(HOST),
    };
    let start = Instant::now();
    let result = upstream.send(&parts, body, &meta).await;
    metrics
        .upstream_duration
        .observe(start.elapsed().as_secs_f64());
    if let Ok(resp) = &result {
        metrics.upstream_response(resp.status());
    }
    if let Some(claim) = claim {
        // Done only when the upstream accepted; anything else frees the id for the retry.
        let accepted = result.as_ref().is_ok_and(|r| r.status().is_success());
        let settled = if accepted {
            store.commit(&claim).await
        } else {
            store.release(&claim).await
        };
        // The claim stays in flight until its TTL: say which event, and what that means for it.
        if let Err(e) = settled {
            let event_id = &*claim.key.id;
            if accepted {
                tracing::warn!(route = &*route, event_id, error = %e, "could not mark the delivery done in the dedup store: once its claim expires, a retry of it is forwarded again");
            } else {
                tracing::warn!(route = &*route, event_id, error = %e, "could not release the delivery's claim in the dedup store: its retries get 409 until the claim expires");
            }
        }
    }
    result
}

fn verify_outcome(e: &VerifyError) -> Outcome {
    match e {
        VerifyError::MissingSignature(_) | VerifyError::MissingSignatureField(_) => {
            Outcome::MissingSignature
        }
        VerifyError::MalformedSignature(_)
        | VerifyError::MissingId(_)
        | VerifyError::Mismatch
        | VerifyError::BodyHashMismatch(_) => Outcome::InvalidSignature,
        VerifyError::InvalidTimestamp(_) => Outcome::InvalidTimestamp,
        VerifyError::TooOld { .. } | VerifyError::TooNew { .. } => Outcome::StaleTimestamp,
    }
}

fn reject(outcome: Outcome, status: StatusCode, message: &str) -> (Outcome, HttpResponse) {
    (outcome, error_response(outcome, status, message))
}

fn duplicate(status: StatusCode) -> (Outcome, HttpResponse) {
    let body = serde_json::json!({
        "duplicate": true,
        "message": "this delivery was already accepted by the app; it was not forwarded again"
    });
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut()
        .insert(DUPLICATE_HEADER, HeaderValue::from_static("true"));
    (Outcome::Duplicate, resp)
}
