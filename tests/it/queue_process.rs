//! The queue in the real binary: SIGKILLed under load (nothing acknowledged is lost), a
//! damaged store (a clear refusal to start), SIGTERM (what waits stays for the next start),
//! and `hookgate queue` against the admin port.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::harness::*;
use crate::process::BIN;
use crate::proxy::{signed, SECRET};
use crate::queue::event;

const TOKEN: &str = "admin-token-7c1e";

fn write_config(
    dir: &std::path::Path,
    upstream: &str,
    ports: (u16, u16),
    delivery: &str,
) -> std::path::PathBuf {
    let yaml = format!(
        r#"
listen: 127.0.0.1:{port}
admin_listen: 127.0.0.1:{admin}
upstream: {{ url: "{upstream}", timeout: 1s }}
log: {{ format: json }}
shutdown_grace: 3s
admin: {{ token: {{ env: HG_ADMIN_TOKEN }} }}
queue:
  path: {path}
routes:
{route}    delivery: {delivery}
"#,
        port = ports.0,
        admin = ports.1,
        path = dir.join("queue.redb").display(),
        route = signed_route("q", "/q", "[ { env: CUR } ]"),
    );
    let path = dir.join("hookgate.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

const ENV: &[(&str, &str)] = &[("CUR", SECRET), ("HG_ADMIN_TOKEN", TOKEN)];

async fn start(
    cfg: &std::path::Path,
    dir: &std::path::Path,
    ports: (u16, u16),
    n: usize,
) -> Binary {
    Binary::start(cfg, dir.join(format!("hookgate-{n}.log")), ENV, &[], ports).await
}

/// What the sender learnt of one delivery.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Told {
    Accepted,
    Refused,
    /// No answer: the connection died with the process.
    Unknown,
}

/// Sends one delivery; never panics on a dead connection.
pub(crate) async fn try_deliver(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    url: &str,
    id: &str,
    body: &str,
) -> Told {
    let h = signed(SECRET, now_unix(), body);
    let mut req = Request::post(url).header("content-type", "application/json");
    for (n, v) in &h {
        req = req.header(n.as_str(), v.as_str());
    }
    let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
    let _ = id;
    match tokio::time::timeout(Duration::from_secs(5), client.request(req)).await {
        Ok(Ok(resp)) => {
            let status = resp.status();
            let _ = resp.into_body().collect().await;
            if status.is_success() {
                Told::Accepted
            } else {
                Told::Refused
            }
        }
        _ => Told::Unknown,
    }
}

#[tokio::test]
async fn sigkill_under_load_loses_nothing_that_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let up = Upstream::ok().await;
    let ports = (free_port(), free_port());
    let cfg = write_config(
        dir.path(),
        &up.url(),
        ports,
        "{ mode: queued, concurrency: 8, initial_backoff: 20ms, max_backoff: 200ms }",
    );
    let told: Arc<Mutex<Vec<(String, Told)>>> = Arc::default();
    let mut hg = start(&cfg, dir.path(), ports, 0).await;
    for round in 0..3 {
        let running = Arc::new(AtomicBool::new(true));
        let mut senders = Vec::new();
        for c in 0..8 {
            let (running, told) = (running.clone(), told.clone());
            let url = hg.url("/q");
            senders.push(tokio::spawn(async move {
                let client = Client::builder(TokioExecutor::new()).build_http();
                let mut i = 0;
                while running.load(Ordering::SeqCst) {
                    let id = format!("evt_r{round}_c{c}_{i}");
                    let t = try_deliver(&client, &url, &id, &event(&id)).await;
                    told.lock().unwrap().push((id, t));
                    if t == Told::Unknown {
                        break;
                    }
                    i += 1;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
        hg.kill();
        running.store(false, Ordering::SeqCst);
        for s in senders {
            s.await.unwrap();
        }
        hg = start(&cfg, dir.path(), ports, round + 1).await;
    }
    let told = told.lock().unwrap().clone();
    let accepted: HashSet<&str> = told
        .iter()
        .filter(|(_, t)| *t == Told::Accepted)
        .map(|(i, _)| i.as_str())
        .collect();
    let refused: HashSet<&str> = told
        .iter()
        .filter(|(_, t)| *t == Told::Refused)
        .map(|(i, _)| i.as_str())
        .collect();
    let unknown: HashSet<&str> = told
        .iter()
        .filter(|(_, t)| *t == Told::Unknown)
        .map(|(i, _)| i.as_str())
        .collect();
    assert!(
        accepted.len() > 50,
        "too little load to tell: {}",
        accepted.len()
    );
    let seen = || -> HashSet<String> {
        up.requests()
            .iter()
            .map(|r| r.headers["hookgate-event-id"].to_str().unwrap().to_owned())
            .collect()
    };
    let all_there = poll(Duration::from_millis(100), async || {
        let seen = seen();
        accepted.iter().all(|a| seen.contains(*a)).then_some(())
    })
    .await;
    let seen = seen();
    let missing: Vec<_> = accepted.iter().filter(|a| !seen.contains(**a)).collect();
    assert!(
        all_there.is_some(),
        "acknowledged but never delivered: {} of {}: {missing:?}\n{}",
        missing.len(),
        accepted.len(),
        hg.logs()
    );
    for s in &seen {
        // Under this load the app keeps up and nothing is usually refused, so this rarely
        // has anything to check; a_full_queue_answers_503_and_loses_nothing_it_accepted does.
        assert!(
            !refused.contains(s.as_str()),
            "{s} was refused but reached the app"
        );
        assert!(
            accepted.contains(s.as_str()) || unknown.contains(s.as_str()),
            "{s} reached the app but was never sent"
        );
    }
    eprintln!(
        "acknowledged {}, refused {}, unanswered (killed mid-request) {}, delivered {}",
        accepted.len(),
        refused.len(),
        unknown.len(),
        seen.len()
    );
}

#[tokio::test]
async fn a_damaged_store_stops_hookgate_at_start_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    // The app is down: everything stays queued.
    let app = format!("http://127.0.0.1:{}", free_port());
    let ports = (free_port(), free_port());
    let cfg = write_config(dir.path(), &app, ports, "queued");
    let mut hg = start(&cfg, dir.path(), ports, 0).await;
    let client = Client::builder(TokioExecutor::new()).build_http();
    let pad = "x".repeat(4000);
    for i in 0..300 {
        let id = format!("evt_d{i}");
        let body = format!("{{\"id\":\"{id}\",\"pad\":\"{pad}\"}}");
        assert_eq!(
            try_deliver(&client, &hg.url("/q"), &id, &body).await,
            Told::Accepted
        );
    }
    hg.signal("-TERM");
    assert!(hg.wait_exit().await.success(), "{}", hg.logs());
    let store = dir.path().join("queue.redb");
    let pristine = std::fs::read(&store).unwrap();
    let len = pristine.len();
    assert!(len > 1_000_000, "store of {len} bytes");
    // Garbage over 4 KiB at several places. Where it hits the store's data (redb reports most
    // such damage as an error, and panics reading some pages), hookgate must refuse to start;
    // where it hits room the file holds but does not use, the store is whole and hookgate must
    // start with every delivery still queued.
    let mut refused = 0;
    for at in [len / 4, len / 2, len * 3 / 4, len - 8192] {
        let mut bytes = pristine.clone();
        for b in &mut bytes[at..at + 4096] {
            *b = 0xA5;
        }
        std::fs::write(&store, &bytes).unwrap();
        let log = dir.path().join(format!("damaged-{at}.log"));
        let mut child = std::process::Command::new(BIN)
            .args(["--config", cfg.to_str().unwrap()])
            .envs(ENV.iter().copied())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let ended = poll(POLL, async || {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(Some(status));
            }
            answers_ready(ports.1).await.then_some(None)
        })
        .await
        .unwrap_or_else(|| panic!("damage at {at}: neither refused nor ready"));
        let stderr = std::fs::read_to_string(&log).unwrap();
        match ended {
            Some(status) => {
                refused += 1;
                assert_eq!(status.code(), Some(1), "damage at {at}: {stderr}");
                assert!(stderr.contains("is damaged"), "damage at {at}: {stderr}");
                assert!(stderr.contains("move the file aside"), "{stderr}");
                assert!(stderr.contains(store.to_str().unwrap()), "{stderr}");
                assert!(
                    !stderr.contains("panicked"),
                    "a panic, not a refusal: {stderr}"
                );
                // Not emptied, not rewritten: the file is as it was left, but for the flags
                // byte of redb's header (offset 9), which any open sets to "in use".
                let after = std::fs::read(&store).unwrap();
                let changed: Vec<usize> = (0..after.len().min(len))
                    .filter(|&i| after[i] != bytes[i])
                    .collect();
                assert!(
                    after.len() == len && changed.iter().all(|&i| i == 9),
                    "damage at {at}: {} bytes, was {len}; changed at {:?}",
                    after.len(),
                    &changed[..changed.len().min(20)]
                );
            }
            None => {
                let m = scrape(format!("127.0.0.1:{}", ports.1)).await;
                assert_eq!(
                    sample(&m, r#"hookgate_queue_depth{route="q"}"#),
                    Some(300.0),
                    "damage at {at} in unused room: the store must be whole\n{stderr}"
                );
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    assert!(refused >= 1, "no damage was found: the test did not test");
}

#[tokio::test]
async fn sigterm_leaves_what_waits_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let app_port = free_port();
    let app = format!("http://127.0.0.1:{app_port}");
    let ports = (free_port(), free_port());
    let cfg = write_config(
        dir.path(),
        &app,
        ports,
        "{ mode: queued, concurrency: 1, initial_backoff: 20ms, max_backoff: 100ms }",
    );
    let mut hg = start(&cfg, dir.path(), ports, 0).await;
    let client = Client::builder(TokioExecutor::new()).build_http();
    for i in 0..10 {
        let id = format!("evt_t{i}");
        assert_eq!(
            try_deliver(&client, &hg.url("/q"), &id, &event(&id)).await,
            Told::Accepted
        );
    }
    hg.signal("-TERM");
    assert!(hg.wait_exit().await.success(), "{}", hg.logs());
    let up = Upstream::start_on(app_port, |_| Reply::status(200)).await;
    let hg = start(&cfg, dir.path(), ports, 1).await;
    poll(POLL, async || (up.count() >= 10).then_some(()))
        .await
        .unwrap_or_else(|| panic!("{} of 10 delivered\n{}", up.count(), hg.logs()));
    let ids: Vec<_> = up
        .requests()
        .iter()
        .map(|r| r.headers["hookgate-event-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        (0..10).map(|i| format!("evt_t{i}")).collect::<Vec<_>>()
    );
    // One log line per attempt, with the delivery's id and attempt number.
    let lines = poll(POLL, async || {
        let lines: Vec<_> = hg
            .json_logs()
            .into_iter()
            .filter(|l| l["outcome"] == "delivered")
            .collect();
        (lines.len() >= 10).then_some(lines)
    })
    .await
    .unwrap_or_else(|| panic!("no attempt lines\n{}", hg.logs()));
    for l in &lines {
        assert!(
            l["delivery"].as_u64().is_some() && l["attempt"].as_u64() >= Some(1),
            "{l}"
        );
    }
}

fn cli(cfg: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(BIN)
        .args(["--config", cfg.to_str().unwrap(), "queue"])
        .args(args)
        .envs(ENV.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_queue_cli_lists_shows_replays_and_purges_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let accept = Arc::new(AtomicBool::new(false));
    let a2 = accept.clone();
    let up =
        Upstream::start(move |_| Reply::status(if a2.load(Ordering::SeqCst) { 200 } else { 500 }))
            .await;
    let ports = (free_port(), free_port());
    let cfg = write_config(
        dir.path(),
        &up.url(),
        ports,
        "{ mode: queued, max_attempts: 1 }",
    );
    let hg = start(&cfg, dir.path(), ports, 0).await;
    let client = Client::builder(TokioExecutor::new()).build_http();
    for id in ["evt_cli_1", "evt_cli_2"] {
        assert_eq!(
            try_deliver(&client, &hg.url("/q"), id, &event(id)).await,
            Told::Accepted
        );
    }
    let listed = poll(POLL, async || {
        let (ok, out, err) = cli(&cfg, &["ls"]);
        assert!(ok, "{err}");
        (out.contains("evt_cli_1") && out.contains("evt_cli_2")).then_some(out)
    })
    .await
    .expect("two dead letters listed");
    assert!(listed.contains("max_attempts"), "{listed}");
    assert!(
        !listed.contains("link.clicked"),
        "a listing shows no body: {listed}"
    );
    let id = listed
        .lines()
        .find(|l| l.contains("evt_cli_1"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let (ok, shown, _) = cli(&cfg, &["show", &id]);
    assert!(
        ok && shown.contains("\"event_id\": \"evt_cli_1\"") && !shown.contains("link.clicked"),
        "{shown}"
    );
    let (ok, with_body, _) = cli(&cfg, &["show", &id, "--body"]);
    assert!(ok && with_body.contains("link.clicked"), "{with_body}");
    // The admin port wants the token; the CLI sends the config's.
    let anon = send(
        Request::get(format!("http://127.0.0.1:{}/queue/dead", ports.1))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(anon.status, 401);

    accept.store(true, Ordering::SeqCst);
    let (ok, out, err) = cli(&cfg, &["replay", "--all"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "2 dead letter(s) back in the queue");
    poll(POLL, async || (up.count() >= 4).then_some(()))
        .await
        .expect("both replayed and delivered");
    let (_, out, _) = cli(&cfg, &["ls"]);
    assert_eq!(out.trim(), "(none)");

    accept.store(false, Ordering::SeqCst);
    assert_eq!(
        try_deliver(&client, &hg.url("/q"), "evt_cli_3", &event("evt_cli_3")).await,
        Told::Accepted
    );
    poll(POLL, async || {
        cli(&cfg, &["ls"]).1.contains("evt_cli_3").then_some(())
    })
    .await
    .expect("a third dead letter");
    let (ok, out, _) = cli(&cfg, &["purge"]);
    assert!(ok);
    assert_eq!(out.trim(), "1 dead letter(s) removed");
    assert_eq!(cli(&cfg, &["ls"]).1.trim(), "(none)");
    let (ok, _, err) = cli(&cfg, &["replay", "999999"]);
    assert!(!ok && err.contains("no such dead letter"), "{err}");
}

#[tokio::test]
async fn a_reload_changes_how_queued_deliveries_are_attempted() {
    let dir = tempfile::tempdir().unwrap();
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let f2 = failures.clone();
    // Fails as many requests as `failures` says, then accepts.
    let up = Upstream::start(move |_| {
        let failing = f2
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        Reply::status(if failing { 500 } else { 200 })
    })
    .await;
    let ports = (free_port(), free_port());
    let one = "{ mode: queued, max_attempts: 1, initial_backoff: 10ms, max_backoff: 20ms }";
    let cfg = write_config(dir.path(), &up.url(), ports, one);
    let hg = start(&cfg, dir.path(), ports, 0).await;
    let client = Client::builder(TokioExecutor::new()).build_http();
    failures.store(1, Ordering::SeqCst);
    assert_eq!(
        try_deliver(&client, &hg.url("/q"), "evt_rl_1", &event("evt_rl_1")).await,
        Told::Accepted
    );
    poll(POLL, async || {
        (hg.metric(r#"hookgate_queue_dead_lettered_total{route="q"}"#)
            .await
            == Some(1.0))
        .then_some(())
    })
    .await
    .expect("one attempt, then a dead letter");
    // The same route, now allowed five attempts: the next delivery survives two failures.
    let five = "{ mode: queued, max_attempts: 5, initial_backoff: 10ms, max_backoff: 20ms }";
    write_config(dir.path(), &up.url(), ports, five);
    hg.signal("-HUP");
    poll(POLL, async || {
        (hg.metric(r#"hookgate_config_reloads_total{result="success"}"#)
            .await
            == Some(1.0))
        .then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("no reload\n{}", hg.logs()));
    failures.store(2, Ordering::SeqCst);
    assert_eq!(
        try_deliver(&client, &hg.url("/q"), "evt_rl_2", &event("evt_rl_2")).await,
        Told::Accepted
    );
    poll(POLL, async || {
        (hg.metric(r#"hookgate_queue_attempts_total{outcome="delivered",route="q"}"#)
            .await
            == Some(1.0))
        .then_some(())
    })
    .await
    .expect("delivered on its third attempt, under the new policy");
    assert_eq!(
        hg.metric(r#"hookgate_queue_retries_total{route="q"}"#)
            .await,
        Some(2.0)
    );
    assert_eq!(
        hg.metric(r#"hookgate_queue_dead_lettered_total{route="q"}"#)
            .await,
        Some(1.0)
    );
}
