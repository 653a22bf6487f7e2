//! `audit_events`: who did what, when.

use super::Executes;
use crate::on;

/// An audit event.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub realm_id: Option<String>,
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub client_id: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

/// A new audit event (the id is assigned by the database).
#[derive(Debug, Clone, Default)]
pub struct NewAudit<'a> {
    pub realm_id: Option<&'a str>,
    pub kind: &'a str,
    pub actor: &'a str,
    pub client_id: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<serde_json::Value>,
}

/// Longest text field of an event; longer values (an attacker's 2 MB "username") are cut.
pub const MAX_FIELD: usize = 255;
/// Longest `detail` document; a longer one is replaced by a note saying so.
pub const MAX_DETAIL: usize = 4096;

/// `s` cut to at most `max` bytes, on a character boundary.
pub fn bounded(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends an event. Every stored field is bounded in length, whatever the caller passes.
pub async fn insert(c: &mut impl Executes, ev: &NewAudit<'_>, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO audit_events (realm_id, at, kind, actor, client_id, subject, ip, detail) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let mut detail = ev.detail.as_ref().map(|d| d.to_string()).unwrap_or_else(|| "{}".into());
    if detail.len() > MAX_DETAIL {
        detail = serde_json::json!({ "truncated": true, "bytes": detail.len() }).to_string();
    }
    let short = |s: Option<&'_ str>| s.map(|s| bounded(s, MAX_FIELD).to_owned());
    let (actor, client_id, subject, ip) =
        (bounded(ev.actor, MAX_FIELD), short(ev.client_id), short(ev.subject), short(ev.ip));
    on!(c, e => sqlx::query(SQL).bind(ev.realm_id).bind(now).bind(bounded(ev.kind, 64)).bind(actor)
        .bind(&client_id).bind(&subject).bind(&ip).bind(&detail)
        .execute(e).await.map(|_| ()))
}

/// The newest events of a realm (or of the whole instance when `realm_id` is `None`).
pub async fn recent(c: &mut impl Executes, realm_id: Option<&str>, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    const SQL: &str = "SELECT id, realm_id, at, kind, actor, client_id, subject, ip, detail FROM audit_events \
                       WHERE ($1 IS NULL OR realm_id = $1) ORDER BY id DESC LIMIT $2";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(limit).fetch_all(e).await)
}

/// The newest events about one client of a realm.
pub async fn of_client(
    c: &mut impl Executes,
    realm_id: &str,
    client_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    const SQL: &str = "SELECT id, realm_id, at, kind, actor, client_id, subject, ip, detail FROM audit_events \
                       WHERE realm_id = $1 AND client_id = $2 ORDER BY id DESC LIMIT $3";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(client_id).bind(limit).fetch_all(e).await)
}

/// A page of a realm's events (of one client when `client_id` is given), newest first.
pub async fn page(
    c: &mut impl Executes,
    realm_id: &str,
    client_id: Option<&str>,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    const SQL: &str = "SELECT id, realm_id, at, kind, actor, client_id, subject, ip, detail FROM audit_events \
                       WHERE realm_id = $1 AND ($2 IS NULL OR client_id = $2) ORDER BY id DESC LIMIT $3 OFFSET $4";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(client_id).bind(limit).bind(offset).fetch_all(e).await)
}

/// What the Audit Log is filtered by; `None` matches anything. Times are seconds since the
/// epoch, `until` excluded.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub client_id: Option<String>,
    pub kind: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// The condition of [`AuditFilter`] on `$1` (realm) and `$2`..`$6`.
const FILTER: &str = "realm_id = $1 AND ($2 IS NULL OR actor = $2) AND ($3 IS NULL OR client_id = $3) \
                      AND ($4 IS NULL OR kind = $4) AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6)";

/// A page of a realm's events matching `f`, newest first.
pub async fn search(
    c: &mut impl Executes,
    realm_id: &str,
    f: &AuditFilter,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    let sql = format!(
        "SELECT id, realm_id, at, kind, actor, client_id, subject, ip, detail FROM audit_events \
         WHERE {FILTER} ORDER BY id DESC LIMIT $7 OFFSET $8"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(&f.actor).bind(&f.client_id).bind(&f.kind)
        .bind(f.since).bind(f.until).bind(limit).bind(offset).fetch_all(e).await)
}

/// How many of a realm's events match `f`.
pub async fn count(c: &mut impl Executes, realm_id: &str, f: &AuditFilter) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM audit_events WHERE {FILTER}");
    on!(c, e => sqlx::query_scalar::<_, i64>(&sql).bind(realm_id).bind(&f.actor).bind(&f.client_id).bind(&f.kind)
        .bind(f.since).bind(f.until).fetch_one(e).await)
}

/// The kinds of event a realm has recorded, in order.
pub async fn kinds(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "SELECT DISTINCT kind FROM audit_events WHERE realm_id = $1 ORDER BY kind";
    on!(c, e => sqlx::query_scalar(SQL).bind(realm_id).fetch_all(e).await)
}

/// Events of the (failure) `kinds` per `bucket` seconds in `[from, to)`:
/// `(bucket start, kind, count)`, oldest first.
pub async fn failures_per_bucket(
    c: &mut impl Executes,
    realm_id: &str,
    kinds: [&str; 3],
    from: i64,
    to: i64,
    bucket: i64,
) -> sqlx::Result<Vec<(i64, String, i64)>> {
    const SQL: &str = "SELECT (at / $6) * $6 AS bucket, kind, CAST(COUNT(*) AS BIGINT) FROM audit_events \
                       WHERE realm_id = $1 AND kind IN ($2, $3, $4) AND at >= $5 AND at < $7 \
                       GROUP BY bucket, kind ORDER BY bucket, kind";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(kinds[0]).bind(kinds[1]).bind(kinds[2])
        .bind(from).bind(bucket).bind(to).fetch_all(e).await)
}

/// Kinds recorded by the running server rather than by an administrator's change: sign-ins,
/// their failures, tokens, consents. Everything else is an admin change.
pub const RUNTIME_KINDS: &[&str] = &[
    "user.login",
    "user.login_failed",
    "user.locked",
    "user.logout",
    "admin.login",
    "admin.login_failed",
    "admin.locked",
    "admin.logout",
    "client.auth_failed",
    "token.revoked",
    "refresh.reused",
    "code.replayed",
    "consent.granted",
    "device.approved",
    "device.denied",
    "device.code_rejected",
];

/// The newest admin changes of a realm (events not of [`RUNTIME_KINDS`]).
pub async fn recent_changes(c: &mut impl Executes, realm_id: &str, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    // The kinds are constants of this file, never input: written into the statement.
    let kinds = RUNTIME_KINDS.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT id, realm_id, at, kind, actor, client_id, subject, ip, detail FROM audit_events \
         WHERE realm_id = $1 AND kind NOT IN ({kinds}) ORDER BY id DESC LIMIT $2"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(limit).fetch_all(e).await)
}

/// How many days the realm keeps its events.
pub async fn retention_days(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<i64> {
    const SQL: &str = "SELECT audit_retention_days FROM realms WHERE id = $1";
    on!(c, e => sqlx::query_scalar::<_, i64>(SQL).bind(realm_id).fetch_one(e).await)
}

/// Sets how many days the realm keeps its events.
pub async fn set_retention_days(c: &mut impl Executes, realm_id: &str, days: i64) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE realms SET audit_retention_days = $2 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(days).execute(e).await.map(|_| ()))
}
