//! What the Service Connections page exchanges with the server: the realm's connections to
//! third-party APIs (never their secrets or tokens, only whether they are set) and their status.

#[cfg(feature = "ssr")]
use crate::api::context;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One service connection: its settings and its status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub alias: String,
    pub display_name: String,
    /// `client_credentials` or `authorization_code`.
    pub grant_type: String,
    pub token_url: String,
    pub authorization_url: String,
    pub client_id: String,
    /// Whether a client secret is set (the secret itself is never shown again).
    pub has_secret: bool,
    pub client_auth_method: String,
    /// Space-separated.
    pub scopes: String,
    /// The role a service's token needs: `client:role` or a realm role's name.
    pub role: String,
    /// Whether a token is stored.
    pub connected: bool,
    pub expires_at: Option<i64>,
    pub refreshed_at: Option<i64>,
    pub last_error: Option<String>,
    /// The address to register at the provider for the code grant.
    pub callback_url: String,
    /// Where services fetch the token.
    pub token_endpoint: String,
}

/// The realm's service connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionsView {
    pub connections: Vec<ConnectionView>,
    /// Whether the administrator may change them (`manage-realm`).
    pub can_manage: bool,
    pub now: i64,
}

/// The realm's service connections.
#[server(endpoint = "console_service_connections")]
pub async fn console_service_connections(realm: String) -> Result<ConnectionsView, ServerFnError> {
    let (service, parts) = context().await?;
    service.service_connections(&parts, &realm).await.map_err(ServerFnError::new)
}
