//! `users`: the realm's end users.

use super::{lite, Executes, Reads};
use crate::{lite_row, on, read};

/// A realm user.
#[derive(Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub realm_id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub enabled: bool,
    /// Set by an administrator as temporary: the user must choose a new password at the next
    /// sign-in (Keycloak's `UPDATE_PASSWORD` required action).
    pub password_temporary: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow").field("id", &self.id).field("username", &self.username).finish_non_exhaustive()
    }
}

lite_row!(UserRow {
    id,
    realm_id,
    username,
    email,
    email_verified,
    first_name,
    last_name,
    password_hash,
    enabled,
    password_temporary,
    created_at,
    updated_at
});

pub(super) const COLUMNS: &str = "id, realm_id, username, email, email_verified, first_name, last_name, \
    password_hash, enabled, created_at, updated_at, password_temporary";

/// Inserts a user.
pub async fn insert(c: &mut impl Executes, u: &UserRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO users ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)");
    on!(c, e => sqlx::query(&sql)
        .bind(&u.id).bind(&u.realm_id).bind(&u.username).bind(&u.email).bind(u.email_verified)
        .bind(&u.first_name).bind(&u.last_name).bind(&u.password_hash).bind(u.enabled)
        .bind(u.created_at).bind(u.updated_at).bind(u.password_temporary)
        .execute(e).await.map(|_| ()))
}

/// The user `username` of a realm.
pub async fn by_username(c: &mut impl Executes, realm_id: &str, username: &str) -> sqlx::Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE realm_id = $1 AND username = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(username).fetch_optional(e).await)
}

/// The user with id `id`.
pub async fn by_id(c: &mut impl Reads, id: &str) -> sqlx::Result<Option<UserRow>> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT {COLUMNS} FROM users WHERE id = $1"));
    read!(c, l => lite::optional(l, &SQL, &[&id], <UserRow as lite::FromLite>::from_lite),
        e => sqlx::query_as(SQL.as_str()).bind(id).fetch_optional(e).await)
}

/// What a user search matches: exactly (`exact`, case-insensitive) or by substring, on the
/// username, the email, or (`any`) either of them and the names.
#[derive(Debug, Default, Clone)]
pub struct UserQuery {
    pub username: Option<String>,
    pub email: Option<String>,
    pub any: Option<String>,
    pub exact: bool,
}

impl UserQuery {
    /// The `WHERE` condition after `realm_id = $1`, with its bound values from `$2` on.
    fn condition(&self) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        let mut add = |cond: &str, value: String| {
            binds.push(value);
            sql.push_str(&cond.replace('?', &format!("${}", binds.len() + 1)));
        };
        let pattern = |v: &str| super::clients::like_pattern(v);
        if let Some(u) = &self.username {
            match self.exact {
                true => add(" AND LOWER(username) = ?", u.to_lowercase()),
                false => add(" AND LOWER(username) LIKE ? ESCAPE '\\'", pattern(u)),
            }
        }
        if let Some(e) = &self.email {
            match self.exact {
                true => add(" AND LOWER(email) = ?", e.to_lowercase()),
                false => add(" AND LOWER(email) LIKE ? ESCAPE '\\'", pattern(e)),
            }
        }
        if let Some(a) = &self.any {
            add(
                " AND (LOWER(username) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE ? ESCAPE '\\' \
                 OR LOWER(first_name) LIKE ? ESCAPE '\\' OR LOWER(last_name) LIKE ? ESCAPE '\\')",
                pattern(a),
            );
        }
        (sql, binds)
    }
}

/// One page of a realm's users matching `query`, by username.
pub async fn search(
    c: &mut impl Executes,
    realm_id: &str,
    query: &UserQuery,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<UserRow>> {
    let (cond, binds) = query.condition();
    let n = binds.len() + 2;
    let sql =
        format!("SELECT {COLUMNS} FROM users WHERE realm_id = $1{cond} ORDER BY username LIMIT ${n} OFFSET ${}", n + 1);
    on!(c, e => {
        let mut q = sqlx::query_as(&sql).bind(realm_id);
        for b in &binds {
            q = q.bind(b);
        }
        q.bind(limit).bind(offset).fetch_all(e).await
    })
}

/// How many of a realm's users match `query`.
pub async fn count(c: &mut impl Executes, realm_id: &str, query: &UserQuery) -> sqlx::Result<i64> {
    let (cond, binds) = query.condition();
    let sql = format!("SELECT COUNT(*) FROM users WHERE realm_id = $1{cond}");
    on!(c, e => {
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(realm_id);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_one(e).await
    })
}

/// Saves a user's profile fields (email, names, enabled) and password hash (and whether it is
/// temporary).
pub async fn update(c: &mut impl Executes, u: &UserRow) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE users SET email = $2, email_verified = $3, first_name = $4, last_name = $5, \
                       password_hash = $6, enabled = $7, updated_at = $8, password_temporary = $9 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(&u.id).bind(&u.email).bind(u.email_verified).bind(&u.first_name)
        .bind(&u.last_name).bind(&u.password_hash).bind(u.enabled).bind(u.updated_at).bind(u.password_temporary)
        .execute(e).await.map(|r| r.rows_affected()))
}

/// Deletes a user (role mappings, sessions and consents go with it).
pub async fn delete(c: &mut impl Executes, id: &str) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(e).await.map(|r| r.rows_affected()))
}
