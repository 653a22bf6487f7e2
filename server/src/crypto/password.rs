//! argon2id hashing for passwords and client secrets, always off the async runtime and always
//! through one bounded pool: each run takes 19 MiB and a core for tens of milliseconds, so a
//! burst of sign-ins, password grants, admin sign-ins and client-secret checks queues for a
//! permit instead of making the blocking thread pool allocate gigabytes. The permit moves into
//! the blocking task: it is released when the hashing ends, not when the caller stops waiting.
//!
//! Verification of an unknown account runs against a dummy hash so that "no such user" and
//! "wrong password" take the same time.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// Concurrent argon2 runs: two per core.
static POOL: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    Arc::new(Semaphore::new(cores * 2))
});

/// Longest candidate password or secret hashed; longer ones fail without hashing (argon2 reads
/// all of it, and nobody's password is a megabyte).
pub const MAX_INPUT: usize = 1024;

/// Hashing jobs waiting for a permit or running, across the process.
static QUEUED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Jobs that may queue before new work is refused ([`saturated`]): about two seconds of work on
/// two cores. Verifications run on even when their caller hangs up, so without a bound a flood
/// of bad credentials could queue minutes of hashing.
pub const MAX_QUEUED: usize = 64;

/// Whether the hashing pool is so far behind that new verifications should be refused (with
/// "try again") rather than queued.
pub fn saturated() -> bool {
    QUEUED.load(std::sync::atomic::Ordering::Relaxed) >= MAX_QUEUED
}

/// Counts a job from enqueueing to its end, even when the waiting future is dropped.
struct Queued;

impl Queued {
    fn new() -> Self {
        QUEUED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Queued
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        QUEUED.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Runs `work` on the blocking pool once a hashing permit is free.
async fn pooled<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let queued = Queued::new();
    let permit = POOL.clone().acquire_owned().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let (_permit, _queued) = (permit, queued);
        work()
    })
    .await
    .ok()
}

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

/// Hashes through the bounded pool.
pub async fn hash(secret: String) -> Result<String, anyhow::Error> {
    pooled(move || hash_blocking(&secret))
        .await
        .ok_or_else(|| anyhow::anyhow!("the hashing task failed"))?
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Verifies through the bounded pool. `None` burns the same time and fails; so does an
/// over-long candidate (against the dummy hash, so it costs what any failure costs).
pub async fn verify(hash: Option<String>, candidate: String) -> bool {
    let hash = hash.filter(|_| candidate.len() <= MAX_INPUT);
    let candidate = if candidate.len() > MAX_INPUT { String::new() } else { candidate };
    pooled(move || verify_blocking(hash.as_deref(), &candidate)).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_verifications_saturates_the_pool_then_drains() {
        let hash = hash_blocking("secret").unwrap();
        let jobs: Vec<_> =
            (0..MAX_QUEUED + 8).map(|_| tokio::spawn(verify(Some(hash.clone()), "wrong".into()))).collect();
        tokio::task::yield_now().await;
        let mut seen = false;
        for _ in 0..100 {
            seen |= saturated();
            if seen {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert!(seen, "past {MAX_QUEUED} queued jobs the pool says so");
        for j in jobs {
            assert!(!j.await.unwrap());
        }
        assert!(!saturated(), "and drains");
    }

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
