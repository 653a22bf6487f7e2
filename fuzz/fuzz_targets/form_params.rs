//! Form bodies and query strings of the protocol endpoints (`oauth::form`): the extractor, the
//! GET-or-POST reader and the query reader agree, and accept exactly the inputs without a
//! repeated parameter (RFC 6749 §3.1), keeping every non-empty value as sent.
#![no_main]

use axum::{extract::FromRequest, response::IntoResponse};
use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use portcullis::oauth::form::{OAuthForm, Params};
use std::collections::{BTreeMap, BTreeSet};

fn form_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
    h
}

fn extract(body: &[u8], content_type: &str) -> Result<Params, StatusCode> {
    let req = Request::builder()
        .method(Method::POST)
        .header(header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body.to_vec()))
        .unwrap();
    futures::executor::block_on(OAuthForm::from_request(req, &()))
        .map(|OAuthForm(p)| p)
        .map_err(|e| e.into_response().status())
}

fuzz_target!(|data: &[u8]| {
    let raw: Vec<(String, String)> = url::form_urlencoded::parse(data).into_owned().collect();
    let mut seen = BTreeSet::new();
    let repeated = raw.iter().any(|(k, _)| !seen.insert(k.as_str()));
    let expected: BTreeMap<String, String> = raw.into_iter().filter(|(_, v)| !v.is_empty()).collect();

    let posted = Params::from_get_or_post(&Method::POST, &form_headers(), None, data);
    match &posted {
        Ok(p) => {
            assert!(!repeated, "a repeated parameter was accepted");
            assert_eq!(p.0, expected);
        }
        Err(e) => {
            assert!(repeated, "refused without a repeated parameter: {e:?}");
            assert_eq!(e.code.as_str(), "invalid_request");
        }
    }
    let extracted = extract(data, "application/x-www-form-urlencoded; charset=UTF-8");
    assert_eq!(extracted.as_ref().map(|p| &p.0).ok(), posted.as_ref().map(|p| &p.0).ok());
    if extracted.is_err() {
        assert_eq!(extracted.err(), Some(StatusCode::BAD_REQUEST));
    }
    assert!(extract(data, "application/json").is_err(), "only forms are read");
    assert!(Params::from_get_or_post(&Method::POST, &HeaderMap::new(), None, data).is_err());

    if let Ok(query) = std::str::from_utf8(data) {
        let from_query = Params::from_query(query);
        assert_eq!(from_query.as_ref().map(|p| &p.0).ok(), posted.as_ref().map(|p| &p.0).ok());
        let get = Params::from_get_or_post(&Method::GET, &HeaderMap::new(), Some(query), b"ignored=1");
        assert_eq!(get.as_ref().map(|p| &p.0).ok(), posted.as_ref().map(|p| &p.0).ok());
    }

    // What was accepted, serialised again, reads back the same.
    if let Ok(p) = posted {
        let again = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&p.0).finish();
        assert_eq!(Params::from_query(&again).map(|q| q.0).ok(), Some(p.0));
    }
});
