//! hookgate: a reverse proxy that lets only authentic, fresh, first-seen webhooks through.
//!
//! The request path, top to bottom, is in `stack.rs` (the layers) and `gate.rs` (the
//! decisions: route, method, limits, body, signature, timestamp, dedup, forward).

pub mod admin;
pub mod app;
pub mod body;
pub mod config;
pub mod dedup;
pub mod demo;
pub mod diagnostics;
pub mod error;
pub mod forward;
pub mod gate;
pub mod handshake;
pub mod logging;
pub mod metrics;
pub mod reload;
pub mod secret;
pub mod send_test;
pub mod server;
pub mod sizing;
pub mod stack;
pub mod verify;
pub mod workers;
