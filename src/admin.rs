//! The admin listener: `/metrics`, `/healthz`, `/readyz` and `/debug/rejections`, on a port of
//! its own so probes and scrapes never queue behind webhook traffic and are never exposed
//! through the webhook Service.
//!
//! It binds where `admin_listen` says, often every interface of a pod, so it answers only what
//! it must: the metrics and probes to GET and HEAD (scrapers and kubelets send nothing else),
//! and `/debug/*` only when `admin.debug` is on, to GET, and with `admin.token` set, only to a
//! matching `Authorization: Bearer` (compared in constant time). `/queue/*` (a queue's
//! deliveries, their bodies on request, replay, purge) requires that token when it is set, and
//! without one answers only loopback peers.

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
use crate::queue::{Meta, Queue, State};

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
    peer: std::net::SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path();
    let known = matches!(path, "/healthz" | "/readyz" | "/metrics");
    if known && !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(r);
    }
    if path == "/queue" || path.starts_with("/queue/") {
        let admin = gate.live().admin.clone();
        if let Some(refusal) = queue_refusal(&admin, peer, &req) {
            return Ok(refusal);
        }
        let Some(queue) = gate.queue.clone() else {
            return Ok(text(
                StatusCode::NOT_FOUND,
                "not found: no queue (set queue.path or queue.backend: redis, and restart)\n",
            ));
        };
        return Ok(queue_api(&queue, &req).await);
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
        if let Some(refusal) = admin
            .token
            .as_ref()
            .and_then(|t| unauthorized(t, &req, "Bearer realm=\"hookgate-debug\""))
        {
            return Ok(refusal);
        }
    }
    let resp = match path {
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" if !ready.get() => text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n"),
        "/readyz" => match gate.unready() {
            Some(why) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {why}\n"),
            ),
            None => text(StatusCode::OK, "ready\n"),
        },
        "/metrics" => {
            gate.refresh_gauges().await;
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

/// Why a `/queue` request is refused, if it is: bodies, replay and purge are for the bearer
/// of `admin.token` when one is set, and without one for this host only (`hookgate queue`
/// run beside it, or through `kubectl exec`), never for wherever the port is reachable from.
fn queue_refusal<B>(
    admin: &crate::config::AdminConfig,
    peer: std::net::SocketAddr,
    req: &Request<B>,
) -> Option<Response<Full<Bytes>>> {
    match &admin.token {
        Some(token) => unauthorized(token, req, "Bearer realm=\"hookgate-queue\""),
        None if peer.ip().is_loopback() => None,
        None => Some(text(
            StatusCode::FORBIDDEN,
            "forbidden: /queue/* answers only this host unless admin.token is set\n",
        )),
    }
}

/// 401 with `WWW-Authenticate: challenge` unless `req` carries the bearer `token`.
fn unauthorized<B>(
    token: &crate::secret::Secret,
    req: &Request<B>,
    challenge: &'static str,
) -> Option<Response<Full<Bytes>>> {
    if bearer_matches(req, token.expose()) {
        return None;
    }
    let mut r = text(StatusCode::UNAUTHORIZED, "a bearer token is required\n");
    r.headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    Some(r)
}

/// A plain-text answer.
fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The queue's admin API (`hookgate queue` speaks to it): listings are metadata only; a body
/// only with `?body=true` on one delivery.
///
/// - `GET /queue`: counts per route; `GET /queue/dead`, `GET /queue/pending` (`?limit=N`)
/// - `GET /queue/deliveries/ID` (`?body=true`)
/// - `POST /queue/replay/ID`, `POST /queue/replay/all`: dead letters back to the queue
/// - `POST /queue/purge/ID`, `POST /queue/purge`: dead letters removed
async fn queue_api<B>(queue: &Queue, req: &Request<B>) -> Response<Full<Bytes>> {
    match queue_answer(queue, req).await {
        Ok(v) => json(StatusCode::OK, &v),
        Err((status, message)) => json(status, &serde_json::json!({ "error": message })),
    }
}

async fn queue_answer<B>(
    queue: &Queue,
    req: &Request<B>,
) -> Result<serde_json::Value, (StatusCode, String)> {
    let segments: Vec<&str> = req
        .uri()
        .path()
        .split('/')
        .skip(2)
        .filter(|s| !s.is_empty())
        .collect();
    let query = req.uri().query().unwrap_or("");
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    };
    let id = |text: &str| {
        text.parse::<u64>().map_err(|_| {
            (
                StatusCode::BAD_REQUEST,
                format!("{text:?} is not a delivery id"),
            )
        })
    };
    let get = req.method() == Method::GET;
    let post = req.method() == Method::POST;
    match segments.as_slice() {
        [] if get => queue.summary().await.map_err(internal),
        [which @ ("dead" | "pending")] if get => {
            let limit = param("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
            let state = if *which == "dead" {
                State::Dead
            } else {
                State::Pending
            };
            let list = queue.list(state, limit).await.map_err(internal)?;
            Ok(list
                .iter()
                .map(|(id, m)| listing(*id, state, m, None))
                .collect())
        }
        ["deliveries", text] if get => {
            let id = id(text)?;
            match queue.show(id, param("body") == Some("true")).await {
                Ok(Some((state, meta, request))) => Ok(listing(id, state, &meta, request.as_ref())),
                Ok(None) => Err((StatusCode::NOT_FOUND, format!("no delivery {id}"))),
                Err(e) => Err(internal(e)),
            }
        }
        // `purge` alone is every dead letter, as is `all`; otherwise one, by id.
        [action @ ("replay" | "purge"), rest @ ..] if post && rest.len() <= 1 => {
            let one = match rest {
                [] if *action == "purge" => None,
                ["all"] => None,
                [text] => Some(id(text)?),
                _ => return Err((StatusCode::NOT_FOUND, "say which: /queue/replay/ID or /queue/replay/all".into())),
            };
            let done = if *action == "replay" {
                queue.replay(one).await
            } else {
                queue.purge(one).await
            };
            match done.map_err(internal)? {
                0 if one.is_some() => Err((StatusCode::NOT_FOUND, "no such dead letter".into())),
                n => Ok(serde_json::json!({ *action: n })),
            }
        }
        [] | ["dead" | "pending" | "deliveries" | "replay" | "purge", ..] => Err((
            StatusCode::METHOD_NOT_ALLOWED,
            "listings take GET; replay and purge take POST".into(),
        )),
        _ => Err((
            StatusCode::NOT_FOUND,
            "not found; try /queue, /queue/dead, /queue/pending, /queue/deliveries/ID, POST /queue/replay/ID|all, POST /queue/purge[/ID]".into(),
        )),
    }
}

fn internal(e: crate::queue::QueueError) -> (StatusCode, String) {
    tracing::error!(error = %e, "queue admin request failed");
    (StatusCode::SERVICE_UNAVAILABLE, e.to_string())
}

fn json(status: StatusCode, v: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A delivery as the admin API shows it: metadata, the request's header names (values may
/// carry credentials), and the body only when it was read.
fn listing(
    id: u64,
    state: State,
    m: &Meta,
    request: Option<&crate::queue::Request>,
) -> serde_json::Value {
    let time = |ms: u64| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
    };
    let mut v = serde_json::json!({
        "id": id.to_string(),
        "state": state,
        "route": m.route,
        "event_id": m.event_id,
        "upstream": m.upstream,
        "received_at": time(m.received_ms),
        "attempts": m.attempts,
        "last_result": m.last,
        "next_attempt_at": (state == State::Pending).then(|| time(m.due_ms)),
        "dead_at": m.dead_ms.and_then(time),
        "dead_reason": m.dead_reason,
        "bytes": m.bytes,
    });
    if let Some(r) = request {
        v["method"] = r.method.as_str().into();
        v["path"] = r.uri.path().into();
        v["header_names"] = r
            .headers
            .keys()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .into();
        match std::str::from_utf8(&r.body) {
            Ok(text) => v["body"] = text.into(),
            Err(_) => {
                use base64::Engine as _;
                v["body_base64"] = base64::engine::general_purpose::STANDARD
                    .encode(&r.body)
                    .into();
            }
        }
    }
    v
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AdminConfig;
    use crate::secret::Secret;

    #[test]
    fn the_queue_api_wants_the_token_or_a_local_peer() {
        let req = |auth: Option<&str>| {
            let mut r = Request::get("/queue/dead");
            if let Some(a) = auth {
                r = r.header(AUTHORIZATION, a);
            }
            r.body(()).unwrap()
        };
        let local: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: std::net::SocketAddr = "10.1.2.3:5000".parse().unwrap();
        let open = AdminConfig::default();
        assert!(queue_refusal(&open, local, &req(None)).is_none());
        assert!(queue_refusal(&open, "[::1]:1".parse().unwrap(), &req(None)).is_none());
        let r = queue_refusal(&open, remote, &req(None)).unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let guarded = AdminConfig {
            debug: false,
            token: Some(Secret::new(b"t0ken".to_vec())),
        };
        for peer in [local, remote] {
            assert!(queue_refusal(&guarded, peer, &req(Some("Bearer t0ken"))).is_none());
            let r = queue_refusal(&guarded, peer, &req(Some("Bearer nope"))).unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            let r = queue_refusal(&guarded, peer, &req(None)).unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
    }
}
