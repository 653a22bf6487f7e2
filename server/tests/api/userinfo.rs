//! UserInfo with bearer tokens (RFC 6750), including Keycloak's exact expired-token answer.

use crate::helpers::*;
use reqwest::{header, StatusCode};
use serde_json::Value;

crate::db_tests!(
    service_account_token_gets_its_userinfo,
    expired_token_gets_keycloaks_exact_401,
    missing_and_invalid_tokens_are_401,
);

async fn service_account_token_gets_its_userinfo(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let token = app.access_token(&svc).await;
    let res = app.http.get(app.realm_url("default", USERINFO)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["preferred_username"], "service-account-svc");
    assert_eq!(body["sub"], jwt_claims(&token)["sub"]);
    // POST with the token in the form body (RFC 6750 §2.2).
    let res = app.http.post(app.realm_url("default", USERINFO)).form(&[("access_token", &token)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn expired_token_gets_keycloaks_exact_401(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let token = app.access_token(&svc).await;
    app.clock.advance(301);
    let res = app.http.get(app.realm_url("default", USERINFO)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer error=\"invalid_token\"");
    assert_eq!(res.text().await.unwrap(), r#"{"message":"Token claims invalid: [\"exp\"]=\"token expired\""}"#);
}

async fn missing_and_invalid_tokens_are_401(app: TestApp) {
    let res = app.http.get(app.realm_url("default", USERINFO)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer realm=") && !challenge.contains("error="), "{challenge}");
    let res = app.http.get(app.realm_url("default", USERINFO)).bearer_auth("not-a-token").send().await.unwrap();
    let challenge = res.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer error=\"invalid_token\""), "{challenge}");
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let res = app
        .http
        .get(app.realm_url("default", USERINFO))
        .header(header::AUTHORIZATION, "Basic abc")
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
}
