//! The management listener: health (live, ready with its checks) and Prometheus metrics counting
//! requests by route pattern, tokens by grant and authentication failures; request ids.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(health_and_metrics_on_their_own_listener, request_ids_are_echoed_or_made);

async fn health_and_metrics_on_their_own_listener(app: TestApp) {
    // The default test server has the management listener off: one with it on.
    let app = TestApp::spawn_with(app.db.kind, |c| c.management_addr = Some("127.0.0.1:0".into())).await;
    let m = app.management.clone().expect("the management listener is on");
    let live: Value = app.http.get(format!("{m}/health/live")).send().await.unwrap().json().await.unwrap();
    assert_eq!(live["status"], "UP");
    let res = app.http.get(format!("{m}/health/ready")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ready: Value = res.json().await.unwrap();
    assert_eq!(ready["checks"][0]["name"], "database");
    assert_eq!(ready["checks"][1]["status"], "UP", "{ready}");
    // Health is not on the main listener.
    assert_eq!(
        app.http.get(format!("{}/health/ready", app.base)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let creds = app.service_client("svc", &[]).await;
    app.access_token(&creds).await;
    app.access_token(&creds).await;
    let wrong = Creds { id: creds.id.clone(), secret: "wrong".into() };
    assert_eq!(app.token(&wrong, None).await.status(), StatusCode::UNAUTHORIZED);

    let res = app.http.get(format!("{m}/metrics")).send().await.unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    let token_route = r#"route="/realms/{realm}/protocol/openid-connect/token""#;
    assert!(
        text.contains(&format!(r#"portcullis_http_requests_total{{{token_route},method="POST",status="200"}} 2"#)),
        "{text}"
    );
    assert!(text.contains(&format!(r#"portcullis_http_requests_total{{{token_route},method="POST",status="401"}} 1"#)));
    assert!(text.contains(&format!(r#"portcullis_http_request_duration_seconds_count{{{token_route}}} 3"#)));
    assert!(text.contains(r#"portcullis_tokens_issued_total{grant="client_credentials"} 2"#), "{text}");
    assert!(text.contains(r#"portcullis_auth_failures_total{kind="client.auth_failed"} 1"#), "{text}");
    assert!(text.contains("portcullis_db_pool_connections "));
    // Concrete paths never become labels: an unknown address is `unmatched`.
    app.http.get(format!("{}/no/such/{}", app.base, "x".repeat(40))).send().await.unwrap();
    let text = app.http.get(format!("{m}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains("xxxxxxxx"), "no path in the labels");
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let url = app.realm_url("default", "/.well-known/openid-configuration");
    let res = app.http.get(&url).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let made = app.http.get(&url).send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "a new id: {id}");
    let odd = app.http.get(&url).header("x-request-id", "a b").send().await.unwrap();
    assert_ne!(odd.headers()["x-request-id"], "a b", "a header with a space is replaced");
}
