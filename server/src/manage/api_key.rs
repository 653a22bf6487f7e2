//! API keys (PRODUCT §6): long-lived credentials for the admin REST API and for resource servers.
//!
//! A key reads `pcs_{id}_{secret}`: the id finds the row (so a wrong key costs no hash), the
//! secret (256 random bits) is checked against its argon2id hash once and then through the
//! verified-credentials cache, like a client secret. A key holds the roles it was given, each one
//! its creator holds (composites expanded), and may be limited to projects; its admin
//! permissions are what those roles permit, read from the stored rows on every request, and
//! never more than its maker holds at that moment (a maker disabled or deleted ends its keys).
//!
//! Anyone administering a realm may make keys; `view-realm` sees every key of the realm and
//! `manage-realm` may revoke any, others see and revoke the keys they made. A key cannot make
//! keys.

use super::{
    actor::{
        perm::{MANAGE_CLIENTS, MANAGE_REALM, MANAGE_USERS, VIEW_CLIENTS, VIEW_EVENTS, VIEW_REALM, VIEW_USERS},
        Holder,
    },
    client::invalid,
    permissions::Permissions,
    service_account::RoleRef,
    Actor, ManageError, Manager,
};
use crate::{
    crypto::{self, password},
    registry::CredentialCache,
    store::{self, api_keys::ApiKeyRow, audit::NewAudit, realms::RealmRow, roles::GrantedRole},
};

/// What every API key starts with: how a bearer credential is told from a JWT.
pub const KEY_PREFIX: &str = "pcs_";
/// Any one of these makes someone an administrator of the realm, who may make keys.
const ADMINISTERS: &[&str] =
    &[VIEW_REALM, MANAGE_REALM, VIEW_CLIENTS, MANAGE_CLIENTS, VIEW_USERS, MANAGE_USERS, VIEW_EVENTS];
/// The longest expiry a key may be given: ten years.
pub const MAX_EXPIRES_IN: i64 = 10 * 365 * 86_400;

/// What a new key is made of.
#[derive(Debug, Clone, Default)]
pub struct NewApiKey {
    pub name: String,
    /// Project ids the key is limited to (none: not limited).
    pub projects: Vec<String>,
    pub roles: Vec<RoleRef>,
    /// Seconds until it stops working; `None`: never.
    pub expires_in: Option<i64>,
}

/// A key as listed: the row, the roles it was given and its projects.
#[derive(Debug, Clone)]
pub struct ApiKeyInfo {
    pub row: ApiKeyRow,
    pub roles: Vec<RoleRef>,
    pub projects: Vec<String>,
}

/// A key that verified: what it may do.
#[derive(Debug, Clone)]
pub struct VerifiedKey {
    pub row: ApiKeyRow,
    /// Its roles, composites expanded.
    pub roles: Vec<GrantedRole>,
    pub projects: Vec<String>,
}

impl VerifiedKey {
    /// The actor the key is at the admin API.
    pub fn actor(&self, permissions: Permissions) -> Actor {
        Actor::user(format!("api-key:{}", self.row.name), permissions).held_by(Holder::ApiKey(self.row.id.clone()))
    }
}

/// The key id of a presented key, and its secret.
fn split(presented: &str) -> Option<(&str, &str)> {
    let (id, secret) = presented.strip_prefix(KEY_PREFIX)?.split_once('_')?;
    let ok = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty();
    ok.then_some((id, secret))
}

/// Whether `actor` made `key` (keys made at the command line have no maker to match).
fn made_by(key: &ApiKeyRow, actor: &Actor) -> bool {
    key.owner.is_some() && key.owner == actor.holder().map(Holder::key)
}

fn to_ref(r: GrantedRole) -> RoleRef {
    RoleRef { client_id: r.client_id, name: r.name }
}

fn check_name(name: &str) -> Result<&str, ManageError> {
    let name = name.trim();
    match name.is_empty() || name.chars().count() > 200 {
        true => Err(invalid("--name must be 1-200 characters".into())),
        false => Ok(name),
    }
}

fn check_expires_in(expires_in: Option<i64>) -> Result<(), ManageError> {
    match expires_in {
        Some(s) if !(60..=MAX_EXPIRES_IN).contains(&s) => {
            Err(invalid("--expires-in must be between 60 seconds and ten years (315360000), or absent".into()))
        }
        _ => Ok(()),
    }
}

impl Manager {
    /// Makes an API key; returns its row and the key, which is never shown again.
    pub async fn create_api_key(
        &self,
        realm: &str,
        new: NewApiKey,
        actor: &Actor,
    ) -> Result<(ApiKeyRow, String), ManageError> {
        let realm = self.realm_for(realm, actor, ADMINISTERS).await?;
        if matches!(actor.holder(), Some(Holder::ApiKey(_))) {
            return Err(ManageError::Forbidden("an API key cannot make API keys".into()));
        }
        let name = check_name(&new.name)?.to_owned();
        check_expires_in(new.expires_in)?;
        let mut projects = new.projects.clone();
        projects.sort();
        projects.dedup();
        let mut conn = self.db.conn().await?;
        let known: Vec<String> = store::projects::list(&mut conn, &realm.id).await?.into_iter().map(|p| p.id).collect();
        drop(conn);
        if let Some(p) = projects.iter().find(|p| !known.contains(p)) {
            return Err(ManageError::NotFound(format!("no project {p:?} in realm {:?} (--project)", realm.name)));
        }
        let mut tx = self.db.begin().await?;
        let held = self.roles_held(&mut tx, actor).await?;
        let mut role_ids = Vec::new();
        for role in &new.roles {
            let id = self.role_id(&mut tx, &realm, role.client_id.as_deref(), &role.name).await?;
            if let Some(held) = &held {
                if !held.iter().any(|h| h.client_id == role.client_id && h.name == role.name) {
                    return Err(ManageError::Forbidden(format!(
                        "you do not hold the role {:?}; a key gets only roles its creator holds (--role)",
                        role.key()
                    )));
                }
            }
            if !role_ids.contains(&id) {
                role_ids.push(id);
            }
        }
        let now = self.now();
        let id = crypto::hex(&crypto::random_bytes::<8>());
        let key = format!("{KEY_PREFIX}{id}_{}", crypto::random_token::<32>());
        let secret_hash = password::hash(split(&key).map(|(_, s)| s.to_owned()).unwrap_or_default())
            .await
            .map_err(|e| ManageError::Internal(e.to_string()))?;
        let row = ApiKeyRow {
            id,
            realm_id: realm.id.clone(),
            name,
            secret_hash,
            created_by: actor.name().to_owned(),
            owner: actor.holder().map(Holder::key),
            created_at: now,
            expires_at: new.expires_in.map(|s| now + s),
            last_used_at: None,
            revoked_at: None,
        };
        store::api_keys::insert(&mut tx, &row, &role_ids, &projects).await?;
        let roles: Vec<String> = new.roles.iter().map(RoleRef::key).collect();
        let detail = serde_json::json!({
            "id": row.id, "name": row.name, "roles": roles, "projects": projects, "expires_at": row.expires_at,
        });
        self.audit(&mut tx, &realm, "api_key.created", actor, detail).await?;
        tx.commit().await?;
        Ok((row, key))
    }

    /// The realm's keys the actor may see, newest first.
    pub async fn list_api_keys(
        &self,
        realm: &str,
        actor: &Actor,
        first: i64,
        max: i64,
    ) -> Result<Vec<ApiKeyInfo>, ManageError> {
        let realm = self.realm_for(realm, actor, ADMINISTERS).await?;
        let owner = (!actor.can(&realm.id, VIEW_REALM)).then(|| actor.holder().map(Holder::key).unwrap_or_default());
        let mut conn = self.db.conn().await?;
        let rows =
            store::api_keys::list(&mut conn, &realm.id, owner.as_deref(), first.max(0), max.clamp(1, 1000)).await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let roles = store::api_keys::roles(&mut conn, &row.id).await?.into_iter().map(to_ref).collect();
            let projects = store::api_keys::projects(&mut conn, &row.id).await?;
            keys.push(ApiKeyInfo { row, roles, projects });
        }
        Ok(keys)
    }

    /// One key, if the actor may see it.
    pub async fn api_key(&self, realm: &str, id: &str, actor: &Actor) -> Result<ApiKeyInfo, ManageError> {
        let (_, row) = self.visible_key(realm, id, actor, VIEW_REALM).await?;
        let mut conn = self.db.conn().await?;
        let roles = store::api_keys::roles(&mut conn, &row.id).await?.into_iter().map(to_ref).collect();
        let projects = store::api_keys::projects(&mut conn, &row.id).await?;
        Ok(ApiKeyInfo { row, roles, projects })
    }

    /// Renames a key and sets (`Some(Some(seconds from now))`) or removes (`Some(None)`) its
    /// expiry; `None` leaves the expiry alone.
    pub async fn update_api_key(
        &self,
        realm: &str,
        id: &str,
        name: Option<&str>,
        expires_in: Option<Option<i64>>,
        actor: &Actor,
    ) -> Result<ApiKeyRow, ManageError> {
        let (realm, row) = self.visible_key(realm, id, actor, MANAGE_REALM).await?;
        let name = match name {
            Some(n) => check_name(n)?.to_owned(),
            None => row.name.clone(),
        };
        let expires_at = match expires_in {
            Some(e) => {
                check_expires_in(e)?;
                e.map(|s| self.now() + s)
            }
            None => row.expires_at,
        };
        let mut tx = self.db.begin().await?;
        store::api_keys::update(&mut tx, &row.id, &name, expires_at).await?;
        let detail = serde_json::json!({
            "id": row.id,
            "name": [row.name, name],
            "expires_at": [row.expires_at, expires_at],
        });
        self.audit(&mut tx, &realm, "api_key.updated", actor, detail).await?;
        tx.commit().await?;
        Ok(ApiKeyRow { name, expires_at, ..row })
    }

    /// Revokes a key: it stops working at once, everywhere (every use reads its row).
    pub async fn revoke_api_key(&self, realm: &str, id: &str, actor: &Actor) -> Result<ApiKeyRow, ManageError> {
        let (realm, row) = self.visible_key(realm, id, actor, MANAGE_REALM).await?;
        let mut tx = self.db.begin().await?;
        if !store::api_keys::revoke(&mut tx, &row.id, self.now()).await? {
            return Err(ManageError::Conflict(format!("the API key {:?} is revoked already", row.name)));
        }
        let detail = serde_json::json!({ "id": row.id, "name": row.name });
        self.audit(&mut tx, &realm, "api_key.revoked", actor, detail).await?;
        tx.commit().await?;
        Ok(ApiKeyRow { revoked_at: Some(self.now()), ..row })
    }

    /// Checks a presented key: `None` unless it names a live key and its secret matches. A use
    /// is recorded (at most once a minute).
    pub async fn verify_api_key(
        &self,
        cache: &CredentialCache,
        presented: &str,
    ) -> Result<Option<VerifiedKey>, ManageError> {
        let Some((id, secret)) = split(presented) else { return Ok(None) };
        let mut conn = self.db.conn().await?;
        let now = self.now();
        let Some(row) = store::api_keys::get(&mut conn, id).await?.filter(|k| k.is_live(now)) else {
            return Ok(None);
        };
        drop(conn);
        let fingerprint = cache.fingerprint(&row.realm_id, &format!("{KEY_PREFIX}{id}"), secret);
        let candidates = vec![(row.id.clone(), row.secret_hash.clone())];
        let verified = cache.verify(fingerprint, now, secret.to_owned(), candidates).await;
        if !verified {
            return Ok(None);
        }
        let mut conn = self.db.conn().await?;
        // A key never holds more than its maker does now: a maker disabled or deleted takes its
        // keys along, and a role the maker lost leaves its keys too.
        let mut roles = store::api_keys::roles_expanded(&mut conn, &row.id).await?;
        // A superuser maker (the master realm's admin) may give any role, so cuts nothing.
        let maker = match row.owner.as_deref().and_then(|o| o.split_once(':')) {
            Some(("user", id)) => match store::users::by_id(&mut conn, id).await? {
                Some(u) if u.enabled => match self.permissions_of(&u).await?.superuser {
                    true => None,
                    false => Some(store::roles::of_user(&mut conn, id).await?),
                },
                _ => return Ok(None),
            },
            Some(("client", pk)) => match store::clients::by_pk(&mut conn, pk).await? {
                Some(c) if c.enabled => match self.permissions_of_service_account(&c).await?.superuser {
                    true => None,
                    false => Some(store::roles::of_service_account(&mut conn, pk).await?),
                },
                _ => return Ok(None),
            },
            _ => None,
        };
        if let Some(held) = maker {
            roles.retain(|r| held.iter().any(|h| h.client_id == r.client_id && h.name == r.name));
        }
        store::api_keys::touch(&mut conn, &row.id, now).await?;
        let projects = store::api_keys::projects(&mut conn, &row.id).await?;
        Ok(Some(VerifiedKey { row, roles, projects }))
    }

    /// What a new key made by `actor` may hold: the roles the actor holds (every role of the
    /// realm for a superuser), realm roles first; the realm's projects; and whether the actor
    /// sees every key.
    pub async fn api_key_choices(
        &self,
        realm: &str,
        actor: &Actor,
    ) -> Result<(Vec<RoleRef>, Vec<store::projects::ProjectRow>, bool), ManageError> {
        let realm = self.realm_for(realm, actor, ADMINISTERS).await?;
        let mut conn = self.db.conn().await?;
        let mut roles: Vec<RoleRef> = match self.roles_held(&mut conn, actor).await? {
            Some(held) => held.into_iter().map(to_ref).collect(),
            None => store::roles::all_of_realm(&mut conn, &realm.id)
                .await?
                .into_iter()
                .map(|r| RoleRef { client_id: r.client_id, name: r.name })
                .collect(),
        };
        roles.sort_by(|a, b| (&a.client_id, &a.name).cmp(&(&b.client_id, &b.name)));
        roles.dedup();
        let projects = store::projects::list(&mut conn, &realm.id).await?;
        Ok((roles, projects, actor.can(&realm.id, VIEW_REALM)))
    }

    /// Whether `actor` may revoke `key` (it holds `manage-realm`, or made the key).
    pub fn may_revoke_api_key(&self, key: &ApiKeyRow, actor: &Actor) -> bool {
        actor.can(&key.realm_id, MANAGE_REALM) || made_by(key, actor)
    }

    /// What a verified key may administer: what its roles permit in its realm.
    pub async fn permissions_of_api_key(&self, key: &VerifiedKey) -> Result<Permissions, ManageError> {
        self.permissions_from(key.roles.clone(), &key.row.realm_id, key.row.revoked_at.is_none()).await
    }

    /// The roles the actor holds, composites expanded; `None` when it may hand out any role
    /// (the operator, a superuser).
    async fn roles_held(
        &self,
        c: &mut impl store::Executes,
        actor: &Actor,
    ) -> Result<Option<Vec<GrantedRole>>, ManageError> {
        if actor.is_superuser() {
            return Ok(None);
        }
        Ok(Some(match actor.holder() {
            Some(Holder::User(id)) => store::roles::of_user(c, id).await?,
            Some(Holder::ServiceAccount(pk)) => store::roles::of_service_account(c, pk).await?,
            Some(Holder::ApiKey(id)) => store::api_keys::roles_expanded(c, id).await?,
            None => vec![],
        }))
    }

    /// The realm and the key `id` in it, if the actor holds `permission` or made the key.
    async fn visible_key(
        &self,
        realm: &str,
        id: &str,
        actor: &Actor,
        permission: &str,
    ) -> Result<(RealmRow, ApiKeyRow), ManageError> {
        let realm = self.realm_for(realm, actor, ADMINISTERS).await?;
        let mut conn = self.db.conn().await?;
        let row = store::api_keys::get(&mut conn, id).await?.filter(|k| k.realm_id == realm.id);
        match row {
            Some(k) if actor.can(&realm.id, permission) || made_by(&k, actor) => Ok((realm, k)),
            Some(_) if actor.can(&realm.id, VIEW_REALM) => {
                Err(ManageError::Forbidden(format!("this needs the {permission} permission in this realm")))
            }
            _ => Err(ManageError::NotFound(format!("no API key {id:?} in realm {:?}", realm.name))),
        }
    }

    async fn audit(
        &self,
        tx: &mut store::Tx,
        realm: &RealmRow,
        kind: &str,
        actor: &Actor,
        detail: serde_json::Value,
    ) -> Result<(), ManageError> {
        let audit = NewAudit {
            realm_id: Some(&realm.id),
            kind,
            actor: actor.name(),
            detail: Some(detail),
            ..Default::default()
        };
        store::audit::insert(tx, &audit, self.now()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn a_key_splits_into_its_id_and_secret() {
        assert_eq!(split("pcs_0123456789abcdef_a_b-c"), Some(("0123456789abcdef", "a_b-c")));
        assert_eq!(split("pcs_0123456789abcdef_"), None, "no secret");
        assert_eq!(split("pcs_0123_secret"), None, "short id");
        assert_eq!(split("pcs_0123456789abcdeg_secret"), None, "not hex");
        assert_eq!(split("eyJhbGciOi.x.y"), None, "a JWT");
    }
}
