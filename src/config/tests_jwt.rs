//! The `verify:` keys that build Basic auth and JWT schemes, through the config parser (here,
//! not in verify: verify is a leaf that knows nothing of config).

use crate::verify::jwt::tests::{hs256, malformed, netlify_rule, run, BODY, NOW, RSA_PUBLIC};
use crate::verify::{Algorithm, TimestampSource};

fn config(route: &str, secret: &str) -> Result<crate::config::Config, String> {
    let yaml = format!(
        "upstream: {{ url: \"http://127.0.0.1:9\" }}\nroutes:\n  - name: r\n    path: /hook\n{route}    secrets: [ {{ env: S }} ]\n"
    );
    let secret = secret.to_owned();
    let env = move |n: &str| (n == "S").then(|| secret.clone());
    crate::config::parse(
        &yaml,
        "t.yaml",
        std::path::Path::new("."),
        &env,
        crate::config::Secrets::Load,
    )
    .map_err(|e| e.to_string())
}

#[test]
fn config_builds_basic_and_jwt_schemes() {
    // Basic auth: Authorization by default, and a warning that the body is not covered.
    let c = config("    verify: { algorithm: basic }\n", "u:p").unwrap();
    let s = &c.live.routes[0].scheme;
    assert_eq!(s.algorithm, Algorithm::Basic);
    assert_eq!(s.headers[0].signature, "authorization");
    assert!(
        c.warnings.iter().any(|w| w.contains("Basic auth")),
        "{:?}",
        c.warnings
    );
    let c = config("    verify: { algorithm: basic }\n", "no-colon").unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("has no `:`")),
        "{:?}",
        c.warnings
    );

    // A generic JWT with claims.
    let c = config(
        "    verify:\n      algorithm: jwt-hs256\n      header: X-Webhook-Signature\n      jwt: { issuer: netlify, body_sha256_claim: sha256 }\n",
        "jws",
    )
    .unwrap();
    let s = &c.live.routes[0].scheme;
    assert_eq!(s.headers[0].signature, "x-webhook-signature");
    assert_eq!(s.jwt, Some(netlify_rule()));
    assert_eq!(s.timestamp, None);
    assert!(s.signs_body());
    let c = config(
        "    verify:\n      algorithm: jwt-hs256\n      jwt: { iat: true, require_exp: true, audience: https://h.example.com/x }\n",
        "jws",
    )
    .unwrap();
    let s = &c.live.routes[0].scheme;
    assert_eq!(s.headers[0].signature, "authorization");
    assert_eq!(
        s.timestamp.as_ref().map(|t| &t.source),
        Some(&TimestampSource::JwtIat)
    );
    assert!(s
        .jwt
        .as_ref()
        .is_some_and(|j| j.require_exp && j.audience.is_some()));
    // RS256 with a PEM public key.
    let c = config("    verify: { algorithm: jwt-rs256 }\n", RSA_PUBLIC).unwrap();
    assert_eq!(c.live.routes[0].scheme.algorithm, Algorithm::JwtRs256);

    // Mistakes.
    let e = config("    verify: { algorithm: jwt-hs256 }\n", RSA_PUBLIC).unwrap_err();
    assert!(e.contains("PEM"), "{e}");
    let e = config("    verify: { algorithm: jwt-rs256 }\n", "not-a-key").unwrap_err();
    assert!(e.contains("RSA public key"), "{e}");
    let e = config(
        "    verify: { algorithm: hmac-sha256, header: X-Sig, jwt: { issuer: x } }\n",
        "s",
    )
    .unwrap_err();
    assert!(e.contains("jwt"), "{e}");
    let e = config(
        "    verify: { algorithm: jwt-hs256, timestamp: { header: X-Ts } }\n",
        "s",
    )
    .unwrap_err();
    assert!(e.contains("iat"), "{e}");
    let e = config("    verify: { algorithm: jwt-hs512 }\n", "s").unwrap_err();
    assert!(e.contains("jwt-hs256"), "{e}");
}

#[test]
fn config_overrides_a_presets_claims() {
    // monday.com's aud is the route's own URL: the route names it.
    let c = config(
        "    provider: monday\n    verify: { jwt: { audience: https://hooks.example.com/hooks/monday } }\n",
        "sec",
    )
    .unwrap();
    let s = &c.live.routes[0].scheme;
    assert_eq!(s.algorithm, Algorithm::JwtHs256);
    let j = s.jwt.as_ref().unwrap();
    assert_eq!(
        j.audience.as_deref(),
        Some("https://hooks.example.com/hooks/monday")
    );
    assert!(j.require_exp);
    assert_eq!(
        s.timestamp.as_ref().map(|t| &t.source),
        Some(&TimestampSource::JwtIat)
    );
    let ks = &c.live.routes[0].keys;
    let iat = NOW as i64;
    let claims = |aud: &str| serde_json::json!({"aud": aud, "iat": iat, "exp": iat + 300});
    assert!(run(
        s,
        ks,
        &hs256(claims("https://hooks.example.com/hooks/monday"), "sec"),
        BODY,
        NOW
    )
    .is_ok());
    assert!(malformed(run(
        s,
        ks,
        &hs256(claims("https://other.example.com/"), "sec"),
        BODY,
        NOW
    )));
    // Netlify's preset as is.
    let c = config("    provider: netlify\n", "sec").unwrap();
    assert_eq!(c.live.routes[0].scheme.jwt, Some(netlify_rule()));
}

#[test]
fn check_without_secrets_accepts_public_key_routes() {
    for alg in ["jwt-rs256", "jwt-es256"] {
        let yaml = format!(
            "upstream: {{ url: \"http://127.0.0.1:9\" }}\nroutes:\n  - name: r\n    path: /hook\n    verify: {{ algorithm: {alg} }}\n    secrets: [ {{ file: /nonexistent/key.pem }} ]\n"
        );
        let env = |_: &str| None;
        let c = crate::config::parse(
            &yaml,
            "t.yaml",
            std::path::Path::new("."),
            &env,
            crate::config::Secrets::Skip,
        );
        assert!(c.is_ok(), "{alg}: {:?}", c.err().map(|e| e.to_string()));
    }
}

#[test]
fn config_reads_issuer_lists_and_required_claims() {
    use crate::verify::{ClaimValue, Issuers};
    let c = config(
        "    verify:\n      algorithm: jwt-rs256\n      jwt:\n        issuer: [accounts.google.com, \"https://accounts.google.com\"]\n        audience: https://hooks.example.com/hooks/pubsub\n        claims:\n          email: push@p.iam.gserviceaccount.com\n          email_verified: true\n",
        RSA_PUBLIC,
    )
    .unwrap();
    let j = c.live.routes[0].scheme.jwt.clone().unwrap();
    assert_eq!(
        j.issuer,
        Some(Issuers(vec![
            "accounts.google.com".into(),
            "https://accounts.google.com".into()
        ]))
    );
    // In name order (a map), each with its JSON type.
    assert_eq!(
        j.claims,
        vec![
            (
                "email".into(),
                ClaimValue::Text("push@p.iam.gserviceaccount.com".into())
            ),
            ("email_verified".into(), ClaimValue::Bool(true)),
        ]
    );
    // One issuer is still a string; a quoted "true" is text, not the boolean.
    let c = config(
        "    verify:\n      algorithm: jwt-hs256\n      jwt: { issuer: netlify, claims: { flag: \"true\" } }\n",
        "jws",
    )
    .unwrap();
    let j = c.live.routes[0].scheme.jwt.clone().unwrap();
    assert_eq!(j.issuer, Some(Issuers::from("netlify")));
    assert_eq!(
        j.claims,
        vec![("flag".into(), ClaimValue::Text("true".into()))]
    );

    // Mistakes.
    let e = config(
        "    verify: { algorithm: jwt-hs256, jwt: { claims: { n: 3 } } }\n",
        "jws",
    )
    .unwrap_err();
    assert!(e.contains("a string, or true / false"), "{e}");
    let e = config(
        "    verify: { algorithm: jwt-hs256, jwt: { claims: { aud: x } } }\n",
        "jws",
    )
    .unwrap_err();
    assert!(e.contains("audience"), "{e}");
    let e = config(
        "    verify: { algorithm: jwt-hs256, jwt: { issuer: { a: b } } }\n",
        "jws",
    )
    .unwrap_err();
    assert!(e.contains("list of issuers"), "{e}");
}
