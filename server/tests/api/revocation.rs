//! Revocation (RFC 7009).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::db_tests!(
    revoking_an_access_token_denies_it_everywhere,
    another_clients_token_is_ignored,
    invalid_tokens_are_accepted_silently,
);

async fn revoking_an_access_token_denies_it_everywhere(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let token = app.access_token(&svc).await;
    let other = app.access_token(&svc).await;
    let res =
        app.post_form("default", REVOKE, Some(&svc), &[("token", &token), ("token_type_hint", "access_token")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(app.introspect(&svc, &token).await, json!({"active": false}));
    assert_eq!(app.introspect(&svc, &other).await["active"], true, "only that token");
    let res = app.http.get(app.realm_url("default", USERINFO)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Revoking twice is fine.
    assert_eq!(app.post_form("default", REVOKE, Some(&svc), &[("token", &token)]).await.status(), StatusCode::OK);
    // An audit event records it.
    let mut conn = app.manager.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, None, 20).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "token.revoked" && e.client_id.as_deref() == Some("svc")));
}

async fn another_clients_token_is_ignored(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    let thief = app.service_client("thief", &[]).await;
    let token = app.access_token(&svc).await;
    // 200 as for any token the caller may not revoke: the answer tells nothing, and nothing
    // is revoked.
    let res = app.post_form("default", REVOKE, Some(&thief), &[("token", &token)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.introspect(&svc, &token).await["active"], true);
}

async fn invalid_tokens_are_accepted_silently(app: TestApp) {
    let svc = app.service_client("svc", &[]).await;
    for token in ["garbage", "a.b.c"] {
        assert_eq!(app.post_form("default", REVOKE, Some(&svc), &[("token", token)]).await.status(), StatusCode::OK);
    }
    let res = app.post_form("default", REVOKE, None, &[("token", "x")]).await;
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let res = app.post_form("default", REVOKE, Some(&svc), &[]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
}
