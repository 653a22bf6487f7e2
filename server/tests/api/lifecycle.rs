//! What an administrator does to a client or realm takes effect at once: disabling or deleting
//! a client, setting not-before, regenerating a secret (with and without a grace period).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::db_tests!(
    disabling_a_client_stops_its_tokens_at_once,
    deleting_a_client_stops_its_tokens_and_a_recreated_id_does_not_revive_them,
    client_not_before_invalidates_older_tokens,
    realm_not_before_invalidates_every_older_token,
    regenerated_secret_replaces_the_cached_one,
    regenerated_secret_grace_period,
    a_burst_of_first_requests_runs_argon2_once,
);

async fn disabling_a_client_stops_its_tokens_at_once(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let rs = app.service_client("rs", &[]).await;
    let token = app.access_token(&svc).await;
    assert_eq!(app.introspect(&rs, &token).await["active"], true);
    app.manager.set_client_enabled("default", "svc", false, &operator()).await.unwrap();
    assert_eq!(app.introspect(&rs, &token).await, json!({"active": false}));
    let res = app.http.get(app.realm_url("default", USERINFO)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_oauth_error(app.token(&svc, None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
    app.manager.set_client_enabled("default", "svc", true, &operator()).await.unwrap();
    assert_eq!(app.introspect(&rs, &token).await["active"], true);
}

async fn deleting_a_client_stops_its_tokens_and_a_recreated_id_does_not_revive_them(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let rs = app.service_client("rs", &[]).await;
    let token = app.access_token(&svc).await;
    app.manager.delete_client("default", "svc", &operator()).await.unwrap();
    assert_eq!(app.introspect(&rs, &token).await, json!({"active": false}));
    assert_oauth_error(app.token(&svc, None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
    app.clock.advance(1);
    let again = app.service_client("svc", &[]).await;
    assert_eq!(app.introspect(&rs, &token).await, json!({"active": false}), "the old token stays dead");
    let fresh = app.access_token(&again).await;
    assert_eq!(app.introspect(&rs, &fresh).await["active"], true);
}

async fn client_not_before_invalidates_older_tokens(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let other = app.service_client("other", &[]).await;
    let old = app.access_token(&svc).await;
    let others = app.access_token(&other).await;
    app.clock.advance(1);
    let at = app.manager.set_client_not_before("default", "svc", None, &operator()).await.unwrap();
    assert_eq!(app.introspect(&other, &old).await, json!({"active": false}));
    assert_eq!(app.introspect(&other, &others).await["active"], true, "other clients are unaffected");
    let body: serde_json::Value = app.token(&svc, None).await.json().await.unwrap();
    assert_eq!(body["not-before-policy"], at);
    assert_eq!(app.introspect(&other, body["access_token"].as_str().unwrap()).await["active"], true);
}

async fn realm_not_before_invalidates_every_older_token(app: TestApp) {
    let a = app.service_client("a", &[]).await;
    let b = app.service_client("b", &[]).await;
    let ta = app.access_token(&a).await;
    let tb = app.access_token(&b).await;
    app.clock.advance(1);
    app.manager.set_realm_not_before("default", None, &operator()).await.unwrap();
    assert_eq!(app.introspect(&a, &ta).await, json!({"active": false}));
    assert_eq!(app.introspect(&a, &tb).await, json!({"active": false}));
    let fresh = app.access_token(&a).await;
    assert_eq!(app.introspect(&b, &fresh).await["active"], true);
}

async fn regenerated_secret_replaces_the_cached_one(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    // Twice: the second request is served from the verified-credentials cache.
    assert_eq!(app.token(&svc, None).await.status(), StatusCode::OK);
    assert_eq!(app.token(&svc, None).await.status(), StatusCode::OK);
    let new = app.manager.regenerate_secret("default", "svc", 0, &operator()).await.unwrap();
    assert_ne!(new.client_secret, svc.secret);
    assert_eq!(new.client_secret.len(), 43, "256 bits, base64url");
    assert_oauth_error(app.token(&svc, None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let renewed = Creds { id: "svc".into(), secret: new.client_secret };
    assert_eq!(app.token(&renewed, None).await.status(), StatusCode::OK);
}

async fn regenerated_secret_grace_period(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    assert_eq!(app.token(&svc, None).await.status(), StatusCode::OK);
    let new = app.manager.regenerate_secret("default", "svc", 60, &operator()).await.unwrap();
    let renewed = Creds { id: "svc".into(), secret: new.client_secret };
    assert_eq!(app.token(&svc, None).await.status(), StatusCode::OK, "old secret works during the grace period");
    assert_eq!(app.token(&renewed, None).await.status(), StatusCode::OK);
    app.clock.advance(61);
    assert_oauth_error(app.token(&svc, None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert_eq!(app.token(&renewed, None).await.status(), StatusCode::OK);
    // Public clients have no secret to regenerate.
    app.device_client("tv").await;
    assert!(app.manager.regenerate_secret("default", "tv", 0, &operator()).await.is_err());
}

/// Regression: 32 concurrent first requests with one secret each ran argon2 (19 MiB apiece),
/// pushing memory past 500 MB. Now the first verifies and the rest wait for its result.
async fn a_burst_of_first_requests_runs_argon2_once(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let before = app.manager.registry.as_ref().unwrap().credentials.verifications();
    let burst = (0..16).map(|_| app.token(&svc, None));
    let statuses: Vec<StatusCode> = futures::future::join_all(burst).await.into_iter().map(|r| r.status()).collect();
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let after = app.manager.registry.as_ref().unwrap().credentials.verifications();
    assert_eq!(after - before, 1, "one argon2 verification for the whole burst");
}
