//! The Sessions, Audit Log and Dashboard pages' server side: their data (for the
//! `ConsoleService`), their forms (revoke sessions, the audit retention) and the Audit Log's
//! export as JSON lines, each a thin call to `manage::activity`.

use super::{admin::signed_in, forms::Posted, service::Console};
use crate::{
    manage::{activity::Range, ManageError},
    state::AppState,
    store::audit::{AuditFilter, AuditRow},
};
use app::{
    admin::{AuditLogView, AuditQueryView, AuditRowView, DashboardView, RealmSessionView, SeriesView, SessionsView},
    components::shell::console_href,
    pages::console::{audit_log::PAGE as AUDIT_PAGE, sessions::PAGE as SESSIONS_PAGE},
    text::parse_datetime_local,
};
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use http::request::Parts;
use std::collections::HashMap;
use tower_sessions::Session;

fn row_view(e: AuditRow) -> AuditRowView {
    AuditRowView {
        at: e.at,
        kind: e.kind,
        actor: e.actor,
        client_id: e.client_id,
        subject: e.subject,
        ip: e.ip,
        details: details(&e.detail),
    }
}

/// An event's details as lines: `(key, before, after)` for a setting's change
/// (`{key: {before, after}}`), else `(key, None, value)`.
pub fn details(json: &str) -> Vec<(String, Option<String>, String)> {
    use serde_json::Value;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
        return vec![("detail".into(), None, json.to_owned())];
    };
    map.into_iter()
        .map(|(k, v)| match v.as_object().and_then(|o| Some((o.get("before")?, o.get("after")?))) {
            Some((before, after)) => (k, Some(text(before)), text(after)),
            None => (k, None, text(&v)),
        })
        .collect()
}

/// The filter of `q`, or what is wrong with it.
fn filter_of(q: &AuditQueryView) -> Result<AuditFilter, String> {
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let time = |s: &str, what: &str| match given(s) {
        None => Ok(None),
        Some(t) => parse_datetime_local(&t)
            .map(Some)
            .ok_or_else(|| format!("{what} is not a date and time (YYYY-MM-DDTHH:MM, UTC): {t:?}")),
    };
    let filter = AuditFilter {
        actor: given(&q.actor),
        client_id: given(&q.client),
        kind: given(&q.kind),
        since: time(&q.from, "From")?,
        until: time(&q.to, "To")?,
    };
    if let (Some(s), Some(u)) = (filter.since, filter.until) {
        if u <= s {
            return Err("To must come after From.".into());
        }
    }
    Ok(filter)
}

impl Console {
    pub(super) async fn audit_log_view(
        &self,
        parts: &Parts,
        realm: &str,
        q: &AuditQueryView,
    ) -> Result<AuditLogView, String> {
        let admin = self.actor(parts).await?;
        let m = &self.state.manager;
        let kinds = m.audit_kinds(realm, &admin.actor).await.map_err(super::service::shown)?;
        let retention_days = m.audit_retention(realm, &admin.actor).await.map_err(super::service::shown)?;
        let first = q.first.max(0);
        let mut view =
            AuditLogView { events: vec![], total: 0, first, max: AUDIT_PAGE, kinds, retention_days, error: None };
        match filter_of(q) {
            Ok(filter) => {
                let page = m
                    .search_audit(realm, &filter, first, AUDIT_PAGE, &admin.actor)
                    .await
                    .map_err(super::service::shown)?;
                view.events = page.events.into_iter().map(row_view).collect();
                view.total = page.total;
            }
            Err(e) => view.error = Some(e),
        }
        Ok(view)
    }

    pub(super) async fn sessions_view(&self, parts: &Parts, realm: &str, first: i64) -> Result<SessionsView, String> {
        let admin = self.actor(parts).await?;
        let first = first.max(0);
        let (sessions, total) = self
            .state
            .manager
            .realm_sessions(realm, first, SESSIONS_PAGE, &admin.actor)
            .await
            .map_err(super::service::shown)?;
        Ok(SessionsView {
            sessions: sessions
                .into_iter()
                .map(|s| RealmSessionView {
                    id: s.session.id,
                    username: s.session.username,
                    clients: s.clients,
                    ip: s.session.ip,
                    started_at: s.session.created_at,
                    last_seen_at: s.session.last_seen_at,
                })
                .collect(),
            total,
            first,
            max: SESSIONS_PAGE,
        })
    }

    pub(super) async fn dashboard_view(
        &self,
        parts: &Parts,
        realm: &str,
        range: &str,
    ) -> Result<DashboardView, String> {
        let admin = self.actor(parts).await?;
        let d = self
            .state
            .manager
            .dashboard(realm, Range::parse(range), &admin.actor)
            .await
            .map_err(super::service::shown)?;
        let series = |name: &str, counts: Vec<i64>| SeriesView { name: name.to_owned(), counts };
        Ok(DashboardView {
            range: d.range.name().to_owned(),
            from: d.from,
            bucket: d.bucket,
            clients: d.clients,
            users: d.users,
            sessions: d.sessions,
            per_grant: d.per_grant.into_iter().map(|(g, c)| series(&g, c)).collect(),
            per_client: d.per_client,
            failures: vec![
                series("Sign-in failures", d.login_failures),
                series("Client authentication failures", d.client_auth_failures),
            ],
            recent_changes: d.recent_changes.into_iter().map(row_view).collect(),
        })
    }
}

/// `POST /admin/{realm}/console/sessions`: `Revoke` one session (`session`) or, with
/// `all`, every session of the realm.
pub async fn revoke(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "sessions");
    if f.checked("all") {
        return match m.log_out(&realm, None, actor).await {
            Ok(n) => posted.done(&here, format!("{} revoked.", app::text::count(n as i64, "session")), None).await,
            Err(e) => posted.failed(&here, e).await,
        };
    }
    match m.revoke_session(&realm, f.get("session"), actor).await {
        Ok(username) => posted.done(&here, format!("Session of {username} revoked."), None).await,
        Err(e) => posted.failed(&here, e).await,
    }
}

/// `POST /admin/{realm}/console/audit-log`: `Retention (days)`, `Save`.
pub async fn retention(Path(realm): Path<String>, posted: Posted) -> Response {
    let (m, actor, f) = (&posted.state().manager, &posted.admin.actor, &posted.fields);
    let here = console_href(&realm, "audit-log");
    let days = match f.get("audit_retention_days").parse::<i64>() {
        Ok(d) => d,
        Err(_) => {
            let e = ManageError::Invalid("--audit-retention-days must be a whole number of days".into());
            return posted.failed(&here, e).await;
        }
    };
    match m.set_audit_retention(&realm, days, actor).await {
        Ok(()) => posted.done(&here, format!("Audit events are kept {}.", app::text::count(days, "day")), None).await,
        Err(e) => posted.failed(&here, e).await,
    }
}

/// The most events one export holds.
pub const EXPORT_MAX: i64 = 100_000;

/// `GET /admin/{realm}/console/audit-log/export?actor=&client=&kind=&from=&to=`: the events
/// the Audit Log shows for that filter, every page of them, as JSON lines (`view-events`).
pub async fn export(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    session: Session,
) -> Response {
    let admin = match signed_in(&state, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "Sign in to use the admin console.\n").into_response(),
        Err(e) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, format!("{}\n", super::service::shown(e))).into_response()
        }
    };
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let query = AuditQueryView {
        actor: get("actor"),
        client: get("client"),
        kind: get("kind"),
        from: get("from"),
        to: get("to"),
        first: 0,
    };
    let filter = match filter_of(&query) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let mut body = String::new();
    let mut first = 0;
    while first < EXPORT_MAX {
        let page = match state.manager.search_audit(&realm, &filter, first, 1000, &admin.actor).await {
            Ok(p) => p,
            Err(e) => {
                let status = match e {
                    ManageError::Forbidden(_) => StatusCode::FORBIDDEN,
                    ManageError::NotFound(_) => StatusCode::NOT_FOUND,
                    ManageError::Invalid(_) => StatusCode::BAD_REQUEST,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                return (status, format!("{}\n", super::service::shown(e))).into_response();
            }
        };
        let n = page.events.len() as i64;
        for e in page.events {
            body.push_str(&jsonl_line(&e));
            body.push('\n');
        }
        if n < 1000 {
            break;
        }
        first += n;
    }
    let file = format!(
        "attachment; filename=\"audit-{}.jsonl\"",
        realm.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson".to_owned()),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// One event as a JSON line: the admin API's `AuditEventRepresentation` fields.
pub fn jsonl_line(e: &AuditRow) -> String {
    serde_json::json!({
        "id": e.id,
        "time": e.at * 1000,
        "type": e.kind,
        "actor": e.actor,
        "clientId": e.client_id,
        "subject": e.subject,
        "ipAddress": e.ip,
        "details": serde_json::from_str::<serde_json::Value>(&e.detail).unwrap_or_default(),
    })
    .to_string()
}
