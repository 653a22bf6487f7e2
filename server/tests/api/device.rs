//! The device authorization grant (RFC 8628) and the device-verification page.

use crate::helpers::*;
use portcullis::manage::client::{ClientOptions, NewClient};
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(
    device_authorization_response,
    polling_states_slow_down_and_tokens_exactly_once,
    denied_and_expired,
    code_entry_accepts_any_case_and_refuses_guessing,
    client_rules_and_confidential_device_clients,
);

const DEVICE_AUTH: &str = "/protocol/openid-connect/auth/device";

async fn tv(app: &TestApp) -> Creds {
    app.create_client(NewClient {
        realm: "default".into(),
        template: "device".into(),
        client_id: Some("tv".into()),
        name: Some("Living-room TV".into()),
        scopes: vec!["read:dataset".into()],
        ..Default::default()
    })
    .await
}

async fn start(app: &TestApp, scope: &str) -> Value {
    let res = app.post_form("default", DEVICE_AUTH, None, &[("client_id", "tv"), ("scope", scope)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn poll(app: &TestApp, device_code: &str) -> reqwest::Response {
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", "tv"),
    ];
    app.post_form("default", TOKEN, None, &form).await
}

/// The person's part in `browser`: enter `typed`, sign in if asked, then `decision`.
async fn person(app: &TestApp, browser: &reqwest::Client, typed: &str, decision: &str) -> String {
    let page = browser.get(format!("{}/realms/default/device", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let mut res = browser
        .post(format!("{}/realms/default/login-actions/device", app.base))
        .form(&[("user_code", typed), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    if res.headers()["location"].to_str().unwrap().starts_with("/realms/default/login") {
        res = app.sign_in(browser, &res, "alice", "correct horse battery").await;
    }
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/realms/default/device?rid="), "{location}");
    let (_, html) = app.follow(browser, &res).await;
    // The confirmation names the client, the scopes, when and from where (RFC 8628 §5.4).
    assert!(html.contains("Living-room TV"), "client name");
    assert!(html.contains("data-scope=\"read:dataset\""));
    assert!(html.contains("from <strong>127.0.0.1</strong>"), "requester address");
    assert!(html.contains(" UTC ("), "request time");
    let form = [
        ("csrf", hidden_field(&html, "csrf").unwrap()),
        ("rid", hidden_field(&html, "rid").unwrap()),
        ("decision", decision.to_owned()),
    ];
    let res = browser
        .post(format!("{}/realms/default/login-actions/device-decision", app.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn device_authorization_response(app: TestApp) {
    tv(&app).await;
    let res = app.post_form("default", DEVICE_AUTH, None, &[("client_id", "tv"), ("scope", "openid")]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let user_code = body["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(user_code.chars().filter(|c| *c != '-').all(|c| "BCDFGHJKLMNPQRSTVWXZ".contains(c)), "{user_code}");
    assert_eq!(body["verification_uri"], format!("{}/realms/default/device", app.base).as_str());
    assert_eq!(
        body["verification_uri_complete"],
        format!("{}/realms/default/device?user_code={user_code}", app.base).as_str()
    );
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["interval"], 5);
    assert_eq!(body["device_code"].as_str().unwrap().len(), 43);
    // Discovery advertises the endpoint and the grant.
    let doc: Value = app.http.get(app.realm_url("default", DISCOVERY)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["device_authorization_endpoint"], format!("{}/realms/default{DEVICE_AUTH}", app.base).as_str());
    assert!(doc["grant_types_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g == "urn:ietf:params:oauth:grant-type:device_code"));
    // The page, arrived at from verification_uri_complete, has the code filled in.
    let html =
        app.http.get(body["verification_uri_complete"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("value=\"{user_code}\"")));
}

async fn polling_states_slow_down_and_tokens_exactly_once(app: TestApp) {
    tv(&app).await;
    app.create_user("alice", "correct horse battery").await;
    let auth = start(&app, "openid read:dataset").await;
    let device_code = auth["device_code"].as_str().unwrap();
    assert_oauth_error(poll(&app, device_code).await, StatusCode::BAD_REQUEST, "authorization_pending").await;
    // Polling again at once is too fast: slow_down, and the interval grows by 5 s.
    assert_oauth_error(poll(&app, device_code).await, StatusCode::BAD_REQUEST, "slow_down").await;
    app.clock.advance(6);
    assert_oauth_error(poll(&app, device_code).await, StatusCode::BAD_REQUEST, "slow_down").await;
    app.clock.advance(16);
    assert_oauth_error(poll(&app, device_code).await, StatusCode::BAD_REQUEST, "authorization_pending").await;

    let browser = app.browser();
    let done = person(&app, &browser, auth["user_code"].as_str().unwrap(), "approve").await;
    assert_eq!(done, "/realms/default/device?done=approved");
    let page = browser.get(format!("{}{done}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("go back to your device"));

    app.clock.advance(30);
    let res = poll(&app, device_code).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["scope"], "openid read:dataset");
    assert!(tokens["refresh_token"].is_string() && tokens["id_token"].is_string());
    assert_eq!(jwt_claims(tokens["access_token"].as_str().unwrap())["preferred_username"], "alice");
    app.clock.advance(30);
    assert_oauth_error(poll(&app, device_code).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // The refresh token works like any other.
    let tv = Creds { id: "tv".into(), secret: String::new() };
    assert_eq!(app.refresh(&tv, tokens["refresh_token"].as_str().unwrap(), None).await.status(), StatusCode::OK);
}

async fn denied_and_expired(app: TestApp) {
    tv(&app).await;
    app.create_user("alice", "correct horse battery").await;
    let auth = start(&app, "read:dataset").await;
    let browser = app.browser();
    let done = person(&app, &browser, auth["user_code"].as_str().unwrap(), "deny").await;
    assert_eq!(done, "/realms/default/device?done=denied");
    assert_oauth_error(
        poll(&app, auth["device_code"].as_str().unwrap()).await,
        StatusCode::BAD_REQUEST,
        "access_denied",
    )
    .await;

    let auth = start(&app, "read:dataset").await;
    app.clock.advance(601);
    assert_oauth_error(
        poll(&app, auth["device_code"].as_str().unwrap()).await,
        StatusCode::BAD_REQUEST,
        "expired_token",
    )
    .await;
    // An expired code cannot be entered either.
    let page = browser.get(format!("{}/realms/default/device", app.base)).send().await.unwrap().text().await.unwrap();
    let res = browser
        .post(format!("{}/realms/default/login-actions/device", app.base))
        .form(&[("user_code", auth["user_code"].as_str().unwrap()), ("csrf", &hidden_field(&page, "csrf").unwrap())])
        .send()
        .await
        .unwrap();
    assert!(res.headers()["location"].to_str().unwrap().contains("error=invalid"));
}

async fn code_entry_accepts_any_case_and_refuses_guessing(app: TestApp) {
    tv(&app).await;
    app.create_user("alice", "correct horse battery").await;
    let auth = start(&app, "read:dataset").await;
    let typed = auth["user_code"].as_str().unwrap().replace('-', "").to_lowercase();
    let browser = app.browser();
    assert_eq!(person(&app, &browser, &typed, "approve").await, "/realms/default/device?done=approved");

    // Guessing: each wrong code makes the next attempt wait longer, then the address is locked.
    let guesser = app.browser();
    let page = guesser.get(format!("{}/realms/default/device", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let guess = |code: String| {
        let (guesser, csrf, app) = (&guesser, &csrf, &app);
        async move {
            let res = guesser
                .post(format!("{}/realms/default/login-actions/device", app.base))
                .form(&[("user_code", code.as_str()), ("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            res.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    assert!(guess("BCDF-GHJK".into()).await.contains("error=invalid"));
    let next = guess("BCDF-GHJL".into()).await;
    assert!(next.contains("error=wait"), "slowed down: {next}");
    let mut last = String::new();
    for _ in 0..9 {
        app.clock.advance(31);
        last = guess("BCDF-GHJM".into()).await;
    }
    assert!(last.contains("error=locked"), "refused: {last}");
    let page = guesser.get(format!("{}{last}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Too many wrong codes"));
    // Even a valid code is refused from that address while locked.
    let auth = start(&app, "read:dataset").await;
    app.clock.advance(31);
    assert!(guess(auth["user_code"].as_str().unwrap().to_owned()).await.contains("error=locked"));
}

async fn client_rules_and_confidential_device_clients(app: TestApp) {
    tv(&app).await;
    app.create_user("alice", "correct horse battery").await;
    // A client without the device grant.
    app.service_client("svc", &[]).await;
    let svc = app.service_client("svc2", &[]).await;
    let res = app.post_form("default", DEVICE_AUTH, Some(&svc), &[]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    let res = app.post_form("default", DEVICE_AUTH, None, &[("client_id", "ghost")]).await;
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let res = app.post_form("default", DEVICE_AUTH, None, &[("client_id", "tv"), ("scope", "write:everything")]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_scope").await;
    // Another client cannot poll the TV's code.
    let auth = start(&app, "read:dataset").await;
    app.device_client("radio").await;
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", auth["device_code"].as_str().unwrap()),
        ("client_id", "radio"),
    ];
    assert_oauth_error(app.post_form("default", TOKEN, None, &form).await, StatusCode::BAD_REQUEST, "invalid_grant")
        .await;
    // A confidential device client authenticates as at the token endpoint.
    let kiosk = app
        .create_client(NewClient {
            realm: "default".into(),
            template: "service".into(),
            client_id: Some("kiosk".into()),
            options: ClientOptions {
                grant_types: vec!["urn:ietf:params:oauth:grant-type:device_code".into()],
                ..Default::default()
            },
            ..Default::default()
        })
        .await;
    let res = app.post_form("default", DEVICE_AUTH, Some(&kiosk), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.post_form("default", DEVICE_AUTH, None, &[("client_id", "kiosk")]).await;
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
}
