//! Keycloak's Admin REST API (`/admin/realms/…`, and under the legacy `/auth` prefix), so
//! `python-keycloak` and `@keycloak/keycloak-admin-client` scripts work unchanged. Every
//! handler authenticates the bearer token (`auth`), calls the same `manage` operation the
//! console and the CLI call (which checks the permission from the stored role mappings), and
//! answers with Keycloak's status codes and bodies (`error`).
//!
//! # Layout
//! - `auth`: the bearer token → `manage::Actor`
//! - `error`: Keycloak's error bodies
//! - `clients`: `/clients`, a client, its secret and its service-account user

pub mod auth;
pub mod clients;
pub mod error;

use crate::state::AppState;
use axum::{routing::get, Router};

/// The routes of one realm's admin API, relative to `/admin/realms/{realm}`.
fn realm_routes() -> Router<AppState> {
    Router::new()
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}", get(clients::get).put(clients::update).delete(clients::delete))
        .route("/clients/{id}/client-secret", get(clients::secret).post(clients::regenerate_secret))
        .route("/clients/{id}/service-account-user", get(clients::service_account_user))
}

/// The admin API, at Keycloak's paths and under the `/auth` prefix of older Keycloaks.
pub fn router() -> Router<AppState> {
    Router::new().nest("/admin/realms/{realm}", realm_routes()).nest("/auth/admin/realms/{realm}", realm_routes())
}
