//! `parse_jwks`: sets built here from the PEM test keys beside `jwt.rs` (made for tests with
//! openssl, they sign nothing else), tokens signed with them checked through `verify`.

use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::engine::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use rsa::traits::PublicKeyParts;
use serde_json::json;

use crate::verify::*;

const RSA_PRIVATE: &str = include_str!("../jwt/test_rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("../jwt/test_rsa_public.pem");
const P256_PRIVATE: &str = include_str!("../jwt/test_p256_private.pem");
const P256_PUBLIC: &str = include_str!("../jwt/test_p256_public.pem");

const NOW: u64 = 1_764_000_000;

fn der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).unwrap()
}

fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The test RSA public key as a JWK, with `extra` members merged in.
fn rsa_jwk(extra: serde_json::Value) -> serde_json::Value {
    use rsa::pkcs8::DecodePublicKey;
    let pk = rsa::RsaPublicKey::from_public_key_der(&der(RSA_PUBLIC)).unwrap();
    let mut jwk = json!({
        "kty": "RSA",
        "n": b64u(&pk.n().to_bytes_be()),
        "e": b64u(&pk.e().to_bytes_be()),
    });
    merge(&mut jwk, extra);
    jwk
}

/// The test P-256 public key as a JWK, with `extra` members merged in.
fn ec_jwk(extra: serde_json::Value) -> serde_json::Value {
    use p256::pkcs8::DecodePublicKey;
    let pk = p256::ecdsa::VerifyingKey::from_public_key_der(&der(P256_PUBLIC)).unwrap();
    let point = pk.to_encoded_point(false);
    let mut jwk = json!({
        "kty": "EC",
        "crv": "P-256",
        "x": b64u(point.x().unwrap()),
        "y": b64u(point.y().unwrap()),
    });
    merge(&mut jwk, extra);
    jwk
}

fn merge(into: &mut serde_json::Value, extra: serde_json::Value) {
    let (Some(into), serde_json::Value::Object(extra)) = (into.as_object_mut(), extra) else {
        panic!("objects only");
    };
    into.extend(extra);
}

fn set(keys: &[serde_json::Value]) -> Vec<u8> {
    json!({ "keys": keys }).to_string().into_bytes()
}

/// A compact JWS of `claims` with header `{alg, kid?}`, signed with the test private key.
fn token(alg: Algorithm, kid: Option<&str>, claims: &serde_json::Value) -> String {
    let mut header = json!({"alg": alg.jws_alg().unwrap(), "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let input = format!(
        "{}.{}",
        b64u(header.to_string().as_bytes()),
        b64u(claims.to_string().as_bytes())
    );
    let sig = match alg {
        Algorithm::JwtRs256 => {
            use rsa::pkcs8::DecodePrivateKey;
            use rsa::signature::{SignatureEncoding, Signer};
            let sk = rsa::RsaPrivateKey::from_pkcs8_der(&der(RSA_PRIVATE)).unwrap();
            rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(sk)
                .sign(input.as_bytes())
                .to_vec()
        }
        _ => {
            use p256::ecdsa::signature::Signer;
            use p256::pkcs8::DecodePrivateKey;
            let sk = p256::ecdsa::SigningKey::from_pkcs8_der(&der(P256_PRIVATE)).unwrap();
            let sig: p256::ecdsa::Signature = sk.sign(input.as_bytes());
            sig.to_bytes().to_vec()
        }
    };
    format!("{input}.{}", b64u(&sig))
}

fn scheme(alg: Algorithm) -> Scheme {
    Scheme {
        algorithm: alg,
        headers: vec![HeaderSet {
            signature: HeaderName::from_static("authorization"),
            timestamp: None,
            id: None,
        }],
        jwt: Some(JwtRule::default()),
        ..Scheme::default()
    }
}

fn run(alg: Algorithm, keys: &[Key], token: &str) -> Result<Verified, VerifyError> {
    let mut map = HeaderMap::new();
    map.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let (method, uri) = (Method::POST, Uri::from_static("/hook"));
    let msg = Message::new(&method, &uri, &map, b"{}", None);
    let fresh = Freshness {
        max_age: Duration::from_secs(300),
        max_future_skew: Duration::from_secs(60),
    };
    verify(
        &scheme(alg),
        keys,
        &msg,
        fresh,
        UNIX_EPOCH + Duration::from_secs(NOW),
    )
}

fn claims() -> serde_json::Value {
    json!({"iss": "https://accounts.google.com", "iat": NOW - 10, "exp": NOW + 3590})
}

/// The kids of parsed keys, through `Debug` (the only place a key shows it).
fn kids(keys: &[Key]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            assert_eq!(&*k.id, "jwks");
            let dbg = format!("{k:?}");
            let start = dbg.find("kid: ").unwrap() + 5;
            let rest = &dbg[start..];
            rest[..rest.find(", kind").unwrap()].to_owned()
        })
        .collect()
}

#[test]
fn an_rsa_set_verifies_tokens_by_kid() {
    let body = set(&[
        rsa_jwk(json!({"kid": "k1", "use": "sig", "alg": "RS256"})),
        // The same key under other labels: each must be skipped.
        rsa_jwk(json!({"kid": "enc", "use": "enc"})),
        rsa_jwk(json!({"kid": "rs512", "alg": "RS512"})),
        ec_jwk(json!({"kid": "ec"})),
        rsa_jwk(json!({})),
        json!("not an object"),
        json!({"kty": "RSA", "kid": "no-n", "e": "AQAB"}),
    ]);
    let keys = parse_jwks(&body, Algorithm::JwtRs256).unwrap();
    assert_eq!(kids(&keys), [r#"Some("k1")"#]);

    let alg = Algorithm::JwtRs256;
    assert_eq!(
        run(alg, &keys, &token(alg, Some("k1"), &claims()))
            .unwrap()
            .key_index,
        0
    );
    // A token naming no kid is checked with every key.
    assert!(run(alg, &keys, &token(alg, None, &claims())).is_ok());
    // A kid the set does not have: no key may check it.
    assert_eq!(
        run(alg, &keys, &token(alg, Some("k2"), &claims())),
        Err(VerifyError::Mismatch)
    );
    // An ES256 token is refused by the RS256 route before any key.
    assert!(matches!(
        run(
            alg,
            &keys,
            &token(Algorithm::JwtEs256, Some("k1"), &claims())
        ),
        Err(VerifyError::MalformedSignature(_))
    ));
}

#[test]
fn an_ec_set_verifies_tokens_by_kid() {
    let body = set(&[
        rsa_jwk(json!({"kid": "rsa"})),
        ec_jwk(json!({"kid": "e1", "use": "sig", "alg": "ES256"})),
        ec_jwk(json!({"kid": "e2"})),
        ec_jwk(json!({"kid": "p384", "crv": "P-384"})),
        ec_jwk(json!({"kid": "es384", "alg": "ES384"})),
        ec_jwk(json!({"kid": "short-x", "x": b64u(&[1; 31])})),
        // Coordinates that are not a point on the curve.
        ec_jwk(json!({"kid": "off-curve", "y": b64u(&[7; 32])})),
    ]);
    let keys = parse_jwks(&body, Algorithm::JwtEs256).unwrap();
    assert_eq!(kids(&keys), [r#"Some("e1")"#, r#"Some("e2")"#]);

    let alg = Algorithm::JwtEs256;
    assert_eq!(
        run(alg, &keys, &token(alg, Some("e2"), &claims()))
            .unwrap()
            .key_index,
        1
    );
    assert_eq!(
        run(alg, &keys, &token(alg, Some("nope"), &claims())),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn a_key_without_kid_counts_only_alone() {
    let alone = parse_jwks(&set(&[rsa_jwk(json!({}))]), Algorithm::JwtRs256).unwrap();
    assert_eq!(kids(&alone), ["None"]);
    let alg = Algorithm::JwtRs256;
    assert!(run(alg, &alone, &token(alg, Some("any"), &claims())).is_ok());
    // Among several, a kid-less key could not be told apart: skipped.
    let e = parse_jwks(
        &set(&[rsa_jwk(json!({})), ec_jwk(json!({"kid": "ec"}))]),
        Algorithm::JwtRs256,
    )
    .unwrap_err();
    assert!(e.contains("no usable RS256"), "{e}");
    // An empty kid is no kid.
    assert!(parse_jwks(
        &set(&[rsa_jwk(json!({"kid": ""})), rsa_jwk(json!({"kid": 7}))]),
        Algorithm::JwtRs256
    )
    .is_err());
}

#[test]
fn short_rsa_moduli_are_refused() {
    // An odd 1024-bit number: `parse_jwks` must refuse it by size alone.
    let mut n = vec![0xc5; 128];
    n[127] |= 1;
    let weak = json!({"kty": "RSA", "kid": "weak", "n": b64u(&n), "e": "AQAB"});
    let e = parse_jwks(&set(std::slice::from_ref(&weak)), Algorithm::JwtRs256).unwrap_err();
    assert!(e.contains("2048"), "{e}");
    // Next to a strong key, only the strong one is kept.
    let keys = parse_jwks(
        &set(&[weak, rsa_jwk(json!({"kid": "ok"}))]),
        Algorithm::JwtRs256,
    )
    .unwrap();
    assert_eq!(kids(&keys), [r#"Some("ok")"#]);
}

#[test]
fn garbage_is_refused_without_quoting_it() {
    let secretish = "SHOULD-NOT-APPEAR";
    let bodies: Vec<Vec<u8>> = vec![
        secretish.as_bytes().to_vec(),
        format!(r#"{{"keys": "{secretish}"}}"#).into_bytes(),
        format!(r#"{{"kty": "RSA", "n": "{secretish}"}}"#).into_bytes(),
        format!(r#"["{secretish}"]"#).into_bytes(),
        br#"{"keys": []}"#.to_vec(),
        format!(r#"{{"keys": [{{"kty": "RSA", "kid": "{secretish}", "n": "!!", "e": "AQAB"}}]}}"#)
            .into_bytes(),
        Vec::new(),
        vec![0xff, 0xfe, 0x00],
    ];
    for body in &bodies {
        for alg in [Algorithm::JwtRs256, Algorithm::JwtEs256] {
            let e = parse_jwks(body, alg).unwrap_err();
            assert!(!e.contains(secretish), "{e}");
        }
    }
    // Only JWT public-key routes take a JWK Set.
    let rsa = set(&[rsa_jwk(json!({"kid": "k"}))]);
    assert!(parse_jwks(&rsa, Algorithm::JwtHs256).is_err());
    assert!(parse_jwks(&rsa, Algorithm::HmacSha256).is_err());
}

#[test]
fn at_most_64_keys_are_read() {
    let mut keys: Vec<serde_json::Value> = (0..64)
        .map(|i| json!({"kty": "oct", "kid": format!("o{i}"), "k": "AAAA"}))
        .collect();
    keys.push(rsa_jwk(json!({"kid": "late"})));
    assert!(parse_jwks(&set(&keys), Algorithm::JwtRs256).is_err());
    keys.remove(0);
    assert_eq!(
        kids(&parse_jwks(&set(&keys), Algorithm::JwtRs256).unwrap()),
        [r#"Some("late")"#]
    );
}
