//! Integration tests: the real proxy on 127.0.0.1:0, a recording upstream, real HTTP clients.

#![expect(
    clippy::unwrap_used,
    reason = "a failed unwrap in a test or its harness is a failed test with a backtrace: what we want here"
)]

mod adyen;
mod airship;
mod allowlist;
mod diagnostics;
mod expiry;
mod faults;
mod fetch;
mod filters;
mod handshakes;
mod harness;
mod hostile;
mod keyserver;
mod layout;
mod limits;
mod process;
mod props;
mod proxy;
mod pubsub;
mod queue;
mod queue_process;
mod queue_redis;
mod ratelimit;
mod reload;
mod sign;
mod sns;
mod tools;
mod tracing;
mod vectors;
mod wire;
