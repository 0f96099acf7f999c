//! The shape of a signing scheme: which headers, which bytes, which encoding, which clock.
//!
//! A `Scheme` is data, built once from config (a preset, a generic `verify:` block, or a preset
//! with overrides). `verify::verify` and `verify::sign` interpret it; nothing here does I/O.

use http::HeaderName;

/// How a sender proves a request is theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha1,
    HmacSha256,
    HmacSha512,
    /// The header carries the shared secret itself (GitLab's token, Okta's auth header). Proves
    /// knowledge of the secret, not the integrity of the body.
    Token,
    /// An Ed25519 signature; the route holds the sender's public key (Discord, Standard
    /// Webhooks `v1a`).
    Ed25519,
    /// An ECDSA P-256 / SHA-256 signature, DER encoded; the route holds the sender's public
    /// key (SendGrid).
    EcdsaP256Sha256,
    /// HTTP Basic auth, `Authorization: Basic base64(user:pass)`; the route's secret is
    /// `user:pass` (Chargebee, Pipedrive, Postmark). Like a token, it proves who sent the
    /// request, not that its body is unchanged.
    Basic,
    /// A JWT (JWS compact serialisation) signed with HMAC-SHA256 under the route's secret; its
    /// claims are checked as `Scheme::jwt` says (Netlify, monday.com).
    JwtHs256,
    /// A JWT signed with RSASSA-PKCS1-v1_5 / SHA-256; the route holds the sender's RSA public
    /// key (PEM).
    JwtRs256,
    /// A JWT signed with ECDSA P-256 / SHA-256 (JWS's fixed 64-byte `r || s`); the route holds
    /// the sender's P-256 public key (PEM).
    JwtEs256,
    /// An Amazon SNS message: the JSON body names its fields, its signature and the URL of
    /// the certificate that signed it; the route's keys are that certificate, fetched by the
    /// caller from an SNS host (`verify::sns`). Presets only (`provider: sns`).
    SnsCertificate,
}

impl Algorithm {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "hmac-sha1" => Some(Self::HmacSha1),
            "hmac-sha256" => Some(Self::HmacSha256),
            "hmac-sha512" => Some(Self::HmacSha512),
            "token" => Some(Self::Token),
            "ed25519" => Some(Self::Ed25519),
            "ecdsa-p256-sha256" => Some(Self::EcdsaP256Sha256),
            "basic" => Some(Self::Basic),
            "jwt-hs256" => Some(Self::JwtHs256),
            "jwt-rs256" => Some(Self::JwtRs256),
            "jwt-es256" => Some(Self::JwtEs256),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "hmac-sha1",
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha512 => "hmac-sha512",
            Self::Token => "token",
            Self::Ed25519 => "ed25519",
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::Basic => "basic",
            Self::JwtHs256 => "jwt-hs256",
            Self::JwtRs256 => "jwt-rs256",
            Self::JwtEs256 => "jwt-es256",
            Self::SnsCertificate => "sns-certificate",
        }
    }

    pub fn is_hmac(self) -> bool {
        matches!(self, Self::HmacSha1 | Self::HmacSha256 | Self::HmacSha512)
    }

    /// Whether the route holds a public key rather than a shared secret.
    pub fn is_asymmetric(self) -> bool {
        matches!(
            self,
            Self::Ed25519
                | Self::EcdsaP256Sha256
                | Self::JwtRs256
                | Self::JwtEs256
                | Self::SnsCertificate
        )
    }

    /// Whether the signature is a JWT whose claims carry what is checked.
    pub fn is_jwt(self) -> bool {
        matches!(self, Self::JwtHs256 | Self::JwtRs256 | Self::JwtEs256)
    }

    /// The JWS `alg` a token must name for this algorithm: the token's own header never
    /// chooses how it is checked (no algorithm confusion, no `none`).
    pub fn jws_alg(self) -> Option<&'static str> {
        match self {
            Self::JwtHs256 => Some("HS256"),
            Self::JwtRs256 => Some("RS256"),
            Self::JwtEs256 => Some("ES256"),
            _ => None,
        }
    }

    /// Whether the header carries a credential rather than a signature over the request
    /// (a token, Basic auth): nothing of the request is signed.
    pub fn is_credential(self) -> bool {
        matches!(self, Self::Token | Self::Basic)
    }
}

/// How the MAC bytes are written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hex, either case accepted (senders differ).
    Hex,
    /// Standard base64, padding optional on input.
    Base64,
    /// URL-safe base64, padding optional on input.
    Base64Url,
    /// The header value's bytes as they are (tokens).
    Raw,
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "hex" => Some(Self::Hex),
            "base64" => Some(Self::Base64),
            "base64url" => Some(Self::Base64Url),
            "raw" => Some(Self::Raw),
            _ => None,
        }
    }
}

/// How a configured secret string becomes MAC key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretEncoding {
    /// The secret's UTF-8 bytes are the key (Stripe, GitHub, Slack, ... even when the secret
    /// looks like `whsec_...`).
    Raw,
    /// The secret is base64 (Airtable).
    Base64,
    /// Standard Webhooks: an optional `whsec_` prefix, then base64 of the key. A `whpk_`
    /// prefix marks an Ed25519 public key (for `v1a` signatures).
    Whsec,
    /// The secret is hex (Discord's public key, Adyen's HMAC key).
    Hex,
}

impl SecretEncoding {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "raw" => Some(Self::Raw),
            "base64" => Some(Self::Base64),
            "whsec" => Some(Self::Whsec),
            "hex" => Some(Self::Hex),
            _ => None,
        }
    }
}

/// The headers one family of a scheme uses. Standard Webhooks has two families (`webhook-*`
/// and `svix-*`): the first family whose signature header is present is used for all lookups,
/// so a request never mixes an id from one family with a signature from the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSet {
    pub signature: HeaderName,
    pub timestamp: Option<HeaderName>,
    pub id: Option<HeaderName>,
}

/// How candidate signatures are found in the signature header's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFormat {
    /// One or more signatures, split on `separator` when set, each optionally behind `prefix`
    /// (`sha256=`, `v1,`). With `prefix_required`, entries lacking the prefix are skipped
    /// (Standard Webhooks' `v1a,` Ed25519 entries); without it the prefix is optional (Tolinku).
    List {
        prefix: Option<String>,
        prefix_required: bool,
        separator: Option<String>,
    },
    /// `k=v` pairs separated by `pair_separator` (Stripe: `t=..,v1=..,v1=..`; Paddle uses `;`).
    /// Every value under `signature_key` is a candidate.
    Params {
        pair_separator: char,
        signature_key: String,
    },
}

/// Where the signed timestamp is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampSource {
    /// The header set's timestamp header.
    Header,
    /// A parameter of a `Params` signature header (Stripe `t`).
    SignatureParam(String),
    /// A JSON pointer into the body (Tolinku `/timestamp`).
    Json(String),
    /// The first entry of a `List` signature header, the entries after it being the
    /// signatures (Recurly: `recurly-signature: <unix ms>,<hex>,<hex>`).
    FirstEntry,
    /// The `iat` claim of a JWT signature (monday.com): signed with the token, required, and
    /// held to the route's freshness window.
    JwtIat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    Unix,
    UnixMs,
    Rfc3339,
    /// An ISO 8601 date-time with no zone at all, read as UTC: `2024-03-27T15:42:29.551`
    /// (Orb's `X-Orb-Timestamp`), the fraction optional. A value with a zone is refused: a
    /// sender writing zones is configured as `rfc3339`.
    Iso8601NoZone,
}

impl TimestampFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "unix" => Some(Self::Unix),
            "unix_ms" => Some(Self::UnixMs),
            "rfc3339" | "iso8601" => Some(Self::Rfc3339),
            "iso8601_no_zone" => Some(Self::Iso8601NoZone),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampRule {
    pub source: TimestampSource,
    pub format: TimestampFormat,
}

/// Where the `{id}` of a signed payload comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// The header set's id header.
    Header,
    /// A JSON pointer into the body.
    Json(String),
}

/// One piece of the signed payload template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(Vec<u8>),
    Body,
    Timestamp,
    Id,
    Method,
    /// The route's `public_url` (scheme and authority) followed by the request's path and query.
    Url,
    /// The request's path and query as received.
    PathAndQuery,
    /// The request's path and query as Contentful's toolkit canonicalises them
    /// (`getNormalizedEncodedURI`): the query `querystring.escape`d, then the whole `encodeURI`d.
    ContentfulPath,
    /// A request header's value, as sent.
    Header(HeaderName),
    /// A JSON body field (a string as is, a number as written).
    Json(String),
    /// A JSON body field as `Json`, or nothing when the field is absent or `null` (Adyen signs
    /// a missing value as an empty string).
    JsonOrEmpty(String),
    /// Form parameters of an `application/x-www-form-urlencoded` body, sorted by name, each as
    /// name + value with no separators (Twilio).
    FormParams,
    /// The headers named (comma-separated) in this header, as `name:value` joined by `;`,
    /// names lower-cased and values trimmed (Contentful).
    SignedHeaders(HeaderName),
    /// The raw body as a JSON string literal, quotes included, escaped exactly as JavaScript's
    /// `JSON.stringify` escapes a string (Hygraph signs a JSON document wrapping the body
    /// text). The body must be UTF-8.
    BodyJsonString,
    /// A parameter of a `Params` signature header, as written (trimmed): Hygraph signs the
    /// `env=` it sends next to the signature.
    Param(String),
}

/// Parses a template like `{id}.{timestamp}.{body}` into pieces.
pub fn parse_payload_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        literal.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in signed_payload {template:?}"))?;
        let piece = match &after[..close] {
            "body" => Piece::Body,
            "timestamp" => Piece::Timestamp,
            "id" => Piece::Id,
            "method" => Piece::Method,
            "url" => Piece::Url,
            "path" => Piece::PathAndQuery,
            "body_json_string" => Piece::BodyJsonString,
            other => {
                if let Some(name) = other.strip_prefix("header:") {
                    let name = HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes())
                        .map_err(|_| format!("{{{other}}}: {name:?} is not a header name"))?;
                    Piece::Header(name)
                } else if let Some(ptr) = other.strip_prefix("json:") {
                    if !ptr.starts_with('/') {
                        return Err(format!(
                            "{{{other}}}: {ptr:?} is not a JSON pointer like /id"
                        ));
                    }
                    Piece::Json(ptr.to_owned())
                } else if let Some(key) = other.strip_prefix("param:") {
                    let key = key.trim();
                    if key.is_empty() || key.contains(['=', ',', ';', ' ']) {
                        return Err(format!(
                            "{{{other}}}: {key:?} is not a signature parameter name like env"
                        ));
                    }
                    Piece::Param(key.to_owned())
                } else {
                    return Err(format!(
                        "unknown piece {{{other}}} in signed_payload; use {{body}}, {{body_json_string}}, {{timestamp}}, {{id}}, {{method}}, {{url}}, {{path}}, {{header:NAME}}, {{param:NAME}} or {{json:/pointer}}"
                    ));
                }
            }
        };
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal).into_bytes()));
        }
        pieces.push(piece);
        rest = &after[close + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal.into_bytes()));
    }
    if !pieces.contains(&Piece::Body)
        && !pieces.contains(&Piece::BodyJsonString)
        && !pieces.contains(&Piece::FormParams)
    {
        return Err(format!(
            "signed_payload {template:?} does not include {{body}}: the body would not be authenticated"
        ));
    }
    Ok(pieces)
}

/// What a JWT signature's claims must say, besides being signed by one of the route's keys
/// with the configured algorithm. `exp` and `nbf` are always enforced when present (with
/// `max_future_skew` as the leeway); `iat` is the signed time when the scheme's timestamp is
/// `TimestampSource::JwtIat`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwtRule {
    /// `iss` must equal one of these.
    pub issuer: Option<Issuers>,
    /// `aud` must equal this (or, as an array, contain it).
    pub audience: Option<String>,
    /// A claim holding the hex SHA-256 of the raw body, which must match (Netlify's
    /// `sha256`): with it the token authenticates the body too.
    pub body_sha256_claim: Option<String>,
    /// `exp` must be present.
    pub require_exp: bool,
    /// Claims that must be present with exactly these values, in order (Google Pub/Sub push:
    /// `email` is the subscription's service account, `email_verified` is `true`). A token
    /// from the same issuer for the same audience but another account is refused.
    pub claims: Vec<(String, ClaimValue)>,
}

/// The `iss` values a route accepts: one, or several spellings of one issuer (Google signs
/// with `accounts.google.com` or `https://accounts.google.com`). Never empty when built by
/// the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuers(pub Vec<String>);

impl Issuers {
    pub fn accepts(&self, iss: &str) -> bool {
        self.0.iter().any(|i| i == iss)
    }

    /// The issuer a token made by `sign` names.
    pub fn first(&self) -> Option<&str> {
        self.0.first().map(String::as_str)
    }
}

impl From<&str> for Issuers {
    fn from(one: &str) -> Self {
        Self(vec![one.to_owned()])
    }
}

impl<const N: usize> From<[&str; N]> for Issuers {
    fn from(list: [&str; N]) -> Self {
        Self(list.iter().map(|&i| i.to_owned()).collect())
    }
}

/// The value a required claim must have (`JwtRule::claims`): a JSON string or boolean, compared
/// exactly (no case folding: `email` values are compared as Google writes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimValue {
    Text(String),
    Bool(bool),
}

impl ClaimValue {
    /// Whether a token's claim holds this value.
    pub fn matches(&self, claim: Option<&serde_json::Value>) -> bool {
        match (self, claim) {
            (Self::Text(want), Some(serde_json::Value::String(have))) => want == have,
            (Self::Bool(want), Some(serde_json::Value::Bool(have))) => want == have,
            _ => false,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Text(t) => t.clone().into(),
            Self::Bool(b) => (*b).into(),
        }
    }
}

/// A complete, validated description of how a sender signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub algorithm: Algorithm,
    pub encoding: Encoding,
    pub headers: Vec<HeaderSet>,
    pub format: SignatureFormat,
    pub payload: Vec<Piece>,
    pub timestamp: Option<TimestampRule>,
    pub id: Option<IdSource>,
    pub secret_encoding: SecretEncoding,
    /// Entries behind these prefixes are signatures of another algorithm (Standard Webhooks'
    /// `v1a,` Ed25519 entries next to `v1,` HMAC ones); each is checked with keys of its kind.
    pub alt_entries: Vec<(String, Algorithm)>,
    /// More headers whose values are candidates too (Box's primary and secondary signatures).
    pub extra_signature_headers: Vec<HeaderName>,
    /// The signature is a field of the JSON body rather than a header (Mailgun).
    pub signature_json: Option<String>,
    /// A query parameter carrying the hex SHA-256 of the body, which must match when present
    /// (Twilio signs the URL, and the URL carries the body's hash).
    pub body_sha256_query: Option<String>,
    /// A header that may name this request's HMAC algorithm as `algorithm=NAME` in a
    /// comma-separated `k=v` list (Twilio's SharedKey mode:
    /// `X-Twilio-Webhooks-Signature-Settings: key=..,algorithm=HMAC_SHA256`). `NAME` is
    /// `HMAC_SHA1`, `HMAC_SHA256` or `HMAC_SHA512` (any case, `-` or `_`); without the header,
    /// or without `algorithm=` in it, `algorithm` applies. Any other name fails verification.
    pub algorithm_header: Option<HeaderName>,
    /// The signed URL may spell the scheme's default port or leave it out (`https://h:443/x`
    /// or `https://h/x`): both spellings of `public_url` are tried (Twilio, whose SDKs do the
    /// same because its signer is inconsistent).
    pub url_default_port_optional: bool,
    /// The claims a JWT signature must carry (JWT algorithms only).
    pub jwt: Option<JwtRule>,
    /// With `Params`: the header may hold several groups of pairs separated by this character,
    /// each a whole `t=..,v1=..` set (Persona while a secret rotates: `t=..,v1=.. t=..,v1=..`).
    /// Each group is verified on its own, its signatures against its own timestamp.
    pub param_groups: Option<char>,
    /// The topics an SNS route accepts (`SnsCertificate` only): SNS signs every AWS account's
    /// messages with the same certificates, so the signature proves only that SNS sent it.
    pub sns_topics: Vec<String>,
    /// The array at this JSON pointer must hold exactly one element: the signature covers one
    /// (Adyen signs each notification item on its own, and the body could carry others the
    /// signature does not cover). Any other count fails verification.
    pub json_single_item: Option<String>,
    /// The signed `{body}` is the body gzip-decoded when the request says `Content-Encoding:
    /// gzip` (Airship compresses its Open Channel requests and signs the JSON before
    /// compression). Without the header, or with `identity`, the body as received; any other
    /// encoding fails verification. Only `{body}` is decoded (JSON reads, `{body_json_string}`
    /// and the body hash see the bytes received), the decoded size is capped
    /// (`payload::MAX_DECODED_BODY`), and the app still gets the compressed bytes.
    pub decode_gzip: bool,
}

impl Default for Scheme {
    /// HMAC-SHA256, hex, over the body, in an `x-signature` header: the common shape that
    /// presets and `verify:` blocks adjust.
    fn default() -> Self {
        Self {
            algorithm: Algorithm::HmacSha256,
            encoding: Encoding::Hex,
            headers: vec![HeaderSet {
                signature: HeaderName::from_static("x-signature"),
                timestamp: None,
                id: None,
            }],
            format: SignatureFormat::List {
                prefix: None,
                prefix_required: false,
                separator: None,
            },
            payload: vec![Piece::Body],
            timestamp: None,
            id: None,
            secret_encoding: SecretEncoding::Raw,
            alt_entries: Vec::new(),
            extra_signature_headers: Vec::new(),
            signature_json: None,
            body_sha256_query: None,
            algorithm_header: None,
            url_default_port_optional: false,
            jwt: None,
            param_groups: None,
            sns_topics: Vec::new(),
            json_single_item: None,
            decode_gzip: false,
        }
    }
}

impl Scheme {
    /// Whether the body is among the signed bytes, directly or through its hash. A token
    /// (GitLab, Okta) or Basic auth signs nothing, whatever the payload template says; a JWT
    /// signs the body only through a body-hash claim (Netlify).
    pub fn signs_body(&self) -> bool {
        if self.algorithm.is_jwt() {
            return self
                .jwt
                .as_ref()
                .is_some_and(|j| j.body_sha256_claim.is_some());
        }
        if self.algorithm == Algorithm::SnsCertificate {
            // The signed fields are the body's own, and the body is nothing else.
            return true;
        }
        !self.algorithm.is_credential()
            && (self.needs(&Piece::Body)
                || self.needs(&Piece::BodyJsonString)
                || self.needs(&Piece::FormParams)
                || self.body_sha256_query.is_some())
    }

    /// Whether the request's query string is part of what is signed (so a forwarded query is
    /// verified data).
    pub fn signs_query(&self) -> bool {
        !self.algorithm.is_credential()
            && !self.algorithm.is_jwt()
            && (self.needs(&Piece::Url)
                || self.needs(&Piece::PathAndQuery)
                || self.needs(&Piece::ContentfulPath))
    }

    pub fn needs(&self, piece: &Piece) -> bool {
        self.payload.contains(piece)
    }
}

#[cfg(test)]
mod tests;
