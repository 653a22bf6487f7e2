//! `revoked_tokens`: access-token ids denied until they would have expired anyway.

use super::{lite, Executes, Reads};
use crate::{on, read};

/// Denies `jti` until `expires_at`.
pub async fn revoke(c: &mut impl Executes, jti: &str, realm_id: &str, expires_at: i64, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO revoked_tokens (jti, realm_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (jti) DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(jti).bind(realm_id).bind(expires_at).bind(now).execute(e).await.map(|_| ()))
}

/// Whether any of `keys` has been revoked: a token's `jti`, and the markers of the family
/// (`family:ID`) and SSO session (`session:ID`) it belongs to. Unused slots may be empty.
pub async fn any_revoked(c: &mut impl Reads, keys: [&str; 3]) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT 1 FROM revoked_tokens WHERE jti IN ($1, $2, $3) LIMIT 1";
    read!(c, l => lite::optional(l, SQL, &[&keys[0], &keys[1], &keys[2]], |_| Ok(())).map(|r| r.is_some()),
        e => sqlx::query_scalar::<_, i32>(SQL).bind(keys[0]).bind(keys[1]).bind(keys[2])
            .fetch_optional(e).await.map(|r| r.is_some()))
}

/// User `user_id`, unless any of `keys` has been revoked (see [`any_revoked`]): a user's token
/// status in one query. `None` when the user is gone or a key is revoked.
pub async fn user_unless_revoked(
    c: &mut impl Reads,
    user_id: &str,
    keys: [&str; 3],
) -> sqlx::Result<Option<super::users::UserRow>> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {} FROM users WHERE id = $4 \
             AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti IN ($1, $2, $3))",
            super::users::COLUMNS
        )
    });
    read!(c, l => lite::optional(l, &SQL, &[&keys[0], &keys[1], &keys[2], &user_id], lite::FromLite::from_lite),
        e => sqlx::query_as(SQL.as_str()).bind(keys[0]).bind(keys[1]).bind(keys[2]).bind(user_id)
            .fetch_optional(e).await)
}

/// The marker that revokes every access token of a refresh family.
pub fn family_marker(family_id: &str) -> String {
    format!("family:{family_id}")
}

/// The marker that revokes every access token of an SSO session.
pub fn session_marker(session_id: &str) -> String {
    format!("session:{session_id}")
}
