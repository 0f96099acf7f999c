//! `hookgate send-test`: the "test delivery" button of sender dashboards, from a terminal. A
//! realistic sample event for the route's scheme is signed with one of the route's secrets,
//! sent through a running hookgate, and what happened is told in words: forwarded (and what
//! the app answered), a duplicate, or refused (the error code, the message and a hint).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use hookgate::config::{Config, Route};
use hookgate::outcome::{error_chain, Outcome, DUPLICATE_HEADER};
use hookgate::sender;

/// Beyond the route's upstream timeout, for hookgate itself and the network.
const TIMEOUT_MARGIN: Duration = Duration::from_secs(10);
/// The answer shown is cut here (characters): enough to recognise it, and a terminal is not
/// a log.
const MAX_SHOWN: usize = 300;
/// The most of an answer read.
const MAX_READ: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SendTestError {
    #[error("no route named {name:?}; routes: {known}")]
    NoRoute { name: String, known: String },
    #[error("route {route:?} has no secret with id {id:?}; its secrets: {known}")]
    NoSecret {
        route: String,
        id: String,
        known: String,
    },
    #[error("route {0:?} has no secret hookgate can sign with")]
    NoKey(String),
    #[error("--to {0:?}: {1}")]
    BadUrl(String, &'static str),
    #[error("cannot sign a sample for route {0:?}: {1}")]
    Sign(String, String),
    #[error("cannot reach hookgate at {url}: {cause}. Is it running and listening there? (--to URL to point elsewhere)")]
    Unreachable { url: String, cause: String },
    #[error("no answer from {0} within {1:?}")]
    Timeout(String, Duration),
}

impl SendTestError {
    /// Whether the arguments or the config are at fault (as opposed to the delivery).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::NoRoute { .. }
                | Self::NoSecret { .. }
                | Self::NoKey(_)
                | Self::BadUrl(..)
                | Self::Sign(..)
        )
    }
}

/// What was sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub url: String,
    pub route: String,
    pub scheme: String,
    pub secret: String,
    pub content_type: &'static str,
    pub body_len: usize,
}

/// Who answered, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Verified and forwarded; the app answered 2xx.
    Forwarded,
    /// hookgate had already delivered this event; it was not forwarded again.
    Duplicate,
    /// hookgate answered with one of its errors (`error`, `message`).
    Refused { code: String, message: String },
    /// The app behind hookgate answered with a non-2xx status.
    AppRefused,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub sent: Sent,
    pub status: StatusCode,
    pub verdict: Verdict,
    /// The start of the answer's body, as text.
    pub answer: String,
}

impl Report {
    /// Whether the delivery went through (exit status 0).
    pub fn success(&self) -> bool {
        self.status.is_success()
    }
}

/// Signs a sample event for `route` and posts it to hookgate. `to` is hookgate's base URL
/// (`http://host:port`; the route's path is appended) or a full URL; default: the config's
/// `listen` address, with a wildcard address replaced by loopback.
pub async fn send_test(
    config: &Config,
    route: &str,
    secret: Option<&str>,
    to: Option<&str>,
    body: Option<Vec<u8>>,
    now: SystemTime,
) -> Result<Report, SendTestError> {
    let r = config
        .live
        .routes
        .iter()
        .find(|r| &*r.name == route)
        .ok_or_else(|| SendTestError::NoRoute {
            name: route.to_owned(),
            known: config
                .live
                .routes
                .iter()
                .map(|r| &*r.name)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let key = match secret {
        // A secret that still verifies, else the first.
        None => r
            .keys
            .iter()
            .find(|k| k.usable_at(std::time::SystemTime::now()))
            .or_else(|| r.keys.first())
            .ok_or_else(|| SendTestError::NoKey(route.into()))?,
        Some(id) => {
            r.keys
                .iter()
                .find(|k| &*k.id == id)
                .ok_or_else(|| SendTestError::NoSecret {
                    route: route.to_owned(),
                    id: id.to_owned(),
                    known: r.keys.iter().map(|k| &*k.id).collect::<Vec<_>>().join(", "),
                })?
        }
    };
    let url = target(config, r, to)?;
    let (content_type, sample) = sender::sample(r, now);
    // A real event (`--body`) is sent with the sample's content type: what the route's sender
    // sends.
    let body = body.unwrap_or_else(|| sample.into_bytes());
    let headers = sender::sign_headers(r, key, &body, now)
        .map_err(|e| SendTestError::Sign(route.to_owned(), format!("{e:#}")))?;
    let sent = Sent {
        url: url.to_string(),
        route: route.to_owned(),
        scheme: r.provider.unwrap_or("custom").to_owned(),
        secret: key.id.to_string(),
        content_type,
        body_len: body.len(),
    };

    let mut req = Request::post(url.clone())
        .header(CONTENT_TYPE, content_type)
        .header(
            USER_AGENT,
            concat!("hookgate-send-test/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in &headers {
        req = req.header(name, value);
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|_| SendTestError::BadUrl(sent.url.clone(), "not a valid request URL"))?;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let wait = config.startup.longest_upstream_timeout() + TIMEOUT_MARGIN;
    let resp = tokio::time::timeout(wait, client.request(req))
        .await
        .map_err(|_| SendTestError::Timeout(sent.url.clone(), wait))?
        .map_err(|e| SendTestError::Unreachable {
            url: sent.url.clone(),
            cause: error_chain(&e),
        })?;
    let status = resp.status();
    let duplicate = resp.headers().contains_key(DUPLICATE_HEADER);
    let bytes = match tokio::time::timeout(wait, Limited::new(resp.into_body(), MAX_READ).collect())
        .await
    {
        Ok(Ok(c)) => c.to_bytes(),
        // A body too long or cut short still leaves the status to report.
        _ => Bytes::new(),
    };
    let verdict = if duplicate {
        Verdict::Duplicate
    } else if let Some((code, message)) = hookgate_error(&bytes) {
        Verdict::Refused { code, message }
    } else if status.is_success() {
        Verdict::Forwarded
    } else {
        Verdict::AppRefused
    };
    Ok(Report {
        sent,
        status,
        verdict,
        answer: shown(&bytes),
    })
}

fn target(config: &Config, route: &Route, to: Option<&str>) -> Result<Uri, SendTestError> {
    let Some(to) = to else {
        let mut addr = config.startup.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        return format!("http://{addr}{}", route.path)
            .parse()
            .map_err(|_| SendTestError::BadUrl(addr.to_string(), "not a valid address"));
    };
    let bad = |why| SendTestError::BadUrl(to.to_owned(), why);
    let uri: Uri = to
        .parse()
        .map_err(|_| bad("not a URL; write it like http://127.0.0.1:8080"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(bad("send-test speaks plain http; point it at hookgate's own port (kubectl port-forward, for one)")),
        _ => return Err(bad("write it like http://127.0.0.1:8080")),
    }
    let authority = uri.authority().ok_or_else(|| bad("no host"))?;
    match uri.path_and_query().map(http::uri::PathAndQuery::as_str) {
        None | Some("" | "/") => format!("http://{authority}{}", route.path)
            .parse()
            .map_err(|_| bad("not a valid URL with the route's path")),
        // A full URL: used as given (hookgate behind an ingress with a path prefix).
        Some(_) => Ok(uri),
    }
}

/// hookgate's own error answer `{"error": CODE, "message": ...}` with a code it uses, as
/// opposed to whatever the app behind it says.
fn hookgate_error(body: &[u8]) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = v.as_object()?;
    if obj.len() != 2 {
        return None;
    }
    let code = obj.get("error")?.as_str()?;
    let message = obj.get("message")?.as_str()?;
    Outcome::ALL
        .iter()
        .any(|o| o.code() == code)
        .then(|| (code.to_owned(), message.to_owned()))
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(MAX_SHOWN) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// What to look at for each of hookgate's refusals.
fn hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "no_route" => "the running hookgate has no route at this path: is it running this config (reload it with SIGHUP after adding a route), and does --to point at it?",
        "method_not_allowed" => "the route does not accept POST; see its `methods`",
        "body_too_large" => "the sample is larger than the running hookgate's limits.max_body",
        "missing_signature" | "invalid_signature" => "the running hookgate holds other secrets for this route than send-test read here (another environment or secret file, or a rotation it has not reloaded yet: SIGHUP). Its admin port lists what it compared at /debug/rejections",
        "invalid_timestamp" | "stale_timestamp" => "this machine's clock and hookgate's disagree by more than the route's max_age / max_future_skew",
        "ambiguous_header" => "the request reached hookgate with differing copies of a header its scheme reads: something between send-test and hookgate (a proxy?) added one",
        "duplicate_in_flight" => "the same event is being forwarded right now; retry in a moment",
        "overloaded" => "hookgate is at limits.max_concurrency; retry shortly",
        "source_busy" => "this address holds its share of hookgate's requests or body memory (limits.per_source); retry shortly",
        "dedup_unavailable" => "hookgate cannot reach its dedup store (Redis); see its /readyz",
        "upstream_unavailable" => "the signature was accepted, but the app behind hookgate (upstream.url) refused the connection: is it running?",
        "upstream_timeout" => "the signature was accepted, but the app behind hookgate did not answer within upstream.timeout",
        _ => return None,
    })
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.sent;
        writeln!(f, "POST {}", s.url)?;
        writeln!(
            f,
            "  route {} ({}), signed with secret {:?}, {} bytes of {}",
            s.route, s.scheme, s.secret, s.body_len, s.content_type
        )?;
        let status = self.status;
        match &self.verdict {
            Verdict::Forwarded => {
                writeln!(f, "{status}: forwarded; the app accepted it")?;
                if !self.answer.is_empty() {
                    writeln!(f, "  the app answered: {}", self.answer)?;
                }
            }
            Verdict::Duplicate => writeln!(
                f,
                "{status}: duplicate; hookgate already delivered this event, it was not forwarded again"
            )?,
            Verdict::Refused { code, message } => {
                let what = if code.starts_with("upstream_") {
                    "verified, but the forward failed"
                } else {
                    "refused by hookgate, not forwarded"
                };
                writeln!(f, "{status}: {what}")?;
                writeln!(f, "  error:   {code}")?;
                writeln!(f, "  message: {message}")?;
                if let Some(h) = hint(code) {
                    writeln!(f, "  hint:    {h}")?;
                }
            }
            Verdict::AppRefused => {
                writeln!(
                    f,
                    "{status}: verified and forwarded, but the app answered with an error"
                )?;
                if !self.answer.is_empty() {
                    writeln!(f, "  the app answered: {}", self.answer)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_hookgate_errors() {
        assert_eq!(
            hookgate_error(br#"{"error":"invalid_signature","message":"m"}"#),
            Some(("invalid_signature".into(), "m".into()))
        );
        // An app's own error shapes are the app's.
        assert_eq!(hookgate_error(br#"{"error":"invalid_signature"}"#), None);
        assert_eq!(hookgate_error(br#"{"error":"nope","message":"m"}"#), None);
        assert_eq!(
            hookgate_error(br#"{"error":"no_route","message":"m","extra":1}"#),
            None
        );
        assert_eq!(hookgate_error(b"<html>"), None);
    }
}
