//! The deliverer: sends queued deliveries to the app, on a thread of its own (its own event
//! loop and upstream pool, so retries never compete with intake for a worker).
//!
//! A loop takes what is due from the schedule, per route within its `concurrency` and `rate`,
//! and starts one attempt per delivery. An attempt forwards exactly as a sync route does (the
//! same client and header hygiene), adding `Hookgate-Delivery-Id`, `Hookgate-Delivery-Attempt`
//! and `Hookgate-Received-At`. A 2xx removes the delivery; anything else schedules another try
//! after an exponential backoff with full jitter (or the app's `Retry-After` on 429/503), until
//! `max_attempts` or `max_age` make it a dead letter. Each attempt is one log line.

use std::sync::Arc;
use std::time::Duration;

use http::header::{HOST, RETRY_AFTER};
use http::StatusCode;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::redis::Lease;
use super::{now_ms, store, Backend, Due, Queue, QueueError, Request, IDLE_CHECK};
use crate::config::DeliveryPolicy;
use crate::forward::{Attempt, ForwardError, ForwardMeta, Relayed, Upstreams};
use crate::otel::{Scope, SpanKind, Traces};

/// The policy of a route's deliveries, looked up as each attempt starts (so a reload's new
/// values apply to the next attempt): the route's own, or the `queue:` defaults for a route
/// that is gone or no longer queued.
pub type PolicyOf = Arc<dyn Fn(&str) -> DeliveryPolicy + Send + Sync>;

/// The `outcome` label values of `hookgate_queue_attempts_total`.
pub const ATTEMPT_OUTCOMES: [&str; 4] = ["delivered", "rejected", "unavailable", "timeout"];

/// The longest `Retry-After` honoured: a day (a larger one is read as a day).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The running deliverer.
pub struct Deliverer {
    /// `Some(deadline)`: stop starting attempts, let those running finish until then.
    stop: watch::Sender<Option<tokio::time::Instant>>,
    done: tokio::sync::oneshot::Receiver<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Deliverer {
    /// Starts delivering on a new thread; `upstreams` builds the clients there (their pools
    /// are driven by that thread's event loop).
    pub fn start(
        queue: Queue,
        upstreams: impl FnOnce() -> Upstreams + Send + 'static,
        policy_of: PolicyOf,
        traces: Traces,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = watch::channel(None);
        let (tx, done) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("hookgate-queue".into())
            .spawn(move || {
                runtime.block_on(run(queue, upstreams(), policy_of, stopped, traces));
                let _ = tx.send(());
            })?;
        Ok(Self { stop, done, thread })
    }

    /// Starts no more attempts from now; those in progress may finish within `grace`, the
    /// rest stay queued for the next start.
    pub fn stop(&self, grace: Duration) {
        let _ = self.stop.send(Some(tokio::time::Instant::now() + grace));
    }

    /// Waits for the deliverer to end (after `stop`).
    pub async fn finish(self) {
        let _ = self.done.await;
        let thread = self.thread;
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
}

/// Where the deliverer settles what it attempts: the embedded store's writer, or Redis
/// through the deliverer's own connection and lease.
#[derive(Clone)]
enum Link {
    Embedded,
    Redis(Arc<Lease>),
}

/// How often a Redis deliverer looks for new deliveries when nothing wakes it (another
/// replica's intake, a retry falling due).
const POLL: Duration = Duration::from_millis(100);

async fn run(
    queue: Queue,
    upstreams: Upstreams,
    policy_of: PolicyOf,
    mut stop: watch::Receiver<Option<tokio::time::Instant>>,
    traces: Traces,
) {
    let Some(link) = link(&queue, &mut stop).await else {
        return;
    };
    let mut attempts = JoinSet::new();
    let mut redis_ok = true;
    let mut next_renew = tokio::time::Instant::now();
    let deadline = loop {
        if let Some(deadline) = *stop.borrow() {
            break deadline;
        }
        if let Link::Redis(lease) = &link {
            let now = tokio::time::Instant::now();
            let mut r = Ok(());
            if now >= next_renew {
                r = lease.renew().await;
                next_renew = now + renew_every(&queue);
            }
            if r.is_ok() {
                r = take(&queue, lease, &policy_of).await;
            }
            match (r, redis_ok) {
                (Err(e), true) => {
                    tracing::warn!(error = %e, "queue: cannot take deliveries from redis; retrying");
                    redis_ok = false;
                }
                (Ok(()), false) => {
                    tracing::info!("queue: taking deliveries from redis again");
                    redis_ok = true;
                }
                _ => {}
            }
        }
        let (due, next) = queue.shared.lock_index().take_due(now_ms(), &policy_of);
        for d in due {
            let policy = policy_of(&d.route);
            attempts.spawn(attempt(
                queue.clone(),
                link.clone(),
                upstreams.clone(),
                d,
                policy,
                traces.clone(),
            ));
        }
        let mut wait = next.map_or(IDLE_CHECK, |t| {
            Duration::from_millis(t.saturating_sub(now_ms())).min(IDLE_CHECK)
        });
        if matches!(link, Link::Redis(_)) {
            wait = wait.min(POLL);
        }
        tokio::select! {
            () = queue.shared.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break tokio::time::Instant::now();
                }
            }
            Some(_) = attempts.join_next(), if !attempts.is_empty() => {}
        }
    };
    let finished = tokio::time::timeout_at(deadline, async {
        while attempts.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            abandoned = attempts.len(),
            "grace period over: queued deliveries still being attempted stay queued for the next start"
        );
    }
    attempts.abort_all();
    if let Link::Redis(lease) = &link {
        let n = lease.release_all().await;
        if n > 0 {
            tracing::info!(
                released = n,
                "queue: deliveries this replica held and did not settle are handed to the next replica to look"
            );
        }
    }
}

/// The deliverer's link to the store; for Redis, once a connection of its own (driven by this
/// thread's event loop) is open. None: asked to stop first.
async fn link(
    queue: &Queue,
    stop: &mut watch::Receiver<Option<tokio::time::Instant>>,
) -> Option<Link> {
    let Backend::Redis(r) = &queue.shared.backend else {
        return Some(Link::Embedded);
    };
    let mut wait = Duration::from_millis(100);
    loop {
        if stop.borrow().is_some() {
            return None;
        }
        match r.connect().await {
            Ok(conn) => return Some(Link::Redis(Arc::new(Lease::new(r, conn)))),
            Err(e) => {
                tracing::warn!(error = %e, "queue: the deliverer cannot connect to redis; retrying")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Held entries are renewed three times per visibility timeout: a busy event loop or a slow
/// Redis answer does not let another replica take over what this one is attempting.
fn renew_every(queue: &Queue) -> Duration {
    match &queue.shared.backend {
        Backend::Redis(r) => r.visibility() / 3,
        Backend::Embedded(_) => IDLE_CHECK,
    }
}

/// Takes from Redis what each route has room for (twice its concurrency, held here and not
/// settled), unless the route waits for its app.
async fn take(queue: &Queue, lease: &Lease, policy_of: &PolicyOf) -> Result<(), QueueError> {
    let now = now_ms();
    for route in lease.routes().await? {
        if queue.shared.lock_index().paused(&route, now) {
            continue;
        }
        let room = policy_of(&route)
            .concurrency
            .saturating_mul(2)
            .saturating_sub(lease.held_for(&route));
        if room == 0 {
            continue;
        }
        let taken = lease.take(&route, room).await?;
        let mut index = queue.shared.lock_index();
        for t in taken {
            index.add_pending(t.id, &t.meta);
        }
    }
    Ok(())
}

/// How an attempt ended.
enum Ended {
    Delivered(StatusCode),
    Failed {
        outcome: &'static str,
        last: String,
        retry_after: Option<Duration>,
        /// Not this delivery's fault: the app refused the connection, did not answer in time,
        /// or said 429/503. The route waits as a whole.
        app_down: bool,
    },
}

async fn attempt(
    queue: Queue,
    link: Link,
    upstreams: Upstreams,
    due: Due,
    policy: DeliveryPolicy,
    traces: Traces,
) {
    let shared = &queue.shared;
    let id = due.id;
    let (mut meta, request) = match link.load(&queue, id).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            // Removed meanwhile (a purge raced the schedule), or its request is missing:
            // nothing to deliver; whatever is left of it goes.
            shared.lock_index().finish(&due.route, id, None, false);
            link.delivered(&queue, &due.route, id).await;
            return;
        }
        Err(e @ QueueError::Unreachable(_)) => {
            // Not the delivery's fault: Redis did not answer. It stays where it is (this
            // replica's pending entry), to be taken again after the visibility timeout.
            shared.lock_index().finish(&due.route, id, None, false);
            if let Link::Redis(lease) = &link {
                lease.let_go(id);
            }
            tracing::warn!(route = %due.route, delivery = id, error = %e, "cannot read a queued delivery now; it is tried again after the visibility timeout");
            return;
        }
        Err(e) => {
            tracing::error!(route = %due.route, delivery = id, error = %e, "cannot read a queued delivery; it becomes a dead letter");
            let now = now_ms();
            shared.lock_index().finish(&due.route, id, None, true);
            shared
                .metrics
                .dead_lettered
                .with_label_values(&[&due.route])
                .inc();
            let meta = super::Meta {
                route: due.route.to_string(),
                event_id: None,
                upstream: None,
                received_ms: now,
                attempts: 0,
                due_ms: now,
                bytes: 0,
                last: Some("unreadable".into()),
                dead_ms: Some(now),
                dead_reason: Some(format!("unreadable: {e}")),
            };
            link.dead(&queue, id, meta).await;
            return;
        }
    };
    // The schedule's counts, not the store's: the last retry's may not be committed yet.
    meta.attempts = due.attempts + 1;
    meta.due_ms = due.due_ms;
    let received_at = rfc3339(meta.received_ms);
    // A child of the trace stored with the delivery (the intake's enqueue span, or the
    // sender's context when the intake was not traced).
    let span = traces.start("hookgate.attempt", SpanKind::Consumer, &request.headers);
    span.set("hookgate.route", || due.route.to_string());
    span.set("hookgate.delivery_id", || id.to_string());
    span.set("hookgate.attempt", || i64::from(meta.attempts));
    if let Some(e) = &meta.event_id {
        span.set("hookgate.event_id", || e.clone());
    }
    let result = send(&upstreams, id, &meta, &received_at, request, &span).await;
    span.set("hookgate.outcome", || match &result {
        Ended::Delivered(_) => "delivered",
        Ended::Failed { outcome, .. } => *outcome,
    });
    if let Ended::Failed { outcome, .. } = &result {
        span.fail(outcome);
    }
    span.end();
    let route: &str = &due.route;
    let now = now_ms();
    match result {
        Ended::Delivered(status) => {
            shared
                .metrics
                .attempts
                .with_label_values(&[route, "delivered"])
                .inc();
            let freed = {
                let mut index = shared.lock_index();
                index.resume(route);
                index.finish(&due.route, id, None, false)
            };
            if let (Some(bytes), Link::Embedded) = (freed, &link) {
                shared.unreserve(bytes);
            }
            link.delivered(&queue, &due.route, id).await;
            tracing::info!(target: "hookgate::queue", route, delivery = id, event_id = meta.event_id.as_deref(), attempt = meta.attempts, status = status.as_u16(), outcome = "delivered", waited_ms = now.saturating_sub(meta.received_ms), "queued delivery accepted by the app");
        }
        Ended::Failed {
            outcome,
            last,
            retry_after,
            app_down,
        } => {
            shared
                .metrics
                .attempts
                .with_label_values(&[route, outcome])
                .inc();
            let age = Duration::from_millis(now.saturating_sub(meta.received_ms));
            let out_of = if meta.attempts >= policy.max_attempts {
                Some("max_attempts")
            } else if age >= policy.max_age {
                Some("max_age")
            } else {
                None
            };
            meta.last = Some(last.clone());
            // The app as a whole is down or overloaded: the route waits, and this delivery
            // keeps its place (its due time is unchanged).
            let route_wait =
                app_down.then(|| shared.lock_index().pause(route, now, retry_after, &policy));
            if let Some(reason) = out_of {
                shared.lock_index().finish(&due.route, id, None, true);
                shared
                    .metrics
                    .dead_lettered
                    .with_label_values(&[route])
                    .inc();
                meta.dead_ms = Some(now);
                meta.dead_reason = Some(reason.into());
                tracing::warn!(target: "hookgate::queue", route, delivery = id, event_id = meta.event_id.as_deref(), attempt = meta.attempts, result = %last, outcome, reason, "queued delivery failed for good: it is a dead letter now (hookgate queue ls)");
                link.dead(&queue, id, meta).await;
            } else {
                let (at, wait) = match route_wait {
                    Some(wait) => (meta.due_ms, wait),
                    None => {
                        let wait = retry_after.unwrap_or_else(|| backoff(&policy, meta.attempts));
                        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                        (now.saturating_add(ms), wait)
                    }
                };
                meta.due_ms = at;
                shared.metrics.retries.with_label_values(&[route]).inc();
                tracing::warn!(target: "hookgate::queue", route, delivery = id, event_id = meta.event_id.as_deref(), attempt = meta.attempts, result = %last, outcome, next_try_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), route_paused = app_down, "queued delivery attempt failed; it will be retried");
                link.retry(&queue, &due.route, id, meta, app_down).await;
            }
        }
    }
    shared.wake.notify_one();
}

impl Link {
    /// The stored delivery, read back (embedded: a read transaction, never waiting for the
    /// writer).
    async fn load(
        &self,
        queue: &Queue,
        id: u64,
    ) -> Result<Option<(super::Meta, Request)>, QueueError> {
        let found = match self {
            Link::Redis(lease) => lease.load(id).await?,
            Link::Embedded => match &queue.shared.backend {
                Backend::Embedded(e) => store::show(e.db(), id, true)?,
                Backend::Redis(_) => None,
            },
        };
        match found {
            Some((super::State::Pending, meta, Some(request))) => Ok(Some((meta, request))),
            _ => Ok(None),
        }
    }

    /// A change for the embedded store's writer.
    fn write(queue: &Queue, op: store::Op) -> Result<(), QueueError> {
        match &queue.shared.backend {
            Backend::Embedded(e) => e.send(op),
            Backend::Redis(_) => Ok(()),
        }
    }

    /// The app accepted it (the schedule has forgotten it already).
    async fn delivered(&self, queue: &Queue, route: &str, id: u64) {
        match self {
            Link::Redis(lease) => {
                if let Err(e) = lease.done(route, id).await {
                    tracing::warn!(route, delivery = id, error = %e, "queue: cannot settle a delivered delivery in redis: it will be delivered again after the visibility timeout");
                }
            }
            Link::Embedded => {
                let _ = Self::write(queue, store::Op::Delivered { id });
            }
        }
    }

    /// Another try at `meta.due_ms`. `stays`: the app is down, so the delivery keeps its place
    /// here; otherwise, on Redis, it goes back for any replica to take when due.
    async fn retry(
        &self,
        queue: &Queue,
        route: &Arc<str>,
        id: u64,
        meta: super::Meta,
        stays: bool,
    ) {
        let keep_here = stays || matches!(self, Link::Embedded);
        let at = keep_here.then_some(meta.due_ms);
        queue.shared.lock_index().finish(route, id, at, false);
        let r = match self {
            Link::Redis(lease) if stays => lease.touch(id, &meta).await,
            Link::Redis(lease) => lease.retry(id, &meta).await,
            Link::Embedded => Self::write(queue, store::Op::Retry { id, meta }),
        };
        if let Err(e) = r {
            tracing::warn!(route = %route, delivery = id, error = %e, "queue: cannot record a failed attempt; the delivery is tried again after the visibility timeout");
        }
    }

    /// It failed for good (the schedule has moved it already).
    async fn dead(&self, queue: &Queue, id: u64, meta: super::Meta) {
        let route = meta.route.clone();
        let lease = match self {
            Link::Redis(lease) => lease,
            Link::Embedded => {
                let _ = Self::write(queue, store::Op::Dead { id, meta });
                return;
            }
        };
        match lease.dead(id, &meta).await {
            Ok(dropped) if !dropped.is_empty() => {
                let n = u64::try_from(dropped.len()).unwrap_or(u64::MAX);
                queue.shared.metrics.dead_letters_dropped.inc_by(n);
                tracing::warn!(dropped = ?dropped, "queue: the oldest dead letters were dropped: queue.max_dead_letters reached");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(route, delivery = id, error = %e, "queue: cannot make a delivery a dead letter in redis; it is tried again after the visibility timeout");
            }
        }
    }
}

async fn send(
    upstreams: &Upstreams,
    id: u64,
    meta: &super::Meta,
    received_at: &str,
    request: Request,
    span: &Scope,
) -> Ended {
    let mut builder = http::Request::builder()
        .method(request.method.clone())
        .uri(request.uri.clone());
    if let Some(h) = builder.headers_mut() {
        *h = request.headers.clone();
    }
    let parts = match builder.body(()) {
        Ok(r) => r.into_parts().0,
        Err(e) => {
            return Ended::Failed {
                outcome: "unavailable",
                last: format!("cannot build the request: {e}"),
                retry_after: None,
                app_down: false,
            }
        }
    };
    let fm = ForwardMeta {
        verified: request.verified.as_deref(),
        verdict: request.verdict.as_deref(),
        event_id: meta.event_id.as_deref(),
        client_ip: request.client_ip,
        proto: "http",
        host: request.headers.get(HOST),
        attempt: Some(Attempt {
            delivery_id: id,
            number: meta.attempts,
            received_at,
        }),
        trace: None,
    };
    // A name no longer configured (a restart dropped it from `upstreams:`): this delivery is
    // retried, then a dead letter, never sent somewhere else; the route's other deliveries
    // are not held up for it.
    let Some(upstream) = upstreams.get(meta.upstream.as_deref()) else {
        let name = meta.upstream.as_deref().unwrap_or("upstream");
        return Ended::Failed {
            outcome: "unavailable",
            last: format!("unavailable: no upstream named {name:?} is configured"),
            retry_after: None,
            app_down: false,
        };
    };
    let call = span.child("hookgate.upstream", SpanKind::Client);
    let trace = call.context_headers();
    let fm = ForwardMeta {
        trace: trace.as_ref(),
        ..fm
    };
    let result = upstream.send(&parts, request.body, &fm).await;
    call.answered(
        result
            .as_ref()
            .map(|r| r.response.status())
            .map_err(|e| crate::outcome::Outcome::from(e).code()),
    );
    call.end();
    classify(result)
}

fn classify(r: Result<Relayed, ForwardError>) -> Ended {
    match r {
        Ok(r) if r.response.status().is_success() => Ended::Delivered(r.response.status()),
        Ok(r) => {
            let status = r.response.status();
            let retry_after = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            )
            .then(|| retry_after(r.response.headers().get(RETRY_AFTER)?))
            .flatten();
            let busy = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            );
            Ended::Failed {
                outcome: "rejected",
                last: status.as_u16().to_string(),
                retry_after,
                app_down: busy,
            }
        }
        Err(e @ ForwardError::Timeout(_)) => Ended::Failed {
            outcome: "timeout",
            last: format!("timeout: {e}"),
            retry_after: None,
            app_down: true,
        },
        Err(e) => Ended::Failed {
            outcome: "unavailable",
            last: format!("unavailable: {}", crate::outcome::error_chain(&e)),
            retry_after: None,
            app_down: true,
        },
    }
}

/// `Retry-After` as seconds or an HTTP date, at most a day.
fn retry_after(v: &http::HeaderValue) -> Option<Duration> {
    let s = v.to_str().ok()?.trim();
    let wait = match s.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let format = time::format_description::well_known::Rfc2822;
            let at = time::OffsetDateTime::parse(s, &format).ok()?;
            let now = time::OffsetDateTime::now_utc();
            Duration::try_from(at - now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Exponential backoff with full jitter: a random wait up to `initial * 2^(attempt-1)`, at
/// most `max_backoff` (so retries of many deliveries that failed together spread out).
fn backoff(policy: &DeliveryPolicy, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(32);
    let cap = policy
        .initial_backoff
        .saturating_mul(1u32 << exp.min(31))
        .min(policy.max_backoff);
    let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=cap_ms))
}

/// How long a route waits after `failures` whole-app failures in a row: the same doubling,
/// with equal jitter (half fixed, half random) so the app is never retried at once in a loop.
pub(super) fn route_backoff(policy: &DeliveryPolicy, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(31);
    let cap = policy
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(policy.max_backoff);
    let half = u64::try_from(cap.as_millis() / 2).unwrap_or(u64::MAX);
    Duration::from_millis(half + fastrand::u64(0..=half))
}

fn rfc3339(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> DeliveryPolicy {
        DeliveryPolicy {
            concurrency: 1,
            rate: None,
            max_attempts: 5,
            max_age: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            status: StatusCode::ACCEPTED,
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter_below() {
        let p = policy();
        for (attempt, cap) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (5, 1600),
            (6, 2000),
            (40, 2000),
        ] {
            let waits: Vec<u128> = (0..200).map(|_| backoff(&p, attempt).as_millis()).collect();
            assert!(
                waits.iter().all(|&w| w <= cap),
                "attempt {attempt}: {waits:?}"
            );
            // Full jitter: spread over the whole range, not bunched at the cap.
            assert!(waits.iter().any(|&w| w < cap / 2), "attempt {attempt}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_bounded() {
        let v = |s: &'static str| http::HeaderValue::from_static(s);
        assert_eq!(retry_after(&v("7")), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(&v("999999999")), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after(&v("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&v("soon")), None);
    }
}
