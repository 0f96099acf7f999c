//! Providers' endpoint-setup requests that hookgate answers itself, so the app never needs the
//! signing secret for them: Zoom's signed URL validation, and the challenge GETs of Dropbox
//! and Okta (echoes of what the sender sent; they forward nothing).

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Request, Response};
use http_body_util::Full;

use crate::outcome::HttpResponse;
use crate::verify::presets::Handshake;
use crate::verify::{Algorithm, Key, Message};

/// The longest challenge echoed back; real ones are a few dozen characters.
const MAX_CHALLENGE: usize = 256;

/// Answers an unsigned challenge GET, if `req` is one.
pub fn challenge<B>(hs: Handshake, req: &Request<B>) -> Option<HttpResponse> {
    match hs {
        Handshake::DropboxChallenge => {
            let value = req
                .uri()
                .query()?
                .split('&')
                .find_map(|kv| kv.strip_prefix("challenge="))?;
            let value = crate::verify::form_decode(value.as_bytes());
            if value.is_empty() || value.len() > MAX_CHALLENGE {
                return None;
            }
            let mut r = Response::new(Full::new(Bytes::from(value)));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            r.headers_mut().insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            Some(r)
        }
        Handshake::OktaChallenge => {
            let value = req
                .headers()
                .get("x-okta-verification-challenge")?
                .to_str()
                .ok()?;
            if value.is_empty() || value.len() > MAX_CHALLENGE {
                return None;
            }
            Some(json(&serde_json::json!({ "verification": value })))
        }
        Handshake::ZoomUrlValidation => None,
    }
}

/// Answers a verified setup request, if `msg` is one.
pub fn signed(hs: Handshake, msg: &Message<'_>, key: &Key) -> Option<HttpResponse> {
    match hs {
        Handshake::ZoomUrlValidation => {
            if msg.json_scalar("/event")?.into_string()? != "endpoint.url_validation" {
                return None;
            }
            let plain = msg.json_scalar("/payload/plainToken")?.into_string()?;
            if plain.is_empty() || plain.len() > MAX_CHALLENGE {
                return None;
            }
            let mac = key.mac(Algorithm::HmacSha256, &[plain.as_bytes()])?;
            Some(json(&serde_json::json!({
                "plainToken": plain,
                "encryptedToken": hex::encode(mac),
            })))
        }
        Handshake::DropboxChallenge | Handshake::OktaChallenge => None,
    }
}

fn json(v: &serde_json::Value) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
