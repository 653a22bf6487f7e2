//! `realms`: the unit of isolation and its settings.

use super::Executes;
use crate::on;

/// A realm row, settings included.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RealmRow {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub enabled: bool,
    pub oauth_clients_enabled: bool,
    pub access_token_lifespan: i64,
    pub refresh_token_lifespan: i64,
    pub auth_code_lifespan: i64,
    pub id_token_lifespan: i64,
    pub device_code_lifespan: i64,
    pub device_poll_interval: i64,
    pub access_token_alg: String,
    pub id_token_alg: String,
    pub password_min_length: i64,
    pub bruteforce_max_failures: i64,
    pub bruteforce_lockout_seconds: i64,
    pub not_before: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// An SSO session ends after this many seconds without use.
    pub sso_session_idle_timeout: i64,
    /// An SSO session ends this many seconds after sign-in, used or not.
    pub sso_session_max_lifespan: i64,
    /// Client secrets are also kept sealed, so the admin API can give them back.
    pub retrievable_secrets: bool,
}

const COLUMNS: &str = "id, name, display_name, enabled, oauth_clients_enabled, \
    access_token_lifespan, refresh_token_lifespan, auth_code_lifespan, id_token_lifespan, \
    device_code_lifespan, device_poll_interval, access_token_alg, id_token_alg, \
    password_min_length, bruteforce_max_failures, bruteforce_lockout_seconds, not_before, \
    created_at, updated_at, sso_session_idle_timeout, sso_session_max_lifespan, retrievable_secrets";

/// Inserts a realm.
pub async fn insert(c: &mut impl Executes, r: &RealmRow) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO realms ({COLUMNS}) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)"
    );
    on!(c, e => sqlx::query(&sql)
        .bind(&r.id).bind(&r.name).bind(&r.display_name).bind(r.enabled)
        .bind(r.oauth_clients_enabled).bind(r.access_token_lifespan)
        .bind(r.refresh_token_lifespan).bind(r.auth_code_lifespan).bind(r.id_token_lifespan)
        .bind(r.device_code_lifespan).bind(r.device_poll_interval).bind(&r.access_token_alg)
        .bind(&r.id_token_alg).bind(r.password_min_length).bind(r.bruteforce_max_failures)
        .bind(r.bruteforce_lockout_seconds).bind(r.not_before).bind(r.created_at)
        .bind(r.updated_at).bind(r.sso_session_idle_timeout).bind(r.sso_session_max_lifespan)
        .bind(r.retrievable_secrets)
        .execute(e).await.map(|_| ()))
}

/// The realm named `name`.
pub async fn by_name(c: &mut impl Executes, name: &str) -> sqlx::Result<Option<RealmRow>> {
    let sql = format!("SELECT {COLUMNS} FROM realms WHERE name = $1");
    on!(c, e => sqlx::query_as(&sql).bind(name).fetch_optional(e).await)
}

/// Every realm, by name.
pub async fn list(c: &mut impl Executes) -> sqlx::Result<Vec<RealmRow>> {
    let sql = format!("SELECT {COLUMNS} FROM realms ORDER BY name");
    on!(c, e => sqlx::query_as(&sql).fetch_all(e).await)
}

/// Sets the realm's not-before time: tokens issued before it stop working.
pub async fn set_not_before(c: &mut impl Executes, id: &str, at: i64, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE realms SET not_before = $2, updated_at = $3 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(id).bind(at).bind(now).execute(e).await.map(|r| r.rows_affected()))
}

/// Turns the OAuth clients feature flag on or off.
pub async fn set_oauth_clients_enabled(c: &mut impl Executes, id: &str, on_: bool, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE realms SET oauth_clients_enabled = $2, updated_at = $3 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(id).bind(on_).bind(now).execute(e).await.map(|r| r.rows_affected()))
}

/// Writes a realm's changeable settings.
pub async fn update_settings(c: &mut impl Executes, r: &RealmRow, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE realms SET display_name = $2, oauth_clients_enabled = $3, access_token_lifespan = $4, \
        refresh_token_lifespan = $5, sso_session_idle_timeout = $6, sso_session_max_lifespan = $7, updated_at = $8, \
        retrievable_secrets = $9 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(&r.id).bind(&r.display_name).bind(r.oauth_clients_enabled)
        .bind(r.access_token_lifespan).bind(r.refresh_token_lifespan).bind(r.sso_session_idle_timeout)
        .bind(r.sso_session_max_lifespan).bind(now).bind(r.retrievable_secrets)
        .execute(e).await.map(|r| r.rows_affected()))
}

/// Deletes a realm and, by cascade, everything in it.
pub async fn delete(c: &mut impl Executes, id: &str) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("DELETE FROM realms WHERE id = $1").bind(id).execute(e).await.map(|r| r.rows_affected()))
}
