//! The layers as docs/architecture.md draws them, checked on the source: what each leaf module
//! may import of the crate, so an import that runs back up the layers fails here instead of
//! drifting in unnoticed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The crate's own modules a module imports (`crate::x`, `crate::{x, y::z}`), from every file
/// of it: `src/<name>.rs` and `src/<name>/**.rs`.
fn crate_imports(module: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in files(module) {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    out.insert(first_segment(item.trim()));
                }
            } else {
                out.insert(first_segment(rest));
            }
        }
    }
    out.retain(|m| !m.is_empty() && m != module);
    out
}

fn first_segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn files(module: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        out.push(file);
    }
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    assert!(!out.is_empty(), "no source for module {module}");
    out
}

fn assert_imports_only(module: &str, allowed: &[&str]) {
    let found = crate_imports(module);
    let extra: Vec<&String> = found
        .iter()
        .filter(|m| !allowed.contains(&m.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "{module} imports {extra:?} of the crate; it may import only {allowed:?}"
    );
}

#[test]
fn verify_is_a_leaf() {
    // Pure functions over a message, a scheme, keys and a clock.
    assert_imports_only("verify", &["secret"]);
}

#[test]
fn fetch_knows_only_the_clock() {
    // The outbound fetcher is groundwork for verification (JWKS, SNS certificates) but must
    // not reach into it: the caller hands it URLs and a parser, and gets documents back.
    assert_imports_only("fetch", &["clock"]);
}

#[test]
fn dedup_knows_nothing_of_http_or_verification() {
    assert_imports_only("dedup", &["secret"]);
    for file in files("dedup") {
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in ["use http", "http::", "hyper"] {
            assert!(
                !text.contains(needle),
                "{} mentions {needle}: the store takes only a DedupKey",
                file.display()
            );
        }
    }
}

#[test]
fn forward_body_secret_and_clock_import_nothing_of_the_crate() {
    // forward knows nothing of verification or dedup; the others are leaves (a body counts
    // its bytes in its source's share, pure bookkeeping).
    for module in ["forward", "secret", "clock", "sources"] {
        assert_imports_only(module, &[]);
    }
    assert_imports_only("body", &["sources"]);
}

#[test]
fn the_rate_limiter_knows_only_its_limit() {
    // Token buckets keyed by an address handed in: nothing of HTTP, routes or where the
    // address came from (a trusted proxy's header or the socket), so the source can change.
    assert_imports_only("ratelimit", &["config"]);
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ratelimit.rs"))
            .unwrap();
    for needle in ["use http", "http::", "hyper", "SocketAddr"] {
        assert!(!text.contains(needle), "ratelimit.rs mentions {needle}");
    }
}

#[test]
fn runtime_context_is_handed_in_not_fetched() {
    // No thread-local carries a worker's identity or handles: each worker builds its own
    // (app.rs) and hands them to the requests it serves.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    !text.contains("thread_local!") && !text.contains("workers::current"),
                    "{} fetches context from the thread",
                    path.display()
                );
            }
        }
    }
    assert_imports_only("workers", &["server", "sources"]);
}

#[test]
fn allowlists_and_client_addresses_stay_below_the_gate() {
    // The address sets and the list refresher know the fetcher and the `fetch:` settings, not
    // the gate; reading who the client is knows only address sets.
    assert_imports_only("allowlist", &["clock", "config", "fetch"]);
    assert_imports_only("peer", &["allowlist"]);
}
