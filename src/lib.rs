//! hookgate: a reverse proxy that lets only authentic, fresh, first-seen webhooks through.
//!
//! A request is decided in `gate.rs`, top to bottom (route, method, precheck, capacity, body,
//! signature, timestamp, dedup, forward); `stack.rs` shows the layers around it and `app.rs`
//! the wiring. `docs/architecture.md` maps the modules.
//!
//! What a user of the crate needs is public: running hookgate (`app`, `config`, `clock`,
//! `reload`, `logging`), verifying and signing deliveries in-process (`verify`, `sender`,
//! `secret`), the dedup stores (`dedup`), outbound fetches of what senders publish
//! (`fetch`: key sets, certificates), route filters (`filter`), OpenTelemetry traces (`otel`) and the outcome codes answers carry (`outcome`). The
//! rest is the request path's own machinery.

pub mod allowlist;
pub mod app;
pub mod clock;
pub mod config;
pub mod dedup;
pub mod fetch;
pub mod filter;
pub mod logging;
pub mod otel;
pub mod outcome;
pub mod peer;
pub mod queue;
pub mod reload;
pub mod secret;
pub mod sender;
pub mod sizing;
pub mod verify;

pub(crate) mod admin;

pub(crate) mod body;
pub(crate) mod diagnostics;

pub(crate) mod forward;
pub(crate) mod gate;
pub(crate) mod handshake;
pub(crate) mod keyring;
pub(crate) mod metrics;
pub(crate) mod ratelimit;

pub(crate) mod record;
pub(crate) mod server;
pub(crate) mod sources;
pub(crate) mod stack;
pub(crate) mod workers;
