//! What the file says: serde types that mirror the YAML key for key.
//!
//! `deny_unknown_fields` everywhere (and no `flatten`, which would silently disable it), so a
//! typo is an error, never a check quietly left out. Values are kept as written (durations and
//! sizes as text, closed sets as [`Choice`]) so that `validate` can report every problem with
//! its path at once instead of serde stopping at the first. `config.example.yaml` shows each
//! key with a comment; what reloads and what needs a restart is decided by the typed config
//! (`Startup` and `Live` in `config/mod.rs`).

use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::{Backend, DeliveryKind, LogFormat, Mode, OnUnavailable, QueryPolicy, QueueBackendKind};
use crate::verify::{Algorithm, Encoding, SecretEncoding, TimestampFormat};

/// A name from a closed set, as the config writes it.
pub(super) trait Named: Sized + Copy {
    fn from_name(name: &str) -> Option<Self>;
}

/// A value of a closed set: `Known`, or the unknown text, reported by the validator with the
/// file's other problems (a serde enum would end the parse at the first one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Choice<T> {
    Known(T),
    Unknown(String),
}

impl<'de, T: Named> Deserialize<'de> for Choice<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text<T>(PhantomData<T>);
        impl<T: Named> Visitor<'_> for Text<T> {
            type Value = Choice<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Choice<T>, E> {
                Ok(T::from_name(s).map_or_else(|| Choice::Unknown(s.to_owned()), Choice::Known))
            }
        }
        d.deserialize_str(Text(PhantomData))
    }
}

impl Named for Mode {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "enforce" => Some(Self::Enforce),
            "observe" => Some(Self::Observe),
            _ => None,
        }
    }
}

impl Named for Backend {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "memory" => Some(Self::Memory),
            "redis" => Some(Self::Redis),
            _ => None,
        }
    }
}

impl Named for QueueBackendKind {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "embedded" => Some(Self::Embedded),
            "redis" => Some(Self::Redis),
            _ => None,
        }
    }
}

impl Named for LogFormat {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "text" => Some(Self::Text),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

impl Named for OnUnavailable {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "reject" => Some(Self::Reject),
            "forward" => Some(Self::Forward),
            _ => None,
        }
    }
}

impl Named for DeliveryKind {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sync" => Some(Self::Sync),
            "queued" => Some(Self::Queued),
            _ => None,
        }
    }
}

impl Named for QueryPolicy {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "forward" => Some(Self::Forward),
            "drop" => Some(Self::Drop),
            _ => None,
        }
    }
}

impl Named for Algorithm {
    fn from_name(name: &str) -> Option<Self> {
        Self::parse(name)
    }
}

impl Named for Encoding {
    fn from_name(name: &str) -> Option<Self> {
        Self::parse(name)
    }
}

impl Named for SecretEncoding {
    fn from_name(name: &str) -> Option<Self> {
        Self::parse(name)
    }
}

impl Named for TimestampFormat {
    fn from_name(name: &str) -> Option<Self> {
        Self::parse(name)
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// Where senders connect. Default `0.0.0.0:8080`.
    pub listen: Option<String>,
    /// `/metrics`, `/healthz`, `/readyz` and `/debug/*`, on a port of their own. Default
    /// `0.0.0.0:9090`.
    pub admin_listen: Option<String>,
    /// The app behind hookgate.
    pub upstream: RawUpstream,
    /// Other apps, by name, that a route (`upstream:`) or a rule (`rules[].upstream`) sends
    /// to instead of `upstream`. Same keys as `upstream`.
    #[serde(default)]
    pub upstreams: std::collections::BTreeMap<String, RawUpstream>,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub dedup: RawDedup,
    #[serde(default)]
    pub log: RawLog,
    /// How long in-flight requests may finish after SIGTERM. Default 20s.
    pub shutdown_grace: Option<String>,
    /// Threads serving requests. Default one per usable CPU, at most 4.
    pub workers: Option<usize>,
    #[serde(default)]
    pub diagnostics: RawDiagnostics,
    #[serde(default)]
    pub admin: RawAdmin,
    /// The durable queue of `delivery: queued` routes, and their defaults.
    #[serde(default)]
    pub queue: RawQueue,
    /// Outbound HTTPS fetches of what senders publish (JWKS key sets, SNS certificates).
    #[serde(default)]
    pub fetch: RawFetch,
    /// Addresses (CIDRs) of the load balancers or ingresses in front of hookgate: from them,
    /// the client address is read from `X-Forwarded-For` (or a PROXY header, with
    /// `proxy_protocol`). Reloaded.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// `true`: every connection starts with a PROXY protocol header (v1 or v2), accepted only
    /// from `trusted_proxies`. Restart to change.
    pub proxy_protocol: Option<bool>,
    /// One route per webhook endpoint.
    pub routes: Vec<RawRoute>,
}

/// One of a route's `allow_ips`: a CIDR string, or a published list
/// (`{ sender: github }`, `{ url: https://..., format: json_list }`, each with an optional
/// `refresh:`). (Not `untagged`: a typo in the map must be reported as such.)
#[derive(Debug)]
pub(super) enum RawAllowIp {
    Cidr(String),
    List(RawAllowList),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAllowList {
    /// A sender whose list hookgate knows: `github`, `stripe`.
    pub sender: Option<String>,
    /// Any other list, over HTTPS.
    pub url: Option<String>,
    /// How `url`'s body is read: `json_list`, `text`, `github_meta`, `stripe`.
    pub format: Option<String>,
    /// How often it is fetched again. Default 1h.
    pub refresh: Option<String>,
}

impl<'de> Deserialize<'de> for RawAllowIp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAllowIp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CIDR string or a map with `sender` or `url`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawAllowIp, E> {
                Ok(RawAllowIp::Cidr(s.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawAllowIp, A::Error> {
                RawAllowList::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawAllowIp::List)
            }
        }
        d.deserialize_any(V)
    }
}

/// The durable queue (`queue:`): where it lives and how big it may grow (restart to change),
/// and the delivery defaults of queued routes (reloaded).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQueue {
    /// `embedded` (a file on this replica's disk, the default) or `redis` (Redis Streams,
    /// shared by replicas).
    pub backend: Option<Choice<QueueBackendKind>>,
    /// The embedded store's file (relative paths resolve against the config's folder).
    /// Required when a route is queued on the embedded backend.
    pub path: Option<PathBuf>,
    /// The Redis backend's connection, as `dedup.redis` (without `on_unavailable`); default
    /// `dedup.redis`'s own when the dedup store is Redis too.
    pub redis: Option<RawRedis>,
    /// Redis backend: how long a delivery taken by a replica that stopped waits before another
    /// replica takes it over. Default 30s.
    pub visibility_timeout: Option<String>,
    /// Bytes of deliveries held (waiting and dead letters); past it new ones get 503. Default 1GiB.
    pub max_bytes: Option<String>,
    /// Dead letters kept; the oldest goes past it. Default 10000.
    pub max_dead_letters: Option<usize>,
    /// The defaults of queued routes' `delivery:` options (see there).
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    pub max_attempts: Option<u32>,
    pub max_age: Option<String>,
    pub initial_backoff: Option<String>,
    pub max_backoff: Option<String>,
    pub status: Option<u16>,
}

impl RawQueue {
    /// The delivery defaults, in the shape of a route's options.
    pub fn defaults(&self) -> RawDeliveryOptions {
        RawDeliveryOptions {
            mode: None,
            concurrency: self.concurrency,
            rate: self.rate,
            max_attempts: self.max_attempts,
            max_age: self.max_age.clone(),
            initial_backoff: self.initial_backoff.clone(),
            max_backoff: self.max_backoff.clone(),
            status: self.status,
        }
    }
}

/// A route's `delivery:`: `sync`, `queued`, or the options map. (Not `untagged`: a typo in the
/// map must be reported as such, not as "matched no variant".)
#[derive(Debug)]
pub(super) enum RawDelivery {
    Kind(Choice<DeliveryKind>),
    Options(RawDeliveryOptions),
}

impl<'de> Deserialize<'de> for RawDelivery {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDelivery;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`sync`, `queued` or a map of delivery options")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawDelivery, E> {
                Ok(RawDelivery::Kind(DeliveryKind::from_name(s).map_or_else(
                    || Choice::Unknown(s.to_owned()),
                    Choice::Known,
                )))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawDelivery, A::Error> {
                RawDeliveryOptions::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawDelivery::Options)
            }
        }
        d.deserialize_any(V)
    }
}

/// How a queued route's deliveries reach the app.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeliveryOptions {
    /// `sync` (the default) or `queued` (only in a route's `delivery:` map).
    pub mode: Option<Choice<DeliveryKind>>,
    /// Attempts in progress at once. Default 4.
    pub concurrency: Option<usize>,
    /// Attempts started per second at most; 0 or absent: no limit.
    pub rate: Option<f64>,
    /// Attempts before a delivery becomes a dead letter. Default 30.
    pub max_attempts: Option<u32>,
    /// Age (since accepted) after which a failing delivery becomes a dead letter. Default 24h.
    pub max_age: Option<String>,
    /// The first retry waits up to this (full jitter), doubling each time. Default 1s.
    pub initial_backoff: Option<String>,
    /// The longest wait between attempts. Default 10m.
    pub max_backoff: Option<String>,
    /// The 2xx the sender gets once its delivery is stored. Default 202.
    pub status: Option<u16>,
}

/// The admin port beyond `/metrics` and the probes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdmin {
    /// Serve `/debug/*` (`/debug/rejections`). Default false.
    pub debug: Option<bool>,
    /// A bearer token `/debug/*` then requires: `{ file: PATH }` or `{ env: NAME }`.
    pub token: Option<RawSecret>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiagnostics {
    /// Rejections kept for `/debug/rejections`; 0 keeps none. Default 100, at most 10000.
    pub recent_rejections: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpstream {
    /// `http://host:port[/base]` or `unix:/path/to.sock`.
    pub url: String,
    /// The whole exchange with the app (connect, request, answer). Default 30s.
    pub timeout: Option<String>,
    /// Idle pooled connections close after this. Default 4s.
    pub pool_idle_timeout: Option<String>,
    /// The largest answer relayed from the app. Default 8MiB.
    pub max_response_body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    /// Larger bodies get 413 (routes may set their own). Default 1MiB, at most 1GiB.
    pub max_body: Option<String>,
    /// Bytes of request bodies held at once, all connections together. Default 64MiB, or 4
    /// bodies of the largest body limit.
    pub max_buffered: Option<String>,
    /// Time to receive a request's headers. Default 5s.
    pub header_timeout: Option<String>,
    /// Time to receive a request's body (408 past it). Default 10s.
    pub body_timeout: Option<String>,
    /// Requests handled at once (503 past it). Default 1024.
    pub max_concurrency: Option<usize>,
    /// Open connections, all sources together; more are closed at accept. Default 2048.
    pub max_connections: Option<usize>,
    /// Bytes of unfinished request heads held at once, all connections together; a connection
    /// whose head would pass it is closed. Default 16MiB.
    pub max_header_bytes: Option<String>,
    /// Bytes a second a request body must arrive at, on average, once `body_rate_grace` has
    /// passed (408 below it); 0 turns the check off. Default 1KiB.
    pub min_body_rate: Option<String>,
    /// How long a body may arrive slower than `min_body_rate` at first. Default 2s.
    pub body_rate_grace: Option<String>,
    /// What one client address may hold at once.
    #[serde(default)]
    pub per_source: RawPerSource,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerSource {
    /// Open connections. Default a quarter of `limits.max_connections`.
    pub max_connections: Option<usize>,
    /// Requests in progress (429 past it). Default a quarter of `limits.max_concurrency`.
    pub max_concurrency: Option<usize>,
    /// Bytes of request bodies. Default a quarter of `limits.max_buffered`, and at least the
    /// largest body limit.
    pub max_buffered: Option<String>,
    /// Bytes of unfinished request heads. Default a quarter of `limits.max_header_bytes`.
    pub max_header_bytes: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDedup {
    /// `memory` (one replica, the default) or `redis` (shared by several).
    pub backend: Option<Choice<Backend>>,
    /// Ids the memory store remembers at most. Default 100000.
    pub max_entries: Option<u64>,
    /// How long an accepted delivery id is remembered. Default 72h.
    pub ttl: Option<String>,
    /// Status answered to a duplicate of an accepted delivery; 2xx. Default 200.
    pub duplicate_status: Option<u16>,
    /// The shared store, with `backend: redis`.
    pub redis: Option<RawRedis>,
    /// Memory backend: accepted ids saved on shutdown, restored on start.
    pub snapshot: Option<RawSnapshot>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSnapshot {
    /// The snapshot file (relative paths resolve against the config's folder).
    pub path: PathBuf,
    /// Ids saved at most (the most recent). Default `dedup.max_entries`.
    pub max_entries: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRedis {
    /// `redis://host:port/db` or `rediss://` (TLS), without credentials.
    pub url: Option<String>,
    /// ACL user, if any.
    pub username: Option<String>,
    /// `{ env: NAME }` or `{ file: PATH }`.
    pub password: Option<RawSecret>,
    /// Prepended to every key. Default `hookgate:`.
    pub key_prefix: Option<String>,
    /// Per operation. Default 500ms.
    pub timeout: Option<String>,
    /// `reject` (503 + Retry-After, the default) or `forward` (no dedup while Redis is down).
    pub on_unavailable: Option<Choice<OnUnavailable>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    /// `text` (the default) or `json`.
    pub format: Option<Choice<LogFormat>>,
    /// A tracing filter (`info`, `hookgate=debug`); `RUST_LOG` overrides it. Default `info`.
    pub level: Option<String>,
}

/// Outbound fetches (`fetch:`); reloaded (a change starts a new, empty key cache).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    /// A PEM file of CA certificates trusted *instead of* the built-in (Mozilla) roots: a
    /// private CA, or tests.
    pub ca_file: Option<PathBuf>,
    /// DNS and TCP connect. Default 3s.
    pub connect_timeout: Option<String>,
    /// The whole fetch, body included. Default 10s.
    pub timeout: Option<String>,
    /// Host names connected to at a fixed `ip:port` instead of the DNS's answer (curl's
    /// `--resolve`); the TLS name check still uses the host name.
    #[serde(default)]
    pub resolve: std::collections::BTreeMap<String, String>,
}

/// `provider: sns` options (`sns:`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSns {
    /// The topics accepted (`arn:aws:sns:REGION:ACCOUNT:NAME`); required: SNS signs every
    /// account's messages with the same certificates.
    #[serde(default)]
    pub topic_arns: Vec<String>,
    /// `true`: hookgate confirms a verified `SubscriptionConfirmation` itself (a GET of its
    /// `SubscribeURL`) instead of forwarding it. Default false.
    pub confirm_subscription: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    /// Letters, digits, `-`, `_`, `.`; used in metrics, logs and `Hookgate-Verified`.
    pub name: String,
    /// The exact path served (no query string).
    pub path: String,
    /// A preset's name (`github`, `stripe`...); the route's `verify:` keys override its fields.
    pub provider: Option<String>,
    /// A generic scheme, or overrides of the preset's.
    pub verify: Option<RawVerify>,
    /// Any of them verifies (rotation).
    #[serde(default)]
    pub secrets: Vec<RawSecret>,
    /// How old a signed timestamp may be. Default 5m (or the sender's documented window).
    pub max_age: Option<String>,
    /// How far ahead of our clock a signed timestamp may be. Default 1m.
    pub max_future_skew: Option<String>,
    /// `enforce` (the default) or `observe` (verdicts logged and counted, everything forwarded).
    pub mode: Option<Choice<Mode>>,
    /// Methods accepted (405 for others). Default `[POST]`.
    pub methods: Option<Vec<String>>,
    /// Status for failed verification; 4xx. Default 401.
    pub reject_status: Option<u16>,
    /// Where the delivery id comes from, instead of the preset's or the default.
    pub dedup_key: Option<RawDedupKey>,
    /// `false` turns dedup off for the route.
    pub dedup: Option<bool>,
    /// The origin the sender calls, for schemes that sign the URL.
    pub public_url: Option<String>,
    /// This route's body limit instead of `limits.max_body`.
    pub max_body: Option<String>,
    /// `forward` (the default) or `drop`: whether the app gets the request's query string.
    pub query: Option<Choice<QueryPolicy>>,
    /// `sync` (the default: the sender gets the app's answer) or `queued` (stored, answered
    /// 202, delivered with retries), or `{ mode: queued, concurrency: .., ... }`.
    pub delivery: Option<RawDelivery>,
    /// The token Meta's verification GET carries in `hub.verify_token` (`facebook`,
    /// `instagram`, `whatsapp`): `{ env: NAME }`, `{ file: PATH }` or `{ value: .. }`.
    pub verify_token: Option<RawSecret>,
    /// `provider: sns`: the topics accepted, and whether hookgate confirms subscriptions.
    pub sns: Option<RawSns>,
    /// A CEL expression over the verified delivery (`body`, `headers`, `query`, `route`,
    /// `event_id`); a delivery it does not match is answered, not forwarded.
    pub filter: Option<String>,
    /// The answer to a delivery the filter drops: a 2xx. Default 200.
    pub filter_status: Option<u16>,
    /// `[{ when: CEL, path: /app/path }, ...]`: the first rule whose `when` matches sends the
    /// delivery to its `path` on the upstream; none matches, the request's own path.
    pub rules: Option<Vec<RawRule>>,
    /// One of `upstreams:` by name: where the route's deliveries go (those no rule sends
    /// elsewhere). Default: `upstream`.
    pub upstream: Option<String>,
    /// Client addresses allowed to send (CIDRs, and published lists): others get 403
    /// before the body is read. Default: any.
    pub allow_ips: Option<Vec<RawAllowIp>>,
    /// `{ rate: 10/s, burst: 20 }`: a token bucket per source address; over it, 429 before
    /// anything else is read.
    pub rate_limit: Option<RawRateLimit>,
}

/// A route's `rate_limit`; reloaded (a changed limit starts with full buckets).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRateLimit {
    /// `10/s`, `600/m`, `1000/h`, or a number: requests a second.
    pub rate: RawRate,
    /// Requests a source may send at once, after a quiet spell. Default: one second's worth of
    /// `rate`, at least 1.
    pub burst: Option<u64>,
}

/// `rate_limit.rate` as written: a number (a second), or text with its unit.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawRate {
    Number(f64),
    Text(String),
}

/// One of a route's `rules`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    /// A CEL expression, as `filter:`.
    pub when: String,
    /// The path the app gets the delivery on (the request's query string kept). Default: the
    /// request's own path (for a rule that names an `upstream`).
    pub path: Option<String>,
    /// One of `upstreams:` by name, instead of the route's upstream. With it, `path` may be
    /// left out: the request's own path.
    pub upstream: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVerify {
    /// `hmac-sha256`, `hmac-sha1`, `hmac-sha512`, `basic`, `jwt-hs256`, `jwt-rs256` or
    /// `jwt-es256` (presets use more).
    pub algorithm: Option<Choice<Algorithm>>,
    /// The signature header.
    pub header: Option<String>,
    /// `hex`, `base64` or `base64url`.
    pub encoding: Option<Choice<Encoding>>,
    /// Text before each signature (`sha256=`).
    pub prefix: Option<String>,
    /// Whether the prefix must be there. Default: true when `prefix` is set.
    pub prefix_required: Option<bool>,
    /// Between several signatures in one header.
    pub separator: Option<String>,
    /// `k=v` signature headers (`t=..,v1=..`).
    pub params: Option<RawParams>,
    /// The signed bytes: `{body}`, `{timestamp}`, `{id}`, `{method}`, `{url}` and literal text.
    pub signed_payload: Option<String>,
    /// `gzip`: with `Content-Encoding: gzip`, `{body}` is the decoded body (the sender signs
    /// before compressing, Airship); `none`: the bytes as received (the default).
    pub content_encoding: Option<String>,
    /// Where the signed time is.
    pub timestamp: Option<RawTimestamp>,
    /// Where `{id}` comes from.
    pub id: Option<RawId>,
    /// `raw` (the default), `base64`, `whsec` or `hex`.
    pub secret_encoding: Option<Choice<SecretEncoding>>,
    /// With `algorithm: jwt-hs256|jwt-rs256|jwt-es256`: what the token's claims must say.
    pub jwt: Option<RawJwt>,
}

/// A JWT signature's claims (`verify.jwt`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJwt {
    /// `iss` must equal this, or one of this list.
    pub issuer: Option<RawIssuers>,
    /// `aud` must equal (or, as a list, contain) this.
    pub audience: Option<String>,
    /// A claim carrying the hex SHA-256 of the body, which must match (Netlify: `sha256`).
    pub body_sha256_claim: Option<String>,
    /// `iat` is the signed time: required, and held to `max_age` / `max_future_skew`.
    pub iat: Option<bool>,
    /// `exp` must be present (it is always checked when it is).
    pub require_exp: Option<bool>,
    /// The sender's JWK Set (`https://...`), fetched, cached and refreshed on an unknown
    /// `kid`, instead of keys in `secrets:` (jwt-rs256 / jwt-es256; needs `audience`).
    pub jwks_url: Option<String>,
    /// Claims that must be present with these values (a string, or true/false).
    pub claims: Option<std::collections::BTreeMap<String, RawClaimValue>>,
}

/// `verify.jwt.issuer`: one issuer, or a list of the spellings accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawIssuers(pub Vec<String>);

impl<'de> Deserialize<'de> for RawIssuers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawIssuers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an issuer, or a list of issuers")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawIssuers, E> {
                Ok(RawIssuers(vec![s.to_owned()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<RawIssuers, A::Error> {
                Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(RawIssuers)
            }
        }
        d.deserialize_any(V)
    }
}

/// A required claim's value in `verify.jwt.claims`: text, or a YAML boolean (`true`, not
/// `"true"`: the token's JSON tells the two apart, and so does the check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RawClaimValue {
    Text(String),
    Bool(bool),
}

impl<'de> Deserialize<'de> for RawClaimValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawClaimValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, or true / false")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawClaimValue, E> {
                Ok(RawClaimValue::Text(s.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<RawClaimValue, E> {
                Ok(RawClaimValue::Bool(b))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParams {
    /// Between pairs. Default `,`.
    pub separator: Option<String>,
    /// The key of the signature pairs (`v1`).
    pub signature: String,
    /// Between whole groups of pairs, each with its own timestamp (Persona's `" "` during a
    /// secret rotation: `t=..,v1=.. t=..,v1=..`). Default: one group.
    pub groups: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimestamp {
    /// In a header.
    pub header: Option<String>,
    /// At a JSON pointer in the body.
    pub json: Option<String>,
    /// A pair of the `params:` signature header (`t`).
    pub param: Option<String>,
    /// `true`: the first entry of the signature list (`separator:`) is the timestamp, the
    /// entries after it the signatures (Recurly: `<unix ms>,<sig>,<sig>`).
    pub first_entry: Option<bool>,
    /// `unix` (the default), `unix_ms`, `rfc3339` or `iso8601_no_zone` (no zone: UTC).
    pub format: Option<Choice<TimestampFormat>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawId {
    /// In a header.
    pub header: Option<String>,
    /// At a JSON pointer in the body.
    pub json: Option<String>,
}

/// A secret: exactly one of `env`, `file` or `value`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecret {
    /// Names it in metrics and logs. Default: the env name or the file name.
    pub id: Option<String>,
    /// An environment variable (fixed for the process's life).
    pub env: Option<String>,
    /// A file (rotates with live reload; one trailing newline is trimmed).
    pub file: Option<PathBuf>,
    /// Inline (warned about: it would sit in a ConfigMap or a repository).
    pub value: Option<String>,
    /// A route secret only: the last instant it verifies (RFC 3339, `2026-03-01T00:00:00Z`).
    pub not_after: Option<String>,
}

// An inline `value` is a secret: keep it out of Debug like everything else.
impl fmt::Debug for RawSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSecret")
            .field("id", &self.id)
            .field("env", &self.env)
            .field("file", &self.file)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .field("not_after", &self.not_after)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDedupKey {
    /// A request header (unsigned unless the scheme signs it: `check` warns).
    pub header: Option<String>,
    /// A JSON pointer into the signed body.
    pub json: Option<String>,
    /// A delivery id header the sender documents for its redeliveries but does not sign,
    /// remembered together with the body hash (tried after `header` and `json`).
    pub delivery_header: Option<String>,
    /// The body's SHA-256.
    pub body_sha256: Option<bool>,
}
