//! Verifying a delivery in your own Rust code with the checks hookgate runs in front of an
//! app: a preset's scheme, your secrets (any of them verifies, for rotation), the exact bytes
//! received and the clock. Pure: no I/O, no proxy.
//!
//! `cargo run --example verify` checks GitHub's documented example delivery (secret
//! "It's a Secret to Everybody", body "Hello, World!"), then the same body changed by one byte.

use std::sync::Arc;
use std::time::SystemTime;

use http::{HeaderMap, HeaderValue, Method, Uri};

use hookgate::secret::Secret;
use hookgate::verify::{self, presets, Freshness, Key, Message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let preset = presets::lookup("github").ok_or("no github preset")?;
    let secret = Secret::new("It's a Secret to Everybody");
    let keys = [Key::new(Arc::from("current"), &secret, &preset.scheme)?];
    // GitHub signs no timestamp, so the window is not used for it; other presets check it.
    let freshness = Freshness {
        max_age: std::time::Duration::from_secs(300),
        max_future_skew: std::time::Duration::from_secs(60),
    };

    let mut headers = HeaderMap::new();
    headers.insert(
        "x-hub-signature-256",
        HeaderValue::from_static(
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ),
    );
    let (method, uri) = (Method::POST, Uri::from_static("/webhooks/github"));
    for body in [&b"Hello, World!"[..], &b"Hello, World?"[..]] {
        let msg = Message::new(&method, &uri, &headers, body, None);
        let verdict = verify::verify(&preset.scheme, &keys, &msg, freshness, SystemTime::now());
        let shown = String::from_utf8_lossy(body);
        match verdict {
            Ok(v) => println!(
                "{shown:?}: verified with secret {:?}",
                &*keys[v.key_index].id
            ),
            Err(e) => println!("{shown:?}: refused: {e}"),
        }
    }
    Ok(())
}
