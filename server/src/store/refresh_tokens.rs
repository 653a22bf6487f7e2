//! `refresh_tokens`: opaque refresh tokens by hash, in rotation families.

use super::{lite, Executes, Reads};
use crate::{lite_row, on, read};
use std::sync::LazyLock;

/// A refresh token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub token_hash: String,
    pub family_id: String,
    pub realm_id: String,
    pub client_pk: String,
    pub user_id: String,
    pub session_id: String,
    pub scope: String,
    pub auth_time: i64,
    pub offline: bool,
    pub issued_at: i64,
    /// `None`: never expires.
    pub expires_at: Option<i64>,
    pub rotated_at: Option<i64>,
    pub successor_hash: Option<String>,
    pub revoked_at: Option<i64>,
}

lite_row!(RefreshRow {
    token_hash,
    family_id,
    realm_id,
    client_pk,
    user_id,
    session_id,
    scope,
    auth_time,
    offline,
    issued_at,
    expires_at,
    rotated_at,
    successor_hash,
    revoked_at
} and prefixed);

pub(super) const COLUMNS: &str = "token_hash, family_id, realm_id, client_pk, user_id, session_id, scope, \
    auth_time, offline, issued_at, expires_at, rotated_at, successor_hash, revoked_at";

/// Binds the columns of `$row` (an owned [`RefreshRow`]) to `$query` as `$1`..`$14`, in
/// [`COLUMNS`]' order.
macro_rules! bind_row {
    ($query:expr, $row:expr) => {{
        let r: RefreshRow = $row;
        $query
            .bind(r.token_hash)
            .bind(r.family_id)
            .bind(r.realm_id)
            .bind(r.client_pk)
            .bind(r.user_id)
            .bind(r.session_id)
            .bind(r.scope)
            .bind(r.auth_time)
            .bind(r.offline)
            .bind(r.issued_at)
            .bind(r.expires_at)
            .bind(r.rotated_at)
            .bind(r.successor_hash)
            .bind(r.revoked_at)
    }};
}

/// The columns of `r` in [`COLUMNS`]' order, for a write of [`lite`]'s writer.
pub(super) fn lite_values(r: &RefreshRow) -> Vec<rusqlite::types::Value> {
    let r = r.clone();
    vec![
        r.token_hash.into(),
        r.family_id.into(),
        r.realm_id.into(),
        r.client_pk.into(),
        r.user_id.into(),
        r.session_id.into(),
        r.scope.into(),
        r.auth_time.into(),
        r.offline.into(),
        r.issued_at.into(),
        r.expires_at.into(),
        r.rotated_at.into(),
        r.successor_hash.into(),
        r.revoked_at.into(),
    ]
}

/// The statement inserting a row given as `$1`..`$14` in [`COLUMNS`]' order.
pub(super) static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO refresh_tokens ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)")
});

static GET: LazyLock<String> = LazyLock::new(|| format!("SELECT {COLUMNS} FROM refresh_tokens WHERE token_hash = $1"));

// The statements of a rotation ([`pg_rotate_into`], [`rotate_decided`]): $1..$14 are the
// successor's columns (so $1 is its hash and $10 the rotation time), $15 the rotated token,
// $16 the session to mark used.
const ROTATE: &str = "UPDATE refresh_tokens SET rotated_at = $10, successor_hash = $1 \
    WHERE token_hash = $15 AND rotated_at IS NULL AND revoked_at IS NULL";
static TOUCH: LazyLock<String> = LazyLock::new(|| super::user_sessions::touch_when_due("$10", "$16"));

/// Stores a new refresh token.
pub async fn insert(c: &mut impl Executes, r: &RefreshRow) -> sqlx::Result<()> {
    on!(c, e => bind_row!(sqlx::query(INSERT.as_str()), r.clone()).execute(e).await.map(|_| ()))
}

/// Rotates the token in one statement: of two racing rotations exactly one gets the row.
pub async fn rotate(
    c: &mut impl Executes,
    token_hash: &str,
    successor_hash: &str,
    now: i64,
) -> sqlx::Result<Option<RefreshRow>> {
    let sql = format!(
        "UPDATE refresh_tokens SET rotated_at = $2, successor_hash = $3 \
         WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL RETURNING {COLUMNS}"
    );
    on!(c, e => sqlx::query_as(&sql).bind(token_hash).bind(now).bind(successor_hash).fetch_optional(e).await)
}

/// Rotates `token_hash` into `next` (the successor, a row of the same family whose
/// `token_hash` the rotated row will name, issued at the rotation time) and, when
/// `touch_session` names one, records that SSO session's use: one statement of data-modifying
/// CTEs. Returns whether the token was rotated: false when it was no longer live, and then
/// nothing is written. (SQLite: see [`rotate_decided`].)
async fn pg_rotate_into(
    pg: &mut super::pg_hot::HotConn,
    token_hash: &str,
    next: &RefreshRow,
    touch_session: Option<&str>,
) -> sqlx::Result<bool> {
    const NEXT: &str = "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14";
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let touch = &*TOUCH;
        format!(
            "WITH r AS ({ROTATE} RETURNING 1), n AS (INSERT INTO refresh_tokens ({COLUMNS}) {NEXT} FROM r \
             RETURNING token_hash), t AS ({touch} AND EXISTS (SELECT 1 FROM r)) SELECT token_hash FROM n"
        )
    });
    let rows = bind_row!(sqlx::query(SQL.as_str()), next.clone())
        .bind(token_hash.to_owned())
        .bind(touch_session.map(str::to_owned))
        .fetch_all(pg.conn())
        .await;
    pg.settled(rows.is_ok());
    Ok(rows?.len() == 1)
}

/// A rotation its caller decided on (see [`rotate_decided`]): the successor row, whether to
/// record the use of its SSO session (when due, see
/// [`super::user_sessions::touch_when_due`]), and what to hand back.
pub struct Rotation<T> {
    pub next: RefreshRow,
    pub touch_session: bool,
    pub out: T,
}

/// The common refresh: reads token `token_hash` and, when it is neither rotated nor revoked,
/// its user with the SSO session live by `now`, `idle` and `max` and the user's roles, in one
/// statement (see [`super::user_sessions::row_with_holder_sql`]); `decide` then says from them
/// whether and into what to rotate it, and the rotation is written: the token marked rotated,
/// the successor stored and the session's use recorded, in one atomic write. `Ok(None)`:
/// `decide` declined, or the token was no longer live when written.
///
/// On SQLite all of it is one write of [`lite`]'s writer, reads included: the writer's page
/// cache stays valid between its transactions, where a reader's is dropped whenever another
/// connection committed, so under a write load every read on a reader fetched its pages
/// again; and the rotation cannot race, as it reads what it writes in one transaction. So
/// `decide` runs on the writer thread, and must be quick. On PostgreSQL: the read, then one
/// statement that writes the rotation, on one pooled connection.
pub async fn rotate_decided<T, E>(
    db: &super::Db,
    token_hash: &str,
    now: i64,
    (idle, max): (i64, i64),
    decide: impl FnOnce(RefreshRow, Option<super::user_sessions::UserWithRoles>) -> Result<Option<Rotation<T>>, E>
        + Send
        + 'static,
) -> sqlx::Result<Result<Option<T>, E>>
where
    T: Send + 'static,
    E: Send + 'static,
{
    static WITH_HOLDER: LazyLock<String> = LazyLock::new(|| {
        super::user_sessions::row_with_holder_sql(&GET, COLUMNS, "t.rotated_at IS NULL AND t.revoked_at IS NULL")
    });
    let hot = match db {
        super::Db::Sqlite(_, _, writer) => {
            let token_hash = token_hash.to_owned();
            return writer
                .write(move |c| {
                    let found = super::user_sessions::lite_row_with_holder::<RefreshRow>(
                        c,
                        &WITH_HOLDER,
                        &token_hash,
                        now,
                        idle,
                        max,
                    )?;
                    let Some((row, holder)) = found else {
                        return Ok(Ok(None));
                    };
                    let rotation = match decide(row, holder) {
                        Ok(Some(rotation)) => rotation,
                        other => return Ok(other.map(|_| None)),
                    };
                    let touch = rotation.touch_session.then(|| rotation.next.session_id.clone());
                    let mut p = lite_values(&rotation.next);
                    p.extend([token_hash.into(), touch.clone().into()]);
                    if lite::execute(c, ROTATE, &p)? != 1 {
                        return Ok(Ok(None));
                    }
                    lite::execute(c, &INSERT, &p)?;
                    if touch.is_some() {
                        lite::execute(c, &TOUCH, &p)?;
                    }
                    Ok(Ok(Some(rotation.out)))
                })
                .await;
        }
        super::Db::Postgres(_, hot) => hot,
    };
    let mut conn = hot.acquire(super::PG_ACQUIRE_TIMEOUT).await?;
    let found =
        super::user_sessions::pg_row_with_holder::<RefreshRow>(&mut conn, &WITH_HOLDER, token_hash, now, idle, max)
            .await?;
    let Some((row, holder)) = found else {
        return Ok(Ok(None));
    };
    let rotation = match decide(row, holder) {
        Ok(Some(rotation)) => rotation,
        other => return Ok(other.map(|_| None)),
    };
    let touch = rotation.touch_session.then_some(rotation.next.session_id.as_str());
    let rotated = pg_rotate_into(&mut conn, token_hash, &rotation.next, touch).await?;
    Ok(Ok(rotated.then_some(rotation.out)))
}

/// The token, whatever its state.
pub async fn get(c: &mut impl Reads, token_hash: &str) -> sqlx::Result<Option<RefreshRow>> {
    read!(c, l => lite::optional(l, &GET, &[&token_hash], <RefreshRow as lite::FromLite>::from_lite),
        e => sqlx::query_as(GET.as_str()).bind(token_hash).fetch_optional(e).await)
}

/// Revokes every token of a family.
pub async fn revoke_family(c: &mut impl Executes, family_id: &str, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL";
    on!(c, e => sqlx::query(SQL).bind(family_id).bind(now).execute(e).await.map(|r| r.rows_affected()))
}

/// Ends a family everywhere: its refresh tokens and, by marker, the access tokens issued in it.
pub async fn end_family(c: &mut impl Executes, realm_id: &str, family_id: &str, now: i64) -> sqlx::Result<()> {
    revoke_family(c, family_id, now).await?;
    let marker = super::revocations::family_marker(family_id);
    // Access tokens live at most a day (the longest lifespan a client may set).
    super::revocations::revoke(c, &marker, realm_id, now + 24 * 3600, now).await
}

/// Revokes the online (non-offline) tokens of an SSO session; returns their families.
pub async fn revoke_session(c: &mut impl Executes, session_id: &str, now: i64) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "UPDATE refresh_tokens SET revoked_at = $2 \
                       WHERE session_id = $1 AND offline = FALSE AND revoked_at IS NULL RETURNING family_id";
    on!(c, e => sqlx::query_scalar(SQL).bind(session_id).bind(now).fetch_all(e).await)
}

/// A live refresh family as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FamilyRow {
    pub family_id: String,
    /// The user's name (a service account's is `service-account-{client}`).
    pub username: String,
    pub started_at: i64,
    pub last_refreshed_at: i64,
    pub offline: bool,
}

/// The condition of a token that still refreshes at `$2`.
const LIVE: &str = "rt.revoked_at IS NULL AND rt.rotated_at IS NULL AND (rt.expires_at IS NULL OR rt.expires_at > $2)";

/// The client's families with a token that still refreshes at `now`, newest first.
pub async fn live_families(
    c: &mut impl Executes,
    client_pk: &str,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<FamilyRow>> {
    let sql = format!(
        "SELECT rt.family_id, COALESCE(u.username, rt.user_id) AS username, \
           (SELECT MIN(f.issued_at) FROM refresh_tokens f WHERE f.family_id = rt.family_id) AS started_at, \
           rt.issued_at AS last_refreshed_at, rt.offline \
         FROM refresh_tokens rt LEFT JOIN users u ON u.id = rt.user_id \
         WHERE rt.client_pk = $1 AND {LIVE} ORDER BY rt.issued_at DESC LIMIT $3"
    );
    on!(c, e => sqlx::query_as(&sql).bind(client_pk).bind(now).bind(limit).fetch_all(e).await)
}

/// Per client of the realm holding any: how many online and offline families still refresh at
/// `now`, as `(internal id, client id, online, offline)`, by client id.
pub async fn live_counts_of_realm(
    c: &mut impl Executes,
    realm_id: &str,
    now: i64,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    let sql = format!(
        "SELECT cl.id, cl.client_id, \
           CAST(COUNT(DISTINCT CASE WHEN rt.offline THEN NULL ELSE rt.family_id END) AS BIGINT), \
           CAST(COUNT(DISTINCT CASE WHEN rt.offline THEN rt.family_id ELSE NULL END) AS BIGINT) \
         FROM refresh_tokens rt JOIN clients cl ON cl.id = rt.client_pk \
         WHERE cl.realm_id = $1 AND {LIVE} GROUP BY cl.id, cl.client_id ORDER BY cl.client_id"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(now).fetch_all(e).await)
}

/// The families of the client with a token that still refreshes at `now`.
pub async fn live_family_ids(c: &mut impl Executes, client_pk: &str, now: i64) -> sqlx::Result<Vec<String>> {
    let sql = format!("SELECT DISTINCT rt.family_id FROM refresh_tokens rt WHERE rt.client_pk = $1 AND {LIVE}");
    on!(c, e => sqlx::query_scalar(&sql).bind(client_pk).bind(now).fetch_all(e).await)
}

/// Whether `family_id` is a family of the client.
pub async fn family_of_client(c: &mut impl Executes, family_id: &str, client_pk: &str) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM refresh_tokens WHERE family_id = $1 AND client_pk = $2";
    on!(c, e => sqlx::query_scalar::<_, i64>(SQL).bind(family_id).bind(client_pk).fetch_one(e).await.map(|n| n > 0))
}
