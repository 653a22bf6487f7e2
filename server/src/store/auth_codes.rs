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
} and prefixed);

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

// The statements of a redemption ([`pg_redeem_into`], [`redeem_decided`]): $1..$14 are the
// refresh token's columns, $15 the time, $16 the family, $17 the code, $18 whether to store a
// refresh token, $19 the session to mark used.
const REDEEM: &str = "UPDATE auth_codes SET used_at = $15, family_id = $16 WHERE code_hash = $17 AND used_at IS NULL";
static TOUCH: LazyLock<String> = LazyLock::new(|| super::user_sessions::touch_when_due("$15", "$19"));

/// The parameters of [`REDEEM`] and the statements after it, for [`lite`]'s writer.
fn lite_redeem_values(
    code_hash: &str,
    family_id: &str,
    now: i64,
    refresh: Option<&RefreshRow>,
    touch_session: Option<&str>,
) -> Vec<rusqlite::types::Value> {
    let mut p = refresh.map_or_else(|| vec![rusqlite::types::Value::Null; 14], super::refresh_tokens::lite_values);
    p.extend([
        now.into(),
        family_id.to_owned().into(),
        code_hash.to_owned().into(),
        refresh.is_some().into(),
        touch_session.map(str::to_owned).into(),
    ]);
    p
}

/// A redemption its caller decided on (see [`redeem_decided`]): the family's first refresh
/// token if the client gets one, whether to record the use of the code's SSO session, and
/// what to hand back.
pub struct Redemption<T> {
    pub refresh: Option<RefreshRow>,
    pub touch_session: bool,
    pub out: T,
}

/// The common code exchange: reads code `code_hash` and, when it is unused, its user with the
/// SSO session live by `now`, `idle` and `max` and the user's roles, in one statement (see
/// [`super::user_sessions::row_with_holder_sql`]); `decide` then says from them
/// whether to redeem it for family `family_id` and with what, and the redemption is written: the
/// code marked used, the refresh token stored and the session's use recorded, in one atomic
/// write. `Ok(None)`: `decide` declined, or the code was used when written.
/// On SQLite all of it is one write of [`lite`]'s writer, as for
/// [`super::refresh_tokens::rotate_decided`] (which says why); `decide` runs on the writer
/// thread and must be quick.
pub async fn redeem_decided<T, E>(
    db: &super::Db,
    code_hash: &str,
    family_id: &str,
    now: i64,
    (idle, max): (i64, i64),
    decide: impl FnOnce(AuthCodeRow, Option<super::user_sessions::UserWithRoles>) -> Result<Option<Redemption<T>>, E>
        + Send
        + 'static,
) -> sqlx::Result<Result<Option<T>, E>>
where
    T: Send + 'static,
    E: Send + 'static,
{
    static WITH_HOLDER: LazyLock<String> =
        LazyLock::new(|| super::user_sessions::row_with_holder_sql(&GET, COLUMNS, "t.used_at IS NULL"));
    let hot = match db {
        super::Db::Sqlite(_, _, writer) => {
            let (code_hash, family_id) = (code_hash.to_owned(), family_id.to_owned());
            return writer
                .write(move |c| {
                    let found = super::user_sessions::lite_row_with_holder::<AuthCodeRow>(
                        c,
                        &WITH_HOLDER,
                        &code_hash,
                        now,
                        idle,
                        max,
                    )?;
                    let Some((code, holder)) = found else {
                        return Ok(Ok(None));
                    };
                    let session_id = code.session_id.clone();
                    let redemption = match decide(code, holder) {
                        Ok(Some(redemption)) => redemption,
                        other => return Ok(other.map(|_| None)),
                    };
                    let touch = redemption.touch_session.then_some(session_id.as_str());
                    let refresh = redemption.refresh.as_ref();
                    let p = lite_redeem_values(&code_hash, &family_id, now, refresh, touch);
                    if lite::execute(c, REDEEM, &p)? != 1 {
                        return Ok(Ok(None));
                    }
                    if refresh.is_some() {
                        lite::execute(c, &super::refresh_tokens::INSERT, &p)?;
                    }
                    if touch.is_some() {
                        lite::execute(c, &TOUCH, &p)?;
                    }
                    Ok(Ok(Some(redemption.out)))
                })
                .await;
        }
        super::Db::Postgres(_, hot) => hot,
    };
    let mut conn = hot.acquire(super::PG_ACQUIRE_TIMEOUT).await?;
    let found =
        super::user_sessions::pg_row_with_holder::<AuthCodeRow>(&mut conn, &WITH_HOLDER, code_hash, now, idle, max)
            .await?;
    let Some((code, holder)) = found else {
        return Ok(Ok(None));
    };
    let session_id = code.session_id.clone();
    let redemption = match decide(code, holder) {
        Ok(Some(redemption)) => redemption,
        other => return Ok(other.map(|_| None)),
    };
    let touch = redemption.touch_session.then_some(session_id.as_str());
    let redeemed = pg_redeem_into(&mut conn, code_hash, family_id, now, redemption.refresh.as_ref(), touch).await?;
    Ok(Ok(redeemed.then_some(redemption.out)))
}

/// Redeems the code (as [`redeem`] does) and, in the same statement of data-modifying CTEs,
/// stores `refresh` (the first token of the family `family_id`, when the client gets one) and
/// records the use of SSO session `touch_session`. Returns whether the code was redeemed:
/// false when it was used already, and then nothing is written. (SQLite: see
/// [`redeem_decided`].)
async fn pg_redeem_into(
    pg: &mut super::pg_hot::HotConn,
    code_hash: &str,
    family_id: &str,
    now: i64,
    refresh: Option<&RefreshRow>,
    touch_session: Option<&str>,
) -> sqlx::Result<bool> {
    const REFRESH: &str = "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14";
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let touch = &*TOUCH;
        format!(
            "WITH r AS ({REDEEM} RETURNING 1), n AS (INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) {REFRESH} FROM r WHERE $18), \
             t AS ({touch} AND EXISTS (SELECT 1 FROM r)) SELECT 1 FROM r"
        )
    });
    let r = refresh.cloned();
    let r = r.as_ref();
    let rows = sqlx::query(SQL.as_str())
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
        .fetch_all(pg.conn())
        .await;
    pg.settled(rows.is_ok());
    Ok(rows?.len() == 1)
}

/// The code, used or not (to recognise a replay).
pub async fn get(c: &mut impl Reads, code_hash: &str) -> sqlx::Result<Option<AuthCodeRow>> {
    read!(c, l => lite::optional(l, &GET, &[&code_hash], <AuthCodeRow as lite::FromLite>::from_lite),
        e => sqlx::query_as(GET.as_str()).bind(code_hash).fetch_optional(e).await)
}

static GET: LazyLock<String> = LazyLock::new(|| format!("SELECT {COLUMNS} FROM auth_codes WHERE code_hash = $1"));
