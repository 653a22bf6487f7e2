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
//! - `portcullis`: Portcullis's own objects beside Keycloak's: projects, the audit log
//! - `realms`: the realms, a realm's settings, `push-revocation`, `/admin/serverinfo`
//! - `roles`: realm roles, a client's roles, `roles-by-id`
//! - `scopes`: client scopes and a client's default and optional ones
//! - `users`: users, their passwords and their (and service accounts') role mappings

pub mod auth;
pub mod clients;
pub mod error;
pub mod portcullis;
pub mod realms;
pub mod roles;
pub mod scopes;
pub mod users;

use crate::state::AppState;
use axum::{
    routing::{get, post, put},
    Router,
};

/// The routes of one realm's admin API, relative to `/admin/realms/{realm}`.
fn realm_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(realms::get).put(realms::update).delete(realms::delete))
        .route("/push-revocation", post(realms::push_revocation))
        .route("/logout-all", post(realms::logout_all))
        .route("/projects", get(portcullis::projects).post(portcullis::create_project))
        .route("/audit-events", get(portcullis::audit_events))
        // keycloak-admin-client writes collections with a trailing slash (`…/clients/`),
        // which Keycloak (JAX-RS) takes as the same address.
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/", get(clients::list).post(clients::create))
        .route("/clients/{id}", get(clients::get).put(clients::update).delete(clients::delete))
        .route("/clients/{id}/client-secret", get(clients::secret).post(clients::regenerate_secret))
        .route("/clients/{id}/service-account-user", get(clients::service_account_user))
        .route("/clients/{id}/push-revocation", post(realms::push_revocation_of_client))
        .route("/clients/{id}/user-sessions", get(clients::user_sessions))
        .route("/clients/{id}/session-count", get(clients::session_count))
        .route("/clients/{id}/roles", get(roles::client_list).post(roles::client_create))
        .route("/clients/{id}/roles/", get(roles::client_list).post(roles::client_create))
        .route(
            "/clients/{id}/roles/{name}",
            get(roles::client_get).put(roles::client_update).delete(roles::client_delete),
        )
        .route("/client-scopes", get(scopes::list).post(scopes::create))
        .route("/client-scopes/", get(scopes::list).post(scopes::create))
        .route("/client-scopes/{id}", get(scopes::get).put(scopes::update).delete(scopes::delete))
        .route("/clients/{id}/default-client-scopes", get(scopes::defaults))
        .route("/clients/{id}/default-client-scopes/{scope}", put(scopes::add_default).delete(scopes::remove))
        .route("/clients/{id}/optional-client-scopes", get(scopes::optionals))
        .route("/clients/{id}/optional-client-scopes/{scope}", put(scopes::add_optional).delete(scopes::remove))
        .route("/roles", get(roles::realm_list).post(roles::realm_create))
        .route("/roles/", get(roles::realm_list).post(roles::realm_create))
        .route("/roles/{name}", get(roles::realm_get).put(roles::realm_update).delete(roles::realm_delete))
        .route("/roles-by-id/{id}", get(roles::by_id))
        .route("/users", get(users::list).post(users::create))
        .route("/users/", get(users::list).post(users::create))
        .route("/users/count", get(users::count))
        .route("/users/{id}", get(users::get).put(users::update).delete(users::delete))
        .route("/users/{id}/reset-password", put(users::reset_password))
        .route("/users/{id}/sessions", get(users::sessions))
        .route("/users/{id}/logout", post(users::logout))
        .route("/users/{id}/role-mappings", get(users::mappings))
        .route(
            "/users/{id}/role-mappings/realm",
            get(users::realm_list).post(users::realm_add).delete(users::realm_remove),
        )
        .route("/users/{id}/role-mappings/realm/available", get(users::realm_available))
        .route("/users/{id}/role-mappings/realm/composite", get(users::realm_composite))
        .route("/users/{id}/role-mappings/clients/{client}/available", get(users::client_available))
        .route("/users/{id}/role-mappings/clients/{client}/composite", get(users::client_composite))
        .route("/attack-detection/brute-force/users", axum::routing::delete(users::unlock_all))
        .route("/attack-detection/brute-force/users/{id}", get(users::brute_force_status).delete(users::unlock))
        .route(
            "/users/{id}/role-mappings/clients/{client}",
            get(users::client_list).post(users::client_add).delete(users::client_remove),
        )
}

/// The admin API, at Keycloak's paths and under the `/auth` prefix of older Keycloaks.
pub fn router() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in ["", "/auth"] {
        router = router
            .route(&format!("{prefix}/admin/realms"), get(realms::list).post(realms::create))
            .route(&format!("{prefix}/admin/realms/"), get(realms::list).post(realms::create))
            .route(&format!("{prefix}/admin/serverinfo"), get(realms::server_info))
            .nest(&format!("{prefix}/admin/realms/{{realm}}"), realm_routes());
    }
    router
}
