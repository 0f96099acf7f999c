//! The admin listener: `/metrics`, `/healthz`, `/readyz` and `/debug/rejections`, on a port of
//! its own so probes and scrapes never queue behind webhook traffic and are never exposed
//! through the webhook Service.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::gate::Gate;

/// Whether hookgate should receive traffic: config loaded and listener up, and not draining.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub async fn handle(
    gate: Arc<Gate>,
    ready: Readiness,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = |status: StatusCode, body: &'static str| {
        let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
        *r.status_mut() = status;
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    };
    let resp = match req.uri().path() {
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" if !ready.get() => text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n"),
        "/readyz" if !gate.ready() => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the dedup store (redis) is unreachable\n",
        ),
        "/readyz" => text(StatusCode::OK, "ready\n"),
        "/metrics" => {
            gate.refresh_gauges();
            match gate.recorder.metrics.encode() {
                Ok(buf) => {
                    let mut r = Response::new(Full::new(Bytes::from(buf)));
                    r.headers_mut().insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    );
                    r
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode metrics");
                    text(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics\n")
                }
            }
        }
        // Metadata of the last rejections (diagnostics.rs: never a secret or a signature).
        "/debug/rejections" => {
            let mut r = Response::new(Full::new(Bytes::from(
                gate.recorder.rejections.to_json().to_string(),
            )));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "not found; try /metrics, /healthz, /readyz or /debug/rejections\n",
        ),
    };
    Ok(resp)
}
