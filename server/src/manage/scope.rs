//! Realm scopes (Keycloak's client scopes): create, describe, delete, and which clients may ask
//! for them, as default or optional scopes. Scope names are the words clients put in `scope`.

use super::{
    actor::perm::{MANAGE_CLIENTS, MANAGE_REALM, VIEW_CLIENTS, VIEW_REALM},
    client::invalid,
    Actor, ManageError, Manager,
};
use crate::{
    model::scope,
    store::{self, audit::NewAudit, realms::RealmRow, scopes::ScopeRow},
};

impl Manager {
    async fn scope_realm(&self, realm: &str, actor: &Actor, change: bool) -> Result<RealmRow, ManageError> {
        match change {
            true => self.realm_for(realm, actor, &[MANAGE_REALM]).await,
            false => self.realm_for(realm, actor, &[VIEW_CLIENTS, VIEW_REALM]).await,
        }
    }

    async fn scope_in(&self, realm: &RealmRow, id: &str) -> Result<ScopeRow, ManageError> {
        let mut conn = self.db.conn().await?;
        store::scopes::by_id(&mut conn, &realm.id, id)
            .await?
            .ok_or_else(|| ManageError::NotFound("Client scope not found".into()))
    }

    /// The realm's scopes.
    pub async fn list_scopes(&self, realm: &str, actor: &Actor) -> Result<Vec<ScopeRow>, ManageError> {
        let realm = self.scope_realm(realm, actor, false).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::scopes::list(&mut conn, &realm.id).await?)
    }

    /// Creates a scope; returns its id.
    pub async fn create_scope(
        &self,
        realm: &str,
        name: &str,
        description: &str,
        actor: &Actor,
    ) -> Result<String, ManageError> {
        let realm = self.scope_realm(realm, actor, true).await?;
        if !scope::is_scope_token(name) {
            return Err(invalid(format!("invalid scope name {name:?}: no spaces, quotes or backslashes")));
        }
        if name.starts_with(crate::oauth::grant::PROJECT_SCOPE_PREFIX) {
            return Err(invalid(format!("invalid scope name {name:?}: project-… names a project's token")));
        }
        if description.chars().count() > 255 {
            return Err(invalid("the description must be at most 255 characters".into()));
        }
        let id = store::new_id();
        let mut tx = self.db.begin().await?;
        if !store::scopes::create(&mut tx, &realm.id, &id, name, description, self.now()).await? {
            return Err(ManageError::Conflict(format!("Client Scope {name} already exists")));
        }
        let audit = NewAudit {
            kind: "scope.created",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "scope": name })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(id)
    }

    /// The scope `id`.
    pub async fn scope(&self, realm: &str, id: &str, actor: &Actor) -> Result<ScopeRow, ManageError> {
        let realm = self.scope_realm(realm, actor, false).await?;
        self.scope_in(&realm, id).await
    }

    /// Changes a scope's description (what the consent page says about it).
    pub async fn describe_scope(
        &self,
        realm: &str,
        id: &str,
        description: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let realm = self.scope_realm(realm, actor, true).await?;
        let scope = self.scope_in(&realm, id).await?;
        if description.chars().count() > 255 {
            return Err(invalid("the description must be at most 255 characters".into()));
        }
        let mut tx = self.db.begin().await?;
        store::scopes::set_description(&mut tx, &scope.id, description).await?;
        let audit = NewAudit {
            kind: "scope.updated",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "scope": scope.name, "description": description })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(())
    }

    /// Deletes a scope; the built-in OIDC scopes stay.
    pub async fn delete_scope(&self, realm: &str, id: &str, actor: &Actor) -> Result<(), ManageError> {
        let realm = self.scope_realm(realm, actor, true).await?;
        let scope = self.scope_in(&realm, id).await?;
        if scope.builtin {
            return Err(invalid(format!("{:?} is a built-in scope and cannot be deleted", scope.name)));
        }
        let mut tx = self.db.begin().await?;
        store::scopes::delete(&mut tx, &scope.id).await?;
        let audit = NewAudit {
            kind: "scope.deleted",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "scope": scope.name })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(())
    }

    /// Links the scope `scope_id` to the client as a default scope (`Some(true)`: granted when a
    /// request names none) or optional one (`Some(false)`), or unlinks it (`None`).
    pub async fn link_client_scope(
        &self,
        realm: &str,
        client_id: &str,
        scope_id: &str,
        link: Option<bool>,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let (realm, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let scope = self.scope_in(&realm, scope_id).await?;
        let mut tx = self.db.begin().await?;
        match link {
            Some(default) => store::clients::add_scope(&mut tx, &client.id, &scope.id, default).await?,
            None => {
                store::clients::remove_scope(&mut tx, &client.id, &scope.id).await?;
            }
        }
        let audit = NewAudit {
            kind: "client.scope_linked",
            actor: actor.name(),
            client_id: Some(client_id),
            detail: Some(
                serde_json::json!({ "scope": scope.name, "link": link.map(|d| if d { "default" } else { "optional" }) }),
            ),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "client", client_id, audit).await?;
        Ok(())
    }
}
