//! Introspection (RFC 7662): active tokens report their claims; anything not currently valid is
//! `{"active": false}`; the caller must authenticate as a confidential client.

use crate::helpers::*;
use portcullis::manage::client::NewClient;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::db_tests!(
    active_token_reports_its_claims,
    expired_token_is_inactive,
    garbage_and_foreign_tokens_are_inactive,
    caller_must_be_an_authenticated_confidential_client,
);

async fn active_token_reports_its_claims(app: TestApp) {
    let svc = app.service_client("svc", &["read:dataset"]).await;
    let rs = app.service_client("resource-server", &[]).await;
    let token = app.access_token(&svc).await;
    let res = app
        .post_form("default", INTROSPECT, Some(&rs), &[("token", &token), ("token_type_hint", "access_token")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], "svc");
    assert_eq!(body["scope"], "read:dataset");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["username"], "service-account-svc");
    assert_eq!(body["iss"], format!("{}/realms/default", app.base).as_str());
    assert!(body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap());
    // The legacy prefix answers the same.
    let res = app
        .http
        .post(format!("{}/auth/realms/default{INTROSPECT}", app.base))
        .basic_auth(&rs.id, Some(&rs.secret))
        .form(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
}

async fn expired_token_is_inactive(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let token = app.access_token(&svc).await;
    app.clock.advance(299);
    assert_eq!(app.introspect(&svc, &token).await["active"], true);
    app.clock.advance(1);
    assert_eq!(app.introspect(&svc, &token).await, json!({"active": false}));
}

async fn garbage_and_foreign_tokens_are_inactive(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    for token in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", &"x".repeat(20_000)] {
        assert_eq!(app.introspect(&svc, token).await, json!({"active": false}), "{}", &token[..token.len().min(20)]);
    }
    // A token of another realm is not active here.
    app.manager.create_realm("other", None, &operator()).await.unwrap();
    let other = app
        .create_client(NewClient {
            realm: "other".into(),
            template: "service".into(),
            client_id: Some("svc".into()),
            ..Default::default()
        })
        .await;
    let res = app.post_form("other", TOKEN, Some(&other), &[("grant_type", "client_credentials")]).await;
    let foreign = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.introspect(&svc, &foreign).await, json!({"active": false}));
    // An "alg: none" token carrying a valid kid is still refused.
    let good = app.access_token(&svc).await;
    let kid = jwt_header(&good)["kid"].as_str().unwrap().to_owned();
    let header = portcullis::crypto::b64(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string().as_bytes());
    let payload = good.split('.').nth(1).unwrap();
    assert_eq!(app.introspect(&svc, &format!("{header}.{payload}.")).await, json!({"active": false}));
    // The server remembers a token whose signature it verified; nothing else rides on that: the
    // same token is active again, but its payload under the good signature, another payload
    // under it, or the good token with the signature cut are not.
    assert_eq!(app.introspect(&svc, &good).await["active"], true);
    assert_eq!(app.introspect(&svc, &good).await["active"], true);
    let [head, _, signature]: [&str; 3] = good.split('.').collect::<Vec<_>>().try_into().unwrap();
    let mut claims = jwt_claims(&good);
    claims["scope"] = json!("admin");
    let forged = format!("{head}.{}.{signature}", portcullis::crypto::b64(claims.to_string().as_bytes()));
    assert_eq!(app.introspect(&svc, &forged).await, json!({"active": false}));
    assert_eq!(app.introspect(&svc, &format!("{head}.{payload}.")).await, json!({"active": false}));
    assert_eq!(app.introspect(&svc, &good[..good.len() - 2]).await, json!({"active": false}));
}

async fn caller_must_be_an_authenticated_confidential_client(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let token = app.access_token(&svc).await;
    let res = app.post_form("default", INTROSPECT, None, &[("token", &token)]).await;
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let wrong = Creds { id: "svc".into(), secret: "nope".into() };
    let res = app.post_form("default", INTROSPECT, Some(&wrong), &[("token", &token)]).await;
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
    app.create_client(NewClient {
        realm: "default".into(),
        template: "spa".into(),
        client_id: Some("spa".into()),
        redirect_uris: vec!["http://localhost:3000/cb".into()],
        ..Default::default()
    })
    .await;
    let res = app.post_form("default", INTROSPECT, None, &[("token", &token), ("client_id", "spa")]).await;
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let res = app.post_form("default", INTROSPECT, Some(&svc), &[]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
}
