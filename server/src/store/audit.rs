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

/// Appends an event.
pub async fn insert(c: &mut impl Executes, ev: &NewAudit<'_>, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO audit_events (realm_id, at, kind, actor, client_id, subject, ip, detail) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let detail = ev.detail.as_ref().map(|d| d.to_string()).unwrap_or_else(|| "{}".into());
    on!(c, e => sqlx::query(SQL).bind(ev.realm_id).bind(now).bind(ev.kind).bind(ev.actor)
        .bind(ev.client_id).bind(ev.subject).bind(ev.ip).bind(&detail)
        .execute(e).await.map(|_| ()))
}

/// The newest events of a realm (or of the whole instance when `realm_id` is `None`).
pub async fn recent(c: &mut impl Executes, realm_id: Option<&str>, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    const SQL: &str = "SELECT id, realm_id, at, kind, actor, client_id, subject, ip, detail FROM audit_events \
                       WHERE ($1 IS NULL OR realm_id = $1) ORDER BY id DESC LIMIT $2";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(limit).fetch_all(e).await)
}
