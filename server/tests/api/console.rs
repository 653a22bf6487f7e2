//! The admin console's sign-in and client list, over plain HTTP (the browser suite in
//! `end2end/` covers hydration).

use crate::helpers::*;
use reqwest::{header, StatusCode};

crate::db_tests!(
    sign_in_page_sets_a_safe_cookie_and_a_csrf_field,
    anonymous_visitors_are_sent_to_sign_in,
    sign_in_checks_csrf_and_credentials_with_one_message,
    signed_in_admin_sees_the_clients_and_can_sign_out,
    the_client_list_follows_the_stored_role_mappings,
    a_realms_own_administrators_sign_in_for_that_realm_only,
);

fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn create_admin(app: &TestApp) {
    app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    let page = app.http.get(format!("{}/admin/login", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    app.http
        .post(format!("{}/admin/login", app.base))
        .form(&[("username", username), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap()
}

async fn sign_in_page_sets_a_safe_cookie_and_a_csrf_field(app: TestApp) {
    let res = app.http.get(format!("{}/admin/login", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    // A visitor gets a CSRF cookie, not a session (nothing to keep yet).
    assert!(cookie.starts_with("portcullis_csrf="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = res.text().await.unwrap();
    let form = &html[html.find("<form").unwrap()..html.find("</form>").unwrap()];
    assert!(form.contains("type=\"hidden\" name=\"csrf\""), "the CSRF field is inside the form: {form}");
    assert_eq!(csrf_of(form).len(), 43);
}

async fn anonymous_visitors_are_sent_to_sign_in(app: TestApp) {
    for path in ["/admin", "/admin/default/console/clients"] {
        let res = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()[header::LOCATION], "/admin/login");
    }
    // The data behind the page is refused too.
    let res = app
        .http
        .post(format!("{}/api/console_clients", app.base))
        .form(&[("realm", "default"), ("q", ""), ("first", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "leptos answers a server function's error so");
    assert!(res.text().await.unwrap().contains("Sign in to use the admin console"), "refused, with the reason");
}

async fn sign_in_checks_csrf_and_credentials_with_one_message(app: TestApp) {
    create_admin(&app).await;
    app.http.get(format!("{}/admin/login", app.base)).send().await.unwrap();
    let res = app
        .http
        .post(format!("{}/admin/login", app.base))
        .form(&[("username", "root"), ("password", "a long admin password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[header::LOCATION], "/admin/login?error=csrf", "no CSRF token, no sign-in");
    let wrong = sign_in(&app, "root", "wrong password").await;
    let unknown = sign_in(&app, "nobody", "wrong password").await;
    assert_eq!(wrong.headers()[header::LOCATION], "/admin/login?error=invalid");
    assert_eq!(unknown.headers()[header::LOCATION], "/admin/login?error=invalid", "same answer for unknown users");
    let page =
        app.http.get(format!("{}/admin/login?error=invalid", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Invalid username or password."));
    let mut conn = app.manager.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, None, 20).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "admin.login_failed").count(), 2);
}

async fn signed_in_admin_sees_the_clients_and_can_sign_out(app: TestApp) {
    create_admin(&app).await;
    app.service_client("alpha-service", &[]).await;
    app.service_client("beta-service", &[]).await;
    let before = app.http.get(format!("{}/admin/login", app.base)).send().await.unwrap();
    let anon_cookie = before.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let res = sign_in(&app, "root", "a long admin password").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/admin/default/console/clients");
    let new_cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_ne!(anon_cookie, new_cookie, "the session id changes at sign-in");

    let html =
        app.http.get(format!("{}/admin/default/console/clients", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-client-id=\"alpha-service\"") && html.contains("data-client-id=\"beta-service\""));
    assert!(html.contains("1–3 of 3"), "the two, and the built-in admin-cli");
    let filtered = app
        .http
        .get(format!("{}/admin/default/console/clients?q=beta", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        filtered.contains("data-client-id=\"beta-service\"") && !filtered.contains("data-client-id=\"alpha-service\"")
    );
    assert!(filtered.contains("1–1 of 1"));

    // Sign out needs the CSRF token, then the pages are closed again.
    let res = app.http.post(format!("{}/admin/logout", app.base)).form(&[("csrf", "forged")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .http
        .post(format!("{}/admin/logout", app.base))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[header::LOCATION], "/admin/login");
    let res = app.http.get(format!("{}/admin/default/console/clients", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn the_client_list_follows_the_stored_role_mappings(app: TestApp) {
    create_admin(&app).await;
    app.service_client("alpha-service", &[]).await;
    let res = sign_in(&app, "root", "a long admin password").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The console's old address sends browsers to the new one, query and all.
    let res = app
        .http
        .get(format!("{}/admin/realms/default/clients?q=beta", app.base))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers()[header::LOCATION], "/admin/default/console/clients?q=beta");
    let list = || async {
        let html = app.http.get(format!("{}/admin/default/console/clients", app.base)).send().await.unwrap();
        html.text().await.unwrap()
    };
    assert!(list().await.contains("data-client-id=\"alpha-service\""), "the superuser sees the clients");
    // Taking the master realm's admin role from root's user closes the list at once: the
    // server reads the role mappings on every request, not the session.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args([
            "--database-url",
            &app.db.url,
            "user",
            "ungrant",
            "--realm",
            "master",
            "--username",
            "root",
            "--role",
            "admin",
        ])
        .env("PORTCULLIS_MASTER_KEY", &app.master_key)
        .env("PORTCULLIS_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = list().await;
    assert!(!html.contains("data-client-id=\"alpha-service\""));
    assert!(html.contains("You do not administer realm"), "a clear refusal");
}

async fn a_realms_own_administrators_sign_in_for_that_realm_only(app: TestApp) {
    app.manager.create_realm("acme", None, &operator()).await.unwrap();
    for (name, roles) in [("ops", vec!["administer-clients".to_owned()]), ("nobody", vec![])] {
        let user = portcullis::manage::user::NewUser {
            realm: "acme".into(),
            username: name.into(),
            email: None,
            roles: vec![],
            ..Default::default()
        };
        app.manager.create_user(user, "a long password".into(), &operator()).await.unwrap();
        if !roles.is_empty() {
            app.manager.set_user_roles("acme", name, &roles, &[], true, &operator()).await.unwrap();
        }
    }
    app.create_client(portcullis::manage::client::NewClient {
        realm: "acme".into(),
        template: "service".into(),
        client_id: Some("acme-job".into()),
        ..Default::default()
    })
    .await;
    let sign_in_at = |username: &'static str| {
        let app = &app;
        async move {
            let page = app.http.get(format!("{}/admin/login?realm=acme", app.base)).send().await.unwrap();
            let html = page.text().await.unwrap();
            assert!(html.contains("name=\"realm\" value=\"acme\""), "the form keeps the realm");
            let form =
                [("username", username), ("password", "a long password"), ("csrf", &csrf_of(&html)), ("realm", "acme")];
            let res = app.http.post(format!("{}/admin/login", app.base)).form(&form).send().await.unwrap();
            res.headers()[header::LOCATION].to_str().unwrap().to_owned()
        }
    };
    // Without any admin role: refused with a clear message, no session.
    let refused = sign_in_at("nobody").await;
    assert!(refused.contains("error=forbidden") && refused.contains("realm=acme"), "{refused}");
    // With administer-clients: the console of acme, and only acme.
    assert_eq!(sign_in_at("ops").await, "/admin/acme/console/clients");
    let html =
        app.http.get(format!("{}/admin/acme/console/clients", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-client-id=\"acme-job\""), "acme's clients");
    let other =
        app.http.get(format!("{}/admin/default/console/clients", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(other.contains("You do not administer realm"), "not another realm's");
    // The same user is not an administrator of the master realm.
    let page = app.http.get(format!("{}/admin/login", app.base)).send().await.unwrap().text().await.unwrap();
    let form = [("username", "ops"), ("password", "a long password"), ("csrf", &csrf_of(&page))];
    let res = app.http.post(format!("{}/admin/login", app.base)).form(&form).send().await.unwrap();
    assert!(res.headers()[header::LOCATION].to_str().unwrap().contains("error=invalid"));
}
