//! Identity providers over the admin API (Keycloak's `identity-provider/instances`) and the CLI:
//! added by discovery URL (a second Portcullis is the upstream) or by endpoints, checked, never
//! showing the secret, merged on update, removed; permissions; users' links to upstream accounts.

use crate::helpers::*;
use portcullis::manage::service_account::RoleRef;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

crate::db_tests!(
    an_openid_provider_is_added_by_its_discovery_url,
    a_plain_oauth2_provider_is_added_by_its_endpoints,
    invalid_settings_answer_400_naming_the_field,
    an_update_merges_and_keeps_the_secret_then_delete_removes,
    reading_and_changing_providers_take_their_permissions,
    users_are_linked_to_upstream_accounts_listed_and_unlinked,
);

/// The CLI runs as another process: its tests follow real time.
mod cli {
    use super::*;
    crate::db_tests!(real_time: the_cli_creates_lists_updates_and_deletes_providers);
}

fn api(app: &TestApp, path: &str) -> String {
    format!("{}/admin/realms/default{path}", app.base)
}

const IDPS: &str = "/identity-provider/instances";

/// A client whose service account holds `roles` (`client:name` or realm role names), and its
/// bearer token.
async fn script(app: &TestApp, id: &str, roles: &[&str]) -> String {
    let creds = app.service_client(id, &[]).await;
    let roles: Vec<RoleRef> = roles.iter().map(|r| RoleRef::parse(r)).collect();
    app.manager.set_service_account_roles("default", id, &roles, true, &operator()).await.unwrap();
    app.access_token(&creds).await
}

async fn admin(app: &TestApp) -> String {
    script(app, "idp-admin", &["realm-management:realm-admin"]).await
}

async fn call(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A plain OAuth 2.0 provider's representation, by its endpoints.
fn manual(alias: &str) -> Value {
    json!({
        "alias": alias,
        "providerId": "oauth2",
        "displayName": "GitHub",
        "config": {
            "clientId": "gh-client",
            "authorizationUrl": "https://github.com/login/oauth/authorize",
            "tokenUrl": "https://github.com/login/oauth/access_token",
            "userInfoUrl": "https://api.github.com/user",
            "defaultScope": "read:user user:email",
            "pkceEnabled": "false",
            "clientAuthMethod": "client_secret_post",
            "usernameClaim": "login",
        }
    })
}

async fn an_openid_provider_is_added_by_its_discovery_url(app: TestApp) {
    let upstream = TestApp::spawn(DbKind::Sqlite).await;
    let doc: Value =
        upstream.http.get(upstream.realm_url("default", DISCOVERY)).send().await.unwrap().json().await.unwrap();
    let token = admin(&app).await;
    let body = json!({
        "alias": "upstream",
        "displayName": "Upstream",
        "providerId": "keycloak-oidc",
        "storeToken": true,
        "trustEmail": true,
        "config": {
            "discoveryUrl": upstream.realm_url("default", ""),
            "clientId": "portcullis-broker",
            "clientSecret": "s3cret-upstream",
            "defaultScope": "openid email",
            "guiOrder": "5",
        }
    });
    let res = app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/admin/realms/default{IDPS}/upstream", app.base));
    assert!(res.bytes().await.unwrap().is_empty(), "Keycloak's create has no body");

    let (status, idp) = call(app.http.get(&location).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let config = &idp["config"];
    // The endpoints come from the upstream's document.
    assert_eq!(config["issuer"], doc["issuer"]);
    assert_eq!(config["authorizationUrl"], doc["authorization_endpoint"]);
    assert_eq!(config["tokenUrl"], doc["token_endpoint"]);
    assert_eq!(config["userInfoUrl"], doc["userinfo_endpoint"]);
    assert_eq!(config["jwksUrl"], doc["jwks_uri"]);
    assert_eq!(config["discoveryUrl"], upstream.realm_url("default", DISCOVERY));
    assert_eq!((idp["alias"].as_str(), idp["providerId"].as_str()), (Some("upstream"), Some("oidc")));
    assert_eq!((idp["displayName"].as_str(), idp["enabled"].as_bool()), (Some("Upstream"), Some(true)));
    assert_eq!((idp["storeToken"].as_bool(), idp["trustEmail"].as_bool()), (Some(true), Some(true)));
    assert_eq!((config["guiOrder"].as_str(), config["defaultScope"].as_str()), (Some("5"), Some("openid email")));
    assert_eq!((config["pkceEnabled"].as_str(), config["validateSignature"].as_str()), (Some("true"), Some("true")));
    assert_eq!(config["clientAuthMethod"], "client_secret_basic");
    assert_eq!(config["clientId"], "portcullis-broker");
    // The secret is never shown, but is kept (sealed).
    assert_eq!(config["clientSecret"], "**********");
    let (_, list) = call(app.http.get(api(&app, IDPS)).bearer_auth(&token)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["config"]["clientSecret"], "**********");
    assert!(!list.to_string().contains("s3cret-upstream"));
    let row = app.manager.identity_provider("default", "upstream", &operator()).await.unwrap();
    assert_eq!(app.manager.idp_secret(&row).unwrap().as_deref(), Some("s3cret-upstream"));
}

async fn a_plain_oauth2_provider_is_added_by_its_endpoints(app: TestApp) {
    let token = admin(&app).await;
    let (status, body) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&manual("github"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, idp) = call(app.http.get(api(&app, &format!("{IDPS}/github"))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let config = &idp["config"];
    assert_eq!(idp["providerId"], "oauth2");
    assert_eq!(config["authorizationUrl"], "https://github.com/login/oauth/authorize");
    assert_eq!(config["tokenUrl"], "https://github.com/login/oauth/access_token");
    assert_eq!(config["userInfoUrl"], "https://api.github.com/user");
    assert_eq!(config["defaultScope"], "read:user user:email");
    assert_eq!(config["pkceEnabled"], "false");
    assert_eq!(config["clientAuthMethod"], "client_secret_post");
    assert_eq!(config["usernameClaim"], "login");
    assert_eq!(config["useJwksUrl"], "false");
    assert!(config.get("jwksUrl").is_none() && config.get("issuer").is_none(), "{config}");
    assert!(config.get("clientSecret").is_none(), "no secret was set: {config}");

    // An OpenID provider by hand needs its issuer and JWKS.
    let oidc = json!({"alias": "by-hand", "providerId": "oidc", "config": {
        "clientId": "c", "authorizationUrl": "https://idp.example.com/auth", "tokenUrl": "https://idp.example.com/token",
        "issuer": "https://idp.example.com", "jwksUrl": "https://idp.example.com/jwks", "useJwksUrl": "true"}});
    let (status, body) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&oidc)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = call(app.http.get(api(&app, IDPS)).bearer_auth(&token)).await;
    let mut aliases: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["alias"].as_str().unwrap()).collect();
    aliases.sort();
    assert_eq!(aliases, ["by-hand", "github"]);
}

async fn invalid_settings_answer_400_naming_the_field(app: TestApp) {
    let token = admin(&app).await;
    let with = |patch: Value| {
        let mut body = manual("gh");
        for (k, v) in patch.as_object().unwrap() {
            if k == "config" {
                for (ck, cv) in v.as_object().unwrap() {
                    body["config"][ck] = cv.clone();
                }
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (with(json!({"alias": "Not An Alias"})), "alias"),
        (with(json!({"alias": null})), "alias"),
        (with(json!({"config": {"clientId": ""}})), "client id"),
        (with(json!({"config": {"tokenUrl": "http://idp.example.com/token"}})), "token URL"),
        (with(json!({"config": {"authorizationUrl": "not a url"}})), "authorization URL"),
        (with(json!({"config": {"userInfoUrl": ""}})), "userinfo URL"),
        (with(json!({"providerId": "saml"})), "providerId"),
        (with(json!({"config": {"clientAuthMethod": "private_key_jwt"}})), "client authentication"),
        (with(json!({"config": {"pkceEnabled": "maybe"}})), "pkceEnabled"),
        (with(json!({"config": {"guiOrder": "first"}})), "guiOrder"),
        (with(json!({"providerId": "oidc", "config": {"issuer": "https://idp.example.com"}})), "JWKS"),
        (with(json!({"providerId": "oidc", "config": {"validateSignature": "false"}})), "validateSignature"),
        // Nothing listens on port 1: the discovery document cannot be read.
        (with(json!({"config": {"discoveryUrl": "http://127.0.0.1:1/realms/x"}})), "discovery URL"),
        (with(json!({"config": {"discoveryUrl": "http://idp.example.com/realms/x"}})), "discovery URL"),
    ];
    for (body, field) in cases {
        let (status, answer) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{field}: {answer}");
    }
    // Not JSON at all: Keycloak's body too.
    let res = app.http.post(api(&app, IDPS)).bearer_auth(&token).header(header::CONTENT_TYPE, "application/json");
    let (status, answer) = call(res.body("{")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].is_string(), "{answer}");
    // None of those were stored; a duplicate alias is a 409 with Keycloak's errorMessage.
    let (_, list) = call(app.http.get(api(&app, IDPS)).bearer_auth(&token)).await;
    assert_eq!(list, json!([]));
    let (status, _) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&manual("gh"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&manual("gh"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(answer["errorMessage"].as_str().unwrap().contains("already exists"), "{answer}");
    // Unknown providers are 404 (an alias no provider can have too, without a 500).
    for alias in ["nope", "a%00b"] {
        let (status, answer) = call(app.http.get(api(&app, &format!("{IDPS}/{alias}"))).bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{alias}: {answer}");
        assert!(answer["error"].is_string());
    }
}

async fn an_update_merges_and_keeps_the_secret_then_delete_removes(app: TestApp) {
    let token = admin(&app).await;
    let mut body = manual("gh");
    body["config"]["clientSecret"] = json!("first-secret");
    let (status, _) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = api(&app, &format!("{IDPS}/gh"));
    let secret = || async {
        let row = app.manager.identity_provider("default", "gh", &operator()).await.unwrap();
        app.manager.idp_secret(&row).unwrap()
    };
    let (_, before) = call(app.http.get(&url).bearer_auth(&token)).await;

    // A fragment changes what it names only.
    let fragment = json!({"displayName": "GitHub.com", "enabled": false, "config": {"defaultScope": "read:user"}});
    let res = app.http.put(&url).bearer_auth(&token).json(&fragment).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, after) = call(app.http.get(&url).bearer_auth(&token)).await;
    assert_eq!((after["displayName"].as_str(), after["enabled"].as_bool()), (Some("GitHub.com"), Some(false)));
    assert_eq!(after["config"]["defaultScope"], "read:user");
    for key in ["clientId", "authorizationUrl", "tokenUrl", "userInfoUrl", "clientAuthMethod", "usernameClaim"] {
        assert_eq!(after["config"][key], before["config"][key], "{key}");
    }
    assert_eq!(secret().await.as_deref(), Some("first-secret"));

    // What a GET answered, sent back whole (the masked secret with it), keeps the secret.
    let res = app.http.put(&url).bearer_auth(&token).json(&after).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(secret().await.as_deref(), Some("first-secret"));
    // A new one replaces it; an invalid change is refused and changes nothing.
    let res = app.http.put(&url).bearer_auth(&token).json(&json!({"config": {"clientSecret": "second"}})).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(secret().await.as_deref(), Some("second"));
    let bad = json!({"displayName": "x", "config": {"tokenUrl": "ftp://x"}});
    let (status, answer) = call(app.http.put(&url).bearer_auth(&token).json(&bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("token URL"), "{answer}");
    let (_, unchanged) = call(app.http.get(&url).bearer_auth(&token)).await;
    assert_eq!(unchanged["displayName"], "GitHub.com");
    let (status, _) = call(app.http.put(api(&app, &format!("{IDPS}/nope"))).bearer_auth(&token).json(&fragment)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let res = app.http.delete(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, _) = call(app.http.get(&url).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(app.http.delete(&url).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn reading_and_changing_providers_take_their_permissions(app: TestApp) {
    let token = admin(&app).await;
    let (status, _) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&manual("gh"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let viewer = script(&app, "idp-viewer", &["realm-management:view-identity-providers"]).await;
    let users = script(&app, "user-admin", &["realm-management:manage-users"]).await;
    let one = api(&app, &format!("{IDPS}/gh"));

    let (status, list) = call(app.http.get(api(&app, IDPS)).bearer_auth(&viewer)).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert_eq!(call(app.http.get(&one).bearer_auth(&viewer)).await.0, StatusCode::OK);
    let writes = [
        app.http.post(api(&app, IDPS)).bearer_auth(&viewer).json(&manual("other")),
        app.http.put(&one).bearer_auth(&viewer).json(&json!({"displayName": "x"})),
        app.http.delete(&one).bearer_auth(&viewer),
        app.http.get(api(&app, IDPS)).bearer_auth(&users),
        app.http.get(&one).bearer_auth(&users),
        app.http.delete(&one).bearer_auth(&users),
    ];
    for req in writes {
        let (status, body) = call(req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"], "HTTP 403 Forbidden");
    }
    let (status, _) = call(app.http.get(api(&app, IDPS))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, after) = call(app.http.get(&one).bearer_auth(&token)).await;
    assert_eq!(after["displayName"], "GitHub", "nothing changed");
}

async fn users_are_linked_to_upstream_accounts_listed_and_unlinked(app: TestApp) {
    let token = admin(&app).await;
    let (status, _) = call(app.http.post(api(&app, IDPS)).bearer_auth(&token).json(&manual("gh"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let alice = app.create_user("alice", "correct horse battery").await;
    let bob = app.create_user("bob", "correct horse battery").await;
    let links = |user: &str| api(&app, &format!("/users/{user}/federated-identity"));

    let (status, list) = call(app.http.get(links(&alice)).bearer_auth(&token)).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let link = json!({"identityProvider": "gh", "userId": "583231", "userName": "octocat"});
    let res = app.http.post(format!("{}/gh", links(&alice))).bearer_auth(&token).json(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, list) = call(app.http.get(links(&alice)).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([{"identityProvider": "gh", "userId": "583231", "userName": "octocat"}]));

    // One link per provider and user; one user per upstream account.
    let (status, body) = call(app.http.post(format!("{}/gh", links(&alice))).bearer_auth(&token).json(&link)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = call(app.http.post(format!("{}/gh", links(&bob))).bearer_auth(&token).json(&link)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Unknown provider or user: 404; no upstream id: 400.
    let (status, _) = call(app.http.post(format!("{}/nope", links(&bob))).bearer_auth(&token).json(&link)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(app.http.get(links("no-such-user")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) =
        call(app.http.post(format!("{}/gh", links(&bob))).bearer_auth(&token).json(&json!({"userName": "x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("upstream user id"), "{body}");

    // Reading needs view-users, linking manage-users.
    let viewer = script(&app, "user-viewer", &["realm-management:view-users"]).await;
    let (status, list) = call(app.http.get(links(&alice)).bearer_auth(&viewer)).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    let (status, _) = call(app.http.delete(format!("{}/gh", links(&alice))).bearer_auth(&viewer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let res = app.http.delete(format!("{}/gh", links(&alice))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, list) = call(app.http.get(links(&alice)).bearer_auth(&token)).await;
    assert_eq!(list, json!([]));
    let (status, _) = call(app.http.delete(format!("{}/gh", links(&alice))).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Now bob may have that account; deleting the provider removes his link.
    let res = app.http.post(format!("{}/gh", links(&bob))).bearer_auth(&token).json(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.http.delete(api(&app, &format!("{IDPS}/gh"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, list) = call(app.http.get(links(&bob)).bearer_auth(&token)).await;
    assert_eq!(list, json!([]));
}

async fn the_cli_creates_lists_updates_and_deletes_providers(app: TestApp) {
    use std::io::Write;
    let upstream = TestApp::spawn(DbKind::Sqlite).await;
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = app.cli();
        cmd.args(args).stdin(std::process::Stdio::piped());
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let issuer = upstream.realm_url("default", "");
    let (ok, out, err) = run(
        &[
            "idp",
            "create",
            "--realm",
            "default",
            "--alias",
            "upstream",
            "--discovery-url",
            &issuer,
            "--client-id",
            "broker",
            "--client-secret-stdin",
            "--scope",
            "openid",
            "--scope",
            "email",
            "--store-tokens",
            "--display-name",
            "Upstream",
            "--json",
        ],
        Some("cli-secret\n"),
    );
    assert!(ok, "{err}");
    let made: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((made["alias"].as_str(), made["type"].as_str()), (Some("upstream"), Some("oidc")));
    assert_eq!(made["issuer"], issuer.as_str());
    assert_eq!(made["token_url"], format!("{issuer}{TOKEN}").as_str());
    assert_eq!((made["store_tokens"].as_bool(), made["client_secret_set"].as_bool()), (Some(true), Some(true)));
    assert_eq!(made["scopes"], json!(["openid", "email"]));
    assert!(!out.contains("cli-secret"), "{out}");
    let row = app.manager.identity_provider("default", "upstream", &operator()).await.unwrap();
    assert_eq!(app.manager.idp_secret(&row).unwrap().as_deref(), Some("cli-secret"));

    // By hand, plain OAuth 2.0.
    let (ok, out, err) = run(
        &[
            "idp",
            "create",
            "--alias",
            "gh",
            "--type",
            "oauth2",
            "--authorization-url",
            "https://github.com/login/oauth/authorize",
            "--token-url",
            "https://github.com/login/oauth/access_token",
            "--userinfo-url",
            "https://api.github.com/user",
            "--client-id",
            "gh-client",
            "--trust-email",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("created identity provider gh"), "{out}");
    // Refused with the reason, nothing written.
    let (ok, _, err) = run(
        &[
            "idp",
            "create",
            "--alias",
            "bad",
            "--type",
            "oauth2",
            "--authorization-url",
            "https://x.example/a",
            "--token-url",
            "https://x.example/t",
            "--client-id",
            "c",
        ],
        None,
    );
    assert!(!ok && err.contains("userinfo URL"), "{err}");
    let (ok, _, err) = run(&["idp", "create", "--alias", "gh", "--discovery-url", &issuer, "--client-id", "c"], None);
    assert!(!ok && err.contains("already exists"), "{err}");

    let (ok, out, err) = run(&["idp", "list", "--json"], None);
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    let aliases: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["alias"].as_str().unwrap()).collect();
    assert_eq!(aliases.len(), 2, "{out}");
    assert!(aliases.contains(&"gh") && aliases.contains(&"upstream") && !aliases.contains(&"bad"));
    let (ok, out, _) = run(&["idp", "list"], None);
    assert!(ok && out.contains("gh\toauth2") && out.contains("upstream\toidc"), "{out}");

    let (ok, out, err) = run(
        &["idp", "update", "gh", "--enabled", "false", "--trust-email", "false", "--gui-order", "3", "--json"],
        None,
    );
    assert!(ok, "{err}");
    let updated: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((updated["enabled"].as_bool(), updated["trust_email"].as_bool()), (Some(false), Some(false)));
    assert_eq!((updated["gui_order"].as_i64(), updated["client_id"].as_str()), (Some(3), Some("gh-client")));
    let (ok, _, err) = run(&["idp", "update", "gh", "--client-auth-method", "private_key_jwt"], None);
    assert!(!ok && err.contains("client authentication"), "{err}");

    let (ok, out, err) = run(&["idp", "delete", "gh"], None);
    assert!(ok && out.contains("deleted identity provider gh"), "{err}");
    let (ok, _, err) = run(&["idp", "delete", "gh"], None);
    assert!(!ok && err.contains("not found"), "{err}");
    let left = app.manager.list_identity_providers("default", &operator()).await.unwrap();
    assert_eq!(left.iter().map(|p| p.alias.as_str()).collect::<Vec<_>>(), ["upstream"]);
}
