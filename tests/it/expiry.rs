//! Secrets that expire (a route secret's `not_after`): the secret verifies up to its date and
//! nothing after it (refused like a wrong signature); the expiry gauge and the by-secret
//! counter show it in use before; a warning is logged once per secret, at load for one already
//! past, once under traffic for one that passes; a past date at load is a warning, not an
//! error; `hookgate check` lists secrets past or within a week of their date.

use std::process::Command;
use std::time::Duration;

use crate::harness::*;
use crate::process::BIN;
use crate::proxy::{refs, signed, OLD_SECRET, SECRET};

/// 2025-11-24T16:00:00Z.
const T: i64 = 1_764_000_000;

/// A signed route at `/rotating` whose `old` secret has `not_after: {not_after}`.
fn rotating(not_after: &str) -> String {
    format!(
        r#"
upstream: {{ url: "{{upstream}}", timeout: 2s }}
routes:
  - name: rotating
    path: /rotating
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp, format: unix }}
    dedup: false
    secrets:
      - {{ id: new, env: CUR }}
      - {{ id: old, env: OLD, not_after: "{not_after}" }}
"#
    )
}

const ENV: &[(&str, &str)] = &[("CUR", SECRET), ("OLD", OLD_SECRET)];

async fn deliver(url: &str, secret: &str, ts: i64) -> Answer {
    let body = format!("{{\"ts\":{ts}}}");
    post(url, &refs(&signed(secret, ts, &body)), body).await
}

#[tokio::test]
async fn a_secret_verifies_up_to_its_not_after_and_nothing_after() {
    let up = Upstream::ok().await;
    let clock = TestClock::at(T - 60);
    let proxy = Proxy::start(
        &rotating("2025-11-24T16:00:00Z"),
        &up.url(),
        ENV,
        clock.clock(),
    )
    .await;
    let url = proxy.url("/rotating");
    let verified = async |secret: &str| {
        proxy
            .metric(&format!(
                "hookgate_verified_total{{route=\"rotating\",secret=\"{secret}\"}}"
            ))
            .await
    };
    // Before its date the old secret still verifies, and the counter shows it in use.
    assert_eq!(deliver(&url, OLD_SECRET, T - 60).await.status, 200);
    clock.set(T);
    assert_eq!(deliver(&url, OLD_SECRET, T).await.status, 200);
    assert_eq!(verified("old").await, 2.0);
    assert_eq!(
        proxy
            .metric("hookgate_secret_expiry_timestamp_seconds{route=\"rotating\",secret=\"old\"}")
            .await,
        T as f64
    );
    // The undated secret has no expiry series.
    assert!(sample(
        &proxy.metrics().await,
        "hookgate_secret_expiry_timestamp_seconds{route=\"rotating\",secret=\"new\"}"
    )
    .is_none());
    // After it: refused like a wrong signature, never forwarded; the new one goes on.
    clock.set(T + 1);
    let a = deliver(&url, OLD_SECRET, T + 1).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.error(), "invalid_signature");
    assert_eq!(deliver(&url, SECRET, T + 1).await.status, 200);
    assert_eq!(verified("old").await, 2.0);
    assert_eq!(verified("new").await, 1.0);
    assert_eq!(up.count(), 3);
    proxy.stop().await;
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// The binary's JSON log lines whose message starts with `prefix`, for `secret`.
fn warnings(hg: &Binary, prefix: &str, secret: &str) -> usize {
    hg.json_logs()
        .iter()
        .filter(|l| {
            l["message"].as_str().is_some_and(|m| m.starts_with(prefix))
                && l["secret"] == secret
                && l["level"]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case("warn"))
        })
        .count()
}

#[tokio::test]
async fn the_binary_warns_once_per_secret_and_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let up = Upstream::ok().await;
    let (port, admin) = (free_port(), free_port());
    let now = now_unix();
    // Past at load (a warning, not an error); due in a few seconds; far away.
    let past = rfc3339(now - 86_400);
    let soon = rfc3339(now + 5);
    let cfg = dir.path().join("hookgate.yaml");
    std::fs::write(
        &cfg,
        format!(
            r#"listen: 127.0.0.1:{port}
admin_listen: 127.0.0.1:{admin}
log: {{ format: json, level: info }}
upstream: {{ url: "{}", timeout: 2s }}
routes:
  - name: rotating
    path: /rotating
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp, format: unix }}
    dedup: false
    secrets:
      - {{ id: current, env: CUR }}
      - {{ id: retired, env: RETIRED, not_after: "{past}" }}
      - {{ id: leaving, env: OLD, not_after: "{soon}" }}
"#,
            up.url()
        ),
    )
    .unwrap();
    let env = [
        ("CUR", SECRET),
        ("OLD", OLD_SECRET),
        ("RETIRED", "retired-secret"),
    ];
    let hg = Binary::start(
        &cfg,
        dir.path().join("stderr.log"),
        &env,
        &["--watch-interval", "0s"],
        (port, admin),
    )
    .await;
    let url = hg.url("/rotating");
    for _ in 0..3 {
        assert_eq!(
            deliver(&url, "retired-secret", now_unix()).await.status,
            401
        );
    }
    // Before its date the leaving secret verifies (the in-process test pins this down with a
    // test clock; here the wall clock runs on, so only when this machine got there in time).
    let ts = now_unix();
    let before = deliver(&url, OLD_SECRET, ts).await;
    if ts < now + 5 {
        assert_eq!(before.status, 200);
    }
    assert_eq!(
        hg.metric(
            "hookgate_secret_expiry_timestamp_seconds{route=\"rotating\",secret=\"leaving\"}"
        )
        .await,
        Some((now + 5) as f64)
    );
    // Past its date (a wait for the wall clock, not a measure of speed).
    let left = u64::try_from(now + 6 - now_unix()).unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(left)).await;
    for _ in 0..3 {
        let a = deliver(&url, OLD_SECRET, now_unix()).await;
        assert_eq!(a.status, 401);
        assert_eq!(a.error(), "invalid_signature");
    }
    assert_eq!(deliver(&url, SECRET, now_unix()).await.status, 200);
    assert_eq!(up.count(), 1 + usize::from(before.status == 200));
    // Logs are written in batches: wait for the last line to be there.
    poll(POLL, async || {
        (warnings(&hg, "a secret reached its not_after", "leaving") > 0).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("no warning for the leaving secret:\n{}", hg.logs()));
    assert_eq!(
        warnings(&hg, "a secret is past its not_after", "retired"),
        1,
        "{}",
        hg.logs()
    );
    assert_eq!(
        warnings(&hg, "a secret expires within a week", "leaving"),
        1
    );
    assert_eq!(
        warnings(&hg, "a secret reached its not_after", "leaving"),
        1
    );
    assert_eq!(
        warnings(&hg, "a secret reached its not_after", "retired"),
        0
    );
    assert_eq!(warnings(&hg, "a secret", "current"), 0);
}

#[test]
fn check_lists_secrets_past_or_due_within_a_week() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hookgate.yaml");
    let now = now_unix();
    std::fs::write(
        &cfg,
        format!(
            r#"upstream: {{ url: "http://127.0.0.1:1" }}
routes:
  - name: gh
    path: /gh
    provider: github
    secrets:
      - {{ id: current, env: CUR }}
      - {{ id: later, env: CUR, not_after: "{}" }}
      - {{ id: soon, env: CUR, not_after: "{}" }}
      - {{ id: gone, env: CUR, not_after: "{}" }}
    rate_limit: {{ rate: 600/m, burst: 20 }}
"#,
            rfc3339(now + 30 * 86_400),
            rfc3339(now + 2 * 86_400 + 3600),
            rfc3339(now - 3 * 86_400),
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["check", "--config", cfg.to_str().unwrap()])
        .env("CUR", "x")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("rate_limit=600/m,burst=20"), "{text}");
    assert!(
        text.contains("secrets expiring (within a week, or past their not_after):"),
        "{text}"
    );
    let gone = text
        .find("route gh secret gone: expired ")
        .unwrap_or_else(|| panic!("{text}"));
    let soon = text
        .find("route gh secret soon: expires ")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(gone < soon, "soonest first: {text}");
    assert!(text.contains("(3d 0h ago); it verifies nothing"), "{text}");
    assert!(
        text.contains("(in 2d 0h)") || text.contains("(in 2d 1h)"),
        "{text}"
    );
    assert!(!text.contains("secret later"), "{text}");
}
