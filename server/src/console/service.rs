//! The server's implementation of the console pages' service.

use super::{csrf, ADMIN_ID};
use crate::{state::AppState, store};
use app::{
    api::{AdminView, ClientSummary},
    service::ConsoleService,
};
use http::request::Parts;
use tower_sessions::Session;

/// The console service over the shared state.
pub struct Console {
    pub state: AppState,
}

fn session(parts: &Parts) -> Result<&Session, String> {
    parts.extensions.get::<Session>().ok_or_else(|| "no session".to_owned())
}

fn internal(e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "console");
    "internal error".to_owned()
}

impl Console {
    async fn admin(&self, parts: &Parts) -> Result<Option<store::admins::AdminRow>, String> {
        let Some(id) = session(parts)?.get::<String>(ADMIN_ID).await.map_err(internal)? else {
            return Ok(None);
        };
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        Ok(store::admins::by_id(&mut conn, &id).await.map_err(internal)?.filter(|a| a.enabled))
    }
}

#[async_trait::async_trait]
impl ConsoleService for Console {
    async fn csrf_token(&self, parts: &Parts) -> Result<String, String> {
        csrf::token(session(parts)?, parts).await.map_err(internal)
    }

    async fn current_admin(&self, parts: &Parts) -> Result<Option<AdminView>, String> {
        let Some(admin) = self.admin(parts).await? else {
            return Ok(None);
        };
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        let realms = store::realms::list(&mut conn).await.map_err(internal)?;
        Ok(Some(AdminView { username: admin.username, realms: realms.into_iter().map(|r| r.name).collect() }))
    }

    async fn list_clients(&self, parts: &Parts, realm: &str) -> Result<Vec<ClientSummary>, String> {
        let Some(admin) = self.admin(parts).await? else {
            return Err("sign in to see clients".into());
        };
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        let Some(realm_row) = store::realms::by_name(&mut conn, realm).await.map_err(internal)? else {
            return Err(format!("realm {realm:?} does not exist"));
        };
        // Checked on the server from the stored role mappings of the admin's master-realm user.
        let permissions = self.state.manager.console_permissions(&admin.username).await.map_err(internal)?;
        if !permissions.can(&realm_row.id, "view-clients") {
            return Err("you do not have access to this realm".into());
        }
        let rows = store::clients::list(&mut conn, &realm_row.id).await.map_err(internal)?;
        // Built-in clients (realm-management) get their own place with the permission model.
        Ok(rows
            .into_iter()
            .filter(|c| !c.builtin)
            .map(|c| ClientSummary {
                kind: if c.confidential { "confidential" } else { "public" }.into(),
                grant_types: c.grant_types.split_whitespace().map(str::to_owned).collect(),
                client_id: c.client_id,
                name: c.name,
                template: c.template,
                enabled: c.enabled,
                created_at: c.created_at,
            })
            .collect())
    }
}
