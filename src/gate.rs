//! The per-request decisions, in order: route (and framing), rate limit, method, allowlist,
//! precheck, capacity, body, keys (when the sender's are fetched), signature and timestamp,
//! filter, dedup, forward. `Gate::decide` reads as that list; each step is a method below it, in
//! the same order, that either hands on what the next step needs or ends the request with an
//! answer (a refusal, a duplicate's 200, a handshake's reply).
//!
//! - Every request ends in one `Outcome`, recorded once by `record.rs` (metric, log line and,
//!   for a refusal, the `/debug/rejections` record together). Statuses come from the outcome
//!   alone (`outcome.rs`), plus the route's `reject_status` for failed verification.
//! - The config in force can change under live reload: a request takes the `Active` config
//!   once, when it starts, and decides everything on it whatever happens meanwhile.
//! - A worker's own upstream client and store handle (`Handles`) are handed in with each
//!   request by the worker serving its connection; nothing here looks up where it runs.
//! - Spans (otel.rs, off unless configured) are opened here and only here: the delivery's in
//!   `handle`, its verify, dedup and upstream (or enqueue) children in `decide`. verify/ and
//!   forward.rs know nothing of them (forward only sets the `traceparent` it is handed).

#![expect(
    clippy::result_large_err,
    reason = "a step's Err is the request's answer, moved once per request; boxing it would only add an allocation to every refusal"
)]

mod active;
mod expiry;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::header::{
    HeaderName, HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HOST, RETRY_AFTER,
};
use http::uri::PathAndQuery;
use http::{Request, Response, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use active::Active;

use crate::allowlist::{Lists, Verdict};
use crate::body;
use crate::clock::Clock;
use crate::config::{
    DeliveryMode, DeliveryPolicy, Live, Mode, OnUnavailable, QueryPolicy, Route, Rule,
    StartupLimits,
};
use crate::dedup::{Claim, ClaimToken, DedupKey, Settle, Store};
use crate::diagnostics;
use crate::fetch::FetchError;
use crate::forward::{ForwardError, ForwardMeta, Relayed, Upstreams};
use crate::handshake;
use crate::keyring::{Fetched, Keyring};
use crate::metrics::{Metrics, RouteMetrics};
use crate::otel::{Scope, SpanKind, Traces};
use crate::outcome::{duplicate_response, error_chain, error_response, HttpResponse, Outcome};
use crate::queue::{NewDelivery, Queue};
use crate::ratelimit;
use crate::record::{Notes, Recorder};
use crate::server::HeadBudget;
use crate::sources::{Holding, Kind, Sources};
use crate::verify::{self, Key, Message, Trace, Verified};
use crate::workers::OpenConnections;

/// Everything requests share, whichever worker serves them.
pub struct Gate {
    /// Where every outcome is written down.
    pub recorder: Arc<Recorder>,
    pub clock: Clock,
    /// The store itself, for readiness, housekeeping and counts; requests claim through their
    /// worker's handle (`Handles::store`). Built once: a reload must not forget what was seen.
    pub store: Store,
    /// Sized once at start (`limits.max_concurrency` needs a restart).
    limiter: Arc<Semaphore>,
    max_concurrency: usize,
    active: ArcSwap<Active>,
    /// One reload at a time: series are created and dropped around the swap.
    installing: Mutex<()>,
    /// How much of `logging::dropped_bytes_total` the counter already holds.
    log_dropped_exported: AtomicU64,
    /// What each client address holds: its connections, requests, body and head bytes.
    pub sources: Arc<Sources>,
    /// Unfinished request heads, all connections together (server.rs).
    pub heads: Arc<HeadBudget>,
    /// The listener's open connections, once it runs (for the gauge).
    pub connections: OnceLock<OpenConnections>,
    /// The durable queue of queued routes, when `queue.path` or `queue.backend` was set at start.
    pub queue: Option<Queue>,
    /// Where a delivery's spans go (off unless `OTEL_*` configures an exporter, otel.rs).
    pub traces: Traces,
}

/// One worker thread's own handles, built on that thread when it starts (app.rs) and handed
/// to every request it serves: its upstream connection pools and its dedup store handle.
#[derive(Clone)]
pub struct Handles {
    pub upstreams: Upstreams,
    pub store: Store,
}

/// On an answer the app gave with a 2xx whose body could not be relayed: why (`too_large`,
/// `timeout`, `unreadable`).
const BODY_DROPPED: HeaderName = HeaderName::from_static("hookgate-body-dropped");

/// On a delivery the route's filter dropped.
const HOOKGATE_FILTERED: HeaderName = HeaderName::from_static("hookgate-filtered");

/// How a request ends: its outcome and the answer the sender gets.
type Answer = (Outcome, HttpResponse);

/// A step hands on what the next one needs, or ends the request with its answer.
type Step<T> = Result<T, Answer>;

impl Gate {
    pub fn new(
        live: Arc<Live>,
        limits: &StartupLimits,
        store: Store,
        metrics: Metrics,
        clock: Clock,
        queue: Option<Queue>,
        traces: Traces,
    ) -> Self {
        let max_concurrency = limits.max_concurrency;
        let sources = Sources::new();
        let recorder = Arc::new(Recorder::new(
            metrics,
            clock.clone(),
            live.diagnostics.recent_rejections,
        ));
        let to = recorder.clone();
        let heads = HeadBudget::new(
            limits.max_header_bytes,
            sources.clone(),
            limits.per_source.max_header_bytes,
            Arc::new(move |why, peer| to.head_refused(why, peer)),
        );
        let active = ArcSwap::from_pointee(Active::new(live, &recorder.metrics, &clock, None));
        Self {
            recorder,
            clock,
            store,
            limiter: Arc::new(Semaphore::new(max_concurrency)),
            max_concurrency,
            active,
            installing: Mutex::new(()),
            log_dropped_exported: AtomicU64::new(0),
            sources,
            heads,
            connections: OnceLock::new(),
            queue,
            traces,
        }
    }

    /// Answers one request. Never fails: every problem becomes an answer with a status.
    pub async fn handle(
        self: Arc<Self>,
        handles: &Handles,
        mut req: Request<Incoming>,
        peer: SocketAddr,
    ) -> HttpResponse {
        let start = Instant::now();
        let mut notes = Notes::default();
        // Taken once: a reload meanwhile does not change this request's rules.
        let active = self.active.load_full();
        let peer = client_addr(&active.live, peer, &mut req);
        // A child of the sender's trace context, when it sent one.
        let span = self
            .traces
            .start("hookgate.delivery", SpanKind::Server, req.headers());
        let (Ok((outcome, resp)) | Err((outcome, resp))) = self
            .decide(&active, handles, req, peer, &mut notes, &span)
            .await;
        described(&span, &notes, outcome, resp.status());
        let series = active.series(notes.route.as_ref(), self.recorder.unrouted());
        self.recorder
            .request(series, &notes, outcome, resp.status(), start);
        resp
    }

    /// The decisions, in order. Each step may end the request.
    async fn decide(
        self: &Arc<Self>,
        active: &Active,
        handles: &Handles,
        req: Request<Incoming>,
        peer: SocketAddr,
        notes: &mut Notes,
        span: &Scope,
    ) -> Step<Answer> {
        let route = self.route(&active.live, &req, notes)?;
        self.framing(&req, notes)?;
        // The client address (through `trusted_proxies`), as every per-source bound sees it.
        let source = peer.ip();
        self.rate_limit(active, &route, source, notes)?;
        self.method(&route, &req, notes)?;
        self.allowed_source(active, &route, peer, notes)?;
        self.precheck(&route, &req, notes)?;
        let slots = self.capacity(active, peer, notes)?;
        let (parts, body, held) = self.read_body(active, &route, req, peer, notes).await?;
        // From fetching the sender's keys (when they are fetched) to the verdict.
        let check = span.child("hookgate.verify", SpanKind::Internal);
        let fetched = self
            .fetch_keys(active, &route, &parts, &body, notes)
            .await
            .inspect_err(|(o, _)| check.fail(o.code()))?;
        let keys = fetched
            .as_ref()
            .map_or(route.keys.as_slice(), Fetched::keys);
        let msg = Message::new(
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
            route.public_url.as_deref(),
        );
        let verified = self.verify(active, &route, keys, &msg, notes);
        verdict_of(&check, &verified, notes);
        check.end();
        // Before the verdict: copies that differ may be why verification failed.
        let collapse = self.single_copies(&route, &msg, notes)?;
        let verified = verified?;
        let dedup_key = self.event_id(&route, &msg, verified.as_ref(), notes);
        drop(msg);
        self.confirm_subscription(active, &route, &body, verified.is_some(), notes)
            .await?;
        let rule = self.filter(&route, &parts, &body, notes)?;
        let dedup = match (&dedup_key, route.mode) {
            (Some(_), Mode::Enforce) => span.child("hookgate.dedup", SpanKind::Internal),
            _ => Scope::default(),
        };
        let claim = self
            .claim(active, handles, &route, dedup_key, notes)
            .await
            .inspect_err(|(o, _)| dedup.set("hookgate.outcome", || o.code()))?;
        dedup.set("hookgate.dedup.claimed", || claim.is_some());
        dedup.end();
        let trace = match route.delivery {
            DeliveryMode::Sync => span.child("hookgate.upstream", SpanKind::Client),
            DeliveryMode::Queued(_) => span.child("hookgate.enqueue", SpanKind::Producer),
        };
        let delivery = Delivery {
            route: route.clone(),
            upstream: rule
                .and_then(|r| r.upstream.clone())
                .or_else(|| route.upstream.clone()),
            series: active
                .series(Some(&route), self.recorder.unrouted())
                .clone(),
            parts: outbound(parts, &route, &collapse, rule.and_then(|r| r.path.as_ref())),
            body,
            peer,
            claim,
            verdict: notes.verdict,
            event_id: notes.event_id.clone(),
            trace,
            _held: Held {
                _slots: slots,
                _body: held,
            },
        };
        match route.delivery {
            DeliveryMode::Sync => Ok(self.forward(handles, delivery, &route, notes).await),
            DeliveryMode::Queued(policy) => {
                Ok(self.enqueue(handles, delivery, policy, notes).await)
            }
        }
    }

    /// Step 1, route by exact path; the query string is not part of the match.
    fn route(&self, live: &Live, req: &Request<Incoming>, notes: &mut Notes) -> Step<Arc<Route>> {
        notes.method = Some(req.method().clone());
        notes.content_type = req.headers().get(CONTENT_TYPE).cloned();
        let path = req.uri().path();
        let Some(route) = live.route_for(path) else {
            notes.path = Some(diagnostics::path(path));
            return Err(refuse(
                notes,
                Outcome::NoRoute,
                "no webhook route is configured for this path",
            ));
        };
        notes.route = Some(route.clone());
        Ok(route.clone())
    }

    /// With the route (step 1): framing hyper accepts but a proxy in front of hookgate may read
    /// otherwise: several `Host`, a `Transfer-Encoding` other than one `chunked`. Refused (400), so
    /// the two never disagree about where a request ends. (A bare LF, and a repeated
    /// `Content-Length`, which hyper folds into one when the copies agree, are refused as the head
    /// is read, server.rs.)
    fn framing(&self, req: &Request<Incoming>, notes: &mut Notes) -> Step<()> {
        let h = req.headers();
        let count = |name| h.get_all(name).iter().count();
        let te = h.get_all(http::header::TRANSFER_ENCODING);
        let odd_te = te.iter().count() > 1
            || te
                .iter()
                .any(|v| !v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"chunked"));
        let why = if count(CONTENT_LENGTH) > 1 {
            "the request has more than one Content-Length"
        } else if count(HOST) > 1 {
            "the request has more than one Host"
        } else if odd_te {
            "the request's Transfer-Encoding is not a single chunked"
        } else {
            return Ok(());
        };
        Err(refuse(notes, Outcome::BadRequest, why))
    }

    /// With the route, before anything else is looked at: a token from the bucket of the
    /// sender's address (`source`) under the route's `rate_limit` (ratelimit.rs), or 429 +
    /// `Retry-After` (the seconds until its next token, rounded up). Every request the route
    /// gets counts, whatever follows; a route without a limit pays nothing. Like the other
    /// per-source bounds it holds in observe mode too: it protects hookgate and the app, it
    /// is no verdict on the sender.
    fn rate_limit(
        &self,
        active: &Active,
        route: &Route,
        source: IpAddr,
        notes: &mut Notes,
    ) -> Step<()> {
        let Some(limiter) = active.limiter(route) else {
            return Ok(());
        };
        let Err(wait) = limiter.check(source, Instant::now()) else {
            return Ok(());
        };
        let secs = ratelimit::retry_after_secs(wait);
        notes.detail = Some(format!(
            "this source is over the route's rate_limit ({}); its next token comes in {secs}s",
            limiter.limit()
        ));
        let (outcome, mut resp) = refuse(
            notes,
            Outcome::RateLimited,
            "too many requests from this address; retry after Retry-After seconds",
        );
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
        Err((outcome, resp))
    }

    /// Step 2, method. A provider's setup request that is complete in its head (the challenge
    /// GETs of Dropbox, Okta, Meta, Twitter and Worldline Connect, Graph's validation POST, the
    /// CloudEvents `OPTIONS`) is answered here when the route accepts its method, and Trello's
    /// `HEAD` on any Trello route: it forwards nothing.
    fn method(&self, route: &Route, req: &Request<Incoming>, notes: &mut Notes) -> Step<()> {
        // Trello's creation `HEAD` reaches its handshake on a POST-only route too (only that
        // handshake implies a method: `Handshake::implied_method`).
        let implied = route.handshake.and_then(|hs| hs.implied_method());
        if !route.methods.contains(req.method()) && implied.as_ref() != Some(req.method()) {
            let (outcome, mut resp) = refuse(
                notes,
                Outcome::MethodNotAllowed,
                "this route does not accept this method",
            );
            let allow: Vec<&str> = route.methods.iter().map(http::Method::as_str).collect();
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                resp.headers_mut().insert(ALLOW, v);
            }
            return Err((outcome, resp));
        }
        match route
            .handshake
            .and_then(|hs| handshake::challenge(hs, route, req, (self.clock)()))
        {
            Some(handshake::Challenge::Answer(answer)) => Err((Outcome::Handshake, answer)),
            // A setup request that fails its own check (Meta's verify token): counted as a
            // failed verification, answered 403 as the sender's docs expect.
            Some(handshake::Challenge::Refuse(why)) => {
                let (outcome, mut resp) = refuse(notes, Outcome::InvalidSignature, why);
                *resp.status_mut() = StatusCode::FORBIDDEN;
                Err((outcome, resp))
            }
            None => Ok(()),
        }
    }

    /// With the method (step 2): the client address against the route's `allow_ips`, before
    /// anything else is spent on it. Not in them: 403; in none of what is known while a list
    /// named has never been fetched: 503 (hookgate cannot tell; the sender retries). Enforced
    /// in observe mode too: an allowlist is the network's rule, not a verdict to try out.
    fn allowed_source(
        &self,
        active: &Active,
        route: &Route,
        client: SocketAddr,
        notes: &mut Notes,
    ) -> Step<()> {
        let Some(allow) = &route.allow_ips else {
            return Ok(());
        };
        match Lists::check(allow, active.lists.as_ref(), client.ip()) {
            Verdict::Allowed => Ok(()),
            Verdict::Refused => {
                notes.peer = Some(client);
                notes.detail = Some(format!("{} is not in the route's allow_ips", client.ip()));
                Err(refuse(
                    notes,
                    Outcome::IpNotAllowed,
                    "this address may not send to this endpoint",
                ))
            }
            Verdict::Unknown { url } => {
                notes.peer = Some(client);
                notes.detail = Some(format!(
                    "{} is not in what is known of the route's allow_ips, and the list at {url} has not been fetched yet",
                    client.ip()
                ));
                Err(refuse(
                    notes,
                    Outcome::AllowlistUnavailable,
                    "the sender's published address list is not available yet; retry later",
                ))
            }
        }
    }

    /// Step 3, precheck, before the body: what the scheme allows checking on the head alone
    /// (signature present and well formed, a header timestamp readable: `verify::precheck`), so
    /// unsigned junk is refused before it holds a slot or a byte of memory. Enforce mode only:
    /// observe mode forwards everything.
    fn precheck(&self, route: &Route, req: &Request<Incoming>, notes: &mut Notes) -> Step<()> {
        if route.mode == Mode::Observe {
            return Ok(());
        }
        let head = Message::new(
            req.method(),
            req.uri(),
            req.headers(),
            &[],
            route.public_url.as_deref(),
        );
        let checked = verify::precheck(&route.scheme, &head);
        // Copies that differ may be why (the verdict on them comes first, as after the body).
        self.single_copies(route, &head, notes)?;
        checked.map_err(|e| {
            let outcome = Outcome::from(&e);
            let message = e.to_string();
            notes.detail = Some(message.clone());
            notes.trace = Some(Trace::default());
            refuse(notes, outcome, &message)
        })
    }

    /// Step 4, capacity: shed before reading a body, so overload costs little. A slot of all
    /// (503 when none is left), then one of the sender's address's share (429: the others'
    /// traffic goes on). Both live until the forward ends, even if the sender hangs up.
    fn capacity(&self, active: &Active, peer: SocketAddr, notes: &mut Notes) -> Step<Slots> {
        let all = self.limiter.clone().try_acquire_owned().map_err(|_| {
            refuse(
                notes,
                Outcome::Overloaded,
                "too many requests in progress; retry shortly",
            )
        })?;
        let share = active.live.limits.per_source.max_concurrency;
        let Some(source) = Holding::take(&self.sources, peer.ip(), Kind::Requests, 1, share) else {
            notes.detail = Some(format!(
                "this source has limits.per_source.max_concurrency ({share}) requests in progress"
            ));
            return Err(refuse(
                notes,
                Outcome::SourceBusy,
                "too many requests from this address in progress; retry shortly",
            ));
        };
        Ok(Slots {
            _all: all,
            _source: source,
        })
    }

    /// Step 5, the body, whole: a declared length over the route's limit is refused before
    /// anything is read. Its bytes count against `limits.max_buffered` and the sender's share
    /// of it as they arrive, until the forward ends; a body slower than `limits.min_body_rate`
    /// is refused (408).
    async fn read_body(
        &self,
        active: &Active,
        route: &Route,
        req: Request<Incoming>,
        peer: SocketAddr,
        notes: &mut Notes,
    ) -> Step<(http::request::Parts, Bytes, BodyHeld)> {
        let max_body = route.max_body;
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max_body as u64) {
            return Err(refuse(
                notes,
                Outcome::BodyTooLarge,
                &format!("the body is larger than the {max_body} byte limit"),
            ));
        }
        let (parts, incoming) = req.into_parts();
        let limits = &active.live.limits;
        let min_rate = (limits.min_body_rate > 0).then_some(body::MinRate {
            bytes_per_sec: limits.min_body_rate,
            grace: limits.body_rate_grace,
        });
        let share = limits.per_source.max_buffered;
        let accounts = body::Accounts {
            budget: &active.body_budget,
            source: Holding::empty(&self.sources, peer.ip(), Kind::BodyBytes),
            source_limit: share,
        };
        match body::collect(incoming, max_body, limits.body_timeout, min_rate, accounts).await {
            Ok(b) => {
                // Kept for a rejection's record (its length and hash): a reference, not a copy.
                notes.body = Some(b.bytes.clone());
                Ok((
                    parts,
                    b.bytes,
                    BodyHeld {
                        _all: b.held,
                        _source: b.source_held,
                    },
                ))
            }
            Err(e) => {
                let outcome = Outcome::from(&e);
                let detail = e.to_string();
                // Busy is no fault of the sender's: a generic answer (the log names the limit).
                let message = match e {
                    body::BodyError::Busy { .. } => {
                        "too many request bodies in memory at once; retry shortly"
                    }
                    body::BodyError::SourceBusy { .. } => {
                        "too many request bodies from this address in memory at once; retry shortly"
                    }
                    _ => &detail,
                };
                let answer = error_response(outcome, route.reject_status, message);
                notes.detail = Some(detail);
                Err((outcome, answer))
            }
        }
    }

    /// Step 6: the signature over the exact bytes received, then the timestamp's freshness.
    /// `None` in observe mode when verification failed (the verdict is noted; the request goes
    /// on, never to dedup).
    fn verify(
        &self,
        active: &Active,
        route: &Arc<Route>,
        keys: &[Key],
        msg: &Message<'_>,
        notes: &mut Notes,
    ) -> Step<Option<Verified>> {
        // Observe mode, keys not fetched: the verdict is that already.
        if notes.verdict.is_some() {
            return Ok(None);
        }
        let now = (self.clock)();
        if let Some(dated) = active.expiries(route) {
            dated.check(route, now);
        }
        let trace = notes.trace.insert(Trace::default());
        let result = verify::verify_traced(&route.scheme, keys, msg, route.freshness, now, trace);
        let v = match result {
            Ok(v) => v,
            Err(e) => {
                // The signature may have matched before the timestamp failed: say with which
                // secret.
                notes.secret = trace
                    .matched
                    .and_then(|i| keys.get(i))
                    .map(|k| k.id.clone());
                let outcome = Outcome::from(&e);
                let message = e.to_string();
                notes.detail = Some(expired_note(keys, now).map_or_else(
                    || message.clone(),
                    |ids| format!("{message} (not tried, past their not_after: {ids})"),
                ));
                if route.mode == Mode::Observe {
                    notes.verdict = Some(outcome);
                    return Ok(None);
                }
                return Err(refuse(notes, outcome, &message));
            }
        };
        let Some(key) = keys.get(v.key_index) else {
            // Unreachable: the index is of a key in `keys`.
            return Err(refuse(notes, Outcome::InvalidSignature, "no key matched"));
        };
        notes.secret = Some(key.id.clone());
        if route.mode == Mode::Enforce {
            if let Some(answer) = route
                .handshake
                .and_then(|hs| handshake::signed(hs, msg, key))
            {
                return Err((Outcome::Handshake, answer));
            }
        }
        let series = active.series(Some(route), self.recorder.unrouted());
        // Fetched keys share one label (`keyring::label`), the first.
        series.verified(if route.fetches_keys() { 0 } else { v.key_index });
        if let Some(skew) = v.skew_seconds {
            series.skew.observe(skew);
        }
        Ok(Some(v))
    }

    /// With the body (step 5): the keys of a route whose keys are fetched (its JWK Set, the SNS
    /// certificate the message names), from the cache or the sender. A fetch failure is not
    /// the sender's fault: 503 with the fetch's `Retry-After`, never a refusal as forged
    /// (observe mode: the verdict, and the request is forwarded).
    async fn fetch_keys(
        &self,
        active: &Active,
        route: &Route,
        parts: &http::request::Parts,
        body: &Bytes,
        notes: &mut Notes,
    ) -> Step<Option<Fetched>> {
        if !route.fetches_keys() {
            return Ok(None);
        }
        let want = {
            let msg = Message::new(
                &parts.method,
                &parts.uri,
                &parts.headers,
                body,
                route.public_url.as_deref(),
            );
            Keyring::wants(route, &msg)
        };
        let Some(want) = want else {
            return Ok(None);
        };
        let fetched = match &active.keyring {
            Some(keyring) => keyring.fetch(want).await,
            None => Err(FetchError::Busy),
        };
        fetched
            .map(Some)
            .or_else(|e| self.key_unavailable(route, &e, notes).map(|()| None))
    }

    /// A fetch for `route` failed: in observe mode the verdict (and on), else the 503.
    fn key_unavailable(&self, route: &Route, e: &FetchError, notes: &mut Notes) -> Step<()> {
        notes.detail = Some(format!(
            "the sender's published keys could not be fetched: {e}"
        ));
        if route.mode == Mode::Observe {
            notes.verdict = Some(Outcome::KeyUnavailable);
            return Ok(());
        }
        let (outcome, mut resp) = refuse(
            notes,
            Outcome::KeyUnavailable,
            "the sender's published keys could not be fetched; retry later",
        );
        if let Ok(v) = HeaderValue::from_str(&e.retry_after().as_secs().to_string()) {
            resp.headers_mut().insert(RETRY_AFTER, v);
        }
        Err((outcome, resp))
    }

    /// After verification: a verified SNS `SubscriptionConfirmation` on a route with
    /// `sns.confirm_subscription` is confirmed here (a GET of its signed `SubscribeURL`, an SNS
    /// host) and answered, not forwarded. A failed GET is a 503: SNS sends the confirmation
    /// again.
    async fn confirm_subscription(
        &self,
        active: &Active,
        route: &Route,
        body: &Bytes,
        verified: bool,
        notes: &mut Notes,
    ) -> Step<()> {
        if !route.sns_confirm || !verified {
            return Ok(());
        }
        let Some(url) = verify::sns::subscribe_url(body) else {
            return Ok(());
        };
        let confirmed = match &active.keyring {
            Some(keyring) => keyring.confirm(&url).await,
            None => Err(FetchError::Busy),
        };
        if let Err(e) = confirmed {
            self.key_unavailable(route, &e, notes)?;
            return Ok(());
        }
        notes.detail = Some("SNS subscription confirmed".to_owned());
        let mut resp = Response::new(Full::new(Bytes::from_static(b"subscription confirmed\n")));
        resp.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Err((Outcome::Handshake, resp))
    }

    /// After verification, before dedup: the route's `filter`, then its `rules`. A delivery
    /// the filter does not match is answered `filter_status` with `Hookgate-Filtered: true` and
    /// not forwarded (nor remembered: a redelivery is filtered again); observe mode notes it
    /// and forwards anyway. The first rule that matches gives the path the app gets it on. An
    /// expression that fails on this delivery counts as no match, and is counted.
    fn filter<'r>(
        &self,
        route: &'r Route,
        parts: &http::request::Parts,
        body: &Bytes,
        notes: &mut Notes,
    ) -> Step<Option<&'r Rule>> {
        if route.filter.is_none() && route.rules.is_empty() {
            return Ok(None);
        }
        let input = crate::filter::Input {
            body,
            headers: &parts.headers,
            query: parts.uri.query(),
            route: &route.name,
            event_id: notes.event_id.as_deref(),
        };
        // Built once for the filter and every rule: the body is converted once.
        let filters = route
            .filter
            .iter()
            .chain(route.rules.iter().map(|r| &r.when));
        let scope = crate::filter::Scope::new(&input, filters);
        let mut failed = None;
        let mut eval = |f: &crate::filter::Filter| {
            f.matches_in(&scope).unwrap_or_else(|e| {
                self.recorder
                    .metrics
                    .filter_errors
                    .with_label_values(&[&*route.name])
                    .inc();
                failed.get_or_insert(e);
                false
            })
        };
        let wanted = route.filter.as_ref().is_none_or(&mut eval);
        let rule = route.rules.iter().find(|r| eval(&r.when));
        if let Some(e) = failed {
            notes
                .detail
                .get_or_insert_with(|| format!("an expression could not be evaluated: {e}"));
        }
        if wanted {
            return Ok(rule);
        }
        if route.mode == Mode::Observe {
            notes
                .detail
                .get_or_insert_with(|| "the filter would have dropped this delivery".to_owned());
            return Ok(rule);
        }
        let mut resp = Response::new(Full::new(Bytes::new()));
        *resp.status_mut() = route.filter_status;
        resp.headers_mut()
            .insert(HOOKGATE_FILTERED, HeaderValue::from_static("true"));
        Err((Outcome::Filtered, resp))
    }

    /// The delivery id of a verified request, when its route reads one: the id is noted for the
    /// log and sent to the app as `Hookgate-Event-Id` (in observe mode too), and the key it is
    /// remembered under (which names the id's source) is returned for the claim. Never of an
    /// unverified request: a forger must not be able to claim an id.
    fn event_id(
        &self,
        route: &Route,
        msg: &Message<'_>,
        verified: Option<&Verified>,
        notes: &mut Notes,
    ) -> Option<Arc<str>> {
        let k = route.dedup_key.as_ref()?.extract(msg, verified?)?;
        notes.event_id = Some(k.id);
        Some(k.key.into())
    }

    /// One copy of each header verification read: copies that differ are refused (400
    /// `ambiguous_header`: the app could read another than the one verified); copies that
    /// agree are forwarded once (the names returned). In observe mode the verdict is noted and
    /// the request forwarded as it came.
    fn single_copies(
        &self,
        route: &Route,
        msg: &Message<'_>,
        notes: &mut Notes,
    ) -> Step<Vec<HeaderName>> {
        let mut collapse = Vec::new();
        for name in msg.headers_read() {
            let mut copies = msg.headers.get_all(&name).iter();
            let Some(first) = copies.next() else {
                continue;
            };
            let mut more = copies.peekable();
            if more.peek().is_none() {
                continue;
            }
            if more.all(|v| v == first) {
                collapse.push(name);
                continue;
            }
            let detail = format!("the request has differing copies of the {name} header");
            if route.mode == Mode::Observe {
                notes.verdict.get_or_insert(Outcome::AmbiguousHeader);
                notes.detail.get_or_insert(detail);
                return Ok(Vec::new());
            }
            notes.detail = Some(detail);
            return Err(refuse(
                notes,
                Outcome::AmbiguousHeader,
                "the request carries differing copies of a header its signature scheme reads; send one",
            ));
        }
        Ok(collapse)
    }

    /// Step 7, dedup: claim the delivery's id, in enforce mode only (observe mode must not drop
    /// anything). `None`: nothing claimed (no id, or the store unreachable and the route
    /// forwards anyway).
    async fn claim(
        &self,
        active: &Active,
        handles: &Handles,
        route: &Route,
        dedup_key: Option<Arc<str>>,
        notes: &mut Notes,
    ) -> Step<Option<ClaimToken>> {
        let (Some(id), Mode::Enforce) = (dedup_key, route.mode) else {
            return Ok(None);
        };
        let key = DedupKey {
            route: route.name.clone(),
            id,
        };
        match handles.store.claim(key).await {
            Ok(Claim::Claimed(token)) => Ok(Some(token)),
            Ok(Claim::Done) => Err((
                Outcome::Duplicate,
                duplicate_response(active.live.dedup.duplicate_status),
            )),
            Ok(Claim::InFlight) => Err(refuse(
                notes,
                Outcome::DuplicateInFlight,
                "this delivery is being forwarded right now; retry later",
            )),
            Err(e) if active.live.dedup.on_unavailable == OnUnavailable::Forward => {
                notes.detail = Some(format!(
                    "{}; forwarded without dedup (on_unavailable: forward)",
                    error_chain(&e)
                ));
                self.recorder.forwarding_without_dedup(&route.name, &e);
                Ok(None)
            }
            Err(e) => {
                notes.detail = Some(error_chain(&e));
                Err(refuse(
                    notes,
                    Outcome::from(&e),
                    "the dedup store is unreachable; retry later",
                ))
            }
        }
    }

    /// Step 8, forward. In a task of its own: once verified and claimed, the exchange runs to its
    /// end even if the sender hangs up, so its outcome still settles the claim.
    async fn forward(
        self: &Arc<Self>,
        handles: &Handles,
        delivery: Delivery,
        route: &Route,
        notes: &mut Notes,
    ) -> Answer {
        let task = tokio::spawn(exchange(self.clone(), handles.clone(), delivery));
        let result = match task.await {
            Ok(r) => r,
            Err(join) => Err(ForwardError::Unavailable(Box::new(join))),
        };
        match result {
            Ok(relayed) => {
                let (mut head, body) = relayed.response.into_parts();
                if let Some(lost) = relayed.body_lost {
                    // The app accepted it: the sender must not deliver it again for want of a
                    // body it never reads.
                    notes.detail = Some(format!(
                        "the app accepted the delivery ({}); its answer is relayed without its body: {}",
                        head.status,
                        error_chain(&lost)
                    ));
                    head.headers
                        .insert(BODY_DROPPED, HeaderValue::from_static(lost.kind()));
                }
                let outcome = notes.verdict.unwrap_or(Outcome::Forwarded);
                (outcome, Response::from_parts(head, Full::new(body)))
            }
            Err(e) => {
                notes.detail = Some(error_chain(&e));
                let outcome = Outcome::from(&e);
                let message = match outcome {
                    Outcome::UpstreamTimeout => "the app behind hookgate did not answer in time",
                    _ => "the app behind hookgate is unreachable",
                };
                let resp = error_response(outcome, route.reject_status, message);
                (notes.verdict.unwrap_or(outcome), resp)
            }
        }
    }

    /// Step 8, queued routes: store the delivery durably, then answer at once; the deliverer
    /// (queue/deliver.rs) takes it to the app. The claim is settled on the store's answer: done
    /// once stored (the sender's retries are duplicates), freed if it could not be. In a task of
    /// its own, like a forward: a sender that hangs up does not cut a store half way.
    async fn enqueue(
        self: &Arc<Self>,
        handles: &Handles,
        d: Delivery,
        policy: DeliveryPolicy,
        notes: &mut Notes,
    ) -> Answer {
        let reject = d.route.reject_status;
        let gate = self.clone();
        let handles = handles.clone();
        let task = tokio::spawn(async move {
            let mut d = d;
            let shown = d.event_id.clone();
            let result = match &gate.queue {
                Some(queue) => queue.enqueue(queued(&mut d)).await,
                None => Err(crate::queue::QueueError::Closed),
            };
            let accepted = result.is_ok();
            settle(
                &gate,
                &handles,
                &d.claim,
                &d.series,
                accepted,
                shown.as_deref(),
            )
            .await;
            result
        });
        let result = match task.await {
            Ok(r) => r,
            Err(join) => Err(crate::queue::QueueError::Store(join.to_string())),
        };
        match result {
            Ok(id) => {
                notes.delivery_id = Some(id);
                let outcome = notes.verdict.unwrap_or(Outcome::Queued);
                (outcome, queued_response(policy.status, id))
            }
            Err(e) => {
                let outcome = Outcome::from(&e);
                notes.detail = Some(match (&e, &self.queue) {
                    (crate::queue::QueueError::Closed, None) => "the route is queued but no queue was opened at start (queue.path or queue.backend need a restart)".to_owned(),
                    _ => error_chain(&e),
                });
                let message = match outcome {
                    Outcome::QueueFull => "the delivery queue is full; retry later",
                    _ => "the delivery queue cannot take this delivery now; retry later",
                };
                (outcome, error_response(outcome, reject, message))
            }
        }
    }

    /// Resolves once no request holds a capacity slot. After the connections have drained,
    /// what is left are forwards whose sender hung up: they run detached from any connection
    /// (so the drain does not wait for them) and hold their slot until their claim settles.
    pub async fn idle(&self) {
        let all = u32::try_from(self.max_concurrency).unwrap_or(u32::MAX);
        let _all_free = self.limiter.acquire_many(all).await;
    }

    /// Why the gate is not ready for traffic, if it is not: a dedup store that cannot be
    /// reached makes every delivery a 503 (unless configured to forward without it), and so
    /// does a queue on Redis that cannot be reached.
    pub fn unready(&self) -> Option<&'static str> {
        if !self.store.healthy() && self.live().dedup.on_unavailable != OnUnavailable::Forward {
            return Some("the dedup store (redis) is unreachable");
        }
        if self.queue.as_ref().is_some_and(|q| !q.healthy()) {
            return Some("the queue's redis is unreachable");
        }
        None
    }
}

/// The ids of `keys` past their `not_after` at `now`, for the log line of a refusal (a sender
/// still signing with one is the likely cause).
fn expired_note(keys: &[Key], now: std::time::SystemTime) -> Option<String> {
    let ids: Vec<&str> = keys
        .iter()
        .filter(|k| !k.usable_at(now))
        .map(|k| &*k.id)
        .collect();
    (!ids.is_empty()).then(|| ids.join(", "))
}

/// A refusal: its answer, with its message kept for the log when nothing more precise was
/// noted. The status comes from the outcome (and the route's `reject_status`).
fn refuse(notes: &mut Notes, outcome: Outcome, message: &str) -> Answer {
    if notes.detail.is_none() {
        notes.detail = Some(message.to_owned());
    }
    let reject = notes
        .route
        .as_ref()
        .map_or(StatusCode::UNAUTHORIZED, |r| r.reject_status);
    (outcome, error_response(outcome, reject, message))
}

/// A delivery on its way to the app (verified, or in observe mode with its verdict), and what
/// its exchange holds until it ends.
struct Delivery {
    route: Arc<Route>,
    /// One of `upstreams:` by name (a rule's, else the route's); `None`: `upstream`.
    upstream: Option<Arc<str>>,
    series: Arc<RouteMetrics>,
    parts: http::request::Parts,
    body: Bytes,
    peer: SocketAddr,
    claim: Option<ClaimToken>,
    /// Observe mode: why it would have been refused.
    verdict: Option<Outcome>,
    event_id: Option<String>,
    /// The upstream call's span (a sync route), or the enqueue's (a queued one).
    trace: Scope,
    _held: Held,
}

/// A request's places in the bounds it counts against, given back when the exchange ends.
struct Held {
    _slots: Slots,
    _body: BodyHeld,
}

/// A concurrency slot: one of all, one of its source's.
struct Slots {
    _all: OwnedSemaphorePermit,
    _source: Holding,
}

/// A body's bytes in the memory budget: all requests', and its source's share.
struct BodyHeld {
    _all: OwnedSemaphorePermit,
    _source: Holding,
}

/// The request as the app gets it: one copy of each header in `collapse` (copies that agreed),
/// and the query string only if the route forwards it. Verification has read it as it came.
fn outbound(
    mut parts: http::request::Parts,
    route: &Route,
    collapse: &[HeaderName],
    rule: Option<&PathAndQuery>,
) -> http::request::Parts {
    // A rule's path, with the request's query (which the policy below may drop).
    if let Some(path) = rule {
        let target = match parts.uri.query() {
            Some(q) => format!("{}?{q}", path.path()),
            None => path.path().to_owned(),
        };
        let mut uri = http::uri::Parts::from(parts.uri.clone());
        uri.path_and_query = target.parse::<PathAndQuery>().ok();
        if let Ok(u) = Uri::from_parts(uri) {
            parts.uri = u;
        }
    }
    for name in collapse {
        if let Some(v) = parts.headers.get(name).cloned() {
            parts.headers.insert(name.clone(), v);
        }
    }
    if route.query == QueryPolicy::Drop && parts.uri.query().is_some() {
        let mut uri = http::uri::Parts::from(parts.uri.clone());
        uri.path_and_query = uri
            .path_and_query
            .and_then(|pq| pq.path().parse::<PathAndQuery>().ok());
        if let Ok(u) = Uri::from_parts(uri) {
            parts.uri = u;
        }
    }
    parts
}

/// What the queue stores of a delivery: the request as a sync forward would send it. Its head
/// is moved out (the delivery keeps its claim and its places in the bounds until stored).
fn queued(d: &mut Delivery) -> NewDelivery {
    // Each attempt continues the trace from here (queue/deliver.rs).
    if let Some(ctx) = d.trace.context_headers() {
        crate::otel::replace_context(&mut d.parts.headers, &ctx);
    }
    NewDelivery {
        route: d.route.name.to_string(),
        event_id: d.event_id.take(),
        upstream: d.upstream.as_deref().map(str::to_owned),
        request: crate::queue::Request {
            method: d.parts.method.clone(),
            uri: std::mem::take(&mut d.parts.uri),
            headers: std::mem::take(&mut d.parts.headers),
            client_ip: d.peer.ip(),
            verified: d.verdict.is_none().then(|| d.route.name.to_string()),
            verdict: d.verdict.map(|v| v.code().to_owned()),
            body: std::mem::take(&mut d.body),
        },
    }
}

/// The answer once a delivery is stored: `status` (202 unless the route says otherwise),
/// `Hookgate-Queued: true` and the delivery's id.
fn queued_response(status: StatusCode, id: u64) -> HttpResponse {
    let body = serde_json::json!({ "queued": true, "delivery_id": id.to_string() });
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(HOOKGATE_QUEUED, HeaderValue::from_static("true"));
    h.insert(crate::forward::HOOKGATE_DELIVERY_ID, HeaderValue::from(id));
    resp
}

const HOOKGATE_QUEUED: HeaderName = HeaderName::from_static("hookgate-queued");

/// The exchange with the app, then the claim settled on its result: done only when the app
/// accepted (2xx); anything else frees the id for the sender's retry.
async fn exchange(
    gate: Arc<Gate>,
    handles: Handles,
    mut d: Delivery,
) -> Result<Relayed, ForwardError> {
    let trace = d.trace.context_headers();
    let meta = ForwardMeta {
        verified: d.verdict.is_none().then_some(&*d.route.name),
        verdict: d.verdict.map(Outcome::code),
        event_id: d.event_id.as_deref(),
        client_ip: d.peer.ip(),
        proto: "http",
        host: d.parts.headers.get(HOST),
        attempt: None,
        trace: trace.as_ref(),
    };
    let start = Instant::now();
    let result = match handles.upstreams.get(d.upstream.as_deref()) {
        Some(upstream) => upstream.send(&d.parts, d.body, &meta).await,
        None => Err(ForwardError::unknown_upstream(d.upstream.as_deref())),
    };
    d.series
        .upstream_duration
        .observe(start.elapsed().as_secs_f64());
    if let Ok(r) = &result {
        d.series.upstream_response(r.response.status());
    }
    d.trace.answered(
        result
            .as_ref()
            .map(|r| r.response.status())
            .map_err(|e| Outcome::from(e).code()),
    );
    // The call ends here; settling the claim is not part of it.
    std::mem::take(&mut d.trace).end();
    let accepted = matches!(&result, Ok(r) if r.response.status().is_success());
    let shown = d.event_id.as_deref();
    settle(&gate, &handles, &d.claim, &d.series, accepted, shown).await;
    result
}

/// A delivery's claim settled: done when the app accepted it (or the queue stored it), freed
/// for the sender's retry otherwise. A store that cannot settle it is recorded, under the id
/// the log showed for the delivery (the store's key also names the id's source).
async fn settle(
    gate: &Gate,
    handles: &Handles,
    claim: &Option<ClaimToken>,
    series: &RouteMetrics,
    accepted: bool,
    shown: Option<&str>,
) {
    let Some(claim) = claim else { return };
    let step = if accepted {
        Settle::Commit
    } else {
        Settle::Release
    };
    let settled = match step {
        Settle::Commit => handles.store.commit(claim).await,
        Settle::Release => handles.store.release(claim).await,
    };
    if let Err(e) = settled {
        let id = shown.unwrap_or(&claim.key.id);
        gate.recorder
            .unsettled(series, &claim.key.route, id, step, &e);
    }
}

/// The client address: the socket's peer (or the PROXY header's source, server.rs), unless
/// that is one of `trusted_proxies` vouching for another in `X-Forwarded-For`. Then the app's
/// copy of the header keeps only the hops left of the client's, and the forward appends the
/// client: the rightmost hop the app reads is the address the allowlist checked.
fn client_addr(live: &Live, peer: SocketAddr, req: &mut Request<Incoming>) -> SocketAddr {
    let Some(found) =
        crate::peer::from_forwarded_for(&live.trusted_proxies, peer.ip(), req.headers())
    else {
        return peer;
    };
    let headers = req.headers_mut();
    headers.remove(crate::peer::X_FORWARDED_FOR);
    if let Ok(v) = HeaderValue::from_str(&found.before) {
        if !found.before.is_empty() {
            headers.insert(crate::peer::X_FORWARDED_FOR, v);
        }
    }
    // Port 0: the header names no port hookgate could vouch for.
    SocketAddr::new(found.client, 0)
}

/// The verification span's verdict: the refusal's code, or observe mode's would-be one, and
/// the secret that matched (its id, never its value).
fn verdict_of(check: &Scope, verified: &Step<Option<Verified>>, notes: &Notes) {
    match verified {
        Err((o, _)) => check.fail(o.code()),
        Ok(None) => {
            if let Some(v) = notes.verdict {
                check.set("hookgate.verdict", || v.code());
            }
        }
        Ok(Some(_)) => {}
    }
    if let Some(id) = &notes.secret {
        check.set("hookgate.secret_id", || id.to_string());
    }
}

/// The delivery span's attributes, from what the request's notes say once it is answered:
/// the same names the log line uses. Never a secret, a signature or a body.
fn described(span: &Scope, notes: &Notes, outcome: Outcome, status: StatusCode) {
    if let Some(route) = &notes.route {
        span.set("hookgate.route", || route.name.to_string());
    }
    span.set("hookgate.outcome", || outcome.code());
    if let Some(id) = &notes.event_id {
        span.set("hookgate.event_id", || id.clone());
    }
    if let Some(id) = &notes.secret {
        span.set("hookgate.secret_id", || id.to_string());
    }
    if let Some(v) = notes.verdict {
        span.set("hookgate.verdict", || v.code());
    }
    if let Some(id) = notes.delivery_id {
        span.set("hookgate.delivery_id", || id.to_string());
    }
    span.set("http.response.status_code", || i64::from(status.as_u16()));
    // As HTTP servers do: a 4xx is the sender's fault, not an error of this span (the
    // outcome says which refusal it was).
    if status.is_server_error() {
        span.fail(outcome.code());
    }
}
