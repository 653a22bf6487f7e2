//! The console's Audit Log, Sessions and Dashboard, over plain HTTP as a browser without
//! JavaScript uses them, and their REST endpoints: the audit log's filters, paging, export
//! and retention; failures recorded as events; sessions listed and revoked (with the
//! permission); the dashboard's numbers after tokens are issued.

use crate::helpers::*;
use portcullis::{
    manage::{activity::Range, realm::RealmChanges, service_account::RoleRef},
    store::audit::{self, NewAudit},
};
use reqwest::{header, StatusCode};
use serde_json::Value;

crate::db_tests!(
    the_audit_log_filters_pages_and_exports,
    old_events_go_after_the_realms_retention,
    sign_in_and_client_authentication_failures_are_recorded_and_counted,
    sessions_are_listed_and_revoked_by_those_allowed,
    the_dashboard_counts_tokens_as_they_are_issued,
);

/// A signed-in console session of the superuser `root`.
struct Console<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
}

impl<'a> Console<'a> {
    async fn root(app: &'a TestApp) -> Self {
        app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
        let http = app.browser();
        let page = http.get(format!("{}/admin/login", app.base)).send().await.unwrap().text().await.unwrap();
        let form = [
            ("username", "root".to_owned()),
            ("password", "a long admin password".to_owned()),
            ("csrf", hidden_field(&page, "csrf").unwrap()),
        ];
        let res = http.post(format!("{}/admin/login", app.base)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        Console { app, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/default/console/{path}", self.app.base)
    }

    async fn page(&self, path: &str) -> String {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap()
    }

    /// Posts `fields` with the page's CSRF token; returns the page the 303 leads to.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> String {
        let csrf = hidden_field(&self.page(path.split('?').next().unwrap()).await, "csrf").unwrap();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        let res = self.http.post(self.url(path)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
        self.http.get(format!("{}{to}", self.app.base)).send().await.unwrap().text().await.unwrap()
    }
}

/// The rows of the table with `id` in a page.
fn rows(page: &str, id: &str) -> usize {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no table {id}"));
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody").unwrap()..];
    body.matches("<tr").count()
}

async fn insert(app: &TestApp, kind: &str, actor: &str, client: Option<&str>, at: i64) {
    let realm = app.manager.realm_row("default").await.unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    let ev = NewAudit { realm_id: Some(&realm.id), kind, actor, client_id: client, ..Default::default() };
    audit::insert(&mut conn, &ev, at).await.unwrap();
}

/// A client whose service account holds the realm role `role`, and its bearer token.
async fn script(app: &TestApp, id: &str, role: &str) -> String {
    let creds = app.service_client(id, &[]).await;
    let role = RoleRef { client_id: None, name: role.into() };
    app.manager.set_service_account_roles("default", id, &[role], true, &operator()).await.unwrap();
    app.access_token(&creds).await
}

async fn the_audit_log_filters_pages_and_exports(app: TestApp) {
    let console = Console::root(&app).await;
    let now = app.state.now();
    for i in 0..60 {
        insert(&app, "test.event", if i % 2 == 0 { "ann" } else { "bob" }, Some("reports"), now - 60 + i).await;
    }
    insert(&app, "test.event", "ann", Some("other"), now - 3600).await;
    // A settings change carries each setting before and after.
    let changes = RealmChanges { access_token_lifespan: Some(900), ..Default::default() };
    app.manager.update_realm("default", changes, &operator()).await.unwrap();

    let page = console.page("audit-log?kind=realm.updated").await;
    assert_eq!(rows(&page, "audit-log"), 1);
    assert!(page.contains("access_token_lifespan"), "the setting is named");
    assert!(page.contains("<span class=\"before\">300</span> → <span class=\"after\">900</span>"), "{page}");
    assert!(page.contains("value=\"realm.updated\" selected"), "the kind stays chosen");

    // Paged: 50 a page, the filter kept in the pager's links.
    let page = console.page("audit-log?kind=test.event&client=reports").await;
    assert_eq!(rows(&page, "audit-log"), 50);
    assert!(page.contains("1–50 of 60"));
    let next = ["client=reports&amp;kind=test.event&amp;first=50", "client=reports&kind=test.event&first=50"];
    assert!(next.iter().any(|n| page.contains(n)), "next page keeps the filter");
    let page = console.page("audit-log?kind=test.event&client=reports&first=50").await;
    assert_eq!(rows(&page, "audit-log"), 10);
    let page = console.page("audit-log?kind=test.event&actor=ann").await;
    assert!(page.contains("1–31 of 31"), "30 about reports and one about other");
    // A period: From and To (UTC, to the minute), To excluded.
    let half_hour_ago = portcullis_text(now - 1800);
    let page = console.page(&format!("audit-log?kind=test.event&actor=ann&from={half_hour_ago}")).await;
    assert!(page.contains("1–30 of 30"), "the last half hour");
    let page = console.page(&format!("audit-log?kind=test.event&to={half_hour_ago}")).await;
    assert!(page.contains("1–1 of 1"), "before it");
    // A bad time is said, not a 500.
    let page = console.page("audit-log?from=yesterday").await;
    assert!(page.contains("id=\"filter-error\""), "the filter's error is shown");

    // Export: every page of the filter, as JSON lines.
    let res = console.http.get(console.url("audit-log/export?kind=test.event&client=reports")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/x-ndjson");
    assert!(res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    let body = res.text().await.unwrap();
    let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 60);
    assert!(lines.iter().all(|l| l["type"] == "test.event" && l["clientId"] == "reports"));
    // Without a console session: sent to sign in, nothing exported.
    let anonymous = app.browser().get(console.url("audit-log/export")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(anonymous.headers()[header::LOCATION].to_str().unwrap().starts_with("/admin/login"));

    // The REST API filters the same way, and answers JSON lines when asked.
    let token = script(&app, "auditor", "view-realm").await;
    let url = format!("{}/admin/realms/default/audit-events?type=realm.updated", app.base);
    let events: Value = app.http.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["details"]["access_token_lifespan"]["before"], 300);
    assert_eq!(events[0]["details"]["access_token_lifespan"]["after"], 900);
    let url = format!("{}/admin/realms/default/audit-events?type=test.event&actor=bob&format=jsonl&max=5", app.base);
    let res = app.http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/x-ndjson");
    assert_eq!(res.text().await.unwrap().lines().count(), 5);
    let url = format!("{}/admin/realms/default/audit-events?since=soon", app.base);
    let res = app.http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// `ts` as the Audit Log's `From` field holds it.
fn portcullis_text(ts: i64) -> String {
    app::text::datetime_local(ts)
}

async fn old_events_go_after_the_realms_retention(app: TestApp) {
    let console = Console::root(&app).await;
    let page = console.page("audit-log").await;
    assert!(page.contains("Retention (days)"));
    assert!(page.contains("value=\"365\""), "a year by default");
    // Bad input is said beside the field; nothing changes.
    let page = console.post("audit-log", &[("audit_retention_days", "0")]).await;
    assert!(page.contains("audit_retention_days-error"), "{page}");
    assert_eq!(app.manager.audit_retention("default", &operator()).await.unwrap(), 365);
    let page = console.post("audit-log", &[("audit_retention_days", "many")]).await;
    assert!(page.contains("whole number of days"));
    let page = console.post("audit-log", &[("audit_retention_days", "2")]).await;
    assert!(page.contains("Audit events are kept 2 days."), "{page}");
    assert_eq!(app.manager.audit_retention("default", &operator()).await.unwrap(), 2);
    // The change is itself in the log, before → after.
    let page = console.page("audit-log?kind=realm.updated").await;
    assert!(page.contains("audit_retention_days"));
    assert!(page.contains("<span class=\"before\">365</span> → <span class=\"after\">2</span>"));

    let now = app.state.now();
    insert(&app, "test.old", "ann", None, now).await;
    app.clock.advance(24 * 3600);
    insert(&app, "test.new", "ann", None, app.state.now()).await;
    app.clock.advance(36 * 3600);
    portcullis::startup::janitor_pass(&app.state, None).await;
    let page = console.page("audit-log?kind=test.old").await;
    assert_eq!(rows(&page, "audit-log"), 1, "gone: only the 'No events match.' row");
    assert!(page.contains("No events match."));
    let page = console.page("audit-log?kind=test.new").await;
    assert!(page.contains("1–1 of 1"), "a day and a half old: kept");
}

async fn sign_in_and_client_authentication_failures_are_recorded_and_counted(app: TestApp) {
    app.create_user("ann", "a long password").await;
    let web = app.password_client("web", "https://app.example/cb").await;
    let form = [("grant_type", "password"), ("username", "ann"), ("password", "wrong")];
    let res = app.post_form("default", TOKEN, Some(&web), &form).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let wrong = Creds { id: web.id.clone(), secret: "not the secret".into() };
    let res = app.post_form("default", TOKEN, Some(&wrong), &[("grant_type", "client_credentials")]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let kinds = |kind: &'static str| {
        let app = &app;
        async move {
            let filter = audit::AuditFilter { kind: Some(kind.into()), ..Default::default() };
            app.manager.search_audit("default", &filter, 0, 10, &operator()).await.unwrap().events
        }
    };
    let failed = kinds("user.login_failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].actor, "ann");
    // Recorded off the token endpoint's path, so it may land a moment later.
    assert!(eventually(5, || async { kinds("client.auth_failed").await.len() == 1 }).await);
    let client_failed = kinds("client.auth_failed").await;
    assert_eq!(client_failed[0].client_id.as_deref(), Some("web"));
    assert!(client_failed[0].ip.is_some(), "from where");

    let d = app.manager.dashboard("default", Range::Hour, &operator()).await.unwrap();
    assert_eq!(d.login_failures.iter().sum::<i64>(), 1);
    assert_eq!(d.client_auth_failures.iter().sum::<i64>(), 1);
    let token = script(&app, "auditor", "view-realm").await;
    let url = format!("{}/admin/realms/default/auth-failure-stats?interval=60", app.base);
    let stats: Value = app.http.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let count = |kind: &str| -> i64 {
        stats.as_array().unwrap().iter().filter(|s| s["type"] == kind).map(|s| s["count"].as_i64().unwrap()).sum()
    };
    assert_eq!(count("user.login_failed"), 1);
    assert_eq!(count("client.auth_failed"), 1);
    let url = format!("{}/admin/realms/default/auth-failure-stats?interval=7", app.base);
    assert_eq!(app.http.get(&url).bearer_auth(&token).send().await.unwrap().status(), StatusCode::BAD_REQUEST);
}

async fn sessions_are_listed_and_revoked_by_those_allowed(app: TestApp) {
    let console = Console::root(&app).await;
    app.create_user("ann", "a long password").await;
    app.create_user("bob", "a long password").await;
    let web = app.password_client("web", "https://app.example/cb").await;
    let sign_in = |user: &'static str| {
        let (app, web) = (&app, &web);
        async move {
            let form = [("grant_type", "password"), ("username", user), ("password", "a long password")];
            app.post_form("default", TOKEN, Some(web), &form).await.json::<Value>().await.unwrap()
        }
    };
    let ann = sign_in("ann").await;
    sign_in("bob").await;
    sign_in("bob").await;

    let page = console.page("sessions").await;
    assert_eq!(rows(&page, "sessions"), 3);
    assert!(page.contains("aria-label=\"Revoke session of ann\""));
    assert!(page.contains("Revoke all"));

    // The REST list: every user's sessions, with their clients.
    let viewer = script(&app, "auditor", "view-realm").await;
    let admin = script(&app, "ops", "administer-account").await;
    let url = format!("{}/admin/realms/default/sessions", app.base);
    let list: Value = app.http.get(&url).bearer_auth(&viewer).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let of_ann = list.as_array().unwrap().iter().find(|s| s["username"] == "ann").unwrap();
    assert!(of_ann["clients"].as_object().unwrap().values().any(|c| c == "web"));
    let ann_session = of_ann["id"].as_str().unwrap().to_owned();
    let paged: Value =
        app.http.get(format!("{url}?first=1&max=1")).bearer_auth(&viewer).send().await.unwrap().json().await.unwrap();
    assert_eq!(paged.as_array().unwrap().len(), 1);

    // Keycloak's per-client counts.
    let stats_url = format!("{}/admin/realms/default/client-session-stats", app.base);
    let stats: Value = app.http.get(&stats_url).bearer_auth(&viewer).send().await.unwrap().json().await.unwrap();
    let of_web = stats.as_array().unwrap().iter().find(|s| s["clientId"] == "web").unwrap();
    assert_eq!(of_web["active"], "3");
    assert_eq!(of_web["offline"], "0");

    // A viewer may not revoke; one who manages users may.
    let one = format!("{url}/{ann_session}");
    assert_eq!(app.http.delete(&one).bearer_auth(&viewer).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    // Asking first (a page, without JavaScript), then the console's form.
    let page = console.page(&format!("sessions?revoke={ann_session}")).await;
    assert!(page.contains("Revoke the session of ann?"));
    let page = console.post("sessions", &[("session", &ann_session)]).await;
    assert!(page.contains("Session of ann revoked."), "{page}");
    assert_eq!(rows(&page, "sessions"), 2);
    assert_eq!(app.introspect(&web, ann["access_token"].as_str().unwrap()).await["active"], false);
    assert_eq!(app.http.delete(&one).bearer_auth(&admin).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let page = console.page("audit-log?kind=session.revoked").await;
    assert!(page.contains("1–1 of 1") && page.contains("ann"));

    // DELETE over the API, then Revoke all.
    let list: Value = app.http.get(&url).bearer_auth(&viewer).send().await.unwrap().json().await.unwrap();
    let bob_session = list[0]["id"].as_str().unwrap();
    let res = app.http.delete(format!("{url}/{bob_session}")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let page = console.post("sessions", &[("all", "1")]).await;
    assert!(page.contains("1 session revoked."), "{page}");
    assert!(page.contains("No open sessions."));
    // A bad id is a clear refusal.
    let page = console.post("sessions", &[("session", "nope")]).await;
    assert!(page.contains("Session not found"));
}

async fn the_dashboard_counts_tokens_as_they_are_issued(app: TestApp) {
    let console = Console::root(&app).await;
    let before = app.manager.dashboard("default", Range::Hour, &operator()).await.unwrap();
    let job = app.service_client("reports-job", &[]).await;
    let page = console.page("dashboard?range=hour").await;
    assert!(page.contains("<desc id=\"chart-grants-desc\">None in this period.</desc>"), "{page}");
    assert!(page.contains("aria-current=\"page\">Last hour</a>"));

    for _ in 0..3 {
        app.access_token(&job).await;
    }
    app.state.stats.flush(&app.manager.db, app.state.now()).await.unwrap();
    let d = app.manager.dashboard("default", Range::Hour, &operator()).await.unwrap();
    assert_eq!(d.per_grant.len(), 1);
    assert_eq!(d.per_grant[0].0, "client_credentials");
    assert_eq!(d.per_grant[0].1.iter().sum::<i64>(), 3);
    assert_eq!(d.per_client, vec![("reports-job".to_owned(), 3)]);
    assert_eq!(d.clients, before.clients + 1);

    let page = console.page("dashboard?range=hour").await;
    assert!(page.contains("3 in all: client_credentials 3."), "{page}");
    assert!(page.contains("3 in all: reports-job 3."));
    assert!(page.contains("role=\"img\""));
    // The last admin changes: the client made above.
    assert!(page.contains("client.created"));
    for range in ["day", "30d"] {
        let page = console.page(&format!("dashboard?range={range}")).await;
        assert!(page.contains("3 in all: client_credentials 3."), "{range}");
    }
    // An hour and a bit later, the last hour holds none of them; the day all.
    app.clock.advance(2 * 3600);
    let page = console.page("dashboard?range=hour").await;
    assert!(page.contains("<desc id=\"chart-grants-desc\">None in this period.</desc>"));
    let page = console.page("dashboard").await;
    assert!(page.contains("3 in all: client_credentials 3."));
}

/// The command line: `audit list` (JSON lines with --json), `audit retention`, `session list`
/// and `session delete`.
mod command_line {
    use crate::helpers::*;
    use serde_json::Value;

    crate::db_tests!(real_time: the_cli_lists_the_audit_log_and_ends_sessions);

    fn run(app: &TestApp, args: &[&str]) -> String {
        let out = app.cli().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    async fn the_cli_lists_the_audit_log_and_ends_sessions(app: TestApp) {
        app.create_user("ann", "a long password").await;
        let web = app.password_client("web", "https://app.example/cb").await;
        let form = [("grant_type", "password"), ("username", "ann"), ("password", "a long password")];
        let signed_in: Value = app.post_form("default", TOKEN, Some(&web), &form).await.json().await.unwrap();

        let out = run(&app, &["audit", "list", "--realm", "default", "--kind", "client.created", "--json"]);
        let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["type"], "client.created");
        assert_eq!(lines[0]["clientId"], "web");
        let out = run(&app, &["audit", "list", "--actor", "ann", "--since", "2000-01-01T00:00", "--json"]);
        assert!(out.lines().count() >= 1, "ann's sign-in");
        assert!(out.lines().all(|l| serde_json::from_str::<Value>(l).unwrap()["actor"] == "ann"));
        let bad = app.cli().args(["audit", "list", "--since", "last week"]).output().unwrap();
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("--since"));
        assert!(run(&app, &["audit", "retention", "--days", "30"]).contains("kept 30 days"));

        let out = run(&app, &["session", "list", "--realm", "default", "--json"]);
        let sessions: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0]["username"], "ann");
        assert_eq!(sessions[0]["clients"], serde_json::json!(["web"]));
        let id = sessions[0]["id"].as_str().unwrap();
        assert!(run(&app, &["session", "delete", "--realm", "default", id]).contains("of ann"));
        assert_eq!(run(&app, &["session", "list", "--json"]), "");
        let again = app.cli().args(["session", "delete", id]).output().unwrap();
        assert!(!again.status.success(), "already ended");
        let refresh = signed_in["refresh_token"].as_str().unwrap();
        assert_oauth_error(app.refresh(&web, refresh, None).await, reqwest::StatusCode::BAD_REQUEST, "invalid_grant")
            .await;
    }
}
