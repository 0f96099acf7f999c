//! The real binary: exit codes, signals, and what reaches its logs.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::*;
use crate::proxy::{refs, signed};

pub const BIN: &str = env!("CARGO_BIN_EXE_hookgate");

fn write_config(
    dir: &std::path::Path,
    upstream: &str,
    port: u16,
    admin: u16,
) -> std::path::PathBuf {
    let secret_file = dir.join("old.key");
    std::fs::write(&secret_file, "file-secret-OLD-9f8e7d\n").unwrap();
    let yaml = format!(
        r#"
listen: 127.0.0.1:{port}
admin_listen: 127.0.0.1:{admin}
upstream: {{ url: "{upstream}" }}
log: {{ format: json, level: debug }}
routes:
{}"#,
        signed_route(
            "custom",
            "/hook",
            "[ { id: current, env: HG_TEST_SECRET }, { id: old, file: old.key } ]"
        )
    );
    let path = dir.join("hookgate.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// The binary on `cfg` with `HG_TEST_SECRET` set, `RUST_LOG` cleared, stdout and stderr as given.
fn spawn(cfg: &std::path::Path, secret: &str, stdout: Stdio, stderr: Stdio) -> std::process::Child {
    Command::new(BIN)
        .args(["--config", cfg.to_str().unwrap()])
        .env("HG_TEST_SECRET", secret)
        .env_remove("RUST_LOG")
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn logs_never_contain_secrets_and_sigterm_exits_zero() {
    const SECRET: &str = "env-secret-CURRENT-1a2b3c";
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = write_config(dir.path(), &up.url(), port, admin);
    let mut child = spawn(&cfg, SECRET, Stdio::piped(), Stdio::piped());
    wait_ready(admin).await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let now = now_unix();
    // Accepted (env secret and file secret), rejected (forged, stale), duplicate, malformed.
    let b1 = r#"{"id":"evt_log_1","card":"card-4242-4242"}"#;
    assert_eq!(
        post(&url, &refs(&signed(SECRET, now, b1)), b1).await.status,
        200
    );
    let b2 = r#"{"id":"evt_log_2"}"#;
    assert_eq!(
        post(&url, &refs(&signed("file-secret-OLD-9f8e7d", now, b2)), b2)
            .await
            .status,
        200
    );
    assert_eq!(
        post(&url, &refs(&signed(SECRET, now, b1)), b1).await.status,
        200
    );
    assert_eq!(
        post(&url, &refs(&signed("forger", now, b1)), b1)
            .await
            .status,
        401
    );
    assert_eq!(
        post(&url, &refs(&signed(SECRET, now - 3600, b1)), b1)
            .await
            .status,
        401
    );
    let garbage = hmac_sha256_hex(SECRET.as_bytes(), &[b"x.{"]);
    assert_eq!(
        post(
            &url,
            &[
                ("X-Signature", &format!("sha256={garbage}")),
                ("X-Timestamp", "x")
            ],
            "{"
        )
        .await
        .status,
        401
    );

    // SIGTERM: drain and exit 0.
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = poll(POLL, async || child.try_wait().unwrap())
        .await
        .expect("hookgate did not exit on SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();

    // A body value no timestamp or latency can spell by chance (a bare "4242" once matched one).
    for needle in [
        SECRET,
        "file-secret-OLD-9f8e7d",
        "card-4242",
        "evt_log_2\\\"}",
    ] {
        assert!(!logs.contains(needle), "logs leak {needle:?}:\n{logs}");
    }
    // Each signature sent must not be echoed either.
    let sig = &signed(SECRET, now, b1)[0].1;
    assert!(!logs.contains(&sig[7..]), "logs echo a signature");
    // One structured line per decision, with the fields operators filter on.
    let decisions: Vec<serde_json::Value> = json_lines(&logs)
        .into_iter()
        .filter(|v| v["message"] == "request")
        .collect();
    assert_eq!(decisions.len(), 6, "{logs}");
    let outcomes: Vec<&str> = decisions
        .iter()
        .map(|v| v["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "forwarded",
            "forwarded",
            "duplicate",
            "invalid_signature",
            "stale_timestamp",
            "invalid_timestamp"
        ]
    );
    assert_eq!(decisions[0]["event_id"], "evt_log_1");
    assert_eq!(decisions[1]["secret"], "old");
    // A rejection's line says what was received and compared (never a secret or signature).
    let forged = &decisions[3];
    assert_eq!(forged["body_len"], b1.len());
    assert_eq!(
        forged["body_sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b1.as_bytes()))
    );
    assert_eq!(forged["content_type"], "application/json");
    assert_eq!(forged["secrets_tried"], "current,old");
    let stale = &decisions[4];
    assert_eq!(stale["secret"], "current", "authentic, only late");
    let skew = stale["skew_seconds"].as_f64().unwrap();
    assert!(
        (3600.0..3610.0).contains(&skew),
        "signed an hour ago: {skew}"
    );
    assert!(
        decisions[0].get("body_sha256").is_none(),
        "accepted lines stay lean"
    );
    assert!(decisions
        .iter()
        .all(|d| d["route"] == "custom" && d["latency_ms"].is_number() && d["status"].is_number()));
}

#[test]
fn check_reports_every_problem_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "upstream: { url: http://127.0.0.1:1 }\nroutes:\n  - name: a\n    path: /a\n    provider: nope\n    secrets: [ { env: X } ]\n  - name: b\n    path: /b\n    provider: github\n    max_age: soon\n    secrets: [ { env: HG_SURELY_UNSET_VAR } ]\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["check", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:5:5: routes[0].provider: unknown provider \"nope\""),
        "{err}"
    );
    assert!(err.contains("bad.yaml:10:5: routes[1].max_age"), "{err}");
    assert!(err.contains("bad.yaml:11:18: routes[1].secrets[0].env: environment variable HG_SURELY_UNSET_VAR is not set"), "{err}");

    // An unknown key is an error at its line, and the file's text (a secret?) is not echoed.
    std::fs::write(&path, "upstream: { url: http://x:1 }\nroutes:\n  - name: a\n    path: /a\n    provider: github\n    secrets: [ { value: topsecretvalue } ]\n    sekrets: typo\n").unwrap();
    let out = Command::new(BIN)
        .args(["check", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":7:5") && err.contains("unknown field `sekrets`"),
        "{err}"
    );
    assert!(!err.contains("topsecretvalue"), "{err}");

    // A good file lists the routes; --no-secrets needs no environment.
    let ex = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml");
    let out = Command::new(BIN)
        .args(["check", "--no-secrets", "--config", ex])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for route in ["tolinku", "github", "stripe", "standard-webhooks", "custom"] {
        assert!(text.contains(route), "{text}");
    }
    // The thread count in effect (the example leaves the default).
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        text.contains(&format!(
            "workers {}",
            cpus.min(hookgate::config::DEFAULT_WORKERS_CAP)
        )),
        "{text}"
    );

    // A reader that is gone before the report is written (`check | head -0`): not a panic.
    let mut child = Command::new(BIN)
        .args(["check", "--no-secrets", "--config", ex])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !err.contains("panicked"), "{err}");
}

#[test]
fn an_unreadable_secret_file_is_a_config_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:1", free_port(), free_port());
    let secret = dir.path().join("old.key");
    // Missing, then a directory where the file should be (tests run as root, so a mode of 000
    // would not stop the read).
    std::fs::remove_file(&secret).unwrap();
    for make in [false, true] {
        if make {
            std::fs::create_dir(&secret).unwrap();
        }
        for args in [&["check"][..], &[][..]] {
            let out = Command::new(BIN)
                .args(args)
                .args(["--config", cfg.to_str().unwrap()])
                .env("HG_TEST_SECRET", "x")
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(&format!(
                    "routes[0].secrets[1].file: cannot read secret file {}",
                    secret.display()
                )),
                "{args:?}: {err}"
            );
        }
    }
}

#[tokio::test]
async fn send_test_reports_what_happened() {
    const SECRET: &str = "send-test-secret-5e6f";
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = write_config(dir.path(), &up.url(), port, admin);
    let config_path = cfg.clone();
    let send_test = move |env_secret: &str, route: &str, extra: &[&str]| {
        Command::new(BIN)
            .args(["send-test", "--config", config_path.to_str().unwrap()])
            .args(["--route", route])
            .args(extra)
            .env("HG_TEST_SECRET", env_secret)
            .output()
            .unwrap()
    };

    // Nothing listening yet: exit 1, and it says where it looked.
    let out = send_test(SECRET, "custom", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "cannot reach hookgate at http://127.0.0.1:{port}/hook"
        )),
        "{err}"
    );

    let _hookgate = KillOnDrop(
        Command::new(BIN)
            .args(["--config", cfg.to_str().unwrap()])
            .env("HG_TEST_SECRET", SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(admin).await;

    // Signed with the secret hookgate holds: forwarded, exit 0.
    let out = tokio::task::spawn_blocking({
        let send_test = send_test.clone();
        move || send_test(SECRET, "custom", &[])
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("POST http://127.0.0.1:{port}/hook")),
        "{text}"
    );
    assert!(text.contains(r#"signed with secret "current""#), "{text}");
    assert!(
        text.contains("200 OK: forwarded; the app accepted it"),
        "{text}"
    );
    assert!(text.contains(r#"the app answered: {"ok":true}"#), "{text}");
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    let sample: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert!(
        sample["id"].as_str().unwrap().starts_with("evt_"),
        "a realistic event"
    );

    // The file secret, chosen by id, and an explicit --to.
    let to = format!("http://127.0.0.1:{port}");
    let out = tokio::task::spawn_blocking({
        let send_test = send_test.clone();
        move || send_test(SECRET, "custom", &["--secret", "old", "--to", &to])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A secret the running hookgate does not hold: refused, exit 1, the code and a hint.
    let out = tokio::task::spawn_blocking({
        let send_test = send_test.clone();
        move || send_test("a-different-secret", "custom", &[])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("401 Unauthorized: refused by hookgate, not forwarded"),
        "{text}"
    );
    assert!(text.contains("error:   invalid_signature"), "{text}");
    assert!(text.contains("hint:"), "{text}");
    assert!(
        !text.contains("a-different-secret") && !text.contains(SECRET),
        "{text}"
    );
    assert_eq!(up.count(), 2, "the refused one never reached the app");

    // A route the config does not have: an argument error (exit 2) listing the routes.
    let out = send_test(SECRET, "nope", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("routes: custom"));
}

/// A child process that does not outlive a failed assertion.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn port_in_use_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let cfg = write_config(dir.path(), "http://127.0.0.1:1", port, free_port());
    let out = Command::new(BIN)
        .args(["--config", cfg.to_str().unwrap()])
        .env("HG_TEST_SECRET", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("cannot listen on 127.0.0.1:{port}")));
}

#[test]
fn sign_prints_headers_the_proxy_accepts() {
    // `hookgate sign` output is the input of the README's curl examples; prove it verifies.
    let ex = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml");
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, r#"{"zen":"Design for failure."}"#).unwrap();
    let out = Command::new(BIN)
        .args([
            "sign",
            "--demo-secrets",
            "--config",
            ex,
            "--route",
            "github",
            "--body",
            body.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = hmac_sha256_hex(
        demo_secret("GITHUB_WEBHOOK_SECRET").as_bytes(),
        &[br#"{"zen":"Design for failure."}"#],
    );
    assert_eq!(
        text.trim(),
        format!("-H 'x-hub-signature-256: sha256={expected}'")
    );
}

#[tokio::test]
async fn readme_curl_examples_are_right() {
    // The README's two curl lines, replayed against the example config with the demo secrets:
    // the first must be accepted and the second refused, so the README cannot go stale.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let sig = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("-H 'X-Hub-Signature-256: "))
        .and_then(|l| l.split('\'').next())
        .expect("README has a signature header example")
        .to_owned();
    let bodies: Vec<String> = readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("--data-binary '"))
        .map(|l| l.trim_end_matches('\'').to_owned())
        .collect();
    assert_eq!(bodies.len(), 2, "two curl examples");

    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml"))
        .unwrap();
    let yaml = yaml.replace("url: http://127.0.0.1:3000", "url: \"{upstream}\"");
    let up = Upstream::ok().await;
    let proxy = {
        let yaml = yaml.clone();
        let upstream = up.url();
        let env = |name: &str| Some(demo_secret(name));
        let config = hookgate::config::parse(
            &yaml.replace("{upstream}", &upstream),
            "config.example.yaml",
            std::path::Path::new("."),
            &env,
            hookgate::config::Secrets::Load,
        )
        .unwrap();
        let main = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = main.local_addr().unwrap();
        tokio::spawn(hookgate::app::run(
            config,
            hookgate::app::Listeners { main, admin },
            hookgate::clock::system_clock(),
            std::future::pending(),
        ));
        addr
    };
    let url = format!("http://{proxy}/webhooks/github");
    let a = post(&url, &[("X-Hub-Signature-256", &sig)], bodies[0].clone()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(up.requests()[0].body.as_ref(), bodies[0].as_bytes());
    let a = post(&url, &[("X-Hub-Signature-256", &sig)], bodies[0].clone()).await;
    assert_eq!(a.headers["hookgate-duplicate"], "true");
    let a = post(&url, &[("X-Hub-Signature-256", &sig)], bodies[1].clone()).await;
    assert_eq!(
        (a.status.as_u16(), a.error()),
        (401, "invalid_signature".to_owned())
    );
    assert!(
        readme.contains(&a.json()["message"].as_str().unwrap().to_owned()),
        "README shows the real message"
    );
}

#[tokio::test]
async fn log_lines_stderr_refuses_are_counted() {
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = write_config(dir.path(), &up.url(), port, admin);
    let secret = "env-secret-for-a-closed-stderr";
    let mut child = spawn(&cfg, secret, Stdio::null(), Stdio::piped());
    // Nobody reads hookgate's stderr any more: every write to it fails (EPIPE).
    drop(child.stderr.take());
    wait_ready(admin).await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let lost = || async {
        let text = scrape(format!("127.0.0.1:{admin}")).await;
        sample(&text, "hookgate_log_dropped_bytes_total ").expect("the counter is exported")
    };
    // The start-up lines are lost already, or about to be (the writer flushes every 50 ms).
    let first = poll(POLL, async || Some(lost().await).filter(|&n| n > 0.0))
        .await
        .expect("lost log lines are counted");
    // hookgate keeps serving, and each logged decision adds to the count.
    let body = r#"{"id":"evt_no_stderr"}"#;
    let h = signed(secret, now_unix(), body);
    assert_eq!(post(&url, &refs(&h), body).await.status, 200);
    poll(POLL, async || (lost().await > first).then_some(()))
        .await
        .expect("the request's log line is counted too");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn a_flood_of_overloaded_requests_logs_a_few_warnings_that_count_the_rest() {
    const FLOOD: usize = 40;
    // One slot, held by a delivery the app takes its time over: long enough for the flood and
    // the wait after it on a loaded CI machine.
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_secs(8))).await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    std::fs::write(
        &cfg,
        format!(
            "listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{admin}\n\
             upstream: {{ url: \"{}\", timeout: 30s }}\nlog: {{ format: json, level: info }}\n\
             limits: {{ max_concurrency: 1, per_source: {{ max_concurrency: 1 }} }}\nroutes:\n{}",
            up.url(),
            signed_route(
                "custom",
                "/hook",
                "[ { id: current, env: HG_TEST_SECRET } ]"
            )
        ),
    )
    .unwrap();
    let hg = Binary::start(
        &cfg,
        dir.path().join("hookgate.log"),
        &[("HG_TEST_SECRET", "flood-secret")],
        &[],
        (port, admin),
    )
    .await;
    let url = hg.url("/hook");
    let body = r#"{"id":"evt_slow"}"#;
    let held = {
        let (url, h) = (url.clone(), signed("flood-secret", now_unix(), body));
        tokio::spawn(async move { post(&url, &refs(&h), body).await.status })
    };
    poll(POLL, async || (up.count() == 1).then_some(()))
        .await
        .expect("the first delivery never reached the app");

    // Signed (wrongly: nothing reads the body once refused), so they pass the head's checks
    // and meet the full slot.
    let forged = signed("not-the-secret", now_unix(), "{}");
    let refused = async || post(&url, &refs(&forged), "{}").await.status;
    for _ in 0..FLOOD {
        assert_eq!(refused().await, 503);
    }
    // Past the throttle's window: the next refusal is logged, with the count left out.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(refused().await, 503);
    assert_eq!(held.await.unwrap(), 200);
    assert_eq!(
        hg.metric("hookgate_requests_total{outcome=\"overloaded\",route=\"custom\"}")
            .await,
        Some((FLOOD + 1) as f64),
        "every refusal is counted"
    );

    let warnings = poll(POLL, async || {
        let lines: Vec<serde_json::Value> = hg
            .json_logs()
            .into_iter()
            .filter(|v| v["message"] == "request" && v["outcome"] == "overloaded")
            .collect();
        // Every refusal accounted for: logged, or counted by a later line.
        let left_out: u64 = lines.iter().filter_map(|v| v["suppressed"].as_u64()).sum();
        (lines.len() + left_out as usize == FLOOD + 1).then_some(lines)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "overloaded lines do not account for every refusal\n{}",
            hg.logs()
        )
    });
    assert!(
        warnings.iter().all(|v| v["level"] == "WARN"),
        "{warnings:?}"
    );
    // The flood: a few lines (two throttle windows at most), the rest left out and counted in
    // the line after it.
    let (flood, last) = warnings.split_at(warnings.len() - 1);
    assert!(
        (1..=10).contains(&flood.len()),
        "{} lines for {FLOOD} refusals",
        flood.len()
    );
    assert!(flood.len() < FLOOD, "nothing was left out");
    assert!(
        last[0]["suppressed"].as_u64() > Some(0),
        "the line after the flood says how many it left out: {warnings:?}"
    );
}

/// The secret `hookgate demo` and `--demo-secrets` make up for a variable that is not set, as
/// `src/cli/demo.rs` makes them: `whsec_` and the base64 of `demo-` and the variable's name in
/// lower case.
fn demo_secret(var: &str) -> String {
    use base64::Engine as _;
    let raw = format!("demo-{}", var.to_ascii_lowercase());
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

#[tokio::test]
async fn a_malformed_request_is_counted_and_logged_like_any_refusal() {
    // It never reaches a route: the connection fails in the HTTP parser. It still goes through
    // the one recorder: the bad_request counter of route none and a `request` line saying so,
    // with the peer (nothing else names the sender).
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = write_config(dir.path(), &up.url(), port, admin);
    let hg = Binary::start(
        &cfg,
        dir.path().join("hookgate.log"),
        &[("HG_TEST_SECRET", "s")],
        &[],
        (port, admin),
    )
    .await;
    let series = "hookgate_requests_total{outcome=\"bad_request\",route=\"none\"}";
    assert_eq!(hg.metric(series).await, Some(0.0));
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut conn, b"POST /hook HTTP/1.1\r\nHost x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        WAIT,
        tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut answer),
    )
    .await;
    assert!(
        answer.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let line = poll(POLL, async || {
        hg.json_logs().into_iter().find(|v| {
            v["message"] == "request" && v["outcome"] == "bad_request" && v["route"] == "none"
        })
    })
    .await
    .unwrap_or_else(|| panic!("no request line for the malformed request\n{}", hg.logs()));
    assert_eq!(line["status"], 400, "{line}");
    assert!(
        line["peer"]
            .as_str()
            .is_some_and(|p| p.starts_with("127.0.0.1:")),
        "{line}"
    );
    assert!(
        line["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{line}"
    );
    assert_eq!(hg.metric(series).await, Some(1.0));
}
