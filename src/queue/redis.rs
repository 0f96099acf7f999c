//! The queue on Redis Streams (`queue.backend: redis`): every replica's intake appends to it,
//! every replica's deliverer takes from it, so a replica that dies strands nothing.
//!
//! Keys, under `{key_prefix}queue:`:
//! - `d:{id}`: a delivery (hash: `meta` JSON, `req` the stored request, `bytes`, `route`,
//!   `state` pending|dead). Ids come from `next` (INCR): unique across replicas.
//! - `s:{route}`: the route's stream of deliveries to attempt (entry field `id`), read by the
//!   consumer group `hookgate`, one consumer per process. An entry stays in the taker's pending
//!   list until it is settled; the taker renews it while it holds it (XCLAIM), and one that is
//!   not renewed for `queue.visibility_timeout` (its replica died) is taken over (XAUTOCLAIM).
//! - `r:{route}`: retries (sorted set, score = due time); a deliverer moves due ones back to the
//!   stream.
//! - `w:{route}`: every waiting delivery of the route (score = id): counts, age, listing.
//! - `dead`: dead letters (score = id); `dc`: dead letters per route; `bytes`: bytes held
//!   (`queue.max_bytes` is checked against it); `routes`: routes that ever queued.
//!
//! Each transition is one Lua script, so no crash leaves a delivery half moved. Durability is
//! Redis's own: an answered delivery is in Redis's memory, on disk per its `appendfsync`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script, Value};

use super::record::{Meta, Request};
use super::{lock, now_ms, QueueError, RouteStats, State, Stats};
use crate::config::{QueueConfig, RedisSettings};

/// The consumer group every replica reads with.
const GROUP: &str = "hookgate";
/// How often a deliverer reads again which routes have deliveries.
const ROUTES_EVERY_MS: u64 = 1000;
/// The consumer a stopping replica hands what it holds to.
const RELEASED: &str = "released";
/// How often the intake's connection is checked (readiness) while idle.
const HEALTH_INTERVAL: Duration = Duration::from_secs(2);
/// First and longest wait between connection attempts.
const CONNECT_BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

const ENQUEUE: &str = r"
local p = ARGV[1]
local route = ARGV[2]
local bytes = tonumber(ARGV[5])
local held = tonumber(redis.call('GET', p .. 'bytes') or '0')
if held + bytes > tonumber(ARGV[6]) then return -1 end
local id = redis.call('INCR', p .. 'next')
redis.call('HSET', p .. 'd:' .. id, 'meta', ARGV[3], 'req', ARGV[4], 'bytes', ARGV[5], 'route', route, 'state', 'pending')
redis.call('INCRBY', p .. 'bytes', bytes)
redis.call('SADD', p .. 'routes', route)
redis.call('ZADD', p .. 'w:' .. route, id, id)
redis.call('XADD', p .. 's:' .. route, '*', 'id', id)
return id
";

/// Settles a taken entry; then, the delivery: `done` removes it, `retry` files it under its
/// due time with its new metadata, `dead` makes it a dead letter (dropping the oldest
/// past `max_dead`; their ids are returned). A delivery no longer pending (settled by another
/// replica, purged) is left alone.
const SETTLE: &str = r"
local p = ARGV[1]
local route = ARGV[2]
local id = ARGV[3]
local s = p .. 's:' .. route
if ARGV[4] ~= '' then
  redis.call('XACK', s, 'hookgate', ARGV[4])
  redis.call('XDEL', s, ARGV[4])
end
local d = p .. 'd:' .. id
if redis.call('HGET', d, 'state') ~= 'pending' then return {} end
local how = ARGV[5]
if how == 'done' then
  local b = tonumber(redis.call('HGET', d, 'bytes') or '0')
  redis.call('DEL', d)
  redis.call('ZREM', p .. 'w:' .. route, id)
  redis.call('DECRBY', p .. 'bytes', b)
  return {}
end
if how == 'retry' then
  redis.call('HSET', d, 'meta', ARGV[6])
  redis.call('ZADD', p .. 'r:' .. route, ARGV[7], id)
  return {}
end
redis.call('HSET', d, 'meta', ARGV[6], 'state', 'dead')
redis.call('ZREM', p .. 'w:' .. route, id)
redis.call('ZADD', p .. 'dead', id, id)
redis.call('HINCRBY', p .. 'dc', route, 1)
local dropped = {}
while redis.call('ZCARD', p .. 'dead') > tonumber(ARGV[8]) do
  local x = redis.call('ZPOPMIN', p .. 'dead')
  local dd = p .. 'd:' .. x[1]
  local b = tonumber(redis.call('HGET', dd, 'bytes') or '0')
  local r = redis.call('HGET', dd, 'route')
  redis.call('DEL', dd)
  redis.call('DECRBY', p .. 'bytes', b)
  if r then redis.call('HINCRBY', p .. 'dc', r, -1) end
  table.insert(dropped, x[1])
end
return dropped
";

/// A delivery's metadata, only while it is still pending (an attempt's count, when the app is
/// down and the delivery stays where it is).
const TOUCH: &str = r"
local d = ARGV[1] .. 'd:' .. ARGV[2]
if redis.call('HGET', d, 'state') == 'pending' then redis.call('HSET', d, 'meta', ARGV[3]) end
return 0
";

/// A deliverer's round for one route, in one step: due retries go back to the stream (in
/// acceptance order); then it takes, up to ARGV[5] in all, what a stopping replica handed to
/// the `released` consumer (accepted before anything new), what a dead replica held unrenewed
/// for ARGV[6] ms (when ARGV[6] > 0), and new entries. Returns the number taken over from dead
/// replicas, then per entry: its stream id, the delivery id, the delivery's state and metadata
/// (false when gone).
const TAKE: &str = r"
local p = ARGV[1]
local route = ARGV[2]
local me = ARGV[3]
local cap = tonumber(ARGV[5])
local idle = tonumber(ARGV[6])
local s = p .. 's:' .. route
local r = p .. 'r:' .. route
local due = redis.call('ZRANGEBYSCORE', r, '-inf', ARGV[4], 'LIMIT', 0, 256)
table.sort(due, function(a, b) return tonumber(a) < tonumber(b) end)
for _, id in ipairs(due) do
  redis.call('ZREM', r, id)
  redis.call('XADD', s, '*', 'id', id)
end
local out = {}
local function add(entries)
  for _, e in ipairs(entries) do
    if #out >= cap then return end
    if type(e) == 'table' then
      local id = ''
      local f = e[2]
      if type(f) == 'table' then
        for i = 1, #f, 2 do if f[i] == 'id' then id = f[i + 1] end end
      end
      table.insert(out, { e[1], id })
    end
  end
end
local pending = redis.call('XPENDING', s, 'hookgate', '-', '+', cap, 'released')
if #pending > 0 then
  local ids = {}
  for i, e in ipairs(pending) do ids[i] = e[1] end
  add(redis.call('XCLAIM', s, 'hookgate', me, 0, unpack(ids)))
end
local before = #out
if idle > 0 and #out < cap then
  local claimed = redis.call('XAUTOCLAIM', s, 'hookgate', me, idle, '0-0', 'COUNT', cap - #out)
  add(claimed[2])
end
local taken_over = #out - before
if #out < cap then
  local read = redis.call('XREADGROUP', 'GROUP', 'hookgate', me, 'COUNT', cap - #out, 'STREAMS', s, '>')
  if read then add(read[1][2]) end
end
local reply = { taken_over }
for _, e in ipairs(out) do
  local st = { false, false }
  if e[2] ~= '' then st = redis.call('HMGET', p .. 'd:' .. e[2], 'state', 'meta') end
  table.insert(reply, { e[1], e[2], st[1], st[2] })
end
return reply
";

const REPLAY: &str = r"
local p = ARGV[1]
local id = ARGV[2]
if not redis.call('ZSCORE', p .. 'dead', id) then return 0 end
local d = p .. 'd:' .. id
local route = redis.call('HGET', d, 'route')
redis.call('ZREM', p .. 'dead', id)
redis.call('HSET', d, 'meta', ARGV[3], 'state', 'pending')
redis.call('HINCRBY', p .. 'dc', route, -1)
redis.call('SADD', p .. 'routes', route)
redis.call('ZADD', p .. 'w:' .. route, id, id)
redis.call('XADD', p .. 's:' .. route, '*', 'id', id)
return 1
";

const PURGE: &str = r"
local p = ARGV[1]
local id = ARGV[2]
if not redis.call('ZSCORE', p .. 'dead', id) then return 0 end
local d = p .. 'd:' .. id
local route = redis.call('HGET', d, 'route')
local b = tonumber(redis.call('HGET', d, 'bytes') or '0')
redis.call('ZREM', p .. 'dead', id)
redis.call('DEL', d)
redis.call('DECRBY', p .. 'bytes', b)
if route then redis.call('HINCRBY', p .. 'dc', route, -1) end
return 1
";

struct Scripts {
    enqueue: Script,
    settle: Script,
    touch: Script,
    take: Script,
    replay: Script,
    purge: Script,
}

/// The Redis backend: the intake's connection (opened in the background, checked for
/// readiness) and what every connection needs.
pub(crate) struct RedisQueue {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    manager_cfg: ConnectionManagerConfig,
    /// The intake's connection, once Redis has answered.
    conn: OnceLock<ConnectionManager>,
    healthy: AtomicBool,
    /// `{key_prefix}queue:`.
    prefix: String,
    max_bytes: u64,
    max_dead: usize,
    visibility: Duration,
    /// This process's consumer name: unique, so a restarted replica's old entries are taken
    /// over like a dead one's.
    consumer: String,
    /// Routes the config queues, besides those Redis knows.
    known: Mutex<BTreeSet<String>>,
    /// The last counts read, for the gauges while Redis does not answer.
    last: Mutex<Stats>,
    scripts: Scripts,
}

fn redis_error(e: RedisError) -> QueueError {
    if is_down(&e) {
        QueueError::Unreachable(e.to_string())
    } else {
        QueueError::Store(format!("redis: {e}"))
    }
}

impl RedisQueue {
    /// Starts connecting in the background (on the caller's runtime): until Redis answers,
    /// `healthy` is false and deliveries are refused with 503.
    pub(super) fn start(
        settings: &RedisSettings,
        config: &QueueConfig,
    ) -> Result<Self, QueueError> {
        let client = settings.client().map_err(redis_error)?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "hookgate".into());
        let inner = Arc::new(Inner {
            client,
            manager_cfg: settings.manager_config(),
            conn: OnceLock::new(),
            healthy: AtomicBool::new(false),
            prefix: format!("{}queue:", settings.key_prefix),
            max_bytes: config.max_bytes,
            max_dead: config.max_dead_letters,
            visibility: config.visibility_timeout,
            consumer: format!("{host}-{}-{:08x}", std::process::id(), fastrand::u32(..)),
            known: Mutex::new(BTreeSet::new()),
            last: Mutex::new(Stats::default()),
            scripts: Scripts {
                enqueue: Script::new(ENQUEUE),
                settle: Script::new(SETTLE),
                touch: Script::new(TOUCH),
                take: Script::new(TAKE),
                replay: Script::new(REPLAY),
                purge: Script::new(PURGE),
            },
        });
        tokio::spawn(maintain(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    pub(super) fn healthy(&self) -> bool {
        self.inner.healthy.load(Ordering::Relaxed)
    }

    pub(super) fn know_route(&self, route: &str) {
        lock(&self.inner.known).insert(route.to_owned());
    }

    pub(super) fn last_stats(&self) -> Stats {
        lock(&self.inner.last).clone()
    }

    pub(super) fn visibility(&self) -> Duration {
        self.inner.visibility
    }

    /// A new connection, driven by the caller's runtime (the deliverer's).
    pub(super) async fn connect(&self) -> Result<ConnectionManager, QueueError> {
        ConnectionManager::new_with_config(
            self.inner.client.clone(),
            self.inner.manager_cfg.clone(),
        )
        .await
        .map_err(redis_error)
    }

    fn intake(&self) -> Result<ConnectionManager, QueueError> {
        self.inner
            .conn
            .get()
            .cloned()
            .ok_or_else(|| QueueError::Unreachable("not connected yet".into()))
    }

    /// Runs `op` on the intake's connection, noting whether Redis answered.
    async fn on_intake<T, F>(
        &self,
        op: impl FnOnce(ConnectionManager) -> F,
    ) -> Result<T, QueueError>
    where
        F: std::future::Future<Output = Result<T, RedisError>>,
    {
        let conn = self.intake()?;
        let r = op(conn).await;
        self.inner.healthy.store(
            r.as_ref().map_or_else(|e| !is_down(e), |_| true),
            Ordering::Relaxed,
        );
        r.map_err(redis_error)
    }

    fn p(&self) -> &str {
        &self.inner.prefix
    }

    pub(super) async fn enqueue(&self, meta: &Meta, request: &[u8]) -> Result<u64, QueueError> {
        let json = serde_json::to_vec(meta).map_err(super::store_error)?;
        let script = &self.inner.scripts.enqueue;
        let mut call = script.prepare_invoke();
        call.arg(self.p())
            .arg(&meta.route)
            .arg(json)
            .arg(request)
            .arg(meta.bytes)
            .arg(self.inner.max_bytes);
        let id: i64 = self
            .on_intake(|mut c| async move { call.invoke_async(&mut c).await })
            .await?;
        u64::try_from(id).map_err(|_| QueueError::Full {
            max: self.inner.max_bytes,
        })
    }

    /// Metadata of waiting deliveries or dead letters, oldest first.
    pub(super) async fn list(
        &self,
        state: State,
        limit: usize,
    ) -> Result<Vec<(u64, Meta)>, QueueError> {
        let p = self.p().to_owned();
        let routes = self.routes().await?;
        let last = isize::try_from(limit)
            .unwrap_or(isize::MAX)
            .saturating_sub(1);
        self.on_intake(|mut c| async move {
            let mut ids: Vec<u64> = match state {
                State::Dead => {
                    redis::cmd("ZRANGE")
                        .arg(format!("{p}dead"))
                        .arg(0)
                        .arg(last)
                        .query_async(&mut c)
                        .await?
                }
                State::Pending if routes.is_empty() => Vec::new(),
                State::Pending => {
                    let mut pipe = redis::pipe();
                    for r in &routes {
                        pipe.cmd("ZRANGE").arg(format!("{p}w:{r}")).arg(0).arg(last);
                    }
                    let per_route: Vec<Vec<u64>> = pipe.query_async(&mut c).await?;
                    let mut all: Vec<u64> = per_route.into_iter().flatten().collect();
                    all.sort_unstable();
                    all.truncate(limit);
                    all
                }
            };
            ids.truncate(limit);
            let metas = metas(&mut c, &p, &ids).await?;
            Ok(ids
                .into_iter()
                .zip(metas)
                .filter_map(|(id, m)| Some((id, m?)))
                .collect())
        })
        .await
    }

    /// One delivery, waiting or dead; its request only when asked. `conn`: the deliverer's
    /// own, or the intake's.
    pub(super) async fn show(
        &self,
        conn: Option<&ConnectionManager>,
        id: u64,
        with_request: bool,
    ) -> Result<Option<(State, Meta, Option<Request>)>, QueueError> {
        let key = format!("{}d:{id}", self.p());
        let fetch = |mut c: ConnectionManager| async move {
            let mut cmd = redis::cmd("HMGET");
            cmd.arg(&key).arg("state").arg("meta");
            if with_request {
                cmd.arg("req");
            }
            cmd.query_async::<Vec<Option<Vec<u8>>>>(&mut c).await
        };
        let fields = match conn {
            Some(c) => fetch(c.clone()).await.map_err(redis_error)?,
            None => self.on_intake(fetch).await?,
        };
        let mut fields = fields.into_iter();
        let (Some(Some(state)), Some(Some(meta))) = (fields.next(), fields.next()) else {
            return Ok(None);
        };
        let state = match state.as_slice() {
            b"dead" => State::Dead,
            _ => State::Pending,
        };
        let meta: Meta = serde_json::from_slice(&meta).map_err(super::store_error)?;
        let request = match fields.next().flatten() {
            Some(b) => Some(Request::decode(&b).map_err(QueueError::Store)?),
            None => None,
        };
        Ok(Some((state, meta, request)))
    }

    /// Dead letters back to the queue, due now: one, or all.
    pub(super) async fn replay(&self, id: Option<u64>) -> Result<usize, QueueError> {
        let mut n = 0;
        loop {
            let ids = match id {
                Some(id) => vec![id],
                None => self.dead_ids(256).await?,
            };
            if ids.is_empty() {
                return Ok(n);
            }
            let mut moved = 0;
            for one in ids {
                let Some((State::Dead, mut meta, _)) = self.show(None, one, false).await? else {
                    continue;
                };
                let now = now_ms();
                meta.attempts = 0;
                meta.due_ms = now;
                meta.dead_ms = None;
                meta.dead_reason = None;
                let json = serde_json::to_vec(&meta).map_err(super::store_error)?;
                let mut call = self.inner.scripts.replay.prepare_invoke();
                call.arg(self.p()).arg(one).arg(json);
                let r: i64 = self
                    .on_intake(|mut c| async move { call.invoke_async(&mut c).await })
                    .await?;
                moved += usize::from(r == 1);
            }
            n += moved;
            if id.is_some() || moved == 0 {
                return Ok(n);
            }
        }
    }

    /// Dead letters removed: one, or all.
    pub(super) async fn purge(&self, id: Option<u64>) -> Result<usize, QueueError> {
        let mut n = 0;
        loop {
            let ids = match id {
                Some(id) => vec![id],
                None => self.dead_ids(1024).await?,
            };
            let mut removed = 0;
            for one in ids {
                let mut call = self.inner.scripts.purge.prepare_invoke();
                call.arg(self.p()).arg(one);
                let r: i64 = self
                    .on_intake(|mut c| async move { call.invoke_async(&mut c).await })
                    .await?;
                removed += usize::from(r == 1);
            }
            n += removed;
            if id.is_some() || removed == 0 {
                return Ok(n);
            }
        }
    }

    async fn dead_ids(&self, n: usize) -> Result<Vec<u64>, QueueError> {
        let key = format!("{}dead", self.p());
        let last = isize::try_from(n).unwrap_or(isize::MAX) - 1;
        self.on_intake(|mut c| async move {
            redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(last)
                .query_async(&mut c)
                .await
        })
        .await
    }

    /// The routes with deliveries: those configured and those Redis has seen.
    async fn routes(&self) -> Result<BTreeSet<String>, QueueError> {
        let key = format!("{}routes", self.p());
        let seen: Vec<String> = self
            .on_intake(
                |mut c| async move { redis::cmd("SMEMBERS").arg(key).query_async(&mut c).await },
            )
            .await?;
        let mut all = lock(&self.inner.known).clone();
        all.extend(seen);
        Ok(all)
    }

    /// Counts for the admin API, read now.
    pub(super) async fn stats(&self) -> Result<Stats, QueueError> {
        let conn = self.intake()?;
        let r = read_stats(&self.inner, conn).await;
        self.inner.healthy.store(
            r.as_ref().map_or_else(|e| !is_down(e), |_| true),
            Ordering::Relaxed,
        );
        if let Ok(stats) = &r {
            *lock(&self.inner.last) = stats.clone();
        }
        r.map_err(redis_error)
    }
}

/// A connection error, not a refusal of one command: readiness goes down with it.
fn is_down(e: &RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

/// Metadata of `ids` (None where a delivery is gone).
async fn metas(
    c: &mut ConnectionManager,
    prefix: &str,
    ids: &[u64],
) -> Result<Vec<Option<Meta>>, RedisError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.cmd("HGET").arg(format!("{prefix}d:{id}")).arg("meta");
    }
    let raw: Vec<Option<Vec<u8>>> = pipe.query_async(c).await?;
    Ok(raw
        .into_iter()
        .map(|m| m.and_then(|m| serde_json::from_slice(&m).ok()))
        .collect())
}

async fn read_stats(inner: &Inner, mut c: ConnectionManager) -> Result<Stats, RedisError> {
    let p = &inner.prefix;
    let seen: Vec<String> = redis::cmd("SMEMBERS")
        .arg(format!("{p}routes"))
        .query_async(&mut c)
        .await?;
    let mut routes = lock(&inner.known).clone();
    routes.extend(seen);
    let routes: Vec<String> = routes.into_iter().collect();
    let mut pipe = redis::pipe();
    pipe.cmd("GET").arg(format!("{p}bytes"));
    pipe.cmd("ZCARD").arg(format!("{p}dead"));
    for r in &routes {
        pipe.cmd("ZCARD").arg(format!("{p}w:{r}"));
        pipe.cmd("HGET").arg(format!("{p}dc")).arg(r);
        pipe.cmd("ZRANGE").arg(format!("{p}w:{r}")).arg(0).arg(0);
    }
    let (head, rest): ((Option<i64>, usize), Vec<Value>) = {
        let values: Vec<Value> = pipe.query_async(&mut c).await?;
        let mut values = values.into_iter();
        let bytes: Option<i64> = redis::from_redis_value(values.next().unwrap_or(Value::Nil))?;
        let dead: usize = redis::from_redis_value(values.next().unwrap_or(Value::Nil))?;
        ((bytes, dead), values.collect())
    };
    let mut per_route = BTreeMap::new();
    let mut oldest_ids = Vec::new();
    let mut rest = rest.into_iter();
    for r in routes {
        let pending: usize = redis::from_redis_value(rest.next().unwrap_or(Value::Nil))?;
        let dead: Option<i64> = redis::from_redis_value(rest.next().unwrap_or(Value::Nil))?;
        let first: Vec<u64> = redis::from_redis_value(rest.next().unwrap_or(Value::Nil))?;
        if let Some(id) = first.first() {
            oldest_ids.push((r.clone(), *id));
        }
        per_route.insert(
            r,
            RouteStats {
                pending,
                dead: usize::try_from(dead.unwrap_or(0)).unwrap_or(0),
                oldest_ms: None,
            },
        );
    }
    let ids: Vec<u64> = oldest_ids.iter().map(|(_, id)| *id).collect();
    for ((route, _), meta) in oldest_ids.iter().zip(metas(&mut c, p, &ids).await?) {
        if let (Some(s), Some(m)) = (per_route.get_mut(route), meta) {
            s.oldest_ms = Some(m.received_ms);
        }
    }
    Ok(Stats {
        routes: per_route,
        dead: head.1,
        bytes: u64::try_from(head.0.unwrap_or(0)).unwrap_or(0),
    })
}

/// Connects the intake (retrying with backoff), then checks it every few seconds for
/// readiness. Ends when the queue is dropped.
async fn maintain(weak: Weak<Inner>) {
    let mut wait = CONNECT_BACKOFF.0;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let q = RedisQueue { inner };
        match q.connect().await {
            Ok(c) => {
                let _ = q.inner.conn.set(c);
                q.inner.healthy.store(true, Ordering::Relaxed);
                tracing::info!("queue: connected to redis");
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "queue: cannot connect to redis; retrying");
            }
        }
        drop(q);
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(CONNECT_BACKOFF.1);
    }
    loop {
        tokio::time::sleep(HEALTH_INTERVAL).await;
        let Some(inner) = weak.upgrade() else { return };
        let q = RedisQueue { inner };
        let was = q.healthy();
        let ok = q
            .on_intake(
                |mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await },
            )
            .await
            .is_ok();
        q.inner.healthy.store(ok, Ordering::Relaxed);
        if ok != was {
            if ok {
                tracing::info!("queue: redis answers again");
            } else {
                tracing::warn!("queue: redis is unreachable: deliveries are refused with 503 and /readyz fails until it answers");
            }
        }
    }
}

/// One entry of TAKE's answer: stream entry id, delivery id, state, metadata.
type TakenEntry = (String, String, Option<String>, Option<Vec<u8>>);

/// A delivery taken from a route's stream by this replica's deliverer.
pub(super) struct Taken {
    pub id: u64,
    pub meta: Meta,
}

/// The deliverer's side: its own connection, and the stream entries it holds (taken, not yet
/// settled), renewed so that no other replica takes them over.
pub(crate) struct Lease {
    queue: Arc<Inner>,
    conn: ConnectionManager,
    /// Delivery id → (route, stream entry id).
    held: Mutex<HashMap<u64, (String, String)>>,
    /// Routes whose consumer group exists (as far as this replica knows).
    groups: Mutex<BTreeSet<String>>,
    last_claim: Mutex<HashMap<String, u64>>,
    /// The routes, and when they were read (Unix ms).
    routes: Mutex<(u64, Vec<String>)>,
}

impl Lease {
    pub(super) fn new(queue: &RedisQueue, conn: ConnectionManager) -> Self {
        Self {
            queue: queue.inner.clone(),
            conn,
            held: Mutex::new(HashMap::new()),
            groups: Mutex::new(BTreeSet::new()),
            last_claim: Mutex::new(HashMap::new()),
            routes: Mutex::new((0, Vec::new())),
        }
    }

    /// A held delivery, its request included, through this lease's connection.
    pub(super) async fn load(
        &self,
        id: u64,
    ) -> Result<Option<(State, Meta, Option<Request>)>, QueueError> {
        let queue = RedisQueue {
            inner: self.queue.clone(),
        };
        queue.show(Some(&self.conn), id, true).await
    }

    fn p(&self) -> &str {
        &self.queue.prefix
    }

    /// Deliveries held for `route`.
    pub(super) fn held_for(&self, route: &str) -> usize {
        lock(&self.held)
            .values()
            .filter(|(r, _)| r == route)
            .count()
    }

    /// The routes to take from: those configured, and those Redis has seen (read again every
    /// second at most: a route new to every replica's config is rare).
    pub(super) async fn routes(&self) -> Result<Vec<String>, QueueError> {
        let now = now_ms();
        {
            let cached = lock(&self.routes);
            if now.saturating_sub(cached.0) < ROUTES_EVERY_MS && !cached.1.is_empty() {
                return Ok(cached.1.clone());
            }
        }
        let mut c = self.conn.clone();
        let seen: Vec<String> = redis::cmd("SMEMBERS")
            .arg(format!("{}routes", self.p()))
            .query_async(&mut c)
            .await
            .map_err(redis_error)?;
        let mut all = lock(&self.queue.known).clone();
        all.extend(seen);
        let all: Vec<String> = all.into_iter().collect();
        *lock(&self.routes) = (now, all.clone());
        Ok(all)
    }

    /// Takes up to `capacity` deliveries of `route`: due retries go back to the stream first,
    /// entries a dead replica held are taken over (every half visibility timeout), then new
    /// entries.
    pub(super) async fn take(
        &self,
        route: &str,
        capacity: usize,
    ) -> Result<Vec<Taken>, QueueError> {
        let mut c = self.conn.clone();
        let p = self.p().to_owned();
        let stream = format!("{p}s:{route}");
        self.ensure_group(&mut c, route, &stream).await?;
        let visibility = u64::try_from(self.queue.visibility.as_millis()).unwrap_or(u64::MAX);
        let now = now_ms();
        let claim_due = {
            let mut last = lock(&self.last_claim);
            let at = last.entry(route.to_owned()).or_insert(0);
            let due = now.saturating_sub(*at) >= visibility / 2;
            if due {
                *at = now;
            }
            due
        };
        let mut call = self.queue.scripts.take.prepare_invoke();
        call.arg(&p)
            .arg(route)
            .arg(&self.queue.consumer)
            .arg(now)
            .arg(capacity)
            .arg(if claim_due { visibility } else { 0 });
        let reply: Vec<Value> = call
            .invoke_async(&mut c)
            .await
            .map_err(|e| self.forget_group_on(route, e))?;
        let mut reply = reply.into_iter();
        let taken_over: usize = reply
            .next()
            .map(redis::from_redis_value)
            .transpose()
            .map_err(super::store_error)?
            .unwrap_or(0);
        if taken_over > 0 {
            tracing::info!(
                route,
                taken_over,
                "queue: taking over deliveries a stopped replica held"
            );
        }
        let entries: Vec<TakenEntry> = reply
            .map(redis::from_redis_value)
            .collect::<Result<_, _>>()
            .map_err(super::store_error)?;
        let mut taken = Vec::new();
        let mut stale = Vec::new();
        for (entry, id, state, meta) in entries {
            let id = id.parse::<u64>().ok();
            let meta = meta.and_then(|m| serde_json::from_slice::<Meta>(&m).ok());
            match (id, state.as_deref(), meta) {
                (Some(id), Some("pending"), Some(meta)) => {
                    let mut held = lock(&self.held);
                    if held.contains_key(&id) {
                        // Already held here: the older entry stays the one settled.
                        stale.push(entry);
                        continue;
                    }
                    held.insert(id, (route.to_owned(), entry));
                    taken.push(Taken { id, meta });
                }
                // Settled meanwhile (by the replica this was taken over from), or purged.
                _ => stale.push(entry),
            }
        }
        if !stale.is_empty() {
            let mut pipe = redis::pipe();
            pipe.cmd("XACK")
                .arg(&stream)
                .arg(GROUP)
                .arg(&stale)
                .ignore();
            pipe.cmd("XDEL").arg(&stream).arg(&stale).ignore();
            let _: () = pipe.query_async(&mut c).await.map_err(redis_error)?;
        }
        Ok(taken)
    }

    async fn ensure_group(
        &self,
        c: &mut ConnectionManager,
        route: &str,
        stream: &str,
    ) -> Result<(), QueueError> {
        if lock(&self.groups).contains(route) {
            return Ok(());
        }
        let r: Result<(), RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(c)
            .await;
        match r {
            Ok(()) => {}
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(redis_error(e)),
        }
        lock(&self.groups).insert(route.to_owned());
        Ok(())
    }

    /// A stream or group that vanished (Redis lost its data, or someone deleted it) is made
    /// again on the next round.
    fn forget_group_on(&self, route: &str, e: RedisError) -> QueueError {
        if e.code() == Some("NOGROUP") {
            lock(&self.groups).remove(route);
        }
        redis_error(e)
    }

    /// Renews every held entry, so that no other replica takes it over.
    pub(super) async fn renew(&self) -> Result<(), QueueError> {
        let by_route: BTreeMap<String, Vec<String>> = {
            let held = lock(&self.held);
            let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (route, entry) in held.values() {
                m.entry(route.clone()).or_default().push(entry.clone());
            }
            m
        };
        if by_route.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (route, entries) in &by_route {
            pipe.cmd("XCLAIM")
                .arg(format!("{}s:{route}", self.p()))
                .arg(GROUP)
                .arg(&self.queue.consumer)
                .arg(0)
                .arg(entries)
                .arg("JUSTID")
                .ignore();
        }
        let mut c = self.conn.clone();
        pipe.query_async::<()>(&mut c).await.map_err(redis_error)
    }

    /// Stops holding a delivery without settling it: it is taken again (by any replica, this
    /// one included) after the visibility timeout.
    pub(super) fn let_go(&self, id: u64) {
        lock(&self.held).remove(&id);
    }

    /// Settles a held delivery: the app accepted it.
    pub(super) async fn done(&self, route: &str, id: u64) -> Result<(), QueueError> {
        self.settle(route, id, "done", None, 0).await.map(|_| ())
    }

    /// Files a held delivery for another try at `due_ms`, for any replica to take.
    pub(super) async fn retry(&self, id: u64, meta: &Meta) -> Result<(), QueueError> {
        self.settle(&meta.route, id, "retry", Some(meta), meta.due_ms)
            .await
            .map(|_| ())
    }

    /// Makes a held delivery a dead letter; the ids of dead letters dropped to make room.
    pub(super) async fn dead(&self, id: u64, meta: &Meta) -> Result<Vec<u64>, QueueError> {
        self.settle(&meta.route, id, "dead", Some(meta), 0).await
    }

    /// Keeps a held delivery, with its new metadata (an attempt made while the app is down).
    pub(super) async fn touch(&self, id: u64, meta: &Meta) -> Result<(), QueueError> {
        let json = serde_json::to_vec(meta).map_err(super::store_error)?;
        let mut call = self.queue.scripts.touch.prepare_invoke();
        call.arg(self.p()).arg(id).arg(json);
        let mut c = self.conn.clone();
        call.invoke_async::<i64>(&mut c)
            .await
            .map(|_| ())
            .map_err(redis_error)
    }

    async fn settle(
        &self,
        route: &str,
        id: u64,
        how: &str,
        meta: Option<&Meta>,
        due_ms: u64,
    ) -> Result<Vec<u64>, QueueError> {
        // No longer renewed, whatever Redis answers: if this cannot settle it, another
        // replica (or this one) takes it over after the visibility timeout and delivers it
        // again, rather than it being held here forever.
        let entry = lock(&self.held)
            .remove(&id)
            .map(|(_, e)| e)
            .unwrap_or_default();
        let json = match meta {
            Some(m) => serde_json::to_vec(m).map_err(super::store_error)?,
            None => Vec::new(),
        };
        let mut call = self.queue.scripts.settle.prepare_invoke();
        call.arg(self.p())
            .arg(route)
            .arg(id)
            .arg(&entry)
            .arg(how)
            .arg(json)
            .arg(due_ms)
            .arg(self.queue.max_dead);
        let mut c = self.conn.clone();
        call.invoke_async(&mut c).await.map_err(redis_error)
    }

    /// Hands what this replica holds and has not settled (it is stopping) to the `released`
    /// consumer, where the next deliverer to look takes it at once, in acceptance order (not
    /// after the visibility timeout, as from a replica that died). How many were handed on.
    pub(super) async fn release_all(&self) -> usize {
        let by_route: BTreeMap<String, Vec<String>> = {
            let held = std::mem::take(&mut *lock(&self.held));
            let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (route, entry) in held.into_values() {
                m.entry(route).or_default().push(entry);
            }
            m
        };
        let mut n = 0;
        let mut c = self.conn.clone();
        for (route, entries) in by_route {
            let r: Result<Vec<String>, RedisError> = redis::cmd("XCLAIM")
                .arg(format!("{}s:{route}", self.p()))
                .arg(GROUP)
                .arg(RELEASED)
                .arg(0)
                .arg(&entries)
                .arg("JUSTID")
                .query_async(&mut c)
                .await;
            n += r.map_or(0, |ids| ids.len());
        }
        n
    }
}
