//! What the pages exchange with the server: plain data types and the server functions.
//! Each server function is a three-line shim over [`crate::service::ConsoleService`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The console service and the request, inside a server function.
#[cfg(feature = "ssr")]
pub(crate) async fn context() -> Result<(crate::service::SharedConsole, http::request::Parts), ServerFnError> {
    let service =
        use_context::<crate::service::SharedConsole>().ok_or_else(|| ServerFnError::new("console service missing"))?;
    let parts = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("request missing"))?;
    Ok((service, parts))
}

/// The CSRF token of this browser session, created on first use.
#[server]
pub async fn csrf_token() -> Result<String, ServerFnError> {
    let (service, parts) = context().await?;
    service.csrf_token(&parts).await.map_err(ServerFnError::new)
}

/// What the end-user sign-in page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginView {
    pub realm_display: String,
    /// The application the user signs in to, when the page serves an authorization request.
    pub client_name: Option<String>,
    pub csrf: String,
    pub login_hint: Option<String>,
    /// Set when the browser is already signed in to the realm and no request is pending.
    pub signed_in_as: Option<String>,
    /// Set when the user just signed in with a temporary password and must choose a new one
    /// before going on: their username.
    pub update_password_for: Option<String>,
    /// The realm's password policy: the fewest characters a password may have.
    pub password_min_length: i64,
    /// The realm's enabled identity providers, in display order: "Sign in with …" links.
    #[serde(default)]
    pub providers: Vec<ProviderLink>,
    /// Set when a first sign-in through an identity provider waits for its profile to be
    /// reviewed (Keycloak's first broker login).
    #[serde(default)]
    pub review_profile: Option<ReviewProfileView>,
}

/// The review page of a first sign-in through an identity provider: what the new account will
/// be called, prefilled from the provider (or as last typed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewProfileView {
    /// The provider's display name.
    pub provider: String,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// A "Sign in with {display_name}" link of the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderLink {
    pub alias: String,
    pub display_name: String,
    /// `/realms/{realm}/broker/{alias}/login?rid=…`: a plain link, JavaScript or not.
    pub href: String,
}

/// One scope on the consent page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeView {
    pub name: String,
    pub description: String,
}

/// What the consent page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    pub realm_display: String,
    pub client_name: String,
    pub client_id: String,
    pub username: String,
    pub scopes: Vec<ScopeView>,
    pub csrf: String,
}

/// What the logout confirmation page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutView {
    pub realm_display: String,
    pub csrf: String,
    pub signed_in_as: Option<String>,
}

#[cfg(feature = "ssr")]
async fn flow_context() -> Result<(crate::service::SharedFlow, http::request::Parts), ServerFnError> {
    let service =
        use_context::<crate::service::SharedFlow>().ok_or_else(|| ServerFnError::new("flow service missing"))?;
    let parts = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("request missing"))?;
    Ok((service, parts))
}

/// The sign-in page's data.
#[server]
pub async fn load_login(realm: String, rid: Option<String>) -> Result<LoginView, ServerFnError> {
    let (service, parts) = flow_context().await?;
    service.login_view(&parts, &realm, rid.as_deref()).await.map_err(ServerFnError::new)
}

/// The consent page's data.
#[server]
pub async fn load_consent(realm: String, rid: String) -> Result<ConsentView, ServerFnError> {
    let (service, parts) = flow_context().await?;
    service.consent_view(&parts, &realm, &rid).await.map_err(ServerFnError::new)
}

/// The logout page's data.
#[server]
pub async fn load_logout(realm: String) -> Result<LogoutView, ServerFnError> {
    let (service, parts) = flow_context().await?;
    service.logout_view(&parts, &realm).await.map_err(ServerFnError::new)
}

/// The device confirmation screen (RFC 8628 §5.4: say who asks, for what, when, from where).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceConfirm {
    pub client_name: String,
    pub client_id: String,
    pub username: String,
    pub scopes: Vec<ScopeView>,
    /// When the device asked, e.g. `2026-11-23 14:02 UTC (2 minutes ago)`.
    pub requested_at: String,
    /// The address the device asked from.
    pub requester_ip: String,
}

/// What the device page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub realm_display: String,
    pub csrf: String,
    /// Set when `rid` names a request waiting for approval in this browser.
    pub confirm: Option<DeviceConfirm>,
}

/// The device page's data.
#[server]
pub async fn load_device(realm: String, rid: Option<String>) -> Result<DeviceView, ServerFnError> {
    let (service, parts) = flow_context().await?;
    service.device_view(&parts, &realm, rid.as_deref()).await.map_err(ServerFnError::new)
}
