//! Realms: creation (with signing keys and built-in scopes) and not-before.

use super::{actor::perm::MANAGE_REALM, on_unique, Actor, ManageError, Manager};
use crate::{
    crypto::jws::{self, SigningAlg},
    model::{scope, validate},
    store::{self, audit::NewAudit, keys::KeyRow, realms::RealmRow},
};

/// The realm of the superusers.
pub const MASTER_REALM: &str = "master";
/// The master realm's role that administers every realm.
pub const SUPERUSER_ROLE: &str = "admin";

/// The realm every installation starts with.
pub const DEFAULT_REALM: &str = "default";

impl Manager {
    /// Creates a realm with its three signing keys (ES256, RS256, EdDSA) and built-in scopes.
    pub async fn create_realm(
        &self,
        name: &str,
        display_name: Option<&str>,
        actor: &Actor,
    ) -> Result<RealmRow, ManageError> {
        actor.require_superuser()?;
        let actor = actor.name();
        validate::realm_name(name).map_err(ManageError::Invalid)?;
        let display_name = display_name.unwrap_or(name).trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(ManageError::Invalid("the display name must be 1-200 characters".into()));
        }
        // Key generation (RSA especially) is CPU work: do it before opening the transaction.
        let generated = tokio::task::spawn_blocking(|| {
            SigningAlg::ALL.into_iter().map(jws::generate).collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| ManageError::Internal(e.to_string()))?
        .map_err(|e| ManageError::Internal(e.to_string()))?;

        let now = self.now();
        let row = RealmRow {
            id: store::new_id(),
            name: name.to_owned(),
            display_name,
            enabled: true,
            oauth_clients_enabled: true,
            access_token_lifespan: 300,
            refresh_token_lifespan: 30 * 24 * 3600,
            auth_code_lifespan: 60,
            id_token_lifespan: 300,
            device_code_lifespan: 600,
            device_poll_interval: 5,
            access_token_alg: SigningAlg::ES256.to_string(),
            id_token_alg: SigningAlg::RS256.to_string(),
            password_min_length: 8,
            bruteforce_max_failures: 5,
            bruteforce_lockout_seconds: 900,
            not_before: 0,
            created_at: now,
            updated_at: now,
            sso_session_idle_timeout: 30 * 60,
            sso_session_max_lifespan: 10 * 3600,
            retrievable_secrets: false,
        };
        let exists = || format!("realm {name:?} already exists");
        let mut tx = self.db.begin().await?;
        if store::realms::by_name(&mut tx, name).await?.is_some() {
            return Err(ManageError::Conflict(exists()));
        }
        store::realms::insert(&mut tx, &row).await.map_err(on_unique(exists))?;
        for key in generated {
            store::keys::insert(
                &mut tx,
                &KeyRow {
                    private_key_enc: self.master.seal(&key.pkcs8, key.kid.as_bytes()),
                    kid: key.kid,
                    realm_id: row.id.clone(),
                    alg: key.alg.to_string(),
                    status: "active".into(),
                    public_jwk: key.public_jwk.to_string(),
                    created_at: now,
                    retire_at: None,
                    active_from: now,
                },
            )
            .await?;
        }
        for (name, description) in scope::BUILTIN {
            store::scopes::ensure(&mut tx, &row.id, name, description, true, now).await?;
        }
        self.ensure_admin_roles(&mut tx, &row.id).await?;
        self.ensure_admin_cli(&mut tx, &row.id).await?;
        self.ensure_broker_client(&mut tx, &row.id).await?;
        let audit = NewAudit { kind: "realm.created", actor, ..Default::default() };
        self.record(&mut tx, &row.id, "realm", &row.name, audit).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Creates the `default` realm unless it exists. Returns whether it was created.
    pub async fn ensure_default_realm(&self) -> Result<bool, ManageError> {
        self.ensure_realm(DEFAULT_REALM, "Default").await
    }

    /// Creates the `master` realm (Keycloak's: it holds the superusers, whose realm role
    /// `admin` administers every realm) unless it exists, and its `admin` role. Made when the
    /// first administrator is.
    pub async fn ensure_master_realm(&self) -> Result<RealmRow, ManageError> {
        self.ensure_realm(MASTER_REALM, "Master").await?;
        let realm = self.realm_row(MASTER_REALM).await?;
        let mut conn = self.db.conn().await?;
        store::roles::ensure_realm_role(&mut conn, &realm.id, SUPERUSER_ROLE, self.now()).await?;
        Ok(realm)
    }

    /// Creates the realm `name` unless it exists. Returns whether it was created.
    async fn ensure_realm(&self, name: &str, display_name: &str) -> Result<bool, ManageError> {
        let mut conn = self.db.conn().await?;
        if store::realms::by_name(&mut conn, name).await?.is_some() {
            return Ok(false);
        }
        drop(conn);
        match self.create_realm(name, Some(display_name), &Actor::operator("system")).await {
            Ok(_) => Ok(true),
            // Another process created it between our check and our insert.
            Err(ManageError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Loads a realm by name or fails with a message naming it.
    pub async fn realm_row(&self, name: &str) -> Result<RealmRow, ManageError> {
        let mut conn = self.db.conn().await?;
        store::realms::by_name(&mut conn, name)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("realm {name:?} does not exist")))
    }

    /// The realms the actor may see (its settings, clients or users): every realm for a
    /// superuser, else their own.
    pub async fn list_realms(&self, actor: &Actor) -> Result<Vec<RealmRow>, ManageError> {
        let mut conn = self.db.conn().await?;
        let realms = store::realms::list(&mut conn).await?;
        let visible = |r: &RealmRow| ["view-realm", "query-clients", "query-users"].iter().any(|p| actor.can(&r.id, p));
        Ok(realms.into_iter().filter(visible).collect())
    }

    /// Deletes a realm with everything in it (clients, users, keys, sessions); the `master`
    /// realm stays. Only a superuser may.
    pub async fn delete_realm(&self, name: &str, actor: &Actor) -> Result<(), ManageError> {
        actor.require_superuser()?;
        let realm = self.realm_row(name).await?;
        if realm.name == MASTER_REALM {
            return Err(ManageError::Invalid("the master realm cannot be deleted".into()));
        }
        let mut tx = self.db.begin().await?;
        store::realms::delete(&mut tx, &realm.id).await?;
        let audit = NewAudit {
            kind: "realm.deleted",
            actor: actor.name(),
            detail: Some(serde_json::json!({ "realm": realm.name })),
            ..Default::default()
        };
        // Recorded outside the realm (its events go with it); the change log tells other
        // servers to drop it.
        store::audit::insert(&mut tx, &audit, self.now()).await?;
        store::changes::record(&mut tx, &realm.id, "realm", &realm.name, self.now()).await?;
        tx.commit().await?;
        self.invalidate(&realm.id, "realm", &realm.name);
        Ok(())
    }

    /// The realm's settings, for someone allowed to see them (`view-realm`).
    pub async fn realm_settings(&self, name: &str, actor: &Actor) -> Result<RealmRow, ManageError> {
        let realm = self.realm_row(name).await?;
        actor.require(&realm.id, super::actor::perm::VIEW_REALM)?;
        Ok(realm)
    }

    /// Sets the realm's not-before to `at` (now when `None`): every token issued before it
    /// stops working.
    pub async fn set_realm_not_before(&self, name: &str, at: Option<i64>, actor: &Actor) -> Result<i64, ManageError> {
        let realm = self.realm_row(name).await?;
        actor.require(&realm.id, MANAGE_REALM)?;
        let actor = actor.name();
        let at = at.unwrap_or_else(|| self.now());
        let mut tx = self.db.begin().await?;
        store::realms::set_not_before(&mut tx, &realm.id, at, self.now()).await?;
        let audit = NewAudit {
            kind: "realm.not_before",
            actor,
            detail: Some(serde_json::json!({ "not_before": at })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(at)
    }

    /// Changes the realm's settings: only those given. Nothing is written unless all are
    /// valid; the audit event records each changed setting before and after.
    pub async fn update_realm(
        &self,
        name: &str,
        changes: RealmChanges,
        actor: &Actor,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ManageError> {
        let before = self.realm_row(name).await?;
        actor.require(&before.id, MANAGE_REALM)?;
        let actor = actor.name();
        let mut row = before.clone();
        let c = changes;
        if let Some(d) = &c.display_name {
            if d.trim().is_empty() || d.chars().count() > 200 {
                return Err(ManageError::Invalid("the display name must be 1-200 characters".into()));
            }
            row.display_name = d.trim().to_owned();
        }
        if let Some(l) = c.access_token_lifespan {
            super::client::check_access_token_lifespan(l)?;
            row.access_token_lifespan = l;
        }
        if let Some(l) = c.refresh_token_lifespan {
            super::client::check_refresh_settings(Some(l), None)?;
            row.refresh_token_lifespan = l;
        }
        row.oauth_clients_enabled = c.oauth_clients_enabled.unwrap_or(row.oauth_clients_enabled);
        row.sso_session_idle_timeout = c.sso_session_idle_timeout.unwrap_or(row.sso_session_idle_timeout);
        row.sso_session_max_lifespan = c.sso_session_max_lifespan.unwrap_or(row.sso_session_max_lifespan);
        row.retrievable_secrets = c.retrievable_secrets.unwrap_or(row.retrievable_secrets);
        const YEAR: i64 = 365 * 24 * 3600;
        if ![row.sso_session_idle_timeout, row.sso_session_max_lifespan].iter().all(|s| (60..=YEAR).contains(s)) {
            return Err(ManageError::Invalid("SSO session lifetimes must be between 60 seconds and a year".into()));
        }
        if row.sso_session_idle_timeout > row.sso_session_max_lifespan {
            return Err(ManageError::Invalid("the idle timeout cannot be longer than the maximum lifespan".into()));
        }
        let changed = changed_settings(&before, &row);
        if changed.is_empty() {
            return Ok(changed);
        }
        let mut tx = self.db.begin().await?;
        store::realms::update_settings(&mut tx, &row, self.now()).await?;
        let audit = NewAudit {
            kind: "realm.updated",
            actor,
            detail: Some(serde_json::Value::Object(changed.clone())),
            ..Default::default()
        };
        self.finish(tx, &row.id, "realm", &row.name, audit).await?;
        Ok(changed)
    }

    /// Turns the realm's OAuth clients feature flag on or off.
    pub async fn set_oauth_clients_enabled(&self, name: &str, enabled: bool, actor: &Actor) -> Result<(), ManageError> {
        let realm = self.realm_row(name).await?;
        actor.require(&realm.id, MANAGE_REALM)?;
        let actor = actor.name();
        let mut tx = self.db.begin().await?;
        store::realms::set_oauth_clients_enabled(&mut tx, &realm.id, enabled, self.now()).await?;
        let audit = NewAudit {
            kind: "realm.oauth_clients",
            actor,
            detail: Some(serde_json::json!({ "enabled": enabled })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(())
    }
}

/// What `update_realm` changes; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct RealmChanges {
    pub display_name: Option<String>,
    pub oauth_clients_enabled: Option<bool>,
    pub access_token_lifespan: Option<i64>,
    pub refresh_token_lifespan: Option<i64>,
    pub sso_session_idle_timeout: Option<i64>,
    pub sso_session_max_lifespan: Option<i64>,
    /// Keep client secrets sealed (besides their hashes) so the admin API gives them back.
    pub retrievable_secrets: Option<bool>,
}

/// The settings that differ between two snapshots of a realm, each `{"before", "after"}`.
fn changed_settings(a: &RealmRow, b: &RealmRow) -> serde_json::Map<String, serde_json::Value> {
    let pairs: [(&str, serde_json::Value, serde_json::Value); 7] = [
        ("display_name", a.display_name.clone().into(), b.display_name.clone().into()),
        ("oauth_clients_enabled", a.oauth_clients_enabled.into(), b.oauth_clients_enabled.into()),
        ("access_token_lifespan", a.access_token_lifespan.into(), b.access_token_lifespan.into()),
        ("refresh_token_lifespan", a.refresh_token_lifespan.into(), b.refresh_token_lifespan.into()),
        ("sso_session_idle_timeout", a.sso_session_idle_timeout.into(), b.sso_session_idle_timeout.into()),
        ("sso_session_max_lifespan", a.sso_session_max_lifespan.into(), b.sso_session_max_lifespan.into()),
        ("retrievable_secrets", a.retrievable_secrets.into(), b.retrievable_secrets.into()),
    ];
    pairs
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(k, x, y)| (k.to_owned(), serde_json::json!({ "before": x, "after": y })))
        .collect()
}
