//! The OTLP exporter's HTTP client: hyper with rustls (the TLS settings src/fetch.rs builds),
//! so an `https://` collector works, on a small runtime of its own.
//!
//! The SDK's batch processor exports from its own thread with a plain `block_on`, outside any
//! Tokio runtime, so a request cannot run on the caller's thread. It is spawned on the
//! exporter's runtime instead (see [`Runtime`] for why that one and not the main one), and the
//! caller awaits its `JoinHandle`, which needs no runtime to be polled.
//!
//! Bounded: one timeout over the whole exchange (connect, TLS, request, response read to its
//! end), and a response body limit. The request's headers (`OTEL_EXPORTER_OTLP_HEADERS`, an
//! API key) are never logged: this client holds none of them, and its errors name only the
//! endpoint and the failure.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use opentelemetry_http::{HttpClient, HttpError, Request, Response, ResponseBodyTooLarge};

use crate::fetch::{self, FetchError};

/// What a collector's answer may hold: a partial-success message, an error page. The SDK's own
/// clients allow as much, and its [`ResponseBodyTooLarge`] says so.
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// How long shutdown waits for an export still running on the runtime after the SDK has given
/// up on it (its flush timeout has passed): it is dropped, not awaited.
const RUNTIME_STOP: Duration = Duration::from_millis(100);

/// The exporter's own runtime: one worker thread, started only when tracing is on.
///
/// Not the main runtime: that one is current-thread and is also request worker 0, so it makes
/// progress only inside `main`'s `block_on`, which has returned (and the runtime is dropped)
/// by the time `Provider::shutdown` flushes the last spans; and an export's TLS handshake and
/// encoding would take a request worker's time. This one lives in the `Provider` until after
/// the SDK's shutdown, so the final flush still has a runtime to run on.
pub(super) struct Runtime(tokio::runtime::Runtime);

impl Runtime {
    pub(super) fn start() -> std::io::Result<Self> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otel-export")
            .enable_all()
            .build()
            .map(Self)
    }

    pub(super) fn handle(&self) -> tokio::runtime::Handle {
        self.0.handle().clone()
    }

    /// After the SDK's shutdown: drops what is still running (a collector that never answered).
    pub(super) fn stop(self) {
        self.0.shutdown_timeout(RUNTIME_STOP);
    }
}

type Hyper = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The client handed to the OTLP exporter (`with_http_client`).
pub(super) struct Client {
    http: Hyper,
    runtime: tokio::runtime::Handle,
    timeout: Duration,
    /// Whether the last export failed: the reason is logged once when exports start failing,
    /// not every batch (the SDK itself says each failed export, without the reason).
    failing: Arc<AtomicBool>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// `tls` verifies an `https` collector; an `http` one is spoken to in the clear.
    pub(super) fn new(
        tls: rustls::ClientConfig,
        timeout: Duration,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        let mut tcp = HttpConnector::new();
        // The connector below picks TLS by the scheme; the TCP one must pass `https` on.
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(timeout));
        tcp.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        // Pooled: exports are seconds apart, and reusing the connection spares a TLS handshake
        // each. Its tasks run on the exporter's runtime, where the requests are spawned.
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(1)
            .build(connector);
        Self {
            http,
            runtime,
            timeout,
            failing: Arc::default(),
        }
    }
}

impl HttpClient for Client {
    fn send_bytes<'a, 'f>(
        &'a self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'f>>
    where
        'a: 'f,
        Self: 'f,
    {
        let http = self.http.clone();
        let timeout = self.timeout;
        let failing = self.failing.clone();
        let endpoint = fetch::redact_uri(request.uri());
        let task = self.runtime.spawn(async move {
            let result = match tokio::time::timeout(timeout, exchange(&http, request)).await {
                Ok(r) => r,
                Err(_) => Err(FetchError::Timeout),
            };
            match &result {
                Ok(_) => {
                    if failing.swap(false, Ordering::Relaxed) {
                        tracing::info!(%endpoint, "traces: the collector answers again");
                    }
                }
                Err(e) => {
                    if !failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(%endpoint, error = %e, "traces: cannot export to the collector; spans are dropped while this lasts");
                    }
                }
            }
            result
        });
        Box::pin(async move {
            match task.await {
                Ok(Ok(response)) => Ok(response),
                // The SDK's own type, so that it does not retry.
                Ok(Err(FetchError::TooLarge(_))) => {
                    Err(Box::new(ResponseBodyTooLarge::new()) as HttpError)
                }
                Ok(Err(e)) => Err(Box::new(e) as HttpError),
                Err(_) => Err("the export was cancelled: hookgate is stopping".into()),
            }
        })
    }
}

/// One request, its answer read to the end (any status: the exporter judges it).
async fn exchange(http: &Hyper, request: Request<Bytes>) -> Result<Response<Bytes>, FetchError> {
    let response = http
        .request(request.map(Full::new))
        .await
        .map_err(|e| fetch::classify(&e))?;
    let (head, body) = fetch::read_capped(response, MAX_RESPONSE).await?;
    Ok(Response::from_parts(head, body))
}
