//! `queue:` and routes' `delivery:`: where the durable queue lives, how big it may grow, and
//! how each queued route's deliveries are attempted.

use std::time::Duration;

use http::StatusCode;

use super::raw::{RawDelivery, RawDeliveryOptions, RawQueue};
use super::validate::Validator;
use super::{
    DeliveryKind, DeliveryMode, DeliveryPolicy, QueueBackendKind, QueueConfig, QueueStore,
};
use crate::dedup::RedisSettings;

pub const DEFAULT_QUEUE_MAX_BYTES: u64 = 1024 * 1024 * 1024;
pub const DEFAULT_MAX_DEAD_LETTERS: usize = 10_000;
/// A bound on the list, so a typo cannot make it a disk sink.
pub const MAX_DEAD_LETTERS_CAP: usize = 10_000_000;
/// Enough to keep an app busy without flooding it after an outage.
pub const DEFAULT_DELIVERY_CONCURRENCY: usize = 4;
pub const MAX_DELIVERY_CONCURRENCY: usize = 10_000;
/// With the default backoff, 30 attempts span about two and a half hours on average.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 30;
/// Senders' own retry windows are one to three days; a day of trying covers an app's outage
/// and leaves the dead letter inside the sender's window for a look.
pub const DEFAULT_DELIVERY_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Long enough that a replica busy with a slow app is not taken for dead (it renews every
/// third of it); short enough that a dead replica's deliveries wait half a minute at most.
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);
pub const MIN_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(1);
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(600);

impl Validator<'_> {
    /// The store (`None` without `queue.path` or `queue.backend`) and the delivery defaults of
    /// queued routes. `dedup_redis`: the dedup store's connection, the Redis backend's default.
    pub(super) fn queue(
        &mut self,
        raw: &RawQueue,
        dedup_redis: Option<&RedisSettings>,
    ) -> (Option<QueueConfig>, DeliveryPolicy) {
        let max_bytes = raw
            .max_bytes
            .as_deref()
            .map_or(Some(DEFAULT_QUEUE_MAX_BYTES as usize), |s| {
                self.parsed_size("queue.max_bytes", s)
            });
        let max_dead_letters = self.count(
            "queue.max_dead_letters",
            raw.max_dead_letters,
            DEFAULT_MAX_DEAD_LETTERS,
            MAX_DEAD_LETTERS_CAP,
        );
        let defaults = self.policy("queue", &raw.defaults(), &base_policy());
        let visibility_timeout = self.duration(
            "queue.visibility_timeout",
            raw.visibility_timeout.as_deref(),
            DEFAULT_VISIBILITY_TIMEOUT,
        );
        if visibility_timeout < MIN_VISIBILITY_TIMEOUT {
            self.problem(
                "queue.visibility_timeout",
                "at least 1s: a live replica renews what it holds every third of it",
            );
        }
        let backend = raw.backend.as_ref().map(|b| {
            self.choice(
                "queue.backend",
                Some(b),
                QueueBackendKind::Embedded,
                "use embedded or redis",
            )
        });
        let store = match (backend, &raw.path, &raw.redis) {
            (None, None, None) => None,
            (None | Some(QueueBackendKind::Embedded), Some(p), None) => {
                Some(QueueStore::Embedded {
                    path: self.base.join(p),
                })
            }
            (None | Some(QueueBackendKind::Embedded), None, _) => {
                self.problem(
                    "queue.path",
                    "the embedded queue needs a file: set queue.path (or `backend: redis`)",
                );
                None
            }
            (None | Some(QueueBackendKind::Embedded), Some(_), Some(_)) => {
                self.problem("queue.redis", "set `backend: redis` to use it");
                None
            }
            (Some(QueueBackendKind::Redis), path, redis) => {
                if path.is_some() {
                    self.problem(
                        "queue.path",
                        "the redis backend keeps deliveries in Redis; remove queue.path",
                    );
                }
                match (redis, dedup_redis) {
                    (Some(r), _) => self
                        .redis("queue.redis", r)
                        .map(|redis| QueueStore::Redis { redis }),
                    (None, Some(d)) => Some(QueueStore::Redis { redis: d.clone() }),
                    (None, None) => {
                        self.problem(
                            "queue.redis",
                            "backend redis needs `redis: { url: redis://host:6379 }` (or dedup.redis)",
                        );
                        None
                    }
                }
            }
        };
        let store = store.map(|store| QueueConfig {
            store,
            max_bytes: max_bytes.unwrap_or(0) as u64,
            max_dead_letters,
            visibility_timeout,
        });
        if max_bytes == Some(0) {
            self.problem("queue.max_bytes", "must be more than 0");
        }
        (store, defaults)
    }

    /// A route's `delivery:`, its options over the `queue:` defaults.
    pub(super) fn delivery(
        &mut self,
        path: &str,
        raw: Option<&RawDelivery>,
        defaults: &DeliveryPolicy,
        queue_configured: bool,
    ) -> DeliveryMode {
        let path = format!("{path}.delivery");
        let (kind, options) = match raw {
            None => return DeliveryMode::Sync,
            Some(RawDelivery::Kind(k)) => (Some(k), None),
            Some(RawDelivery::Options(o)) => (o.mode.as_ref(), Some(o)),
        };
        let kind_path = if options.is_some() {
            format!("{path}.mode")
        } else {
            path.clone()
        };
        let kind = self.choice(&kind_path, kind, DeliveryKind::Sync, "use sync or queued");
        if kind == DeliveryKind::Sync {
            if options.is_some_and(|o| o.mode.is_none()) {
                self.problem(
                    format!("{path}.mode"),
                    "say `mode: queued` (delivery options apply to queued routes only)",
                );
            }
            return DeliveryMode::Sync;
        }
        if !queue_configured {
            self.problem(
                path.clone(),
                "a queued route needs the queue's store: set queue.path (a file on a local disk that survives restarts) or `queue.backend: redis`",
            );
        }
        let policy = match options {
            Some(o) => self.policy(&path, o, defaults),
            None => *defaults,
        };
        DeliveryMode::Queued(policy)
    }

    fn policy(
        &mut self,
        path: &str,
        o: &RawDeliveryOptions,
        defaults: &DeliveryPolicy,
    ) -> DeliveryPolicy {
        let concurrency = self.count(
            &format!("{path}.concurrency"),
            o.concurrency,
            defaults.concurrency,
            MAX_DELIVERY_CONCURRENCY,
        );
        let rate = match o.rate {
            None => defaults.rate,
            Some(0.0) => None,
            Some(r) if r.is_finite() && r > 0.0 => Some(r),
            Some(_) => {
                self.problem(
                    format!("{path}.rate"),
                    "must be a positive number of deliveries a second (0: no limit)",
                );
                defaults.rate
            }
        };
        let max_attempts = o.max_attempts.unwrap_or(defaults.max_attempts);
        if max_attempts == 0 {
            self.problem(format!("{path}.max_attempts"), "must be at least 1");
        }
        let max_age = self.duration(
            &format!("{path}.max_age"),
            o.max_age.as_deref(),
            defaults.max_age,
        );
        let initial_backoff = self.duration(
            &format!("{path}.initial_backoff"),
            o.initial_backoff.as_deref(),
            defaults.initial_backoff,
        );
        let max_backoff = self.duration(
            &format!("{path}.max_backoff"),
            o.max_backoff.as_deref(),
            defaults.max_backoff,
        );
        for (key, d) in [
            ("max_age", max_age),
            ("initial_backoff", initial_backoff),
            ("max_backoff", max_backoff),
        ] {
            if d.is_zero() {
                self.problem(format!("{path}.{key}"), "must be more than 0");
            }
        }
        if initial_backoff > max_backoff {
            self.problem(
                format!("{path}.initial_backoff"),
                "must be at most max_backoff",
            );
        }
        let status = match o.status {
            None => defaults.status,
            Some(s) => match StatusCode::from_u16(s) {
                Ok(s) if s.is_success() => s,
                _ => {
                    self.problem(
                        format!("{path}.status"),
                        format!("{s} is not a 2xx status; senders retry anything else"),
                    );
                    defaults.status
                }
            },
        };
        DeliveryPolicy {
            concurrency,
            rate,
            max_attempts: max_attempts.max(1),
            max_age,
            initial_backoff,
            max_backoff,
            status,
        }
    }
}

/// The built-in defaults, under `queue:`'s own.
fn base_policy() -> DeliveryPolicy {
    DeliveryPolicy {
        concurrency: DEFAULT_DELIVERY_CONCURRENCY,
        rate: None,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        max_age: DEFAULT_DELIVERY_MAX_AGE,
        initial_backoff: DEFAULT_INITIAL_BACKOFF,
        max_backoff: DEFAULT_MAX_BACKOFF,
        status: StatusCode::ACCEPTED,
    }
}
