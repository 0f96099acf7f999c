//! Outcomes: the one path from an error to an answer.
//!
//! Every request ends in exactly one `Outcome`. Each domain error converts to one here (the
//! `From` impls below, and `Outcome::of_connection` for failures before a request is read),
//! and the outcome alone decides the status (plus a route's `reject_status` for failed
//! verification): the sender's fault is 4xx, the upstream's 502/504, overload or an
//! unreachable dependency 503. Its `code` is the `error` field of the JSON body, the `outcome`
//! metric label and the `outcome` log field, so the three always agree (`record.rs` writes
//! the metric and the log line together).

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::body::BodyError;
use crate::dedup::DedupError;
use crate::forward::ForwardError;
use crate::queue::QueueError;
use crate::verify::VerifyError;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Forwarded,
    Duplicate,
    /// A provider's setup request answered by hookgate (Zoom URL validation, challenges).
    Handshake,
    NoRoute,
    MethodNotAllowed,
    BodyTooLarge,
    RequestTimeout,
    BadRequest,
    MissingSignature,
    InvalidSignature,
    InvalidTimestamp,
    StaleTimestamp,
    /// Several differing copies of a header verification reads: which one the app would take
    /// is its own choice, so none is forwarded.
    AmbiguousHeader,
    DuplicateInFlight,
    DedupUnavailable,
    Overloaded,
    /// This sender's address holds its share of the requests or body bytes in progress.
    SourceBusy,
    UpstreamUnavailable,
    UpstreamTimeout,
    /// Stored durably for delivery (a queued route).
    Queued,
    /// The queue holds `queue.max_bytes`.
    QueueFull,
    /// The queue's store failed, or is not running (stopping, or not configured at start).
    QueueUnavailable,
    /// The sender's published keys (a JWK Set, an SNS certificate) could not be fetched: the
    /// request is neither accepted nor called forged; the sender retries.
    KeyUnavailable,
    /// Verified, but the route's `filter` does not want it: answered (the route's
    /// `filter_status`, 200 by default) with `Hookgate-Filtered: true`, not forwarded.
    Filtered,
    /// This sender's address is over its route's `rate_limit`: 429 + `Retry-After` (when its
    /// next token comes), before anything else about the request is looked at.
    RateLimited,
    /// The client address is not in the route's `allow_ips`: 403, before the body is read.
    IpNotAllowed,
    /// The route's `allow_ips` names a published list not yet fetched, and the address is in
    /// none of what is known: 503, the sender retries (fail closed).
    AllowlistUnavailable,
}

impl Outcome {
    pub const ALL: [Outcome; 27] = [
        Self::Forwarded,
        Self::Duplicate,
        Self::Handshake,
        Self::NoRoute,
        Self::MethodNotAllowed,
        Self::BodyTooLarge,
        Self::RequestTimeout,
        Self::BadRequest,
        Self::MissingSignature,
        Self::InvalidSignature,
        Self::InvalidTimestamp,
        Self::StaleTimestamp,
        Self::AmbiguousHeader,
        Self::DuplicateInFlight,
        Self::DedupUnavailable,
        Self::Overloaded,
        Self::SourceBusy,
        Self::UpstreamUnavailable,
        Self::UpstreamTimeout,
        Self::Queued,
        Self::QueueFull,
        Self::QueueUnavailable,
        Self::KeyUnavailable,
        Self::Filtered,
        Self::RateLimited,
        Self::IpNotAllowed,
        Self::AllowlistUnavailable,
    ];

    /// Position in `ALL`, for per-outcome tables.
    pub fn index(self) -> usize {
        // Fieldless enum declared in the same order as ALL (a test checks it).
        self as usize
    }

    /// The stable name used in JSON bodies, metrics and logs.
    pub fn code(self) -> &'static str {
        match self {
            Self::Forwarded => "forwarded",
            Self::Duplicate => "duplicate",
            Self::Handshake => "handshake",
            Self::NoRoute => "no_route",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::BodyTooLarge => "body_too_large",
            Self::RequestTimeout => "request_timeout",
            Self::BadRequest => "bad_request",
            Self::MissingSignature => "missing_signature",
            Self::InvalidSignature => "invalid_signature",
            Self::InvalidTimestamp => "invalid_timestamp",
            Self::StaleTimestamp => "stale_timestamp",
            Self::AmbiguousHeader => "ambiguous_header",
            Self::DuplicateInFlight => "duplicate_in_flight",
            Self::DedupUnavailable => "dedup_unavailable",
            Self::Overloaded => "overloaded",
            Self::SourceBusy => "source_busy",
            Self::UpstreamUnavailable => "upstream_unavailable",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::Queued => "queued",
            Self::QueueFull => "queue_full",
            Self::QueueUnavailable => "queue_unavailable",
            Self::KeyUnavailable => "key_unavailable",
            Self::Filtered => "filtered",
            Self::RateLimited => "rate_limited",
            Self::IpNotAllowed => "ip_not_allowed",
            Self::AllowlistUnavailable => "allowlist_unavailable",
        }
    }

    /// The status hookgate answers with; `reject` is the route's status for failed verification.
    pub fn status(self, reject: StatusCode) -> StatusCode {
        match self {
            Self::Forwarded | Self::Duplicate | Self::Handshake | Self::Filtered => StatusCode::OK,
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::BadRequest | Self::AmbiguousHeader => StatusCode::BAD_REQUEST,
            Self::MissingSignature
            | Self::InvalidSignature
            | Self::InvalidTimestamp
            | Self::StaleTimestamp => reject,
            Self::DuplicateInFlight => StatusCode::CONFLICT,
            Self::DedupUnavailable | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::SourceBusy | Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::UpstreamUnavailable => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            // The route's `delivery.status` when answered; this is the default.
            Self::Queued => StatusCode::ACCEPTED,
            Self::IpNotAllowed => StatusCode::FORBIDDEN,
            Self::QueueFull
            | Self::QueueUnavailable
            | Self::KeyUnavailable
            | Self::AllowlistUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// When a sender should come back, for answers that mean "not now".
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            Self::DuplicateInFlight
            | Self::Overloaded
            | Self::SourceBusy
            | Self::DedupUnavailable
            | Self::QueueUnavailable
            | Self::KeyUnavailable
            | Self::AllowlistUnavailable => Some(Duration::from_secs(RETRY_AFTER_SECS)),
            // A full queue drains at the app's pace: come back later than for a busy moment.
            Self::QueueFull => Some(Duration::from_secs(QUEUE_FULL_RETRY_AFTER_SECS)),
            _ => None,
        }
    }
}

impl From<&VerifyError> for Outcome {
    fn from(e: &VerifyError) -> Self {
        match e {
            VerifyError::MissingSignature(_) | VerifyError::MissingSignatureField(_) => {
                Self::MissingSignature
            }
            VerifyError::MalformedSignature(_)
            | VerifyError::MissingId(_)
            | VerifyError::Mismatch
            | VerifyError::BodyHashMismatch(_)
            | VerifyError::ClaimMismatch(_)
            | VerifyError::Uncovered(_)
            | VerifyError::NotAccepted(_) => Self::InvalidSignature,
            VerifyError::InvalidTimestamp(_) => Self::InvalidTimestamp,
            // A body that does not decode (corrupt gzip, a gzip bomb, an unknown encoding) is
            // a bad request, not a forgery and not hookgate's fault.
            VerifyError::BodyEncoding(_) => Self::BadRequest,
            VerifyError::TooOld { .. } | VerifyError::TooNew { .. } => Self::StaleTimestamp,
        }
    }
}

impl From<&BodyError> for Outcome {
    fn from(e: &BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => Self::BodyTooLarge,
            BodyError::Timeout(_) | BodyError::TooSlow { .. } => Self::RequestTimeout,
            BodyError::SourceBusy { .. } => Self::SourceBusy,
            BodyError::Read(_) => Self::BadRequest,
            // The sender did nothing wrong: other bodies fill the memory set aside.
            BodyError::Busy { .. } => Self::Overloaded,
        }
    }
}

impl From<&ForwardError> for Outcome {
    fn from(e: &ForwardError) -> Self {
        match e {
            ForwardError::Timeout(_) => Self::UpstreamTimeout,
            ForwardError::Unavailable(_) | ForwardError::TooLarge(_) => Self::UpstreamUnavailable,
        }
    }
}

impl From<&QueueError> for Outcome {
    fn from(e: &QueueError) -> Self {
        match e {
            QueueError::Full { .. } => Self::QueueFull,
            _ => Self::QueueUnavailable,
        }
    }
}

impl From<&DedupError> for Outcome {
    fn from(_: &DedupError) -> Self {
        Self::DedupUnavailable
    }
}

impl Outcome {
    /// A connection that failed before a request reached the gate: a malformed request or
    /// headers too slow are outcomes like any other; a reset or hang-up between requests is
    /// not a request (`None`).
    pub fn of_connection(e: &hyper::Error) -> Option<Self> {
        if e.is_timeout() {
            Some(Self::RequestTimeout)
        } else if e.is_parse() || e.is_parse_too_large() {
            Some(Self::BadRequest)
        } else {
            None
        }
    }
}

/// Seconds a sender is asked to wait before retrying a 409 or 503.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Seconds a sender is asked to wait when the queue is full.
pub const QUEUE_FULL_RETRY_AFTER_SECS: u64 = 30;

pub type HttpResponse = Response<Full<Bytes>>;

/// An error and its causes on one line ("a: b: c"), for logs and reports.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A refusal: `{"error": code, "message": ...}` with the outcome's status (`reject`: the
/// route's status for failed verification). `message` tells the sender what class of problem
/// it is and how to fix a setup; callers never put a secret or an expected signature in it.
pub fn error_response(outcome: Outcome, reject: StatusCode, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "error": outcome.code(), "message": message });
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = outcome.status(reject);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(after) = outcome.retry_after() {
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(after.as_secs()));
    }
    resp
}

/// Header on answers to duplicates, so a person reading a sender's delivery log sees why
/// the app never got it.
pub const DUPLICATE_HEADER: &str = "hookgate-duplicate";

/// The answer to a duplicate of a delivery the app accepted: `status` (a 2xx, so the sender
/// stops retrying) and `Hookgate-Duplicate: true`.
pub fn duplicate_response(status: StatusCode) -> HttpResponse {
    let body = serde_json::json!({
        "duplicate": true,
        "message": "this delivery was already accepted by the app; it was not forwarded again"
    });
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut()
        .insert(DUPLICATE_HEADER, HeaderValue::from_static("true"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_statuses_sane() {
        let mut seen = std::collections::HashSet::new();
        for o in Outcome::ALL {
            assert!(seen.insert(o.code()), "duplicate code {}", o.code());
            let s = o.status(StatusCode::FORBIDDEN);
            assert!(s.is_success() || s.is_client_error() || s.is_server_error());
        }
        assert_eq!(
            Outcome::InvalidSignature.status(StatusCode::FORBIDDEN),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            Outcome::UpstreamTimeout.status(StatusCode::FORBIDDEN),
            StatusCode::GATEWAY_TIMEOUT
        );
    }

    #[test]
    fn index_matches_all() {
        for (i, o) in Outcome::ALL.iter().enumerate() {
            assert_eq!(o.index(), i, "{o:?}");
        }
    }

    #[test]
    fn retry_after_on_409_and_503() {
        let r = error_response(Outcome::Overloaded, StatusCode::UNAUTHORIZED, "busy");
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[RETRY_AFTER], "1");
        let r = error_response(Outcome::InvalidSignature, StatusCode::FORBIDDEN, "x");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers().get(RETRY_AFTER).is_none());
    }
}
