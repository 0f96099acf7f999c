//! What a route's sender would send: a realistic sample event, and the headers its signing
//! scheme would attach to a body. Behind `hookgate sign`, `send-test` and the demo, and for
//! tests of an app behind hookgate (the mirror of `verify`).

use std::time::{SystemTime, UNIX_EPOCH};

use http::{HeaderName, Method, Uri};

use crate::config::Route;
use crate::verify::{
    self, IdSource, Key, Piece, SignError, SignInput, TimestampFormat, TimestampSource,
};

/// A realistic event for the route's sender, carrying the fields its scheme reads (a
/// timestamp or id inside the JSON), stamped `now`.
pub fn sample_body(route: &Route, now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let nanos = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let id = format!("evt_demo_{secs}{nanos:09}");
    let iso = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let mut v = match route.provider {
        Some("tolinku") => serde_json::json!({
            "id": id, "event": "link.clicked", "timestamp": iso,
            "data": {"link": "https://tolinku.example/l/spring", "country": "FR", "city": "Besançon"}
        }),
        Some("stripe") => serde_json::json!({
            "id": id, "object": "event", "type": "payment_intent.succeeded", "created": secs,
            "data": {"object": {"id": "pi_demo", "amount": 2000, "currency": "eur"}}
        }),
        Some("github") => serde_json::json!({
            "zen": "Keep it logically awesome.", "hook_id": 1, "delivery": id
        }),
        _ => {
            serde_json::json!({"id": id, "type": "demo.event", "timestamp": iso, "data": {"hello": "world"}})
        }
    };
    // A generic scheme reading its timestamp or id from the body gets them where it looks.
    if let Some(rule) = &route.scheme.timestamp {
        if let TimestampSource::Json(ptr) = &rule.source {
            let value = match rule.format {
                TimestampFormat::Unix => serde_json::json!(secs),
                TimestampFormat::UnixMs => serde_json::json!(secs * 1000),
                TimestampFormat::Rfc3339 => serde_json::json!(iso),
                TimestampFormat::Iso8601NoZone => {
                    serde_json::json!(iso.trim_end_matches('Z'))
                }
            };
            set_pointer(&mut v, ptr, value);
        }
    }
    if let Some(IdSource::Json(ptr)) = &route.scheme.id {
        set_pointer(&mut v, ptr, serde_json::json!(id));
    }
    v.to_string()
}

/// A sample delivery for the route's sender: its content type and body. Twilio posts forms;
/// everyone else here posts JSON.
pub fn sample(route: &Route, now: SystemTime) -> (&'static str, String) {
    if route.scheme.needs(&Piece::FormParams) {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let body = format!(
            "AccountSid=ACdemo&Body=Hello+from+hookgate+%E2%9C%93&From=%2B15005550006&MessageSid=SMdemo{secs}&To=%2B15005550001"
        );
        return ("application/x-www-form-urlencoded", body);
    }
    ("application/json", sample_body(route, now))
}

fn set_pointer(v: &mut serde_json::Value, ptr: &str, value: serde_json::Value) {
    if let Some(slot) = v.pointer_mut(ptr) {
        *slot = value;
        return;
    }
    // Only top-level fields are created; deeper pointers must already exist.
    if let (Some(name), Some(obj)) = (ptr.strip_prefix('/'), v.as_object_mut()) {
        if !name.contains('/') {
            obj.insert(name.to_owned(), value);
        }
    }
}

/// The headers the route's sender would attach to `body`.
pub fn sign_headers(
    route: &Route,
    key: &Key,
    body: &[u8],
    now: SystemTime,
) -> Result<Vec<(HeaderName, String)>, SignError> {
    sign_headers_with(route, key, body, now, &[])
}

/// `sign_headers`, with values for the scheme's `{header:NAME}` / `{param:NAME}` pieces.
pub fn sign_headers_with(
    route: &Route,
    key: &Key,
    body: &[u8],
    now: SystemTime,
    given: &[(String, String)],
) -> Result<Vec<(HeaderName, String)>, SignError> {
    let uri: Uri = route
        .path
        .parse()
        .map_err(|_| SignError::Payload("the route's path is not a URI path".into()))?;
    let input = SignInput {
        body,
        method: &Method::POST,
        uri: &uri,
        public_url: route.public_url.as_deref(),
        now,
        id: None,
    };
    verify::sign_with(&route.scheme, key, &input, &piece_values(route, given))
}

/// Values for the scheme's `{header:NAME}` and `{param:NAME}` pieces: those `given` (from
/// `hookgate sign --value NAME=VALUE`), and the sender's own default where it has one
/// (Hygraph's `env`: its first environment, `master`); `verify::sign_with` makes up the rest.
fn piece_values(route: &Route, given: &[(String, String)]) -> Vec<(String, String)> {
    let mut values = given.to_vec();
    let hygraph_env = route.provider == Some("hygraph")
        && route.scheme.needs(&Piece::Param("env".into()))
        && !values.iter().any(|(n, _)| n == "env");
    if hygraph_env {
        values.push(("env".into(), "master".into()));
    }
    values
}
