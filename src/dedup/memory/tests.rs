use super::*;
use std::sync::Mutex;
use std::time::Duration;

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
fn a_restored_id_is_remembered_for_its_own_time_left_not_the_new_stores_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dedup.snapshot");
    let hook: EvictionHook = Arc::new(|_: &str| {});
    let short = Ttls {
        done: Duration::from_millis(400),
        in_flight: Duration::from_secs(60),
    };
    let before = MemoryStore::new(100, short, &["a".into()], hook.clone());
    let Claim::Claimed(c) = before.claim(key("a", "x")) else {
        panic!()
    };
    before.commit(&c);
    assert_eq!(before.save(&path, 100).unwrap(), 1);

    // Restored into a store remembering ids for an hour: "x" has 400 ms left, not an hour.
    let after = store(100, Arc::default());
    assert_eq!(after.load(&path).unwrap(), 1);
    assert_eq!(after.claim(key("a", "x")), Claim::Done);
    std::thread::sleep(Duration::from_millis(600));
    let Claim::Claimed(again) = after.claim(key("a", "x")) else {
        panic!("a restored id past its time must be claimable again")
    };
    after.commit(&again);
    assert_eq!(after.claim(key("a", "x")), Claim::Done, "accepted anew");
    after.housekeeping();
    assert_eq!(
        after.entries("a"),
        1,
        "the stale entry was replaced, not added to"
    );
}

#[test]
fn a_snapshot_holds_digests_and_one_written_by_an_earlier_release_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dedup.snapshot");
    let s = store(100, Arc::default());
    let Claim::Claimed(c) = s.claim(key("a", "evt_secretish_42")) else {
        panic!()
    };
    s.commit(&c);
    s.save(&path, 100).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with("{\"hookgate_dedup_snapshot\":2,"),
        "{written}"
    );
    assert!(
        !written.contains("evt_secretish_42"),
        "ids are not written: {written}"
    );

    // Version 1 (before the digests): ids in the clear, `u` the wall-clock expiry in ms.
    let until = now_ms() + 60_000;
    let mut body = String::from("{\"hookgate_dedup_snapshot\":1,\"count\":2}\n");
    body.push_str(&format!("{{\"r\":\"a\",\"i\":\"old-1\",\"u\":{until}}}\n"));
    body.push_str(&format!("{{\"r\":\"b\",\"i\":\"old-2\",\"u\":{until}}}\n"));
    let sum = hex::encode(Sha256::digest(body.as_bytes()));
    body.push_str(&format!("{{\"sha256\":\"{sum}\"}}\n"));
    std::fs::write(&path, body).unwrap();
    let restored = store(100, Arc::default());
    assert_eq!(restored.load(&path).unwrap(), 2);
    assert_eq!(restored.claim(key("a", "old-1")), Claim::Done);
    assert_eq!(restored.claim(key("b", "old-2")), Claim::Done);
    assert!(matches!(
        restored.claim(key("b", "old-1")),
        Claim::Claimed(_)
    ));
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

#[test]
fn large_stores_are_sharded_small_ones_are_one_exact_lru() {
    assert_eq!(shard_count(1), 1);
    assert_eq!(shard_count(4095), 1);
    assert_eq!(shard_count(20_000), 8);
    assert_eq!(shard_count(100_000), 32);
    assert_eq!(shard_count(10_000_000), 64);
}

#[test]
fn a_sharded_store_keeps_its_bound_and_remembers_the_newest_ids() {
    // 8 shards: the bound holds across them, and eviction by recency within a shard still
    // keeps every recent id.
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let s = store(20_000, evicted.clone());
    for i in 0..60_000 {
        if let Claim::Claimed(c) = s.claim(key("a", &i.to_string())) {
            s.commit(&c);
        }
        if i % 1000 == 0 {
            s.housekeeping();
        }
    }
    s.housekeeping();
    assert_eq!(s.entries("a"), 20_000);
    assert_eq!(evicted.lock().unwrap().len(), 40_000);
    for i in 58_000..60_000 {
        assert_eq!(
            s.claim(key("a", &i.to_string())),
            Claim::Done,
            "recent id {i} forgotten"
        );
    }
    // And the oldest went first.
    assert!(matches!(s.claim(key("a", "0")), Claim::Claimed(_)));
}

fn store_with_in_flight_ttl(in_flight: Duration) -> MemoryStore {
    let ttls = Ttls {
        done: Duration::from_secs(3600),
        in_flight,
    };
    MemoryStore::new(100, ttls, &["a".into()], Arc::new(|_: &str| {}))
}

#[test]
fn a_claimed_id_is_in_flight_until_settled() {
    let s = store(100, Arc::default());
    let Claim::Claimed(c) = s.claim(key("a", "1")) else {
        panic!("first claim must succeed")
    };
    for _ in 0..3 {
        assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
    }
    assert_eq!(s.entries("a"), 1, "a claim is an id held");
    s.commit(&c);
    assert_eq!(s.claim(key("a", "1")), Claim::Done);
    s.housekeeping();
    assert_eq!(
        s.entries("a"),
        1,
        "committing moves the id, it is not a second one"
    );
}

#[test]
fn a_released_id_is_claimable_again() {
    let s = store(100, Arc::default());
    let Claim::Claimed(c) = s.claim(key("a", "1")) else {
        panic!()
    };
    s.release(&c);
    assert_eq!(s.entries("a"), 0);
    let Claim::Claimed(again) = s.claim(key("a", "1")) else {
        panic!("released id must be claimable again")
    };
    assert_ne!(again.token, c.token);
    assert_eq!(s.entries("a"), 1);
}

#[test]
fn a_stale_token_neither_commits_nor_releases() {
    let s = store(100, Arc::default());
    let Claim::Claimed(old) = s.claim(key("a", "1")) else {
        panic!()
    };
    s.release(&old);
    let Claim::Claimed(current) = s.claim(key("a", "1")) else {
        panic!()
    };
    s.release(&old);
    assert_eq!(s.claim(key("a", "1")), Claim::InFlight, "stale release");
    s.commit(&old);
    assert_eq!(s.claim(key("a", "1")), Claim::InFlight, "stale commit");
    // Nor does another id's token, or another route's.
    for foreign in [key("a", "2"), key("b", "1")] {
        let forged = ClaimToken {
            key: foreign,
            token: current.token,
            value: None,
        };
        s.commit(&forged);
        s.release(&forged);
        assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
    }
    assert_eq!(s.entries("a"), 1);
    s.commit(&current);
    assert_eq!(s.claim(key("a", "1")), Claim::Done);
}

#[test]
fn an_expired_claim_can_be_claimed_again() {
    let s = store_with_in_flight_ttl(Duration::from_millis(50));
    let Claim::Claimed(lost) = s.claim(key("a", "1")) else {
        panic!()
    };
    assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
    std::thread::sleep(Duration::from_millis(80));
    let Claim::Claimed(current) = s.claim(key("a", "1")) else {
        panic!("a claim nobody settled must not block its id past the in-flight TTL")
    };
    assert_eq!(s.entries("a"), 1, "the id was taken over, not added");
    // The lost claimer, back late, cannot touch the claim that replaced its own.
    s.release(&lost);
    s.commit(&lost);
    assert_eq!(s.claim(key("a", "1")), Claim::InFlight);
    s.commit(&current);
    assert_eq!(s.claim(key("a", "1")), Claim::Done);
}

#[test]
fn housekeeping_drops_expired_claims() {
    let s = store_with_in_flight_ttl(Duration::from_millis(50));
    let Claim::Claimed(settled) = s.claim(key("a", "settled")) else {
        panic!()
    };
    s.commit(&settled);
    for i in 0..10 {
        assert!(matches!(
            s.claim(key("a", &i.to_string())),
            Claim::Claimed(_)
        ));
    }
    assert_eq!(s.entries("a"), 11);
    std::thread::sleep(Duration::from_millis(80));
    s.housekeeping();
    assert_eq!(s.entries("a"), 1, "only the accepted id is left");
    assert_eq!(s.claim(key("a", "settled")), Claim::Done);
}

#[test]
fn expired_claims_do_not_pile_up_without_housekeeping() {
    let s = store_with_in_flight_ttl(Duration::from_millis(1));
    let n = 40_000;
    for i in 0..n {
        assert!(matches!(
            s.claim(key("a", &i.to_string())),
            Claim::Claimed(_)
        ));
        if i == n / 2 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let held = s.entries("a");
    assert!(held < n, "no shard swept its expired claims: {held} held");
}

#[test]
fn claims_do_not_push_accepted_ids_out() {
    // The size bound is for accepted ids: a burst of claims on a full store evicts nothing.
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let s = store(10, evicted.clone());
    for i in 0..10 {
        let Claim::Claimed(c) = s.claim(key("a", &format!("done-{i}"))) else {
            panic!()
        };
        s.commit(&c);
    }
    for i in 0..100 {
        assert!(matches!(
            s.claim(key("b", &i.to_string())),
            Claim::Claimed(_)
        ));
    }
    s.housekeeping();
    assert!(evicted.lock().unwrap().is_empty());
    for i in 0..10 {
        assert_eq!(s.claim(key("a", &format!("done-{i}"))), Claim::Done);
    }
    assert_eq!(s.entries("b"), 100);
}

#[test]
fn concurrent_claims_of_one_id_make_one_claimer() {
    let s = store(100, Arc::default());
    let claimed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..2_000 {
                    match s.claim(key("a", "same")) {
                        Claim::Claimed(_) => {
                            claimed.fetch_add(1, Ordering::Relaxed);
                        }
                        Claim::InFlight => {}
                        Claim::Done => panic!("never committed"),
                    }
                }
            });
        }
    });
    assert_eq!(claimed.load(Ordering::Relaxed), 1);
    assert_eq!(s.entries("a"), 1);
}

#[test]
fn a_committing_id_is_never_claimable_twice() {
    // Claimers commit at once while others claim the same ids: each id must be found in
    // flight or done, never in neither, so each is claimed exactly once.
    let s = store(100_000, Arc::default());
    let ids = 2_000;
    let claimed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (s, claimed) = (&s, &claimed);
            scope.spawn(move || {
                for i in 0..ids {
                    // Threads walk the ids from different starting points, so every kind of
                    // interleaving occurs.
                    let id = (i + t * ids / 8) % ids;
                    if let Claim::Claimed(c) = s.claim(key("a", &id.to_string())) {
                        claimed.fetch_add(1, Ordering::Relaxed);
                        s.commit(&c);
                    }
                }
            });
        }
    });
    assert_eq!(claimed.load(Ordering::Relaxed), ids);
    s.housekeeping();
    assert_eq!(s.entries("a"), ids as i64);
}
