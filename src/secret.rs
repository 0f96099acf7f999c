//! A secret (a signing key, a Redis password): bytes that never print.
//!
//! `Secret` has no `Display`, and its `Debug` says `[redacted]`, so a secret cannot reach a log
//! line, an error message or a panic through formatting. Only `expose` reads it: the key
//! derivation in `verify` and the Redis connection. A leaf: it depends on nothing of hookgate.

use std::fmt;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::OnceLock;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

#[derive(Clone)]
pub struct Secret(Vec<u8>);

/// In constant time, like every comparison involving a secret (a reload compares the running
/// Redis password with the new one).
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Secret {}

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// Reads a secret from a file's contents: Kubernetes Secret mounts and `echo > file` often
    /// end with a newline that is not part of the secret, so one trailing `\n` or `\r\n` is
    /// trimmed (and nothing else: a secret may legitimately end in spaces).
    pub fn from_file_contents(mut bytes: Vec<u8>) -> Self {
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Serialized as a fingerprint, never as its bytes: an HMAC under a key drawn at random for
/// this process, so two serialized configs can be compared (a reload's check of the settings
/// that need a restart) while the output reveals nothing and matches nothing outside this
/// process.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.fingerprint())
    }
}

impl Secret {
    fn fingerprint(&self) -> String {
        static KEY: OnceLock<[u8; 32]> = OnceLock::new();
        let key = KEY.get_or_init(|| {
            // std's hasher keys come from the OS's random source.
            let random = std::collections::hash_map::RandomState::new();
            let mut key = [0u8; 32];
            for (i, chunk) in key.chunks_mut(8).enumerate() {
                let mut h = random.build_hasher();
                h.write_usize(i);
                chunk.copy_from_slice(&h.finish().to_le_bytes());
            }
            key
        });
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return "[redacted]".to_owned();
        };
        mac.update(&self.0);
        let digest = mac.finalize().into_bytes();
        format!("[redacted {}]", hex::encode(&digest[..8]))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("hunter2-very-secret");
        let shown = format!("{s:?} {:?} {s:#?}", vec![s.clone()]);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn serialized_as_a_fingerprint_that_tells_secrets_apart() {
        let a = serde_json::to_string(&Secret::new("hunter2-very-secret")).unwrap();
        let b = serde_json::to_string(&Secret::new("hunter2-very-secreT")).unwrap();
        assert!(!a.contains("hunter2") && a.contains("[redacted "), "{a}");
        assert_ne!(a, b);
        assert_eq!(
            a,
            serde_json::to_string(&Secret::new("hunter2-very-secret")).unwrap()
        );
    }

    #[test]
    fn equal_only_byte_for_byte() {
        assert_eq!(Secret::new("abc"), Secret::new("abc"));
        assert_ne!(Secret::new("abc"), Secret::new("abd"));
        assert_ne!(Secret::new("abc"), Secret::new("abcd"));
    }

    #[test]
    fn file_contents_trim_one_newline() {
        assert_eq!(
            Secret::from_file_contents(b"abc\n".to_vec()).expose(),
            b"abc"
        );
        assert_eq!(
            Secret::from_file_contents(b"abc\r\n".to_vec()).expose(),
            b"abc"
        );
        assert_eq!(
            Secret::from_file_contents(b"abc\n\n".to_vec()).expose(),
            b"abc\n"
        );
        assert_eq!(
            Secret::from_file_contents(b"abc ".to_vec()).expose(),
            b"abc "
        );
    }
}
