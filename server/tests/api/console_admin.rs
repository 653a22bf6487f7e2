//! The console's operations over plain HTTP, as a browser without JavaScript sends them (forms
//! posted to the page's address, a 303 to the page showing the outcome), with what each admin
//! permission may and may not do. The browser suite (`end2end/`) drives the same pages in
//! Chromium with JavaScript on and off.

use crate::{console_session::*, helpers::*};
use portcullis::manage::project::NewProject;
use portcullis::manage::{client::NewClient, user::NewUser};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

crate::db_tests!(
    the_seed_procedure_works_over_plain_forms,
    each_permission_does_what_it_names_and_nothing_else,
    bad_input_is_shown_beside_its_field_and_writes_nothing,
    a_form_without_its_csrf_token_changes_nothing,
    admin_permissions_are_handed_out_only_by_those_holding_them,
    the_client_list_pages_and_searches_on_the_server,
    hydrated_forms_are_told_where_to_go,
    roles_are_created_edited_and_deleted_with_their_holders_named,
    realm_settings_switch_custom_clients_off,
    project_access_and_sessions_tabs,
    sections_to_come_say_so_and_unknown_ones_are_404,
    client_scopes_imply_and_are_given_to_new_clients,
);

/// The value of the input with `id`.
fn input_value(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("id=\"{id}\""))?;
    let tag = &page[start..start + page[start..].find('>')?];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..].split('"').next()?.to_owned())
}

async fn audit_count(app: &TestApp) -> usize {
    let mut conn = app.manager.db.conn().await.unwrap();
    portcullis::store::audit::recent(&mut conn, None, 10_000).await.unwrap().len()
}

async fn the_seed_procedure_works_over_plain_forms(app: TestApp) {
    let console = Console::root(&app).await;
    app.manager.create_role("default", None, "reporter", "Reads reports", &operator()).await.unwrap();
    // OAuth Clients → Create → OAuth Client ID → Save: the secret is on the Credentials tab.
    let (to, page) = console
        .post("clients/new", &[("client_id", "reports-job"), ("name", "Reports"), ("template", "service")])
        .await;
    assert_eq!(to, "/admin/default/console/clients/reports-job/credentials");
    assert!(flash(&page).contains("created"), "{}", flash(&page));
    let secret = input_value(&page, "client-secret").expect("the secret, shown once");
    assert_eq!(secret.len(), 43);
    let again = console.page("clients/reports-job/credentials").await;
    assert!(input_value(&again, "client-secret").is_none(), "shown once only");
    let creds = Creds { id: "reports-job".into(), secret: secret.clone() };
    let body: Value = app.token(&creds, None).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 300);

    // Settings: Access Token Lifespan.
    let settings = console.page("clients/reports-job/settings").await;
    assert!(settings.contains("Access Token Lifespan"));
    let (_, page) = console
        .post(
            "clients/reports-job/settings",
            &[
                ("name", "Reports"),
                ("enabled", "on"),
                ("grant_types", "client_credentials"),
                ("access_token_lifespan", "900"),
            ],
        )
        .await;
    assert!(flash(&page).contains("access token lifespan"), "{}", flash(&page));
    let body: Value = app.token(&creds, None).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 900);

    // Service Account Roles: Add selected.
    let tab = console.page("clients/reports-job/service-account-roles").await;
    assert!(tab.contains("value=\"reporter\""), "the realm role is available");
    let (_, page) =
        console.post("clients/reports-job/service-account-roles", &[("op", "add"), ("role", "reporter")]).await;
    assert!(flash(&page).contains("1 role added"), "{}", flash(&page));
    let token = app.access_token(&creds).await;
    let roles = jwt_claims(&token)["realm_access"]["roles"].clone();
    assert!(roles.as_array().unwrap().iter().any(|r| r == "reporter"), "{roles}");
    let (_, _) =
        console.post("clients/reports-job/service-account-roles", &[("op", "remove"), ("role", "reporter")]).await;
    let roles = jwt_claims(&app.access_token(&creds).await)["realm_access"]["roles"].clone();
    assert!(!roles.to_string().contains("reporter"), "taken away: {roles}");

    // Revocation: Not Before → Set to now revokes the token in hand.
    app.clock.advance(5);
    let (_, page) = console.post("clients/reports-job/revocation", &[("op", "now")]).await;
    assert!(flash(&page).contains("Not Before set"), "{}", flash(&page));
    assert_eq!(app.introspect(&creds, &token).await["active"], false);
    app.clock.advance(5);
    let fresh = app.access_token(&creds).await;
    assert_eq!(app.introspect(&creds, &fresh).await["active"], true);
    let (_, page) = console.post("clients/reports-job/revocation", &[("op", "clear")]).await;
    assert!(flash(&page).contains("cleared"));

    // Regenerate Secret: the old one is refused at once (no grace).
    let (_, page) = console.post("clients/reports-job/credentials", &[("grace", "0")]).await;
    let new_secret = input_value(&page, "client-secret").expect("the new secret");
    assert_ne!(new_secret, secret);
    assert_eq!(app.token(&creds, None).await.status(), StatusCode::UNAUTHORIZED);
    let creds = Creds { secret: new_secret, ..creds };
    assert_eq!(app.token(&creds, None).await.status(), StatusCode::OK);

    // The Audit tab lists what happened.
    let audit = console.page("clients/reports-job/audit").await;
    for kind in ["client.created", "client.updated", "client.secret_regenerated", "client.not_before"] {
        assert!(audit.contains(kind), "{kind} in the audit tab");
    }

    // Delete, confirmed.
    let list = console.page("clients?delete=reports-job").await;
    assert!(list.contains("Delete client reports-job?") && list.contains("role=\"alertdialog\""));
    let (to, page) = console.post("clients/reports-job/delete", &[]).await;
    assert_eq!(to, "/admin/default/console/clients");
    assert!(flash(&page).contains("deleted"));
    assert_eq!(app.token(&creds, None).await.status(), StatusCode::UNAUTHORIZED);
}

/// `(realm role, username)` administrators of the default realm.
const ADMINS: &[(&str, &str)] =
    &[("view-realm", "viewer"), ("administer-clients", "clients-admin"), ("administer-account", "realm-admin")];

async fn realm_admins(app: &TestApp) {
    for (role, name) in ADMINS {
        let user = NewUser {
            realm: "default".into(),
            username: (*name).into(),
            email: None,
            roles: vec![],
            ..Default::default()
        };
        app.manager.create_user(user, "a long password".into(), &operator()).await.unwrap();
        app.manager.set_user_roles("default", name, &[role.to_string()], &[], true, &operator()).await.unwrap();
    }
}

/// What an administrator tries: (what, path, fields, whether client management is enough).
type Attempt = (&'static str, &'static str, &'static [(&'static str, &'static str)], bool);

async fn each_permission_does_what_it_names_and_nothing_else(app: TestApp) {
    realm_admins(&app).await;
    app.service_client("svc", &[]).await;
    let attempts: &[Attempt] = &[
        ("create a client", "clients/new", &[("client_id", "new-one"), ("template", "service")], true),
        (
            "change a client",
            "clients/svc/settings",
            &[("name", "Renamed"), ("enabled", "on"), ("grant_types", "client_credentials")],
            true,
        ),
        ("regenerate a secret", "clients/svc/credentials", &[("grace", "0")], true),
        ("set not-before", "clients/svc/revocation", &[("op", "now")], true),
        ("create a realm role", "roles", &[("op", "create"), ("name", "auditor")], false),
        (
            "change realm settings",
            "realm-settings",
            &[("display_name", "Changed"), ("oauth_clients_enabled", "on")],
            false,
        ),
        ("delete a client", "clients/svc/delete", &[], true),
    ];
    for (_, name) in ADMINS {
        let console = Console::sign_in(&app, Some("default"), name, "a long password").await;
        // Everyone here may read the clients.
        assert!(console.page("clients").await.contains("data-client-id=\"svc\""), "{name} sees the clients");
        for (what, path, fields, clients_side) in attempts {
            let allowed = match *name {
                "realm-admin" => true,
                "clients-admin" => *clients_side,
                _ => false,
            };
            let before = audit_count(&app).await;
            let (_, page) = console.post(path, fields).await;
            let message = flash(&page);
            let after = audit_count(&app).await;
            if allowed {
                assert!(!page.contains("flash error"), "{name} may {what}: {message}");
                assert!(after > before, "{name}'s change to {what} is audited");
                if *what == "create a client" {
                    app.manager.delete_client("default", "new-one", &operator()).await.unwrap();
                }
                if *what == "create a realm role" {
                    app.manager.delete_role("default", None, "auditor", true, &operator()).await.unwrap();
                }
                if *what == "delete a client" {
                    app.service_client("svc", &[]).await;
                }
            } else {
                assert!(
                    page.contains("flash error") && message.contains("permission"),
                    "{name} may not {what}: {message}"
                );
                assert_eq!(after, before, "{name}'s refused attempt to {what} wrote nothing");
            }
        }
        // A realm's administrator has nothing to do with another realm.
        let other = console.http.get(format!("{}/admin/master/console/clients", app.base)).send().await.unwrap();
        let other = other.text().await.unwrap();
        assert!(other.contains("You do not administer realm"), "{name} stays in default: {other}");
    }
    // The viewer's attempts changed nothing.
    let detail = app.manager.client_detail("default", "svc", &operator()).await.unwrap();
    assert_eq!(detail.client.name, "svc");
}

async fn bad_input_is_shown_beside_its_field_and_writes_nothing(app: TestApp) {
    let console = Console::root(&app).await;
    app.service_client("svc", &[]).await;
    let before = audit_count(&app).await;
    let (to, page) =
        console.post("clients/new", &[("client_id", "has space"), ("template", "service"), ("name", "Kept")]).await;
    assert_eq!(to, "/admin/default/console/clients/new", "back to the form");
    assert!(page.contains("id=\"client_id-error\""), "the message is beside the OAuth Client ID field");
    assert!(page.contains("aria-invalid=\"true\""));
    assert_eq!(input_value(&page, "name").as_deref(), Some("Kept"), "what was typed is kept");
    let (_, page) = console
        .post(
            "clients/svc/settings",
            &[
                ("name", "svc"),
                ("enabled", "on"),
                ("grant_types", "client_credentials"),
                ("access_token_lifespan", "0"),
            ],
        )
        .await;
    assert!(page.contains("id=\"access_token_lifespan-error\""), "{}", flash(&page));
    assert!(flash(&page).contains("Access Token Lifespan must be between 1 and 86400 seconds"), "{}", flash(&page));
    let base = [("name", "svc"), ("enabled", "on"), ("grant_types", "client_credentials")];
    let (_, page) =
        console.post("clients/svc/settings", &[&base[..], &[("refresh_reuse_window", "99")]].concat()).await;
    assert!(page.contains("id=\"refresh_reuse_window-error\""), "{}", flash(&page));
    assert!(flash(&page).contains("Refresh Reuse Window must be between 0 and 60 seconds"), "{}", flash(&page));
    let (_, page) = console.post("clients/new", &[("client_id", "svc"), ("template", "service")]).await;
    assert!(flash(&page).contains("already exists"), "{}", flash(&page));
    let (_, page) = console.post("clients/svc/revocation", &[("op", "save"), ("not_before", "soon")]).await;
    assert!(page.contains("id=\"not_before-error\""), "{}", flash(&page));
    assert_eq!(audit_count(&app).await, before, "no refused change wrote anything");
    let (_, page) = console.post("clients/svc/settings", &[&base[..], &[("id_token_alg", "ES256")]].concat()).await;
    assert!(flash(&page).contains("id token alg"), "{}", flash(&page));
    assert!(page.contains("<option value=\"ES256\" selected"), "the choice is shown");
}

async fn a_form_without_its_csrf_token_changes_nothing(app: TestApp) {
    let console = Console::root(&app).await;
    let before = audit_count(&app).await;
    let res = console
        .http
        .post(console.url("clients/new"))
        .header(header::REFERER, format!("{}/admin/default/console/clients/new", app.base))
        .form(&[("client_id", "forged"), ("template", "service"), ("csrf", "not-the-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = console.page("clients/new").await;
    assert!(flash(&page).contains("Nothing was changed"), "{}", flash(&page));
    assert_eq!(audit_count(&app).await, before);
    assert!(app.manager.client_detail("default", "forged", &operator()).await.is_err());
    // Without a session, the form leads to the sign-in page.
    let anonymous = app.browser();
    let res = anonymous
        .post(console.url("clients/new"))
        .form(&[("client_id", "x"), ("template", "service")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[header::LOCATION], "/admin/login");
}

async fn admin_permissions_are_handed_out_only_by_those_holding_them(app: TestApp) {
    realm_admins(&app).await;
    app.service_client("script", &[]).await;
    let console = Console::sign_in(&app, Some("default"), "clients-admin", "a long password").await;
    // The realm-management roles the administrator lacks are not even offered…
    let tab = console.page("clients/script/service-account-roles?roles=realm-management").await;
    assert!(!tab.contains("value=\"realm-management:realm-admin\""), "realm-admin is not offered");
    assert!(tab.contains("value=\"realm-management:manage-clients\""), "one's own permissions are");
    // …and refused when sent anyway.
    let (_, page) = console
        .post(
            "clients/script/service-account-roles",
            &[("op", "add"), ("role", "realm-management:realm-admin"), ("roles", "realm-management")],
        )
        .await;
    assert!(flash(&page).contains("admin permissions you do not hold"), "{}", flash(&page));
    let (_, page) =
        console.post("clients/script/service-account-roles", &[("op", "add"), ("role", "administer-account")]).await;
    assert!(
        flash(&page).contains("admin permissions you do not hold"),
        "a composite carrying them too: {}",
        flash(&page)
    );
    let detail = app.manager.client_detail("default", "script", &operator()).await.unwrap();
    assert!(detail.service_account_roles.is_empty());
    // A permission one holds may be given to a script's client.
    let (_, page) = console
        .post(
            "clients/script/service-account-roles",
            &[("op", "add"), ("role", "realm-management:manage-clients"), ("roles", "realm-management")],
        )
        .await;
    assert!(flash(&page).contains("1 role added"), "{}", flash(&page));
}

async fn the_client_list_pages_and_searches_on_the_server(app: TestApp) {
    let console = Console::root(&app).await;
    for i in 0..45 {
        app.create_client(NewClient {
            realm: "default".into(),
            template: "device".into(),
            client_id: Some(format!("app-{i:02}")),
            name: Some(if i % 9 == 0 { format!("Nightly {i}") } else { format!("App {i}") }),
            ..Default::default()
        })
        .await;
    }
    // 45 and the realm's admin-cli, by client id.
    let first = console.page("clients").await;
    assert!(
        first.contains("1–20 of 46")
            && first.contains("data-client-id=\"admin-cli\"")
            && first.contains("data-client-id=\"app-18\"")
            && !first.contains("data-client-id=\"app-19\"")
    );
    assert!(first.contains("rel=\"next\""));
    let last = console.page("clients?first=40").await;
    assert!(
        last.contains("41–46 of 46") && last.contains("data-client-id=\"app-44\"") && !last.contains("rel=\"next\"")
    );
    let found = console.page("clients?q=nightly").await;
    assert!(found.contains("1–5 of 5"), "by name, case-insensitive");
    let literal = console.page("clients?q=app_").await;
    assert!(literal.contains("No results"), "`_` is matched literally, not as a wildcard");
    assert!(!console.page("clients").await.contains("realm-management"), "built-in clients are not listed");
}

async fn hydrated_forms_are_told_where_to_go(app: TestApp) {
    let console = Console::root(&app).await;
    let csrf = hidden_field(&console.page("clients").await, "csrf").unwrap();
    let res = console
        .http
        .post(console.url("clients/new"))
        .header("x-portcullis-form", "1")
        .form(&[
            ("client_id", "spa-app"),
            ("template", "spa"),
            ("redirect_uris", "https://app.example/cb"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["location"], "/admin/default/console/clients/spa-app/settings",
        "a public client has no secret to show"
    );
    assert_eq!(body["flash"]["message"], "Client spa-app created.", "the flash comes with the answer");
    assert_eq!(body["flash"]["secret"], Value::Null);
    let page = console.page("clients/spa-app/settings").await;
    assert!(!page.contains("id=\"flash\""), "and is not left in the session as well");
}

async fn roles_are_created_edited_and_deleted_with_their_holders_named(app: TestApp) {
    let console = Console::root(&app).await;
    let (_, page) =
        console.post("roles", &[("op", "create"), ("name", "analyst"), ("description", "Reads dashboards")]).await;
    assert!(flash(&page).contains("Role analyst created"), "{}", flash(&page));
    let (_, page) = console.post("roles", &[("op", "create"), ("name", "analyst")]).await;
    assert!(flash(&page).contains("already exists"));
    let (_, page) =
        console.post("roles", &[("op", "update"), ("name", "analyst"), ("description", "Reads every dashboard")]).await;
    assert!(page.contains("Reads every dashboard"));
    app.create_user("ann", "a long password").await;
    app.manager.set_user_roles("default", "ann", &["analyst".into()], &[], true, &operator()).await.unwrap();
    let confirm = console.page("roles?delete=analyst").await;
    assert!(confirm.contains("Delete role analyst?") && confirm.contains("<li>ann</li>"), "the holders are named");
    let (_, page) = console.post("roles", &[("op", "delete"), ("name", "analyst"), ("force", "false")]).await;
    assert!(flash(&page).contains("held by ann"), "refused without the confirmation: {}", flash(&page));
    let (_, page) = console.post("roles", &[("op", "delete"), ("name", "analyst"), ("force", "true")]).await;
    assert!(flash(&page).contains("taken from ann"), "{}", flash(&page));
    // Client roles, and the built-in client's, which are the permissions and never change.
    app.service_client("svc", &[]).await;
    let (_, page) = console.post("roles", &[("op", "create"), ("client", "svc"), ("name", "reader")]).await;
    assert!(flash(&page).contains("Role reader created"));
    let (_, page) =
        console.post("roles", &[("op", "create"), ("client", "realm-management"), ("name", "sneaky")]).await;
    assert!(flash(&page).contains("cannot be changed"), "{}", flash(&page));
}

async fn realm_settings_switch_custom_clients_off(app: TestApp) {
    let console = Console::root(&app).await;
    let creds = app.service_client("svc", &[]).await;
    let fields = [
        ("display_name", "Default"),
        ("access_token_lifespan", "600"),
        ("refresh_token_lifespan", "2592000"),
        ("sso_session_idle_timeout", "1800"),
        ("sso_session_max_lifespan", "36000"),
    ];
    let (_, page) = console.post("realm-settings", &fields).await;
    assert!(flash(&page).contains("oauth clients enabled"), "unticked: {}", flash(&page));
    assert_oauth_error(app.token(&creds, None).await, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    let mut on = fields.to_vec();
    on.push(("oauth_clients_enabled", "on"));
    console.post("realm-settings", &on).await;
    let body: Value = app.token(&creds, None).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 600, "the realm's new default lifespan: {body}");
    let mut short = fields.to_vec();
    short[3] = ("sso_session_idle_timeout", "10");
    let (_, page) = console.post("realm-settings", &short).await;
    assert!(flash(&page).contains("between 60 seconds and a year"), "{}", flash(&page));
}

async fn project_access_and_sessions_tabs(app: TestApp) {
    let console = Console::root(&app).await;
    app.service_client("svc", &[]).await;
    assert!(console.page("clients/svc/project-access").await.contains("no projects yet"));
    app.manager
        .create_project("default", NewProject { id: Some("alpha"), name: "Alpha", description: "" }, &operator())
        .await
        .unwrap();
    app.manager
        .create_project("default", NewProject { id: Some("beta"), name: "Beta", description: "" }, &operator())
        .await
        .unwrap();
    let (_, page) = console.post("clients/svc/project-access", &[("project", "beta")]).await;
    assert!(flash(&page).contains("Project access saved"), "{}", flash(&page));
    assert!(page.contains("value=\"beta\" checked"), "beta is ticked");
    let (_, page) = console.post("clients/svc/project-access", &[("project", "gamma")]).await;
    assert!(page.contains("flash error") && flash(&page).contains("no project"), "{}", flash(&page));
    // Projects: Edit saves the name and description; Delete (confirmed) takes the access away.
    let (_, page) = console.post("projects", &[("edit", "beta"), ("name", "Beta 2"), ("description", "Second")]).await;
    assert!(flash(&page).contains("Project Beta 2 saved"), "{}", flash(&page));
    let (to, page) = console.post("projects", &[("edit", "beta"), ("name", ""), ("description", "")]).await;
    assert!(to.ends_with("projects?edit=beta") && flash(&page).contains("1-200"), "{to}: {}", flash(&page));
    assert!(console.page("projects?delete=beta").await.contains("1 client(s) lose access"));
    let (_, page) = console.post("projects", &[("delete", "beta")]).await;
    assert!(flash(&page).contains("Project Beta 2 deleted"), "{}", flash(&page));
    assert!(app.manager.client_detail("default", "svc", &operator()).await.unwrap().projects.is_empty());

    // A user's refresh family appears on Sessions and is revoked from there.
    let web = app.password_client("web", "https://app.example/cb").await;
    app.create_user("ann", "a long password").await;
    let res = app
        .post_form(
            "default",
            TOKEN,
            Some(&web),
            &[("grant_type", "password"), ("username", "ann"), ("password", "a long password")],
        )
        .await;
    let tokens: Value = res.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let sessions = console.page("clients/web/sessions").await;
    assert!(sessions.contains("<th scope=\"row\">ann</th>"), "ann's session is listed");
    let family = hidden_field(&sessions, "family").expect("a revocable session");
    let (_, page) = console.post("clients/web/sessions", &[("family", &family)]).await;
    assert!(flash(&page).contains("1 session revoked"), "{}", flash(&page));
    assert_oauth_error(app.refresh(&web, &refresh, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.introspect(&web, access).await["active"], false, "its access token too");
    assert!(console.page("clients/web/sessions").await.contains("No live sessions"));
}

async fn sections_to_come_say_so_and_unknown_ones_are_404(app: TestApp) {
    let console = Console::root(&app).await;
    // Whichever section is still to come (sections get built one by one).
    if let Some((_, path, _)) = ::app::components::shell::SECTIONS.iter().find(|(_, _, built)| !built) {
        assert!(console.page(path).await.contains("This section is not built yet"), "{path}");
    }
    let res = console.http.get(console.url("no-such-section")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("There is no such page."));
}

async fn client_scopes_imply_and_are_given_to_new_clients(app: TestApp) {
    let console = Console::root(&app).await;
    let create = |name: &'static str, description: &'static str, implies: &'static str, new: &'static str| {
        let console = &console;
        async move {
            let fields = [("name", name), ("description", description), ("implies", implies), ("new_clients", new)];
            let fields: Vec<(&str, &str)> = fields.into_iter().filter(|(_, v)| !v.is_empty()).collect();
            console.post("client-scopes", &fields).await.1
        }
    };
    let page = create("write:dataset", "Change your datasets", "", "default").await;
    assert!(flash(&page).contains("Scope write:dataset created"), "{}", flash(&page));
    create("read:dataset", "Read your datasets", "", "optional").await;
    create("audit", "Read the audit trail", "", "").await;
    let page = create("admin:data", "Everything about data", "write:dataset", "").await;
    // What each grants in the end: the configured implication and the rule behind it.
    assert!(page.contains("aria-label=\"admin:data grants read:dataset, write:dataset\""), "drawn");
    assert!(page.contains("aria-label=\"write:dataset grants read:dataset\""), "the write:X rule");

    // Bad input: beside the field, nothing written.
    let before = app.manager.list_scopes("default", &operator()).await.unwrap().len();
    let page = create("bad name", "", "", "").await;
    assert!(flash(&page).contains("invalid scope name"), "{}", flash(&page));
    assert!(page.contains("aria-invalid=\"true\""), "marked beside the Name field");
    let page = create("loop", "", "nope", "").await;
    assert!(flash(&page).contains("no scope \"nope\""), "{}", flash(&page));
    assert_eq!(app.manager.list_scopes("default", &operator()).await.unwrap().len(), before, "nothing written");

    // Edit: description, implications, what new clients get, audited before → after.
    let scopes = app.manager.list_scopes("default", &operator()).await.unwrap();
    let id = |name: &str| scopes.iter().find(|s| s.name == name).unwrap().id.clone();
    let read = id("read:dataset");
    let (_, page) = console
        .post(
            "client-scopes",
            &[("id", &read), ("description", "Read datasets"), ("implies", "audit"), ("new_clients", "none")],
        )
        .await;
    assert!(flash(&page).contains("Scope saved"), "{}", flash(&page));
    let events = app.manager.audit_events("default", None, 0, 1, &operator()).await.unwrap();
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail["implies"], json!({"before": [], "after": ["audit"]}));
    assert_eq!(detail["new_clients"], json!({"before": "optional", "after": null}));
    let (_, page) = console.post("client-scopes", &[("id", &read), ("implies", "read:dataset")]).await;
    assert!(flash(&page).contains("cannot imply itself"), "{}", flash(&page));

    // A new client gets the realm's default scope as a default; its token carries what it implies.
    let svc = app.service_client("svc", &[]).await;
    let detail = app.manager.client_detail("default", "svc", &operator()).await.unwrap();
    assert!(detail.scopes.contains(&("write:dataset".to_owned(), true)), "{:?}", detail.scopes);
    let token: Value = app.token(&svc, Some("read:dataset")).await.json().await.unwrap();
    assert_eq!(token["scope"], "read:dataset", "write:dataset implies read:dataset: {token}");

    // The Settings tab picks the client's scopes and defaults from the realm's.
    let settings = console.page("clients/svc/settings").await;
    assert!(settings.contains("aria-label=\"read:dataset: may ask for\""), "one row per realm scope");
    let changes = portcullis::manage::client_update::ClientChanges {
        scopes: Some(vec!["write:dataset".into(), "audit".into()]),
        default_scopes: Some(vec!["audit".into()]),
        ..Default::default()
    };
    app.manager.update_client("default", "svc", changes, &operator()).await.unwrap();
    let token: Value = app.token(&svc, None).await.json().await.unwrap();
    assert_eq!(token["scope"], "audit", "only the default when none is asked for");
    let wrong = portcullis::manage::client_update::ClientChanges {
        default_scopes: Some(vec!["admin:data".into()]),
        ..Default::default()
    };
    let e = app.manager.update_client("default", "svc", wrong, &operator()).await.unwrap_err();
    assert!(e.to_string().contains("not one of the client's scopes"), "{e}");

    // Keycloak's realm default client scopes over the API (an API key as the bearer).
    let new = portcullis::manage::api_key::NewApiKey {
        name: "scopes".into(),
        roles: vec![portcullis::manage::service_account::RoleRef::parse("realm-management:manage-realm")],
        ..Default::default()
    };
    let (_, key) = app.manager.create_api_key("default", new, &operator()).await.unwrap();
    let api = |path: &str| format!("{}/admin/realms/default{path}", app.base);
    let defaults: Value = app
        .http
        .get(api("/default-default-client-scopes"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(defaults[0]["name"], "write:dataset", "{defaults}");
    let audit = id("audit");
    let res = app.http.put(api(&format!("/default-optional-client-scopes/{audit}"))).bearer_auth(&key).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::NO_CONTENT);
    let optionals: Value = app
        .http
        .get(api("/default-optional-client-scopes"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(optionals[0]["name"], "audit", "{optionals}");
    let res = app.http.delete(api(&format!("/default-default-client-scopes/{audit}"))).bearer_auth(&key).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::NO_CONTENT, "not a default: nothing to take");
    let optionals: Value = app
        .http
        .get(api("/default-optional-client-scopes"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(optionals.as_array().unwrap().len(), 1, "still optional");

    // Delete, confirmed; built-in scopes offer no Delete.
    let (_, page) = console.post("client-scopes", &[("delete", &id("admin:data"))]).await;
    assert!(flash(&page).contains("Scope admin:data deleted"), "{}", flash(&page));
    assert!(!page.contains("aria-label=\"Delete openid\""));
}
