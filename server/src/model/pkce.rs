//! PKCE (RFC 7636) with S256 only: `plain` offers no protection against a stolen challenge
//! and is refused (RFC 9700 §2.1.1).

use crate::crypto::{b64, ct_eq, sha256};

fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` is a well-formed S256 challenge (43 base64url characters).
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && is_pkce_string(challenge)
}

/// Whether `verifier` is a well-formed code verifier (§4.1).
pub fn valid_verifier(verifier: &str) -> bool {
    is_pkce_string(verifier)
}

/// Whether `verifier` hashes to `challenge` (§4.6), compared in constant time.
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    valid_verifier(verifier) && ct_eq(b64(&sha256(verifier.as_bytes())).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(valid_challenge(challenge));
        assert!(verify_s256(verifier, challenge));
        assert!(!verify_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx", challenge));
        assert!(!verify_s256("short", challenge));
        assert!(!valid_challenge("has spaces in it and is long enough to pass length"));
    }
}
