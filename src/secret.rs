//! A secret (a signing key, a Redis password): bytes that never print.
//!
//! `Secret` has no `Display`, and its `Debug` says `[redacted]`, so a secret cannot reach a log
//! line, an error message or a panic through formatting. Only `expose` reads it: the key
//! derivation in `verify` and the Redis connection. A leaf: it depends on nothing of hookgate.

use std::fmt;

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
