//! Discovery (OIDC Discovery §4, RFC 8414) and JWKS (RFC 7517).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(
    discovery_matches_the_routes_on_both_prefixes,
    rfc8414_metadata_is_served,
    unknown_realm_is_a_json_404,
    jwks_publishes_three_algorithms_without_private_parts,
    each_realm_has_its_own_keys,
);

async fn discovery_matches_the_routes_on_both_prefixes(app: TestApp) {
    for prefix in ["/realms/default", "/auth/realms/default"] {
        let res = app.http.get(format!("{}{prefix}{DISCOVERY}", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let doc: Value = res.json().await.unwrap();
        let issuer = format!("{}/realms/default", app.base);
        assert_eq!(doc["issuer"], issuer.as_str());
        assert_eq!(doc["token_endpoint"], format!("{issuer}{TOKEN}").as_str());
        assert_eq!(doc["introspection_endpoint"], format!("{issuer}{INTROSPECT}").as_str());
        assert_eq!(doc["revocation_endpoint"], format!("{issuer}{REVOKE}").as_str());
        assert_eq!(doc["userinfo_endpoint"], format!("{issuer}{USERINFO}").as_str());
        assert_eq!(doc["jwks_uri"], format!("{issuer}{CERTS}").as_str());
        assert_eq!(
            doc["grant_types_supported"],
            serde_json::json!([
                "authorization_code",
                "client_credentials",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
                "password",
                "implicit"
            ])
        );
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code", "token", "id_token token"]));
        assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        assert_eq!(doc["authorization_endpoint"], format!("{issuer}/protocol/openid-connect/auth").as_str());
        assert_eq!(doc["end_session_endpoint"], format!("{issuer}/protocol/openid-connect/logout").as_str());
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        let methods = doc["token_endpoint_auth_methods_supported"].as_array().unwrap();
        for m in ["client_secret_basic", "client_secret_post", "none"] {
            assert!(methods.iter().any(|v| v == m), "{m}");
        }
        let scopes = doc["scopes_supported"].as_array().unwrap();
        assert!(scopes.iter().any(|s| s == "openid"));
        // Every advertised endpoint is served under the same prefix (no 404 on its path).
        for field in
            ["token_endpoint", "introspection_endpoint", "revocation_endpoint", "userinfo_endpoint", "jwks_uri"]
        {
            let url = doc[field].as_str().unwrap();
            let get = app.http.get(url).send().await.unwrap().status();
            let post = app.http.post(url).form(&[("x", "y")]).send().await.unwrap().status();
            assert!(get != StatusCode::NOT_FOUND && post != StatusCode::NOT_FOUND, "{field} {url} is not served");
            let alias = url.replace("/realms/", "/auth/realms/");
            let alias_get = app.http.get(&alias).send().await.unwrap().status();
            assert!(alias_get != StatusCode::NOT_FOUND, "{field} alias {alias} is not served");
        }
    }
}

async fn rfc8414_metadata_is_served(app: TestApp) {
    let res = app
        .http
        .get(format!("{}/.well-known/oauth-authorization-server/realms/default", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["issuer"], format!("{}/realms/default", app.base).as_str());
    assert!(doc["token_endpoint"].is_string());
}

async fn unknown_realm_is_a_json_404(app: TestApp) {
    let res = app.http.get(app.realm_url("nope", DISCOVERY)).send().await.unwrap();
    let body = assert_oauth_error(res, StatusCode::NOT_FOUND, "invalid_request").await;
    assert_eq!(body["error_description"], "realm does not exist");
    let creds = Creds { id: "x".into(), secret: "y".into() };
    let res = app.post_form("nope", TOKEN, Some(&creds), &[("grant_type", "client_credentials")]).await;
    assert_oauth_error(res, StatusCode::NOT_FOUND, "invalid_request").await;
}

async fn jwks_publishes_three_algorithms_without_private_parts(app: TestApp) {
    let res = app.http.get(app.realm_url("default", CERTS)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let jwks: Value = res.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let mut algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    algs.sort();
    assert_eq!(algs, ["ES256", "EdDSA", "RS256"]);
    for k in keys {
        assert_eq!(k["use"], "sig");
        assert!(k["kid"].as_str().unwrap().len() >= 40);
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(k.get(private).is_none(), "private member {private} published");
        }
    }
}

async fn each_realm_has_its_own_keys(app: TestApp) {
    app.manager.create_realm("acme", Some("Acme"), &operator()).await.unwrap();
    let kids = |jwks: Value| -> Vec<String> {
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let a = kids(app.http.get(app.realm_url("default", CERTS)).send().await.unwrap().json().await.unwrap());
    let b = kids(app.http.get(app.realm_url("acme", CERTS)).send().await.unwrap().json().await.unwrap());
    assert!(a.iter().all(|k| !b.contains(k)));
    let doc: Value = app.http.get(app.realm_url("acme", DISCOVERY)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["issuer"], format!("{}/realms/acme", app.base).as_str());
}
