//! The client credentials grant (RFC 6749 §4.4) and RFC 9068 access tokens.

use crate::helpers::*;
use jsonwebtoken::{jwk::JwkSet, DecodingKey, Validation};
use portcullis::manage::client::NewClient;
use portcullis::manage::project::NewProject;
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(
    a_project_token_needs_project_access,
    basic_auth_token_validates_against_the_jwks,
    client_secret_post_works,
    per_client_lifespan_sets_expiry,
    roles_appear_in_keycloak_claims,
    scope_implication_rules,
    default_scopes_when_none_requested,
    realm_flag_off_refuses_custom_clients,
    clients_without_the_grant_are_refused,
    api_endpoints_allow_cross_origin_calls_without_credentials,
    issued_tokens_are_counted_for_the_dashboard,
);

async fn basic_auth_token_validates_against_the_jwks(app: TestApp) {
    let creds = app.service_client("svc", &["read:dataset"]).await;
    let res = app.token(&creds, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["pragma"], "no-cache");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "read:dataset");
    assert_eq!(body["not-before-policy"], 0);
    assert!(body.get("refresh_token").is_none(), "client_credentials issues no refresh token");
    assert!(body.get("id_token").is_none());
    let token = body["access_token"].as_str().unwrap();

    let header = jwt_header(token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    let jwks: JwkSet = app.http.get(app.realm_url("default", CERTS)).send().await.unwrap().json().await.unwrap();
    let jwk = jwks.find(header["kid"].as_str().unwrap()).expect("kid is published");
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[format!("{}/realms/default", app.base)]);
    validation.set_audience(&["svc"]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
    let claims = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("signature, issuer and audience validate")
        .claims;
    assert_eq!(claims["client_id"], "svc");
    assert_eq!(claims["azp"], "svc");
    assert_eq!(claims["scope"], "read:dataset");
    assert_eq!(claims["preferred_username"], "service-account-svc");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
    assert!(claims["jti"].as_str().unwrap().len() >= 20);
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));

    // A tampered token does not validate.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = portcullis::crypto::b64(serde_json::to_string(&serde_json::json!({"sub": "x"})).unwrap().as_bytes());
    parts[1] = &forged;
    assert!(jsonwebtoken::decode::<Value>(&parts.join("."), &DecodingKey::from_jwk(jwk).unwrap(), &validation).is_err());
}

async fn client_secret_post_works(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    let res = app
        .post_form(
            "default",
            TOKEN,
            None,
            &[("grant_type", "client_credentials"), ("client_id", &creds.id), ("client_secret", &creds.secret)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "");
    assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["client_id"], "svc");
}

async fn per_client_lifespan_sets_expiry(app: TestApp) {
    let creds = app
        .create_client(NewClient {
            realm: "default".into(),
            template: "service".into(),
            client_id: Some("short".into()),
            access_token_lifespan: Some(60),
            ..Default::default()
        })
        .await;
    let body: Value = app.token(&creds, None).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 60);
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 60);
}

async fn roles_appear_in_keycloak_claims(app: TestApp) {
    // A resource server client owning a role, and a service holding realm and client roles.
    app.service_client("reports-api", &[]).await;
    let creds = app
        .create_client(NewClient {
            realm: "default".into(),
            template: "service".into(),
            client_id: Some("svc".into()),
            roles: vec!["reader".into(), "auditor".into()],
            client_roles: vec![("reports-api".into(), "export".into())],
            ..Default::default()
        })
        .await;
    let claims = jwt_claims(&app.access_token(&creds).await);
    let mut realm_roles: Vec<&str> =
        claims["realm_access"]["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    realm_roles.sort();
    assert_eq!(realm_roles, ["auditor", "reader"]);
    assert_eq!(claims["resource_access"]["reports-api"]["roles"], serde_json::json!(["export"]));
    assert_eq!(claims["aud"], "reports-api");
    // Introspection reports the same roles.
    let intro = app.introspect(&creds, &app.access_token(&creds).await).await;
    assert_eq!(intro["resource_access"]["reports-api"]["roles"], serde_json::json!(["export"]));
}

async fn scope_implication_rules(app: TestApp) {
    let writer = app.service_client("writer", &["write:dataset"]).await;
    let global_reader = app.service_client("greader", &["read:global"]).await;
    let global_writer = app.service_client("gwriter", &["write:global"]).await;
    let ok = |res: reqwest::Response| async move {
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["scope"].as_str().unwrap().to_owned()
    };
    assert_eq!(ok(app.token(&writer, Some("read:dataset")).await).await, "read:dataset");
    assert_eq!(ok(app.token(&writer, Some("write:dataset read:dataset")).await).await, "write:dataset read:dataset");
    let denied =
        assert_oauth_error(app.token(&writer, Some("read:report")).await, StatusCode::BAD_REQUEST, "invalid_scope")
            .await;
    assert!(denied["error_description"].as_str().unwrap().contains("read:report"));
    assert_oauth_error(app.token(&writer, Some("write:report")).await, StatusCode::BAD_REQUEST, "invalid_scope").await;
    assert_eq!(ok(app.token(&global_reader, Some("read:report read:profile")).await).await, "read:report read:profile");
    assert_oauth_error(app.token(&global_reader, Some("write:report")).await, StatusCode::BAD_REQUEST, "invalid_scope")
        .await;
    assert_eq!(
        ok(app.token(&global_writer, Some("write:report read:dataset")).await).await,
        "write:report read:dataset"
    );
    // Project scopes are never implied; an unknown project is invalid_scope.
    assert_oauth_error(app.token(&global_writer, Some("project-42")).await, StatusCode::BAD_REQUEST, "invalid_scope")
        .await;
    // A malformed scope is invalid_scope too.
    assert_oauth_error(app.token(&writer, Some("read:\"x\"")).await, StatusCode::BAD_REQUEST, "invalid_scope").await;
}

async fn default_scopes_when_none_requested(app: TestApp) {
    let creds = app.service_client("svc", &["read:dataset", "write:report"]).await;
    let body: Value = app.token(&creds, None).await.json().await.unwrap();
    assert_eq!(body["scope"], "read:dataset write:report");
}

async fn realm_flag_off_refuses_custom_clients(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    assert_eq!(app.token(&creds, None).await.status(), StatusCode::OK);
    app.manager.set_oauth_clients_enabled("default", false, &operator()).await.unwrap();
    let body = assert_oauth_error(app.token(&creds, None).await, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    assert!(body["error_description"].as_str().unwrap().contains("disabled"));
    app.manager.set_oauth_clients_enabled("default", true, &operator()).await.unwrap();
    assert_eq!(app.token(&creds, None).await.status(), StatusCode::OK);
}

async fn clients_without_the_grant_are_refused(app: TestApp) {
    let web = app
        .create_client(NewClient {
            realm: "default".into(),
            template: "web".into(),
            client_id: Some("webapp".into()),
            redirect_uris: vec!["https://app.example.com/cb".into()],
            ..Default::default()
        })
        .await;
    assert_oauth_error(app.token(&web, None).await, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    app.create_client(NewClient {
        realm: "default".into(),
        template: "spa".into(),
        client_id: Some("spa".into()),
        redirect_uris: vec!["http://localhost:3000/cb".into()],
        ..Default::default()
    })
    .await;
    let res =
        app.post_form("default", TOKEN, None, &[("grant_type", "client_credentials"), ("client_id", "spa")]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

async fn api_endpoints_allow_cross_origin_calls_without_credentials(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    let origin = "https://spa.example.com";
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.realm_url("default", TOKEN))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(preflight.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(preflight.headers().get("access-control-allow-credentials").is_none(), "never with cookies");
    let res = app
        .http
        .post(app.realm_url("default", TOKEN))
        .header("Origin", origin)
        .basic_auth(&creds.id, Some(&creds.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // The pages, which do use cookies, are not shared with other origins.
    let page = app.http.get(format!("{}/admin/login", app.base)).header("Origin", origin).send().await.unwrap();
    assert!(page.headers().get("access-control-allow-origin").is_none());
}

async fn issued_tokens_are_counted_for_the_dashboard(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    for _ in 0..3 {
        app.access_token(&creds).await;
    }
    let now = app.state.now();
    app.state.stats.flush(&app.manager.db, now).await.unwrap();
    let realm = app.manager.realm_row("default").await.unwrap();
    let mut conn = app.manager.db.conn().await.unwrap();
    assert_eq!(portcullis::store::stats::issued_since(&mut conn, &realm.id, now - 60).await.unwrap(), 3);
    // Flushing again adds nothing: the counters were taken.
    app.state.stats.flush(&app.manager.db, now).await.unwrap();
    assert_eq!(portcullis::store::stats::issued_since(&mut conn, &realm.id, now - 60).await.unwrap(), 3);
}

/// `scope=project-{id}` gives a token for a project the client was given access to: the scope
/// rides with the client's default scopes, a `project` claim names it, introspection reports
/// it; an unknown project, one the client may not use, or two at once are `invalid_scope`.
async fn a_project_token_needs_project_access(app: TestApp) {
    let op = operator();
    app.manager
        .create_project("default", NewProject { id: Some("alpha"), name: "Alpha", description: "" }, &op)
        .await
        .unwrap();
    app.manager
        .create_project("default", NewProject { id: Some("beta"), name: "Beta", description: "" }, &op)
        .await
        .unwrap();
    let creds = app.service_client("svc", &["read:dataset"]).await;
    let ask = |scope: &'static str| {
        let creds = creds.clone();
        let app = &app;
        async move { app.token(&creds, Some(scope)).await }
    };
    // No access yet: the project is refused like an unknown one.
    assert_oauth_error(ask("project-alpha").await, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let changes =
        portcullis::manage::client_update::ClientChanges { projects: Some(vec!["alpha".into()]), ..Default::default() };
    app.manager.update_client("default", "svc", changes, &op).await.unwrap();

    let res = ask("project-alpha").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let scope: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    assert!(scope.contains(&"project-alpha") && scope.contains(&"read:dataset"), "{scope:?}");
    let token = body["access_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["project"], "alpha");
    let seen = app.introspect(&creds, token).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["project"], "alpha");

    // Without a project scope, no project claim.
    let plain: Value = ask("read:dataset").await.json().await.unwrap();
    let plain_seen = app.introspect(&creds, plain["access_token"].as_str().unwrap()).await;
    assert!(plain_seen.get("project").is_none(), "{plain_seen}");

    for refused in ["project-beta", "project-nowhere", "project-alpha project-beta"] {
        assert_oauth_error(ask(refused).await, StatusCode::BAD_REQUEST, "invalid_scope").await;
    }
    // A realm scope cannot take a project's name.
    let err = app.manager.create_scope("default", "project-gamma", "", &op).await.unwrap_err();
    assert!(err.to_string().contains("project"), "{err}");
}
