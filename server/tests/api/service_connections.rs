//! Service connections (issue 12, item 3): the realm connected to a third-party API, its token
//! kept fresh and served to services holding the connection's role. The third party is a second
//! Portcullis (its own server, database and clock).

use crate::helpers::*;
use portcullis::clock::Clock;
use portcullis::manage::{
    client::ClientOptions,
    service_account::RoleRef,
    service_connection::{ConnectionChanges, ConnectionGrant},
    ManageError,
};
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(
    a_client_credentials_connection_serves_a_fresh_working_token_to_services_with_the_role,
    connect_failures_are_clear_and_store_no_token,
    an_administrator_connects_a_code_flow_connection_from_the_console,
);

/// The third party `up` with the client Portcullis connects as, and a connection `crm` to it
/// in `down` (not connected yet).
async fn third_party(down: &TestApp, secret: Option<&str>) -> (TestApp, Creds) {
    let up = TestApp::spawn(down.db.kind).await;
    let registered = up.service_client("portcullis-crm", &[]).await;
    let changes = ConnectionChanges {
        alias: Some("crm".into()),
        display_name: Some("CRM".into()),
        grant: Some(ConnectionGrant::ClientCredentials),
        token_url: Some(up.realm_url("default", TOKEN)),
        client_id: Some(registered.id.clone()),
        client_secret: Some(secret.unwrap_or(&registered.secret).to_owned()),
        ..Default::default()
    };
    down.manager.create_service_connection("default", changes, &operator()).await.unwrap();
    (up, registered)
}

/// `GET /realms/default/service-connections/{alias}/token` with `bearer`.
async fn fetch(app: &TestApp, alias: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.realm_url("default", &format!("/service-connections/{alias}/token")));
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    req.send().await.unwrap()
}

async fn stored(app: &TestApp, alias: &str) -> portcullis::store::service_connections::ConnectionRow {
    app.manager.service_connection("default", alias, &operator()).await.unwrap()
}

async fn a_client_credentials_connection_serves_a_fresh_working_token_to_services_with_the_role(down: TestApp) {
    let (up, registered) = third_party(&down, None).await;
    let reports = down.service_client("reports", &[]).await;
    let other = down.service_client("other", &[]).await;
    let role = RoleRef::parse("broker:read-connection-crm");
    down.manager.set_service_account_roles("default", "reports", &[role], true, &operator()).await.unwrap();

    // Not connected yet: the service is told so, and nothing is served.
    let res = fetch(&down, "crm", Some(&down.access_token(&reports).await)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "not_connected");

    let row = down.manager.connect_service_connection("default", "crm", &operator()).await.unwrap();
    assert!(row.last_error.is_none());
    let expires_at = row.tokens.expires_at.unwrap();
    assert!(expires_at > down.clock.now() && expires_at <= down.clock.now() + 3600, "the provider's expires_in");

    // The service with the role gets the token, and it works at the third party.
    let res = fetch(&down, "crm", Some(&down.access_token(&reports).await)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let first = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let claims = jwt_claims(&first);
    assert_eq!(claims["iss"], up.realm_url("default", ""));
    assert_eq!(claims["azp"], registered.id.as_str());
    assert_eq!(up.introspect(&registered, &first).await["active"], true);
    // Kept sealed: the row holds no token in the clear.
    assert!(!stored(&down, "crm").await.tokens.access_sealed.unwrap().contains(&first));

    // Without the role: 403 insufficient_scope, as for an unknown connection; without a
    // token: 401.
    let res = fetch(&down, "crm", Some(&down.access_token(&other).await)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
    let res = fetch(&down, "nope", Some(&down.access_token(&reports).await)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = fetch(&down, "crm", None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));

    // Past the upstream token's expiry, the janitor gets a new one without anyone asking.
    let lifespan = expires_at - down.clock.now();
    up.clock.advance(lifespan + 10);
    down.clock.advance(lifespan + 10);
    portcullis::startup::janitor_pass(&down.state, None).await;
    let row = stored(&down, "crm").await;
    assert_eq!(row.tokens.refreshed_at, Some(down.clock.now()), "refreshed by the janitor");
    assert!(row.tokens.expires_at.unwrap() > down.clock.now());
    let body: Value = fetch(&down, "crm", Some(&down.access_token(&reports).await)).await.json().await.unwrap();
    let second = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "a new upstream token");
    assert_eq!(jwt_claims(&second)["iat"], up.clock.now());
    assert_eq!(up.introspect(&registered, &second).await["active"], true);
    assert_eq!(up.introspect(&registered, &first).await["active"], false, "the old one has expired upstream");

    // Expired again with no janitor pass: the fetch itself gets a new one first.
    up.clock.advance(lifespan + 10);
    down.clock.advance(lifespan + 10);
    let res = fetch(&down, "crm", Some(&down.access_token(&reports).await)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let third = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_ne!(third, second);
    assert_eq!(up.introspect(&registered, &third).await["active"], true);

    // Deleting the connection takes its role away: the service is refused.
    down.manager.delete_service_connection("default", "crm", &operator()).await.unwrap();
    let roles = down.manager.list_roles("default", Some("broker"), &operator()).await.unwrap();
    assert!(!roles.iter().any(|r| r.name == "read-connection-crm"), "the default role went with it");
    let res = fetch(&down, "crm", Some(&down.access_token(&reports).await)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn connect_failures_are_clear_and_store_no_token(down: TestApp) {
    // A wrong secret: the provider's invalid_client comes back in its words.
    let (up, _) = third_party(&down, Some("not the secret")).await;
    let err = down.manager.connect_service_connection("default", "crm", &operator()).await.unwrap_err();
    let ManageError::Invalid(message) = &err else { panic!("a clear error: {err:?}") };
    assert!(
        message.starts_with("Connecting CRM did not work: the provider refused (401): invalid_client"),
        "{message}"
    );
    let row = stored(&down, "crm").await;
    assert!(row.tokens.access_sealed.is_none() && row.tokens.expires_at.is_none(), "no token stored");
    assert!(row.last_error.unwrap().contains("invalid_client"), "the status shows why");

    // The provider down: said so, nothing stored.
    let base = up.base.clone();
    drop(up);
    assert!(eventually(10, || async { reqwest::get(&base).await.is_err() }).await, "the upstream stopped");
    let changes = ConnectionChanges { client_secret: Some("x".into()), ..Default::default() };
    down.manager.update_service_connection("default", "crm", changes, &operator()).await.unwrap();
    let err = down.manager.connect_service_connection("default", "crm", &operator()).await.unwrap_err();
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert!(stored(&down, "crm").await.tokens.access_sealed.is_none());

    // Bad settings are refused before anything is written.
    let bad = ConnectionChanges {
        alias: Some("plain".into()),
        token_url: Some("http://crm.example.com/token".into()),
        client_id: Some("x".into()),
        ..Default::default()
    };
    let err = down.manager.create_service_connection("default", bad, &operator()).await.unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
    let code = ConnectionChanges {
        alias: Some("code".into()),
        grant: Some(ConnectionGrant::AuthorizationCode),
        token_url: Some("https://crm.example.com/token".into()),
        client_id: Some("x".into()),
        ..Default::default()
    };
    let err = down.manager.create_service_connection("default", code, &operator()).await.unwrap_err();
    assert!(err.to_string().contains("authorization URL"), "{err}");
    let dup = ConnectionChanges {
        alias: Some("crm".into()),
        token_url: Some("https://crm.example.com/token".into()),
        client_id: Some("x".into()),
        ..Default::default()
    };
    let err = down.manager.create_service_connection("default", dup, &operator()).await.unwrap_err();
    assert!(matches!(err, ManageError::Conflict(_)), "{err:?}");
    let list = down.manager.list_service_connections("default", &operator()).await.unwrap();
    assert_eq!(list.len(), 1);
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// `down.http` signed in to the console as an administrator.
async fn console_admin(down: &TestApp) {
    down.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
    let page = down.http.get(format!("{}/admin/login", down.base)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").expect("a csrf field");
    let form = [("username", "root"), ("password", "a long admin password"), ("csrf", &csrf)];
    let res = down.http.post(format!("{}/admin/login", down.base)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn an_administrator_connects_a_code_flow_connection_from_the_console(down: TestApp) {
    const PASSWORD: &str = "correct horse battery";
    let up = TestApp::spawn(down.db.kind).await;
    up.create_user("alice", PASSWORD).await;
    let callback = format!("{}/admin/default/console/service-connections/crm/callback", down.base);
    let registered = up.app_client("web", "portcullis-crm", &callback, ClientOptions::default()).await;
    let changes = ConnectionChanges {
        alias: Some("crm".into()),
        display_name: Some("CRM".into()),
        grant: Some(ConnectionGrant::AuthorizationCode),
        authorization_url: Some(up.realm_url("default", "/protocol/openid-connect/auth")),
        token_url: Some(up.realm_url("default", TOKEN)),
        client_id: Some(registered.id.clone()),
        client_secret: Some(registered.secret.clone()),
        scopes: Some(vec!["openid".into()]),
        ..Default::default()
    };
    down.manager.create_service_connection("default", changes, &operator()).await.unwrap();
    console_admin(&down).await;
    let page_url = format!("{}/admin/default/console/service-connections", down.base);
    let html = down.http.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Not connected"), "the status before connecting");
    assert!(html.contains(&callback), "the callback URL to register is shown");

    // Connect: to the provider with state and a PKCE challenge.
    let res = down.http.get(format!("{page_url}/crm/connect")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to_provider = location(&res);
    assert!(to_provider.starts_with(&up.realm_url("default", "/protocol/openid-connect/auth?")), "{to_provider}");
    let sent = redirect_params(&to_provider);
    assert_eq!(sent["code_challenge_method"], "S256");
    assert_eq!(sent["redirect_uri"], callback);

    // The administrator signs in at the provider (as alice there) and consents.
    let up_browser = up.browser();
    let mut res = up_browser.get(&to_provider).send().await.unwrap();
    res = up.sign_in(&up_browser, &res, "alice", PASSWORD).await;
    if location(&res).starts_with("/realms/default/consent") {
        res = up.consent(&up_browser, &res, "allow").await;
    }
    let back = location(&res);
    assert!(back.starts_with(&callback), "back to the console: {back}");

    // A forged state is refused and stores nothing (and spends the started flow).
    let forged = back.replace(&format!("state={}", redirect_params(&back)["state"]), "state=forged");
    let res = down.http.get(&forged).send().await.unwrap();
    assert_eq!(location(&res), "/admin/default/console/service-connections");
    let html = down.http.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("expired or was not started here"), "the refusal is shown");
    assert!(stored(&down, "crm").await.tokens.access_sealed.is_none());

    // Connect again, all the way: the callback exchanges the code and stores the tokens.
    let res = down.http.get(format!("{page_url}/crm/connect")).send().await.unwrap();
    let mut res = up_browser.get(location(&res)).send().await.unwrap();
    if location(&res).starts_with("/realms/default/consent") {
        res = up.consent(&up_browser, &res, "allow").await;
    }
    let res = down.http.get(location(&res)).send().await.unwrap();
    assert_eq!(location(&res), "/admin/default/console/service-connections");
    let html = down.http.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("CRM connected."), "the outcome is shown");
    assert!(html.contains(">Connected<"), "the status");
    let row = stored(&down, "crm").await;
    assert!(row.tokens.refresh_sealed.is_some(), "a refresh token keeps it alive");

    // A service with the role gets alice's upstream token.
    let reports = down.service_client("reports", &[]).await;
    let role = RoleRef::parse("broker:read-connection-crm");
    down.manager.set_service_account_roles("default", "reports", &[role], true, &operator()).await.unwrap();
    let body: Value = fetch(&down, "crm", Some(&down.access_token(&reports).await)).await.json().await.unwrap();
    let first = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_claims(&first)["preferred_username"], "alice");
    assert_eq!(up.introspect(&registered, &first).await["active"], true);

    // Past its expiry the janitor refreshes it with the refresh token.
    let lifespan = row.tokens.expires_at.unwrap() - down.clock.now();
    up.clock.advance(lifespan + 10);
    down.clock.advance(lifespan + 10);
    portcullis::startup::janitor_pass(&down.state, None).await;
    let row = stored(&down, "crm").await;
    assert_eq!(row.tokens.refreshed_at, Some(down.clock.now()), "{:?}", row.last_error);
    let body: Value = fetch(&down, "crm", Some(&down.access_token(&reports).await)).await.json().await.unwrap();
    let second = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(jwt_claims(&second)["preferred_username"], "alice");
    assert_eq!(up.introspect(&registered, &second).await["active"], true);
}
