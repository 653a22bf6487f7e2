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
    /// The signed-in administrator: a user of some realm, still enabled.
    async fn admin(&self, parts: &Parts) -> Result<Option<store::users::UserRow>, String> {
        let Some(id) = session(parts)?.get::<String>(ADMIN_ID).await.map_err(internal)? else {
            return Ok(None);
        };
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        Ok(store::users::by_id(&mut conn, &id).await.map_err(internal)?.filter(|u| u.enabled))
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
        let permissions = self.state.manager.permissions_of(&admin).await.map_err(internal)?;
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        // The realms this administrator may open: all for the superuser, else their own.
        let realms = store::realms::list(&mut conn).await.map_err(internal)?;
        let realms = realms.into_iter().filter(|r| permissions.superuser || r.id == admin.realm_id).map(|r| r.name);
        Ok(Some(AdminView { username: admin.username, realms: realms.collect() }))
    }

    async fn list_clients(&self, parts: &Parts, realm: &str) -> Result<Vec<ClientSummary>, String> {
        let Some(admin) = self.admin(parts).await? else {
            return Err("sign in to see clients".into());
        };
        let mut conn = self.state.db.conn().await.map_err(internal)?;
        let Some(realm_row) = store::realms::by_name(&mut conn, realm).await.map_err(internal)? else {
            return Err(format!("realm {realm:?} does not exist"));
        };
        // Checked on the server, on every request, from the stored role mappings.
        let permissions = self.state.manager.permissions_of(&admin).await.map_err(internal)?;
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
