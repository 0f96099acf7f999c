//! Wiring: metrics, the dedup store and the gate, the worker threads (each builds its own
//! upstream client and store handle where it starts and hands them to every request it
//! serves), the admin server, live reload, shutdown.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin::{self, Readiness};
use crate::clock::Clock;
use crate::config::{Backend, Config, DeliveryMode, Startup};
use crate::dedup::{DedupError, MemoryStore, RedisStore, SnapshotError, Store, Ttls};
use crate::forward::{Upstream, Upstreams};
use crate::gate::{Gate, Handles};
use crate::metrics::{Metrics, NO_ROUTE};
use crate::otel::Traces;
use crate::outcome::Outcome;
use crate::queue::{Deliverer, PolicyOf, Queue, QueueError};
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
    #[error("{0}")]
    Queue(#[from] QueueError),
    #[error("cannot start the worker threads: {0}")]
    Workers(#[from] std::io::Error),
}

/// Builds everything requests share: the metrics, the dedup store, the gate.
pub fn build_gate(config: &Config, clock: Clock, traces: &Traces) -> Result<Arc<Gate>, AppError> {
    let startup = &config.startup;
    // Route series are created with the gate (and again for each reloaded config). Only the
    // memory store counts its entries and evictions (the backend needs a restart).
    let metrics = Metrics::new(startup.dedup.backend == Backend::Memory)?;
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
    let route_names: Vec<Arc<str>> = config.live.routes.iter().map(|r| r.name.clone()).collect();
    let evictions = metrics.dedup_evictions.clone();
    let ttls = Ttls {
        done: startup.dedup.ttl,
        in_flight: startup.longest_upstream_timeout() + IN_FLIGHT_MARGIN,
    };
    let store = match &startup.dedup.redis {
        Some(redis) => Store::Redis(RedisStore::start(redis, ttls, startup.workers)?),
        None => {
            let memory = MemoryStore::new(
                startup.dedup.max_entries,
                ttls,
                &route_names,
                Arc::new(move |route: &str| evictions.with_label_values(&[route]).inc()),
            );
            if let Some(snap) = &startup.dedup.snapshot {
                restore(&memory, &snap.path);
            }
            Store::Memory(memory)
        }
    };
    let queue = match &startup.queue {
        Some(q) => Some(Queue::open(q, &metrics)?),
        None => None,
    };
    Ok(Arc::new(Gate::new(
        Arc::new(config.live.clone()),
        &startup.limits,
        store,
        metrics,
        clock,
        queue,
        traces.clone(),
    )))
}

/// Starts delivering the queue's deliveries, each route's on the policy in force when its
/// attempt starts.
fn deliverer(gate: &Arc<Gate>, startup: &Arc<Startup>) -> Result<Option<Deliverer>, AppError> {
    let Some(queue) = gate.queue.clone() else {
        return Ok(None);
    };
    let g = gate.clone();
    let policy_of: PolicyOf = Arc::new(move |route: &str| {
        let live = g.live();
        live.routes
            .iter()
            .find(|r| &*r.name == route)
            .and_then(|r| match r.delivery {
                DeliveryMode::Queued(p) => Some(p),
                DeliveryMode::Sync => None,
            })
            .unwrap_or(live.queue_defaults)
    });
    let startup = startup.clone();
    let upstreams = move || upstreams(&startup);
    let traces = gate.traces.clone();
    Ok(Some(Deliverer::start(queue, upstreams, policy_of, traces)?))
}

/// Worker `index`'s own handles, built on its thread: upstream pools whose connections only
/// it drives, and its handle on the dedup store.
fn handles(startup: &Startup, store: &Store, index: usize) -> Arc<Handles> {
    Arc::new(Handles {
        upstreams: upstreams(startup),
        store: store.for_worker(index),
    })
}

/// A client, with pools of its own, for `upstream` and each of `upstreams:`.
fn upstreams(startup: &Startup) -> Upstreams {
    let client = |up: &crate::config::UpstreamConfig| {
        Upstream::new(up.target.clone(), up.timeout, up.pool_idle_timeout)
            .with_max_response_body(up.max_response_body)
    };
    let named = startup
        .upstreams
        .iter()
        .map(|(name, up)| (Arc::from(name.as_str()), client(up)));
    Upstreams::new(client(&startup.upstream), named)
}

/// Runs hookgate until `shutdown` resolves, then drains within the configured grace period.
/// The config stays as given (see `run_reloading`).
pub async fn run(
    config: Config,
    listeners: Listeners,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), AppError> {
    serve(config, listeners, clock, shutdown, None, Traces::default()).await
}

/// `run`, reloading the config from `source` on SIGHUP and when its files change (reload.rs),
/// with deliveries traced to `traces` (otel.rs; set up from the environment by the binary).
pub async fn run_reloading(
    config: Config,
    listeners: Listeners,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send,
    source: reload::Source,
    traces: Traces,
) -> Result<(), AppError> {
    serve(config, listeners, clock, shutdown, Some(source), traces).await
}

async fn serve(
    config: Config,
    listeners: Listeners,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send,
    reload_from: Option<reload::Source>,
    traces: Traces,
) -> Result<(), AppError> {
    let gate = build_gate(&config, clock, &traces)?;
    let Config {
        startup,
        live,
        secret_files,
        ..
    } = config;
    let startup = Arc::new(startup);
    let shutdown_at = Arc::new(OnceLock::new());
    // Before the workers: a failure to start it stops hookgate before any traffic.
    let deliverer = Arc::new(deliverer(&gate, &startup)?);

    // Workers 1.. on their own threads, started first so that running out of threads fails
    // before anything else runs; they idle until the balancer hands them connections. Worker 0
    // is this task, which also runs the balancer (it owns the listener and the shutdown
    // signal: when it stops, the workers drain).
    let limits = workers::ConnectionLimits {
        total: startup.limits.max_connections,
        per_source: startup.limits.per_source.max_connections,
        sources: gate.sources.clone(),
        exempt: trusted_proxy(&gate),
    };
    let refused = {
        let gate = gate.clone();
        Arc::new(move |why, peer| {
            let reason = match why {
                workers::Refused::Total => "total",
                workers::Refused::PerSource => "per_source",
            };
            gate.recorder.connection_refused(reason, peer);
        })
    };
    let (balancer, inboxes) = workers::balancer(startup.workers, limits, refused);
    let _ = gate.connections.set(balancer.open_counter());
    let mut inboxes = inboxes.into_iter();
    let own = inboxes.next();
    let mut others = Vec::new();
    for (index, inbox) in (1..).zip(inboxes) {
        let (gate, startup, shutdown_at) = (gate.clone(), startup.clone(), shutdown_at.clone());
        let started = workers::spawn(index, move || async move {
            let handles = handles(&startup, &gate.store, index);
            work(gate, handles, inbox, &startup, &shutdown_at, false).await
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
        let running = reload::Running {
            startup: (*startup).clone(),
            secret_files,
        };
        tokio::spawn(reload::run(gate.clone(), source, running, hangup))
    });
    let ready = Readiness::default();

    let (stop_admin, admin_stopped) = watch::channel(false);
    let admin_task = {
        let gate = gate.clone();
        let ready = ready.clone();
        let builder = server::http1_builder(startup.limits.header_timeout);
        let mut rx = admin_stopped;
        let incoming = server::until(listeners.admin, async move {
            let _ = rx.wait_for(|stop| *stop).await;
        });
        tokio::spawn(server::serve(
            incoming,
            builder,
            server::Guards::default(),
            move |peer: std::net::SocketAddr, _meter| {
                let gate = gate.clone();
                let ready = ready.clone();
                tower::service_fn(move |req| admin::handle(gate.clone(), ready.clone(), peer, req))
            },
            Arc::new(|e: &hyper::Error, peer| {
                tracing::debug!(listener = "admin", %peer, error = %e, "connection ended with an error");
            }),
            Duration::from_secs(1),
            "admin",
        ))
    };

    let ready_on_shutdown = ready.clone();
    let at = shutdown_at.clone();
    let stopping = deliverer.clone();
    let grace = startup.shutdown_grace;
    let shutdown = async move {
        shutdown.await;
        let _ = at.set(Instant::now());
        // No new attempts from now; those in progress have the grace period.
        if let Some(d) = &*stopping {
            d.stop(grace);
        }
        // Not ready first, so the load balancer stops sending while we drain.
        ready_on_shutdown.set(false);
        tracing::info!("shutting down: draining in-flight requests");
    };
    ready.set(true);
    tracing::info!(
        listen = %startup.listen,
        admin = %startup.admin_listen,
        upstream = %startup.upstream.url,
        upstreams = startup.upstreams.len(),
        routes = live.routes.len(),
        workers = startup.workers,
        "hookgate ready"
    );
    let (_, mut drained) = tokio::join!(balancer.run(listeners.main, shutdown), async {
        match own {
            Some(inbox) => {
                let handles = handles(&startup, &gate.store, 0);
                work(gate.clone(), handles, inbox, &startup, &shutdown_at, true).await
            }
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
    if let Some(d) = Arc::into_inner(deliverer).flatten() {
        // Said at the signal already; again in case the listener ended on its own.
        let left = shutdown_at.get().map_or(Duration::ZERO, |at| {
            startup.shutdown_grace.saturating_sub(at.elapsed())
        });
        d.stop(left);
        d.finish().await;
    }
    if let Some(queue) = gate.queue.clone() {
        // Intake has drained: commit what it stored and stop the writer (a thread join: off
        // this event loop).
        let _ = tokio::task::spawn_blocking(move || queue.close()).await;
    }
    let _ = stop_admin.send(true);
    let _ = admin_task.await;
    if let (Store::Memory(memory), Some(snap)) = (&gate.store, &startup.dedup.snapshot) {
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

/// Whether an address is one of the `trusted_proxies` in force when asked (a reload changes
/// them for the connections that start after it).
fn trusted_proxy(gate: &Arc<Gate>) -> Arc<dyn Fn(std::net::IpAddr) -> bool + Send + Sync> {
    let gate = gate.clone();
    Arc::new(move |ip| gate.live().trusted_proxies.contains(ip))
}

/// One worker's share: serve the connections in its inbox until the balancer stops, drain
/// them, then wait for the forwards still running on this thread (their sender hung up, so the
/// drain did not wait for them) within what is left of the grace period: the runtime they run
/// on ends with this function, and an id the upstream accepted must not be left in flight.
/// `first`: the worker that says so when the grace period runs out (once for all).
async fn work(
    gate: Arc<Gate>,
    handles: Arc<Handles>,
    inbox: workers::Inbox,
    startup: &Startup,
    shutdown_at: &OnceLock<Instant>,
    first: bool,
) -> bool {
    let grace = startup.shutdown_grace;
    let g = gate.clone();
    let recorder = gate.clone();
    // Trusted proxies are read from the config in force as each connection starts.
    let proxy = startup.proxy_protocol.then(|| {
        let (trusting, refusing) = (gate.clone(), gate.clone());
        Arc::new(server::ProxyProtocol {
            trusted: trusted_proxy(&trusting),
            timeout: startup.limits.header_timeout,
            on_refused: Arc::new(move |reason, peer| {
                refusing.recorder.connection_refused(reason, peer);
            }),
            sources: gate.sources.clone(),
            per_source_connections: startup.limits.per_source.max_connections,
        })
    });
    let drained = server::serve(
        inbox,
        server::http1_builder(startup.limits.header_timeout),
        server::Guards {
            heads: Some(gate.heads.clone()),
            proxy,
            shared_peer: Some(trusted_proxy(&gate)),
        },
        move |peer, meter| stack::build(g.clone(), handles.clone(), peer, meter),
        Arc::new(move |e: &hyper::Error, peer| recorder.recorder.connection(e, peer)),
        grace,
        "main",
    )
    .await;
    let left = shutdown_at
        .get()
        .map_or(grace, |at| grace.saturating_sub(at.elapsed()));
    let settled = tokio::time::timeout(left, gate.idle()).await.is_ok();
    if !settled && first {
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
