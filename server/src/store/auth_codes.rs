//! `auth_codes`: authorization codes by hash, redeemed atomically.

use super::{
    refresh_tokens::{RefreshRow, COLUMNS as REFRESH_COLUMNS},
    Db, Executes,
};
use crate::on;
use std::sync::LazyLock;

/// An authorization code.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthCodeRow {
    pub code_hash: String,
    pub realm_id: String,
    pub client_pk: String,
    pub user_id: String,
    pub session_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub family_id: Option<String>,
}

const COLUMNS: &str = "code_hash, realm_id, client_pk, user_id, session_id, redirect_uri, scope, \
    nonce, code_challenge, auth_time, created_at, expires_at, used_at, family_id";

/// Stores a new code.
pub async fn insert(c: &mut impl Executes, r: &AuthCodeRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO auth_codes ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)");
    on!(c, e => sqlx::query(&sql)
        .bind(&r.code_hash).bind(&r.realm_id).bind(&r.client_pk).bind(&r.user_id).bind(&r.session_id)
        .bind(&r.redirect_uri).bind(&r.scope).bind(&r.nonce).bind(&r.code_challenge).bind(r.auth_time)
        .bind(r.created_at).bind(r.expires_at).bind(r.used_at).bind(&r.family_id)
        .execute(e).await.map(|_| ()))
}

/// Marks the code used and names the family its redemption starts, in one statement: of two
/// racing redemptions exactly one gets the row.
pub async fn redeem(
    c: &mut impl Executes,
    code_hash: &str,
    family_id: &str,
    now: i64,
) -> sqlx::Result<Option<AuthCodeRow>> {
    let sql = format!(
        "UPDATE auth_codes SET used_at = $2, family_id = $3 WHERE code_hash = $1 AND used_at IS NULL RETURNING {COLUMNS}"
    );
    on!(c, e => sqlx::query_as(&sql).bind(code_hash).bind(now).bind(family_id).fetch_optional(e).await)
}

/// Redeems the code (as [`redeem`] does) and, in the same write, stores `refresh` (the first
/// token of the family `family_id`, when the client gets one) and records the use of SSO
/// session `touch_session`: one atomic write in one round trip to the database (SQLite: one
/// script in the write turn; PostgreSQL: one statement of data-modifying CTEs). Returns whether
/// the code was redeemed: false when it was used already, and then nothing is written.
pub async fn redeem_into(
    db: &Db,
    code_hash: &str,
    family_id: &str,
    now: i64,
    refresh: Option<&RefreshRow>,
    touch_session: Option<&str>,
) -> sqlx::Result<bool> {
    // $1..$14 are the refresh token's columns, $15 the time, $16 the family, $17 the code,
    // $18 whether to store a refresh token, $19 the session to mark used.
    const REDEEM: &str =
        "UPDATE auth_codes SET used_at = $15, family_id = $16 WHERE code_hash = $17 AND used_at IS NULL RETURNING 1";
    const REFRESH: &str = "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14";
    static SQLITE: LazyLock<String> = LazyLock::new(|| {
        let redeemed = "EXISTS (SELECT 1 FROM auth_codes WHERE code_hash = $17 AND family_id = $16)";
        let touch = super::user_sessions::touch_when_due("$15", "$19");
        format!(
            "BEGIN IMMEDIATE; {REDEEM}; \
             INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) {REFRESH} WHERE $18 AND {redeemed}; \
             {touch} AND {redeemed}; COMMIT"
        )
    });
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        let touch = super::user_sessions::touch_when_due("$15", "$19");
        format!(
            "WITH r AS ({REDEEM}), n AS (INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) {REFRESH} FROM r WHERE $18), \
             t AS ({touch} AND EXISTS (SELECT 1 FROM r)) SELECT 1 FROM r"
        )
    });
    macro_rules! bound {
        ($sql:expr) => {{
            let r = refresh.cloned();
            let r = r.as_ref();
            sqlx::query($sql)
                .bind(r.map(|r| r.token_hash.clone()))
                .bind(r.map(|r| r.family_id.clone()))
                .bind(r.map(|r| r.realm_id.clone()))
                .bind(r.map(|r| r.client_pk.clone()))
                .bind(r.map(|r| r.user_id.clone()))
                .bind(r.map(|r| r.session_id.clone()))
                .bind(r.map(|r| r.scope.clone()))
                .bind(r.map(|r| r.auth_time))
                .bind(r.map(|r| r.offline))
                .bind(r.map(|r| r.issued_at))
                .bind(r.and_then(|r| r.expires_at))
                .bind(r.and_then(|r| r.rotated_at))
                .bind(r.and_then(|r| r.successor_hash.clone()))
                .bind(r.and_then(|r| r.revoked_at))
                .bind(now)
                .bind(family_id.to_owned())
                .bind(code_hash.to_owned())
                .bind(r.is_some())
                .bind(touch_session.map(str::to_owned))
        }};
    }
    let rows = match db {
        Db::Sqlite(pool, gate) => super::sqlite_script(pool, gate, bound!(SQLITE.as_str())).await?.len(),
        Db::Postgres(pool) => bound!(POSTGRES.as_str()).fetch_all(pool).await?.len(),
    };
    Ok(rows == 1)
}

/// The code, used or not (to recognise a replay).
pub async fn get(c: &mut impl Executes, code_hash: &str) -> sqlx::Result<Option<AuthCodeRow>> {
    let sql = format!("SELECT {COLUMNS} FROM auth_codes WHERE code_hash = $1");
    on!(c, e => sqlx::query_as(&sql).bind(code_hash).fetch_optional(e).await)
}
