//! The JSON field walk that reads ids and timestamps out of a body without parsing it into a
//! value: no panic on any body or pointer, and where serde_json reads the body and finds a
//! string at the pointer, the walk finds the same string.

#![no_main]

use http::{HeaderMap, Method, Uri};
use libfuzzer_sys::fuzz_target;

use hookgate::verify::Message;

fuzz_target!(|data: &[u8]| {
    let Some(i) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let Ok(pointer) = std::str::from_utf8(&data[..i]) else {
        return;
    };
    let body = &data[i + 1..];
    let (method, uri, headers) = (Method::POST, Uri::from_static("/"), HeaderMap::new());
    let msg = Message::new(&method, &uri, &headers, body, None);
    let found = msg.json_scalar(pointer);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(serde_json::Value::String(s)) = value.pointer(pointer) {
            let walked = found.and_then(|f| f.into_string());
            assert_eq!(walked.as_deref(), Some(s.as_str()), "pointer {pointer:?}");
        }
    }
});
