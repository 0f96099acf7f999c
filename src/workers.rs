//! Thread per core: each worker is an OS thread with its own current-thread tokio runtime,
//! accepting from a shared listening socket and forwarding through its own upstream pool.
//!
//! Why not tokio's multi-thread runtime: under load, profiles showed most of hookgate's CPU in
//! the kernel, much of it waking other threads: one worker polls the sockets and hands ready
//! tasks to its peers, and a pooled upstream connection owned by one thread is driven for a
//! request handled by another. A proxy's work per request is short and independent, so the
//! classic answer (nginx's worker processes) fits: a connection, its requests, their forwards
//! and the upstream connections they use all live on one thread. What is shared (the dedup
//! store, metrics, the active config) is already thread-safe.
//!
//! The kernel spreads new connections over the workers: every worker's event loop watches the
//! same listening socket and the first idle one accepts.

use std::cell::Cell;
use std::future::Future;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

thread_local! {
    static CURRENT: Cell<usize> = const { Cell::new(0) };
}

/// The index of the worker running on this thread; 0 outside any worker (the main runtime,
/// tests), which is also worker 0.
pub fn current() -> usize {
    CURRENT.with(Cell::get)
}

/// A worker thread started by [`spawn`].
pub struct Worker {
    done: oneshot::Receiver<bool>,
    thread: JoinHandle<()>,
}

/// Starts worker `index` on a new thread running the future `make` builds there (it need not
/// be `Send`: it never leaves its thread).
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
            CURRENT.with(|c| c.set(index));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_worker_runs_on_its_own_thread_and_knows_its_index() {
        let main = std::thread::current().id();
        let workers: Vec<Worker> = (1..4)
            .map(|i| {
                spawn(i, move || async move {
                    // A current-thread runtime: spawned tasks stay on this thread too.
                    let inner = tokio::spawn(async { (current(), std::thread::current().id()) })
                        .await
                        .ok();
                    inner == Some((i, std::thread::current().id()))
                        && std::thread::current().id() != main
                })
                .unwrap()
            })
            .collect();
        for w in workers {
            assert!(w.finish().await);
        }
        assert_eq!(current(), 0);
    }

    #[tokio::test]
    async fn a_panicking_worker_reports_failure() {
        let w = spawn(1, || async { panic!("boom") }).unwrap();
        assert!(!w.finish().await);
    }
}
