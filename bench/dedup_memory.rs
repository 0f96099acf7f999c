//! Memory per dedup entry: fills the in-process store with N accepted ids of a realistic shape
//! (a route name and a 28-character event id) and reports the resident-set growth.
//!
//! `cargo run --release --example dedup_memory -- 1000000`

use std::sync::Arc;
use std::time::Duration;

use hookgate::dedup::{Claim, DedupKey, MemoryStore, Ttls};

// The same allocator as the hookgate binary, so the figure is the one operators see.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let route: Arc<str> = "stripe".into();
    let before = rss_bytes();
    let store = MemoryStore::new(
        n,
        Ttls {
            done: Duration::from_secs(24 * 3600),
            in_flight: Duration::from_secs(60),
        },
        std::slice::from_ref(&route),
        Arc::new(|_: &str| {}),
    );
    let after_new = rss_bytes();
    for i in 0..n {
        let key = DedupKey {
            route: route.clone(),
            id: format!("evt_{i:024}").into(),
        };
        if let Claim::Claimed(c) = store.claim(key) {
            store.commit(&c);
        }
    }
    store.housekeeping();
    let after = rss_bytes();
    let entries = store.entries(&route);
    println!("entries           {entries}");
    println!("rss before        {:.1} MiB", before as f64 / 1048576.0);
    println!(
        "rss empty store   {:.1} MiB (map reserved up front)",
        after_new as f64 / 1048576.0
    );
    println!("rss filled        {:.1} MiB", after as f64 / 1048576.0);
    println!(
        "bytes per entry   {:.0} (filled minus before, divided by entries)",
        (after.saturating_sub(before)) as f64 / entries.max(1) as f64
    );
}
