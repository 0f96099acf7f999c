use super::*;
use std::sync::Mutex;

fn key(route: &str, id: &str) -> DedupKey {
    DedupKey {
        route: route.into(),
        id: id.into(),
    }
}

fn store(max: u64, evicted: Arc<Mutex<Vec<String>>>) -> MemoryStore {
    let ttls = Ttls {
        done: Duration::from_secs(3600),
        in_flight: Duration::from_secs(60),
    };
    MemoryStore::new(
        max,
        ttls,
        &["a".into(), "b".into()],
        Arc::new(move |r: &str| evicted.lock().unwrap().push(r.to_owned())),
    )
}

#[test]
fn claim_commit_release_cycle() {
    let s = store(100, Arc::default());
    let Claim::Claimed(c1) = s.claim(key("a", "1")) else {
        panic!("first claim must succeed")
    };
    assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
    // Same id on another route is another delivery.
    assert!(matches!(s.claim(key("b", "1")), Claim::Claimed(_)));
    s.release(&c1);
    let Claim::Claimed(c2) = s.claim(key("a", "1")) else {
        panic!("released id must be claimable again")
    };
    // A stale token cannot commit or release the new claim.
    s.commit(&c1);
    assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
    s.commit(&c2);
    assert_eq!(s.claim(key("a", "1")), Claim::Done);
    s.release(&c2);
    assert_eq!(
        s.claim(key("a", "1")),
        Claim::Done,
        "release after commit is a no-op"
    );
    s.housekeeping();
    assert_eq!(s.entries("a"), 1);
    assert_eq!(s.entries("b"), 1);
}

#[test]
fn evictions_are_reported_per_route() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let s = store(10, evicted.clone());
    for i in 0..200 {
        if let Claim::Claimed(c) = s.claim(key("a", &i.to_string())) {
            s.commit(&c);
        }
        s.housekeeping();
    }
    s.housekeeping();
    let n = evicted.lock().unwrap().len();
    assert!(
        n >= 150,
        "expected most of 200 entries evicted from a 10-entry store, got {n}"
    );
    assert!(s.entries("a") <= 12, "{}", s.entries("a"));
}
