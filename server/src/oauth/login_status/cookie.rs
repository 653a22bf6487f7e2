//! `KEYCLOAK_SESSION`: the cookie the login-status iframe reads (so not `HttpOnly`, the one
//! cookie of Portcullis that scripts may read).
//!
//! Its value is base64url(SHA-256(sid)), as Keycloak's since 26.1: `sid` is the SSO session's
//! id that every token and authorization response of the session already carries
//! (`session_state`), never the browser-session cookie, which alone signs a browser in and
//! stays `HttpOnly`; the digest of a value that is no secret is none either. The iframe hashes
//! the `sid` keycloak-js sends and compares.
//!
//! Like Keycloak's, it is scoped to the realm's path (`/realms/{realm}/`, and the `/auth`
//! alias) and lasts until the session's maximum lifespan; `Secure` over https. Unlike Keycloak's
//! it is `SameSite=Lax`, never `None`, because it stands for the session cookie, which is `Lax`:
//! an iframe that could see it where the session cannot be used (inside an SPA of another site)
//! would send keycloak-js's silent check-sso into a hidden frame without the session, and the
//! signed-in user would be reported signed out. So the iframe sees the cookie exactly where the
//! session works silently: in SPAs of the same site (`app.example.com` with
//! `login.example.com`). Elsewhere the third-party-cookie check (which tests a cookie with these
//! attributes) fails, and keycloak-js turns the iframe off and uses top-level redirects, which
//! carry the `Lax` session.
//!
//! It follows the browser's SSO session rather than being set by hand in each handler: after
//! every browser request under a realm, [`track`] compares the session's SSO reference with
//! the cookie the request carried and sets or clears it. Sign-in sets it, logout clears it, and
//! so does any request that finds the session ended (idle, expired, ended by an administrator
//! or by back-channel logout: `sso::current` forgets it). [`track`] runs inside the session
//! layer (it needs the session); [`emit`] runs outside it and writes the cookies, so they come
//! after the session's own cookie.

use crate::{
    crypto::{b64, sha256},
    flow::sso,
    oauth::{cors::realm_of, LEGACY_REALM_PREFIX, REALM_PREFIX},
    state::AppState,
};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};
use tower_sessions::Session;

/// The cookie's name (Keycloak's, which keycloak-js's page-side code never reads: only the
/// iframe does).
pub const NAME: &str = "KEYCLOAK_SESSION";

/// The cookie's value for the SSO session `sid`.
pub fn value(sid: &str) -> String {
    b64(&sha256(sid.as_bytes()))
}

/// `Set-Cookie` values that [`track`] hands to [`emit`].
#[derive(Debug, Clone)]
struct Pending(Vec<String>);

/// The cookie's `Set-Cookie` lines for `realm` (one per prefix): `value` for `max_age`
/// seconds, or cleared when `value` is `None`.
fn lines(realm: &str, value: Option<&str>, max_age: i64, secure: bool) -> Vec<String> {
    let same_site = if secure { "SameSite=Lax; Secure" } else { "SameSite=Lax" };
    let (value, max_age) = value.map_or(("", 0), |v| (v, max_age));
    [REALM_PREFIX, LEGACY_REALM_PREFIX]
        .iter()
        .map(|prefix| {
            let path = prefix.replace("{realm}", realm);
            format!("{NAME}={value}; Path={path}/; Max-Age={max_age}; {same_site}")
        })
        .collect()
}

/// The values of the cookie in a request (one per matching path).
pub fn presented(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == NAME)
        .map(|(_, v)| v.to_owned())
        .collect()
}

/// Inside the session layer: after a browser request under a realm, decides whether the
/// cookie must be set or cleared.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let realm_name = realm_of(req.uri().path()).map(str::to_owned);
    let session = req.extensions().get::<Session>().cloned();
    let had = presented(req.headers());
    let mut res = next.run(req).await;
    let (Some(realm_name), Some(session)) = (realm_name, session) else {
        return res;
    };
    let Ok(Some(realm)) = state.registry.realm(&realm_name).await else {
        return res;
    };
    // A session that cannot be read now is left as it is: clearing the cookie would tell every
    // SPA tab that the user signed out.
    let Ok(sso) = sso::browser_sso(&session, &realm.id).await else {
        return res;
    };
    let now = state.now();
    let lines = match sso {
        Some(s) if s.auth_time + realm.settings.sso_session_max_lifespan > now => {
            let v = value(&s.session_id);
            if had.contains(&v) {
                return res;
            }
            let max_age = s.auth_time + realm.settings.sso_session_max_lifespan - now;
            lines(&realm.name, Some(&v), max_age, state.secure_cookies)
        }
        _ if !had.is_empty() => lines(&realm.name, None, 0, state.secure_cookies),
        _ => return res,
    };
    res.extensions_mut().insert(Pending(lines));
    res
}

/// Outside the session layer: writes what [`track`] decided.
pub async fn emit(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if let Some(Pending(lines)) = res.extensions_mut().remove::<Pending>() {
        for line in lines {
            if let Ok(v) = HeaderValue::from_str(&line) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_the_digest_of_the_sid_keycloak_js_sends() {
        // base64url(SHA-256("abc")) without padding, as the iframe computes it.
        assert_eq!(value("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }

    #[test]
    fn cookies_are_scoped_to_the_realm_and_readable() {
        let set = lines("acme", Some("v"), 60, false);
        assert_eq!(set[0], "KEYCLOAK_SESSION=v; Path=/realms/acme/; Max-Age=60; SameSite=Lax");
        assert_eq!(set[1], "KEYCLOAK_SESSION=v; Path=/auth/realms/acme/; Max-Age=60; SameSite=Lax");
        let cleared = lines("acme", None, 60, true);
        assert_eq!(cleared[0], "KEYCLOAK_SESSION=; Path=/realms/acme/; Max-Age=0; SameSite=Lax; Secure");
        assert!(set.iter().chain(&cleared).all(|l| !l.contains("HttpOnly")));
    }

    #[test]
    fn presented_values_are_found_among_other_cookies() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; KEYCLOAK_SESSION=x; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("KEYCLOAK_SESSION=y"));
        assert_eq!(presented(&h), vec!["x".to_owned(), "y".to_owned()]);
    }
}
