//! Every parser a sender's bytes reach on the way through verification: signature headers of
//! every scheme, timestamps, ids, the JSON field walk, form canonicalisation, the checks made
//! on the head alone, and the delivery id's extraction. None may panic, whatever the input.

#![no_main]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;

use hookgate::secret::Secret;
use hookgate::verify::{self, presets, Algorithm, Freshness, Key, Message};

/// The SNS fixture's signing certificate (PEM), read once.
fn sns_certificate() -> &'static [u8] {
    static PEM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PEM.get_or_init(|| {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/sns/sns.json"))
                .unwrap_or_default();
        doc["certificate_pem"]
            .as_str()
            .unwrap_or_default()
            .as_bytes()
            .to_vec()
    })
}

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some(case) = common::parse(data) else {
        return;
    };
    // An unknown name still exercises a scheme: the one its bytes pick.
    let name = presets::lookup(case.preset).map_or_else(
        || {
            let n = presets::names().count();
            presets::names()
                .nth(case.preset.len() % n)
                .unwrap_or("github")
        },
        |p| p.name,
    );
    let Some(preset) = presets::lookup(name) else {
        return;
    };
    let keys: Vec<Key> = if preset.scheme.algorithm == Algorithm::SnsCertificate {
        // SNS keys are fetched, never configured: the committed test certificate stands under
        // whichever URL the message names, so every input runs the whole message path
        // (parse, header checks, string to sign, RSA).
        verify::sns::certificate_url(case.body)
            .and_then(|url| Key::sns_certificate(&url, sns_certificate()).ok())
            .into_iter()
            .collect()
    } else {
        match Key::new(Arc::from("k"), &Secret::new(case.secret), &preset.scheme) {
            Ok(key) => vec![key],
            Err(_) => return,
        }
    };
    let freshness = Freshness {
        max_age: Duration::from_secs(300),
        max_future_skew: Duration::from_secs(60),
    };
    // The clock is the harness's input, not the sender's: keep it a time the OS could report.
    let Some(now) = UNIX_EPOCH.checked_add(Duration::from_secs(case.now)) else {
        return;
    };
    let public_url = Some("https://hooks.example.com");
    let head = Message::new(&case.method, &case.uri, &case.headers, &[], public_url);
    let _ = verify::precheck(&preset.scheme, &head);
    let msg = Message::new(&case.method, &case.uri, &case.headers, case.body, public_url);
    if let Ok(v) = verify::verify(&preset.scheme, &keys, &msg, freshness, now) {
        let _ = preset.dedup_key.extract(&msg, &v);
    }
    let _ = msg.headers_read();
});
