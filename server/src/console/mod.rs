//! The admin console's server side: sessions (tower-sessions, stored in the database), CSRF
//! tokens, sign-in and sign-out, the guard that sends anonymous visitors to the sign-in page,
//! and the [`app::service::ConsoleService`] the pages call.
//!
//! # Layout
//! - `sessions`: the session store over either database and the cookie settings
//! - `csrf`: synchronizer tokens kept in the session
//! - `login`: `POST /admin/login`, `POST /admin/logout`, and the page guard
//! - `admin`: the signed-in administrator of a request, as a `manage::Actor`
//! - `forms`: what every form handler shares (fields, CSRF, the answer, the flash)
//! - `flash`: the outcome of a change, kept in the session for the next page
//! - `clients`, `roles`, `realm_settings`: the pages' forms, each calling `manage`
//! - `activity`: the Sessions, Audit Log and Dashboard pages' data, forms and the Audit Log's
//!   export as JSON lines
//! - `service`: the `ConsoleService` implementation (the pages' data)
//! - `users`, `user_data`: the Users pages' forms and their data
//! - `identity_providers`: the Identity Providers pages' data and forms
//! - `service_connections`: the Service Connections page's data and form, and the code flow
//!   an administrator runs to connect one

pub mod activity;
pub mod admin;
pub mod api_keys;
pub mod clients;
pub mod csrf;
pub mod flash;
pub mod forms;
pub mod identity_providers;
pub mod login;
pub mod projects;
pub mod realm_settings;
pub mod roles;
pub mod scopes;
pub mod service;
pub mod service_connections;
pub mod sessions;
pub mod signing_keys;
pub mod user_data;
pub mod users;

use crate::state::AppState;
use axum::{routing::post, Router};

/// The session key holding the signed-in administrator's id.
pub const ADMIN_ID: &str = "admin_id";

/// The console's own routes (the pages themselves are Leptos routes).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/login", post(login::sign_in))
        .route("/admin/logout", post(login::sign_out))
        .route("/admin", axum::routing::get(login::home))
        .route("/admin/switch", axum::routing::get(login::switch_realm))
        // Each console form posts to its page's own address.
        .route("/admin/{realm}/console/clients/new", post(clients::create))
        .route("/admin/{realm}/console/clients/{client_id}/{tab}", post(clients::change))
        .route("/admin/{realm}/console/roles", post(roles::change))
        .route("/admin/{realm}/console/projects", post(projects::create))
        .route("/admin/{realm}/console/api-keys", post(api_keys::change))
        .route("/admin/{realm}/console/client-scopes", post(scopes::change))
        .route("/admin/{realm}/console/realm-settings", post(realm_settings::change))
        .route("/admin/{realm}/console/signing-keys", post(signing_keys::change))
        .route("/admin/{realm}/console/identity-providers/new", post(identity_providers::create))
        .route("/admin/{realm}/console/identity-providers/{alias}", post(identity_providers::update))
        .route("/admin/{realm}/console/identity-providers/{alias}/delete", post(identity_providers::delete))
        .route("/admin/{realm}/console/service-connections", post(service_connections::change))
        .route(
            "/admin/{realm}/console/service-connections/{alias}/connect",
            axum::routing::get(service_connections::connect),
        )
        .route(
            "/admin/{realm}/console/service-connections/{alias}/callback",
            axum::routing::get(service_connections::callback),
        )
        .route("/admin/{realm}/console/users/new", post(users::create))
        .route("/admin/{realm}/console/users/{id}/{tab}", post(users::change))
        .route("/admin/{realm}/console/sessions", post(activity::revoke))
        .route("/admin/{realm}/console/audit-log", post(activity::retention))
        .route("/admin/{realm}/console/audit-log/export", axum::routing::get(activity::export))
}
