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

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
}

/// A body read whole, and its share of the budget: keep `held` as long as `bytes`.
pub struct Buffered {
    pub bytes: Bytes,
    pub held: OwnedSemaphorePermit,
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

/// Reads `body` whole: at most `limit` bytes, within `deadline`, its bytes held in `budget` as
/// they arrive.
pub async fn collect(
    mut body: Incoming,
    limit: usize,
    deadline: Duration,
    budget: &Budget,
) -> Result<Buffered, BodyError> {
    let mut held = budget.reserve(0)?;
    let read = async {
        // Most bodies arrive in one frame: kept as is, and `rest` never allocates.
        let mut first = Bytes::new();
        let mut rest: Vec<Bytes> = Vec::new();
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
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
        Ok(Ok(bytes)) => Ok(Buffered { bytes, held }),
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
