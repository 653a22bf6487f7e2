//! The protocol endpoints under `/realms/{realm}` (and the Keycloak legacy alias
//! `/auth/realms/{realm}`).
//!
//! [`endpoints`] is the single list of what is served: the router mounts it and discovery
//! publishes it, so the metadata cannot disagree with the routes.
//!
//! # Layout
//! - `error`: the protocol error enum and its response shape
//! - `form`: the form extractor (content type, size, repeated parameters)
//! - `client_auth`: `client_secret_basic | client_secret_post | none`, before any grant
//! - `grant`: the token endpoint, one file per grant type
//! - `access_token`: RFC 9068 JWT access tokens, issued and verified
//! - `discovery`, `jwks`, `introspect`, `revoke`, `userinfo`: one endpoint each
//! - `refresh_envelope`: refresh tokens in the shape of a JWT (keycloak-js decodes them)
//! - `login_status`: keycloak-js's login-status iframe, its third-party cookie check, and the
//!   readable session cookie the iframe compares with

pub mod access_token;
pub mod authorize;
pub mod client_auth;
pub mod cors;
pub mod device;
pub mod discovery;
pub mod error;
pub mod form;
pub mod grant;
pub mod id_token;
pub mod introspect;
pub mod jwks;
pub mod login_status;
pub mod realm_info;
pub mod refresh_envelope;
pub mod revoke;
pub mod tokens;
pub mod userinfo;

use crate::{registry::Realm, state::AppState};
use axum::{
    routing::{get, post, MethodRouter},
    Router,
};
use error::OAuthError;
use std::sync::Arc;

/// The canonical prefix of a realm's endpoints.
pub const REALM_PREFIX: &str = "/realms/{realm}";
/// Keycloak's pre-17 prefix, kept as an alias so existing adapters work unchanged.
pub const LEGACY_REALM_PREFIX: &str = "/auth/realms/{realm}";

/// Paths below the realm prefix.
pub mod paths {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const AUTH: &str = "/protocol/openid-connect/auth";
    pub const DEVICE_AUTH: &str = "/protocol/openid-connect/auth/device";
    pub const LOGOUT: &str = "/protocol/openid-connect/logout";
    pub const TOKEN: &str = "/protocol/openid-connect/token";
    pub const INTROSPECT: &str = "/protocol/openid-connect/token/introspect";
    pub const REVOKE: &str = "/protocol/openid-connect/revoke";
    pub const CERTS: &str = "/protocol/openid-connect/certs";
    pub const USERINFO: &str = "/protocol/openid-connect/userinfo";
    pub const LOGIN_STATUS_IFRAME: &str = "/protocol/openid-connect/login-status-iframe.html";
    pub const LOGIN_STATUS_INIT: &str = "/protocol/openid-connect/login-status-iframe.html/init";
    pub const THIRD_PARTY_COOKIES_STEP1: &str = "/protocol/openid-connect/3p-cookies/step1.html";
    pub const THIRD_PARTY_COOKIES_STEP2: &str = "/protocol/openid-connect/3p-cookies/step2.html";
    /// Identity brokering (PRODUCT §10), Keycloak's paths.
    pub const BROKER_LOGIN: &str = "/broker/{alias}/login";
    pub const BROKER_ENDPOINT: &str = "/broker/{alias}/endpoint";
    pub const BROKER_TOKEN: &str = "/broker/{alias}/token";
    pub const SERVICE_CONNECTION_TOKEN: &str = "/service-connections/{alias}/token";
    /// RFC 8414 §3: the metadata path is inserted before the issuer's path.
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server/realms/{realm}";
}

/// One served endpoint: its path below the realm prefix, the discovery field that advertises
/// it (if any), its handlers, and whether browsers use it (then it gets the session layer).
pub struct Endpoint {
    pub path: &'static str,
    pub metadata: Option<&'static str>,
    pub route: MethodRouter<AppState>,
    pub browser: bool,
}

/// Every protocol endpoint of a realm.
pub fn endpoints() -> Vec<Endpoint> {
    let ep = |path, metadata, route| Endpoint { path, metadata, route, browser: false };
    let browser = |path, metadata, route| Endpoint { path, metadata, route, browser: true };
    vec![
        ep("", None, get(realm_info::realm_info)),
        ep(paths::DISCOVERY, None, get(discovery::openid_configuration)),
        browser(paths::AUTH, Some("authorization_endpoint"), get(authorize::authorize).post(authorize::authorize)),
        ep(paths::DEVICE_AUTH, Some("device_authorization_endpoint"), post(device::device_authorization)),
        ep(paths::TOKEN, Some("token_endpoint"), post(grant::token)),
        ep(paths::INTROSPECT, Some("introspection_endpoint"), post(introspect::introspect)),
        ep(paths::REVOKE, Some("revocation_endpoint"), post(revoke::revoke)),
        ep(paths::CERTS, Some("jwks_uri"), get(jwks::certs)),
        ep(paths::USERINFO, Some("userinfo_endpoint"), get(userinfo::userinfo).post(userinfo::userinfo)),
        browser(
            paths::LOGOUT,
            Some("end_session_endpoint"),
            get(crate::flow::logout::end_session).post(crate::flow::logout::end_session),
        ),
        ep(paths::LOGIN_STATUS_IFRAME, Some("check_session_iframe"), get(login_status::iframe)),
        ep(paths::LOGIN_STATUS_INIT, None, get(login_status::init)),
        ep(paths::THIRD_PARTY_COOKIES_STEP1, None, get(login_status::step1)),
        ep(paths::THIRD_PARTY_COOKIES_STEP2, None, get(login_status::step2)),
        browser(paths::BROKER_LOGIN, None, get(crate::flow::broker::login)),
        browser(paths::BROKER_ENDPOINT, None, get(crate::flow::broker::endpoint)),
        ep(paths::BROKER_TOKEN, None, get(crate::flow::broker_token::token)),
        ep(paths::SERVICE_CONNECTION_TOKEN, None, get(crate::flow::service_token::token)),
    ]
}

/// The protocol routers, every endpoint under both prefixes: `(api, browser)`. The API router
/// (plus RFC 8414 metadata) carries no session; the browser endpoints get the session layer.
pub fn routers() -> (Router<AppState>, Router<AppState>) {
    let mut api = Router::new().route(paths::OAUTH_METADATA, get(discovery::oauth_authorization_server));
    let mut browser = Router::new();
    for endpoint in endpoints() {
        for prefix in [REALM_PREFIX, LEGACY_REALM_PREFIX] {
            let path = format!("{prefix}{}", endpoint.path);
            if endpoint.browser {
                browser = browser.route(&path, endpoint.route.clone());
            } else {
                api = api.route(&path, endpoint.route.clone());
            }
        }
    }
    let api = api.method_not_allowed_fallback(|| async {
        OAuthError::invalid_request("method not allowed").with_status(axum::http::StatusCode::METHOD_NOT_ALLOWED)
    });
    (api, browser)
}

/// The enabled realm `name`, or the 404 protocol error.
pub async fn load_realm(state: &AppState, name: &str) -> Result<Arc<Realm>, OAuthError> {
    match state.registry.realm(name).await? {
        Some(realm) if realm.settings.enabled => Ok(realm),
        _ => Err(OAuthError::realm_not_found()),
    }
}
