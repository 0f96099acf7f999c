//! Documents kept by URL: fresh copies served without I/O, expired ones refetched by one fetch
//! however many callers ask, the last good copy served while refetches fail, forced refreshes
//! rate limited per URL, a bounded number of entries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use http::Uri;
use tokio::sync::watch;

use super::{redact, redact_uri, Client, FetchError};
use crate::clock::Clock;

/// How long documents are kept and how often a URL may be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePolicy {
    /// A document's TTL when its response says no `max-age`.
    pub default_ttl: Duration,
    /// Bounds on the TTL: a `max-age` (or `no-cache` / `no-store`, read as 0) is clamped into
    /// `[min_ttl, max_ttl]`, so a sender cannot make hookgate refetch on every request, nor
    /// keep a document for a year.
    pub min_ttl: Duration,
    pub max_ttl: Duration,
    /// After a failed fetch of a URL, no new fetch of it (by `get`) for this long: meanwhile
    /// `get` answers the last good copy, or the failure.
    pub failure_backoff: Duration,
    /// How long past its TTL the last good copy is still served while refetches fail. Past it
    /// `get` answers the failure: keys a sender has since revoked are not trusted forever.
    pub max_stale: Duration,
    /// A URL is fetched by [`Cache::refresh`] at most once per this (measured from its last
    /// fetch of any kind); sooner is [`FetchError::RefreshLimited`], without I/O.
    pub refresh_interval: Duration,
    /// URLs kept at most; a new one evicts the least recently used of those without a good copy,
    /// else the least recently used (never one being fetched).
    pub max_entries: usize,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            default_ttl: Duration::from_secs(10 * 60),
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(24 * 60 * 60),
            failure_backoff: Duration::from_secs(30),
            max_stale: Duration::from_secs(24 * 60 * 60),
            refresh_interval: Duration::from_secs(30),
            max_entries: 64,
        }
    }
}

/// Reads a fetched body into the cached value (a key set, a certificate, an address list). An
/// `Err` is a failed fetch ([`FetchError::Parse`]): the last good copy stays. The message is
/// logged: it must not quote the body.
pub type Parser<T> = Arc<dyn Fn(&[u8]) -> Result<T, String> + Send + Sync>;

/// A cached document as a caller gets it.
#[derive(Debug)]
pub struct Doc<T> {
    pub value: Arc<T>,
    /// When the fetch that produced it completed (the injected clock's time).
    pub fetched_at: SystemTime,
    /// When it stops being fresh.
    pub expires_at: SystemTime,
    /// Set when the copy is past `expires_at` and served because refetching it failed: the
    /// latest failure. `None` for a fresh copy.
    pub stale: Option<FetchError>,
}

impl<T> Clone for Doc<T> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
            fetched_at: self.fetched_at,
            expires_at: self.expires_at,
            stale: self.stale.clone(),
        }
    }
}

impl<T> Doc<T> {
    /// How old the copy is at `now` (zero if the clock went back).
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.fetched_at).unwrap_or_default()
    }
}

/// One URL's entry, for a metric or a status page.
#[derive(Debug, Clone)]
pub struct EntryInfo {
    /// Without its query string.
    pub url: String,
    /// The last good copy's fetch time, if there is one.
    pub fetched_at: Option<SystemTime>,
    /// Its age now.
    pub age: Option<Duration>,
    /// The last fetch failed (the copy, if any, is what was there before).
    pub last_error: Option<FetchError>,
}

/// A cache of parsed documents fetched through a [`Client`]. Cheap to clone (shared inside).
/// Fetches run on a spawned task, so one finishes (and fills the cache) even if every caller
/// waiting for it is cancelled; callers need a Tokio runtime.
pub struct Cache<T> {
    inner: Arc<Shared<T>>,
}

impl<T> Clone for Cache<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

struct Shared<T> {
    client: Client,
    parse: Parser<T>,
    policy: CachePolicy,
    clock: Clock,
    state: Mutex<State<T>>,
}

struct State<T> {
    slots: HashMap<String, Slot<T>>,
    /// Bumped on every use: the least recently used slot has the smallest `used`.
    tick: u64,
}

struct Slot<T> {
    good: Option<Doc<T>>,
    /// The fetch in progress: its outcome arrives here.
    inflight: Option<watch::Receiver<Option<Done<T>>>>,
    last_attempt: Option<SystemTime>,
    failure: Option<(SystemTime, FetchError)>,
    used: u64,
}

/// A fetch's outcome for those waiting on it, with the copy that was there before it (served
/// by `get` when the fetch failed).
struct Done<T> {
    result: Result<Doc<T>, FetchError>,
    previous: Option<Doc<T>>,
}

impl<T> Clone for Done<T> {
    fn clone(&self) -> Self {
        Self {
            result: self.result.clone(),
            previous: self.previous.clone(),
        }
    }
}

enum Step<T> {
    Answer(Result<Doc<T>, FetchError>),
    Wait(watch::Receiver<Option<Done<T>>>),
}

impl<T: Send + Sync + 'static> Cache<T> {
    /// `clock` is the one the TTLs, ages and rate limits are measured on
    /// ([`crate::clock::system_clock`] in a real run; a settable one in tests).
    pub fn new(client: Client, parse: Parser<T>, policy: CachePolicy, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Shared {
                client,
                parse,
                policy,
                clock,
                state: Mutex::new(State {
                    slots: HashMap::new(),
                    tick: 0,
                }),
            }),
        }
    }

    /// Under the lock: `url`'s slot, if it has one, is handed to `decide`, which answers, joins
    /// a fetch, or (`None`) asks for a new fetch; a URL without a slot gets one and a fetch.
    fn step(
        &self,
        url: &str,
        decide: impl FnOnce(&Shared<T>, &mut Slot<T>, SystemTime) -> Option<Step<T>>,
    ) -> Result<Step<T>, FetchError> {
        let uri = self.inner.client.allow_list().check(url)?;
        let key = uri.to_string();
        let now = (self.inner.clock)();
        let mut state = self.inner.lock();
        let tick = state.bump();
        Ok(match state.slots.get_mut(&key) {
            Some(slot) => {
                slot.used = tick;
                match decide(&self.inner, slot, now) {
                    Some(step) => step,
                    None => Step::Wait(self.inner.start(slot, &key, uri, now)),
                }
            }
            None => match self.inner.new_slot(&mut state, &key, tick) {
                Ok(slot) => Step::Wait(self.inner.start(slot, &key, uri, now)),
                Err(e) => Step::Answer(Err(e)),
            },
        })
    }

    /// The document at `url`: the cached copy while fresh (no I/O); else one fetch shared by
    /// every concurrent caller. When that fetch fails, the last good copy is answered (with
    /// `stale` set) as long as it is within `max_stale` of its expiry; without one, the error.
    pub async fn get(&self, url: &str) -> Result<Doc<T>, FetchError> {
        let step = self.step(url, |inner, slot, now| match &slot.good {
            Some(doc) if now < doc.expires_at => Some(Step::Answer(Ok(doc.clone()))),
            _ => match (&slot.inflight, &slot.failure) {
                (Some(rx), _) => Some(Step::Wait(rx.clone())),
                (None, Some((at, err))) if now < *at + inner.policy.failure_backoff => {
                    Some(Step::Answer(inner.stale_or(slot.good.as_ref(), err, now)))
                }
                _ => None,
            },
        })?;
        match step {
            Step::Answer(answer) => answer,
            Step::Wait(rx) => {
                let done = wait(rx).await;
                match done.result {
                    Ok(doc) => Ok(doc),
                    Err(err) => {
                        let now = (self.inner.clock)();
                        self.inner.stale_or(done.previous.as_ref(), &err, now)
                    }
                }
            }
        }
    }

    /// Fetches `url` now, ahead of its TTL: for a JWT whose `kid` is not in the cached key set.
    /// Joins a fetch already in progress; otherwise at most one per `refresh_interval` per URL
    /// (else [`FetchError::RefreshLimited`], no I/O), so forged `kid`s cannot make hookgate
    /// hammer the sender. On failure the error is answered (the cached copy stays for `get`).
    pub async fn refresh(&self, url: &str) -> Result<Doc<T>, FetchError> {
        let step = self.step(url, |inner, slot, now| {
            let next = slot
                .last_attempt
                .map(|at| at + inner.policy.refresh_interval);
            match (&slot.inflight, next) {
                (Some(rx), _) => Some(Step::Wait(rx.clone())),
                (None, Some(next)) if now < next => {
                    let wait = next.duration_since(now).unwrap_or_default();
                    tracing::debug!(url = %redact(url), "forced refresh refused: too soon");
                    Some(Step::Answer(Err(FetchError::RefreshLimited(wait))))
                }
                _ => None,
            }
        })?;
        match step {
            Step::Answer(answer) => answer,
            Step::Wait(rx) => wait(rx).await.result,
        }
    }

    /// The last good copy of `url`, whatever its age, without I/O (`stale` is not set).
    pub fn peek(&self, url: &str) -> Option<Doc<T>> {
        let key = self.inner.client.allow_list().check(url).ok()?.to_string();
        let state = self.inner.lock();
        state.slots.get(&key).and_then(|s| s.good.clone())
    }

    /// Every entry, for a gauge of document ages (`hookgate_fetch_age_seconds{url}`) and a
    /// failure flag.
    pub fn entries(&self) -> Vec<EntryInfo> {
        let now = (self.inner.clock)();
        let state = self.inner.lock();
        let mut out: Vec<EntryInfo> = state
            .slots
            .iter()
            .map(|(key, slot)| EntryInfo {
                url: key
                    .parse::<Uri>()
                    .map(|u| redact_uri(&u))
                    .unwrap_or_default(),
                fetched_at: slot.good.as_ref().map(|d| d.fetched_at),
                age: slot.good.as_ref().map(|d| d.age(now)),
                last_error: slot.failure.as_ref().map(|(_, e)| e.clone()),
            })
            .collect();
        out.sort_by(|a, b| a.url.cmp(&b.url));
        out
    }
}

impl<T> State<T> {
    fn bump(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }
}

impl<T: Send + Sync + 'static> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding the lock leaves the map consistent (every change is one
        // assignment), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stale_or(
        &self,
        previous: Option<&Doc<T>>,
        err: &FetchError,
        now: SystemTime,
    ) -> Result<Doc<T>, FetchError> {
        match previous {
            Some(doc) if now < doc.expires_at + self.policy.max_stale => {
                let mut doc = doc.clone();
                doc.stale = Some(err.clone());
                Ok(doc)
            }
            _ => Err(err.clone()),
        }
    }

    /// Makes room (evicting the least recently used slot not being fetched) and inserts an
    /// empty slot for `key`.
    fn new_slot<'s>(
        &self,
        state: &'s mut State<T>,
        key: &str,
        tick: u64,
    ) -> Result<&'s mut Slot<T>, FetchError> {
        if state.slots.len() >= self.policy.max_entries.max(1) {
            // URLs that never produced a document go first: a flood of URLs that fail (an SNS
            // message may name any path on an SNS host) must not push out the certificates and
            // key sets genuine requests use.
            let victim = state
                .slots
                .iter()
                .filter(|(_, s)| s.inflight.is_none())
                .min_by_key(|(_, s)| (s.good.is_some(), s.used))
                .map(|(k, _)| k.clone());
            match victim {
                Some(k) => {
                    state.slots.remove(&k);
                }
                // Every entry is being fetched: a new URL waits its turn.
                None => return Err(FetchError::Busy),
            }
        }
        Ok(state.slots.entry(key.to_owned()).or_insert(Slot {
            good: None,
            inflight: None,
            last_attempt: None,
            failure: None,
            used: tick,
        }))
    }

    /// Starts the fetch of `slot` on its own task; the receiver gets its outcome.
    fn start(
        self: &Arc<Self>,
        slot: &mut Slot<T>,
        key: &str,
        uri: Uri,
        now: SystemTime,
    ) -> watch::Receiver<Option<Done<T>>> {
        let (tx, rx) = watch::channel(None);
        slot.inflight = Some(rx.clone());
        slot.last_attempt = Some(now);
        let mut guard = Inflight {
            shared: self.clone(),
            key: key.to_owned(),
            armed: true,
        };
        tokio::spawn(async move {
            let result = guard.shared.fetch(&uri).await;
            let done = guard.shared.settle(&guard.key, &uri, result);
            guard.disarm();
            // No receiver left is fine: the cache is filled either way.
            let _ = tx.send(Some(done));
        });
        rx
    }

    async fn fetch(&self, uri: &Uri) -> Result<Doc<T>, FetchError> {
        let response = self.client.get_uri(uri).await?;
        let value = (self.parse)(&response.body).map_err(|m| FetchError::Parse(m.into()))?;
        let p = &self.policy;
        let ttl = if response.no_store {
            p.min_ttl
        } else {
            response.max_age.unwrap_or(p.default_ttl)
        };
        let ttl = ttl.clamp(p.min_ttl, p.max_ttl.max(p.min_ttl));
        let now = (self.clock)();
        Ok(Doc {
            value: Arc::new(value),
            fetched_at: now,
            expires_at: now + ttl,
            stale: None,
        })
    }

    /// Records a fetch's outcome in its slot and says what waiters get.
    fn settle(&self, key: &str, uri: &Uri, result: Result<Doc<T>, FetchError>) -> Done<T> {
        let now = (self.clock)();
        let mut state = self.lock();
        // Slots being fetched are never evicted, so it is there.
        let slot = state.slots.get_mut(key);
        let previous = slot.as_ref().and_then(|s| s.good.clone());
        match &result {
            Ok(doc) => {
                tracing::debug!(
                    url = %redact_uri(uri),
                    ttl_s = doc.expires_at.duration_since(doc.fetched_at).unwrap_or_default().as_secs(),
                    "fetched"
                );
            }
            // Busy is this process's own limit, not the sender's state: not worth a warning
            // each time a flood meets it.
            Err(FetchError::Busy) => tracing::debug!(url = %redact_uri(uri), "fetch refused: busy"),
            Err(err) => {
                let age = previous.as_ref().map(|d| d.age(now).as_secs());
                tracing::warn!(
                    url = %redact_uri(uri),
                    error = %err,
                    kind = err.kind(),
                    last_good_age_s = ?age,
                    "fetch failed"
                );
            }
        }
        if let Some(slot) = slot {
            slot.inflight = None;
            match &result {
                Ok(doc) => {
                    slot.good = Some(doc.clone());
                    slot.failure = None;
                }
                // Busy says nothing of the URL: the next caller may try again at once.
                Err(FetchError::Busy) => {}
                Err(err) => slot.failure = Some((now, err.clone())),
            }
        }
        Done { result, previous }
    }
}

/// Clears a slot's `inflight` if its fetch task ends without settling (a panicking parser, a
/// runtime shutting down), so later callers start a new fetch instead of waiting forever.
struct Inflight<T: Send + Sync + 'static> {
    shared: Arc<Shared<T>>,
    key: String,
    armed: bool,
}

impl<T: Send + Sync + 'static> Inflight<T> {
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl<T: Send + Sync + 'static> Drop for Inflight<T> {
    fn drop(&mut self) {
        if self.armed {
            if let Some(slot) = self.shared.lock().slots.get_mut(&self.key) {
                slot.inflight = None;
            }
        }
    }
}

async fn wait<T>(mut rx: watch::Receiver<Option<Done<T>>>) -> Done<T> {
    match rx.wait_for(Option::is_some).await {
        Ok(done) => match &*done {
            Some(done) => done.clone(),
            None => abandoned(),
        },
        Err(_) => abandoned(),
    }
}

fn abandoned<T>() -> Done<T> {
    Done {
        result: Err(FetchError::Connect(
            "the fetch task ended without an answer".into(),
        )),
        previous: None,
    }
}
