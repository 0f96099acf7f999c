//! Providers' endpoint-setup requests that hookgate answers itself, so the app never needs the
//! signing secret for them: Zoom's signed URL validation, Azure Event Grid's subscription
//! validation (verified like a delivery), Twitter's CRC (answered with the route's key), Meta's
//! verification GET (checked against the route's `verify_token`), the echoes of Dropbox,
//! Okta, Microsoft Graph, Worldline Connect and the CloudEvents abuse-protection `OPTIONS`, and
//! Trello's `HEAD`. None of them is forwarded, and every echoed value is bounded.

use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response};
use http_body_util::Full;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

use crate::config::Route;
use crate::outcome::HttpResponse;
use crate::verify::presets::Handshake;
use crate::verify::{Algorithm, Key, Message};

/// The longest challenge echoed back; real ones are a few dozen characters.
const MAX_CHALLENGE: usize = 256;

/// Microsoft Graph's validation token is a sentence with a request id (about 120 characters);
/// allow some room, but keep the echo bounded.
const MAX_GRAPH_TOKEN: usize = 1024;

/// What hookgate does with a setup request answered before the body is read.
pub enum Challenge {
    /// Answered: the sender gets this and nothing is forwarded.
    Answer(HttpResponse),
    /// A setup request that fails its check (Meta's verify token does not match): refused
    /// with 403, and nothing is forwarded.
    Refuse(&'static str),
}

/// Answers a setup request that is complete in its head (a challenge GET, Graph's validation
/// POST, the CloudEvents `OPTIONS`, Trello's `HEAD`), if `req` is one. Called once the route has accepted the
/// method; any other request goes on to verification. `now` picks the secrets still in force.
pub fn challenge<B>(
    hs: Handshake,
    route: &Route,
    req: &Request<B>,
    now: std::time::SystemTime,
) -> Option<Challenge> {
    let method = req.method();
    match hs {
        Handshake::DropboxChallenge if method == Method::GET => {
            let value = form_decode(query_param(req, "challenge")?);
            if value.is_empty() || value.len() > MAX_CHALLENGE {
                return None;
            }
            Some(Challenge::Answer(text(value)))
        }
        Handshake::OktaChallenge if method == Method::GET => {
            let value = req
                .headers()
                .get("x-okta-verification-challenge")?
                .to_str()
                .ok()?;
            if value.is_empty() || value.len() > MAX_CHALLENGE {
                return None;
            }
            Some(Challenge::Answer(json(
                &serde_json::json!({ "verification": value }),
            )))
        }
        Handshake::MetaVerifyToken if method == Method::GET => {
            if form_decode(query_param(req, "hub.mode")?) != "subscribe" {
                return None;
            }
            let challenge = form_decode(query_param(req, "hub.challenge")?);
            let token = form_decode(query_param(req, "hub.verify_token").unwrap_or(""));
            // From here on it is Meta's verification request: a wrong token is refused rather
            // than passed on to signature verification (which a GET would fail anyway).
            if challenge.is_empty() || challenge.len() > MAX_CHALLENGE {
                return Some(Challenge::Refuse(
                    "hub.challenge is empty or longer than 256 characters",
                ));
            }
            let Some(expected) = &route.verify_token else {
                return Some(Challenge::Refuse(
                    "this route has no verify_token to check hub.verify_token against",
                ));
            };
            // Compared by digest: the time taken says nothing of the token's length.
            let digest = |b: &[u8]| -> [u8; 32] { sha2::Sha256::digest(b).into() };
            if !bool::from(digest(token.as_bytes()).ct_eq(&digest(expected.expose()))) {
                return Some(Challenge::Refuse(
                    "hub.verify_token does not match the route's verify_token",
                ));
            }
            Some(Challenge::Answer(text(challenge)))
        }
        Handshake::TwitterCrc if method == Method::GET => {
            let token = form_decode(query_param(req, "crc_token")?);
            // The answer is HMAC-SHA256(secret, token), the same MAC a delivery of body
            // `token` carries, and the CRC is not authenticated: answering any token would
            // sign any short body for whoever asks. X's tokens are base64-like; a string of
            // those characters is never a JSON event, so only they are answered.
            let token_like = |b: u8| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b);
            if token.is_empty() || token.len() > MAX_CHALLENGE || !token.bytes().all(token_like) {
                return None;
            }
            // The first secret is the current one (the others verify deliveries signed
            // before a rotation; X signs the CRC with the app's consumer secret of the day);
            // one past its not_after signs nothing, the CRC included: the next one answers.
            let key = route.keys.iter().find(|k| k.usable_at(now))?;
            let mac = key.mac(Algorithm::HmacSha256, &[token.as_bytes()])?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(mac);
            Some(Challenge::Answer(json(&serde_json::json!({
                "response_token": format!("sha256={encoded}"),
            }))))
        }
        Handshake::GraphValidationToken if method == Method::POST => {
            let token = form_decode(query_param(req, "validationToken")?);
            if token.is_empty() || token.len() > MAX_GRAPH_TOKEN {
                return None;
            }
            Some(Challenge::Answer(text(token)))
        }
        // Trello (developer.atlassian.com/cloud/trello/guides/rest-api/webhooks, "Creating a
        // Webhook"): a quick unsigned HEAD to the callback URL, which must answer 200 or the
        // webhook is not created. It asks nothing and is told nothing.
        Handshake::TrelloHead if method == Method::HEAD => {
            Some(Challenge::Answer(Response::new(Full::new(Bytes::new()))))
        }
        // Worldline Connect (docs.connect.worldline-solutions.com/documentation/webhooks,
        // "Before you start using webhooks"): a GET whose `X-GCS-Webhooks-Endpoint-Verification`
        // value is echoed in the body. Unsigned; a bounded, visible-ASCII echo as text.
        Handshake::WorldlineVerification if method == Method::GET => {
            let value = req
                .headers()
                .get("x-gcs-webhooks-endpoint-verification")?
                .to_str()
                .ok()?;
            if value.is_empty() || value.len() > MAX_CHALLENGE {
                return None;
            }
            Some(Challenge::Answer(text(value.to_owned())))
        }
        Handshake::EventGridValidation if method == Method::OPTIONS => {
            // CloudEvents 1.0 webhook abuse protection: consent to deliveries from the origin
            // that asked. It grants nothing by itself: every delivery is still verified.
            let origin = req.headers().get("webhook-request-origin")?;
            if origin.is_empty() || origin.len() > MAX_CHALLENGE || origin.to_str().is_err() {
                return None;
            }
            let mut r = Response::new(Full::new(Bytes::new()));
            r.headers_mut()
                .insert("webhook-allowed-origin", origin.clone());
            if req.headers().contains_key("webhook-request-rate") {
                r.headers_mut()
                    .insert("webhook-allowed-rate", HeaderValue::from_static("*"));
            }
            r.headers_mut().insert(
                http::header::ALLOW,
                HeaderValue::from_static("POST, OPTIONS"),
            );
            Some(Challenge::Answer(r))
        }
        _ => None,
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
        Handshake::EventGridValidation => {
            // Event Grid schema: the validation event is the only one in its array, and the
            // `aeg-event-type` header says so too. It reached here verified: Event Grid sends
            // the subscription's delivery headers (and its endpoint's query) with it.
            let kind = msg.headers.get("aeg-event-type")?.as_bytes();
            if !kind.eq_ignore_ascii_case(b"SubscriptionValidation") {
                return None;
            }
            if msg.json_scalar("/0/eventType")?.into_string()?
                != "Microsoft.EventGrid.SubscriptionValidationEvent"
            {
                return None;
            }
            let code = msg.json_scalar("/0/data/validationCode")?.into_string()?;
            if code.is_empty() || code.len() > MAX_CHALLENGE {
                return None;
            }
            Some(json(&serde_json::json!({ "validationResponse": code })))
        }
        Handshake::DropboxChallenge
        | Handshake::OktaChallenge
        | Handshake::MetaVerifyToken
        | Handshake::TwitterCrc
        | Handshake::GraphValidationToken
        | Handshake::TrelloHead
        | Handshake::WorldlineVerification => None,
    }
}

/// The raw value of the first `name=` parameter of the query, if any.
fn query_param<'r, B>(req: &'r Request<B>, name: &str) -> Option<&'r str> {
    req.uri().query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

fn form_decode(raw: &str) -> String {
    crate::verify::form_decode(raw.as_bytes())
}

/// An echo, as text that no browser will sniff into markup.
fn text(value: String) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(value)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

fn json(v: &serde_json::Value) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> std::sync::Arc<Route> {
        let env = |_: &str| Some("s".to_owned());
        let yaml = "upstream: { url: \"http://127.0.0.1:9\" }\nroutes:\n  - name: g\n    path: /g\n    provider: github\n    secrets: [{ env: S }]\n";
        let cfg = crate::config::parse(
            yaml,
            "t.yaml",
            std::path::Path::new("."),
            &env,
            crate::config::Secrets::Load,
        )
        .unwrap();
        cfg.live.routes[0].clone()
    }

    fn req(method: &str, uri: &str) -> Request<()> {
        Request::builder().method(method).uri(uri).body(()).unwrap()
    }

    // Microsoft Graph (learn.microsoft.com/graph/change-notifications-delivery-webhooks,
    // "Notification endpoint validation"): POST `?validationToken=..`, answered within 10 s
    // with 200, text/plain and the decoded token.
    #[test]
    fn graph_validation_token_is_echoed_decoded_and_bounded() {
        let route = route();
        let hs = Handshake::GraphValidationToken;
        let token = "Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+25a8ab3f-5a4b-4a2e-a1f8-d5d3a1ff5f5e";
        let Some(Challenge::Answer(r)) = challenge(
            hs,
            &route,
            &req("POST", &format!("/g?validationToken={token}")),
            std::time::SystemTime::now(),
        ) else {
            panic!("not answered");
        };
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], "text/plain");
        let body = futures_body(r);
        assert_eq!(
            body,
            "Validation: Testing client application reachability for subscription Request-Id: 25a8ab3f-5a4b-4a2e-a1f8-d5d3a1ff5f5e"
        );
        // Only on POST, only a non-empty token of bounded length.
        let get = req("GET", &format!("/g?validationToken={token}"));
        assert!(challenge(hs, &route, &get, std::time::SystemTime::now()).is_none());
        assert!(challenge(
            hs,
            &route,
            &req("POST", "/g?validationToken="),
            std::time::SystemTime::now()
        )
        .is_none());
        assert!(challenge(
            hs,
            &route,
            &req("POST", "/g?xvalidationToken=abc"),
            std::time::SystemTime::now()
        )
        .is_none());
        let long = format!("/g?validationToken={}", "v".repeat(MAX_GRAPH_TOKEN + 1));
        assert!(challenge(
            hs,
            &route,
            &req("POST", &long),
            std::time::SystemTime::now()
        )
        .is_none());
    }

    // Only Trello's HEAD is answered on a route that does not list its method: the challenge
    // GETs and OPTIONS stay opt-in through `methods`.
    #[test]
    fn only_trello_implies_a_method() {
        use Handshake::*;
        for hs in [
            ZoomUrlValidation,
            DropboxChallenge,
            OktaChallenge,
            MetaVerifyToken,
            TwitterCrc,
            EventGridValidation,
            GraphValidationToken,
            WorldlineVerification,
        ] {
            assert_eq!(hs.implied_method(), None, "{hs:?}");
        }
        assert_eq!(TrelloHead.implied_method(), Some(Method::HEAD));
        let route = route();
        assert!(challenge(
            TrelloHead,
            &route,
            &req("GET", "/g"),
            std::time::SystemTime::now()
        )
        .is_none());
        assert!(challenge(
            TrelloHead,
            &route,
            &req("POST", "/g"),
            std::time::SystemTime::now()
        )
        .is_none());
        let Some(Challenge::Answer(r)) = challenge(
            TrelloHead,
            &route,
            &req("HEAD", "/g"),
            std::time::SystemTime::now(),
        ) else {
            panic!("not answered");
        };
        assert_eq!(r.status(), 200);
        assert_eq!(futures_body(r), "");
    }

    #[test]
    fn query_params_match_whole_names() {
        let r = req(
            "GET",
            "/x?xhub.mode=subscribe&hub.mode=subscribe&flag&hub.challenge=1",
        );
        assert_eq!(query_param(&r, "hub.mode"), Some("subscribe"));
        assert_eq!(query_param(&r, "flag"), Some(""));
        assert_eq!(query_param(&r, "mode"), None);
    }

    fn futures_body(r: HttpResponse) -> String {
        use http_body_util::BodyExt as _;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt.block_on(r.into_body().collect()).unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
