//! The seam between the pages and the server: a small trait the `server` crate implements
//! and provides through Leptos context. Only the SSR build has it.

use crate::admin::{
    ApiReferenceView, ClientListView, ClientPageView, Frame, ProjectsView, RealmSettingsView, RolesView,
};
use http::request::Parts;
use std::sync::Arc;

/// What the console pages need from the server. Every method gets the request, so the
/// implementation authenticates from its session cookie.
#[async_trait::async_trait]
pub trait ConsoleService: Send + Sync + 'static {
    /// The session's CSRF token, created (with the session) when missing.
    async fn csrf_token(&self, request: &Parts) -> Result<String, String>;
    /// The frame of a console page of `realm`; takes the flash left for it.
    async fn frame(&self, request: &Parts, realm: &str) -> Result<Frame, String>;
    /// A page of the realm's clients matching `q`, from `first`.
    async fn clients(&self, request: &Parts, realm: &str, q: &str, first: i64) -> Result<ClientListView, String>;
    /// A client's page with what `tab` needs.
    async fn client(
        &self,
        request: &Parts,
        realm: &str,
        client_id: &str,
        tab: &str,
        role_client: Option<&str>,
    ) -> Result<ClientPageView, String>;
    /// The realm's roles, or `client`'s.
    async fn roles(&self, request: &Parts, realm: &str, client: Option<&str>) -> Result<RolesView, String>;
    /// The realm's settings.
    async fn realm_settings(&self, request: &Parts, realm: &str) -> Result<RealmSettingsView, String>;
    /// The realm's projects, with the clients that may use each.
    async fn projects(&self, request: &Parts, realm: &str) -> Result<ProjectsView, String>;
    /// The realm's scopes, their implications and what new clients get.
    async fn client_scopes(&self, request: &Parts, realm: &str) -> Result<crate::admin::ScopesView, String>;
    /// The API keys the administrator may see in `realm`, and what a new one may hold.
    async fn api_keys(&self, request: &Parts, realm: &str) -> Result<crate::admin::ApiKeysView, String>;
    /// The realm's identity providers (`view-identity-providers`).
    async fn identity_providers(
        &self,
        request: &Parts,
        realm: &str,
    ) -> Result<crate::admin::identity_providers::IdpListView, String>;
    /// One identity provider by alias.
    async fn identity_provider(
        &self,
        request: &Parts,
        realm: &str,
        alias: &str,
    ) -> Result<crate::admin::identity_providers::IdpView, String>;
    /// The realm's service connections (`view-realm`).
    async fn service_connections(
        &self,
        request: &Parts,
        realm: &str,
    ) -> Result<crate::admin::service_connections::ConnectionsView, String>;
    /// The admin API's reference (for any signed-in administrator of `realm`).
    async fn api_reference(&self, request: &Parts, realm: &str) -> Result<ApiReferenceView, String>;
    /// A page of the realm's users matching `q`, from `first`.
    async fn users(
        &self,
        request: &Parts,
        realm: &str,
        q: &str,
        first: i64,
    ) -> Result<crate::admin::UserListView, String>;
    /// A user's page with what `tab` needs.
    async fn user(
        &self,
        request: &Parts,
        realm: &str,
        id: &str,
        tab: &str,
        role_client: Option<&str>,
    ) -> Result<crate::admin::UserPageView, String>;
    /// The realm's audit log, filtered.
    async fn audit_log(
        &self,
        request: &Parts,
        realm: &str,
        query: &crate::admin::AuditQueryView,
    ) -> Result<crate::admin::AuditLogView, String>;
    /// A page of the realm's open SSO sessions, from `first`.
    async fn sessions(&self, request: &Parts, realm: &str, first: i64) -> Result<crate::admin::SessionsView, String>;
    /// The realm's dashboard over `range`.
    async fn dashboard(&self, request: &Parts, realm: &str, range: &str)
        -> Result<crate::admin::DashboardView, String>;
    /// The realm's signing keys and their rotation settings.
    async fn signing_keys(&self, request: &Parts, realm: &str) -> Result<crate::admin::SigningKeysView, String>;
}

/// The service as held in context.
pub type SharedConsole = Arc<dyn ConsoleService>;

/// What the end-user pages (sign-in, consent, logout) need from the server.
#[async_trait::async_trait]
pub trait FlowService: Send + Sync + 'static {
    /// The sign-in page of `realm`, for the pending request `rid` if any.
    async fn login_view(
        &self,
        request: &Parts,
        realm: &str,
        rid: Option<&str>,
    ) -> Result<crate::api::LoginView, String>;
    /// The consent page for the pending request `rid`.
    async fn consent_view(&self, request: &Parts, realm: &str, rid: &str) -> Result<crate::api::ConsentView, String>;
    /// The logout confirmation page.
    async fn logout_view(&self, request: &Parts, realm: &str) -> Result<crate::api::LogoutView, String>;
    /// The device page, with the request `rid` waiting for approval if any.
    async fn device_view(
        &self,
        request: &Parts,
        realm: &str,
        rid: Option<&str>,
    ) -> Result<crate::api::DeviceView, String>;
}

/// The flow service as held in context.
pub type SharedFlow = Arc<dyn FlowService>;
