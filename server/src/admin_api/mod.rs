//! Keycloak's Admin REST API (`/admin/realms/…`, and under the legacy `/auth` prefix), so
//! `python-keycloak` and `@keycloak/keycloak-admin-client` scripts work unchanged. Every
//! handler authenticates the bearer token (`auth`), calls the same `manage` operation the
//! console and the CLI call (which checks the permission from the stored role mappings), and
//! answers with Keycloak's status codes and bodies (`error`).
//!
//! Every route is registered through `utoipa_axum::routes!` from its handler's
//! `#[utoipa::path]`, so the OpenAPI document served at `/admin/openapi.json` is made from the
//! same declarations as the router: a route cannot be served without being described. (The
//! trailing-slash and `/auth` aliases are the only routes added beside it, as aliases.)
//!
//! # Layout
//! - `api_keys`: API keys (Portcullis), made, listed, changed and revoked
//! - `activity`: the realm's SSO sessions and its authentication failures over time
//! - `auth`: the bearer token → `manage::Actor`
//! - `cors`: CORS for browser pages, from the token's client's Web Origins
//! - `error`: Keycloak's error bodies
//! - `identity_providers`: upstream providers (`identity-provider/instances`) and users' links
//!   to upstream accounts (`federated-identity`)
//! - `keys`: the signing keys (Keycloak's `/keys`), their rotation and its settings
//! - `model`: Keycloak's representations and the path parameters, typed and documented
//! - `openapi`: the document's frame (title, tags, security) and its route
//! - `clients`: `/clients`, a client, its secret and its service-account user
//! - `portcullis`: Portcullis's own objects beside Keycloak's: projects, the audit log, token stats
//! - `realms`: the realms, a realm's settings, `push-revocation`, `/admin/serverinfo`
//! - `roles`: realm roles, a client's roles, `roles-by-id`
//! - `scopes`: client scopes and a client's default and optional ones
//! - `users`: users, their passwords and their (and service accounts') role mappings

pub mod activity;
pub mod api_keys;
pub mod auth;
pub mod clients;
pub mod cors;
pub mod error;
pub mod identity_providers;
pub mod keys;
pub mod model;
pub mod openapi;
pub mod portcullis;
pub mod realms;
pub mod roles;
pub mod scopes;
pub mod user_consents;
pub mod users;

use crate::state::AppState;
use axum::{middleware, routing::get, Router};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes of one realm's admin API, relative to `/admin/realms/{realm}`.
fn realm_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(realms::get, realms::update, realms::delete))
        .routes(routes!(realms::push_revocation))
        .routes(routes!(realms::logout_all))
        .routes(routes!(portcullis::projects, portcullis::create_project))
        .routes(routes!(portcullis::project, portcullis::update_project, portcullis::delete_project))
        .routes(routes!(portcullis::audit_events))
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::get, api_keys::update, api_keys::revoke))
        .routes(routes!(portcullis::token_stats))
        .routes(routes!(activity::auth_failure_stats))
        .routes(routes!(activity::sessions))
        .routes(routes!(activity::delete_session))
        .routes(routes!(activity::client_session_stats))
        .routes(routes!(keys::list))
        .routes(routes!(keys::rotate))
        .routes(routes!(keys::get_rotation, keys::update_rotation))
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::update, clients::delete))
        .routes(routes!(clients::secret, clients::regenerate_secret))
        .routes(routes!(clients::service_account_user))
        .routes(routes!(realms::push_revocation_of_client))
        .routes(routes!(clients::user_sessions))
        .routes(routes!(clients::session_count))
        .routes(routes!(roles::client_list, roles::client_create))
        .routes(routes!(roles::client_get, roles::client_update, roles::client_delete))
        .routes(routes!(scopes::list, scopes::create))
        .routes(routes!(scopes::get, scopes::update, scopes::delete))
        .routes(routes!(scopes::defaults))
        .routes(routes!(scopes::add_default, scopes::remove_default))
        .routes(routes!(scopes::optionals))
        .routes(routes!(scopes::realm_defaults))
        .routes(routes!(scopes::add_realm_default, scopes::remove_realm_default))
        .routes(routes!(scopes::realm_optionals))
        .routes(routes!(scopes::add_realm_optional, scopes::remove_realm_optional))
        .routes(routes!(scopes::add_optional, scopes::remove_optional))
        .routes(routes!(roles::realm_list, roles::realm_create))
        .routes(routes!(roles::realm_get, roles::realm_update, roles::realm_delete))
        .routes(routes!(roles::by_id))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::count))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::sessions))
        .routes(routes!(user_consents::list))
        .routes(routes!(user_consents::revoke))
        .routes(routes!(users::logout))
        .routes(routes!(users::mappings))
        .routes(routes!(users::realm_list, users::realm_add, users::realm_remove))
        .routes(routes!(users::realm_available))
        .routes(routes!(users::realm_composite))
        .routes(routes!(users::client_list, users::client_add, users::client_remove))
        .routes(routes!(users::client_available))
        .routes(routes!(users::client_composite))
        .routes(routes!(users::unlock_all))
        .routes(routes!(users::brute_force_status, users::unlock))
        .routes(routes!(identity_providers::list, identity_providers::create))
        .routes(routes!(identity_providers::get, identity_providers::update, identity_providers::delete))
        .routes(routes!(identity_providers::federated_identities))
        .routes(routes!(identity_providers::link, identity_providers::unlink))
        // keycloak-admin-client writes collections with a trailing slash (`…/clients/`),
        // which Keycloak (JAX-RS) takes as the same address: aliases, not new routes.
        .route("/clients/", get(clients::list).post(clients::create))
        .route("/clients/{id}/roles/", get(roles::client_list).post(roles::client_create))
        .route("/client-scopes/", get(scopes::list).post(scopes::create))
        .route("/roles/", get(roles::realm_list).post(roles::realm_create))
        .route("/users/", get(users::list).post(users::create))
}

/// The whole admin API, with its document.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::frame())
        .routes(routes!(realms::list, realms::create))
        .routes(routes!(realms::server_info))
        .nest("/admin/realms/{realm}", realm_routes())
        .route("/admin/realms/", get(realms::list).post(realms::create))
}

/// The admin API at Keycloak's paths and under the `/auth` prefix of older Keycloaks, and its
/// OpenAPI document at `/admin/openapi.json`.
pub fn router() -> Router<AppState> {
    let api: Router<AppState> = api().into();
    Router::new().merge(api.clone()).nest("/auth", api).layer(middleware::from_fn(cors::admin)).merge(openapi::router())
}
