//! The config loader, on any text: it reports problems, it never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;

use hookgate::config::{self, Secrets};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = |_: &str| Some("whsec_c2VjcmV0LWtleS1ieXRlcw==".to_owned());
    for secrets in [Secrets::Load, Secrets::Skip] {
        if let Err(e) = config::parse(text, "fuzz.yaml", std::path::Path::new("/nonexistent"), &env, secrets) {
            let _ = e.to_string();
        }
    }
});
