//! Realm users and admin-console accounts.

use super::{
    actor::perm::MANAGE_USERS,
    on_unique,
    realm::{MASTER_REALM, SUPERUSER_ROLE},
    Actor, ManageError, Manager,
};
use crate::{
    crypto::password,
    model::validate,
    store::{self, admins::AdminRow, audit::NewAudit, realms::RealmRow, users::UserRow},
};

/// Minimum length of an admin password.
pub const ADMIN_PASSWORD_MIN: usize = 8;

/// What `user create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub realm: String,
    pub username: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
}

impl Manager {
    /// Creates a realm user with a password checked against the realm's policy.
    pub async fn create_user(&self, req: NewUser, password: String, actor: &Actor) -> Result<String, ManageError> {
        validate::username(&req.username).map_err(ManageError::Invalid)?;
        if let Some(e) = &req.email {
            validate::email(e).map_err(ManageError::Invalid)?;
        }
        for role in &req.roles {
            validate::role_name(role).map_err(ManageError::Invalid)?;
        }
        let realm = self.realm_row(&req.realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let min = realm.password_min_length.max(1) as usize;
        if password.chars().count() < min {
            return Err(ManageError::Invalid(format!(
                "the password must be at least {min} characters (realm {:?} policy)",
                realm.name
            )));
        }
        let hash = password::hash(password).await.map_err(|e| ManageError::Internal(e.to_string()))?;
        let now = self.now();
        let user = UserRow {
            id: store::new_id(),
            realm_id: realm.id.clone(),
            username: req.username.clone(),
            email: req.email.clone(),
            email_verified: false,
            first_name: String::new(),
            last_name: String::new(),
            password_hash: Some(hash),
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let exists =
            || format!("a user named {:?} or with that email already exists in realm {:?}", req.username, realm.name);
        let mut tx = self.db.begin().await?;
        if store::users::by_username(&mut tx, &realm.id, &req.username).await?.is_some() {
            return Err(ManageError::Conflict(exists()));
        }
        store::users::insert(&mut tx, &user).await.map_err(on_unique(exists))?;
        for role in &req.roles {
            let role_id = store::roles::ensure_realm_role(&mut tx, &realm.id, role, now).await?;
            self.check_grantable(&mut tx, actor, &realm.id, &role_id).await?;
            store::roles::assign_to_user(&mut tx, &user.id, &role_id).await?;
        }
        let audit =
            NewAudit { kind: "user.created", actor: actor.name(), subject: Some(&user.id), ..Default::default() };
        store::audit::insert(&mut tx, &NewAudit { realm_id: Some(&realm.id), ..audit }, now).await?;
        tx.commit().await?;
        Ok(user.id)
    }

    /// Grants (or with `grant` false, takes away) existing roles of the realm — realm roles by
    /// name, client roles as `(client id, role)` — to the user `username`, in one transaction
    /// with its audit event. Tokens issued from then on carry the change.
    pub async fn set_user_roles(
        &self,
        realm: &str,
        username: &str,
        realm_roles: &[String],
        client_roles: &[(String, String)],
        grant: bool,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        if realm_roles.is_empty() && client_roles.is_empty() {
            return Err(ManageError::Invalid("name at least one --role or --client-role".into()));
        }
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let mut tx = self.db.begin().await?;
        let user = store::users::by_username(&mut tx, &realm.id, username)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no user {username:?} in realm {:?}", realm.name)))?;
        let wanted = realm_roles
            .iter()
            .map(|r| (None, r.as_str()))
            .chain(client_roles.iter().map(|(c, r)| (Some(c.as_str()), r.as_str())));
        let mut names = Vec::new();
        for (client, role) in wanted {
            let role_id = self.role_id(&mut tx, &realm, client, role).await?;
            if grant {
                self.check_grantable(&mut tx, actor, &realm.id, &role_id).await?;
                store::roles::assign_to_user(&mut tx, &user.id, &role_id).await?;
            } else if !store::roles::unassign_from_user(&mut tx, &user.id, &role_id).await? {
                return Err(ManageError::NotFound(format!("user {username:?} does not hold role {role:?}")));
            }
            names.push(client.map(|c| format!("{c}:{role}")).unwrap_or_else(|| role.to_owned()));
        }
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind: if grant { "user.roles_granted" } else { "user.roles_revoked" },
            actor: actor.name(),
            subject: Some(&user.id),
            detail: Some(serde_json::json!({ "username": username, "roles": names })),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &audit, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a superuser: an admin console account and, for the same name and password, a
    /// user of the `master` realm holding its `admin` role (Keycloak's model, which the console
    /// and the admin REST API move to).
    pub async fn create_admin(&self, username: &str, password: String, actor: &Actor) -> Result<String, ManageError> {
        actor.require_superuser()?;
        let actor = actor.name();
        validate::username(username).map_err(ManageError::Invalid)?;
        if password.chars().count() < ADMIN_PASSWORD_MIN {
            return Err(ManageError::Invalid(format!(
                "the admin password must be at least {ADMIN_PASSWORD_MIN} characters"
            )));
        }
        let hash = password::hash(password).await.map_err(|e| ManageError::Internal(e.to_string()))?;
        let now = self.now();
        let admin = AdminRow {
            id: store::new_id(),
            username: username.to_owned(),
            password_hash: hash,
            superuser: true,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let exists = || format!("an admin named {username:?} already exists");
        let master = self.ensure_master_realm().await?;
        let mut tx = self.db.begin().await?;
        if store::admins::by_username(&mut tx, username).await?.is_some()
            || store::users::by_username(&mut tx, &master.id, username).await?.is_some()
        {
            return Err(ManageError::Conflict(exists()));
        }
        store::admins::insert(&mut tx, &admin).await.map_err(on_unique(exists))?;
        self.insert_superuser(&mut tx, &master, &admin).await?;
        let audit = NewAudit { kind: "admin.created", actor, subject: Some(&admin.id), ..Default::default() };
        store::audit::insert(&mut tx, &audit, now).await?;
        tx.commit().await?;
        Ok(admin.id)
    }

    /// The master-realm user of an admin account: same name, same password hash, `admin` role.
    async fn insert_superuser(
        &self,
        tx: &mut store::Tx,
        master: &RealmRow,
        admin: &AdminRow,
    ) -> Result<(), ManageError> {
        let now = self.now();
        let user = UserRow {
            id: store::new_id(),
            realm_id: master.id.clone(),
            username: admin.username.clone(),
            email: None,
            email_verified: false,
            first_name: String::new(),
            last_name: String::new(),
            password_hash: Some(admin.password_hash.clone()),
            enabled: admin.enabled,
            created_at: now,
            updated_at: now,
        };
        store::users::insert(tx, &user).await?;
        let role = store::roles::ensure_realm_role(tx, &master.id, SUPERUSER_ROLE, now).await?;
        store::roles::assign_to_user(tx, &user.id, &role).await?;
        Ok(())
    }

    /// Gives every admin console account made before the master realm existed its master-realm
    /// user (an upgrade step, run at start: one query when there is nothing to do). Returns how
    /// many it made.
    pub async fn migrate_admins(&self) -> Result<usize, ManageError> {
        let mut conn = self.db.conn().await?;
        let master = store::realms::by_name(&mut conn, MASTER_REALM).await?;
        let waiting = match &master {
            Some(m) => store::admins::without_user_in(&mut conn, &m.id).await?,
            None => store::admins::all(&mut conn).await?,
        };
        drop(conn);
        if waiting.is_empty() {
            return Ok(0);
        }
        let master = self.ensure_master_realm().await?;
        for admin in &waiting {
            let mut tx = self.db.begin().await?;
            self.insert_superuser(&mut tx, &master, admin).await?;
            let audit = NewAudit {
                realm_id: Some(&master.id),
                kind: "admin.migrated",
                actor: "system",
                subject: Some(&admin.id),
                ..Default::default()
            };
            store::audit::insert(&mut tx, &audit, self.now()).await?;
            tx.commit().await?;
        }
        Ok(waiting.len())
    }
}
