//! Device user codes as people type them (`model::user_code`, RFC 8628 §6.1): normalising
//! yields eight letters of the alphabet or nothing, ignores only case, spaces and dashes, and
//! reads back every code the server shows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::model::user_code::{display, normalize, ALPHABET};

fuzz_target!(|data: &[u8]| {
    let Ok(typed) = std::str::from_utf8(data) else {
        return;
    };
    let kept: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    match normalize(typed) {
        Some(code) => {
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code:?}");
            assert_eq!(code, kept);
            assert_eq!(normalize(&display(&code)).as_ref(), Some(&code));
            assert_eq!(normalize(&display(&code).to_lowercase()).as_ref(), Some(&code));
        }
        None => assert!(kept.len() != 8 || !kept.bytes().all(|b| ALPHABET.contains(&b))),
    }
    // Any eight bytes picked from the alphabet form a code that is shown and read back.
    if data.len() >= 8 {
        let code: String = data[..8].iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
        let shown = display(&code);
        assert_eq!(shown.len(), 9);
        assert_eq!(normalize(&shown), Some(code));
    }
});
