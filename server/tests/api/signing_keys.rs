//! Signing keys: rotation with a publish delay (both keys in the JWKS, the switch at
//! `active_from`, tokens from before and after both verifying), retirement by the janitor once
//! the old key's tokens have expired, automatic rotation, permissions, the CLI, and two
//! instances over one database switching together.

use crate::helpers::{jwt_header, operator, Creds, TestApp, CERTS, TOKEN};
use portcullis::{
    clock::Clock,
    config::{Config, MasterKeySource},
    manage::{keys::KeySettingsChange, service_account::RoleRef},
    startup::{janitor_pass, Application},
};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::db_tests!(
    a_rotation_publishes_first_and_switches_after_the_delay,
    the_old_key_retires_once_its_tokens_have_expired,
    keys_rotate_on_the_realms_schedule_once,
    viewing_and_rotating_keys_take_their_permissions,
    two_instances_switch_to_a_rotated_key_together,
);
/// The CLI runs as another process: its tests follow real time.
mod cli {
    use super::*;
    crate::db_tests!(real_time: the_cli_lists_rotates_and_updates_keys);
}

fn api(app: &TestApp, path: &str) -> String {
    format!("{}/admin/realms/default{path}", app.base)
}

async fn jwks(app: &TestApp) -> Value {
    app.http.get(app.realm_url("default", CERTS)).send().await.unwrap().json().await.unwrap()
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

/// Whether `token` verifies against a key of `jwks` (found by its `kid`).
fn verifies(token: &str, jwks: &Value) -> bool {
    let kid = jwt_header(token)["kid"].as_str().unwrap().to_owned();
    let Some(jwk) = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()) else {
        return false;
    };
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_aud = false;
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
}

fn kid(token: &str) -> String {
    jwt_header(token)["kid"].as_str().unwrap().to_owned()
}

/// A bearer token of a service account holding the realm-management role `role`.
async fn admin_with(app: &TestApp, id: &str, role: &str) -> String {
    let creds = admin_creds(app, id, role).await;
    app.access_token(&creds).await
}

/// A service client whose account holds the realm-management role `role`.
async fn admin_creds(app: &TestApp, id: &str, role: &str) -> Creds {
    let creds = app.service_client(id, &[]).await;
    let role = RoleRef { client_id: Some("realm-management".into()), name: role.into() };
    app.manager.set_service_account_roles("default", id, &[role], true, &operator()).await.unwrap();
    creds
}

async fn call(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn a_rotation_publishes_first_and_switches_after_the_delay(app: TestApp) {
    let creds = app.service_client("worker", &[]).await;
    let before = app.access_token(&creds).await;
    let old_kid = kid(&before);
    let admin = admin_creds(&app, "key-admin", "manage-realm").await;
    let token = app.access_token(&admin).await;

    // Rotate ES256 with the default delay (an hour): published now, signing later.
    let (status, body) =
        call(app.http.post(api(&app, "/keys/rotate")).bearer_auth(&token).json(&json!({"algorithm": "ES256"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = &body.as_array().unwrap()[0];
    let new_kid = new["kid"].as_str().unwrap().to_owned();
    assert_eq!(
        (new["algorithm"].as_str(), new["status"].as_str(), new["state"].as_str()),
        (Some("ES256"), Some("PASSIVE"), Some("Published"))
    );
    assert_eq!(new["activeFrom"], json!((app.clock.now() + 3600) * 1000));

    let published = jwks(&app).await;
    assert!(kids(&published).contains(&old_kid) && kids(&published).contains(&new_kid), "{published}");
    let during = app.access_token(&creds).await;
    assert_eq!(kid(&during), old_kid, "the old key signs until the delay has passed");
    for t in [&before, &during] {
        assert_eq!(app.introspect(&creds, t).await["active"], true);
    }

    // The listing: the old key still Active, the new one Published.
    let (_, listed) = call(app.http.get(api(&app, "/keys")).bearer_auth(&token)).await;
    assert_eq!(listed["active"]["ES256"], old_kid.as_str());
    let state = |kid: &str| {
        listed["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!((state(&old_kid), state(&new_kid)), ("Active".to_owned(), "Published".to_owned()));
    assert!(listed["keys"][0]["publicKey"].as_str().is_some_and(|k| !k.is_empty()));

    // Past the delay: the new key signs, with no reload.
    app.clock.advance(3600);
    let after = app.access_token(&creds).await;
    assert_eq!(kid(&after), new_kid);
    // (The administrator's token has expired meanwhile.)
    let token = app.access_token(&admin).await;
    let (_, listed) = call(app.http.get(api(&app, "/keys")).bearer_auth(&token)).await;
    assert_eq!(listed["active"]["ES256"], new_kid.as_str());

    // Tokens from before and after verify against the JWKS fetched now (the server also
    // accepts the new one; the old ones have expired by the clock by now).
    let now = jwks(&app).await;
    for t in [&before, &during, &after] {
        assert!(verifies(t, &now), "{}", kid(t));
    }
    assert_eq!(app.introspect(&creds, &after).await["active"], true);

    // An unknown algorithm: 400 in Keycloak's shape, nothing rotated.
    let (status, body) =
        call(app.http.post(api(&app, "/keys/rotate")).bearer_auth(&token).json(&json!({"algorithm": "HS256"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("unknown algorithm"), "{body}");
    assert_eq!(kids(&jwks(&app).await).len(), 4);
}

async fn the_old_key_retires_once_its_tokens_have_expired(app: TestApp) {
    let creds = app.service_client("worker", &[]).await;
    // A client whose tokens live longer than the realm's: the old key must outlive them.
    app.manager
        .update_client(
            "default",
            "worker",
            portcullis::manage::client_update::ClientChanges {
                access_token_lifespan: Some(Some(1200)),
                ..Default::default()
            },
            &operator(),
        )
        .await
        .unwrap();
    let change = KeySettingsChange { publish_delay: Some(0), rotation_days: None };
    app.manager.update_key_settings("default", change, &operator()).await.unwrap();
    let before = app.access_token(&creds).await;
    let old_kid = kid(&before);
    let rotated = app.manager.rotate_keys("default", None, &operator()).await.unwrap();
    assert_eq!(rotated.len(), 3, "every algorithm");
    let after = app.access_token(&creds).await;
    assert_ne!(kid(&after), old_kid, "no delay: the new key signs at once");
    assert!(verifies(&before, &jwks(&app).await) && verifies(&after, &jwks(&app).await));

    // Until the 1200 s token (and a minute of leeway) has expired, the janitor keeps the key.
    app.clock.advance(1199);
    janitor_pass(&app.state, None).await;
    assert!(kids(&jwks(&app).await).contains(&old_kid));
    assert_eq!(app.introspect(&creds, &before).await["active"], true, "still valid, still verifiable");
    app.clock.advance(1);
    janitor_pass(&app.state, None).await;
    assert!(kids(&jwks(&app).await).contains(&old_kid), "a minute of leeway");
    app.clock.advance(61);
    janitor_pass(&app.state, None).await;
    let now = jwks(&app).await;
    assert!(!kids(&now).contains(&old_kid), "retired: gone from the JWKS");
    assert_eq!(kids(&now).len(), 3);
    let view = app.manager.list_keys("default", &operator()).await.unwrap();
    let old = view.keys.iter().find(|k| k.kid == old_kid).unwrap();
    assert_eq!(old.state.as_str(), "Retired");
    let events = app.manager.audit_events("default", None, 0, 10, &operator()).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"key.rotate") && kinds.contains(&"key.retired"), "{kinds:?}");
}

async fn keys_rotate_on_the_realms_schedule_once(app: TestApp) {
    let change = KeySettingsChange { rotation_days: Some(30), publish_delay: Some(600) };
    app.manager.update_key_settings("default", change, &operator()).await.unwrap();
    janitor_pass(&app.state, None).await;
    assert_eq!(kids(&jwks(&app).await).len(), 3, "not due yet");

    app.clock.advance(30 * 24 * 3600);
    // Two janitors at once (two instances): one rotation.
    let (a, b) = tokio::join!(app.manager.rotate_and_retire_keys(), app.manager.rotate_and_retire_keys());
    let made = a.unwrap().0 + b.unwrap().0;
    assert_eq!(made, 3, "one new key per algorithm");
    janitor_pass(&app.state, None).await;
    let view = app.manager.list_keys("default", &operator()).await.unwrap();
    let published: Vec<_> = view.keys.iter().filter(|k| k.state.as_str() == "Published").collect();
    assert_eq!(published.len(), 3, "{:?}", view.keys);
    assert!(published.iter().all(|k| k.active_from == app.clock.now() + 600));
    assert_eq!(kids(&jwks(&app).await).len(), 6);

    // Rotation off: nothing happens, however old the keys.
    let change = KeySettingsChange { rotation_days: Some(0), publish_delay: None };
    app.manager.update_key_settings("default", change, &operator()).await.unwrap();
    app.clock.advance(400 * 24 * 3600);
    app.manager.rotate_and_retire_keys().await.unwrap();
    let view = app.manager.list_keys("default", &operator()).await.unwrap();
    let states: Vec<&str> = view.keys.iter().map(|k| k.state.as_str()).collect();
    assert_eq!(states.iter().filter(|s| **s == "Retired").count(), 3, "the replaced keys retire: {states:?}");
    assert_eq!(states.len(), 6, "no key is made: {states:?}");
}

async fn viewing_and_rotating_keys_take_their_permissions(app: TestApp) {
    let viewer = admin_with(&app, "viewer", "view-realm").await;
    let outsider = admin_with(&app, "outsider", "view-users").await;
    let (status, listed) = call(app.http.get(api(&app, "/keys")).bearer_auth(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["keys"].as_array().unwrap().len(), 3);
    assert_eq!(listed["active"].as_object().unwrap().len(), 3);
    let (status, settings) = call(app.http.get(api(&app, "/keys/rotation")).bearer_auth(&viewer)).await;
    assert_eq!((status, settings), (StatusCode::OK, json!({"rotationDays": 90, "publishDelay": 3600})));

    let forbidden = (StatusCode::FORBIDDEN, json!({"error": "HTTP 403 Forbidden"}));
    assert_eq!(call(app.http.get(api(&app, "/keys")).bearer_auth(&outsider)).await, forbidden);
    assert_eq!(call(app.http.post(api(&app, "/keys/rotate")).bearer_auth(&viewer)).await, forbidden);
    let put = json!({"rotationDays": 7});
    assert_eq!(call(app.http.put(api(&app, "/keys/rotation")).bearer_auth(&viewer).json(&put)).await, forbidden);
    assert_eq!(kids(&jwks(&app).await).len(), 3, "nothing rotated");

    let manager = admin_with(&app, "key-admin", "manage-realm").await;
    let (status, body) =
        call(app.http.put(api(&app, "/keys/rotation")).bearer_auth(&manager).json(&json!({"publishDelay": -1}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(app.http.put(api(&app, "/keys/rotation")).bearer_auth(&manager).json(&put)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"rotationDays": 7, "publishDelay": 3600})));
    // Without a body, every algorithm rotates.
    let (status, body) = call(app.http.post(api(&app, "/keys/rotate")).bearer_auth(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 3);

    // The OpenAPI document describes the routes.
    let doc: Value =
        app.http.get(format!("{}/admin/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/admin/realms/{realm}/keys", "/admin/realms/{realm}/keys/rotate", "/admin/realms/{realm}/keys/rotation"]
    {
        assert!(paths.contains_key(p), "{p} missing");
    }
}

async fn two_instances_switch_to_a_rotated_key_together(app: TestApp) {
    let mut config = Config::with_database(&app.db.url);
    config.master_key = MasterKeySource::Inline(app.master_key.clone());
    config.change_poll_interval = std::time::Duration::from_millis(100);
    let second = Application::build_with_clock(config, app.clock.clone()).await.expect("second instance");
    let second_base = format!("http://{}", second.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(second.run(async {
        let _ = stopped.await;
    }));
    let creds = app.service_client("worker", &[]).await;
    let token_at = |base: String, creds: Creds| async move {
        let res = reqwest::Client::new()
            .post(format!("{base}/realms/default{TOKEN}"))
            .basic_auth(&creds.id, Some(&creds.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    };
    let old_kid = kid(&token_at(second_base.clone(), creds.clone()).await);
    // The second instance has the realm cached; the rotation is made on the first.
    let rotated = app.manager.rotate_keys("default", None, &operator()).await.unwrap();
    let new_kid = rotated.iter().find(|k| k.alg == "ES256").unwrap().kid.clone();
    let second_jwks = format!("{second_base}/realms/default{CERTS}");
    let published = crate::helpers::eventually(10, || {
        let url = second_jwks.clone();
        let new_kid = new_kid.clone();
        async move {
            let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            kids(&body).contains(&new_kid)
        }
    })
    .await;
    assert!(published, "the second instance publishes the new key (the change log)");
    assert_eq!(kid(&token_at(second_base.clone(), creds.clone()).await), old_kid);
    assert_eq!(kid(&token_at(app.base.clone(), creds.clone()).await), old_kid);
    app.clock.advance(3600);
    assert_eq!(kid(&token_at(second_base.clone(), creds.clone()).await), new_kid, "both switch at the same time");
    assert_eq!(kid(&token_at(app.base.clone(), creds.clone()).await), new_kid);
    let _ = stop.send(());
}

async fn the_cli_lists_rotates_and_updates_keys(app: TestApp) {
    let run = |args: &[&str]| {
        let out = app.cli().args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["key", "update", "--realm", "default", "--publish-delay", "0", "--rotation-days", "30"]);
    assert!(ok, "{err}");
    assert!(out.contains("30 days"), "{out}");
    let (ok, _, err) = run(&["key", "update", "--realm", "default", "--publish-delay", "-5"]);
    assert!(!ok && err.contains("--publish-delay must be between 0"), "{err}");
    let (ok, out, err) = run(&["key", "rotate", "--realm", "default", "--alg", "EdDSA", "--json"]);
    assert!(ok, "{err}");
    let rotated: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rotated[0]["algorithm"], "EdDSA");
    let (ok, _, err) = run(&["key", "rotate", "--realm", "default", "--alg", "none"]);
    assert!(!ok && err.contains("unknown algorithm"), "{err}");
    let (ok, out, err) = run(&["key", "list", "--realm", "default", "--json"]);
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((listed["rotation_days"].as_i64(), listed["publish_delay"].as_i64()), (Some(30), Some(0)));
    let keys = listed["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 4);
    let eddsa: Vec<&str> =
        keys.iter().filter(|k| k["algorithm"] == "EdDSA").map(|k| k["status"].as_str().unwrap()).collect();
    assert_eq!(eddsa, ["Active", "Retiring"], "no delay: the new key signs at once");
    // The CLI's rotation reaches the running server through the change log.
    let new_kid = rotated[0]["kid"].as_str().unwrap().to_owned();
    let seen = crate::helpers::eventually(10, || {
        let new_kid = new_kid.clone();
        let app = &app;
        async move { kids(&jwks(app).await).contains(&new_kid) }
    })
    .await;
    assert!(seen);
}
