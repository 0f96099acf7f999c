//! Signature verification: pure functions over a request's parts, its raw body and a clock.
//!
//! `verify` answers one question — did a holder of one of these secrets sign exactly these
//! bytes, recently enough? — without I/O, so every scheme is tested with known-answer vectors
//! and a fixed clock. `sign` is its mirror, used by `hookgate sign`, the demo and tests.

pub mod presets;
pub mod scheme;

use std::cell::OnceCell;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use subtle::ConstantTimeEq;

use crate::config::secret::Secret;
pub use scheme::{
    Algorithm, Encoding, HeaderSet, IdSource, Piece, Scheme, SecretEncoding, SignatureFormat,
    TimestampFormat, TimestampRule, TimestampSource,
};

/// Signature entries looked at per request: a header with thousands of entries must not turn
/// one request into thousands of comparisons.
const MAX_CANDIDATES: usize = 16;

/// An id or timestamp longer than this is not a real sender's.
const MAX_FIELD_LEN: usize = 256;

const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A MAC key prepared for one scheme: the secret already decoded and absorbed into the HMAC
/// state, so a request clones a keyed state instead of re-deriving the key.
#[derive(Clone)]
enum MacKey {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

/// One of a route's secrets, ready to verify. `id` is the operator-chosen name reported in
/// metrics and logs (which secret matched tells when an old one can be retired).
#[derive(Clone)]
pub struct Key {
    pub id: Arc<str>,
    mac: MacKey,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("mac", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the secret is empty")]
    Empty,
    #[error("the secret is not valid base64 (this scheme's secrets are base64{0})")]
    NotBase64(&'static str),
}

impl Key {
    /// Derives the MAC key from a secret as the scheme says (raw bytes, base64, `whsec_`).
    pub fn new(id: Arc<str>, secret: &Secret, scheme: &Scheme) -> Result<Self, KeyError> {
        let raw = secret.expose();
        if raw.is_empty() {
            return Err(KeyError::Empty);
        }
        let decoded;
        let bytes: &[u8] = match scheme.secret_encoding {
            SecretEncoding::Raw => raw,
            SecretEncoding::Base64 => {
                decoded = B64.decode(raw).map_err(|_| KeyError::NotBase64(""))?;
                &decoded
            }
            SecretEncoding::Whsec => {
                let body = raw.strip_prefix(b"whsec_").unwrap_or(raw);
                decoded = B64
                    .decode(body)
                    .map_err(|_| KeyError::NotBase64(" after the whsec_ prefix"))?;
                &decoded
            }
        };
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        // HMAC accepts keys of any length, so these constructors cannot fail; map anyway
        // rather than unwrap.
        let mac = match scheme.algorithm {
            Algorithm::HmacSha1 => {
                MacKey::Sha1(Hmac::new_from_slice(bytes).map_err(|_| KeyError::Empty)?)
            }
            Algorithm::HmacSha256 => {
                MacKey::Sha256(Hmac::new_from_slice(bytes).map_err(|_| KeyError::Empty)?)
            }
            Algorithm::HmacSha512 => {
                MacKey::Sha512(Hmac::new_from_slice(bytes).map_err(|_| KeyError::Empty)?)
            }
        };
        Ok(Self { id, mac })
    }

    fn compute(&self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + Clone>(m: &M, parts: &[&[u8]]) -> Vec<u8> {
            let mut m = m.clone();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match &self.mac {
            MacKey::Sha1(m) => run(m, parts),
            MacKey::Sha256(m) => run(m, parts),
            MacKey::Sha512(m) => run(m, parts),
        }
    }
}

/// Freshness window for signed timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub max_age: Duration,
    pub max_future_skew: Duration,
}

/// What verification looks at: the request as received and the route's public URL.
pub struct Message<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub public_url: Option<&'a str>,
    json: OnceCell<Option<serde_json::Value>>,
}

impl<'a> Message<'a> {
    pub fn new(
        method: &'a Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        body: &'a [u8],
        public_url: Option<&'a str>,
    ) -> Self {
        Self {
            method,
            uri,
            headers,
            body,
            public_url,
            json: OnceCell::new(),
        }
    }

    /// The body parsed as JSON, once, only if something asks for a field.
    pub fn json_pointer(&self, pointer: &str) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(self.body).ok())
            .as_ref()?
            .pointer(pointer)
    }

    fn header(&self, name: &HeaderName) -> Option<&'a HeaderValue> {
        self.headers.get(name)
    }

    /// The URL a sender signs: the configured public origin plus the request's path and query.
    fn url(&self) -> Option<String> {
        let base = self.public_url?.trim_end_matches('/');
        let pq = self.uri.path_and_query().map_or("/", |pq| pq.as_str());
        Some(format!("{base}{pq}"))
    }
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Index into the route's keys of the secret that matched.
    pub key_index: usize,
    /// The signed time, when the scheme signs one (unix milliseconds).
    pub signed_at_ms: Option<i64>,
    /// Our clock minus the signed time, in seconds (negative: the sender is ahead).
    pub skew_seconds: Option<f64>,
    /// The delivery id the scheme carries (signed when the payload includes `{id}`).
    pub id: Option<String>,
}

/// Why a request is not authentic. Messages name the problem class and the header involved,
/// never a secret or an expected signature.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the {0} header is missing")]
    MissingSignature(HeaderName),
    #[error("the signature header is malformed: {0}")]
    MalformedSignature(&'static str),
    #[error("the {0} header is missing or empty; the signature covers it")]
    MissingId(String),
    #[error("no configured secret produces this signature (wrong secret, or the body was changed on the way)")]
    Mismatch,
    #[error("the signed timestamp is missing or unparseable: {0}")]
    InvalidTimestamp(String),
    #[error("the signed timestamp is {age_s}s old; this route accepts at most {max_s}s")]
    TooOld { age_s: i64, max_s: u64 },
    #[error("the signed timestamp is {ahead_s}s ahead of our clock; this route accepts at most {max_s}s (check the clocks)")]
    TooNew { ahead_s: i64, max_s: u64 },
}

/// Checks `msg` against `scheme` with any of `keys`, at time `now`.
///
/// Order: signature header present and well-formed, signature matches (over the exact raw
/// body), then timestamp freshness. A stale timestamp is reported only for authentic requests.
pub fn verify(
    scheme: &Scheme,
    keys: &[Key],
    msg: &Message<'_>,
    freshness: Freshness,
    now: SystemTime,
) -> Result<Verified, VerifyError> {
    let set = scheme
        .headers
        .iter()
        .find(|set| msg.header(&set.signature).is_some())
        .ok_or_else(|| {
            VerifyError::MissingSignature(
                scheme
                    .headers
                    .first()
                    .map(|s| s.signature.clone())
                    .unwrap_or(HeaderName::from_static("signature")),
            )
        })?;
    let sig_value = msg
        .header(&set.signature)
        .and_then(|v| v.to_str().ok())
        .ok_or(VerifyError::MalformedSignature("not visible ASCII"))?;

    let candidates = candidates(scheme, sig_value)?;

    // A timestamp inside the signed bytes is needed now; one outside them (Tolinku's body
    // field) is read only after the MAC matched, so a forgery is reported as one.
    let signed_ts = scheme.needs(&Piece::Timestamp);
    let mut raw_ts = if signed_ts {
        raw_timestamp(scheme, set, sig_value, msg)?
    } else {
        None
    };
    let id = raw_id(scheme, set, msg)?;

    let url = if scheme.needs(&Piece::Url) {
        Some(
            msg.url()
                .ok_or(VerifyError::MalformedSignature("route has no public_url"))?,
        )
    } else {
        None
    };
    let mut parts: Vec<&[u8]> = Vec::with_capacity(scheme.payload.len());
    for piece in &scheme.payload {
        match piece {
            Piece::Literal(b) => parts.push(b),
            Piece::Body => parts.push(msg.body),
            Piece::Timestamp => {
                let ts = raw_ts
                    .as_deref()
                    .ok_or_else(|| VerifyError::InvalidTimestamp("no timestamp".into()))?;
                parts.push(ts.as_bytes());
            }
            Piece::Id => {
                let id = id
                    .as_deref()
                    .ok_or_else(|| VerifyError::MissingId("id".into()))?;
                parts.push(id.as_bytes());
            }
            Piece::Method => parts.push(msg.method.as_str().as_bytes()),
            Piece::Url => parts.push(url.as_deref().unwrap_or_default().as_bytes()),
        }
    }

    let key_index = keys
        .iter()
        .position(|key| {
            let expected = key.compute(&parts);
            candidates
                .iter()
                .any(|c| bool::from(c.as_slice().ct_eq(expected.as_slice())))
        })
        .ok_or(VerifyError::Mismatch)?;

    let mut verified = Verified {
        key_index,
        signed_at_ms: None,
        skew_seconds: None,
        id,
    };
    if let Some(rule) = &scheme.timestamp {
        if !signed_ts {
            raw_ts = raw_timestamp(scheme, set, sig_value, msg)?;
        }
        let raw = raw_ts.ok_or_else(|| VerifyError::InvalidTimestamp("no timestamp".into()))?;
        let ts_ms = parse_timestamp(&raw, rule.format)?;
        let now_ms = unix_ms(now);
        check_fresh(ts_ms, now_ms, freshness)?;
        verified.signed_at_ms = Some(ts_ms);
        // Lossy only beyond 2^53 ms (285k years), which check_fresh already rejected.
        #[allow(clippy::cast_precision_loss)]
        let skew = (now_ms - ts_ms) as f64 / 1000.0;
        verified.skew_seconds = Some(skew);
    }
    Ok(verified)
}

/// Decoded signature candidates from the header value, in header order.
fn candidates(scheme: &Scheme, value: &str) -> Result<Vec<Vec<u8>>, VerifyError> {
    let entries: Vec<&str> = match &scheme.format {
        SignatureFormat::List {
            prefix,
            prefix_required,
            separator,
        } => {
            let split: Box<dyn Iterator<Item = &str>> = match separator.as_deref() {
                Some(sep) => Box::new(value.split(sep)),
                None => Box::new(std::iter::once(value)),
            };
            split
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .filter_map(|e| match prefix.as_deref() {
                    Some(p) => match strip_prefix_ignore_case(e, p) {
                        Some(rest) => Some(rest),
                        None if *prefix_required => None,
                        None => Some(e),
                    },
                    None => Some(e),
                })
                .take(MAX_CANDIDATES)
                .collect()
        }
        SignatureFormat::Params {
            pair_separator,
            signature_key,
        } => value
            .split(*pair_separator)
            .filter_map(|pair| pair.split_once('='))
            .filter(|(k, _)| k.trim() == signature_key)
            .map(|(_, v)| v.trim())
            .take(MAX_CANDIDATES)
            .collect(),
    };
    if entries.is_empty() {
        return Err(VerifyError::MalformedSignature(
            "no signature entry in the expected format",
        ));
    }
    let decoded: Vec<Vec<u8>> = entries
        .iter()
        .filter_map(|e| decode(scheme.encoding, e))
        .collect();
    if decoded.is_empty() {
        return Err(VerifyError::MalformedSignature(match scheme.encoding {
            Encoding::Hex => "signature is not hex",
            Encoding::Base64 => "signature is not base64",
            Encoding::Base64Url => "signature is not base64url",
        }));
    }
    Ok(decoded)
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn decode(encoding: Encoding, s: &str) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Hex => hex::decode(s).ok(),
        Encoding::Base64 => B64.decode(s).ok(),
        Encoding::Base64Url => B64URL.decode(s).ok(),
    }
}

fn encode(encoding: Encoding, bytes: &[u8]) -> String {
    match encoding {
        Encoding::Hex => hex::encode(bytes),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
        Encoding::Base64Url => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// The timestamp exactly as the sender wrote it (it is signed as text).
fn raw_timestamp(
    scheme: &Scheme,
    set: &HeaderSet,
    sig_value: &str,
    msg: &Message<'_>,
) -> Result<Option<String>, VerifyError> {
    let Some(rule) = &scheme.timestamp else {
        return Ok(None);
    };
    let raw = match &rule.source {
        TimestampSource::Header => {
            let name = set
                .timestamp
                .as_ref()
                .ok_or_else(|| VerifyError::InvalidTimestamp("no timestamp header".into()))?;
            let v = msg.header(name).ok_or_else(|| {
                VerifyError::InvalidTimestamp(format!("the {name} header is missing"))
            })?;
            v.to_str()
                .map_err(|_| {
                    VerifyError::InvalidTimestamp(format!("the {name} header is not ASCII"))
                })?
                .trim()
                .to_owned()
        }
        TimestampSource::SignatureParam(key) => {
            let SignatureFormat::Params { pair_separator, .. } = &scheme.format else {
                return Err(VerifyError::InvalidTimestamp(
                    "scheme has no parameters".into(),
                ));
            };
            sig_value
                .split(*pair_separator)
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
                .ok_or_else(|| {
                    VerifyError::InvalidTimestamp(format!(
                        "the signature header has no `{key}=` parameter"
                    ))
                })?
        }
        TimestampSource::Json(pointer) => match msg.json_pointer(pointer) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => {
                return Err(VerifyError::InvalidTimestamp(format!(
                    "the JSON body has no string or number at {pointer}"
                )))
            }
        },
    };
    if raw.is_empty() || raw.len() > MAX_FIELD_LEN {
        return Err(VerifyError::InvalidTimestamp("empty or too long".into()));
    }
    Ok(Some(raw))
}

fn raw_id(
    scheme: &Scheme,
    set: &HeaderSet,
    msg: &Message<'_>,
) -> Result<Option<String>, VerifyError> {
    let Some(source) = &scheme.id else {
        return Ok(None);
    };
    let required = scheme.needs(&Piece::Id);
    let (found, what) = match source {
        IdSource::Header => match &set.id {
            Some(name) => (
                msg.header(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.trim().to_owned()),
                name.to_string(),
            ),
            None => (None, "id".to_owned()),
        },
        IdSource::Json(pointer) => (
            match msg.json_pointer(pointer) {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            },
            format!("JSON field {pointer}"),
        ),
    };
    match found {
        Some(id) if !id.is_empty() && id.len() <= MAX_FIELD_LEN => Ok(Some(id)),
        _ if required => Err(VerifyError::MissingId(what)),
        _ => Ok(None),
    }
}

/// Parses a timestamp as unix milliseconds. Integers only, checked arithmetic: the value is
/// attacker-controlled until the MAC check, and still arbitrary after it.
pub fn parse_timestamp(raw: &str, format: TimestampFormat) -> Result<i64, VerifyError> {
    let bad = |why: &str| VerifyError::InvalidTimestamp(format!("{raw:?} is not {why}"));
    match format {
        TimestampFormat::Unix | TimestampFormat::UnixMs => {
            if raw.is_empty() || raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(if format == TimestampFormat::Unix {
                    "unix seconds"
                } else {
                    "unix milliseconds"
                }));
            }
            let n: i64 = raw.parse().map_err(|_| bad("a number"))?;
            if format == TimestampFormat::Unix {
                n.checked_mul(1000).ok_or_else(|| bad("in range"))
            } else {
                Ok(n)
            }
        }
        TimestampFormat::Rfc3339 => {
            let t =
                time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| bad("an RFC 3339 / ISO 8601 date-time with a zone"))?;
            i64::try_from(t.unix_timestamp_nanos() / 1_000_000).map_err(|_| bad("in range"))
        }
    }
}

fn check_fresh(ts_ms: i64, now_ms: i64, f: Freshness) -> Result<(), VerifyError> {
    let max_age_ms = i64::try_from(f.max_age.as_millis()).unwrap_or(i64::MAX);
    let max_future_ms = i64::try_from(f.max_future_skew.as_millis()).unwrap_or(i64::MAX);
    match now_ms.checked_sub(ts_ms) {
        Some(age) if age > max_age_ms => Err(VerifyError::TooOld {
            age_s: age / 1000,
            max_s: f.max_age.as_secs(),
        }),
        Some(age) if age < 0 && age.checked_neg().is_none_or(|ahead| ahead > max_future_ms) => {
            Err(VerifyError::TooNew {
                ahead_s: age.checked_neg().map_or(i64::MAX, |a| a / 1000),
                max_s: f.max_future_skew.as_secs(),
            })
        }
        Some(_) => Ok(()),
        // Only reachable with a timestamp near i64::MIN/MAX ms: absurd either way.
        None if ts_ms > now_ms => Err(VerifyError::TooNew {
            ahead_s: i64::MAX,
            max_s: f.max_future_skew.as_secs(),
        }),
        None => Err(VerifyError::TooOld {
            age_s: i64::MAX,
            max_s: f.max_age.as_secs(),
        }),
    }
}

fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// Inputs to `sign` that a sender chooses.
pub struct SignInput<'a> {
    pub body: &'a [u8],
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub public_url: Option<&'a str>,
    pub now: SystemTime,
    /// The delivery id to send, for schemes that sign one; generated when `None`.
    pub id: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    #[error("the body must be JSON with a timestamp at {0} for this scheme")]
    NeedsBodyTimestamp(String),
    #[error("the body must be JSON with an id at {0} for this scheme")]
    NeedsBodyId(String),
    #[error("the route needs a public_url to sign {{url}}")]
    NeedsPublicUrl,
}

/// The headers a sender using `scheme` would attach to `input.body`, signed with `key`.
pub fn sign(
    scheme: &Scheme,
    key: &Key,
    input: &SignInput<'_>,
) -> Result<Vec<(HeaderName, String)>, SignError> {
    let empty = HeaderMap::new();
    let msg = Message::new(
        input.method,
        input.uri,
        &empty,
        input.body,
        input.public_url,
    );
    let set = scheme.headers.first();
    let mut out = Vec::new();
    let now_ms = unix_ms(input.now);

    let ts = match &scheme.timestamp {
        None => None,
        Some(rule) => Some(match &rule.source {
            TimestampSource::Json(ptr) => match msg.json_pointer(ptr) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => return Err(SignError::NeedsBodyTimestamp(ptr.clone())),
            },
            _ => format_timestamp(now_ms, rule.format),
        }),
    };
    let id = match &scheme.id {
        None => None,
        Some(IdSource::Json(ptr)) => match msg.json_pointer(ptr) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ if scheme.needs(&Piece::Id) => return Err(SignError::NeedsBodyId(ptr.clone())),
            _ => None,
        },
        Some(IdSource::Header) => Some(input.id.clone().unwrap_or_else(|| {
            let digest = <sha2::Sha256 as sha2::Digest>::digest(
                [input.body, &now_ms.to_be_bytes()].concat(),
            );
            format!("msg_{}", &hex::encode(digest)[..24])
        })),
    };
    let url = msg.url();
    let mut parts: Vec<&[u8]> = Vec::new();
    for piece in &scheme.payload {
        match piece {
            Piece::Literal(b) => parts.push(b),
            Piece::Body => parts.push(input.body),
            Piece::Timestamp => parts.push(ts.as_deref().unwrap_or_default().as_bytes()),
            Piece::Id => parts.push(id.as_deref().unwrap_or_default().as_bytes()),
            Piece::Method => parts.push(input.method.as_str().as_bytes()),
            Piece::Url => parts.push(url.as_deref().ok_or(SignError::NeedsPublicUrl)?.as_bytes()),
        }
    }
    let sig = encode(scheme.encoding, &key.compute(&parts));

    let sig_value = match &scheme.format {
        SignatureFormat::List { prefix, .. } => format!("{}{sig}", prefix.as_deref().unwrap_or("")),
        SignatureFormat::Params {
            pair_separator,
            signature_key,
        } => match &scheme.timestamp {
            Some(TimestampRule {
                source: TimestampSource::SignatureParam(tkey),
                ..
            }) => format!(
                "{tkey}={}{pair_separator}{signature_key}={sig}",
                ts.as_deref().unwrap_or_default()
            ),
            _ => format!("{signature_key}={sig}"),
        },
    };
    if let Some(set) = set {
        out.push((set.signature.clone(), sig_value));
        if let (
            Some(name),
            Some(TimestampRule {
                source: TimestampSource::Header,
                ..
            }),
        ) = (&set.timestamp, &scheme.timestamp)
        {
            out.push((name.clone(), ts.clone().unwrap_or_default()));
        }
        if let (Some(name), Some(IdSource::Header), Some(id)) = (&set.id, &scheme.id, &id) {
            out.push((name.clone(), id.clone()));
        }
    }
    Ok(out)
}

fn format_timestamp(ms: i64, format: TimestampFormat) -> String {
    match format {
        TimestampFormat::Unix => (ms.div_euclid(1000)).to_string(),
        TimestampFormat::UnixMs => ms.to_string(),
        TimestampFormat::Rfc3339 => {
            let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests;
