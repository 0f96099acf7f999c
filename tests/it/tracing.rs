//! OpenTelemetry: the real binary exporting to an OTLP/HTTP receiver started here, whose
//! exports are decoded with the official protobuf definitions. The span tree of a delivery,
//! its attributes, the trace context continued from the sender and handed to the app; tracing
//! off; a collector that is down or never answers.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::harness::*;
use crate::keyserver::TestCa;
use crate::proxy::{refs, signed, SECRET};

/// The sender's trace context.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SENDER_SPAN: &str = "00f067aa0ba902b7";

/// An OTLP/HTTP receiver: every span of every `POST /v1/traces`, decoded, and each export's
/// headers. Plain HTTP, or HTTPS with a certificate of its own CA.
struct Collector {
    addr: std::net::SocketAddr,
    spans: Arc<Mutex<Vec<Span>>>,
    headers: Arc<Mutex<Vec<http::HeaderMap>>>,
    posts: Arc<AtomicUsize>,
    /// TLS handshakes the client gave up on (an HTTPS collector it does not trust).
    refused_tls: Arc<AtomicUsize>,
    /// The HTTPS collector's CA (its PEM file), kept as long as the collector.
    ca: Option<TestCa>,
    task: JoinHandle<()>,
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Collector {
    async fn start() -> Self {
        Self::serve(None).await
    }

    /// HTTPS, with a certificate for 127.0.0.1 signed by a CA of its own (`ca_file`).
    async fn start_tls() -> Self {
        Self::serve(Some(TestCa::new(&["127.0.0.1"]))).await
    }

    async fn serve(ca: Option<TestCa>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let spans: Arc<Mutex<Vec<Span>>> = Arc::default();
        let headers: Arc<Mutex<Vec<http::HeaderMap>>> = Arc::default();
        let posts = Arc::new(AtomicUsize::new(0));
        let refused_tls = Arc::new(AtomicUsize::new(0));
        let (s, h, p, r) = (
            spans.clone(),
            headers.clone(),
            posts.clone(),
            refused_tls.clone(),
        );
        let acceptor = ca.as_ref().map(|ca| ca.acceptor.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (spans, headers, posts) = (s.clone(), h.clone(), p.clone());
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (spans, headers, posts) = (spans.clone(), headers.clone(), posts.clone());
                    async move {
                        let path = req.uri().path().to_owned();
                        headers.lock().unwrap().push(req.headers().clone());
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        assert_eq!(path, "/v1/traces");
                        posts.fetch_add(1, Ordering::SeqCst);
                        let export = ExportTraceServiceRequest::decode(body).unwrap();
                        let mut all = spans.lock().unwrap();
                        for rs in export.resource_spans {
                            for ss in rs.scope_spans {
                                all.extend(ss.spans);
                            }
                        }
                        let mut resp = Response::new(Full::new(Bytes::new()));
                        resp.headers_mut()
                            .insert("content-type", "application/x-protobuf".parse().unwrap());
                        Ok::<_, Infallible>(resp)
                    }
                });
                let (acceptor, refused) = (acceptor.clone(), r.clone());
                tokio::spawn(async move {
                    let http = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                        }
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(tls) => {
                                let _ = http.serve_connection(TokioIo::new(tls), svc).await;
                            }
                            Err(_) => {
                                refused.fetch_add(1, Ordering::SeqCst);
                            }
                        },
                    }
                });
            }
        });
        Self {
            addr,
            spans,
            headers,
            posts,
            refused_tls,
            ca,
            task,
        }
    }

    fn url(&self) -> String {
        let scheme = if self.ca.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    fn ca_file(&self) -> String {
        let ca = self.ca.as_ref().expect("an HTTPS collector");
        ca.ca_file.to_str().unwrap().to_owned()
    }

    fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }

    /// Waits for `n` spans named `name`.
    async fn wait_for(&self, name: &str, n: usize) -> Vec<Span> {
        let found = poll(POLL, async || {
            let named: Vec<Span> = self
                .spans()
                .into_iter()
                .filter(|s| s.name == name)
                .collect();
            (named.len() >= n).then_some(named)
        })
        .await;
        found.unwrap_or_else(|| panic!("no {n} {name} spans; got {:#?}", self.spans()))
    }
}

fn config(
    dir: &std::path::Path,
    upstream: &str,
    (port, admin): (u16, u16),
    extra: &str,
) -> std::path::PathBuf {
    // `extra` may say its own `log:`.
    let log = if extra.contains("log:") {
        ""
    } else {
        "log: { format: json }\n"
    };
    let yaml = format!(
        r#"
listen: 127.0.0.1:{port}
admin_listen: 127.0.0.1:{admin}
upstream: {{ url: "{upstream}" }}
{log}shutdown_grace: 2s
{extra}routes:
{}"#,
        signed_route("traced", "/hook", "[ { id: current, env: CUR } ]")
    );
    let path = dir.join("hookgate.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

async fn start(dir: &std::path::Path, upstream: &str, env: &[(&str, &str)], extra: &str) -> Binary {
    let ports = (free_port(), free_port());
    let cfg = config(dir, upstream, ports, extra);
    let mut all = vec![("CUR", SECRET)];
    all.extend_from_slice(env);
    Binary::start(&cfg, dir.join("hookgate.log"), &all, &[], ports).await
}

/// A span's attribute as text (strings, integers and booleans).
fn attr(s: &Span, key: &str) -> Option<String> {
    let v = s
        .attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?;
    match v.value.as_ref()? {
        Value::StringValue(s) => Some(s.clone()),
        Value::IntValue(i) => Some(i.to_string()),
        Value::BoolValue(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn one<'a>(spans: &'a [Span], name: &str, trace: &[u8]) -> &'a Span {
    let mine: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name == name && s.trace_id == trace)
        .collect();
    assert_eq!(
        mine.len(),
        1,
        "{name} in trace {}: {spans:#?}",
        hex::encode(trace)
    );
    mine[0]
}

/// `00-{trace}-{parent}-{flags}`, split.
fn traceparent(v: &str) -> (String, String) {
    let parts: Vec<&str> = v.split('-').collect();
    assert_eq!(parts.len(), 4, "{v}");
    (parts[1].to_owned(), parts[2].to_owned())
}

#[tokio::test]
async fn a_delivery_is_a_span_tree_continuing_the_senders_trace_into_the_app() {
    let collector = Collector::start().await;
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let hg = start(
        dir.path(),
        &up.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url()),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
            ("OTEL_SERVICE_NAME", "hookgate-test"),
        ],
        "",
    )
    .await;

    let body = r#"{"id":"evt_traced_1","card":"4242-secret-body"}"#;
    let mut h = signed(SECRET, now_unix(), body);
    let sender = format!("00-{TRACE_ID}-{SENDER_SPAN}-01");
    h.push(("traceparent".into(), sender.clone()));
    h.push(("tracestate".into(), "vendor=abc".into()));
    let ok = post(&hg.url("/hook"), &refs(&h), body).await;
    assert_eq!(ok.status, 200);

    // A forgery, without a trace context of its own: a new trace.
    let forged = signed("not-the-secret", now_unix(), body);
    let refused = post(&hg.url("/hook"), &refs(&forged), body).await;
    assert_eq!(refused.status, 401);

    let deliveries = collector.wait_for("hookgate.delivery", 2).await;
    collector.wait_for("hookgate.upstream", 1).await;
    let spans = collector.spans();
    let trace = hex::decode(TRACE_ID).unwrap();

    // The delivery: the sender's span's child, on the sender's trace.
    let d = one(&spans, "hookgate.delivery", &trace);
    assert_eq!(hex::encode(&d.parent_span_id), SENDER_SPAN);
    assert_eq!(d.kind, 2, "server");
    assert_eq!(attr(d, "hookgate.route").as_deref(), Some("traced"));
    assert_eq!(attr(d, "hookgate.outcome").as_deref(), Some("forwarded"));
    assert_eq!(
        attr(d, "hookgate.event_id").as_deref(),
        Some("evt_traced_1")
    );
    assert_eq!(attr(d, "hookgate.secret_id").as_deref(), Some("current"));
    assert_eq!(attr(d, "http.response.status_code").as_deref(), Some("200"));

    // Its children: verification, dedup, the upstream call.
    for name in ["hookgate.verify", "hookgate.dedup", "hookgate.upstream"] {
        let c = one(&spans, name, &trace);
        assert_eq!(c.parent_span_id, d.span_id, "{name}'s parent");
        assert!(c.start_time_unix_nano >= d.start_time_unix_nano, "{name}");
        assert!(c.end_time_unix_nano <= d.end_time_unix_nano, "{name}");
    }
    let v = one(&spans, "hookgate.verify", &trace);
    assert_eq!(attr(v, "hookgate.secret_id").as_deref(), Some("current"));
    let dd = one(&spans, "hookgate.dedup", &trace);
    assert_eq!(attr(dd, "hookgate.dedup.claimed").as_deref(), Some("true"));
    let u = one(&spans, "hookgate.upstream", &trace);
    assert_eq!(u.kind, 3, "client");
    assert_eq!(attr(u, "http.response.status_code").as_deref(), Some("200"));

    // The app gets one traceparent: the sender's trace, hookgate's upstream span as parent,
    // and the sender's tracestate.
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    let got: Vec<&str> = seen[0]
        .headers
        .get_all("traceparent")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(got.len(), 1, "{got:?}");
    let (t, parent) = traceparent(got[0]);
    assert_eq!(t, TRACE_ID);
    assert_eq!(parent, hex::encode(&u.span_id));
    assert_eq!(seen[0].headers.get("tracestate").unwrap(), "vendor=abc");

    // The forgery: its own trace, its outcome, a failed verification, nothing forwarded.
    let f = deliveries
        .iter()
        .find(|s| s.trace_id != trace)
        .expect("the forgery's delivery span");
    assert!(f.parent_span_id.is_empty(), "a root span");
    assert_eq!(
        attr(f, "hookgate.outcome").as_deref(),
        Some("invalid_signature")
    );
    assert_eq!(attr(f, "http.response.status_code").as_deref(), Some("401"));
    let fv = one(&spans, "hookgate.verify", &f.trace_id);
    assert_eq!(fv.parent_span_id, f.span_id);
    assert_eq!(fv.status.as_ref().map(|s| s.code), Some(2), "error");
    assert!(spans
        .iter()
        .all(|s| s.trace_id != f.trace_id || s.name != "hookgate.upstream"));

    // No secret, signature or body in any attribute of any span.
    let sigs: Vec<String> = h
        .iter()
        .chain(&forged)
        .filter(|(n, _)| n == "X-Signature")
        .map(|(_, v)| v.clone())
        .collect();
    for s in &spans {
        for kv in &s.attributes {
            let text = format!("{:?}", kv.value);
            assert!(!text.contains(SECRET), "{}: {text}", kv.key);
            assert!(!text.contains("4242"), "{}: {text}", kv.key);
            for sig in &sigs {
                assert!(!text.contains(&sig[7..]), "{}: {text}", kv.key);
            }
        }
    }
}

#[tokio::test]
async fn a_queued_delivery_s_attempts_continue_its_trace() {
    let collector = Collector::start().await;
    let up = Upstream::start(|n| Reply::status(if n == 0 { 500 } else { 200 })).await;
    let dir = tempfile::tempdir().unwrap();
    let ports = (free_port(), free_port());
    let yaml = format!(
        r#"
listen: 127.0.0.1:{}
admin_listen: 127.0.0.1:{}
upstream: {{ url: "{}" }}
log: {{ format: json }}
queue:
  path: {}
routes:
{}    delivery: {{ mode: queued, initial_backoff: 20ms, max_backoff: 50ms }}
"#,
        ports.0,
        ports.1,
        up.url(),
        dir.path().join("queue.redb").display(),
        signed_route("q", "/q", "[ { id: current, env: CUR } ]"),
    );
    let cfg = dir.path().join("hookgate.yaml");
    std::fs::write(&cfg, yaml).unwrap();
    let env = [
        ("CUR", SECRET),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            &format!("{}/v1/traces", collector.url()),
        ),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ];
    let hg = Binary::start(&cfg, dir.path().join("hookgate.log"), &env, &[], ports).await;

    let body = r#"{"id":"evt_queued_1"}"#;
    let mut h = signed(SECRET, now_unix(), body);
    h.push((
        "traceparent".into(),
        format!("00-{TRACE_ID}-{SENDER_SPAN}-01"),
    ));
    let r = post(&hg.url("/q"), &refs(&h), body).await;
    assert_eq!(r.status, 202);

    let attempts = collector.wait_for("hookgate.attempt", 2).await;
    let spans = collector.spans();
    let trace = hex::decode(TRACE_ID).unwrap();
    let d = one(&spans, "hookgate.delivery", &trace);
    assert_eq!(attr(d, "hookgate.outcome").as_deref(), Some("queued"));
    let enqueue = one(&spans, "hookgate.enqueue", &trace);
    assert_eq!(enqueue.parent_span_id, d.span_id);
    let mut numbers = Vec::new();
    for a in &attempts {
        assert_eq!(a.trace_id, trace);
        assert_eq!(
            a.parent_span_id, enqueue.span_id,
            "an attempt continues the stored trace"
        );
        assert_eq!(attr(a, "hookgate.route").as_deref(), Some("q"));
        assert_eq!(
            attr(a, "hookgate.event_id").as_deref(),
            Some("evt_queued_1")
        );
        numbers.push((
            attr(a, "hookgate.attempt").unwrap(),
            attr(a, "hookgate.outcome").unwrap(),
        ));
    }
    numbers.sort();
    assert_eq!(
        numbers,
        [
            ("1".into(), "rejected".into()),
            ("2".into(), "delivered".into())
        ]
    );

    // Each attempt's app request names that attempt's upstream span.
    let calls: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name == "hookgate.upstream" && s.trace_id == trace)
        .collect();
    assert_eq!(calls.len(), 2);
    for req in up.requests() {
        let v = req.headers.get("traceparent").unwrap().to_str().unwrap();
        let (t, parent) = traceparent(v);
        assert_eq!(t, TRACE_ID);
        let call = calls
            .iter()
            .find(|c| hex::encode(&c.span_id) == parent)
            .unwrap_or_else(|| panic!("{v} names no upstream span"));
        assert!(attempts.iter().any(|a| a.span_id == call.parent_span_id));
    }
}

#[tokio::test]
async fn tracing_off_exports_nothing_and_forwards_the_senders_context_as_sent() {
    let collector = Collector::start().await;
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let hg = start(
        dir.path(),
        &up.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url()),
            ("OTEL_BSP_SCHEDULE_DELAY", "20"),
            ("OTEL_SDK_DISABLED", "true"),
        ],
        "",
    )
    .await;
    let body = r#"{"id":"evt_off_1"}"#;
    let mut h = signed(SECRET, now_unix(), body);
    let sender = format!("00-{TRACE_ID}-{SENDER_SPAN}-01");
    h.push(("traceparent".into(), sender.clone()));
    assert_eq!(post(&hg.url("/hook"), &refs(&h), body).await.status, 200);
    // Many batch intervals: an exporter, had one started, would have posted by now.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(collector.posts.load(Ordering::SeqCst), 0);
    let seen = up.requests();
    assert_eq!(seen[0].headers.get("traceparent").unwrap(), sender.as_str());
}

#[tokio::test]
async fn a_collector_down_or_silent_slows_no_request_and_no_shutdown() {
    // One port that refuses, one that accepts and never answers.
    let closed = free_port();
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            conns.push(s);
        }
    });
    for endpoint in [
        format!("http://127.0.0.1:{closed}"),
        format!("http://{silent_addr}"),
    ] {
        let up = Upstream::ok().await;
        let dir = tempfile::tempdir().unwrap();
        let mut hg = start(
            dir.path(),
            &up.url(),
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_BSP_SCHEDULE_DELAY", "20"),
                ("OTEL_BSP_MAX_QUEUE_SIZE", "8"),
            ],
            "",
        )
        .await;
        // More spans than the queue holds: the rest are dropped, not waited for. Each post
        // has the harness's bound; all must be answered.
        for i in 0..20 {
            let body = format!(r#"{{"id":"evt_down_{i}"}}"#);
            let h = signed(SECRET, now_unix(), &body);
            let r = post(&hg.url("/hook"), &refs(&h), body).await;
            assert_eq!(r.status, 200, "{endpoint}");
        }
        assert_eq!(up.count(), 20);
        hg.signal("-TERM");
        let status = hg.wait_exit().await;
        assert!(status.success(), "{endpoint}: {status:?}\n{}", hg.logs());
        // What was dropped is counted and said, once, at shutdown (the SDK's own line).
        let dropped = hg
            .json_logs()
            .iter()
            .find_map(|l| l["dropped_span_count"].as_u64());
        assert!(
            dropped.is_some_and(|n| n > 0),
            "{endpoint}: no drop count\n{}",
            hg.logs()
        );
    }
    held.abort();
}

/// A delivery through hookgate, answered 200.
async fn deliver(hg: &Binary, id: &str) {
    let body = format!(r#"{{"id":"{id}"}}"#);
    let h = signed(SECRET, now_unix(), &body);
    let r = post(&hg.url("/hook"), &refs(&h), body).await;
    assert_eq!(r.status, 200, "{id}");
}

#[tokio::test]
async fn an_https_collector_trusted_by_its_ca_file_gets_the_spans_and_the_headers() {
    let collector = Collector::start_tls().await;
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    // An API key, as a SaaS collector wants it: a header on every export, never in a log.
    let key = "hg-otlp-key-7f3e91";
    let headers = format!("x-api-key={key}, x-team=edge%20gw");
    let hg = start(
        dir.path(),
        &up.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", &collector.ca_file()),
            ("OTEL_EXPORTER_OTLP_HEADERS", &headers),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ],
        // Everything hookgate and the exporter say, to look for the key in.
        "log: { format: json, level: debug }\n",
    )
    .await;
    deliver(&hg, "evt_tls_1").await;
    let spans = collector.wait_for("hookgate.delivery", 1).await;
    assert_eq!(
        attr(&spans[0], "hookgate.event_id").as_deref(),
        Some("evt_tls_1")
    );
    let seen = collector.headers.lock().unwrap().clone();
    assert!(!seen.is_empty());
    for h in &seen {
        assert_eq!(h.get("x-api-key").unwrap(), key);
        assert_eq!(h.get("x-team").unwrap(), "edge gw");
        assert_eq!(h.get("content-type").unwrap(), "application/x-protobuf");
    }
    assert_eq!(collector.refused_tls.load(Ordering::SeqCst), 0);

    // Stopping flushes what is still queued, over the same connection's client.
    deliver(&hg, "evt_tls_2").await;
    let mut hg = hg;
    hg.signal("-TERM");
    assert!(hg.wait_exit().await.success(), "{}", hg.logs());
    let last: Vec<Span> = collector
        .spans()
        .into_iter()
        .filter(|s| attr(s, "hookgate.event_id").as_deref() == Some("evt_tls_2"))
        .collect();
    assert!(!last.is_empty(), "the last delivery's span was not flushed");
    let logs = hg.logs();
    assert!(logs.contains("exporting spans over OTLP"), "{logs}");
    // The exporter's own debug lines are in the log too, and the key is nowhere in it.
    assert!(logs.contains("HttpClient.ExportStarted"), "{logs}");
    assert!(!logs.contains(key), "the API key is in the log:\n{logs}");
}

#[tokio::test]
async fn an_https_collector_with_an_untrusted_certificate_gets_nothing_and_delays_nothing() {
    // Its CA is not given: the certificate must chain to the public roots, and does not.
    let collector = Collector::start_tls().await;
    let up = Upstream::ok().await;
    let dir = tempfile::tempdir().unwrap();
    let mut hg = start(
        dir.path(),
        &up.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url()),
            ("OTEL_BSP_SCHEDULE_DELAY", "20"),
        ],
        "",
    )
    .await;
    for i in 0..5 {
        deliver(&hg, &format!("evt_untrusted_{i}")).await;
    }
    assert_eq!(up.count(), 5);
    // The exporter tried (the handshake reached the collector) and said why it failed, once.
    let said = poll(POLL, async || {
        hg.json_logs()
            .into_iter()
            .find(|l| {
                l["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("cannot export to the collector"))
            })
            .filter(|_| collector.refused_tls.load(Ordering::SeqCst) > 0)
    })
    .await
    .unwrap_or_else(|| panic!("no export failure said\n{}", hg.logs()));
    let error = said["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("TLS failed"), "{said}");
    assert_eq!(collector.posts.load(Ordering::SeqCst), 0);
    assert!(collector.spans().is_empty());
    hg.signal("-TERM");
    assert!(hg.wait_exit().await.success(), "{}", hg.logs());
    assert_eq!(collector.posts.load(Ordering::SeqCst), 0);
}
