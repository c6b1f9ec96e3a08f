//! Random secrets and how they are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe, behind a prefix that says what the secret is for (so a
/// token pasted in the wrong place, or leaked in a repository, is recognisable).
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How high-entropy secrets (session ids, API tokens, link tokens) are stored. A fast
/// hash is right here: with 256 random bits there is nothing to brute-force, and a
/// database leak does not hand out working sessions.
pub fn sha256_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Lower-case hexadecimal, as digests are stored and shown.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Prefix of personal API tokens.
pub const API_TOKEN_PREFIX: &str = "rls_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hash_stably() {
        let (a, b) = (random_token("rls_"), random_token("rls_"));
        assert_ne!(a, b);
        assert!(a.starts_with("rls_") && a.len() == 4 + 43);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
