//! Forwarding to the configured upstreams: a pooled client each, hop-by-hop header hygiene,
//! and upstream failures classified as 502 (unreachable/reset) or 504 (too slow).

use std::future::Future;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, Scheme};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use sha2::Digest as _;
use tokio::net::UnixStream;

/// Upper bound on a collected upstream response body unless
/// [`Upstream::with_max_response_body`] says otherwise. Webhook replies are tiny; this only
/// stops a misbehaving upstream from making the proxy buffer without limit.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;

/// Where every verified request goes. Fixed by configuration, never by the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamTarget {
    Http {
        authority: Authority,
        /// Prepended to every request path: `""` or `"/prefix"` (no trailing slash).
        base_path: String,
    },
    Unix {
        path: PathBuf,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// Refused, reset, closed mid-response, DNS failure: answer 502.
    #[error("upstream unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The answer's body is larger than `upstream.max_response_body`: answer 502.
    #[error("upstream response body exceeds {0} bytes")]
    TooLarge(usize),
    /// The whole exchange (connect, request, response head and body) overran: answer 504.
    #[error("upstream did not answer within {0:?}")]
    Timeout(Duration),
}

impl ForwardError {
    /// A delivery names an upstream the running config does not have.
    pub fn unknown_upstream(name: Option<&str>) -> Self {
        let name = name.unwrap_or("upstream");
        Self::Unavailable(format!("no upstream named {name:?} is configured").into())
    }

    /// A short name for why, for a header (`Hookgate-Body-Dropped`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "unreadable",
            Self::TooLarge(_) => "too_large",
            Self::Timeout(_) => "timeout",
        }
    }
}

/// The app's answer, as it is relayed to the sender.
#[derive(Debug)]
pub struct Relayed {
    pub response: Response<Bytes>,
    /// The app answered 2xx but its body could not be read whole (larger than the limit, too
    /// slow, cut off): the app accepted the delivery, so the answer goes on without its body,
    /// and this says why.
    pub body_lost: Option<ForwardError>,
}

/// Facts about the inbound request that the forwarded copy must carry. What they mean is the
/// caller's business: forwarding writes them into their headers.
#[derive(Debug, Clone, Copy)]
pub struct ForwardMeta<'a> {
    /// `Hookgate-Verified`: the route's name, set only when the request was verified.
    pub verified: Option<&'a str>,
    /// `Hookgate-Verdict`: why it was not, in observe mode (an outcome's code).
    pub verdict: Option<&'a str>,
    /// `Hookgate-Event-Id`: the delivery id hookgate deduplicates on, when there is one.
    pub event_id: Option<&'a str>,
    pub client_ip: IpAddr,
    /// Inbound scheme, e.g. `"http"`.
    pub proto: &'static str,
    /// The sender's original Host header.
    pub host: Option<&'a HeaderValue>,
    /// A queued delivery's attempt: `Hookgate-Delivery-Id`, `Hookgate-Delivery-Attempt`,
    /// `Hookgate-Received-At`.
    pub attempt: Option<Attempt<'a>>,
    /// The W3C trace context naming hookgate's upstream-call span (`traceparent`, and
    /// `tracestate` or none): replaces the sender's. `None` (tracing off): the sender's
    /// headers go on as sent.
    pub trace: Option<&'a (HeaderValue, Option<HeaderValue>)>,
}

/// Which attempt at which queued delivery a forward is.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub delivery_id: u64,
    /// 1 for the first.
    pub number: u32,
    /// When hookgate accepted it (RFC 3339).
    pub received_at: &'a str,
}

/// Every app a delivery may go to: `upstream`, and those of `upstreams:` by name. Clones
/// share the pools.
#[derive(Clone, Debug)]
pub struct Upstreams {
    default: Upstream,
    named: Arc<[(Arc<str>, Upstream)]>,
}

impl Upstreams {
    pub fn new(default: Upstream, named: impl IntoIterator<Item = (Arc<str>, Upstream)>) -> Self {
        Self {
            default,
            named: named.into_iter().collect(),
        }
    }

    /// `None` names the default. A handful of names at most, so a scan beats a hash.
    pub fn get(&self, name: Option<&str>) -> Option<&Upstream> {
        match name {
            None => Some(&self.default),
            Some(n) => self.named.iter().find(|(k, _)| &**k == n).map(|(_, u)| u),
        }
    }
}

/// Handle to the upstream; clones share one connection pool.
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
    timeout: Duration,
    max_response_body: usize,
}

struct Inner {
    transport: Transport,
    authority: Authority,
    base_path: String,
    target: UpstreamTarget,
}

// Two client types because the pool is generic over its connector; an enum keeps
// `Upstream` free of type parameters for the caller.
enum Transport {
    Tcp(Client<HttpConnector, Full<Bytes>>),
    Unix(Client<UnixConnector, Full<Bytes>>),
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("target", &self.inner.target)
            .field("timeout", &self.timeout)
            .field("max_response_body", &self.max_response_body)
            .finish_non_exhaustive()
    }
}

fn transport(target: &UpstreamTarget, pool_idle_timeout: Duration) -> Transport {
    let mut builder = Client::builder(TokioExecutor::new());
    // Without a timer the pool never runs its idle sweep, so pool_idle_timeout would only be
    // checked lazily at checkout and idle sockets would linger on the upstream indefinitely.
    builder
        .pool_idle_timeout(pool_idle_timeout)
        .pool_timer(TokioTimer::new());
    match target {
        UpstreamTarget::Http { .. } => {
            let mut connector = HttpConnector::new();
            // Webhook requests are small single writes; Nagle would only add latency.
            connector.set_nodelay(true);
            Transport::Tcp(builder.build(connector))
        }
        UpstreamTarget::Unix { path } => Transport::Unix(builder.build(UnixConnector {
            path: Arc::from(path.as_path()),
        })),
    }
}

impl Upstream {
    /// A client with a pool of its own. Each worker thread builds one where it starts
    /// (app.rs): a pooled connection is then only ever driven by the thread that opened it,
    /// so a forward never wakes another thread.
    pub fn new(target: UpstreamTarget, timeout: Duration, pool_idle_timeout: Duration) -> Self {
        let transport = transport(&target, pool_idle_timeout);
        let (authority, base_path) = match &target {
            UpstreamTarget::Http {
                authority,
                base_path,
            } => (
                authority.clone(),
                base_path.trim_end_matches('/').to_owned(),
            ),
            // Only a pool key and a fallback Host; the connector ignores it.
            UpstreamTarget::Unix { .. } => (Authority::from_static("localhost"), String::new()),
        };
        Self {
            inner: Arc::new(Inner {
                transport,
                authority,
                base_path,
                target,
            }),
            timeout,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
        }
    }

    /// Caps the collected upstream response body; a larger one is `Unavailable`.
    #[must_use]
    pub fn with_max_response_body(mut self, limit: usize) -> Self {
        self.max_response_body = limit;
        self
    }

    pub fn target(&self) -> &UpstreamTarget {
        &self.inner.target
    }

    /// Sends the exact body bytes with the original method, path and query (prefixed by
    /// base_path) to the fixed upstream, within `upstream.timeout` for the whole exchange.
    ///
    /// The answer's body is collected (bounded by the configured maximum) so that the caller
    /// knows the outcome before answering. When it cannot be, the status decides: a 2xx means
    /// the app accepted the delivery, so it is relayed without its body (`Relayed::body_lost`);
    /// any other is an error (502, or 504 past the deadline).
    pub async fn send(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
        meta: &ForwardMeta<'_>,
    ) -> Result<Relayed, ForwardError> {
        let request = self.build_request(parts, body, meta)?;
        let is_head = parts.method == Method::HEAD;
        let limit = self.max_response_body;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let timed_out = |_| ForwardError::Timeout(self.timeout);

        let answer = async {
            match &self.inner.transport {
                Transport::Tcp(client) => client.request(request).await,
                Transport::Unix(client) => client.request(request).await,
            }
            .map_err(|e| ForwardError::Unavailable(Box::new(e)))
        };
        let response = tokio::time::timeout_at(deadline, answer)
            .await
            .map_err(timed_out)??;
        let (mut head, incoming) = response.into_parts();
        strip_hop_by_hop(&mut head.headers);

        // Fail before reading anything when the upstream announces an oversized body.
        let announced = content_length(&head.headers).filter(|_| !is_head);
        let collected = if announced.is_some_and(|len| len > limit as u64) {
            Err(ForwardError::TooLarge(limit))
        } else {
            let read = Limited::new(incoming, limit).collect();
            match tokio::time::timeout_at(deadline, read).await {
                Err(elapsed) => Err(timed_out(elapsed)),
                Ok(Ok(c)) => Ok(c.to_bytes()),
                Ok(Err(e)) if e.is::<LengthLimitError>() => Err(ForwardError::TooLarge(limit)),
                Ok(Err(e)) => Err(ForwardError::Unavailable(e)),
            }
        };
        match collected {
            Ok(bytes) => {
                set_response_length(&mut head, is_head, bytes.len());
                Ok(Relayed {
                    response: Response::from_parts(head, bytes),
                    body_lost: None,
                })
            }
            Err(lost) if head.status.is_success() => {
                set_response_length(&mut head, is_head, 0);
                Ok(Relayed {
                    response: Response::from_parts(head, Bytes::new()),
                    body_lost: Some(lost),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn build_request(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
        meta: &ForwardMeta<'_>,
    ) -> Result<Request<Full<Bytes>>, ForwardError> {
        let uri = self
            .upstream_uri(&parts.uri)
            .map_err(|e| ForwardError::Unavailable(Box::new(e)))?;

        // One pass over the sender's headers, keeping what may go on: cheaper than a clone
        // followed by a dozen removals, each a hash lookup.
        let named = connection_named(&parts.headers);
        let mut headers = HeaderMap::with_capacity(parts.headers.len() + 6);
        for (name, value) in &parts.headers {
            if !not_forwarded(name) && !named.contains(name) {
                headers.append(name.clone(), value.clone());
            }
        }

        // The buffered body is what goes out, whatever framing the sender used.
        let had_length = parts.headers.contains_key(header::CONTENT_LENGTH);
        if !body.is_empty() || had_length || !bodyless_method(&parts.method) {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        }

        if let Some(host) = meta.host {
            headers.insert(header::HOST, host.clone());
            headers.insert(X_FORWARDED_HOST, host.clone());
        }
        set_forwarded_for(&mut headers, meta.client_ip, meta.proto);
        if let Ok(proto) = HeaderValue::from_str(meta.proto) {
            headers.insert(X_FORWARDED_PROTO, proto);
        }
        if let Some(route) = meta.verified {
            headers.insert(HOOKGATE_VERIFIED, route_header(route));
        }
        if let Some(verdict) = meta.verdict.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(HOOKGATE_VERDICT, verdict);
        }
        if let Some(id) = meta.event_id {
            headers.insert(HOOKGATE_EVENT_ID, event_id_header(id));
        }
        if let Some(a) = meta.attempt {
            headers.insert(HOOKGATE_DELIVERY_ID, HeaderValue::from(a.delivery_id));
            headers.insert(HOOKGATE_DELIVERY_ATTEMPT, HeaderValue::from(a.number));
            if let Ok(at) = HeaderValue::from_str(a.received_at) {
                headers.insert(HOOKGATE_RECEIVED_AT, at);
            }
        }
        if let Some((parent, state)) = meta.trace {
            // `insert` drops every copy the sender sent: the app sees one trace context.
            headers.insert(TRACEPARENT, parent.clone());
            match state {
                Some(state) => headers.insert(TRACESTATE, state.clone()),
                None => headers.remove(TRACESTATE),
            };
        }

        let mut request = Request::new(Full::new(body));
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = uri;
        // Always 1.1 upstream so that pooled keep-alive works even for HTTP/1.0 senders.
        *request.version_mut() = Version::HTTP_11;
        *request.headers_mut() = headers;
        Ok(request)
    }

    /// Only the path and query survive from the inbound URI, so an absolute-form request
    /// (`POST http://elsewhere/...`) cannot pick the destination.
    fn upstream_uri(&self, original: &Uri) -> Result<Uri, http::Error> {
        let pq = original.path_and_query().map_or("/", |pq| pq.as_str());
        let mut path = String::with_capacity(self.inner.base_path.len() + pq.len() + 1);
        path.push_str(&self.inner.base_path);
        if !pq.starts_with('/') {
            path.push('/');
        }
        path.push_str(pq);
        Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(self.inner.authority.clone())
            .path_and_query(path)
            .build()
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
const HOOKGATE_VERIFIED: HeaderName = HeaderName::from_static("hookgate-verified");
const HOOKGATE_VERDICT: HeaderName = HeaderName::from_static("hookgate-verdict");
const HOOKGATE_EVENT_ID: HeaderName = HeaderName::from_static("hookgate-event-id");
pub(crate) const HOOKGATE_DELIVERY_ID: HeaderName = HeaderName::from_static("hookgate-delivery-id");
const HOOKGATE_DELIVERY_ATTEMPT: HeaderName = HeaderName::from_static("hookgate-delivery-attempt");
const HOOKGATE_RECEIVED_AT: HeaderName = HeaderName::from_static("hookgate-received-at");

/// RFC 9110 §7.6.1 plus the legacy ones still seen in the wild.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes hop-by-hop headers: `Connection`, every header it names, and the fixed set
/// (`Keep-Alive`, `Proxy-Connection`, `Proxy-Authenticate`, `Proxy-Authorization`, `TE`,
/// `Trailer`, `Transfer-Encoding`, `Upgrade`).
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Collected first because the names must be read before `Connection` itself goes away.
    for name in connection_named(headers) {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The headers a `Connection` header names: hop-by-hop too (usually none).
fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .filter_map(|token| HeaderName::from_bytes(token.trim_ascii()).ok())
        .collect()
}

/// Sender headers that never go upstream as sent: the hop-by-hop set; `Expect` (the body is
/// already buffered, the inbound side answered any 100-continue, and the upstream would only
/// wait); the framing (re-set from the buffered body); anything under our prefix, however
/// spelled (see `ours`); and those hookgate sets itself (`X-Forwarded-Host`,
/// `X-Forwarded-Proto`, `X-Real-IP`), dropped when it has nothing to set them to. `Host`,
/// `X-Forwarded-For` and `Forwarded` are kept: hookgate sets the first when it knows the
/// original and appends the peer it saw to the other two.
fn not_forwarded(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(name)
        || [
            header::EXPECT,
            header::CONTENT_LENGTH,
            X_FORWARDED_HOST,
            X_FORWARDED_PROTO,
            X_REAL_IP,
        ]
        .contains(name)
        || ours(name.as_str())
}

/// Whether a header name is one of hookgate's, in any spelling an app's server may read as
/// one: `Hookgate-Verified`, `Hookgate_Verified` (CGI and WSGI servers map `_` to `-`), and
/// the same under `X-`. Only hookgate speaks for hookgate.
fn ours(name: &str) -> bool {
    let name = name.as_bytes();
    let prefixed = |prefix: &[u8]| {
        name.len() >= prefix.len()
            && name
                .iter()
                .zip(prefix)
                .all(|(a, b)| a == b || (*a == b'_' && *b == b'-'))
    };
    prefixed(b"hookgate-") || prefixed(b"x-hookgate-")
}

/// The client address as the app's frameworks look for it: appended to `X-Forwarded-For` and
/// `Forwarded` (what the sender put there first stays, as a proxy chain would have it), and
/// `X-Real-IP` set to it alone.
fn set_forwarded_for(headers: &mut HeaderMap, client_ip: IpAddr, proto: &str) {
    let ip = client_ip.to_string();
    if let Ok(v) = HeaderValue::from_str(&ip) {
        headers.insert(X_REAL_IP, v);
    }
    let node = match client_ip {
        IpAddr::V4(_) => ip.clone(),
        IpAddr::V6(_) => format!("\"[{ip}]\""),
    };
    append_list(headers, X_FORWARDED_FOR, &ip);
    append_list(headers, FORWARDED, &format!("for={node};proto={proto}"));
}

/// Appends `item` to a comma-separated list header, joining the copies there were into one.
fn append_list(headers: &mut HeaderMap, name: HeaderName, item: &str) {
    let mut joined: Vec<u8> = Vec::new();
    for value in headers.get_all(&name) {
        let trimmed = value.as_bytes().trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if !joined.is_empty() {
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(trimmed);
    }
    if !joined.is_empty() {
        joined.extend_from_slice(b", ");
    }
    joined.extend_from_slice(item.as_bytes());
    // Every piece came from a valid header value, so the fallback to the item alone is only
    // insurance; it still names the peer correctly.
    if let Ok(value) = HeaderValue::from_bytes(&joined).or_else(|_| HeaderValue::from_str(item)) {
        headers.insert(name, value);
    }
}

/// An event id as a header value: as it is when it can be one, else (control characters,
/// non-ASCII from a JSON id) its SHA-256, as the dedup store keys long ids.
fn event_id_header(id: &str) -> HeaderValue {
    HeaderValue::from_str(id).unwrap_or_else(|_| {
        let digest = sha2::Sha256::digest(id.as_bytes());
        HeaderValue::from_str(&format!("sha256:{}", hex::encode(digest)))
            .unwrap_or(HeaderValue::from_static("invalid-id"))
    })
}

/// Route names come from config; a control character there must not make forwarding fail.
fn route_header(route: &str) -> HeaderValue {
    HeaderValue::from_str(route).unwrap_or_else(|_| {
        let cleaned: String = route
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        HeaderValue::from_str(&cleaned).unwrap_or(HeaderValue::from_static("invalid-route"))
    })
}

/// Methods whose requests normally carry no body: no `Content-Length: 0` is invented for them.
fn bodyless_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::DELETE
    )
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn set_response_length(head: &mut http::response::Parts, is_head: bool, len: usize) {
    // HEAD and 304 answers describe a representation they do not carry, so the upstream's
    // Content-Length is the truthful one and must not be replaced by 0.
    if is_head || head.status == StatusCode::NOT_MODIFIED {
        return;
    }
    if head.status.is_informational() || head.status == StatusCode::NO_CONTENT {
        head.headers.remove(header::CONTENT_LENGTH);
        return;
    }
    head.headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
}

/// Connects every request to one Unix socket; the request URI is deliberately ignored.
#[derive(Clone)]
struct UnixConnector {
    path: Arc<Path>,
}

impl tower::Service<Uri> for UnixConnector {
    type Response = TokioIo<UnixStream>;
    type Error = std::io::Error;
    // Boxed because the pool requires an `Unpin` future and async blocks are not.
    type Future = Pin<Box<dyn Future<Output = std::io::Result<TokioIo<UnixStream>>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _dst: Uri) -> Self::Future {
        let path = Arc::clone(&self.path);
        Box::pin(async move { UnixStream::connect(&*path).await.map(TokioIo::new) })
    }
}

#[cfg(test)]
mod tests;
