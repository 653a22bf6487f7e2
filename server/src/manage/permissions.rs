//! Who may do what, from the stored role mappings only (never from a token's claims): a user
//! of the `master` realm holding its `admin` role administers every realm; any other user holds
//! the `realm-management` roles of their own realm (composites expanded), and only there.

use super::{
    admin_roles::{REALM_ADMIN, REALM_MANAGEMENT},
    realm::{MASTER_REALM, SUPERUSER_ROLE},
    Actor, ManageError, Manager,
};
use crate::store::{self, users::UserRow};
use std::collections::BTreeSet;

/// What one user may administer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    /// The master realm's `admin`: everything, in every realm.
    pub superuser: bool,
    /// The realm the permissions below hold in (the user's own).
    pub realm_id: String,
    /// The user's `realm-management` roles there, composites expanded.
    pub roles: BTreeSet<String>,
}

impl Permissions {
    /// Whether the user holds `permission` (a `realm-management` role) in the realm `realm_id`.
    /// Managing something includes seeing it (`manage-clients` ⊇ `view-clients`,
    /// `query-clients`), as in Keycloak.
    pub fn can(&self, realm_id: &str, permission: &str) -> bool {
        let managing = permission
            .strip_prefix("view-")
            .or_else(|| permission.strip_prefix("query-"))
            .is_some_and(|thing| self.roles.contains(&format!("manage-{thing}")));
        self.superuser
            || (self.realm_id == realm_id
                && (self.roles.contains(permission) || managing || self.roles.contains(REALM_ADMIN)))
    }
}

impl Manager {
    /// The permissions of `user`, from the role mappings stored now.
    pub async fn permissions_of(&self, user: &UserRow) -> Result<Permissions, ManageError> {
        let mut conn = self.db.conn().await?;
        let granted = store::roles::of_user(&mut conn, &user.id).await?;
        drop(conn);
        self.permissions_from(granted, &user.realm_id, user.enabled).await
    }

    /// The permissions of a client's service account (Keycloak's `service-account-{client}`
    /// user): its `realm-management` roles in the client's realm; a service account of the
    /// master realm holding `admin` administers every realm, as a master user would.
    pub async fn permissions_of_service_account(
        &self,
        client: &store::clients::ClientRow,
    ) -> Result<Permissions, ManageError> {
        let mut conn = self.db.conn().await?;
        let granted = store::roles::of_service_account(&mut conn, &client.id).await?;
        drop(conn);
        self.permissions_from(granted, &client.realm_id, client.enabled && !client.builtin).await
    }

    /// What roles held in `realm_id` (composites expanded) permit: the `realm-management` roles
    /// there, and everything for master's `admin`; nothing when the holder is disabled.
    pub(super) async fn permissions_from(
        &self,
        granted: Vec<store::roles::GrantedRole>,
        realm_id: &str,
        enabled: bool,
    ) -> Result<Permissions, ManageError> {
        let (realm_roles, client_roles) = store::roles::split(granted);
        let mut conn = self.db.conn().await?;
        let master = store::realms::by_name(&mut conn, MASTER_REALM).await?;
        let superuser =
            enabled && master.is_some_and(|m| m.id == realm_id) && realm_roles.iter().any(|r| r == SUPERUSER_ROLE);
        let roles = match enabled {
            true => client_roles.get(REALM_MANAGEMENT).cloned().unwrap_or_default().into_iter().collect(),
            false => BTreeSet::new(),
        };
        Ok(Permissions { superuser, realm_id: realm_id.to_owned(), roles })
    }

    /// Refuses to hand out a role carrying admin permissions the actor does not hold: whoever
    /// may assign roles could otherwise make themselves (or a script's client) a realm admin.
    /// Keycloak's rule too: you map only the admin roles you have.
    pub(super) async fn check_grantable(
        &self,
        c: &mut impl store::Executes,
        actor: &Actor,
        realm_id: &str,
        role_id: &str,
    ) -> Result<(), ManageError> {
        let carried = store::roles::expand(c, role_id).await?;
        let missing: Vec<&str> = carried
            .iter()
            .filter(|r| r.client_id.as_deref() == Some(REALM_MANAGEMENT) && !actor.can(realm_id, &r.name))
            .map(|r| r.name.as_str())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ManageError::Forbidden(format!(
            "this role carries admin permissions you do not hold ({}); only someone holding them may hand it out",
            missing.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holding(realm: &str, roles: &[&str]) -> Permissions {
        Permissions { superuser: false, realm_id: realm.into(), roles: roles.iter().map(|r| r.to_string()).collect() }
    }

    #[test]
    fn permissions_hold_in_the_users_own_realm_only() {
        let p = holding("acme", &["view-clients", "query-clients"]);
        assert!(p.can("acme", "view-clients"));
        assert!(!p.can("acme", "manage-clients"), "viewing is not managing");
        assert!(holding("acme", &["manage-clients"]).can("acme", "query-clients"), "managing includes seeing");
        assert!(!p.can("other", "view-clients"), "another realm");
        assert!(holding("acme", &[REALM_ADMIN]).can("acme", "manage-users"), "realm-admin holds every permission");
        let root = Permissions { superuser: true, ..Default::default() };
        assert!(root.can("anywhere", "manage-realm"), "the master realm's admin administers every realm");
        assert!(!Permissions::default().can("", "view-realm"), "nobody holds nothing");
    }
}
