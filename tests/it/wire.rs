//! What real senders put on the wire, written byte by byte on a raw socket: chunked uploads,
//! `Expect: 100-continue` (curl, .NET and Java clients send it for larger bodies), pipelined
//! requests, HTTP/1.0. The signature is over the body's bytes whatever the framing, and the
//! upstream always gets them with a Content-Length.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::*;
use crate::proxy::{config, setup, signed, ENV, SECRET};

const TS: i64 = 1_764_000_000;

/// A request head: request line, the signature headers for `body`, then `extra` lines.
pub fn head(line: &str, body: &str, extra: &[&str]) -> String {
    head_signed(line, body, extra, SECRET, TS)
}

/// [`head`] signed with `secret` at `ts`.
pub fn head_signed(line: &str, body: &str, extra: &[&str], secret: &str, ts: i64) -> String {
    let mut h = format!("{line}\r\nHost: sender.example\r\n");
    for (n, v) in signed(secret, ts, body) {
        h.push_str(&format!("{n}: {v}\r\n"));
    }
    for e in extra {
        h.push_str(e);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    h
}

/// A JSON delivery of exactly 1 KiB with the given `id`.
pub fn kib_body(id: &str) -> String {
    let mut b = format!(r#"{{"id":"{id}","pad":""#);
    b.push_str(&"p".repeat(1024 - b.len() - 2));
    b.push_str("\"}");
    assert_eq!(b.len(), 1024);
    b
}

/// A sender on a new connection to `addr` that has sent `head` and the first `sent` bytes of
/// `body`, and waits.
pub async fn sending(addr: SocketAddr, head: String, body: &str, sent: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all((head + &body[..sent]).as_bytes())
        .await
        .unwrap();
    s
}

/// One response read off `stream`: status, head (lowercase), body (by Content-Length).
pub async fn response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> (u16, String, Vec<u8>) {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_more(stream, buf).await;
    };
    let head = String::from_utf8(buf[..end].to_vec())
        .unwrap()
        .to_lowercase();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < end + len {
        read_more(stream, buf).await;
    }
    let body = buf[end..end + len].to_vec();
    buf.drain(..end + len);
    (status, head, body)
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
        .await
        .expect("hookgate answers")
        .unwrap();
    assert!(
        n > 0,
        "connection closed mid-response: {:?}",
        String::from_utf8_lossy(buf)
    );
    buf.extend_from_slice(&chunk[..n]);
}

#[tokio::test]
async fn a_chunked_delivery_is_verified_over_its_bytes_and_forwarded_with_a_length() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let body = r#"{"id":"evt_chunked","data":"split across chunks"}"#;
    let (a, b) = body.split_at(17);
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let mut req = head("POST /hook HTTP/1.1", body, &["Transfer-Encoding: chunked"]);
    // A chunk extension too: legal, and ignored.
    req.push_str(&format!(
        "{:x};note=1\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    ));
    s.write_all(req.as_bytes()).await.unwrap();
    let (status, _, answer) = response(&mut s, &mut Vec::new()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));

    let r = &up.requests()[0];
    assert_eq!(r.body.as_ref(), body.as_bytes());
    assert_eq!(r.headers["content-length"], body.len().to_string());
    assert!(r.headers.get("transfer-encoding").is_none());

    // The same bytes chunked differently are the same delivery: a duplicate.
    let mut again = head("POST /hook HTTP/1.1", body, &["Transfer-Encoding: chunked"]);
    again.push_str(&format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()));
    s.write_all(again.as_bytes()).await.unwrap();
    let (status, head, _) = response(&mut s, &mut Vec::new()).await;
    assert_eq!(status, 200);
    assert!(head.contains("hookgate-duplicate: true"), "{head}");
    assert_eq!(up.count(), 1);
}

#[tokio::test]
async fn expect_100_continue_gets_continue_then_the_answer() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let body = r#"{"id":"evt_expect","data":"sent after 100 Continue"}"#;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let req = head(
        "POST /hook HTTP/1.1",
        body,
        &[
            &format!("Content-Length: {}", body.len()),
            "Expect: 100-continue",
        ],
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let (status, _, _) = response(&mut s, &mut buf).await;
    assert_eq!(status, 100, "the sender is told to send its body");
    s.write_all(body.as_bytes()).await.unwrap();
    let (status, _, _) = response(&mut s, &mut buf).await;
    assert_eq!(status, 200);
    let r = &up.requests()[0];
    assert_eq!(r.body.as_ref(), body.as_bytes());
    assert!(
        r.headers.get("expect").is_none(),
        "the body is already here: the upstream must not wait for a 100 of its own"
    );
}

#[tokio::test]
async fn expect_100_continue_is_refused_before_the_body_when_it_cannot_be_accepted() {
    let up = Upstream::ok().await;
    let proxy = Proxy::start(
        &config("", "limits: { max_body: 1KiB }"),
        &up.url(),
        ENV,
        TestClock::at(TS).clock(),
    )
    .await;
    for (line, length, want) in [
        ("POST /hook HTTP/1.1", 5000, 413),
        ("POST /nowhere HTTP/1.1", 10, 404),
        ("PUT /hook HTTP/1.1", 10, 405),
    ] {
        let mut s = TcpStream::connect(proxy.addr).await.unwrap();
        let req = head(
            line,
            "{}",
            &[&format!("Content-Length: {length}"), "Expect: 100-continue"],
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let (status, _, _) = response(&mut s, &mut Vec::new()).await;
        // The first answer is the final one: a 100 would have come first.
        assert_eq!(status, want, "{line}: answered without asking for the body");
    }
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn pipelined_deliveries_are_answered_in_order() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let bodies = [
        r#"{"id":"evt_p1"}"#,
        r#"{"id":"evt_p2"}"#,
        r#"{"id":"evt_p1"}"#,
    ];
    let mut wire = String::new();
    for b in bodies {
        wire.push_str(&head(
            "POST /hook HTTP/1.1",
            b,
            &[&format!("Content-Length: {}", b.len())],
        ));
        wire.push_str(b);
    }
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(wire.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut duplicate = Vec::new();
    for _ in bodies {
        let (status, head, _) = response(&mut s, &mut buf).await;
        assert_eq!(status, 200);
        duplicate.push(head.contains("hookgate-duplicate: true"));
    }
    assert_eq!(duplicate, [false, false, true]);
    let ids: Vec<Vec<u8>> = up.requests().iter().map(|r| r.body.to_vec()).collect();
    assert_eq!(ids, [bodies[0].as_bytes(), bodies[1].as_bytes()]);
}

#[tokio::test]
async fn an_http_1_0_sender_is_answered_and_its_connection_closed() {
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let body = r#"{"id":"evt_http10"}"#;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let mut req = head(
        "POST /hook HTTP/1.0",
        body,
        &[&format!("Content-Length: {}", body.len())],
    );
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let (status, head, _) = response(&mut s, &mut Vec::new()).await;
    assert_eq!(status, 200);
    assert!(head.starts_with("http/1.0 200"), "{head}");
    // No keep-alive asked for: hookgate closes once it has answered.
    let mut rest = Vec::new();
    let n = tokio::time::timeout(WAIT, s.read_to_end(&mut rest))
        .await
        .expect("hookgate closes an HTTP/1.0 connection")
        .unwrap();
    assert_eq!(n, 0);
    let r = &up.requests()[0];
    assert_eq!(r.body.as_ref(), body.as_bytes());
}

#[tokio::test]
async fn ambiguous_framing_never_reaches_the_app() {
    // Request smuggling needs two parties to disagree about where a body ends. hookgate
    // refuses the ambiguous forms and always re-frames what it forwards (one Content-Length,
    // no Transfer-Encoding), so the app never sees them.
    let (up, proxy, _clock) = setup(Upstream::ok().await).await;
    let body = r#"{"id":"evt_frame"}"#;
    let chunked = format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    for (what, extra, payload) in [
        (
            "two different lengths",
            vec![
                format!("Content-Length: {}", body.len()),
                format!("Content-Length: {}", body.len() + 5),
            ],
            body.to_owned(),
        ),
        (
            "a length that is not a number",
            vec![format!("Content-Length: {}x", body.len())],
            body.to_owned(),
        ),
        (
            "a transfer coding other than chunked last",
            vec!["Transfer-Encoding: chunked, gzip".to_owned()],
            chunked.clone(),
        ),
        (
            "a transfer coding before chunked",
            vec!["Transfer-Encoding: gzip, chunked".to_owned()],
            chunked.clone(),
        ),
        (
            "chunked twice",
            vec![
                "Transfer-Encoding: chunked".to_owned(),
                "Transfer-Encoding: chunked".to_owned(),
            ],
            chunked.clone(),
        ),
        (
            "two equal lengths",
            vec![
                format!("Content-Length: {}", body.len()),
                format!("Content-Length: {}", body.len()),
            ],
            body.to_owned(),
        ),
        (
            "two Host headers",
            vec!["Host: other.example".to_owned()],
            body.to_owned(),
        ),
    ] {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let mut s = TcpStream::connect(proxy.addr).await.unwrap();
        let mut req = head("POST /hook HTTP/1.1", body, &extra);
        req.push_str(&payload);
        s.write_all(req.as_bytes()).await.unwrap();
        let (status, _, _) = response(&mut s, &mut Vec::new()).await;
        assert_eq!(status, 400, "{what}");
    }
    assert_eq!(up.count(), 0);

    // A line ending in a bare LF: refused as the head is read (hyper would take it).
    for bad in [
        "POST /hook HTTP/1.1\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "POST /hook HTTP/1.1\r\nHost: x\nContent-Length: 0\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(proxy.addr).await.unwrap();
        s.write_all(bad.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "closed");
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.1 400"), "{text}");
        assert!(text.contains("LF without CR"), "{text}");
    }
    assert_eq!(up.count(), 0);
    // Counted where connection failures are: route none, bad_request.
    poll(POLL, async || {
        let n = proxy
            .metric("hookgate_requests_total{outcome=\"bad_request\",route=\"none\"}")
            .await;
        (n >= 3.0).then_some(())
    })
    .await
    .expect("the refusals before a request are counted");

    // Both a length and chunked: chunked decides (RFC 9112 6.3), and the app gets one length.
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let mut req = head(
        "POST /hook HTTP/1.1",
        body,
        &["Content-Length: 3", "Transfer-Encoding: chunked"],
    );
    req.push_str(&chunked);
    s.write_all(req.as_bytes()).await.unwrap();
    let (status, _, _) = response(&mut s, &mut Vec::new()).await;
    assert_eq!(status, 200);
    let r = &up.requests()[0];
    assert_eq!(r.body.as_ref(), body.as_bytes());
    assert_eq!(r.headers.get_all("content-length").iter().count(), 1);
    assert_eq!(r.headers["content-length"], body.len().to_string());
    assert!(r.headers.get("transfer-encoding").is_none());
}
