//! API keys: made over the admin API with a subset of the maker's roles, accepted by the admin
//! API with exactly those permissions, reported by introspection, revoked and expired.

use crate::helpers::*;
use portcullis::manage::{api_key::NewApiKey, project::NewProject, service_account::RoleRef};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

crate::db_tests!(
    an_api_key_acts_with_exactly_its_roles,
    introspection_reports_api_keys,
    api_keys_are_revoked_and_expire,
    who_sees_and_revokes_which_keys,
    a_key_holds_no_more_than_its_maker_does_now,
);

fn api(app: &TestApp, path: &str) -> String {
    format!("{}/admin/realms/default{path}", app.base)
}

/// A client whose service account holds the realm role `role`, and its bearer token.
async fn script(app: &TestApp, id: &str, role: &str) -> String {
    let creds = app.service_client(id, &[]).await;
    let role = RoleRef { client_id: None, name: role.into() };
    app.manager.set_service_account_roles("default", id, &[role], true, &operator()).await.unwrap();
    app.access_token(&creds).await
}

async fn call(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Makes a key over the API; its id and the key.
async fn make_key(app: &TestApp, bearer: &str, body: Value) -> (String, String) {
    let res = app.http.post(api(app, "/api-keys")).bearer_auth(bearer).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let made: Value = res.json().await.unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("/admin/realms/default/api-keys/{id}")), "{location}");
    let key = made["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("pcs_{id}_")), "{key}");
    (id, key)
}

async fn an_api_key_acts_with_exactly_its_roles(app: TestApp) {
    let token = script(&app, "deployer", "administer-clients").await;
    app.manager.create_role("default", None, "reporter", "", &operator()).await.unwrap();

    // Only roles the maker holds: it holds administer-clients, not manage-realm or reporter.
    for role in ["realm-management:manage-realm", "reporter"] {
        let (status, body) = call(
            app.http.post(api(&app, "/api-keys")).bearer_auth(&token).json(&json!({"name": "k", "roles": [role]})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        assert_eq!(body["error"], "HTTP 403 Forbidden", "Keycloak says no more");
    }
    // A role it holds through a composite is a subset too.
    let (_, narrow) =
        make_key(&app, &token, json!({"name": "viewer", "roles": ["realm-management:view-clients"]})).await;
    let (_, key) = make_key(&app, &token, json!({"name": "ci", "roles": ["administer-clients"]})).await;

    // The key works where its roles reach, and nowhere else.
    let (status, clients) = call(app.http.get(api(&app, "/clients")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(clients.as_array().unwrap().iter().any(|c| c["clientId"] == "deployer"));
    let (status, _) =
        call(app.http.post(api(&app, "/clients")).bearer_auth(&key).json(&json!({"clientId": "made-by-key"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = call(app.http.get(api(&app, "/users")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) =
        call(app.http.post(api(&app, "/clients")).bearer_auth(&narrow).json(&json!({"clientId": "made-by-viewer"})))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "view-clients does not create");

    // A key cannot make keys.
    let (status, body) =
        call(app.http.post(api(&app, "/api-keys")).bearer_auth(&key).json(&json!({"name": "child"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A wrong secret with a real id, a malformed key: 401 in Keycloak's shape.
    let forged = format!("{}x", &key[..key.len() - 1]);
    for bad in [forged.as_str(), "pcs_nothing", "pcs_0123456789abcdef_secret"] {
        let (status, _) = call(app.http.get(api(&app, "/clients")).bearer_auth(bad)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
    }

    // Bad input is refused with a message and writes nothing.
    for (body, says) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x", "expiresIn": 5}), "expires-in"),
        (json!({"name": "x", "projects": ["nope"]}), "project"),
        (json!({"name": "x", "roles": ["no-such-role"]}), "role"),
    ] {
        let (status, answer) = call(app.http.post(api(&app, "/api-keys")).bearer_auth(&token).json(&body)).await;
        assert!(status.is_client_error(), "{body}: {status}");
        let message = answer["error"].as_str().or(answer["errorMessage"].as_str()).unwrap();
        assert!(message.contains(says), "{body}: {answer}");
    }
    let listed = app.manager.list_api_keys("default", &operator(), 0, 100).await.unwrap();
    assert_eq!(listed.len(), 2, "only the two keys made");
    let audit = app.manager.audit_events("default", None, 0, 100, &operator()).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.kind == "api_key.created").count(), 2);
}

async fn introspection_reports_api_keys(app: TestApp) {
    let rs = app.service_client("resource-server", &[]).await;
    app.manager
        .create_project("default", NewProject { id: Some("polaris"), name: "Polaris", description: "" }, &operator())
        .await
        .unwrap();
    app.manager.create_role("default", None, "reader", "", &operator()).await.unwrap();
    let new = NewApiKey {
        name: "nightly".into(),
        projects: vec!["polaris".into()],
        roles: vec![RoleRef::parse("reader"), RoleRef::parse("realm-management:view-clients")],
        expires_in: Some(3600),
    };
    let (row, key) = app.manager.create_api_key("default", new, &operator()).await.unwrap();

    let seen = app.introspect(&rs, &key).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["token_type"], "api_key");
    assert_eq!(seen["projects"], json!(["polaris"]));
    assert_eq!(seen["realm_access"]["roles"], json!(["reader"]));
    // Composites expanded, as in tokens: view-clients carries query-clients.
    assert_eq!(seen["resource_access"]["realm-management"]["roles"], json!(["query-clients", "view-clients"]));
    assert_eq!(seen["exp"], row.expires_at.unwrap());
    assert_eq!(seen["username"], "nightly");
    assert_eq!(seen["iss"], app.realm_url("default", "").trim_end_matches('/'));

    // A wrong secret, or the key asked about in another realm, is simply inactive.
    let forged = format!("{}x", &key[..key.len() - 1]);
    assert_eq!(app.introspect(&rs, &forged).await, json!({"active": false}));
    app.manager.create_realm("other", None, &operator()).await.unwrap();
    let other = app
        .create_client(portcullis::manage::client::NewClient {
            realm: "other".into(),
            template: "service".into(),
            client_id: Some("rs".into()),
            ..Default::default()
        })
        .await;
    let res =
        app.post_form("other", "/protocol/openid-connect/token/introspect", Some(&other), &[("token", &key)]).await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"active": false}));

    // argon2 ran once for the key; later uses hit the verified-credentials cache.
    let before = app.state.registry.credentials.verifications();
    for _ in 0..3 {
        assert_eq!(app.introspect(&rs, &key).await["active"], true);
    }
    assert_eq!(app.state.registry.credentials.verifications(), before);
}

async fn api_keys_are_revoked_and_expire(app: TestApp) {
    let deployer = app.service_client("deployer", &[]).await;
    let role = RoleRef::parse("administer-clients");
    app.manager.set_service_account_roles("default", "deployer", &[role], true, &operator()).await.unwrap();
    let token = app.access_token(&deployer).await;
    let (id, key) = make_key(&app, &token, json!({"name": "ci", "roles": ["administer-clients"]})).await;
    let (status, _) = call(app.http.get(api(&app, "/clients")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::OK);

    // Listed without the key itself, with its last use.
    let (_, one) = call(app.http.get(api(&app, &format!("/api-keys/{id}"))).bearer_auth(&token)).await;
    assert_eq!(one["name"], "ci");
    assert_eq!(one["roles"], json!(["administer-clients"]));
    assert!(one.get("key").is_none_or(Value::is_null), "{one}");
    assert!(one["lastUsedTimestamp"].as_i64().is_some(), "{one}");
    assert!(one["expiresTimestamp"].is_null());

    // Rename it and give it an expiry, then let the clock pass it.
    let (status, _) = call(
        app.http
            .put(api(&app, &format!("/api-keys/{id}")))
            .bearer_auth(&token)
            .json(&json!({"name": "ci-2026", "expiresIn": 600})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.clock.advance(601);
    let (status, _) = call(app.http.get(api(&app, "/clients")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");
    // The deployer's own token expired with the clock too: a fresh one.
    let token = app.access_token(&deployer).await;
    let (status, _) =
        call(app.http.put(api(&app, &format!("/api-keys/{id}"))).bearer_auth(&token).json(&json!({"expiresIn": 0})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(app.http.get(api(&app, "/clients")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::OK, "the expiry removed");

    // Revoked: refused at once; revoking again says so.
    let token = script(&app, "deployer-2", "administer-clients").await;
    let res = app.http.delete(api(&app, &format!("/api-keys/{id}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another service account does not see this key");
    let root = script(&app, "root-script", "administer-account").await;
    let res = app.http.delete(api(&app, &format!("/api-keys/{id}"))).bearer_auth(&root).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, _) = call(app.http.get(api(&app, "/clients")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");
    let (status, _) = call(app.http.delete(api(&app, &format!("/api-keys/{id}"))).bearer_auth(&root)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let audit = app.manager.audit_events("default", None, 0, 100, &operator()).await.unwrap();
    let kinds: Vec<&str> = audit.iter().map(|e| e.kind.as_str()).filter(|k| k.starts_with("api_key.")).collect();
    assert_eq!(kinds, ["api_key.revoked", "api_key.updated", "api_key.updated", "api_key.created"]);
}

async fn who_sees_and_revokes_which_keys(app: TestApp) {
    let alice = script(&app, "alice-script", "administer-clients").await;
    let bob = script(&app, "bob-script", "administer-clients").await;
    let viewer = script(&app, "auditor", "view-realm").await;
    let (alices, _) = make_key(&app, &alice, json!({"name": "alice-key"})).await;
    app.clock.advance(1);
    make_key(&app, &bob, json!({"name": "bob-key"})).await;

    let names = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap().to_owned()).collect()
    };
    let (_, mine) = call(app.http.get(api(&app, "/api-keys")).bearer_auth(&alice)).await;
    assert_eq!(names(&mine), ["alice-key"], "without view-realm, one's own keys");
    let (_, all) = call(app.http.get(api(&app, "/api-keys")).bearer_auth(&viewer)).await;
    assert_eq!(names(&all), ["bob-key", "alice-key"], "view-realm sees all, newest first");
    let (status, _) = call(app.http.get(api(&app, "/api-keys?first=1&max=1")).bearer_auth(&viewer)).await;
    assert_eq!(status, StatusCode::OK);

    // view-realm sees Alice's key but may not revoke it; Bob does not even see it.
    let (status, _) = call(app.http.delete(api(&app, &format!("/api-keys/{alices}"))).bearer_auth(&viewer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(app.http.delete(api(&app, &format!("/api-keys/{alices}"))).bearer_auth(&bob)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(app.http.delete(api(&app, &format!("/api-keys/{alices}"))).bearer_auth(&alice)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "the maker revokes their own");
    // Without a token: 401.
    let (status, _) = call(app.http.get(api(&app, "/api-keys"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_key_holds_no_more_than_its_maker_does_now(app: TestApp) {
    let maker = app.service_client("maker", &[]).await;
    let roles = [RoleRef::parse("administer-clients"), RoleRef::parse("view-realm")];
    app.manager.set_service_account_roles("default", "maker", &roles, true, &operator()).await.unwrap();
    let token = app.access_token(&maker).await;
    let (_, key) = make_key(&app, &token, json!({"name": "k", "roles": ["administer-clients", "view-realm"]})).await;
    let (status, _) =
        call(app.http.post(api(&app, "/clients")).bearer_auth(&key).json(&json!({"clientId": "by-key"}))).await;
    assert_eq!(status, StatusCode::CREATED);

    // The maker loses administer-clients: so does the key (view-realm stays).
    let lost = [RoleRef::parse("administer-clients")];
    app.manager.set_service_account_roles("default", "maker", &lost, false, &operator()).await.unwrap();
    let (status, _) =
        call(app.http.post(api(&app, "/clients")).bearer_auth(&key).json(&json!({"clientId": "by-key-2"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(app.http.get(api(&app, "/api-keys")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::OK, "view-realm is still the maker's");

    // A superuser (the master realm's admin) gives any role of any realm, and its keys keep them.
    app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
    let root = app.manager.user_by_username("master", "root", &operator()).await.unwrap();
    let perms = app.manager.permissions_of(&root).await.unwrap();
    let actor = portcullis::manage::Actor::user("root", perms)
        .held_by(portcullis::manage::actor::Holder::User(root.id.clone()));
    let new = NewApiKey { name: "root's".into(), roles: vec![RoleRef::parse("view-realm")], ..Default::default() };
    let (_, roots) = app.manager.create_api_key("default", new, &actor).await.unwrap();
    let (status, _) = call(app.http.get(api(&app, "/api-keys")).bearer_auth(&roots)).await;
    assert_eq!(status, StatusCode::OK, "a superuser's key keeps its roles");

    // The maker disabled: the key stops working at once.
    let off = portcullis::manage::client_update::ClientChanges { enabled: Some(false), ..Default::default() };
    app.manager.update_client("default", "maker", off, &operator()).await.unwrap();
    let (status, _) = call(app.http.get(api(&app, "/api-keys")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
