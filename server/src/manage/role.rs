//! Roles: a realm's roles and each client's roles — create, list, delete (refused while
//! someone holds the role, unless forced, which names the holders in the audit event).

use super::{
    actor::perm::{MANAGE_CLIENTS, MANAGE_REALM, VIEW_CLIENTS, VIEW_REALM, VIEW_USERS},
    client::invalid,
    Actor, ManageError, Manager,
};
use crate::{
    model::validate,
    store::{self, audit::NewAudit, realms::RealmRow, roles::RoleRow},
};

/// Longest role description.
const MAX_DESCRIPTION: usize = 255;

fn check_description(description: &str) -> Result<(), ManageError> {
    match description.chars().count() <= MAX_DESCRIPTION {
        true => Ok(()),
        false => Err(invalid(format!("the description must be at most {MAX_DESCRIPTION} characters"))),
    }
}

/// The primary key of the client `client_id` of `realm`, when one is named.
async fn client_pk(
    c: &mut impl store::Executes,
    realm: &RealmRow,
    client_id: Option<&str>,
) -> Result<Option<String>, ManageError> {
    let Some(client_id) = client_id else {
        return Ok(None);
    };
    let client = store::clients::by_client_id(c, &realm.id, client_id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("no client {client_id:?} in realm {:?}", realm.name)))?;
    Ok(Some(client.id))
}

/// Whether an operation reads or changes roles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Change,
}

impl Manager {
    /// The realm and, when `client_id` is given, the primary key of that client, once `actor`
    /// is found to be allowed to see (`Access::Read`) or change its roles. Realm roles are the
    /// realm's settings (`manage-realm`), a client's roles part of the client (`manage-clients`);
    /// anyone who administers something in the realm may read them. The built-in
    /// `realm-management` client's roles are the permissions themselves: never changed.
    async fn role_owner(
        &self,
        realm: &str,
        client_id: Option<&str>,
        actor: &Actor,
        access: Access,
    ) -> Result<(RealmRow, Option<String>), ManageError> {
        let needed: &[&str] = match (access, client_id) {
            (Access::Read, _) => &[VIEW_REALM, VIEW_CLIENTS, VIEW_USERS],
            (Access::Change, Some(_)) => &[MANAGE_CLIENTS],
            (Access::Change, None) => &[MANAGE_REALM],
        };
        let realm = self.realm_for(realm, actor, needed).await?;
        let Some(client_id) = client_id else {
            return Ok((realm, None));
        };
        let mut conn = self.db.conn().await?;
        let client = store::clients::by_client_id(&mut conn, &realm.id, client_id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no client {client_id:?} in realm {:?}", realm.name)))?;
        if client.builtin && access == Access::Change {
            return Err(invalid(format!(
                "the roles of the built-in client {client_id:?} are the admin permissions and cannot be changed"
            )));
        }
        Ok((realm, Some(client.id)))
    }

    /// Creates a realm role, or a role of `client_id`.
    pub async fn create_role(
        &self,
        realm: &str,
        client_id: Option<&str>,
        name: &str,
        description: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        validate::role_name(name).map_err(invalid)?;
        check_description(description)?;
        let (realm, client_pk) = self.role_owner(realm, client_id, actor, Access::Change).await?;
        let actor = actor.name();
        let mut tx = self.db.begin().await?;
        if !store::roles::create(&mut tx, &realm.id, client_pk.as_deref(), name, description, self.now()).await? {
            let owner = client_id.map(|c| format!("client {c:?}")).unwrap_or_else(|| format!("realm {:?}", realm.name));
            return Err(ManageError::Conflict(format!("role {name:?} already exists in {owner}")));
        }
        let audit = NewAudit {
            kind: "role.created",
            actor,
            client_id,
            detail: Some(serde_json::json!({ "role": name, "description": description })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(())
    }

    /// The role `name` of the realm (or of `client_id`) and its id.
    pub(super) async fn role_id(
        &self,
        tx: &mut store::Tx,
        realm: &RealmRow,
        client_id: Option<&str>,
        name: &str,
    ) -> Result<String, ManageError> {
        let client_pk = client_pk(tx, realm, client_id).await?;
        let owner = client_id.map(|c| format!("client {c:?}")).unwrap_or_else(|| format!("realm {:?}", realm.name));
        store::roles::list(tx, &realm.id, client_pk.as_deref())
            .await?
            .into_iter()
            .find(|r| r.name == name)
            .map(|r| r.id)
            .ok_or_else(|| ManageError::NotFound(format!("no role {name:?} in {owner}")))
    }

    /// Makes `child` (a role of the realm, or of `child_client`) part of the composite role
    /// `name`: whoever holds `name` holds `child` too. Refused when it would make a cycle.
    /// With `add` false, takes it out again.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_composite(
        &self,
        realm: &str,
        client_id: Option<&str>,
        name: &str,
        child_client: Option<&str>,
        child: &str,
        add: bool,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let (realm, _) = self.role_owner(realm, client_id, actor, Access::Change).await?;
        let (actor_ref, actor) = (actor, actor.name());
        let mut tx = self.db.begin().await?;
        let parent_id = self.role_id(&mut tx, &realm, client_id, name).await?;
        let child_id = self.role_id(&mut tx, &realm, child_client, child).await?;
        if add {
            // Whoever holds the composite will hold the child: the same rule as granting it.
            self.check_grantable(&mut tx, actor_ref, &realm.id, &child_id).await?;
            if store::roles::reaches(&mut tx, &child_id, &parent_id).await? {
                return Err(invalid(format!("role {child:?} already includes {name:?}: that would be a cycle")));
            }
            store::roles::add_composite(&mut tx, &parent_id, &child_id).await?;
        } else if !store::roles::remove_composite(&mut tx, &parent_id, &child_id).await? {
            return Err(ManageError::NotFound(format!("role {name:?} does not include {child:?}")));
        }
        let audit = NewAudit {
            kind: if add { "role.composite_added" } else { "role.composite_removed" },
            actor,
            client_id,
            detail: Some(serde_json::json!({ "role": name, "child": child, "child_client": child_client })),
            ..Default::default()
        };
        self.record(&mut tx, &realm.id, "realm", &realm.name, audit).await?;
        tx.commit().await?;
        // Service accounts' roles live in the client snapshots: drop them all.
        self.invalidate(&realm.id, "realm", &realm.name);
        Ok(())
    }

    /// The realm's roles, or those of `client_id`.
    pub async fn list_roles(
        &self,
        realm: &str,
        client_id: Option<&str>,
        actor: &Actor,
    ) -> Result<Vec<RoleRow>, ManageError> {
        let (realm, client_pk) = self.role_owner(realm, client_id, actor, Access::Read).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::roles::list(&mut conn, &realm.id, client_pk.as_deref()).await?)
    }

    /// The realm's roles (or `client_id`'s), each with who holds it directly.
    pub async fn roles_with_holders(
        &self,
        realm: &str,
        client_id: Option<&str>,
        actor: &Actor,
    ) -> Result<Vec<(RoleRow, Vec<String>)>, ManageError> {
        let (realm, client_pk) = self.role_owner(realm, client_id, actor, Access::Read).await?;
        let mut conn = self.db.conn().await?;
        let roles = store::roles::list(&mut conn, &realm.id, client_pk.as_deref()).await?;
        let mut out = Vec::with_capacity(roles.len());
        for role in roles {
            let holders = store::roles::holders(&mut conn, &role.id).await?;
            out.push((role, holders));
        }
        Ok(out)
    }

    /// Changes a role's description.
    pub async fn update_role(
        &self,
        realm: &str,
        client_id: Option<&str>,
        name: &str,
        description: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        check_description(description)?;
        let (realm, _) = self.role_owner(realm, client_id, actor, Access::Change).await?;
        let mut tx = self.db.begin().await?;
        let role_id = self.role_id(&mut tx, &realm, client_id, name).await?;
        store::roles::set_description(&mut tx, &role_id, description).await?;
        let audit = NewAudit {
            kind: "role.updated",
            actor: actor.name(),
            client_id,
            detail: Some(serde_json::json!({ "role": name, "description": description })),
            ..Default::default()
        };
        self.record(&mut tx, &realm.id, "realm", &realm.name, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a role. While anyone holds it the deletion is refused with the holders named,
    /// unless `force`, which removes it from them too (they lose it in tokens issued from then
    /// on). Returns the holders it was taken from.
    pub async fn delete_role(
        &self,
        realm: &str,
        client_id: Option<&str>,
        name: &str,
        force: bool,
        actor: &Actor,
    ) -> Result<Vec<String>, ManageError> {
        let (realm, client_pk) = self.role_owner(realm, client_id, actor, Access::Change).await?;
        let actor = actor.name();
        let mut tx = self.db.begin().await?;
        let role = store::roles::list(&mut tx, &realm.id, client_pk.as_deref())
            .await?
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| ManageError::NotFound(format!("no role {name:?}")))?;
        let holders = store::roles::holders(&mut tx, &role.id).await?;
        if !holders.is_empty() && !force {
            return Err(ManageError::Conflict(format!(
                "role {name:?} is held by {}; take it away first, or delete with --force",
                holders.join(", ")
            )));
        }
        store::roles::delete(&mut tx, &role.id).await?;
        let audit = NewAudit {
            kind: "role.deleted",
            actor,
            client_id,
            detail: Some(serde_json::json!({ "role": name, "taken_from": holders })),
            ..Default::default()
        };
        self.record(&mut tx, &realm.id, "realm", &realm.name, audit).await?;
        tx.commit().await?;
        // Service accounts' roles live in the client snapshots: drop them all.
        self.invalidate(&realm.id, "realm", &realm.name);
        Ok(holders)
    }
}
