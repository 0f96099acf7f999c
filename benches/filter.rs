//! A route filter's per-delivery cost: the issue's example expression on a 1 KiB JSON body
//! (parsing the body into CEL values, then evaluating), matched and not; and that filter with
//! three rules, evaluated in one scope as the gate does (the body converted once).
//!
//! `cargo bench --bench filter`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use http::HeaderMap;

use hookgate::filter::{Filter, Input, Scope};

fn body(event: &str, campaign: &str) -> Vec<u8> {
    let head =
        format!(r#"{{"id":"evt_1","event":"{event}","data":{{"campaign":"{campaign}","note":""#);
    let tail = r#""}}"#;
    let mut b = head.clone();
    b.push_str(&"x".repeat(1024 - head.len() - tail.len()));
    b.push_str(tail);
    assert_eq!(b.len(), 1024);
    b.into_bytes()
}

fn bench(c: &mut Criterion) {
    let filter = Filter::compile(
        "body.event in ['link.clicked', 'install.tracked'] && body.data.campaign.startsWith('paid_')",
    )
    .expect("compiles");
    let headers = HeaderMap::new();
    let mut group = c.benchmark_group("filter_1kib");
    for (name, b) in [
        ("match", body("link.clicked", "paid_spring")),
        ("no_match", body("link.created", "organic")),
    ] {
        let input = Input {
            body: &b,
            headers: &headers,
            query: None,
            route: "links",
            event_id: Some("evt_1"),
        };
        assert_eq!(filter.matches(&input), Ok(name == "match"));
        group.bench_function(name, |bench| {
            bench.iter(|| black_box(filter.matches(black_box(&input))))
        });
    }
    let rules: Vec<Filter> = [
        "body.event == 'link.created'",
        "body.data.campaign == 'x'",
        "body.event.startsWith('install.')",
    ]
    .iter()
    .map(|r| Filter::compile(r).expect("compiles"))
    .collect();
    let b = body("install.tracked", "paid_spring");
    let input = Input {
        body: &b,
        headers: &headers,
        query: None,
        route: "links",
        event_id: Some("evt_1"),
    };
    group.bench_function("filter_and_3_rules", |bench| {
        bench.iter(|| {
            let scope = Scope::new(black_box(&input), std::iter::once(&filter).chain(&rules));
            let wanted = filter.matches_in(&scope) == Ok(true);
            let rule = rules.iter().position(|r| r.matches_in(&scope) == Ok(true));
            black_box((wanted, rule))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
