//! Route filters (`filter:`, a CEL expression) through the real proxy: verified deliveries the
//! filter does not match are answered with `Hookgate-Filtered: true`, never forwarded, and
//! counted; the ones it matches go on; an expression that fails on a delivery counts as no
//! match and is counted; observe mode forwards anyway; bad expressions are refused at load
//! with their own line and column.

use crate::harness::*;
use crate::proxy::{config, config_error, refs, signed, ENV, SECRET};

const NOW: i64 = 1_764_000_000;

fn filtered_route(filter: &str, extra: &str) -> String {
    format!(
        r#"  - name: links
    path: /links
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp, format: unix }}
    dedup_key: {{ json: /id }}
    secrets:
      - {{ id: current, env: CUR }}
    filter: "{filter}"
{extra}"#
    )
}

const PAID_CLICKS: &str =
    "body.event in ['link.clicked', 'install.tracked'] && body.data.campaign.startsWith('paid_')";

/// The config's load error with `route` as its second route, if any.
fn load_error(route: &str) -> Option<String> {
    config_error(route, "")
}

async fn start(yaml: &str, up: &Upstream) -> Proxy {
    Proxy::start(yaml, &up.url(), ENV, TestClock::at(NOW).clock()).await
}

async fn send(proxy: &Proxy, id: &str, event: &str, campaign: Option<&str>) -> Answer {
    let data = campaign.map_or("{}".to_owned(), |c| format!(r#"{{"campaign":"{c}"}}"#));
    let body = format!(r#"{{"id":"{id}","event":"{event}","data":{data}}}"#);
    post(
        &proxy.url("/links"),
        &refs(&signed(SECRET, NOW, &body)),
        body,
    )
    .await
}

#[tokio::test]
async fn unwanted_events_are_answered_and_never_forwarded() {
    let up = Upstream::ok().await;
    let yaml = config(&filtered_route(PAID_CLICKS, ""), "");
    let proxy = start(&yaml, &up).await;

    let a = send(&proxy, "e1", "link.clicked", Some("paid_spring")).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert!(a.headers.get("hookgate-filtered").is_none());
    assert_eq!(up.count(), 1);

    for (id, event, campaign) in [
        ("e2", "link.created", Some("paid_spring")),
        ("e3", "install.tracked", Some("organic")),
    ] {
        let a = send(&proxy, id, event, campaign).await;
        assert_eq!(a.status, 200, "{id}: {:?}", a.body);
        assert_eq!(a.headers["hookgate-filtered"], "true", "{id}");
    }
    // A body without the field the expression reads: an error, counted, and no match.
    let a = send(&proxy, "e4", "link.clicked", None).await;
    assert_eq!(a.headers["hookgate-filtered"], "true");
    assert_eq!(up.count(), 1, "a filtered event reached the app");

    // Filtered deliveries are not remembered: the same event, still unwanted, is filtered
    // again rather than answered as a duplicate.
    let a = send(&proxy, "e2", "link.created", Some("paid_spring")).await;
    assert_eq!(a.headers["hookgate-filtered"], "true");
    assert!(a.headers.get("hookgate-duplicate").is_none());

    // A forgery is refused before any filter runs.
    let body = r#"{"id":"e5","event":"link.created","data":{}}"#;
    let a = post(
        &proxy.url("/links"),
        &refs(&signed("not-the-secret", NOW, body)),
        body,
    )
    .await;
    assert_eq!(a.status, 401);

    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"filtered\",route=\"links\"}")
            .await,
        4.0
    );
    assert_eq!(
        proxy
            .metric("hookgate_filter_errors_total{route=\"links\"}")
            .await,
        1.0
    );
    proxy.stop().await;
}

#[tokio::test]
async fn the_answer_to_a_filtered_event_is_configurable_and_observe_mode_forwards() {
    let up = Upstream::ok().await;
    let yaml = config(
        &filtered_route("body.event == 'wanted'", "    filter_status: 202\n"),
        "",
    );
    let proxy = start(&yaml, &up).await;
    let a = send(&proxy, "o1", "unwanted", None).await;
    assert_eq!(a.status, 202);
    assert_eq!(up.count(), 0);
    proxy.stop().await;

    let yaml = config(
        &filtered_route("body.event == 'wanted'", "    mode: observe\n"),
        "",
    );
    let proxy = start(&yaml, &up).await;
    let a = send(&proxy, "o2", "unwanted", None).await;
    assert_eq!(a.status, 200);
    assert!(a.headers.get("hookgate-filtered").is_none());
    assert_eq!(
        up.count(),
        1,
        "observe mode forwards what the filter would drop"
    );
    proxy.stop().await;
}

#[test]
fn bad_expressions_are_refused_at_load_with_their_position() {
    let parse = load_error;
    let err = parse(&filtered_route("body.event ==", "")).unwrap();
    assert!(
        err.contains("routes[1].filter") && err.contains("expression line 1, column"),
        "{err}"
    );
    let err = parse(&filtered_route("bdy.event == 'x'", "")).unwrap();
    assert!(
        err.contains("expression line 1, column 1") && err.contains("bdy"),
        "{err}"
    );
    let err = parse(&filtered_route("body.a == 1", "    filter_status: 500\n")).unwrap();
    assert!(err.contains("filter_status"), "{err}");
    assert_eq!(parse(&filtered_route(PAID_CLICKS, "")), None);
}

#[tokio::test]
async fn rules_send_each_event_type_to_its_own_path_with_the_exact_bytes() {
    let up = Upstream::ok().await;
    let route = format!(
        "{}    rules:\n      - {{ when: \"body.event == 'link.clicked'\", path: /app/clicks }}\n      - {{ when: \"body.event.startsWith('install.')\", path: /app/installs }}\n",
        filtered_route("body.event != 'ignored'", "")
    );
    let proxy = start(&config(&route, ""), &up).await;
    let cases = [
        ("r1", "link.clicked", "/app/clicks?tenant=a"),
        ("r2", "install.tracked", "/app/installs?tenant=a"),
        ("r3", "link.created", "/links?tenant=a"),
    ];
    for (id, event, _) in cases {
        let body = format!(r#"{{"id":"{id}","event":"{event}","data":{{}}}}"#);
        let a = post(
            &proxy.url("/links?tenant=a"),
            &refs(&signed(SECRET, NOW, &body)),
            body.clone(),
        )
        .await;
        assert_eq!(a.status, 200, "{id}: {:?}", a.body);
        let got = up.requests().pop().unwrap();
        assert_eq!(got.body.as_ref(), body.as_bytes(), "{id}: the exact bytes");
    }
    let paths: Vec<String> = up.requests().iter().map(|r| r.uri.to_string()).collect();
    let want: Vec<&str> = cases.iter().map(|(_, _, p)| *p).collect();
    assert_eq!(paths, want);
    // The filter still decides first.
    let a = send(&proxy, "r4", "ignored", None).await;
    assert_eq!(a.headers["hookgate-filtered"], "true");
    assert_eq!(up.count(), 3);
    proxy.stop().await;
}

#[test]
fn bad_rules_are_refused_at_load() {
    let parse = |rules: &str| {
        load_error(&format!(
            "{}    rules:\n{rules}",
            filtered_route("true", "")
        ))
    };
    let err = parse("      - { when: \"body.x ==\", path: /a }\n").unwrap();
    assert!(
        err.contains("rules[0].when") && err.contains("expression line 1"),
        "{err}"
    );
    let err = parse("      - { when: \"true\", path: \"a?b=1\" }\n").unwrap();
    assert!(err.contains("rules[0].path"), "{err}");
    let err = parse("      - { when: \"true\", path: /a, upstream: other }\n").unwrap();
    assert!(
        err.contains("rules[0].upstream") && err.contains("no `upstreams:` section"),
        "{err}"
    );
    let err = parse("      - { when: \"true\" }\n").unwrap();
    assert!(
        err.contains("rules[0]") && err.contains("a `path`, an `upstream`"),
        "{err}"
    );
    assert_eq!(parse("      - { when: \"true\", path: /a }\n"), None);
}

/// `upstreams:` by name, for routes and rules: an unknown name or a bad upstream is refused
/// at its key.
#[test]
fn named_upstreams_are_checked_at_load() {
    let with =
        |top: &str, route_extra: &str| config_error(&filtered_route("true", route_extra), top);
    let billing = "upstreams:\n  billing: { url: \"http://127.0.0.1:2\", timeout: 3s }";
    assert_eq!(with(billing, "    upstream: billing\n"), None);
    let err = with(billing, "    upstream: bill\n").unwrap();
    assert!(
        err.contains("routes[1].upstream") && err.contains("upstreams: billing"),
        "{err}"
    );
    let err = with(
        "upstreams:\n  billing: { url: \"ftp://x\" }",
        "    upstream: billing\n",
    )
    .unwrap();
    assert!(err.contains("upstreams.billing.url"), "{err}");
    let err = with("upstreams:\n  \"a b\": { url: \"http://x:1\" }", "").unwrap();
    assert!(err.contains("upstreams.a b"), "{err}");
    let err = with(
        "upstreams:\n  billing: { url: \"http://x:1\", timeout: 0s }",
        "",
    )
    .unwrap();
    assert!(err.contains("upstreams.billing.timeout"), "{err}");
}

/// Rules and routes send to other apps named under `upstreams:`: the first rule that matches
/// picks the app and the path, a route's own `upstream` takes the rest, and each app gets the
/// exact bytes.
#[tokio::test]
async fn rules_and_routes_send_to_named_upstreams() {
    let (main, billing, installs) = (
        Upstream::ok().await,
        Upstream::ok().await,
        Upstream::ok().await,
    );
    let top = format!(
        "upstreams:\n  billing: {{ url: \"{}/base\" }}\n  installs: {{ url: \"{}\" }}",
        billing.url(),
        installs.url()
    );
    let route = format!(
        "{}    upstream: billing\n    rules:\n      - {{ when: \"body.event == 'link.clicked'\", path: /app/clicks }}\n      - {{ when: \"body.event.startsWith('install.')\", upstream: installs }}\n      - {{ when: \"body.event == 'link.main'\", path: /main, upstream: main_app }}\n",
        filtered_route("true", "")
    );
    let top = format!("{top}\n  main_app: {{ url: \"{}\" }}", main.url());
    let proxy = start(&config(&route, &top), &main).await;
    let cases = [
        ("n1", "link.clicked", &billing, "/base/app/clicks?t=1"),
        ("n2", "install.tracked", &installs, "/links?t=1"),
        ("n3", "link.main", &main, "/main?t=1"),
        ("n4", "link.created", &billing, "/base/links?t=1"),
    ];
    for (id, event, app, path) in cases {
        let body = format!(r#"{{"id":"{id}","event":"{event}"}}"#);
        let before = app.count();
        let a = post(
            &proxy.url("/links?t=1"),
            &refs(&signed(SECRET, NOW, &body)),
            body.clone(),
        )
        .await;
        assert_eq!(a.status, 200, "{id}: {:?}", a.body);
        assert_eq!(app.count(), before + 1, "{id} went to its app");
        let got = app.requests().pop().unwrap();
        assert_eq!(got.uri.to_string(), path, "{id}");
        assert_eq!(got.body.as_ref(), body.as_bytes(), "{id}: the exact bytes");
        assert_eq!(got.headers["hookgate-verified"], "links", "{id}");
    }
    assert_eq!((main.count(), billing.count(), installs.count()), (1, 2, 1));
    // The other route still goes to `upstream`.
    let body = r#"{"id":"c1"}"#;
    let a = post(
        &proxy.url("/hook"),
        &refs(&signed(SECRET, NOW, body)),
        body.to_owned(),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(main.requests().pop().unwrap().uri.to_string(), "/hook");
    proxy.stop().await;
}

/// A queued route's rule keeps its app with the stored delivery: the deliverer sends it there.
#[tokio::test]
async fn a_queued_delivery_goes_to_the_upstream_its_rule_named() {
    let (main, billing) = (Upstream::ok().await, Upstream::ok().await);
    let dir = tempfile::tempdir().unwrap();
    let top = format!(
        "upstreams:\n  billing: {{ url: \"{}\" }}\nqueue:\n  path: {}",
        billing.url(),
        dir.path().join("q.redb").display()
    );
    let route = format!(
        "{}    delivery: queued\n    rules:\n      - {{ when: \"body.event == 'paid'\", path: /paid, upstream: billing }}\n",
        filtered_route("true", "")
    );
    let proxy = start(&config(&route, &top), &main).await;
    for (id, event) in [("q1", "paid"), ("q2", "other")] {
        let a = send(&proxy, id, event, None).await;
        assert_eq!(a.status, 202, "{id}: {:?}", a.body);
    }
    poll(POLL, async || {
        (billing.count() == 1 && main.count() == 1).then_some(())
    })
    .await
    .expect("both queued deliveries delivered");
    assert_eq!(billing.requests()[0].uri.to_string(), "/paid");
    assert_eq!(main.requests()[0].uri.to_string(), "/links");
    proxy.stop().await;
}

/// `hookgate check --explain ROUTE --body FILE` says what the filter and each rule do with a
/// real event, and where it would go.
#[test]
fn check_explains_what_a_route_does_with_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hookgate.yaml");
    let route = format!(
        "{}    rules:\n      - {{ when: \"body.event == 'link.clicked'\", path: /app/clicks }}\n",
        filtered_route(PAID_CLICKS, "")
    );
    std::fs::write(
        &cfg,
        config(&route, "").replace("{upstream}", "http://127.0.0.1:1"),
    )
    .unwrap();
    let explain = |body: &str| {
        let file = dir.path().join("event.json");
        std::fs::write(&file, body).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"))
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "check",
                "--explain",
                "links",
            ])
            .arg("--body")
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let out = explain(r#"{"event":"link.clicked","data":{"campaign":"paid_x"}}"#);
    assert!(out.contains("matches\n"), "{out}");
    assert!(
        out.contains("=> forwarded to /app/clicks on upstream"),
        "{out}"
    );
    let out = explain(r#"{"event":"link.clicked","data":{}}"#);
    assert!(out.contains("fails on this event"), "{out}");
    assert!(out.contains("=> filtered: answered 200"), "{out}");
}

/// Observe mode forwards what the filter would drop, and its log line says so.
#[tokio::test]
async fn observe_mode_logs_what_the_filter_would_have_done() {
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    let route = filtered_route("body.event == 'wanted'", "    mode: observe\n");
    std::fs::write(
        &cfg,
        format!(
            "listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{admin}\nlog: {{ format: json, level: info }}\n{}",
            config(&route, "").replace("{upstream}", &up.url())
        ),
    )
    .unwrap();
    let hg = Binary::start(&cfg, dir.path().join("log"), ENV, &[], (port, admin)).await;
    let body = r#"{"id":"w1","event":"unwanted","data":{}}"#;
    let a = post(
        &hg.url("/links"),
        &refs(&signed(SECRET, now_unix(), body)),
        body,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(up.count(), 1);
    let line = poll(POLL, async || {
        hg.json_logs()
            .into_iter()
            .find(|l| l["route"] == "links" && l["outcome"] == "forwarded")
    })
    .await
    .unwrap_or_else(|| panic!("no log line:\n{}", hg.logs()));
    assert_eq!(
        line["detail"], "the filter would have dropped this delivery",
        "{line}"
    );
    assert_eq!(line["observe"], true, "{line}");
}

/// A queued delivery whose upstream a restart took out of `upstreams:` is not sent anywhere
/// else: its attempts fail, saying why, and the route's other deliveries are not held up.
#[tokio::test]
async fn a_queued_delivery_whose_upstream_is_gone_waits_without_holding_up_the_route() {
    let (main, billing) = (
        Upstream::ok().await,
        Upstream::start(|_| Reply::status(500)).await,
    );
    let dir = tempfile::tempdir().unwrap();
    let queue = format!("queue:\n  path: {}", dir.path().join("q.redb").display());
    let delivery = "    delivery: { mode: queued, initial_backoff: 50ms, max_backoff: 100ms, max_attempts: 1000 }\n";
    let with_billing = format!(
        "{}{delivery}    rules:\n      - {{ when: \"body.event == 'paid'\", upstream: billing }}\n",
        filtered_route("true", "")
    );
    let top = format!(
        "upstreams:\n  billing: {{ url: \"{}\" }}\n{queue}",
        billing.url()
    );
    let proxy = start(&config(&with_billing, &top), &main).await;
    assert_eq!(send(&proxy, "g1", "paid", None).await.status, 202);
    poll(POLL, async || (billing.count() >= 2).then_some(()))
        .await
        .expect("billing refused it, and it was retried");
    proxy.stop().await;

    // Restarted without `billing`: the stored delivery names it still.
    let without = format!(
        "{}{delivery}    rules:\n      - {{ when: \"body.event == 'paid'\", path: /paid }}\n",
        filtered_route("true", "")
    );
    let proxy = start(&config(&without, &queue), &main).await;
    assert_eq!(send(&proxy, "g2", "other", None).await.status, 202);
    poll(POLL, async || (main.count() == 1).then_some(()))
        .await
        .expect("the route's other delivery went through");
    let pending = poll(POLL, async || {
        let list = crate::harness::send(
            http::Request::builder()
                .uri(format!("http://{}/queue/pending", proxy.admin))
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .unwrap(),
        )
        .await
        .json();
        // g2 leaves the listing once its delivery is settled, a moment after the app has it.
        let only_g1 = list.as_array().is_some_and(|l| l.len() == 1) && list[0]["event_id"] == "g1";
        let last = list[0]["last_result"].as_str().unwrap_or("");
        (only_g1 && last == "unavailable: no upstream named \"billing\" is configured")
            .then_some(list)
    })
    .await
    .expect("its attempts fail, naming the upstream");
    assert_eq!(pending[0]["upstream"], "billing", "the listing names it");
    assert_eq!(main.count(), 1, "never sent to the default upstream");
    proxy.stop().await;
}
