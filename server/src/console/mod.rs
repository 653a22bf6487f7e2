//! The admin console's server side: sessions (tower-sessions, stored in the database), CSRF
//! tokens, sign-in and sign-out, the guard that sends anonymous visitors to the sign-in page,
//! and the [`app::service::ConsoleService`] the pages call.
//!
//! # Layout
//! - `sessions`: the session store over either database and the cookie settings
//! - `csrf`: synchronizer tokens kept in the session
//! - `login`: `POST /admin/login`, `POST /admin/logout`, and the page guard
//! - `service`: the `ConsoleService` implementation

pub mod csrf;
pub mod login;
pub mod service;
pub mod sessions;

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
        .route("/admin/realms/{realm}/clients", axum::routing::get(login::moved_clients_page))
}
