//! Intake rate limits (a route's `rate_limit`) through the real proxy: over the limit is 429 +
//! `Retry-After` before anything else (never verified, never forwarded), each source address
//! has its own bucket (loopback aliases 127.0.0.2 and 127.0.0.3 are two senders), tokens come
//! back with time, it is counted, and a reload that changes the limit applies it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::harness::*;
use crate::proxy::{config, signed, ENV, SECRET};

const NOW: i64 = 1_764_000_000;

/// A route like the proxy tests' signed one, at `/limited`, with `rate_limit: {rl}`.
fn limited(rl: &str) -> String {
    format!(
        r#"  - name: limited
    path: /limited
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp, format: unix }}
    dedup: false
    secrets:
      - {{ id: current, env: CUR }}
    rate_limit: {rl}
"#
    )
}

/// An answer read off the wire.
struct Reply {
    status: u16,
    head: String,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn error(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .map(|v| v["error"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    }
}

/// POSTs `body` to `path` on `to` over a connection from `from` (a loopback address: each is
/// a distinct source), signed with `secret` at `NOW`.
async fn post_from(from: &str, to: SocketAddr, path: &str, secret: &str, body: &str) -> Reply {
    post_at(from, to, path, secret, NOW, body).await
}

/// As `post_from`, signed at `ts`.
async fn post_at(
    from: &str,
    to: SocketAddr,
    path: &str,
    secret: &str,
    ts: i64,
    body: &str,
) -> Reply {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    let mut conn = tokio::time::timeout(WAIT, socket.connect(to))
        .await
        .unwrap()
        .unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: hooks.test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (n, v) in signed(secret, ts, body) {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, conn.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

async fn start(rl: &str) -> (Upstream, Proxy) {
    let up = Upstream::ok().await;
    let proxy = Proxy::start(
        &config(&limited(rl), ""),
        &up.url(),
        ENV,
        TestClock::at(NOW).clock(),
    )
    .await;
    (up, proxy)
}

const A: &str = "127.0.0.2";
const B: &str = "127.0.0.3";

#[tokio::test]
async fn over_the_limit_is_429_before_verification_and_never_forwarded() {
    // One token a minute, two at once: the third request within the minute is over.
    let (up, proxy) = start("{ rate: 1/m, burst: 2 }").await;
    for i in 0..2 {
        let r = post_from(A, proxy.addr, "/limited", SECRET, &format!("{{\"n\":{i}}}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(up.count(), 2);
    // A genuine request over the limit, and a forged one: both 429, neither looked at.
    let genuine = post_from(A, proxy.addr, "/limited", SECRET, "{\"n\":2}").await;
    let forged = post_from(A, proxy.addr, "/limited", "not-the-secret", "{\"n\":3}").await;
    for r in [&genuine, &forged] {
        assert_eq!(r.status, 429, "{}", r.body);
        assert_eq!(r.error(), "rate_limited");
        // The next token is a minute after the first request at most.
        let after: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&after), "Retry-After {after}");
    }
    assert_eq!(up.count(), 2, "a request over the limit reached the app");
    let m = proxy.metrics().await;
    let count = |outcome: &str| {
        sample(
            &m,
            &format!("hookgate_requests_total{{outcome=\"{outcome}\",route=\"limited\"}}"),
        )
    };
    assert_eq!(count("rate_limited"), Some(2.0));
    assert_eq!(
        count("invalid_signature"),
        Some(0.0),
        "the forgery was verified"
    );
    assert_eq!(count("forwarded"), Some(2.0));
    // Other routes are not limited, and nothing new is kept for them.
    assert_eq!(
        sample(&m, "hookgate_rate_limit_sources{route=\"limited\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&m, "hookgate_rate_limit_sources{route=\"custom\"}"),
        None
    );
    proxy.stop().await;
}

#[tokio::test]
async fn a_noisy_source_does_not_spend_another_sources_budget() {
    let (up, proxy) = start("{ rate: 1/m, burst: 3 }").await;
    let mut refused = 0;
    for i in 0..10 {
        let r = post_from(A, proxy.addr, "/limited", SECRET, &format!("{{\"n\":{i}}}")).await;
        if r.status == 429 {
            refused += 1;
        }
    }
    assert_eq!(refused, 7);
    // The quiet source still has its whole burst.
    for i in 0..3 {
        let r = post_from(B, proxy.addr, "/limited", SECRET, &format!("{{\"q\":{i}}}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = post_from(B, proxy.addr, "/limited", SECRET, "{\"q\":3}").await;
    assert_eq!(r.status, 429);
    assert_eq!(up.count(), 6);
    assert_eq!(
        proxy
            .metric("hookgate_rate_limit_sources{route=\"limited\"}")
            .await,
        2.0
    );
    proxy.stop().await;
}

#[tokio::test]
async fn tokens_come_back_with_time() {
    // A token every 50ms, one at a time.
    let (up, proxy) = start("{ rate: 20/s, burst: 1 }").await;
    // Send until one is refused: however slow this machine, twenty requests in a row cannot
    // each take 50ms... and if they did, the loop says so rather than asserting a speed.
    let mut refused = None;
    for i in 0..20 {
        let r = post_from(A, proxy.addr, "/limited", SECRET, &format!("{{\"n\":{i}}}")).await;
        if r.status == 429 {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.expect("20 requests in a row at 20/s, burst 1, and none refused");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let forwarded = up.count();
    // A token is back after 50ms, whatever the speed of what follows.
    tokio::time::sleep(Duration::from_millis(120)).await;
    let r = post_from(A, proxy.addr, "/limited", SECRET, "{\"after\":1}").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(up.count(), forwarded + 1);
    proxy.stop().await;
}

#[tokio::test]
async fn a_reload_changes_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let up = Upstream::ok().await;
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    let write = |rl: Option<&str>| {
        let route = match rl {
            Some(rl) => limited(rl),
            None => limited("x").replace("    rate_limit: x\n", ""),
        };
        let yaml = format!(
            "listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{admin}\n{}",
            config(&route, "").replace("{upstream}", &up.url())
        );
        std::fs::write(&cfg, yaml).unwrap();
    };
    write(Some("{ rate: 1/h, burst: 1 }"));
    let hg = Binary::start(
        &cfg,
        dir.path().join("stderr.log"),
        &[("CUR", SECRET), ("OLD", "old-secret")],
        &["--watch-interval", "0s"],
        (port, admin),
    )
    .await;
    let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // The binary runs on the real clock: sign at the real time.
    let status = async |n: u32| {
        post_at(
            A,
            to,
            "/limited",
            SECRET,
            now_unix(),
            &format!("{{\"n\":{n}}}"),
        )
        .await
        .status
    };
    let reloads = async |n: f64| {
        poll(POLL, async || {
            (hg.metric("hookgate_config_reloads_total{result=\"success\"}")
                .await
                .unwrap_or(0.0)
                >= n)
                .then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("reload #{n} did not happen:\n{}", hg.logs()));
    };
    assert_eq!(status(0).await, 200);
    assert_eq!(status(1).await, 429);
    // A reload that leaves the limit alone keeps the buckets: still over.
    write(Some("{ rate: 1/h, burst: 1 }"));
    hg.signal("-HUP");
    reloads(1.0).await;
    assert_eq!(status(2).await, 429);
    // A larger burst applies at once (the buckets start full).
    write(Some("{ rate: 1/h, burst: 3 }"));
    hg.signal("-HUP");
    reloads(2.0).await;
    for n in 3..6 {
        assert_eq!(status(n).await, 200, "request {n} under the new limit");
    }
    assert_eq!(status(6).await, 429);
    // Without rate_limit the route is not limited, and its gauge goes.
    write(None);
    hg.signal("-HUP");
    reloads(3.0).await;
    for n in 7..12 {
        assert_eq!(status(n).await, 200);
    }
    assert_eq!(
        hg.metric("hookgate_rate_limit_sources{route=\"limited\"}")
            .await,
        None
    );
    assert_eq!(up.count(), 9);
}
