//! The durable queue of `delivery: queued` routes: a delivery is stored (synced to disk) before
//! its sender is answered, then attempted until the app accepts it (2xx) or it becomes a dead
//! letter.
//!
//! - `store.rs`: the redb file and the one writer thread that commits changes in groups.
//! - `record.rs`: what is stored of a delivery (metadata apart from the request's bytes).
//! - `redis.rs`: the same on Redis Streams (`queue.backend: redis`), shared by replicas.
//! - `deliver.rs`: the deliverer, on a thread of its own: what is due, per route, within its
//!   concurrency and rate; one attempt at a time per delivery; backoff with full jitter.
//!
//! The schedule (`Index`) lives in memory, rebuilt from the metadata at start: which
//! deliveries wait, per route, in due order. It knows nothing of HTTP; forwarding is the
//! deliverer's, with the upstream client it is handed.

mod deliver;
mod record;
mod redis;
mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
};
use tokio::sync::{oneshot, Notify};

use crate::config::{QueueConfig, QueueStore};
use crate::metrics::Metrics;

pub use deliver::{Deliverer, PolicyOf};
pub use record::{Meta, Request};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is full (queue.max_bytes: {max} bytes); retry later")]
    Full { max: u64 },
    #[error("the queue is stopping")]
    Closed,
    #[error("the queue store failed: {0}")]
    Store(String),
    /// Redis did not answer (or the answer was lost): nothing is known to have changed, and
    /// the same step may succeed later.
    #[error("the queue's redis is unreachable: {0}")]
    Unreachable(String),
    #[error("the queue store {} is damaged ({detail}). hookgate will not start on it, so that nothing it holds is lost or half read: move the file aside (keep it to inspect or recover) to start with an empty queue, or restore it from a backup", path.display())]
    Damaged { path: PathBuf, detail: String },
    #[error("cannot open the queue store {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Handle on the queue; clones share it.
#[derive(Clone)]
pub struct Queue {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    backend: Backend,
    config: QueueConfig,
    /// What this process schedules: every waiting delivery (embedded), or those this replica
    /// has taken from Redis and not settled yet.
    index: Mutex<Index>,
    /// The deliverer waits on it: something new is due.
    wake: Notify,
    /// Embedded: bytes of deliveries held (waiting and dead), reserved before a delivery is
    /// written. (Redis counts them in Redis, where every replica sees them.)
    bytes: AtomicU64,
    metrics: QueueMetrics,
}

/// Where deliveries are kept.
pub(crate) enum Backend {
    Embedded(store::Embedded),
    Redis(redis::RedisQueue),
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Dead,
}

/// A new delivery for the queue.
pub struct NewDelivery {
    pub route: String,
    pub event_id: Option<String>,
    /// One of `upstreams:` by name; `None`: `upstream`.
    pub upstream: Option<String>,
    pub request: Request,
}

impl Queue {
    /// Opens the store: the embedded file (refusing a damaged one, rebuilding the schedule
    /// and starting the writer), or the Redis backend (connecting in the background: until
    /// Redis answers, intake answers 503 and `/readyz` says not ready).
    pub fn open(config: &QueueConfig, metrics: &Metrics) -> Result<Self, QueueError> {
        let queue_metrics =
            QueueMetrics::new(metrics).map_err(|e| QueueError::Store(e.to_string()))?;
        queue_metrics
            .max_bytes
            .set(i64::try_from(config.max_bytes).unwrap_or(i64::MAX));
        match &config.store {
            QueueStore::Embedded { path } => {
                let (db, index) = store::open(path)?;
                let held = index.bytes();
                let (tx, rx) = mpsc::channel();
                let shared = Arc::new(Shared {
                    backend: Backend::Embedded(store::Embedded::new(db, path.clone(), tx)),
                    config: config.clone(),
                    index: Mutex::new(index),
                    wake: Notify::new(),
                    bytes: AtomicU64::new(held),
                    metrics: queue_metrics,
                });
                let for_writer = shared.clone();
                let handle = std::thread::Builder::new()
                    .name("hookgate-queue-writer".into())
                    .spawn(move || store::run(&for_writer, rx))
                    .map_err(|e| QueueError::Io {
                        path: path.clone(),
                        source: e,
                    })?;
                if let Backend::Embedded(e) = &shared.backend {
                    e.set_writer(handle);
                }
                let (pending, dead) = {
                    let i = shared.lock_index();
                    (i.waiting(), i.dead.len())
                };
                tracing::info!(path = %path.display(), pending, dead_letters = dead, bytes = held, "queue store opened");
                Ok(Self { shared })
            }
            QueueStore::Redis { redis: settings } => {
                let backend = redis::RedisQueue::start(settings, config)?;
                let shared = Arc::new(Shared {
                    backend: Backend::Redis(backend),
                    config: config.clone(),
                    index: Mutex::new(Index::default()),
                    wake: Notify::new(),
                    bytes: AtomicU64::new(0),
                    metrics: queue_metrics,
                });
                tracing::info!(url = %settings.url, "queue on redis");
                Ok(Self { shared })
            }
        }
    }

    /// Stores a delivery durably; its id once it is on disk (or in Redis).
    pub async fn enqueue(&self, d: NewDelivery) -> Result<u64, QueueError> {
        let request = d.request.encode();
        let bytes = request.len() as u64;
        let now = now_ms();
        let meta = Meta {
            route: d.route,
            event_id: d.event_id,
            upstream: d.upstream,
            received_ms: now,
            attempts: 0,
            due_ms: now,
            bytes,
            last: None,
            dead_ms: None,
            dead_reason: None,
        };
        match &self.shared.backend {
            Backend::Redis(r) => {
                let id = r.enqueue(&meta, &request).await?;
                self.shared.wake.notify_one();
                Ok(id)
            }
            Backend::Embedded(e) => {
                self.shared.reserve(bytes)?;
                let (reply, answer) = oneshot::channel();
                let sent = e.send(store::Op::Enqueue {
                    meta,
                    request,
                    reply,
                });
                let result = match sent {
                    Ok(()) => answer.await.unwrap_or(Err(QueueError::Closed)),
                    Err(e) => Err(e),
                };
                if result.is_err() {
                    self.shared.unreserve(bytes);
                }
                result
            }
        }
    }

    /// Metadata of waiting deliveries or dead letters, oldest first.
    pub async fn list(&self, state: State, limit: usize) -> Result<Vec<(u64, Meta)>, QueueError> {
        match &self.shared.backend {
            Backend::Embedded(e) => store::list(e.db(), state, limit),
            Backend::Redis(r) => r.list(state, limit).await,
        }
    }

    /// One delivery, waiting or dead; its request (body included) only when asked.
    pub async fn show(
        &self,
        id: u64,
        with_request: bool,
    ) -> Result<Option<(State, Meta, Option<Request>)>, QueueError> {
        match &self.shared.backend {
            Backend::Embedded(e) => store::show(e.db(), id, with_request),
            Backend::Redis(r) => r.show(None, id, with_request).await,
        }
    }

    /// Dead letters back to the queue, due now: one, or all.
    pub async fn replay(&self, id: Option<u64>) -> Result<usize, QueueError> {
        match &self.shared.backend {
            Backend::Redis(r) => {
                let n = r.replay(id).await?;
                self.shared.wake.notify_one();
                Ok(n)
            }
            Backend::Embedded(e) => {
                let (reply, answer) = oneshot::channel();
                e.send(store::Op::Replay {
                    id,
                    now_ms: now_ms(),
                    reply,
                })?;
                answer.await.unwrap_or(Err(QueueError::Closed))
            }
        }
    }

    /// Dead letters removed: one, or all.
    pub async fn purge(&self, id: Option<u64>) -> Result<usize, QueueError> {
        match &self.shared.backend {
            Backend::Redis(r) => r.purge(id).await,
            Backend::Embedded(e) => {
                let (reply, answer) = oneshot::channel();
                e.send(store::Op::Purge { id, reply })?;
                answer.await.unwrap_or(Err(QueueError::Closed))
            }
        }
    }

    /// Per-route counts and totals, for the admin API. `in_progress`: attempts running on
    /// this replica.
    pub async fn summary(&self) -> Result<serde_json::Value, QueueError> {
        let now = now_ms();
        let in_flight: BTreeMap<String, usize> = self
            .shared
            .lock_index()
            .lanes
            .iter()
            .map(|(name, lane)| (name.to_string(), lane.in_flight))
            .collect();
        let stats = match &self.shared.backend {
            Backend::Embedded(_) => self.shared.lock_index().stats(),
            Backend::Redis(r) => r.stats().await?,
        };
        let routes: serde_json::Map<String, serde_json::Value> = stats
            .routes
            .iter()
            .map(|(name, route)| {
                (
                    name.clone(),
                    serde_json::json!({
                        "pending": route.pending,
                        "in_progress": in_flight.get(name).copied().unwrap_or(0),
                        "dead_letters": route.dead,
                        "oldest_age_seconds": route.oldest_ms.map(|t| now.saturating_sub(t) / 1000),
                    }),
                )
            })
            .collect();
        let bytes = match &self.shared.backend {
            Backend::Embedded(_) => self.shared.bytes.load(Ordering::Relaxed),
            Backend::Redis(_) => stats.bytes,
        };
        Ok(serde_json::json!({
            "backend": match &self.shared.backend {
                Backend::Embedded(_) => "embedded",
                Backend::Redis(_) => "redis",
            },
            "pending": stats.routes.values().map(|r| r.pending).sum::<usize>(),
            "dead_letters": stats.dead,
            "bytes": bytes,
            "max_bytes": self.shared.config.max_bytes,
            "routes": routes,
        }))
    }

    /// Sets the gauges (before a scrape): read off the schedule (embedded), or from Redis (the
    /// last counts read, while it does not answer).
    pub async fn refresh_gauges(&self) {
        let m = &self.shared.metrics;
        let now = now_ms();
        let (stats, disk) = match &self.shared.backend {
            Backend::Embedded(e) => {
                let mut stats = self.shared.lock_index().stats();
                stats.bytes = self.shared.bytes.load(Ordering::Relaxed);
                (stats, std::fs::metadata(e.path()).ok().map(|md| md.len()))
            }
            Backend::Redis(r) => (r.stats().await.unwrap_or_else(|_| r.last_stats()), None),
        };
        for (name, route) in &stats.routes {
            let name: &str = name;
            m.depth
                .with_label_values(&[name])
                .set(i64::try_from(route.pending).unwrap_or(i64::MAX));
            let age = route.oldest_ms.map_or(0, |t| now.saturating_sub(t));
            m.oldest_age
                .with_label_values(&[name])
                .set(i64::try_from(age / 1000).unwrap_or(i64::MAX));
            m.dead_letters
                .with_label_values(&[name])
                .set(i64::try_from(route.dead).unwrap_or(i64::MAX));
        }
        m.bytes.set(i64::try_from(stats.bytes).unwrap_or(i64::MAX));
        if let Some(len) = disk {
            m.disk_bytes.set(i64::try_from(len).unwrap_or(i64::MAX));
        }
    }

    /// Creates a route's series at zero (dashboards see 0, not no data).
    pub fn init_route(&self, route: &str) {
        let m = &self.shared.metrics;
        m.depth.with_label_values(&[route]);
        m.oldest_age.with_label_values(&[route]);
        m.dead_letters.with_label_values(&[route]);
        m.retries.with_label_values(&[route]);
        m.dead_lettered.with_label_values(&[route]);
        for o in deliver::ATTEMPT_OUTCOMES {
            m.attempts.with_label_values(&[route, o]);
        }
        if let Backend::Redis(r) = &self.shared.backend {
            r.know_route(route);
        }
    }

    /// Embedded: commits what is waiting and stops the writer; later changes are refused.
    pub fn close(&self) {
        if let Backend::Embedded(e) = &self.shared.backend {
            e.close();
        }
    }

    /// Whether the store can take deliveries: always for the file (a failing disk answers
    /// each delivery 503), while the last contact succeeded for Redis.
    pub fn healthy(&self) -> bool {
        match &self.shared.backend {
            Backend::Embedded(_) => true,
            Backend::Redis(r) => r.healthy(),
        }
    }

    /// The embedded store's file.
    pub fn path(&self) -> Option<&std::path::Path> {
        match &self.shared.backend {
            Backend::Embedded(e) => Some(e.path()),
            Backend::Redis(_) => None,
        }
    }
}

/// Counts for the admin API and the gauges.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stats {
    pub routes: BTreeMap<String, RouteStats>,
    pub dead: usize,
    pub bytes: u64,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct RouteStats {
    /// Waiting, being attempted included.
    pub pending: usize,
    pub dead: usize,
    /// When the oldest waiting delivery was accepted (Unix milliseconds).
    pub oldest_ms: Option<u64>,
}

impl Shared {
    /// Room for `bytes` more, or `Full`.
    fn reserve(&self, bytes: u64) -> Result<(), QueueError> {
        let max = self.config.max_bytes;
        self.bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(bytes).filter(|&n| n <= max)
            })
            .map(|_| ())
            .map_err(|_| QueueError::Full { max })
    }

    fn unreserve(&self, bytes: u64) {
        let _ = self
            .bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                Some(held.saturating_sub(bytes))
            });
    }

    fn lock_index(&self) -> MutexGuard<'_, Index> {
        lock(&self.index)
    }
}

/// A poisoned lock still guards consistent data here (every critical section is a few map
/// updates that cannot panic half-way); keep going rather than take the process down.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn store_error(e: impl std::fmt::Display) -> QueueError {
    QueueError::Store(e.to_string())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The schedule: every waiting delivery by route in due order, and the dead letters' sizes.
/// About 100 bytes per waiting delivery (it is what a backlog costs in memory: sizing.rs).
#[derive(Default)]
pub(crate) struct Index {
    lanes: BTreeMap<Arc<str>, Lane>,
    dead: BTreeMap<u64, (Arc<str>, u64)>,
}

/// A waiting delivery, in its route's lane.
struct Slot {
    received_ms: u64,
    bytes: u64,
    /// Attempts made. Kept here, not read back from the store: a retry's new count is
    /// committed with the next group, and the retry may fall due before that.
    attempts: u32,
}

/// One route's deliveries.
#[derive(Default)]
struct Lane {
    /// Waiting, by id (acceptance order).
    waiting: BTreeMap<u64, Slot>,
    /// Not being attempted, by due time then id.
    ready: BTreeSet<(u64, u64)>,
    /// Being attempted.
    in_flight: usize,
    /// The rate limit's next free start (Unix milliseconds, fractional).
    next_start_ms: f64,
    dead: usize,
    /// The app is down or overloaded (refused, timed out, 429, 503): nothing starts before this
    /// (Unix milliseconds). The whole route waits, rather than each waiting delivery finding
    /// out for itself: an app coming back is not met by the whole backlog at once, and what
    /// waits keeps its order.
    paused_until: u64,
    /// Such failures in a row, for the pause's backoff.
    failures: u32,
}

impl Lane {
    fn oldest_ms(&self) -> Option<u64> {
        self.waiting.first_key_value().map(|(_, s)| s.received_ms)
    }
}

/// An attempt the deliverer is to start.
pub(crate) struct Due {
    pub id: u64,
    pub route: Arc<str>,
    /// When it fell due: a route-wide pause puts it back at this place.
    pub due_ms: u64,
    /// Attempts made before this one.
    pub attempts: u32,
}

impl Index {
    fn lane(&mut self, route: &str) -> (Arc<str>, &mut Lane) {
        let key: Arc<str> = match self.lanes.get_key_value(route) {
            Some((k, _)) => k.clone(),
            None => Arc::from(route),
        };
        let lane = self.lanes.entry(key.clone()).or_default();
        (key, lane)
    }

    fn add_pending(&mut self, id: u64, meta: &Meta) {
        let (_, lane) = self.lane(&meta.route);
        lane.waiting.insert(
            id,
            Slot {
                received_ms: meta.received_ms,
                bytes: meta.bytes,
                attempts: meta.attempts,
            },
        );
        lane.ready.insert((meta.due_ms, id));
    }

    fn waiting(&self) -> usize {
        self.lanes.values().map(|l| l.waiting.len()).sum()
    }

    fn add_dead(&mut self, id: u64, meta: &Meta) {
        let (route, lane) = self.lane(&meta.route);
        lane.dead += 1;
        self.dead.insert(id, (route, meta.bytes));
    }

    /// A dead letter's size, when it was one.
    fn remove_dead(&mut self, id: u64) -> Option<u64> {
        let (route, bytes) = self.dead.remove(&id)?;
        if let Some(lane) = self.lanes.get_mut(&route) {
            lane.dead = lane.dead.saturating_sub(1);
        }
        Some(bytes)
    }

    /// The route's app failed as a whole: the route waits `pause` (`None`: its own backoff,
    /// from the failures in a row). Returns how long it waits.
    fn pause(
        &mut self,
        route: &str,
        now: u64,
        pause: Option<Duration>,
        policy: &crate::config::DeliveryPolicy,
    ) -> Duration {
        let Some(lane) = self.lanes.get_mut(route) else {
            return Duration::ZERO;
        };
        lane.failures = lane.failures.saturating_add(1);
        let wait = pause.unwrap_or_else(|| deliver::route_backoff(policy, lane.failures));
        let until = now.saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        lane.paused_until = lane.paused_until.max(until);
        wait
    }

    /// Whether the route waits for its app now.
    fn paused(&self, route: &str, now: u64) -> bool {
        self.lanes.get(route).is_some_and(|l| l.paused_until > now)
    }

    /// The route's app accepted a delivery: no pause any more.
    fn resume(&mut self, route: &str) {
        if let Some(lane) = self.lanes.get_mut(route) {
            lane.failures = 0;
            lane.paused_until = 0;
        }
    }

    /// An attempt at `route`'s delivery `id` ended: it leaves the schedule (delivered, or
    /// dead: then `dead` keeps its size; returns its size), or comes back due at `retry_at`.
    fn finish(
        &mut self,
        route: &Arc<str>,
        id: u64,
        retry_at: Option<u64>,
        dead: bool,
    ) -> Option<u64> {
        let lane = self.lanes.get_mut(route)?;
        lane.in_flight = lane.in_flight.saturating_sub(1);
        let slot = lane.waiting.get_mut(&id)?;
        slot.attempts = slot.attempts.saturating_add(1);
        let bytes = slot.bytes;
        if let Some(at) = retry_at {
            lane.ready.insert((at, id));
            return Some(bytes);
        }
        lane.waiting.remove(&id);
        if dead {
            lane.dead += 1;
            self.dead.insert(id, (route.clone(), bytes));
        }
        Some(bytes)
    }

    /// What may start now, within each route's concurrency and rate, and when the next
    /// waiting delivery falls due (`None`: nothing waits on a time).
    fn take_due(&mut self, now: u64, policy_of: &PolicyOf) -> (Vec<Due>, Option<u64>) {
        let mut start = Vec::new();
        let mut next: Option<u64> = None;
        let mut soonest = |t: u64| next = Some(next.map_or(t, |n| n.min(t)));
        for (route, lane) in &mut self.lanes {
            let policy = policy_of(route);
            if lane.paused_until > now {
                if !lane.ready.is_empty() {
                    soonest(lane.paused_until);
                }
                continue;
            }
            while lane.in_flight < policy.concurrency {
                let Some(&(due, id)) = lane.ready.first() else {
                    break;
                };
                if due > now {
                    soonest(due);
                    break;
                }
                if let Some(rate) = policy.rate {
                    if lane.next_start_ms > now as f64 {
                        soonest(lane.next_start_ms.ceil() as u64);
                        break;
                    }
                    lane.next_start_ms = lane.next_start_ms.max(now as f64) + 1000.0 / rate;
                }
                lane.ready.pop_first();
                lane.in_flight += 1;
                start.push(Due {
                    id,
                    route: route.clone(),
                    due_ms: due,
                    attempts: lane.waiting.get(&id).map_or(0, |s| s.attempts),
                });
            }
        }
        (start, next)
    }

    /// The schedule's counts (the embedded backend's whole queue).
    fn stats(&self) -> Stats {
        Stats {
            routes: self
                .lanes
                .iter()
                .map(|(name, lane)| {
                    (
                        name.to_string(),
                        RouteStats {
                            pending: lane.waiting.len(),
                            dead: lane.dead,
                            oldest_ms: lane.oldest_ms(),
                        },
                    )
                })
                .collect(),
            dead: self.dead.len(),
            bytes: 0,
        }
    }

    fn bytes(&self) -> u64 {
        let waiting: u64 = self
            .lanes
            .values()
            .flat_map(|l| l.waiting.values())
            .map(|s| s.bytes)
            .sum();
        waiting + self.dead.values().map(|(_, b)| b).sum::<u64>()
    }
}

/// The queue's series, on hookgate's registry.
pub(crate) struct QueueMetrics {
    depth: IntGaugeVec,
    oldest_age: IntGaugeVec,
    dead_letters: IntGaugeVec,
    bytes: IntGauge,
    max_bytes: IntGauge,
    disk_bytes: IntGauge,
    pub attempts: IntCounterVec,
    pub retries: IntCounterVec,
    pub dead_lettered: IntCounterVec,
    pub dead_letters_dropped: IntCounter,
    commit_size: Histogram,
    fsync_seconds: Histogram,
}

impl QueueMetrics {
    fn new(metrics: &Metrics) -> Result<Self, prometheus::Error> {
        let gauge = |name: &str, help: &str| IntGaugeVec::new(Opts::new(name, help), &["route"]);
        let m = Self {
            depth: gauge("hookgate_queue_depth", "Deliveries waiting for the app (being attempted included), by route.")?,
            oldest_age: gauge("hookgate_queue_oldest_age_seconds", "Age of the oldest waiting delivery, by route (0 when none).")?,
            dead_letters: gauge("hookgate_queue_dead_letters", "Dead letters kept, by route.")?,
            bytes: IntGauge::new("hookgate_queue_bytes", "Bytes of deliveries held: waiting and dead letters.")?,
            max_bytes: IntGauge::new("hookgate_queue_max_bytes", "queue.max_bytes: past it new deliveries are answered 503.")?,
            disk_bytes: IntGauge::new("hookgate_queue_disk_bytes", "Size of the queue's store file.")?,
            attempts: IntCounterVec::new(
                Opts::new("hookgate_queue_attempts_total", "Delivery attempts by route and outcome (delivered, rejected: a non-2xx answer, unavailable, timeout)."),
                &["route", "outcome"],
            )?,
            retries: IntCounterVec::new(Opts::new("hookgate_queue_retries_total", "Failed attempts scheduled for another try, by route."), &["route"])?,
            dead_lettered: IntCounterVec::new(Opts::new("hookgate_queue_dead_lettered_total", "Deliveries that became dead letters, by route."), &["route"])?,
            dead_letters_dropped: IntCounter::new("hookgate_queue_dead_letters_dropped_total", "Dead letters dropped because the list was full (queue.max_dead_letters).")?,
            commit_size: Histogram::with_opts(
                HistogramOpts::new("hookgate_queue_commit_size", "New deliveries per synced commit (group commit).")
                    .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0]),
            )?,
            fsync_seconds: Histogram::with_opts(
                HistogramOpts::new("hookgate_queue_fsync_seconds", "Time of a synced commit of the queue's store.")
                    .buckets(vec![0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0]),
            )?,
        };
        metrics.register(Box::new(m.depth.clone()))?;
        metrics.register(Box::new(m.oldest_age.clone()))?;
        metrics.register(Box::new(m.dead_letters.clone()))?;
        metrics.register(Box::new(m.bytes.clone()))?;
        metrics.register(Box::new(m.max_bytes.clone()))?;
        metrics.register(Box::new(m.disk_bytes.clone()))?;
        metrics.register(Box::new(m.attempts.clone()))?;
        metrics.register(Box::new(m.retries.clone()))?;
        metrics.register(Box::new(m.dead_lettered.clone()))?;
        metrics.register(Box::new(m.dead_letters_dropped.clone()))?;
        metrics.register(Box::new(m.commit_size.clone()))?;
        metrics.register(Box::new(m.fsync_seconds.clone()))?;
        Ok(m)
    }
}

/// How long to wait at most before looking at the schedule again when nothing is due.
const IDLE_CHECK: Duration = Duration::from_secs(60);
