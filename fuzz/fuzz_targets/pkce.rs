//! PKCE values (`model::pkce`, RFC 7636): verifiers and challenges are checked by their grammar,
//! and a verifier is accepted for a challenge exactly when the challenge is its S256 hash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::{
    crypto::{b64, sha256},
    model::pkce,
};

fn grammar(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fuzz_target!(|data: &[u8]| {
    // `verifier NUL challenge`.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (verifier, challenge) = text.split_once('\0').unwrap_or((text, ""));
    assert_eq!(pkce::valid_verifier(verifier), (43..=128).contains(&verifier.len()) && grammar(verifier));
    assert_eq!(pkce::valid_challenge(challenge), challenge.len() == 43 && grammar(challenge));

    let derived = b64(&sha256(verifier.as_bytes()));
    assert!(pkce::valid_challenge(&derived));
    assert_eq!(pkce::verify_s256(verifier, &derived), pkce::valid_verifier(verifier));
    if pkce::verify_s256(verifier, challenge) {
        assert_eq!(challenge, derived, "accepted a challenge that is not the verifier's hash");
    }
    // A challenge one character off is refused.
    let mut wrong = derived.into_bytes();
    let i = verifier.len() % wrong.len();
    wrong[i] = if wrong[i] == b'A' { b'B' } else { b'A' };
    assert!(!pkce::verify_s256(verifier, &String::from_utf8(wrong).unwrap()));
});
