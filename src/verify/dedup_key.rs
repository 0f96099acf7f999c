//! Which delivery id a verified message carries: the route's dedup key spec and its extraction.
//!
//! Reading the id is part of reading the message (a header, a JSON field of the signed body, a
//! hash of the body or of the signed form), so it lives with verification; the dedup store
//! receives only the resulting key and knows nothing of HTTP.

use http::HeaderName;
use sha2::{Digest, Sha256};

use super::{canonical_form, Message, Scalar, Verified};

/// Ids longer than this are stored as their SHA-256, bounding memory per entry whatever a
/// sender puts in its id.
const MAX_KEY_LEN: usize = 128;

/// Where a route's delivery id comes from. Sources are tried in order; the first that yields a
/// value wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupKeySpec {
    pub sources: Vec<KeySource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The id the scheme itself reads (and, when its payload has `{id}`, signs).
    SchemeId,
    /// A request header. Unless the scheme signs it, anyone replaying a captured delivery can
    /// change it: `hookgate check` warns.
    Header(HeaderName),
    /// A JSON pointer into the (signed) body.
    Json(String),
    /// Several JSON fields of the (signed) body, their texts joined by `:`, when every one is
    /// present and non-empty: a sender whose event is named by a combination (Adyen's
    /// pspReference, eventCode and success).
    JsonJoined(Vec<String>),
    /// The SHA-256 of the body: always signed, identical across a sender's retries.
    BodySha256,
    /// For form posts, the SHA-256 of the decoded, sorted parameters, which is what Twilio
    /// signs: a replay re-encoding or reordering the form keeps its key. Other bodies: as
    /// `BodySha256`.
    SignedFormSha256,
    /// A delivery id the sender documents for recognising its redeliveries but does not sign
    /// (GitHub's `X-GitHub-Delivery`), combined with the body hash. A redelivery (same id,
    /// same bytes) is a duplicate; a distinct event that happens to have the same bytes (a
    /// new id) is delivered. The price: a captured delivery replayed with a changed id is
    /// forwarded again, as it is with any unsigned id. Without the header: the next source.
    DeliveryHeader(HeaderName),
}

/// What a verified message is known by: the id shown to the app and in logs
/// (`Hookgate-Event-Id`) and the key the dedup store remembers. The key names its source, so
/// an id from one source never equals a key from another (a body `id` of `sha256:…` is not a
/// body hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventKey {
    pub id: String,
    pub key: String,
}

impl std::fmt::Display for DedupKeySpec {
    /// `json /id, else body_sha256`: how `hookgate check` shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.sources.iter().enumerate() {
            if i > 0 {
                f.write_str(", else ")?;
            }
            match s {
                KeySource::SchemeId => f.write_str("signed id")?,
                KeySource::Header(h) => write!(f, "header {h} (unsigned)")?,
                KeySource::Json(p) => write!(f, "json {p}")?,
                KeySource::JsonJoined(ps) => write!(f, "json {}", ps.join(" + "))?,
                KeySource::BodySha256 => f.write_str("body_sha256")?,
                KeySource::SignedFormSha256 => f.write_str("signed form parameters' sha256")?,
                KeySource::DeliveryHeader(h) => {
                    write!(f, "header {h} (unsigned) with body_sha256")?
                }
            }
        }
        Ok(())
    }
}

impl DedupKeySpec {
    /// The id and dedup key of a verified message, if any source yields one.
    pub fn extract(&self, msg: &Message<'_>, verified: &Verified) -> Option<EventKey> {
        self.sources
            .iter()
            .find_map(|source| source.read(msg, verified))
    }
}

fn body_sha256(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

fn header_text(msg: &Message<'_>, name: &HeaderName) -> Option<String> {
    msg.header(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl KeySource {
    fn read(&self, msg: &Message<'_>, verified: &Verified) -> Option<EventKey> {
        let tagged = |tag: &str, id: String| {
            let key = format!("{tag}:{id}");
            EventKey { id, key }
        };
        let key = match self {
            KeySource::SchemeId => tagged("id", verified.id.clone()?),
            KeySource::Header(name) => tagged("header", header_text(msg, name)?),
            // An empty string is no id (a number's text never is empty).
            KeySource::Json(ptr) => tagged(
                "json",
                msg.json_scalar(ptr)
                    .map(Scalar::into_text)
                    .filter(|id| !id.is_empty())?,
            ),
            KeySource::JsonJoined(ptrs) => {
                let parts = ptrs
                    .iter()
                    .map(|ptr| {
                        msg.json_scalar(ptr)
                            .map(Scalar::into_text)
                            .filter(|t| !t.is_empty())
                    })
                    .collect::<Option<Vec<String>>>()?;
                tagged("json", parts.join(":"))
            }
            KeySource::BodySha256 => {
                let id = body_sha256(msg.body);
                EventKey {
                    key: id.clone(),
                    id,
                }
            }
            KeySource::SignedFormSha256 => {
                let form = msg
                    .header(&http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
                let id = if form {
                    let signed = canonical_form(msg.body);
                    format!("form-sha256:{}", hex::encode(Sha256::digest(signed)))
                } else {
                    body_sha256(msg.body)
                };
                EventKey {
                    key: id.clone(),
                    id,
                }
            }
            KeySource::DeliveryHeader(name) => {
                let id = header_text(msg, name)?;
                let key = format!("delivery:{id}/{}", body_sha256(msg.body));
                EventKey { id, key }
            }
        };
        Some(bounded(key))
    }
}

/// Ids past `MAX_KEY_LEN` are shown and stored as their SHA-256 (the key keeps its source
/// tag), bounding memory per entry whatever a sender puts in its id.
fn bounded(mut k: EventKey) -> EventKey {
    if k.id.len() > MAX_KEY_LEN {
        k.id = body_sha256(k.id.as_bytes());
    }
    if k.key.len() > MAX_KEY_LEN {
        let tag = k.key.split(':').next().unwrap_or_default().to_owned();
        k.key = format!("{tag}~{}", body_sha256(k.key.as_bytes()));
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, Method, Uri};

    fn key(spec: Vec<KeySource>, headers: &HeaderMap, body: &[u8], id: Option<&str>) -> EventKey {
        let (method, uri) = (Method::POST, Uri::from_static("/hook"));
        let msg = Message::new(&method, &uri, headers, body, None);
        let v = Verified {
            key_index: 0,
            signed_at_ms: None,
            skew_seconds: None,
            id: id.map(str::to_owned),
        };
        DedupKeySpec { sources: spec }
            .extract(&msg, &v)
            .expect("a key")
    }

    #[test]
    fn keys_from_different_sources_never_collide() {
        let body = br#"{"id":"x"}"#;
        let hash = format!("sha256:{}", hex::encode(Sha256::digest(body)));
        // A body whose `id` is the text of another body's hash key...
        let forged = format!(r#"{{"id":"{hash}"}}"#);
        let json = key(
            vec![KeySource::Json("/id".into())],
            &HeaderMap::new(),
            forged.as_bytes(),
            None,
        );
        assert_eq!(json.id, hash, "shown as sent");
        let by_hash = key(vec![KeySource::BodySha256], &HeaderMap::new(), body, None);
        assert_ne!(json.key, by_hash.key, "...is remembered under another key");
        // Likewise a signed id and a JSON id of the same text.
        let signed = key(
            vec![KeySource::SchemeId],
            &HeaderMap::new(),
            body,
            Some("x"),
        );
        let json = key(
            vec![KeySource::Json("/id".into())],
            &HeaderMap::new(),
            body,
            None,
        );
        assert_eq!((signed.id.as_str(), json.id.as_str()), ("x", "x"));
        assert_ne!(signed.key, json.key);
    }

    #[test]
    fn a_delivery_id_is_remembered_with_the_body_hash() {
        let spec = || {
            vec![
                KeySource::DeliveryHeader(HeaderName::from_static("x-delivery")),
                KeySource::BodySha256,
            ]
        };
        let mut h = HeaderMap::new();
        h.insert("x-delivery", " d-1 ".parse().unwrap());
        let a = key(spec(), &h, b"same", None);
        assert_eq!(a.id, "d-1");
        assert_ne!(
            a.key,
            key(spec(), &h, b"other", None).key,
            "other bytes, other key"
        );
        h.insert("x-delivery", "d-2".parse().unwrap());
        assert_ne!(
            a.key,
            key(spec(), &h, b"same", None).key,
            "another delivery"
        );
        let bare = key(spec(), &HeaderMap::new(), b"same", None);
        assert_eq!(
            bare.key,
            format!("sha256:{}", hex::encode(Sha256::digest(b"same")))
        );
    }

    #[test]
    fn long_ids_are_bounded_and_keep_their_source() {
        let long = "i".repeat(500);
        let k = key(
            vec![KeySource::SchemeId],
            &HeaderMap::new(),
            b"",
            Some(&long),
        );
        assert!(
            k.id.len() <= MAX_KEY_LEN && k.key.len() <= MAX_KEY_LEN + 8,
            "{k:?}"
        );
        assert!(k.key.starts_with("id~sha256:"), "{}", k.key);
        let j = key(
            vec![KeySource::Json("/id".into())],
            &HeaderMap::new(),
            format!(r#"{{"id":"{long}"}}"#).as_bytes(),
            None,
        );
        assert_ne!(k.key, j.key);
    }
}
