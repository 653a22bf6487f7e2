//! CORS for the admin API, as Keycloak answers it: a browser page may call the API from an
//! origin that the client its bearer token was issued to lists among its Web Origins (`+`:
//! its redirect URIs' origins). Preflights are answered for any origin (they carry no token;
//! the answer to the request itself decides); that answer names the origin exactly, with
//! credentials, and exposes `Location` (where a created object is). A token of another
//! client, or none, gets no CORS headers, so the browser keeps the answer from the page.

use axum::{
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::sync::{Arc, Mutex};

/// The origins the request's token allows, filled in by `auth::ApiActor` once the token is
/// verified and read here after the handler answered.
#[derive(Clone, Default)]
pub struct TokenOrigins(Arc<Mutex<Vec<String>>>);

impl TokenOrigins {
    pub fn set(&self, origins: Vec<String>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = origins;
        }
    }

    fn allows(&self, origin: &str) -> bool {
        self.0.lock().is_ok_and(|slot| slot.iter().any(|o| o == origin))
    }
}

const METHODS: &str = "GET, PUT, POST, DELETE";
const HEADERS: &str = "Authorization, Content-Type";

/// The middleware over the admin API's routes.
pub async fn admin(mut req: Request, next: Next) -> Response {
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        return next.run(req).await;
    };
    if req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        let headers = [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
            (header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true")),
            (header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS)),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(HEADERS)),
            (header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("3600")),
            (header::VARY, HeaderValue::from_static("Origin")),
        ];
        return (StatusCode::NO_CONTENT, headers).into_response();
    }
    let allowed = TokenOrigins::default();
    req.extensions_mut().insert(allowed.clone());
    let mut res = next.run(req).await;
    if origin.to_str().is_ok_and(|o| allowed.allows(o)) {
        let headers = res.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Location"));
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    res
}
