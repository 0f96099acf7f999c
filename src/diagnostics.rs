//! Rejection diagnostics: enough to tell an operator why a delivery was refused, nothing that
//! helps anyone forge one.
//!
//! Each rejection becomes a `Rejection` record: the log line of the decision carries its
//! fields, and the last few (a bounded ring) are listed as JSON on the admin port at
//! `/debug/rejections`. A record holds metadata only: sizes, a body hash, the content type, the
//! *ids* of the secrets compared (config names), the clock skew. Never a secret, a signature
//! (received or expected), a header value that could carry one, or the body.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::outcome::Outcome;

/// Longest content type or method kept: they come from the sender, and a record must stay
/// small whatever it sends.
const MAX_SHORT_FIELD: usize = 128;
/// Longest request path kept (for `no_route`, where the path is the clue).
const MAX_PATH: usize = 256;

/// One refused (or, in observe mode, failed-but-forwarded) request.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub time: SystemTime,
    /// The route's name, or `none`.
    pub route: Arc<str>,
    pub method: String,
    /// The request path, without the query string (which may carry tokens).
    pub path: String,
    /// The status hookgate answered with (in observe mode, the upstream's).
    pub status: u16,
    pub outcome: Outcome,
    /// The route is in observe mode: this verdict was logged and the request forwarded anyway.
    pub observe: bool,
    /// What went wrong, as the operator log says it (the sender gets the terse form).
    pub message: String,
    /// Bytes of body received, when it was read.
    pub body_len: Option<usize>,
    /// Hex SHA-256 of the body received: compare it with the sender's delivery log to see
    /// whether the body was changed on the way.
    pub body_sha256: Option<String>,
    pub content_type: Option<String>,
    /// Ids of the route's secrets the signature was compared against, in order.
    pub secrets_tried: Vec<Arc<str>>,
    /// The secret that matched, when the signature was right and something else failed.
    pub secret_matched: Option<Arc<str>>,
    /// Our clock minus the signed time (negative: the sender is ahead), when known.
    pub skew_seconds: Option<f64>,
}

/// Trims a sender-supplied value to `max` bytes, on a character boundary.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A content type as received, clipped; `None` when absent or not text.
pub fn content_type(v: Option<&http::HeaderValue>) -> Option<String> {
    v.map(|v| match v.to_str() {
        Ok(s) => clip(s, MAX_SHORT_FIELD),
        Err(_) => "(not visible ASCII)".to_owned(),
    })
}

/// A method as received, clipped (extension methods can be long).
pub fn method(m: &http::Method) -> String {
    clip(m.as_str(), MAX_SHORT_FIELD)
}

/// A request path, clipped.
pub fn path(p: &str) -> String {
    clip(p, MAX_PATH)
}

impl Rejection {
    pub fn to_json(&self) -> serde_json::Value {
        let time = time::OffsetDateTime::from(self.time)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        serde_json::json!({
            "time": time,
            "route": &*self.route,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "outcome": self.outcome.code(),
            "observe": self.observe,
            "message": self.message,
            "body_len": self.body_len,
            "body_sha256": self.body_sha256,
            "content_type": self.content_type,
            "secrets_tried": self.secrets_tried.iter().map(|s| &**s).collect::<Vec<_>>(),
            "secret_matched": self.secret_matched.as_deref(),
            "skew_seconds": self.skew_seconds,
        })
    }
}

/// The last `capacity` rejections, oldest dropped first.
pub struct Rejections {
    ring: Mutex<Ring>,
}

struct Ring {
    capacity: usize,
    items: VecDeque<Arc<Rejection>>,
}

impl Rejections {
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: Mutex::new(Ring {
                capacity,
                items: VecDeque::with_capacity(capacity),
            }),
        }
    }

    // A panic while holding the lock cannot leave the ring inconsistent (each operation is a
    // push, a pop or a copy), so a poisoned lock is used as is: diagnostics must never take a
    // request down.
    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn push(&self, r: Rejection) {
        let mut ring = self.lock();
        if ring.capacity == 0 {
            return;
        }
        while ring.items.len() >= ring.capacity {
            ring.items.pop_front();
        }
        ring.items.push_back(Arc::new(r));
    }

    /// A reload may resize the buffer; the newest records are kept.
    pub fn set_capacity(&self, capacity: usize) {
        let mut ring = self.lock();
        ring.capacity = capacity;
        while ring.items.len() > capacity {
            ring.items.pop_front();
        }
    }

    /// The records, newest first.
    pub fn recent(&self) -> (usize, Vec<Arc<Rejection>>) {
        let ring = self.lock();
        (ring.capacity, ring.items.iter().rev().cloned().collect())
    }

    /// The body of `/debug/rejections`.
    pub fn to_json(&self) -> serde_json::Value {
        let (capacity, items) = self.recent();
        serde_json::json!({
            "capacity": capacity,
            "count": items.len(),
            "rejections": items.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection(n: u16) -> Rejection {
        Rejection {
            time: SystemTime::UNIX_EPOCH,
            route: "r".into(),
            method: "POST".into(),
            path: "/hook".into(),
            status: n,
            outcome: Outcome::InvalidSignature,
            observe: false,
            message: "m".into(),
            body_len: Some(2),
            body_sha256: None,
            content_type: None,
            secrets_tried: vec!["current".into(), "old".into()],
            secret_matched: None,
            skew_seconds: Some(-1.5),
        }
    }

    #[test]
    fn ring_keeps_the_newest_within_capacity() {
        let ring = Rejections::new(3);
        for n in 0..5 {
            ring.push(rejection(n));
        }
        let (cap, items) = ring.recent();
        assert_eq!(cap, 3);
        let statuses: Vec<u16> = items.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [4, 3, 2], "newest first, oldest dropped");
        ring.set_capacity(1);
        assert_eq!(ring.recent().1.len(), 1);
        assert_eq!(ring.recent().1[0].status, 4);
        ring.set_capacity(0);
        ring.push(rejection(9));
        assert!(ring.recent().1.is_empty(), "0 keeps nothing");
    }

    #[test]
    fn json_shape() {
        let v = rejection(401).to_json();
        assert_eq!(v["time"], "1970-01-01T00:00:00Z");
        assert_eq!(v["outcome"], "invalid_signature");
        assert_eq!(v["secrets_tried"], serde_json::json!(["current", "old"]));
        assert_eq!(v["secret_matched"], serde_json::Value::Null);
        assert_eq!(v["skew_seconds"], -1.5);
    }

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("ééé", 3), "é…");
        assert_eq!(path(&"x".repeat(1000)).len(), MAX_PATH + '…'.len_utf8());
    }
}
