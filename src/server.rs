//! Serving connections from a source (a listener passed in, as tests bind 127.0.0.1:0, or a
//! worker's inbox), and graceful drain.
//!
//! hyper's header read timeout needs a timer on the builder, or it silently does nothing: it is
//! what closes a connection that trickles its headers (slowloris). On shutdown we stop
//! accepting, let connections finish their current request, and return as soon as all are done
//! or the grace period ends, whichever is first.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

/// Header bytes buffered per connection; real senders send a few KiB.
const MAX_HEADER_BUF: usize = 64 * 1024;

pub fn http1_builder(header_timeout: Duration) -> http1::Builder {
    let mut b = http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BUF)
        .keep_alive(true);
    b
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

/// Serves `make_service(peer)` on every connection until `incoming` ends, then drains.
/// Returns whether every connection finished within `grace`.
pub async fn serve<A, M, S, F>(
    mut incoming: A,
    builder: http1::Builder,
    make_service: M,
    on_error: ConnErrorHook,
    grace: Duration,
    name: &'static str,
) -> bool
where
    A: Accept,
    M: Fn(SocketAddr) -> S,
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
        let service = TowerToHyperService::new(make_service(peer));
        let conn = builder.serve_connection(TokioIo::new(stream), service);
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
