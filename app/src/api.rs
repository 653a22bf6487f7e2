//! What the pages exchange with the server: plain data types and the server functions.
//! Each server function is a three-line shim over [`crate::service::ConsoleService`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A client as the console's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSummary {
    pub client_id: String,
    pub name: String,
    pub template: String,
    /// `confidential` or `public`.
    pub kind: String,
    pub enabled: bool,
    pub grant_types: Vec<String>,
    pub created_at: i64,
}

impl ClientSummary {
    /// Whether the client matches a free-text filter (id, name, template or grant).
    pub fn matches(&self, filter: &str) -> bool {
        let f = filter.trim().to_lowercase();
        f.is_empty()
            || self.client_id.to_lowercase().contains(&f)
            || self.name.to_lowercase().contains(&f)
            || self.template.to_lowercase().contains(&f)
            || self.grant_types.iter().any(|g| g.contains(&f))
    }
}

/// The signed-in administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminView {
    pub username: String,
    pub realms: Vec<String>,
}

#[cfg(feature = "ssr")]
async fn context() -> Result<(crate::service::SharedConsole, http::request::Parts), ServerFnError> {
    let service = use_context::<crate::service::SharedConsole>()
        .ok_or_else(|| ServerFnError::new("console service missing"))?;
    let parts = use_context::<http::request::Parts>()
        .ok_or_else(|| ServerFnError::new("request missing"))?;
    Ok((service, parts))
}

/// The CSRF token of this browser session, created on first use.
#[server]
pub async fn csrf_token() -> Result<String, ServerFnError> {
    let (service, parts) = context().await?;
    service.csrf_token(&parts).await.map_err(ServerFnError::new)
}

/// The signed-in administrator, if any.
#[server]
pub async fn current_admin() -> Result<Option<AdminView>, ServerFnError> {
    let (service, parts) = context().await?;
    service
        .current_admin(&parts)
        .await
        .map_err(ServerFnError::new)
}

/// The clients of a realm (needs a signed-in administrator).
#[server]
pub async fn list_clients(realm: String) -> Result<Vec<ClientSummary>, ServerFnError> {
    let (service, parts) = context().await?;
    service
        .list_clients(&parts, &realm)
        .await
        .map_err(ServerFnError::new)
}
