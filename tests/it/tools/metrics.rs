//! The metrics exposition, checked by the real `promtool`.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::harness::*;
use crate::proxy::{refs, setup, signed, SECRET};

#[tokio::test]
async fn exposition_passes_promtool_and_covers_every_outcome_series() {
    let (up, proxy, _clock) =
        setup(Upstream::start(|n| Reply::status(if n == 0 { 500 } else { 200 })).await).await;
    let url = proxy.url("/hook");
    let body = r#"{"id":"evt_m"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    post(&url, &refs(&h), body).await; // upstream 500
    post(&url, &refs(&h), body).await; // forwarded
    post(&url, &refs(&h), body).await; // duplicate
    post(&url, &[], body).await; // missing signature
    post(&proxy.url("/other"), &[], body).await; // no route
    assert_eq!(up.count(), 2);
    let text = proxy.metrics().await;

    for name in [
        "hookgate_requests_total",
        "hookgate_request_duration_seconds_bucket",
        "hookgate_upstream_duration_seconds_bucket",
        "hookgate_upstream_responses_total",
        "hookgate_inflight_requests",
        "hookgate_buffered_bytes",
        "hookgate_log_dropped_bytes_total",
        "hookgate_dedup_entries",
        "hookgate_dedup_evictions_total",
        "hookgate_dedup_unsettled_total",
        "hookgate_config_reloads_total",
        "hookgate_verified_total",
        "hookgate_timestamp_skew_seconds_bucket",
        "hookgate_build_info",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    for (outcome, n) in [
        ("forwarded", 2.0),
        ("duplicate", 1.0),
        ("missing_signature", 1.0),
        ("stale_timestamp", 0.0),
    ] {
        let series = format!("hookgate_requests_total{{outcome=\"{outcome}\",route=\"custom\"}}");
        assert_eq!(proxy.metric(&series).await, n, "{series}");
    }
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"no_route\",route=\"none\"}")
            .await,
        1.0
    );
    // The first attempt got the upstream's 500 relayed; it is counted as forwarded and as a 5xx.
    assert_eq!(
        proxy
            .metric("hookgate_upstream_responses_total{route=\"custom\",status_class=\"5xx\"}")
            .await,
        1.0
    );
    assert_eq!(proxy.metric("hookgate_inflight_requests").await, 0.0);

    // The real promtool lints the exposition. CI installs it; elsewhere a missing promtool
    // skips only this part, loudly.
    let promtool = Command::new("promtool").arg("--version").output();
    if promtool.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool missing in CI: .ci/run must install prometheus"
        );
        eprintln!("SKIPPED promtool check: promtool not installed (apt-get install prometheus)");
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{report}"
    );
    assert!(
        report.trim().is_empty(),
        "promtool lint findings:\n{report}"
    );
}
