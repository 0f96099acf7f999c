//! The HTTPS GET itself: allow-list first, then one bounded exchange (connect timeout, a
//! timeout over the whole exchange, a body limit, a cap on fetches in progress), no redirects
//! followed, no cache. [`Cache`](super::Cache) adds the cache on top.

use std::error::Error as StdError;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, USER_AGENT};
use http::{HeaderMap, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Empty};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use tokio::sync::Semaphore;

use super::{AllowList, FetchError};

/// Which certificate authorities a fetched server's certificate must chain to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// Mozilla's root program as shipped by the `webpki-roots` crate: no dependence on the
    /// container image's CA bundle (distroless has none to speak of).
    Webpki,
    /// The certificates in this PEM file, *instead of* the webpki roots (a private CA, tests).
    CaFile(PathBuf),
}

/// The bounds of every fetch a [`Client`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub roots: Roots,
    /// DNS + TCP connect.
    pub connect_timeout: Duration,
    /// The whole exchange: connect, TLS, request, response head and the body read to its end.
    pub timeout: Duration,
    /// A response body over this is refused ([`FetchError::TooLarge`]), whether declared by
    /// `Content-Length` or found while reading.
    pub max_body: usize,
    /// Fetches in progress at once across all URLs; one more is refused at once
    /// ([`FetchError::Busy`]) rather than queued, so a flood of distinct URLs (SNS certificate
    /// URLs come from the message) cannot pile up outbound work.
    pub max_in_flight: usize,
    /// Host names connected to at a fixed address instead of the DNS's answer (curl's
    /// `--resolve`): a split-horizon network, or tests serving `sns.<region>.amazonaws.com`
    /// locally. The allow-list, the TLS name check and the `Host` header still use the URL's
    /// name; only the socket address changes. A URL with an explicit port keeps that port.
    pub resolve: Vec<(String, SocketAddr)>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            roots: Roots::Webpki,
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            // A JWKS or a PEM certificate is a few KiB; IP lists (GitHub's meta) a few hundred.
            max_body: 1024 * 1024,
            max_in_flight: 16,
            resolve: Vec::new(),
        }
    }
}

/// Why a [`Client`] could not be built (a configuration error, reported at startup).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("CA file {path}: {source}")]
    CaFileUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CA file {path}: {reason}")]
    CaFileInvalid { path: PathBuf, reason: String },
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
}

/// A fetched body, with what its `Cache-Control` said about how long to keep it.
#[derive(Debug, Clone)]
pub struct Response {
    pub body: Bytes,
    /// `max-age` (the first one), unclamped: the cache applies its bounds.
    pub max_age: Option<Duration>,
    /// `no-cache` or `no-store`: keep it only the cache's minimum TTL.
    pub no_store: bool,
}

/// An HTTPS GET client for the hosts on its allow-list. Cheap to clone (shared inside): one per
/// process, shared by every [`Cache`](super::Cache).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: hyper_util::client::legacy::Client<HttpsConnector<HttpConnector<Resolver>>, Empty<Bytes>>,
    allow: AllowList,
    settings: ClientSettings,
    in_flight: Semaphore,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("allow", &self.inner.allow)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Reads `ca_file` (if any) now, so a bad one is a startup error. Needs no runtime; the
    /// fetches need a Tokio runtime with time enabled.
    pub fn new(allow: AllowList, settings: ClientSettings) -> Result<Self, SetupError> {
        let tls = tls_config(&settings.roots)?;
        let mut http = HttpConnector::new_with_resolver(Resolver {
            overrides: settings
                .resolve
                .iter()
                .map(|(host, addr)| (host.to_ascii_lowercase(), *addr))
                .collect(),
            dns: GaiResolver::new(),
        });
        // The scheme is checked by the allow-list and `https_only` below; the inner TCP
        // connector must accept `https` URIs to hand them on.
        http.enforce_http(false);
        http.set_connect_timeout(Some(settings.connect_timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .wrap_connector(http);
        // No idle pool: fetches are minutes apart, and a pooled connection's task would live
        // on whichever worker runtime opened it.
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(https);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                in_flight: Semaphore::new(settings.max_in_flight.max(1)),
                allow,
                settings,
            }),
        })
    }

    pub fn allow_list(&self) -> &AllowList {
        &self.inner.allow
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.inner.settings
    }

    /// One GET of `url`, uncached. Only a `200` counts; redirects are not followed (a `3xx` is
    /// [`FetchError::Status`]).
    pub async fn get(&self, url: &str) -> Result<Response, FetchError> {
        let uri = self.inner.allow.check(url)?;
        self.get_uri(&uri).await
    }

    pub(super) async fn get_uri(&self, uri: &Uri) -> Result<Response, FetchError> {
        self.inner.allow.check_uri(uri)?;
        let _permit = self
            .inner
            .in_flight
            .try_acquire()
            .map_err(|_| FetchError::Busy)?;
        match tokio::time::timeout(self.inner.settings.timeout, self.exchange(uri)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        }
    }

    async fn exchange(&self, uri: &Uri) -> Result<Response, FetchError> {
        let request = Request::get(uri.clone())
            .header(USER_AGENT, concat!("hookgate/", env!("CARGO_PKG_VERSION")))
            .body(Empty::new())
            .map_err(|_| FetchError::NotAllowed(super::Refusal::Unparseable))?;
        let response = self
            .inner
            .http
            .request(request)
            .await
            .map_err(|e| classify(&e))?;
        if response.status() != StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let (head, body) = read_capped(response, self.inner.settings.max_body).await?;
        let (max_age, no_store) = cache_control(&head.headers);
        Ok(Response {
            body,
            max_age,
            no_store,
        })
    }
}

/// A response read to its end, its body refused ([`FetchError::TooLarge`]) when over `max`
/// bytes, whether declared by `Content-Length` or found while reading.
pub(crate) async fn read_capped(
    response: http::Response<hyper::body::Incoming>,
    max: usize,
) -> Result<(http::response::Parts, Bytes), FetchError> {
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(FetchError::TooLarge(max));
    }
    let (head, mut body) = response.into_parts();
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                return Err(FetchError::TooLarge(max));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok((head, buf.freeze()))
}

/// The system resolver, except for the names `ClientSettings::resolve` fixes.
#[derive(Clone)]
struct Resolver {
    overrides: Arc<[(String, SocketAddr)]>,
    dns: GaiResolver,
}

type Addrs = Box<dyn Iterator<Item = SocketAddr> + Send>;

impl tower::Service<Name> for Resolver {
    type Response = Addrs;
    type Error = Box<dyn StdError + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Addrs, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.dns.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let fixed = self
            .overrides
            .iter()
            .find(|(host, _)| host.eq_ignore_ascii_case(name.as_str()))
            .map(|(_, addr)| *addr);
        if let Some(addr) = fixed {
            return Box::pin(std::future::ready(Ok(
                Box::new(std::iter::once(addr)) as Addrs
            )));
        }
        let lookup = self.dns.call(name);
        Box::pin(async move {
            let addrs = lookup.await?;
            Ok(Box::new(addrs) as Addrs)
        })
    }
}

/// The TLS client settings for `roots` (ring, safe defaults, no client certificate): the
/// fetcher's, and the trace exporter's (src/otel/client.rs).
pub fn tls_config(roots: &Roots) -> Result<rustls::ClientConfig, SetupError> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Roots::Webpki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Roots::CaFile(path) => {
            let pem = std::fs::read(path).map_err(|source| SetupError::CaFileUnreadable {
                path: path.clone(),
                source,
            })?;
            let invalid = |reason: String| SetupError::CaFileInvalid {
                path: path.clone(),
                reason,
            };
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| invalid(format!("not PEM: {e}")))?;
                store
                    .add(cert)
                    .map_err(|e| invalid(format!("not a CA certificate: {e}")))?;
            }
            if store.is_empty() {
                return Err(invalid("no CERTIFICATE block".to_owned()));
            }
        }
    }
    // ring: the provider already in the build (rustls-webpki uses it); named explicitly so no
    // process-wide default provider needs installing.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store)
        .with_no_client_auth())
}

/// Sorts a hyper-util error by what its source chain holds: a rustls error is TLS, a timed-out
/// connect is a timeout, anything else is a connection failure. The message joins the chain
/// (hyper's, the connector's, the OS's); none of them carries the URL's path or query.
pub(crate) fn classify(err: &(dyn StdError + 'static)) -> FetchError {
    let mut messages = Vec::new();
    let mut current = Some(err);
    let mut tls = false;
    let mut timed_out = false;
    while let Some(e) = current {
        messages.push(e.to_string());
        if e.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        let mut next = e.source();
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
            // io::Error's `source` skips the error it wraps (hyper-rustls wraps tokio-rustls's
            // io::Error, which wraps the rustls::Error): step into it instead.
            if let Some(inner) = io.get_ref() {
                next = Some(inner as &(dyn StdError + 'static));
            }
        }
        current = next;
    }
    messages.dedup();
    let message: Arc<str> = messages.join(": ").into();
    if tls {
        FetchError::Tls(message)
    } else if timed_out {
        FetchError::Timeout
    } else {
        FetchError::Connect(message)
    }
}

/// `max-age=N` (the first) and whether `no-cache` / `no-store` was said, across every
/// `Cache-Control` header line.
fn cache_control(headers: &HeaderMap) -> (Option<Duration>, bool) {
    let mut max_age = None;
    let mut no_store = false;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if directive == "no-cache" || directive == "no-store" {
                no_store = true;
            } else if let Some(n) = directive.strip_prefix("max-age=") {
                if max_age.is_none() {
                    max_age = n
                        .trim_matches('"')
                        .parse::<u64>()
                        .ok()
                        .map(Duration::from_secs);
                }
            }
        }
    }
    (max_age, no_store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_directives() {
        let mut h = HeaderMap::new();
        assert_eq!(cache_control(&h), (None, false));
        h.append(CACHE_CONTROL, "public, Max-Age=300".parse().unwrap());
        h.append(CACHE_CONTROL, "max-age=5".parse().unwrap());
        assert_eq!(cache_control(&h), (Some(Duration::from_secs(300)), false));
        h.append(CACHE_CONTROL, "no-cache".parse().unwrap());
        assert!(cache_control(&h).1);
        let mut h = HeaderMap::new();
        h.append(CACHE_CONTROL, "max-age=abc".parse().unwrap());
        assert_eq!(cache_control(&h), (None, false));
    }
}
