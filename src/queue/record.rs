//! What is stored of a delivery: its metadata (small, JSON, read at start to rebuild the
//! schedule and listed by the admin API) and its request (the exact bytes and the headers that
//! would have been forwarded), kept apart so that a listing or a restart never reads bodies.

use std::net::IpAddr;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};
use serde::{Deserialize, Serialize};

/// A delivery's metadata. Never a secret; the body only through `Request`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Meta {
    pub route: String,
    /// The sender's delivery id hookgate deduplicated on, when the route reads one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// One of `upstreams:` by name, where a rule or the route sent it; absent: `upstream`.
    /// Kept by name so that a restart that keeps the name keeps the destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// When hookgate accepted it (Unix milliseconds).
    pub received_ms: u64,
    /// Attempts made so far.
    #[serde(default)]
    pub attempts: u32,
    /// When the next attempt is due (Unix milliseconds).
    pub due_ms: u64,
    /// Size of the stored request (head and body).
    pub bytes: u64,
    /// The last attempt's result: a status (`503`) or what went wrong (`timeout`,
    /// `unavailable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// A dead letter's: when it became one (Unix milliseconds) and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_reason: Option<String>,
}

/// The request as a sync forward would send it, before the forwarding headers are added.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    /// Path and query, as they go to the app.
    pub uri: Uri,
    pub headers: HeaderMap,
    pub client_ip: IpAddr,
    /// `Hookgate-Verified`: the route, when verified (observe mode may queue unverified
    /// deliveries, with their verdict).
    pub verified: Option<String>,
    /// `Hookgate-Verdict`, in observe mode.
    pub verdict: Option<String>,
    pub body: Bytes,
}

const MAGIC: &[u8] = b"hookgate-delivery 1\n";

impl Request {
    /// `MAGIC`, then one line each for the method, URI, client address, verified route and
    /// verdict (empty when none), the headers as `name:value` lines, an empty line, the body.
    /// Header values cannot hold a line break (`HeaderValue` refuses them), so lines delimit.
    pub fn encode(&self) -> Vec<u8> {
        let head: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 2)
            .sum();
        let mut out = Vec::with_capacity(MAGIC.len() + 128 + head + self.body.len());
        out.extend_from_slice(MAGIC);
        for line in [
            self.method.as_str(),
            self.uri.path_and_query().map_or("/", |pq| pq.as_str()),
            &self.client_ip.to_string(),
            self.verified.as_deref().unwrap_or(""),
            self.verdict.as_deref().unwrap_or(""),
        ] {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.push(b':');
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut rest = bytes
            .strip_prefix(MAGIC)
            .ok_or("not a stored delivery (unknown format)")?;
        let mut line = || -> Result<&[u8], String> {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or("truncated delivery")?;
            let l = &rest[..end];
            rest = &rest[end + 1..];
            Ok(l)
        };
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| "not UTF-8".to_owned());
        let method = Method::from_bytes(line()?).map_err(|e| e.to_string())?;
        let uri: Uri = text(line()?)?.parse().map_err(|e| format!("uri: {e}"))?;
        let client_ip: IpAddr = text(line()?)?
            .parse()
            .map_err(|e| format!("client address: {e}"))?;
        let optional = |s: String| (!s.is_empty()).then_some(s);
        let verified = optional(text(line()?)?);
        let verdict = optional(text(line()?)?);
        let mut headers = HeaderMap::new();
        loop {
            let l = line()?;
            if l.is_empty() {
                break;
            }
            let colon = l.iter().position(|&b| b == b':').ok_or("bad header line")?;
            let name = HeaderName::from_bytes(&l[..colon]).map_err(|e| e.to_string())?;
            let value = HeaderValue::from_bytes(&l[colon + 1..]).map_err(|e| e.to_string())?;
            headers.append(name, value);
        }
        let body = Bytes::copy_from_slice(rest);
        Ok(Self {
            method,
            uri,
            headers,
            client_ip,
            verified,
            verdict,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_comes_back_byte_for_byte() {
        let mut headers = HeaderMap::new();
        headers.append("x-hub-signature-256", HeaderValue::from_static("sha256=ab"));
        headers.append("x-two", HeaderValue::from_static("1"));
        headers.append("x-two", HeaderValue::from_static("2"));
        // obs-text survives: header values are bytes, not text.
        headers.append("x-odd", HeaderValue::from_bytes(b"caf\xe9: x").unwrap());
        let body = Bytes::from_static(b"{\"a\":1}\n\n\r\n\xff binary\n");
        let r = Request {
            method: Method::POST,
            uri: "/hooks/github?x=1&y=%20".parse().unwrap(),
            headers,
            client_ip: "2001:db8::1".parse().unwrap(),
            verified: Some("github".into()),
            verdict: None,
            body,
        };
        let back = Request::decode(&r.encode()).unwrap();
        assert_eq!(back, r);
        let x_two: Vec<_> = back.headers.get_all("x-two").iter().collect();
        assert_eq!(x_two, ["1", "2"]);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let r = Request {
            method: Method::POST,
            uri: "/h".parse().unwrap(),
            headers: HeaderMap::new(),
            client_ip: "127.0.0.1".parse().unwrap(),
            verified: None,
            verdict: Some("invalid_signature".into()),
            body: Bytes::from_static(b"x"),
        };
        let bytes = r.encode();
        for cut in 0..bytes.len() - 2 {
            let _ = Request::decode(&bytes[..cut]);
        }
        assert!(Request::decode(b"garbage").is_err());
        assert_eq!(Request::decode(&bytes).unwrap(), r);
    }
}
