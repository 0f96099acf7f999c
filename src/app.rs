//! Wiring: metrics, dedup store, upstream client, the gate, and the two servers; live reload;
//! shutdown.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin::{self, Readiness};
use crate::config::Config;
use crate::dedup::{DedupError, MemoryStore, RedisStore, SnapshotError, Store, Ttls};
use crate::error::Outcome;
use crate::forward::Upstream;
use crate::gate::{Clock, Gate};
use crate::metrics::{Metrics, NO_ROUTE};
use crate::{reload, server, stack, workers};

/// How long an unsettled in-flight claim outlives the upstream timeout before it expires on its
/// own (a claimer always settles; this bounds the damage of one that cannot).
const IN_FLIGHT_MARGIN: Duration = Duration::from_secs(30);

/// The listeners hookgate serves on, bound by the caller (tests bind 127.0.0.1:0).
pub struct Listeners {
    pub main: TcpListener,
    pub admin: TcpListener,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot register metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("dedup store: {0}")]
    Dedup(#[from] DedupError),
    #[error("cannot start the worker threads: {0}")]
    Workers(#[from] std::io::Error),
}

/// Builds everything shared by requests.
pub fn build_gate(config: Arc<Config>, clock: Clock) -> Result<Arc<Gate>, AppError> {
    // Route series are created with the gate (and again for each reloaded config).
    // Only the memory store counts its entries and evictions (the backend needs a restart).
    let metrics = Metrics::new(config.dedup.redis.is_none())?;
    for o in [
        Outcome::NoRoute,
        Outcome::RequestTimeout,
        Outcome::BadRequest,
    ] {
        metrics.requests.with_label_values(&[NO_ROUTE, o.code()]);
    }
    for result in ["success", "failure"] {
        metrics.config_reloads.with_label_values(&[result]);
    }
    let route_names: Vec<Arc<str>> = config.routes.iter().map(|r| r.name.clone()).collect();
    let evictions = metrics.dedup_evictions.clone();
    let ttls = Ttls {
        done: config.dedup.ttl,
        in_flight: config.upstream.timeout + IN_FLIGHT_MARGIN,
    };
    let store = match &config.dedup.redis {
        Some(redis) => Store::Redis(RedisStore::start(redis, ttls, config.workers)?),
        None => {
            let memory = MemoryStore::new(
                config.dedup.max_entries,
                ttls,
                &route_names,
                Arc::new(move |route: &str| evictions.with_label_values(&[route]).inc()),
            );
            if let Some(snap) = &config.dedup.snapshot {
                restore(&memory, &snap.path);
            }
            Store::Memory(memory)
        }
    };
    let upstream = Upstream::pooled(
        config.upstream.target.clone(),
        config.upstream.timeout,
        config.upstream.pool_idle_timeout,
        config.workers,
    )
    .with_max_response_body(config.upstream.max_response_body);
    Ok(Arc::new(Gate::new(config, store, upstream, metrics, clock)))
}

/// Runs hookgate until `shutdown` resolves, then drains within the configured grace period.
/// The config stays as given (see `run_reloading`).
pub async fn run(
    config: Config,
    listeners: Listeners,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), AppError> {
    serve(config, listeners, clock, shutdown, None).await
}

/// `run`, reloading the config from `source` on SIGHUP and when its files change (reload.rs).
pub async fn run_reloading(
    config: Config,
    listeners: Listeners,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send,
    source: reload::Source,
) -> Result<(), AppError> {
    serve(config, listeners, clock, shutdown, Some(source)).await
}

async fn serve(
    config: Config,
    listeners: Listeners,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send,
    reload_from: Option<reload::Source>,
) -> Result<(), AppError> {
    let config = Arc::new(config);
    let gate = build_gate(config.clone(), clock)?;
    let grace = config.shutdown_grace;
    let header_timeout = config.limits.header_timeout;
    let shutdown_at = Arc::new(OnceLock::new());

    // Workers 1.. on their own threads, started first so that running out of threads fails
    // before anything else runs; they idle until the balancer hands them connections. Worker 0
    // is this task, which also runs the balancer (it owns the listener and the shutdown
    // signal: when it stops, the workers drain).
    let (balancer, inboxes) = workers::balancer(config.workers);
    let mut inboxes = inboxes.into_iter();
    let own = inboxes.next();
    let mut others = Vec::new();
    for (index, inbox) in (1..).zip(inboxes) {
        let (gate, shutdown_at) = (gate.clone(), shutdown_at.clone());
        let started = workers::spawn(index, move || async move {
            work(gate, inbox, header_timeout, grace, &shutdown_at).await
        });
        match started {
            Ok(w) => others.push(w),
            Err(e) => {
                // Dropping the balancer closes the inboxes of those already running.
                drop(balancer);
                for w in others {
                    w.finish().await;
                }
                return Err(e.into());
            }
        }
    }

    // Before readiness: SIGHUP's default action is to terminate, so the handler must be in
    // place before anyone could think it is safe to send one.
    let reloader = reload_from.map(|source| {
        let hangup = reload::hangup();
        tokio::spawn(reload::run(gate.clone(), source, hangup))
    });
    let ready = Readiness::default();

    let (stop_admin, admin_stopped) = watch::channel(false);
    let admin_task = {
        let gate = gate.clone();
        let ready = ready.clone();
        let builder = server::http1_builder(header_timeout);
        let mut rx = admin_stopped;
        let incoming = server::until(listeners.admin, async move {
            let _ = rx.wait_for(|stop| *stop).await;
        });
        tokio::spawn(server::serve(
            incoming,
            builder,
            move |_peer| {
                let gate = gate.clone();
                let ready = ready.clone();
                tower::service_fn(move |req| admin::handle(gate.clone(), ready.clone(), req))
            },
            Arc::new(|_: &hyper::Error| {}),
            Duration::from_secs(1),
            "admin",
        ))
    };

    let ready_on_shutdown = ready.clone();
    let at = shutdown_at.clone();
    let shutdown = async move {
        shutdown.await;
        let _ = at.set(Instant::now());
        // Not ready first, so the load balancer stops sending while we drain.
        ready_on_shutdown.set(false);
        tracing::info!("shutting down: draining in-flight requests");
    };
    ready.set(true);
    tracing::info!(
        listen = %config.listen,
        admin = %config.admin_listen,
        upstream = %config.upstream.url,
        routes = config.routes.len(),
        workers = config.workers,
        "hookgate ready"
    );
    let (_, mut drained) = tokio::join!(balancer.run(listeners.main, shutdown), async {
        match own {
            Some(inbox) => work(gate.clone(), inbox, header_timeout, grace, &shutdown_at).await,
            None => true,
        }
    });
    for w in others {
        drained &= w.finish().await;
    }
    if let Some(r) = reloader {
        // At an await point: a reload being loaded is dropped, never half-installed.
        r.abort();
    }
    let _ = stop_admin.send(true);
    let _ = admin_task.await;
    if let (Store::Memory(memory), Some(snap)) = (&gate.store, &config.dedup.snapshot) {
        match memory.save(&snap.path, snap.max_entries) {
            Ok(n) => {
                tracing::info!(path = %snap.path.display(), entries = n, "dedup snapshot written")
            }
            Err(e) => {
                tracing::error!(path = %snap.path.display(), error = %e, "cannot write the dedup snapshot")
            }
        }
    }
    tracing::info!(drained, "hookgate stopped");
    Ok(())
}

/// One worker's share: serve the connections in its inbox until the balancer stops, drain
/// them, then wait for the forwards still running on this thread (their sender hung up, so the
/// drain did not wait for them) within what is left of the grace period: the runtime they run
/// on ends with this function, and an id the upstream accepted must not be left in flight.
async fn work(
    gate: Arc<Gate>,
    inbox: workers::Inbox,
    header_timeout: Duration,
    grace: Duration,
    shutdown_at: &OnceLock<Instant>,
) -> bool {
    let g = gate.clone();
    let drained = server::serve(
        inbox,
        server::http1_builder(header_timeout),
        move |peer| stack::build(g.clone(), peer),
        count_connection_errors(gate.metrics.clone()),
        grace,
        "main",
    )
    .await;
    let left = shutdown_at
        .get()
        .map_or(grace, |at| grace.saturating_sub(at.elapsed()));
    let settled = tokio::time::timeout(left, gate.idle()).await.is_ok();
    if !settled && workers::current() == 0 {
        tracing::warn!(
            ?grace,
            "grace period over; abandoning forwards still in flight"
        );
    }
    drained && settled
}

/// Restores the memory store's snapshot; a missing file is a first start, a bad one is logged
/// and ignored (starting empty is safe: at worst a retry is delivered twice).
fn restore(memory: &MemoryStore, path: &std::path::Path) {
    match memory.load(path) {
        Ok(n) => tracing::info!(path = %path.display(), entries = n, "dedup snapshot restored"),
        Err(SnapshotError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::info!(path = %path.display(), "no dedup snapshot yet");
        }
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "ignoring the dedup snapshot"),
    }
}

/// Requests that failed before reaching the gate (no route known yet) still count, under
/// `route="none"`: a malformed request or slow headers are outcomes like any other.
fn count_connection_errors(metrics: Metrics) -> server::ConnErrorHook {
    Arc::new(move |e: &hyper::Error| {
        let outcome = if e.is_timeout() {
            Outcome::RequestTimeout
        } else if e.is_parse() || e.is_parse_too_large() {
            Outcome::BadRequest
        } else {
            // Resets and hang-ups between requests are not requests.
            return;
        };
        metrics.record(NO_ROUTE, outcome, 0.0);
    })
}

/// Resolves on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
