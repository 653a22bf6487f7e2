//! Cryptographic building blocks: randomness, digests, password hashing, the master key that
//! encrypts signing keys at rest, and JWS signing.
//!
//! Everything here sits on `aws-lc-rs` (also the backend of `jsonwebtoken`), plus `argon2`.

pub mod fifo;
pub mod jws;
pub mod master_key;
pub mod password;

use aws_lc_rs::{digest, hmac};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system RNG failing is not a condition any caller could recover from.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random number generator failed");
    bytes
}

/// A fresh random token of `N` bytes, base64url without padding (256 bits → 43 characters).
pub fn random_token<const N: usize>() -> String {
    b64(&random_bytes::<N>())
}

/// base64url without padding, the encoding of JOSE and of every token we hand out.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// HMAC-SHA-256 of the concatenation of `parts`, each prefixed by its length so that
/// `("ab","c")` and `("a","bc")` never collide.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let tag = ctx.sign();
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The stored form of an opaque token (refresh token, code, device code): its SHA-256, hex.
/// Tokens have 256 bits of entropy, so a fast digest is enough; the value itself is never stored.
pub fn token_hash(token: &str) -> String {
    hex(&sha256(token.as_bytes()))
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_parts_are_length_prefixed() {
        assert_ne!(hmac_sha256(b"k", &[b"ab", b"c"]), hmac_sha256(b"k", &[b"a", b"bc"]));
    }

    #[test]
    fn random_tokens_have_256_bits() {
        let t = random_token::<32>();
        assert_eq!(t.len(), 43);
        assert_ne!(t, random_token::<32>());
    }

    #[test]
    fn ct_eq_compares() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
