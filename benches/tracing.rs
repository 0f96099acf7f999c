//! A delivery's spans on the request path (otel.rs): what the gate does per request, the
//! delivery span continuing a sender's `traceparent`, its verify, dedup and upstream children,
//! their attributes and the `traceparent` for the app; with tracing off (the default), and on
//! with every trace sampled, exporting to a local OTLP sink that answers 200 (the export runs
//! on the SDK's batch thread; what is measured is what a request pays).
//!
//! `cargo bench --bench tracing`

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue};

use hookgate::otel::{self, Scope, SpanKind, Traces};

/// What `Gate::handle` and `exchange` do with the spans of one forwarded delivery.
fn delivery(traces: &Traces, headers: &HeaderMap) -> Option<(HeaderValue, Option<HeaderValue>)> {
    let span = traces.start("hookgate.delivery", SpanKind::Server, headers);
    let check = span.child("hookgate.verify", SpanKind::Internal);
    check.set("hookgate.secret_id", || "current".to_owned());
    check.end();
    let dedup = span.child("hookgate.dedup", SpanKind::Internal);
    dedup.set("hookgate.dedup.claimed", || true);
    dedup.end();
    let call: Scope = span.child("hookgate.upstream", SpanKind::Client);
    let ctx = call.context_headers();
    call.answered(Ok(http::StatusCode::OK));
    call.end();
    span.set("hookgate.route", || "tolinku".to_owned());
    span.set("hookgate.outcome", || "forwarded");
    span.set("hookgate.event_id", || "evt_1".to_owned());
    span.set("hookgate.secret_id", || "current".to_owned());
    span.set("http.response.status_code", || 200_i64);
    ctx
}

/// An OTLP/HTTP sink on 127.0.0.1: reads each request (by its Content-Length) and answers 200.
fn sink() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    addr
}

fn serve(mut s: std::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < end + 4 + len {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + 4 + len);
        let ok =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if s.write_all(ok).is_err() {
            return;
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut sender = HeaderMap::new();
    sender.insert(
        "traceparent",
        HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    let mut group = c.benchmark_group("delivery_spans");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("off", |b| {
        let traces = Traces::default();
        b.iter(|| black_box(delivery(&traces, black_box(&sender))));
    });

    let addr = sink();
    let endpoint = format!("http://{addr}");
    let env = |k: &str| match k {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
        _ => std::env::var(k).ok(),
    };
    // The SDK and the exporter read their own variables from the process's environment.
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint);
    std::env::set_var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
    std::env::set_var("OTEL_TRACES_SAMPLER_ARG", "1.0");
    let (traces, provider) = otel::from_env(&env).expect("tracing on");
    assert!(traces.is_on());
    group.bench_function("on_sampled_1.0", |b| {
        b.iter(|| black_box(delivery(&traces, black_box(&sender))));
    });
    // A sender whose context says "not sampled": parent-based sampling records nothing, the
    // context still propagates.
    let mut unsampled = HeaderMap::new();
    unsampled.insert(
        "traceparent",
        HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
    );
    group.bench_function("on_parent_not_sampled", |b| {
        b.iter(|| black_box(delivery(&traces, black_box(&unsampled))));
    });
    group.finish();
    provider.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
