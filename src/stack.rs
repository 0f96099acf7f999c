//! The request path as a tower stack: the one place where layer order is decided.
//!
//! ```text
//! connection (server.rs: header read timeout, keep-alive, graceful drain)
//!   -> InFlight      gauge of requests being handled, rejected ones included
//!   -> Gate::handle  route -> method -> capacity -> body -> signature -> timestamp
//!                    -> dedup -> forward (gate.rs), each outcome recorded (record.rs)
//! ```
//! Cross-cutting wrappers are layers; the per-request decisions stay in one async function,
//! where their order is visible.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::Incoming;
use prometheus::IntGauge;
use tower::{Layer, Service, ServiceBuilder};

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
    let inflight = gate.recorder.metrics.inflight.clone();
    ServiceBuilder::new()
        // Outermost, so every request is counted while it is handled, whatever its fate.
        .layer(InFlightLayer { gauge: inflight })
        .service_fn(move |req| {
            let (gate, handles, meter) = (gate.clone(), handles.clone(), meter.clone());
            // The head is parsed: its bytes no longer count; after the answer, the next
            // head's do.
            meter.head_read();
            async move {
                let resp = gate.handle(&handles, req, peer).await;
                meter.answered();
                Ok::<_, Infallible>(resp)
            }
        })
}

/// Keeps `hookgate_inflight_requests` up to date.
#[derive(Clone)]
pub struct InFlightLayer {
    gauge: IntGauge,
}

impl<S> Layer<S> for InFlightLayer {
    type Service = InFlight<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InFlight {
            inner,
            gauge: self.gauge.clone(),
        }
    }
}

#[derive(Clone)]
pub struct InFlight<S> {
    inner: S,
    gauge: IntGauge,
}

/// Decrements on drop, so a request whose connection vanished mid-way still leaves the gauge.
struct InFlightGuard(IntGauge);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl<S, Req> Service<Req> for InFlight<S>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send + 'static,
    Req: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // Call the instance that was polled ready, leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        self.gauge.inc();
        let guard = InFlightGuard(self.gauge.clone());
        Box::pin(async move {
            let _guard = guard;
            inner.call(req).await
        })
    }
}
