//! One hostile source against the real binary with its default limits: it must not crowd out
//! the genuine deliveries of another source, nor take hookgate's memory past what its bounds
//! let one source hold.
//!
//! The attacker (127.0.0.2) keeps 1 500 connections busy at about 1 MB/s in all: three quarters
//! send a well-formed, signed-looking head (a forged signature, a fresh timestamp) announcing
//! a 1 MiB body and trickle it; the rest trickle an endless head. Each reconnects as soon as it
//! is closed. Meanwhile a genuine sender (127.0.0.3) delivers for 10 s.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::harness::*;
use crate::proxy::signed;

const ATTACKER: [u8; 4] = [127, 0, 0, 2];
const GENUINE: [u8; 4] = [127, 0, 0, 3];
const CONNECTIONS: usize = 1500;
/// Per connection: 60 bytes every 100 ms, 600 B/s, 900 KB/s in all.
const CHUNK: usize = 60;
const EVERY: Duration = Duration::from_millis(100);
const GENUINE_FOR: Duration = Duration::from_secs(10);
const SECRET: &str = "hostile-test-secret";

async fn connect_from(ip: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((ip, 0)))?;
    socket.connect(to).await
}

/// One attacking connection, again and again until `stop`: a head then a trickled body, or a
/// head that never ends.
async fn attacker(
    to: SocketAddr,
    endless_head: bool,
    stop: Arc<AtomicBool>,
    opened: Arc<AtomicUsize>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = connect_from(ATTACKER, to).await else {
            tokio::time::sleep(EVERY).await;
            continue;
        };
        opened.fetch_add(1, Ordering::Relaxed);
        let head = if endless_head {
            "POST /hook HTTP/1.1\r\nHost: victim\r\nX-Pad: ".to_owned()
        } else {
            let body = "{\"id\":\"evt_attack\"}";
            let mut h =
                "POST /hook HTTP/1.1\r\nHost: victim\r\nContent-Length: 1048576\r\n".to_owned();
            for (n, v) in signed("not-the-secret", now_unix(), body) {
                h.push_str(&format!("{n}: {v}\r\n"));
            }
            h.push_str("\r\n");
            h
        };
        if s.write_all(head.as_bytes()).await.is_err() {
            continue;
        }
        let chunk = [b'a'; CHUNK];
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(EVERY).await;
            if s.write_all(&chunk).await.is_err() {
                break;
            }
        }
    }
}

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[tokio::test]
async fn one_source_cannot_crowd_out_another_or_take_the_memory() {
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let (port, admin) = (free_port(), free_port());
    let cfg = dir.path().join("hookgate.yaml");
    // Every limit at its default.
    std::fs::write(
        &cfg,
        format!(
            "listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{admin}\n\
             upstream: {{ url: \"{}\" }}\nlog: {{ format: json, level: info }}\nroutes:\n{}",
            up.url(),
            signed_route("custom", "/hook", "[ { env: HG_SECRET } ]")
        ),
    )
    .unwrap();
    let hg = Binary::start(
        &cfg,
        dir.path().join("hookgate.log"),
        &[("HG_SECRET", SECRET)],
        &[],
        (port, admin),
    )
    .await;
    let to = SocketAddr::from(([127, 0, 0, 1], port));
    let idle_rss = rss_bytes(hg.pid());

    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..CONNECTIONS)
        .map(|i| tokio::spawn(attacker(to, i % 4 == 3, stop.clone(), opened.clone())))
        .collect();
    // Let the attack settle in: every connection open, slow bodies holding their slots.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut connector = HttpConnector::new();
    connector.set_local_address(Some(std::net::IpAddr::from(GENUINE)));
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let (mut sent, mut ok, mut peak_rss) = (0u32, 0u32, 0u64);
    let mut refused = std::collections::BTreeMap::<u16, u32>::new();
    let started = Instant::now();
    while started.elapsed() < GENUINE_FOR {
        let body = format!("{{\"id\":\"evt_genuine_{sent}\"}}");
        let mut req = Request::post(format!("http://{to}/hook"));
        for (n, v) in signed(SECRET, now_unix(), &body) {
            req = req.header(n, v);
        }
        let req = req.body(Full::new(Bytes::from(body))).unwrap();
        sent += 1;
        match tokio::time::timeout(Duration::from_secs(5), client.request(req)).await {
            Ok(Ok(resp)) if resp.status() == 200 => ok += 1,
            Ok(Ok(resp)) => *refused.entry(resp.status().as_u16()).or_default() += 1,
            _ => *refused.entry(0).or_default() += 1,
        }
        peak_rss = peak_rss.max(rss_bytes(hg.pid()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let refusals = hg.metrics().await;
    for a in attackers {
        a.abort();
    }

    let share = f64::from(ok) / f64::from(sent);
    eprintln!(
        "genuine: {ok} of {sent} delivered; refused {refused:?}; hookgate RSS {} MiB idle, {} MiB at peak",
        idle_rss >> 20,
        peak_rss >> 20
    );
    assert!(
        share >= 0.99,
        "genuine deliveries: {ok} of {sent} ({share:.3}); refused by status (0: no answer): {refused:?}"
    );
    assert!(
        opened.load(Ordering::Relaxed) >= CONNECTIONS,
        "the attack ran: {} connections opened",
        opened.load(Ordering::Relaxed)
    );
    // The configured bounds: the worst case hookgate computes from its config (and warns about
    // at start when the container's memory limit is below it).
    let config = hookgate::config::load(
        &cfg,
        &|_: &str| Some(SECRET.to_owned()),
        hookgate::config::Secrets::Load,
    )
    .unwrap();
    let bound = hookgate::sizing::estimate(&config);
    assert!(
        peak_rss < bound,
        "RSS reached {} MiB under attack (from {} MiB idle); the config's bounds allow {} MiB",
        peak_rss >> 20,
        idle_rss >> 20,
        bound >> 20
    );
    // The attacker met the bounds, and they are counted.
    let refused_conns = sample(
        &refusals,
        "hookgate_connections_refused_total{reason=\"per_source\"}",
    )
    .unwrap_or(0.0);
    let too_slow = sample(
        &refusals,
        "hookgate_requests_total{outcome=\"request_timeout\",route=\"custom\"}",
    )
    .unwrap_or(0.0);
    assert!(
        refused_conns > 0.0,
        "per-source connections refused:\n{refusals}"
    );
    assert!(too_slow > 0.0, "slow bodies cut:\n{refusals}");
}
