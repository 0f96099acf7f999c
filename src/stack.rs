//! The service each connection is served with: the one place where what wraps a request's
//! handling is decided.
//!
//! ```text
//! connection (server.rs: header read timeout, keep-alive, graceful drain, head budget)
//!   -> in flight     gauge of requests being handled, rejected ones included
//!   -> Gate::handle  route -> method -> capacity -> body -> signature -> timestamp
//!                    -> dedup -> forward (gate.rs), each outcome recorded (record.rs)
//! ```
//! The per-request decisions stay in one async function, where their order is visible. The
//! wrappers are written into the service's own future rather than stacked as tower layers: a
//! layer whose future cannot be named must box it, and the request's future (a few KiB: every
//! step's state) was then allocated and copied once more per request. (In a profile the
//! saving was within noise: memmove 4.55% of samples before, 4.16% after; the point is that
//! nothing here costs a request anything it does not need.)

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use prometheus::IntGauge;
use tower::Service;

use crate::gate::{Gate, Handles};
use crate::outcome::HttpResponse;
use crate::server::HeadMeter;

/// The service for one connection from `peer`, served by the worker whose `handles` these are;
/// `meter` counts the connection's unfinished heads (server.rs).
pub fn build(
    gate: Arc<Gate>,
    handles: Arc<Handles>,
    peer: SocketAddr,
    meter: Arc<HeadMeter>,
) -> impl Service<
    http::Request<Incoming>,
    Response = HttpResponse,
    Error = Infallible,
    Future = impl Future<Output = Result<HttpResponse, Infallible>> + Send,
> + Clone
       + Send {
    tower::service_fn(move |req| {
        // Counted from here, whatever the request's fate; the guard leaves the gauge when the
        // future ends or is dropped (a connection that vanished mid-way).
        let in_flight = InFlight::enter(&gate.recorder.metrics.inflight);
        let (gate, handles, meter) = (gate.clone(), handles.clone(), meter.clone());
        // The head is parsed: its bytes no longer count; after the answer, the next head's do.
        meter.head_read();
        async move {
            let _in_flight = in_flight;
            let resp = gate.handle(&handles, req, peer).await;
            meter.answered();
            Ok::<_, Infallible>(resp)
        }
    })
}

/// One request in `hookgate_inflight_requests`, for as long as it lives.
struct InFlight(IntGauge);

impl InFlight {
    fn enter(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}
