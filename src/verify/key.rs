//! Keys: a route's secrets (or senders' public keys) decoded once at config time, and the
//! constant-time check of one signature candidate against one key.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};
use hmac::{Hmac, Mac};
use sha2::Digest as _;
use subtle::ConstantTimeEq;

use super::rsa_key::RsaKey;
use super::scheme::{Algorithm, Scheme, SecretEncoding};
use super::sns::SnsCertificate;
use crate::secret::Secret;

pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
pub(crate) const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An HMAC key already absorbed into the hash state, so a request clones a keyed state instead
/// of re-deriving the key.
#[derive(Clone)]
enum MacState {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

impl MacState {
    fn new(alg: Algorithm, key: &[u8]) -> Option<Self> {
        // HMAC takes keys of any length: these only fail for non-HMAC algorithms.
        Some(match alg {
            Algorithm::HmacSha1 => Self::Sha1(Hmac::new_from_slice(key).ok()?),
            Algorithm::HmacSha256 => Self::Sha256(Hmac::new_from_slice(key).ok()?),
            Algorithm::HmacSha512 => Self::Sha512(Hmac::new_from_slice(key).ok()?),
            _ => return None,
        })
    }

    fn alg(&self) -> Algorithm {
        match self {
            Self::Sha1(_) => Algorithm::HmacSha1,
            Self::Sha256(_) => Algorithm::HmacSha256,
            Self::Sha512(_) => Algorithm::HmacSha512,
        }
    }

    fn compute(&self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + Clone>(m: &M, parts: &[&[u8]]) -> Vec<u8> {
            let mut m = m.clone();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match self {
            Self::Sha1(m) => run(m, parts),
            Self::Sha256(m) => run(m, parts),
            Self::Sha512(m) => run(m, parts),
        }
    }
}

#[derive(Clone)]
enum Material {
    /// A shared secret for HMAC: the prepared state for the scheme's algorithm, and the bytes
    /// for another HMAC algorithm a request may announce (Twilio's SHA-256 mode) or for
    /// answering a handshake (Zoom).
    Mac {
        state: Box<MacState>,
        bytes: Secret,
    },
    /// A shared token (GitLab, Okta, Telegram), compared by SHA-256 digest so the comparison
    /// takes the same time whatever the lengths (a byte compare would leak the token's length).
    Token {
        digest: [u8; 32],
        secret: Secret,
    },
    /// Basic auth `user:pass`: compared through its SHA-256, so the comparison takes the
    /// same time whatever the lengths (the secret kept for `sign`).
    Basic {
        digest: [u8; 32],
        secret: Secret,
    },
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    /// An RSA public key for RS256 (PKCS#1 v1.5 / SHA-256).
    Rsa(Box<RsaKey>),
    /// An Amazon SNS signing certificate's key; `kid` is the URL it was fetched from.
    Sns(Box<SnsCertificate>),
}

/// One of a route's secrets, ready to verify. `id` is the operator-chosen name reported in
/// metrics and logs (which secret matched tells when an old one can be retired).
///
/// `kid` is the JWS key id a key answers to. Route secrets have none (each is tried in turn);
/// a key set fetched from a JWKS URL has one `Key` per JWK (`parse_jwks`), each named with
/// `with_kid`, and a token naming a `kid` is then checked only against keys with that id
/// (or none).
#[derive(Clone)]
pub struct Key {
    pub id: Arc<str>,
    kid: Option<Arc<str>>,
    /// The last instant this key verifies (a secret's `not_after`); `None`: no end.
    not_after: Option<SystemTime>,
    material: Material,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.material {
            Material::Mac { state, .. } => state.alg().as_str(),
            Material::Token { .. } => "token",
            Material::Basic { .. } => "basic auth",
            Material::Ed25519(_) => "ed25519 public key",
            Material::P256(_) => "p256 public key",
            Material::Rsa(_) => "rsa public key",
            Material::Sns(_) => "sns certificate",
        };
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("kid", &self.kid)
            .field("kind", &kind)
            .field("not_after", &self.not_after)
            .field("material", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the secret is empty")]
    Empty,
    #[error("the secret is not valid base64 (this scheme's secrets are base64{0})")]
    NotBase64(&'static str),
    #[error("the secret is not valid hex")]
    NotHex,
    #[error("this is not an Ed25519 public key (32 bytes{0})")]
    NotEd25519(&'static str),
    #[error("this is not a P-256 public key (base64 DER SubjectPublicKeyInfo, as the sender's dashboard shows it)")]
    NotP256,
    #[error("this is a private signing key (whsk_); give hookgate the public key (whpk_)")]
    PrivateKey,
    #[error("this is not an RSA public key (PEM `PUBLIC KEY` or `RSA PUBLIC KEY`, or base64 DER)")]
    NotRsa,
    #[error("this RSA key is shorter than 2048 bits")]
    RsaTooShort,
    #[error("this is not a P-256 public key (PEM `PUBLIC KEY`, or base64 DER)")]
    NotP256Pem,
    #[error("this looks like a PEM key, but jwt-hs256 takes the shared secret: a public key used as an HMAC secret lets anyone who has it sign (use jwt-rs256 or jwt-es256 for public keys)")]
    PemAsHmacSecret,
    #[error("this is a private key; give hookgate the sender's public key")]
    PemPrivateKey,
    #[error(
        "this scheme's keys are fetched from the sender (SNS signing certificates), not configured"
    )]
    Fetched,
    #[error("this is not an SNS signing certificate (PEM CERTIFICATE with an RSA key)")]
    NotCertificate,
}

/// The base64 inside a PEM block: `-----BEGIN/END ...-----` lines dropped, whitespace removed.
/// A bare base64 key comes back unchanged.
fn pem_body(raw: &[u8]) -> Vec<u8> {
    raw.split(|&b| b == b'\n')
        .filter(|line| {
            let start = line.iter().position(|b| !b.is_ascii_whitespace());
            !start.is_some_and(|i| line[i..].starts_with(b"-----"))
        })
        .flat_map(|line| line.iter().copied().filter(|b| !b.is_ascii_whitespace()))
        .collect()
}

/// One signature found in a request, with the algorithm it claims.
pub(crate) struct Candidate {
    pub alg: Algorithm,
    pub bytes: Vec<u8>,
}

impl Key {
    /// Decodes a secret as the scheme says (raw bytes, base64, hex, `whsec_`/`whpk_`).
    pub fn new(id: Arc<str>, secret: &Secret, scheme: &Scheme) -> Result<Self, KeyError> {
        let raw = secret.expose();
        if raw.is_empty() {
            return Err(KeyError::Empty);
        }
        match scheme.algorithm {
            Algorithm::JwtRs256 | Algorithm::JwtEs256 => {
                return Self::public_jwt(id, scheme.algorithm, raw);
            }
            // An operator who pastes the sender's public key where the HMAC secret goes has
            // made a key anyone can sign with (the classic RS256/HS256 confusion): refuse it.
            Algorithm::JwtHs256 if looks_like_pem(raw) => return Err(KeyError::PemAsHmacSecret),
            Algorithm::SnsCertificate => return Err(KeyError::Fetched),
            _ => {}
        }
        let mut alg = scheme.algorithm;
        let bytes: Vec<u8> = match scheme.secret_encoding {
            SecretEncoding::Raw => raw.to_vec(),
            // SendGrid's SDK (starkbank-ecdsa `PublicKey.fromPem`) takes the key bare or as a
            // PEM block; so does hookgate.
            SecretEncoding::Base64 if alg == Algorithm::EcdsaP256Sha256 => B64
                .decode(pem_body(raw))
                .map_err(|_| KeyError::NotBase64(" or a PEM block"))?,
            SecretEncoding::Base64 => B64.decode(raw).map_err(|_| KeyError::NotBase64(""))?,
            SecretEncoding::Hex => {
                let text = std::str::from_utf8(raw).map_err(|_| KeyError::NotHex)?;
                hex::decode(text.trim()).map_err(|_| KeyError::NotHex)?
            }
            SecretEncoding::Whsec => {
                if raw.starts_with(b"whsk_") {
                    return Err(KeyError::PrivateKey);
                }
                let body = if let Some(pk) = raw.strip_prefix(b"whpk_") {
                    // Standard Webhooks' asymmetric flavour: the key kind is in the prefix.
                    alg = Algorithm::Ed25519;
                    pk
                } else {
                    raw.strip_prefix(b"whsec_").unwrap_or(raw)
                };
                B64.decode(body)
                    .map_err(|_| KeyError::NotBase64(" after the whsec_/whpk_ prefix"))?
            }
        };
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        let material = match alg {
            Algorithm::HmacSha1 | Algorithm::HmacSha256 | Algorithm::HmacSha512 => Material::Mac {
                state: Box::new(MacState::new(alg, &bytes).ok_or(KeyError::Empty)?),
                bytes: Secret::new(bytes),
            },
            // A JWS HS256 key is the secret's bytes, as for any HMAC.
            Algorithm::JwtHs256 => Material::Mac {
                state: Box::new(
                    MacState::new(Algorithm::HmacSha256, &bytes).ok_or(KeyError::Empty)?,
                ),
                bytes: Secret::new(bytes),
            },
            Algorithm::Token => Material::Token {
                digest: sha2::Sha256::digest(&bytes).into(),
                secret: Secret::new(bytes),
            },
            // `user:pass` (RFC 7617); a secret without `:` is warned about by the config, since
            // only a client sending the same malformed credentials could match it.
            Algorithm::Basic => Material::Basic {
                digest: sha2::Sha256::digest(&bytes).into(),
                secret: Secret::new(bytes),
            },
            Algorithm::JwtRs256 | Algorithm::JwtEs256 => {
                return Self::public_jwt(id, alg, raw);
            }
            Algorithm::SnsCertificate => return Err(KeyError::Fetched),
            Algorithm::Ed25519 => {
                let arr: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| KeyError::NotEd25519(", 64 hex digits"))?;
                Material::Ed25519(
                    ed25519_dalek::VerifyingKey::from_bytes(&arr)
                        .map_err(|_| KeyError::NotEd25519(""))?,
                )
            }
            Algorithm::EcdsaP256Sha256 => {
                use p256::pkcs8::DecodePublicKey;
                let key = p256::ecdsa::VerifyingKey::from_public_key_der(&bytes)
                    .or_else(|_| p256::ecdsa::VerifyingKey::from_sec1_bytes(&bytes))
                    .map_err(|_| KeyError::NotP256)?;
                Material::P256(key)
            }
        };
        Ok(Self {
            id,
            kid: None,
            not_after: None,
            material,
        })
    }

    /// A sender's public key for RS256 or ES256 JWTs, from PEM (`PUBLIC KEY`, or PKCS#1
    /// `RSA PUBLIC KEY` for RSA) or bare base64 DER. (Keys from a JWK Set are built from their
    /// parts by `parse_jwks`.)
    pub fn public_jwt(id: Arc<str>, alg: Algorithm, raw: &[u8]) -> Result<Self, KeyError> {
        let text = String::from_utf8_lossy(raw);
        if text.contains("PRIVATE KEY") {
            return Err(KeyError::PemPrivateKey);
        }
        let der = B64.decode(pem_body(raw));
        let material = match alg {
            Algorithm::JwtRs256 => {
                use rsa::pkcs1::DecodeRsaPublicKey;
                use rsa::pkcs8::DecodePublicKey;
                let der = der.map_err(|_| KeyError::NotRsa)?;
                let key = rsa::RsaPublicKey::from_public_key_der(&der)
                    .or_else(|_| rsa::RsaPublicKey::from_pkcs1_der(&der))
                    .map_err(|_| KeyError::NotRsa)?;
                if rsa::traits::PublicKeyParts::size(&key) * 8 < 2048 {
                    return Err(KeyError::RsaTooShort);
                }
                Material::Rsa(Box::new(RsaKey::new(&key)))
            }
            Algorithm::JwtEs256 => {
                use p256::pkcs8::DecodePublicKey;
                let der = der.map_err(|_| KeyError::NotP256Pem)?;
                Material::P256(
                    p256::ecdsa::VerifyingKey::from_public_key_der(&der)
                        .map_err(|_| KeyError::NotP256Pem)?,
                )
            }
            _ => return Err(KeyError::Empty),
        };
        Ok(Self {
            id,
            kid: None,
            not_after: None,
            material,
        })
    }

    /// An RS256 key from its parts (a JWK's `n` and `e`, see `jwks::parse_jwks`): the same
    /// material `public_jwt` builds from a PEM.
    pub(crate) fn rsa(id: Arc<str>, key: rsa::RsaPublicKey) -> Self {
        Self {
            id,
            kid: None,
            not_after: None,
            material: Material::Rsa(Box::new(RsaKey::new(&key))),
        }
    }

    /// A P-256 key for ES256 (a JWK's `x` and `y`, see `jwks::parse_jwks`).
    pub(crate) fn p256(id: Arc<str>, key: p256::ecdsa::VerifyingKey) -> Self {
        Self {
            id,
            kid: None,
            not_after: None,
            material: Material::P256(key),
        }
    }

    /// The key of an SNS signing certificate (PEM) fetched from `url`, which becomes its
    /// `kid`: a message is checked only with the certificate its `SigningCertURL` names.
    pub fn sns_certificate(url: &str, pem: &[u8]) -> Result<Self, KeyError> {
        let cert = SnsCertificate::from_pem(pem).map_err(|_| KeyError::NotCertificate)?;
        Ok(Self {
            id: Arc::from("sns-certificate"),
            kid: Some(Arc::from(url)),
            not_after: None,
            material: Material::Sns(Box::new(cert)),
        })
    }

    /// The SNS certificate of a key fetched for `url` (its `kid`), if this is one.
    pub(crate) fn sns_certificate_for(&self, url: &str) -> Option<&SnsCertificate> {
        match (&self.material, &self.kid) {
            (Material::Sns(cert), Some(kid)) if &**kid == url => Some(cert),
            _ => None,
        }
    }

    /// The JWS key id (a JWK Set's key) or certificate URL (SNS) this key answers to.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// This key verifies nothing after `t` (a secret's `not_after`).
    pub fn with_not_after(mut self, t: SystemTime) -> Self {
        self.not_after = Some(t);
        self
    }

    /// The last instant this key verifies, if it has one.
    pub fn not_after(&self) -> Option<SystemTime> {
        self.not_after
    }

    /// Whether this key may verify at `now`: it has no `not_after`, or `now` is not past it.
    /// Verification asks this of every key it tries, with the `now` it is handed.
    pub fn usable_at(&self, now: SystemTime) -> bool {
        self.not_after.is_none_or(|t| now <= t)
    }

    /// This key answers to JWS key id `kid` (keys from a JWKS).
    pub fn with_kid(mut self, kid: impl Into<Arc<str>>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Whether this key may check a token whose header names `kid`: a key without a kid
    /// (a route secret) may check any; one with a kid only tokens naming it or none.
    pub(crate) fn answers_kid(&self, kid: Option<&str>) -> bool {
        match (&self.kid, kid) {
            (Some(mine), Some(theirs)) => &**mine == theirs,
            _ => true,
        }
    }

    /// Checks a JWS signature over `signing_input` (`header.payload`) with this key, for
    /// `alg` (the route's JWT algorithm, never the token's say).
    pub(crate) fn verifies_jws(&self, alg: Algorithm, signing_input: &[u8], sig: &[u8]) -> bool {
        match (&self.material, alg) {
            (Material::Mac { .. }, Algorithm::JwtHs256) => self
                .mac(Algorithm::HmacSha256, &[signing_input])
                .is_some_and(|mac| bool::from(mac.as_slice().ct_eq(sig))),
            (Material::Rsa(key), Algorithm::JwtRs256) => key.verifies_sha256(signing_input, sig),
            (Material::P256(key), Algorithm::JwtEs256) => {
                use p256::ecdsa::signature::Verifier;
                // JWS ES256 is the fixed 64-byte `r || s` (RFC 7518 3.4), never DER.
                sig.len() == 64
                    && p256::ecdsa::Signature::from_slice(sig)
                        .is_ok_and(|s| key.verify(signing_input, &s).is_ok())
            }
            _ => false,
        }
    }

    /// Whether this key can check signatures of `alg`.
    pub(crate) fn handles(&self, alg: Algorithm) -> bool {
        match &self.material {
            Material::Mac { .. } => alg.is_hmac() || alg == Algorithm::JwtHs256,
            Material::Token { .. } => alg == Algorithm::Token,
            Material::Basic { .. } => alg == Algorithm::Basic,
            Material::Ed25519(_) => alg == Algorithm::Ed25519,
            Material::P256(_) => matches!(alg, Algorithm::EcdsaP256Sha256 | Algorithm::JwtEs256),
            Material::Rsa(_) => alg == Algorithm::JwtRs256,
            Material::Sns(_) => alg == Algorithm::SnsCertificate,
        }
    }

    /// The MAC of `parts` under `alg`, for HMAC keys.
    pub fn mac(&self, alg: Algorithm, parts: &[&[u8]]) -> Option<Vec<u8>> {
        let Material::Mac { state, bytes } = &self.material else {
            return None;
        };
        if state.alg() == alg {
            Some(state.compute(parts))
        } else {
            MacState::new(alg, bytes.expose()).map(|s| s.compute(parts))
        }
    }

    /// Checks candidates of `alg` against this key. `message` is the signed bytes in pieces;
    /// `expected` caches this key's MAC across candidates.
    pub(crate) fn verifies(
        &self,
        candidates: &[Candidate],
        alg: Algorithm,
        message: &[&[u8]],
    ) -> bool {
        let mine = candidates.iter().filter(|c| c.alg == alg);
        match &self.material {
            Material::Mac { .. } => {
                let Some(expected) = self.mac(alg, message) else {
                    return false;
                };
                mine.fold(false, |found, c| {
                    found | bool::from(c.bytes.as_slice().ct_eq(expected.as_slice()))
                })
            }
            Material::Token { digest, .. } | Material::Basic { digest, .. } => {
                mine.fold(false, |found, c| {
                    let theirs: [u8; 32] = sha2::Sha256::digest(&c.bytes).into();
                    found | bool::from(theirs.ct_eq(digest))
                })
            }
            Material::Ed25519(key) => {
                let msg = message.concat();
                mine.filter_map(|c| ed25519_dalek::Signature::from_slice(&c.bytes).ok())
                    .any(|sig| key.verify_strict(&msg, &sig).is_ok())
            }
            Material::P256(key) => {
                use p256::ecdsa::signature::Verifier;
                let msg = message.concat();
                mine.filter_map(|c| {
                    p256::ecdsa::Signature::from_der(&c.bytes)
                        .or_else(|_| p256::ecdsa::Signature::from_slice(&c.bytes))
                        .ok()
                })
                .any(|sig| key.verify(&msg, &sig).is_ok())
            }
            // JWTs are checked by `verifies_jws`, over the token's own signing input.
            Material::Rsa(_) | Material::Sns(_) => false,
        }
    }

    /// The raw token, or the `user:pass` of Basic auth, for `sign` on credential schemes.
    pub(crate) fn token(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Token { secret: s, .. } | Material::Basic { secret: s, .. } => {
                Some(s.expose())
            }
            _ => None,
        }
    }
}

/// Whether a secret is a PEM block (`-----BEGIN ...`).
fn looks_like_pem(raw: &[u8]) -> bool {
    let start = raw
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    raw[start..].starts_with(b"-----BEGIN")
}
