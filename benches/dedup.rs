//! The memory dedup store on its own: what one delivery costs it at steady state (the store
//! full, so every accepted id evicts an old one), without the load test's noise.
//!
//! `cargo bench --bench dedup` (add `-- --quick` for a fast smoke run).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use hookgate::dedup::{Claim, DedupKey, MemoryStore, Ttls};

const FULL: u64 = 100_000;

fn store() -> MemoryStore {
    let ttls = Ttls {
        done: Duration::from_secs(86_400),
        in_flight: Duration::from_secs(60),
    };
    MemoryStore::new(FULL, ttls, &["stripe".into()], Arc::new(|_: &str| {}))
}

fn key(route: &Arc<str>, i: u64) -> DedupKey {
    DedupKey {
        route: route.clone(),
        id: format!("evt_1SXpC1LkdIwHu7ix{i:08}").into(),
    }
}

fn bench(c: &mut Criterion) {
    let route: Arc<str> = "stripe".into();
    let s = store();
    // Past full, so the numbers include eviction.
    for i in 0..2 * FULL {
        if let Claim::Claimed(t) = s.claim(key(&route, i)) {
            s.commit(&t);
        }
    }
    let mut next = 2 * FULL;
    c.bench_function("claim + commit, new id, full store", |b| {
        b.iter(|| {
            next += 1;
            if let Claim::Claimed(t) = s.claim(black_box(key(&route, next))) {
                s.commit(&t);
            }
        })
    });
    c.bench_function("claim + release, new id, full store", |b| {
        b.iter(|| {
            next += 1;
            if let Claim::Claimed(t) = s.claim(black_box(key(&route, next))) {
                s.release(&t);
            }
        })
    });
    let recent = next;
    c.bench_function("claim of an accepted id (a duplicate)", |b| {
        b.iter(|| black_box(s.claim(key(&route, recent))))
    });
}

/// moka alone, one 100 000-entry cache full of 28-byte ids, inserting new ones: which of the
/// store's settings cost what.
fn moka_variants(c: &mut Criterion) {
    use moka::sync::Cache;
    fn run(c: &mut Criterion, name: &str, cache: Cache<Arc<str>, u64>) {
        for i in 0..2 * FULL {
            cache.insert(format!("evt_1SXpC1LkdIwHu7ix{i:08}").into(), i);
        }
        let mut next = 2 * FULL;
        c.bench_function(name, |b| {
            b.iter(|| {
                next += 1;
                cache.insert(
                    black_box(format!("evt_1SXpC1LkdIwHu7ix{next:08}").into()),
                    next,
                );
            })
        });
    }
    struct Ttl;
    impl moka::Expiry<Arc<str>, u64> for Ttl {
        fn expire_after_create(
            &self,
            _: &Arc<str>,
            _: &u64,
            _: std::time::Instant,
        ) -> Option<Duration> {
            Some(Duration::from_secs(86_400))
        }
    }
    let lru = moka::policy::EvictionPolicy::lru;
    run(
        c,
        "moka insert: default policy",
        Cache::builder().max_capacity(FULL).build(),
    );
    run(
        c,
        "moka insert: lru",
        Cache::builder()
            .max_capacity(FULL)
            .eviction_policy(lru())
            .build(),
    );
    run(
        c,
        "moka insert: lru + time_to_live",
        Cache::builder()
            .max_capacity(FULL)
            .eviction_policy(lru())
            .time_to_live(Duration::from_secs(86_400))
            .build(),
    );
    run(
        c,
        "moka insert: lru + expire_after",
        Cache::builder()
            .max_capacity(FULL)
            .eviction_policy(lru())
            .expire_after(Ttl)
            .build(),
    );
    // At its leanest for this workload: 16-byte keys, unit values, LRU, one global TTL.
    let lean: Cache<u128, ()> = Cache::builder()
        .max_capacity(FULL)
        .eviction_policy(lru())
        .time_to_live(Duration::from_secs(86_400))
        .build();
    for i in 0..2 * u128::from(FULL) {
        lean.insert(
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835),
            (),
        );
    }
    let mut next = 2 * u128::from(FULL);
    c.bench_function(
        "moka insert: u128 keys, unit values, lru + time_to_live",
        |b| {
            b.iter(|| {
                next += 1;
                lean.insert(
                    black_box(next.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
                    (),
                );
            })
        },
    );
    run(
        c,
        "moka insert: lru + listener",
        Cache::builder()
            .max_capacity(FULL)
            .eviction_policy(lru())
            .eviction_listener(|_, _, _| {})
            .build(),
    );
}

criterion_group!(benches, bench, moka_variants);
criterion_main!(benches);
