//! Memory per dedup entry: fills the in-process store with N accepted ids of a realistic shape
//! (a route name and a 28-character event id) and reports the resident-set growth.
//!
//! `cargo run --release --example dedup_memory -- 1000000` (add `moka` for moka at its
//! leanest, the structure the store replaced).

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
    if std::env::args().nth(2).as_deref() == Some("moka") {
        return moka_lean(n);
    }
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
    println!("rss empty store   {:.1} MiB", after_new as f64 / 1048576.0);
    println!("rss filled        {:.1} MiB", after as f64 / 1048576.0);
    println!(
        "bytes per entry   {:.0} (filled minus before, divided by entries)",
        (after.saturating_sub(before)) as f64 / entries.max(1) as f64
    );
}

/// The same count of ids in moka at its leanest for this workload (the A/B behind the store's
/// own structure, docs/performance.md): 16-byte keys, unit values, LRU, one global TTL.
fn moka_lean(n: u64) {
    let before = rss_bytes();
    let cache: moka::sync::Cache<u128, ()> = moka::sync::Cache::builder()
        .max_capacity(n)
        .eviction_policy(moka::policy::EvictionPolicy::lru())
        .time_to_live(Duration::from_secs(24 * 3600))
        .build();
    let after_new = rss_bytes();
    for i in 0..n {
        // Any well-spread 16 bytes will do: the key's content is not what costs.
        let k = u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
        cache.insert(k, ());
    }
    cache.run_pending_tasks();
    let after = rss_bytes();
    let entries = cache.entry_count();
    println!("moka lean (u128 keys, unit values, lru, time_to_live)");
    println!("entries           {entries}");
    println!("rss before        {:.1} MiB", before as f64 / 1048576.0);
    println!("rss empty cache   {:.1} MiB", after_new as f64 / 1048576.0);
    println!("rss filled        {:.1} MiB", after as f64 / 1048576.0);
    println!(
        "bytes per entry   {:.0} (filled minus before, divided by entries)",
        (after.saturating_sub(before)) as f64 / entries.max(1) as f64
    );
}
