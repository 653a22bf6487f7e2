//! The master key: AES-256-GCM encryption at rest of signing keys (and, later, other secrets).
//!
//! It comes from `PORTCULLIS_MASTER_KEY` (base64, 32 bytes) or from a key file that is created
//! with mode 0600 on first start. Instances that share one PostgreSQL must share the key; a
//! fingerprint kept in the database makes a mismatch fail at start with a clear message.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::{engine::general_purpose::STANDARD, Engine};
use std::path::Path;

/// The process's master key.
pub struct MasterKey {
    key: LessSafeKey,
    fingerprint: String,
    derivation: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

/// Why the master key could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("PORTCULLIS_MASTER_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadEncoding,
    #[error("cannot read or create the master key file {path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error("a sealed value could not be decrypted: wrong master key or corrupted data")]
    Decrypt,
}

impl MasterKey {
    /// Builds the key from raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        // AES-256 accepts any 32-byte key, so this cannot fail.
        #[allow(clippy::expect_used)]
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).expect("a 32-byte AES-256 key");
        let fingerprint = super::hex(&super::hmac_sha256(bytes, &[b"portcullis master key check"]))[..16].to_string();
        let derivation = super::hmac_sha256(bytes, &[b"portcullis key derivation"]);
        Self { key: LessSafeKey::new(unbound), fingerprint, derivation }
    }

    /// A 256-bit key for `purpose`, derived from the master key: the same on every instance
    /// that shares the master key, independent for each purpose.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        super::hmac_sha256(&self.derivation, &[purpose.as_bytes()])
    }

    /// Parses the base64 form used in `PORTCULLIS_MASTER_KEY`.
    pub fn from_base64(text: &str) -> Result<Self, MasterKeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(MasterKeyError::BadEncoding)?;
        Ok(Self::from_bytes(&bytes))
    }

    /// Reads the key file, creating it (and its folder) with a fresh key if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, MasterKeyError> {
        let file_err = |source| MasterKeyError::File { path: path.display().to_string(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(file_err)?;
                }
                let bytes = super::random_bytes::<32>();
                write_private(path, &STANDARD.encode(bytes)).map_err(file_err)?;
                Ok(Self::from_bytes(&bytes))
            }
            Err(e) => Err(file_err(e)),
        }
    }

    /// A short, non-secret identifier of the key, stored in the database to detect mismatches.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Encrypts `plaintext`, binding it to `context` (e.g. the key id): nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let nonce_bytes = super::random_bytes::<NONCE_LEN>();
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(&nonce_bytes);
        let mut body = plaintext.to_vec();
        // Sealing only fails for inputs larger than GCM allows (64 GiB).
        #[allow(clippy::expect_used)]
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::from(context), &mut body)
            .expect("AES-GCM sealing of a small value");
        out.extend_from_slice(&body);
        out
    }

    /// Decrypts what [`MasterKey::seal`] produced with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, MasterKeyError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(MasterKeyError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| MasterKeyError::Decrypt)?;
        let mut body = body.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::from(context), &mut body).map_err(|_| MasterKeyError::Decrypt)?;
        Ok(plain.to_vec())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_roundtrip_and_context_binding() {
        let key = MasterKey::from_bytes(&[7u8; 32]);
        let sealed = key.seal(b"secret", b"kid-1");
        assert_eq!(key.open(&sealed, b"kid-1").unwrap(), b"secret");
        assert!(key.open(&sealed, b"kid-2").is_err());
        assert!(MasterKey::from_bytes(&[8u8; 32]).open(&sealed, b"kid-1").is_err());
        assert!(key.open(b"short", b"kid-1").is_err());
    }

    #[test]
    fn key_file_is_created_then_reused() {
        let dir = crate::scratch::Scratch::new();
        let path = dir.path("master.key");
        let a = MasterKey::load_or_create(&path).unwrap();
        let b = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }
}
