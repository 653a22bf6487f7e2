//! The verified-credentials cache (PRODUCT §3): argon2id stays the only thing at rest, and the
//! token endpoint pays for it once per secret rather than once per request.
//!
//! An entry is keyed by HMAC-SHA-256 under a per-process random key of (realm, client id,
//! presented secret), and names the stored secret it matched. A hit counts only while the
//! client's current snapshot still lists that secret as live, so regenerating a secret (after
//! its grace period), disabling or deleting the client ends the fast path the moment the
//! snapshot is reloaded. The cache holds no secret and no hash an attacker could test offline
//! without the in-memory key.

use crate::crypto::{hmac_sha256, random_bytes};
use dashmap::DashMap;
use std::sync::Arc;

/// How long a verified credential is trusted without running argon2 again.
const TTL_SECS: i64 = 3600;
/// A ceiling on entries; reaching it clears the cache (entries are cheap to rebuild).
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    secret_id: String,
    verified_at: i64,
}

/// See the module documentation.
pub struct CredentialCache {
    key: [u8; 32],
    entries: DashMap<[u8; 32], Entry>,
    /// Verifications under way, so a burst of first requests runs argon2 once.
    in_flight: DashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>,
    /// How many argon2 verifications ran (a health metric, and what tests check).
    verifications: std::sync::atomic::AtomicU64,
}

impl Default for CredentialCache {
    fn default() -> Self {
        Self::new()
    }
}

impl CredentialCache {
    /// An empty cache with a fresh key.
    pub fn new() -> Self {
        Self {
            key: random_bytes::<32>(),
            entries: DashMap::new(),
            in_flight: DashMap::new(),
            verifications: Default::default(),
        }
    }

    /// The lookup key for a presented credential.
    pub fn fingerprint(&self, realm_id: &str, client_id: &str, secret: &str) -> [u8; 32] {
        hmac_sha256(&self.key, &[realm_id.as_bytes(), client_id.as_bytes(), secret.as_bytes()])
    }

    /// Whether a fingerprint was verified recently against a secret that `is_live` accepts.
    pub fn is_verified(&self, fingerprint: &[u8; 32], now: i64, is_live: impl Fn(&str) -> bool) -> bool {
        self.entries.get(fingerprint).is_some_and(|e| now - e.verified_at < TTL_SECS && is_live(&e.secret_id))
    }

    /// Remembers a successful verification.
    pub fn insert(&self, fingerprint: [u8; 32], secret_id: String, now: i64) {
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(fingerprint, Entry { secret_id, verified_at: now });
    }

    /// Forgets one fingerprint (its secret no longer verifies).
    pub fn remove(&self, fingerprint: &[u8; 32]) {
        self.entries.remove(fingerprint);
    }

    /// The lock serialising verifications of one fingerprint.
    fn in_flight(&self, fingerprint: [u8; 32]) -> Arc<tokio::sync::Mutex<()>> {
        self.in_flight.entry(fingerprint).or_default().clone()
    }

    /// Forgets the lock of a fingerprint once nobody else waits on it.
    fn landed(&self, fingerprint: &[u8; 32]) {
        // The map holds one reference and the caller another.
        self.in_flight.remove_if(fingerprint, |_, lock| Arc::strong_count(lock) <= 2);
    }

    /// Whether `secret` matches one of `candidates` (`(id, argon2 hash)`): at once when its
    /// fingerprint was verified recently against one of them, else with argon2, once per
    /// fingerprint at a time (concurrent first requests wait for the first one's result).
    pub async fn verify(
        &self,
        fingerprint: [u8; 32],
        now: i64,
        secret: String,
        candidates: Vec<(String, String)>,
    ) -> bool {
        let flight = self.in_flight(fingerprint);
        let turn = flight.lock().await;
        let mut verified = self.is_verified(&fingerprint, now, |id| candidates.iter().any(|(c, _)| c == id));
        if !verified {
            for (id, hash) in candidates {
                self.count_verification();
                if crate::crypto::password::verify(Some(hash), secret.clone()).await {
                    self.insert(fingerprint, id, now);
                    verified = true;
                    break;
                }
            }
        }
        drop(turn);
        self.landed(&fingerprint);
        verified
    }

    /// Counts an argon2 verification.
    fn count_verification(&self) {
        self.verifications.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many argon2 verifications have run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(std::sync::atomic::Ordering::Relaxed)
    }
}
