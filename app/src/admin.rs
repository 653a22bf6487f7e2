//! What the admin console's pages exchange with the server: the data each page shows, and the
//! server functions that load it (thin shims over [`crate::service::ConsoleService`]). Every
//! change is a plain form posted to the page's own address (see `components::form`); the
//! server answers with where to go next and leaves a [`Flash`] for that page.

pub mod identity_providers;
pub mod service_connections;

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
    /// The realm's scopes `(name, description)`, which the Settings tab picks from.
    pub realm_scopes: Vec<(String, String)>,
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

/// An event of the Audit Log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRowView {
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub client_id: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    /// The event's details, `(key, before, value)`: a setting's change has its value before.
    pub details: Vec<(String, Option<String>, String)>,
}

/// What the Audit Log is filtered by (as typed; times as `datetime-local` values, UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQueryView {
    pub actor: String,
    pub client: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub first: i64,
}

/// The Audit Log page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogView {
    pub events: Vec<AuditRowView>,
    pub total: i64,
    pub first: i64,
    pub max: i64,
    /// The kinds to filter by.
    pub kinds: Vec<String>,
    pub retention_days: i64,
    /// Why the filter was refused, if it was (a bad time).
    pub error: Option<String>,
}

/// An open SSO session of the realm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmSessionView {
    pub id: String,
    pub username: String,
    pub clients: Vec<String>,
    pub ip: Option<String>,
    pub started_at: i64,
    pub last_seen_at: i64,
}

/// The Sessions page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsView {
    pub sessions: Vec<RealmSessionView>,
    pub total: i64,
    pub first: i64,
    pub max: i64,
}

/// A named series of counts, one per interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesView {
    pub name: String,
    pub counts: Vec<i64>,
}

/// The Dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    /// `hour`, `day` or `30d`.
    pub range: String,
    /// The first interval's start and each interval's length, seconds.
    pub from: i64,
    pub bucket: i64,
    pub clients: i64,
    pub users: i64,
    pub sessions: i64,
    pub per_grant: Vec<SeriesView>,
    /// `(client id, tokens)`, most first.
    pub per_client: Vec<(String, i64)>,
    /// `Sign-in failures` and `Client authentication failures`.
    pub failures: Vec<SeriesView>,
    pub recent_changes: Vec<AuditRowView>,
}

/// The realm's audit log filtered by `query`.
#[server(endpoint = "console_audit_log")]
pub async fn console_audit_log(realm: String, query: AuditQueryView) -> Result<AuditLogView, ServerFnError> {
    let (service, parts) = context().await?;
    service.audit_log(&parts, &realm, &query).await.map_err(ServerFnError::new)
}

/// A page of the realm's open SSO sessions.
#[server(endpoint = "console_sessions")]
pub async fn console_sessions(realm: String, first: i64) -> Result<SessionsView, ServerFnError> {
    let (service, parts) = context().await?;
    service.sessions(&parts, &realm, first).await.map_err(ServerFnError::new)
}

/// The realm's dashboard over `range` (`hour`, `day`, `30d`).
#[server(endpoint = "console_dashboard")]
pub async fn console_dashboard(realm: String, range: String) -> Result<DashboardView, ServerFnError> {
    let (service, parts) = context().await?;
    service.dashboard(&parts, &realm, &range).await.map_err(ServerFnError::new)
}

/// A row of the Users list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRowView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub enabled: bool,
    /// Locked by failed sign-ins right now.
    pub locked: bool,
    /// Must choose a new password at the next sign-in.
    pub password_temporary: bool,
}

/// One page of the Users list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListView {
    pub users: Vec<UserRowView>,
    pub total: i64,
    pub first: i64,
    pub max: i64,
}

/// An open SSO session of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSessionView {
    pub id: String,
    pub started_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    /// The clients holding its refresh tokens.
    pub clients: Vec<String>,
}

/// A consent the user remembered for a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserConsentView {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub granted_at: i64,
}

/// A user's page: the user and what the open tab needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPageView {
    pub user: UserRowView,
    pub email_verified: bool,
    pub created_at: i64,
    /// Failed sign-ins counted against the account, the last one, and until when it is locked.
    pub failures: i64,
    pub last_failure: Option<i64>,
    pub locked_until: Option<i64>,
    /// The realm's brute-force policy: failures that lock, for how many seconds.
    pub max_failures: i64,
    pub lockout_seconds: i64,
    pub password_min_length: i64,
    /// The Role Mapping tab (same shape as the Service Account Roles tab).
    pub roles: Option<ServiceAccountView>,
    pub sessions: Vec<UserSessionView>,
    pub consents: Vec<UserConsentView>,
    /// The Identity Provider Links tab.
    pub idp_links: Vec<identity_providers::IdpLinkView>,
    pub now: i64,
}

/// A page of the realm's users matching `q`.
#[server(endpoint = "console_users")]
pub async fn console_users(realm: String, q: String, first: i64) -> Result<UserListView, ServerFnError> {
    let (service, parts) = context().await?;
    service.users(&parts, &realm, &q, first).await.map_err(ServerFnError::new)
}

/// A user's page, with what `tab` needs (`role_client` picks the roles Role Mapping shows).
#[server(endpoint = "console_user")]
pub async fn console_user(
    realm: String,
    id: String,
    tab: String,
    role_client: Option<String>,
) -> Result<UserPageView, ServerFnError> {
    let (service, parts) = context().await?;
    service.user(&parts, &realm, &id, &tab, role_client.as_deref()).await.map_err(ServerFnError::new)
}

/// The Signing Keys page: the realm's keys and the rotation settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeysView {
    /// Newest first within each algorithm (ES256, RS256, EdDSA).
    pub keys: Vec<SigningKeyView>,
    /// Days after which keys rotate by themselves; 0 = never.
    pub rotation_days: i64,
    /// Seconds a new key is published before it signs.
    pub publish_delay: i64,
    pub now: i64,
}

/// One signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyView {
    pub kid: String,
    pub alg: String,
    /// `Active`, `Published`, `Retiring` or `Retired`.
    pub status: String,
    pub created_at: i64,
    pub active_from: i64,
    pub retire_at: Option<i64>,
}

/// The realm's signing keys.
#[server(endpoint = "console_signing_keys")]
pub async fn console_signing_keys(realm: String) -> Result<SigningKeysView, ServerFnError> {
    let (service, parts) = context().await?;
    service.signing_keys(&parts, &realm).await.map_err(ServerFnError::new)
}

/// The API Keys page: the keys the administrator may see, and what a new key may be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeysView {
    pub keys: Vec<ApiKeyView>,
    /// Roles the administrator holds, so may give a key: `name` or `client:name`.
    pub grantable_roles: Vec<String>,
    /// The realm's projects: `(id, name)`.
    pub projects: Vec<(String, String)>,
    /// Whether these are every key of the realm (`view-realm`) or the administrator's own.
    pub all: bool,
    pub now: i64,
}

/// One API key (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub projects: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Whether the administrator may revoke it.
    pub revocable: bool,
}

/// The realm's API keys.
#[server(endpoint = "console_api_keys")]
pub async fn console_api_keys(realm: String) -> Result<ApiKeysView, ServerFnError> {
    let (service, parts) = context().await?;
    service.api_keys(&parts, &realm).await.map_err(ServerFnError::new)
}

/// The Client Scopes page: the realm's scopes and how they imply one another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopesView {
    pub scopes: Vec<ScopeView>,
}

/// One realm scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeView {
    pub id: String,
    pub name: String,
    /// Shown on the consent page.
    pub description: String,
    pub builtin: bool,
    /// What a new client gets of it: `default`, `optional`, or nothing.
    pub new_clients: Option<String>,
    /// The scopes it is configured to imply.
    pub implies: Vec<String>,
    /// Every other scope holding it grants in the end (implications and the built-in rules).
    pub grants: Vec<String>,
    /// The clients that may ask for it.
    pub clients: Vec<String>,
}

/// The realm's scopes.
#[server(endpoint = "console_client_scopes")]
pub async fn console_client_scopes(realm: String) -> Result<ScopesView, ServerFnError> {
    let (service, parts) = context().await?;
    service.client_scopes(&parts, &realm).await.map_err(ServerFnError::new)
}
