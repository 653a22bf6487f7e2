//! `auth_codes`: authorization codes by hash, redeemed atomically.

use super::{
    lite,
    refresh_tokens::{RefreshRow, COLUMNS as REFRESH_COLUMNS},
    Executes, Read, Reads,
};
use crate::{lite_row, on, read};
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

lite_row!(AuthCodeRow {
    code_hash,
    realm_id,
    client_pk,
    user_id,
    session_id,
    redirect_uri,
    scope,
    nonce,
    code_challenge,
    auth_time,
    created_at,
    expires_at,
    used_at,
    family_id
});

const COLUMNS: &str = "code_hash, realm_id, client_pk, user_id, session_id, redirect_uri, scope, \
    nonce, code_challenge, auth_time, created_at, expires_at, used_at, family_id";

/// Stores a new code: on SQLite a write of [`lite`]'s writer, on PostgreSQL an autocommit
/// statement on the connection.
pub async fn insert(c: &mut Read, r: &AuthCodeRow) -> sqlx::Result<()> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!("INSERT INTO auth_codes ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)")
    });
    match c {
        Read::Lite(reader) => {
            let r = r.clone();
            let p: Vec<rusqlite::types::Value> = vec![
                r.code_hash.into(),
                r.realm_id.into(),
                r.client_pk.into(),
                r.user_id.into(),
                r.session_id.into(),
                r.redirect_uri.into(),
                r.scope.into(),
                r.nonce.into(),
                r.code_challenge.into(),
                r.auth_time.into(),
                r.created_at.into(),
                r.expires_at.into(),
                r.used_at.into(),
                r.family_id.into(),
            ];
            reader.lite().write(move |c| lite::execute(c, &SQL, &p).map(|_| ())).await
        }
        Read::Postgres(pg) => {
            let done = sqlx::query(SQL.as_str())
                .bind(&r.code_hash)
                .bind(&r.realm_id)
                .bind(&r.client_pk)
                .bind(&r.user_id)
                .bind(&r.session_id)
                .bind(&r.redirect_uri)
                .bind(&r.scope)
                .bind(&r.nonce)
                .bind(&r.code_challenge)
                .bind(r.auth_time)
                .bind(r.created_at)
                .bind(r.expires_at)
                .bind(r.used_at)
                .bind(&r.family_id)
                .execute(pg.conn())
                .await
                .map(|_| ());
            pg.settled(done.is_ok());
            done
        }
    }
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
/// write of [`lite`]'s writer; PostgreSQL: one statement of data-modifying CTEs). Returns whether
/// the code was redeemed: false when it was used already, and then nothing is written.
pub async fn redeem_into(
    c: &mut Read,
    code_hash: &str,
    family_id: &str,
    now: i64,
    refresh: Option<&RefreshRow>,
    touch_session: Option<&str>,
) -> sqlx::Result<bool> {
    // $1..$14 are the refresh token's columns, $15 the time, $16 the family, $17 the code,
    // $18 whether to store a refresh token, $19 the session to mark used.
    const REDEEM: &str =
        "UPDATE auth_codes SET used_at = $15, family_id = $16 WHERE code_hash = $17 AND used_at IS NULL";
    const REFRESH: &str = "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14";
    static TOUCH: LazyLock<String> = LazyLock::new(|| super::user_sessions::touch_when_due("$15", "$19"));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        let touch = super::user_sessions::touch_when_due("$15", "$19");
        format!(
            "WITH r AS ({REDEEM} RETURNING 1), n AS (INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) {REFRESH} FROM r WHERE $18), \
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
    match c {
        Read::Lite(reader) => {
            let stored = refresh.map(super::refresh_tokens::lite_values);
            let then = [
                stored.as_ref().map(|_| super::refresh_tokens::INSERT.as_str()),
                touch_session.map(|_| TOUCH.as_str()),
            ];
            let mut p = stored.unwrap_or_else(|| vec![rusqlite::types::Value::Null; 14]);
            p.extend([
                now.into(),
                family_id.to_owned().into(),
                code_hash.to_owned().into(),
                refresh.is_some().into(),
                touch_session.map(str::to_owned).into(),
            ]);
            reader.write_if_changed(REDEEM, then.into_iter().flatten().collect(), p).await
        }
        Read::Postgres(pg) => {
            let rows = bound!(POSTGRES.as_str()).fetch_all(pg.conn()).await;
            pg.settled(rows.is_ok());
            Ok(rows?.len() == 1)
        }
    }
}

/// The code, used or not (to recognise a replay).
pub async fn get(c: &mut impl Reads, code_hash: &str) -> sqlx::Result<Option<AuthCodeRow>> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {COLUMNS} FROM auth_codes WHERE code_hash = $1"));
    read!(c, l => lite::optional(l, &SQL, &[&code_hash], <AuthCodeRow as lite::FromLite>::from_lite),
        e => sqlx::query_as(SQL.as_str()).bind(code_hash).fetch_optional(e).await)
}
