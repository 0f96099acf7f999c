//! OpenTelemetry traces: a span per delivery (and per queued attempt) with children for
//! verification, dedup and the upstream call, exported over OTLP (HTTP/protobuf) as the
//! standard `OTEL_*` environment variables say. Off unless an endpoint is configured.
//!
//! - Off is the common case and must cost nothing on the request path: `Traces` is then `None`
//!   and every `Scope` method is one branch on a `None`.
//! - The W3C trace context (`traceparent`, `tracestate`) a sender sends is continued: the
//!   delivery span is its child. The app gets a `traceparent` naming hookgate's upstream-call
//!   span (the sender's copy is replaced, so the app sees exactly one).
//! - Export runs on the SDK's batch thread with a bounded queue (`OTEL_BSP_MAX_QUEUE_SIZE`):
//!   when the collector is slow or down spans are dropped, never waited for. The SDK logs the
//!   first drop and the total at shutdown.
//! - The exporter's HTTP client is our own (`client.rs`): hyper and rustls as the fetcher builds
//!   them, so an `https://` collector works (`OTEL_EXPORTER_OTLP_CERTIFICATE` for a private CA),
//!   on a runtime of its own that outlives the server until the last spans are flushed.
//! - Attributes name the route, outcome, event id, secret id and attempt; never a secret, a
//!   signature or a body.

mod client;

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
pub use opentelemetry::trace::SpanKind;
use opentelemetry::trace::{Status, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use crate::fetch::{self, Roots};

/// Where the environment is read (the process's, or a test's map).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// How long shutdown waits for the last spans to be exported.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// One export's bound when `OTEL_EXPORTER_OTLP_TIMEOUT` does not say (the spec's default).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

const TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");
const TRACESTATE: http::HeaderName = http::HeaderName::from_static("tracestate");

/// Why tracing could not be set up as configured.
#[derive(Debug, thiserror::Error)]
pub enum TraceSetupError {
    #[error("OTEL_EXPORTER_OTLP_PROTOCOL={0:?} is not supported by this build: use http/protobuf (a collector's port 4318)")]
    Protocol(String),
    #[error("{0} is set, but this build cannot present a client certificate to the collector")]
    ClientCertificate(String),
    #[error("{var}={value:?}: not a whole number of milliseconds more than 0")]
    Timeout { var: String, value: String },
    #[error("{0}: {1}")]
    Certificate(String, fetch::SetupError),
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
}

/// The tracer requests start spans on; cheap to clone. `Traces::default()` is off.
#[derive(Clone, Default, Debug)]
pub struct Traces {
    tracer: Option<SdkTracer>,
}

/// Owns the exporter and the runtime its requests run on: flushed and stopped by `shutdown`
/// (or on drop, the SDK first: fields drop in order).
#[derive(Default)]
pub struct Provider {
    provider: Option<SdkTracerProvider>,
    runtime: Option<client::Runtime>,
}

impl Provider {
    /// Exports what is still queued (bounded by `FLUSH_TIMEOUT`), stops the batch thread, then
    /// the export runtime. Blocks, and must not run inside a Tokio runtime: call it after the
    /// server has stopped.
    pub fn shutdown(self) {
        if let Some(p) = self.provider {
            if let Err(e) = p.shutdown_with_timeout(FLUSH_TIMEOUT) {
                tracing::warn!(error = %e, "traces: the last spans could not all be exported");
            }
        }
        if let Some(rt) = self.runtime {
            rt.stop();
        }
    }
}

/// Whether the environment turns tracing on: an OTLP endpoint is set, and neither
/// `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` says otherwise.
pub fn enabled(env: Env<'_>) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
    let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let no_exporter =
        env("OTEL_TRACES_EXPORTER").is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
    !disabled
        && !no_exporter
        && (set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || set("OTEL_EXPORTER_OTLP_ENDPOINT"))
}

/// Sets tracing up from the environment: off (and nothing started) unless `enabled`. The
/// exporter, the sampler (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`; the default is
/// `parentbased_always_on`), the batch queue (`OTEL_BSP_*`) and the resource
/// (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) read their own variables.
pub fn from_env(env: Env<'_>) -> Result<(Traces, Provider), TraceSetupError> {
    if !enabled(env) {
        return Ok((Traces::default(), Provider::default()));
    }
    let protocol = env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .or_else(|| env("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_default();
    if !matches!(protocol.trim(), "" | "http/protobuf") {
        return Err(TraceSetupError::Protocol(protocol));
    }
    let timeout = export_timeout(env)?;
    for name in ["CLIENT_CERTIFICATE", "CLIENT_KEY"] {
        if let Some((var, _)) = setting(env, name) {
            return Err(TraceSetupError::ClientCertificate(var));
        }
    }
    // The spec's "trusted certificate": the collector's must chain to it, instead of to the
    // public roots (as Go's and Java's exporters read it, and as `fetch.ca_file` does).
    let (roots, ca_var) = match setting(env, "CERTIFICATE") {
        Some((var, path)) => (Roots::CaFile(path.into()), var),
        None => (Roots::Webpki, String::new()),
    };
    let tls = fetch::tls_config(&roots).map_err(|e| TraceSetupError::Certificate(ca_var, e))?;
    let runtime = client::Runtime::start()
        .map_err(|e| TraceSetupError::Exporter(format!("cannot start its runtime: {e}")))?;
    // The endpoint and `OTEL_EXPORTER_OTLP_HEADERS` are the exporter's to read (it parses them
    // as the spec says); the client only carries the requests it is handed.
    use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_timeout(timeout)
        .with_http_client(client::Client::new(tls, timeout, runtime.handle()))
        .build()
        .map_err(|e| TraceSetupError::Exporter(e.to_string()))?;
    let mut resource = Resource::builder();
    if env("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("hookgate");
    }
    let provider = SdkTracerProvider::builder()
        .with_resource(resource.build())
        .with_batch_exporter(exporter)
        .build();
    let tracer = provider.tracer("hookgate");
    Ok((
        Traces {
            tracer: Some(tracer),
        },
        Provider {
            provider: Some(provider),
            runtime: Some(runtime),
        },
    ))
}

/// `OTEL_EXPORTER_OTLP_TRACES_<name>`, else `OTEL_EXPORTER_OTLP_<name>`, when set and not
/// blank: the variable's name and its trimmed value.
fn setting(env: Env<'_>, name: &str) -> Option<(String, String)> {
    [
        format!("OTEL_EXPORTER_OTLP_TRACES_{name}"),
        format!("OTEL_EXPORTER_OTLP_{name}"),
    ]
    .into_iter()
    .find_map(|var| {
        let value = env(&var)?.trim().to_owned();
        (!value.is_empty()).then_some((var, value))
    })
}

/// One export's bound, connect to the answer's last byte: `OTEL_EXPORTER_OTLP_TIMEOUT` in
/// milliseconds, as the spec has it. A value that is not one stops the start (the exporter
/// would silently use its default).
fn export_timeout(env: Env<'_>) -> Result<Duration, TraceSetupError> {
    let Some((var, value)) = setting(env, "TIMEOUT") else {
        return Ok(EXPORT_TIMEOUT);
    };
    match value.parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(TraceSetupError::Timeout { var, value }),
    }
}

impl Traces {
    pub fn is_on(&self) -> bool {
        self.tracer.is_some()
    }

    /// A root span (a delivery, a queued attempt), the child of the trace context in
    /// `headers` when they carry a valid one.
    pub fn start(&self, name: &'static str, kind: SpanKind, headers: &HeaderMap) -> Scope {
        let Some(tracer) = &self.tracer else {
            return Scope(None);
        };
        let parent = TraceContextPropagator::new().extract(&Headers(headers));
        let span = tracer
            .span_builder(name)
            .with_kind(kind)
            .start_with_context(tracer, &parent);
        Scope(Some(Inner {
            tracer: tracer.clone(),
            cx: parent.with_span(span),
        }))
    }
}

/// A span in progress, or nothing when tracing is off (or the span's trace was not sampled:
/// the SDK then records nothing, and the context still propagates). Ends when dropped.
#[derive(Default)]
pub struct Scope(Option<Inner>);

struct Inner {
    tracer: SdkTracer,
    cx: Context,
}

impl Scope {
    /// A child span, started now.
    pub fn child(&self, name: &'static str, kind: SpanKind) -> Scope {
        let Some(inner) = &self.0 else {
            return Scope(None);
        };
        let span = inner
            .tracer
            .span_builder(name)
            .with_kind(kind)
            .start_with_context(&inner.tracer, &inner.cx);
        Scope(Some(Inner {
            tracer: inner.tracer.clone(),
            cx: inner.cx.with_span(span),
        }))
    }

    /// Sets an attribute; `value` is only built when the span records.
    pub fn set<V: Into<Value>>(&self, key: &'static str, value: impl FnOnce() -> V) {
        if let Some(inner) = &self.0 {
            let span = inner.cx.span();
            if span.is_recording() {
                span.set_attribute(KeyValue::new(key, value().into()));
            }
        }
    }

    /// Marks the span failed, with a short reason (an outcome's code, an error's class).
    pub fn fail(&self, why: &str) {
        if let Some(inner) = &self.0 {
            let span = inner.cx.span();
            if span.is_recording() {
                span.set_status(Status::error(why.to_owned()));
            }
        }
    }

    /// `traceparent` (and `tracestate`, when the trace has one) naming this span as the
    /// parent: for the app's request, or stored with a queued delivery.
    pub fn context_headers(&self) -> Option<(HeaderValue, Option<HeaderValue>)> {
        let inner = self.0.as_ref()?;
        let span = inner.cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return None;
        }
        let parent = format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        );
        let state = sc.trace_state().header();
        Some((
            HeaderValue::from_str(&parent).ok()?,
            (!state.is_empty())
                .then(|| HeaderValue::from_str(&state).ok())
                .flatten(),
        ))
    }

    /// An HTTP call's end (the upstream's): its status, or why there was none (an outcome's
    /// code). A 5xx or no answer marks the span failed.
    pub fn answered(&self, result: Result<http::StatusCode, &str>) {
        match result {
            Ok(status) => {
                self.set("http.response.status_code", || i64::from(status.as_u16()));
                if status.is_server_error() {
                    self.fail(status.as_str());
                }
            }
            Err(why) => {
                self.set("error.type", || why.to_owned());
                self.fail(why);
            }
        }
    }

    /// Ends the span now (dropping it does the same).
    pub fn end(self) {}
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A child's context holds its parent's span too: end explicitly, not on the last drop.
        self.cx.span().end();
    }
}

/// Replaces the trace context in `headers` with `ctx` (from `Scope::context_headers`): one
/// `traceparent`, and the `tracestate` that goes with it or none.
pub fn replace_context(headers: &mut HeaderMap, ctx: &(HeaderValue, Option<HeaderValue>)) {
    headers.insert(TRACEPARENT, ctx.0.clone());
    match &ctx.1 {
        Some(state) => {
            headers.insert(TRACESTATE, state.clone());
        }
        None => {
            headers.remove(TRACESTATE);
        }
    }
}

/// The sender's headers, as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn on_only_with_an_endpoint_and_not_disabled() {
        assert!(!enabled(&env(&[])));
        assert!(!enabled(&env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")])));
        assert!(enabled(&env(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://c:4318"
        )])));
        assert!(enabled(&env(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c:4318/v1/traces"
        )])));
        assert!(!enabled(&env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_SDK_DISABLED", "TRUE"),
        ])));
        assert!(!enabled(&env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ])));
    }

    #[test]
    fn grpc_is_refused_with_a_reason() {
        let e = from_env(&env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]))
        .err()
        .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("http/protobuf")));
    }

    #[test]
    fn settings_it_cannot_honour_stop_the_start_naming_the_variable() {
        let refused = |vars: &'static [(&'static str, &'static str)]| {
            from_env(&env(vars)).err().map(|e| e.to_string())
        };
        const ON: (&str, &str) = ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318");
        let e = refused(&[ON, ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/k.pem")]);
        assert!(e.is_some_and(|e| e.contains("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY")));
        let e = refused(&[ON, ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/c.pem")]);
        assert!(e.is_some_and(|e| e.contains("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE")));
        let e = refused(&[ON, ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s")]);
        assert!(e.is_some_and(|e| e.contains("OTEL_EXPORTER_OTLP_TIMEOUT=\"10s\"")));
        let e = refused(&[ON, ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0")]);
        assert!(e.is_some_and(|e| e.contains("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")));
        let e = refused(&[
            ON,
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"),
        ]);
        assert!(e
            .is_some_and(|e| e.contains("OTEL_EXPORTER_OTLP_CERTIFICATE")
                && e.contains("/nonexistent/ca.pem")));
    }

    #[test]
    fn the_signal_s_own_variable_wins() {
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "100"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "250"),
        ]);
        assert_eq!(export_timeout(&e).ok(), Some(Duration::from_millis(250)));
        assert_eq!(export_timeout(&env(&[])).ok(), Some(EXPORT_TIMEOUT));
    }

    #[test]
    fn off_costs_nothing_and_says_nothing() {
        let scope = Traces::default().start("d", SpanKind::Server, &HeaderMap::new());
        scope.set("k", || -> i64 { unreachable!("not built when off") });
        assert!(scope
            .child("c", SpanKind::Client)
            .context_headers()
            .is_none());
    }

    #[test]
    fn replacing_leaves_one_traceparent() {
        let mut h = HeaderMap::new();
        h.append(TRACEPARENT, HeaderValue::from_static("a"));
        h.append(TRACEPARENT, HeaderValue::from_static("b"));
        h.append(TRACESTATE, HeaderValue::from_static("x=1"));
        replace_context(&mut h, &(HeaderValue::from_static("c"), None));
        assert_eq!(h.get_all(TRACEPARENT).iter().count(), 1);
        assert_eq!(h.get(TRACEPARENT), Some(&HeaderValue::from_static("c")));
        assert!(h.get(TRACESTATE).is_none());
    }
}
