//! What the admin console's pages exchange with the server: the data each page shows, and the
//! server functions that load it (thin shims over [`crate::service::ConsoleService`]). Every
//! change is a plain form posted to the page's own address (see `components::form`); the
//! server answers with where to go next and leaves a [`Flash`] for that page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Around every console page: who is signed in, where, what they may do, and the outcome of
/// the last change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub username: String,
    pub realm: String,
    /// The realms the administrator may open.
    pub realms: Vec<String>,
    /// The admin permissions held in this realm (`realm-management` role names).
    pub permissions: Vec<String>,
    pub csrf: String,
    pub flash: Option<Flash>,
}

impl Frame {
    /// Whether the administrator holds `permission` here (`realm-admin` holds them all).
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission || p == "realm-admin")
    }
}

/// The outcome of the last change, shown once on the page it led to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub message: String,
    pub error: bool,
    /// Errors beside fields: `(field name, message)`.
    pub fields: Vec<(String, String)>,
    /// What the form held, to fill it again after an error: `(field name, value)`.
    pub values: Vec<(String, String)>,
    /// A client secret just made, shown this once.
    pub secret: Option<String>,
}

impl Flash {
    /// The error beside `field`, if any.
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone())
    }

    /// The value `field` held when the form was sent.
    pub fn value(&self, field: &str) -> Option<String> {
        self.values.iter().find(|(f, _)| f == field).map(|(_, v)| v.clone())
    }
}

/// A row of the OAuth Clients list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRowView {
    pub client_id: String,
    pub name: String,
    pub template: String,
    pub confidential: bool,
    pub enabled: bool,
    pub grant_types: Vec<String>,
}

/// One page of the OAuth Clients list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientListView {
    pub clients: Vec<ClientRowView>,
    pub total: i64,
    pub first: i64,
    pub max: i64,
}

/// A client's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub template: String,
    pub confidential: bool,
    pub enabled: bool,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Origins whose pages may call with credentials (`+`: the redirect URIs' origins).
    pub web_origins: Vec<String>,
    /// Scopes the client may ask for (default ones marked in `default_scopes`).
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    /// `None`: the realm's default, given beside it.
    pub access_token_lifespan: Option<i64>,
    pub realm_access_token_lifespan: i64,
    /// `None`: the realm's default; `Some(0)`: never expires.
    pub refresh_token_lifespan: Option<i64>,
    pub realm_refresh_token_lifespan: i64,
    pub refresh_token_rotation: bool,
    /// Seconds in which a rotated refresh token still returns its successor.
    pub refresh_reuse_window: i64,
    /// `None`: the realm's (RS256).
    pub id_token_alg: Option<String>,
    pub pkce_required: bool,
    pub consent_required: bool,
    pub full_scope_allowed: bool,
    pub not_before: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_by: String,
    pub updated_at: i64,
    /// When the current secret was made (confidential clients).
    pub secret_created_at: Option<i64>,
    /// Until when the previous secret still works, during a grace period.
    pub previous_secret_until: Option<i64>,
}

/// A role as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    /// `name` for a realm role, `client:name` for a client role (what forms send).
    pub key: String,
    /// The owning client; `None` for realm roles.
    pub client_id: Option<String>,
    pub name: String,
    pub description: String,
    /// Who holds it directly (users, and `client:ID` for service accounts); filled on the
    /// Roles page only.
    pub holders: Vec<String>,
}

/// The Service Account Roles tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountView {
    /// `None`: organization (realm) roles; else the client whose roles are shown.
    pub role_client: Option<String>,
    /// The clients that have roles, to choose from under `OAuth Client Roles`.
    pub role_clients: Vec<String>,
    pub available: Vec<RoleView>,
    pub assigned: Vec<RoleView>,
}

/// A live refresh family of the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub family_id: String,
    pub username: String,
    pub started_at: i64,
    pub last_refreshed_at: i64,
    pub offline: bool,
}

/// An audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub detail: String,
}

/// A project and whether the client has access to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: String,
    pub name: String,
    pub granted: bool,
}

/// A client's page: its settings and what the open tab needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPageView {
    pub client: ClientView,
    pub service_account: Option<ServiceAccountView>,
    pub sessions: Vec<SessionView>,
    pub audit: Vec<AuditView>,
    pub projects: Vec<ProjectView>,
    pub now: i64,
}

/// The Roles page: realm roles, or one client's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesView {
    /// `None`: realm roles.
    pub client: Option<String>,
    /// Clients whose roles can be shown.
    pub clients: Vec<String>,
    pub roles: Vec<RoleView>,
}

/// The Realm Settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmSettingsView {
    pub name: String,
    pub display_name: String,
    pub oauth_clients_enabled: bool,
    pub access_token_lifespan: i64,
    pub refresh_token_lifespan: i64,
    pub sso_session_idle_timeout: i64,
    pub sso_session_max_lifespan: i64,
    pub retrievable_secrets: bool,
}

/// The Projects page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectsView {
    pub projects: Vec<ProjectRowView>,
}

/// A project, with the clients that may ask for its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRowView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub clients: Vec<String>,
}

/// The API Reference page: how to call the admin API, and its operations by tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiReferenceView {
    /// This realm's admin API, e.g. `https://id.example.com/admin/realms/default`.
    pub base: String,
    /// This realm's token endpoint.
    pub token_url: String,
    pub groups: Vec<ApiGroup>,
}

/// The operations of one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiGroup {
    pub tag: String,
    pub description: String,
    pub operations: Vec<ApiOperation>,
}

/// One operation: `GET /admin/realms/{realm}/clients`, what it does, and its answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiOperation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// `(status, what it means)`.
    pub responses: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
use crate::api::context;

/// The frame of a console page of `realm` (and the flash left for it, taken now).
#[server(endpoint = "console_frame")]
pub async fn console_frame(realm: String) -> Result<Frame, ServerFnError> {
    let (service, parts) = context().await?;
    service.frame(&parts, &realm).await.map_err(ServerFnError::new)
}

/// A page of the realm's clients matching `q`.
#[server(endpoint = "console_clients")]
pub async fn console_clients(realm: String, q: String, first: i64) -> Result<ClientListView, ServerFnError> {
    let (service, parts) = context().await?;
    service.clients(&parts, &realm, &q, first).await.map_err(ServerFnError::new)
}

/// A client's page, with what `tab` needs (`role_client` picks the roles the Service Account
/// Roles tab shows).
#[server(endpoint = "console_client")]
pub async fn console_client(
    realm: String,
    client_id: String,
    tab: String,
    role_client: Option<String>,
) -> Result<ClientPageView, ServerFnError> {
    let (service, parts) = context().await?;
    service.client(&parts, &realm, &client_id, &tab, role_client.as_deref()).await.map_err(ServerFnError::new)
}

/// The realm's roles, or those of `client`.
#[server(endpoint = "console_roles")]
pub async fn console_roles(realm: String, client: Option<String>) -> Result<RolesView, ServerFnError> {
    let (service, parts) = context().await?;
    service.roles(&parts, &realm, client.as_deref()).await.map_err(ServerFnError::new)
}

/// The realm's settings.
#[server(endpoint = "console_realm_settings")]
pub async fn console_realm_settings(realm: String) -> Result<RealmSettingsView, ServerFnError> {
    let (service, parts) = context().await?;
    service.realm_settings(&parts, &realm).await.map_err(ServerFnError::new)
}

/// The admin API's reference, for the realm's URLs.
#[server(endpoint = "console_api_reference")]
pub async fn console_api_reference(realm: String) -> Result<ApiReferenceView, ServerFnError> {
    let (service, parts) = context().await?;
    service.api_reference(&parts, &realm).await.map_err(ServerFnError::new)
}

/// The realm's projects.
#[server(endpoint = "console_projects")]
pub async fn console_projects(realm: String) -> Result<ProjectsView, ServerFnError> {
    let (service, parts) = context().await?;
    service.projects(&parts, &realm).await.map_err(ServerFnError::new)
}
