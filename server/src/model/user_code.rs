//! Device user codes (RFC 8628 §6.1): 8 characters from 20 consonants (no vowels, so no words,
//! and no look-alikes such as 0/O or 1/I), shown as `XXXX-XXXX`, accepted in any case, with or
//! without the dash. 20^8 ≈ 2^34.6 codes; entry is rate-limited so they cannot be guessed.

/// The alphabet.
pub const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// A fresh code, normalised (no dash).
pub fn generate() -> String {
    let mut out = String::with_capacity(8);
    while out.len() < 8 {
        for b in crate::crypto::random_bytes::<16>() {
            // 240 = 12 × 20: rejecting the rest keeps the choice uniform.
            if b < 240 && out.len() < 8 {
                out.push(ALPHABET[(b % 20) as usize] as char);
            }
        }
    }
    out
}

/// `XXXXXXXX` → `XXXX-XXXX`.
pub fn display(code: &str) -> String {
    format!("{}-{}", &code[..4.min(code.len())], &code[4.min(code.len())..])
}

/// What a user typed, normalised; `None` when it cannot be a code.
pub fn normalize(input: &str) -> Option<String> {
    let code: String =
        input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == 8 && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_unambiguous_characters() {
        for _ in 0..100 {
            let c = generate();
            assert_eq!(c.len(), 8);
            assert!(c.bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(normalize(&display(&c)).as_deref(), Some(c.as_str()));
        }
    }

    #[test]
    fn input_in_any_case_with_or_without_dash() {
        assert_eq!(normalize("bcdf-ghjk").as_deref(), Some("BCDFGHJK"));
        assert_eq!(normalize(" BCDFGHJK ").as_deref(), Some("BCDFGHJK"));
        assert_eq!(normalize("BCDF-GHJ"), None);
        assert_eq!(normalize("ABCD-EFGH"), None, "vowels are not in the alphabet");
        assert_eq!(display("BCDFGHJK"), "BCDF-GHJK");
    }
}
