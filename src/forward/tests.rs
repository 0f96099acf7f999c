use super::*;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream, UnixListener};

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));

#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

impl Seen {
    fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }

    fn headers(&self, name: &str) -> Vec<String> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    fn header(&self, name: &str) -> Option<String> {
        let mut all = self.headers(name);
        assert!(all.len() <= 1, "{name} repeated: {all:?}");
        all.pop()
    }
}

#[derive(Default)]
struct Log {
    requests: Mutex<Vec<Seen>>,
    connections: AtomicUsize,
    closed: AtomicUsize,
}

impl Log {
    fn requests(&self) -> Vec<Seen> {
        self.requests.lock().expect("log lock").clone()
    }
}

/// A deliberately dumb HTTP/1.1 server: records each raw request (head as text, body by
/// Content-Length) and answers every one with the same canned bytes, keeping the
/// connection open so that pooling is observable.
async fn serve_conn<S>(stream: S, response: &'static [u8], log: Arc<Log>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => {
                    log.closed.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut seen = Seen { head, body: vec![] };
        let len: usize = seen
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        seen.body = vec![0; len];
        if reader.read_exact(&mut seen.body).await.is_err() {
            return;
        }
        log.requests.lock().expect("log lock").push(seen);
        if reader.get_mut().write_all(response).await.is_err() {
            return;
        }
    }
}

async fn tcp_upstream(response: &'static [u8]) -> (SocketAddr, Arc<Log>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let log = Arc::new(Log::default());
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            server_log.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve_conn(stream, response, Arc::clone(&server_log)));
        }
    });
    (addr, log)
}

/// A server whose every connection is handed to `script`, for misbehaviour on purpose.
async fn scripted_upstream<F, Fut>(script: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(script(stream));
        }
    });
    addr
}

async fn read_head(stream: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn http_upstream(addr: SocketAddr, base_path: &str, timeout: Duration) -> Upstream {
    Upstream::new(
        UpstreamTarget::Http {
            authority: addr.to_string().parse().expect("authority"),
            base_path: base_path.to_owned(),
        },
        timeout,
        Duration::from_secs(30),
    )
}

fn parts(method: Method, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).expect("request").into_parts().0
}

fn meta(host: Option<&HeaderValue>) -> ForwardMeta<'_> {
    ForwardMeta {
        verified: Some("github"),
        verdict: None,
        event_id: None,
        client_ip: CLIENT,
        proto: "http",
        host,
        attempt: None,
        trace: None,
    }
}

const SECS: Duration = Duration::from_secs(5);

#[tokio::test]
async fn forwards_exact_bytes_method_path_and_query() {
    let (addr, log) = tcp_upstream(OK).await;
    let upstream = http_upstream(addr, "/prefix", SECS);
    let body = Bytes::from_static(b"{\"a\":1}\r\n\r\n\0\xff\xfe tail");
    let len = body.len().to_string();
    let host = HeaderValue::from_static("hooks.example.com");
    let p = parts(
        Method::PUT,
        "/hook/github?x=1&y=%20z",
        &[
            ("host", "hooks.example.com"),
            ("content-type", "application/json"),
            ("content-length", &len),
            ("x-github-event", "push"),
        ],
    );

    let response = upstream
        .send(&p, body.clone(), &meta(Some(&host)))
        .await
        .expect("forwarded")
        .response;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_ref(), b"ok");
    let seen = log.requests();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!(
        seen.request_line(),
        "PUT /prefix/hook/github?x=1&y=%20z HTTP/1.1"
    );
    assert_eq!(seen.body, body.as_ref());
    assert_eq!(seen.header("content-length"), Some(len));
    assert_eq!(seen.header("host").as_deref(), Some("hooks.example.com"));
    assert_eq!(
        seen.header("x-forwarded-host").as_deref(),
        Some("hooks.example.com")
    );
    assert_eq!(seen.header("x-forwarded-proto").as_deref(), Some("http"));
    assert_eq!(
        seen.header("x-forwarded-for").as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        seen.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(seen.header("x-github-event").as_deref(), Some("push"));
}

#[tokio::test]
async fn hop_by_hop_headers_removed_both_ways() {
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
        Connection: X-Upstream-Secret\r\n\
        X-Upstream-Secret: 1\r\n\
        Keep-Alive: timeout=5\r\n\
        Proxy-Authenticate: Basic\r\n\
        Proxy-Connection: keep-alive\r\n\
        Trailer: X-Checksum\r\n\
        Upgrade: h2c\r\n\
        X-End: kept\r\n\
        Transfer-Encoding: chunked\r\n\
        \r\n\
        5\r\nhello\r\n0\r\n\r\n";
    let (addr, log) = tcp_upstream(RESPONSE).await;
    let upstream = http_upstream(addr, "", SECS);
    let p = parts(
        Method::POST,
        "/h",
        &[
            ("connection", "keep-alive, X-Secret"),
            ("connection", "x-other"),
            ("x-secret", "1"),
            ("x-other", "2"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("proxy-authorization", "Basic abc"),
            ("te", "trailers"),
            ("trailer", "x-sig"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("expect", "100-continue"),
            ("x-keep", "yes"),
        ],
    );

    let response = upstream
        .send(&p, Bytes::from_static(b"hello"), &meta(None))
        .await
        .expect("forwarded")
        .response;

    let seen = &log.requests()[0];
    for gone in [
        "connection",
        "x-secret",
        "x-other",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    ] {
        assert_eq!(seen.header(gone), None, "{gone} reached the upstream");
    }
    assert_eq!(seen.header("x-keep").as_deref(), Some("yes"));
    assert_eq!(seen.header("content-length").as_deref(), Some("5"));
    assert_eq!(seen.body, b"hello");

    for gone in [
        "connection",
        "x-upstream-secret",
        "keep-alive",
        "proxy-authenticate",
        "proxy-connection",
        "trailer",
        "upgrade",
        "transfer-encoding",
    ] {
        assert!(
            !response.headers().contains_key(gone),
            "{gone} reached the sender"
        );
    }
    assert_eq!(response.headers()["x-end"], "kept");
    assert_eq!(response.headers()[header::CONTENT_LENGTH], "5");
    assert_eq!(response.body().as_ref(), b"hello");
}

#[tokio::test]
async fn sender_hookgate_headers_replaced_by_ours() {
    let (addr, log) = tcp_upstream(OK).await;
    let upstream = http_upstream(addr, "", SECS);
    let p = parts(
        Method::POST,
        "/h",
        &[
            ("Hookgate-Verified", "forged"),
            ("hookgate-foo", "x"),
            ("HOOKGATE-Bar", "y"),
            // Spellings an app's server may read as ours: CGI/WSGI map `_` to `-`.
            ("Hookgate_Verified", "forged"),
            ("X-Hookgate-Verified", "forged"),
            ("x_hookgate_verified", "forged"),
            ("X-Hookgate_Event-Id", "forged"),
            // Merely alike: not ours.
            ("x-hookgateway", "kept"),
            ("hookgatex-foo", "kept"),
        ],
    );

    upstream
        .send(&p, Bytes::new(), &meta(None))
        .await
        .expect("forwarded");

    let seen = &log.requests()[0];
    let ours: Vec<String> = seen
        .head
        .lines()
        .map(str::to_ascii_lowercase)
        .filter(|line| {
            let l = line.replace('_', "-");
            l.starts_with("hookgate-") || l.starts_with("x-hookgate-")
        })
        .collect();
    assert_eq!(ours, ["hookgate-verified: github"]);
    assert_eq!(seen.header("x-hookgateway").as_deref(), Some("kept"));
    assert_eq!(seen.header("hookgatex-foo").as_deref(), Some("kept"));
    // An empty POST still announces its (zero) length.
    assert_eq!(seen.header("content-length").as_deref(), Some("0"));
}

#[tokio::test]
async fn forwarded_headers_appended_and_overridden() {
    let (addr, log) = tcp_upstream(OK).await;
    let upstream = http_upstream(addr, "", SECS);
    let p = parts(
        Method::POST,
        "/h",
        &[
            ("host", "original.example"),
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", " 198.51.100.2, 198.51.100.3 "),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "forged.example"),
            ("x-real-ip", "198.51.100.9"),
            ("forwarded", "for=198.51.100.1;proto=https"),
        ],
    );

    upstream
        .send(&p, Bytes::from_static(b"x"), &meta(None))
        .await
        .expect("forwarded");

    let seen = &log.requests()[0];
    assert_eq!(
        seen.header("x-forwarded-for").as_deref(),
        Some("198.51.100.1, 198.51.100.2, 198.51.100.3, 203.0.113.7")
    );
    // The three say the same: the peer hookgate saw comes last, or alone.
    assert_eq!(seen.header("x-real-ip").as_deref(), Some("203.0.113.7"));
    assert_eq!(
        seen.header("forwarded").as_deref(),
        Some("for=198.51.100.1;proto=https, for=203.0.113.7;proto=http")
    );
    assert_eq!(seen.header("x-forwarded-proto").as_deref(), Some("http"));
    // No original Host was vouched for, so a sender-made X-Forwarded-Host must not pass.
    assert_eq!(seen.header("x-forwarded-host"), None);
    assert_eq!(seen.header("host").as_deref(), Some("original.example"));
}

#[tokio::test]
async fn absolute_form_uri_cannot_redirect_the_connection() {
    let (configured, configured_log) = tcp_upstream(OK).await;
    let (elsewhere, elsewhere_log) = tcp_upstream(OK).await;
    let upstream = http_upstream(configured, "", SECS);
    let target = format!("http://{elsewhere}/steal?q=1");
    let host_text = elsewhere.to_string();
    let host = HeaderValue::from_str(&host_text).expect("host");
    let p = parts(Method::POST, &target, &[("host", &host_text)]);

    upstream
        .send(&p, Bytes::from_static(b"x"), &meta(Some(&host)))
        .await
        .expect("forwarded");

    let seen = configured_log.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line(), "POST /steal?q=1 HTTP/1.1");
    assert_eq!(elsewhere_log.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn refused_port_is_unavailable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let upstream = http_upstream(addr, "", SECS);

    let result = upstream
        .send(&parts(Method::POST, "/h", &[]), Bytes::new(), &meta(None))
        .await;

    assert!(
        matches!(result, Err(ForwardError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn silent_upstream_times_out() {
    let addr = scripted_upstream(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let timeout = Duration::from_millis(200);
    let upstream = http_upstream(addr, "", timeout);

    let started = Instant::now();
    let result = upstream
        .send(&parts(Method::POST, "/h", &[]), Bytes::new(), &meta(None))
        .await;

    assert!(
        matches!(result, Err(ForwardError::Timeout(t)) if t == timeout),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// What `send` makes of an answer whose body cannot be read whole: `status` is the app's.
async fn broken_body(
    status: &'static str,
    rest: &'static [u8],
    then: Duration,
    timeout: Duration,
) -> Result<Relayed, ForwardError> {
    let addr = scripted_upstream(move |mut stream| async move {
        read_head(&mut stream).await;
        let head = format!("HTTP/1.1 {status}\r\n");
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(rest).await;
        tokio::time::sleep(then).await;
        let _ = stream.shutdown().await;
    })
    .await;
    http_upstream(addr, "", timeout)
        .send(&parts(Method::GET, "/h", &[]), Bytes::new(), &meta(None))
        .await
}

/// An accepted delivery relayed without its body: the app's status and headers, no body, and
/// why.
fn assert_relayed_without_body(result: &Result<Relayed, ForwardError>, why: &str) {
    let Ok(relayed) = result else {
        panic!("a 2xx is the app's acceptance: {result:?}");
    };
    assert_eq!(relayed.response.status(), StatusCode::OK);
    assert!(relayed.response.body().is_empty());
    assert_eq!(relayed.response.headers()[header::CONTENT_LENGTH], "0");
    assert_eq!(
        relayed.body_lost.as_ref().map(ForwardError::kind),
        Some(why)
    );
}

#[tokio::test]
async fn slow_response_body_times_out() {
    let slow = b"Content-Length: 10\r\n\r\nabc";
    let (short, long) = (Duration::from_millis(200), Duration::from_secs(30));
    let accepted = broken_body("200 OK", slow, long, short).await;
    assert_relayed_without_body(&accepted, "timeout");
    let refused = broken_body("500 Internal Server Error", slow, long, short).await;
    assert!(
        matches!(refused, Err(ForwardError::Timeout(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn close_mid_response_is_unavailable() {
    let cut = b"Content-Length: 100\r\n\r\n0123456789";
    let accepted = broken_body("200 OK", cut, Duration::ZERO, SECS).await;
    assert_relayed_without_body(&accepted, "unreadable");
    let refused = broken_body("503 Service Unavailable", cut, Duration::ZERO, SECS).await;
    assert!(
        matches!(refused, Err(ForwardError::Unavailable(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn connections_are_reused() {
    let (addr, log) = tcp_upstream(OK).await;
    let upstream = http_upstream(addr, "", SECS);
    let clone = upstream.clone();

    for u in [&upstream, &clone] {
        u.send(&parts(Method::POST, "/h", &[]), Bytes::new(), &meta(None))
            .await
            .expect("forwarded");
    }

    assert_eq!(log.requests().len(), 2);
    assert_eq!(log.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn idle_connections_are_closed_after_pool_idle_timeout() {
    let (addr, log) = tcp_upstream(OK).await;
    let upstream = Upstream::new(
        UpstreamTarget::Http {
            authority: addr.to_string().parse().expect("authority"),
            base_path: String::new(),
        },
        SECS,
        Duration::from_millis(100),
    );

    upstream
        .send(&parts(Method::POST, "/h", &[]), Bytes::new(), &meta(None))
        .await
        .expect("forwarded");

    // The pool timer, not a later checkout, must close the idle socket.
    let deadline = Instant::now() + Duration::from_secs(3);
    while log.closed.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "idle connection never closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    upstream
        .send(&parts(Method::POST, "/h", &[]), Bytes::new(), &meta(None))
        .await
        .expect("forwarded on a fresh connection");
    assert_eq!(log.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unix_socket_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.sock");
    let listener = UnixListener::bind(&path).expect("bind");
    let log = Arc::new(Log::default());
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            server_log.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve_conn(stream, OK, Arc::clone(&server_log)));
        }
    });
    let upstream = Upstream::new(UpstreamTarget::Unix { path }, SECS, Duration::from_secs(30));
    let host = HeaderValue::from_static("hooks.example.com");
    let p = parts(Method::POST, "/u?z=1", &[("host", "hooks.example.com")]);

    for _ in 0..2 {
        let response = upstream
            .send(&p, Bytes::from_static(b"payload"), &meta(Some(&host)))
            .await
            .expect("forwarded")
            .response;
        assert_eq!(response.body().as_ref(), b"ok");
    }

    let seen = log.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].request_line(), "POST /u?z=1 HTTP/1.1");
    assert_eq!(seen[0].body, b"payload");
    assert_eq!(seen[0].header("host").as_deref(), Some("hooks.example.com"));
    assert_eq!(log.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unix_socket_missing_is_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let upstream = Upstream::new(
        UpstreamTarget::Unix {
            path: dir.path().join("absent.sock"),
        },
        SECS,
        Duration::from_secs(30),
    );

    let result = upstream
        .send(&parts(Method::POST, "/h", &[]), Bytes::new(), &meta(None))
        .await;

    assert!(
        matches!(result, Err(ForwardError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn oversized_response_is_unavailable() {
    const ANNOUNCED: &[u8] = b"Content-Length: 20\r\n\r\n01234567890123456789";
    const CHUNKED: &[u8] = b"Transfer-Encoding: chunked\r\n\r\n\
        8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n";
    for rest in [ANNOUNCED, CHUNKED] {
        let send = |status: &'static str| async move {
            let mut canned = format!("HTTP/1.1 {status}\r\n").into_bytes();
            canned.extend_from_slice(rest);
            let (addr, _log) = tcp_upstream(canned.leak()).await;
            http_upstream(addr, "", SECS)
                .with_max_response_body(10)
                .send(&parts(Method::GET, "/h", &[]), Bytes::new(), &meta(None))
                .await
        };
        assert_relayed_without_body(&send("200 OK").await, "too_large");
        let refused = send("400 Bad Request").await;
        assert!(
            matches!(refused, Err(ForwardError::TooLarge(10))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn head_response_keeps_upstream_length() {
    let (addr, log) = tcp_upstream(b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n").await;
    let upstream = http_upstream(addr, "", SECS);

    let response = upstream
        .send(&parts(Method::HEAD, "/h", &[]), Bytes::new(), &meta(None))
        .await
        .expect("forwarded")
        .response;

    assert_eq!(response.headers()[header::CONTENT_LENGTH], "42");
    assert!(response.body().is_empty());
    assert_eq!(log.requests()[0].header("content-length"), None);
}

#[test]
fn strip_hop_by_hop_handles_odd_connection_values() {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("connection", " Keep-Alive ,X-A,, x-b , not a name"),
        ("connection", "X-C"),
        ("x-a", "1"),
        ("x-b", "2"),
        ("x-c", "3"),
        ("te", "trailers"),
        ("x-d", "4"),
    ] {
        headers.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }

    strip_hop_by_hop(&mut headers);

    let left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    assert_eq!(left, ["x-d"]);
}

#[test]
fn route_header_never_fails() {
    assert_eq!(route_header("github"), "github");
    assert_eq!(route_header("git\nhub\u{7f}"), "git_hub_");
}

#[tokio::test]
async fn the_verdict_and_the_event_id_reach_the_app_in_headers_of_ours() {
    let (addr, log) = tcp_upstream(OK).await;
    let upstream = http_upstream(addr, "", SECS);
    let p = parts(Method::POST, "/h", &[]);
    // Not verified (observe mode): no Hookgate-Verified, the verdict instead.
    let observed = ForwardMeta {
        verified: None,
        verdict: Some("invalid_signature"),
        event_id: Some("evt_1"),
        ..meta(None)
    };
    upstream.send(&p, Bytes::new(), &observed).await.unwrap();
    // An id that cannot be a header value goes as its SHA-256.
    let odd = ForwardMeta {
        event_id: Some("évt\n2"),
        ..meta(None)
    };
    upstream.send(&p, Bytes::new(), &odd).await.unwrap();
    let seen = log.requests();
    assert_eq!(seen[0].header("hookgate-verified"), None);
    assert_eq!(
        seen[0].header("hookgate-verdict").as_deref(),
        Some("invalid_signature")
    );
    assert_eq!(
        seen[0].header("hookgate-event-id").as_deref(),
        Some("evt_1")
    );
    assert_eq!(
        seen[1].header("hookgate-verified").as_deref(),
        Some("github")
    );
    assert_eq!(seen[1].header("hookgate-verdict"), None);
    let id = seen[1].header("hookgate-event-id").unwrap();
    assert!(id.starts_with("sha256:") && id.len() == 7 + 64, "{id}");
}

#[tokio::test]
async fn an_ipv6_peer_is_quoted_in_forwarded() {
    let (addr, log) = tcp_upstream(OK).await;
    let upstream = http_upstream(addr, "", SECS);
    let p = parts(Method::POST, "/h", &[]);
    let v6 = ForwardMeta {
        client_ip: "2001:db8::7".parse().unwrap(),
        ..meta(None)
    };
    upstream.send(&p, Bytes::new(), &v6).await.unwrap();
    let seen = &log.requests()[0];
    assert_eq!(
        seen.header("forwarded").as_deref(),
        Some("for=\"[2001:db8::7]\";proto=http")
    );
    assert_eq!(seen.header("x-real-ip").as_deref(), Some("2001:db8::7"));
}
