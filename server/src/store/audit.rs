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
