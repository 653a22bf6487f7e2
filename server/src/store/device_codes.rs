//! `device_codes`: device authorization requests (RFC 8628), by hash of both codes.

use super::Executes;
use crate::on;

/// A device authorization request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceCodeRow {
    pub device_code_hash: String,
    pub user_code_hash: String,
    pub realm_id: String,
    pub client_pk: String,
    pub scope: String,
    pub requester_ip: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub poll_interval: i64,
    pub last_poll_at: Option<i64>,
    /// Whether the last poll came too early (and so raised the interval).
    pub slowed: bool,
    /// `pending`, `approved`, `denied` or `consumed`.
    pub status: String,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub auth_time: Option<i64>,
    pub decided_at: Option<i64>,
}

const COLUMNS: &str = "device_code_hash, user_code_hash, realm_id, client_pk, scope, requester_ip, created_at, \
    expires_at, poll_interval, last_poll_at, slowed, status, user_id, session_id, auth_time, decided_at";

/// Stores a new request.
pub async fn insert(c: &mut impl Executes, r: &DeviceCodeRow) -> sqlx::Result<()> {
    let sql =
        format!("INSERT INTO device_codes ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)");
    on!(c, e => sqlx::query(&sql)
        .bind(&r.device_code_hash).bind(&r.user_code_hash).bind(&r.realm_id).bind(&r.client_pk).bind(&r.scope)
        .bind(&r.requester_ip).bind(r.created_at).bind(r.expires_at).bind(r.poll_interval).bind(r.last_poll_at)
        .bind(r.slowed).bind(&r.status).bind(&r.user_id).bind(&r.session_id).bind(r.auth_time).bind(r.decided_at)
        .execute(e).await.map(|_| ()))
}

/// Records a poll in one statement: a poll sooner than the interval after the previous one
/// sets `slowed` and adds 5 s to the interval (RFC 8628 §3.5). Returns the updated row.
pub async fn poll(c: &mut impl Executes, device_code_hash: &str, now: i64) -> sqlx::Result<Option<DeviceCodeRow>> {
    // In an UPDATE every expression reads the row as it was before, on both databases.
    let sql = format!(
        "UPDATE device_codes SET \
           slowed = (last_poll_at IS NOT NULL AND $2 - last_poll_at < poll_interval), \
           poll_interval = CASE WHEN last_poll_at IS NOT NULL AND $2 - last_poll_at < poll_interval \
                                THEN poll_interval + 5 ELSE poll_interval END, \
           last_poll_at = $2 \
         WHERE device_code_hash = $1 RETURNING {COLUMNS}"
    );
    on!(c, e => sqlx::query_as(&sql).bind(device_code_hash).bind(now).fetch_optional(e).await)
}

/// Takes an approved request for issuing tokens, exactly once.
pub async fn consume(c: &mut impl Executes, device_code_hash: &str) -> sqlx::Result<Option<DeviceCodeRow>> {
    let sql = format!(
        "UPDATE device_codes SET status = 'consumed' WHERE device_code_hash = $1 AND status = 'approved' RETURNING {COLUMNS}"
    );
    on!(c, e => sqlx::query_as(&sql).bind(device_code_hash).fetch_optional(e).await)
}

/// The request with this (normalised, hashed) user code.
pub async fn by_user_code(c: &mut impl Executes, user_code_hash: &str) -> sqlx::Result<Option<DeviceCodeRow>> {
    let sql = format!("SELECT {COLUMNS} FROM device_codes WHERE user_code_hash = $1");
    on!(c, e => sqlx::query_as(&sql).bind(user_code_hash).fetch_optional(e).await)
}

/// The request with this device code hash.
pub async fn get(c: &mut impl Executes, device_code_hash: &str) -> sqlx::Result<Option<DeviceCodeRow>> {
    let sql = format!("SELECT {COLUMNS} FROM device_codes WHERE device_code_hash = $1");
    on!(c, e => sqlx::query_as(&sql).bind(device_code_hash).fetch_optional(e).await)
}

/// Records the user's decision on a pending request of `realm_id`, once. Returns whether it
/// was pending (a request of another realm never is).
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    c: &mut impl Executes,
    realm_id: &str,
    device_code_hash: &str,
    approved: bool,
    user_id: &str,
    session_id: &str,
    auth_time: i64,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str =
        "UPDATE device_codes SET status = $2, user_id = $3, session_id = $4, auth_time = $5, decided_at = $6 \
                       WHERE device_code_hash = $1 AND status = 'pending' AND expires_at > $6 AND realm_id = $7";
    let status = if approved { "approved" } else { "denied" };
    on!(c, e => sqlx::query(SQL).bind(device_code_hash).bind(status).bind(user_id).bind(session_id).bind(auth_time)
        .bind(now).bind(realm_id).execute(e).await.map(|r| r.rows_affected() > 0))
}
