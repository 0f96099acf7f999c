//! The admin listener: `/metrics`, `/healthz`, `/readyz` and `/debug/rejections`, on a port of
//! its own so probes and scrapes never queue behind webhook traffic and are never exposed
//! through the webhook Service.
//!
//! It binds where `admin_listen` says, often every interface of a pod, so it answers only what
//! it must: the metrics and probes to GET and HEAD (scrapers and kubelets send nothing else),
//! and `/debug/*` only when `admin.debug` is on, to GET, and with `admin.token` set, only to a
//! matching `Authorization: Bearer` (compared in constant time).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use subtle::ConstantTimeEq as _;

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
    let path = req.uri().path();
    let known = matches!(path, "/healthz" | "/readyz" | "/metrics");
    if known && !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(r);
    }
    if path.starts_with("/debug/") {
        let admin = gate.live().admin.clone();
        if !admin.debug {
            return Ok(text(
                StatusCode::NOT_FOUND,
                "not found: /debug/* is off (admin.debug: true turns it on)\n",
            ));
        }
        if req.method() != Method::GET {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET"));
            return Ok(r);
        }
        if let Some(token) = &admin.token {
            if !bearer_matches(&req, token.expose()) {
                let mut r = text(StatusCode::UNAUTHORIZED, "a bearer token is required\n");
                r.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"hookgate-debug\""),
                );
                return Ok(r);
            }
        }
    }
    let resp = match path {
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

/// Whether `req` carries `Authorization: Bearer <token>`, compared in constant time.
fn bearer_matches<B>(req: &Request<B>, token: &[u8]) -> bool {
    let Some(given) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
    else {
        return false;
    };
    given.trim_ascii().ct_eq(token).into()
}
