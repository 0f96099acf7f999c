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

#[test]
fn snapshot_round_trip_keeps_only_accepted_unexpired_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dedup.snapshot");
    let s = store(100, Arc::default());
    let Claim::Claimed(done) = s.claim(key("a", "done-1")) else {
        panic!()
    };
    s.commit(&done);
    let Claim::Claimed(_in_flight) = s.claim(key("a", "in-flight")) else {
        panic!()
    };
    let Claim::Claimed(other) = s.claim(key("b", "done-2")) else {
        panic!()
    };
    s.commit(&other);
    assert_eq!(
        s.save(&path, 100).unwrap(),
        2,
        "in-flight claims are not saved"
    );

    let restored = store(100, Arc::default());
    assert_eq!(restored.load(&path).unwrap(), 2);
    assert_eq!(restored.claim(key("a", "done-1")), Claim::Done);
    assert_eq!(restored.claim(key("b", "done-2")), Claim::Done);
    assert!(matches!(
        restored.claim(key("a", "in-flight")),
        Claim::Claimed(_)
    ));
    restored.housekeeping();
    assert_eq!(restored.entries("a"), 2);

    // Bounded.
    assert_eq!(s.save(&path, 1).unwrap(), 1);
}

#[test]
fn a_damaged_snapshot_is_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dedup.snapshot");
    let s = store(100, Arc::default());
    for i in 0..3 {
        let Claim::Claimed(c) = s.claim(key("a", &i.to_string())) else {
            panic!()
        };
        s.commit(&c);
    }
    s.save(&path, 100).unwrap();
    let good = std::fs::read_to_string(&path).unwrap();
    for bad in [
        good.replace("\"a\"", "\"b\""),                      // edited
        good.lines().take(2).collect::<Vec<_>>().join("\n"), // truncated
        String::new(),
        "not json\n".into(),
    ] {
        std::fs::write(&path, &bad).unwrap();
        let fresh = store(100, Arc::default());
        assert!(fresh.load(&path).is_err(), "accepted: {bad:?}");
        assert!(matches!(fresh.claim(key("a", "0")), Claim::Claimed(_)));
    }
    assert!(matches!(
        store(10, Arc::default()).load(&dir.path().join("missing")),
        Err(SnapshotError::Io(_))
    ));
}

#[test]
fn routes_added_by_a_reload_are_counted_and_counts_carry_over() {
    let s = store(100, Arc::default());
    assert!(matches!(s.claim(key("a", "1")), Claim::Claimed(_)));
    assert!(matches!(s.claim(key("c", "1")), Claim::Claimed(_)));
    assert_eq!(s.entries("c"), 0, "not a configured route yet");
    // A reload adds route c and drops b: a's count is the same counter, c counts from now.
    s.track_routes(&["a".into(), "c".into()]);
    assert!(matches!(s.claim(key("c", "2")), Claim::Claimed(_)));
    assert_eq!(s.entries("a"), 1);
    assert_eq!(s.entries("c"), 1);
    // The ids seen before the reload are still known: the store was not rebuilt.
    assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
}

#[test]
fn a_full_store_remembers_the_newest_ids() {
    // Once full, the store must forget the oldest ids, never the newest: a sender's retry
    // follows its delivery closely.
    let s = store(1000, Arc::default());
    for i in 0..5000 {
        if let Claim::Claimed(c) = s.claim(key("a", &i.to_string())) {
            s.commit(&c);
        }
        if i % 100 == 0 {
            s.housekeeping();
        }
    }
    s.housekeeping();
    for i in 4900..5000 {
        assert_eq!(
            s.claim(key("a", &i.to_string())),
            Claim::Done,
            "recent id {i} forgotten"
        );
    }
}
