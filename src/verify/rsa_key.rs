//! RSA PKCS#1 v1.5 signature checks (RS256 JWTs, SNS certificates), done by `ring`: the `rsa`
//! crate parses keys (PEM, DER, JWK parts), `ring` verifies, about ten times faster
//! (docs/performance.md, "Keys fetched from senders"). Keys under 2048 bits never verify.

use rsa::traits::PublicKeyParts as _;

/// An RSA public key's modulus and exponent, big-endian.
/// Public: `Debug` shows it in full (a public key is no secret).
#[derive(Debug, Clone)]
pub(crate) struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RsaKey {
    pub(crate) fn new(key: &rsa::RsaPublicKey) -> Self {
        Self {
            n: key.n().to_bytes_be(),
            e: key.e().to_bytes_be(),
        }
    }

    /// Whether `sig` is this key's PKCS#1 v1.5 signature of SHA-256(`msg`).
    pub(crate) fn verifies_sha256(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.verifies(&ring::signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
    }

    /// Whether `sig` is this key's PKCS#1 v1.5 signature of SHA-1(`msg`): SNS's
    /// SignatureVersion 1, which SNS still sends by default.
    pub(crate) fn verifies_sha1(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.verifies(
            &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            msg,
            sig,
        )
    }

    fn verifies(&self, alg: &ring::signature::RsaParameters, msg: &[u8], sig: &[u8]) -> bool {
        ring::signature::RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(alg, msg, sig)
        .is_ok()
    }
}
