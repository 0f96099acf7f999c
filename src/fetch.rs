//! Outbound HTTPS fetches of what senders publish: JWKS key sets (JWT verification), Amazon
//! SNS signing certificates, senders' published IP lists.
//!
//! Two layers, both cheap to clone and shared across workers:
//!
//! - [`Client`]: one bounded HTTPS GET. `https` only, to a host on its [`AllowList`] (exact
//!   names, `*`-per-label globs like `sns.*.amazonaws.com`, IP literals only when named), on
//!   port 443 unless a rule allows another, no userinfo, redirects not followed; a connect
//!   timeout and a timeout over the whole exchange, a response body limit, a cap on fetches in
//!   progress. Trust roots are the webpki roots, or a `ca_file` that replaces them.
//! - [`Cache`]: parsed documents by URL, kept for a TTL taken from `Cache-Control: max-age`
//!   within bounds; one fetch per URL however many callers ask at once; the last good copy
//!   served (with its age) while refetches fail; [`Cache::refresh`] for an unknown JWT `kid`,
//!   rate limited per URL; a bounded number of entries. Time comes from the injected
//!   [`Clock`](crate::clock::Clock).
//!
//! Every failure is a [`FetchError`]. None of them says the request was forged: the document
//! that would have told could not be had, so the caller answers **503 with
//! `Retry-After: retry_after()`**, never 401, and the sender retries.
//!
//! Nothing here logs a secret or a query string: URLs are logged as [`redact`] writes them.
//! A leaf of the crate apart from the clock (tests/it/layout.rs).

mod allow;
mod cache;
mod client;

use std::sync::Arc;
use std::time::Duration;

use http::Uri;

pub use allow::{AllowList, HostRule, Refusal};
pub use cache::{Cache, CachePolicy, Doc, EntryInfo, Parser};
pub(crate) use client::{classify, read_capped};
pub use client::{tls_config, Client, ClientSettings, Response, Roots, SetupError};

/// Why a document could not be had. Cheap to clone (waiters on one fetch all get it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL is not one the allow-list lets through; nothing was sent.
    #[error("URL refused: {}", .0.as_str())]
    NotAllowed(Refusal),
    /// DNS, TCP, or the connection broke before the body's end.
    #[error("connection failed: {0}")]
    Connect(Arc<str>),
    /// The TLS handshake failed: an untrusted certificate, a name mismatch.
    #[error("TLS failed: {0}")]
    Tls(Arc<str>),
    /// Connect, or the whole exchange, overran its timeout.
    #[error("timed out")]
    Timeout,
    /// An answer other than `200` (a redirect included: they are not followed).
    #[error("answered HTTP {0}")]
    Status(u16),
    /// The body is over the client's `max_body` bytes.
    #[error("response body over {0} bytes")]
    TooLarge(usize),
    /// The cache's parser refused the body.
    #[error("document unreadable: {0}")]
    Parse(Arc<str>),
    /// `max_in_flight` fetches are in progress (or every cache entry is being fetched).
    #[error("too many fetches in progress")]
    Busy,
    /// A forced refresh of this URL ran less than `refresh_interval` ago; the next one may
    /// run after this long.
    #[error("refreshed too recently; next refresh in {0:?}")]
    RefreshLimited(Duration),
}

impl FetchError {
    /// A short stable name: a metric label, a log field.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotAllowed(_) => "not_allowed",
            Self::Connect(_) => "connect",
            Self::Tls(_) => "tls",
            Self::Timeout => "timeout",
            Self::Status(_) => "status",
            Self::TooLarge(_) => "too_large",
            Self::Parse(_) => "parse",
            Self::Busy => "busy",
            Self::RefreshLimited(_) => "refresh_limited",
        }
    }

    /// The `Retry-After` for the 503 the caller answers: when a retry can get a different
    /// outcome. A refused URL or a broken document stays so until an operator or the sender
    /// fixes it, so those ask for a longer wait; the sender keeps retrying meanwhile, and no
    /// genuine delivery is refused for good over a fetch.
    pub fn retry_after(&self) -> Duration {
        match self {
            Self::RefreshLimited(next) => (*next).max(Duration::from_secs(1)),
            Self::Busy => Duration::from_secs(5),
            Self::Timeout | Self::Connect(_) => Duration::from_secs(30),
            Self::Tls(_) | Self::Status(_) | Self::TooLarge(_) | Self::Parse(_) => {
                Duration::from_secs(60)
            }
            Self::NotAllowed(_) => Duration::from_secs(300),
        }
    }
}

/// `url` as it may be logged: scheme, host, port and path; never userinfo, query or fragment.
pub fn redact(url: &str) -> String {
    match url.parse::<Uri>() {
        Ok(uri) => redact_uri(&uri),
        Err(_) => "[unparseable URL]".to_owned(),
    }
}

pub(crate) fn redact_uri(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("?");
    let Some(authority) = uri.authority() else {
        return format!("{scheme}://?{}", uri.path());
    };
    match authority.port_u16() {
        Some(port) => format!("{scheme}://{}:{port}{}", authority.host(), uri.path()),
        None => format!("{scheme}://{}{}", authority.host(), uri.path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_lose_userinfo_query_and_fragment() {
        assert_eq!(
            redact("https://u:secret@example.com:8443/keys?token=secret#frag"),
            "https://example.com:8443/keys"
        );
        assert_eq!(
            redact("https://example.com/.well-known/jwks.json?x=1"),
            "https://example.com/.well-known/jwks.json"
        );
        assert_eq!(redact("::"), "[unparseable URL]");
    }

    #[test]
    fn every_error_asks_for_a_retry_later() {
        for e in [
            FetchError::NotAllowed(Refusal::Host),
            FetchError::Connect("x".into()),
            FetchError::Tls("x".into()),
            FetchError::Timeout,
            FetchError::Status(500),
            FetchError::TooLarge(1),
            FetchError::Parse("x".into()),
            FetchError::Busy,
            FetchError::RefreshLimited(Duration::ZERO),
        ] {
            assert!(e.retry_after() >= Duration::from_secs(1), "{e}");
            assert!(!e.kind().is_empty());
        }
    }
}
