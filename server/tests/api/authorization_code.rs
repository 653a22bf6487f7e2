//! The authorization code flow with PKCE and OpenID Connect (RFC 6749 §4.1, RFC 7636,
//! OIDC Core §3.1), and the authorization endpoint's error handling.

use crate::helpers::*;
use jsonwebtoken::{jwk::JwkSet, DecodingKey, Validation};
use portcullis::manage::client::ClientOptions;
use reqwest::StatusCode;
use serde_json::Value;

crate::db_tests!(
    web_app_code_flow_with_pkce_and_oidc,
    spa_public_client_and_native_loopback_port,
    code_is_single_use_and_replay_revokes_what_it_issued,
    code_expires_and_is_bound_to_client_redirect_and_verifier,
    pkce_rules,
    errors_about_client_or_redirect_uri_are_pages,
    other_errors_redirect_with_state_and_iss,
    prompt_and_max_age,
    consent_is_remembered_and_deny_is_access_denied,
    implicit_only_for_clients_allowed_it,
);

const WEB_CB: &str = "https://app.example.com/cb";
const SPA_CB: &str = "http://localhost:3000/cb";

async fn setup(app: &TestApp) -> Creds {
    app.create_user("alice", "correct horse battery").await;
    app.app_client("web", "webapp", WEB_CB, ClientOptions::default()).await
}

async fn web_app_code_flow_with_pkce_and_oidc(app: TestApp) {
    let web = setup(&app).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid profile email read:dataset"),
        ("state", "xyz-state"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    // The sign-in page names the application; the consent page lists the scopes.
    let res = app.auth_request(&browser, &q).await;
    let (_, login_html) = app.follow(&browser, &res).await;
    assert!(login_html.contains("The webapp app"), "client name on the sign-in page");
    let res = app.sign_in(&browser, &res, "alice", "correct horse battery").await;
    let (_, consent_html) = app.follow(&browser, &res).await;
    assert!(consent_html.contains("data-scope=\"email\"") && consent_html.contains("Read your email address"));
    assert!(consent_html.contains("data-scope=\"read:dataset\""));
    let res = app.consent(&browser, &res, "allow").await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(WEB_CB));
    let params = redirect_params(&location);
    assert_eq!(params["state"], "xyz-state");
    assert_eq!(params["iss"], format!("{}/realms/default", app.base));
    let code = &params["code"];

    let res = app.exchange(&web, code, WEB_CB, Some(&pkce.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid profile email read:dataset");
    assert_eq!(body["refresh_expires_in"], 30 * 24 * 3600);
    // A JWT's shape around 256 random bits (keycloak_js.rs covers the shape).
    assert_eq!(body["refresh_token"].as_str().unwrap().rsplit('.').next().unwrap().len(), 43);
    let access = body["access_token"].as_str().unwrap();
    let id_token = body["id_token"].as_str().unwrap();

    // The ID token: RS256, verifiable against the JWKS, with the OIDC claims.
    let header = jwt_header(id_token);
    assert_eq!(header["alg"], "RS256");
    let jwks: JwkSet = app.http.get(app.realm_url("default", CERTS)).send().await.unwrap().json().await.unwrap();
    let key = DecodingKey::from_jwk(jwks.find(header["kid"].as_str().unwrap()).unwrap()).unwrap();
    let mut v = Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["webapp"]);
    v.set_issuer(&[format!("{}/realms/default", app.base)]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &v).unwrap().claims;
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["azp"], "webapp");
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["email"], "alice@example.com");
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());
    assert_eq!(claims["sid"], body["session_state"]);
    let expected_at_hash = {
        let d = portcullis::crypto::sha256(access.as_bytes());
        portcullis::crypto::b64(&d[..16])
    };
    assert_eq!(claims["at_hash"], expected_at_hash.as_str());

    // The access token: the user's roles, sid, scope; active at introspection.
    let at = jwt_claims(access);
    assert_eq!(at["sub"], claims["sub"]);
    assert_eq!(at["realm_access"]["roles"], serde_json::json!(["staff"]));
    assert_eq!(at["sid"], claims["sid"]);
    let intro = app.introspect(&web, access).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["username"], "alice");

    // Userinfo by scope.
    let info: Value = app
        .http
        .get(app.realm_url("default", USERINFO))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["preferred_username"], "alice");
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], false);
}

async fn spa_public_client_and_native_loopback_port(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let spa = app
        .app_client("spa", "spa", SPA_CB, ClientOptions { consent_required: Some(false), ..Default::default() })
        .await;
    assert!(spa.secret.is_empty());
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("scope", "openid"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    let params = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    let res = app.exchange(&spa, &params["code"], SPA_CB, Some(&pkce.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Native app: registered http://127.0.0.1/cb, requested with an ephemeral port.
    let native = app.app_client("native", "cli-app", "http://127.0.0.1/cb", ClientOptions::default()).await;
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "cli-app"),
        ("redirect_uri", "http://127.0.0.1:49152/cb"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    // Already signed in (SSO): straight to consent.
    let res = app.auth_request(&browser, &q).await;
    let res = app.consent(&browser, &res, "allow").await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://127.0.0.1:49152/cb?"), "{location}");
    let code = redirect_params(&location)["code"].clone();
    let res = app.exchange(&native, &code, "http://127.0.0.1:49152/cb", Some(&pkce.verifier)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn code_is_single_use_and_replay_revokes_what_it_issued(app: TestApp) {
    let web = setup(&app).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    let params = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    let first: Value = app.exchange(&web, &params["code"], WEB_CB, Some(&pkce.verifier)).await.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(app.introspect(&web, access).await["active"], true);
    let again = app.exchange(&web, &params["code"], WEB_CB, Some(&pkce.verifier)).await;
    assert_oauth_error(again, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(app.introspect(&web, access).await["active"], false, "the first use's access token is revoked");
    assert_oauth_error(app.refresh(&web, refresh, None).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

async fn code_expires_and_is_bound_to_client_redirect_and_verifier(app: TestApp) {
    let web = setup(&app).await;
    let other = app.app_client("web", "other", WEB_CB, ClientOptions::default()).await;
    let browser = app.browser();
    let user = ("alice", "correct horse battery");
    let new_code = |pkce: &Pkce| {
        let challenge = pkce.challenge.clone();
        let browser = &browser;
        let app = &app;
        async move {
            let q = [
                ("response_type", "code"),
                ("client_id", "webapp"),
                ("redirect_uri", WEB_CB),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ];
            app.code_flow(browser, &q, user).await["code"].clone()
        }
    };
    // Another client cannot redeem it.
    let pkce = Pkce::new();
    let code = new_code(&pkce).await;
    assert_oauth_error(
        app.exchange(&other, &code, WEB_CB, Some(&pkce.verifier)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    // A different redirect URI fails.
    let pkce = Pkce::new();
    let code = new_code(&pkce).await;
    let res = app.exchange(&web, &code, "https://app.example.com/other", Some(&pkce.verifier)).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // A wrong verifier fails, and spends the code.
    let pkce = Pkce::new();
    let code = new_code(&pkce).await;
    assert_oauth_error(
        app.exchange(&web, &code, WEB_CB, Some(&Pkce::new().verifier)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_oauth_error(
        app.exchange(&web, &code, WEB_CB, Some(&pkce.verifier)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    // After 60 s the code is dead.
    let pkce = Pkce::new();
    let code = new_code(&pkce).await;
    app.clock.advance(61);
    assert_oauth_error(
        app.exchange(&web, &code, WEB_CB, Some(&pkce.verifier)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

async fn pkce_rules(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    let spa = app
        .app_client("spa", "spa", SPA_CB, ClientOptions { consent_required: Some(false), ..Default::default() })
        .await;
    let web = app
        .app_client(
            "web",
            "legacy",
            WEB_CB,
            ClientOptions { pkce_required: Some(false), consent_required: Some(false), ..Default::default() },
        )
        .await;
    let browser = app.browser();
    // Public client without PKCE: refused, back to the client.
    let res = app
        .auth_request(
            &browser,
            &[("response_type", "code"), ("client_id", "spa"), ("redirect_uri", SPA_CB), ("state", "s")],
        )
        .await;
    let p = redirect_params(res.headers()["location"].to_str().unwrap());
    assert_eq!(p["error"], "invalid_request");
    assert_eq!(p["state"], "s");
    // plain is refused.
    let res = app
        .auth_request(
            &browser,
            &[
                ("response_type", "code"),
                ("client_id", "spa"),
                ("redirect_uri", SPA_CB),
                ("code_challenge", &"a".repeat(43)),
                ("code_challenge_method", "plain"),
            ],
        )
        .await;
    assert_eq!(redirect_params(res.headers()["location"].to_str().unwrap())["error"], "invalid_request");
    // Downgrade: a verifier sent for a code that had no challenge is refused.
    let q = [("response_type", "code"), ("client_id", "legacy"), ("redirect_uri", WEB_CB)];
    let p = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    let res = app.exchange(&web, &p["code"], WEB_CB, Some(&Pkce::new().verifier)).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // Without a challenge, the confidential client can still use a code (redirect_uri required).
    let p = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    assert_eq!(app.exchange(&web, &p["code"], WEB_CB, None).await.status(), StatusCode::OK);
    // A missing verifier when a challenge was sent fails.
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    let p = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    assert_oauth_error(app.exchange(&spa, &p["code"], SPA_CB, None).await, StatusCode::BAD_REQUEST, "invalid_grant")
        .await;
}

async fn errors_about_client_or_redirect_uri_are_pages(app: TestApp) {
    setup(&app).await;
    let browser = app.browser();
    for q in [
        vec![("response_type", "code"), ("client_id", "nobody"), ("redirect_uri", WEB_CB)],
        vec![("response_type", "code"), ("client_id", "webapp"), ("redirect_uri", "https://evil.example.com/cb")],
        vec![("response_type", "code"), ("client_id", "webapp"), ("redirect_uri", "https://app.example.com/cb/extra")],
        vec![("response_type", "code"), ("redirect_uri", WEB_CB)],
    ] {
        let res = app.auth_request(&browser, &q).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{q:?}");
        assert!(res.headers().get("location").is_none(), "never redirected: {q:?}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"error-title\""), "{html}");
    }
    // A repeated parameter is a page too (the client is not trusted yet).
    let url = format!(
        "{}?client_id=webapp&client_id=webapp&response_type=code",
        app.realm_url("default", "/protocol/openid-connect/auth")
    );
    assert_eq!(browser.get(url).send().await.unwrap().status(), StatusCode::BAD_REQUEST);
}

async fn other_errors_redirect_with_state_and_iss(app: TestApp) {
    setup(&app).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let base = [
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("state", "st"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (extra, error) in [
        (vec![("response_type", "magic")], "unsupported_response_type"),
        (vec![], "invalid_request"),
        (vec![("response_type", "code"), ("scope", "write:everything")], "invalid_scope"),
        (vec![("response_type", "token")], "unauthorized_client"),
        (vec![("response_type", "code"), ("prompt", "bogus")], "invalid_request"),
        (vec![("response_type", "code"), ("max_age", "-1")], "invalid_request"),
    ] {
        let q: Vec<(&str, &str)> = base.iter().cloned().chain(extra.iter().cloned()).collect();
        let res = app.auth_request(&browser, &q).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{q:?}");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(WEB_CB), "{location}");
        let p = redirect_params(&location);
        assert_eq!(p["error"], error, "{q:?}");
        assert_eq!(p["state"], "st");
        assert_eq!(p["iss"], format!("{}/realms/default", app.base));
    }
}

async fn prompt_and_max_age(app: TestApp) {
    setup(&app).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("response_type", "code".to_string()),
            ("client_id", "webapp".into()),
            ("redirect_uri", WEB_CB.into()),
            ("state", "st".into()),
            ("code_challenge", pkce.challenge.clone()),
            ("code_challenge_method", "S256".into()),
        ];
        v.extend(extra.iter().map(|(k, val)| (*k, val.to_string())));
        v
    };
    let refs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    let send = |v: Vec<(&'static str, String)>| {
        let browser = &browser;
        let app = &app;
        async move {
            let q: Vec<(&str, &str)> = v.iter().map(|(k, val)| (*k, val.as_str())).collect();
            app.auth_request(browser, &q).await
        }
    };
    // prompt=none without a session: login_required, back to the client.
    let res = send(refs(&q(&[("prompt", "none")]))).await;
    assert_eq!(redirect_params(res.headers()["location"].to_str().unwrap())["error"], "login_required");
    // Sign in and consent once.
    let owned = q(&[]);
    let qv: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.code_flow(&browser, &qv, ("alice", "correct horse battery")).await;
    // prompt=none with a session and consent: a code.
    let res = send(q(&[("prompt", "none")])).await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"));
    // prompt=login asks for the password again even with a session.
    let res = send(q(&[("prompt", "login")])).await;
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/login"));
    let res = app.sign_in(&browser, &res, "alice", "correct horse battery").await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"));
    // max_age: an old sign-in must be repeated.
    app.clock.advance(120);
    let res = send(q(&[("max_age", "60")])).await;
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/login"));
    let res = send(q(&[("max_age", "3600")])).await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"));
    // prompt=consent asks again.
    let res = send(q(&[("prompt", "consent")])).await;
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/consent"));
    // login_hint prefills the username.
    let other = app.browser();
    let url = url::Url::parse_with_params(
        &app.realm_url("default", "/protocol/openid-connect/auth"),
        q(&[("login_hint", "alice@example.com")]).iter().map(|(k, v)| (*k, v.as_str())),
    )
    .unwrap();
    let res = other.get(url).send().await.unwrap();
    let (_, html) = app.follow(&other, &res).await;
    assert!(html.contains("value=\"alice@example.com\""));
}

async fn consent_is_remembered_and_deny_is_access_denied(app: TestApp) {
    setup(&app).await;
    let browser = app.browser();
    let pkce = Pkce::new();
    let q = [
        ("response_type", "code"),
        ("client_id", "webapp"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid email"),
        ("state", "st"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = app.auth_request(&browser, &q).await;
    let res = app.sign_in(&browser, &res, "alice", "correct horse battery").await;
    let res = app.consent(&browser, &res, "deny").await;
    let p = redirect_params(res.headers()["location"].to_str().unwrap());
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "st");
    // Allowed once, remembered after.
    let res = app.auth_request(&browser, &q).await;
    let res = app.consent(&browser, &res, "allow").await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"));
    let res = app.auth_request(&browser, &q).await;
    assert!(redirect_params(res.headers()["location"].to_str().unwrap()).contains_key("code"), "no second consent");
    // A wider request asks again.
    let wider: Vec<(&str, &str)> =
        q.iter().map(|(k, v)| if *k == "scope" { (*k, "openid email profile") } else { (*k, *v) }).collect();
    let res = app.auth_request(&browser, &wider).await;
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/realms/default/consent"));
}

async fn implicit_only_for_clients_allowed_it(app: TestApp) {
    app.create_user("alice", "correct horse battery").await;
    app.app_client(
        "spa",
        "legacy-spa",
        SPA_CB,
        ClientOptions { grant_types: vec!["implicit".into()], consent_required: Some(false), ..Default::default() },
    )
    .await;
    let browser = app.browser();
    let q = [
        ("response_type", "id_token token"),
        ("client_id", "legacy-spa"),
        ("redirect_uri", SPA_CB),
        ("scope", "openid profile"),
        ("nonce", "abc"),
        ("state", "st"),
    ];
    let p = app.code_flow(&browser, &q, ("alice", "correct horse battery")).await;
    assert_eq!(p["state"], "st");
    assert_eq!(p["token_type"], "Bearer");
    let id = jwt_claims(&p["id_token"]);
    assert_eq!(id["nonce"], "abc");
    assert_eq!(jwt_claims(&p["access_token"])["preferred_username"], "alice");
    assert!(!p.contains_key("refresh_token"));
    // The fragment, not the query, carries them.
    let res = app.auth_request(&browser, &q).await;
    let location = res.headers()["location"].to_str().unwrap();
    assert!(url::Url::parse(location).unwrap().query().is_none());
    // Without a nonce, id_token token is refused.
    let no_nonce: Vec<(&str, &str)> = q.iter().filter(|(k, _)| *k != "nonce").cloned().collect();
    let res = app.auth_request(&browser, &no_nonce).await;
    assert_eq!(redirect_params(res.headers()["location"].to_str().unwrap())["error"], "invalid_request");
}
