//! CSRF protection (OWASP): a random token put in every form and compared in constant time on
//! every POST. SameSite=Lax cookies are the second layer.
//!
//! Where the browser has a session, the token is kept in it (synchronizer token). A visitor
//! without one gets the token in a cookie of its own instead (double submit), so viewing a
//! page with a form stores nothing on the server: a session row is made only when there is
//! something to keep (a pending request, a sign-in).

use crate::crypto::{ct_eq, random_token};
use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::Response,
};
use http::request::Parts;
use tower_sessions::Session;

const KEY: &str = "csrf";
/// The cookie holding a visitor's token while they have no session.
pub const COOKIE: &str = "portcullis_csrf";

/// The token of a visitor without a session (from their cookie, or made for this response).
#[derive(Debug, Clone)]
pub struct VisitorToken(pub String);

/// The value of cookie `name` in `headers`.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Gives every page request a [`VisitorToken`]: the one in the visitor's cookie, or a new one
/// (sent back as an HttpOnly, SameSite=Lax cookie) when a page is shown to a browser that has
/// neither a session nor a token yet.
pub async fn visitor_token(secure: bool, mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), COOKIE).filter(|t| t.len() == 43).map(str::to_owned);
    let fresh = existing.is_none()
        && req.method() == Method::GET
        && cookie(req.headers(), super::sessions::COOKIE_NAME).is_none();
    let token = existing.or_else(|| fresh.then(random_token::<32>));
    if let Some(t) = &token {
        req.extensions_mut().insert(VisitorToken(t.clone()));
    }
    let mut res = next.run(req).await;
    if let (true, Some(t)) = (fresh, token) {
        let secure = if secure { "; Secure" } else { "" };
        if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax{secure}")) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The token to put in a form: the session's (created in it when the browser has a session),
/// else the visitor's cookie token.
pub async fn token(session: &Session, parts: &Parts) -> Result<String, tower_sessions::session::Error> {
    if let Some(t) = session.get::<String>(KEY).await? {
        return Ok(t);
    }
    if session.id().is_none() {
        if let Some(VisitorToken(t)) = parts.extensions.get::<VisitorToken>() {
            return Ok(t.clone());
        }
    }
    let t = random_token::<32>();
    super::sessions::keep_anonymous_short(session).await;
    session.insert(KEY, &t).await?;
    Ok(t)
}

/// Whether `presented` is the session's token or the visitor cookie's.
pub async fn verify(session: &Session, headers: &HeaderMap, presented: Option<&str>) -> bool {
    let Some(p) = presented else {
        return false;
    };
    if let Some(expected) = session.get::<String>(KEY).await.ok().flatten() {
        if ct_eq(expected.as_bytes(), p.as_bytes()) {
            return true;
        }
    }
    cookie(headers, COOKIE).is_some_and(|c| ct_eq(c.as_bytes(), p.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; portcullis_csrf=tok; b=2"));
        assert_eq!(cookie(&h, COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "portcullis"), None);
    }
}
