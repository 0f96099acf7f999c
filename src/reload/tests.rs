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

#[test]
fn settings_bound_to_sockets_and_the_store_keep_their_running_values() {
    let current = parse(BASE);
    let edited = BASE.replace("127.0.0.1:8080", "127.0.0.1:8081").replace(
        "upstream: { url: http://127.0.0.1:3000 }",
        "upstream: { url: http://127.0.0.1:3001 }
limits: { max_body: 2KiB, max_concurrency: 7 }
dedup: { max_entries: 5, duplicate_status: 202 }
workers: 17",
    ) + "  - { name: b, path: /b, provider: github, secrets: [ { env: S } ] }\n";
    let new = parse(&edited);
    let (merged, restart) = carry_over(&current, new);
    assert_eq!(
        restart,
        [
            "listen",
            "upstream.url",
            "limits.max_concurrency",
            "dedup.max_entries",
            "workers"
        ]
    );
    assert_eq!(merged.workers, current.workers);
    assert_eq!(merged.listen, current.listen);
    assert_eq!(merged.upstream.url, "http://127.0.0.1:3000");
    assert_eq!(
        merged.limits.max_concurrency,
        current.limits.max_concurrency
    );
    assert_eq!(merged.dedup.max_entries, current.dedup.max_entries);
    // What applies at once does.
    assert_eq!(merged.limits.max_body, 2048);
    assert_eq!(merged.dedup.duplicate_status, 202);
    assert_eq!(merged.routes.len(), 2);
    assert!(merged.route_for("/b").is_some());
}

#[test]
fn an_identical_config_needs_no_restart() {
    let (_, restart) = carry_over(&parse(BASE), parse(BASE));
    assert!(restart.is_empty(), "{restart:?}");
}
