//! Cookies: the CSRF and session cookies the console and sign-in pages read
//! (`console::csrf::cookie`), the login-status cookie (`oauth::login_status::cookie`), and the
//! session id inside the session cookie (tower-sessions). The two cookie readers agree, and a
//! header built from name=value pairs gives back the first value of each name.
#![no_main]

use http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use portcullis::{
    console::{csrf, sessions},
    oauth::login_status::cookie as login_status,
};
use std::str::FromStr;
use tower_sessions::session::Id;

const NAMES: [&str; 4] = [csrf::COOKIE, sessions::COOKIE_NAME, login_status::NAME, "other"];

/// RFC 6265 §4.1.1 cookie-octets.
fn cookie_octets(s: &str) -> String {
    s.chars().filter(|c| matches!(*c as u32, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)).collect()
}

fuzz_target!(|data: &[u8]| {
    // Cookie header lines separated by NUL.
    let mut headers = HeaderMap::new();
    for raw in data.split(|b| *b == 0).take(4) {
        if let Ok(v) = HeaderValue::from_bytes(raw) {
            headers.append(header::COOKIE, v);
        }
    }
    let status = login_status::presented(&headers);
    assert_eq!(csrf::cookie(&headers, login_status::NAME), status.first().map(String::as_str));
    for name in NAMES {
        if let Some(value) = csrf::cookie(&headers, name) {
            assert!(!value.contains(';'));
            assert!(headers.get_all(header::COOKIE).iter().any(|h| h
                .as_bytes()
                .windows(name.len() + 1 + value.len())
                .any(|w| w == format!("{name}={value}").as_bytes())));
        }
    }
    if let Some(session) = csrf::cookie(&headers, sessions::COOKIE_NAME) {
        if let Ok(id) = Id::from_str(session) {
            assert_eq!(Id::from_str(&id.to_string()).ok(), Some(id));
        }
    }

    // A header the way browsers write it: the first cookie of each name is the one read.
    // The same bytes as values, each under a name picked by its length.
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(&str, String)> =
        text.split([';', '\0']).take(8).map(|v| (NAMES[v.len() % NAMES.len()], cookie_octets(v))).collect();
    if pairs.is_empty() {
        return;
    }
    let line = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ");
    let mut built = HeaderMap::new();
    built.insert(header::COOKIE, HeaderValue::from_str(&line).unwrap());
    for name in NAMES {
        let first = pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(csrf::cookie(&built, name), first, "{line:?}");
    }
    let all: Vec<String> = pairs.iter().filter(|(n, _)| *n == login_status::NAME).map(|(_, v)| v.clone()).collect();
    assert_eq!(login_status::presented(&built), all);
});
