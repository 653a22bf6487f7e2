//! Keycloak's Admin REST API over HTTP: bearer tokens from the realm's token endpoint,
//! Keycloak's status codes and bodies, and the same permission checks as the console.

use crate::helpers::*;
use portcullis::manage::service_account::RoleRef;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

crate::db_tests!(
    a_script_manages_a_client_with_keycloaks_calls,
    the_api_refuses_without_a_token_or_the_permission,
    browsers_at_the_old_console_address_are_sent_to_the_console,
    an_administrator_signs_in_through_admin_cli_as_python_keycloak_does,
    roles_over_the_api,
    users_and_role_mappings_over_the_api,
    realms_over_the_api,
    keycloaks_realm_document_and_back_channel_logout,
    sessions_over_the_api,
    attack_detection_and_effective_roles,
    client_scopes_over_the_api,
    a_realm_may_keep_secrets_retrievable,
    projects_and_the_audit_log_beside_keycloaks_objects,
    web_origins_get_credentialed_cors,
    the_openapi_document_describes_every_route,
    token_statistics_beside_the_audit_log,
    the_admin_api_answers_cors_for_the_tokens_web_origins,
);

/// A confidential client whose service account holds the realm role `role` (a seed composite
/// of admin permissions), and a bearer token for it.
async fn script(app: &TestApp, id: &str, role: &str) -> String {
    let creds = app.service_client(id, &[]).await;
    let role = RoleRef { client_id: None, name: role.into() };
    app.manager.set_service_account_roles("default", id, &[role], true, &operator()).await.unwrap();
    app.access_token(&creds).await
}

fn api(app: &TestApp, path: &str) -> String {
    format!("{}/admin/realms/default{path}", app.base)
}

async fn a_script_manages_a_client_with_keycloaks_calls(app: TestApp) {
    let token = script(&app, "deployer", "administer-clients").await;
    app.manager.create_role("default", None, "reporter", "", &operator()).await.unwrap();
    let http = &app.http;
    // Create: 201, Location with the new id, and no body.
    let res = http
        .post(api(&app, "/clients"))
        .bearer_auth(&token)
        .json(&json!({"clientId": "reports-job", "serviceAccountsEnabled": true, "standardFlowEnabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(res.text().await.unwrap().is_empty(), "no body");
    let id = location.rsplit('/').next().unwrap().to_owned();
    assert!(location.ends_with(&format!("/admin/realms/default/clients/{id}")), "{location}");

    // Find by clientId: an exact match, as an array.
    let found: Value = http
        .get(api(&app, "/clients?clientId=reports-job"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["serviceAccountsEnabled"], true);
    assert_eq!(found[0]["publicClient"], false);
    let none: Value = http
        .get(api(&app, "/clients?clientId=reports"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!([]), "no partial matches without search=true");

    // Regenerate and use the secret.
    let secret: Value = http
        .post(api(&app, &format!("/clients/{id}/client-secret")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(secret["type"], "secret");
    let creds = Creds { id: "reports-job".into(), secret: secret["value"].as_str().unwrap().to_owned() };
    let shown: Value = http
        .get(api(&app, &format!("/clients/{id}/client-secret")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown, json!({"type": "secret"}), "only a hash is kept: no value to read back");

    // Partial PUT: the lifespan attribute, 204.
    let res = http
        .put(api(&app, &format!("/clients/{id}")))
        .bearer_auth(&token)
        .json(&json!({"attributes": {"access.token.lifespan": "900"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let body: Value = app.token(&creds, None).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 900);
    let got: Value =
        http.get(api(&app, &format!("/clients/{id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["attributes"]["access.token.lifespan"], "900");
    assert_eq!(got["clientId"], "reports-job", "the rest is unchanged");

    // The service-account user.
    let sa: Value = http
        .get(api(&app, &format!("/clients/{id}/service-account-user")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sa["username"], "service-account-reports-job");

    // notBefore through PUT (Keycloak's console sends a float): the token in hand dies.
    let in_hand = app.access_token(&creds).await;
    app.clock.advance(5);
    let now = portcullis::clock::Clock::now(&*app.clock) as f64 + 0.25;
    let res = http
        .put(api(&app, &format!("/clients/{id}")))
        .bearer_auth(&token)
        .json(&json!({"notBefore": now}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.introspect(&creds, &in_hand).await["active"], false);

    // Duplicates: 409 with Keycloak's errorMessage.
    let res = http
        .post(api(&app, "/clients"))
        .bearer_auth(&token)
        .json(&json!({"clientId": "reports-job"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"errorMessage": "Client reports-job already exists"}));

    // Delete: 204, then 404 with Keycloak's error.
    let res = http.delete(api(&app, &format!("/clients/{id}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = http.get(api(&app, &format!("/clients/{id}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"error": "Could not find client"}));
    assert_eq!(app.token(&creds, None).await.status(), StatusCode::UNAUTHORIZED);

    // The legacy /auth prefix serves the same API.
    let res =
        http.get(format!("{}/auth/admin/realms/default/clients", app.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let listed: Value = res.json().await.unwrap();
    assert!(listed.as_array().unwrap().iter().any(|c| c["clientId"] == "deployer"));
}

async fn the_api_refuses_without_a_token_or_the_permission(app: TestApp) {
    let http = &app.http;
    let res = http.get(api(&app, "/clients")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"error": "HTTP 401 Unauthorized"}));
    let res = http.get(api(&app, "/clients")).bearer_auth("not.a.token").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // A viewer reads and cannot change; a refused change writes nothing.
    let viewer = script(&app, "auditor", "view-realm").await;
    assert_eq!(http.get(api(&app, "/clients")).bearer_auth(&viewer).send().await.unwrap().status(), StatusCode::OK);
    let res = http
        .post(api(&app, "/clients"))
        .bearer_auth(&viewer)
        .json(&json!({"clientId": "sneaky"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"error": "HTTP 403 Forbidden"}));
    assert!(app.manager.client_detail("default", "sneaky", &operator()).await.is_err());

    // A client without admin roles may not even list.
    let plain = app.service_client("plain", &[]).await;
    let plain = app.access_token(&plain).await;
    assert_eq!(
        http.get(api(&app, "/clients")).bearer_auth(&plain).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // A realm's administrator has no say in another realm.
    let admin = script(&app, "deployer", "administer-clients").await;
    app.manager.create_realm("other", None, &operator()).await.unwrap();
    let res = http.get(format!("{}/admin/realms/other/clients", app.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A token revoked by the realm's not-before is refused.
    app.clock.advance(5);
    app.manager.set_realm_not_before("default", None, &operator()).await.unwrap();
    assert_eq!(
        http.get(api(&app, "/clients")).bearer_auth(&admin).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn browsers_at_the_old_console_address_are_sent_to_the_console(app: TestApp) {
    let res = app
        .http
        .get(format!("{}/admin/realms/default/clients?q=beta", app.base))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers()[header::LOCATION], "/admin/default/console/clients?q=beta");
}

async fn an_administrator_signs_in_through_admin_cli_as_python_keycloak_does(app: TestApp) {
    app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
    // python-keycloak's token request, to the master realm's public admin-cli client.
    let form = [
        ("username", "root"),
        ("password", "a long admin password"),
        ("client_id", "admin-cli"),
        ("grant_type", "password"),
        ("code", ""),
        ("redirect_uri", ""),
        ("scope", "openid"),
    ];
    let res = app.post_form("master", TOKEN, None, &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let token = body["access_token"].as_str().unwrap();
    // The master realm's admin administers every realm.
    let res = app.http.get(api(&app, "/clients?clientId=admin-cli")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let found: Value = res.json().await.unwrap();
    assert_eq!(found[0]["publicClient"], true);
    assert_eq!(found[0]["directAccessGrantsEnabled"], true);

    // The realm's OAuth clients switch leaves admin-cli working.
    app.manager.set_oauth_clients_enabled("master", false, &operator()).await.unwrap();
    assert_eq!(app.post_form("master", TOKEN, None, &form).await.status(), StatusCode::OK);

    // client_credentials with scope=openid (python-keycloak always sends it).
    let svc = app.service_client("svc", &["read:reports"]).await;
    let res = app.token(&svc, Some("openid")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["scope"], "read:reports", "the client's own scopes");
    let res = app.token(&svc, Some("openid read:reports")).await;
    assert_eq!(res.status(), StatusCode::OK);

    // A dead refresh token says Keycloak's words, on which python-keycloak signs in again.
    let refresh = [("grant_type", "refresh_token"), ("client_id", "admin-cli"), ("refresh_token", "not-a-live-token")];
    let res = app.post_form("master", TOKEN, None, &refresh).await;
    let error = assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(error["error_description"].as_str().unwrap().starts_with("Token is not active"), "{error}");
}

/// `(status, body)` of a request.
async fn call(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn roles_over_the_api(app: TestApp) {
    let token = script(&app, "deployer", "administer-account").await;
    let viewer = script(&app, "auditor", "view-realm").await;
    let http = &app.http;
    let res = http
        .post(api(&app, "/roles"))
        .bearer_auth(&token)
        .json(&json!({"name": "reporter", "description": "Reads"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers()[header::LOCATION].to_str().unwrap().ends_with("/admin/realms/default/roles/reporter"));
    let (status, body) =
        call(http.post(api(&app, "/roles")).bearer_auth(&token).json(&json!({"name": "reporter"}))).await;
    assert_eq!(
        (status, body),
        (StatusCode::CONFLICT, json!({"errorMessage": "Role with name reporter already exists"}))
    );
    let (status, role) = call(http.get(api(&app, "/roles/reporter")).bearer_auth(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((role["name"].as_str(), role["clientRole"].as_bool()), (Some("reporter"), Some(false)));
    let (_, by_id) =
        call(http.get(api(&app, &format!("/roles-by-id/{}", role["id"].as_str().unwrap()))).bearer_auth(&viewer)).await;
    assert_eq!(by_id["name"], "reporter");
    let (status, body) = call(http.get(api(&app, "/roles/nobody")).bearer_auth(&viewer)).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"error": "Could not find role"})));
    // Paging and search.
    let (_, page) = call(http.get(api(&app, "/roles?first=0&max=2")).bearer_auth(&viewer)).await;
    assert_eq!(page.as_array().unwrap().len(), 2);
    let (_, found) = call(http.get(api(&app, "/roles?search=REPORT")).bearer_auth(&viewer)).await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    // The viewer may not change; the administrator may.
    let (status, _) =
        call(http.put(api(&app, "/roles/reporter")).bearer_auth(&viewer).json(&json!({"description": "x"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        call(http.put(api(&app, "/roles/reporter")).bearer_auth(&token).json(&json!({"description": "Reads reports"})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(http.get(api(&app, "/roles/reporter")).bearer_auth(&token)).await.1["description"],
        "Reads reports"
    );

    // Client roles.
    let (_, found) = call(http.get(api(&app, "/clients?clientId=deployer")).bearer_auth(&token)).await;
    let client = found[0]["id"].as_str().unwrap().to_owned();
    let res = http
        .post(api(&app, &format!("/clients/{client}/roles")))
        .bearer_auth(&token)
        .json(&json!({"name": "publisher"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers()[header::LOCATION].to_str().unwrap().ends_with(&format!("/clients/{client}/roles/publisher")));
    let (_, role) = call(http.get(api(&app, &format!("/clients/{client}/roles/publisher"))).bearer_auth(&token)).await;
    assert_eq!((role["clientRole"].as_bool(), role["containerId"].as_str()), (Some(true), Some(client.as_str())));
    let (status, _) =
        call(http.delete(api(&app, &format!("/clients/{client}/roles/publisher"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The built-in realm-management roles are readable and never change.
    let (_, rm) = call(http.get(api(&app, "/clients?clientId=realm-management")).bearer_auth(&token)).await;
    let rm = rm[0]["id"].as_str().unwrap().to_owned();
    let (_, roles) = call(http.get(api(&app, &format!("/clients/{rm}/roles"))).bearer_auth(&token)).await;
    assert!(roles.as_array().unwrap().iter().any(|r| r["name"] == "manage-clients"));
    let (status, _) =
        call(http.delete(api(&app, &format!("/clients/{rm}/roles/manage-clients"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(http.delete(api(&app, "/roles/reporter")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn users_and_role_mappings_over_the_api(app: TestApp) {
    let token = script(&app, "deployer", "administer-account").await;
    let clients_only = script(&app, "ci", "administer-clients").await;
    app.manager.create_role("default", None, "reporter", "", &operator()).await.unwrap();
    let http = &app.http;
    let new_user = json!({
        "username": "Alice", "email": "alice@example.com", "firstName": "Alice", "enabled": true,
        "credentials": [{"type": "password", "value": "a long password", "temporary": false}],
    });
    let (status, _) = call(http.post(api(&app, "/users")).bearer_auth(&clients_only).json(&new_user)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "administer-clients does not manage users");
    let (status, _) = call(http.get(api(&app, "/users")).bearer_auth(&clients_only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor sees them");
    let res = http.post(api(&app, "/users")).bearer_auth(&token).json(&new_user).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.headers()[header::LOCATION].to_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let (status, body) = call(http.post(api(&app, "/users")).bearer_auth(&token).json(&new_user)).await;
    assert_eq!((status, body), (StatusCode::CONFLICT, json!({"errorMessage": "User exists with same username"})));
    // Usernames are kept in lower case, as Keycloak does; exact lookups ignore case.
    let (_, found) = call(http.get(api(&app, "/users?username=ALICE&exact=true&max=1")).bearer_auth(&token)).await;
    assert_eq!((found[0]["id"].as_str(), found[0]["username"].as_str()), (Some(id.as_str()), Some("alice")));
    let (_, count) = call(http.get(api(&app, "/users/count")).bearer_auth(&token)).await;
    assert_eq!(count, json!(1));
    // The password works at the token endpoint (through admin-cli, which has the password grant).
    let form = [
        ("grant_type", "password"),
        ("client_id", "admin-cli"),
        ("username", "alice"),
        ("password", "a long password"),
    ];
    assert_eq!(app.post_form("default", TOKEN, None, &form).await.status(), StatusCode::OK);
    let (status, _) = call(
        http.put(api(&app, &format!("/users/{id}/reset-password")))
            .bearer_auth(&token)
            .json(&json!({"type": "password", "value": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the realm's password policy");
    let (status, _) = call(
        http.put(api(&app, &format!("/users/{id}/reset-password")))
            .bearer_auth(&token)
            .json(&json!({"type": "password", "value": "another long password", "temporary": false})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.post_form("default", TOKEN, None, &form).await.status(),
        StatusCode::BAD_REQUEST,
        "the old password no longer works"
    );
    // Partial PUT.
    let (status, _) =
        call(http.put(api(&app, &format!("/users/{id}"))).bearer_auth(&token).json(&json!({"lastName": "Liddell"})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, user) = call(http.get(api(&app, &format!("/users/{id}"))).bearer_auth(&token)).await;
    assert_eq!((user["firstName"].as_str(), user["lastName"].as_str()), (Some("Alice"), Some("Liddell")));

    // Role mappings need the role's id and name to agree.
    let (_, role) = call(http.get(api(&app, "/roles/reporter")).bearer_auth(&token)).await;
    let (status, body) = call(
        http.post(api(&app, &format!("/users/{id}/role-mappings/realm")))
            .bearer_auth(&token)
            .json(&json!([{"id": "wrong", "name": "reporter"}])),
    )
    .await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"error": "Role not found"})));
    let (status, _) = call(
        http.post(api(&app, &format!("/users/{id}/role-mappings/realm"))).bearer_auth(&token).json(&json!([role])),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mapped) = call(http.get(api(&app, &format!("/users/{id}/role-mappings"))).bearer_auth(&token)).await;
    assert_eq!(mapped["realmMappings"][0]["name"], "reporter");
    let (status, _) = call(
        http.delete(api(&app, &format!("/users/{id}/role-mappings/realm"))).bearer_auth(&token).json(&json!([role])),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, realm_roles) =
        call(http.get(api(&app, &format!("/users/{id}/role-mappings/realm"))).bearer_auth(&token)).await;
    assert_eq!(realm_roles, json!([]));

    // A service account's mappings, at the id its service-account-user gave.
    let (_, svc) = call(http.get(api(&app, "/clients?clientId=ci")).bearer_auth(&token)).await;
    let svc_id = svc[0]["id"].as_str().unwrap().to_owned();
    let (_, sa) =
        call(http.get(api(&app, &format!("/clients/{svc_id}/service-account-user"))).bearer_auth(&token)).await;
    let sa = sa["id"].as_str().unwrap().to_owned();
    let (_, rm) = call(http.get(api(&app, "/clients?clientId=realm-management")).bearer_auth(&token)).await;
    let rm = rm[0]["id"].as_str().unwrap().to_owned();
    let (_, view_users) =
        call(http.get(api(&app, &format!("/clients/{rm}/roles/view-users"))).bearer_auth(&token)).await;
    let (status, _) = call(
        http.post(api(&app, &format!("/users/{sa}/role-mappings/clients/{rm}")))
            .bearer_auth(&token)
            .json(&json!([view_users])),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mapped) = call(http.get(api(&app, &format!("/users/{sa}/role-mappings"))).bearer_auth(&token)).await;
    assert_eq!(mapped["clientMappings"]["realm-management"]["mappings"][0]["name"], "view-users");
    // Read from the stored mappings on every request: the token ci already holds now lists users.
    let (status, _) = call(http.get(api(&app, "/users")).bearer_auth(&clients_only)).await;
    assert_eq!(status, StatusCode::OK);
    // Deleting.
    let (status, _) = call(http.delete(api(&app, &format!("/users/{id}"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(http.get(api(&app, &format!("/users/{id}"))).bearer_auth(&token)).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"error": "User not found"})));
}

/// A token of the master realm's superuser `root`, through admin-cli.
async fn root_token(app: &TestApp) -> String {
    app.manager.create_admin("root", "a long admin password".into(), &operator()).await.unwrap();
    let form = [
        ("grant_type", "password"),
        ("client_id", "admin-cli"),
        ("username", "root"),
        ("password", "a long admin password"),
    ];
    let body: Value = app.post_form("master", TOKEN, None, &form).await.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn realms_over_the_api(app: TestApp) {
    let root = root_token(&app).await;
    let local = script(&app, "local-admin", "administer-account").await;
    let http = &app.http;
    let admin = |path: &str| format!("{}/admin{path}", app.base);
    let (_, realms) = call(http.get(admin("/realms")).bearer_auth(&root)).await;
    let names: Vec<&str> = realms.as_array().unwrap().iter().filter_map(|r| r["realm"].as_str()).collect();
    assert!(names.contains(&"default") && names.contains(&"master"), "{names:?}");
    let (_, mine) = call(http.get(admin("/realms")).bearer_auth(&local)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "a realm's own administrator sees that realm only");

    let res = http
        .post(admin("/realms"))
        .bearer_auth(&root)
        .json(&json!({"realm": "acme", "enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers()[header::LOCATION].to_str().unwrap().ends_with("/admin/realms/acme"));
    let (status, body) = call(http.post(admin("/realms")).bearer_auth(&root).json(&json!({"realm": "acme"}))).await;
    assert_eq!(
        (status, body),
        (StatusCode::CONFLICT, json!({"errorMessage": "Conflict detected. See logs for details"}))
    );
    let (status, _) = call(http.post(admin("/realms")).bearer_auth(&local).json(&json!({"realm": "mine"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "creating realms is the superuser's");

    let now = portcullis::clock::Clock::now(&*app.clock) as f64 + 0.5;
    let (status, _) = call(
        http.put(admin("/realms/acme")).bearer_auth(&root).json(&json!({"accessTokenLifespan": 600, "notBefore": now})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, acme) = call(http.get(admin("/realms/acme")).bearer_auth(&root)).await;
    assert_eq!((acme["accessTokenLifespan"].as_i64(), acme["notBefore"].as_i64()), (Some(600), Some(now as i64)));
    let (status, _) = call(http.get(admin("/realms/acme")).bearer_auth(&local)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) =
        call(http.post(admin("/realms/acme/push-revocation")).bearer_auth(&root).json(&json!({}))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"successRequests": [], "failedRequests": []})));

    let (status, _) = call(http.get(admin("/serverinfo")).bearer_auth(&local)).await;
    assert_eq!(status, StatusCode::OK);
    let plain = app.service_client("plain", &[]).await;
    let plain = app.access_token(&plain).await;
    assert_eq!(call(http.get(admin("/serverinfo")).bearer_auth(&plain)).await.0, StatusCode::FORBIDDEN);

    let (status, _) = call(http.delete(admin("/realms/acme")).bearer_auth(&local)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(http.delete(admin("/realms/acme")).bearer_auth(&root)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(http.get(admin("/realms/acme")).bearer_auth(&root)).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"error": "Realm not found."})));
    assert_eq!(call(http.delete(admin("/realms/master")).bearer_auth(&root)).await.0, StatusCode::BAD_REQUEST);
}

async fn keycloaks_realm_document_and_back_channel_logout(app: TestApp) {
    let (status, info) = call(app.http.get(app.realm_url("default", ""))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["realm"], "default");
    assert_eq!(info["token-service"], format!("{}/realms/default/protocol/openid-connect", app.base));
    assert_eq!(info["tokens-not-before"], 0);
    let pem =
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", info["public_key"].as_str().unwrap());
    assert!(jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).is_ok(), "Keycloak's base64 DER public key");
    assert_eq!(call(app.http.get(app.realm_url("nowhere", ""))).await.0, StatusCode::NOT_FOUND);

    // A user signs in through admin-cli; the script logs the session out with the refresh token.
    app.create_user("ann", "a long password").await;
    let form =
        [("grant_type", "password"), ("client_id", "admin-cli"), ("username", "ann"), ("password", "a long password")];
    let tokens: Value = app.post_form("default", TOKEN, None, &form).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let logout = "/protocol/openid-connect/logout";
    let res =
        app.post_form("default", logout, None, &[("client_id", "admin-cli"), ("refresh_token", "not-a-token")]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let res = app.post_form("default", logout, None, &[("client_id", "admin-cli"), ("refresh_token", refresh)]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let again = [("grant_type", "refresh_token"), ("client_id", "admin-cli"), ("refresh_token", refresh)];
    let error = assert_oauth_error(
        app.post_form("default", TOKEN, None, &again).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(error["error_description"].as_str().unwrap().contains("not active"), "{error}");
    let web = app.password_client("web", "https://app.example/cb").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.introspect(&web, access).await["active"], false, "the session's access token ends too");
}

async fn sessions_over_the_api(app: TestApp) {
    let token = script(&app, "ops", "administer-account").await;
    let viewer = script(&app, "auditor", "view-realm").await;
    let http = &app.http;
    let user_id = app.create_user("ann", "a long password").await;
    let web = app.password_client("web", "https://app.example/cb").await;
    let sign_in = || async {
        let form = [("grant_type", "password"), ("username", "ann"), ("password", "a long password")];
        app.post_form("default", TOKEN, Some(&web), &form).await.json::<Value>().await.unwrap()
    };
    let first = sign_in().await;
    sign_in().await;

    let (status, sessions) =
        call(http.get(api(&app, &format!("/users/{user_id}/sessions"))).bearer_auth(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sessions.as_array().unwrap().len(), 2);
    assert_eq!(sessions[0]["username"], "ann");
    assert!(sessions[0]["clients"].as_object().unwrap().values().any(|c| c == "web"));

    let (_, found) = call(http.get(api(&app, "/clients?clientId=web")).bearer_auth(&token)).await;
    let web_id = found[0]["id"].as_str().unwrap().to_owned();
    let (_, count) = call(http.get(api(&app, &format!("/clients/{web_id}/session-count"))).bearer_auth(&viewer)).await;
    assert_eq!(count, json!({"count": 2}));
    let (_, page) =
        call(http.get(api(&app, &format!("/clients/{web_id}/user-sessions?first=1&max=5"))).bearer_auth(&viewer)).await;
    assert_eq!(page.as_array().unwrap().len(), 1);

    // Logging the user out ends both sessions and their tokens; a viewer may not.
    let (status, _) = call(http.post(api(&app, &format!("/users/{user_id}/logout"))).bearer_auth(&viewer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(http.post(api(&app, &format!("/users/{user_id}/logout"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, sessions) = call(http.get(api(&app, &format!("/users/{user_id}/sessions"))).bearer_auth(&token)).await;
    assert_eq!(sessions, json!([]));
    assert_eq!(app.introspect(&web, first["access_token"].as_str().unwrap()).await["active"], false);
    let refresh = first["refresh_token"].as_str().unwrap();
    assert_oauth_error(app.refresh(&web, refresh, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // logout-all ends every session of the realm.
    let again = sign_in().await;
    let (status, body) = call(http.post(api(&app, "/logout-all")).bearer_auth(&token)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"successRequests": [], "failedRequests": []})));
    assert_eq!(app.introspect(&web, again["access_token"].as_str().unwrap()).await["active"], false);
}

async fn attack_detection_and_effective_roles(app: TestApp) {
    let token = script(&app, "ops", "administer-account").await;
    let http = &app.http;
    let id = app.create_user("ann", "a long password").await;
    let bad =
        [("grant_type", "password"), ("client_id", "admin-cli"), ("username", "ann"), ("password", "wrong password")];
    for _ in 0..2 {
        app.post_form("default", TOKEN, None, &bad).await;
        app.clock.advance(60);
    }
    let path = |p: &str| api(&app, &format!("/attack-detection/brute-force/users{p}"));
    let (status, state) = call(http.get(path(&format!("/{id}"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((state["numFailures"].as_i64(), state["disabled"].as_bool()), (Some(2), Some(false)));
    let (status, _) = call(http.delete(path(&format!("/{id}"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(call(http.get(path(&format!("/{id}"))).bearer_auth(&token)).await.1["numFailures"], 0);
    app.post_form("default", TOKEN, None, &bad).await;
    assert_eq!(call(http.delete(path("")).bearer_auth(&token)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(call(http.get(path(&format!("/{id}"))).bearer_auth(&token)).await.1["numFailures"], 0, "all unlocked");

    // Effective roles: a composite's children count; available is what is not held directly.
    app.manager.create_role("default", None, "reader", "", &operator()).await.unwrap();
    app.manager.create_role("default", None, "editor", "", &operator()).await.unwrap();
    app.manager.set_composite("default", None, "editor", None, "reader", true, &operator()).await.unwrap();
    app.manager.set_user_roles("default", "ann", &["editor".into()], &[], true, &operator()).await.unwrap();
    let names =
        |v: &Value| v.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let (_, composite) =
        call(http.get(api(&app, &format!("/users/{id}/role-mappings/realm/composite"))).bearer_auth(&token)).await;
    assert!(names(&composite).contains(&"reader".to_owned()) && names(&composite).contains(&"editor".to_owned()));
    let (_, available) =
        call(http.get(api(&app, &format!("/users/{id}/role-mappings/realm/available"))).bearer_auth(&token)).await;
    assert!(names(&available).contains(&"reader".to_owned()) && !names(&available).contains(&"editor".to_owned()));
}

async fn client_scopes_over_the_api(app: TestApp) {
    let token = script(&app, "ops", "administer-account").await;
    let clients_only = script(&app, "ci", "administer-clients").await;
    let http = &app.http;
    let res = http
        .post(api(&app, "/client-scopes"))
        .bearer_auth(&token)
        .json(&json!({"name": "read:reports", "protocol": "openid-connect", "description": "Read your reports"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.headers()[header::LOCATION].to_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let (status, body) =
        call(http.post(api(&app, "/client-scopes")).bearer_auth(&token).json(&json!({"name": "read:reports"}))).await;
    assert_eq!(
        (status, body),
        (StatusCode::CONFLICT, json!({"errorMessage": "Client Scope read:reports already exists"}))
    );
    assert_eq!(
        call(http.post(api(&app, "/client-scopes")).bearer_auth(&clients_only).json(&json!({"name": "x"}))).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, all) = call(http.get(api(&app, "/client-scopes")).bearer_auth(&clients_only)).await;
    assert!(all.as_array().unwrap().iter().any(|s| s["name"] == "read:reports"));
    let (status, _) = call(
        http.put(api(&app, &format!("/client-scopes/{id}")))
            .bearer_auth(&token)
            .json(&json!({"description": "Read reports"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(http.get(api(&app, &format!("/client-scopes/{id}"))).bearer_auth(&token)).await.1["description"],
        "Read reports"
    );

    // Linked to a client as a default scope, its tokens carry it.
    let svc = app.service_client("svc", &[]).await;
    let (_, found) = call(http.get(api(&app, "/clients?clientId=svc")).bearer_auth(&token)).await;
    let svc_id = found[0]["id"].as_str().unwrap().to_owned();
    let (status, _) =
        call(http.put(api(&app, &format!("/clients/{svc_id}/default-client-scopes/{id}"))).bearer_auth(&clients_only))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, defaults) =
        call(http.get(api(&app, &format!("/clients/{svc_id}/default-client-scopes"))).bearer_auth(&token)).await;
    assert_eq!(defaults, json!([{"id": id, "name": "read:reports"}]));
    let body: Value = app.token(&svc, None).await.json().await.unwrap();
    assert_eq!(body["scope"], "read:reports");
    let (status, body) =
        call(http.put(api(&app, &format!("/clients/{svc_id}/default-client-scopes/nope"))).bearer_auth(&token)).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"error": "Client scope not found"})));
    let (status, _) =
        call(http.delete(api(&app, &format!("/clients/{svc_id}/default-client-scopes/{id}"))).bearer_auth(&token))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(http.get(api(&app, &format!("/clients/{svc_id}/default-client-scopes"))).bearer_auth(&token)).await.1,
        json!([])
    );

    // The OIDC built-ins stay; the others go.
    let (_, all) = call(http.get(api(&app, "/client-scopes")).bearer_auth(&token)).await;
    let openid =
        all.as_array().unwrap().iter().find(|s| s["name"] == "openid").unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        call(http.delete(api(&app, &format!("/client-scopes/{openid}"))).bearer_auth(&token)).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        call(http.delete(api(&app, &format!("/client-scopes/{id}"))).bearer_auth(&token)).await.0,
        StatusCode::NO_CONTENT
    );
}

async fn a_realm_may_keep_secrets_retrievable(app: TestApp) {
    let token = script(&app, "ops", "administer-account").await;
    let http = &app.http;
    // Hashed only (the default): a secret made now cannot be read back.
    app.service_client("hashed", &[]).await;
    let (_, found) = call(http.get(api(&app, "/clients?clientId=hashed")).bearer_auth(&token)).await;
    let hashed_id = found[0]["id"].as_str().unwrap().to_owned();
    let (_, secret) =
        call(http.get(api(&app, &format!("/clients/{hashed_id}/client-secret"))).bearer_auth(&token)).await;
    assert_eq!(secret, json!({"type": "secret"}));

    // Only a realm administrator (manage-realm) switches it on; then new secrets are kept sealed.
    let clients_only = script(&app, "ci", "administer-clients").await;
    let switch = json!({"attributes": {"retrievableClientSecrets": "true"}});
    assert_eq!(call(http.put(api(&app, "")).bearer_auth(&clients_only).json(&switch)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(http.put(api(&app, "")).bearer_auth(&token).json(&switch)).await.0, StatusCode::NO_CONTENT);
    let res = http
        .post(api(&app, "/clients"))
        .bearer_auth(&token)
        .json(&json!({"clientId": "kept", "serviceAccountsEnabled": true, "standardFlowEnabled": false}))
        .send()
        .await
        .unwrap();
    let id = res.headers()[header::LOCATION].to_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let (_, first) = call(http.get(api(&app, &format!("/clients/{id}/client-secret"))).bearer_auth(&token)).await;
    let value = first["value"].as_str().expect("the secret, read back").to_owned();
    let creds = Creds { id: "kept".into(), secret: value.clone() };
    assert_eq!(app.token(&creds, None).await.status(), StatusCode::OK, "the hash verifies it as before");
    let (_, regenerated) =
        call(http.post(api(&app, &format!("/clients/{id}/client-secret"))).bearer_auth(&token)).await;
    let (_, again) = call(http.get(api(&app, &format!("/clients/{id}/client-secret"))).bearer_auth(&token)).await;
    assert_eq!(again["value"], regenerated["value"], "the current secret");
    assert_ne!(again["value"].as_str(), Some(value.as_str()));
    // Reading it back needs manage-clients: a viewer gets 403.
    let viewer = script(&app, "auditor", "view-realm").await;
    assert_eq!(
        call(http.get(api(&app, &format!("/clients/{id}/client-secret"))).bearer_auth(&viewer)).await.0,
        StatusCode::FORBIDDEN
    );
    // At rest it is sealed, not in the clear.
    let mut conn = app.manager.db.conn().await.unwrap();
    let detail = app.manager.client_detail("default", "kept", &operator()).await.unwrap();
    let rows = portcullis::store::clients::valid_secrets(&mut conn, &detail.client.id, 0).await.unwrap();
    let current = rows.iter().find(|r| r.expires_at.is_none()).unwrap();
    assert!(current.sealed.as_deref().is_some_and(|s| !s.contains(again["value"].as_str().unwrap())));
}

async fn projects_and_the_audit_log_beside_keycloaks_objects(app: TestApp) {
    let token = script(&app, "ops", "administer-account").await;
    let clients_only = script(&app, "ci", "administer-clients").await;
    let http = &app.http;
    let res = http
        .post(api(&app, "/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "Alpha", "id": "alpha", "description": "The Alpha warehouse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers()[header::LOCATION].to_str().unwrap().ends_with("/admin/realms/default/projects/alpha"));
    let (status, body) =
        call(http.post(api(&app, "/projects")).bearer_auth(&token).json(&json!({"name": "Again", "id": "alpha"})))
            .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        call(http.post(api(&app, "/projects")).bearer_auth(&clients_only).json(&json!({"name": "B"}))).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, projects) = call(http.get(api(&app, "/projects")).bearer_auth(&clients_only)).await;
    assert_eq!(projects[0]["id"], "alpha");
    assert_eq!(projects[0]["description"], "The Alpha warehouse");
    // One project, changed (partial merge), refused without manage-realm, deleted.
    let alpha = api(&app, "/projects/alpha");
    let (status, _) = call(http.put(&alpha).bearer_auth(&token).json(&json!({"description": "Moved"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, one) = call(http.get(&alpha).bearer_auth(&clients_only)).await;
    assert_eq!((one["name"].as_str(), one["description"].as_str()), (Some("Alpha"), Some("Moved")));
    assert_eq!(call(http.delete(&alpha).bearer_auth(&clients_only)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(http.get(api(&app, "/projects/nope")).bearer_auth(&token)).await.0, StatusCode::NOT_FOUND);

    // The audit log: what happened, newest first, paged; it needs view-events.
    let (status, events) = call(http.get(api(&app, "/audit-events?max=2")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(events.as_array().unwrap().len(), 2);
    assert_eq!(events[0]["type"], "project.updated");
    assert_eq!(events[0]["actor"], "service-account-ops");
    let (_, of_client) = call(http.get(api(&app, "/audit-events?client=ci")).bearer_auth(&token)).await;
    assert!(of_client.as_array().unwrap().iter().all(|e| e["clientId"] == "ci"));
    assert!(!of_client.as_array().unwrap().is_empty());
    assert_eq!(call(http.get(api(&app, "/audit-events")).bearer_auth(&clients_only)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(http.delete(&alpha).bearer_auth(&token)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(call(http.get(&alpha).bearer_auth(&token)).await.0, StatusCode::NOT_FOUND);
}

async fn web_origins_get_credentialed_cors(app: TestApp) {
    let token = script(&app, "ops", "administer-account").await;
    let http = &app.http;
    let spa = json!({
        "clientId": "spa", "publicClient": true, "redirectUris": ["https://app.example.com/cb"],
        "webOrigins": ["https://admin.example.com", "+"],
    });
    let res = http.post(api(&app, "/clients")).bearer_auth(&token).json(&spa).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.headers()[header::LOCATION].to_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let (_, rep) = call(http.get(api(&app, &format!("/clients/{id}"))).bearer_auth(&token)).await;
    assert_eq!(rep["webOrigins"], json!(["https://admin.example.com", "+"]));
    let (status, body) = call(
        http.put(api(&app, &format!("/clients/{id}")))
            .bearer_auth(&token)
            .json(&json!({"webOrigins": ["https://*.example.com"]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let token_request = |origin: &'static str| {
        http.post(app.realm_url("default", TOKEN)).header("Origin", origin).form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "spa"),
            ("refresh_token", "x"),
        ])
    };
    for origin in ["https://admin.example.com", "https://app.example.com"] {
        let res = token_request(origin).send().await.unwrap();
        assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin, "a registered origin, exactly");
        assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        let preflight = http
            .request(reqwest::Method::OPTIONS, app.realm_url("default", TOKEN))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin);
        assert_eq!(preflight.headers()[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    }
    let res = token_request("https://evil.example.net").send().await.unwrap();
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "others: no credentials");
    assert!(res.headers().get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());
}

/// Every operation the document lists is served (each refuses a request without a token with
/// Keycloak's 401), and Keycloak's main paths are among them.
async fn the_openapi_document_describes_every_route(app: TestApp) {
    let res = app.http.get(format!("{}/admin/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let paths = doc["paths"].as_object().unwrap();
    for wanted in [
        "/admin/realms",
        "/admin/realms/{realm}",
        "/admin/serverinfo",
        "/admin/realms/{realm}/clients/{id}/client-secret",
        "/admin/realms/{realm}/clients/{id}/service-account-user",
        "/admin/realms/{realm}/users/{id}/role-mappings/clients/{client}/available",
        "/admin/realms/{realm}/roles-by-id/{id}",
        "/admin/realms/{realm}/attack-detection/brute-force/users/{id}",
        "/admin/realms/{realm}/token-stats",
    ] {
        assert!(paths.contains_key(wanted), "{wanted} is not in the document");
    }
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            operations += 1;
            let name = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{name} has no summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{name} has no tag");
            assert!(op["responses"]["401"].is_object(), "{name} does not say it may answer 401");
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|p| p.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            let url = path.split('/').fold(String::new(), |mut url, segment| {
                if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(declared.contains(&param), "{name} does not declare {{{param}}}");
                    url.push_str(if param == "realm" { "/default" } else { "/nothing" });
                } else if !segment.is_empty() {
                    url.push('/');
                    url.push_str(segment);
                }
                url
            });
            for prefix in ["", "/auth"] {
                let res = app.http.request(method.clone(), format!("{}{prefix}{url}", app.base)).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {prefix}{url}");
                assert_eq!(res.json::<Value>().await.unwrap(), json!({"error": "HTTP 401 Unauthorized"}));
            }
        }
    }
    assert!(operations >= 65, "only {operations} operations");
}

async fn token_statistics_beside_the_audit_log(app: TestApp) {
    let token = script(&app, "ops", "administer-account").await;
    let clients_only = script(&app, "ci", "administer-clients").await;
    let svc = app.service_client("svc", &[]).await;
    for _ in 0..3 {
        app.access_token(&svc).await;
    }
    let now = app.state.now();
    app.state.stats.flush(&app.manager.db, now).await.unwrap();
    let stats = |query: String| api(&app, &format!("/token-stats?{query}"));
    let period = format!("from={}&to={}", (now - 3600) * 1000, (now + 60) * 1000);
    let (status, body) =
        call(app.http.get(stats(format!("{period}&interval=3600&clientId=svc"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["clientId"], "svc");
    assert_eq!(rows[0]["grantType"], "client_credentials");
    assert_eq!(rows[0]["count"], 3);
    assert_eq!(rows[0]["time"].as_i64().unwrap() % 3_600_000, 0, "intervals start on the hour");
    // Every client: the scripts' own tokens are counted too.
    let (_, all) = call(app.http.get(stats(format!("{period}&interval=60"))).bearer_auth(&token)).await;
    let clients: Vec<&str> = all.as_array().unwrap().iter().filter_map(|r| r["clientId"].as_str()).collect();
    assert!(clients.contains(&"svc") && clients.contains(&"ops"), "{all}");
    // Nothing in another hour; bad questions are 400 with Keycloak's body.
    let earlier = format!("from={}&to={}", (now - 7200) * 1000, (now - 3600) * 1000);
    assert_eq!(call(app.http.get(stats(earlier)).bearer_auth(&token)).await.1, json!([]));
    for bad in ["interval=30", "interval=abc", "interval=60&from=0", "from=5000&to=1000"] {
        let (status, body) = call(app.http.get(stats(bad.into())).bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"].is_string(), "{bad}: {body}");
    }
    assert_eq!(call(app.http.get(stats(String::new())).bearer_auth(&clients_only)).await.0, StatusCode::FORBIDDEN);
}

/// A browser page may call the API from an origin the token's client lists among its Web
/// Origins; from any other origin (or without a valid token) the answer has no CORS headers.
async fn the_admin_api_answers_cors_for_the_tokens_web_origins(app: TestApp) {
    let token = script(&app, "ops-console", "administer-clients").await;
    let changes = portcullis::manage::client_update::ClientChanges {
        web_origins: Some(vec!["https://ops.example".into()]),
        ..Default::default()
    };
    app.manager.update_client("default", "ops-console", changes, &operator()).await.unwrap();
    let http = &app.http;
    let acao = |res: &reqwest::Response| {
        res.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned())
    };
    // Preflights carry no token: any origin is answered, the request itself decides.
    let pre = http
        .request(reqwest::Method::OPTIONS, api(&app, "/clients"))
        .header("Origin", "https://elsewhere.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    assert_eq!(acao(&pre).as_deref(), Some("https://elsewhere.example"));
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("Authorization"));
    // The token's client's origin: named exactly, with credentials, `Location` readable.
    let res = http
        .post(api(&app, "/clients"))
        .bearer_auth(&token)
        .header("Origin", "https://ops.example")
        .json(&json!({"clientId": "made-from-a-page"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(acao(&res).as_deref(), Some("https://ops.example"));
    assert_eq!(res.headers()["access-control-allow-credentials"], "true");
    assert_eq!(res.headers()["access-control-expose-headers"], "Location");
    // Another origin with the same token, or the right origin without a token: nothing.
    let other = http
        .get(api(&app, "/clients"))
        .bearer_auth(&token)
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(acao(&other), None);
    let anonymous = http.get(api(&app, "/clients")).header("Origin", "https://ops.example").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(acao(&anonymous), None);
    // The OpenAPI document is public: any page may read it, without credentials.
    let doc = http
        .get(format!("{}/admin/openapi.json", app.base))
        .header("Origin", "https://x.example")
        .send()
        .await
        .unwrap();
    assert_eq!(acao(&doc).as_deref(), Some("*"));
}
