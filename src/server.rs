//! Serving connections from a source (a listener passed in, as tests bind 127.0.0.1:0, or a
//! worker's inbox), and graceful drain.
//!
//! hyper's header read timeout needs a timer on the builder, or it silently does nothing: it is
//! what closes a connection that trickles its headers (slowloris). On shutdown we stop
//! accepting, let connections finish their current request, and return as soon as all are done
//! or the grace period ends, whichever is first.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::sources::{Holding, Kind, Sources};

/// The longest request head (request line and headers) accepted: 431 past it. Real senders
/// send a few KiB. (`config::MAX_HEADER_SIZE`.)
pub const MAX_HEADER_SIZE: usize = 64 * 1024;

/// A connection's read buffer at most: a head, or a body's frames on their way.
const MAX_BUF: usize = 64 * 1024;

pub fn http1_builder(header_timeout: Duration) -> http1::Builder {
    let mut b = http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_header_size(MAX_HEADER_SIZE)
        .max_buf_size(MAX_BUF)
        .keep_alive(true);
    b
}

/// Bytes of unfinished request heads held at once: all connections together, and per source
/// address. A head is held whole in memory until it is parsed, and headers that never finish
/// would otherwise cost memory no other budget counts (reconnecting dodges the header timeout).
pub struct HeadBudget {
    held: AtomicUsize,
    max: usize,
    sources: Arc<Sources>,
    per_source: usize,
    /// Told of each connection closed while its head was read (counted and logged there:
    /// hyper reports nothing of a connection that failed before its first request).
    on_refused: RefusalHook,
}

/// Why a connection was closed while its head was read.
#[derive(Debug)]
pub enum Refusal<'a> {
    /// The head budgets are spent (`HeadsOverBudget`).
    HeadBudget,
    /// Framing a proxy could read otherwise; answered 400 first.
    Framing(&'a BadFraming),
}

pub type RefusalHook = Arc<dyn Fn(Refusal<'_>, SocketAddr) + Send + Sync>;

impl HeadBudget {
    pub fn new(
        max: usize,
        sources: Arc<Sources>,
        per_source: usize,
        on_refused: RefusalHook,
    ) -> Arc<Self> {
        Arc::new(Self {
            held: AtomicUsize::new(0),
            max,
            sources,
            per_source,
            on_refused,
        })
    }

    /// Bytes held now (the `hookgate_header_bytes` gauge).
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// `source`: the address whose share the bytes count against (none: only the total).
    fn take(&self, source: Option<IpAddr>, n: usize) -> bool {
        let before = self.held.fetch_add(n, Ordering::Relaxed);
        let within = before + n <= self.max
            && source.is_none_or(|ip| self.sources.take(ip, Kind::HeadBytes, n, self.per_source));
        if !within {
            self.held.fetch_sub(n, Ordering::Relaxed);
        }
        within
    }

    fn give(&self, source: Option<IpAddr>, n: usize) {
        self.held.fetch_sub(n, Ordering::Relaxed);
        if let Some(ip) = source {
            self.sources.give(ip, Kind::HeadBytes, n);
        }
    }
}

/// One connection's share of the head budget: the bytes it reads while waiting for a request
/// head count until the head is parsed (`head_read`), and again after each answer
/// (`answered`). Given back when the connection ends.
pub struct HeadMeter {
    budget: Option<Arc<HeadBudget>>,
    peer: SocketAddr,
    /// Whether the peer's own share holds its heads: not for a trusted proxy, whose
    /// connections carry many clients' heads (only the total holds them). Decided once, so
    /// that a reload cannot make a connection give back to a share it never took from.
    per_source: bool,
    charged: AtomicUsize,
    /// Between an answer (or the connection's start) and the next parsed head.
    awaiting_head: AtomicBool,
}

impl HeadMeter {
    fn new(budget: Option<Arc<HeadBudget>>, peer: SocketAddr, per_source: bool) -> Arc<Self> {
        Arc::new(Self {
            budget,
            peer,
            per_source,
            charged: AtomicUsize::new(0),
            awaiting_head: AtomicBool::new(true),
        })
    }

    /// `false` when `n` more bytes of head would pass a bound.
    fn charge(&self, n: usize) -> bool {
        let Some(budget) = &self.budget else {
            return true;
        };
        let ok = budget.take(self.source(), n);
        if ok {
            self.charged.fetch_add(n, Ordering::Relaxed);
        }
        ok
    }

    fn release(&self) {
        let n = self.charged.swap(0, Ordering::Relaxed);
        if let (Some(budget), true) = (&self.budget, n > 0) {
            budget.give(self.source(), n);
        }
    }

    fn source(&self) -> Option<IpAddr> {
        self.per_source.then(|| self.peer.ip())
    }

    /// The head is parsed (the request reached the service): its bytes are hyper's to drop.
    pub fn head_read(&self) {
        self.awaiting_head.store(false, Ordering::Relaxed);
        self.release();
    }

    /// The request was answered: what the connection reads next is the next head.
    pub fn answered(&self) {
        self.awaiting_head.store(true, Ordering::Relaxed);
    }

    fn refused(&self, why: Refusal<'_>) {
        if let Some(budget) = &self.budget {
            (budget.on_refused)(why, self.peer);
        }
    }
}

impl Drop for HeadMeter {
    fn drop(&mut self) {
        self.release();
    }
}

/// Why a connection was closed while reading a head: framing hyper would accept but a proxy in
/// front of hookgate may read otherwise, so the two could disagree about where the request
/// ends: a bare LF ending a line, a repeated `Content-Length` (hyper folds equal copies into
/// one, out of the gate's sight).
#[derive(Debug, thiserror::Error)]
pub enum BadFraming {
    #[error("a line of the request head ends in LF without CR")]
    BareLf,
    #[error("the request head has more than one Content-Length")]
    RepeatedLength,
}

/// The answer to bad framing, written as is: hyper never parsed the request.
fn refusal(why: &BadFraming) -> Vec<u8> {
    let body =
        serde_json::json!({ "error": "bad_request", "message": why.to_string() }).to_string();
    format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Whether a connection ended for a refusal of ours (already reported to the head budget's
/// hook), rather than a failure hyper saw.
pub fn refused_by_us(e: &hyper::Error) -> bool {
    caused_by::<BadFraming>(e) || caused_by::<HeadsOverBudget>(e)
}

/// Why a connection was closed while reading a head: the head budgets are spent.
#[derive(Debug, thiserror::Error)]
#[error("request heads in memory would exceed limits.max_header_bytes (all connections, or this source's share)")]
pub struct HeadsOverBudget;

/// Whether `T`, failing a read of ours, is what ended the connection.
fn caused_by<T: std::error::Error + 'static>(e: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            if io.get_ref().is_some_and(|inner| inner.is::<T>()) {
                return true;
            }
        }
        source = s.source();
    }
    false
}

/// Reads a head's bytes as they arrive, to its blank line: each line must end in CRLF, and
/// `Content-Length` may come once.
#[derive(Debug, Default)]
struct HeadScan {
    /// The last byte seen.
    prev: u8,
    /// How much of the CRLF CRLF that ends the head was just seen (0 to 4).
    end: u8,
    done: bool,
    /// The start of the current line, lower-cased, enough to name the header.
    line: [u8; LENGTH_NAME.len()],
    line_len: usize,
    lengths: u8,
}

/// A `Content-Length` line starts so (header names are case-insensitive).
const LENGTH_NAME: &[u8] = b"content-length:";

impl HeadScan {
    /// `Err` at bad framing; after the blank line, nothing more is looked at (the body is not
    /// a head).
    fn feed(&mut self, bytes: &[u8]) -> Result<(), BadFraming> {
        for &b in bytes {
            if self.done {
                return Ok(());
            }
            if b == b'\n' {
                if self.prev != b'\r' {
                    return Err(BadFraming::BareLf);
                }
                self.line_len = 0;
            } else if self.line_len < self.line.len() {
                self.line[self.line_len] = b.to_ascii_lowercase();
                self.line_len += 1;
                if self.line_len == LENGTH_NAME.len() && self.line == LENGTH_NAME {
                    self.lengths += 1;
                    if self.lengths > 1 {
                        return Err(BadFraming::RepeatedLength);
                    }
                }
            }
            self.end = match (self.end, b) {
                (0 | 2, b'\r') | (1 | 3, b'\n') => self.end + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            self.done = self.end == 4;
            self.prev = b;
        }
        Ok(())
    }
}

/// A connection's socket, its reads metered against the head budget and its heads scanned.
struct Metered {
    io: TcpStream,
    meter: Arc<HeadMeter>,
    scan: HeadScan,
    /// Whether the meter was waiting for a head at the last read: a new head starts a new scan.
    was_awaiting: bool,
}

impl AsyncRead for Metered {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                let awaiting = this.meter.awaiting_head.load(Ordering::Relaxed);
                if awaiting && !this.was_awaiting {
                    this.scan = HeadScan::default();
                }
                this.was_awaiting = awaiting;
                if n > 0 && awaiting {
                    if let Err(e) = this.scan.feed(&buf.filled()[before..]) {
                        // Said, as hookgate answers any bad request, before the connection
                        // closes: one small write, which a socket's send buffer takes whole.
                        let _ = this.io.try_write(&refusal(&e));
                        this.meter.refused(Refusal::Framing(&e));
                        return Poll::Ready(Err(io::Error::other(e)));
                    }
                    if !this.meter.charge(n) {
                        this.meter.refused(Refusal::HeadBudget);
                        return Poll::Ready(Err(io::Error::other(HeadsOverBudget)));
                    }
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Metered {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Called with each connection-level failure (a malformed request, headers too slow, a
/// reset) and its peer: those that never reached a service still count and are logged.
pub type ConnErrorHook = std::sync::Arc<dyn Fn(&hyper::Error, SocketAddr) + Send + Sync>;

/// Where a server gets its connections: a listening socket, or (for request workers) the
/// connections a balancer hands it (workers.rs).
pub trait Accept {
    /// Kept for as long as the connection is open (a worker's open-connection count).
    type Guard: Send + 'static;

    /// The next connection; `None` when there will be no more (the balancer stopped).
    fn accept(
        &mut self,
    ) -> impl Future<Output = Option<std::io::Result<(TcpStream, SocketAddr, Self::Guard)>>>;
}

impl Accept for TcpListener {
    type Guard = ();

    async fn accept(&mut self) -> Option<std::io::Result<(TcpStream, SocketAddr, ())>> {
        Some(
            TcpListener::accept(self)
                .await
                .map(|(stream, peer)| (stream, peer, ())),
        )
    }
}

/// A source that ends when `stop` resolves: how a server on a plain listener (the admin one)
/// is told to stop, the way a worker's inbox ends when the balancer stops.
pub struct Until<A, F> {
    incoming: A,
    stop: std::pin::Pin<Box<F>>,
    stopped: bool,
}

pub fn until<A: Accept, F: Future<Output = ()>>(incoming: A, stop: F) -> Until<A, F> {
    Until {
        incoming,
        stop: Box::pin(stop),
        stopped: false,
    }
}

impl<A: Accept, F: Future<Output = ()>> Accept for Until<A, F> {
    type Guard = A::Guard;

    async fn accept(&mut self) -> Option<std::io::Result<(TcpStream, SocketAddr, A::Guard)>> {
        if self.stopped {
            return None;
        }
        tokio::select! {
            accepted = self.incoming.accept() => accepted,
            () = &mut self.stop => {
                self.stopped = true;
                None
            }
        }
    }
}

/// After a failed accept (EMFILE and friends): say so, and back off briefly instead of
/// spinning on a listener that fails at once again.
pub async fn accept_failed(listener: &str, e: &std::io::Error) {
    tracing::warn!(listener, error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// What a listener's connections are held to before hyper reads them.
#[derive(Default)]
pub struct Guards {
    /// The head budget their reads count against (none: not counted).
    pub heads: Option<Arc<HeadBudget>>,
    /// Each starts with a PROXY header from a trusted proxy.
    pub proxy: Option<Arc<ProxyProtocol>>,
    /// Peers whose connections carry many clients (trusted proxies, read as each connection
    /// starts): their heads count only against the total, not against one address's share,
    /// which would hold every client behind them together.
    pub shared_peer: Option<Arc<dyn Fn(IpAddr) -> bool + Send + Sync>>,
}

/// The PROXY protocol on a listener (`proxy_protocol: true`): each connection must come from
/// a trusted proxy and start with its header, read within `timeout`; the header's source is
/// then the connection's peer for everything after (the head budget, the gate).
pub struct ProxyProtocol {
    pub trusted: Arc<dyn Fn(IpAddr) -> bool + Send + Sync>,
    pub timeout: Duration,
    /// Told of each connection closed for its PROXY header (`untrusted_proxy`: not from a
    /// trusted proxy; `proxy_header`: missing, malformed or too slow; `per_source`: the
    /// client it names holds `limits.per_source.max_connections`).
    pub on_refused: Arc<dyn Fn(&'static str, SocketAddr) + Send + Sync>,
    /// Where each client's open connections are counted, and how many it may hold: the
    /// balancer counted the proxy's address, which carries every client's connections.
    pub sources: Arc<Sources>,
    pub per_source_connections: usize,
}

impl ProxyProtocol {
    /// Reads the header, exactly (the request after it is left for hyper); the client's
    /// address, or `None` for a proxy's own connection (LOCAL, UNKNOWN).
    async fn read(
        &self,
        stream: &mut TcpStream,
        peer: SocketAddr,
    ) -> Result<Option<SocketAddr>, &'static str> {
        use tokio::io::AsyncReadExt;
        if !(self.trusted)(peer.ip()) {
            return Err("untrusted_proxy");
        }
        let read = async {
            let mut buf = Vec::with_capacity(64);
            loop {
                match crate::peer::parse_proxy(&buf) {
                    Ok(crate::peer::Proxy::Need(n)) => {
                        let at = buf.len();
                        buf.resize(at + n, 0);
                        stream.read_exact(&mut buf[at..]).await.map_err(|_| ())?;
                    }
                    Ok(crate::peer::Proxy::Done { source, .. }) => return Ok(source),
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "connection refused: PROXY header");
                        return Err(());
                    }
                }
            }
        };
        match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(source)) => Ok(source),
            _ => Err("proxy_header"),
        }
    }
}

/// Serves `make_service(peer, meter)` on every connection until `incoming` ends, then
/// drains; `guards`: what its connections are held to before hyper reads them. Returns
/// whether every connection finished within `grace`.
pub async fn serve<A, M, S, F>(
    mut incoming: A,
    builder: http1::Builder,
    guards: Guards,
    make_service: M,
    on_error: ConnErrorHook,
    grace: Duration,
    name: &'static str,
) -> bool
where
    A: Accept,
    M: Fn(SocketAddr, Arc<HeadMeter>) -> S + Send + Sync + 'static,
    S: tower::Service<
            http::Request<Incoming>,
            Response = http::Response<F>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    F: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    F::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Guards {
        heads,
        proxy,
        shared_peer,
    } = guards;
    let graceful = GracefulShutdown::new();
    let make_service = Arc::new(make_service);
    while let Some(accepted) = incoming.accept().await {
        let (stream, peer, guard) = match accepted {
            Ok(a) => a,
            Err(e) => {
                accept_failed(name, &e).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (builder, heads, make_service) = (builder.clone(), heads.clone(), make_service.clone());
        let (on_error, proxy, watcher) = (on_error.clone(), proxy.clone(), graceful.watcher());
        let shared_peer = shared_peer.clone();
        tokio::spawn(async move {
            let _open = guard;
            let mut stream = stream;
            let mut peer = peer;
            let mut _client = None;
            if let Some(p) = &proxy {
                match p.read(&mut stream, peer).await {
                    Ok(Some(source)) => {
                        peer = source;
                        _client = Holding::take(
                            &p.sources,
                            source.ip(),
                            Kind::Connections,
                            1,
                            p.per_source_connections,
                        );
                        if _client.is_none() {
                            (p.on_refused)("per_source", peer);
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(reason) => {
                        (p.on_refused)(reason, peer);
                        return;
                    }
                }
            }
            let per_source = !shared_peer.is_some_and(|shared| shared(peer.ip()));
            let meter = HeadMeter::new(heads, peer, per_source);
            let service = TowerToHyperService::new(make_service(peer, meter.clone()));
            let io = Metered {
                io: stream,
                meter,
                scan: HeadScan::default(),
                was_awaiting: true,
            };
            let conn = builder.serve_connection(TokioIo::new(io), service);
            if let Err(e) = watcher.watch(conn).await {
                on_error(&e, peer);
            }
        });
    }
    drop(incoming);
    tokio::select! {
        () = graceful.shutdown() => true,
        () = tokio::time::sleep(grace) => {
            tracing::warn!(listener = name, ?grace, "grace period over; closing remaining connections");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&[u8]]) -> Result<(), BadFraming> {
        let mut s = HeadScan::default();
        chunks.iter().try_for_each(|c| s.feed(c))
    }

    #[test]
    fn a_head_must_end_its_lines_in_crlf_and_its_body_may_hold_anything() {
        assert!(scan(&[b"POST / HTTP/1.1\r\nHost: x\r\n\r\n{\n\"a\":1}\n"]).is_ok());
        // Split anywhere, even inside the CRLF CRLF.
        assert!(scan(&[b"POST / HTTP/1.1\r", b"\nHost: x\r\n\r", b"\n\n\n"]).is_ok());
        assert!(scan(&[b"POST / HTTP/1.1\nHost: x\r\n\r\n"]).is_err());
        assert!(scan(&[b"POST / HTTP/1.1\r\nHost: x\n\r\n"]).is_err());
        assert!(scan(&[b"POST / HTTP/1.1\r\nHost: x\r\n", b"\n"]).is_err());
        // A CR alone inside a line is hyper's to refuse, not a bare LF.
        assert!(scan(&[b"POST / HTTP/1.1\r\nX: a\rb\r\n\r\n"]).is_ok());
    }

    #[test]
    fn content_length_may_come_once() {
        let once = b"POST / HTTP/1.1\r\nContent-Length: 2\r\nX-Content-Length: 3\r\n\r\n";
        assert!(scan(&[once]).is_ok());
        let twice = [
            &b"POST / HTTP/1.1\r\nContent-Length: 2\r\nCONTENT-le"[..],
            &b"ngth: 2\r\n\r\n"[..],
        ];
        assert!(matches!(scan(&twice), Err(BadFraming::RepeatedLength)));
        // In the body it is only bytes.
        assert!(
            scan(&[b"POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\ncontent-length: 2\r\n"]).is_ok()
        );
    }
}
