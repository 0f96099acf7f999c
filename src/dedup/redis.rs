//! The shared dedup store: Redis, so several replicas agree on what was delivered.
//!
//! Same states as the memory store, each transition one atomic round trip:
//! - claim: `SET key inflight:<token> NX PX <in-flight ttl>`; if taken, report `done` or
//!   `in flight` from the current value (a Lua script, so the read is atomic with the write);
//! - commit: `done` with the long TTL, only if the value is still our token;
//! - release: `DEL`, only if the value is still our token.
//!
//! An in-flight claim expires on its own, so a replica that dies mid-forward blocks an id for
//! at most the in-flight TTL. The connection manager reconnects by itself; every operation is
//! bounded by a timeout, and a failure is a `DedupError` that says what failed (503 or
//! fail-open, as configured).
//!
//! Each worker thread gets a handle of its own (`for_worker`, made where the worker starts),
//! and through it a connection of its own once Redis answers: a connection's I/O runs on the
//! thread that opened it, and with one shared connection (opened on worker 0) every claim and
//! commit from another worker was two cross-thread hand-offs, the second worker's Redis I/O was
//! done by the first, and the tail latency showed it. Until a worker's own connection is up,
//! its operations use the first one.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};
use tokio::sync::OnceCell;

use super::{Claim, ClaimToken, DedupError, DedupKey, Ttls};
use crate::secret::Secret;

/// How to reach Redis (`dedup.redis` in the config, all of it but `on_unavailable`, which is
/// the gate's policy). Bound to the open connections: changing it needs a restart.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RedisSettings {
    /// `redis://host:port/db` or `rediss://` (TLS); never holds the password (see `password`).
    pub url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Prepended to every key, so several hookgates (or apps) can share one Redis.
    pub key_prefix: String,
    /// Per operation; past it the operation fails as if Redis were down.
    pub timeout: Duration,
}

impl RedisSettings {
    /// A client for these settings (credentials from `username`/`password`, never the URL).
    pub fn client(&self) -> Result<redis::Client, RedisError> {
        let mut info = redis::IntoConnectionInfo::into_connection_info(self.url.as_str())?;
        let mut settings = info.redis_settings().clone();
        if let Some(user) = &self.username {
            settings = settings.set_username(user);
        }
        if let Some(pw) = &self.password {
            settings = settings.set_password(String::from_utf8_lossy(pw.expose()));
        }
        info = info.set_redis_settings(settings);
        redis::Client::open(info)
    }

    /// A connection manager bounded by `timeout`, reconnecting by itself.
    pub fn manager_config(&self) -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2))
    }
}

/// How often the connection is checked (readiness) while idle.
const HEALTH_INTERVAL: Duration = Duration::from_secs(2);
/// First and longest wait between connection attempts at startup.
const CONNECT_BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

const CLAIM: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local v = redis.call('GET', KEYS[1])
if v == 'done' then return 2 end
if v then return 3 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
";

const COMMIT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
";

struct Inner {
    /// Set once the first connection succeeds; the manager reconnects by itself after that.
    /// Worker 0's (it is opened on the thread `start` runs on, the main one), and every other
    /// worker's until it has its own.
    conn: OnceCell<ConnectionManager>,
    /// Workers 1.. by index: their own connections, opened on their threads.
    local: Box<[Local]>,
    client: redis::Client,
    manager_cfg: ConnectionManagerConfig,
    prefix: String,
    ttls: Ttls,
    timeout: Duration,
    healthy: AtomicBool,
    /// Random per process (std's hasher seed), so tokens of replicas never collide.
    seed: u64,
    counter: AtomicU64,
    claim: Script,
    commit: Script,
    release: Script,
}

#[derive(Default)]
struct Local {
    conn: OnceLock<ConnectionManager>,
    /// An attempt to open `conn` is under way (or it is open).
    opening: AtomicBool,
}

/// A handle on the shared store, for one worker thread (`for_worker`): its operations go
/// through that worker's own connection.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
    /// The worker this handle serves: 0 uses the first connection, others their own.
    worker: usize,
}

impl RedisStore {
    /// Starts connecting in the background: hookgate serves (and answers 503 for dedup) even
    /// while Redis is still unreachable at startup. `workers`: how many worker threads will use
    /// the store (each gets its own connection; see the module docs).
    pub fn start(cfg: &RedisSettings, ttls: Ttls, workers: usize) -> Result<Self, DedupError> {
        let client = cfg.client().map_err(DedupError::Settings)?;
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let manager_cfg = cfg.manager_config();
        let store = Self {
            inner: Arc::new(Inner {
                conn: OnceCell::new(),
                local: (1..workers.max(1)).map(|_| Local::default()).collect(),
                client,
                manager_cfg,
                prefix: cfg.key_prefix.clone(),
                ttls,
                timeout: cfg.timeout,
                healthy: AtomicBool::new(false),
                seed,
                counter: AtomicU64::new(0),
                claim: Script::new(CLAIM),
                commit: Script::new(COMMIT),
                release: Script::new(RELEASE),
            }),
            worker: 0,
        };
        tokio::spawn(store.clone().maintain());
        Ok(store)
    }

    /// Connects (retrying with backoff), then checks the connection periodically for
    /// readiness. Ends when the store is dropped everywhere else.
    async fn maintain(self) {
        let weak = Arc::downgrade(&self.inner);
        let mut wait = CONNECT_BACKOFF.0;
        let conn = loop {
            match self.open().await {
                Ok(c) => break c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot connect to redis; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(CONNECT_BACKOFF.1);
                }
            }
        };
        let _ = self.inner.conn.set(conn);
        self.inner.healthy.store(true, Ordering::Relaxed);
        tracing::info!("connected to redis");
        drop(self);
        loop {
            tokio::time::sleep(HEALTH_INTERVAL).await;
            let Some(inner) = weak.upgrade() else { return };
            let store = RedisStore { inner, worker: 0 };
            let ok = match store.conn() {
                Ok(mut c) => store
                    .timed(redis::cmd("PING").query_async::<String>(&mut c))
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            store.inner.healthy.store(ok, Ordering::Relaxed);
        }
    }

    async fn open(&self) -> Result<ConnectionManager, RedisError> {
        ConnectionManager::new_with_config(
            self.inner.client.clone(),
            self.inner.manager_cfg.clone(),
        )
        .await
    }

    /// Worker `index`'s own connection slot; none for worker 0, whose connection is the first.
    fn local(&self, index: usize) -> Option<&Local> {
        index.checked_sub(1).and_then(|i| self.inner.local.get(i))
    }

    /// The same store, through worker `index`'s own connection once it is open. Made where
    /// the worker starts, and used only on its thread: a connection's I/O runs where it was
    /// opened.
    pub fn for_worker(&self, index: usize) -> Self {
        Self {
            inner: self.inner.clone(),
            worker: index,
        }
    }

    /// This handle's worker's connection; the first one while the worker's own is not open
    /// yet (opening it starts here, on the worker's thread, once Redis has answered once).
    fn conn(&self) -> Result<ConnectionManager, DedupError> {
        let first = self.inner.conn.get().ok_or(DedupError::NotConnected)?;
        let index = self.worker;
        let Some(local) = self.local(index) else {
            return Ok(first.clone());
        };
        if let Some(own) = local.conn.get() {
            return Ok(own.clone());
        }
        if !local.opening.swap(true, Ordering::Relaxed) {
            let store = self.clone();
            tokio::spawn(async move {
                let Some(local) = store.local(index) else {
                    return;
                };
                match store.open().await {
                    Ok(conn) => {
                        let _ = local.conn.set(conn);
                    }
                    Err(e) => {
                        tracing::debug!(worker = index, error = %e, "cannot open a worker's own redis connection yet");
                        local.opening.store(false, Ordering::Relaxed);
                    }
                }
            });
        }
        Ok(first.clone())
    }

    async fn timed<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, RedisError>>,
    ) -> Result<T, DedupError> {
        let r = match tokio::time::timeout(self.inner.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(DedupError::Redis(e)),
            Err(_) => Err(DedupError::Timeout(self.inner.timeout)),
        };
        self.inner.healthy.store(r.is_ok(), Ordering::Relaxed);
        r
    }

    fn key(&self, key: &DedupKey) -> String {
        format!("{}{}:{}", self.inner.prefix, key.route, key.id)
    }

    fn ms(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
    }

    pub async fn claim(&self, key: DedupKey) -> Result<Claim, DedupError> {
        let mut conn = self.conn()?;
        let token = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        let value = format!("inflight:{:016x}{token:016x}", self.inner.seed);
        let rkey = self.key(&key);
        let r: i64 = self
            .timed(
                self.inner
                    .claim
                    .key(&rkey)
                    .arg(&value)
                    .arg(Self::ms(self.inner.ttls.in_flight))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(match r {
            1 => Claim::Claimed(ClaimToken {
                key,
                token,
                value: Some(value),
            }),
            2 => Claim::Done,
            _ => Claim::InFlight,
        })
    }

    pub async fn commit(&self, claim: &ClaimToken) -> Result<(), DedupError> {
        let mut conn = self.conn()?;
        let value = claim.value.as_deref().unwrap_or_default();
        let _: i64 = self
            .timed(
                self.inner
                    .commit
                    .key(self.key(&claim.key))
                    .arg(value)
                    .arg(Self::ms(self.inner.ttls.done))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    pub async fn release(&self, claim: &ClaimToken) -> Result<(), DedupError> {
        let mut conn = self.conn()?;
        let value = claim.value.as_deref().unwrap_or_default();
        let _: i64 = self
            .timed(
                self.inner
                    .release
                    .key(self.key(&claim.key))
                    .arg(value)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    /// Whether the last contact with Redis succeeded.
    pub fn healthy(&self) -> bool {
        self.inner.healthy.load(Ordering::Relaxed)
    }
}
