//! The allowlist check's per-request cost: an address looked up in a route's set of 50 CIDR
//! blocks (GitHub's hooks list is a handful; a generic list may be large) and of 50 000, hit
//! and miss, against a linear scan of the same blocks for reference.
//!
//! `cargo bench --bench allowlist`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion};

use hookgate::allowlist::IpSet;

/// `n` distinct /24 blocks spread over the IPv4 space (a fixed pseudo-random walk).
fn blocks(n: u32) -> Vec<(IpAddr, u8)> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (IpAddr::V4(Ipv4Addr::from(x & 0xffff_ff00)), 24)
        })
        .collect()
}

fn linear(blocks: &[(IpAddr, u8)], ip: IpAddr) -> bool {
    let IpAddr::V4(ip) = ip else { return false };
    let ip = u32::from(ip);
    blocks.iter().any(|(b, len)| {
        let IpAddr::V4(b) = b else { return false };
        let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
        ip & mask == u32::from(*b) & mask
    })
}

fn bench(c: &mut Criterion) {
    for n in [50, 50_000] {
        let list = blocks(n);
        let set = IpSet::new(list.iter().copied());
        let IpAddr::V4(last) = list[list.len() - 1].0 else {
            unreachable!()
        };
        let hit = IpAddr::V4(Ipv4Addr::from(u32::from(last) | 7));
        let miss = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert!(set.contains(hit) && linear(&list, hit));
        assert!(!set.contains(miss) && !linear(&list, miss));
        c.bench_function(&format!("allowlist/{n}/hit"), |b| {
            b.iter(|| set.contains(black_box(hit)))
        });
        c.bench_function(&format!("allowlist/{n}/miss"), |b| {
            b.iter(|| set.contains(black_box(miss)))
        });
        c.bench_function(&format!("allowlist/{n}/linear_miss"), |b| {
            b.iter(|| linear(black_box(&list), black_box(miss)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
