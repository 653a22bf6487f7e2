//! Realm scopes (Keycloak's client scopes): create, describe, delete, and which clients may ask
//! for them, as default or optional scopes. Scope names are the words clients put in `scope`.

use super::{
    actor::perm::{MANAGE_CLIENTS, MANAGE_REALM, VIEW_CLIENTS, VIEW_REALM},
    client::invalid,
    Actor, ManageError, Manager,
};
use crate::{
    model::scope::{self, Implications},
    store::{self, audit::NewAudit, realms::RealmRow, scopes::ScopeRow},
};
use serde_json::json;

/// What a new client gets of a scope (Keycloak's realm default client scopes).
pub const NEW_CLIENTS: &[&str] = &["default", "optional"];

/// A change to a scope; `None` fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ScopeChanges {
    pub description: Option<String>,
    /// Replaces the scopes holding this one also grants (names).
    pub implies: Option<Vec<String>>,
    /// `Some(Some("default" | "optional"))` or `Some(None)`: what a new client gets of it.
    pub new_clients: Option<Option<String>>,
}

/// A scope as the Client Scopes page draws it.
#[derive(Debug, Clone)]
pub struct ScopeInfo {
    pub row: ScopeRow,
    /// The scopes it is configured to imply.
    pub implies: Vec<String>,
    /// Every other realm scope holding it grants in the end: configured implications followed
    /// transitively, and the rules (`write:X` ⇒ `read:X`, `write:global`, `read:global`).
    pub grants: Vec<String>,
    /// The clients that may ask for it.
    pub clients: Vec<String>,
}

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
        self.create_scope_with(
            realm,
            name,
            ScopeChanges { description: Some(description.into()), ..Default::default() },
            actor,
        )
        .await
    }

    /// Creates a scope with its implications and what new clients get of it, in one
    /// transaction; returns its id.
    pub async fn create_scope_with(
        &self,
        realm: &str,
        name: &str,
        changes: ScopeChanges,
        actor: &Actor,
    ) -> Result<String, ManageError> {
        let description = changes.description.as_deref().unwrap_or("");
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
        let (implies, new_clients) = self.apply_scope_links(&mut tx, &realm, &id, name, &changes).await?;
        let audit = NewAudit {
            kind: "scope.created",
            actor: actor.name(),
            detail: Some(json!({ "scope": name, "implies": implies, "new_clients": new_clients })),
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

    /// Changes a scope: its description, what it implies, what new clients get of it. One
    /// transaction, audited with each changed field's before and after.
    pub async fn update_scope(
        &self,
        realm: &str,
        id: &str,
        changes: ScopeChanges,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let realm = self.scope_realm(realm, actor, true).await?;
        let scope = self.scope_in(&realm, id).await?;
        let mut detail = serde_json::Map::new();
        detail.insert("scope".into(), json!(scope.name));
        let mut tx = self.db.begin().await?;
        if let Some(description) = &changes.description {
            if description.chars().count() > 255 {
                return Err(invalid("the description must be at most 255 characters".into()));
            }
            if *description != scope.description {
                store::scopes::set_description(&mut tx, &scope.id, description).await?;
                detail.insert("description".into(), json!({ "before": scope.description, "after": description }));
            }
        }
        let before_implies = self.implied_by(&mut tx, &realm, &scope.name).await?;
        let (implies, new_clients) = self.apply_scope_links(&mut tx, &realm, &scope.id, &scope.name, &changes).await?;
        if changes.implies.is_some() && implies != before_implies {
            detail.insert("implies".into(), json!({ "before": before_implies, "after": implies }));
        }
        if changes.new_clients.is_some() && new_clients != scope.new_clients {
            detail.insert("new_clients".into(), json!({ "before": scope.new_clients, "after": new_clients }));
        }
        let audit =
            NewAudit { kind: "scope.updated", actor: actor.name(), detail: Some(detail.into()), ..Default::default() };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(())
    }

    /// The realm's scopes, each with what it implies, what it grants in the end and the clients
    /// that may ask for it.
    pub async fn scope_graph(&self, realm: &str, actor: &Actor) -> Result<Vec<ScopeInfo>, ManageError> {
        let realm = self.scope_realm(realm, actor, false).await?;
        let mut conn = self.db.conn().await?;
        let scopes = store::scopes::list(&mut conn, &realm.id).await?;
        let pairs = store::scopes::implications(&mut conn, &realm.id).await?;
        let rules = Implications::from_pairs(pairs.clone());
        let mut out = Vec::with_capacity(scopes.len());
        for row in &scopes {
            let mut implies: Vec<String> =
                pairs.iter().filter(|(s, _)| *s == row.name).map(|(_, i)| i.clone()).collect();
            implies.sort();
            let grants = scopes
                .iter()
                .filter(|t| t.name != row.name && rules.implies(&row.name, &t.name))
                .map(|t| t.name.clone())
                .collect();
            let clients = store::scopes::clients_of(&mut conn, &row.id).await?;
            out.push(ScopeInfo { row: row.clone(), implies, grants, clients });
        }
        Ok(out)
    }

    /// What the scope `name` is configured to imply, by name.
    async fn implied_by(
        &self,
        c: &mut impl store::Executes,
        realm: &RealmRow,
        name: &str,
    ) -> Result<Vec<String>, ManageError> {
        let mut implied: Vec<String> = store::scopes::implications(c, &realm.id)
            .await?
            .into_iter()
            .filter(|(s, _)| s == name)
            .map(|(_, i)| i)
            .collect();
        implied.sort();
        Ok(implied)
    }

    /// Writes what `changes` says the scope implies and what new clients get of it; returns
    /// both as they now are.
    async fn apply_scope_links(
        &self,
        tx: &mut store::Tx,
        realm: &RealmRow,
        id: &str,
        name: &str,
        changes: &ScopeChanges,
    ) -> Result<(Vec<String>, Option<String>), ManageError> {
        let all = store::scopes::list(tx, &realm.id).await?;
        if let Some(wanted) = &changes.implies {
            let mut ids = Vec::new();
            for w in wanted.iter().filter(|w| !w.is_empty()) {
                if w == name {
                    return Err(invalid(format!("a scope cannot imply itself: {name:?} (--implies)")));
                }
                let found = all.iter().find(|s| s.name == *w);
                let found =
                    found.ok_or_else(|| ManageError::NotFound(format!("no scope {w:?} in realm (--implies)")))?;
                if !ids.contains(&found.id) {
                    ids.push(found.id.clone());
                }
            }
            store::scopes::set_implications(tx, id, &ids).await?;
        }
        if let Some(new_clients) = &changes.new_clients {
            if let Some(v) = new_clients.as_deref().filter(|v| !NEW_CLIENTS.contains(v)) {
                return Err(invalid(format!("--new-clients must be default, optional or none, not {v:?}")));
            }
            store::scopes::set_new_clients(tx, id, new_clients.as_deref()).await?;
        }
        let now = store::scopes::by_id(tx, &realm.id, id).await?.and_then(|s| s.new_clients);
        Ok((self.implied_by(tx, realm, name).await?, now))
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
