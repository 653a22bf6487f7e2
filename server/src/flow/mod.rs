//! The browser side of signing in: SSO sessions, pending authorization requests, the
//! brute-force guard, and the form handlers behind the login, consent and logout pages.
//!
//! # Layout
//! - `sso`: who is signed in to which realm in this browser (tower-sessions + `user_sessions`)
//! - `pending`: validated authorization requests waiting for sign-in or consent
//! - `broker`, `broker_token`: sign-in through upstream providers, and the upstream tokens kept
//!   for apps (the token vault); `first_login`: the review of a first sign-in's profile
//! - `service_token`: service connections' tokens served to services, and kept fresh
//! - `brute_force`: password sign-in with growing delays and temporary lockout
//! - `update_password`: a temporary password replaced before the sign-in continues
//! - `login`, `consent`, `logout`, `device`: `POST /realms/{realm}/login-actions/*`
//! - `service`: what the Leptos pages read (`app::service::FlowService`)

pub mod broker;
pub mod broker_token;
pub mod brute_force;
pub mod consent;
pub mod device;
pub mod first_login;
pub mod login;
pub mod logout;
pub mod pending;
pub mod service;
pub mod service_token;
pub mod sso;
pub mod update_password;

use crate::state::AppState;
use axum::{routing::post, Router};

/// Paths of the pages (Leptos routes) and their form handlers, below `/realms/{realm}`.
pub mod paths {
    pub const LOGIN_PAGE: &str = "/login";
    pub const CONSENT_PAGE: &str = "/consent";
    pub const LOGOUT_PAGE: &str = "/logout";
    pub const LOGGED_OUT_PAGE: &str = "/logged-out";
    pub const AUTHENTICATE: &str = "/login-actions/authenticate";
    pub const UPDATE_PASSWORD: &str = "/login-actions/update-password";
    pub const FIRST_BROKER_LOGIN: &str = "/login-actions/first-broker-login";
    pub const CONSENT: &str = "/login-actions/consent";
    pub const LOGOUT: &str = "/login-actions/logout";
    pub const DEVICE_PAGE: &str = "/device";
    pub const DEVICE_CODE: &str = "/login-actions/device";
    pub const DEVICE_DECISION: &str = "/login-actions/device-decision";
}

/// The enabled realm `name`, or the page a browser gets for an unknown one.
pub async fn realm_or_page(
    state: &AppState,
    name: &str,
) -> Result<std::sync::Arc<crate::registry::Realm>, axum::response::Response> {
    match state.registry.realm(name).await {
        Ok(Some(r)) if r.settings.enabled => Ok(r),
        Ok(_) => Err(crate::oauth::authorize::error_page(
            axum::http::StatusCode::NOT_FOUND,
            "Unknown realm",
            "This realm does not exist.",
        )),
        Err(e) => Err(crate::unavailable::failure_page("loading realm", e)),
    }
}

/// `/realms/{realm}{path}`, for redirects.
pub fn realm_path(realm: &str, path: &str) -> String {
    format!("/realms/{realm}{path}")
}

/// The form handlers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(&format!("/realms/{{realm}}{}", paths::AUTHENTICATE), post(login::authenticate))
        .route(&format!("/realms/{{realm}}{}", paths::UPDATE_PASSWORD), post(update_password::update))
        .route(&format!("/realms/{{realm}}{}", paths::FIRST_BROKER_LOGIN), post(first_login::review))
        .route(&format!("/realms/{{realm}}{}", paths::CONSENT), post(consent::decide))
        .route(&format!("/realms/{{realm}}{}", paths::LOGOUT), post(logout::confirm))
        .route(&format!("/realms/{{realm}}{}", paths::DEVICE_CODE), post(device::enter_code))
        .route(&format!("/realms/{{realm}}{}", paths::DEVICE_DECISION), post(device::decide))
}
