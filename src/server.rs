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

use crate::sources::{Kind, Sources};

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
}

impl HeadBudget {
    pub fn new(max: usize, sources: Arc<Sources>, per_source: usize) -> Arc<Self> {
        Arc::new(Self {
            held: AtomicUsize::new(0),
            max,
            sources,
            per_source,
        })
    }

    /// Bytes held now (the `hookgate_header_bytes` gauge).
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    fn take(&self, ip: IpAddr, n: usize) -> bool {
        let before = self.held.fetch_add(n, Ordering::Relaxed);
        if before + n > self.max || !self.sources.take(ip, Kind::HeadBytes, n, self.per_source) {
            self.held.fetch_sub(n, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn give(&self, ip: IpAddr, n: usize) {
        self.held.fetch_sub(n, Ordering::Relaxed);
        self.sources.give(ip, Kind::HeadBytes, n);
    }
}

/// One connection's share of the head budget: the bytes it reads while waiting for a request
/// head count until the head is parsed (`head_read`), and again after each answer
/// (`answered`). Given back when the connection ends.
pub struct HeadMeter {
    budget: Option<Arc<HeadBudget>>,
    ip: IpAddr,
    charged: AtomicUsize,
    awaiting_head: AtomicBool,
}

impl HeadMeter {
    fn new(budget: Option<Arc<HeadBudget>>, ip: IpAddr) -> Arc<Self> {
        Arc::new(Self {
            budget,
            ip,
            charged: AtomicUsize::new(0),
            awaiting_head: AtomicBool::new(true),
        })
    }

    /// `false` when `n` more bytes of head would pass a bound.
    fn charge(&self, n: usize) -> bool {
        let Some(budget) = &self.budget else {
            return true;
        };
        if !self.awaiting_head.load(Ordering::Relaxed) {
            return true;
        }
        let ok = budget.take(self.ip, n);
        if ok {
            self.charged.fetch_add(n, Ordering::Relaxed);
        }
        ok
    }

    fn release(&self) {
        let n = self.charged.swap(0, Ordering::Relaxed);
        if let (Some(budget), true) = (&self.budget, n > 0) {
            budget.give(self.ip, n);
        }
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
}

impl Drop for HeadMeter {
    fn drop(&mut self) {
        self.release();
    }
}

/// Why a connection was closed while reading a head: the head budgets are spent.
#[derive(Debug, thiserror::Error)]
#[error("request heads in memory would exceed limits.max_header_bytes (all connections, or this source's share)")]
pub struct HeadsOverBudget;

/// Whether a connection ended because its head passed the head budgets.
pub fn over_head_budget(e: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<HeadsOverBudget>())
            {
                return true;
            }
        }
        source = s.source();
    }
    false
}

/// A connection's socket, its reads metered against the head budget.
struct Metered {
    io: TcpStream,
    meter: Arc<HeadMeter>,
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
                if n > 0 && !this.meter.charge(n) {
                    return Poll::Ready(Err(io::Error::other(HeadsOverBudget)));
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

/// Serves `make_service(peer, meter)` on every connection until `incoming` ends, then
/// drains; `heads`: the head budget its connections' reads count against (none: not
/// counted). Returns whether every connection finished within `grace`.
pub async fn serve<A, M, S, F>(
    mut incoming: A,
    builder: http1::Builder,
    heads: Option<Arc<HeadBudget>>,
    make_service: M,
    on_error: ConnErrorHook,
    grace: Duration,
    name: &'static str,
) -> bool
where
    A: Accept,
    M: Fn(SocketAddr, Arc<HeadMeter>) -> S,
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
    let graceful = GracefulShutdown::new();
    while let Some(accepted) = incoming.accept().await {
        let (stream, peer, guard) = match accepted {
            Ok(a) => a,
            Err(e) => {
                accept_failed(name, &e).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let meter = HeadMeter::new(heads.clone(), peer.ip());
        let service = TowerToHyperService::new(make_service(peer, meter.clone()));
        let io = Metered { io: stream, meter };
        let conn = builder.serve_connection(TokioIo::new(io), service);
        let conn = graceful.watch(conn);
        let on_error = on_error.clone();
        tokio::spawn(async move {
            let _open = guard;
            if let Err(e) = conn.await {
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
