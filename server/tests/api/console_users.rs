//! The console's Users pages over plain HTTP (forms posted as a browser without JavaScript
//! sends them, a 303 to the page showing the outcome): the list, create, details, credentials
//! (temporary passwords), role mapping, sessions, consents, brute force and delete, what
//! `view-users` may and may not do; the temporary password's sign-in step; the admin API's
//! `requiredActions`; and the `user` commands of the CLI. The browser suite
//! (`end2end/tests/console_users.test.mjs`) drives the same pages in Chromium.

use crate::{console_session::*, helpers::*};
use portcullis::manage::{client::ClientOptions, user::NewUser};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

crate::db_tests!(
    users_are_created_listed_searched_edited_and_deleted,
    bad_input_is_shown_beside_its_field_and_writes_nothing,
    view_users_reads_every_tab_and_changes_nothing,
    password_reset_role_mapping_and_unlock,
    sessions_and_consents_are_listed_and_revoked,
    a_temporary_password_is_replaced_at_the_next_sign_in,
    the_admin_api_reports_and_sets_update_password,
);

const WEB_CB: &str = "https://app.example.com/cb";

fn is_error(page: &str) -> bool {
    page.contains("flash error")
}

async fn audit_kinds(app: &TestApp) -> Vec<String> {
    let mut conn = app.manager.db.conn().await.unwrap();
    portcullis::store::audit::recent(&mut conn, None, 10_000).await.unwrap().into_iter().map(|e| e.kind).collect()
}

async fn user_id(app: &TestApp, username: &str) -> String {
    app.manager.user_by_username("default", username, &operator()).await.unwrap().id
}

async fn users_are_created_listed_searched_edited_and_deleted(app: TestApp) {
    let console = Console::root(&app).await;
    // Users → Create → Username, Email, names, Enabled, Password → Save: the user's page.
    let (to, page) = console
        .post(
            "users/new",
            &[
                ("username", "Alice"),
                ("email", "alice@example.com"),
                ("first_name", "Alice"),
                ("last_name", "Liddell"),
                ("enabled", "on"),
                ("password", "a long password"),
            ],
        )
        .await;
    let alice = user_id(&app, "alice").await;
    assert_eq!(to, format!("/admin/default/console/users/{alice}/details"));
    assert_eq!(flash(&page), "User alice created.");
    assert!(page.contains("value=\"alice@example.com\""), "the Details tab shows the email");
    // The list: username, email, name, status; Edit and Delete named after the user.
    let list = console.page("users").await;
    assert!(list.contains("data-username=\"alice\""));
    assert!(list.contains("aria-label=\"Delete alice\"") && list.contains("aria-label=\"Edit alice\""));
    assert!(list.contains("Alice Liddell") && list.contains(">enabled<"));
    // Paged and searched on the server.
    for i in 0..24 {
        let user = NewUser { realm: "default".into(), username: format!("user{i:02}"), ..Default::default() };
        app.manager.create_user_with(user, None, &operator()).await.unwrap();
    }
    let first = console.page("users").await;
    assert!(first.contains("1–20 of 25") && first.contains("rel=\"next\""), "paged");
    let second = console.page("users?first=20").await;
    assert!(second.contains("21–25 of 25") && second.contains("data-username=\"user23\""));
    let found = console.page("users?q=liddell").await;
    assert!(found.contains("data-username=\"alice\"") && found.contains("1–1 of 1"));
    assert!(console.page("users?q=nobody").await.contains("No user matches the search."));
    // Details: email and names changed, then disabled (Enabled unticked).
    let (_, page) = console
        .post(
            &format!("users/{alice}/details"),
            &[("email", "a@example.org"), ("first_name", "Al"), ("last_name", "L")],
        )
        .await;
    assert_eq!(flash(&page), "Saved.");
    let stored = app.manager.user_by_id("default", &alice, &operator()).await.unwrap();
    assert_eq!(stored.email.as_deref(), Some("a@example.org"));
    assert!(!stored.enabled, "disabled");
    assert!(console.page("users").await.contains(">disabled<"));
    // Delete asks first, naming the user, then deletes.
    let confirm = console.page(&format!("users?delete={alice}")).await;
    assert!(confirm.contains("Delete user alice?"), "the dialog names the user");
    let (to, page) = console.post(&format!("users/{alice}/delete"), &[]).await;
    assert_eq!(to, "/admin/default/console/users");
    assert!(flash(&page).contains("User alice deleted"), "{}", flash(&page));
    assert!(app.manager.user_by_username("default", "alice", &operator()).await.is_err());
    let kinds = audit_kinds(&app).await;
    for kind in ["user.created", "user.updated", "user.deleted"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} audited");
    }
}

/// A form's fields.
type Fields = &'static [(&'static str, &'static str)];

async fn bad_input_is_shown_beside_its_field_and_writes_nothing(app: TestApp) {
    let console = Console::root(&app).await;
    app.create_user("bob", "a long password").await;
    let before = audit_kinds(&app).await.len();
    let cases: &[(Fields, &str, &str)] = &[
        (&[("username", "has space"), ("enabled", "on")], "username", "invalid username"),
        (&[("username", "bob"), ("enabled", "on")], "username", "already exists"),
        (&[("username", "carol"), ("email", "not-an-email")], "email", "invalid email"),
        (&[("username", "carol"), ("password", "short")], "password", "at least"),
    ];
    for (fields, field, says) in cases {
        let (to, page) = console.post("users/new", fields).await;
        assert_eq!(to, "/admin/default/console/users/new");
        assert!(is_error(&page) && flash(&page).contains(says), "{field}: {}", flash(&page));
        assert!(page.contains(&format!("id=\"{field}-error\"")), "the error is beside {field}");
        assert!(!page.contains("value=\"short\""), "a password is never sent back");
    }
    assert!(app.manager.user_by_username("default", "carol", &operator()).await.is_err(), "nothing written");
    let bob = user_id(&app, "bob").await;
    let (_, page) = console.post(&format!("users/{bob}/details"), &[("email", "nope"), ("enabled", "on")]).await;
    assert!(is_error(&page) && page.contains("id=\"email-error\""), "{}", flash(&page));
    assert_eq!(audit_kinds(&app).await.len(), before, "no change audited");
    // An unknown user's page and forms say so, without a 500.
    let page = console.page("users/no-such-id/details").await;
    assert!(page.contains("User not found"));
    let (_, page) = console.post("users/no-such-id/details", &[("enabled", "on")]).await;
    assert!(is_error(&page) && flash(&page).contains("User not found"));
}

async fn view_users_reads_every_tab_and_changes_nothing(app: TestApp) {
    app.create_user("watcher", "a long password").await;
    let grant = [("realm-management".to_owned(), "view-users".to_owned())];
    app.manager.set_user_roles("default", "watcher", &[], &grant, true, &operator()).await.unwrap();
    app.create_user("dave", "a long password").await;
    let dave = user_id(&app, "dave").await;
    let console = Console::sign_in(&app, Some("default"), "watcher", "a long password").await;
    let list = console.page("users").await;
    assert!(list.contains("data-username=\"dave\""), "view-users lists users");
    assert!(!list.contains("aria-label=\"Delete dave\"") && list.contains("aria-label=\"View dave\""));
    for tab in ["details", "credentials", "role-mapping", "sessions", "consents"] {
        let page = console.page(&format!("users/{dave}/{tab}")).await;
        assert!(page.contains("aria-current=\"page\""), "{tab} shown");
        assert!(!page.contains("role=\"alert\">this needs"), "{tab} readable");
    }
    let before = audit_kinds(&app).await.len();
    let attempts: &[(&str, Fields)] = &[
        ("users/new", &[("username", "eve"), ("enabled", "on")]),
        ("users/{id}/details", &[("email", "d@example.com"), ("enabled", "on")]),
        ("users/{id}/details", &[("op", "unlock")]),
        ("users/{id}/credentials", &[("password", "another long one"), ("password_confirmation", "another long one")]),
        ("users/{id}/role-mapping", &[("op", "add"), ("role", "staff")]),
        ("users/{id}/sessions", &[("op", "all")]),
        ("users/{id}/consents", &[("client", "web")]),
        ("users/{id}/delete", &[]),
    ];
    for (path, fields) in attempts {
        let (_, page) = console.post(&path.replace("{id}", &dave), fields).await;
        assert!(is_error(&page) && flash(&page).contains("manage-users"), "{path}: {}", flash(&page));
    }
    assert_eq!(audit_kinds(&app).await.len(), before, "nothing changed");
    assert!(app.manager.user_by_username("default", "dave", &operator()).await.is_ok());
}

async fn password_reset_role_mapping_and_unlock(app: TestApp) {
    let console = Console::root(&app).await;
    app.create_user("erin", "a long password").await;
    let erin = user_id(&app, "erin").await;
    let path = format!("users/{erin}/credentials");
    // Temporary is ticked by default, as in Keycloak.
    let page = console.page(&path).await;
    assert!(page.contains("id=\"temporary\" name=\"temporary\" value=\"on\" checked"), "Temporary ticked");
    let (_, page) = console.post(&path, &[("password", "one long password"), ("password_confirmation", "other")]).await;
    assert!(is_error(&page) && page.contains("id=\"password-error\""), "{}", flash(&page));
    let (_, page) = console.post(&path, &[("password", "short"), ("password_confirmation", "short")]).await;
    assert!(is_error(&page) && flash(&page).contains("at least"), "{}", flash(&page));
    let (_, page) = console
        .post(&path, &[("password", "a new long password"), ("password_confirmation", "a new long password")])
        .await;
    assert!(flash(&page).starts_with("Password reset."), "{}", flash(&page));
    let stored = app.manager.user_by_id("default", &erin, &operator()).await.unwrap();
    assert!(!stored.password_temporary, "not temporary when unticked");
    let (_, page) = console
        .post(
            &path,
            &[
                ("password", "a newer long password"),
                ("password_confirmation", "a newer long password"),
                ("temporary", "on"),
            ],
        )
        .await;
    assert!(flash(&page).contains("temporary"), "{}", flash(&page));
    assert!(app.manager.user_by_id("default", &erin, &operator()).await.unwrap().password_temporary);
    assert!(console.page("users").await.contains("temporary password"), "the list says so");

    // Role Mapping: realm roles, or a client's; Add selected / Remove selected.
    app.manager.create_role("default", None, "reporter", "Reads reports", &operator()).await.unwrap();
    let roles = format!("users/{erin}/role-mapping");
    let page = console.page(&roles).await;
    assert!(page.contains("Available") && page.contains("Assigned") && page.contains("Add selected"));
    let (_, page) = console.post(&roles, &[("op", "add"), ("role", "reporter")]).await;
    assert_eq!(flash(&page), "1 role added.");
    let held = |app: &TestApp| {
        let id = erin.clone();
        let db = app.manager.db.clone();
        async move {
            let mut conn = db.conn().await.unwrap();
            portcullis::store::roles::direct_of_user(&mut conn, &id)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.client_id.map(|c| format!("{c}:{}", r.name)).unwrap_or(r.name))
                .collect::<Vec<_>>()
        }
    };
    assert!(held(&app).await.contains(&"reporter".to_owned()));
    let (_, page) = console.post(&roles, &[("op", "remove"), ("role", "reporter")]).await;
    assert_eq!(flash(&page), "1 role removed.");
    assert!(!held(&app).await.contains(&"reporter".to_owned()));
    // A client's roles, chosen by `roles=`; an admin permission only from one holding it (root does).
    let page = console.page(&format!("{roles}?roles=realm-management")).await;
    assert!(page.contains("value=\"realm-management:view-users\""), "realm-management's roles offered");
    let (to, page) = console
        .post(&roles, &[("op", "add"), ("role", "realm-management:view-users"), ("roles", "realm-management")])
        .await;
    assert!(to.ends_with("?roles=realm-management"), "{to}");
    assert_eq!(flash(&page), "1 role added.");
    assert!(held(&app).await.contains(&"realm-management:view-users".to_owned()));
    // Someone holding only manage-users cannot hand out manage-realm.
    app.create_user("helper", "a long password").await;
    let grant = [("realm-management".to_owned(), "manage-users".to_owned())];
    app.manager.set_user_roles("default", "helper", &[], &grant, true, &operator()).await.unwrap();
    let helper = Console::sign_in(&app, Some("default"), "helper", "a long password").await;
    let (_, page) = helper.post(&roles, &[("op", "add"), ("role", "realm-management:manage-realm")]).await;
    assert!(is_error(&page), "manage-realm is not the helper's to give: {}", flash(&page));

    // Brute force: failures lock the account; the Details tab shows it; Unlock forgets them.
    let realm = app.manager.realm_row("default").await.unwrap();
    let browser = app.browser();
    for _ in 0..realm.bruteforce_max_failures {
        app.clock.advance(40);
        let login = browser.get(app.realm_url("default", "/login")).send().await.unwrap().text().await.unwrap();
        let form = [("username", "erin"), ("password", "wrong"), ("csrf", &hidden_field(&login, "csrf").unwrap())];
        browser.post(app.realm_url("default", "/login-actions/authenticate")).form(&form).send().await.unwrap();
    }
    let details = console.page(&format!("users/{erin}/details")).await;
    assert!(details.contains("Locked until"), "the lock is shown");
    assert!(details.contains(&format!("<dd id=\"failures\">{}</dd>", realm.bruteforce_max_failures)), "failures");
    assert!(console.page("users").await.contains("locked"), "the list shows the lock");
    let (_, page) = console.post(&format!("users/{erin}/details"), &[("op", "unlock")]).await;
    assert!(flash(&page).starts_with("Unlocked"), "{}", flash(&page));
    assert!(page.contains("Not locked; no failed sign-ins counted."));
    assert!(app.manager.login_failures("default", &erin, &operator()).await.unwrap().is_none());
    assert!(audit_kinds(&app).await.iter().any(|k| k == "user.unlocked"));
}

async fn sessions_and_consents_are_listed_and_revoked(app: TestApp) {
    let console = Console::root(&app).await;
    app.create_user("frank", "a long password").await;
    let frank = user_id(&app, "frank").await;
    app.app_client("web", "webapp", WEB_CB, ClientOptions::default()).await;
    // Two browsers sign in (consent remembered the first time).
    let mut browsers = vec![];
    for _ in 0..2 {
        let browser = app.browser();
        let pkce = Pkce::new();
        let q = [
            ("response_type", "code"),
            ("client_id", "webapp"),
            ("redirect_uri", WEB_CB),
            ("scope", "openid read:dataset"),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let params = app.code_flow(&browser, &q, ("frank", "a long password")).await;
        assert!(params.contains_key("code"), "{params:?}");
        browsers.push(browser);
    }
    let sessions = format!("users/{frank}/sessions");
    let page = console.page(&sessions).await;
    assert_eq!(page.matches("name=\"session\"").count(), 2, "two open sessions");
    assert!(page.contains("Sign out all sessions") && page.contains("127.0.0.1"));
    let one = hidden_field(&page, "session").unwrap();
    let (_, page) = console.post(&sessions, &[("op", "end"), ("session", &one)]).await;
    assert!(flash(&page).starts_with("Session ended"), "{}", flash(&page));
    assert_eq!(page.matches("name=\"session\"").count(), 1);
    let (_, page) = console.post(&sessions, &[("op", "end"), ("session", &one)]).await;
    assert!(is_error(&page), "an ended session cannot be ended twice");
    let (_, page) = console.post(&sessions, &[("op", "all")]).await;
    assert!(flash(&page).contains("1 session ended"), "{}", flash(&page));
    assert!(page.contains("No open sessions."));

    // Consents: the client, its scopes, when; Revoke named after the client.
    let consents = format!("users/{frank}/consents");
    let page = console.page(&consents).await;
    assert!(page.contains("aria-label=\"Revoke webapp\"") && page.contains("read:dataset"), "listed");
    let (_, page) = console.post(&consents, &[("client", "webapp")]).await;
    assert_eq!(flash(&page), "Consent for webapp revoked: it will be asked again.");
    assert!(page.contains("No remembered consents."));
    let (_, page) = console.post(&consents, &[("client", "webapp")]).await;
    assert!(is_error(&page), "nothing left to revoke");
    assert!(audit_kinds(&app).await.iter().any(|k| k == "user.consent.revoke"));
    // The next authorization asks again.
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid read:dataset"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = app.auth_request(&browser, &q).await;
    let res = app.sign_in(&browser, &res, "frank", "a long password").await;
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/consent"), "asked again");
}

/// Submits the update-password form on the page `res` led to.
async fn update_password(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    let mut form = vec![
        ("csrf", hidden_field(page, "csrf").unwrap()),
        ("password_new", new.to_owned()),
        ("password_confirm", confirm.to_owned()),
    ];
    if let Some(rid) = hidden_field(page, "rid") {
        form.push(("rid", rid));
    }
    browser.post(app.realm_url("default", "/login-actions/update-password")).form(&form).send().await.unwrap()
}

async fn a_temporary_password_is_replaced_at_the_next_sign_in(app: TestApp) {
    let console = Console::root(&app).await;
    app.create_user("gina", "a long password").await;
    let gina = user_id(&app, "gina").await;
    let web = app.app_client("web", "webapp", WEB_CB, ClientOptions::default()).await;
    let pass = app.password_client("cli-app", "https://cli.example/cb").await;
    let (_, page) = console
        .post(
            &format!("users/{gina}/credentials"),
            &[("password", "temporary pass 1"), ("password_confirmation", "temporary pass 1"), ("temporary", "on")],
        )
        .await;
    assert!(!is_error(&page), "{}", flash(&page));
    // The password grant refuses the account until the password is changed (Keycloak's answer).
    let grant = [("grant_type", "password"), ("username", "gina"), ("password", "temporary pass 1")];
    let body = assert_oauth_error(
        app.post_form("default", TOKEN, Some(&pass), &grant).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(body["error_description"], "Account is not fully set up");
    // Nor does the admin console let the password in (for a user who administers the realm).
    let grant = [("realm-management".to_owned(), "view-users".to_owned())];
    app.manager.set_user_roles("default", "gina", &[], &grant, true, &operator()).await.unwrap();
    let admin = app.browser();
    let login = admin.get(format!("{}/admin/login?realm=default", app.base)).send().await.unwrap();
    let form = [
        ("username", "gina".to_owned()),
        ("password", "temporary pass 1".to_owned()),
        ("realm", "default".to_owned()),
        ("csrf", hidden_field(&login.text().await.unwrap(), "csrf").unwrap()),
    ];
    let res = admin.post(format!("{}/admin/login", app.base)).form(&form).send().await.unwrap();
    assert!(res.headers()[header::LOCATION].to_str().unwrap().contains("error=temporary"));
    // Sign in: the right temporary password leads to Update password, not to the app.
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = app.auth_request(&browser, &q).await;
    let res = app.sign_in(&browser, &res, "gina", "temporary pass 1").await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/realms/default/login?rid="), "{location}");
    let (_, page) = app.follow(&browser, &res).await;
    assert!(page.contains("Update password") && page.contains("New password") && page.contains("Confirm password"));
    assert!(browser.get(app.realm_url("default", "/login")).send().await.unwrap().status().is_success());
    // Errors beside their fields: the two differ; too short (the realm's policy).
    let res = update_password(&app, &browser, &page, "a brand new password", "another").await;
    let (_, page) = app.follow(&browser, &res).await;
    assert!(page.contains("id=\"password_confirm-error\"") && page.contains("The two passwords differ."));
    let res = update_password(&app, &browser, &page, "short", "short").await;
    let (_, page) = app.follow(&browser, &res).await;
    assert!(page.contains("id=\"password_new-error\"") && page.contains("The password must be at least"));
    assert!(app.manager.user_by_id("default", &gina, &operator()).await.unwrap().password_temporary, "unchanged");
    // A good one: saved, the flag cleared, and the sign-in goes on (consent, then the app).
    let res = update_password(&app, &browser, &page, "a brand new password", "a brand new password").await;
    let mut res = res;
    if res.headers()["location"].to_str().unwrap().starts_with("/realms/default/consent") {
        res = app.consent(&browser, &res, "allow").await;
    }
    let params = redirect_params(res.headers()["location"].to_str().unwrap());
    let tokens = app.exchange(&web, &params["code"], WEB_CB, Some(&pkce.verifier)).await;
    assert_eq!(tokens.status(), StatusCode::OK);
    assert!(!app.manager.user_by_id("default", &gina, &operator()).await.unwrap().password_temporary);
    assert!(audit_kinds(&app).await.iter().any(|k| k == "user.password_updated"));
    // The new password works (password grant too); the temporary one no longer does.
    let grant = [("grant_type", "password"), ("username", "gina"), ("password", "a brand new password")];
    assert_eq!(app.post_form("default", TOKEN, Some(&pass), &grant).await.status(), StatusCode::OK);
    app.clock.advance(60);
    let old = [("grant_type", "password"), ("username", "gina"), ("password", "temporary pass 1")];
    assert_oauth_error(
        app.post_form("default", TOKEN, Some(&pass), &old).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    app.clock.advance(5);
    Console::sign_in(&app, Some("default"), "gina", "a brand new password").await;
    // Posting the form with nothing pending (a fresh browser) asks to sign in again.
    let other = app.browser();
    let login = other.get(app.realm_url("default", "/login")).send().await.unwrap().text().await.unwrap();
    let res = update_password(&app, &other, &login, "whatever long", "whatever long").await;
    assert!(res.headers()["location"].to_str().unwrap().contains("error=password-expired"));
}

async fn the_admin_api_reports_and_sets_update_password(app: TestApp) {
    let creds = app.service_client("admin-script", &[]).await;
    let role = portcullis::manage::service_account::RoleRef { client_id: None, name: "administer-account".into() };
    app.manager.set_service_account_roles("default", "admin-script", &[role], true, &operator()).await.unwrap();
    let token = app.access_token(&creds).await;
    app.create_user("hank", "a long password").await;
    let hank = user_id(&app, "hank").await;
    let url = format!("{}/admin/realms/default/users/{hank}", app.base);
    let actions = |app: &TestApp| {
        let (url, token, http) = (url.clone(), token.clone(), app.http.clone());
        async move {
            let user: Value = http.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            user["requiredActions"].clone()
        }
    };
    assert_eq!(actions(&app).await, json!([]));
    // reset-password: temporary unless `temporary: false` (Keycloak's default).
    let reset = format!("{url}/reset-password");
    let res = app
        .http
        .put(&reset)
        .bearer_auth(&token)
        .json(&json!({"type": "password", "value": "a temporary one", "temporary": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(actions(&app).await, json!(["UPDATE_PASSWORD"]));
    let body = json!({"type": "password", "value": "a permanent one", "temporary": false});
    app.http.put(&reset).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(actions(&app).await, json!([]));
    // PUT users/{id} takes requiredActions.
    let res = app
        .http
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({"requiredActions": ["UPDATE_PASSWORD"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(actions(&app).await, json!(["UPDATE_PASSWORD"]));
    app.http.put(&url).bearer_auth(&token).json(&json!({"firstName": "Hank"})).send().await.unwrap();
    assert_eq!(actions(&app).await, json!(["UPDATE_PASSWORD"]), "a PUT without it leaves it");
    app.http.put(&url).bearer_auth(&token).json(&json!({"requiredActions": []})).send().await.unwrap();
    assert_eq!(actions(&app).await, json!([]));

    // Consents: Keycloak's list and revoke, by client id.
    app.app_client("web", "webapp", WEB_CB, ClientOptions::default()).await;
    let realm = app.manager.realm_row("default").await.unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    let web = portcullis::store::clients::by_client_id(&mut conn, &realm.id, "webapp").await.unwrap().unwrap();
    portcullis::store::consents::put(&mut conn, &hank, &web.id, "openid read:dataset", 1_700_000_000).await.unwrap();
    drop(conn);
    let consents: Value =
        app.http.get(format!("{url}/consents")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        consents,
        json!([{"clientId": "webapp", "grantedClientScopes": ["openid", "read:dataset"],
                "createdDate": 1_700_000_000_000i64, "lastUpdatedDate": 1_700_000_000_000i64}])
    );
    let revoke = format!("{url}/consents/webapp");
    assert_eq!(app.http.delete(&revoke).bearer_auth(&token).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(app.http.delete(&revoke).bearer_auth(&token).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let consents: Value =
        app.http.get(format!("{url}/consents")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(consents, json!([]));
}

/// The `user` commands: the same operations, validation and audit.
mod cli {
    use crate::helpers::*;
    use serde_json::Value;
    use std::{io::Write, process::Stdio};

    crate::db_tests!(real_time: user_list_update_reset_unlock_and_delete);

    fn run(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        let mut cmd = app.cli();
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let input = stdin.unwrap_or("").to_owned();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    }

    async fn user_list_update_reset_unlock_and_delete(app: TestApp) {
        app.create_user("ivy", "a long password").await;
        app.manager.create_role("default", None, "reporter", "", &operator()).await.unwrap();
        let (ok, out, err) = run(&app, &["user", "list", "--realm", "default", "--json"], None);
        assert!(ok, "{err}");
        let users: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(users[0]["username"], "ivy");
        assert_eq!(users[0]["locked"], false);
        let (ok, out, _) = run(&app, &["user", "list", "--realm", "default", "--search", "nobody"], None);
        assert!(ok && out.is_empty());
        let update = [
            "user",
            "update",
            "--realm",
            "default",
            "ivy",
            "--email",
            "ivy@example.org",
            "--first-name",
            "Ivy",
            "--enabled",
            "false",
            "--role",
            "reporter",
        ];
        let (ok, _, err) = run(&app, &update, None);
        assert!(ok, "{err}");
        let ivy = app.manager.user_by_username("default", "ivy", &operator()).await.unwrap();
        assert_eq!(
            (ivy.email.as_deref(), ivy.first_name.as_str(), ivy.enabled),
            (Some("ivy@example.org"), "Ivy", false)
        );
        // Bad input: one line, nothing written.
        let (ok, _, err) = run(&app, &["user", "update", "--realm", "default", "ivy", "--email", "bad"], None);
        assert!(!ok && err.starts_with("error: ") && err.lines().count() == 1, "{err}");
        let (ok, _, err) = run(&app, &["user", "update", "--realm", "default", "nobody", "--first-name", "X"], None);
        assert!(!ok && err.contains("no user"), "{err}");
        let reset = ["user", "reset-password", "--realm", "default", "ivy", "--password-stdin", "--temporary"];
        let (ok, _, err) = run(&app, &reset, Some("short\n"));
        assert!(!ok && err.contains("at least"), "{err}");
        let (ok, out, err) = run(&app, &reset, Some("a fresh long password\n"));
        assert!(ok && out.contains("temporary"), "{err}");
        let (_, out, _) = run(&app, &["user", "list", "--realm", "default", "--json"], None);
        let users: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(users[0]["required_actions"], serde_json::json!(["UPDATE_PASSWORD"]));
        let (ok, out, err) = run(&app, &["user", "unlock", "--realm", "default", "ivy"], None);
        assert!(ok && out == "unlocked user ivy", "{err}");
        let (ok, _, err) = run(&app, &["user", "delete", "--realm", "default", "ivy"], None);
        assert!(ok, "{err}");
        assert!(app.manager.user_by_username("default", "ivy", &operator()).await.is_err());
        let mut conn = app.manager.db.conn().await.unwrap();
        let kinds: Vec<String> = portcullis::store::audit::recent(&mut conn, None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for kind in ["user.updated", "user.roles_granted", "user.password_set", "user.unlocked", "user.deleted"] {
            assert!(kinds.iter().any(|k| k == kind), "{kind} audited");
        }
    }
}
