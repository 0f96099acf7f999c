//! Amazon SNS HTTP(S) deliveries: certificate-signed messages.
//!
//! SNS signs a string built from the message's own fields with the private key of a certificate
//! it names in the message (`SigningCertURL`). The certificate is trusted because it is fetched
//! over HTTPS from an SNS host, never because the message says so: `cert_url_allowed` is the
//! gate, and fetching is the caller's (this module does no I/O). Facts: AWS SNS developer guide,
//! "Verifying the signatures of Amazon SNS messages"; the field order and the optional
//! `Subject` follow the AWS SDKs' validators (`aws-js-sns-message-validator`,
//! `aws-php-sns-message-validator`), which tests/fixtures/vectors/sns.json is checked against.

use super::rsa_key::RsaKey;
use base64::engine::Engine as _;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use std::time::SystemTime;

use http::HeaderName;
use serde::Deserialize;

use super::{
    check_fresh, parse_timestamp, unix_ms, Freshness, Key, Message, Scheme, TimestampFormat, Trace,
    Verified, VerifyError,
};

/// The message types SNS posts, as in `x-amz-sns-message-type` and the body's `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Notification,
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

/// An SNS message as posted (JSON, whatever the `Content-Type` says: SNS sends `text/plain`).
/// Fields outside SNS's documented set are refused, and a field written twice is refused too
/// (serde's derive), so the app cannot be handed a body whose meaning the signature did not
/// fix; `UnsubscribeURL` and `MessageAttributes` are allowed but not signed (SNS's design).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind_text: String,
    pub message_id: String,
    pub topic_arn: String,
    pub message: String,
    pub timestamp: String,
    pub signature_version: String,
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default, rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    /// Not signed: where the subscriber may unsubscribe (notifications).
    #[serde(default, rename = "UnsubscribeURL")]
    pub unsubscribe_url: Option<String>,
    /// Not signed: attributes the publisher set (notifications).
    #[serde(default)]
    pub message_attributes: Option<serde_json::Value>,
}

/// Why a message does not verify. Every one is the sender's fault (a 4xx): fetching the
/// certificate, which can fail on our side, is the caller's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnsError {
    #[error("the body is not an SNS message: {0}")]
    NotSns(String),
    #[error("unknown SNS message type {0:?}")]
    UnknownType(String),
    #[error("the message lacks {0}, which its type signs")]
    MissingField(&'static str),
    #[error("unsupported SignatureVersion {0:?} (1 or 2)")]
    SignatureVersion(String),
    #[error(
        "SigningCertURL is not an SNS certificate URL (https://sns.<region>.amazonaws.com/....pem)"
    )]
    CertUrl,
    #[error("the signature is not base64")]
    SignatureEncoding,
    #[error("the certificate holds no RSA public key")]
    Certificate,
    #[error("the signature does not match the message")]
    Mismatch,
}

/// Bodies larger than this are not SNS messages (SNS messages are at most 256 KiB of payload;
/// JSON escaping can grow it, hence the margin).
pub const MAX_BODY: usize = 1024 * 1024;

impl SnsMessage {
    pub fn parse(body: &[u8]) -> Result<Self, SnsError> {
        if body.len() > MAX_BODY {
            return Err(SnsError::NotSns("larger than any SNS message".into()));
        }
        serde_json::from_slice(body).map_err(|e| SnsError::NotSns(e.to_string()))
    }

    pub fn kind(&self) -> Result<Kind, SnsError> {
        match self.kind_text.as_str() {
            "Notification" => Ok(Kind::Notification),
            "SubscriptionConfirmation" => Ok(Kind::SubscriptionConfirmation),
            "UnsubscribeConfirmation" => Ok(Kind::UnsubscribeConfirmation),
            other => Err(SnsError::UnknownType(other.chars().take(64).collect())),
        }
    }

    /// The bytes SNS signs: `name\nvalue\n` for each signed field of the message's type, in
    /// this order; a notification's `Subject` only when the message has one.
    pub fn string_to_sign(&self) -> Result<Vec<u8>, SnsError> {
        let mut fields: Vec<(&str, &str)> =
            vec![("Message", &self.message), ("MessageId", &self.message_id)];
        match self.kind()? {
            Kind::Notification => {
                if let Some(s) = &self.subject {
                    fields.push(("Subject", s));
                }
            }
            Kind::SubscriptionConfirmation | Kind::UnsubscribeConfirmation => {
                let url = self
                    .subscribe_url
                    .as_deref()
                    .ok_or(SnsError::MissingField("SubscribeURL"))?;
                fields.push(("SubscribeURL", url));
            }
        }
        fields.push(("Timestamp", &self.timestamp));
        if self.kind()? != Kind::Notification {
            let token = self
                .token
                .as_deref()
                .ok_or(SnsError::MissingField("Token"))?;
            fields.push(("Token", token));
        }
        fields.push(("TopicArn", &self.topic_arn));
        fields.push(("Type", &self.kind_text));
        let mut out = Vec::with_capacity(self.message.len() + 512);
        for (name, value) in fields {
            out.extend_from_slice(name.as_bytes());
            out.push(b'\n');
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        Ok(out)
    }

    /// Checks the signature with the certificate fetched from `signing_cert_url` (PEM). The
    /// URL must pass `cert_url_allowed` before anything is fetched from it.
    pub fn verify(&self, cert: &SnsCertificate) -> Result<(), SnsError> {
        let signed = self.string_to_sign()?;
        let sig = base64::engine::general_purpose::STANDARD
            .decode(self.signature.trim())
            .map_err(|_| SnsError::SignatureEncoding)?;
        let ok = match self.signature_version.as_str() {
            "1" => cert.key.verifies_sha1(&signed, &sig),
            "2" => cert.key.verifies_sha256(&signed, &sig),
            v => return Err(SnsError::SignatureVersion(v.chars().take(8).collect())),
        };
        ok.then_some(()).ok_or(SnsError::Mismatch)
    }
}

/// The headers SNS sends beside the body. They are not signed, so a request whose copy differs
/// from the signed body's value is refused: the app may read either.
type Field = fn(&SnsMessage) -> &str;

const ECHOED: [(&str, Field); 3] = [
    ("x-amz-sns-message-type", |m| &m.kind_text),
    ("x-amz-sns-message-id", |m| &m.message_id),
    ("x-amz-sns-topic-arn", |m| &m.topic_arn),
];

fn malformed(e: &SnsError) -> VerifyError {
    match e {
        SnsError::NotSns(_) => VerifyError::MalformedSignature("the body is not an SNS message"),
        SnsError::UnknownType(_) => VerifyError::MalformedSignature("unknown SNS message Type"),
        SnsError::MissingField(_) => {
            VerifyError::MalformedSignature("the SNS message lacks a field its Type signs")
        }
        SnsError::SignatureVersion(_) => {
            VerifyError::MalformedSignature("unsupported SNS SignatureVersion (1 or 2)")
        }
        SnsError::CertUrl => VerifyError::MalformedSignature(
            "SigningCertURL is not an SNS certificate URL (https://sns.<region>.amazonaws.com/...pem)",
        ),
        SnsError::SignatureEncoding => {
            VerifyError::MalformedSignature("the SNS Signature is not base64")
        }
        SnsError::Certificate | SnsError::Mismatch => VerifyError::Mismatch,
    }
}

/// The certificate URL a request's body names, if it is an SNS message naming an allowed one:
/// what the caller fetches before `verify`.
pub fn certificate_url(body: &[u8]) -> Option<String> {
    let m = SnsMessage::parse(body).ok()?;
    cert_url_allowed(&m.signing_cert_url).then_some(m.signing_cert_url)
}

/// The `SubscribeURL` of a verified `SubscriptionConfirmation` (what confirming GETs), if the
/// body is one.
pub fn subscribe_url(body: &[u8]) -> Option<String> {
    let m = SnsMessage::parse(body).ok()?;
    (m.kind() == Ok(Kind::SubscriptionConfirmation))
        .then_some(m.subscribe_url)
        .flatten()
}

/// Verifies an SNS request: the body an SNS message, its signature by the certificate its
/// `SigningCertURL` names (among `keys`, fetched by the caller), its topic one the scheme
/// accepts, the headers SNS echoes equal to the signed values, and its `Timestamp` fresh.
pub(super) fn verify_request(
    scheme: &Scheme,
    keys: &[Key],
    msg: &Message<'_>,
    freshness: Freshness,
    now: SystemTime,
    trace: &mut Trace,
) -> Result<Verified, VerifyError> {
    let m = SnsMessage::parse(msg.body).map_err(|e| malformed(&e))?;
    m.kind().map_err(|e| malformed(&e))?;
    if !cert_url_allowed(&m.signing_cert_url) {
        return Err(malformed(&SnsError::CertUrl));
    }
    for (name, signed) in ECHOED {
        let name = HeaderName::from_static(name);
        let mut copies = msg.header_all(&name).iter();
        let first = copies.next();
        if first.is_some_and(|v| v.as_bytes() != signed(&m).as_bytes()) || copies.next().is_some() {
            return Err(VerifyError::MalformedSignature(
                "an x-amz-sns-* header differs from the signed message",
            ));
        }
    }
    let mut found = None;
    for (i, key) in keys.iter().enumerate() {
        let Some(cert) = key.sns_certificate_for(&m.signing_cert_url) else {
            continue;
        };
        trace.keys_tried = i + 1;
        match m.verify(cert) {
            Ok(()) => {
                found = Some(i);
                break;
            }
            Err(SnsError::Mismatch | SnsError::Certificate) => {}
            Err(e) => return Err(malformed(&e)),
        }
    }
    let key_index = found.ok_or(VerifyError::Mismatch)?;
    trace.matched = Some(key_index);
    if !scheme.sns_topics.contains(&m.topic_arn) {
        return Err(VerifyError::NotAccepted(
            "its TopicArn is not in this route's sns.topic_arns",
        ));
    }
    let ts_ms = parse_timestamp(&m.timestamp, TimestampFormat::Rfc3339)?;
    let now_ms = unix_ms(now);
    trace.skew_seconds = Some((now_ms - ts_ms) as f64 / 1000.0);
    check_fresh(ts_ms, now_ms, freshness)?;
    Ok(Verified {
        key_index,
        signed_at_ms: Some(ts_ms),
        skew_seconds: trace.skew_seconds,
        id: Some(m.message_id),
    })
}

/// Whether `url` is where SNS keeps signing certificates: `https`, the default port, a host
/// `sns.<region>.amazonaws.com` (or `.amazonaws.com.cn`), a path ending in `.pem`, no user
/// info, query or fragment. The pattern of the AWS SDKs' validators; anything else would let a
/// forger name a certificate of its own.
pub fn cert_url_allowed(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    if uri.scheme_str() != Some("https") || uri.query().is_some() || url.contains('#') {
        return false;
    }
    let Some(auth) = uri.authority() else {
        return false;
    };
    if auth.as_str().contains('@') || auth.port().is_some_and(|p| p.as_u16() != 443) {
        return false;
    }
    let host = auth.host().to_ascii_lowercase();
    let region = host
        .strip_prefix("sns.")
        .and_then(|h| {
            h.strip_suffix(".amazonaws.com")
                .or_else(|| h.strip_suffix(".amazonaws.com.cn"))
        })
        .unwrap_or_default();
    let region_ok = region.len() >= 3
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    region_ok && uri.path().ends_with(".pem") && !uri.path().contains("..")
}

/// A signing certificate's public key, parsed once per fetch and cached by the caller.
#[derive(Debug, Clone)]
pub struct SnsCertificate {
    key: RsaKey,
}

impl SnsCertificate {
    /// From the PEM SNS serves (one `CERTIFICATE` block).
    pub fn from_pem(pem: &[u8]) -> Result<Self, SnsError> {
        use x509_cert::der::{DecodePem, Encode};
        let cert = x509_cert::Certificate::from_pem(pem).map_err(|_| SnsError::Certificate)?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|_| SnsError::Certificate)?;
        let key = RsaPublicKey::from_public_key_der(&spki).map_err(|_| SnsError::Certificate)?;
        Ok(Self {
            key: RsaKey::new(&key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_hosts_serve_certificates() {
        for ok in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
            "https://sns.eu-central-1.amazonaws.com/a.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/a.pem",
            "https://SNS.us-west-2.AMAZONAWS.com/a.pem",
            "https://sns.us-east-1.amazonaws.com:443/a.pem",
        ] {
            assert!(cert_url_allowed(ok), "{ok}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/a.pem",
            "https://evil.com/sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com@evil.com/a.pem",
            "https://x@sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com:8443/a.pem",
            "https://sns.us-east-1.amazonaws.com/a.pem?x=1",
            "https://sns.us-east-1.amazonaws.com/a.pem#x",
            "https://sns.us-east-1.amazonaws.com/a.txt",
            "https://sns.amazonaws.com/a.pem",
            "https://sns.a.amazonaws.com/a.pem",
            "https://sqs.us-east-1.amazonaws.com/a.pem",
            "https://sns.us_east.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com/../a.pem",
            "sns.us-east-1.amazonaws.com/a.pem",
            "",
        ] {
            assert!(!cert_url_allowed(bad), "{bad}");
        }
    }

    fn message(kind: &str) -> SnsMessage {
        SnsMessage {
            kind_text: kind.into(),
            message_id: "m-1".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
            message: "hello\nworld".into(),
            timestamp: "2026-12-01T00:00:00.000Z".into(),
            signature_version: "1".into(),
            signature: String::new(),
            signing_cert_url: String::new(),
            subject: None,
            unsubscribe_url: None,
            message_attributes: None,
            subscribe_url: Some(
                "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription".into(),
            ),
            token: Some("tok".into()),
        }
    }

    #[test]
    fn the_string_to_sign_follows_the_type() {
        let n = message("Notification");
        assert_eq!(
            String::from_utf8(n.string_to_sign().unwrap()).unwrap(),
            "Message\nhello\nworld\nMessageId\nm-1\nTimestamp\n2026-12-01T00:00:00.000Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\nNotification\n"
        );
        let mut with_subject = n.clone();
        with_subject.subject = Some("S".into());
        assert!(String::from_utf8(with_subject.string_to_sign().unwrap())
            .unwrap()
            .contains("MessageId\nm-1\nSubject\nS\nTimestamp\n"));
        let c = message("SubscriptionConfirmation");
        assert_eq!(
            String::from_utf8(c.string_to_sign().unwrap()).unwrap(),
            "Message\nhello\nworld\nMessageId\nm-1\nSubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription\nTimestamp\n2026-12-01T00:00:00.000Z\nToken\ntok\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\nSubscriptionConfirmation\n"
        );
        let mut no_token = c;
        no_token.token = None;
        assert_eq!(
            no_token.string_to_sign(),
            Err(SnsError::MissingField("Token"))
        );
        assert!(matches!(
            message("Gossip").string_to_sign(),
            Err(SnsError::UnknownType(_))
        ));
    }

    #[derive(Deserialize)]
    struct Fixture {
        signing_cert_url: String,
        certificate_pem: String,
        cases: Vec<Case>,
    }
    #[derive(Deserialize)]
    struct Case {
        name: String,
        body_b64: String,
        event_id: String,
    }

    fn fixture() -> Fixture {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sns/sns.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Messages signed as SNS signs them and accepted by AWS's validator
    /// (tools/vectors/sns) verify here; any changed signed field, or another certificate, does
    /// not.
    #[test]
    fn fixtures_signed_like_sns_verify() {
        let f = fixture();
        assert!(cert_url_allowed(&f.signing_cert_url));
        let cert = SnsCertificate::from_pem(f.certificate_pem.as_bytes()).unwrap();
        assert!(f.cases.len() >= 7);
        let b64 = &base64::engine::general_purpose::STANDARD;
        for c in &f.cases {
            let body = b64.decode(&c.body_b64).unwrap();
            let m = SnsMessage::parse(&body).unwrap();
            assert_eq!(m.message_id, c.event_id, "{}", c.name);
            assert_eq!(m.verify(&cert), Ok(()), "{}", c.name);
            let changes: [fn(&mut SnsMessage); 5] = [
                |m| m.message.push(' '),
                |m| m.timestamp = "2026-12-01T10:00:00.000Z".into(),
                |m| m.topic_arn.push('x'),
                |m| m.message_id.push('x'),
                |m| m.signature_version = if m.signature_version == "1" { "2" } else { "1" }.into(),
            ];
            for (i, change) in changes.iter().enumerate() {
                let mut bad = m.clone();
                change(&mut bad);
                assert_eq!(
                    bad.verify(&cert),
                    Err(SnsError::Mismatch),
                    "{} change {i}",
                    c.name
                );
            }
            if m.kind() == Ok(Kind::Notification) {
                let mut bad = m.clone();
                bad.subject = Some(bad.subject.unwrap_or_default() + "x");
                assert_eq!(bad.verify(&cert), Err(SnsError::Mismatch), "{}", c.name);
            } else {
                let mut bad = m.clone();
                bad.token = Some("forged".into());
                assert_eq!(bad.verify(&cert), Err(SnsError::Mismatch), "{}", c.name);
            }
        }
    }

    #[test]
    fn garbage_is_not_an_sns_message() {
        assert!(matches!(SnsMessage::parse(b"{}"), Err(SnsError::NotSns(_))));
        assert!(matches!(
            SnsMessage::parse(b"\xff"),
            Err(SnsError::NotSns(_))
        ));
        assert!(SnsCertificate::from_pem(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        )
        .is_err());
    }
}
