//! Signature verification: pure functions over a request's parts, its raw body and a clock.
//!
//! `verify` answers one question — did a holder of one of these secrets sign exactly these
//! bytes, recently enough? — without I/O, so every scheme is tested with known-answer vectors
//! and a fixed clock. `sign` is its mirror, used by `hookgate sign`, the demo and tests.

mod dedup_key;
mod json;
mod jwks;
pub(crate) mod jwt;
mod key;
mod payload;
pub mod presets;
mod rsa_key;
pub mod scheme;
pub mod sns;

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use sha2::Digest;
use subtle::ConstantTimeEq;

pub use dedup_key::{DedupKeySpec, EventKey, KeySource};
pub use json::Scalar;
pub use jwks::parse_jwks;
use key::{Candidate, B64, B64URL};
pub use key::{Key, KeyError};
pub use payload::canonical_form;
pub(crate) use payload::form_decode;
pub use scheme::{
    Algorithm, ClaimValue, Encoding, HeaderSet, IdSource, Issuers, JwtRule, Piece, Scheme,
    SecretEncoding, SignatureFormat, TimestampFormat, TimestampRule, TimestampSource,
};

/// Signature entries looked at per request: a header with thousands of entries must not turn
/// one request into thousands of comparisons.
const MAX_CANDIDATES: usize = 16;

/// An id or timestamp longer than this is not a real sender's.
const MAX_FIELD_LEN: usize = 256;

/// Signature parameter groups looked at per request (`Scheme::param_groups`): a sender rotating
/// a secret sends two.
const MAX_GROUPS: usize = 4;

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
    /// Body fields already looked up, by pointer (a route reads one to three).
    json: RefCell<Vec<(Box<str>, Option<Scalar>)>>,
    /// Every header name read (see `headers_read`).
    read: RefCell<Vec<HeaderName>>,
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
            json: RefCell::new(Vec::new()),
            read: RefCell::new(Vec::new()),
        }
    }

    /// The string or number at a JSON pointer in the body, read once per pointer and only if
    /// something asks for it.
    pub fn json_scalar(&self, pointer: &str) -> Option<Scalar> {
        if let Some((_, found)) = self.json.borrow().iter().find(|(p, _)| &**p == pointer) {
            return found.clone();
        }
        let found = json::scalar_at(self.body, pointer);
        self.json.borrow_mut().push((pointer.into(), found.clone()));
        found
    }

    /// The headers verification (and the delivery id's extraction) read, in the order first
    /// read, present or not: where a request carries several copies of one, the app must get
    /// the one that was verified, and only it.
    pub fn headers_read(&self) -> Vec<HeaderName> {
        self.read.borrow().clone()
    }

    /// A header's first value, noting that it was read.
    fn header(&self, name: &HeaderName) -> Option<&'a HeaderValue> {
        self.note_read(name);
        self.headers.get(name)
    }

    /// Every value of a header, noting that it was read.
    fn header_all(&self, name: &HeaderName) -> http::header::GetAll<'a, HeaderValue> {
        self.note_read(name);
        self.headers.get_all(name)
    }

    fn note_read(&self, name: &HeaderName) {
        let mut read = self.read.borrow_mut();
        if !read.contains(name) {
            read.push(name.clone());
        }
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
    #[error("the JSON body has no signature at {0}")]
    MissingSignatureField(String),
    #[error("the body does not match the {0} hash in the signed URL")]
    BodyHashMismatch(String),
    #[error("the signature header is malformed: {0}")]
    MalformedSignature(&'static str),
    #[error("the {0} header is missing or empty; the signature covers it")]
    MissingId(String),
    #[error("no configured secret produces this signature (wrong secret, or the body was changed on the way)")]
    Mismatch,
    #[error("the token's {0} claim is missing or not the value this route requires")]
    ClaimMismatch(String),
    /// Signed by the sender, but not for this route (an SNS topic it does not list).
    #[error("signed by the sender, but {0}")]
    NotAccepted(&'static str),
    #[error("the body holds more than the signature covers: {0}")]
    Uncovered(&'static str),
    #[error("the signed timestamp is missing or unparseable: {0}")]
    InvalidTimestamp(String),
    /// The body's `Content-Encoding` cannot be undone to the signed bytes: an encoding the
    /// scheme does not decode, a corrupt gzip stream, or more decoded bytes than allowed.
    #[error("the body's Content-Encoding cannot be decoded to the signed bytes: {0}")]
    BodyEncoding(&'static str),
    #[error("the signed timestamp is {age_s}s old; this route accepts at most {max_s}s")]
    TooOld { age_s: i64, max_s: u64 },
    #[error("the signed timestamp is {ahead_s}s ahead of our clock; this route accepts at most {max_s}s (check the clocks)")]
    TooNew { ahead_s: i64, max_s: u64 },
}

/// How far verification got, for explaining a rejection: which keys were compared and the
/// clock skew once known. Holds no secret and no signature, by construction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The route's keys `[..keys_tried]` were compared, in order; 0 when verification stopped
    /// before any comparison (missing or malformed signature, missing id or timestamp).
    pub keys_tried: usize,
    /// The key that produced the signature, if one did.
    pub matched: Option<usize>,
    /// Our clock minus the signed time, in seconds, once the signature matched and the
    /// timestamp parsed (so also for a stale one).
    pub skew_seconds: Option<f64>,
}

/// Checks `msg` against `scheme` with any of `keys`, at time `now`. A key past its
/// `not_after` at `now` (`Key::usable_at`) is skipped, as if it were not there.
///
/// Order: signature present and well-formed, signature matches (over the exact raw body), then
/// timestamp freshness. A stale timestamp is reported only for authentic requests.
pub fn verify(
    scheme: &Scheme,
    keys: &[Key],
    msg: &Message<'_>,
    freshness: Freshness,
    now: SystemTime,
) -> Result<Verified, VerifyError> {
    verify_traced(scheme, keys, msg, freshness, now, &mut Trace::default())
}

/// What can be checked before the body is read: the signature is present and well formed, and
/// a timestamp the scheme carries in its headers is present and readable. `msg` need not have
/// its body (it is not read). A request refused here would be refused by `verify` too (a
/// malformed timestamp may be named before a mismatch it also has), so unsigned junk is
/// refused before it holds a body in memory.
///
/// Freshness is not checked here: a forger picks a fresh timestamp for free, so it would stop
/// no attack, and the refusal without the body would lose what a stale rejection now says,
/// whether the delivery was authentic and only late (a sender's clock or time zone).
pub fn precheck(scheme: &Scheme, msg: &Message<'_>) -> Result<(), VerifyError> {
    // A signature inside the body, or a timestamp in it, waits for it.
    if scheme.signature_json.is_some() || scheme.algorithm == Algorithm::SnsCertificate {
        return Ok(());
    }
    let (set, sig_value) = signature_value(scheme, msg)?;
    let mut first_err = None;
    for group in param_groups(scheme, &sig_value) {
        match precheck_value(scheme, msg, set, group) {
            Ok(()) => return Ok(()),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// The signature header's value split into its `param_groups` (at most `MAX_GROUPS`), or the
/// whole value as the one group.
fn param_groups<'v>(scheme: &Scheme, value: &'v str) -> Vec<&'v str> {
    match (scheme.param_groups, &scheme.format) {
        (Some(sep), SignatureFormat::Params { .. }) => {
            let groups: Vec<&str> = value
                .split(sep)
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .take(MAX_GROUPS)
                .collect();
            if groups.is_empty() {
                vec![value]
            } else {
                groups
            }
        }
        _ => vec![value],
    }
}

/// `precheck` for one group of the signature header.
fn precheck_value(
    scheme: &Scheme,
    msg: &Message<'_>,
    set: Option<&HeaderSet>,
    sig_value: &str,
) -> Result<(), VerifyError> {
    candidates(scheme, msg, sig_value)?;
    let Some(rule) = &scheme.timestamp else {
        return Ok(());
    };
    // A JWT's `iat` is read only from a verified token.
    if matches!(
        rule.source,
        TimestampSource::Json(_) | TimestampSource::JwtIat
    ) {
        return Ok(());
    }
    let raw = raw_timestamp(scheme, set, sig_value, msg)?
        .ok_or_else(|| VerifyError::InvalidTimestamp("no timestamp".into()))?;
    parse_timestamp(&raw, rule.format).map(|_| ())
}

/// The `kid` the request's JWT names, if the scheme is a JWT one and the token has one: which
/// key of a fetched JWK Set it needs (an unknown one makes the caller refresh the set). Reads
/// only the head; nothing is verified.
pub fn jwt_kid(scheme: &Scheme, msg: &Message<'_>) -> Option<String> {
    let want = scheme.algorithm.jws_alg()?;
    let (_, value) = signature_value(scheme, msg).ok()?;
    candidates(scheme, msg, &value)
        .ok()?
        .iter()
        .find_map(|c| jwt::kid(&c.bytes, want))
}

/// `verify`, also filling `trace` with how far it got (for rejection diagnostics).
pub fn verify_traced(
    scheme: &Scheme,
    keys: &[Key],
    msg: &Message<'_>,
    freshness: Freshness,
    now: SystemTime,
    trace: &mut Trace,
) -> Result<Verified, VerifyError> {
    if scheme.algorithm == Algorithm::SnsCertificate {
        return sns::verify_request(scheme, keys, msg, freshness, now, trace);
    }
    let (set, sig_value) = signature_value(scheme, msg)?;
    if let Some(ptr) = &scheme.json_single_item {
        // Checked before any key is tried: a body with items the signature does not cover is
        // refused whoever signed its first one.
        if json::array_len(msg.body, ptr) != Some(1) {
            return Err(VerifyError::Uncovered(
                "a body with other than one notification item (each is signed on its own)",
            ));
        }
    }
    let groups = param_groups(scheme, &sig_value);
    if groups.len() == 1 {
        return verify_value(scheme, keys, msg, set, &sig_value, freshness, now, trace);
    }
    // Several `t=..,v1=..` groups (Persona rotating a secret): the first that verifies wins.
    // A group whose signature matched but whose time is stale is the answer (the delivery is
    // authentic and late); otherwise the first group's error.
    let mut first_err = None;
    for group in groups {
        let mut t = Trace::default();
        let result = verify_value(scheme, keys, msg, set, group, freshness, now, &mut t);
        trace.keys_tried = trace.keys_tried.max(t.keys_tried);
        match result {
            Ok(v) => {
                *trace = t;
                return Ok(v);
            }
            Err(e) if t.matched.is_some() => {
                *trace = t;
                return Err(e);
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(VerifyError::Mismatch))
}

/// `verify_traced` for one signature value (the header's, or one group of it).
#[allow(clippy::too_many_arguments)]
fn verify_value(
    scheme: &Scheme,
    keys: &[Key],
    msg: &Message<'_>,
    set: Option<&HeaderSet>,
    sig_value: &str,
    freshness: Freshness,
    now: SystemTime,
    trace: &mut Trace,
) -> Result<Verified, VerifyError> {
    let candidates = candidates(scheme, msg, sig_value)?;
    if scheme.algorithm.is_jwt() {
        // The signed bytes and the time are the token's own.
        return jwt::verify(scheme, keys, &candidates, msg, freshness, now, trace);
    }

    // A timestamp inside the signed bytes is needed now; one outside them (Tolinku's body
    // field) is read only after the signature matched, so a forgery is reported as one.
    let signed_ts = scheme.needs(&Piece::Timestamp);
    let mut raw_ts = if signed_ts {
        raw_timestamp(scheme, set, sig_value, msg)?
    } else {
        None
    };
    let id = raw_id(scheme, set, msg)?;
    if let Some(param) = &scheme.body_sha256_query {
        check_body_hash(param, msg)?;
    }

    let pieces = payload::pieces(
        scheme,
        msg,
        raw_ts.as_deref(),
        id.as_deref(),
        Some(sig_value),
    )?;
    let parts: Vec<&[u8]> = pieces.iter().map(AsRef::as_ref).collect();

    let mut algs: Vec<Algorithm> = candidates.iter().map(|c| c.alg).collect();
    algs.dedup();
    let find = |parts: &[&[u8]]| {
        keys.iter().position(|key| {
            key.usable_at(now)
                && algs
                    .iter()
                    .any(|&alg| key.handles(alg) && key.verifies(&candidates, alg, parts))
        })
    };
    let mut key_index = find(&parts);
    if key_index.is_none() && scheme.url_default_port_optional && scheme.needs(&Piece::Url) {
        // The same URL with the default port spelled the other way (Twilio).
        if let Some(alt) = msg.public_url.and_then(default_port_variant) {
            let alt_msg = Message::new(msg.method, msg.uri, msg.headers, msg.body, Some(&alt));
            let pieces = payload::pieces(
                scheme,
                &alt_msg,
                raw_ts.as_deref(),
                id.as_deref(),
                Some(sig_value),
            );
            // Reads through the variant are reads of this request.
            for name in alt_msg.headers_read() {
                msg.note_read(&name);
            }
            let pieces = pieces?;
            let parts: Vec<&[u8]> = pieces.iter().map(AsRef::as_ref).collect();
            key_index = find(&parts);
        }
    }
    // `position` stops at the first match: the keys before it, and it, were compared.
    trace.keys_tried = key_index.map_or(keys.len(), |i| i + 1);
    trace.matched = key_index;
    let key_index = key_index.ok_or(VerifyError::Mismatch)?;

    let mut verified = Verified {
        key_index,
        signed_at_ms: None,
        skew_seconds: None,
        id,
    };
    if let Some(rule) = &scheme.timestamp {
        if !signed_ts {
            raw_ts = raw_timestamp(scheme, set, sig_value, msg)?;
            require_listed_timestamp(scheme, set, msg)?;
        }
        let raw = raw_ts.ok_or_else(|| VerifyError::InvalidTimestamp("no timestamp".into()))?;
        let ts_ms = parse_timestamp(&raw, rule.format)?;
        let now_ms = unix_ms(now);
        // Lossy only beyond 2^53 ms (285k years): a diagnostic for absurd timestamps, which
        // check_fresh rejects. Saturating: an attacker's timestamp must not overflow.
        let skew = now_ms.saturating_sub(ts_ms) as f64 / 1000.0;
        trace.skew_seconds = Some(skew);
        check_fresh(ts_ms, now_ms, freshness)?;
        verified.signed_at_ms = Some(ts_ms);
        verified.skew_seconds = Some(skew);
    }
    Ok(verified)
}

/// With a canonical-request scheme (Contentful) the timestamp header is signed only if the
/// signed-headers list names it.
fn require_listed_timestamp(
    scheme: &Scheme,
    set: Option<&HeaderSet>,
    msg: &Message<'_>,
) -> Result<(), VerifyError> {
    let Some(TimestampRule {
        source: TimestampSource::Header,
        ..
    }) = &scheme.timestamp
    else {
        return Ok(());
    };
    let Some(ts_name) = set.and_then(|s| s.timestamp.as_ref()) else {
        return Ok(());
    };
    for piece in &scheme.payload {
        if let Piece::SignedHeaders(list) = piece {
            let listed = msg
                .headers
                .get(list)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|l| {
                    l.split(',')
                        .any(|n| n.trim().eq_ignore_ascii_case(ts_name.as_str()))
                });
            if !listed {
                return Err(VerifyError::InvalidTimestamp(format!(
                    "the {ts_name} header is not among the signed headers"
                )));
            }
        }
    }
    Ok(())
}

/// The header family in use and the text holding the signature(s).
fn signature_value<'s>(
    scheme: &'s Scheme,
    msg: &Message<'_>,
) -> Result<(Option<&'s HeaderSet>, String), VerifyError> {
    if let Some(ptr) = &scheme.signature_json {
        let value = msg
            .json_scalar(ptr)
            .and_then(Scalar::into_string)
            .ok_or_else(|| VerifyError::MissingSignatureField(ptr.clone()))?;
        return Ok((scheme.headers.first(), value));
    }
    let present = |set: &HeaderSet| {
        msg.header(&set.signature).is_some()
            || scheme
                .extra_signature_headers
                .iter()
                .any(|h| msg.header(h).is_some())
    };
    let set = scheme.headers.iter().find(|s| present(s)).ok_or_else(|| {
        VerifyError::MissingSignature(
            scheme
                .headers
                .first()
                .map_or(HeaderName::from_static("signature"), |s| {
                    s.signature.clone()
                }),
        )
    })?;
    let mut value = String::new();
    for name in std::iter::once(&set.signature).chain(&scheme.extra_signature_headers) {
        for v in msg.header_all(name) {
            let v = v
                .to_str()
                .map_err(|_| VerifyError::MalformedSignature("not visible ASCII"))?;
            if !value.is_empty() {
                // Several headers (or repeats) read as one list.
                value.push_str(list_separator(scheme));
            }
            value.push_str(v);
        }
    }
    Ok((Some(set), value))
}

fn list_separator(scheme: &Scheme) -> &str {
    match &scheme.format {
        SignatureFormat::List {
            separator: Some(sep),
            ..
        } => sep,
        SignatureFormat::List { .. } => "\n",
        SignatureFormat::Params { .. } => ",",
    }
}

/// `public_url` with its scheme's default port added, or removed when it is there; `None`
/// when it names another port or is not http(s).
fn default_port_variant(public_url: &str) -> Option<String> {
    let (proto, rest) = public_url.split_once("://")?;
    let default = match proto.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let port = authority
        .rsplit_once(':')
        .filter(|(host, port)| !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    match port {
        Some((host, port)) if port == default => Some(format!("{proto}://{host}{tail}")),
        Some(_) => None,
        None => Some(format!("{proto}://{authority}:{default}{tail}")),
    }
}

/// The HMAC algorithm the request names in the scheme's `algorithm_header` (Twilio's SharedKey
/// mode), else the scheme's own. A name hookgate does not know fails, as in Twilio's SDK.
fn announced_algorithm(scheme: &Scheme, msg: &Message<'_>) -> Result<Algorithm, VerifyError> {
    let Some(value) = scheme.algorithm_header.as_ref().and_then(|h| msg.header(h)) else {
        return Ok(scheme.algorithm);
    };
    let unsupported = VerifyError::MalformedSignature("the request names an unsupported algorithm");
    let value = value.to_str().map_err(|_| unsupported.clone())?;
    let named = value
        .split(',')
        .filter_map(|part| part.split_once('='))
        .find(|(k, v)| k.trim() == "algorithm" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().replace('_', "-"));
    match named {
        None => Ok(scheme.algorithm),
        Some(name) => Algorithm::parse(&name)
            .filter(|a| a.is_hmac() && scheme.algorithm.is_hmac())
            .ok_or(unsupported),
    }
}

/// The non-empty, trimmed entries of a `List` signature header.
fn list_entries<'v>(separator: Option<&'v str>, value: &'v str) -> impl Iterator<Item = &'v str> {
    // Values of several headers are joined with a newline, never part of a value.
    value
        .split(separator.unwrap_or("\n"))
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

/// Whether the signature list's first entry is the signed timestamp (Recurly).
fn first_entry_timestamp(scheme: &Scheme) -> bool {
    matches!(
        &scheme.timestamp,
        Some(TimestampRule {
            source: TimestampSource::FirstEntry,
            ..
        })
    )
}

/// Decoded signature candidates, in order, each tagged with its algorithm.
fn candidates(
    scheme: &Scheme,
    msg: &Message<'_>,
    value: &str,
) -> Result<Vec<Candidate>, VerifyError> {
    let algorithm = announced_algorithm(scheme, msg)?;
    let mut entries: Vec<(Algorithm, &str)> = Vec::new();
    match &scheme.format {
        SignatureFormat::List {
            prefix,
            prefix_required,
            separator,
        } => {
            // The timestamp entry, when the list starts with one (Recurly), is no signature.
            let skip = usize::from(first_entry_timestamp(scheme));
            for e in list_entries(separator.as_deref(), value).skip(skip) {
                if let Some((alt, alg)) = scheme
                    .alt_entries
                    .iter()
                    .find(|(p, _)| strip_prefix_ignore_case(e, p).is_some())
                {
                    entries.push((*alg, &e[alt.len()..]));
                    continue;
                }
                match prefix.as_deref() {
                    Some(p) => match strip_prefix_ignore_case(e, p) {
                        Some(rest) => entries.push((algorithm, rest)),
                        None if *prefix_required => {}
                        None => entries.push((algorithm, e)),
                    },
                    None => entries.push((algorithm, e)),
                }
            }
        }
        SignatureFormat::Params {
            pair_separator,
            signature_key,
        } => entries.extend(
            value
                .split(*pair_separator)
                .filter_map(|pair| pair.split_once('='))
                .filter(|(k, _)| k.trim() == signature_key)
                .map(|(_, v)| (algorithm, v.trim())),
        ),
    }
    entries.truncate(MAX_CANDIDATES);
    if entries.is_empty() {
        return Err(VerifyError::MalformedSignature(
            "no signature entry in the expected format",
        ));
    }
    let decoded: Vec<Candidate> = entries
        .iter()
        .filter_map(|(alg, e)| {
            let bytes = match alg {
                Algorithm::Token => decode(Encoding::Raw, e),
                // RFC 7617: the scheme name is case-insensitive; the credentials are base64.
                Algorithm::Basic => strip_prefix_ignore_case(e, "Basic ")
                    .and_then(|c| decode(Encoding::Base64, c.trim())),
                // A JWT never contains a space, so an optional `Bearer ` is unambiguous.
                a if a.is_jwt() => decode(
                    Encoding::Raw,
                    strip_prefix_ignore_case(e, "Bearer ").unwrap_or(e).trim(),
                ),
                _ => decode(scheme.encoding, e),
            };
            bytes.map(|bytes| Candidate { alg: *alg, bytes })
        })
        .collect();
    if decoded.is_empty() {
        return Err(VerifyError::MalformedSignature(match scheme.encoding {
            _ if entries.iter().all(|(_, e)| e.is_empty()) => "signature is empty",
            _ if algorithm == Algorithm::Basic => "not `Basic base64(user:pass)`",
            _ if algorithm.is_jwt() => "not a JWT",
            Encoding::Hex => "signature is not hex",
            Encoding::Base64 => "signature is not base64",
            Encoding::Base64Url => "signature is not base64url",
            Encoding::Raw => "signature is empty",
        }));
    }
    Ok(decoded)
}

/// Twilio-style: the signed URL carries the body's SHA-256; the body must match it.
fn check_body_hash(param: &str, msg: &Message<'_>) -> Result<(), VerifyError> {
    let Some(query) = msg.uri.query() else {
        return Ok(());
    };
    let Some(claimed) = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == param)
        .map(|(_, v)| v)
    else {
        return Ok(());
    };
    let actual = hex::encode(sha2::Sha256::digest(msg.body));
    if bool::from(
        actual
            .as_bytes()
            .ct_eq(claimed.to_ascii_lowercase().as_bytes()),
    ) {
        Ok(())
    } else {
        Err(VerifyError::BodyHashMismatch(param.to_owned()))
    }
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `None` for an empty signature too: nothing can match it, and the log should say so.
fn decode(encoding: Encoding, s: &str) -> Option<Vec<u8>> {
    if s.is_empty() {
        return None;
    }
    match encoding {
        Encoding::Raw => Some(s.as_bytes().to_vec()),
        Encoding::Hex => {
            // Into a buffer of the final size: `hex::decode` collects an iterator of
            // `Result`s, a measurable share of a request's CPU for a 64-character signature.
            let mut out = vec![0; s.len() / 2];
            hex::decode_to_slice(s, &mut out).ok().map(|()| out)
        }
        Encoding::Base64 => B64.decode(s).ok(),
        Encoding::Base64Url => B64URL.decode(s).ok(),
    }
}

fn encode(encoding: Encoding, bytes: &[u8]) -> String {
    match encoding {
        Encoding::Raw => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Hex => hex::encode(bytes),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
        Encoding::Base64Url => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// The timestamp exactly as the sender wrote it (it is signed as text).
fn raw_timestamp(
    scheme: &Scheme,
    set: Option<&HeaderSet>,
    sig_value: &str,
    msg: &Message<'_>,
) -> Result<Option<String>, VerifyError> {
    let Some(rule) = &scheme.timestamp else {
        return Ok(None);
    };
    let raw = match &rule.source {
        TimestampSource::Header => {
            let name = set
                .and_then(|s| s.timestamp.as_ref())
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
        TimestampSource::FirstEntry => {
            let SignatureFormat::List { separator, .. } = &scheme.format else {
                return Err(VerifyError::InvalidTimestamp(
                    "scheme has no signature list".into(),
                ));
            };
            list_entries(separator.as_deref(), sig_value)
                .next()
                .map(str::to_owned)
                .ok_or_else(|| {
                    VerifyError::InvalidTimestamp("the signature header is empty".into())
                })?
        }
        TimestampSource::Json(pointer) => match msg.json_scalar(pointer) {
            Some(found) => found.into_text(),
            None => {
                return Err(VerifyError::InvalidTimestamp(format!(
                    "the JSON body has no string or number at {pointer}"
                )))
            }
        },
        // Read by `jwt::verify` from the verified token, never as text.
        TimestampSource::JwtIat => return Ok(None),
    };
    if raw.is_empty() || raw.len() > MAX_FIELD_LEN {
        return Err(VerifyError::InvalidTimestamp("empty or too long".into()));
    }
    Ok(Some(raw))
}

fn raw_id(
    scheme: &Scheme,
    set: Option<&HeaderSet>,
    msg: &Message<'_>,
) -> Result<Option<String>, VerifyError> {
    let Some(source) = &scheme.id else {
        return Ok(None);
    };
    let required = scheme.needs(&Piece::Id);
    let (found, what) = match source {
        IdSource::Header => match set.and_then(|s| s.id.as_ref()) {
            Some(name) => (
                msg.header(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.trim().to_owned()),
                name.to_string(),
            ),
            None => (None, "id".to_owned()),
        },
        IdSource::Json(pointer) => (
            msg.json_scalar(pointer).map(Scalar::into_text),
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
        TimestampFormat::Iso8601NoZone => {
            // `2024-03-27T15:42:29.551` (Orb formats it with Go's
            // `2006-01-02T15:04:05.999999999`): RFC 3339 once `Z` is added, provided the time
            // part names no zone of its own.
            let bad_naive = || bad("an ISO 8601 date-time without a zone (UTC)");
            let (_, clock) = raw.split_once('T').ok_or_else(bad_naive)?;
            if clock.contains(['Z', 'z', '+', '-']) {
                return Err(bad_naive());
            }
            let t = time::OffsetDateTime::parse(
                &format!("{raw}Z"),
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|_| bad_naive())?;
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

/// A public key of `alg`'s kind (RS256, ES256) standing in for a route's key when
/// `check --no-secrets` reads none; it is the tests' key and verifies nothing real.
pub fn placeholder_public_key(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::JwtEs256 => include_str!("jwt/test_p256_public.pem"),
        _ => include_str!("jwt/test_rsa_public.pem"),
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
    #[error("hookgate cannot sign for this scheme: {0}")]
    Unsupported(&'static str),
    #[error("the request cannot be signed: {0}")]
    Payload(String),
}

/// The headers a sender using `scheme` would attach to `input.body`, signed with `key`.
pub fn sign(
    scheme: &Scheme,
    key: &Key,
    input: &SignInput<'_>,
) -> Result<Vec<(HeaderName, String)>, SignError> {
    sign_with(scheme, key, input, &[])
}

/// `sign`, with the values the sender would send for the scheme's `{header:NAME}` and
/// `{param:NAME}` pieces (a header hookgate does not otherwise write, a parameter of the
/// signature header besides its timestamp and signature), by name. A piece without a value
/// here gets a sample: the signing time in unix seconds for a header (what senders put in
/// such a header: Pinwheel's `x-timestamp`), `sample` for a parameter.
pub fn sign_with(
    scheme: &Scheme,
    key: &Key,
    input: &SignInput<'_>,
    values: &[(String, String)],
) -> Result<Vec<(HeaderName, String)>, SignError> {
    let value_of = |name: &str, sample: String| {
        values
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(sample, |(_, v)| v.clone())
    };
    if scheme.algorithm.is_asymmetric() || !key.handles(scheme.algorithm) {
        return Err(SignError::Unsupported(
            "the route holds the sender's public key, not a signing key",
        ));
    }
    if scheme.signature_json.is_some() {
        return Err(SignError::Unsupported(
            "the signature lives inside the body; use the sender's own test delivery",
        ));
    }
    let set = scheme.headers.first().ok_or(SignError::Unsupported(
        "the scheme names no signature header",
    ))?;
    let now_ms = unix_ms(input.now);
    let probe = HeaderMap::new();
    let probe_msg = Message::new(
        input.method,
        input.uri,
        &probe,
        input.body,
        input.public_url,
    );

    let ts = match &scheme.timestamp {
        None => None,
        Some(rule) => Some(match &rule.source {
            TimestampSource::Json(ptr) => match probe_msg.json_scalar(ptr) {
                Some(found) => found.into_text(),
                None => return Err(SignError::NeedsBodyTimestamp(ptr.clone())),
            },
            _ => format_timestamp(now_ms, rule.format),
        }),
    };
    let id = match &scheme.id {
        None => None,
        Some(IdSource::Json(ptr)) => match probe_msg.json_scalar(ptr) {
            Some(found) => Some(found.into_text()),
            None if scheme.needs(&Piece::Id) => return Err(SignError::NeedsBodyId(ptr.clone())),
            None => None,
        },
        Some(IdSource::Header) => Some(input.id.clone().unwrap_or_else(|| {
            let digest = sha2::Sha256::digest([input.body, &now_ms.to_be_bytes()].concat());
            format!("msg_{}", &hex::encode(digest)[..24])
        })),
    };
    if scheme.needs(&Piece::Url) && input.public_url.is_none() {
        return Err(SignError::NeedsPublicUrl);
    }

    // The headers the sender sends besides the signature, then the signed bytes computed over
    // them exactly as `verify` will.
    let mut out: Vec<(HeaderName, String)> = Vec::new();
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
    // Signed headers the sender writes besides its timestamp and id, and signature
    // parameters besides the timestamp and the signature, as given.
    let mut params: Vec<(String, String)> = Vec::new();
    for piece in &scheme.payload {
        match piece {
            Piece::Header(name) if !out.iter().any(|(n, _)| n == name) => {
                let secs = now_ms.div_euclid(1000).to_string();
                out.push((name.clone(), value_of(name.as_str(), secs)));
            }
            Piece::Param(name) if !params.iter().any(|(n, _)| n == name) => {
                params.push((name.clone(), value_of(name, "sample".into())));
            }
            _ => {}
        }
    }
    let sep = match &scheme.format {
        SignatureFormat::Params { pair_separator, .. } => *pair_separator,
        SignatureFormat::List { .. } => ',',
    };
    let param_text: String = params
        .iter()
        .map(|(k, v)| format!("{sep}{k}={v}"))
        .collect();
    for piece in &scheme.payload {
        if let Piece::SignedHeaders(list) = piece {
            let mut names: Vec<String> = out.iter().map(|(n, _)| n.to_string()).collect();
            names.push(list.to_string());
            names.sort();
            out.push((list.clone(), names.join(",")));
        }
    }
    let mut headers = HeaderMap::new();
    for (n, v) in &out {
        let value = HeaderValue::from_str(v).map_err(|e| SignError::Payload(e.to_string()))?;
        headers.insert(n.clone(), value);
    }
    let msg = Message::new(
        input.method,
        input.uri,
        &headers,
        input.body,
        input.public_url,
    );
    let pieces = payload::pieces(
        scheme,
        &msg,
        ts.as_deref(),
        id.as_deref(),
        Some(&param_text),
    )
    .map_err(|e| SignError::Payload(e.to_string()))?;
    let parts: Vec<&[u8]> = pieces.iter().map(AsRef::as_ref).collect();
    let sig = match scheme.algorithm {
        Algorithm::Token => key
            .token()
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .ok_or(SignError::Unsupported("not a token key"))?,
        Algorithm::Basic => key
            .token()
            .map(|t| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(t)
                )
            })
            .ok_or(SignError::Unsupported("not a Basic auth key"))?,
        alg if alg.is_jwt() => jwt::sign_hs256(scheme, key, input.body, now_ms)?,
        alg => encode(
            scheme.encoding,
            &key.mac(alg, &parts)
                .ok_or(SignError::Unsupported("not an HMAC key"))?,
        ),
    };

    let sig_value = match &scheme.format {
        SignatureFormat::List {
            prefix, separator, ..
        } if first_entry_timestamp(scheme) => format!(
            "{}{}{}{sig}",
            ts.as_deref().unwrap_or_default(),
            separator.as_deref().unwrap_or(","),
            prefix.as_deref().unwrap_or("")
        ),
        SignatureFormat::List { prefix, .. } => format!("{}{sig}", prefix.as_deref().unwrap_or("")),
        SignatureFormat::Params {
            pair_separator,
            signature_key,
        } => match &scheme.timestamp {
            Some(TimestampRule {
                source: TimestampSource::SignatureParam(tkey),
                ..
            }) => format!(
                "{tkey}={}{pair_separator}{signature_key}={sig}{param_text}",
                ts.as_deref().unwrap_or_default()
            ),
            _ => format!("{signature_key}={sig}{param_text}"),
        },
    };
    out.insert(0, (set.signature.clone(), sig_value));
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
        TimestampFormat::Iso8601NoZone => {
            let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let whole = t
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            // Milliseconds and no zone, as Orb sends them.
            format!("{}.{:03}", whole.trim_end_matches('Z'), ms.rem_euclid(1000))
        }
    }
}

#[cfg(test)]
mod tests;
