//! Live reload through the real binary: SIGHUP, file changes in a Kubernetes-style volume (a
//! `..data` symlink swapped over timestamped directories), secret rotation under load, invalid
//! edits, settings that need a restart, routes added and removed.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::*;
use crate::process::BIN;
use crate::proxy::{refs, signed};

const OLD_SECRET: &str = "rotation-OLD-7c1e";
const NEW_SECRET: &str = "rotation-NEW-93ab";

/// Writes `files` as a new version of a Kubernetes-style volume in `dir`: a timestamped
/// directory, `..data` pointing at it (swapped atomically with rename(2), as the kubelet does),
/// and each file a symlink through `..data`.
fn volume_version(dir: &Path, version: &str, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    let v = dir.join(format!("..{version}"));
    std::fs::create_dir(&v).unwrap();
    for (name, content) in files {
        std::fs::write(v.join(name), content).unwrap();
    }
    let tmp = dir.join("..data_tmp");
    symlink(format!("..{version}"), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    for (name, _) in files {
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_err() {
            symlink(format!("..data/{name}"), &link).unwrap();
        }
    }
}

fn config(port: u16, admin: u16, upstream: &str, routes: &str) -> String {
    format!(
        "listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{admin}\nupstream: {{ url: \"{upstream}\", timeout: 5s }}\nlog: {{ format: json, level: info }}\nroutes:\n{routes}"
    )
}

/// The real binary under test, with what the reload tests read from it.
struct Running(Binary);

impl std::ops::Deref for Running {
    type Target = Binary;

    fn deref(&self) -> &Binary {
        &self.0
    }
}

impl Running {
    async fn start(dir: &Path, config: &Path, port: u16, admin: u16, args: &[&str]) -> Self {
        Self(
            Binary::start(
                config,
                dir.join("stderr.log"),
                &[("HG_RELOAD_SECRET", "env-secret-for-reload-tests")],
                args,
                (port, admin),
            )
            .await,
        )
    }

    fn hangup(&self) {
        self.signal("-HUP");
    }

    async fn reloads(&self, result: &str) -> f64 {
        self.metric(&format!(
            "hookgate_config_reloads_total{{result=\"{result}\"}}"
        ))
        .await
        .unwrap_or_else(|| panic!("no reload counter for {result}"))
    }

    /// Waits until `hookgate_config_reloads_total{result}` reaches `n`.
    async fn wait_reloads(&self, result: &str, n: f64) {
        poll(POLL, async || {
            (self.reloads(result).await >= n).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("no {result} reload #{n}; logs:\n{}", self.logs()));
    }

    /// The JSON log lines with this message, once there is one (logs are written in batches,
    /// up to 50 ms after the event).
    async fn log_lines(&self, message: &str) -> Vec<serde_json::Value> {
        self.wait_log_lines(|m| m == message).await
    }

    /// As `log_lines`, for the lines whose message `matches`; none if none came in time.
    async fn wait_log_lines(&self, matches: impl Fn(&str) -> bool) -> Vec<serde_json::Value> {
        poll(POLL, async || {
            let lines: Vec<serde_json::Value> = self
                .json_logs()
                .into_iter()
                .filter(|v| v["message"].as_str().is_some_and(&matches))
                .collect();
            (!lines.is_empty()).then_some(lines)
        })
        .await
        .unwrap_or_default()
    }
}

fn body(id: &str) -> String {
    format!(r#"{{"id":"{id}","type":"reload.test"}}"#)
}

async fn deliver(url: &str, secret: &str, id: &str) -> u16 {
    let b = body(id);
    post(url, &refs(&signed(secret, now_unix(), &b)), b)
        .await
        .status
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secret_rotated_under_load_by_a_symlink_swap_and_sighup() {
    // A slow-ish app, so deliveries are in flight across the reload.
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(30))).await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets");
    volume_version(&secrets, "2025_01", &[("key", &format!("{OLD_SECRET}\n"))]);
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    let routes = signed_route("custom", "/hook", "[ { id: current, file: secrets/key } ]");
    std::fs::write(&cfg, config(port, admin, &up.url(), &routes)).unwrap();
    // File watching off: this test is about SIGHUP (the next one covers the watcher).
    let hg = Running::start(dir.path(), &cfg, port, admin, &["--watch-interval", "0s"]).await;
    let url = hg.url("/hook");

    // Senders still signing with the old secret, from several connections at once.
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..6 {
        let (url, stop, counter) = (url.clone(), stop.clone(), counter.clone());
        workers.push(tokio::spawn(async move {
            let mut seen: Vec<(Instant, Instant, u16)> = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let started = Instant::now();
                let status = deliver(&url, OLD_SECRET, &format!("evt_w{w}_{n}")).await;
                seen.push((started, Instant::now(), status));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Rotate: the Secret volume now holds only the new secret; then SIGHUP.
    volume_version(&secrets, "2025_02", &[("key", &format!("{NEW_SECRET}\n"))]);
    let hup_at = Instant::now();
    hg.hangup();
    hg.wait_reloads("success", 1.0).await;
    let reloaded_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    let mut forwarded_by_old = 0;
    let mut answered_before = 0;
    for w in workers {
        let seen = w.await.unwrap();
        total += seen.len();
        let mut refused = false;
        for (started, answered, status) in seen {
            assert!(
                status == 200 || status == 401,
                "only 200 (old secret in force) or 401 (new one in force), got {status}"
            );
            // hookgate takes the config in force when it starts handling a request, which the
            // sender cannot see: one sent just before the SIGHUP may reach it after the swap.
            // One answered before the SIGHUP was handled under the old secret.
            if answered < hup_at {
                assert_eq!(status, 200, "a delivery answered before the reload failed");
                answered_before += 1;
            }
            if started > reloaded_at {
                assert_eq!(status, 401, "the old secret still works after the reload");
            }
            // The switch is atomic: once refused, never accepted again.
            assert!(!(refused && status == 200), "old and new config alternated");
            refused |= status == 401;
            forwarded_by_old += usize::from(status == 200);
        }
    }
    assert!(total > 20, "only {total} deliveries under load");
    assert!(
        answered_before > 0,
        "no delivery was answered before the reload"
    );

    // Senders switched to the new secret: every one passes; the old one is refused.
    let mut news = Vec::new();
    for i in 0..10 {
        let url = url.clone();
        news.push(tokio::spawn(async move {
            deliver(&url, NEW_SECRET, &format!("evt_new_{i}")).await
        }));
    }
    for n in news {
        assert_eq!(n.await.unwrap(), 200, "the new secret must verify");
    }
    assert_eq!(deliver(&url, OLD_SECRET, "evt_old_late").await, 401);
    // Everything accepted reached the app, once.
    assert_eq!(up.count(), forwarded_by_old + 10);
    assert_eq!(hg.reloads("failure").await, 0.0);
    let reloaded = hg.log_lines("config reloaded").await;
    assert_eq!(reloaded.len(), 1, "{}", hg.logs());
    assert_eq!(reloaded[0]["trigger"], "SIGHUP");
    for secret in [OLD_SECRET, NEW_SECRET] {
        assert!(!hg.logs().contains(secret), "logs leak a secret");
    }
}

#[tokio::test]
async fn an_invalid_edit_keeps_the_running_config_and_restart_settings_wait() {
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    let routes = signed_route("custom", "/hook", "[ { id: env, env: HG_RELOAD_SECRET } ]");
    let good = config(port, admin, &up.url(), &routes);
    std::fs::write(&cfg, &good).unwrap();
    let hg = Running::start(dir.path(), &cfg, port, admin, &["--watch-interval", "0s"]).await;
    let url = hg.url("/hook");
    let secret = "env-secret-for-reload-tests";
    assert_eq!(deliver(&url, secret, "evt_1").await, 200);
    assert_eq!(hg.reloads("failure").await, 0.0);

    // A typo: the key on line 14 is unknown. Same message as `hookgate check`.
    let bad = good.replace("    secrets:", "    sekrets:");
    assert_eq!(
        bad.lines().nth(13).unwrap(),
        "    sekrets: [ { id: env, env: HG_RELOAD_SECRET } ]"
    );
    std::fs::write(&cfg, &bad).unwrap();
    hg.hangup();
    hg.wait_reloads("failure", 1.0).await;
    assert_eq!(hg.reloads("success").await, 0.0);
    let check = Command::new(BIN)
        .args(["check", "--config", cfg.to_str().unwrap()])
        .env("HG_RELOAD_SECRET", secret)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    let check_err = String::from_utf8_lossy(&check.stderr);
    let failed = hg
        .log_lines("config reload failed; keeping the running config")
        .await;
    assert_eq!(failed.len(), 1, "{}", hg.logs());
    let logged = failed[0]["error"].as_str().unwrap();
    assert!(
        logged.contains("hookgate.yaml:14:5") && logged.contains("unknown field `sekrets`"),
        "{logged}"
    );
    assert!(
        check_err.contains(logged),
        "check says {check_err}\nthe log says {logged}"
    );
    // The old config still serves.
    assert_eq!(deliver(&url, secret, "evt_2").await, 200);

    // A valid file again, with a new listen address: the rest applies, listen waits for a
    // restart (hookgate keeps serving where it is).
    let other = free_port();
    let moved = good
        .replace(
            &format!("listen: 127.0.0.1:{port}"),
            &format!("listen: 127.0.0.1:{other}"),
        )
        .replace("log: {", "limits: { max_body: 16 }\nlog: {");
    std::fs::write(&cfg, &moved).unwrap();
    hg.hangup();
    hg.wait_reloads("success", 1.0).await;
    let restart = hg.wait_log_lines(|m| m.contains("requires restart")).await;
    assert_eq!(restart.len(), 1, "{}", hg.logs());
    assert_eq!(restart[0]["key"], "listen");
    assert_eq!(restart[0]["level"], "WARN");
    assert_eq!(
        deliver(&url, secret, "evt_3").await,
        413,
        "max_body applied at once"
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", other)).is_err());
    assert_eq!(hg.reloads("failure").await, 1.0);
}

#[tokio::test]
async fn a_route_added_by_a_configmap_swap_serves_and_a_removed_one_is_gone() {
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let secret = "env-secret-for-reload-tests";
    let one = signed_route("custom", "/hook", "[ { id: env, env: HG_RELOAD_SECRET } ]");
    let two = signed_route(
        "added",
        "/added",
        "[ { id: later, env: HG_RELOAD_SECRET } ]",
    );
    let conf = dir.path().join("conf");
    volume_version(
        &conf,
        "2025_01",
        &[("hookgate.yaml", &config(port, admin, &up.url(), &one))],
    );
    let cfg = conf.join("hookgate.yaml");
    // No SIGHUP in this test: the watcher sees the `..data` swap by itself.
    let hg = Running::start(
        dir.path(),
        &cfg,
        port,
        admin,
        &["--watch-interval", "100ms"],
    )
    .await;
    assert_eq!(deliver(&hg.url("/added"), secret, "evt_a0").await, 404);
    assert_eq!(deliver(&hg.url("/hook"), secret, "evt_h1").await, 200);

    volume_version(
        &conf,
        "2025_02",
        &[(
            "hookgate.yaml",
            &config(port, admin, &up.url(), &format!("{one}{two}")),
        )],
    );
    hg.wait_reloads("success", 1.0).await;
    assert_eq!(deliver(&hg.url("/added"), secret, "evt_a1").await, 200);
    // The dedup store survived the reload: a retry of a delivery accepted before it is a
    // duplicate, not forwarded again.
    let before = up.count();
    let b = body("evt_h1");
    let retry = post(&hg.url("/hook"), &refs(&signed(secret, now_unix(), &b)), b).await;
    assert_eq!(retry.headers["hookgate-duplicate"], "true");
    assert_eq!(up.count(), before);
    assert_eq!(
        up.requests().last().unwrap().headers["hookgate-verified"],
        "added"
    );
    // Its series exist, at zero for what has not happened yet.
    assert_eq!(
        hg.metric("hookgate_requests_total{outcome=\"forwarded\",route=\"added\"}")
            .await,
        Some(1.0)
    );
    assert_eq!(
        hg.metric("hookgate_verified_total{route=\"added\",secret=\"later\"}")
            .await,
        Some(1.0)
    );
    assert_eq!(
        hg.metric("hookgate_requests_total{outcome=\"invalid_signature\",route=\"added\"}")
            .await,
        Some(0.0)
    );
    let reloaded = hg.log_lines("config reloaded").await;
    assert_eq!(reloaded[0]["trigger"], "file change");
    assert_eq!(reloaded[0]["added"], "added");

    // The first route goes away: it is not served, and its series are no longer exported.
    volume_version(
        &conf,
        "2025_03",
        &[("hookgate.yaml", &config(port, admin, &up.url(), &two))],
    );
    hg.wait_reloads("success", 2.0).await;
    assert_eq!(deliver(&hg.url("/hook"), secret, "evt_h2").await, 404);
    let metrics = hg.metrics().await;
    assert!(!metrics.contains("route=\"custom\""), "{metrics}");
    assert!(metrics.contains("route=\"added\""));
    assert_eq!(hg.reloads("failure").await, 0.0);
    // Nothing changed since: no further reloads from the watcher.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hg.reloads("success").await, 2.0);
}

#[tokio::test]
async fn a_config_waiting_for_its_secret_file_loads_when_the_file_appears() {
    // The ConfigMap and the Secret are separate volumes, updated at different moments: a config
    // naming a secret file that is not there yet fails, then loads once the file arrives.
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    let env_only = signed_route("custom", "/hook", "[ { id: env, env: HG_RELOAD_SECRET } ]");
    std::fs::write(&cfg, config(port, admin, &up.url(), &env_only)).unwrap();
    let hg = Running::start(
        dir.path(),
        &cfg,
        port,
        admin,
        &["--watch-interval", "100ms"],
    )
    .await;

    let with_file = signed_route(
        "custom",
        "/hook",
        "[ { id: env, env: HG_RELOAD_SECRET }, { id: next, file: later/next.key } ]",
    );
    std::fs::write(&cfg, config(port, admin, &up.url(), &with_file)).unwrap();
    hg.wait_reloads("failure", 1.0).await;
    let failed = hg
        .log_lines("config reload failed; keeping the running config")
        .await;
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("routes[0].secrets[1].file: cannot read secret file"),
        "{}",
        hg.logs()
    );
    assert_eq!(deliver(&hg.url("/hook"), NEW_SECRET, "evt_1").await, 401);

    volume_version(
        &dir.path().join("later"),
        "2025_01",
        &[("next.key", NEW_SECRET)],
    );
    hg.wait_reloads("success", 1.0).await;
    assert_eq!(deliver(&hg.url("/hook"), NEW_SECRET, "evt_2").await, 200);
    assert_eq!(hg.reloads("failure").await, 1.0, "no retry storm meanwhile");
}

#[tokio::test]
async fn a_reload_keeps_the_body_budget_unless_its_size_changes() {
    use crate::wire::{head_signed, kib_body as body, response, sending};
    use tokio::io::AsyncWriteExt;
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    let routes = signed_route("custom", "/hook", "[ { id: env, env: HG_RELOAD_SECRET } ]");
    let with_limits = |limits: &str| {
        config(port, admin, &up.url(), &routes)
            .replace("log: {", &format!("limits: {{ {limits} }}\nlog: {{"))
    };
    std::fs::write(
        &cfg,
        with_limits("max_body: 1KiB, max_buffered: 2KiB, body_timeout: 20s, min_body_rate: 0, per_source: { max_buffered: 2KiB }"),
    )
    .unwrap();
    let hg = Running::start(dir.path(), &cfg, port, admin, &["--watch-interval", "0s"]).await;
    let secret = "env-secret-for-reload-tests";
    let start = async |body: &str, sent: usize| {
        let extra = ["Content-Length: 1024"];
        let h = head_signed("POST /hook HTTP/1.1", body, &extra, secret, now_unix());
        sending(([127, 0, 0, 1], port).into(), h, body, sent).await
    };
    let held = async |bytes: f64| {
        poll(POLL, async || {
            (hg.metric("hookgate_buffered_bytes").await == Some(bytes)).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("hookgate_buffered_bytes never reached {bytes}"));
    };
    let (a_body, b_body) = (body("evt_a"), body("evt_b"));
    let mut a = start(&a_body, 1000).await;
    let mut b = start(&b_body, 1000).await;
    held(2000.0).await;

    // A reload that leaves max_buffered alone keeps the budget and what it holds.
    std::fs::write(
        &cfg,
        with_limits("max_body: 1KiB, max_buffered: 2KiB, body_timeout: 19s, min_body_rate: 0, per_source: { max_buffered: 2KiB }"),
    )
    .unwrap();
    hg.hangup();
    hg.wait_reloads("success", 1.0).await;
    held(2000.0).await;
    let mut c = start(&body("evt_c"), 1024).await;
    assert_eq!(response(&mut c, &mut Vec::new()).await.0, 503);

    // A new size is a new budget, in force at once.
    std::fs::write(
        &cfg,
        with_limits("max_body: 1KiB, max_buffered: 4KiB, body_timeout: 19s, min_body_rate: 0, per_source: { max_buffered: 4KiB }"),
    )
    .unwrap();
    hg.hangup();
    hg.wait_reloads("success", 2.0).await;
    let d_body = body("evt_d");
    let mut d = start(&d_body, 1024).await;
    assert_eq!(response(&mut d, &mut Vec::new()).await.0, 200);
    // The senders that started before finish on the budget they started with.
    for (s, b) in [(&mut a, &a_body), (&mut b, &b_body)] {
        s.write_all(&b.as_bytes()[1000..]).await.unwrap();
        assert_eq!(response(s, &mut Vec::new()).await.0, 200);
    }
    assert_eq!(up.count(), 3);
}

/// A route's `filter` changes on a live reload: the next delivery is decided by the new one.
#[tokio::test]
async fn a_changed_filter_applies_after_a_reload() {
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    let route = |filter: &str| {
        format!(
            "{}    filter: \"{filter}\"\n",
            signed_route(
                "custom",
                "/hook",
                "[ { id: current, env: HG_RELOAD_SECRET } ]"
            )
        )
    };
    std::fs::write(
        &cfg,
        config(port, admin, &up.url(), &route("body.type == 'other'")),
    )
    .unwrap();
    let hg = Running::start(dir.path(), &cfg, port, admin, &["--watch-interval", "0s"]).await;
    let url = hg.url("/hook");
    let secret = "env-secret-for-reload-tests";
    assert_eq!(deliver(&url, secret, "f1").await, 200);
    assert_eq!(up.count(), 0, "filtered by the first expression");

    std::fs::write(
        &cfg,
        config(port, admin, &up.url(), &route("body.type == 'reload.test'")),
    )
    .unwrap();
    hg.hangup();
    hg.wait_reloads("success", 1.0).await;
    assert_eq!(deliver(&url, secret, "f2").await, 200);
    assert_eq!(up.count(), 1, "the new expression lets it through");

    // An expression that does not compile is refused: the one in force stays.
    std::fs::write(&cfg, config(port, admin, &up.url(), &route("body.type =="))).unwrap();
    hg.hangup();
    hg.wait_reloads("failure", 1.0).await;
    assert_eq!(deliver(&url, secret, "f3").await, 200);
    assert_eq!(up.count(), 2);

    // Upstream clients are built at start: a route sent to an upstream new to the file waits
    // for a restart, and so does the rest of that reload.
    let other = Upstream::ok().await;
    let moved = format!(
        "upstreams:\n  billing: {{ url: \"{}\" }}\n{}",
        other.url(),
        config(
            port,
            admin,
            &up.url(),
            &format!(
                "{}    upstream: billing\n",
                route("body.type == 'reload.test'")
            )
        )
    );
    std::fs::write(&cfg, moved).unwrap();
    hg.hangup();
    hg.wait_reloads("failure", 2.0).await;
    let refused = poll(POLL, async || {
        let lines = hg
            .log_lines("config reload failed; keeping the running config")
            .await;
        lines.into_iter().find(|l| {
            l["error"]
                .as_str()
                .is_some_and(|e| e.contains("upstreams added since start"))
        })
    })
    .await
    .expect("the reload's log line says why");
    assert!(
        refused["error"].as_str().unwrap().ends_with(": billing"),
        "{refused}"
    );
    assert_eq!(deliver(&url, secret, "f4").await, 200);
    assert_eq!((up.count(), other.count()), (3, 0));
}
