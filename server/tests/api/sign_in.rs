//! The end-user pages over HTTP: sign-in (CSRF, session fixation, cookies, brute force),
//! the password grant behind the same guard, and RP-initiated logout.

use crate::helpers::*;
use portcullis::manage::client::ClientOptions;
use reqwest::{header, StatusCode};
use serde_json::Value;

crate::db_tests!(
    sign_in_page_is_safe_and_changes_the_session_id,
    wrong_passwords_slow_down_then_lock_the_account,
    password_grant_only_for_clients_allowed_it,
    logout_with_hint_redirects_and_without_asks_first,
);

const CB: &str = "https://app.example.com/cb";

fn auth_query(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", "webapp".into()),
        ("redirect_uri", CB.into()),
        ("scope", "openid".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

async fn start(app: &TestApp, browser: &reqwest::Client) -> reqwest::Response {
    let pkce = Pkce::new();
    let q = auth_query(&pkce.challenge);
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.auth_request(browser, &q).await
}

async fn sign_in_page_is_safe_and_changes_the_session_id(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    app.app_client("web", "webapp", CB, ClientOptions::default()).await;
    let browser = app.browser();
    let res = start(&app, &browser).await;
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let before = cookie.split(';').next().unwrap().to_owned();
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let page = browser.get(format!("{}{location}", app.base)).send().await.unwrap();
    assert!(page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    let form = &html[html.find("<form").unwrap()..html.find("</form>").unwrap()];
    assert!(form.contains("name=\"csrf\"") && form.contains("name=\"rid\""), "CSRF and request id are in the form");
    // Without the CSRF token: refused.
    let rid = hidden_field(&html, "rid").unwrap();
    let res = browser
        .post(format!("{}/realms/default/login-actions/authenticate", app.base))
        .form(&[("username", "alice"), ("password", "correct horse battery"), ("rid", &rid)])
        .send()
        .await
        .unwrap();
    assert!(res.headers()["location"].to_str().unwrap().contains("error=csrf"));
    // With it: signed in, under a new session id.
    let res = start(&app, &browser).await;
    let res = app.sign_in(&browser, &res, "alice", "correct horse battery").await;
    let after = res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_ne!(before, after, "the session id changes at sign-in");
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/consent"));
}

async fn wrong_passwords_slow_down_then_lock_the_account(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    app.app_client("web", "webapp", CB, ClientOptions::default()).await;
    let browser = app.browser();
    let attempt = |password: &'static str| {
        let (app, browser) = (&app, &browser);
        async move {
            let res = start(app, browser).await;
            let res = app.sign_in(browser, &res, "alice", password).await;
            res.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    let first = attempt("wrong").await;
    assert!(first.contains("error=invalid"), "{first}");
    // Too soon after a failure: asked to wait, even with the right password.
    let soon = attempt("correct horse battery").await;
    assert!(soon.contains("error=wait"), "{soon}");
    let page = browser.get(format!("{}{soon}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Please wait"), "a clear message");
    // Unknown users get exactly the same treatment (no account enumeration).
    let res = start(&app, &browser).await;
    let res = app.sign_in(&browser, &res, "nobody", "x").await;
    assert!(res.headers()["location"].to_str().unwrap().contains("error=invalid"));
    // Keep failing (waiting out each delay): the fifth failure locks the account.
    let mut last = String::new();
    for _ in 0..4 {
        app.clock.advance(31);
        last = attempt("wrong").await;
    }
    assert!(last.contains("error=locked"), "{last}");
    app.clock.advance(31);
    assert!(attempt("correct horse battery").await.contains("error=locked"), "locked even with the right password");
    let page = browser.get(format!("{}{last}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("locked for"), "a clear message");
    let mut conn = app.manager.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, None, 50).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "user.locked"), "an audit event");
    assert!(events.iter().filter(|e| e.kind == "user.login_failed").count() >= 5);
    // After the lockout (15 minutes), the right password works.
    app.clock.advance(15 * 60);
    let ok = attempt("correct horse battery").await;
    assert!(ok.starts_with("/realms/default/consent"), "{ok}");
}

async fn password_grant_only_for_clients_allowed_it(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let allowed = app.password_client("legacy", CB).await;
    let web = app.app_client("web", "webapp", CB, ClientOptions::default()).await;
    let form = |u: &'static str, p: &'static str| {
        vec![("grant_type", "password"), ("username", u), ("password", p), ("scope", "openid profile")]
    };
    let res = app.post_form("default", TOKEN, Some(&allowed), &form("alice", "correct horse battery")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(body["refresh_token"].is_string() && body["id_token"].is_string());
    assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["preferred_username"], "alice");
    let res = app.post_form("default", TOKEN, Some(&web), &form("alice", "correct horse battery")).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    let res = app.post_form("default", TOKEN, Some(&allowed), &form("alice", "wrong")).await;
    let body = assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(body["error_description"], "Invalid username or password.");
    let res = app.post_form("default", TOKEN, Some(&allowed), &form("alice", "correct horse battery")).await;
    let body = assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(body["error_description"].as_str().unwrap().contains("wait"), "the same brute-force guard: {body}");
}

async fn logout_with_hint_redirects_and_without_asks_first(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let web = app
        .app_client(
            "web",
            "webapp",
            CB,
            ClientOptions {
                consent_required: Some(false),
                post_logout_redirect_uris: vec!["https://app.example.com/bye".into()],
                ..Default::default()
            },
        )
        .await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = auth_query(&pkce.challenge);
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    let tokens: Value = app.exchange(&web, &p["code"], CB, Some(&pkce.verifier)).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let logout = app.realm_url("default", "/protocol/openid-connect/logout");

    // An unregistered post-logout redirect: an error page, no redirect.
    let url = url::Url::parse_with_params(
        &logout,
        &[("id_token_hint", id_token), ("post_logout_redirect_uri", "https://evil.example.com/")],
    )
    .unwrap();
    let res = browser.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());

    // Without a hint, the user confirms first (CSRF-protected), and stays signed in meanwhile.
    let res = browser.get(&logout).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/realms/default/logout");
    let (_, html) = app.follow(&browser, &res).await;
    assert!(html.contains("id=\"confirm-logout\""));
    let res = app.auth_request(&browser, &q).await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"), "still signed in");
    let res = browser
        .post(format!("{}/realms/default/login-actions/logout", app.base))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // With a valid hint and a registered redirect: signed out at once, back with state.
    let url = url::Url::parse_with_params(
        &logout,
        &[("id_token_hint", id_token), ("post_logout_redirect_uri", "https://app.example.com/bye"), ("state", "s1")],
    )
    .unwrap();
    let res = browser.get(url).send().await.unwrap();
    assert_eq!(res.headers()["location"], "https://app.example.com/bye?state=s1");
    let res = app.auth_request(&browser, &q).await;
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/login"), "signed out");
    assert_oauth_error(
        app.refresh(&web, tokens["refresh_token"].as_str().unwrap(), None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    let info = app
        .http
        .get(app.realm_url("default", USERINFO))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED, "the session's access tokens are revoked");
}
