//! Live reload: what the file poller treats as a change, and which settings wait for a restart.

use std::os::unix::fs::symlink;

use super::*;

fn parse(yaml: &str) -> Config {
    let env = |name: &str| (name == "S").then(|| "secret".to_owned());
    config::parse(yaml, "test.yaml", Path::new("."), &env, Secrets::Load)
        .unwrap_or_else(|e| panic!("{e}"))
}

const BASE: &str = r#"
listen: 127.0.0.1:8080
admin_listen: 127.0.0.1:9090
upstream: { url: http://127.0.0.1:3000 }
routes:
  - { name: a, path: /a, provider: github, secrets: [ { env: S } ] }
"#;

/// A Kubernetes-style volume: `key -> ..data/key`, `..data -> ..<version>`.
fn k8s_volume(dir: &Path, version: &str, content: &str) {
    let v = dir.join(format!("..{version}"));
    std::fs::create_dir(&v).unwrap();
    std::fs::write(v.join("key"), content).unwrap();
    let tmp = dir.join("..data_tmp");
    symlink(format!("..{version}"), &tmp).unwrap();
    // rename(2) over the old link: the swap is atomic, as the kubelet's.
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    if std::fs::symlink_metadata(dir.join("key")).is_err() {
        symlink("..data/key", dir.join("key")).unwrap();
    }
}

#[test]
fn a_data_symlink_swap_is_a_change() {
    let dir = tempfile::tempdir().unwrap();
    k8s_volume(dir.path(), "2024_01", "old-secret");
    let key = dir.path().join("key");
    let before = stamp(&key);
    assert!(before == stamp(&key), "a stamp is stable");
    k8s_volume(dir.path(), "2024_02", "new-secret");
    let after = stamp(&key);
    assert!(before != after);
    let Stamp::File { resolved, .. } = after else {
        panic!("unreadable")
    };
    assert!(
        resolved.to_string_lossy().contains("..2024_02"),
        "{resolved:?}"
    );
}

#[test]
fn an_edit_keeping_size_and_mtime_is_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("config.yaml");
    std::fs::write(&f, "aaaa").unwrap();
    let mtime = std::fs::metadata(&f).unwrap().modified().unwrap();
    let before = stamp(&f);
    std::fs::write(&f, "bbbb").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert!(before != stamp(&f), "the digest tells them apart");
}

#[test]
fn a_file_appearing_is_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("later.key");
    let before = stamp(&f);
    assert!(matches!(
        before,
        Stamp::Unreadable(std::io::ErrorKind::NotFound)
    ));
    std::fs::write(&f, "x").unwrap();
    assert!(before != stamp(&f));
}

fn file_route_config(dir: &Path) -> PathBuf {
    let cfg = dir.join("hookgate.yaml");
    let yaml = BASE.replace("{ env: S }", "{ file: next.key }");
    std::fs::write(&cfg, yaml).unwrap();
    std::fs::write(dir.join("next.key"), "k1").unwrap();
    cfg
}

#[test]
fn a_load_stamps_the_config_and_every_secret_file_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_route_config(dir.path());
    let env = |_: &str| None;
    let (loaded, stamps) = load_stamped(&cfg, &env, Stamps::new());
    loaded.result.unwrap_or_else(|e| panic!("{e}"));
    let key = dir.path().join("next.key");
    let paths: Vec<&PathBuf> = stamps.keys().collect();
    assert_eq!(paths, [&cfg, &key]);
    assert!(stamps[&cfg] == stamp(&cfg) && stamps[&key] == stamp(&key));
}

#[test]
fn a_load_keeps_the_stamps_taken_before_it_so_a_change_meanwhile_shows() {
    // The state the poller saw before the load: an older version of both files. Whatever the
    // load then reads, the stamps it hands back must be those, or an edit that landed between
    // the poll and the read (or between the first load and the watcher starting) would be
    // taken for the state in force and never loaded.
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_route_config(dir.path());
    let key = dir.path().join("next.key");
    let before: Stamps = [(cfg.clone(), stamp(&cfg)), (key.clone(), stamp(&key))]
        .into_iter()
        .collect();
    std::fs::write(&key, "k2-longer").unwrap();
    std::fs::write(&cfg, std::fs::read_to_string(&cfg).unwrap() + "\n").unwrap();
    let env = |_: &str| None;
    let (_, stamps) = load_stamped(&cfg, &env, before);
    assert!(stamps[&cfg] != stamp(&cfg), "config edit not visible");
    assert!(stamps[&key] != stamp(&key), "secret edit not visible");
}

#[tokio::test]
async fn a_reload_puts_the_live_half_in_force_and_names_what_needs_a_restart() {
    let current = parse(BASE);
    let edited = BASE.replace("127.0.0.1:8080", "127.0.0.1:8081").replace(
        "upstream: { url: http://127.0.0.1:3000 }",
        "upstream: { url: http://127.0.0.1:3001 }
limits: { max_body: 2KiB, max_concurrency: 7 }
dedup: { max_entries: 5, duplicate_status: 202 }
workers: 17",
    ) + "  - { name: b, path: /b, provider: github, secrets: [ { env: S } ] }\n";
    let new = parse(&edited);
    assert_eq!(
        config::changed_keys(&current.startup, &new.startup),
        [
            "dedup.max_entries",
            "limits.max_concurrency",
            "listen",
            "upstream.url",
            "workers"
        ]
    );
    let gate = crate::app::build_gate(
        &current,
        crate::clock::system_clock(),
        &crate::otel::Traces::default(),
    )
    .unwrap();
    apply(&gate, &current.startup, new, Trigger::Signal);
    // What applies at once does; the rest is not the gate's to hold.
    let live = gate.live();
    assert_eq!(live.limits.max_body, 2048);
    assert_eq!(live.dedup.duplicate_status, 202);
    assert_eq!(live.routes.len(), 2);
    assert!(live.route_for("/b").is_some());
}

#[test]
fn a_changed_redis_password_needs_a_restart_and_is_never_named() {
    let redis = |pw: &str| {
        let env = move |name: &str| match name {
            "S" => Some("secret".to_owned()),
            "PW" => Some(pw.to_owned()),
            _ => None,
        };
        let yaml = format!(
            "{BASE}dedup: {{ backend: redis, redis: {{ url: redis://r:6379, password: {{ env: PW }}, on_unavailable: forward }} }}\n"
        );
        config::parse(&yaml, "test.yaml", Path::new("."), &env, Secrets::Load)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (a, b) = (redis("hunter2-one"), redis("hunter2-two"));
    let keys = config::changed_keys(&a.startup, &b.startup);
    assert_eq!(keys, ["dedup.redis"]);
    assert!(config::changed_keys(&a.startup, &redis("hunter2-one").startup).is_empty());
}

#[test]
fn an_identical_config_needs_no_restart() {
    let (a, b) = (parse(BASE), parse(BASE));
    let restart = config::changed_keys(&a.startup, &b.startup);
    assert!(restart.is_empty(), "{restart:?}");
}
