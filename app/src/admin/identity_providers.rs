//! What the Identity Providers pages and a user's Identity Provider Links tab exchange with the
//! server: the realm's providers (never their client secrets, only whether one is set) and a
//! user's links to upstream accounts.

#[cfg(feature = "ssr")]
use crate::api::context;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One identity provider's settings, as the list and the edit page show them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpView {
    pub alias: String,
    pub display_name: String,
    /// `oidc` or `oauth2`.
    pub kind: String,
    pub enabled: bool,
    pub discovery_url: String,
    pub issuer: String,
    pub authorization_url: String,
    pub token_url: String,
    pub userinfo_url: String,
    pub jwks_url: String,
    pub client_id: String,
    /// Whether a client secret is set (the secret itself is never shown again).
    pub has_secret: bool,
    pub client_auth_method: String,
    /// Space-separated.
    pub scopes: String,
    pub pkce: bool,
    pub username_claim: String,
    pub email_claim: String,
    pub name_claim: String,
    pub store_tokens: bool,
    pub trust_email: bool,
    pub gui_order: i64,
    /// `on`, `missing` or `off`: when a first sign-in shows the upstream profile for review.
    pub first_login_review: String,
    /// The address to register at the upstream: `{public_url}/realms/{realm}/broker/{alias}/endpoint`.
    pub redirect_uri: String,
    pub updated_at: i64,
}

/// The realm's identity providers, in sign-in page order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpListView {
    pub providers: Vec<IdpView>,
}

/// A user's link to an upstream account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpLinkView {
    pub alias: String,
    /// The provider's display name (its alias when the administrator may not read providers).
    pub display_name: String,
    /// The upstream username and user id (`sub`).
    pub username: String,
    pub subject: String,
    pub linked_at: i64,
}

/// The realm's identity providers.
#[server(endpoint = "console_identity_providers")]
pub async fn console_identity_providers(realm: String) -> Result<IdpListView, ServerFnError> {
    let (service, parts) = context().await?;
    service.identity_providers(&parts, &realm).await.map_err(ServerFnError::new)
}

/// One identity provider by alias.
#[server(endpoint = "console_identity_provider")]
pub async fn console_identity_provider(realm: String, alias: String) -> Result<IdpView, ServerFnError> {
    let (service, parts) = context().await?;
    service.identity_provider(&parts, &realm, &alias).await.map_err(ServerFnError::new)
}
