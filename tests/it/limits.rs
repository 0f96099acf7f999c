//! Limits: body size, slow headers and bodies, concurrency.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::StreamBody;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::*;
use crate::proxy::{config, refs, signed, ENV, SECRET};

const TIGHT: &str =
    "limits: { max_body: 1KiB, header_timeout: 300ms, body_timeout: 300ms, max_concurrency: 2, per_source: { max_concurrency: 2 } }";

async fn tight(up: &Upstream) -> Proxy {
    Proxy::start(
        &config("", TIGHT),
        &up.url(),
        ENV,
        TestClock::at(1_764_000_000).clock(),
    )
    .await
}

#[tokio::test]
async fn oversized_body_is_413_declared_or_streamed() {
    let up = Upstream::ok().await;
    let proxy = tight(&up).await;
    let big = "x".repeat(1025);
    let h = signed(SECRET, 1_764_000_000, &big);
    let a = post(&proxy.url("/hook"), &refs(&h), big.clone()).await;
    assert_eq!(
        (a.status.as_u16(), a.error()),
        (413, "body_too_large".to_owned())
    );

    // Chunked, no Content-Length: refused once the limit is crossed, without reading the rest.
    let chunks: Vec<Result<hyper::body::Frame<Bytes>, std::convert::Infallible>> = (0..2000)
        .map(|_| Ok(hyper::body::Frame::data(Bytes::from_static(b"0123456789"))))
        .collect();
    let body = StreamBody::new(futures_util::stream::iter(chunks));
    let client: hyper_util::client::legacy::Client<_, _> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let mut req = http::Request::post(proxy.url("/hook"));
    for (n, v) in refs(&h) {
        req = req.header(n, v);
    }
    let resp = tokio::time::timeout(WAIT, client.request(req.body(body).unwrap()))
        .await
        .unwrap();
    // hyper may report the early answer or a reset of the unread upload; either way no forward.
    if let Ok(resp) = resp {
        assert_eq!(resp.status(), 413);
    }
    assert_eq!(up.count(), 0);
    // Exactly at the limit is fine.
    let mut ok = String::from(r#"{"id":"evt_max","pad":""#);
    ok.push_str(&"y".repeat(1024 - ok.len() - 2));
    ok.push_str(r#""}"#);
    assert_eq!(ok.len(), 1024);
    let a = post(
        &proxy.url("/hook"),
        &refs(&signed(SECRET, 1_764_000_000, &ok)),
        ok,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(up.count(), 1);
    assert!(
        proxy
            .metric("hookgate_requests_total{outcome=\"body_too_large\",route=\"custom\"}")
            .await
            >= 1.0
    );
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let up = Upstream::ok().await;
    let proxy = tight(&up).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(b"POST /hook HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Never finish the headers: the connection must be closed (408 or plain close).
    let mut buf = Vec::new();
    let read = tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "connection held open past the header timeout");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    assert_eq!(up.count(), 0);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"request_timeout\",route=\"none\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn garbage_requests_get_400_and_are_counted() {
    let up = Upstream::ok().await;
    let proxy = tight(&up).await;
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n"[..],
        b"POST /hook HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcde",
    ] {
        let mut s = TcpStream::connect(proxy.addr).await.unwrap();
        s.write_all(garbage).await.unwrap();
        let mut buf = Vec::new();
        tokio::time::timeout(WAIT, s.read_to_end(&mut buf))
            .await
            .expect("no answer to garbage")
            .unwrap();
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.starts_with("HTTP/1.1 400"),
            "{:?}: {text}",
            String::from_utf8_lossy(garbage)
        );
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"bad_request\",route=\"none\"}")
            .await,
        3.0
    );
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn slow_body_is_408() {
    let up = Upstream::ok().await;
    let proxy = tight(&up).await;
    let body = r#"{"id":"evt_slow"}"#;
    let h = signed(SECRET, 1_764_000_000, body);
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let mut head = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in &h {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body.as_bytes()[..3]).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(WAIT, s.read(&mut buf))
        .await
        .expect("no answer to a stalled body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn over_the_concurrency_limit_is_503_with_retry_after() {
    let up = Upstream::start(|_| Reply::delayed(200, Duration::from_millis(500))).await;
    let proxy = tight(&up).await;
    let url = proxy.url("/hook");
    let mut tasks = Vec::new();
    for i in 0..2 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"id":"evt_c{i}"}}"#);
            post(&url, &refs(&signed(SECRET, 1_764_000_000, &body)), body).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let body = r#"{"id":"evt_c9"}"#;
    let a = post(&url, &refs(&signed(SECRET, 1_764_000_000, body)), body).await;
    assert_eq!(
        (a.status.as_u16(), a.error()),
        (503, "overloaded".to_owned())
    );
    assert_eq!(a.headers["retry-after"], "1");
    for t in tasks {
        assert_eq!(t.await.unwrap().status, 200);
    }
    // Capacity is back: the shed delivery's retry goes through.
    let a = post(&url, &refs(&signed(SECRET, 1_764_000_000, body)), body).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"overloaded\",route=\"custom\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn silent_connections_are_closed() {
    // A client that connects and never sends a byte must not hold a connection forever.
    let up = Upstream::ok().await;
    let proxy = tight(&up).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "idle connection held open past the header timeout"
    );
}

#[tokio::test]
async fn request_bodies_in_memory_are_bounded_by_max_buffered() {
    use crate::wire::{head, kib_body as body, response, sending};
    // Room for two 1 KiB bodies.
    let up = Upstream::ok().await;
    let proxy = Proxy::start(
        &config(
            "",
            // The totals are under test: one source (127.0.0.1) may hold them, and a body
            // held still on purpose is not cut for its pace.
            "limits: { max_body: 1KiB, max_buffered: 2KiB, min_body_rate: 0, per_source: { max_buffered: 2KiB } }",
        ),
        &up.url(),
        ENV,
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    let start = async |body: &str, sent: usize| {
        let h = head("POST /hook HTTP/1.1", body, &["Content-Length: 1024"]);
        sending(proxy.addr, h, body, sent).await
    };
    let held = async |bytes: f64| {
        poll(POLL, async || {
            (proxy.metric("hookgate_buffered_bytes").await == bytes).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("hookgate_buffered_bytes never reached {bytes}"));
    };

    // A declared body holds nothing until its bytes come; two bodies then fill the budget.
    let _silent = start(&body("evt_silent"), 0).await;
    let (a_body, b_body) = (body("evt_a"), body("evt_b"));
    let mut a = start(&a_body, 1000).await;
    let b = start(&b_body, 1000).await;
    held(2000.0).await;
    // A third body finds no room, declared or chunked: 503, come back later.
    let mut c = start(&body("evt_c"), 1024).await;
    let (status, refused, _) = response(&mut c, &mut Vec::new()).await;
    assert_eq!(status, 503, "{refused}");
    assert!(refused.contains("retry-after: 1"), "{refused}");
    let padded = format!(r#"{{"id":"evt_d","pad":"{}"}}"#, "q".repeat(80));
    let mut d = TcpStream::connect(proxy.addr).await.unwrap();
    let mut chunked = head(
        "POST /hook HTTP/1.1",
        &padded,
        &["Transfer-Encoding: chunked"],
    );
    chunked.push_str(&format!("{:x}\r\n{padded}\r\n0\r\n\r\n", padded.len()));
    d.write_all(chunked.as_bytes()).await.unwrap();
    assert_eq!(response(&mut d, &mut Vec::new()).await.0, 503);

    // One finishes, the other's sender goes away mid-body: both give their bytes back.
    a.write_all(&a_body.as_bytes()[1000..]).await.unwrap();
    assert_eq!(response(&mut a, &mut Vec::new()).await.0, 200);
    drop(b);
    held(0.0).await;
    let (e_body, f_body) = (body("evt_e"), body("evt_f"));
    let mut e = start(&e_body, 1000).await;
    let mut f = start(&f_body, 1000).await;
    held(2000.0).await;
    for (s, b) in [(&mut e, &e_body), (&mut f, &f_body)] {
        s.write_all(&b.as_bytes()[1000..]).await.unwrap();
        assert_eq!(response(s, &mut Vec::new()).await.0, 200);
    }
    held(0.0).await;

    let forwarded: Vec<Vec<u8>> = up.requests().iter().map(|r| r.body.to_vec()).collect();
    assert_eq!(
        forwarded,
        [a_body.as_bytes(), e_body.as_bytes(), f_body.as_bytes()]
    );
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"overloaded\",route=\"custom\"}")
            .await,
        2.0
    );
}

#[tokio::test]
async fn a_route_may_accept_larger_bodies_than_the_global_limit() {
    let up = Upstream::ok().await;
    let big_route = format!(
        "{}    max_body: 4KiB\n",
        signed_route("big", "/big", "[ { id: current, env: CUR } ]")
    );
    let proxy = Proxy::start(
        &config(&big_route, "limits: { max_body: 1KiB }"),
        &up.url(),
        ENV,
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    let body = format!(r#"{{"id":"evt_big","pad":"{}"}}"#, "b".repeat(3000));
    let h = signed(SECRET, 1_764_000_000, &body);
    let small = post(&proxy.url("/hook"), &refs(&h), body.clone()).await;
    assert_eq!(
        (small.status.as_u16(), small.error()),
        (413, "body_too_large".to_owned()),
        "limits.max_body on the route without its own"
    );
    let big = post(&proxy.url("/big"), &refs(&h), body.clone()).await;
    assert_eq!(big.status, 200);
    assert_eq!(up.requests()[0].body.as_ref(), body.as_bytes());
    let over = format!(r#"{{"id":"evt_over","pad":"{}"}}"#, "b".repeat(4096));
    let h = signed(SECRET, 1_764_000_000, &over);
    assert_eq!(post(&proxy.url("/big"), &refs(&h), over).await.status, 413);
    assert_eq!(up.count(), 1);
}

#[tokio::test]
async fn a_body_slower_than_the_minimum_rate_is_408_after_its_grace() {
    use crate::wire::{head, kib_body as body, response, sending};
    let up = Upstream::ok().await;
    let proxy = Proxy::start(
        &config(
            "",
            "limits: { body_timeout: 30s, min_body_rate: 1KiB, body_rate_grace: 500ms }",
        ),
        &up.url(),
        ENV,
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    // 100 bytes of a 1 KiB body, then nothing: cut once the grace has passed, long before
    // the body timeout.
    let b = body("evt_trickle");
    let started = std::time::Instant::now();
    let mut s = sending(
        proxy.addr,
        head("POST /hook HTTP/1.1", &b, &["Content-Length: 1024"]),
        &b,
        100,
    )
    .await;
    let (status, _, answer) = response(&mut s, &mut Vec::new()).await;
    assert_eq!(status, 408, "{}", String::from_utf8_lossy(&answer));
    assert!(String::from_utf8_lossy(&answer).contains("min_body_rate"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A body that keeps the pace is read whole however long it takes within the timeout.
    let b = body("evt_paced");
    let mut s = sending(
        proxy.addr,
        head("POST /hook HTTP/1.1", &b, &["Content-Length: 1024"]),
        &b,
        0,
    )
    .await;
    for chunk in b.as_bytes().chunks(256) {
        s.write_all(chunk).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let (status, _, _) = response(&mut s, &mut Vec::new()).await;
    assert_eq!(status, 200);
    assert_eq!(up.count(), 1);
}

#[tokio::test]
async fn a_source_at_its_share_gets_429_while_another_is_served() {
    use crate::wire::{head, kib_body as body, response};
    let up = Upstream::ok().await;
    let proxy = Proxy::start(
        &config(
            "",
            "limits: { max_concurrency: 8, min_body_rate: 0, per_source: { max_concurrency: 2 } }",
        ),
        &up.url(),
        ENV,
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    let from = async |last: u8| {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(std::net::SocketAddr::from(([127, 0, 0, last], 0)))
            .unwrap();
        s.connect(proxy.addr).await.unwrap()
    };
    // Two requests from .2 hold their bodies (half sent): .2 has its share.
    let mut held = Vec::new();
    for i in 0..2 {
        let b = body(&format!("evt_held_{i}"));
        let mut s = from(2).await;
        let h = head("POST /hook HTTP/1.1", &b, &["Content-Length: 1024"]);
        s.write_all((h + &b[..512]).as_bytes()).await.unwrap();
        held.push((s, b));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = body("evt_third");
    let mut s = from(2).await;
    s.write_all(
        (head("POST /hook HTTP/1.1", &third, &["Content-Length: 1024"]) + &third).as_bytes(),
    )
    .await
    .unwrap();
    let (status, h, answer) = response(&mut s, &mut Vec::new()).await;
    assert_eq!(status, 429, "{}", String::from_utf8_lossy(&answer));
    assert!(String::from_utf8_lossy(&answer).contains("source_busy"));
    assert!(h.contains("retry-after: 1"), "{h}");
    // Another source is served meanwhile.
    let other = body("evt_other");
    let mut s = from(3).await;
    s.write_all(
        (head("POST /hook HTTP/1.1", &other, &["Content-Length: 1024"]) + &other).as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(response(&mut s, &mut Vec::new()).await.0, 200);
    // The held ones finish and free the share.
    for (mut s, b) in held {
        s.write_all(&b.as_bytes()[512..]).await.unwrap();
        assert_eq!(response(&mut s, &mut Vec::new()).await.0, 200);
    }
    assert_eq!(
        proxy
            .metric("hookgate_requests_total{outcome=\"source_busy\",route=\"custom\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn a_head_over_64_kib_is_431() {
    let up = Upstream::ok().await;
    let proxy = tight(&up).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let pad = "a".repeat(100 * 1024);
    let req =
        format!("POST /hook HTTP/1.1\r\nHost: x\r\nX-Pad: {pad}\r\nContent-Length: 0\r\n\r\n");
    // The server may answer and close before it has read it all.
    let _ = s.write_all(req.as_bytes()).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn unfinished_heads_are_bounded_in_all_and_the_budget_comes_back() {
    let up = Upstream::ok().await;
    let proxy = Proxy::start(
        &config(
            "",
            "limits: { header_timeout: 10s, max_header_bytes: 64KiB, per_source: { max_header_bytes: 64KiB } }",
        ),
        &up.url(),
        ENV,
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    let unfinished = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nX-Pad: {}",
        "a".repeat(40 * 1024)
    );
    let held_bytes = async || proxy.metric("hookgate_header_bytes").await;
    // One unfinished head of 40 KiB is held and counted...
    let mut first = TcpStream::connect(proxy.addr).await.unwrap();
    first.write_all(unfinished.as_bytes()).await.unwrap();
    poll(POLL, async || {
        (held_bytes().await >= 40.0 * 1024.0).then_some(())
    })
    .await
    .expect("the first head is counted");
    // ...a second would pass the 64 KiB in all: its connection is closed, and counted.
    let mut second = TcpStream::connect(proxy.addr).await.unwrap();
    let _ = second.write_all(unfinished.as_bytes()).await;
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(WAIT, second.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the second connection is closed");
    poll(POLL, async || {
        let n = proxy
            .metric("hookgate_connections_refused_total{reason=\"header_budget\"}")
            .await;
        (n == 1.0).then_some(())
    })
    .await
    .expect("the refusal is counted");
    // The first finishes its head: the budget is given back, and it is answered.
    first
        .write_all(b"\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 12];
    first.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 401");
    poll(POLL, async || (held_bytes().await == 0.0).then_some(()))
        .await
        .expect("nothing held once the heads are read");
}
