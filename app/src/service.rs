//! The seam between the pages and the server: a small trait the `server` crate implements
//! and provides through Leptos context. Only the SSR build has it.

use crate::api::{AdminView, ClientSummary};
use http::request::Parts;
use std::sync::Arc;

/// What the console pages need from the server. Every method gets the request, so the
/// implementation authenticates from its session cookie.
#[async_trait::async_trait]
pub trait ConsoleService: Send + Sync + 'static {
    /// The session's CSRF token, created (with the session) when missing.
    async fn csrf_token(&self, request: &Parts) -> Result<String, String>;
    /// The signed-in administrator.
    async fn current_admin(&self, request: &Parts) -> Result<Option<AdminView>, String>;
    /// The clients of `realm`; fails unless an administrator is signed in.
    async fn list_clients(&self, request: &Parts, realm: &str) -> Result<Vec<ClientSummary>, String>;
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
