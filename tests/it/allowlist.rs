//! Sender IP allowlists through the real proxy, with several source addresses on one machine
//! (clients bound to 127.0.0.2, .3, .4 before connecting): CIDRs let their sources in and
//! nothing else, before the body is read; `X-Forwarded-For` is believed from a trusted proxy
//! only; PROXY protocol v1/v2 headers name the client, from trusted proxies only; a published
//! list served over HTTPS fails closed until fetched, keeps its last good copy while its host
//! fails, and recovers; bad CIDRs are refused at load with their position.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;
use crate::keyserver::KeyServer;
use crate::proxy::{config, config_error, signed, ENV, SECRET};

const NOW: i64 = 1_764_000_000;

/// The signed route of `proxy::config`, at `/guarded`, with `allow` as its `allow_ips`.
fn guarded(allow: &str) -> String {
    format!(
        r#"  - name: guarded
    path: /guarded
    verify:
      header: X-Signature
      prefix: "sha256="
      signed_payload: "{{timestamp}}.{{body}}"
      timestamp: {{ header: X-Timestamp, format: unix }}
    dedup_key: {{ json: /id }}
    secrets:
      - {{ id: current, env: CUR }}
    allow_ips: {allow}
"#
    )
}

/// What a raw exchange got: the status (`None`: the connection closed without an answer),
/// and the answer's text.
struct Raw {
    status: Option<u16>,
    text: String,
}

/// One request over a connection from 127.0.0.`from`, `prefix` written first (a PROXY
/// header), `Connection: close`, the answer read to its end.
async fn raw(
    to: SocketAddr,
    from: u8,
    prefix: &[u8],
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> Raw {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from(([127, 0, 0, from], 0)))
        .unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    let mut req = prefix.to_vec();
    req.extend_from_slice(
        format!(
            "POST {path} HTTP/1.1\r\nHost: hookgate\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        )
        .as_bytes(),
    );
    for (n, v) in headers {
        req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body.as_bytes());
    // A refused connection may be closed before all of it is written.
    let _ = stream.write_all(&req).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("no answer and no close");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok());
    Raw { status, text }
}

/// A signed delivery `id` to `path` from 127.0.0.`from`, with `extra` headers.
async fn deliver(proxy: &Proxy, from: u8, path: &str, id: &str, extra: &[(&str, &str)]) -> Raw {
    deliver_with(proxy, from, b"", path, id, extra, NOW).await
}

async fn deliver_with(
    proxy: &Proxy,
    from: u8,
    prefix: &[u8],
    path: &str,
    id: &str,
    extra: &[(&str, &str)],
    now: i64,
) -> Raw {
    let body = format!(r#"{{"id":"{id}"}}"#);
    let mut headers = signed(SECRET, now, &body);
    headers.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    raw(proxy.addr, from, prefix, path, &headers, &body).await
}

async fn start(route: &str, top: &str, up: &Upstream) -> Proxy {
    Proxy::start(
        &config(route, top),
        &up.url(),
        ENV,
        TestClock::at(NOW).clock(),
    )
    .await
}

const IP_NOT_ALLOWED: &str = r#"hookgate_requests_total{outcome="ip_not_allowed",route="guarded"}"#;

#[tokio::test]
async fn cidrs_let_their_sources_in_and_refuse_the_rest_before_the_body() {
    let up = Upstream::ok().await;
    let proxy = start(
        &guarded(r#"["127.0.0.2", "10.0.0.0/8", "2001:db8::/32"]"#),
        "",
        &up,
    )
    .await;
    let ok = deliver(&proxy, 2, "/guarded", "a", &[]).await;
    assert_eq!(ok.status, Some(200), "{}", ok.text);
    assert_eq!(up.count(), 1);
    let refused = deliver(&proxy, 3, "/guarded", "b", &[]).await;
    assert_eq!(refused.status, Some(403), "{}", refused.text);
    assert!(refused.text.contains("ip_not_allowed"), "{}", refused.text);
    assert_eq!(up.count(), 1, "a refused source was forwarded");
    assert_eq!(proxy.metric(IP_NOT_ALLOWED).await, 1.0);
    // Refused on the head: a body that never comes is not waited for (nor is it unsigned
    // junk's 401: the address is checked first).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from(([127, 0, 0, 3], 0))).unwrap();
    let mut s = socket.connect(proxy.addr).await.unwrap();
    s.write_all(b"POST /guarded HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n{")
        .await
        .unwrap();
    let mut buf = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut buf))
        .await
        .expect("the refusal waited for the body")
        .unwrap();
    assert_eq!(&buf, b"HTTP/1.1 403");
    // A route without allow_ips takes any source.
    let open = deliver(&proxy, 3, "/hook", "c", &[]).await;
    assert_eq!(open.status, Some(200), "{}", open.text);
    proxy.stop().await;
}

#[tokio::test]
async fn forwarded_for_is_believed_from_a_trusted_proxy_only() {
    let up = Upstream::ok().await;
    let proxy = start(
        &guarded(r#"["127.0.0.2"]"#),
        "trusted_proxies: [\"127.0.0.4/32\"]",
        &up,
    )
    .await;
    // A spoofed header from a peer that is no proxy of ours: its socket address counts.
    let spoofed = deliver(
        &proxy,
        3,
        "/guarded",
        "a",
        &[("X-Forwarded-For", "127.0.0.2")],
    )
    .await;
    assert_eq!(spoofed.status, Some(403), "{}", spoofed.text);
    // The trusted proxy vouches for .2 (what the client claimed left of it stays as a claim).
    let via = deliver(
        &proxy,
        4,
        "/guarded",
        "b",
        &[("X-Forwarded-For", "198.51.100.9, 127.0.0.2")],
    )
    .await;
    assert_eq!(via.status, Some(200), "{}", via.text);
    let seen = &up.requests()[0].headers;
    assert_eq!(seen["x-forwarded-for"], "198.51.100.9, 127.0.0.2");
    assert_eq!(seen["x-real-ip"], "127.0.0.2");
    // The rightmost hop is the client: one the proxy added after .2 is what counts.
    let last = deliver(
        &proxy,
        4,
        "/guarded",
        "c",
        &[("X-Forwarded-For", "127.0.0.2, 127.0.0.3")],
    )
    .await;
    assert_eq!(last.status, Some(403), "{}", last.text);
    // The trusted proxy's own request, without the header, is its own address's.
    let own = deliver(&proxy, 4, "/guarded", "d", &[]).await;
    assert_eq!(own.status, Some(403), "{}", own.text);
    assert_eq!(up.count(), 1);
    assert_eq!(proxy.metric(IP_NOT_ALLOWED).await, 3.0);
    proxy.stop().await;
}

/// A PROXY v2 header for a TCP over IPv4 connection from `src`.
fn proxy_v2(src: [u8; 4], port: u16) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    h.extend_from_slice(&[0x21, 0x11, 0, 12]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&[127, 0, 0, 1]);
    h.extend_from_slice(&port.to_be_bytes());
    h.extend_from_slice(&8080u16.to_be_bytes());
    h
}

#[tokio::test]
async fn proxy_protocol_names_the_client_from_trusted_proxies_only() {
    let up = Upstream::ok().await;
    let proxy = start(
        &guarded(r#"["127.0.0.2"]"#),
        "trusted_proxies: [\"127.0.0.4\"]\nproxy_protocol: true",
        &up,
    )
    .await;
    let v1 = b"PROXY TCP4 127.0.0.2 127.0.0.1 40000 8080\r\n";
    let ok = deliver_with(&proxy, 4, v1, "/guarded", "a", &[], NOW).await;
    assert_eq!(ok.status, Some(200), "{}", ok.text);
    assert_eq!(up.requests()[0].headers["x-real-ip"], "127.0.0.2");
    let ok2 = deliver_with(
        &proxy,
        4,
        &proxy_v2([127, 0, 0, 2], 1),
        "/guarded",
        "b",
        &[],
        NOW,
    )
    .await;
    assert_eq!(ok2.status, Some(200), "{}", ok2.text);
    let refused = deliver_with(
        &proxy,
        4,
        &proxy_v2([127, 0, 0, 3], 1),
        "/guarded",
        "c",
        &[],
        NOW,
    )
    .await;
    assert_eq!(refused.status, Some(403), "{}", refused.text);
    // From a peer that is no trusted proxy, even a well-formed header is refused: closed.
    let untrusted = deliver_with(&proxy, 2, v1, "/guarded", "d", &[], NOW).await;
    assert_eq!(untrusted.status, None, "{}", untrusted.text);
    // A trusted proxy that sends no header: closed too.
    let bare = deliver_with(&proxy, 4, b"", "/guarded", "e", &[], NOW).await;
    assert_eq!(bare.status, None, "{}", bare.text);
    assert_eq!(up.count(), 2);
    let m = proxy.metrics().await;
    let refused_for = |reason: &str| {
        sample(
            &m,
            &format!(r#"hookgate_connections_refused_total{{reason="{reason}"}}"#),
        )
    };
    assert_eq!(refused_for("untrusted_proxy"), Some(1.0));
    assert_eq!(refused_for("proxy_header"), Some(1.0));
    proxy.stop().await;
}

#[tokio::test]
async fn a_published_list_fails_closed_keeps_its_last_good_copy_and_recovers() {
    const HOST: &str = "lists.example.test";
    let lists = KeyServer::start(&[HOST]).await;
    let up = Upstream::ok().await;
    let allow =
        format!(r#"[{{ url: "https://{HOST}/ips.json", format: json_list, refresh: 1s }}]"#);
    let proxy = Proxy::start(
        &config(&guarded(&allow), &lists.fetch_yaml(&[HOST])),
        &up.url(),
        ENV,
        hookgate::clock::system_clock(),
    )
    .await;
    let send = async |from: u8, id: &str| {
        deliver_with(&proxy, from, b"", "/guarded", id, &[], now_unix())
            .await
            .status
    };
    // Never fetched (the host answers 404): hookgate cannot tell, so 503, not 403.
    let unknown = deliver_with(&proxy, 2, b"", "/guarded", "a", &[], now_unix()).await;
    assert_eq!(unknown.status, Some(503), "{}", unknown.text);
    assert!(
        unknown.text.contains("allowlist_unavailable"),
        "{}",
        unknown.text
    );
    lists.serve("/ips.json", r#"["127.0.0.2/32"]"#);
    let mut n = 0;
    poll(POLL, async || {
        n += 1;
        (send(2, &format!("b{n}")).await == Some(200)).then_some(())
    })
    .await
    .expect("the list was never fetched");
    assert_eq!(send(3, "c").await, Some(403));
    // The host fails: the last good copy stays in force, its age grows, the gauge says so.
    lists.fail(Some(500));
    let failing = r#"hookgate_fetch_failing{url="https://lists.example.test/ips.json"}"#;
    let age = r#"hookgate_fetch_document_age_seconds{url="https://lists.example.test/ips.json"}"#;
    poll(POLL, async || {
        let m = proxy.metrics().await;
        (sample(&m, failing) == Some(1.0) && sample(&m, age).is_some_and(|a| a >= 1.0))
            .then_some(())
    })
    .await
    .expect("the failing fetch never showed");
    assert_eq!(send(2, "d").await, Some(200));
    assert_eq!(send(3, "e").await, Some(403));
    // Back, with a new list: .3 now, not .2.
    lists.serve("/ips.json", "[\"127.0.0.3\"]");
    lists.fail(None);
    let mut n = 0;
    poll(POLL, async || {
        n += 1;
        (send(3, &format!("f{n}")).await == Some(200)).then_some(())
    })
    .await
    .expect("the list never recovered");
    assert_eq!(send(2, "g").await, Some(403));
    assert_eq!(proxy.metric(failing).await, 0.0);
    proxy.stop().await;
}

/// The config's load error with `route` as its second route and `top` at the top, if any.
fn load_error(route: &str, top: &str) -> Option<String> {
    config_error(route, top)
}

#[test]
fn bad_entries_are_refused_at_load_with_their_position() {
    assert_eq!(
        load_error(
            &guarded(
                r#"["10.0.0.0/8", "::1", { sender: github }, { url: "https://x.example/ips", format: text, refresh: 10m }]"#
            ),
            ""
        ),
        None
    );
    let e = load_error(&guarded(r#"["10.0.0.0/8", "10.0.0.1/24"]"#), "").unwrap();
    assert!(
        e.contains("routes[1].allow_ips[1]") && e.contains("10.0.0.0/24"),
        "{e}"
    );
    // Where in the file: the entry's own line.
    assert!(e.contains("test.yaml:27:"), "{e}");
    let e = load_error(&guarded(r#"["10.0.0.0/33"]"#), "").unwrap();
    assert!(e.contains("allow_ips[0]"), "{e}");
    let e = load_error(&guarded(r#"[{ sender: gitlab }]"#), "").unwrap();
    assert!(e.contains("allow_ips[0].sender"), "{e}");
    let e = load_error(
        &guarded(r#"[{ url: "http://x.example/ips", format: text }]"#),
        "",
    )
    .unwrap();
    assert!(e.contains("allow_ips[0].url"), "{e}");
    let e = load_error(&guarded(r#"[{ url: "https://x.example/ips" }]"#), "").unwrap();
    assert!(e.contains("allow_ips[0].format"), "{e}");
    let e = load_error(&guarded(r#"[{ sender: github, colour: red }]"#), "").unwrap();
    assert!(e.contains("colour"), "{e}");
    let e = load_error(&guarded("[]"), "").unwrap();
    assert!(e.contains("allow_ips"), "{e}");
    let e = load_error("", "trusted_proxies: [\"10.0.0.0/8\", \"not-an-ip\"]").unwrap();
    assert!(e.contains("trusted_proxies[1]"), "{e}");
    let e = load_error("", "proxy_protocol: true").unwrap();
    assert!(e.contains("proxy_protocol"), "{e}");
}

#[tokio::test]
async fn a_reload_that_keeps_a_list_keeps_its_copy_and_one_that_changes_it_fetches_anew() {
    const HOST: &str = "lists.example.test";
    let lists = KeyServer::start(&[HOST]).await;
    lists.serve("/ips.txt", "127.0.0.2\n");
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hookgate.yaml");
    let (port, admin) = (free_port(), free_port());
    let write = |refresh: &str, extra_route: &str| {
        let allow =
            format!(r#"[{{ url: "https://{HOST}/ips.txt", format: text, refresh: {refresh} }}]"#);
        let yaml = format!(
            "listen: 127.0.0.1:{port}\nadmin_listen: 127.0.0.1:{admin}\n{}",
            config(
                &format!("{}{extra_route}", guarded(&allow)),
                &lists.fetch_yaml(&[HOST])
            )
            .replace("{upstream}", &up.url())
        );
        std::fs::write(&path, yaml).unwrap();
    };
    write("1h", "");
    let hg = Binary::start(
        &path,
        dir.path().join("stderr.log"),
        ENV,
        &[],
        (port, admin),
    )
    .await;
    let to: SocketAddr = ([127, 0, 0, 1], port).into();
    let send = async |from: u8, id: &str| {
        let body = format!(r#"{{"id":"{id}"}}"#);
        let headers = signed(SECRET, now_unix(), &body);
        raw(to, from, b"", "/guarded", &headers, &body).await.status
    };
    let mut n = 0;
    poll(POLL, async || {
        n += 1;
        (send(2, &format!("a{n}")).await == Some(200)).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("the list was never fetched\n{}", hg.logs()));
    // From now on the list's host fails: only a copy kept across the reload lets .2 in.
    lists.fail(Some(500));
    let reloads = async |n: f64| {
        poll(POLL, async || {
            (hg.metric(r#"hookgate_config_reloads_total{result="success"}"#)
                .await
                >= Some(n))
            .then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("no reload #{n}\n{}", hg.logs()));
    };
    write("1h", "  - name: other\n    path: /other\n    verify: { header: X-Signature, prefix: \"sha256=\", signed_payload: \"{timestamp}.{body}\", timestamp: { header: X-Timestamp } }\n    secrets: [{ env: CUR }]\n");
    hg.signal("-HUP");
    reloads(1.0).await;
    assert_eq!(send(2, "b").await, Some(200), "{}", hg.logs());
    // A different list (its refresh changed): fetched anew, and the host fails: 503.
    write("2h", "");
    hg.signal("-HUP");
    reloads(2.0).await;
    assert_eq!(send(2, "c").await, Some(503), "{}", hg.logs());
}

#[test]
fn check_lists_each_routes_allowlist_and_the_trusted_proxies_without_url_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hookgate.yaml");
    std::fs::write(
        &cfg,
        format!(
            "upstream: {{ url: \"http://127.0.0.1:1\" }}\n\
             trusted_proxies: [10.1.0.0/16, 10.3.0.0/16]\n\
             routes:\n{}",
            guarded(
                "[192.0.2.0/24, 198.51.100.7, { sender: github, refresh: 2h }, \
                 { url: \"https://u:list-token@lists.example/ips?key=list-key\", format: text }]"
            )
        ),
    )
    .unwrap();
    let out = std::process::Command::new(crate::process::BIN)
        .args(["check", "--config", cfg.to_str().unwrap()])
        .env("CUR", "x")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("trusted_proxies 2 ranges  client address from X-Forwarded-For"),
        "{text}"
    );
    assert!(
        text.contains(
            "allow_ips=[2 ranges, github_meta https://api.github.com/meta every 2h, \
             text https://lists.example/ips every 1h]"
        ),
        "{text}"
    );
    assert!(
        !text.contains("list-token") && !text.contains("list-key"),
        "{text}"
    );
}

/// A connection from 127.0.0.`from` that sends `prefix` and one signed delivery `id`, keeps
/// itself open, and reads the answer's status (`None`: closed without one).
async fn kept_open(
    proxy: &Proxy,
    from: u8,
    prefix: &[u8],
    id: &str,
) -> (tokio::net::TcpStream, Option<u16>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from(([127, 0, 0, from], 0)))
        .unwrap();
    let mut stream = socket.connect(proxy.addr).await.unwrap();
    let body = format!(r#"{{"id":"{id}"}}"#);
    let mut req = prefix.to_vec();
    req.extend_from_slice(
        format!(
            "POST /guarded HTTP/1.1\r\nHost: hookgate\r\nContent-Length: {}\r\n",
            body.len()
        )
        .as_bytes(),
    );
    for (n, v) in signed(SECRET, NOW, &body) {
        req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body.as_bytes());
    let _ = stream.write_all(&req).await;
    // The head is enough: the status is all this reads, and the body is left unread.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("no answer and no close")
        {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let status = String::from_utf8_lossy(&head)
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok());
    (stream, status)
}

#[tokio::test]
async fn per_source_connections_count_the_client_behind_a_trusted_proxy_not_the_proxy() {
    let up = Upstream::ok().await;
    let top = "trusted_proxies: [\"127.0.0.4\"]\nlimits: { per_source: { max_connections: 2 } }";
    // X-Forwarded-For: a client is known per request, so the proxy's connections are held to
    // the total only; an untrusted peer still to its own two.
    let proxy = start(&guarded("[127.0.0.0/8]"), top, &up).await;
    let mut open = Vec::new();
    for (i, from) in [4, 4, 4, 5, 5].into_iter().enumerate() {
        let (stream, status) = kept_open(&proxy, from, b"", &format!("xff{i}")).await;
        assert_eq!(status, Some(200), "connection {i} from 127.0.0.{from}");
        open.push(stream);
    }
    let (_, third) = kept_open(&proxy, 5, b"", "xff5").await;
    assert_eq!(third, None, "an untrusted peer's third connection");
    drop(open);
    proxy.stop().await;

    // PROXY protocol: each connection names its client, and the client is what is counted.
    let proxy = start(
        &guarded("[127.0.0.0/8]"),
        &format!("{top}\nproxy_protocol: true"),
        &up,
    )
    .await;
    let from = |client: u8| proxy_v2([127, 0, 0, client], 1);
    let mut open = Vec::new();
    for (i, client) in [2, 2, 3].into_iter().enumerate() {
        let (stream, status) = kept_open(&proxy, 4, &from(client), &format!("pp{i}")).await;
        assert_eq!(status, Some(200), "connection {i} for 127.0.0.{client}");
        open.push(stream);
    }
    let (_, third) = kept_open(&proxy, 4, &from(2), "pp3").await;
    assert_eq!(third, None, "127.0.0.2's third connection");
    let refused = proxy
        .metric(r#"hookgate_connections_refused_total{reason="per_source"}"#)
        .await;
    assert_eq!(refused, 1.0);
    drop(open);
    proxy.stop().await;
}

#[tokio::test]
async fn a_trusted_proxy_s_unfinished_heads_count_against_the_total_not_one_source_s_share() {
    let up = Upstream::ok().await;
    let top = "trusted_proxies: [\"127.0.0.4\"]\nlimits: { header_timeout: 10s, max_header_bytes: 256KiB, per_source: { max_header_bytes: 64KiB } }";
    let proxy = start(&guarded("[127.0.0.0/8]"), top, &up).await;
    let head = format!(
        "POST /guarded HTTP/1.1\r\nHost: x\r\nX-Pad: {}",
        "a".repeat(40 * 1024)
    );
    let unfinished = async |from: u8| {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, from], 0)))
            .unwrap();
        let mut stream = socket.connect(proxy.addr).await.unwrap();
        let _ = stream.write_all(head.as_bytes()).await;
        stream
    };
    let held = async |bytes: f64| {
        poll(POLL, async || {
            (proxy.metric("hookgate_header_bytes").await >= bytes).then_some(())
        })
        .await
    };
    // The balancer carries two senders' heads at once, past one address's 64 KiB: both held.
    let mut behind = vec![unfinished(4).await, unfinished(4).await];
    held(80.0 * 1024.0)
        .await
        .expect("both heads through the trusted proxy are held");
    // An untrusted peer is still held to its share: its second head is refused.
    let own = unfinished(5).await;
    held(120.0 * 1024.0).await.expect("its first head is held");
    let mut second = unfinished(5).await;
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(WAIT, second.read_to_end(&mut buf)).await;
    assert!(
        closed.is_ok(),
        "the untrusted peer's second head is refused"
    );
    let refused = proxy
        .metric(r#"hookgate_connections_refused_total{reason="header_budget"}"#)
        .await;
    assert_eq!(refused, 1.0);
    // The balancer's heads finish and are answered (401: unsigned); their bytes come back.
    for stream in &mut behind {
        stream
            .write_all(b"\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        let mut answer = [0u8; 12];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"HTTP/1.1 401");
    }
    // Closed rather than left for the header timeout, which the drain would wait out.
    drop(own);
    proxy.stop().await;
}
