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

/// The brute-force guard's counters of end-user accounts (`flow::brute_force`, namespace
/// `user`): `user:{username in lower case}`.
pub(super) const ACCOUNT_PREFIX: &str = "user:";

pub(super) fn account_key(username: &str) -> String {
    format!("{ACCOUNT_PREFIX}{}", username.to_lowercase())
}

/// The argon2id hash of `password`, once it meets the realm's policy.
async fn hash_for(realm: &RealmRow, password: String) -> Result<String, ManageError> {
    let min = realm.password_min_length.max(1) as usize;
    if password.chars().count() < min {
        return Err(ManageError::Invalid(format!(
            "the password must be at least {min} characters (realm {:?} policy)",
            realm.name
        )));
    }
    password::hash(password).await.map_err(|e| ManageError::Internal(e.to_string()))
}

/// Minimum length of an admin password.
pub const ADMIN_PASSWORD_MIN: usize = 8;

/// What `user create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub realm: String,
    pub username: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub first_name: String,
    pub last_name: String,
    pub email_verified: bool,
    /// Made disabled (the default is enabled).
    pub disabled: bool,
    /// The password given is temporary: the user chooses another at the first sign-in.
    pub password_temporary: bool,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// `Some(None)` removes the email.
    pub email: Option<Option<String>>,
    pub email_verified: Option<bool>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub enabled: Option<bool>,
    /// Whether the user must choose a new password at the next sign-in (Keycloak's
    /// `UPDATE_PASSWORD` required action).
    pub password_temporary: Option<bool>,
}

impl Manager {
    /// Creates a realm user with a password checked against the realm's policy.
    pub async fn create_user(&self, req: NewUser, password: String, actor: &Actor) -> Result<String, ManageError> {
        self.create_user_with(req, Some(password), actor).await
    }

    /// Creates a realm user, with a password checked against the realm's policy or (`None`)
    /// without one (Keycloak's API creates users so; they cannot sign in until one is set).
    pub async fn create_user_with(
        &self,
        req: NewUser,
        password: Option<String>,
        actor: &Actor,
    ) -> Result<String, ManageError> {
        validate::username(&req.username).map_err(ManageError::Invalid)?;
        if let Some(e) = &req.email {
            validate::email(e).map_err(ManageError::Invalid)?;
        }
        for role in &req.roles {
            validate::role_name(role).map_err(ManageError::Invalid)?;
        }
        let realm = self.realm_row(&req.realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let hash = match password {
            Some(p) => Some(hash_for(&realm, p).await?),
            None => None,
        };
        let now = self.now();
        let password_temporary = req.password_temporary && hash.is_some();
        let user = UserRow {
            id: store::new_id(),
            realm_id: realm.id.clone(),
            username: req.username.clone(),
            email: req.email.clone(),
            email_verified: req.email_verified,
            first_name: req.first_name.clone(),
            last_name: req.last_name.clone(),
            password_hash: hash,
            enabled: !req.disabled,
            password_temporary,
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

    /// The users of a realm matching `query`, `max` from `first` (`view-users` or `query-users`).
    pub async fn search_users(
        &self,
        realm: &str,
        query: &store::users::UserQuery,
        first: i64,
        max: i64,
        actor: &Actor,
    ) -> Result<(RealmRow, Vec<UserRow>), ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let mut conn = self.db.conn().await?;
        let users = store::users::search(&mut conn, &realm.id, query, first.max(0), max.clamp(1, 10_000)).await?;
        Ok((realm, users))
    }

    /// How many users of a realm match `query`.
    pub async fn count_users(
        &self,
        realm: &str,
        query: &store::users::UserQuery,
        actor: &Actor,
    ) -> Result<i64, ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::users::count(&mut conn, &realm.id, query).await?)
    }

    /// The user `id` of a realm (`view-users`).
    pub async fn user_by_id(&self, realm: &str, id: &str, actor: &Actor) -> Result<UserRow, ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        self.user_in(&realm, id).await
    }

    pub(super) async fn users_realm(&self, realm: &str, actor: &Actor) -> Result<RealmRow, ManageError> {
        // view-users includes query-users (and manage-users both).
        self.realm_for(realm, actor, &["query-users"]).await
    }

    pub(super) async fn user_in(&self, realm: &RealmRow, id: &str) -> Result<UserRow, ManageError> {
        let mut conn = self.db.conn().await?;
        store::users::by_id(&mut conn, id)
            .await?
            .filter(|u| u.realm_id == realm.id)
            .ok_or_else(|| ManageError::NotFound("User not found".into()))
    }

    /// Changes a user's profile; disabling ends nothing already issued but refuses new tokens.
    pub async fn update_user(
        &self,
        realm: &str,
        id: &str,
        changes: UserChanges,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let before = self.user_in(&realm, id).await?;
        let mut user = before.clone();
        if let Some(Some(e)) = &changes.email {
            validate::email(e).map_err(ManageError::Invalid)?;
        }
        user.email = changes.email.unwrap_or(user.email);
        user.email_verified = changes.email_verified.unwrap_or(user.email_verified);
        user.first_name = changes.first_name.unwrap_or(user.first_name);
        user.last_name = changes.last_name.unwrap_or(user.last_name);
        user.enabled = changes.enabled.unwrap_or(user.enabled);
        user.password_temporary = changes.password_temporary.unwrap_or(user.password_temporary);
        user.updated_at = self.now();
        let detail = serde_json::json!({
            "username": user.username,
            "email_changed": before.email != user.email,
            "enabled": user.enabled,
            "password_temporary": user.password_temporary,
        });
        self.write_user(&realm, &user, "user.updated", detail, actor).await
    }

    /// Sets a user's password (checked against the realm's policy); a `temporary` one must be
    /// changed by the user at the next sign-in.
    pub async fn set_password(
        &self,
        realm: &str,
        id: &str,
        password: String,
        temporary: bool,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let mut user = self.user_in(&realm, id).await?;
        user.password_hash = Some(hash_for(&realm, password).await?);
        user.password_temporary = temporary;
        user.updated_at = self.now();
        let detail = serde_json::json!({ "username": user.username, "temporary": temporary });
        self.write_user(&realm, &user, "user.password_set", detail, actor).await
    }

    /// The user `user_id` of `realm`, having signed in with a temporary password, chooses a new one (checked
    /// against the realm's policy): the flag is cleared in the same write. Not an admin
    /// operation: the sign-in flow calls it once the temporary password was verified.
    pub async fn replace_temporary_password(
        &self,
        realm: &str,
        user_id: &str,
        password: String,
    ) -> Result<UserRow, ManageError> {
        let realm = self.realm_row(realm).await?;
        let mut user = self.user_in(&realm, user_id).await?;
        if !user.password_temporary {
            return Err(ManageError::Invalid("the password was already changed".into()));
        }
        user.password_hash = Some(hash_for(&realm, password).await?);
        user.password_temporary = false;
        user.updated_at = self.now();
        let detail = serde_json::json!({ "username": user.username });
        let actor = Actor::operator(user.username.clone());
        self.write_user(&realm, &user, "user.password_updated", detail, &actor).await?;
        Ok(user)
    }

    /// The user `username` of a realm (`view-users`): how the command line names users.
    pub async fn user_by_username(&self, realm: &str, username: &str, actor: &Actor) -> Result<UserRow, ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let mut conn = self.db.conn().await?;
        store::users::by_username(&mut conn, &realm.id, username)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no user {username:?} in realm {:?}", realm.name)))
    }

    async fn write_user(
        &self,
        realm: &RealmRow,
        user: &UserRow,
        kind: &str,
        detail: serde_json::Value,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let mut tx = self.db.begin().await?;
        store::users::update(&mut tx, user)
            .await
            .map_err(on_unique(|| "a user with that email already exists".into()))?;
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind,
            actor: actor.name(),
            subject: Some(&user.id),
            detail: Some(detail),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &audit, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's open sessions, each with the clients it holds refresh tokens for.
    #[allow(clippy::type_complexity)]
    pub async fn user_sessions(
        &self,
        realm: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<(UserRow, Vec<(store::user_sessions::UserSessionRow, Vec<(String, String)>)>), ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let user = self.user_in(&realm, id).await?;
        let mut conn = self.db.conn().await?;
        let (idle, max) = (realm.sso_session_idle_timeout, realm.sso_session_max_lifespan);
        let sessions = store::user_sessions::open_of_user(&mut conn, &user.id, self.now(), idle, max).await?;
        let mut out = Vec::with_capacity(sessions.len());
        for s in sessions {
            let clients = store::user_sessions::clients_of(&mut conn, &s.id).await?;
            out.push((s, clients));
        }
        Ok((user, out))
    }

    /// Ends every session of the user (`None`: of every user of the realm), with their tokens.
    pub async fn log_out(&self, realm: &str, id: Option<&str>, actor: &Actor) -> Result<usize, ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let now = self.now();
        let mut conn = self.db.conn().await?;
        let (ids, subject) = match id {
            Some(id) => {
                let user = self.user_in(&realm, id).await?;
                let sessions =
                    store::user_sessions::open_of_user(&mut conn, &user.id, now, i64::MAX / 4, i64::MAX / 4).await?;
                (sessions.into_iter().map(|s| s.id).collect::<Vec<_>>(), Some(user.id))
            }
            None => (store::user_sessions::open_ids_of_realm(&mut conn, &realm.id).await?, None),
        };
        drop(conn);
        let mut tx = self.db.begin().await?;
        for s in &ids {
            store::user_sessions::end_everywhere(&mut tx, &realm.id, s, now).await?;
        }
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind: if subject.is_some() { "user.logged_out" } else { "realm.logged_out" },
            actor: actor.name(),
            subject: subject.as_deref(),
            detail: Some(serde_json::json!({ "sessions": ids.len() })),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &audit, now).await?;
        tx.commit().await?;
        Ok(ids.len())
    }

    /// The brute-force counter of the user's account (Keycloak's attack detection).
    pub async fn login_failures(
        &self,
        realm: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<Option<store::login_failures::FailureRow>, ManageError> {
        let realm = self.users_realm(realm, actor).await?;
        let user = self.user_in(&realm, id).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::login_failures::get(&mut conn, &realm.id, &account_key(&user.username)).await?)
    }

    /// Unlocks the user's account (`None`: every account of the realm): failures forgotten.
    pub async fn unlock(&self, realm: &str, id: Option<&str>, actor: &Actor) -> Result<(), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let user = match id {
            Some(id) => Some(self.user_in(&realm, id).await?),
            None => None,
        };
        let mut tx = self.db.begin().await?;
        match &user {
            Some(u) => store::login_failures::clear(&mut tx, &realm.id, &account_key(&u.username)).await?,
            None => {
                store::login_failures::clear_prefix(&mut tx, &realm.id, ACCOUNT_PREFIX).await?;
            }
        }
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind: "user.unlocked",
            actor: actor.name(),
            subject: user.as_ref().map(|u| u.id.as_str()),
            detail: Some(serde_json::json!({ "all": user.is_none() })),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &audit, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a user: their sessions, refresh tokens, consents and role mappings go with them.
    pub async fn delete_user(&self, realm: &str, id: &str, actor: &Actor) -> Result<(), ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_USERS)?;
        let user = self.user_in(&realm, id).await?;
        let mut tx = self.db.begin().await?;
        store::users::delete(&mut tx, &user.id).await?;
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind: "user.deleted",
            actor: actor.name(),
            subject: Some(&user.id),
            detail: Some(serde_json::json!({ "username": user.username })),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &audit, self.now()).await?;
        tx.commit().await?;
        Ok(())
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
            password_temporary: false,
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
