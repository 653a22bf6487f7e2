//! A client's service account (`service-account-{client_id}`, Keycloak's model): the roles it
//! holds, which client_credentials tokens carry; and ending the client's refresh families.

use super::{actor::perm::MANAGE_CLIENTS, client::invalid, Actor, ManageError, Manager};
use crate::store::{self, audit::NewAudit};

/// A role named by its owner: `client_id` `None` for a realm role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRef {
    pub client_id: Option<String>,
    pub name: String,
}

impl RoleRef {
    /// `name` for a realm role, `client:name` for a client role.
    pub fn parse(s: &str) -> Self {
        match s.split_once(':') {
            Some((client, name)) => RoleRef { client_id: Some(client.to_owned()), name: name.to_owned() },
            None => RoleRef { client_id: None, name: s.to_owned() },
        }
    }

    /// The inverse of [`RoleRef::parse`].
    pub fn key(&self) -> String {
        match &self.client_id {
            Some(c) => format!("{c}:{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl Manager {
    /// Gives the client's service account `roles` (or, with `grant` false, takes them away) in
    /// one transaction with its audit event. Tokens issued afterwards carry exactly the roles it
    /// then holds. Roles it already holds (or, taking away, does not hold) are left alone.
    pub async fn set_service_account_roles(
        &self,
        realm: &str,
        client_id: &str,
        roles: &[RoleRef],
        grant: bool,
        actor: &Actor,
    ) -> Result<usize, ManageError> {
        if roles.is_empty() {
            return Err(invalid("select at least one role".into()));
        }
        let (realm, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        if !client.confidential {
            return Err(invalid(format!("client {client_id:?} is public and has no service account")));
        }
        let mut tx = self.db.begin().await?;
        let held: Vec<String> =
            store::roles::direct_of_service_account(&mut tx, &client.id).await?.into_iter().map(|r| r.id).collect();
        let mut changed = Vec::new();
        for role in roles {
            let role_id = self.role_id(&mut tx, &realm, role.client_id.as_deref(), &role.name).await?;
            match (grant, held.contains(&role_id)) {
                (true, false) => {
                    self.check_grantable(&mut tx, actor, &realm.id, &role_id).await?;
                    store::roles::assign_to_service_account(&mut tx, &client.id, &role_id).await?;
                }
                (false, true) => {
                    store::roles::unassign_from_service_account(&mut tx, &client.id, &role_id).await?;
                }
                _ => continue,
            }
            changed.push(role.key());
        }
        if changed.is_empty() {
            return Ok(0);
        }
        let audit = NewAudit {
            kind: if grant { "client.service_account_roles_added" } else { "client.service_account_roles_removed" },
            actor: actor.name(),
            client_id: Some(client_id),
            detail: Some(serde_json::json!({ "roles": changed })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "client", client_id, audit).await?;
        Ok(changed.len())
    }

    /// Ends the client's refresh families: the one named, or all of them when `family` is
    /// `None`. Their refresh tokens fail at once, and so do the access tokens issued in them.
    /// Returns how many families ended.
    pub async fn revoke_client_sessions(
        &self,
        realm: &str,
        client_id: &str,
        family: Option<&str>,
        actor: &Actor,
    ) -> Result<usize, ManageError> {
        let (realm, client) = self.client_row(realm, client_id, actor, MANAGE_CLIENTS).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let families = match family {
            Some(f) if store::refresh_tokens::family_of_client(&mut tx, f, &client.id).await? => vec![f.to_owned()],
            Some(_) => return Err(ManageError::NotFound(format!("no such session of client {client_id:?}"))),
            None => store::refresh_tokens::live_family_ids(&mut tx, &client.id, now).await?,
        };
        for f in &families {
            store::refresh_tokens::end_family(&mut tx, &realm.id, f, now).await?;
        }
        let audit = NewAudit {
            kind: "client.sessions_revoked",
            actor: actor.name(),
            client_id: Some(client_id),
            detail: Some(serde_json::json!({ "families": families.len(), "all": family.is_none() })),
            ..Default::default()
        };
        self.record(&mut tx, &realm.id, "client", client_id, audit).await?;
        tx.commit().await?;
        Ok(families.len())
    }
}
