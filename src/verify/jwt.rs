//! JWT signatures (JWS compact serialisation, RFC 7515 / 7519): a token in a header, signed
//! with the route's algorithm, whose claims say who issued it, for whom, when, and (Netlify)
//! the hash of the body.
//!
//! The route decides the algorithm; the token's `alg` must name exactly it. So `none`, and an
//! HS256 token made with an RSA public key as the HMAC secret, are refused before any key is
//! used (algorithm confusion). Claims are read only once a key has verified the token, so a
//! forgery is reported as one. Pure like the rest of `verify`: the clock is passed in.

use std::time::SystemTime;

use base64::engine::Engine as _;
use sha2::Digest;
use subtle::ConstantTimeEq;

use super::key::{Candidate, B64URL};
use super::{
    check_fresh, unix_ms, Algorithm, Freshness, Key, Message, Scheme, SignError, TimestampSource,
    Trace, Verified, VerifyError,
};
use crate::verify::scheme::JwtRule;

/// Longer than any real sender's token; a header this size is not one.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// How long a token `sign` makes stays valid (the common sender's choice, monday.com's too).
const SIGN_TTL_SECS: i64 = 300;

/// A token split and its header checked; the signature not yet.
struct Parsed<'t> {
    signing_input: &'t [u8],
    payload_b64: &'t str,
    sig: Vec<u8>,
    kid: Option<String>,
}

fn malformed(why: &'static str) -> VerifyError {
    VerifyError::MalformedSignature(why)
}

fn parse<'t>(token: &'t [u8], want: &str) -> Result<Parsed<'t>, VerifyError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed("the token is too long"));
    }
    let text = std::str::from_utf8(token).map_err(|_| malformed("not a JWT"))?;
    let mut parts = text.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("not a JWT (header.payload.signature)"));
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(malformed("not a JWT (an empty part)"));
    }
    let header = B64URL
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .ok_or(malformed("the token's header is not base64url JSON"))?;
    let header = header
        .as_object()
        .ok_or(malformed("the token's header is not a JSON object"))?;
    // The route's algorithm, never the token's: `none`, or HS256 signed with a public key
    // posing as the secret, stop here.
    if header.get("alg").and_then(|a| a.as_str()) != Some(want) {
        return Err(malformed("the token's alg is not the route's algorithm"));
    }
    // RFC 7515 4.1.11: an extension hookgate does not implement (`b64: false`...) must fail.
    if header.contains_key("crit") {
        return Err(malformed("the token has critical header extensions"));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(serde_json::Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(malformed("the token's kid is not a string")),
    };
    let sig = B64URL
        .decode(s)
        .map_err(|_| malformed("the token's signature is not base64url"))?;
    Ok(Parsed {
        signing_input: &token[..h.len() + 1 + p.len()],
        payload_b64: p,
        sig,
        kid,
    })
}

/// The `kid` of a well-formed token of algorithm `want`, unverified.
pub(super) fn kid(token: &[u8], want: &str) -> Option<String> {
    parse(token, want).ok()?.kid
}

/// Checks the JWT candidates against the route's keys, then the first verified token's
/// claims.
pub(super) fn verify(
    scheme: &Scheme,
    keys: &[Key],
    tokens: &[Candidate],
    msg: &Message<'_>,
    freshness: Freshness,
    now: SystemTime,
    trace: &mut Trace,
) -> Result<Verified, VerifyError> {
    let alg = scheme.algorithm;
    let want = alg
        .jws_alg()
        .ok_or(malformed("the route's algorithm is not a JWT one"))?;
    let mut err = malformed("not a JWT");
    for token in tokens {
        let parsed = match parse(&token.bytes, want) {
            Ok(p) => p,
            Err(e) => {
                if err != VerifyError::Mismatch {
                    err = e;
                }
                continue;
            }
        };
        let found = keys.iter().position(|k| {
            k.usable_at(now)
                && k.handles(alg)
                && k.answers_kid(parsed.kid.as_deref())
                && k.verifies_jws(alg, parsed.signing_input, &parsed.sig)
        });
        trace.keys_tried = trace.keys_tried.max(found.map_or(keys.len(), |i| i + 1));
        let Some(key_index) = found else {
            err = VerifyError::Mismatch;
            continue;
        };
        trace.matched = Some(key_index);
        return claims(scheme, &parsed, key_index, msg, freshness, now, trace);
    }
    Err(err)
}

/// A NumericDate claim (seconds, possibly fractional) in milliseconds.
fn numeric_date_ms(v: &serde_json::Value) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return n.checked_mul(1000);
    }
    let f = v.as_f64()?;
    // Beyond ±2^53 ms a float is not a time anyone signs.
    (f.is_finite() && f.abs() < 9.0e12).then(|| (f * 1000.0).floor() as i64)
}

fn claims(
    scheme: &Scheme,
    parsed: &Parsed<'_>,
    key_index: usize,
    msg: &Message<'_>,
    freshness: Freshness,
    now: SystemTime,
    trace: &mut Trace,
) -> Result<Verified, VerifyError> {
    let default = JwtRule::default();
    let rule = scheme.jwt.as_ref().unwrap_or(&default);
    let claims = B64URL
        .decode(parsed.payload_b64)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .ok_or(malformed("the token's claims are not base64url JSON"))?;
    let claims = claims
        .as_object()
        .ok_or(malformed("the token's claims are not a JSON object"))?;

    // The body, through its hash: a changed body is a forgery like a wrong key.
    if let Some(name) = &rule.body_sha256_claim {
        let actual = hex::encode(sha2::Sha256::digest(msg.body));
        let claimed = claims
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if !bool::from(actual.as_bytes().ct_eq(claimed.as_bytes())) {
            return Err(VerifyError::Mismatch);
        }
    }
    if let Some(want) = &rule.issuer {
        if !claims
            .get("iss")
            .and_then(|v| v.as_str())
            .is_some_and(|iss| want.accepts(iss))
        {
            return Err(malformed("the token's iss is not the route's issuer"));
        }
    }
    if let Some(want) = &rule.audience {
        let ok = match claims.get("aud") {
            Some(serde_json::Value::String(a)) => a == want,
            Some(serde_json::Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(want)),
            _ => false,
        };
        if !ok {
            return Err(malformed("the token's aud is not the route's audience"));
        }
    }
    // Named, never quoted: the value may be an account the operator would rather not log.
    if let Some((name, _)) = rule
        .claims
        .iter()
        .find(|(name, want)| !want.matches(claims.get(name)))
    {
        return Err(VerifyError::ClaimMismatch(name.clone()));
    }

    let now_ms = unix_ms(now);
    let leeway_ms = i64::try_from(freshness.max_future_skew.as_millis()).unwrap_or(i64::MAX);
    let mut verified = Verified {
        key_index,
        signed_at_ms: None,
        skew_seconds: None,
        id: None,
    };
    let bad_time = |what: &str| VerifyError::InvalidTimestamp(format!("the token's {what}"));
    // `iat` first: when it is the signed time, a stale token is reported as stale even when
    // its `exp` has passed too.
    if matches!(
        scheme.timestamp.as_ref().map(|t| &t.source),
        Some(TimestampSource::JwtIat)
    ) {
        let iat = claims
            .get("iat")
            .ok_or_else(|| bad_time("iat claim is missing"))?;
        let ts_ms = numeric_date_ms(iat).ok_or_else(|| bad_time("iat is not a NumericDate"))?;
        let skew = now_ms.saturating_sub(ts_ms) as f64 / 1000.0;
        trace.skew_seconds = Some(skew);
        check_fresh(ts_ms, now_ms, freshness)?;
        verified.signed_at_ms = Some(ts_ms);
        verified.skew_seconds = Some(skew);
    }
    match claims.get("exp") {
        Some(exp) => {
            let exp_ms =
                numeric_date_ms(exp).ok_or_else(|| bad_time("exp is not a NumericDate"))?;
            if now_ms > exp_ms.saturating_add(leeway_ms) {
                let ago = now_ms.saturating_sub(exp_ms) / 1000;
                return Err(bad_time(&format!("exp passed {ago}s ago")));
            }
        }
        None if rule.require_exp => return Err(bad_time("exp claim is missing")),
        None => {}
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf_ms = numeric_date_ms(nbf).ok_or_else(|| bad_time("nbf is not a NumericDate"))?;
        if nbf_ms.saturating_sub(leeway_ms) > now_ms {
            let ahead = nbf_ms.saturating_sub(now_ms) / 1000;
            return Err(bad_time(&format!(
                "nbf is {ahead}s ahead of our clock (check the clocks)"
            )));
        }
    }
    Ok(verified)
}

/// An HS256 token for `body` as the route's sender would make it: the rule's (first) issuer,
/// audience, required claims and body hash, and `iat`/`exp` when the scheme checks them.
pub(super) fn sign_hs256(
    scheme: &Scheme,
    key: &Key,
    body: &[u8],
    now_ms: i64,
) -> Result<String, SignError> {
    if scheme.algorithm != Algorithm::JwtHs256 {
        return Err(SignError::Unsupported(
            "the route holds the sender's public key, not a signing key",
        ));
    }
    let default = JwtRule::default();
    let rule = scheme.jwt.as_ref().unwrap_or(&default);
    let mut claims = serde_json::Map::new();
    if let Some(iss) = rule.issuer.as_ref().and_then(|i| i.first()) {
        claims.insert("iss".into(), iss.into());
    }
    for (name, value) in &rule.claims {
        claims.insert(name.clone(), value.to_json());
    }
    if let Some(aud) = &rule.audience {
        claims.insert("aud".into(), aud.clone().into());
    }
    if let Some(name) = &rule.body_sha256_claim {
        claims.insert(name.clone(), hex::encode(sha2::Sha256::digest(body)).into());
    }
    let now_s = now_ms.div_euclid(1000);
    let timed = matches!(
        scheme.timestamp.as_ref().map(|t| &t.source),
        Some(TimestampSource::JwtIat)
    );
    if timed {
        claims.insert("iat".into(), now_s.into());
    }
    if timed || rule.require_exp {
        claims.insert("exp".into(), (now_s + SIGN_TTL_SECS).into());
    }
    let header = B64URL_NOPAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = B64URL_NOPAD.encode(serde_json::Value::Object(claims).to_string());
    let input = format!("{header}.{payload}");
    let mac = key
        .mac(Algorithm::HmacSha256, &[input.as_bytes()])
        .ok_or(SignError::Unsupported("not an HMAC key"))?;
    Ok(format!("{input}.{}", B64URL_NOPAD.encode(mac)))
}

const B64URL_NOPAD: base64::engine::GeneralPurpose =
    base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[cfg(test)]
pub(crate) mod tests;
