//! Several instances over one database and nothing else: no sticky sessions, no cache server.
//! A flow crosses instances at every step, and a change made on one reaches the others' caches
//! within a stated bound. On PostgreSQL, LISTEN/NOTIFY wakes them at once (the tests give the
//! other instances a one-minute poll, so only the notification can explain a fast pick-up); on
//! SQLite the poll does it (200 ms here, 1 s by default).

use crate::helpers::*;
use portcullis::{
    config::Config,
    manage::{client::ClientOptions, client_update::ClientChanges, service_account::RoleRef},
};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

crate::db_tests!(
    a_change_on_one_instance_reaches_another_within_a_second,
    every_flow_crosses_three_instances,
    changes_and_counters_are_shared_by_three_instances,
);

/// What a change may take to reach every instance (PostgreSQL: a notification; SQLite: a poll).
const PROPAGATION: u64 = 1;

/// The public address every instance is configured with, as behind one load balancer.
const PUBLIC: &str = "https://auth.example.test";

const WEB_CB: &str = "https://app.example.com/cb";
const DEVICE_AUTH: &str = "/protocol/openid-connect/auth/device";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn poll_for(kind: DbKind) -> Duration {
    match kind {
        DbKind::Postgres => Duration::from_secs(60),
        DbKind::Sqlite => Duration::from_millis(200),
    }
}

fn behind_balancer(kind: DbKind) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.public_url = Some(PUBLIC.into());
        c.change_poll_interval = poll_for(kind);
    }
}

/// Three instances over one database, as one load balancer would see them.
async fn three(kind: DbKind) -> [TestApp; 3] {
    let a = TestApp::spawn_with(kind, behind_balancer(kind)).await;
    let b = a.instance(behind_balancer(kind)).await;
    let c = a.instance(behind_balancer(kind)).await;
    [a, b, c]
}

async fn client_credentials_status(app: &TestApp, creds: &Creds) -> StatusCode {
    app.post_form("default", TOKEN, Some(creds), &[("grant_type", "client_credentials")]).await.status()
}

async fn a_change_on_one_instance_reaches_another_within_a_second(app: TestApp) {
    let second = app.instance(|c| c.change_poll_interval = poll_for(app.db.kind)).await;
    let creds = app.service_client("worker", &[]).await;
    // The second instance serves the client from its cache...
    assert_eq!(client_credentials_status(&second, &creds).await, StatusCode::OK);
    assert_eq!(client_credentials_status(&second, &creds).await, StatusCode::OK);
    // ...until the first disables it.
    let off = ClientChanges { enabled: Some(false), ..Default::default() };
    let changed = Instant::now();
    app.manager.update_client("default", "worker", off, &operator()).await.unwrap();
    let refused =
        eventually(PROPAGATION, || async { client_credentials_status(&second, &creds).await != StatusCode::OK });
    assert!(refused.await, "the second instance refuses the disabled client within {PROPAGATION} s");
    tracing::info!(took_ms = changed.elapsed().as_millis() as u64, "change reached the second instance");
}

/// Authorize on A, sign in on B, consent on C, token on C, refresh on A, introspect and
/// userinfo on B, revoke on C, logout on C; then the device flow over all three.
async fn every_flow_crosses_three_instances(app: TestApp) {
    let kind = app.db.kind;
    drop(app);
    let [a, b, c] = three(kind).await;
    a.create_user("alice", "correct horse battery").await;
    let web = a.app_client("web", "webapp", WEB_CB, ClientOptions::default()).await;
    let browser = a.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid profile read:dataset"),
        ("state", "s-1"),
        ("nonce", "n-1"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    // The pending request lives in the browser's session, in the database: B and C find it.
    let res = a.auth_request(&browser, &q).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = b.sign_in(&browser, &res, "alice", "correct horse battery").await;
    let res = c.consent(&browser, &res, "allow").await;
    let params = redirect_params(res.headers()["location"].to_str().unwrap());
    assert_eq!(params["state"], "s-1");
    assert_eq!(params["iss"], format!("{PUBLIC}/realms/default"));

    // The code is redeemed on C, once: A and B refuse it afterwards.
    let res = c.exchange(&web, &params["code"], WEB_CB, Some(&pkce.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_claims(&id_token)["iss"], format!("{PUBLIC}/realms/default"));

    // Refresh on A rotates; the rotated-away token is refused on B (and that replay ends the
    // family everywhere, so the fresh one dies too, as on one instance).
    let first_refresh = tokens["refresh_token"].as_str().unwrap();
    let res = a.refresh(&web, first_refresh, None).await;
    let rotated: Value = res.json().await.unwrap();
    assert!(rotated["access_token"].is_string(), "refresh on A: {rotated}");
    let access = rotated["access_token"].as_str().unwrap();
    let refresh = rotated["refresh_token"].as_str().unwrap();

    // Introspection and userinfo on B know the token C's refresh issued.
    let info = b.introspect(&web, access).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["client_id"], "webapp");
    let me = b.http.get(b.realm_url("default", USERINFO)).bearer_auth(access).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<Value>().await.unwrap()["preferred_username"], "alice");

    // Revoked on C: inactive on A and B at once (revocations are rows, not cache).
    let res = c.post_form("default", REVOKE, Some(&web), &[("token", access)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    for other in [&a, &b] {
        assert_eq!(other.introspect(&web, access).await["active"], false);
    }

    // Logout on C ends the SSO session: the refresh token dies on A, and the browser must sign
    // in again on B.
    let logout = format!("{}/realms/default/protocol/openid-connect/logout", c.base);
    let res = browser.get(&logout).query(&[("id_token_hint", id_token.as_str())]).send().await.unwrap();
    assert!(res.status().is_success() || res.status().is_redirection(), "logout: {}", res.status());
    let res = a.refresh(&web, refresh, None).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let res = b.auth_request(&browser, &q).await;
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/realms/default/login"), "signed out everywhere: {location}");
    // The code was redeemed on C, once: A and B refuse it.
    for other in [&a, &b] {
        let res = other.exchange(&web, &params["code"], WEB_CB, Some(&pkce.verifier)).await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }

    // The device flow: requested on A, approved on B, polled on C (once), then refused on A.
    a.create_client(portcullis::manage::client::NewClient {
        realm: "default".into(),
        template: "device".into(),
        client_id: Some("tv".into()),
        scopes: vec!["read:dataset".into()],
        ..Default::default()
    })
    .await;
    let res = a.post_form("default", DEVICE_AUTH, None, &[("client_id", "tv"), ("scope", "read:dataset")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let grant: Value = res.json().await.unwrap();
    let device_code = grant["device_code"].as_str().unwrap();
    let poll = |app: &TestApp| {
        let form = [("grant_type", DEVICE_GRANT), ("device_code", device_code), ("client_id", "tv")];
        let url = app.realm_url("default", TOKEN);
        let http = app.http.clone();
        async move { http.post(url).form(&form).send().await.unwrap() }
    };
    assert_oauth_error(poll(&c).await, StatusCode::BAD_REQUEST, "authorization_pending").await;
    let device_browser = b.browser();
    let location = approve_device(&b, &device_browser, grant["user_code"].as_str().unwrap()).await;
    assert!(location.contains("approved"), "{location}");
    // Polling too soon after the last poll is slow_down on any instance: move past the interval.
    a.clock.advance(10);
    let res = poll(&c).await;
    assert_eq!(res.status(), StatusCode::OK);
    let device_tokens: Value = res.json().await.unwrap();
    a.clock.advance(10);
    assert_oauth_error(poll(&a).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let info = a.introspect(&web, device_tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["active"], true);
}

/// The device page, its sign-in and the approval, all on `app`. Returns where it ends.
async fn approve_device(app: &TestApp, browser: &reqwest::Client, user_code: &str) -> String {
    let page = browser.get(format!("{}/realms/default/device", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let mut res = browser
        .post(format!("{}/realms/default/login-actions/device", app.base))
        .form(&[("user_code", user_code), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    if res.headers()["location"].to_str().unwrap().starts_with("/realms/default/login") {
        res = app.sign_in(browser, &res, "alice", "correct horse battery").await;
    }
    let (_, html) = app.follow(browser, &res).await;
    let form = [
        ("csrf", hidden_field(&html, "csrf").unwrap()),
        ("rid", hidden_field(&html, "rid").unwrap()),
        ("decision", "approve".to_owned()),
    ];
    let res = browser
        .post(format!("{}/realms/default/login-actions/device-decision", app.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Secret regenerated, not-before, key rotation and a role change on A reach B and C within
/// the bound; brute-force counters are one count across the three.
async fn changes_and_counters_are_shared_by_three_instances(app: TestApp) {
    let kind = app.db.kind;
    drop(app);
    let [a, b, c] = three(kind).await;
    let old = a.service_client("worker", &[]).await;
    for app in [&a, &b, &c] {
        assert_eq!(client_credentials_status(app, &old).await, StatusCode::OK, "cached everywhere");
    }

    // A new secret without grace: the old one is refused everywhere, the new one works.
    let fresh = a.manager.regenerate_secret("default", "worker", 0, &operator()).await.unwrap();
    let new = Creds { id: old.id.clone(), secret: fresh.client_secret.clone() };
    for app in [&b, &c] {
        let refused =
            eventually(PROPAGATION, || async { client_credentials_status(app, &old).await != StatusCode::OK });
        assert!(refused.await, "old secret refused within {PROPAGATION} s");
        assert_eq!(client_credentials_status(app, &new).await, StatusCode::OK);
    }

    // Not-before: a token issued before it is inactive on every instance.
    let before = b.access_token(&new).await;
    a.clock.advance(2);
    a.manager.set_client_not_before("default", "worker", None, &operator()).await.unwrap();
    for app in [&b, &c] {
        let inactive = eventually(PROPAGATION, || async { app.introspect(&new, &before).await["active"] == false });
        assert!(inactive.await, "not-before reached every instance within {PROPAGATION} s");
    }

    // A role granted on A is in the next token B and C issue.
    a.manager.create_role("default", None, "reports", "", &operator()).await.unwrap();
    let role = RoleRef { client_id: None, name: "reports".into() };
    a.manager.set_service_account_roles("default", "worker", &[role], true, &operator()).await.unwrap();
    for app in [&b, &c] {
        let carries = eventually(PROPAGATION, || async {
            let token = app.access_token(&new).await;
            jwt_claims(&token)["realm_access"]["roles"].as_array().is_some_and(|r| r.iter().any(|r| r == "reports"))
        });
        assert!(carries.await, "the new role is in tokens within {PROPAGATION} s");
    }

    // Key rotation on A: B and C publish the new key (signing_keys.rs follows the switch).
    let kids = |app: &TestApp| {
        let url = app.realm_url("default", CERTS);
        let http = app.http.clone();
        async move {
            let jwks: Value = http.get(url).send().await.unwrap().json().await.unwrap();
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    let new_keys = a.manager.rotate_keys("default", None, &operator()).await.unwrap();
    let new_kid = new_keys[0].kid.clone();
    for app in [&b, &c] {
        let published = eventually(PROPAGATION, || async { kids(app).await.contains(&new_kid) });
        assert!(published.await, "the new key is published everywhere within {PROPAGATION} s");
    }

    // Brute force: failures on A, B and C add up to one lockout, seen by all three.
    let failures = a.state.registry.realm("default").await.unwrap().unwrap().settings.bruteforce_max_failures;
    a.create_user("bob", "correct horse battery").await;
    a.app_client("web", "webapp", WEB_CB, ClientOptions::default()).await;
    let instances = [&a, &b, &c];
    for i in 0..failures {
        let outcome = password_sign_in(instances[i as usize % 3], "bob", "wrong").await;
        let expected = if i + 1 < failures { "error=invalid" } else { "error=locked" };
        assert!(outcome.contains(expected), "failure {} of {failures}: {outcome}", i + 1);
        // Past the growing wait between attempts, well within the lockout window.
        a.clock.advance(31);
    }
    for app in instances {
        let outcome = password_sign_in(app, "bob", "correct horse battery").await;
        assert!(outcome.contains("error=locked"), "locked on every instance: {outcome}");
    }
}

/// Signs `username` in on `app`'s sign-in page in a fresh browser; returns where it leads.
async fn password_sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    let res = app.auth_request(&browser, &q).await;
    let res = app.sign_in(&browser, &res, username, password).await;
    res.headers()["location"].to_str().unwrap().to_owned()
}
