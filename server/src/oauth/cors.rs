//! CORS with credentials for a client's Web Origins (Keycloak's): a browser page at an origin a
//! client of the realm registered may call the protocol endpoints with `credentials: 'include'`
//! (keycloak-js does, at the token endpoint). For that origin the answer names it exactly, with
//! `Access-Control-Allow-Credentials: true`; every other origin keeps the plain `*` answer
//! without credentials. The endpoints authenticate with what the request carries, never with
//! cookies, so neither answer lends a page any ambient authority.

use crate::{model::validate, state::AppState, store};
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// The realm named in a protocol path (`/realms/{realm}/…`, or under `/auth`).
pub(crate) fn realm_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/auth").unwrap_or(path).strip_prefix("/realms/")?;
    rest.split('/').next().filter(|r| !r.is_empty())
}

/// Whether a client of the realm lists `origin` among its Web Origins.
async fn registered(state: &AppState, realm: &str, origin: &str) -> bool {
    let Ok(Some(realm)) = state.registry.realm(realm).await else {
        return false;
    };
    let rows = match state.db.conn().await {
        Ok(mut conn) => store::clients::web_origins_of_realm(&mut conn, &realm.id).await,
        Err(e) => Err(e),
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "reading web origins");
            return false;
        }
    };
    rows.iter().any(|(origins, redirects)| {
        let list = |json: &str| serde_json::from_str::<Vec<String>>(json).unwrap_or_default();
        validate::allowed_origins(&list(origins), &list(redirects)).iter().any(|o| o == origin)
    })
}

/// The middleware: after the plain CORS layer answered, a registered origin gets the exact,
/// credentialed answer.
pub async fn web_origins(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    let realm = realm_of(req.uri().path()).map(str::to_owned);
    let mut res = next.run(req).await;
    let (Some(origin), Some(realm)) = (origin, realm) else {
        return res;
    };
    if registered(&state, &realm, &origin).await {
        if let Ok(value) = HeaderValue::from_str(&origin) {
            let headers = res.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_realm_is_read_from_protocol_paths_only() {
        assert_eq!(super::realm_of("/realms/acme/protocol/openid-connect/token"), Some("acme"));
        assert_eq!(super::realm_of("/auth/realms/acme/protocol/openid-connect/token"), Some("acme"));
        assert_eq!(super::realm_of("/admin/realms/acme/clients"), None);
        assert_eq!(super::realm_of("/realms/"), None);
    }
}
