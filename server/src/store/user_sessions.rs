//! `user_sessions`: SSO sessions of realm users.

use super::{lite, lite::FromLite, Executes, Reads};
use crate::{on, read};

/// An SSO session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserSessionRow {
    pub id: String,
    pub realm_id: String,
    pub user_id: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ended_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const COLUMNS: &str = "id, realm_id, user_id, auth_time, created_at, last_seen_at, ended_at, ip, user_agent";

/// Starts a session.
pub async fn insert(c: &mut impl Executes, s: &UserSessionRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO user_sessions ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)");
    on!(c, e => sqlx::query(&sql)
        .bind(&s.id).bind(&s.realm_id).bind(&s.user_id).bind(s.auth_time).bind(s.created_at)
        .bind(s.last_seen_at).bind(s.ended_at).bind(&s.ip).bind(&s.user_agent)
        .execute(e).await.map(|_| ()))
}

/// How long a session's `last_seen_at` may lag behind its use, so that using a session is
/// a read, and only every this many seconds a write.
pub const SEEN_GRANULARITY: i64 = 30;

/// A session open at `$2` (now): not ended, used within the last `$3` (idle) seconds, started
/// less than `$4` (max) seconds ago.
const OPEN: &str = "ended_at IS NULL AND last_seen_at > $2 - $3 AND created_at > $2 - $4";

/// The session `id` if it is live at `now`: not ended, used within the last `idle` seconds,
/// and started less than `max` seconds ago. Marks it used (at most once per
/// [`SEEN_GRANULARITY`] seconds).
pub async fn live(
    c: &mut impl Executes,
    id: &str,
    now: i64,
    idle: i64,
    max: i64,
) -> sqlx::Result<Option<UserSessionRow>> {
    let select = format!("SELECT {COLUMNS} FROM user_sessions WHERE id = $1 AND {OPEN}");
    let row: Option<UserSessionRow> =
        on!(c, e => sqlx::query_as(&select).bind(id).bind(now).bind(idle).bind(max).fetch_optional(e).await)?;
    if row.as_ref().is_some_and(|r| seen_due(r.last_seen_at, now)) {
        touch(c, id, now).await?;
    }
    Ok(row)
}

/// A user and, if it is live, one of their SSO sessions: what a token request checks, read in
/// one query by [`user_with_live_session`].
#[derive(Debug, sqlx::FromRow)]
pub struct UserInSession {
    #[sqlx(flatten)]
    pub user: super::users::UserRow,
    /// The session's `last_seen_at`; `None` when it is not live (see [`live`]), not the
    /// user's, or of another realm.
    pub session_seen_at: Option<i64>,
}

/// The `last_seen_at` of session `session` if it is user `users`' and live at `now` (idle limit
/// `idle`, lifespan `max`; as [`live`] says), as a scalar subquery over a `users` row. The
/// arguments are SQL expressions: placeholders, or columns of an enclosing query.
fn seen_if_live(session: &str, now: &str, idle: &str, max: &str) -> String {
    format!(
        "(SELECT s.last_seen_at FROM user_sessions s WHERE s.id = {session} AND s.user_id = users.id \
         AND s.realm_id = users.realm_id AND s.ended_at IS NULL AND s.last_seen_at > {now} - {idle} \
         AND s.created_at > {now} - {max}) AS session_seen_at"
    )
}

/// User `user_id` and whether their session `session_id` is live at `now` (as [`live`]
/// says), in one query. `None` when there is no such user.
pub async fn user_with_live_session(
    c: &mut impl Reads,
    user_id: &str,
    session_id: &str,
    now: i64,
    idle: i64,
    max: i64,
) -> sqlx::Result<Option<UserInSession>> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("SELECT {}, {} FROM users WHERE id = $1", super::users::COLUMNS, seen_if_live("$2", "$3", "$4", "$5"))
    });
    read!(c, l => lite::optional(l, &SQL, &[&user_id, &session_id, &now, &idle, &max], UserInSession::from_lite),
        e => sqlx::query_as(SQL.as_str()).bind(user_id).bind(session_id).bind(now).bind(idle).bind(max)
            .fetch_optional(e).await)
}

impl FromLite for UserInSession {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(UserInSession { user: FromLite::from_lite(r)?, session_seen_at: r.get("session_seen_at")? })
    }
}

/// A user with their session (see [`UserInSession`]) and their roles (as
/// [`super::roles::of_user`] expands them).
pub type UserWithRoles = (UserInSession, Vec<super::roles::GrantedRole>);

/// One row per role (one with no role when the user holds none), the user's on each.
#[derive(sqlx::FromRow)]
struct RoleRow {
    #[sqlx(flatten)]
    found: UserInSession,
    role_client_id: Option<String>,
    role_name: Option<String>,
}

/// A row and its holder, read in one statement. `row_sql` selects at most one row of a table
/// with `user_id` and `session_id` columns, by `$1`; `columns` are the columns it selects,
/// returned as `row_<column>` (see [`lite::PrefixedRow`]). When `live`, a condition on that row
/// (named `t`), holds, the statement also reads its user with the session live at `$2` (now),
/// `$3` (idle) and `$4` (max) (see [`seen_if_live`]) and the user's roles: one row per role, or
/// one without a role when the user holds none. Run it with [`lite_row_with_holder`] or
/// [`pg_row_with_holder`].
pub(super) fn row_with_holder_sql(row_sql: &str, columns: &str, live: &str) -> String {
    let row_columns: Vec<String> = columns.split(',').map(str::trim).map(|c| format!("t.{c} AS row_{c}")).collect();
    let user = "(SELECT user_id FROM t)";
    let holder = format!(
        "SELECT {}, {}, held.client_id AS role_client_id, held.name AS role_name \
         FROM users LEFT JOIN ({}) held ON TRUE WHERE users.id = {user}",
        super::users::COLUMNS,
        seen_if_live("(SELECT session_id FROM t)", "$2", "$3", "$4"),
        super::roles::expanded(&format!("SELECT role_id FROM user_roles WHERE user_id = {user}"))
    );
    format!(
        "WITH t AS ({row_sql}) SELECT {}, h.* FROM t LEFT JOIN ({holder}) h ON {live} ORDER BY h.role_name",
        row_columns.join(", ")
    )
}

/// What a statement of [`row_with_holder_sql`] found for key `key`: `None` when there is no such
/// row; else the row and, when it was live, its user (if there is one) with session and roles.
pub(super) type RowWithHolder<R> = Option<(R, Option<UserWithRoles>)>;

/// Runs a statement of [`row_with_holder_sql`] on a SQLite connection of [`lite`] (the writer,
/// inside its transaction).
pub(super) fn lite_row_with_holder<R: lite::PrefixedRow>(
    c: &rusqlite::Connection,
    sql: &str,
    key: &str,
    now: i64,
    idle: i64,
    max: i64,
) -> rusqlite::Result<RowWithHolder<R>> {
    let mut row = None;
    let held = lite::all(c, sql, &[&key, &now, &idle, &max], |r| {
        if row.is_none() {
            row = Some(R::from_lite_prefixed(r)?);
        }
        // The holder's columns are all NULL when the row was not live or its user is gone.
        match r.get::<_, Option<String>>("id")? {
            Some(_) => RoleRow::from_lite(r).map(Some),
            None => Ok(None),
        }
    })?;
    Ok(row.map(|row| (row, with_roles(held.into_iter().flatten().collect()))))
}

/// Runs a statement of [`row_with_holder_sql`] on PostgreSQL.
pub(super) async fn pg_row_with_holder<R: lite::PrefixedRow>(
    pg: &mut super::pg_hot::HotConn,
    sql: &str,
    key: &str,
    now: i64,
    idle: i64,
    max: i64,
) -> sqlx::Result<RowWithHolder<R>> {
    use sqlx::{FromRow as _, Row as _};
    let rows = sqlx::query(sql).bind(key).bind(now).bind(idle).bind(max).fetch_all(pg.conn()).await;
    pg.settled(rows.is_ok());
    let rows = rows?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let row = R::from_pg_prefixed(first)?;
    let mut held = Vec::with_capacity(rows.len());
    for r in &rows {
        // As in `lite_row_with_holder`.
        if r.try_get::<Option<String>, _>("id")?.is_some() {
            held.push(RoleRow::from_row(r)?);
        }
    }
    Ok(Some((row, with_roles(held))))
}

impl FromLite for RoleRow {
    fn from_lite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RoleRow {
            found: UserInSession::from_lite(r)?,
            role_client_id: r.get("role_client_id")?,
            role_name: r.get("role_name")?,
        })
    }
}

fn with_roles(rows: Vec<RoleRow>) -> Option<UserWithRoles> {
    let mut roles = Vec::with_capacity(rows.len());
    let mut found = None;
    for row in rows {
        if let Some(name) = row.role_name {
            roles.push(super::roles::GrantedRole { client_id: row.role_client_id, name });
        }
        found.get_or_insert(row.found);
    }
    found.map(|f| (f, roles))
}

/// Whether the use at `now` of a session last seen at `last_seen_at` is to be recorded (see
/// [`SEEN_GRANULARITY`]).
pub fn seen_due(last_seen_at: i64, now: i64) -> bool {
    now - last_seen_at >= SEEN_GRANULARITY
}

/// The statement that records a session's use when due (see [`seen_due`]), for the one-write
/// scripts of token requests: `now` and `id` are the script's placeholders for the time and the
/// session (none: nothing to record).
pub(super) fn touch_when_due(now: &str, id: &str) -> String {
    format!(
        "UPDATE user_sessions SET last_seen_at = {now} WHERE id = {id} AND last_seen_at <= {now} - {SEEN_GRANULARITY}"
    )
}

/// Records that session `id` was used at `now`.
pub async fn touch(c: &mut impl Executes, id: &str, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE user_sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2";
    on!(c, e => sqlx::query(SQL).bind(id).bind(now).execute(e).await.map(|_| ()))
}

/// Ends a session. Returns whether it was active.
pub async fn end(c: &mut impl Executes, id: &str, now: i64) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE user_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL";
    on!(c, e => sqlx::query(SQL).bind(id).bind(now).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// Ends a session everywhere: the row, its online refresh tokens, and (by marker) every access
/// token that carries its `sid`.
pub async fn end_everywhere(c: &mut impl Executes, realm_id: &str, id: &str, now: i64) -> sqlx::Result<()> {
    end(c, id, now).await?;
    super::refresh_tokens::revoke_session(c, id, now).await?;
    // Access tokens live at most a day (the longest lifespan a client may set).
    let marker = super::revocations::session_marker(id);
    super::revocations::revoke(c, &marker, realm_id, now + 24 * 3600, now).await
}

/// A user's sessions still open at `now` (not ended, within the realm's idle and max times).
pub async fn open_of_user(
    c: &mut impl Executes,
    user_id: &str,
    now: i64,
    idle: i64,
    max: i64,
) -> sqlx::Result<Vec<UserSessionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM user_sessions WHERE user_id = $1 AND {OPEN} ORDER BY created_at");
    on!(c, e => sqlx::query_as(&sql).bind(user_id).bind(now).bind(idle).bind(max).fetch_all(e).await)
}

/// The ids of a realm's sessions not ended.
pub async fn open_ids_of_realm(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "SELECT id FROM user_sessions WHERE realm_id = $1 AND ended_at IS NULL";
    on!(c, e => sqlx::query_scalar(SQL).bind(realm_id).fetch_all(e).await)
}

/// The clients a session has refresh tokens for: `(internal id, client id)`.
pub async fn clients_of(c: &mut impl Executes, session_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    const SQL: &str =
        "SELECT DISTINCT cl.id, cl.client_id FROM refresh_tokens rt JOIN clients cl ON cl.id = rt.client_pk \
                       WHERE rt.session_id = $1";
    on!(c, e => sqlx::query_as(SQL).bind(session_id).fetch_all(e).await)
}

/// An open session of a realm with its user's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RealmSessionRow {
    pub id: String,
    pub user_id: String,
    pub username: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
}

/// A page of a realm's sessions open at `now` (within `idle` and `max`), newest first.
pub async fn open_of_realm(
    c: &mut impl Executes,
    realm_id: &str,
    now: i64,
    idle: i64,
    max: i64,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<RealmSessionRow>> {
    let sql = format!(
        "SELECT s.id, s.user_id, u.username, s.created_at, s.last_seen_at, s.ip FROM user_sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.realm_id = $1 AND s.{} \
         ORDER BY s.created_at DESC, s.id LIMIT $5 OFFSET $6",
        OPEN.replace(" AND ", " AND s.")
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(now).bind(idle).bind(max).bind(limit).bind(offset)
        .fetch_all(e).await)
}

/// How many of a realm's sessions are open at `now`.
pub async fn count_open_of_realm(
    c: &mut impl Executes,
    realm_id: &str,
    now: i64,
    idle: i64,
    max: i64,
) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM user_sessions WHERE realm_id = $1 AND {OPEN}");
    on!(c, e => sqlx::query_scalar::<_, i64>(&sql).bind(realm_id).bind(now).bind(idle).bind(max).fetch_one(e).await)
}

/// The session `id` of the realm, open or not.
pub async fn by_id(c: &mut impl Executes, realm_id: &str, id: &str) -> sqlx::Result<Option<UserSessionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM user_sessions WHERE realm_id = $1 AND id = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(id).fetch_optional(e).await)
}
