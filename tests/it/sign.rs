//! `hookgate sign` for every preset: what it signs, the proxy accepts.

use std::time::{Duration, UNIX_EPOCH};

use hookgate::verify::presets;
use hookgate::verify::{Algorithm, SecretEncoding};

use crate::harness::*;

const NOW: i64 = 1_764_000_000;

#[tokio::test]
async fn what_sign_produces_the_proxy_accepts_for_every_preset() {
    let mut unsupported = Vec::new();
    let mut fetched = Vec::new();
    for name in presets::names() {
        let preset = presets::lookup(name).unwrap();
        // Keys fetched from the sender (its JWK Set, SNS's certificates): only the sender can
        // sign; their own end-to-end tests replay vectors (tests/it/sns.rs, pubsub.rs).
        if preset.jwks_url.is_some() || preset.scheme.algorithm == Algorithm::SnsCertificate {
            fetched.push(name);
            continue;
        }
        let secret = match preset.scheme.secret_encoding {
            // An Ed25519 public key, base64 (Telnyx).
            SecretEncoding::Base64 if preset.scheme.algorithm == Algorithm::Ed25519 => {
                "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
            }
            SecretEncoding::Base64 if preset.scheme.algorithm.is_asymmetric() => {
                "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmc63oY0sXZBhnMglVDC4NDg4B2kFlCeBALKlTaV/zDO6mbMRLoraLGnqADkJl+VToKzi3NN9QL6GKCDw93w2XA=="
            }
            SecretEncoding::Whsec => "whsec_c2lnbi10ZXN0LXNlY3JldC1rZXk=",
            SecretEncoding::Base64 => "c2lnbi10ZXN0LXNlY3JldC1rZXk=",
            SecretEncoding::Hex => "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            SecretEncoding::Raw => "sign-test-secret-key",
        };
        let public_url = if preset.needs_public_url {
            "    public_url: https://hooks.example.com\n"
        } else {
            ""
        };
        let yaml = format!(
            "upstream: {{ url: \"{{upstream}}\" }}\nroutes:\n  - name: r\n    path: /hook\n    provider: {name}\n{public_url}    secrets: [ {{ env: S }} ]\n"
        );
        let up = Upstream::ok().await;
        let proxy = Proxy::start(
            &yaml,
            &up.url(),
            &[("S", secret)],
            TestClock::at(NOW).clock(),
        )
        .await;
        // The same config the proxy runs, as `hookgate sign` would load it.
        let env = |n: &str| (n == "S").then(|| secret.to_owned());
        let config = hookgate::config::parse(
            &yaml.replace("{upstream}", &up.url()),
            "t.yaml",
            std::path::Path::new("."),
            &env,
            hookgate::config::Secrets::Load,
        )
        .unwrap();
        let route = &config.live.routes[0];
        let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(NOW).unwrap());
        let (content_type, body) = hookgate::sender::sample(route, now);
        let headers =
            match hookgate::sender::sign_headers(route, &route.keys[0], body.as_bytes(), now) {
                Ok(h) => h,
                Err(e) => {
                    // Only schemes where hookgate holds no signing key, or the signature lives in
                    // the body, may refuse; they must say so.
                    let s = preset.scheme.algorithm.is_asymmetric()
                        || preset.scheme.signature_json.is_some();
                    assert!(s, "{name}: sign failed: {e}");
                    assert!(e.to_string().contains("cannot sign"), "{name}: {e}");
                    unsupported.push(name);
                    continue;
                }
            };
        let mut h: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        h.push(("content-type".into(), content_type.into()));
        let refs: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let a = post_exact(&proxy.url("/hook"), &refs, body.clone()).await;
        assert_eq!(a.status, 200, "{name}: {:?} with {h:?}", a.body);
        assert_eq!(up.requests()[0].body.as_ref(), body.as_bytes(), "{name}");
        proxy.stop().await;
    }
    assert_eq!(
        unsupported,
        [
            "mailgun",
            "discord",
            "sendgrid",
            "adyen",
            "telnyx",
            "microsoft-graph"
        ]
    );
    assert_eq!(fetched, ["sns", "google-pubsub"]);
}

#[test]
fn readme_lists_every_preset() {
    // The README's sender table has a row per preset linking its page in docs/senders/, and
    // names nothing else; docs/providers.md's table has every preset too.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let providers = std::fs::read_to_string(root.join("docs/providers.md")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| [`")).collect();
    for name in presets::names() {
        assert!(
            providers.contains(&format!("| `{name}` |")),
            "docs/providers.md's provider table lacks {name}"
        );
        let page = format!("docs/senders/{name}.md");
        assert!(
            rows.iter()
                .any(|r| r.starts_with(&format!("| [`{name}`]({page}) |"))),
            "README.md's sender table lacks {name}"
        );
        let text = std::fs::read_to_string(root.join(&page))
            .unwrap_or_else(|_| panic!("{page} is missing"));
        for section in [
            "**Secret**",
            "**Config**",
            "**Verified**",
            "**Handshake**",
            "**Dedup key**",
            "**Retries**",
        ] {
            assert!(text.contains(section), "{page} lacks {section}");
        }
        assert!(
            text.contains(&format!("provider: {name}")),
            "{page} shows no config for {name}"
        );
    }
    for row in &rows {
        let name = row
            .trim_start_matches("| [`")
            .split('`')
            .next()
            .unwrap_or_default();
        assert!(
            presets::lookup(name).is_some(),
            "README.md's sender table names {name}, which is no preset"
        );
    }
    assert!(
        markdown_links(&readme)
            .iter()
            .any(|l| l.split('#').next() == Some("docs/providers.md")),
        "README.md links to docs/providers.md"
    );
}

#[test]
fn readme_is_a_door() {
    // README.md is short and links to every docs page (the dated archive is linked from
    // docs/performance.md instead); no relative link in the README or docs/ is dangling.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let readme = read(&root.join("README.md"));
    // The sender table at its end is a reference the issue asks for there; the door is the
    // part before it.
    let lines = readme.lines().take_while(|l| *l != "## Senders").count();
    assert!(
        lines < 150,
        "README.md has {lines} lines before its sender table; keep it under 150"
    );

    let targets = |text: &str| -> Vec<String> {
        markdown_links(text)
            .into_iter()
            .map(|l| l.split('#').next().unwrap_or_default().to_owned())
            .collect()
    };
    let readme_links = targets(&readme);
    let performance_links = targets(&read(&root.join("docs/performance.md")));
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "docs/ has pages");
    for page in &docs {
        let name = page.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with("performance-archive-") {
            assert!(
                performance_links.contains(&name),
                "docs/performance.md links to docs/{name}"
            );
        } else {
            assert!(
                readme_links.contains(&format!("docs/{name}")),
                "README.md links to docs/{name}"
            );
        }
    }

    let mut senders: Vec<_> = std::fs::read_dir(root.join("docs/senders"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    senders.sort();
    for file in std::iter::once(root.join("README.md"))
        .chain(docs)
        .chain(senders)
    {
        let dir = file.parent().unwrap();
        for target in targets(&read(&file)) {
            if target.is_empty() {
                continue; // a link to a heading of the same page
            }
            assert!(
                dir.join(&target).exists(),
                "{}: the link to {target} points at nothing",
                file.display()
            );
        }
    }
}

/// The targets of the inline links (`[text](target)`) of a Markdown text outside code blocks,
/// without web and mail links.
fn markdown_links(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].trim();
            if !target.contains("://") && !target.starts_with("mailto:") {
                links.push(target.to_owned());
            }
            rest = &rest[end..];
        }
    }
    links
}
