//! The distribution of one delivery's cost to the memory dedup store (claim + commit of a new
//! id) at steady state, where criterion (benches/dedup.rs) only gives the mean: moka does its
//! maintenance in batches, inline, so most operations are cheap and a few pay for the rest.
//! Those few are a request's latency in the proxy.
//!
//! `cargo run --release --example dedup_latency [-- OPS]` (default 1 000 000; the first 30%
//! fill the 100 000-entry store past full and are not counted).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hookgate::dedup::{Claim, DedupKey, MemoryStore, Ttls};

// The allocator the hookgate binary uses: freeing evicted entries is part of the cost.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let ops: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let ttls = Ttls {
        done: Duration::from_secs(86_400),
        in_flight: Duration::from_secs(60),
    };
    let store = MemoryStore::new(100_000, ttls, &["stripe".into()], Arc::new(|_: &str| {}));
    let route: Arc<str> = "stripe".into();
    let warm = ops * 3 / 10;
    let mut ns = Vec::with_capacity(ops - warm);
    // The slowest while the store fills (its tables growing), reported on its own.
    let mut filling_max = 0u64;
    for i in 0..ops {
        let key = DedupKey {
            route: route.clone(),
            id: format!("evt_1SXpC1LkdIwHu7ix{i:08}").into(),
        };
        let start = Instant::now();
        if let Claim::Claimed(t) = store.claim(key) {
            store.commit(&t);
        }
        let took = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if i >= warm {
            ns.push(took);
        } else {
            filling_max = filling_max.max(took);
        }
    }
    ns.sort_unstable();
    let at = |q: f64| ns[((q * ns.len() as f64) as usize).min(ns.len() - 1)];
    let over = |limit: u64| ns.iter().filter(|&&x| x > limit).count();
    println!(
        "claim + commit, {} ops: p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        ns.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(0.999),
        ns.last().copied().unwrap_or(0)
    );
    println!(
        "over 100 us: {} ({:.2}%), over 1 ms: {}",
        over(100_000),
        over(100_000) as f64 * 100.0 / ns.len() as f64,
        over(1_000_000)
    );
    println!("while filling ({warm} ops): max {filling_max} ns");
}
