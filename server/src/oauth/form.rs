//! The form extractor of the protocol endpoints (RFC 6749 §3.2, §4.1.3).
//!
//! It insists on `application/x-www-form-urlencoded`, bounds the body, rejects repeated
//! parameters ("Request and response parameters MUST NOT be included more than once",
//! RFC 6749 §3.1) and drops empty ones ("treated as if they were omitted"). Every failure is an
//! `invalid_request` in the protocol's JSON shape, never axum's plain-text rejection.

use super::error::OAuthError;
use axum::{
    extract::{FromRequest, Request},
    http::{header, StatusCode},
};
use std::collections::BTreeMap;

/// Largest accepted form body.
pub const MAX_BODY: usize = 64 * 1024;

/// The parameters of a protocol request, each present at most once and non-empty.
#[derive(Debug, Default, Clone)]
pub struct Params(pub BTreeMap<String, String>);

impl Params {
    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name`, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("missing parameter: {name}")))
    }

    /// Parses `pairs`, rejecting repeats and dropping empty values.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, OAuthError> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if map.contains_key(&k) {
                return Err(OAuthError::invalid_request(format!("parameter {k:?} is repeated")));
            }
            if !v.is_empty() {
                map.insert(k, v);
            } else {
                // Remember that it was seen, so a later repeat is still caught.
                map.insert(k, String::new());
            }
        }
        map.retain(|_, v| !v.is_empty());
        Ok(Params(map))
    }

    /// Parses a query string with the same rules.
    pub fn from_query(query: &str) -> Result<Self, OAuthError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|_| OAuthError::invalid_request("malformed query string"))?;
        Self::from_pairs(pairs)
    }

    /// The parameters of an endpoint that takes both `GET` (query) and `POST` (form body), as
    /// the authorization and logout endpoints do.
    pub fn from_get_or_post(
        method: &axum::http::Method,
        headers: &axum::http::HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Self, OAuthError> {
        if method != axum::http::Method::POST {
            return Self::from_query(query.unwrap_or_default());
        }
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(OAuthError::invalid_request("the request must be a form post"));
        }
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| OAuthError::invalid_request("malformed form body"))?;
        Self::from_pairs(pairs)
    }
}

/// `Form`-like extractor yielding [`Params`].
pub struct OAuthForm(pub Params);

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let mime = content_type.split(';').next().unwrap_or_default().trim();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request("the request body must be application/x-www-form-urlencoded"));
        }
        if let Some(len) =
            req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        {
            if len > MAX_BODY {
                return Err(too_large());
            }
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY).await.map_err(|_| too_large())?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| OAuthError::invalid_request("malformed form body"))?;
        Ok(OAuthForm(Params::from_pairs(pairs)?))
    }
}

fn too_large() -> OAuthError {
    OAuthError::invalid_request(format!("the request body exceeds {MAX_BODY} bytes"))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_empty_parameters() {
        let p =
            |v: &[(&str, &str)]| Params::from_pairs(v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect());
        assert!(p(&[("a", "1"), ("a", "2")]).is_err());
        assert!(p(&[("a", ""), ("a", "2")]).is_err());
        let ok = p(&[("a", "1"), ("b", "")]).unwrap();
        assert_eq!(ok.get("a"), Some("1"));
        assert_eq!(ok.get("b"), None);
    }
}
