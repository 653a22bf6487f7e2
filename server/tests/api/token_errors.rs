//! Every malformed or unauthenticated token request gets the RFC 6749 §5.2 error with the right
//! status and headers, never a 500.

use crate::helpers::*;
use reqwest::{header, StatusCode};

crate::db_tests!(
    missing_or_bad_credentials_are_401_with_a_challenge,
    malformed_requests_are_invalid_request,
    unknown_grant_type_is_unsupported,
    oversized_bodies_are_413_json,
    wrong_method_is_a_json_405,
    failed_authentications_are_rate_limited_per_ip,
);

async fn missing_or_bad_credentials_are_401_with_a_challenge(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    let cases = [
        app.post_form("default", TOKEN, None, &[("grant_type", "client_credentials")]).await,
        app.token(&Creds { id: "svc".into(), secret: "wrong".into() }, None).await,
        app.token(&Creds { id: "nobody".into(), secret: creds.secret.clone() }, None).await,
        app.post_form("default", TOKEN, None, &[("grant_type", "client_credentials"), ("client_id", "svc")]).await,
        app.http
            .post(app.realm_url("default", TOKEN))
            .header(header::AUTHORIZATION, "Basic !!!notbase64")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap(),
        app.http
            .post(app.realm_url("default", TOKEN))
            .header(header::AUTHORIZATION, "Bearer something")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap(),
    ];
    for res in cases {
        let challenge = res.headers().get(header::WWW_AUTHENTICATE).cloned();
        assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(challenge.unwrap().to_str().unwrap().starts_with("Basic"), "WWW-Authenticate challenge");
    }
    // A disabled client fails the same way.
    app.manager.set_client_enabled("default", "svc", false, &operator()).await.unwrap();
    assert_oauth_error(app.token(&creds, None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

async fn malformed_requests_are_invalid_request(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    // Two authentication methods at once.
    let res = app
        .post_form(
            "default",
            TOKEN,
            Some(&creds),
            &[("grant_type", "client_credentials"), ("client_secret", &creds.secret)],
        )
        .await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
    // Missing grant_type.
    assert_oauth_error(
        app.post_form("default", TOKEN, Some(&creds), &[("scope", "x")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    // A repeated parameter (RFC 6749 §3.1).
    let res = app
        .http
        .post(app.realm_url("default", TOKEN))
        .basic_auth(&creds.id, Some(&creds.secret))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=a&scope=b")
        .send()
        .await
        .unwrap();
    let body = assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(body["error_description"].as_str().unwrap().contains("repeated"));
    // JSON instead of a form.
    let res = app
        .http
        .post(app.realm_url("default", TOKEN))
        .basic_auth(&creds.id, Some(&creds.secret))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
    // No content type at all, and a body that is not form-encoded UTF-8.
    let res =
        app.http.post(app.realm_url("default", TOKEN)).body("grant_type=client_credentials").send().await.unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
    let res = app
        .http
        .post(app.realm_url("default", TOKEN))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x80])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"].is_string());
}

async fn unknown_grant_type_is_unsupported(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    for grant in ["magic", "implicit"] {
        let res = app.post_form("default", TOKEN, Some(&creds), &[("grant_type", grant)]).await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    }
}

async fn oversized_bodies_are_413_json(app: TestApp) {
    let creds = app.service_client("svc", &[]).await;
    let huge = "a".repeat(100 * 1024);
    let res =
        app.post_form("default", TOKEN, Some(&creds), &[("grant_type", "client_credentials"), ("scope", &huge)]).await;
    assert_oauth_error(res, StatusCode::PAYLOAD_TOO_LARGE, "invalid_request").await;
}

async fn wrong_method_is_a_json_405(app: TestApp) {
    let res = app.http.get(app.realm_url("default", TOKEN)).send().await.unwrap();
    assert_oauth_error(res, StatusCode::METHOD_NOT_ALLOWED, "invalid_request").await;
}

async fn failed_authentications_are_rate_limited_per_ip(app: TestApp) {
    // A dedicated server with a low limit (the test's own `app` keeps the default).
    let limited = TestApp::spawn_with(app.db.kind, |c| c.auth_failure_limit = 3).await;
    let creds = limited.service_client("svc", &[]).await;
    let bad = Creds { id: "svc".into(), secret: "guess".into() };
    for _ in 0..3 {
        assert_eq!(limited.token(&bad, None).await.status(), StatusCode::UNAUTHORIZED);
    }
    let res = limited.token(&bad, None).await;
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert_oauth_error(res, StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable").await;
    // Even the right secret waits out the window from that address...
    assert_eq!(limited.token(&creds, None).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...which ends after a minute.
    limited.clock.advance(61);
    assert_eq!(limited.token(&creds, None).await.status(), StatusCode::OK);
    // The failures were audited.
    let mut conn = limited.manager.db.conn().await.unwrap();
    let events = portcullis::store::audit::recent(&mut conn, None, 50).await.unwrap();
    assert!(events.iter().filter(|e| e.kind == "client.auth_failed").count() >= 1);
}
