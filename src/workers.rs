//! Thread per core: each worker is an OS thread with its own current-thread tokio runtime,
//! serving the connections it is handed and forwarding through its own upstream pool.
//!
//! Why not tokio's multi-thread runtime: under load, profiles showed most of hookgate's CPU in
//! the kernel, much of it waking other threads: one worker polls the sockets and hands ready
//! tasks to its peers, and a pooled upstream connection owned by one thread is driven for a
//! request handled by another. A proxy's work per request is short and independent, so the
//! classic answer (nginx's worker processes) fits: a connection, its requests, their forwards
//! and the upstream connections they use all live on one thread. What is shared (the dedup
//! store, metrics, the active config) is already thread-safe.
//!
//! One task accepts and hands each new connection to the worker with the fewest open ones,
//! once it is within the connection bounds (all sources together, and per source address);
//! past them the connection is closed at once and the refusal reported.
//! Letting every worker accept from the shared socket instead left them unevenly loaded (the
//! first idle one wins, so one could hold two thirds of a sender's keep-alive connections and
//! run out of core while the other idled); the hand-off costs a wake-up per connection, not per
//! request.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::server::{self, Accept};
use crate::sources::{Holding, Kind, Sources};

/// A worker thread started by [`spawn`].
pub struct Worker {
    done: oneshot::Receiver<bool>,
    thread: JoinHandle<()>,
}

/// Starts worker `index` (which names its thread) on a new thread running the future `make`
/// builds there (it need not be `Send`: it never leaves its thread). What the worker needs,
/// its index included, is handed to `make`: nothing is looked up from the thread.
pub fn spawn<F, Fut>(index: usize, make: F) -> std::io::Result<Worker>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = bool>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (tx, done) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name(format!("hookgate-worker-{index}"))
        .spawn(move || {
            let result = runtime.block_on(make());
            let _ = tx.send(result);
        })?;
    Ok(Worker { done, thread })
}

impl Worker {
    /// Waits for the worker's future; `false` if it did not finish cleanly (or panicked).
    pub async fn finish(self) -> bool {
        let result = self.done.await.unwrap_or(false);
        // It has sent its result; what is left is dropping its runtime, which is quick.
        let thread = self.thread;
        let joined = tokio::task::spawn_blocking(move || thread.join().is_ok())
            .await
            .unwrap_or(false);
        result && joined
    }
}

/// A connection handed to a worker, with the count it adds to while open.
struct Assigned {
    stream: std::net::TcpStream,
    peer: SocketAddr,
    open: Open,
}

/// One of a worker's open connections, and its place in its source's count; both go down
/// when the connection ends.
pub struct Open {
    count: Arc<AtomicUsize>,
    /// Its place in its source's count (given back when dropped).
    source: Option<Holding>,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How many connections may be open at once.
#[derive(Clone)]
pub struct ConnectionLimits {
    /// All sources together.
    pub total: usize,
    /// One source address.
    pub per_source: usize,
    pub sources: Arc<Sources>,
    /// Peers not held to `per_source`: the trusted proxies, each of whose connections may
    /// carry a different client (with the PROXY protocol, each client is counted once its
    /// header names it). The total still holds them.
    pub exempt: Arc<dyn Fn(IpAddr) -> bool + Send + Sync>,
}

/// Why a connection was closed as soon as it was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `limits.max_connections` are open.
    Total,
    /// Its address holds `limits.per_source.max_connections`.
    PerSource,
}

/// Told of each refused connection (counted and logged by the caller).
pub type RefusedHook = Arc<dyn Fn(Refused, SocketAddr) + Send + Sync>;

/// A worker's end of the balancer: the connections it is to serve.
pub struct Inbox(mpsc::UnboundedReceiver<Assigned>);

impl Accept for Inbox {
    type Guard = Open;

    async fn accept(&mut self) -> Option<std::io::Result<(TcpStream, SocketAddr, Open)>> {
        let a = self.0.recv().await?;
        // Registered with this worker's event loop: from here on the socket is this thread's.
        Some(TcpStream::from_std(a.stream).map(|s| (s, a.peer, a.open)))
    }
}

/// Accepts connections and spreads them over the workers' inboxes.
pub struct Balancer {
    workers: Vec<(mpsc::UnboundedSender<Assigned>, Arc<AtomicUsize>)>,
    /// Workers that stopped (failed): never picked again.
    stopped: Vec<bool>,
    next: usize,
    limits: ConnectionLimits,
    on_refused: RefusedHook,
}

/// A balancer over `n` workers (at least one), and their inboxes, in worker order.
pub fn balancer(
    n: usize,
    limits: ConnectionLimits,
    on_refused: RefusedHook,
) -> (Balancer, Vec<Inbox>) {
    let (workers, inboxes) = (0..n.max(1))
        .map(|_| {
            let (tx, rx) = mpsc::unbounded_channel();
            ((tx, Arc::new(AtomicUsize::new(0))), Inbox(rx))
        })
        .unzip();
    let balancer = Balancer {
        stopped: vec![false; n.max(1)],
        workers,
        next: 0,
        limits,
        on_refused,
    };
    (balancer, inboxes)
}

impl Balancer {
    /// Accepts until `shutdown` resolves. Returning drops the listener (new connections are
    /// refused) and the inboxes' senders, which tells each worker to drain.
    pub async fn run(mut self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let mut incoming = server::until(listener, shutdown);
        while let Some(accepted) = incoming.accept().await {
            match accepted {
                Ok((stream, peer, ())) => self.assign(stream, peer),
                Err(e) => server::accept_failed("main", &e).await,
            }
        }
    }

    /// Connections open now, on every worker.
    pub fn open(&self) -> usize {
        self.workers
            .iter()
            .map(|(_, count)| count.load(Ordering::Relaxed))
            .sum()
    }

    /// A shared view of the open-connection count, for a gauge.
    pub fn open_counter(&self) -> OpenConnections {
        OpenConnections(self.workers.iter().map(|(_, c)| c.clone()).collect())
    }

    fn assign(&mut self, stream: TcpStream, peer: SocketAddr) {
        // Closed as it is dropped: the sender sees a reset, not an answer; over the bounds
        // there is nothing better to spend on it.
        if self.open() >= self.limits.total {
            (self.on_refused)(Refused::Total, peer);
            return;
        }
        let limits = &self.limits;
        let mut source = None;
        if !(limits.exempt)(peer.ip()) {
            let Some(held) = Holding::take(
                &limits.sources,
                peer.ip(),
                Kind::Connections,
                1,
                limits.per_source,
            ) else {
                (self.on_refused)(Refused::PerSource, peer);
                return;
            };
            source = Some(held);
        }
        let Ok(mut stream) = stream.into_std() else {
            return;
        };
        // Fewest open connections wins; ties go round-robin so idle workers share new ones.
        let n = self.workers.len();
        for _ in 0..n {
            let start = self.next;
            let Some(pick) = (0..n)
                .map(|k| (start + k) % n)
                .filter(|&i| !self.stopped[i])
                .min_by_key(|&i| self.workers[i].1.load(Ordering::Relaxed))
            else {
                break;
            };
            self.next = (pick + 1) % n;
            let (tx, count) = &self.workers[pick];
            count.fetch_add(1, Ordering::Relaxed);
            let open = Open {
                count: count.clone(),
                source: source.take(),
            };
            match tx.send(Assigned { stream, peer, open }) {
                Ok(()) => return,
                // That worker has stopped (it failed): never again, try another.
                Err(mpsc::error::SendError(mut back)) => {
                    source = back.open.source.take();
                    stream = back.stream;
                    self.stopped[pick] = true;
                }
            }
        }
        tracing::error!(%peer, "no worker is running; closing the connection");
    }
}

/// The open connections of every worker, read for the `hookgate_open_connections` gauge.
#[derive(Clone)]
pub struct OpenConnections(Vec<Arc<AtomicUsize>>);

impl OpenConnections {
    pub fn get(&self) -> usize {
        self.0.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn each_worker_runs_on_its_own_named_thread() {
        let main = std::thread::current().id();
        let workers: Vec<Worker> = (1..4)
            .map(|i| {
                spawn(i, move || async move {
                    let here = || {
                        let t = std::thread::current();
                        (t.id(), t.name().map(str::to_owned))
                    };
                    // A current-thread runtime: spawned tasks stay on this thread too.
                    let inner = tokio::spawn(async move { here() }).await.ok();
                    let expected = format!("hookgate-worker-{i}");
                    inner == Some(here())
                        && here().1.as_deref() == Some(expected.as_str())
                        && here().0 != main
                })
                .unwrap()
            })
            .collect();
        for w in workers {
            assert!(w.finish().await);
        }
    }

    #[tokio::test]
    async fn a_panicking_worker_reports_failure() {
        let w = spawn(1, || async { panic!("boom") }).unwrap();
        assert!(!w.finish().await);
    }

    #[tokio::test]
    async fn connections_go_to_the_worker_with_the_fewest_open() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (balancer, mut inboxes) = balancer(3, unbounded(), Arc::new(|_, _| {}));
        let (stop, stopped) = oneshot::channel::<()>();
        let acceptor = tokio::spawn(balancer.run(listener, async move {
            let _ = stopped.await;
        }));
        let mut clients = Vec::new();
        let mut held: Vec<Vec<Open>> = vec![Vec::new(), Vec::new(), Vec::new()];
        // Six connections, one at a time: two each.
        for _ in 0..6 {
            clients.push(TcpStream::connect(addr).await.unwrap());
            let (i, open) = next_assigned(&mut inboxes).await;
            held[i].push(open);
        }
        assert!(held.iter().all(|h| h.len() == 2), "{:?}", counts(&held));
        // Worker 1's connections close: the next two go to it.
        held[1].clear();
        for _ in 0..2 {
            clients.push(TcpStream::connect(addr).await.unwrap());
            let (i, open) = next_assigned(&mut inboxes).await;
            assert_eq!(i, 1);
            held[i].push(open);
        }
        // Stopping the acceptor closes every inbox: that is how workers learn to drain.
        let _ = stop.send(());
        acceptor.await.unwrap();
        for inbox in &mut inboxes {
            assert!(inbox.accept().await.is_none());
        }
    }

    fn unbounded() -> ConnectionLimits {
        ConnectionLimits {
            total: usize::MAX,
            per_source: usize::MAX,
            sources: Sources::new(),
            exempt: Arc::new(|_| false),
        }
    }

    #[tokio::test]
    async fn connections_past_the_bounds_are_closed_and_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = ConnectionLimits {
            total: 3,
            per_source: 2,
            sources: Sources::new(),
            exempt: Arc::new(|_| false),
        };
        let refused = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = refused.clone();
        let hook: RefusedHook = Arc::new(move |why, peer: SocketAddr| {
            seen.lock().unwrap().push((why, peer.ip()));
        });
        let (balancer, mut inboxes) = balancer(1, limits, hook);
        let (stop, stopped) = oneshot::channel::<()>();
        let acceptor = tokio::spawn(balancer.run(listener, async move {
            let _ = stopped.await;
        }));
        let from = |last: u8| async move {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::from(([127, 0, 0, last], 0))).unwrap();
            s.connect(addr).await.unwrap()
        };
        let mut open = Vec::new();
        let mut clients = Vec::new();
        // Two from .2 are served; the third from .2 is over its source's bound.
        for _ in 0..3 {
            clients.push(from(2).await);
        }
        for _ in 0..2 {
            open.push(next_assigned(&mut inboxes).await.1);
        }
        // One from .3 is served (3 open); a second from .3 is over the total.
        clients.push(from(3).await);
        open.push(next_assigned(&mut inboxes).await.1);
        clients.push(from(3).await);
        let wait = async {
            while refused.lock().unwrap().len() < 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .unwrap();
        let two: std::net::IpAddr = [127, 0, 0, 2].into();
        let three: std::net::IpAddr = [127, 0, 0, 3].into();
        assert_eq!(
            *refused.lock().unwrap(),
            [(Refused::PerSource, two), (Refused::Total, three)]
        );
        // A connection closing frees both its places.
        open.clear();
        clients.push(from(2).await);
        next_assigned(&mut inboxes).await;
        let _ = stop.send(());
        acceptor.await.unwrap();
    }

    fn counts(held: &[Vec<Open>]) -> Vec<usize> {
        held.iter().map(Vec::len).collect()
    }

    /// The next connection any inbox receives: (worker, its open-connection guard).
    async fn next_assigned(inboxes: &mut [Inbox]) -> (usize, Open) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            for (i, inbox) in inboxes.iter_mut().enumerate() {
                if let Ok(a) = inbox.0.try_recv() {
                    return (i, a.open);
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "nothing assigned");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
