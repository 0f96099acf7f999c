//! Reading a request body with a size bound, a deadline and a share of the memory budget.
//!
//! The size bound stops reading as soon as it is crossed (413 without buffering the rest); the
//! deadline bounds the whole body, so a sender trickling one byte a second cannot hold a
//! connection and a concurrency slot forever (408). The budget (`limits.max_buffered`) bounds
//! the bytes all requests hold at once: a body is held whole until its signature is checked,
//! so without it a flood of large uploads, signed or not, grows memory until the process is
//! killed. Bytes are counted as they arrive, not as declared: a sender that declares a large
//! body and sends nothing holds nothing, so the budget cannot be emptied without the bandwidth
//! to fill it. When it is spent the answer is 503 + Retry-After (`BodyError::Busy`).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::sources::Holding;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body was not received within {0:?}")]
    Timeout(Duration),
    #[error("the body could not be read: {0}")]
    Read(String),
    #[error("request bodies in memory would exceed limits.max_buffered ({budget} bytes)")]
    Busy { budget: usize },
    #[error("this source's request bodies in memory would exceed limits.per_source.max_buffered ({limit} bytes)")]
    SourceBusy { limit: usize },
    #[error("the body arrived slower than {rate} bytes a second (limits.min_body_rate)")]
    TooSlow { rate: usize },
}

/// The pace a body must keep: on average since the request started, `bytes_per_sec` at least,
/// once `grace` has passed. A trickle would otherwise hold a slot and its bytes until the body
/// timeout; a real sender's body arrives far faster.
#[derive(Debug, Clone, Copy)]
pub struct MinRate {
    pub bytes_per_sec: usize,
    pub grace: Duration,
}

impl MinRate {
    /// When, having received `total` bytes since `start`, more must have arrived.
    fn deadline(&self, start: Instant, total: usize) -> Instant {
        // Precision past 2^53 bytes does not matter; bodies are capped at 1 GiB.
        #[expect(clippy::cast_precision_loss, reason = "body sizes are far below 2^53")]
        let earned = Duration::from_secs_f64(total as f64 / self.bytes_per_sec.max(1) as f64);
        start + earned.max(self.grace)
    }
}

/// Where a body's bytes are counted as they arrive: all requests' budget, and the sender's
/// own share of it (with its bound).
pub struct Accounts<'a> {
    pub budget: &'a Budget,
    pub source: Holding,
    pub source_limit: usize,
}

/// A body read whole, and its shares of the budgets: keep them as long as `bytes`.
pub struct Buffered {
    pub bytes: Bytes,
    pub held: OwnedSemaphorePermit,
    pub source_held: Holding,
}

/// The bytes request bodies may hold at once, in permits of one byte.
#[derive(Clone)]
pub struct Budget {
    permits: Arc<Semaphore>,
    size: usize,
}

impl Budget {
    pub fn new(size: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(size)),
            size,
        }
    }

    /// Bytes it holds at most: `limits.max_buffered`.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Bytes held by requests right now (the `hookgate_buffered_bytes` gauge).
    pub fn held(&self) -> usize {
        self.size - self.permits.available_permits()
    }

    fn reserve(&self, bytes: usize) -> Result<OwnedSemaphorePermit, BodyError> {
        let busy = || BodyError::Busy { budget: self.size };
        // Bodies are capped at 1 GiB (config::MAX_BODY_CAP), so a body's size always fits.
        let n = u32::try_from(bytes).map_err(|_| busy())?;
        self.permits
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|_| busy())
    }
}

/// Reads `body` whole: at most `limit` bytes, within `deadline` and at `min_rate` when given,
/// its bytes held in `accounts` as they arrive.
pub async fn collect(
    mut body: Incoming,
    limit: usize,
    deadline: Duration,
    min_rate: Option<MinRate>,
    accounts: Accounts<'_>,
) -> Result<Buffered, BodyError> {
    let Accounts {
        budget,
        source: mut source_held,
        source_limit,
    } = accounts;
    let mut held = budget.reserve(0)?;
    let start = Instant::now();
    let read = async {
        // Most bodies arrive in one frame: kept as is, and `rest` never allocates.
        let mut first = Bytes::new();
        let mut rest: Vec<Bytes> = Vec::new();
        let mut total = 0usize;
        loop {
            let next = body.frame();
            let frame = match min_rate {
                None => next.await,
                Some(rate) => {
                    match tokio::time::timeout_at(rate.deadline(start, total), next).await {
                        Ok(frame) => frame,
                        Err(_) => {
                            return Err(BodyError::TooSlow {
                                rate: rate.bytes_per_sec,
                            })
                        }
                    }
                }
            };
            let Some(frame) = frame else { break };
            let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
            // Trailers carry nothing that is signed: ignored, as before they were collected.
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total = total.saturating_add(data.len());
            if total > limit {
                return Err(BodyError::TooLarge { limit });
            }
            if total > held.num_permits() {
                held.merge(budget.reserve(total - held.num_permits())?);
            }
            if !source_held.grow(data.len(), source_limit) {
                return Err(BodyError::SourceBusy {
                    limit: source_limit,
                });
            }
            if first.is_empty() && rest.is_empty() {
                first = data;
            } else {
                rest.push(data);
            }
        }
        Ok(join(first, rest, total))
    };
    match tokio::time::timeout(deadline, read).await {
        Err(_) => Err(BodyError::Timeout(deadline)),
        Ok(Err(e)) => Err(e),
        Ok(Ok(bytes)) => Ok(Buffered {
            bytes,
            held,
            source_held,
        }),
    }
}

/// One buffer: the first frame itself when there was no other (no copy), else one copy of all.
fn join(first: Bytes, rest: Vec<Bytes>, total: usize) -> Bytes {
    if rest.is_empty() {
        return first;
    }
    let mut out = BytesMut::with_capacity(total);
    out.extend_from_slice(&first);
    for c in rest {
        out.extend_from_slice(&c);
    }
    out.freeze()
}
