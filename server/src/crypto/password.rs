//! argon2id hashing for passwords and client secrets, always off the async runtime.
//!
//! Verification of an unknown account runs against a dummy hash so that "no such user" and
//! "wrong password" take the same time.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::sync::LazyLock;

/// argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: the OWASP recommendation).
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// A hash of a random value, verified against when the account does not exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_blocking(&super::random_token::<16>()).unwrap_or_default());

/// Hashes synchronously; call from blocking contexts (the CLI, `spawn_blocking`).
pub fn hash_blocking(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2().hash_password(secret.as_bytes(), &salt)?.to_string())
}

/// Verifies synchronously. `None` verifies against the dummy hash and fails.
pub fn verify_blocking(hash: Option<&str>, candidate: &str) -> bool {
    let (hash, real) = match hash {
        Some(h) => (h, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2().verify_password(candidate.as_bytes(), &parsed).is_ok() && real
}

/// Hashes on the blocking thread pool.
pub async fn hash(secret: String) -> Result<String, anyhow::Error> {
    Ok(tokio::task::spawn_blocking(move || hash_blocking(&secret)).await??)
}

/// Verifies on the blocking thread pool. `None` burns the same time and fails.
pub async fn verify(hash: Option<String>, candidate: String) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(hash.as_deref(), &candidate)).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash_blocking("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_blocking(Some(&h), "correct horse"));
        assert!(!verify_blocking(Some(&h), "wrong"));
        assert!(!verify_blocking(None, "anything"));
        assert!(!verify_blocking(Some("not a hash"), "x"));
    }
}
