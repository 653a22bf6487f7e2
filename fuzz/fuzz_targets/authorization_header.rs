//! `Authorization` headers: Basic client credentials (`oauth::client_auth`, RFC 6749 §2.3.1,
//! form-urlencoded before base64) and bearer tokens (`oauth::userinfo`, RFC 6750 §2). What a
//! client encodes is read back exactly; whatever is read back encodes to the same again.
#![no_main]

use base64::{engine::general_purpose::STANDARD, Engine};
use http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use portcullis::oauth::{client_auth::basic_credentials, userinfo::bearer_token};

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn basic(id: &str, secret: &str) -> HeaderValue {
    HeaderValue::try_from(format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(id), encode(secret))))).unwrap()
}

fuzz_target!(|data: &[u8]| {
    // `header NUL body`.
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (raw, body) = (&data[..split], data.get(split + 1..).unwrap_or_default());

    // What a client encodes, the server reads back exactly: any id and secret, split at ':'.
    let text = String::from_utf8_lossy(data);
    let (id, secret) = text.split_once(':').unwrap_or((&text, ""));
    assert_eq!(basic_credentials(&basic(id, secret)).ok(), Some((id.to_owned(), secret.to_owned())));

    if let Ok(value) = HeaderValue::from_bytes(raw) {
        match basic_credentials(&value) {
            Ok((id, secret)) => {
                let text = value.to_str().unwrap();
                assert!(text.len() >= 6 && text[..6].eq_ignore_ascii_case("basic "), "{text:?}");
                assert_eq!(basic_credentials(&basic(&id, &secret)).ok(), Some((id, secret)));
            }
            Err(e) => assert_eq!(e.code.as_str(), "invalid_client"),
        }

        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        let in_body = url::form_urlencoded::parse(body).any(|(k, v)| k == "access_token" && !v.is_empty());
        match bearer_token(&headers, body) {
            Ok(Some(token)) => {
                assert!(!token.is_empty() && token.trim() == token);
                assert!(!in_body, "a token in the header and in the body was accepted");
            }
            Ok(None) => unreachable!("an Authorization header is either a token or an error"),
            Err(e) => assert_eq!(e.code.as_str(), "invalid_request"),
        }
    }

    let mut form = HeaderMap::new();
    form.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
    if let Ok(Some(token)) = bearer_token(&form, body) {
        let found: Vec<String> = url::form_urlencoded::parse(body)
            .filter(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(found, vec![token]);
    }
});
