//! JWK Sets (RFC 7517 section 5): a sender's published public keys (Google's
//! `https://www.googleapis.com/oauth2/v3/certs`) turned into the route's `Key`s, each answering
//! to its `kid`. Pure: the fetcher hands the body in, and gets keys or a short reason back.

use std::sync::Arc;

use base64::engine::Engine as _;

use super::key::B64URL;
use super::{Algorithm, Key};

/// JWKs read from one set: a real sender publishes two or three (the current key and the
/// next); a set of thousands is not one, and must not cost thousands of key builds.
const MAX_KEYS: usize = 64;

/// RSA moduli shorter than this are refused (NIST SP 800-57: 2048 bits at least; RS256 keys
/// below it are factorable by a determined attacker).
const MIN_RSA_BITS: usize = 2048;

/// The label every JWKS key carries in `Key::id`, so metrics and logs say which route secret
/// matched by a bounded name (a `kid` is the sender's choice, unbounded).
const KEY_ID: &str = "jwks";

/// The keys of a JWK Set usable for `alg` (`jwt-rs256`: `kty: RSA`; `jwt-es256`: `kty: EC`,
/// `crv: P-256`). Keys meant for something else (`use` other than `sig`, an `alg` other than
/// the route's) or of another type are skipped. Each key answers to its `kid`; a key without
/// one is kept (answering any token) only when it is the set's only key, since among several
/// it could not be told apart. Errors are short and never quote the body (it came from the
/// network).
pub fn parse_jwks(body: &[u8], alg: Algorithm) -> Result<Vec<Key>, String> {
    let (kty, jws_alg) = match alg {
        Algorithm::JwtRs256 => ("RSA", "RS256"),
        Algorithm::JwtEs256 => ("EC", "ES256"),
        other => {
            return Err(format!(
                "a JWK Set holds public keys for jwt-rs256 or jwt-es256, not {}",
                other.as_str()
            ))
        }
    };
    let set: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the JWK Set is not JSON".to_owned())?;
    let list = set
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| "the body is not a JWK Set (no `keys` list)".to_owned())?;
    let only_one = list.len() == 1;
    let id: Arc<str> = Arc::from(KEY_ID);
    let mut keys = Vec::new();
    for jwk in list.iter().take(MAX_KEYS) {
        let Some(jwk) = jwk.as_object() else { continue };
        let text = |name: &str| jwk.get(name).and_then(serde_json::Value::as_str);
        if text("kty") != Some(kty) {
            continue;
        }
        // RFC 7517 4.2 / 4.4: a key published for encryption, or for another algorithm, is
        // not one a token of ours may be checked with.
        if jwk.get("use").is_some_and(|u| u.as_str() != Some("sig"))
            || jwk.get("alg").is_some_and(|a| a.as_str() != Some(jws_alg))
        {
            continue;
        }
        let kid = match jwk.get("kid") {
            Some(serde_json::Value::String(k)) if !k.is_empty() => Some(k.as_str()),
            None if only_one => None,
            _ => continue,
        };
        let built = match alg {
            Algorithm::JwtRs256 => rsa_key(&id, text("n"), text("e")),
            _ => p256_key(&id, text("crv"), text("x"), text("y")),
        };
        let Some(key) = built else { continue };
        keys.push(match kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        });
    }
    if keys.is_empty() {
        let kind = if alg == Algorithm::JwtRs256 {
            "kty RSA of at least 2048 bits"
        } else {
            "kty EC, crv P-256"
        };
        return Err(format!(
            "the JWK Set has no usable {jws_alg} signing key ({kind}, with a kid unless it is the only key)"
        ));
    }
    Ok(keys)
}

/// An RSA JWK's modulus and exponent (base64url big-endian integers, RFC 7518 6.3.1).
fn rsa_key(id: &Arc<str>, n: Option<&str>, e: Option<&str>) -> Option<Key> {
    let n = B64URL.decode(n?).ok()?;
    let e = B64URL.decode(e?).ok()?;
    let n = rsa::BigUint::from_bytes_be(&n);
    if n.bits() < MIN_RSA_BITS {
        return None;
    }
    // `new` also refuses an exponent out of range and moduli beyond 4096 bits.
    let key = rsa::RsaPublicKey::new(n, rsa::BigUint::from_bytes_be(&e)).ok()?;
    Some(Key::rsa(Arc::clone(id), key))
}

/// A P-256 JWK's coordinates (32-byte base64url each, RFC 7518 6.2.1), as the uncompressed
/// SEC1 point `04 || x || y`; a point off the curve is refused by `from_sec1_bytes`.
fn p256_key(id: &Arc<str>, crv: Option<&str>, x: Option<&str>, y: Option<&str>) -> Option<Key> {
    if crv? != "P-256" {
        return None;
    }
    let x = B64URL.decode(x?).ok()?;
    let y = B64URL.decode(y?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).ok()?;
    Some(Key::p256(Arc::clone(id), key))
}

#[cfg(test)]
mod tests;
