//! JWT and Basic auth schemes through `verify`, with a fixed clock: what must be refused
//! (wrong or `none` alg, algorithm confusion, expired, wrong iss/aud, a changed body under a
//! body-hash claim, a wrong key) and what must pass. The PEM keys beside this file were made
//! for these tests with openssl and sign nothing else.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::engine::Engine as _;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use sha2::Digest;

use crate::secret::Secret;
use crate::verify::*;

const RSA_PRIVATE: &str = include_str!("test_rsa_private.pem");
pub(crate) const RSA_PUBLIC: &str = include_str!("test_rsa_public.pem");
const P256_PRIVATE: &str = include_str!("test_p256_private.pem");
const P256_PUBLIC: &str = include_str!("test_p256_public.pem");

const FRESH: Freshness = Freshness {
    max_age: Duration::from_secs(300),
    max_future_skew: Duration::from_secs(60),
};
pub(crate) const NOW: u64 = 1_764_000_000;
pub(crate) const BODY: &[u8] = br#"{"id":"dep_1","state":"ready"}"#;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD.decode(b64).unwrap()
}

fn scheme(alg: Algorithm, rule: JwtRule, iat: bool) -> Scheme {
    Scheme {
        algorithm: alg,
        headers: vec![HeaderSet {
            signature: HeaderName::from_static("authorization"),
            timestamp: None,
            id: None,
        }],
        jwt: Some(rule),
        timestamp: iat.then_some(TimestampRule {
            source: TimestampSource::JwtIat,
            format: TimestampFormat::Unix,
        }),
        ..Scheme::default()
    }
}

fn hs(rule: JwtRule) -> Scheme {
    scheme(Algorithm::JwtHs256, rule, false)
}

fn key(secret: &str, scheme: &Scheme) -> Key {
    Key::new(Arc::from("k"), &Secret::new(secret), scheme).unwrap()
}

fn b64(v: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn hs256_token(header: serde_json::Value, claims: serde_json::Value, secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(&header), b64(&claims));
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    m.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    )
}

pub(crate) fn hs256(claims: serde_json::Value, secret: &str) -> String {
    hs256_token(
        serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        secret.as_bytes(),
    )
}

fn rs256(claims: serde_json::Value) -> String {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let sk = rsa::RsaPrivateKey::from_pkcs8_der(&der(RSA_PRIVATE)).unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(sk);
    let input = format!(
        "{}.{}",
        b64(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        b64(&claims)
    );
    let sig = signer.sign(input.as_bytes()).to_vec();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn es256(claims: serde_json::Value, as_der: bool) -> String {
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::DecodePrivateKey;
    let sk = p256::ecdsa::SigningKey::from_pkcs8_der(&der(P256_PRIVATE)).unwrap();
    let input = format!(
        "{}.{}",
        b64(&serde_json::json!({"alg": "ES256", "typ": "JWT"})),
        b64(&claims)
    );
    let sig: p256::ecdsa::Signature = sk.sign(input.as_bytes());
    let bytes = if as_der {
        sig.to_der().as_bytes().to_vec()
    } else {
        sig.to_bytes().to_vec()
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub(crate) fn run(
    scheme: &Scheme,
    keys: &[Key],
    auth: &str,
    body: &[u8],
    now: u64,
) -> Result<Verified, VerifyError> {
    let mut map = HeaderMap::new();
    map.insert(
        scheme.headers[0].signature.clone(),
        HeaderValue::from_str(auth).unwrap(),
    );
    let method = Method::POST;
    let uri = Uri::from_static("/hook");
    let msg = Message::new(&method, &uri, &map, body, None);
    verify(scheme, keys, &msg, FRESH, at(now))
}

pub(crate) fn netlify_rule() -> JwtRule {
    JwtRule {
        issuer: Some("netlify".into()),
        body_sha256_claim: Some("sha256".into()),
        ..JwtRule::default()
    }
}

fn netlify_claims(body: &[u8]) -> serde_json::Value {
    serde_json::json!({"iss": "netlify", "sha256": hex::encode(sha2::Sha256::digest(body))})
}

pub(crate) fn malformed(r: Result<Verified, VerifyError>) -> bool {
    matches!(r, Err(VerifyError::MalformedSignature(_)))
}

#[test]
fn hs256_with_body_hash_claim_verifies_and_bearer_is_optional() {
    let s = hs(netlify_rule());
    let ks = [key("jws-secret", &s)];
    let t = hs256(netlify_claims(BODY), "jws-secret");
    let v = run(&s, &ks, &t, BODY, NOW).unwrap();
    assert_eq!((v.key_index, v.signed_at_ms, v.id), (0, None, None));
    assert!(run(&s, &ks, &format!("Bearer {t}"), BODY, NOW).is_ok());
    assert!(run(&s, &ks, &format!("bearer {t}"), BODY, NOW).is_ok());
    // Upper-case hex in the claim is the same hash.
    let upper = serde_json::json!({"iss": "netlify", "sha256": hex::encode_upper(sha2::Sha256::digest(BODY))});
    assert!(run(&s, &ks, &hs256(upper, "jws-secret"), BODY, NOW).is_ok());
}

#[test]
fn a_changed_body_under_a_body_hash_claim_is_a_forgery() {
    let s = hs(netlify_rule());
    let ks = [key("jws-secret", &s)];
    let t = hs256(netlify_claims(BODY), "jws-secret");
    let mut changed = BODY.to_vec();
    changed[5] ^= 1;
    assert_eq!(run(&s, &ks, &t, &changed, NOW), Err(VerifyError::Mismatch));
    assert_eq!(run(&s, &ks, &t, b"", NOW), Err(VerifyError::Mismatch));
    // A token without the claim proves nothing about the body.
    let bare = hs256(serde_json::json!({"iss": "netlify"}), "jws-secret");
    assert_eq!(run(&s, &ks, &bare, BODY, NOW), Err(VerifyError::Mismatch));
    assert!(s.signs_body());
    assert!(!hs(JwtRule::default()).signs_body());
}

#[test]
fn wrong_key_is_a_mismatch_and_rotation_finds_the_new_one() {
    let s = hs(netlify_rule());
    let t = hs256(netlify_claims(BODY), "new-secret");
    assert_eq!(
        run(&s, &[key("old-secret", &s)], &t, BODY, NOW),
        Err(VerifyError::Mismatch)
    );
    let v = run(
        &s,
        &[key("old-secret", &s), key("new-secret", &s)],
        &t,
        BODY,
        NOW,
    )
    .unwrap();
    assert_eq!(v.key_index, 1);
    assert_eq!(run(&s, &[], &t, BODY, NOW), Err(VerifyError::Mismatch));
}

#[test]
fn alg_none_and_any_other_alg_are_refused() {
    let s = hs(netlify_rule());
    let ks = [key("jws-secret", &s)];
    let claims = netlify_claims(BODY);
    // `none`, unsigned or with a signature part.
    let none = format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "none"})),
        b64(&claims)
    );
    assert!(malformed(run(&s, &ks, &none, BODY, NOW)));
    let none_sig = format!("{none}AAAA");
    assert!(malformed(run(&s, &ks, &none_sig, BODY, NOW)));
    for alg in ["HS384", "HS512", "hs256", "RS256", "ES256", ""] {
        let t = hs256_token(
            serde_json::json!({"alg": alg}),
            claims.clone(),
            b"jws-secret",
        );
        assert!(malformed(run(&s, &ks, &t, BODY, NOW)), "{alg}");
    }
    let no_alg = hs256_token(
        serde_json::json!({"typ": "JWT"}),
        claims.clone(),
        b"jws-secret",
    );
    assert!(malformed(run(&s, &ks, &no_alg, BODY, NOW)));
    // An extension hookgate does not implement.
    let crit = hs256_token(
        serde_json::json!({"alg": "HS256", "b64": false, "crit": ["b64"]}),
        claims,
        b"jws-secret",
    );
    assert!(malformed(run(&s, &ks, &crit, BODY, NOW)));
}

#[test]
fn key_confusion_hs256_made_with_the_rsa_public_key_is_refused() {
    // The route trusts the sender's RSA public key; an attacker who has it (it is public)
    // signs an HS256 token using the PEM text as the HMAC secret.
    let s = scheme(Algorithm::JwtRs256, JwtRule::default(), false);
    let ks = [key(RSA_PUBLIC, &s)];
    let forged = hs256_token(
        serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        serde_json::json!({"sub": "x"}),
        RSA_PUBLIC.as_bytes(),
    );
    assert!(malformed(run(&s, &ks, &forged, BODY, NOW)));
    // Even named RS256, an HMAC is not an RSA signature.
    let relabelled = hs256_token(
        serde_json::json!({"alg": "RS256"}),
        serde_json::json!({"sub": "x"}),
        RSA_PUBLIC.as_bytes(),
    );
    assert_eq!(
        run(&s, &ks, &relabelled, BODY, NOW),
        Err(VerifyError::Mismatch)
    );
    // And a public key configured as an HS256 secret is refused outright.
    let hs_scheme = hs(JwtRule::default());
    for pem in [RSA_PUBLIC, P256_PUBLIC] {
        let e = Key::new(Arc::from("k"), &Secret::new(pem), &hs_scheme).unwrap_err();
        assert_eq!(e, KeyError::PemAsHmacSecret);
    }
}

#[test]
fn rs256_and_es256_verify_with_public_keys() {
    let claims = serde_json::json!({"iss": "https://accounts.google.com", "aud": "https://hooks.example.com/push"});
    let rule = JwtRule {
        issuer: Some("https://accounts.google.com".into()),
        audience: Some("https://hooks.example.com/push".into()),
        ..JwtRule::default()
    };
    let rs = scheme(Algorithm::JwtRs256, rule.clone(), false);
    let rk = [key(RSA_PUBLIC, &rs)];
    let t = rs256(claims.clone());
    assert!(run(&rs, &rk, &format!("Bearer {t}"), BODY, NOW).is_ok());
    // A bit flipped in the signature.
    let mut bad = t.clone().into_bytes();
    let last = bad.len() - 3;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        run(&rs, &rk, std::str::from_utf8(&bad).unwrap(), BODY, NOW),
        Err(VerifyError::Mismatch)
    );

    let es = scheme(Algorithm::JwtEs256, rule, false);
    let ek = [key(P256_PUBLIC, &es)];
    assert!(run(&es, &ek, &es256(claims.clone(), false), BODY, NOW).is_ok());
    // JWS ES256 is r || s; a DER signature is not one.
    assert_eq!(
        run(&es, &ek, &es256(claims.clone(), true), BODY, NOW),
        Err(VerifyError::Mismatch)
    );
    // An RS256 token on an ES256 route names the wrong alg.
    assert!(malformed(run(&es, &ek, &rs256(claims), BODY, NOW)));
    // Private keys are refused as route secrets.
    for (alg, pem) in [
        (Algorithm::JwtRs256, RSA_PRIVATE),
        (Algorithm::JwtEs256, P256_PRIVATE),
    ] {
        let s = scheme(alg, JwtRule::default(), false);
        let e = Key::new(Arc::from("k"), &Secret::new(pem), &s).unwrap_err();
        assert_eq!(e, KeyError::PemPrivateKey);
    }
    // Bare base64 DER works as well as PEM.
    let bare = STANDARD.encode(der(RSA_PUBLIC));
    assert!(Key::new(Arc::from("k"), &Secret::new(bare), &rs).is_ok());
    assert_eq!(
        Key::new(Arc::from("k"), &Secret::new(P256_PUBLIC), &rs).unwrap_err(),
        KeyError::NotRsa
    );
}

#[test]
fn wrong_iss_or_aud_is_refused() {
    let rule = JwtRule {
        issuer: Some("netlify".into()),
        audience: Some("https://hooks.example.com/hooks/monday".into()),
        ..JwtRule::default()
    };
    let s = hs(rule);
    let ks = [key("sec", &s)];
    let ok = |claims| run(&s, &ks, &hs256(claims, "sec"), BODY, NOW);
    assert!(ok(
        serde_json::json!({"iss": "netlify", "aud": "https://hooks.example.com/hooks/monday"})
    )
    .is_ok());
    assert!(ok(serde_json::json!({"iss": "netlify", "aud": ["other", "https://hooks.example.com/hooks/monday"]})).is_ok());
    for claims in [
        serde_json::json!({"iss": "netlify", "aud": "https://evil.example.com/hooks/monday"}),
        serde_json::json!({"iss": "netlify", "aud": ["other"]}),
        serde_json::json!({"iss": "netlify"}),
        serde_json::json!({"iss": "Netlify", "aud": "https://hooks.example.com/hooks/monday"}),
        serde_json::json!({"aud": "https://hooks.example.com/hooks/monday"}),
        serde_json::json!({"iss": 1, "aud": "https://hooks.example.com/hooks/monday"}),
    ] {
        assert!(malformed(ok(claims.clone())), "{claims}");
    }
    // Claims that are not an object, in a validly signed token.
    let t = hs256_token(
        serde_json::json!({"alg": "HS256"}),
        serde_json::json!([1, 2]),
        b"sec",
    );
    assert!(malformed(run(&s, &ks, &t, BODY, NOW)));
}

#[test]
fn issuer_may_be_a_list_of_spellings() {
    // Google signs with either spelling (google-auth's `_GOOGLE_ISSUERS`).
    let s = hs(JwtRule {
        issuer: Some(["accounts.google.com", "https://accounts.google.com"].into()),
        ..JwtRule::default()
    });
    let ks = [key("sec", &s)];
    let ok = |claims| run(&s, &ks, &hs256(claims, "sec"), BODY, NOW);
    assert!(ok(serde_json::json!({"iss": "accounts.google.com"})).is_ok());
    assert!(ok(serde_json::json!({"iss": "https://accounts.google.com"})).is_ok());
    for claims in [
        serde_json::json!({"iss": "https://accounts.google.com/"}),
        serde_json::json!({"iss": "http://accounts.google.com"}),
        serde_json::json!({"iss": ["accounts.google.com"]}),
        serde_json::json!({}),
    ] {
        assert!(malformed(ok(claims.clone())), "{claims}");
    }
}

#[test]
fn required_claims_must_be_present_and_equal() {
    let rule = JwtRule {
        claims: vec![
            (
                "email".into(),
                ClaimValue::Text("push@p.iam.gserviceaccount.com".into()),
            ),
            ("email_verified".into(), ClaimValue::Bool(true)),
        ],
        ..JwtRule::default()
    };
    let s = hs(rule);
    let ks = [key("sec", &s)];
    let ok = |claims| run(&s, &ks, &hs256(claims, "sec"), BODY, NOW);
    assert!(ok(serde_json::json!({
        "email": "push@p.iam.gserviceaccount.com",
        "email_verified": true,
        "sub": "1"
    }))
    .is_ok());
    for (claims, which) in [
        (
            serde_json::json!({"email": "evil@x.iam.gserviceaccount.com", "email_verified": true}),
            "email",
        ),
        (
            serde_json::json!({"email": "PUSH@p.iam.gserviceaccount.com", "email_verified": true}),
            "email",
        ),
        (serde_json::json!({"email_verified": true}), "email"),
        (
            serde_json::json!({"email": ["push@p.iam.gserviceaccount.com"], "email_verified": true}),
            "email",
        ),
        (
            serde_json::json!({"email": "push@p.iam.gserviceaccount.com", "email_verified": false}),
            "email_verified",
        ),
        // The text "true" is not the boolean the rule asks for.
        (
            serde_json::json!({"email": "push@p.iam.gserviceaccount.com", "email_verified": "true"}),
            "email_verified",
        ),
        (
            serde_json::json!({"email": "push@p.iam.gserviceaccount.com"}),
            "email_verified",
        ),
    ] {
        let e = ok(claims.clone()).unwrap_err();
        assert_eq!(e, VerifyError::ClaimMismatch(which.into()), "{claims}");
        // The message names the claim, never the value wanted or found.
        let text = e.to_string();
        assert!(text.contains(which) && !text.contains('@'), "{text}");
    }
    // A forgery is still a forgery first: claims are read only from a verified token.
    assert_eq!(
        run(
            &s,
            &ks,
            &hs256(serde_json::json!({"email_verified": true}), "other"),
            BODY,
            NOW
        ),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn exp_nbf_and_iat_hold_the_window() {
    let s = scheme(
        Algorithm::JwtHs256,
        JwtRule {
            require_exp: true,
            ..JwtRule::default()
        },
        true,
    );
    let ks = [key("sec", &s)];
    let iat = NOW as i64;
    let tok = |c| hs256(c, "sec");
    let monday = tok(serde_json::json!({"iat": iat, "exp": iat + 300, "aud": "x"}));
    let v = run(&s, &ks, &monday, BODY, NOW).unwrap();
    assert_eq!(v.signed_at_ms, Some(iat * 1000));
    assert_eq!(v.skew_seconds, Some(0.0));
    // The window's edges, then past them: iat decides first.
    assert!(run(&s, &ks, &monday, BODY, NOW + 300).is_ok());
    assert!(run(&s, &ks, &monday, BODY, NOW - 60).is_ok());
    assert_eq!(
        run(&s, &ks, &monday, BODY, NOW + 301),
        Err(VerifyError::TooOld {
            age_s: 301,
            max_s: 300
        })
    );
    assert_eq!(
        run(&s, &ks, &monday, BODY, NOW - 61),
        Err(VerifyError::TooNew {
            ahead_s: 61,
            max_s: 60
        })
    );
    // Expired: exp past by more than the skew leeway, even with a fresh iat.
    let short = tok(serde_json::json!({"iat": iat, "exp": iat + 10}));
    assert!(run(&s, &ks, &short, BODY, NOW + 70).is_ok());
    assert!(matches!(
        run(&s, &ks, &short, BODY, NOW + 71),
        Err(VerifyError::InvalidTimestamp(m)) if m.contains("exp passed")
    ));
    // Not yet valid.
    let later = tok(serde_json::json!({"iat": iat, "exp": iat + 300, "nbf": iat + 120}));
    assert!(matches!(
        run(&s, &ks, &later, BODY, NOW),
        Err(VerifyError::InvalidTimestamp(m)) if m.contains("nbf")
    ));
    // Missing or odd claims.
    for claims in [
        serde_json::json!({"exp": iat + 300}),
        serde_json::json!({"iat": iat}),
        serde_json::json!({"iat": "1764000000", "exp": iat + 300}),
        serde_json::json!({"iat": iat, "exp": "soon"}),
        serde_json::json!({"iat": 1e300, "exp": iat + 300}),
    ] {
        assert!(
            matches!(
                run(&s, &ks, &tok(claims.clone()), BODY, NOW),
                Err(VerifyError::InvalidTimestamp(_))
            ),
            "{claims}"
        );
    }
    // A fractional NumericDate.
    let frac = tok(serde_json::json!({"iat": iat as f64 + 0.5, "exp": iat + 300}));
    assert_eq!(
        run(&s, &ks, &frac, BODY, NOW + 1).unwrap().signed_at_ms,
        Some(iat * 1000 + 500)
    );
    // A forged stale token is reported as a forgery.
    assert_eq!(
        run(&s, &[key("other", &s)], &monday, BODY, NOW + 1000),
        Err(VerifyError::Mismatch)
    );
    // Without the iat rule and without exp required, a token with no times passes (Netlify).
    let untimed = hs(JwtRule::default());
    assert!(run(
        &untimed,
        &[key("sec", &untimed)],
        &tok(serde_json::json!({})),
        BODY,
        NOW
    )
    .is_ok());
}

#[test]
fn kid_narrows_the_keys_a_token_is_checked_with() {
    let s = hs(JwtRule::default());
    let a = key("sec-a", &s).with_kid("a");
    let b = key("sec-b", &s).with_kid("b");
    let t = hs256_token(
        serde_json::json!({"alg": "HS256", "kid": "b"}),
        serde_json::json!({}),
        b"sec-b",
    );
    assert_eq!(
        run(&s, &[a.clone(), b.clone()], &t, BODY, NOW)
            .unwrap()
            .key_index,
        1
    );
    assert_eq!(
        run(&s, std::slice::from_ref(&a), &t, BODY, NOW),
        Err(VerifyError::Mismatch)
    );
    // A key with kid "a" never checks a token naming "b", even with b's secret.
    let a_with_b_secret = key("sec-b", &s).with_kid("a");
    assert_eq!(
        run(&s, &[a_with_b_secret], &t, BODY, NOW),
        Err(VerifyError::Mismatch)
    );
    // Route secrets (no kid) check any token.
    assert!(run(&s, &[key("sec-b", &s)], &t, BODY, NOW).is_ok());
}

#[test]
fn junk_tokens_are_malformed_never_ok() {
    let s = hs(netlify_rule());
    let ks = [key("sec", &s)];
    for junk in [
        "x",
        "a.b",
        "a.b.c.d",
        "..",
        "Bearer",
        "Bearer ",
        "e30.e30.",
        ".e30.AAAA",
        "e30..AAAA",
        "!!!.e30.AAAA",
        "e30.e30.!!!",
    ] {
        assert!(
            matches!(
                run(&s, &ks, junk, BODY, NOW),
                Err(VerifyError::MalformedSignature(_))
            ),
            "{junk}"
        );
    }
    let huge = format!("e30.{}.AAAA", "A".repeat(20_000));
    assert!(malformed(run(&s, &ks, &huge, BODY, NOW)));
}

#[test]
fn sign_makes_what_verify_accepts() {
    for (s, timed) in [
        (hs(netlify_rule()), false),
        (
            scheme(
                Algorithm::JwtHs256,
                JwtRule {
                    audience: Some("https://h.example.com/m".into()),
                    require_exp: true,
                    ..JwtRule::default()
                },
                true,
            ),
            true,
        ),
        (
            hs(JwtRule {
                issuer: Some(["a.example", "https://a.example"].into()),
                claims: vec![
                    ("email".into(), ClaimValue::Text("x@y".into())),
                    ("email_verified".into(), ClaimValue::Bool(true)),
                ],
                ..JwtRule::default()
            }),
            false,
        ),
    ] {
        let k = key("sec", &s);
        let method = Method::POST;
        let uri = Uri::from_static("/hook");
        let input = SignInput {
            body: BODY,
            method: &method,
            uri: &uri,
            public_url: None,
            now: at(NOW),
            id: None,
        };
        let out = sign(&s, &k, &input).unwrap();
        let v = run(&s, &[k], &out[0].1, BODY, NOW).unwrap();
        assert_eq!(v.signed_at_ms.is_some(), timed);
    }
    // Public-key routes cannot sign.
    let rs = scheme(Algorithm::JwtRs256, JwtRule::default(), false);
    let method = Method::POST;
    let uri = Uri::from_static("/hook");
    let input = SignInput {
        body: BODY,
        method: &method,
        uri: &uri,
        public_url: None,
        now: at(NOW),
        id: None,
    };
    assert!(sign(&rs, &key(RSA_PUBLIC, &rs), &input).is_err());
}

// ---------------------------------------------------------------------------------------------
// Basic auth.

fn basic() -> Scheme {
    Scheme {
        algorithm: Algorithm::Basic,
        headers: vec![HeaderSet {
            signature: HeaderName::from_static("authorization"),
            timestamp: None,
            id: None,
        }],
        ..Scheme::default()
    }
}

fn basic_header(creds: &str) -> String {
    format!("Basic {}", STANDARD.encode(creds))
}

#[test]
fn basic_auth_accepts_the_credentials_only() {
    let s = basic();
    let ks = [key("hooks:s3cret:with:colons", &s)];
    let good = basic_header("hooks:s3cret:with:colons");
    assert_eq!(run(&s, &ks, &good, BODY, NOW).unwrap().key_index, 0);
    // The scheme name is case-insensitive (RFC 7617).
    let lower = good.replacen("Basic", "basic", 1);
    assert!(run(&s, &ks, &lower, BODY, NOW).is_ok());
    for wrong in [
        "hooks:s3cret:with:colon",
        "hooks:s3cret:with:colonsX",
        "Hooks:s3cret:with:colons",
        "hooks:",
        ":s3cret:with:colons",
        "",
    ] {
        let r = run(&s, &ks, &basic_header(wrong), BODY, NOW);
        assert!(
            matches!(
                r,
                Err(VerifyError::Mismatch | VerifyError::MalformedSignature(_))
            ),
            "{wrong:?}: {r:?}"
        );
    }
    // Not Basic credentials at all.
    for junk in [
        "Bearer abc",
        "hooks:s3cret:with:colons",
        "Basic !!!",
        "Basic",
        "Digest username=\"hooks\"",
    ] {
        assert!(malformed(run(&s, &ks, junk, BODY, NOW)), "{junk}");
    }
    // Rotation: the second pair matches; nothing of the body is checked.
    let ks = [key("a:1", &s), key("b:2", &s)];
    let v = run(&s, &ks, &basic_header("b:2"), b"anything", NOW).unwrap();
    assert_eq!(v.key_index, 1);
    assert!(!s.signs_body());
    assert!(!s.signs_query());
}

#[test]
fn basic_auth_sign_round_trips_and_debug_hides_it() {
    let s = basic();
    let k = key("hooks:hunter2", &s);
    let shown = format!("{k:?}");
    assert!(
        !shown.contains("hunter2") && shown.contains("[redacted]"),
        "{shown}"
    );
    let method = Method::POST;
    let uri = Uri::from_static("/hook");
    let input = SignInput {
        body: BODY,
        method: &method,
        uri: &uri,
        public_url: None,
        now: at(NOW),
        id: None,
    };
    let out = sign(&s, &k, &input).unwrap();
    assert_eq!(out[0].1, basic_header("hooks:hunter2"));
    assert!(run(&s, &[k], &out[0].1, BODY, NOW).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Google Cloud Pub/Sub push: tests/fixtures/pubsub/pubsub.json (tools/vectors/pubsub, each token
// checked there by google-auth's verify_oauth2_token), through `parse_jwks` and a jwt-rs256
// scheme configured as a Pub/Sub route would be.

#[test]
fn pubsub_push_fixture_verifies_through_its_jwks() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/pubsub/pubsub.json")).unwrap();
    let keys = parse_jwks(doc["jwks"].to_string().as_bytes(), Algorithm::JwtRs256).unwrap();
    assert_eq!(keys.len(), 2);
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    let issuers: Vec<String> = doc["issuers"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    let rule = JwtRule {
        issuer: Some(Issuers(issuers)),
        audience: Some(text(&doc["audience"])),
        require_exp: true,
        claims: vec![
            ("email".into(), ClaimValue::Text(text(&doc["email"]))),
            ("email_verified".into(), ClaimValue::Bool(true)),
        ],
        ..JwtRule::default()
    };
    let s = scheme(Algorithm::JwtRs256, rule, true);
    let now = doc["now"].as_u64().unwrap();
    let check = |case: &serde_json::Value| {
        let mut headers = HeaderMap::new();
        for (name, value) in case["headers"].as_object().unwrap() {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
            );
        }
        let body = STANDARD.decode(text(&case["body_b64"])).unwrap();
        let (method, uri) = (Method::POST, Uri::from_static("/hooks/pubsub"));
        let msg = Message::new(&method, &uri, &headers, &body, None);
        verify(&s, &keys, &msg, FRESH, at(now))
    };
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let v = check(case).unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        // The rotation case is signed by the set's second key.
        let want = usize::from(case["name"] == "rotation_second_key");
        assert_eq!(v.key_index, want, "{}", case["name"]);
        assert_eq!(v.signed_at_ms, Some((now as i64 - 10) * 1000));
    }
    let rejects = doc["rejects"].as_array().unwrap();
    assert!(rejects.len() >= 4);
    for r in rejects {
        let e = check(r).expect_err(&text(&r["name"]));
        let want_class = match r["name"].as_str().unwrap() {
            "wrong_audience" => matches!(e, VerifyError::MalformedSignature(_)),
            "wrong_email" => e == VerifyError::ClaimMismatch("email".into()),
            "expired" => matches!(
                e,
                VerifyError::TooOld { .. } | VerifyError::InvalidTimestamp(_)
            ),
            "unknown_kid" => e == VerifyError::Mismatch,
            other => panic!("unknown reject {other}"),
        };
        assert!(want_class, "{}: {e}", r["name"]);
    }
}
